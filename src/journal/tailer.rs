//! Reading the journal: the standby's tailer, promotion catch-up, and checkpoints.

use super::{
    checkpoint_path, log_path, parse_range, Gap, Record, Replica, CHECKPOINTS, IN_PROGRESS, LOGS,
    TMP,
};
use crate::cpu::JournalWork;
use crate::history::{EventKind, History};
use crate::journal::JournalUfs;
use crate::ufs::{UfsError, UfsOp};
use std::sync::Arc;

/// Reads the journal for one master.
pub struct Tailer {
    ufs: JournalUfs,
    node: String,
    history: History,
    checkpoint_period_entries: u64,
    last_gap: Option<Gap>,
    /// The CPU time replay and checkpoints cost, when a master (not the checking reader) reads.
    work: Option<JournalWork>,
    /// The entries the last catch-up pass applied, as sequence ranges `from..to` in the order
    /// it applied them.
    applied: Vec<(u64, u64)>,
}

impl Tailer {
    pub fn new(
        ufs: JournalUfs,
        node: &str,
        history: History,
        checkpoint_period_entries: u64,
    ) -> Self {
        Tailer {
            ufs,
            node: node.to_string(),
            history,
            checkpoint_period_entries,
            last_gap: None,
            work: None,
            applied: vec![],
        }
    }

    /// Charges replay and checkpoints to a master's CPU.
    pub fn charging(mut self, work: JournalWork) -> Self {
        self.work = Some(work);
        self
    }

    async fn charge_replay(&self, entries: u64) {
        if let Some(w) = &self.work {
            w.replay(entries).await;
        }
    }

    async fn charge_checkpoint(&self, replica: &Replica) {
        if let Some(w) = &self.work {
            w.checkpoint(replica.namespace.len() as u64).await;
        }
    }

    /// The newest checkpoint, as a replica, if one exists.
    pub async fn latest_checkpoint(&self) -> Result<Option<Replica>, UfsError> {
        let listing = self.ufs.list(CHECKPOINTS).await?;
        let Some(newest) = listing
            .iter()
            .filter_map(|f| parse_range(&f.name))
            .map(|r| r.1)
            .max()
        else {
            return Ok(None);
        };
        let records = self.ufs.read(&checkpoint_path(newest)).await?;
        match records.first().map(|r| &**r) {
            Some(Record::Checkpoint(cp)) => Ok(Some(Replica::from_checkpoint(cp))),
            _ => Ok(None),
        }
    }

    /// A fresh replica: the newest checkpoint, or the empty namespace.
    pub async fn start(&self) -> Result<Replica, UfsError> {
        let replica = self.latest_checkpoint().await?;
        if let Some(w) = &self.work {
            let checkpoint = replica
                .as_ref()
                .map(|r| (r.namespace.len() as u64, r.next_seq));
            w.fresh_start(checkpoint).await;
        }
        if let Some(r) = &replica {
            self.history
                .record(&self.node, EventKind::CheckpointLoaded { seq: r.next_seq });
        }
        Ok(replica.unwrap_or_default())
    }

    /// The logs' sequence ranges, sorted (in-progress logs end at [`IN_PROGRESS`]).
    async fn list_logs(&self) -> Result<Vec<(u64, u64)>, UfsError> {
        let mut logs: Vec<(u64, u64)> = self
            .ufs
            .list(LOGS)
            .await?
            .iter()
            .filter_map(|f| parse_range(&f.name))
            .collect();
        logs.sort();
        Ok(logs)
    }

    /// Replaces the replica by the newest checkpoint if that is ahead of it; true if it did.
    async fn load_newer_checkpoint(&self, replica: &mut Replica) -> Result<bool, UfsError> {
        match self
            .latest_checkpoint()
            .await?
            .filter(|cp| cp.next_seq > replica.next_seq)
        {
            Some(cp) => {
                self.charge_checkpoint(&cp).await;
                self.history
                    .record(&self.node, EventKind::CheckpointLoaded { seq: cp.next_seq });
                *replica = cp;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Applies every completed log past the replica. Returns how many entries were applied. A gap
    /// that a newer checkpoint covers (its logs were collected) is bridged by loading it; any
    /// other gap is recorded and the tailer stops there until the journal changes.
    pub async fn catch_up(&mut self, replica: &mut Replica) -> Result<u64, UfsError> {
        self.applied.clear();
        let logs = self.list_logs().await?;
        // No log holds the next entry, but a checkpoint covers it: its logs were collected.
        let covered = logs
            .iter()
            .any(|&(start, end)| start <= replica.next_seq && end > replica.next_seq);
        if !covered && self.load_newer_checkpoint(replica).await? {
            return Ok(1);
        }
        let mut applied = 0;
        for (start, end) in logs {
            if end == IN_PROGRESS || end <= replica.next_seq {
                continue;
            }
            let records = match self.ufs.read(&log_path(start, end)).await {
                Ok(r) => r,
                // Collected since the listing: a newer checkpoint covers it.
                Err(UfsError::NotFound) => {
                    if self.load_newer_checkpoint(replica).await? {
                        return Ok(applied + 1);
                    }
                    break;
                }
                Err(e) => return Err(e),
            };
            match replica.apply_log(start, end, &records) {
                Ok(entries) => {
                    if let (Some(first), Some(last)) = (entries.first(), entries.last()) {
                        self.applied.push((first.seq, last.seq + 1));
                    }
                    self.charge_replay(entries.len() as u64).await;
                    applied += entries.len() as u64
                }
                Err(gap) => {
                    if self.load_newer_checkpoint(replica).await? {
                        return Ok(applied + 1);
                    }
                    if self.last_gap != Some(gap) {
                        self.last_gap = Some(gap);
                        self.history.record(
                            &self.node,
                            EventKind::JournalGap {
                                expected: gap.expected,
                                found: gap.found,
                            },
                        );
                    }
                    break;
                }
            }
        }
        Ok(applied)
    }

    /// The entries the last [`Tailer::catch_up`] pass applied, as ranges in the order applied.
    pub fn applied(&self) -> &[(u64, u64)] {
        &self.applied
    }

    /// Promotion catch-up: reads the durable part of every in-progress log (the old primary's)
    /// after the completed ones. With `recover_lease`, first takes each such log's lease, so its
    /// old writer can append no more, and completes it at what it holds. Returns the in-progress
    /// logs left for lazy fencing, as (path, start).
    ///
    /// The old primary may complete its log between two listings: then the log is no longer in
    /// progress but a completed log past what was applied, and the whole read starts again.
    pub async fn catch_up_in_progress(
        &mut self,
        replica: &mut Replica,
        recover_lease: bool,
    ) -> Result<Vec<(String, u64)>, UfsError> {
        'again: for _ in 0..16 {
            self.catch_up(replica).await?;
            let listing = self.list_logs().await?;
            if listing
                .iter()
                .any(|&(_, end)| end != IN_PROGRESS && end > replica.next_seq)
            {
                // Completed after catch_up listed, or a gap catch_up could not cross.
                continue 'again;
            }
            let mut open: Vec<u64> = listing
                .iter()
                .filter(|r| r.1 == IN_PROGRESS)
                .map(|r| r.0)
                .collect();
            open.sort();
            let mut left = vec![];
            for start in open {
                let path = log_path(start, IN_PROGRESS);
                if recover_lease {
                    match self
                        .ufs
                        .call(UfsOp::RecoverLease { path: path.clone() })
                        .await
                    {
                        Ok(_) => {}
                        Err(UfsError::NotFound) => continue 'again,
                        Err(e) => return Err(e),
                    }
                }
                let records = match self.ufs.read(&path).await {
                    Ok(r) => r,
                    Err(UfsError::NotFound) => continue 'again,
                    Err(e) => return Err(e),
                };
                let before = replica.next_seq;
                let applied = replica.apply_log(start, IN_PROGRESS, &records);
                if let Ok(entries) = &applied {
                    self.charge_replay(entries.len() as u64).await;
                }
                if let Err(gap) = applied {
                    self.history.record(
                        &self.node,
                        EventKind::JournalGap {
                            expected: gap.expected,
                            found: gap.found,
                        },
                    );
                    return Err(UfsError::Failed);
                }
                if recover_lease {
                    // Nothing in it the replica lacked (empty, or left behind by a deposed writer
                    // that created it after a newer primary had completed that range): delete it;
                    // else complete it where the replica ends. Completing a log that added
                    // nothing would name a range the completed logs already hold.
                    let done = if replica.next_seq == before {
                        self.ufs.delete(&path).await
                    } else {
                        let end = replica.next_seq;
                        self.ufs.rename(&path, &log_path(start, end)).await
                    };
                    match done {
                        Ok(()) | Err(UfsError::NotFound) => {}
                        Err(e) => return Err(e),
                    }
                } else {
                    left.push((path, start));
                }
            }
            return Ok(left);
        }
        // The journal kept changing under the reader (or has a gap): promotion fails and is
        // retried by the election loop.
        Err(UfsError::Failed)
    }

    /// Writes a checkpoint once `master.journal.checkpoint.period.entries` entries were applied
    /// since the last one: into `.tmp/`, then committed by rename.
    pub async fn maybe_checkpoint(&self, replica: &mut Replica) {
        if replica.since_checkpoint < self.checkpoint_period_entries || replica.next_seq == 0 {
            return;
        }
        self.history.record(
            &self.node,
            EventKind::CheckpointStarted {
                seq: replica.next_seq,
            },
        );
        self.charge_checkpoint(replica).await;
        let tmp = format!("{TMP}/{}-{}", self.node, replica.next_seq);
        let records = vec![Arc::new(Record::Checkpoint(Box::new(replica.checkpoint())))];
        if self
            .ufs
            .call(UfsOp::Put {
                path: tmp.clone(),
                records,
            })
            .await
            .is_err()
        {
            let _ = self.ufs.delete(&tmp).await;
            return;
        }
        match self
            .ufs
            .rename(&tmp, &checkpoint_path(replica.next_seq))
            .await
        {
            Ok(()) => {
                replica.since_checkpoint = 0;
                self.history.record(
                    &self.node,
                    EventKind::CheckpointWritten {
                        seq: replica.next_seq,
                    },
                );
            }
            Err(UfsError::AlreadyExists) => {
                replica.since_checkpoint = 0;
                let _ = self.ufs.delete(&tmp).await;
            }
            Err(_) => {
                let _ = self.ufs.delete(&tmp).await;
            }
        }
    }
}
