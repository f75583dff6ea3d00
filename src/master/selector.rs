//! The leader selector (Alluxio's PrimarySelectorClient, a Curator LeaderSelector): waiting for
//! leadership, the connection-error policy that ends it, and the leader znode that tells clients
//! where the primary is.

use super::{Master, LEADER_PATH};
use crate::bugs::Bug;
use crate::net::Role as NodeRole;
use crate::options::ConnectionErrorPolicy;
use crate::vocab::ConnState;
use crate::zookeeper::election::{ensure_path, Election};
use crate::zookeeper::{ZkClient, ZkError, ZkEvent, ZkOp};
use futures::channel::mpsc;
use futures::StreamExt;

/// Waits until `mine` leads the election. False when the election znode or the session is gone
/// (join again).
pub(crate) async fn wait_for_leadership(
    election: &Election,
    mine: &str,
    events: &mut mpsc::UnboundedReceiver<ZkEvent>,
    session: u64,
) -> bool {
    loop {
        match election.is_leader(mine).await {
            Ok(true) => return true,
            Ok(false) => {}
            Err(crate::zookeeper::ZkError::ConnectionLoss) => continue,
            Err(_) => return false,
        }
        // Wait for the predecessor's watch, or a connection change.
        match events.next().await {
            Some(ZkEvent::Watch { .. }) => {}
            Some(ZkEvent::Connection {
                state: ConnState::Lost,
                ..
            }) => return false,
            Some(ZkEvent::Connection { session: s, .. }) if s != session => return false,
            Some(ZkEvent::Connection { .. }) => {}
            None => return false,
        }
    }
}

/// Whether a connection event ends primacy under the configured policy.
pub fn ends_primacy(
    policy: ConnectionErrorPolicy,
    state: ConnState,
    new_session: u64,
    my_session: u64,
) -> bool {
    match policy {
        ConnectionErrorPolicy::Standard => true,
        ConnectionErrorPolicy::Session => match state {
            ConnState::Connected | ConnState::Lost => true,
            ConnState::Suspended => false,
            ConnState::Reconnected => new_session != my_session,
        },
    }
}

/// Deletes and re-creates this master's leader znode (ephemeral; persistent with bug B6).
pub async fn advertise(master: &Master, zk: &ZkClient) -> Result<(), ZkError> {
    ensure_path(zk, LEADER_PATH).await?;
    let path = format!("{LEADER_PATH}/{}", NodeRole::Master(master.index).addr());
    // Bug B6: a persistent znode, created only if absent. A crashed leader's znode survives; when
    // that master leads again its znode keeps its old creation time, so lookups, which take the
    // newest, send clients to whichever dead master advertised last.
    let persistent = master.bug(Bug::PersistentLeaderZnode);
    if !persistent {
        match zk.call(ZkOp::Delete { path: path.clone() }).await {
            Ok(_) | Err(ZkError::NoNode) => {}
            Err(e) => return Err(e),
        }
    }
    let ephemeral = !persistent;
    match zk
        .call(ZkOp::Create {
            path,
            data: String::new(),
            ephemeral,
            sequential: false,
        })
        .await
    {
        Ok(_) | Err(ZkError::NodeExists) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Removes this master's leader znode.
pub async fn unadvertise(master: &Master, zk: &ZkClient) {
    let path = format!("{LEADER_PATH}/{}", NodeRole::Master(master.index).addr());
    let _ = zk.call(ZkOp::Delete { path }).await;
}
