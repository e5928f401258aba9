//! The command line: the [`Cli`] and its [`Command`] enum (clap derive; doc comments are
//! the help text). Each subcommand's flags and what it does live in `cmd/`; `lib.rs`
//! dispatches.

use clap::{Parser, Subcommand};

use crate::cmd::{self, examples};

/// ccsim: a mock 壹耘 (oneyun) call-center platform. It simulates conversations, POSTs
/// their webhooks to your receiver exactly as the platform would, and measures delivery.
#[derive(Debug, Parser)]
#[command(name = "ccsim", version, about, after_help = examples::OVERVIEW)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,

    /// Threads of the async runtime. Default: 1 for the commands that send (one thread
    /// delivers well over 100,000 events/s and leaves the other cores to the receiver
    /// under test; see bench/throughput.sh), one per core for `listen`. The fake API
    /// always has threads of its own.
    #[arg(long, global = true, env = "CCSIM_THREADS", value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
}

impl Cli {
    /// The runtime's threads: `--threads`, else the command's default; `None` means one
    /// per core.
    pub fn runtime_threads(&self) -> Option<u16> {
        match (&self.command, self.threads) {
            (_, Some(n)) => Some(n),
            (Command::Listen(_), None) => None,
            (_, None) => Some(1),
        }
    }
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate conversations and deliver their webhooks (the embedded default scenario).
    #[command(after_help = examples::RUN)]
    Run(cmd::run::RunArgs),
    /// Generate load from flags alone: a rate, a mix of types, agents and behaviour.
    #[command(
        after_help = examples::LOAD,
        mut_arg("speed", |a| a.help("Simulated seconds per wall-clock second, or `max` to run as fast as delivery allows [default: 1, real time]")),
        mut_arg("duration", |a| a.help("How long arrivals keep coming, in simulated time (e.g. 90s, 10m, 1h30m) [default: 10m]")),
        mut_arg("agents", |a| a.help("Number of agents in the pool [default: 10]")),
        mut_arg("scenarios", |a| a.hide(true)),
    )]
    Load(cmd::load::LoadArgs),
    /// Receive webhooks, check them against the event contract, and print each one.
    #[command(after_help = examples::LISTEN)]
    Listen(cmd::listen::ListenArgs),
    /// Serve the fake platform API alone until ctrl-c: the scenario is simulated at
    /// --speed without sending webhooks (--target is ignored), so records appear and evolve.
    #[command(after_help = examples::SERVE)]
    Serve(cmd::run::RunArgs),
    /// Print the platform's signature headers, and a curl command, for one API request.
    #[command(after_help = examples::SIGN)]
    Sign(cmd::sign::SignArgs),
    /// Check scenario files and print every problem as FILE:LINE:COLUMN: message.
    #[command(after_help = examples::VALIDATE)]
    Validate(cmd::validate::ValidateArgs),
    /// Print the JSON Schema of scenario files (for editor completion).
    #[command(after_help = examples::SCHEMA)]
    Schema(cmd::schema::SchemaArgs),
    /// Re-send the events of an events log (`--events-log`) in their original order.
    #[command(after_help = examples::REPLAY)]
    Replay(cmd::replay::ReplayArgs),
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sending_commands_default_to_one_thread_listen_to_one_per_core() {
        let threads = |args: &[&str]| Cli::try_parse_from(args).unwrap().runtime_threads();
        assert_eq!(threads(&["ccsim", "run"]), Some(1));
        assert_eq!(threads(&["ccsim", "load", "--rate", "5/s"]), Some(1));
        assert_eq!(threads(&["ccsim", "listen"]), None);
        assert_eq!(threads(&["ccsim", "listen", "--threads", "3"]), Some(3));
        assert_eq!(threads(&["ccsim", "--threads", "4", "run"]), Some(4));
    }

    #[test]
    fn bad_values_name_the_flag_and_the_expected_syntax() {
        let err = Cli::try_parse_from(["ccsim", "run", "--speed", "fast"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--speed") && err.contains("expected a positive number or \"max\""),
            "{err}"
        );
        let err = Cli::try_parse_from(["ccsim", "run", "--max-failure-rate", "2"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--max-failure-rate") && err.contains("between 0 and 1"),
            "{err}"
        );
        let err = Cli::try_parse_from(["ccsim", "run", "--timeout", "5"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--timeout") && err.contains("missing unit"),
            "{err}"
        );
    }
}
