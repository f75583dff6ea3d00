//! `liveness`: after the heal every client gets an answer from one primary, and every standby has
//! replayed the completed logs at the end.

use crate::support::history::{
    breach, clean, event, final_state_of, options, replace, set, with_replay,
};
use ftsim::check::liveness::PROPERTY;
use ftsim::history::{Event, EventKind};

#[test]
fn liveness_no_answer_unavailable_or_no_single_primary() {
    let o = options();
    let answer_to_8 = |e: &Event| matches!(e.kind, EventKind::Ok { op_id: 8, .. });
    let mut silent = clean();
    silent.retain(|e| !answer_to_8(e));
    breach(&PROPERTY, &silent, &o, "client-0 had no answer");

    let unavailable = replace(
        clean(),
        answer_to_8,
        event("1005 client-0 fail by=null error=unavailable op_id=8"),
    );
    breach(&PROPERTY, &unavailable, &o, "found no primary");

    let headless = set(clean(), final_state_of("master-0"), "primary=false");
    breach(&PROPERTY, &headless, &o, "no master is primary");

    let two = set(clean(), final_state_of("master-1"), "primary=true");
    breach(&PROPERTY, &two, &o, "2 masters are primary");
}

#[test]
fn liveness_every_standby_has_replayed_the_completed_logs_at_the_end() {
    // master-1, a standby, has applied 1 entry at the end; the journal holds 2.
    let completed_to = |end: u64| with_replay(&format!("completed_end={end}"));
    assert_eq!(PROPERTY.violation(&completed_to(1), &options()), None);
    breach(
        &PROPERTY,
        &completed_to(2),
        &options(),
        "standby master-1 has replayed 1",
    );
}
