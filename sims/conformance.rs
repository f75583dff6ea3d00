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
//! Needs: `apt-get install -y zookeeper libcurator-framework-java libcurator-recipes-java
//! default-jdk` (`.ci/run` installs them). Without them the test fails, naming that command.

use ftsim::conformance::{normalise, run_on_model, Mode, Observation, Reply, Step, What};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const INSTALL: &str = "apt-get install -y zookeeper libcurator-framework-java \
                       libcurator-recipes-java default-jdk";
const JARS: &str = "/usr/share/java";
/// How long one answer from the driver may take, and one scenario in all.
const REPLY_LIMIT: Duration = Duration::from_secs(30);
const SCENARIO_LIMIT: Duration = Duration::from_secs(90);
/// Model seeds per scenario.
const SEEDS: u64 = 8;
/// Scenarios run at once (each against its own clients; restarts on a server of their own).
const PARALLEL: usize = 4;

// ---------------------------------------------------------------------------------------------
// Prerequisites and processes

fn need(path: &str) {
    assert!(
        Path::new(path).exists(),
        "the conformance suite needs {path}, which is missing: install ZooKeeper 3.8 and Curator \
         with `sudo {INSTALL}` (.ci/run does)"
    );
}

fn check_prerequisites() {
    for jar in [
        "zookeeper.jar",
        "zookeeper-jute.jar",
        "curator-client.jar",
        "curator-framework.jar",
        "curator-recipes.jar",
        "slf4j-nop.jar",
    ] {
        need(&format!("{JARS}/{jar}"));
    }
    for tool in ["java", "javac"] {
        let found = Command::new(tool)
            .arg("-version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            found,
            "the conformance suite needs `{tool}` (a JDK): install it with `sudo {INSTALL}`"
        );
    }
}

/// The child dies with the thread that started it (the suite's threads outlive what they start),
/// so nothing is left running if the test process is killed.
fn die_with_parent(cmd: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt;
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        })
    }
}

fn scratch() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("conformance")
}

static UNIQUE: AtomicUsize = AtomicUsize::new(0);

fn fresh_dir(kind: &str) -> PathBuf {
    let n = UNIQUE.fetch_add(1, Ordering::SeqCst);
    let dir = scratch().join(format!("{kind}-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Compiles the driver once per run; returns the classpath that runs it.
fn compile_driver() -> String {
    let out = scratch().join(format!("driver-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let jars = ["curator-recipes", "curator-framework", "curator-client", "zookeeper", "zookeeper-jute"]
        .map(|j| format!("{JARS}/{j}.jar"))
        .join(":");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/Driver.java");
    let status = Command::new("javac")
        .arg("-nowarn")
        .arg("-d")
        .arg(&out)
        .arg("-cp")
        .arg(&jars)
        .arg(&source)
        .status()
        .expect("javac runs");
    assert!(status.success(), "javac failed on {}", source.display());
    format!("{}:{jars}:{JARS}/slf4j-nop.jar", out.display())
}

/// A real ZooKeeper 3.8 server on loopback, with its own data directory; killed and removed on
/// drop.
struct ZkServer {
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl ZkServer {
    fn start() -> ZkServer {
        let dir = fresh_dir("zookeeper");
        let port = free_port();
        let config = format!(
            "tickTime={}\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n\
             minSessionTimeout=200\nmaxSessionTimeout=60000\nadmin.enableServer=false\n\
             4lw.commands.whitelist=srvr\n",
            ftsim::conformance::TICK_MS,
            dir.join("data").display()
        );
        std::fs::write(dir.join("zoo.cfg"), config).unwrap();
        let mut server = ZkServer {
            dir,
            port,
            child: None,
        };
        server.up();
        server
    }

    /// Starts the server process and waits until it serves.
    fn up(&mut self) {
        assert!(self.child.is_none());
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("server.log"))
            .unwrap();
        let child = die_with_parent(
            Command::new("java")
                .arg("-Xmx256m")
                .arg("-cp")
                .arg(format!("{JARS}/zookeeper.jar:{JARS}/slf4j-nop.jar"))
                .arg("org.apache.zookeeper.server.ZooKeeperServerMain")
                .arg(self.dir.join("zoo.cfg"))
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log),
        )
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start ZooKeeper (java): {e}; install it with `sudo {INSTALL}`")
        });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.serves() {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "ZooKeeper exited ({status}) at start; see {}; install it with `sudo {INSTALL}`",
                    self.dir.join("server.log").display()
                );
            }
            assert!(
                Instant::now() < deadline,
                "ZooKeeper did not serve on 127.0.0.1:{} within 30 s",
                self.port
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    fn serves(&self) -> bool {
        let Ok(mut s) = TcpStream::connect_timeout(&self.addr(), Duration::from_millis(200)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
        let mut answer = String::new();
        s.write_all(b"srvr").is_ok()
            && s.read_to_string(&mut answer).is_ok()
            && answer.contains("Mode: standalone")
    }

    /// Kills the server process (a crash: its data directory stays).
    fn down(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }
}

impl Drop for ZkServer {
    fn drop(&mut self) {
        self.down();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

// ---------------------------------------------------------------------------------------------
// The proxy

#[derive(Default)]
struct Link {
    /// Nothing passes; what is sent meanwhile is held and delivered when healed, as TCP
    /// retransmission delivers it after a partition heals.
    cut: bool,
    delay: Duration,
    closed: bool,
}

#[derive(Default)]
struct ProxyShared {
    link: Mutex<Link>,
    changed: Condvar,
    streams: Mutex<Vec<TcpStream>>,
}

/// One client's way to the server: three listening ports (the client sees an ensemble of three
/// addresses, all reaching the one server), each connection forwarded both ways.
struct Proxy {
    ports: Vec<u16>,
    shared: Arc<ProxyShared>,
    listeners: Vec<thread::JoinHandle<()>>,
}

enum Chunk {
    Bytes(Instant, Vec<u8>),
    End,
}

impl Proxy {
    fn start(upstream: SocketAddr) -> Proxy {
        let shared = Arc::new(ProxyShared::default());
        let mut ports = vec![];
        let mut listeners = vec![];
        for _ in 0..3 {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            listener.set_nonblocking(true).unwrap();
            ports.push(listener.local_addr().unwrap().port());
            let shared = shared.clone();
            listeners.push(thread::spawn(move || loop {
                if shared.link.lock().unwrap().closed {
                    return;
                }
                match listener.accept() {
                    Ok((client, _)) => Proxy::connect(&shared, client, upstream),
                    Err(_) => thread::sleep(Duration::from_millis(2)),
                }
            }));
        }
        Proxy {
            ports,
            shared,
            listeners,
        }
    }

    fn connect(shared: &Arc<ProxyShared>, client: TcpStream, upstream: SocketAddr) {
        client.set_nonblocking(false).unwrap();
        let Ok(server) = TcpStream::connect_timeout(&upstream, Duration::from_secs(1)) else {
            // The server is down: the connection is refused.
            return;
        };
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        {
            let mut streams = shared.streams.lock().unwrap();
            streams.push(client.try_clone().unwrap());
            streams.push(server.try_clone().unwrap());
        }
        Proxy::pump(shared, client.try_clone().unwrap(), server.try_clone().unwrap());
        Proxy::pump(shared, server, client);
    }

    /// Forwards `from` to `to`: a reader stamps each chunk, a writer sends it once the link is
    /// not cut and its delay has passed.
    fn pump(shared: &Arc<ProxyShared>, mut from: TcpStream, mut to: TcpStream) {
        let (tx, rx) = mpsc::channel::<Chunk>();
        thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match from.read(&mut buf) {
                    Ok(0) | Err(_) => {
                        let _ = tx.send(Chunk::End);
                        return;
                    }
                    Ok(n) => {
                        if tx.send(Chunk::Bytes(Instant::now(), buf[..n].to_vec())).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        let shared = shared.clone();
        thread::spawn(move || {
            for chunk in rx {
                let at = match &chunk {
                    Chunk::Bytes(at, _) => Some(*at),
                    Chunk::End => None,
                };
                let mut link = shared.link.lock().unwrap();
                loop {
                    if link.closed {
                        return;
                    }
                    let due = at.map(|at| at + link.delay);
                    let now = Instant::now();
                    if link.cut {
                        link = shared.changed.wait_timeout(link, Duration::from_millis(20)).unwrap().0;
                    } else if let Some(due) = due.filter(|d| *d > now) {
                        link = shared.changed.wait_timeout(link, due - now).unwrap().0;
                    } else {
                        break;
                    }
                }
                drop(link);
                match chunk {
                    Chunk::Bytes(_, bytes) => {
                        if to.write_all(&bytes).is_err() {
                            return;
                        }
                    }
                    Chunk::End => {
                        let _ = to.shutdown(Shutdown::Write);
                        return;
                    }
                }
            }
        });
    }

    fn connect_string(&self) -> String {
        self.ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    fn set(&self, f: impl FnOnce(&mut Link)) {
        f(&mut self.shared.link.lock().unwrap());
        self.shared.changed.notify_all();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.set(|l| l.closed = true);
        for s in self.shared.streams.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
        for l in self.listeners.drain(..) {
            let _ = l.join();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The Java driver

/// The driver process; killed on drop.
struct Driver {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<(Instant, serde_json::Value)>,
    /// Every line received so far, stamped on arrival.
    seen: Vec<(Instant, serde_json::Value)>,
}

impl Driver {
    fn start(classpath: &str) -> Driver {
        let mut child = die_with_parent(
            Command::new("java")
                .arg("-Xmx256m")
                .arg("-cp")
                .arg(classpath)
                .arg("Driver")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit()),
        )
        .spawn()
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

/// Runs `script` against the real server (the shared one, or one of its own if the script stops
/// the server) and returns what the clients observed, raw.
fn run_on_zookeeper(shared: SocketAddr, classpath: &str, script: &[Step]) -> Vec<Observation> {
    let mut own = script
        .iter()
        .any(|s| *s == Step::ServerDown)
        .then(ZkServer::start);
    let server = own.as_ref().map_or(shared, |s| s.addr());
    let mut driver = Driver::start(classpath);
    let mut proxies: BTreeMap<String, Proxy> = BTreeMap::new();
    let mut start = None;
    for (i, step) in script.iter().enumerate() {
        if !matches!(step, Step::Open { .. }) && start.is_none() {
            start = Some(Instant::now());
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
            Step::Create { client, path, mode } => {
                call(&mut driver, format!("create {i} {client} {path} {}", mode.name()))
            }
            Step::Delete { client, path } => call(&mut driver, format!("delete {i} {client} {path}")),
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
            Step::Sleep { ms } => thread::sleep(Duration::from_millis(*ms)),
            Step::Cut { client } => proxies[client].set(|l| l.cut = true),
            Step::Heal { client } => proxies[client].set(|l| l.cut = false),
            Step::Delay { client, ms } => {
                proxies[client].set(|l| l.delay = Duration::from_millis(*ms))
            }
            Step::ServerDown => own.as_mut().unwrap().down(),
            Step::ServerUp => own.as_mut().unwrap().up(),
        }
    }
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

// ---------------------------------------------------------------------------------------------
// Scenarios

/// A difference the suite knows of: an observation one side makes and the other does not (it
/// must still be seen), or, with `timing_only`, an observation both make whose time differs by
/// more than the tolerance (its time is not compared).
struct Known {
    side: Side,
    client: &'static str,
    what: What,
    timing_only: bool,
    /// Why it does not matter for Alluxio's failover (docs/src/conformance.md says more).
    reason: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Model,
    Real,
}

struct Scenario {
    name: &'static str,
    script: Vec<Step>,
    /// Observations compared must agree in time within this many milliseconds.
    tolerance_ms: u64,
    /// Why that tolerance.
    tolerance: &'static str,
    known: Vec<Known>,
}

/// Builds scripts tersely.
struct S(Vec<Step>);

impl S {
    fn new() -> S {
        S(vec![])
    }
    fn open(mut self, c: &str, session_ms: u64) -> S {
        self.0.push(Step::Open {
            client: c.into(),
            session_ms,
            connection_ms: session_ms / 2,
        });
        self
    }
    fn create(mut self, c: &str, path: &str, mode: Mode) -> S {
        self.0.push(Step::Create {
            client: c.into(),
            path: path.into(),
            mode,
        });
        self
    }
    fn dir(self, c: &str, path: &str) -> S {
        self.create(c, path, Mode::Persistent)
    }
    fn delete(mut self, c: &str, path: &str) -> S {
        self.0.push(Step::Delete {
            client: c.into(),
            path: path.into(),
        });
        self
    }
    fn exists(mut self, c: &str, path: &str) -> S {
        self.0.push(Step::Exists {
            client: c.into(),
            path: path.into(),
            watch: false,
        });
        self
    }
    fn watch(mut self, c: &str, path: &str) -> S {
        self.0.push(Step::Exists {
            client: c.into(),
            path: path.into(),
            watch: true,
        });
        self
    }
    fn children(mut self, c: &str, path: &str) -> S {
        self.0.push(Step::Children {
            client: c.into(),
            path: path.into(),
        });
        self
    }
    fn stale_exists(mut self, c: &str, path: &str) -> S {
        self.0.push(Step::StaleExists {
            client: c.into(),
            path: path.into(),
        });
        self
    }
    fn expire(mut self, c: &str) -> S {
        self.0.push(Step::Expire { client: c.into() });
        self
    }
    fn elect(mut self, c: &str, path: &str) -> S {
        self.0.push(Step::Elect {
            client: c.into(),
            path: path.into(),
        });
        self
    }
    fn close(mut self, c: &str) -> S {
        self.0.push(Step::Close { client: c.into() });
        self
    }
    fn sleep(mut self, ms: u64) -> S {
        self.0.push(Step::Sleep { ms });
        self
    }
    fn cut(mut self, c: &str) -> S {
        self.0.push(Step::Cut { client: c.into() });
        self
    }
    fn heal(mut self, c: &str) -> S {
        self.0.push(Step::Heal { client: c.into() });
        self
    }
    fn delay(mut self, c: &str, ms: u64) -> S {
        self.0.push(Step::Delay {
            client: c.into(),
            ms,
        });
        self
    }
    fn server_down(mut self) -> S {
        self.0.push(Step::ServerDown);
        self
    }
    fn server_up(mut self) -> S {
        self.0.push(Step::ServerUp);
        self
    }
}

fn state(state: &str, session: &str) -> What {
    What::State {
        state: state.into(),
        session: session.into(),
    }
}

/// A RECONNECTED is compared within ZooKeeper's reconnect delay (a random time below 1 s, drawn
/// independently on each side) and a little more.
const RECONNECT_TOLERANCE_MS: u64 = 1100;

fn known(side: Side, client: &'static str, what: What, reason: &'static str) -> Known {
    Known {
        side,
        client,
        what,
        timing_only: false,
        reason,
    }
}

fn late(client: &'static str, what: What, reason: &'static str) -> Known {
    Known {
        side: Side::Model,
        client,
        what,
        timing_only: true,
        reason,
    }
}

const WATCHER_STATES: &str = "ZooKeeper also tells a session's watchers of Disconnected and \
    Expired; the model tells its subscribers through connection states only, which is what \
    Curator's recipes and Alluxio's selector act on";
const OUTAGE: &str = "a real server that stops closes its clients' connections: SUSPENDED at \
    once; the model's ZooKeeper outage (the nemesis's zookeeper-unavailable) is silence, so \
    SUSPENDED comes at the read timeout, and Curator's LOST that much later; no master can be \
    elected while ZooKeeper is down and every timer restarts when it returns, so no second \
    primary comes of it (docs/src/conformance.md)";
const LATENCY: &str = "ZooKeeper pings a third of the session timeout after the client last \
    sent anything, so a round trip longer than a third of the session timeout outlasts the read \
    timeout; the model pings on its own schedule and waits for the answer, so latency below the \
    read timeout never suspends it (docs/src/conformance.md)";
const RESET: &str = "Curator, asked for a call while SUSPENDED, waits for the connection and \
    then resets its handle (ConnectionState.checkTimeouts) rather than failing at its connection \
    timeout; the model's call fails at the connection timeout and the client keeps its \
    reconnect schedule; the outcomes (ConnectionLoss, then LOST and a new session) agree \
    (docs/src/conformance.md)";

const OPS: &str = "calls answer within a round trip on both sides (model: 1 to 10 ms each way)";

fn scenarios() -> Vec<Scenario> {
    use Mode::*;
    let mut all = vec![];
    all.push(Scenario {
        name: "persistent-znodes",
        script: S::new()
            .open("a", 2000)
            .sleep(300)
            .dir("a", "/p1")
            .dir("a", "/p1")
            .dir("a", "/p1/x/y")
            .dir("a", "/p1/x")
            .delete("a", "/p1")
            .delete("a", "/p1/x")
            .delete("a", "/p1/x")
            .exists("a", "/p1")
            .delete("a", "/p1")
            .exists("a", "/p1")
            .sleep(100)
            .0,
        tolerance_ms: 150,
        tolerance: OPS,
        known: vec![],
    });
    all.push(Scenario {
        name: "sequential-names",
        script: S::new()
            .open("a", 2000)
            .sleep(300)
            .dir("a", "/p2")
            .create("a", "/p2/n-", PersistentSequential)
            .create("a", "/p2/n-", PersistentSequential)
            .create("a", "/p2/e-", EphemeralSequential)
            .delete("a", "/p2/n-0000000001")
            .create("a", "/p2/n-", PersistentSequential)
            .children("a", "/p2")
            .sleep(100)
            .0,
        tolerance_ms: 150,
        tolerance: OPS,
        known: vec![],
    });
    all.push(Scenario {
        name: "sequence-counts-every-child",
        script: S::new()
            .open("a", 2000)
            .sleep(300)
            .dir("a", "/p3")
            .dir("a", "/p3/plain")
            .create("a", "/p3/e", Ephemeral)
            .create("a", "/p3/n-", PersistentSequential)
            .dir("a", "/p3/plain")
            .create("a", "/p3/n-", EphemeralSequential)
            .sleep(100)
            .0,
        tolerance_ms: 150,
        tolerance: OPS,
        known: vec![],
    });
    all.push(Scenario {
        name: "ctime-order",
        script: S::new()
            .open("a", 2000)
            .sleep(300)
            .dir("a", "/p4")
            .dir("a", "/p4/a")
            .sleep(30)
            .create("a", "/p4/b", Ephemeral)
            .sleep(30)
            .create("a", "/p4/c-", EphemeralSequential)
            .children("a", "/p4")
            .exists("a", "/p4/b")
            .exists("a", "/p4/a")
            .sleep(100)
            .0,
        tolerance_ms: 150,
        tolerance: "calls answer within a round trip; creates 30 ms apart, so ctimes (ms on the \
                    real server) never tie",
        known: vec![],
    });
    all.push(Scenario {
        name: "ephemeral-owner-and-close",
        script: S::new()
            .open("a", 2000)
            .open("b", 2000)
            .sleep(300)
            .dir("a", "/p5")
            .create("a", "/p5/e", Ephemeral)
            .exists("b", "/p5/e")
            .create("a", "/p5/e/child", Persistent)
            .watch("b", "/p5/e")
            .close("a")
            .sleep(300)
            .exists("b", "/p5/e")
            .sleep(100)
            .0,
        tolerance_ms: 150,
        tolerance: "calls within a round trip; a closed session's ephemerals go at once",
        known: vec![],
    });
    all.push(Scenario {
        name: "watch-fires-once",
        script: S::new()
            .open("a", 2000)
            .open("b", 2000)
            .sleep(300)
            .dir("a", "/p6")
            .watch("b", "/p6/x")
            .watch("b", "/p6/x")
            .create("a", "/p6/x", Persistent)
            .sleep(100)
            .delete("a", "/p6/x")
            .sleep(100)
            .watch("b", "/p6/x")
            .create("a", "/p6/x", Persistent)
            .sleep(100)
            .watch("b", "/p6/x")
            .delete("a", "/p6/x")
            .sleep(100)
            .create("a", "/p6/x", Persistent)
            .sleep(200)
            .0,
        tolerance_ms: 150,
        tolerance: "a watch event follows its change within a round trip",
        known: vec![],
    });
    all.push(Scenario {
        name: "watch-order",
        script: S::new()
            .open("a", 2000)
            .open("b", 2000)
            .sleep(300)
            .dir("a", "/p7")
            .watch("b", "/p7/3")
            .watch("b", "/p7/1")
            .watch("b", "/p7/2")
            .watch("b", "/p7/4")
            .dir("a", "/p7/3")
            .dir("a", "/p7/1")
            .dir("a", "/p7/4")
            .dir("a", "/p7/2")
            .sleep(200)
            .0,
        tolerance_ms: 150,
        tolerance: "watch events follow their changes within a round trip, in the order of the \
                    changes",
        known: vec![],
    });
    all.push(Scenario {
        name: "pings-keep-a-session",
        script: S::new()
            .open("a", 1000)
            .open("b", 1000)
            .sleep(300)
            .dir("a", "/p8")
            .create("a", "/p8/e", Ephemeral)
            .sleep(5000)
            .exists("b", "/p8/e")
            .sleep(100)
            .0,
        tolerance_ms: 150,
        tolerance: OPS,
        known: vec![],
    });
    all.push(Scenario {
        name: "expiry-by-cut",
        script: S::new()
            .open("a", 1000)
            .open("b", 1000)
            .sleep(300)
            .dir("a", "/p9")
            .create("a", "/p9/e", Ephemeral)
            .watch("b", "/p9/e")
            .exists("a", "/p9")
            .cut("a")
            .sleep(2500)
            .exists("b", "/p9/e")
            .heal("a")
            .sleep(1500)
            .stale_exists("a", "/p9")
            .exists("a", "/p9/e")
            .sleep(100)
            .0,
        tolerance_ms: 200,
        tolerance: "server expiry within one tick (100 ms) after the session timeout; SUSPENDED \
                    and Curator's LOST from the last answer, within two ticks",
        known: vec![],
    });
    all.push(Scenario {
        name: "expiry-by-server",
        script: S::new()
            .open("a", 3000)
            .open("b", 3000)
            .sleep(300)
            .dir("a", "/p10")
            .create("a", "/p10/e", Ephemeral)
            .watch("b", "/p10/e")
            .watch("a", "/p10")
            .expire("a")
            .sleep(2000)
            .stale_exists("a", "/p10")
            .exists("b", "/p10/e")
            .sleep(100)
            .0,
        tolerance_ms: 1100,
        tolerance: "the expiry takes effect within a tick; the client hears of it within \
                    ZooKeeper's reconnect delay (below 1 s)",
        known: vec![
            known(Side::Real, "a", What::WatcherState { state: "Disconnected".into() }, WATCHER_STATES),
            known(Side::Real, "a", What::WatcherState { state: "Expired".into() }, WATCHER_STATES),
        ],
    });
    all.push(Scenario {
        name: "short-cut-no-change",
        script: S::new()
            .open("a", 3000)
            .sleep(300)
            .exists("a", "/")
            .cut("a")
            .sleep(1000)
            .heal("a")
            .sleep(3000)
            .exists("a", "/")
            .sleep(100)
            .0,
        tolerance_ms: 150,
        tolerance: "nothing to time but the calls",
        known: vec![],
    });
    all.push(Scenario {
        name: "suspended-then-reconnected",
        script: S::new()
            .open("a", 4000)
            .open("b", 4000)
            .sleep(300)
            .dir("a", "/p12")
            .create("a", "/p12/e", Ephemeral)
            .exists("a", "/")
            .cut("a")
            .sleep(3000)
            .heal("a")
            .sleep(2500)
            .exists("b", "/p12/e")
            .sleep(100)
            .0,
        tolerance_ms: 1100,
        tolerance: "SUSPENDED at two thirds of the session timeout after the last answer; \
                    RECONNECTED after the heal within ZooKeeper's random reconnect delay (below \
                    1 s)",
        known: vec![],
    });
    all.push(Scenario {
        name: "heal-after-server-expiry",
        script: S::new()
            .open("a", 3000)
            .sleep(300)
            .dir("a", "/p13")
            .create("a", "/p13/e", Ephemeral)
            .exists("a", "/")
            .cut("a")
            .sleep(3600)
            .heal("a")
            .sleep(2500)
            .exists("a", "/p13/e")
            .sleep(100)
            .0,
        tolerance_ms: 1100,
        tolerance: "SUSPENDED at two thirds of the session timeout; LOST (ZooKeeper says \
                    expired) and the new session after the heal within the reconnect delay \
                    (below 1 s)",
        known: vec![],
    });
    all.push(Scenario {
        name: "call-during-cut",
        script: S::new()
            .open("a", 3000)
            .sleep(300)
            .exists("a", "/")
            .cut("a")
            .exists("a", "/")
            .exists("a", "/")
            .heal("a")
            .sleep(2000)
            .0,
        tolerance_ms: 200,
        tolerance: "a call fails at the read timeout (two thirds of the session timeout) while \
                    connected, at Curator's connection timeout once suspended; within two ticks",
        known: vec![
            late("a", What::Reply { step: 5, reply: Reply::Error("ConnectionLoss".into()) }, RESET),
            late("a", state("LOST", "none"), RESET),
            late("a", state("RECONNECTED", "a#2"), RESET),
        ],
    });
    all.push(Scenario {
        name: "latency-below-a-ping-interval",
        script: S::new()
            .open("a", 2000)
            .sleep(300)
            .exists("a", "/")
            .delay("a", 250)
            .sleep(3000)
            .exists("a", "/")
            .delay("a", 0)
            .sleep(500)
            .0,
        tolerance_ms: 150,
        tolerance: "a call under 250 ms latency each way takes 500 ms on both sides",
        known: vec![],
    });
    all.push(Scenario {
        name: "latency-past-a-ping-interval",
        script: S::new()
            .open("a", 2000)
            .sleep(300)
            .exists("a", "/")
            .delay("a", 400)
            .sleep(4500)
            .delay("a", 0)
            .sleep(2000)
            .exists("a", "/")
            .sleep(100)
            .0,
        tolerance_ms: 200,
        tolerance: "a round trip of 800 ms outlasts the read timeout (1333 ms) from the last \
                    answer once a ping waits for its interval: SUSPENDED, and no reconnect \
                    completes within the connection timeout, so Curator's LOST a session \
                    timeout later; within two ticks",
        known: vec![
            known(Side::Real, "a", state("SUSPENDED", "a#1"), LATENCY),
            known(Side::Real, "a", state("LOST", "none"), LATENCY),
            known(Side::Real, "a", state("RECONNECTED", "a#2"), LATENCY),
        ],
    });
    all.push(Scenario {
        name: "leader-elects-one",
        script: S::new()
            .open("a", 2000)
            .open("b", 2000)
            .open("c", 2000)
            .sleep(300)
            .elect("a", "/p16")
            .sleep(300)
            .elect("b", "/p16")
            .sleep(100)
            .elect("c", "/p16")
            .sleep(500)
            .0,
        tolerance_ms: 150,
        tolerance: "leadership within a few round trips of joining",
        known: vec![],
    });
    all.push(Scenario {
        name: "leader-hands-over-on-close",
        script: S::new()
            .open("a", 2000)
            .open("b", 2000)
            .sleep(300)
            .elect("a", "/p17")
            .sleep(300)
            .elect("b", "/p17")
            .sleep(300)
            .close("a")
            .sleep(500)
            .0,
        tolerance_ms: 150,
        tolerance: "the next candidate leads within a few round trips of the close",
        known: vec![],
    });
    all.push(Scenario {
        name: "leader-hands-over-on-session-loss",
        script: S::new()
            .open("a", 1000)
            .open("b", 1000)
            .sleep(300)
            .elect("a", "/p18")
            .sleep(300)
            .elect("b", "/p18")
            .sleep(300)
            .exists("a", "/")
            .cut("a")
            .sleep(2500)
            .heal("a")
            .sleep(1500)
            .close("b")
            .sleep(500)
            .0,
        tolerance_ms: 200,
        tolerance: "b leads within a tick of the old session's expiry; a gives up at Curator's \
                    LOST (a session timeout after SUSPENDED); within two ticks",
        known: vec![],
    });
    all.push(Scenario {
        name: "server-restart-within-session",
        script: S::new()
            .open("a", 4000)
            .sleep(300)
            .dir("a", "/p19")
            .create("a", "/p19/e", Ephemeral)
            .server_down()
            .sleep(1000)
            .server_up()
            .sleep(3000)
            .exists("a", "/p19/e")
            .sleep(100)
            .0,
        tolerance_ms: 1100,
        tolerance: "RECONNECTED within the reconnect delay (below 1 s) of the server's return",
        known: vec![
            known(Side::Real, "a", state("SUSPENDED", "a#1"), OUTAGE),
            known(Side::Real, "a", state("RECONNECTED", "a#1"), OUTAGE),
        ],
    });
    all.push(Scenario {
        name: "server-down-past-session",
        script: S::new()
            .open("a", 1500)
            .sleep(300)
            .dir("a", "/p20")
            .create("a", "/p20/e", Ephemeral)
            .server_down()
            .sleep(3000)
            .server_up()
            .sleep(1000)
            .exists("a", "/p20/e")
            .sleep(1500)
            .exists("a", "/p20/e")
            .sleep(100)
            .0,
        tolerance_ms: 1100,
        tolerance: "Curator's LOST a session timeout after SUSPENDED; the new session within the \
                    reconnect delay (below 1 s) of the server's return; the old session expires \
                    a session timeout after it, its timers started over",
        known: vec![
            late("a", state("SUSPENDED", "a#1"), OUTAGE),
            late("a", state("LOST", "none"), OUTAGE),
            late("a", state("RECONNECTED", "a#2"), OUTAGE),
        ],
    });
    all
}

// ---------------------------------------------------------------------------------------------
// Comparison

fn describe(o: &Observation) -> String {
    format!("{:>6} ms {:<2} {:?}", o.at_ms, o.client, o.what)
}

/// Compares one model run with the real run; the differences, empty if they agree.
fn compare(scenario: &Scenario, model: &[Observation], real: &[Observation]) -> Vec<String> {
    let mut model = model.to_vec();
    let mut real = real.to_vec();
    let mut problems = vec![];
    for k in scenario.known.iter().filter(|k| !k.timing_only) {
        let side = if k.side == Side::Model { &mut model } else { &mut real };
        match side.iter().position(|o| o.client == k.client && o.what == k.what) {
            Some(i) => {
                side.remove(i);
            }
            None => problems.push(format!(
                "the known difference ({:?} side, {} {:?}: {}) is no longer seen: update the \
                 scenario and docs/src/conformance.md",
                k.side, k.client, k.what, k.reason
            )),
        }
    }
    let clients: std::collections::BTreeSet<&str> = model
        .iter()
        .chain(real.iter())
        .map(|o| o.client.as_str())
        .collect();
    for c in clients {
        let m: Vec<&Observation> = model.iter().filter(|o| o.client == c).collect();
        let r: Vec<&Observation> = real.iter().filter(|o| o.client == c).collect();
        let same = m.len() == r.len() && m.iter().zip(&r).all(|(a, b)| a.what == b.what);
        if !same {
            problems.push(format!(
                "client {c} observed differently\n  model:\n{}\n  real:\n{}",
                m.iter().map(|o| format!("    {}", describe(o))).collect::<Vec<_>>().join("\n"),
                r.iter().map(|o| format!("    {}", describe(o))).collect::<Vec<_>>().join("\n"),
            ));
            continue;
        }
        for (a, b) in m.iter().zip(&r) {
            let exempt = scenario
                .known
                .iter()
                .any(|k| k.timing_only && k.client == c && k.what == a.what);
            // A reconnect waits ZooKeeper's random delay (below 1 s) on both sides.
            let tolerance = match &a.what {
                What::State { state, .. } if state == "RECONNECTED" => {
                    scenario.tolerance_ms.max(RECONNECT_TOLERANCE_MS)
                }
                _ => scenario.tolerance_ms,
            };
            if !exempt && a.at_ms.abs_diff(b.at_ms) > tolerance {
                problems.push(format!(
                    "client {c}: {:?} at {} ms on the model, {} ms on ZooKeeper (tolerance {} ms)",
                    a.what, a.at_ms, b.at_ms, tolerance
                ));
            }
        }
    }
    problems
}

struct Outcome {
    name: &'static str,
    wall: Duration,
    real: Vec<Observation>,
    problems: Vec<String>,
}

fn run_scenario(scenario: &Scenario, server: SocketAddr, classpath: &str) -> Outcome {
    let started = Instant::now();
    let real = normalise(&run_on_zookeeper(server, classpath, &scenario.script));
    let mut problems = vec![];
    for seed in 1..=SEEDS {
        let model = normalise(&run_on_model(seed, &scenario.script));
        for p in compare(scenario, &model, &real) {
            problems.push(format!("seed {seed}: {p}"));
        }
    }
    Outcome {
        name: scenario.name,
        wall: started.elapsed(),
        real,
        problems,
    }
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
    let classpath = Arc::new(compile_driver());
    let server = ZkServer::start();
    let addr = server.addr();
    let scenarios: Arc<Vec<Scenario>> = Arc::new(scenarios());
    assert!(scenarios.len() >= 15);
    let only = std::env::var("CONFORMANCE_ONLY").ok();
    let next = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel();
    let mut workers = vec![];
    for _ in 0..PARALLEL {
        let (scenarios, next, tx, classpath, only) =
            (scenarios.clone(), next.clone(), tx.clone(), classpath.clone(), only.clone());
        workers.push(thread::spawn(move || loop {
            let i = next.fetch_add(1, Ordering::SeqCst);
            let Some(s) = scenarios.get(i) else { return };
            if only.as_deref().is_some_and(|o| !s.name.contains(o)) {
                continue;
            }
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                run_scenario(s, addr, &classpath)
            }))
            .unwrap_or_else(|panic| Outcome {
                name: s.name,
                wall: Duration::ZERO,
                real: vec![],
                problems: vec![format!(
                    "the scenario panicked: {}",
                    ftsim::sim::panic_message(panic.as_ref())
                )],
            });
            let _ = tx.send(outcome);
        }));
    }
    drop(tx);
    let mut outcomes = vec![];
    let deadline = Instant::now() + SCENARIO_LIMIT * 3;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(o) => outcomes.push(o),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => panic!(
                "the conformance suite ran past {} s",
                (SCENARIO_LIMIT * 3).as_secs()
            ),
        }
    }
    for w in workers {
        w.join().unwrap();
    }
    drop(server);
    outcomes.sort_by_key(|o| scenarios.iter().position(|s| s.name == o.name));
    let mut failed = vec![];
    for o in &outcomes {
        let s = scenarios.iter().find(|s| s.name == o.name).unwrap();
        let verdict = if !o.problems.is_empty() {
            "DIFFERS"
        } else if s.known.is_empty() {
            "agrees"
        } else {
            "agrees, with known differences"
        };
        println!("{:<36} {:<32} {:>5.1} s", o.name, verdict, o.wall.as_secs_f64());
        if std::env::var("CONFORMANCE_SHOW").is_ok() {
            for r in &o.real {
                println!("    real {}", describe(r));
            }
        }
        if !o.problems.is_empty() {
            failed.push(format!("{}:\n{}", o.name, o.problems.join("\n")));
        }
    }
    println!("conformance suite: {:.1} s", started.elapsed().as_secs_f64());
    assert!(failed.is_empty(), "the model differs from ZooKeeper/Curator:\n{}", failed.join("\n\n"));
}
