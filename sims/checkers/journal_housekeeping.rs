//! `journal_housekeeping`: checkpoints keep their period, logs rotate at their size, and journal
//! GC keeps its period and spares logs younger than its threshold.

use crate::support::history::{breach, clean, clean_with, history, insert_all, options};
use ftsim::check::journal_housekeeping::PROPERTY;
use ftsim::history::Event;
use ftsim::Options;

#[test]
fn journal_housekeeping_checkpoints_keep_their_period() {
    let o = options();
    let period = o.master_journal_checkpoint_period_entries;
    let written = |seq: u64| clean_with(&format!("900 master-1 checkpoint_written seq={seq}"));
    assert_eq!(PROPERTY.violation(&written(period), &o), None);
    breach(&PROPERTY, &written(period - 1), &o, "checkpoint period");
    // A checkpoint loaded since counts as the last one.
    let loaded = insert_all(written(period + 3), "800 master-1 checkpoint_loaded seq=5");
    assert!(PROPERTY.violation(&loaded, &o).is_some());
}

#[test]
fn journal_housekeeping_gc_spares_logs_younger_than_its_threshold() {
    // A GC period short enough that rule 4 (the period) holds for every pass here.
    let o = Options {
        master_journal_gc_period_ms: 1,
        ..options()
    };
    let threshold_ms = o.master_journal_gc_threshold_ms;
    // Log 990..1000 is last written at 105 ms.
    let gc_at = |at_ms: u64| {
        clean_with(&format!(
            "100     master-0 journal_append op_id=1 seq=999 term=9
             105     master-0 journal_flush from=999 ok=true term=9 to=1000
             {at_ms} master-0 journal_gc checkpoints=[] covered=1000 logs=[[990,1000]] started_us={}",
            at_ms * 1000
        ))
    };
    assert_eq!(PROPERTY.violation(&gc_at(100 + threshold_ms), &o), None);
    breach(
        &PROPERTY,
        &gc_at(100 + threshold_ms - 1),
        &o,
        "gc.threshold",
    );
}

#[test]
fn journal_housekeeping_logs_rotate_at_their_size() {
    let o = options();
    let size = o
        .master_journal_log_size_bytes_max
        .div_ceil(o.journal_entry_size_bytes);
    // master-0 is primary in term 1 from seq 0 (the clean history) and completes its first log.
    let completed = |end: u64| clean_with(&format!("25 master-0 log_completed end={end} start=0"));
    let append = |h: Vec<Event>, seq: u64| {
        insert_all(
            h,
            &format!("26 master-0 journal_append op_id=70 seq={seq} term=1"),
        )
    };
    let flush = |h: Vec<Event>, from: u64, ok: bool| {
        insert_all(
            h,
            &format!(
                "24 master-0 journal_flush from={from} ok={ok} term=1 to={}",
                from + 1
            ),
        )
    };
    // A full log completed, and writing goes on: rotation.
    assert_eq!(PROPERTY.violation(&append(completed(size), size), &o), None);
    // A short log completed, and writing goes on.
    breach(
        &PROPERTY,
        &append(completed(size - 1), size - 1),
        &o,
        "went on",
    );
    // ... unless a flush into it failed: then the writer starts over at what is durable.
    assert_eq!(
        PROPERTY.violation(
            &append(flush(completed(size - 1), size - 1, false), size - 1),
            &o
        ),
        None
    );
    // A flush into a log that is already full.
    breach(&PROPERTY, &flush(clean(), size, true), &o, "already");
    assert_eq!(
        PROPERTY.violation(&flush(clean(), size - 1, true), &o),
        None
    );
}

#[test]
fn journal_housekeeping_gc_keeps_its_period() {
    // master-0 became primary at 10 ms; its GC passes must begin a period apart, the first a
    // period after that. A pass records checkpoints and logs apart, under one start.
    let o = options();
    let period_ms = o.master_journal_gc_period_ms;
    let pass = |started_ms: u64, logs: &str, checkpoints: &str| {
        format!(
            "{} master-0 journal_gc checkpoints={checkpoints} covered=0 logs={logs} started_us={}",
            started_ms + 1,
            started_ms * 1000
        )
    };
    let with = |passes: &[String]| clean_with(&passes.join("\n"));
    let first = 10 + period_ms;
    let ok = with(&[
        pass(first, "[]", "[0]"),
        pass(first, "[[0,0]]", "[]"),
        pass(first + period_ms, "[[0,0]]", "[]"),
    ]);
    assert_eq!(PROPERTY.violation(&ok, &o), None);
    let early_first = with(&[pass(first - 1, "[[0,0]]", "[]")]);
    breach(&PROPERTY, &early_first, &o, "master.journal.gc.period");
    let early_next = with(&[
        pass(first, "[[0,0]]", "[]"),
        pass(first + period_ms - 1, "[[0,0]]", "[]"),
    ]);
    assert!(PROPERTY.violation(&early_next, &o).is_some());
}

#[test]
fn journal_housekeeping_a_standby_checkpoints_once_a_period_is_replayed() {
    let o = options();
    let period = o.master_journal_checkpoint_period_entries;
    let (short, over) = (period - 1, period + 1);
    // Short of a period, no checkpoint is owed; at a period, one is set out before the next pass.
    let ok = clean_with(&format!(
        "20 master-1 standby_replayed applied=[[0,{short}]] finished=true from_seq=0 to_seq={short}
         21 master-1 standby_replayed applied=[[{short},{period}]] finished=true from_seq={short} to_seq={period}
         21 master-1 checkpoint_started seq={period}
         22 master-1 standby_replayed applied=[[{period},{over}]] finished=true from_seq={period} to_seq={over}"
    ));
    assert_eq!(PROPERTY.violation(&ok, &o), None);
    let late = clean_with(&format!(
        "20 master-1 standby_replayed applied=[[0,{period}]] finished=true from_seq=0 to_seq={period}
         21 master-1 standby_replayed applied=[[{period},{over}]] finished=true from_seq={period} to_seq={over}"
    ));
    breach(&PROPERTY, &late, &o, "without setting out to write one");
    // A checkpoint loaded (or a promotion, ending the stint) moves the count's start.
    let loaded = clean_with(&format!(
        "19 master-1 checkpoint_loaded seq=5
         20 master-1 standby_replayed applied=[[5,{period}]] finished=true from_seq=5 to_seq={period}
         21 master-1 standby_replayed applied=[[{period},{over}]] finished=true from_seq={period} to_seq={over}"
    ));
    assert_eq!(PROPERTY.violation(&loaded, &o), None);
    let promoted = clean_with(&format!(
        "20 master-1 standby_replayed applied=[[0,{period}]] finished=true from_seq=0 to_seq={period}
         21 master-1 promoting term=2
         30 master-1 standby_replayed applied=[[0,1]] finished=true from_seq=0 to_seq=1"
    ));
    assert_eq!(PROPERTY.violation(&promoted, &o), None);
    // A pass that failed part-way owes nothing: the next pass comes first.
    let after_failed = clean_with(&format!(
        "20 master-1 standby_replayed applied=[[0,{period}]] finished=false from_seq=0 to_seq={period}
         21 master-1 standby_replayed applied=[[{period},{over}]] finished=true from_seq={period} to_seq={over}"
    ));
    assert_eq!(PROPERTY.violation(&after_failed, &o), None);
}

#[test]
fn journal_housekeeping_a_promotion_keeps_the_tailers_quiet_period() {
    let o = options();
    let quiet = o.master_journal_tailer_shutdown_quiet_wait_time_ms;
    let promoted = |after_ms: u64| {
        history(&format!(
            "100 master-1 promoting term=2
             {} master-1 became_primary next_seq=0 term=2",
            100 + after_ms
        ))
    };
    assert_eq!(PROPERTY.violation(&promoted(quiet), &o), None);
    breach(
        &PROPERTY,
        &promoted(quiet - 1),
        &o,
        "within the tailer's quiet period",
    );
    // The clean history's promotion began at 5 ms: its quiet period passed well before it ends.
    assert_eq!(PROPERTY.violation(&clean_with(""), &o), None);
}
