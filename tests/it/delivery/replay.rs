//! `ccsim replay` end to end: a run's events log re-sent to another receiver, all of it
//! or only what was not delivered, in the original order with the original bodies and
//! webhook-ids, reported like a run.

use ccsim::Exit;
use ccsim::cli::{Cli, Command};
use ccsim::report::Report;
use clap::Parser;
use tokio_util::sync::CancellationToken;

use super::support::{Behaviour, SECRET, TestReceiver, assert_accounting, read_log, seeded_run};

async fn replay(args: &[&str]) -> (Report, Exit) {
    let argv = ["ccsim", "replay", "-q"].iter().chain(args);
    let Command::Replay(args) = Cli::try_parse_from(argv).unwrap().command else {
        unreachable!()
    };
    ccsim::cmd::replay::replay(args, CancellationToken::new())
        .await
        .unwrap()
}

/// A run whose every event failed, its log kept in `dir`.
async fn failed_run(dir: &std::path::Path) -> (Vec<serde_json::Value>, std::path::PathBuf) {
    let down = TestReceiver::start(Behaviour::Status {
        status: 503,
        fail_first: u32::MAX,
        retry_after: None,
    })
    .await;
    let o = seeded_run(
        "1m",
        Some(&down.url),
        &["--retries", "0", "--secret", SECRET],
    )
    .await;
    assert_accounting(&o);
    assert_eq!(o.report.events.failed, o.report.events.emitted);
    let path = dir.join("events.jsonl");
    let text: String = o.log.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, text).unwrap();
    (o.log, path)
}

#[tokio::test]
async fn replaying_the_failed_events_of_a_log_delivers_them_in_order_with_the_same_ids() {
    let dir = super::support::tempdir();
    let (log, path) = failed_run(dir.path()).await;
    let up = TestReceiver::start(Behaviour::ok()).await;
    let out = dir.path().join("replayed.jsonl");
    let (report, exit) = replay(&[
        path.to_str().unwrap(),
        "--target",
        &up.url,
        "--only-failed",
        "--speed",
        "max",
        "--concurrency",
        "1",
        "--ordering",
        "none",
        "--secret",
        SECRET,
        "--events-log",
        out.to_str().unwrap(),
    ])
    .await;
    assert_eq!(exit, Exit::Ok);
    let e = &report.events;
    assert_eq!(
        (e.emitted, e.delivered),
        (log.len() as u64, log.len() as u64)
    );
    let mut original = log.clone();
    original.sort_by_key(|l| l["seq"].as_u64());
    let captured = up.captured();
    assert_eq!(captured.len(), original.len());
    for (req, line) in captured.iter().zip(&original) {
        let payload: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        assert_eq!(payload, line["payload"]);
        assert_eq!(req.header("webhook-id"), line["webhook_id"].as_str());
    }
    let replayed = read_log(&out);
    assert_eq!(replayed.len(), original.len());
    assert!(replayed.iter().all(|l| l["outcome"] == "delivered"));
}

#[tokio::test]
async fn only_failed_skips_delivered_events_and_the_built_in_receiver_takes_a_replay() {
    let dir = super::support::tempdir();
    let o = seeded_run("1m", None, &[]).await;
    let path = dir.path().join("events.jsonl");
    let text: String = o.log.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, text).unwrap();
    let (none, exit) = replay(&[path.to_str().unwrap(), "--only-failed", "--speed", "max"]).await;
    assert_eq!((none.events.emitted, exit), (0, Exit::Ok));
    let logged = o.report.events.emitted;
    let r = none.replay.unwrap();
    assert_eq!(
        (r.logged, r.left_out_delivered, r.replayed),
        (logged, logged, 0)
    );
    // Said in words, not as an all-zero summary.
    let text = none.render_text();
    assert!(
        text.contains(&format!(
            "nothing to replay: the log holds {logged} events; --only-failed left out {logged} events that were delivered"
        )),
        "{text}"
    );
    assert!(!text.contains("emitted 0"), "{text}");
    let (all, exit) = replay(&[path.to_str().unwrap(), "--speed", "max"]).await;
    assert_eq!(exit, Exit::Ok);
    assert_eq!(all.events.delivered, o.report.events.emitted);
    assert_eq!(all.replay.unwrap().replayed, logged);
    let text = all.render_text();
    assert!(
        text.contains(&format!(
            "replay      {logged} of the {logged} events in the log\n"
        )),
        "{text}"
    );
    assert!(
        !text.contains(" attempted"),
        "a replay simulates nothing: {text}"
    );
    assert!(all.contract.as_ref().unwrap().held());
}

#[tokio::test]
async fn a_log_that_cannot_be_read_is_a_usage_error_naming_the_file_and_line() {
    let dir = super::support::tempdir();
    let path = dir.path().join("bad.jsonl");
    std::fs::write(&path, "{\"seq\":1}\n").unwrap();
    let argv = [
        "ccsim",
        "replay",
        path.to_str().unwrap(),
        "--target",
        "null",
    ];
    let Command::Replay(args) = Cli::try_parse_from(argv).unwrap().command else {
        unreachable!()
    };
    let err = ccsim::cmd::replay::replay(args, CancellationToken::new())
        .await
        .unwrap_err();
    assert_eq!(err.exit(), Exit::Usage);
    let msg = err.to_string();
    assert!(msg.contains("bad.jsonl:1: not an events-log line"), "{msg}");
    let missing = dir.path().join("missing.jsonl");
    let argv = ["ccsim", "replay", missing.to_str().unwrap()];
    let Command::Replay(args) = Cli::try_parse_from(argv).unwrap().command else {
        unreachable!()
    };
    let err = ccsim::cmd::replay::replay(args, CancellationToken::new())
        .await
        .unwrap_err();
    assert!(err.to_string().starts_with("cannot read "), "{err}");
}
