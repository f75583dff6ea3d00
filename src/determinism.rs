//! The determinism check: each seed run twice, on two different threads at once, must give the
//! same history, event for event. A mismatch means something inside the simulation read ambient
//! state (wall clock, unseeded randomness, thread-local hash keys, iteration order of a
//! `HashMap`); it is reported with the first event where the two runs part.

use crate::failure::Unfinished;
use crate::history::Event;
use crate::model::Plans;
use crate::plan::Plan;
use crate::reproduction::Reproduction;
use serde::Serialize;

/// A seed whose two runs differ.
#[derive(Clone, Debug, Serialize)]
pub struct Mismatch {
    /// The seed.
    pub seed: u64,
    /// The first run's history hash (hex), or why it did not finish.
    pub first: String,
    /// The second run's.
    pub second: String,
    /// The first event where the two histories differ (none when a run did not finish).
    pub divergence: Option<Divergence>,
    /// The command that replays the seed.
    pub replay: Reproduction,
}

/// Where two histories of one seed part.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Divergence {
    /// Index of the first differing event.
    pub index: usize,
    /// That event in each run, as one line (none: that history ended before it).
    pub first: Option<String>,
    /// That event in the second run.
    pub second: Option<String>,
}

/// The first event where `a` and `b` differ; none when they are equal.
pub fn divergence(a: &[Event], b: &[Event]) -> Option<Divergence> {
    let index = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i))?;
    Some(Divergence {
        index,
        first: a.get(index).map(Event::compact),
        second: b.get(index).map(Event::compact),
    })
}

fn history(seed: u64, plan: Plan) -> Result<(u64, Vec<Event>), Unfinished> {
    crate::run::run(seed, plan).map(|o| (o.history_hash, o.events))
}

fn fingerprint(r: &Result<(u64, Vec<Event>), Unfinished>) -> String {
    match r {
        Ok((hash, _)) => format!("{hash:016x}"),
        Err(e) => format!("did not finish: {e}"),
    }
}

/// Runs every seed twice concurrently, `jobs` seeds at a time; returns the seeds that differ.
pub fn check(
    seeds: &[u64],
    jobs: usize,
    plans: &dyn Plans,
    on_done: &(dyn Fn() + Sync),
) -> Vec<Mismatch> {
    check_until(seeds, jobs, plans, None, on_done).0
}

/// [`check`], stopping early when `stop` answers true: no further seed starts and the running
/// ones finish. Returns the mismatches and how many seeds were checked: always the first ones.
pub fn check_until(
    seeds: &[u64],
    jobs: usize,
    plans: &dyn Plans,
    stop: Option<&(dyn Fn() -> bool + Sync)>,
    on_done: &(dyn Fn() + Sync),
) -> (Vec<Mismatch>, usize) {
    let mut m = vec![];
    // Each seed runs on two threads at once.
    let done = crate::pool::run(
        seeds.len(),
        jobs.div_ceil(2),
        stop,
        |i| {
            let seed = seeds[i];
            let plan = plans.plan(seed);
            let (a, b) = std::thread::scope(|inner| {
                let p = plan.clone();
                let a = inner.spawn(move || history(seed, p));
                let b = history(seed, plan);
                (a.join().expect("determinism run"), b)
            });
            let (first, second) = (fingerprint(&a), fingerprint(&b));
            let diverged = match (&a, &b) {
                (Ok((_, x)), Ok((_, y))) => divergence(x, y),
                _ => None,
            };
            (first != second || diverged.is_some()).then(|| Mismatch {
                seed,
                first,
                second,
                divergence: diverged,
                replay: plans.reproduction(seed),
            })
        },
        |_, mismatch| {
            m.extend(mismatch);
            on_done();
        },
    );
    m.sort_by_key(|m| m.seed);
    (m, done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::EventKind;

    fn event(at_us: u64, node: &str) -> Event {
        Event {
            at_us,
            node: node.into(),
            kind: EventKind::NodeCrash,
        }
    }

    #[test]
    fn the_first_differing_event_is_named() {
        let a = vec![event(1, "master-0"), event(2, "master-1"), event(3, "ufs")];
        assert_eq!(divergence(&a, &a), None);
        let mut b = a.clone();
        b[1].at_us = 5;
        let d = divergence(&a, &b).expect("they differ");
        assert_eq!(d.index, 1);
        assert_eq!(d.first, Some(a[1].compact()));
        assert_eq!(d.second, Some(b[1].compact()));
        let shorter = divergence(&a, &a[..2]).expect("one ended early");
        assert_eq!((shorter.index, shorter.second), (2, None));
    }
}
