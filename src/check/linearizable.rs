//! Linearizable namespace (Always): what clients saw is one sequential namespace, changed by the
//! journal's mutations in the journal's order, each taking effect at one instant between its
//! call and its answer; every read (and every definite error) matches the tree at an instant
//! inside its own window.
//!
//! The rules, over the client history and the journal's order (`JournalReplay::order`):
//! - a mutation told "ok" is in the journal (else `lost-write`), and its reply is what applying it
//!   at its journal position answers (else `wrong-reply`); every journal entry changes the
//!   namespace, so an entry that answers a namespace error at its position is a `wrong-reply`
//!   whatever its client was told (a namespace error, or nothing: it ended Unavailable);
//! - the journal's order respects real time: no entry comes after an entry whose call had ended
//!   before the first was even invoked (else `real-time-order`);
//! - an observer (a read, or a mutation answered with a namespace error) sees the tree after some
//!   prefix of k journal entries, where k counts at least every entry whose call ended before the
//!   observer was invoked, at most the entries invoked before it was answered, and never less
//!   than an observer that ended before it began saw (else `stale-read` if it matches an older
//!   tree, `dirty-read` if it does not: it saw a write that was not durable yet, perhaps never).
//!
//! Calls that ended Unavailable are indeterminate: taken effect if and only if in the journal.
//!
//! The check is exact, not a heuristic: with the mutations' order fixed by the journal, placing
//! each observer, in order of answer time, at the smallest prefix its constraints allow leaves
//! the most room for every later observer. [`super::wgl`] checks the same specification by
//! exhaustive search, and property tests assert that the two agree.

use super::client_ops::{self, ClientHistory, End};
use super::{Breach, Check, Property};
use crate::history::Event;
use crate::namespace::Namespace;
use crate::options::Options;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The property, as the table in [`super::PROPERTIES`] lists it.
pub const PROPERTY: Property = Property {
    name: "linearizable",
    check: Check::Always(check),
};

/// Histories with at most this many client calls are also checked by the exhaustive search, and a
/// disagreement between the two checkers is reported as a violation.
pub const CROSS_CHECK_MAX_CALLS: usize = 400;

/// A named kind of linearizability failure. It prints and serialises as its kebab-case name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AnomalyKind {
    /// A read saw a write that was not durable yet (perhaps never), or not even invoked.
    DirtyRead,
    /// A read saw the namespace as it was before writes that had taken effect when it began.
    StaleRead,
    /// A write acknowledged to its client is not in the journal's history.
    LostWrite,
    /// Two calls took effect in the journal in the opposite order of their real time.
    RealTimeOrder,
    /// A call's answer is not what the namespace answers at its place in the journal.
    WrongReply,
    /// The journal holds an operation no client invoked.
    PhantomWrite,
    /// The linearizability checker and its exhaustive cross-check disagree: a checker's fault,
    /// not the model's.
    CheckersDisagree,
}

impl AnomalyKind {
    /// The anomalies of the model a sweep counts, in a fixed order.
    pub const ALL: [AnomalyKind; 6] = [
        AnomalyKind::DirtyRead,
        AnomalyKind::StaleRead,
        AnomalyKind::LostWrite,
        AnomalyKind::RealTimeOrder,
        AnomalyKind::WrongReply,
        AnomalyKind::PhantomWrite,
    ];

    /// Its name, as violations and sweep counts spell it.
    pub fn name(self) -> &'static str {
        match self {
            AnomalyKind::DirtyRead => "dirty-read",
            AnomalyKind::StaleRead => "stale-read",
            AnomalyKind::LostWrite => "lost-write",
            AnomalyKind::RealTimeOrder => "real-time-order",
            AnomalyKind::WrongReply => "wrong-reply",
            AnomalyKind::PhantomWrite => "phantom-write",
            AnomalyKind::CheckersDisagree => "checkers-disagree",
        }
    }
}

impl std::fmt::Display for AnomalyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The first breach of `linearizable` in `events`, if any.
pub fn check(events: &[Event], _options: &Options) -> Option<Breach> {
    let history = client_ops::extract(events)?;
    if let Some(breach) = phantom_entry(events, &history) {
        return Some(breach);
    }
    let found = first_anomaly(&history);
    let mut breach = found.as_ref().map(|a| a.breach(events, &history));
    if history.calls.len() <= CROSS_CHECK_MAX_CALLS {
        if let Some(searched) = super::wgl::linearizable(&history, super::wgl::STEP_BUDGET) {
            if searched != found.is_none() {
                let detail = format!(
                    "the linearizability checkers disagree: the journal-order check {}, the \
                     exhaustive search {}",
                    if found.is_none() { "passes" } else { "fails" },
                    if searched { "passes" } else { "fails" }
                );
                let at = events.len().saturating_sub(1);
                breach = Some(Breach {
                    anomaly: Some(AnomalyKind::CheckersDisagree),
                    ..Breach::at(events, at, detail)
                });
            }
        }
    }
    breach
}

/// A journal entry no client call explains: an operation no client invoked (a phantom write), or
/// one the journal holds twice. Every journaled mutation comes from a recorded call.
fn phantom_entry(events: &[Event], h: &ClientHistory) -> Option<Breach> {
    // An operation held twice is `no_lost_entries`' to judge on the journal's own files (the
    // order read here also counts logs GC deleted, which a present log may overlap).
    let (pos, id, uninvoked) = h.unexplained_entry(&h.call_index())?;
    if !uninvoked {
        return None;
    }
    let why = "which no client invoked";
    let at = events.len().saturating_sub(1);
    Some(Breach {
        anomaly: Some(AnomalyKind::PhantomWrite),
        ops: vec![id],
        ..Breach::at(
            events,
            at,
            format!("phantom-write: journal entry {pos} holds operation {id:#x}, {why}"),
        )
    })
}

/// One anomaly: its kind, the calls involved (indexes into the history's calls), the call whose
/// answer breaks the rule, and the journal position expected.
#[derive(Clone, Debug, PartialEq)]
pub struct Anomaly {
    /// What kind it is.
    pub kind: AnomalyKind,
    /// The call whose answer (or whose place in the journal) breaks the rule.
    pub call: usize,
    /// Other calls involved.
    pub others: Vec<usize>,
    /// What went wrong, for people.
    pub detail: String,
}

impl Anomaly {
    fn breach(&self, events: &[Event], h: &ClientHistory) -> Breach {
        let call = &h.calls[self.call];
        let mut ops = vec![call.op_id];
        ops.extend(self.others.iter().map(|&i| h.calls[i].op_id));
        let mut detail = format!("{}: {}: {}", self.kind, call.describe(), self.detail);
        for &i in &self.others {
            detail.push_str(&format!("; {}", h.calls[i].describe()));
        }
        Breach {
            anomaly: Some(self.kind),
            ops,
            ..Breach::at(events, call.end_event, detail)
        }
    }
}

/// The first anomaly of a client history (by the answer that breaks it), if any.
pub fn first_anomaly(h: &ClientHistory) -> Option<Anomaly> {
    let mut found = anomalies(h);
    found.sort_by_key(|a| h.calls[a.call].end_event);
    found.into_iter().next()
}

/// Whether the client history is linearizable against the journal's order.
pub fn is_linearizable(h: &ClientHistory) -> bool {
    anomalies(h).is_empty()
}

fn anomalies(h: &ClientHistory) -> Vec<Anomaly> {
    let mut out = vec![];
    let by_op = h.call_index();
    if !h.journal_is_replayable(&by_op) {
        return out;
    }
    let position: BTreeMap<u64, usize> = h
        .journal
        .iter()
        .enumerate()
        .map(|(p, id)| (*id, p))
        .collect();
    // The calls behind the journal's entries (none for an entry no client call made).
    let entry_call: Vec<Option<usize>> =
        h.journal.iter().map(|id| by_op.get(id).copied()).collect();
    let window = |p: usize| -> (u64, u64) {
        entry_call[p].map_or((0, u64::MAX), |i| (h.calls[i].invoke_us, h.calls[i].end_us))
    };

    // Mutations: lost writes.
    for (i, c) in h.calls.iter().enumerate() {
        if c.is_mutation()
            && matches!(c.end, End::Answered(Ok(_)))
            && !position.contains_key(&c.op_id)
        {
            out.push(Anomaly {
                kind: AnomalyKind::LostWrite,
                call: i,
                others: vec![],
                detail: "acknowledged, but the journal never held it".into(),
            });
        }
    }

    // The journal's order against real time: entry p must not come after an entry whose call
    // ended before p's was invoked.
    let mut earliest_end_after = vec![(u64::MAX, usize::MAX); h.journal.len() + 1];
    for p in (0..h.journal.len()).rev() {
        let end = window(p).1;
        earliest_end_after[p] = if end < earliest_end_after[p + 1].0 {
            (end, p)
        } else {
            earliest_end_after[p + 1]
        };
    }
    for p in 0..h.journal.len() {
        let (end, q) = earliest_end_after[p + 1];
        if window(p).0 > end {
            if let (Some(a), Some(b)) = (entry_call[p], entry_call[q]) {
                out.push(Anomaly {
                    kind: AnomalyKind::RealTimeOrder,
                    call: a,
                    others: vec![b],
                    detail: format!(
                        "the journal holds it at position {p}, before position {q}, whose call \
                         had ended before it was invoked"
                    ),
                });
            }
        }
    }

    // The trees after each prefix of the journal, and each entry's answer.
    let mut trees = Vec::with_capacity(h.journal.len() + 1);
    let mut ns = Namespace::default();
    trees.push(ns.clone());
    for (p, id) in h.journal.iter().enumerate() {
        let i = entry_call[p].expect("every entry has its call");
        let c = &h.calls[i];
        let answer = client_ops::apply(&mut ns, &c.op);
        let wrong = match (&c.end, &answer) {
            (End::Answered(told), _) if *told != answer => Some(format!(
                "told {told:?}, but at its journal position {p} (op {id:#x}) it answers \
                 {answer:?}"
            )),
            (end, Err(e)) => Some(format!(
                "{}, but at its journal position {p} (op {id:#x}) it fails with {e:?}, while \
                 every journal entry changes the namespace",
                match end {
                    End::Indeterminate => "no definite answer",
                    End::Answered(_) => "told that same error",
                }
            )),
            _ => None,
        };
        if let Some(detail) = wrong {
            out.push(Anomaly {
                kind: AnomalyKind::WrongReply,
                call: i,
                others: vec![],
                detail,
            });
        }
        trees.push(ns.clone());
    }

    // Observers: reads, and mutations answered with a namespace error that the journal does not
    // hold (one it holds is a wrong reply, above).
    let mut observers: Vec<usize> = (0..h.calls.len())
        .filter(|&i| {
            let c = &h.calls[i];
            match &c.end {
                End::Indeterminate => false,
                End::Answered(Ok(_)) => !c.is_mutation(),
                End::Answered(Err(_)) => !position.contains_key(&c.op_id),
            }
        })
        .collect();
    observers.sort_by_key(|&i| (h.calls[i].end_us, h.calls[i].end_event));
    // Entries ordered by their calls' answers, to find the last one that ended before a time.
    let mut ended: Vec<(u64, usize)> = (0..h.journal.len()).map(|p| (window(p).1, p)).collect();
    ended.sort();
    let mut ended_prefix_max = Vec::with_capacity(ended.len());
    let mut best: Option<usize> = None;
    for &(_, p) in &ended {
        best = Some(best.map_or(p, |b| b.max(p)));
        ended_prefix_max.push(best.unwrap());
    }
    // Observers placed so far: (answer time, prefix placed at, call), in answer order.
    let mut placed: Vec<(u64, usize, usize)> = vec![];
    let mut placed_prefix_max: Vec<(usize, usize)> = vec![];
    for &o in &observers {
        let c = &h.calls[o];
        let answer = match &c.end {
            End::Answered(a) => a,
            End::Indeterminate => continue,
        };
        // At least every entry whose call ended before this one was invoked.
        let n_ended = ended.partition_point(|(end, _)| *end < c.invoke_us);
        let (mut lo, mut because) = match n_ended {
            0 => (0, None),
            n => {
                let p = ended_prefix_max[n - 1];
                (p + 1, entry_call[p])
            }
        };
        // At least what an observer that ended before this one began saw.
        let n_placed = placed.partition_point(|(end, _, _)| *end < c.invoke_us);
        if n_placed > 0 {
            let (k, by) = placed_prefix_max[n_placed - 1];
            if k > lo {
                lo = k;
                because = Some(by);
            }
        }
        // At most the entries invoked before it was answered.
        let hi = (0..h.journal.len())
            .find(|&p| window(p).0 > c.end_us)
            .unwrap_or(h.journal.len());
        let fits = |k: usize| client_ops::evaluate(&trees[k], &c.op) == *answer;
        match (lo..=hi.max(lo)).find(|&k| k <= hi && fits(k)) {
            Some(k) => {
                let entry = (c.end_us, k, o);
                placed.push(entry);
                let prev = placed_prefix_max.last().copied();
                placed_prefix_max.push(match prev {
                    Some((pk, pby)) if pk >= k => (pk, pby),
                    _ => (k, o),
                });
            }
            None => {
                let older = (0..lo).rev().find(|&k| fits(k));
                let (kind, detail) = match older {
                    Some(k) => (
                        AnomalyKind::StaleRead,
                        format!(
                            "it saw the namespace after {k} journal entries, but at least {lo} \
                             had taken effect before it was invoked"
                        ),
                    ),
                    // No older namespace answers so: it saw a write that was not durable yet
                    // (perhaps never), or one that had not even been invoked.
                    None => (
                        AnomalyKind::DirtyRead,
                        format!(
                            "answered {answer:?}, which the namespace after {lo} to {hi} journal \
                             entries does not answer, nor any older one"
                        ),
                    ),
                };
                out.push(Anomaly {
                    kind,
                    call: o,
                    others: because.into_iter().collect(),
                    detail,
                });
                // Go on as if it had seen the oldest state it may: later observers are judged
                // on their own.
                placed.push((c.end_us, lo.min(hi), o));
                let prev = placed_prefix_max.last().copied();
                placed_prefix_max.push(match prev {
                    Some((pk, pby)) if pk >= lo.min(hi) => (pk, pby),
                    _ => (lo.min(hi), o),
                });
            }
        }
    }
    out
}
