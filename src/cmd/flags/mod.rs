//! Flag groups that several subcommands flatten into their own (`#[command(flatten)]`).
//! Each group validates into a plain domain value: [`delivery::DeliveryArgs`] into
//! `DeliveryOptions`, [`api::ApiArgs`] into `ApiPlan`, [`output::OutputArgs`] into the
//! report, log and threshold settings, [`thresholds::ThresholdArgs`] (also `ccsim report
//! merge`'s) into a `ThresholdSpec`, [`shard::ShardArgs`] into the `Shard` a process runs.
//! [`given`] tells which flags the command line named. [`choices`] names the domain's
//! closed choices on the
//! command line.

pub mod api;
pub mod choices;
pub mod delivery;
pub mod given;
pub mod output;
pub mod shard;
pub mod thresholds;
