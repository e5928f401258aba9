//! ccsim: a mock call-center event simulator standing in for the 壹耘 (oneyun) platform.
//!
//! Data flows one way: argv → [`cli`] → [`cmd`] (one module per subcommand) → [`plan`]
//! (flags + scenario files → a validated `RunPlan`) → [`session`] → the engine
//! ([`sim::engine`], simulated time, ACD, lifecycles) → [`occurrence::Occurrence`]s →
//! [`feed`] (webhooks built per [`event::profile`], changes staged in [`api::store`]) →
//! [`delivery`] (schedule, order, retry, HTTP; tells the store as each event goes out) →
//! [`report::collector`] → report and exit code.
//!
//! Layers, top to bottom; a module imports only from layers below it (no import cycles,
//! checked by `module-cycles.py`; see `docs/architecture.md`):
//!
//! 1. `main.rs`, [`run`] (dispatch), [`cli`] (the `Cli` and its `Command`s).
//! 2. [`cmd`]: each subcommand's clap `Args` and `exec`; `cmd::flags` holds the flag
//!    groups several subcommands share and turns them into plain domain values.
//! 3. [`session`] (a simulated run from plan to exit code), `sending` (the sending phase
//!    that run, load and replay share), `progress` (the progress line).
//! 4. [`plan`] (request + scenario files → `RunPlan`), [`feed`] (the simulation as a
//!    delivery source).
//! 5. Domain: [`scenario`] (scenario files), [`report`] (collector, events log, report),
//!    [`receiver`] (built-in receiver, contract checker), [`replay`] (events log as a
//!    source), [`delivery`] (the network), [`api`] (the fake platform API and its record
//!    store), [`control`] (the test-control API: the journal of events sent, waits),
//!    [`event`] (payloads, profiles), [`sim`] (the engine: pure and seeded).
//! 6. Vocabulary, imported by everyone: [`conversation`] (what happens to a
//!    conversation), [`agent`] (what happens to an agent), [`queue_task`] (what happens to
//!    a queue task), [`occurrence`] (any of the three, as the engine reports them), [`families`] (which
//!    of them a run sends), [`ids`], [`shard`] (which part of a workload runs here), [`time`]
//!    (simulated time), [`units`] (durations, rates, speed, probabilities), [`error`]
//!    (exit codes, usage errors), [`console`] (stdout and stderr without panics),
//!    [`files`] (output clashes, whole-file replacement, capped whole-file reads).
//!
//! No domain module names a clap type.

pub mod acd;
pub mod agent;
pub mod api;
pub mod cli;
pub mod cmd;
pub mod console;
pub mod control;
pub mod conversation;
pub mod delivery;
pub mod error;
pub mod event;
pub mod families;
pub mod feed;
pub mod files;
pub mod ids;
pub mod occurrence;
pub mod operation;
pub mod plan;
pub mod queue_task;
pub mod receiver;
pub mod replay;
pub mod report;
pub mod scenario;
pub mod session;
pub mod shard;
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
    let from_env = cli.from_env;
    let result = dispatch(cli.command, shutdown).await;
    // A usage error about a value from the environment names the variable.
    result.map_err(|e| match e {
        RunError::Usage(UsageError(message)) => UsageError(from_env.name_in(&message)).into(),
        other => other,
    })
}

/// Runs `command`.
async fn dispatch(command: Command, shutdown: CancellationToken) -> Result<Exit, RunError> {
    match command {
        Command::Run(args) => cmd::run::exec(args, shutdown).await,
        Command::Load(args) => cmd::load::exec(args, shutdown).await,
        Command::Listen(args) => cmd::listen::exec(args, shutdown).await,
        Command::Serve(args) => cmd::serve::exec(args, shutdown).await,
        Command::Sign(args) => cmd::sign::exec(&args),
        Command::Validate(args) => cmd::validate::exec(&args),
        Command::Schema(args) => cmd::schema::exec(&args),
        Command::Replay(args) => cmd::replay::exec(args, shutdown).await,
        Command::Report(args) => cmd::report::exec(&args),
    }
}
