//! One handler per command: build the model from the flags, call the library, render, and
//! return the exit code. Nothing here decides anything the library could.

use super::args::*;
use super::{exit, render};
use ftsim::bugs::Bug;
use ftsim::model::Model;
use ftsim::reproduction::Reproduction;
use ftsim::schedule::ScheduleFile;
use ftsim::shrink::ShrinkError;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::{Duration, Instant};

fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    exit::code(exit::USAGE)
}

/// The model of the flags, or the usage error to end with.
fn model_of(args: &ModelArgs) -> Result<Model, ExitCode> {
    args.model().map_err(|e| usage_error(&e))
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

fn trace_to_stderr() {
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

pub fn run(args: RunArgs) -> ExitCode {
    let (seed, plan, replay) = match &args.schedule {
        Some(path) => {
            let file = match ScheduleFile::load(path) {
                Ok(f) => f,
                Err(e) => return usage_error(&e),
            };
            let seed = args.seed.unwrap_or(file.seed);
            let plan = file.plan().expect("checked on load");
            (seed, plan, Reproduction::schedule(path, seed))
        }
        None => {
            let model = match model_of(&args.model) {
                Ok(m) => m,
                Err(code) => return code,
            };
            let seed = args.seed.expect("clap requires --seed without --schedule");
            (seed, model.plan(seed), model.reproduction(seed))
        }
    };
    if args.trace {
        trace_to_stderr();
    }
    let described = plan.describe();
    match ftsim::run::run(seed, plan) {
        Ok(outcome) => {
            if args.json {
                println!("{}", render::outcome_json(&outcome, &replay));
            } else {
                render::outcome(&outcome, &replay);
            }
            if let Some(path) = &args.timeline {
                let run = ftsim::timeline::Run::of(&outcome, &replay);
                if let Err(e) = write_timeline(path, &run) {
                    eprintln!("error: {e}");
                    return exit::code(exit::HARNESS);
                }
            }
            let kinds: Vec<_> = outcome
                .violations
                .iter()
                .map(ftsim::failure::FailureKind::of_violation)
                .collect();
            exit::code(ftsim::failure::exit_code(&kinds))
        }
        Err(unfinished) => {
            render::unfinished(seed, &unfinished, &described, &replay);
            if args.timeline.is_some() {
                eprintln!("no timeline written: a run that does not finish leaves no history");
            }
            exit::code(unfinished.kind().exit_code())
        }
    }
}

/// Renders a run's timeline and writes it to `path`, saying on stderr where, how large, and how
/// long the rendering took; `Err` names a path that cannot be written.
fn write_timeline(path: &std::path::Path, run: &ftsim::timeline::Run) -> Result<(), String> {
    let wall = Instant::now();
    let page = ftsim::timeline::render(run);
    let rendered = wall.elapsed();
    std::fs::write(path, &page)
        .map_err(|e| format!("cannot write the timeline {}: {e}", path.display()))?;
    eprintln!(
        "timeline: {} ({} bytes, {} events, rendered in {:.1} ms)",
        path.display(),
        page.len(),
        run.events.len(),
        rendered.as_secs_f64() * 1000.0
    );
    Ok(())
}

/// Runs each failed seed of a sweep again, `jobs` at a time, and writes its timeline to
/// `dir/seed-N.html`. Seeds that did not finish are named on stderr: they leave no history.
fn write_timelines(
    dir: &std::path::Path,
    failed: &[u64],
    jobs: usize,
    model: &Model,
) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| {
        format!(
            "cannot create the timelines directory {}: {e}",
            dir.display()
        )
    })?;
    // Per seed: Ok(true) drawn, Ok(false) no history (the seed did not finish), Err a file that
    // cannot be written.
    let results = ftsim::pool::map(failed.len(), jobs, |i| {
        let seed = failed[i];
        match ftsim::timeline::rerun(seed, model) {
            Ok(page) => {
                let path = dir.join(format!("seed-{seed}.html"));
                std::fs::write(&path, page)
                    .map(|_| true)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))
            }
            Err(u) => {
                eprintln!("seed {seed} {u}: no history to draw");
                Ok(false)
            }
        }
    });
    let mut written = 0;
    for drawn in results {
        if drawn? {
            written += 1;
        }
    }
    eprintln!(
        "timelines: {written} of {} failed seeds drawn in {}",
        failed.len(),
        dir.display()
    );
    Ok(())
}

pub fn explore(args: ExploreArgs) -> ExitCode {
    let a = &args.sweep;
    let model = match model_of(&a.model) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let start = a.seed.unwrap_or_else(ftsim::seed::from_clock);
    let jobs = a.jobs.count();
    let (k, n) = args.shard.unwrap_or((1, 1));
    let seeds: Vec<u64> = (0..a.seeds)
        .filter(|i| i % n == k - 1)
        .map(|i| start.wrapping_add(i))
        .collect();
    if !a.json {
        let mut again = vec![
            "explore".to_string(),
            "--seeds".into(),
            a.seeds.to_string(),
            "--seed".into(),
            start.to_string(),
        ];
        if let Some((k, n)) = args.shard {
            again.extend(["--shard".into(), format!("{k}/{n}")]);
        }
        again.extend(model.flags());
        println!(
            "exploring {} seeds from {start} with {jobs} jobs\n  again: ftsim {}",
            seeds.len(),
            ftsim::reproduction::shell_words(&again)
        );
    }
    let bar = progress_bar(seeds.len() as u64, a.json);
    let wall = Instant::now();
    let sweep = ftsim::explore::explore(
        &seeds,
        jobs,
        &model,
        Some(Duration::from_secs(args.wall_limit_s)),
        &|r| {
            bar.inc(1);
            if r.failed() {
                bar.set_message(format!("seed {} FAILED", r.seed));
            }
        },
    );
    bar.finish_and_clear();
    let rates = sweep.rates(wall.elapsed().as_secs_f64());
    let peak = ftsim::memory::peak_rss_mib();
    if a.json {
        println!(
            "{}",
            render::sweep_json(
                &sweep,
                &render::SweepRange {
                    model: ftsim::reproduction::shell_words(&model.flags()),
                    start,
                    range: a.seeds,
                    shard: (k, n),
                },
                &rates,
                peak
            )
        );
    } else {
        render::sweep(&sweep, &rates, peak);
    }
    if let Some(dir) = &args.timelines {
        if let Err(e) = write_timelines(dir, &sweep.failed_seeds, jobs, &model) {
            eprintln!("error: {e}");
            return exit::code(exit::HARNESS);
        }
    }
    exit::code(sweep.exit_code())
}

pub fn check_determinism(args: DeterminismArgs) -> ExitCode {
    let a = &args.sweep;
    let model = match model_of(&a.model) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let start = a.seed.unwrap_or_else(ftsim::seed::from_clock);
    let seeds: Vec<u64> = (0..a.seeds).map(|i| start.wrapping_add(i)).collect();
    let bar = progress_bar(seeds.len() as u64, a.json);
    let wall = Instant::now();
    let mismatches = ftsim::determinism::check(&seeds, a.jobs.count(), &model, &|| bar.inc(1));
    bar.finish_and_clear();
    let wall_s = wall.elapsed().as_secs_f64();
    if a.json {
        println!(
            "{}",
            render::determinism_json(start, a.seeds, &mismatches, wall_s)
        );
    } else {
        render::determinism(start, a.seeds, &mismatches, wall_s);
    }
    // A mismatch is a broken promise of the harness itself, as serious as a safety violation.
    exit::code(if mismatches.is_empty() {
        0
    } else {
        ftsim::failure::FailureKind::Always.exit_code()
    })
}

pub fn bench(args: BenchArgs) -> ExitCode {
    let model = match model_of(&args.model) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let r = ftsim::bench::bench(args.seeds, args.jobs.count(), &model);
    if args.json {
        println!("{}", serde_json::to_string(&r).expect("report serialises"));
    } else {
        render::bench(&r);
    }
    let kinds: Vec<_> = r.failures.iter().map(|f| f.kind).collect();
    exit::code(ftsim::failure::exit_code(&kinds))
}

pub fn hunt(args: HuntArgs) -> ExitCode {
    let bugs: Vec<Bug> = match &args.bug {
        Some(name) => match Bug::parse(name) {
            Ok(b) => vec![b],
            Err(e) => return usage_error(&e),
        },
        None => Bug::ALL.to_vec(),
    };
    let model = match Model::preset(
        args.preset
            .as_deref()
            .unwrap_or(ftsim::options::DEFAULT_PRESET),
    ) {
        Ok(m) => m,
        Err(e) => return usage_error(&e),
    };
    let jobs = args.jobs.count();
    let mut hunts = vec![];
    let mut medians = vec![];
    for bug in bugs {
        let (runs, m) =
            ftsim::hunt::hunt_repeated(bug, &model, args.seed, args.repeat, args.budget, jobs);
        if !args.json {
            render::hunt(&runs[0]);
            if args.repeat > 1 {
                render::medians(&m);
            }
        }
        hunts.extend(runs);
        medians.push(m);
    }
    if args.json {
        let out = if args.repeat > 1 {
            serde_json::json!({"hunts": hunts, "medians": medians})
        } else {
            serde_json::to_value(&hunts).expect("hunts serialise")
        };
        println!("{out}");
    }
    exit::code(if hunts.iter().all(|h| h.found) {
        0
    } else {
        exit::NOT_FOUND
    })
}

pub fn shrink(args: ShrinkArgs) -> ExitCode {
    let model = match model_of(&args.model) {
        Ok(m) => m,
        Err(code) => return code,
    };
    match ftsim::shrink::shrink_to_file(args.seed, &model, args.max_runs, &args.out) {
        Ok(report) => {
            // The shrunk run's timeline, beside its schedule file.
            let timeline = report.file.with_extension("html");
            let drawn = match ftsim::run::run(report.seed, report.after.clone()) {
                Ok(outcome) => {
                    let run = ftsim::timeline::Run::of(&outcome, &report.replay);
                    write_timeline(&timeline, &run).map(|_| true)
                }
                Err(u) => {
                    eprintln!("no timeline written: the shrunk run {u}");
                    Ok(false)
                }
            };
            if args.json {
                let mut json = serde_json::to_value(&report).expect("report serialises");
                json["timeline"] = match drawn {
                    Ok(true) => timeline.display().to_string().into(),
                    _ => serde_json::Value::Null,
                };
                println!("{json}");
            } else {
                render::shrink(&report);
            }
            if let Err(e) = drawn {
                eprintln!("error: {e}");
                return exit::code(exit::HARNESS);
            }
            exit::code(if report.replay_fails == Some(true) {
                0
            } else {
                exit::HARNESS
            })
        }
        Err(ShrinkError::Passes) => usage_error(&format!(
            "seed {} breaks no invariant: nothing to shrink (replay: {})",
            args.seed,
            model.reproduction(args.seed)
        )),
        Err(ShrinkError::Unfinished(u)) => {
            eprintln!(
                "seed {} did not finish ({u}); only invariant violations shrink\nreplay: {}",
                args.seed,
                model.reproduction(args.seed)
            );
            exit::code(u.kind().exit_code())
        }
        Err(ShrinkError::Harness(e)) => {
            eprintln!("error: {e}");
            exit::code(exit::HARNESS)
        }
    }
}

pub fn bugs(args: BugsArgs) -> ExitCode {
    render::bugs(args.json, args.markdown);
    ExitCode::SUCCESS
}

pub fn merge(args: MergeArgs) -> ExitCode {
    let mut summaries = vec![];
    for path in &args.files {
        let name = path.display().to_string();
        let parsed = std::fs::read_to_string(path)
            .map_err(|e| format!("{name}: {e}"))
            .and_then(|text| {
                serde_json::from_str::<serde_json::Value>(&text)
                    .map_err(|e| format!("{name}: not JSON: {e}"))
            });
        match parsed {
            Ok(v) => summaries.push((name, v)),
            Err(e) => return usage_error(&e),
        }
    }
    match ftsim::merge::merge(&summaries) {
        Ok(merged) => {
            println!("{merged}");
            exit::code(merged["exit_code"].as_u64().unwrap_or(0) as u8)
        }
        Err(e) => usage_error(&e),
    }
}
