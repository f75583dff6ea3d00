//! ZooKeeper: the coordination service the masters elect through and clients look leaders up in.
//!
//! ZooKeeper is not the system under test, so its model is small and correct: sessions with
//! timeouts and pings, expiry that deletes ephemeral znodes and fires watches, persistent /
//! ephemeral / sequential znodes with creation time, and one-shot watches. Faults reach it only
//! at its edges (partitions, paused clients, forced expiry, the whole service unavailable).

pub mod client;
pub mod election;
pub mod server;

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

pub use client::{ZkClient, ZkEvent};
pub use server::{ZkControl, ZooKeeperServer};

/// A znode's metadata.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stat {
    /// Creation time on the server's clock, in simulated microseconds.
    pub ctime_us: u64,
    /// The session owning it, for an ephemeral znode.
    pub ephemeral_owner: Option<u64>,
}

/// One ZooKeeper operation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ZkOp {
    /// Open a session (or resume `resume`, if it is still alive). Watch events go to `notify`.
    Connect {
        timeout_ms: u64,
        owner: String,
        notify: SocketAddr,
        resume: Option<u64>,
    },
    /// Keep the session alive.
    Ping,
    /// Create a znode; a sequential one gets a ten-digit suffix.
    Create {
        path: String,
        data: String,
        ephemeral: bool,
        sequential: bool,
    },
    /// Delete a znode that has no children.
    Delete { path: String },
    /// A znode's metadata, optionally leaving a one-shot watch for its creation or deletion.
    Exists { path: String, watch: bool },
    /// A znode's children with their metadata.
    GetChildren { path: String },
    /// End the session now, as a client's `close()` does: its ephemeral znodes go at once.
    CloseSession,
}

/// A request: the session, a per-session request id (retries reuse it, and the server answers a
/// repeated id from its reply cache, as one TCP connection would deliver it once), and the op.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ZkRequest {
    pub session: u64,
    pub xid: u64,
    pub op: ZkOp,
}

/// A successful answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ZkReply {
    Session(u64),
    Pong,
    Created(String),
    Deleted,
    Stat(Option<Stat>),
    Children(Vec<(String, Stat)>),
    Closed,
}

/// A failed answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ZkError {
    /// The session is gone: its ephemeral znodes were deleted.
    SessionExpired,
    NoNode,
    NodeExists,
    NotEmpty,
    /// A create under an ephemeral znode.
    NoChildrenForEphemerals,
    /// No answer within the deadline (client side only).
    ConnectionLoss,
}

crate::net::rpc_request!(ZkRequest => Result<ZkReply, ZkError>, 0x2181);

/// What a fired watch reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WatchKind {
    NodeCreated,
    NodeDeleted,
}

/// A watch notification, pushed by the server to the session's notify address.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WatchEvent {
    pub session: u64,
    pub path: String,
    pub kind: WatchKind,
}

crate::net::rpc_request!(WatchEvent => (), 0x2182);

/// The server closed a session's connection: it expired the session. Sent once, as a TCP close
/// is, so a client cut off from the server does not hear it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ConnectionClosed {
    pub session: u64,
}

crate::net::rpc_request!(ConnectionClosed => (), 0x2183);

/// The parent path of a znode path.
pub fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}
