//! The record API never runs ahead of the events, checked exactly: the real `run_plan` at
//! `--speed max` delivers to a receiver that, inside its handler, reads the record of the
//! event's conversation; afterwards every read is compared with the states the
//! conversation really went through (the same plan's happenings, replayed into a store and
//! rendered by the same renderer), and with the list endpoint, which lists a conversation
//! once its `begin` shows. A change is visible once its event and every earlier event of
//! its conversation have been handed over; a change no event announces may show once the
//! events around it went out.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use ccsim::api::render::Renderer;
use ccsim::api::store::{RecordStore, Retention};
use ccsim::conversation::Happening;
use ccsim::event::EventBuilder;
use ccsim::plan::RunPlan;
use ccsim::sim::engine::Engine;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// One read made while handling an event.
#[derive(Debug)]
struct Read {
    seq: u64,
    conversation: String,
    /// Events of the conversation received so far, this one included.
    received: BTreeSet<u64>,
    /// The record's `data`.
    record: Value,
    /// Whether the list endpoint listed the conversation, read just after the record.
    listed: bool,
}

#[derive(Clone)]
struct Reader {
    client: reqwest::Client,
    api: String,
    /// Fail the first attempt of every event whose seq is a multiple of this (0: never).
    fail_every: u64,
    received: Arc<Mutex<HashMap<String, BTreeSet<u64>>>>,
    attempts: Arc<Mutex<HashMap<u64, u32>>>,
    reads: Arc<Mutex<Vec<Read>>>,
}

async fn hook(State(reader): State<Reader>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let conversation = event["id"].as_str().unwrap_or_default().to_owned();
    let seq: u64 = headers
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|id| id.rsplit('_').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let received = {
        let mut all = reader.received.lock().expect("lock");
        let set = all.entry(conversation.clone()).or_default();
        set.insert(seq);
        set.clone()
    };
    let url = format!(
        "{}/v1/account/test/callcenter/conversation/{conversation}",
        reader.api
    );
    let record = match reader.client.get(&url).send().await {
        Ok(response) => {
            let bytes = response.bytes().await.unwrap_or_default();
            let answer: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            answer["data"].clone()
        }
        Err(e) => Value::String(format!("transport error: {e}")),
    };
    let list = format!(
        "{}/v1/account/test/callcenter/conversation?size=1000",
        reader.api
    );
    let listed = match reader.client.get(&list).send().await {
        Ok(response) => {
            let page: Value = serde_json::from_slice(&response.bytes().await.unwrap_or_default())
                .unwrap_or_default();
            page["data"]["result"]
                .as_array()
                .is_some_and(|items| items.iter().any(|c| c["id"] == conversation.as_str()))
        }
        Err(_) => false,
    };
    reader.reads.lock().expect("lock").push(Read {
        seq,
        conversation,
        received,
        record,
        listed,
    });
    let attempt = {
        let mut attempts = reader.attempts.lock().expect("lock");
        let n = attempts.entry(seq).or_default();
        *n += 1;
        *n
    };
    if reader.fail_every > 0 && seq.is_multiple_of(reader.fail_every) && attempt == 1 {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}

/// One conversation's history: its happenings in order, each with the seq of the event
/// announcing it (`None`: no event does), and the rendered record after each.
#[derive(Default)]
struct History {
    seqs: Vec<Option<u64>>,
    states: Vec<Value>,
}

/// Replays the plan's happenings (the same seed gives the same ones) into histories, and
/// maps each event's seq to its conversation.
fn histories(plan: &RunPlan) -> (HashMap<String, History>, HashMap<u64, String>) {
    let mut engine = Engine::new(plan.sim.clone());
    let builder = EventBuilder::new(plan.profile.clone());
    let renderer = Renderer {
        profile: plan.profile.clone(),
        zone: plan.api.zone,
    };
    let store = RecordStore::new(Retention {
        max_records: usize::MAX,
        max_age: None,
    });
    let mut histories: HashMap<String, History> = HashMap::new();
    let mut conversation_of = HashMap::new();
    let mut seq = 0;
    let mut webhooks = Vec::new();
    while let Some(h) = engine.next_happening() {
        let h: Happening = h;
        let id = h.conv.id.to_string();
        webhooks.clear();
        builder.build_conversation(&h, &mut webhooks);
        assert!(webhooks.len() <= 1, "one event at most per happening");
        let announced = (!webhooks.is_empty()).then(|| {
            seq += 1;
            seq
        });
        if let Some(seq) = announced {
            conversation_of.insert(seq, id.clone());
        }
        store.apply(&h);
        let record = store.get(&h.conv.id).expect("a record once created");
        let mut rendered = Vec::new();
        renderer.write_conversation(&record, &mut rendered);
        let history = histories.entry(id).or_default();
        history.seqs.push(announced);
        history
            .states
            .push(serde_json::from_slice(&rendered).expect("rendered JSON"));
    }
    (histories, conversation_of)
}

/// Which states a read may show: from everything up to the last received event whose
/// earlier events were all received, to the longest prefix whose events were all
/// received, or (`ordering none`: other events may be in flight) any later state.
fn allowed(history: &History, received: &BTreeSet<u64>, in_flight_allowed: bool) -> (usize, usize) {
    let mut upper = 0;
    let mut lower = 0;
    for (i, seq) in history.seqs.iter().enumerate() {
        match seq {
            Some(s) if received.contains(s) => {
                upper = i + 1;
                lower = i + 1;
            }
            Some(_) => break,
            None => upper = i + 1,
        }
    }
    if in_flight_allowed {
        upper = history.states.len();
    }
    (lower, upper)
}

/// Runs the default scenario with `flags` against the reading receiver and checks every
/// read. Returns how many reads were checked.
async fn check_reads(flags: &[&str], fail_every: u64, ordering_none: bool) -> usize {
    check_reads_at("max", "30m", flags, fail_every, ordering_none).await
}

/// [`check_reads`] at `speed`, for `duration` of simulated arrivals.
async fn check_reads_at(
    speed: &str,
    duration: &str,
    flags: &[&str],
    fail_every: u64,
    ordering_none: bool,
) -> usize {
    let (api, api_base) = super::api_listener();
    let reader = Reader {
        client: reqwest::Client::new(),
        api: api_base,
        fail_every,
        received: Arc::default(),
        attempts: Arc::default(),
        reads: Arc::default(),
    };
    let app = axum::Router::new()
        .route("/hook", post(hook))
        .with_state(reader.clone());
    let receiver = super::TestReceiver::start(app).await;
    let target = format!("{}/hook", receiver.base);
    let mut args = vec![
        "--speed",
        speed,
        "--seed",
        "11",
        "--duration",
        duration,
        "--target",
        &target,
        "--secret",
        SECRET,
        "--quiet",
    ];
    args.extend_from_slice(flags);
    let mut plan = super::plan_of(&args);
    let (histories, conversation_of) = histories(&plan);
    plan.api = plan.api.with_listener(api);
    let (report, _) = ccsim::run_plan(plan, CancellationToken::new())
        .await
        .expect("the run completes");
    receiver.stop().await;
    assert_eq!(report.events.failed, 0, "every event delivered in the end");

    let reads = std::mem::take(&mut *reader.reads.lock().expect("lock"));
    // The reads cover every type's happy path and conversations that never began.
    let mut begun_types = BTreeSet::new();
    let mut never_begun = 0;
    for read in &reads {
        let last = histories[&read.conversation]
            .states
            .last()
            .expect("a state");
        if last["begin_time"].is_null() {
            never_begun += 1;
        } else {
            begun_types.insert(last["type"].as_str().unwrap_or_default().to_owned());
        }
    }
    assert_eq!(
        begun_types.into_iter().collect::<Vec<_>>(),
        ["call_agent", "call_out", "queue"],
        "reads of begun conversations of each type"
    );
    assert!(never_begun > 0, "reads of conversations that never began");
    let mut problems = Vec::new();
    for read in &reads {
        let Some(conversation) = conversation_of.get(&read.seq) else {
            problems.push(format!("seq {} is no event of the plan", read.seq));
            continue;
        };
        assert_eq!(
            conversation, &read.conversation,
            "seq {} names its conversation",
            read.seq
        );
        let history = &histories[conversation];
        let (lower, upper) = allowed(history, &read.received, ordering_none);
        // The list shows a conversation exactly when its record shows its `begin` (read a
        // moment later; with --ordering none a later event may land in between).
        let begun = !read.record["begin_time"].is_null();
        if read.listed != begun && !(ordering_none && read.listed) {
            problems.push(format!(
                "event seq {} of {conversation}: listed {} but the record has {}",
                read.seq,
                read.listed,
                if begun {
                    "a begin_time"
                } else {
                    "no begin_time"
                }
            ));
        }
        // States are 1-based here: state n is the record after n happenings.
        let shown = (lower.max(1)..=upper).find(|&n| history.states[n - 1] == read.record);
        if shown.is_none() {
            let expected: Vec<&Value> = (lower.max(1)..=upper)
                .map(|n| &history.states[n - 1])
                .collect();
            problems.push(format!(
                "event seq {} of {conversation} (received {:?}): the record showed {} but may only show one of the states {lower}..={upper}: {expected:?}",
                read.seq, read.received, read.record
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {} reads disagree with the events sent; first ones:\n{}",
        problems.len(),
        reads.len(),
        problems[..problems.len().min(3)].join("\n")
    );
    assert!(reads.len() > 50, "only {} reads", reads.len());
    reads.len()
}

#[tokio::test]
async fn a_record_read_on_an_event_shows_exactly_what_the_events_so_far_announced() {
    check_reads(&[], 0, false).await;
}

#[tokio::test]
async fn with_one_send_at_a_time_records_still_never_run_ahead() {
    check_reads(&["--concurrency", "1", "--max-backlog", "1"], 0, false).await;
}

#[tokio::test]
async fn an_event_being_retried_holds_back_its_change() {
    check_reads(&[], 3, false).await;
}

#[tokio::test]
async fn held_back_and_reordered_events_hold_back_their_changes() {
    check_reads(&["--jitter", "0..20ms", "--reorder-rate", "0.3"], 0, false).await;
}

#[tokio::test]
async fn with_ordering_none_a_record_never_shows_less_than_was_announced() {
    check_reads(&["--ordering", "none"], 4, true).await;
}

#[tokio::test]
async fn following_a_clock_records_show_changes_no_later_than_their_events() {
    check_reads_at("6000", "30m", &[], 0, false).await;
}
