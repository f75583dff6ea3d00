//! Pinned regressions: every schedule in `regressions/` is replayed. One recorded with a bug
//! must still break the same invariant; one recorded against the default model must pass. A
//! proptest property over swarm plans keeps its failure persistence in the same folder.

use ftsim::schedule::{json_files, ScheduleFile};
use ftsim::shrink::PlanStrategy;
use ftsim::Model;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use std::path::Path;

fn regressions_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions")
}

#[test]
fn every_pinned_schedule_replays_as_recorded() {
    let files = json_files(&regressions_dir()).unwrap();
    assert!(!files.is_empty(), "regressions/ holds no schedule");
    let mut problems = vec![];
    for path in files {
        let file = match ScheduleFile::load(&path) {
            Ok(f) => f,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        let outcome = ftsim::run::run(file.seed, file.plan().unwrap())
            .unwrap_or_else(|e| panic!("{} did not finish: {e}", path.display()));
        let broken: Vec<&str> = outcome.violations.iter().map(|v| v.invariant).collect();
        match &file.invariant {
            Some(inv) if !broken.contains(&inv.as_str()) => problems.push(format!(
                "{}: should break {inv}, broke {broken:?}",
                path.display()
            )),
            None if !broken.is_empty() => {
                problems.push(format!("{}: should pass, broke {broken:?}", path.display()))
            }
            _ => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        max_shrink_iters: 500,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            concat!(env!("CARGO_MANIFEST_DIR"), "/regressions/proptest-regressions.txt"),
        ))),
        ..ProptestConfig::default()
    })]

    /// The default model breaks no invariant on any swarm plan; a failure shrinks the plan.
    #[test]
    fn the_default_model_holds_on_swarm_plans(plan in PlanStrategy { model: Model::fast() }) {
        let seed = 1;
        let outcome = ftsim::run::run(seed, plan.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(
            outcome.violations.is_empty(),
            "{:?}\n{}",
            outcome.violations,
            plan.describe()
        );
    }
}

/// A shrink stopped after a few candidate runs (as Ctrl-C stops `ftsim shrink`) keeps the
/// smallest failing plan found by then: it still breaks the invariant, it is no larger than the
/// plan it started from, and it is marked interrupted; stopped before any candidate, the plan is
/// the seed's own.
#[test]
fn a_stopped_shrink_keeps_the_smallest_failing_plan_so_far() {
    use ftsim::bugs::Bug;
    use ftsim::model::Model;
    use std::sync::atomic::{AtomicU32, Ordering};
    let model = Model::fast().with_bug(Some(Bug::parse("B4").unwrap()));
    let seed = 471; // B4's first failing seed in `fast`
    let plan = model.plan(seed);
    let invariant = "no_lost_entries";
    let full = ftsim::shrink::shrink(seed, plan.clone(), invariant, 2_000).unwrap();
    assert!(!full.interrupted);
    assert!(full.runs > 3, "{} runs", full.runs);

    let asked = AtomicU32::new(0);
    let after_three = || asked.fetch_add(1, Ordering::Relaxed) >= 3;
    let stopped =
        ftsim::shrink::shrink_until(seed, plan.clone(), invariant, 2_000, Some(&after_three))
            .unwrap();
    assert!(stopped.interrupted);
    assert!(stopped.runs <= 4, "{} runs", stopped.runs);
    assert!(stopped.plan.faults.len() <= plan.faults.len());
    let outcome = ftsim::run::run(seed, stopped.plan.clone()).unwrap();
    assert!(outcome.violations.iter().any(|v| v.invariant == invariant));

    let at_once =
        ftsim::shrink::shrink_until(seed, plan.clone(), invariant, 2_000, Some(&|| true)).unwrap();
    assert_eq!((at_once.runs, at_once.interrupted), (1, true));
    assert_eq!(at_once.plan, plan);
}
