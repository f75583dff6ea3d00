//! The primary's worker registry and block locations (DefaultBlockMaster's worker infos). None
//! of it is journaled: a new primary starts empty, tells workers it does not know to register
//! again, and rebuilds each worker's capacity, used bytes and blocks from their registrations and
//! heartbeats. A block the master has no metadata for is scheduled for removal from the worker
//! that reports it (the Free command), as Alluxio's `processWorkerAddedBlocks` does.

use crate::history::now_us;
use crate::op::{BlockId, WorkerInfo};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

struct Registered {
    worker: String,
    /// When this master last heard from the worker (registration or heartbeat), in the
    /// history's microseconds.
    last_heard_us: u64,
    capacity_bytes: u64,
    used_bytes: u64,
    /// The blocks this master knows the worker holds: its locations.
    blocks: BTreeSet<BlockId>,
    /// Blocks the worker is to remove, sent with every heartbeat answer until it reports them
    /// removed.
    to_free: BTreeSet<BlockId>,
}

impl Registered {
    /// Takes the reported blocks: those with metadata are located here, the others freed.
    fn report(&mut self, blocks: &[BlockId], known: &dyn Fn(BlockId) -> bool) {
        for &b in blocks {
            if known(b) {
                self.blocks.insert(b);
            } else {
                self.to_free.insert(b);
            }
        }
    }
}

/// What a registration carries besides the worker's id.
pub struct Registration<'a> {
    pub worker: String,
    pub capacity_bytes: u64,
    pub used_bytes: u64,
    pub blocks: &'a [BlockId],
}

#[derive(Default)]
pub struct Registry {
    workers: BTreeMap<u64, Registered>,
    /// Next id when ids are sequential (bug B7).
    next_sequential: u64,
    /// Ids this master handed out: a registration must bring one of them (or an id registered
    /// here), as Alluxio's `workerRegister` refuses a worker it does not know.
    issued: BTreeSet<u64>,
}

impl Registry {
    /// A sequential id: restarts at 1 on every new primary (bug B7).
    pub fn sequential_id(&mut self) -> u64 {
        self.next_sequential += 1;
        self.next_sequential
    }

    /// An id handed out to a worker, which may now register under it.
    pub fn issue(&mut self, id: u64) {
        self.issued.insert(id);
    }

    /// Whether a registration under `id` is one this master can take.
    pub fn may_register(&self, id: u64) -> bool {
        self.issued.contains(&id) || self.workers.contains_key(&id)
    }

    /// Registers worker `id`. A registration of an id already registered here (a retried
    /// registration, its first attempt having taken effect) merges its block list with what the
    /// master knows, so blocks the worker committed or reported since the list was taken keep
    /// their location; with `replace` (bug B21) the list and its used bytes replace them, as
    /// `MasterWorkerInfo.register` does ("assume the new block ownership data is more
    /// up-to-date").
    pub fn register(
        &mut self,
        id: u64,
        r: Registration,
        known: &dyn Fn(BlockId) -> bool,
        replace: bool,
    ) {
        let again = self.workers.contains_key(&id);
        let w = self.workers.entry(id).or_insert_with(|| Registered {
            worker: r.worker.clone(),
            last_heard_us: 0,
            capacity_bytes: 0,
            used_bytes: 0,
            blocks: BTreeSet::new(),
            to_free: BTreeSet::new(),
        });
        w.worker = r.worker;
        w.last_heard_us = now_us();
        w.capacity_bytes = r.capacity_bytes;
        // A registration sent again may be older than the heartbeats and commits since: merging,
        // the master keeps the used bytes it has (the next heartbeat brings them up to date).
        if !again || replace {
            w.used_bytes = r.used_bytes;
        }
        if replace {
            let listed: BTreeSet<BlockId> = r.blocks.iter().copied().collect();
            w.blocks.retain(|b| listed.contains(b));
        }
        w.report(r.blocks, known);
    }

    /// Records a heartbeat: its used bytes, the blocks removed (no longer located there, nor to
    /// be freed) and added. `None` if the id is unknown; else the blocks the worker is to free.
    pub fn heartbeat(
        &mut self,
        id: u64,
        used_bytes: u64,
        added: &[BlockId],
        removed: &[BlockId],
        known: &dyn Fn(BlockId) -> bool,
    ) -> Option<Vec<BlockId>> {
        let w = self.workers.get_mut(&id)?;
        w.last_heard_us = now_us();
        w.used_bytes = used_bytes;
        for b in removed {
            w.blocks.remove(b);
            w.to_free.remove(b);
        }
        w.report(added, known);
        Some(w.to_free.iter().copied().collect())
    }

    /// A commit from worker `id` arrives, with the worker's used bytes: whether the worker is
    /// registered, and if so it is heard from now and its used bytes taken now, before the
    /// commit's journal flush, as `DefaultBlockMaster.commitBlock` updates both inside its
    /// journal context. A flush that takes seconds must move neither: not the time the master
    /// last heard the worker past when it did, nor the used bytes over the newer ones the
    /// worker's heartbeats brought meanwhile.
    pub fn commit_arrived(&mut self, id: u64, used_bytes: u64) -> bool {
        let w = self.workers.get_mut(&id);
        let known = w.is_some();
        if let Some(w) = w {
            w.last_heard_us = now_us();
            w.used_bytes = used_bytes;
        }
        known
    }

    /// A block the worker committed, its metadata journaled: located there from now on.
    pub fn committed(&mut self, id: u64, block: BlockId) {
        if let Some(w) = self.workers.get_mut(&id) {
            w.blocks.insert(block);
        }
    }

    /// The blocks of deleted files: no longer located anywhere, and freed on the workers that
    /// held them.
    pub fn free(&mut self, blocks: &[BlockId]) {
        for w in self.workers.values_mut() {
            for b in blocks {
                if w.blocks.remove(b) {
                    w.to_free.insert(*b);
                }
            }
        }
    }

    /// The workers that hold `block`, by node name, sorted.
    pub fn locations(&self, block: BlockId) -> Vec<String> {
        let mut out: Vec<String> = self
            .workers
            .values()
            .filter(|w| w.blocks.contains(&block))
            .map(|w| w.worker.clone())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Every registered worker with its capacity and used bytes, by id.
    pub fn infos(&self) -> Vec<WorkerInfo> {
        self.workers
            .iter()
            .map(|(id, w)| WorkerInfo {
                id: *id,
                worker: w.worker.clone(),
                capacity_bytes: w.capacity_bytes,
                used_bytes: w.used_bytes,
            })
            .collect()
    }

    /// Removes and returns the workers silent for longer than `timeout`, each with when it was
    /// last heard.
    pub fn remove_lost(&mut self, timeout: Duration) -> Vec<(u64, u64)> {
        let now = now_us();
        let timeout_us = timeout.as_micros() as u64;
        let lost: Vec<(u64, u64)> = self
            .workers
            .iter()
            .filter(|(_, w)| now - w.last_heard_us > timeout_us)
            .map(|(id, w)| (*id, w.last_heard_us))
            .collect();
        for (id, _) in &lost {
            self.workers.remove(id);
        }
        lost
    }

    pub fn list(&self) -> Vec<(u64, String)> {
        self.workers
            .iter()
            .map(|(id, w)| (*id, w.worker.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registration(blocks: &[BlockId]) -> Registration<'_> {
        Registration {
            worker: "worker-0".into(),
            capacity_bytes: 100,
            used_bytes: 10,
            blocks,
        }
    }

    /// A retried registration whose list was taken before a block was reported keeps that block
    /// located (merge); bug B21's replace drops it. Unknown blocks are freed either way, and a
    /// deleted file's blocks are freed where they were.
    #[test]
    fn a_stale_registration_merges_and_unknown_blocks_are_freed() {
        for replace in [false, true] {
            let mut r = Registry::default();
            r.register(1, registration(&[10]), &|_| true, replace);
            let free = r.heartbeat(1, 20, &[11], &[], &|b| b != 12).unwrap();
            assert!(free.is_empty());
            r.register(1, registration(&[10, 12]), &|b| b != 12, replace);
            assert_eq!(r.locations(11).is_empty(), replace, "replace {replace}");
            assert_eq!(r.heartbeat(1, 20, &[], &[], &|_| true), Some(vec![12]));
            r.free(&[10]);
            assert!(r.locations(10).is_empty());
            assert_eq!(r.heartbeat(1, 20, &[], &[12], &|_| true), Some(vec![10]));
        }
    }

    /// Bug B7's ids are as the catalogue states them (PROTOCOL.md: sequential, restarting at the
    /// new primary): 1, 2, 3 from each registry, and a new primary's registry starts at 1 again,
    /// so the ids it hands out are the ones its predecessor's workers still hold.
    #[test]
    fn sequential_ids_count_from_one_in_every_registry() {
        let mut old_primary = Registry::default();
        let ids: Vec<u64> = (0..3).map(|_| old_primary.sequential_id()).collect();
        assert_eq!(ids, [1, 2, 3]);
        assert_eq!(Registry::default().sequential_id(), 1);
    }

    /// A worker is lost when it has been silent for longer than the timeout, as Alluxio's lost
    /// worker detection compares (`lastUpdate > masterWorkerTimeoutMs`): silent for exactly the
    /// timeout it is kept, and one microsecond more loses it. The clock is advanced by hand, within
    /// one poll, so that no scheduling noise moves it off the boundary.
    #[test]
    fn a_worker_is_lost_only_after_its_whole_timeout() {
        let timeout = Duration::from_millis(5_000);
        let lost = crate::sim::simulate(1, None, move || async move {
            let mut registry = Registry::default();
            registry.issue(7);
            let r = Registration {
                worker: "worker-0".into(),
                capacity_bytes: 10,
                used_bytes: 0,
                blocks: &[],
            };
            registry.register(7, r, &|_| true, false);
            let mut lost = vec![];
            for wait in [timeout, Duration::from_micros(1)] {
                madsim::time::advance(wait);
                lost.push(registry.remove_lost(timeout));
            }
            lost
        })
        .unwrap();
        assert_eq!(
            lost,
            [vec![], vec![(7, 0)]],
            "kept at its timeout, lost just after"
        );
    }
}
