//! Worker registry (Eventually): once the cluster settles, the primary knows every worker that
//! is up, each under its own id.
//!
//! 1. Within one primary's term no worker id is registered by two different workers (an id
//!    credited to the wrong worker: bug B7's sequential ids restarting at a new primary).
//! 2. At the end, every worker that did not exit is registered with the final primary in its
//!    final term, and not marked lost since (a worker that stays up but silent, bug B13, or one
//!    whose heartbeats are credited to another).
//! 3. A worker exits only once it has gone without a successful registration or heartbeat for
//!    longer than `worker.block.heartbeat.timeout`, and its account of that silence agrees with
//!    the registrations it recorded (a worker that gives up early takes itself out of a cluster
//!    that was about to recover).
//! 4. A worker whose call fails and that stays up has been silent no longer than that timeout,
//!    by the same account (a worker that outlives its timeout: the primary has long marked it
//!    lost, and it serves blocks nobody can find).

use super::{Breach, Check, Property};
use crate::history::{Event, EventKind};
use crate::net::Role;
use crate::options::Options;
use std::collections::BTreeMap;

/// The property, as the table in [`super::PROPERTIES`] lists it.
pub const PROPERTY: Property = Property {
    name: "worker_registry",
    check: Check::Eventually(check),
};

pub fn check(events: &[Event], options: &Options) -> Option<Breach> {
    let fail = |i: usize, detail: String| Some(Breach::at(events, i, detail));

    // Rule 1: per (master, term), worker id -> worker. Rule 3: per worker, its last registration.
    let timeout_us = options.worker_block_heartbeat_timeout_ms * 1000;
    let mut registered_at: BTreeMap<&str, u64> = BTreeMap::new();
    let mut term_of: BTreeMap<&str, u64> = BTreeMap::new();
    let mut ids: BTreeMap<(&str, u64, u64), &str> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        match &e.kind {
            EventKind::BecamePrimary { term, .. } => {
                term_of.insert(&e.node, *term);
            }
            EventKind::WorkerRegistered { worker_id, worker } => {
                let term = term_of.get(e.node.as_str()).copied().unwrap_or(0);
                let first = *ids.entry((&e.node, term, *worker_id)).or_insert(worker);
                if first != worker {
                    return fail(
                        i,
                        format!(
                            "{} registered worker id {worker_id} for {worker}, already {first}'s in term {term}",
                            e.node
                        ),
                    );
                }
            }
            EventKind::WorkerGotId { .. } => {
                registered_at.insert(&e.node, e.at_us);
            }
            EventKind::WorkerCallFailed { silent_us } => {
                if *silent_us > timeout_us {
                    return fail(
                        i,
                        format!(
                            "{} stayed up after {:.3} ms without a successful call, past its heartbeat timeout of {} ms",
                            e.node,
                            *silent_us as f64 / 1000.0,
                            options.worker_block_heartbeat_timeout_ms
                        ),
                    );
                }
                if let Some(breach) = silence_disagrees(events, i, *silent_us, &registered_at) {
                    return Some(breach);
                }
            }
            EventKind::WorkerExit { silent_us } => {
                if *silent_us <= timeout_us {
                    return fail(
                        i,
                        format!(
                            "{} exited after {:.3} ms without a successful call, within its heartbeat timeout of {} ms",
                            e.node,
                            *silent_us as f64 / 1000.0,
                            options.worker_block_heartbeat_timeout_ms
                        ),
                    );
                }
                if let Some(breach) = silence_disagrees(events, i, *silent_us, &registered_at) {
                    return Some(breach);
                }
            }
            _ => {}
        }
    }

    // Rule 2, over the final phase.
    let final_phase = events
        .iter()
        .position(|e| matches!(&e.kind, EventKind::Phase { name } if name == "final"))?;
    let (end, primary) = events
        .iter()
        .enumerate()
        .skip(final_phase)
        .rev()
        .find_map(|(i, e)| match e.kind {
            EventKind::FinalState { primary: true, .. } => Some((i, e.node.as_str())),
            _ => None,
        })?;
    let term_start = events[..end]
        .iter()
        .rposition(|e| e.node == primary && matches!(e.kind, EventKind::BecamePrimary { .. }))?;
    for worker in (0..options.workers).map(|i| Role::Worker(i).name()) {
        let exited = events
            .iter()
            .rev()
            .find_map(|e| match e.kind {
                EventKind::WorkerExit { .. } if e.node == worker => Some(true),
                EventKind::NodeRestart if e.node == worker => Some(false),
                _ => None,
            })
            .unwrap_or(false);
        if exited {
            continue;
        }
        let registered = events[term_start..end]
            .iter()
            .rev()
            .find_map(|e| match &e.kind {
                EventKind::WorkerRegistered {
                    worker_id,
                    worker: w,
                } if e.node == primary && *w == worker => Some(*worker_id),
                _ => None,
            });
        let lost_since = registered.is_some_and(|id| {
            let at = events[term_start..end].iter().rposition(|e| {
                e.node == primary
                    && matches!(&e.kind, EventKind::WorkerRegistered { worker_id, worker: w } if *worker_id == id && *w == worker)
            });
            events[term_start..end]
                .iter()
                .skip(at.unwrap_or(0))
                .any(|e| e.node == primary && matches!(e.kind, EventKind::WorkerLost { worker_id } if worker_id == id))
        });
        if registered.is_none() || lost_since {
            return fail(
                final_phase,
                format!(
                    "{worker} is up but {} with the final primary {primary}",
                    if lost_since {
                        "was marked lost since it registered"
                    } else {
                        "never registered"
                    }
                ),
            );
        }
    }
    None
}

/// Rules 3 and 4: a worker's account of its silence must not reach back past its last
/// registration.
fn silence_disagrees(
    events: &[Event],
    i: usize,
    silent_us: u64,
    registered_at: &BTreeMap<&str, u64>,
) -> Option<Breach> {
    let e = &events[i];
    let last = registered_at.get(e.node.as_str()).copied().unwrap_or(0);
    (e.at_us.saturating_sub(silent_us) < last).then(|| {
        Breach::at(
            events,
            i,
            format!(
                "{} said it had been silent for {:.3} ms, but it registered {:.3} ms before",
                e.node,
                silent_us as f64 / 1000.0,
                (e.at_us - last) as f64 / 1000.0
            ),
        )
    })
}
