//! `ftsim explore`: many seeds, each failure on stderr the moment it is found, the summary at
//! the end, and, when a signal or `--deadline-s` stops the sweep early, the partial summary with
//! the command that runs exactly the seeds not yet done.

use super::args::ExploreArgs;
use super::commands::{model_of, progress_bar};
use super::out_dir::OutDir;
use super::stop::Stop;
use super::{exit, render};
use ftsim::explore::{SeedResult, Sweep};
use ftsim::model::Model;
use ftsim::reproduction::shell_words;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The flags of a sweep that the summary and the resume command repeat.
struct Range<'a> {
    args: &'a ExploreArgs,
    model: &'a Model,
    start: u64,
    shard: (u64, u64),
}

impl Range<'_> {
    /// The command that runs this range from its seed `skip` on (the seeds are the same; the
    /// first `skip` of them are left out).
    fn command(&self, skip: u64) -> String {
        let a = self.args;
        let mut words = vec![
            "explore".to_string(),
            "--seeds".into(),
            a.sweep.seeds.to_string(),
            "--seed".into(),
            self.start.to_string(),
        ];
        if let Some((k, n)) = a.shard {
            words.extend(["--shard".into(), format!("{k}/{n}")]);
        }
        if skip > 0 {
            words.extend(["--skip".into(), skip.to_string()]);
        }
        words.extend(self.model.flags());
        if a.wall_limit_s != super::args::DEFAULT_WALL_LIMIT_S {
            words.extend(["--wall-limit-s".into(), a.wall_limit_s.to_string()]);
        }
        if let Some(dir) = &a.out {
            words.extend(["--out".into(), dir.display().to_string()]);
        }
        if a.sweep.json {
            words.push("--json".into());
        }
        format!("ftsim {}", shell_words(&words))
    }

    /// The summary of `sweep`, which covers this range's seeds from `skip` on; `resume` is the
    /// command for the seeds left, when some are.
    fn summary(&self, sweep: &Sweep, wall: Instant, resume: Option<String>) -> serde_json::Value {
        render::sweep_json(
            sweep,
            &render::SweepRange {
                model: shell_words(&self.model.flags()),
                start: self.start,
                range: self.args.sweep.seeds,
                shard: self.shard,
                skip: self.args.skip,
                resume,
            },
            &sweep.rates(wall.elapsed().as_secs_f64()),
            ftsim::memory::peak_rss_mib(),
        )
    }
}

pub fn explore(args: ExploreArgs) -> ExitCode {
    let a = &args.sweep;
    let model = match model_of(&a.model) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let start = a.seed.unwrap_or_else(ftsim::seed::from_clock);
    let jobs = a.jobs.count();
    let shard = args.shard.unwrap_or((1, 1));
    let (k, n) = shard;
    let shard_seeds: Vec<u64> = (0..a.seeds)
        .filter(|i| i % n == k - 1)
        .map(|i| start.wrapping_add(i))
        .collect();
    if args.skip > shard_seeds.len() as u64 {
        return super::commands::usage_error(&format!(
            "--skip {}: the range has only {} seeds{}",
            args.skip,
            shard_seeds.len(),
            if n > 1 { " in this shard" } else { "" }
        ));
    }
    let seeds = &shard_seeds[args.skip as usize..];
    let range = Range {
        args: &args,
        model: &model,
        start,
        shard,
    };
    let mut out = match args
        .out
        .as_deref()
        .map(|d| OutDir::open(d, shard, args.skip))
    {
        None => None,
        Some(Ok(o)) => Some(o),
        Some(Err(e)) => {
            eprintln!("error: {e}");
            return exit::code(exit::HARNESS);
        }
    };
    if !a.json {
        println!(
            "exploring {} seeds from {start} with {jobs} jobs\n  again: {}",
            seeds.len(),
            range.command(args.skip)
        );
    }
    let stop = Stop::install(args.deadline_s);
    let stopping = || stop.now();
    let bar = progress_bar(seeds.len() as u64, a.json);
    let wall = Instant::now();
    let mut write_error: Option<String> = None;
    let mut on_done = |r: &SeedResult, sweep: &Sweep| {
        bar.inc(1);
        if r.failed() {
            bar.set_message(format!("seed {} FAILED", r.seed));
            for f in r.failures(&model) {
                let detail = f.detail.lines().next().unwrap_or("");
                let line = format!(
                    "seed {} FAILED {} ({}): {detail}\n  replay: {}",
                    f.seed,
                    f.invariant,
                    f.kind.name(),
                    f.replay
                );
                if bar.is_hidden() {
                    eprintln!("{line}");
                } else {
                    bar.println(line);
                }
                if let Some(out) = &mut out {
                    let json = serde_json::to_value(&f).expect("a failure serialises");
                    if let Err(e) = out.failure(&json) {
                        write_error.get_or_insert(e);
                    }
                }
            }
        }
        if let Some(out) = &mut out {
            if out.due() {
                // Until the sweep ends its summary on disk is a partial one, resumable as is.
                let resume = range.command(args.skip + sweep.seeds);
                if let Err(e) = out.summary(&range.summary(sweep, wall, Some(resume))) {
                    write_error.get_or_insert(e);
                }
            }
        }
    };
    let sweep = ftsim::explore::explore_until(
        seeds,
        jobs,
        &model,
        Some(Duration::from_secs(args.wall_limit_s)),
        Some(&stopping),
        &mut on_done,
    );
    bar.finish_and_clear();
    let resume = sweep
        .interrupted
        .then(|| range.command(args.skip + sweep.seeds));
    let summary = range.summary(&sweep, wall, resume.clone());
    if let Some(out) = &mut out {
        if let Err(e) = out.summary(&summary) {
            write_error.get_or_insert(e);
        }
    }
    if a.json {
        println!("{summary}");
    } else {
        let rates = sweep.rates(wall.elapsed().as_secs_f64());
        render::sweep(&sweep, &rates, ftsim::memory::peak_rss_mib());
        if let Some(out) = &out {
            println!("written      {}", out.summary_path().display());
        }
    }
    if let Some(resume) = &resume {
        let why = if stop.by_signal() {
            "a signal"
        } else {
            "the deadline"
        };
        let line = format!(
            "interrupted by {why} after {} of {} seeds; the rest: {resume}",
            sweep.seeds,
            seeds.len()
        );
        if a.json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
    if let Some(e) = write_error {
        eprintln!("error: {e}");
        return exit::code(exit::HARNESS);
    }
    if let Some(dir) = &args.timelines {
        if let Err(e) = write_timelines(dir, &sweep.failed_seeds, jobs, &model) {
            eprintln!("error: {e}");
            return exit::code(exit::HARNESS);
        }
    }
    exit::code(if sweep.interrupted {
        stop.exit_code(sweep.exit_code())
    } else {
        sweep.exit_code()
    })
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
