//! The Sometimes facts: what a run reached, counted only when it really happened.

use crate::support::history::{clean, clean_with, history, insert_all};
use ftsim::check;

#[test]
fn coverage_counts_a_step_down_with_writes_in_flight_only_while_unflushed() {
    // master-0 appends seq 2 and steps down before any flush makes it durable.
    let unflushed = clean_with(
        r#"1600 master-0 journal_append op_id=12 seq=2 term=1
           1640 master-0 stepped_down reason="zookeeper connection Lost" term=1"#,
    );
    assert_eq!(
        check::coverage(&unflushed)["stepped-down-with-writes-in-flight"],
        1
    );
    let flushed = clean_with(
        r#"1600 master-0 journal_append op_id=12 seq=2 term=1
           1650 master-0 journal_flush from=2 ok=true term=1 to=3
           1700 master-0 stepped_down reason="zookeeper connection Lost" term=1"#,
    );
    assert_eq!(
        check::coverage(&flushed)["stepped-down-with-writes-in-flight"],
        0
    );
}

#[test]
fn coverage_counts_every_fact_with_zeros() {
    let facts = check::coverage(&clean());
    assert_eq!(facts.len(), check::of_kind(ftsim::Kind::Sometimes).count());
    assert!(facts.values().all(|n| *n == 0), "{facts:?}");
}

#[test]
fn coverage_counts_a_suspension_a_primary_rode_out_but_not_one_it_stepped_down_for() {
    let rode_out = clean_with(
        "1500 master-0 connection session=5 state=SUSPENDED
         1600 master-0 connection session=5 state=RECONNECTED
         1700 master-0 journal_ack op_id=12 seq=2 term=1",
    );
    assert_eq!(check::coverage(&rode_out)["primary-rode-out-suspension"], 1);
    let stepped_down = insert_all(
        rode_out,
        r#"1550 master-0 stepped_down reason="zookeeper connection Suspended" term=1"#,
    );
    assert_eq!(
        check::coverage(&stepped_down)["primary-rode-out-suspension"],
        0
    );
}

#[test]
fn coverage_counts_a_storage_fault_effect_only_while_the_fault_is_in_force() {
    let h = history(
        r#"# before the fault
           1  ufs     fault_took_effect fault=flush-slow node=master-0
           2  nemesis fault fault="flush-slow master-0 +400 ms" healed=false kind=flush-slow nodes=["master-0"]
           # another node
           3  ufs     fault_took_effect fault=flush-slow node=master-1
           # counts
           4  ufs     fault_took_effect fault=flush-slow node=master-0
           5  nemesis fault fault="flush-slow master-0 +400 ms" healed=true kind=flush-slow nodes=["master-0"]
           # after it was undone
           6  ufs     fault_took_effect fault=flush-slow node=master-0
           7  nemesis fault fault=rename-fail healed=false kind=rename-fail nodes=[]
           # on every node: counts
           8  ufs     fault_took_effect fault=rename-fail node=master-2
           9  nemesis fault fault=rename-fail healed=true kind=rename-fail nodes=[]
           10 ufs     fault_took_effect fault=rename-fail node=master-2"#,
    );
    let facts = check::coverage(&h);
    assert_eq!(facts["flush-slow-took-effect"], 1);
    assert_eq!(facts["rename-fail-took-effect"], 1);
}

#[test]
fn coverage_counts_a_worker_riding_out_failed_calls_only_without_an_exit() {
    let failed = "1000 worker-0 worker_call_failed silent_us=500";
    let exit = "1100 worker-0 worker_exit silent_us=9000";
    let got_id = "1200 worker-0 worker_got_id worker_id=5";
    let fact = |text: &str| check::coverage(&clean_with(text))["worker-rode-out-failed-calls"];
    assert_eq!(fact(&format!("{failed}\n{got_id}")), 1);
    assert_eq!(fact(got_id), 0);
    assert_eq!(fact(&format!("{failed}\n{exit}\n{got_id}")), 0);
}

#[test]
fn coverage_counts_a_block_located_by_another_primary_than_the_one_that_took_its_commit() {
    let commit = r#"
        100 worker-0 invoke op={"block_id":512,"length":10,"op":"commit_block"} op_id=5
        110 worker-0 ok by=master-0 op_id=5 reply="done"
        900 client-0 invoke op={"op":"get_block_locations","path":"/f"} op_id=9"#;
    let answer = |by: &str| {
        history(&format!(
            r#"{commit}
               910 client-0 ok by={by} op_id=9 reply={{"blocks":[{{"block_id":512,"length":10,"workers":["worker-0"]}}]}}"#
        ))
    };
    assert_eq!(
        check::coverage(&answer("master-1"))["block-located-after-failover"],
        1
    );
    assert_eq!(
        check::coverage(&answer("master-0"))["block-located-after-failover"],
        0
    );
    let freed = history(
        "200 worker-0 block_removed block_id=512 freed=true used_bytes=0
         300 worker-0 block_removed block_id=513 freed=false used_bytes=0",
    );
    assert_eq!(check::coverage(&freed)["worker-freed-blocks"], 1);
}

#[test]
fn coverage_counts_a_registration_applied_again_only_within_one_primacy_and_without_a_loss() {
    let again = history(
        "10 master-0 became_primary next_seq=0 term=1
         100 master-0 worker_registered worker=worker-0 worker_id=7
         200 master-0 worker_registered worker=worker-0 worker_id=7",
    );
    assert_eq!(check::coverage(&again)["registration-applied-again"], 1);
    let after_loss = history(
        "10 master-0 became_primary next_seq=0 term=1
         100 master-0 worker_registered worker=worker-0 worker_id=7
         150 master-0 worker_lost last_heard_us=100000 worker_id=7
         200 master-0 worker_registered worker=worker-0 worker_id=7",
    );
    assert_eq!(
        check::coverage(&after_loss)["registration-applied-again"],
        0
    );
    let new_primacy = history(
        "10 master-0 became_primary next_seq=0 term=1
         100 master-0 worker_registered worker=worker-0 worker_id=7
         150 master-0 became_primary next_seq=0 term=3
         200 master-0 worker_registered worker=worker-0 worker_id=7
         210 master-1 worker_registered worker=worker-0 worker_id=7",
    );
    assert_eq!(
        check::coverage(&new_primacy)["registration-applied-again"],
        0
    );
}
