//! The engine under overload and bad values, on the real binary: an overloaded run keeps a
//! bounded number of conversations live (and counts the rest as `overflow`), an interrupt
//! is answered whatever the engine is doing, and every out-of-range time, duration, rate
//! and speed is refused with exit 2 naming the flag or the environment variable.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn ccsim() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ccsim"));
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Waits for the child, killing it (and failing) after `limit`: a hang guard, not a
/// timing assertion.
fn wait_or_fail(mut child: Child, limit: Duration, what: &str) -> Output {
    let deadline = Instant::now() + limit;
    while child.try_wait().expect("try_wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {limit:?}, killed");
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    child.wait_with_output().expect("wait for ccsim")
}

fn run(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let child = ccsim()
        .args(args)
        .envs(envs.iter().copied())
        .spawn()
        .expect("spawn ccsim");
    wait_or_fail(child, Duration::from_secs(120), &args.join(" "))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("read report");
    serde_json::from_str(&text).expect("a valid JSON report")
}

/// The overload of the issue: 10 agents, 10 000 arrivals a second, nobody gives up.
const OVERLOAD: [&str; 12] = [
    "load", "--rate", "10000/s", "--mix", "queue=1", "--speed", "max", "--target", "null", "--api",
    "off", "-q",
];

#[test]
fn an_overloaded_run_turns_arrivals_away_beyond_its_live_limit_and_counts_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.json");
    let mut args = OVERLOAD.to_vec();
    let report_arg = report.to_str().expect("utf-8 path");
    args.extend([
        "--duration",
        "1m",
        "--max-live",
        "500",
        "--seed",
        "1",
        "--report",
        report_arg,
    ]);
    let o = run(&args, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("turned away (overflow)") && stderr(&o).contains("--max-live"),
        "{}",
        stderr(&o)
    );
    let report = read_json(&report);
    let queue = &report["conversations"]["by_type"]["queue"];
    let n = |v: &serde_json::Value| v.as_u64().unwrap_or(0);
    let offered = n(&queue["offered"]);
    let overflow = n(&queue["by_outcome"]["overflow"]);
    let completed = n(&queue["by_outcome"]["completed"]);
    // About 600 000 arrivals; 10 agents at 3 minutes a call serve a handful in a minute,
    // and at most 500 are ever live: everyone else was turned away.
    assert!(offered > 100_000, "{queue}");
    assert!(completed <= 500 + 10 * 60, "{queue}");
    assert!(overflow >= offered - 500 - 10 * 60, "{queue}");
    let outcomes: u64 = queue["by_outcome"]
        .as_object()
        .expect("by_outcome")
        .values()
        .map(n)
        .sum();
    assert_eq!(outcomes, offered, "every arrival has one outcome: {queue}");
}

#[cfg(unix)]
#[test]
fn sigint_stops_an_overloaded_run_at_max_speed_to_the_null_target() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.json");
    let child = ccsim()
        .args(OVERLOAD)
        // The default --report-interval (10s): the first periodic report comes only if the
        // loop yields to take it.
        .args(["--duration", "1h", "--report"])
        .arg(&report)
        .spawn()
        .expect("spawn ccsim");
    // The first periodic report shows the run is under way (and its signal handler set).
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::metadata(&report).map_or(true, |m| m.len() == 0) {
        if Instant::now() > deadline {
            let mut child = child;
            let _ = child.kill();
            let _ = child.wait();
            panic!("no periodic report within 60 s: the engine never yields");
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    let ok = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill")
        .success();
    assert!(ok, "kill -INT");
    let o = wait_or_fail(child, Duration::from_secs(60), "the interrupted run");
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let report = read_json(&report);
    assert_eq!(report["interrupted"], true, "{report}");
    assert_ne!(report["partial"], true, "the final report: {report}");
    let queue = &report["conversations"]["by_type"]["queue"];
    assert!(queue["offered"].as_u64().unwrap_or(0) > 0, "{queue}");
}

/// Runs `args` (with `envs`), expects exit 2 and every one of `needles` in stderr.
fn refused(args: &[&str], envs: &[(&str, &str)], needles: &[&str]) {
    let o = run(args, envs);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?} {envs:?}: {err}");
    for needle in needles {
        assert!(
            err.contains(needle),
            "{args:?} {envs:?}: {needle:?} not in {err}"
        );
    }
}

#[test]
fn out_of_range_times_durations_rates_and_speeds_exit_2_naming_the_flag() {
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["load", "--rate", "99999999999999999999/s"],
            &["--rate", "rate too high (the limit is 1000000/s"],
        ),
        (
            &["load", "--rate", "1e9/s"],
            &["--rate", "rate too high (the limit is 1000000/s"],
        ),
        (
            &["run", "--speed", "0.0000001"],
            &[
                "--speed",
                "speed out of range: expected a factor from 0.001 to 1000000",
            ],
        ),
        (
            &["run", "--speed", "1e308"],
            &["--speed", "speed out of range"],
        ),
        (
            &["run", "--speed", "99999999999999999999999"],
            &["--speed", "speed out of range"],
        ),
        (
            &["replay", "x.jsonl", "--speed", "1e7"],
            &["--speed", "speed out of range"],
        ),
        (
            &["run", "--start-time", "9223372036854775"],
            &[
                "--start-time",
                "start time out of range: expected a start time from 2000-01-01T00:00:00Z to 2100-01-01T00:00:00Z",
            ],
        ),
        (
            &["run", "--start-time", "9999-12-31T00:00:00Z"],
            &["--start-time", "start time out of range"],
        ),
        (
            &["run", "--jitter", "0..213503982d"],
            &["--jitter", "the limit is 365d"],
        ),
        (
            &["run", "--jitter", "0..2h"],
            &["--jitter: at most 1h, got 0s..2h"],
        ),
        (
            &["run", "--duration", "366d"],
            &["--duration", "the limit is 365d"],
        ),
        (
            &["run", "--timeout", "2h"],
            &["--timeout: at most 1h, got 2h"],
        ),
        (
            &["run", "--sl-threshold", "2d"],
            &["--sl-threshold: at most 1d, got 2d"],
        ),
        (
            &["load", "--rate", "1/s", "--handle-time", "90h"],
            &["--handle-time: at most 1d, got 3d18h"],
        ),
        (
            &["run", "--retries", "101"],
            &["--retries", "101 is not in 0..=100"],
        ),
        (
            &["run", "--max-backlog", "4294967295"],
            &["--max-backlog", "is not in 1..=10000000"],
        ),
        (&["run", "--max-live", "0"], &["--max-live"]),
        (&["run", "--max-live", "1000001"], &["--max-live"]),
    ];
    for (args, needles) in cases {
        refused(args, &[], needles);
    }
}

#[test]
fn a_bad_value_from_the_environment_names_the_variable() {
    refused(
        &["run"],
        &[("CCSIM_CONCURRENCY", "0")],
        &[
            "CCSIM_CONCURRENCY (--concurrency <N>)",
            "0 is not in 1..=100000",
        ],
    );
    refused(
        &["run", "--api", "off"],
        &[("CCSIM_TIMEOUT", "2h")],
        &["CCSIM_TIMEOUT (--timeout): at most 1h, got 2h"],
    );
    refused(
        &["load"],
        &[("CCSIM_RATE", "1e9/s")],
        &["CCSIM_RATE (--rate", "rate too high"],
    );
    // The same value on the command line names the flag alone.
    let o = run(
        &["run", "--concurrency", "0"],
        &[("CCSIM_CONCURRENCY", "0")],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("for '--concurrency <N>'"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn flags_that_cancel_each_other_out_are_refused_naming_both() {
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["run", "--api", "off", "--api-auth", "--api-secret", "s"],
            &["--api-auth has no effect with --api off"],
        ),
        (
            &["run", "--api", "off", "--api-linger", "30s"],
            &["--api-linger has no effect with --api off"],
        ),
        (
            &["run", "--api", "off", "--control"],
            &["--control has no effect with --api off"],
        ),
        (
            &["run", "--retry-base", "10s", "--retry-cap", "1s"],
            &["--retry-base spaces exponential retries: it needs --retry-backoff exponential"],
        ),
        (
            &[
                "run",
                "--retry-backoff",
                "exponential",
                "--retry-base",
                "10s",
                "--retry-cap",
                "1s",
            ],
            &["--retry-cap: 1s is less than --retry-base 10s"],
        ),
        (
            &["run", "--retries", "0", "--retry-backoff", "exponential"],
            &["--retry-backoff exponential has no effect with --retries 0"],
        ),
    ];
    for (args, needles) in cases {
        refused(args, &[], needles);
    }
    // A scenario of scripted conversations only has no arrivals for --duration to time.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("scripted.toml");
    std::fs::write(
        &file,
        "start_time = \"2026-01-05T09:00:00+08:00\"\n[agents]\nnames = [\"1001\"]\n\
         [[conversations]]\ntype = \"queue\"\ntimeline = [{ do = \"enqueue\" }, \
         { after = \"1s\", do = \"timeout\" }]\n",
    )
    .expect("write scenario");
    let path = file.to_str().expect("utf-8 path");
    refused(
        &["run", path, "--duration", "10m", "--api", "off"],
        &[],
        &["--duration sets how long generated arrivals keep coming"],
    );
}

#[test]
fn flags_the_command_makes_meaningless_are_refused_naming_both() {
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["run", "--report-interval", "1s"],
            &[
                "--report-interval sets how often --report is rewritten during the run, but no --report is given",
            ],
        ),
        (
            &["replay", "x.jsonl", "--report-interval", "1s"],
            &[
                "--report-interval sets how often --report",
                "no --report is given",
            ],
        ),
        (
            &["run", "--insecure"],
            &[
                "--insecure applies to https:// targets only, but the target is the built-in receiver",
            ],
        ),
        (
            &[
                "load",
                "--rate",
                "5/s",
                "--target",
                "http://127.0.0.1:9/hook",
                "--insecure",
            ],
            &[
                "--insecure applies to https:// targets only, but --target http://127.0.0.1:9/hook is plain http",
            ],
        ),
        (
            &["run", "--target", "null", "--insecure"],
            &["--insecure applies to https:// targets only, but --target null sends nothing"],
        ),
        (
            &["serve", "--report", "r.json"],
            &["--report has no effect with `ccsim serve`"],
        ),
        (
            &["serve", "--max-failure-rate", "0"],
            &["--max-failure-rate has no effect with `ccsim serve`"],
        ),
        (
            &["serve", "--clock", "manual"],
            &["--clock manual needs --control (only the control API can advance the clock)"],
        ),
        (
            &["serve", "--control", "--clock", "manual", "--speed", "10"],
            &["--speed has no effect with --clock manual"],
        ),
        (
            &["serve", "--duration", "1m"],
            &["--duration has no effect with `ccsim serve` and no scenario file"],
        ),
        (
            &["serve", "--api-linger", "1m"],
            &["--api-linger has no effect with `ccsim serve`: it serves the API until stopped"],
        ),
        (
            &["run", "--api-secret", "s"],
            &["--api-secret has no effect without --api-auth"],
        ),
        (
            &["load", "--rate", "1/s", "--control-token", "t"],
            &["--control-token has no effect without --control"],
        ),
        (
            &["listen", "--account", "acme"],
            &["--account has no effect without --api (no record is looked up)"],
        ),
        (
            &["listen", "--delay", "2h"],
            &["--delay: at most 1h, got 2h"],
        ),
        (
            &["run", "--retain-conversations", "10000001"],
            &["--retain-conversations", "is not in 1..=10000000"],
        ),
    ];
    for (args, needles) in cases {
        refused(args, &[], needles);
    }
}

#[test]
fn the_same_meaningless_settings_from_the_environment_are_ignored() {
    // Variables are often set for a whole shell: a report interval or a TLS option without
    // a report or an https target is no mistake of this command.
    let envs = [
        ("CCSIM_REPORT_INTERVAL", "1s"),
        ("CCSIM_INSECURE", "true"),
        ("CCSIM_CONCURRENCY", "8"),
        ("CCSIM_API_SECRET", "s"),
        ("CCSIM_CONTROL_TOKEN", "t"),
    ];
    let o = run(
        &[
            "load",
            "--rate",
            "5/s",
            "--duration",
            "2s",
            "--speed",
            "max",
            "--target",
            "null",
            "--api",
            "off",
            "-q",
        ],
        &envs,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // A target and delivery settings from the environment do not stop serve: what stops
    // this one is --api off.
    let mut envs = envs.to_vec();
    envs.push(("CCSIM_TARGET", "http://127.0.0.1:9/hook"));
    refused(
        &["serve", "--api", "off"],
        &envs,
        &["--api off: `serve` has nothing else to do"],
    );
}
