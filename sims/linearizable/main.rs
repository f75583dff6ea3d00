//! The linearizability checkers can fail, and they agree.
//!
//! - One small hand-made history per anomaly kind (`dirty-read`, `stale-read`, `lost-write`,
//!   `real-time-order`, `wrong-reply`): the journal-order check reports exactly that kind, naming
//!   the operations involved, and the exhaustive Wing-Gong-Lowe search rejects the history too.
//!   Clean histories pass both, including calls that ended Unavailable, whether or not the
//!   journal holds them.
//! - The journaled block metadata (`blocks`): block commits, a completed file's blocks and length,
//!   block-location answers judged without their locations.
//! - A property over 10,000 random small client histories (a sequential execution, perturbed or
//!   not): the journal-order check and the search give the same verdict, on a mix of
//!   linearizable and non-linearizable histories; an unperturbed execution passes both.

#[path = "../support/mod.rs"]
mod support;

mod agreement;
mod anomalies;
mod blocks;

use ftsim::check::client_ops::{self, Call, ClientHistory, End};
use ftsim::check::linearizable::AnomalyKind;
use ftsim::check::{linearizable, wgl};
use ftsim::history::Event;
use ftsim::namespace::Namespace;
use ftsim::op::CallError;
use ftsim::op::{FsError, FsOp, FsReply};
use ftsim::Options;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestRunner;
use std::cell::Cell;
use std::time::Instant;
use support::history::{event, journal_replay, json};

// ---- hand-made histories ----

/// One client call as a test writes it.
struct Written {
    client: &'static str,
    op_id: u64,
    op: FsOp,
    invoke_ms: u64,
    end_ms: u64,
    /// The reply, or why the call failed.
    end: Result<FsReply, CallError>,
}

fn call(
    client: &'static str,
    op_id: u64,
    op: FsOp,
    [invoke_ms, end_ms]: [u64; 2],
    end: Result<FsReply, CallError>,
) -> Written {
    Written {
        client,
        op_id,
        op,
        invoke_ms,
        end_ms,
        end,
    }
}

/// The events of `calls` in time order (at equal times, in the order written), then a journal
/// replay whose order is `journal`.
fn history(calls: Vec<Written>, journal: &[u64]) -> Vec<Event> {
    let mut events = vec![];
    for c in calls {
        let (client, op_id) = (c.client, c.op_id);
        let invoke = format!("invoke op={} op_id={op_id}", json(&c.op));
        let end = match c.end {
            Ok(reply) => format!("ok by=master-0 op_id={op_id} reply={}", json(&reply)),
            Err(CallError::Unavailable) => format!("fail by=null error=unavailable op_id={op_id}"),
            Err(error) => format!("fail by=master-0 error={} op_id={op_id}", json(&error)),
        };
        events.push(event(&format!("{} {client} {invoke}", c.invoke_ms)));
        events.push(event(&format!("{} {client} {end}", c.end_ms)));
    }
    events.sort_by_key(|e| e.at_us);
    let replay_ms = events.last().map_or(0, |e| e.at_us / 1000) + 1;
    let entries: Vec<(u64, u64, u64)> = (0..).zip(journal).map(|(seq, id)| (seq, 1, *id)).collect();
    let fields = format!("entries={} order={}", json(&entries), json(&journal));
    events.push(journal_replay(replay_ms, &fields));
    events
}

fn mkdir(path: &str) -> FsOp {
    FsOp::Mkdir { path: path.into() }
}

fn create_file(path: &str) -> FsOp {
    FsOp::CreateFile { path: path.into() }
}

fn get_status(path: &str) -> FsOp {
    FsOp::GetStatus { path: path.into() }
}

fn list_status(path: &str) -> FsOp {
    FsOp::ListStatus { path: path.into() }
}

fn dir(id: u64) -> Result<FsReply, CallError> {
    Ok(FsReply::Status {
        id,
        dir: true,
        complete: true,
        length: 0,
        blocks: vec![],
    })
}

fn open_file(id: u64) -> Result<FsReply, CallError> {
    Ok(FsReply::Status {
        id,
        dir: false,
        complete: false,
        length: 0,
        blocks: vec![],
    })
}

fn fs_error(e: FsError) -> Result<FsReply, CallError> {
    Err(CallError::Fs(e))
}

fn extract(events: &[Event]) -> ClientHistory {
    client_ops::extract(events).expect("the history ends with a journal replay")
}

/// The journal-order check reports exactly `kind`, naming `ops` (the breaking call first), and
/// the search rejects the history too.
fn assert_anomaly(events: &[Event], kind: AnomalyKind, ops: &[u64]) {
    let breach = linearizable::check(events, &Options::fast()).expect("a linearizability breach");
    assert_eq!(breach.anomaly, Some(kind), "{}", breach.detail);
    assert_eq!(breach.ops, ops, "{}", breach.detail);
    assert_eq!(
        wgl::linearizable(&extract(events), wgl::STEP_BUDGET),
        Some(false)
    );
}

/// Both checkers accept the history.
fn assert_linearizable(events: &[Event]) {
    assert_eq!(linearizable::check(events, &Options::fast()), None);
    assert_eq!(
        wgl::linearizable(&extract(events), wgl::STEP_BUDGET),
        Some(true)
    );
}
