//! Answers and refusals as the platform's envelope: `{"code":"000000","msg":"请求成功",
//! "data":…}` with each [`Answer`] as the platform shows it, and a [`Refusal`] as HTTP 200
//! with its code and `msg` = the code's message, `": "`, and what in particular.

use axum::response::Response;
use serde::Serialize;

use crate::api::error::{self, OK, UNKNOWN_ERROR};
use crate::api::render::Renderer;
use crate::api::store::RecordStore;
use crate::operation::{Answer, Refusal};

/// The success envelope with `answer` as its `data`.
pub(super) fn ok(answer: &Answer, store: &RecordStore, renderer: &Renderer) -> Response {
    error::envelope(OK, &data(answer, store, renderer))
}

/// The `data` of `answer`, as JSON.
pub(super) fn data(answer: &Answer, store: &RecordStore, renderer: &Renderer) -> Vec<u8> {
    fn json(value: &impl Serialize) -> Vec<u8> {
        serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec())
    }
    match answer {
        Answer::True => b"true".to_vec(),
        Answer::Null => b"null".to_vec(),
        Answer::Created { id } => json(&serde_json::json!({ "id": id })),
        Answer::Extension(view) => json(view),
        Answer::Extensions(page) => json(page),
        Answer::Agent(view) => json(view),
        Answer::Agents(page) => json(page),
        Answer::Condition(view) => json(view),
        Answer::Conditions(views) => json(views),
        Answer::Injected(call) => json(call),
        // The platform answers the conversation objects without members, `null` when
        // the agent is in none.
        Answer::Conversations(ids) if ids.is_empty() => b"null".to_vec(),
        Answer::Conversations(ids) => {
            let mut out = vec![b'['];
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                match store.get_str(id) {
                    Some(record) => renderer.write_conversation_summary(&record, &mut out),
                    None => out.extend(json(&serde_json::json!({ "id": id }))),
                }
            }
            out.push(b']');
            out
        }
    }
}

/// A refusal: HTTP 200, its code, `msg` = the code's message and the detail.
pub(super) fn refusal(refusal: &Refusal) -> Response {
    let message = refusal.code.message();
    let msg = if refusal.detail.is_empty() {
        message.to_owned()
    } else {
        format!("{message}: {}", refusal.detail)
    };
    error::envelope_message(refusal.code.as_str(), &msg, b"null")
}

/// `000002 未知错误`: the engine failed.
pub(super) fn unknown_error() -> Response {
    error::envelope(UNKNOWN_ERROR, b"null")
}
