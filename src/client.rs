//! The client side of a master (AbstractClient with ZkMasterInquireClient): find the primary
//! through ZooKeeper on every attempt, and retry Unavailable with exponential, time-bounded
//! backoff. Workers use the same client for their RPCs.
use crate::deadline::call_within;

use crate::bugs::Bug;
use crate::history::{EventKind, History};
use crate::master::rpc::{MasterError, MasterOp, MasterReply, MasterRequest};
use crate::master::LEADER_PATH;
use crate::net::{master_of_addr, Role};
use crate::op::{AttemptAnswer, CallError};
use crate::op::{BlockId, FsOp, FsReply, WorkerInfo};
use crate::options::Options;
use crate::seed::Stream;
use crate::worker::rpc::{WorkerOp, WorkerRequest, WriteError};
use crate::zookeeper::election::leader_candidates;
use crate::zookeeper::ZkClient;
use madsim::net::Endpoint;
use madsim::time::{sleep, Instant};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What one attempt heard.
enum Heard {
    /// The master at this address answered.
    Reply(Result<MasterReply, MasterError>, SocketAddr),
    /// The leader lookup found no primary.
    NoPrimary,
    /// No answer in time.
    NoAnswer,
}

impl Heard {
    /// The answer a failed attempt records; none for a reply the call returns (success).
    fn failure(&self) -> Option<AttemptAnswer> {
        match self {
            Heard::Reply(Ok(_), _) => None,
            Heard::Reply(Err(MasterError::Unavailable), _) => Some(AttemptAnswer::Unavailable),
            Heard::Reply(Err(MasterError::Fs(e)), _) => Some(AttemptAnswer::Definite(e.clone())),
            Heard::NoPrimary => Some(AttemptAnswer::NoPrimary),
            Heard::NoAnswer => Some(AttemptAnswer::NoAnswer),
        }
    }
}

/// What a call reports as it goes (a namespace call records each step in the history).
pub enum CallStep {
    /// Attempt `attempt` goes to `master` (none when the lookup found no leader) after a leader
    /// lookup that asked ZooKeeper `lookups` times.
    Attempt {
        attempt: u32,
        master: Option<String>,
        lookups: u32,
    },
    /// The attempt heard an answer to retry: the call backs off, or ends past its maximum
    /// duration.
    Failed(AttemptAnswer),
    /// The backoff is over: the next attempt's leader lookup begins.
    Retrying,
}

/// A process's connection to "the master", wherever the primary is.
pub struct MasterClient {
    node: String,
    index: u64,
    ep: Endpoint,
    zk: ZkClient,
    options: Arc<Options>,
    history: History,
    rng: Mutex<ChaCha8Rng>,
    next_call: AtomicU64,
    /// The master this client is connected to: kept while it answers, dropped (and looked up
    /// again through ZooKeeper) on Unavailable or no answer, as Alluxio's client keeps its
    /// connection.
    connected: Mutex<Option<SocketAddr>>,
    /// The metadata cache: a read's answer, who gave it, and when (keyed by the operation).
    cache: Mutex<BTreeMap<String, (FsReply, String, Instant)>>,
    /// The workers of the last worker report: where block writes go (Alluxio's client caches
    /// the worker list too).
    workers: Mutex<Vec<WorkerInfo>>,
}

impl MasterClient {
    /// Connects from the node `role`, as its `incarnation`-th process (0 for the first); must
    /// run on that node.
    pub async fn connect(
        role: Role,
        options: Arc<Options>,
        history: History,
        seed: u64,
        incarnation: u64,
    ) -> Arc<MasterClient> {
        let process = crate::seed::process_name(&role.name(), incarnation);
        let ep = Endpoint::bind(SocketAddr::new(role.ip(), 0))
            .await
            .expect("bind client");
        let zk = ZkClient::start(
            role.ip(),
            Role::ZooKeeper.addr(),
            &role.name(),
            &options,
            history.clone(),
            None,
            crate::seed::rng(seed, Stream::ZooKeeperClient { process: &process }),
        )
        .await;
        // Call ids carry the caller's number in their high half, unique across callers: a
        // client's from 1; a worker's (its block commits) with the high bit set, and its process
        // incarnation, so that a restarted worker's calls never reuse an earlier one's ids.
        let index = match role {
            Role::Client(i) => i as u64 + 1,
            Role::Worker(i) => (1 << 31) | (incarnation << 5) | i as u64,
            _ => 0,
        };
        Arc::new(MasterClient {
            node: role.name(),
            index,
            ep,
            zk,
            history,
            rng: Mutex::new(crate::seed::rng(
                seed,
                Stream::MasterClient { process: &process },
            )),
            options,
            next_call: AtomicU64::new(0),
            cache: Mutex::new(BTreeMap::new()),
            workers: Mutex::new(vec![]),
            connected: Mutex::new(None),
        })
    }

    /// The primary's address from the leader path: the only child, or the newest by creation time.
    /// With none, sleeps and asks again, `zookeeper.leader.inquiry.retry` times in all. Also
    /// returns how many times ZooKeeper was asked.
    async fn lookup_leader_counted(&self) -> (Option<SocketAddr>, u32) {
        let mut queries = 0;
        let mut tries = 0;
        let limit = self.options.zookeeper_leader_inquiry_retry.max(1);
        let sleep_time = Duration::from_millis(self.options.zookeeper_leader_inquiry_sleep_ms);
        loop {
            queries += 1;
            match leader_candidates(&self.zk, LEADER_PATH).await {
                Ok(candidates) if !candidates.is_empty() => {
                    let newest = candidates
                        .iter()
                        .max_by_key(|(name, ctime)| (*ctime, name.clone()))
                        .unwrap();
                    if candidates.len() > 1 {
                        self.history.record(
                            &self.node,
                            EventKind::LeaderChoice {
                                candidates: candidates.clone(),
                                chose: newest.0.clone(),
                            },
                        );
                    }
                    return (newest.0.parse().ok(), queries);
                }
                Ok(_) => {
                    // Bug B5: an empty leader path did not count as a try.
                    if self.options.bug != Some(Bug::LeaderLookupLoopsForever) {
                        tries += 1;
                    }
                }
                Err(_) => tries += 1,
            }
            if tries >= limit {
                return (None, queries);
            }
            sleep(sleep_time).await;
        }
    }

    /// One attempt: look the primary up, then call it with the attempt deadline.
    async fn attempt(&self, op: MasterOp, on_lookup: impl FnOnce(Option<String>, u32)) -> Heard {
        let cached = *self.connected.lock().unwrap();
        let (leader, queries) = match cached {
            Some(addr) => (Some(addr), 0),
            None => self.lookup_leader_counted().await,
        };
        on_lookup(leader.map(master_name), queries);
        let Some(addr) = leader else {
            return Heard::NoPrimary;
        };
        let timeout = Duration::from_millis(self.options.user_rpc_attempt_timeout_ms);
        let heard = match call_within(&self.ep, addr, MasterRequest(op), timeout).await {
            Ok(result) => Heard::Reply(result, addr),
            Err(_) => Heard::NoAnswer,
        };
        // The connection is kept while the master answers, dropped on Unavailable or silence.
        *self.connected.lock().unwrap() = match heard {
            Heard::Reply(Err(MasterError::Unavailable), _) | Heard::NoAnswer => None,
            _ => Some(addr),
        };
        heard
    }

    /// One attempt only, for periodic calls such as heartbeats: the reply and the master that
    /// gave it.
    pub async fn call_once(&self, op: MasterOp) -> Option<(MasterReply, SocketAddr)> {
        match self.attempt(op, |_, _| {}).await {
            Heard::Reply(Ok(reply), addr) => Some((reply, addr)),
            _ => None,
        }
    }

    /// Calls the primary with `ExponentialTimeBoundedRetry`: the first attempt at once, then sleeps
    /// from `user.rpc.retry.base.sleep` doubling to `user.rpc.retry.max.sleep` with up to 10%
    /// jitter, and no new attempt after `user.rpc.retry.max.duration`. Only Unavailable and
    /// transport errors are retried. `on_step` sees each attempt (its number, the master it goes
    /// to, how often the lookup asked ZooKeeper), each failed attempt, and each backoff's end.
    pub async fn call(
        &self,
        op: MasterOp,
        on_step: impl FnMut(CallStep),
    ) -> Result<(MasterReply, SocketAddr), Refused> {
        self.call_with(|| op.clone(), on_step).await
    }

    /// As [`MasterClient::call`], with the request made afresh for every attempt (a worker's
    /// commit carries its id and used bytes as they are when the attempt leaves).
    pub async fn call_with(
        &self,
        make: impl Fn() -> MasterOp,
        mut on_step: impl FnMut(CallStep),
    ) -> Result<(MasterReply, SocketAddr), Refused> {
        let started = Instant::now();
        let max_duration = Duration::from_millis(self.options.user_rpc_retry_max_duration_ms);
        let max_sleep = Duration::from_millis(self.options.user_rpc_retry_max_sleep_ms);
        let mut next_sleep = Duration::from_millis(self.options.user_rpc_retry_base_sleep_ms);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let report = |master, lookups| {
                on_step(CallStep::Attempt {
                    attempt,
                    master,
                    lookups,
                })
            };
            let heard = self.attempt(make(), report).await;
            // Only what the policy retries is retried; anything else is what the caller gets.
            let Some(answer) = heard.failure().filter(AttemptAnswer::retryable) else {
                let Heard::Reply(result, addr) = heard else {
                    unreachable!("only a reply is not retried")
                };
                return result
                    .map(|reply| (reply, addr))
                    .map_err(|e| Refused(e, Some(addr)));
            };
            on_step(CallStep::Failed(answer));
            let elapsed = Instant::now() - started;
            if elapsed >= max_duration {
                return Err(Refused(MasterError::Unavailable, None));
            }
            let jitter_ms = self
                .rng
                .lock()
                .unwrap()
                .gen_range(0..=next_sleep.as_millis() as u64 / 10);
            sleep((next_sleep + Duration::from_millis(jitter_ms)).min(max_duration - elapsed))
                .await;
            next_sleep = (next_sleep * 2).min(max_sleep);
            on_step(CallStep::Retrying);
        }
    }

    /// Records that `by` answered call `op_id` with `reply`, and gives the reply back.
    fn answered(&self, op_id: u64, by: String, reply: FsReply) -> FsReply {
        self.history.record(
            &self.node,
            EventKind::Ok {
                op_id,
                by,
                reply: reply.clone(),
            },
        );
        reply
    }

    /// A namespace operation as a recorded client call: invoke, attempts, then ok or fail.
    pub async fn fs(&self, op: FsOp) -> Result<FsReply, CallError> {
        self.recorded(op, |op_id, op| MasterOp::Fs {
            op_id,
            op: op.clone(),
        })
        .await
    }

    /// `op` as a recorded call (invoke, attempts, then ok or fail), each attempt's request made
    /// by `make` from the call's operation id.
    pub async fn recorded(
        &self,
        op: FsOp,
        make: impl Fn(u64, &FsOp) -> MasterOp,
    ) -> Result<FsReply, CallError> {
        let op_id = (self.index << 32) | self.next_call.fetch_add(1, Ordering::Relaxed);
        self.history.record(
            &self.node,
            EventKind::Invoke {
                op_id,
                op: op.clone(),
            },
        );
        // The metadata cache (off by default, as in Alluxio): a read answered from it never
        // reaches a master, so writes by other clients since it was filled stay invisible.
        // It holds file and directory status, as Alluxio's does: nothing of blocks or workers.
        let cacheable = matches!(op, FsOp::GetStatus { .. } | FsOp::ListStatus { .. });
        let cache_key = (self.options.metadata_cache() && (cacheable || op.is_mutation()))
            .then(|| format!("{op:?}"));
        if let Some(key) = cache_key.as_ref().filter(|_| !op.is_mutation()) {
            let hit = self.cache.lock().unwrap().get(key).cloned();
            let fresh = Duration::from_millis(self.options.user_metadata_cache_expiration_time_ms);
            if let Some((reply, by, _)) = hit.filter(|h| Instant::now() - h.2 < fresh) {
                return Ok(self.answered(op_id, by, reply));
            }
        }
        let is_mutation = op.is_mutation();
        let result = self
            .call_with(
                || make(op_id, &op),
                |step| {
                    let kind = match step {
                        CallStep::Attempt {
                            attempt,
                            master,
                            lookups,
                        } => EventKind::Attempt {
                            op_id,
                            attempt,
                            master,
                            lookups,
                        },
                        CallStep::Failed(answer) => EventKind::AttemptFailed { op_id, answer },
                        CallStep::Retrying => EventKind::Retrying { op_id },
                    };
                    self.history.record(&self.node, kind);
                },
            )
            .await;
        match result {
            Ok((MasterReply::Fs(reply), addr)) => {
                let by = master_name(addr);
                if let FsReply::Workers(workers) = &reply {
                    *self.workers.lock().unwrap() = workers.clone();
                }
                if let Some(key) = cache_key {
                    let mut cache = self.cache.lock().unwrap();
                    if is_mutation {
                        cache.clear();
                    } else {
                        cache.insert(key, (reply.clone(), by.clone(), Instant::now()));
                    }
                }
                Ok(self.answered(op_id, by, reply))
            }
            Ok((other, addr)) => unreachable!("{addr} answered a namespace call with {other:?}"),
            Err(Refused(e, addr)) => {
                let (error, by) = match e {
                    MasterError::Unavailable => (CallError::Unavailable, None),
                    MasterError::Fs(e) => (CallError::Fs(e), addr.map(master_name)),
                };
                self.history.record(
                    &self.node,
                    EventKind::Fail {
                        op_id,
                        error: error.clone(),
                        by,
                    },
                );
                Err(error)
            }
        }
    }
}

impl MasterClient {
    /// The options this client runs with.
    pub fn options(&self) -> &Arc<Options> {
        &self.options
    }

    /// The workers of the last worker report this client received.
    pub fn cached_workers(&self) -> Vec<WorkerInfo> {
        self.workers.lock().unwrap().clone()
    }

    /// Forgets the cached workers (a write to one failed): the next write asks again.
    pub fn forget_workers(&self) {
        self.workers.lock().unwrap().clear();
    }

    /// Writes a block to `worker`, which stores it and commits it to the master before it
    /// answers; `None` when the worker did not answer in time (the commit's whole retry policy,
    /// and an attempt more).
    pub async fn write_block(
        &self,
        worker: &str,
        block_id: BlockId,
        length: u64,
    ) -> Option<Result<(), WriteError>> {
        let addr = Role::parse(worker)?.addr();
        let o = &self.options;
        let timeout = Duration::from_millis(
            o.user_rpc_retry_max_duration_ms
                + o.leader_lookup_bound_ms()
                + 2 * o.user_rpc_attempt_timeout_ms,
        );
        let write = WorkerRequest(WorkerOp::WriteBlock { block_id, length });
        call_within(&self.ep, addr, write, timeout).await.ok()
    }
}

/// A call that did not succeed: the error, and the master that gave it when one answered.
#[derive(Debug)]
pub struct Refused(pub MasterError, pub Option<SocketAddr>);

fn master_name(addr: SocketAddr) -> String {
    master_of_addr(addr)
        .map(|i| Role::Master(i).name())
        .unwrap_or_else(|| addr.to_string())
}
