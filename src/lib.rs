//! ftsim: a deterministic simulation test harness for Alluxio-style master fault tolerance.
//!
//! Masters, workers, clients, ZooKeeper and the shared UFS journal run as actors on madsim's
//! simulated network and clock. A run is fully described by `(seed, Options)`; every actor
//! records what it does at its boundary into a [`history::History`], and the fingerprint of a run
//! is the hash of that history.
//!
//! Crate map:
//! - [`options`]: every knob, named after its Alluxio property; presets.
//! - [`seed`]: seed parsing and child generators.
//! - [`net`]: node roles, addresses, RPC plumbing; [`deadline`]: timeouts that cost one timer.
//! - [`zookeeper`]: server, client (connection states), election recipe.
//! - [`ufs`]: the shared under-filesystem with leases and storage faults.
//! - [`journal`]: entries, naming, writer, tailer, checkpoints, GC, the checking reader.
//! - [`namespace`]: the inode tree that journal entries change.
//! - [`master`]: the master's life cycle, RPCs, worker registry.
//! - [`worker`], [`client`], [`workload`]: the other actors.
//! - [`cluster`]: builds the nodes; the scripting API (kill / restart / pause / resume, clients).
//! - [`history`]: the event log checkers read.
//! - [`bugs`]: the planted-bug catalogue.
//! - [`sim`], [`run`]: one seed on its own thread, start to end.

pub mod bench;
pub mod bugs;
pub mod check;
pub mod client;
pub mod cluster;
pub mod deadline;
pub mod determinism;
pub mod explore;
pub mod fault;
pub mod hash;
pub mod history;
pub mod hunt;
pub mod journal;
pub mod master;
pub mod namespace;
pub mod nemesis;
pub mod op;
pub mod net;
pub mod options;
pub mod run;
pub mod schedule;
pub mod seed;
pub mod shrink;
pub mod sim;
pub mod swarm;
pub mod ufs;
pub mod worker;
pub mod workload;
pub mod zookeeper;

pub use bugs::Bug;
pub use cluster::Cluster;
pub use history::{Event, EventKind, History};
pub use op::{FsError, FsOp, FsReply};
pub use net::Role;
pub use options::Options;
