//! Conformance scripts: what a ZooKeeper client observes, on the model.
//!
//! The conformance suite (`sims/conformance/`) runs each scripted scenario twice: here, on the
//! model's ZooKeeper server and client (Curator's connection states, the leader recipe) under
//! madsim, and against a real ZooKeeper 3.8 server with Apache Curator clients. Both sides speak
//! this module's vocabulary: a script of [`Step`]s in, [`Observation`]s out, normalised by
//! [`normalise`] so that session ids, clocks and `ctime` units compare.
//!
//! The model side is the model's own code: the server actor, `ZkClient` with its pinger, and,
//! for [`Step::Elect`], the election recipe and leadership rule the masters use
//! (`Election`, `wait_for_leadership`, `ends_primacy` under the SESSION policy).

mod model;

pub use model::run_on_model;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The real server's `tickTime`, and the model server's expiry tick in the suite.
pub const TICK_MS: u64 = 100;

/// How a znode is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    /// Stays until deleted.
    Persistent,
    /// Goes with the session that created it.
    Ephemeral,
    /// Persistent, its name suffixed with the parent's child count (ten digits).
    PersistentSequential,
    /// Ephemeral and sequential.
    EphemeralSequential,
}

impl Mode {
    /// The driver's name for it.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Persistent => "persistent",
            Mode::Ephemeral => "ephemeral",
            Mode::PersistentSequential => "persistent-sequential",
            Mode::EphemeralSequential => "ephemeral-sequential",
        }
    }
}

/// One step of a script. Steps run in order; a call step waits for its answer. In every step,
/// `client` names one of the script's clients (opened by an earlier [`Step::Open`]) and `path`
/// is a znode path.
#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// Start a client (a Curator framework) with this session timeout and Curator's connection
    /// timeout, in milliseconds; the script goes on once it is connected.
    Open {
        client: String,
        session_ms: u64,
        connection_ms: u64,
    },
    /// Create a znode.
    Create {
        client: String,
        path: String,
        mode: Mode,
    },
    /// Delete a znode (any version).
    Delete { client: String, path: String },
    /// `exists`, leaving a one-shot watch if `watch`.
    Exists {
        client: String,
        path: String,
        watch: bool,
    },
    /// The children of `path`, each with its `ctime`.
    Children { client: String, path: String },
    /// `exists` through the client's first session, whatever has become of it.
    StaleExists { client: String, path: String },
    /// The server ends the client's session now.
    Expire { client: String },
    /// Join the leader election at `path` (Curator's LeaderSelector with auto-requeue, the SESSION
    /// connection-error policy).
    Elect { client: String, path: String },
    /// Close the client (and leave the election, if it is in one).
    Close { client: String },
    /// Wait `ms` milliseconds: the next step is due that much later (see [`Schedule`]).
    Sleep { ms: u64 },
    /// Drop all of the client's traffic to and from the server, until healed.
    Cut { client: String },
    /// End the client's cut.
    Heal { client: String },
    /// Delay the client's traffic by `ms` each way (0: no delay).
    Delay { client: String, ms: u64 },
    /// The server stops (crashes), keeping its data.
    ServerDown,
    /// The server starts again from its data.
    ServerUp,
}

/// What a call answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    /// The znode was created with this name.
    Created(String),
    /// The znode was deleted.
    Deleted,
    /// `exists` found the znode: its `ctime` (raw: the side's own clock; normalised: its rank
    /// among the scenario's `ctime`s) and its ephemeral owner's session (raw id; normalised:
    /// client and ordinal).
    #[allow(missing_docs)]
    Stat { ctime: i64, owner: String },
    /// `exists` found no znode.
    NoStat,
    /// Names with `ctime`s, by name.
    Children(Vec<(String, i64)>),
    /// ZooKeeper's error code (`NoNode`, `NodeExists`, `ConnectionLoss`...).
    Error(String),
    /// The step was carried out (open, expire, elect, close).
    Done,
}

/// One observation.
#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum What {
    /// The answer to script step `step`.
    Reply { step: usize, reply: Reply },
    /// A Curator connection state and the session in use (raw id as hex; normalised: its ordinal
    /// among the client's sessions, `none` for none).
    State { state: String, session: String },
    /// A one-shot watch the script left fired: `kind` is ZooKeeper's event type.
    Watch { path: String, kind: String },
    /// A watcher was told of its connection (ZooKeeper's `None` events: Disconnected, Expired).
    WatcherState { state: String },
    /// The leader recipe: leadership taken or given up.
    Leader { leads: bool },
}

/// What one client observed, when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// Milliseconds since the script's first step after its opening `Open`s (each of which
    /// waits until its client is connected; earlier observations are at 0).
    pub at_ms: u64,
    /// The client that observed it.
    pub client: String,
    /// What it observed.
    pub what: What,
}

/// Makes both sides comparable: session ids become `client#n` (the n-th session a client was
/// seen with, from its state observations; 0 is none), and `ctime`s their dense rank among every
/// `ctime` in the scenario (so only their order is compared).
pub fn normalise(observations: &[Observation]) -> Vec<Observation> {
    let mut sessions: BTreeMap<String, String> = BTreeMap::new();
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    for o in observations {
        if let What::State { session, .. } = &o.what {
            if is_none(session) || sessions.contains_key(session) {
                continue;
            }
            let n = counts.entry(o.client.clone()).or_insert(0);
            *n += 1;
            sessions.insert(session.clone(), format!("{}#{n}", o.client));
        }
    }
    let mut ctimes: Vec<i64> = vec![];
    for o in observations {
        match &o.what {
            What::Reply {
                reply: Reply::Stat { ctime, .. },
                ..
            } => ctimes.push(*ctime),
            What::Reply {
                reply: Reply::Children(children),
                ..
            } => ctimes.extend(children.iter().map(|(_, c)| *c)),
            _ => {}
        }
    }
    ctimes.sort();
    ctimes.dedup();
    let rank = |c: &i64| ctimes.binary_search(c).unwrap() as i64 + 1;
    let session = |s: &String| {
        if is_none(s) {
            "none".to_string()
        } else {
            sessions.get(s).cloned().unwrap_or_else(|| "unknown".into())
        }
    };
    observations
        .iter()
        .map(|o| {
            let what = match &o.what {
                What::State { state, session: s } => What::State {
                    state: state.clone(),
                    session: session(s),
                },
                What::Reply { step, reply } => What::Reply {
                    step: *step,
                    reply: match reply {
                        Reply::Stat { ctime, owner } => Reply::Stat {
                            ctime: rank(ctime),
                            owner: session(owner),
                        },
                        Reply::Children(children) => {
                            let mut c: Vec<(String, i64)> =
                                children.iter().map(|(n, c)| (n.clone(), rank(c))).collect();
                            c.sort();
                            Reply::Children(c)
                        }
                        other => other.clone(),
                    },
                },
                other => other.clone(),
            };
            Observation {
                at_ms: o.at_ms,
                client: o.client.clone(),
                what,
            }
        })
        .collect()
}

/// How late a script may run before its sleeps stop absorbing the lateness (see [`Schedule`]).
pub const SLACK_MS: u64 = 100;

/// When each step of a script is due, in milliseconds after the script's first step past its
/// opening `Open`s. Both sides run a step once it is due, or as soon as the step before it
/// ends if that is later; a `Sleep` puts the next step that much after the step it follows was
/// due. So calls, whose round trips differ between the sides, delay only the steps up to the
/// next sleep, and times do not drift apart over a script. A script more than [`SLACK_MS`]
/// late (a call that waited out a timeout) is rebased instead: the sleep then lasts its length
/// less the slack, so that what the script waits for after a blocking call still comes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Schedule {
    due: u64,
}

impl Schedule {
    /// When the next step is due.
    pub fn due(&self) -> u64 {
        self.due
    }

    /// A `Sleep { ms }` reached `now` ms after the script's start.
    pub fn sleep(&mut self, ms: u64, now: u64) {
        self.due = (self.due + ms).max((now + ms).saturating_sub(SLACK_MS));
    }
}

fn is_none(session: &str) -> bool {
    session.is_empty() || session == "0"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleeps_absorb_a_little_lateness_and_rebase_on_more() {
        let mut s = Schedule::default();
        s.sleep(300, 0);
        assert_eq!(s.due(), 300);
        // Calls ran 60 ms past the step's due time: the sleep takes them in.
        s.sleep(1_000, 360);
        assert_eq!(s.due(), 1_300);
        // A call blocked for 2 s: the next sleep lasts its length less the slack.
        s.sleep(1_000, 3_300);
        assert_eq!(s.due(), 3_300 + 1_000 - SLACK_MS);
    }
}
