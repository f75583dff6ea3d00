//! `no_lost_entries`: what was acknowledged is in the journal once, the masters' states are the
//! journal's, and only journal GC deletes, only what a checkpoint covers.

use crate::support::history::{
    breach, clean, clean_with, final_state_of, is_replay, options, set, with_replay,
};
use ftsim::check::no_lost_entries::PROPERTY;
use ftsim::history::Event;

#[test]
fn no_lost_entries_acknowledged_entry_missing() {
    let h = with_replay("digest=170 digest_at=[[1,170]] entries=[[0,1,7]] order=[7]");
    let v = breach(&PROPERTY, &h, &options(), "acknowledged seq 1");
    assert_eq!(v.at_ms, 1004.0);
}

#[test]
fn no_lost_entries_client_told_ok_without_journal() {
    // Bug B1's shape: a standby answers ok and nothing is journaled.
    let h = clean_with(
        r#"40 client-0 invoke op={"op":"mkdir","path":"/b"} op_id=20
           41 client-0 ok by=master-1 op_id=20 reply={"status":{"complete":true,"dir":true,"id":1}}"#,
    );
    breach(&PROPERTY, &h, &options(), "told ok by master-1");
}

#[test]
fn no_lost_entries_duplicate_operation_and_gap() {
    let dup = with_replay("digest_at=[] entries=[[0,1,7],[1,1,8],[2,1,7]] order=[7,8,7]");
    breach(&PROPERTY, &dup, &options(), "in the journal twice");
    let gap = with_replay("digest_at=[] entries=[[0,1,7],[2,1,8]]");
    breach(&PROPERTY, &gap, &options(), "journal gap");
}

#[test]
fn no_lost_entries_master_state_differs_from_the_journal() {
    let h = set(clean(), final_state_of("master-1"), "digest=204");
    breach(&PROPERTY, &h, &options(), "differs from the journal");
}

#[test]
fn no_lost_entries_journal_gc_deletes_only_what_the_newest_checkpoint_covers() {
    // The clean history's journal ends with no checkpoint (checkpoint_seq 0).
    let gc = |covered: u64| {
        clean_with(&format!(
            "1500 master-0 journal_gc checkpoints=[] covered={covered} logs=[[0,2]] started_us=0"
        ))
    };
    breach(&PROPERTY, &gc(0), &options(), "does not cover");
    breach(&PROPERTY, &gc(2), &options(), "counted on a checkpoint");
    // A covered log: the journal ends with a checkpoint below seq 2.
    let h = set(gc(2), is_replay, "checkpoint_seq=2");
    let v = PROPERTY.violation(&h, &options());
    assert!(
        v.as_ref().is_none_or(|v| !v.detail.contains("journal GC")),
        "{v:?}"
    );
}

#[test]
fn no_lost_entries_every_deletion_the_storage_made_was_journal_gc() {
    // The reader saw the storage delete log 0..1 and the checkpoint below seq 0; the journal ends
    // with a checkpoint below seq 1, so GC may delete both.
    let with_deleted = |h: Vec<Event>| {
        set(
            h,
            is_replay,
            "checkpoint_seq=1 deleted_checkpoints=[0] deleted_logs=[[0,1]]",
        )
    };
    let unclaimed = with_deleted(clean());
    breach(
        &PROPERTY,
        &unclaimed,
        &options(),
        "completed log of entries 0 to 1",
    );
    let logs_only = with_deleted(clean_with(
        "1500 master-0 journal_gc checkpoints=[] covered=1 logs=[[0,1]] started_us=1500000",
    ));
    breach(&PROPERTY, &logs_only, &options(), "checkpoint below seq 0");
    let both = with_deleted(clean_with(
        "1500 master-0 journal_gc checkpoints=[0] covered=1 logs=[[0,1]] started_us=1500000",
    ));
    let v = PROPERTY.violation(&both, &options());
    assert!(
        v.as_ref()
            .is_none_or(|v| !v.detail.contains("no journal GC")),
        "{v:?}"
    );
}
