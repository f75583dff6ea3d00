//! The timeline drawn from real runs: a scripted schedule and a pinned regression go through
//! `ftsim::run::run`, and the page is checked as a reader would check it: one lane per node, the
//! faults, the violation marked at its first breaking event with its operations highlighted, the
//! replay command, and the same bytes from two runs of one seed.

#[path = "support/mod.rs"]
mod support;
use support::process::ftsim;

use ftsim::reproduction::Reproduction;
use ftsim::run::Outcome;
use ftsim::schedule::ScheduleFile;
use ftsim::timeline::{self, Run};
use std::path::Path;

/// Runs a schedule file (a path relative to the crate) and renders its timeline with the command
/// that replays it.
fn drawn(relative: &str) -> (Outcome, Reproduction, String) {
    let file = ScheduleFile::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join(relative))
        .unwrap_or_else(|e| panic!("{e}"));
    let outcome = ftsim::run::run(file.seed, file.plan().unwrap())
        .unwrap_or_else(|e| panic!("{relative} did not finish: {e}"));
    let replay = Reproduction::schedule(relative, file.seed);
    let page = timeline::render(&Run::of(&outcome, &replay));
    (outcome, replay, page)
}

fn count(page: &str, needle: &str) -> usize {
    page.matches(needle).count()
}

#[test]
fn a_leader_paused_past_its_session_timeout_is_drawn_lane_by_lane() {
    let (outcome, replay, page) =
        drawn("fixtures/schedules/leader-paused-past-session-timeout.json");
    let o = &outcome.plan.options;
    let mut nodes: Vec<String> = (0..o.masters).map(|i| format!("master-{i}")).collect();
    nodes.extend(["zookeeper".to_string(), "ufs".to_string()]);
    nodes.extend((0..o.workers).map(|i| format!("worker-{i}")));
    nodes.extend((0..o.clients).map(|i| format!("client-{i}")));
    // One lane per node, in that order, and no other.
    assert_eq!(count(&page, "data-lane=\""), nodes.len());
    let mut at = 0;
    for node in &nodes {
        let needle = format!("data-lane=\"{node}\"");
        assert_eq!(count(&page, &needle), 1, "{node}");
        let here = page.find(&needle).unwrap();
        assert!(here > at, "{node} out of order");
        at = here;
    }
    // The pause: a bar in the faults row, with its kind and target on hover, and the paused
    // master hatched in its lane.
    assert!(page.contains(r#"data-fault="pause""#), "no pause bar");
    assert!(page.contains("fault: pause master-"), "no pause title");
    assert!(page.contains(r#"class="pz""#), "no paused interval");
    // Each master's role: the one paused was primary, and a failover made another primary.
    assert!(count(&page, r#"class="r-pr""#) >= 2);
    // The header: verdict and replay command.
    assert!(outcome.passed());
    assert!(
        page.contains(&format!("<code>{replay}</code>")),
        "no replay command"
    );
    assert!(page.contains(
        "ftsim run --schedule fixtures/schedules/leader-paused-past-session-timeout.json --seed"
    ));
    // Self-contained: nothing fetched.
    for outside in ["http://", "https://", "src=", "<link"] {
        let found: Vec<&str> = page
            .match_indices(outside)
            .map(|(i, _)| &page[i.saturating_sub(20)..(i + 40).min(page.len())])
            .filter(|s| !s.contains("http://www.w3.org/2000/svg"))
            .collect();
        assert!(found.is_empty(), "{outside}: {found:?}");
    }
}

#[test]
fn a_stale_read_is_marked_at_its_first_breaking_event_with_its_operations_highlighted() {
    let (outcome, replay, page) =
        drawn("regressions/stale-read-after-lost-leadership-seed-533.json");
    let v = outcome
        .violations
        .iter()
        .find(|v| v.invariant == "linearizable")
        .expect("the regression still breaks linearizable");
    let index = v.event.expect("a stale read has a breaking event");
    let event = &outcome.events[index];
    let at = ftsim::timeline::ms(event.at_us);
    // The line through every lane, the flag at the top, the glyph on the lane of the node that
    // recorded the breaking event.
    assert!(page.contains(r#"class="vl""#));
    assert!(page.contains(&format!(r#"class="vf" data-t="{at}""#)));
    assert!(page.contains(&format!(
        r#"class="g gv" data-node="{}" data-t="{at}""#,
        event.node
    )));
    // The header names it with the checker's detail, its anomaly and its breaking event.
    let detail = ftsim::timeline::escape(&v.detail);
    assert!(page.contains(&detail), "no detail");
    assert!(page.contains("stale-read"));
    assert!(page.contains(&format!("first breaking event #{index}")));
    // Every operation involved is highlighted where it is drawn and linked from the header.
    assert!(!v.ops.is_empty());
    for op in &v.ops {
        let bar = format!(r#"id="op-{op}""#);
        let i = page.find(&bar).unwrap_or_else(|| panic!("no call {op}"));
        let start = page[..i].rfind("<rect").unwrap();
        assert!(page[start..i].contains(" hl"), "call {op} not highlighted");
        assert!(
            page.contains(&format!(r#"data-op="{op}""#)),
            "no link to {op}"
        );
    }
    // The faults: the primary cut from the UFS and the one-way partition, with its cut drawn.
    assert!(page.contains(r#"data-fault="cut-from-ufs""#));
    assert!(page.contains(r#"data-fault="one-way""#));
    assert!(page.contains(r#"class="cut""#));
    assert!(page.contains(&replay.to_string()));
    assert!(page.contains("FAILED: linearizable"));
}

#[test]
fn the_same_seed_gives_the_same_file_byte_for_byte() {
    let (first, _, a) = drawn("regressions/stale-read-after-lost-leadership-seed-533.json");
    let (second, _, b) = drawn("regressions/stale-read-after-lost-leadership-seed-533.json");
    assert_eq!(first.history_hash, second.history_hash);
    assert!(a == b, "two runs of one seed drew different pages");
    // And a swarm seed, through the same path `explore --timelines` takes.
    let model = ftsim::Model::fast();
    let x = timeline::rerun(7, &model).unwrap();
    let y = timeline::rerun(7, &model).unwrap();
    assert!(x == y, "two runs of swarm seed 7 drew different pages");
}

/// `run --timeline` writes one page, `explore --timelines` one per failed seed, and a path that
/// cannot be written is a harness error (exit 3) that names it.
#[test]
fn the_command_line_writes_timelines_and_names_a_path_it_cannot_write() {
    let dir = std::env::temp_dir().join(format!("ftsim-timelines-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("seed-3.html");
    let (code, _, err) = ftsim(&["run", "--seed", "3", "--timeline", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let page = std::fs::read_to_string(&file).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<code>ftsim run --seed 3</code>"));

    let (code, _, err) = ftsim(&[
        "run",
        "--seed",
        "3",
        "--timeline",
        "/no/such/directory/seed-3.html",
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("cannot write the timeline /no/such/directory/seed-3.html"),
        "{err}"
    );

    let swept = dir.join("swept");
    let (code, out, err) = ftsim(&[
        "explore",
        "--seeds",
        "6",
        "--seed",
        "1",
        "--bug",
        "ack-without-journal",
        "--json",
        "--timelines",
        swept.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    let failed: Vec<u64> = summary["failed_seeds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_u64().unwrap())
        .collect();
    assert!(!failed.is_empty());
    let mut written: Vec<String> = std::fs::read_dir(&swept)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    let mut expected: Vec<String> = failed.iter().map(|s| format!("seed-{s}.html")).collect();
    expected.sort();
    assert_eq!(written, expected);
    let page = std::fs::read_to_string(swept.join(&expected[0])).unwrap();
    assert!(
        page.contains("--bug ack-without-journal"),
        "the replay names the bug"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
