//! Block locations (Always): what a primary says of where blocks are agrees with what the workers
//! hold.
//!
//! Block locations live in the primary's memory only, rebuilt from the workers' registrations
//! and heartbeats, so a primary learns of a change a heartbeat late, or, for a worker it no longer
//! hears, once it marks it lost. Read from the client calls' answers and the workers' own events:
//! 1. a block-location answer names, for each block, only workers that hold it (and are up), or
//!    that stopped holding it (removed it, or went down) no longer ago than the report bound:
//!    `master.worker.timeout`, two lost-worker checks, a heartbeat interval and an RPC deadline,
//!    time the master, the worker or the client spent paused not counted; a worker that never
//!    held the block is never named;
//! 2. a primary answers block locations, and the worker report, only once its safe mode is over
//!    (`master.worker.connect.wait.time` after it became primary): until then the workers are
//!    still registering again, and a reader would be told of no location for blocks that have
//!    one;
//! 3. a primary that acknowledged a worker's commit of a block names that worker for the block in
//!    every answer to a call invoked after the acknowledgement, in the same term, while the worker
//!    still holds it, is up, and has neither been marked lost by that primary nor registered with
//!    it under another id since (a registration that drops what the worker committed loses the
//!    block's only location).

use super::holdings::{report_bound_us, Holdings};
use super::{Breach, Check, Property};
use crate::history::{Event, EventKind};
use crate::op::FsReply;
use crate::options::Options;
use std::collections::{BTreeMap, BTreeSet};

/// The property, as the table in [`super::PROPERTIES`] lists it.
pub const PROPERTY: Property = Property {
    name: "block_locations",
    check: Check::Always(check),
};

/// The first breach of `block_locations` in `events`, if any.
pub fn check(events: &[Event], options: &Options) -> Option<Breach> {
    let mut holdings = Holdings::new(options);
    let bound_us = report_bound_us(options);
    let wait_us = options.master_worker_connect_wait_time_ms * 1000;
    let mut promoted_at: BTreeMap<&str, u64> = BTreeMap::new();
    let mut commits = Commits::default();
    for (i, e) in events.iter().enumerate() {
        holdings.step(e);
        commits.step(e);
        let fail = |detail: String| Some(Breach::at(events, i, detail));
        match &e.kind {
            EventKind::BecamePrimary { .. } => {
                promoted_at.insert(&e.node, e.at_us);
            }
            EventKind::Ok {
                op_id, by, reply, ..
            } if matches!(reply, FsReply::Blocks(_) | FsReply::Workers(_)) => {
                if let Some(&at) = promoted_at.get(by.as_str()) {
                    if e.at_us < at + wait_us {
                        return fail(format!(
                            "{by} answered call {op_id:#x} of {} {:.3} ms after it became \
                             primary, in its safe mode (master.worker.connect.wait.time {} ms)",
                            e.node,
                            (e.at_us - at) as f64 / 1000.0,
                            options.master_worker_connect_wait_time_ms
                        ));
                    }
                }
                let FsReply::Blocks(blocks) = reply else {
                    continue;
                };
                let invoked = commits.invoked_at.get(op_id).copied().unwrap_or(0);
                for b in blocks {
                    for (w, acked) in commits.located(by, b.block_id) {
                        if acked < invoked
                            && holdings.serves(w, b.block_id)
                            && !b.workers.iter().any(|x| x == w)
                        {
                            return fail(format!(
                                "{by} told {} that block {:#x} is on {:?}; {by} acknowledged \
                                 {w}'s commit of it at {:.3} ms, and {w} still holds it",
                                e.node,
                                b.block_id,
                                b.workers,
                                acked as f64 / 1000.0
                            ));
                        }
                    }
                    for w in &b.workers {
                        if holdings.serves(w, b.block_id) {
                            continue;
                        }
                        if !holdings.ever_held(w, b.block_id) {
                            return fail(format!(
                                "{by} told {} that {w} holds block {:#x}, which {w} never held",
                                e.node, b.block_id
                            ));
                        }
                        let stopped = holdings.stopped_serving(w, b.block_id).unwrap_or(0);
                        let nodes = [by.as_str(), w.as_str(), e.node.as_str()];
                        if stopped < holdings.window_start(&nodes, e.at_us, bound_us) {
                            return fail(format!(
                                "{by} told {} that {w} holds block {:#x}, which {w} stopped \
                                 serving at {:.3} ms, more than the report bound of {} ms before",
                                e.node,
                                b.block_id,
                                stopped as f64 / 1000.0,
                                bound_us / 1000
                            ));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// A worker whose commit a master acknowledged: the worker, when, and its id then.
type Ack<'a> = (&'a str, u64, u64);

/// Rule 3's account: per primary, the workers whose commits it acknowledged in its current term,
/// and under which id it had them registered.
#[derive(Default)]
struct Commits<'a> {
    /// When each call was invoked.
    invoked_at: BTreeMap<u64, u64>,
    /// The block each open commit call commits.
    committing: BTreeMap<u64, u64>,
    /// (master, worker) -> the id the master last registered the worker under, this term.
    ids: BTreeMap<(&'a str, &'a str), u64>,
    /// (master, block) -> the workers whose commit of it the master acknowledged, with when,
    /// and the id they were registered under then.
    acked: BTreeMap<(&'a str, u64), Vec<Ack<'a>>>,
    /// Ids each master marked lost this term.
    lost: BTreeSet<(&'a str, u64)>,
}

impl<'a> Commits<'a> {
    fn step(&mut self, e: &'a Event) {
        match &e.kind {
            EventKind::Invoke { op_id, op } => {
                self.invoked_at.insert(*op_id, e.at_us);
                if let crate::op::FsOp::CommitBlock { block_id, .. } = op {
                    self.committing.insert(*op_id, *block_id);
                }
            }
            EventKind::Ok { op_id, by, .. } => {
                if let Some(block) = self.committing.remove(op_id) {
                    if let Some(&id) = self.ids.get(&(by.as_str(), e.node.as_str())) {
                        self.acked.entry((by.as_str(), block)).or_default().push((
                            e.node.as_str(),
                            e.at_us,
                            id,
                        ));
                    }
                }
            }
            EventKind::WorkerRegistered { worker_id, worker } => {
                self.ids
                    .insert((e.node.as_str(), worker.as_str()), *worker_id);
            }
            EventKind::WorkerLost { worker_id, .. } => {
                self.lost.insert((e.node.as_str(), *worker_id));
            }
            // A master's state starts afresh with every term.
            EventKind::BecamePrimary { .. } | EventKind::SteppedDown { .. } => {
                let m = e.node.as_str();
                self.ids.retain(|(n, _), _| *n != m);
                self.acked.retain(|(n, _), _| *n != m);
                self.lost.retain(|(n, _)| *n != m);
            }
            _ => {}
        }
    }

    /// The workers `master` must still name for `block`, with when it acknowledged each: their
    /// id then is still the one it has them under, and not marked lost.
    fn located(&self, master: &str, block: u64) -> Vec<(&'a str, u64)> {
        let Some(acked) = self.acked.get(&(master, block)) else {
            return vec![];
        };
        acked
            .iter()
            .filter(|(w, _, id)| {
                self.ids.get(&(master, *w)) == Some(id) && !self.lost.contains(&(master, *id))
            })
            .map(|(w, at, _)| (*w, *at))
            .collect()
    }
}
