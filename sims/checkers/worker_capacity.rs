//! `worker_capacity`: the capacity and used bytes a primary reports are the worker's own.

use crate::support::history::{breach, history, options};
use ftsim::check::holdings::report_bound_us;
use ftsim::check::worker_capacity::PROPERTY;
use ftsim::Options;

fn two_workers() -> Options {
    Options {
        workers: 2,
        ..options()
    }
}

/// A worker report by master-0 at `at_ms` of worker `worker` with `capacity` and `used`.
fn report(at_ms: u64, worker: &str, capacity: u64, used: u64) -> String {
    format!(
        r#"10 master-0 became_primary next_seq=0 term=1
           100 worker-0 block_stored block_id=512 length=10 used_bytes=10
           {at_ms} client-0 ok by=master-0 op_id=9 reply={{"workers":[{{"capacity_bytes":{capacity},"id":7,"used_bytes":{used},"worker":"{worker}"}}]}}"#
    )
}

#[test]
fn worker_capacity_a_report_gives_each_worker_its_own_capacity_and_used_bytes() {
    let o = two_workers();
    let (c0, c1) = (o.worker_capacity_bytes(0), o.worker_capacity_bytes(1));
    assert_ne!(c0, c1, "workers differ in capacity");
    let bound_ms = report_bound_us(&o) / 1000;
    assert_eq!(
        PROPERTY.violation(&history(&report(400, "worker-0", c0, 10)), &o),
        None
    );
    // The used bytes of before the block, within the report bound: a heartbeat late.
    assert_eq!(
        PROPERTY.violation(&history(&report(400, "worker-0", c0, 0)), &o),
        None
    );
    // Past the bound, stale.
    breach(
        &PROPERTY,
        &history(&report(100 + bound_ms + 10, "worker-0", c0, 0)),
        &o,
        "did not use",
    );
    // Bytes the worker never used.
    breach(
        &PROPERTY,
        &history(&report(400, "worker-0", c0, 77)),
        &o,
        "did not use",
    );
    // Another worker's capacity (an id credited to the wrong worker), or a worker not there.
    breach(
        &PROPERTY,
        &history(&report(400, "worker-0", c1, 10)),
        &o,
        "capacity",
    );
    breach(
        &PROPERTY,
        &history(&report(400, "worker-5", c0, 10)),
        &o,
        "is not one",
    );
}
