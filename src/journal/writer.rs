//! The primary's log writer: batched flushes, retry on failure, rotation and completion.

use super::{log_path, parse_range, JournalEntry, Record, IN_PROGRESS, LOGS};
use crate::bugs::Bug;
use crate::history::{EventKind, History};
use crate::journal::JournalUfs;
use crate::options::{Fencing, Options};
use crate::ufs::{NamespaceChange, UfsError, UfsOp, UfsReply};
use madsim::time::{sleep, Instant};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The log being written.
struct OpenLog {
    path: String,
    inode: u64,
    start: u64,
}

/// Writes one primary's entries to the journal.
pub struct LogWriter {
    ufs: JournalUfs,
    holder: String,
    node: String,
    history: History,
    term: u64,
    options: Arc<Options>,
    log: OpenLog,
    /// The log must be completed before anything else is written (a flush failed, or it is full).
    /// Until its completion is known to have happened, nothing more is appended to it: a
    /// completed log's later entries would be invisible to readers.
    must_complete: bool,
    /// False once the log is completed: a new one must be created before the next append.
    log_open: bool,
    /// The next log, created but not yet known to be this writer's own (the check that no newer
    /// log exists got no answer): the next roll checks again instead of creating it again.
    created: Option<OpenLog>,
    /// The last roll got no answer from the UFS: the completion or create it sent may have
    /// happened. Until a roll is answered, the writer's own doing and another primary's look
    /// alike in a listing.
    unanswered: bool,
    /// Every entry below this is durable.
    flushed_end: u64,
    /// Lazy-rename fencing still to do at the first write: (old in-progress path, start, end).
    fence: Vec<(String, u64, u64)>,
    fenced_recorded: bool,
    /// Cleared when the master stops being primary: file actions check it first.
    writable: Arc<AtomicBool>,
}

/// Why the writer gave up on a batch.
#[derive(Debug, PartialEq, Eq)]
pub enum WriteError {
    /// Flushes failed for `master.journal.flush.timeout`: the master must exit.
    FlushTimeout,
    /// Another primary recovered the log's lease: this writer is fenced and must step down.
    Fenced,
}

impl LogWriter {
    /// Opens a new in-progress log at `next_seq`.
    #[allow(clippy::too_many_arguments)]
    pub async fn open(
        ufs: JournalUfs,
        holder: String,
        node: String,
        history: History,
        term: u64,
        options: Arc<Options>,
        next_seq: u64,
        fence: Vec<(String, u64, u64)>,
        writable: Arc<AtomicBool>,
    ) -> Result<LogWriter, UfsError> {
        // The writer's calls are its term's: a later term's create of the same path is new.
        let ufs = ufs.own_repeats();
        let log = create_log(&ufs, &holder, next_seq).await?;
        check_still_ours(&ufs, &holder, &log, options.fencing()).await?;
        Ok(LogWriter {
            ufs,
            holder,
            node,
            history,
            term,
            options,
            log,
            must_complete: false,
            log_open: true,
            created: None,
            unanswered: false,
            flushed_end: next_seq,
            fence,
            fenced_recorded: false,
            writable,
        })
    }

    fn bug(&self, bug: Bug) -> bool {
        self.options.bug == Some(bug)
    }

    /// Appends and flushes a batch, retrying failures every `master.journal.retry.interval`.
    pub async fn write(&mut self, batch: &[JournalEntry]) -> Result<(), WriteError> {
        let (from, to) = (batch[0].seq, batch[batch.len() - 1].seq + 1);
        let records: Vec<Arc<Record>> = batch
            .iter()
            .map(|e| Arc::new(Record::Entry(e.clone())))
            .collect();
        let started = Instant::now();
        loop {
            while let Some((old, start, end)) = self.fence.first().cloned() {
                // Lazy-rename fencing: complete the old primary's log at the range read during
                // catch-up. Its writer can still append to the renamed file.
                match self.ufs.rename(&old, &log_path(start, end)).await {
                    Ok(()) | Err(UfsError::NotFound) | Err(UfsError::AlreadyExists) => {
                        self.fence.remove(0);
                    }
                    Err(_) => break,
                }
            }
            let result = match self.roll().await {
                Err(e) => Err(e),
                Ok(()) => match self
                    .ufs
                    .call(UfsOp::Append {
                        inode: self.log.inode,
                        holder: self.holder.clone(),
                        records: records.clone(),
                    })
                    .await
                {
                    Ok(_) => {
                        self.ufs
                            .call(UfsOp::Flush {
                                inode: self.log.inode,
                                holder: self.holder.clone(),
                            })
                            .await
                    }
                    Err(e) => Err(e),
                },
            };
            let ok = result.is_ok();
            self.history.record(
                &self.node,
                EventKind::JournalFlush {
                    term: self.term,
                    from,
                    to,
                    ok,
                },
            );
            match result {
                Ok(_) => {
                    self.flushed_end = to;
                    self.maybe_rotate().await;
                    return Ok(());
                }
                Err(UfsError::LeaseLost) => {
                    let fenced = self.fenced();
                    if !self.bug(Bug::FlushFailureRenamesOtherLog) {
                        return Err(fenced);
                    }
                }
                Err(_) => {}
            }
            if Instant::now() - started
                >= Duration::from_millis(self.options.master_journal_flush_timeout_ms)
            {
                return Err(WriteError::FlushTimeout);
            }
            sleep(Duration::from_millis(
                self.options.master_journal_retry_interval_ms,
            ))
            .await;
            self.recover_from_flush_failure().await?;
        }
    }

    /// Confirms that this writer still owns the journal: a flush of its log with nothing new in
    /// it, which fails once another primary has recovered the log's lease (lease-recovery
    /// fencing). `Err(Some(Fenced))`: another primary has the journal, and this one must step
    /// down; `Err(None)`: the UFS did not confirm it this time (a storage fault, no answer).
    pub async fn confirm(&mut self) -> Result<(), Option<WriteError>> {
        if !self.writable.load(Ordering::SeqCst) {
            return Err(Some(WriteError::Fenced));
        }
        if self.must_complete || !self.log_open {
            self.roll().await.map_err(|_| None)?;
        }
        let result = self
            .ufs
            .call(UfsOp::Flush {
                inode: self.log.inode,
                holder: self.holder.clone(),
            })
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(UfsError::LeaseLost) => Err(Some(self.fenced())),
            Err(_) => Err(None),
        }
    }

    /// After a failed flush: complete the current log at what is durable, then start a new log
    /// there and write the batch again. With bug B10 the log is left incomplete (standbys, which
    /// read only completed logs, then find a gap); with bug B3 the writer does not check that it
    /// is still primary and completes whatever in-progress log it finds, perhaps the new primary's.
    /// Before touching any file the correct writer checks that the journal is still its own: its
    /// log is still in progress and no later log exists. Otherwise another primary has taken over
    /// and this writer is fenced, whatever it still believes.
    async fn recover_from_flush_failure(&mut self) -> Result<(), WriteError> {
        if self.bug(Bug::FlushFailureRenamesOtherLog) {
            if let Ok(listing) = self.ufs.list(LOGS).await {
                if let Some(f) = listing
                    .iter()
                    .filter(|f| parse_range(&f.name).map(|r| r.1) == Some(IN_PROGRESS))
                    .max_by_key(|f| parse_range(&f.name).unwrap().0)
                {
                    let start = parse_range(&f.name).unwrap().0;
                    let _ = self
                        .ufs
                        .rename(
                            &format!("{LOGS}/{}", f.name),
                            &log_path(start, start.max(self.flushed_end)),
                        )
                        .await;
                }
            }
        } else {
            if !self.writable.load(Ordering::SeqCst) {
                return Err(WriteError::Fenced);
            }
            if self.unanswered {
                // Repeat the unanswered roll first: the UFS's retry cache answers its calls as it
                // did the first time, so the listing below cannot show this writer's own
                // completion or create as another primary's.
                match self.roll().await {
                    Ok(()) | Err(UfsError::Timeout) => return Ok(()),
                    Err(UfsError::LeaseLost) => return Err(self.fenced()),
                    Err(_) => {}
                }
            }
            let Ok(listing) = self.ufs.list(LOGS).await else {
                return Ok(());
            };
            let mine = self
                .log
                .path
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_string();
            let superseded = (self.log_open && !listing.iter().any(|f| f.name == mine))
                || listing
                    .iter()
                    .filter_map(|f| parse_range(&f.name))
                    .any(|(start, _)| start > self.log.start);
            if superseded {
                return Err(self.fenced());
            }
            if self.bug(Bug::IncompleteLogAfterFlushFailure) {
                // B10: abandon the log where it is and start a new one.
                self.log_open = false;
                return Ok(());
            }
        }
        if self.log_open {
            self.must_complete = true;
        }
        let _ = self.roll().await;
        Ok(())
    }

    /// Records that this writer found itself fenced (once per term).
    fn fenced(&mut self) -> WriteError {
        if !self.fenced_recorded {
            self.fenced_recorded = true;
            self.history
                .record(&self.node, EventKind::Fenced { term: self.term });
        }
        WriteError::Fenced
    }

    /// Completes the current log if it must be, and opens a new one if none is open. An error
    /// leaves the writer where it was, to try again at the next write.
    async fn roll(&mut self) -> Result<(), UfsError> {
        let result = self.roll_once().await;
        self.unanswered = result == Err(UfsError::Timeout);
        result
    }

    /// One try of [`Self::roll`].
    async fn roll_once(&mut self) -> Result<(), UfsError> {
        if self.must_complete {
            self.complete().await?;
            self.must_complete = false;
            self.log_open = false;
        }
        if !self.log_open {
            let log = match self.created.take() {
                Some(log) => log,
                None => create_log(&self.ufs, &self.holder, self.flushed_end).await?,
            };
            match check_still_ours(&self.ufs, &self.holder, &log, self.options.fencing()).await {
                Err(UfsError::Timeout) => {
                    self.created = Some(log);
                    return Err(UfsError::Timeout);
                }
                result => result?,
            }
            self.log = log;
            self.log_open = true;
            self.history.record(
                &self.node,
                EventKind::LogCreated {
                    start: self.log.start,
                },
            );
        }
        Ok(())
    }

    async fn maybe_rotate(&mut self) {
        let entries = self.flushed_end - self.log.start;
        if entries * self.options.journal_entry_size_bytes
            >= self.options.master_journal_log_size_bytes_max
        {
            self.must_complete = true;
            let _ = self.roll().await;
        }
    }

    /// Completes the current log: renames it to its final range, or deletes it if empty. Another
    /// process completing it first is fine; a completed log is never deleted (bug B2 deleted the
    /// "duplicate").
    async fn complete(&mut self) -> Result<(), UfsError> {
        let (start, end) = (self.log.start, self.flushed_end);
        // Only while this writer holds the log's lease: a path can be reused by the next
        // primary once the old log is gone, and that log is not ours to complete or delete.
        let holder = Some(self.holder.as_str());
        let result = if end == start {
            self.ufs.delete_held(&self.log.path, holder).await
        } else {
            self.ufs
                .rename_held(&self.log.path, &log_path(start, end), holder)
                .await
        };
        match result {
            Ok(()) => {
                self.history
                    .record(&self.node, EventKind::LogCompleted { start, end });
                Ok(())
            }
            Err(UfsError::NotFound) => {
                if self.bug(Bug::DeleteDuplicateCompletedLog) {
                    if let Ok(listing) = self.ufs.list(LOGS).await {
                        for f in listing {
                            if matches!(parse_range(&f.name), Some((s, e)) if s == start && e != IN_PROGRESS)
                            {
                                let _ = self.ufs.delete(&format!("{LOGS}/{}", f.name)).await;
                            }
                        }
                    }
                }
                // The log is gone from its in-progress name, and not by this writer's own hand
                // (the retry cache answers a repeat of its own completion). With lease-recovery
                // fencing a new primary recovered the lease and completed it: then this writer is
                // fenced and must not open the next log, whose name the new primary may already
                // have used and completed. The lease tells; no answer tells nothing yet.
                if self.options.fencing() != Fencing::LeaseRecovery {
                    return Ok(());
                }
                let still_mine = self
                    .ufs
                    .call(UfsOp::Append {
                        inode: self.log.inode,
                        holder: self.holder.clone(),
                        records: vec![],
                    })
                    .await;
                match still_mine {
                    Ok(_) => Ok(()),
                    Err(UfsError::Timeout) => Err(UfsError::Timeout),
                    Err(_) => Err(UfsError::LeaseLost),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Closes the writer on demotion: completes the log (best effort).
    pub async fn close(&mut self) {
        if self.log_open {
            let _ = self.complete().await;
        }
    }
}

/// Creates the in-progress log at `start`.
async fn create_log(ufs: &JournalUfs, holder: &str, start: u64) -> Result<OpenLog, UfsError> {
    let path = log_path(start, IN_PROGRESS);
    let inode = match ufs
        .call(UfsOp::Change(NamespaceChange::Create {
            path: path.clone(),
            holder: holder.to_string(),
        }))
        .await?
    {
        UfsReply::Inode(inode) => inode,
        _ => unreachable!(),
    };
    Ok(OpenLog { path, inode, start })
}

/// With lease-recovery fencing, checks after creating `log` that the journal is still this
/// writer's own: a log reaching past its start means another primary has written there, and this
/// writer (paused, say, between completing its last log and creating this one) was deposed
/// without any lease of its to recover; it deletes the log and is fenced (`LeaseLost`). The
/// check follows the create, so a new primary either shows up in the listing or, listing later,
/// finds this log and recovers it.
async fn check_still_ours(
    ufs: &JournalUfs,
    holder: &str,
    log: &OpenLog,
    fencing: Fencing,
) -> Result<(), UfsError> {
    let (path, start) = (&log.path, log.start);
    if fencing == Fencing::LeaseRecovery {
        let overtaken = ufs.list(LOGS).await?.iter().any(|f| {
            parse_range(&f.name).is_some_and(|(s, e)| {
                if e == IN_PROGRESS {
                    s > start
                } else {
                    e > start
                }
            })
        });
        if overtaken {
            let _ = ufs.delete_held(path, Some(holder)).await;
            return Err(UfsError::LeaseLost);
        }
    }
    Ok(())
}
