//! Lost-worker detection (Always): a master marks a worker lost only once that worker has been
//! silent, at that master, for longer than `master.worker.timeout`.
//!
//! Alluxio's lost-worker check compares each worker's last update with the timeout
//! (`lastUpdate > masterWorkerTimeoutMs`); a master that gives up on a worker sooner drops the
//! locations of blocks that are still there. The master records each loss with when it last heard
//! from the worker (its registration or a heartbeat), so:
//! 1. at every loss, the silence from the last-heard time to the loss exceeds the timeout;
//! 2. the worker lost was registered with that master, and the last-heard time lies between its
//!    latest registration there and the loss (a last-heard time the registrations contradict is
//!    a master's view that cannot be).

use super::{Breach, Check, Property};
use crate::history::{Event, EventKind};
use crate::options::Options;
use std::collections::BTreeMap;

/// The property, as the table in [`super::PROPERTIES`] lists it.
pub const PROPERTY: Property = Property {
    name: "lost_workers",
    check: Check::Always(check),
};

/// The first breach of `lost_workers` in `events`, if any.
pub fn check(events: &[Event], options: &Options) -> Option<Breach> {
    let timeout_us = options.master_worker_timeout_ms * 1000;
    // (master, worker id) -> when it last registered there.
    let mut registered: BTreeMap<(&str, u64), u64> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        match &e.kind {
            EventKind::WorkerRegistered { worker_id, .. } => {
                registered.insert((&e.node, *worker_id), e.at_us);
            }
            EventKind::WorkerLost {
                worker_id,
                last_heard_us,
            } => {
                let fail = |detail: String| Some(Breach::at(events, i, detail));
                let Some(since) = registered.remove(&(e.node.as_str(), *worker_id)) else {
                    return fail(format!(
                        "{} marked worker {worker_id} lost, which was not registered with it",
                        e.node
                    ));
                };
                if *last_heard_us < since || *last_heard_us > e.at_us {
                    return fail(format!(
                        "{} marked worker {worker_id} lost, last heard at {:.3} ms, outside its \
                         registration at {:.3} ms to the loss",
                        e.node,
                        *last_heard_us as f64 / 1000.0,
                        since as f64 / 1000.0
                    ));
                }
                let silent = e.at_us - last_heard_us;
                if silent <= timeout_us {
                    return fail(format!(
                        "{} marked worker {worker_id} lost after {:.3} ms of silence; \
                         master.worker.timeout is {} ms",
                        e.node,
                        silent as f64 / 1000.0,
                        options.master_worker_timeout_ms
                    ));
                }
            }
            // A master that stops being primary, or its process, forgets its registry.
            EventKind::SteppedDown { .. }
            | EventKind::MasterExit { .. }
            | EventKind::NodeCrash
            | EventKind::NodeRestart => {
                registered.retain(|(m, _), _| *m != e.node);
            }
            _ => {}
        }
    }
    None
}
