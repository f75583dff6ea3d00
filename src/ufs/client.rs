//! A process's handle on the UFS: calls with a timeout, and at-most-once calls repeated with the
//! ids of their unanswered first try.

use super::protocol::{CallId, Content, FileInfo, UfsError, UfsOp, UfsReply, UfsRequest};
use crate::deadline::call_within;
use crate::vocab::{NamespaceChange, RepeatKey};
use madsim::net::Endpoint;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
