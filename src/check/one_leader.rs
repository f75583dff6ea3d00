//! At most one leader (Always): no two masters ever both acknowledge writes as primary at once,
//! and the journal is one history written by one primary per term.
//!
//! Three rules over acknowledged entries only (an entry a deposed primary appended but could not
//! make durable harms nobody), and two over fencing:
//! 1. every acknowledgement in a term comes from one master;
//! 2. an acknowledged entry was accepted (appended) before any later term began: once a master
//!    has become primary in term T, no master acknowledges an entry it accepted in an older term;
//! 3. the journal, read in sequence order, has non-decreasing terms;
//! 4. a primary steps down as fenced off the journal only after its writer found itself fenced
//!    in that term (the storage refused its lease, or a newer primary's log was there): a
//!    step-down that claims fencing without it is a failover for nothing;
//! 5. a writer finds itself fenced in term T only if another master's primacy (from the start of
//!    its promotion to its step-down, failure or crash) overlapped T: only another primary fences
//!    one (a newer one, or an older one that was paused while promoting and still finished), and a
//!    healthy primary that takes its own work (a log it created or completed, the answer lost)
//!    for another primary's steps down for nothing.
//!
//! Two masters that merely *believe* they lead at once (a paused old primary) break none of these;
//! [`super::coverage`](mod@super::coverage) counts that as a Sometimes fact.

use super::{Breach, Check, Property};
use crate::history::{Event, EventKind};
use crate::options::Options;
use crate::primacy::primacies;
use crate::vocab::StepDownReason;
use std::collections::{BTreeMap, BTreeSet};

/// The property, as the table in [`super::PROPERTIES`] lists it.
pub const PROPERTY: Property = Property {
    name: "one_leader",
    check: Check::Always(check),
};

/// The first breach of `one_leader` in `events`, if any.
pub fn check(events: &[Event], _options: &Options) -> Option<Breach> {
    let fail = |i: usize, detail: String| Some(Breach::at(events, i, detail));

    // Rule 1, and the set of acknowledged (master, term, seq) for rule 2.
    let mut owner: BTreeMap<u64, &str> = BTreeMap::new();
    let mut acked: BTreeSet<(&str, u64, u64)> = BTreeSet::new();
    for (i, e) in events.iter().enumerate() {
        if let EventKind::JournalAck { term, seq, .. } = e.kind {
            let first = *owner.entry(term).or_insert(&e.node);
            if first != e.node {
                return fail(
                    i,
                    format!(
                        "{} acknowledged seq {seq} in term {term}, whose writes {first} also acknowledged",
                        e.node
                    ),
                );
            }
            acked.insert((&e.node, term, seq));
        }
    }

    // Rule 2: walk in time order, tracking the newest term that has begun.
    let mut newest: Option<(u64, usize)> = None;
    for (i, e) in events.iter().enumerate() {
        match e.kind {
            EventKind::BecamePrimary { term, .. } if newest.is_none_or(|(t, _)| term > t) => {
                newest = Some((term, i));
            }
            EventKind::JournalAppend { term, seq, .. } if acked.contains(&(&e.node, term, seq)) => {
                if let Some((t, j)) = newest.filter(|(t, _)| *t > term) {
                    return fail(
                        i,
                        format!(
                            "{} accepted seq {seq} in term {term} (later acknowledged) after {} \
                             became primary in term {t} at {:.3} ms",
                            e.node,
                            events[j].node,
                            events[j].at_ms()
                        ),
                    );
                }
                if newest.is_none_or(|(t, _)| term > t) {
                    newest = Some((term, i));
                }
            }
            _ => {}
        }
    }

    // Rule 3: the journal's terms in sequence order.
    for (i, e) in events.iter().enumerate() {
        if let EventKind::JournalReplay { entries, .. } = &e.kind {
            for pair in entries.windows(2) {
                let ((s0, t0, _), (s1, t1, _)) = (pair[0], pair[1]);
                if t1 < t0 {
                    return fail(
                        i,
                        format!("the journal goes back from term {t0} at seq {s0} to term {t1} at seq {s1}"),
                    );
                }
            }
        }
    }

    // Rule 5: every primacy, from its promotion's start to its end.
    let primacies = primacies(events);
    let overlapped = |i: usize, term: u64| {
        let own = primacies.iter().find(|p| p.term == term && p.promoting < i);
        own.is_some_and(|own| {
            primacies.iter().any(|p| {
                p.term != term && p.promoting < i && p.end.is_none_or(|end| end > own.promoting)
            })
        })
    };

    // Rules 4 and 5: the fencings each master's writer found, by term.
    let mut fenced: BTreeSet<(&str, u64)> = BTreeSet::new();
    for (i, e) in events.iter().enumerate() {
        match &e.kind {
            EventKind::Fenced { term } if !overlapped(i, *term) => {
                return fail(
                    i,
                    format!(
                        "{} found itself fenced off the journal in term {term}, but no other \
                         master's primacy overlapped that term",
                        e.node
                    ),
                );
            }
            EventKind::Fenced { term } => {
                fenced.insert((&e.node, *term));
            }
            EventKind::SteppedDown { term, reason }
                if *reason == StepDownReason::Fenced && !fenced.contains(&(&e.node, *term)) =>
            {
                return fail(
                    i,
                    format!(
                        "{} stepped down from term {term} as fenced off the journal ({reason}), \
                         but its writer had not found itself fenced",
                        e.node
                    ),
                );
            }
            _ => {}
        }
    }
    None
}
