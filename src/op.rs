//! The client vocabulary: the operations a client calls on the namespace, their replies and
//! errors. Clients, masters, the history and the checkers all speak it; it depends on nothing.

use serde::{Deserialize, Serialize};

/// Inode id. The root is 0.
pub type InodeId = u64;

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
}

impl FsOp {
    /// Whether the operation changes the namespace (and so is journaled).
    pub fn is_mutation(&self) -> bool {
        !matches!(self, FsOp::GetStatus { .. } | FsOp::ListStatus { .. })
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
    },
    /// Names and ids of a directory's children, sorted by name.
    Listing(Vec<(String, InodeId)>),
    /// A delete or rename succeeded.
    Done,
}
