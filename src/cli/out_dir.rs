//! `explore --out DIR`: what a sweep found, on disk as it is found. Each failed seed is appended
//! to `failures.jsonl` the moment it fails; the summary is rewritten (to a temporary file, then
//! renamed over the old one) every few seconds, so a reader never sees half a summary and a
//! killed sweep loses only the seeds in flight.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How often the summary is rewritten while the sweep runs.
const EVERY: Duration = Duration::from_secs(2);

/// The files of one sweep (or one resumed piece of it) in its directory.
pub struct OutDir {
    failures: File,
    summary: PathBuf,
    last_written: Option<Instant>,
}

impl OutDir {
    /// Creates `dir` if need be and opens its failures file for appending; the summary of shard
    /// `k/n` from its seed `skip` is `summary-shard-K-of-N-from-SKIP.json`.
    pub fn open(dir: &Path, (k, n): (u64, u64), skip: u64) -> Result<OutDir, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create the output directory {}: {e}", dir.display()))?;
        let path = dir.join("failures.jsonl");
        let failures = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        Ok(OutDir {
            failures,
            summary: dir.join(format!("summary-shard-{k}-of-{n}-from-{skip}.json")),
            last_written: None,
        })
    }

    /// The summary's path.
    pub fn summary_path(&self) -> &Path {
        &self.summary
    }

    /// Appends one failure as a JSON line, at once.
    pub fn failure(&mut self, failure: &serde_json::Value) -> Result<(), String> {
        writeln!(self.failures, "{failure}")
            .and_then(|_| self.failures.flush())
            .map_err(|e| format!("cannot append to failures.jsonl: {e}"))
    }

    /// Whether the summary is due to be rewritten.
    pub fn due(&self) -> bool {
        self.last_written.is_none_or(|t| t.elapsed() >= EVERY)
    }

    /// Writes the summary: to a temporary file beside it, then renamed over it.
    pub fn summary(&mut self, summary: &serde_json::Value) -> Result<(), String> {
        let tmp = self.summary.with_extension("json.tmp");
        std::fs::write(&tmp, format!("{summary}\n"))
            .and_then(|_| std::fs::rename(&tmp, &self.summary))
            .map_err(|e| format!("cannot write {}: {e}", self.summary.display()))?;
        self.last_written = Some(Instant::now());
        Ok(())
    }
}
