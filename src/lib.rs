//! ftsim: a deterministic simulation test harness for Alluxio-style master fault tolerance.
//!
//! Masters, workers, clients, ZooKeeper and the shared UFS journal run as actors on madsim's
//! simulated network and clock. A run is fully described by a seed and a [`Plan`] (options and
//! fault schedule); every actor records what it does at its boundary into a [`History`], and
//! checkers read only that history.
//!
//! # The front door
//! A story (a scripted scenario) needs [`Cluster`], [`Options`], [`Role`], the client vocabulary
//! ([`FsOp`], [`FsReply`], [`FsError`]), [`Cluster::simulate`] and [`Cluster::finish`]; a sweep needs
//! [`Model`], [`explore`](explore::explore) and [`Sweep`]; every failure carries a
//! [`Reproduction`]. All of them are re-exported here.
//!
//! # A story
//! A story builds a cluster from a seed and options, drives it with the fault verbs (each with
//! its inverse), and checks the history it leaves with the property table:
//!
//! ```
//! use ftsim::{Cluster, FsOp, Options, Role};
//! use std::time::Duration;
//!
//! let finished = Cluster::simulate(7, Options::fast(), |cluster| async move {
//!     let old = cluster.primary().await.expect("a primary serves");
//!     let cut = cluster.cut_from_zookeeper(old); // inverse: cluster.heal(cut)
//!     let bound = Duration::from_millis(cluster.options.failover_bound_ms());
//!     let new = cluster.wait_for_new_primary(old, bound).await.expect("a failover");
//!     cluster.heal(cut);
//!     cluster.kill(Role::Master(new)); // inverse: cluster.restart(..)
//!     cluster.restart(Role::Master(new));
//!     cluster.fs(0, FsOp::Mkdir { path: "/after".into() }).await.unwrap();
//!     cluster.finish().await // final states + the journal's replay
//! })
//! .unwrap();
//! assert_eq!(finished.violations(), vec![]);
//! ```
//!
//! A checker's test can write a history by hand, one event a line, as a trace prints them:
//!
//! ```
//! use ftsim::check::property;
//! use ftsim::history::parse_events;
//!
//! let history = parse_events(
//!     "10 master-0 promoting term=1
//!      20 master-0 became_primary next_seq=0 term=1
//!      30 master-1 promoting term=1
//!      40 master-1 became_primary next_seq=0 term=1
//!      50 master-0 journal_ack op_id=1 seq=0 term=1
//!      60 master-1 journal_ack op_id=2 seq=0 term=1",
//! )
//! .unwrap();
//! let one_leader = property("one_leader").unwrap();
//! assert!(one_leader.violation(&history, &ftsim::Options::fast()).is_some());
//! ```
//!
//! # Crate map, in the order data flows
//! From a seed to a plan:
//! - [`options`]: every knob, named after its Alluxio property; presets.
//! - [`bugs`]: the planted-bug catalogue, each a switch in the options.
//! - [`seed`]: seed parsing; every random stream of a run, named in one place.
//! - [`fault`]: the fault kinds, as data.
//! - [`plan`]: a run's options and fault schedule.
//! - [`swarm`]: draws a plan from a seed (the generator).
//! - [`model`]: how seeds become plans (preset or options file, bug, swarm or not).
//! - [`reproduction`]: the command that replays a run.
//! - [`schedule`]: plans written down as files (regressions, fixtures).
//!
//! The simulated system (internal):
//! - `net` (roles, addresses, RPC plumbing) and `deadline` (timeouts that cost one timer);
//! - `ufs` (the shared under-filesystem with leases and storage faults);
//! - `zookeeper` (server, client connection states, election recipe);
//! - `journal` (entries, naming, writer, tailer, checkpoints, GC, the checking reader) and
//!   [`namespace`] (the inode tree that journal entries change; public, as the sequential model
//!   the linearizability checkers evaluate calls against);
//! - [`op`]: the client vocabulary, shared by clients, masters, history and checkers;
//! - `master`, `worker`, `client`, `file_write` (a client writing a file's blocks), `workload`, `drain` (its end):
//!   the actors;
//! - [`cluster`]: builds the nodes; the scripting API (kill / restart / pause / resume);
//! - `nemesis`: the only code that applies faults to madsim.
//!
//! From a run to a verdict:
//! - [`history`]: the event log actors record and checkers read; [`primacy`]: each master's
//!   time as primary, read from it (shared by checkers, Sometimes facts and the nemesis).
//! - [`sim`]: one seed on its own thread and runtime; [`run`]: a seed's phases, start to end.
//! - [`check`]: the property table (Always, Eventually, Sometimes) and one checker per file.
//! - [`failure`]: how a seed fails (typed, each with its exit code).
//! - [`timeline`]: a run drawn from its history, one lane per node, as a self-contained HTML page.
//!
//! Tools over many runs:
//! - [`pool`]: the threads every tool runs seeds on; [`interrupt`]: Ctrl-C, to stop and resume; [`explore`]: many seeds, jobs, sums; [`hunt`]: seeds until a planted bug is caught;
//!   [`shrink`]: a failing plan made small; [`determinism`]: each seed twice, compared;
//!   [`bench`](mod@bench): throughput beside bare madsim; [`memory`]: this process's memory;
//!   [`merge`]: shard summaries combined into one; [`conformance`]: scripted ZooKeeper
//!   scenarios run on the model, for the suite that compares them with the real ZooKeeper.

#![warn(missing_docs)]

pub mod options;
pub mod bugs;
pub mod seed;
pub mod fault;
pub mod plan;
pub mod swarm;
pub mod model;
pub mod reproduction;
pub mod schedule;

pub(crate) mod hash;
pub(crate) mod net;
pub(crate) mod deadline;
pub(crate) mod cpu;
pub(crate) mod ufs;
pub(crate) mod zookeeper;
pub(crate) mod journal;
pub mod namespace;
pub mod op;
pub mod vocab;
pub(crate) mod master;
pub(crate) mod worker;
pub(crate) mod client;
pub(crate) mod file_write;
pub(crate) mod workload;
pub(crate) mod drain;
pub mod cluster;
pub(crate) mod nemesis;

pub mod history;
pub mod primacy;
pub mod sim;
pub mod run;
pub mod check;
pub mod failure;
pub mod timeline;

pub mod interrupt;
pub mod pool;
pub mod explore;
pub mod hunt;
pub mod shrink;
pub mod determinism;
pub mod bench;
pub mod memory;
pub mod merge;
pub mod conformance;

pub use bugs::Bug;
pub use check::{Kind, Property, Violation, PROPERTIES};
pub use cluster::{Client, Cluster, Finished};
pub use cluster::{InForce, NotInForce};
pub use explore::Sweep;
pub use failure::{FailureKind, SeedFailure, Unfinished};
pub use fault::{Fault, ScheduledFault, Target};
pub use history::{Event, EventKind, History};
pub use model::Model;
pub use net::Role;
pub use op::{CallError, FsError, FsOp, FsReply};
pub use options::Options;
pub use plan::Plan;
pub use reproduction::Reproduction;
pub use run::Outcome;
pub use schedule::ScheduleFile;
pub use sim::simulate;
pub use vocab::{ConnState, NamespaceChange, RepeatKey, StepDownReason};
