//! Which injected faults are in force at each point of a history: applied by the nemesis and not
//! yet undone. Checkers that judge how a component reacted to a fault (an effect it recorded while
//! the fault was in force, ZooKeeper's sessions while its quorum was lost) walk the history with
//! one of these, from the nemesis's `Fault` events alone.

use crate::fault::FaultKind;
use crate::history::{Event, EventKind};
use crate::net::Role;
use std::collections::BTreeMap;

/// Faults in force, by kind and target node (none for a fault with no target node).
#[derive(Default)]
pub struct FaultsInForce {
    count: BTreeMap<(FaultKind, Option<Role>), u32>,
}

impl FaultsInForce {
    /// Takes one event into account (only `Fault` events change what is in force).
    pub fn step(&mut self, e: &Event) {
        let EventKind::Fault {
            kind,
            nodes,
            healed,
            ..
        } = &e.kind
        else {
            return;
        };
        let targets: Vec<Option<Role>> = if nodes.is_empty() {
            vec![None]
        } else {
            nodes.iter().copied().map(Some).collect()
        };
        for node in targets {
            let n = self.count.entry((*kind, node)).or_default();
            *n = if *healed { n.saturating_sub(1) } else { *n + 1 };
        }
    }

    /// A fault of `kind` is in force on the node named `node`, or on the whole cluster.
    pub fn on(&self, kind: FaultKind, node: &str) -> bool {
        let n = |node| self.count.get(&(kind, node)).copied().unwrap_or(0);
        Role::parse(node).is_some_and(|role| n(Some(role)) > 0) || n(None) > 0
    }

    /// No fault is in force anywhere.
    pub fn none(&self) -> bool {
        self.count.values().all(|n| *n == 0)
    }

    /// A fault of `kind` is in force anywhere.
    pub fn any(&self, kind: FaultKind) -> bool {
        self.count.iter().any(|((k, _), n)| *k == kind && *n > 0)
    }
}
