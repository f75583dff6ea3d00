//! The nemesis: applies a fault schedule to a running cluster and heals it.
//!
//! Faults start at their time and are undone when their duration ends or when the safety phase
//! ends, whichever comes first. The nemesis only keeps time: each fault is applied and undone
//! through the cluster's levers ([`Cluster::inject`], [`Cluster::heal`]), which compose
//! overlapping faults and record every application and heal in the history.

use crate::cluster::{Cluster, InForce};
use crate::fault::ScheduledFault;
use madsim::time::{sleep_until, Instant};
use std::collections::BTreeMap;
use std::time::Duration;

/// Applies `faults` to `cluster` over a safety phase of `phase_ms` starting now, then heals
/// everything still active (and restarts masters that exited on their own, as a supervisor
/// would).
pub async fn run(cluster: &Cluster, faults: &[ScheduledFault], phase_ms: u64) {
    let start = Instant::now();
    // (time, 0 = heal before 1 = apply at the same instant, fault index)
    let mut timeline: Vec<(u64, u8, usize)> = vec![];
    for (i, f) in faults.iter().enumerate() {
        if f.at_ms >= phase_ms {
            continue;
        }
        timeline.push((f.at_ms, 1, i));
        let end = f.at_ms.saturating_add(f.for_ms);
        if f.for_ms > 0 && end < phase_ms {
            timeline.push((end, 0, i));
        }
    }
    timeline.sort();
    let mut active: BTreeMap<usize, InForce> = BTreeMap::new();
    for (at, what, i) in timeline {
        sleep_until(start + Duration::from_millis(at)).await;
        if what == 1 {
            if let Ok(applied) = cluster.inject(faults[i].fault.clone()) {
                active.insert(i, applied);
            }
        } else if let Some(applied) = active.remove(&i) {
            cluster.heal(applied);
        }
    }
    sleep_until(start + Duration::from_millis(phase_ms)).await;
    for (_, applied) in std::mem::take(&mut active).into_iter().rev() {
        cluster.heal(applied);
    }
    let _ = cluster.restart_exited();
}
