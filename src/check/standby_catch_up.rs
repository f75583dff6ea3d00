//! Standby catch-up (Always): a master joins the election only once its standby has caught up
//! (Alluxio 2.6's remedy for B12). A candidate that joins behind makes its promotion start with
//! a long replay, during which no master serves; with slow replay that starves its ZooKeeper
//! session and leadership flaps.
//!
//! A standby stint runs from a master's start, or its promotion, to its next promotion or crash.
//! 1. A master joins the election only after its standby declared itself caught up in this stint.
//! 2. Caught up means a catch-up pass applied nothing: the pass that says so begins and ends at
//!    the same sequence number.
//! 3. That pass replayed every completed log: every log whose completion was recorded before the
//!    pass began ends at or below where the standby stands.
//! 4. A standby's account of its replay is whole: within a stint, each pass it records (every
//!    pass that moved it, and the pass it declared itself caught up in) begins where the last
//!    recorded one ended. Rules 2 and 3 here, and `journal_housekeeping`'s rule on standby
//!    checkpoints, judge a standby by these passes; a pass that moved it unrecorded would leave
//!    them judging a replay that did not happen.
//! 5. Each journal entry is applied once, in order: the ranges a pass applied follow one another
//!    from where the pass began, with no overlap and no hole, and end where the pass ended,
//!    unless the pass ended by loading a newer checkpoint (recorded apart). A pass that reads a
//!    log again and applies what it had applied is seen here even when it ends where it began.

use super::{Breach, Check, Property};
use crate::history::{Event, EventKind};
use crate::options::Options;
use std::collections::{BTreeMap, BTreeSet};

/// The property, as the table in [`super::PROPERTIES`] lists it.
pub const PROPERTY: Property = Property {
    name: "standby_catch_up",
    check: Check::Always(check),
};

/// The first breach of `standby_catch_up` in `events`, if any.
pub fn check(events: &[Event], _options: &Options) -> Option<Breach> {
    let fail = |i: usize, detail: String| Some(Breach::at(events, i, detail));
    // Masters whose standby declared itself caught up in the current stint.
    let mut caught_up: BTreeSet<&str> = BTreeSet::new();
    // Completed logs holding entries, as (when recorded, start, end), in time order.
    let mut completed: Vec<(u64, u64, u64)> = vec![];
    // Rule 4: per standby, where its last recorded pass of the stint ended.
    let mut stands_at: BTreeMap<&str, u64> = BTreeMap::new();
    // Rule 5: per standby, the checkpoint it loaded since its last recorded pass.
    let mut loaded: BTreeMap<&str, u64> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        let node = e.node.as_str();
        if super::ends_standby_stint(&e.kind) {
            caught_up.remove(node);
            stands_at.remove(node);
        }
        if let EventKind::StandbyReplayed {
            from_seq, to_seq, ..
        }
        | EventKind::CaughtUp {
            from_seq, to_seq, ..
        } = &e.kind
        {
            if let Some(at) = stands_at.insert(node, *to_seq).filter(|at| at != from_seq) {
                return fail(
                    i,
                    format!(
                        "{node}'s standby recorded a pass from seq {from_seq}, but its last \
                         recorded pass ended at seq {at}: a pass between moved it unrecorded"
                    ),
                );
            }
        }
        match &e.kind {
            EventKind::CheckpointLoaded { seq } => {
                loaded.insert(node, *seq);
            }
            EventKind::StandbyReplayed {
                from_seq,
                to_seq,
                applied,
                ..
            } => {
                let checkpoint = loaded.remove(node);
                let mut at = *from_seq;
                for &(from, to) in applied {
                    if from != at || to <= from {
                        return fail(
                            i,
                            format!(
                                "{node}'s standby applied entries {from}..{to} in a pass standing                                  at seq {at}: {}",
                                if from < at {
                                    "entries applied twice"
                                } else {
                                    "entries skipped"
                                }
                            ),
                        );
                    }
                    at = to;
                }
                if at != *to_seq && checkpoint != Some(*to_seq) {
                    return fail(
                        i,
                        format!(
                            "{node}'s standby pass from seq {from_seq} applied entries up to seq                              {at} but ended at seq {to_seq}, and loaded no checkpoint there"
                        ),
                    );
                }
            }
            EventKind::LogCompleted { start, end } if end > start => {
                completed.push((e.at_us, *start, *end));
            }
            EventKind::JoiningElection if !caught_up.contains(node) => {
                return fail(
                    i,
                    format!("{node} joined the election before its standby had caught up"),
                );
            }
            EventKind::CaughtUp {
                began_us,
                from_seq,
                to_seq,
            } => {
                if from_seq != to_seq {
                    return fail(
                        i,
                        format!(
                            "{node}'s standby declared itself caught up after a pass that applied \
                             entries {from_seq}..{to_seq}; caught up means a pass found nothing new"
                        ),
                    );
                }
                let missed = (completed.iter())
                    .filter(|&&(at, _, _)| at < *began_us)
                    .find(|&&(_, _, end)| end > *to_seq);
                if let Some(&(at, start, end)) = missed {
                    return fail(
                        i,
                        format!(
                            "{node}'s standby declared itself caught up at seq {to_seq}, in a pass \
                             that began at {:.3} ms, but log {start}..{end} was completed at \
                             {:.3} ms, before the pass",
                            *began_us as f64 / 1000.0,
                            at as f64 / 1000.0
                        ),
                    );
                }
                caught_up.insert(node);
                loaded.remove(node);
            }
            _ => {}
        }
    }
    None
}
