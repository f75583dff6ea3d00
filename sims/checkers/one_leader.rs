//! `one_leader`: one master acknowledges writes in a term, old terms write nothing after a newer
//! primary, the journal's terms never go back, and fencing has a cause.

use crate::support::history::{breach, clean, clean_with, insert_all, options, with_replay};
use ftsim::check::{self, one_leader::PROPERTY};
use ftsim::history::Event;

#[test]
fn one_leader_two_masters_ack_in_one_term() {
    let h = clean_with("35 master-1 journal_ack op_id=9 seq=0 term=1");
    let v = PROPERTY.violation(&h, &options()).expect("violation");
    assert_eq!(v.invariant, "one_leader");
    assert!(
        v.detail.contains("master-1 acknowledged seq 0 in term 1"),
        "{}",
        v.detail
    );
    assert_eq!(v.event, Some(8));
}

#[test]
fn one_leader_old_term_write_accepted_after_a_new_primary() {
    let h = clean_with(
        "500 master-1 became_primary next_seq=1 term=2
         600 master-0 journal_append op_id=11 seq=5 term=1
         700 master-0 journal_ack op_id=11 seq=5 term=1",
    );
    let v = breach(
        &PROPERTY,
        &h,
        &options(),
        "after master-1 became primary in term 2",
    );
    assert_eq!(v.at_ms, 600.0);
}

#[test]
fn one_leader_an_old_primary_merely_believing_is_not_a_violation() {
    // master-1 takes over while master-0 (paused) still believes; master-0 appends but is fenced.
    let h = clean_with(
        "1400 master-1 promoting term=2
         1500 master-1 became_primary next_seq=2 term=2
         1600 master-0 journal_append op_id=12 seq=2 term=1
         1601 master-0 fenced term=1",
    );
    assert_eq!(PROPERTY.violation(&h, &options()), None);
    assert_eq!(check::coverage(&h)["two-masters-believed-primary"], 1);
}

#[test]
fn one_leader_a_step_down_as_fenced_needs_the_fencing() {
    // master-0 steps down from term 1 as fenced, after master-1 began promoting; its writer must
    // have found itself fenced in term 1 first (a fencing in another term does not count).
    let taken_over = |fencing: &str| {
        clean_with(&format!(
            r#"1500 master-1 promoting term=2
               {fencing}
               1700 master-0 stepped_down reason="fenced: another primary took the journal" term=1"#
        ))
    };
    let unexplained = taken_over("");
    let v = breach(
        &PROPERTY,
        &unexplained,
        &options(),
        "had not found itself fenced",
    );
    assert_eq!(v.at_ms, 1700.0);
    let other_term = taken_over("1600 master-0 fenced term=0");
    assert!(PROPERTY.violation(&other_term, &options()).is_some());
    let explained = taken_over("1600 master-0 fenced term=1");
    assert_eq!(PROPERTY.violation(&explained, &options()), None);
}

#[test]
fn one_leader_a_fencing_needs_another_primacy() {
    // master-0's writer finds itself fenced in term 1: only another master's primacy overlapping
    // term 1 can have done it.
    let fenced = |h: Vec<Event>| insert_all(h, "1600 master-0 fenced term=1");
    let alone = breach(
        &PROPERTY,
        &fenced(clean()),
        &options(),
        "no other master's primacy overlapped that term",
    );
    assert_eq!(alone.at_ms, 1600.0);
    // A newer primary promoting before the fencing explains it; one promoting after does not.
    let newer = clean_with("1500 master-1 promoting term=2");
    assert_eq!(PROPERTY.violation(&fenced(newer), &options()), None);
    let later = insert_all(fenced(clean()), "1700 master-1 promoting term=2");
    assert!(PROPERTY.violation(&later, &options()).is_some());
    // An older primacy still going when term 1 began (a promoter paused, then finishing) explains
    // it; one that ended before term 1 began does not.
    let mut stale = clean_with("2 master-1 promoting term=0");
    assert_eq!(PROPERTY.violation(&fenced(stale.clone()), &options()), None);
    stale = insert_all(
        stale,
        r#"3 master-1 stepped_down reason="zookeeper connection Lost" term=0"#,
    );
    assert!(PROPERTY.violation(&fenced(stale), &options()).is_some());
}

#[test]
fn one_leader_journal_terms_go_back() {
    let h = with_replay("digest_at=[] entries=[[0,2,7],[1,1,8]]");
    breach(&PROPERTY, &h, &options(), "goes back from term 2");
}
