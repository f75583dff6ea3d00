//! The planted-bug catalogue: every bug the model expresses is found, from a fixed start seed
//! within its budget, by the invariant expected to catch it; the default model stays clean
//! (`sims/swarm.rs`).

#[path = "catalogue.rs"]
mod catalogue;

use ftsim::{Bug, Model};

#[test]
fn every_expressible_bug_is_caught_by_its_invariant() {
    let mut misses = vec![];
    catalogue::each_miss(1, &mut |miss| misses.push(miss));
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
                    matches!(&e.kind, ftsim::EventKind::SteppedDown { reason, .. } if *reason == ftsim::StepDownReason::Connection(ftsim::ConnState::Suspended))
                })
            })
            .count()
    };
    assert_eq!(suspended_step_downs(None), 0);
    assert!(suspended_step_downs(Some(Bug::StandardPolicyFlapping)) > 0);
}
