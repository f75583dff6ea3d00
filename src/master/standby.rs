//! The standby: replays the journal's completed logs as the primary writes them, checkpoints,
//! and says when it has caught up (Alluxio 2.6 joins the election only then).

use super::Master;
use crate::history::{now_us, EventKind};
use crate::journal::Tailer;
use madsim::task::JoinHandle;
use madsim::time::sleep;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// Starts standby work: reset to the newest checkpoint, then tail completed logs and write
/// checkpoints.
pub(super) fn start(m: Arc<Master>) -> JoinHandle<()> {
    // Cleared before the task first runs: the master may ask whether it is caught up at once.
    m.caught_up.store(false, Ordering::SeqCst);
    madsim::task::spawn(async move {
        let mut tailer = Tailer::new(
            m.ufs.clone(),
            &m.name,
            m.history.clone(),
            m.options.master_journal_checkpoint_period_entries,
        )
        .charging(m.journal_work());
        let sleep_time = Duration::from_millis(m.options.master_journal_tailer_sleep_time_ms);
        // Demotion resets in-memory state: replay from the newest checkpoint as a standby.
        loop {
            match tailer.start().await {
                Ok(replica) => {
                    *m.replica.lock().await = replica;
                    break;
                }
                Err(_) => sleep(sleep_time).await,
            }
        }
        loop {
            {
                let mut replica = m.replica.lock().await;
                let (began_us, from_seq) = (now_us(), replica.next_seq);
                let pass = tailer.catch_up(&mut replica).await;
                // Recorded even when the pass failed part-way: what it applied stays applied.
                let applied = tailer.applied().to_vec();
                if replica.next_seq != from_seq || !applied.is_empty() {
                    m.history.record(
                        &m.name,
                        EventKind::StandbyReplayed {
                            from_seq,
                            to_seq: replica.next_seq,
                            finished: pass.is_ok(),
                            applied,
                        },
                    );
                }
                if let Ok(applied) = pass {
                    if applied == 0 && !m.caught_up.swap(true, Ordering::SeqCst) {
                        m.history.record(
                            &m.name,
                            EventKind::CaughtUp {
                                began_us,
                                from_seq,
                                to_seq: replica.next_seq,
                            },
                        );
                    }
                    tailer.maybe_checkpoint(&mut replica).await;
                }
            }
            sleep(sleep_time).await;
        }
    })
}

/// Waits until the standby tailer has applied every completed log.
pub(super) async fn caught_up(m: &Master) {
    let poll = Duration::from_millis(m.options.master_journal_tailer_sleep_time_ms);
    while !m.caught_up.load(Ordering::SeqCst) {
        sleep(poll).await;
    }
}
