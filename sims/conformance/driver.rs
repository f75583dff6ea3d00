//! The Java driver (`conformance/Driver.java`): Curator clients run by script, against the real
//! server.

use crate::proxy::Proxy;
use crate::setup::{spawn, ZkServer, INSTALL, JVM};
use ftsim::conformance::{Observation, Reply, Schedule, Step, What};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How long one answer from the driver may take, and one scenario in all.
const REPLY_LIMIT: Duration = Duration::from_secs(30);

/// The driver process; killed on drop.
struct Driver {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<(Instant, serde_json::Value)>,
    /// Every line received so far, stamped on arrival.
    seen: Vec<(Instant, serde_json::Value)>,
}

impl Driver {
    /// Starts the driver and warms it up against `server` (see `warm` in Driver.java), through a
    /// cut to Curator's LOST too if `loss`.
    fn start(classpath: &str, server: SocketAddr, loss: bool) -> Driver {
        let loss = loss.then(|| Proxy::start(server));
        let mut cmd = Command::new("java");
        cmd.args(JVM)
            .args([
                "-Dorg.slf4j.simpleLogger.showDateTime=true",
                "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
            ])
            .arg("-cp")
            .arg(classpath)
            .arg("Driver")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = spawn(cmd)
            .unwrap_or_else(|e| panic!("cannot start the Java driver: {e}; `sudo {INSTALL}`"));
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                let value: serde_json::Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("driver printed {line:?}: {e}"));
                if tx.send((Instant::now(), value)).is_err() {
                    return;
                }
            }
        });
        let mut driver = Driver {
            child,
            stdin,
            lines,
            seen: vec![],
        };
        driver.wait_for(|v| v["ev"] == "ready");
        match &loss {
            Some(proxy) => driver.send(&format!("warm {server} {}", proxy.connect_string())),
            None => driver.send(&format!("warm {server}")),
        }
        loop {
            driver.wait_for(|v| v["ev"].as_str().is_some_and(|e| e.starts_with("warm")));
            let (_, v) = driver.seen.last().unwrap();
            let (Some(proxy), Some(cut)) = (
                &loss,
                ["warm-heal", "warm-cut"].iter().position(|e| v["ev"] == *e),
            ) else {
                break;
            };
            proxy.set(|l| l.cut = cut == 1);
            driver.send("go");
        }
        let (_, warm) = driver.seen.last().unwrap();
        if let Some(failure) = warm["failure"].as_str() {
            panic!("the driver's warm-up against ZooKeeper at {server} failed: {failure}");
        }
        driver.seen.clear();
        driver
    }

    fn send(&mut self, command: &str) {
        writeln!(self.stdin, "{command}").expect("the driver reads its commands");
        self.stdin.flush().unwrap();
    }

    /// Reads lines until one satisfies `f` (bounded by [`REPLY_LIMIT`]).
    fn wait_for(&mut self, f: impl Fn(&serde_json::Value) -> bool) {
        let deadline = Instant::now() + REPLY_LIMIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let (at, v) = self
                .lines
                .recv_timeout(left)
                .expect("the driver answered within 30 s");
            let done = f(&v);
            self.seen.push((at, v));
            if done {
                return;
            }
        }
    }

    fn drain(&mut self) {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "quit");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn reply_of(v: &serde_json::Value) -> Reply {
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
    match v["result"].as_str().unwrap_or_default() {
        "created" => Reply::Created(s("path")),
        "deleted" => Reply::Deleted,
        "stat" if v["exists"] == true => Reply::Stat {
            ctime: v["ctime"].as_i64().unwrap(),
            owner: s("owner"),
        },
        "stat" => Reply::NoStat,
        "children" => Reply::Children(
            v["children"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| (c[0].as_str().unwrap().to_string(), c[1].as_i64().unwrap()))
                .collect(),
        ),
        "error" => Reply::Error(s("code")),
        "expired" | "electing" | "closed" => Reply::Done,
        _ => Reply::Error(format!("driver failure: {}", s("message"))),
    }
}

fn observation_of(start: Instant, at: Instant, v: &serde_json::Value) -> Option<Observation> {
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
    let what = if let Some(id) = v["id"].as_u64() {
        What::Reply {
            step: id as usize,
            reply: reply_of(v),
        }
    } else {
        match v["ev"].as_str()? {
            "state" => What::State {
                state: s("state"),
                session: s("session"),
            },
            "watch" => What::Watch {
                path: s("path"),
                kind: s("kind"),
            },
            "watch-state" => What::WatcherState { state: s("state") },
            "leader" => What::Leader {
                leads: v["leads"] == true,
            },
            _ => return None,
        }
    };
    Some(Observation {
        at_ms: at.saturating_duration_since(start).as_millis() as u64,
        client: s("c"),
        what,
    })
}

/// A scenario's real side made ready before any script runs, so that starting JVMs costs no
/// scenario its timing: a warmed-up driver, and the scenario's own server if it stops one.
pub struct Prepared {
    driver: Driver,
    own: Option<ZkServer>,
}

impl Prepared {
    pub fn new(shared: SocketAddr, classpath: &str, script: &[Step]) -> Prepared {
        let own = script.contains(&Step::ServerDown).then(ZkServer::start);
        let server = own.as_ref().map_or(shared, |s| s.addr());
        // Scripts that cut, delay or stop the server see Curator's own LOST: warm that way up.
        let loss = script
            .iter()
            .any(|s| matches!(s, Step::Cut { .. } | Step::Delay { .. } | Step::ServerDown));
        Prepared {
            driver: Driver::start(classpath, server, loss),
            own,
        }
    }
}

/// Runs `script` against the real server (the shared one, or the scenario's own) and returns
/// what the clients observed, raw. The driver, the proxies and the scenario's own server are
/// gone when it returns, or unwinds.
pub fn run_on_zookeeper(
    prepared: Prepared,
    shared: SocketAddr,
    script: &[Step],
) -> Vec<Observation> {
    let Prepared {
        mut driver,
        mut own,
    } = prepared;
    let server = own.as_ref().map_or(shared, |s| s.addr());
    let mut proxies: BTreeMap<String, Proxy> = BTreeMap::new();
    let mut start = None;
    // Each step after the opening `Open`s runs once due (see `Schedule`).
    let mut schedule = Schedule::default();
    let wait = |start: Option<Instant>, schedule: &Schedule| {
        if let Some(start) = start {
            let due = start + Duration::from_millis(schedule.due());
            thread::sleep(due.saturating_duration_since(Instant::now()));
        }
    };
    for (i, step) in script.iter().enumerate() {
        if !matches!(step, Step::Open { .. }) && start.is_none() {
            start = Some(Instant::now());
        }
        wait(start, &schedule);
        if let (Some(start), Step::Sleep { ms }) = (start, step) {
            schedule.sleep(*ms, start.elapsed().as_millis() as u64);
        }
        let call = |driver: &mut Driver, command: String| {
            driver.send(&command);
            driver.wait_for(|v| v["id"].as_u64() == Some(i as u64));
        };
        match step {
            Step::Open {
                client,
                session_ms,
                connection_ms,
            } => {
                let proxy = Proxy::start(server);
                driver.send(&format!(
                    "open {client} {session_ms} {connection_ms} {}",
                    proxy.connect_string()
                ));
                proxies.insert(client.clone(), proxy);
                // The script goes on once the client is connected (a JVM takes its time).
                driver.wait_for(|v| v["c"] == client.as_str() && v["ev"] == "state");
            }
            Step::Create { client, path, mode } => call(
                &mut driver,
                format!("create {i} {client} {path} {}", mode.name()),
            ),
            Step::Delete { client, path } => {
                call(&mut driver, format!("delete {i} {client} {path}"))
            }
            Step::Exists {
                client,
                path,
                watch,
            } => call(
                &mut driver,
                format!("exists {i} {client} {path} {}", u8::from(*watch)),
            ),
            Step::Children { client, path } => {
                call(&mut driver, format!("children {i} {client} {path}"))
            }
            Step::StaleExists { client, path } => {
                call(&mut driver, format!("stale-exists {i} {client} {path}"))
            }
            Step::Expire { client } => call(
                &mut driver,
                format!("expire {i} {client} 127.0.0.1:{}", server.port()),
            ),
            Step::Elect { client, path } => call(&mut driver, format!("elect {i} {client} {path}")),
            Step::Close { client } => call(&mut driver, format!("close {i} {client}")),
            // The wait is the next step's (see above).
            Step::Sleep { .. } => {}
            Step::Cut { client } => proxies[client].set(|l| l.cut = true),
            Step::Heal { client } => proxies[client].set(|l| l.cut = false),
            Step::Delay { client, ms } => {
                proxies[client].set(|l| l.delay = Duration::from_millis(*ms))
            }
            Step::ServerDown => own.as_mut().unwrap().down(),
            Step::ServerUp => own.as_mut().unwrap().up(),
        }
    }
    wait(start, &schedule);
    driver.drain();
    let start = start.unwrap_or_else(Instant::now);
    let observations = driver
        .seen
        .iter()
        .filter_map(|(at, v)| observation_of(start, *at, v))
        .collect();
    drop(driver);
    drop(proxies);
    drop(own.take());
    observations
}
