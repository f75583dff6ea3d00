//! Process faults: a node's process killed, or frozen.

use super::draw::{any_node, some_master, usual_duration};
use super::{Applied, Family, Info, Injector, Kind, Lanes, Target};
use crate::net::Role;
use crate::options::Options;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Kill a master or worker process: every task stops and unflushed state is lost.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Crash {
    /// The master or worker killed.
    pub node: Target,
}

impl Kind for Crash {
    const INFO: Info = Info {
        name: "crash",
        what: "kill a master or worker (`primary` resolves to the current primary)",
        inverse: "restart it",
        family: Family::Process,
        lanes: Lanes::Targets,
        instantaneous: false,
        effect: None,
    };

    fn draw(rng: &mut ChaCha8Rng, o: &Options) -> (Self, u64) {
        let node = if o.workers > 0 && rng.gen_bool(0.3) {
            Target::Node(Role::Worker(rng.gen_range(0..o.workers)))
        } else {
            some_master(rng, o)
        };
        (
            Crash { node },
            super::draw::session_scaled(rng, o, 0.05, 2.0),
        )
    }

    fn targets(&self) -> Vec<Target> {
        vec![self.node]
    }

    fn validate(&self, _o: &Options) -> Result<(), String> {
        match self.node {
            Target::Primary | Target::Node(Role::Master(_) | Role::Worker(_)) => Ok(()),
            node => Err(format!(
                "crash: only masters and workers restart, not {node}"
            )),
        }
    }

    fn apply(&self, injector: &mut dyn Injector, targets: &[Role]) -> Option<Applied> {
        let role = targets[0];
        if !injector.is_up(role) {
            return None;
        }
        injector.crash(role);
        Applied::until(move |i| i.restart(role))
    }
}

/// Freeze any node, as a long GC pause does: nothing on it runs, messages to it queue.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pause {
    /// The node frozen.
    pub node: Target,
}

impl Kind for Pause {
    const INFO: Info = Info {
        name: "pause",
        what: "freeze any node: the GC pause",
        inverse: "resume",
        family: Family::Process,
        lanes: Lanes::Targets,
        instantaneous: false,
        effect: None,
    };

    fn draw(rng: &mut ChaCha8Rng, o: &Options) -> (Self, u64) {
        let node = if rng.gen_bool(0.4) {
            Target::Primary
        } else {
            any_node(rng, o)
        };
        (Pause { node }, usual_duration(rng, o))
    }

    fn targets(&self) -> Vec<Target> {
        vec![self.node]
    }

    fn apply(&self, injector: &mut dyn Injector, targets: &[Role]) -> Option<Applied> {
        let role = targets[0];
        if !injector.is_up(role) {
            return None;
        }
        injector.pause(role);
        Applied::until(move |i| i.resume(role))
    }
}
