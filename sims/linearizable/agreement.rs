//! The two checkers agree on random small client histories: sequential executions, perturbed
//! or not.

use super::*;

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
