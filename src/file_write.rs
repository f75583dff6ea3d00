//! A client writing a new file's data (Alluxio's FileOutStream): the file's length is cut into
//! blocks of `user.block.size.bytes.default`; each block goes to a worker of the client's cached
//! worker report, which stores it and commits it to the master before it answers; a worker
//! without the space is passed over for the next. Closing the stream completes the file, which
//! records the blocks committed for it. A workload's writer abandons its file when the drain
//! at the end of the workload halts it ([`crate::drain`]).

use crate::client::MasterClient;
use crate::drain::Drain;
use crate::op::{block_id, CallError, FsOp, FsReply, InodeId};
use crate::options::Options;
use crate::worker::rpc::WriteError;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Writes file `id` (at `path`, just created) with a length drawn log-uniformly from 1/256 of
/// `workload_file_size_bytes_max` up to it (file sizes are heavy-tailed: most files are small),
/// then completes it, unless the workload's `drain` (with the client's index) halted meanwhile:
/// the file is then left incomplete.
pub async fn write_file(
    client: &MasterClient,
    drain: (&Drain, usize),
    rng: &mut ChaCha8Rng,
    options: &Options,
    path: String,
    id: InodeId,
) {
    let max = options.workload_file_size_bytes_max.max(1) as f64;
    let length = (max * 2f64.powf(-rng.gen_range(0.0..8.0))).ceil() as u64;
    write_blocks(client, Some(drain), rng, options, id, length).await;
    if !drain.0.halted() {
        let _ = client.fs(FsOp::CompleteFile { path }).await;
    }
}

/// Writes `length` bytes into file `id` (at `path`, just created) block by block, then
/// completes it; the completion's answer (its blocks and length, when it succeeds).
pub async fn write(
    client: &MasterClient,
    rng: &mut ChaCha8Rng,
    options: &Options,
    path: String,
    id: InodeId,
    length: u64,
) -> Result<FsReply, CallError> {
    write_blocks(client, None, rng, options, id, length).await;
    client.fs(FsOp::CompleteFile { path }).await
}

/// Writes file `id`'s `length` bytes block by block, until a block cannot be written or the
/// drain halts.
async fn write_blocks(
    client: &MasterClient,
    drain: Option<(&Drain, usize)>,
    rng: &mut ChaCha8Rng,
    options: &Options,
    id: InodeId,
    length: u64,
) {
    let block_size = options.user_block_size_bytes_default.max(1);
    for index in 0..length.div_ceil(block_size) {
        let len = block_size.min(length - index * block_size);
        if !write_block(client, drain, rng, block_id(id, index), len).await {
            break;
        }
    }
}

/// Writes one block to a worker of the cached report (asking for a report first when there is
/// none), starting from a drawn one and passing over the full ones; a worker that fails
/// otherwise ends the file's writing. Whether the block was written and committed.
async fn write_block(
    client: &MasterClient,
    drain: Option<(&Drain, usize)>,
    rng: &mut ChaCha8Rng,
    block: u64,
    len: u64,
) -> bool {
    // A report whose workers are all full is asked for again, once.
    for _ in 0..2 {
        if client.cached_workers().is_empty() {
            let _ = client.fs(FsOp::GetWorkerInfoList).await;
        }
        let workers = client.cached_workers();
        if workers.is_empty() {
            return false;
        }
        let start = rng.gen_range(0..workers.len());
        for k in 0..workers.len() {
            let worker = &workers[(start + k) % workers.len()].worker;
            let write = client.write_block(worker, block, len);
            let answer = match drain {
                Some((d, index)) => d.on_worker(index, write).await,
                None => write.await,
            };
            if drain.is_some_and(|(d, _)| d.halted()) {
                return false;
            }
            match answer {
                Some(Ok(())) => return true,
                Some(Err(WriteError::NoSpace)) => continue,
                _ => {
                    client.forget_workers();
                    return false;
                }
            }
        }
        client.forget_workers();
    }
    false
}
