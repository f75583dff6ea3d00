//! What the commands print: text for people, one JSON object for scripts. Renderers only format
//! what the library computed.

use ftsim::bench::BenchReport;
use ftsim::determinism::Mismatch;
use ftsim::explore::{Rates, Sweep};
use ftsim::failure::Unfinished;
use ftsim::hunt::{Hunt, Medians};
use ftsim::reproduction::Reproduction;
use ftsim::run::Outcome;
use ftsim::shrink::ShrinkReport;
use ftsim::Bug;
use std::collections::BTreeMap;

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn counts(m: &BTreeMap<String, u64>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn outcome_json(o: &Outcome, replay: &Reproduction) -> serde_json::Value {
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
        "ops_definite_error": s.ops_definite_error,
        "ops_unavailable": s.ops_unavailable,
        "ops_unavailable_while_steady": s.ops_unavailable_while_steady,
        "journal_entries": s.journal_entries,
        "digests": s.digests.iter().map(|(k, v)| (k.clone(), serde_json::json!(v.map(|d| format!("{d:016x}"))))).collect::<serde_json::Map<_, _>>(),
        "violations": o.violations,
        "faults": o.faults,
        "coverage": o.coverage,
        "plan": o.plan,
        "replay": replay,
    })
}

pub fn outcome(o: &Outcome, replay: &Reproduction) {
    let s = &o.summary;
    println!(
        "seed {}: {}",
        o.seed,
        if o.passed() { "passed" } else { "FAILED" }
    );
    println!("{}", indent(&o.plan.describe()));
    println!("  simulated     {:.3} s", s.sim_ms as f64 / 1000.0);
    println!("  terms         {}", s.terms);
    println!("  failovers     {}", s.failovers);
    println!(
        "  operations    {} ok, {} definite errors, {} Unavailable ({} while one primary served steadily)",
        s.ops_ok, s.ops_definite_error, s.ops_unavailable, s.ops_unavailable_while_steady
    );
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
            v.invariant, v.kind, v.at_ms, v.detail
        );
    }
    println!("  replay        {replay}");
}

/// A run that did not finish.
pub fn unfinished(seed: u64, u: &Unfinished, plan: &str, replay: &Reproduction) {
    eprintln!("seed {seed} {u}\n{plan}replay: {replay}");
}

/// Where a sweep's seeds came from: the model's flags, the start seed, how many seeds the whole
/// range holds, and which shard of it ran.
pub struct SweepRange {
    pub model: String,
    pub start: u64,
    pub range: u64,
    pub shard: (u64, u64),
    /// Seeds of the shard left out at the start (done by the run this one resumes).
    pub skip: u64,
    /// The command that runs the seeds not yet done, when some are.
    pub resume: Option<String>,
}

pub fn sweep_json(
    sweep: &Sweep,
    range: &SweepRange,
    rates: &Rates,
    peak_rss_mib: Option<f64>,
) -> serde_json::Value {
    let mut out = serde_json::to_value(sweep).expect("sweep serialises");
    let fields = out.as_object_mut().expect("a sweep is an object");
    let (start, shard) = (range.start, range.shard);
    fields.insert("build".into(), ftsim::merge::build_id().into());
    fields.insert("model".into(), range.model.clone().into());
    fields.insert("range".into(), range.range.into());
    fields.insert("start".into(), start.into());
    fields.insert("shard".into(), format!("{}/{}", shard.0, shard.1).into());
    fields.insert("skip".into(), range.skip.into());
    fields.insert("interrupted".into(), range.resume.is_some().into());
    fields.insert("resume".into(), range.resume.clone().into());
    if let serde_json::Value::Object(r) = serde_json::to_value(rates).expect("rates serialise") {
        fields.extend(r);
    }
    fields.insert("sim_s".into(), (sweep.sim_ms as f64 / 1000.0).into());
    fields.insert("peak_rss_mib".into(), serde_json::json!(peak_rss_mib));
    fields.insert("exit_code".into(), sweep.exit_code().into());
    out
}

pub fn sweep(s: &Sweep, r: &Rates, peak_rss_mib: Option<f64>) {
    let sim_s = s.sim_ms as f64 / 1000.0;
    println!("seeds        {} ({} failed)", s.seeds, s.failed_seeds.len());
    println!(
        "simulated    {sim_s:.1} s in {:.2} s wall ({:.0}x, {:.1} seeds/s)",
        r.wall_s, r.sim_s_per_wall_s, r.seeds_per_s
    );
    println!(
        "failovers    {} ({:.0} per wall minute)",
        s.failovers, r.failovers_per_wall_min
    );
    let calls = s.ops_ok + s.ops_definite_error + s.ops_unavailable;
    println!(
        "operations   {} ok, {} definite errors, {} Unavailable ({} while one primary served steadily: {:.2}% of calls)",
        s.ops_ok,
        s.ops_definite_error,
        s.ops_unavailable,
        s.ops_unavailable_while_steady,
        100.0 * s.ops_unavailable_while_steady as f64 / calls.max(1) as f64
    );
    println!("faults       {}", counts(&s.faults));
    println!("coverage     {}", counts(&s.coverage));
    if s.anomalies.values().any(|n| *n > 0) {
        println!("anomalies    {}", counts(&s.anomalies));
    }
    let unreached = s.unreached();
    if !unreached.is_empty() {
        println!("  never reached: {}", unreached.join(", "));
    }
    if let Some(mib) = peak_rss_mib {
        println!("peak memory  {mib:.0} MiB");
    }
    for f in &s.violations {
        let at = f
            .at_ms
            .map(|t| format!(" at {t:.3} ms"))
            .unwrap_or_default();
        println!(
            "FAILED seed {} ({}): {}{at}: {}\n  replay: {}",
            f.seed,
            f.kind.name(),
            f.invariant,
            f.detail,
            f.replay
        );
    }
}

pub fn determinism_json(
    start: u64,
    seeds: u64,
    mismatches: &[Mismatch],
    wall_s: f64,
) -> serde_json::Value {
    serde_json::json!({
        "start": start,
        "seeds": seeds,
        "mismatches": mismatches,
        "wall_s": wall_s,
    })
}

pub fn determinism(start: u64, seeds: u64, mismatches: &[Mismatch], wall_s: f64) {
    println!(
        "ran seeds {start}..{} twice each: {} mismatch(es) in {wall_s:.1} s",
        start.wrapping_add(seeds),
        mismatches.len(),
    );
    for m in mismatches {
        println!("MISMATCH seed {}: {} vs {}", m.seed, m.first, m.second);
        if let Some(d) = &m.divergence {
            let line = |e: &Option<String>| e.clone().unwrap_or_else(|| "(history ended)".into());
            println!("  first difference at event #{}:", d.index);
            println!("    first run:  {}", line(&d.first));
            println!("    second run: {}", line(&d.second));
        }
        println!("  replay: {}", m.replay);
    }
}

pub fn bench(r: &BenchReport) {
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
    println!(
        "linearizable checker     {:.1}% of a run's wall time (exhaustive cross-check {:.1}%; first {} seeds)",
        100.0 * r.linearizable_share,
        100.0 * r.wgl_share,
        r.seeds.min(ftsim::bench::CHECKER_SAMPLE)
    );
    let mut costly: Vec<(&String, &f64)> = r.checker_share.iter().collect();
    costly.sort_by(|a, b| b.1.total_cmp(a.1));
    let top: Vec<String> = costly
        .iter()
        .take(5)
        .map(|(name, share)| format!("{name} {:.1}%", 100.0 * **share))
        .collect();
    println!(
        "all checkers             {:.1}% of a run's wall time (costliest: {})",
        100.0 * r.checkers_share,
        top.join(", ")
    );
    for f in &r.failures {
        println!(
            "FAILED seed {} ({}): {}: {}\n  replay: {}",
            f.seed,
            f.kind.name(),
            f.invariant,
            f.detail,
            f.replay
        );
    }
}

pub fn hunt(h: &Hunt) {
    match (&h.seed, &h.invariant, &h.replay) {
        (Some(seed), Some(inv), Some(replay)) => println!(
            "{:<4} {:<36} found by {inv} at seed {seed} after {} seeds, {:.1} s\n     {}\n     replay: {replay}",
            h.id,
            h.bug,
            h.seeds_tried,
            h.wall_s,
            h.detail.as_deref().unwrap_or(""),
        ),
        _ => println!(
            "{:<4} {:<36} NOT FOUND in {} seeds ({:.1} s)",
            h.id, h.bug, h.seeds_tried, h.wall_s
        ),
    }
}

pub fn medians(m: &Medians) {
    println!(
        "     over {} starts: found {}, median {:.0} seeds, {:.2} s; caught by {}",
        m.starts,
        m.found_in,
        m.median_seeds,
        m.median_wall_s,
        m.invariants.join(", ")
    );
}

pub fn shrink(r: &ShrinkReport) {
    println!("seed {} breaks {}", r.seed, r.invariant);
    println!("before:\n{}", indent(&r.before.describe()));
    println!(
        "after {} runs in {:.1} s:\n{}",
        r.runs,
        r.wall_s,
        indent(&r.after.describe())
    );
    if r.interrupted {
        println!("interrupted: the smallest failing schedule found before the signal");
    }
    println!("written to {}", r.file.display());
    match r.replay_fails {
        Some(true) => println!("replayed from the file: still breaks {}", r.invariant),
        Some(false) => println!("replayed from the file: NO LONGER breaks {}", r.invariant),
        None => println!("replayed from the file: the run did not finish"),
    }
    println!("replay: {}", r.replay);
}

pub fn bugs(json: bool, markdown: bool) {
    if json {
        let list: Vec<serde_json::Value> = Bug::ALL
            .iter()
            .map(|b| {
                let mut v = serde_json::to_value(b.info()).expect("declarations serialise");
                v["name"] = b.name().into();
                v
            })
            .collect();
        println!("{}", serde_json::Value::Array(list));
    } else if markdown {
        print!("{}", Bug::markdown_table());
    } else {
        for b in Bug::ALL {
            println!("{:<4} {:<36} {}", b.id(), b.name(), b.summary());
        }
    }
}
