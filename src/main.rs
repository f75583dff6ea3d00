//! The `ftsim` command line.

use clap::{Args, Parser, Subcommand};
use ftsim::options::{Options, PRESETS};
use ftsim::run::{Outcome, Summary};
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit codes: distinct for each way a command can fail.
mod exit {
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
    /// Run many seeds, each on its own thread, and summarise.
    Explore(ExploreArgs),
}

#[derive(Args)]
struct ExploreArgs {
    /// How many seeds to run.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    seeds: u64,
    /// The first seed (random and printed when not given).
    #[arg(long, value_parser = ftsim::seed::parse_seed)]
    seed: Option<u64>,
    /// Seeds run at once (default: the number of cores).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    jobs: Option<u64>,
    #[command(flatten)]
    model: ModelArgs,
    /// Print the summary as one JSON object.
    #[arg(long)]
    json: bool,
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
        Command::Explore(args) => explore(args),
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

fn explore(args: ExploreArgs) -> ExitCode {
    let options = match args.model.options() {
        Ok(o) => o,
        Err(e) => return usage_error(&e),
    };
    // The start seed is the only value drawn outside a simulation: it is printed so the sweep
    // can be repeated with --seed.
    let start = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64 % 1_000_000_000)
            .unwrap_or(0)
    });
    let jobs = args.jobs.map(|j| j as usize).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let flags = args.model.replay_flags();
    if !args.json {
        println!("exploring seeds {start}..{} with {jobs} jobs (ftsim explore --seeds {} --seed {start}{flags})", start + args.seeds, args.seeds);
    }
    let wall = std::time::Instant::now();
    let results = ftsim::explore::explore(start, args.seeds, jobs, &options, &|_| {});
    let wall_s = wall.elapsed().as_secs_f64();
    let failed: Vec<&ftsim::explore::SeedResult> =
        results.iter().filter(|r| r.result.is_err()).collect();
    let ok: Vec<&Summary> = results
        .iter()
        .filter_map(|r| r.result.as_ref().ok().map(|(s, _)| s))
        .collect();
    let sim_ms: u64 = ok.iter().map(|s| s.sim_ms).sum();
    let failovers: u64 = ok.iter().map(|s| s.failovers).sum();
    let ops_ok: u64 = ok.iter().map(|s| s.ops_ok).sum();
    let ops_failed: u64 = ok.iter().map(|s| s.ops_failed).sum();
    let failures: Vec<serde_json::Value> = failed
        .iter()
        .map(|r| serde_json::json!({"seed": r.seed, "error": r.result.as_ref().unwrap_err(), "replay": format!("ftsim run --seed {}{flags}", r.seed)}))
        .collect();
    if args.json {
        let out = serde_json::json!({
            "start": start,
            "seeds": args.seeds,
            "failed_seeds": failed.iter().map(|r| r.seed).collect::<Vec<_>>(),
            "failures": failures,
            "violations": [],
            "failovers": failovers,
            "ops_ok": ops_ok,
            "ops_failed": ops_failed,
            "sim_s": sim_ms as f64 / 1000.0,
            "wall_s": wall_s,
            "sim_s_per_wall_s": sim_ms as f64 / 1000.0 / wall_s,
            "failovers_per_wall_min": failovers as f64 / wall_s * 60.0,
        });
        println!("{out}");
    } else {
        println!("seeds        {} ({} failed)", args.seeds, failed.len());
        println!(
            "simulated    {:.1} s in {wall_s:.2} s wall ({:.0}x)",
            sim_ms as f64 / 1000.0,
            sim_ms as f64 / 1000.0 / wall_s
        );
        println!("failovers    {failovers}");
        println!("operations   {ops_ok} ok, {ops_failed} failed");
        for r in &failed {
            println!(
                "FAILED seed {}: {}
  replay: ftsim run --seed {}{flags}",
                r.seed,
                r.result.as_ref().unwrap_err(),
                r.seed
            );
        }
    }
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::HARNESS)
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
