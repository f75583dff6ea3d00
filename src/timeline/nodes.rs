//! The lanes of workers and clients (and of any node the plan does not name).
//!
//! A worker's lane shows with whom it is registered: from the id a primary gave it (the master's
//! own `worker_registered` record names the master) until it is told to register again, exits
//! past its heartbeat timeout, or crashes. A client's lane shows each call as a bar from its
//! invoke to its answer, coloured by the answer (ok, a definite error, Unavailable, or none by
//! the end), with a tick at each attempt and a stroke at the end in the colour of the master that
//! answered; reads are thinner than mutations.

use super::rows::{session_row, window, Mark, Row, RowKind, Span};
use crate::history::{Event, EventKind};
use crate::op::CallError;
use crate::op::FsOp;
use std::collections::BTreeMap;

/// Every registration a master recorded: worker id to (time, master, worker), in order.
pub fn registrations(events: &[Event]) -> BTreeMap<u64, Vec<(u64, String, String)>> {
    let mut out: BTreeMap<u64, Vec<(u64, String, String)>> = BTreeMap::new();
    for e in events {
        if let EventKind::WorkerRegistered { worker_id, worker } = &e.kind {
            out.entry(*worker_id)
                .or_default()
                .push((e.at_us, e.node.clone(), worker.clone()));
        }
    }
    out
}

/// The CSS class that gives a master's colour (`m0` to `m4`, then again).
pub fn master_class(master: &str) -> String {
    let index: usize = master
        .strip_prefix("master-")
        .and_then(|i| i.parse().ok())
        .unwrap_or(0);
    format!("m{}", index % 5)
}

/// A worker's two rows: its registration and its ZooKeeper session.
pub fn worker_rows(
    node: &str,
    own: &[&Event],
    end_us: u64,
    expiries: &BTreeMap<String, Vec<(u64, u64)>>,
    registrations: &BTreeMap<u64, Vec<(u64, String, String)>>,
) -> Vec<Row> {
    let mut row = Row::new(RowKind::State);
    // (since, class, what it was)
    let mut state: (u64, String, String) = (0, "w-no".into(), "not registered".into());
    let mut set = |row: &mut Row, at: u64, class: String, what: String| {
        let (since, old_class, old_what) = std::mem::replace(&mut state, (at, class, what));
        if at > since {
            let mut span = Span::new(
                since,
                at,
                &old_class,
                format!("{node}: {old_what}, {}", window(since, at)),
            );
            if old_class.starts_with('w') && old_class != "w-no" {
                span.label = old_what.split(" with ").nth(1).map(|m| m.to_string());
            }
            row.spans.push(span);
        }
    };
    for e in own {
        let at = e.at_us;
        match &e.kind {
            EventKind::WorkerGotId { worker_id } => {
                let master = registrations
                    .get(worker_id)
                    .and_then(|r| {
                        r.iter()
                            .rev()
                            .find(|(t, _, w)| *t <= at && w == node)
                            .map(|(_, m, _)| m.clone())
                    })
                    .unwrap_or_else(|| "an unknown master".into());
                set(
                    &mut row,
                    at,
                    format!("w{}", master_class(&master)),
                    format!("registered as id {worker_id} with {master}"),
                );
            }
            EventKind::WorkerReregister { old_id, .. } => {
                set(&mut row, at, "w-no".into(), "registering again".into());
                row.marks.push(Mark {
                    at_us: at,
                    glyph: "↻",
                    class: "gd",
                    title: format!(
                        "{} ms: {node} was told to register again (old id {old_id})",
                        super::ms(at)
                    ),
                });
            }
            EventKind::WorkerExit { .. } => set(
                &mut row,
                at,
                "r-ex".into(),
                "exited (heartbeat timeout)".into(),
            ),
            EventKind::NodeCrash => set(&mut row, at, "r-cr".into(), "crashed".into()),
            EventKind::NodeRestart => set(&mut row, at, "w-no".into(), "not registered".into()),
            _ => {}
        }
    }
    set(&mut row, end_us, String::new(), String::new());
    vec![row, session_row(node, own, end_us, expiries)]
}

/// Marks on worker lanes for every `worker_lost` a master recorded (the id's worker found
/// through the registrations).
pub fn lost_marks(
    events: &[Event],
    registrations: &BTreeMap<u64, Vec<(u64, String, String)>>,
) -> Vec<(String, Mark)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::WorkerLost { worker_id, .. } => {
                let worker = registrations
                    .get(worker_id)?
                    .iter()
                    .rev()
                    .find(|(t, m, _)| *t <= e.at_us && *m == e.node)?
                    .2
                    .clone();
                let title = format!(
                    "{} ms: {} marked {worker} (id {worker_id}) lost",
                    super::ms(e.at_us),
                    e.node
                );
                Some((
                    worker,
                    Mark {
                        at_us: e.at_us,
                        glyph: "?",
                        class: "gx",
                        title,
                    },
                ))
            }
            _ => None,
        })
        .collect()
}

/// An operation for people: `create_file /d0/f2`, `rename /a -> /b`.
pub fn op_text(op: &FsOp) -> String {
    match op {
        FsOp::Mkdir { path }
        | FsOp::CreateFile { path }
        | FsOp::CompleteFile { path }
        | FsOp::GetStatus { path }
        | FsOp::ListStatus { path }
        | FsOp::GetBlockLocations { path } => format!("{} {path}", op.name()),
        FsOp::CommitBlock { block_id, length } => {
            format!("commit_block {block_id:#x} ({length} bytes)")
        }
        FsOp::GetWorkerInfoList => op.name().to_string(),
        FsOp::Delete { path, recursive } => {
            format!(
                "delete {path}{}",
                if *recursive { " (recursive)" } else { "" }
            )
        }
        FsOp::Rename { src, dst } => format!("rename {src} -> {dst}"),
    }
}

/// One client call as the history tells it.
struct Call {
    op_id: u64,
    op: String,
    read: bool,
    invoke_us: u64,
    attempts: Vec<(u64, String)>,
    /// (time, class, what the answer was, who answered)
    answer: Option<(u64, &'static str, String, Option<String>)>,
}

/// A client's two rows: its calls (one sub-row per overlapping call) and its session.
pub fn client_rows(
    node: &str,
    own: &[&Event],
    end_us: u64,
    expiries: &BTreeMap<String, Vec<(u64, u64)>>,
    highlighted: &[u64],
) -> Vec<Row> {
    let mut calls: Vec<Call> = vec![];
    let mut open: BTreeMap<u64, usize> = BTreeMap::new();
    for e in own {
        let at = e.at_us;
        match &e.kind {
            EventKind::Invoke { op_id, op } => {
                open.insert(*op_id, calls.len());
                calls.push(Call {
                    op_id: *op_id,
                    op: op_text(op),
                    read: !op.is_mutation(),
                    invoke_us: at,
                    attempts: vec![],
                    answer: None,
                });
            }
            EventKind::Attempt {
                op_id,
                attempt,
                master,
                lookups,
            } => {
                if let Some(&i) = open.get(op_id) {
                    let to = master.as_deref().unwrap_or("no master (lookup failed)");
                    calls[i].attempts.push((
                        at,
                        format!(
                            "attempt {attempt} at {} ms to {to} after {lookups} lookup(s)",
                            super::ms(at)
                        ),
                    ));
                }
            }
            EventKind::Ok { op_id, by, reply } => {
                if let Some(i) = open.remove(op_id) {
                    let reply = serde_json::to_string(reply).unwrap_or_default();
                    calls[i].answer = Some((at, "c-ok", format!("ok {reply}"), Some(by.clone())));
                }
            }
            EventKind::Fail { op_id, error, by } => {
                if let Some(i) = open.remove(op_id) {
                    let (class, what) = match error {
                        CallError::Unavailable => ("c-un", "Unavailable".to_string()),
                        CallError::Fs(e) => (
                            "c-er",
                            serde_json::to_string(e)
                                .unwrap_or_default()
                                .trim_matches('"')
                                .to_string(),
                        ),
                    };
                    calls[i].answer = Some((at, class, what, by.clone()));
                }
            }
            _ => {}
        }
    }
    let mut row = Row::new(RowKind::Calls);
    // Each call takes the first sub-row free at its invoke.
    let mut level_ends: Vec<u64> = vec![];
    for c in &calls {
        let to_us = c.answer.as_ref().map_or(end_us, |a| a.0);
        let level = match level_ends.iter().position(|&end| end <= c.invoke_us) {
            Some(l) => {
                level_ends[l] = to_us;
                l
            }
            None => {
                level_ends.push(to_us);
                level_ends.len() - 1
            }
        } as u32;
        let (class, answer, by) = match &c.answer {
            Some((_, class, what, by)) => (*class, what.clone(), by.clone()),
            None => ("c-pd", "no answer by the end of the run".to_string(), None),
        };
        let mut title = format!(
            "{node} op {:#x} ({}): {}\ninvoked {}\n{answer}{}",
            c.op_id,
            c.op_id,
            c.op,
            window(c.invoke_us, to_us),
            by.as_ref()
                .map(|m| format!(" from {m}"))
                .unwrap_or_default()
        );
        for (_, a) in &c.attempts {
            title.push('\n');
            title.push_str(a);
        }
        let mut classes = class.to_string();
        if c.read {
            classes.push_str(" rd");
        }
        if highlighted.contains(&c.op_id) {
            classes.push_str(" hl");
        }
        let short = match &c.answer {
            Some((_, "c-ok", _, Some(m))) => format!("ok ({m})"),
            Some((_, _, what, Some(m))) => format!("{what} ({m})"),
            Some((_, _, what, None)) => what.clone(),
            None => "…".into(),
        };
        let mut span = Span::new(c.invoke_us, to_us, &classes, title);
        span.label = Some(format!("{}: {short}", c.op));
        span.level = level;
        span.id = Some(format!("op-{}", c.op_id));
        row.spans.push(span);
        for (at, _) in &c.attempts {
            row.ticks("t-at", (0.0, 1.0)).push((*at, level));
        }
        if let Some(m) = by {
            row.ticks(&format!("by {}", master_class(&m)), (0.75, 1.0))
                .push((to_us, level));
        }
    }
    row.levels = (level_ends.len() as u32).max(1);
    // A call's label may run on until the next call in its sub-row.
    let mut next_start: BTreeMap<u32, u64> = BTreeMap::new();
    for span in row.spans.iter_mut().rev() {
        span.room_us = next_start.get(&span.level).copied().unwrap_or(end_us);
        next_start.insert(span.level, span.from_us);
    }
    vec![row, session_row(node, own, end_us, expiries)]
}

/// A lane for a node the plan does not name: each of its events as a glyph.
pub fn other_row(own: &[&Event]) -> Row {
    let mut row = Row::new(RowKind::State);
    row.marks = own
        .iter()
        .map(|e| Mark {
            at_us: e.at_us,
            glyph: "●",
            class: "gd",
            title: e.compact(),
        })
        .collect();
    row
}
