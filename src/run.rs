//! One seed, start to end: build the cluster, run the workload through the safety phase, heal,
//! demand a serving primary in the liveness phase, record final states and the journal replay,
//! then summarise.

use crate::cluster::Cluster;
use crate::history::{history_hash, Event, EventKind};
use crate::journal::reader;
use crate::namespace::FsOp;
use crate::net::Role;
use crate::options::Options;
use madsim::time::sleep;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// The figures of one run, all derived from its history.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Simulated duration of the run.
    pub sim_ms: u64,
    /// Distinct terms in which a master became primary.
    pub terms: u64,
    /// Times a new primary took over from an earlier one.
    pub failovers: u64,
    pub ops_ok: u64,
    pub ops_failed: u64,
    /// Entries in the journal at the end (the fresh reader's count).
    pub journal_entries: u64,
    /// Each master's final state digest (none: it did not answer at the end).
    pub digests: BTreeMap<String, Option<u64>>,
}

/// Everything one run produced.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub seed: u64,
    pub options: Options,
    pub events: Vec<Event>,
    pub history_hash: u64,
    pub summary: Summary,
}

/// Runs one seed on its own thread. `Err` carries a panic message from inside the model.
pub fn run(seed: u64, options: Options) -> Result<Outcome, String> {
    let limit = Duration::from_millis(sim_time_limit_ms(&options));
    let opts = options.clone();
    let events = crate::sim::simulate(seed, Some(limit), move || scenario(seed, opts))?;
    Ok(outcome(seed, options, events))
}

/// An upper bound on a run's simulated time; past it the run is reported as hung.
pub fn sim_time_limit_ms(options: &Options) -> u64 {
    let ops = options.workload_ops_per_client as u64;
    let per_op = options.workload_think_time_ms
        + options.user_rpc_retry_max_duration_ms
        + options.user_rpc_attempt_timeout_ms;
    4 * options.failover_bound_ms() + options.run_safety_phase_ms + ops.min(20) * per_op + 600_000
}

/// Builds an outcome from a finished run's events.
pub fn outcome(seed: u64, options: Options, events: Vec<Event>) -> Outcome {
    let mut summary = summarise(&events);
    for index in 0..options.masters {
        summary
            .digests
            .entry(Role::Master(index).name())
            .or_insert(None);
    }
    Outcome {
        seed,
        options,
        history_hash: history_hash(&events),
        summary,
        events,
    }
}

/// The run itself, inside the simulation.
pub async fn scenario(seed: u64, options: Options) -> Vec<Event> {
    let cluster = Cluster::start(seed, options).await;
    let history = cluster.history.clone();
    let o = cluster.options.clone();
    history.record(
        "harness",
        EventKind::Phase {
            name: "safety".into(),
        },
    );
    let mut workloads = vec![];
    for index in 0..cluster.clients() {
        let rng = crate::seed::child_rng(seed, &format!("workload-{index}"));
        let o = o.clone();
        let task = cluster
            .with_client(index, move |client| async move {
                madsim::task::spawn(async move {
                    crate::workload::run(
                        &client,
                        rng,
                        o.workload_ops_per_client,
                        Duration::from_millis(o.workload_think_time_ms),
                        o.workload_dirs,
                        o.workload_files_per_dir,
                    )
                    .await
                })
            })
            .await;
        workloads.push(task);
    }
    sleep(Duration::from_millis(o.run_safety_phase_ms)).await;

    history.record(
        "harness",
        EventKind::Phase {
            name: "liveness".into(),
        },
    );
    cluster
        .wait_for_primary(Duration::from_millis(o.failover_bound_ms()))
        .await;
    for index in 0..cluster.clients() {
        let _ = cluster
            .fs(
                index,
                FsOp::Mkdir {
                    path: format!("/live-{index}"),
                },
            )
            .await;
    }
    for w in workloads {
        let _ = w.await;
    }
    finish(cluster).await
}

/// Records every master's final state and the fresh reader's replay, then shuts down.
pub async fn finish(cluster: Cluster) -> Vec<Event> {
    let history = cluster.history.clone();
    history.record(
        "harness",
        EventKind::Phase {
            name: "final".into(),
        },
    );
    // Let standbys tail the last completed entries before comparing digests.
    sleep(Duration::from_millis(
        cluster.options.master_journal_tailer_sleep_time_ms * 3,
    ))
    .await;
    for index in 0..cluster.options.masters {
        if let Some(s) = cluster.master_status(index).await {
            let kind = EventKind::FinalState {
                primary: s.primary,
                applied_seq: s.next_seq,
                digest: s.digest,
            };
            history.record(&Role::Master(index).name(), kind);
        }
    }
    let files = cluster.journal_files();
    let replay = reader::replay(&files);
    let applied: BTreeSet<u64> = history
        .events()
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::FinalState { applied_seq, .. } => Some(applied_seq),
            _ => None,
        })
        .collect();
    let digest_at = applied
        .into_iter()
        .map(|seq| (seq, reader::digest_at(&files, seq)))
        .collect();
    history.record(
        "reader",
        EventKind::JournalReplay {
            checkpoint_seq: replay.checkpoint_seq,
            checkpoint_ops: replay.checkpoint_ops,
            entries: replay.entries,
            digest: replay.digest,
            problem: replay.problem,
            digest_at,
        },
    );
    cluster.shutdown().await;
    history.take()
}

/// Derives the summary figures from a history.
pub fn summarise(events: &[Event]) -> Summary {
    let mut s = Summary {
        sim_ms: events.last().map(|e| e.at_us / 1000).unwrap_or(0),
        ..Summary::default()
    };
    let mut terms = BTreeSet::new();
    let mut primaries = 0u64;
    for e in events {
        match &e.kind {
            EventKind::BecamePrimary { term, .. } => {
                terms.insert(*term);
                primaries += 1;
            }
            EventKind::Ok { .. } => s.ops_ok += 1,
            EventKind::Fail { .. } => s.ops_failed += 1,
            EventKind::FinalState { digest, .. } => {
                s.digests.insert(e.node.clone(), Some(*digest));
            }
            EventKind::JournalReplay {
                checkpoint_seq,
                entries,
                ..
            } => {
                s.journal_entries = entries.last().map(|x| x.0 + 1).unwrap_or(*checkpoint_seq);
            }
            _ => {}
        }
    }
    s.terms = terms.len() as u64;
    s.failovers = primaries.saturating_sub(1);
    s
}
