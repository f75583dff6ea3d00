//! The nemesis: applies a fault schedule to a running cluster and heals it.
//!
//! Faults start at their time and are undone when their duration ends or when the safety phase
//! ends, whichever comes first. Each fault kind applies itself ([`crate::fault::Kind::apply`])
//! through the levers the nemesis offers ([`Injector`]), and the nemesis makes overlapping faults
//! compose: a link cut by two partitions is reconnected only when both are healed, a node is
//! never crashed while paused (that fault is skipped), and message loss or latency in force is
//! the worst of the active faults. Every applied fault and every heal is recorded in the history.

use crate::cluster::Cluster;
use crate::fault::{Applied, Fault, Injector, ScheduledFault, Target, Undo};
use crate::history::EventKind;
use crate::net::Role;
use crate::primacy;
use madsim::time::{sleep_until, Instant};
use std::collections::BTreeMap;
use std::time::Duration;

/// What a node is doing, as far as the nemesis made it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NodeState {
    Up,
    Crashed,
    Paused,
}

/// A fault in force: its description and target nodes as recorded, and how to undo it.
struct Active {
    text: String,
    nodes: Vec<Role>,
    undo: Undo,
}

/// The nemesis of one run.
pub struct Nemesis<'a> {
    cluster: &'a Cluster,
    state: BTreeMap<Role, NodeState>,
    clogged: BTreeMap<(Role, Role), u32>,
    losses: Vec<u32>,
    latencies: Vec<(u64, u64)>,
    zk_unavailable: u32,
    flush_fail: BTreeMap<Role, u32>,
    flush_slow: BTreeMap<Role, Vec<u64>>,
    rename_fail: u32,
}

impl<'a> Nemesis<'a> {
    /// A nemesis for `cluster`, every node up and nothing cut.
    pub fn new(cluster: &'a Cluster) -> Self {
        Nemesis {
            cluster,
            state: cluster
                .roles()
                .into_iter()
                .map(|r| (r, NodeState::Up))
                .collect(),
            clogged: BTreeMap::new(),
            losses: vec![],
            latencies: vec![],
            zk_unavailable: 0,
            flush_fail: BTreeMap::new(),
            flush_slow: BTreeMap::new(),
            rename_fail: 0,
        }
    }

    /// Applies `faults` over a safety phase of `phase_ms` starting now, then heals everything still
    /// active (and restarts masters that exited on their own, as a supervisor would).
    pub async fn run(&mut self, faults: &[ScheduledFault], phase_ms: u64) {
        let start = Instant::now();
        // (time, 0 = heal before 1 = apply at the same instant, fault index)
        let mut timeline: Vec<(u64, u8, usize)> = vec![];
        for (i, f) in faults.iter().enumerate() {
            if f.at_ms >= phase_ms {
                continue;
            }
            timeline.push((f.at_ms, 1, i));
            let end = f.at_ms.saturating_add(f.for_ms);
            if f.for_ms > 0 && end < phase_ms {
                timeline.push((end, 0, i));
            }
        }
        timeline.sort();
        let mut active: BTreeMap<usize, Active> = BTreeMap::new();
        for (at, what, i) in timeline {
            sleep_until(start + Duration::from_millis(at)).await;
            if what == 1 {
                if let Some(applied) = self.apply(&faults[i].fault) {
                    active.insert(i, applied);
                }
            } else if let Some(applied) = active.remove(&i) {
                self.heal(&faults[i].fault, applied);
            }
        }
        sleep_until(start + Duration::from_millis(phase_ms)).await;
        for (i, applied) in std::mem::take(&mut active).into_iter().rev() {
            self.heal(&faults[i].fault, applied);
        }
        let _ = self.cluster.restart_exited();
    }

    /// Applies one fault, its targets resolved now, and records it; returns it if it stays in
    /// force (none: it could not apply, or was over at once).
    fn apply(&mut self, fault: &Fault) -> Option<Active> {
        let targets: Vec<Role> = fault
            .targets()
            .into_iter()
            .map(|t| self.resolve(t))
            .collect::<Option<_>>()?;
        let applied = fault.apply(self, &targets)?;
        let names: Vec<String> = targets.iter().map(|r| r.name()).collect();
        let text = fault.describe(&names);
        self.record(fault, &text, &targets, false);
        match applied {
            Applied::Until(undo) => Some(Active {
                text,
                nodes: targets,
                undo,
            }),
            Applied::Instant => None,
        }
    }

    fn heal(&mut self, fault: &Fault, active: Active) {
        (active.undo)(self);
        self.record(fault, &active.text, &active.nodes, true);
    }

    fn record(&self, fault: &Fault, text: &str, nodes: &[Role], healed: bool) {
        self.cluster.history.record(
            "nemesis",
            EventKind::Fault {
                kind: fault.kind(),
                fault: text.to_string(),
                nodes: nodes.to_vec(),
                healed,
            },
        );
    }

    /// The master that most recently became primary and has not stopped being one since.
    fn current_primary(&self) -> Option<Role> {
        let name = self
            .cluster
            .history
            .with_events(|events| primacy::current_primary(events).map(String::from))?;
        (0..self.cluster.options.masters)
            .map(Role::Master)
            .find(|r| r.name() == name)
    }

    fn resolve(&self, target: Target) -> Option<Role> {
        match target {
            Target::Primary => self.current_primary(),
            Target::Node(role) => Some(role),
        }
    }

    fn set_network(&self) {
        let loss = self.losses.iter().copied().max().unwrap_or(0);
        let latency = self
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

impl Injector for Nemesis<'_> {
    fn nodes(&self) -> Vec<Role> {
        self.state.keys().copied().collect()
    }

    fn is_up(&self, role: Role) -> bool {
        self.state.get(&role) == Some(&NodeState::Up)
    }

    fn crash(&mut self, role: Role) {
        self.cluster.kill(role);
        self.state.insert(role, NodeState::Crashed);
    }

    fn restart(&mut self, role: Role) {
        self.cluster.restart(role);
        self.state.insert(role, NodeState::Up);
    }

    fn pause(&mut self, role: Role) {
        self.cluster.pause(role);
        self.state.insert(role, NodeState::Paused);
    }

    fn resume(&mut self, role: Role) {
        self.cluster.resume(role);
        self.state.insert(role, NodeState::Up);
    }

    fn cut(&mut self, links: &[(Role, Role)]) {
        let net = self.cluster.net();
        for &(a, b) in links {
            if switch(&mut self.clogged, (a, b), true) {
                net.clog_link(self.cluster.node(a).id(), self.cluster.node(b).id());
            }
        }
    }

    fn reconnect(&mut self, links: &[(Role, Role)]) {
        let net = self.cluster.net();
        for &(a, b) in links {
            if switch(&mut self.clogged, (a, b), false) {
                net.unclog_link(self.cluster.node(a).id(), self.cluster.node(b).id());
            }
        }
    }

    fn add_loss(&mut self, percent: u32) {
        self.losses.push(percent);
        self.set_network();
    }

    fn remove_loss(&mut self, percent: u32) {
        remove_one(&mut self.losses, &percent);
        self.set_network();
    }

    fn add_latency(&mut self, min_ms: u64, max_ms: u64) {
        self.latencies.push((min_ms, max_ms));
        self.set_network();
    }

    fn remove_latency(&mut self, min_ms: u64, max_ms: u64) {
        remove_one(&mut self.latencies, &(min_ms, max_ms));
        self.set_network();
    }

    fn expire_sessions(&mut self, node: Role) {
        self.cluster.zk_control.expire_sessions_of(&node.name());
    }

    fn zookeeper_unavailable(&mut self, on: bool) {
        if on {
            self.zk_unavailable += 1;
            self.cluster.zk_control.set_unavailable(true);
        } else {
            self.zk_unavailable -= 1;
            if self.zk_unavailable == 0 {
                self.cluster.zk_control.set_unavailable(false);
            }
        }
    }

    fn flush_fail(&mut self, node: Role, on: bool) {
        if on {
            *self.flush_fail.entry(node).or_insert(0) += 1;
            self.cluster.ufs_faults.set_flush_fail(&node.name(), true);
        } else if switch(&mut self.flush_fail, node, false) {
            self.cluster.ufs_faults.set_flush_fail(&node.name(), false);
        }
    }

    fn flush_delay(&mut self, node: Role, delay_ms: u64, on: bool) {
        let delays = self.flush_slow.entry(node).or_default();
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
            self.rename_fail += 1;
            self.cluster.ufs_faults.set_rename_fail(true);
        } else {
            self.rename_fail -= 1;
            if self.rename_fail == 0 {
                self.cluster.ufs_faults.set_rename_fail(false);
            }
        }
    }
}
