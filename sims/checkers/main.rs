//! Every checker can fail: small hand-made histories that break each invariant, beside a clean
//! one that breaks none, and a sweep with lazy-rename fencing that real runs break. One file per
//! property (the Sometimes facts in `coverage`, the property table in `table`); the histories are
//! written one event a line, as traces print them (`support::history`).

#[path = "../support/mod.rs"]
mod support;

mod block_locations;
mod bounded_retry;
mod client_retry;
mod leader_lookup;
mod coverage;
mod journal_housekeeping;
mod lazy_rename;
mod liveness;
mod lost_workers;
mod no_lost_entries;
mod one_leader;
mod settled_blocks;
mod standby_catch_up;
mod table;
mod worker_capacity;
mod worker_registry;
mod zookeeper_session;

use ftsim::check;
use support::history::{clean, options};

#[test]
fn a_clean_history_breaks_nothing() {
    assert_eq!(check::violations(&clean(), &options()), vec![]);
}
