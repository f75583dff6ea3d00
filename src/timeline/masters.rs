//! A master's lane: three rows, its role (standby, promoting, primary, demoting; crashed or
//! exited), its ZooKeeper session, and its journal writes (appends, flushes, acks; log
//! completions, fencing, checkpoints, GC).
//!
//! Two ends are not in the history, and are drawn as what the history does say. A demotion has
//! no recorded end: a master is drawn demoting from the moment it stepped down until its last
//! journal write of that term (closing its log), and standby after. A promotion that fails
//! records no outcome: a master still promoting by the history when another master is promoted
//! to a later term is drawn from then on as "promotion's end not recorded" until its next event
//! of role (the promotion failed, or, with B8, goes on regardless).

use super::rows::{session_row, window, Mark, Row, RowKind, Span};
use crate::history::{Event, EventKind};
use std::collections::BTreeMap;

/// A master's role over time.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Role {
    Standby,
    Promoting(u64),
    /// Still promoting by the history (no outcome recorded) after another master was promoted to
    /// a later term: the promotion failed, or (B8) goes on regardless.
    Unrecorded(u64),
    Primary(u64),
    Demoting(u64),
    Crashed,
    Exited,
}

impl Role {
    fn class(self) -> &'static str {
        match self {
            Role::Standby => "r-sb",
            Role::Promoting(_) => "r-pm",
            Role::Unrecorded(_) => "r-pu",
            Role::Primary(_) => "r-pr",
            Role::Demoting(_) => "r-dm",
            Role::Crashed => "r-cr",
            Role::Exited => "r-ex",
        }
    }

    fn describe(self) -> String {
        match self {
            Role::Standby => "standby".into(),
            Role::Promoting(t) => format!("promoting to term {t}"),
            Role::Unrecorded(t) => format!(
                "promoting to term {t}, no outcome recorded after another master was promoted \
                 to a later term (the promotion failed, or goes on regardless)"
            ),
            Role::Primary(t) => format!("primary in term {t}"),
            Role::Demoting(t) => format!("demoting from term {t}"),
            Role::Crashed => "crashed".into(),
            Role::Exited => "exited (journal flush timeout)".into(),
        }
    }
}

/// The role row's state machine: the current role since when, closing a span at each change.
struct Roles<'a> {
    node: &'a str,
    row: Row,
    role: Role,
    since: u64,
    /// While demoting: the last journal write of the old term.
    last_write: u64,
}

impl Roles<'_> {
    fn set(&mut self, at: u64, role: Role) {
        if at > self.since {
            let mut span = Span::new(
                self.since,
                at,
                self.role.class(),
                format!(
                    "{}: {}, {}",
                    self.node,
                    self.role.describe(),
                    window(self.since, at)
                ),
            );
            if let Role::Primary(t) = self.role {
                span.label = Some(format!("primary t{t}"));
            }
            self.row.spans.push(span);
        }
        self.role = role;
        self.since = at;
    }

    /// A demotion ends at the last write of its term, before whatever `e` is.
    fn end_demotion(&mut self) {
        if let Role::Demoting(_) = self.role {
            let at = self.last_write;
            self.set(at, Role::Standby);
        }
    }
}

fn journal_write_term(kind: &EventKind) -> Option<u64> {
    match kind {
        EventKind::JournalAppend { term, .. }
        | EventKind::JournalFlush { term, .. }
        | EventKind::JournalAck { term, .. }
        | EventKind::Fenced { term } => Some(*term),
        _ => None,
    }
}

/// A master's three rows: role, session, journal.
pub fn master_rows(
    node: &str,
    own: &[&Event],
    end_us: u64,
    expiries: &BTreeMap<String, Vec<(u64, u64)>>,
    highlighted: &[u64],
    promotions: &[(u64, u64, &str)],
) -> Vec<Row> {
    // When a promotion to `term` begun at `since` was overtaken by another master's to a later
    // term, if it was.
    let overtaken = |since: u64, term: u64| {
        promotions
            .iter()
            .find(|(at, t, m)| *at > since && *t > term && *m != node)
            .map(|p| p.0)
    };
    let mut roles = Roles {
        node,
        row: Row::new(RowKind::State),
        role: Role::Standby,
        since: 0,
        last_write: 0,
    };
    let mut journal = Row::new(RowKind::Journal);
    for e in own {
        let at = e.at_us;
        if let Role::Promoting(term) = roles.role {
            if let Some(x) = overtaken(roles.since, term).filter(|x| *x <= at) {
                roles.set(x, Role::Unrecorded(term));
            }
        }
        if let Role::Demoting(term) = roles.role {
            let closing_write = journal_write_term(&e.kind) == Some(term)
                || matches!(e.kind, EventKind::LogCompleted { .. });
            if closing_write {
                roles.last_write = at;
            } else if !matches!(e.kind, EventKind::MasterExit { .. }) {
                roles.end_demotion();
            }
        }
        match &e.kind {
            EventKind::Promoting { term } => roles.set(at, Role::Promoting(*term)),
            EventKind::BecamePrimary { term, .. } => roles.set(at, Role::Primary(*term)),
            EventKind::PromotionAborted { term } => {
                roles.set(at, Role::Standby);
                roles.row.marks.push(Mark {
                    at_us: at,
                    glyph: "⊗",
                    class: "gd",
                    title: format!("{} ms: {node} abandoned its promotion to term {term}", super::ms(at)),
                });
            }
            EventKind::PromotionFailed { term, reason } => {
                roles.set(at, Role::Standby);
                roles.row.marks.push(Mark {
                    at_us: at,
                    glyph: "⊗",
                    class: "gd",
                    title: format!(
                        "{} ms: {node}'s promotion to term {term} failed: {reason}",
                        super::ms(at)
                    ),
                });
            }
            EventKind::SteppedDown { term, reason } => {
                roles.set(at, Role::Demoting(*term));
                roles.last_write = at;
                roles.row.marks.push(Mark {
                    at_us: at,
                    glyph: "↓",
                    class: "gd",
                    title: format!(
                        "{} ms: {node} stepped down from term {term}: {reason}",
                        super::ms(at)
                    ),
                });
            }
            EventKind::MasterExit { .. } => roles.set(at, Role::Exited),
            EventKind::NodeCrash => roles.set(at, Role::Crashed),
            EventKind::NodeRestart => roles.set(at, Role::Standby),
            EventKind::FinalState {
                primary,
                applied_seq,
                digest,
            } => roles.row.marks.push(Mark {
                at_us: at,
                glyph: "■",
                class: "gf",
                title: format!(
                    "{} ms: final state of {node}: {}, applied through seq {applied_seq}, digest {digest:016x}",
                    super::ms(at),
                    if *primary { "primary" } else { "not primary" }
                ),
            }),
            _ => journal_event(node, e, &mut journal, highlighted),
        }
    }
    roles.end_demotion();
    if let Role::Promoting(term) = roles.role {
        if let Some(x) = overtaken(roles.since, term) {
            roles.set(x, Role::Unrecorded(term));
        }
    }
    roles.set(end_us, Role::Standby);
    vec![roles.row, session_row(node, own, end_us, expiries), journal]
}

/// One journal event of a master, as a tick or a glyph in its journal row.
fn journal_event(node: &str, e: &Event, row: &mut Row, highlighted: &[u64]) {
    let at = e.at_us;
    let t = super::ms(at);
    let mut mark = |glyph, class, title: String| {
        row.marks.push(Mark {
            at_us: at,
            glyph,
            class,
            title: format!("{t} ms: {node} {title}"),
        })
    };
    match &e.kind {
        EventKind::JournalAppend { op_id, .. } => {
            row.ticks("t-ap", (0.0, 0.34)).push((at, 0));
            if highlighted.contains(op_id) {
                row.ticks("t-hl", (0.0, 1.0)).push((at, 0));
            }
        }
        EventKind::JournalFlush { ok: true, .. } => row.ticks("t-fl", (0.33, 0.67)).push((at, 0)),
        EventKind::JournalFlush { ok: false, .. } => row.ticks("t-ff", (0.0, 1.0)).push((at, 0)),
        EventKind::JournalAck { op_id, .. } => {
            row.ticks("t-ak", (0.66, 1.0)).push((at, 0));
            if highlighted.contains(op_id) {
                row.ticks("t-hl", (0.0, 1.0)).push((at, 0));
            }
        }
        EventKind::Fenced { term } => mark(
            "⊘",
            "gx",
            format!("was fenced off the journal (its term {term} log taken over)"),
        ),
        EventKind::LogCompleted { start, end } => {
            mark("◆", "gl", format!("completed log {start}..{end}"))
        }
        EventKind::JournalGap { expected, found } => mark(
            "!",
            "gx",
            format!("found a journal gap: expected seq {expected}, found {found}"),
        ),
        EventKind::CheckpointWritten { seq } => mark(
            "▲",
            "gc",
            format!("wrote a checkpoint of entries below seq {seq}"),
        ),
        EventKind::CheckpointLoaded { seq } => mark(
            "▼",
            "gc",
            format!("loaded a checkpoint of entries below seq {seq}"),
        ),
        EventKind::JournalGc {
            logs, checkpoints, ..
        } => {
            let logs: Vec<String> = logs.iter().map(|(s, e)| format!("[{s}, {e})")).collect();
            let checkpoints: Vec<String> =
                checkpoints.iter().map(|c| format!("below {c}")).collect();
            mark(
                "✂",
                "gl",
                format!(
                    "deleted logs {} and checkpoints {}",
                    logs.join(", "),
                    checkpoints.join(", ")
                ),
            )
        }
        _ => {}
    }
}
