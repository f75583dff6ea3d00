//! The simulated cluster and its scripting API.
//!
//! [`Cluster::simulate`] runs a story: it makes a madsim runtime from the seed, builds ZooKeeper,
//! the UFS, the masters, workers and clients as madsim nodes ([`Cluster::start`]) and hands the
//! cluster to the story. The verbs below come in inverse pairs, each recorded in the history:
//! [`Cluster::kill`] / [`Cluster::restart`], [`Cluster::pause`] / [`Cluster::resume`], and for
//! every fault kind of [`crate::fault`] [`Cluster::inject`] / [`Cluster::heal`] (with named
//! verbs for the common ones: [`Cluster::partition`], [`Cluster::isolate`],
//! [`Cluster::cut_from_zookeeper`], [`Cluster::cut_from_ufs`], [`Cluster::fail_flushes`], ...).
//! [`Cluster::finish`] ends a story with the final states and the journal replay, and checks the
//! history against the property table.

mod faults;
mod finish;
mod observe;

pub use faults::{InForce, NotInForce};
pub(crate) use finish::final_phase;
pub use finish::Finished;

use crate::client::MasterClient;
use crate::failure::Unfinished;
use crate::history::{EventKind, History};
use crate::journal::JournalStore;
use crate::master::{self, MasterDisk, MasterSetup};
use crate::net::Role;
use crate::op::CallError;
use crate::op::{FsOp, FsReply};
use crate::options::Options;
use crate::ufs::UfsFaults;
use crate::zookeeper::{ZkControl, ZooKeeperServer};
use faults::LeverState;
use madsim::net::{Endpoint, NetSim};
use madsim::runtime::{Handle, NodeHandle};
use madsim::time::sleep;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A running cluster.
pub struct Cluster {
    /// The options it was built with.
    pub options: Arc<Options>,
    /// Everything recorded so far.
    pub history: History,
    /// The run's seed (the madsim runtime's).
    pub seed: u64,
    handle: Handle,
    nodes: BTreeMap<Role, NodeHandle>,
    clients: Vec<Arc<MasterClient>>,
    ufs: Arc<JournalStore>,
    pub(crate) zk_control: ZkControl,
    pub(crate) ufs_faults: UfsFaults,
    /// The fault levers' state, shared by the nemesis and a story's verbs.
    pub(crate) levers: Mutex<LeverState>,
    admin: Endpoint,
    /// How far [`Cluster::restart_exited`] has read the history, and which nodes were down then.
    exits_seen: Mutex<(usize, BTreeMap<String, bool>)>,
}

/// A client's handle, for work a story runs on the client's node ([`Cluster::spawn`]).
#[derive(Clone)]
pub struct Client {
    client: Arc<MasterClient>,
    index: usize,
    seed: u64,
}

impl Client {
    /// One namespace operation with the full retry policy, recorded in the history.
    pub async fn fs(&self, op: FsOp) -> Result<FsReply, CallError> {
        self.client.fs(op).await
    }

    /// Writes a file of `length` bytes, as a client's FileOutStream does: creates it, writes its
    /// blocks (`user.block.size.bytes.default` each) to workers of the client's worker report,
    /// each committed by its worker, and completes it. Returns the completion's answer: the
    /// file's status with its block ids and length.
    pub async fn write_file(&self, path: &str, length: u64) -> Result<FsReply, CallError> {
        let stream = crate::seed::Stream::StoryWrite {
            client: self.index,
            path,
        };
        let mut rng = crate::seed::rng(self.seed, stream);
        let c = &self.client;
        let id = match c.fs(FsOp::CreateFile { path: path.into() }).await? {
            FsReply::Status { id, .. } => id,
            other => unreachable!("a create answered {other:?}"),
        };
        let options = c.options().clone();
        crate::file_write::write(c, &mut rng, &options, path.into(), id, length).await
    }
}

impl Cluster {
    /// Runs `story` with a cluster of `options` in a fresh madsim runtime seeded with `seed`, on
    /// its own thread: the seed is given once. `Err` when the story (or the model) panicked.
    ///
    /// ```
    /// use ftsim::{Cluster, FsOp, Options, Role};
    ///
    /// let served = Cluster::simulate(7, Options::fast(), |cluster| async move {
    ///     let primary = cluster.primary().await.expect("a primary serves");
    ///     cluster.kill(Role::Master(primary)); // inverse: cluster.restart(..)
    ///     cluster.fs(0, FsOp::Mkdir { path: "/after".into() }).await.is_ok()
    /// })
    /// .unwrap();
    /// assert!(served);
    /// ```
    pub fn simulate<F, Fut, T>(seed: u64, options: Options, story: F) -> Result<T, Unfinished>
    where
        F: FnOnce(Cluster) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = T> + 'static,
        T: Send + 'static,
    {
        crate::sim::simulate(seed, None, move || async move {
            story(Cluster::start(options).await).await
        })
    }

    /// Starts every node and waits until a primary serves (or `failover_bound_ms` passes). The
    /// seed is the madsim runtime's.
    pub async fn start(options: Options) -> Cluster {
        let seed = Handle::current().seed();
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
            let setup = crate::worker::WorkerSetup {
                index,
                options: options.clone(),
                history: history.clone(),
                seed,
                disk: Arc::default(),
            };
            let incarnation = Arc::new(AtomicU64::new(0));
            let node = handle
                .create_node()
                .name(role.name())
                .ip(role.ip())
                .init(move || {
                    let n = incarnation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    crate::worker::run(setup.clone(), n)
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
            levers: Mutex::default(),
            admin,
            exits_seen: Mutex::default(),
        };
        let bound = Duration::from_millis(cluster.options.failover_bound_ms());
        cluster.wait_for_primary(bound).await;
        cluster
    }

    /// The madsim node of a role.
    pub(crate) fn node(&self, role: Role) -> &NodeHandle {
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
    pub(crate) fn net(&self) -> Arc<NetSim> {
        NetSim::current()
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

    /// Writes a file of `length` bytes from client `index`, on its node ([`Client::write_file`]).
    pub async fn write_file(
        &self,
        index: usize,
        path: &str,
        length: u64,
    ) -> Result<FsReply, CallError> {
        let path = path.to_string();
        self.spawn(index, move |client| async move {
            client.write_file(&path, length).await
        })
        .await
        .expect("client task")
    }

    /// Runs `f` on client `index`'s node, as a task of its own that the story awaits when it
    /// likes (dropping the handle does not stop it): concurrent client work.
    pub fn spawn<F, Fut, T>(&self, index: usize, f: F) -> madsim::task::JoinHandle<T>
    where
        F: FnOnce(Client) -> Fut,
        Fut: std::future::Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let client = Client {
            client: self.clients[index].clone(),
            index,
            seed: self.seed,
        };
        self.node(Role::Client(index)).spawn(f(client))
    }

    /// Runs `f` with client `index`'s connection on that client's node.
    pub(crate) async fn with_client<F, Fut, T>(&self, index: usize, f: F) -> T
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
    pub(crate) fn journal_files(&self) -> BTreeMap<String, Vec<Arc<crate::journal::Record>>> {
        self.ufs.snapshot()
    }

    /// The journal's files that were deleted (by GC, or by a planted bug), with their records.
    pub(crate) fn deleted_journal_files(&self) -> Vec<(String, Vec<Arc<crate::journal::Record>>)> {
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
