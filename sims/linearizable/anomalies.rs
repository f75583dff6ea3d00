//! One small hand-made history per anomaly kind, and clean ones that both checkers accept.

use super::*;

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
