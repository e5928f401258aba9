//! The manual clock (`--clock manual`) end to end, through the real `run_plan`: a run
//! advanced step by step sends exactly the events of the same run at full speed, each
//! advance answering once everything due by then was delivered and nothing later; a
//! receiver acting on an event before it answers acts at that event's instant; the clock
//! endpoints refuse what they cannot do.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::support::{Answer, TestReceiver, plan_from_args, send_json};

/// Starts `run_plan` for `args` with its API on a port of its own; returns its base URL,
/// the stop token and the run.
type Run =
    tokio::task::JoinHandle<Result<(ccsim::report::Report, ccsim::Exit), ccsim::error::RunError>>;

fn start(args: &[&str]) -> (String, CancellationToken, Run) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut plan = plan_from_args(args);
    plan.api = plan.api.with_listener(listener);
    let stop = CancellationToken::new();
    let run = tokio::spawn(ccsim::run_plan(plan, stop.clone()));
    (base, stop, run)
}

/// `POST /__ccsim/clock/advance` by `by` (e.g. `"20s"`): the status and the answer.
async fn advance(client: &reqwest::Client, base: &str, by: &str) -> (u16, Value) {
    send_json(
        client
            .post(format!("{base}/__ccsim/clock/advance"))
            .body(json!({ "by": by }).to_string()),
    )
    .await
}

/// The whole journal: (scheduled_at_ms, payload, outcome) of every event.
async fn journal(client: &reqwest::Client, base: &str) -> Vec<(i64, Value, Value)> {
    let mut after = 0;
    let mut out = Vec::new();
    loop {
        let url = format!("{base}/__ccsim/journal?after={after}&limit=1000");
        let (status, page) = send_json(client.get(&url)).await;
        assert_eq!(status, 200, "{page}");
        for e in page["events"].as_array().unwrap() {
            out.push((
                e["scheduled_at_ms"].as_i64().unwrap(),
                e["payload"].clone(),
                e["outcome"].clone(),
            ));
        }
        after = page["next_after"].as_u64().unwrap();
        if page["more"] == false {
            return out;
        }
    }
}

fn sorted(events: impl IntoIterator<Item = Value>) -> Vec<String> {
    let mut texts: Vec<String> = events.into_iter().map(|v| v.to_string()).collect();
    texts.sort();
    texts
}

const SCENARIO: [&str; 10] = [
    "--start-time",
    "2026-01-05T09:00:00Z",
    "--seed",
    "11",
    "--duration",
    "3m",
    "--events",
    "all",
    "--control",
    "--api-linger",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_run_advanced_step_by_step_sends_what_the_same_run_sends_at_full_speed() {
    let client = reqwest::Client::new();
    // The reference: the same scenario as fast as it goes.
    let reference_receiver = TestReceiver::start(Answer::Ok).await;
    let mut args: Vec<&str> = SCENARIO.to_vec();
    args.extend(["10m", "--speed", "max", "--target", &reference_receiver.url]);
    let (base, stop, run) = start(&args);
    let url =
        format!("{base}/__ccsim/wait?conversation=00000000000000000000000000000000&timeout=60s");
    for _ in 0..20 {
        let (_, answer) = send_json(client.get(&url)).await;
        if answer["finished"] == true {
            break;
        }
    }
    let reference = journal(&client, &base).await;
    stop.cancel();
    let _ = run.await;
    assert!(reference.len() > 30, "{} events", reference.len());

    // The same scenario on a manual clock, 20 s at a time.
    let receiver = TestReceiver::start(Answer::Ok).await;
    let mut args: Vec<&str> = SCENARIO.to_vec();
    args.extend(["10m", "--clock", "manual", "--target", &receiver.url]);
    let (base, stop, run) = start(&args);
    let (status, clock) = send_json(client.get(format!("{base}/__ccsim/clock"))).await;
    assert_eq!(status, 200, "{clock}");
    assert_eq!(clock["mode"], "manual");
    assert_eq!(clock["now_ms"], clock["start_ms"]);
    let mut target = clock["start_ms"].as_i64().unwrap();
    let mut steps = 0;
    loop {
        let (status, answer) = advance(&client, &base, "20s").await;
        steps += 1;
        if status == 503 || run.is_finished() {
            break; // the run ended: everything was sent
        }
        assert_eq!(status, 200, "{answer}");
        target += 20_000;
        assert_eq!(answer["now_ms"], target);
        // Everything due by the target was delivered, and nothing due later was sent.
        let sent = journal(&client, &base).await;
        assert!(
            sent.iter()
                .all(|(at, _, outcome)| *at <= target && outcome == "delivered"),
            "step {steps}: {sent:?}"
        );
        let due: Vec<Value> = reference
            .iter()
            .filter(|(at, _, _)| *at <= target)
            .map(|(_, p, _)| p.clone())
            .collect();
        assert_eq!(
            sorted(sent.iter().map(|(_, p, _)| p.clone())),
            sorted(due),
            "step {steps}: exactly the events due by then"
        );
        if sent.len() == reference.len() {
            break;
        }
        assert!(steps < 200, "the manual run never caught up");
    }
    let sent = journal(&client, &base).await;
    // Once the run has delivered everything (it lingers), an advance says so at once.
    let mut over = false;
    for _ in 0..600 {
        let (status, answer) = advance(&client, &base, "20s").await;
        if status == 503 {
            assert!(
                answer["error"]
                    .as_str()
                    .unwrap()
                    .contains("the run is over"),
                "{answer}"
            );
            over = true;
            break;
        }
        assert_eq!(status, 200, "{answer}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(over, "the run never said it was over");
    stop.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(60), run).await;
    assert_eq!(
        sorted(sent.iter().map(|(_, p, _)| p.clone())),
        sorted(reference.iter().map(|(_, p, _)| p.clone())),
        "the same events"
    );
    assert_eq!(
        sorted(receiver.events()),
        sorted(reference.iter().map(|(_, p, _)| p.clone())),
        "the receiver got them all"
    );
}

/// A receiver that, before it answers each event, asks the control API what time it is.
#[derive(Clone, Default)]
struct Asker {
    base: Arc<Mutex<String>>,
    seen: Arc<Mutex<Vec<(Value, i64)>>>,
}

async fn ask_the_time(State(asker): State<Asker>, body: Bytes) -> StatusCode {
    let base = asker.base.lock().unwrap().clone();
    let clock: Value = match reqwest::get(format!("{base}/__ccsim/clock")).await {
        Ok(r) => serde_json::from_slice(&r.bytes().await.unwrap_or_default()).unwrap_or_default(),
        Err(_) => Value::Null,
    };
    let payload: Value = serde_json::from_slice(&body).unwrap_or_default();
    let now = clock["now_ms"].as_i64().unwrap_or(-1);
    asker.seen.lock().unwrap().push((payload, now));
    StatusCode::OK
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_acting_on_an_event_before_it_answers_acts_at_that_events_instant() {
    let asker = Asker::default();
    let app = Router::new()
        .route("/hook", post(ask_the_time))
        .with_state(asker.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let mut args: Vec<&str> = SCENARIO.to_vec();
    args.extend(["10m", "--clock", "manual", "--target", &target]);
    let (base, stop, run) = start(&args);
    *asker.base.lock().unwrap() = base.clone();
    let client = reqwest::Client::new();
    for _ in 0..3 {
        let (status, answer) = advance(&client, &base, "40s").await;
        assert_eq!(status, 200, "{answer}");
    }
    let sent = journal(&client, &base).await;
    stop.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(60), run).await;
    let seen = asker.seen.lock().unwrap().clone();
    assert!(seen.len() > 10, "{} events", seen.len());
    assert_eq!(seen.len(), sent.len());
    // Identical payloads (a conversation's `parts_changed`) are told apart by their
    // instant: each one seen must match one sent at the instant the clock then stood at.
    let mut unmatched: Vec<(i64, Value)> = sent.into_iter().map(|(at, p, _)| (at, p)).collect();
    for (payload, now) in &seen {
        let i = unmatched
            .iter()
            .position(|(at, p)| p == payload && at == now)
            .unwrap_or_else(|| panic!("{payload} seen at {now}, sent at another instant"));
        unmatched.swap_remove(i);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clock_endpoints_refuse_what_they_cannot_do() {
    let client = reqwest::Client::new();
    // A real clock cannot be advanced.
    let mut args: Vec<&str> = SCENARIO.to_vec();
    args.extend(["10m", "--speed", "60", "--target", "null"]);
    let (base, stop, run) = start(&args);
    let advance = format!("{base}/__ccsim/clock/advance");
    let (status, answer) = send_json(client.post(&advance).body(r#"{"by":"1s"}"#)).await;
    assert_eq!(status, 409, "{answer}");
    assert!(
        answer["error"].as_str().unwrap().contains("--clock manual"),
        "{answer}"
    );
    let (status, clock) = send_json(client.get(format!("{base}/__ccsim/clock"))).await;
    assert_eq!(
        (status, clock["mode"].as_str()),
        (200, Some("real")),
        "{clock}"
    );
    // Bad bodies name the field.
    for (body, field) in [
        (r#"{"by":"soon"}"#, "by"),
        (r#"{}"#, "by"),
        (r#"{"by":"1s","and":1}"#, "and"),
        (r#"{"by":5}"#, "by"),
        (r#"[1]"#, "body"),
        (r#"{"#, "body"),
    ] {
        let (status, answer) = send_json(client.post(&advance).body(body)).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["parameter"], field, "{body}: {answer}");
    }
    stop.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(60), run).await;
}
