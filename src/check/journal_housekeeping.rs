//! Journal housekeeping (Always): checkpoints and garbage collection follow the settings that
//! size them. These settings are what an operator tunes to trade replay time against storage;
//! a master that checkpoints far more often than configured burns CPU on every standby, and a
//! GC that deletes logs younger than its threshold pulls them from under a standby still
//! reading them.
//!
//! 1. A master writes a checkpoint only once `master.journal.checkpoint.period.entries` entries
//!    lie between it and the last checkpoint that master wrote or loaded (since its start).
//! 2. Journal GC deletes a completed log only once it has been unmodified for
//!    `master.journal.gc.threshold`. The history bounds the log's last modification from below
//!    by the append of its last entry (the flush that made that entry durable was sent after
//!    it), so a deletion sooner than the threshold after that append is certainly too early.

use super::{Breach, Check, Property};
use crate::history::{Event, EventKind};
use crate::options::Options;
use std::collections::BTreeMap;

/// The property, as the table in [`super::PROPERTIES`] lists it.
pub const PROPERTY: Property = Property {
    name: "journal_housekeeping",
    check: Check::Always(check),
};

pub fn check(events: &[Event], options: &Options) -> Option<Breach> {
    let period = options.master_journal_checkpoint_period_entries;
    let threshold_us = options.master_journal_gc_threshold_ms * 1000;
    // Per master: the sequence number of the last checkpoint it wrote or loaded.
    let mut last_checkpoint: BTreeMap<&str, u64> = BTreeMap::new();
    // (term, seq) -> when that entry was appended; then the successful flushes as
    // (time, term, end of the flushed range).
    let mut appended: BTreeMap<(u64, u64), u64> = BTreeMap::new();
    let mut flushed: Vec<(u64, u64, u64)> = vec![];
    for (i, e) in events.iter().enumerate() {
        let node = e.node.as_str();
        match &e.kind {
            EventKind::NodeRestart => {
                last_checkpoint.remove(node);
            }
            EventKind::CheckpointLoaded { seq } => {
                last_checkpoint.insert(node, *seq);
            }
            EventKind::CheckpointWritten { seq } => {
                let last = last_checkpoint.insert(node, *seq).unwrap_or(0);
                if *seq < last + period {
                    return Some(Breach::at(
                        events,
                        i,
                        format!(
                            "{node} wrote a checkpoint at seq {seq}, {} entries after its last \
                             one at seq {last}; the checkpoint period is {period} entries",
                            seq.saturating_sub(last)
                        ),
                    ));
                }
            }
            EventKind::JournalAppend { term, seq, .. } => {
                appended.insert((*term, *seq), e.at_us);
            }
            EventKind::JournalFlush {
                term, to, ok: true, ..
            } => flushed.push((e.at_us, *term, *to)),
            EventKind::JournalGc { logs, .. } => {
                for &(start, end) in logs {
                    let last_append = (flushed.iter().rev())
                        .find(|&&(_, _, to)| to == end)
                        .and_then(|&(_, term, _)| appended.get(&(term, end - 1)));
                    let Some(&at) = last_append else { continue };
                    if e.at_us < at + threshold_us {
                        return Some(Breach::at(
                            events,
                            i,
                            format!(
                                "{node}'s journal GC deleted log {start}..{end} {:.3} ms after \
                                 its last entry was appended, within master.journal.gc.threshold \
                                 ({} ms)",
                                (e.at_us - at) as f64 / 1000.0,
                                options.master_journal_gc_threshold_ms
                            ),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    None
}
