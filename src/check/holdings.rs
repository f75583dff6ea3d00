//! What each worker holds at each point of a history, read from the workers' own events (a block
//! stored, a block removed; a process down from its crash or exit to its restart; its storage
//! survives a restart), and how long a master may take to learn of a change: the block checkers
//! (`block_locations`, `worker_capacity`, `settled_blocks`) judge masters' answers against it.

use crate::history::{Event, EventKind};
use crate::op::BlockId;
use crate::options::Options;
use std::collections::BTreeMap;

/// How long after a worker stopped holding a block (or went down) a master may still name it,
/// in microseconds: the worker reports a removal at its next heartbeat, and a master that hears
/// nothing from it drops it after `master.worker.timeout` and at most two lost-worker checks;
/// one heartbeat interval and one RPC deadline on top. Time the master, the worker or the asking
/// client spent paused is not counted.
pub fn report_bound_us(o: &Options) -> u64 {
    (o.master_worker_timeout_ms
        + 2 * o.master_lost_worker_detection_interval_ms
        + o.worker_block_heartbeat_interval_ms
        + o.user_rpc_attempt_timeout_ms)
        * 1000
}

#[derive(Default)]
struct Worker {
    up: bool,
    /// When it last went down (crash or exit).
    down_at: u64,
    /// Blocks held, with their lengths.
    held: BTreeMap<BlockId, u64>,
    /// When each block no longer held was removed.
    removed_at: BTreeMap<BlockId, u64>,
    /// Its used bytes over time: (from, used), in order.
    used: Vec<(u64, u64)>,
}

/// The workers' holdings as the history has them so far, and when nodes were paused.
#[derive(Default)]
pub struct Holdings {
    workers: BTreeMap<String, Worker>,
    /// Per node, its pauses (from, to); `to` is `u64::MAX` while paused.
    pauses: BTreeMap<String, Vec<(u64, u64)>>,
}

impl Holdings {
    /// Holdings with every worker of `options` up, holding nothing.
    pub fn new(options: &Options) -> Self {
        let mut h = Holdings::default();
        for i in 0..options.workers {
            h.workers.insert(
                crate::net::Role::Worker(i).name(),
                Worker {
                    up: true,
                    used: vec![(0, 0)],
                    ..Worker::default()
                },
            );
        }
        h
    }

    /// Takes one event into account.
    pub fn step(&mut self, e: &Event) {
        match &e.kind {
            EventKind::NodePause => self
                .pauses
                .entry(e.node.clone())
                .or_default()
                .push((e.at_us, u64::MAX)),
            EventKind::NodeResume => {
                if let Some(last) = self.pauses.get_mut(&e.node).and_then(|p| p.last_mut()) {
                    last.1 = e.at_us;
                }
            }
            _ => {}
        }
        let Some(w) = self.workers.get_mut(&e.node) else {
            return;
        };
        match &e.kind {
            EventKind::BlockStored {
                block_id,
                length,
                used_bytes,
            } => {
                w.held.insert(*block_id, *length);
                w.removed_at.remove(block_id);
                w.used.push((e.at_us, *used_bytes));
            }
            EventKind::BlockRemoved {
                block_id,
                used_bytes,
                ..
            } => {
                w.held.remove(block_id);
                w.removed_at.insert(*block_id, e.at_us);
                w.used.push((e.at_us, *used_bytes));
            }
            EventKind::NodeCrash | EventKind::WorkerExit { .. } if w.up => {
                w.up = false;
                w.down_at = e.at_us;
            }
            EventKind::NodeRestart => w.up = true,
            _ => {}
        }
    }

    /// Whether `worker` is up and holds `block` now.
    pub fn serves(&self, worker: &str, block: BlockId) -> bool {
        self.workers
            .get(worker)
            .is_some_and(|w| w.up && w.held.contains_key(&block))
    }

    /// Whether `worker` holds `block` on its storage now, up or not.
    pub fn stores(&self, worker: &str, block: BlockId) -> bool {
        self.workers
            .get(worker)
            .is_some_and(|w| w.held.contains_key(&block))
    }

    /// The workers that hold `block`, up or not.
    pub fn storing(&self, block: BlockId) -> Vec<&str> {
        self.workers
            .iter()
            .filter(|(_, w)| w.held.contains_key(&block))
            .map(|(n, _)| n.as_str())
            .collect()
    }

    /// When `worker` stopped serving `block` (removed it, or went down holding it): `None` while
    /// it serves it, or if it never held it ([`Holdings::ever_held`] tells which).
    pub fn stopped_serving(&self, worker: &str, block: BlockId) -> Option<u64> {
        let w = self.workers.get(worker)?;
        match w.held.contains_key(&block) {
            true if w.up => None,
            true => Some(w.down_at),
            false => w.removed_at.get(&block).copied(),
        }
    }

    /// Whether `worker` ever held `block` (it holds it, or removed it).
    pub fn ever_held(&self, worker: &str, block: BlockId) -> bool {
        self.workers
            .get(worker)
            .is_some_and(|w| w.held.contains_key(&block) || w.removed_at.contains_key(&block))
    }

    /// Whether `worker`'s used bytes were `used` at some time in `[from, to]`.
    pub fn used_within(&self, worker: &str, used: u64, from: u64, to: u64) -> bool {
        let Some(w) = self.workers.get(worker) else {
            return false;
        };
        w.used.iter().enumerate().any(|(i, (at, u))| {
            let until = w.used.get(i + 1).map_or(u64::MAX, |n| n.0);
            *u == used && *at <= to && until >= from
        })
    }

    /// Microseconds of `[from, to)` during which any of `nodes` was paused (their pauses
    /// summed: a bound, not an exact union).
    pub fn paused_within(&self, nodes: &[&str], from: u64, to: u64) -> u64 {
        nodes
            .iter()
            .filter_map(|n| self.pauses.get(*n))
            .flatten()
            .map(|&(p, r)| r.min(to).saturating_sub(p.max(from)))
            .sum()
    }

    /// The start of the window, ending at `to`, in which the nodes were active for `bound_us`
    /// (their paused time added back).
    pub fn window_start(&self, nodes: &[&str], to: u64, bound_us: u64) -> u64 {
        let from = to.saturating_sub(bound_us);
        from.saturating_sub(self.paused_within(nodes, from, to))
    }
}
