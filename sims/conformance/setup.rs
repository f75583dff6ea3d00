//! What the real side needs: Debian's packages checked, the Java driver compiled, scratch
//! directories, and a real ZooKeeper server on loopback.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

pub const INSTALL: &str = "apt-get install -y zookeeper libcurator-framework-java \
                       libcurator-recipes-java libslf4j-java default-jdk";
pub const JARS: &str = "/usr/share/java";
/// Both JVMs: small, with one GC thread and the quick compiler only, so that two cores serve the
/// scenarios run at once without starving their timers.
pub const JVM: [&str; 3] = ["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"];

fn need(path: &str) {
    assert!(
        Path::new(path).exists(),
        "the conformance suite needs {path}, which is missing: install ZooKeeper 3.8 and Curator \
         with `sudo {INSTALL}` (.ci/run does)"
    );
}

pub fn check_prerequisites() {
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

/// Starts `cmd` so that it dies with this test process, not later: the child asks for SIGKILL
/// when the thread that started it ends, and every child is started by one thread that lasts as
/// long as the process. A killed or panicking test leaves no server or driver behind.
pub fn spawn(mut cmd: Command) -> std::io::Result<Child> {
    type Order = (Command, mpsc::Sender<std::io::Result<Child>>);
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<Order>>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Order>();
        thread::spawn(move || {
            for (mut cmd, answer) in rx {
                let _ = answer.send(cmd.spawn());
            }
            // Every sender is gone only when the process ends; park so that children live on.
            loop {
                thread::park();
            }
        });
        Mutex::new(tx)
    });
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure calls only prctl, which is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let (answer, child) = mpsc::channel();
    spawner.lock().unwrap().send((cmd, answer)).unwrap();
    child.recv().unwrap()
}

pub fn scratch() -> PathBuf {
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
pub fn compile_driver() -> String {
    let out = scratch().join(format!("driver-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let jars = [
        "curator-recipes",
        "curator-framework",
        "curator-client",
        "zookeeper",
        "zookeeper-jute",
    ]
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
    // CONFORMANCE_JAVA_LOG=1: the clients' own logs (ZooKeeper's and Curator's), with times, on
    // standard error.
    let logger = match std::env::var("CONFORMANCE_JAVA_LOG") {
        Ok(_) => "slf4j-simple",
        Err(_) => "slf4j-nop",
    };
    format!("{}:{jars}:{JARS}/{logger}.jar", out.display())
}

/// A real ZooKeeper 3.8 server on loopback, with its own data directory; killed and removed on
/// drop. It writes its log without fsync (`forceSync=no`): a sync stalled behind a busy disk
/// would hold every client's answers past the read timeout, which no scenario is about; a
/// killed server's log is still in the page cache when it starts again.
pub struct ZkServer {
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl ZkServer {
    pub fn start() -> ZkServer {
        let dir = fresh_dir("zookeeper");
        let port = free_port();
        let config = format!(
            "tickTime={}\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n\
             minSessionTimeout=200\nmaxSessionTimeout=60000\nadmin.enableServer=false\n\
             4lw.commands.whitelist=srvr\nforceSync=no\n",
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
    pub fn up(&mut self) {
        assert!(self.child.is_none());
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("server.log"))
            .unwrap();
        let mut cmd = Command::new("java");
        cmd.args(JVM)
            .arg("-cp")
            .arg(format!("{JARS}/zookeeper.jar:{JARS}/slf4j-nop.jar"))
            .arg("org.apache.zookeeper.server.ZooKeeperServerMain")
            .arg(self.dir.join("zoo.cfg"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        let child = spawn(cmd).unwrap_or_else(|e| {
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
    pub fn down(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }
}

impl Drop for ZkServer {
    fn drop(&mut self) {
        self.down();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
