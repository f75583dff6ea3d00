//! Drawing: the lanes' vertical layout, and two of the three SVG layers that share it (the
//! third, the overlay, is [`super::overlay`]).
//!
//! - the gutter: lane and row names, never scaled;
//! - the plot: every interval, tick and shading, in milliseconds across (`viewBox` from 0 to the
//!   run's end) and pixels down, stretched to the page's width; zooming and panning change only
//!   its `viewBox`, so a long history costs one attribute per step (strokes keep their width
//!   through `vector-effect: non-scaling-stroke`, hatches theirs through a pattern transform the
//!   script sets).

use super::escape::escape;
use super::faults::{self, FaultSpan};
use super::lanes::{Group, Timeline};
use super::ms;
use super::rows::RowKind;
use crate::check::Violation;
use crate::fault::Family;
use crate::history::Event;
use std::fmt::Write;

/// Pixels: the time axis, the terms band, a faults sub-row, the gap between lanes and groups.
pub const AXIS_H: u32 = 30;
const TERMS_H: u32 = 18;
pub const FAULT_H: u32 = 14;
const LANE_PAD: u32 = 3;
const GROUP_GAP: u32 = 8;
/// The gutter's width, for the lane names.
pub const GUTTER_W: u32 = 150;

pub fn row_height(kind: RowKind, levels: u32) -> u32 {
    match kind {
        RowKind::State => 16,
        RowKind::Session => 7,
        RowKind::Journal => 14,
        RowKind::Calls => 12 * levels,
    }
}

fn row_name(kind: RowKind, group: Group) -> &'static str {
    match (kind, group) {
        (RowKind::State, Group::Master) => "role",
        (RowKind::State, Group::Worker) => "registered",
        (RowKind::State, _) => "",
        (RowKind::Session, _) => "zk session",
        (RowKind::Journal, _) => "journal",
        (RowKind::Calls, _) => "calls",
    }
}

/// Where everything sits, top to bottom, in pixels.
pub struct Layout {
    pub terms_y: u32,
    pub faults_y: u32,
    /// Each lane's top and bottom.
    pub lanes: Vec<(u32, u32)>,
    /// Each lane's rows' tops.
    pub rows: Vec<Vec<u32>>,
    pub height: u32,
}

impl Layout {
    pub fn of(t: &Timeline, fault_spans: &[FaultSpan]) -> Layout {
        let terms_y = AXIS_H;
        let faults_y = terms_y + TERMS_H + 2;
        let fault_levels = faults::levels(fault_spans);
        let mut y = faults_y + fault_levels * FAULT_H + GROUP_GAP;
        let (mut lanes, mut rows) = (vec![], vec![]);
        let mut group = None;
        for lane in &t.lanes {
            if group.is_some_and(|g| g != lane.group) {
                y += GROUP_GAP;
            }
            group = Some(lane.group);
            let top = y;
            y += LANE_PAD;
            let mut tops = vec![];
            for row in &lane.rows {
                tops.push(y);
                y += row_height(row.kind, row.levels) + 1;
            }
            y += LANE_PAD;
            lanes.push((top, y));
            rows.push(tops);
        }
        Layout {
            terms_y,
            faults_y,
            lanes,
            rows,
            height: y + 4,
        }
    }
}

/// The gutter: lane names, row names.
pub fn gutter(t: &Timeline, l: &Layout) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="gutter" width="{GUTTER_W}" height="{}">"#,
        l.height
    );
    let _ = write!(
        s,
        r#"<text class="ln" x="4" y="{}">terms</text><text class="ln" x="4" y="{}">faults</text>"#,
        l.terms_y + 13,
        l.faults_y + 11
    );
    for (i, lane) in t.lanes.iter().enumerate() {
        let (top, _) = l.lanes[i];
        let swatch = if lane.group == Group::Master {
            format!(
                r#"<rect class="{}" x="4" y="{}" width="8" height="12"/>"#,
                super::nodes::master_class(&lane.node),
                top + LANE_PAD + 2
            )
        } else {
            String::new()
        };
        let _ = write!(
            s,
            r#"{swatch}<text class="ln" x="16" y="{}">{}</text>"#,
            top + LANE_PAD + 12,
            escape(&lane.node)
        );
        for (r, row) in lane.rows.iter().enumerate() {
            let name = row_name(row.kind, lane.group);
            if name.is_empty() {
                continue;
            }
            let h = row_height(row.kind, row.levels);
            let _ = write!(
                s,
                r#"<text class="rn" x="{}" y="{}">{name}</text>"#,
                GUTTER_W - 4,
                l.rows[i][r] + h.min(11) - 1
            );
        }
    }
    s.push_str("</svg>");
    s
}

fn rect(s: &mut String, class: &str, x0: u64, x1: u64, y: u32, h: u32, extra: &str) {
    let _ = write!(
        s,
        r#"<rect class="{class}" x="{}" y="{y}" width="{}" height="{h}"{extra}"#,
        ms(x0),
        ms(x1.saturating_sub(x0))
    );
}

fn titled(s: &mut String, title: &str) {
    let _ = write!(s, "><title>{}</title></rect>", escape(title));
}

/// The patterns: hatches for paused nodes, calls with no answer and partitions. The plot's copies
/// (class `px`) are kept at a fixed pixel size by the script whatever the zoom; the legend has its
/// own, suffixed `L`.
pub fn defs(suffix: &str, class: &str) -> String {
    let class = if class.is_empty() {
        String::new()
    } else {
        format!(r#" class="{class}""#)
    };
    let pattern = |id: &str, size: u32, path: &str| {
        format!(
            r#"<pattern id="{id}{suffix}"{class} patternUnits="userSpaceOnUse" width="{size}" height="{size}">{path}</pattern>"#
        )
    };
    format!(
        "<defs>{}{}{}{}</defs>",
        pattern(
            "ha",
            6,
            r##"<rect width="6" height="6" fill="#eaeef2"/><path d="M-1 7L7 -1" stroke="#d4a72c" stroke-width="2"/>"##
        ),
        pattern(
            "hp",
            6,
            r##"<path d="M-1 7L7 -1" stroke="#8250df" stroke-width="2"/>"##
        ),
        pattern(
            "hg",
            6,
            r##"<path d="M-1 7L7 -1" stroke="#8c959f" stroke-width="1.5"/>"##
        ),
        pattern(
            "hf",
            8,
            r##"<path d="M-1 1L1 -1M0 8L8 0M7 9L9 7" stroke="#cf222e" stroke-width="1" stroke-opacity=".45"/>"##
        )
    )
}

/// The plot layer: everything with a duration, in milliseconds across.
pub fn plot(
    t: &Timeline,
    fault_spans: &[FaultSpan],
    violations: &[Violation],
    events: &[Event],
    l: &Layout,
) -> String {
    let end = t.end_us;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg id="plot" data-end="{}" viewBox="0 0 {} {}" preserveAspectRatio="none" height="{}">{}"#,
        ms(end),
        ms(end),
        l.height,
        l.height,
        defs("", "px")
    );
    // Lane backgrounds, alternating.
    for (i, &(top, bottom)) in l.lanes.iter().enumerate() {
        let class = if i % 2 == 0 { "bg0" } else { "bg1" };
        let lane = format!(r#" data-lane="{}"/>"#, escape(&t.lanes[i].node));
        rect(&mut s, class, 0, end, top, bottom - top, &lane);
    }
    // Terms: promoting lighter, primary darker, in the master's colour.
    for term in &t.terms {
        let m = super::nodes::master_class(&term.master);
        let primary = term.primary_us.unwrap_or(term.to_us).min(term.to_us);
        let title = format!(
            "term {} of {}: promoting from {} ms{}, until {} ms",
            term.term,
            term.master,
            ms(term.from_us),
            match term.primary_us {
                Some(p) => format!(", primary from {} ms", ms(p)),
                None => " (never became primary)".into(),
            },
            ms(term.to_us)
        );
        if primary > term.from_us {
            rect(
                &mut s,
                &format!("tp {m}"),
                term.from_us,
                primary,
                l.terms_y,
                TERMS_H,
                "",
            );
            titled(&mut s, &title);
        }
        if term.to_us > primary {
            rect(
                &mut s,
                &format!("tm {m}"),
                primary,
                term.to_us,
                l.terms_y,
                TERMS_H,
                "",
            );
            titled(&mut s, &title);
        }
    }
    // The faults row.
    for f in fault_spans {
        if f.to_us > f.from_us {
            let y = l.faults_y + f.level * FAULT_H;
            let kind = format!(r#" data-fault="{}""#, f.kind.name());
            rect(
                &mut s,
                &format!("fb {}", faults::class(f.family)),
                f.from_us,
                f.to_us,
                y,
                FAULT_H - 2,
                &kind,
            );
            titled(&mut s, &f.title());
        }
    }
    // Each lane's rows.
    for (i, lane) in t.lanes.iter().enumerate() {
        for (r, row) in lane.rows.iter().enumerate() {
            let top = l.rows[i][r];
            let level_h = row_height(row.kind, 1);
            for span in &row.spans {
                let (y, h) = match row.kind {
                    RowKind::Calls => {
                        let y = top + span.level * level_h;
                        if span.class.contains("rd") {
                            (y + 3, 5)
                        } else {
                            (y + 1, 9)
                        }
                    }
                    _ => (top, level_h),
                };
                let id = span
                    .id
                    .as_ref()
                    .map(|id| format!(r#" id="{}""#, escape(id)))
                    .unwrap_or_default();
                rect(&mut s, &span.class, span.from_us, span.to_us, y, h, &id);
                titled(&mut s, &span.title);
            }
            for ticks in &row.ticks {
                if ticks.at.is_empty() {
                    continue;
                }
                let (a, b) = ticks.band;
                let _ = write!(s, r#"<path class="{}" d=""#, escape(&ticks.class));
                for &(at, level) in &ticks.at {
                    let y0 = top + level * level_h;
                    let from = y0 as f64 + a * level_h as f64;
                    let len = (b - a) * level_h as f64;
                    let _ = write!(s, "M{} {}v{}", ms(at), trim(from), trim(len));
                }
                s.push_str(r#""/>"#);
            }
        }
        // Paused: a hatch over the whole lane, the role beneath still showing.
        let (top, bottom) = l.lanes[i];
        for &(from, to) in &lane.paused {
            rect(&mut s, "pz", from, to, top, bottom - top, "");
            titled(
                &mut s,
                &format!("{} paused, {}", lane.node, super::rows::window(from, to)),
            );
        }
    }
    // Faults shaded across the lanes they touch; partitions cut where a shaded lane meets an
    // unshaded one.
    let last = l.lanes.len();
    // A crash or pause shows in the node's own lane already.
    for f in fault_spans
        .iter()
        .filter(|f| f.to_us > f.from_us && f.family != Family::Process)
    {
        let runs: Vec<(usize, usize)> = if f.every_lane {
            if last == 0 {
                vec![]
            } else {
                vec![(0, last - 1)]
            }
        } else {
            contiguous(&f.lanes)
        };
        for (a, b) in runs {
            let (top, bottom) = (l.lanes[a].0, l.lanes[b].1);
            rect(
                &mut s,
                &format!("fsh {}", faults::class(f.family)),
                f.from_us,
                f.to_us,
                top,
                bottom - top,
                "/>",
            );
            if f.family == Family::Partition {
                let _ = write!(
                    s,
                    r#"<path class="cut" d="M{x0} {top}H{x1}M{x0} {bottom}H{x1}"><title>{title}</title></path>"#,
                    x0 = ms(f.from_us),
                    x1 = ms(f.to_us),
                    title = escape(&f.title())
                );
            }
        }
    }
    // Phases.
    for (at, _) in &t.phases {
        let _ = write!(
            s,
            r#"<path class="ph" d="M{} {AXIS_H}V{}"/>"#,
            ms(*at),
            l.height
        );
    }
    // Violations: a line through every lane at the first breaking event.
    for v in violations {
        let at = violation_us(v, events);
        let class = if v.event.is_some() { "vl" } else { "vl va" };
        let _ = write!(
            s,
            r#"<path class="{class}" d="M{} {AXIS_H}V{}"/>"#,
            ms(at),
            l.height
        );
    }
    s.push_str("</svg>");
    s
}

/// A violation's time in microseconds: its event's, or the time it names.
pub fn violation_us(v: &Violation, events: &[Event]) -> u64 {
    v.event
        .and_then(|i| events.get(i))
        .map(|e| e.at_us)
        .unwrap_or((v.at_ms * 1000.0).round().max(0.0) as u64)
}

/// Runs of consecutive indices.
fn contiguous(lanes: &[usize]) -> Vec<(usize, usize)> {
    let mut runs: Vec<(usize, usize)> = vec![];
    for &i in lanes {
        match runs.last_mut() {
            Some((_, b)) if *b + 1 == i => *b = i,
            _ => runs.push((i, i)),
        }
    }
    runs
}

/// A pixel value with at most one decimal.
fn trim(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map(String::from).unwrap_or(s)
}
