//! No lost journal entries (Always): after healing, a fresh reader replaying the checkpoint and
//! the logs finds every acknowledged mutation exactly once, with no sequence gap or duplicate,
//! and every master's final state is the journal's state at the point that master has applied.
//!
//! "Acknowledged" covers both sides of the wire: a master's `JournalAck` (seq and operation id)
//! and a client's successful answer to a mutating call (its operation id). Standbys read only
//! completed logs, so a standby's state is compared with the journal's state at its own applied
//! sequence number, which the reader records; the primary must be at the end of the journal.
//! Journal GC deletes only what the newest checkpoint covers (a log reaching past it is data a
//! replay still needs), and that checkpoint must be one the journal still ends with or passed;
//! and every completed log and checkpoint the storage lost during the run was deleted by a GC
//! pass that says so (the reader records what the storage deleted, whoever asked).

use super::{Breach, Check, Property};
use crate::history::{Event, EventKind};
use crate::options::Options;
use std::collections::{BTreeMap, BTreeSet};

/// The property, as the table in [`super::PROPERTIES`] lists it.
pub const PROPERTY: Property = Property {
    name: "no_lost_entries",
    check: Check::Always(check),
};

/// The first breach of `no_lost_entries` in `events`, if any.
pub fn check(events: &[Event], _options: &Options) -> Option<Breach> {
    let fail = |i: usize, detail: String| Some(Breach::at(events, i, detail));
    let (r, (checkpoint_seq, checkpoint_ops, entries, digest, problem, digest_at, deleted)) =
        events
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, e)| match &e.kind {
                EventKind::JournalReplay {
                    checkpoint_seq,
                    checkpoint_ops,
                    entries,
                    digest,
                    problem,
                    digest_at,
                    deleted_logs,
                    deleted_checkpoints,
                    ..
                } => Some((
                    i,
                    (
                        *checkpoint_seq,
                        checkpoint_ops,
                        entries,
                        *digest,
                        problem,
                        digest_at,
                        (deleted_logs, deleted_checkpoints),
                    ),
                )),
                _ => None,
            })?;

    if let Some(p) = problem {
        return fail(r, format!("the journal does not replay: {p}"));
    }
    if let Some(breach) = gc_deleted_only_covered(&events[..r], checkpoint_seq) {
        return Some(breach);
    }
    if let Some(detail) = unaccounted_deletion(&events[..r], deleted.0, deleted.1) {
        return fail(r, detail);
    }
    let mut expected = checkpoint_seq;
    for &(seq, _, _) in entries {
        if seq != expected {
            let what = if seq < expected { "duplicate" } else { "gap" };
            return fail(
                r,
                format!("journal {what}: seq {seq} where {expected} was expected"),
            );
        }
        expected += 1;
    }
    let end = expected;

    // Where each operation id is in the journal: a seq, or the checkpoint.
    let mut place: BTreeMap<u64, Option<u64>> = BTreeMap::new();
    for &op in checkpoint_ops {
        place.insert(op, None);
    }
    for &(seq, _, op) in entries {
        if let Some(before) = place.insert(op, Some(seq)) {
            let before = before.map_or("the checkpoint".to_string(), |s| format!("seq {s}"));
            return fail(
                r,
                format!("operation {op:#x} is in the journal twice: {before} and seq {seq}"),
            );
        }
    }
    let by_seq: BTreeMap<u64, u64> = entries.iter().map(|&(s, _, op)| (s, op)).collect();

    let mut mutating: BTreeSet<u64> = BTreeSet::new();
    for (i, e) in events[..r].iter().enumerate() {
        match &e.kind {
            EventKind::Invoke { op_id, op } if op.is_mutation() => {
                mutating.insert(*op_id);
            }
            EventKind::JournalAck { seq, op_id, term } => {
                let found = if *seq < checkpoint_seq {
                    place.get(op_id) == Some(&None)
                } else {
                    by_seq.get(seq) == Some(op_id)
                };
                if !found {
                    return fail(
                        i,
                        format!(
                            "{} acknowledged seq {seq} (operation {op_id:#x}, term {term}) but the \
                             journal {}",
                            e.node,
                            match by_seq.get(seq) {
                                Some(other) => format!("has operation {other:#x} there"),
                                None => format!("ends at seq {end}"),
                            }
                        ),
                    );
                }
            }
            EventKind::Ok { op_id, by, .. }
                if mutating.contains(op_id) && !place.contains_key(op_id) =>
            {
                return fail(
                    i,
                    format!(
                        "{} was told ok by {by} for mutation {op_id:#x}, which is not in the journal",
                        e.node
                    ),
                );
            }
            _ => {}
        }
    }

    // Final states: each master is the journal's state at its applied seq; the primary at the end.
    let digest_at: BTreeMap<u64, Option<u64>> = digest_at.iter().copied().collect();
    for (i, e) in events[..r].iter().enumerate() {
        if let EventKind::FinalState {
            primary,
            applied_seq,
            digest: mine,
        } = e.kind
        {
            if primary && applied_seq != end {
                return fail(
                    i,
                    format!(
                        "primary {} has applied {applied_seq} entries; the journal has {end}",
                        e.node
                    ),
                );
            }
            let journal = if applied_seq == end {
                Some(digest)
            } else {
                digest_at.get(&applied_seq).copied().flatten()
            };
            match journal {
                Some(d) if d == mine => {}
                Some(d) => {
                    return fail(
                        i,
                        format!(
                        "{}'s state after {applied_seq} entries (digest {mine:#x}) differs from \
                             the journal's (digest {d:#x})",
                        e.node
                    ),
                    )
                }
                // Past the journal's end: the master holds entries the journal lost.
                None if applied_seq > end => {
                    return fail(
                        i,
                        format!(
                            "{} has applied {applied_seq} entries but the journal has only {end}",
                            e.node
                        ),
                    )
                }
                // Within what the journal holds (from its checkpoint on) it can always tell.
                None if applied_seq >= checkpoint_seq => {
                    return fail(
                        i,
                        format!(
                        "the journal holds entries {checkpoint_seq} to {end} but cannot tell the \
                             state after {applied_seq}, which {} has applied",
                        e.node
                    ),
                    )
                }
                // A standby behind a checkpoint whose logs were collected: the journal no longer
                // tells its state at that point, so there is nothing to compare.
                None => {}
            }
        }
    }
    None
}

/// The first journal GC that deleted a file the newest checkpoint did not cover, or that claimed
/// a checkpoint newer than any the journal ends with (checkpoints only grow, and the newest is
/// never deleted). `final_checkpoint`: the checkpoint the fresh reader started from.
fn gc_deleted_only_covered(events: &[Event], final_checkpoint: u64) -> Option<Breach> {
    for (i, e) in events.iter().enumerate() {
        let EventKind::JournalGc {
            logs,
            checkpoints,
            covered,
            ..
        } = &e.kind
        else {
            continue;
        };
        let fail = |detail: String| {
            Some(Breach::at(
                events,
                i,
                format!("{}'s journal GC {detail}", e.node),
            ))
        };
        if *covered > final_checkpoint {
            return fail(format!(
                "counted on a checkpoint below seq {covered}, but the journal's newest is below \
                 {final_checkpoint}"
            ));
        }
        if let Some((start, end)) = logs.iter().find(|(_, end)| end > covered) {
            return fail(format!(
                "deleted the log of entries {start} to {end}, which the newest checkpoint (below \
                 seq {covered}) does not cover"
            ));
        }
        if let Some(end) = checkpoints.iter().find(|end| *end >= covered) {
            return fail(format!(
                "deleted the checkpoint below seq {end}, the newest (below seq {covered})"
            ));
        }
    }
    None
}

/// The first completed log or checkpoint that the storage deleted but no journal GC pass
/// recorded deleting (each deletion is accounted for once): data gone without the checkpoint
/// check that GC makes.
fn unaccounted_deletion(
    events: &[Event],
    deleted_logs: &[(u64, u64)],
    deleted_checkpoints: &[u64],
) -> Option<String> {
    let mut logs: BTreeMap<(u64, u64), usize> = BTreeMap::new();
    let mut checkpoints: BTreeMap<u64, usize> = BTreeMap::new();
    for e in events {
        if let EventKind::JournalGc {
            logs: l,
            checkpoints: c,
            ..
        } = &e.kind
        {
            l.iter().for_each(|r| *logs.entry(*r).or_default() += 1);
            c.iter()
                .for_each(|s| *checkpoints.entry(*s).or_default() += 1);
        }
    }
    let claimed = |count: Option<&mut usize>| match count {
        Some(n) if *n > 0 => {
            *n -= 1;
            true
        }
        _ => false,
    };
    if let Some((start, end)) = deleted_logs.iter().find(|r| !claimed(logs.get_mut(r))) {
        return Some(format!(
            "the storage deleted the completed log of entries {start} to {end}, which no journal \
             GC pass deleted"
        ));
    }
    if let Some(end) = deleted_checkpoints
        .iter()
        .find(|s| !claimed(checkpoints.get_mut(s)))
    {
        return Some(format!(
            "the storage deleted the checkpoint below seq {end}, which no journal GC pass deleted"
        ));
    }
    None
}
