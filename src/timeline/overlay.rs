//! The overlay layer: glyphs and labels, unscaled, each carrying its time (`data-t`, or `data-a`
//! and `data-b` for a label with the room it may fill) for the script to place at the current
//! zoom: phase names, term and fault labels, role and call labels, every mark, and the
//! violations' flags and glyphs.

use super::escape::escape;
use super::faults::FaultSpan;
use super::lanes::Timeline;
use super::ms;
use super::rows::RowKind;
use super::svg::{row_height, violation_us, Layout, AXIS_H, FAULT_H};
use crate::check::Violation;
use crate::history::Event;
use std::fmt::Write;

/// The overlay: glyphs and labels placed by the script, and the violations' flags.
pub fn overlay(
    t: &Timeline,
    fault_spans: &[FaultSpan],
    violations: &[Violation],
    events: &[Event],
    l: &Layout,
) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg id="over" height="{}"><g id="axis"></g>"#,
        l.height
    );
    let label = |s: &mut String, class: &str, a: u64, b: u64, y: u32, text: &str| {
        let _ = write!(
            s,
            r#"<text class="lb {class}" data-a="{}" data-b="{}" y="{y}">{}</text>"#,
            ms(a),
            ms(b),
            escape(text)
        );
    };
    let glyph = |s: &mut String, class: &str, at: u64, y: u32, g: &str, title: &str| {
        let _ = write!(
            s,
            r#"<text class="g {class}" data-t="{}" y="{y}">{g}<title>{}</title></text>"#,
            ms(at),
            escape(title)
        );
    };
    for (i, (at, name)) in t.phases.iter().enumerate() {
        let next = t.phases.get(i + 1).map_or(t.end_us, |p| p.0);
        label(&mut s, "phl", *at, next, AXIS_H - 4, name);
    }
    for term in &t.terms {
        let text = format!("t{} {}", term.term, term.master);
        label(&mut s, "", term.from_us, term.to_us, l.terms_y + 13, &text);
    }
    for f in fault_spans {
        let y = l.faults_y + f.level * FAULT_H;
        if f.to_us > f.from_us {
            label(&mut s, "fl", f.from_us, f.to_us, y + 10, &f.text);
        } else {
            glyph(&mut s, "gz", f.from_us, y + 10, "✕", &f.title());
        }
    }
    for (i, lane) in t.lanes.iter().enumerate() {
        for (r, row) in lane.rows.iter().enumerate() {
            let top = l.rows[i][r];
            let h = row_height(row.kind, 1);
            for span in &row.spans {
                if let Some(text) = &span.label {
                    let (class, y) = match row.kind {
                        RowKind::Calls => ("cl", top + span.level * h + 8),
                        _ => ("sl", top + h - 4),
                    };
                    label(&mut s, class, span.from_us, span.room_us, y, text);
                }
            }
            for m in &row.marks {
                glyph(
                    &mut s,
                    m.class,
                    m.at_us,
                    top + h.max(10) - 1,
                    m.glyph,
                    &m.title,
                );
            }
        }
    }
    for v in violations {
        let at = violation_us(v, events);
        let what = match &v.anomaly {
            Some(a) => format!("{} ({a})", v.invariant),
            None => v.invariant.to_string(),
        };
        let title = format!(
            "VIOLATION {what} at {} ms\n{}{}",
            ms(at),
            v.detail,
            v.event
                .and_then(|i| events.get(i))
                .map(|e| format!(
                    "\nfirst breaking event #{}: {}",
                    v.event.unwrap_or(0),
                    e.compact()
                ))
                .unwrap_or_default()
        );
        let _ = write!(
            s,
            r#"<text class="vf" data-t="{}" y="{}">✖ {}<title>{}</title></text>"#,
            ms(at),
            AXIS_H + 14,
            escape(&what),
            escape(&title)
        );
        let lane = v
            .event
            .and_then(|i| events.get(i))
            .and_then(|e| t.lane(&e.node));
        if let Some(i) = lane {
            let _ = write!(
                s,
                r#"<text class="g gv" data-node="{}" data-t="{}" y="{}">✖<title>{}</title></text>"#,
                escape(&t.lanes[i].node),
                ms(at),
                l.rows[i][0] + 14,
                escape(&title)
            );
        }
    }
    s.push_str("</svg>");
    s
}
