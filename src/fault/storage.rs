//! Storage faults: the UFS failing or delaying a master's flushes, or failing renames.

use super::draw::{session_scaled, some_master, usual_duration};
use super::{master_only, Applied, Effect, Family, Info, Injector, Kind, Lanes, Target};
use crate::net::Role;
use crate::options::Options;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// The UFS fails every flush by this master (what was buffered is gone).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlushFail {
    /// The master whose flushes fail.
    pub node: Target,
}

impl Kind for FlushFail {
    const INFO: Info = Info {
        name: "flush-fail",
        what: "the UFS fails a master's flushes",
        inverse: "flushes work",
        family: Family::Storage,
        lanes: Lanes::TargetsAnd(Role::Ufs),
        instantaneous: false,
        effect: Some(Effect {
            fact: "flush-fail-took-effect",
            while_in_force: true,
        }),
    };

    fn draw(rng: &mut ChaCha8Rng, o: &Options) -> (Self, u64) {
        let node = some_master(rng, o);
        let for_ms = crate::seed::scale(rng, o.master_journal_flush_timeout_ms, 0.1, 1.5);
        (FlushFail { node }, for_ms)
    }

    fn targets(&self) -> Vec<Target> {
        vec![self.node]
    }

    fn validate(&self, _o: &Options) -> Result<(), String> {
        master_only(Self::INFO.name, &self.node)
    }

    fn apply(&self, injector: &mut dyn Injector, targets: &[Role]) -> Option<Applied> {
        let role = targets[0];
        injector.flush_fail(role, true);
        Applied::until(move |i| i.flush_fail(role, false))
    }
}

/// The UFS delays every flush by this master.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlushSlow {
    /// The master whose flushes are slow.
    pub node: Target,
    /// How much longer each flush takes.
    pub delay_ms: u64,
}

impl Kind for FlushSlow {
    const INFO: Info = Info {
        name: "flush-slow",
        what: "the UFS delays a master's flushes",
        inverse: "no delay",
        family: Family::Storage,
        lanes: Lanes::TargetsAnd(Role::Ufs),
        instantaneous: false,
        effect: Some(Effect {
            fact: "flush-slow-took-effect",
            while_in_force: true,
        }),
    };

    fn draw(rng: &mut ChaCha8Rng, o: &Options) -> (Self, u64) {
        let node = some_master(rng, o);
        let delay_ms = rng.gen_range(50..=2_500);
        (FlushSlow { node, delay_ms }, usual_duration(rng, o))
    }

    fn targets(&self) -> Vec<Target> {
        vec![self.node]
    }

    fn validate(&self, _o: &Options) -> Result<(), String> {
        master_only(Self::INFO.name, &self.node)
    }

    fn describe(&self, names: &[String]) -> String {
        format!("{} {} +{} ms", Self::INFO.name, names[0], self.delay_ms)
    }

    fn apply(&self, injector: &mut dyn Injector, targets: &[Role]) -> Option<Applied> {
        let (role, delay_ms) = (targets[0], self.delay_ms);
        injector.flush_delay(role, delay_ms, true);
        Applied::until(move |i| i.flush_delay(role, delay_ms, false))
    }
}

/// The UFS fails every rename (log completion).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenameFail {}

impl Kind for RenameFail {
    const INFO: Info = Info {
        name: "rename-fail",
        what: "the UFS fails renames (log completion)",
        inverse: "renames work",
        family: Family::Storage,
        lanes: Lanes::TargetsAnd(Role::Ufs),
        instantaneous: false,
        effect: Some(Effect {
            fact: "rename-fail-took-effect",
            while_in_force: true,
        }),
    };

    fn draw(rng: &mut ChaCha8Rng, o: &Options) -> (Self, u64) {
        (RenameFail {}, session_scaled(rng, o, 0.5, 3.0))
    }

    fn targets(&self) -> Vec<Target> {
        vec![]
    }

    fn apply(&self, injector: &mut dyn Injector, _targets: &[Role]) -> Option<Applied> {
        injector.rename_fail(true);
        Applied::until(|i| i.rename_fail(false))
    }
}
