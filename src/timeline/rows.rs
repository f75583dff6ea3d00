//! What a lane is made of: rows of intervals ([`Span`]), tick marks ([`Ticks`]) and glyphs
//! ([`Mark`]), and the row every node with a ZooKeeper client has: its session (connected,
//! suspended, lost as its client reported them; expiries as the server recorded them).

use crate::history::{Event, EventKind};
use crate::vocab::ConnState;
use std::collections::BTreeMap;

/// An interval of simulated time (microseconds) in one row.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    pub from_us: u64,
    pub to_us: u64,
    /// The CSS class that colours it (what state it is).
    pub class: String,
    /// What hovering shows.
    pub title: String,
    /// A short label drawn from the bar's start when it fits before `room_us`.
    pub label: Option<String>,
    /// Where the label's room ends: the bar's end, or for a call the next call in its sub-row.
    pub room_us: u64,
    /// The sub-row it sits in (overlapping client calls), from 0.
    pub level: u32,
    /// An element id, for links from the header (client calls: `op-<op id>`).
    pub id: Option<String>,
}

impl Span {
    pub fn new(from_us: u64, to_us: u64, class: &str, title: String) -> Span {
        Span {
            from_us,
            to_us,
            class: class.to_string(),
            title,
            label: None,
            room_us: to_us,
            level: 0,
            id: None,
        }
    }
}

/// Vertical ticks of one class, each spanning the part of its row between the fractions `band`.
#[derive(Clone, Debug, PartialEq)]
pub struct Ticks {
    pub class: String,
    pub band: (f64, f64),
    /// (time, sub-row) of each tick.
    pub at: Vec<(u64, u32)>,
}

/// One instant worth a glyph, with what hovering shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    pub at_us: u64,
    pub glyph: &'static str,
    pub class: &'static str,
    pub title: String,
}

/// What a row shows, which sets its height.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowKind {
    /// A master's role, a worker's registration, or a service's faults.
    State,
    /// A ZooKeeper session as its client saw it.
    Session,
    /// A master's journal writes.
    Journal,
    /// A client's calls, one sub-row per overlapping call.
    Calls,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub kind: RowKind,
    /// Sub-rows (at least 1).
    pub levels: u32,
    pub spans: Vec<Span>,
    pub ticks: Vec<Ticks>,
    pub marks: Vec<Mark>,
}

impl Row {
    pub fn new(kind: RowKind) -> Row {
        Row {
            kind,
            levels: 1,
            spans: vec![],
            ticks: vec![],
            marks: vec![],
        }
    }

    /// The ticks of `class`, created with `band` on first use.
    pub fn ticks(&mut self, class: &str, band: (f64, f64)) -> &mut Vec<(u64, u32)> {
        let i = match self.ticks.iter().position(|t| t.class == class) {
            Some(i) => i,
            None => {
                self.ticks.push(Ticks {
                    class: class.to_string(),
                    band,
                    at: vec![],
                });
                self.ticks.len() - 1
            }
        };
        &mut self.ticks[i].at
    }
}

/// `from..to` in milliseconds, with the length.
pub fn window(from_us: u64, to_us: u64) -> String {
    format!(
        "{} ms to {} ms ({} ms)",
        super::ms(from_us),
        super::ms(to_us),
        super::ms(to_us.saturating_sub(from_us))
    )
}

/// The ZooKeeper session row of a node: the states its client reported, and the expiries the
/// server recorded for it.
pub fn session_row(
    node: &str,
    own: &[&Event],
    end_us: u64,
    expiries: &BTreeMap<String, Vec<(u64, u64)>>,
) -> Row {
    let mut row = Row::new(RowKind::Session);
    let mut current: Option<(u64, ConnState, u64)> = None;
    let close = |row: &mut Row, cur: &mut Option<(u64, ConnState, u64)>, at: u64| {
        if let Some((since, state, session)) = cur.take() {
            if at > since {
                let class = match state {
                    ConnState::Connected | ConnState::Reconnected => "z-c",
                    ConnState::Suspended => "z-s",
                    ConnState::Lost => "z-l",
                };
                row.spans.push(Span::new(
                    since,
                    at,
                    class,
                    format!(
                        "{node}: ZooKeeper session {session} {state:?}, {}",
                        window(since, at)
                    ),
                ));
            }
        }
    };
    for e in own {
        match &e.kind {
            EventKind::Connection { state, session } => {
                close(&mut row, &mut current, e.at_us);
                current = Some((e.at_us, *state, *session));
            }
            EventKind::NodeCrash | EventKind::MasterExit { .. } | EventKind::WorkerExit { .. } => {
                close(&mut row, &mut current, e.at_us)
            }
            _ => {}
        }
    }
    close(&mut row, &mut current, end_us);
    for &(at_us, session) in expiries.get(node).map_or(&[][..], |v| v) {
        row.marks.push(Mark {
            at_us,
            glyph: "✕",
            class: "gx",
            title: format!(
                "{} ms: ZooKeeper expired {node}'s session {session}",
                super::ms(at_us)
            ),
        });
    }
    row
}
