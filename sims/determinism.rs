//! The same seed gives the same run, event for event: each run on its own thread.

use ftsim::Model;

#[test]
fn the_same_seed_gives_the_same_history_hash() {
    for seed in [1, 2, 3, 0xdead_beef] {
        let plan = Model::fast().plan(seed);
        let a = ftsim::run::run(seed, plan.clone()).unwrap();
        let b = ftsim::run::run(seed, plan).unwrap();
        assert_eq!(
            a.history_hash, b.history_hash,
            "seed {seed} ran differently twice"
        );
        assert_eq!(a.events, b.events);
    }
}

#[test]
fn different_seeds_give_different_runs() {
    let a = ftsim::run::run(1, Model::fast().plan(1)).unwrap();
    let b = ftsim::run::run(2, Model::fast().plan(2)).unwrap();
    assert_ne!(a.history_hash, b.history_hash);
}

/// `check-determinism` over a sample: two concurrent runs of each seed agree.
#[test]
fn concurrent_runs_agree_on_a_sample() {
    let seeds: Vec<u64> = (100..140).collect();
    let mismatches = ftsim::determinism::check(&seeds, 2, &Model::fast(), &|| {});
    assert!(mismatches.is_empty(), "{mismatches:?}");
}
