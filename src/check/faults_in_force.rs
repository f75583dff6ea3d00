//! Which injected faults are in force at each point of a history: applied by the nemesis and not
//! yet undone. Checkers that judge how a component reacted to a fault (an effect it recorded while
//! the fault was in force, ZooKeeper's sessions while its quorum was lost) walk the history with
//! one of these, from the nemesis's `Fault` events alone.

use crate::history::{Event, EventKind};
use std::collections::BTreeMap;

/// Faults in force, by kind and target node ("" for a fault with no target node).
#[derive(Default)]
pub struct FaultsInForce<'a> {
    count: BTreeMap<(&'a str, &'a str), u32>,
}

impl<'a> FaultsInForce<'a> {
    /// Takes one event into account (only `Fault` events change what is in force).
    pub fn step(&mut self, e: &'a Event) {
        let EventKind::Fault {
            kind,
            nodes,
            healed,
            ..
        } = &e.kind
        else {
            return;
        };
        let targets: Vec<&str> = if nodes.is_empty() {
            vec![""]
        } else {
            nodes.iter().map(String::as_str).collect()
        };
        for node in targets {
            let n = self.count.entry((kind, node)).or_default();
            *n = if *healed { n.saturating_sub(1) } else { *n + 1 };
        }
    }

    /// A fault of `kind` is in force on `node`, or on the whole cluster.
    pub fn on(&self, kind: &str, node: &str) -> bool {
        let n = |node| self.count.get(&(kind, node)).copied().unwrap_or(0);
        n(node) > 0 || n("") > 0
    }

    /// A fault of `kind` is in force anywhere.
    pub fn any(&self, kind: &str) -> bool {
        self.count.iter().any(|((k, _), n)| *k == kind && *n > 0)
    }
}
