//! The cluster's fault levers, and the verbs a story pulls them with.
//!
//! Each fault kind applies itself ([`crate::fault::Kind::apply`]) through the levers
//! ([`Levers`], an [`Injector`]), which make overlapping faults compose: a link cut by two
//! partitions is reconnected only when both are healed, a node is never crashed while paused
//! (that fault is skipped), and message loss or latency in force is the worst of the active
//! faults. The nemesis applies a schedule through [`Cluster::inject`] and [`Cluster::heal`], as a
//! story does; every applied fault and every heal is recorded in the history.

use super::Cluster;
use crate::fault::{self, Applied, Fault, Injector, Target, Undo};
use crate::history::EventKind;
use crate::net::Role;
use crate::primacy;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// The state of the cluster's fault levers: which nodes faults took down, which links are cut
/// and how often, the loss and latency in force, and the service faults switched on.
#[derive(Default)]
pub(crate) struct LeverState {
    /// Nodes a fault crashed or paused (a node down takes no crash or pause until it is back).
    down: BTreeSet<Role>,
    clogged: BTreeMap<(Role, Role), u32>,
    losses: Vec<u32>,
    latencies: Vec<(u64, u64)>,
    zk_unavailable: u32,
    flush_fail: BTreeMap<Role, u32>,
    flush_slow: BTreeMap<Role, Vec<u64>>,
    rename_fail: u32,
}

/// A fault applied and not yet healed: what the history recorded of it, and how to undo it.
/// [`Cluster::heal`] undoes it.
pub struct InForce {
    fault: Fault,
    text: String,
    nodes: Vec<Role>,
    undo: Undo,
}

impl InForce {
    /// The fault, as scheduled.
    pub fn fault(&self) -> &Fault {
        &self.fault
    }

    /// The fault as applied, its targets resolved (as the history records it).
    pub fn description(&self) -> &str {
        &self.text
    }
}

/// Why a fault did not stay in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotInForce {
    /// It could not apply now: its target is down, or `primary` names no master.
    CannotApply,
    /// It applied and was over at once (session expiry): there is nothing to heal.
    Instant,
}

/// The levers of `cluster`, with their state: what a fault kind pulls.
pub(crate) struct Levers<'a> {
    cluster: &'a Cluster,
    state: &'a mut LeverState,
}

/// Applies `fault` to `cluster` now, its targets resolved now, and records it.
fn inject(cluster: &Cluster, fault: &Fault) -> Result<InForce, NotInForce> {
    let targets: Vec<Role> = fault
        .targets()
        .into_iter()
        .map(|t| resolve(cluster, t))
        .collect::<Option<_>>()
        .ok_or(NotInForce::CannotApply)?;
    let applied = {
        let mut state = cluster.levers.lock().unwrap();
        let mut levers = Levers {
            cluster,
            state: &mut state,
        };
        fault.apply(&mut levers, &targets)
    }
    .ok_or(NotInForce::CannotApply)?;
    let names: Vec<String> = targets.iter().map(|r| r.name()).collect();
    let text = fault.describe(&names);
    record(cluster, fault, &text, &targets, false);
    match applied {
        Applied::Until(undo) => Ok(InForce {
            fault: fault.clone(),
            text,
            nodes: targets,
            undo,
        }),
        Applied::Instant => Err(NotInForce::Instant),
    }
}

/// Undoes a fault [`inject`] applied, and records the heal.
fn heal(cluster: &Cluster, active: InForce) {
    {
        let mut state = cluster.levers.lock().unwrap();
        let mut levers = Levers {
            cluster,
            state: &mut state,
        };
        (active.undo)(&mut levers);
    }
    record(cluster, &active.fault, &active.text, &active.nodes, true);
}

fn record(cluster: &Cluster, fault: &Fault, text: &str, nodes: &[Role], healed: bool) {
    cluster.history.record(
        "nemesis",
        EventKind::Fault {
            kind: fault.kind(),
            fault: text.to_string(),
            nodes: nodes.to_vec(),
            healed,
        },
    );
}

/// `target` now: `primary` is the master that most recently became primary and has not stopped
/// being one since.
fn resolve(cluster: &Cluster, target: Target) -> Option<Role> {
    match target {
        Target::Primary => {
            let name = cluster
                .history
                .with_events(|events| primacy::current_primary(events).map(String::from))?;
            (0..cluster.options.masters)
                .map(Role::Master)
                .find(|r| r.name() == name)
        }
        Target::Node(role) => Some(role),
    }
}

impl Levers<'_> {
    fn set_network(&self) {
        let loss = self.state.losses.iter().copied().max().unwrap_or(0);
        let latency = self
            .state
            .latencies
            .iter()
            .copied()
            .max_by_key(|&(lo, hi)| (hi, lo))
            .unwrap_or((1, 10));
        self.cluster.net().update_config(|c| {
            c.packet_loss_rate = loss as f64 / 100.0;
            c.send_latency = Duration::from_millis(latency.0)..Duration::from_millis(latency.1);
        });
    }
}

/// Removes one `value` from `values`.
fn remove_one<T: PartialEq>(values: &mut Vec<T>, value: &T) {
    let i = values
        .iter()
        .position(|x| x == value)
        .expect("undo of a fault not applied");
    values.remove(i);
}

/// Counts one more (`on`) or one fewer switch of `key`; true when the count moved between 0 and 1
/// (the lever itself must move).
fn switch<K: Ord>(counts: &mut BTreeMap<K, u32>, key: K, on: bool) -> bool {
    if on {
        let n = counts.entry(key).or_insert(0);
        *n += 1;
        *n == 1
    } else {
        let n = counts.get_mut(&key).expect("undo of a fault not applied");
        *n -= 1;
        if *n == 0 {
            counts.remove(&key);
            true
        } else {
            false
        }
    }
}

impl Injector for Levers<'_> {
    fn nodes(&self) -> Vec<Role> {
        self.cluster.roles()
    }

    fn is_up(&self, role: Role) -> bool {
        !self.state.down.contains(&role)
    }

    fn crash(&mut self, role: Role) {
        self.cluster.kill(role);
        self.state.down.insert(role);
    }

    fn restart(&mut self, role: Role) {
        self.cluster.restart(role);
        self.state.down.remove(&role);
    }

    fn pause(&mut self, role: Role) {
        self.cluster.pause(role);
        self.state.down.insert(role);
    }

    fn resume(&mut self, role: Role) {
        self.cluster.resume(role);
        self.state.down.remove(&role);
    }

    fn cut(&mut self, links: &[(Role, Role)]) {
        let net = self.cluster.net();
        for &(a, b) in links {
            if switch(&mut self.state.clogged, (a, b), true) {
                net.clog_link(self.cluster.node(a).id(), self.cluster.node(b).id());
            }
        }
    }

    fn reconnect(&mut self, links: &[(Role, Role)]) {
        let net = self.cluster.net();
        for &(a, b) in links {
            if switch(&mut self.state.clogged, (a, b), false) {
                net.unclog_link(self.cluster.node(a).id(), self.cluster.node(b).id());
            }
        }
    }

    fn add_loss(&mut self, percent: u32) {
        self.state.losses.push(percent);
        self.set_network();
    }

    fn remove_loss(&mut self, percent: u32) {
        remove_one(&mut self.state.losses, &percent);
        self.set_network();
    }

    fn add_latency(&mut self, min_ms: u64, max_ms: u64) {
        self.state.latencies.push((min_ms, max_ms));
        self.set_network();
    }

    fn remove_latency(&mut self, min_ms: u64, max_ms: u64) {
        remove_one(&mut self.state.latencies, &(min_ms, max_ms));
        self.set_network();
    }

    fn expire_sessions(&mut self, node: Role) {
        self.cluster.zk_control.expire_sessions_of(&node.name());
    }

    fn zookeeper_unavailable(&mut self, on: bool) {
        if on {
            self.state.zk_unavailable += 1;
            self.cluster.zk_control.set_unavailable(true);
        } else {
            self.state.zk_unavailable -= 1;
            if self.state.zk_unavailable == 0 {
                self.cluster.zk_control.set_unavailable(false);
            }
        }
    }

    fn flush_fail(&mut self, node: Role, on: bool) {
        if on {
            *self.state.flush_fail.entry(node).or_insert(0) += 1;
            self.cluster.ufs_faults.set_flush_fail(&node.name(), true);
        } else if switch(&mut self.state.flush_fail, node, false) {
            self.cluster.ufs_faults.set_flush_fail(&node.name(), false);
        }
    }

    fn flush_delay(&mut self, node: Role, delay_ms: u64, on: bool) {
        let delays = self.state.flush_slow.entry(node).or_default();
        if on {
            delays.push(delay_ms);
        } else {
            remove_one(delays, &delay_ms);
        }
        let worst = delays.iter().copied().max().unwrap_or(0);
        self.cluster.ufs_faults.set_flush_delay(&node.name(), worst);
    }

    fn rename_fail(&mut self, on: bool) {
        if on {
            self.state.rename_fail += 1;
            self.cluster.ufs_faults.set_rename_fail(true);
        } else {
            self.state.rename_fail -= 1;
            if self.state.rename_fail == 0 {
                self.cluster.ufs_faults.set_rename_fail(false);
            }
        }
    }
}

impl Cluster {
    /// Applies `fault` now, its targets resolved now (`primary` is the current primary), as the
    /// nemesis applies a scheduled fault: recorded in the history, composing with other faults.
    /// Undone by [`Cluster::heal`]. `Err` when it cannot apply now, or was over at once (a
    /// session expiry).
    pub fn inject(&self, fault: impl Into<Fault>) -> Result<InForce, NotInForce> {
        inject(self, &fault.into())
    }

    /// Undoes a fault [`Cluster::inject`] applied, and records the heal. Inverse of `inject`.
    pub fn heal(&self, fault: InForce) {
        heal(self, fault)
    }

    /// Cuts the nodes `side` from every other node, both ways (the `split-halves` fault); undone
    /// by [`Cluster::heal`].
    pub fn partition(&self, side: &[Role]) -> InForce {
        let side = side.iter().copied().map(Target::Node).collect();
        self.must_inject(fault::SplitHalves { side })
    }

    /// Cuts `role` from every other node (the `isolate` fault); undone by [`Cluster::heal`].
    pub fn isolate(&self, role: Role) -> InForce {
        self.must_inject(fault::Isolate {
            node: Target::Node(role),
        })
    }

    /// Cuts master `index` from ZooKeeper only; undone by [`Cluster::heal`].
    pub fn cut_from_zookeeper(&self, index: usize) -> InForce {
        self.must_inject(fault::CutFromZookeeper {
            node: Target::Node(Role::Master(index)),
        })
    }

    /// Cuts master `index` from the UFS only; undone by [`Cluster::heal`].
    pub fn cut_from_ufs(&self, index: usize) -> InForce {
        self.must_inject(fault::CutFromUfs {
            node: Target::Node(Role::Master(index)),
        })
    }

    /// The UFS fails master `index`'s flushes; undone by [`Cluster::heal`].
    pub fn fail_flushes(&self, index: usize) -> InForce {
        self.must_inject(fault::FlushFail {
            node: Target::Node(Role::Master(index)),
        })
    }

    /// The UFS delays master `index`'s flushes by `delay_ms`; undone by [`Cluster::heal`].
    pub fn slow_flushes(&self, index: usize, delay_ms: u64) -> InForce {
        self.must_inject(fault::FlushSlow {
            node: Target::Node(Role::Master(index)),
            delay_ms,
        })
    }

    /// The UFS fails every rename (log completion); undone by [`Cluster::heal`].
    pub fn fail_renames(&self) -> InForce {
        self.must_inject(fault::RenameFail {})
    }

    /// ZooKeeper answers nobody and its session clocks stop; undone by [`Cluster::heal`].
    pub fn zookeeper_unavailable(&self) -> InForce {
        self.must_inject(fault::ZookeeperUnavailable {})
    }

    /// Drops `percent` of every message; undone by [`Cluster::heal`].
    pub fn lose_messages(&self, percent: u32) -> InForce {
        self.must_inject(fault::MessageLoss { percent })
    }

    /// ZooKeeper expires every session `role` holds, at once (nothing to undo).
    pub fn expire_sessions(&self, role: Role) {
        let fault: Fault = fault::SessionExpiry {
            node: Target::Node(role),
        }
        .into();
        if let Err(e) = fault.validate(&self.options) {
            panic!("{e}");
        }
        let _ = self.inject(fault);
    }

    /// A fault a named verb asked for, which always applies.
    fn must_inject(&self, fault: impl Into<Fault>) -> InForce {
        let fault = fault.into();
        if let Err(e) = fault.validate(&self.options) {
            panic!("{e}");
        }
        self.inject(fault.clone())
            .unwrap_or_else(|e| panic!("{fault} did not apply: {e:?}"))
    }
}
