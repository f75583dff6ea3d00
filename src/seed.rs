//! Seed parsing and the derivation of child generators.
//!
//! One seed goes in; every generator of a run is derived from it by the name of its [`Stream`],
//! here and nowhere else, so adding a consumer never shifts the draws of another, and no code
//! reaches for ambient randomness. (madsim's own generator, which drives network latency and
//! loss, is seeded with the run's seed by the runtime.)

use crate::hash::fnv;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Every random stream of a run. A process that restarts is a new incarnation with new streams,
/// as a real process starts with fresh randomness.
#[derive(Clone, Copy, Debug)]
pub enum Stream<'a> {
    /// The swarm's draw of a plan: cluster, timeouts, fault schedule (drawn before the run).
    Swarm,
    /// Client `index`'s workload: operations, paths, think times.
    Workload(usize),
    /// A file a story writes through a client: which workers its blocks go to.
    StoryWrite {
        /// The client's index.
        client: usize,
        /// The file's path.
        path: &'a str,
    },
    /// One incarnation of a master process (`holder` is `master-1#3`): journal and worker ids.
    Master {
        /// The process incarnation.
        holder: &'a str,
    },
    /// The ZooKeeper client of one process incarnation: reconnect delays.
    ZooKeeperClient {
        /// The process incarnation.
        process: &'a str,
    },
    /// The master client of a client or worker process incarnation: retry jitter.
    MasterClient {
        /// The process incarnation.
        process: &'a str,
    },
}

impl Stream<'_> {
    /// The stream's name, from which its generator is derived.
    pub fn name(self) -> String {
        match self {
            Stream::Swarm => "swarm".into(),
            Stream::Workload(index) => format!("workload-{index}"),
            Stream::StoryWrite { client, path } => format!("story-write-{client}:{path}"),
            Stream::Master { holder } => holder.into(),
            Stream::ZooKeeperClient { process } => format!("{process}/zookeeper"),
            Stream::MasterClient { process } => process.into(),
        }
    }
}

/// The generator of `stream` in the run of `seed`.
pub fn rng(seed: u64, stream: Stream) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ fnv(&stream.name()).rotate_left(17))
}

/// `base` scaled by a factor drawn from `[lo, hi)`, at least 1: how a plan varies a preset's
/// value.
pub fn scale(rng: &mut ChaCha8Rng, base: u64, lo: f64, hi: f64) -> u64 {
    use rand::Rng;
    ((base as f64 * rng.gen_range(lo..hi)).round() as u64).max(1)
}

/// The name of one incarnation of a client or worker process: its node name, with `#n` for a
/// restarted worker (clients are never restarted).
pub fn process_name(node: &str, incarnation: u64) -> String {
    if incarnation == 0 {
        node.to_string()
    } else {
        format!("{node}#{incarnation}")
    }
}

/// A start seed for a sweep given none: the wall clock, the only value ftsim draws outside a
/// simulation. It is printed, so the sweep can be repeated.
pub fn from_clock() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64 % 1_000_000_000)
        .unwrap_or(0)
}

/// Parses a seed given on the command line: decimal, or hex with `0x`.
pub fn parse_seed(s: &str) -> Result<u64, String> {
    let t = s.trim().replace('_', "");
    let parsed = match t.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => t.parse::<u64>(),
    };
    parsed.map_err(|_| format!("invalid seed '{s}': expected a number such as 42 or 0x2a"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn seeds_parse() {
        assert_eq!(parse_seed("42"), Ok(42));
        assert_eq!(parse_seed("0x2a"), Ok(42));
        assert!(parse_seed("forty").is_err());
        assert!(parse_seed("-1").is_err());
    }

    #[test]
    fn streams_differ_and_repeat() {
        let a: u64 = rng(1, Stream::Workload(0)).gen();
        let b: u64 = rng(1, Stream::Workload(1)).gen();
        let c: u64 = rng(2, Stream::Workload(0)).gen();
        assert!(a != b && a != c);
        assert_eq!(a, rng(1, Stream::Workload(0)).gen::<u64>());
        let first: u64 = rng(
            1,
            Stream::MasterClient {
                process: &process_name("worker-0", 0),
            },
        )
        .gen();
        let restarted: u64 = rng(
            1,
            Stream::MasterClient {
                process: &process_name("worker-0", 1),
            },
        )
        .gen();
        assert_ne!(first, restarted);
    }
}
