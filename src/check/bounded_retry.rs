//! Bounded client retry (Always): every client call ends, ok or with a definite error, within the
//! retry policy's bound, and makes no more attempts than the policy allows. (A call whose process
//! crashes or exits, a worker's block commit, ends there.)
//!
//! Each attempt's leader lookup asks ZooKeeper at most `zookeeper.leader.inquiry.retry` times.
//! The bound is `user.rpc.retry.max.duration` (no attempt starts after it) plus one attempt: a
//! leader lookup (at most `zookeeper.leader.inquiry.retry` tries) and the RPC's deadline. Time a
//! client node spent paused by the nemesis does not count: a frozen process cannot retry.
//!
//! The client numbers each call's attempts 1, 2, ... as it makes them (what the trace and the
//! timeline show). It also backs off: after attempt k fails, the next attempt's leader lookup
//! begins the policy's k-th sleep later (`user.rpc.retry.base.sleep` doubling up to
//! `user.rpc.retry.max.sleep`), plus at most 10% jitter, the sleep cut short where the maximum
//! duration ends (pauses excluded from the longest wait). Retrying faster is the retry storm that
//! a failover must not cause; retrying later, or after the maximum duration, prolongs the
//! outage the client sees.

use super::{Breach, Check, Property};
use crate::history::{Event, EventKind};
use crate::options::Options;
use std::collections::BTreeMap;

/// Longest a call may take, in simulated milliseconds.
pub fn call_bound_ms(o: &Options) -> u64 {
    o.user_rpc_retry_max_duration_ms + o.leader_lookup_bound_ms() + o.user_rpc_attempt_timeout_ms
}

/// Most attempts the policy can make: one at once, then one after each backoff sleep that still
/// starts within the maximum duration (attempts themselves taking no time at all; a sleep of
/// 0 ms, from a maximum sleep of 0, counts as 1 ms so that the count stays finite).
pub fn max_attempts(o: &Options) -> u32 {
    let mut attempts = 1;
    let mut elapsed = 0;
    while elapsed < o.user_rpc_retry_max_duration_ms {
        elapsed += backoff_sleep_ms(o, attempts).max(1);
        attempts += 1;
    }
    attempts
}

/// The policy's `k`-th backoff sleep (k from 1), without jitter: the base sleep doubled k-1 times,
/// at most the maximum sleep.
pub fn backoff_sleep_ms(o: &Options, k: u32) -> u64 {
    let base = o.user_rpc_retry_base_sleep_ms;
    let max = o.user_rpc_retry_max_sleep_ms;
    (1..k).fold(base, |s, _| (s * 2).min(max))
}

/// Microseconds of `[from, to)` during which `node` was paused.
fn paused_within(pauses: &[(u64, u64)], from: u64, to: u64) -> u64 {
    pauses
        .iter()
        .map(|&(p, r)| r.min(to).saturating_sub(p.max(from)))
        .sum()
}
/// The property, as the table in [`super::PROPERTIES`] lists it.
pub const PROPERTY: Property = Property {
    name: "bounded_retry",
    check: Check::Always(check),
};

/// The first breach of `bounded_retry` in `events`, if any.
pub fn check(events: &[Event], options: &Options) -> Option<Breach> {
    let bound_us = call_bound_ms(options) * 1000;
    let attempts_allowed = max_attempts(options);
    let lookups_allowed = options.zookeeper_leader_inquiry_retry.max(1);
    let end_us = events.last().map_or(0, |e| e.at_us);

    let mut pauses: BTreeMap<&str, Vec<(u64, u64)>> = BTreeMap::new();
    for e in events {
        match e.kind {
            EventKind::NodePause => pauses.entry(&e.node).or_default().push((e.at_us, u64::MAX)),
            EventKind::NodeResume => {
                if let Some(last) = pauses.get_mut(e.node.as_str()).and_then(|v| v.last_mut()) {
                    last.1 = e.at_us;
                }
            }
            _ => {}
        }
    }
    let no_pauses = vec![];
    let active = |node: &str, from: u64, to: u64| {
        to - from - paused_within(pauses.get(node).unwrap_or(&no_pauses), from, to)
    };

    // op_id -> (invoke index, invoke time)
    let mut open: BTreeMap<u64, (usize, u64)> = BTreeMap::new();
    // op_id -> attempts so far; and when its latest attempt failed, until the retry.
    let mut attempts: BTreeMap<u64, u32> = BTreeMap::new();
    let mut failed: BTreeMap<u64, u64> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        match &e.kind {
            EventKind::Invoke { op_id, .. } => {
                open.insert(*op_id, (i, e.at_us));
            }
            EventKind::Attempt { op_id, lookups, .. } if *lookups > lookups_allowed => {
                return Some(Breach::at(
                    events,
                    i,
                    format!(
                        "{}'s leader lookup for call {op_id:#x} asked ZooKeeper {lookups} times; \
                         zookeeper.leader.inquiry.retry is {lookups_allowed}",
                        e.node
                    ),
                ));
            }
            EventKind::Attempt {
                op_id,
                attempt: numbered,
                ..
            } => {
                // Counted here, not read from the event: the client's own numbering is not
                // evidence of how many attempts it made; it must agree, as the timeline and
                // the trace show it.
                let count = attempts.entry(*op_id).or_insert(0);
                *count += 1;
                let attempt = *count;
                if *numbered != attempt {
                    return Some(Breach::at(
                        events,
                        i,
                        format!(
                            "{} numbered attempt {attempt} of call {op_id:#x} as attempt {numbered}",
                            e.node
                        ),
                    ));
                }
                if attempt > attempts_allowed {
                    return Some(Breach::at(
                        events,
                        i,
                        format!(
                            "{} made attempt {attempt} of call {op_id:#x}; the policy allows {attempts_allowed}",
                            e.node
                        ),
                    ));
                }
            }
            EventKind::AttemptFailed { op_id, .. } => {
                failed.insert(*op_id, e.at_us);
            }
            EventKind::Retrying { op_id } => {
                let (Some(failed_at), Some(&(_, invoked)), Some(&done)) =
                    (failed.remove(op_id), open.get(op_id), attempts.get(op_id))
                else {
                    return Some(Breach::at(
                        events,
                        i,
                        format!(
                            "{} retried call {op_id:#x} without a failed attempt",
                            e.node
                        ),
                    ));
                };
                // The sleep after attempt `done`, with its jitter, cut at the maximum duration.
                let sleep_ms = backoff_sleep_ms(options, done);
                let left_us = (invoked + options.user_rpc_retry_max_duration_ms * 1000)
                    .saturating_sub(failed_at);
                let shortest_us = (sleep_ms * 1000).min(left_us);
                // Timers fire up to a microsecond late on the recorded clock: 1 ms of slack.
                let longest_us = ((sleep_ms + sleep_ms / 10) * 1000).min(left_us) + 1000;
                let slept = e.at_us - failed_at;
                if slept < shortest_us {
                    return Some(Breach::at(
                        events,
                        i,
                        format!(
                            "{} retried call {op_id:#x} {:.3} ms after attempt {done} failed; the \
                             policy sleeps {:.3} ms first",
                            e.node,
                            slept as f64 / 1000.0,
                            shortest_us as f64 / 1000.0
                        ),
                    ));
                }
                let awake = active(&e.node, failed_at, e.at_us);
                if awake > longest_us {
                    return Some(Breach::at(
                        events,
                        i,
                        format!(
                            "{} retried call {op_id:#x} {:.3} ms after attempt {done} failed; the \
                             policy sleeps at most {:.3} ms",
                            e.node,
                            awake as f64 / 1000.0,
                            longest_us as f64 / 1000.0
                        ),
                    ));
                }
            }
            // A process that dies takes its calls with it (a worker's block commits): they
            // end there, without an answer.
            EventKind::NodeCrash | EventKind::NodeRestart | EventKind::WorkerExit { .. } => {
                let gone: Vec<u64> = open
                    .iter()
                    .filter(|(_, (at, _))| events[*at].node == e.node)
                    .map(|(id, _)| *id)
                    .collect();
                for id in gone {
                    open.remove(&id);
                    attempts.remove(&id);
                    failed.remove(&id);
                }
            }
            EventKind::Ok { op_id, .. } | EventKind::Fail { op_id, .. } => {
                attempts.remove(op_id);
                failed.remove(op_id);
                if let Some((_, start)) = open.remove(op_id) {
                    let took = active(&e.node, start, e.at_us);
                    if took > bound_us {
                        return Some(Breach::at(
                            events,
                            i,
                            format!(
                                "{}'s call {op_id:#x} took {:.3} ms; the bound is {} ms",
                                e.node,
                                took as f64 / 1000.0,
                                bound_us / 1000
                            ),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    // Calls that never ended: a violation once they are older than the bound.
    let (op_id, (i, start)) = open
        .into_iter()
        .filter(|(_, (i, start))| active(&events[*i].node, *start, end_us) > bound_us)
        .min_by_key(|(_, (i, _))| *i)?;
    Some(Breach {
        at_ms: (start + bound_us) as f64 / 1000.0,
        ..Breach::at(
            events,
            i,
            format!(
                "{}'s call {op_id:#x}, invoked at {:.3} ms, had not ended {} ms later when the \
                 run ended",
                events[i].node,
                start as f64 / 1000.0,
                bound_us / 1000
            ),
        )
    })
}
