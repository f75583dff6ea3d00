//! Swarm sweeps of the default model inside `cargo test`.
//!
//! `random_seeds_pass` runs `MADSIM_TEST_NUM` seeds (default 300) from `MADSIM_TEST_SEED`
//! (default: drawn from the clock and printed), as madsim users expect, and prints the
//! `ftsim run` command of every failing seed. `five_hundred_seeds_cover_every_fault_and_fact` is
//! the fixed sweep behind the book's coverage claim.

use ftsim::explore::Sweep;
use ftsim::model::Plans;
use ftsim::{Model, Plan, Reproduction};

fn env_u64(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    Some(
        ftsim::seed::parse_seed(&value)
            .unwrap_or_else(|e| panic!("{name}={value} is not a seed: {e}")),
    )
}

fn sweep(start: u64, count: u64) -> Sweep {
    let seeds: Vec<u64> = (0..count).map(|i| start.wrapping_add(i)).collect();
    ftsim::explore::explore(
        &seeds,
        std::thread::available_parallelism().map_or(2, |n| n.get()),
        &Model::fast(),
        Some(std::time::Duration::from_secs(120)),
        &|_| {},
    )
}

fn assert_clean(sweep: &Sweep) {
    if !sweep.violations.is_empty() {
        let lines: Vec<String> = sweep
            .violations
            .iter()
            .map(|f| {
                format!(
                    "seed {}: {}: {}\n  replay: {}",
                    f.seed, f.invariant, f.detail, f.replay
                )
            })
            .collect();
        panic!(
            "{} seed(s) failed:\n{}",
            sweep.failed_seeds.len(),
            lines.join("\n")
        );
    }
}

#[test]
fn random_seeds_pass() {
    let start = env_u64("MADSIM_TEST_SEED").unwrap_or_else(ftsim::seed::from_clock);
    let count = env_u64("MADSIM_TEST_NUM").unwrap_or(300);
    eprintln!("swarm: {count} seeds from MADSIM_TEST_SEED={start} (MADSIM_TEST_NUM={count})");
    let sweep = sweep(start, count);
    assert_clean(&sweep);
}

#[test]
fn five_hundred_seeds_cover_every_fault_and_fact() {
    let sweep = sweep(1, 500);
    assert_clean(&sweep);
    for (kind, n) in &sweep.faults {
        assert!(*n > 0, "fault kind {kind} never applied in 500 seeds");
    }
    for (fact, n) in &sweep.coverage {
        assert!(*n > 0, "Sometimes fact {fact} never reached in 500 seeds");
    }
}

/// A seed whose model panics, or that runs past the wall-time limit, is a failed seed with its
/// replay command, and the sweep goes on to the other seeds.
#[test]
fn panicking_or_slow_seeds_are_failures_and_the_sweep_goes_on() {
    use ftsim::fault::{ScheduledFault, Target};
    /// The default model, but seed 2's schedule aims a fault at a node the cluster does not
    /// have: the nemesis panics inside the model.
    struct Broken(Model);
    impl Plans for Broken {
        fn plan(&self, seed: u64) -> Plan {
            let mut p = self.0.plan(seed);
            if seed == 2 {
                p.faults = vec![ScheduledFault {
                    at_ms: 100,
                    for_ms: 100,
                    fault: ftsim::fault::Isolate {
                        node: Target::Node(ftsim::Role::Worker(9)),
                    }
                    .into(),
                }];
            }
            p
        }
        fn reproduction(&self, seed: u64) -> Reproduction {
            self.0.reproduction(seed)
        }
    }
    let sweep = ftsim::explore::explore(&[1, 2, 3], 2, &Broken(Model::fast()), None, &|_| {});
    assert_eq!(sweep.seeds, 3);
    assert_eq!(sweep.failed_seeds, vec![2]);
    assert_eq!(sweep.violations[0].invariant, "panic");
    assert_eq!(sweep.violations[0].kind, ftsim::FailureKind::Panic);
    assert_eq!(sweep.violations[0].replay.to_string(), "ftsim run --seed 2");
    assert_eq!(sweep.exit_code(), ftsim::FailureKind::Panic.exit_code());
    assert!(
        sweep.violations[0].detail.contains("worker-9"),
        "{:?}",
        sweep.violations[0]
    );

    let slow = ftsim::explore::explore(
        &[4],
        1,
        &Model::fast(),
        Some(std::time::Duration::from_micros(1)),
        &|_| {},
    );
    assert_eq!(slow.failed_seeds, vec![4]);
    assert_eq!(slow.violations[0].kind, ftsim::FailureKind::WallLimit);
    assert!(
        slow.violations[0].detail.contains("wall-time limit"),
        "{:?}",
        slow.violations[0]
    );
}
