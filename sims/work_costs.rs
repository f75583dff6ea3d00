//! Work costs time (docs/src/model.md, "Work costs time"): stories that show a master's journal work holding
//! its simulated CPU. Shared by `sims/scenarios.rs` (run on every `cargo test`) and
//! `sims/mutants.rs` (a mutant that makes work free, or lets pings skip a busy CPU, is caught).
//! Each story returns what it measured, or why the model broke its promise.

use ftsim::history::{Event, EventKind};
use ftsim::{Cluster, FsOp, Options, Role};
use std::time::Duration;

/// Journal entries the long-journal story writes before the primary fails.
const LONG_JOURNAL_ENTRIES: u64 = 2_000;

/// The primary writes [`LONG_JOURNAL_ENTRIES`] entries into one in-progress log (which standbys
/// do not tail), then is killed. Returns the simulated time from the kill until a client call
/// succeeds through the new primary, and the failover bound of the options.
fn long_journal_failover(replay_us_per_entry: u64) -> (Duration, Duration) {
    let options = Options {
        masters: 2,
        workers: 0,
        clients: 1,
        zookeeper_session_timeout_ms: 10_000,
        master_journal_log_size_bytes_max: 64 << 20,
        master_journal_checkpoint_period_entries: 1 << 20,
        master_journal_replay_cpu_us_per_entry: replay_us_per_entry,
        user_rpc_retry_max_duration_ms: 120_000,
        workload_ops_per_client: LONG_JOURNAL_ENTRIES as u32,
        ..Options::fast()
    };
    let bound = Duration::from_millis(options.failover_bound_ms());
    let failover = Cluster::simulate(17, options, |cluster| async move {
        for i in 0..LONG_JOURNAL_ENTRIES {
            let path = format!("/d{i}");
            cluster.fs(0, FsOp::Mkdir { path }).await.expect("mkdir");
        }
        let primary = cluster.primary().await.expect("a primary serves");
        let killed = madsim::time::Instant::now();
        cluster.kill(Role::Master(primary));
        let path = format!("/d{}", LONG_JOURNAL_ENTRIES - 1);
        cluster
            .fs(0, FsOp::GetStatus { path })
            .await
            .expect("the new primary serves the last write");
        madsim::time::Instant::now() - killed
    })
    .expect("the story runs");
    (failover, bound)
}

/// Promotion replays the old primary's whole in-progress log on the new primary's CPU: at 500 µs
/// an entry, 2,000 entries add a second to the failover clients see, and the failover stays
/// within the bound the book states (which counts that replay).
pub fn replay_lengthens_the_failover() -> Result<String, String> {
    let (free, _) = long_journal_failover(0);
    let (slow, bound) = long_journal_failover(500);
    let replay = Duration::from_micros(500 * LONG_JOURNAL_ENTRIES);
    let extra = slow.saturating_sub(free);
    let measured = format!("failover {free:?} -> {slow:?} (bound {bound:?})");
    if extra < replay * 9 / 10 || extra > replay * 3 / 2 {
        return Err(format!(
            "{measured}: {extra:?} more, expected about {replay:?}"
        ));
    }
    if slow > bound {
        return Err(format!("{measured}: past the bound"));
    }
    Ok(measured)
}

/// A standby writes a checkpoint whose cost (one second per inode, so at least 8 s once 8 of the 10
/// directories written are replayed) outlasts its ZooKeeper session timeout (3 s): its pings wait behind the work, as a
/// JVM's would, and ZooKeeper expires its session. No fault is injected. With checkpoints free
/// the same story keeps every session. Returns the standby's expiry, if it came.
fn long_checkpoint_story(checkpoint_us_per_inode: u64) -> Option<String> {
    let options = Options {
        masters: 2,
        workers: 0,
        clients: 1,
        master_journal_checkpoint_period_entries: 8,
        // Logs of two entries, completed as they fill: the standby tails only completed logs.
        master_journal_log_size_bytes_max: 2 * Options::fast().journal_entry_size_bytes,
        master_checkpoint_cpu_us_per_inode: checkpoint_us_per_inode,
        master_namespace_base_inodes: 0,
        master_journal_base_entries: 0,
        ..Options::fast()
    };
    Cluster::simulate(5, options, |cluster| async move {
        let primary = cluster.primary().await.expect("a primary serves");
        let standby = Role::Master(1 - primary).name();
        for i in 0..10 {
            let path = format!("/d{i}");
            cluster.fs(0, FsOp::Mkdir { path }).await.expect("mkdir");
        }
        madsim::time::sleep(Duration::from_secs(15)).await;
        let events = cluster.finish().await.events;
        // When the standby first set out to write a checkpoint, wrote one, and lost its session.
        let first = |matches: &dyn Fn(&Event) -> bool| {
            events.iter().find(|e| matches(e)).map(|e| e.at_ms())
        };
        let started =
            first(&|e| e.node == standby && matches!(e.kind, EventKind::CheckpointStarted { .. }));
        let written =
            first(&|e| e.node == standby && matches!(e.kind, EventKind::CheckpointWritten { .. }));
        let expired = first(
            &|e| matches!(&e.kind, EventKind::SessionExpired { owner, .. } if *owner == standby),
        );
        // The session must expire while the checkpoint holds the CPU.
        match (started, expired, written) {
            (Some(s), Some(x), Some(w)) if s < x && x < w => Some(format!(
                "{standby} set out to write its checkpoint at {s:.1} ms and wrote it at {w:.1} ms; \
                 ZooKeeper expired its session at {x:.1} ms"
            )),
            _ => None,
        }
    })
    .expect("the story runs")
}

/// A checkpoint that holds the CPU past the session timeout costs the standby its session; a
/// free one does not.
pub fn long_checkpoint_costs_the_session() -> Result<String, String> {
    if let Some(free) = long_checkpoint_story(0) {
        return Err(format!("with free checkpoints: {free}"));
    }
    long_checkpoint_story(1_000_000)
        .ok_or_else(|| "an 8 s checkpoint left the standby's 3 s session alive".to_string())
}
