//! The options that choose between behaviours (rather than set a time or a size): the safe
//! model's choice first, Alluxio's shipped one documented beside it.

use serde::{Deserialize, Serialize};

/// What a new primary does to the old primary's in-progress log before writing its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fencing {
    /// HDFS `recoverLease` on the old in-progress log first: afterwards every append or flush by the
    /// old writer fails, so a deposed primary can never acknowledge an entry that readers drop.
    LeaseRecovery,
    /// Alluxio as shipped: rename the old log to its read range lazily, at the first write. A deposed
    /// primary that still believes it leads can keep flushing past the range (bug B15).
    LazyRename,
}

/// What a read (or a definite error) may show of the primary's tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadVisibility {
    /// Only durable state: the answer leaves once every entry planned before it is flushed, so a
    /// client never sees a write that could still be lost.
    Durable,
    /// Alluxio as shipped: inode locks are released before the journal flush, so a read can see a
    /// mutation whose entry is never made durable (bug `dirty-read-before-flush`).
    Applied,
}

/// How a master makes sure it still leads before it answers a read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadLeadership {
    /// After reading its tree, the master asks ZooKeeper for the election's children and answers
    /// only if its own znode still leads. The znode is ephemeral, and a new primary is elected
    /// only once it is gone, so no other master led between the read and the check. Costs one
    /// ZooKeeper round trip (two messages) per read.
    ZookeeperCheck,
    /// A journal write barrier: a flush of the primary's own log, which fails once a new primary
    /// has recovered the log's lease. Costs one UFS flush RPC (two messages) per read batch and
    /// the flush batch time; the flush also fails under storage faults.
    JournalBarrier,
    /// Alluxio as shipped: nothing is checked, so a deposed primary that has not noticed answers
    /// from its stale tree (bug `stale-read-after-lost-leadership`).
    Unchecked,
}

/// `zookeeper.leader.connection.error.policy`: how a primary reacts to ZooKeeper connection events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConnectionErrorPolicy {
    /// CONNECTED or LOST step down; SUSPENDED changes nothing; RECONNECTED keeps primacy only when
    /// the session id is unchanged. Alluxio's default since late 2019.
    Session,
    /// Every connection event steps down (the older behaviour; see bug B12).
    Standard,
}
