//! The planted-bug catalogue: historical Alluxio failover bugs (B1 to B15), the read-path
//! hazards of Alluxio's design (B16 to B18) and the block master's failover bugs (B19 to B23),
//! each a switch that puts the old mechanism back into
//! the model so the harness can prove it catches it.
//!
//! Each bug is declared once, in the `bugs!` list below: its stable catalogue id, what went
//! wrong, the fix the model has by default, the invariants expected to catch it and the hunt that
//! must (`sims/bugs.rs` hunts every bug of [`Bug::ALL`]). `ftsim bugs --json` prints these
//! declarations, and the book's catalogue table is made from them (`ftsim bugs --markdown`).

use serde::{Deserialize, Serialize};

/// One bug's declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct BugInfo {
    /// The catalogue id (`B1`, ...): stable, never reused or renumbered.
    pub id: &'static str,
    /// What went wrong, in one line.
    pub summary: &'static str,
    /// What the model does instead by default (Alluxio's fix, or the safe design).
    pub fix: &'static str,
    /// The invariants whose checkers catch the mechanism: a hunt must end at one of them.
    pub caught_by: &'static [&'static str],
    /// The preset it is hunted in.
    pub preset: &'static str,
    /// The seeds, from seed 1, within which a hunt must catch it (`sims/bugs.rs`).
    pub budget: u64,
}

/// Lists every bug once and makes [`Bug`], [`Bug::ALL`] and [`Bug::info`] from the list.
macro_rules! bugs {
    ($($(#[$doc:meta])* $variant:ident => $info:expr,)*) => {
        /// One bug of the catalogue.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum Bug {
            $($(#[$doc])* $variant,)*
        }

        impl Bug {
            /// Every bug, in catalogue order.
            pub const ALL: &'static [Bug] = &[$(Bug::$variant,)*];

            /// The bug's declaration.
            pub const fn info(self) -> BugInfo {
                match self {
                    $(Bug::$variant => $info,)*
                }
            }
        }
    };
}

bugs! {
    /// B1: a closed or standby journal acknowledged mutations without journaling them.
    AckWithoutJournal => BugInfo {
        id: "B1",
        summary: "a closed or standby journal handed out a no-op context, so RPCs changed state \
                  and acknowledged without journaling",
        fix: "refuse with Unavailable unless primary",
        caught_by: &["no_lost_entries"],
        preset: "fast",
        budget: 100,
    },
    /// B2: completing a log that another master had completed deleted the "duplicate".
    DeleteDuplicateCompletedLog => BugInfo {
        id: "B2",
        summary: "old and new primary completed the same log; the \"duplicate\" completed file \
                  was deleted",
        fix: "never delete a completed log; tolerate concurrent completion",
        caught_by: &["no_lost_entries"],
        preset: "fast",
        budget: 100,
    },
    /// B3: recovering from a flush failure, the old primary renamed the new primary's log.
    FlushFailureRenamesOtherLog => BugInfo {
        id: "B3",
        summary: "the old primary, recovering from a flush failure while losing primacy, renamed \
                  the log the new primary was writing; entries lost",
        fix: "flip journal state first; check writability before every file action",
        caught_by: &["one_leader", "no_lost_entries"],
        preset: "fast",
        budget: 500,
    },
    /// B4: demotion closed the log writer but left the asynchronous flush running.
    FlushThreadSurvivesDemotion => BugInfo {
        id: "B4",
        summary: "demotion closed the writer but left the asynchronous flush thread running",
        fix: "close the flush writer first",
        caught_by: &["no_lost_entries"],
        preset: "fast",
        // Found at seed 471 from seed 1 with the worker side's blocks (at 1167 before them, with
        // the ZooKeeper client on ZooKeeper's schedule).
        budget: 500,
    },
    /// B5: leader lookup never advanced its retry counter when the leader path had no child.
    LeaderLookupLoopsForever => BugInfo {
        id: "B5",
        summary: "leader lookup looped forever when the leader path existed but had no children: \
                  the retry counter was not advanced",
        fix: "count every retry",
        caught_by: &["bounded_retry"],
        preset: "fast",
        budget: 500,
    },
    /// B6: the leader znode was persistent, so clients kept calling a dead master.
    PersistentLeaderZnode => BugInfo {
        id: "B6",
        summary: "the leader znode was persistent, so a crashed leader's address survived and \
                  clients called a dead master",
        fix: "make it ephemeral",
        caught_by: &["liveness", "worker_registry", "one_leader"],
        preset: "fast",
        budget: 500,
    },
    /// B7: worker ids were sequential and restarted at each primary.
    SequentialWorkerIds => BugInfo {
        id: "B7",
        summary: "worker ids were sequential and restarted at the new primary, so a stale \
                  heartbeat was credited to another worker",
        fix: "random ids",
        caught_by: &["worker_registry", "settled_blocks"],
        preset: "fast",
        budget: 100,
    },
    /// B8: promotion could not be interrupted by a leadership change.
    UninterruptiblePromotion => BugInfo {
        id: "B8",
        summary: "promotion could not be interrupted; a master finished promoting itself after \
                  ZooKeeper revoked leadership",
        fix: "abort promotion on any leadership change",
        caught_by: &["liveness", "no_lost_entries"],
        preset: "fast",
        budget: 500,
    },
    /// B9: demotion closed the listening socket but kept serving accepted connections.
    DemotedMasterKeepsConnections => BugInfo {
        id: "B9",
        summary: "demotion closed the listening socket but not accepted connections; the deposed \
                  master kept serving them",
        fix: "stop serving before demoting the journal",
        caught_by: &["no_lost_entries"],
        preset: "fast",
        budget: 100,
    },
    /// B10: after a flush failure the writer left its log incomplete and started a new one.
    IncompleteLogAfterFlushFailure => BugInfo {
        id: "B10",
        summary: "after a flush failure the writer left the log incomplete and started a new one; \
                  standbys saw a gap",
        fix: "complete the log, or exit",
        caught_by: &["liveness", "standby_catch_up"],
        preset: "fast",
        budget: 500,
    },
    /// B11: retried mutations were not idempotent (no journaled retry cache).
    NonIdempotentRetry => BugInfo {
        id: "B11",
        summary: "retried mutations after a failover were not idempotent (create returned \
                  \"already exists\")",
        fix: "operation ids and a journaled retry cache",
        caught_by: &["no_lost_entries", "linearizable"],
        preset: "fast",
        budget: 100,
    },
    /// B12: the STANDARD connection policy stepped down on every SUSPENDED; leadership flapped.
    StandardPolicyFlapping => BugInfo {
        id: "B12",
        summary: "the STANDARD policy stepped down on every SUSPENDED, and slow replay restarted \
                  from zero: leadership flapped forever",
        fix: "the SESSION policy; catch up before joining the election",
        caught_by: &["liveness", "standby_catch_up"],
        preset: "fast",
        budget: 100,
    },
    /// B13: a worker past its heartbeat timeout stayed alive but silent.
    SilentWorkerAfterTimeout => BugInfo {
        id: "B13",
        summary: "a worker past its heartbeat timeout stayed alive but silent",
        fix: "exit the process",
        caught_by: &["worker_registry"],
        preset: "fast",
        budget: 100,
    },
    /// B14: a restarted master reused its old ZooKeeper session.
    ReusedSessionAfterRestart => BugInfo {
        id: "B14",
        summary: "a master restarting within the session timeout was taken for its old session; \
                  no leader was elected",
        fix: "always open a new session",
        caught_by: &["liveness", "zookeeper_session"],
        preset: "fast",
        budget: 100,
    },
    /// B15: lazy rename fencing let a paused old primary acknowledge entries readers drop.
    LazyRenameFencing => BugInfo {
        id: "B15",
        summary: "lazy rename fencing (as Alluxio ships it): a paused old primary appends past N \
                  after the new primary renamed its log; acknowledged entries vanish",
        fix: "recover the lease before completing the old log",
        caught_by: &["no_lost_entries", "one_leader", "liveness"],
        preset: "fast",
        budget: 100,
    },
    /// B16: reads see a mutation before its journal entry is flushed (locks released early).
    DirtyReadBeforeFlush => BugInfo {
        id: "B16",
        summary: "reads saw a mutation before its journal entry was flushed (locks released early)",
        fix: "reads answer durable state only",
        caught_by: &["linearizable"],
        preset: "fast",
        budget: 500,
    },
    /// B17: a primary answers reads without confirming it still leads.
    StaleReadAfterLostLeadership => BugInfo {
        id: "B17",
        summary: "a deposed primary answered reads from its stale tree without confirming it led",
        fix: "a ZooKeeper leadership check before answering a read",
        caught_by: &["linearizable"],
        // The window (a deposed primary answering a reader while a new primary acknowledges a
        // write) lasts seconds with Alluxio's timeouts, a few hundred ms with `fast`'s.
        preset: "alluxio-defaults",
        // Found at seed 533 from seed 1 since the ZooKeeper client pings and reconnects on
        // ZooKeeper's schedule (median 451 seeds over starts 1, 10001 and 20001).
        budget: 1000,
    },
    /// B18: clients answer reads from a metadata cache that other clients' writes do not reach.
    ClientMetadataCache => BugInfo {
        id: "B18",
        summary: "clients answered reads from a metadata cache other clients' writes never reach",
        fix: "`user.metadata.cache.enabled` off, as Alluxio ships it",
        caught_by: &["linearizable"],
        preset: "fast",
        budget: 100,
    },
    /// B19: safe mode was entered when the master process started, not when it became primary.
    SafeModeOnlyAtStart => BugInfo {
        id: "B19",
        summary: "safe mode began when the master process started, not when it became primary: \
                  a new primary answered block locations before workers re-registered",
        fix: "enter safe mode at every promotion",
        caught_by: &["block_locations", "worker_registry"],
        preset: "fast",
        budget: 100,
    },
    /// B20: a block commit changed the block metadata and answered without journaling it.
    UnjournaledBlockCommit => BugInfo {
        id: "B20",
        summary: "a committed block's metadata was applied in memory and acknowledged but not \
                  journaled: the next primary has no such block",
        fix: "journal the block's length (BlockInfo) before acknowledging the commit",
        caught_by: &["no_lost_entries", "linearizable", "settled_blocks"],
        preset: "fast",
        budget: 100,
    },
    /// B21: a re-registration's block list replaced what the master knew of the worker.
    ReregistrationReplacesBlocks => BugInfo {
        id: "B21",
        summary: "a retried registration's block list replaced the worker's blocks, dropping \
                  the locations it had reported in heartbeats since the list was taken",
        fix: "merge a re-registration's list with what the worker reported",
        caught_by: &["settled_blocks", "block_locations"],
        preset: "fast",
        // Found only where a registration's first attempt took effect, unanswered, and a
        // commit reached the master before the attempt sent again (a lost answer, or an
        // attempt outlasting its deadline on a slow network): 1 seed in a few thousand.
        budget: 4000,
    },
    /// B22: a promoting master took worker registrations before its journal was caught up.
    RegisterBeforeCatchUp => BugInfo {
        id: "B22",
        summary: "a promoting master took worker registrations before it had replayed the \
                  journal: blocks whose metadata it had not read yet were freed on the workers",
        fix: "serve workers only once primary, after catch-up",
        caught_by: &["worker_registry", "settled_blocks"],
        preset: "fast",
        budget: 500,
    },
    /// B23: demotion left the block master's worker and location state in place.
    StaleBlockMasterAfterDemotion => BugInfo {
        id: "B23",
        summary: "demotion kept the block master's workers and locations; primary again, the \
                  master served the stale ones",
        fix: "reset the block master's state on demotion",
        caught_by: &["lost_workers", "worker_registry", "block_locations"],
        preset: "fast",
        budget: 500,
    },
}

impl Bug {
    /// The catalogue id, `B1` to `B23`.
    pub fn id(self) -> String {
        self.info().id.to_string()
    }

    /// The kebab-case name used on the command line.
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    }

    /// What went wrong, in one line (the catalogue's description).
    pub fn summary(self) -> &'static str {
        self.info().summary
    }

    /// A bug by its name or catalogue id.
    pub fn parse(s: &str) -> Result<Bug, String> {
        Bug::ALL
            .iter()
            .copied()
            .find(|b| b.name() == s || b.info().id.eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let names: Vec<String> = Bug::ALL.iter().map(|b| b.name()).collect();
                format!("unknown bug '{s}'; known bugs: {}", names.join(", "))
            })
    }

    /// The catalogue as a Markdown table (id, name, what went wrong, the fix, caught by, hunt),
    /// as the book shows it.
    pub fn markdown_table() -> String {
        let mut s = String::from(
            "| id | name | what went wrong | the model's default | caught by | hunted in |\n\
             |---|---|---|---|---|---|\n",
        );
        for bug in Bug::ALL {
            let i = bug.info();
            let caught: Vec<String> = i.caught_by.iter().map(|p| format!("`{p}`")).collect();
            s.push_str(&format!(
                "| {} | `{}` | {} | {} | {} | `{}`, {} seeds |\n",
                i.id,
                bug.name(),
                i.summary,
                i.fix,
                caught.join(", "),
                i.preset,
                i.budget
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ids_round_trip() {
        for bug in Bug::ALL {
            assert_eq!(Bug::parse(&bug.name()), Ok(*bug));
            assert_eq!(Bug::parse(&bug.id()), Ok(*bug));
        }
        assert_eq!(Bug::LazyRenameFencing.id(), "B15");
        assert_eq!(Bug::AckWithoutJournal.name(), "ack-without-journal");
        assert!(Bug::parse("nope")
            .unwrap_err()
            .contains("lazy-rename-fencing"));
    }

    /// Ids are declared, not counted: unique; and each declaration names real invariants and presets.
    #[test]
    fn ids_are_unique_and_every_bug_names_known_invariants_and_presets() {
        let mut ids: Vec<&str> = Bug::ALL.iter().map(|b| b.info().id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), Bug::ALL.len());
        for bug in Bug::ALL {
            let i = bug.info();
            assert!(!i.caught_by.is_empty(), "{}", i.id);
            for p in i.caught_by {
                assert!(
                    crate::check::property(p).is_some(),
                    "{}: no property {p}",
                    i.id
                );
            }
            assert!(
                crate::options::Options::preset(i.preset).is_some(),
                "{}",
                i.id
            );
            assert!(i.budget > 0);
        }
    }
}
