//! Timeouts that cost one timer each.
//!
//! madsim's `Sleep` adds a timer to the runtime's heap every time it is polled while pending, and
//! timers are never cancelled. Its `timeout` and `Endpoint::call_timeout` poll the sleep each time
//! the wrapped future wakes, so one RPC leaves three or four timers behind (the send, the reply
//! and madsim's own delivery delays each wake it). The timer heap is the simulator's hottest
//! structure, so [`within`] arms its sleep once per waker instead. Behaviour is unchanged: the
//! wrapped future is polled first, and the deadline is fixed when the call starts.

use madsim::net::{rpc::Request, Endpoint};
use madsim::time::sleep;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::task::{Poll, Waker};
use std::time::Duration;

/// The deadline passed before the future finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Elapsed;

/// Runs `future` until it finishes or `limit` of simulated time passes.
pub async fn within<F: Future>(limit: Duration, future: F) -> Result<F::Output, Elapsed> {
    let mut future = pin!(future);
    let mut timer = pin!(sleep(limit));
    let mut armed: Option<Waker> = None;
    std::future::poll_fn(move |cx| {
        if let Poll::Ready(out) = future.as_mut().poll(cx) {
            return Poll::Ready(Ok(out));
        }
        if timer.is_elapsed() {
            return Poll::Ready(Err(Elapsed));
        }
        // A timer already wakes this task at the deadline; another would only pile up.
        if !armed.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            if timer.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Err(Elapsed));
            }
            armed = Some(cx.waker().clone());
        }
        Poll::Pending
    })
    .await
}

/// `Endpoint::call_timeout` with one timer per call; a timeout is an `io::ErrorKind::TimedOut`.
pub async fn call_within<R: Request>(
    ep: &Endpoint,
    dst: SocketAddr,
    request: R,
    limit: Duration,
) -> std::io::Result<R::Response> {
    within(limit, ep.call(dst, request))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "RPC timeout"))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use madsim::time::Instant;

    #[test]
    fn finishes_early_or_elapses_at_the_deadline() {
        crate::sim::simulate(7, None, || async {
            let start = Instant::now();
            let fast = within(Duration::from_millis(50), sleep(Duration::from_millis(10))).await;
            assert_eq!(fast, Ok(()));
            assert_eq!(start.elapsed().as_millis(), 10);

            let start = Instant::now();
            let slow = within(Duration::from_millis(50), sleep(Duration::from_millis(80))).await;
            assert_eq!(slow, Err(Elapsed));
            assert_eq!(start.elapsed().as_millis(), 50);

            // A future that wakes itself often still times out on time.
            let start = Instant::now();
            let busy = within(Duration::from_millis(30), async {
                for _ in 0..100 {
                    sleep(Duration::from_millis(1)).await;
                }
            })
            .await;
            assert_eq!(busy, Err(Elapsed));
            assert_eq!(start.elapsed().as_millis(), 30);
        })
        .unwrap();
    }
}
