//! Primacy: promotion (gainPrimacy), serving, and demotion (losePrimacy).

use super::selector::{advertise, ends_primacy, unadvertise};
use super::{JournalRequest, Master, Stage};
use crate::bugs::Bug;
use crate::history::EventKind;
use crate::journal::{gc, writer::WriteError, LogWriter, Tailer};
use crate::options::Fencing;
use crate::ufs::UfsError;
use crate::vocab::StepDownReason;
use crate::zookeeper::{ZkClient, ZkEvent};
use futures::channel::{mpsc, oneshot};
use futures::{FutureExt, StreamExt};
use madsim::time::{sleep, Instant};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// Runs one term of leadership: promotes, serves until leadership ends, and returns why the
/// master stepped down (`None`: promotion was aborted or failed, as recorded, and it never served).
/// The caller then demotes.
pub async fn lead(
    master: &Arc<Master>,
    zk: &ZkClient,
    events: &mut mpsc::UnboundedReceiver<ZkEvent>,
    term: u64,
    session: u64,
) -> Option<StepDownReason> {
    let policy = master.options.connection_error_policy();
    master
        .history
        .record(&master.name, EventKind::Promoting { term });
    {
        let mut s = master.status.lock().unwrap();
        s.stage = Stage::Promoting;
        s.term = term;
    }
    // As Alluxio's PrimarySelectorClient: a leader that cannot publish its address gives the
    // leadership up (and rejoins the election) rather than lead where no client can find it.
    if advertise(master, zk).await.is_err() {
        master
            .history
            .record(&master.name, EventKind::PromotionAborted { term });
        return None;
    }

    let promotion = promote(master, term);
    let writer = if master.bug(Bug::UninterruptiblePromotion) {
        // Bug B8: promotion runs to the end, and what ZooKeeper said meanwhile is not heard.
        let writer = promotion.await;
        while events.try_recv().is_ok() {}
        writer
    } else {
        let mut promotion = Box::pin(promotion.fuse());
        loop {
            futures::select_biased! {
                writer = promotion => break writer,
                event = events.next() => match event {
                    Some(ZkEvent::Connection { state, session: s }) if ends_primacy(policy, state, s, session) => {
                        master.history.record(&master.name, EventKind::PromotionAborted { term });
                        // The session may still be alive (STANDARD policy): withdraw the address.
                        unadvertise(master, zk).await;
                        return None;
                    }
                    None => return None,
                    _ => {}
                },
            }
        }
    };
    let writer = match writer {
        Ok(w) => Arc::new(futures::lock::Mutex::new(w)),
        Err(e) => {
            master.history.record(
                &master.name,
                EventKind::PromotionFailed {
                    term,
                    reason: format!("promotion failed: {e:?}"),
                },
            );
            unadvertise(master, zk).await;
            return None;
        }
    };

    let (journal_tx, journal_rx) = mpsc::unbounded();
    let (fatal_tx, fatal_rx) = oneshot::channel();
    let next_seq = master.replica.lock().await.next_seq;
    {
        let mut s = master.status.lock().unwrap();
        s.stage = Stage::Primary;
        s.journal = Some(journal_tx);
        if !master.bug(Bug::SafeModeOnlyAtStart) {
            s.safe_mode_until = Instant::now()
                + Duration::from_millis(master.options.master_worker_connect_wait_time_ms);
        }
    }
    master.writable.store(true, Ordering::SeqCst);
    master
        .history
        .record(&master.name, EventKind::BecamePrimary { term, next_seq });
    let flusher = madsim::task::spawn(flush_loop(
        master.clone(),
        writer.clone(),
        journal_rx,
        fatal_tx,
    ));
    let chores = madsim::task::spawn(primary_chores(master.clone()));

    let mut fatal_rx = fatal_rx.fuse();
    let reason = loop {
        futures::select_biased! {
            fatal = fatal_rx => break match fatal {
                Ok(WriteError::FlushTimeout) => StepDownReason::FlushTimeout,
                Ok(WriteError::Fenced) => StepDownReason::Fenced,
                Err(_) => StepDownReason::WriterStopped,
            },
            event = events.next() => match event {
                Some(ZkEvent::Connection { state, session: s }) if ends_primacy(policy, state, s, session) => {
                    break StepDownReason::Connection(state);
                }
                None => break StepDownReason::ZooKeeperClosed,
                _ => {}
            },
        }
    };

    // Demotion: stop serving first, then the flush writer, then the log writer.
    {
        let mut s = master.status.lock().unwrap();
        s.stage = Stage::Standby;
        s.journal = None;
    }
    master.writable.store(false, Ordering::SeqCst);
    master
        .history
        .record(&master.name, EventKind::SteppedDown { term, reason });
    chores.abort();
    if !master.bug(Bug::FlushThreadSurvivesDemotion) {
        flusher.abort();
    }
    writer.lock().await.close().await;
    if reason != StepDownReason::FlushTimeout {
        unadvertise(master, zk).await;
    }
    Some(reason)
}

/// Finishes demotion: a master whose journal failed for good exits; any other goes back to
/// standby (the caller restarts the tailer from the newest checkpoint).
pub async fn demote(master: &Arc<Master>, reason: Option<StepDownReason>) {
    if let Some(reason @ StepDownReason::FlushTimeout) = reason {
        master.history.record(
            &master.name,
            EventKind::MasterExit {
                reason: reason.to_string(),
            },
        );
        madsim::runtime::Handle::current().kill(master.name.as_str());
        return;
    }
    // What the primary applied may not all be durable: forget it now, so that a new term
    // starts from the journal even if the standby tailer never gets to reload it.
    *master.replica.lock().await = crate::journal::Replica::default();
    // The worker registry too (Alluxio resets the block master's state): workers register
    // again with whichever master is primary next, this one included. Bug B23 keeps it.
    if !master.bug(Bug::StaleBlockMasterAfterDemotion) {
        *master.registry.lock().unwrap() = Default::default();
    }
}

/// gainPrimacy: drain the tailer until quiet, read the old primary's in-progress log, fence it,
/// and open a new log at the next sequence number.
async fn promote(master: &Arc<Master>, term: u64) -> Result<LogWriter, UfsError> {
    let options = &master.options;
    let mut tailer = Tailer::new(
        master.ufs.clone(),
        &master.name,
        master.history.clone(),
        options.master_journal_checkpoint_period_entries,
    )
    .charging(master.journal_work());
    // Bug B12: promotion starts the replay over, from zero, as old versions did.
    if master.options.bug == Some(Bug::StandardPolicyFlapping) {
        let fresh = tailer.start().await?;
        *master.replica.lock().await = fresh;
    }
    let quiet = Duration::from_millis(options.master_journal_tailer_shutdown_quiet_wait_time_ms);
    let tailer_sleep = Duration::from_millis(options.master_journal_tailer_sleep_time_ms);
    let mut last_new = Instant::now();
    // The replica is locked one pass at a time: between passes the admin port answers (and,
    // with bug B22, worker registrations read a replica not caught up yet).
    loop {
        let applied = tailer.catch_up(&mut *master.replica.lock().await).await?;
        if applied > 0 {
            last_new = Instant::now();
        } else if Instant::now() - last_new >= quiet {
            break;
        }
        sleep(tailer_sleep.min(quiet)).await;
    }
    let mut replica = master.replica.lock().await;
    let lazy = options.fencing() == Fencing::LazyRename;
    let open = tailer.catch_up_in_progress(&mut replica, !lazy).await?;
    let n = replica.next_seq;
    // Lazy fencing: each old in-progress log will be completed at the start of the next one,
    // the last at N, when the first entry is written.
    let fence: Vec<(String, u64, u64)> = open
        .iter()
        .enumerate()
        .map(|(i, (path, start))| {
            (
                path.clone(),
                *start,
                open.get(i + 1).map(|o| o.1).unwrap_or(n),
            )
        })
        .collect();
    drop(replica);
    LogWriter::open(
        master.ufs.clone(),
        master.holder.clone(),
        master.name.clone(),
        master.history.clone(),
        term,
        master.options.clone(),
        n,
        fence,
        master.writable.clone(),
    )
    .await
}

/// The asynchronous flush writer: collects requests for `master.journal.flush.batch.time`,
/// writes the entries, then acknowledges them and answers the barriers. A batch that cannot be
/// made durable is never acknowledged; a barrier that asks for it and finds nothing to write
/// confirms the journal's lease with a flush of its own.
async fn flush_loop(
    master: Arc<Master>,
    writer: Arc<futures::lock::Mutex<LogWriter>>,
    mut requests: mpsc::UnboundedReceiver<JournalRequest>,
    fatal: oneshot::Sender<WriteError>,
) {
    let batch_time = Duration::from_millis(master.options.master_journal_flush_batch_time_ms);
    while let Some(first) = requests.next().await {
        sleep(batch_time).await;
        let mut batch = vec![first];
        while let Ok(more) = requests.try_recv() {
            batch.push(more);
        }
        let mut entries = vec![];
        let mut acks = vec![];
        let mut barriers = vec![];
        let mut confirm_lease = false;
        let mut ahead = vec![];
        for request in batch {
            match request {
                JournalRequest::Append(entry, ack) => {
                    entries.push(entry);
                    acks.push(ack);
                }
                JournalRequest::Barrier {
                    confirm_lease: confirm,
                    after_pending: true,
                    done,
                } => {
                    confirm_lease |= confirm;
                    barriers.push(done);
                }
                JournalRequest::Barrier {
                    after_pending: false,
                    done,
                    ..
                } => ahead.push(done),
            }
        }
        if !ahead.is_empty() {
            // Applied visibility: the reads' answers leave before this batch is durable.
            let confirmed = match writer.lock().await.confirm().await {
                Ok(()) => true,
                Err(Some(e)) => {
                    let _ = fatal.send(e);
                    return;
                }
                Err(None) => false,
            };
            for done in ahead {
                let _ = done.send(confirmed);
            }
        }
        if !entries.is_empty() {
            // The flush of the entries confirms the lease too.
            confirm_lease = false;
            let result = writer.lock().await.write(&entries).await;
            if let Err(e) = result {
                let _ = fatal.send(e);
                return;
            }
            for ack in acks {
                let _ = ack.send(());
            }
        }
        let confirmed = if confirm_lease {
            match writer.lock().await.confirm().await {
                Ok(()) => true,
                Err(Some(e)) => {
                    let _ = fatal.send(e);
                    return;
                }
                Err(None) => false,
            }
        } else {
            true
        };
        for done in barriers {
            let _ = done.send(confirmed);
        }
    }
}

/// The primary's periodic work: journal GC and lost-worker detection.
async fn primary_chores(master: Arc<Master>) {
    let options = master.options.clone();
    let gc_period = Duration::from_millis(options.master_journal_gc_period_ms);
    let detect = Duration::from_millis(options.master_lost_worker_detection_interval_ms);
    let timeout = Duration::from_millis(options.master_worker_timeout_ms);
    let mut next_gc = Instant::now() + gc_period;
    loop {
        sleep(detect.min(gc_period)).await;
        for (worker_id, last_heard_us) in master.registry.lock().unwrap().remove_lost(timeout) {
            let lost = EventKind::WorkerLost {
                worker_id,
                last_heard_us,
            };
            master.history.record(&master.name, lost);
        }
        if Instant::now() >= next_gc {
            next_gc = Instant::now() + gc_period;
            gc::collect(
                &master.ufs,
                options.master_journal_gc_threshold_ms,
                &master.name,
                &master.history,
            )
            .await;
        }
    }
}
