//! The command line, end to end: the binary is run as a user runs it. A failure's printed replay
//! command must reproduce the same failure; bad input is a usage error (exit 2), never a panic.

#[path = "support/mod.rs"]
mod support;
use support::process::ftsim;

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// `hunt` with a preset other than the default prints a replay that names the preset, and that
/// command, run as printed, breaks the same invariant the same way, with its kind's exit code.
#[test]
fn a_hunted_bug_replays_with_the_preset_it_was_hunted_in() {
    let (code, out, err) = ftsim(&[
        "hunt",
        "--bug",
        "ack-without-journal",
        "--preset",
        "alluxio-defaults",
        "--budget",
        "50",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let hunt = &json(&out)[0];
    assert_eq!(hunt["found"], true, "{hunt}");
    let replay = hunt["replay"].as_str().expect("a replay command");
    assert!(replay.contains("--preset alluxio-defaults"), "{replay}");
    assert!(replay.contains("--bug ack-without-journal"), "{replay}");

    let words: Vec<&str> = replay.split_whitespace().collect();
    assert_eq!(words[0], "ftsim");
    let mut args = words[1..].to_vec();
    args.push("--json");
    let (code, out, err) = ftsim(&args);
    let run = json(&out);
    let invariant = hunt["invariant"].as_str().unwrap();
    let violation = run["violations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["invariant"] == invariant)
        .unwrap_or_else(|| panic!("{replay} did not break {invariant}: {run}"));
    assert_eq!(violation["detail"], hunt["detail"]);
    assert_eq!(run["replay"], replay);
    assert_eq!(run["plan"]["preset"], "alluxio-defaults");
    assert_eq!(code, 1, "an Always violation exits 1: {err}");
}

/// The same run twice prints the same summary, byte for byte.
#[test]
fn a_run_prints_the_same_summary_twice() {
    let a = ftsim(&["run", "--seed", "3", "--json"]);
    let b = ftsim(&["run", "--seed", "3", "--json"]);
    assert_eq!(a.0, 0, "{}", a.2);
    assert_eq!(a, b);
}

#[test]
fn bad_input_is_a_usage_error() {
    for args in [
        &["run", "--seed", "forty"][..],
        &["run", "--seed", "1", "--bug", "no-such-bug"],
        &["run", "--seed", "1", "--preset", "slow"],
        &["run", "--schedule", "/no/such/file.json"],
        &["explore", "--seeds", "0"],
        &["explore", "--seeds", "5", "--shard", "3/2"],
        &["explore", "--seeds", "5", "--jobs", "abc"],
        &["hunt", "--bug", "B99"],
        &["shrink", "--seed", "1"],
        &["frobnicate"],
    ] {
        let (code, _, err) = ftsim(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

/// Shards explored apart and merged give the summary of one sweep over the whole range (every
/// key but the wall-time figures); the same shard twice, or a summary from another sweep, is
/// refused with a usage error.
#[test]
fn merged_shards_equal_one_sweep() {
    let dir = std::env::temp_dir().join(format!("ftsim-merge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let explore = |extra: &[&str]| {
        let mut args = vec!["explore", "--seeds", "60", "--seed", "5", "--json"];
        args.extend(extra);
        let (code, out, err) = ftsim(&args);
        assert_eq!(code, 0, "{err}");
        out
    };
    let mut files = vec![];
    for k in 1..=3 {
        let path = dir.join(format!("shard-{k}.json"));
        std::fs::write(&path, explore(&["--shard", &format!("{k}/3")])).unwrap();
        files.push(path.display().to_string());
    }
    let whole = json(&explore(&[]));
    let args: Vec<&str> = std::iter::once("merge")
        .chain(files.iter().map(String::as_str))
        .collect();
    let (code, out, err) = ftsim(&args);
    assert_eq!(code, 0, "{err}");
    let merged = json(&out);
    let timing = [
        "wall_s",
        "seeds_per_s",
        "sim_s_per_wall_s",
        "messages_per_wall_s",
        "failovers_per_wall_min",
        "peak_rss_mib",
        "shard",
    ];
    for (key, value) in whole.as_object().unwrap() {
        if !timing.contains(&key.as_str()) {
            assert_eq!(&merged[key], value, "key {key}");
        }
    }
    assert_eq!(merged["shard"], "1+2+3/3");

    let (code, _, err) = ftsim(&["merge", &files[0], &files[0]]);
    assert_eq!(code, 2);
    assert!(err.contains("given twice"), "{err}");
    let other = dir.join("other.json");
    std::fs::write(
        &other,
        explore(&["--shard", "2/3", "--preset", "alluxio-defaults"]),
    )
    .unwrap();
    let (code, _, err) = ftsim(&["merge", &files[0], &other.display().to_string()]);
    assert_eq!(code, 2);
    assert!(err.contains("different sweeps"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
