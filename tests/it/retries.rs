//! Delivery: retries against a failing receiver, failure thresholds, the events log and the
//! report file, and the accounting identity throughout.

use std::io::BufRead;

use serde_json::Value;

use ccsim::scenario::default_plan;
use ccsim::time::SimTime;

use crate::support::{Answer, TestReceiver, assert_accounted, run_sim};

fn sim() -> ccsim::sim::workload::SimPlan {
    default_plan(11, SimTime::from_millis(1_700_000_000_000))
        .expect("the embedded default is valid")
}

#[tokio::test]
async fn a_receiver_that_fails_three_times_still_gets_every_event_after_retries() {
    let rx = TestReceiver::start(Answer::FailFirst(3)).await;
    let (report, exit) = run_sim(sim(), &rx.url, &["--concurrency", "1"]).await;
    assert_eq!(exit, ccsim::Exit::Ok, "{}", report.render_text());
    assert_accounted(&report);
    assert_eq!(report.events.failed, 0);
    assert_eq!(report.events.retries, 3, "the first event took 4 attempts");
    assert_eq!(rx.requests() as u64, report.events.emitted + 3);
    assert_eq!(rx.events().len() as u64, report.events.delivered);
}

#[tokio::test]
async fn events_failing_every_attempt_are_counted_failed_and_breach_the_threshold() {
    let rx = TestReceiver::start(Answer::AlwaysFail).await;
    let (report, exit) = run_sim(sim(), &rx.url, &[]).await;
    assert_eq!(exit, ccsim::Exit::Thresholds);
    assert_accounted(&report);
    assert!(report.events.emitted > 0);
    assert_eq!(report.events.failed, report.events.emitted);
    assert_eq!(
        report.events.retries,
        3 * report.events.emitted,
        "4 attempts each"
    );
    assert_eq!(rx.requests() as u64, 4 * report.events.emitted);
    assert_eq!(
        report.events.errors.get("HTTP 500"),
        Some(&report.events.emitted)
    );
    assert!(
        report.thresholds.breached[0].contains("--max-failure-rate"),
        "{:?}",
        report.thresholds
    );
}

#[tokio::test]
async fn a_failure_rate_under_the_threshold_passes() {
    let rx = TestReceiver::start(Answer::AlwaysFail).await;
    let (report, exit) = run_sim(
        sim(),
        &rx.url,
        &["--max-failure-rate", "100%", "--retries", "0"],
    )
    .await;
    assert_eq!(exit, ccsim::Exit::Ok);
    assert_eq!(
        rx.requests() as u64,
        report.events.emitted,
        "no retries asked for"
    );
}

#[tokio::test]
async fn the_events_log_and_report_account_for_every_event() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("events.jsonl");
    let json = dir.path().join("report.json");
    let rx = TestReceiver::start(Answer::FailFirst(2)).await;
    let (report, _) = run_sim(
        sim(),
        &rx.url,
        &[
            "--events-log",
            log.to_str().expect("utf-8"),
            "--report",
            json.to_str().expect("utf-8"),
        ],
    )
    .await;
    let lines: Vec<Value> = std::io::BufReader::new(std::fs::File::open(&log).expect("log"))
        .lines()
        .map(|l| serde_json::from_str(&l.expect("line")).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len() as u64, report.events.emitted);
    let mut seqs: Vec<u64> = lines
        .iter()
        .map(|l| l["seq"].as_u64().expect("seq"))
        .collect();
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (1..=report.events.emitted).collect::<Vec<_>>(),
        "one line per event"
    );
    for l in &lines {
        for k in [
            "seq",
            "conversation_id",
            "event",
            "payload",
            "scheduled_at_ms",
            "attempts",
            "status",
            "outcome",
        ] {
            assert!(l.get(k).is_some(), "missing {k} in {l}");
        }
        assert_eq!(l["outcome"], "delivered");
        assert_eq!(l["payload"]["event"], l["event"]);
        assert_eq!(l["payload"]["id"], l["conversation_id"]);
    }
    assert_eq!(
        lines
            .iter()
            .map(|l| l["attempts"].as_u64().unwrap_or(0) - 1)
            .sum::<u64>(),
        2
    );
    let file: Value =
        serde_json::from_slice(&std::fs::read(&json).expect("report")).expect("report is JSON");
    for path in [
        "/events/emitted",
        "/events/delivered",
        "/events/failed",
        "/events/cancelled",
        "/events/retries",
        "/events/by_kind/callcenter.conversation.begin",
        "/latency_ms/p50",
        "/latency_ms/p90",
        "/latency_ms/p99",
        "/latency_ms/max",
        "/conversations/by_type/queue/started",
        "/conversations/by_type/queue/ended",
        "/conversations/by_type/queue/failed",
    ] {
        assert!(file.pointer(path).is_some(), "report lacks {path}");
    }
    assert_eq!(file["events"]["emitted"], report.events.emitted);
}

#[tokio::test]
async fn latency_and_throughput_thresholds_fail_the_run_and_say_which() {
    let rx = TestReceiver::start(Answer::Ok).await;
    // No delivery takes under a microsecond, and none reaches a billion events a second.
    let (report, exit) = run_sim(
        sim(),
        &rx.url,
        &["--max-p99", "1us", "--min-throughput", "1000000/s"],
    )
    .await;
    assert_eq!(exit, ccsim::Exit::Thresholds);
    let breached = &report.thresholds.breached;
    assert_eq!(breached.len(), 2, "{breached:?}");
    assert!(breached[0].contains("above --max-p99 1us"), "{breached:?}");
    assert!(
        breached[1].contains("below --min-throughput"),
        "{breached:?}"
    );
    let (report, exit) = run_sim(
        sim(),
        &rx.url,
        &["--max-p99", "1h", "--min-throughput", "1/h"],
    )
    .await;
    assert_eq!(exit, ccsim::Exit::Ok, "{:?}", report.thresholds);
}
