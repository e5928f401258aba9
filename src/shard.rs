//! Which part of a workload this process runs (`--shard K/N`, `docs/scale-out.md`):
//! shard K of N, K counted from 0 like Kubernetes' `JOB_COMPLETION_INDEX`. The arithmetic
//! every layer shares: the shard's seed, its place in the id space (an id of shard K is K
//! modulo N, so shards' ids are disjoint by construction), its block of a list, and the
//! shard a key hashes to.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use crate::error::UsageError;

/// The most shards a workload is split into (each needs an agent, and a pool holds at most
/// 100,000).
pub const MAX_SHARDS: u32 = 100_000;

/// Shard `index` of `count` (`0 ≤ index < count`); [`Shard::WHOLE`] is the unsplit run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    /// Which shard, from 0.
    pub index: u32,
    /// How many shards in all.
    pub count: u32,
}

impl Default for Shard {
    fn default() -> Self {
        Self::WHOLE
    }
}

impl Shard {
    /// The whole workload in one process: shard 0 of 1.
    pub const WHOLE: Self = Self { index: 0, count: 1 };

    /// Shard `index` of `count`, checked: `count` from 1 to [`MAX_SHARDS`], `index` below it.
    pub fn new(index: u32, count: u32) -> Result<Self, String> {
        if count == 0 || count > MAX_SHARDS {
            return Err(format!(
                "the shard count must be from 1 to {MAX_SHARDS}, got {count}"
            ));
        }
        if index >= count {
            return Err(format!(
                "shard {index} of {count} does not exist: shards are counted from 0, so K runs from 0 to {}",
                count - 1
            ));
        }
        Ok(Self { index, count })
    }

    /// Whether this is the whole workload (no `--shard`, or `0/1`).
    pub fn is_whole(self) -> bool {
        self.count == 1
    }

    /// The engine's seed for this shard: `seed` itself for the whole run (its events are
    /// those of a run without `--shard`), else a splitmix of `seed`, the index and the count.
    pub fn seed(self, seed: u64) -> u64 {
        if self.is_whole() {
            return seed;
        }
        let part = (u64::from(self.count) << 32) | u64::from(self.index);
        splitmix64(seed ^ splitmix64(part))
    }

    /// `value` moved into this shard's part of the id space: the nearest value that is
    /// `index` modulo `count` (the whole run keeps `value`). Two shards' values differ
    /// modulo `count`, so they can never be equal.
    pub fn place(self, value: u128) -> u128 {
        if self.is_whole() {
            return value;
        }
        let n = u128::from(self.count);
        // The largest result, (MAX / n − 1)·n + n − 1, is below u128::MAX.
        (value % (u128::MAX / n)) * n + u128::from(self.index)
    }

    /// Whether `value` lies in this shard's part of the id space.
    pub fn owns_id(self, value: u128) -> bool {
        value % u128::from(self.count) == u128::from(self.index)
    }

    /// This shard's contiguous block of `len` items: `len` split into `count` blocks whose
    /// sizes differ by at most one, in order.
    pub fn block(self, len: usize) -> Range<usize> {
        let at = |k: u32| (len as u128 * u128::from(k) / u128::from(self.count)) as usize;
        at(self.index)..at(self.index + 1)
    }

    /// Whether `key` (a conversation id, say) hashes to this shard: FNV-1a, mixed, modulo
    /// the count. Stable across runs, machines and versions.
    pub fn owns_key(self, key: &[u8]) -> bool {
        if self.is_whole() {
            return true;
        }
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in key {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        splitmix64(hash) % u64::from(self.count) == u64::from(self.index)
    }

    /// The shard the environment asks for when `--shard` (or `CCSIM_SHARD`) is absent:
    /// `CCSIM_SHARD_INDEX` with `CCSIM_SHARD_COUNT`, else Kubernetes' `JOB_COMPLETION_INDEX`
    /// with `CCSIM_SHARD_COUNT`; `None` when neither pair is there (`JOB_COMPLETION_INDEX`
    /// alone is some other Indexed Job's business). An error names the variable.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, UsageError> {
        let number = |var: &str| -> Result<Option<u32>, UsageError> {
            lookup(var)
                .map(|v| {
                    v.trim().parse::<u32>().map_err(|_| {
                        UsageError(format!("{var}: expected a whole number, got {v:?}"))
                    })
                })
                .transpose()
        };
        let count = number("CCSIM_SHARD_COUNT")?;
        let own = number("CCSIM_SHARD_INDEX")?;
        let (index, var) = match (own, count) {
            (None, None) => return Ok(None),
            (Some(_), None) => {
                return Err(UsageError(
                    "CCSIM_SHARD_INDEX is set without CCSIM_SHARD_COUNT: set both (or --shard K/N)"
                        .into(),
                ));
            }
            (Some(i), Some(_)) => (i, "CCSIM_SHARD_INDEX"),
            (None, Some(_)) => match number("JOB_COMPLETION_INDEX")? {
                Some(i) => (i, "JOB_COMPLETION_INDEX"),
                None => {
                    return Err(UsageError(
                        "CCSIM_SHARD_COUNT is set without CCSIM_SHARD_INDEX or JOB_COMPLETION_INDEX: \
                         set one of them (or --shard K/N)"
                            .into(),
                    ));
                }
            },
        };
        let count = count.unwrap_or(1);
        Self::new(index, count)
            .map(Some)
            .map_err(|e| UsageError(format!("{var}={index} with CCSIM_SHARD_COUNT={count}: {e}")))
    }
}

impl FromStr for Shard {
    type Err = String;

    /// `K/N`, K from 0.
    fn from_str(s: &str) -> Result<Self, String> {
        let syntax = || format!("expected K/N (shard K of N, K from 0), like 0/4, got {s:?}");
        let (k, n) = s.trim().split_once('/').ok_or_else(syntax)?;
        let k: u32 = k.trim().parse().map_err(|_| syntax())?;
        let n: u32 = n.trim().parse().map_err(|_| syntax())?;
        Self::new(k, n)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The splitmix64 finaliser: a bijection of `u64` that spreads every input bit.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn k_of_n_is_counted_from_zero_and_checked() {
        assert_eq!("0/4".parse(), Ok(Shard { index: 0, count: 4 }));
        assert_eq!(" 3 / 4 ".parse(), Ok(Shard { index: 3, count: 4 }));
        assert_eq!("0/1".parse(), Ok(Shard::WHOLE));
        let err = "4/4".parse::<Shard>().unwrap_err();
        assert!(err.contains("K runs from 0 to 3"), "{err}");
        assert!("1/0".parse::<Shard>().unwrap_err().contains("from 1 to"));
        assert!("x".parse::<Shard>().unwrap_err().contains("expected K/N"));
        assert!("-1/4".parse::<Shard>().is_err());
        assert!("1/100001".parse::<Shard>().is_err());
    }

    #[test]
    fn the_environment_gives_a_shard_with_the_documented_precedence() {
        assert_eq!(Shard::from_env(env(&[])).unwrap(), None);
        // An Indexed Job that does not shard ccsim sets JOB_COMPLETION_INDEX only.
        assert_eq!(
            Shard::from_env(env(&[("JOB_COMPLETION_INDEX", "2")])).unwrap(),
            None
        );
        let job = env(&[("JOB_COMPLETION_INDEX", "2"), ("CCSIM_SHARD_COUNT", "4")]);
        assert_eq!(
            Shard::from_env(job).unwrap(),
            Some(Shard { index: 2, count: 4 })
        );
        let both = env(&[
            ("JOB_COMPLETION_INDEX", "2"),
            ("CCSIM_SHARD_INDEX", "1"),
            ("CCSIM_SHARD_COUNT", "4"),
        ]);
        assert_eq!(
            Shard::from_env(both).unwrap(),
            Some(Shard { index: 1, count: 4 })
        );
    }

    #[test]
    fn environment_errors_name_the_variable() {
        let err = |pairs: &[(&str, &str)]| Shard::from_env(env(pairs)).unwrap_err().0;
        let e = err(&[("JOB_COMPLETION_INDEX", "4"), ("CCSIM_SHARD_COUNT", "4")]);
        assert!(
            e.starts_with("JOB_COMPLETION_INDEX=4 with CCSIM_SHARD_COUNT=4"),
            "{e}"
        );
        let e = err(&[("CCSIM_SHARD_INDEX", "1")]);
        assert!(
            e.starts_with("CCSIM_SHARD_INDEX is set without CCSIM_SHARD_COUNT"),
            "{e}"
        );
        let e = err(&[("CCSIM_SHARD_COUNT", "4")]);
        assert!(e.starts_with("CCSIM_SHARD_COUNT is set without"), "{e}");
        let e = err(&[("CCSIM_SHARD_COUNT", "four"), ("CCSIM_SHARD_INDEX", "0")]);
        assert!(
            e.starts_with("CCSIM_SHARD_COUNT: expected a whole number"),
            "{e}"
        );
        let e = err(&[("CCSIM_SHARD_COUNT", "0"), ("CCSIM_SHARD_INDEX", "0")]);
        assert!(e.contains("from 1 to"), "{e}");
    }

    #[test]
    fn the_whole_run_keeps_its_seed_and_ids() {
        assert_eq!(Shard::WHOLE.seed(42), 42);
        assert_eq!(Shard::WHOLE.place(u128::MAX), u128::MAX);
        assert!(Shard::WHOLE.owns_key(b"anything"));
    }

    #[test]
    fn each_shard_has_its_own_seed() {
        for seed in [0, 1, 42, u64::MAX] {
            let seeds: HashSet<u64> = (0..64)
                .map(|k| Shard::new(k, 64).unwrap().seed(seed))
                .collect();
            assert_eq!(seeds.len(), 64, "seed {seed}");
            assert!(!seeds.contains(&seed));
            // Deterministic.
            assert_eq!(
                Shard::new(3, 4).unwrap().seed(seed),
                Shard::new(3, 4).unwrap().seed(seed)
            );
        }
        // 0/2 and 0/4 are different workloads, with different streams.
        assert_ne!(
            Shard::new(0, 2).unwrap().seed(7),
            Shard::new(0, 4).unwrap().seed(7)
        );
    }

    #[test]
    fn placed_ids_belong_to_their_shard_only() {
        // Edge values and a spread of others, for counts small, odd and large.
        let values: Vec<u128> = [0, 1, u128::MAX, u128::MAX - 1, u128::MAX / 2]
            .into_iter()
            .chain(
                (0..2_000u128).map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)),
            )
            .collect();
        for count in [2, 3, 4, 7, 64, 1_000, MAX_SHARDS] {
            for index in [0, 1, count / 2, count - 1] {
                let shard = Shard::new(index, count).unwrap();
                for &v in &values {
                    let placed = shard.place(v);
                    assert!(shard.owns_id(placed), "{shard} {v}");
                    let other = Shard::new((index + 1) % count, count).unwrap();
                    assert!(!other.owns_id(placed), "{shard} {v}");
                }
            }
        }
    }

    #[test]
    fn blocks_cover_the_list_once_in_near_equal_parts() {
        for len in [0, 1, 3, 10, 100, 101] {
            for count in [1, 2, 3, 4, 7, 10] {
                let mut next = 0;
                for index in 0..count {
                    let b = Shard::new(index, count).unwrap().block(len);
                    assert_eq!(b.start, next);
                    assert!(b.len() == len / count as usize || b.len() == len / count as usize + 1);
                    next = b.end;
                }
                assert_eq!(next, len);
            }
        }
    }

    #[test]
    fn every_key_hashes_to_exactly_one_shard_and_they_share_the_keys() {
        let count = 4;
        let mut per = [0u32; 4];
        for i in 0..4_000u32 {
            let key = format!("{:032x}", u128::from(i) * 0x1234_5678_9abc_def1);
            let owners: Vec<u32> = (0..count)
                .filter(|&k| Shard::new(k, count).unwrap().owns_key(key.as_bytes()))
                .collect();
            assert_eq!(owners.len(), 1, "{key}");
            per[owners[0] as usize] += 1;
        }
        assert!(per.iter().all(|&n| (800..1_200).contains(&n)), "{per:?}");
    }
}
