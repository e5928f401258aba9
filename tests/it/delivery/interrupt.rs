//! Graceful interruption of the real binary: SIGINT/SIGTERM mid-run stops scheduling,
//! settles in-flight deliveries within `--grace`, writes the report and a line-complete
//! events log and exits 3; a second signal exits at once.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::support::{Behaviour, TestReceiver, binary, read_json, read_log, tempdir};

/// Polls until `cond` holds; panics after a generous bound (a hang guard, not a timing
/// assertion).
async fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..1200 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("gave up waiting for {what}");
}

async fn wait_exit(child: &mut Child) -> Option<i32> {
    let mut status = None;
    wait_until("the process to exit", || {
        status = child.try_wait().unwrap();
        status.is_some()
    })
    .await;
    status.and_then(|s| s.code())
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([format!("-{sig}"), child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{sig}");
}

fn spawn_run(url: &str, dir: &std::path::Path, extra: &[&str]) -> Child {
    Command::new(binary())
        .args([
            "run",
            "-q",
            "--api",
            "127.0.0.1:0",
            "--target",
            url,
            "--seed",
            "3",
            "--speed",
            "1",
        ])
        .args(["--duration", "30m"])
        .arg("--report")
        .arg(dir.join("report.json"))
        .arg("--events-log")
        .arg(dir.join("events.jsonl"))
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Checks the partial report and log of an interrupted run; returns the report.
fn assert_partial_results(dir: &std::path::Path) -> serde_json::Value {
    let report = read_json(&dir.join("report.json"));
    assert_eq!(report["interrupted"], true);
    let e = &report["events"];
    let n = |k: &str| e[k].as_u64().unwrap();
    assert!(n("emitted") > 0, "{e}");
    assert_eq!(
        n("emitted"),
        n("delivered") + n("failed") + n("cancelled"),
        "{e}"
    );
    let log = read_log(&dir.join("events.jsonl"));
    assert_eq!(log.len() as u64, n("emitted") + n("duplicated"));
    report
}

#[tokio::test]
async fn sigint_mid_run_writes_the_report_and_a_complete_log_and_exits_3() {
    let rx = TestReceiver::start(Behaviour::ok()).await;
    let dir = tempdir();
    let mut child = spawn_run(&rx.url, dir.path(), &[]);
    wait_until("the first webhook", || rx.requests() > 0).await;
    signal(&child, "INT");
    assert_eq!(wait_exit(&mut child).await, Some(3));
    let report = assert_partial_results(dir.path());
    assert!(report["events"]["delivered"].as_u64().unwrap() >= 1);
}

#[tokio::test]
async fn sigterm_cancels_attempts_still_in_flight_when_the_grace_period_ends() {
    let rx = TestReceiver::start(Behaviour::Hang).await;
    let dir = tempdir();
    let mut child = spawn_run(
        &rx.url,
        dir.path(),
        &["--grace", "200ms", "--timeout", "1h"],
    );
    wait_until("the first webhook", || rx.requests() > 0).await;
    signal(&child, "TERM");
    assert_eq!(wait_exit(&mut child).await, Some(3));
    let report = assert_partial_results(dir.path());
    assert!(report["events"]["cancelled"].as_u64().unwrap() >= 1);
    let log = read_log(&dir.path().join("events.jsonl"));
    assert!(log.iter().any(|l| l["outcome"] == "cancelled"));
}

#[tokio::test]
async fn a_second_signal_exits_at_once_without_waiting_for_the_grace_period() {
    let rx = TestReceiver::start(Behaviour::Hang).await;
    let dir = tempdir();
    // An hour of grace: only the second signal can end this run in time.
    let mut child = spawn_run(&rx.url, dir.path(), &["--grace", "1h", "--timeout", "1h"]);
    wait_until("the first webhook", || rx.requests() > 0).await;
    signal(&child, "INT");
    tokio::time::sleep(Duration::from_millis(200)).await;
    signal(&child, "TERM");
    assert_eq!(wait_exit(&mut child).await, Some(3));
}
