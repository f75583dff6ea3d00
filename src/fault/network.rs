//! Network faults: every message dropped by a share, or delayed.

use super::draw::{session_scaled, usual_duration};
use super::{Applied, Family, Info, Injector, Kind, Lanes, Target};
use crate::net::Role;
use crate::options::Options;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Drop this percentage of all messages.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageLoss {
    /// The share dropped, in percent.
    pub percent: u32,
}

impl Kind for MessageLoss {
    const INFO: Info = Info {
        name: "message-loss",
        what: "drop a percentage of all messages",
        inverse: "no loss",
        family: Family::Network,
        lanes: Lanes::Every,
        instantaneous: false,
        effect: None,
    };

    fn draw(rng: &mut ChaCha8Rng, o: &Options) -> (Self, u64) {
        let percent = rng.gen_range(1..=30);
        (MessageLoss { percent }, session_scaled(rng, o, 0.5, 3.0))
    }

    fn targets(&self) -> Vec<Target> {
        vec![]
    }

    fn validate(&self, _o: &Options) -> Result<(), String> {
        if self.percent > 100 {
            return Err(format!(
                "message-loss: {} is not a percentage",
                self.percent
            ));
        }
        Ok(())
    }

    fn describe(&self, _names: &[String]) -> String {
        format!("{} {}%", Self::INFO.name, self.percent)
    }

    fn apply(&self, injector: &mut dyn Injector, _targets: &[Role]) -> Option<Applied> {
        let percent = self.percent;
        injector.add_loss(percent);
        Applied::until(move |i| i.remove_loss(percent))
    }
}

/// Every message takes `min_ms` to `max_ms`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatencySpike {
    /// The shortest delay.
    pub min_ms: u64,
    /// The longest delay.
    pub max_ms: u64,
}

impl Kind for LatencySpike {
    const INFO: Info = Info {
        name: "latency-spike",
        what: "every message takes `min_ms` to `max_ms`",
        inverse: "1 to 10 ms",
        family: Family::Network,
        lanes: Lanes::Every,
        instantaneous: false,
        effect: None,
    };

    fn draw(rng: &mut ChaCha8Rng, o: &Options) -> (Self, u64) {
        let min_ms = rng.gen_range(10..=200);
        let max_ms = min_ms + rng.gen_range(50..=1_000);
        (LatencySpike { min_ms, max_ms }, usual_duration(rng, o))
    }

    fn targets(&self) -> Vec<Target> {
        vec![]
    }

    fn validate(&self, _o: &Options) -> Result<(), String> {
        if self.min_ms >= self.max_ms {
            return Err(format!(
                "latency-spike: min_ms {} must be below max_ms {}",
                self.min_ms, self.max_ms
            ));
        }
        Ok(())
    }

    fn describe(&self, _names: &[String]) -> String {
        format!("{} {}-{} ms", Self::INFO.name, self.min_ms, self.max_ms)
    }

    fn apply(&self, injector: &mut dyn Injector, _targets: &[Role]) -> Option<Applied> {
        let (min_ms, max_ms) = (self.min_ms, self.max_ms);
        injector.add_latency(min_ms, max_ms);
        Applied::until(move |i| i.remove_latency(min_ms, max_ms))
    }
}
