//! The command line: the [`Cli`] and its [`Command`] enum (clap derive; doc comments are
//! the help text). Each subcommand's flags and what it does live in `cmd/`; `lib.rs`
//! dispatches.

use std::ffi::OsString;

use clap::error::{ContextKind, ContextValue};
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::cmd::flags::given::Given;
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

    /// The flags whose values came from environment variables (filled by [`parse_from`]).
    #[arg(skip)]
    pub from_env: EnvSources,
}

/// The flags whose values came from environment variables, so that a message about such
/// a value names the variable the user actually set: `CCSIM_CONCURRENCY (--concurrency)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvSources(Vec<(String, String)>);

impl EnvSources {
    /// `message` with each flag that came from the environment written as
    /// `VARIABLE (--flag)`.
    pub fn name_in(&self, message: &str) -> String {
        let mut out = message.to_owned();
        for (flag, var) in &self.0 {
            out = replace_flag(&out, flag, &format!("{var} ({flag})"));
        }
        out
    }
}

/// `text` with every whole occurrence of `flag` (not a longer flag it begins) replaced.
fn replace_flag(text: &str, flag: &str, with: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(flag) {
        let after = &rest[i + flag.len()..];
        let whole = !after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-');
        out.push_str(&rest[..i]);
        out.push_str(if whole { with } else { flag });
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Parses `args` (the program name first) like [`Parser::try_parse_from`], and notes which
/// flags came from environment variables; a bad value from the environment names its
/// variable in clap's message too.
pub fn parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let mut command = Cli::command();
    let matches = match command.try_get_matches_from_mut(&args) {
        Ok(matches) => matches,
        Err(mut e) => {
            name_env_in_clap_error(&mut e, &command, &args);
            return Err(e);
        }
    };
    let mut cli = Cli::from_arg_matches(&matches)?;
    let mut sources = Vec::new();
    collect_env_sources(&command, &matches, &mut sources);
    cli.from_env = EnvSources(sources);
    note_given(&mut cli.command, &Given::from_matches(&command, &matches));
    Ok(cli)
}

/// Tells the flag groups of `command` which flags the command line named, for the checks
/// that refuse a flag the rest of the command makes meaningless.
fn note_given(command: &mut Command, given: &Given) {
    match command {
        Command::Run(args) | Command::Serve(args) => args.note_given(given),
        Command::Load(args) => args.run.note_given(given),
        Command::Replay(args) => {
            args.delivery.given = given.clone();
            args.output.given = given.clone();
        }
        Command::Listen(args) => args.given = given.clone(),
        Command::Sign(_) | Command::Validate(_) | Command::Schema(_) | Command::Report(_) => {}
    }
}

/// Every flag of `command` (and of the subcommand used) whose value came from its
/// environment variable.
fn collect_env_sources(
    command: &clap::Command,
    matches: &ArgMatches,
    out: &mut Vec<(String, String)>,
) {
    for arg in command.get_arguments() {
        let (Some(long), Some(var)) = (arg.get_long(), arg.get_env()) else {
            continue;
        };
        if matches.value_source(arg.get_id().as_str()) == Some(ValueSource::EnvVariable) {
            out.push((format!("--{long}"), var.to_string_lossy().into_owned()));
        }
    }
    if let Some((name, sub)) = matches.subcommand()
        && let Some(sub_command) = command.find_subcommand(name)
    {
        collect_env_sources(sub_command, sub, out);
    }
}

/// A clap error about a flag's value: when the flag is not on the command line but its
/// environment variable is set, the message names the variable.
fn name_env_in_clap_error(e: &mut clap::Error, command: &clap::Command, args: &[OsString]) {
    let Some(ContextValue::String(shown)) = e.get(ContextKind::InvalidArg) else {
        return;
    };
    let shown = shown.clone();
    let Some(long) = shown
        .split_whitespace()
        .next()
        .and_then(|f| f.strip_prefix("--"))
    else {
        return;
    };
    let on_command_line = args.iter().any(|a| {
        a.to_str().is_some_and(|a| {
            a.strip_prefix("--")
                .and_then(|a| a.strip_prefix(long))
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('='))
        })
    });
    if on_command_line {
        return;
    }
    let var = std::iter::once(command)
        .chain(command.get_subcommands())
        .flat_map(clap::Command::get_arguments)
        .find(|a| a.get_long() == Some(long))
        .and_then(clap::Arg::get_env)
        .filter(|var| std::env::var_os(var).is_some());
    if let Some(var) = var {
        let named = format!("{} ({shown})", var.to_string_lossy());
        e.insert(ContextKind::InvalidArg, ContextValue::String(named));
    }
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
    /// --speed without sending webhooks, so records appear and evolve. The flags of
    /// delivery, report and thresholds are refused (`ccsim run` serves the API and sends).
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
    /// Work with JSON reports: `ccsim report merge` adds up the reports of several runs.
    Report(cmd::report::ReportArgs),
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn a_flag_from_the_environment_is_named_by_its_variable_wherever_it_appears() {
        let sources = EnvSources(vec![
            ("--retry-base".into(), "CCSIM_RETRY_BASE".into()),
            ("--timeout".into(), "CCSIM_TIMEOUT".into()),
        ]);
        assert_eq!(
            sources.name_in("--retry-cap: 1s is less than --retry-base 2s"),
            "--retry-cap: 1s is less than CCSIM_RETRY_BASE (--retry-base) 2s"
        );
        assert_eq!(
            sources.name_in("--timeout: at most 1h, got 2h"),
            "CCSIM_TIMEOUT (--timeout): at most 1h, got 2h"
        );
        // A longer flag that begins with a named one is left alone.
        assert_eq!(
            sources.name_in("--timeouts --timeout"),
            "--timeouts CCSIM_TIMEOUT (--timeout)"
        );
        assert_eq!(
            EnvSources::default().name_in("--timeout: x"),
            "--timeout: x"
        );
    }

    #[test]
    fn parse_from_notes_nothing_when_every_value_is_on_the_command_line() {
        let cli = parse_from(["ccsim", "run", "--timeout", "2s"]).unwrap();
        assert_eq!(cli.from_env, EnvSources::default());
    }

    #[test]
    fn parse_from_tells_each_flag_group_what_the_command_line_named() {
        let cli = parse_from([
            "ccsim",
            "load",
            "--rate",
            "5/s",
            "--insecure",
            "--report-interval",
            "1s",
        ])
        .unwrap();
        let Command::Load(args) = cli.command else {
            panic!("load")
        };
        assert!(args.run.delivery.given.has("--insecure"));
        assert!(args.run.output.given.has("--report-interval"));
        assert!(args.run.given.has("--rate") && !args.run.given.has("--timeout"));
        let cli = parse_from([
            "ccsim",
            "replay",
            "x.jsonl",
            "--ca-cert",
            "c.pem",
            "--report-interval",
            "1s",
        ])
        .unwrap();
        let Command::Replay(args) = cli.command else {
            panic!("replay")
        };
        assert!(args.delivery.given.has("--ca-cert"));
        assert!(args.output.given.has("--report-interval"));
    }

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
