//! Shard summaries into one: `explore --shard K/N --json` outputs from several machines combine
//! into a summary with the same keys, as if one machine had run every shard. A shard stopped
//! early (a signal, a deadline) and its resumed rest (`--skip`) are pieces of that shard, and
//! combine the same way. Summaries of different builds, models, start seeds or ranges, shards
//! or pieces run twice, and pieces with a gap between them, are refused: their sum would
//! describe no sweep anyone ran.

use crate::failure::{exit_code, FailureKind};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Counts that add up across shards.
const SUMMED: &[&str] = &[
    "seeds",
    "sim_ms",
    "messages",
    "failovers",
    "ops_ok",
    "ops_definite_error",
    "ops_unavailable",
    "ops_unavailable_while_steady",
];

/// Maps of counts that add up key by key.
const SUMMED_MAPS: &[&str] = &["faults", "coverage", "anomalies"];

/// Keys that must be equal in every shard of one sweep.
const SAME: &[&str] = &["build", "model", "start", "range"];

/// Which build wrote a summary: the crate version and a hash of the running executable, so
/// shards from two builds (whose seeds may run differently) are never merged.
pub fn build_id() -> String {
    // Read and hashed once per process: the executable does not change while it runs.
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        let exe = std::env::current_exe()
            .and_then(std::fs::read)
            .map(|bytes| format!("{:016x}", crate::hash::fnv(&bytes[..])))
            .unwrap_or_else(|_| "unknown".into());
        format!("{}-{exe}", env!("CARGO_PKG_VERSION"))
    })
    .clone()
}

/// One summary's part of its shard: (its first seed of the shard, seeds done, the command that
/// runs the rest of the shard, its file name).
type Piece<'a> = (u64, u64, Option<String>, &'a str);

/// Combines shard summaries, each named by the file it came from (for errors).
pub fn merge(summaries: &[(String, Value)]) -> Result<Value, String> {
    let Some((first_name, first)) = summaries.first() else {
        return Err("no summaries to merge".into());
    };
    let mut shards_of_n: Option<u64> = None;
    let mut pieces: BTreeMap<u64, Vec<Piece>> = BTreeMap::new();
    for (name, s) in summaries {
        let s = s
            .as_object()
            .ok_or_else(|| format!("{name}: not an explore --json summary (not an object)"))?;
        for key in SAME {
            let (a, b) = (&first[*key], &s[*key]);
            if a.is_null() || b.is_null() {
                return Err(format!(
                    "{}: no `{key}` key; write shard summaries with `ftsim explore --json`",
                    if a.is_null() { first_name } else { name }
                ));
            }
            if a != b {
                return Err(format!(
                    "{name} and {first_name} come from different sweeps: `{key}` is {b} in one and {a} in the other"
                ));
            }
        }
        let (k, n) = shard_of(name, s)?;
        if *shards_of_n.get_or_insert(n) != n {
            return Err(format!(
                "{name}: shard {k}/{n}, but {first_name} splits the range in {}",
                shards_of_n.unwrap()
            ));
        }
        let skip = s
            .get("skip")
            .map_or(Some(0), Value::as_u64)
            .ok_or_else(|| format!("{name}: `skip` is not a count"))?;
        let seeds = s["seeds"]
            .as_u64()
            .ok_or_else(|| format!("{name}: `seeds` is missing or not a count"))?;
        let resume = s.get("resume").and_then(Value::as_str).map(str::to_string);
        pieces
            .entry(k)
            .or_default()
            .push((skip, seeds, resume, name));
    }
    let n = shards_of_n.unwrap_or(1);
    let range = first["range"]
        .as_u64()
        .ok_or_else(|| format!("{first_name}: `range` is not a count"))?;
    // The pieces of each shard must follow one another from its first seed, with no gap and no
    // overlap; a shard whose last piece stopped early leaves its resume command.
    let mut resumes = vec![];
    for (k, list) in &mut pieces {
        list.sort_by_key(|p| p.0);
        let mut done = 0;
        for (skip, seeds, _, name) in list.iter() {
            if *skip < done {
                return Err(if *skip == 0 {
                    format!("{name}: shard {k}/{n} is given twice")
                } else {
                    format!("{name}: its seeds from {skip} of shard {k}/{n} were already merged from another summary (given twice?)")
                });
            }
            if *skip > done {
                return Err(format!(
                    "{name}: shard {k}/{n} from its seed {skip}, but seeds {done} to {} of that shard are in no summary given (merge the summary of the run it resumes)",
                    skip - 1
                ));
            }
            done += seeds;
        }
        let whole = (0..range).filter(|i| i % n == k - 1).count() as u64;
        if done < whole {
            let last = list.last().expect("a shard has a piece");
            resumes.push(last.2.clone().ok_or_else(|| {
                format!("{}: shard {k}/{n} stops after {done} of its {whole} seeds, with no resume command", last.3)
            })?);
        }
    }
    let seen: BTreeSet<u64> = pieces.keys().copied().collect();
    let mut out = first.as_object().cloned().unwrap_or_default();
    for key in SUMMED {
        out.insert((*key).into(), sum(summaries, key)?.into());
    }
    for key in SUMMED_MAPS {
        let mut total = Map::new();
        for (name, s) in summaries {
            if let Some(map) = s[*key].as_object() {
                for (k, v) in map {
                    let n = v
                        .as_u64()
                        .ok_or_else(|| format!("{name}: `{key}.{k}` is not a count"))?;
                    let t = total.get(k).and_then(Value::as_u64).unwrap_or(0);
                    total.insert(k.clone(), (t + n).into());
                }
            }
        }
        out.insert((*key).into(), Value::Object(total));
    }
    let mut failed: Vec<u64> = vec![];
    let mut violations: Vec<Value> = vec![];
    for (name, s) in summaries {
        for seed in s["failed_seeds"].as_array().into_iter().flatten() {
            failed.push(
                seed.as_u64()
                    .ok_or_else(|| format!("{name}: a failed seed is not a number"))?,
            );
        }
        violations.extend(s["violations"].as_array().into_iter().flatten().cloned());
    }
    failed.sort();
    violations.sort_by_key(|v| v["seed"].as_u64());
    let kinds: Vec<FailureKind> = violations
        .iter()
        .filter_map(|v| v["kind"].as_str().and_then(FailureKind::named))
        .collect();
    out.insert("exit_code".into(), exit_code(&kinds).into());
    out.insert("failed_seeds".into(), failed.into());
    out.insert("violations".into(), violations.into());
    let ks: Vec<String> = seen.iter().map(u64::to_string).collect();
    out.insert("shard".into(), format!("{}/{n}", ks.join("+")).into());
    out.insert("skip".into(), 0.into());
    out.insert("interrupted".into(), (!resumes.is_empty()).into());
    out.insert(
        "resume".into(),
        if resumes.is_empty() {
            Value::Null
        } else {
            resumes.join("\n").into()
        },
    );
    // Machine time: the shards' wall seconds add up; rates are per machine-second.
    let wall_s: f64 = summaries
        .iter()
        .map(|(_, s)| s["wall_s"].as_f64().unwrap_or(0.0))
        .sum();
    let wall = wall_s.max(1e-9);
    let get = |k: &str| out[k].as_f64().unwrap_or(0.0);
    let (seeds, sim_ms, messages, failovers) = (
        get("seeds"),
        get("sim_ms"),
        get("messages"),
        get("failovers"),
    );
    out.insert("wall_s".into(), wall_s.into());
    out.insert("sim_s".into(), (sim_ms / 1000.0).into());
    out.insert("seeds_per_s".into(), (seeds / wall).into());
    out.insert("sim_s_per_wall_s".into(), (sim_ms / 1000.0 / wall).into());
    out.insert("messages_per_wall_s".into(), (messages / wall).into());
    out.insert(
        "failovers_per_wall_min".into(),
        (failovers / wall * 60.0).into(),
    );
    let peak = summaries
        .iter()
        .filter_map(|(_, s)| s["peak_rss_mib"].as_f64())
        .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))));
    out.insert("peak_rss_mib".into(), serde_json::json!(peak));
    Ok(Value::Object(out))
}

fn shard_of(name: &str, s: &Map<String, Value>) -> Result<(u64, u64), String> {
    let text = s
        .get("shard")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{name}: no `shard` key"))?;
    let parsed = text
        .split_once('/')
        .and_then(|(k, n)| Some((k.parse::<u64>().ok()?, n.parse::<u64>().ok()?)));
    match parsed {
        Some((k, n)) if (1..=n).contains(&k) => Ok((k, n)),
        _ => Err(format!(
            "{name}: shard `{text}` is not K/N (a merged summary cannot be merged again)"
        )),
    }
}

fn sum(summaries: &[(String, Value)], key: &str) -> Result<u64, String> {
    summaries.iter().try_fold(0u64, |t, (name, s)| {
        s[key]
            .as_u64()
            .map(|n| t + n)
            .ok_or_else(|| format!("{name}: `{key}` is missing or not a count"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn shard(k: u64, n: u64, failed: &[u64]) -> (String, Value) {
        let violations: Vec<Value> = failed
            .iter()
            .map(|s| json!({"seed": s, "kind": "eventually", "invariant": "liveness"}))
            .collect();
        (
            format!("shard-{k}.json"),
            json!({
                "build": "0.1.0-abc", "model": "", "start": 1, "range": 8,
                "shard": format!("{k}/{n}"), "seeds": 4, "sim_ms": 1000, "messages": 10,
                "failovers": 2, "ops_ok": 5, "ops_definite_error": 1, "ops_unavailable": 1,
                "ops_unavailable_while_steady": 0, "wall_s": 2.0,
                "faults": {"crash": 1}, "coverage": {"failover": 2}, "anomalies": {"stale-read": 0},
                "failed_seeds": failed, "violations": violations, "exit_code": 0,
                "peak_rss_mib": 10.0 + k as f64,
            }),
        )
    }

    #[test]
    fn shards_add_up_to_one_summary() {
        let merged = merge(&[shard(2, 2, &[6]), shard(1, 2, &[])]).unwrap();
        assert_eq!(merged["seeds"], 8);
        assert_eq!(merged["faults"]["crash"], 2);
        assert_eq!(merged["coverage"]["failover"], 4);
        assert_eq!(merged["failed_seeds"], json!([6]));
        assert_eq!(merged["exit_code"], 4);
        assert_eq!(merged["shard"], "1+2/2");
        assert_eq!(merged["wall_s"], 4.0);
        assert_eq!(merged["peak_rss_mib"], 12.0);
    }

    #[test]
    fn a_stopped_shard_and_its_resumed_rest_are_one_shard() {
        let (_, mut head) = shard(1, 2, &[3]);
        head["seeds"] = json!(1);
        head["interrupted"] = json!(true);
        head["resume"] = json!("ftsim explore --seeds 8 --seed 1 --shard 1/2 --skip 1");
        let (_, mut tail) = shard(1, 2, &[5]);
        tail["seeds"] = json!(3);
        tail["skip"] = json!(1);
        let pieces = [
            ("tail".to_string(), tail.clone()),
            ("head".to_string(), head.clone()),
        ];
        let merged = merge(&pieces).unwrap();
        assert_eq!(merged["seeds"], 4);
        assert_eq!(merged["failed_seeds"], json!([3, 5]));
        assert_eq!(
            (merged["interrupted"].clone(), merged["resume"].clone()),
            (json!(false), Value::Null)
        );
        assert_eq!(merged["shard"], "1/2");
        let alone = merge(&[("head".to_string(), head.clone())]).unwrap();
        assert_eq!(alone["interrupted"], true);
        assert_eq!(alone["resume"], head["resume"]);
        let e = merge(&[("tail".to_string(), tail.clone())]).unwrap_err();
        assert!(
            e.contains("seeds 0 to 0 of that shard are in no summary given"),
            "{e}"
        );
        let e = merge(&[
            ("head".into(), head),
            ("tail".into(), tail.clone()),
            ("again".into(), tail),
        ])
        .unwrap_err();
        assert!(e.contains("already merged"), "{e}");
    }

    #[test]
    fn different_builds_and_overlapping_shards_are_refused() {
        let (name, mut other) = shard(2, 2, &[]);
        other["build"] = json!("0.1.0-def");
        let e = merge(&[shard(1, 2, &[]), (name, other)]).unwrap_err();
        assert!(e.contains("different sweeps") && e.contains("build"), "{e}");
        let e = merge(&[shard(1, 2, &[]), shard(1, 2, &[])]).unwrap_err();
        assert!(e.contains("given twice"), "{e}");
        let e = merge(&[shard(1, 2, &[]), shard(2, 3, &[])]).unwrap_err();
        assert!(e.contains("splits the range"), "{e}");
        let e = merge(&[("x.json".into(), json!([1, 2]))]).unwrap_err();
        assert!(e.contains("not an explore --json summary"), "{e}");
    }
}
