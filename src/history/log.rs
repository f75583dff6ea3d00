//! The log itself: an event stamped with its time and node, the shared append-only history
//! actors record into, and its fingerprint (the one-line form is in `text.rs`).

use super::EventKind;
use crate::hash::Fnv;
use serde::{Deserialize, Serialize};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

/// One event: when, where, what.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Event {
    /// Simulated time since the run started, in microseconds.
    pub at_us: u64,
    /// The node that recorded it (`master-0`, `zookeeper`, `harness`, ...).
    pub node: String,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

impl Event {
    /// Simulated time in milliseconds.
    pub fn at_ms(&self) -> f64 {
        self.at_us as f64 / 1000.0
    }
}

impl Event {
    /// An event at time 0 recorded by `node`: what unit tests build histories from.
    #[cfg(test)]
    pub(crate) fn test(node: &str, kind: EventKind) -> Event {
        Event {
            at_us: 0,
            node: node.into(),
            kind,
        }
    }
}

/// Simulated time since the run began, in microseconds: the clock every event is stamped with
/// (0 outside a simulation).
pub fn now_us() -> u64 {
    madsim::time::TimeHandle::try_current()
        .map(|t| t.elapsed().as_micros() as u64)
        .unwrap_or(0)
}

/// A shared, append-only event log. Cloning shares it.
#[derive(Clone, Default)]
pub struct History(Arc<Mutex<Vec<Event>>>);

impl History {
    /// Records an event at the current simulated time.
    pub fn record(&self, node: &str, kind: EventKind) {
        let event = Event {
            at_us: now_us(),
            node: node.to_string(),
            kind,
        };
        tracing::debug!(target: "ftsim::history", "{}", event.compact());
        self.0.lock().unwrap().push(event);
    }

    /// A copy of every event so far.
    pub fn events(&self) -> Vec<Event> {
        self.0.lock().unwrap().clone()
    }

    /// Reads the events so far without copying them.
    pub fn with_events<R>(&self, f: impl FnOnce(&[Event]) -> R) -> R {
        f(&self.0.lock().unwrap())
    }

    /// Takes the events out, leaving the log empty.
    pub fn take(&self) -> Vec<Event> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// The fingerprint of a run: a hash of every event in order.
pub fn history_hash(events: &[Event]) -> u64 {
    let mut h = Fnv::default();
    events.hash(&mut h);
    h.finish()
}
