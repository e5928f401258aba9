//! The test-control API's routes in-process: the journal's filters and pages, the bearer
//! token, bad query values answered with a JSON error naming the parameter, and waits
//! that answer on a hand-over, time out (408), end when the run has sent everything or
//! the server stops (503), and are bounded in number (429).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use bytes::Bytes;
use ccsim::api::auth::{ApiCredentials, AuthPolicy};
use ccsim::api::{ApiState, router};
use ccsim::control::{Control, ControlPlan, ControlToken, Journal, MAX_WAITERS};
use ccsim::event::{EventKind, Subject, Webhook};
use ccsim::ids::{ConversationId, QueueId};
use ccsim::time::SimTime;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::*;

const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

pub(crate) fn webhook(conversation: &str, kind: EventKind) -> Webhook {
    let id = ConversationId(Hex32::parse(conversation).unwrap());
    Webhook {
        kind,
        lane: 1,
        subject: Subject::Conversation(id),
        body: Bytes::from(format!(
            "{{\"action\":\"callcenter\",\"event\":\"{}\",\"id\":\"{conversation}\"}}",
            kind.name()
        )),
    }
}

fn queue_event(conversation: &str) -> Webhook {
    let ids = (
        QueueId(hex('9')),
        ConversationId(Hex32::parse(conversation).unwrap()),
    );
    Webhook {
        kind: EventKind::QueueSelect,
        lane: 1,
        subject: Subject::Queue(Box::new(ids)),
        body: Bytes::from_static(b"{\"event\":\"callcenter.queue.select\"}"),
    }
}

/// A journal of: begin A, begin B, queue select for A, end B, end A; the first three
/// delivered.
pub(crate) fn journal() -> Arc<Journal> {
    let journal = Arc::new(Journal::default());
    let events = [
        webhook(A, EventKind::ConversationBegin),
        webhook(B, EventKind::ConversationBegin),
        queue_event(A),
        webhook(B, EventKind::ConversationEnd),
        webhook(A, EventKind::ConversationEnd),
    ];
    for (i, w) in events.iter().enumerate() {
        journal.handed_over(i as u64 + 1, w, SimTime::from_millis(T0 + i as i64));
    }
    for seq in 1..=3 {
        journal.finished(seq, ccsim::control::journal::Outcome::Delivered);
    }
    journal
}

/// The API's state over the fixture store, serving `journal` with `token` (waits end on
/// `stop`); its clones share one control API, as the API's worker threads do.
pub(crate) fn control_state(
    journal: Arc<Journal>,
    token: Option<&str>,
    stop: &CancellationToken,
) -> ApiState {
    let plan = ControlPlan {
        token: token.map(ControlToken::new),
        manual_clock: false,
    };
    ApiState::new(fixture_store(), renderer(), None).with_control(Control::new(
        journal,
        &plan,
        stop.clone(),
    ))
}

/// The router of [`control_state`].
pub(crate) fn control_app(
    journal: Arc<Journal>,
    token: Option<&str>,
    stop: &CancellationToken,
) -> Router {
    router(control_state(journal, token, stop))
}

fn open(journal: Arc<Journal>) -> Router {
    control_app(journal, None, &CancellationToken::new())
}

fn seqs(answer: &Value) -> Vec<u64> {
    answer["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn the_journal_lists_every_event_with_its_subject_outcome_and_payload() {
    let answer = get(open(journal()), "/__ccsim/journal").await;
    assert_eq!(answer.status, StatusCode::OK);
    let json = answer.json();
    assert_eq!(seqs(&json), [1, 2, 3, 4, 5]);
    let first = &json["events"][0];
    assert_eq!(first["event"], "callcenter.conversation.begin");
    assert_eq!(first["conversation_id"], A);
    assert_eq!(first["webhook_id"], format!("msg_{A}_1"));
    assert_eq!(first["scheduled_at_ms"], T0);
    assert_eq!(first["outcome"], "delivered");
    assert_eq!(first["payload"]["id"], A, "the body, as JSON");
    let select = &json["events"][2];
    assert_eq!(select["queue_id"], "9".repeat(32));
    assert_eq!(select["conversation_id"], A);
    assert_eq!(json["events"][4]["outcome"], Value::Null, "not known yet");
    assert_eq!(json["next_after"], 5);
    assert_eq!(
        (json["more"].clone(), json["finished"].clone()),
        (false.into(), false.into())
    );
    assert_eq!(
        (json["dropped"].clone(), json["missed"].clone()),
        (0.into(), 0.into())
    );
}

#[tokio::test]
async fn a_legacy_charset_body_is_shown_as_its_receiver_reads_it() {
    let j = Arc::new(Journal::default());
    let mut w = webhook(A, EventKind::ConversationBegin);
    // `--legacy-charset`: ISO-8859-1, é as one byte.
    w.body = Bytes::from(&b"{\"user_data\":\"caf\xe9\"}"[..]);
    j.handed_over(1, &w, SimTime::from_millis(T0));
    let json = get(open(j), "/__ccsim/journal").await.json();
    assert_eq!(json["events"][0]["payload"]["user_data"], "café");
}

#[tokio::test]
async fn the_journal_filters_by_conversation_and_event_name() {
    let j = journal();
    let of_a = get(
        open(j.clone()),
        &format!("/__ccsim/journal?conversation={A}"),
    )
    .await;
    assert_eq!(
        seqs(&of_a.json()),
        [1, 3, 5],
        "A's events, its queue task's too"
    );
    let ends = get(
        open(j.clone()),
        "/__ccsim/journal?event=callcenter.conversation.end",
    )
    .await;
    assert_eq!(seqs(&ends.json()), [4, 5]);
    let both = get(
        open(j.clone()),
        &format!(
            "/__ccsim/journal?conversation={}&event=callcenter.conversation.begin,callcenter.queue.select",
            A.to_uppercase()
        ),
    )
    .await;
    assert_eq!(seqs(&both.json()), [1, 3]);
    let agent = get(open(j), "/__ccsim/journal?agent=1001").await;
    assert_eq!(
        seqs(&agent.json()),
        Vec::<u64>::new(),
        "no agent events here"
    );
    assert_eq!(agent.json()["next_after"], 5);
}

#[tokio::test]
async fn the_journal_pages_by_after_and_limit() {
    let j = journal();
    let mut after = 0;
    let mut pages = Vec::new();
    loop {
        let page = get(
            open(j.clone()),
            &format!("/__ccsim/journal?after={after}&limit=2"),
        )
        .await
        .json();
        pages.push(seqs(&page));
        after = page["next_after"].as_u64().unwrap();
        if page["more"] == false {
            break;
        }
    }
    assert_eq!(pages, [vec![1, 2], vec![3, 4], vec![5]]);
    assert_eq!(after, 5);
}

#[tokio::test]
async fn a_token_is_required_when_given_and_compared_whole() {
    let stop = CancellationToken::new();
    let app = || control_app(journal(), Some("s3cret"), &stop);
    let with = |value: &str| {
        Request::get("/__ccsim/journal")
            .header("authorization", value)
            .body(Body::empty())
            .unwrap()
    };
    let none = get(app(), "/__ccsim/journal").await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert!(none.json()["error"].as_str().unwrap().contains("Bearer"));
    assert_eq!(
        none.headers["www-authenticate"],
        "Bearer realm=\"ccsim control\""
    );
    for wrong in [
        "Bearer s3cre",
        "Bearer s3cret2",
        "Basic s3cret",
        "s3cret",
        "Bearer ",
    ] {
        let answer = send(app(), with(wrong)).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{wrong}");
    }
    for right in ["Bearer s3cret", "bearer s3cret"] {
        let answer = send(app(), with(right)).await;
        assert_eq!(answer.status, StatusCode::OK, "{right}");
    }
    let wait = get(app(), "/__ccsim/wait?timeout=0s").await;
    assert_eq!(wait.status, StatusCode::UNAUTHORIZED, "the wait too");
    // The platform's own endpoints do not take the control token.
    let record = get(app(), &record_uri(QUEUE_ID)).await;
    assert_eq!(record.json()["code"], "000000");
}

#[tokio::test]
async fn bad_query_values_are_answered_with_json_naming_the_parameter() {
    for (uri, parameter) in [
        ("/__ccsim/journal?limit=0", "limit"),
        ("/__ccsim/journal?limit=1001", "limit"),
        ("/__ccsim/journal?limit=-5", "limit"),
        ("/__ccsim/journal?after=x", "after"),
        ("/__ccsim/journal?after=18446744073709551616", "after"),
        (
            "/__ccsim/journal?event=callcenter.conversation.start",
            "event",
        ),
        ("/__ccsim/journal?conversation=123", "conversation"),
        ("/__ccsim/journal?agent=", "agent"),
        ("/__ccsim/journal?conversation_id=abc", "conversation_id"),
        ("/__ccsim/journal?timeout=5s", "timeout"),
        ("/__ccsim/journal?limit=1&limit=2", "limit"),
        ("/__ccsim/wait?timeout=61s", "timeout"),
        ("/__ccsim/wait?timeout=%FF", "timeout"),
        ("/__ccsim/wait?timeout=1e3", "timeout"),
        ("/__ccsim/wait?limit=1", "limit"),
    ] {
        let answer = get(open(journal()), uri).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{uri}: {}",
            answer.text()
        );
        let json = answer.json();
        assert_eq!(json["parameter"], parameter, "{uri}: {json}");
        assert!(
            json["error"].as_str().unwrap().contains(parameter),
            "{uri}: {json}"
        );
    }
}

#[tokio::test]
async fn a_wait_answers_at_once_with_a_match_already_sent() {
    let answer = get(
        open(journal()),
        &format!("/__ccsim/wait?conversation={B}&event=callcenter.conversation.end&timeout=60s"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    let json = answer.json();
    assert_eq!(json["timed_out"], false);
    assert_eq!(json["event"]["seq"], 4);
    assert_eq!(json["event"]["conversation_id"], B);
}

#[tokio::test]
async fn a_wait_answers_when_a_matching_event_is_handed_over() {
    let j = journal();
    let waiting = tokio::spawn(get(
        open(j.clone()),
        "/__ccsim/wait?after=5&event=callcenter.conversation.begin&timeout=60s",
    ));
    tokio::time::sleep(Duration::from_millis(20)).await;
    let c = "cccccccccccccccccccccccccccccccc";
    j.handed_over(
        6,
        &webhook(c, EventKind::ConversationEnd),
        SimTime::from_millis(T0),
    );
    j.handed_over(
        7,
        &webhook(c, EventKind::ConversationBegin),
        SimTime::from_millis(T0),
    );
    let answer = tokio::time::timeout(Duration::from_secs(60), waiting)
        .await
        .expect("the wait ended")
        .unwrap();
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json()["event"]["seq"], 7);
    assert_eq!(answer.json()["event"]["conversation_id"], c);
}

#[tokio::test]
async fn a_wait_times_out_with_408_or_ends_when_nothing_more_will_come() {
    let j = journal();
    let answer = get(open(j.clone()), "/__ccsim/wait?after=5&timeout=20ms").await;
    assert_eq!(answer.status, StatusCode::REQUEST_TIMEOUT);
    assert_eq!(answer.json(), serde_json::json!({"timed_out": true}));
    let waiting = tokio::spawn(get(open(j.clone()), "/__ccsim/wait?after=5&timeout=60s"));
    tokio::time::sleep(Duration::from_millis(20)).await;
    j.finish();
    let answer = tokio::time::timeout(Duration::from_secs(60), waiting)
        .await
        .expect("the wait ended")
        .unwrap();
    assert_eq!(answer.status, StatusCode::REQUEST_TIMEOUT);
    assert_eq!(
        answer.json(),
        serde_json::json!({"timed_out": true, "finished": true})
    );
    let page = get(open(j), "/__ccsim/journal").await.json();
    assert_eq!(page["finished"], true);
}

#[tokio::test]
async fn waits_are_bounded_and_all_end_when_the_server_stops() {
    let stop = CancellationToken::new();
    let state = control_state(journal(), None, &stop);
    // One more than the bound: each holds its place until the stop, so exactly one is
    // refused, whichever comes last.
    let waits: Vec<_> = (0..=MAX_WAITERS)
        .map(|_| {
            tokio::spawn(get(
                router(state.clone()),
                "/__ccsim/wait?after=5&timeout=60s",
            ))
        })
        .collect();
    for _ in 0..6000 {
        if waits.iter().any(|w| w.is_finished()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.cancel();
    let mut statuses = std::collections::BTreeMap::new();
    for wait in waits {
        let answer = tokio::time::timeout(Duration::from_secs(60), wait)
            .await
            .expect("the wait ended")
            .unwrap();
        let error = answer.json()["error"].as_str().unwrap().to_owned();
        match answer.status {
            StatusCode::TOO_MANY_REQUESTS => assert!(error.contains("waits"), "{error}"),
            StatusCode::SERVICE_UNAVAILABLE => assert_eq!(error, "ccsim is stopping"),
            other => panic!("{other}: {error}"),
        }
        *statuses.entry(answer.status.as_u16()).or_insert(0) += 1;
    }
    assert_eq!(
        statuses,
        [(429, 1), (503, MAX_WAITERS)].into_iter().collect()
    );
}

#[tokio::test]
async fn without_control_the_paths_are_not_served() {
    let answer = get(app(fixture_store(), None), "/__ccsim/journal").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_platforms_signature_does_not_guard_the_control_api() {
    let auth = AuthPolicy::new(
        ApiCredentials::new("app", "cert", "secret"),
        Duration::from_secs(300),
    );
    let state = ApiState::new(fixture_store(), renderer(), Some(auth)).with_control(Control::new(
        journal(),
        &ControlPlan::default(),
        CancellationToken::new(),
    ));
    let answer = get(router(state.clone()), "/__ccsim/journal").await;
    assert_eq!(answer.status, StatusCode::OK);
    let record = get(router(state), &record_uri(QUEUE_ID)).await;
    assert_eq!(
        record.status,
        StatusCode::UNAUTHORIZED,
        "the platform's paths still are"
    );
}
