//! Sometimes facts: situations a sweep must reach at least once, or its faults are too tame to
//! test failover at all. Each is a property of its own, counted per run; a sweep sums them and
//! reports any at zero.

use super::faults_in_force::FaultsInForce;
use super::{Check, Property};
use crate::fault::{self, FaultKind};
use crate::history::{Event, EventKind};
use crate::primacy::Believers;
use crate::vocab::ConnState;
use std::collections::{BTreeMap, BTreeSet};

/// The Sometimes fact that proves faults of kind `K` took effect, as `K` declares it
/// ([`crate::fault::Info::effect`]): each `FaultTookEffect` a component recorded for that kind,
/// counting, for a fault declared `while_in_force`, only those recorded while the nemesis had one
/// in force on that node.
const fn took_effect<K: fault::Kind>() -> Property {
    let Some(effect) = K::INFO.effect else {
        panic!("a took-effect fact for a fault kind that declares no effect")
    };
    Property {
        name: effect.fact,
        check: Check::Sometimes(effects::<K>),
    }
}

fn effects<K: fault::Kind>(events: &[Event]) -> u64 {
    let kind = FaultKind::named(K::INFO.name).expect("a declared kind");
    let while_in_force = K::INFO.effect.is_some_and(|e| e.while_in_force);
    let mut faults = FaultsInForce::default();
    let mut effects = 0;
    for e in events {
        faults.step(e);
        if let EventKind::FaultTookEffect { fault, node } = &e.kind {
            if *fault == kind && (!while_in_force || faults.on(kind, node)) {
                effects += 1;
            }
        }
    }
    effects
}

/// A new primary took over from an earlier one.
pub const FAILOVER: Property = Property {
    name: "failover",
    check: Check::Sometimes(failovers),
};

/// A deposed primary was fenced off the journal.
pub const OLD_PRIMARY_FENCED: Property = Property {
    name: "old-primary-fenced",
    check: Check::Sometimes(|events| count(events, |k| matches!(k, EventKind::Fenced { .. }))),
};

/// A call that reached one master succeeded through another.
pub const CLIENT_RETRIED_ACROSS_FAILOVER: Property = Property {
    name: "client-retried-across-failover",
    check: Check::Sometimes(retries_across_failover),
};

/// A standby caught up by loading a checkpoint.
pub const STANDBY_CAUGHT_UP_FROM_CHECKPOINT: Property = Property {
    name: "standby-caught-up-from-checkpoint",
    check: Check::Sometimes(|events| {
        count(events, |k| matches!(k, EventKind::CheckpointLoaded { .. }))
    }),
};

/// A worker registered again (with a new primary, or after being forgotten).
pub const WORKER_REREGISTERED: Property = Property {
    name: "worker-reregistered",
    check: Check::Sometimes(|events| {
        count(events, |k| matches!(k, EventKind::WorkerReregister { .. }))
    }),
};

/// A primary's session expired while its process was paused: the split-brain window.
pub const SESSION_EXPIRED_WHILE_PRIMARY_PAUSED: Property = Property {
    name: "session-expired-while-primary-paused",
    check: Check::Sometimes(expiries_while_primary_paused),
};

/// A master became primary while another still believed it was.
pub const TWO_MASTERS_BELIEVED_PRIMARY: Property = Property {
    name: "two-masters-believed-primary",
    check: Check::Sometimes(overlapping_beliefs),
};

/// A primary stepped down with journal entries appended but not yet durable: what happens to
/// writes in flight at a demotion (dropped unacknowledged, never written after it) is where
/// failover loses or forks the journal.
pub const STEPPED_DOWN_WITH_WRITES_IN_FLIGHT: Property = Property {
    name: "stepped-down-with-writes-in-flight",
    check: Check::Sometimes(step_downs_with_writes_in_flight),
};

/// Each injected fault that only a component can apply (storage faults in the UFS, a forced
/// session expiry in ZooKeeper) changed what that component did, as it recorded: a fault
/// applied without effect would make the sweep's fault counts a false comfort. A storage fault's
/// effect counts only while the fault is in force, so that an effect recorded after the fault was
/// undone (a slow flush of no delay, say) does not pass for one.
pub const FLUSH_FAIL_TOOK_EFFECT: Property = took_effect::<fault::FlushFail>();
/// A `flush-slow` fault delayed a flush while in force.
pub const FLUSH_SLOW_TOOK_EFFECT: Property = took_effect::<fault::FlushSlow>();
/// A `rename-fail` fault failed a rename while in force.
pub const RENAME_FAIL_TOOK_EFFECT: Property = took_effect::<fault::RenameFail>();
/// ZooKeeper expired a live session because of an injected `session-expiry`.
pub const SESSION_EXPIRY_TOOK_EFFECT: Property = took_effect::<fault::SessionExpiry>();
/// ZooKeeper, its quorum back after an injected `zookeeper-unavailable`, restarted every
/// session's timer.
pub const ZOOKEEPER_UNAVAILABLE_TOOK_EFFECT: Property =
    took_effect::<fault::ZookeeperUnavailable>();

/// The primary's journal GC went to delete completed logs that a checkpoint covers (it records
/// them just before deleting): what GC is for (keeping the two newest checkpoints alone does not
/// count).
pub const JOURNAL_GC_DELETED: Property = Property {
    name: "journal-gc-deleted",
    check: Check::Sometimes(|events| {
        count(
            events,
            |k| matches!(k, EventKind::JournalGc { logs, .. } if !logs.is_empty()),
        )
    }),
};

/// The UFS answered a repeated namespace change from its retry cache: a caller whose answer was
/// lost learned what its own call did (a writer that took its own log for another primary's
/// would step down for nothing, which `one_leader` judges).
pub const UFS_RETRY_ANSWERED_FROM_CACHE: Property = Property {
    name: "ufs-retry-answered-from-cache",
    check: Check::Sometimes(|events| {
        count(events, |k| matches!(k, EventKind::UfsRetryAnswered { .. }))
    }),
};

/// ZooKeeper answered a resent request from its reply cache: a client whose answer was lost
/// (to a candidacy's sequential create, say) learned what its own request did instead of
/// applying it twice, and a ZooKeeper call outlived a lost message by resending within
/// `zookeeper.connection.timeout`.
pub const ZOOKEEPER_RETRY_ANSWERED_FROM_CACHE: Property = Property {
    name: "zookeeper-retry-answered-from-cache",
    check: Check::Sometimes(|events| {
        count(events, |k| {
            matches!(k, EventKind::ZooKeeperRetryAnswered { .. })
        })
    }),
};

/// A primary's ZooKeeper connection was SUSPENDED and came back with the same session, and the
/// primary went on to acknowledge a write: the SESSION connection-error policy (Alluxio's
/// default) rides out a blip that the STANDARD policy would turn into a failover.
pub const PRIMARY_RODE_OUT_SUSPENSION: Property = Property {
    name: "primary-rode-out-suspension",
    check: Check::Sometimes(suspensions_ridden_out),
};

/// A primary's journal flush failed (a storage fault) and the same primary, in the same term,
/// went on to acknowledge an entry at or past the failed batch: the writer recovered (completed
/// its log at what is durable and wrote the batch again) instead of giving up its primacy.
pub const PRIMARY_RECOVERED_FROM_FLUSH_FAILURE: Property = Property {
    name: "primary-recovered-from-flush-failure",
    check: Check::Sometimes(flush_failures_recovered),
};

/// A worker's call to the primary failed, and the worker stayed up and registered again without
/// exiting or crashing in between: it rode out the failover within its heartbeat timeout (what
/// `worker_registry`'s rule on failed calls judges).
pub const WORKER_RODE_OUT_FAILED_CALLS: Property = Property {
    name: "worker-rode-out-failed-calls",
    check: Check::Sometimes(failed_calls_ridden_out),
};

/// A master that had become primary, and had not stepped down, refused its worker list when the
/// faults healed (or gave no answer within the harness's 1 s): a primary just promoted, in its
/// safe mode (which `worker_registry` holds to `master.worker.connect.wait.time`).
pub const WORKER_LIST_REFUSED_IN_SAFE_MODE: Property = Property {
    name: "worker-list-refused-in-safe-mode",
    check: Check::Sometimes(safe_mode_refusals),
};

fn safe_mode_refusals(events: &[Event]) -> u64 {
    let refusal = |e: &Event| matches!(e.kind, EventKind::HealWorkerList { workers: None });
    with_belief(events)
        .filter(|(e, primary)| *primary && refusal(e))
        .count() as u64
}

/// A worker removed a block on its master's Free command (a deleted file's, or one the master
/// had no metadata for).
pub const WORKER_FREED_BLOCKS: Property = Property {
    name: "worker-freed-blocks",
    check: Check::Sometimes(freed_blocks),
};

fn freed_blocks(events: &[Event]) -> u64 {
    count(events, |k| {
        matches!(k, EventKind::BlockRemoved { freed: true, .. })
    })
}

/// A primary applied a worker's registration under an id it had registered already, with no
/// loss of the worker in between: a retried registration whose first attempt took effect
/// unanswered, its block list older than what the primary has heard since (what merging a
/// re-registration's list, not replacing with it, is for).
pub const REGISTRATION_APPLIED_AGAIN: Property = Property {
    name: "registration-applied-again",
    check: Check::Sometimes(registrations_applied_again),
};

fn registrations_applied_again(events: &[Event]) -> u64 {
    // Per master, the ids registered since it last became primary and not lost since.
    let mut registered: BTreeMap<&str, BTreeSet<u64>> = BTreeMap::new();
    let mut n = 0;
    for e in events {
        let ids = registered.entry(e.node.as_str()).or_default();
        match &e.kind {
            EventKind::BecamePrimary { .. } => ids.clear(),
            EventKind::WorkerLost { worker_id, .. } => {
                ids.remove(worker_id);
            }
            EventKind::WorkerRegistered { worker_id, .. } if !ids.insert(*worker_id) => n += 1,
            _ => {}
        }
    }
    n
}

/// A block-location answer named a worker for a block whose commit another master had
/// acknowledged: the answering primary rebuilt that location from the worker's registration or
/// heartbeats.
pub const BLOCK_LOCATED_AFTER_FAILOVER: Property = Property {
    name: "block-located-after-failover",
    check: Check::Sometimes(located_after_failover),
};

fn located_after_failover(events: &[Event]) -> u64 {
    use std::collections::BTreeMap;
    // op id -> block of an open commit; (block, worker) -> the master that acknowledged it.
    let mut committing: BTreeMap<u64, u64> = BTreeMap::new();
    let mut acked: BTreeMap<(u64, &str), &str> = BTreeMap::new();
    let mut n = 0;
    for e in events {
        match &e.kind {
            EventKind::Invoke {
                op_id,
                op: crate::op::FsOp::CommitBlock { block_id, .. },
            } => {
                committing.insert(*op_id, *block_id);
            }
            EventKind::Ok { op_id, by, reply } => {
                if let Some(block) = committing.remove(op_id) {
                    acked.insert((block, e.node.as_str()), by.as_str());
                }
                if let crate::op::FsReply::Blocks(blocks) = reply {
                    n += blocks
                        .iter()
                        .flat_map(|b| b.workers.iter().map(move |w| (b.block_id, w.as_str())))
                        .filter(|key| acked.get(key).is_some_and(|m| *m != by.as_str()))
                        .count() as u64;
                }
            }
            _ => {}
        }
    }
    n
}

/// Events whose kind matches.
fn count(events: &[Event], matches: impl Fn(&EventKind) -> bool) -> u64 {
    events.iter().filter(|e| matches(&e.kind)).count() as u64
}

fn failovers(events: &[Event]) -> u64 {
    count(events, |k| matches!(k, EventKind::BecamePrimary { .. })).saturating_sub(1)
}

/// Each event, with whether its node believes it is primary once the event has happened.
fn with_belief(events: &[Event]) -> impl Iterator<Item = (&Event, bool)> {
    let mut believers = Believers::new(events);
    events
        .iter()
        .enumerate()
        .map(move |(i, e)| (e, believers.after(i).contains(e.node.as_str())))
}

fn overlapping_beliefs(events: &[Event]) -> u64 {
    let mut believers = Believers::new(events);
    let mut n = 0;
    for (i, e) in events.iter().enumerate() {
        if matches!(e.kind, EventKind::BecamePrimary { .. })
            && believers.after(i).iter().any(|m| *m != e.node)
        {
            n += 1;
        }
    }
    n
}

fn suspensions_ridden_out(events: &[Event]) -> u64 {
    // Primaries whose connection is suspended, with the session they had; then those that came
    // back with it, until they acknowledge a write as primary (which counts).
    let mut suspended: BTreeMap<&str, u64> = BTreeMap::new();
    let mut back: BTreeSet<&str> = BTreeSet::new();
    let mut n = 0;
    for (e, primary) in with_belief(events) {
        let node = e.node.as_str();
        if !primary {
            suspended.remove(node);
            back.remove(node);
            continue;
        }
        match &e.kind {
            EventKind::Connection {
                state: ConnState::Suspended,
                session,
            } => {
                suspended.insert(node, *session);
            }
            EventKind::Connection {
                state: ConnState::Reconnected,
                session,
            } if suspended.get(node) == Some(session) => {
                suspended.remove(node);
                back.insert(node);
            }
            EventKind::Connection { .. } => {
                suspended.remove(node);
                back.remove(node);
            }
            EventKind::JournalAck { .. } if back.remove(node) => n += 1,
            _ => {}
        }
    }
    n
}

fn flush_failures_recovered(events: &[Event]) -> u64 {
    // Per primary: the term and first sequence number of its earliest failed flush not yet
    // followed by an acknowledgement past it.
    let mut failed: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    let mut n = 0;
    for (e, primary) in with_belief(events) {
        let node = e.node.as_str();
        if !primary {
            failed.remove(node);
            continue;
        }
        match &e.kind {
            EventKind::JournalFlush {
                term,
                from,
                ok: false,
                ..
            } => {
                failed.entry(node).or_insert((*term, *from));
            }
            EventKind::JournalAck { term, seq, .. }
                if failed
                    .get(node)
                    .is_some_and(|&(t, from)| t == *term && *seq >= from) =>
            {
                failed.remove(node);
                n += 1;
            }
            _ => {}
        }
    }
    n
}

fn step_downs_with_writes_in_flight(events: &[Event]) -> u64 {
    // Per master: the next sequence number after its appends, and after its durable flushes.
    let mut appended: BTreeMap<&str, u64> = BTreeMap::new();
    let mut durable: BTreeMap<&str, u64> = BTreeMap::new();
    let mut n = 0;
    for e in events {
        let node = e.node.as_str();
        match &e.kind {
            EventKind::BecamePrimary { next_seq, .. } => {
                appended.insert(node, *next_seq);
                durable.insert(node, *next_seq);
            }
            EventKind::JournalAppend { seq, .. } => {
                appended.insert(node, seq + 1);
            }
            EventKind::JournalFlush { to, ok: true, .. } => {
                let d = durable.entry(node).or_default();
                *d = (*d).max(*to);
            }
            EventKind::SteppedDown { .. } => {
                n += u64::from(appended.get(node) > durable.get(node));
            }
            _ => {}
        }
    }
    n
}

fn expiries_while_primary_paused(events: &[Event]) -> u64 {
    let mut believers = Believers::new(events);
    let mut paused: BTreeSet<&str> = BTreeSet::new();
    let mut n = 0;
    for (i, e) in events.iter().enumerate() {
        let believes = believers.after(i);
        match &e.kind {
            EventKind::NodePause => {
                paused.insert(&e.node);
            }
            EventKind::NodeResume
            | EventKind::SteppedDown { .. }
            | EventKind::MasterExit { .. }
            | EventKind::NodeCrash
            | EventKind::NodeRestart => {
                paused.remove(e.node.as_str());
            }
            EventKind::SessionExpired { owner, .. }
                if paused.contains(owner.as_str()) && believes.contains(owner.as_str()) =>
            {
                n += 1
            }
            _ => {}
        }
    }
    n
}

fn retries_across_failover(events: &[Event]) -> u64 {
    let mut attempts: BTreeMap<u64, BTreeSet<&str>> = BTreeMap::new();
    let mut n = 0;
    for e in events {
        match &e.kind {
            EventKind::Attempt {
                op_id,
                master: Some(m),
                ..
            } => {
                attempts.entry(*op_id).or_default().insert(m);
            }
            EventKind::Ok { op_id, .. } => {
                let masters = attempts.remove(op_id).unwrap_or_default();
                n += u64::from(masters.len() > 1);
            }
            EventKind::Fail { op_id, .. } => {
                attempts.remove(op_id);
            }
            _ => {}
        }
    }
    n
}

fn failed_calls_ridden_out(events: &[Event]) -> u64 {
    let mut failing: BTreeSet<&str> = BTreeSet::new();
    let mut n = 0;
    for e in events {
        match e.kind {
            EventKind::WorkerCallFailed { .. } => {
                failing.insert(&e.node);
            }
            EventKind::WorkerGotId { .. } if failing.remove(e.node.as_str()) => n += 1,
            EventKind::WorkerExit { .. } | EventKind::NodeCrash | EventKind::NodeRestart => {
                failing.remove(e.node.as_str());
            }
            _ => {}
        }
    }
    n
}
