//! ccsim: a mock call-center event simulator standing in for the 壹耘 (oneyun) platform.
//!
//! Data flows one way: argv → [`plan`] → [`sim::engine`] (simulated time, ACD, lifecycles)
//! → [`conversation::Happening`]s → [`api::store`] (updated before each announcing event)
//! and [`event`] (payloads per [`event::profile`]) → [`delivery`] (schedule, order, retry,
//! HTTP) → [`report::collector`] → report and exit code.
//!
//! Layout:
//! - `cli`: clap types; `plan`: flags + scenario files → validated `RunPlan`; `units`:
//!   durations, rates, speed.
//! - `scenario/`: scenario files (TOML/JSON) → positions, validation, `SimPlan`; `validate`, `schema`.
//! - `sim/`: time, distributions, agent pool + ACD, workload, engine, stats.
//! - `conversation`, `ids`: domain facts and identifiers.
//! - `event/`: webhook kinds, payload builder, fidelity profiles.
//! - `delivery/`: dispatcher, delivery workers, sources, clock mapping, transport (with
//!   ccsim's own HTTP/1.1 client, `h1/`), retry policy, signing,
//!   robustness options, and the delivery flags (`args`).
//! - `replay/`: `ccsim replay`, re-sending an events log streamed from disk (`log`).
//! - `api/`: the fake platform API: record store, router, rendering, errors, auth, flags.
//! - `receiver/`: built-in receiver and event-contract checker.
//! - `report/`: collector, events log, report and its renderers.

pub mod api;
pub mod cli;
pub mod cmd;
pub mod conversation;
pub mod delivery;
pub mod error;
pub mod event;
pub mod feed;
pub mod ids;
pub mod plan;
pub mod receiver;
pub mod replay;
pub mod report;
pub mod scenario;

pub mod session;
pub mod sim;
pub mod time;
pub mod units;

mod progress;
mod sending;

use tokio_util::sync::CancellationToken;

use cli::{Cli, Command};
pub use error::{Exit, RunError, UsageError};
pub use session::run_plan;

/// Runs a parsed command line until done or `shutdown` fires.
pub async fn run(cli: Cli, shutdown: CancellationToken) -> Result<Exit, RunError> {
    match cli.command {
        Command::Run(args) => cmd::run::exec(args, shutdown).await,
        Command::Load(args) => cmd::load::exec(args, shutdown).await,
        Command::Listen(args) => cmd::listen::exec(args, shutdown).await,
        Command::Serve(args) => cmd::serve::exec(args, shutdown).await,
        Command::Sign(args) => Ok(cmd::sign::exec(&args)?),
        Command::Validate(args) => Ok(cmd::validate::exec(&args)),
        Command::Schema(args) => Ok(cmd::schema::exec(&args)),
        Command::Replay(args) => cmd::replay::exec(args, shutdown).await,
    }
}
