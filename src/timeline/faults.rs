//! Faults as the nemesis recorded them: each application paired with its heal, and the lanes it
//! touches. The recorded text names the nodes with their targets resolved (`crash master-2`,
//! `split-halves [master-0 client-1]`, `one-way ufs -> zookeeper`), so the lanes come from the
//! history, not from the plan.

use super::lanes::{window, Timeline};
use crate::history::{Event, EventKind};

/// What a fault does, which sets how it is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// A process crashed or paused.
    Process,
    /// Links cut: drawn with cut lines where a shaded lane meets an unshaded one.
    Partition,
    /// Every message: message loss, latency.
    Network,
    /// ZooKeeper's own faults: session expiry, unavailability.
    ZooKeeper,
    /// The UFS's faults: flushes failing or slow, renames failing.
    Storage,
}

impl Family {
    pub fn of(kind: &str) -> Family {
        match kind {
            "crash" | "pause" => Family::Process,
            "isolate" | "split-halves" | "primary-minority" | "one-way" | "cut-from-zookeeper"
            | "cut-from-ufs" => Family::Partition,
            "message-loss" | "latency-spike" => Family::Network,
            "session-expiry" | "zookeeper-unavailable" => Family::ZooKeeper,
            _ => Family::Storage,
        }
    }

    /// The CSS class suffix.
    pub fn class(self) -> &'static str {
        match self {
            Family::Process => "fp",
            Family::Partition => "fn",
            Family::Network => "fw",
            Family::ZooKeeper => "fz",
            Family::Storage => "fs",
        }
    }
}

/// One fault from its application to its heal.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultSpan {
    pub kind: String,
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
        let what = match self.kind.as_str() {
            "crash" => "the process is killed; restarted at the heal",
            "pause" => "the process is frozen (a GC pause); resumed at the heal",
            "isolate" => "cut from every other node",
            "split-halves" => {
                "the listed nodes cut from all the others, both ways (the smaller side is shaded)"
            }
            "primary-minority" => "the primary and the listed clients cut from everything else",
            "one-way" => "messages from the first node to the second dropped",
            "cut-from-zookeeper" => "the master cut from ZooKeeper only",
            "cut-from-ufs" => "the master cut from the UFS only",
            "message-loss" => "this share of every message dropped",
            "latency-spike" => "every message delayed within this range",
            "session-expiry" => "ZooKeeper expires the node's sessions at once",
            "zookeeper-unavailable" => "ZooKeeper answers nobody and its session clocks stop",
            "flush-fail" => "the UFS fails the master's flushes",
            "flush-slow" => "the UFS delays the master's flushes",
            "rename-fail" => "the UFS fails renames (log completion)",
            _ => "",
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
                .find(|s| !s.healed && s.text == *fault && s.kind != "session-expiry")
            {
                open.to_us = e.at_us;
                open.healed = true;
            }
            continue;
        }
        let family = Family::of(kind);
        let mut named = nodes.clone();
        match kind.as_str() {
            "cut-from-zookeeper" | "zookeeper-unavailable" => named.push("zookeeper".into()),
            "cut-from-ufs" | "flush-fail" | "flush-slow" | "rename-fail" => {
                named.push("ufs".into())
            }
            _ => {}
        }
        let mut lanes: Vec<usize> = named.iter().filter_map(|n| timeline.lane(n)).collect();
        lanes.sort();
        lanes.dedup();
        // A split is symmetric: shade the smaller side.
        if kind == "split-halves" && lanes.len() * 2 > timeline.lanes.len() {
            lanes = (0..timeline.lanes.len())
                .filter(|i| !lanes.contains(i))
                .collect();
        }
        let instantaneous = kind == "session-expiry";
        spans.push(FaultSpan {
            kind: kind.clone(),
            text: fault.clone(),
            from_us: e.at_us,
            to_us: if instantaneous {
                e.at_us
            } else {
                timeline.end_us
            },
            healed: instantaneous,
            family,
            every_lane: family == Family::Network,
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
