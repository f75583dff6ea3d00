//! Liveness (Eventually): once every fault is healed, a primary serves within a stated bound and
//! the cluster settles.
//!
//! With H the time the liveness phase began (every fault healed) and B the failover bound of the
//! options (session timeout + connection timeout + tailer quiet wait + two tailer polls + safe
//! mode + slack, see [`crate::options::Options::failover_bound_ms`]):
//! 1. every client gets an answer from a primary to a call it made after H, by H + B;
//! 2. no call made after H ends Unavailable;
//! 3. at the end exactly one master is primary, and every master answers (its state is compared
//!    with the journal by [`super::no_lost_entries`]);
//! 4. at the end every standby has replayed the checkpoint and every completed log: a standby
//!    left behind makes the next failover wait for its replay, or fail.

use super::{Breach, Check, Property};
use crate::history::{Event, EventKind};
use crate::net::Role;
use crate::op::CallError;
use crate::options::Options;
use std::collections::BTreeMap;

/// The property, as the table in [`super::PROPERTIES`] lists it.
pub const PROPERTY: Property = Property {
    name: "liveness",
    check: Check::Eventually(check),
};

/// The first breach of `liveness` in `events`, if any.
pub fn check(events: &[Event], options: &Options) -> Option<Breach> {
    let fail = |i: usize, detail: String| Some(Breach::at(events, i, detail));
    let (h_index, healed) = events.iter().enumerate().find_map(|(i, e)| match &e.kind {
        EventKind::Phase { name } if name == "liveness" => Some((i, e.at_us)),
        _ => None,
    })?;
    let bound_us = options.failover_bound_ms() * 1000;
    let deadline = healed + bound_us;

    // Rules 1 and 2.
    let mut invoked_after: BTreeMap<u64, u64> = BTreeMap::new();
    let mut answered_by: BTreeMap<&str, u64> = BTreeMap::new();
    for (i, e) in events.iter().enumerate().skip(h_index) {
        match &e.kind {
            EventKind::Invoke { op_id, .. } => {
                invoked_after.insert(*op_id, e.at_us);
            }
            EventKind::Ok { op_id, .. }
            | EventKind::Fail {
                op_id,
                error: CallError::Fs(_),
                ..
            } if invoked_after.contains_key(op_id) => {
                answered_by.entry(&e.node).or_insert(e.at_us);
            }
            EventKind::Fail {
                op_id,
                error: CallError::Unavailable,
                ..
            } if invoked_after.contains_key(op_id) => {
                return fail(
                    i,
                    format!(
                        "{}'s call {op_id:#x}, made {:.3} ms after the faults healed, found no primary",
                        e.node,
                        (invoked_after[op_id] - healed) as f64 / 1000.0
                    ),
                );
            }
            _ => {}
        }
    }
    for client in (0..options.clients).map(|i| Role::Client(i).name()) {
        let answered = answered_by.get(client.as_str()).copied();
        if answered.is_none_or(|t| t > deadline) {
            return Some(Breach::absence(
                deadline as f64 / 1000.0,
                format!(
                    "{client} had no answer from a primary within {} ms of the faults healing{}",
                    bound_us / 1000,
                    answered
                        .map(|t| format!(
                            " (first answer after {:.3} ms)",
                            (t - healed) as f64 / 1000.0
                        ))
                        .unwrap_or_default()
                ),
            ));
        }
    }

    // Rule 3, over the final states (absent in histories cut before the final phase).
    let final_phase = events
        .iter()
        .position(|e| matches!(&e.kind, EventKind::Phase { name } if name == "final"))?;
    let mut answered: BTreeMap<&str, (usize, bool)> = BTreeMap::new();
    for (i, e) in events.iter().enumerate().skip(final_phase) {
        if let EventKind::FinalState { primary, .. } = e.kind {
            answered.insert(&e.node, (i, primary));
        }
    }
    if let Some(master) = (0..options.masters)
        .map(|i| Role::Master(i).name())
        .find(|m| !answered.contains_key(m.as_str()))
    {
        return fail(
            final_phase,
            format!("{master} did not answer at the end of the run"),
        );
    }
    let primaries: Vec<&str> = answered
        .iter()
        .filter(|(_, (_, p))| *p)
        .map(|(m, _)| *m)
        .collect();
    let completed_end = events.iter().rev().find_map(|e| match e.kind {
        EventKind::JournalReplay { completed_end, .. } => Some(completed_end),
        _ => None,
    });
    for (i, e) in events.iter().enumerate().skip(final_phase) {
        if let (
            EventKind::FinalState {
                primary: false,
                applied_seq,
                ..
            },
            Some(end),
        ) = (&e.kind, completed_end)
        {
            if *applied_seq < end {
                return fail(
                    i,
                    format!(
                        "standby {} has replayed {applied_seq} entries at the end of the run; \
                         the checkpoint and completed logs hold {end}",
                        e.node
                    ),
                );
            }
        }
    }
    match primaries.as_slice() {
        [_] => None,
        [] => fail(
            final_phase,
            "no master is primary at the end of the run".into(),
        ),
        many => fail(
            answered[many[1]].0,
            format!(
                "{} masters are primary at the end of the run: {}",
                many.len(),
                many.join(", ")
            ),
        ),
    }
}
