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

/// Runs every seed of `seeds`, `jobs` at a time, calling `on_done` as each finishes. Results come
/// back sorted by seed.
pub fn explore(
    seeds: &[u64],
    jobs: usize,
    plan_for: &(dyn Fn(u64) -> Plan + Sync),
    wall_limit: Option<Duration>,
    on_done: &(dyn Fn(&SeedResult) + Sync),
) -> Vec<SeedResult> {
    let next = AtomicU64::new(0);
    let results = Mutex::new(Vec::with_capacity(seeds.len()));
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some(&seed) = seeds.get(i) else { break };
                let r = run_seed(seed, plan_for(seed), wall_limit);
                on_done(&r);
                results.lock().unwrap().push(r);
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|r| r.seed);
    results
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
    pub failovers: u64,
    pub ops_ok: u64,
    pub ops_failed: u64,
    pub faults: BTreeMap<String, u64>,
    pub coverage: BTreeMap<String, u64>,
}

impl Sweep {
    /// Sums `results`; `replay(seed)` is the command that reruns one seed.
    pub fn of(results: &[SeedResult], replay: &dyn Fn(u64) -> String) -> Sweep {
        let mut s = Sweep {
            faults: crate::fault::FAULT_KINDS
                .iter()
                .map(|k| (k.to_string(), 0))
                .collect(),
            coverage: crate::check::coverage::FACTS
                .iter()
                .map(|k| (k.to_string(), 0))
                .collect(),
            ..Sweep::default()
        };
        for r in results {
            s.seeds += 1;
            if r.failed() {
                s.failed_seeds.push(r.seed);
            }
            match &r.result {
                Ok(report) => {
                    s.sim_ms += report.summary.sim_ms;
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
        s
    }
}
