//! Hand-made histories for the checker tests, written one event a line as `Event::compact`
//! writes them: `<ms> <node> <event> key=value ...`, a value as JSON or, for a string without
//! spaces, bare (`ftsim run --seed 1 --trace` prints real ones). Keys are written in the order
//! `compact` writes them, sorted, so a line reads as a trace line does.
#![allow(dead_code)]

use ftsim::check::{Property, Violation};
use ftsim::history::{parse_events, Event, EventKind};
use ftsim::Options;

/// The events of `text`, one a line (blank lines and `#` comments skipped); a line that does not
/// read panics, naming it.
pub fn history(text: &str) -> Vec<Event> {
    parse_events(text).unwrap_or_else(|e| panic!("{e}"))
}

/// The one event `line` writes.
pub fn event(line: &str) -> Event {
    Event::parse(line).unwrap_or_else(|e| panic!("{e}: {}", line.trim()))
}

/// `value` as JSON, to write a computed value into a line.
pub fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).expect("serialises")
}

/// Two masters, no workers and one client, on the fast preset, with a promotion's quiet period
/// of 5 ms (the clean history's master promotes in 5 ms).
pub fn options() -> Options {
    Options {
        masters: 2,
        workers: 0,
        clients: 1,
        master_journal_tailer_shutdown_quiet_wait_time_ms: 5,
        ..Options::fast()
    }
}

/// A short correct run: master-0 leads term 1, client-0 makes one write; after the heal a probe
/// succeeds; at the end master-0 is primary at the journal's end, master-1 a prefix behind.
pub const CLEAN: &str = r#"
    0    harness  phase name=safety
    5    master-0 promoting term=1
    10   master-0 became_primary next_seq=0 term=1
    20   client-0 invoke op={"op":"mkdir","path":"/a"} op_id=7
    21   client-0 attempt attempt=1 lookups=1 master=master-0 op_id=7
    22   master-0 journal_append op_id=7 seq=0 term=1
    30   master-0 journal_ack op_id=7 seq=0 term=1
    31   client-0 ok by=master-0 op_id=7 reply={"status":{"complete":true,"dir":true,"id":1}}
    1000 harness  phase name=liveness
    1001 client-0 invoke op={"op":"mkdir","path":"/live-0"} op_id=8
    1002 client-0 attempt attempt=1 lookups=1 master=master-0 op_id=8
    1003 master-0 journal_append op_id=8 seq=1 term=1
    1004 master-0 journal_ack op_id=8 seq=1 term=1
    1005 client-0 ok by=master-0 op_id=8 reply={"status":{"complete":true,"dir":true,"id":2}}
    2000 harness  phase name=final
    # The journal's digest is 170 after its first entry, 187 after both.
    2001 master-0 final_state applied_seq=2 digest=187 primary=true
    2002 master-1 final_state applied_seq=1 digest=170 primary=false
    2003 reader   journal_replay checkpoint_ops=[] checkpoint_seq=0 completed_end=0 deleted_checkpoints=[] deleted_logs=[] digest=187 digest_at=[[1,170],[2,187]] entries=[[0,1,7],[1,1,8]] order=[7,8] problem=null
"#;

/// The clean history, [`CLEAN`]'s events.
pub fn clean() -> Vec<Event> {
    history(CLEAN)
}

/// `h` with `e` inserted after every event at or before its time.
pub fn insert(mut h: Vec<Event>, e: Event) -> Vec<Event> {
    let i = h.iter().position(|x| x.at_us > e.at_us).unwrap_or(h.len());
    h.insert(i, e);
    h
}

/// `h` with the events of `text` inserted one by one as [`insert`] does: events at one time stay
/// in the order written, after those of `h`.
pub fn insert_all(h: Vec<Event>, text: &str) -> Vec<Event> {
    history(text).into_iter().fold(h, insert)
}

/// The clean history with the events of `text` inserted.
pub fn clean_with(text: &str) -> Vec<Event> {
    insert_all(clean(), text)
}

/// `h` with the first event matching `pick` replaced by `with`.
pub fn replace(mut h: Vec<Event>, pick: impl Fn(&Event) -> bool, with: Event) -> Vec<Event> {
    let i = h.iter().position(pick).expect("event to replace");
    h[i] = with;
    h
}

/// `h` with the first event matching `pick` moved to `at_ms`, after the events already there.
pub fn move_to(mut h: Vec<Event>, pick: impl Fn(&Event) -> bool, at_ms: u64) -> Vec<Event> {
    let i = h.iter().position(pick).expect("event to move");
    let mut e = h.remove(i);
    e.at_us = at_ms * 1000;
    insert(h, e)
}

/// `h` with `fields` (`key=value ...`, as a line writes them) set on every event matching `pick`,
/// at least one; each key must be one of the event's fields.
pub fn set(mut h: Vec<Event>, pick: impl Fn(&Event) -> bool, fields: &str) -> Vec<Event> {
    let mut found = false;
    for e in h.iter_mut().filter(|e| pick(e)) {
        found = true;
        let serde_json::Value::Object(mut kind) = serde_json::to_value(&e.kind).unwrap() else {
            unreachable!("events are tagged objects")
        };
        for field in fields.split_whitespace() {
            let (key, value) = field
                .split_once('=')
                .unwrap_or_else(|| panic!("`{field}` is not key=value"));
            assert!(kind.contains_key(key), "{} has no `{key}`", e.compact());
            let value = serde_json::from_str(value).unwrap_or_else(|_| value.into());
            kind.insert(key.into(), value);
        }
        e.kind = serde_json::from_value(serde_json::Value::Object(kind))
            .unwrap_or_else(|err| panic!("{}: {fields}: {err}", e.compact()));
    }
    assert!(found, "no event to set {fields} on");
    h
}

/// Whether `e` is the reader's journal replay.
pub fn is_replay(e: &Event) -> bool {
    matches!(e.kind, EventKind::JournalReplay { .. })
}

/// The reader's replay at `at_ms` of a journal with `fields` (`key=value ...`), and for the rest
/// none: no checkpoint, no entries, nothing deleted, digest 0.
pub fn journal_replay(at_ms: u64, fields: &str) -> Event {
    let empty = event(&format!(
        "{at_ms} reader journal_replay checkpoint_ops=[] checkpoint_seq=0 completed_end=0 \
         deleted_checkpoints=[] deleted_logs=[] digest=0 digest_at=[] entries=[] order=[] \
         problem=null"
    ));
    set(vec![empty], |_| true, fields).remove(0)
}

/// Picks `node`'s final state.
pub fn final_state_of(node: &str) -> impl Fn(&Event) -> bool + '_ {
    move |e| e.node == node && matches!(e.kind, EventKind::FinalState { .. })
}

/// The clean history whose journal replay has `fields` instead of its own.
pub fn with_replay(fields: &str) -> Vec<Event> {
    set(clean(), is_replay, fields)
}

/// The violation `property` finds in `history`, which must name `detail`.
pub fn breach(
    property: &Property,
    history: &[Event],
    options: &Options,
    detail: &str,
) -> Violation {
    let v = property.violation(history, options).unwrap_or_else(|| {
        panic!(
            "{} found no violation; expected one naming {detail:?}",
            property.name
        )
    });
    assert!(v.detail.contains(detail), "{}", v.detail);
    v
}
