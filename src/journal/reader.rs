//! The checking reader: after a run, replays the journal files from scratch as a brand-new master
//! would (newest checkpoint, then every log in order, in-progress logs included) and reports what
//! it found, for the checkers.

use super::{parse_range, Record, Replica, CHECKPOINTS, LOGS};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A log's sequence range `[start, end)`, from its file name.
type SeqRange = (u64, u64);

/// What the reader found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Replay {
    /// Entries below this are known only through the checkpoint.
    pub checkpoint_seq: u64,
    /// Operation ids the checkpoint's retry cache holds.
    pub checkpoint_ops: Vec<u64>,
    /// (seq, term, op_id) of every entry replayed from logs, in order.
    pub entries: Vec<(u64, u64, u64)>,
    /// Digest of the namespace after the replay.
    pub digest: u64,
    /// A gap or unreadable file, if the journal is broken.
    pub problem: Option<String>,
    /// Every file the replayed namespace holds complete, by path, with its block ids.
    pub completed_files: Vec<(String, Vec<crate::op::BlockId>)>,
}

/// Replays `files` (path -> durable records).
pub fn replay(files: &BTreeMap<String, Vec<Arc<Record>>>) -> Replay {
    let (mut out, replica) = replay_until(files, u64::MAX);
    out.completed_files = replica.namespace.completed_files();
    out
}

/// The namespace digest after the first `seq` entries, if the journal can tell (entries below the
/// checkpoint are known only in aggregate).
pub fn digest_at(files: &BTreeMap<String, Vec<Arc<Record>>>, seq: u64) -> Option<u64> {
    let (r, _) = replay_until(files, seq);
    let reached = r
        .entries
        .last()
        .map(|e| e.0 + 1)
        .unwrap_or(r.checkpoint_seq);
    (reached == seq && (r.checkpoint_seq <= seq)).then_some(r.digest)
}

/// The operation id of every entry from sequence number 0, in order, as the journal recorded
/// them over the whole run: the logs now present and those deleted since (GC removes logs a
/// checkpoint covers), checkpoints ignored. Stops at the first gap.
pub fn entry_order(
    files: &BTreeMap<String, Vec<Arc<Record>>>,
    deleted: &[(String, Vec<Arc<Record>>)],
) -> Vec<u64> {
    let mut logs: BTreeMap<String, Vec<Arc<Record>>> = files
        .iter()
        .filter(|(p, _)| p.starts_with(&format!("{LOGS}/")))
        .map(|(p, r)| (p.clone(), r.clone()))
        .collect();
    for (path, records) in deleted {
        if path.starts_with(&format!("{LOGS}/")) {
            logs.entry(path.clone()).or_insert_with(|| records.clone());
        }
    }
    let (r, _) = replay_until(&logs, u64::MAX);
    let mut order = vec![];
    for (seq, _, op_id) in r.entries {
        if seq != order.len() as u64 {
            break;
        }
        order.push(op_id);
    }
    order
}

/// Replays entries below `limit` only; also returns the replica it built.
fn replay_until(files: &BTreeMap<String, Vec<Arc<Record>>>, limit: u64) -> (Replay, Replica) {
    let mut out = Replay::default();
    let newest_checkpoint = files
        .iter()
        .filter(|(p, _)| p.starts_with(&format!("{CHECKPOINTS}/")))
        .filter_map(|(p, r)| Some((parse_range(p.rsplit('/').next()?)?.1, r)))
        .filter(|(end, _)| *end <= limit)
        .max_by_key(|(end, _)| *end);
    let mut replica = match newest_checkpoint.and_then(|(_, r)| r.first().cloned()) {
        Some(record) => match &*record {
            Record::Checkpoint(cp) => {
                out.checkpoint_seq = cp.next_seq;
                out.checkpoint_ops = cp.retry_cache.keys().copied().collect();
                Replica::from_checkpoint(cp)
            }
            Record::Entry(_) => {
                out.problem = Some("a checkpoint file holds a journal entry".into());
                Replica::default()
            }
        },
        None => Replica::default(),
    };
    // (sequence range from the name, records)
    let mut logs: Vec<(SeqRange, &Vec<Arc<Record>>)> = files
        .iter()
        .filter(|(p, _)| p.starts_with(&format!("{LOGS}/")))
        .filter_map(|(p, r)| Some((parse_range(p.rsplit('/').next()?)?, r)))
        .collect();
    logs.sort_by_key(|(range, _)| *range);
    for ((start, end), records) in logs {
        if end <= replica.next_seq || replica.next_seq >= limit {
            continue;
        }
        match replica.apply_log(start, end.min(limit), records) {
            Ok(entries) => out
                .entries
                .extend(entries.iter().map(|e| (e.seq, e.term, e.op_id))),
            Err(gap) => {
                out.problem = Some(format!(
                    "journal gap: expected entry {} but the journal continues at {}",
                    gap.expected, gap.found
                ));
                break;
            }
        }
    }
    out.digest = replica.namespace.digest();
    (out, replica)
}
