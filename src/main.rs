//! The `ftsim` command line.

use clap::{Args, Parser, Subcommand};
use ftsim::bugs::Bug;
use ftsim::explore::{SeedResult, Sweep};
use ftsim::options::{Options, PRESETS};
use ftsim::run::Outcome;
use ftsim::swarm::{Model, Plan};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Exit codes: distinct for each way a command can fail.
mod exit {
    /// A seed failed: an invariant broke, or the model panicked or hung.
    pub const FAILED: u8 = 1;
    /// Bad command-line input or input file.
    pub const USAGE: u8 = 2;
    /// The harness itself could not do its job (a thread or file it could not create).
    pub const HARNESS: u8 = 3;
}

#[derive(Parser)]
#[command(
    name = "ftsim",
    version,
    about = "Deterministic simulation of Alluxio master fault tolerance",
    after_help = "Exit codes: 0 all seeds passed, 1 a seed failed (violation, panic or hang), \
                  2 usage error, 3 harness error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one seed and print its summary, violations and replay command.
    Run(RunArgs),
    /// Run many seeds, each on its own thread, and summarise.
    Explore(ExploreArgs),
    /// Run each seed twice on different threads and compare the history hashes.
    CheckDeterminism(DeterminismArgs),
    /// List the planted bugs of the catalogue.
    Bugs(BugsArgs),
    /// Measure throughput and memory over many seeds, beside a bare madsim ping-pong.
    Bench(BenchArgs),
    /// For each planted bug, explore seeds until one fails; report the seed and the invariant.
    Hunt(HuntArgs),
    /// Shrink a failing seed's fault schedule and cluster to the smallest that still breaks the
    /// same invariant, and write it to regressions/.
    Shrink(ShrinkArgs),
}

#[derive(Args)]
struct ShrinkArgs {
    /// The failing seed.
    #[arg(long, value_parser = ftsim::seed::parse_seed)]
    seed: u64,
    #[command(flatten)]
    model: ModelArgs,
    /// Most candidate runs to try.
    #[arg(long, default_value_t = 2_000)]
    max_runs: u32,
    /// Where to write the shrunk schedule.
    #[arg(long, default_value = "regressions", value_name = "DIR")]
    out: PathBuf,
    /// Print the result as one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct HuntArgs {
    /// Hunt only this bug (default: every bug of the catalogue).
    #[arg(long, value_name = "NAME")]
    bug: Option<String>,
    /// Seeds to try per bug before giving up.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..))]
    budget: u64,
    /// The first seed.
    #[arg(long, default_value_t = 1, value_parser = ftsim::seed::parse_seed)]
    seed: u64,
    #[command(flatten)]
    jobs: JobsArg,
    /// Named options preset the bugs are planted into [default: fast].
    #[arg(long)]
    preset: Option<String>,
    /// Hunt each bug from this many start seeds (START, START+10000, ...) and report the
    /// median seeds and wall time to first detection.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=100))]
    repeat: u64,
    /// Print one JSON array, an object per bug.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct BenchArgs {
    /// How many seeds to run (from seed 1).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    seeds: u64,
    #[command(flatten)]
    jobs: JobsArg,
    #[command(flatten)]
    model: ModelArgs,
    /// Print the figures as one JSON object.
    #[arg(long)]
    json: bool,
}

/// `--jobs`, for every command that runs many seeds.
#[derive(Args)]
struct JobsArg {
    /// Seeds run at once (default: the number of cores).
    #[arg(long = "jobs", value_name = "JOBS", value_parser = clap::value_parser!(u64).range(1..=1024))]
    given: Option<u64>,
}

impl JobsArg {
    /// The jobs given, or the number of cores.
    fn count(&self) -> usize {
        self.given.map(|j| j as usize).unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
    }
}

#[derive(Args)]
struct ModelArgs {
    /// Named options preset (alluxio-defaults, fast) [default: fast].
    #[arg(long, conflicts_with = "options")]
    preset: Option<String>,
    /// Options file (JSON; missing fields take Alluxio's defaults).
    #[arg(long, value_name = "FILE")]
    options: Option<PathBuf>,
    /// Switch on one planted bug of the catalogue (see `ftsim bugs`).
    #[arg(long, value_name = "NAME")]
    bug: Option<String>,
    /// Run the options exactly as given, with no fault schedule (no swarm draw).
    #[arg(long)]
    no_swarm: bool,
}

impl ModelArgs {
    fn model(&self) -> Result<Model, String> {
        let mut base = match &self.options {
            Some(path) => Options::from_file(path)?,
            None => preset(self.preset.as_deref())?,
        };
        if let Some(name) = &self.bug {
            base.bug = Some(Bug::parse(name)?);
        }
        Ok(Model {
            base,
            swarm: !self.no_swarm,
        })
    }

    /// The flags that reproduce this model on the command line.
    fn replay_flags(&self) -> String {
        let mut flags = match (&self.preset, &self.options) {
            (_, Some(path)) => format!(" --options {}", path.display()),
            (Some(name), None) => format!(" --preset {name}"),
            (None, None) => String::new(),
        };
        if let Some(bug) = &self.bug {
            flags.push_str(&format!(" --bug {bug}"));
        }
        if self.no_swarm {
            flags.push_str(" --no-swarm");
        }
        flags
    }
}

#[derive(Args)]
struct RunArgs {
    /// The seed (decimal, or hex with 0x).
    #[arg(long, value_parser = ftsim::seed::parse_seed, required_unless_present = "schedule")]
    seed: Option<u64>,
    #[command(flatten)]
    model: ModelArgs,
    /// Replay a schedule file (from regressions/ or fixtures/schedules/): its seed, options and
    /// faults (`--seed` overrides the seed).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["preset", "options", "bug", "no_swarm"])]
    schedule: Option<PathBuf>,
    /// Print the whole event history on stderr as it happens, one line per event with its
    /// simulated time and node (filter with RUST_LOG, default `ftsim=debug`).
    #[arg(long)]
    trace: bool,
    /// Print the summary as one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct SweepArgs {
    /// How many seeds to run.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    seeds: u64,
    /// The first seed (random and printed when not given).
    #[arg(long, value_parser = ftsim::seed::parse_seed)]
    seed: Option<u64>,
    #[command(flatten)]
    jobs: JobsArg,
    #[command(flatten)]
    model: ModelArgs,
    /// Print the summary as one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ExploreArgs {
    #[command(flatten)]
    sweep: SweepArgs,
    /// Run only shard K of N (1-based) of the seed range: seeds whose offset from the start is
    /// K-1 modulo N. N machines with K = 1..N together run the whole range.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    shard: Option<(u64, u64)>,
    /// Real seconds a seed may run before it counts as hung.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..))]
    wall_limit_s: u64,
}

#[derive(Args)]
struct DeterminismArgs {
    #[command(flatten)]
    sweep: SweepArgs,
}

#[derive(Args)]
struct BugsArgs {
    /// Print the list as JSON.
    #[arg(long)]
    json: bool,
}

fn parse_shard(s: &str) -> Result<(u64, u64), String> {
    let (k, n) = s
        .split_once('/')
        .ok_or_else(|| format!("'{s}' is not K/N (for example 2/4)"))?;
    let k: u64 = k
        .trim()
        .parse()
        .map_err(|_| format!("'{k}' in '{s}' is not a number"))?;
    let n: u64 = n
        .trim()
        .parse()
        .map_err(|_| format!("'{n}' in '{s}' is not a number"))?;
    if n == 0 || k == 0 || k > n {
        return Err(format!("shard {k}/{n}: K must be 1 to N and N at least 1"));
    }
    Ok((k, n))
}

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
            let code = if e.use_stderr() { exit::USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::Run(args) => run(args),
        Command::Explore(args) => explore(args),
        Command::CheckDeterminism(args) => check_determinism(args),
        Command::Bugs(args) => bugs(args),
        Command::Bench(args) => bench(args),
        Command::Hunt(args) => hunt(args),
        Command::Shrink(args) => shrink(args),
    }
}

/// A named preset (`fast` when none is named).
fn preset(name: Option<&str>) -> Result<Options, String> {
    let name = name.unwrap_or("fast");
    Options::preset(name).ok_or_else(|| {
        format!(
            "unknown preset '{name}'; known presets: {}",
            PRESETS.join(", ")
        )
    })
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(exit::USAGE)
}

fn replay_command(seed: u64, flags: &str) -> String {
    format!("ftsim run --seed {seed}{flags}")
}

fn run(args: RunArgs) -> ExitCode {
    let model = match args.model.model() {
        Ok(m) => m,
        Err(e) => return usage_error(&e),
    };
    if args.trace {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("ftsim=debug"));
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .without_time()
            .with_ansi(std::io::stderr().is_terminal())
            .with_level(false)
            .with_target(false)
            .init();
    }
    let (seed, plan, replay) = match &args.schedule {
        Some(path) => match ftsim::schedule::ScheduleFile::load(path) {
            Ok(file) => {
                let seed = args.seed.unwrap_or(file.seed);
                let plan = file.plan().expect("checked on load");
                let replay = format!("ftsim run --schedule {} --seed {seed}", path.display());
                (seed, plan, replay)
            }
            Err(e) => return usage_error(&e),
        },
        None => {
            let seed = args.seed.expect("clap requires --seed without --schedule");
            let replay = replay_command(seed, &args.model.replay_flags());
            (seed, model.plan(seed), replay)
        }
    };
    let described = plan.describe();
    match ftsim::run::run(seed, plan) {
        Ok(outcome) => {
            if args.json {
                println!("{}", outcome_json(&outcome, &replay));
            } else {
                print_outcome(&outcome, &replay);
            }
            if outcome.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(exit::FAILED)
            }
        }
        Err(panic) => {
            eprintln!("seed {seed} failed inside the model: {panic}\n{described}replay: {replay}");
            ExitCode::from(exit::FAILED)
        }
    }
}

/// The start seed: given, or drawn from the clock (the only value drawn outside a simulation;
/// it is printed so the sweep can be repeated).
fn start_seed(given: Option<u64>) -> u64 {
    given.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64 % 1_000_000_000)
            .unwrap_or(0)
    })
}

fn progress_bar(len: u64, json: bool) -> indicatif::ProgressBar {
    if json || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} seeds, {per_sec}, eta {eta} {msg}",
        )
        .expect("valid template"),
    );
    bar
}

/// Peak resident memory of this process, from /proc (Linux), in MiB.
fn peak_rss_mib() -> Option<f64> {
    ftsim::bench::proc_status_mib("VmHWM:")
}

fn explore(args: ExploreArgs) -> ExitCode {
    let sweep_args = &args.sweep;
    let model = match sweep_args.model.model() {
        Ok(m) => m,
        Err(e) => return usage_error(&e),
    };
    let start = start_seed(sweep_args.seed);
    let jobs = sweep_args.jobs.count();
    let (k, n) = args.shard.unwrap_or((1, 1));
    let seeds: Vec<u64> = (0..sweep_args.seeds)
        .filter(|i| i % n == k - 1)
        .map(|i| start.wrapping_add(i))
        .collect();
    let flags = sweep_args.model.replay_flags();
    let shard_flag = args
        .shard
        .map(|(k, n)| format!(" --shard {k}/{n}"))
        .unwrap_or_default();
    if !sweep_args.json {
        println!(
            "exploring {} seeds from {start} with {jobs} jobs\n  again: ftsim explore --seeds {} --seed {start}{shard_flag}{flags}",
            seeds.len(),
            sweep_args.seeds
        );
    }
    let bar = progress_bar(seeds.len() as u64, sweep_args.json);
    let wall = Instant::now();
    let sweep = ftsim::explore::explore(
        &seeds,
        jobs,
        &|seed| model.plan(seed),
        Some(Duration::from_secs(args.wall_limit_s)),
        &|seed| replay_command(seed, &flags),
        &|r: &SeedResult| {
            if r.failed() {
                bar.set_message(format!("(failed: seed {})", r.seed));
            }
            bar.inc(1);
        },
    );
    bar.finish_and_clear();
    let wall_s = wall.elapsed().as_secs_f64();
    let sim_s = sweep.sim_ms as f64 / 1000.0;
    if sweep_args.json {
        let mut out = serde_json::to_value(&sweep).expect("sweep serialises");
        let extra = serde_json::json!({
            "start": start,
            "shard": format!("{k}/{n}"),
            "sim_s": sim_s,
            "wall_s": wall_s,
            "seeds_per_s": sweep.seeds as f64 / wall_s,
            "sim_s_per_wall_s": sim_s / wall_s,
            "messages_per_wall_s": sweep.messages as f64 / wall_s,
            "failovers_per_wall_min": sweep.failovers as f64 / wall_s * 60.0,
            "peak_rss_mib": peak_rss_mib(),
        });
        out.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        println!("{out}");
    } else {
        print_sweep(&sweep, wall_s);
    }
    if sweep.failed_seeds.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::FAILED)
    }
}

fn print_sweep(s: &Sweep, wall_s: f64) {
    let sim_s = s.sim_ms as f64 / 1000.0;
    println!("seeds        {} ({} failed)", s.seeds, s.failed_seeds.len());
    println!(
        "simulated    {sim_s:.1} s in {wall_s:.2} s wall ({:.0}x, {:.1} seeds/s)",
        sim_s / wall_s,
        s.seeds as f64 / wall_s
    );
    println!(
        "failovers    {} ({:.0} per wall minute)",
        s.failovers,
        s.failovers as f64 / wall_s * 60.0
    );
    println!("operations   {} ok, {} failed", s.ops_ok, s.ops_failed);
    let line = |m: &std::collections::BTreeMap<String, u64>| {
        m.iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!("faults       {}", line(&s.faults));
    println!("coverage     {}", line(&s.coverage));
    let unreached: Vec<&String> = s
        .coverage
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(k, _)| k)
        .collect();
    if !unreached.is_empty() {
        println!(
            "  never reached: {}",
            unreached
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if let Some(mib) = peak_rss_mib() {
        println!("peak memory  {mib:.0} MiB");
    }
    for f in &s.violations {
        let at = f
            .at_ms
            .map(|t| format!(" at {t:.3} ms"))
            .unwrap_or_default();
        println!(
            "FAILED seed {}: {}{at}: {}\n  replay: {}",
            f.seed, f.invariant, f.detail, f.replay
        );
    }
}

fn check_determinism(args: DeterminismArgs) -> ExitCode {
    let a = &args.sweep;
    let model = match a.model.model() {
        Ok(m) => m,
        Err(e) => return usage_error(&e),
    };
    let start = start_seed(a.seed);
    let seeds: Vec<u64> = (0..a.seeds).map(|i| start.wrapping_add(i)).collect();
    let bar = progress_bar(seeds.len() as u64, a.json);
    let wall = Instant::now();
    let mismatches =
        ftsim::determinism::check(&seeds, a.jobs.count(), &|seed| model.plan(seed), &|| {
            bar.inc(1)
        });
    bar.finish_and_clear();
    let flags = a.model.replay_flags();
    if a.json {
        let out = serde_json::json!({
            "start": start,
            "seeds": a.seeds,
            "mismatches": mismatches.iter().map(|m| serde_json::json!({
                "seed": m.seed, "first": m.first, "second": m.second,
                "replay": replay_command(m.seed, &flags),
            })).collect::<Vec<_>>(),
            "wall_s": wall.elapsed().as_secs_f64(),
        });
        println!("{out}");
    } else {
        println!(
            "ran seeds {start}..{} twice each: {} mismatch(es) in {:.1} s",
            start + a.seeds,
            mismatches.len(),
            wall.elapsed().as_secs_f64()
        );
        for m in &mismatches {
            println!(
                "MISMATCH seed {}: {} vs {}\n  replay: {}",
                m.seed,
                m.first,
                m.second,
                replay_command(m.seed, &flags)
            );
        }
    }
    if mismatches.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::FAILED)
    }
}

fn bench(args: BenchArgs) -> ExitCode {
    let model = match args.model.model() {
        Ok(m) => m,
        Err(e) => return usage_error(&e),
    };
    let jobs = args.jobs.count();
    let r = ftsim::bench::bench(args.seeds, jobs, &|seed| model.plan(seed));
    if args.json {
        println!("{}", serde_json::to_string(&r).expect("report serialises"));
    } else {
        let mib = |m: Option<f64>| m.map_or("-".into(), |m| format!("{m:.0} MiB"));
        println!(
            "seeds                    {} on {} jobs in {:.1} s ({} failed)",
            r.seeds, r.jobs, r.wall_s, r.failed_seeds
        );
        println!("seeds per second         {:.0}", r.seeds_per_s);
        println!("simulated s per wall s   {:.0}", r.sim_s_per_wall_s);
        println!("failovers per wall min   {:.0}", r.failovers_per_wall_min);
        println!(
            "messages per wall s      {:.0} (bare madsim ping-pong: {:.0})",
            r.messages_per_wall_s, r.bare_messages_per_wall_s
        );
        println!(
            "harness / bare           {:.2} (median of {} rounds; lowest {:.2}, highest {:.2})",
            r.harness_vs_bare,
            ftsim::bench::ROUNDS.min(r.seeds),
            r.harness_vs_bare_range.0,
            r.harness_vs_bare_range.1
        );
        println!(
            "memory                   {} after a tenth, {} at the end, peak {}",
            mib(r.rss_mib_after_tenth),
            mib(r.rss_mib_at_end),
            mib(r.peak_rss_mib)
        );
    }
    if r.failed_seeds == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::FAILED)
    }
}

fn hunt(args: HuntArgs) -> ExitCode {
    let bugs: Vec<Bug> = match &args.bug {
        Some(name) => match Bug::parse(name) {
            Ok(b) => vec![b],
            Err(e) => return usage_error(&e),
        },
        None => Bug::ALL.to_vec(),
    };
    let base = match preset(args.preset.as_deref()) {
        Ok(o) => o,
        Err(e) => return usage_error(&e),
    };
    let jobs = args.jobs.count();
    let mut hunts = vec![];
    let mut rows = vec![];
    for bug in bugs {
        let runs: Vec<ftsim::hunt::Hunt> = (0..args.repeat)
            .map(|i| ftsim::hunt::hunt(bug, &base, args.seed + i * 10_000, args.budget, jobs))
            .collect();
        let h = runs[0].clone();
        if !args.json {
            match (&h.seed, &h.invariant) {
                (Some(seed), Some(inv)) => println!(
                    "{:<4} {:<36} found by {inv} at seed {seed} after {} seeds, {:.1} s\n     {}\n     replay: {}",
                    h.id, h.bug, h.seeds_tried, h.wall_s,
                    h.detail.as_deref().unwrap_or(""),
                    h.replay.as_deref().unwrap_or("")
                ),
                _ => println!(
                    "{:<4} {:<36} NOT FOUND in {} seeds ({:.1} s)",
                    h.id, h.bug, h.seeds_tried, h.wall_s
                ),
            }
        }
        if args.repeat > 1 {
            let median = |mut v: Vec<f64>| {
                v.sort_by(|a, b| a.total_cmp(b));
                v[v.len() / 2]
            };
            let found = runs.iter().filter(|r| r.found).count();
            let seeds = median(runs.iter().map(|r| r.seeds_tried as f64).collect());
            let wall = median(runs.iter().map(|r| r.wall_s).collect());
            let mut invariants: Vec<String> =
                runs.iter().filter_map(|r| r.invariant.clone()).collect();
            invariants.sort();
            invariants.dedup();
            if !args.json {
                println!(
                    "     over {} starts: found {found}, median {seeds:.0} seeds, {wall:.2} s; caught by {}",
                    args.repeat,
                    invariants.join(", ")
                );
            }
            rows.push(serde_json::json!({
                "bug": h.bug, "id": h.id, "starts": args.repeat, "found_in": found,
                "median_seeds": seeds, "median_wall_s": wall, "invariants": invariants,
            }));
        }
        hunts.extend(runs);
    }
    if args.json {
        let out = if args.repeat > 1 {
            serde_json::json!({"hunts": hunts, "medians": rows})
        } else {
            serde_json::to_value(&hunts).expect("hunts serialise")
        };
        println!("{out}");
    }
    if hunts.iter().all(|h| h.found) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::FAILED)
    }
}

fn shrink(args: ShrinkArgs) -> ExitCode {
    use ftsim::schedule::ScheduleFile;
    let model = match args.model.model() {
        Ok(m) => m,
        Err(e) => return usage_error(&e),
    };
    let wall = Instant::now();
    let plan = model.plan(args.seed);
    let before = match ftsim::run::run(args.seed, plan.clone()) {
        Ok(o) => o,
        Err(e) => {
            eprintln!(
                "seed {} did not finish ({e}); only invariant violations shrink",
                args.seed
            );
            return ExitCode::from(exit::FAILED);
        }
    };
    let Some(invariant) = before.violations.first().map(|v| v.invariant.to_string()) else {
        return usage_error(&format!(
            "seed {} breaks no invariant{}: nothing to shrink",
            args.seed,
            args.model.replay_flags()
        ));
    };
    let shrunk = match ftsim::shrink::shrink(args.seed, plan.clone(), &invariant, args.max_runs) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(exit::HARNESS);
        }
    };
    let wall_s = wall.elapsed().as_secs_f64();
    let file = ScheduleFile::from_plan(args.seed, &shrunk.plan, Some(invariant.clone()));
    let name = format!(
        "{}-seed-{}.json",
        model.base.bug.map_or("default".to_string(), |b| b.name()),
        args.seed
    );
    let path = args.out.join(&name);
    if let Err(e) =
        std::fs::create_dir_all(&args.out).and_then(|_| std::fs::write(&path, file.to_pretty()))
    {
        eprintln!("error: cannot write {}: {e}", path.display());
        return ExitCode::from(exit::HARNESS);
    }
    // The shrunk schedule must fail again, the same way, when replayed from the file.
    let replayed = ScheduleFile::load(&path)
        .and_then(|f| ftsim::run::run(f.seed, f.plan()?))
        .map(|o| o.violations.iter().any(|v| v.invariant == invariant));
    let replay = format!("ftsim run --schedule {}", path.display());
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "seed": args.seed,
                "bug": model.base.bug.map(|b| b.name()),
                "invariant": invariant,
                "faults_before": plan.faults.len(),
                "faults_after": shrunk.plan.faults.len(),
                "masters_before": plan.options.masters,
                "masters_after": shrunk.plan.options.masters,
                "runs": shrunk.runs,
                "wall_s": wall_s,
                "file": path,
                "replay_fails": replayed.as_ref().ok(),
                "replay": replay,
            })
        );
    } else {
        println!("seed {} breaks {invariant}", args.seed);
        println!("before:\n{}", indent(&plan.describe()));
        println!(
            "after {} runs in {wall_s:.1} s:\n{}",
            shrunk.runs,
            indent(&shrunk.plan.describe())
        );
        println!("written to {}", path.display());
        match &replayed {
            Ok(true) => println!("replayed from the file: still breaks {invariant}"),
            Ok(false) => println!("replayed from the file: NO LONGER breaks {invariant}"),
            Err(e) => println!("replayed from the file: {e}"),
        }
        println!("replay: {replay}");
    }
    match replayed {
        Ok(true) => ExitCode::SUCCESS,
        _ => ExitCode::from(exit::HARNESS),
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn bugs(args: BugsArgs) -> ExitCode {
    if args.json {
        let list: Vec<serde_json::Value> = Bug::ALL
            .iter()
            .map(|b| serde_json::json!({"id": b.id(), "name": b.name(), "summary": b.summary()}))
            .collect();
        println!("{}", serde_json::Value::Array(list));
    } else {
        for b in Bug::ALL {
            println!("{:<4} {:<36} {}", b.id(), b.name(), b.summary());
        }
    }
    ExitCode::SUCCESS
}

fn outcome_json(o: &Outcome, replay: &str) -> serde_json::Value {
    let s = &o.summary;
    serde_json::json!({
        "seed": o.seed,
        "passed": o.passed(),
        "history_hash": format!("{:016x}", o.history_hash),
        "events": o.events.len(),
        "sim_ms": s.sim_ms,
        "terms": s.terms,
        "failovers": s.failovers,
        "ops_ok": s.ops_ok,
        "ops_failed": s.ops_failed,
        "journal_entries": s.journal_entries,
        "digests": s.digests.iter().map(|(k, v)| (k.clone(), serde_json::json!(v.map(|d| format!("{d:016x}"))))).collect::<serde_json::Map<_, _>>(),
        "violations": o.violations,
        "faults": o.faults,
        "coverage": o.coverage,
        "plan": o.plan,
        "replay": replay,
    })
}

fn print_outcome(o: &Outcome, replay: &str) {
    let s = &o.summary;
    let plan: &Plan = &o.plan;
    println!(
        "seed {}: {}",
        o.seed,
        if o.passed() { "passed" } else { "FAILED" }
    );
    for line in plan.describe().lines() {
        println!("  {line}");
    }
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
    let reached: Vec<String> = o
        .coverage
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    println!(
        "  coverage      {}",
        if reached.is_empty() {
            "-".into()
        } else {
            reached.join(", ")
        }
    );
    println!(
        "  history       {} events, hash {:016x}",
        o.events.len(),
        o.history_hash
    );
    for v in &o.violations {
        let event = v
            .event
            .map(|i| format!("\n    first breaking event #{i}: {}", o.events[i].compact()))
            .unwrap_or_default();
        println!(
            "  VIOLATION     {} ({:?}) at {:.3} ms: {}{event}",
            v.invariant, v.tag, v.at_ms, v.detail
        );
    }
    println!("  replay        {replay}");
}
