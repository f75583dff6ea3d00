//! Many seeds: each on its own thread, `jobs` at a time, summed into one [`Sweep`]. A seed whose
//! model panics, hangs past the simulated-time limit or runs past the wall-time limit is reported
//! as a failed seed with its replay command, and the sweep goes on.

use crate::check::Violation;
use crate::run::{self, Summary};
use crate::swarm::Plan;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// What one seed left behind (its history is dropped as soon as it is checked).
#[derive(Clone, Debug)]
pub struct SeedReport {
    pub summary: Summary,
    pub history_hash: u64,
    pub violations: Vec<Violation>,
    pub faults: BTreeMap<String, u64>,
    pub coverage: BTreeMap<String, u64>,
}

/// How one seed ended.
#[derive(Clone, Debug)]
pub struct SeedResult {
    pub seed: u64,
    /// The run's report, or why it did not finish (a panic, a hang).
    pub result: Result<SeedReport, String>,
}

impl SeedResult {
    /// Whether the seed failed: a violation, or a run that did not finish.
    pub fn failed(&self) -> bool {
        self.result
            .as_ref()
            .map_or(true, |r| !r.violations.is_empty())
    }
}

/// Runs one seed, with the plan `plan_for(seed)`, under a wall-time limit.
pub fn run_seed(seed: u64, plan: Plan, wall_limit: Option<Duration>) -> SeedResult {
    let result = run::run_with_wall_limit(seed, plan, wall_limit).map(|o| SeedReport {
        summary: o.summary,
        history_hash: o.history_hash,
        violations: o.violations,
        faults: o.faults,
        coverage: o.coverage,
    });
    SeedResult { seed, result }
}

/// Runs every seed of `seeds`, `jobs` at a time, calling `on_done` as each finishes, and sums
/// them into a [`Sweep`] as they finish: no per-seed state outlives its seed (memory stays flat
/// however long the sweep). `replay(seed)` is the command that reruns one seed.
pub fn explore(
    seeds: &[u64],
    jobs: usize,
    plan_for: &(dyn Fn(u64) -> Plan + Sync),
    wall_limit: Option<Duration>,
    replay: &(dyn Fn(u64) -> String + Sync),
    on_done: &(dyn Fn(&SeedResult) + Sync),
) -> Sweep {
    let next = AtomicU64::new(0);
    let sweep = Mutex::new(Sweep::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some(&seed) = seeds.get(i) else { break };
                let r = run_seed(seed, plan_for(seed), wall_limit);
                on_done(&r);
                sweep.lock().unwrap().add(&r, replay);
            });
        }
    });
    let mut sweep = sweep.into_inner().unwrap();
    sweep.failed_seeds.sort();
    sweep
        .violations
        .sort_by(|a, b| a.seed.cmp(&b.seed).then(a.invariant.cmp(&b.invariant)));
    sweep
}

/// One failed seed in a sweep's summary.
#[derive(Clone, Debug, Serialize)]
pub struct Failure {
    pub seed: u64,
    /// The broken invariant, or `panic` / `hang` when the run did not finish.
    pub invariant: String,
    pub at_ms: Option<f64>,
    pub detail: String,
    /// The command that reproduces it.
    pub replay: String,
}

/// A sweep's totals, summed over seeds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Sweep {
    pub seeds: u64,
    pub failed_seeds: Vec<u64>,
    pub violations: Vec<Failure>,
    pub sim_ms: u64,
    /// Simulated network messages sent.
    pub messages: u64,
    pub failovers: u64,
    pub ops_ok: u64,
    pub ops_failed: u64,
    pub faults: BTreeMap<String, u64>,
    pub coverage: BTreeMap<String, u64>,
}

impl Sweep {
    /// An empty sweep, with every fault kind and Sometimes fact at zero.
    pub fn new() -> Sweep {
        Sweep {
            faults: crate::fault::FAULT_KINDS
                .iter()
                .map(|k| (k.to_string(), 0))
                .collect(),
            coverage: crate::check::coverage::FACTS
                .iter()
                .map(|k| (k.to_string(), 0))
                .collect(),
            ..Sweep::default()
        }
    }

    /// Adds one seed's result; `replay(seed)` is the command that reruns it.
    pub fn add(&mut self, r: &SeedResult, replay: &dyn Fn(u64) -> String) {
        let s = self;
        s.seeds += 1;
        if r.failed() {
            s.failed_seeds.push(r.seed);
        }
        match &r.result {
            Ok(report) => {
                s.sim_ms += report.summary.sim_ms;
                s.messages += report.summary.messages;
                s.failovers += report.summary.failovers;
                s.ops_ok += report.summary.ops_ok;
                s.ops_failed += report.summary.ops_failed;
                for (k, n) in &report.faults {
                    *s.faults.entry(k.clone()).or_insert(0) += n;
                }
                for (k, n) in &report.coverage {
                    *s.coverage.entry(k.clone()).or_insert(0) += n;
                }
                for v in &report.violations {
                    s.violations.push(Failure {
                        seed: r.seed,
                        invariant: v.invariant.to_string(),
                        at_ms: Some(v.at_ms),
                        detail: v.detail.clone(),
                        replay: replay(r.seed),
                    });
                }
            }
            Err(message) => s.violations.push(Failure {
                seed: r.seed,
                invariant: if message.contains("time limit") {
                    "hang".into()
                } else {
                    "panic".into()
                },
                at_ms: None,
                detail: message.clone(),
                replay: replay(r.seed),
            }),
        }
    }

    /// Adds another sweep (a shard run elsewhere, say).
    pub fn merge(&mut self, other: &Sweep) {
        self.seeds += other.seeds;
        self.failed_seeds.extend(&other.failed_seeds);
        self.failed_seeds.sort();
        self.violations.extend(other.violations.iter().cloned());
        self.sim_ms += other.sim_ms;
        self.messages += other.messages;
        self.failovers += other.failovers;
        self.ops_ok += other.ops_ok;
        self.ops_failed += other.ops_failed;
        for (k, n) in &other.faults {
            *self.faults.entry(k.clone()).or_insert(0) += n;
        }
        for (k, n) in &other.coverage {
            *self.coverage.entry(k.clone()).or_insert(0) += n;
        }
    }
}
