//! `--shard K/N` of `ccsim run`, `load` and `replay`, and the environment variables that
//! stand in for it (`docs/scale-out.md`), resolved into one [`Shard`].

use clap::Args;

use crate::error::UsageError;
use crate::shard::Shard;

/// Which part of the workload this process runs.
#[derive(Debug, Clone, Args)]
pub struct ShardArgs {
    /// Run shard K of N (K from 0, like Kubernetes' JOB_COMPLETION_INDEX): 1/N of every
    /// arrival rate, a disjoint block of the agents, every Nth scripted conversation (with
    /// the agents it names), ids no other shard can make; replay: the conversations whose
    /// id hashes to K. Without it: CCSIM_SHARD_INDEX with CCSIM_SHARD_COUNT, else
    /// JOB_COMPLETION_INDEX with CCSIM_SHARD_COUNT; else the whole workload. See
    /// docs/scale-out.md.
    #[arg(long, env = "CCSIM_SHARD", value_name = "K/N")]
    pub shard: Option<Shard>,
}

impl ShardArgs {
    /// The shard asked for, and how to name where it came from in an error (`--shard`, or
    /// the environment variables).
    pub fn resolve(&self) -> Result<(Shard, &'static str), UsageError> {
        self.resolve_with(|var| std::env::var(var).ok())
    }

    /// [`ShardArgs::resolve`] with the environment read through `lookup`.
    fn resolve_with(
        &self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<(Shard, &'static str), UsageError> {
        if let Some(shard) = self.shard {
            return Ok((shard, "--shard"));
        }
        let own = lookup("CCSIM_SHARD_INDEX").is_some();
        Ok(match Shard::from_env(lookup)? {
            Some(shard) if own => (shard, "CCSIM_SHARD_INDEX/CCSIM_SHARD_COUNT"),
            Some(shard) => (shard, "JOB_COMPLETION_INDEX/CCSIM_SHARD_COUNT"),
            None => (Shard::WHOLE, "--shard"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_wins_over_the_environment() {
        let env = |var: &str| match var {
            "CCSIM_SHARD_COUNT" => Some("4".to_owned()),
            "JOB_COMPLETION_INDEX" => Some("2".to_owned()),
            _ => None,
        };
        let flag = ShardArgs {
            shard: Some(Shard { index: 1, count: 2 }),
        };
        assert_eq!(
            flag.resolve_with(env).unwrap(),
            (Shard { index: 1, count: 2 }, "--shard")
        );
        let none = ShardArgs { shard: None };
        assert_eq!(
            none.resolve_with(env).unwrap(),
            (
                Shard { index: 2, count: 4 },
                "JOB_COMPLETION_INDEX/CCSIM_SHARD_COUNT"
            )
        );
        assert_eq!(none.resolve_with(|_| None).unwrap().0, Shard::WHOLE);
    }
}
