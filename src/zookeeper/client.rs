//! The ZooKeeper client library (ZooKeeper's client plus Curator's connection states).
//!
//! A background task pings every third of the session timeout. With no answer for two thirds of
//! it (ZooKeeper's read timeout), or when the server closes the connection (it expired the
//! session), the connection is SUSPENDED at that moment. The client then tries to reconnect,
//! each attempt after ZooKeeper's random reconnect delay (below a second) and lasting a third of
//! the session timeout (ZooKeeper's connection timeout with three servers): an answer is
//! RECONNECTED with the same session, or, if the server says the session expired, LOST.
//! Suspended for a whole session timeout is LOST too (Curator's own expiry). After LOST a new
//! session is opened and RECONNECTED reported with the new id. A paused process learns all of
//! this only after it resumes and reconnects: that lag is where split brain lives. The timing
//! is checked against ZooKeeper 3.8 and Curator by `sims/conformance.rs`.
use crate::deadline::call_within;

use super::{ConnectionClosed, WatchEvent, ZkError, ZkOp, ZkReply, ZkRequest};
use futures::{FutureExt, StreamExt};
use crate::history::{EventKind, History};
use crate::vocab::ConnState;
use futures::channel::mpsc;
use madsim::net::Endpoint;
use madsim::task::JoinHandle;
use madsim::time::{sleep, Instant};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// ZooKeeper's client sleeps up to this long before a reconnect.
const RECONNECT_DELAY_MAX: Duration = Duration::from_millis(1000);

/// What a subscriber hears.
#[derive(Clone, Debug)]
pub enum ZkEvent {
    /// The connection state changed; `session` is the session id now in use (0: none).
    Connection { state: ConnState, session: u64 },
    /// A watch fired on `path` (the masters re-read what they watch and use neither field; the
    /// conformance suite compares them with ZooKeeper's).
    Watch {
        path: String,
        kind: super::WatchKind,
    },
}

struct Conn {
    session: u64,
    state: Option<ConnState>,
    last_contact: Instant,
    suspended_since: Option<Instant>,
    xid: u64,
}

struct Inner {
    ep: Endpoint,
    server: SocketAddr,
    owner: String,
    history: History,
    session_timeout: Duration,
    connection_timeout: Duration,
    conn: Mutex<Conn>,
    subscribers: Mutex<Vec<mpsc::UnboundedSender<ZkEvent>>>,
    /// The process's CPU, when it has one the pings must wait for.
    cpu: Mutex<Option<crate::cpu::Cpu>>,
}

/// A handle on one process's ZooKeeper connection. Cloning shares it.
#[derive(Clone)]
pub struct ZkClient {
    inner: Arc<Inner>,
    pinger: Arc<JoinHandle<()>>,
}

impl ZkClient {
    /// Starts connecting from `ip` to `server`, with the session and connection timeouts of
    /// `options`. `resume` reuses an old session id (only a planted bug does that: a restarted
    /// process must open a new session).
    pub async fn start(
        ip: IpAddr,
        server: SocketAddr,
        owner: &str,
        options: &crate::options::Options,
        history: History,
        resume: Option<u64>,
        rng: ChaCha8Rng,
    ) -> ZkClient {
        let ep = Endpoint::bind(SocketAddr::new(ip, 0))
            .await
            .expect("bind zookeeper client");
        let inner = Arc::new(Inner {
            ep: ep.clone(),
            server,
            owner: owner.to_string(),
            history,
            session_timeout: Duration::from_millis(options.zookeeper_session_timeout_ms),
            connection_timeout: Duration::from_millis(options.zookeeper_connection_timeout_ms),
            conn: Mutex::new(Conn {
                session: 0,
                state: None,
                last_contact: Instant::now(),
                suspended_since: None,
                xid: 0,
            }),
            subscribers: Mutex::new(vec![]),
            cpu: Mutex::new(None),
        });
        let weak = Arc::downgrade(&inner);
        ep.add_rpc_handler(move |event: WatchEvent| {
            if let Some(inner) = weak.upgrade() {
                if inner.conn.lock().unwrap().session == event.session {
                    inner.publish(ZkEvent::Watch {
                        path: event.path,
                        kind: event.kind,
                    });
                }
            }
            async {}
        });
        let (closed_tx, closed) = mpsc::unbounded();
        ep.add_rpc_handler(move |ConnectionClosed { session }| {
            let _ = closed_tx.unbounded_send(session);
            async {}
        });
        let pinger = madsim::task::spawn(inner.clone().ping_loop(resume, rng, closed));
        ZkClient {
            inner,
            pinger: Arc::new(pinger),
        }
    }

    /// Runs the pings on `cpu`: a ping waits while the process's CPU is busy, as ZooKeeper's
    /// heartbeat thread waits in a JVM under load.
    pub fn run_on(&self, cpu: crate::cpu::Cpu) {
        *self.inner.cpu.lock().unwrap() = Some(cpu);
    }

    /// Receives every later connection change and watch event.
    pub fn subscribe(&self) -> mpsc::UnboundedReceiver<ZkEvent> {
        let (tx, rx) = mpsc::unbounded();
        self.inner.subscribers.lock().unwrap().push(tx);
        rx
    }

    /// The session in use (0 while there is none).
    pub fn session(&self) -> u64 {
        self.inner.conn.lock().unwrap().session
    }

    /// Runs one operation, resending it (same request id) until answered or until
    /// `zookeeper.connection.timeout` passes, which gives [`ZkError::ConnectionLoss`].
    pub async fn call(&self, op: ZkOp) -> Result<ZkReply, ZkError> {
        let inner = &self.inner;
        let deadline = Instant::now() + inner.connection_timeout;
        let xid = {
            let mut c = inner.conn.lock().unwrap();
            c.xid += 1;
            c.xid
        };
        let attempt = inner.attempt_timeout();
        loop {
            let session = inner.conn.lock().unwrap().session;
            if session != 0 {
                let req = ZkRequest {
                    session,
                    xid,
                    op: op.clone(),
                };
                if let Ok(reply) = call_within(&inner.ep, inner.server, req, attempt).await {
                    inner.heard(session);
                    return reply;
                }
            } else {
                sleep(attempt.min(Duration::from_millis(50))).await;
            }
            if Instant::now() >= deadline {
                return Err(ZkError::ConnectionLoss);
            }
        }
    }
}

impl ZkClient {
    /// Closes the session (Curator's `close()`): ZooKeeper deletes its ephemeral znodes at once,
    /// and the pings stop. No master closes its client (a crashed process cannot), so only the
    /// conformance scripts call this.
    pub async fn close(self) {
        let _ = self.call(ZkOp::CloseSession).await;
        self.pinger.abort();
    }
}

impl Drop for ZkClient {
    fn drop(&mut self) {
        if Arc::strong_count(&self.pinger) == 1 {
            self.pinger.abort();
        }
    }
}

impl Inner {
    fn attempt_timeout(&self) -> Duration {
        (self.session_timeout / 3).max(Duration::from_millis(10))
    }

    fn publish(&self, event: ZkEvent) {
        self.subscribers
            .lock()
            .unwrap()
            .retain(|tx| tx.unbounded_send(event.clone()).is_ok());
    }

    fn transition(&self, state: ConnState, session: u64) {
        {
            let mut c = self.conn.lock().unwrap();
            c.state = Some(state);
            c.session = session;
            c.suspended_since = (state == ConnState::Suspended).then(Instant::now);
        }
        self.history
            .record(&self.owner, EventKind::Connection { state, session });
        self.publish(ZkEvent::Connection { state, session });
    }

    /// An answer arrived within `session`: the connection is good.
    fn heard(&self, session: u64) {
        let suspended = {
            let mut c = self.conn.lock().unwrap();
            if c.session != session {
                return;
            }
            c.last_contact = Instant::now();
            c.state == Some(ConnState::Suspended)
        };
        if suspended {
            self.transition(ConnState::Reconnected, session);
        }
    }

    async fn wait_for_cpu(&self) {
        let cpu = self.cpu.lock().unwrap().clone();
        if let Some(cpu) = cpu {
            cpu.turn().await;
        }
    }

    /// Pings and reconnects, as ZooKeeper's client with an ensemble of three does, and keeps
    /// Curator's connection state. Connected: a ping every third of the session timeout; no
    /// answer for two thirds of it (the read timeout), or the server closing the connection,
    /// is SUSPENDED at that moment. Suspended: after a random delay below a second, a reconnect
    /// attempt of a third of the session timeout (ZooKeeper's connection timeout with three
    /// servers), again and again; an answer in the session is RECONNECTED, SessionExpired is
    /// LOST, and a session timeout after SUSPENDED is LOST by Curator's own rule, to the
    /// millisecond. After LOST a new session is opened at once.
    async fn ping_loop(
        self: Arc<Self>,
        mut resume: Option<u64>,
        mut rng: ChaCha8Rng,
        mut closed: mpsc::UnboundedReceiver<u64>,
    ) {
        let every = self.attempt_timeout();
        let read_timeout = self.session_timeout * 2 / 3;
        let mut last_ping = Instant::now();
        let delay = |rng: &mut ChaCha8Rng| {
            Duration::from_millis(rng.gen_range(0..=RECONNECT_DELAY_MAX.as_millis() as u64))
        };
        loop {
            self.wait_for_cpu().await;
            let (session, last_contact, suspended_since) = {
                let c = self.conn.lock().unwrap();
                (c.session, c.last_contact, c.suspended_since)
            };
            // A close for a session no longer in use is old news.
            let mut dropped = false;
            while let Ok(s) = closed.try_recv() {
                dropped |= s == session && session != 0;
            }
            let now = Instant::now();
            if session == 0 {
                let notify = self.ep.local_addr().unwrap();
                let op = ZkOp::Connect {
                    timeout_ms: self.session_timeout.as_millis() as u64,
                    owner: self.owner.clone(),
                    notify,
                    resume: resume.take(),
                };
                let req = ZkRequest {
                    session: 0,
                    xid: 0,
                    op,
                };
                if let Ok(Ok(ZkReply::Session(id))) =
                    call_within(&self.ep, self.server, req, every).await
                {
                    let first = self.conn.lock().unwrap().state.is_none();
                    self.conn.lock().unwrap().last_contact = Instant::now();
                    last_ping = Instant::now();
                    let state = if first {
                        ConnState::Connected
                    } else {
                        ConnState::Reconnected
                    };
                    self.transition(state, id);
                } else {
                    sleep(delay(&mut rng)).await;
                }
                continue;
            }
            if let Some(since) = suspended_since {
                let lost_at = since + self.session_timeout;
                if now >= lost_at {
                    self.transition(ConnState::Lost, 0);
                    continue;
                }
                let req = ZkRequest {
                    session,
                    xid: 0,
                    op: ZkOp::Ping,
                };
                let limit = every.min(lost_at - now);
                let answer = call_within(&self.ep, self.server, req, limit).await;
                self.wait_for_cpu().await;
                match answer {
                    Ok(Ok(_)) => {
                        last_ping = Instant::now();
                        self.heard(session);
                    }
                    Ok(Err(ZkError::SessionExpired)) => self.lost(session),
                    _ => {
                        let left = lost_at.saturating_duration_since(Instant::now());
                        sleep(delay(&mut rng).min(left)).await;
                    }
                }
                continue;
            }
            if dropped || now >= last_contact + read_timeout {
                self.transition(ConnState::Suspended, session);
                // ZooKeeper's client waits a random time below a second before reconnecting;
                // only the reconnect tells it whether its session survived.
                sleep(delay(&mut rng)).await;
                continue;
            }
            let due = last_ping + every;
            if now >= due {
                last_ping = now;
                let req = ZkRequest {
                    session,
                    xid: 0,
                    op: ZkOp::Ping,
                };
                // Waiting for the answer ends when the next ping is due (a ping lost in a cut
                // that healed is followed by another, as ZooKeeper pings on a schedule), at the
                // read timeout, or when the server closes the connection.
                let limit = every.min((last_contact + read_timeout).saturating_duration_since(now));
                let answer = futures::select_biased! {
                    s = closed.next() => {
                        if s == Some(session) {
                            self.transition(ConnState::Suspended, session);
                            sleep(delay(&mut rng)).await;
                        }
                        continue;
                    }
                    answer = call_within(&self.ep, self.server, req, limit).fuse() => answer,
                };
                // The answer is handled only when the process gets the CPU.
                self.wait_for_cpu().await;
                match answer {
                    Ok(Ok(_)) => self.heard(session),
                    Ok(Err(ZkError::SessionExpired)) => self.lost(session),
                    _ => {}
                }
                continue;
            }
            let wake = due.min(last_contact + read_timeout);
            futures::select_biased! {
                s = closed.next() => {
                    if s == Some(session) {
                        self.transition(ConnState::Suspended, session);
                        sleep(delay(&mut rng)).await;
                    }
                }
                _ = sleep(wake - now).fuse() => {}
            }
        }
    }

    /// The server says `session` expired: LOST, if it is still the session in use.
    fn lost(&self, session: u64) {
        if self.conn.lock().unwrap().session == session {
            self.transition(ConnState::Lost, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::Role;
    use crate::zookeeper::{ZkControl, ZooKeeperServer};
    use rand::SeedableRng;

    /// Dropping the last handle on a client stops its pings, so ZooKeeper expires its session (and
    /// with it the process's ephemeral znodes, its candidacy among them) one session timeout
    /// later; a pinger left behind would keep a session alive with nobody to use it.
    #[test]
    fn dropping_the_last_handle_ends_the_session() {
        let options = crate::options::Options::fast();
        let timeout = Duration::from_millis(options.zookeeper_session_timeout_ms);
        let h = History::default();
        let expired = crate::sim::simulate(1, None, move || async move {
            let handle = madsim::runtime::Handle::current();
            let zk = h.clone();
            let _server = handle
                .create_node()
                .name(Role::ZooKeeper.name())
                .ip(Role::ZooKeeper.ip())
                .init(move || {
                    let tick = Duration::from_millis(10);
                    ZooKeeperServer::serve(
                        Role::ZooKeeper.addr(),
                        tick,
                        ZkControl::default(),
                        zk.clone(),
                    )
                })
                .build();
            let role = Role::Master(0);
            let node = handle.create_node().name(role.name()).ip(role.ip()).build();
            let ip = role.ip();
            node.spawn(async move {
                let rng = ChaCha8Rng::seed_from_u64(1);
                let client = ZkClient::start(
                    ip,
                    Role::ZooKeeper.addr(),
                    "master-0",
                    &options,
                    h.clone(),
                    None,
                    rng,
                )
                .await;
                let expired = |h: &History| {
                    (h.events().iter())
                        .filter(|e| matches!(e.kind, EventKind::SessionExpired { .. }))
                        .count()
                };
                sleep(timeout * 3).await;
                let held = (client.session(), expired(&h));
                drop(client);
                sleep(timeout * 3).await;
                (held, expired(&h))
            })
            .await
            .unwrap()
        })
        .unwrap();
        let ((session, while_held), after_drop) = expired;
        assert_ne!(session, 0, "the client opened a session");
        assert_eq!(
            (while_held, after_drop),
            (0, 1),
            "expired sessions: while held, after the drop"
        );
    }
}
