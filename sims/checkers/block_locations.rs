//! `block_locations`: a primary names only workers that hold a block (within the report bound),
//! answers nothing of blocks or workers in its safe mode, and never drops a location it
//! acknowledged.

use crate::support::history::{breach, history, options};
use ftsim::check::block_locations::PROPERTY;
use ftsim::check::holdings::report_bound_us;
use ftsim::Options;

fn one_worker() -> Options {
    Options {
        workers: 1,
        ..options()
    }
}

/// master-0 is primary from 10 ms; worker-0 stores block 512 at 100 ms.
const STORED: &str = "
    10  master-0 became_primary next_seq=0 term=1
    100 worker-0 block_stored block_id=512 length=10 used_bytes=10";

/// A client's block-location call invoked at `invoke_ms`, answered at `at_ms` by master-0 with
/// block 512 on `workers` (a JSON list).
fn read(invoke_ms: u64, at_ms: u64, workers: &str) -> String {
    format!(
        r#"{invoke_ms} client-0 invoke op={{"op":"get_block_locations","path":"/f"}} op_id=9
           {at_ms} client-0 ok by=master-0 op_id=9 reply={{"blocks":[{{"block_id":512,"length":10,"workers":{workers}}}]}}"#
    )
}

#[test]
fn block_locations_a_primary_names_only_workers_that_hold_the_block() {
    let o = one_worker();
    let bound_ms = report_bound_us(&o) / 1000;
    let h = |text: &str| history(&format!("{STORED}\n{text}"));
    assert_eq!(
        PROPERTY.violation(&h(&read(400, 410, r#"["worker-0"]"#)), &o),
        None
    );
    // A worker that never held it.
    breach(
        &PROPERTY,
        &h(&read(400, 410, r#"["worker-1"]"#)),
        &o,
        "never held",
    );
    // Removed: still named within the report bound, not after it.
    let removed = "200 worker-0 block_removed block_id=512 freed=true used_bytes=0";
    let late = 200 + bound_ms + 10;
    assert_eq!(
        PROPERTY.violation(
            &h(&format!("{removed}\n{}", read(400, 410, r#"["worker-0"]"#))),
            &o
        ),
        None
    );
    breach(
        &PROPERTY,
        &h(&format!(
            "{removed}\n{}",
            read(late, late + 1, r#"["worker-0"]"#)
        )),
        &o,
        "stopped serving",
    );
    // A crashed worker likewise; time the master spent paused does not count.
    let crashed = "200 worker-0 node_crash";
    breach(
        &PROPERTY,
        &h(&format!(
            "{crashed}\n{}",
            read(late, late + 1, r#"["worker-0"]"#)
        )),
        &o,
        "stopped serving",
    );
    let paused = format!(
        "{crashed}
         300 master-0 node_pause
         {} master-0 node_resume",
        300 + bound_ms
    );
    assert_eq!(
        PROPERTY.violation(
            &h(&format!(
                "{paused}\n{}",
                read(late, late + 1, r#"["worker-0"]"#)
            )),
            &o
        ),
        None
    );
}

#[test]
fn block_locations_no_answer_of_blocks_or_workers_in_safe_mode() {
    let o = one_worker();
    let wait = o.master_worker_connect_wait_time_ms;
    let early = 10 + wait / 2;
    let h = |text: &str| history(&format!("{STORED}\n{text}"));
    breach(
        &PROPERTY,
        &h(&read(early - 1, early, r#"["worker-0"]"#)),
        &o,
        "in its safe mode",
    );
    let report = format!(r#"{early} client-0 ok by=master-0 op_id=9 reply={{"workers":[]}}"#);
    breach(&PROPERTY, &h(&report), &o, "in its safe mode");
}

#[test]
fn block_locations_a_location_acknowledged_by_a_commit_is_not_dropped() {
    let o = one_worker();
    let committed = r#"
        150 master-0 worker_registered worker=worker-0 worker_id=7
        150 worker-0 invoke op={"block_id":512,"length":10,"op":"commit_block"} op_id=5
        160 worker-0 ok by=master-0 op_id=5 reply="done""#;
    let h = |text: &str| history(&format!("{STORED}\n{committed}\n{text}"));
    assert_eq!(
        PROPERTY.violation(&h(&read(400, 410, r#"["worker-0"]"#)), &o),
        None
    );
    // Dropped after the acknowledgement, the worker still holding it.
    breach(&PROPERTY, &h(&read(400, 410, "[]")), &o, "acknowledged");
    // A read invoked before the acknowledgement may miss it.
    assert_eq!(PROPERTY.violation(&h(&read(155, 410, "[]")), &o), None);
    // Registered since under another id (a new process): the new registration's list rules.
    let again = "300 master-0 worker_registered worker=worker-0 worker_id=8";
    assert_eq!(
        PROPERTY.violation(&h(&format!("{again}\n{}", read(400, 410, "[]"))), &o),
        None
    );
    // A re-registration under the same id does not excuse the drop (bug B21's shape).
    let same = "300 master-0 worker_registered worker=worker-0 worker_id=7";
    breach(
        &PROPERTY,
        &h(&format!("{same}\n{}", read(400, 410, "[]"))),
        &o,
        "acknowledged",
    );
}
