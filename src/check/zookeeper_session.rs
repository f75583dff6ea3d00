//! ZooKeeper sessions (Always): a client declares its session LOST only when the session is
//! really gone: ZooKeeper expired it, or the client was SUSPENDED for a whole session timeout
//! (Curator's own expiry). A client that gives its session up early makes its process step down
//! or give up a lock it still holds: a failover, or a retry storm, for nothing.
//!
//! Under the SESSION connection-error policy (the default), a primary also keeps its primacy
//! through a SUSPENDED connection and through a RECONNECTED to the session it was elected with:
//! it steps down for neither (the STANDARD policy, and bug B12, do).
//!
//! A candidate keeps its place in the election through a connection blip too: a master withdraws
//! its candidacy only once the session it was made in has ended (LOST, a new session, or
//! ZooKeeper expired it). Withdrawing on a SUSPENDED or a RECONNECTED to the same session sends
//! it to the back of the line for nothing.
//!
//! And ZooKeeper itself expires no session while it has lost its quorum, and restarts every
//! session's timer when the quorum comes back: no session expires within a session timeout of
//! that (as ZooKeeper's new leader does), or every client would lose its session at once.

use super::faults_in_force::FaultsInForce;
use super::{Breach, Check, Property};
use crate::fault::FaultKind;
use crate::history::{Event, EventKind};
use crate::options::{ConnectionErrorPolicy, Options};
use crate::vocab::{ConnState, StepDownReason};
use std::collections::{BTreeMap, BTreeSet};

/// The fault that takes ZooKeeper's quorum away.
const OUTAGE: FaultKind = FaultKind::ZookeeperUnavailable;

/// The property, as the table in [`super::PROPERTIES`] lists it.
pub const PROPERTY: Property = Property {
    name: "zookeeper_session",
    check: Check::Always(check),
};

/// The first breach of `zookeeper_session` in `events`, if any.
pub fn check(events: &[Event], options: &Options) -> Option<Breach> {
    let timeout_us = options.zookeeper_session_timeout_ms * 1000;
    let mut expired: BTreeSet<u64> = BTreeSet::new();
    // Per node: the session it holds, and since when it is suspended.
    let mut session: BTreeMap<&str, u64> = BTreeMap::new();
    let mut suspended: BTreeMap<&str, u64> = BTreeMap::new();
    // Per node: the session of its latest CONNECTED, and the session of a RECONNECTED that is
    // its latest connection event.
    let mut connected: BTreeMap<&str, u64> = BTreeMap::new();
    let mut reconnected: BTreeMap<&str, u64> = BTreeMap::new();
    let session_policy = options.connection_error_policy() == ConnectionErrorPolicy::Session;
    // ZooKeeper's quorum: injected outages in force, and when the last one ended.
    let mut faults = FaultsInForce::default();
    let mut back_at: Option<u64> = None;
    // An injected expiry just recorded: (owner, when).
    let mut forced: Option<(&str, u64)> = None;
    // Per master: where its current stint in the election loop began (a restart, a withdrawn
    // candidacy, a step-down); connection events since then are what its candidacy has seen.
    let mut stint: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        let node = e.node.as_str();
        match &e.kind {
            EventKind::CandidacyWithdrawn { session: s } => {
                let since = stint.insert(node, i).unwrap_or(0);
                let ended = expired.contains(s)
                    || events[since..i].iter().any(|c| {
                        c.node == node
                            && matches!(&c.kind, EventKind::Connection { state, session }
                                if *state == ConnState::Lost || (*session != 0 && session != s))
                    });
                if !ended {
                    return Some(Breach::at(
                        events,
                        i,
                        format!(
                            "{node} withdrew its election candidacy while its session {s} was \
                             alive (not LOST, not replaced, not expired): it loses its place in \
                             line for nothing"
                        ),
                    ));
                }
            }
            EventKind::SteppedDown { .. } | EventKind::NodeRestart => {
                stint.insert(node, i);
            }
            _ => {}
        }
        match &e.kind {
            EventKind::Fault { kind, healed, .. } => {
                faults.step(e);
                if *kind == OUTAGE && *healed && !faults.any(OUTAGE) {
                    back_at = Some(e.at_us);
                }
            }
            EventKind::FaultTookEffect {
                fault: FaultKind::SessionExpiry,
                node: owner,
            } => {
                forced = Some((owner.as_str(), e.at_us));
            }
            EventKind::SessionExpired { session, owner } => {
                expired.insert(*session);
                let injected = forced == Some((owner.as_str(), e.at_us));
                let early = back_at.filter(|b| e.at_us < b + timeout_us && !injected);
                let outage = faults.any(OUTAGE);
                if outage || early.is_some() {
                    return Some(Breach::at(
                        events,
                        i,
                        match early {
                            Some(b) if !outage => format!(
                                "ZooKeeper expired {owner}'s session {session} {:.3} ms after its \
                                 quorum came back, within the session timeout ({} ms): the \
                                 timers must start over",
                                (e.at_us - b) as f64 / 1000.0,
                                options.zookeeper_session_timeout_ms
                            ),
                            _ => format!(
                                "ZooKeeper expired {owner}'s session {session} while it had lost \
                                 its quorum"
                            ),
                        },
                    ));
                }
            }
            EventKind::NodeCrash | EventKind::NodeRestart => {
                session.remove(node);
                suspended.remove(node);
                connected.remove(node);
                reconnected.remove(node);
            }
            EventKind::SteppedDown { reason, .. } if session_policy => {
                let blip = if *reason == StepDownReason::Connection(ConnState::Suspended) {
                    Some("a SUSPENDED connection")
                } else if *reason == StepDownReason::Connection(ConnState::Reconnected)
                    && reconnected
                        .get(node)
                        .is_some_and(|s| connected.get(node) == Some(s))
                {
                    Some("a RECONNECTED to its own session")
                } else {
                    None
                };
                if let Some(blip) = blip {
                    return Some(Breach::at(
                        events,
                        i,
                        format!(
                            "{node} stepped down for {blip}, which the SESSION connection-error \
                             policy rides out"
                        ),
                    ));
                }
            }
            EventKind::Connection {
                state: ConnState::Lost,
                ..
            } => {
                let Some(s) = session.remove(node) else {
                    continue;
                };
                let since = suspended.remove(node);
                let timed_out = since.is_some_and(|t| e.at_us - t >= timeout_us);
                if !expired.contains(&s) && !timed_out {
                    return Some(Breach::at(
                        events,
                        i,
                        match since {
                            Some(t) => format!(
                                "{node} declared session {s} lost after {:.3} ms suspended, \
                                 within the session timeout ({} ms), and ZooKeeper had not \
                                 expired it",
                                (e.at_us - t) as f64 / 1000.0,
                                options.zookeeper_session_timeout_ms
                            ),
                            None => format!(
                                "{node} declared session {s} lost without being suspended, and \
                                 ZooKeeper had not expired it"
                            ),
                        },
                    ));
                }
            }
            EventKind::Connection { state, session: s } => {
                if *s != 0 {
                    session.insert(node, *s);
                }
                match state {
                    ConnState::Connected => {
                        connected.insert(node, *s);
                        reconnected.remove(node);
                    }
                    ConnState::Reconnected => {
                        reconnected.insert(node, *s);
                    }
                    _ => {
                        reconnected.remove(node);
                    }
                }
                if *state == ConnState::Suspended {
                    suspended.entry(node).or_insert(e.at_us);
                } else {
                    suspended.remove(node);
                }
            }
            _ => {}
        }
    }
    None
}
