//! Schedule files: a run written down (seed, options, fault schedule), for `run --schedule`, the
//! pinned regressions in `regressions/` and the scripted scenarios in `fixtures/schedules/`.
//!
//! ```json
//! { "seed": 7, "bug": "lazy-rename-fencing", "invariant": "no_lost_entries",
//!   "preset": "fast", "options": { "masters": 3 }, "faults": [ ... ] }
//! ```
//!
//! `options` lists only what differs from `preset` (default `fast`); unknown keys anywhere are an
//! error. `bug` switches a planted bug on; `invariant` is what a regression must still break
//! (absent: the run must pass).

use crate::bugs::Bug;
use crate::fault::ScheduledFault;
use crate::options::Options;
use crate::plan::Plan;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One schedule file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleFile {
    /// What the schedule shows, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The run's seed.
    pub seed: u64,
    /// The planted bug switched on, by name (none: the correct model).
    #[serde(default)]
    pub bug: Option<String>,
    /// The invariant this run breaks (none: it must pass).
    #[serde(default)]
    pub invariant: Option<String>,
    /// The preset `options` are laid over (default `fast`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    /// Options: all of them, or only those that differ from the preset.
    #[serde(default)]
    pub options: serde_json::Value,
    /// The fault schedule.
    pub faults: Vec<ScheduledFault>,
}

impl ScheduleFile {
    /// Writes a plan as a file: its preset and the options that differ from it.
    pub fn from_plan(seed: u64, plan: &Plan, invariant: Option<String>) -> ScheduleFile {
        let preset = Options::preset(&plan.preset).unwrap_or_default();
        let base = serde_json::to_value(&preset).expect("options serialise");
        let mut options = serde_json::to_value(&plan.options).expect("options serialise");
        if let (Some(fields), Some(base)) = (options.as_object_mut(), base.as_object()) {
            fields.retain(|k, v| k != "bug" && base.get(k) != Some(v));
        }
        ScheduleFile {
            description: None,
            seed,
            bug: plan.options.bug.map(|b| b.name()),
            invariant,
            preset: Some(plan.preset.clone()),
            options,
            faults: plan.faults.clone(),
        }
    }

    /// The plan it describes, checked.
    pub fn plan(&self) -> Result<Plan, String> {
        let preset_name = self
            .preset
            .as_deref()
            .unwrap_or(crate::options::DEFAULT_PRESET);
        let preset = Options::named(preset_name)?;
        let mut merged = serde_json::to_value(&preset).expect("options serialise");
        match &self.options {
            serde_json::Value::Null => {}
            serde_json::Value::Object(fields) => {
                let target = merged.as_object_mut().unwrap();
                for (k, v) in fields {
                    target.insert(k.clone(), v.clone());
                }
            }
            _ => return Err("`options` must be an object".into()),
        }
        let mut options: Options =
            serde_json::from_value(merged).map_err(|e| format!("options: {e}"))?;
        if let Some(name) = &self.bug {
            options.bug = Some(Bug::parse(name)?);
        }
        let plan = Plan {
            preset: preset_name.to_string(),
            options,
            faults: self.faults.clone(),
        };
        plan.validate()?;
        Ok(plan)
    }

    /// Reads and checks a file; every error names the file.
    pub fn load(path: &Path) -> Result<ScheduleFile, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read schedule file {}: {e}", path.display()))?;
        let file: ScheduleFile = serde_json::from_str(&text)
            .map_err(|e| format!("malformed schedule file {}: {e}", path.display()))?;
        file.plan()
            .map_err(|e| format!("invalid schedule file {}: {e}", path.display()))?;
        Ok(file)
    }

    /// The file as pretty-printed JSON with a final newline.
    pub fn to_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("schedule serialises") + "\n"
    }
}

/// Every `*.json` file directly in `dir`, sorted by name.
pub fn json_files(dir: &Path) -> Result<Vec<std::path::PathBuf>, String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_files_are_named_in_the_error() {
        let dir = std::env::temp_dir().join(format!("ftsim-schedule-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let truncated = dir.join("truncated.json");
        std::fs::write(&truncated, r#"{"seed": 3, "faults": [{"at_ms": 1"#).unwrap();
        let err = ScheduleFile::load(&truncated).unwrap_err();
        assert!(
            err.contains("truncated.json") && err.contains("malformed"),
            "{err}"
        );
        let unknown = dir.join("unknown.json");
        std::fs::write(
            &unknown,
            r#"{"seed": 3, "faults": [], "options": {"masterz": 2}}"#,
        )
        .unwrap();
        let err = ScheduleFile::load(&unknown).unwrap_err();
        assert!(
            err.contains("unknown.json") && err.contains("masterz"),
            "{err}"
        );
        let far = dir.join("far.json");
        std::fs::write(
            &far,
            r#"{"seed": 3, "faults": [{"at_ms": 1, "for_ms": 1, "kind": "crash", "node": "master-9"}]}"#,
        )
        .unwrap();
        let err = ScheduleFile::load(&far).unwrap_err();
        assert!(
            err.contains("far.json") && err.contains("master-9"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_plan_round_trips_through_a_file() {
        for model in [
            crate::model::Model::fast(),
            crate::model::Model::preset("alluxio-defaults")
                .unwrap()
                .with_bug(Some(crate::bugs::Bug::LazyRenameFencing)),
        ] {
            let plan = model.plan(5);
            let file = ScheduleFile::from_plan(5, &plan, Some("liveness".into()));
            let back: ScheduleFile = serde_json::from_str(&file.to_pretty()).unwrap();
            assert_eq!(back.plan().unwrap(), plan);
        }
    }
}
