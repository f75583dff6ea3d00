//! The same seed gives the same run, event for event: each run on its own thread.

use ftsim::Options;

#[test]
fn the_same_seed_gives_the_same_history_hash() {
    for seed in [1, 2, 3, 0xdead_beef] {
        let a = ftsim::run::run(seed, Options::fast()).unwrap();
        let b = ftsim::run::run(seed, Options::fast()).unwrap();
        assert_eq!(
            a.history_hash, b.history_hash,
            "seed {seed} ran differently twice"
        );
        assert_eq!(a.events, b.events);
    }
}

#[test]
fn different_seeds_give_different_runs() {
    let a = ftsim::run::run(1, Options::fast()).unwrap();
    let b = ftsim::run::run(2, Options::fast()).unwrap();
    assert_ne!(a.history_hash, b.history_hash);
}
