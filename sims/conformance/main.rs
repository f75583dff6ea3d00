//! The ZooKeeper model against the real thing: ZooKeeper 3.8 and Apache Curator.
//!
//! Each scenario is a script ([`ftsim::conformance::Step`]) run twice: on the model under
//! madsim (several seeds), and against a real ZooKeeper 3.8 server that this test starts on
//! loopback (its own data directory, `tickTime` 100 ms) with Curator clients in a Java driver
//! (`conformance/Driver.java`, compiled here against Debian's jars). Every client reaches the
//! server through a TCP proxy inside this test that can cut or delay its traffic. What the
//! clients observe (answers, connection states, watch events, leadership) is normalised and
//! compared per client: the same observations in the same order, each at the same time within
//! the scenario's stated tolerance. A difference the suite knows of is declared in its scenario
//! with the reason it does not matter for Alluxio's failover (`docs/src/conformance.md`), and
//! must still be seen: a model fix that removes it fails the test until the declaration goes.
//!
//! The suite runs in three phases, so that no scenario's timing pays for another's CPU: every
//! scenario's driver is started and warmed up first (JVMs are slow to start), then the scripts
//! run against ZooKeeper (a few at once: they mostly wait), then on the model (CPU only).
//! `CONFORMANCE_ONLY=<part of a name>` runs only the matching scenarios; `CONFORMANCE_SHOW=1`
//! prints what the real side and the model's first seed observed.
//!
//! Needs: `apt-get install -y zookeeper libcurator-framework-java libcurator-recipes-java
//! libslf4j-java default-jdk` (`.ci/run` installs them). Without them the test fails, naming that command.

mod compare;
mod driver;
mod proxy;
mod scenarios_leader;
mod scenarios_sessions;
mod scenarios_znodes;
mod script;
mod setup;

use compare::{compare, describe, Scenario};
use driver::{run_on_zookeeper, Prepared};
use ftsim::conformance::{normalise, run_on_model, Observation};
use setup::{check_prerequisites, compile_driver, scratch, ZkServer};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The whole suite's bound (it takes about a minute on two cores).
const SUITE_LIMIT: Duration = Duration::from_secs(360);
/// Model seeds per scenario.
const SEEDS: u64 = 8;
/// Drivers started at once, and model runs: CPU-bound, one per core.
const CPU_BOUND: usize = 2;
/// Scripts run at once against ZooKeeper (each with its own clients and paths; a script that
/// restarts the server has a server of its own).
const SCRIPTS_AT_ONCE: usize = 4;

fn all_scenarios() -> Vec<Scenario> {
    let mut all = scenarios_znodes::scenarios();
    all.extend(scenarios_sessions::scenarios());
    all.extend(scenarios_leader::scenarios());
    all
}

/// Runs `f` on each item, on `threads` threads, and returns the results in the items' order (a
/// panic becomes its message). Panics if `deadline` passes first: the processes the unfinished
/// work started die with the test process.
fn in_parallel<T: Send + 'static, R: Send + 'static>(
    items: Vec<T>,
    threads: usize,
    deadline: Instant,
    what: &str,
    f: impl Fn(T) -> R + Send + Sync + 'static,
) -> Vec<Result<R, String>> {
    let n = items.len();
    let queue = Arc::new(Mutex::new(items.into_iter().enumerate()));
    let f = Arc::new(f);
    let (tx, rx) = mpsc::channel();
    for _ in 0..threads.min(n) {
        let (queue, f, tx) = (queue.clone(), f.clone(), tx.clone());
        thread::spawn(move || loop {
            let Some((i, item)) = queue.lock().unwrap().next() else {
                return;
            };
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(item)))
                .map_err(|panic| ftsim::sim::panic_message(panic.as_ref()));
            if tx.send((i, result)).is_err() {
                return;
            }
        });
    }
    drop(tx);
    let mut results: Vec<Option<Result<R, String>>> = (0..n).map(|_| None).collect();
    for _ in 0..n {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((i, r)) => results[i] = Some(r),
            Err(_) => panic!(
                "the conformance suite ran past its {} s bound while {what}",
                SUITE_LIMIT.as_secs()
            ),
        }
    }
    results.into_iter().map(Option::unwrap).collect()
}

/// Removes what earlier runs left behind if they were killed.
fn clear_leftovers() {
    let _ = std::fs::remove_dir_all(scratch());
    std::fs::create_dir_all(scratch()).unwrap();
}

#[test]
fn the_model_observes_what_zookeeper_and_curator_do() {
    check_prerequisites();
    clear_leftovers();
    let started = Instant::now();
    let deadline = started + SUITE_LIMIT;
    let classpath = Arc::new(compile_driver());
    let server = ZkServer::start();
    let addr = server.addr();
    let mut scenarios = all_scenarios();
    assert!(scenarios.len() >= 15);
    if let Ok(only) = std::env::var("CONFORMANCE_ONLY") {
        scenarios.retain(|s| s.name.contains(&only));
        assert!(
            !scenarios.is_empty(),
            "CONFORMANCE_ONLY={only} matches no scenario"
        );
    }
    let scenarios = Arc::new(scenarios);
    let indices: Vec<usize> = (0..scenarios.len()).collect();

    let (s, cp) = (scenarios.clone(), classpath.clone());
    let prepared = in_parallel(
        indices.clone(),
        CPU_BOUND,
        deadline,
        "starting drivers",
        move |i| Prepared::new(addr, &cp, &s[i].script),
    );
    let prepared_at = started.elapsed();

    let s = scenarios.clone();
    let real = in_parallel(
        prepared.into_iter().enumerate().collect(),
        SCRIPTS_AT_ONCE,
        deadline,
        "running scripts on ZooKeeper",
        move |(i, prepared): (usize, Result<Prepared, String>)| {
            let begun = Instant::now();
            let prepared = prepared.unwrap_or_else(|e| panic!("{e}"));
            let real = normalise(&run_on_zookeeper(prepared, addr, &s[i].script));
            (real, begun.elapsed())
        },
    );
    drop(server);
    let real_at = started.elapsed();

    let s = scenarios.clone();
    let model = in_parallel(
        indices,
        CPU_BOUND,
        deadline,
        "running scripts on the model",
        move |i| {
            (1..=SEEDS)
                .map(|seed| normalise(&run_on_model(seed, &s[i].script)))
                .collect::<Vec<Vec<Observation>>>()
        },
    );

    let show = std::env::var("CONFORMANCE_SHOW").is_ok();
    let mut failed = vec![];
    for ((s, real), model) in scenarios.iter().zip(real).zip(model) {
        let (problems, wall) = match (real, model) {
            (Ok((real, wall)), Ok(model)) => {
                if show {
                    println!("{}:", s.name);
                    for o in &real {
                        println!("    real    {}", describe(o));
                    }
                    for o in &model[0] {
                        println!("    model 1 {}", describe(o));
                    }
                }
                let problems = (1..=SEEDS)
                    .zip(&model)
                    .flat_map(|(seed, m)| {
                        compare(s, m, &real)
                            .into_iter()
                            .map(move |p| format!("seed {seed}: {p}"))
                    })
                    .collect();
                (problems, wall)
            }
            (Err(e), _) => (vec![format!("the real side failed: {e}")], Duration::ZERO),
            (_, Err(e)) => (vec![format!("the model side failed: {e}")], Duration::ZERO),
        };
        let verdict = if !problems.is_empty() {
            "DIFFERS"
        } else if s.known.is_empty() {
            "agrees"
        } else {
            "agrees, with known differences"
        };
        println!(
            "{:<36} {:<32} {:>5.1} s",
            s.name,
            verdict,
            wall.as_secs_f64()
        );
        if !problems.is_empty() {
            failed.push(format!("{}:\n{}", s.name, problems.join("\n")));
        }
    }
    println!(
        "conformance suite: {:.1} s (drivers ready at {:.1} s, ZooKeeper side done at {:.1} s)",
        started.elapsed().as_secs_f64(),
        prepared_at.as_secs_f64(),
        real_at.as_secs_f64()
    );
    assert!(
        failed.is_empty(),
        "the model differs from ZooKeeper/Curator:\n{}",
        failed.join("\n\n")
    );
}
