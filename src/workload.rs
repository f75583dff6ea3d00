//! The workload: each client issues a seeded mix of namespace operations over a small namespace,
//! so that failovers hit operations in flight. A file it creates is written too, block by block
//! through the workers, and completed ([`crate::file_write`]).

use crate::client::MasterClient;
use crate::drain::Drain;
use crate::op::{FsOp, FsReply};
use crate::options::Options;
use madsim::time::sleep;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

/// Draws one operation over `dirs` directories of `files` files each; `read_percent` of them
/// are reads (get_status, get_block_locations, list_status, the worker report), the rest a mix of
/// mutations.
pub fn draw_op(rng: &mut ChaCha8Rng, dirs: u32, files: u32, read_percent: u32) -> FsOp {
    let dir = |rng: &mut ChaCha8Rng| format!("/d{}", rng.gen_range(0..dirs));
    let file =
        |rng: &mut ChaCha8Rng| format!("/d{}/f{}", rng.gen_range(0..dirs), rng.gen_range(0..files));
    let roll = rng.gen_range(0..100u32);
    // The mix below has 20% reads; a different read share rescales the roll onto it, so the
    // default draws exactly as it always has.
    let roll = match read_percent.min(100) {
        20 => roll,
        r if roll < 100 - r => roll * 80 / (100 - r),
        r => 80 + (roll - (100 - r)) * 20 / r,
    };
    match roll {
        0..=14 => FsOp::Mkdir { path: dir(rng) },
        15..=44 => FsOp::CreateFile { path: file(rng) },
        45..=59 => FsOp::CompleteFile { path: file(rng) },
        60..=67 => FsOp::Delete {
            path: file(rng),
            recursive: false,
        },
        68..=69 => FsOp::Delete {
            path: dir(rng),
            recursive: true,
        },
        70..=79 => FsOp::Rename {
            src: file(rng),
            dst: file(rng),
        },
        80..=87 => FsOp::GetStatus { path: file(rng) },
        88..=93 => FsOp::GetBlockLocations { path: file(rng) },
        94..=98 => FsOp::ListStatus { path: dir(rng) },
        _ => FsOp::GetWorkerInfoList,
    }
}

/// Runs client `index`'s `workload_ops_per_client` operations one after another with
/// `workload_think_time_ms` between them, `read_percent` of them reads, until `drain` stops it.
pub async fn run(
    client: &MasterClient,
    index: usize,
    mut rng: ChaCha8Rng,
    options: &Options,
    read_percent: u32,
    drain: &Drain,
) {
    let think = Duration::from_millis(options.workload_think_time_ms);
    for _ in 0..options.workload_ops_per_client {
        if drain.stopped() {
            break;
        }
        let op = draw_op(
            &mut rng,
            options.workload_dirs,
            options.workload_files_per_dir,
            read_percent,
        );
        let create = match &op {
            FsOp::CreateFile { path } => Some(path.clone()),
            _ => None,
        };
        let reply = client.fs(op).await;
        if let (Some(path), Ok(FsReply::Status { id, .. })) = (create, reply) {
            let drain = (drain, index);
            crate::file_write::write_file(client, drain, &mut rng, options, path, id).await;
        }
        sleep(think).await;
    }
}
