//! Many seeds: each on its own thread, `jobs` at a time, summed into one [`Sweep`]. A seed whose
//! model panics, hangs past the simulated-time limit or runs past the wall-time limit is reported
//! as a failed seed of that kind with its replay command, and the sweep goes on.

use crate::check::Kind;
use crate::failure::{FailureKind, SeedFailure, Unfinished};
use crate::model::Plans;
use crate::plan::Plan;
use crate::run::{self, Summary};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// What one seed left behind (its history is dropped as soon as it is checked).
#[derive(Clone, Debug)]
pub struct SeedReport {
    /// The run's figures.
    pub summary: Summary,
    /// Its history's fingerprint.
    pub history_hash: u64,
    /// What it broke.
    pub violations: Vec<crate::check::Violation>,
    /// How often each fault kind was applied.
    pub faults: BTreeMap<String, u64>,
    /// How often each Sometimes fact was reached.
    pub coverage: BTreeMap<String, u64>,
}

/// How one seed ended.
#[derive(Clone, Debug)]
pub struct SeedResult {
    /// The seed.
    pub seed: u64,
    /// The run's report, or why it did not finish.
    pub result: Result<SeedReport, Unfinished>,
}

impl SeedResult {
    /// Whether the seed failed: a violation, or a run that did not finish.
    pub fn failed(&self) -> bool {
        self.result
            .as_ref()
            .map_or(true, |r| !r.violations.is_empty())
    }

    /// Every failure of the seed, each with the command that reruns it (from `plans`).
    pub fn failures(&self, plans: &dyn Plans) -> Vec<SeedFailure> {
        match &self.result {
            Ok(report) => report
                .violations
                .iter()
                .map(|v| SeedFailure::violated(self.seed, v, plans.reproduction(self.seed)))
                .collect(),
            Err(unfinished) => vec![SeedFailure::unfinished(
                self.seed,
                unfinished,
                plans.reproduction(self.seed),
            )],
        }
    }
}

/// Runs one seed with `plan`, under a wall-time limit.
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

/// Runs every seed of `seeds` with its plan from `plans`, `jobs` at a time, calling `on_done` as
/// each finishes, and sums them into a [`Sweep`] as they finish: no per-seed state outlives its
/// seed (memory stays flat however long the sweep).
pub fn explore(
    seeds: &[u64],
    jobs: usize,
    plans: &dyn Plans,
    wall_limit: Option<Duration>,
    on_done: &(dyn Fn(&SeedResult) + Sync),
) -> Sweep {
    explore_until(seeds, jobs, plans, wall_limit, None, &mut |r, _| on_done(r))
}

/// [`explore`], stopping early when `stop` answers true: no further seed starts, the running
/// ones finish, and the sweep covers exactly the first [`Sweep::seeds`] of `seeds`, marked
/// [`Sweep::interrupted`] when any are left. `on_done` is called as each seed finishes, in the
/// order they finish, with the sweep of the longest run of seeds from the first that are all done:
/// a summary written from it at any moment names exactly the seeds a resumed run must still do.
pub fn explore_until(
    seeds: &[u64],
    jobs: usize,
    plans: &dyn Plans,
    wall_limit: Option<Duration>,
    stop: Option<&(dyn Fn() -> bool + Sync)>,
    on_done: &mut (dyn FnMut(&SeedResult, &Sweep) + Send),
) -> Sweep {
    let mut sweep = Sweep::new();
    // Seeds finish out of order; those past a gap wait here (at most one per job, unless a seed
    // runs long) so that the sweep is always a prefix of `seeds`.
    let mut waiting: BTreeMap<usize, SeedResult> = BTreeMap::new();
    let mut next = 0;
    crate::pool::run(
        seeds.len(),
        jobs,
        stop,
        |i| run_seed(seeds[i], plans.plan(seeds[i]), wall_limit),
        |i, r| {
            if i == next {
                sweep.add(&r, plans);
                next += 1;
                while let Some(w) = waiting.remove(&next) {
                    sweep.add(&w, plans);
                    next += 1;
                }
                on_done(&r, &sweep);
            } else {
                on_done(&r, &sweep);
                waiting.insert(i, r);
            }
        },
    );
    sweep.interrupted = (sweep.seeds as usize) < seeds.len();
    sweep.failed_seeds.sort();
    sweep
        .violations
        .sort_by(|a, b| a.seed.cmp(&b.seed).then(a.invariant.cmp(&b.invariant)));
    sweep
}

/// A sweep's totals, summed over seeds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Sweep {
    /// Seeds run.
    pub seeds: u64,
    /// Whether the sweep stopped before its last seed (a signal or a deadline): it covers the
    /// first `seeds` of its range, and a resumed run does the rest.
    pub interrupted: bool,
    /// Seeds that failed, in order.
    pub failed_seeds: Vec<u64>,
    /// Every failure of every failed seed, in seed order.
    pub violations: Vec<SeedFailure>,
    /// Simulated time, summed.
    pub sim_ms: u64,
    /// Simulated network messages sent.
    pub messages: u64,
    /// Times a new primary took over.
    pub failovers: u64,
    /// Client calls that succeeded.
    pub ops_ok: u64,
    /// Client calls that ended with a definite error.
    pub ops_definite_error: u64,
    /// Client calls that ended Unavailable.
    pub ops_unavailable: u64,
    /// Of those, calls while one primary served steadily and no fault was in force.
    pub ops_unavailable_while_steady: u64,
    /// How often each fault kind was applied.
    pub faults: BTreeMap<String, u64>,
    /// How often each Sometimes fact was reached.
    pub coverage: BTreeMap<String, u64>,
    /// Seeds whose linearizability violation named each anomaly kind.
    pub anomalies: BTreeMap<String, u64>,
}

/// A sweep's figures per unit of wall time.
#[derive(Clone, Debug, Serialize)]
pub struct Rates {
    /// Wall time, in seconds.
    pub wall_s: f64,
    /// Seeds per wall second.
    pub seeds_per_s: f64,
    /// Simulated seconds per wall second.
    pub sim_s_per_wall_s: f64,
    /// Simulated messages per wall second.
    pub messages_per_wall_s: f64,
    /// Failovers per wall minute.
    pub failovers_per_wall_min: f64,
}

impl Sweep {
    /// An empty sweep, with every fault kind and Sometimes fact at zero.
    pub fn new() -> Sweep {
        Sweep {
            faults: crate::fault::FaultKind::ALL
                .iter()
                .map(|k| (k.to_string(), 0))
                .collect(),
            coverage: crate::check::of_kind(Kind::Sometimes)
                .map(|p| (p.name.to_string(), 0))
                .collect(),
            anomalies: crate::check::linearizable::AnomalyKind::ALL
                .iter()
                .map(|k| (k.to_string(), 0))
                .collect(),
            ..Sweep::default()
        }
    }

    /// Adds one seed's result; `plans` gives the command that reruns it.
    pub fn add(&mut self, r: &SeedResult, plans: &dyn Plans) {
        let s = self;
        s.seeds += 1;
        if r.failed() {
            s.failed_seeds.push(r.seed);
        }
        if let Ok(report) = &r.result {
            s.sim_ms += report.summary.sim_ms;
            s.messages += report.summary.messages;
            s.failovers += report.summary.failovers;
            s.ops_ok += report.summary.ops_ok;
            s.ops_definite_error += report.summary.ops_definite_error;
            s.ops_unavailable += report.summary.ops_unavailable;
            s.ops_unavailable_while_steady += report.summary.ops_unavailable_while_steady;
            for (k, n) in &report.faults {
                *s.faults.entry(k.clone()).or_insert(0) += n;
            }
            for (k, n) in &report.coverage {
                *s.coverage.entry(k.clone()).or_insert(0) += n;
            }
            for v in &report.violations {
                if let Some(anomaly) = &v.anomaly {
                    *s.anomalies.entry(anomaly.to_string()).or_insert(0) += 1;
                }
            }
        }
        s.violations.extend(r.failures(plans));
    }

    /// Adds another sweep (a shard run elsewhere, or a round of a benchmark).
    pub fn merge(&mut self, other: &Sweep) {
        self.seeds += other.seeds;
        self.interrupted |= other.interrupted;
        self.failed_seeds.extend(&other.failed_seeds);
        self.failed_seeds.sort();
        self.violations.extend(other.violations.iter().cloned());
        self.sim_ms += other.sim_ms;
        self.messages += other.messages;
        self.failovers += other.failovers;
        self.ops_ok += other.ops_ok;
        self.ops_definite_error += other.ops_definite_error;
        self.ops_unavailable += other.ops_unavailable;
        self.ops_unavailable_while_steady += other.ops_unavailable_while_steady;
        for (k, n) in &other.faults {
            *self.faults.entry(k.clone()).or_insert(0) += n;
        }
        for (k, n) in &other.coverage {
            *self.coverage.entry(k.clone()).or_insert(0) += n;
        }
        for (k, n) in &other.anomalies {
            *self.anomalies.entry(k.clone()).or_insert(0) += n;
        }
    }

    /// The sweep's figures over `wall_s` seconds of real time.
    pub fn rates(&self, wall_s: f64) -> Rates {
        let wall_s = wall_s.max(1e-9);
        Rates {
            wall_s,
            seeds_per_s: self.seeds as f64 / wall_s,
            sim_s_per_wall_s: self.sim_ms as f64 / 1000.0 / wall_s,
            messages_per_wall_s: self.messages as f64 / wall_s,
            failovers_per_wall_min: self.failovers as f64 / wall_s * 60.0,
        }
    }

    /// The kinds of failure among the failed seeds.
    pub fn failure_kinds(&self) -> Vec<FailureKind> {
        let mut kinds: Vec<FailureKind> = self.violations.iter().map(|f| f.kind).collect();
        kinds.sort();
        kinds.dedup();
        kinds
    }

    /// 0 when every seed passed, else the exit code of the most serious failure.
    pub fn exit_code(&self) -> u8 {
        crate::failure::exit_code(&self.failure_kinds())
    }

    /// Sometimes facts no seed reached.
    pub fn unreached(&self) -> Vec<&str> {
        self.coverage
            .iter()
            .filter(|(_, n)| **n == 0)
            .map(|(k, _)| k.as_str())
            .collect()
    }
}
