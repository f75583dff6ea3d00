//! The benchmark behind README's speed table: the harness's throughput beside the engine's own
//! limit, a bare madsim ping-pong that sends the same number of messages per runtime.

use crate::explore::{explore, Sweep};
use crate::swarm::Plan;
use madsim::net::Endpoint;
use serde::Serialize;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// A ping carries a counter; the pong returns it.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
struct Ping(u64);
crate::rpc_request!(Ping => u64, 0x9146);

/// Measured figures of one benchmark run.
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    pub seeds: u64,
    pub jobs: usize,
    pub wall_s: f64,
    pub seeds_per_s: f64,
    pub sim_s_per_wall_s: f64,
    pub failovers_per_wall_min: f64,
    pub messages: u64,
    pub messages_per_wall_s: f64,
    /// Bare madsim: one runtime per seed, two nodes, the harness's mean messages per seed.
    pub bare_messages_per_wall_s: f64,
    /// The harness's message rate as a fraction of the bare engine's.
    pub harness_vs_bare: f64,
    pub failed_seeds: usize,
    /// Resident memory after the first tenth of the seeds and at the end (MiB, Linux only).
    pub rss_mib_after_tenth: Option<f64>,
    pub rss_mib_at_end: Option<f64>,
    pub peak_rss_mib: Option<f64>,
}

/// A line of `/proc/self/status` in MiB.
pub fn proc_status_mib(key: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
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

/// Runs `seeds` seeds of the model (from seed 1), then the bare ping-pong for comparison.
pub fn bench(seeds: u64, jobs: usize, plan_for: &(dyn Fn(u64) -> Plan + Sync)) -> BenchReport {
    let replay = |s: u64| format!("ftsim run --seed {s}");
    let tenth = (seeds / 10).max(1);
    let all: Vec<u64> = (1..=seeds).collect();
    let wall = Instant::now();
    let mut sweep: Sweep = explore(
        &all[..tenth as usize],
        jobs,
        plan_for,
        None,
        &replay,
        &|_| {},
    );
    let rss_mib_after_tenth = proc_status_mib("VmRSS:");
    sweep.merge(&explore(
        &all[tenth as usize..],
        jobs,
        plan_for,
        None,
        &replay,
        &|_| {},
    ));
    let wall_s = wall.elapsed().as_secs_f64();
    let rss_mib_at_end = proc_status_mib("VmRSS:");

    // The engine's own limit: the same messages per runtime, as many runtimes, same jobs.
    let per_seed = (sweep.messages / sweep.seeds.max(1)).max(2);
    let bare_runs = seeds.min(2_000);
    let next = std::sync::atomic::AtomicU64::new(0);
    let sent = std::sync::atomic::AtomicU64::new(0);
    let bare = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= bare_runs {
                    break;
                }
                sent.fetch_add(ping_pong(i, per_seed), std::sync::atomic::Ordering::Relaxed);
            });
        }
    });
    let bare_rate = sent.into_inner() as f64 / bare.elapsed().as_secs_f64();
    let rate = sweep.messages as f64 / wall_s;
    BenchReport {
        seeds,
        jobs,
        wall_s,
        seeds_per_s: seeds as f64 / wall_s,
        sim_s_per_wall_s: sweep.sim_ms as f64 / 1000.0 / wall_s,
        failovers_per_wall_min: sweep.failovers as f64 / wall_s * 60.0,
        messages: sweep.messages,
        messages_per_wall_s: rate,
        bare_messages_per_wall_s: bare_rate,
        harness_vs_bare: rate / bare_rate,
        failed_seeds: sweep.failed_seeds.len(),
        rss_mib_after_tenth,
        rss_mib_at_end,
        peak_rss_mib: proc_status_mib("VmHWM:"),
    }
}
