//! The planted-bug catalogue: every bug the model expresses is found, from a fixed start seed
//! within its budget, by the invariant expected to catch it; the default model stays clean
//! (`sims/swarm.rs`).

use ftsim::hunt::hunt;
use ftsim::{Bug, Model};

/// (bug, the invariants whose checkers catch its mechanism, budget in seeds from start seed 1)
/// in the `fast` preset; [`SLOW_CATALOGUE`] holds the bugs hunted in `alluxio-defaults`.
const CATALOGUE: &[(Bug, &[&str], u64)] = &[
    (Bug::AckWithoutJournal, &["no_lost_entries"], 100),
    (Bug::DeleteDuplicateCompletedLog, &["no_lost_entries"], 100),
    (
        Bug::FlushFailureRenamesOtherLog,
        &["one_leader", "no_lost_entries"],
        100,
    ),
    (Bug::FlushThreadSurvivesDemotion, &["no_lost_entries"], 500),
    (Bug::LeaderLookupLoopsForever, &["bounded_retry"], 500),
    (
        Bug::PersistentLeaderZnode,
        &["liveness", "worker_registry"],
        500,
    ),
    (Bug::SequentialWorkerIds, &["worker_registry"], 100),
    (Bug::StandardPolicyFlapping, &["liveness"], 100),
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
    (Bug::IncompleteLogAfterFlushFailure, &["liveness"], 500),
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
const SLOW_CATALOGUE: &[(Bug, &[&str], u64)] =
    &[(Bug::StaleReadAfterLostLeadership, &["linearizable"], 500)];

fn jobs() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

#[test]
fn every_expressible_bug_is_caught_by_its_invariant() {
    let mut misses = vec![];
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
            misses.push(format!(
                "{} {}: expected one of {invariants:?} within {budget} seeds, got {:?} (seed {:?}: {:?})",
                h.id, h.bug, h.invariant, h.seed, h.detail
            ));
        }
    }
    assert!(misses.is_empty(), "{}", misses.join("\n"));
}

/// B12's first ingredient on its own: the STANDARD connection policy makes a primary step down
/// on a mere SUSPENDED, which the SESSION policy never does.
#[test]
fn standard_policy_steps_down_on_suspended() {
    let suspended_step_downs = |bug: Option<Bug>| {
        (1..=40u64)
            .filter(|&seed| {
                let model = Model::fast().with_bug(bug);
                let outcome = ftsim::run::run(seed, model.plan(seed)).unwrap();
                outcome.events.iter().any(|e| {
                    matches!(&e.kind, ftsim::EventKind::SteppedDown { reason, .. } if reason.contains("Suspended"))
                })
            })
            .count()
    };
    assert_eq!(suspended_step_downs(None), 0);
    assert!(suspended_step_downs(Some(Bug::StandardPolicyFlapping)) > 0);
}
