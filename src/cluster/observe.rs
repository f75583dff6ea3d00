//! The harness's view of the masters through their admin port: each master's status, which is
//! primary, its worker list and its answer to a read, as the final phase and stories ask.

use super::Cluster;
use crate::deadline::call_within;
use crate::master::rpc::{MasterOp, MasterReply, MasterRequest, MasterStatus};
use crate::net::Role;
use crate::op::{FsOp, FsReply};
use madsim::time::{sleep, Instant};
use std::time::Duration;

impl Cluster {
    /// A master's status through its admin port, if it answers within a second.
    pub(crate) async fn master_status(&self, index: usize) -> Option<MasterStatus> {
        self.master_status_within(index, Duration::from_secs(1))
            .await
    }

    /// A master's status, if it answers within `limit` (a master busy replaying answers late).
    pub(crate) async fn master_status_within(
        &self,
        index: usize,
        limit: Duration,
    ) -> Option<MasterStatus> {
        let addr = Role::Master(index).addr();
        let status = MasterRequest(MasterOp::Status);
        match call_within(&self.admin, addr, status, limit).await {
            Ok(Ok(MasterReply::Status(s))) => Some(s),
            _ => None,
        }
    }

    /// The workers master `index` knows (`GetWorkerList`, which Alluxio's clients ask before
    /// writing blocks), or `None` if it refused or did not answer within `limit`.
    pub(crate) async fn worker_list_within(
        &self,
        index: usize,
        limit: Duration,
    ) -> Option<Vec<(u64, String)>> {
        let addr = Role::Master(index).addr();
        let request = MasterRequest(MasterOp::GetWorkerList);
        match call_within(&self.admin, addr, request, limit).await {
            Ok(Ok(MasterReply::Workers(workers))) => Some(workers),
            _ => None,
        }
    }

    /// Master `index`'s answer to `op` through its admin port (a read: block locations of a
    /// path), or `None` if it refused or did not answer within `limit`.
    pub(crate) async fn read_within(
        &self,
        index: usize,
        op: FsOp,
        limit: Duration,
    ) -> Option<FsReply> {
        let addr = Role::Master(index).addr();
        let request = MasterRequest(MasterOp::Fs { op_id: 0, op });
        match call_within(&self.admin, addr, request, limit).await {
            Ok(Ok(MasterReply::Fs(reply))) => Some(reply),
            _ => None,
        }
    }

    /// The master that reports itself primary with the highest term, if any.
    pub async fn primary(&self) -> Option<usize> {
        let mut best: Option<(u64, usize)> = None;
        for i in 0..self.options.masters {
            if let Some(s) = self.master_status(i).await.filter(|s| s.primary) {
                if best.is_none_or(|(t, _)| s.term > t) {
                    best = Some((s.term, i));
                }
            }
        }
        best.map(|(_, i)| i)
    }

    /// Waits until some master is primary and out of safe mode; `None` after `timeout`.
    pub async fn wait_for_primary(&self, timeout: Duration) -> Option<usize> {
        let p = self.find_primary(timeout).await?;
        sleep(Duration::from_millis(
            self.options.master_worker_connect_wait_time_ms,
        ))
        .await;
        Some(p)
    }

    /// The first master found primary within `timeout`, asking every 50 ms, at once (it may
    /// still be in its safe mode).
    pub async fn find_primary(&self, timeout: Duration) -> Option<usize> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(p) = self.primary().await {
                return Some(p);
            }
            if Instant::now() >= deadline {
                return None;
            }
            sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for a primary other than `old`.
    pub async fn wait_for_new_primary(&self, old: usize, timeout: Duration) -> Option<usize> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(p) = self.primary().await.filter(|p| *p != old) {
                return Some(p);
            }
            if Instant::now() >= deadline {
                return None;
            }
            sleep(Duration::from_millis(50)).await;
        }
    }
}
