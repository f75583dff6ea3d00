//! The worker's block store: the blocks on its storage (which survive a restart of the process),
//! its capacity and used bytes, what it has added and removed since its last successful
//! heartbeat (BlockHeartbeatReporter), and a client's block write, committed to the master.

use super::rpc::{WorkerOp, WorkerRequest, WriteError};
use crate::client::MasterClient;
use crate::history::{EventKind, History};
use crate::master::rpc::MasterOp;
use crate::op::{BlockId, CallError, FsOp};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// What survives a worker's restart: the blocks on its storage, with their lengths.
#[derive(Default)]
pub struct WorkerDisk {
    blocks: Mutex<BTreeMap<BlockId, u64>>,
}

/// What the worker reports in its next heartbeat: blocks added and removed since the last one
/// the master answered.
#[derive(Default)]
pub struct Report {
    pub added: BTreeSet<BlockId>,
    pub removed: BTreeSet<BlockId>,
}

/// One worker process's block store.
pub struct Store {
    pub name: String,
    pub capacity_bytes: u64,
    disk: Arc<WorkerDisk>,
    history: History,
    /// The id this process has from the primary (set as soon as it gets one, before it
    /// registers, as Alluxio's worker does).
    pub id: Mutex<Option<u64>>,
    pub report: Mutex<Report>,
    /// Blocks stored whose commit to the master has not ended: reported neither in a
    /// registration nor in a heartbeat until it has, so that a master never frees a block whose
    /// commit it has not seen yet. The flag says a registration left the block out.
    committing: Mutex<BTreeMap<BlockId, bool>>,
}

impl Store {
    pub fn new(name: String, capacity_bytes: u64, disk: Arc<WorkerDisk>, history: History) -> Self {
        Store {
            name,
            capacity_bytes,
            disk,
            history,
            id: Mutex::new(None),
            report: Mutex::default(),
            committing: Mutex::default(),
        }
    }

    /// Bytes of the blocks held.
    pub fn used_bytes(&self) -> u64 {
        self.disk.blocks.lock().unwrap().values().sum()
    }

    /// Every block held (but those still being committed), with the used bytes: a
    /// registration's full report.
    pub fn snapshot(&self) -> (Vec<BlockId>, u64) {
        let blocks = self.disk.blocks.lock().unwrap();
        let mut committing = self.committing.lock().unwrap();
        for left_out in committing.values_mut() {
            *left_out = true;
        }
        let listed = blocks
            .keys()
            .filter(|b| !committing.contains_key(b))
            .copied()
            .collect();
        (listed, blocks.values().sum())
    }

    /// Removes a block (on the master's Free command, or after a refused commit); reported as
    /// removed at the next heartbeat either way, so the master stops asking.
    pub fn remove(&self, block_id: BlockId, freed: bool) {
        let held = self.disk.blocks.lock().unwrap().remove(&block_id).is_some();
        {
            let mut report = self.report.lock().unwrap();
            report.added.remove(&block_id);
            report.removed.insert(block_id);
        }
        if held {
            let used_bytes = self.used_bytes();
            self.history.record(
                &self.name,
                EventKind::BlockRemoved {
                    block_id,
                    used_bytes,
                    freed,
                },
            );
        }
    }

    /// A client's block write: stored if it fits, then committed to the master (commitBlock,
    /// a recorded call with the worker's current id and used bytes on every attempt).
    pub async fn write(
        self: Arc<Self>,
        client: Arc<MasterClient>,
        WorkerRequest(op): WorkerRequest,
    ) -> Result<(), WriteError> {
        let WorkerOp::WriteBlock { block_id, length } = op;
        let used_bytes = {
            let mut blocks = self.disk.blocks.lock().unwrap();
            if blocks.contains_key(&block_id) {
                return Err(WriteError::Exists);
            }
            let used: u64 = blocks.values().sum();
            if used + length > self.capacity_bytes {
                return Err(WriteError::NoSpace);
            }
            blocks.insert(block_id, length);
            self.committing.lock().unwrap().insert(block_id, false);
            used + length
        };
        self.history.record(
            &self.name,
            EventKind::BlockStored {
                block_id,
                length,
                used_bytes,
            },
        );
        let store = self.clone();
        let commit = FsOp::CommitBlock { block_id, length };
        let result = client
            .recorded(commit, move |op_id, _| MasterOp::CommitBlock {
                op_id,
                worker_id: store.id.lock().unwrap().unwrap_or(0),
                used_bytes: store.used_bytes(),
                block_id,
                length,
            })
            .await;
        let left_out = self.committing.lock().unwrap().remove(&block_id) == Some(true);
        if let Err(CallError::Fs(_)) = result {
            self.remove(block_id, false);
            return Err(WriteError::CommitRefused);
        }
        // The master that answered the commit located the block. A commit that did not end
        // well (committed, or perhaps not), or that a registration since left out, is reported
        // in the next heartbeat: a master with its metadata locates it, one without frees it.
        if result.is_err() || left_out {
            let mut report = self.report.lock().unwrap();
            report.removed.remove(&block_id);
            report.added.insert(block_id);
        }
        match result {
            Ok(_) => Ok(()),
            Err(_) => Err(WriteError::CommitUnavailable),
        }
    }
}
