//! Scenarios on znodes and watches: names, `ctime` order, errors, one-shot watches, pings.

use crate::compare::Scenario;
use crate::script::{OPS, S};
use ftsim::conformance::Mode::*;

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "persistent-znodes",
            script: S::new()
                .open("a", 2000)
                .sleep(300)
                .dir("a", "/p1")
                .dir("a", "/p1")
                .dir("a", "/p1/x/y")
                .dir("a", "/p1/x")
                .delete("a", "/p1")
                .delete("a", "/p1/x")
                .delete("a", "/p1/x")
                .exists("a", "/p1")
                .delete("a", "/p1")
                .exists("a", "/p1")
                .sleep(100)
                .0,
            tolerance_ms: 150,
            tolerance: OPS,
            known: vec![],
        },
        Scenario {
            name: "sequential-names",
            script: S::new()
                .open("a", 2000)
                .sleep(300)
                .dir("a", "/p2")
                .create("a", "/p2/n-", PersistentSequential)
                .create("a", "/p2/n-", PersistentSequential)
                .create("a", "/p2/e-", EphemeralSequential)
                .delete("a", "/p2/n-0000000001")
                .create("a", "/p2/n-", PersistentSequential)
                .children("a", "/p2")
                .sleep(100)
                .0,
            tolerance_ms: 150,
            tolerance: OPS,
            known: vec![],
        },
        Scenario {
            name: "sequence-counts-every-child",
            script: S::new()
                .open("a", 2000)
                .sleep(300)
                .dir("a", "/p3")
                .dir("a", "/p3/plain")
                .create("a", "/p3/e", Ephemeral)
                .create("a", "/p3/n-", PersistentSequential)
                .dir("a", "/p3/plain")
                .create("a", "/p3/n-", EphemeralSequential)
                .sleep(100)
                .0,
            tolerance_ms: 150,
            tolerance: OPS,
            known: vec![],
        },
        Scenario {
            name: "ctime-order",
            script: S::new()
                .open("a", 2000)
                .sleep(300)
                .dir("a", "/p4")
                .dir("a", "/p4/a")
                .sleep(30)
                .create("a", "/p4/b", Ephemeral)
                .sleep(30)
                .create("a", "/p4/c-", EphemeralSequential)
                .children("a", "/p4")
                .exists("a", "/p4/b")
                .exists("a", "/p4/a")
                .sleep(100)
                .0,
            tolerance_ms: 150,
            tolerance:
                "calls answer within a round trip; creates 30 ms apart, so ctimes (ms on the \
                    real server) never tie",
            known: vec![],
        },
        Scenario {
            name: "ephemeral-owner-and-close",
            script: S::new()
                .open("a", 2000)
                .open("b", 2000)
                .sleep(300)
                .dir("a", "/p5")
                .create("a", "/p5/e", Ephemeral)
                .exists("b", "/p5/e")
                .create("a", "/p5/e/child", Persistent)
                .watch("b", "/p5/e")
                .close("a")
                .sleep(300)
                .exists("b", "/p5/e")
                .sleep(100)
                .0,
            tolerance_ms: 150,
            tolerance: "calls within a round trip; a closed session's ephemerals go at once",
            known: vec![],
        },
        Scenario {
            name: "watch-fires-once",
            script: S::new()
                .open("a", 2000)
                .open("b", 2000)
                .sleep(300)
                .dir("a", "/p6")
                .watch("b", "/p6/x")
                .watch("b", "/p6/x")
                .create("a", "/p6/x", Persistent)
                .sleep(100)
                .delete("a", "/p6/x")
                .sleep(100)
                .watch("b", "/p6/x")
                .create("a", "/p6/x", Persistent)
                .sleep(100)
                .watch("b", "/p6/x")
                .delete("a", "/p6/x")
                .sleep(100)
                .create("a", "/p6/x", Persistent)
                .sleep(200)
                .0,
            tolerance_ms: 150,
            tolerance: "a watch event follows its change within a round trip",
            known: vec![],
        },
        Scenario {
            name: "watch-order",
            script: S::new()
                .open("a", 2000)
                .open("b", 2000)
                .sleep(300)
                .dir("a", "/p7")
                .watch("b", "/p7/3")
                .watch("b", "/p7/1")
                .watch("b", "/p7/2")
                .watch("b", "/p7/4")
                .dir("a", "/p7/3")
                .dir("a", "/p7/1")
                .dir("a", "/p7/4")
                .dir("a", "/p7/2")
                .sleep(200)
                .0,
            tolerance_ms: 150,
            tolerance:
                "watch events follow their changes within a round trip, in the order of the \
                    changes",
            known: vec![],
        },
        Scenario {
            name: "pings-keep-a-session",
            script: S::new()
                .open("a", 1000)
                .open("b", 1000)
                .sleep(300)
                .dir("a", "/p8")
                .create("a", "/p8/e", Ephemeral)
                .sleep(5000)
                .exists("b", "/p8/e")
                .sleep(100)
                .0,
            tolerance_ms: 150,
            tolerance: OPS,
            known: vec![],
        },
    ]
}
