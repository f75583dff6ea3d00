//! The page around the drawing: the header (verdict, replay command, plan, summary, violations
//! with their details and operations), the legend, the zoom controls, and the style sheet and
//! script, inlined so that the file stands alone.

use super::escape::escape;
use super::faults::FaultSpan;
use super::lanes::Timeline;
use super::svg::{self, Layout};
use super::{ms, Run};
use std::fmt::Write;

const CSS: &str = include_str!("timeline.css");
const SCRIPT: &str = include_str!("timeline.js");

/// The legend: (CSS class of a swatch, what it means), by section.
const LEGEND: &[(&str, &[(&str, &str)])] = &[
    (
        "masters",
        &[
            ("r-sb", "standby"),
            ("r-pm", "promoting"),
            ("r-pu", "promotion's end not recorded"),
            ("r-pr", "primary"),
            ("r-dm", "demoting (until its last write of the term)"),
            ("r-cr", "crashed"),
            ("r-ex", "exited"),
            ("pz", "paused (the role beneath is what it still believes)"),
        ],
    ),
    (
        "ZooKeeper session",
        &[("z-c", "connected"), ("z-s", "suspended"), ("z-l", "lost")],
    ),
    (
        "client calls",
        &[
            ("c-ok", "ok"),
            ("c-er", "definite error"),
            ("c-un", "Unavailable"),
            ("c-pd", "no answer"),
            ("c-ok hl", "named by a violation"),
        ],
    ),
    (
        "faults",
        &[
            ("fsh fn", "partition (dashed: the cut)"),
            ("fsh fp", "crash, pause"),
            ("fsh fw", "message loss, latency"),
            ("fsh fz", "ZooKeeper"),
            ("fsh fs", "storage"),
        ],
    ),
];

/// Glyphs and ticks of the legend: (glyph, CSS class, meaning).
const MARKS: &[(&str, &str, &str)] = &[
    ("|", "k-ap", "append"),
    ("|", "k-fl", "flush"),
    ("|", "k-ak", "ack"),
    ("|", "k-ff", "failed flush"),
    ("◆", "gl", "log completed"),
    ("⊘", "gx", "fenced"),
    ("▲", "gc", "checkpoint written"),
    ("▼", "gc", "checkpoint loaded"),
    ("✂", "gl", "journal GC"),
    ("↓", "gd", "stepped down"),
    ("⊗", "gd", "promotion abandoned"),
    ("■", "gf", "final state"),
    ("✕", "gx", "session expired"),
    ("↻", "gd", "worker told to register again"),
    ("?", "gx", "worker marked lost"),
    ("|", "k-at", "call attempt"),
    ("✖", "gv", "violation"),
];

fn legend(s: &mut String) {
    let _ = write!(
        s,
        r#"<div class="legend"><svg width="0" height="0" style="position:absolute">{}</svg>"#,
        svg::defs("L", "")
    );
    for (section, items) in LEGEND {
        let _ = write!(s, "<span class=\"ls\">{section}:</span>");
        for (class, text) in *items {
            let _ = write!(
                s,
                r#"<span class="li"><svg width="18" height="10"><rect class="{class}" width="18" height="10"/></svg>{text}</span>"#
            );
        }
    }
    s.push_str(r#"<span class="ls">marks:</span>"#);
    for (glyph, class, text) in MARKS {
        let _ = write!(
            s,
            r#"<span class="li"><b class="{class}">{glyph}</b>{text}</span>"#
        );
    }
    s.push_str(r#"<span class="li">master colours: terms, registrations, and the stroke ending a call (who answered)</span></div>"#);
}

fn header(s: &mut String, run: &Run, t: &Timeline) {
    let summary = crate::run::summarise(run.events);
    let verdict = if run.violations.is_empty() {
        "passed".to_string()
    } else {
        let names: Vec<&str> = run.violations.iter().map(|v| v.invariant).collect();
        format!("FAILED: {}", names.join(", "))
    };
    let _ = write!(
        s,
        r#"<header><h1>ftsim seed {} <span class="{}">{}</span></h1>"#,
        run.seed,
        if run.violations.is_empty() {
            "ok"
        } else {
            "bad"
        },
        escape(&verdict)
    );
    let _ = write!(
        s,
        r#"<p class="cmd">replay: <code>{}</code></p>"#,
        escape(&run.replay.to_string())
    );
    let _ = write!(
        s,
        "<p class=\"sum\">{:.3} s simulated, {} events, {} term(s), {} failover(s), {} call(s) ok, {} with a definite error, {} Unavailable, {} journal entries, history hash {:016x}</p>",
        t.end_us as f64 / 1e6,
        run.events.len(),
        summary.terms,
        summary.failovers,
        summary.ops_ok,
        summary.ops_definite_error,
        summary.ops_unavailable,
        summary.journal_entries,
        crate::history::history_hash(run.events)
    );
    let _ = write!(
        s,
        "<details class=\"plan\" open><summary>plan</summary><pre>{}</pre></details>",
        escape(&run.plan.describe())
    );
    if !run.violations.is_empty() {
        s.push_str(r#"<ol class="viol">"#);
        for v in run.violations {
            let at = svg::violation_us(v, run.events);
            let event = v
                .event
                .and_then(|i| run.events.get(i).map(|e| (i, e)))
                .map(|(i, e)| {
                    format!(
                        "<br>first breaking event #{i}: <code>{}</code>",
                        escape(&e.compact())
                    )
                })
                .unwrap_or_else(|| "<br>(an absence: nothing happened by then)".into());
            let ops: Vec<String> = v
                .ops
                .iter()
                .map(|op| {
                    format!(r##"<a href="#op-{op}" data-op="{op}" title="op id {op}">{op:#x}</a>"##)
                })
                .collect();
            let ops = if ops.is_empty() {
                String::new()
            } else {
                format!("<br>operations: {}", ops.join(" "))
            };
            let _ = write!(
                s,
                r##"<li><a href="#" class="goto" data-t="{}"><b>{}</b> ({:?}{}) at {} ms</a>: {}{event}{ops}</li>"##,
                ms(at),
                v.invariant,
                v.kind,
                v.anomaly
                    .as_ref()
                    .map(|a| format!(", {a}"))
                    .unwrap_or_default(),
                ms(at),
                escape(&v.detail)
            );
        }
        s.push_str("</ol>");
    }
    s.push_str("</header>");
}

/// The whole document.
pub fn page(run: &Run, t: &Timeline, fault_spans: &[FaultSpan]) -> String {
    let layout = Layout::of(t, fault_spans);
    let mut s = String::with_capacity(64 * 1024 + run.events.len() * 160);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ftsim seed {} timeline</title><style>{CSS}</style></head><body>",
        run.seed
    );
    header(&mut s, run, t);
    legend(&mut s);
    s.push_str(concat!(
        r#"<div class="ctl"><button id="fit">fit</button><button id="zin">zoom in</button>"#,
        r#"<button id="zout">zoom out</button><label>from <input id="t0" size="9"> ms</label>"#,
        r#"<label>to <input id="t1" size="9"> ms</label>"#,
        r#"<span class="hint">wheel: zoom at the pointer; drag: pan; shift-drag: zoom to a range; "#,
        r#"hover anything for its details; click an operation above to find it</span></div>"#
    ));
    let _ = write!(
        s,
        r#"<div class="chart">{}<div class="pw">{}{}<div id="brush"></div></div></div>"#,
        svg::gutter(t, &layout),
        svg::plot(t, fault_spans, run.violations, run.events, &layout),
        super::overlay::overlay(t, fault_spans, run.violations, run.events, &layout)
    );
    let _ = writeln!(s, "<script>{SCRIPT}</script></body></html>");
    s
}
