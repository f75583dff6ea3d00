//! How a seed can fail. Each kind has its own exit code, as TigerBeetle's VOPR does, so a script
//! (or a CI job) can tell a broken safety property from a hang without reading the output.

use crate::check::{Kind, Violation};
use crate::reproduction::Reproduction;
use serde::Serialize;
use std::fmt;

/// The kinds of seed failure, most serious first. A sweep exits with the code of the most serious
/// kind among its failed seeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// An Always property (safety) was violated.
    Always,
    /// The model (or a checker) panicked.
    Panic,
    /// An Eventually property (liveness) was violated.
    Eventually,
    /// The run passed its simulated-time limit: something never ended.
    Hang,
    /// The run passed its wall-time limit (`--wall-limit-s`).
    WallLimit,
}

impl FailureKind {
    /// Every kind, most serious first.
    pub const ALL: [FailureKind; 5] = [
        FailureKind::Always,
        FailureKind::Panic,
        FailureKind::Eventually,
        FailureKind::Hang,
        FailureKind::WallLimit,
    ];

    /// The process exit code of a command whose (most serious) failed seed failed this way.
    /// 2 and 3 are taken by usage and harness errors.
    pub const fn exit_code(self) -> u8 {
        match self {
            FailureKind::Always => 1,
            FailureKind::Eventually => 4,
            FailureKind::Panic => 5,
            FailureKind::Hang => 6,
            FailureKind::WallLimit => 7,
        }
    }

    /// Its name, as JSON spells it.
    pub fn name(self) -> &'static str {
        match self {
            FailureKind::Always => "always",
            FailureKind::Panic => "panic",
            FailureKind::Eventually => "eventually",
            FailureKind::Hang => "hang",
            FailureKind::WallLimit => "wall_limit",
        }
    }

    /// The kind named `name` in JSON, if any.
    pub fn named(name: &str) -> Option<FailureKind> {
        FailureKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The kind of a property violation.
    pub fn of_violation(v: &Violation) -> FailureKind {
        match v.kind {
            Kind::Eventually => FailureKind::Eventually,
            Kind::Always | Kind::Sometimes => FailureKind::Always,
        }
    }
}

/// Why a run did not finish.
#[derive(Clone, Debug, PartialEq)]
pub enum Unfinished {
    /// The model or a checker panicked (the message), or the run's thread could not start.
    Panic(String),
    /// Simulated time reached the run's limit.
    Hang {
        /// The simulated-time limit, in milliseconds.
        limit_ms: u64,
    },
    /// Real time reached the limit; the run's thread is left to end on its own.
    WallLimit {
        /// The wall-time limit, in seconds.
        limit_s: f64,
    },
}

impl Unfinished {
    /// The kind of failure it is.
    pub fn kind(&self) -> FailureKind {
        match self {
            Unfinished::Panic(_) => FailureKind::Panic,
            Unfinished::Hang { .. } => FailureKind::Hang,
            Unfinished::WallLimit { .. } => FailureKind::WallLimit,
        }
    }
}

impl fmt::Display for Unfinished {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unfinished::Panic(message) => write!(f, "panicked: {message}"),
            Unfinished::Hang { limit_ms } => write!(
                f,
                "hung: still running at the simulated-time limit of {:.1} s",
                *limit_ms as f64 / 1000.0
            ),
            Unfinished::WallLimit { limit_s } => {
                write!(
                    f,
                    "still running after the wall-time limit of {limit_s:.0} s"
                )
            }
        }
    }
}

/// One failed seed, as a sweep reports it.
#[derive(Clone, Debug, Serialize)]
pub struct SeedFailure {
    /// The seed.
    pub seed: u64,
    /// How it failed.
    pub kind: FailureKind,
    /// The broken property, or `panic` / `hang` / `wall_limit` when the run did not finish.
    pub invariant: String,
    /// Simulated time of the first breaking event (none when the run did not finish).
    pub at_ms: Option<f64>,
    /// What went wrong, for people.
    pub detail: String,
    /// The named anomaly, for checkers that name one (`linearizable`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anomaly: Option<crate::check::linearizable::AnomalyKind>,
    /// The client operations involved (op ids), for checkers that name them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ops: Vec<u64>,
    /// The command that reproduces it.
    pub replay: Reproduction,
}

impl SeedFailure {
    /// A seed whose run broke a property.
    pub fn violated(seed: u64, v: &Violation, replay: Reproduction) -> SeedFailure {
        SeedFailure {
            seed,
            kind: FailureKind::of_violation(v),
            invariant: v.invariant.to_string(),
            at_ms: Some(v.at_ms),
            detail: v.detail.clone(),
            anomaly: v.anomaly,
            ops: v.ops.clone(),
            replay,
        }
    }

    /// A seed whose run did not finish.
    pub fn unfinished(seed: u64, u: &Unfinished, replay: Reproduction) -> SeedFailure {
        SeedFailure {
            seed,
            kind: u.kind(),
            invariant: u.kind().name().to_string(),
            at_ms: None,
            detail: u.to_string(),
            anomaly: None,
            ops: vec![],
            replay,
        }
    }
}

/// The exit code for a set of failures: 0 when there is none, else the most serious kind's.
pub fn exit_code<'a>(kinds: impl IntoIterator<Item = &'a FailureKind>) -> u8 {
    kinds.into_iter().min().map_or(0, |k| k.exit_code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_own_exit_code_and_the_most_serious_wins() {
        let mut codes: Vec<u8> = FailureKind::ALL.iter().map(|k| k.exit_code()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), FailureKind::ALL.len());
        assert!(!codes.contains(&0) && !codes.contains(&2) && !codes.contains(&3));
        assert_eq!(exit_code(&[]), 0);
        assert_eq!(
            exit_code(&[FailureKind::Hang, FailureKind::Eventually]),
            FailureKind::Eventually.exit_code()
        );
        assert_eq!(exit_code(&[FailureKind::WallLimit, FailureKind::Always]), 1);
    }
}
