//! The master process (FaultTolerantAlluxioMasterProcess): standby -> promoting -> primary ->
//! demoting -> standby, driven by the leader selector and the ZooKeeper connection policy.
//!
//! This file holds the process's state and its life-cycle loop; [`selector`] waits for
//! leadership and advertises the leader, [`primary`] promotes, serves as primary and demotes,
//! [`standby`] tails the journal, [`serve`] answers RPCs, [`read_fence`] guards reads,
//! [`blocks`] serves the workers' registrations, heartbeats and block commits, and [`registry`]
//! keeps the workers and where their blocks are.

mod blocks;
pub mod primary;
mod read_fence;
pub(crate) mod selector;
mod serve;
mod standby;
pub mod registry;
pub mod rpc;

use crate::bugs::Bug;
use crate::cpu::{Cpu, JournalWork};
use crate::history::{EventKind, History};
use crate::journal::JournalUfs;
use crate::journal::{JournalEntry, Replica};
use crate::net::Role as NodeRole;
use crate::options::Options;
use crate::seed::Stream;
use crate::vocab::StepDownReason;
use crate::zookeeper::election::Election;
use crate::zookeeper::ZkClient;
use futures::channel::{mpsc, oneshot};
use futures::StreamExt;
use madsim::net::Endpoint;
use madsim::time::{sleep, Instant};
use rand_chacha::ChaCha8Rng;
use registry::Registry;
use rpc::MasterRequest;
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
            // Bug B19: safe mode is counted from the process's start, and not again at promotion.
            safe_mode_until: Instant::now()
                + if setup.options.bug == Some(Bug::SafeModeOnlyAtStart) {
                    Duration::from_millis(setup.options.master_worker_connect_wait_time_ms)
                } else {
                    Duration::ZERO
                },
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
        if !selector::wait_for_leadership(&election, &mine, &mut events, session).await {
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
