//! Lazy-rename fencing against real runs.

use ftsim::{Bug, Model};

/// Lazy-rename fencing (B15) is a real hazard: a sweep of real runs finds seeds that break
/// `one_leader` and seeds that break `no_lost_entries`.
#[test]
fn lazy_rename_fencing_breaks_one_leader_and_no_lost_entries() {
    let model = Model::fast().with_bug(Some(Bug::LazyRenameFencing));
    let seeds: Vec<u64> = (1..=200).collect();
    let sweep = ftsim::explore::explore(&seeds, 2, &model, None, &|_| {});
    let broken = |name: &str| {
        sweep
            .violations
            .iter()
            .filter(|v| v.invariant == name)
            .map(|v| v.seed)
            .collect::<Vec<_>>()
    };
    let (ol, nl) = (broken("one_leader"), broken("no_lost_entries"));
    assert!(!ol.is_empty(), "no seed in 1..=200 broke one_leader");
    assert!(!nl.is_empty(), "no seed in 1..=200 broke no_lost_entries");
}
