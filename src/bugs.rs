//! The planted-bug catalogue: historical Alluxio failover bugs (PROTOCOL.md, B1 to B15) and the
//! read-path hazards of Alluxio's design (B16 to B18), each a
//! switch that puts the old mechanism back into the model so the harness can prove it catches it.

use serde::{Deserialize, Serialize};

/// One bug of the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bug {
    /// B1: a closed or standby journal acknowledged mutations without journaling them.
    AckWithoutJournal,
    /// B2: completing a log that another master had completed deleted the "duplicate".
    DeleteDuplicateCompletedLog,
    /// B3: recovering from a flush failure, the old primary renamed the new primary's log.
    FlushFailureRenamesOtherLog,
    /// B4: demotion closed the log writer but left the asynchronous flush running.
    FlushThreadSurvivesDemotion,
    /// B5: leader lookup never advanced its retry counter when the leader path had no child.
    LeaderLookupLoopsForever,
    /// B6: the leader znode was persistent, so clients kept calling a dead master.
    PersistentLeaderZnode,
    /// B7: worker ids were sequential and restarted at each primary.
    SequentialWorkerIds,
    /// B8: promotion could not be interrupted by a leadership change.
    UninterruptiblePromotion,
    /// B9: demotion closed the listening socket but kept serving accepted connections.
    DemotedMasterKeepsConnections,
    /// B10: after a flush failure the writer left its log incomplete and started a new one.
    IncompleteLogAfterFlushFailure,
    /// B11: retried mutations were not idempotent (no journaled retry cache).
    NonIdempotentRetry,
    /// B12: the STANDARD connection policy stepped down on every SUSPENDED; leadership flapped.
    StandardPolicyFlapping,
    /// B13: a worker past its heartbeat timeout stayed alive but silent.
    SilentWorkerAfterTimeout,
    /// B14: a restarted master reused its old ZooKeeper session.
    ReusedSessionAfterRestart,
    /// B15: lazy rename fencing let a paused old primary acknowledge entries readers drop.
    LazyRenameFencing,
    /// B16: reads see a mutation before its journal entry is flushed (locks released early).
    DirtyReadBeforeFlush,
    /// B17: a primary answers reads without confirming it still leads.
    StaleReadAfterLostLeadership,
    /// B18: clients answer reads from a metadata cache that other clients' writes do not reach.
    ClientMetadataCache,
}

impl Bug {
    /// Every bug, in catalogue order.
    pub const ALL: [Bug; 18] = [
        Bug::AckWithoutJournal,
        Bug::DeleteDuplicateCompletedLog,
        Bug::FlushFailureRenamesOtherLog,
        Bug::FlushThreadSurvivesDemotion,
        Bug::LeaderLookupLoopsForever,
        Bug::PersistentLeaderZnode,
        Bug::SequentialWorkerIds,
        Bug::UninterruptiblePromotion,
        Bug::DemotedMasterKeepsConnections,
        Bug::IncompleteLogAfterFlushFailure,
        Bug::NonIdempotentRetry,
        Bug::StandardPolicyFlapping,
        Bug::SilentWorkerAfterTimeout,
        Bug::ReusedSessionAfterRestart,
        Bug::LazyRenameFencing,
        Bug::DirtyReadBeforeFlush,
        Bug::StaleReadAfterLostLeadership,
        Bug::ClientMetadataCache,
    ];

    /// The catalogue id, `B1` to `B18`.
    pub fn id(self) -> String {
        format!("B{}", Bug::ALL.iter().position(|b| *b == self).unwrap() + 1)
    }

    /// The kebab-case name used on the command line.
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    }

    /// A bug by its name or catalogue id.
    /// What went wrong, in one line (the catalogue's description).
    pub fn summary(self) -> &'static str {
        match self {
            Bug::AckWithoutJournal => {
                "a closed or standby journal acknowledged mutations without journaling them"
            }
            Bug::DeleteDuplicateCompletedLog => {
                "completing a log that another master had completed deleted the \"duplicate\""
            }
            Bug::FlushFailureRenamesOtherLog => {
                "recovering from a flush failure, the old primary renamed the new primary's log"
            }
            Bug::FlushThreadSurvivesDemotion => {
                "demotion closed the log writer but left the asynchronous flush running"
            }
            Bug::LeaderLookupLoopsForever => {
                "leader lookup never advanced its retry counter when the leader path had no child"
            }
            Bug::PersistentLeaderZnode => {
                "the leader znode was persistent, so clients kept calling a dead master"
            }
            Bug::SequentialWorkerIds => "worker ids were sequential and restarted at each primary",
            Bug::UninterruptiblePromotion => {
                "promotion could not be interrupted by a leadership change"
            }
            Bug::DemotedMasterKeepsConnections => {
                "demotion closed the listening socket but kept serving accepted connections"
            }
            Bug::IncompleteLogAfterFlushFailure => {
                "after a flush failure the writer left its log incomplete and started a new one"
            }
            Bug::NonIdempotentRetry => {
                "retried mutations were not idempotent (no journaled retry cache)"
            }
            Bug::StandardPolicyFlapping => {
                "the STANDARD connection policy stepped down on every SUSPENDED; leadership flapped"
            }
            Bug::SilentWorkerAfterTimeout => {
                "a worker past its heartbeat timeout stayed alive but silent"
            }
            Bug::ReusedSessionAfterRestart => "a restarted master reused its old ZooKeeper session",
            Bug::LazyRenameFencing => {
                "lazy rename fencing let a paused old primary acknowledge entries readers drop"
            }
            Bug::DirtyReadBeforeFlush => {
                "reads saw a mutation before its journal entry was flushed (locks released early)"
            }
            Bug::StaleReadAfterLostLeadership => {
                "a deposed primary answered reads from its stale tree without confirming it led"
            }
            Bug::ClientMetadataCache => {
                "clients answered reads from a metadata cache other clients' writes never reach"
            }
        }
    }

    pub fn parse(s: &str) -> Result<Bug, String> {
        Bug::ALL
            .iter()
            .copied()
            .find(|b| b.name() == s || b.id().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let names: Vec<String> = Bug::ALL.iter().map(|b| b.name()).collect();
                format!("unknown bug '{s}'; known bugs: {}", names.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ids_round_trip() {
        for bug in Bug::ALL {
            assert_eq!(Bug::parse(&bug.name()), Ok(bug));
            assert_eq!(Bug::parse(&bug.id()), Ok(bug));
        }
        assert_eq!(Bug::LazyRenameFencing.id(), "B15");
        assert_eq!(Bug::AckWithoutJournal.name(), "ack-without-journal");
        assert!(Bug::parse("nope")
            .unwrap_err()
            .contains("lazy-rename-fencing"));
    }
}
