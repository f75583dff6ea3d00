//! The simulated cluster and its scripting API.
//!
//! [`Cluster::start`] builds ZooKeeper, the UFS, the masters, workers and clients as madsim nodes.
//! The verbs below come in inverse pairs (kill / restart, pause / resume), each recorded in the
//! history. Everything here must run inside a madsim runtime; [`crate::sim::simulate`] makes one.
use crate::deadline::call_within;

use crate::client::MasterClient;
use crate::history::{EventKind, History};
use crate::journal::JournalStore;
use crate::master::rpc::{MasterOp, MasterReply, MasterRequest, MasterStatus};
use crate::master::{self, MasterDisk, MasterSetup};
use crate::net::Role;
use crate::op::CallError;
use crate::op::{FsOp, FsReply};
use crate::options::Options;
use crate::ufs::UfsFaults;
use crate::zookeeper::{ZkControl, ZooKeeperServer};
use madsim::net::{Endpoint, NetSim};
use madsim::runtime::{Handle, NodeHandle};
use madsim::time::{sleep, Instant};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A running cluster.
pub struct Cluster {
    pub options: Arc<Options>,
    pub history: History,
    pub seed: u64,
    handle: Handle,
    nodes: BTreeMap<Role, NodeHandle>,
    clients: Vec<Arc<MasterClient>>,
    ufs: Arc<JournalStore>,
    pub zk_control: ZkControl,
    pub ufs_faults: UfsFaults,
    admin: Endpoint,
    /// How far [`Cluster::restart_exited`] has read the history, and which nodes were down then.
    exits_seen: Mutex<(usize, BTreeMap<String, bool>)>,
}

impl Cluster {
    /// Starts every node and waits until a primary serves (or `failover_bound_ms` passes).
    pub async fn start(seed: u64, options: Options) -> Cluster {
        let options = Arc::new(options);
        let history = History::default();
        let handle = Handle::current();
        let zk_control = ZkControl::default();
        let ufs_faults = UfsFaults::new(history.clone());
        let ufs = JournalStore::new(ufs_faults.clone());
        let mut nodes = BTreeMap::new();

        let tick = Duration::from_millis((options.zookeeper_session_timeout_ms / 20).max(1));
        let (c, h) = (zk_control.clone(), history.clone());
        let zk = handle
            .create_node()
            .name(Role::ZooKeeper.name())
            .ip(Role::ZooKeeper.ip())
            .init(move || {
                ZooKeeperServer::serve(Role::ZooKeeper.addr(), tick, c.clone(), h.clone())
            })
            .build();
        nodes.insert(Role::ZooKeeper, zk);
        let u = ufs.clone();
        let ufs_node = handle
            .create_node()
            .name(Role::Ufs.name())
            .ip(Role::Ufs.ip())
            .init(move || JournalStore::serve(Role::Ufs.addr(), u.clone()))
            .build();
        nodes.insert(Role::Ufs, ufs_node);
        sleep(Duration::from_millis(1)).await;

        for index in 0..options.masters {
            let setup = MasterSetup {
                index,
                options: options.clone(),
                history: history.clone(),
                seed,
                disk: Arc::new(MasterDisk::default()),
                incarnation: Arc::new(AtomicU64::new(0)),
            };
            let role = Role::Master(index);
            let node = handle
                .create_node()
                .name(role.name())
                .ip(role.ip())
                .init(move || master::run(setup.clone()))
                .build();
            nodes.insert(role, node);
        }
        for index in 0..options.workers {
            let role = Role::Worker(index);
            let (o, h) = (options.clone(), history.clone());
            let incarnation = Arc::new(AtomicU64::new(0));
            let node = handle
                .create_node()
                .name(role.name())
                .ip(role.ip())
                .init(move || {
                    let n = incarnation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    crate::worker::run(index, o.clone(), h.clone(), seed, n)
                })
                .build();
            nodes.insert(role, node);
        }
        let mut clients = vec![];
        for index in 0..options.clients {
            let role = Role::Client(index);
            let node = handle.create_node().name(role.name()).ip(role.ip()).build();
            let (o, h) = (options.clone(), history.clone());
            clients.push(
                node.spawn(MasterClient::connect(role, o, h, seed, 0))
                    .await
                    .expect("client starts"),
            );
            nodes.insert(role, node);
        }
        let harness = handle
            .create_node()
            .name(Role::Harness.name())
            .ip(Role::Harness.ip())
            .build();
        let admin = harness
            .spawn(Endpoint::bind(SocketAddr::new(Role::Harness.ip(), 0)))
            .await
            .unwrap()
            .expect("bind harness");
        nodes.insert(Role::Harness, harness);

        let cluster = Cluster {
            options,
            history,
            seed,
            handle,
            nodes,
            clients,
            ufs,
            zk_control,
            ufs_faults,
            admin,
            exits_seen: Mutex::default(),
        };
        let bound = Duration::from_millis(cluster.options.failover_bound_ms());
        cluster.wait_for_primary(bound).await;
        cluster
    }

    /// The madsim node of a role.
    pub fn node(&self, role: Role) -> &NodeHandle {
        self.nodes
            .get(&role)
            .unwrap_or_else(|| panic!("no node {}", role.name()))
    }

    /// Every node a fault can touch: all but the harness, which only observes.
    pub fn roles(&self) -> Vec<Role> {
        self.nodes
            .keys()
            .copied()
            .filter(|r| *r != Role::Harness)
            .collect()
    }

    fn harness_event(&self, role: Role, kind: EventKind) {
        self.history.record(&role.name(), kind);
    }

    /// Crashes a node: every task stops and unflushed data is lost. Undone by [`Cluster::restart`].
    pub fn kill(&self, role: Role) {
        self.handle.kill(self.node(role).id());
        self.harness_event(role, EventKind::NodeCrash);
    }

    /// Starts a crashed node again as a new process (new incarnation, new sessions). Inverse of
    /// [`Cluster::kill`]; restarting a live node kills it first.
    pub fn restart(&self, role: Role) {
        let id = self.node(role).id();
        self.handle.kill(id);
        self.handle.restart(id);
        self.harness_event(role, EventKind::NodeRestart);
    }

    /// Starts again every master or worker that exited on its own (a master whose flushes failed
    /// past the flush timeout, a worker past its heartbeat timeout), as the process supervisor of
    /// a real deployment would. Returns how many it restarted.
    pub fn restart_exited(&self) -> usize {
        let exited = self.history.with_events(|events| {
            let mut seen = self.exits_seen.lock().unwrap();
            let (read, exited) = &mut *seen;
            for e in events.get(*read..).unwrap_or_default() {
                match e.kind {
                    EventKind::MasterExit { .. } | EventKind::WorkerExit { .. } => {
                        exited.insert(e.node.clone(), true);
                    }
                    EventKind::NodeRestart => {
                        exited.insert(e.node.clone(), false);
                    }
                    _ => {}
                }
            }
            *read = events.len();
            exited.clone()
        });
        let mut restarted = 0;
        let roles = (0..self.options.masters)
            .map(Role::Master)
            .chain((0..self.options.workers).map(Role::Worker));
        for role in roles {
            if exited.get(&role.name()) == Some(&true) {
                self.restart(role);
                restarted += 1;
            }
        }
        restarted
    }

    /// Freezes a node (a GC pause): nothing on it runs, messages to it queue. Undone by
    /// [`Cluster::resume`].
    pub fn pause(&self, role: Role) {
        self.handle.pause(self.node(role).id());
        self.harness_event(role, EventKind::NodePause);
    }

    /// Lets a paused node run again. Inverse of [`Cluster::pause`].
    pub fn resume(&self, role: Role) {
        self.handle.resume(self.node(role).id());
        self.harness_event(role, EventKind::NodeResume);
    }

    /// The network, for partitions and message loss.
    pub fn net(&self) -> Arc<NetSim> {
        NetSim::current()
    }

    /// A master's status through its admin port, if it answers within a second.
    pub async fn master_status(&self, index: usize) -> Option<MasterStatus> {
        self.master_status_within(index, Duration::from_secs(1))
            .await
    }

    /// A master's status, if it answers within `limit` (a master busy replaying answers late).
    pub async fn master_status_within(
        &self,
        index: usize,
        limit: Duration,
    ) -> Option<MasterStatus> {
        let addr = Role::Master(index).addr();
        let status = MasterRequest(MasterOp::Status);
        match call_within(&self.admin, addr, status, limit).await {
            Ok(Ok(MasterReply::Status(s))) => Some(s),
            _ => None,
        }
    }

    /// The workers master `index` knows (`GetWorkerList`, which Alluxio's clients ask before
    /// writing blocks), or `None` if it refused or did not answer within `limit`.
    pub async fn worker_list_within(
        &self,
        index: usize,
        limit: Duration,
    ) -> Option<Vec<(u64, String)>> {
        let addr = Role::Master(index).addr();
        let request = MasterRequest(MasterOp::GetWorkerList);
        match call_within(&self.admin, addr, request, limit).await {
            Ok(Ok(MasterReply::Workers(workers))) => Some(workers),
            _ => None,
        }
    }

    /// The master that reports itself primary with the highest term, if any.
    pub async fn primary(&self) -> Option<usize> {
        let mut best: Option<(u64, usize)> = None;
        for i in 0..self.options.masters {
            if let Some(s) = self.master_status(i).await.filter(|s| s.primary) {
                if best.is_none_or(|(t, _)| s.term > t) {
                    best = Some((s.term, i));
                }
            }
        }
        best.map(|(_, i)| i)
    }

    /// Waits until some master is primary and out of safe mode; `None` after `timeout`.
    pub async fn wait_for_primary(&self, timeout: Duration) -> Option<usize> {
        let p = self.find_primary(timeout).await?;
        sleep(Duration::from_millis(
            self.options.master_worker_connect_wait_time_ms,
        ))
        .await;
        Some(p)
    }

    /// The first master found primary within `timeout`, asking every 50 ms, at once (it may
    /// still be in its safe mode).
    pub async fn find_primary(&self, timeout: Duration) -> Option<usize> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(p) = self.primary().await {
                return Some(p);
            }
            if Instant::now() >= deadline {
                return None;
            }
            sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for a primary other than `old`.
    pub async fn wait_for_new_primary(&self, old: usize, timeout: Duration) -> Option<usize> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(p) = self.primary().await.filter(|p| *p != old) {
                return Some(p);
            }
            if Instant::now() >= deadline {
                return None;
            }
            sleep(Duration::from_millis(50)).await;
        }
    }

    /// Number of clients.
    pub fn clients(&self) -> usize {
        self.clients.len()
    }

    /// Runs one namespace operation from client `index`, on that client's node, with the full
    /// retry policy; recorded in the history like any client call.
    pub async fn fs(&self, index: usize, op: FsOp) -> Result<FsReply, CallError> {
        let client = self.clients[index].clone();
        self.node(Role::Client(index))
            .spawn(async move { client.fs(op).await })
            .await
            .expect("client task")
    }

    /// Runs `f` with client `index`'s connection on that client's node.
    pub async fn with_client<F, Fut, T>(&self, index: usize, f: F) -> T
    where
        F: FnOnce(Arc<MasterClient>) -> Fut,
        Fut: std::future::Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let client = self.clients[index].clone();
        self.node(Role::Client(index))
            .spawn(f(client))
            .await
            .expect("client task")
    }

    /// The durable journal files, as a fresh reader would find them.
    pub fn journal_files(&self) -> BTreeMap<String, Vec<Arc<crate::journal::Record>>> {
        self.ufs.snapshot()
    }

    /// The journal's files that were deleted (by GC, or by a planted bug), with their records.
    pub fn deleted_journal_files(&self) -> Vec<(String, Vec<Arc<crate::journal::Record>>)> {
        self.ufs.deleted()
    }

    /// Kills every node and lets the runtime settle, so that nothing leaks past the run.
    pub async fn shutdown(self) {
        for node in self.nodes.values() {
            self.handle.kill(node.id());
        }
        sleep(Duration::from_millis(1)).await;
    }
}
