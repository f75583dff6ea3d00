//! Worker registry (Eventually): once the cluster settles, the primary knows every worker that
//! is up, each under its own id.
//!
//! 1. Within one primary's term no worker id is registered by two different workers (an id
//!    credited to the wrong worker: bug B7's sequential ids restarting at a new primary).
//! 2. At the end, every worker that is up (it has not exited or crashed since it last started)
//!    is registered with the final primary in its final term, and not marked lost since (a
//!    worker that stays up but silent, bug B13, or one whose heartbeats are credited to another).
//! 3. A worker exits only once it has gone without a successful registration or heartbeat for
//!    longer than `worker.block.heartbeat.timeout`, and its account of that silence agrees with
//!    the registrations it recorded (a worker that gives up early takes itself out of a cluster
//!    that was about to recover).
//! 4. A worker whose call fails and that stays up has been silent no longer than that timeout,
//!    by the same account (a worker that outlives its timeout: the primary has long marked it
//!    lost, and it serves blocks nobody can find).
//! 5. A primary answers its worker list only once its safe mode is over,
//!    `master.worker.connect.wait.time` after it became primary: before then workers are still
//!    registering again, and a client writing a block would be told of too few.

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

/// The first breach of `worker_registry` in `events`, if any.
pub fn check(events: &[Event], options: &Options) -> Option<Breach> {
    let fail = |i: usize, detail: String| Some(Breach::at(events, i, detail));

    // Rule 1: per (master, term), worker id -> worker. Rule 3: per worker, its last registration.
    let timeout_us = options.worker_block_heartbeat_timeout_ms * 1000;
    let mut registered_at: BTreeMap<&str, u64> = BTreeMap::new();
    let mut term_of: BTreeMap<&str, u64> = BTreeMap::new();
    let mut ids: BTreeMap<(&str, u64, u64), &str> = BTreeMap::new();
    // Rule 5: per master, when it last became primary.
    let wait_us = options.master_worker_connect_wait_time_ms * 1000;
    let mut promoted_at: BTreeMap<&str, u64> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        match &e.kind {
            EventKind::BecamePrimary { term, .. } => {
                term_of.insert(&e.node, *term);
                promoted_at.insert(&e.node, e.at_us);
            }
            EventKind::HealWorkerList { workers: Some(_) }
            | EventKind::FinalWorkerList { workers: Some(_) } => {
                let since = promoted_at.get(e.node.as_str()).copied();
                if let Some(since) = since.filter(|&at| e.at_us < at + wait_us) {
                    return fail(
                        i,
                        format!(
                            "{} answered its worker list {:.3} ms after it became primary, in its \
                             safe mode (master.worker.connect.wait.time {} ms)",
                            e.node,
                            (e.at_us - since) as f64 / 1000.0,
                            options.master_worker_connect_wait_time_ms
                        ),
                    );
                }
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
    // The workers that are up (neither exited nor crashed since their last start), with the id
    // the final primary registered them under: rule 5 looks for them in its worker list.
    let mut live: Vec<(String, u64)> = vec![];
    for worker in (0..options.workers).map(|i| Role::Worker(i).name()) {
        let down = events[..end]
            .iter()
            .rev()
            .find_map(|e| match e.kind {
                EventKind::WorkerExit { .. } | EventKind::NodeCrash if e.node == worker => {
                    Some(true)
                }
                EventKind::NodeRestart if e.node == worker => Some(false),
                _ => None,
            })
            .unwrap_or(false);
        if down {
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
                .any(|e| e.node == primary && matches!(e.kind, EventKind::WorkerLost { worker_id, .. } if worker_id == id))
        });
        match registered {
            Some(id) if !lost_since => live.push((worker, id)),
            _ => {
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
                )
            }
        }
    }
    final_list(events, options, primary, term_start, end, &live)
}

/// Rule 5: the worker list the final primary gives at the end (what a client writing a block is
/// told) once its safe mode is over: every worker in it registered with this primary in its
/// final term under that id and not lost since, each once; every worker that is up is in it
/// under the id it last registered; and no worker that went down (crashed or exited) more than
/// `master.worker.timeout` and two lost-worker checks before, counted from the heal, is in it.
fn final_list(
    events: &[Event],
    options: &Options,
    primary: &str,
    term_start: usize,
    end: usize,
    live: &[(String, u64)],
) -> Option<Breach> {
    let (at, listed) = events[end..]
        .iter()
        .enumerate()
        .find_map(|(i, e)| match &e.kind {
            EventKind::FinalWorkerList { workers } if e.node == primary => Some((end + i, workers)),
            _ => None,
        })?;
    let fail = |detail: String| Some(Breach::at(events, at, detail));
    let probe_us = events[at].at_us;
    let safe_mode_end =
        events[term_start].at_us + options.master_worker_connect_wait_time_ms * 1000;
    let Some(listed) = listed else {
        return (probe_us >= safe_mode_end).then(|| {
            Breach::at(
                events,
                at,
                format!(
                    "the final primary {primary} refused its worker list {:.3} ms after its safe \
                     mode ended",
                    (probe_us - safe_mode_end) as f64 / 1000.0
                ),
            )
        });
    };
    let term = &events[term_start..end];
    // Per (id, worker): where this primary last registered it in the term, and whether it has
    // marked that id lost since.
    let registered = |id: u64, worker: &str| {
        term.iter().rposition(|e| {
            e.node == primary
                && matches!(&e.kind, EventKind::WorkerRegistered { worker_id, worker: w } if *worker_id == id && w == worker)
        })
    };
    let lost_after = |id: u64, from: usize| {
        term[from..].iter().any(|e| {
            e.node == primary
                && matches!(e.kind, EventKind::WorkerLost { worker_id, .. } if worker_id == id)
        })
    };
    let heal = events
        .iter()
        .find(|e| matches!(&e.kind, EventKind::Phase { name } if name == "liveness"))
        .map_or(0, |e| e.at_us);
    let mut seen = std::collections::BTreeSet::new();
    for (id, worker) in listed {
        if !seen.insert(*id) {
            return fail(format!("{primary}'s worker list holds id {id} twice"));
        }
        let Some(r) = registered(*id, worker) else {
            return fail(format!(
                "{primary}'s worker list holds {worker} under id {id}, which it never registered in its final term"
            ));
        };
        if lost_after(*id, r) {
            return fail(format!(
                "{primary}'s worker list holds {worker} under id {id}, which it had marked lost"
            ));
        }
        // Down since: the first crash or exit of the worker after this registration.
        let down = term[r..].iter().find(|e| {
            e.node == *worker
                && matches!(e.kind, EventKind::NodeCrash | EventKind::WorkerExit { .. })
        });
        if let Some(d) = down {
            let due = d.at_us.max(heal)
                + (options.master_worker_timeout_ms
                    + 2 * options.master_lost_worker_detection_interval_ms)
                    * 1000;
            if probe_us > due {
                return fail(format!(
                    "{primary}'s worker list still holds {worker} under id {id}, down since \
                     {:.3} ms: master.worker.timeout ({} ms) and two lost-worker checks have passed",
                    d.at_us as f64 / 1000.0,
                    options.master_worker_timeout_ms
                ));
            }
        }
    }
    // Every worker that is up, under the id it registered (rule 2 found it registered).
    if let Some((worker, id)) = live
        .iter()
        .find(|(w, id)| !listed.iter().any(|(i, l)| i == id && l == w))
    {
        return fail(format!(
            "{primary}'s worker list lacks {worker} (id {id}), which is up and registered"
        ));
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
