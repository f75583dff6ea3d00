//! The one pool every tool runs seeds on: `jobs` threads take items in order, each seed in its
//! own simulation thread (see [`crate::sim`]), and hand each result back as it is ready.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Runs `work(i)` for each `i` in `0..count`, `jobs` at a time, and calls `done(i, result)` as
/// each finishes, one call at a time, in the order they finish. Items start in order; once
/// `stop` answers true no further item starts (those running finish and are handed to `done`),
/// so the items done are always `0..n` for the `n` returned.
pub fn run<R: Send>(
    count: usize,
    jobs: usize,
    stop: Option<&(dyn Fn() -> bool + Sync)>,
    work: impl Fn(usize) -> R + Sync,
    done: impl FnMut(usize, R) + Send,
) -> usize {
    let next = AtomicUsize::new(0);
    let started = AtomicUsize::new(0);
    let done = Mutex::new(done);
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| loop {
                if stop.is_some_and(|stop| stop()) {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                started.fetch_add(1, Ordering::Relaxed);
                let result = work(i);
                (done.lock().unwrap())(i, result);
            });
        }
    });
    started.into_inner()
}

/// [`run`], collecting the results in item order.
pub fn map<R: Send>(count: usize, jobs: usize, work: impl Fn(usize) -> R + Sync) -> Vec<R> {
    let mut out: Vec<Option<R>> = (0..count).map(|_| None).collect();
    run(count, jobs, None, work, |i, r| out[i] = Some(r));
    out.into_iter()
        .map(|r| r.expect("every item ran"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_runs_once_and_a_stop_starts_no_more() {
        assert_eq!(
            map(50, 3, |i| i * 2),
            (0..50).map(|i| i * 2).collect::<Vec<_>>()
        );
        let stop = std::sync::atomic::AtomicBool::new(false);
        let stopped = || stop.load(Ordering::SeqCst);
        let mut seen = vec![];
        let started = run(
            100,
            2,
            Some(&stopped),
            |i| i,
            |i, _| {
                seen.push(i);
                if seen.len() == 10 {
                    stop.store(true, Ordering::SeqCst);
                }
            },
        );
        assert!((10..100).contains(&started), "{started}");
        assert_eq!(seen.len(), started);
        seen.sort();
        assert_eq!(
            seen,
            (0..started).collect::<Vec<_>>(),
            "the items done are a prefix"
        );
    }
}
