//! The client vocabulary: the operations a client calls on the namespace, their replies and
//! errors. Clients, masters, the history and the checkers all speak it; it depends on nothing.

use serde::{Deserialize, Serialize};

/// Inode id. The root is 0.
pub type InodeId = u64;

/// Block id: the file's inode id in the high bits and the block's index within the file in the
/// low [`BLOCK_INDEX_BITS`], as Alluxio derives block ids from a file's container id.
pub type BlockId = u64;

/// Bits of a block id that hold the block's index within its file.
pub const BLOCK_INDEX_BITS: u32 = 8;

/// The id of block `index` of file `file`.
pub fn block_id(file: InodeId, index: u64) -> BlockId {
    (file << BLOCK_INDEX_BITS) | index
}

/// The file a block belongs to.
pub fn block_file(block: BlockId) -> InodeId {
    block >> BLOCK_INDEX_BITS
}

/// A client operation on the namespace.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "op")]
pub enum FsOp {
    /// Make a directory.
    Mkdir {
        /// The directory's path.
        path: String,
    },
    /// Create an empty, incomplete file.
    CreateFile {
        /// The file's path.
        path: String,
    },
    /// Mark a file complete.
    CompleteFile {
        /// The file's path.
        path: String,
    },
    /// Delete a file or directory (a non-empty directory only with `recursive`).
    Delete {
        /// The path deleted.
        path: String,
        /// Whether a directory's contents go with it.
        recursive: bool,
    },
    /// Move a file or directory.
    Rename {
        /// Its path.
        src: String,
        /// Its new path, whose parent must exist.
        dst: String,
    },
    /// A file's or directory's status.
    GetStatus {
        /// The path asked about.
        path: String,
    },
    /// A directory's children.
    ListStatus {
        /// The directory's path.
        path: String,
    },
    /// A worker commits a block it stored (commitBlock): the master journals the block's length
    /// (a BlockInfo entry). Workers make this call, recorded as any client call.
    CommitBlock {
        /// The block.
        block_id: BlockId,
        /// Its length in bytes.
        length: u64,
    },
    /// A file's blocks with their lengths and the workers that hold them
    /// (getFileBlockInfoList); refused in safe mode.
    GetBlockLocations {
        /// The file's path.
        path: String,
    },
    /// Every registered worker with its capacity and used bytes (getWorkerInfoList); refused in
    /// safe mode. Not journaled: no linearizability checker judges it.
    GetWorkerInfoList,
}

impl FsOp {
    /// Whether the operation changes the namespace (and so is journaled).
    pub fn is_mutation(&self) -> bool {
        !matches!(
            self,
            FsOp::GetStatus { .. }
                | FsOp::ListStatus { .. }
                | FsOp::GetBlockLocations { .. }
                | FsOp::GetWorkerInfoList
        )
    }

    /// Whether the answer is about journaled state (the namespace and the block metadata), so
    /// that the linearizability checkers judge it: every operation but the worker report.
    pub fn is_journaled_state(&self) -> bool {
        !matches!(self, FsOp::GetWorkerInfoList)
    }

    /// Whether a primary in safe mode refuses it: the answers that come from what workers
    /// report (block locations, the worker report).
    pub fn needs_workers(&self) -> bool {
        matches!(
            self,
            FsOp::GetBlockLocations { .. } | FsOp::GetWorkerInfoList
        )
    }

    /// Short name of the operation kind.
    pub fn name(&self) -> &'static str {
        match self {
            FsOp::Mkdir { .. } => "mkdir",
            FsOp::CreateFile { .. } => "create_file",
            FsOp::CompleteFile { .. } => "complete_file",
            FsOp::Delete { .. } => "delete",
            FsOp::Rename { .. } => "rename",
            FsOp::GetStatus { .. } => "get_status",
            FsOp::ListStatus { .. } => "list_status",
            FsOp::CommitBlock { .. } => "commit_block",
            FsOp::GetBlockLocations { .. } => "get_block_locations",
            FsOp::GetWorkerInfoList => "get_worker_info_list",
        }
    }
}

/// An error of a namespace operation: a definite answer, never retried by clients.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FsError {
    /// The path is taken.
    AlreadyExists,
    /// The path (or its parent) does not exist.
    NotFound,
    /// A directory with children was deleted without `recursive`.
    DirectoryNotEmpty,
    /// A path goes through a file.
    NotADirectory,
    /// The path is not absolute, or moves a directory into itself.
    InvalidPath,
}

/// Why a client call failed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallError {
    /// No primary answered within the retry policy's time.
    Unavailable,
    /// A definite answer from the namespace.
    Fs(FsError),
}

/// What one attempt of a call heard, as its client received it: the answers that do not end the
/// call with success. `ExponentialTimeBoundedRetry` retries only the first three; a definite
/// answer from the namespace ends the call with that answer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptAnswer {
    /// The leader lookup found no primary.
    NoPrimary,
    /// The master did not answer within the attempt's deadline (or the connection failed).
    NoAnswer,
    /// The master answered Unavailable: not primary, or not serving yet.
    Unavailable,
    /// A definite answer from the namespace.
    Definite(FsError),
}

impl AttemptAnswer {
    /// Whether the retry policy retries it (Alluxio retries Unavailable and transport errors).
    pub fn retryable(&self) -> bool {
        !matches!(self, AttemptAnswer::Definite(_))
    }
}

/// What an operation returns.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FsReply {
    /// The id of the inode created, changed or looked up, and whether it is a completed file.
    Status {
        /// The inode's id.
        id: InodeId,
        /// Whether it is a directory.
        dir: bool,
        /// Whether it is a completed file (directories are complete).
        complete: bool,
        /// A completed file's length in bytes (0 otherwise; left out of the text form when 0).
        #[serde(default, skip_serializing_if = "is_zero")]
        length: u64,
        /// A completed file's block ids, in order (left out of the text form when none).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        blocks: Vec<BlockId>,
    },
    /// Names and ids of a directory's children, sorted by name.
    Listing(Vec<(String, InodeId)>),
    /// A delete, rename or block commit succeeded.
    Done,
    /// A file's blocks, in order, each with its length and the workers that hold it.
    Blocks(Vec<BlockInfo>),
    /// The registered workers, by id.
    Workers(Vec<WorkerInfo>),
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl FsReply {
    /// The part of the answer that comes from journaled state: block locations (memory only,
    /// rebuilt from workers) left out. What the linearizability checkers compare.
    pub fn journaled(&self) -> FsReply {
        match self {
            FsReply::Blocks(blocks) => FsReply::Blocks(
                blocks
                    .iter()
                    .map(|b| BlockInfo {
                        workers: vec![],
                        ..b.clone()
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

/// One block of a file, as a block-location answer gives it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BlockInfo {
    /// The block.
    pub block_id: BlockId,
    /// Its length in bytes (journaled).
    pub length: u64,
    /// The workers the master knows to hold it, by node name (memory only).
    pub workers: Vec<String>,
}

/// One worker, as the worker report gives it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WorkerInfo {
    /// Its id at this primary.
    pub id: u64,
    /// Its node.
    pub worker: String,
    /// Its capacity in bytes, as it registered.
    pub capacity_bytes: u64,
    /// Its used bytes, as last reported.
    pub used_bytes: u64,
}
