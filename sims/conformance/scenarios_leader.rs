//! Scenarios on the leader recipe and on a ZooKeeper restart.

use crate::compare::{late, only, or_on_real, state, within, Scenario, Side, RANDOM_TOLERANCE_MS};
use crate::script::S;
use ftsim::conformance::Mode::*;
use ftsim::conformance::Reply;
use ftsim::conformance::What;

const OUTAGE: &str = "a real server that stops closes its clients' connections: SUSPENDED at \
    once; the model's ZooKeeper outage (the nemesis's zookeeper-unavailable) is silence, so \
    SUSPENDED comes at the read timeout, and Curator's LOST that much later; no master can be \
    elected while ZooKeeper is down and every timer restarts when it returns, so no second \
    primary comes of it (docs/src/conformance.md)";

const LOST_LEADER: &str = "the leader gives up at its LOST, which comes at Curator's own rule \
    once ZooKeeper's client thread has slept out its random reconnect delay";

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "leader-elects-one",
            script: S::new()
                .open("a", 2000)
                .open("b", 2000)
                .open("c", 2000)
                .sleep(300)
                .elect("a", "/p16")
                .sleep(300)
                .elect("b", "/p16")
                .sleep(100)
                .elect("c", "/p16")
                .sleep(500)
                .0,
            tolerance_ms: 150,
            tolerance: "leadership within a few round trips of joining",
            known: vec![],
        },
        Scenario {
            name: "leader-hands-over-on-close",
            script: S::new()
                .open("a", 2000)
                .open("b", 2000)
                .sleep(300)
                .elect("a", "/p17")
                .sleep(300)
                .elect("b", "/p17")
                .sleep(300)
                .close("a")
                .sleep(500)
                .0,
            tolerance_ms: 150,
            tolerance: "the next candidate leads within a few round trips of the close",
            known: vec![],
        },
        Scenario {
            name: "leader-hands-over-on-session-loss",
            script: S::new()
                .open("a", 1000)
                .open("b", 1000)
                .sleep(300)
                .elect("a", "/p18")
                .sleep(300)
                .elect("b", "/p18")
                .sleep(300)
                .exists("a", "/")
                .cut("a")
                .sleep(2500)
                .heal("a")
                .sleep(1500)
                .close("b")
                .sleep(500)
                .0,
            tolerance_ms: 200,
            tolerance:
                "b leads within a tick of the old session's expiry; a gives up at Curator's \
                    LOST (a session timeout after SUSPENDED); within two ticks",
            known: vec![within(
                "a",
                What::Leader { leads: false },
                RANDOM_TOLERANCE_MS,
                LOST_LEADER,
            )],
        },
        Scenario {
            name: "server-restart-within-session",
            script: S::new()
                .open("a", 4000)
                .sleep(300)
                .dir("a", "/p19")
                .create("a", "/p19/e", Ephemeral)
                .server_down()
                .sleep(1000)
                .server_up()
                .sleep(3000)
                .exists("a", "/p19/e")
                .sleep(100)
                .0,
            tolerance_ms: 1100,
            tolerance: "RECONNECTED within the reconnect delay (below 1 s) of the server's return",
            known: vec![
                only(Side::Real, "a", state("SUSPENDED", "a#1"), OUTAGE),
                only(Side::Real, "a", state("RECONNECTED", "a#1"), OUTAGE),
            ],
        },
        Scenario {
            name: "server-down-past-session",
            script: S::new()
                .open("a", 1500)
                .sleep(300)
                .dir("a", "/p20")
                .create("a", "/p20/e", Ephemeral)
                .server_down()
                .sleep(3000)
                .server_up()
                .sleep(1000)
                .exists("a", "/p20/e")
                .sleep(1500)
                .exists("a", "/p20/e")
                .sleep(100)
                .0,
            tolerance_ms: 1100,
            tolerance:
                "Curator's LOST a session timeout after SUSPENDED; the new session within the \
                    reconnect delay (below 1 s) of the server's return; the old session expires \
                    a session timeout after it, its timers started over",
            known: vec![
                late("a", state("SUSPENDED", "a#1"), OUTAGE),
                late("a", state("LOST", "none"), OUTAGE),
                late("a", state("RECONNECTED", "a#2"), OUTAGE),
                late("a", old_ephemeral(), RESTART_RACE),
                or_on_real(
                    "a",
                    old_ephemeral(),
                    What::Reply {
                        step: 8,
                        reply: Reply::NoStat,
                    },
                    RESTART_RACE,
                ),
            ],
        },
    ]
}

/// The first look after the restart: the old session's ephemeral, its timers started over.
fn old_ephemeral() -> What {
    What::Reply {
        step: 8,
        reply: Reply::Stat {
            ctime: 1,
            owner: "a#1".into(),
        },
    }
}

const RESTART_RACE: &str = "the first look after the restart waits for the client's new \
    connection, which comes after the real server's start-up (a JVM's, of varying length) and \
    ZooKeeper's random reconnect delay: about one real run in six connects after the old \
    session's restarted timeout and finds its ephemeral gone already; the model's server starts \
    at once. The later look agrees every time (docs/src/conformance.md, D4)";
