//! Partitions: links between nodes cut, as Jepsen's grudges are (isolate one, split in halves,
//! the primary's minority, one way, a master from one service).

use super::draw::{any_node, some_master, usual_duration};
use super::inject::{both_ways, cut_until_healed};
use super::{master_only, Applied, Family, Info, Injector, Kind, Lanes, Target};
use crate::net::Role;
use crate::options::Options;
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Cut one node from every other node.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Isolate {
    /// The node cut off.
    pub node: Target,
}

impl Kind for Isolate {
    const INFO: Info = Info {
        name: "isolate",
        what: "cut one node from all others",
        inverse: "reconnect",
        family: Family::Partition,
        lanes: Lanes::Targets,
        instantaneous: false,
        effect: None,
    };

    fn draw(rng: &mut ChaCha8Rng, o: &Options) -> (Self, u64) {
        let node = any_node(rng, o);
        (Isolate { node }, usual_duration(rng, o))
    }

    fn targets(&self) -> Vec<Target> {
        vec![self.node]
    }

    fn apply(&self, injector: &mut dyn Injector, targets: &[Role]) -> Option<Applied> {
        let role = targets[0];
        let others: Vec<Role> = injector
            .nodes()
            .into_iter()
            .filter(|r| *r != role)
            .collect();
        cut_until_healed(injector, both_ways(role, &others))
    }
}

/// Every link between the nodes `side` and the rest, both ways.
fn split(injector: &mut dyn Injector, side: &[Role]) -> Option<Applied> {
    let rest: Vec<Role> = injector
        .nodes()
        .into_iter()
        .filter(|r| !side.contains(r))
        .collect();
    let links = side.iter().flat_map(|&a| both_ways(a, &rest)).collect();
    cut_until_healed(injector, links)
}

/// The fault's name with its nodes listed: `split-halves [master-0 client-1]`.
fn listed(name: &str, names: &[String]) -> String {
    format!("{name} [{}]", names.join(" "))
}

/// Cut the listed nodes from all the others, both ways.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitHalves {
    /// One side of the split.
    pub side: Vec<Target>,
}

impl Kind for SplitHalves {
    const INFO: Info = Info {
        name: "split-halves",
        what: "cut a set of nodes from the rest, both ways",
        inverse: "reconnect",
        family: Family::Partition,
        lanes: Lanes::SmallerSide,
        instantaneous: false,
        effect: None,
    };

    fn draw(rng: &mut ChaCha8Rng, o: &Options) -> (Self, u64) {
        let mut all = vec![Target::Node(Role::ZooKeeper), Target::Node(Role::Ufs)];
        all.extend((0..o.masters).map(|i| Target::Node(Role::Master(i))));
        all.extend((0..o.workers).map(|i| Target::Node(Role::Worker(i))));
        all.extend((0..o.clients).map(|i| Target::Node(Role::Client(i))));
        all.shuffle(rng);
        let n = rng.gen_range(1..all.len());
        let mut side = all[..n].to_vec();
        side.sort();
        (SplitHalves { side }, usual_duration(rng, o))
    }

    fn targets(&self) -> Vec<Target> {
        self.side.clone()
    }

    fn validate(&self, _o: &Options) -> Result<(), String> {
        if self.side.is_empty() {
            return Err("split-halves: the side is empty".into());
        }
        Ok(())
    }

    fn describe(&self, names: &[String]) -> String {
        listed(Self::INFO.name, names)
    }

    fn apply(&self, injector: &mut dyn Injector, targets: &[Role]) -> Option<Applied> {
        split(injector, targets)
    }
}

/// Cut the primary, with the listed clients, from everything else (ZooKeeper, the UFS, the other
/// masters and clients), as Jepsen's isolated-primary partition does: a deposed primary that has
/// not noticed still answers the clients it sees.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrimaryMinority {
    /// The clients on the primary's side.
    pub clients: Vec<Target>,
}

impl Kind for PrimaryMinority {
    const INFO: Info = Info {
        name: "primary-minority",
        what: "cut the primary, with some clients, from everything else (Jepsen's isolated \
               primary)",
        inverse: "reconnect",
        family: Family::Partition,
        lanes: Lanes::Targets,
        instantaneous: false,
        effect: None,
    };

    fn draw(rng: &mut ChaCha8Rng, o: &Options) -> (Self, u64) {
        let mut clients: Vec<Target> = (0..o.clients)
            .filter(|_| rng.gen_bool(0.5))
            .map(|i| Target::Node(Role::Client(i)))
            .collect();
        if clients.is_empty() && o.clients > 0 {
            clients.push(Target::Node(Role::Client(rng.gen_range(0..o.clients))));
        }
        (PrimaryMinority { clients }, usual_duration(rng, o))
    }

    fn targets(&self) -> Vec<Target> {
        std::iter::once(Target::Primary)
            .chain(self.clients.iter().copied())
            .collect()
    }

    fn validate(&self, _o: &Options) -> Result<(), String> {
        if !self
            .clients
            .iter()
            .all(|c| matches!(c, Target::Node(Role::Client(_))))
        {
            return Err("primary-minority: only clients join the primary's side".into());
        }
        Ok(())
    }

    fn describe(&self, names: &[String]) -> String {
        listed(Self::INFO.name, names)
    }

    fn apply(&self, injector: &mut dyn Injector, targets: &[Role]) -> Option<Applied> {
        split(injector, targets)
    }
}

/// Drop every message from `from` to `to`; the other direction works.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OneWay {
    /// The sender whose messages are dropped.
    pub from: Target,
    /// The receiver they no longer reach.
    pub to: Target,
}

impl Kind for OneWay {
    const INFO: Info = Info {
        name: "one-way",
        what: "drop messages from one node to another only",
        inverse: "reconnect",
        family: Family::Partition,
        lanes: Lanes::Targets,
        instantaneous: false,
        effect: None,
    };

    fn draw(rng: &mut ChaCha8Rng, o: &Options) -> (Self, u64) {
        let mut pool = vec![
            Target::Primary,
            Target::Node(Role::ZooKeeper),
            Target::Node(Role::Ufs),
        ];
        pool.extend((0..o.masters).map(|i| Target::Node(Role::Master(i))));
        let from = *pool.choose(rng).unwrap();
        let to = loop {
            let to = *pool.choose(rng).unwrap();
            if to != from {
                break to;
            }
        };
        (OneWay { from, to }, usual_duration(rng, o))
    }

    fn targets(&self) -> Vec<Target> {
        vec![self.from, self.to]
    }

    fn validate(&self, _o: &Options) -> Result<(), String> {
        if self.from == self.to {
            return Err(format!("one-way: {} to itself", self.from));
        }
        Ok(())
    }

    fn describe(&self, names: &[String]) -> String {
        format!("{} {} -> {}", Self::INFO.name, names[0], names[1])
    }

    fn apply(&self, injector: &mut dyn Injector, targets: &[Role]) -> Option<Applied> {
        // `primary` may resolve to the other end.
        if targets[0] == targets[1] {
            return None;
        }
        cut_until_healed(injector, vec![(targets[0], targets[1])])
    }
}

/// Cut a master from ZooKeeper only: it still reaches the UFS and clients.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CutFromZookeeper {
    /// The master cut off.
    pub node: Target,
}

impl Kind for CutFromZookeeper {
    const INFO: Info = Info {
        name: "cut-from-zookeeper",
        what: "cut a master from ZooKeeper only",
        inverse: "reconnect",
        family: Family::Partition,
        lanes: Lanes::TargetsAnd(Role::ZooKeeper),
        instantaneous: false,
        effect: None,
    };

    fn draw(rng: &mut ChaCha8Rng, o: &Options) -> (Self, u64) {
        let node = some_master(rng, o);
        (CutFromZookeeper { node }, usual_duration(rng, o))
    }

    fn targets(&self) -> Vec<Target> {
        vec![self.node]
    }

    fn validate(&self, _o: &Options) -> Result<(), String> {
        master_only(Self::INFO.name, &self.node)
    }

    fn apply(&self, injector: &mut dyn Injector, targets: &[Role]) -> Option<Applied> {
        cut_until_healed(injector, both_ways(targets[0], &[Role::ZooKeeper]))
    }
}

/// Cut a master from the UFS only: it still reaches ZooKeeper and clients.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CutFromUfs {
    /// The master cut off.
    pub node: Target,
}

impl Kind for CutFromUfs {
    const INFO: Info = Info {
        name: "cut-from-ufs",
        what: "cut a master from the UFS only",
        inverse: "reconnect",
        family: Family::Partition,
        lanes: Lanes::TargetsAnd(Role::Ufs),
        instantaneous: false,
        effect: None,
    };

    fn draw(rng: &mut ChaCha8Rng, o: &Options) -> (Self, u64) {
        let node = some_master(rng, o);
        (CutFromUfs { node }, usual_duration(rng, o))
    }

    fn targets(&self) -> Vec<Target> {
        vec![self.node]
    }

    fn validate(&self, _o: &Options) -> Result<(), String> {
        master_only(Self::INFO.name, &self.node)
    }

    fn apply(&self, injector: &mut dyn Injector, targets: &[Role]) -> Option<Applied> {
        cut_until_healed(injector, both_ways(targets[0], &[Role::Ufs]))
    }
}
