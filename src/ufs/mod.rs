//! The shared under-filesystem (HDFS-like) that holds the journal.
//!
//! Files are inodes named by paths. A writer holds a file's lease: its appends are buffered at the
//! UFS and become durable (visible to readers, safe from a crash) only when flushed; a writer that
//! dies loses what it had not flushed. As in HDFS, a rename moves the inode, so an open writer keeps
//! appending to the renamed file. `recover_lease` takes the file from its writer: afterwards the old
//! writer's appends and flushes fail. madsim has no disk model, so durability lives here.
//!
//! As HDFS's namenode does, the UFS keeps a retry cache: an at-most-once call (create, rename,
//! delete, put) carries its client's id and a call id, and a call repeated with the same ids is
//! answered as the first was, without being applied again. A client repeats an unanswered call with
//! its ids when its caller repeats it, so a caller whose answer was lost learns what its own call
//! did, instead of finding its own work done and taking it for another process's.
//!
//! The UFS knows nothing of what its files hold: it stores records of any type `R` (the journal
//! chooses its own), so storage never depends on the journal built on it.
//!
//! The wire vocabulary is in [`protocol`], the storage faults in [`faults`], the file system in
//! [`server`] and a process's handle on it in [`client`].

pub mod client;
pub mod faults;
pub mod protocol;
pub mod server;

pub use crate::vocab::NamespaceChange;
pub use client::UfsClient;
pub use faults::UfsFaults;
pub use protocol::{UfsError, UfsOp, UfsReply};
pub use server::UfsServer;
