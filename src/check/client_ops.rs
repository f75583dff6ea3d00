//! What clients saw, read from the history for the linearizability checkers: each call with its
//! real-time window and outcome, the journal's order of mutations, and the namespace as the
//! sequential model both checkers evaluate operations against. Workers' block commits are calls
//! too, and block-location answers are judged by what of them is journaled (block ids and
//! lengths), their locations left out; the worker report is not judged here.

use crate::history::{Event, EventKind};
use crate::namespace::Namespace;
use crate::op::CallError;
use crate::op::{FsError, FsOp, FsReply};
use std::collections::BTreeMap;

/// How a call ended.
#[derive(Clone, Debug, PartialEq)]
pub enum End {
    /// A definite answer: a reply or a namespace error.
    Answered(Result<FsReply, FsError>),
    /// Unavailable, or never ended: the call may or may not have taken effect.
    Indeterminate,
}

/// One client call.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// The call's operation id.
    pub op_id: u64,
    /// The client that made it.
    pub client: String,
    /// What it asked.
    pub op: FsOp,
    /// When it was invoked (simulated microseconds).
    pub invoke_us: u64,
    /// When the answer came (`u64::MAX` when indeterminate: it may take effect at any later time).
    pub end_us: u64,
    /// How it ended.
    pub end: End,
    /// The master that answered, if one did.
    pub by: Option<String>,
    /// Index of the invoke event and of the answer (the invoke's when none came).
    pub invoke_event: usize,
    /// Index of the answer's event (the invoke's when none came).
    pub end_event: usize,
}

impl Call {
    /// Whether it changes the namespace.
    pub fn is_mutation(&self) -> bool {
        self.op.is_mutation()
    }

    /// `op 0x1f (client-2 mkdir /d1, answered by master-0 at 12.345 ms)`.
    pub fn describe(&self) -> String {
        let answer = match (&self.end, &self.by) {
            (End::Indeterminate, _) => "no definite answer".to_string(),
            (End::Answered(r), by) => format!(
                "{} by {} at {:.3} ms",
                match r {
                    Ok(_) => "ok".to_string(),
                    Err(e) => format!("{e:?}"),
                },
                by.as_deref().unwrap_or("?"),
                self.end_us as f64 / 1000.0
            ),
        };
        format!(
            "op {:#x} ({} {} {}, invoked at {:.3} ms, {answer})",
            self.op_id,
            self.client,
            self.op.name(),
            path_of(&self.op),
            self.invoke_us as f64 / 1000.0
        )
    }
}

fn path_of(op: &FsOp) -> String {
    match op {
        FsOp::Mkdir { path }
        | FsOp::CreateFile { path }
        | FsOp::CompleteFile { path }
        | FsOp::Delete { path, .. }
        | FsOp::GetStatus { path }
        | FsOp::ListStatus { path }
        | FsOp::GetBlockLocations { path } => path.clone(),
        FsOp::Rename { src, dst } => format!("{src} -> {dst}"),
        FsOp::CommitBlock { block_id, .. } => format!("block {block_id:#x}"),
        FsOp::GetWorkerInfoList => String::new(),
    }
}

/// The client history and the journal's order, as both checkers take them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClientHistory {
    /// Every client call, in invoke order.
    pub calls: Vec<Call>,
    /// Operation ids in journal order, from sequence number 0.
    pub journal: Vec<u64>,
}

impl ClientHistory {
    /// Each call's index, by operation id.
    pub fn call_index(&self) -> BTreeMap<u64, usize> {
        self.calls
            .iter()
            .enumerate()
            .map(|(i, c)| (c.op_id, i))
            .collect()
    }

    /// Whether the journal can be replayed from the calls: it holds each operation once and only
    /// operations a recorded call made. Neither search judges a history whose journal is not;
    /// `linearizable` reports it as a phantom write.
    pub fn journal_is_replayable(&self, calls: &BTreeMap<u64, usize>) -> bool {
        self.unexplained_entry(calls).is_none()
    }

    /// The first journal entry the calls do not explain: its position, its operation id, and
    /// whether no call made it (`false`: the journal holds it a second time).
    pub fn unexplained_entry(&self, calls: &BTreeMap<u64, usize>) -> Option<(usize, u64, bool)> {
        let mut seen = std::collections::BTreeSet::new();
        self.journal.iter().enumerate().find_map(|(pos, &id)| {
            if !calls.contains_key(&id) {
                Some((pos, id, true))
            } else if !seen.insert(id) {
                Some((pos, id, false))
            } else {
                None
            }
        })
    }
}

/// Reads the calls and the journal order from a run's history; none when the run has no journal
/// replay (nothing to check against).
pub fn extract(events: &[Event]) -> Option<ClientHistory> {
    let journal = events.iter().rev().find_map(|e| match &e.kind {
        EventKind::JournalReplay { order, .. } => Some(order.clone()),
        _ => None,
    })?;
    let mut open: BTreeMap<u64, Call> = BTreeMap::new();
    let mut calls = vec![];
    for (i, e) in events.iter().enumerate() {
        match &e.kind {
            // The worker report is not journaled state: no sequential namespace answers it.
            EventKind::Invoke { op_id, op } if op.is_journaled_state() => {
                open.insert(
                    *op_id,
                    Call {
                        op_id: *op_id,
                        client: e.node.clone(),
                        op: op.clone(),
                        invoke_us: e.at_us,
                        end_us: u64::MAX,
                        end: End::Indeterminate,
                        by: None,
                        invoke_event: i,
                        end_event: i,
                    },
                );
            }
            EventKind::Ok { op_id, by, reply } => {
                if let Some(mut c) = open.remove(op_id) {
                    // Block locations live in memory only; what is judged is the journaled rest.
                    c.end = End::Answered(Ok(reply.journaled()));
                    c.end_us = e.at_us;
                    c.by = Some(by.clone());
                    c.end_event = i;
                    calls.push(c);
                }
            }
            EventKind::Fail { op_id, error, by } => {
                if let Some(mut c) = open.remove(op_id) {
                    if let CallError::Fs(err) = error {
                        c.end = End::Answered(Err(err.clone()));
                        c.end_us = e.at_us;
                    }
                    c.by = by.clone();
                    c.end_event = i;
                    calls.push(c);
                }
            }
            _ => {}
        }
    }
    calls.extend(open.into_values());
    calls.sort_by_key(|c| c.invoke_event);
    Some(ClientHistory { calls, journal })
}

/// Applies `op` to `ns` as a primary would: a read answers from the tree; a mutation is planned
/// and, if it plans, applied. Returns the answer.
pub fn apply(ns: &mut Namespace, op: &FsOp) -> Result<FsReply, FsError> {
    if !op.is_mutation() {
        return ns.read(op);
    }
    let m = ns.plan(op)?;
    ns.apply(&m).map_err(|_| FsError::InvalidPath)
}

/// What `op` would answer on `ns`, without changing it.
pub fn evaluate(ns: &Namespace, op: &FsOp) -> Result<FsReply, FsError> {
    if !op.is_mutation() {
        return ns.read(op);
    }
    let m = ns.plan(op)?;
    ns.clone().apply(&m).map_err(|_| FsError::InvalidPath)
}
