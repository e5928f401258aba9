//! `ccsim listen` as a debugging receiver, end to end through the real binary: it prints
//! each event, fails some on purpose (`--fail-rate`) so the sender's retries show, checks
//! signatures (`--secret`), prints the record's members from the API (`--api`) and reports
//! a record that shows more than the events announced.

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
        .to_owned();
    (child, stderr, url)
}

/// Interrupts `listen` (its normal stop) and returns its stdout, the rest of its stderr and
/// its exit code.
fn interrupt(
    mut child: Child,
    mut stderr: BufReader<ChildStderr>,
) -> (String, String, Option<i32>) {
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
    (out, rest, child.wait().unwrap().code())
}

#[tokio::test]
async fn listen_prints_events_fails_some_on_purpose_verifies_signatures_and_shows_members() {
    let api = fake_api().await;
    let (child, stderr, url) = spawn_listen(&[
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

    let (out, rest, code) = interrupt(child, stderr);
    assert_eq!(code, Some(0));

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
    // The stand-in API lists both members from the first event on: ahead of the events,
    // which listen reports.
    assert!(
        rest.contains(&format!("{} events in", e.emitted)) && rest.contains("contract violated"),
        "{rest}"
    );
    assert!(
        rest.contains(
            "the record shows 2 members joined and 0 left, but only 1 parts_changed were received"
        ),
        "{rest}"
    );
}

#[tokio::test]
async fn listen_answers_401_to_unsigned_requests_when_given_a_secret_and_says_so() {
    let (child, stderr, url) = spawn_listen(&["--secret", SECRET]);
    let o = seeded_run("20s", Some(&url), &["--retries", "0"]).await;
    assert_eq!(o.report.events.failed, o.report.events.emitted);
    assert_eq!(
        o.report.events.errors.keys().next().map(String::as_str),
        Some("HTTP 401")
    );
    let (_, rest, _) = interrupt(child, stderr);
    assert!(
        rest.contains(&format!("{} bad signatures", o.report.events.emitted)),
        "{rest}"
    );
    assert!(rest.contains("request without webhook-id header"), "{rest}");
}

#[tokio::test]
async fn listen_signs_its_lookups_for_an_api_that_requires_auth_and_finds_the_records_in_step() {
    const API_SECRET: &str = "listen-test-secret";
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let api = format!("http://{}", listener.local_addr().unwrap());
    let (child, stderr, url) = spawn_listen(&["--api", &api, "--api-secret", API_SECRET]);

    let argv = [
        "ccsim",
        "run",
        "-q",
        "--seed",
        "3",
        "--duration",
        "1m",
        "--speed",
        "max",
        "--target",
        &url,
        "--api-auth",
        "--api-secret",
        API_SECRET,
    ];
    let ccsim::cli::Command::Run(args) = <ccsim::cli::Cli as clap::Parser>::try_parse_from(argv)
        .unwrap()
        .command
    else {
        unreachable!()
    };
    let mut plan = args.plan().unwrap();
    plan.api = plan.api.with_listener(listener);
    let (report, exit) = ccsim::run_plan(plan, tokio_util::sync::CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(exit, ccsim::Exit::Ok);

    let (out, rest, _) = interrupt(child, stderr);
    let parts = report.events.by_kind["callcenter.conversation.parts_changed"];
    let records = out
        .lines()
        .filter(|l| l.starts_with("  record "))
        .collect::<Vec<_>>();
    assert_eq!(records.len() as u64, parts, "{out}");
    assert!(
        records
            .iter()
            .all(|l| (l.contains(" member: ") || l.contains(" members: ")) && !l.contains("HTTP")),
        "every signed lookup is answered with the record: {out}"
    );
    assert!(
        rest.contains(&format!("{} events in", report.events.emitted))
            && rest.contains("contract held"),
        "{rest}"
    );
}

#[tokio::test]
async fn listen_escapes_terminal_controls_line_breaks_and_bidi_overrides_from_the_network() {
    let (child, stderr, url) = spawn_listen(&[]);
    let hostile = "\u{1b}[31mred\u{1b}[0m\rover\nnext\u{202e}desrever\u{2066}\u{85}";
    let client = reqwest::Client::new();
    let bodies = [
        json!({"action":"event_notify","event":"callcenter.conversation.begin",
               "id":"0123456789abcdef0123456789abcdef","type":"queue","user_data":hostile})
        .to_string(),
        json!({"action":"event_notify","event":format!("callcenter.x{hostile}"),
               "id":hostile})
        .to_string(),
        format!("not json {hostile}"),
    ];
    for body in &bodies {
        let status = client
            .post(&url)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
    }
    let (out, err, _) = interrupt(child, stderr);
    for text in [&out, &err] {
        for bad in ['\u{1b}', '\r', '\u{202e}', '\u{2066}', '\u{85}'] {
            assert!(
                !text.contains(bad),
                "{bad:?} reached the terminal: {text:?}"
            );
        }
    }
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), bodies.len(), "one line per event: {out}");
    assert!(
        lines[0].contains(r"user_data=\u{1b}[31mred\u{1b}[0m\rover\nnext\u{202e}desrever"),
        "{}",
        lines[0]
    );
}

/// One queue conversation as the platform's code sends it, every family, in its order:
/// the ACD selects agent 1001, who enters while ringing, answers, talks, leaves into
/// after-call work, ends it through the state API (no event) and is selected again by a
/// task that fails for lack of an answer.
fn platform_queue_conversation() -> Vec<Value> {
    const CONV: &str = "0123456789abcdef0123456789abcdef";
    const TASK: &str = "11111111111111111111111111111111";
    const TASK2: &str = "22222222222222222222222222222222";
    const CUSTOMER: &str = "cccccccccccccccccccccccccccccccc";
    const EXT: &str = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
    const AGENT_CALL: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const AGENT_CALL2: &str = "abababababababababababababababab";
    let t = |s: i64| 1_700_000_000_000i64 + s * 1000;
    let ev = |event: &str| json!({"action":"event_notify","event":format!("callcenter.{event}")});
    let merge = |mut v: Value, more: Value| {
        for (k, x) in more.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };
    let state = |prev: &str, latest: &str, s: i64| {
        merge(
            ev("agent.state_changed"),
            json!({"name":"1001","previous_state":prev,"latest_state":latest,"current_time":t(s)}),
        )
    };
    let presence = |kind: &str, latest: &str, s: i64| {
        merge(
            ev("agent.conversation_changed"),
            json!({"name":"1001","type":kind,"conversation_id":CONV,"latest_state":latest,"current_time":t(s)}),
        )
    };
    let task = |step: &str, id: &str, call: &str| {
        merge(
            ev(&format!("queue.{step}")),
            json!({"id":id,"type":"ivr","origin_call_id":CUSTOMER,"agent_name":"1001",
                   "agent_extension_id":EXT,"agent_call_id":call}),
        )
    };
    let parts = merge(ev("conversation.parts_changed"), json!({"id":CONV}));
    vec![
        task("select", TASK, AGENT_CALL),
        state("idle", "fetching", 0),
        parts.clone(),
        presence("enter", "fetching", 1),
        parts,
        state("fetching", "talking", 5),
        merge(
            ev("conversation.begin"),
            json!({"id":CONV,"type":"queue","queue_id":TASK,"agent_call_id":AGENT_CALL}),
        ),
        task("success", TASK, AGENT_CALL),
        presence("exit", "talking", 60),
        state("talking", "busy", 60),
        merge(
            ev("conversation.end"),
            json!({"id":CONV,"type":"queue","begin_time":t(0),"end_time":t(60)}),
        ),
        task("select", TASK2, AGENT_CALL2),
        state("idle", "fetching", 90),
        merge(
            task("fail", TASK2, AGENT_CALL2),
            json!({"cause":"call_fail"}),
        ),
        state("fetching", "idle", 110),
    ]
}

/// POSTs each body to `url` in turn; every answer is 200.
async fn post_all(url: &str, bodies: &[Value]) {
    let client = reqwest::Client::new();
    for body in bodies {
        let status = client
            .post(url)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
    }
}

#[tokio::test]
async fn listen_checks_agent_and_queue_events_against_the_profile_it_is_given() {
    let events = platform_queue_conversation();
    let n = events.len();

    // What the platform sends holds the platform profile's contract.
    let (child, stderr, url) = spawn_listen(&["--profile", "platform"]);
    post_all(&url, &events).await;
    let (out, rest, code) = interrupt(child, stderr);
    assert_eq!(code, Some(0));
    assert_eq!(out.lines().count(), n, "{out}");
    assert!(
        out.contains(
            "agent.state_changed            1001 previous_state=idle latest_state=fetching"
        ),
        "{out}"
    );
    assert!(
        rest.contains(&format!(
            "{n} events in 1 conversation, 1 agent, 2 queue tasks (platform profile); contract held"
        )),
        "{rest}"
    );

    // The documented profile refuses what the platform sends and the docs do not (and
    // the silent end of after-call work), one line each.
    let (child, stderr, url) = spawn_listen(&["--profile", "documented"]);
    post_all(&url, &events).await;
    let (_, rest, code) = interrupt(child, stderr);
    assert_eq!(code, Some(0), "listen reports, it does not fail");
    let id = "0123456789abcdef0123456789abcdef";
    for want in [
        "(documented profile); contract violated (7 violations)".to_owned(),
        "callcenter.agent.conversation_changed 1001: unexpected field \"latest_state\"".to_owned(),
        format!("callcenter.conversation.begin {id}: agent_call_id present for type queue"),
        format!("callcenter.conversation.end {id}: end_reason missing"),
        "callcenter.agent.state_changed 1001: previous_state idle, but the agent's last \
         state_changed left it busy"
            .to_owned(),
    ] {
        assert!(rest.contains(&want), "missing {want:?} in:\n{rest}");
    }

    // Nothing the documented profile adds passes the platform profile; nor a second end
    // of a queue task.
    let mut documented_end = events[10].clone();
    documented_end["end_reason"] = json!("customer_hangup");
    let (child, stderr, url) = spawn_listen(&["--profile", "platform"]);
    post_all(
        &url,
        &[&events[..10], &[documented_end, events[7].clone()]].concat(),
    )
    .await;
    let (_, rest, _) = interrupt(child, stderr);
    for want in [
        "contract violated (2 violations)".to_owned(),
        format!("callcenter.conversation.end {id}: unexpected field \"end_reason\""),
        "callcenter.queue.success 11111111111111111111111111111111: success after success: a \
         task ends once"
            .to_owned(),
    ] {
        assert!(rest.contains(&want), "missing {want:?} in:\n{rest}");
    }
}

#[tokio::test]
async fn a_platform_run_holds_its_own_contract_and_breaks_the_documented_one() {
    // The built-in receiver checks the run's profile.
    let o = seeded_run("1m", None, &["--profile", "platform"]).await;
    let contract = o.report.contract.as_ref().unwrap();
    assert!(
        contract.held() && contract.profile == "platform" && contract.events > 0,
        "{contract:?}"
    );
    // The same events, checked against the documented profile, break it.
    let (child, stderr, url) = spawn_listen(&["--profile", "documented"]);
    seeded_run("1m", Some(&url), &["--profile", "platform"]).await;
    let (_, rest, _) = interrupt(child, stderr);
    assert!(
        rest.contains("(documented profile); contract violated")
            && rest.contains("end_reason missing"),
        "{rest}"
    );
}
