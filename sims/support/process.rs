//! Running the `ftsim` binary from a test, shared by the command-line tests (`sims/cli.rs`,
//! `sims/timeline.rs`).
#![allow(dead_code)]

/// Runs `ftsim args...` and returns its exit code, stdout and stderr.
pub fn ftsim(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ftsim"))
        .args(args)
        .output()
        .expect("the ftsim binary runs");
    (
        out.status.code().expect("exited, not killed by a signal"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
