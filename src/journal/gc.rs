//! Journal garbage collection, run by the primary every `master.journal.gc.period`: keep at most
//! two checkpoints, and delete completed logs that the newest checkpoint covers once they are
//! older than `master.journal.gc.threshold`.

use super::{checkpoint_path, parse_range, CHECKPOINTS, IN_PROGRESS, LOGS};
use crate::history::{EventKind, History};
use crate::journal::JournalUfs;

/// One collection pass. Errors are ignored: the next pass tries again.
pub async fn collect(ufs: &JournalUfs, threshold_ms: u64, node: &str, history: &History) {
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
    let mut checkpoints = vec![];
    for end in &ends[..ends.len().saturating_sub(2)] {
        if ufs.delete(&checkpoint_path(*end)).await.is_ok() {
            checkpoints.push(*end);
        }
    }
    let Ok(listing) = ufs.list(LOGS).await else {
        return;
    };
    let now_us = madsim::time::TimeHandle::current().elapsed().as_micros() as u64;
    let mut logs = vec![];
    for f in listing {
        let Some((start, end)) = parse_range(&f.name) else {
            continue;
        };
        if end != IN_PROGRESS
            && end <= covered
            && now_us.saturating_sub(f.mtime_us) >= threshold_ms * 1000
            && ufs.delete(&format!("{LOGS}/{}", f.name)).await.is_ok()
        {
            logs.push((start, end));
        }
    }
    if !logs.is_empty() || !checkpoints.is_empty() {
        history.record(
            node,
            EventKind::JournalGc {
                logs,
                checkpoints,
                covered,
            },
        );
    }
}
