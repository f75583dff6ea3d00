//! How swarm plans aim faults: the helpers each kind's draw shares.

use super::Target;
use crate::net::Role;
use crate::options::Options;
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Any node a fault may be aimed at, `primary` included.
pub fn any_node(rng: &mut ChaCha8Rng, o: &Options) -> Target {
    let mut nodes = vec![
        Target::Primary,
        Target::Node(Role::ZooKeeper),
        Target::Node(Role::Ufs),
    ];
    nodes.extend((0..o.masters).map(|i| Target::Node(Role::Master(i))));
    nodes.extend((0..o.workers).map(|i| Target::Node(Role::Worker(i))));
    nodes.extend((0..o.clients).map(|i| Target::Node(Role::Client(i))));
    *nodes.choose(rng).unwrap()
}

/// The primary half the time, otherwise any master.
pub fn some_master(rng: &mut ChaCha8Rng, o: &Options) -> Target {
    if rng.gen_bool(0.5) {
        Target::Primary
    } else {
        Target::Node(Role::Master(rng.gen_range(0..o.masters)))
    }
}

/// A duration: the session timeout scaled by a factor in `[lo, hi)`.
pub fn session_scaled(rng: &mut ChaCha8Rng, o: &Options, lo: f64, hi: f64) -> u64 {
    crate::seed::scale(rng, o.zookeeper_session_timeout_ms, lo, hi)
}

/// How long most faults last: 0.2 to 2.5 session timeouts.
pub fn usual_duration(rng: &mut ChaCha8Rng, o: &Options) -> u64 {
    session_scaled(rng, o, 0.2, 2.5)
}
