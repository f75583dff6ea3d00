//! How seeds become plans: options from a preset or an options file, perhaps a planted bug, and
//! either the swarm's draw around them or the options as given with no faults. A model also knows
//! the command-line flags that say all this, so every failure it produces carries the
//! [`Reproduction`] that replays it.

use crate::bugs::Bug;
use crate::options::{Options, DEFAULT_PRESET};
use crate::plan::Plan;
use crate::reproduction::{Origin, Reproduction, Source};
use std::path::Path;

/// How seeds become plans.
#[derive(Clone, Debug)]
pub struct Model {
    origin: Origin,
    bug: Option<Bug>,
    swarm: bool,
    /// The options, with the bug switched on.
    base: Options,
}

impl Model {
    /// Swarm plans around a named preset.
    pub fn preset(name: &str) -> Result<Model, String> {
        Ok(Model {
            origin: Origin::Preset(name.to_string()),
            bug: None,
            swarm: true,
            base: Options::named(name)?,
        })
    }

    /// Swarm plans around the default preset, `fast`.
    pub fn fast() -> Model {
        Model::preset(DEFAULT_PRESET).expect("the default preset exists")
    }

    /// Swarm plans around the options of a file (missing fields take Alluxio's defaults).
    pub fn options_file(path: &Path) -> Result<Model, String> {
        Ok(Model {
            origin: Origin::OptionsFile(path.to_path_buf()),
            bug: None,
            swarm: true,
            base: Options::from_file(path)?,
        })
    }

    /// The same model with `bug` switched on (none: the correct model).
    pub fn with_bug(mut self, bug: Option<Bug>) -> Model {
        self.bug = bug;
        self.base.bug = bug;
        self
    }

    /// The options exactly as given, with no fault schedule, for every seed.
    pub fn without_swarm(mut self) -> Model {
        self.swarm = false;
        self
    }

    /// The options plans are drawn around, the bug included.
    pub fn options(&self) -> &Options {
        &self.base
    }

    /// The planted bug switched on, if any.
    pub fn bug(&self) -> Option<Bug> {
        self.bug
    }

    /// The preset the options differ from (an options file lays its fields over Alluxio's
    /// defaults).
    pub fn preset_name(&self) -> &str {
        match &self.origin {
            Origin::Preset(name) => name,
            Origin::OptionsFile(_) => "alluxio-defaults",
        }
    }

    /// The plan of `seed`.
    pub fn plan(&self, seed: u64) -> Plan {
        if self.swarm {
            crate::swarm::plan(seed, self.preset_name(), &self.base)
        } else {
            Plan::fixed(self.preset_name(), self.base.clone())
        }
    }

    /// The command-line flags that select this model.
    pub fn flags(&self) -> Vec<String> {
        crate::reproduction::model_flags(&self.origin, self.bug, self.swarm)
    }

    /// The command that replays `seed` of this model.
    pub fn reproduction(&self, seed: u64) -> Reproduction {
        Reproduction {
            seed,
            source: Source::Model {
                origin: self.origin.clone(),
                bug: self.bug,
                swarm: self.swarm,
            },
        }
    }
}

/// What a sweep runs: the plan of each seed, and the command that replays it. A [`Model`] is
/// one; a test may wrap one to alter some seeds' plans.
pub trait Plans: Sync {
    /// The plan of `seed`'s run.
    fn plan(&self, seed: u64) -> Plan;
    /// The command that replays `seed`'s run.
    fn reproduction(&self, seed: u64) -> Reproduction;
}

impl Plans for Model {
    fn plan(&self, seed: u64) -> Plan {
        Model::plan(self, seed)
    }

    fn reproduction(&self, seed: u64) -> Reproduction {
        Model::reproduction(self, seed)
    }
}
