//! Bug hunting: with one planted bug switched on, explore seeds in order until one fails, and
//! report which seed, after how many, how long it took and which invariant caught it; repeated
//! from several starts, the medians.

use crate::bugs::Bug;
use crate::explore::explore_until;
use crate::failure::FailureKind;
use crate::model::Model;
use crate::reproduction::Reproduction;
use serde::Serialize;
use std::time::{Duration, Instant};

/// What hunting one bug from one start found.
#[derive(Clone, Debug, Serialize)]
pub struct Hunt {
    /// The bug's name.
    pub bug: String,
    /// Its catalogue id.
    pub id: String,
    /// Whether a seed within the budget failed.
    pub found: bool,
    /// The first failing seed.
    pub seed: Option<u64>,
    /// Seeds run up to and including the first failing one (the whole budget when not found).
    pub seeds_tried: u64,
    /// Wall time of the hunt, in seconds.
    pub wall_s: f64,
    /// The invariant that caught it (the first in checking order, when several did).
    pub invariant: Option<String>,
    /// How the first failing seed failed.
    pub kind: Option<FailureKind>,
    /// Its checker's detail.
    pub detail: Option<String>,
    /// The command that replays it.
    pub replay: Option<Reproduction>,
    /// Whether the hunt was stopped (a signal) before it found the bug or spent its budget.
    pub interrupted: bool,
}

/// Hunts `bug` over seeds `start..start + budget`, `jobs` at a time, planted into `model`.
pub fn hunt(bug: Bug, model: &Model, start: u64, budget: u64, jobs: usize) -> Hunt {
    hunt_until(bug, model, start, budget, jobs, None)
}

/// [`hunt`], stopping early when `stop` answers true (the running seeds finish first); a hunt
/// stopped before it found the bug is marked [`Hunt::interrupted`].
pub fn hunt_until(
    bug: Bug,
    model: &Model,
    start: u64,
    budget: u64,
    jobs: usize,
    stop: Option<&(dyn Fn() -> bool + Sync)>,
) -> Hunt {
    let model = model.clone().with_bug(Some(bug));
    let wall = Instant::now();
    let batch = (jobs.max(1) * 4) as u64;
    let mut offset = 0;
    while offset < budget {
        let seeds: Vec<u64> = (offset..(offset + batch).min(budget))
            .map(|i| start.wrapping_add(i))
            .collect();
        let sweep = explore_until(
            &seeds,
            jobs,
            &model,
            Some(Duration::from_secs(120)),
            stop,
            &mut |_, _| {},
        );
        if let Some(&seed) = sweep.failed_seeds.first() {
            let order = |name: &str| {
                crate::check::PROPERTIES
                    .iter()
                    .position(|p| p.name == name)
                    .unwrap_or(usize::MAX)
            };
            let first = sweep
                .violations
                .iter()
                .filter(|v| v.seed == seed)
                .min_by_key(|v| order(&v.invariant));
            return Hunt {
                bug: bug.name(),
                id: bug.id(),
                found: true,
                seed: Some(seed),
                seeds_tried: seed.wrapping_sub(start) + 1,
                wall_s: wall.elapsed().as_secs_f64(),
                invariant: first.map(|v| v.invariant.clone()),
                kind: first.map(|v| v.kind),
                detail: first.map(|v| v.detail.clone()),
                replay: Some(model.reproduction(seed)),
                interrupted: false,
            };
        }
        if sweep.interrupted || stop.is_some_and(|stop| stop()) {
            return not_found(bug, offset + sweep.seeds, wall, true);
        }
        offset += batch;
    }
    not_found(bug, budget, wall, false)
}

fn not_found(bug: Bug, seeds_tried: u64, wall: Instant, interrupted: bool) -> Hunt {
    Hunt {
        bug: bug.name(),
        id: bug.id(),
        found: false,
        seed: None,
        seeds_tried,
        wall_s: wall.elapsed().as_secs_f64(),
        invariant: None,
        kind: None,
        detail: None,
        replay: None,
        interrupted,
    }
}

/// Hunting one bug from several starts: every hunt and their medians.
#[derive(Clone, Debug, Serialize)]
pub struct Medians {
    /// The bug's name.
    pub bug: String,
    /// Its catalogue id.
    pub id: String,
    /// Start seeds hunted from.
    pub starts: u64,
    /// Starts from which the bug was found within the budget.
    pub found_in: usize,
    /// Median seeds to the first failure (a start that found nothing counts its budget).
    pub median_seeds: f64,
    /// Median wall time to the first failure, in seconds.
    pub median_wall_s: f64,
    /// Every invariant that caught it, over all starts.
    pub invariants: Vec<String>,
}

/// The start seeds of `repeat` hunts from `first`: spaced 10,000 apart.
pub fn starts(first: u64, repeat: u64) -> impl Iterator<Item = u64> {
    (0..repeat).map(move |i| first.wrapping_add(i * 10_000))
}

/// Hunts `bug` from each of [`starts`]`(first, repeat)` and takes the medians; once `stop`
/// answers true no further start is hunted, and the last hunt is marked interrupted.
pub fn hunt_repeated(
    bug: Bug,
    model: &Model,
    first: u64,
    repeat: u64,
    budget: u64,
    jobs: usize,
    stop: Option<&(dyn Fn() -> bool + Sync)>,
) -> (Vec<Hunt>, Medians) {
    let mut hunts: Vec<Hunt> = vec![];
    for start in starts(first, repeat) {
        let h = hunt_until(bug, model, start, budget, jobs, stop);
        let interrupted = h.interrupted;
        hunts.push(h);
        if interrupted || stop.is_some_and(|stop| stop()) {
            break;
        }
    }
    let medians = medians(bug, &hunts);
    (hunts, medians)
}

/// The medians of hunts of one bug.
pub fn medians(bug: Bug, hunts: &[Hunt]) -> Medians {
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    let mut invariants: Vec<String> = hunts.iter().filter_map(|h| h.invariant.clone()).collect();
    invariants.sort();
    invariants.dedup();
    Medians {
        bug: bug.name(),
        id: bug.id(),
        starts: hunts.len() as u64,
        found_in: hunts.iter().filter(|h| h.found).count(),
        median_seeds: median(hunts.iter().map(|h| h.seeds_tried as f64).collect()),
        median_wall_s: median(hunts.iter().map(|h| h.wall_s).collect()),
        invariants,
    }
}
