//! The block master's worker side (DefaultBlockMaster): registrations, heartbeats and block
//! commits, and the block locations a read is answered with. Everything here lives in the
//! primary's memory only, rebuilt from what workers report; only a commit's block length goes
//! to the journal (through the namespace, as a `CommitBlock` entry).

use super::registry::Registration;
use super::rpc::{MasterError, MasterReply, WorkerCommand};
use super::Master;
use crate::bugs::Bug;
use crate::history::EventKind;
use crate::op::{BlockId, FsOp, FsReply};
use std::collections::BTreeSet;
use std::time::Duration;

impl Master {
    /// The blocks of `blocks` whose metadata this master holds (a block whose file's delete is
    /// not durable yet still has it).
    async fn known(&self, blocks: &[BlockId]) -> BTreeSet<BlockId> {
        if blocks.is_empty() {
            return BTreeSet::new();
        }
        let replica = self.replica.lock().await;
        blocks
            .iter()
            .copied()
            .filter(|b| replica.namespace.has_block(*b) || replica.deleting.contains(b))
            .collect()
    }

    /// A worker registers with its full block list: blocks with metadata are located on it,
    /// the others scheduled for removal. Going through the list costs CPU per block (the
    /// worker's blocks from before the run included). An id this master neither handed out nor
    /// has registered (one another primary gave) is told to get an id here first.
    pub(super) async fn handle_register(
        &self,
        worker_id: u64,
        r: Registration<'_>,
    ) -> Result<MasterReply, MasterError> {
        if !self.registry.lock().unwrap().may_register(worker_id) {
            return Ok(MasterReply::Command(WorkerCommand::Register));
        }
        let o = &self.options;
        let listed = o.worker_base_blocks + r.blocks.len() as u64;
        let cost = Duration::from_micros(o.master_worker_register_cpu_us_per_block * listed);
        self.cpu.work(cost).await;
        let known = self.known(r.blocks).await;
        let worker = r.worker.clone();
        let replace = self.bug(Bug::ReregistrationReplacesBlocks);
        self.registry
            .lock()
            .unwrap()
            .register(worker_id, r, &|b| known.contains(&b), replace);
        self.history.record(
            &self.name,
            EventKind::WorkerRegistered { worker_id, worker },
        );
        Ok(MasterReply::Registered)
    }

    /// A heartbeat: an unknown id is told to register; a known one has its used bytes and the
    /// blocks it added and removed taken, and is told to free what it must.
    pub(super) async fn handle_heartbeat(
        &self,
        worker_id: u64,
        used_bytes: u64,
        added: &[BlockId],
        removed: &[BlockId],
    ) -> Result<MasterReply, MasterError> {
        let known = self.known(added).await;
        let free =
            self.registry
                .lock()
                .unwrap()
                .heartbeat(worker_id, used_bytes, added, removed, &|b| {
                    known.contains(&b)
                });
        Ok(MasterReply::Command(match free {
            None => WorkerCommand::Register,
            Some(free) if free.is_empty() => WorkerCommand::Nothing,
            Some(free) => WorkerCommand::Free(free),
        }))
    }

    /// commitBlock: the worker is heard from, and its used bytes taken, as the commit arrives;
    /// the block's length is journaled as any mutation (its call's operation id makes a retry
    /// idempotent), then the block is located on the worker. A worker this primary does not
    /// know is told Unavailable, and commits again once it has registered.
    pub(super) async fn handle_commit(
        &self,
        op_id: u64,
        worker_id: u64,
        used_bytes: u64,
        block_id: BlockId,
        length: u64,
    ) -> Result<MasterReply, MasterError> {
        if !self
            .registry
            .lock()
            .unwrap()
            .commit_arrived(worker_id, used_bytes)
        {
            return Err(MasterError::Unavailable);
        }
        let reply = self
            .handle_fs(op_id, FsOp::CommitBlock { block_id, length })
            .await?;
        self.registry.lock().unwrap().committed(worker_id, block_id);
        Ok(reply)
    }

    /// A block-location answer gets the workers this master knows to hold each block.
    pub(super) fn locate(&self, reply: MasterReply) -> MasterReply {
        match reply {
            MasterReply::Fs(FsReply::Blocks(mut blocks)) => {
                let registry = self.registry.lock().unwrap();
                for b in &mut blocks {
                    b.workers = registry.locations(b.block_id);
                }
                MasterReply::Fs(FsReply::Blocks(blocks))
            }
            other => other,
        }
    }
}
