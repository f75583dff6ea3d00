//! Every knob of a run, in one serde type.
//!
//! Field names follow the Alluxio property they model (dots become underscores, the unit is the
//! suffix), so a finding maps back onto a real cluster's `alluxio-site.properties`. Knobs that have no
//! Alluxio property are marked "model only". A run is fully described by `(seed, Options)`.

use crate::bugs::Bug;
use serde::{Deserialize, Serialize};

mod choices;
mod validate;
pub use choices::{ConnectionErrorPolicy, Fencing, ReadLeadership, ReadVisibility};

/// All options of one run. Times are simulated milliseconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Options {
    // ---- cluster shape (model only) ----
    /// Number of masters (2 to 5).
    pub masters: usize,
    /// Number of workers.
    pub workers: usize,
    /// Number of clients running the workload.
    pub clients: usize,

    // ---- ZooKeeper ----
    /// `zookeeper.session.timeout`: the server expires a session silent for this long.
    pub zookeeper_session_timeout_ms: u64,
    /// `zookeeper.connection.timeout`: how long a ZooKeeper call may wait for a connection.
    pub zookeeper_connection_timeout_ms: u64,
    /// `zookeeper.leader.inquiry.retry`: leader lookups with no leader before Unavailable.
    pub zookeeper_leader_inquiry_retry: u32,
    /// Sleep between two leader lookups that found no leader (Alluxio: 1 s). Model only.
    pub zookeeper_leader_inquiry_sleep_ms: u64,
    /// `zookeeper.leader.connection.error.policy`.
    pub zookeeper_leader_connection_error_policy: ConnectionErrorPolicy,

    // ---- journal ----
    /// Fencing of the old primary's in-progress log (model only; Alluxio ships `lazy-rename`).
    pub journal_fencing: Fencing,
    /// What reads may show of the primary's tree (model only; Alluxio ships `applied`).
    pub master_read_visibility: ReadVisibility,
    /// How a primary confirms its leadership before answering a read (model only; Alluxio ships
    /// `unchecked`).
    pub master_read_leadership: ReadLeadership,
    /// `master.journal.flush.batch.time`: entries are flushed in batches this far apart.
    pub master_journal_flush_batch_time_ms: u64,
    /// `master.journal.retry.interval`: a failed flush is retried this often.
    pub master_journal_retry_interval_ms: u64,
    /// `master.journal.flush.timeout`: flushes failing for this long make the master exit.
    pub master_journal_flush_timeout_ms: u64,
    /// `master.journal.log.size.bytes.max`: the current log is completed at this size.
    pub master_journal_log_size_bytes_max: u64,
    /// Size of one journal entry on the UFS, for rotation (model only).
    pub journal_entry_size_bytes: u64,
    /// `master.journal.tailer.sleep.time`: a standby polls for completed logs this often.
    pub master_journal_tailer_sleep_time_ms: u64,
    /// `master.journal.tailer.shutdown.quiet.wait.time`: promotion drains the tailer until no
    /// entry appears for this long.
    pub master_journal_tailer_shutdown_quiet_wait_time_ms: u64,
    /// `master.journal.checkpoint.period.entries`: a standby checkpoints after this many entries.
    pub master_journal_checkpoint_period_entries: u64,
    /// `master.journal.gc.period`: the primary collects covered logs this often.
    pub master_journal_gc_period_ms: u64,
    /// `master.journal.gc.threshold`: only logs older than this are collected.
    pub master_journal_gc_threshold_ms: u64,

    // ---- master ----
    /// `master.worker.connect.wait.time`: safe mode after promotion.
    pub master_worker_connect_wait_time_ms: u64,
    /// `master.worker.timeout`: a worker silent this long is lost.
    pub master_worker_timeout_ms: u64,
    /// `master.lost.worker.detection.interval`: how often lost workers are looked for.
    pub master_lost_worker_detection_interval_ms: u64,

    // ---- work (model only): simulated CPU costs, see `src/cpu.rs` ----
    /// CPU time a master spends serving one RPC. 60 µs: Alluxio's scalability guide measures
    /// 65,000 getStatus calls per second on 4 vCores, about 62 µs of core time each.
    pub master_rpc_cpu_us: u64,
    /// CPU time to replay one journal entry. 60 µs: the inode-tree update a metadata RPC makes,
    /// without its network work.
    pub master_journal_replay_cpu_us_per_entry: u64,
    /// CPU and disk time to write or load one inode of a checkpoint. 16 µs: about 2 KB per inode
    /// on disk (the guide's figure) at the 128 MB/s it asks of a master's disk.
    pub master_checkpoint_cpu_us_per_inode: u64,
    /// Inodes the namespace holds besides those the workload touches (a production namespace):
    /// every checkpoint written or loaded pays for them. 0: a fresh cluster.
    pub master_namespace_base_inodes: u64,
    /// CPU time a master spends on each block a worker's registration reports (a block-store
    /// lookup and a location insert). 2 µs: a small share of an RPC's, per block.
    pub master_worker_register_cpu_us_per_block: u64,
    /// Blocks each worker holds besides those the run writes (a production worker): every
    /// registration's CPU pays for them; they are never read. 0: a fresh cluster.
    pub worker_base_blocks: u64,
    /// Entries the journal held before the run, all covered by the checkpoint the cluster starts
    /// from: a master that starts from a checkpoint skips them; one that replays from zero (bug
    /// B12) pays for each. 0: a fresh cluster.
    pub master_journal_base_entries: u64,

    // ---- worker ----
    /// `worker.block.heartbeat.interval`.
    pub worker_block_heartbeat_interval_ms: u64,
    /// `worker.block.heartbeat.timeout`: a worker whose heartbeats fail this long exits.
    pub worker_block_heartbeat_timeout_ms: u64,
    /// `worker.memory.size`: a worker's storage capacity (the MEM tier). Worker `i` has
    /// `(4 + i) / 4` of it (model only), so that no two workers report the same capacity.
    pub worker_memory_size_bytes: u64,

    // ---- client ----
    /// `user.rpc.retry.base.sleep`: first sleep between attempts.
    pub user_rpc_retry_base_sleep_ms: u64,
    /// `user.rpc.retry.max.sleep`: sleeps double up to this.
    pub user_rpc_retry_max_sleep_ms: u64,
    /// `user.rpc.retry.max.duration`: no attempt starts after this much time.
    pub user_rpc_retry_max_duration_ms: u64,
    /// Deadline of one RPC attempt (model only).
    pub user_rpc_attempt_timeout_ms: u64,
    /// `user.metadata.cache.enabled`: the client answers get_status and list_status from its
    /// own cache (Alluxio's default: off; bug `client-metadata-cache` turns it on).
    pub user_metadata_cache_enabled: bool,
    /// `user.metadata.cache.expiration.time`: how long a cached answer is used.
    pub user_metadata_cache_expiration_time_ms: u64,
    /// `user.block.size.bytes.default`: a file's data is written in blocks of this size.
    pub user_block_size_bytes_default: u64,

    // ---- workload (model only) ----
    /// Operations each client issues during the run.
    pub workload_ops_per_client: u32,
    /// Pause between two operations of one client.
    pub workload_think_time_ms: u64,
    /// Directories of the namespace the workload draws paths from.
    pub workload_dirs: u32,
    /// Files per directory the workload draws paths from.
    pub workload_files_per_dir: u32,
    /// A file the workload creates is written with a length drawn from 1 byte to this.
    pub workload_file_size_bytes_max: u64,
    /// Percent of the workload's operations that are reads (get_status, list_status).
    pub workload_read_percent: u32,
    /// Clients, counted from client-0, that only read (as query engines do); the others follow
    /// `workload_read_percent`.
    pub workload_read_only_clients: u32,

    // ---- run (model only) ----
    /// Length of the safety phase, in which faults are applied.
    pub run_safety_phase_ms: u64,
    /// Slack added to the computed liveness bound.
    pub run_liveness_slack_ms: u64,
    /// A planted bug from the catalogue, switched on (none: the correct model).
    pub bug: Option<Bug>,
}

impl Default for Options {
    fn default() -> Self {
        Self::alluxio_defaults()
    }
}

/// Names of the presets, for usage messages.
pub const PRESETS: &[&str] = &["alluxio-defaults", "fast"];

/// The preset used when none is named.
pub const DEFAULT_PRESET: &str = "fast";

impl Options {
    /// Alluxio's own defaults, with a small cluster.
    pub fn alluxio_defaults() -> Self {
        Options {
            masters: 3,
            workers: 2,
            clients: 3,
            zookeeper_session_timeout_ms: 60_000,
            zookeeper_connection_timeout_ms: 15_000,
            zookeeper_leader_inquiry_retry: 10,
            zookeeper_leader_inquiry_sleep_ms: 1_000,
            zookeeper_leader_connection_error_policy: ConnectionErrorPolicy::Session,
            journal_fencing: Fencing::LeaseRecovery,
            master_read_visibility: ReadVisibility::Durable,
            master_read_leadership: ReadLeadership::ZookeeperCheck,
            master_journal_flush_batch_time_ms: 5,
            master_journal_retry_interval_ms: 1_000,
            master_journal_flush_timeout_ms: 300_000,
            master_journal_log_size_bytes_max: 10 * 1024 * 1024,
            journal_entry_size_bytes: 256,
            master_journal_tailer_sleep_time_ms: 1_000,
            master_journal_tailer_shutdown_quiet_wait_time_ms: 5_000,
            master_rpc_cpu_us: 60,
            master_journal_replay_cpu_us_per_entry: 60,
            master_checkpoint_cpu_us_per_inode: 16,
            master_namespace_base_inodes: 0,
            master_journal_base_entries: 0,
            master_worker_register_cpu_us_per_block: 2,
            worker_base_blocks: 0,
            master_journal_checkpoint_period_entries: 2_000_000,
            master_journal_gc_period_ms: 120_000,
            master_journal_gc_threshold_ms: 300_000,
            master_worker_connect_wait_time_ms: 5_000,
            master_worker_timeout_ms: 300_000,
            master_lost_worker_detection_interval_ms: 10_000,
            worker_block_heartbeat_interval_ms: 1_000,
            worker_block_heartbeat_timeout_ms: 3_600_000,
            worker_memory_size_bytes: 1 << 30,
            user_rpc_retry_base_sleep_ms: 50,
            user_rpc_retry_max_sleep_ms: 3_000,
            user_rpc_retry_max_duration_ms: 120_000,
            user_rpc_attempt_timeout_ms: 30_000,
            user_metadata_cache_enabled: false,
            user_metadata_cache_expiration_time_ms: 600_000,
            user_block_size_bytes_default: 64 << 20,
            workload_ops_per_client: 60,
            workload_think_time_ms: 2_000,
            workload_dirs: 3,
            workload_files_per_dir: 4,
            workload_file_size_bytes_max: 256 << 20,
            workload_read_percent: 20,
            workload_read_only_clients: 0,
            run_safety_phase_ms: 600_000,
            run_liveness_slack_ms: 30_000,
            bug: None,
        }
    }

    /// Shortened timeouts and small logs, so that failovers, rotation, checkpoints and GC all happen
    /// within seconds of simulated time. Ratios between timeouts follow Alluxio's defaults.
    pub fn fast() -> Self {
        Options {
            zookeeper_session_timeout_ms: 3_000,
            zookeeper_connection_timeout_ms: 1_500,
            zookeeper_leader_inquiry_sleep_ms: 200,
            master_journal_retry_interval_ms: 100,
            master_journal_flush_timeout_ms: 5_000,
            master_journal_log_size_bytes_max: 16 * 256,
            master_journal_tailer_sleep_time_ms: 100,
            master_journal_tailer_shutdown_quiet_wait_time_ms: 300,
            master_journal_checkpoint_period_entries: 40,
            master_journal_gc_period_ms: 2_000,
            master_journal_gc_threshold_ms: 2_000,
            master_worker_connect_wait_time_ms: 300,
            master_worker_timeout_ms: 4_000,
            master_lost_worker_detection_interval_ms: 500,
            worker_block_heartbeat_interval_ms: 200,
            worker_block_heartbeat_timeout_ms: 30_000,
            worker_memory_size_bytes: 4 << 30,
            user_rpc_retry_max_sleep_ms: 500,
            user_rpc_retry_max_duration_ms: 20_000,
            user_rpc_attempt_timeout_ms: 1_000,
            workload_ops_per_client: 40,
            workload_think_time_ms: 100,
            run_safety_phase_ms: 20_000,
            run_liveness_slack_ms: 5_000,
            ..Self::alluxio_defaults()
        }
    }

    /// A preset by name.
    pub fn preset(name: &str) -> Option<Self> {
        match name {
            "alluxio-defaults" => Some(Self::alluxio_defaults()),
            "fast" => Some(Self::fast()),
            _ => None,
        }
    }

    /// A preset by name, or an error that lists the known presets.
    pub fn named(name: &str) -> Result<Self, String> {
        Self::preset(name).ok_or_else(|| {
            format!(
                "unknown preset '{name}'; known presets: {}",
                PRESETS.join(", ")
            )
        })
    }

    /// Reads options from a JSON file; missing fields take Alluxio's defaults.
    pub fn from_file(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read options file {}: {e}", path.display()))?;
        let options: Options = serde_json::from_str(&text)
            .map_err(|e| format!("malformed options file {}: {e}", path.display()))?;
        options
            .validate()
            .map_err(|e| format!("invalid options file {}: {e}", path.display()))?;
        Ok(options)
    }

    /// The fencing in force: the planted bug B15 forces `lazy-rename`.
    /// What reads may show, the planted bug considered.
    pub fn read_visibility(&self) -> ReadVisibility {
        if self.bug == Some(Bug::DirtyReadBeforeFlush) {
            ReadVisibility::Applied
        } else {
            self.master_read_visibility
        }
    }

    /// How reads confirm leadership, the planted bug considered.
    pub fn read_leadership(&self) -> ReadLeadership {
        if self.bug == Some(Bug::StaleReadAfterLostLeadership) {
            ReadLeadership::Unchecked
        } else {
            self.master_read_leadership
        }
    }

    /// Whether clients answer reads from their metadata cache, the planted bug considered.
    pub fn metadata_cache(&self) -> bool {
        self.user_metadata_cache_enabled || self.bug == Some(Bug::ClientMetadataCache)
    }

    /// How a new primary fences the old one, the planted bug considered (B15 is lazy rename).
    pub fn fencing(&self) -> Fencing {
        if self.bug == Some(Bug::LazyRenameFencing) {
            Fencing::LazyRename
        } else {
            self.journal_fencing
        }
    }

    /// The connection error policy in force: the planted bug B12 forces `STANDARD`.
    pub fn connection_error_policy(&self) -> ConnectionErrorPolicy {
        if self.bug == Some(Bug::StandardPolicyFlapping) {
            ConnectionErrorPolicy::Standard
        } else {
            self.zookeeper_leader_connection_error_policy
        }
    }

    /// Worker `index`'s capacity: `(4 + index) / 4` of `worker.memory.size`.
    pub fn worker_capacity_bytes(&self, index: usize) -> u64 {
        self.worker_memory_size_bytes / 4 * (4 + index as u64)
    }

    /// ZooKeeper's ping interval: a third of the session timeout, as ZooKeeper's client does.
    pub fn zookeeper_ping_interval_ms(&self) -> u64 {
        (self.zookeeper_session_timeout_ms / 3).max(1)
    }

    /// Time for a new primary to serve after the faults heal: the session must expire, the
    /// election run, the tailer go quiet, and safe mode end. Used by the liveness phase.
    pub fn failover_bound_ms(&self) -> u64 {
        self.zookeeper_session_timeout_ms
            + self.zookeeper_connection_timeout_ms
            + self.master_journal_tailer_shutdown_quiet_wait_time_ms
            + 2 * self.master_journal_tailer_sleep_time_ms
            + self.master_worker_connect_wait_time_ms
            + self.journal_work_bound_ms()
            + self.run_liveness_slack_ms
    }

    /// Most CPU time a master can spend catching up before it serves: loading a checkpoint and
    /// replaying every entry the run can write (the workload's mutations and the liveness
    /// probes), twice over (a standby's reload, then promotion's catch-up).
    pub fn journal_work_bound_ms(&self) -> u64 {
        let entries = self.clients as u64 * (self.workload_ops_per_client as u64 + 2) + 16;
        let inodes = self.master_namespace_base_inodes
            + self.workload_dirs as u64 * (self.workload_files_per_dir as u64 + 1)
            + 1;
        let us = entries * self.master_journal_replay_cpu_us_per_entry
            + inodes * self.master_checkpoint_cpu_us_per_inode;
        2 * us.div_ceil(1000)
    }

    /// Longest a leader lookup can take before it gives up with Unavailable: each query waits up
    /// to the connection timeout, plus the request already in flight when it runs out (one ping
    /// interval, the ZooKeeper client's attempt deadline), then sleeps.
    pub fn leader_lookup_bound_ms(&self) -> u64 {
        (self.zookeeper_leader_inquiry_retry as u64 + 1)
            * (self.zookeeper_leader_inquiry_sleep_ms
                + self.zookeeper_connection_timeout_ms
                + self.zookeeper_ping_interval_ms().max(10))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_validate() {
        for name in PRESETS {
            Options::preset(name).unwrap().validate().unwrap();
        }
    }

    /// `fixtures/options/<preset>.json` is each preset written out, for `--options` to start from;
    /// `fast-journal-barrier.json` is `fast` with reads fenced by a journal write barrier, the
    /// mutation test's second sweep (`sims/mutants.rs`).
    #[test]
    fn fixture_files_match_the_presets() {
        let mut files: Vec<(String, Options)> = PRESETS
            .iter()
            .map(|name| (name.to_string(), Options::preset(name).unwrap()))
            .collect();
        files.push((
            "fast-journal-barrier".into(),
            Options {
                master_read_leadership: ReadLeadership::JournalBarrier,
                ..Options::fast()
            },
        ));
        for (name, expected) in files {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("fixtures/options/{name}.json"));
            if std::env::var("FTSIM_WRITE_FIXTURES").is_ok() {
                std::fs::write(
                    &path,
                    serde_json::to_string_pretty(&expected).unwrap() + "\n",
                )
                .unwrap();
            }
            assert_eq!(
                Options::from_file(&path).unwrap(),
                expected,
                "{} is stale",
                path.display()
            );
        }
    }

    #[test]
    fn unknown_field_is_rejected() {
        let err = serde_json::from_str::<Options>(r#"{"masterz": 3}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
    }
}
