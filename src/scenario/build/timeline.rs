//! One scripted conversation of a file as the engine's [`ScriptedConversation`]: `at` and
//! `after` resolved into simulated times (absolute times need a start time and may not come
//! before it; steps must be in time order), agents looked up in the pool, ids decoded.
//! Called by `build` for each conversation that could be read; whether the timeline is
//! possible is then the engine's check.

use std::sync::Arc;

use crate::agent::AgentState;
use crate::ids::{CallId, ConversationId, Hex32, QueueId, RecordFileId};
use crate::scenario::de::Located;
use crate::scenario::model::{ConversationFile, PartyName, StepFile, StepKind, When};
use crate::scenario::problem::{Problem, SourceText};
use crate::scenario::reader::ParsedConversation;
use crate::sim::script::{PartyRef, ScriptAction, ScriptStep, ScriptedConversation};
use crate::time::SimTime;
use crate::units::Span;

/// A 32-hex id field, if given and valid (invalid ones were reported when read).
fn hex(v: &Option<Located<String>>) -> Option<Hex32> {
    v.as_ref().and_then(|l| Hex32::parse(&l.value))
}

/// A text field, shared.
fn arc(v: &Option<Located<String>>) -> Option<Arc<str>> {
    v.as_ref().map(|l| Arc::from(l.value.as_str()))
}

/// Conversation `c` (reported under `prefix`) in a run that starts at `start` (given
/// explicitly when `has_start`) with the agent pool `agents`. Problems go to `problems`; the
/// steps that could not be resolved are left out.
pub(super) fn conversation(
    c: &ParsedConversation,
    start: SimTime,
    has_start: bool,
    agents: &[Arc<str>],
    src: &SourceText,
    prefix: &str,
    problems: &mut Vec<Problem>,
) -> ScriptedConversation {
    let h = &c.head;
    let resolve = |when: &Located<When>, base: SimTime, path: &str, problems: &mut Vec<Problem>| {
        match when.value {
            When::Offset(s) => base + s,
            When::Absolute(ms) => {
                let t = SimTime::from_millis(ms);
                if !has_start {
                    problems.push(src.problem(
                        &when.span,
                        format!(
                            "{path}: an absolute time needs start_time (in the file or --start-time)"
                        ),
                    ));
                } else if t < start {
                    problems.push(src.problem(
                        &when.span,
                        format!("{path}: this time is before the scenario's start_time"),
                    ));
                }
                t
            }
        }
    };
    let base = match &h.at {
        Some(at) => resolve(at, start, &format!("{prefix}.at"), problems),
        None => start,
    };
    let mut steps = Vec::with_capacity(c.steps.len());
    let mut prev = base;
    for (i, s) in c.steps.iter().enumerate() {
        let path = format!("{prefix}.timeline[{i}]");
        let at = match (&s.at, &s.after) {
            (Some(at), _) => resolve(at, base, &format!("{path}.at"), problems),
            (None, Some(after)) => prev + after.value,
            (None, None) => prev,
        };
        if at < prev {
            let span =
                s.at.as_ref()
                    .map_or(s.action.span.clone(), |a| a.span.clone());
            problems.push(src.problem(
                &span,
                format!(
                    "{path}.at: this step (at {}) comes before the previous one (at {}); steps must be in time order",
                    at.since(start),
                    prev.since(start)
                ),
            ));
        }
        prev = at.max(prev);
        if let Some(action) = action(s, agents, src, &path, problems) {
            steps.push(ScriptStep {
                at,
                action,
                call_id: hex(&s.call_id).map(CallId),
            });
        }
    }
    if let Some(agent) = &h.agent
        && !agents.iter().any(|a| **a == *agent.value)
    {
        problems.push(src.problem(
            &agent.span,
            format!("{prefix}.agent: {}", unknown_agent(&agent.value, agents)),
        ));
    }
    ScriptedConversation {
        condition_id: h
            .condition_id
            .as_ref()
            .filter(|c| Hex32::parse(&c.value).is_some())
            .map(|c| Arc::from(c.value.to_ascii_lowercase())),
        reserve_state: reserve_state(h),
        label: Arc::from(prefix),
        kind: h.kind.value,
        id: hex(&h.id).map(ConversationId),
        queue_id: hex(&h.queue_id).map(QueueId),
        record_file: hex(&h.record_file).map(RecordFileId),
        subaccount_id: h
            .subaccount_id
            .as_ref()
            .map(|s| Arc::from(s.value.to_ascii_lowercase())),
        user_data: arc(&h.user_data),
        customer: arc(&h.customer),
        agent: arc(&h.agent),
        callee: arc(&h.callee),
        callee_call_id: hex(&h.callee_call_id).map(CallId),
        end_reason: arc(&h.end_reason),
        steps,
        exact: h.exact_times.as_ref().is_some_and(|e| e.value),
    }
}

/// `reserve_state` and `reserve_for` as the engine's pair (values the checks refused are
/// left out).
fn reserve_state(h: &ConversationFile) -> Option<(AgentState, Option<Span>)> {
    let state = AgentState::parse(&h.reserve_state.as_ref()?.value)?;
    let until = match state {
        AgentState::Busy => h.reserve_for.as_ref().map(|f| f.value),
        _ => None,
    };
    Some((state, until))
}

/// The message for an agent that is not in the pool, naming the first few that are.
fn unknown_agent(name: &str, agents: &[Arc<str>]) -> String {
    let shown: Vec<String> = agents.iter().take(6).map(|a| format!("{a:?}")).collect();
    let more = if agents.len() > 6 { ", …" } else { "" };
    format!(
        "unknown agent {name:?}; the agents are {}{more} (declare it in [agents] names)",
        shown.join(", ")
    )
}

/// What step `s` does, with its party; `None` if it names an unknown agent (reported) or
/// lacks the party it needs (reported when the file was read).
fn action(
    s: &StepFile,
    agents: &[Arc<str>],
    src: &SourceText,
    path: &str,
    problems: &mut Vec<Problem>,
) -> Option<ScriptAction> {
    let agent = match &s.agent {
        Some(a) if !agents.iter().any(|x| **x == *a.value) => {
            problems.push(src.problem(
                &a.span,
                format!("{path}.agent: {}", unknown_agent(&a.value, agents)),
            ));
            return None;
        }
        Some(a) => Some(Arc::<str>::from(a.value.as_str())),
        None => None,
    };
    let number = arc(&s.number);
    let who = match (&agent, &number, s.party.as_ref().map(|p| p.value)) {
        (Some(a), _, _) => Some(PartyRef::Agent(a.clone())),
        (_, Some(n), _) => Some(PartyRef::Number(n.clone())),
        (_, _, Some(PartyName::Customer)) => Some(PartyRef::Customer),
        (_, _, Some(PartyName::Callee)) => Some(PartyRef::Callee),
        _ => None,
    };
    // A missing agent, number or party was reported when the file was read.
    use StepKind as K;
    let act = match s.action.value {
        K::Enqueue => ScriptAction::Enqueue,
        K::Dial => ScriptAction::Dial,
        K::Select => ScriptAction::Select(agent?),
        K::InviteAgent => ScriptAction::InviteAgent(agent?),
        K::InviteOut => ScriptAction::InviteOut(number?),
        K::Ring => ScriptAction::Ring(who?),
        K::Answer => ScriptAction::Answer(who?),
        K::NoAnswer => ScriptAction::NoAnswer(who?),
        K::Hangup => ScriptAction::Hangup(who?),
        K::Leave => ScriptAction::Leave(who?),
        K::Timeout => ScriptAction::Timeout,
        K::Dismiss => ScriptAction::Dismiss,
        K::MaxDuration => ScriptAction::MaxDuration,
    };
    Some(act)
}
