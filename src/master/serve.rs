//! Serving: the master's RPC handler. Only the primary answers clients and workers; standbys
//! refuse with Unavailable, and a primary in safe mode refuses the worker list, block locations
//! and the worker report. The worker side (registrations, heartbeats, block commits) is in
//! [`super::blocks`].

use super::rpc::{self as rpc, MasterError, MasterOp, MasterReply, MasterRequest};
use super::{JournalRequest, Master, Stage};
use crate::bugs::Bug;
use crate::history::EventKind;
use crate::journal::JournalEntry;
use futures::channel::oneshot;
use madsim::time::Instant;
use rand::Rng;
use std::sync::Arc;
use std::time::Duration;

impl Master {
    /// Serves one RPC. Only the primary answers; standbys refuse with Unavailable.
    pub(super) async fn handle(
        self: Arc<Self>,
        MasterRequest(op): MasterRequest,
    ) -> Result<MasterReply, MasterError> {
        self.cpu
            .work(Duration::from_micros(self.options.master_rpc_cpu_us))
            .await;
        let (stage, safe_mode) = {
            let s = self.status.lock().unwrap();
            (s.stage, Instant::now() < s.safe_mode_until)
        };
        if let MasterOp::Status = op {
            let term = self.status.lock().unwrap().term;
            let replica = self.replica.lock().await;
            let status = rpc::MasterStatus {
                primary: stage == Stage::Primary,
                term,
                next_seq: replica.next_seq,
                digest: replica.namespace.digest(),
            };
            return Ok(MasterReply::Status(status));
        }
        // Bug B9: a demoted master keeps serving the connections it accepted as primary.
        let connected_client = match &op {
            MasterOp::Fs { op_id, .. } | MasterOp::CommitBlock { op_id, .. } => {
                let client = op_id >> 32;
                let mut connected = self.connected.lock().unwrap();
                if stage == Stage::Primary {
                    connected.insert(client);
                }
                connected.contains(&client)
            }
            _ => false,
        };
        // Bug B22: a promoting master takes worker registrations before its journal caught up.
        let registering = matches!(
            op,
            MasterOp::GetWorkerId { .. }
                | MasterOp::RegisterWorker { .. }
                | MasterOp::Heartbeat { .. }
        );
        let acting = stage == Stage::Primary
            || (self.bug(Bug::AckWithoutJournal) && matches!(op, MasterOp::Fs { .. }))
            || (self.bug(Bug::DemotedMasterKeepsConnections) && connected_client)
            || (self.bug(Bug::RegisterBeforeCatchUp) && stage == Stage::Promoting && registering);
        if !acting {
            return Err(MasterError::Unavailable);
        }
        match op {
            MasterOp::Fs { op, .. } if op.needs_workers() && safe_mode => {
                Err(MasterError::Unavailable)
            }
            MasterOp::Fs {
                op: crate::op::FsOp::GetWorkerInfoList,
                ..
            } => Ok(MasterReply::Fs(crate::op::FsReply::Workers(
                self.registry.lock().unwrap().infos(),
            ))),
            MasterOp::Fs { op_id, op } => self.handle_fs(op_id, op).await,
            MasterOp::CommitBlock {
                op_id,
                worker_id,
                used_bytes,
                block_id,
                length,
            } => {
                self.handle_commit(op_id, worker_id, used_bytes, block_id, length)
                    .await
            }
            MasterOp::GetWorkerId { .. } => {
                let id = if self.bug(Bug::SequentialWorkerIds) {
                    self.registry.lock().unwrap().sequential_id()
                } else {
                    self.rng.lock().unwrap().gen_range(1..u32::MAX as u64)
                };
                self.registry.lock().unwrap().issue(id);
                Ok(MasterReply::WorkerId(id))
            }
            MasterOp::RegisterWorker {
                worker_id,
                worker,
                capacity_bytes,
                used_bytes,
                blocks,
            } => {
                let r = super::registry::Registration {
                    worker,
                    capacity_bytes,
                    used_bytes,
                    blocks: &blocks,
                };
                self.handle_register(worker_id, r).await
            }
            MasterOp::Heartbeat {
                worker_id,
                used_bytes,
                added,
                removed,
            } => {
                self.handle_heartbeat(worker_id, used_bytes, &added, &removed)
                    .await
            }
            MasterOp::Status => unreachable!("answered above"),
            MasterOp::GetWorkerList => {
                if safe_mode {
                    return Err(MasterError::Unavailable);
                }
                Ok(MasterReply::Workers(self.registry.lock().unwrap().list()))
            }
        }
    }

    pub(super) async fn handle_fs(
        &self,
        op_id: u64,
        op: crate::op::FsOp,
    ) -> Result<MasterReply, MasterError> {
        let mut replica = self.replica.lock().await;
        if !op.is_mutation() {
            // Block locations are taken with the tree they answer for, not after the fence.
            let answer = replica
                .namespace
                .read(&op)
                .map(|reply| self.locate(MasterReply::Fs(reply)));
            drop(replica);
            self.read_barrier().await?;
            return answer.map_err(MasterError::Fs);
        }
        if !self.bug(Bug::NonIdempotentRetry) {
            if let Some(reply) = replica.retry_cache.get(&op_id) {
                return Ok(MasterReply::Fs(reply.clone()));
            }
            // The first attempt is still being journaled: its answer is not known yet.
            if replica.in_flight.contains(&op_id) {
                return Err(MasterError::Unavailable);
            }
            if let Some(e) = replica.refused.get(&op_id).cloned() {
                // Fenced like the first answer: it was true of the tree when first given.
                drop(replica);
                self.read_barrier().await?;
                return Err(MasterError::Fs(e));
            }
        }
        let planned = replica.namespace.plan(&op);
        // What a delete frees on the workers, once it is durable.
        let freed = match &planned {
            Ok(crate::namespace::Mutation::Delete { id }) => replica.namespace.blocks_under(*id),
            _ => vec![],
        };
        let mutation = match planned {
            Ok(m) => m,
            Err(e) => {
                replica.refused.insert(op_id, e.clone());
                // A definite error is an answer about the tree, like a read.
                drop(replica);
                self.read_barrier().await?;
                return Err(MasterError::Fs(e));
            }
        };
        let (term, journal) = {
            let s = self.status.lock().unwrap();
            (
                s.term,
                if s.stage == Stage::Primary {
                    s.journal.clone()
                } else {
                    None
                },
            )
        };
        // A planned mutation always applies to the tree it was planned on; only a replica that
        // went astray (planted bugs) can fail here, and then the call fails rather than the node.
        let reply = replica
            .namespace
            .apply(&mutation)
            .map_err(|_| MasterError::Unavailable)?;
        // Bug B20: a block commit is applied and acknowledged without its journal entry.
        let unjournaled = self.bug(Bug::UnjournaledBlockCommit)
            && matches!(op, crate::op::FsOp::CommitBlock { .. });
        let journal = match journal {
            Some(journal) if !unjournaled => journal,
            // Only bugs B1, B9 and B20 get here: a closed, standby or skipped "journal" that
            // writes nothing.
            _ => {
                replica.retry_cache.insert(op_id, reply.clone());
                drop(replica);
                self.registry.lock().unwrap().free(&freed);
                return Ok(MasterReply::Fs(reply));
            }
        };
        // The answer is cached only once the entry is durable (Alluxio caches a call's result
        // when it completes, journal flush included); until then a retry is told to come back.
        replica.in_flight.insert(op_id);
        replica.deleting.extend(freed.iter().copied());
        let seq = replica.next_seq;
        replica.next_seq += 1;
        let entry = JournalEntry {
            seq,
            term,
            op_id,
            mutation,
        };
        self.history
            .record(&self.name, EventKind::JournalAppend { term, seq, op_id });
        let (tx, rx) = oneshot::channel();
        if journal
            .unbounded_send(JournalRequest::Append(entry, tx))
            .is_err()
        {
            return Err(MasterError::Unavailable);
        }
        drop(replica);
        match rx.await {
            Ok(()) => {
                let mut replica = self.replica.lock().await;
                replica.in_flight.remove(&op_id);
                for b in &freed {
                    replica.deleting.remove(b);
                }
                replica.retry_cache.insert(op_id, reply.clone());
                drop(replica);
                self.registry.lock().unwrap().free(&freed);
                self.history
                    .record(&self.name, EventKind::JournalAck { term, seq, op_id });
                Ok(MasterReply::Fs(reply))
            }
            Err(_) => Err(MasterError::Unavailable),
        }
    }
}
