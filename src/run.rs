//! One seed, start to end: build the cluster, run the workload while the nemesis applies the
//! fault schedule (the safety phase), heal, demand a serving primary (the liveness phase), record
//! final states and the journal replay, then check and summarise.

use crate::check::{self, bounded_retry::call_bound_ms, Violation};
use crate::cluster::Cluster;
use crate::failure::Unfinished;
use crate::history::{history_hash, Event, EventKind};
use crate::net::Role;
use crate::op::{CallError, FsOp};
use crate::options::Options;
use crate::plan::Plan;
use madsim::time::sleep;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
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
    /// Client calls that succeeded.
    pub ops_ok: u64,
    /// Client calls that ended with a definite error (`NotFound`, `AlreadyExists`, ...).
    pub ops_definite_error: u64,
    /// Client calls that ended Unavailable (no primary answered within the retry policy).
    pub ops_unavailable: u64,
    /// Of those, calls that ended Unavailable although, from their invoke to their end, one
    /// master believed it was primary throughout and no fault was in force: an outage the
    /// client saw for nothing.
    pub ops_unavailable_while_steady: u64,
    /// Entries in the journal at the end (the fresh reader's count).
    pub journal_entries: u64,
    /// Messages the simulated network carried.
    pub messages: u64,
    /// Each master's final state digest (none: it did not answer at the end).
    pub digests: BTreeMap<String, Option<u64>>,
}

/// Everything one run produced.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The run's seed.
    pub seed: u64,
    /// Its plan.
    pub plan: Plan,
    /// Its whole history.
    pub events: Vec<Event>,
    /// The history's fingerprint ([`crate::history::history_hash`]).
    pub history_hash: u64,
    /// The figures derived from the history.
    pub summary: Summary,
    /// Broken invariants, at most one per invariant (its first breaking event).
    pub violations: Vec<Violation>,
    /// How often each fault kind was applied (every kind, zeros included).
    pub faults: BTreeMap<String, u64>,
    /// How often each Sometimes fact was reached (every fact, zeros included).
    pub coverage: BTreeMap<String, u64>,
}

impl Outcome {
    /// Whether the run broke no property.
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }
}

/// Runs one seed on its own thread. `Err` says why it did not finish: a panic inside the model or
/// a checker, or simulated time past [`sim_time_limit_ms`] (a hang).
pub fn run(seed: u64, plan: Plan) -> Result<Outcome, Unfinished> {
    run_with_wall_limit(seed, plan, None)
}

/// As [`run`], giving up after `wall_limit` of real time.
pub fn run_with_wall_limit(
    seed: u64,
    plan: Plan,
    wall_limit: Option<Duration>,
) -> Result<Outcome, Unfinished> {
    tracing::info!(target: "ftsim::run", "seed {seed}: plan\n{}", plan.describe());
    let limit = Duration::from_millis(sim_time_limit_ms(&plan.options));
    let p = plan.clone();
    let (events, messages) =
        crate::sim::simulate_within(seed, Some(limit), wall_limit, move || async move {
            let events = scenario(seed, p).await;
            (events, madsim::net::NetSim::current().stat().msg_count)
        })?;
    // A checker that panics is a harness bug; report it as this seed's failure, not a crash.
    let mut outcome =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| outcome(seed, plan, events)))
            .map_err(|p| {
                Unfinished::Panic(format!(
                    "a checker panicked: {}",
                    crate::sim::panic_message(p.as_ref())
                ))
            })?;
    outcome.summary.messages = messages;
    Ok(outcome)
}

/// An upper bound on a run's simulated time; past it the run is reported as hung.
pub fn sim_time_limit_ms(options: &Options) -> u64 {
    2 * options.failover_bound_ms()
        + options.run_safety_phase_ms
        + 4 * call_bound_ms(options)
        + options.workload_think_time_ms
        + 60_000
}

/// Builds an outcome from a finished run's events: summary, checkers, counts.
pub fn outcome(seed: u64, plan: Plan, events: Vec<Event>) -> Outcome {
    let mut summary = summarise(&events);
    for index in 0..plan.options.masters {
        summary
            .digests
            .entry(Role::Master(index).name())
            .or_insert(None);
    }
    Outcome {
        seed,
        violations: check::violations(&events, &plan.options),
        faults: check::fault_counts(&events),
        coverage: check::coverage(&events),
        history_hash: history_hash(&events),
        summary,
        events,
        plan,
    }
}

/// The run itself, inside the simulation: a safety phase in which the workload runs and the
/// nemesis applies the schedule; then every fault is healed and the liveness phase has each
/// client call once through whichever primary serves; then the final states are recorded.
pub async fn scenario(seed: u64, plan: Plan) -> Vec<Event> {
    let cluster = Cluster::start(plan.options).await;
    let history = cluster.history.clone();
    let o = cluster.options.clone();
    history.record(
        "harness",
        EventKind::Phase {
            name: "safety".into(),
        },
    );
    let drain = Arc::new(crate::drain::Drain::new(cluster.clients()));
    let mut workloads = vec![];
    for index in 0..cluster.clients() {
        let rng = crate::seed::rng(seed, crate::seed::Stream::Workload(index));
        let (o, drain) = (o.clone(), drain.clone());
        // The workload is spawned on the client's node; its handle is awaited after the heal.
        #[allow(clippy::async_yields_async)]
        let task = cluster
            .with_client(index, move |client| async move {
                madsim::task::spawn(async move {
                    crate::workload::run(
                        &client,
                        index,
                        rng,
                        &o,
                        if (index as u32) < o.workload_read_only_clients {
                            100
                        } else {
                            o.workload_read_percent
                        },
                        &drain,
                    )
                    .await
                })
            })
            .await;
        workloads.push(task);
    }
    crate::nemesis::run(&cluster, &plan.faults, o.run_safety_phase_ms).await;
    drain.stop();

    history.record(
        "harness",
        EventKind::Phase {
            name: "liveness".into(),
        },
    );
    // Each client's probes ask for three kinds of answer, one after the other: a directory made
    // (ok), a status of a path that is not there (NotFound) and the same directory again
    // (AlreadyExists). A definite answer must reach the caller as it is, never as Unavailable.
    let probes = (0..cluster.clients()).map(|index| {
        let cluster = &cluster;
        async move {
            let dir = format!("/live-{index}");
            let ops = [
                FsOp::Mkdir { path: dir.clone() },
                FsOp::GetStatus {
                    path: format!("{dir}/absent"),
                },
                FsOp::Mkdir { path: dir },
            ];
            for op in ops {
                let _ = cluster.fs(index, op).await;
            }
        }
    });
    // What a client writing a block is told at the heal: the first master found primary is asked
    // for its worker list. Where the faults left no primary, the one found has just been
    // promoted, and its safe mode (`master.worker.connect.wait.time`) must refuse.
    let heal_worker_list = async {
        let bound = Duration::from_millis(o.failover_bound_ms());
        if let Some(p) = cluster.find_primary(bound).await {
            let workers = cluster.worker_list_within(p, Duration::from_secs(1)).await;
            history.record(
                &Role::Master(p).name(),
                EventKind::HealWorkerList { workers },
            );
        }
    };
    let liveness = async {
        futures::future::join(futures::future::join_all(probes), heal_worker_list).await;
        // Calls in flight when the faults healed end within the call bound; a call that does
        // not is left pending for the bounded-retry checker to report.
        let bound = Duration::from_millis(call_bound_ms(&o) + o.workload_think_time_ms);
        drain.drain(workloads, &history, bound).await;
    };
    // Once the faults heal, a master that exits (a flush timeout that ran out during the faults
    // can end just after the heal) is started again, as its process supervisor would.
    let supervisor = async {
        loop {
            cluster.restart_exited();
            sleep(Duration::from_millis(SUPERVISOR_POLL_MS)).await;
        }
    };
    {
        futures::pin_mut!(liveness, supervisor);
        futures::future::select(liveness, supervisor).await;
    }
    crate::cluster::final_phase(cluster).await
}

/// How often the process supervisor looks for exited nodes after the heal.
pub const SUPERVISOR_POLL_MS: u64 = 100;

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
            EventKind::Fail {
                error: CallError::Unavailable,
                ..
            } => s.ops_unavailable += 1,
            EventKind::Fail { .. } => s.ops_definite_error += 1,
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
    s.ops_unavailable_while_steady = unavailable_while_steady(events);
    s.terms = terms.len() as u64;
    s.failovers = primaries.saturating_sub(1);
    s
}

/// Calls that ended Unavailable although, from their invoke to their end, exactly one master,
/// the same one, believed it was primary and no fault was in force.
pub fn unavailable_while_steady(events: &[Event]) -> u64 {
    let mut believers = crate::primacy::Believers::new(events);
    let mut faults = crate::check::faults_in_force::FaultsInForce::default();
    // Open calls: op id -> the one primary seen so far, while the call has been steady.
    let mut open: BTreeMap<u64, Option<String>> = BTreeMap::new();
    let mut count = 0;
    for (i, e) in events.iter().enumerate() {
        faults.step(e);
        let now = believers.after(i);
        let steady = (now.len() == 1 && faults.none()).then(|| now.first().unwrap().to_string());
        for primary in open.values_mut() {
            if primary.is_some() && *primary != steady {
                *primary = None;
            }
        }
        match &e.kind {
            EventKind::Invoke { op_id, .. } => {
                open.insert(*op_id, steady);
            }
            EventKind::Ok { op_id, .. } => {
                open.remove(op_id);
            }
            EventKind::Fail { op_id, error, .. } => {
                let steady_at_invoke = open.remove(op_id).flatten().is_some();
                if steady_at_invoke && *error == CallError::Unavailable {
                    count += 1;
                }
            }
            _ => {}
        }
    }
    count
}
