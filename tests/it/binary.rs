//! The real binary: exit codes and messages for bad flags, unreachable targets, and a
//! complete run.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// Runs the binary with `args` and no stdin, guarded against hangs.
pub(crate) fn ccsim(args: &[&str]) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_ccsim"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ccsim");
    wait_or_kill(child)
}

/// Waits for the child; kills it if it hangs (a guard against hangs, not a performance bound).
pub(crate) fn wait_or_kill(mut child: std::process::Child) -> Output {
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while child.try_wait().expect("try_wait").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("wait for ccsim")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_bad_flag_value_names_the_flag_and_the_syntax_and_exits_2() {
    let o = ccsim(&["run", "--speed", "fast"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("--speed") && err.contains("expected a positive number or \"max\""),
        "{err}"
    );

    let o = ccsim(&["run", "--target", "localhost:3000"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--target: expected an http(s) URL"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_unreachable_target_exits_4_with_a_clear_message() {
    // Bind and drop to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let o = ccsim(&[
        "run",
        "--target",
        &format!("http://127.0.0.1:{port}/hook"),
        "--speed",
        "max",
        "--api",
        "127.0.0.1:0",
    ]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!(
            "target http://127.0.0.1:{port}/hook is unreachable"
        )),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_full_run_against_the_built_in_receiver_prints_a_summary_and_exits_0() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("r.json");
    let o = ccsim(&[
        "run",
        "--speed",
        "max",
        "--seed",
        "5",
        "--api",
        "127.0.0.1:0",
        "--report",
        report.to_str().expect("utf-8"),
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}\n{}", stderr(&o));
    assert!(out.contains("contract    held"), "{out}");
    assert!(out.contains("seed 5"), "{out}");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(report).expect("report")).expect("json");
    assert_eq!(json["seed"], 5);
    assert_eq!(json["partial"], false, "the final report is complete");
    assert_eq!(json["contract"]["violations"], 0);
}

#[test]
fn environment_variables_stand_in_for_flags() {
    let o = Command::new(env!("CARGO_BIN_EXE_ccsim"))
        .args(["run", "--quiet"])
        .env("CCSIM_SPEED", "warp")
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--speed"), "{}", stderr(&o));
}

#[test]
fn help_shows_examples_and_exit_codes() {
    let o = ccsim(&["run", "--help"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("Examples:") && out.contains("Exit codes"),
        "{out}"
    );
}

#[test]
fn a_killed_run_leaves_a_partial_report_and_a_line_complete_events_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (report, log) = (dir.path().join("r.json"), dir.path().join("e.jsonl"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_ccsim"))
        .args([
            "run",
            "--quiet",
            "--speed",
            "30",
            "--seed",
            "4",
            "--api",
            "127.0.0.1:0",
        ])
        .args(["--report-interval", "100ms", "--report"])
        .arg(&report)
        .arg("--events-log")
        .arg(&log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    // Wait (bounded) for a snapshot with some events in it, then kill without warning.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let snapshot = loop {
        let partial = std::fs::read(&report)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .filter(|v| v["partial"] == true && v["events"]["emitted"].as_u64() > Some(5));
        if let Some(v) = partial {
            break v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no partial report appeared"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    child.kill().expect("kill -9");
    let _ = child.wait();
    assert_eq!(snapshot["seed"], 4);
    let after: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).expect("report")).expect("still valid JSON");
    assert_eq!(after["partial"], true);
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "the log ends with a whole line"
    );
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("every line is complete JSON");
        assert!(v["seq"].as_u64().is_some());
    }
}
