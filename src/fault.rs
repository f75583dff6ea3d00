//! Faults as data: what the nemesis can do to a cluster, when, and for how long.
//!
//! A fault schedule is a list of [`ScheduledFault`]s. Each fault has an inverse (restart after a
//! crash, resume after a pause, unclog after a partition, ...) that the nemesis applies when the
//! fault's time is up or when the safety phase ends. Schedules serialise to JSON, so a shrunk
//! schedule can be saved, read and replayed.

use crate::net::Role;
use crate::options::Options;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A node a fault is aimed at. `primary` is resolved when the fault starts: the master that most
/// recently became primary and has not stepped down since.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Target {
    Primary,
    Node(Role),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Primary => write!(f, "primary"),
            Target::Node(role) => write!(f, "{}", role.name()),
        }
    }
}

impl From<Target> for String {
    fn from(t: Target) -> String {
        t.to_string()
    }
}

impl TryFrom<String> for Target {
    type Error = String;
    fn try_from(s: String) -> Result<Target, String> {
        let indexed = |prefix: &str| -> Option<usize> { s.strip_prefix(prefix)?.parse().ok() };
        Ok(match s.as_str() {
            "primary" => Target::Primary,
            "zookeeper" => Target::Node(Role::ZooKeeper),
            "ufs" => Target::Node(Role::Ufs),
            _ => {
                if let Some(i) = indexed("master-") {
                    Target::Node(Role::Master(i))
                } else if let Some(i) = indexed("worker-") {
                    Target::Node(Role::Worker(i))
                } else if let Some(i) = indexed("client-") {
                    Target::Node(Role::Client(i))
                } else {
                    return Err(format!(
                        "unknown node `{s}` (expected primary, zookeeper, ufs, master-N, \
                         worker-N or client-N)"
                    ));
                }
            }
        })
    }
}

/// One fault. The comment on each variant says what its inverse is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Fault {
    /// Kill a master or worker process (unflushed state is lost); inverse: restart it.
    Crash { node: Target },
    /// Freeze any node, as a long GC pause does; inverse: resume it.
    Pause { node: Target },
    /// Cut one node from every other node; inverse: reconnect it.
    Isolate { node: Target },
    /// Cut the listed nodes from all the others, both ways; inverse: reconnect.
    SplitHalves { side: Vec<Target> },
    /// Cut the primary, with the listed clients, from everything else (ZooKeeper, the UFS, the
    /// other masters and clients), as Jepsen's isolated-primary partition does: a deposed
    /// primary that has not noticed still answers the clients it sees; inverse: reconnect.
    PrimaryMinority { clients: Vec<Target> },
    /// Drop every message from `from` to `to` (the other direction works); inverse: reconnect.
    OneWay { from: Target, to: Target },
    /// Cut a master from ZooKeeper only (it still reaches the UFS and clients); inverse: reconnect.
    CutFromZookeeper { node: Target },
    /// Cut a master from the UFS only (it still reaches ZooKeeper and clients); inverse: reconnect.
    CutFromUfs { node: Target },
    /// Drop this percentage of all messages; inverse: no loss.
    MessageLoss { percent: u32 },
    /// Every message takes `min_ms` to `max_ms`; inverse: the default 1 to 10 ms.
    LatencySpike { min_ms: u64, max_ms: u64 },
    /// ZooKeeper expires every session the node holds, at once; no inverse (instantaneous).
    SessionExpiry { node: Target },
    /// ZooKeeper stops answering anyone and its session clocks stop; inverse: it answers again and
    /// restarts every session's timer, as a ZooKeeper leader election does.
    ZookeeperUnavailable,
    /// The UFS fails every flush by this master; inverse: flushes work.
    FlushFail { node: Target },
    /// The UFS delays every flush by this master; inverse: no delay.
    FlushSlow { node: Target, delay_ms: u64 },
    /// The UFS fails every rename (log completion); inverse: renames work.
    RenameFail,
}

/// Every fault kind's name, in a fixed order, for counts and coverage tables.
pub const FAULT_KINDS: &[&str] = &[
    "crash",
    "pause",
    "isolate",
    "split-halves",
    "primary-minority",
    "one-way",
    "cut-from-zookeeper",
    "cut-from-ufs",
    "message-loss",
    "latency-spike",
    "session-expiry",
    "zookeeper-unavailable",
    "flush-fail",
    "flush-slow",
    "rename-fail",
];

impl Fault {
    /// The kind's name, as in [`FAULT_KINDS`] and the JSON `kind` tag.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Crash { .. } => "crash",
            Fault::Pause { .. } => "pause",
            Fault::Isolate { .. } => "isolate",
            Fault::SplitHalves { .. } => "split-halves",
            Fault::PrimaryMinority { .. } => "primary-minority",
            Fault::OneWay { .. } => "one-way",
            Fault::CutFromZookeeper { .. } => "cut-from-zookeeper",
            Fault::CutFromUfs { .. } => "cut-from-ufs",
            Fault::MessageLoss { .. } => "message-loss",
            Fault::LatencySpike { .. } => "latency-spike",
            Fault::SessionExpiry { .. } => "session-expiry",
            Fault::ZookeeperUnavailable => "zookeeper-unavailable",
            Fault::FlushFail { .. } => "flush-fail",
            Fault::FlushSlow { .. } => "flush-slow",
            Fault::RenameFail => "rename-fail",
        }
    }

    /// Every node the fault names.
    pub fn targets(&self) -> Vec<Target> {
        match self {
            Fault::Crash { node }
            | Fault::Pause { node }
            | Fault::Isolate { node }
            | Fault::CutFromZookeeper { node }
            | Fault::CutFromUfs { node }
            | Fault::SessionExpiry { node }
            | Fault::FlushFail { node }
            | Fault::FlushSlow { node, .. } => vec![*node],
            Fault::SplitHalves { side } => side.clone(),
            Fault::PrimaryMinority { clients } => std::iter::once(Target::Primary)
                .chain(clients.iter().copied())
                .collect(),
            Fault::OneWay { from, to } => vec![*from, *to],
            Fault::MessageLoss { .. }
            | Fault::LatencySpike { .. }
            | Fault::ZookeeperUnavailable
            | Fault::RenameFail => vec![],
        }
    }

    /// Rejects a fault the cluster of `options` cannot take: a node that does not exist, a crash
    /// of a node that has no process to restart, a master-only fault aimed elsewhere.
    pub fn validate(&self, options: &Options) -> Result<(), String> {
        for target in self.targets() {
            if let Target::Node(role) = target {
                let exists = match role {
                    Role::Master(i) => i < options.masters,
                    Role::Worker(i) => i < options.workers,
                    Role::Client(i) => i < options.clients,
                    Role::ZooKeeper | Role::Ufs => true,
                    Role::Harness => false,
                };
                if !exists {
                    return Err(format!("{}: no node {target} in this cluster", self.kind()));
                }
            }
        }
        let master_only =
            |node: &Target| matches!(node, Target::Primary | Target::Node(Role::Master(_)));
        match self {
            Fault::Crash { node }
                if !matches!(
                    node,
                    Target::Primary | Target::Node(Role::Master(_) | Role::Worker(_))
                ) =>
            {
                Err(format!(
                    "crash: only masters and workers restart, not {node}"
                ))
            }
            Fault::CutFromZookeeper { node }
            | Fault::CutFromUfs { node }
            | Fault::FlushFail { node }
            | Fault::FlushSlow { node, .. }
                if !master_only(node) =>
            {
                Err(format!("{}: aimed at a master, not {node}", self.kind()))
            }
            Fault::SessionExpiry { node }
                if matches!(node, Target::Node(Role::ZooKeeper | Role::Ufs)) =>
            {
                Err(format!("session-expiry: {node} holds no ZooKeeper session"))
            }
            Fault::MessageLoss { percent } if *percent > 100 => {
                Err(format!("message-loss: {percent} is not a percentage"))
            }
            Fault::LatencySpike { min_ms, max_ms } if min_ms >= max_ms => Err(format!(
                "latency-spike: min_ms {min_ms} must be below max_ms {max_ms}"
            )),
            Fault::SplitHalves { side } if side.is_empty() => {
                Err("split-halves: the side is empty".into())
            }
            Fault::OneWay { from, to } if from == to => Err(format!("one-way: {from} to itself")),
            Fault::PrimaryMinority { clients }
                if !clients
                    .iter()
                    .all(|c| matches!(c, Target::Node(Role::Client(_)))) =>
            {
                Err("primary-minority: only clients join the primary's side".into())
            }
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::SplitHalves { side } => {
                let names: Vec<String> = side.iter().map(|t| t.to_string()).collect();
                write!(f, "split-halves [{}]", names.join(" "))
            }
            Fault::PrimaryMinority { clients } => {
                let names: Vec<String> = clients.iter().map(|t| t.to_string()).collect();
                write!(f, "primary-minority [primary {}]", names.join(" "))
            }
            Fault::OneWay { from, to } => write!(f, "one-way {from} -> {to}"),
            Fault::MessageLoss { percent } => write!(f, "message-loss {percent}%"),
            Fault::LatencySpike { min_ms, max_ms } => {
                write!(f, "latency-spike {min_ms}-{max_ms} ms")
            }
            Fault::FlushSlow { node, delay_ms } => write!(f, "flush-slow {node} +{delay_ms} ms"),
            Fault::ZookeeperUnavailable | Fault::RenameFail => write!(f, "{}", self.kind()),
            other => write!(f, "{} {}", other.kind(), other.targets()[0]),
        }
    }
}

/// A fault with its start (since the safety phase began) and how long it lasts. Faults still
/// active when the safety phase ends are healed then.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ScheduledFault {
    pub at_ms: u64,
    pub for_ms: u64,
    #[serde(flatten)]
    pub fault: Fault,
}

impl fmt::Display for ScheduledFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "at {} ms for {} ms: {}",
            self.at_ms, self.for_ms, self.fault
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_round_trips_through_json() {
        let faults = vec![
            ScheduledFault {
                at_ms: 100,
                for_ms: 2_000,
                fault: Fault::Crash {
                    node: Target::Primary,
                },
            },
            ScheduledFault {
                at_ms: 300,
                for_ms: 50,
                fault: Fault::SplitHalves {
                    side: vec![Target::Node(Role::Master(1)), Target::Node(Role::ZooKeeper)],
                },
            },
            ScheduledFault {
                at_ms: 400,
                for_ms: 0,
                fault: Fault::ZookeeperUnavailable,
            },
        ];
        let text = serde_json::to_string(&faults).unwrap();
        assert!(
            text.contains(r#""kind":"crash","node":"primary""#),
            "{text}"
        );
        let back: Vec<ScheduledFault> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, faults);
    }

    #[test]
    fn bad_faults_are_rejected_with_a_reason() {
        let err = serde_json::from_str::<ScheduledFault>(
            r#"{"at_ms":1,"for_ms":1,"kind":"crash","node":"master-x"}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown node"), "{err}");
        let err = serde_json::from_str::<ScheduledFault>(
            r#"{"at_ms":1,"for_ms":1,"kind":"meteor","node":"master-1"}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown variant"), "{err}");
        let options = Options::fast();
        let crash_zk = Fault::Crash {
            node: Target::Node(Role::ZooKeeper),
        };
        assert!(crash_zk.validate(&options).is_err());
        let far = Fault::Pause {
            node: Target::Node(Role::Master(7)),
        };
        assert!(far
            .validate(&options)
            .unwrap_err()
            .contains("no node master-7"));
    }
}
