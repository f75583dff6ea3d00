//! The linearizability checkers can fail, and they agree.
//!
//! - One small hand-made history per anomaly kind (`dirty-read`, `stale-read`, `lost-write`,
//!   `real-time-order`, `wrong-reply`): the journal-order check reports exactly that kind, naming
//!   the operations involved, and the exhaustive Wing-Gong-Lowe search rejects the history too.
//!   Clean histories pass both, including calls that ended Unavailable, whether or not the
//!   journal holds them.
//! - A property over 10,000 random small client histories (a sequential execution, perturbed or
//!   not): the journal-order check and the search give the same verdict, on a mix of
//!   linearizable and non-linearizable histories; an unperturbed execution passes both.

#[path = "support/mod.rs"]
mod support;

use ftsim::check::client_ops::{self, Call, ClientHistory, End};
use ftsim::check::linearizable::AnomalyKind;
use ftsim::check::{linearizable, wgl};
use ftsim::history::Event;
use ftsim::namespace::Namespace;
use ftsim::op::CallError;
use ftsim::op::{FsError, FsOp, FsReply};
use ftsim::Options;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestRunner;
use std::cell::Cell;
use std::time::Instant;
use support::history::{event, journal_replay, json};

// ---- hand-made histories ----

/// One client call as a test writes it.
struct Written {
    client: &'static str,
    op_id: u64,
    op: FsOp,
    invoke_ms: u64,
    end_ms: u64,
    /// The reply, or why the call failed.
    end: Result<FsReply, CallError>,
}

fn call(
    client: &'static str,
    op_id: u64,
    op: FsOp,
    [invoke_ms, end_ms]: [u64; 2],
    end: Result<FsReply, CallError>,
) -> Written {
    Written {
        client,
        op_id,
        op,
        invoke_ms,
        end_ms,
        end,
    }
}

/// The events of `calls` in time order (at equal times, in the order written), then a journal
/// replay whose order is `journal`.
fn history(calls: Vec<Written>, journal: &[u64]) -> Vec<Event> {
    let mut events = vec![];
    for c in calls {
        let (client, op_id) = (c.client, c.op_id);
        let invoke = format!("invoke op={} op_id={op_id}", json(&c.op));
        let end = match c.end {
            Ok(reply) => format!("ok by=master-0 op_id={op_id} reply={}", json(&reply)),
            Err(CallError::Unavailable) => format!("fail by=null error=unavailable op_id={op_id}"),
            Err(error) => format!("fail by=master-0 error={} op_id={op_id}", json(&error)),
        };
        events.push(event(&format!("{} {client} {invoke}", c.invoke_ms)));
        events.push(event(&format!("{} {client} {end}", c.end_ms)));
    }
    events.sort_by_key(|e| e.at_us);
    let replay_ms = events.last().map_or(0, |e| e.at_us / 1000) + 1;
    let entries: Vec<(u64, u64, u64)> = (0..).zip(journal).map(|(seq, id)| (seq, 1, *id)).collect();
    let fields = format!("entries={} order={}", json(&entries), json(&journal));
    events.push(journal_replay(replay_ms, &fields));
    events
}

fn mkdir(path: &str) -> FsOp {
    FsOp::Mkdir { path: path.into() }
}

fn create_file(path: &str) -> FsOp {
    FsOp::CreateFile { path: path.into() }
}

fn get_status(path: &str) -> FsOp {
    FsOp::GetStatus { path: path.into() }
}

fn list_status(path: &str) -> FsOp {
    FsOp::ListStatus { path: path.into() }
}

fn dir(id: u64) -> Result<FsReply, CallError> {
    Ok(FsReply::Status {
        id,
        dir: true,
        complete: true,
    })
}

fn open_file(id: u64) -> Result<FsReply, CallError> {
    Ok(FsReply::Status {
        id,
        dir: false,
        complete: false,
    })
}

fn fs_error(e: FsError) -> Result<FsReply, CallError> {
    Err(CallError::Fs(e))
}

fn extract(events: &[Event]) -> ClientHistory {
    client_ops::extract(events).expect("the history ends with a journal replay")
}

/// The journal-order check reports exactly `kind`, naming `ops` (the breaking call first), and
/// the search rejects the history too.
fn assert_anomaly(events: &[Event], kind: AnomalyKind, ops: &[u64]) {
    let breach = linearizable::check(events, &Options::fast()).expect("a linearizability breach");
    assert_eq!(breach.anomaly, Some(kind), "{}", breach.detail);
    assert_eq!(breach.ops, ops, "{}", breach.detail);
    assert_eq!(
        wgl::linearizable(&extract(events), wgl::STEP_BUDGET),
        Some(false)
    );
}

/// Both checkers accept the history.
fn assert_linearizable(events: &[Event]) {
    assert_eq!(linearizable::check(events, &Options::fast()), None);
    assert_eq!(
        wgl::linearizable(&extract(events), wgl::STEP_BUDGET),
        Some(true)
    );
}

/// Concurrent writes, a read that sees a write before it is acknowledged, a definite error that
/// is not journaled, and reads after everything ended.
#[test]
fn a_clean_history_is_linearizable() {
    let events = history(
        vec![
            call("client-0", 1, mkdir("/d0"), [0, 10], dir(2)),
            call("client-1", 2, mkdir("/d1"), [2, 12], dir(1)),
            call("client-2", 3, get_status("/d1"), [4, 6], dir(1)),
            call("client-0", 4, create_file("/d0/f0"), [20, 30], open_file(3)),
            call(
                "client-1",
                5,
                mkdir("/d0"),
                [22, 24],
                fs_error(FsError::AlreadyExists),
            ),
            call(
                "client-2",
                6,
                list_status("/d0"),
                [40, 44],
                Ok(FsReply::Listing(vec![("f0".into(), 3)])),
            ),
        ],
        &[2, 1, 4],
    );
    assert_linearizable(&events);
}

/// A mkdir that ended Unavailable may have taken effect, even after its call ended (a read in
/// between still missed it), or not at all.
#[test]
fn an_unavailable_call_is_accepted_in_the_journal_or_not() {
    let calls = |saw_it_later| {
        vec![
            call(
                "client-0",
                1,
                mkdir("/d0"),
                [0, 10],
                Err(CallError::Unavailable),
            ),
            call(
                "client-1",
                2,
                get_status("/d0"),
                [20, 30],
                fs_error(FsError::NotFound),
            ),
            call(
                "client-1",
                3,
                get_status("/d0"),
                [40, 50],
                if saw_it_later {
                    dir(1)
                } else {
                    fs_error(FsError::NotFound)
                },
            ),
        ]
    };
    assert_linearizable(&history(calls(true), &[1]));
    assert_linearizable(&history(calls(false), &[]));
}

/// Bug B16's shape: a read sees a create whose call ended Unavailable and which the journal never
/// held. The read is bounded below by the mkdir that had ended before it began.
#[test]
fn dirty_read_of_a_write_the_journal_never_held() {
    let events = history(
        vec![
            call("client-0", 1, mkdir("/d0"), [0, 10], dir(1)),
            call(
                "client-0",
                3,
                create_file("/d0/f0"),
                [20, 40],
                Err(CallError::Unavailable),
            ),
            call("client-1", 4, get_status("/d0/f0"), [25, 35], open_file(2)),
        ],
        &[1],
    );
    assert_anomaly(&events, AnomalyKind::DirtyRead, &[4, 1]);
}

/// Bug B17's shape: a read misses a mkdir that was acknowledged before the read began.
#[test]
fn stale_read_misses_an_acknowledged_write() {
    let events = history(
        vec![
            call("client-0", 1, mkdir("/d0"), [0, 10], dir(1)),
            call(
                "client-1",
                2,
                get_status("/d0"),
                [20, 30],
                fs_error(FsError::NotFound),
            ),
        ],
        &[1],
    );
    assert_anomaly(&events, AnomalyKind::StaleRead, &[2, 1]);
}

/// Bug B1's shape: a mkdir acknowledged that the journal never held.
#[test]
fn lost_write_acknowledged_but_not_journaled() {
    let events = history(
        vec![call("client-0", 1, mkdir("/d0"), [0, 10], dir(1))],
        &[],
    );
    assert_anomaly(&events, AnomalyKind::LostWrite, &[1]);
}

/// The journal holds a mkdir invoked after another had been acknowledged, before it. The
/// replies match the journal's order, so only real time is broken.
#[test]
fn real_time_order_journal_reorders_sequential_writes() {
    let events = history(
        vec![
            call("client-0", 1, mkdir("/d0"), [0, 10], dir(2)),
            call("client-1", 2, mkdir("/d1"), [20, 30], dir(1)),
        ],
        &[2, 1],
    );
    assert_anomaly(&events, AnomalyKind::RealTimeOrder, &[2, 1]);
}

/// Two concurrent mkdirs both told they got inode 1; and a journaled mkdir whose client was
/// told it already existed.
#[test]
fn wrong_reply_differs_from_the_journal_position() {
    let same_id = history(
        vec![
            call("client-0", 1, mkdir("/d0"), [0, 10], dir(1)),
            call("client-1", 2, mkdir("/d1"), [0, 10], dir(1)),
        ],
        &[1, 2],
    );
    assert_anomaly(&same_id, AnomalyKind::WrongReply, &[2]);
    let error_journaled = history(
        vec![call(
            "client-0",
            1,
            mkdir("/d0"),
            [0, 10],
            fs_error(FsError::AlreadyExists),
        )],
        &[1],
    );
    assert_anomaly(&error_journaled, AnomalyKind::WrongReply, &[1]);
}

/// Found by the property below: the journal holds a create that ended Unavailable before the
/// mkdir of its parent, where it cannot take effect. A journal entry changed the namespace, so
/// the history is not linearizable, whatever (if anything) its client was told.
#[test]
fn wrong_reply_an_unavailable_call_journaled_where_it_cannot_apply() {
    let events = history(
        vec![
            call("client-0", 1, mkdir("/d1"), [0, 50], dir(1)),
            call(
                "client-1",
                2,
                create_file("/d1/f0"),
                [0, 40],
                Err(CallError::Unavailable),
            ),
        ],
        &[2, 1],
    );
    assert_anomaly(&events, AnomalyKind::WrongReply, &[2]);
}

/// A journaled create whose client was told NotFound, which is what it answers at its journal
/// position: the journal cannot hold a call that failed.
#[test]
fn wrong_reply_a_failed_call_journaled_where_it_fails_alike() {
    let events = history(
        vec![call(
            "client-0",
            1,
            create_file("/d0/f0"),
            [0, 10],
            fs_error(FsError::NotFound),
        )],
        &[1],
    );
    assert_anomaly(&events, AnomalyKind::WrongReply, &[1]);
}

// ---- random small histories: the two checkers agree ----

fn dir_path() -> impl Strategy<Value = String> {
    (0..2u32).prop_map(|d| format!("/d{d}"))
}

fn file_path() -> impl Strategy<Value = String> {
    (0..2u32, 0..2u32).prop_map(|(d, f)| format!("/d{d}/f{f}"))
}

/// An operation over 2 directories of 2 files, of the workload's kinds on the workload's paths
/// (`workload::draw_op`), with more mkdirs and reads: a history of a few calls on an empty
/// namespace needs its directories, and observers to see them.
fn fs_op() -> impl Strategy<Value = FsOp> {
    prop_oneof![
        25 => dir_path().prop_map(|path| FsOp::Mkdir { path }),
        25 => file_path().prop_map(|path| FsOp::CreateFile { path }),
        10 => file_path().prop_map(|path| FsOp::CompleteFile { path }),
        6 => file_path().prop_map(|path| FsOp::Delete { path, recursive: false }),
        2 => dir_path().prop_map(|path| FsOp::Delete { path, recursive: true }),
        8 => (file_path(), file_path()).prop_map(|(src, dst)| FsOp::Rename { src, dst }),
        14 => file_path().prop_map(|path| FsOp::GetStatus { path }),
        10 => dir_path().prop_map(|path| FsOp::ListStatus { path }),
    ]
}

/// Time unit of the generated windows, in microseconds (leaves room for instants inside them).
const TICK: u64 = 10;

/// One call of a generated execution.
#[derive(Clone, Debug)]
struct CallPlan {
    /// Which client (modulo the number of clients).
    client: usize,
    op: FsOp,
    /// Ticks the client waits after its previous call ended.
    gap: u64,
    /// Ticks from invoke to answer.
    len: u64,
    /// Where the call takes effect, in percent of its window (of the rest of the run when it
    /// ends Unavailable, since it may take effect after its call ended).
    at: u64,
    /// Ends Unavailable, having taken effect (`Some(true)`) or not.
    unavailable: Option<bool>,
}

/// A change that may make a linearizable history non-linearizable.
#[derive(Clone, Debug)]
enum Perturbation {
    /// Two journal entries trade places.
    SwapJournal(Index, Index),
    /// A journal entry is lost.
    DropJournal(Index),
    /// The call ends with no definite answer.
    Indeterminate(Index),
    /// Another call is told this call's answer.
    CopyAnswer(Index, Index),
    /// The call's window moves to new ends, within the time its client is free.
    MoveWindow(Index, Index, Index),
}

/// A random execution: its clients, its calls in plan order, and what to perturb afterwards.
#[derive(Clone, Debug)]
struct ExecutionPlan {
    clients: usize,
    calls: Vec<CallPlan>,
    perturbations: Vec<Perturbation>,
}

fn call_plan() -> impl Strategy<Value = CallPlan> {
    (
        0..3usize,
        fs_op(),
        0..4u64,
        1..6u64,
        0..=100u64,
        prop_oneof![8 => Just(None), 1 => Just(Some(true)), 1 => Just(Some(false))],
    )
        .prop_map(|(client, op, gap, len, at, unavailable)| CallPlan {
            client,
            op,
            gap,
            len,
            at,
            unavailable,
        })
}

fn perturbation() -> impl Strategy<Value = Perturbation> {
    prop_oneof![
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Perturbation::SwapJournal(a, b)),
        any::<Index>().prop_map(Perturbation::DropJournal),
        any::<Index>().prop_map(Perturbation::Indeterminate),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Perturbation::CopyAnswer(a, b)),
        (any::<Index>(), any::<Index>(), any::<Index>())
            .prop_map(|(c, i, e)| Perturbation::MoveWindow(c, i, e)),
    ]
}

fn execution_plan() -> impl Strategy<Value = ExecutionPlan> {
    (
        2..=3usize,
        prop::collection::vec(call_plan(), 3..=8),
        prop_oneof![
            1 => Just(vec![]),
            4 => prop::collection::vec(perturbation(), 1..=2),
        ],
    )
        .prop_map(|(clients, calls, perturbations)| ExecutionPlan {
            clients,
            calls,
            perturbations,
        })
}

/// A call being generated: its real window (an Unavailable call ends too), and its answer.
struct Sketch {
    client: usize,
    op: FsOp,
    invoke: u64,
    end: u64,
    answer: End,
}

/// The plan's sequential execution, perturbed as planned: the client history and whether any
/// perturbation was planned (one may change nothing).
fn execute(plan: &ExecutionPlan) -> (ClientHistory, bool) {
    // Each client makes one call at a time.
    let mut free_at = vec![0; plan.clients];
    let mut sketches: Vec<Sketch> = plan
        .calls
        .iter()
        .map(|p| {
            let client = p.client % plan.clients;
            let invoke = free_at[client] + p.gap * TICK;
            let end = invoke + p.len * TICK;
            free_at[client] = end;
            Sketch {
                client,
                op: p.op.clone(),
                invoke,
                end,
                answer: End::Indeterminate,
            }
        })
        .collect();
    // Each call that takes effect does so at one instant; ties go in plan order.
    let horizon = free_at.iter().max().copied().unwrap_or(0) + TICK;
    let mut effects: Vec<(u64, usize)> = vec![];
    for (i, (p, s)) in plan.calls.iter().zip(&sketches).enumerate() {
        let until = match p.unavailable {
            None => s.end,
            Some(true) => horizon,
            Some(false) => continue,
        };
        effects.push((s.invoke + (until - s.invoke) * p.at / 100, i));
    }
    effects.sort();
    let mut ns = Namespace::default();
    let mut journal = vec![];
    for &(_, i) in &effects {
        let answer = client_ops::apply(&mut ns, &sketches[i].op);
        if sketches[i].op.is_mutation() && answer.is_ok() {
            journal.push(op_id(i));
        }
        if plan.calls[i].unavailable.is_none() {
            sketches[i].answer = End::Answered(answer);
        }
    }
    for p in &plan.perturbations {
        perturb(p, &mut sketches, &mut journal);
    }
    (
        client_history(&sketches, journal),
        !plan.perturbations.is_empty(),
    )
}

fn op_id(call: usize) -> u64 {
    call as u64 + 1
}

fn perturb(p: &Perturbation, sketches: &mut [Sketch], journal: &mut Vec<u64>) {
    match p {
        Perturbation::SwapJournal(a, b) if journal.len() >= 2 => {
            let n = journal.len();
            let i = a.index(n);
            journal.swap(i, (i + 1 + b.index(n - 1)) % n);
        }
        Perturbation::DropJournal(a) if !journal.is_empty() => {
            journal.remove(a.index(journal.len()));
        }
        Perturbation::Indeterminate(a) => {
            sketches[a.index(sketches.len())].answer = End::Indeterminate;
        }
        Perturbation::CopyAnswer(from, to) if sketches.len() >= 2 => {
            let n = sketches.len();
            let i = from.index(n);
            let answer = sketches[i].answer.clone();
            if answer != End::Indeterminate {
                sketches[(i + 1 + to.index(n - 1)) % n].answer = answer;
            }
        }
        Perturbation::MoveWindow(c, invoke, end) => {
            let i = c.index(sketches.len());
            let same_client = |j: &usize| sketches[*j].client == sketches[i].client;
            let earliest = (0..i)
                .rev()
                .find(same_client)
                .map_or(0, |j| sketches[j].end);
            let latest = (i + 1..sketches.len())
                .find(same_client)
                .map_or(sketches[i].end + 5 * TICK, |j| sketches[j].invoke);
            let s = &mut sketches[i];
            s.invoke = earliest + invoke.index((s.end - earliest + 1) as usize) as u64;
            s.end = s.invoke + end.index((latest - s.invoke + 1) as usize) as u64;
        }
        _ => {}
    }
}

/// The client history as `client_ops::extract` reads it from events: every call's invoke and
/// answer are events in time order; an indeterminate call has no answer time. At equal times,
/// answers come first, then calls that take no time, then invokes: a client's next call comes
/// after its previous answer.
fn client_history(sketches: &[Sketch], journal: Vec<u64>) -> ClientHistory {
    // (time, rank at that time, call, is the answer)
    let mut events: Vec<(u64, u8, usize, bool)> = vec![];
    for (i, s) in sketches.iter().enumerate() {
        let instant = s.invoke == s.end;
        events.push((s.invoke, if instant { 1 } else { 2 }, i, false));
        events.push((s.end, if instant { 1 } else { 0 }, i, true));
    }
    events.sort();
    let event_of = |call: usize, answer: bool| {
        events
            .iter()
            .position(|&(_, _, i, is_answer)| i == call && is_answer == answer)
            .expect("every call has both events")
    };
    let mut calls: Vec<Call> = sketches
        .iter()
        .enumerate()
        .map(|(i, s)| Call {
            op_id: op_id(i),
            client: format!("client-{}", s.client),
            op: s.op.clone(),
            invoke_us: s.invoke,
            end_us: match s.answer {
                End::Answered(_) => s.end,
                End::Indeterminate => u64::MAX,
            },
            by: match s.answer {
                End::Answered(_) => Some("master-0".into()),
                End::Indeterminate => None,
            },
            end: s.answer.clone(),
            invoke_event: event_of(i, false),
            end_event: event_of(i, true),
        })
        .collect();
    calls.sort_by_key(|c| c.invoke_event);
    ClientHistory { calls, journal }
}

/// The two checkers give the same verdict on 10,000 random small histories, of which at least
/// a tenth are linearizable and a tenth are not; every unperturbed execution is linearizable.
#[test]
fn the_checkers_agree_on_random_small_histories() {
    const CASES: u32 = 10_000;
    let mut runner = TestRunner::new(ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let (linearizable, not) = (Cell::new(0u64), Cell::new(0u64));
    let started = Instant::now();
    let result = runner.run(
        &execution_plan().prop_map(|p| execute(&p)),
        |(h, perturbed)| {
            let journal_order = linearizable::is_linearizable(&h);
            let searched = wgl::linearizable(&h, wgl::STEP_BUDGET);
            prop_assert_eq!(Some(journal_order), searched, "the checkers disagree");
            prop_assert!(perturbed || journal_order, "an unperturbed execution fails");
            let count = if journal_order { &linearizable } else { &not };
            count.set(count.get() + 1);
            Ok(())
        },
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    let (linearizable, not) = (linearizable.get(), not.get());
    println!(
        "{CASES} random histories in {:.2?}: {linearizable} linearizable, {not} not",
        started.elapsed()
    );
    assert_eq!(linearizable + not, u64::from(CASES));
    assert!(
        linearizable * 10 >= u64::from(CASES),
        "too few linearizable"
    );
    assert!(not * 10 >= u64::from(CASES), "too few non-linearizable");
}

/// The journal holds an operation no client invoked: a phantom write, whatever the clients were
/// told. An operation held twice is left to `no_lost_entries`.
#[test]
fn phantom_write_a_journal_entry_no_call_explains() {
    let calls = || vec![call("client-0", 1, mkdir("/d0"), [0, 10], dir(1))];
    let events = history(calls(), &[1, 7]);
    let breach = linearizable::check(&events, &Options::fast()).expect("a phantom write");
    assert_eq!(breach.anomaly, Some(AnomalyKind::PhantomWrite));
    assert!(
        breach.detail.contains("which no client invoked"),
        "{}",
        breach.detail
    );
    assert_eq!(
        linearizable::check(&history(calls(), &[1, 1]), &Options::fast()),
        None
    );
}
