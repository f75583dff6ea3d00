//! A [`Plan`]: everything a run needs besides its seed (the options and the fault schedule), as
//! plain serde data. The swarm draws plans, schedule files store them, shrinking simplifies them,
//! and a run executes one; none of them needs another to get at this type.

use crate::fault::ScheduledFault;
use crate::options::Options;
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// The options and the fault schedule of one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// The preset the options were derived from; [`Plan::describe`] lists what differs from it.
    #[serde(default = "default_preset")]
    pub preset: String,
    /// Every option of the run.
    pub options: Options,
    /// The fault schedule.
    pub faults: Vec<ScheduledFault>,
}

fn default_preset() -> String {
    crate::options::DEFAULT_PRESET.to_string()
}

impl Plan {
    /// The options as given, with no faults.
    pub fn fixed(preset: &str, options: Options) -> Plan {
        Plan {
            preset: preset.to_string(),
            options,
            faults: vec![],
        }
    }

    /// Rejects options the model cannot run and faults the cluster cannot take.
    pub fn validate(&self) -> Result<(), String> {
        self.options.validate()?;
        for (i, f) in self.faults.iter().enumerate() {
            f.fault
                .validate(&self.options)
                .map_err(|e| format!("fault {i} ({f}): {e}"))?;
        }
        Ok(())
    }

    /// Every option that differs from the plan's preset, as `(name, value)` in declaration order.
    pub fn differences(&self) -> Vec<(String, String)> {
        let preset = Options::preset(&self.preset).unwrap_or_default();
        let base = serde_json::to_value(&preset).expect("options serialise");
        let ours = serde_json::to_value(&self.options).expect("options serialise");
        let (Some(base), Some(ours)) = (base.as_object(), ours.as_object()) else {
            return vec![];
        };
        ours.iter()
            .filter(|(k, v)| base.get(*k) != Some(*v))
            .map(|(k, v)| {
                let shown = match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), shown)
            })
            .collect()
    }

    /// The plan for people: the cluster, every option that differs from the preset, the planted
    /// bug and the fault schedule.
    pub fn describe(&self) -> String {
        let o = &self.options;
        let mut s = format!(
            "cluster: {} masters, {} workers, {} clients; preset {}\n",
            o.masters, o.workers, o.clients, self.preset
        );
        let shape = ["masters", "workers", "clients", "bug"];
        let differences: Vec<String> = self
            .differences()
            .into_iter()
            .filter(|(k, _)| !shape.contains(&k.as_str()))
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        if !differences.is_empty() {
            let _ = writeln!(s, "options differing from {}:", self.preset);
            let mut line = String::new();
            for d in differences {
                if !line.is_empty() && line.len() + d.len() > 96 {
                    let _ = writeln!(s, "  {line}");
                    line.clear();
                }
                if !line.is_empty() {
                    line.push_str(", ");
                }
                line.push_str(&d);
            }
            let _ = writeln!(s, "  {line}");
        }
        if let Some(b) = o.bug {
            let _ = writeln!(s, "bug: {} ({}): {}", b.name(), b.id(), b.summary());
        }
        if self.faults.is_empty() {
            s.push_str("faults: none\n");
        } else {
            let _ = writeln!(s, "faults ({}):", self.faults.len());
            for f in &self.faults {
                let _ = writeln!(s, "  {f}");
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bugs::Bug;

    #[test]
    fn describe_names_every_option_that_differs_from_the_preset() {
        let mut plan = Plan::fixed("fast", Options::fast());
        assert!(plan.differences().is_empty());
        plan.options.master_journal_gc_period_ms += 1;
        plan.options.zookeeper_leader_inquiry_retry = 3;
        plan.options.bug = Some(Bug::LazyRenameFencing);
        let text = plan.describe();
        assert!(text.contains("master_journal_gc_period_ms"), "{text}");
        assert!(text.contains("zookeeper_leader_inquiry_retry 3"), "{text}");
        assert!(text.contains("lazy-rename-fencing (B15)"), "{text}");
        assert_eq!(plan.differences().len(), 3);
    }
}
