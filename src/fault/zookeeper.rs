//! ZooKeeper's faults: a node's sessions expired at once, or the whole service unavailable.

use super::draw::{any_node, some_master, usual_duration};
use super::inject::both_ways;
use super::{Applied, Effect, Family, Info, Injector, Kind, Lanes, Target};
use crate::net::Role;
use crate::options::Options;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// ZooKeeper expires every session the node holds, at once.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionExpiry {
    /// The node whose sessions expire.
    pub node: Target,
}

impl Kind for SessionExpiry {
    const INFO: Info = Info {
        name: "session-expiry",
        what: "ZooKeeper expires a node's sessions at once",
        inverse: "(instantaneous)",
        family: Family::ZooKeeper,
        lanes: Lanes::Targets,
        instantaneous: true,
        effect: Some(Effect {
            fact: "session-expiry-took-effect",
            while_in_force: false,
        }),
    };

    fn draw(rng: &mut ChaCha8Rng, o: &Options) -> (Self, u64) {
        loop {
            let node = if rng.gen_bool(0.7) {
                some_master(rng, o)
            } else {
                any_node(rng, o)
            };
            // ZooKeeper and the UFS hold no session: draw again.
            if !matches!(node, Target::Node(Role::ZooKeeper | Role::Ufs)) {
                return (SessionExpiry { node }, 0);
            }
        }
    }

    fn targets(&self) -> Vec<Target> {
        vec![self.node]
    }

    fn validate(&self, _o: &Options) -> Result<(), String> {
        if matches!(self.node, Target::Node(Role::ZooKeeper | Role::Ufs)) {
            return Err(format!(
                "session-expiry: {} holds no ZooKeeper session",
                self.node
            ));
        }
        Ok(())
    }

    fn apply(&self, injector: &mut dyn Injector, targets: &[Role]) -> Option<Applied> {
        injector.expire_sessions(targets[0]);
        Some(Applied::Instant)
    }
}

/// ZooKeeper stops answering anyone and its session clocks stop; undone, it answers again and
/// restarts every session's timer, as a ZooKeeper leader election does.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZookeeperUnavailable {}

impl Kind for ZookeeperUnavailable {
    const INFO: Info = Info {
        name: "zookeeper-unavailable",
        what: "ZooKeeper answers nobody and its session clocks stop",
        inverse: "back, timers restarted",
        family: Family::ZooKeeper,
        lanes: Lanes::TargetsAnd(Role::ZooKeeper),
        instantaneous: false,
        effect: Some(Effect {
            fact: "zookeeper-unavailable-took-effect",
            while_in_force: false,
        }),
    };

    fn draw(rng: &mut ChaCha8Rng, o: &Options) -> (Self, u64) {
        (ZookeeperUnavailable {}, usual_duration(rng, o))
    }

    fn targets(&self) -> Vec<Target> {
        vec![]
    }

    fn apply(&self, injector: &mut dyn Injector, _targets: &[Role]) -> Option<Applied> {
        let others: Vec<Role> = injector
            .nodes()
            .into_iter()
            .filter(|r| *r != Role::ZooKeeper)
            .collect();
        let links = both_ways(Role::ZooKeeper, &others);
        injector.cut(&links);
        injector.zookeeper_unavailable(true);
        Applied::until(move |i| {
            i.reconnect(&links);
            i.zookeeper_unavailable(false);
        })
    }
}
