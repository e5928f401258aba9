//! The built-in receiver (`ccsim listen`, and the default target of `run` without
//! `--target`): an axum server that accepts webhooks with HTTP 200, checks each against the
//! event contract, and optionally prints each event as a line, verifies Standard Webhooks
//! signatures (`--secret`), fetches the conversation record on every event (`--api`; the
//! members are printed on `parts_changed`) and checks that the record shows nothing the
//! events received so far did not announce, and simulates faults (`--fail-rate`,
//! `--delay`) so a sender's retries can be seen.

pub mod contract;
pub mod escape;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use chrono::FixedOffset;

use crate::api::auth::{ApiCredentials, sign_request};
use crate::api::listener::Slots;
use crate::api::serve::{ServeLimits, serve};
use crate::console::LinePrinter;
use crate::delivery::signing::{self, WebhookSecret};
use crate::units::Count;
use contract::{ContractChecker, ContractRules, ContractSummary};
use escape::for_terminal;

/// How far a `webhook-timestamp` may be from now, like the official libraries.
const SIGNATURE_TOLERANCE_S: i64 = 300;

/// Faults the receiver simulates.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Faults {
    /// Share of requests answered with HTTP 500 (not checked: the sender will retry).
    pub fail_rate: f64,
    /// Wait before answering each request.
    pub delay: Duration,
}

/// Where records are fetched (`ccsim listen --api`, and the built-in receiver of a run
/// whose fake API is on).
#[derive(Debug, Clone)]
pub struct ApiLookup {
    client: reqwest::Client,
    base: String,
    account: String,
    /// Signs each lookup like a platform client, for an API that requires it.
    signing: Option<(ApiCredentials, FixedOffset)>,
}

impl ApiLookup {
    /// Looks records up at `{base}/v1/account/{account}/callcenter/conversation/{id}`.
    pub fn new(base: &reqwest::Url, account: &str) -> Self {
        Self {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(2))
                // Below the API's idle timeout, so a kept connection is never reused just
                // as the API closes it.
                .pool_idle_timeout(Duration::from_secs(20))
                .no_proxy()
                .build()
                .unwrap_or_default(),
            base: base.as_str().trim_end_matches('/').to_owned(),
            account: account.to_owned(),
            signing: None,
        }
    }

    /// Signs every lookup with `credentials`, its `Timestamp` written in `zone`.
    pub fn with_signing(mut self, credentials: ApiCredentials, zone: FixedOffset) -> Self {
        self.signing = Some((credentials, zone));
        self
    }

    /// The record envelope of conversation `id`, or why it could not be fetched.
    pub async fn fetch(&self, id: &str) -> Result<serde_json::Value, String> {
        let path = format!("/v1/account/{}/callcenter/conversation/{id}", self.account);
        let url = format!("{}{path}", self.base);
        let mut request = self.client.get(&url);
        if let Some((credentials, zone)) = &self.signing {
            let signed = sign_request(
                credentials,
                "GET",
                &path,
                "",
                b"",
                chrono::Utc::now(),
                *zone,
            );
            for (name, value) in signed.pairs() {
                request = request.header(name, value);
            }
        }
        let resp = request
            .send()
            .await
            .map_err(|e| format!("cannot fetch {url}: {e}"))?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|e| format!("HTTP {status}, cannot read the body: {e}"))?;
        serde_json::from_slice(&body).map_err(|e| format!("HTTP {status}, body is not JSON: {e}"))
    }

    /// One line describing the record's members, or why it could not be fetched.
    pub async fn members_line(&self, id: &str) -> String {
        match self.fetch(id).await {
            Ok(v) => describe_record(id, &v),
            Err(e) => record_error(id, &e),
        }
    }
}

/// The line saying why the record of `id` could not be read, escaped for a terminal.
pub fn record_error(id: &str, why: &str) -> String {
    format!("  record {}: {}", for_terminal(id), for_terminal(why))
}

/// Describes a record envelope `{"code","msg","data":{…,"members":[…]}}` in one line,
/// every text from the answer escaped for a terminal.
pub fn describe_record(id: &str, v: &serde_json::Value) -> String {
    let line = describe_record_raw(id, v);
    for_terminal(&line).into_owned()
}

fn describe_record_raw(id: &str, v: &serde_json::Value) -> String {
    let code = v.get("code").and_then(|c| c.as_str()).unwrap_or("?");
    if code != "000000" {
        let msg = v.get("msg").and_then(|c| c.as_str()).unwrap_or("");
        return format!("  record {id}: error {code} {msg}");
    }
    let Some(data) = v.get("data").filter(|d| d.is_object()) else {
        return format!("  record {id}: not found (data is null)");
    };
    let members = data
        .get("members")
        .and_then(|m| m.as_array())
        .map(Vec::as_slice)
        .unwrap_or_default();
    let text = |m: &serde_json::Value, k: &str| match m.get(k) {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let list: Vec<String> = members
        .iter()
        .map(|m| {
            let who = text(m, "name")
                .map(|n| format!("agent {n}"))
                .or_else(|| text(m, "telnumber"))
                .unwrap_or_else(|| "?".into());
            let call = text(m, "call_id").unwrap_or_default();
            let mode = text(m, "mode").unwrap_or_else(|| "?".into());
            let state = if text(m, "end_time").is_some() {
                "left"
            } else {
                "present"
            };
            format!("{who} (call {call}, mode {mode}, {state})")
        })
        .collect();
    format!(
        "  record {id}: {}: {}",
        Count::of(list.len() as u64, "member"),
        if list.is_empty() {
            "none".to_owned()
        } else {
            list.join(", ")
        }
    )
}

/// The receiver's shared state: the contract checker behind a short-lived lock.
#[derive(Clone, Default)]
pub struct Receiver {
    checker: Arc<Mutex<ContractChecker>>,
    /// Prints each event on stdout (`ccsim listen`); stops printing, not answering, when
    /// stdout closes or fails.
    printer: Option<Arc<LinePrinter>>,
    secrets: Arc<[WebhookSecret]>,
    faults: Faults,
    requests: Arc<AtomicU64>,
    api: Option<ApiLookup>,
    /// Most connections served at once (0: the default, `api::serve`'s).
    max_connections: usize,
}

impl std::fmt::Debug for Receiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("print", &self.printer.is_some())
            .field("faults", &self.faults)
            .field("requests", &self.requests)
            .finish_non_exhaustive()
    }
}

impl Receiver {
    /// A receiver; with `print`, every event is printed as a line on stdout.
    pub fn new(print: bool) -> Self {
        Self {
            printer: print.then(Arc::default),
            ..Self::default()
        }
    }

    /// Why printing stopped, if stdout failed other than by closing (`ccsim listen` then
    /// exits 5).
    pub fn print_failure(&self) -> Option<String> {
        self.printer.as_ref().and_then(|p| p.failure())
    }

    /// Checks the contract with these rules.
    pub fn with_rules(mut self, rules: ContractRules) -> Self {
        self.checker = Arc::new(Mutex::new(ContractChecker::with_rules(rules)));
        self
    }

    /// Verifies Standard Webhooks signatures with these secrets (none: no check).
    pub fn with_secrets(mut self, secrets: Vec<WebhookSecret>) -> Self {
        self.secrets = secrets.into();
        self
    }

    /// Simulates these faults.
    pub fn with_faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Fetches the record on every event and checks it against the events so far (and,
    /// when printing, prints its members on every `parts_changed`).
    pub fn with_api(mut self, api: ApiLookup) -> Self {
        self.api = Some(api);
        self
    }

    /// Serves up to `n` connections at once (at least the default), so a sender with
    /// that many connections, each kept busy, is never left waiting for a slot.
    pub fn with_max_connections(mut self, n: usize) -> Self {
        self.max_connections = n;
        self
    }

    /// The contract summary so far.
    pub fn summary(&self, complete: bool) -> ContractSummary {
        self.checker
            .lock()
            .map(|c| c.summary(complete))
            .unwrap_or_default()
    }

    /// The router: `POST` to any path is a webhook.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/", post(accept))
            .route("/{*path}", post(accept))
            .with_state(self.clone())
    }

    /// Serves on `listener` until `shutdown` fires, with the API's connection bounds and
    /// timeouts (`api::serve`), so idle or slow clients cannot lock senders out.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> std::io::Result<()> {
        let limits = ServeLimits::default();
        serve(
            listener,
            self.router(),
            Slots::new(limits.connections.max(self.max_connections)),
            limits.header_timeout,
            shutdown,
            |stream| stream,
        )
        .await;
        Ok(())
    }

    /// Binds `addr` and serves in the background; returns the bound address.
    pub async fn spawn(
        self,
        addr: SocketAddr,
        shutdown: CancellationToken,
    ) -> std::io::Result<SocketAddr> {
        let listener = TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        tokio::spawn(self.serve(listener, shutdown));
        Ok(bound)
    }

    /// Whether request number `n` is failed on purpose: a deterministic spread at the
    /// asked rate (splitmix64 of the request counter).
    fn fails(&self, n: u64) -> bool {
        if self.faults.fail_rate <= 0.0 {
            return false;
        }
        let mut z = n.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        ((z >> 11) as f64 / (1u64 << 53) as f64) < self.faults.fail_rate
    }

    /// Checks the request's signature; the reason when it does not verify.
    fn signature_problem(&self, headers: &HeaderMap, body: &[u8]) -> Option<String> {
        if self.secrets.is_empty() {
            return None;
        }
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let Some(id) = header(signing::HEADER_ID) else {
            return Some("request without webhook-id header".into());
        };
        let Some(ts) = header(signing::HEADER_TIMESTAMP).and_then(|t| t.parse::<i64>().ok()) else {
            return Some(format!(
                "{}: webhook-timestamp missing or not an integer",
                for_terminal(id)
            ));
        };
        let sig = header(signing::HEADER_SIGNATURE).unwrap_or("");
        let now = chrono::Utc::now().timestamp();
        signing::verify(&self.secrets, id, ts, body, sig, now, SIGNATURE_TOLERANCE_S)
            .err()
            .map(|e| format!("{id}: bad signature: {e}"))
            .map(|problem| for_terminal(&problem).into_owned())
    }
}

async fn accept(
    State(rx): State<Receiver>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let n = rx.requests.fetch_add(1, Ordering::Relaxed);
    if !rx.faults.delay.is_zero() {
        tokio::time::sleep(rx.faults.delay).await;
    }
    if rx.fails(n) {
        if let Some(p) = &rx.printer {
            p.line(&format!("{} -> 500 (simulated failure)", describe(&body)));
        }
        // The sender may give this event up: what follows it must not look like a gap.
        if let Ok(mut checker) = rx.checker.lock() {
            let webhook_id = headers
                .get(signing::HEADER_ID)
                .and_then(|v| v.to_str().ok());
            checker.refused(&body, webhook_id);
        }
        return (StatusCode::INTERNAL_SERVER_ERROR, "simulated failure");
    }
    if let Some(problem) = rx.signature_problem(&headers, &body) {
        if let Some(p) = &rx.printer {
            p.line(&format!("{} -> 401 ({problem})", describe(&body)));
        }
        if let Ok(mut checker) = rx.checker.lock() {
            checker.bad_signature(problem);
        }
        return (StatusCode::UNAUTHORIZED, "bad signature");
    }
    let webhook_id = headers
        .get(signing::HEADER_ID)
        .and_then(|v| v.to_str().ok());
    if let Ok(mut checker) = rx.checker.lock() {
        checker.check_event(&body, webhook_id);
    }
    if let Some(p) = &rx.printer {
        p.line(&describe(&body));
    }
    // Inside the handler, before answering, as an application would; bounded by the
    // lookup timeout.
    if let Some(api) = &rx.api
        && let Some((id, event)) = conversation_of(&body)
    {
        let parts_changed = event == crate::event::EventKind::ConversationPartsChanged.name();
        let record = api.fetch(&id).await;
        if let Some(p) = &rx.printer
            && parts_changed
        {
            match &record {
                Ok(v) => p.line(&describe_record(&id, v)),
                Err(e) => p.line(&record_error(&id, e)),
            }
        }
        if let Ok(mut checker) = rx.checker.lock() {
            match &record {
                Ok(record) => checker.check_record(&event, &id, record),
                // The built-in receiver reads ccsim's own API: a failed read is a fault
                // to report, not a check to skip. `listen` prints it on the line instead.
                Err(e) if rx.printer.is_none() => checker.lookup_failed(&id, e),
                Err(_) => {}
            }
        }
    }
    (StatusCode::OK, "success")
}

/// The conversation id and the event name of a conversation event's body (an agent or
/// queue event has no record to read: a queue event's `id` is its task's).
fn conversation_of(body: &[u8]) -> Option<(String, String)> {
    let v: serde_json::Value =
        serde_json::from_str(&crate::event::charset::body_text(body).0).ok()?;
    let event = v.get("event")?.as_str()?;
    crate::event::EventKind::parse(event)
        .filter(|k| k.family() == crate::families::EventFamily::Conversation)?;
    Some((v.get("id")?.as_str()?.to_owned(), event.to_owned()))
}

/// A readable one-line description of an event body, every text from the body escaped
/// for a terminal.
pub fn describe(body: &[u8]) -> String {
    for_terminal(&describe_raw(body)).into_owned()
}

fn describe_raw(body: &[u8]) -> String {
    let Ok(serde_json::Value::Object(obj)) =
        serde_json::from_str::<serde_json::Value>(&crate::event::charset::body_text(body).0)
    else {
        const PREVIEW: usize = 200;
        let text = String::from_utf8_lossy(body);
        return match text.char_indices().nth(PREVIEW) {
            Some((end, _)) => format!(
                "(not a JSON object, {} bytes) {}…",
                body.len(),
                &text[..end]
            ),
            None => format!("(not a JSON object) {text}"),
        };
    };
    let field = |k: &str| {
        obj.get(k)
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
    };
    let event = field("event").unwrap_or_default();
    let short = event
        .strip_prefix("callcenter.")
        .unwrap_or(&event)
        .to_owned();
    // A conversation or queue task by its id, an agent by its name.
    let subject = field("id").or_else(|| field("name")).unwrap_or_default();
    let mut line = format!("{short:<30} {subject}");
    for k in [
        "type",
        "previous_state",
        "latest_state",
        "conversation_id",
        "cause",
        "agent_name",
        "end_reason",
        "user_data",
    ] {
        if let Some(v) = field(k) {
            line.push_str(&format!(" {k}={v}"));
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_record_is_described_by_its_members() {
        let v = json!({"code":"000000","msg":"请求成功","data":{"id":"x","members":[
            {"name":"a1","telnumber":"8001","call_id":"c1","mode":1,"begin_time":1,"end_time":null},
            {"telnumber":"13800000000","call_id":"c2","mode":1,"begin_time":1,"end_time":2}
        ]}});
        assert_eq!(
            describe_record("x", &v),
            "  record x: 2 members: agent a1 (call c1, mode 1, present), \
             13800000000 (call c2, mode 1, left)"
        );
    }

    #[test]
    fn missing_records_and_error_envelopes_are_described_not_panicked_on() {
        let none = json!({"code":"000000","msg":"请求成功","data":null});
        assert_eq!(
            describe_record("x", &none),
            "  record x: not found (data is null)"
        );
        let err = json!({"code":"010000","msg":"应用不存在","data":null});
        assert_eq!(
            describe_record("x", &err),
            "  record x: error 010000 应用不存在"
        );
        let empty = json!({"code":"000000","data":{"members":null}});
        assert_eq!(describe_record("x", &empty), "  record x: 0 members: none");
        let one = json!({"code":"000000","data":{"members":[{"telnumber":"1","call_id":"c"}]}});
        assert!(describe_record("x", &one).starts_with("  record x: 1 member: 1 (call c"));
        assert_eq!(describe_record("x", &json!([1])), "  record x: error ? ");
    }

    #[tokio::test]
    async fn an_unreachable_api_is_reported_on_the_line_not_fatal() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url =
            reqwest::Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        drop(listener);
        let line = ApiLookup::new(&url, "acc").members_line("abc").await;
        assert!(
            line.starts_with("  record abc: cannot fetch http://127.0.0.1:")
                && line.contains("/v1/account/acc/callcenter/conversation/abc"),
            "{line}"
        );
    }

    #[test]
    fn the_fail_rate_fails_about_that_share_of_requests() {
        let rx = Receiver::new(false).with_faults(Faults {
            fail_rate: 0.3,
            delay: Duration::ZERO,
        });
        let failed = (0..10_000).filter(|&n| rx.fails(n)).count();
        assert!((2_700..3_300).contains(&failed), "{failed}");
        assert!(!(0..100).any(|n| Receiver::new(false).fails(n)));
    }

    #[test]
    fn a_body_that_is_not_json_is_shown_escaped_and_at_most_200_characters_long() {
        assert_eq!(describe(b"oops\r\n"), r"(not a JSON object) oops\r\n");
        let long = describe(&[b'x'; 10_000]);
        assert_eq!(
            long,
            format!("(not a JSON object, 10000 bytes) {}…", "x".repeat(200))
        );
    }

    #[test]
    fn agent_and_queue_events_are_described_by_their_subject_and_what_changed() {
        let state = br#"{"event":"callcenter.agent.state_changed","name":"1001","previous_state":"idle","latest_state":"fetching","current_time":1}"#;
        assert_eq!(
            describe(state),
            "agent.state_changed            1001 previous_state=idle latest_state=fetching"
        );
        let fail = br#"{"event":"callcenter.queue.fail","id":"q1","type":"ivr","cause":"timeout"}"#;
        assert_eq!(
            describe(fail),
            "queue.fail                     q1 type=ivr cause=timeout"
        );
    }

    #[test]
    fn every_conversation_event_names_its_record_and_its_kind() {
        let parts = br#"{"event":"callcenter.conversation.parts_changed","id":"abc"}"#;
        assert_eq!(
            conversation_of(parts),
            Some(("abc".into(), "callcenter.conversation.parts_changed".into()))
        );
        assert_eq!(
            conversation_of(br#"{"event":"callcenter.conversation.end","id":"abc"}"#),
            Some(("abc".into(), "callcenter.conversation.end".into()))
        );
        assert_eq!(conversation_of(b"junk"), None);
        let queue = br#"{"event":"callcenter.queue.select","id":"abc"}"#;
        assert_eq!(conversation_of(queue), None, "a queue task has no record");
        let agent = br#"{"event":"callcenter.agent.conversation_changed","conversation_id":"abc"}"#;
        assert_eq!(conversation_of(agent), None);
    }
}
