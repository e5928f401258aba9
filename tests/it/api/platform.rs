//! The record API of the `platform` profile over real HTTP: records as the platform's code
//! writes them, an unknown id's `000000` with `data: null`, the list a main account never
//! sees, and signatures that expire after 50 minutes and never in the future; beside the
//! documented profile's answers to the same requests.

use std::time::Duration;

use ccsim::api::auth::{ApiCredentials, AuthPolicy, DEFAULT_ZONE, sign_request};
use ccsim::api::render::Renderer;
use ccsim::api::store::RecordStore;
use ccsim::api::{ApiState, server};
use ccsim::conversation::{ConvInfo, ConvType, HappeningKind};
use ccsim::event::profile::Profile;
use ccsim::ids::{CallId, ConversationId, QueueId, RecordFileId};
use ccsim::time::SimTime;
use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::{T0, agent, at, customer, hex};

const SUB: &str = "8a2d9fed5a117dbb015a1201db300004";
const BEGUN: &str = "44444444444444444444444444444444";
const EMPTY: &str = "55555555555555555555555555555555";

fn conv(id: char, subaccount: Option<&str>) -> std::sync::Arc<ConvInfo> {
    std::sync::Arc::new(ConvInfo {
        key: 1,
        id: ConversationId(hex(id)),
        kind: ConvType::Queue,
        subaccount_id: subaccount.map(Into::into),
        queue_id: Some(QueueId(hex('9'))),
        condition_id: Some("c1".into()),
        user_data: None,
        record_file: RecordFileId(hex('8')),
        initiator_call: CallId(hex('a')),
        created_at: SimTime::from_millis(T0),
    })
}

/// A begun queue conversation of a sub-account (customer `a…`, agent `b…`), and a created
/// one with no member yet.
fn store(subaccount: Option<&str>) -> RecordStore {
    let store = RecordStore::default();
    let q = conv('4', subaccount);
    let e = conv('5', subaccount);
    for h in [
        at(0, &q, HappeningKind::Created),
        at(0, &q, HappeningKind::Joined(customer('a', "13800138000"))),
        at(5_000, &q, HappeningKind::Joined(agent('b', "agent-001"))),
        at(
            10_000,
            &q,
            HappeningKind::Started {
                answered_call: CallId(hex('b')),
            },
        ),
        at(20_000, &e, HappeningKind::Created),
    ] {
        store.apply(&h);
    }
    store
}

/// Serves `store` over HTTP as `profile` says, signatures checked with the profile's
/// expiry; the server stops when the guard drops.
async fn serve(store: RecordStore, profile: Profile) -> (String, tokio_util::sync::DropGuard) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let policy = AuthPolicy::new(credentials(), Duration::from_secs(1))
        .with_expiry(&profile.signature_expiry);
    let renderer = Renderer {
        profile,
        zone: DEFAULT_ZONE,
    };
    let stop = CancellationToken::new();
    let addr = server::spawn(
        listener,
        ApiState::new(store, renderer, Some(policy)),
        stop.clone(),
    )
    .await
    .expect("serve");
    (format!("http://{addr}"), stop.drop_guard())
}

fn credentials() -> ApiCredentials {
    ApiCredentials::new("app", "cert", "secret")
}

/// GET `path` signed `offset` from now; the status and the body.
async fn get(base: &str, path: &str, offset: TimeDelta) -> (u16, String) {
    let uri = path.split('?').next().unwrap_or(path);
    let signed = sign_request(
        &credentials(),
        "GET",
        uri,
        "",
        b"",
        Utc::now() + offset,
        DEFAULT_ZONE,
    );
    let mut request = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .timeout(Duration::from_secs(10));
    for (name, value) in signed.pairs() {
        request = request.header(name, value);
    }
    let response = request.send().await.expect("the API answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

async fn get_json(base: &str, path: &str) -> Value {
    let (status, body) = get(base, path, TimeDelta::zero()).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).expect("json")
}

fn record(id: &str) -> String {
    format!("/v1/account/x/callcenter/conversation/{id}")
}

const LIST: &str = "/v1/account/x/callcenter/conversation?page=1&size=10";

#[tokio::test]
async fn platform_records_are_what_the_platforms_code_writes() {
    let (base, _stop) = serve(store(Some(SUB)), Profile::platform()).await;
    let got = get_json(&base, &record(BEGUN)).await;
    let data = &got["data"];
    assert_eq!(data["queue_id"], Value::Null, "the column is never written");
    assert_eq!(data["end_reason"], Value::Null);
    assert_eq!(data["begin_time"], T0, "creation time, epoch ms");
    // The platform's conversation object, in its declared order; no condition_id and no
    // agent_call_id.
    let (_, text) = get(&base, &record(BEGUN), TimeDelta::zero()).await;
    let keys = [
        "id",
        "type",
        "subaccount_id",
        "queue_id",
        "begin_time",
        "end_time",
        "end_reason",
        "members",
    ];
    let at: Vec<usize> = keys
        .iter()
        .map(|k| text.find(&format!("\"{k}\":")).expect(k))
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
    assert_eq!(
        data.as_object().expect("object").len(),
        keys.len(),
        "{data}"
    );
    let members = data["members"].as_array().expect("members");
    assert_eq!(members[1]["name"], "agent-001");
    assert_eq!(members[1]["telnumber"], "800123", "agents have a telnumber");
    assert_eq!(members[0]["begin_time"], T0, "epoch ms");
    assert_eq!(members[1]["begin_time"], T0 + 5_000);

    let empty = get_json(&base, &record(EMPTY)).await;
    assert_eq!(empty["data"]["members"], Value::Null, "null, not []");

    let unknown = get_json(&base, &record(&"7".repeat(32))).await;
    assert_eq!(
        unknown,
        json!({"code": "000000", "msg": "请求成功", "data": null})
    );

    let list = get_json(&base, LIST).await;
    let page = &list["data"];
    assert_eq!(page["totalCount"], 1, "only begun conversations: {page}");
    assert_eq!(page["result"][0]["id"], BEGUN);
    assert_eq!(page["result"][0]["members"], Value::Null);
}

#[tokio::test]
async fn documented_records_keep_the_documented_shape() {
    let (base, _stop) = serve(store(Some(SUB)), Profile::documented()).await;
    let data = get_json(&base, &record(BEGUN)).await["data"].clone();
    assert_eq!(data["queue_id"], "9".repeat(32));
    assert_eq!(data["condition_id"], "c1");
    assert!(data.get("agent_call_id").is_some());
    let members = data["members"].as_array().expect("members");
    assert!(members[1].get("telnumber").is_none(), "{members:?}");
    assert_eq!(members[0]["begin_time"], "2023-11-15 06:13:20");
    let empty = get_json(&base, &record(EMPTY)).await;
    assert_eq!(empty["data"]["members"], json!([]));
    let (status, body) = get(&base, &record(&"7".repeat(32)), TimeDelta::zero()).await;
    assert_eq!(status, 200);
    assert!(body.contains("040501"), "{body}");
}

#[tokio::test]
async fn a_main_account_lists_nothing_in_the_platform_profile_only() {
    let (base, _stop) = serve(store(None), Profile::platform()).await;
    let page = get_json(&base, LIST).await["data"].clone();
    assert_eq!(page["totalCount"], 0, "{page}");
    assert_eq!(
        page["result"],
        Value::Null,
        "an empty page's result is null"
    );
    assert_eq!(
        get_json(&base, &record(BEGUN)).await["data"]["id"],
        BEGUN,
        "the record is still readable by id"
    );
    let (base, _stop) = serve(store(None), Profile::documented()).await;
    assert_eq!(get_json(&base, LIST).await["data"]["totalCount"], 1);
}

#[tokio::test]
async fn platform_signatures_expire_after_fifty_minutes_and_never_in_the_future() {
    let (platform, _a) = serve(store(Some(SUB)), Profile::platform()).await;
    let (documented, _b) = serve(store(Some(SUB)), Profile::documented()).await;
    let path = record(BEGUN);
    for (base, minutes, want) in [
        (&platform, -40, 200),
        (&platform, -49, 200),
        (&platform, -51, 401),
        (&platform, 24 * 60, 200),
        (&documented, -4, 200),
        (&documented, -6, 401),
        (&documented, 24 * 60, 200),
    ] {
        let (got, body) = get(base, &path, TimeDelta::minutes(minutes)).await;
        assert_eq!(got, want, "{base} signed {minutes} min from now: {body}");
    }
}

/// What the run's receiver read from the API while handling `begin` events.
#[derive(Clone, Default)]
struct Reads {
    api: String,
    answers: std::sync::Arc<std::sync::Mutex<Vec<(u16, String)>>>,
}

/// On the first few `begin` events: the record, signed 40 minutes ago, and the list.
async fn read_on_begin(
    axum::extract::State(reads): axum::extract::State<Reads>,
    body: axum::body::Bytes,
) -> &'static str {
    let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let done = reads.answers.lock().expect("lock").len();
    if event["event"] == "callcenter.conversation.begin" && done < 6 {
        let id = event["id"].as_str().unwrap_or_default();
        let record = get(&reads.api, &record(id), TimeDelta::minutes(-40)).await;
        let list = get(&reads.api, LIST, TimeDelta::zero()).await;
        let mut answers = reads.answers.lock().expect("lock");
        answers.push(record);
        answers.push(list);
    }
    "ok"
}

#[tokio::test]
async fn a_platform_run_serves_records_as_the_platform_and_accepts_40_minute_old_signatures() {
    let (api, api_base) = super::api_listener();
    let reads = Reads {
        api: api_base,
        ..Reads::default()
    };
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(read_on_begin))
        .with_state(reads.clone());
    let receiver = super::TestReceiver::start(app).await;
    let target = format!("{}/hook", receiver.base);
    let mut plan = super::plan_of(&[
        "--profile",
        "platform",
        "--speed",
        "max",
        "--seed",
        "5",
        "--duration",
        "20m",
        "--api-auth",
        "--app-id",
        "app",
        "--cert-id",
        "cert",
        "--api-secret",
        "secret",
        "--target",
        &target,
        "--quiet",
    ]);
    assert_eq!(
        plan.delivery.ordering,
        ccsim::delivery::options::OrderingMode::None,
        "the platform profile's default ordering"
    );
    plan.api = plan.api.with_listener(api);
    let (_report, exit) = ccsim::run_plan(plan, CancellationToken::new())
        .await
        .expect("the run completes");
    receiver.stop().await;
    assert_eq!(exit, ccsim::Exit::Ok);
    let answers = reads.answers.lock().expect("lock").clone();
    assert!(answers.len() >= 2, "no begin read");
    for pair in answers.chunks(2) {
        let (status, body) = &pair[0];
        assert_eq!(
            *status, 200,
            "a 40-minute-old signature is accepted: {body}"
        );
        let record: Value = serde_json::from_str(body).expect("json");
        assert_eq!(record["data"]["queue_id"], Value::Null, "{record}");
        assert!(record["data"].get("agent_call_id").is_none(), "{record}");
        let members = record["data"]["members"].as_array().expect("members");
        assert!(members.iter().all(|m| m["begin_time"].is_i64()), "{record}");
        let (status, body) = &pair[1];
        assert_eq!(*status, 200, "{body}");
        let page: Value = serde_json::from_str(body).expect("json");
        // The default scenario is a main account's: the platform lists nothing.
        assert_eq!(page["data"]["totalCount"], 0, "{page}");
        assert_eq!(page["data"]["result"], Value::Null, "{page}");
    }
}
