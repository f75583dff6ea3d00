//! The ZooKeeper client library (ZooKeeper's client plus Curator's connection states).
//!
//! A background task pings once the client has sent nothing for a third of the session timeout,
//! without waiting for the previous ping's answer. With no answer for two thirds of it
//! (ZooKeeper's read timeout), or when the server closes the connection (it expired the
//! session), the connection is SUSPENDED at that moment. The client then tries to reconnect,
//! each attempt after ZooKeeper's random reconnect delay (below a second) and lasting a third of
//! the session timeout (ZooKeeper's connection timeout with three servers), its request sent
//! again at TCP's SYN retransmissions (1 s, 3 s, 7 s into the attempt): an answer is
//! RECONNECTED with the same session, or, if the server says the session expired, LOST.
//! Suspended for a whole session timeout is LOST too (Curator's own expiry). After LOST a new
//! session is opened and RECONNECTED reported with the new id. A call made while SUSPENDED
//! waits for that reconnect (ZooKeeper queues it, Curator blocks until connected), and an answer
//! that comes on a connection closed since is not read: only the ping loop reconnects. A paused
//! process learns all of this only after it resumes and reconnects: that lag is where split
//! brain lives. Each lost connection costs ZooKeeper's client a 100 ms cleanup, and Curator's
//! own LOST waits for the client's reconnect delay to end (see `ping_loop`). The timing is checked against ZooKeeper
//! 3.8 and Curator by the conformance suite (`sims/conformance/`).
use crate::deadline::call_within;

use super::{ConnectionClosed, WatchEvent, ZkError, ZkOp, ZkReply, ZkRequest};
use crate::history::{EventKind, History};
use crate::vocab::ConnState;
use futures::channel::mpsc;
use futures::{FutureExt, StreamExt};
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

/// How long ZooKeeper's client sleeps when it cleans up a lost connection, before it reports
/// Disconnected or tries again (`ClientCnxnSocketNIO.cleanup`).
const CLEANUP: Duration = Duration::from_millis(100);

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
    /// When the client last sent anything on its connection: ZooKeeper pings a third of the
    /// session timeout after that, so calls put pings off.
    last_send: Instant,
    suspended_since: Option<Instant>,
    xid: u64,
    /// The connection in use: a new one begins at each SUSPENDED and LOST (ZooKeeper's client
    /// closes its socket), and a ping's answer counts only on the connection that sent it.
    connection: u64,
    /// The connection is being closed (its cleanup, before the state it leads to is reported):
    /// no answer counts.
    closing: bool,
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
    /// Tells the pinger that the server closed the connection of a session.
    closed: mpsc::UnboundedSender<u64>,
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
        let (closed_tx, closed) = mpsc::unbounded();
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
                last_send: Instant::now(),
                suspended_since: None,
                xid: 0,
                connection: 0,
                closing: false,
            }),
            subscribers: Mutex::new(vec![]),
            cpu: Mutex::new(None),
            closed: closed_tx.clone(),
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
            // A request goes out only on a live connection: while SUSPENDED it waits for the
            // client's own reconnect (ZooKeeper queues it; Curator blocks until connected), so
            // only the ping loop reconnects.
            let (session, connection, live) = {
                let c = inner.conn.lock().unwrap();
                let live = c.state != Some(ConnState::Suspended) && !c.closing;
                (c.session, c.connection, live)
            };
            if session != 0 && live {
                let req = ZkRequest {
                    session,
                    xid,
                    op: op.clone(),
                };
                inner.conn.lock().unwrap().last_send = Instant::now();
                match call_within(&inner.ep, inner.server, req, attempt).await {
                    // The server closed the session's connection; this answer is the same news,
                    // not a sign of a good connection.
                    Ok(Err(ZkError::SessionExpired)) => {
                        let _ = inner.closed.unbounded_send(session);
                        return Err(ZkError::SessionExpired);
                    }
                    // An answer on a connection closed since is never read: the request is sent
                    // again (same request id) once the client has reconnected.
                    Ok(_) if inner.conn.lock().unwrap().connection != connection => {}
                    Ok(reply) => {
                        inner.heard(session);
                        return reply;
                    }
                    Err(_) => {}
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
        // Answers to pings still in flight belong to a closed connection.
        self.inner.conn.lock().unwrap().connection += 1;
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
            if matches!(state, ConnState::Suspended | ConnState::Lost) {
                c.connection += 1;
            }
            c.closing = false;
        }
        self.history
            .record(&self.owner, EventKind::Connection { state, session });
        self.publish(ZkEvent::Connection { state, session });
    }

    /// An answer arrived within `session`: the connection is good.
    fn heard(&self, session: u64) {
        let suspended = {
            let mut c = self.conn.lock().unwrap();
            if c.session != session || c.closing {
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
    /// Curator's connection state. Connected: a ping once the client has sent nothing (no call,
    /// no ping) for a third of the session timeout, whether or not the last ping was answered;
    /// no answer for two thirds of it (the read timeout), or the server closing the connection,
    /// is SUSPENDED after the connection's cleanup ([`CLEANUP`]). Suspended: after a random
    /// delay below a second, a reconnect attempt of a third of the session timeout (ZooKeeper's
    /// connection timeout with three servers; its SYN retransmitted, see [`Inner::attempt`]),
    /// each failed one cleaned up, again and again; an answer in the session is RECONNECTED,
    /// SessionExpired is LOST after a cleanup, and a session timeout after SUSPENDED Curator
    /// declares LOST by its own rule, once ZooKeeper's client thread lets its handle close: at
    /// once during an attempt, after the cleanup or reconnect delay it is sleeping otherwise,
    /// plus a cleanup. After LOST a new session is opened at once.
    async fn ping_loop(
        self: Arc<Self>,
        mut resume: Option<u64>,
        mut rng: ChaCha8Rng,
        mut closed: mpsc::UnboundedReceiver<u64>,
    ) {
        let every = self.attempt_timeout();
        let read_timeout = self.session_timeout * 2 / 3;
        let delay = |rng: &mut ChaCha8Rng| {
            Duration::from_millis(rng.gen_range(0..=RECONNECT_DELAY_MAX.as_millis() as u64))
        };
        loop {
            self.wait_for_cpu().await;
            let (session, last_contact, last_send, suspended_since) = {
                let c = self.conn.lock().unwrap();
                (c.session, c.last_contact, c.last_send, c.suspended_since)
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
                if let Ok(Ok(ZkReply::Session(id))) = self.attempt(req, every).await {
                    let first = self.conn.lock().unwrap().state.is_none();
                    self.conn.lock().unwrap().last_contact = Instant::now();
                    let state = if first {
                        ConnState::Connected
                    } else {
                        ConnState::Reconnected
                    };
                    self.transition(state, id);
                } else {
                    sleep(CLEANUP + delay(&mut rng)).await;
                }
                continue;
            }
            if let Some(since) = suspended_since {
                let lost_at = since + self.session_timeout;
                if now >= lost_at {
                    // Curator's own LOST: the session expiry it injects makes it close the old
                    // handle, which waits for ZooKeeper's client thread to finish what it is
                    // doing (an attempt ends at once; a reconnect delay or cleanup is slept out,
                    // below) and clean up once more.
                    self.close_connection();
                    sleep(CLEANUP).await;
                    self.transition(ConnState::Lost, 0);
                    continue;
                }
                let req = ZkRequest {
                    session,
                    xid: 0,
                    op: ZkOp::Ping,
                };
                let limit = every.min(lost_at - now);
                let answer = self.attempt(req, limit).await;
                self.wait_for_cpu().await;
                match answer {
                    Ok(Ok(_)) => self.heard(session),
                    Ok(Err(ZkError::SessionExpired)) => {
                        self.close_connection();
                        sleep(CLEANUP).await;
                        self.lost(session);
                    }
                    // An attempt cut short by Curator's deadline: LOST next.
                    _ if Instant::now() >= lost_at => {}
                    // A failed attempt: the connection's cleanup and the reconnect delay are
                    // slept out whole, even past Curator's deadline.
                    _ => sleep(CLEANUP + delay(&mut rng)).await,
                }
                continue;
            }
            if dropped || now >= last_contact + read_timeout {
                self.suspend(session, &mut rng).await;
                continue;
            }
            let due = last_send + every;
            if now >= due {
                self.conn.lock().unwrap().last_send = now;
                self.ping(session, read_timeout);
                continue;
            }
            let wake = due.min(last_contact + read_timeout);
            futures::select_biased! {
                s = closed.next() => {
                    if s == Some(session) {
                        self.suspend(session, &mut rng).await;
                    }
                }
                _ = sleep(wake - now).fuse() => {}
            }
        }
    }

    /// The connection is lost (read timeout, or closed by the server): ZooKeeper's client closes
    /// it and cleans up, then reports Disconnected (SUSPENDED), then waits a random time below a
    /// second before reconnecting; only the reconnect tells it whether its session survived.
    async fn suspend(&self, session: u64, rng: &mut ChaCha8Rng) {
        self.close_connection();
        sleep(CLEANUP).await;
        self.transition(ConnState::Suspended, session);
        let delay = rng.gen_range(0..=RECONNECT_DELAY_MAX.as_millis() as u64);
        sleep(Duration::from_millis(delay)).await;
    }

    /// Sends a ping on the connection in use without waiting for it: as in ZooKeeper, the next
    /// ping goes when it is due whether or not this one was answered, so a round trip longer than
    /// the ping interval (but shorter than the read timeout) keeps the connection. The answer
    /// counts if it comes on the same connection (before a SUSPENDED) and within `limit`, and
    /// only once the process gets the CPU.
    fn ping(self: &Arc<Self>, session: u64, limit: Duration) {
        let connection = self.conn.lock().unwrap().connection;
        let inner = self.clone();
        madsim::task::spawn(async move {
            let req = ZkRequest {
                session,
                xid: 0,
                op: ZkOp::Ping,
            };
            let answer = inner.send(req, limit, &DATA_RETRIES, false).await;
            inner.wait_for_cpu().await;
            if inner.conn.lock().unwrap().connection != connection {
                return;
            }
            match answer {
                Ok(Ok(_)) => inner.heard(session),
                // ZooKeeper closes an expired session's connection; an answer saying so on a
                // ping is the same news.
                Ok(Err(ZkError::SessionExpired)) => {
                    let _ = inner.closed.unbounded_send(session);
                }
                _ => {}
            }
        });
    }

    /// The connection in use is closed: answers still in flight on it, and any that come during
    /// its cleanup, do not count.
    fn close_connection(&self) {
        let mut c = self.conn.lock().unwrap();
        c.connection += 1;
        c.closing = true;
    }

    /// The server says `session` expired: LOST, if it is still the session in use.
    fn lost(&self, session: u64) {
        if self.conn.lock().unwrap().session == session {
            self.transition(ConnState::Lost, 0);
        }
    }
}

mod retransmit;
use retransmit::DATA_RETRIES;
#[cfg(test)]
mod tests;
