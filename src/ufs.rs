//! The shared under-filesystem (HDFS-like) that holds the journal.
//!
//! Files are inodes named by paths. A writer holds a file's lease: its appends are buffered at the
//! UFS and become durable (visible to readers, safe from a crash) only when flushed; a writer that
//! dies loses what it had not flushed. As in HDFS, a rename moves the inode, so an open writer keeps
//! appending to the renamed file. `recover_lease` takes the file from its writer: afterwards the old
//! writer's appends and flushes fail. madsim has no disk model, so durability lives here.
//!
//! As HDFS's namenode does, the UFS keeps a retry cache: an at-most-once call (create, rename,
//! delete, put) carries its client's id and a call id, and a call repeated with the same ids is
//! answered as the first was, without being applied again. A client repeats an unanswered call with
//! its ids when its caller repeats it, so a caller whose answer was lost learns what its own call
//! did, instead of finding its own work done and taking it for another process's.
//!
//! The UFS knows nothing of what its files hold: it stores records of any type `R` (the journal
//! chooses its own), so storage never depends on the journal built on it.
use crate::deadline::call_within;
use crate::fault::FaultKind;
use crate::history::{EventKind, History};
pub use crate::vocab::{NamespaceChange, RepeatKey};
use madsim::net::Endpoint;
use madsim::time::sleep;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What a UFS file can hold: any record type that can travel in an RPC.
pub trait Content: Serialize + DeserializeOwned + std::fmt::Debug + Send + Sync + 'static {}
impl<T: Serialize + DeserializeOwned + std::fmt::Debug + Send + Sync + 'static> Content for T {}

/// One UFS operation. `holder` names the writing process (`master-1#3`: node and incarnation).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(bound = "R: Content")]
pub enum UfsOp<R> {
    /// Change the namespace (at most once: see [`NamespaceChange`]).
    Change(NamespaceChange),
    /// Buffer records at the end of a file (not durable until flushed).
    Append {
        inode: u64,
        holder: String,
        records: Vec<Arc<R>>,
    },
    /// Make every buffered record durable (HDFS hsync).
    Flush { inode: u64, holder: String },
    /// Take the lease from its holder, dropping what it had not flushed.
    RecoverLease { path: String },
    /// Files directly below a folder.
    List { dir: String },
    /// A file's durable records.
    Read { path: String },
    /// Create a file with these records, durable and closed, in one step (at most once, as a
    /// namespace change is: HDFS's create is).
    Put { path: String, records: Vec<Arc<R>> },
}

/// What a listing says of one file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FileInfo {
    pub name: String,
    pub inode: u64,
    pub durable_records: u64,
    /// Last modification, in simulated microseconds.
    pub mtime_us: u64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(bound = "R: Content")]
pub enum UfsReply<R> {
    Inode(u64),
    Done,
    Listing(Vec<FileInfo>),
    Records(Vec<Arc<R>>),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UfsError {
    NotFound,
    AlreadyExists,
    /// The caller does not hold the file's lease (it was recovered by another process).
    LeaseLost,
    /// An injected storage fault.
    Failed,
    /// No answer in time (client side only).
    Timeout,
}

/// The ids the retry cache knows a call by: the client (a process incarnation, as HDFS's
/// per-client id) and the client's number for the call, the same on every repeat.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CallId {
    pub client: String,
    pub call: u64,
}

/// One call: the operation, and for an at-most-once call its ids for the retry cache.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(bound = "R: Content")]
pub struct UfsRequest<R> {
    pub op: UfsOp<R>,
    pub id: Option<CallId>,
}

impl<R> UfsOp<R> {
    /// What identifies a repeat of this call, for an at-most-once call (a namespace change or a
    /// put) the retry cache answers; `None` for the others, which are safe to apply again (reads,
    /// lease recovery) or belong to the write pipeline (append, flush).
    fn repeat_key(&self) -> Option<RepeatKey> {
        match self {
            UfsOp::Change(change) => Some(RepeatKey::Change(change.clone())),
            UfsOp::Put { path, .. } => Some(RepeatKey::Put { path: path.clone() }),
            _ => None,
        }
    }
}

impl<R: Content> madsim::net::rpc::Request for UfsRequest<R> {
    type Response = Result<UfsReply<R>, UfsError>;
    const ID: u64 = 0x8020;
}

/// Storage faults the nemesis switches on and off; the UFS records each time one takes effect.
#[derive(Clone)]
pub struct UfsFaults(Arc<Mutex<FaultState>>, History);

#[derive(Default)]
struct FaultState {
    /// Nodes whose flushes fail.
    flush_fail: BTreeSet<String>,
    /// Nodes whose flushes take this much longer.
    flush_delay_ms: BTreeMap<String, u64>,
    /// Renames fail.
    rename_fail: bool,
}

impl UfsFaults {
    /// No faults yet; their effects are recorded in `history`.
    pub fn new(history: History) -> Self {
        UfsFaults(Arc::default(), history)
    }

    fn took_effect(&self, fault: FaultKind, node: &str) {
        self.1.record(
            "ufs",
            EventKind::FaultTookEffect {
                fault,
                node: node.into(),
            },
        );
    }

    /// Flushes by `node` fail (`true`) or work again (`false`).
    pub fn set_flush_fail(&self, node: &str, on: bool) {
        let mut f = self.0.lock().unwrap();
        if on {
            f.flush_fail.insert(node.into());
        } else {
            f.flush_fail.remove(node);
        }
    }

    /// Flushes by `node` take `delay_ms` longer (0 undoes it).
    pub fn set_flush_delay(&self, node: &str, delay_ms: u64) {
        let mut f = self.0.lock().unwrap();
        if delay_ms == 0 {
            f.flush_delay_ms.remove(node);
        } else {
            f.flush_delay_ms.insert(node.into(), delay_ms);
        }
    }

    /// Renames fail (`true`) or work again.
    pub fn set_rename_fail(&self, on: bool) {
        self.0.lock().unwrap().rename_fail = on;
    }
}

fn node_of(holder: &str) -> &str {
    holder.split('#').next().unwrap_or(holder)
}

struct File<R> {
    durable: Vec<Arc<R>>,
    pending: Vec<Arc<R>>,
    lease: Option<String>,
    mtime_us: u64,
}

struct State<R> {
    next_inode: u64,
    paths: BTreeMap<String, u64>,
    files: BTreeMap<u64, File<R>>,
}

impl<R> Default for State<R> {
    fn default() -> Self {
        State {
            next_inode: 0,
            paths: BTreeMap::new(),
            files: BTreeMap::new(),
        }
    }
}

impl<R> State<R> {
    /// Adds a new file at `path`, which must be free; returns its inode.
    /// `Err(LeaseLost)` when `holder` is given and does not hold the lease of the file at `path`.
    fn check_holder(&self, path: &str, holder: Option<&str>) -> Result<(), UfsError> {
        let Some(holder) = holder else { return Ok(()) };
        let inode = self.paths.get(path).ok_or(UfsError::NotFound)?;
        if self.files[inode].lease.as_deref() == Some(holder) {
            Ok(())
        } else {
            Err(UfsError::LeaseLost)
        }
    }

    fn create(&mut self, path: String, file: File<R>) -> Result<u64, UfsError> {
        if self.paths.contains_key(&path) {
            return Err(UfsError::AlreadyExists);
        }
        self.next_inode += 1;
        self.paths.insert(path, self.next_inode);
        self.files.insert(self.next_inode, file);
        Ok(self.next_inode)
    }
}

/// The UFS actor.
pub struct UfsServer<R> {
    state: Mutex<State<R>>,
    /// Durable records of every deleted file, kept for the checkers' account of what the journal
    /// ever held (a real UFS forgets them).
    deleted: Mutex<Vec<(String, Vec<Arc<R>>)>>,
    /// The answer to each at-most-once call that succeeded, by its call's ids. HDFS forgets an
    /// entry after `dfs.namenode.retrycache.expirytime.millis` (10 min); the model keeps them for
    /// the run, since a writer repeats an unanswered call within `master.journal.flush.timeout`
    /// (5 min) or exits. A failed call is applied again when repeated, as in HDFS. An at-most-once
    /// call answers only `Inode` (a create) or `Done`, so the inode alone is kept.
    retry_cache: Mutex<BTreeMap<CallId, Option<u64>>>,
    faults: UfsFaults,
}

impl<R: Content> UfsServer<R> {
    /// Serves at `addr`. The file system lives in `store`, which outlives a restart of the node.
    pub async fn serve(addr: SocketAddr, store: Arc<UfsServer<R>>) {
        let ep = Endpoint::bind(addr).await.expect("bind ufs");
        ep.add_rpc_handler(move |UfsRequest { op, id }: UfsRequest<R>| {
            let store = store.clone();
            // Boxed, as the master's handler is: a small task allocates on the fast path.
            Box::pin(async move {
                if let UfsOp::Flush { holder, .. } = &op {
                    let delay = store
                        .faults
                        .0
                        .lock()
                        .unwrap()
                        .flush_delay_ms
                        .get(node_of(holder))
                        .copied();
                    if let Some(ms) = delay {
                        store
                            .faults
                            .took_effect(FaultKind::FlushSlow, node_of(holder));
                        sleep(Duration::from_millis(ms)).await;
                    }
                }
                store.answer(op, id)
            })
        });
        std::future::pending::<()>().await;
    }

    /// A new, empty file system whose faults are driven through `faults`.
    pub fn new(faults: UfsFaults) -> Arc<UfsServer<R>> {
        Arc::new(UfsServer {
            state: Mutex::new(State::default()),
            deleted: Mutex::new(vec![]),
            retry_cache: Mutex::new(BTreeMap::new()),
            faults,
        })
    }

    /// Every path with its durable records, for the reader that checks the journal after a run.
    pub fn snapshot(&self) -> BTreeMap<String, Vec<Arc<R>>> {
        let st = self.state.lock().unwrap();
        st.paths
            .iter()
            .map(|(p, i)| (p.clone(), st.files[i].durable.clone()))
            .collect()
    }

    /// Every deleted file's path and durable records, in the order of deletion.
    pub fn deleted(&self) -> Vec<(String, Vec<Arc<R>>)> {
        self.deleted.lock().unwrap().clone()
    }

    /// Answers a call: a repeat of one that succeeded from the retry cache, any other by applying it.
    fn answer(&self, op: UfsOp<R>, id: Option<CallId>) -> Result<UfsReply<R>, UfsError> {
        let Some(id) = id else { return self.apply(op) };
        if let Some(inode) = self.retry_cache.lock().unwrap().get(&id).copied() {
            self.faults.1.record(
                "ufs",
                EventKind::UfsRetryAnswered {
                    client: id.client,
                    call: op.repeat_key().expect("only at-most-once calls carry ids"),
                },
            );
            return Ok(inode.map_or(UfsReply::Done, UfsReply::Inode));
        }
        let result = self.apply(op);
        match &result {
            Ok(UfsReply::Inode(inode)) => self.retry_cache.lock().unwrap().insert(id, Some(*inode)),
            Ok(UfsReply::Done) => self.retry_cache.lock().unwrap().insert(id, None),
            // A failure is not kept: repeated, the call is applied again.
            _ => None,
        };
        result
    }

    fn apply(&self, op: UfsOp<R>) -> Result<UfsReply<R>, UfsError> {
        let mut st = self.state.lock().unwrap();
        let now = crate::history::now_us();
        match op {
            UfsOp::Change(NamespaceChange::Create { path, holder }) => {
                let file = File {
                    durable: vec![],
                    pending: vec![],
                    lease: Some(holder),
                    mtime_us: now,
                };
                st.create(path, file).map(UfsReply::Inode)
            }
            UfsOp::Append {
                inode,
                holder,
                records,
            } => {
                let file = st.files.get_mut(&inode).ok_or(UfsError::NotFound)?;
                if file.lease.as_deref() != Some(&holder) {
                    return Err(UfsError::LeaseLost);
                }
                file.pending.extend(records);
                Ok(UfsReply::Done)
            }
            UfsOp::Flush { inode, holder } => {
                let failing = self
                    .faults
                    .0
                    .lock()
                    .unwrap()
                    .flush_fail
                    .contains(node_of(&holder));
                let file = st.files.get_mut(&inode).ok_or(UfsError::NotFound)?;
                if file.lease.as_deref() != Some(&holder) {
                    return Err(UfsError::LeaseLost);
                }
                if failing {
                    self.faults
                        .took_effect(FaultKind::FlushFail, node_of(&holder));
                    // The write pipeline broke: what was buffered is gone.
                    file.pending.clear();
                    return Err(UfsError::Failed);
                }
                let pending = std::mem::take(&mut file.pending);
                file.durable.extend(pending);
                file.mtime_us = now;
                Ok(UfsReply::Done)
            }
            UfsOp::RecoverLease { path } => {
                let inode = *st.paths.get(&path).ok_or(UfsError::NotFound)?;
                let file = st.files.get_mut(&inode).unwrap();
                file.pending.clear();
                file.lease = None;
                Ok(UfsReply::Done)
            }
            UfsOp::Change(NamespaceChange::Rename { src, dst, holder }) => {
                if self.faults.0.lock().unwrap().rename_fail {
                    self.faults
                        .took_effect(FaultKind::RenameFail, holder.as_deref().map_or("", node_of));
                    return Err(UfsError::Failed);
                }
                st.check_holder(&src, holder.as_deref())?;
                if st.paths.contains_key(&dst) {
                    return Err(UfsError::AlreadyExists);
                }
                let inode = st.paths.remove(&src).ok_or(UfsError::NotFound)?;
                st.paths.insert(dst, inode);
                Ok(UfsReply::Done)
            }
            UfsOp::Change(NamespaceChange::Delete { path, holder }) => {
                st.check_holder(&path, holder.as_deref())?;
                let inode = st.paths.remove(&path).ok_or(UfsError::NotFound)?;
                if let Some(file) = st.files.remove(&inode) {
                    self.deleted.lock().unwrap().push((path, file.durable));
                }
                Ok(UfsReply::Done)
            }
            UfsOp::List { dir } => {
                let prefix = format!("{}/", dir.trim_end_matches('/'));
                let listing = st
                    .paths
                    .range(prefix.clone()..)
                    .take_while(|(p, _)| p.starts_with(&prefix))
                    .filter(|(p, _)| !p[prefix.len()..].contains('/'))
                    .map(|(p, i)| FileInfo {
                        name: p[prefix.len()..].to_string(),
                        inode: *i,
                        durable_records: st.files[i].durable.len() as u64,
                        mtime_us: st.files[i].mtime_us,
                    })
                    .collect();
                Ok(UfsReply::Listing(listing))
            }
            UfsOp::Read { path } => {
                let inode = st.paths.get(&path).ok_or(UfsError::NotFound)?;
                Ok(UfsReply::Records(st.files[inode].durable.clone()))
            }
            UfsOp::Put { path, records } => {
                let file = File {
                    durable: records,
                    pending: vec![],
                    lease: None,
                    mtime_us: now,
                };
                st.create(path, file).map(|_| UfsReply::Done)
            }
        }
    }
}

/// A process's handle on the UFS.
pub struct UfsClient<R> {
    ep: Endpoint,
    server: SocketAddr,
    timeout: Duration,
    /// The process's id and its last call number, shared by every handle of the process.
    calls: Arc<Mutex<(String, u64)>>,
    /// Namespace changes sent through this handle (and its clones) without an answer, by
    /// [`UfsOp::repeat_key`]: repeated, they go with the same call number.
    unanswered: Arc<Mutex<BTreeMap<RepeatKey, u64>>>,
    records: std::marker::PhantomData<fn() -> R>,
}

impl<R> Clone for UfsClient<R> {
    fn clone(&self) -> Self {
        UfsClient {
            ep: self.ep.clone(),
            server: self.server,
            timeout: self.timeout,
            calls: self.calls.clone(),
            unanswered: self.unanswered.clone(),
            records: std::marker::PhantomData,
        }
    }
}

impl<R: Content> UfsClient<R> {
    /// A handle for the process `client` (its name and incarnation: the retry cache's client id).
    pub fn new(ep: Endpoint, server: SocketAddr, timeout: Duration, client: String) -> Self {
        UfsClient {
            ep,
            server,
            timeout,
            calls: Arc::new(Mutex::new((client, 0))),
            unanswered: Arc::default(),
            records: std::marker::PhantomData,
        }
    }

    /// A handle of the same process that repeats only the unanswered calls made through it, for
    /// a task whose calls die with it: a journal writer's belong to its term, and a later term's
    /// create of the same path is a new call, not a repeat.
    pub fn own_repeats(&self) -> Self {
        UfsClient {
            unanswered: Arc::default(),
            ..self.clone()
        }
    }

    /// One call; no answer within the timeout is [`UfsError::Timeout`]. An at-most-once call that
    /// repeats one still unanswered goes with that call's id.
    pub async fn call(&self, op: UfsOp<R>) -> Result<UfsReply<R>, UfsError> {
        let key = op.repeat_key();
        let id = key.as_ref().map(|key| {
            let mut calls = self.calls.lock().unwrap();
            let call = match self.unanswered.lock().unwrap().get(key) {
                Some(&call) => call,
                None => {
                    calls.1 += 1;
                    calls.1
                }
            };
            CallId {
                client: calls.0.clone(),
                call,
            }
        });
        let request = UfsRequest { op, id: id.clone() };
        let result = match call_within(&self.ep, self.server, request, self.timeout).await {
            Ok(reply) => reply,
            Err(_) => Err(UfsError::Timeout),
        };
        if let (Some(key), Some(id)) = (key, id) {
            let mut unanswered = self.unanswered.lock().unwrap();
            if matches!(result, Err(UfsError::Timeout)) {
                unanswered.insert(key, id.call);
            } else {
                unanswered.remove(&key);
            }
        }
        result
    }

    pub async fn list(&self, dir: &str) -> Result<Vec<FileInfo>, UfsError> {
        match self.call(UfsOp::List { dir: dir.into() }).await? {
            UfsReply::Listing(l) => Ok(l),
            _ => unreachable!(),
        }
    }

    pub async fn read(&self, path: &str) -> Result<Vec<Arc<R>>, UfsError> {
        match self.call(UfsOp::Read { path: path.into() }).await? {
            UfsReply::Records(r) => Ok(r),
            _ => unreachable!(),
        }
    }

    pub async fn rename(&self, src: &str, dst: &str) -> Result<(), UfsError> {
        self.rename_held(src, dst, None).await
    }

    /// Renames only if `holder` (when given) holds the file's lease.
    pub async fn rename_held(
        &self,
        src: &str,
        dst: &str,
        holder: Option<&str>,
    ) -> Result<(), UfsError> {
        self.call(UfsOp::Change(NamespaceChange::Rename {
            src: src.into(),
            dst: dst.into(),
            holder: holder.map(String::from),
        }))
        .await
        .map(|_| ())
    }

    pub async fn delete(&self, path: &str) -> Result<(), UfsError> {
        self.delete_held(path, None).await
    }

    /// Deletes only if `holder` (when given) holds the file's lease.
    pub async fn delete_held(&self, path: &str, holder: Option<&str>) -> Result<(), UfsError> {
        self.call(UfsOp::Change(NamespaceChange::Delete {
            path: path.into(),
            holder: holder.map(String::from),
        }))
        .await
        .map(|_| ())
    }
}
