//! The master's RPC vocabulary, spoken by clients and workers.

use crate::op::{FsError, FsOp, FsReply};
use serde::{Deserialize, Serialize};

/// A call to a master.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum MasterOp {
    /// A namespace operation with its operation id (the retry cache's key).
    Fs { op_id: u64, op: FsOp },
    /// A worker asks for an id.
    GetWorkerId { worker: String },
    /// A worker registers its blocks under its id.
    RegisterWorker {
        worker_id: u64,
        worker: String,
        blocks: Vec<u64>,
    },
    /// A worker's periodic heartbeat.
    Heartbeat { worker_id: u64 },
    /// The registered workers (refused in safe mode).
    GetWorkerList,
    /// The master's stage, term and state digest (the admin port: any stage answers).
    Status,
}

/// What a worker is told in answer to a heartbeat.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WorkerCommand {
    Nothing,
    /// The master does not know this id: get a new one and register again.
    Register,
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
