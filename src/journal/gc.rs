//! Journal garbage collection, run by the primary every `master.journal.gc.period`: keep at most
//! two checkpoints, and delete completed logs that the newest checkpoint covers once they are
//! older than `master.journal.gc.threshold`.

use super::{checkpoint_path, log_path, parse_range, CHECKPOINTS, IN_PROGRESS, LOGS};
use crate::history::{now_us, EventKind, History};
use crate::journal::JournalUfs;

/// One collection pass. Errors are ignored: the next pass tries again. Before deleting, the pass
/// records what it is about to delete (checkpoints first, then logs), so that the history
/// accounts for everything the storage lost even when the pass is cut short.
pub async fn collect(ufs: &JournalUfs, threshold_ms: u64, node: &str, history: &History) {
    let started_us = now_us();
    let Ok(checkpoints) = ufs.list(CHECKPOINTS).await else {
        return;
    };
    let mut ends: Vec<u64> = checkpoints
        .iter()
        .filter_map(|f| parse_range(&f.name))
        .map(|r| r.1)
        .collect();
    ends.sort_unstable();
    let Some(&covered) = ends.last() else { return };
    let record = |logs: Vec<(u64, u64)>, checkpoints: Vec<u64>| {
        history.record(
            node,
            EventKind::JournalGc {
                started_us,
                logs,
                checkpoints,
                covered,
            },
        )
    };
    let old = &ends[..ends.len().saturating_sub(2)];
    if !old.is_empty() {
        record(vec![], old.to_vec());
    }
    for end in old {
        let _ = ufs.delete(&checkpoint_path(*end)).await;
    }
    let Ok(listing) = ufs.list(LOGS).await else {
        return;
    };
    let now = now_us();
    let logs: Vec<(u64, u64)> = listing
        .iter()
        .filter(|f| now.saturating_sub(f.mtime_us) >= threshold_ms * 1000)
        .filter_map(|f| parse_range(&f.name))
        .filter(|&(_, end)| end != IN_PROGRESS && end <= covered)
        .collect();
    if !logs.is_empty() {
        record(logs.clone(), vec![]);
    }
    for (start, end) in logs {
        let _ = ufs.delete(&log_path(start, end)).await;
    }
}
