//! The examples under each subcommand's `--help`, one block per subcommand, each line a
//! command that works as written (`tests/it/examples.rs` runs every one).

/// A block of examples followed by the exit codes (`concat!` takes literals only, hence a
/// macro rather than a `const` of the exit-code line).
macro_rules! examples {
    ($body:literal) => {
        concat!(
            $body,
            "\nExit codes: 0 ok · 1 thresholds breached · 2 bad usage · 3 interrupted · 4 target unreachable\n",
            "            · 5 an output could not be written (docs/faults.md)"
        )
    };
}

/// `ccsim --help`: one line per subcommand.
pub const OVERVIEW: &str = examples!(
    "\
Examples:
  ccsim run                                    # the embedded default scenario
  ccsim run --target http://127.0.0.1:3000/hook --speed max --report report.json
  ccsim load --rate 1/s --duration 10m --agents 150 --handle-time 2m \\
             --target http://127.0.0.1:3000/hook
  ccsim listen --addr 127.0.0.1:9000           # a receiver that checks and prints events
  ccsim serve                                  # the fake platform API alone, until ctrl-c
  ccsim validate scenarios/*.toml              # every problem as FILE:LINE:COLUMN: message

Each subcommand's --help has examples of its own.
"
);

/// `ccsim run --help`.
pub const RUN: &str = examples!(
    "\
Examples:
  ccsim run                                    # the embedded default scenario
  ccsim run --seed 1                           # the README's sample, exactly
  ccsim run --target http://127.0.0.1:3000/hook --speed 60 --seed 42
  ccsim run --target http://127.0.0.1:3000/hook --speed max \\
            --report report.json --events-log events.jsonl
  ccsim run scenarios/queue-happy-path.toml    # a scripted scenario (docs/scenarios.md)
  ccsim run --events all --profile platform    # agent and queue events too, as sent for real
  ccsim run --secret whsec_ZXhhbXBsZS1zZWNyZXQtMTIzNDU2Nzg= \\
            --ordering none --duplicate-rate 0.05 --reorder-rate 0.05
  ccsim run --control --api-linger 10m         # + the journal and waits for a test suite
                                               #   (GET /__ccsim/journal, docs/control.md)
"
);

/// `ccsim load --help`.
pub const LOAD: &str = examples!(
    "\
Examples:
  # ten busy minutes of a 150-agent centre, in real time
  ccsim load --rate 1/s --duration 10m --agents 150 --handle-time 2m \\
             --target http://127.0.0.1:3000/hook
  # contact-centre figures only: an 8-hour day of 10 agents, as fast as the engine goes
  ccsim load --rate 160/h --duration 8h --mix queue=100 --agents 10 --patience 60s \\
             --queue-timeout 2m --speed max --target null
  # a CI gate on your receiver's own time (not ccsim's backlog) and on throughput
  ccsim load --rate 200/s --duration 30s --agents 3000 --handle-time 10s --ring-time 1s \\
             --speed max --max-service-p99 500ms --min-throughput 500/s \\
             --target http://127.0.0.1:3000/hook
"
);

/// `ccsim listen --help`.
pub const LISTEN: &str = examples!(
    "\
Examples:
  ccsim listen --addr 127.0.0.1:9000           # prints and checks every event
  ccsim listen --addr 127.0.0.1:9000 --fail-rate 0.3 --delay 100ms   # 30% get 500, all late
  ccsim listen --addr 127.0.0.1:9000 --secret whsec_ZXhhbXBsZS1zZWNyZXQtMTIzNDU2Nzg= \\
               --api http://127.0.0.1:8700    # checks signatures, reads each event's record
"
);

/// `ccsim serve --help`.
pub const SERVE: &str = examples!(
    "\
Examples:
  ccsim serve                                  # the default scenario's records, until ctrl-c
  ccsim serve scenarios/queue-happy-path.toml --api 127.0.0.1:8700 \\
              --api-auth --api-secret s3cret  # records behind the platform's signature
"
);

/// `ccsim sign --help`.
pub const SIGN: &str = examples!(
    "\
Examples:
  ccsim sign --api-secret s3cret \\
             --uri /v1/account/demo/callcenter/conversation/0123456789abcdef0123456789abcdef
  CCSIM_API_SECRET=s3cret ccsim sign --uri '/v1/account/demo/callcenter/conversation?size=5'
"
);

/// `ccsim validate --help`.
pub const VALIDATE: &str = examples!(
    "\
Examples:
  ccsim validate scenarios/*.toml              # every problem as FILE:LINE:COLUMN: message
"
);

/// `ccsim schema --help`.
pub const SCHEMA: &str = examples!(
    "\
Examples:
  ccsim schema > scenario.schema.json          # for editor completion (docs/scenarios.md)
"
);

/// `ccsim replay --help`.
pub const REPLAY: &str = examples!(
    "\
Examples:
  ccsim run --target http://127.0.0.1:3000/hook --speed max --events-log events.jsonl
  ccsim replay events.jsonl --target http://127.0.0.1:3000/hook --only-failed --speed max
  ccsim replay events.jsonl --target http://127.0.0.1:3000/hook --speed 600  # all, 10x faster
"
);

/// `ccsim report merge --help`.
pub const REPORT_MERGE: &str = examples!(
    "\
Examples:
  ccsim run --speed max --target null --seed 1 --report a.json -q
  ccsim run --speed max --target null --seed 2 --report b.json -q
  ccsim report merge a.json b.json -o merged.json      # counters summed, exact percentiles
  ccsim report merge a.json b.json -q --html merged.html   # the merged report as a page
  ccsim report merge a.json b.json -q --max-p99 10s --max-failure-rate 0.01   # a CI gate
"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_block_lists_commands_then_the_exit_codes() {
        for block in [
            OVERVIEW,
            RUN,
            LOAD,
            LISTEN,
            SERVE,
            SIGN,
            VALIDATE,
            SCHEMA,
            REPLAY,
            REPORT_MERGE,
        ] {
            assert!(block.starts_with("Examples:\n  "), "{block}");
            assert!(block.ends_with("(docs/faults.md)"), "{block}");
            assert!(block.contains("\nExit codes: 0 ok"), "{block}");
        }
    }
}
