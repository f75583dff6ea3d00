//! The workload: each client issues a seeded mix of namespace operations over a small namespace,
//! so that failovers hit operations in flight.

use crate::client::MasterClient;
use crate::op::FsOp;
use madsim::time::sleep;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Draws one operation over `dirs` directories of `files` files each.
pub fn draw_op(rng: &mut ChaCha8Rng, dirs: u32, files: u32) -> FsOp {
    let dir = |rng: &mut ChaCha8Rng| format!("/d{}", rng.gen_range(0..dirs));
    let file =
        |rng: &mut ChaCha8Rng| format!("/d{}/f{}", rng.gen_range(0..dirs), rng.gen_range(0..files));
    match rng.gen_range(0..100) {
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
        80..=91 => FsOp::GetStatus { path: file(rng) },
        _ => FsOp::ListStatus { path: dir(rng) },
    }
}

/// Runs `ops` operations one after another with `think` between them, until `stop` is set.
pub async fn run(
    client: &MasterClient,
    mut rng: ChaCha8Rng,
    ops: u32,
    think: Duration,
    dirs: u32,
    files: u32,
    stop: &AtomicBool,
) {
    for _ in 0..ops {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let op = draw_op(&mut rng, dirs, files);
        let _ = client.fs(op).await;
        sleep(think).await;
    }
}
