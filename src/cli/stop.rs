//! When a long command stops starting work: at the first SIGINT or SIGTERM, or at its
//! `--deadline-s`. Each command then finishes what is running and prints what it found, with
//! the command that resumes it.

use ftsim::interrupt;
use std::time::{Duration, Instant};

/// Why a command stops early, asked between seeds.
pub struct Stop {
    deadline: Option<Instant>,
}

impl Stop {
    /// Installs the signal handlers; `deadline_s` seconds from now (if given) also stops.
    pub fn install(deadline_s: Option<u64>) -> Stop {
        interrupt::install();
        Stop {
            deadline: deadline_s.map(|s| Instant::now() + Duration::from_secs(s)),
        }
    }

    /// Whether to start no further work.
    pub fn now(&self) -> bool {
        interrupt::requested() || self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// Whether a signal (rather than the deadline) stopped the command.
    pub fn by_signal(&self) -> bool {
        interrupt::requested()
    }

    /// The exit code of a command that stopped early with failures of exit code `failures`
    /// (0 for none): the failures' code, else 130 for a signal and 0 for a deadline.
    pub fn exit_code(&self, failures: u8) -> u8 {
        if failures != 0 {
            failures
        } else if self.by_signal() {
            interrupt::EXIT_INTERRUPTED
        } else {
            0
        }
    }
}
