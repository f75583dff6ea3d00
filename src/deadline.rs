//! Timeouts that share timers.
//!
//! madsim's timers are a binary heap with no cancellation, and its `Sleep` adds a timer each time
//! it is polled while pending. `Endpoint::call_timeout` therefore leaves three or four timers per
//! RPC in the heap, nearly all of them for calls that answered long ago; the heap is the
//! simulator's hottest structure. Here a call's deadline goes into a per-runtime registry instead,
//! and one dispatcher task, started with the runtime, keeps a single timer armed for the earliest
//! deadline and wakes the calls whose deadlines passed. A client that calls every few milliseconds
//! with a one-second timeout then costs one timer per second, not one per call.
//!
//! Behaviour is that of madsim's `timeout`: the deadline is fixed when the call starts (at least
//! 1 ms ahead), the wrapped future is polled first, and a call times out at its deadline to the
//! nanosecond. The dispatcher runs on the simulation's main node, which faults never touch, so a
//! paused or crashed node cannot delay anyone else's timeout.

use madsim::net::{rpc::Request, Endpoint};
use madsim::time::{sleep_until, Instant};
use std::cell::RefCell;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// The deadline passed before the future finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Elapsed;

/// Pending deadlines of this thread's runtime (each simulation runs on a thread of its own).
/// A slab: registering and withdrawing a call are O(1); only the dispatcher, which runs about
/// once per timeout period, scans the (few) calls in flight.
#[derive(Default)]
struct Registry {
    /// A dispatcher serves this runtime; without one, calls arm their own timers.
    serving: bool,
    slots: Vec<Slot>,
    free: Vec<usize>,
    /// When the dispatcher's timer fires, if one is pending.
    armed: Option<Instant>,
    dispatcher: Option<Waker>,
    /// Which dispatcher's registry this is (0: none): a call whose task outlives the simulation
    /// (a detached task dropped with the runtime) must not touch a registry reset since.
    generation: u64,
}

/// One call in flight. `waker` is `None` for a free slot.
struct Slot {
    deadline: Instant,
    waker: Option<Waker>,
    /// Set by the dispatcher once the deadline has passed.
    expired: bool,
}

thread_local! {
    static REGISTRY: RefCell<Registry> = RefCell::new(Registry::default());
}

/// Starts this runtime's dispatcher on the current node; called once, first thing in a simulation.
pub fn serve() -> madsim::task::JoinHandle<()> {
    thread_local! {
        static GENERATIONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }
    let generation = GENERATIONS.with(|g| {
        g.set(g.get() + 1);
        g.get()
    });
    REGISTRY.with(|r| {
        *r.borrow_mut() = Registry {
            serving: true,
            generation,
            ..Registry::default()
        }
    });
    madsim::task::spawn(dispatch())
}

/// Stops the dispatcher and forgets every registered waker; called last thing in a simulation,
/// while the runtime still runs. A waker outliving its runtime keeps its task's memory alive.
pub fn shut_down(dispatcher: madsim::task::JoinHandle<()>) {
    dispatcher.abort();
    REGISTRY.with(|r| *r.borrow_mut() = Registry::default());
}

/// Wakes every call whose deadline passed and keeps one timer armed for the earliest of the rest.
async fn dispatch() {
    let mut due = Vec::new();
    std::future::poll_fn(move |cx: &mut Context<'_>| {
        let now = Instant::now();
        let rearm = REGISTRY.with(|r| {
            let mut r = r.borrow_mut();
            r.dispatcher = Some(cx.waker().clone());
            if r.armed.is_some_and(|a| a <= now) {
                r.armed = None;
            }
            let mut earliest: Option<Instant> = None;
            for slot in r.slots.iter_mut().filter(|s| !s.expired) {
                let Some(waker) = &slot.waker else { continue };
                if slot.deadline <= now {
                    slot.expired = true;
                    due.push(waker.clone());
                } else if earliest.is_none_or(|e| slot.deadline < e) {
                    earliest = Some(slot.deadline);
                }
            }
            let rearm = earliest.filter(|&e| r.armed.is_none_or(|a| e < a));
            if rearm.is_some() {
                r.armed = rearm;
            }
            rearm
        });
        for waker in due.drain(..) {
            waker.wake();
        }
        if let Some(at) = rearm {
            // Polling the sleep once puts its timer in the heap; the timer outlives the future.
            let _ = pin!(sleep_until(at)).poll(cx);
        }
        Poll::<()>::Pending
    })
    .await
}

/// A registered deadline; dropping it (the call finished or its task died) withdraws it.
struct Entry {
    slot: Option<usize>,
    /// The registry's generation when the slot was taken.
    generation: u64,
}

impl Entry {
    /// Registers the call, or refreshes its waker; true once the deadline has passed.
    fn expired(&mut self, deadline: Instant, waker: &Waker) -> bool {
        let dispatcher = REGISTRY.with(|r| {
            let mut r = r.borrow_mut();
            if let Some(i) = self.slot {
                let slot = &mut r.slots[i];
                if slot.expired {
                    return Err(());
                }
                if !slot.waker.as_ref().is_some_and(|w| w.will_wake(waker)) {
                    slot.waker = Some(waker.clone());
                }
                return Ok(None);
            }
            let slot = Slot {
                deadline,
                waker: Some(waker.clone()),
                expired: false,
            };
            let i = match r.free.pop() {
                Some(i) => {
                    r.slots[i] = slot;
                    i
                }
                None => {
                    r.slots.push(slot);
                    r.slots.len() - 1
                }
            };
            self.slot = Some(i);
            self.generation = r.generation;
            // A deadline before the armed timer needs the dispatcher to arm an earlier one.
            let uncovered = r.armed.is_none_or(|a| deadline < a);
            Ok(if uncovered {
                r.dispatcher.clone()
            } else {
                None
            })
        });
        match dispatcher {
            Err(()) => true,
            Ok(d) => {
                if let Some(d) = d {
                    d.wake();
                }
                false
            }
        }
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        if let Some(i) = self.slot {
            // The registry is gone when the thread is being torn down; nothing is left to wake.
            // So is the slot, if the registry was reset since.
            let _ = REGISTRY.try_with(|r| {
                let mut r = r.borrow_mut();
                if r.generation == self.generation {
                    r.slots[i].waker = None;
                    r.free.push(i);
                }
            });
        }
    }
}

/// Runs `future` until it finishes or `limit` of simulated time passes.
pub fn within<F: Future>(limit: Duration, future: F) -> Within<F> {
    let deadline = Instant::now() + limit.max(Duration::from_millis(1));
    let alone = !REGISTRY.with(|r| r.borrow().serving);
    Within {
        future,
        deadline,
        entry: Entry {
            slot: None,
            generation: 0,
        },
        alone: alone.then(|| Alone {
            timer: Box::pin(sleep_until(deadline)),
            armed: None,
        }),
    }
}

pin_project_lite::pin_project! {
    /// The future of [`within`]. A plain struct rather than an `async fn`, whose state would hold
    /// the wrapped future twice: calls are on the hot path, and every byte is copied.
    pub struct Within<F> {
        #[pin]
        future: F,
        deadline: Instant,
        entry: Entry,
        alone: Option<Alone>,
    }
}

/// Without a dispatcher (a runtime not started by [`crate::sim`]): one timer, armed once per waker.
struct Alone {
    timer: std::pin::Pin<Box<madsim::time::Sleep>>,
    armed: Option<Waker>,
}

impl<F: Future> Future for Within<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(out) = this.future.poll(cx) {
            return Poll::Ready(Ok(out));
        }
        match this.alone {
            None => {
                if this.entry.expired(*this.deadline, cx.waker()) {
                    return Poll::Ready(Err(Elapsed));
                }
            }
            Some(alone) => {
                if alone.timer.is_elapsed() {
                    return Poll::Ready(Err(Elapsed));
                }
                if !alone
                    .armed
                    .as_ref()
                    .is_some_and(|w| w.will_wake(cx.waker()))
                {
                    if alone.timer.as_mut().poll(cx).is_ready() {
                        return Poll::Ready(Err(Elapsed));
                    }
                    alone.armed = Some(cx.waker().clone());
                }
            }
        }
        Poll::Pending
    }
}

/// `Endpoint::call_timeout` through [`within`]; a timeout is an `io::ErrorKind::TimedOut`.
/// A plain function, not an `async fn`, so that the call's state is not wrapped (and copied) again.
pub fn call_within<'a, R: Request>(
    ep: &'a Endpoint,
    dst: SocketAddr,
    request: R,
    limit: Duration,
) -> impl Future<Output = std::io::Result<R::Response>> + 'a {
    use futures::FutureExt;
    within(limit, ep.call(dst, request)).map(|result| {
        result.map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "RPC timeout"))?
    })
}

/// Sleeps, for tests of this module.
#[cfg(test)]
async fn nap(ms: u64) {
    madsim::time::sleep(Duration::from_millis(ms)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Elapsed simulated milliseconds of `f`, and its result.
    async fn timed<T>(f: impl Future<Output = T>) -> (u128, T) {
        let start = Instant::now();
        let out = f.await;
        (start.elapsed().as_millis(), out)
    }

    async fn cases() {
        assert_eq!(timed(within(ms(50), nap(10))).await, (10, Ok(())));
        assert_eq!(timed(within(ms(50), nap(80))).await, (50, Err(Elapsed)));
        // A future that wakes itself often still times out on time.
        let busy = async {
            for _ in 0..100 {
                nap(1).await;
            }
        };
        assert_eq!(timed(within(ms(30), busy)).await, (30, Err(Elapsed)));
        // Many overlapping deadlines, registered out of order, each end at their own time.
        let mut calls = Vec::new();
        for (i, limit) in [70u64, 20, 90, 40, 40, 10].into_iter().enumerate() {
            calls.push(madsim::task::spawn(async move {
                nap(i as u64).await;
                timed(within(ms(limit), nap(1_000))).await
            }));
        }
        for (call, limit) in calls.into_iter().zip([70u128, 20, 90, 40, 40, 10]) {
            assert_eq!(call.await.unwrap(), (limit, Err(Elapsed)));
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn with_the_dispatcher() {
        crate::sim::simulate(7, None, || async {
            assert!(REGISTRY.with(|r| r.borrow().serving));
            cases().await;
            // Calls that ended early leave nothing behind.
            assert!(REGISTRY.with(|r| r.borrow().slots.iter().all(|s| s.waker.is_none())));
        })
        .unwrap();
    }

    /// A node paused with the earliest deadline pending does not hold back anyone else's.
    #[test]
    fn a_paused_node_delays_no_other_timeout() {
        crate::sim::simulate(7, None, || async {
            let handle = madsim::runtime::Handle::current();
            let paused = handle.create_node().ip([10, 9, 0, 1].into()).build();
            let other = handle.create_node().ip([10, 9, 0, 2].into()).build();
            let early = paused.spawn(async { within(ms(20), nap(1_000)).await });
            nap(5).await;
            handle.pause(paused.id());
            let late = other.spawn(async { timed(within(ms(50), nap(1_000))).await });
            assert_eq!(late.await.unwrap(), (50, Err(Elapsed)));
            // The paused call's deadline passed meanwhile; it ends as soon as its node runs again.
            handle.resume(paused.id());
            assert_eq!(early.await.unwrap(), Err(Elapsed));
        })
        .unwrap();
    }

    #[test]
    fn without_the_dispatcher() {
        crate::sim::simulate(7, None, || async {
            REGISTRY.with(|r| r.borrow_mut().serving = false);
            cases().await;
        })
        .unwrap();
    }
}
