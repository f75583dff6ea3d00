//! `worker_registry`: workers exit only past their heartbeat timeout, and a primary lists exactly
//! its live workers, once out of safe mode.

use crate::support::history::{breach, clean_with, insert_all, options};
use ftsim::check::{self, worker_registry::PROPERTY};
use ftsim::history::Event;
use ftsim::Options;

#[test]
fn worker_registry_a_worker_exits_only_after_its_heartbeat_timeout() {
    let o = options();
    let timeout_us = o.worker_block_heartbeat_timeout_ms * 1000;
    let exit = |at_ms: u64, silent_us: u64| {
        clean_with(&format!(
            "100     worker-0 worker_got_id worker_id=7
             {at_ms} worker-0 worker_exit silent_us={silent_us}"
        ))
    };
    // Silent for longer than the timeout, and nothing registered in that time: a correct exit.
    let at_ms = 100 + o.worker_block_heartbeat_timeout_ms + 50;
    assert_eq!(
        PROPERTY.violation(&exit(at_ms, timeout_us + 10_000), &o),
        None
    );
    // Gave up within the timeout.
    breach(
        &PROPERTY,
        &exit(at_ms, timeout_us / 2),
        &o,
        "within its heartbeat timeout",
    );
    // Claims a silence that its own registration contradicts.
    breach(
        &PROPERTY,
        &exit(at_ms, timeout_us + 200_000),
        &o,
        "but it registered",
    );
}

#[test]
fn worker_registry_a_worker_past_its_heartbeat_timeout_does_not_stay_up() {
    let o = options();
    let timeout_us = o.worker_block_heartbeat_timeout_ms * 1000;
    let failed = |silent_us: u64| {
        clean_with(&format!(
            "100 worker-0 worker_got_id worker_id=7
             {} worker-0 worker_call_failed silent_us={silent_us}",
            100 + silent_us / 1000
        ))
    };
    // A failed call within the timeout: the worker stays up, as it should.
    assert_eq!(PROPERTY.violation(&failed(timeout_us / 2), &o), None);
    // A failed call past the timeout, and the worker stays up.
    breach(
        &PROPERTY,
        &failed(timeout_us + 10_000),
        &o,
        "past its heartbeat timeout",
    );
}

#[test]
fn worker_registry_the_final_primary_lists_exactly_its_live_workers() {
    let o = Options {
        workers: 1,
        ..options()
    };
    // worker-0 registers with master-0 (primary from 10 ms) under id 5.
    let base = clean_with("50 master-0 worker_registered worker=worker-0 worker_id=5");
    let listing = |h: Vec<Event>, workers: &str| {
        insert_all(
            h,
            &format!("2001 master-0 final_worker_list workers={workers}"),
        )
    };
    let worker0 = r#"[[5,"worker-0"]]"#;
    assert_eq!(
        PROPERTY.violation(&listing(base.clone(), worker0), &o),
        None
    );
    // Listed under an id it never registered.
    let v = PROPERTY
        .violation(&listing(base.clone(), r#"[[6,"worker-0"]]"#), &o)
        .expect("an unregistered id");
    assert!(v.detail.contains("never registered"), "{}", v.detail);
    // A live, registered worker left out.
    breach(
        &PROPERTY,
        &listing(base.clone(), "[]"),
        &o,
        "lacks worker-0",
    );
    // Refused long after safe mode.
    breach(
        &PROPERTY,
        &listing(base.clone(), "null"),
        &o,
        "after its safe mode ended",
    );
    // A worker that crashed long before the end is still listed (it restarted, unregistered).
    let crashed = insert_all(base, "60 worker-0 node_crash");
    let o_short = Options {
        master_worker_timeout_ms: 100,
        master_lost_worker_detection_interval_ms: 100,
        ..o.clone()
    };
    breach(
        &PROPERTY,
        &listing(crashed, worker0),
        &o_short,
        "down since",
    );
}

#[test]
fn worker_registry_a_primary_answers_its_worker_list_only_after_safe_mode() {
    let o = options();
    // master-0 became primary at 10 ms; its safe mode lasts the connect wait.
    let wait_ms = o.master_worker_connect_wait_time_ms;
    let asked = |at_ms: u64, workers: &str| {
        clean_with(&format!(
            "{at_ms} master-0 heal_worker_list workers={workers}"
        ))
    };
    assert_eq!(PROPERTY.violation(&asked(10 + wait_ms, "[]"), &o), None);
    assert_eq!(
        PROPERTY.violation(&asked(10 + wait_ms - 1, "null"), &o),
        None
    );
    breach(
        &PROPERTY,
        &asked(10 + wait_ms - 1, "[]"),
        &o,
        "in its safe mode",
    );
    // The fact counts a refusal by a master that still believes it is primary.
    let fact = |h: Vec<Event>| check::coverage(&h)["worker-list-refused-in-safe-mode"];
    assert_eq!(fact(asked(20, "null")), 1);
    assert_eq!(fact(asked(20, "[]")), 0);
    let stepped_down = insert_all(
        asked(20, "null"),
        r#"15 master-0 stepped_down reason="journal writer stopped" term=1"#,
    );
    assert_eq!(fact(stepped_down), 0);
}
