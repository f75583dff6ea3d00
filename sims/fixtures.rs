//! Scripted scenarios: every schedule in `fixtures/schedules/` runs with its expected outcome, and
//! its whole event history, in compact text, is an insta snapshot (`sims/snapshots/`), so any
//! change of behaviour shows as a snapshot diff to review (`cargo insta review`, or
//! `INSTA_UPDATE=always cargo test --release --test fixtures` to accept).

use ftsim::schedule::{json_files, ScheduleFile};
use std::path::Path;

#[test]
fn scripted_scenarios_match_their_snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/schedules");
    let files = json_files(&dir).unwrap();
    assert!(
        files.len() >= 4,
        "fixtures/schedules/ holds {} schedules",
        files.len()
    );
    for path in files {
        let file = ScheduleFile::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let outcome = ftsim::run::run(file.seed, file.plan().unwrap())
            .unwrap_or_else(|e| panic!("{name} did not finish: {e}"));
        let broken: Vec<&str> = outcome.violations.iter().map(|v| v.invariant).collect();
        match &file.invariant {
            Some(inv) => assert!(
                broken.contains(&inv.as_str()),
                "{name}: should break {inv}, broke {broken:?}"
            ),
            None => assert!(broken.is_empty(), "{name}: should pass, broke {broken:?}"),
        }
        let mut text = format!(
            "{}\nviolations: {broken:?}\nhistory hash: {:016x}\n\n",
            file.description.as_deref().unwrap_or(""),
            outcome.history_hash
        );
        for e in &outcome.events {
            text.push_str(&e.compact());
            text.push('\n');
        }
        insta::assert_snapshot!(name, text);
    }
}
