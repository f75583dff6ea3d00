//! Worker capacity (Always): the capacity and used bytes a primary reports for each worker are
//! what that worker has, through every failover.
//!
//! A worker's capacity and used bytes live in the primary's memory only, taken from its
//! registration, heartbeats and block commits, so a new primary knows them only as workers
//! register again. For each worker of a worker report (`get_worker_info_list`), read against the
//! workers' own events:
//! 1. the worker is one of the cluster's, and its capacity is the one it has
//!    (`worker.memory.size`, by its index);
//! 2. its used bytes are what the worker used at some time within the report bound before the
//!    answer (see `block_locations`): a heartbeat late, or until the master marks it lost.

use super::holdings::{report_bound_us, Holdings};
use super::{Breach, Check, Property};
use crate::history::{Event, EventKind};
use crate::net::Role;
use crate::op::FsReply;
use crate::options::Options;

/// The property, as the table in [`super::PROPERTIES`] lists it.
pub const PROPERTY: Property = Property {
    name: "worker_capacity",
    check: Check::Always(check),
};

/// The first breach of `worker_capacity` in `events`, if any.
pub fn check(events: &[Event], options: &Options) -> Option<Breach> {
    let mut holdings = Holdings::new(options);
    let bound_us = report_bound_us(options);
    for (i, e) in events.iter().enumerate() {
        holdings.step(e);
        let EventKind::Ok {
            by,
            reply: FsReply::Workers(workers),
            ..
        } = &e.kind
        else {
            continue;
        };
        let fail = |detail: String| Some(Breach::at(events, i, detail));
        for w in workers {
            let index = match Role::parse(&w.worker) {
                Some(Role::Worker(index)) if index < options.workers => index,
                _ => {
                    return fail(format!(
                        "{by} reported a worker {} that is not one",
                        w.worker
                    ))
                }
            };
            let capacity = options.worker_capacity_bytes(index);
            if w.capacity_bytes != capacity {
                return fail(format!(
                    "{by} reported {}'s capacity as {} bytes; it has {capacity}",
                    w.worker, w.capacity_bytes
                ));
            }
            let nodes = [by.as_str(), w.worker.as_str(), e.node.as_str()];
            let from = holdings.window_start(&nodes, e.at_us, bound_us);
            if !holdings.used_within(&w.worker, w.used_bytes, from, e.at_us) {
                return fail(format!(
                    "{by} reported {} using {} bytes, which it did not use within the report \
                     bound of {} ms before",
                    w.worker,
                    w.used_bytes,
                    bound_us / 1000
                ));
            }
        }
    }
    None
}
