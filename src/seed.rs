//! Seed parsing and the derivation of child generators.
//!
//! One seed goes in; every generator of a run is derived from it by name, so adding a consumer
//! never shifts the draws of another, and no code reaches for ambient randomness.

use crate::hash::fnv;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A generator for the consumer called `name` in the run of `seed`.
pub fn child_rng(seed: u64, name: &str) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ fnv(name).rotate_left(17))
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
    fn children_differ_and_repeat() {
        let a: u64 = child_rng(1, "a").gen();
        let b: u64 = child_rng(1, "b").gen();
        assert_ne!(a, b);
        assert_eq!(a, child_rng(1, "a").gen::<u64>());
    }
}
