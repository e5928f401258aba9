//! The test-control endpoints that drive the simulation: the clock (`GET /__ccsim/clock`,
//! `POST /__ccsim/clock/advance`), injected inbound calls (`POST /__ccsim/calls`),
//! instructions to a phone (`POST /__ccsim/phone`) and reset (`POST /__ccsim/reset`).
//! Bodies are JSON objects read strictly: an unknown field, a wrong type or a bad value is
//! a `400` naming the field.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};

use super::clock::AdvanceError;
use super::http::{Refusal, authorized};
use super::{ClockMode, Control};
use crate::ids::Hex32;
use crate::operation::{
    Answer, CallRef, Code, InboundCall, Instruction, Mode, Operation, Platform,
};
use crate::units::Span;

/// The longest an advance waits for the delivery to settle.
const ADVANCE_TIMEOUT: Duration = Duration::from_secs(60);

/// The largest body read.
const MAX_BODY: usize = 64 * 1024;

/// The longest single advance: a year of simulated time.
const MAX_ADVANCE: Span = Span::from_millis(366 * 86_400_000);

fn bad(field: &str, message: impl Into<String>) -> Refusal {
    Refusal::Status(
        StatusCode::BAD_REQUEST,
        format!("{field}: {}", message.into()),
        Some(field.to_owned()),
    )
}

/// The caller holds the token, and the engine is driven.
fn platform<'a>(
    control: &'a Control,
    headers: &HeaderMap,
) -> Result<&'a Arc<dyn Platform>, Refusal> {
    if !authorized(control, headers) {
        return Err(Refusal::Unauthorized);
    }
    control.platform.as_ref().ok_or_else(|| {
        Refusal::Status(
            StatusCode::CONFLICT,
            "this run's simulation is not driven by the API".into(),
            None,
        )
    })
}

/// The body as a JSON object of only the `allowed` fields (an empty body is `{}`).
fn object(bytes: &Bytes, allowed: &[&str]) -> Result<Map<String, Value>, Refusal> {
    if bytes.len() > MAX_BODY {
        return Err(Refusal::Status(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than {MAX_BODY} bytes"),
            None,
        ));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| bad("body", format!("not JSON ({e})")))?;
    let Value::Object(map) = value else {
        return Err(bad("body", "expected a JSON object"));
    };
    if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(bad(
            unknown,
            format!("unknown field; expected one of {}", allowed.join(", ")),
        ));
    }
    Ok(map)
}

/// A non-empty string field, if present.
fn text(map: &Map<String, Value>, field: &str) -> Result<Option<Arc<str>>, Refusal> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Err(bad(field, "empty")),
        Some(Value::String(s)) => Ok(Some(s.as_str().into())),
        Some(other) => Err(bad(field, format!("expected a string, got {other}"))),
    }
}

/// A duration field (`"500ms"`, `"30s"`, `"2m"`), if present.
fn span(map: &Map<String, Value>, field: &str) -> Result<Option<Span>, Refusal> {
    match text(map, field)? {
        None => Ok(None),
        Some(s) => s
            .parse::<Span>()
            .map(Some)
            .map_err(|e| bad(field, format!("expected a duration like \"30s\" ({e})"))),
    }
}

/// What an operation's answer or refusal becomes; `missing` is the status of a
/// `000001` refusal (the thing named is not there).
fn answered(result: Result<Answer, crate::operation::Refusal>, missing: StatusCode) -> Response {
    match result {
        Ok(Answer::Injected(call)) => Json(call).into_response(),
        Ok(_) => Json(serde_json::json!({"ok": true})).into_response(),
        Err(refusal) => {
            let status = match refusal.code {
                Code::BadParameter => missing,
                Code::NotReady => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::CONFLICT,
            };
            Refusal::Status(status, refusal.to_string(), None).into_response()
        }
    }
}

#[derive(Serialize)]
struct ClockOut {
    mode: &'static str,
    now_ms: i64,
    start_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_ms: Option<i64>,
}

/// `GET /__ccsim/clock`.
pub(super) async fn clock(
    State(control): State<Control>,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let platform = platform(&control, &headers)?;
    let (mode, start, target) = match &control.clock {
        ClockMode::Manual(m) => ("manual", Some(m.start()), Some(m.target())),
        ClockMode::Real => ("real", None, None),
        ClockMode::Max => ("max", None, None),
    };
    let now = platform.now();
    Ok(Json(ClockOut {
        mode,
        now_ms: now.epoch_ms(),
        start_ms: start.unwrap_or(control.start).epoch_ms(),
        target_ms: target.map(|t| t.epoch_ms()),
    })
    .into_response())
}

/// `POST /__ccsim/clock/advance` `{"by": "10s"}`: answers once everything due by the new
/// time has been delivered.
pub(super) async fn advance(
    State(control): State<Control>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    platform(&control, &headers)?;
    let map = object(&body, &["by"])?;
    let by = span(&map, "by")?.ok_or_else(|| bad("by", "required, e.g. {\"by\": \"10s\"}"))?;
    if by > MAX_ADVANCE {
        return Err(bad("by", "at most 366d at a time"));
    }
    let ClockMode::Manual(clock) = &control.clock else {
        return Err(Refusal::Status(
            StatusCode::CONFLICT,
            "the clock is not manual: start ccsim with --clock manual to advance it".into(),
            None,
        ));
    };
    let over = || {
        Refusal::Status(
            StatusCode::SERVICE_UNAVAILABLE,
            "the run is over: everything was delivered, and nothing more will be".into(),
            None,
        )
    };
    if clock.is_over() {
        return Err(over());
    }
    let target = clock.advance(by);
    let settled = tokio::select! {
        settled = clock.settled_at(target, ADVANCE_TIMEOUT) => settled,
        () = control.stop.cancelled() => Err(AdvanceError::Stopped),
    };
    match settled {
        Ok(()) if clock.is_over() => Err(over()),
        Ok(()) => Ok(Json(serde_json::json!({"now_ms": target.epoch_ms()})).into_response()),
        Err(AdvanceError::TimedOut(_)) => Err(Refusal::Status(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the delivery had not reached the new time after {}s (a receiver slow to \
                 answer, or retries); it goes on: GET /__ccsim/clock tells where it is",
                ADVANCE_TIMEOUT.as_secs()
            ),
            None,
        )),
        Err(AdvanceError::Stopped) => Err(Refusal::Status(
            StatusCode::SERVICE_UNAVAILABLE,
            "ccsim is stopping".into(),
            None,
        )),
    }
}

/// `POST /__ccsim/calls`: an inbound customer call, queued now.
pub(super) async fn inject(
    State(control): State<Control>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let platform = platform(&control, &headers)?;
    let map = object(
        &body,
        &[
            "from",
            "user_data",
            "condition",
            "queue_timeout",
            "patience",
            "talk",
        ],
    )?;
    let condition = text(&map, "condition")?;
    if let Some(id) = &condition
        && Hex32::parse(id).is_none()
    {
        return Err(bad(
            "condition",
            "expected an ACD condition id: 32 hexadecimal digits",
        ));
    }
    let talk = match map.get("talk") {
        Some(Value::Null) => Some(None),
        _ => span(&map, "talk")?.map(Some),
    };
    let call = InboundCall {
        from: text(&map, "from")?,
        user_data: text(&map, "user_data")?,
        condition,
        queue_timeout: span(&map, "queue_timeout")?,
        patience: span(&map, "patience")?,
        talk,
    };
    Ok(answered(
        platform.operate(Operation::InjectCall(call)),
        StatusCode::BAD_REQUEST,
    ))
}

/// `POST /__ccsim/phone`: tells one call what to do.
pub(super) async fn phone(
    State(control): State<Control>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let platform = platform(&control, &headers)?;
    let map = object(&body, &["call_id", "agent", "number", "do", "mode"])?;
    let refs = [
        text(&map, "call_id")?.map(CallRef::Id),
        text(&map, "agent")?.map(CallRef::Agent),
        text(&map, "number")?.map(CallRef::Number),
    ];
    let mut named = refs.into_iter().flatten();
    let (Some(call), None) = (named.next(), named.next()) else {
        return Err(bad(
            "call_id",
            "name the call by exactly one of call_id, agent, number",
        ));
    };
    let mode = match map.get("mode") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match n.as_u64() {
            Some(m @ 1..=4) => Some(Mode(m as u8)),
            _ => return Err(bad("mode", format!("expected 1, 2, 3 or 4, got {n}"))),
        },
        Some(other) => return Err(bad("mode", format!("expected 1, 2, 3 or 4, got {other}"))),
    };
    let what = text(&map, "do")?
        .ok_or_else(|| bad("do", "required: answer, reject, hangup, hold or mode"))?;
    let instruction = match (&*what, mode) {
        ("answer", None) => Instruction::Answer,
        ("reject", None) => Instruction::Reject,
        ("hangup", None) => Instruction::Hangup,
        ("hold", None) => Instruction::Hold,
        ("mode", Some(mode)) => Instruction::Mode(mode),
        ("mode", None) => return Err(bad("mode", "required with \"do\": \"mode\"")),
        ("answer" | "reject" | "hangup" | "hold", Some(_)) => {
            return Err(bad("mode", "only with \"do\": \"mode\""));
        }
        (other, _) => {
            return Err(bad(
                "do",
                format!("expected answer, reject, hangup, hold or mode, got {other:?}"),
            ));
        }
    };
    Ok(answered(
        platform.operate(Operation::Instruct { call, instruction }),
        StatusCode::NOT_FOUND,
    ))
}

/// `POST /__ccsim/reset`.
pub(super) async fn reset(
    State(control): State<Control>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let platform = platform(&control, &headers)?;
    object(&body, &[])?;
    if let ClockMode::Manual(clock) = &control.clock {
        clock.rewind();
    }
    let result = platform.reset().map(|()| Answer::True);
    if result.is_ok() {
        control.journal.reset();
    }
    Ok(answered(result, StatusCode::BAD_REQUEST))
}
