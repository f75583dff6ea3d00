//! The ZooKeeper server: one linearizable node holding sessions, znodes and watches.

use super::{
    parent, ConnectionClosed, Stat, WatchEvent, WatchKind, ZkError, ZkOp, ZkReply, ZkRequest,
};
use crate::deadline::call_within;
use crate::fault::FaultKind;
use crate::history::{EventKind, History};
use madsim::net::Endpoint;
use madsim::time::{sleep, Instant};
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::ops::Bound;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Replies remembered per session, for retried requests.
const REPLY_CACHE: usize = 32;
/// How often an unacknowledged watch notification is sent again.
const NOTIFY_RETRY: Duration = Duration::from_millis(200);

struct Session {
    timeout: Duration,
    last_heard: Instant,
    owner: String,
    notify: SocketAddr,
    ephemerals: BTreeSet<String>,
    /// Recent replies by xid, with the request they answered (a client that reuses a session
    /// after a restart starts its xids again; a different request under an old xid is new).
    replies: BTreeMap<u64, (ZkOp, Result<ZkReply, ZkError>)>,
}

struct Znode {
    stat: Stat,
    /// Children created under it so far (ZooKeeper's `cversion`): the next sequential suffix.
    next_seq: u64,
}

#[derive(Default)]
struct State {
    next_session: u64,
    sessions: BTreeMap<u64, Session>,
    nodes: BTreeMap<String, Znode>,
    /// path -> sessions watching it for creation or deletion.
    node_watches: BTreeMap<String, BTreeSet<u64>>,
    /// Notifications to push, filled under the lock and sent after it.
    outbox: Vec<(SocketAddr, WatchEvent)>,
    /// Connections of expired sessions to close (notify address, session).
    closing: Vec<(SocketAddr, u64)>,
}

/// The nemesis's handle on the server: the faults that are not network faults.
#[derive(Clone, Default)]
pub struct ZkControl(Arc<Mutex<Control>>);

#[derive(Default)]
struct Control {
    /// While false the ensemble has lost quorum: no session expires (the network to it is clogged
    /// separately), and every session's timer restarts when it comes back, as ZooKeeper does.
    unavailable: bool,
    restart_timers: bool,
    /// Owners (node names) whose sessions are to be expired at the next tick.
    expire: BTreeSet<String>,
}

impl ZkControl {
    /// Marks the service unavailable (`true`) or back (`false`).
    pub fn set_unavailable(&self, unavailable: bool) {
        let mut c = self.0.lock().unwrap();
        if c.unavailable && !unavailable {
            c.restart_timers = true;
        }
        c.unavailable = unavailable;
    }

    /// Expires every session owned by `node` at the server's next tick.
    pub fn expire_sessions_of(&self, node: &str) {
        self.0.lock().unwrap().expire.insert(node.to_string());
    }

    /// Whether an expiry asked for by [`expire_sessions_of`](Self::expire_sessions_of) waits for
    /// the server's next tick.
    pub fn expiry_pending(&self, node: &str) -> bool {
        self.0.lock().unwrap().expire.contains(node)
    }
}

/// The ZooKeeper server actor.
pub struct ZooKeeperServer {
    state: Mutex<State>,
    history: History,
    control: ZkControl,
    tick: Duration,
}

impl ZooKeeperServer {
    /// A server holding only the root znode. `tick` is how often sessions are checked for expiry.
    fn new(tick: Duration, control: ZkControl, history: History) -> ZooKeeperServer {
        let mut state = State::default();
        state.nodes.insert(
            "/".into(),
            Znode {
                stat: Stat {
                    ctime_us: 0,
                    ephemeral_owner: None,
                },
                next_seq: 0,
            },
        );
        ZooKeeperServer {
            state: Mutex::new(state),
            history,
            control,
            tick,
        }
    }

    /// Serves at `addr` until the node dies.
    pub async fn serve(addr: SocketAddr, tick: Duration, control: ZkControl, history: History) {
        let ep = Endpoint::bind(addr).await.expect("bind zookeeper");
        let server = Arc::new(ZooKeeperServer::new(tick, control, history));
        let s = server.clone();
        let handler_ep = ep.clone();
        ep.add_rpc_handler(move |req: ZkRequest| {
            let s = s.clone();
            let ep = handler_ep.clone();
            // Boxed, as the master's handler is: a small task allocates on the fast path.
            Box::pin(async move {
                let reply = s.handle(req);
                s.flush_outbox(&ep);
                reply
            })
        });
        loop {
            sleep(server.tick).await;
            server.expire_sessions();
            server.flush_outbox(&ep);
        }
    }

    fn handle(&self, req: ZkRequest) -> Result<ZkReply, ZkError> {
        let mut st = self.state.lock().unwrap();
        let now = Instant::now();
        if let ZkOp::Connect {
            timeout_ms,
            owner,
            notify,
            resume,
        } = req.op
        {
            if let Some(id) = resume.filter(|id| st.sessions.contains_key(id)) {
                let s = st.sessions.get_mut(&id).unwrap();
                s.last_heard = now;
                s.notify = notify;
                return Ok(ZkReply::Session(id));
            }
            st.next_session += 1;
            let id = st.next_session;
            let session = Session {
                timeout: Duration::from_millis(timeout_ms),
                last_heard: now,
                owner,
                notify,
                ephemerals: BTreeSet::new(),
                replies: BTreeMap::new(),
            };
            st.sessions.insert(id, session);
            return Ok(ZkReply::Session(id));
        }
        let Some(session) = st.sessions.get_mut(&req.session) else {
            return Err(ZkError::SessionExpired);
        };
        session.last_heard = now;
        // A ping only keeps the session alive; ZooKeeper answers it outside the request pipeline
        // (with xid -2), so it has no place in the reply cache.
        if req.op == ZkOp::Ping {
            return Ok(ZkReply::Pong);
        }
        if let Some((op, reply)) = session.replies.get(&req.xid) {
            if *op == req.op {
                self.history.record(
                    "zookeeper",
                    EventKind::ZooKeeperRetryAnswered {
                        owner: session.owner.clone(),
                        session: req.session,
                        xid: req.xid,
                    },
                );
                return reply.clone();
            }
        }
        let reply = st.apply(req.session, req.op.clone());
        if let Some(session) = st.sessions.get_mut(&req.session) {
            session.replies.insert(req.xid, (req.op, reply.clone()));
            while session.replies.len() > REPLY_CACHE {
                session.replies.pop_first();
            }
        }
        reply
    }

    fn expire_sessions(&self) {
        let (unavailable, restart, forced) = {
            let mut c = self.control.0.lock().unwrap();
            let restart = std::mem::take(&mut c.restart_timers);
            (c.unavailable, restart, std::mem::take(&mut c.expire))
        };
        let mut st = self.state.lock().unwrap();
        let now = Instant::now();
        if restart {
            for s in st.sessions.values_mut() {
                s.last_heard = now;
            }
            // Quorum is back: no session expired while it was gone, and every timer starts over.
            self.history.record(
                "zookeeper",
                EventKind::FaultTookEffect {
                    fault: FaultKind::ZookeeperUnavailable,
                    node: "zookeeper".into(),
                },
            );
        }
        if unavailable {
            return;
        }
        let expired: Vec<u64> = st
            .sessions
            .iter()
            .filter(|(_, s)| {
                now.duration_since(s.last_heard) > s.timeout || forced.contains(&s.owner)
            })
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            let owner = st.sessions[&id].owner.clone();
            if forced.contains(&owner) {
                self.history.record(
                    "zookeeper",
                    EventKind::FaultTookEffect {
                        fault: FaultKind::SessionExpiry,
                        node: owner.clone(),
                    },
                );
            }
            // ZooKeeper closes the expired session's connection: a client still connected
            // learns of it at once, not at its next ping.
            let notify = st.sessions[&id].notify;
            st.closing.push((notify, id));
            st.close_session(id);
            self.history.record(
                "zookeeper",
                EventKind::SessionExpired { session: id, owner },
            );
        }
    }

    fn flush_outbox(self: &Arc<Self>, ep: &Endpoint) {
        let (outbox, closing) = {
            let mut st = self.state.lock().unwrap();
            (
                std::mem::take(&mut st.outbox),
                std::mem::take(&mut st.closing),
            )
        };
        for (addr, session) in closing {
            let ep = ep.clone();
            madsim::task::spawn(async move {
                let _ = call_within(&ep, addr, ConnectionClosed { session }, NOTIFY_RETRY).await;
            });
        }
        // Watches ride on the session's TCP connection in ZooKeeper, so they arrive reliably while
        // the session lives (a client that reconnects within its session is told of what fired
        // meanwhile) and never once it has ended: resend until acknowledged or the session is gone.
        for (addr, event) in outbox {
            let (server, ep) = (self.clone(), ep.clone());
            madsim::task::spawn(async move {
                while server.session_alive(event.session) {
                    if call_within(&ep, addr, event.clone(), NOTIFY_RETRY)
                        .await
                        .is_ok()
                    {
                        break;
                    }
                }
            });
        }
    }

    fn session_alive(&self, session: u64) -> bool {
        self.state.lock().unwrap().sessions.contains_key(&session)
    }
}

impl State {
    fn fire(&mut self, path: &str, kind: WatchKind) {
        let Some(sessions) = self.node_watches.remove(path) else {
            return;
        };
        for id in sessions {
            if let Some(s) = self.sessions.get(&id) {
                self.outbox.push((
                    s.notify,
                    WatchEvent {
                        session: id,
                        path: path.to_string(),
                        kind,
                    },
                ));
            }
        }
    }

    fn delete_node(&mut self, path: &str) {
        if let Some(node) = self.nodes.remove(path) {
            if let Some(owner) = node.stat.ephemeral_owner {
                if let Some(s) = self.sessions.get_mut(&owner) {
                    s.ephemerals.remove(path);
                }
            }
            self.fire(path, WatchKind::NodeDeleted);
        }
    }

    fn close_session(&mut self, id: u64) {
        if let Some(s) = self.sessions.remove(&id) {
            for path in s.ephemerals {
                self.delete_node(&path);
            }
        }
        for set in self.node_watches.values_mut() {
            set.remove(&id);
        }
        self.node_watches.retain(|_, s| !s.is_empty());
    }

    /// The nodes one level below `path`, by name (the range starts after `prefix`, which the root
    /// itself equals).
    fn children(&self, path: &str) -> Vec<(String, Stat)> {
        let prefix = if path == "/" {
            "/".to_string()
        } else {
            format!("{path}/")
        };
        self.nodes
            .range::<String, _>((Bound::Excluded(prefix.clone()), Bound::Unbounded))
            .take_while(|(p, _)| p.starts_with(&prefix))
            .filter(|(p, _)| !p[prefix.len()..].contains('/'))
            .map(|(p, n)| (p[prefix.len()..].to_string(), n.stat.clone()))
            .collect()
    }

    fn apply(&mut self, session: u64, op: ZkOp) -> Result<ZkReply, ZkError> {
        match op {
            ZkOp::Connect { .. } | ZkOp::Ping => unreachable!("handled before"),
            ZkOp::Create {
                path,
                data: _,
                ephemeral,
                sequential,
            } => {
                let par = parent(&path).to_string();
                let Some(p) = self.nodes.get_mut(&par) else {
                    return Err(ZkError::NoNode);
                };
                // ZooKeeper refuses children of an ephemeral znode.
                if p.stat.ephemeral_owner.is_some() {
                    return Err(ZkError::NoChildrenForEphemerals);
                }
                // The suffix is the parent's child version, which every create under it
                // advances, sequential or not (deletes do not), as in ZooKeeper.
                let path = if sequential {
                    format!("{path}{:010}", p.next_seq)
                } else {
                    path
                };
                if self.nodes.contains_key(&path) {
                    return Err(ZkError::NodeExists);
                }
                self.nodes.get_mut(&par).unwrap().next_seq += 1;
                let stat = Stat {
                    ctime_us: crate::history::now_us(),
                    ephemeral_owner: ephemeral.then_some(session),
                };
                self.nodes.insert(path.clone(), Znode { stat, next_seq: 0 });
                if ephemeral {
                    self.sessions
                        .get_mut(&session)
                        .unwrap()
                        .ephemerals
                        .insert(path.clone());
                }
                self.fire(&path, WatchKind::NodeCreated);
                Ok(ZkReply::Created(path))
            }
            ZkOp::Delete { path } => {
                if !self.nodes.contains_key(&path) {
                    return Err(ZkError::NoNode);
                }
                if !self.children(&path).is_empty() {
                    return Err(ZkError::NotEmpty);
                }
                self.delete_node(&path);
                Ok(ZkReply::Deleted)
            }
            ZkOp::Exists { path, watch } => {
                if watch {
                    self.node_watches
                        .entry(path.clone())
                        .or_default()
                        .insert(session);
                }
                Ok(ZkReply::Stat(self.nodes.get(&path).map(|n| n.stat.clone())))
            }
            ZkOp::GetChildren { path } => {
                if !self.nodes.contains_key(&path) {
                    return Err(ZkError::NoNode);
                }
                Ok(ZkReply::Children(self.children(&path)))
            }
            ZkOp::CloseSession => {
                self.close_session(session);
                Ok(ZkReply::Closed)
            }
        }
    }
}

#[cfg(test)]
mod tests;
