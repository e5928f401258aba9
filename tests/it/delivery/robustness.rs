//! Ordering modes and the receiver-robustness options end to end: what the receiver
//! sees, what the report counts, and that the built-in receiver's contract check accepts
//! the disorder ccsim was asked to cause.

use std::collections::HashMap;

use ccsim::Exit;

use super::support::{Behaviour, Captured, SECRET, TestReceiver, assert_accounting, seeded_run};

/// (conversation id, seq) of a signed request, from its webhook-id `msg_<conv>_<seq>`.
fn conv_seq(req: &Captured) -> (String, u64) {
    let id = req.header("webhook-id").expect("signed request");
    let rest = id.strip_prefix("msg_").unwrap();
    let (conv, seq) = rest.rsplit_once('_').unwrap();
    (conv.to_owned(), seq.parse().unwrap())
}

/// Each conversation's seqs in arrival order.
fn arrivals(captured: &[Captured]) -> HashMap<String, Vec<u64>> {
    let mut out: HashMap<String, Vec<u64>> = HashMap::new();
    for req in captured {
        let (conv, seq) = conv_seq(req);
        out.entry(conv).or_default().push(seq);
    }
    out
}

#[tokio::test]
async fn a_duplicate_is_a_second_send_of_the_same_body_and_webhook_id_counted_apart() {
    let rx = TestReceiver::start(Behaviour::ok()).await;
    let o = seeded_run(
        "2m",
        Some(&rx.url),
        &["--secret", SECRET, "--duplicate-rate", "1"],
    )
    .await;
    assert_accounting(&o);
    let e = &o.report.events;
    assert_eq!(e.duplicated, e.emitted);
    assert_eq!(e.duplicate_outcomes.delivered, e.emitted);
    assert_eq!(e.delivered, e.emitted, "duplicates are not part of emitted");
    let mut by_id: HashMap<String, Vec<Vec<u8>>> = HashMap::new();
    for req in rx.captured() {
        by_id
            .entry(req.header("webhook-id").unwrap().to_owned())
            .or_default()
            .push(req.body);
    }
    assert_eq!(by_id.len() as u64, e.emitted);
    assert!(by_id.values().all(|b| b.len() == 2 && b[0] == b[1]));
    assert_eq!(o.report_json["events"]["duplicated"], e.emitted);
}

#[tokio::test]
async fn per_conversation_ordering_keeps_each_conversation_in_order_through_retries() {
    let rx = TestReceiver::start(Behaviour::Status {
        status: 500,
        fail_first: 1,
        retry_after: None,
    })
    .await;
    let o = seeded_run("2m", Some(&rx.url), &["--secret", SECRET]).await;
    assert_accounting(&o);
    for (conv, seqs) in arrivals(&rx.captured()) {
        assert!(seqs.is_sorted(), "{conv}: {seqs:?}");
    }
}

#[tokio::test]
async fn reordering_swaps_events_within_a_conversation_and_is_counted() {
    let rx = TestReceiver::start(Behaviour::ok()).await;
    let o = seeded_run(
        "2m",
        Some(&rx.url),
        &["--secret", SECRET, "--reorder-rate", "0.5"],
    )
    .await;
    assert_accounting(&o);
    let e = &o.report.events;
    assert!(e.reordered > 0, "{e:?}");
    let out_of_order = arrivals(&rx.captured())
        .values()
        .filter(|s| !s.is_sorted())
        .count();
    assert!(out_of_order > 0, "some conversation arrives out of order");
    assert_eq!(o.report_json["events"]["reordered"], e.reordered);
}

#[tokio::test]
async fn the_built_in_receiver_accepts_the_disorder_that_was_asked_for() {
    for extra in [
        &["--reorder-rate", "0.5"][..],
        &["--duplicate-rate", "0.5"],
        &["--ordering", "none", "--jitter", "0..20ms"],
        &[
            "--ordering",
            "none",
            "--duplicate-rate",
            "0.3",
            "--reorder-rate",
            "0.3",
        ],
    ] {
        let o = seeded_run("2m", None, extra).await;
        assert_accounting(&o);
        let contract = o.report.contract.as_ref().unwrap();
        assert!(contract.held(), "{extra:?}: {contract:?}");
        assert_eq!(o.exit, Exit::Ok, "{extra:?}");
        assert_eq!(
            contract.events,
            o.report.events.emitted + o.report.events.duplicated,
            "{extra:?}"
        );
    }
}

#[tokio::test]
async fn jitter_delays_first_attempts_and_is_counted_without_breaking_order() {
    let rx = TestReceiver::start(Behaviour::ok()).await;
    let o = seeded_run(
        "2m",
        Some(&rx.url),
        &["--secret", SECRET, "--jitter", "1ms..5ms"],
    )
    .await;
    assert_accounting(&o);
    assert_eq!(o.report.events.jittered, o.report.events.emitted);
    for (conv, seqs) in arrivals(&rx.captured()) {
        assert!(seqs.is_sorted(), "{conv}: {seqs:?}");
    }
}

#[tokio::test]
async fn the_same_seed_makes_the_same_robustness_choices() {
    let flags = [
        "--target",
        "null",
        "--start-time",
        "1700000000000",
        "--duplicate-rate",
        "0.3",
        "--reorder-rate",
        "0.3",
        "--jitter",
        "0..1ms",
    ];
    let a = seeded_run("2m", None, &flags).await;
    let b = seeded_run("2m", None, &flags).await;
    let key = |o: &super::support::Outcome| {
        let e = &o.report.events;
        let mut lines: Vec<String> = o
            .log
            .iter()
            .map(|l| format!("{} {} {}", l["seq"], l["duplicate"], l["webhook_id"]))
            .collect();
        lines.sort();
        (e.emitted, e.duplicated, e.reordered, e.jittered, lines)
    };
    assert_eq!(key(&a), key(&b));
    assert!(a.report.events.duplicated > 0 && a.report.events.reordered > 0);
}
