//! A small history built by hand, and what the timeline derives and draws from it.

use super::lanes::{derive, Timeline};
use super::{faults, render, Run};
use crate::check::{Kind, Violation};
use crate::fault::FaultKind;
use crate::history::{Event, EventKind};
use crate::net::Role;
use crate::op::CallError;
use crate::op::{FsOp, FsReply};
use crate::options::Options;
use crate::plan::Plan;
use crate::reproduction::Reproduction;
use crate::vocab::{ConnState, StepDownReason};

fn at(ms: u64, node: &str, kind: EventKind) -> Event {
    Event {
        at_us: ms * 1000,
        node: node.into(),
        kind,
    }
}

fn conn(state: ConnState) -> EventKind {
    EventKind::Connection { state, session: 7 }
}

/// A fault event; its target nodes are the node names its text mentions, as the nemesis records.
fn fault(text: &str, kind: &str, healed: bool) -> EventKind {
    let nodes = text
        .split(|c: char| c.is_whitespace() || c == '[' || c == ']')
        .filter(|w| {
            ["master-", "worker-", "client-"]
                .iter()
                .any(|p| w.starts_with(p))
        })
        .map(|w| Role::parse(w).expect("a node name"))
        .collect();
    EventKind::Fault {
        kind: FaultKind::named(kind).expect("a fault kind"),
        fault: text.into(),
        nodes,
        healed,
    }
}

/// Three masters and a client: master-0 leads term 0, is partitioned with the client, steps
/// down (its connection LOST), is crashed and restarted; master-1 leads term 1;
/// master-2 starts promoting to term 2 and records no outcome before master-1 is promoted to
/// term 3. The client's calls end ok, Unavailable, and not at all.
fn history() -> (Plan, Vec<Event>) {
    let options = Options {
        masters: 3,
        workers: 0,
        clients: 1,
        ..Options::fast()
    };
    let mkdir = FsOp::Mkdir { path: "/d".into() };
    let events = vec![
        at(50, "master-0", conn(ConnState::Connected)),
        at(100, "master-0", EventKind::Promoting { term: 0 }),
        at(
            200,
            "master-0",
            EventKind::BecamePrimary {
                term: 0,
                next_seq: 0,
            },
        ),
        at(
            300,
            "nemesis",
            fault("split-halves [master-0 client-0]", "split-halves", false),
        ),
        at(
            310,
            "client-0",
            EventKind::Invoke {
                op_id: 1,
                op: mkdir.clone(),
            },
        ),
        at(
            311,
            "client-0",
            EventKind::Attempt {
                op_id: 1,
                attempt: 1,
                master: Some("master-0".into()),
                lookups: 0,
            },
        ),
        at(
            315,
            "master-0",
            EventKind::JournalAppend {
                term: 0,
                seq: 0,
                op_id: 1,
            },
        ),
        at(
            318,
            "master-0",
            EventKind::JournalAck {
                term: 0,
                seq: 0,
                op_id: 1,
            },
        ),
        at(
            320,
            "client-0",
            EventKind::Ok {
                op_id: 1,
                by: "master-0".into(),
                reply: FsReply::Done,
            },
        ),
        at(
            330,
            "client-0",
            EventKind::Invoke {
                op_id: 2,
                op: mkdir.clone(),
            },
        ),
        at(350, "master-0", conn(ConnState::Suspended)),
        at(400, "master-1", EventKind::Promoting { term: 1 }),
        at(
            500,
            "master-1",
            EventKind::BecamePrimary {
                term: 1,
                next_seq: 1,
            },
        ),
        at(
            600,
            "master-0",
            EventKind::SteppedDown {
                term: 0,
                reason: StepDownReason::Connection(ConnState::Lost),
            },
        ),
        at(
            650,
            "master-0",
            EventKind::JournalFlush {
                term: 0,
                from: 0,
                to: 1,
                ok: false,
            },
        ),
        at(700, "master-0", conn(ConnState::Lost)),
        at(
            800,
            "nemesis",
            fault("split-halves [master-0 client-0]", "split-halves", true),
        ),
        at(850, "master-2", EventKind::Promoting { term: 2 }),
        at(900, "master-0", EventKind::NodeCrash),
        at(
            900,
            "client-0",
            EventKind::Fail {
                op_id: 2,
                error: CallError::Unavailable,
                by: None,
            },
        ),
        at(920, "master-1", EventKind::Promoting { term: 3 }),
        at(
            950,
            "client-0",
            EventKind::Invoke {
                op_id: 3,
                op: mkdir,
            },
        ),
        at(1000, "master-0", EventKind::NodeRestart),
        at(
            1200,
            "harness",
            EventKind::Phase {
                name: "final".into(),
            },
        ),
    ];
    (Plan::fixed("fast", options), events)
}

fn violation() -> Violation {
    Violation {
        invariant: "linearizable",
        kind: Kind::Always,
        at_ms: 320.0,
        event: Some(8),
        detail: "a <made-up> breach & \"quoted\"".into(),
        anomaly: Some(crate::check::linearizable::AnomalyKind::StaleRead),
        ops: vec![1],
    }
}

fn roles(t: &Timeline, node: &str) -> Vec<(String, u64, u64)> {
    let lane = &t.lanes[t.lane(node).unwrap()];
    lane.rows[0]
        .spans
        .iter()
        .map(|s| (s.class.clone(), s.from_us / 1000, s.to_us / 1000))
        .collect()
}

#[test]
fn a_masters_roles_are_derived_from_its_events() {
    let (plan, events) = history();
    let t = derive(&plan, &events, &[violation()]);
    let names: Vec<&str> = t.lanes.iter().map(|l| l.node.as_str()).collect();
    assert_eq!(
        names,
        [
            "master-0",
            "master-1",
            "master-2",
            "zookeeper",
            "ufs",
            "client-0"
        ]
    );
    let r = |c: &str, a, b| (c.to_string(), a, b);
    assert_eq!(
        roles(&t, "master-0"),
        [
            r("r-sb", 0, 100),
            r("r-pm", 100, 200),
            r("r-pr", 200, 600),
            // Demoting until its last write of term 0 (the failed flush).
            r("r-dm", 600, 650),
            r("r-sb", 650, 900),
            r("r-cr", 900, 1000),
            r("r-sb", 1000, 1200),
        ]
    );
    // master-2's promotion records no outcome; master-1's promotion to term 3 overtakes it.
    assert_eq!(
        roles(&t, "master-2"),
        [r("r-sb", 0, 850), r("r-pm", 850, 920), r("r-pu", 920, 1200)]
    );
    let session: Vec<&str> = t.lanes[0].rows[1]
        .spans
        .iter()
        .map(|s| s.class.as_str())
        .collect();
    assert_eq!(session, ["z-c", "z-s", "z-l"]);
    let terms: Vec<(u64, &str)> = t
        .terms
        .iter()
        .map(|x| (x.term, x.master.as_str()))
        .collect();
    assert_eq!(
        terms,
        [
            (0, "master-0"),
            (1, "master-1"),
            (2, "master-2"),
            (3, "master-1")
        ]
    );
}

#[test]
fn a_clients_calls_are_bars_coloured_by_their_answer() {
    let (plan, events) = history();
    let t = derive(&plan, &events, &[violation()]);
    let calls = &t.lanes[t.lane("client-0").unwrap()].rows[0];
    let classes: Vec<&str> = calls.spans.iter().map(|s| s.class.as_str()).collect();
    assert_eq!(classes, ["c-ok hl", "c-un", "c-pd"]);
    assert_eq!(
        calls.spans[2].to_us, t.end_us,
        "an unanswered call runs to the end"
    );
    assert!(calls.spans[0].title.contains("attempt 1"));
    assert!(calls.spans[0].title.contains("from master-0"));
}

#[test]
fn a_partition_shades_the_lanes_it_cuts_from_apply_to_heal() {
    let (plan, events) = history();
    let t = derive(&plan, &events, &[]);
    let f = faults::derive(&events, &t);
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].from_us / 1000, f[0].to_us / 1000), (300, 800));
    assert!(f[0].healed);
    let shaded: Vec<&str> = f[0]
        .lanes
        .iter()
        .map(|&i| t.lanes[i].node.as_str())
        .collect();
    assert_eq!(shaded, ["master-0", "client-0"]);
}

#[test]
fn the_page_escapes_what_it_quotes_and_marks_the_violation() {
    let (plan, events) = history();
    let violations = [violation()];
    let replay = Reproduction::schedule("it's <here>.json", 5);
    let page = render(&Run {
        seed: 5,
        plan: &plan,
        events: &events,
        violations: &violations,
        replay: &replay,
    });
    assert!(page.contains("stepped down from term 0: zookeeper connection Lost"));
    assert!(page.contains("a &lt;made-up&gt; breach &amp; &quot;quoted&quot;"));
    assert!(!page.contains("<made-up>") && !page.contains("<here>"));
    assert!(page.contains(r#"class="g gv" data-node="client-0" data-t="320""#));
    assert!(page.contains(r#"class="vf" data-t="320""#));
    assert_eq!(page.matches("data-lane=").count(), 6);
    assert!(page.contains(r#"class="cut""#));
    assert!(
        page.contains("t-hl"),
        "the violation's operation is highlighted in the journal"
    );
}

#[test]
fn milliseconds_keep_three_decimals_at_most_and_drop_trailing_zeros() {
    assert_eq!(super::ms(0), "0");
    assert_eq!(super::ms(1_199_950), "1199.95");
    assert_eq!(super::ms(1_065_176), "1065.176");
    assert_eq!(super::ms(2_000_000), "2000");
    assert_eq!(super::ms(7), "0.007");
}
