//! The worker (BlockMasterSync): get an id, register with its capacity, used bytes and full block
//! list, heartbeat with the blocks added and removed since; register again when the primary does
//! not know it; remove the blocks the master frees; exit when heartbeats fail for
//! `worker.block.heartbeat.timeout`. Clients write blocks to it ([`store`]), and it commits
//! each to the master.

pub mod rpc;
pub mod store;

use crate::bugs::Bug;
use crate::client::MasterClient;
use crate::history::{now_us, EventKind, History};
use crate::master::rpc::{MasterOp, MasterReply, WorkerCommand};
use crate::net::Role;
use crate::options::Options;
use madsim::net::Endpoint;
use madsim::time::sleep;
use std::sync::Arc;
use std::time::Duration;
use store::{Store, WorkerDisk};

/// Everything a worker node needs; its init closure runs one process per incarnation.
#[derive(Clone)]
pub struct WorkerSetup {
    pub index: usize,
    pub options: Arc<Options>,
    pub history: History,
    pub seed: u64,
    pub disk: Arc<WorkerDisk>,
}

/// Runs one worker process until it exits or its node is killed.
pub async fn run(setup: WorkerSetup, incarnation: u64) {
    let WorkerSetup {
        index,
        options,
        history,
        seed,
        disk,
    } = setup;
    let role = Role::Worker(index);
    let name = role.name();
    let client =
        MasterClient::connect(role, options.clone(), history.clone(), seed, incarnation).await;
    let store = Arc::new(Store::new(
        name.clone(),
        options.worker_capacity_bytes(index),
        disk,
        history.clone(),
    ));
    let ep = Endpoint::bind(role.addr()).await.expect("bind worker");
    let (s, c) = (store.clone(), client.clone());
    ep.add_rpc_handler(move |req: rpc::WorkerRequest| Box::pin(s.clone().write(c.clone(), req)));

    let interval = Duration::from_millis(options.worker_block_heartbeat_interval_ms);
    // Silence is measured on the history's clock, in whole microseconds, as it is recorded.
    let timeout_us = options.worker_block_heartbeat_timeout_ms * 1000;
    let mut last_ok = now_us();
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
            if now_us() - last_ok > timeout_us {
                return exit(&name, &history, &options, last_ok).await;
            }
            call_failed(&name, &history, last_ok);
        };
        *store.id.lock().unwrap() = Some(id);
        // The report is taken once and sent again as it is by the call's retries: blocks stored
        // meanwhile are reported by the heartbeats that follow.
        let (blocks, used_bytes) = store.snapshot();
        let register = MasterOp::RegisterWorker {
            worker_id: id,
            worker: name.clone(),
            capacity_bytes: store.capacity_bytes,
            used_bytes,
            blocks: blocks.clone(),
        };
        // Anything but Registered (Unavailable past the retry policy, or a primary that did not
        // hand out this id) starts over with a new id.
        let sent = now_us();
        let Ok((MasterReply::Registered, registrar)) = client.call(register, |_| {}).await else {
            continue;
        };
        {
            let mut report = store.report.lock().unwrap();
            for b in &blocks {
                report.added.remove(b);
            }
        }
        if let Some(old_id) = old_id.take() {
            let last_heard = last_heard.take();
            history.record(&name, EventKind::WorkerReregister { old_id, last_heard });
        }
        last_heard = master_name(registrar).map(|m| (m, sent));
        history.record(&name, EventKind::WorkerGotId { worker_id: id });
        last_ok = now_us();
        loop {
            sleep(interval).await;
            let (added, removed): (Vec<u64>, Vec<u64>) = {
                let report = store.report.lock().unwrap();
                (
                    report.added.iter().copied().collect(),
                    report.removed.iter().copied().collect(),
                )
            };
            let heartbeat = MasterOp::Heartbeat {
                worker_id: id,
                used_bytes: store.used_bytes(),
                added: added.clone(),
                removed: removed.clone(),
            };
            let sent = now_us();
            match client.call_once(heartbeat).await {
                Some((MasterReply::Command(WorkerCommand::Register), _)) => {
                    old_id = Some(id);
                    continue 'register;
                }
                Some((reply, master)) => {
                    last_ok = now_us();
                    if let Some(m) = master_name(master) {
                        last_heard = Some((m, sent));
                    }
                    {
                        let mut report = store.report.lock().unwrap();
                        for b in &added {
                            report.added.remove(b);
                        }
                        for b in &removed {
                            report.removed.remove(b);
                        }
                    }
                    if let MasterReply::Command(WorkerCommand::Free(blocks)) = reply {
                        for b in blocks {
                            store.remove(b, true);
                        }
                    }
                }
                None if now_us() - last_ok > timeout_us => {
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
fn call_failed(name: &str, history: &History, last_ok: u64) {
    let silent_us = now_us() - last_ok;
    history.record(name, EventKind::WorkerCallFailed { silent_us });
}

/// The heartbeat timeout passed: the process exits (bug B13: it stays up, silent).
async fn exit(name: &str, history: &History, options: &Options, last_ok: u64) {
    if options.bug == Some(Bug::SilentWorkerAfterTimeout) {
        std::future::pending::<()>().await;
    }
    let silent_us = now_us() - last_ok;
    history.record(name, EventKind::WorkerExit { silent_us });
    madsim::runtime::Handle::current().kill(name);
}
