//! `ccsim listen` as a debugging receiver, end to end through the real binary: it prints
//! each event, fails some on purpose (`--fail-rate`) so the sender's retries show, checks
//! signatures (`--secret`) and prints the record's members from the API (`--api`).

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStderr, Command, Stdio};

use axum::Json;
use axum::extract::Path;
use axum::routing::get;
use serde_json::{Value, json};

use super::support::{SECRET, binary, seeded_run};

/// A stand-in for the fake platform API: every conversation has two members.
async fn fake_api() -> String {
    let app = axum::Router::new().route(
        "/v1/account/{account}/callcenter/conversation/{id}",
        get(|Path((_account, id)): Path<(String, String)>| async move {
            Json(json!({"code":"000000","msg":"请求成功","data":{"id": id, "members":[
                {"name":"a1","telnumber":"8001","call_id":"c1","mode":1,"begin_time":1,"end_time":null},
                {"telnumber":"13800000000","call_id":"c2","mode":1,"begin_time":1,"end_time":null}
            ]}})) as Json<Value>
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// Starts `ccsim listen --addr 127.0.0.1:0 ARGS`; returns it, its stderr after the
/// first line, and the URL that line announces.
fn spawn_listen(args: &[&str]) -> (Child, BufReader<ChildStderr>, String) {
    let mut child = Command::new(binary())
        .args(["listen", "--addr", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    let url = first
        .strip_prefix("listening on ")
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_string();
    (child, stderr, url)
}

#[tokio::test]
async fn listen_prints_events_fails_some_on_purpose_verifies_signatures_and_shows_members() {
    let api = fake_api().await;
    let (mut child, mut stderr, url) = spawn_listen(&[
        "--fail-rate",
        "0.3",
        "--delay",
        "1ms",
        "--secret",
        SECRET,
        "--api",
        &api,
    ]);

    let o = seeded_run("20s", Some(&url), &["--secret", SECRET, "--retries", "20"]).await;
    let e = &o.report.events;
    assert_eq!(e.delivered, e.emitted, "{e:?}");
    assert!(e.retries > 0, "the simulated failures cause retries: {e:?}");

    let ok = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));

    let failures = out
        .lines()
        .filter(|l| l.ends_with("-> 500 (simulated failure)"))
        .count();
    assert_eq!(failures as u64, e.retries, "{out}");
    let parts = e.by_kind["callcenter.conversation.parts_changed"];
    let records = out
        .lines()
        .filter(|l| l.contains("2 members: agent a1 (call c1, mode 1, present), 13800000000"))
        .count();
    assert_eq!(records as u64, parts, "{out}");
    assert!(
        rest.contains(&format!("{} events in", e.emitted)) && rest.contains("contract held"),
        "{rest}"
    );
}

#[tokio::test]
async fn listen_answers_401_to_unsigned_requests_when_given_a_secret_and_says_so() {
    let (mut child, mut stderr, url) = spawn_listen(&["--secret", SECRET]);
    let o = seeded_run("20s", Some(&url), &["--retries", "0"]).await;
    assert_eq!(o.report.events.failed, o.report.events.emitted);
    assert_eq!(
        o.report.events.errors.keys().next().map(String::as_str),
        Some("HTTP 401")
    );
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    let _ = child.wait();
    assert!(
        rest.contains(&format!("{} bad signatures", o.report.events.emitted)),
        "{rest}"
    );
    assert!(rest.contains("request without webhook-id header"), "{rest}");
}
