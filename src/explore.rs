//! Many seeds: each on its own thread, `jobs` at a time. A seed whose model panics is reported as
//! a failed seed and the sweep goes on.

use crate::options::Options;
use crate::run::{self, Summary};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// How one seed ended.
#[derive(Clone, Debug)]
pub struct SeedResult {
    pub seed: u64,
    /// The run's summary and history hash, or the panic message from inside the model.
    pub result: Result<(Summary, u64), String>,
}

/// Runs seeds `start..start + count`, `jobs` at a time, calling `on_done` as each finishes.
/// Results come back sorted by seed.
pub fn explore(
    start: u64,
    count: u64,
    jobs: usize,
    options: &Options,
    on_done: &(dyn Fn(&SeedResult) + Sync),
) -> Vec<SeedResult> {
    let next = AtomicU64::new(0);
    let results = Arc::new(Mutex::new(Vec::with_capacity(count as usize)));
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let seed = start.wrapping_add(i);
                let result = run::run(seed, options.clone()).map(|o| (o.summary, o.history_hash));
                let r = SeedResult { seed, result };
                on_done(&r);
                results.lock().unwrap().push(r);
            });
        }
    });
    let mut results = std::mem::take(&mut *results.lock().unwrap());
    results.sort_by_key(|r| r.seed);
    results
}
