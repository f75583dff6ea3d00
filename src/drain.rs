//! How the harness ends the workload: once the faults heal, `stop` ends each client's workload
//! between operations, and the calls then in flight are drained, for at most the call bound.
//!
//! A client waiting on a worker holds up no recorded call: a block write whose request or answer
//! was lost waits out the worker's whole commit budget (a minute and more), and a drain that
//! waited for it would spend that minute simulating heartbeats. So the drain also ends once no
//! recorded call is open and every workload still running waits on a worker; `halt` then has
//! those clients abandon their files, as a client that gave up would, recording nothing more.

use crate::history::{EventKind, History};
use madsim::task::JoinHandle;
use madsim::time::sleep;
use std::collections::BTreeSet;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How often a drain looks whether only waits on workers are left.
const POLL: Duration = Duration::from_millis(100);

/// The workloads' shared end: one per run, read by every client's workload.
pub struct Drain {
    stop: AtomicBool,
    halt: AtomicBool,
    on_worker: Vec<AtomicBool>,
}

impl Drain {
    /// A drain for `clients` workloads, none stopped.
    pub fn new(clients: usize) -> Self {
        Drain {
            stop: AtomicBool::new(false),
            halt: AtomicBool::new(false),
            on_worker: (0..clients).map(|_| AtomicBool::new(false)).collect(),
        }
    }

    /// Whether workloads are to start no further operation.
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Whether the drain is over: a workload still running abandons what it was doing.
    pub fn halted(&self) -> bool {
        self.halt.load(Ordering::Relaxed)
    }

    /// Stops the workloads between operations.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Runs `wait`, client `index`'s wait on a worker, marked as such for the drain.
    pub async fn on_worker<T>(&self, index: usize, wait: impl Future<Output = T>) -> T {
        let flag = self.on_worker.get(index);
        flag.inspect(|f| f.store(true, Ordering::Relaxed));
        let out = wait.await;
        flag.inspect(|f| f.store(false, Ordering::Relaxed));
        out
    }

    /// Waits for `workloads` (client `i`'s at index `i`) to end, for at most `bound`, or until no
    /// recorded call in `history` is open and every workload left waits on a worker; then halts.
    pub async fn drain(&self, workloads: Vec<JoinHandle<()>>, history: &History, bound: Duration) {
        let done: Vec<AtomicBool> = workloads.iter().map(|_| AtomicBool::new(false)).collect();
        let all = futures::future::join_all(workloads.into_iter().enumerate().map(|(i, h)| {
            let done = &done;
            async move {
                let _ = h.await;
                done[i].store(true, Ordering::Relaxed);
            }
        }));
        let only_workers_left = async {
            loop {
                sleep(POLL).await;
                let waiting = done.iter().enumerate().all(|(i, d)| {
                    d.load(Ordering::Relaxed)
                        || self
                            .on_worker
                            .get(i)
                            .is_some_and(|w| w.load(Ordering::Relaxed))
                });
                if waiting && history.with_events(|events| open_calls(events) == 0) {
                    break;
                }
            }
        };
        futures::pin_mut!(all, only_workers_left);
        let _ =
            crate::deadline::within(bound, futures::future::select(all, only_workers_left)).await;
        self.halt.store(true, Ordering::Relaxed);
    }
}

/// Recorded calls invoked and not ended, leaving out those of a process that crashed or exited
/// since (they never end).
pub fn open_calls(events: &[crate::history::Event]) -> usize {
    let mut open: BTreeSet<(&str, u64)> = BTreeSet::new();
    for e in events {
        match &e.kind {
            EventKind::Invoke { op_id, .. } => {
                open.insert((&e.node, *op_id));
            }
            EventKind::Ok { op_id, .. } | EventKind::Fail { op_id, .. } => {
                open.remove(&(e.node.as_str(), *op_id));
            }
            EventKind::NodeCrash | EventKind::WorkerExit { .. } => {
                open.retain(|(node, _)| *node != e.node);
            }
            _ => {}
        }
    }
    open.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Event;
    use crate::op::FsOp;

    fn event(node: &str, kind: EventKind) -> Event {
        Event::test(node, kind)
    }

    fn invoke(node: &str, op_id: u64) -> Event {
        let op = FsOp::GetWorkerInfoList;
        event(node, EventKind::Invoke { op_id, op })
    }

    /// A call is open from its invocation to its answer; a crash or an exit of its process closes
    /// it for good, and only that process's calls.
    #[test]
    fn open_calls_end_with_their_answer_or_their_process() {
        let mut events = vec![invoke("client-0", 1), invoke("worker-0", 2)];
        assert_eq!(open_calls(&events), 2);
        events.push(invoke("client-0", 4));
        let reply = crate::op::FsReply::Done;
        let by = "master-0".to_string();
        events.push(event(
            "client-0",
            EventKind::Ok {
                op_id: 4,
                by,
                reply,
            },
        ));
        assert_eq!(open_calls(&events), 2);
        events.push(event("client-0", EventKind::NodeCrash));
        assert_eq!(open_calls(&events), 1);
        events.push(event("worker-0", EventKind::WorkerExit { silent_us: 1 }));
        assert_eq!(open_calls(&events), 0);
        events.push(invoke("client-1", 3));
        assert_eq!(open_calls(&events), 1);
    }
}
