//! The server's sessions and znodes, as ZooKeeper keeps them.

use super::*;

/// A session expires strictly after its timeout, as ZooKeeper's session tracker has it (it
/// rounds a session's expiry up to the next tick after its timeout runs out): a session silent
/// for exactly its timeout lives, and one microsecond more ends it. The clock is advanced by
/// hand, within one poll, so that no scheduling noise moves it off the boundary.
#[test]
fn a_session_expires_only_after_its_whole_timeout() {
    let alive = crate::sim::simulate(1, None, || async {
        let tick = Duration::from_millis(1);
        let server = ZooKeeperServer::new(tick, ZkControl::default(), History::default());
        let connect = ZkOp::Connect {
            timeout_ms: 3_000,
            owner: "master-0".into(),
            notify: "10.0.0.1:1".parse().unwrap(),
            resume: None,
        };
        let session = match server.handle(ZkRequest {
            session: 0,
            xid: 0,
            op: connect,
        }) {
            Ok(ZkReply::Session(id)) => id,
            other => panic!("connect answered {other:?}"),
        };
        let mut alive = vec![];
        for wait in [Duration::from_millis(3_000), Duration::from_micros(1)] {
            madsim::time::advance(wait);
            server.expire_sessions();
            alive.push(server.state.lock().unwrap().sessions.contains_key(&session));
        }
        alive
    })
    .unwrap();
    assert_eq!(
        alive,
        [true, false],
        "alive at its timeout, expired just after"
    );
}

/// Found by the conformance suite against ZooKeeper 3.8: a sequential znode's suffix is its
/// parent's child version, which every create under the parent advances, sequential or not,
/// while deletes and failed creates do not; and an ephemeral znode can have no children.
#[test]
fn sequential_suffixes_count_every_child_created() {
    let answers = crate::sim::simulate(1, None, || async {
        let server = ZooKeeperServer::new(
            Duration::from_millis(1),
            ZkControl::default(),
            History::default(),
        );
        let mut xid = 0;
        let mut call = |op: ZkOp| {
            xid += 1;
            server.handle(ZkRequest {
                session: 1,
                xid,
                op,
            })
        };
        let connect = ZkOp::Connect {
            timeout_ms: 3_000,
            owner: "a".into(),
            notify: "10.0.0.1:1".parse().unwrap(),
            resume: None,
        };
        assert_eq!(call(connect), Ok(ZkReply::Session(1)));
        let create = |path: &str, ephemeral: bool, sequential: bool| ZkOp::Create {
            path: path.into(),
            data: String::new(),
            ephemeral,
            sequential,
        };
        let mut out = vec![];
        for op in [
            create("/p", false, false),
            create("/p/plain", false, false),
            create("/p/e", true, false),
            create("/p/n-", false, true),
            create("/p/plain", false, false),
            ZkOp::Delete {
                path: "/p/plain".into(),
            },
            create("/p/n-", true, true),
            create("/p/e/child", false, false),
        ] {
            out.push(call(op));
        }
        out
    })
    .unwrap();
    let created = |p: &str| Ok(ZkReply::Created(p.into()));
    assert_eq!(
        answers,
        vec![
            created("/p"),
            created("/p/plain"),
            created("/p/e"),
            created("/p/n-0000000002"),
            Err(ZkError::NodeExists),
            Ok(ZkReply::Deleted),
            created("/p/n-0000000003"),
            Err(ZkError::NoChildrenForEphemerals),
        ]
    );
}
