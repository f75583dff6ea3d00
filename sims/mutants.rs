//! The test that `cargo mutants` runs against every mutant (`.cargo/mutants.toml`,
//! `scripts/mutants.sh`, docs/src/mutation.md). A mutant is caught when any of these fails:
//!
//! - `swarm_sweep_passes`: a fixed sweep of swarm seeds `1..=N` of the default model, each seed
//!   on its own thread, all cores. `N` is `FTSIM_MUTANTS_SEEDS` (default [`DEFAULT_SEEDS`], chosen
//!   by measurement: see docs/src/mutation.md). A seed that panics, hangs past its simulated-time limit or runs
//!   past [`WALL_LIMIT`] of real time fails too. With at least [`COVERAGE_SEEDS`] seeds the
//!   sweep must also apply every fault kind and reach every Sometimes fact, as the book's coverage
//!   sweep does (`sims/swarm.rs`): a mutant that makes faults or failover tame is caught there.
//! - `journal_barrier_sweep_passes`: the same sweep ([`BARRIER_SEEDS`]) with reads fenced by a
//!   journal write barrier (`fixtures/options/fast-journal-barrier.json`), the safe alternative
//!   to the default ZooKeeper check: its code runs in no default sweep.
//! - `catalogue_bugs_are_caught`: every planted bug is still caught by its invariant within
//!   twice the catalogue's budget (`sims/catalogue.rs`). The switches' code runs only with a
//!   bug planted; a mutant that breaks a switch, or a checker's hold on it, is caught here. The
//!   doubled budget makes it unlikely that a mutant which merely moves a bug's window (a bug
//!   found later than its budget) counts as caught.
//! - `work_costs_time`: the stories of `sims/work_costs.rs` (docs/src/model.md, "Work costs time"): replay
//!   lengthens a failover by its cost, and a checkpoint that holds the CPU past the session
//!   timeout costs the standby its session. No sweep judges what work costs: the checkers'
//!   bounds allow for it, and in the default model no piece of work starves a session.
//! - `pinned_schedules_pass`: every scripted fixture (`fixtures/schedules/`) and pinned
//!   regression (`regressions/`) recorded against the correct model breaks no invariant.
//!
//! A mutant is caught only when a checker flags a run of the correct model (or the run panics,
//! hangs or spins). So neither the fixtures' history snapshots nor the shrunk planted-bug
//! schedules take part: a snapshot diff, and a shrunk bug schedule that stops reproducing, follow
//! from any change of behaviour at all (a mutant that only moves a timer makes a shrunk
//! schedule miss its window), which says nothing about the checkers. Measured: 4 of
//! `src/worker.rs`'s 14 viable mutants stopped bug schedules from reproducing and were caught by
//! nothing else (docs/src/mutation.md).
//!
//! The tests are `#[ignore]`d so that `cargo test` does not run them. cargo-mutants runs them
//! with the library's unit tests (`.cargo/mutants.toml`), which pin what a component does at an
//! exact boundary no sweep lands on; by hand:
//! `cargo test --release --lib --test mutants -- --include-ignored`.
//!
//! The first failure ends the whole test process ([`caught`]): a mutant is caught by any one
//! failure, so the sweeps, hunts and stories still running in the other tests would only add to
//! its cost. Most mutants are caught, and most early in a sweep.

#[path = "catalogue.rs"]
mod catalogue;
#[path = "work_costs.rs"]
mod work_costs;

use ftsim::options::ReadLeadership;
use ftsim::schedule::{json_files, ScheduleFile};
use ftsim::Model;
use std::path::Path;
use std::time::Duration;

/// Seeds swept per mutant when `FTSIM_MUTANTS_SEEDS` is unset.
const DEFAULT_SEEDS: u64 = 500;

/// Seeds 1..=500 apply every fault kind and reach every Sometimes fact (`sims/swarm.rs`); a
/// shorter sweep is not held to that.
const COVERAGE_SEEDS: u64 = 500;

/// Seeds swept with journal-barrier reads: as many as the default sweep. The barrier matters only
/// when a deposed primary answers a reader while a new primary writes; from seed 1 a sweep first
/// reaches that at seed 304 (measured with the barrier's lease confirmation switched off, which
/// is the planted bug B17's hazard), so the 200 seeds swept before never did.
const BARRIER_SEEDS: u64 = 500;

/// A seed running this long in real time is a failure (a mutant that loops without advancing
/// simulated time); far above any correct seed's cost (a few milliseconds).
const WALL_LIMIT: Duration = Duration::from_secs(20);

fn seed_count() -> u64 {
    match std::env::var("FTSIM_MUTANTS_SEEDS") {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|e| panic!("FTSIM_MUTANTS_SEEDS={v} is not a count: {e}")),
        Err(_) => DEFAULT_SEEDS,
    }
}

/// Ends the test process at the first failure, with exit status 1 (which cargo-mutants counts as
/// caught), after saying which test failed and why: on stderr itself, since the test harness
/// would hold back `eprintln!` until the test ends, which it never does.
fn caught(test: &str, detail: &str) -> ! {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{test} failed:\n{detail}");
    std::process::exit(1)
}

/// Sweeps seeds `1..=count` of `model`, ends the process at the first seed that breaks an
/// invariant or does not finish, and returns the fault kinds and Sometimes facts the sweep never
/// applied or reached.
fn sweep(test: &str, model: &Model, count: u64) -> Vec<String> {
    let seeds: Vec<u64> = (1..=count).collect();
    let sweep = ftsim::explore::explore(
        &seeds,
        std::thread::available_parallelism().map_or(2, |n| n.get()),
        model,
        Some(WALL_LIMIT),
        &|r| match &r.result {
            Err(unfinished) => caught(test, &format!("seed {}: {unfinished}", r.seed)),
            Ok(report) => {
                if let Some(v) = report.violations.first() {
                    caught(
                        test,
                        &format!("seed {}: {}: {}", r.seed, v.invariant, v.detail),
                    )
                }
            }
        },
    );
    (sweep.faults.iter())
        .chain(&sweep.coverage)
        .filter(|(_, n)| **n == 0)
        .map(|(k, _)| k.clone())
        .collect()
}

#[test]
#[ignore = "mutation testing only: cargo mutants, or --ignored"]
fn swarm_sweep_passes() {
    let test = "swarm_sweep_passes";
    let count = seed_count();
    let never = sweep(test, &Model::fast(), count);
    if count >= COVERAGE_SEEDS && !never.is_empty() {
        caught(
            test,
            &format!("never applied or reached in {count} seeds: {never:?}"),
        );
    }
}

#[test]
#[ignore = "mutation testing only: cargo mutants, or --ignored"]
fn journal_barrier_sweep_passes() {
    let test = "journal_barrier_sweep_passes";
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/options/fast-journal-barrier.json");
    let model = Model::options_file(&path).unwrap_or_else(|e| caught(test, &e));
    if model.options().master_read_leadership != ReadLeadership::JournalBarrier {
        caught(
            test,
            &format!(
                "{} does not fence reads by a journal write barrier",
                path.display()
            ),
        );
    }
    sweep(test, &model, BARRIER_SEEDS);
}

#[test]
#[ignore = "mutation testing only: cargo mutants, or --ignored"]
fn catalogue_bugs_are_caught() {
    catalogue::each_miss(2, &mut |miss| caught("catalogue_bugs_are_caught", &miss));
}

#[test]
#[ignore = "mutation testing only: cargo mutants, or --ignored"]
fn pinned_schedules_pass() {
    let test = "pinned_schedules_pass";
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = json_files(&root.join("fixtures/schedules")).unwrap();
    files.extend(json_files(&root.join("regressions")).unwrap());
    let mut ran = 0;
    for path in files {
        let file = ScheduleFile::load(&path).unwrap_or_else(|e| panic!("{e}"));
        if file.invariant.is_some() {
            continue; // recorded with a planted bug: see the module doc
        }
        ran += 1;
        let plan = file.plan().unwrap();
        let broken: Vec<&str> =
            match ftsim::run::run_with_wall_limit(file.seed, plan, Some(WALL_LIMIT)) {
                Ok(outcome) => outcome.violations.iter().map(|v| v.invariant).collect(),
                Err(e) => caught(test, &format!("{}: did not finish: {e}", path.display())),
            };
        if !broken.is_empty() {
            caught(
                test,
                &format!("{}: should pass, broke {broken:?}", path.display()),
            );
        }
    }
    assert!(
        ran >= 10,
        "only {ran} schedules recorded against the correct model"
    );
}

#[test]
#[ignore]
fn work_costs_time() {
    let stories: [fn() -> Result<String, String>; 2] = [
        work_costs::replay_lengthens_the_failover,
        work_costs::long_checkpoint_costs_the_session,
    ];
    for story in stories {
        if let Err(broken) = story() {
            caught("work_costs_time", &broken);
        }
    }
}
