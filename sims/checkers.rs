//! Every checker can fail: small hand-made histories that break each invariant, beside a clean
//! one that breaks none, and a sweep with lazy-rename fencing that real runs break.

use ftsim::check::{self, bounded_retry, liveness, no_lost_entries, one_leader};
use ftsim::history::{Event, EventKind};
use ftsim::op::CallError;
use ftsim::op::{FsOp, FsReply};
use ftsim::{Bug, Model, Options};

fn ev(at_ms: u64, node: &str, kind: EventKind) -> Event {
    Event {
        at_us: at_ms * 1000,
        node: node.into(),
        kind,
    }
}

/// `node`'s standby recording a catch-up pass from `from_seq` to `to_seq`.
fn standby_pass(at_ms: u64, node: &str, from_seq: u64, to_seq: u64, finished: bool) -> Event {
    let kind = EventKind::StandbyReplayed {
        from_seq,
        to_seq,
        finished,
    };
    ev(at_ms, node, kind)
}

/// The violation `property` finds in `history`, which must name `detail`.
fn breach(
    property: &ftsim::check::Property,
    history: &[Event],
    options: &Options,
    detail: &str,
) -> ftsim::check::Violation {
    let v = property.violation(history, options).unwrap_or_else(|| {
        panic!(
            "{} found no violation; expected one naming {detail:?}",
            property.name
        )
    });
    assert!(v.detail.contains(detail), "{}", v.detail);
    v
}

fn mkdir(path: &str) -> FsOp {
    FsOp::Mkdir { path: path.into() }
}

fn ok_reply() -> FsReply {
    FsReply::Status {
        id: 1,
        dir: true,
        complete: true,
    }
}

fn replay(
    entries: Vec<(u64, u64, u64)>,
    digest: u64,
    digest_at: Vec<(u64, Option<u64>)>,
) -> EventKind {
    EventKind::JournalReplay {
        checkpoint_seq: 0,
        checkpoint_ops: vec![],
        order: entries.iter().map(|e| e.2).collect(),
        entries,
        digest,
        problem: None,
        digest_at,
        completed_end: 0,
        deleted_logs: vec![],
        deleted_checkpoints: vec![],
    }
}

fn final_state(at_ms: u64, node: &str, primary: bool, applied_seq: u64, digest: u64) -> Event {
    ev(
        at_ms,
        node,
        EventKind::FinalState {
            primary,
            applied_seq,
            digest,
        },
    )
}

fn options() -> Options {
    Options {
        masters: 2,
        workers: 0,
        clients: 1,
        ..Options::fast()
    }
}

/// A short correct run: master-0 leads term 1, client-0 makes one write; after the heal a
/// probe succeeds; at the end master-0 is primary at the journal's end, master-1 a prefix behind.
fn clean() -> Vec<Event> {
    vec![
        ev(
            0,
            "harness",
            EventKind::Phase {
                name: "safety".into(),
            },
        ),
        ev(5, "master-0", EventKind::Promoting { term: 1 }),
        ev(
            10,
            "master-0",
            EventKind::BecamePrimary {
                term: 1,
                next_seq: 0,
            },
        ),
        ev(
            20,
            "client-0",
            EventKind::Invoke {
                op_id: 7,
                op: mkdir("/a"),
            },
        ),
        ev(
            21,
            "client-0",
            EventKind::Attempt {
                op_id: 7,
                attempt: 1,
                master: Some("master-0".into()),
                lookups: 1,
            },
        ),
        ev(
            22,
            "master-0",
            EventKind::JournalAppend {
                term: 1,
                seq: 0,
                op_id: 7,
            },
        ),
        ev(
            30,
            "master-0",
            EventKind::JournalAck {
                term: 1,
                seq: 0,
                op_id: 7,
            },
        ),
        ev(
            31,
            "client-0",
            EventKind::Ok {
                op_id: 7,
                by: "master-0".into(),
                reply: ok_reply(),
            },
        ),
        ev(
            1000,
            "harness",
            EventKind::Phase {
                name: "liveness".into(),
            },
        ),
        ev(
            1001,
            "client-0",
            EventKind::Invoke {
                op_id: 8,
                op: mkdir("/live-0"),
            },
        ),
        ev(
            1002,
            "client-0",
            EventKind::Attempt {
                op_id: 8,
                attempt: 1,
                master: Some("master-0".into()),
                lookups: 1,
            },
        ),
        ev(
            1003,
            "master-0",
            EventKind::JournalAppend {
                term: 1,
                seq: 1,
                op_id: 8,
            },
        ),
        ev(
            1004,
            "master-0",
            EventKind::JournalAck {
                term: 1,
                seq: 1,
                op_id: 8,
            },
        ),
        ev(
            1005,
            "client-0",
            EventKind::Ok {
                op_id: 8,
                by: "master-0".into(),
                reply: FsReply::Status {
                    id: 2,
                    dir: true,
                    complete: true,
                },
            },
        ),
        ev(
            2000,
            "harness",
            EventKind::Phase {
                name: "final".into(),
            },
        ),
        final_state(2001, "master-0", true, 2, 0xbb),
        final_state(2002, "master-1", false, 1, 0xaa),
        ev(
            2003,
            "reader",
            replay(
                vec![(0, 1, 7), (1, 1, 8)],
                0xbb,
                vec![(1, Some(0xaa)), (2, Some(0xbb))],
            ),
        ),
    ]
}

#[test]
fn a_clean_history_breaks_nothing() {
    assert_eq!(check::violations(&clean(), &options()), vec![]);
}

/// Replaces the first event matching `pick` by `with`.
fn replace(mut h: Vec<Event>, pick: impl Fn(&Event) -> bool, with: Event) -> Vec<Event> {
    let i = h.iter().position(pick).expect("event to replace");
    h[i] = with;
    h
}

/// The clean history whose final journal replay reads `replay` instead.
fn with_replay(replay: EventKind) -> Vec<Event> {
    replace(
        clean(),
        |e| matches!(e.kind, EventKind::JournalReplay { .. }),
        ev(2003, "reader", replay),
    )
}

fn insert(mut h: Vec<Event>, e: Event) -> Vec<Event> {
    let i = h.iter().position(|x| x.at_us > e.at_us).unwrap_or(h.len());
    h.insert(i, e);
    h
}

#[test]
fn one_leader_two_masters_ack_in_one_term() {
    let h = insert(
        clean(),
        ev(
            35,
            "master-1",
            EventKind::JournalAck {
                term: 1,
                seq: 0,
                op_id: 9,
            },
        ),
    );
    let v = one_leader::PROPERTY
        .violation(&h, &options())
        .expect("violation");
    assert_eq!(v.invariant, "one_leader");
    assert!(
        v.detail.contains("master-1 acknowledged seq 0 in term 1"),
        "{}",
        v.detail
    );
    assert_eq!(v.event, Some(8));
}

#[test]
fn one_leader_old_term_write_accepted_after_a_new_primary() {
    let mut h = clean();
    h = insert(
        h,
        ev(
            500,
            "master-1",
            EventKind::BecamePrimary {
                term: 2,
                next_seq: 1,
            },
        ),
    );
    h = insert(
        h,
        ev(
            600,
            "master-0",
            EventKind::JournalAppend {
                term: 1,
                seq: 5,
                op_id: 11,
            },
        ),
    );
    h = insert(
        h,
        ev(
            700,
            "master-0",
            EventKind::JournalAck {
                term: 1,
                seq: 5,
                op_id: 11,
            },
        ),
    );
    let v = breach(
        &one_leader::PROPERTY,
        &h,
        &options(),
        "after master-1 became primary in term 2",
    );
    assert_eq!(v.at_ms, 600.0);
}

#[test]
fn one_leader_an_old_primary_merely_believing_is_not_a_violation() {
    // master-1 takes over while master-0 (paused) still believes; master-0 appends but is fenced.
    let mut h = clean();
    h = insert(h, ev(1400, "master-1", EventKind::Promoting { term: 2 }));
    h = insert(
        h,
        ev(
            1500,
            "master-1",
            EventKind::BecamePrimary {
                term: 2,
                next_seq: 2,
            },
        ),
    );
    h = insert(
        h,
        ev(
            1600,
            "master-0",
            EventKind::JournalAppend {
                term: 1,
                seq: 2,
                op_id: 12,
            },
        ),
    );
    h = insert(h, ev(1601, "master-0", EventKind::Fenced { term: 1 }));
    assert_eq!(one_leader::PROPERTY.violation(&h, &options()), None);
    assert_eq!(check::coverage(&h)["two-masters-believed-primary"], 1);
}

#[test]
fn one_leader_a_step_down_as_fenced_needs_the_fencing() {
    // master-0 steps down from term 1 as fenced; its writer must have found itself fenced in
    // term 1 first (a fencing in another term does not count).
    let step_down = ev(
        1700,
        "master-0",
        EventKind::SteppedDown {
            term: 1,
            reason: "fenced: another primary took the journal".parse().unwrap(),
        },
    );
    let fenced = |term| ev(1600, "master-0", EventKind::Fenced { term });
    let taken_over = || {
        insert(
            clean(),
            ev(1500, "master-1", EventKind::Promoting { term: 2 }),
        )
    };
    let unexplained = insert(taken_over(), step_down.clone());
    let v = breach(
        &one_leader::PROPERTY,
        &unexplained,
        &options(),
        "had not found itself fenced",
    );
    assert_eq!(v.at_ms, 1700.0);
    let other_term = insert(insert(taken_over(), fenced(0)), step_down.clone());
    assert!(one_leader::PROPERTY
        .violation(&other_term, &options())
        .is_some());
    let explained = insert(insert(taken_over(), fenced(1)), step_down);
    assert_eq!(one_leader::PROPERTY.violation(&explained, &options()), None);
}

#[test]
fn one_leader_a_fencing_needs_another_primacy() {
    // master-0's writer finds itself fenced in term 1: only another master's primacy overlapping
    // term 1 can have done it.
    let fenced = |h| insert(h, ev(1600, "master-0", EventKind::Fenced { term: 1 }));
    let promoting = |at, node, term| ev(at, node, EventKind::Promoting { term });
    let ended = |at, node, term| {
        ev(
            at,
            node,
            EventKind::SteppedDown {
                term,
                reason: "zookeeper connection Lost".parse().unwrap(),
            },
        )
    };
    let alone = breach(
        &one_leader::PROPERTY,
        &fenced(clean()),
        &options(),
        "no other master's primacy overlapped that term",
    );
    assert_eq!(alone.at_ms, 1600.0);
    // A newer primary promoting before the fencing explains it; one promoting after does not.
    let newer = insert(clean(), promoting(1500, "master-1", 2));
    assert_eq!(
        one_leader::PROPERTY.violation(&fenced(newer), &options()),
        None
    );
    let later = fenced(clean());
    let later = insert(later, promoting(1700, "master-1", 2));
    assert!(one_leader::PROPERTY.violation(&later, &options()).is_some());
    // An older primacy still going when term 1 began (a promoter paused, then finishing) explains
    // it; one that ended before term 1 began does not.
    let mut stale = insert(clean(), promoting(2, "master-1", 0));
    assert_eq!(
        one_leader::PROPERTY.violation(&fenced(stale.clone()), &options()),
        None
    );
    stale = insert(stale, ended(3, "master-1", 0));
    assert!(one_leader::PROPERTY
        .violation(&fenced(stale), &options())
        .is_some());
}

#[test]
fn coverage_counts_a_step_down_with_writes_in_flight_only_while_unflushed() {
    // master-0 appends seq 2 and steps down before any flush makes it durable.
    let step_down = |at| {
        ev(
            at,
            "master-0",
            EventKind::SteppedDown {
                term: 1,
                reason: "zookeeper connection Lost".parse().unwrap(),
            },
        )
    };
    let append = ev(
        1600,
        "master-0",
        EventKind::JournalAppend {
            term: 1,
            seq: 2,
            op_id: 12,
        },
    );
    let flush = ev(
        1650,
        "master-0",
        EventKind::JournalFlush {
            term: 1,
            from: 2,
            to: 3,
            ok: true,
        },
    );
    let unflushed = insert(insert(clean(), append.clone()), step_down(1640));
    assert_eq!(
        check::coverage(&unflushed)["stepped-down-with-writes-in-flight"],
        1
    );
    let flushed = insert(insert(insert(clean(), append), flush), step_down(1700));
    assert_eq!(
        check::coverage(&flushed)["stepped-down-with-writes-in-flight"],
        0
    );
}

#[test]
fn one_leader_journal_terms_go_back() {
    let h = with_replay(replay(vec![(0, 2, 7), (1, 1, 8)], 0xbb, vec![]));
    breach(
        &one_leader::PROPERTY,
        &h,
        &options(),
        "goes back from term 2",
    );
}

#[test]
fn no_lost_entries_acknowledged_entry_missing() {
    let h = with_replay(replay(vec![(0, 1, 7)], 0xaa, vec![(1, Some(0xaa))]));
    let v = breach(
        &no_lost_entries::PROPERTY,
        &h,
        &options(),
        "acknowledged seq 1",
    );
    assert_eq!(v.at_ms, 1004.0);
}

#[test]
fn no_lost_entries_client_told_ok_without_journal() {
    // Bug B1's shape: a standby answers ok and nothing is journaled.
    let mut h = clean();
    h = insert(
        h,
        ev(
            40,
            "client-0",
            EventKind::Invoke {
                op_id: 20,
                op: mkdir("/b"),
            },
        ),
    );
    h = insert(
        h,
        ev(
            41,
            "client-0",
            EventKind::Ok {
                op_id: 20,
                by: "master-1".into(),
                reply: ok_reply(),
            },
        ),
    );
    breach(
        &no_lost_entries::PROPERTY,
        &h,
        &options(),
        "told ok by master-1",
    );
}

#[test]
fn no_lost_entries_duplicate_operation_and_gap() {
    let dup = with_replay(replay(vec![(0, 1, 7), (1, 1, 8), (2, 1, 7)], 0xbb, vec![]));
    breach(
        &no_lost_entries::PROPERTY,
        &dup,
        &options(),
        "in the journal twice",
    );
    let gap = with_replay(replay(vec![(0, 1, 7), (2, 1, 8)], 0xbb, vec![]));
    breach(&no_lost_entries::PROPERTY, &gap, &options(), "journal gap");
}

#[test]
fn no_lost_entries_master_state_differs_from_the_journal() {
    let h = replace(
        clean(),
        |e| e.node == "master-1" && matches!(e.kind, EventKind::FinalState { .. }),
        final_state(2002, "master-1", false, 1, 0xcc),
    );
    breach(
        &no_lost_entries::PROPERTY,
        &h,
        &options(),
        "differs from the journal",
    );
}

#[test]
fn bounded_retry_counts_the_attempts_the_backoff_allows() {
    // Alluxio's defaults: sleeps of 50, 100, ..., 1,600 ms (3,150 ms in all), then 3,000 ms each;
    // 39 of those reach 120 s. One attempt at once and one after each of 45 sleeps.
    assert_eq!(
        bounded_retry::max_attempts(&Options::alluxio_defaults()),
        46
    );
    // The fast preset: 50 to 400 ms (750 ms), then 39 sleeps of 500 ms reach 20 s.
    assert_eq!(bounded_retry::max_attempts(&Options::fast()), 44);
    let o = Options {
        user_rpc_retry_max_sleep_ms: 0,
        user_rpc_retry_max_duration_ms: 100,
        ..Options::fast()
    };
    // 50 ms, then sleeps of nothing counted as 1 ms each: the count stays finite.
    assert_eq!(bounded_retry::max_attempts(&o), 52);
}

#[test]
fn bounded_retry_call_too_long_too_many_attempts_or_never_ending() {
    let o = options();
    let bound = bounded_retry::call_bound_ms(&o);
    let late = replace(
        clean(),
        |e| matches!(e.kind, EventKind::Ok { op_id: 7, .. }),
        ev(
            20 + bound + 1,
            "client-0",
            EventKind::Ok {
                op_id: 7,
                by: "master-0".into(),
                reply: ok_reply(),
            },
        ),
    );
    let mut late = late;
    late.sort_by_key(|e| e.at_us);
    breach(&bounded_retry::PROPERTY, &late, &o, "took");

    // One attempt more than the policy allows, each after its backoff sleep. The checker counts
    // them itself, and the events' own attempt numbers must agree.
    let mut many = insert(
        clean(),
        ev(
            2,
            "client-0",
            EventKind::Invoke {
                op_id: 77,
                op: FsOp::Mkdir { path: "/m".into() },
            },
        ),
    );
    let mut at_ms = 2;
    for k in 1..=bounded_retry::max_attempts(&o) + 1 {
        if k > 1 {
            at_ms += bounded_retry::backoff_sleep_ms(&o, k - 1);
        }
        many = insert(
            many,
            ev(
                at_ms,
                "client-0",
                EventKind::Attempt {
                    op_id: 77,
                    attempt: k,
                    master: None,
                    lookups: 1,
                },
            ),
        );
    }
    breach(&bounded_retry::PROPERTY, &many, &o, "the policy allows");
    let misnumbered: Vec<Event> = many
        .iter()
        .cloned()
        .map(|mut e| {
            if let EventKind::Attempt {
                op_id: 77, attempt, ..
            } = &mut e.kind
            {
                *attempt = 1;
            }
            e
        })
        .collect();
    let v = bounded_retry::PROPERTY
        .violation(&misnumbered, &o)
        .expect("violation");
    assert!(
        v.detail
            .contains("numbered attempt 2 of call 0x4d as attempt 1"),
        "{}",
        v.detail
    );

    let mut open = clean();
    open.retain(|e| !matches!(e.kind, EventKind::Ok { op_id: 8, .. }));
    open.push(ev(
        1001 + bound + 5,
        "harness",
        EventKind::Phase { name: "end".into() },
    ));
    breach(&bounded_retry::PROPERTY, &open, &o, "had not ended");
}

#[test]
fn bounded_retry_does_not_count_time_the_client_was_paused() {
    let o = options();
    let bound = bounded_retry::call_bound_ms(&o);
    let mut h = clean();
    h.retain(|e| !matches!(e.kind, EventKind::Ok { op_id: 7, .. }));
    h = insert(h, ev(25, "client-0", EventKind::NodePause));
    h = insert(h, ev(25 + bound, "client-0", EventKind::NodeResume));
    h = insert(
        h,
        ev(
            30 + bound,
            "client-0",
            EventKind::Ok {
                op_id: 7,
                by: "master-0".into(),
                reply: ok_reply(),
            },
        ),
    );
    assert_eq!(bounded_retry::PROPERTY.violation(&h, &o), None);
}

#[test]
fn liveness_no_answer_unavailable_or_no_single_primary() {
    let o = options();
    let mut silent = clean();
    silent.retain(|e| !matches!(e.kind, EventKind::Ok { op_id: 8, .. }));
    breach(&liveness::PROPERTY, &silent, &o, "client-0 had no answer");

    let unavailable = replace(
        clean(),
        |e| matches!(e.kind, EventKind::Ok { op_id: 8, .. }),
        ev(
            1005,
            "client-0",
            EventKind::Fail {
                op_id: 8,
                error: CallError::Unavailable,
                by: None,
            },
        ),
    );
    breach(&liveness::PROPERTY, &unavailable, &o, "found no primary");

    let headless = replace(
        clean(),
        |e| e.node == "master-0" && matches!(e.kind, EventKind::FinalState { .. }),
        final_state(2001, "master-0", false, 2, 0xbb),
    );
    breach(&liveness::PROPERTY, &headless, &o, "no master is primary");

    let two = replace(
        clean(),
        |e| e.node == "master-1" && matches!(e.kind, EventKind::FinalState { .. }),
        final_state(2002, "master-1", true, 1, 0xaa),
    );
    breach(&liveness::PROPERTY, &two, &o, "2 masters are primary");
}

#[test]
fn coverage_counts_every_fact_with_zeros() {
    let facts = check::coverage(&clean());
    assert_eq!(facts.len(), check::of_kind(ftsim::Kind::Sometimes).count());
    assert!(facts.values().all(|n| *n == 0), "{facts:?}");
}

/// Lazy-rename fencing (B15) is a real hazard: a sweep of real runs finds seeds that break
/// `one_leader` and seeds that break `no_lost_entries`.
#[test]
fn lazy_rename_fencing_breaks_one_leader_and_no_lost_entries() {
    let model = Model::fast().with_bug(Some(Bug::LazyRenameFencing));
    let seeds: Vec<u64> = (1..=200).collect();
    let sweep = ftsim::explore::explore(&seeds, 2, &model, None, &|_| {});
    let broken = |name: &str| {
        sweep
            .violations
            .iter()
            .filter(|v| v.invariant == name)
            .map(|v| v.seed)
            .collect::<Vec<_>>()
    };
    let (ol, nl) = (broken("one_leader"), broken("no_lost_entries"));
    assert!(!ol.is_empty(), "no seed in 1..=200 broke one_leader");
    assert!(!nl.is_empty(), "no seed in 1..=200 broke no_lost_entries");
}

/// README's table of properties is the property table: same names, same kinds, same order.
#[test]
fn readme_lists_every_property_with_its_kind() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let section = readme
        .split("## The invariants")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("README has a section on the invariants");
    // The first table of the section (the section has other tables further on).
    let rows: Vec<(String, String)> = section
        .lines()
        .skip_while(|l| !l.starts_with("| property | kind |"))
        .take_while(|l| l.starts_with('|'))
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells[1].trim_matches('`').to_string(), cells[2].to_string())
        })
        .collect();
    let table: Vec<(String, String)> = ftsim::PROPERTIES
        .iter()
        .map(|p| (p.name.to_string(), format!("{:?}", p.kind())))
        .collect();
    assert_eq!(rows, table);
}

#[test]
fn worker_registry_a_worker_exits_only_after_its_heartbeat_timeout() {
    use ftsim::check::worker_registry;
    let o = options();
    let timeout_us = o.worker_block_heartbeat_timeout_ms * 1000;
    let registered = insert(
        clean(),
        ev(100, "worker-0", EventKind::WorkerGotId { worker_id: 7 }),
    );
    let exit = |at_ms: u64, silent_us: u64| {
        insert(
            registered.clone(),
            ev(at_ms, "worker-0", EventKind::WorkerExit { silent_us }),
        )
    };
    // Silent for longer than the timeout, and nothing registered in that time: a correct exit.
    let at_ms = 100 + o.worker_block_heartbeat_timeout_ms + 50;
    assert_eq!(
        worker_registry::PROPERTY.violation(&exit(at_ms, timeout_us + 10_000), &o),
        None
    );
    // Gave up within the timeout.
    breach(
        &worker_registry::PROPERTY,
        &exit(at_ms, timeout_us / 2),
        &o,
        "within its heartbeat timeout",
    );
    // Claims a silence that its own registration contradicts.
    breach(
        &worker_registry::PROPERTY,
        &exit(at_ms, timeout_us + 200_000),
        &o,
        "but it registered",
    );
}

#[test]
fn worker_registry_a_worker_past_its_heartbeat_timeout_does_not_stay_up() {
    use ftsim::check::worker_registry;
    let o = options();
    let timeout_us = o.worker_block_heartbeat_timeout_ms * 1000;
    let failed = |silent_us: u64| {
        let registered = insert(
            clean(),
            ev(100, "worker-0", EventKind::WorkerGotId { worker_id: 7 }),
        );
        let at_ms = 100 + silent_us / 1000;
        insert(
            registered,
            ev(at_ms, "worker-0", EventKind::WorkerCallFailed { silent_us }),
        )
    };
    // A failed call within the timeout: the worker stays up, as it should.
    assert_eq!(
        worker_registry::PROPERTY.violation(&failed(timeout_us / 2), &o),
        None
    );
    // A failed call past the timeout, and the worker stays up.
    breach(
        &worker_registry::PROPERTY,
        &failed(timeout_us + 10_000),
        &o,
        "past its heartbeat timeout",
    );
}

#[test]
fn no_lost_entries_journal_gc_deletes_only_what_the_newest_checkpoint_covers() {
    // The clean history's journal ends with no checkpoint (checkpoint_seq 0).
    let gc = |log: (u64, u64), covered: u64| {
        insert(
            clean(),
            ev(
                1500,
                "master-0",
                EventKind::JournalGc {
                    started_us: 0,
                    logs: vec![log],
                    checkpoints: vec![],
                    covered,
                },
            ),
        )
    };
    breach(
        &no_lost_entries::PROPERTY,
        &gc((0, 2), 0),
        &options(),
        "does not cover",
    );
    breach(
        &no_lost_entries::PROPERTY,
        &gc((0, 2), 2),
        &options(),
        "counted on a checkpoint",
    );
    // A covered log: the journal ends with a checkpoint below seq 2.
    let mut h = gc((0, 2), 2);
    for e in &mut h {
        if let EventKind::JournalReplay { checkpoint_seq, .. } = &mut e.kind {
            *checkpoint_seq = 2;
        }
    }
    let v = no_lost_entries::PROPERTY.violation(&h, &options());
    assert!(
        v.as_ref().is_none_or(|v| !v.detail.contains("journal GC")),
        "{v:?}"
    );
}

#[test]
fn coverage_counts_a_suspension_a_primary_rode_out_but_not_one_it_stepped_down_for() {
    use ftsim::vocab::ConnState;
    let conn = |at, state| ev(at, "master-0", EventKind::Connection { state, session: 5 });
    let rode_out = insert(
        insert(
            insert(clean(), conn(1500, ConnState::Suspended)),
            conn(1600, ConnState::Reconnected),
        ),
        ev(
            1700,
            "master-0",
            EventKind::JournalAck {
                term: 1,
                seq: 2,
                op_id: 12,
            },
        ),
    );
    assert_eq!(check::coverage(&rode_out)["primary-rode-out-suspension"], 1);
    let stepped_down = insert(
        rode_out,
        ev(
            1550,
            "master-0",
            EventKind::SteppedDown {
                term: 1,
                reason: "zookeeper connection Suspended".parse().unwrap(),
            },
        ),
    );
    assert_eq!(
        check::coverage(&stepped_down)["primary-rode-out-suspension"],
        0
    );
}

#[test]
fn coverage_counts_a_storage_fault_effect_only_while_the_fault_is_in_force() {
    let fault = |at, kind: &str, text: &str, healed| {
        // The target, if any, follows the kind in the text ("flush-slow master-1 +400 ms").
        let nodes = text
            .split_whitespace()
            .nth(1)
            .into_iter()
            .map(|n| ftsim::Role::parse(n).unwrap());
        ev(
            at,
            "nemesis",
            EventKind::Fault {
                kind: ftsim::fault::FaultKind::named(kind).unwrap(),
                fault: text.into(),
                nodes: nodes.collect(),
                healed,
            },
        )
    };
    let effect = |at, kind: &str, node: &str| {
        ev(
            at,
            "ufs",
            EventKind::FaultTookEffect {
                fault: ftsim::fault::FaultKind::named(kind).unwrap(),
                node: node.into(),
            },
        )
    };
    let slow = "flush-slow master-0 +400 ms";
    let h = vec![
        effect(1, "flush-slow", "master-0"), // before the fault
        fault(2, "flush-slow", slow, false),
        effect(3, "flush-slow", "master-1"), // another node
        effect(4, "flush-slow", "master-0"), // counts
        fault(5, "flush-slow", slow, true),
        effect(6, "flush-slow", "master-0"), // after it was undone
        fault(7, "rename-fail", "rename-fail", false),
        effect(8, "rename-fail", "master-2"), // on every node: counts
        fault(9, "rename-fail", "rename-fail", true),
        effect(10, "rename-fail", "master-2"),
    ];
    let facts = check::coverage(&h);
    assert_eq!(facts["flush-slow-took-effect"], 1);
    assert_eq!(facts["rename-fail-took-effect"], 1);
}

#[test]
fn bounded_retry_a_client_backs_off_by_the_policy_no_faster_and_no_slower() {
    let o = options();
    // Op 7 is invoked at 20 ms and first attempted at 21 ms; that attempt fails at `failed_ms`,
    // the backoff ends at `retry_ms`, a second attempt goes out 1 ms later and succeeds.
    let retried = |failed_ms: u64, retry_ms: u64| {
        let mut h = clean();
        h.retain(|e| !matches!(e.kind, EventKind::Ok { op_id: 7, .. }));
        let steps = [
            (failed_ms, EventKind::AttemptFailed { op_id: 7 }),
            (retry_ms, EventKind::Retrying { op_id: 7 }),
            (
                retry_ms + 1,
                EventKind::Attempt {
                    op_id: 7,
                    attempt: 2,
                    master: Some("master-0".into()),
                    lookups: 1,
                },
            ),
            (
                retry_ms + 2,
                EventKind::Ok {
                    op_id: 7,
                    by: "master-0".into(),
                    reply: ok_reply(),
                },
            ),
        ];
        for (at, kind) in steps {
            h = insert(h, ev(at, "client-0", kind));
        }
        h
    };
    let check = |h: &Vec<Event>| bounded_retry::PROPERTY.violation(h, &o);
    let sleep = bounded_retry::backoff_sleep_ms(&o, 1);
    let longest = sleep + sleep / 10 + 1; // the jitter, and 1 ms for timers firing late
    assert_eq!(check(&retried(30, 30 + sleep)), None);
    assert_eq!(check(&retried(30, 30 + longest)), None);
    let v = check(&retried(30, 30 + sleep - 1)).expect("too soon");
    let first = format!("the policy sleeps {sleep}.000 ms first");
    assert!(v.detail.contains(&first), "{}", v.detail);
    assert!(v.detail.contains("after attempt 1 failed"), "{}", v.detail);
    let v = check(&retried(30, 30 + longest + 1)).expect("too late");
    assert!(v.detail.contains("sleeps at most"), "{}", v.detail);
    // Time the client spent paused does not count against it.
    let paused = [
        ev(31, "client-0", EventKind::NodePause),
        ev(31 + 500, "client-0", EventKind::NodeResume),
    ]
    .into_iter()
    .fold(retried(30, 30 + longest + 500), insert);
    assert_eq!(check(&paused), None);
    // The maximum duration cuts the sleep short: 5 ms were left when attempt 1 failed.
    let cut = 20 + o.user_rpc_retry_max_duration_ms - 5;
    assert_eq!(check(&retried(cut, cut + 5)), None);
    assert!(
        check(&retried(cut, cut + 7)).is_some(),
        "retried past the maximum duration"
    );
    // A retry needs a failed attempt before it.
    let mut unfailed = retried(30, 30 + sleep);
    unfailed.retain(|e| !matches!(e.kind, EventKind::AttemptFailed { .. }));
    let v = check(&unfailed).expect("a retry without a failure");
    assert!(
        v.detail.contains("without a failed attempt"),
        "{}",
        v.detail
    );
}

#[test]
fn zookeeper_session_lost_only_once_expired_or_suspended_for_the_session_timeout() {
    use ftsim::check::zookeeper_session;
    use ftsim::vocab::ConnState;
    let o = options();
    let timeout = o.zookeeper_session_timeout_ms;
    let conn = |at, state, session| ev(at, "client-0", EventKind::Connection { state, session });
    let suspended = |lost_at| {
        let mut h = insert(clean(), conn(1000, ConnState::Connected, 9));
        h = insert(h, conn(1100, ConnState::Suspended, 9));
        insert(h, conn(lost_at, ConnState::Lost, 0))
    };
    assert_eq!(
        zookeeper_session::PROPERTY.violation(&suspended(1100 + timeout), &o),
        None
    );
    let early = suspended(1100 + timeout - 1);
    breach(
        &zookeeper_session::PROPERTY,
        &early,
        &o,
        "within the session timeout",
    );
    // The same early LOST is right once ZooKeeper has expired the session.
    let expired = insert(
        early,
        ev(
            1150,
            "zookeeper",
            EventKind::SessionExpired {
                session: 9,
                owner: "client-0".into(),
            },
        ),
    );
    assert_eq!(zookeeper_session::PROPERTY.violation(&expired, &o), None);
}

#[test]
fn zookeeper_session_a_candidacy_is_withdrawn_only_once_its_session_ended() {
    use ftsim::check::zookeeper_session;
    use ftsim::vocab::ConnState;
    let o = options();
    let conn = |at, state, session| ev(at, "master-1", EventKind::Connection { state, session });
    let joined = || {
        let h = insert(clean(), conn(1000, ConnState::Connected, 9));
        insert(h, ev(1050, "master-1", EventKind::JoiningElection))
    };
    let withdraw = |h, at| {
        insert(
            h,
            ev(at, "master-1", EventKind::CandidacyWithdrawn { session: 9 }),
        )
    };
    // A blip of its own session is no reason: SUSPENDED, then RECONNECTED to session 9.
    let blip = insert(joined(), conn(1100, ConnState::Suspended, 9));
    let blip = insert(blip, conn(1200, ConnState::Reconnected, 9));
    let v = breach(
        &zookeeper_session::PROPERTY,
        &withdraw(blip.clone(), 1201),
        &o,
        "master-1 withdrew its election candidacy while its session 9 was alive",
    );
    assert_eq!(v.at_ms, 1201.0);
    // LOST (after a session timeout suspended), a new session, or ZooKeeper's expiry of session
    // 9 each end it.
    let end = 1100 + o.zookeeper_session_timeout_ms;
    let lost = insert(joined(), conn(1100, ConnState::Suspended, 9));
    let lost = insert(lost, conn(end, ConnState::Lost, 0));
    let replaced = insert(joined(), conn(1100, ConnState::Reconnected, 10));
    let expired = insert(
        blip.clone(),
        ev(
            1150,
            "zookeeper",
            EventKind::SessionExpired {
                session: 9,
                owner: "master-1".into(),
            },
        ),
    );
    for ended in [lost.clone(), replaced, expired] {
        let h = withdraw(ended, end + 1);
        assert_eq!(zookeeper_session::PROPERTY.violation(&h, &o), None);
    }
    // A LOST that an earlier withdrawal already answered does not explain the next one.
    let again = withdraw(lost, end + 1);
    let again = insert(again, ev(end + 50, "master-1", EventKind::JoiningElection));
    let v = breach(
        &zookeeper_session::PROPERTY,
        &withdraw(again, end + 100),
        &o,
        "withdrew its election candidacy",
    );
    assert_eq!(v.at_ms, (end + 100) as f64);
}

#[test]
fn liveness_every_standby_has_replayed_the_completed_logs_at_the_end() {
    // master-1, a standby, has applied 1 entry at the end; the journal holds 2.
    let completed_to = |end: u64| {
        let mut h = clean();
        for e in &mut h {
            if let EventKind::JournalReplay { completed_end, .. } = &mut e.kind {
                *completed_end = end;
            }
        }
        h
    };
    assert_eq!(
        liveness::PROPERTY.violation(&completed_to(1), &options()),
        None
    );
    breach(
        &liveness::PROPERTY,
        &completed_to(2),
        &options(),
        "standby master-1 has replayed 1",
    );
}

#[test]
fn journal_housekeeping_checkpoints_keep_their_period() {
    use ftsim::check::journal_housekeeping;
    let o = options();
    let period = o.master_journal_checkpoint_period_entries;
    let written = |seq: u64| {
        insert(
            clean(),
            ev(900, "master-1", EventKind::CheckpointWritten { seq }),
        )
    };
    assert_eq!(
        journal_housekeeping::PROPERTY.violation(&written(period), &o),
        None
    );
    breach(
        &journal_housekeeping::PROPERTY,
        &written(period - 1),
        &o,
        "checkpoint period",
    );
    // A checkpoint loaded since counts as the last one.
    let loaded = insert(
        written(period + 3),
        ev(800, "master-1", EventKind::CheckpointLoaded { seq: 5 }),
    );
    assert!(journal_housekeeping::PROPERTY
        .violation(&loaded, &o)
        .is_some());
}

#[test]
fn journal_housekeeping_gc_spares_logs_younger_than_its_threshold() {
    use ftsim::check::journal_housekeeping;
    // A GC period short enough that rule 4 (the period) holds for every pass here.
    let o = Options {
        master_journal_gc_period_ms: 1,
        ..options()
    };
    let threshold_ms = o.master_journal_gc_threshold_ms;
    let gc_at = |at_ms: u64| {
        let h = insert(
            clean(),
            ev(
                100,
                "master-0",
                EventKind::JournalAppend {
                    term: 9,
                    seq: 999,
                    op_id: 1,
                },
            ),
        );
        let h = insert(
            h,
            ev(
                105,
                "master-0",
                EventKind::JournalFlush {
                    term: 9,
                    from: 999,
                    to: 1000,
                    ok: true,
                },
            ),
        );
        insert(
            h,
            ev(
                at_ms,
                "master-0",
                EventKind::JournalGc {
                    started_us: at_ms * 1000,
                    logs: vec![(990, 1000)],
                    checkpoints: vec![],
                    covered: 1000,
                },
            ),
        )
    };
    assert_eq!(
        journal_housekeeping::PROPERTY.violation(&gc_at(100 + threshold_ms), &o),
        None
    );
    breach(
        &journal_housekeeping::PROPERTY,
        &gc_at(100 + threshold_ms - 1),
        &o,
        "gc.threshold",
    );
}

#[test]
fn journal_housekeeping_logs_rotate_at_their_size() {
    use ftsim::check::journal_housekeeping;
    let o = options();
    let size = o
        .master_journal_log_size_bytes_max
        .div_ceil(o.journal_entry_size_bytes);
    // master-0 is primary in term 1 from seq 0 (the clean history) and completes its first log.
    let completed = |end: u64| {
        insert(
            clean(),
            ev(25, "master-0", EventKind::LogCompleted { start: 0, end }),
        )
    };
    let append = |h: Vec<Event>, seq: u64| {
        insert(
            h,
            ev(
                26,
                "master-0",
                EventKind::JournalAppend {
                    term: 1,
                    seq,
                    op_id: 70,
                },
            ),
        )
    };
    let flush = |h: Vec<Event>, from: u64, ok: bool| {
        insert(
            h,
            ev(
                24,
                "master-0",
                EventKind::JournalFlush {
                    term: 1,
                    from,
                    to: from + 1,
                    ok,
                },
            ),
        )
    };
    // A full log completed, and writing goes on: rotation.
    assert_eq!(
        journal_housekeeping::PROPERTY.violation(&append(completed(size), size), &o),
        None
    );
    // A short log completed, and writing goes on.
    breach(
        &journal_housekeeping::PROPERTY,
        &append(completed(size - 1), size - 1),
        &o,
        "went on",
    );
    // ... unless a flush into it failed: then the writer starts over at what is durable.
    assert_eq!(
        journal_housekeeping::PROPERTY.violation(
            &append(flush(completed(size - 1), size - 1, false), size - 1),
            &o
        ),
        None
    );
    // A flush into a log that is already full.
    breach(
        &journal_housekeeping::PROPERTY,
        &flush(clean(), size, true),
        &o,
        "already",
    );
    assert_eq!(
        journal_housekeeping::PROPERTY.violation(&flush(clean(), size - 1, true), &o),
        None
    );
}

#[test]
fn worker_registry_the_final_primary_lists_exactly_its_live_workers() {
    use ftsim::check::worker_registry;
    let o = Options {
        workers: 1,
        ..options()
    };
    // worker-0 registers with master-0 (primary from 10 ms) under id 5.
    let base = insert(
        clean(),
        ev(
            50,
            "master-0",
            EventKind::WorkerRegistered {
                worker_id: 5,
                worker: "worker-0".into(),
            },
        ),
    );
    let listing = |h: Vec<Event>, workers: Option<Vec<(u64, String)>>| {
        insert(
            h,
            ev(2001, "master-0", EventKind::FinalWorkerList { workers }),
        )
    };
    let worker0 = || vec![(5, "worker-0".to_string())];
    assert_eq!(
        worker_registry::PROPERTY.violation(&listing(base.clone(), Some(worker0())), &o),
        None
    );
    // Listed under an id it never registered.
    let v = worker_registry::PROPERTY
        .violation(
            &listing(base.clone(), Some(vec![(6, "worker-0".into())])),
            &o,
        )
        .expect("an unregistered id");
    assert!(v.detail.contains("never registered"), "{}", v.detail);
    // A live, registered worker left out.
    breach(
        &worker_registry::PROPERTY,
        &listing(base.clone(), Some(vec![])),
        &o,
        "lacks worker-0",
    );
    // Refused long after safe mode.
    breach(
        &worker_registry::PROPERTY,
        &listing(base.clone(), None),
        &o,
        "after its safe mode ended",
    );
    // A worker that crashed long before the end is still listed (it restarted, unregistered).
    let crashed = insert(base, ev(60, "worker-0", EventKind::NodeCrash));
    let o_short = Options {
        master_worker_timeout_ms: 100,
        master_lost_worker_detection_interval_ms: 100,
        ..o.clone()
    };
    breach(
        &worker_registry::PROPERTY,
        &listing(crashed, Some(worker0())),
        &o_short,
        "down since",
    );
}

#[test]
fn zookeeper_session_primacy_survives_blips_under_the_session_policy() {
    use ftsim::check::zookeeper_session;
    use ftsim::vocab::ConnState;
    let o = options();
    let conn = |at_ms: u64, state: ConnState, session: u64| {
        ev(at_ms, "master-0", EventKind::Connection { state, session })
    };
    let step_down = |at_ms: u64, reason: &str| {
        ev(
            at_ms,
            "master-0",
            EventKind::SteppedDown {
                term: 1,
                reason: reason.parse().unwrap(),
            },
        )
    };
    let with = |extra: Vec<Event>| extra.into_iter().fold(clean(), insert);
    let connected = || conn(5, ConnState::Connected, 3);
    // Reconnected to a new session: stepping down is right.
    assert_eq!(
        zookeeper_session::PROPERTY.violation(
            &with(vec![
                connected(),
                conn(40, ConnState::Suspended, 3),
                conn(41, ConnState::Reconnected, 4),
                step_down(42, "zookeeper connection Reconnected"),
            ]),
            &o
        ),
        None
    );
    // Reconnected to its own session, or merely suspended: the policy rides it out.
    for extra in [
        vec![
            connected(),
            conn(40, ConnState::Suspended, 3),
            conn(41, ConnState::Reconnected, 3),
            step_down(42, "zookeeper connection Reconnected"),
        ],
        vec![
            connected(),
            conn(40, ConnState::Suspended, 3),
            step_down(42, "zookeeper connection Suspended"),
        ],
    ] {
        breach(&zookeeper_session::PROPERTY, &with(extra), &o, "rides out");
    }
}

#[test]
fn zookeeper_session_timers_start_over_when_the_quorum_returns() {
    use ftsim::check::zookeeper_session;
    let o = options();
    let timeout_ms = o.zookeeper_session_timeout_ms;
    let fault = |at_ms: u64, healed: bool| {
        ev(
            at_ms,
            "nemesis",
            EventKind::Fault {
                kind: ftsim::fault::FaultKind::ZookeeperUnavailable,
                fault: "zookeeper-unavailable".into(),
                nodes: vec![],
                healed,
            },
        )
    };
    let expiry = |at_ms: u64| {
        ev(
            at_ms,
            "zookeeper",
            EventKind::SessionExpired {
                session: 3,
                owner: "client-0".into(),
            },
        )
    };
    let with = |extra: Vec<Event>| extra.into_iter().fold(clean(), insert);
    assert_eq!(
        zookeeper_session::PROPERTY.violation(
            &with(vec![
                fault(100, false),
                fault(200, true),
                expiry(201 + timeout_ms)
            ]),
            &o
        ),
        None
    );
    let v = zookeeper_session::PROPERTY
        .violation(
            &with(vec![
                fault(100, false),
                fault(200, true),
                expiry(199 + timeout_ms),
            ]),
            &o,
        )
        .expect("an expiry before the restarted timer ran out");
    assert!(v.detail.contains("must start over"), "{}", v.detail);
    let v = zookeeper_session::PROPERTY
        .violation(
            &with(vec![fault(100, false), expiry(150), fault(200, true)]),
            &o,
        )
        .expect("an expiry without quorum");
    assert!(v.detail.contains("lost its quorum"), "{}", v.detail);
}

#[test]
fn journal_housekeeping_gc_keeps_its_period() {
    use ftsim::check::journal_housekeeping;
    // master-0 became primary at 10 ms; its GC passes must begin a period apart, the first a
    // period after that. A pass records checkpoints and logs apart, under one start.
    let o = options();
    let period_ms = o.master_journal_gc_period_ms;
    let pass = |started_ms: u64, logs: Vec<(u64, u64)>, checkpoints: Vec<u64>| {
        ev(
            started_ms + 1,
            "master-0",
            EventKind::JournalGc {
                started_us: started_ms * 1000,
                logs,
                checkpoints,
                covered: 0,
            },
        )
    };
    let first = 10 + period_ms;
    let ok = [
        pass(first, vec![], vec![0]),
        pass(first, vec![(0, 0)], vec![]),
        pass(first + period_ms, vec![(0, 0)], vec![]),
    ]
    .into_iter()
    .fold(clean(), insert);
    assert_eq!(journal_housekeeping::PROPERTY.violation(&ok, &o), None);
    let early_first = insert(clean(), pass(first - 1, vec![(0, 0)], vec![]));
    breach(
        &journal_housekeeping::PROPERTY,
        &early_first,
        &o,
        "master.journal.gc.period",
    );
    let early_next = [
        pass(first, vec![(0, 0)], vec![]),
        pass(first + period_ms - 1, vec![(0, 0)], vec![]),
    ]
    .into_iter()
    .fold(clean(), insert);
    assert!(journal_housekeeping::PROPERTY
        .violation(&early_next, &o)
        .is_some());
}

#[test]
fn no_lost_entries_every_deletion_the_storage_made_was_journal_gc() {
    // The reader saw the storage delete log 0..1 and the checkpoint below seq 0; the journal ends
    // with a checkpoint below seq 1, so GC may delete both.
    let with_deleted = |h: Vec<Event>| {
        let mut h = h;
        for e in &mut h {
            if let EventKind::JournalReplay {
                checkpoint_seq,
                deleted_logs,
                deleted_checkpoints,
                ..
            } = &mut e.kind
            {
                *checkpoint_seq = 1;
                *deleted_logs = vec![(0, 1)];
                *deleted_checkpoints = vec![0];
            }
        }
        h
    };
    let gc = |logs: Vec<(u64, u64)>, checkpoints: Vec<u64>| {
        ev(
            1500,
            "master-0",
            EventKind::JournalGc {
                started_us: 1_500_000,
                logs,
                checkpoints,
                covered: 1,
            },
        )
    };
    let unclaimed = with_deleted(clean());
    breach(
        &no_lost_entries::PROPERTY,
        &unclaimed,
        &options(),
        "completed log of entries 0 to 1",
    );
    let logs_only = with_deleted(insert(clean(), gc(vec![(0, 1)], vec![])));
    breach(
        &no_lost_entries::PROPERTY,
        &logs_only,
        &options(),
        "checkpoint below seq 0",
    );
    let both = with_deleted(insert(clean(), gc(vec![(0, 1)], vec![0])));
    let v = no_lost_entries::PROPERTY.violation(&both, &options());
    assert!(
        v.as_ref()
            .is_none_or(|v| !v.detail.contains("no journal GC")),
        "{v:?}"
    );
}

#[test]
fn coverage_counts_a_worker_riding_out_failed_calls_only_without_an_exit() {
    let failed = ev(
        1000,
        "worker-0",
        EventKind::WorkerCallFailed { silent_us: 500 },
    );
    let got_id = ev(1200, "worker-0", EventKind::WorkerGotId { worker_id: 5 });
    let exit = ev(1100, "worker-0", EventKind::WorkerExit { silent_us: 9_000 });
    let fact = |h: Vec<Event>| check::coverage(&h)["worker-rode-out-failed-calls"];
    assert_eq!(
        fact(insert(insert(clean(), failed.clone()), got_id.clone())),
        1
    );
    assert_eq!(fact(insert(clean(), got_id.clone())), 0);
    let exited = insert(insert(insert(clean(), failed), exit), got_id);
    assert_eq!(fact(exited), 0);
}

#[test]
fn standby_catch_up_a_candidate_has_replayed_every_completed_log() {
    use ftsim::check::standby_catch_up;
    let o = options();
    let completed = ev(5, "master-0", EventKind::LogCompleted { start: 0, end: 4 });
    let caught_up = |began_ms: u64, from_seq: u64, to_seq: u64| {
        ev(
            began_ms + 1,
            "master-1",
            EventKind::CaughtUp {
                began_us: began_ms * 1000,
                from_seq,
                to_seq,
            },
        )
    };
    let join = |at_ms: u64| ev(at_ms, "master-1", EventKind::JoiningElection);
    let promoting = ev(20, "master-1", EventKind::Promoting { term: 2 });
    let ok = vec![
        completed.clone(),
        caught_up(10, 4, 4),
        join(12),
        promoting.clone(),
        caught_up(30, 4, 4),
        join(32),
    ];
    assert_eq!(standby_catch_up::PROPERTY.violation(&ok, &o), None);
    // A log completed after the pass began may be missing from it.
    let late = vec![caught_up(4, 0, 0), completed.clone(), join(12)];
    assert_eq!(standby_catch_up::PROPERTY.violation(&late, &o), None);

    let before = vec![join(1), completed.clone(), caught_up(10, 4, 4)];
    breach(
        &standby_catch_up::PROPERTY,
        &before,
        &o,
        "before its standby had caught up",
    );
    // A promotion ends the stint: the next join needs a new catch-up.
    let stale = vec![caught_up(10, 0, 0), join(12), promoting, join(32)];
    assert_eq!(
        standby_catch_up::PROPERTY
            .violation(&stale, &o)
            .map(|v| v.event),
        Some(Some(3))
    );
    let applied = vec![completed.clone(), caught_up(10, 0, 4), join(12)];
    breach(
        &standby_catch_up::PROPERTY,
        &applied,
        &o,
        "applied entries 0..4",
    );
    let behind = vec![completed, caught_up(10, 2, 2), join(12)];
    breach(&standby_catch_up::PROPERTY, &behind, &o, "log 0..4");
}

#[test]
fn worker_registry_a_primary_answers_its_worker_list_only_after_safe_mode() {
    use ftsim::check::worker_registry;
    let o = options();
    // master-0 became primary at 10 ms; its safe mode lasts the connect wait.
    let wait_ms = o.master_worker_connect_wait_time_ms;
    let asked = |at_ms: u64, workers: Option<Vec<(u64, String)>>| {
        insert(
            clean(),
            ev(at_ms, "master-0", EventKind::HealWorkerList { workers }),
        )
    };
    assert_eq!(
        worker_registry::PROPERTY.violation(&asked(10 + wait_ms, Some(vec![])), &o),
        None
    );
    assert_eq!(
        worker_registry::PROPERTY.violation(&asked(10 + wait_ms - 1, None), &o),
        None
    );
    breach(
        &worker_registry::PROPERTY,
        &asked(10 + wait_ms - 1, Some(vec![])),
        &o,
        "in its safe mode",
    );
    // The fact counts a refusal by a master that still believes it is primary.
    let fact = |h: Vec<Event>| check::coverage(&h)["worker-list-refused-in-safe-mode"];
    assert_eq!(fact(asked(20, None)), 1);
    assert_eq!(fact(asked(20, Some(vec![]))), 0);
    let stepped_down = ev(
        15,
        "master-0",
        EventKind::SteppedDown {
            term: 1,
            reason: "journal writer stopped".parse().unwrap(),
        },
    );
    assert_eq!(fact(insert(asked(20, None), stepped_down)), 0);
}

#[test]
fn journal_housekeeping_a_standby_checkpoints_once_a_period_is_replayed() {
    use ftsim::check::journal_housekeeping;
    let o = options();
    let period = o.master_journal_checkpoint_period_entries;
    let replayed = |at_ms: u64, from_seq: u64, to_seq: u64| {
        standby_pass(at_ms, "master-1", from_seq, to_seq, true)
    };
    let started =
        |at_ms: u64, seq: u64| ev(at_ms, "master-1", EventKind::CheckpointStarted { seq });
    let history = |h: Vec<Event>| h.into_iter().fold(clean(), insert);
    // Short of a period, no checkpoint is owed; at a period, one is set out before the next pass.
    let ok = history(vec![
        replayed(20, 0, period - 1),
        replayed(21, period - 1, period),
        started(21, period),
        replayed(22, period, period + 1),
    ]);
    assert_eq!(journal_housekeeping::PROPERTY.violation(&ok, &o), None);
    let late = history(vec![
        replayed(20, 0, period),
        replayed(21, period, period + 1),
    ]);
    breach(
        &journal_housekeeping::PROPERTY,
        &late,
        &o,
        "without setting out to write one",
    );
    // A checkpoint loaded (or a promotion, ending the stint) moves the count's start.
    let loaded = history(vec![
        ev(19, "master-1", EventKind::CheckpointLoaded { seq: 5 }),
        replayed(20, 5, period),
        replayed(21, period, period + 1),
    ]);
    assert_eq!(journal_housekeeping::PROPERTY.violation(&loaded, &o), None);
    let promoted = history(vec![
        replayed(20, 0, period),
        ev(21, "master-1", EventKind::Promoting { term: 2 }),
        replayed(30, 0, 1),
    ]);
    assert_eq!(
        journal_housekeeping::PROPERTY.violation(&promoted, &o),
        None
    );
    // A pass that failed part-way owes nothing: the next pass comes first.
    let failed = standby_pass(20, "master-1", 0, period, false);
    let after_failed = history(vec![failed, replayed(21, period, period + 1)]);
    assert_eq!(
        journal_housekeeping::PROPERTY.violation(&after_failed, &o),
        None
    );
}

#[test]
fn standby_catch_up_a_standby_records_every_pass_that_moves_it() {
    use ftsim::check::standby_catch_up;
    let o = options();
    let replayed = |at_ms: u64, from_seq: u64, to_seq: u64, finished: bool| {
        standby_pass(at_ms, "master-1", from_seq, to_seq, finished)
    };
    let caught_up = |at_ms: u64, seq: u64| {
        ev(
            at_ms,
            "master-1",
            EventKind::CaughtUp {
                began_us: (at_ms - 1) * 1000,
                from_seq: seq,
                to_seq: seq,
            },
        )
    };
    // Passes chain, failed ones included, and the caught-up pass stands where the last ended.
    let whole = vec![
        replayed(10, 0, 4, true),
        replayed(11, 4, 6, false),
        replayed(12, 6, 9, true),
        caught_up(13, 9),
    ];
    assert_eq!(standby_catch_up::PROPERTY.violation(&whole, &o), None);
    let gap = vec![replayed(10, 0, 4, true), replayed(12, 6, 9, true)];
    breach(&standby_catch_up::PROPERTY, &gap, &o, "moved it unrecorded");
    let behind = vec![replayed(10, 0, 4, true), caught_up(13, 6)];
    breach(
        &standby_catch_up::PROPERTY,
        &behind,
        &o,
        "moved it unrecorded",
    );
    // A new stint (a restart, a crash, a promotion) starts from wherever the replica was reset.
    for end in [
        EventKind::NodeRestart,
        EventKind::NodeCrash,
        EventKind::Promoting { term: 2 },
    ] {
        let reset = vec![
            replayed(10, 0, 4, true),
            ev(11, "master-1", end),
            replayed(12, 2, 9, true),
        ];
        assert_eq!(standby_catch_up::PROPERTY.violation(&reset, &o), None);
    }
    // Each standby keeps its own account.
    let other = standby_pass(11, "master-2", 0, 2, true);
    let two = vec![replayed(10, 0, 4, true), other, replayed(12, 4, 9, true)];
    assert_eq!(standby_catch_up::PROPERTY.violation(&two, &o), None);
}
