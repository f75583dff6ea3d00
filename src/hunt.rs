//! Bug hunting: with one planted bug switched on, explore seeds in order until one fails, and
//! report which seed, after how many, how long it took and which invariant caught it.

use crate::bugs::Bug;
use crate::explore::explore;
use crate::options::Options;
use crate::swarm::Plan;
use serde::Serialize;
use std::time::{Duration, Instant};

/// What hunting one bug found.
#[derive(Clone, Debug, Serialize)]
pub struct Hunt {
    pub bug: String,
    pub id: String,
    pub found: bool,
    /// The first failing seed.
    pub seed: Option<u64>,
    /// Seeds run up to and including the first failing one (the whole budget when not found).
    pub seeds_tried: u64,
    pub wall_s: f64,
    /// The invariant that caught it (the first in checking order, when several did).
    pub invariant: Option<String>,
    pub detail: Option<String>,
    pub replay: Option<String>,
}

/// Hunts `bug` over seeds `start..start + budget`, `jobs` at a time, around the `base` options.
pub fn hunt(bug: Bug, base: &Options, start: u64, budget: u64, jobs: usize) -> Hunt {
    let options = Options {
        bug: Some(bug),
        ..base.clone()
    };
    let replay = |seed: u64| format!("ftsim run --seed {seed} --bug {}", bug.name());
    let wall = Instant::now();
    let batch = (jobs.max(1) * 4) as u64;
    let mut offset = 0;
    while offset < budget {
        let seeds: Vec<u64> = (offset..(offset + batch).min(budget))
            .map(|i| start.wrapping_add(i))
            .collect();
        let sweep = explore(
            &seeds,
            jobs,
            &|s| Plan::swarm(s, &options),
            Some(Duration::from_secs(120)),
            &replay,
            &|_| {},
        );
        if let Some(&seed) = sweep.failed_seeds.first() {
            let order = |name: &str| {
                crate::check::INVARIANTS
                    .iter()
                    .position(|(n, _)| *n == name)
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
                detail: first.map(|v| v.detail.clone()),
                replay: Some(replay(seed)),
            };
        }
        offset += batch;
    }
    Hunt {
        bug: bug.name(),
        id: bug.id(),
        found: false,
        seed: None,
        seeds_tried: budget,
        wall_s: wall.elapsed().as_secs_f64(),
        invariant: None,
        detail: None,
        replay: None,
    }
}
