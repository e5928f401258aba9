//! `callcenter/conversation/{id}…` operations: dismiss, a member's `lsm`, `invite_agent`,
//! `invite_out`. (`GET conversation[/{id}]`, the records, are `server`'s.)

use axum::response::Response;

use super::agent_ops::dial;
use super::call::Call;
use super::rules;
use crate::operation::{InviteOut, Operation};

/// The path's `{id}`, named in messages.
const ID: &str = "conversation id in the path";

/// `DELETE conversation/{id}`.
pub(super) async fn dismiss(call: Call) -> Response {
    call.run(|call| {
        call.query(&[])?;
        Ok(Operation::Dismiss {
            conversation: call.id(ID)?,
        })
    })
    .await
}

/// `POST conversation/{id}/agent/{name}/lsm`: `{mode}` (required).
pub(super) async fn lsm(call: Call) -> Response {
    call.run(|call| {
        let conversation = call.id(ID)?;
        let agent = call.agent()?;
        let mut body = call.body(&["mode"])?;
        Ok(Operation::Lsm {
            agent,
            conversation,
            mode: rules::mode(&mut body, None)?,
        })
    })
    .await
}

/// `POST conversation/{id}/invite_agent`: `{enqueue, mode?}` (default 1).
pub(super) async fn invite_agent(call: Call) -> Response {
    call.run(|call| {
        let conversation = call.id(ID)?;
        let mut body = call.body(&["enqueue", "mode"])?;
        let enqueue = rules::enqueue(call.state_rule(), &mut body)?;
        Ok(Operation::InviteAgent {
            conversation,
            enqueue,
            mode: rules::mode(&mut body, Some(1))?,
        })
    })
    .await
}

/// `POST conversation/{id}/invite_out`: `{to, from?, max_dial_seconds?,
/// max_answer_seconds, mode?}` (default 1).
pub(super) async fn invite_out(call: Call) -> Response {
    call.run(|call| {
        let conversation = call.id(ID)?;
        let mut body = call.body(&[
            "to",
            "from",
            "max_dial_seconds",
            "max_answer_seconds",
            "mode",
        ])?;
        let d = dial(&mut body)?;
        Ok(Operation::InviteOut(InviteOut {
            conversation,
            to: d.to,
            from: d.from,
            max_dial_seconds: d.max_dial_seconds,
            max_answer_seconds: d.max_answer_seconds,
            mode: rules::mode(&mut body, Some(1))?,
        }))
    })
    .await
}
