//! From events to what a timeline draws: one [`Lane`] per node, each a few [`Row`]s of intervals
//! ([`Span`]), tick marks ([`Ticks`]) and glyphs ([`Mark`]); the journal's terms; the run's
//! phases. Everything here is derived from the recorded history alone.
//!
//! Masters' lanes are derived in [`super::masters`], workers' and clients' in [`super::nodes`],
//! from the row vocabulary of [`super::rows`].

use super::rows::{Mark, Row, RowKind};
use crate::check::Violation;
use crate::history::{Event, EventKind};
use crate::plan::Plan;
use std::collections::BTreeMap;

/// The kinds of node, in the order their lanes are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Group {
    Master,
    Service,
    Worker,
    Client,
    Other,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Lane {
    pub node: String,
    pub group: Group,
    pub rows: Vec<Row>,
    /// When the node's process was paused (it still believes what it believed).
    pub paused: Vec<(u64, u64)>,
}

/// A term of leadership: from the master's promotion to the next term's.
#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    pub term: u64,
    pub master: String,
    pub from_us: u64,
    /// When it became primary (none: promotion was abandoned or never finished).
    pub primary_us: Option<u64>,
    pub to_us: u64,
}

/// Everything a timeline draws but the faults.
#[derive(Clone, Debug, PartialEq)]
pub struct Timeline {
    /// The last event's time: the axis runs from 0 to here.
    pub end_us: u64,
    pub lanes: Vec<Lane>,
    pub terms: Vec<Term>,
    /// (time, name) of each phase's start.
    pub phases: Vec<(u64, String)>,
    /// The op ids the violations name.
    pub highlighted: Vec<u64>,
}

impl Timeline {
    /// The lane of `node`.
    pub fn lane(&self, node: &str) -> Option<usize> {
        self.lanes.iter().position(|l| l.node == node)
    }
}

/// Nodes that record events but have no lane of their own.
const OBSERVERS: &[&str] = &["harness", "nemesis", "reader"];

/// Derives every lane, the terms and the phases of a history.
pub fn derive(plan: &Plan, events: &[Event], violations: &[Violation]) -> Timeline {
    let end_us = events.last().map(|e| e.at_us).unwrap_or(0).max(1);
    let o = &plan.options;
    let mut names: Vec<(String, Group)> = vec![];
    names.extend((0..o.masters).map(|i| (format!("master-{i}"), Group::Master)));
    names.push(("zookeeper".into(), Group::Service));
    names.push(("ufs".into(), Group::Service));
    names.extend((0..o.workers).map(|i| (format!("worker-{i}"), Group::Worker)));
    names.extend((0..o.clients).map(|i| (format!("client-{i}"), Group::Client)));
    let mut by_node: BTreeMap<&str, Vec<&Event>> = BTreeMap::new();
    for e in events {
        if !OBSERVERS.contains(&e.node.as_str()) && !names.iter().any(|(n, _)| *n == e.node) {
            names.push((e.node.clone(), Group::Other));
        }
        by_node.entry(e.node.as_str()).or_default().push(e);
    }
    let highlighted: Vec<u64> = {
        let mut ops: Vec<u64> = violations.iter().flat_map(|v| v.ops.clone()).collect();
        ops.sort();
        ops.dedup();
        ops
    };
    let expiries = expiries(events);
    let promotions: Vec<(u64, u64, &str)> = events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Promoting { term } => Some((e.at_us, term, e.node.as_str())),
            _ => None,
        })
        .collect();
    let registrations = super::nodes::registrations(events);
    let mut lanes = names
        .into_iter()
        .map(|(node, group)| {
            let own: &[&Event] = by_node.get(node.as_str()).map_or(&[], |v| v);
            let rows = match group {
                Group::Master => super::masters::master_rows(
                    &node,
                    own,
                    end_us,
                    &expiries,
                    &highlighted,
                    &promotions,
                ),
                Group::Service => vec![Row::new(RowKind::State)],
                Group::Worker => {
                    // A worker's registration and session, then the block commits it calls,
                    // drawn as a client's calls are (a violation may name one).
                    let mut rows =
                        super::nodes::worker_rows(&node, own, end_us, &expiries, &registrations);
                    let calls =
                        super::nodes::client_rows(&node, own, end_us, &expiries, &highlighted);
                    rows.extend(calls.into_iter().filter(|r| r.kind == RowKind::Calls));
                    rows
                }
                Group::Client => {
                    super::nodes::client_rows(&node, own, end_us, &expiries, &highlighted)
                }
                Group::Other => vec![super::nodes::other_row(own)],
            };
            let mut lane = Lane {
                paused: paused(own, end_us),
                node,
                group,
                rows,
            };
            if lane.node == "zookeeper" {
                lane.rows[0].marks = expiry_marks_at_server(events);
            }
            lane
        })
        .collect::<Vec<Lane>>();
    for (worker, mark) in super::nodes::lost_marks(events, &registrations) {
        if let Some(lane) = lanes.iter_mut().find(|l| l.node == worker) {
            lane.rows[0].marks.push(mark);
        }
    }
    Timeline {
        end_us,
        lanes,
        terms: terms(events, end_us),
        phases: events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Phase { name } => Some((e.at_us, name.clone())),
                _ => None,
            })
            .collect(),
        highlighted,
    }
}

/// When each node's process was paused, from its pause to its resume (or the end).
fn paused(own: &[&Event], end_us: u64) -> Vec<(u64, u64)> {
    let mut out = vec![];
    let mut since = None;
    for e in own {
        match e.kind {
            EventKind::NodePause => since = since.or(Some(e.at_us)),
            EventKind::NodeResume | EventKind::NodeCrash | EventKind::NodeRestart => {
                if let Some(s) = since.take() {
                    out.push((s, e.at_us));
                }
            }
            _ => {}
        }
    }
    if let Some(s) = since {
        out.push((s, end_us));
    }
    out
}

/// Session expiries by the owner of the session: (time, session).
pub fn expiries(events: &[Event]) -> BTreeMap<String, Vec<(u64, u64)>> {
    let mut out: BTreeMap<String, Vec<(u64, u64)>> = BTreeMap::new();
    for e in events {
        if let EventKind::SessionExpired { session, owner } = &e.kind {
            out.entry(owner.clone())
                .or_default()
                .push((e.at_us, *session));
        }
    }
    out
}

fn expiry_marks_at_server(events: &[Event]) -> Vec<Mark> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::SessionExpired { session, owner } => Some(Mark {
                at_us: e.at_us,
                glyph: "✕",
                class: "gx",
                title: format!(
                    "{} ms: ZooKeeper expired session {session} of {owner} (its ephemeral znodes deleted)",
                    super::ms(e.at_us)
                ),
            }),
            _ => None,
        })
        .collect()
}

/// The terms of leadership, from each promotion to the next term's.
fn terms(events: &[Event], end_us: u64) -> Vec<Term> {
    let mut terms: Vec<Term> = vec![];
    for e in events {
        match e.kind {
            EventKind::Promoting { term } => {
                if let Some(last) = terms.last_mut() {
                    last.to_us = e.at_us;
                }
                terms.push(Term {
                    term,
                    master: e.node.clone(),
                    from_us: e.at_us,
                    primary_us: None,
                    to_us: end_us,
                });
            }
            EventKind::BecamePrimary { term, .. } => {
                if let Some(t) = terms
                    .iter_mut()
                    .rev()
                    .find(|t| t.term == term && t.master == e.node)
                {
                    t.primary_us.get_or_insert(e.at_us);
                }
            }
            _ => {}
        }
    }
    terms
}
