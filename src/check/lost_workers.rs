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
//!    a master's view that cannot be);
//! 3. the master's view agrees with the worker's own: a worker told to register again names the
//!    master that last answered it under its old id and when it sent that call (the master heard
//!    it no sooner), so a loss at that master after the call came more than the timeout after it.
//!    A master that never refreshes a worker's last-heard time (rule 1 still holds by its own
//!    clock) breaks this one.

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
    // (master, worker id) -> when it last marked it lost.
    let mut lost: BTreeMap<(&str, u64), u64> = BTreeMap::new();
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
                lost.insert((&e.node, *worker_id), e.at_us);
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
            EventKind::WorkerReregister {
                old_id,
                last_heard: Some((master, sent_us)),
            } => {
                let Some(&at_us) = lost.get(&(master.as_str(), *old_id)) else {
                    continue;
                };
                if at_us >= *sent_us && at_us - sent_us <= timeout_us {
                    return Some(Breach::at(
                        events,
                        i,
                        format!(
                            "{master} marked worker {old_id} lost at {:.3} ms, but {} had sent it a \
                             call at {:.3} ms that it answered: {:.3} ms of silence at most; \
                             master.worker.timeout is {} ms",
                            at_us as f64 / 1000.0,
                            e.node,
                            *sent_us as f64 / 1000.0,
                            (at_us - sent_us) as f64 / 1000.0,
                            options.master_worker_timeout_ms
                        ),
                    ));
                }
            }
            // A master that stops being primary, or its process, forgets its registry.
            EventKind::SteppedDown { .. }
            | EventKind::MasterExit { .. }
            | EventKind::NodeCrash
            | EventKind::NodeRestart => {
                registered.retain(|(m, _), _| *m != e.node);
                lost.retain(|(m, _), _| *m != e.node);
            }
            _ => {}
        }
    }
    None
}
