//! Sometimes facts: situations a sweep must reach at least once, or its faults are too tame to
//! test failover at all. Each is counted per run; a sweep sums them and reports any at zero.

use crate::history::{Event, EventKind};
use std::collections::{BTreeMap, BTreeSet};

/// Every Sometimes fact, in a fixed order.
pub const FACTS: &[&str] = &[
    "failover",
    "old-primary-fenced",
    "client-retried-across-failover",
    "standby-caught-up-from-checkpoint",
    "worker-reregistered",
    "session-expired-while-primary-paused",
    "two-masters-believed-primary",
];

/// How often each fact was reached in one history, every fact present (zeros included).
pub fn facts(events: &[Event]) -> BTreeMap<String, u64> {
    let mut count: BTreeMap<String, u64> = FACTS.iter().map(|f| (f.to_string(), 0)).collect();
    let mut bump = |fact: &str| *count.get_mut(fact).unwrap() += 1;

    let mut primaries_so_far = 0;
    let mut believes: BTreeSet<&str> = BTreeSet::new();
    let mut paused: BTreeSet<&str> = BTreeSet::new();
    let mut mutating_attempts: BTreeMap<u64, BTreeSet<&str>> = BTreeMap::new();
    for e in events {
        let node = e.node.as_str();
        match &e.kind {
            EventKind::BecamePrimary { .. } => {
                primaries_so_far += 1;
                if primaries_so_far > 1 {
                    bump("failover");
                }
                if believes.iter().any(|m| *m != node) {
                    bump("two-masters-believed-primary");
                }
                believes.insert(node);
            }
            EventKind::SteppedDown { .. }
            | EventKind::MasterExit { .. }
            | EventKind::NodeCrash
            | EventKind::NodeRestart => {
                believes.remove(node);
                paused.remove(node);
            }
            EventKind::NodePause => {
                paused.insert(node);
            }
            EventKind::NodeResume => {
                paused.remove(node);
            }
            EventKind::Fenced { .. } => bump("old-primary-fenced"),
            EventKind::CheckpointLoaded { .. } => bump("standby-caught-up-from-checkpoint"),
            EventKind::WorkerReregister { .. } => bump("worker-reregistered"),
            EventKind::SessionExpired { owner, .. }
                if paused.contains(owner.as_str()) && believes.contains(owner.as_str()) =>
            {
                bump("session-expired-while-primary-paused")
            }
            EventKind::Attempt {
                op_id,
                master: Some(m),
                ..
            } => {
                mutating_attempts.entry(*op_id).or_default().insert(m);
            }
            EventKind::Ok { op_id, .. } => {
                let masters = mutating_attempts.remove(op_id).unwrap_or_default();
                if masters.len() > 1 {
                    bump("client-retried-across-failover");
                }
            }
            EventKind::Fail { op_id, .. } => {
                mutating_attempts.remove(op_id);
            }
            _ => {}
        }
    }
    count
}
