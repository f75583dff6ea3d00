//! Exit codes: one for each way a command can end. A seed's failure kinds have theirs
//! ([`ftsim::failure::FailureKind::exit_code`]); these are the others.

use std::process::ExitCode;

/// Bad command-line input or input file.
pub const USAGE: u8 = 2;
/// The harness itself could not do its job (a file it could not write, a shrink that no longer
/// reproduces).
pub const HARNESS: u8 = 3;
/// `hunt` did not find every bug it hunted.
pub const NOT_FOUND: u8 = 1;

/// The help text's list, checked against the codes by a test.
pub const HELP: &str = "Exit codes: 0 every seed passed; 1 an Always property was violated \
(safety); 2 usage error; 3 harness error; 4 an Eventually property was violated (liveness); \
5 the model panicked; 6 a seed hung past its simulated-time limit; 7 a seed ran past its \
wall-time limit. A command over many seeds exits with the most serious of its failures, in the \
order 1, 5, 4, 6, 7. hunt exits 1 when a bug was not found. 130: stopped by SIGINT or SIGTERM \
before any failure was found (it prints what it did and the command that does the rest).";

pub fn code(code: u8) -> ExitCode {
    ExitCode::from(code)
}

#[cfg(test)]
mod tests {
    use ftsim::failure::FailureKind;

    #[test]
    fn the_help_lists_every_failure_kind_with_its_code_in_order_of_seriousness() {
        for (kind, words) in [
            (FailureKind::Always, "an Always property"),
            (FailureKind::Eventually, "an Eventually property"),
            (FailureKind::Panic, "the model panicked"),
            (
                FailureKind::Hang,
                "a seed hung past its simulated-time limit",
            ),
            (
                FailureKind::WallLimit,
                "a seed ran past its wall-time limit",
            ),
        ] {
            let phrase = format!("{} {}", kind.exit_code(), words);
            assert!(super::HELP.contains(&phrase), "{phrase}");
        }
        let order: Vec<String> = FailureKind::ALL
            .iter()
            .map(|k| k.exit_code().to_string())
            .collect();
        assert!(super::HELP.contains(&format!("order {}", order.join(", "))));
        assert!(super::HELP.contains(&format!("{} usage", super::USAGE)));
        assert!(super::HELP.contains(&format!("{} harness", super::HARNESS)));
        assert!(super::HELP.contains(&format!(
            "{}: stopped by SIGINT",
            ftsim::interrupt::EXIT_INTERRUPTED
        )));
    }
}
