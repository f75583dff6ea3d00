//! The read path's fence: what a primary checks before a read's answer (or a definite error)
//! leaves, so that clients never see a write that could be lost or a tree a newer primary has
//! moved past.

use super::rpc::MasterError;
use super::{JournalRequest, Master, Stage, ELECTION_PATH};
use crate::options::{ReadLeadership, ReadVisibility};
use crate::zookeeper::{ZkClient, ZkOp, ZkReply};
use futures::channel::oneshot;

impl Master {
    /// Before a read's answer (or a definite error) leaves. Durable visibility waits until every
    /// entry planned so far is durable, so the answer never shows a write that could still be
    /// lost. The leadership check makes sure no other master led since the tree was read, so a
    /// deposed primary never answers from a stale tree: by ZooKeeper (its election znode still
    /// leads) or by the journal (a flush of its log still holds the lease; with applied
    /// visibility that flush goes ahead of the pending entries, so the answer can leave before
    /// they are durable). A master acting without a journal (bugs B1 and B9) answers at once.
    pub(super) async fn read_barrier(&self) -> Result<(), MasterError> {
        let durable = self.options.read_visibility() == ReadVisibility::Durable;
        let leadership = self.options.read_leadership();
        let confirm_lease = leadership == ReadLeadership::JournalBarrier;
        let (journal, elected) = {
            let s = self.status.lock().unwrap();
            if s.stage != Stage::Primary {
                return Ok(());
            }
            (s.journal.clone(), s.elected.clone())
        };
        if durable || confirm_lease {
            let Some(journal) = journal else {
                return Ok(());
            };
            let (done, answer) = oneshot::channel();
            journal
                .unbounded_send(JournalRequest::Barrier {
                    confirm_lease,
                    after_pending: durable,
                    done,
                })
                .map_err(|_| MasterError::Unavailable)?;
            if answer.await != Ok(true) {
                return Err(MasterError::Unavailable);
            }
        }
        if leadership == ReadLeadership::ZookeeperCheck {
            let Some((zk, mine)) = elected else {
                return Err(MasterError::Unavailable);
            };
            if !still_leads(&zk, &mine).await {
                return Err(MasterError::Unavailable);
            }
        }
        Ok(())
    }
}

/// Whether `mine` is still the first candidate of the election, as ZooKeeper answers now.
async fn still_leads(zk: &ZkClient, mine: &str) -> bool {
    let Ok(ZkReply::Children(children)) = zk
        .call(ZkOp::GetChildren {
            path: ELECTION_PATH.into(),
        })
        .await
    else {
        return false;
    };
    let my_name = &mine[crate::zookeeper::parent(mine).len() + 1..];
    children
        .iter()
        .min_by_key(|(n, _)| crate::zookeeper::election::sequence_of(n))
        .is_some_and(|(n, _)| n == my_name)
}
