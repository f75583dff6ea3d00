//! The primary's worker registry. It is not journaled: a new primary starts empty and tells
//! workers it does not know to register again.

use crate::history::now_us;
use std::collections::BTreeMap;
use std::time::Duration;

struct Registered {
    worker: String,
    /// When this master last heard from the worker (registration or heartbeat), in the
    /// history's microseconds.
    last_heard_us: u64,
}

#[derive(Default)]
pub struct Registry {
    workers: BTreeMap<u64, Registered>,
    /// Next id when ids are sequential (bug B7).
    next_sequential: u64,
}

impl Registry {
    /// A sequential id: restarts at 1 on every new primary (bug B7).
    pub fn sequential_id(&mut self) -> u64 {
        self.next_sequential += 1;
        self.next_sequential
    }

    pub fn register(&mut self, id: u64, worker: String) {
        self.workers.insert(
            id,
            Registered {
                worker,
                last_heard_us: now_us(),
            },
        );
    }

    /// Records a heartbeat; false if the id is unknown.
    pub fn heartbeat(&mut self, id: u64) -> bool {
        match self.workers.get_mut(&id) {
            Some(w) => {
                w.last_heard_us = now_us();
                true
            }
            None => false,
        }
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
            registry.register(7, "worker-0".into());
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
