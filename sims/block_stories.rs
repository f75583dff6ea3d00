//! Stories of workers and their blocks through failovers, against the public scripting API. Each
//! returns what it saw go wrong in its own words, beside the property table's verdicts, so that a
//! test can ask both that the default model keeps every block and that a planted bug breaks the
//! story for the reason it should.

use ftsim::history::{Event, EventKind};
use ftsim::op::BlockId;
use ftsim::{Bug, Cluster, FsOp, FsReply, Options, Role};
use std::collections::BTreeMap;
use std::time::Duration;

/// What a story saw: its own complaints, and the properties the history breaks.
#[derive(Debug, Default)]
pub struct Seen {
    /// What the story itself found wrong.
    pub problems: Vec<String>,
    /// The properties its history breaks.
    pub broken: Vec<String>,
}

const MB: u64 = 1 << 20;

/// The workers that hold `block` on their storage, from their own events so far.
fn holders(events: &[Event], block: BlockId) -> Vec<String> {
    let mut held: BTreeMap<&str, bool> = BTreeMap::new();
    for e in events {
        match e.kind {
            EventKind::BlockStored { block_id, .. } if block_id == block => {
                held.insert(&e.node, true);
            }
            EventKind::BlockRemoved { block_id, .. } if block_id == block => {
                held.insert(&e.node, false);
            }
            _ => {}
        }
    }
    held.into_iter()
        .filter(|(_, h)| *h)
        .map(|(w, _)| w.to_string())
        .collect()
}

/// Writes `n` files of one to four blocks through client 0: path -> block ids.
async fn write_files(cluster: &Cluster, prefix: &str, n: u64) -> BTreeMap<String, Vec<BlockId>> {
    let mut files = BTreeMap::new();
    for i in 0..n {
        let path = format!("/{prefix}{i}");
        let length = (i % 4 + 1) * 64 * MB - MB;
        match cluster.write_file(0, &path, length).await {
            Ok(FsReply::Status { blocks, .. }) => {
                files.insert(path, blocks);
            }
            other => panic!("{path} was not written: {other:?}"),
        }
    }
    files
}

/// Waits until the primary's worker report lists every worker (they have registered again).
async fn wait_for_workers(cluster: &Cluster) {
    for _ in 0..200 {
        if let Ok(FsReply::Workers(w)) = cluster.fs(0, FsOp::GetWorkerInfoList).await {
            if w.len() == cluster.options.workers {
                return;
            }
        }
        madsim::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Reads every file's block locations through client 1 and says what is wrong: a block with no
/// location, or one on a worker that does not hold it.
async fn check_located(
    cluster: &Cluster,
    files: &BTreeMap<String, Vec<BlockId>>,
    when: &str,
) -> Vec<String> {
    let mut problems = vec![];
    for (path, blocks) in files {
        let reply = cluster
            .fs(1, FsOp::GetBlockLocations { path: path.clone() })
            .await;
        let Ok(FsReply::Blocks(infos)) = reply else {
            problems.push(format!("{when}: {path} unreadable: {reply:?}"));
            continue;
        };
        let events = cluster.history.events();
        let ids: Vec<BlockId> = infos.iter().map(|b| b.block_id).collect();
        if ids != *blocks {
            problems.push(format!(
                "{when}: {path} has blocks {ids:?}, written {blocks:?}"
            ));
        }
        for b in infos {
            let held = holders(&events, b.block_id);
            if b.workers.is_empty() || b.workers.iter().any(|w| !held.contains(w)) {
                problems.push(format!(
                    "{when}: block {:#x} of {path} located on {:?}, held by {held:?}",
                    b.block_id, b.workers
                ));
            }
        }
    }
    problems
}

/// Three masters and three workers; six files written; the primary killed three times in turn
/// (and restarted once a new primary serves) while client 1 reads the files' block locations
/// over and over. Once every worker has registered again with the new primary, every block of
/// every file is located on a worker that holds it.
pub fn blocks_through_repeated_failovers(seed: u64, bug: Option<Bug>) -> Seen {
    let options = Options {
        masters: 3,
        workers: 3,
        clients: 2,
        bug,
        ..Options::fast()
    };
    Cluster::simulate(seed, options, |cluster| async move {
        let files = write_files(&cluster, "b", 6).await;
        let mut seen = Seen::default();
        let bound = Duration::from_millis(cluster.options.failover_bound_ms());
        for round in 1..=3 {
            let old = cluster.primary().await.expect("a primary serves");
            let paths: Vec<String> = files.keys().cloned().collect();
            // A reader overlaps the failover: its answers are the history's to judge.
            let reader = cluster.spawn(1, move |client| async move {
                for _ in 0..40 {
                    for path in &paths {
                        let op = FsOp::GetBlockLocations { path: path.clone() };
                        let _ = client.fs(op).await;
                    }
                    madsim::time::sleep(Duration::from_millis(20)).await;
                }
            });
            cluster.kill(Role::Master(old));
            let new = cluster
                .wait_for_new_primary(old, bound)
                .await
                .expect("a new primary is elected");
            cluster.restart(Role::Master(old));
            reader.await.expect("the reader ends");
            wait_for_workers(&cluster).await;
            let when = format!("after failover {round} (master-{new})");
            seen.problems
                .extend(check_located(&cluster, &files, &when).await);
        }
        let finished = cluster.finish().await;
        seen.broken = finished
            .violations()
            .iter()
            .map(|v| format!("{}: {}", v.invariant, v.detail))
            .collect();
        seen
    })
    .expect("the story runs")
}

/// Client 0 writes files while a worker that holds blocks is killed, then the primary; the worker
/// restarts while the new primary takes over. Once every worker has registered again, every block
/// of every file written is located on a worker that holds it (the restarted worker's storage
/// survives); a file deleted then has its blocks freed on the workers.
pub fn restarted_worker_keeps_its_blocks(seed: u64, bug: Option<Bug>) -> Seen {
    let options = Options {
        masters: 3,
        workers: 2,
        clients: 2,
        bug,
        ..Options::fast()
    };
    Cluster::simulate(seed, options, |cluster| async move {
        let mut files = write_files(&cluster, "r", 2).await;
        let mut seen = Seen::default();
        let bound = Duration::from_millis(cluster.options.failover_bound_ms());
        // Writes go on through the failover.
        let writer = cluster.spawn(0, |client| async move {
            let mut written = BTreeMap::new();
            for i in 0..8u64 {
                let path = format!("/w{i}");
                let length = (i % 4 + 1) * 64 * MB - MB;
                if let Ok(FsReply::Status { blocks, .. }) = client.write_file(&path, length).await {
                    written.insert(path, blocks);
                }
            }
            written
        });
        madsim::time::sleep(Duration::from_millis(400)).await;
        let worker = Role::Worker(0);
        cluster.kill(worker);
        let old = cluster.primary().await.expect("a primary serves");
        cluster.kill(Role::Master(old));
        cluster.restart(worker);
        cluster
            .wait_for_new_primary(old, bound)
            .await
            .expect("a new primary is elected");
        cluster.restart(Role::Master(old));
        files.extend(writer.await.expect("the writer ends"));
        wait_for_workers(&cluster).await;
        seen.problems
            .extend(check_located(&cluster, &files, "after the restarts").await);
        // Delete one file: its blocks leave the workers within a few heartbeats.
        let (gone, blocks) = files.pop_first().expect("files were written");
        let deleted = cluster
            .fs(
                0,
                FsOp::Delete {
                    path: gone.clone(),
                    recursive: false,
                },
            )
            .await;
        if deleted.is_err() {
            seen.problems
                .push(format!("{gone} was not deleted: {deleted:?}"));
        }
        madsim::time::sleep(Duration::from_millis(
            10 * cluster.options.worker_block_heartbeat_interval_ms,
        ))
        .await;
        let events = cluster.history.events();
        for b in blocks {
            let held = holders(&events, b);
            if !held.is_empty() {
                seen.problems.push(format!(
                    "block {b:#x} of the deleted {gone} is still on {held:?}"
                ));
            }
        }
        let finished = cluster.finish().await;
        seen.broken = finished
            .violations()
            .iter()
            .map(|v| format!("{}: {}", v.invariant, v.detail))
            .collect();
        seen
    })
    .expect("the story runs")
}
