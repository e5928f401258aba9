//! `callcenter/agent/{name}/…` operations: `call_out`, `call_agent`, `enter`, `exit`,
//! `lsm`, `reject`, `conversation`; and `fwd_agent`, `xfer_agent`, `xfer_out`, which the
//! platform accepts and ignores (`data: true`, nothing happens) once their parameters
//! check.

use axum::response::Response;

use super::answer;
use super::call::Call;
use super::fields::Fields;
use super::rules::{self, MAX_CALL_SECONDS};
use crate::api::error::{self, OK};
use crate::operation::{CallOut, Operation, Refusal};

/// `to`, `from`, `max_dial_seconds` and `max_answer_seconds` of a call to an outside
/// number.
pub(super) struct Dial {
    pub(super) to: std::sync::Arc<str>,
    pub(super) from: Option<std::sync::Arc<str>>,
    pub(super) max_dial_seconds: Option<u32>,
    pub(super) max_answer_seconds: u32,
}

/// Reads the dialling fields of `body`.
pub(super) fn dial(body: &mut Fields) -> Result<Dial, Refusal> {
    let to = rules::number("to", &body.text("to")?)?;
    let from = body
        .opt_text("from")?
        .map(|f| rules::number("from", &f))
        .transpose()?;
    let max_dial_seconds = body
        .opt_int("max_dial_seconds", 1..=MAX_CALL_SECONDS)?
        .map(rules::u32_of);
    let max_answer_seconds = rules::u32_of(body.int("max_answer_seconds", 1..=MAX_CALL_SECONDS)?);
    Ok(Dial {
        to,
        from,
        max_dial_seconds,
        max_answer_seconds,
    })
}

/// `POST call_out`: `{to, from?, max_dial_seconds?, max_answer_seconds, user_data?}`.
pub(super) async fn call_out(call: Call) -> Response {
    call.run(|call| {
        let agent = call.agent()?;
        let mut body = call.body(&[
            "to",
            "from",
            "max_dial_seconds",
            "max_answer_seconds",
            "user_data",
        ])?;
        let d = dial(&mut body)?;
        Ok(Operation::CallOut(CallOut {
            agent,
            to: d.to,
            from: d.from,
            max_dial_seconds: d.max_dial_seconds,
            max_answer_seconds: d.max_answer_seconds,
            user_data: body.opt_any_arc("user_data")?,
        }))
    })
    .await
}

/// `POST call_agent`: `{enqueue}`.
pub(super) async fn call_agent(call: Call) -> Response {
    call.run(|call| {
        let agent = call.agent()?;
        let mut body = call.body(&["enqueue"])?;
        Ok(Operation::CallAgent {
            agent,
            enqueue: rules::enqueue(call.state_rule(), &mut body)?,
        })
    })
    .await
}

/// `POST enter`: `{conversation_id, mode?, holding?}` (`holding` is checked and
/// ignored: an agent is in one conversation at a time, as on the platform).
pub(super) async fn enter(call: Call) -> Response {
    call.run(|call| {
        let agent = call.agent()?;
        let mut body = call.body(&["conversation_id", "mode", "holding"])?;
        let conversation = rules::hex32("conversation_id", &body.text("conversation_id")?)?;
        let mode = rules::mode(&mut body, Some(1))?;
        body.opt_bool("holding")?;
        Ok(Operation::Enter {
            agent,
            conversation,
            mode,
        })
    })
    .await
}

/// `POST exit`: `{conversation_id}`.
pub(super) async fn exit(call: Call) -> Response {
    call.run(|call| {
        let agent = call.agent()?;
        let mut body = call.body(&["conversation_id"])?;
        Ok(Operation::Exit {
            agent,
            conversation: rules::hex32("conversation_id", &body.text("conversation_id")?)?,
        })
    })
    .await
}

/// `POST lsm`: `{conversation_id, mode?}` (default 1).
pub(super) async fn lsm(call: Call) -> Response {
    call.run(|call| {
        let agent = call.agent()?;
        let mut body = call.body(&["conversation_id", "mode"])?;
        let conversation = rules::hex32("conversation_id", &body.text("conversation_id")?)?;
        Ok(Operation::Lsm {
            agent,
            conversation,
            mode: rules::mode(&mut body, Some(1))?,
        })
    })
    .await
}

/// `POST reject`: `{queue_id, user_data?}` (`user_data` goes back to an IVR, which the
/// simulation has not: checked and ignored).
pub(super) async fn reject(call: Call) -> Response {
    call.run(|call| {
        let agent = call.agent()?;
        let mut body = call.body(&["queue_id", "user_data"])?;
        let queue_id = rules::hex32("queue_id", &body.text("queue_id")?)?;
        body.opt_any_text("user_data")?;
        Ok(Operation::Reject { agent, queue_id })
    })
    .await
}

/// `GET conversation`: the conversations the agent is in.
pub(super) async fn conversations(call: Call) -> Response {
    call.run(|call| {
        call.query(&[])?;
        Ok(Operation::AgentConversations {
            agent: call.agent()?,
        })
    })
    .await
}

/// Checks a request with `check`, then answers `data: true` without doing anything.
fn accepted_and_ignored(call: &Call, check: impl FnOnce(&Call) -> Result<(), Refusal>) -> Response {
    match check(call) {
        Ok(()) => error::envelope(OK, b"true"),
        Err(refusal) => answer::refusal(&refusal),
    }
}

/// `POST fwd_agent`: `{queue_task_id, enqueue}`.
pub(super) async fn fwd_agent(call: Call) -> Response {
    accepted_and_ignored(&call, |call| {
        call.agent()?;
        let mut body = call.body(&["queue_task_id", "enqueue"])?;
        rules::hex32("queue_task_id", &body.text("queue_task_id")?)?;
        rules::enqueue(call.state_rule(), &mut body)?;
        Ok(())
    })
}

/// `POST xfer_agent`: `{conversation_id, enqueue}`.
pub(super) async fn xfer_agent(call: Call) -> Response {
    accepted_and_ignored(&call, |call| {
        call.agent()?;
        let mut body = call.body(&["conversation_id", "enqueue"])?;
        rules::hex32("conversation_id", &body.text("conversation_id")?)?;
        rules::enqueue(call.state_rule(), &mut body)?;
        Ok(())
    })
}

/// `POST xfer_out`: `{conversation_id, to, from?, max_dial_seconds?,
/// max_answer_seconds}`.
pub(super) async fn xfer_out(call: Call) -> Response {
    accepted_and_ignored(&call, |call| {
        call.agent()?;
        let mut body = call.body(&[
            "conversation_id",
            "to",
            "from",
            "max_dial_seconds",
            "max_answer_seconds",
        ])?;
        rules::hex32("conversation_id", &body.text("conversation_id")?)?;
        dial(&mut body)?;
        Ok(())
    })
}
