//! Shrinking a failing plan with proptest: remove faults, shorten them, move them earlier, and
//! reduce the cluster, keeping each step only while the run still breaks the same invariant.
//!
//! [`PlanStrategy`] draws swarm plans (for property tests); its value tree, [`PlanTree`], is what
//! shrinks, and [`shrink`] starts one from a given failing plan and lets proptest's runner drive
//! it. Every candidate runs in its own madsim runtime on its own thread, with the same seed, so
//! the result is deterministic: the same input shrinks to the same plan.

use crate::failure::Unfinished;
use crate::fault::ScheduledFault;
use crate::model::Model;
use crate::options::Options;
use crate::plan::Plan;
use crate::reproduction::Reproduction;
use crate::schedule::ScheduleFile;
use proptest::strategy::{NewTree, Strategy, ValueTree};
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Swarm plans of a model, for seeds drawn from the runner's generator.
#[derive(Clone, Debug)]
pub struct PlanStrategy {
    /// The model whose swarm draws the plans.
    pub model: Model,
}

impl Strategy for PlanStrategy {
    type Tree = PlanTree;
    type Value = Plan;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        let seed = proptest::num::u64::ANY.new_tree(runner)?.current();
        Ok(PlanTree::new(self.model.plan(seed)))
    }
}

/// A plan known to fail (`accepted`) and the simpler candidate under test (`trial`).
#[derive(Clone, Debug)]
pub struct PlanTree {
    accepted: Plan,
    trial: Option<Plan>,
    /// Index of the next candidate among `candidates(accepted)`.
    next: usize,
}

impl PlanTree {
    /// The tree of smaller plans around `plan`.
    pub fn new(plan: Plan) -> PlanTree {
        PlanTree {
            accepted: plan,
            trial: None,
            next: 0,
        }
    }

    /// Simpler plans than `p`, most aggressive first.
    fn candidates(p: &Plan) -> Vec<Plan> {
        let mut out = vec![];
        let with_faults = |faults: Vec<ScheduledFault>| Plan {
            faults,
            ..p.clone()
        };
        // Drop half the faults, then each fault.
        let n = p.faults.len();
        if n > 1 {
            out.push(with_faults(p.faults[..n / 2].to_vec()));
            out.push(with_faults(p.faults[n / 2..].to_vec()));
        }
        for i in (0..n).rev() {
            let mut f = p.faults.clone();
            f.remove(i);
            out.push(with_faults(f));
        }
        // Shorten each fault, then move it earlier.
        for i in 0..n {
            if p.faults[i].for_ms > 1 {
                let mut f = p.faults.clone();
                f[i].for_ms /= 2;
                out.push(with_faults(f));
            }
        }
        for i in 0..n {
            if p.faults[i].at_ms > 0 {
                let mut f = p.faults.clone();
                f[i].at_ms /= 2;
                f.sort_by_key(|x| x.at_ms);
                out.push(with_faults(f));
            }
        }
        // A smaller cluster (a fault aimed at a removed node makes the candidate invalid).
        let o = &p.options;
        for (masters, workers, clients) in [
            (o.masters.saturating_sub(1), o.workers, o.clients),
            (o.masters, o.workers.saturating_sub(1), o.clients),
            (o.masters, o.workers, o.clients.saturating_sub(1)),
        ] {
            if (masters, workers, clients) != (o.masters, o.workers, o.clients) {
                out.push(Plan {
                    options: Options {
                        masters,
                        workers,
                        clients,
                        ..o.clone()
                    },
                    ..p.clone()
                });
            }
        }
        // A shorter safety phase, ending when the last fault ends.
        let end = p
            .faults
            .iter()
            .map(|f| f.at_ms.saturating_add(f.for_ms))
            .max()
            .unwrap_or(0)
            .max(1_000);
        if end < o.run_safety_phase_ms {
            out.push(Plan {
                options: Options {
                    run_safety_phase_ms: end,
                    ..o.clone()
                },
                ..p.clone()
            });
        }
        out.retain(|c| c.validate().is_ok());
        out
    }

    fn next_candidate(&mut self) -> bool {
        let candidates = Self::candidates(&self.accepted);
        match candidates.into_iter().nth(self.next) {
            Some(c) => {
                self.next += 1;
                self.trial = Some(c);
                true
            }
            None => {
                self.trial = None;
                false
            }
        }
    }
}

impl ValueTree for PlanTree {
    type Value = Plan;

    fn current(&self) -> Plan {
        self.trial.clone().unwrap_or_else(|| self.accepted.clone())
    }

    /// The current value failed: it becomes the plan to simplify further.
    fn simplify(&mut self) -> bool {
        if let Some(t) = self.trial.take() {
            self.accepted = t;
            self.next = 0;
        }
        self.next_candidate()
    }

    /// The candidate passed: try the next one instead.
    fn complicate(&mut self) -> bool {
        self.trial = None;
        self.next_candidate()
    }
}

/// What shrinking found.
#[derive(Clone, Debug)]
pub struct Shrunk {
    /// The smallest plan found that still breaks the invariant.
    pub plan: Plan,
    /// Candidate runs tried.
    pub runs: u64,
    /// Whether shrinking was stopped early: `plan` is the smallest failing plan found by then.
    pub interrupted: bool,
}

/// Shrinks `plan`, which breaks `invariant` with `seed`, to a smaller plan that still does.
/// `Err` when the plan does not break it to begin with.
pub fn shrink(seed: u64, plan: Plan, invariant: &str, max_runs: u32) -> Result<Shrunk, String> {
    shrink_until(seed, plan, invariant, max_runs, None)
}

/// [`shrink`], stopping early when `stop` answers true: the candidate running finishes, no
/// further one runs, and the smallest failing plan found so far is the result.
pub fn shrink_until(
    seed: u64,
    plan: Plan,
    invariant: &str,
    max_runs: u32,
    stop: Option<&(dyn Fn() -> bool + Sync)>,
) -> Result<Shrunk, String> {
    let runs = std::sync::atomic::AtomicU64::new(0);
    let interrupted = std::sync::atomic::AtomicBool::new(false);
    let breaks = |p: Plan| -> Result<(), TestCaseError> {
        // The first run is the plan itself, which must fail; once stopped, every later candidate
        // counts as passing without running, so proptest keeps the smallest failing plan so far.
        if runs.load(std::sync::atomic::Ordering::Relaxed) > 0 && stop.is_some_and(|stop| stop()) {
            interrupted.store(true, std::sync::atomic::Ordering::Relaxed);
            return Ok(());
        }
        runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match crate::run::run(seed, p) {
            Ok(o) if o.violations.iter().any(|v| v.invariant == invariant) => {
                Err(TestCaseError::fail(invariant.to_string()))
            }
            Ok(_) => Ok(()),
            // A panic or hang is a different failure: not the one being shrunk.
            Err(_) => Ok(()),
        }
    };
    let mut runner = TestRunner::new(Config {
        max_shrink_iters: max_runs,
        failure_persistence: None,
        ..Config::default()
    });
    match runner.run_one(PlanTree::new(plan), breaks) {
        Err(TestError::Fail(_, minimal)) => Ok(Shrunk {
            plan: minimal,
            runs: runs.into_inner(),
            interrupted: interrupted.into_inner(),
        }),
        Err(TestError::Abort(why)) => Err(format!("shrinking aborted: {why}")),
        Ok(_) => Err(format!("seed {seed} does not break {invariant}")),
    }
}

/// What [`shrink_to_file`] did.
#[derive(Clone, Debug, Serialize)]
pub struct ShrinkReport {
    /// The seed shrunk.
    pub seed: u64,
    /// The planted bug switched on, if any.
    pub bug: Option<String>,
    /// The invariant it breaks.
    pub invariant: String,
    /// Faults in the plan before shrinking.
    pub faults_before: usize,
    /// Faults after.
    pub faults_after: usize,
    /// Masters before shrinking.
    pub masters_before: usize,
    /// Masters after.
    pub masters_after: usize,
    /// Candidate runs tried.
    pub runs: u64,
    /// Wall time, in seconds.
    pub wall_s: f64,
    /// The schedule file written.
    pub file: PathBuf,
    /// Whether the run replayed from the file breaks the same invariant (none: the replay did
    /// not finish, or the file could not be read back).
    pub replay_fails: Option<bool>,
    /// The command that replays the file.
    pub replay: Reproduction,
    /// Whether shrinking was stopped early (a signal): the file holds the smallest failing
    /// schedule found by then, and shrinking it again goes on from there.
    pub interrupted: bool,
    /// The plan before shrinking.
    #[serde(skip)]
    pub before: Plan,
    /// The plan written.
    #[serde(skip)]
    pub after: Plan,
}

/// Why a seed could not be shrunk.
#[derive(Clone, Debug)]
pub enum ShrinkError {
    /// The seed's run did not finish: only invariant violations shrink.
    Unfinished(Unfinished),
    /// The seed breaks no invariant: nothing to shrink.
    Passes,
    /// Shrinking or writing the file failed.
    Harness(String),
}

/// Shrinks `seed` of `model` to the smallest plan that still breaks its first invariant, writes
/// it to `out/<bug or default>-seed-<seed>.json`, and replays the file to show that it still
/// fails the same way.
pub fn shrink_to_file(
    seed: u64,
    model: &Model,
    max_runs: u32,
    out: &Path,
    stop: Option<&(dyn Fn() -> bool + Sync)>,
) -> Result<ShrinkReport, ShrinkError> {
    let wall = Instant::now();
    let before = model.plan(seed);
    let outcome = crate::run::run(seed, before.clone()).map_err(ShrinkError::Unfinished)?;
    let invariant = outcome
        .violations
        .first()
        .map(|v| v.invariant.to_string())
        .ok_or(ShrinkError::Passes)?;
    let shrunk = shrink_until(seed, before.clone(), &invariant, max_runs, stop)
        .map_err(ShrinkError::Harness)?;
    let wall_s = wall.elapsed().as_secs_f64();
    let file = ScheduleFile::from_plan(seed, &shrunk.plan, Some(invariant.clone()));
    let name = format!(
        "{}-seed-{seed}.json",
        model.bug().map_or("default".to_string(), |b| b.name()),
    );
    let path = out.join(name);
    std::fs::create_dir_all(out)
        .and_then(|_| std::fs::write(&path, file.to_pretty()))
        .map_err(|e| ShrinkError::Harness(format!("cannot write {}: {e}", path.display())))?;
    // The shrunk schedule must fail again, the same way, when replayed from the file.
    let replay_fails = ScheduleFile::load(&path)
        .ok()
        .and_then(|f| crate::run::run(f.seed, f.plan().ok()?).ok())
        .map(|o| o.violations.iter().any(|v| v.invariant == invariant));
    Ok(ShrinkReport {
        seed,
        bug: model.bug().map(|b| b.name()),
        invariant,
        faults_before: before.faults.len(),
        faults_after: shrunk.plan.faults.len(),
        masters_before: before.options.masters,
        masters_after: shrunk.plan.options.masters,
        runs: shrunk.runs,
        wall_s,
        replay: Reproduction::schedule(&path, seed),
        file: path,
        replay_fails,
        interrupted: shrunk.interrupted,
        before,
        after: shrunk.plan,
    })
}
