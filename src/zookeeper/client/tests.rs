//! The client's timing against the model's server.

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

/// A client of the model's server for one timing test: what it heard, when.
struct Bench {
    net: Arc<madsim::net::NetSim>,
    server: madsim::runtime::NodeHandle,
    node: madsim::runtime::NodeHandle,
    zk: ZkClient,
    control: ZkControl,
    start: Instant,
    /// Connection states with the milliseconds since `start` they came at.
    heard: Arc<Mutex<Vec<(u64, ConnState, u64)>>>,
}

impl Bench {
    /// A server (10 ms expiry tick) and one client with this session timeout, connected.
    async fn new(seed: u64, session_ms: u64) -> Bench {
        let handle = madsim::runtime::Handle::current();
        let net = madsim::net::NetSim::current();
        let control = ZkControl::default();
        let c = control.clone();
        let server = handle
            .create_node()
            .name(Role::ZooKeeper.name())
            .ip(Role::ZooKeeper.ip())
            .init(move || {
                let tick = Duration::from_millis(10);
                ZooKeeperServer::serve(Role::ZooKeeper.addr(), tick, c.clone(), History::default())
            })
            .build();
        sleep(Duration::from_millis(1)).await;
        let role = Role::Master(0);
        let node = handle.create_node().name(role.name()).ip(role.ip()).build();
        let options = crate::options::Options {
            zookeeper_session_timeout_ms: session_ms,
            zookeeper_connection_timeout_ms: session_ms / 2,
            ..crate::options::Options::fast()
        };
        let start = Instant::now();
        let heard: Arc<Mutex<Vec<(u64, ConnState, u64)>>> = Arc::default();
        let h = heard.clone();
        let zk = node
            .spawn(async move {
                let rng = ChaCha8Rng::seed_from_u64(seed);
                let ip = role.ip();
                let zk = ZkClient::start(
                    ip,
                    Role::ZooKeeper.addr(),
                    "master-0",
                    &options,
                    History::default(),
                    None,
                    rng,
                )
                .await;
                let mut events = zk.subscribe();
                madsim::task::spawn(async move {
                    while let Some(e) = events.next().await {
                        if let ZkEvent::Connection { state, session } = e {
                            let at = start.elapsed().as_millis() as u64;
                            h.lock().unwrap().push((at, state, session));
                        }
                    }
                });
                zk
            })
            .await
            .unwrap();
        while zk.session() == 0 {
            sleep(Duration::from_millis(1)).await;
        }
        Bench {
            net,
            server,
            node,
            zk,
            control,
            start,
            heard,
        }
    }

    fn ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    /// An `exists` call on the client's node: its answer.
    async fn exists(&self) -> Result<ZkReply, ZkError> {
        let zk = self.zk.clone();
        let op = ZkOp::Exists {
            path: "/".into(),
            watch: false,
        };
        self.node
            .spawn(async move { zk.call(op).await })
            .await
            .unwrap()
    }

    /// An `exists` call that must succeed; returns when it was answered.
    async fn call(&self) -> u64 {
        let answer = self.exists().await;
        assert!(answer.is_ok(), "{answer:?}");
        self.ms()
    }

    fn cut(&self, cut: bool) {
        let (a, b) = (self.node.id(), self.server.id());
        if cut {
            self.net.clog_link(a, b);
            self.net.clog_link(b, a);
        } else {
            self.net.unclog_link(a, b);
            self.net.unclog_link(b, a);
        }
    }

    fn heard(&self) -> Vec<(u64, ConnState, u64)> {
        self.heard.lock().unwrap().clone()
    }

    /// When the client first heard `state` after `from` ms.
    fn when(&self, state: ConnState, from: u64) -> u64 {
        let heard = self.heard();
        heard
            .iter()
            .find(|(at, s, _)| *s == state && *at >= from)
            .unwrap_or_else(|| panic!("no {state:?} after {from} ms: {heard:?}"))
            .0
    }
}

fn on_seed<T: Send + 'static, Fut: std::future::Future<Output = T> + 'static>(
    seed: u64,
    f: impl FnOnce() -> Fut + Send + 'static,
) -> T {
    crate::sim::simulate(seed, Some(Duration::from_secs(120)), f).unwrap()
}

/// A cut shorter than the read timeout costs nothing: a ping lost in it is sent again, as TCP
/// retransmits it, and gets through once the cut heals (a pinger that waited a whole interval
/// after each lost ping suspended here, and could lose the session).
#[test]
fn a_cut_shorter_than_the_read_timeout_changes_nothing() {
    for seed in 1..=5 {
        let heard = on_seed(seed, move || async move {
            let b = Bench::new(seed, 3_000).await;
            b.call().await;
            b.cut(true);
            sleep(Duration::from_millis(1_500)).await;
            b.cut(false);
            sleep(Duration::from_secs(6)).await;
            b.heard()
        });
        let states: Vec<ConnState> = heard.iter().map(|h| h.1).collect();
        assert_eq!(states, vec![ConnState::Connected], "seed {seed}: {heard:?}");
    }
}

/// A round trip longer than the ping interval but shorter than the read timeout keeps the
/// connection: ZooKeeper sends each ping when it is due, not after the last one was answered.
/// (A pinger that gave up on an answer when the next ping was due never heard one here.)
#[test]
fn a_round_trip_longer_than_the_ping_interval_keeps_the_connection() {
    for seed in 1..=5 {
        let heard = on_seed(seed, move || async move {
            // Session 3 s: a ping every 1 s, read timeout 2 s. The round trip grows in steps
            // (a step of more than a third of the session timeout would outlast the read
            // timeout once): 600 ms, then 1400 ms.
            let b = Bench::new(seed, 3_000).await;
            for each_way in [300, 700] {
                b.net.update_config(|c| {
                    c.send_latency =
                        Duration::from_millis(each_way)..Duration::from_millis(each_way + 1)
                });
                sleep(Duration::from_secs(5)).await;
            }
            b.heard()
        });
        let states: Vec<ConnState> = heard.iter().map(|h| h.1).collect();
        assert_eq!(states, vec![ConnState::Connected], "seed {seed}: {heard:?}");
    }
}

/// ZooKeeper pings a third of the session timeout after the client last sent anything, calls
/// included. So when the round trip grows past that third right after a call, the first ping's
/// answer comes too late, whatever the seed: SUSPENDED at the read timeout after the call's
/// answer, plus the connection's cleanup. (With pings on a schedule of their own, the outcome
/// depended on the seed.)
#[test]
fn a_slow_round_trip_right_after_a_call_suspends_at_the_read_timeout() {
    for seed in 1..=8 {
        let (answered, suspended) = on_seed(seed, move || async move {
            let b = Bench::new(seed, 2_000).await;
            sleep(Duration::from_millis(300)).await;
            let answered = b.call().await;
            b.net.update_config(|c| {
                c.send_latency = Duration::from_millis(400)..Duration::from_millis(401)
            });
            sleep(Duration::from_secs(3)).await;
            (answered, b.when(ConnState::Suspended, 0))
        });
        let expected = answered + 1_333 + CLEANUP.as_millis() as u64;
        assert!(
            suspended.abs_diff(expected) <= 2,
            "seed {seed}: SUSPENDED at {suspended} ms, expected {expected} ms"
        );
    }
}

/// A reconnect attempt is a new TCP connection: if the cut heals while it waits, its SYN's
/// retransmission 1 s in gets it through, within the same attempt; an attempt shorter than that
/// is lost whole.
#[test]
fn a_connection_attempt_crosses_a_heal_at_its_syn_retransmission() {
    for limit_ms in [2_000, 900] {
        let (answer, took) = on_seed(1, move || async move {
            let b = Bench::new(1, 30_000).await;
            let (inner, session) = (b.zk.inner.clone(), b.zk.session());
            b.cut(true);
            let started = b.ms();
            let attempt = b.node.spawn(async move {
                let req = ZkRequest {
                    session,
                    xid: 0,
                    op: ZkOp::Ping,
                };
                inner.attempt(req, Duration::from_millis(limit_ms)).await
            });
            sleep(Duration::from_millis(500)).await;
            b.cut(false);
            let answer = attempt.await.unwrap();
            (answer.map(|a| a.is_ok()).ok(), b.ms() - started)
        });
        if limit_ms == 2_000 {
            assert_eq!(answer, Some(true), "answered at the retransmission");
            assert!((1_000..=1_025).contains(&took), "after {took} ms");
        } else {
            assert_eq!(answer, None, "no retransmission within 900 ms");
            assert_eq!(took, 900);
        }
    }
}

/// Curator's own LOST, a session timeout after SUSPENDED, waits for ZooKeeper's client thread:
/// a reconnect delay or a cleanup it is sleeping is slept out, and the handle's close costs one
/// more cleanup. So it comes between T + 100 ms and T + 1.2 s after SUSPENDED, and later than
/// T + 100 ms for some seeds.
#[test]
fn curators_own_lost_waits_for_zookeepers_client_thread() {
    let mut lates = vec![];
    for seed in 1..=10 {
        let (suspended, lost) = on_seed(seed, move || async move {
            let b = Bench::new(seed, 1_000).await;
            b.call().await;
            b.cut(true);
            sleep(Duration::from_secs(4)).await;
            let suspended = b.when(ConnState::Suspended, 0);
            (suspended, b.when(ConnState::Lost, suspended))
        });
        let late = lost - suspended - 1_000;
        assert!(
            (100..=1_200).contains(&late),
            "seed {seed}: LOST {late} ms past the deadline"
        );
        lates.push(late);
    }
    assert!(
        lates.iter().any(|l| *l > 110),
        "no seed waited for a reconnect delay: {lates:?}"
    );
}

/// The server closes an expired session's connection, so a connected client hears of the
/// expiry at once (after the cleanup), not at its next ping; its reconnect is then told the
/// session expired: LOST, and a new session.
#[test]
fn an_expiry_while_connected_suspends_at_once() {
    for seed in 1..=5 {
        let (expired_at, heard) = on_seed(seed, move || async move {
            let b = Bench::new(seed, 6_000).await;
            sleep(Duration::from_millis(300)).await;
            b.control.expire_sessions_of("master-0");
            let expired_at = b.ms();
            sleep(Duration::from_secs(3)).await;
            (expired_at, b.heard())
        });
        let states: Vec<ConnState> = heard.iter().map(|h| h.1).collect();
        use ConnState::*;
        assert_eq!(
            states,
            vec![Connected, Suspended, Lost, Reconnected],
            "seed {seed}: {heard:?}"
        );
        // The expiry at the next 10 ms tick, the close within 10 ms, then the cleanup.
        let suspended = heard[1].0 - expired_at;
        assert!(
            (100..=125).contains(&suspended),
            "seed {seed}: SUSPENDED {suspended} ms after"
        );
        assert_ne!(heard[3].2, heard[0].2, "a new session");
    }
}

/// A call made while SUSPENDED waits for the client's own reconnect, and its answer is not what
/// reconnects: once the server's answers get through again, a call is answered after the ping
/// loop's RECONNECTED, and the connection then stays up with no fault at all. (When a
/// call's answer reported RECONNECTED while the ping loop still slept out its cleanup and
/// reconnect delay, nothing pinged, and the read timeout suspended a healthy connection: a
/// primary lost its session after every fault had healed.)
#[test]
fn a_call_while_suspended_waits_for_the_reconnect_and_the_connection_then_stays_up() {
    for seed in 1..=30 {
        let (heard, answered) = on_seed(seed, move || async move {
            let b = Bench::new(seed, 1_500).await;
            b.call().await;
            // The server's answers are lost, not the client's requests: the session stays alive
            // at the server all along, while the client suspends and its attempts fail.
            let (client, server) = (b.node.id(), b.server.id());
            b.net.clog_link(server, client);
            while !b.heard().iter().any(|h| h.1 == ConnState::Suspended) {
                sleep(Duration::from_millis(5)).await;
            }
            // Healed while the client is in a reconnect attempt begun in the cut (lost whole:
            // shorter than TCP's first SYN retransmission) or sleeping after one.
            sleep(Duration::from_millis(500)).await;
            b.net.unclog_link(server, client);
            // One call, made again until answered (one waiting longer than the connection
            // timeout ends ConnectionLoss); then none: only pings keep the connection.
            let mut answered = vec![];
            while answered.is_empty() {
                match b.exists().await {
                    Ok(_) => answered.push(b.ms()),
                    Err(e) => assert_eq!(e, ZkError::ConnectionLoss, "seed {seed}"),
                }
            }
            sleep(Duration::from_secs(6)).await;
            (b.heard(), answered)
        });
        // Reconnected in the session, or, when no attempt got through within the session
        // timeout after SUSPENDED, Curator's LOST and a new session; never suspended again.
        let states: Vec<ConnState> = heard.iter().map(|h| h.1).collect();
        use ConnState::*;
        assert!(
            states == [Connected, Suspended, Reconnected]
                || states == [Connected, Suspended, Lost, Reconnected],
            "seed {seed}: {heard:?}"
        );
        let reconnected = heard.last().unwrap().0;
        assert!(!answered.is_empty(), "seed {seed}: no call answered");
        assert!(
            answered.iter().all(|a| *a >= reconnected),
            "seed {seed}: a call answered before RECONNECTED at {reconnected} ms: {answered:?}"
        );
    }
}
