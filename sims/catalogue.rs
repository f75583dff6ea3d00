//! The planted-bug catalogue as the tests hunt it: every bug of `Bug::ALL`, hunted from seed 1
//! in its declared preset within its declared budget, must be caught by one of the invariants
//! its declaration names. Shared by `sims/bugs.rs` (the catalogue test) and `sims/mutants.rs` (a
//! mutant that stops a planted bug from being caught breaks the catalogue's promise).

use ftsim::hunt::hunt;
use ftsim::{Bug, Model};

fn jobs() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Hunts every bug of the catalogue from seed 1 with `budget_factor` times its budget, and hands
/// `on_miss` one line per bug that no expected invariant caught in time, as soon as it is known
/// (the mutation test stops at the first).
pub fn each_miss(budget_factor: u64, on_miss: &mut dyn FnMut(String)) {
    for &bug in Bug::ALL {
        let info = bug.info();
        let model = Model::preset(info.preset).expect("a declared preset exists");
        let budget = info.budget * budget_factor;
        let h = hunt(bug, &model, 1, budget, jobs());
        eprintln!(
            "{} {}: {:?} after {} seeds by {:?}",
            h.id, h.bug, h.seed, h.seeds_tried, h.invariant
        );
        if !h
            .invariant
            .as_deref()
            .is_some_and(|i| info.caught_by.contains(&i))
        {
            on_miss(format!(
                "{} {}: expected one of {:?} within {budget} seeds, got {:?} (seed {:?}: {:?})",
                h.id, h.bug, info.caught_by, h.invariant, h.seed, h.detail
            ));
        }
    }
}
