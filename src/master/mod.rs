//! The master process (FaultTolerantAlluxioMasterProcess): standby -> promoting -> primary ->
//! demoting -> standby, driven by the leader selector and the ZooKeeper connection policy.

pub mod primary;
mod read_fence;
mod standby;
pub mod registry;
pub mod rpc;

use crate::bugs::Bug;
use crate::cpu::{Cpu, JournalWork};
use crate::history::{EventKind, History};
use crate::journal::JournalUfs;
use crate::journal::{JournalEntry, Replica};
use crate::net::Role as NodeRole;
use crate::options::{ConnectionErrorPolicy, Options};
use crate::seed::Stream;
use crate::vocab::{ConnState, StepDownReason};
use crate::zookeeper::election::{ensure_path, Election};
use crate::zookeeper::{ZkClient, ZkError, ZkEvent, ZkOp};
use futures::channel::{mpsc, oneshot};
use futures::StreamExt;
use madsim::net::Endpoint;
use madsim::time::{sleep, Instant};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use registry::Registry;
use rpc::{MasterError, MasterOp, MasterReply, MasterRequest, WorkerCommand};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const ELECTION_PATH: &str = "/alluxio/election";
pub const LEADER_PATH: &str = "/alluxio/leader";
/// Deadline of one call to the UFS.
pub const UFS_CALL_TIMEOUT: Duration = Duration::from_secs(2);

/// Where a master is in its life cycle. Only a primary serves; demotion makes a master a standby
/// at its first step (it stops serving before it closes its writers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Standby,
    Promoting,
    Primary,
}

/// What the primary's flush writer is asked to do.
pub enum JournalRequest {
    /// Make an entry durable, then acknowledge it on the channel.
    Append(JournalEntry, oneshot::Sender<()>),
    /// Answer once this primary has shown it still owns the journal (with `confirm_lease`: a
    /// flush of its log, which fails after a new primary recovered the log's lease) and, with
    /// `after_pending`, once every entry sent before is durable. The answer says whether all
    /// that was asked held.
    Barrier {
        confirm_lease: bool,
        after_pending: bool,
        done: oneshot::Sender<bool>,
    },
}

struct Status {
    stage: Stage,
    term: u64,
    safe_mode_until: Instant,
    journal: Option<mpsc::UnboundedSender<JournalRequest>>,
    /// While primary: the ZooKeeper client and this master's election znode, for the read
    /// path's leadership check.
    elected: Option<(ZkClient, String)>,
}

/// What survives a master's restart: only what a real process keeps on local disk.
#[derive(Default)]
pub struct MasterDisk {
    /// The last ZooKeeper session id (read back only with bug B14).
    pub zk_session: Mutex<Option<u64>>,
}

/// One incarnation of a master process.
pub struct Master {
    pub index: usize,
    pub name: String,
    pub holder: String,
    pub options: Arc<Options>,
    pub history: History,
    pub ufs: JournalUfs,
    rng: Mutex<ChaCha8Rng>,
    pub replica: futures::lock::Mutex<Replica>,
    status: Mutex<Status>,
    registry: Mutex<Registry>,
    /// Clients (by the index in their operation ids) this process served as primary: with bug
    /// B9 it keeps serving them after demotion.
    connected: Mutex<std::collections::BTreeSet<u64>>,
    /// Cleared the moment the master stops being primary; journal file actions check it.
    pub writable: Arc<AtomicBool>,
    /// The process's CPU: replay, checkpoints, RPCs and ZooKeeper pings take turns on it.
    pub cpu: Cpu,
    /// Set once the standby tailer has applied every completed log (Alluxio 2.6 joins the
    /// election only then); cleared when replay starts over.
    caught_up: AtomicBool,
}

impl Master {
    fn bug(&self, bug: Bug) -> bool {
        self.options.bug == Some(bug)
    }

    /// What this master's journal work costs, on its CPU.
    pub fn journal_work(&self) -> JournalWork {
        let o = &self.options;
        JournalWork {
            cpu: self.cpu.clone(),
            replay_us_per_entry: o.master_journal_replay_cpu_us_per_entry,
            checkpoint_us_per_inode: o.master_checkpoint_cpu_us_per_inode,
            base_inodes: o.master_namespace_base_inodes,
            base_entries: o.master_journal_base_entries,
            from_zero: self.bug(Bug::StandardPolicyFlapping),
        }
    }

    /// Serves one RPC. Only the primary answers; standbys refuse with Unavailable.
    async fn handle(
        self: Arc<Self>,
        MasterRequest(op): MasterRequest,
    ) -> Result<MasterReply, MasterError> {
        self.cpu
            .work(Duration::from_micros(self.options.master_rpc_cpu_us))
            .await;
        let (stage, safe_mode) = {
            let s = self.status.lock().unwrap();
            (s.stage, Instant::now() < s.safe_mode_until)
        };
        if let MasterOp::Status = op {
            let term = self.status.lock().unwrap().term;
            let replica = self.replica.lock().await;
            let status = rpc::MasterStatus {
                primary: stage == Stage::Primary,
                term,
                next_seq: replica.next_seq,
                digest: replica.namespace.digest(),
            };
            return Ok(MasterReply::Status(status));
        }
        // Bug B9: a demoted master keeps serving the connections it accepted as primary.
        let connected_client = match &op {
            MasterOp::Fs { op_id, .. } => {
                let client = op_id >> 32;
                let mut connected = self.connected.lock().unwrap();
                if stage == Stage::Primary {
                    connected.insert(client);
                }
                connected.contains(&client)
            }
            _ => false,
        };
        let acting = stage == Stage::Primary
            || (self.bug(Bug::AckWithoutJournal) && matches!(op, MasterOp::Fs { .. }))
            || (self.bug(Bug::DemotedMasterKeepsConnections) && connected_client);
        if !acting {
            return Err(MasterError::Unavailable);
        }
        match op {
            MasterOp::Fs { op_id, op } => self.handle_fs(op_id, op).await,
            MasterOp::GetWorkerId { .. } => {
                let id = if self.bug(Bug::SequentialWorkerIds) {
                    self.registry.lock().unwrap().sequential_id()
                } else {
                    self.rng.lock().unwrap().gen_range(1..u32::MAX as u64)
                };
                Ok(MasterReply::WorkerId(id))
            }
            MasterOp::RegisterWorker {
                worker_id,
                worker,
                blocks: _,
            } => {
                self.registry
                    .lock()
                    .unwrap()
                    .register(worker_id, worker.clone());
                self.history.record(
                    &self.name,
                    EventKind::WorkerRegistered { worker_id, worker },
                );
                Ok(MasterReply::Registered)
            }
            MasterOp::Heartbeat { worker_id } => {
                let known = self.registry.lock().unwrap().heartbeat(worker_id);
                Ok(MasterReply::Command(if known {
                    WorkerCommand::Nothing
                } else {
                    WorkerCommand::Register
                }))
            }
            MasterOp::Status => unreachable!("answered above"),
            MasterOp::GetWorkerList => {
                if safe_mode {
                    return Err(MasterError::Unavailable);
                }
                Ok(MasterReply::Workers(self.registry.lock().unwrap().list()))
            }
        }
    }

    async fn handle_fs(&self, op_id: u64, op: crate::op::FsOp) -> Result<MasterReply, MasterError> {
        let mut replica = self.replica.lock().await;
        if !op.is_mutation() {
            let answer = replica.namespace.read(&op);
            drop(replica);
            self.read_barrier().await?;
            return answer.map(MasterReply::Fs).map_err(MasterError::Fs);
        }
        if !self.bug(Bug::NonIdempotentRetry) {
            if let Some(reply) = replica.retry_cache.get(&op_id) {
                return Ok(MasterReply::Fs(reply.clone()));
            }
            // The first attempt is still being journaled: its answer is not known yet.
            if replica.in_flight.contains(&op_id) {
                return Err(MasterError::Unavailable);
            }
            if let Some(e) = replica.refused.get(&op_id).cloned() {
                // Fenced like the first answer: it was true of the tree when first given.
                drop(replica);
                self.read_barrier().await?;
                return Err(MasterError::Fs(e));
            }
        }
        let mutation = match replica.namespace.plan(&op) {
            Ok(m) => m,
            Err(e) => {
                replica.refused.insert(op_id, e.clone());
                // A definite error is an answer about the tree, like a read.
                drop(replica);
                self.read_barrier().await?;
                return Err(MasterError::Fs(e));
            }
        };
        let (term, journal) = {
            let s = self.status.lock().unwrap();
            (
                s.term,
                if s.stage == Stage::Primary {
                    s.journal.clone()
                } else {
                    None
                },
            )
        };
        // A planned mutation always applies to the tree it was planned on; only a replica that
        // went astray (planted bugs) can fail here, and then the call fails rather than the node.
        let reply = replica
            .namespace
            .apply(&mutation)
            .map_err(|_| MasterError::Unavailable)?;
        let Some(journal) = journal else {
            // Only bugs B1 and B9 get here: a closed or standby "journal" that writes nothing.
            replica.retry_cache.insert(op_id, reply.clone());
            return Ok(MasterReply::Fs(reply));
        };
        // The answer is cached only once the entry is durable (Alluxio caches a call's result
        // when it completes, journal flush included); until then a retry is told to come back.
        replica.in_flight.insert(op_id);
        let seq = replica.next_seq;
        replica.next_seq += 1;
        let entry = JournalEntry {
            seq,
            term,
            op_id,
            mutation,
        };
        self.history
            .record(&self.name, EventKind::JournalAppend { term, seq, op_id });
        let (tx, rx) = oneshot::channel();
        if journal
            .unbounded_send(JournalRequest::Append(entry, tx))
            .is_err()
        {
            return Err(MasterError::Unavailable);
        }
        drop(replica);
        match rx.await {
            Ok(()) => {
                let mut replica = self.replica.lock().await;
                replica.in_flight.remove(&op_id);
                replica.retry_cache.insert(op_id, reply.clone());
                drop(replica);
                self.history
                    .record(&self.name, EventKind::JournalAck { term, seq, op_id });
                Ok(MasterReply::Fs(reply))
            }
            Err(_) => Err(MasterError::Unavailable),
        }
    }
}

/// Everything a master node needs; the node's init closure builds one per incarnation.
#[derive(Clone)]
pub struct MasterSetup {
    pub index: usize,
    pub options: Arc<Options>,
    pub history: History,
    pub seed: u64,
    pub disk: Arc<MasterDisk>,
    pub incarnation: Arc<std::sync::atomic::AtomicU64>,
}

/// Runs one master process until the node is killed.
pub async fn run(setup: MasterSetup) {
    let role = NodeRole::Master(setup.index);
    let name = role.name();
    let incarnation = setup.incarnation.fetch_add(1, Ordering::SeqCst);
    let ep = Endpoint::bind(role.addr()).await.expect("bind master");
    let holder = format!("{name}#{incarnation}");
    let ufs = JournalUfs::new(
        ep.clone(),
        NodeRole::Ufs.addr(),
        UFS_CALL_TIMEOUT,
        holder.clone(),
    );
    let master = Arc::new(Master {
        index: setup.index,
        name: name.clone(),
        holder: holder.clone(),
        options: setup.options.clone(),
        history: setup.history.clone(),
        ufs: ufs.clone(),
        rng: Mutex::new(crate::seed::rng(
            setup.seed,
            Stream::Master { holder: &holder },
        )),
        replica: futures::lock::Mutex::new(Replica::default()),
        status: Mutex::new(Status {
            stage: Stage::Standby,
            term: 0,
            safe_mode_until: Instant::now(),
            journal: None,
            elected: None,
        }),
        registry: Mutex::new(Registry::default()),
        connected: Mutex::new(Default::default()),
        writable: Arc::new(AtomicBool::new(false)),
        cpu: Cpu::default(),
        caught_up: AtomicBool::new(false),
    });
    let m = master.clone();
    // Boxed: madsim spawns a task per request, and a small task allocates on the fast path.
    ep.add_rpc_handler(move |req: MasterRequest| Box::pin(m.clone().handle(req)));

    let options = &setup.options;
    let resume = if master.bug(Bug::ReusedSessionAfterRestart) {
        *setup.disk.zk_session.lock().unwrap()
    } else {
        None
    };
    let zk = ZkClient::start(
        role.ip(),
        NodeRole::ZooKeeper.addr(),
        &name,
        options,
        setup.history.clone(),
        resume,
        crate::seed::rng(
            setup.seed,
            Stream::ZooKeeperClient {
                process: &format!("{name}#{incarnation}"),
            },
        ),
    )
    .await;
    zk.run_on(master.cpu.clone());
    let mut events = zk.subscribe();
    let election = Election::new(
        zk.clone(),
        ELECTION_PATH,
        &format!("{}#{incarnation}", role.addr()),
    );
    let mut standby = Some(standby::start(master.clone()));

    loop {
        // Wait for a session.
        while zk.session() == 0 {
            events.next().await;
        }
        // Alluxio 2.6: a standby joins the election only once it has caught up, so a promotion
        // never starts with a long replay (bug B12 joins at once).
        if !master.bug(Bug::StandardPolicyFlapping) {
            standby::caught_up(&master).await;
        }
        // Connection news from before this candidacy is stale: the candidate acts on the
        // session as it is now, or a LOST long past would make it withdraw a live candidacy.
        while events.try_recv().is_ok() {}
        let session = zk.session();
        if session == 0 {
            continue;
        }
        *setup.disk.zk_session.lock().unwrap() = Some(session);
        master
            .history
            .record(&master.name, EventKind::JoiningElection);
        let Ok((mine, term)) = election.join().await else {
            sleep(Duration::from_millis(options.zookeeper_ping_interval_ms())).await;
            continue;
        };
        if !wait_for_leadership(&election, &mine, &mut events, session).await {
            // Withdraw this candidacy before joining again: a znode left behind by a live session
            // would stand ahead of the new one, and of everyone else's, for good.
            master
                .history
                .record(&master.name, EventKind::CandidacyWithdrawn { session });
            election.leave(&mine).await;
            continue;
        }
        if let Some(task) = standby.take() {
            task.abort();
        }
        master.status.lock().unwrap().elected = Some((zk.clone(), mine.clone()));
        let reason = primary::lead(&master, &zk, &mut events, term, session).await;
        master.status.lock().unwrap().elected = None;
        primary::demote(&master, reason).await;
        if reason == Some(StepDownReason::FlushTimeout) {
            // `demote` killed the process, as Alluxio's fatal error exits the JVM: the session
            // is not closed, and its znodes stay until ZooKeeper expires it.
            return;
        }
        election.leave(&mine).await;
        standby = Some(standby::start(master.clone()));
    }
}

/// Waits until `mine` leads the election. False when the election znode or the session is gone
/// (join again).
async fn wait_for_leadership(
    election: &Election,
    mine: &str,
    events: &mut mpsc::UnboundedReceiver<ZkEvent>,
    session: u64,
) -> bool {
    loop {
        match election.is_leader(mine).await {
            Ok(true) => return true,
            Ok(false) => {}
            Err(crate::zookeeper::ZkError::ConnectionLoss) => continue,
            Err(_) => return false,
        }
        // Wait for the predecessor's watch, or a connection change.
        match events.next().await {
            Some(ZkEvent::Watch) => {}
            Some(ZkEvent::Connection {
                state: ConnState::Lost,
                ..
            }) => return false,
            Some(ZkEvent::Connection { session: s, .. }) if s != session => return false,
            Some(ZkEvent::Connection { .. }) => {}
            None => return false,
        }
    }
}

/// Whether a connection event ends primacy under the configured policy.
pub fn ends_primacy(
    policy: ConnectionErrorPolicy,
    state: ConnState,
    new_session: u64,
    my_session: u64,
) -> bool {
    match policy {
        ConnectionErrorPolicy::Standard => true,
        ConnectionErrorPolicy::Session => match state {
            ConnState::Connected | ConnState::Lost => true,
            ConnState::Suspended => false,
            ConnState::Reconnected => new_session != my_session,
        },
    }
}

/// Deletes and re-creates this master's leader znode (ephemeral; persistent with bug B6).
pub async fn advertise(master: &Master, zk: &ZkClient) -> Result<(), ZkError> {
    ensure_path(zk, LEADER_PATH).await?;
    let path = format!("{LEADER_PATH}/{}", NodeRole::Master(master.index).addr());
    // Bug B6: a persistent znode, created only if absent. A crashed leader's znode survives; when
    // that master leads again its znode keeps its old creation time, so lookups, which take the
    // newest, send clients to whichever dead master advertised last.
    let persistent = master.bug(Bug::PersistentLeaderZnode);
    if !persistent {
        match zk.call(ZkOp::Delete { path: path.clone() }).await {
            Ok(_) | Err(ZkError::NoNode) => {}
            Err(e) => return Err(e),
        }
    }
    let ephemeral = !persistent;
    match zk
        .call(ZkOp::Create {
            path,
            data: String::new(),
            ephemeral,
            sequential: false,
        })
        .await
    {
        Ok(_) | Err(ZkError::NodeExists) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Removes this master's leader znode.
pub async fn unadvertise(master: &Master, zk: &ZkClient) {
    let path = format!("{LEADER_PATH}/{}", NodeRole::Master(master.index).addr());
    let _ = zk.call(ZkOp::Delete { path }).await;
}
