//! The storage faults the nemesis switches on and off (flushes failing or slow, renames failing),
//! and the record the UFS makes each time one takes effect.

use crate::fault::FaultKind;
use crate::history::{EventKind, History};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// Storage faults the nemesis switches on and off; the UFS records each time one takes effect.
#[derive(Clone)]
pub struct UfsFaults(Arc<Mutex<FaultState>>, History);

#[derive(Default)]
struct FaultState {
    /// Nodes whose flushes fail.
    flush_fail: BTreeSet<String>,
    /// Nodes whose flushes take this much longer.
    flush_delay_ms: BTreeMap<String, u64>,
    /// Renames fail.
    rename_fail: bool,
}

impl UfsFaults {
    /// No faults yet; their effects are recorded in `history`.
    pub fn new(history: History) -> Self {
        UfsFaults(Arc::default(), history)
    }

    /// Records that `fault` took effect on `node`.
    pub(super) fn took_effect(&self, fault: FaultKind, node: &str) {
        self.1.record(
            "ufs",
            EventKind::FaultTookEffect {
                fault,
                node: node.into(),
            },
        );
    }

    /// Flushes by `node` fail (`true`) or work again (`false`).
    pub fn set_flush_fail(&self, node: &str, on: bool) {
        let mut f = self.0.lock().unwrap();
        if on {
            f.flush_fail.insert(node.into());
        } else {
            f.flush_fail.remove(node);
        }
    }

    /// Flushes by `node` take `delay_ms` longer (0 undoes it).
    pub fn set_flush_delay(&self, node: &str, delay_ms: u64) {
        let mut f = self.0.lock().unwrap();
        if delay_ms == 0 {
            f.flush_delay_ms.remove(node);
        } else {
            f.flush_delay_ms.insert(node.into(), delay_ms);
        }
    }

    /// How much longer `node`'s flushes take, if a delay is in force.
    pub(super) fn flush_delay_ms(&self, node: &str) -> Option<u64> {
        self.0.lock().unwrap().flush_delay_ms.get(node).copied()
    }

    /// Whether `node`'s flushes fail.
    pub(super) fn flush_fails(&self, node: &str) -> bool {
        self.0.lock().unwrap().flush_fail.contains(node)
    }

    /// Whether renames fail.
    pub(super) fn renames_fail(&self) -> bool {
        self.0.lock().unwrap().rename_fail
    }

    /// The history the UFS records into.
    pub(super) fn history(&self) -> &History {
        &self.1
    }

    /// Renames fail (`true`) or work again.
    pub fn set_rename_fail(&self, on: bool) {
        self.0.lock().unwrap().rename_fail = on;
    }
}

/// The node of a lease holder (`master-1#3` is master-1's third incarnation).
pub(super) fn node_of(holder: &str) -> &str {
    holder.split('#').next().unwrap_or(holder)
}
