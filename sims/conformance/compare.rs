//! Scenarios, the differences the suite knows of, and the comparison of the two sides.

use ftsim::conformance::{Observation, Step, What};

/// One scripted scenario.
pub struct Scenario {
    pub name: &'static str,
    pub script: Vec<Step>,
    /// Observations compared must agree in time within this many milliseconds.
    pub tolerance_ms: u64,
    /// Why that tolerance.
    pub tolerance: &'static str,
    pub known: Vec<Known>,
}

/// A difference the suite knows of, in what one client observes.
pub struct Known {
    pub client: &'static str,
    pub what: What,
    pub difference: Difference,
    /// Why it does not matter for Alluxio's failover (docs/src/conformance.md says more).
    pub reason: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Difference {
    /// Only this side observes it; it must still be seen there, so a fix that removes it fails
    /// the comparison until the declaration goes.
    Only(Side),
    /// Both sides observe it; its time is not compared.
    Late,
    /// Both sides observe it, at the same time within this many milliseconds (instead of the
    /// scenario's tolerance).
    Within(u64),
    /// Both sides observe it, at the same time within the tolerance, or on the real side this
    /// many milliseconds later.
    OrLater(u64),
    /// Both sides observe it and this other observation, one right after the other, in either
    /// order: nothing orders the two (they come through different connections).
    Unordered(What),
    /// The real side may observe this other observation in its place: a race that ZooKeeper's
    /// client settles either way from run to run (a call pending at a reconnect). It is then
    /// compared as if it were the declared one.
    OrOnReal(What),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Model,
    Real,
}

pub fn state(state: &str, session: &str) -> What {
    What::State {
        state: state.into(),
        session: session.into(),
    }
}

/// A RECONNECTED or a LOST is compared within this: each comes at a reconnect attempt, or (LOST
/// by Curator's own rule) once ZooKeeper's client thread has slept out its reconnect delay,
/// which is random below 1 s and drawn independently on each side; and an attempt (up to a
/// third of the session timeout) and its cleanup (100 ms) may come first.
pub const RANDOM_TOLERANCE_MS: u64 = 1500;

pub fn only(side: Side, client: &'static str, what: What, reason: &'static str) -> Known {
    Known {
        client,
        what,
        difference: Difference::Only(side),
        reason,
    }
}

pub fn late(client: &'static str, what: What, reason: &'static str) -> Known {
    Known {
        client,
        what,
        difference: Difference::Late,
        reason,
    }
}

pub fn within(client: &'static str, what: What, ms: u64, reason: &'static str) -> Known {
    Known {
        client,
        what,
        difference: Difference::Within(ms),
        reason,
    }
}

pub fn or_later(client: &'static str, what: What, ms: u64, reason: &'static str) -> Known {
    Known {
        client,
        what,
        difference: Difference::OrLater(ms),
        reason,
    }
}

pub fn or_on_real(client: &'static str, what: What, alt: What, reason: &'static str) -> Known {
    Known {
        client,
        what,
        difference: Difference::OrOnReal(alt),
        reason,
    }
}

pub fn unordered(client: &'static str, what: What, with: What, reason: &'static str) -> Known {
    Known {
        client,
        what,
        difference: Difference::Unordered(with),
        reason,
    }
}

pub fn describe(o: &Observation) -> String {
    format!("{:>6} ms {:<2} {:?}", o.at_ms, o.client, o.what)
}

/// Puts each declared unordered pair of one client's observations in the declared order, where
/// the two come one right after the other.
fn put_in_order(scenario: &Scenario, client: &str, observations: &mut [&Observation]) {
    for k in scenario.known.iter().filter(|k| k.client == client) {
        let Difference::Unordered(with) = &k.difference else {
            continue;
        };
        for i in 1..observations.len() {
            if observations[i - 1].what == *with && observations[i].what == k.what {
                observations.swap(i - 1, i);
            }
        }
    }
}

/// Compares one model run with the real run; the differences, empty if they agree.
pub fn compare(scenario: &Scenario, model: &[Observation], real: &[Observation]) -> Vec<String> {
    let mut model = model.to_vec();
    let mut real = real.to_vec();
    let mut problems = vec![];
    for k in &scenario.known {
        let Difference::Only(side) = k.difference else {
            continue;
        };
        let observations = if side == Side::Model {
            &mut model
        } else {
            &mut real
        };
        match observations
            .iter()
            .position(|o| o.client == k.client && o.what == k.what)
        {
            Some(i) => {
                observations.remove(i);
            }
            None => problems.push(format!(
                "the known difference ({side:?} side only, {} {:?}: {}) is no longer seen: \
                 update the scenario and docs/src/conformance.md",
                k.client, k.what, k.reason
            )),
        }
    }
    for k in &scenario.known {
        let Difference::OrOnReal(alt) = &k.difference else {
            continue;
        };
        let has = |w: &What| real.iter().any(|o| o.client == k.client && o.what == *w);
        if !has(&k.what) {
            if let Some(o) = real
                .iter_mut()
                .find(|o| o.client == k.client && o.what == *alt)
            {
                o.what = k.what.clone();
            }
        }
    }
    let clients: std::collections::BTreeSet<&str> = model
        .iter()
        .chain(real.iter())
        .map(|o| o.client.as_str())
        .collect();
    for c in clients {
        let mut m: Vec<&Observation> = model.iter().filter(|o| o.client == c).collect();
        let mut r: Vec<&Observation> = real.iter().filter(|o| o.client == c).collect();
        put_in_order(scenario, c, &mut m);
        put_in_order(scenario, c, &mut r);
        let same = m.len() == r.len() && m.iter().zip(&r).all(|(a, b)| a.what == b.what);
        if !same {
            let list = |os: &[&Observation]| {
                os.iter()
                    .map(|o| format!("    {}", describe(o)))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            problems.push(format!(
                "client {c} observed differently\n  model:\n{}\n  real:\n{}",
                list(&m),
                list(&r)
            ));
            continue;
        }
        for (a, b) in m.iter().zip(&r) {
            let exempt = scenario
                .known
                .iter()
                .any(|k| k.difference == Difference::Late && k.client == c && k.what == a.what);
            // A reconnect or a LOST waits ZooKeeper's random delay on both sides.
            let declared = scenario.known.iter().find_map(|k| match k.difference {
                Difference::Within(ms) if k.client == c && k.what == a.what => Some(ms),
                _ => None,
            });
            let tolerance = match &a.what {
                _ if declared.is_some() => declared.unwrap(),
                What::State { state, .. } if state == "RECONNECTED" || state == "LOST" => {
                    scenario.tolerance_ms.max(RANDOM_TOLERANCE_MS)
                }
                _ => scenario.tolerance_ms,
            };
            let later = scenario.known.iter().any(|k| {
                let Difference::OrLater(ms) = k.difference else {
                    return false;
                };
                k.client == c && k.what == a.what && (a.at_ms + ms).abs_diff(b.at_ms) <= tolerance
            });
            if !exempt && !later && a.at_ms.abs_diff(b.at_ms) > tolerance {
                problems.push(format!(
                    "client {c}: {:?} at {} ms on the model, {} ms on ZooKeeper (tolerance {} \
                     ms: {})",
                    a.what, a.at_ms, b.at_ms, tolerance, scenario.tolerance
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use ftsim::conformance::Reply;

    fn at(at_ms: u64, what: What) -> Observation {
        Observation {
            at_ms,
            client: "a".into(),
            what,
        }
    }

    fn scenario(known: Vec<Known>) -> Scenario {
        Scenario {
            name: "test",
            script: vec![],
            tolerance_ms: 100,
            tolerance: "test",
            known,
        }
    }

    fn done(step: usize) -> What {
        What::Reply {
            step,
            reply: Reply::Done,
        }
    }

    #[test]
    fn the_same_observations_in_time_agree() {
        let m = [at(0, state("CONNECTED", "a#1")), at(300, done(1))];
        let r = [at(0, state("CONNECTED", "a#1")), at(390, done(1))];
        assert!(compare(&scenario(vec![]), &m, &r).is_empty());
    }

    #[test]
    fn an_observation_out_of_tolerance_or_order_or_missing_differs() {
        let s = scenario(vec![]);
        let m = [at(0, done(1)), at(10, done(2))];
        assert_eq!(
            compare(&s, &m, &[at(0, done(1)), at(111, done(2))]).len(),
            1
        );
        assert_eq!(compare(&s, &m, &[at(0, done(2)), at(10, done(1))]).len(), 1);
        assert_eq!(compare(&s, &m, &[at(0, done(1))]).len(), 1);
    }

    #[test]
    fn a_known_difference_must_still_be_seen() {
        let suspended = state("SUSPENDED", "a#1");
        let s = scenario(vec![only(Side::Real, "a", suspended.clone(), "test")]);
        let m = [at(0, done(1))];
        assert!(compare(&s, &m, &[at(0, done(1)), at(5, suspended)]).is_empty());
        assert_eq!(compare(&s, &m, &m).len(), 1, "no longer seen");
    }

    #[test]
    fn a_late_observation_is_not_timed_but_must_be_there() {
        let s = scenario(vec![late("a", done(2), "test")]);
        let m = [at(0, done(1)), at(10, done(2))];
        assert!(compare(&s, &m, &[at(0, done(1)), at(900, done(2))]).is_empty());
        assert_eq!(compare(&s, &m, &[at(0, done(1))]).len(), 1);
    }

    #[test]
    fn an_observation_may_be_later_by_what_is_declared_only() {
        let s = scenario(vec![or_later("a", done(2), 1000, "test")]);
        let m = [at(0, done(1)), at(10, done(2))];
        assert!(compare(&s, &m, &[at(0, done(1)), at(1050, done(2))]).is_empty());
        assert!(compare(&s, &m, &[at(0, done(1)), at(60, done(2))]).is_empty());
        assert_eq!(
            compare(&s, &m, &[at(0, done(1)), at(500, done(2))]).len(),
            1
        );
    }

    #[test]
    fn the_real_side_may_settle_a_declared_race_the_other_way() {
        let lost = What::Reply {
            step: 2,
            reply: Reply::Error("ConnectionLoss".into()),
        };
        let expired = What::Reply {
            step: 2,
            reply: Reply::Error("SessionExpired".into()),
        };
        let s = scenario(vec![or_on_real("a", lost.clone(), expired.clone(), "test")]);
        let m = [at(0, done(1)), at(10, lost.clone())];
        assert!(compare(&s, &m, &[at(0, done(1)), at(20, expired.clone())]).is_empty());
        assert!(compare(&s, &m, &[at(0, done(1)), at(20, lost.clone())]).is_empty());
        // Only the real side may differ so, and only by what is declared.
        assert_eq!(compare(&s, &[at(0, done(1)), at(10, expired)], &m).len(), 1);
        let other = What::Reply {
            step: 2,
            reply: Reply::Error("NoNode".into()),
        };
        assert_eq!(compare(&s, &m, &[at(0, done(1)), at(20, other)]).len(), 1);
    }

    #[test]
    fn an_unordered_pair_agrees_either_way_but_only_adjacent() {
        let suspended = state("SUSPENDED", "a#1");
        let s = scenario(vec![unordered("a", done(1), suspended.clone(), "test")]);
        let m = [at(0, done(1)), at(10, suspended.clone())];
        let r = [at(5, suspended.clone()), at(6, done(1))];
        assert!(compare(&s, &m, &r).is_empty());
        let apart = [at(5, suspended), at(6, done(2)), at(7, done(1))];
        assert!(!compare(&s, &[m[0].clone(), at(6, done(2)), m[1].clone()], &apart).is_empty());
    }
}
