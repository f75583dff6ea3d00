//! The scripts run on the model: its ZooKeeper server and clients under madsim.

use super::{Mode, Observation, Reply, Schedule, Step, What, TICK_MS};
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
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The network's latency each way in a conformance run: the real side runs on loopback, where
/// a call takes well under a millisecond, and the model's default (1 to 10 ms each way) would
/// make a burst of calls run tens of milliseconds long.
const LOOPBACK: std::ops::Range<Duration> = Duration::from_millis(1)..Duration::from_millis(2);

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
    /// The client's events as recorded, for the election (taken by [`Step::Elect`]).
    forwarded: Option<futures::channel::mpsc::UnboundedReceiver<ZkEvent>>,
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
/// client observed, raw (see [`normalise`](super::normalise)).
pub fn run_on_model(seed: u64, script: &[Step]) -> Vec<Observation> {
    let script = script.to_vec();
    crate::sim::simulate(seed, Some(Duration::from_secs(600)), move || {
        run(seed, script)
    })
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
    net.update_config(|c| c.send_latency = LOOPBACK);
    let log: Log = Arc::default();
    let start = Instant::now();
    let mut offset: Option<u64> = None;
    let mut clients: BTreeMap<String, ModelClient> = BTreeMap::new();
    // Each step after the opening `Open`s runs once due (see [`Schedule`]).
    let mut schedule = Schedule::default();
    let ms_since = |offset: u64| (start.elapsed().as_millis() as u64).saturating_sub(offset);
    for (i, step) in script.iter().enumerate() {
        if !matches!(step, Step::Open { .. }) && offset.is_none() {
            offset = Some(start.elapsed().as_millis() as u64);
        }
        if let Some(offset) = offset {
            let due = start + Duration::from_millis(offset + schedule.due());
            madsim::time::sleep_until(due).await;
            if let Step::Sleep { ms } = step {
                schedule.sleep(*ms, ms_since(offset));
            }
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
                // The recorder is the client's one subscriber and passes each event on to the
                // election, so that a leader's reaction is recorded after the state causing it.
                let (forward, forwarded) = futures::channel::mpsc::unbounded();
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
                        let what = match &event {
                            ZkEvent::Connection { state, session } => {
                                let mut first = f.lock().unwrap();
                                if *first == 0 {
                                    *first = *session;
                                }
                                Some(What::State {
                                    state: state_name(*state).into(),
                                    session: format!("{session:x}"),
                                })
                            }
                            ZkEvent::Watch { path, kind } => {
                                w.lock().unwrap().remove(path).then(|| What::Watch {
                                    path: path.clone(),
                                    kind: match kind {
                                        WatchKind::NodeCreated => "NodeCreated".into(),
                                        WatchKind::NodeDeleted => "NodeDeleted".into(),
                                    },
                                })
                            }
                        };
                        if let Some(what) = what {
                            record(&l, start, &name, what);
                        }
                        let _ = forward.unbounded_send(event);
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
                        forwarded: Some(forwarded),
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
                // Done once the server has ended the session, as the real side's expiry is.
                control.expire_sessions_of(client);
                while control.expiry_pending(client) {
                    sleep(Duration::from_millis(1)).await;
                }
                reply(&log, client, Reply::Done);
            }
            Step::Elect { client, path } => {
                let c = clients.get_mut(client).unwrap();
                let (zk, path, l, name) = (c.zk.clone(), path.clone(), log.clone(), client.clone());
                let leading = c.leading.clone();
                let events = c.forwarded.take().expect("one election per client");
                c.tasks.push(
                    c.node
                        .spawn(elect(zk, path, events, leading, l, start, name)),
                );
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
            // The wait is the next step's (see above).
            Step::Sleep { .. } => {}
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
                    LOOPBACK
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
    if let Some(offset) = offset {
        madsim::time::sleep_until(start + Duration::from_millis(offset + schedule.due())).await;
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
    mut events: futures::channel::mpsc::UnboundedReceiver<ZkEvent>,
    leading: Arc<Mutex<Option<String>>>,
    log: Log,
    start: Instant,
    name: String,
) {
    let election = Election::new(zk.clone(), &path, &name);
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
        if !crate::master::selector::wait_for_leadership(&election, &mine, &mut events, session)
            .await
        {
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
