//! The invariant checkers: pure functions of a run's history (and the options that set its
//! bounds). Each lives in its own file, is tagged [`Tag::Always`], [`Tag::Eventually`] or
//! [`Tag::Sometimes`], and names the first event that breaks it.
//!
//! - [`one_leader`] (Always): one history written by one primary per term.
//! - [`no_lost_entries`] (Always): every acknowledged mutation is in the journal exactly once,
//!   and every master's state is the journal's.
//! - [`bounded_retry`] (Always): every client call ends within its retry policy's bound.
//! - [`liveness`] (Eventually): after the faults heal, a primary serves within a stated bound.
//! - [`worker_registry`] (Eventually): the settled primary knows every live worker, each under
//!   its own id.
//! - [`coverage`] (Sometimes): the interesting situations a sweep must reach at least once.

pub mod bounded_retry;
pub mod coverage;
pub mod liveness;
pub mod no_lost_entries;
pub mod one_leader;
pub mod worker_registry;

use crate::history::Event;
use crate::options::Options;
use serde::Serialize;
use std::collections::BTreeMap;

/// When a property must hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tag {
    /// At every point of every run.
    Always,
    /// By a stated time once the faults have healed.
    Eventually,
    /// In at least one run of a sweep (coverage, not correctness).
    Sometimes,
}

/// One broken invariant: which, where in the history, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Violation {
    pub invariant: &'static str,
    pub tag: Tag,
    /// Simulated time of the first breaking event.
    pub at_ms: f64,
    /// Index of that event in the history (none when the breach is an absence, such as a
    /// primary that never came).
    pub event: Option<usize>,
    pub detail: String,
}

impl Violation {
    pub(crate) fn at(
        invariant: &'static str,
        tag: Tag,
        events: &[Event],
        index: usize,
        detail: String,
    ) -> Self {
        Violation {
            invariant,
            tag,
            at_ms: events[index].at_ms(),
            event: Some(index),
            detail,
        }
    }
}

/// The invariants, with their tags, in the order they are checked.
pub const INVARIANTS: &[(&str, Tag)] = &[
    (one_leader::NAME, Tag::Always),
    (no_lost_entries::NAME, Tag::Always),
    (bounded_retry::NAME, Tag::Always),
    (liveness::NAME, Tag::Eventually),
    (worker_registry::NAME, Tag::Eventually),
];

/// Runs every invariant checker; each reports at most its first violation.
pub fn violations(events: &[Event], options: &Options) -> Vec<Violation> {
    [
        one_leader::check(events),
        no_lost_entries::check(events),
        bounded_retry::check(events, options),
        liveness::check(events, options),
        worker_registry::check(events, options),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// How often each fault kind was applied, every kind present (zeros included).
pub fn fault_counts(events: &[Event]) -> BTreeMap<String, u64> {
    let mut counts: BTreeMap<String, u64> = crate::fault::FAULT_KINDS
        .iter()
        .map(|k| (k.to_string(), 0))
        .collect();
    for e in events {
        if let crate::history::EventKind::Fault {
            kind,
            healed: false,
            ..
        } = &e.kind
        {
            *counts.entry(kind.clone()).or_insert(0) += 1;
        }
    }
    counts
}
