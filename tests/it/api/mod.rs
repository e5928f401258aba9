//! Tests of the fake platform API: fixtures shared by the router, auth, OpenAPI,
//! retention and end-to-end tests.

mod auth;
mod control;
mod e2e;
mod flood;
mod lifecycle;
mod openapi;
mod ops;
mod platform;
mod retention;
mod router;
mod visibility;

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, Request, StatusCode};
use ccsim::api::auth::{AuthPolicy, DEFAULT_ZONE};
use ccsim::api::render::Renderer;
use ccsim::api::store::RecordStore;
use ccsim::api::{ApiState, router};
use ccsim::conversation::{ConvInfo, ConvType, EndReason, Happening, HappeningKind, MemberInfo};
use ccsim::event::profile::Profile;
use ccsim::ids::{CallId, ConversationId, ExtensionId, Hex32, QueueId, RecordFileId};
use ccsim::time::SimTime;
use serde_json::Value;
use tower::ServiceExt as _;

/// 2023-11-14T22:13:20Z, 2023-11-15 06:13:20 in +08:00.
pub(crate) const T0: i64 = 1_700_000_000_000;

/// A 32-hex id made of one repeated digit.
pub(crate) fn hex(c: char) -> Hex32 {
    Hex32::parse(&c.to_string().repeat(32)).expect("valid hex")
}

/// The three fixture conversations' ids.
pub(crate) const QUEUE_ID: &str = "11111111111111111111111111111111";
pub(crate) const CALL_OUT_ID: &str = "22222222222222222222222222222222";
pub(crate) const NEVER_BEGUN_ID: &str = "33333333333333333333333333333333";

fn conv(key: u64, id: char, kind: ConvType, initiator: char) -> Arc<ConvInfo> {
    Arc::new(ConvInfo {
        key,
        id: ConversationId(hex(id)),
        kind,
        subaccount_id: None,
        queue_id: (kind != ConvType::CallOut).then(|| QueueId(hex('9'))),
        condition_id: None,
        user_data: None,
        record_file: RecordFileId(hex('8')),
        initiator_call: CallId(hex(initiator)),
        created_at: SimTime::from_millis(T0),
    })
}

fn agent(call: char, name: &str) -> MemberInfo {
    MemberInfo {
        call_id: CallId(hex(call)),
        agent_name: Some(name.into()),
        extension_id: Some(ExtensionId(hex('e'))),
        telnumber: "800123".into(),
        mode: 1,
    }
}

fn customer(call: char, number: &str) -> MemberInfo {
    MemberInfo {
        call_id: CallId(hex(call)),
        agent_name: None,
        extension_id: None,
        telnumber: number.into(),
        mode: 1,
    }
}

fn at(ms: i64, conv: &Arc<ConvInfo>, kind: HappeningKind) -> Happening {
    Happening {
        at: SimTime::from_millis(T0 + ms),
        conv: conv.clone(),
        kind,
    }
}

/// A store holding: an ended queue conversation (customer `a…`, agent `b…`), a live
/// call_out (agent `c…` initiating, callee `d…`, begun after the queue one) and a queue
/// conversation that never began.
pub(crate) fn fixture_store() -> RecordStore {
    let store = RecordStore::default();
    let q = conv(1, '1', ConvType::Queue, 'a');
    let c = conv(2, '2', ConvType::CallOut, 'c');
    let n = conv(3, '3', ConvType::Queue, 'f');
    let happenings = [
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
        at(20_000, &c, HappeningKind::Created),
        at(20_000, &c, HappeningKind::Joined(agent('c', "agent-002"))),
        at(
            22_000,
            &c,
            HappeningKind::Joined(customer('d', "02088886666")),
        ),
        at(
            30_000,
            &c,
            HappeningKind::Started {
                answered_call: CallId(hex('d')),
            },
        ),
        at(30_000, &n, HappeningKind::Created),
        at(
            30_000,
            &n,
            HappeningKind::Joined(customer('f', "13900139000")),
        ),
        at(
            70_000,
            &q,
            HappeningKind::Left {
                call_id: CallId(hex('a')),
            },
        ),
        at(
            70_000,
            &q,
            HappeningKind::Released {
                reason: EndReason::CustomerHangup,
                started_at: Some(SimTime::from_millis(T0 + 10_000)),
            },
        ),
        at(
            90_000,
            &n,
            HappeningKind::Released {
                reason: EndReason::CustomerHangup,
                started_at: None,
            },
        ),
    ];
    for h in &happenings {
        store.apply(h);
    }
    store
}

/// The documented-profile renderer in +08:00.
pub(crate) fn renderer() -> Renderer {
    Renderer {
        profile: Profile::documented(),
        zone: DEFAULT_ZONE,
    }
}

/// The router over `store`, checking requests with `auth` if set.
pub(crate) fn app(store: RecordStore, auth: Option<AuthPolicy>) -> Router {
    router(ApiState::new(store, renderer(), auth))
}

/// A response, read whole.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as JSON.
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    /// The body as text.
    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("a UTF-8 body")
    }
}

/// Sends `request` through `app` in-process.
pub(crate) async fn send(app: Router, request: Request<Body>) -> Answer {
    let response = app.oneshot(request).await.expect("infallible service");
    let status = response.status();
    let headers = response.headers().clone();
    let body = to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("a readable body")
        .to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

/// `GET uri` through `app`.
pub(crate) async fn get(app: Router, uri: &str) -> Answer {
    send(
        app,
        Request::get(uri)
            .body(Body::empty())
            .expect("valid request"),
    )
    .await
}

/// The record endpoint's path for `id`.
pub(crate) fn record_uri(id: &str) -> String {
    format!("/v1/account/8a2d9fed5a117dbb015a1201db300004/callcenter/conversation/{id}")
}

/// The list endpoint's path with `query`.
pub(crate) fn list_uri(query: &str) -> String {
    format!("/v1/account/8a2d9fed5a117dbb015a1201db300004/callcenter/conversation{query}")
}

/// The plan of `ccsim run` with `flags`.
pub(crate) fn plan_of(flags: &[&str]) -> ccsim::plan::RunPlan {
    use clap::Parser as _;
    let cli =
        ccsim::cli::Cli::try_parse_from(["ccsim", "run"].iter().chain(flags)).expect("valid flags");
    let ccsim::cli::Command::Run(args) = cli.command else {
        panic!("parsed as run")
    };
    args.plan().expect("valid plan")
}

/// A webhook receiver serving `app` on a loopback port.
pub(crate) struct TestReceiver {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    stop: tokio_util::sync::CancellationToken,
    served: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl TestReceiver {
    /// Starts serving `app`.
    pub(crate) async fn start(app: Router) -> Self {
        use std::future::IntoFuture as _;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the receiver");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let stop = tokio_util::sync::CancellationToken::new();
        let served = tokio::spawn(
            axum::serve(listener, app)
                .with_graceful_shutdown(stop.clone().cancelled_owned())
                .into_future(),
        );
        Self { base, stop, served }
    }

    /// Stops serving.
    pub(crate) async fn stop(self) {
        self.stop.cancel();
        let _ = self.served.await;
    }
}

/// A loopback listener for the API, and the base URL it will serve.
pub(crate) fn api_listener() -> (std::net::TcpListener, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the API port");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    (listener, base)
}
