//! The second, independent linearizability checker: a Wing-Gong-Lowe search (as Knossos and
//! Porcupine do) for an order of the client calls that the namespace, run sequentially, explains.
//!
//! It checks the same specification as [`super::linearizable`] by exhaustive search instead of
//! reasoning: the calls' invokes and answers form one list in time order; the search repeatedly
//! takes the earliest pending call, tries to let it take effect now on the sequential namespace
//! (a journaled mutation only when it is the journal's next entry; its answer, if definite, must
//! match), and backtracks when an answer comes before its call could take effect. States already
//! explored (the set of calls taken effect, and the namespace) are remembered and skipped.
//!
//! Which calls must take effect: every journaled mutation, every read and every mutation
//! answered with a namespace error (it takes effect without a change). A mutation told "ok" that
//! the journal does not hold can never take effect, so the history fails. An indeterminate call
//! takes effect only if the journal holds it.
//!
//! Per-path partitioning (checking independent parts of the namespace apart) does not apply to
//! this model: inode ids come from one counter, so two creates in different directories do not
//! commute. The search instead relies on the memo and on the journal fixing the mutations' order,
//! which leaves only the placement of observers to explore.

use super::client_ops::{self, ClientHistory, End};
use crate::namespace::Namespace;
use std::collections::{BTreeMap, HashSet};

/// Steps after which a search gives up (inconclusive). A history of 400 calls from six clients
/// takes well under a hundredth of this.
pub const STEP_BUDGET: u64 = 2_000_000;

/// One entry of the time-ordered list: a call's invoke or its answer.
#[derive(Clone, Copy, Debug)]
struct Entry {
    call: usize,
    is_return: bool,
}

/// Whether the history is linearizable; none when the search ran out of `budget` steps.
pub fn linearizable(h: &ClientHistory, budget: u64) -> Option<bool> {
    let by_op = h.call_index();
    if !h.journal_is_replayable(&by_op) {
        // Not this checker's to judge (the journal-order checker judges no such history either).
        return Some(true);
    }
    let position: BTreeMap<u64, usize> = h
        .journal
        .iter()
        .enumerate()
        .map(|(p, id)| (*id, p))
        .collect();
    // The calls that take part, with their journal position if any.
    let mut part: Vec<usize> = vec![];
    for (i, c) in h.calls.iter().enumerate() {
        let journaled = position.contains_key(&c.op_id);
        let takes_part = match &c.end {
            End::Indeterminate => journaled,
            End::Answered(Ok(_)) => {
                if c.is_mutation() && !journaled {
                    return Some(false);
                }
                true
            }
            End::Answered(Err(_)) => true,
        };
        if takes_part {
            part.push(i);
        }
    }
    // Time-ordered entries; at equal times an invoke comes before an answer (concurrent).
    let mut timed: Vec<(u64, bool, usize, Entry)> = vec![];
    for (slot, &i) in part.iter().enumerate() {
        let c = &h.calls[i];
        timed.push((
            c.invoke_us,
            false,
            slot,
            Entry {
                call: slot,
                is_return: false,
            },
        ));
        timed.push((
            c.end_us,
            true,
            slot,
            Entry {
                call: slot,
                is_return: true,
            },
        ));
    }
    timed.sort_by_key(|(t, is_return, slot, _)| (*t, *is_return, *slot));
    let entries: Vec<Entry> = timed.into_iter().map(|(_, _, _, e)| e).collect();

    // A doubly linked list over the entries, so that taking a call out and putting it back are
    // O(1).
    let n = entries.len();
    let mut next: Vec<usize> = (1..=n).collect();
    let mut prev: Vec<usize> = (0..n).map(|i| i.wrapping_sub(1)).collect();
    let head_sentinel = n; // next[n] is the first live entry
    next.push(0);
    prev.push(usize::MAX);
    let end = n; // "no entry" (past the last)
    let mut return_of = vec![0; part.len()];
    let mut invoke_of = vec![0; part.len()];
    for (k, e) in entries.iter().enumerate() {
        if e.is_return {
            return_of[e.call] = k;
        } else {
            invoke_of[e.call] = k;
        }
    }
    let first = |next: &Vec<usize>| if n == 0 { end } else { next[head_sentinel] };
    let unlink = |next: &mut Vec<usize>, prev: &mut Vec<usize>, k: usize| {
        let (p, q) = (prev[k], next[k]);
        let pk = if p == usize::MAX { head_sentinel } else { p };
        next[pk] = q;
        if q < n {
            prev[q] = p;
        }
    };
    let relink = |next: &mut Vec<usize>, prev: &mut Vec<usize>, k: usize| {
        let (p, q) = (prev[k], next[k]);
        let pk = if p == usize::MAX { head_sentinel } else { p };
        next[pk] = k;
        if q < n {
            prev[q] = k;
        }
    };

    let mut taken = vec![false; part.len()];
    let mut taken_count = 0;
    let mut ns = Namespace::default();
    let mut journal_next = 0usize;
    // The stack of calls taken effect: (slot, the namespace before it).
    let mut stack: Vec<(usize, Namespace)> = vec![];
    let mut seen: HashSet<(Vec<u64>, u64)> = HashSet::new();
    let mut cursor = first(&next);
    let mut steps = 0u64;
    let bits = |taken: &Vec<bool>| -> Vec<u64> {
        let mut v = vec![0u64; taken.len().div_ceil(64)];
        for (i, t) in taken.iter().enumerate() {
            if *t {
                v[i / 64] |= 1 << (i % 64);
            }
        }
        v
    };
    loop {
        steps += 1;
        if steps > budget {
            return None;
        }
        if taken_count == part.len() {
            return Some(true);
        }
        // Every remaining entry was tried, or a call was answered before it could take effect:
        // undo the last choice and try the next candidate after it.
        if cursor == end || entries[cursor].is_return {
            let Some((slot, before)) = stack.pop() else {
                return Some(false);
            };
            undo(
                &mut taken,
                &mut taken_count,
                &mut journal_next,
                &position,
                h,
                &part,
                slot,
            );
            ns = before;
            relink(&mut next, &mut prev, return_of[slot]);
            relink(&mut next, &mut prev, invoke_of[slot]);
            cursor = next[invoke_of[slot]];
            continue;
        }
        let e = entries[cursor];
        let c = &h.calls[part[e.call]];
        let journal_ok = match position.get(&c.op_id) {
            Some(&p) => p == journal_next,
            None => true,
        };
        let mut after = ns.clone();
        let answer = if journal_ok {
            Some(client_ops::apply(&mut after, &c.op))
        } else {
            None
        };
        let fits = match (&answer, &c.end) {
            (None, _) => false,
            // A journaled mutation must change the namespace.
            (Some(Err(_)), _) if position.contains_key(&c.op_id) => false,
            (Some(_), End::Indeterminate) => true,
            (Some(a), End::Answered(told)) => a == told,
        };
        if fits {
            taken[e.call] = true;
            taken_count += 1;
            if position.contains_key(&c.op_id) {
                journal_next += 1;
            }
            if seen.insert((bits(&taken), after.digest())) {
                stack.push((e.call, std::mem::replace(&mut ns, after)));
                unlink(&mut next, &mut prev, invoke_of[e.call]);
                unlink(&mut next, &mut prev, return_of[e.call]);
                cursor = first(&next);
                continue;
            }
            // Explored before: take it back and try the next entry.
            taken[e.call] = false;
            taken_count -= 1;
            if position.contains_key(&c.op_id) {
                journal_next -= 1;
            }
        }
        cursor = next[cursor];
    }
}

/// Takes a call's effect back in the bookkeeping.
fn undo(
    taken: &mut [bool],
    taken_count: &mut usize,
    journal_next: &mut usize,
    position: &BTreeMap<u64, usize>,
    h: &ClientHistory,
    part: &[usize],
    slot: usize,
) {
    taken[slot] = false;
    *taken_count -= 1;
    if position.contains_key(&h.calls[part[slot]].op_id) {
        *journal_next -= 1;
    }
}
