//! The UFS journal: entries, file naming, and the replica state that replaying builds.
//!
//! Layout under `/journal`: `logs/0x<start>-0x<end>` (end exclusive) for completed logs,
//! `logs/0x<start>-0x7fffffffffffffff` for the log being written, `checkpoints/0x0-0x<end>`, and
//! `.tmp/` for checkpoints being written (committed by rename).

pub mod gc;
pub mod reader;
pub mod tailer;
pub mod writer;

use crate::namespace::{Mutation, Namespace};
use crate::op::FsReply;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use tailer::Tailer;
pub use writer::LogWriter;

/// The UFS as the journal uses it: files of journal records.
pub type JournalUfs = crate::ufs::UfsClient<Record>;
/// The UFS server that holds the journal.
pub type JournalStore = crate::ufs::UfsServer<Record>;

pub const LOGS: &str = "/journal/logs";
pub const CHECKPOINTS: &str = "/journal/checkpoints";
pub const TMP: &str = "/journal/.tmp";
/// The end of the range in an in-progress log's name.
pub const IN_PROGRESS: u64 = 0x7fff_ffff_ffff_ffff;

/// One journaled mutation.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct JournalEntry {
    pub seq: u64,
    /// The writer's term (its election znode's sequence number).
    pub term: u64,
    /// The client operation id, for the retry cache.
    pub op_id: u64,
    pub mutation: Mutation,
}

/// A snapshot of a replica: everything below `next_seq` applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub next_seq: u64,
    pub namespace: Namespace,
    pub retry_cache: BTreeMap<u64, FsReply>,
}

/// What journal files hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Record {
    Entry(JournalEntry),
    Checkpoint(Box<Checkpoint>),
}

/// A log file's name for the range `start..end`.
pub fn log_name(start: u64, end: u64) -> String {
    format!("0x{start:x}-0x{end:x}")
}

/// A log path for the range `start..end`.
pub fn log_path(start: u64, end: u64) -> String {
    format!("{LOGS}/{}", log_name(start, end))
}

/// A checkpoint path covering entries below `end`.
pub fn checkpoint_path(end: u64) -> String {
    format!("{CHECKPOINTS}/{}", log_name(0, end))
}

/// The range in a journal file's name.
pub fn parse_range(name: &str) -> Option<(u64, u64)> {
    let (a, b) = name.split_once('-')?;
    let a = u64::from_str_radix(a.strip_prefix("0x")?, 16).ok()?;
    let b = u64::from_str_radix(b.strip_prefix("0x")?, 16).ok()?;
    Some((a, b))
}

/// A gap: the replica expected `expected` but the journal continues at `found`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gap {
    pub expected: u64,
    pub found: u64,
}

/// The state a master (or the checking reader) builds by replaying the journal.
#[derive(Clone, Debug, Default)]
pub struct Replica {
    pub namespace: Namespace,
    pub next_seq: u64,
    /// Operation id -> reply, so a retried mutation gets its first outcome.
    pub retry_cache: BTreeMap<u64, FsReply>,
    /// Operations applied but not yet durable: a retry of one must wait, not be answered.
    pub in_flight: std::collections::BTreeSet<u64>,
    /// Blocks of files deleted by an entry not yet durable: still known to the worker side, as
    /// Alluxio's BlockDeletionContext removes block metadata only once the delete is journaled
    /// (a primary whose flush fails must not have freed blocks the next primary still lists).
    pub deleting: std::collections::BTreeSet<crate::op::BlockId>,
    /// Mutations this master refused with a namespace error: a duplicate of an older attempt
    /// that arrives after the answer gets the same error rather than taking effect after its
    /// caller was told it failed. Kept in memory only: a later primary never sees an attempt
    /// older than one this master answered (that attempt went to a master deposed before).
    pub refused: BTreeMap<u64, crate::op::FsError>,
    /// Entries applied since the last checkpoint.
    pub since_checkpoint: u64,
}

impl Replica {
    pub fn from_checkpoint(cp: &Checkpoint) -> Self {
        Replica {
            namespace: cp.namespace.clone(),
            next_seq: cp.next_seq,
            retry_cache: cp.retry_cache.clone(),
            in_flight: Default::default(),
            deleting: Default::default(),
            refused: Default::default(),
            since_checkpoint: 0,
        }
    }

    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            next_seq: self.next_seq,
            namespace: self.namespace.clone(),
            retry_cache: self.retry_cache.clone(),
        }
    }

    /// Applies the entries of a log named `start..end` that come next, skipping entries already
    /// applied and ignoring entries past the name's range (readers stop at the range). Returns the
    /// entries applied.
    pub fn apply_log(
        &mut self,
        start: u64,
        end: u64,
        records: &[std::sync::Arc<Record>],
    ) -> Result<Vec<JournalEntry>, Gap> {
        if start > self.next_seq {
            return Err(Gap {
                expected: self.next_seq,
                found: start,
            });
        }
        let mut applied = vec![];
        for record in records {
            let Record::Entry(e) = &**record else {
                continue;
            };
            if e.seq >= end {
                break;
            }
            if e.seq < self.next_seq {
                continue;
            }
            if e.seq > self.next_seq {
                return Err(Gap {
                    expected: self.next_seq,
                    found: e.seq,
                });
            }
            if let Ok(reply) = self.namespace.apply(&e.mutation) {
                self.retry_cache.insert(e.op_id, reply);
            }
            self.next_seq += 1;
            self.since_checkpoint += 1;
            applied.push(e.clone());
        }
        Ok(applied)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(
            parse_range(&log_name(16, IN_PROGRESS)),
            Some((16, IN_PROGRESS))
        );
        assert_eq!(log_name(0, 255), "0x0-0xff");
        assert_eq!(parse_range("junk"), None);
    }
}
