//! Conformance scripts: what a ZooKeeper client observes, on the model.
//!
//! The conformance suite (`sims/conformance.rs`) runs each scripted scenario twice: here, on the
//! model's ZooKeeper server and client (Curator's connection states, the leader recipe) under
//! madsim, and against a real ZooKeeper 3.8 server with Apache Curator clients. Both sides speak
//! this module's vocabulary: a script of [`Step`]s in, [`Observation`]s out, normalised by
//! [`normalise`] so that session ids, clocks and `ctime` units compare.
//!
//! The model side is the model's own code: the server actor, `ZkClient` with its pinger, and,
//! for [`Step::Elect`], the election recipe and leadership rule the masters use
//! (`Election`, `wait_for_leadership`, `ends_primacy` under the SESSION policy).

use crate::history::History;
use crate::vocab::ConnState;
use crate::zookeeper::election::Election;
use crate::zookeeper::server::ZkControl;
use crate::zookeeper::{
    WatchKind, ZkClient, ZkError, ZkEvent, ZkOp, ZkReply, ZkRequest, ZooKeeperServer,
};
use futures::StreamExt;
use madsim::net::{Endpoint, NetSim};
use madsim::runtime::Handle;
use madsim::time::{sleep, Instant};
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The real server's `tickTime`, and the model server's expiry tick in the suite.
pub const TICK_MS: u64 = 100;

/// How a znode is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    Persistent,
    Ephemeral,
    PersistentSequential,
    EphemeralSequential,
}

impl Mode {
    /// The driver's name for it.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Persistent => "persistent",
            Mode::Ephemeral => "ephemeral",
            Mode::PersistentSequential => "persistent-sequential",
            Mode::EphemeralSequential => "ephemeral-sequential",
        }
    }
}

/// One step of a script. Steps run in order; a call step waits for its answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// Start a client (a Curator framework) with this session timeout and Curator's connection
    /// timeout.
    Open {
        client: String,
        session_ms: u64,
        connection_ms: u64,
    },
    Create {
        client: String,
        path: String,
        mode: Mode,
    },
    Delete {
        client: String,
        path: String,
    },
    /// `exists`, leaving a one-shot watch if `watch`.
    Exists {
        client: String,
        path: String,
        watch: bool,
    },
    /// The children of `path`, each with its `ctime`.
    Children {
        client: String,
        path: String,
    },
    /// `exists` through the client's first session, whatever has become of it.
    StaleExists {
        client: String,
        path: String,
    },
    /// The server ends the client's session now.
    Expire {
        client: String,
    },
    /// Join the leader election at `path` (Curator's LeaderSelector with auto-requeue, the SESSION
    /// connection-error policy).
    Elect {
        client: String,
        path: String,
    },
    /// Close the client (and leave the election, if it is in one).
    Close {
        client: String,
    },
    /// Wait.
    Sleep {
        ms: u64,
    },
    /// Drop all of the client's traffic to and from the server, until healed.
    Cut {
        client: String,
    },
    Heal {
        client: String,
    },
    /// Delay the client's traffic by `ms` each way (0: no delay).
    Delay {
        client: String,
        ms: u64,
    },
    /// The server stops (crashes), and later starts again from its data directory.
    ServerDown,
    ServerUp,
}

impl Step {
    /// The client a step concerns, if any.
    pub fn client(&self) -> Option<&str> {
        match self {
            Step::Open { client, .. }
            | Step::Create { client, .. }
            | Step::Delete { client, .. }
            | Step::Exists { client, .. }
            | Step::Children { client, .. }
            | Step::StaleExists { client, .. }
            | Step::Expire { client }
            | Step::Elect { client, .. }
            | Step::Close { client }
            | Step::Cut { client }
            | Step::Heal { client }
            | Step::Delay { client, .. } => Some(client),
            Step::Sleep { .. } | Step::ServerDown | Step::ServerUp => None,
        }
    }
}

/// What a call answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    Created(String),
    Deleted,
    /// `exists`: the `ctime` (raw: the side's own clock; normalised: its rank among the scenario's
    /// `ctime`s) and the ephemeral owner's session (raw id; normalised: client and ordinal).
    Stat {
        ctime: i64,
        owner: String,
    },
    NoStat,
    /// Names with `ctime`s, by name.
    Children(Vec<(String, i64)>),
    Error(String),
    /// The step was carried out (open, expire, elect, close).
    Done,
}

/// One observation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum What {
    /// The answer to script step `step`.
    Reply { step: usize, reply: Reply },
    /// A Curator connection state and the session in use (raw id as hex; normalised: its ordinal
    /// among the client's sessions, 0 for none).
    State { state: String, session: String },
    /// A one-shot watch fired.
    Watch { path: String, kind: String },
    /// A watcher was told of its connection (ZooKeeper's `None` events: Disconnected, Expired).
    WatcherState { state: String },
    /// The leader recipe: leadership taken or given up.
    Leader { leads: bool },
}

/// What one client observed, when: milliseconds since the script's first step after its opening
/// `Open`s (each of which waits until its client is connected; earlier observations are at 0).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    pub at_ms: u64,
    pub client: String,
    pub what: What,
}

/// Makes both sides comparable: session ids become `client#n` (the n-th session a client was
/// seen with, from its state observations; 0 is none), and `ctime`s their dense rank among every
/// `ctime` in the scenario (so only their order is compared).
pub fn normalise(observations: &[Observation]) -> Vec<Observation> {
    let mut sessions: BTreeMap<String, String> = BTreeMap::new();
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    for o in observations {
        if let What::State { session, .. } = &o.what {
            if is_none(session) || sessions.contains_key(session) {
                continue;
            }
            let n = counts.entry(o.client.clone()).or_insert(0);
            *n += 1;
            sessions.insert(session.clone(), format!("{}#{n}", o.client));
        }
    }
    let mut ctimes: Vec<i64> = vec![];
    for o in observations {
        match &o.what {
            What::Reply {
                reply: Reply::Stat { ctime, .. },
                ..
            } => ctimes.push(*ctime),
            What::Reply {
                reply: Reply::Children(children),
                ..
            } => ctimes.extend(children.iter().map(|(_, c)| *c)),
            _ => {}
        }
    }
    ctimes.sort();
    ctimes.dedup();
    let rank = |c: &i64| ctimes.binary_search(c).unwrap() as i64 + 1;
    let session = |s: &String| {
        if is_none(s) {
            "none".to_string()
        } else {
            sessions.get(s).cloned().unwrap_or_else(|| "unknown".into())
        }
    };
    observations
        .iter()
        .map(|o| {
            let what = match &o.what {
                What::State { state, session: s } => What::State {
                    state: state.clone(),
                    session: session(s),
                },
                What::Reply { step, reply } => What::Reply {
                    step: *step,
                    reply: match reply {
                        Reply::Stat { ctime, owner } => Reply::Stat {
                            ctime: rank(ctime),
                            owner: session(owner),
                        },
                        Reply::Children(children) => {
                            let mut c: Vec<(String, i64)> =
                                children.iter().map(|(n, c)| (n.clone(), rank(c))).collect();
                            c.sort();
                            Reply::Children(c)
                        }
                        other => other.clone(),
                    },
                },
                other => other.clone(),
            };
            Observation {
                at_ms: o.at_ms,
                client: o.client.clone(),
                what,
            }
        })
        .collect()
}

fn is_none(session: &str) -> bool {
    session.is_empty() || session == "0"
}

/// The model's server address in a conformance run.
const SERVER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 2181);

struct ModelClient {
    node: madsim::runtime::NodeHandle,
    ip: IpAddr,
    zk: ZkClient,
    /// The session the client first had (for [`Step::StaleExists`]).
    first: Arc<Mutex<u64>>,
    /// Paths the script left a watch on that has not fired (the election's own watches are not
    /// the script's: a Curator recipe's watcher is not the application's).
    watched: Arc<Mutex<std::collections::BTreeSet<String>>>,
    /// The election znode while the client leads.
    leading: Arc<Mutex<Option<String>>>,
    tasks: Vec<madsim::task::JoinHandle<()>>,
}

type Log = Arc<Mutex<Vec<Observation>>>;

fn record(log: &Log, start: Instant, client: &str, what: What) {
    log.lock().unwrap().push(Observation {
        at_ms: start.elapsed().as_millis() as u64,
        client: client.to_string(),
        what,
    });
}

fn state_name(state: ConnState) -> &'static str {
    match state {
        ConnState::Connected => "CONNECTED",
        ConnState::Suspended => "SUSPENDED",
        ConnState::Reconnected => "RECONNECTED",
        ConnState::Lost => "LOST",
    }
}

fn reply_of(result: Result<ZkReply, ZkError>) -> Reply {
    match result {
        Ok(ZkReply::Created(path)) => Reply::Created(path),
        Ok(ZkReply::Deleted) => Reply::Deleted,
        Ok(ZkReply::Stat(Some(stat))) => Reply::Stat {
            ctime: stat.ctime_us as i64,
            owner: format!("{:x}", stat.ephemeral_owner.unwrap_or(0)),
        },
        Ok(ZkReply::Stat(None)) => Reply::NoStat,
        Ok(ZkReply::Children(children)) => Reply::Children(
            children
                .into_iter()
                .map(|(n, s)| (n, s.ctime_us as i64))
                .collect(),
        ),
        Ok(other) => Reply::Error(format!("unexpected {other:?}")),
        Err(e) => Reply::Error(format!("{e:?}")),
    }
}

/// Runs `script` on the model under madsim (seed `seed`, its own thread) and returns what each
/// client observed, raw (see [`normalise`]).
pub fn run_on_model(seed: u64, script: &[Step]) -> Vec<Observation> {
    let script = script.to_vec();
    crate::sim::simulate(seed, Some(Duration::from_secs(600)), move || run(seed, script))
        .expect("the conformance script ran on the model")
}

async fn run(seed: u64, script: Vec<Step>) -> Vec<Observation> {
    let handle = Handle::current();
    let control = ZkControl::default();
    let c = control.clone();
    let server = handle
        .create_node()
        .name("zookeeper")
        .ip(SERVER.ip())
        .init(move || {
            ZooKeeperServer::serve(
                SERVER,
                Duration::from_millis(TICK_MS),
                c.clone(),
                History::default(),
            )
        })
        .build();
    sleep(Duration::from_millis(1)).await;
    let net = NetSim::current();
    let log: Log = Arc::default();
    let start = Instant::now();
    let mut offset: Option<u64> = None;
    let mut clients: BTreeMap<String, ModelClient> = BTreeMap::new();
    for (i, step) in script.iter().enumerate() {
        if !matches!(step, Step::Open { .. }) && offset.is_none() {
            offset = Some(start.elapsed().as_millis() as u64);
        }
        let reply = |log: &Log, client: &str, reply: Reply| {
            record(log, start, client, What::Reply { step: i, reply })
        };
        match step {
            Step::Open {
                client,
                session_ms,
                connection_ms,
            } => {
                let ip = IpAddr::V4(Ipv4Addr::new(10, 0, 5, clients.len() as u8 + 1));
                let node = handle.create_node().name(client).ip(ip).build();
                let options = crate::options::Options {
                    zookeeper_session_timeout_ms: *session_ms,
                    zookeeper_connection_timeout_ms: *connection_ms,
                    ..crate::options::Options::fast()
                };
                let name = client.clone();
                let rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ (i as u64 + 1));
                let zk = node
                    .spawn(async move {
                        ZkClient::start(ip, SERVER, &name, &options, History::default(), None, rng)
                            .await
                    })
                    .await
                    .unwrap();
                let mut events = zk.subscribe();
                // As the real side does: the script goes on once the client is connected.
                for _ in 0..10_000 {
                    if zk.session() != 0 {
                        break;
                    }
                    sleep(Duration::from_millis(1)).await;
                }
                let first = Arc::new(Mutex::new(zk.session()));
                let watched: Arc<Mutex<std::collections::BTreeSet<String>>> = Arc::default();
                let (l, f, w, name) = (log.clone(), first.clone(), watched.clone(), client.clone());
                let listener = node.spawn(async move {
                    while let Some(event) = events.next().await {
                        let what = match event {
                            ZkEvent::Connection { state, session } => {
                                let mut first = f.lock().unwrap();
                                if *first == 0 {
                                    *first = session;
                                }
                                What::State {
                                    state: state_name(state).into(),
                                    session: format!("{session:x}"),
                                }
                            }
                            ZkEvent::Watch { path, .. } if !w.lock().unwrap().remove(&path) => {
                                continue
                            }
                            ZkEvent::Watch { path, kind } => What::Watch {
                                path,
                                kind: match kind {
                                    WatchKind::NodeCreated => "NodeCreated".into(),
                                    WatchKind::NodeDeleted => "NodeDeleted".into(),
                                },
                            },
                        };
                        record(&l, start, &name, what);
                    }
                });
                clients.insert(
                    client.clone(),
                    ModelClient {
                        node,
                        ip,
                        zk,
                        first,
                        watched,
                        leading: Arc::default(),
                        tasks: vec![listener],
                    },
                );
            }
            Step::Create { client, path, mode } => {
                let (ephemeral, sequential) = match mode {
                    Mode::Persistent => (false, false),
                    Mode::Ephemeral => (true, false),
                    Mode::PersistentSequential => (false, true),
                    Mode::EphemeralSequential => (true, true),
                };
                let op = ZkOp::Create {
                    path: path.clone(),
                    data: String::new(),
                    ephemeral,
                    sequential,
                };
                let r = call(&clients[client], op).await;
                reply(&log, client, reply_of(r));
            }
            Step::Delete { client, path } => {
                let r = call(&clients[client], ZkOp::Delete { path: path.clone() }).await;
                reply(&log, client, reply_of(r));
            }
            Step::Exists {
                client,
                path,
                watch,
            } => {
                let op = ZkOp::Exists {
                    path: path.clone(),
                    watch: *watch,
                };
                if *watch {
                    clients[client].watched.lock().unwrap().insert(path.clone());
                }
                let r = call(&clients[client], op).await;
                reply(&log, client, reply_of(r));
            }
            Step::Children { client, path } => {
                let r = call(&clients[client], ZkOp::GetChildren { path: path.clone() }).await;
                reply(&log, client, reply_of(r));
            }
            Step::StaleExists { client, path } => {
                let c = &clients[client];
                let session = *c.first.lock().unwrap();
                let op = ZkOp::Exists {
                    path: path.clone(),
                    watch: false,
                };
                let ip = c.ip;
                let r = c
                    .node
                    .spawn(async move {
                        let ep = Endpoint::bind(SocketAddr::new(ip, 0)).await.unwrap();
                        let req = ZkRequest {
                            session,
                            xid: u64::MAX,
                            op,
                        };
                        crate::deadline::call_within(&ep, SERVER, req, Duration::from_secs(5))
                            .await
                            .unwrap_or(Err(ZkError::ConnectionLoss))
                    })
                    .await
                    .unwrap();
                reply(&log, client, reply_of(r));
            }
            Step::Expire { client } => {
                control.expire_sessions_of(client);
                reply(&log, client, Reply::Done);
            }
            Step::Elect { client, path } => {
                let c = clients.get_mut(client).unwrap();
                let (zk, path, l, name) = (c.zk.clone(), path.clone(), log.clone(), client.clone());
                let leading = c.leading.clone();
                c.tasks
                    .push(c.node.spawn(elect(zk, path, leading, l, start, name)));
                reply(&log, client, Reply::Done);
            }
            Step::Close { client } => {
                let c = clients.remove(client).unwrap();
                for task in &c.tasks {
                    task.abort();
                }
                // A leader gives its leadership up, as the selector's close does; closing the
                // session then removes its election znode.
                if c.leading.lock().unwrap().take().is_some() {
                    record(&log, start, client, What::Leader { leads: false });
                }
                let zk = c.zk.clone();
                c.node.spawn(zk.close()).await.unwrap();
                reply(&log, client, Reply::Done);
            }
            Step::Sleep { ms } => sleep(Duration::from_millis(*ms)).await,
            Step::Cut { client } | Step::Heal { client } => {
                let node = clients[client].node.id();
                if matches!(step, Step::Cut { .. }) {
                    net.clog_link(node, server.id());
                    net.clog_link(server.id(), node);
                } else {
                    net.unclog_link(node, server.id());
                    net.unclog_link(server.id(), node);
                }
            }
            Step::Delay { ms, .. } => {
                let latency = if *ms == 0 {
                    Duration::from_millis(1)..Duration::from_millis(10)
                } else {
                    Duration::from_millis(*ms)..Duration::from_millis(*ms + 1)
                };
                net.update_config(|c| c.send_latency = latency);
            }
            Step::ServerDown => {
                net.clog_node(server.id());
                control.set_unavailable(true);
            }
            Step::ServerUp => {
                net.unclog_node(server.id());
                control.set_unavailable(false);
            }
        }
    }
    for (_, c) in std::mem::take(&mut clients) {
        for task in c.tasks {
            task.abort();
        }
    }
    handle.kill(server.id());
    sleep(Duration::from_millis(1)).await;
    let offset = offset.unwrap_or(0);
    let mut out = log.lock().unwrap().clone();
    for o in &mut out {
        o.at_ms = o.at_ms.saturating_sub(offset);
    }
    out
}

async fn call(client: &ModelClient, op: ZkOp) -> Result<ZkReply, ZkError> {
    let zk = client.zk.clone();
    client
        .node
        .spawn(async move { zk.call(op).await })
        .await
        .unwrap()
}

/// The leader recipe as a master runs it (`master::run`): join once the client has a session,
/// wait for leadership, lead until a connection event ends it under the SESSION policy, leave,
/// and join again.
async fn elect(
    zk: ZkClient,
    path: String,
    leading: Arc<Mutex<Option<String>>>,
    log: Log,
    start: Instant,
    name: String,
) {
    let election = Election::new(zk.clone(), &path, &name);
    let mut events = zk.subscribe();
    loop {
        while zk.session() == 0 {
            events.next().await;
        }
        while events.try_recv().is_ok() {}
        let session = zk.session();
        if session == 0 {
            continue;
        }
        let Ok((mine, _)) = election.join().await else {
            sleep(Duration::from_millis(100)).await;
            continue;
        };
        if !crate::master::selector::wait_for_leadership(&election, &mine, &mut events, session).await {
            election.leave(&mine).await;
            continue;
        }
        record(&log, start, &name, What::Leader { leads: true });
        *leading.lock().unwrap() = Some(mine.clone());
        loop {
            match events.next().await {
                Some(ZkEvent::Connection { state, session: s })
                    if crate::master::selector::ends_primacy(
                        crate::options::ConnectionErrorPolicy::Session,
                        state,
                        s,
                        session,
                    ) =>
                {
                    break
                }
                None => break,
                _ => {}
            }
        }
        *leading.lock().unwrap() = None;
        record(&log, start, &name, What::Leader { leads: false });
        election.leave(&mine).await;
    }
}
