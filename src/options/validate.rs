//! Which option values the model can run.

use super::Options;

impl Options {
    /// Rejects option values the model cannot run.
    pub fn validate(&self) -> Result<(), String> {
        if self.workload_read_percent > 100 {
            return Err(format!(
                "workload_read_percent must be 0 to 100, not {}",
                self.workload_read_percent
            ));
        }
        if self.workload_read_only_clients as usize > self.clients {
            return Err(format!(
                "workload_read_only_clients ({}) must not exceed clients ({})",
                self.workload_read_only_clients, self.clients
            ));
        }
        if !(2..=5).contains(&self.masters) {
            return Err(format!("masters must be 2 to 5, not {}", self.masters));
        }
        if self.workers > 16 || self.clients == 0 || self.clients > 16 {
            return Err("clients must be 1 to 16 and workers at most 16".into());
        }
        let positive = [
            (
                "zookeeper_session_timeout_ms",
                self.zookeeper_session_timeout_ms,
            ),
            (
                "zookeeper_connection_timeout_ms",
                self.zookeeper_connection_timeout_ms,
            ),
            (
                "master_journal_flush_batch_time_ms",
                self.master_journal_flush_batch_time_ms,
            ),
            (
                "master_journal_retry_interval_ms",
                self.master_journal_retry_interval_ms,
            ),
            (
                "master_journal_tailer_sleep_time_ms",
                self.master_journal_tailer_sleep_time_ms,
            ),
            (
                "master_journal_checkpoint_period_entries",
                self.master_journal_checkpoint_period_entries,
            ),
            (
                "master_journal_gc_period_ms",
                self.master_journal_gc_period_ms,
            ),
            (
                "master_lost_worker_detection_interval_ms",
                self.master_lost_worker_detection_interval_ms,
            ),
            (
                "worker_block_heartbeat_interval_ms",
                self.worker_block_heartbeat_interval_ms,
            ),
            (
                "user_rpc_retry_base_sleep_ms",
                self.user_rpc_retry_base_sleep_ms,
            ),
            (
                "user_rpc_attempt_timeout_ms",
                self.user_rpc_attempt_timeout_ms,
            ),
            ("journal_entry_size_bytes", self.journal_entry_size_bytes),
            ("workload_dirs", self.workload_dirs as u64),
            ("workload_files_per_dir", self.workload_files_per_dir as u64),
            (
                "user_block_size_bytes_default",
                self.user_block_size_bytes_default,
            ),
            (
                "workload_file_size_bytes_max",
                self.workload_file_size_bytes_max,
            ),
        ];
        for (name, value) in positive {
            if value == 0 {
                return Err(format!("{name} must be positive"));
            }
        }
        if self.zookeeper_session_timeout_ms < 30 {
            return Err("zookeeper_session_timeout_ms must be at least 30".into());
        }
        Ok(())
    }
}
