//! The `ftsim` command line.

use clap::{Args, Parser, Subcommand};
use ftsim::options::{Options, PRESETS};
use ftsim::run::Outcome;
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit codes: distinct for each way a command can fail.
mod exit {
    pub const VIOLATION: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const HARNESS: u8 = 3;
}

#[derive(Parser)]
#[command(
    name = "ftsim",
    version,
    about = "Deterministic simulation of Alluxio master fault tolerance"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one seed and print its summary.
    Run(RunArgs),
}

#[derive(Args)]
struct ModelArgs {
    /// Named options preset (alluxio-defaults, fast).
    #[arg(long, conflicts_with = "options")]
    preset: Option<String>,
    /// Options file (JSON; missing fields take Alluxio's defaults).
    #[arg(long, value_name = "FILE")]
    options: Option<PathBuf>,
}

impl ModelArgs {
    fn options(&self) -> Result<Options, String> {
        match (&self.preset, &self.options) {
            (_, Some(path)) => Options::from_file(path),
            (Some(name), None) => Options::preset(name).ok_or_else(|| {
                format!(
                    "unknown preset '{name}'; known presets: {}",
                    PRESETS.join(", ")
                )
            }),
            (None, None) => Ok(Options::fast()),
        }
    }

    /// The flags that reproduce these options on the command line.
    fn replay_flags(&self) -> String {
        match (&self.preset, &self.options) {
            (_, Some(path)) => format!(" --options {}", path.display()),
            (Some(name), None) => format!(" --preset {name}"),
            (None, None) => String::new(),
        }
    }
}

#[derive(Args)]
struct RunArgs {
    /// The seed (decimal, or hex with 0x).
    #[arg(long, value_parser = ftsim::seed::parse_seed)]
    seed: u64,
    #[command(flatten)]
    model: ModelArgs,
    /// Print the summary as one JSON object.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { exit::USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::Run(args) => run(args),
    }
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(exit::USAGE)
}

fn run(args: RunArgs) -> ExitCode {
    let options = match args.model.options() {
        Ok(o) => o,
        Err(e) => return usage_error(&e),
    };
    let replay = format!(
        "ftsim run --seed {}{}",
        args.seed,
        args.model.replay_flags()
    );
    match ftsim::run::run(args.seed, options) {
        Ok(outcome) => {
            if args.json {
                println!("{}", summary_json(&outcome));
            } else {
                print_summary(&outcome, &replay);
            }
            ExitCode::SUCCESS
        }
        Err(panic) => {
            eprintln!(
                "seed {} failed inside the model: {panic}\nreplay: {replay}",
                args.seed
            );
            ExitCode::from(exit::HARNESS)
        }
    }
}

fn summary_json(o: &Outcome) -> serde_json::Value {
    let s = &o.summary;
    serde_json::json!({
        "seed": o.seed,
        "history_hash": format!("{:016x}", o.history_hash),
        "events": o.events.len(),
        "sim_ms": s.sim_ms,
        "terms": s.terms,
        "failovers": s.failovers,
        "ops_ok": s.ops_ok,
        "ops_failed": s.ops_failed,
        "journal_entries": s.journal_entries,
        "digests": s.digests.iter().map(|(k, v)| (k.clone(), serde_json::json!(v.map(|d| format!("{d:016x}"))))).collect::<serde_json::Map<_, _>>(),
        "violations": [],
    })
}

fn print_summary(o: &Outcome, replay: &str) {
    let s = &o.summary;
    println!("seed {}", o.seed);
    println!("  simulated     {:.3} s", s.sim_ms as f64 / 1000.0);
    println!("  terms         {}", s.terms);
    println!("  failovers     {}", s.failovers);
    println!("  operations    {} ok, {} failed", s.ops_ok, s.ops_failed);
    println!("  journal       {} entries", s.journal_entries);
    for (master, digest) in &s.digests {
        match digest {
            Some(d) => println!("  {master:<13} digest {d:016x}"),
            None => println!("  {master:<13} did not answer"),
        }
    }
    println!(
        "  history       {} events, hash {:016x}",
        o.events.len(),
        o.history_hash
    );
    println!("  replay        {replay}");
}
