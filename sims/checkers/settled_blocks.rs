//! `settled_blocks`: at the end, every block of every completed file is held by a worker and
//! located on a live one.

use crate::support::history::{breach, history, options};
use ftsim::check::settled_blocks::PROPERTY;
use ftsim::Options;

fn two_workers() -> Options {
    Options {
        workers: 2,
        ..options()
    }
}

/// worker-0 stores block 512 of /f; then `text`; then the final primary's answer for /f, whose
/// journaled blocks are `blocks`, is `answer` (JSON, or null).
fn settled(text: &str, blocks: &str, answer: &str) -> Vec<ftsim::Event> {
    history(&format!(
        r#"10 master-0 became_primary next_seq=0 term=1
           100 worker-0 block_stored block_id=512 length=10 used_bytes=10
           {text}
           3000 master-0 final_block_locations files=[{{"answer":{answer},"blocks":{blocks},"path":"/f"}}]"#
    ))
}

const ON_0: &str = r#"[{"block_id":512,"length":10,"workers":["worker-0"]}]"#;
const NOWHERE: &str = r#"[{"block_id":512,"length":10,"workers":[]}]"#;

#[test]
fn settled_blocks_every_completed_file_is_on_a_live_worker_that_holds_it() {
    let o = two_workers();
    assert_eq!(PROPERTY.violation(&settled("", "[512]", ON_0), &o), None);
    breach(&PROPERTY, &settled("", "[512]", "null"), &o, "refused");
    breach(
        &PROPERTY,
        &settled("", "[512,513]", ON_0),
        &o,
        "the journal holds",
    );
    // worker-0 holds it and is up, but no location says so.
    breach(
        &PROPERTY,
        &settled("", "[512]", NOWHERE),
        &o,
        "but it is on",
    );
    // Freed where it should not have been: no worker holds it any more.
    let freed = "200 worker-0 block_removed block_id=512 freed=true used_bytes=0";
    breach(&PROPERTY, &settled(freed, "[512]", NOWHERE), &o, "is lost");
    // Only a worker that is down holds it: no location is owed, but the block is not lost.
    assert_eq!(
        PROPERTY.violation(&settled("200 worker-0 node_crash", "[512]", NOWHERE), &o),
        None
    );
    // A location on a worker that never held it.
    let elsewhere = r#"[{"block_id":512,"length":10,"workers":["worker-0","worker-1"]}]"#;
    breach(
        &PROPERTY,
        &settled("", "[512]", elsewhere),
        &o,
        "does not hold it",
    );
}
