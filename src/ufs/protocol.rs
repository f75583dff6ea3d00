//! What a UFS call and its answer are: operations, replies, errors, and the ids the retry cache
//! knows an at-most-once call by.

use crate::vocab::{NamespaceChange, RepeatKey};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What a UFS file can hold: any record type that can travel in an RPC.
pub trait Content: Serialize + DeserializeOwned + std::fmt::Debug + Send + Sync + 'static {}
impl<T: Serialize + DeserializeOwned + std::fmt::Debug + Send + Sync + 'static> Content for T {}

/// One UFS operation. `holder` names the writing process (`master-1#3`: node and incarnation).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(bound = "R: Content")]
pub enum UfsOp<R> {
    /// Change the namespace (at most once: see [`NamespaceChange`]).
    Change(NamespaceChange),
    /// Buffer records at the end of a file (not durable until flushed).
    Append {
        inode: u64,
        holder: String,
        records: Vec<Arc<R>>,
    },
    /// Make every buffered record durable (HDFS hsync).
    Flush { inode: u64, holder: String },
    /// Take the lease from its holder, dropping what it had not flushed.
    RecoverLease { path: String },
    /// Files directly below a folder.
    List { dir: String },
    /// A file's durable records.
    Read { path: String },
    /// Create a file with these records, durable and closed, in one step (at most once, as a
    /// namespace change is: HDFS's create is).
    Put { path: String, records: Vec<Arc<R>> },
}

/// What a listing says of one file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FileInfo {
    pub name: String,
    pub inode: u64,
    pub durable_records: u64,
    /// Last modification, in simulated microseconds.
    pub mtime_us: u64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(bound = "R: Content")]
pub enum UfsReply<R> {
    Inode(u64),
    Done,
    Listing(Vec<FileInfo>),
    Records(Vec<Arc<R>>),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UfsError {
    NotFound,
    AlreadyExists,
    /// The caller does not hold the file's lease (it was recovered by another process).
    LeaseLost,
    /// An injected storage fault.
    Failed,
    /// No answer in time (client side only).
    Timeout,
}

/// The ids the retry cache knows a call by: the client (a process incarnation, as HDFS's
/// per-client id) and the client's number for the call, the same on every repeat.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CallId {
    pub client: String,
    pub call: u64,
}

/// One call: the operation, and for an at-most-once call its ids for the retry cache.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(bound = "R: Content")]
pub struct UfsRequest<R> {
    pub op: UfsOp<R>,
    pub id: Option<CallId>,
}

impl<R> UfsOp<R> {
    /// What identifies a repeat of this call, for an at-most-once call (a namespace change or a
    /// put) the retry cache answers; `None` for the others, which are safe to apply again (reads,
    /// lease recovery) or belong to the write pipeline (append, flush).
    pub(crate) fn repeat_key(&self) -> Option<RepeatKey> {
        match self {
            UfsOp::Change(change) => Some(RepeatKey::Change(change.clone())),
            UfsOp::Put { path, .. } => Some(RepeatKey::Put { path: path.clone() }),
            _ => None,
        }
    }
}

impl<R: Content> madsim::net::rpc::Request for UfsRequest<R> {
    type Response = Result<UfsReply<R>, UfsError>;
    const ID: u64 = 0x8020;
}
