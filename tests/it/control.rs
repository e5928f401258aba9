//! The test-control API end to end: the real `run_plan` with `--control` journals exactly
//! what the receiver got (filtered by conversation and event name, paged), and the real
//! binary refuses `--control` where it is unsafe or meaningless, answers a wait when the
//! run sends a match, times out, requires its token, and ends waits on ctrl-c.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::binary::{ccsim, wait_or_kill};
use crate::support::{Answer, TestReceiver, plan_from_args};

const NOBODY: &str = "00000000000000000000000000000000";

async fn get_json(client: &reqwest::Client, url: &str) -> (u16, Value) {
    let response = client.get(url).send().await.expect("the API answers");
    let status = response.status().as_u16();
    let body = response.bytes().await.expect("a body");
    let json = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("{url}: not JSON ({e}): {}", String::from_utf8_lossy(&body)));
    (status, json)
}

async fn json(response: reqwest::Response) -> Value {
    serde_json::from_slice(&response.bytes().await.expect("a body")).expect("a JSON body")
}

/// Every event of the journal matching `query`, read `limit` at a time.
async fn read_all(client: &reqwest::Client, base: &str, query: &str, limit: u32) -> Vec<Value> {
    let mut after = 0;
    let mut out = Vec::new();
    for _ in 0..100_000 {
        let url = format!("{base}/__ccsim/journal?{query}&after={after}&limit={limit}");
        let (status, page) = get_json(client, &url).await;
        assert_eq!(status, 200, "{url}: {page}");
        out.extend(page["events"].as_array().unwrap().iter().cloned());
        after = page["next_after"].as_u64().unwrap();
        if page["more"] == false {
            return out;
        }
    }
    panic!("the journal never ended")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_journals_exactly_what_the_receiver_got() {
    let receiver = TestReceiver::start(Answer::Ok).await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut plan = plan_from_args(&[
        "--target",
        &receiver.url,
        "--speed",
        "max",
        "--seed",
        "7",
        "--duration",
        "3m",
        "--events",
        "all",
        "--control",
        "--api-linger",
        "10m",
    ]);
    plan.api = plan.api.with_listener(listener);
    let stop = CancellationToken::new();
    let run = tokio::spawn(ccsim::run_plan(plan, stop.clone()));
    let client = reqwest::Client::new();

    // A wait for what never comes ends once the run has sent everything.
    let mut finished = false;
    for _ in 0..20 {
        let url = format!("{base}/__ccsim/wait?conversation={NOBODY}&timeout=60s");
        let (status, answer) = get_json(&client, &url).await;
        assert_eq!(status, 408, "{answer}");
        if answer["finished"] == true {
            finished = true;
            break;
        }
    }
    assert!(finished, "the run never finished");

    let journal = read_all(&client, &base, "", 1000).await;
    let received = receiver.events();
    assert!(
        received.len() > 10,
        "a run with some events: {}",
        received.len()
    );
    assert_eq!(journal.len(), received.len(), "each event once");
    let seqs: Vec<u64> = journal.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=journal.len() as u64).collect::<Vec<_>>());
    assert!(journal.iter().all(|e| e["outcome"] == "delivered"));
    // The same payloads (the receiver may have got concurrent sends in another order).
    let sorted = |events: Vec<Value>| {
        let mut texts: Vec<String> = events.iter().map(Value::to_string).collect();
        texts.sort();
        texts
    };
    let payloads: Vec<Value> = journal.iter().map(|e| e["payload"].clone()).collect();
    assert_eq!(sorted(payloads), sorted(received));

    // Any page says where the journal stands, however little it returns.
    let (_, first) = get_json(&client, &format!("{base}/__ccsim/journal?limit=1")).await;
    assert_eq!(first["latest"], journal.len() as u64, "{first}");
    assert_eq!(first["next_after"], 1, "{first}");

    // Paged a few at a time, the same events.
    assert_eq!(read_all(&client, &base, "", 7).await, journal);

    // One conversation's events, in the order its receiver got them.
    let end = journal
        .iter()
        .find(|e| e["event"] == "callcenter.conversation.end")
        .expect("a conversation ended");
    let id = end["conversation_id"].as_str().unwrap();
    let conversation_events = "event=callcenter.conversation.begin,\
        callcenter.conversation.parts_changed,callcenter.conversation.end";
    let query = format!("conversation={id}&{conversation_events}");
    let of_one = read_all(&client, &base, &query, 3).await;
    let payloads: Vec<Value> = of_one.iter().map(|e| e["payload"].clone()).collect();
    assert_eq!(payloads, receiver.by_conversation()[id]);
    // A queued conversation's events with its task's, as the whole journal lists them.
    let id = journal
        .iter()
        .find(|e| e["event"] == "callcenter.queue.success")
        .and_then(|e| e["conversation_id"].as_str())
        .expect("a queue task succeeded");
    let with_tasks = read_all(&client, &base, &format!("conversation={id}"), 3).await;
    let expected: Vec<&Value> = journal
        .iter()
        .filter(|e| e["conversation_id"] == id)
        .collect();
    assert_eq!(with_tasks.iter().collect::<Vec<_>>(), expected);
    assert!(
        with_tasks.iter().any(|e| e["event"]
            .as_str()
            .unwrap()
            .starts_with("callcenter.queue.")),
        "its task's events: {with_tasks:?}"
    );

    // One agent's events.
    let agent = journal
        .iter()
        .find_map(|e| e["agent"].as_str())
        .expect("agent events were sent");
    let of_agent = read_all(&client, &base, &format!("agent={agent}"), 5).await;
    let expected: Vec<&Value> = journal.iter().filter(|e| e["agent"] == agent).collect();
    assert_eq!(of_agent.iter().collect::<Vec<_>>(), expected);

    // By event name.
    let begins = read_all(&client, &base, "event=callcenter.conversation.begin", 50).await;
    let received_begins = receiver
        .events()
        .iter()
        .filter(|e| e["event"] == "callcenter.conversation.begin")
        .count();
    assert_eq!(begins.len(), received_begins);
    assert!(
        begins
            .iter()
            .all(|e| e["event"] == "callcenter.conversation.begin")
    );

    stop.cancel();
    let (_, exit) = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the run ended on cancel")
        .unwrap()
        .expect("the run succeeded");
    assert_eq!(exit, ccsim::Exit::Ok, "the run was over before the cancel");
}

#[test]
fn the_binary_refuses_control_where_it_is_unsafe_or_meaningless() {
    for (args, says) in [
        (
            &["--control", "--api", "0.0.0.0:0"][..],
            "--control on --api 0.0.0.0:0, not a loopback address, needs --control-token",
        ),
        (
            &["--control-token", "x"],
            "--control-token has no effect without --control",
        ),
        (
            &["--control", "--api", "off"],
            "--control has no effect with --api off",
        ),
    ] {
        let o = ccsim(&[&["run", "--speed", "max"][..], args].concat());
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    // An empty token from the environment is refused, naming the variable.
    let o = Command::new(env!("CARGO_BIN_EXE_ccsim"))
        .args(["run", "--control", "--api", "0.0.0.0:0", "--speed", "max"])
        .env("CCSIM_CONTROL_TOKEN", "")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("CCSIM_CONTROL_TOKEN (--control-token) is empty")
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_answers_waits_requires_its_token_and_ends_waits_on_ctrl_c() {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_ccsim"))
        .args(["load", "--quiet", "--rate", "20/s", "--duration", "30m"])
        .args(["--speed", "1", "--seed", "3", "--control"])
        .args(["--api", &format!("127.0.0.1:{port}")])
        .args(["--control-token", "s3cret"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let client = reqwest::Client::new();
    let authed = |url: String| {
        client
            .get(url)
            .bearer_auth("s3cret")
            .timeout(Duration::from_secs(90))
            .send()
    };
    // Up once the API answers (bounded).
    let mut up = false;
    for _ in 0..600 {
        if authed(format!("{base}/__ccsim/journal")).await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "the API never came up");

    let bare = client
        .get(format!("{base}/__ccsim/journal"))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status().as_u16(), 401, "no token");

    let page: Value = authed(format!("{base}/__ccsim/journal?limit=1000"))
        .await
        .map(json)
        .unwrap()
        .await;
    let after = page["next_after"].as_u64().unwrap();
    // The next begin sent after this point.
    let answer = authed(format!(
        "{base}/__ccsim/wait?after={after}&event=callcenter.conversation.begin&timeout=60s"
    ))
    .await
    .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    let found: Value = json(answer).await;
    assert_eq!(found["timed_out"], false);
    assert_eq!(found["event"]["event"], "callcenter.conversation.begin");
    assert!(found["event"]["seq"].as_u64().unwrap() > after);
    let id = found["event"]["conversation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let of_it: Value = authed(format!("{base}/__ccsim/journal?conversation={id}"))
        .await
        .map(json)
        .unwrap()
        .await;
    assert!(
        of_it["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["seq"] == found["event"]["seq"])
    );

    let timed_out = authed(format!(
        "{base}/__ccsim/wait?conversation={NOBODY}&timeout=50ms"
    ))
    .await
    .unwrap();
    assert_eq!(timed_out.status().as_u16(), 408);
    let body: Value = json(timed_out).await;
    assert_eq!(body, serde_json::json!({"timed_out": true}));

    let bad = authed(format!("{base}/__ccsim/wait?timeout=forever"))
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    let body: Value = json(bad).await;
    assert_eq!(body["parameter"], "timeout");

    // A wait in progress when ctrl-c comes ends at once, told why.
    let waiting = tokio::spawn(authed(format!(
        "{base}/__ccsim/wait?conversation={NOBODY}&timeout=60s"
    )));
    tokio::time::sleep(Duration::from_secs(1)).await;
    Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    let answer = waiting.await.unwrap().expect("the wait was answered");
    assert_eq!(answer.status().as_u16(), 503);
    let out = tokio::task::spawn_blocking(move || wait_or_kill(child))
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "interrupted: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
