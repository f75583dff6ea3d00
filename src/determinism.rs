//! The determinism check: each seed run twice, on two different threads at once, must give the
//! same history hash. A mismatch means something inside the simulation read ambient state (wall
//! clock, unseeded randomness, thread-local hash keys, iteration order of a `HashMap`).

use crate::swarm::Plan;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// A seed whose two runs differ (hashes as hex, or the error of a run that did not finish).
#[derive(Clone, Debug, PartialEq)]
pub struct Mismatch {
    pub seed: u64,
    pub first: String,
    pub second: String,
}

fn fingerprint(seed: u64, plan: Plan) -> String {
    match crate::run::run(seed, plan) {
        Ok(o) => format!("{:016x}", o.history_hash),
        Err(e) => format!("error: {e}"),
    }
}

/// Runs every seed twice concurrently, `jobs` seeds at a time; returns the seeds that differ.
pub fn check(
    seeds: &[u64],
    jobs: usize,
    plan_for: &(dyn Fn(u64) -> Plan + Sync),
    on_done: &(dyn Fn() + Sync),
) -> Vec<Mismatch> {
    let next = AtomicUsize::new(0);
    let mismatches = Mutex::new(vec![]);
    std::thread::scope(|scope| {
        for _ in 0..jobs.div_ceil(2).max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&seed) = seeds.get(i) else { break };
                let plan = plan_for(seed);
                let (first, second) = std::thread::scope(|inner| {
                    let p = plan.clone();
                    let a = inner.spawn(move || fingerprint(seed, p));
                    let b = fingerprint(seed, plan);
                    (a.join().expect("determinism run"), b)
                });
                if first != second {
                    mismatches.lock().unwrap().push(Mismatch {
                        seed,
                        first,
                        second,
                    });
                }
                on_done();
            });
        }
    });
    let mut m = mismatches.into_inner().unwrap();
    m.sort_by_key(|m| m.seed);
    m
}
