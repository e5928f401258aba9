//! One module per subcommand: each holds its clap `Args` and its `exec`, which turns the
//! flags into plain domain values and calls the layers below (`plan`, `session`,
//! `sending`, and the domain modules). Flag groups that several subcommands share live in
//! [`flags`]. Nothing below this module names a clap type.

pub mod flags;
pub mod listen;
pub mod load;
pub mod replay;
pub mod run;
pub mod schema;
pub mod serve;
pub mod sign;
pub mod validate;

/// The examples under `ccsim --help` and `ccsim run --help`.
pub const EXAMPLES: &str = "\
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

Exit codes: 0 ok · 1 thresholds breached · 2 bad usage · 3 interrupted · 4 target unreachable
            · 5 an output could not be written (docs/faults.md)";
