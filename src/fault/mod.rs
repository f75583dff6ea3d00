//! Faults as data: what the nemesis can do to a cluster, when, and for how long.
//!
//! Each fault kind is declared once, in the file of its family ([`process`], [`partition`],
//! [`network`], [`zookeeper`], [`storage`]): a type holding its parameters that implements
//! [`Kind`], which says what it does and what undoes it, how a swarm plan draws it, which nodes it
//! aims at, how it is applied and undone (through an [`Injector`], which the nemesis implements),
//! how the timeline draws it and which Sometimes fact proves it took effect. `fault_kinds!`
//! lists the kinds once and makes the [`Fault`] enum and [`FaultKind`] from that list, so a kind
//! missing any piece does not compile.
//!
//! A fault schedule is a list of [`ScheduledFault`]s. Schedules serialise to JSON (`kind` names
//! the kind, the other fields are its parameters), so a shrunk schedule can be saved, read and
//! replayed.

pub mod draw;
pub mod inject;
pub mod network;
pub mod partition;
pub mod process;
pub mod storage;
pub mod zookeeper;

pub use inject::{Applied, Injector, Undo};
pub use network::{LatencySpike, MessageLoss};
pub use partition::{CutFromUfs, CutFromZookeeper, Isolate, OneWay, PrimaryMinority, SplitHalves};
pub use process::{Crash, Pause};
pub use storage::{FlushFail, FlushSlow, RenameFail};
pub use zookeeper::{SessionExpiry, ZookeeperUnavailable};

use crate::net::Role;
use crate::options::Options;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::hash::{Hash, Hasher};

/// A node a fault is aimed at. `primary` is resolved when the fault starts: the master that most
/// recently became primary and has not stepped down since.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Target {
    /// The current primary, resolved when the fault starts.
    Primary,
    /// One node.
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
        if s == "primary" {
            return Ok(Target::Primary);
        }
        Role::parse(&s)
            .filter(|r| *r != Role::Harness)
            .map(Target::Node)
            .ok_or_else(|| {
                format!(
                    "unknown node `{s}` (expected primary, zookeeper, ufs, master-N, worker-N or \
                 client-N)"
                )
            })
    }
}

/// What a fault does, which sets how the timeline draws it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// A process crashed or paused.
    Process,
    /// Links cut: drawn with cut lines where a shaded lane meets an unshaded one.
    Partition,
    /// Every message: message loss, latency.
    Network,
    /// ZooKeeper's own faults: session expiry, unavailability.
    ZooKeeper,
    /// The UFS's faults: flushes failing or slow, renames failing.
    Storage,
}

/// Which timeline lanes a fault shades.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lanes {
    /// Its target nodes.
    Targets,
    /// Its target nodes and a service it cuts them from or acts through (`zookeeper`, `ufs`).
    TargetsAnd(Role),
    /// The smaller of the two sides it splits the cluster into.
    SmallerSide,
    /// Every lane (it acts on every message).
    Every,
}

/// How a component shows that a fault it applies took effect: it records `FaultTookEffect`, and
/// the Sometimes fact `fact` counts those records (a fault applied but without effect would make
/// the sweep's fault counts a false comfort).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Effect {
    /// The Sometimes fact's name.
    pub fact: &'static str,
    /// Only effects recorded while the nemesis has the fault in force on that node count (a
    /// storage fault: an effect recorded after it was undone must not pass for one).
    pub while_in_force: bool,
}

/// What a fault kind is, for people and for the timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Info {
    /// Its name, as schedule files, counts and the command line spell it.
    pub name: &'static str,
    /// What it does, in a phrase.
    pub what: &'static str,
    /// What undoes it, in a phrase.
    pub inverse: &'static str,
    /// Its timeline family.
    pub family: Family,
    /// The lanes it shades.
    pub lanes: Lanes,
    /// Over at once (nothing to undo; the timeline draws it as an instant).
    pub instantaneous: bool,
    /// The Sometimes fact that proves it took effect, for a fault only a component applies.
    pub effect: Option<Effect>,
}

/// One fault kind, declared once: its parameters are the implementing type.
pub trait Kind: Sized {
    /// What the kind is.
    const INFO: Info;

    /// Draws one fault of this kind and its duration in milliseconds, for a swarm plan.
    fn draw(rng: &mut ChaCha8Rng, o: &Options) -> (Self, u64);

    /// Every node it names, in order (the primary first where it is implied).
    fn targets(&self) -> Vec<Target>;

    /// Rejects a fault of this kind the cluster of `o` cannot take, beyond naming nodes it has.
    fn validate(&self, _o: &Options) -> Result<(), String> {
        Ok(())
    }

    /// The fault for people, its targets named `names` (as [`Kind::targets`] orders them): the
    /// plan's names (`primary`) before it starts, the resolved nodes once applied.
    fn describe(&self, names: &[String]) -> String {
        match names.first() {
            Some(name) => format!("{} {name}", Self::INFO.name),
            None => Self::INFO.name.to_string(),
        }
    }

    /// Applies the fault to `targets` (resolved as [`Kind::targets`] orders them); `None` when it
    /// cannot apply now (its target is down).
    fn apply(&self, injector: &mut dyn Injector, targets: &[Role]) -> Option<Applied>;
}

/// Lists every fault kind once, as `Variant(Type)`, and makes from that list the [`Fault`] enum,
/// [`FaultKind`] and their dispatch to each kind's [`Kind`] declaration.
macro_rules! fault_kinds {
    ($($(#[$doc:meta])* $variant:ident($ty:ty),)*) => {
        /// One fault, with its parameters. Each variant's type declares its kind ([`Kind`]).
        #[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(tag = "kind", rename_all = "kebab-case")]
        pub enum Fault {
            $($(#[$doc])* $variant($ty),)*
        }

        /// A fault's kind, without its parameters. It prints, serialises and hashes as its name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
        pub enum FaultKind {
            $($(#[$doc])* $variant,)*
        }

        impl FaultKind {
            /// Every kind, in a fixed order (counts, coverage tables, the swarm's draw).
            pub const ALL: &'static [FaultKind] = &[$(FaultKind::$variant,)*];

            /// What the kind is.
            pub const fn info(self) -> Info {
                match self {
                    $(FaultKind::$variant => <$ty as Kind>::INFO,)*
                }
            }

            /// Draws one fault of this kind and its duration, for a swarm plan.
            pub fn draw(self, rng: &mut ChaCha8Rng, o: &Options) -> (Fault, u64) {
                match self {
                    $(FaultKind::$variant => {
                        let (fault, for_ms) = <$ty as Kind>::draw(rng, o);
                        (Fault::$variant(fault), for_ms)
                    })*
                }
            }
        }

        impl Fault {
            /// The fault's kind.
            pub fn kind(&self) -> FaultKind {
                match self {
                    $(Fault::$variant(_) => FaultKind::$variant,)*
                }
            }

            /// Every node the fault names.
            pub fn targets(&self) -> Vec<Target> {
                match self {
                    $(Fault::$variant(f) => f.targets(),)*
                }
            }

            fn validate_kind(&self, o: &Options) -> Result<(), String> {
                match self {
                    $(Fault::$variant(f) => f.validate(o),)*
                }
            }

            /// The fault for people, its targets named `names`.
            pub fn describe(&self, names: &[String]) -> String {
                match self {
                    $(Fault::$variant(f) => f.describe(names),)*
                }
            }

            /// Applies the fault to its resolved `targets`.
            pub fn apply(&self, injector: &mut dyn Injector, targets: &[Role]) -> Option<Applied> {
                match self {
                    $(Fault::$variant(f) => f.apply(injector, targets),)*
                }
            }
        }

        $(impl From<$ty> for Fault {
            fn from(f: $ty) -> Fault {
                Fault::$variant(f)
            }
        })*
    };
}

fault_kinds! {
    /// Kill a master or worker process; restart it.
    Crash(Crash),
    /// Freeze any node (a GC pause); resume it.
    Pause(Pause),
    /// Cut one node from every other; reconnect.
    Isolate(Isolate),
    /// Cut a set of nodes from the rest, both ways; reconnect.
    SplitHalves(SplitHalves),
    /// Cut the primary, with some clients, from everything else; reconnect.
    PrimaryMinority(PrimaryMinority),
    /// Drop messages from one node to another only; reconnect.
    OneWay(OneWay),
    /// Cut a master from ZooKeeper only; reconnect.
    CutFromZookeeper(CutFromZookeeper),
    /// Cut a master from the UFS only; reconnect.
    CutFromUfs(CutFromUfs),
    /// Drop a share of every message; no loss.
    MessageLoss(MessageLoss),
    /// Delay every message; the default latency.
    LatencySpike(LatencySpike),
    /// ZooKeeper expires a node's sessions at once (instantaneous).
    SessionExpiry(SessionExpiry),
    /// ZooKeeper answers nobody and its session clocks stop; it answers again.
    ZookeeperUnavailable(ZookeeperUnavailable),
    /// The UFS fails a master's flushes; flushes work.
    FlushFail(FlushFail),
    /// The UFS delays a master's flushes; no delay.
    FlushSlow(FlushSlow),
    /// The UFS fails renames; renames work.
    RenameFail(RenameFail),
}

impl FaultKind {
    /// The kind's name, as in schedule files and the JSON `kind` tag.
    pub const fn name(self) -> &'static str {
        self.info().name
    }

    /// The kind named `name`.
    pub fn named(name: &str) -> Option<FaultKind> {
        FaultKind::ALL.iter().copied().find(|k| k.name() == name)
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Hashed as its name, so that a history's fingerprint does not depend on how kinds are ordered.
impl Hash for FaultKind {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name().hash(state)
    }
}

impl Serialize for FaultKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for FaultKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        FaultKind::named(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown fault kind `{name}`")))
    }
}

impl Fault {
    /// Rejects a fault the cluster of `options` cannot take: a node that does not exist, or what
    /// its kind rules out (a crash of a node that has no process to restart, a master-only fault
    /// aimed elsewhere).
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
        self.validate_kind(options)
    }
}

/// Rejects a fault of kind `name` aimed at anything but a master (or the primary).
pub(crate) fn master_only(name: &str, node: &Target) -> Result<(), String> {
    if matches!(node, Target::Primary | Target::Node(Role::Master(_))) {
        Ok(())
    } else {
        Err(format!("{name}: aimed at a master, not {node}"))
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self.targets().iter().map(|t| t.to_string()).collect();
        f.write_str(&self.describe(&names))
    }
}

/// A fault with its start (since the safety phase began) and how long it lasts. Faults still
/// active when the safety phase ends are healed then.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ScheduledFault {
    /// When it starts, in milliseconds since the safety phase began.
    pub at_ms: u64,
    /// How long it lasts (0 for an instantaneous fault).
    pub for_ms: u64,
    /// The fault.
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
                fault: Crash {
                    node: Target::Primary,
                }
                .into(),
            },
            ScheduledFault {
                at_ms: 300,
                for_ms: 50,
                fault: SplitHalves {
                    side: vec![Target::Node(Role::Master(1)), Target::Node(Role::ZooKeeper)],
                }
                .into(),
            },
            ScheduledFault {
                at_ms: 400,
                for_ms: 0,
                fault: ZookeeperUnavailable {}.into(),
            },
        ];
        let text = serde_json::to_string(&faults).unwrap();
        assert!(
            text.contains(r#""kind":"crash","node":"primary""#),
            "{text}"
        );
        assert!(
            text.contains(r#""kind":"zookeeper-unavailable"}"#),
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
        let err = serde_json::from_str::<ScheduledFault>(
            r#"{"at_ms":1,"for_ms":1,"kind":"crash","node":"master-1","extra":3}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
        let options = Options::fast();
        let crash_zk: Fault = Crash {
            node: Target::Node(Role::ZooKeeper),
        }
        .into();
        assert!(crash_zk.validate(&options).is_err());
        let far: Fault = Pause {
            node: Target::Node(Role::Master(7)),
        }
        .into();
        assert!(far
            .validate(&options)
            .unwrap_err()
            .contains("no node master-7"));
    }

    #[test]
    fn every_kind_is_named_as_its_json_tag_and_once() {
        let mut names: Vec<&str> = FaultKind::ALL.iter().map(|k| k.name()).collect();
        for kind in FaultKind::ALL {
            let json = serde_json::to_value(kind).unwrap();
            assert_eq!(json, kind.name());
            assert_eq!(FaultKind::named(kind.name()), Some(*kind));
            let mut rng = crate::seed::rng(1, crate::seed::Stream::Swarm);
            let (fault, _) = kind.draw(&mut rng, &Options::fast());
            assert_eq!(fault.kind(), *kind);
            let tagged = serde_json::to_value(&fault).unwrap();
            assert_eq!(tagged["kind"], kind.name(), "{tagged}");
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), FaultKind::ALL.len());
    }
}
