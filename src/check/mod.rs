//! The properties a run is checked against: pure functions of its history (and the options that
//! set its bounds). Each is declared once, as a [`Property`] with its name and its [`Check`],
//! whose variant is its kind; [`PROPERTIES`] lists them in checking order, and everything else
//! (the run's violations and coverage, JSON keys, sweep totals, the book's table and its test) reads
//! that table.
//!
//! - [`one_leader`] (Always): one history written by one primary per term.
//! - [`no_lost_entries`] (Always): every acknowledged mutation is in the journal exactly once,
//!   and every master's state is the journal's.
//! - [`bounded_retry`] (Always): every client call ends within its retry policy's bound.
//! - [`client_retry`] (Always): a client retries only what is retryable, until its time is
//!   spent, and a definite answer is what its caller gets.
//! - [`leader_lookup`] (Always): of several leader znodes, a client takes the newest.
//! - [`linearizable`] (Always): what clients saw is one sequential namespace in the journal's
//!   order; [`wgl`] checks the same by exhaustive search, over [`client_ops`].
//! - [`liveness`] (Eventually): after the faults heal, a primary serves within a stated bound.
//! - [`worker_registry`] (Eventually): the settled primary knows every live worker, each under
//!   its own id.
//! - [`zookeeper_session`] (Always): no client declares its session lost before it is.
//! - [`journal_housekeeping`] (Always): checkpoints and journal GC keep to their settings.
//! - [`standby_catch_up`] (Always): a master joins the election only once its standby caught up.
//! - [`lost_workers`] (Always): a master marks a worker lost only after the worker's whole
//!   timeout of silence at that master.
//! - [`block_locations`] (Always): block-location answers name only workers that hold the block
//!   (within the report bound), and none is given in safe mode.
//! - [`worker_capacity`] (Always): the capacity and used bytes a primary reports are the
//!   worker's own, across failovers.
//! - [`settled_blocks`] (Eventually): once settled, every completed file's blocks are held by a
//!   worker and located on a live one; [`holdings`] reads what workers hold.
//! - [`coverage`](mod@coverage) (Sometimes): the interesting situations a sweep must reach at least once.

pub mod block_locations;
pub mod bounded_retry;
pub mod client_ops;
pub mod client_retry;
pub mod coverage;
pub mod faults_in_force;
pub mod holdings;
pub mod journal_housekeeping;
pub mod leader_lookup;
pub mod linearizable;
pub mod liveness;
pub mod lost_workers;
pub mod no_lost_entries;
pub mod one_leader;
pub mod settled_blocks;
pub mod standby_catch_up;
pub mod wgl;
pub mod worker_capacity;
pub mod worker_registry;
pub mod zookeeper_session;

use crate::history::Event;
use crate::options::Options;
use serde::Serialize;
use std::collections::BTreeMap;

/// Whether `kind` ends a master's standby stint: its standby task stops when the master restarts,
/// crashes or begins promoting, and starts afresh (from the newest checkpoint) after.
pub(crate) fn ends_standby_stint(kind: &crate::history::EventKind) -> bool {
    use crate::history::EventKind;
    matches!(
        kind,
        EventKind::NodeRestart | EventKind::NodeCrash | EventKind::Promoting { .. }
    )
}

/// When a property must hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// At every point of every run (safety).
    Always,
    /// By a stated time once the faults have healed (liveness).
    Eventually,
    /// In at least one run of a sweep (coverage, not correctness).
    Sometimes,
}

/// An invariant's checker: the first breach in a history, if any.
pub type Invariant = fn(&[Event], &Options) -> Option<Breach>;

/// How a property is checked; the variant is the property's kind.
#[derive(Clone, Copy)]
pub enum Check {
    /// Must hold at every point of every run.
    Always(Invariant),
    /// Must hold by a stated time once the faults have healed.
    Eventually(Invariant),
    /// How often the situation was reached in one run.
    Sometimes(fn(&[Event]) -> u64),
}

/// One property: its name (as JSON keys and the command line spell it) and its check.
#[derive(Clone, Copy)]
pub struct Property {
    /// Its name.
    pub name: &'static str,
    /// How it is checked.
    pub check: Check,
}

/// Every property, in checking order: Always, then Eventually, then the Sometimes facts.
pub const PROPERTIES: &[Property] = &[
    one_leader::PROPERTY,
    no_lost_entries::PROPERTY,
    bounded_retry::PROPERTY,
    client_retry::PROPERTY,
    leader_lookup::PROPERTY,
    linearizable::PROPERTY,
    zookeeper_session::PROPERTY,
    journal_housekeeping::PROPERTY,
    standby_catch_up::PROPERTY,
    lost_workers::PROPERTY,
    block_locations::PROPERTY,
    worker_capacity::PROPERTY,
    liveness::PROPERTY,
    worker_registry::PROPERTY,
    settled_blocks::PROPERTY,
    coverage::FAILOVER,
    coverage::OLD_PRIMARY_FENCED,
    coverage::CLIENT_RETRIED_ACROSS_FAILOVER,
    coverage::STANDBY_CAUGHT_UP_FROM_CHECKPOINT,
    coverage::WORKER_REREGISTERED,
    coverage::SESSION_EXPIRED_WHILE_PRIMARY_PAUSED,
    coverage::TWO_MASTERS_BELIEVED_PRIMARY,
    coverage::STEPPED_DOWN_WITH_WRITES_IN_FLIGHT,
    coverage::FLUSH_FAIL_TOOK_EFFECT,
    coverage::FLUSH_SLOW_TOOK_EFFECT,
    coverage::RENAME_FAIL_TOOK_EFFECT,
    coverage::SESSION_EXPIRY_TOOK_EFFECT,
    coverage::ZOOKEEPER_UNAVAILABLE_TOOK_EFFECT,
    coverage::JOURNAL_GC_DELETED,
    coverage::UFS_RETRY_ANSWERED_FROM_CACHE,
    coverage::ZOOKEEPER_RETRY_ANSWERED_FROM_CACHE,
    coverage::PRIMARY_RODE_OUT_SUSPENSION,
    coverage::PRIMARY_RECOVERED_FROM_FLUSH_FAILURE,
    coverage::WORKER_RODE_OUT_FAILED_CALLS,
    coverage::WORKER_LIST_REFUSED_IN_SAFE_MODE,
    coverage::WORKER_FREED_BLOCKS,
    coverage::BLOCK_LOCATED_AFTER_FAILOVER,
    coverage::REGISTRATION_APPLIED_AGAIN,
];

impl Property {
    /// When it must hold.
    pub fn kind(&self) -> Kind {
        match self.check {
            Check::Always(_) => Kind::Always,
            Check::Eventually(_) => Kind::Eventually,
            Check::Sometimes(_) => Kind::Sometimes,
        }
    }

    /// The property's first violation in `events` (never one for a Sometimes fact).
    pub fn violation(&self, events: &[Event], options: &Options) -> Option<Violation> {
        let (Check::Always(check) | Check::Eventually(check)) = self.check else {
            return None;
        };
        check(events, options).map(|b| Violation {
            invariant: self.name,
            kind: self.kind(),
            at_ms: b.at_ms,
            event: b.event,
            detail: b.detail,
            anomaly: b.anomaly,
            ops: b.ops,
        })
    }

    /// How often a Sometimes fact was reached in `events` (0 for an invariant).
    pub fn reached(&self, events: &[Event]) -> u64 {
        match self.check {
            Check::Sometimes(count) => count(events),
            _ => 0,
        }
    }
}

/// The property called `name`.
pub fn property(name: &str) -> Option<&'static Property> {
    PROPERTIES.iter().find(|p| p.name == name)
}

/// The properties of one kind, in table order.
pub fn of_kind(kind: Kind) -> impl Iterator<Item = &'static Property> {
    PROPERTIES.iter().filter(move |p| p.kind() == kind)
}

/// Where and why a checker found its invariant broken (the table adds which and what kind).
#[derive(Clone, Debug, PartialEq)]
pub struct Breach {
    /// Simulated time of the first breaking event.
    pub at_ms: f64,
    /// Index of that event in the history (none when the breach is an absence, such as a
    /// primary that never came).
    pub event: Option<usize>,
    /// What broke it, for people.
    pub detail: String,
    /// The named kind of anomaly, for checkers that tell several apart (`linearizable`).
    pub anomaly: Option<linearizable::AnomalyKind>,
    /// The client operations involved (their op ids).
    pub ops: Vec<u64>,
}

impl Breach {
    /// A breach at event `index` of `events`.
    pub(crate) fn at(events: &[Event], index: usize, detail: String) -> Self {
        Breach {
            at_ms: events[index].at_ms(),
            event: Some(index),
            detail,
            anomaly: None,
            ops: vec![],
        }
    }

    /// A breach that is an absence (nothing happened by `at_ms`).
    pub(crate) fn absence(at_ms: f64, detail: String) -> Self {
        Breach {
            at_ms,
            event: None,
            detail,
            anomaly: None,
            ops: vec![],
        }
    }
}

/// One broken invariant: which, of what kind, where in the history, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Violation {
    /// The property broken.
    pub invariant: &'static str,
    /// Its kind.
    #[serde(rename = "tag")]
    pub kind: Kind,
    /// Simulated time of the first breaking event.
    pub at_ms: f64,
    /// Index of that event in the history (none when the breach is an absence).
    pub event: Option<usize>,
    /// What broke it, for people.
    pub detail: String,
    /// The named kind of anomaly (`linearizable` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anomaly: Option<linearizable::AnomalyKind>,
    /// The client operations involved (`linearizable` only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ops: Vec<u64>,
}

/// Runs every invariant checker, in table order; each reports at most its first violation.
pub fn violations(events: &[Event], options: &Options) -> Vec<Violation> {
    PROPERTIES
        .iter()
        .filter_map(|p| p.violation(events, options))
        .collect()
}

/// How often each Sometimes fact was reached, every fact present (zeros included).
pub fn coverage(events: &[Event]) -> BTreeMap<String, u64> {
    of_kind(Kind::Sometimes)
        .map(|p| (p.name.to_string(), p.reached(events)))
        .collect()
}

/// How often each fault kind was applied, every kind present (zeros included).
pub fn fault_counts(events: &[Event]) -> BTreeMap<String, u64> {
    let mut counts: BTreeMap<String, u64> = crate::fault::FaultKind::ALL
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
            *counts.entry(kind.to_string()).or_insert(0) += 1;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_kinds_are_in_checking_order() {
        let mut names: Vec<_> = PROPERTIES.iter().map(|p| p.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), PROPERTIES.len());
        let kinds: Vec<Kind> = PROPERTIES.iter().map(|p| p.kind()).collect();
        let order = |k: &Kind| *k as u8;
        assert!(kinds.windows(2).all(|w| order(&w[0]) <= order(&w[1])));
    }

    /// A fault kind that declares a took-effect fact has that fact in the table, as a Sometimes
    /// property, so a sweep reports the kind applied without effect.
    #[test]
    fn every_declared_took_effect_fact_is_a_sometimes_property() {
        for kind in crate::fault::FaultKind::ALL {
            if let Some(effect) = kind.info().effect {
                let p = property(effect.fact)
                    .unwrap_or_else(|| panic!("{kind}: no property {}", effect.fact));
                assert_eq!(p.kind(), Kind::Sometimes, "{}", effect.fact);
            }
        }
    }
}
