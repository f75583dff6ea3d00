//! Settled blocks (Eventually): once the cluster has settled after the faults healed, every
//! block of every completed file is where the final primary says, on a live worker.
//!
//! At the end of the run the final primary is asked for the blocks of each file the journal
//! holds complete (`FinalBlockLocations`). Against the journal and the workers' own events:
//! 1. it answers each (its safe mode is long over), with the block ids the journal holds;
//! 2. every block of a completed file is held by some worker: a block that no worker has any more
//!    is lost data (a master that freed a block it should have known);
//! 3. a block a live worker holds has a location on a live worker that holds it (workers have
//!    registered again with the final primary, and their heartbeats reported since);
//! 4. no worker is named for a block it stopped serving longer ago than the report bound (see
//!    `block_locations`).

use super::holdings::{report_bound_us, Holdings};
use super::{Breach, Check, Property};
use crate::history::{Event, EventKind};
use crate::options::Options;

/// The property, as the table in [`super::PROPERTIES`] lists it.
pub const PROPERTY: Property = Property {
    name: "settled_blocks",
    check: Check::Eventually(check),
};

/// The first breach of `settled_blocks` in `events`, if any.
pub fn check(events: &[Event], options: &Options) -> Option<Breach> {
    let at = events
        .iter()
        .rposition(|e| matches!(e.kind, EventKind::FinalBlockLocations { .. }))?;
    let EventKind::FinalBlockLocations { files } = &events[at].kind else {
        unreachable!("found above")
    };
    let mut holdings = Holdings::new(options);
    for e in &events[..at] {
        holdings.step(e);
    }
    let probe = &events[at];
    let primary = probe.node.as_str();
    let fail = |detail: String| Some(Breach::at(events, at, detail));
    let bound_us = report_bound_us(options);
    for f in files {
        let Some(answer) = &f.answer else {
            return fail(format!(
                "the final primary {primary} refused the block locations of {}",
                f.path
            ));
        };
        let ids: Vec<u64> = answer.iter().map(|b| b.block_id).collect();
        if ids != f.blocks {
            return fail(format!(
                "{primary} answered blocks {ids:?} for {}; the journal holds {:?}",
                f.path, f.blocks
            ));
        }
        for b in answer {
            let storing = holdings.storing(b.block_id);
            if storing.is_empty() {
                return fail(format!(
                    "block {:#x} of {} is lost: no worker holds it",
                    b.block_id, f.path
                ));
            }
            let live = storing.iter().any(|w| holdings.serves(w, b.block_id));
            if live && !b.workers.iter().any(|w| holdings.serves(w, b.block_id)) {
                return fail(format!(
                    "{primary} locates block {:#x} of {} on {:?}, but it is on {:?}",
                    b.block_id, f.path, b.workers, storing
                ));
            }
            for w in &b.workers {
                if holdings.serves(w, b.block_id) {
                    continue;
                }
                let stopped = holdings.stopped_serving(w, b.block_id).unwrap_or(0);
                let from = holdings.window_start(&[primary, w.as_str()], probe.at_us, bound_us);
                if !holdings.ever_held(w, b.block_id) || stopped < from {
                    return fail(format!(
                        "{primary} locates block {:#x} of {} on {w}, which does not hold it",
                        b.block_id, f.path
                    ));
                }
            }
        }
    }
    None
}
