//! The journaled block metadata is judged too: a block commit (a worker's call) is a mutation,
//! a completed file's status carries its blocks and length, and a block-location answer is judged
//! by its block ids and lengths, its locations (memory only) left out.

use super::*;
use ftsim::op::BlockInfo;

const BLOCK: u64 = 1 << 8;

fn commit(length: u64) -> FsOp {
    FsOp::CommitBlock {
        block_id: BLOCK,
        length,
    }
}

fn complete(path: &str) -> FsOp {
    FsOp::CompleteFile { path: path.into() }
}

fn locations(path: &str) -> FsOp {
    FsOp::GetBlockLocations { path: path.into() }
}

fn completed(blocks: Vec<u64>, length: u64) -> Result<FsReply, CallError> {
    Ok(FsReply::Status {
        id: 1,
        dir: false,
        complete: true,
        length,
        blocks,
    })
}

fn blocks(length: u64, workers: &[&str]) -> Result<FsReply, CallError> {
    Ok(FsReply::Blocks(vec![BlockInfo {
        block_id: BLOCK,
        length,
        workers: workers.iter().map(|w| w.to_string()).collect(),
    }]))
}

/// /f is created (inode 1), worker-0 commits its block, the file is completed; then a status
/// read and a block-location read, answered `located`.
fn written(
    told_complete: Result<FsReply, CallError>,
    located: Result<FsReply, CallError>,
    journal: &[u64],
) -> Vec<Event> {
    history(
        vec![
            call("client-0", 1, create_file("/f"), [0, 10], open_file(1)),
            call("worker-0", 2, commit(10), [20, 30], Ok(FsReply::Done)),
            call("client-0", 3, complete("/f"), [40, 50], told_complete),
            call(
                "client-1",
                4,
                get_status("/f"),
                [60, 70],
                completed(vec![BLOCK], 10),
            ),
            call("client-1", 5, locations("/f"), [80, 90], located),
        ],
        journal,
    )
}

#[test]
fn block_metadata_as_journaled_is_linearizable_whatever_the_locations() {
    let ok = completed(vec![BLOCK], 10);
    assert_linearizable(&written(ok.clone(), blocks(10, &["worker-0"]), &[1, 2, 3]));
    assert_linearizable(&written(ok, blocks(10, &[]), &[1, 2, 3]));
}

/// Bug B20's shape: a commit acknowledged that the journal never held.
#[test]
fn a_block_commit_acknowledged_but_not_journaled_is_a_lost_write() {
    let events = history(
        vec![
            call("client-0", 1, create_file("/f"), [0, 10], open_file(1)),
            call("worker-0", 2, commit(10), [20, 30], Ok(FsReply::Done)),
        ],
        &[1],
    );
    assert_anomaly(&events, AnomalyKind::LostWrite, &[2]);
}

/// A block length no journal prefix gives, and a completion told of no blocks although the
/// commit came first in the journal.
#[test]
fn block_metadata_the_journal_does_not_give_breaks_linearizability() {
    let ok = completed(vec![BLOCK], 10);
    let events = written(ok, blocks(99, &["worker-0"]), &[1, 2, 3]);
    assert_anomaly(&events, AnomalyKind::DirtyRead, &[5, 3]);
    let events = written(completed(vec![], 0), blocks(10, &[]), &[1, 2, 3]);
    assert_anomaly(&events, AnomalyKind::WrongReply, &[3]);
}
