//! Keep-alive as a receiver sees it: every worker keeps one connection, whatever way the
//! answers are framed, and a receiver that closes connections after answering loses
//! nothing and costs no retries.

use ccsim::Exit;

use super::support::{Behaviour, TestReceiver, assert_accounting, seeded_run};

/// Connections a run at `--concurrency 3` may open: one a worker, and the reachability
/// check at start.
const MOST_CONNECTIONS: u64 = 3 + 1;

/// A run of a few dozen events at `--concurrency 3` against `rx`.
async fn run_against(rx: &TestReceiver) -> super::support::Outcome {
    let o = seeded_run("120s", Some(&rx.url), &["--concurrency", "3"]).await;
    assert_accounting(&o);
    let e = &o.report.events;
    assert!(e.emitted >= 20, "{e:?}");
    assert_eq!(
        (e.delivered, e.failed, e.retries),
        (e.emitted, 0, 0),
        "{e:?}"
    );
    assert_eq!(o.exit, Exit::Ok);
    assert_eq!(rx.requests() as u64, e.emitted);
    o
}

/// Runs against a receiver behaving as `behaviour` and checks the workers kept their
/// connections.
async fn assert_connections_kept(behaviour: Behaviour) {
    let rx = TestReceiver::start(behaviour).await;
    run_against(&rx).await;
    assert!(
        (2..=MOST_CONNECTIONS).contains(&rx.connections()),
        "{}",
        rx.connections()
    );
}

#[tokio::test]
async fn sends_reuse_at_most_one_connection_per_concurrent_send() {
    assert_connections_kept(Behaviour::ok()).await;
}

#[tokio::test]
async fn chunked_answers_are_read_whole_and_the_connection_is_kept() {
    assert_connections_kept(Behaviour::Chunked).await;
}

#[tokio::test]
async fn a_receiver_closing_connections_after_answering_loses_nothing() {
    let rx = TestReceiver::start(Behaviour::CloseEvery(2)).await;
    let o = run_against(&rx).await;
    // Every second answer closes its connection, so a new one follows it.
    let requests = o.report.events.emitted;
    assert!(
        rx.connections() >= requests / 2,
        "{} connections",
        rx.connections()
    );
}
