//! Each master's time as primary, read from the recorded history. One notion shared by the
//! checkers (`one_leader`'s fencing rule), the Sometimes facts (who believes it leads) and the
//! nemesis (which node the `primary` target means), so that they cannot drift apart.

use crate::history::{Event, EventKind};
use std::collections::{BTreeMap, BTreeSet};

/// One master's primacy in one term, as indices into the history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Primacy<'a> {
    /// The master.
    pub node: &'a str,
    /// The term it promoted itself in.
    pub term: u64,
    /// Its promotion began (`Promoting`).
    pub promoting: usize,
    /// Its promotion finished and it served as primary (`BecamePrimary`); `None` if the
    /// promotion was aborted, failed or cut short.
    pub became: Option<usize>,
    /// It ended: the promotion was aborted or failed, or the master stepped down, exited,
    /// crashed or was restarted (`None`: it lasted to the end of the history).
    pub end: Option<usize>,
}

impl Primacy<'_> {
    /// The master believed it was primary once event `i` had happened.
    pub fn believed_after(&self, i: usize) -> bool {
        self.became.is_some_and(|b| b <= i) && self.end.is_none_or(|end| end > i)
    }
}

/// Every primacy of the history, in the order the promotions began.
pub fn primacies(events: &[Event]) -> Vec<Primacy<'_>> {
    let mut all: Vec<Primacy> = vec![];
    let mut open: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        let node = e.node.as_str();
        match &e.kind {
            EventKind::Promoting { term } => {
                if let Some(j) = open.insert(node, all.len()) {
                    all[j].end = Some(i);
                }
                all.push(Primacy {
                    node,
                    term: *term,
                    promoting: i,
                    became: None,
                    end: None,
                });
            }
            EventKind::BecamePrimary { .. } => {
                if let Some(&j) = open.get(node) {
                    all[j].became = Some(i);
                }
            }
            EventKind::PromotionAborted { .. }
            | EventKind::PromotionFailed { .. }
            | EventKind::SteppedDown { .. }
            | EventKind::MasterExit { .. }
            | EventKind::NodeCrash
            | EventKind::NodeRestart => {
                if let Some(j) = open.remove(node) {
                    all[j].end = Some(i);
                }
            }
            _ => {}
        }
    }
    all
}

/// The master that most recently became primary, if it still is after the whole history.
pub fn current_primary(events: &[Event]) -> Option<&str> {
    primacies(events)
        .into_iter()
        .filter(|p| p.became.is_some())
        .max_by_key(|p| p.became)
        .filter(|p| p.end.is_none())
        .map(|p| p.node)
}

/// Walks a history in order, saying which masters believe they are primary after each event
/// (from becoming primary to the end of the primacy).
pub struct Believers<'a> {
    /// (event index, the master starts believing, master), in index order.
    changes: Vec<(usize, bool, &'a str)>,
    applied: usize,
    now: BTreeSet<&'a str>,
}

impl<'a> Believers<'a> {
    /// Who believes it is primary, walked along `events`.
    pub fn new(events: &'a [Event]) -> Self {
        let mut changes = vec![];
        for p in primacies(events) {
            if let Some(b) = p.became {
                changes.push((b, true, p.node));
                if let Some(end) = p.end {
                    changes.push((end, false, p.node));
                }
            }
        }
        changes.sort();
        Believers {
            changes,
            applied: 0,
            now: BTreeSet::new(),
        }
    }

    /// The masters that believe they are primary once event `i` has happened. Calls must come
    /// in order of `i`.
    pub fn after(&mut self, i: usize) -> &BTreeSet<&'a str> {
        while let Some(&(_, starts, node)) = self.changes.get(self.applied).filter(|c| c.0 <= i) {
            if starts {
                self.now.insert(node);
            } else {
                self.now.remove(node);
            }
            self.applied += 1;
        }
        &self.now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(node: &str, kind: EventKind) -> Event {
        Event::test(node, kind)
    }

    fn became(node: &str, term: u64) -> Event {
        event(node, EventKind::BecamePrimary { term, next_seq: 0 })
    }

    #[test]
    fn a_primacy_runs_from_promotion_to_its_end_and_belief_from_becoming_primary() {
        let events = vec![
            event("master-0", EventKind::Promoting { term: 1 }),
            became("master-0", 1),
            event("master-1", EventKind::Promoting { term: 2 }),
            event("master-1", EventKind::PromotionAborted { term: 2 }),
            event("master-0", EventKind::NodeRestart),
            event("master-1", EventKind::Promoting { term: 3 }),
            became("master-1", 3),
        ];
        let all = primacies(&events);
        let spans: Vec<_> = all
            .iter()
            .map(|p| (p.node, p.term, p.promoting, p.became, p.end))
            .collect();
        assert_eq!(
            spans,
            vec![
                ("master-0", 1, 0, Some(1), Some(4)),
                ("master-1", 2, 2, None, Some(3)),
                ("master-1", 3, 5, Some(6), None),
            ]
        );
        assert!(!all[0].believed_after(0));
        assert!(all[0].believed_after(1) && all[0].believed_after(3));
        assert!(!all[0].believed_after(4));
        assert!(!all[1].believed_after(2));
        assert_eq!(current_primary(&events), Some("master-1"));
        assert_eq!(current_primary(&events[..5]), None);
        assert_eq!(current_primary(&events[..4]), Some("master-0"));
        let mut believers = Believers::new(&events);
        let after: Vec<Vec<&str>> = (0..events.len())
            .map(|i| believers.after(i).iter().copied().collect())
            .collect();
        let (none, zero, one) = (vec![], vec!["master-0"], vec!["master-1"]);
        assert_eq!(
            after,
            vec![
                none.clone(),
                zero.clone(),
                zero.clone(),
                zero,
                none.clone(),
                none,
                one
            ]
        );
    }
}
