//! Scenarios on sessions: expiry, cuts, latency.

use crate::compare::{late, only, or_on_real, state, unordered, within, Scenario, Side};
use crate::script::S;
use ftsim::conformance::{Mode::*, Reply, What};

const WATCHER_STATES: &str = "ZooKeeper also tells a session's watchers of Disconnected and \
    Expired; the model tells its subscribers through connection states only, which is what \
    Curator's recipes and Alluxio's selector act on";
const EXPIRED_TWICE: &str = "the expiry ends the session and closes its connection: the client \
    hears the close while the expiry's answer is on its way to whoever asked, and nothing orders \
    the two";
const FIRST_ATTEMPT: &str = "LOST (ZooKeeper says expired) and the new session come at the first \
    reconnect attempt after the heal: within the reconnect delay (below 1 s) and one attempt \
    (800 ms, too short for a SYN retransmission) on either side, drawn independently";
const CALL_AT_LOSS: &str = "ZooKeeper's client fails a call in flight when it gives the \
    connection up (with SUSPENDED, a read timeout and a cleanup after the last answer); the \
    model's call fails at its own deadline, Curator's connection timeout rounded up to whole \
    attempts, here 1.6 s after it began: the same time within the tolerance, in either order \
    (docs/src/conformance.md, D3)";
const HELD_PAST_LOST: &str = "Curator's call while SUSPENDED is sometimes still waiting for a \
    connection when Curator declares LOST by its own rule, and then ends SessionExpired after \
    the LOST instead of ConnectionLoss before it; the heal, the LOST (by Curator's rule, or at \
    the reconnect that finds the session expired) and the new session then come at times that \
    vary from run to run, so only their order is compared here (expiry-by-cut times them); a failed call either way, the same for a primary selector (docs/src/conformance.md, D3)";
const RESET: &str = "Curator, asked for a call while SUSPENDED, waits for the connection and \
    may reset its handle, so its ConnectionLoss comes at a time that varies from run to run; the \
    model's call fails at the connection timeout; the outcomes (ConnectionLoss, then LOST and a \
    new session) agree (docs/src/conformance.md, D3)";

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "expiry-by-cut",
            script: S::new()
                .open("a", 1000)
                .open("b", 1000)
                .sleep(300)
                .dir("a", "/p9")
                .create("a", "/p9/e", Ephemeral)
                .watch("b", "/p9/e")
                .exists("a", "/p9")
                .cut("a")
                .sleep(2500)
                .exists("b", "/p9/e")
                .heal("a")
                .sleep(1500)
                .stale_exists("a", "/p9")
                .exists("a", "/p9/e")
                .sleep(100)
                .0,
            tolerance_ms: 200,
            tolerance:
                "SUSPENDED at the read timeout (two thirds of the session timeout) after the \
                    last answer, plus ZooKeeper's 100 ms cleanup; the server's expiry within a \
                    tick (100 ms) after the session timeout; within two ticks",
            known: vec![],
        },
        Scenario {
            name: "expiry-by-server",
            script: S::new()
                .open("a", 3000)
                .open("b", 3000)
                .sleep(300)
                .dir("a", "/p10")
                .create("a", "/p10/e", Ephemeral)
                .watch("b", "/p10/e")
                .watch("a", "/p10")
                .expire("a")
                .sleep(2000)
                .stale_exists("a", "/p10")
                .exists("b", "/p10/e")
                .sleep(100)
                .0,
            tolerance_ms: 200,
            tolerance: "the expiry is done once the session is gone; the client is SUSPENDED a \
                    cleanup (100 ms) after the server closes its connection; within two ticks",
            known: vec![
                only(
                    Side::Real,
                    "a",
                    What::WatcherState {
                        state: "Disconnected".into(),
                    },
                    WATCHER_STATES,
                ),
                only(
                    Side::Real,
                    "a",
                    What::WatcherState {
                        state: "Expired".into(),
                    },
                    WATCHER_STATES,
                ),
                unordered(
                    "a",
                    What::Reply {
                        step: 7,
                        reply: Reply::Done,
                    },
                    state("SUSPENDED", "a#1"),
                    EXPIRED_TWICE,
                ),
            ],
        },
        Scenario {
            name: "short-cut-no-change",
            script: S::new()
                .open("a", 3000)
                .sleep(300)
                .exists("a", "/")
                .cut("a")
                .sleep(1000)
                .heal("a")
                .sleep(3000)
                .exists("a", "/")
                .sleep(100)
                .0,
            tolerance_ms: 150,
            tolerance: "nothing to time but the calls",
            known: vec![],
        },
        Scenario {
            name: "suspended-then-reconnected",
            script: S::new()
                .open("a", 4000)
                .open("b", 4000)
                .sleep(300)
                .dir("a", "/p12")
                .create("a", "/p12/e", Ephemeral)
                .exists("a", "/")
                .cut("a")
                .sleep(3000)
                .heal("a")
                .sleep(2500)
                .exists("b", "/p12/e")
                .sleep(100)
                .0,
            tolerance_ms: 1100,
            tolerance: "SUSPENDED at two thirds of the session timeout after the last answer; \
                    RECONNECTED after the heal within ZooKeeper's random reconnect delay (below \
                    1 s)",
            known: vec![],
        },
        Scenario {
            name: "heal-after-server-expiry",
            script: S::new()
                .open("a", 2400)
                .sleep(300)
                .dir("a", "/p13")
                .create("a", "/p13/e", Ephemeral)
                .exists("a", "/")
                .cut("a")
                .sleep(3600)
                .heal("a")
                .sleep(2500)
                .exists("a", "/p13/e")
                .sleep(100)
                .0,
            tolerance_ms: 200,
            tolerance: "SUSPENDED at two thirds of the session timeout, within two ticks",
            known: vec![
                within("a", state("LOST", "none"), 1900, FIRST_ATTEMPT),
                within("a", state("RECONNECTED", "a#2"), 1900, FIRST_ATTEMPT),
            ],
        },
        Scenario {
            name: "call-during-cut",
            script: S::new()
                .open("a", 2400)
                .sleep(300)
                .exists("a", "/")
                .cut("a")
                .exists("a", "/")
                .exists("a", "/")
                .heal("a")
                .sleep(3000)
                .0,
            tolerance_ms: 200,
            tolerance:
                "a call fails at the read timeout (two thirds of the session timeout) while \
                    connected, at Curator's connection timeout once suspended; within two ticks",
            known: vec![
                unordered(
                    "a",
                    What::Reply {
                        step: 4,
                        reply: Reply::Error("ConnectionLoss".into()),
                    },
                    state("SUSPENDED", "a#1"),
                    CALL_AT_LOSS,
                ),
                late(
                    "a",
                    What::Reply {
                        step: 5,
                        reply: Reply::Error("ConnectionLoss".into()),
                    },
                    RESET,
                ),
                or_on_real(
                    "a",
                    What::Reply {
                        step: 5,
                        reply: Reply::Error("ConnectionLoss".into()),
                    },
                    What::Reply {
                        step: 5,
                        reply: Reply::Error("SessionExpired".into()),
                    },
                    HELD_PAST_LOST,
                ),
                late("a", state("LOST", "none"), HELD_PAST_LOST),
                late("a", state("RECONNECTED", "a#2"), HELD_PAST_LOST),
                unordered(
                    "a",
                    state("LOST", "none"),
                    What::Reply {
                        step: 5,
                        reply: Reply::Error("ConnectionLoss".into()),
                    },
                    HELD_PAST_LOST,
                ),
            ],
        },
        Scenario {
            name: "latency-below-a-ping-interval",
            script: S::new()
                .open("a", 2000)
                .sleep(300)
                .exists("a", "/")
                .delay("a", 250)
                .sleep(3000)
                .exists("a", "/")
                .delay("a", 0)
                .sleep(500)
                .0,
            tolerance_ms: 150,
            tolerance: "a call under 250 ms latency each way takes 500 ms on both sides",
            known: vec![],
        },
        Scenario {
            name: "latency-past-a-ping-interval",
            script: S::new()
                .open("a", 2000)
                .sleep(300)
                .exists("a", "/")
                .delay("a", 400)
                .sleep(4500)
                .delay("a", 0)
                .sleep(2000)
                .exists("a", "/")
                .sleep(100)
                .0,
            tolerance_ms: 200,
            tolerance:
                "a round trip of 800 ms, longer than the ping interval (667 ms) but shorter \
                    than the read timeout (1333 ms): the next ping goes while one is in flight, \
                    each answer comes within the read timeout, and nothing changes; the calls \
                    take a round trip",
            known: vec![],
        },
    ]
}
