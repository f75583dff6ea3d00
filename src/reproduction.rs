//! The one command that reproduces a run. Every place that reports a failure (run, explore,
//! hunt, shrink, bench, the cargo-test sweeps) prints a [`Reproduction`], which spells out every
//! flag that shaped the run, so the command replays the same run event for event.

use crate::bugs::Bug;
use crate::options::DEFAULT_PRESET;
use serde::{Serialize, Serializer};
use std::fmt;
use std::path::PathBuf;

/// Where a run's options came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A named preset.
    Preset(String),
    /// An options file (missing fields take Alluxio's defaults).
    OptionsFile(PathBuf),
}

/// What, besides the seed, made the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Options from a preset or file, a planted bug, and whether the swarm drew the plan.
    Model {
        /// Where the options came from.
        origin: Origin,
        /// The planted bug switched on, if any.
        bug: Option<Bug>,
        /// Whether the swarm drew the plan from the seed (`--no-swarm` when not).
        swarm: bool,
    },
    /// A schedule file (its options and faults; the seed may differ from the file's).
    Schedule(PathBuf),
}

/// A seed and what made its run: rendered as the `ftsim run` command that replays it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reproduction {
    /// The run's seed.
    pub seed: u64,
    /// What else made the run.
    pub source: Source,
}

impl Reproduction {
    /// The replay of a schedule file with `seed`.
    pub fn schedule(path: impl Into<PathBuf>, seed: u64) -> Reproduction {
        Reproduction {
            seed,
            source: Source::Schedule(path.into()),
        }
    }

    /// The command's arguments after `ftsim`.
    pub fn args(&self) -> Vec<String> {
        let mut args = vec!["run".to_string()];
        match &self.source {
            Source::Schedule(path) => {
                args.extend(["--schedule".into(), path.display().to_string()]);
                args.extend(["--seed".into(), self.seed.to_string()]);
            }
            Source::Model { origin, bug, swarm } => {
                args.extend(["--seed".into(), self.seed.to_string()]);
                args.extend(model_flags(origin, *bug, *swarm));
            }
        }
        args
    }
}

/// The flags that select a model: `--preset` (unless the default) or `--options`, `--bug`,
/// `--no-swarm`.
pub fn model_flags(origin: &Origin, bug: Option<Bug>, swarm: bool) -> Vec<String> {
    let mut flags = vec![];
    match origin {
        Origin::Preset(name) if name == DEFAULT_PRESET => {}
        Origin::Preset(name) => flags.extend(["--preset".into(), name.clone()]),
        Origin::OptionsFile(path) => flags.extend(["--options".into(), path.display().to_string()]),
    }
    if let Some(bug) = bug {
        flags.extend(["--bug".into(), bug.name()]);
    }
    if !swarm {
        flags.push("--no-swarm".into());
    }
    flags
}

/// Arguments joined for a shell, quoted where needed.
pub fn shell_words(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if a.is_empty() || a.contains(|c: char| c.is_whitespace() || "'\"$\\".contains(c)) {
                format!("'{}'", a.replace('\'', r"'\''"))
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl fmt::Display for Reproduction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ftsim {}", shell_words(&self.args()))
    }
}

/// Serialised as the command line.
impl Serialize for Reproduction {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(origin: Origin, bug: Option<Bug>, swarm: bool) -> Reproduction {
        Reproduction {
            seed: 7,
            source: Source::Model { origin, bug, swarm },
        }
    }

    #[test]
    fn every_flag_that_shaped_the_run_is_spelled_out() {
        let fast = Origin::Preset("fast".into());
        assert_eq!(
            model(fast.clone(), None, true).to_string(),
            "ftsim run --seed 7"
        );
        assert_eq!(
            model(
                Origin::Preset("alluxio-defaults".into()),
                Some(Bug::AckWithoutJournal),
                false
            )
            .to_string(),
            "ftsim run --seed 7 --preset alluxio-defaults --bug ack-without-journal --no-swarm"
        );
        assert_eq!(
            model(Origin::OptionsFile("my opts.json".into()), None, true).to_string(),
            "ftsim run --seed 7 --options 'my opts.json'"
        );
        assert_eq!(
            Reproduction::schedule("regressions/x.json", 3).to_string(),
            "ftsim run --schedule regressions/x.json --seed 3"
        );
    }
}
