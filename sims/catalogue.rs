//! The planted-bug catalogue as the tests hunt it: each bug, the invariants expected to catch
//! it and the budget within which a hunt from seed 1 must. Shared by `sims/bugs.rs` (the
//! catalogue test) and `sims/mutants.rs` (a mutant that stops a planted bug from being caught
//! breaks the catalogue's promise).

use ftsim::hunt::hunt;
use ftsim::{Bug, Model};

/// (bug, the invariants whose checkers catch its mechanism, budget in seeds from start seed 1)
/// in the `fast` preset; [`SLOW_CATALOGUE`] holds the bugs hunted in `alluxio-defaults`.
pub const CATALOGUE: &[(Bug, &[&str], u64)] = &[
    (Bug::AckWithoutJournal, &["no_lost_entries"], 100),
    (Bug::DeleteDuplicateCompletedLog, &["no_lost_entries"], 100),
    (
        Bug::FlushFailureRenamesOtherLog,
        &["one_leader", "no_lost_entries"],
        100,
    ),
    (Bug::FlushThreadSurvivesDemotion, &["no_lost_entries"], 1000),
    (Bug::LeaderLookupLoopsForever, &["bounded_retry"], 500),
    (
        Bug::PersistentLeaderZnode,
        &["liveness", "worker_registry", "one_leader"],
        500,
    ),
    (Bug::SequentialWorkerIds, &["worker_registry"], 100),
    (
        Bug::StandardPolicyFlapping,
        &["liveness", "standby_catch_up"],
        100,
    ),
    (
        Bug::UninterruptiblePromotion,
        &["liveness", "no_lost_entries"],
        500,
    ),
    (
        Bug::DemotedMasterKeepsConnections,
        &["no_lost_entries"],
        100,
    ),
    (
        Bug::IncompleteLogAfterFlushFailure,
        &["liveness", "standby_catch_up"],
        500,
    ),
    (
        Bug::NonIdempotentRetry,
        &["no_lost_entries", "linearizable"],
        100,
    ),
    (Bug::SilentWorkerAfterTimeout, &["worker_registry"], 100),
    (Bug::ReusedSessionAfterRestart, &["liveness"], 100),
    (
        Bug::LazyRenameFencing,
        &["no_lost_entries", "one_leader", "liveness"],
        100,
    ),
    (Bug::DirtyReadBeforeFlush, &["linearizable"], 500),
    (Bug::ClientMetadataCache, &["linearizable"], 100),
];

/// B17 needs a deposed primary to keep answering readers while a new primary acknowledges a
/// write: with Alluxio's timeouts that window is seconds long, with the `fast` preset's a few
/// hundred milliseconds, so it is hunted in `alluxio-defaults`.
pub const SLOW_CATALOGUE: &[(Bug, &[&str], u64)] =
    &[(Bug::StaleReadAfterLostLeadership, &["linearizable"], 500)];

fn jobs() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Hunts every catalogued bug from seed 1 with `budget_factor` times its budget, and hands
/// `on_miss` one line per bug that no expected invariant caught in time, as soon as it is known
/// (the mutation test stops at the first).
pub fn each_miss(budget_factor: u64, on_miss: &mut dyn FnMut(String)) {
    let hunts =
        CATALOGUE
            .iter()
            .map(|entry| (entry, Model::fast()))
            .chain(SLOW_CATALOGUE.iter().map(|entry| {
                (
                    entry,
                    Model::preset("alluxio-defaults").expect("a known preset"),
                )
            }));
    for (&(bug, invariants, budget), model) in hunts {
        let budget = budget * budget_factor;
        let h = hunt(bug, &model, 1, budget, jobs());
        eprintln!(
            "{} {}: {:?} after {} seeds by {:?}",
            h.id, h.bug, h.seed, h.seeds_tried, h.invariant
        );
        if !h
            .invariant
            .as_deref()
            .is_some_and(|i| invariants.contains(&i))
        {
            on_miss(format!(
                "{} {}: expected one of {invariants:?} within {budget} seeds, got {:?} (seed {:?}: {:?})",
                h.id, h.bug, h.invariant, h.seed, h.detail
            ));
        }
    }
}
