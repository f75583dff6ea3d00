//! Faults as the nemesis recorded them: each application paired with its heal, and the lanes it
//! touches. The nemesis records each fault's kind and its target nodes resolved, so the lanes
//! come from the history, not from the plan; each kind's declaration ([`crate::fault::Info`])
//! says how it is drawn.

use super::lanes::Timeline;
use super::rows::window;
use crate::fault::{Family, FaultKind, Lanes};
use crate::history::{Event, EventKind};
use crate::net::Role;

/// The CSS class suffix of a fault family.
pub fn class(family: Family) -> &'static str {
    match family {
        Family::Process => "fp",
        Family::Partition => "fn",
        Family::Network => "fw",
        Family::ZooKeeper => "fz",
        Family::Storage => "fs",
    }
}

/// One fault from its application to its heal.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultSpan {
    pub kind: FaultKind,
    /// As the nemesis recorded it, targets resolved.
    pub text: String,
    pub from_us: u64,
    pub to_us: u64,
    /// Whether a heal was recorded (an instantaneous fault has none).
    pub healed: bool,
    pub family: Family,
    /// The lanes shaded (indices into the timeline's lanes), in lane order; empty with
    /// `every_lane`.
    pub lanes: Vec<usize>,
    /// Touches every lane (message loss, latency).
    pub every_lane: bool,
    /// The sub-row of the faults row it is drawn in.
    pub level: u32,
}

impl FaultSpan {
    /// What hovering shows.
    pub fn title(&self) -> String {
        let info = self.kind.info();
        let what = if info.instantaneous {
            info.what.to_string()
        } else {
            format!("{}; undone: {}", info.what, info.inverse)
        };
        let when = if self.from_us == self.to_us {
            format!("at {} ms", super::ms(self.from_us))
        } else if self.healed {
            window(self.from_us, self.to_us)
        } else {
            format!(
                "{}, not healed by the end",
                window(self.from_us, self.to_us)
            )
        };
        format!("fault: {}\n{what}\n{when}", self.text)
    }
}

/// Every fault of the history, paired with its heal (first applied, first healed among faults
/// recorded with the same text), with the lanes it touches, and laid out in sub-rows so that
/// none overlaps another in its row.
pub fn derive(events: &[Event], timeline: &Timeline) -> Vec<FaultSpan> {
    let mut spans: Vec<FaultSpan> = vec![];
    for e in events {
        let EventKind::Fault {
            kind,
            fault,
            nodes,
            healed,
        } = &e.kind
        else {
            continue;
        };
        if *healed {
            if let Some(open) = spans
                .iter_mut()
                .find(|s| !s.healed && s.kind == *kind && s.text == *fault)
            {
                open.to_us = e.at_us;
                open.healed = true;
            }
            continue;
        }
        let info = kind.info();
        let mut named: Vec<Role> = nodes.clone();
        if let Lanes::TargetsAnd(service) = info.lanes {
            named.push(service);
        }
        let mut lanes: Vec<usize> = named
            .iter()
            .filter_map(|n| timeline.lane(&n.name()))
            .collect();
        lanes.sort();
        lanes.dedup();
        // A split is symmetric: shade the smaller side.
        if info.lanes == Lanes::SmallerSide && lanes.len() * 2 > timeline.lanes.len() {
            lanes = (0..timeline.lanes.len())
                .filter(|i| !lanes.contains(i))
                .collect();
        }
        let instantaneous = info.instantaneous;
        spans.push(FaultSpan {
            kind: *kind,
            text: fault.clone(),
            from_us: e.at_us,
            to_us: if instantaneous {
                e.at_us
            } else {
                timeline.end_us
            },
            healed: instantaneous,
            family: info.family,
            every_lane: info.lanes == Lanes::Every,
            lanes,
            level: 0,
        });
    }
    // Sub-rows: each fault takes the first whose last fault has ended.
    let mut ends: Vec<u64> = vec![];
    for s in &mut spans {
        // An instantaneous fault is drawn a little wide; keep it clear of the next.
        let end = s.to_us.max(s.from_us + 1);
        let level = match ends.iter().position(|&e| e < s.from_us) {
            Some(l) => l,
            None => {
                ends.push(0);
                ends.len() - 1
            }
        };
        ends[level] = end;
        s.level = level as u32;
    }
    spans
}

/// How many sub-rows the faults row needs.
pub fn levels(faults: &[FaultSpan]) -> u32 {
    faults.iter().map(|f| f.level + 1).max().unwrap_or(1)
}
