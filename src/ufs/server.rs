//! The UFS actor: files, leases, durability and the namenode's retry cache.

use super::faults::{node_of, UfsFaults};
use super::protocol::{CallId, Content, FileInfo, UfsError, UfsOp, UfsReply, UfsRequest};
use crate::fault::FaultKind;
use crate::history::EventKind;
use crate::vocab::NamespaceChange;
use madsim::net::Endpoint;
use madsim::time::sleep;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
                    let delay = store.faults.flush_delay_ms(node_of(holder));
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
            self.faults.history().record(
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
                let failing = self.faults.flush_fails(node_of(&holder));
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
                if self.faults.renames_fail() {
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
