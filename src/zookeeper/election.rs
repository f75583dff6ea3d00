//! The leader-election recipe (Curator's LeaderSelector as Alluxio's PrimarySelectorClient uses
//! it) and the leader-path lookup clients use (ZkMasterInquireClient).

use super::{parent, ZkClient, ZkError, ZkOp, ZkReply};

/// Creates every missing persistent znode on the way to `path`.
pub async fn ensure_path(zk: &ZkClient, path: &str) -> Result<(), ZkError> {
    let mut prefix = String::new();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        prefix.push('/');
        prefix.push_str(part);
        let op = ZkOp::Create {
            path: prefix.clone(),
            data: String::new(),
            ephemeral: false,
            sequential: false,
        };
        match zk.call(op).await {
            Ok(_) | Err(ZkError::NodeExists) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The sequence number of a sequential znode name.
pub fn sequence_of(name: &str) -> Option<u64> {
    name.get(name.len().checked_sub(10)?..)?.parse().ok()
}

/// One master's place in the election at `zookeeper.election.path`.
pub struct Election {
    zk: ZkClient,
    path: String,
    /// Name prefix of this process's election znodes (master id and incarnation), so that a
    /// create whose answer was lost can be found and removed before trying again.
    prefix: String,
}

impl Election {
    pub fn new(zk: ZkClient, path: &str, prefix: &str) -> Self {
        Election {
            zk,
            path: path.to_string(),
            prefix: format!("_c_{prefix}-"),
        }
    }

    /// Joins the election: removes this process's leftovers, then creates an ephemeral sequential
    /// znode. Returns its path and its sequence number, which is the term if it wins.
    pub async fn join(&self) -> Result<(String, u64), ZkError> {
        ensure_path(&self.zk, &self.path).await?;
        if let ZkReply::Children(children) = self
            .zk
            .call(ZkOp::GetChildren {
                path: self.path.clone(),
            })
            .await?
        {
            for (name, _) in children.iter().filter(|(n, _)| n.starts_with(&self.prefix)) {
                // A leftover that cannot be removed now stands ahead of any new candidacy and
                // blocks every candidate: join again later rather than queue behind it.
                let removed = self
                    .zk
                    .call(ZkOp::Delete {
                        path: format!("{}/{name}", self.path),
                    })
                    .await;
                match removed {
                    Ok(_) | Err(ZkError::NoNode) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        let op = ZkOp::Create {
            path: format!("{}/{}", self.path, self.prefix),
            data: String::new(),
            ephemeral: true,
            sequential: true,
        };
        match self.zk.call(op).await? {
            ZkReply::Created(path) => {
                let seq = sequence_of(&path).expect("sequential znode");
                Ok((path, seq))
            }
            other => unreachable!("create answered {other:?}"),
        }
    }

    /// Whether `mine` has the lowest sequence number now. If not, leaves a watch on its predecessor
    /// so that a watch event says when to check again. `Err(NoNode)`: `mine` is gone.
    pub async fn is_leader(&self, mine: &str) -> Result<bool, ZkError> {
        let ZkReply::Children(mut children) = self
            .zk
            .call(ZkOp::GetChildren {
                path: self.path.clone(),
            })
            .await?
        else {
            unreachable!()
        };
        children.sort_by_key(|(n, _)| sequence_of(n));
        let my_name = &mine[parent(mine).len() + 1..];
        let Some(pos) = children.iter().position(|(n, _)| n == my_name) else {
            return Err(ZkError::NoNode);
        };
        if pos == 0 {
            return Ok(true);
        }
        let predecessor = format!("{}/{}", self.path, children[pos - 1].0);
        match self
            .zk
            .call(ZkOp::Exists {
                path: predecessor,
                watch: true,
            })
            .await?
        {
            ZkReply::Stat(Some(_)) => Ok(false),
            // Gone between the two calls: look again at once.
            _ => Box::pin(self.is_leader(mine)).await,
        }
    }

    /// Leaves the election (best effort: an expired session has removed the znode already, and a
    /// znode left behind is removed by the next [`Election::join`] before it queues again).
    pub async fn leave(&self, mine: &str) {
        let _ = self
            .zk
            .call(ZkOp::Delete {
                path: mine.to_string(),
            })
            .await;
    }
}

/// Lists the leader path: the masters that advertise themselves as primary, with their znode's
/// creation time. Several can be listed at once (a deposed leader's znode lingers until its
/// session expires); callers take the newest.
pub async fn leader_candidates(
    zk: &ZkClient,
    leader_path: &str,
) -> Result<Vec<(String, u64)>, ZkError> {
    match zk
        .call(ZkOp::GetChildren {
            path: leader_path.to_string(),
        })
        .await
    {
        Ok(ZkReply::Children(children)) => {
            Ok(children.into_iter().map(|(n, s)| (n, s.ctime_us)).collect())
        }
        Ok(_) => unreachable!(),
        Err(ZkError::NoNode) => Ok(vec![]),
        Err(e) => Err(e),
    }
}
