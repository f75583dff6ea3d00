//! A long command loses nothing: each failure is on stderr the moment it is found, a signal
//! leaves a partial summary with the command that runs the rest, and a stopped sweep merged with
//! its resumed rest is the sweep that was never stopped. The binary is run as a user runs it,
//! and stopped with a real SIGINT.

#[path = "support/mod.rs"]
mod support;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use support::process::ftsim;

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ftsim-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A running `ftsim`, its stderr read line by line as it comes.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    stderr: Vec<String>,
}

impl Running {
    fn start(args: &[&str]) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ftsim"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the ftsim binary runs");
        let (send, lines) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            lines,
            stderr: vec![],
        }
    }

    /// Waits (at most a minute) for a stderr line that `wanted` picks, and returns it.
    fn wait_for_line(&mut self, wanted: impl Fn(&str) -> bool) -> String {
        let until = Instant::now() + Duration::from_secs(60);
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.stderr.push(line.clone());
                    if wanted(&line) {
                        return line;
                    }
                }
                Err(_) => break,
            }
        }
        let _ = self.child.kill();
        panic!("no such line on stderr within a minute: {:?}", self.stderr);
    }

    /// Sends SIGINT, and waits (at most a minute) for the process to end: its exit code and stdout.
    fn interrupt(mut self) -> (i32, String, Vec<String>) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGINT);
        }
        let until = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > until {
                let _ = self.child.kill();
                panic!("still running a minute after SIGINT");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut out = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        self.stderr.extend(self.lines.try_iter());
        let code = status.code().expect("exited, not killed by the signal");
        (code, out, self.stderr)
    }
}

/// SIGINT to a long `explore` of a planted bug, once a failed seed has been printed: the run
/// stops, and its JSON summary says it was interrupted, names that failure, and gives a resume
/// command; the failure is in the output directory too, and the exit code is the failure's.
#[test]
fn a_signal_leaves_a_partial_summary_with_the_failures_found_before_it() {
    let dir = temp_dir("interrupt");
    let out_dir = dir.display().to_string();
    let mut running = Running::start(&[
        "explore",
        "--seeds",
        "100000",
        "--seed",
        "1",
        "--jobs",
        "2",
        "--bug",
        "ack-without-journal",
        "--json",
        "--out",
        &out_dir,
    ]);
    let line = running.wait_for_line(|l| l.starts_with("seed ") && l.contains(" FAILED "));
    let seed: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    let (code, out, stderr) = running.interrupt();
    let summary = json(&out);
    assert_eq!(summary["interrupted"], true, "{summary}");
    let failed: Vec<u64> = summary["failed_seeds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_u64().unwrap())
        .collect();
    assert!(failed.contains(&seed), "seed {seed} not in {failed:?}");
    let done = summary["seeds"].as_u64().unwrap();
    assert!(done < 100_000, "{done}");
    let resume = summary["resume"].as_str().expect("a resume command");
    assert!(resume.contains(&format!("--skip {done}")), "{resume}");
    assert!(resume.contains("--bug ack-without-journal"), "{resume}");
    assert_eq!(code, 1, "an Always violation exits 1: {stderr:?}");
    assert!(stderr.iter().any(|l| l.contains(resume)), "{stderr:?}");

    let on_disk = std::fs::read_to_string(dir.join("summary-shard-1-of-1-from-0.json")).unwrap();
    let on_disk = json(&on_disk);
    assert_eq!(on_disk["seeds"], summary["seeds"]);
    assert_eq!(on_disk["resume"], summary["resume"]);
    let failures = std::fs::read_to_string(dir.join("failures.jsonl")).unwrap();
    assert!(
        failures.lines().any(|l| json(l)["seed"] == seed),
        "{failures}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A sweep stopped by its deadline, then resumed with the command it printed, merges with its
/// rest into the summary of the same sweep run without a stop (every key but wall time).
#[test]
fn a_stopped_sweep_and_its_resumed_rest_merge_into_the_whole_sweep() {
    let dir = temp_dir("resume");
    let common = [
        "explore",
        "--seeds",
        "1000",
        "--seed",
        "7",
        "--jobs",
        "2",
        "--bug",
        "ack-without-journal",
        "--json",
    ];
    let (_, whole, err) = ftsim(&common);
    let whole = json(&whole);
    assert_eq!(whole["interrupted"], false, "{err}");

    let mut partial_args = common.to_vec();
    partial_args.extend(["--deadline-s", "1"]);
    let (_, partial, err) = ftsim(&partial_args);
    let partial = json(&partial);
    assert_eq!(partial["interrupted"], true, "1,000 seeds in 1 s? {err}");
    let resume = partial["resume"].as_str().expect("a resume command");
    let words: Vec<&str> = resume.split_whitespace().collect();
    assert_eq!(words[0], "ftsim");
    let (_, rest, err) = ftsim(&words[1..]);
    let rest = json(&rest);
    assert_eq!(rest["interrupted"], false, "{err}");
    assert_eq!(
        partial["seeds"].as_u64().unwrap() + rest["seeds"].as_u64().unwrap(),
        1000
    );

    let (partial_file, rest_file) = (dir.join("partial.json"), dir.join("rest.json"));
    std::fs::write(&partial_file, partial.to_string()).unwrap();
    std::fs::write(&rest_file, rest.to_string()).unwrap();
    let (p, r) = (
        partial_file.display().to_string(),
        rest_file.display().to_string(),
    );
    let (code, merged, err) = ftsim(&["merge", &r, &p]);
    let merged = json(&merged);
    assert_eq!(code, 1, "the sweep's failures' exit code: {err}");
    let timing = [
        "wall_s",
        "seeds_per_s",
        "sim_s_per_wall_s",
        "messages_per_wall_s",
        "failovers_per_wall_min",
        "peak_rss_mib",
    ];
    for (key, value) in whole.as_object().unwrap() {
        if !timing.contains(&key.as_str()) {
            assert_eq!(&merged[key], value, "key {key}");
        }
    }
    // The rest alone has a gap where the stopped part was; the stopped part alone is partial.
    let (code, _, err) = ftsim(&["merge", &r]);
    assert_eq!(code, 2);
    assert!(err.contains("are in no summary given"), "{err}");
    let (_, alone, _) = ftsim(&["merge", &p]);
    assert_eq!(json(&alone)["resume"], partial["resume"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// SIGINT to `hunt` and to `check-determinism`: each stops, says so in its JSON, and prints the
/// command that does the rest; with no failure found the exit code is 130.
#[test]
fn hunt_and_check_determinism_stop_on_a_signal_with_what_is_left() {
    // From seed 1 the first seed to catch B4 is 990: a second in, the hunt is still in B4.
    let mut running = Running::start(&[
        "hunt", "--bug", "B4,B1", "--budget", "100000", "--seed", "1", "--json",
    ]);
    std::thread::sleep(Duration::from_secs(1));
    running.stderr.extend(running.lines.try_iter());
    let (code, out, stderr) = running.interrupt();
    let hunt = json(&out);
    assert_eq!(hunt["interrupted"], true, "{hunt}");
    assert_eq!(hunt["hunts"][0]["interrupted"], true, "{hunt}");
    let resume = hunt["resume"].as_str().expect("a resume command");
    assert!(
        resume.starts_with("ftsim hunt --bug flush-thread-survives-demotion,ack-without-journal "),
        "{resume}"
    );
    assert_eq!(code, 130, "{stderr:?}");

    let running = Running::start(&[
        "check-determinism",
        "--seeds",
        "100000",
        "--seed",
        "1",
        "--json",
    ]);
    std::thread::sleep(Duration::from_secs(2));
    let (code, out, stderr) = running.interrupt();
    let check = json(&out);
    assert_eq!(check["interrupted"], true, "{check}");
    let done = check["seeds"].as_u64().unwrap();
    let resume = check["resume"].as_str().expect("a resume command");
    assert!(
        resume.contains(&format!("--seeds {} --seed {}", 100_000 - done, 1 + done)),
        "{resume}"
    );
    assert_eq!(code, 130, "{stderr:?}");
}
