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
