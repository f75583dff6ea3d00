//! The master's RPC vocabulary, spoken by clients and workers.

use crate::op::{BlockId, FsError, FsOp, FsReply};
use serde::{Deserialize, Serialize};

/// A call to a master.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum MasterOp {
    /// A namespace operation with its operation id (the retry cache's key).
    Fs { op_id: u64, op: FsOp },
    /// A worker asks for an id.
    GetWorkerId { worker: String },
    /// A worker registers under its id with its capacity, used bytes and full block list.
    RegisterWorker {
        worker_id: u64,
        worker: String,
        capacity_bytes: u64,
        used_bytes: u64,
        blocks: Vec<BlockId>,
    },
    /// A worker's periodic heartbeat: its used bytes and the blocks it added and removed since
    /// its last successful heartbeat.
    Heartbeat {
        worker_id: u64,
        used_bytes: u64,
        added: Vec<BlockId>,
        removed: Vec<BlockId>,
    },
    /// A worker commits a block it stored (commitBlock: worker id, used bytes, block id, length),
    /// under the operation id of its recorded call.
    CommitBlock {
        op_id: u64,
        worker_id: u64,
        used_bytes: u64,
        block_id: BlockId,
        length: u64,
    },
    /// The registered workers (refused in safe mode).
    GetWorkerList,
    /// The master's stage, term and state digest (the admin port: any stage answers).
    Status,
}

/// What a worker is told in answer to a heartbeat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WorkerCommand {
    Nothing,
    /// The master does not know this id: get a new one and register again.
    Register,
    /// Remove these blocks (their files were deleted, or the master has no metadata for them).
    Free(Vec<BlockId>),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MasterReply {
    Fs(FsReply),
    WorkerId(u64),
    Registered,
    Command(WorkerCommand),
    Workers(Vec<(u64, String)>),
    Status(MasterStatus),
}

/// What the admin port reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MasterStatus {
    pub primary: bool,
    pub term: u64,
    pub next_seq: u64,
    pub digest: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MasterError {
    /// Not primary (or in safe mode, or the journal failed): retry, perhaps elsewhere.
    Unavailable,
    /// A definite answer from the namespace.
    Fs(FsError),
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MasterRequest(pub MasterOp);

crate::net::rpc_request!(MasterRequest => Result<MasterReply, MasterError>, 0x19998);
