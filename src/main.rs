//! The `ftsim` command line: parses the flags and hands each command to its handler.

mod cli;

use clap::Parser;
use cli::args::{Cli, Command};
use cli::commands;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Output piped into `head` and closed early ends the process quietly, as other command-line
    // tools do, instead of panicking on the failed write.
    #[cfg(unix)]
    // SAFETY: restores the default disposition of one signal before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { cli::exit::USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::Run(args) => commands::run(args),
        Command::Explore(args) => cli::explore::explore(args),
        Command::CheckDeterminism(args) => commands::check_determinism(args),
        Command::Bugs(args) => commands::bugs(args),
        Command::Bench(args) => commands::bench(args),
        Command::Hunt(args) => commands::hunt(args),
        Command::Shrink(args) => commands::shrink(args),
        Command::Merge(args) => commands::merge(args),
    }
}
