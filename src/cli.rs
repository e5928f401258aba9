//! Command-line types (clap derive). Doc comments are the help text. Every `run` flag also
//! reads an environment variable (`CCSIM_…`). Nothing here is validated beyond syntax:
//! `plan` turns these into a `RunPlan`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::delivery::args::{DeliveryArgs, SecretList, SecretsParser};
use crate::event::profile::ProfileName;
use crate::units::{Probability, Rate, Span, Speed};

const EXAMPLES: &str = "\
Examples:
  ccsim run                                   # the embedded default scenario, built-in receiver
  ccsim run --target http://127.0.0.1:3000/hook --speed 60 --seed 42
  ccsim run --speed max --report report.json --events-log events.jsonl
  ccsim load --rate 5/s --duration 10m --agents 50 --target http://127.0.0.1:3000/hook
  ccsim run scenarios/queue-happy-path.toml --speed max --seed 1
  ccsim validate scenarios/*.toml               # every problem as FILE:LINE:COLUMN: message
  ccsim run --secret $WEBHOOK_SECRET --retry-backoff exponential --duplicate-rate 0.05
  ccsim replay events.jsonl --target http://127.0.0.1:3000/hook --only-failed --speed max
  ccsim listen --fail-rate 0.3 --delay 100ms  # ... that fails 30% of requests, slowly
  ccsim listen --addr 127.0.0.1:9000          # a receiver that checks and prints events
  ccsim serve --api 127.0.0.1:8700            # the fake platform API alone, until ctrl-c
  ccsim sign --uri /v1/account/X/callcenter/conversation/ID   # auth headers for curl

Exit codes: 0 ok · 1 thresholds breached · 2 bad usage · 3 interrupted · 4 target unreachable";

/// ccsim: a mock 壹耘 (oneyun) call-center platform. It simulates conversations, POSTs
/// their webhooks to your receiver exactly as the platform would, and measures delivery.
#[derive(Debug, Parser)]
#[command(name = "ccsim", version, about, after_help = EXAMPLES)]
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
    Run(RunArgs),
    /// Generate load from flags alone: a rate, a mix of types, agents and behaviour.
    Load(crate::load::LoadArgs),
    /// Receive webhooks, check them against the event contract, and print each one.
    Listen(ListenArgs),
    /// Serve the fake platform API alone until ctrl-c: the scenario is simulated at
    /// --speed without sending webhooks (--target is ignored), so records appear and evolve.
    Serve(RunArgs),
    /// Print the platform's signature headers, and a curl command, for one API request.
    Sign(crate::api::sign::SignArgs),
    /// Check scenario files and print every problem as FILE:LINE:COLUMN: message.
    Validate(crate::scenario::args::ValidateArgs),
    /// Print the JSON Schema of scenario files (for editor completion).
    Schema(crate::scenario::args::SchemaArgs),
    /// Re-send the events of an events log (`--events-log`) in their original order.
    Replay(crate::replay::ReplayArgs),
}

/// Flags of `ccsim run`.
#[derive(Debug, Clone, Args)]
#[command(after_help = EXAMPLES)]
pub struct RunArgs {
    /// Scenario files (.toml or .json), merged into one run (see docs/scenarios.md). None:
    /// the embedded default scenario. Flags override the files' settings.
    #[arg(value_name = "SCENARIO")]
    pub scenarios: Vec<PathBuf>,

    /// Where to POST webhooks. Default: a built-in receiver on a loopback port that checks
    /// the event contract. `null` discards events in-process (engine benchmarks).
    #[arg(long, env = "CCSIM_TARGET", value_name = "URL")]
    pub target: Option<String>,

    /// Simulated seconds per wall-clock second, or `max` to run as fast as delivery allows.
    /// Default: the scenario's speed (60 for the embedded default).
    #[arg(long, env = "CCSIM_SPEED", value_name = "N|max")]
    pub speed: Option<Speed>,

    /// Seed of the random generator: the same seed gives the same ids, payloads and order.
    /// Default: a random seed, printed in the summary.
    #[arg(long, env = "CCSIM_SEED", value_name = "N")]
    pub seed: Option<u64>,

    /// Where the simulated clock starts: RFC 3339 (2026-01-01T09:00:00+08:00) or epoch
    /// milliseconds. Default: now.
    #[arg(long, env = "CCSIM_START_TIME", value_name = "TIME", value_parser = parse_start_time)]
    pub start_time: Option<i64>,

    /// How long arrivals keep coming, in simulated time (e.g. 90s, 10m, 1h30m).
    #[arg(long, env = "CCSIM_DURATION", value_name = "DURATION")]
    pub duration: Option<Span>,

    /// Number of agents in the pool.
    #[arg(long, env = "CCSIM_AGENTS", value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub agents: Option<u32>,

    /// Fidelity profile. Default: the scenario's, else documented.
    #[arg(long, env = "CCSIM_PROFILE", value_enum)]
    pub profile: Option<ProfileName>,

    /// Delivery: concurrency, timeout, retries, signing, ordering, robustness.
    #[command(flatten)]
    pub delivery: DeliveryArgs,

    /// Report, events log, failure threshold, quiet.
    #[command(flatten)]
    pub output: OutputArgs,

    /// Service-level threshold: the share of calls answered within it is reported.
    #[arg(
        long,
        env = "CCSIM_SL_THRESHOLD",
        value_name = "DURATION",
        default_value = "20s"
    )]
    pub sl_threshold: Span,

    /// The fake platform API: address, linger, auth, retention.
    #[command(flatten)]
    pub api: crate::api::args::ApiArgs,
}

/// Output and threshold flags shared by the commands that send (`run`, `replay`).
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Exit 1 when failed/emitted events exceed this share (0 to 1, or a percentage).
    #[arg(
        long,
        env = "CCSIM_MAX_FAILURE_RATE",
        value_name = "R",
        default_value = "0"
    )]
    pub max_failure_rate: Probability,

    /// Exit 1 when the p99 latency (from the scheduled send time) exceeds this.
    #[arg(long, env = "CCSIM_MAX_P99", value_name = "DURATION")]
    pub max_p99: Option<Span>,

    /// Exit 1 when fewer events than this are delivered per wall-clock second.
    #[arg(long, env = "CCSIM_MIN_THROUGHPUT", value_name = "N/s")]
    pub min_throughput: Option<Rate>,

    /// Write the JSON report here (see docs/report.md).
    #[arg(long, env = "CCSIM_REPORT", value_name = "FILE.json")]
    pub report: Option<PathBuf>,

    /// While the run goes on, rewrite --report this often with a partial report
    /// (`"partial": true`) and flush the events log; 0s writes it only at the end.
    #[arg(
        long,
        env = "CCSIM_REPORT_INTERVAL",
        value_name = "DURATION",
        default_value = "10s"
    )]
    pub report_interval: Span,

    /// Write one JSON line per event here (see docs/report.md).
    #[arg(long, env = "CCSIM_EVENTS_LOG", value_name = "FILE.jsonl")]
    pub events_log: Option<PathBuf>,

    /// No progress line and no summary (the report and exit code still tell).
    #[arg(long, short, env = "CCSIM_QUIET")]
    pub quiet: bool,
}

impl OutputArgs {
    /// `--report-interval`, if periodic reports are asked for.
    pub fn report_interval(&self) -> Option<std::time::Duration> {
        (self.report.is_some() && self.report_interval > Span::ZERO)
            .then(|| self.report_interval.as_std())
    }

    /// The thresholds these flags ask for.
    pub fn thresholds(&self) -> crate::report::ThresholdSpec {
        crate::report::ThresholdSpec {
            max_failure_rate: self.max_failure_rate.get(),
            max_p99: self.max_p99,
            min_throughput: self.min_throughput,
        }
    }
}

/// Flags of `ccsim listen`.
#[derive(Debug, Clone, Args)]
pub struct ListenArgs {
    /// Address to listen on.
    #[arg(long, env = "CCSIM_LISTEN_ADDR", default_value = "127.0.0.1:9000")]
    pub addr: SocketAddr,

    /// Verify Standard Webhooks signatures with these secrets (repeat, or separate with
    /// spaces or commas); requests that do not verify are answered 401 and reported.
    #[arg(long, env = "CCSIM_SECRET", value_name = "whsec_…", hide_env_values = true,
          value_parser = SecretsParser)]
    pub secret: Vec<SecretList>,

    /// On every parts_changed, fetch the conversation record from this fake platform API
    /// and print its members.
    #[arg(long, env = "CCSIM_LISTEN_API", value_name = "URL")]
    pub api: Option<reqwest::Url>,

    /// Account id in the record path `{api}/v1/account/{account}/callcenter/conversation/{id}`.
    #[arg(
        long,
        env = "CCSIM_ACCOUNT",
        value_name = "ID",
        default_value = "ccsim"
    )]
    pub account: String,

    /// Answer this share of requests with HTTP 500, to watch a sender retry.
    #[arg(long, env = "CCSIM_FAIL_RATE", value_name = "R", default_value = "0")]
    pub fail_rate: Probability,

    /// Wait this long before answering each request.
    #[arg(
        long,
        env = "CCSIM_DELAY",
        value_name = "DURATION",
        default_value = "0"
    )]
    pub delay: Span,
}

/// Parses `--start-time`: RFC 3339 or epoch milliseconds.
fn parse_start_time(s: &str) -> Result<i64, String> {
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(ms);
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp_millis())
        .map_err(|_| {
            format!(
                "expected RFC 3339 (2026-01-01T09:00:00+08:00) or epoch milliseconds, got {s:?}"
            )
        })
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
    fn start_time_accepts_rfc3339_and_epoch_ms() {
        assert_eq!(parse_start_time("1700000000000"), Ok(1_700_000_000_000));
        assert_eq!(
            parse_start_time("2023-11-14T22:13:20Z"),
            Ok(1_700_000_000_000)
        );
        assert!(
            parse_start_time("yesterday")
                .unwrap_err()
                .contains("RFC 3339")
        );
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
