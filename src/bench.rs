//! The benchmark behind the book's speed table (docs/src/speed.md): the harness's throughput beside the engine's own
//! limit, a bare madsim ping-pong that sends the same number of messages per runtime.

use crate::explore::{explore, Sweep};
use crate::memory::{peak_rss_mib, rss_mib};
use crate::model::Model;
use madsim::net::Endpoint;
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// A ping carries a counter; the pong returns it.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
struct Ping(u64);
crate::net::rpc_request!(Ping => u64, 0x9146);

/// Measured figures of one benchmark run.
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    /// Seeds run.
    pub seeds: u64,
    /// Seeds run at once.
    pub jobs: usize,
    /// Wall time of the model's seeds (the ping-pong rounds not included).
    pub wall_s: f64,
    /// Seeds per wall second.
    pub seeds_per_s: f64,
    /// Simulated seconds per wall second.
    pub sim_s_per_wall_s: f64,
    /// Failovers per wall minute.
    pub failovers_per_wall_min: f64,
    /// Messages the harness's runs sent.
    pub messages: u64,
    /// The harness's messages per wall second.
    pub messages_per_wall_s: f64,
    /// Bare madsim: one runtime per seed, two nodes, the harness's mean messages per seed.
    pub bare_messages_per_wall_s: f64,
    /// The harness's message rate as a fraction of the bare engine's: the median over rounds.
    pub harness_vs_bare: f64,
    /// The lowest and highest round's ratio.
    pub harness_vs_bare_range: (f64, f64),
    /// Seeds that failed.
    pub failed_seeds: usize,
    /// Each failure, with the command that reproduces it.
    pub failures: Vec<crate::failure::SeedFailure>,
    /// Resident memory after the first tenth of the seeds and at the end (MiB, Linux only).
    pub rss_mib_after_tenth: Option<f64>,
    /// Resident memory at the end (MiB).
    pub rss_mib_at_end: Option<f64>,
    /// The process's peak resident memory (MiB).
    pub peak_rss_mib: Option<f64>,
    /// The linearizability checkers' share of a run's wall time (simulation and every checker),
    /// measured one seed at a time over the first [`CHECKER_SAMPLE`] seeds.
    pub linearizable_share: f64,
    /// The same share for the exhaustive cross-check alone.
    pub wgl_share: f64,
    /// Every checker's share of a run's wall time, together (the rest is the simulation).
    pub checkers_share: f64,
    /// Each property's share of a run's wall time, by name, over the same seeds.
    pub checker_share: BTreeMap<String, f64>,
}

/// Seeds whose checker cost `bench` measures.
pub const CHECKER_SAMPLE: u64 = 100;

/// What the checkers cost, over the first [`CHECKER_SAMPLE`] seeds run one at a time.
struct CheckerShares {
    linearizable: f64,
    wgl: f64,
    all: f64,
    each: BTreeMap<String, f64>,
}

/// Wall time of whole runs (simulation and all checkers), and of each checker on their
/// histories again, one at a time; then of the linearizability checker's exhaustive cross-check
/// alone.
fn checker_shares(seeds: u64, model: &Model) -> CheckerShares {
    let (mut run_s, mut wgl_s) = (0.0, 0.0);
    let mut each: BTreeMap<String, f64> = BTreeMap::new();
    for seed in 1..=seeds.min(CHECKER_SAMPLE) {
        let wall = Instant::now();
        let Ok(outcome) = crate::run::run(seed, model.plan(seed)) else {
            continue;
        };
        run_s += wall.elapsed().as_secs_f64();
        let (events, options) = (&outcome.events, &outcome.plan.options);
        for p in crate::check::PROPERTIES {
            let wall = Instant::now();
            match p.kind() {
                crate::check::Kind::Sometimes => {
                    let _ = p.reached(events);
                }
                _ => {
                    let _ = p.violation(events, options);
                }
            }
            *each.entry(p.name.to_string()).or_insert(0.0) += wall.elapsed().as_secs_f64();
        }
        if let Some(h) = crate::check::client_ops::extract(events) {
            if h.calls.len() <= crate::check::linearizable::CROSS_CHECK_MAX_CALLS {
                let wall = Instant::now();
                let _ = crate::check::wgl::linearizable(&h, crate::check::wgl::STEP_BUDGET);
                wgl_s += wall.elapsed().as_secs_f64();
            }
        }
    }
    let run_s = run_s.max(1e-9);
    let all = each.values().sum::<f64>() / run_s;
    for share in each.values_mut() {
        *share /= run_s;
    }
    CheckerShares {
        linearizable: each.get("linearizable").copied().unwrap_or(0.0),
        wgl: wgl_s / run_s,
        all,
        each,
    }
}

/// Sends `messages` messages (requests and replies) between two nodes in a fresh runtime.
fn ping_pong(seed: u64, messages: u64) -> u64 {
    crate::sim::simulate(seed, None, move || async move {
        let handle = madsim::runtime::Handle::current();
        let server_addr: SocketAddr = "10.9.0.1:1".parse().unwrap();
        let server = handle
            .create_node()
            .ip(server_addr.ip())
            .init(move || async move {
                let ep = Endpoint::bind(server_addr).await.unwrap();
                ep.add_rpc_handler(|Ping(n)| async move { n });
                futures::future::pending::<()>().await;
            })
            .build();
        let client = handle.create_node().ip("10.9.0.2".parse().unwrap()).build();
        madsim::time::sleep(Duration::from_millis(1)).await;
        client
            .spawn(async move {
                let ep = Endpoint::bind("10.9.0.2:0".parse::<SocketAddr>().unwrap())
                    .await
                    .unwrap();
                for i in 0..messages / 2 {
                    let _ = ep.call(server_addr, Ping(i)).await;
                }
            })
            .await
            .unwrap();
        let sent = madsim::net::NetSim::current().stat().msg_count;
        handle.kill(server.id());
        sent
    })
    .expect("ping-pong runs")
}

/// Rounds the benchmark is split into; see [`bench()`].
pub const ROUNDS: u64 = 10;

/// Runs `seeds` seeds of the model (from seed 1) beside the bare ping-pong.
///
/// The seeds run in [`ROUNDS`] rounds, each followed by a round of the ping-pong with the
/// round's mean messages per seed. A shared machine's speed drifts by more than the difference
/// being measured, so each round's ratio compares two runs made seconds apart, and the reported
/// ratio is the median over rounds.
pub fn bench(seeds: u64, jobs: usize, model: &Model) -> BenchReport {
    let all: Vec<u64> = (1..=seeds).collect();
    let rounds = ROUNDS.min(seeds);
    let bare_runs = (seeds.min(2_000) / rounds).max(1);
    let mut sweep = Sweep::new();
    let (mut wall_s, mut bare_wall_s, mut bare_sent) = (0.0, 0.0, 0u64);
    let mut ratios = Vec::new();
    let mut rss_mib_after_tenth = None;
    for round in 0..rounds {
        let chunk =
            &all[(seeds * round / rounds) as usize..(seeds * (round + 1) / rounds) as usize];
        let wall = Instant::now();
        let part = explore(chunk, jobs, model, None, &|_| {});
        let part_wall = wall.elapsed().as_secs_f64();
        if round == 0 {
            rss_mib_after_tenth = rss_mib();
        }
        // The engine's own limit: as many messages per runtime, on as many threads.
        let per_seed = (part.messages / part.seeds.max(1)).max(2);
        let (sent, bare_wall) = bare(round * bare_runs, bare_runs, per_seed, jobs);
        ratios.push((part.messages as f64 / part_wall) / (sent as f64 / bare_wall));
        wall_s += part_wall;
        bare_wall_s += bare_wall;
        bare_sent += sent;
        sweep.merge(&part);
    }
    let rss_mib_at_end = rss_mib();
    let shares = checker_shares(seeds, model);
    ratios.sort_by(f64::total_cmp);
    let rates = sweep.rates(wall_s);
    BenchReport {
        seeds,
        jobs,
        wall_s,
        seeds_per_s: rates.seeds_per_s,
        sim_s_per_wall_s: rates.sim_s_per_wall_s,
        failovers_per_wall_min: rates.failovers_per_wall_min,
        messages: sweep.messages,
        messages_per_wall_s: rates.messages_per_wall_s,
        bare_messages_per_wall_s: bare_sent as f64 / bare_wall_s,
        harness_vs_bare: ratios[ratios.len() / 2],
        harness_vs_bare_range: (ratios[0], ratios[ratios.len() - 1]),
        failed_seeds: sweep.failed_seeds.len(),
        failures: sweep.violations,
        rss_mib_after_tenth,
        rss_mib_at_end,
        peak_rss_mib: peak_rss_mib(),
        linearizable_share: shares.linearizable,
        wgl_share: shares.wgl,
        checkers_share: shares.all,
        checker_share: shares.each,
    }
}

/// `runs` ping-pong runtimes (seeds `first..`) of `messages` each on `jobs` threads: messages
/// sent and wall seconds.
fn bare(first: u64, runs: u64, messages: u64, jobs: usize) -> (u64, f64) {
    let wall = Instant::now();
    let mut sent = 0;
    crate::pool::run(
        runs as usize,
        jobs,
        None,
        |i| ping_pong(first + i as u64, messages),
        |_, n| sent += n,
    );
    (sent, wall.elapsed().as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ping_pong_sends_the_messages_asked_for() {
        assert_eq!(ping_pong(3, 200), 200);
    }

    #[test]
    fn a_small_bench_reports_every_figure() {
        let r = bench(20, 2, &Model::fast());
        assert_eq!((r.seeds, r.failed_seeds), (20, 0));
        assert!(r.messages > 0 && r.bare_messages_per_wall_s > 0.0);
        let (lo, hi) = r.harness_vs_bare_range;
        assert!(lo <= r.harness_vs_bare && r.harness_vs_bare <= hi && lo > 0.0);
        assert!(r.rss_mib_after_tenth.is_some() && r.peak_rss_mib.is_some());
        assert!(r.linearizable_share > 0.0 && r.linearizable_share < 1.0);
        assert!(r.wgl_share > 0.0 && r.wgl_share < 1.0);
        assert!(r.checkers_share > r.linearizable_share && r.checkers_share < 1.0);
        assert_eq!(r.checker_share.len(), crate::check::PROPERTIES.len());
    }
}
