//! The point of the fake API, end to end: the real `run_plan` at `--speed max` delivers to
//! a test receiver that, inside its handler and before answering, reads the record from
//! the fake API and checks it agrees with the event it is handling.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use ccsim::Exit;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// What the receiver found.
#[derive(Default)]
struct Findings {
    /// Checks made per event name.
    checks: BTreeMap<String, u64>,
    /// Inconsistencies, described.
    problems: Vec<String>,
    /// Conversation types seen in `begin` events.
    types: BTreeSet<String>,
    /// `parts_changed` events received per conversation so far.
    parts: HashMap<String, usize>,
    /// The members each conversation's record listed when last read.
    members: HashMap<String, Value>,
}

#[derive(Clone)]
struct Checker {
    client: reqwest::Client,
    api: String,
    findings: Arc<Mutex<Findings>>,
}

fn findings(checker: &Checker) -> std::sync::MutexGuard<'_, Findings> {
    checker.findings.lock().expect("findings lock")
}

/// The webhook handler: reads the record synchronously, then answers 200.
async fn hook(State(checker): State<Checker>, body: Bytes) -> &'static str {
    let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let name = event["event"].as_str().unwrap_or_default().to_owned();
    let id = event["id"].as_str().unwrap_or_default().to_owned();
    let (parts_so_far, previous) = {
        let mut f = findings(&checker);
        let previous = f.members.get(&id).cloned().unwrap_or(json!([]));
        if name.ends_with(".begin") {
            f.types
                .insert(event["type"].as_str().unwrap_or_default().into());
        }
        let parts = f.parts.entry(id.clone()).or_default();
        if name.ends_with(".parts_changed") {
            *parts += 1;
        }
        (*parts, previous)
    };
    let url = format!(
        "{}/v1/account/test/callcenter/conversation/{id}",
        checker.api
    );
    let answer = match checker.client.get(&url).send().await {
        Ok(response) => {
            let bytes = response.bytes().await.unwrap_or_default();
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        }
        Err(e) => json!({"transport error": e.to_string()}),
    };
    let mut problems = check(&event, &answer, parts_so_far);
    let members = &answer["data"]["members"];
    problems.extend(history(&id, &previous, members));
    let mut f = findings(&checker);
    *f.checks.entry(name).or_default() += 1;
    f.problems.extend(problems);
    f.members.insert(id, members.clone());
    "success"
}

/// Inconsistencies between `event` and the record `answer` read while handling it;
/// `parts_so_far` counts this conversation's `parts_changed` events including this one.
fn check(event: &Value, answer: &Value, parts_so_far: usize) -> Vec<String> {
    let name = event["event"].as_str().unwrap_or_default();
    let id = event["id"].as_str().unwrap_or_default();
    let mut problems = Vec::new();
    let mut expect = |ok: bool, what: &str| {
        if !ok {
            problems.push(format!("{name} {id}: {what}; record {answer}"));
        }
    };
    let data = &answer["data"];
    expect(
        answer["code"] == "000000" && data.is_object(),
        "record exists",
    );
    expect(data["id"] == event["id"], "same id");
    let empty = Vec::new();
    let members = data["members"].as_array().unwrap_or(&empty);
    let call_ids: Vec<&Value> = members.iter().map(|m| &m["call_id"]).collect();
    let ended = members.iter().filter(|m| !m["end_time"].is_null()).count();
    for m in members {
        let ordered = m["end_time"].is_null() || m["end_time"].as_str() >= m["begin_time"].as_str();
        expect(ordered, "a member's end_time is not before its begin_time");
    }
    let field = |key: &str| event.get(key).cloned().unwrap_or(Value::Null);
    match name {
        "callcenter.conversation.begin" => {
            expect(!data["begin_time"].is_null(), "begin_time set once begun");
            for key in ["type", "queue_id", "agent_call_id"] {
                expect(data[key] == field(key), &format!("same {key} as begin"));
            }
            if let Some(agent_call) = event.get("agent_call_id") {
                expect(
                    call_ids.contains(&agent_call),
                    "begin.agent_call_id is a member's call",
                );
            }
        }
        "callcenter.conversation.parts_changed" => {
            // Every join adds a member and every leave sets one's end_time, each announced
            // by one parts_changed: the record shows at least as many changes.
            expect(
                members.len() + ended >= parts_so_far,
                &format!(
                    "{} joins + {ended} leaves cover {parts_so_far} parts_changed",
                    members.len()
                ),
            );
        }
        "callcenter.conversation.end" => {
            for key in ["end_time", "end_reason", "begin_time"] {
                expect(data[key] == field(key), &format!("same {key} as end"));
            }
            expect(ended == members.len(), "every member has left at end");
        }
        other => expect(false, &format!("unexpected event {other:?}")),
    }
    problems
}

/// Inconsistencies between two successive reads of one conversation's members: members
/// are listed in join order and never go away, and a member's times never change once
/// set, so the earlier list must be a prefix of the later one, up to end times being set.
fn history(id: &str, previous: &Value, current: &Value) -> Vec<String> {
    let empty = Vec::new();
    let before = previous.as_array().unwrap_or(&empty);
    let after = current.as_array().unwrap_or(&empty);
    let mut problems = Vec::new();
    if after.len() < before.len() {
        problems.push(format!(
            "{id}: members went away: {previous} then {current}"
        ));
    }
    for (old, new) in before.iter().zip(after) {
        let same = old["call_id"] == new["call_id"]
            && old["begin_time"] == new["begin_time"]
            && (old["end_time"].is_null() || old["end_time"] == new["end_time"]);
        if !same {
            problems.push(format!("{id}: member {old} became {new}"));
        }
    }
    problems
}

#[tokio::test]
async fn records_read_while_handling_each_event_agree_with_it_at_max_speed() {
    let (api, api_base) = super::api_listener();
    let checker = Checker {
        client: reqwest::Client::new(),
        api: api_base.clone(),
        findings: Arc::default(),
    };
    let app = axum::Router::new()
        .route("/hook", post(hook))
        .with_state(checker.clone());
    let receiver = super::TestReceiver::start(app).await;
    let target = format!("{}/hook", receiver.base);
    let mut plan = super::plan_of(&[
        "--speed",
        "max",
        "--seed",
        "42",
        "--duration",
        "40m",
        "--agents",
        "6",
        "--target",
        &target,
        "--quiet",
    ]);
    plan.api = plan.api.with_listener(api);
    let (report, exit) = ccsim::run_plan(plan, CancellationToken::new())
        .await
        .expect("the run completes");
    receiver.stop().await;

    assert_eq!(exit, Exit::Ok);
    assert_eq!(
        report.api.map(|addr| format!("http://{addr}")),
        Some(api_base)
    );
    assert_eq!(report.events.delivered, report.events.emitted);
    let f = findings(&checker);
    assert_eq!(f.problems, Vec::<String>::new(), "inconsistent records");
    for kind in ["begin", "parts_changed", "end"] {
        let n = f
            .checks
            .get(&format!("callcenter.conversation.{kind}"))
            .copied()
            .unwrap_or(0);
        assert!(n > 0, "no {kind} checked: {:?}", f.checks);
    }
    let checked: u64 = f.checks.values().sum();
    assert_eq!(checked, report.events.emitted, "every event was checked");
    assert_eq!(
        f.types.iter().map(String::as_str).collect::<Vec<_>>(),
        ["call_agent", "call_out", "queue"]
    );
}

#[test]
fn the_consistency_check_catches_a_stale_record() {
    let end = json!({
        "event": "callcenter.conversation.end", "id": "a", "begin_time": 1, "end_time": 9,
        "end_reason": "agent_hangup"
    });
    let live = json!({"code": "000000", "data": {
        "id": "a", "begin_time": 1, "end_time": null, "end_reason": null,
        "members": [{"call_id": "c", "begin_time": "2026-01-01 00:00:00", "end_time": null}]
    }});
    assert_eq!(
        check(&end, &live, 0).len(),
        3,
        "end_time, end_reason, open member"
    );

    let parts = json!({"event": "callcenter.conversation.parts_changed", "id": "a"});
    assert_eq!(
        check(&parts, &live, 2).len(),
        1,
        "one member cannot cover two joins"
    );
    assert!(check(&parts, &live, 1).is_empty());

    let begin = json!({
        "event": "callcenter.conversation.begin", "id": "a", "type": "call_out",
        "agent_call_id": "x"
    });
    assert!(
        !check(&begin, &live, 0).is_empty(),
        "agent_call_id x is no member"
    );
    let missing = json!({"code": "040501", "msg": "交谈不存在", "data": null});
    assert!(!check(&parts, &missing, 1).is_empty());
}

#[test]
fn the_history_check_catches_members_that_change_or_vanish() {
    let a = json!({"call_id": "a", "begin_time": "t1", "end_time": null});
    let a_left = json!({"call_id": "a", "begin_time": "t1", "end_time": "t2"});
    let a_left_later = json!({"call_id": "a", "begin_time": "t1", "end_time": "t3"});
    let b = json!({"call_id": "b", "begin_time": "t1", "end_time": null});
    assert!(history("x", &json!([a]), &json!([a_left, b])).is_empty());
    assert_eq!(
        history("x", &json!([a, b]), &json!([a])).len(),
        1,
        "b vanished"
    );
    assert_eq!(
        history("x", &json!([a]), &json!([b])).len(),
        1,
        "a replaced"
    );
    assert_eq!(
        history("x", &json!([a_left]), &json!([a_left_later])).len(),
        1
    );
}

#[tokio::test]
async fn the_built_in_receiver_reads_every_record_from_an_api_that_requires_auth() {
    let (api, _) = super::api_listener();
    let mut plan = super::plan_of(&[
        "--speed",
        "max",
        "--seed",
        "3",
        "--api-auth",
        "--api-secret",
        "e2e-secret",
        "--quiet",
    ]);
    plan.api = plan.api.with_listener(api);
    let (report, exit) = ccsim::run_plan(plan, CancellationToken::new())
        .await
        .expect("the run completes");
    let contract = report.contract.expect("the built-in receiver checked");
    // A lookup that fails (unsigned, or signed wrongly) would be a violation.
    assert_eq!(
        (exit, contract.violations, contract.events),
        (Exit::Ok, 0, report.events.emitted),
        "{:?}",
        contract.examples
    );
}
