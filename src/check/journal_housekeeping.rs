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
//! 3. A primary's writer fills each log to `master.journal.log.size.bytes.max` and then starts
//!    a new one: no flush goes into a log that already holds that much, and a log it completes
//!    short of that size is its last in the term, unless a flush into it failed (the writer
//!    then completes the log at what is durable and writes the batch again in a new one).
//! 4. A primary runs journal GC every `master.journal.gc.period`, the first pass one period after
//!    it became primary: no pass begins sooner than that after its previous one.
//! 5. A standby checkpoints as soon as it has applied a period's entries: after a catch-up pass
//!    that finishes `master.journal.checkpoint.period.entries` or more past the last checkpoint it
//!    loaded or set out to write in this stint, it sets out to write one at that sequence number
//!    before its next pass (a checkpoint that fails is tried again after a later pass; a pass
//!    that failed part-way is followed by the next pass, not a checkpoint).
//! 6. Promotion drains the tailer until it has found nothing new for
//!    `master.journal.tailer.shutdown.quiet.wait.time`: a master becomes primary no sooner than
//!    that after its promotion began (a new primary that skips the quiet period starts writing
//!    while the old primary's last completed logs may still be appearing).

use super::{Breach, Check, Property};
use crate::history::{Event, EventKind};
use crate::options::Options;
use std::collections::BTreeMap;

/// The property, as the table in [`super::PROPERTIES`] lists it.
pub const PROPERTY: Property = Property {
    name: "journal_housekeeping",
    check: Check::Always(check),
};

/// The first breach of `journal_housekeeping` in `events`, if any.
pub fn check(events: &[Event], options: &Options) -> Option<Breach> {
    let period = options.master_journal_checkpoint_period_entries;
    let threshold_us = options.master_journal_gc_threshold_ms * 1000;
    // Per master: the sequence number of the last checkpoint it wrote or loaded.
    let mut last_checkpoint: BTreeMap<&str, u64> = BTreeMap::new();
    // (term, seq) -> when that entry was appended; then the successful flushes as
    // (time, term, end of the flushed range).
    let mut appended: BTreeMap<(u64, u64), u64> = BTreeMap::new();
    let mut flushed: Vec<(u64, u64, u64)> = vec![];
    // Rule 3: entries per log, and per primary its term, the start of its current log, whether
    // a flush into that log failed, and the short log it completed (with the event's index).
    let log_entries = options
        .master_journal_log_size_bytes_max
        .div_ceil(options.journal_entry_size_bytes.max(1));
    let mut writing: BTreeMap<&str, Writer> = BTreeMap::new();
    // Rule 4: per primary, when its last GC pass began (`true`) or, before its first, when it
    // became primary (`false`): one period before the earliest its next pass may begin.
    let gc_period_us = options.master_journal_gc_period_ms * 1000;
    let mut gc_last: BTreeMap<&str, (u64, bool)> = BTreeMap::new();
    // Rule 5: per standby, the last checkpoint it loaded or set out to write in this stint, and
    // the pass after which it owes one (where it ended, the last checkpoint then, its event).
    let mut standby_last: BTreeMap<&str, u64> = BTreeMap::new();
    let mut owed: BTreeMap<&str, (u64, u64, usize)> = BTreeMap::new();
    // Rule 6: per master, when its current promotion began.
    let quiet_us = options.master_journal_tailer_shutdown_quiet_wait_time_ms * 1000;
    let mut promoting: BTreeMap<&str, u64> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        match e.kind {
            EventKind::Promoting { .. } => {
                promoting.insert(&e.node, e.at_us);
            }
            EventKind::BecamePrimary { term, .. } => {
                if let Some(began) = promoting.remove(e.node.as_str()) {
                    if e.at_us - began < quiet_us {
                        return Some(Breach::at(
                            events,
                            i,
                            format!(
                                "{} became primary in term {term} {:.3} ms after its promotion began, within the \
                                 tailer's quiet period (master.journal.tailer.shutdown.quiet.wait.time {} \
                                 ms)",
                                e.node,
                                (e.at_us - began) as f64 / 1000.0,
                                quiet_us / 1000
                            ),
                        ));
                    }
                }
            }
            _ => {}
        }
        let node = e.node.as_str();
        // A standby stint ends when its master restarts, crashes or promotes.
        if super::ends_standby_stint(&e.kind) {
            standby_last.remove(node);
            owed.remove(node);
        }
        match &e.kind {
            EventKind::NodeRestart => {
                last_checkpoint.remove(node);
                writing.remove(node);
            }
            EventKind::StandbyReplayed {
                to_seq, finished, ..
            } => {
                if let Some((seq, last, at)) = owed.get(node).copied() {
                    return Some(Breach::at(
                        events,
                        at,
                        format!(
                            "{node} replayed to seq {seq}, a checkpoint period ({period} entries) \
                             past its last checkpoint at seq {last}, and replayed on to seq \
                             {to_seq} without setting out to write one"
                        ),
                    ));
                }
                let last = standby_last.get(node).copied().unwrap_or(0);
                if *finished && *to_seq >= last + period {
                    owed.insert(node, (*to_seq, last, i));
                }
            }
            EventKind::CheckpointStarted { seq } => {
                standby_last.insert(node, *seq);
                owed.remove(node);
            }
            EventKind::BecamePrimary { term, next_seq } => {
                gc_last.insert(node, (e.at_us, false));
                writing.insert(
                    node,
                    Writer {
                        term: *term,
                        log_start: *next_seq,
                        flush_failed: false,
                        short_log: None,
                    },
                );
            }
            EventKind::SteppedDown { .. } | EventKind::MasterExit { .. } | EventKind::NodeCrash => {
                writing.remove(node);
            }
            EventKind::LogCreated { start } => {
                if let Some(w) = writing.get_mut(node) {
                    w.log_start = *start;
                    w.flush_failed = false;
                }
            }
            EventKind::LogCompleted { start, end } => {
                if let Some(w) = writing.get_mut(node) {
                    if end.saturating_sub(*start) < log_entries && !w.flush_failed {
                        w.short_log = Some((*start, *end, i));
                    }
                }
            }
            EventKind::CheckpointLoaded { seq } => {
                last_checkpoint.insert(node, *seq);
                standby_last.insert(node, *seq);
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
                let short = writing
                    .get(node)
                    .filter(|w| w.term == *term)
                    .and_then(|w| w.short_log);
                if let Some((start, end, at)) = short.filter(|s| *seq >= s.1) {
                    return Some(Breach::at(
                        events,
                        at,
                        format!(
                            "{node} completed log {start}..{end} with {} entries and went on \
                             writing (seq {seq}); a log holds {log_entries} entries \
                             (master.journal.log.size.bytes.max)",
                            end.saturating_sub(start)
                        ),
                    ));
                }
            }
            EventKind::JournalFlush { term, from, to, ok } => {
                if *ok {
                    flushed.push((e.at_us, *term, *to));
                }
                let Some(w) = writing.get_mut(node).filter(|w| w.term == *term) else {
                    continue;
                };
                if *ok && from.saturating_sub(w.log_start) >= log_entries {
                    return Some(Breach::at(
                        events,
                        i,
                        format!(
                            "{node} flushed seq {from} into its log from seq {}, which already \
                             held {log_entries} entries (master.journal.log.size.bytes.max)",
                            w.log_start
                        ),
                    ));
                }
                w.flush_failed |= !*ok;
            }
            EventKind::JournalGc {
                logs, started_us, ..
            } => {
                // A pass records its checkpoints and its logs apart, under one start.
                let last = gc_last.get(node).copied();
                if last != Some((*started_us, true)) {
                    let due = last.map(|(at, _)| at + gc_period_us);
                    if let Some(due) = due.filter(|&due| *started_us < due) {
                        return Some(Breach::at(
                            events,
                            i,
                            format!(
                                "{node}'s journal GC pass began at {:.3} ms, before {:.3} ms: \
                                 one master.journal.gc.period ({} ms) after it became primary or \
                                 began its previous pass",
                                *started_us as f64 / 1000.0,
                                due as f64 / 1000.0,
                                options.master_journal_gc_period_ms
                            ),
                        ));
                    }
                    gc_last.insert(node, (*started_us, true));
                }
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

/// A primary's log writer, as rule 3 follows it.
struct Writer {
    term: u64,
    log_start: u64,
    flush_failed: bool,
    short_log: Option<(u64, u64, usize)>,
}
