//! A client's leader lookup (Always): of several leader znodes, the newest is the primary.
//!
//! Alluxio's `ZkMasterInquireClient` lists the leader path's children; one child is the
//! leader, and when a deposed leader's znode is still there (its session not yet expired) the
//! newest by creation time is the one elected since. A client that chose otherwise calls a
//! master that is no longer primary, is refused, and looks again: the fault costs only retries,
//! which no other property sees. The client records what it read of the leader path whenever
//! it held more than one child, and its choice, so: the child chosen is the one with the newest
//! `ctime` (ties by name), judged by this checker's own reading of the rule.

use super::{Breach, Check, Property};
use crate::history::{Event, EventKind};
use crate::options::Options;

/// The property, as the table in [`super::PROPERTIES`] lists it.
pub const PROPERTY: Property = Property {
    name: "leader_lookup",
    check: Check::Always(check),
};

/// The first breach of `leader_lookup` in `events`, if any.
pub fn check(events: &[Event], _options: &Options) -> Option<Breach> {
    for (i, e) in events.iter().enumerate() {
        let EventKind::LeaderChoice { candidates, chose } = &e.kind else {
            continue;
        };
        let newest = candidates
            .iter()
            .max_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
        match newest {
            Some((name, ctime)) if name != chose => {
                return Some(Breach::at(
                    events,
                    i,
                    format!(
                        "{} chose leader znode {chose} of {}, but {name} (ctime {ctime}) is the newest",
                        e.node,
                        candidates.len()
                    ),
                ));
            }
            None => {
                return Some(Breach::at(
                    events,
                    i,
                    format!("{} chose leader znode {chose} of none", e.node),
                ));
            }
            _ => {}
        }
    }
    None
}
