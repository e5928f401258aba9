//! Faults survived, nothing lost: one test per kind of hostile receiver, each checking
//! outcomes, attempt counts, the last error (report and events log) and the accounting.

use std::time::Duration;

use ccsim::Exit;

use super::support::{Behaviour, SECRET, TestReceiver, assert_accounting, seeded_run};

/// A small deterministic run (10 events) against `url`, plus `extra` flags.
async fn small_run(url: &str, extra: &[&str]) -> super::support::Outcome {
    seeded_run("20s", Some(url), extra).await
}

/// Asserts every event failed after `attempts` attempts with an error containing `error`.
fn assert_all_failed(o: &super::support::Outcome, attempts: u64, error: &str) {
    assert_accounting(o);
    let e = &o.report.events;
    assert_eq!(e.failed, e.emitted, "{e:?}");
    assert_eq!(o.exit, Exit::Thresholds);
    assert_eq!(e.retries, e.emitted * (attempts - 1));
    let (desc, n) = e.errors.iter().next().expect("an error is recorded");
    assert_eq!(e.errors.len(), 1, "{:?}", e.errors);
    assert!(desc.to_lowercase().contains(error), "{desc}");
    assert_eq!(*n, e.emitted);
    for line in &o.log {
        assert_eq!(line["outcome"], "failed", "{line}");
        assert_eq!(line["attempts"], attempts, "{line}");
        assert_eq!(line["error"].as_str(), Some(desc.as_str()), "{line}");
    }
}

#[tokio::test]
async fn a_receiver_failing_twice_before_accepting_gets_every_event_on_the_third_attempt() {
    let rx = TestReceiver::start(Behaviour::Status {
        status: 500,
        fail_first: 2,
        retry_after: None,
    })
    .await;
    // Signed, so the receiver counts attempts per webhook-id.
    let o = small_run(&rx.url, &["--secret", SECRET]).await;
    assert_accounting(&o);
    let e = &o.report.events;
    assert_eq!(o.exit, Exit::Ok);
    assert_eq!((e.delivered, e.failed), (e.emitted, 0));
    assert_eq!(e.retries, 2 * e.emitted);
    assert!(e.errors.is_empty(), "{:?}", e.errors);
    assert_eq!(rx.requests() as u64, 3 * e.emitted);
    for line in &o.log {
        assert_eq!(
            (&line["attempts"], &line["status"], &line["outcome"]),
            (&3.into(), &200.into(), &"delivered".into()),
            "{line}"
        );
        assert!(line.get("error").is_none(), "{line}");
    }
}

#[tokio::test]
async fn a_receiver_that_always_answers_500_leaves_every_event_failed_after_its_retries() {
    let rx = TestReceiver::start(Behaviour::Status {
        status: 500,
        fail_first: u32::MAX,
        retry_after: None,
    })
    .await;
    let o = small_run(&rx.url, &["--retries", "2"]).await;
    assert_all_failed(&o, 3, "http 500");
    assert!(o.log.iter().all(|l| l["status"] == 500));
}

#[tokio::test]
async fn a_receiver_that_never_answers_times_out_on_every_attempt() {
    let rx = TestReceiver::start(Behaviour::Hang).await;
    let o = small_run(
        &rx.url,
        &["--timeout", "200ms", "--retries", "1", "--ordering", "none"],
    )
    .await;
    assert_all_failed(&o, 2, "timeout");
}

#[tokio::test]
async fn a_receiver_that_resets_the_connection_fails_events_with_the_reset_recorded() {
    let rx = TestReceiver::start(Behaviour::Reset).await;
    let o = small_run(&rx.url, &["--retries", "1"]).await;
    assert_all_failed(&o, 2, "reset");
}

#[tokio::test]
async fn a_receiver_that_closes_before_answering_fails_events_with_the_close_recorded() {
    let rx = TestReceiver::start(Behaviour::Close).await;
    let o = small_run(&rx.url, &["--retries", "1"]).await;
    assert_all_failed(&o, 2, "closed");
}

#[tokio::test]
async fn a_huge_response_body_is_not_read_whole_and_the_event_is_delivered() {
    let rx = TestReceiver::start(Behaviour::HugeBody(16 * 1024 * 1024)).await;
    let o = small_run(&rx.url, &[]).await;
    assert_accounting(&o);
    let e = &o.report.events;
    assert_eq!((e.delivered, e.retries), (e.emitted, 0));
    assert_eq!(o.exit, Exit::Ok);
}

#[tokio::test]
async fn a_very_slow_receiver_still_gets_everything_delivered_once() {
    let rx = TestReceiver::start(Behaviour::Slow(Duration::from_millis(300))).await;
    let o = small_run(&rx.url, &["--ordering", "none"]).await;
    assert_accounting(&o);
    let e = &o.report.events;
    assert_eq!((e.delivered, e.retries), (e.emitted, 0));
    assert_eq!(rx.requests() as u64, e.emitted);
}

#[tokio::test]
async fn a_slow_receiver_never_has_more_events_queued_or_in_flight_than_the_backlog_bound() {
    let rx = TestReceiver::start(Behaviour::Slow(Duration::from_millis(20))).await;
    let o = seeded_run(
        "2m",
        Some(&rx.url),
        &[
            "--concurrency",
            "2",
            "--max-backlog",
            "3",
            "--duplicate-rate",
            "0.3",
        ],
    )
    .await;
    assert_accounting(&o);
    let e = &o.report.events;
    assert_eq!(e.delivered, e.emitted);
    assert!(e.emitted > 3 && e.duplicated > 0, "{e:?}");
    let d = &o.report.delivery;
    assert_eq!(d.max_backlog, 3);
    assert!((1..=3).contains(&d.peak_backlog), "{d:?}");
    assert!(rx.peak_concurrent() <= 2, "{}", rx.peak_concurrent());
    assert_eq!(o.report_json["delivery"]["peak_backlog"], d.peak_backlog);
}

#[tokio::test]
async fn retry_after_on_429_and_503_is_honoured_but_clamped_to_the_retry_cap() {
    for (status, retry_after) in [(429, "86400"), (503, "Fri, 01 Jan 2100 00:00:00 GMT")] {
        let rx = TestReceiver::start(Behaviour::Status {
            status,
            fail_first: 1,
            retry_after: Some(retry_after),
        })
        .await;
        // A day-long Retry-After would hang the run; the cap makes it 50ms.
        let o = small_run(&rx.url, &["--secret", SECRET, "--retry-cap", "50ms"]).await;
        assert_accounting(&o);
        let e = &o.report.events;
        assert_eq!((e.delivered, e.retries), (e.emitted, e.emitted), "{status}");
    }
}

#[tokio::test]
async fn exponential_backoff_retries_until_delivered() {
    let rx = TestReceiver::start(Behaviour::Status {
        status: 503,
        fail_first: 3,
        retry_after: None,
    })
    .await;
    let o = small_run(
        &rx.url,
        &[
            "--secret",
            SECRET,
            "--retry-backoff",
            "exponential",
            "--retry-base",
            "10ms",
            "--retry-cap",
            "40ms",
        ],
    )
    .await;
    assert_accounting(&o);
    let e = &o.report.events;
    assert_eq!((e.delivered, e.retries), (e.emitted, 3 * e.emitted));
}

#[tokio::test]
async fn any_2xx_counts_only_with_success_2xx() {
    let rx = TestReceiver::start(Behaviour::Status {
        status: 204,
        fail_first: u32::MAX,
        retry_after: None,
    })
    .await;
    let strict = small_run(&rx.url, &["--retries", "0"]).await;
    assert_all_failed(&strict, 1, "http 204");
    let lenient = small_run(&rx.url, &["--success", "2xx"]).await;
    assert_accounting(&lenient);
    assert_eq!(
        lenient.report.events.delivered,
        lenient.report.events.emitted
    );
}

/// The case: a 10 MB body to the built-in receiver, which answers 413 after
/// reading part of it and closes, is reported as that 413, not as the broken write.
#[tokio::test]
async fn a_body_the_built_in_receiver_refuses_is_reported_as_its_413() {
    use ccsim::delivery::attempt::AttemptResult;
    use ccsim::delivery::https::TlsOptions;
    use ccsim::delivery::transport::Transport;
    let stop = tokio_util::sync::CancellationToken::new();
    let addr = ccsim::receiver::Receiver::new(false)
        .spawn("127.0.0.1:0".parse().unwrap(), stop.clone())
        .await
        .unwrap();
    let url = reqwest::Url::parse(&format!("http://{addr}/webhook")).unwrap();
    let transport = Transport::http(
        url,
        std::time::Duration::from_secs(10),
        1,
        &TlsOptions::default(),
    )
    .unwrap();
    let body = bytes::Bytes::from(vec![b'x'; 10 * 1024 * 1024]);
    let mut conn = transport.open();
    for _ in 0..3 {
        let attempt = conn.attempt(&body, &Vec::new()).await;
        assert_eq!(attempt.result, AttemptResult::Status(413));
    }
    stop.cancel();
}
