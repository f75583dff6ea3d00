//! A master's simulated CPU. Work costs simulated time, and a master does one piece of work at a
//! time, so a long journal replay or checkpoint delays its ZooKeeper pings and the RPCs it
//! serves, as a JVM under load does. Costs come from [`crate::options::Options`] (see there for
//! where the default figures come from).

use madsim::time::sleep;
use std::sync::Arc;
use std::time::Duration;

/// One node's CPU: whoever holds it works; everyone else waits their turn (first come, first
/// served).
#[derive(Clone, Default)]
pub struct Cpu(Arc<futures::lock::Mutex<()>>);

impl Cpu {
    /// Holds the CPU for `cost` of simulated time.
    pub async fn work(&self, cost: Duration) {
        let _held = self.0.lock().await;
        if !cost.is_zero() {
            sleep(cost).await;
        }
    }

    /// Waits until the CPU is free (work of negligible cost, such as sending a ping).
    pub async fn turn(&self) {
        drop(self.0.lock().await);
    }
}

/// What a master's journal work costs, and the CPU it runs on.
#[derive(Clone)]
pub struct JournalWork {
    pub cpu: Cpu,
    /// CPU time to replay (apply) one journal entry, in microseconds.
    pub replay_us_per_entry: u64,
    /// CPU time to write or load one inode of a checkpoint, in microseconds.
    pub checkpoint_us_per_inode: u64,
    /// Inodes a checkpoint holds besides the workload's namespace.
    pub base_inodes: u64,
    /// Entries the journal held before the run (covered by the checkpoint it started from).
    pub base_entries: u64,
    /// Bug B12: a fresh replica replays every entry since sequence 0 instead of starting from
    /// the newest checkpoint. The state is the same; the cost is the whole history's.
    pub from_zero: bool,
}

impl JournalWork {
    /// Replays `entries` journal entries in one stretch.
    pub async fn replay(&self, entries: u64) {
        let us = self.replay_us_per_entry.saturating_mul(entries);
        self.cpu.work(Duration::from_micros(us)).await;
    }

    /// Starts a fresh replica: from the newest checkpoint (of `inodes` inodes, taken at sequence
    /// `seq`) if there is one, else from the one the cluster started with. With bug B12 the
    /// whole history is replayed instead, the entries before the run included.
    pub async fn fresh_start(&self, checkpoint: Option<(u64, u64)>) {
        if self.from_zero {
            self.replay(self.base_entries + checkpoint.map_or(0, |c| c.1))
                .await;
        } else {
            self.checkpoint(checkpoint.map_or(0, |c| c.0)).await;
        }
    }

    /// Writes or loads a checkpoint of a namespace of `inodes` inodes (plus the base).
    pub async fn checkpoint(&self, inodes: u64) {
        let us = self
            .checkpoint_us_per_inode
            .saturating_mul(inodes + self.base_inodes);
        self.cpu.work(Duration::from_micros(us)).await;
    }
}
