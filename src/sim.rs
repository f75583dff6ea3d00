//! Driving one seed: a fresh OS thread and a fresh madsim runtime per run.
//!
//! madsim keeps per-thread state (std `HashMap` keys, rand's thread-locals), so two runtimes on
//! one thread are not reproducible; each seed gets its own thread. A panic inside the model is
//! caught and returned as an error, so a sweep can report it and go on. How a run failed to
//! finish is typed ([`Unfinished`]): a panic, a simulated-time hang, a wall-time limit.

use crate::failure::Unfinished;
use madsim::{runtime::Runtime, Config};
use std::future::Future;
use std::time::Duration;

/// Runs `f` in a madsim runtime seeded with `seed`, on its own thread. `time_limit` bounds
/// simulated time: past it the run is abandoned as [`Unfinished::Hang`].
pub fn simulate<F, Fut, T>(seed: u64, time_limit: Option<Duration>, f: F) -> Result<T, Unfinished>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = T> + 'static,
    T: Send + 'static,
{
    simulate_within(seed, time_limit, None, f)
}

/// As [`simulate`], and gives up waiting after `wall_limit` of real time. The run's thread cannot
/// be stopped from outside; it is left to finish (or to reach its simulated-time limit) on its own.
pub fn simulate_within<F, Fut, T>(
    seed: u64,
    time_limit: Option<Duration>,
    wall_limit: Option<Duration>,
    f: F,
) -> Result<T, Unfinished>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = T> + 'static,
    T: Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = std::thread::Builder::new()
        .name(format!("seed-{seed}"))
        .stack_size(32 << 20)
        .spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let runtime = Runtime::with_seed_and_config(seed, Config::default());
                runtime.block_on(async move {
                    let dispatcher = crate::deadline::serve();
                    let out =
                        match time_limit {
                            Some(limit) => madsim::time::timeout(limit, f()).await.map_err(|_| {
                                Unfinished::Hang {
                                    limit_ms: limit.as_millis() as u64,
                                }
                            }),
                            None => Ok(f().await),
                        };
                    crate::deadline::shut_down(dispatcher);
                    out
                })
            }));
            let _ = tx.send(
                result
                    .unwrap_or_else(|panic| Err(Unfinished::Panic(panic_message(panic.as_ref())))),
            );
        })
        .map_err(|e| Unfinished::Panic(format!("cannot start a thread: {e}")))?;
    let result = match wall_limit {
        Some(limit) => rx.recv_timeout(limit).map_err(|_| Unfinished::WallLimit {
            limit_s: limit.as_secs_f64(),
        })?,
        None => rx.recv().map_err(|_| {
            Unfinished::Panic("the run's thread ended without a result".to_string())
        })?,
    };
    let _ = thread.join();
    result
}

/// The message of a caught panic.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "panic with a non-string payload".into())
}
