//! The worker's RPC vocabulary, spoken by clients writing blocks.

use crate::op::BlockId;
use serde::{Deserialize, Serialize};

/// A client's call to a worker.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum WorkerOp {
    /// Store a block of `length` bytes and commit it to the master.
    WriteBlock { block_id: BlockId, length: u64 },
}

/// Why a block write failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WriteError {
    /// The worker lacks the free capacity.
    NoSpace,
    /// The worker holds the block already.
    Exists,
    /// The master refused the commit with a definite answer; the worker removed the block.
    CommitRefused,
    /// The commit did not go through within the retry policy; the worker keeps the block and
    /// reports it in its heartbeats.
    CommitUnavailable,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WorkerRequest(pub WorkerOp);

crate::net::rpc_request!(WorkerRequest => Result<(), WriteError>, 0x29999);
