//! Swarm testing: each seed draws its own cluster, timeouts, enabled fault kinds and fault
//! schedule, so that a sweep covers many configurations rather than one.
//!
//! [`plan`] draws a [`Plan`] from a seed and a base preset with a generator of its own, so the
//! draw never disturbs the simulation's random stream.

use crate::fault::{FaultKind, ScheduledFault};
use crate::options::Options;
use crate::plan::Plan;
use crate::seed::scale;
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Draws a cluster, timeouts and a fault schedule from `seed`, around the `base` options (which
/// came from `preset`).
pub fn plan(seed: u64, preset: &str, base: &Options) -> Plan {
    let mut rng = crate::seed::rng(seed, crate::seed::Stream::Swarm);
    let mut options = draw_options(&mut rng, base);
    let faults = draw_faults(&mut rng, &options);
    // Drawn last, so the cluster and the schedule draw as they did before this choice existed:
    // a third of the plans are read-heavy, so that reads overlap failovers, and in half of the
    // plans with several clients some only read (a reader sees a deposed primary longest: it
    // never writes, so never runs into the fencing).
    if rng.gen_bool(1.0 / 3.0) {
        options.workload_read_percent = rng.gen_range(60..=85);
    }
    if options.clients > 1 && rng.gen_bool(0.5) {
        options.workload_read_only_clients = rng.gen_range(1..options.clients) as u32;
    }
    draw_work_costs(&mut rng, &mut options);
    draw_blocks(&mut rng, &mut options, base);
    // Journal GC: how often the primary collects, and how old a covered log must be.
    options.master_journal_gc_period_ms =
        scale(&mut rng, base.master_journal_gc_period_ms, 0.25, 2.0);
    options.master_journal_gc_threshold_ms =
        scale(&mut rng, base.master_journal_gc_threshold_ms, 0.1, 2.0);
    // A call started when the faults heal must be able to outlast a whole failover, work
    // included (so this comes after every draw the failover bound depends on).
    options.user_rpc_retry_max_duration_ms = options
        .user_rpc_retry_max_duration_ms
        .max(options.failover_bound_ms() + options.user_rpc_attempt_timeout_ms);
    Plan {
        preset: preset.to_string(),
        options,
        faults,
    }
}

/// The worker side: each worker's capacity, the block size (files of up to four blocks), and how
/// long a client waits for one attempt's answer: a deadline shorter than a slow network's round
/// trip makes a client (or a worker registering) send again what the master may already have
/// done.
fn draw_blocks(rng: &mut ChaCha8Rng, o: &mut Options, base: &Options) {
    o.worker_memory_size_bytes = scale(rng, base.worker_memory_size_bytes, 0.25, 2.0);
    o.user_block_size_bytes_default =
        (o.workload_file_size_bytes_max / rng.gen_range(1..=4)).max(1);
    o.user_rpc_attempt_timeout_ms = scale(rng, base.user_rpc_attempt_timeout_ms, 0.25, 2.0);
    // Half the workers are production-sized: their registration makes the master go through
    // 10^2 to 10^6 blocks, on a master as slow as its other work. A whole round of
    // registrations holds a provisioned master's CPU for at most a quarter of the session
    // timeout and half a worker's attempt deadline: work alone never makes a worker register
    // again (a registration storm would keep the CPU busy for good), but work and a slow network
    // together can.
    if rng.gen_bool(0.5) {
        o.worker_base_blocks = 10f64.powf(rng.gen_range(2.0..6.0)).round() as u64;
    }
    let slowdown = o.master_journal_replay_cpu_us_per_entry as f64
        / base.master_journal_replay_cpu_us_per_entry.max(1) as f64;
    o.master_worker_register_cpu_us_per_block =
        ((base.master_worker_register_cpu_us_per_block as f64 * slowdown).round() as u64).max(1);
    let cap_us = (o.zookeeper_session_timeout_ms * 1000 / 4 / o.workers.max(1) as u64)
        .min(o.user_rpc_attempt_timeout_ms * 1000 / 2);
    o.worker_base_blocks = o
        .worker_base_blocks
        .min(cap_us / o.master_worker_register_cpu_us_per_block);
}

/// The masters' CPU costs: usually near the measured figures, sometimes a slow machine (a JVM in
/// long GC, a loaded host), and a production-sized namespace that every checkpoint pays for.
fn draw_work_costs(rng: &mut ChaCha8Rng, o: &mut Options) {
    let slowdown = match rng.gen_range(0..10) {
        0..=5 => rng.gen_range(0.5..2.0),
        6..=8 => rng.gen_range(2.0..50.0),
        _ => rng.gen_range(50.0..500.0),
    };
    let slow = |us: u64| ((us as f64 * slowdown).round() as u64).max(1);
    o.master_journal_replay_cpu_us_per_entry = slow(o.master_journal_replay_cpu_us_per_entry);
    o.master_checkpoint_cpu_us_per_inode = slow(o.master_checkpoint_cpu_us_per_inode);
    o.master_rpc_cpu_us = scale(rng, o.master_rpc_cpu_us, 0.5, 2.0);
    if rng.gen_bool(0.5) {
        o.master_namespace_base_inodes = 10f64.powf(rng.gen_range(2.0..6.0)).round() as u64;
        o.master_journal_base_entries = o.master_namespace_base_inodes * rng.gen_range(1..=10);
    }
    // A provisioned master: no single piece of work (one log's replay, one checkpoint) holds its
    // CPU for more than a quarter of the session timeout, so work alone never costs a session.
    // Only the old behaviour of bug B12, replaying the whole history at once, can.
    let cap_us = o.zookeeper_session_timeout_ms * 1000 / 4;
    let log_entries = (o.master_journal_log_size_bytes_max / o.journal_entry_size_bytes).max(1);
    o.master_journal_replay_cpu_us_per_entry = o
        .master_journal_replay_cpu_us_per_entry
        .min(cap_us / log_entries)
        .max(1);
    let inodes = o.master_namespace_base_inodes
        + o.workload_dirs as u64 * (o.workload_files_per_dir as u64 + 1)
        + 1;
    o.master_checkpoint_cpu_us_per_inode = o
        .master_checkpoint_cpu_us_per_inode
        .min(cap_us / inodes)
        .max(1);
    if o.master_checkpoint_cpu_us_per_inode * inodes > cap_us {
        o.master_namespace_base_inodes = (cap_us / o.master_checkpoint_cpu_us_per_inode)
            .saturating_sub(inodes - o.master_namespace_base_inodes);
    }
}

fn draw_options(rng: &mut ChaCha8Rng, base: &Options) -> Options {
    let mut o = base.clone();
    o.masters = rng.gen_range(2..=5);
    o.workers = rng.gen_range(1..=4);
    o.clients = rng.gen_range(1..=6);
    o.zookeeper_session_timeout_ms =
        scale(rng, base.zookeeper_session_timeout_ms, 0.5, 2.0).max(30);
    o.zookeeper_connection_timeout_ms = (o.zookeeper_session_timeout_ms / 2).max(1);
    // Alluxio's default is 5 ms; operators raise it to batch more under write load. Drawn
    // log-uniformly from 1 ms to 200 ms: a longer batch is a wider window in which a write waits,
    // unflushed, while the primary may lose its leadership.
    o.master_journal_flush_batch_time_ms = 10f64.powf(rng.gen_range(0.0..2.3)).round() as u64;
    o.master_journal_flush_timeout_ms = scale(rng, base.master_journal_flush_timeout_ms, 0.5, 2.0);
    o.master_journal_tailer_sleep_time_ms =
        scale(rng, base.master_journal_tailer_sleep_time_ms, 0.5, 2.0);
    o.master_journal_tailer_shutdown_quiet_wait_time_ms = scale(
        rng,
        base.master_journal_tailer_shutdown_quiet_wait_time_ms,
        0.5,
        2.0,
    );
    // A run journals a few dozen entries: periods from 4 to 158 (log-uniform) make standbys
    // write checkpoints, and the primary collect logs behind them, in most runs.
    o.master_journal_checkpoint_period_entries = 10f64.powf(rng.gen_range(0.6..2.2)).round() as u64;
    // Logs of 2 to 63 entries (log-uniform): a run's few dozen entries span several logs, so
    // rotation, completed logs and standbys' tailing of them are exercised in most runs.
    o.master_journal_log_size_bytes_max =
        o.journal_entry_size_bytes * 10f64.powf(rng.gen_range(0.3..1.8)).round() as u64;
    o.master_worker_connect_wait_time_ms =
        scale(rng, base.master_worker_connect_wait_time_ms, 0.5, 2.0);
    o.master_worker_timeout_ms = scale(rng, base.master_worker_timeout_ms, 0.5, 2.0)
        .max(4 * o.worker_block_heartbeat_interval_ms);
    // Short enough that a worker cut off for a while does reach it and exits (or, with bug B13,
    // stays silent).
    o.worker_block_heartbeat_timeout_ms = scale(rng, o.zookeeper_session_timeout_ms, 1.0, 4.0)
        .max(2 * o.worker_block_heartbeat_interval_ms);
    o.workload_ops_per_client = rng
        .gen_range(base.workload_ops_per_client / 2..=base.workload_ops_per_client * 3 / 2)
        .max(1);
    o.workload_think_time_ms = scale(rng, base.workload_think_time_ms, 0.5, 3.0);
    o.user_rpc_retry_max_duration_ms = scale(rng, base.user_rpc_retry_max_duration_ms, 0.5, 2.0);
    o
}

/// The fault schedule: a random subset of the fault kinds, a mean gap between faults, and then
/// faults of those kinds, each drawn by its kind's declaration, until the safety phase ends.
fn draw_faults(rng: &mut ChaCha8Rng, o: &Options) -> Vec<ScheduledFault> {
    let mut enabled: Vec<FaultKind> = FaultKind::ALL
        .iter()
        .copied()
        .filter(|_| rng.gen_bool(0.4))
        .collect();
    if enabled.is_empty() {
        enabled.push(*FaultKind::ALL.choose(rng).unwrap());
    }
    let t = o.zookeeper_session_timeout_ms;
    let mean_gap = scale(rng, t, 0.3, 3.0);
    let mut faults = vec![];
    let mut at = rng.gen_range(0..=mean_gap);
    while at < o.run_safety_phase_ms {
        let kind = *enabled.choose(rng).unwrap();
        let (fault, for_ms) = kind.draw(rng, o);
        faults.push(ScheduledFault {
            at_ms: at,
            for_ms,
            fault,
        });
        at += rng.gen_range(1..=2 * mean_gap);
    }
    faults
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swarm_plans_are_valid_and_vary() {
        let base = Options::fast();
        let plans: Vec<Plan> = (0..200).map(|s| plan(s, "fast", &base)).collect();
        for (seed, p) in plans.iter().enumerate() {
            p.validate()
                .unwrap_or_else(|e| panic!("seed {seed}: {e}\n{}", p.describe()));
        }
        assert_eq!(plan(7, "fast", &base), plan(7, "fast", &base));
        let shapes: std::collections::BTreeSet<_> = plans
            .iter()
            .map(|p| (p.options.masters, p.options.workers, p.options.clients))
            .collect();
        assert!(shapes.len() > 20, "only {} cluster shapes", shapes.len());
        for kind in FaultKind::ALL {
            assert!(
                plans
                    .iter()
                    .any(|p| p.faults.iter().any(|f| f.fault.kind() == *kind)),
                "no plan draws {kind}"
            );
        }
    }
}
