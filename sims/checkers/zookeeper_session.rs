//! `zookeeper_session`: sessions end as ZooKeeper's do, candidacies and primacy follow them
//! under the session policy, and session timers start over when the quorum returns.

use crate::support::history::{breach, clean_with, insert_all, options};
use ftsim::check::zookeeper_session::PROPERTY;
use ftsim::history::Event;

#[test]
fn zookeeper_session_lost_only_once_expired_or_suspended_for_the_session_timeout() {
    let o = options();
    let timeout = o.zookeeper_session_timeout_ms;
    let suspended = |lost_at: u64| {
        clean_with(&format!(
            "1000      client-0 connection session=9 state=CONNECTED
             1100      client-0 connection session=9 state=SUSPENDED
             {lost_at} client-0 connection session=0 state=LOST"
        ))
    };
    assert_eq!(PROPERTY.violation(&suspended(1100 + timeout), &o), None);
    let early = suspended(1100 + timeout - 1);
    breach(&PROPERTY, &early, &o, "within the session timeout");
    // The same early LOST is right once ZooKeeper has expired the session.
    let expired = insert_all(
        early,
        "1150 zookeeper session_expired owner=client-0 session=9",
    );
    assert_eq!(PROPERTY.violation(&expired, &o), None);
}

#[test]
fn zookeeper_session_a_candidacy_is_withdrawn_only_once_its_session_ended() {
    let o = options();
    // master-1 joins the election in session 9, then `then` happens.
    let joined = |then: &str| {
        clean_with(&format!(
            "1000 master-1 connection session=9 state=CONNECTED
             1050 master-1 joining_election
             {then}"
        ))
    };
    let withdraw = |h: Vec<Event>, at_ms: u64| {
        insert_all(
            h,
            &format!("{at_ms} master-1 candidacy_withdrawn session=9"),
        )
    };
    // A blip of its own session is no reason: SUSPENDED, then RECONNECTED to session 9.
    let blip = joined(
        "1100 master-1 connection session=9 state=SUSPENDED
         1200 master-1 connection session=9 state=RECONNECTED",
    );
    let v = breach(
        &PROPERTY,
        &withdraw(blip.clone(), 1201),
        &o,
        "master-1 withdrew its election candidacy while its session 9 was alive",
    );
    assert_eq!(v.at_ms, 1201.0);
    // LOST (after a session timeout suspended), a new session, or ZooKeeper's expiry of session
    // 9 each end it.
    let end = 1100 + o.zookeeper_session_timeout_ms;
    let lost = joined(&format!(
        "1100  master-1 connection session=9 state=SUSPENDED
         {end} master-1 connection session=0 state=LOST"
    ));
    let replaced = joined("1100 master-1 connection session=10 state=RECONNECTED");
    let expired = insert_all(
        blip.clone(),
        "1150 zookeeper session_expired owner=master-1 session=9",
    );
    for ended in [lost.clone(), replaced, expired] {
        let h = withdraw(ended, end + 1);
        assert_eq!(PROPERTY.violation(&h, &o), None);
    }
    // A LOST that an earlier withdrawal already answered does not explain the next one.
    let again = withdraw(lost, end + 1);
    let again = insert_all(again, &format!("{} master-1 joining_election", end + 50));
    let v = breach(
        &PROPERTY,
        &withdraw(again, end + 100),
        &o,
        "withdrew its election candidacy",
    );
    assert_eq!(v.at_ms, (end + 100) as f64);
}

#[test]
fn zookeeper_session_primacy_survives_blips_under_the_session_policy() {
    let o = options();
    // Reconnected to a new session: stepping down is right.
    let new_session = clean_with(
        r#"5  master-0 connection session=3 state=CONNECTED
           40 master-0 connection session=3 state=SUSPENDED
           41 master-0 connection session=4 state=RECONNECTED
           42 master-0 stepped_down reason="zookeeper connection Reconnected" term=1"#,
    );
    assert_eq!(PROPERTY.violation(&new_session, &o), None);
    // Reconnected to its own session, or merely suspended: the policy rides it out.
    for blip in [
        r#"5  master-0 connection session=3 state=CONNECTED
           40 master-0 connection session=3 state=SUSPENDED
           41 master-0 connection session=3 state=RECONNECTED
           42 master-0 stepped_down reason="zookeeper connection Reconnected" term=1"#,
        r#"5  master-0 connection session=3 state=CONNECTED
           40 master-0 connection session=3 state=SUSPENDED
           42 master-0 stepped_down reason="zookeeper connection Suspended" term=1"#,
    ] {
        breach(&PROPERTY, &clean_with(blip), &o, "rides out");
    }
}

#[test]
fn zookeeper_session_timers_start_over_when_the_quorum_returns() {
    let o = options();
    let timeout_ms = o.zookeeper_session_timeout_ms;
    // ZooKeeper loses its quorum at 100 ms and has it back at 200 ms.
    let down = "100 nemesis fault fault=zookeeper-unavailable healed=false kind=zookeeper-unavailable nodes=[]";
    let back = "200 nemesis fault fault=zookeeper-unavailable healed=true kind=zookeeper-unavailable nodes=[]";
    let expiry = |at_ms: u64| format!("{at_ms} zookeeper session_expired owner=client-0 session=3");
    let with = |lines: &[&str]| clean_with(&lines.join("\n"));
    assert_eq!(
        PROPERTY.violation(&with(&[down, back, &expiry(201 + timeout_ms)]), &o),
        None
    );
    let v = PROPERTY
        .violation(&with(&[down, back, &expiry(199 + timeout_ms)]), &o)
        .expect("an expiry before the restarted timer ran out");
    assert!(v.detail.contains("must start over"), "{}", v.detail);
    let v = PROPERTY
        .violation(&with(&[down, &expiry(150), back]), &o)
        .expect("an expiry without quorum");
    assert!(v.detail.contains("lost its quorum"), "{}", v.detail);
}
