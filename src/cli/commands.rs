//! One handler per command: build the model from the flags, call the library, render, and
//! return the exit code. Nothing here decides anything the library could.

use super::args::*;
use super::stop::Stop;
use super::{exit, render};
use ftsim::bugs::Bug;
use ftsim::model::Model;
use ftsim::reproduction::Reproduction;
use ftsim::schedule::ScheduleFile;
use ftsim::shrink::ShrinkError;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Instant;

pub(super) fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    exit::code(exit::USAGE)
}

/// The model of the flags, or the usage error to end with.
pub(super) fn model_of(args: &ModelArgs) -> Result<Model, ExitCode> {
    args.model().map_err(|e| usage_error(&e))
}

pub(super) fn progress_bar(len: u64, json: bool) -> indicatif::ProgressBar {
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

pub fn check_determinism(args: DeterminismArgs) -> ExitCode {
    let a = &args.sweep;
    let model = match model_of(&a.model) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let start = a.seed.unwrap_or_else(ftsim::seed::from_clock);
    let seeds: Vec<u64> = (0..a.seeds).map(|i| start.wrapping_add(i)).collect();
    let stop = Stop::install(None);
    let stopping = || stop.now();
    let bar = progress_bar(seeds.len() as u64, a.json);
    let wall = Instant::now();
    let (mismatches, done) =
        ftsim::determinism::check_until(&seeds, a.jobs.count(), &model, Some(&stopping), &|| {
            bar.inc(1)
        });
    bar.finish_and_clear();
    let wall_s = wall.elapsed().as_secs_f64();
    let done = done as u64;
    // The seeds not checked, as the command that checks them.
    let resume = (done < a.seeds).then(|| {
        let mut words = vec![
            "check-determinism".to_string(),
            "--seeds".into(),
            (a.seeds - done).to_string(),
            "--seed".into(),
            start.wrapping_add(done).to_string(),
        ];
        words.extend(model.flags());
        if a.json {
            words.push("--json".into());
        }
        format!("ftsim {}", ftsim::reproduction::shell_words(&words))
    });
    if a.json {
        let mut json = render::determinism_json(start, done, &mismatches, wall_s);
        json["interrupted"] = resume.is_some().into();
        json["resume"] = resume.clone().into();
        println!("{json}");
    } else {
        render::determinism(start, done, &mismatches, wall_s);
    }
    if let Some(resume) = &resume {
        let line = format!(
            "interrupted after {done} of {} seeds; the rest: {resume}",
            a.seeds
        );
        if a.json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
    // A mismatch is a broken promise of the harness itself, as serious as a safety violation.
    let failures = if mismatches.is_empty() {
        0
    } else {
        ftsim::failure::FailureKind::Always.exit_code()
    };
    exit::code(if resume.is_some() {
        stop.exit_code(failures)
    } else {
        failures
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
    let bugs: Vec<Bug> = if args.bug.is_empty() {
        Bug::ALL.to_vec()
    } else {
        match args.bug.iter().map(|name| Bug::parse(name)).collect() {
            Ok(bugs) => bugs,
            Err(e) => return usage_error(&e),
        }
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
    let stop = Stop::install(None);
    let stopping = || stop.now();
    let mut hunts = vec![];
    let mut medians = vec![];
    // The bugs not hunted to the end when a signal stopped the hunt, the one it stopped in first.
    let mut left: Vec<Bug> = vec![];
    for (i, &bug) in bugs.iter().enumerate() {
        let (runs, m) = ftsim::hunt::hunt_repeated(
            bug,
            &model,
            args.seed,
            args.repeat,
            args.budget,
            jobs,
            Some(&stopping),
        );
        let whole = runs.len() as u64 == args.repeat && !runs.iter().any(|h| h.interrupted);
        if !args.json {
            if let Some(first) = runs.first() {
                render::hunt(first);
            }
            if args.repeat > 1 && whole {
                render::medians(&m);
            }
        }
        hunts.extend(runs);
        if whole {
            medians.push(m);
        } else {
            left = bugs[i..].to_vec();
            break;
        }
        if stop.now() {
            left = bugs[i + 1..].to_vec();
            break;
        }
    }
    let resume = (!left.is_empty()).then(|| {
        let names: Vec<String> = left.iter().map(|b| b.name()).collect();
        let mut words = vec![
            "hunt".to_string(),
            "--bug".into(),
            names.join(","),
            "--budget".into(),
            args.budget.to_string(),
            "--seed".into(),
            args.seed.to_string(),
        ];
        if args.repeat > 1 {
            words.extend(["--repeat".into(), args.repeat.to_string()]);
        }
        if let Some(preset) = &args.preset {
            words.extend(["--preset".into(), preset.clone()]);
        }
        if args.json {
            words.push("--json".into());
        }
        format!("ftsim {}", ftsim::reproduction::shell_words(&words))
    });
    if args.json {
        // A stopped hunt is always an object, so that it can say so.
        let out = if args.repeat > 1 || resume.is_some() {
            serde_json::json!({
                "hunts": hunts,
                "medians": medians,
                "interrupted": resume.is_some(),
                "resume": resume,
            })
        } else {
            serde_json::to_value(&hunts).expect("hunts serialise")
        };
        println!("{out}");
    }
    if let Some(resume) = &resume {
        let line = format!(
            "interrupted: {} bug(s) not hunted to the end; the rest: {resume}",
            left.len()
        );
        if args.json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
        return exit::code(stop.exit_code(0));
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
    let stop = Stop::install(None);
    let stopping = || stop.now();
    match ftsim::shrink::shrink_to_file(
        args.seed,
        &model,
        args.max_runs,
        &args.out,
        Some(&stopping),
    ) {
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
            exit::code(if report.replay_fails != Some(true) {
                exit::HARNESS
            } else if report.interrupted {
                stop.exit_code(0)
            } else {
                0
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
