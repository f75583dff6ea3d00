//! `lost_workers`: a master marks a worker lost only after the worker's whole timeout of
//! silence at that master.

use crate::support::history::{breach, history, options};
use ftsim::check::lost_workers::PROPERTY;

#[test]
fn lost_workers_a_worker_is_lost_only_after_its_timeout_of_silence() {
    let o = options();
    let timeout_ms = o.master_worker_timeout_ms;
    let registered = "10 master-0 worker_registered worker=worker-0 worker_id=7";
    let lost = |at_ms: u64, heard_ms: u64| {
        history(&format!(
            "{registered}
             {at_ms} master-0 worker_lost last_heard_us={} worker_id=7",
            heard_ms * 1000
        ))
    };
    // Heard at 500 ms, lost once silent for longer than the timeout.
    assert_eq!(
        PROPERTY.violation(&lost(500 + timeout_ms + 1, 500), &o),
        None
    );
    // Silent for exactly the timeout: kept, as Alluxio's `lastUpdate > timeout` keeps it.
    breach(&PROPERTY, &lost(500 + timeout_ms, 500), &o, "of silence");
    breach(
        &PROPERTY,
        &lost(500 + timeout_ms / 2, 500),
        &o,
        "of silence",
    );
    // A last-heard time before the registration, or after the loss, cannot be.
    breach(
        &PROPERTY,
        &lost(timeout_ms + 100, 5),
        &o,
        "outside its registration",
    );
    breach(
        &PROPERTY,
        &lost(timeout_ms + 100, timeout_ms + 200),
        &o,
        "outside",
    );
    // A worker never registered with that master, or registered with the one before it stepped
    // down.
    let unknown = history(&format!(
        "{registered}
         {} master-1 worker_lost last_heard_us=10000 worker_id=7",
        timeout_ms + 100
    ));
    breach(&PROPERTY, &unknown, &o, "not registered with it");
    let forgotten = history(&format!(
        "{registered}
         20 master-0 stepped_down reason=\"journal writer stopped\" term=1
         {} master-0 worker_lost last_heard_us=10000 worker_id=7",
        timeout_ms + 100
    ));
    breach(&PROPERTY, &forgotten, &o, "not registered with it");
}

/// Rule 3: the worker's record of the last call a master answered contradicts a loss that came
/// sooner than the timeout after it, even when the master's own last-heard time says otherwise.
#[test]
fn lost_workers_a_loss_agrees_with_the_last_call_the_worker_had_answered() {
    let o = options();
    let timeout_ms = o.master_worker_timeout_ms;
    let told_again = |lost_ms: u64, sent_ms: u64| {
        history(&format!(
            "10 master-0 worker_registered worker=worker-0 worker_id=7
             {lost_ms} master-0 worker_lost last_heard_us=10000 worker_id=7
             {} worker-0 worker_reregister last_heard=[\"master-0\",{}] old_id=7",
            lost_ms + 5,
            sent_ms * 1000
        ))
    };
    let lost_ms = 10 + timeout_ms + 1;
    // The master heard only the registration, as the worker's record agrees.
    assert_eq!(PROPERTY.violation(&told_again(lost_ms, 10), &o), None);
    // The worker's heartbeat sent at 100 ms was answered: the loss came too soon after it.
    breach(&PROPERTY, &told_again(lost_ms, 100), &o, "that it answered");
    // A call sent after the loss says nothing about it.
    assert_eq!(
        PROPERTY.violation(&told_again(lost_ms, lost_ms + 1), &o),
        None
    );
    // Nor one answered by a master that has since forgotten its registry.
    let forgotten = history(&format!(
        "10 master-0 worker_registered worker=worker-0 worker_id=7
         {lost_ms} master-0 worker_lost last_heard_us=10000 worker_id=7
         {} master-0 stepped_down reason=\"journal writer stopped\" term=1
         {} worker-0 worker_reregister last_heard=[\"master-0\",100000] old_id=7",
        lost_ms + 1,
        lost_ms + 5
    ));
    assert_eq!(PROPERTY.violation(&forgotten, &o), None);
}
