//! The end of a run or a story: the cluster settles, every master's final state and a fresh
//! reader's replay of the journal are recorded, and the history is checked.

use super::Cluster;
use crate::check::Violation;
use crate::history::{Event, EventKind, FinalFile};
use crate::journal::reader;
use crate::net::Role;
use crate::op::{FsOp, FsReply};
use crate::options::Options;
use madsim::time::sleep;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

/// A finished story: its whole history, and the options that set its properties' bounds.
pub struct Finished {
    /// Every event of the run, the final states and the fresh reader's journal replay included.
    pub events: Vec<Event>,
    /// The cluster's options.
    pub options: Arc<Options>,
}

impl Finished {
    /// Every property the history breaks, in table order ([`crate::check::violations`]).
    pub fn violations(&self) -> Vec<Violation> {
        crate::check::violations(&self.events, &self.options)
    }

    /// The violation of the property called `name`, if the history breaks it.
    ///
    /// # Panics
    /// If no property has that name.
    pub fn violation(&self, name: &str) -> Option<Violation> {
        crate::check::property(name)
            .unwrap_or_else(|| panic!("no property {name}"))
            .violation(&self.events, &self.options)
    }
}

impl Cluster {
    /// Ends the story: lets the cluster settle, records every master's final state and a fresh
    /// reader's replay of the journal, shuts the cluster down, and returns the history to check.
    pub async fn finish(self) -> Finished {
        let options = self.options.clone();
        let events = final_phase(self).await;
        Finished { events, options }
    }
}

/// Records every master's final state and the fresh reader's replay, then shuts down.
pub(crate) async fn final_phase(cluster: Cluster) -> Vec<Event> {
    let history = cluster.history.clone();
    history.record(
        "harness",
        EventKind::Phase {
            name: "final".into(),
        },
    );
    // Let the cluster settle: a primary serves, a deposed primary has had a session timeout to
    // learn it, and standbys have tailed the last completed entries.
    // Masters that exit meanwhile (a flush timeout can end after the heal) are restarted, as a
    // supervisor would, and the settling starts again.
    let o = cluster.options.clone();
    let settle = Duration::from_millis(
        o.zookeeper_session_timeout_ms + 3 * o.master_journal_tailer_sleep_time_ms,
    );
    let mut quiet_since = madsim::time::Instant::now();
    let give_up = quiet_since + Duration::from_millis(4 * o.failover_bound_ms());
    cluster
        .wait_for_primary(Duration::from_millis(o.failover_bound_ms()))
        .await;
    loop {
        let now = madsim::time::Instant::now();
        if cluster.restart_exited() > 0 {
            quiet_since = now;
        }
        if now - quiet_since >= settle || now >= give_up {
            break;
        }
        sleep(Duration::from_millis(100)).await;
    }
    cluster
        .wait_for_primary(Duration::from_millis(o.failover_bound_ms()))
        .await;
    for index in 0..o.masters {
        let mut status = None;
        // A master still replaying (a slow CPU) answers once it is done.
        let limit = Duration::from_millis(1_000 + o.journal_work_bound_ms());
        for _ in 0..3 {
            status = cluster.master_status_within(index, limit).await;
            if status.is_some() {
                break;
            }
        }
        if let Some(s) = status {
            let kind = EventKind::FinalState {
                primary: s.primary,
                applied_seq: s.next_seq,
                digest: s.digest,
            };
            history.record(&Role::Master(index).name(), kind);
            if s.primary {
                // What a client writing a block would be told: `worker_registry` compares it
                // with the registrations this primary recorded.
                let workers = cluster.worker_list_within(index, limit).await;
                history.record(
                    &Role::Master(index).name(),
                    EventKind::FinalWorkerList { workers },
                );
            }
        }
    }
    let files = cluster.journal_files();
    let replay = reader::replay(&files);
    let deleted = cluster.deleted_journal_files();
    let order = reader::entry_order(&files, &deleted);
    // What the storage deleted, by name: `no_lost_entries` holds journal GC to account for it.
    let deleted_in = |dir: &str| -> Vec<(u64, u64)> {
        deleted
            .iter()
            .filter_map(|(path, _)| path.strip_prefix(dir)?.strip_prefix('/'))
            .filter_map(crate::journal::parse_range)
            .collect()
    };
    let deleted_logs = deleted_in(crate::journal::LOGS)
        .into_iter()
        .filter(|(_, end)| *end != crate::journal::IN_PROGRESS)
        .collect();
    let deleted_checkpoints = deleted_in(crate::journal::CHECKPOINTS)
        .into_iter()
        .map(|(_, end)| end)
        .collect();
    let applied: BTreeSet<u64> = history.with_events(|events| {
        events
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::FinalState { applied_seq, .. } => Some(applied_seq),
                _ => None,
            })
            .collect()
    });
    let completed_end = files
        .keys()
        .filter_map(|path| path.strip_prefix(crate::journal::LOGS)?.strip_prefix('/'))
        .filter_map(crate::journal::parse_range)
        .map(|(_, end)| end)
        .filter(|end| *end != crate::journal::IN_PROGRESS)
        .fold(replay.checkpoint_seq, u64::max);
    let digest_at = applied
        .into_iter()
        .map(|seq| (seq, reader::digest_at(&files, seq)))
        .collect();
    history.record(
        "reader",
        EventKind::JournalReplay {
            checkpoint_seq: replay.checkpoint_seq,
            checkpoint_ops: replay.checkpoint_ops,
            entries: replay.entries,
            digest: replay.digest,
            problem: replay.problem,
            digest_at,
            order,
            completed_end,
            deleted_logs,
            deleted_checkpoints,
        },
    );
    // Where the final primary finds the blocks of every file the journal holds complete:
    // `settled_blocks` holds them to the blocks the workers have.
    let final_primary = history.with_events(|events| {
        events.iter().rev().find_map(|e| match e.kind {
            EventKind::FinalState { primary: true, .. } => Role::parse(&e.node),
            _ => None,
        })
    });
    if let Some(Role::Master(index)) = final_primary {
        let limit = Duration::from_millis(1_000 + o.journal_work_bound_ms());
        let mut files = vec![];
        for (path, blocks) in &replay.completed_files {
            let op = FsOp::GetBlockLocations { path: path.clone() };
            let answer = match cluster.read_within(index, op, limit).await {
                Some(FsReply::Blocks(b)) => Some(b),
                _ => None,
            };
            files.push(FinalFile {
                path: path.clone(),
                blocks: blocks.clone(),
                answer,
            });
        }
        history.record(
            &Role::Master(index).name(),
            EventKind::FinalBlockLocations { files },
        );
    }
    cluster.shutdown().await;
    history.take()
}
