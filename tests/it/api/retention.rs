//! Bounded memory: a long simulation applied to a store with a small retention keeps the
//! store within the limit plus the conversations still live, and forgotten ids answer like
//! unknown ones.

use std::collections::HashSet;
use std::sync::Arc;

use ccsim::api::store::{RecordStore, Retention};
use ccsim::conversation::HappeningKind;
use ccsim::scenario::default_plan;
use ccsim::sim::agents::AgentPool;
use ccsim::sim::engine::Engine;
use ccsim::time::SimTime;
use ccsim::units::Span;
use serde_json::json;

use super::*;

#[tokio::test]
async fn a_long_run_keeps_the_store_within_its_retention() {
    const RETAIN: usize = 50;
    let mut plan =
        default_plan(11, SimTime::from_millis(T0)).expect("the embedded default is valid");
    plan.workload.duration = Span::from_millis(6 * 3600 * 1000);
    plan.agents = AgentPool::default_names(8);
    let mut engine = Engine::new(plan);
    let store = RecordStore::new(Retention {
        max_records: RETAIN,
        ..Retention::default()
    });
    let mut live = HashSet::new();
    let mut first_ended = None;
    let (mut created, mut most_held) = (0usize, 0usize);
    while let Some(h) = engine.next_happening() {
        store.apply(&h);
        match &h.kind {
            HappeningKind::Created => {
                created += 1;
                live.insert(h.conv.id);
            }
            HappeningKind::Released { .. } => {
                live.remove(&h.conv.id);
                first_ended.get_or_insert(h.conv.id);
            }
            _ => {}
        }
        // Live records are never evicted, so only they may push the store past the limit.
        assert!(
            store.len() <= RETAIN + live.len(),
            "{} records held with {} live",
            store.len(),
            live.len()
        );
        most_held = most_held.max(store.len());
    }
    assert!(
        created > 10 * RETAIN,
        "the run is long: {created} conversations"
    );
    assert!(store.len() <= RETAIN, "{} held at the end", store.len());
    let listed = store.page(0, usize::MAX);
    assert_eq!(
        listed.total,
        listed.records.len(),
        "the list holds only kept records"
    );
    assert!(listed.total <= store.len());
    assert_eq!(store.evicted() as usize, created - store.len());
    assert!(most_held >= RETAIN, "the limit was reached ({most_held})");

    // The oldest ended conversation was forgotten: it answers like an unknown id.
    let forgotten = first_ended.expect("some conversation ended");
    assert!(store.get(&forgotten).is_none());
    let answer = get(app(store, None), &record_uri(forgotten.as_str())).await;
    assert_eq!(
        answer.json(),
        json!({"code": "040501", "msg": "交谈不存在", "data": null})
    );
}

/// What the retention receiver saw.
#[derive(Default)]
struct Seen {
    ends: u64,
    /// Conversations whose `begin` was received and `end` not yet.
    live: std::collections::HashSet<String>,
    /// The most conversations listed beyond the live ones.
    most_listed_beyond_live: u64,
}

#[derive(Clone)]
struct Watcher {
    client: reqwest::Client,
    list: String,
    seen: Arc<std::sync::Mutex<Seen>>,
}

/// Tracks the live conversations and, on every `end`, reads how many the API lists.
async fn watch(
    axum::extract::State(watcher): axum::extract::State<Watcher>,
    body: axum::body::Bytes,
) -> &'static str {
    let event: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let id = event["id"].as_str().unwrap_or_default().to_owned();
    match event["event"].as_str() {
        Some("callcenter.conversation.begin") => {
            watcher.seen.lock().expect("seen lock").live.insert(id);
            return "success";
        }
        Some("callcenter.conversation.end") => {
            watcher.seen.lock().expect("seen lock").live.remove(&id);
        }
        _ => return "success",
    }
    let listed = match watcher.client.get(&watcher.list).send().await {
        Ok(response) => {
            serde_json::from_slice::<serde_json::Value>(&response.bytes().await.unwrap_or_default())
                .ok()
                .and_then(|page| page["data"]["totalCount"].as_u64())
                .unwrap_or(u64::MAX)
        }
        Err(_) => u64::MAX,
    };
    let mut seen = watcher.seen.lock().expect("seen lock");
    seen.ends += 1;
    let beyond = listed.saturating_sub(seen.live.len() as u64);
    seen.most_listed_beyond_live = seen.most_listed_beyond_live.max(beyond);
    "success"
}

#[tokio::test]
async fn a_long_max_speed_run_with_a_small_retention_keeps_the_api_bounded() {
    const RETAIN: u64 = 20;
    const AGENTS: u64 = 6;
    const CONCURRENCY: u64 = 64;
    let (api, api_base) = super::api_listener();
    let watcher = Watcher {
        client: reqwest::Client::new(),
        list: format!("{api_base}/v1/account/x/callcenter/conversation?size=1"),
        seen: Arc::default(),
    };
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(watch))
        .with_state(watcher.clone());
    let receiver = super::TestReceiver::start(app).await;
    let target = format!("{}/hook", receiver.base);
    let (retain, agents) = (RETAIN.to_string(), AGENTS.to_string());
    let concurrency = CONCURRENCY.to_string();
    let mut plan = super::plan_of(&[
        "--speed",
        "max",
        "--seed",
        "5",
        "--duration",
        "3h",
        "--agents",
        &agents,
        "--retain-conversations",
        &retain,
        "--concurrency",
        &concurrency,
        "--target",
        &target,
        "-q",
    ]);
    plan.api = plan.api.with_listener(api);
    let (report, _) = ccsim::run_plan(plan, tokio_util::sync::CancellationToken::new())
        .await
        .expect("the run completes");
    receiver.stop().await;

    let seen = watcher.seen.lock().expect("seen lock");
    assert!(
        seen.ends > 5 * RETAIN,
        "a long run: {} conversations ended",
        seen.ends
    );
    assert_eq!(seen.ends, report.conversations.ended);
    // Live conversations are never evicted; beyond them the API keeps at most RETAIN
    // records, give or take the begins handed over but not yet received (at most one
    // per concurrent send).
    assert!(
        seen.most_listed_beyond_live <= RETAIN + CONCURRENCY,
        "the API listed {} conversations beyond the live ones",
        seen.most_listed_beyond_live
    );
}
