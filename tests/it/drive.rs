//! The two-way stand-in end to end: `ccsim serve` as an empty platform on a manual clock,
//! driven only through the platform's control endpoints and the test-control API, with the
//! built-in receiver as the target (it checks every event against the contract and reads
//! each conversation's record as it handles each event, so a record that showed what no
//! event had announced yet is a violation). Each lifecycle and failure path is asserted
//! as its exact sequence of events, of all three families, in both profiles.

use std::time::Duration;

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use ccsim::cmd::flags::given::Given;
use ccsim::cmd::serve::serve_plan;

use crate::support::{plan_from_args, send_json};

type Run =
    tokio::task::JoinHandle<Result<(ccsim::report::Report, ccsim::Exit), ccsim::error::RunError>>;

/// A running empty platform and what a suite needs to drive it.
struct Platform {
    base: String,
    client: reqwest::Client,
    stop: CancellationToken,
    run: Run,
    /// The journal's seq read up to.
    after: u64,
}

async fn serve(profile: &str) -> Platform {
    let plan = plan_from_args(&[
        "--profile",
        profile,
        "--events",
        "all",
        "--control",
        "--clock",
        "manual",
        "--seed",
        "5",
        "--start-time",
        "2026-01-05T09:00:00Z",
    ]);
    // No scenario file: an empty platform; the built-in receiver checks what it gets.
    let mut plan = serve_plan(plan, true, false, &Given::default()).expect("a serve plan");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    plan.api = plan.api.with_listener(listener);
    let stop = CancellationToken::new();
    let run = tokio::spawn(ccsim::run_plan(plan, stop.clone()));
    Platform {
        base,
        client: reqwest::Client::new(),
        stop,
        run,
        after: 0,
    }
}

impl Platform {
    /// A platform operation: `POST`/`DELETE`/`GET` of `path` under
    /// `/v1/account/demo/callcenter/`; returns the envelope.
    async fn op(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/v1/account/demo/callcenter/{path}", self.base);
        let request = match method {
            "POST" => self
                .client
                .post(&url)
                .header("Content-Type", "application/json")
                .body(body.unwrap_or_else(|| json!({})).to_string()),
            "DELETE" => self.client.delete(&url),
            _ => self.client.get(&url),
        };
        let (status, envelope) = send_json(request).await;
        assert_eq!(status, 200, "{method} {path}: {envelope}");
        envelope
    }

    /// An operation that must succeed; returns its `data`.
    async fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let envelope = self.op(method, path, body).await;
        assert_eq!(envelope["code"], "000000", "{method} {path}: {envelope}");
        envelope["data"].clone()
    }

    /// A test-control call.
    async fn control(&self, path: &str, body: Value) -> (u16, Value) {
        let url = format!("{}/__ccsim/{path}", self.base);
        send_json(self.client.post(&url).body(body.to_string())).await
    }

    async fn advance(&self, by: &str) {
        let (status, answer) = self.control("clock/advance", json!({ "by": by })).await;
        assert_eq!(status, 200, "advance {by}: {answer}");
    }

    async fn phone(&self, who: Value) {
        let (status, answer) = self.control("phone", who.clone()).await;
        assert_eq!(status, 200, "phone {who}: {answer}");
    }

    /// An extension and an idle agent logged in on it.
    async fn agent(&self, name: &str, user: &str) {
        let extension = self
            .ok(
                "POST",
                "extension",
                Some(json!({"type": 1, "user": user, "password": "secret1"})),
            )
            .await;
        let id = extension["id"].as_str().expect("an extension id");
        self.ok(
            "POST",
            "agent",
            Some(json!({"name": name, "extension": id, "state": "idle"})),
        )
        .await;
    }

    /// The events handed over since the last call, each in a few words.
    async fn events(&mut self) -> Vec<String> {
        let url = format!(
            "{}/__ccsim/journal?after={}&limit=1000",
            self.base, self.after
        );
        let (status, page) = send_json(self.client.get(&url)).await;
        assert_eq!(status, 200, "{page}");
        self.after = page["next_after"].as_u64().unwrap();
        page["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| words(&e["payload"]))
            .collect()
    }

    /// Stops the platform; returns the built-in receiver's contract verdict.
    /// Stops the platform; the built-in receiver must have found every event it was
    /// sent within the contract (`context` names the case in a failure).
    async fn stop(self, context: &str) {
        self.stop.cancel();
        let (report, _) = tokio::time::timeout(Duration::from_secs(60), self.run)
            .await
            .expect("stopped in time")
            .expect("no panic")
            .expect("the platform ran");
        let verdict = report.contract.expect("the built-in receiver's verdict");
        assert_eq!(verdict.violations, 0, "{context}: {verdict:?}");
    }
}

/// An event in a few words: its name without `callcenter.`, and what tells it apart.
fn words(p: &Value) -> String {
    let event = p["event"]
        .as_str()
        .unwrap_or("?")
        .trim_start_matches("callcenter.");
    let s = |k: &str| p[k].as_str().unwrap_or("").to_owned();
    match event {
        "agent.state_changed" => format!(
            "{event} {} {}→{}",
            s("name"),
            s("previous_state"),
            s("latest_state")
        ),
        "agent.conversation_changed" => format!("{event} {} {}", s("name"), s("type")),
        "queue.select" | "queue.success" => format!("{event} {} {}", s("type"), s("agent_name")),
        "queue.fail" => format!("{event} {} {}", s("type"), s("cause")),
        "conversation.begin" => format!("{event} {}", s("type")),
        _ => event.to_owned(),
    }
}

fn names(events: &[&str]) -> Vec<String> {
    events.iter().map(|e| (*e).to_owned()).collect()
}

const PROFILES: [&str; 2] = ["documented", "platform"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_out_rings_the_agent_then_the_callee_and_begins_then_a_dismiss_ends_it() {
    for profile in PROFILES {
        let mut p = serve(profile).await;
        p.agent("1001", "100001").await;
        p.ok(
            "POST",
            "agent/1001/call_out",
            Some(json!({"to": "13800000003", "max_answer_seconds": 600, "user_data": "u1"})),
        )
        .await;
        p.phone(json!({"agent": "1001", "do": "answer"})).await;
        p.advance("30s").await;
        let first = p.events().await;
        assert_eq!(
            first,
            names(&[
                "agent.state_changed 1001 idle→fetching",
                "agent.state_changed 1001 fetching→talking",
                "agent.conversation_changed 1001 enter",
                "conversation.parts_changed",
                "conversation.parts_changed",
                "conversation.begin call_out",
            ]),
            "{profile}"
        );
        // The agent is talking and in the conversation; the record has both members.
        let agent = p.ok("GET", "agent/1001", None).await;
        assert_eq!(agent["state"], "talking", "{profile}: {agent}");
        let id = agent["conversation"]
            .as_str()
            .expect("its conversation")
            .to_owned();
        let record = p.ok("GET", &format!("conversation/{id}"), None).await;
        assert_eq!(record["type"], "call_out", "{profile}: {record}");
        assert_eq!(
            record["members"].as_array().map(Vec::len),
            Some(2),
            "{record}"
        );

        p.ok("DELETE", &format!("conversation/{id}"), None).await;
        p.advance("10s").await;
        let mut last = p.events().await;
        last.sort();
        assert_eq!(
            last,
            names(&[
                "agent.conversation_changed 1001 exit",
                "agent.state_changed 1001 talking→idle",
                "conversation.end",
            ]),
            "{profile}"
        );
        // Dismissed: it is over, and a second dismiss finds nothing.
        let again = p.op("DELETE", &format!("conversation/{id}"), None).await;
        assert_eq!(again["code"], "040501", "{profile}: {again}");
        p.stop(profile).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callee_who_never_answers_fails_the_call_out_without_begin_or_end() {
    for profile in PROFILES {
        let mut p = serve(profile).await;
        p.agent("1001", "100001").await;
        p.ok(
            "POST",
            "agent/1001/call_out",
            Some(json!({"to": "13800000000", "max_answer_seconds": 600, "max_dial_seconds": 20})),
        )
        .await;
        p.phone(json!({"agent": "1001", "do": "answer"})).await;
        p.advance("2m").await;
        let events = p.events().await;
        // The callee rang (joined while ringing) and gave up; the documented profile
        // announces its leaving too, the platform only joins.
        let mut expected = names(&[
            "agent.state_changed 1001 idle→fetching",
            "agent.state_changed 1001 fetching→talking",
            "agent.conversation_changed 1001 enter",
            "conversation.parts_changed",
            "conversation.parts_changed",
        ]);
        if profile == "documented" {
            expected.push("conversation.parts_changed".into());
        }
        expected.extend(names(&[
            "agent.conversation_changed 1001 exit",
            "agent.state_changed 1001 talking→idle",
        ]));
        assert_eq!(events, expected, "{profile}");
        let agent = p.ok("GET", "agent/1001", None).await;
        assert_eq!(agent["state"], "idle", "{profile}: {agent}");
        p.stop(profile).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_injected_caller_is_served_by_the_acd_and_an_invited_agent_joins_without_a_second_begin()
{
    for profile in PROFILES {
        let mut p = serve(profile).await;
        p.agent("1001", "100001").await;
        p.agent("1002", "100002").await;
        // 1002 is busy: the caller gets 1001.
        p.ok("POST", "agent/1002/state", Some(json!({"state": "busy"})))
            .await;
        let (status, call) = p
            .control(
                "calls",
                json!({"from": "13900000001", "user_data": "order=42"}),
            )
            .await;
        assert_eq!(status, 200, "{call}");
        p.phone(json!({"agent": "1001", "do": "answer"})).await;
        p.advance("30s").await;
        let served = p.events().await;
        assert_eq!(
            served[..2],
            names(&[
                "queue.select ivr 1001",
                "agent.state_changed 1001 idle→fetching",
            ]),
            "{profile}: {served:?}"
        );
        for expected in [
            "agent.conversation_changed 1001 enter",
            "agent.state_changed 1001 fetching→talking",
            "conversation.begin queue",
            "queue.success ivr 1001",
        ] {
            assert!(
                served.contains(&expected.to_owned()),
                "{profile}: {served:?}"
            );
        }
        let id = call["conversation_id"].as_str().unwrap().to_owned();

        // 1002 becomes free and is invited by name.
        p.ok("POST", "agent/1002/state", Some(json!({"state": "idle"})))
            .await;
        let enqueue = r#"<enqueue><route><agent name="1002"/></route></enqueue>"#;
        p.ok(
            "POST",
            &format!("conversation/{id}/invite_agent"),
            Some(json!({"enqueue": enqueue})),
        )
        .await;
        p.phone(json!({"agent": "1002", "do": "answer"})).await;
        p.advance("30s").await;
        let invited = p.events().await;
        assert_eq!(
            invited,
            names(&[
                "queue.select invite_agent 1002",
                "agent.state_changed 1002 idle→fetching",
                "agent.conversation_changed 1002 enter",
                "conversation.parts_changed",
                "agent.state_changed 1002 fetching→talking",
                "queue.success invite_agent 1002",
            ]),
            "{profile}"
        );
        let record = p.ok("GET", &format!("conversation/{id}"), None).await;
        assert_eq!(
            record["members"].as_array().map(Vec::len),
            Some(3),
            "{record}"
        );

        // The caller hangs up: everybody leaves, the conversation ends.
        p.phone(json!({"number": "13900000001", "do": "hangup"}))
            .await;
        p.advance("30s").await;
        // The caller leaves; the invited agent then hangs up, which leaves one member:
        // the conference is released. The documented profile announces both leavings.
        let ended = p.events().await;
        assert_eq!(
            ended.last().map(String::as_str),
            Some("conversation.end"),
            "{ended:?}"
        );
        let mut ended = ended;
        ended.sort();
        let mut expected = names(&[
            "agent.conversation_changed 1001 exit",
            "agent.conversation_changed 1002 exit",
            "agent.state_changed 1001 talking→idle",
            "agent.state_changed 1002 talking→idle",
            "conversation.end",
        ]);
        if profile == "documented" {
            expected.extend(names(&[
                "conversation.parts_changed",
                "conversation.parts_changed",
            ]));
        }
        expected.sort();
        assert_eq!(ended, expected, "{profile}");
        p.stop(profile).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_carry_the_platforms_codes_and_concurrent_calls_on_one_agent_place_one() {
    let mut p = serve("documented").await;
    p.agent("1001", "100001").await;
    let unknown = p
        .op(
            "POST",
            "agent/1009/call_out",
            Some(json!({"to": "13800000003", "max_answer_seconds": 60})),
        )
        .await;
    assert_eq!(unknown["code"], "040202", "{unknown}");
    let missing = p
        .op(
            "DELETE",
            "conversation/0123456789abcdef0123456789abcdef",
            None,
        )
        .await;
    assert_eq!(missing["code"], "040501", "{missing}");
    let bad = p
        .op(
            "POST",
            "agent/1001/call_out",
            Some(json!({"to": "13800000003", "max_answer_seconds": 60, "colour": "red"})),
        )
        .await;
    assert_eq!(bad["code"], "000001", "{bad}");
    assert!(bad["msg"].as_str().unwrap().contains("colour"), "{bad}");

    // The test-control API's own refusals name what is wrong.
    for (path, body, status, needle) in [
        (
            "phone",
            json!({"agent": "1009", "do": "answer"}),
            404,
            "call",
        ),
        (
            "phone",
            json!({"agent": "1001", "number": "1", "do": "answer"}),
            400,
            "exactly one",
        ),
        (
            "phone",
            json!({"agent": "1001", "do": "dance"}),
            400,
            "\"dance\"",
        ),
        ("calls", json!({"condition": "nope"}), 400, "condition"),
        (
            "calls",
            json!({"condition": "0123456789abcdef0123456789abcdef"}),
            400,
            "condition_id",
        ),
        ("calls", json!({"patience": "soon"}), 400, "patience"),
    ] {
        let (got, answer) = p.control(path, body.clone()).await;
        assert_eq!(got, status, "{path} {body}: {answer}");
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(error.contains(needle), "{path} {body}: {answer}");
    }

    // Eight call_outs of one agent at once: the engine takes them one at a time, so the
    // first places the call and the others find the agent busy.
    let calls = (0..8).map(|_| {
        p.op(
            "POST",
            "agent/1001/call_out",
            Some(json!({"to": "13800000003", "max_answer_seconds": 60})),
        )
    });
    let answers = futures_join(calls).await;
    let codes: Vec<&str> = answers
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes.iter().filter(|c| **c == "000000").count(),
        1,
        "{codes:?}"
    );
    assert_eq!(
        codes.iter().filter(|c| **c == "040203").count(),
        7,
        "{codes:?}"
    );
    p.advance("1s").await;
    let events = p.events().await;
    assert_eq!(
        events,
        names(&["agent.state_changed 1001 idle→fetching"]),
        "one call placed"
    );
    p.stop("the platform").await;
}

/// Runs the futures concurrently and returns their outputs in order.
async fn futures_join<F: std::future::Future<Output = Value>>(
    futures: impl Iterator<Item = F>,
) -> Vec<Value> {
    let handles: Vec<_> = futures.collect();
    let mut out = Vec::new();
    // Polled together: each is a request in flight at once.
    let joined = async {
        let mut pinned: Vec<_> = handles.into_iter().map(Box::pin).collect();
        let mut results: Vec<Option<Value>> = vec![None; pinned.len()];
        std::future::poll_fn(|cx| {
            let mut pending = false;
            for (i, f) in pinned.iter_mut().enumerate() {
                if results[i].is_none() {
                    match f.as_mut().poll(cx) {
                        std::task::Poll::Ready(v) => results[i] = Some(v),
                        std::task::Poll::Pending => pending = true,
                    }
                }
            }
            if pending {
                std::task::Poll::Pending
            } else {
                std::task::Poll::Ready(())
            }
        })
        .await;
        results
    };
    for v in joined.await {
        out.push(v.unwrap_or(Value::Null));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_forgets_everything_and_the_same_steps_then_give_the_same_events_under_new_ids() {
    let mut p = serve("documented").await;
    let mut runs = Vec::new();
    for _ in 0..2 {
        p.agent("1001", "100001").await;
        p.ok(
            "POST",
            "agent/1001/call_out",
            Some(json!({"to": "13800000002", "max_answer_seconds": 600})),
        )
        .await;
        p.phone(json!({"agent": "1001", "do": "answer"})).await;
        p.advance("1m").await;
        // The whole journal, payloads and instants.
        let url = format!("{}/__ccsim/journal?after={}&limit=1000", p.base, p.after);
        let (_, page) = send_json(p.client.get(&url)).await;
        p.after = page["next_after"].as_u64().unwrap();
        let events: Vec<(Value, Value)> = page["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["scheduled_at_ms"].clone(), e["payload"].clone()))
            .collect();
        // 0002: answered after 2 s, hung up 10 s later.
        assert!(
            events
                .iter()
                .any(|(_, e)| e["event"] == "callcenter.conversation.end"),
            "{events:?}"
        );
        runs.push(events);

        let (status, answer) = p.control("reset", json!({})).await;
        assert_eq!(status, 200, "{answer}");
        let gone = p.op("GET", "agent/1001", None).await;
        assert_eq!(gone["code"], "040202", "the agent is gone: {gone}");
        let (status, clock) = send_json(p.client.get(format!("{}/__ccsim/clock", p.base))).await;
        assert_eq!(status, 200);
        assert_eq!(
            clock["now_ms"], clock["start_ms"],
            "back at the start: {clock}"
        );
        let (_, page) = send_json(p.client.get(format!("{}/__ccsim/journal", p.base))).await;
        assert_eq!(page["events"], json!([]), "an empty journal: {page}");
        let list = p.ok("GET", "conversation", None).await;
        assert!(
            list["result"].is_null() || list["result"] == json!([]),
            "no records: {list}"
        );
    }
    // The same events, under ids of their own (and the platform's delays drawn anew).
    let shape =
        |run: &[(Value, Value)]| -> Vec<String> { run.iter().map(|(_, e)| words(e)).collect() };
    assert_eq!(
        shape(&runs[0]),
        shape(&runs[1]),
        "the same steps, the same events"
    );
    let ids = |run: &[(Value, Value)]| -> Vec<Value> {
        run.iter()
            .filter_map(|(_, e)| e.get("id").cloned())
            .collect()
    };
    assert!(
        ids(&runs[0]).iter().all(|id| !ids(&runs[1]).contains(id)),
        "new conversation ids after a reset"
    );
    p.stop("the platform").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_agent_rings_a_then_the_acd_selects_b_and_begins() {
    for profile in PROFILES {
        let mut p = serve(profile).await;
        p.agent("1001", "100001").await;
        p.agent("1002", "100002").await;
        let enqueue = r#"<enqueue user_data="transfer" reserve_state="busy/after-call"><route><agent name="1002" queue_timeout="30"/></route></enqueue>"#;
        p.ok(
            "POST",
            "agent/1001/call_agent",
            Some(json!({ "enqueue": enqueue })),
        )
        .await;
        p.phone(json!({"agent": "1001", "do": "answer"})).await;
        p.advance("1s").await;
        p.phone(json!({"agent": "1002", "do": "answer"})).await;
        p.advance("30s").await;
        let events = p.events().await;
        assert_eq!(
            events,
            names(&[
                "agent.state_changed 1001 idle→fetching",
                "agent.state_changed 1001 fetching→talking",
                "agent.conversation_changed 1001 enter",
                "conversation.parts_changed",
                "queue.select call_agent 1002",
                "agent.state_changed 1002 idle→fetching",
                "agent.conversation_changed 1002 enter",
                "conversation.parts_changed",
                "agent.state_changed 1002 fetching→talking",
                "conversation.begin call_agent",
                "queue.success call_agent 1002",
            ]),
            "{profile}"
        );
        // B hangs up: A alone is released; B goes to the enqueue's reserve_state.
        p.phone(json!({"agent": "1002", "do": "hangup"})).await;
        p.advance("10s").await;
        let mut ended = p.events().await;
        ended.sort();
        let mut expected = names(&[
            "agent.conversation_changed 1001 exit",
            "agent.conversation_changed 1002 exit",
            "agent.state_changed 1001 talking→idle",
            "agent.state_changed 1002 talking→busy/after-call",
            "conversation.end",
        ]);
        if profile == "documented" {
            expected.push("conversation.parts_changed".into());
        }
        expected.sort();
        assert_eq!(ended, expected, "{profile}");
        p.stop(profile).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_enters_and_exits_and_an_outside_number_is_invited_silently() {
    for profile in PROFILES {
        let mut p = serve(profile).await;
        p.agent("1001", "100001").await;
        p.agent("1002", "100002").await;
        p.ok(
            "POST",
            "agent/1001/call_out",
            Some(json!({"to": "13800000003", "max_answer_seconds": 600})),
        )
        .await;
        p.phone(json!({"agent": "1001", "do": "answer"})).await;
        p.advance("30s").await;
        let id = p.ok("GET", "agent/1001", None).await["conversation"]
            .as_str()
            .expect("in a conversation")
            .to_owned();
        p.events().await;

        // 1002 enters (its phone rings first), then leaves again.
        p.ok(
            "POST",
            "agent/1002/enter",
            Some(json!({"conversation_id": id, "mode": 2})),
        )
        .await;
        p.phone(json!({"agent": "1002", "do": "answer"})).await;
        p.advance("5s").await;
        assert_eq!(
            p.events().await,
            names(&[
                "agent.state_changed 1002 idle→fetching",
                "agent.state_changed 1002 fetching→talking",
                "agent.conversation_changed 1002 enter",
                "conversation.parts_changed",
            ]),
            "{profile}"
        );
        let busy = p
            .op(
                "POST",
                "agent/1002/call_out",
                Some(json!({"to": "13800000003", "max_answer_seconds": 60})),
            )
            .await;
        assert_eq!(busy["code"], "040203", "on a call: {busy}");
        p.ok(
            "POST",
            "agent/1002/exit",
            Some(json!({"conversation_id": id})),
        )
        .await;
        p.advance("5s").await;
        let mut expected = names(&[
            "agent.conversation_changed 1002 exit",
            "agent.state_changed 1002 talking→idle",
        ]);
        if profile == "documented" {
            expected.insert(1, "conversation.parts_changed".into());
        }
        assert_eq!(p.events().await, expected, "{profile}");

        // An outside number joins while ringing; its answer sends nothing.
        p.ok(
            "POST",
            &format!("conversation/{id}/invite_out"),
            Some(json!({"to": "13700000003", "max_answer_seconds": 600})),
        )
        .await;
        p.advance("30s").await;
        assert_eq!(
            p.events().await,
            names(&["conversation.parts_changed"]),
            "{profile}"
        );
        let record = p.ok("GET", &format!("conversation/{id}"), None).await;
        let members = record["members"].as_array().expect("members");
        assert_eq!(
            members.len(),
            4,
            "1001, the callee, 1002 (left), the guest: {record}"
        );
        p.stop(profile).await;
    }
}
