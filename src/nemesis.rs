//! The nemesis: applies a fault schedule to a running cluster and heals it.
//!
//! Faults start at their time and are undone when their duration ends or when the safety phase
//! ends, whichever comes first. Overlapping faults compose: a link cut by two partitions is
//! reconnected only when both are healed, a node is never crashed while paused (that fault is
//! skipped), and message loss or latency in force is the worst of the active faults. Every applied
//! fault and every heal is recorded in the history.

use crate::cluster::Cluster;
use crate::fault::{Fault, ScheduledFault, Target};
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

/// A fault as applied: its description and its target nodes, resolved.
struct Applied {
    text: String,
    nodes: Vec<String>,
}

/// How to undo one applied fault.
#[derive(Clone, Debug)]
enum Undo {
    Restart(Role),
    Resume(Role),
    Links(Vec<(Role, Role)>),
    Loss(u32),
    Latency(u64, u64),
    ZookeeperUnavailable(Vec<(Role, Role)>),
    FlushFail(String),
    FlushSlow(String, u64),
    RenameFail,
    Nothing,
}

/// The nemesis of one run.
pub struct Nemesis<'a> {
    cluster: &'a Cluster,
    state: BTreeMap<Role, NodeState>,
    clogged: BTreeMap<(Role, Role), u32>,
    losses: Vec<u32>,
    latencies: Vec<(u64, u64)>,
    zk_unavailable: u32,
    flush_fail: BTreeMap<String, u32>,
    flush_slow: BTreeMap<String, Vec<u64>>,
    rename_fail: u32,
}

impl<'a> Nemesis<'a> {
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
        let mut active: BTreeMap<usize, (Applied, Undo)> = BTreeMap::new();
        for (at, what, i) in timeline {
            sleep_until(start + Duration::from_millis(at)).await;
            if what == 1 {
                if let Some((applied, undo)) = self.apply(&faults[i].fault) {
                    self.record(&faults[i].fault, &applied, false);
                    // An instantaneous fault (session expiry) has nothing to undo.
                    if !matches!(undo, Undo::Nothing) {
                        active.insert(i, (applied, undo));
                    }
                }
            } else if let Some((applied, undo)) = active.remove(&i) {
                self.undo(undo);
                self.record(&faults[i].fault, &applied, true);
            }
        }
        sleep_until(start + Duration::from_millis(phase_ms)).await;
        for (i, (applied, undo)) in std::mem::take(&mut active).into_iter().rev() {
            self.undo(undo);
            self.record(&faults[i].fault, &applied, true);
        }
        let _ = self.cluster.restart_exited();
    }

    fn record(&self, fault: &Fault, applied: &Applied, healed: bool) {
        self.cluster.history.record(
            "nemesis",
            EventKind::Fault {
                kind: fault.kind().to_string(),
                fault: applied.text.clone(),
                nodes: applied.nodes.clone(),
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

    /// Every node but the harness, which only observes.
    fn others(&self, role: Role) -> Vec<Role> {
        self.state.keys().copied().filter(|r| *r != role).collect()
    }

    fn clog(&mut self, links: &[(Role, Role)]) {
        let net = self.cluster.net();
        for &(a, b) in links {
            let n = self.clogged.entry((a, b)).or_insert(0);
            *n += 1;
            if *n == 1 {
                net.clog_link(self.cluster.node(a).id(), self.cluster.node(b).id());
            }
        }
    }

    fn unclog(&mut self, links: &[(Role, Role)]) {
        let net = self.cluster.net();
        for &(a, b) in links {
            let n = self
                .clogged
                .get_mut(&(a, b))
                .expect("unclog of a link not clogged");
            *n -= 1;
            if *n == 0 {
                self.clogged.remove(&(a, b));
                net.unclog_link(self.cluster.node(a).id(), self.cluster.node(b).id());
            }
        }
    }

    fn both_ways(a: Role, others: &[Role]) -> Vec<(Role, Role)> {
        others.iter().flat_map(|&b| [(a, b), (b, a)]).collect()
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

    /// Applies a fault; `None` when it cannot apply now (its target is down, or there is no
    /// primary to aim at). Returns the fault as applied, with its targets resolved.
    fn apply(&mut self, fault: &Fault) -> Option<(Applied, Undo)> {
        let targets: Option<Vec<Role>> = fault
            .targets()
            .into_iter()
            .map(|t| self.resolve(t))
            .collect();
        let targets = targets?;
        let name = |i: usize| targets[i].name();
        let undo = match fault {
            Fault::Crash { .. } | Fault::Pause { .. } => {
                let role = targets[0];
                if self.state.get(&role) != Some(&NodeState::Up) {
                    return None;
                }
                if matches!(fault, Fault::Crash { .. }) {
                    self.cluster.kill(role);
                    self.state.insert(role, NodeState::Crashed);
                    Undo::Restart(role)
                } else {
                    self.cluster.pause(role);
                    self.state.insert(role, NodeState::Paused);
                    Undo::Resume(role)
                }
            }
            Fault::Isolate { .. } => {
                let links = Self::both_ways(targets[0], &self.others(targets[0]));
                self.clog(&links);
                Undo::Links(links)
            }
            Fault::SplitHalves { .. } | Fault::PrimaryMinority { .. } => {
                let rest: Vec<Role> = self
                    .state
                    .keys()
                    .copied()
                    .filter(|r| !targets.contains(r))
                    .collect();
                let links: Vec<(Role, Role)> = targets
                    .iter()
                    .flat_map(|&a| Self::both_ways(a, &rest))
                    .collect();
                if links.is_empty() {
                    return None;
                }
                self.clog(&links);
                Undo::Links(links)
            }
            Fault::OneWay { .. } => {
                if targets[0] == targets[1] {
                    return None;
                }
                let links = vec![(targets[0], targets[1])];
                self.clog(&links);
                Undo::Links(links)
            }
            Fault::CutFromZookeeper { .. } | Fault::CutFromUfs { .. } => {
                let service = if matches!(fault, Fault::CutFromZookeeper { .. }) {
                    Role::ZooKeeper
                } else {
                    Role::Ufs
                };
                let links = Self::both_ways(targets[0], &[service]);
                self.clog(&links);
                Undo::Links(links)
            }
            Fault::MessageLoss { percent } => {
                self.losses.push(*percent);
                self.set_network();
                Undo::Loss(*percent)
            }
            Fault::LatencySpike { min_ms, max_ms } => {
                self.latencies.push((*min_ms, *max_ms));
                self.set_network();
                Undo::Latency(*min_ms, *max_ms)
            }
            Fault::SessionExpiry { .. } => {
                self.cluster.zk_control.expire_sessions_of(&name(0));
                Undo::Nothing
            }
            Fault::ZookeeperUnavailable => {
                let links = Self::both_ways(Role::ZooKeeper, &self.others(Role::ZooKeeper));
                self.clog(&links);
                self.zk_unavailable += 1;
                self.cluster.zk_control.set_unavailable(true);
                Undo::ZookeeperUnavailable(links)
            }
            Fault::FlushFail { .. } => {
                *self.flush_fail.entry(name(0)).or_insert(0) += 1;
                self.cluster.ufs_faults.set_flush_fail(&name(0), true);
                Undo::FlushFail(name(0))
            }
            Fault::FlushSlow { delay_ms, .. } => {
                let delays = self.flush_slow.entry(name(0)).or_default();
                delays.push(*delay_ms);
                let worst = *delays.iter().max().unwrap();
                self.cluster.ufs_faults.set_flush_delay(&name(0), worst);
                Undo::FlushSlow(name(0), *delay_ms)
            }
            Fault::RenameFail => {
                self.rename_fail += 1;
                self.cluster.ufs_faults.set_rename_fail(true);
                Undo::RenameFail
            }
        };
        let text = match fault {
            Fault::Crash { .. }
            | Fault::Pause { .. }
            | Fault::Isolate { .. }
            | Fault::CutFromZookeeper { .. }
            | Fault::CutFromUfs { .. }
            | Fault::SessionExpiry { .. }
            | Fault::FlushFail { .. } => format!("{} {}", fault.kind(), name(0)),
            Fault::FlushSlow { delay_ms, .. } => format!("flush-slow {} +{delay_ms} ms", name(0)),
            Fault::OneWay { .. } => format!("one-way {} -> {}", name(0), name(1)),
            Fault::SplitHalves { .. } | Fault::PrimaryMinority { .. } => {
                let names: Vec<String> = targets.iter().map(|r| r.name()).collect();
                format!("{} [{}]", fault.kind(), names.join(" "))
            }
            other => other.to_string(),
        };
        let nodes = targets.iter().map(|r| r.name()).collect();
        Some((Applied { text, nodes }, undo))
    }

    fn undo(&mut self, undo: Undo) {
        match undo {
            Undo::Restart(role) => {
                self.cluster.restart(role);
                self.state.insert(role, NodeState::Up);
            }
            Undo::Resume(role) => {
                self.cluster.resume(role);
                self.state.insert(role, NodeState::Up);
            }
            Undo::Links(links) => self.unclog(&links),
            Undo::Loss(p) => {
                let i = self.losses.iter().position(|&x| x == p).unwrap();
                self.losses.remove(i);
                self.set_network();
            }
            Undo::Latency(lo, hi) => {
                let i = self.latencies.iter().position(|&x| x == (lo, hi)).unwrap();
                self.latencies.remove(i);
                self.set_network();
            }
            Undo::ZookeeperUnavailable(links) => {
                self.unclog(&links);
                self.zk_unavailable -= 1;
                if self.zk_unavailable == 0 {
                    self.cluster.zk_control.set_unavailable(false);
                }
            }
            Undo::FlushFail(node) => {
                let n = self.flush_fail.get_mut(&node).unwrap();
                *n -= 1;
                if *n == 0 {
                    self.flush_fail.remove(&node);
                    self.cluster.ufs_faults.set_flush_fail(&node, false);
                }
            }
            Undo::FlushSlow(node, delay) => {
                let delays = self.flush_slow.get_mut(&node).unwrap();
                let i = delays.iter().position(|&d| d == delay).unwrap();
                delays.remove(i);
                let worst = delays.iter().copied().max().unwrap_or(0);
                self.cluster.ufs_faults.set_flush_delay(&node, worst);
            }
            Undo::RenameFail => {
                self.rename_fail -= 1;
                if self.rename_fail == 0 {
                    self.cluster.ufs_faults.set_rename_fail(false);
                }
            }
            Undo::Nothing => {}
        }
    }
}
