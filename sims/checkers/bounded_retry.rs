//! `bounded_retry`: a client call ends within the retry policy's time and attempts, and backs off
//! between attempts as the policy sleeps.

use crate::support::history::{breach, clean, event, insert, insert_all, move_to, options, set};
use ftsim::check::bounded_retry::{self, PROPERTY};
use ftsim::history::{Event, EventKind};
use ftsim::Options;

/// Whether `e` is the answer to the clean history's first call, op 7.
fn answer_to_7(e: &Event) -> bool {
    matches!(e.kind, EventKind::Ok { op_id: 7, .. })
}

#[test]
fn bounded_retry_counts_the_attempts_the_backoff_allows() {
    // Alluxio's defaults: sleeps of 50, 100, ..., 1,600 ms (3,150 ms in all), then 3,000 ms each;
    // 39 of those reach 120 s. One attempt at once and one after each of 45 sleeps.
    assert_eq!(
        bounded_retry::max_attempts(&Options::alluxio_defaults()),
        46
    );
    // The fast preset: 50 to 400 ms (750 ms), then 39 sleeps of 500 ms reach 20 s.
    assert_eq!(bounded_retry::max_attempts(&Options::fast()), 44);
    let o = Options {
        user_rpc_retry_max_sleep_ms: 0,
        user_rpc_retry_max_duration_ms: 100,
        ..Options::fast()
    };
    // 50 ms, then sleeps of nothing counted as 1 ms each: the count stays finite.
    assert_eq!(bounded_retry::max_attempts(&o), 52);
}

#[test]
fn bounded_retry_call_too_long_too_many_attempts_or_never_ending() {
    let o = options();
    let bound = bounded_retry::call_bound_ms(&o);
    // Op 7, invoked at 20 ms, answered just past the bound.
    let late = move_to(clean(), answer_to_7, 20 + bound + 1);
    breach(&PROPERTY, &late, &o, "took");

    // One attempt more than the policy allows, each after its backoff sleep. The checker counts
    // them itself, and the events' own attempt numbers must agree.
    let mut many = insert_all(
        clean(),
        r#"2 client-0 invoke op={"op":"mkdir","path":"/m"} op_id=77"#,
    );
    let mut at_ms = 2;
    for k in 1..=bounded_retry::max_attempts(&o) + 1 {
        if k > 1 {
            at_ms += bounded_retry::backoff_sleep_ms(&o, k - 1);
        }
        let attempt =
            format!("{at_ms} client-0 attempt attempt={k} lookups=1 master=null op_id=77");
        many = insert(many, event(&attempt));
    }
    breach(&PROPERTY, &many, &o, "the policy allows");
    let misnumbered = set(
        many.clone(),
        |e| matches!(e.kind, EventKind::Attempt { op_id: 77, .. }),
        "attempt=1",
    );
    let v = PROPERTY.violation(&misnumbered, &o).expect("violation");
    assert!(
        v.detail
            .contains("numbered attempt 2 of call 0x4d as attempt 1"),
        "{}",
        v.detail
    );

    let mut open = clean();
    open.retain(|e| !matches!(e.kind, EventKind::Ok { op_id: 8, .. }));
    open.push(event(&format!(
        "{} harness phase name=end",
        1001 + bound + 5
    )));
    breach(&PROPERTY, &open, &o, "had not ended");
}

#[test]
fn bounded_retry_does_not_count_time_the_client_was_paused() {
    let o = options();
    let bound = bounded_retry::call_bound_ms(&o);
    let h = move_to(clean(), answer_to_7, 30 + bound);
    let h = insert_all(
        h,
        &format!(
            "25 client-0 node_pause
             {} client-0 node_resume",
            25 + bound
        ),
    );
    assert_eq!(PROPERTY.violation(&h, &o), None);
}

#[test]
fn bounded_retry_a_client_backs_off_by_the_policy_no_faster_and_no_slower() {
    let o = options();
    // Op 7 is invoked at 20 ms and first attempted at 21 ms; that attempt fails at `failed_ms`,
    // the backoff ends at `retry_ms`, a second attempt goes out 1 ms later and succeeds.
    let retried = |failed_ms: u64, retry_ms: u64| {
        let h = move_to(clean(), answer_to_7, retry_ms + 2);
        insert_all(
            h,
            &format!(
                "{failed_ms} client-0 attempt_failed answer=no_answer op_id=7
                 {retry_ms} client-0 retrying op_id=7
                 {} client-0 attempt attempt=2 lookups=1 master=master-0 op_id=7",
                retry_ms + 1
            ),
        )
    };
    let check = |h: &Vec<Event>| PROPERTY.violation(h, &o);
    let sleep = bounded_retry::backoff_sleep_ms(&o, 1);
    let longest = sleep + sleep / 10 + 1; // the jitter, and 1 ms for timers firing late
    assert_eq!(check(&retried(30, 30 + sleep)), None);
    assert_eq!(check(&retried(30, 30 + longest)), None);
    let v = check(&retried(30, 30 + sleep - 1)).expect("too soon");
    let first = format!("the policy sleeps {sleep}.000 ms first");
    assert!(v.detail.contains(&first), "{}", v.detail);
    assert!(v.detail.contains("after attempt 1 failed"), "{}", v.detail);
    let v = check(&retried(30, 30 + longest + 1)).expect("too late");
    assert!(v.detail.contains("sleeps at most"), "{}", v.detail);
    // Time the client spent paused does not count against it.
    let paused = insert_all(
        retried(30, 30 + longest + 500),
        "31  client-0 node_pause
         531 client-0 node_resume",
    );
    assert_eq!(check(&paused), None);
    // The maximum duration cuts the sleep short: 5 ms were left when attempt 1 failed.
    let cut = 20 + o.user_rpc_retry_max_duration_ms - 5;
    assert_eq!(check(&retried(cut, cut + 5)), None);
    assert!(
        check(&retried(cut, cut + 7)).is_some(),
        "retried past the maximum duration"
    );
    // A retry needs a failed attempt before it.
    let mut unfailed = retried(30, 30 + sleep);
    unfailed.retain(|e| !matches!(e.kind, EventKind::AttemptFailed { .. }));
    let v = check(&unfailed).expect("a retry without a failure");
    assert!(
        v.detail.contains("without a failed attempt"),
        "{}",
        v.detail
    );
}
