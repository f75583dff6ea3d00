//! The command line's shape: every command, flag and default, as clap types. Parsing a flag
//! checks it (seeds, shards, ranges), so bad input is a usage error before anything runs.

use clap::{Args, Parser, Subcommand};
use ftsim::bugs::Bug;
use ftsim::model::Model;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "ftsim",
    version,
    about = "Deterministic simulation of Alluxio master fault tolerance",
    after_help = super::exit::HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run one seed and print its summary, violations and replay command.
    Run(RunArgs),
    /// Run many seeds, each on its own thread, and summarise.
    Explore(ExploreArgs),
    /// Run each seed twice on different threads and compare the histories, event by event.
    CheckDeterminism(DeterminismArgs),
    /// List the planted bugs of the catalogue.
    Bugs(BugsArgs),
    /// Measure throughput and memory over many seeds, beside a bare madsim ping-pong.
    Bench(BenchArgs),
    /// For each planted bug, explore seeds until one fails; report the seed and the invariant.
    Hunt(HuntArgs),
    /// Shrink a failing seed's fault schedule and cluster to the smallest that still breaks the
    /// same invariant, and write it to regressions/ with the shrunk run's timeline beside it.
    Shrink(ShrinkArgs),
    /// Combine shard summaries (`explore --shard K/N --json` outputs) into one summary.
    Merge(MergeArgs),
}

#[derive(Args)]
pub struct MergeArgs {
    /// Shard summaries written by `explore --shard K/N --json` with the same build, model, start
    /// and seed count.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// How seeds become plans: `--preset` or `--options`, `--bug`, `--no-swarm`.
#[derive(Args)]
pub struct ModelArgs {
    /// Named options preset (alluxio-defaults, fast) [default: fast].
    #[arg(long, conflicts_with = "options")]
    pub preset: Option<String>,
    /// Options file (JSON; missing fields take Alluxio's defaults).
    #[arg(long, value_name = "FILE")]
    pub options: Option<PathBuf>,
    /// Switch on one planted bug of the catalogue (see `ftsim bugs`).
    #[arg(long, value_name = "NAME")]
    pub bug: Option<String>,
    /// Run the options exactly as given, with no fault schedule (no swarm draw).
    #[arg(long)]
    pub no_swarm: bool,
}

impl ModelArgs {
    /// The model these flags describe; an unknown preset or bug, or a bad options file, is an
    /// error for the user.
    pub fn model(&self) -> Result<Model, String> {
        let model = match &self.options {
            Some(path) => Model::options_file(path)?,
            None => Model::preset(
                self.preset
                    .as_deref()
                    .unwrap_or(ftsim::options::DEFAULT_PRESET),
            )?,
        };
        let bug = self.bug.as_deref().map(Bug::parse).transpose()?;
        let model = model.with_bug(bug);
        Ok(if self.no_swarm {
            model.without_swarm()
        } else {
            model
        })
    }
}

/// `--jobs`, for every command that runs many seeds.
#[derive(Args)]
pub struct JobsArg {
    /// Seeds run at once (default: the number of cores).
    #[arg(long = "jobs", value_name = "JOBS", value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub given: Option<u64>,
}

impl JobsArg {
    /// The jobs given, or the number of cores.
    pub fn count(&self) -> usize {
        self.given.map(|j| j as usize).unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
    }
}

#[derive(Args)]
pub struct RunArgs {
    /// The seed (decimal, or hex with 0x).
    #[arg(long, value_parser = ftsim::seed::parse_seed, required_unless_present = "schedule")]
    pub seed: Option<u64>,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Replay a schedule file (from regressions/ or fixtures/schedules/): its seed, options and
    /// faults (`--seed` overrides the seed).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["preset", "options", "bug", "no_swarm"])]
    pub schedule: Option<PathBuf>,
    /// Print the whole event history on stderr as it happens, one line per event with its
    /// simulated time and node (filter with RUST_LOG, default `ftsim=debug`).
    #[arg(long)]
    pub trace: bool,
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Also draw the run as a self-contained HTML timeline, written to FILE.
    #[arg(long, value_name = "FILE")]
    pub timeline: Option<PathBuf>,
}

#[derive(Args)]
pub struct SweepArgs {
    /// How many seeds to run.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub seeds: u64,
    /// The first seed (random and printed when not given).
    #[arg(long, value_parser = ftsim::seed::parse_seed)]
    pub seed: Option<u64>,
    #[command(flatten)]
    pub jobs: JobsArg,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Real seconds a seed of `explore` may run by default.
pub const DEFAULT_WALL_LIMIT_S: u64 = 120;

#[derive(Args)]
pub struct ExploreArgs {
    #[command(flatten)]
    pub sweep: SweepArgs,
    /// Run only shard K of N (1-based) of the seed range: seeds whose offset from the start is
    /// K-1 modulo N. N machines with K = 1..N together run the whole range.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<(u64, u64)>,
    /// Real seconds a seed may run before it counts as over the wall-time limit.
    #[arg(long, default_value_t = DEFAULT_WALL_LIMIT_S, value_parser = clap::value_parser!(u64).range(1..))]
    pub wall_limit_s: u64,
    /// Run each failed seed again and draw its timeline into DIR/seed-N.html.
    #[arg(long, value_name = "DIR")]
    pub timelines: Option<PathBuf>,
    /// Keep what the sweep finds as it finds it: append each failed seed to DIR/failures.jsonl
    /// as it fails, and rewrite the summary DIR/summary-shard-K-of-N-from-S.json (write, then
    /// rename) every few seconds and at the end. A killed sweep loses only the seeds in flight;
    /// `ftsim merge DIR/summary-*.json` combines a stopped sweep with its resumed rest.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Skip the first N seeds of the range (of the shard, with --shard): they were done by a
    /// stopped run whose summary printed this resume command.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub skip: u64,
    /// Start no seed after this many seconds of wall time: the summary is partial, marked
    /// interrupted, with a resume command (a time box for CI; not an error by itself).
    #[arg(long, value_name = "S", value_parser = clap::value_parser!(u64).range(1..))]
    pub deadline_s: Option<u64>,
}

#[derive(Args)]
pub struct DeterminismArgs {
    #[command(flatten)]
    pub sweep: SweepArgs,
}

#[derive(Args)]
pub struct BugsArgs {
    /// Print each bug's declaration as JSON (id, name, summary, fix, caught_by, preset, budget).
    #[arg(long, conflicts_with = "markdown")]
    pub json: bool,
    /// Print the catalogue as the book's Markdown table.
    #[arg(long)]
    pub markdown: bool,
}

#[derive(Args)]
pub struct BenchArgs {
    /// How many seeds to run (from seed 1).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub seeds: u64,
    #[command(flatten)]
    pub jobs: JobsArg,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Print the figures as one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct HuntArgs {
    /// Hunt only these bugs, in this order (names or ids, comma-separated; default: every bug
    /// of the catalogue).
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub bug: Vec<String>,
    /// Seeds to try per bug before giving up.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..))]
    pub budget: u64,
    /// The first seed.
    #[arg(long, default_value_t = 1, value_parser = ftsim::seed::parse_seed)]
    pub seed: u64,
    #[command(flatten)]
    pub jobs: JobsArg,
    /// Named options preset the bugs are planted into [default: fast].
    #[arg(long)]
    pub preset: Option<String>,
    /// Hunt each bug from this many start seeds (START, START+10000, ...) and report the
    /// median seeds and wall time to first detection.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=100))]
    pub repeat: u64,
    /// Print one JSON array, an object per bug.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct ShrinkArgs {
    /// The failing seed.
    #[arg(long, value_parser = ftsim::seed::parse_seed)]
    pub seed: u64,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Most candidate runs to try.
    #[arg(long, default_value_t = 2_000)]
    pub max_runs: u32,
    /// Where to write the shrunk schedule (and its timeline, the same name ending .html).
    #[arg(long, default_value = "regressions", value_name = "DIR")]
    pub out: PathBuf,
    /// Print the result as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `K/N` with 1 <= K <= N.
pub fn parse_shard(s: &str) -> Result<(u64, u64), String> {
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
