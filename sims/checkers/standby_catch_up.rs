//! `standby_catch_up`: a master joins the election only with its standby caught up, and a
//! standby records every catch-up pass that moves its replica.

use crate::support::history::{breach, history, options};
use ftsim::check::standby_catch_up::PROPERTY;

#[test]
fn standby_catch_up_a_candidate_has_replayed_every_completed_log() {
    let o = options();
    // master-0 completes log 0..4 at 5 ms; master-1's passes end a millisecond after they begin.
    let ok = history(
        "5  master-0 log_completed end=4 start=0
         11 master-1 caught_up began_us=10000 from_seq=4 to_seq=4
         12 master-1 joining_election
         20 master-1 promoting term=2
         31 master-1 caught_up began_us=30000 from_seq=4 to_seq=4
         32 master-1 joining_election",
    );
    assert_eq!(PROPERTY.violation(&ok, &o), None);
    // A log completed after the pass began may be missing from it.
    let late = history(
        "5  master-1 caught_up began_us=4000 from_seq=0 to_seq=0
         5  master-0 log_completed end=4 start=0
         12 master-1 joining_election",
    );
    assert_eq!(PROPERTY.violation(&late, &o), None);

    let before = history(
        "1  master-1 joining_election
         5  master-0 log_completed end=4 start=0
         11 master-1 caught_up began_us=10000 from_seq=4 to_seq=4",
    );
    breach(&PROPERTY, &before, &o, "before its standby had caught up");
    // A promotion ends the stint: the next join needs a new catch-up.
    let stale = history(
        "11 master-1 caught_up began_us=10000 from_seq=0 to_seq=0
         12 master-1 joining_election
         20 master-1 promoting term=2
         32 master-1 joining_election",
    );
    assert_eq!(
        PROPERTY.violation(&stale, &o).map(|v| v.event),
        Some(Some(3))
    );
    let applied = history(
        "5  master-0 log_completed end=4 start=0
         11 master-1 caught_up began_us=10000 from_seq=0 to_seq=4
         12 master-1 joining_election",
    );
    breach(&PROPERTY, &applied, &o, "applied entries 0..4");
    let behind = history(
        "5  master-0 log_completed end=4 start=0
         11 master-1 caught_up began_us=10000 from_seq=2 to_seq=2
         12 master-1 joining_election",
    );
    breach(&PROPERTY, &behind, &o, "log 0..4");
}

#[test]
fn standby_catch_up_a_standby_records_every_pass_that_moves_it() {
    let o = options();
    // Passes chain, failed ones included, and the caught-up pass stands where the last ended.
    let whole = history(
        "10 master-1 standby_replayed applied=[[0,4]] finished=true from_seq=0 to_seq=4
         11 master-1 standby_replayed applied=[[4,6]] finished=false from_seq=4 to_seq=6
         12 master-1 standby_replayed applied=[[6,9]] finished=true from_seq=6 to_seq=9
         13 master-1 caught_up began_us=12000 from_seq=9 to_seq=9",
    );
    assert_eq!(PROPERTY.violation(&whole, &o), None);
    let gap = history(
        "10 master-1 standby_replayed applied=[[0,4]] finished=true from_seq=0 to_seq=4
         12 master-1 standby_replayed applied=[[6,9]] finished=true from_seq=6 to_seq=9",
    );
    breach(&PROPERTY, &gap, &o, "moved it unrecorded");
    let behind = history(
        "10 master-1 standby_replayed applied=[[0,4]] finished=true from_seq=0 to_seq=4
         13 master-1 caught_up began_us=12000 from_seq=6 to_seq=6",
    );
    breach(&PROPERTY, &behind, &o, "moved it unrecorded");
    // A new stint (a restart, a crash, a promotion) starts from wherever the replica was reset.
    for end in ["node_restart", "node_crash", "promoting term=2"] {
        let reset = history(&format!(
            "10 master-1 standby_replayed applied=[[0,4]] finished=true from_seq=0 to_seq=4
             11 master-1 {end}
             12 master-1 standby_replayed applied=[[2,9]] finished=true from_seq=2 to_seq=9"
        ));
        assert_eq!(PROPERTY.violation(&reset, &o), None);
    }
    // Each standby keeps its own account.
    let two = history(
        "10 master-1 standby_replayed applied=[[0,4]] finished=true from_seq=0 to_seq=4
         11 master-2 standby_replayed applied=[[0,2]] finished=true from_seq=0 to_seq=2
         12 master-1 standby_replayed applied=[[4,9]] finished=true from_seq=4 to_seq=9",
    );
    assert_eq!(PROPERTY.violation(&two, &o), None);
}

#[test]
fn standby_catch_up_a_pass_applies_each_entry_once_in_order() {
    let o = options();
    // Two logs applied in order; then a pass that ended by loading a newer checkpoint.
    let ok = history(
        "10 master-1 standby_replayed applied=[[0,4],[4,6]] finished=true from_seq=0 to_seq=6
         19 master-1 checkpoint_loaded seq=20
         20 master-1 standby_replayed applied=[[6,8]] finished=true from_seq=6 to_seq=20",
    );
    assert_eq!(PROPERTY.violation(&ok, &o), None);
    // A pass that reads a log again and applies it twice, ending where it began.
    let again = history(
        "10 master-1 standby_replayed applied=[[0,4]] finished=true from_seq=0 to_seq=4
         20 master-1 standby_replayed applied=[[2,4]] finished=true from_seq=4 to_seq=4",
    );
    breach(&PROPERTY, &again, &o, "entries applied twice");
    // A hole between two logs of one pass.
    let hole = history(
        "10 master-1 standby_replayed applied=[[0,4],[5,6]] finished=true from_seq=0 to_seq=6",
    );
    breach(&PROPERTY, &hole, &o, "entries skipped");
    // A pass that says it moved further than it applied, with no checkpoint loaded.
    let further =
        history("10 master-1 standby_replayed applied=[[0,4]] finished=true from_seq=0 to_seq=6");
    breach(&PROPERTY, &further, &o, "loaded no checkpoint there");
    // A checkpoint loaded before an earlier pass does not explain this one.
    let stale = history(
        "9  master-1 checkpoint_loaded seq=6
         10 master-1 standby_replayed applied=[[6,8]] finished=true from_seq=6 to_seq=8
         20 master-1 standby_replayed applied=[[8,9]] finished=true from_seq=8 to_seq=6",
    );
    breach(&PROPERTY, &stale, &o, "loaded no checkpoint there");
}
