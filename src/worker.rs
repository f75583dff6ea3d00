//! The worker (BlockMasterSync): get an id, register with its blocks, heartbeat; register again
//! when the primary does not know it; exit when heartbeats fail for `worker.block.heartbeat.timeout`.

use crate::bugs::Bug;
use crate::client::MasterClient;
use crate::history::{EventKind, History};
use crate::master::rpc::{MasterOp, MasterReply, WorkerCommand};
use crate::net::Role;
use crate::options::Options;
use madsim::time::{sleep, Instant};
use std::sync::Arc;
use std::time::Duration;

/// Runs one worker process until it exits or its node is killed.
pub async fn run(
    index: usize,
    options: Arc<Options>,
    history: History,
    seed: u64,
    incarnation: u64,
) {
    let role = Role::Worker(index);
    let name = role.name();
    let client =
        MasterClient::connect(role, options.clone(), history.clone(), seed, incarnation).await;
    let interval = Duration::from_millis(options.worker_block_heartbeat_interval_ms);
    let timeout = Duration::from_millis(options.worker_block_heartbeat_timeout_ms);
    let blocks: Vec<u64> = (0..options.worker_blocks as u64)
        .map(|b| ((index as u64) << 32) | b)
        .collect();
    let mut last_ok = Instant::now();
    let mut old_id = None;
    // The master that last answered this worker under its current id, and when the worker sent
    // that call: that master heard it no sooner (what `lost_workers` holds a loss to).
    let mut last_heard: Option<(String, u64)> = None;
    'register: loop {
        let id = loop {
            if let Ok((MasterReply::WorkerId(id), _)) = client
                .call(
                    MasterOp::GetWorkerId {
                        worker: name.clone(),
                    },
                    |_| {},
                )
                .await
            {
                break id;
            }
            if Instant::now() - last_ok > timeout {
                return exit(&name, &history, &options, last_ok).await;
            }
            call_failed(&name, &history, last_ok);
        };
        let register = MasterOp::RegisterWorker {
            worker_id: id,
            worker: name.clone(),
            blocks: blocks.clone(),
        };
        let sent = crate::history::now_us();
        let Ok((_, registrar)) = client.call(register, |_| {}).await else {
            continue;
        };
        if let Some(old_id) = old_id.take() {
            let last_heard = last_heard.take();
            history.record(&name, EventKind::WorkerReregister { old_id, last_heard });
        }
        last_heard = master_name(registrar).map(|m| (m, sent));
        history.record(&name, EventKind::WorkerGotId { worker_id: id });
        last_ok = Instant::now();
        loop {
            sleep(interval).await;
            let sent = crate::history::now_us();
            match client
                .call_once(MasterOp::Heartbeat { worker_id: id })
                .await
            {
                Some((MasterReply::Command(WorkerCommand::Register), _)) => {
                    old_id = Some(id);
                    continue 'register;
                }
                Some((_, master)) => {
                    last_ok = Instant::now();
                    if let Some(m) = master_name(master) {
                        last_heard = Some((m, sent));
                    }
                }
                None if Instant::now() - last_ok > timeout => {
                    return exit(&name, &history, &options, last_ok).await
                }
                None => call_failed(&name, &history, last_ok),
            }
        }
    }
}

/// The name of the master at `addr`.
fn master_name(addr: std::net::SocketAddr) -> Option<String> {
    crate::net::master_of_addr(addr).map(|i| Role::Master(i).name())
}

/// A call failed within the heartbeat timeout: the worker stays up and tries again.
fn call_failed(name: &str, history: &History, last_ok: Instant) {
    let silent_us = (Instant::now() - last_ok).as_micros() as u64;
    history.record(name, EventKind::WorkerCallFailed { silent_us });
}

/// The heartbeat timeout passed: the process exits (bug B13: it stays up, silent).
async fn exit(name: &str, history: &History, options: &Options, last_ok: Instant) {
    if options.bug == Some(Bug::SilentWorkerAfterTimeout) {
        std::future::pending::<()>().await;
    }
    let silent_us = (Instant::now() - last_ok).as_micros() as u64;
    history.record(name, EventKind::WorkerExit { silent_us });
    madsim::runtime::Handle::current().kill(name);
}
