//! The checks that need only one file, run on each part as soon as it is read (by
//! `reader`): values that serde accepted but that make no sense (an empty agent name, a
//! uniform distribution whose min is above its max, a step that names the wrong party, …).
//! Checks that need every file, and the engine's check of each timeline, are in `build`.

use std::ops::Range;

use super::de::Located;
use super::model::{
    AgentEntry, AgentsFile, ConversationFile, DistSpec, FileRoot, PartyName, StepFile, StepKind,
    TypeRates, TypeWeights, WorkloadFile,
};
use super::problem::FileProblems;
use crate::agent::AgentState;
use crate::conversation::ConvType;
use crate::event::profile::ProfileName;
use crate::families::EventFamilies;
use crate::ids::Hex32;
use crate::sim::dist::{BEHAVIOUR_LIMIT, Dist};
use crate::units::Span;

/// Most agents a pool may have (as `--agents`).
pub(super) const MAX_AGENTS: u32 = 100_000;

/// A 32-hex id field, if given.
fn check_hex(p: &mut FileProblems<'_>, field: &Option<Located<String>>, path: &str) {
    if let Some(v) = field
        && Hex32::parse(&v.value).is_none()
    {
        p.at(
            &v.span,
            path,
            format!("expected 32 hexadecimal characters, got {:?}", v.value),
        );
    }
}

/// Top-level settings: the sub-account id, the profile name and the event families.
pub(super) fn check_root(p: &mut FileProblems<'_>, root: &FileRoot) {
    check_hex(p, &root.subaccount_id, "subaccount_id");
    if let Some(profile) = &root.profile
        && let Err(e) = profile.value.parse::<ProfileName>()
    {
        p.at(&profile.span, "profile", e);
    }
    if let Some(events) = &root.events {
        let names = &events.value.0;
        if names.is_empty() {
            p.at(
                &events.span,
                "events",
                "expected at least one of \"conversation\", \"agent\", \"queue\" or \"all\"",
            );
        }
        for name in names {
            if let Err(e) = EventFamilies::parse_one(name) {
                p.at(&events.span, "events", e);
            }
        }
    }
}

/// `[agents]`: names that are empty or given twice, empty skills, the count's range.
pub(super) fn check_agents(p: &mut FileProblems<'_>, a: &AgentsFile) {
    let names = a.names.as_deref().unwrap_or_default();
    for (i, entry) in names.iter().enumerate() {
        let AgentEntry { name, skills } = &entry.value;
        let path = format!("agents.names[{i}]");
        if name.trim().is_empty() {
            p.at(&entry.span, &path, "an agent name cannot be empty");
        }
        if names[..i].iter().any(|e| e.value.name == *name) {
            p.at(&entry.span, &path, format!("agent {name:?} is named twice"));
        }
        if skills.iter().any(|s| s.trim().is_empty()) {
            p.at(&entry.span, &path, "a skill cannot be empty");
        }
    }
    if let Some(count) = &a.count {
        if count.value == 0 {
            p.at(
                &count.span,
                "agents.count",
                "expected at least 1 agent, got 0",
            );
        } else if count.value > MAX_AGENTS {
            p.at(
                &count.span,
                "agents.count",
                format!("expected at most {MAX_AGENTS} agents, got {}", count.value),
            );
        } else if (count.value as usize) < names.len() {
            p.at(
                &count.span,
                "agents.count",
                format!(
                    "{} is fewer than the {} named agents",
                    count.value,
                    names.len()
                ),
            );
        }
    }
}

/// A distribution field: `"never"` only where `never_ok`, and parameters that make sense.
fn check_dist(p: &mut FileProblems<'_>, d: &Option<Located<DistSpec>>, path: &str, never_ok: bool) {
    let Some(d) = d else { return };
    match &d.value {
        DistSpec::Never if !never_ok => p.at(
            &d.span,
            path,
            "\"never\" is only allowed for patience; expected a duration or a distribution",
        ),
        DistSpec::Never => {}
        DistSpec::Dist(Dist::Uniform { min, max }) if min > max => p.at(
            &d.span,
            path,
            format!("uniform: min ({min}) is more than max ({max})"),
        ),
        DistSpec::Dist(Dist::Lognormal { median, p95 }) if p95 < median => p.at(
            &d.span,
            path,
            format!("lognormal: p95 ({p95}) is less than the median ({median})"),
        ),
        DistSpec::Dist(Dist::Lognormal { median, .. }) if *median == Span::ZERO => {
            p.at(&d.span, path, "lognormal: the median must be more than 0s")
        }
        DistSpec::Dist(_) => {}
    }
    if let DistSpec::Dist(dist) = &d.value {
        check_behaviour_span(p, &d.span, path, dist.largest_parameter());
    }
}

/// A behaviour's duration (or a distribution's largest parameter): at most a day.
fn check_behaviour_span(p: &mut FileProblems<'_>, at: &Range<usize>, path: &str, value: Span) {
    if value > BEHAVIOUR_LIMIT {
        p.at(at, path, format!("at most {BEHAVIOUR_LIMIT}, got {value}"));
    }
}

/// `mix`: weights of 0 or more, at least one above 0.
fn check_weights(p: &mut FileProblems<'_>, mix: &Located<TypeWeights>) {
    let w = &mix.value;
    let all = [w.queue, w.call_out, w.call_agent];
    if all.iter().flatten().any(|x| !x.is_finite() || *x < 0.0) {
        p.at(
            &mix.span,
            "workload.mix",
            "weights must be numbers of 0 or more",
        );
    } else if !all.iter().flatten().sum::<f64>().is_finite() {
        p.at(
            &mix.span,
            "workload.mix",
            "the weights add up to more than a number can hold; use smaller ones",
        );
    } else if all.iter().flatten().sum::<f64>() <= 0.0 {
        p.at(
            &mix.span,
            "workload.mix",
            "expected at least one weight above 0, e.g. { queue = 70, call_out = 20, call_agent = 10 }",
        );
    }
}

/// A rate per type: at least one type given.
fn check_rates(p: &mut FileProblems<'_>, rates: &Located<TypeRates>, path: &str) {
    let t = &rates.value;
    if t.queue.is_none() && t.call_out.is_none() && t.call_agent.is_none() {
        p.at(
            &rates.span,
            path,
            "expected at least one of queue, call_out, call_agent, e.g. { queue = \"300/h\" }",
        );
    }
}

/// `[workload]`: how its rate is given (rates, rate with mix, or ramp), its duration, its
/// stages, distributions and timeouts. `key` is where `workload` is written.
pub(super) fn check_workload(p: &mut FileProblems<'_>, w: &WorkloadFile, key: &Range<usize>) {
    let stages = w.ramp.as_deref().unwrap_or_default();
    if let (Some(_), Some(rate)) = (&w.rates, &w.rate) {
        p.at(
            &rate.span,
            "workload.rate",
            "give either rates (per type) or rate with mix, not both",
        );
    }
    if let Some(rate) = &w.rate
        && w.mix.is_none()
    {
        p.at(
            &rate.span,
            "workload.rate",
            "a total rate needs a mix, e.g. mix = { queue = 70, call_out = 20, call_agent = 10 }",
        );
    }
    let stage_uses_mix = stages.iter().any(|s| s.value.rate.is_some());
    if let Some(mix) = &w.mix {
        if w.rate.is_none() && !stage_uses_mix {
            p.at(
                &mix.span,
                "workload.mix",
                "mix splits a total rate: add rate (or ramp stages with rate)",
            );
        }
        check_weights(p, mix);
    }
    if let Some(rates) = &w.rates {
        check_rates(p, rates, "workload.rates");
    }
    if w.rates.is_none() && w.rate.is_none() && stages.is_empty() {
        p.at(
            key,
            "workload",
            "no arrival rate: give rates (per type), rate with mix, or ramp",
        );
    }
    if w.duration.is_none() && stages.is_empty() {
        p.at(
            key,
            "workload",
            "missing field `duration` (how long arrivals keep coming, e.g. \"10m\")",
        );
    }
    if let Some(ramp) = &w.ramp
        && ramp.is_empty()
    {
        p.at(key, "workload.ramp", "expected at least one stage");
    }
    for (i, stage) in stages.iter().enumerate() {
        let path = format!("workload.ramp[{i}]");
        let s = &stage.value;
        match (&s.rate, &s.rates) {
            (Some(_), Some(_)) | (None, None) => p.at(
                &stage.span,
                &path,
                "expected exactly one of rate (split by the workload's mix) or rates (per type)",
            ),
            (Some(rate), None) if w.mix.is_none() => p.at(
                &rate.span,
                &format!("{path}.rate"),
                "a total rate needs the workload's mix, e.g. mix = { queue = 70, call_out = 30 }",
            ),
            (None, Some(rates)) => check_rates(p, rates, &format!("{path}.rates")),
            _ => {}
        }
        if s.duration.value == Span::ZERO {
            p.at(
                &s.duration.span,
                &format!("{path}.duration"),
                "a stage must last more than 0s",
            );
        }
    }
    check_dist(p, &w.handle_time, "workload.handle_time", false);
    check_dist(p, &w.patience, "workload.patience", true);
    check_dist(p, &w.agent_ring, "workload.agent_ring", false);
    check_dist(p, &w.callee_ring, "workload.callee_ring", false);
    check_dist(p, &w.wrap_up, "workload.wrap_up", false);
    for (field, value) in [
        ("workload.fetch_timeout", &w.fetch_timeout),
        ("workload.dial_timeout", &w.dial_timeout),
    ] {
        if let Some(v) = value {
            if v.value == Span::ZERO {
                p.at(&v.span, field, "expected more than 0s");
            }
            check_behaviour_span(p, &v.span, field, v.value);
        }
    }
    if let Some(t) = &w.queue_timeout
        && let Some(v) = t.value.0
    {
        check_behaviour_span(p, &t.span, "workload.queue_timeout", v);
    }
    let ramp_length = stages
        .iter()
        .fold(Span::ZERO, |sum, s| sum + s.value.duration.value);
    if ramp_length > Span::LIMIT
        && let Some(last) = stages.last()
    {
        p.at(
            &last.span,
            "workload.ramp",
            format!(
                "the stages last {ramp_length} in all; at most {} (a year)",
                Span::LIMIT
            ),
        );
    }
}

/// A scripted conversation's own fields: ids, the fields its type does not have, its
/// initiating agent.
pub(super) fn check_conversation(p: &mut FileProblems<'_>, c: &ConversationFile, prefix: &str) {
    let kind = c.kind.value;
    for (field, value) in [
        ("id", &c.id),
        ("queue_id", &c.queue_id),
        ("record_file", &c.record_file),
        ("subaccount_id", &c.subaccount_id),
        ("callee_call_id", &c.callee_call_id),
        ("condition_id", &c.condition_id),
    ] {
        check_hex(p, value, &format!("{prefix}.{field}"));
    }
    check_reserve(p, c, prefix);
    let not_for =
        |field: &str, value: &Option<Located<String>>, why: &str, p: &mut FileProblems<'_>| {
            if let Some(v) = value {
                p.at(&v.span, &format!("{prefix}.{field}"), why);
            }
        };
    match kind {
        ConvType::Queue => {
            not_for(
                "agent",
                &c.agent,
                "a queue conversation has no initiating agent: a select step names the agent the ACD picks",
                p,
            );
            not_for("callee", &c.callee, "only call_out has a callee", p);
            not_for(
                "callee_call_id",
                &c.callee_call_id,
                "only call_out has a callee",
                p,
            );
        }
        ConvType::CallOut => {
            not_for("customer", &c.customer, "only queue has a customer", p);
            not_for(
                "queue_id",
                &c.queue_id,
                "call_out does not go through a queue",
                p,
            );
            not_for(
                "condition_id",
                &c.condition_id,
                "call_out does not go through a queue",
                p,
            );
        }
        ConvType::CallAgent => {
            not_for("customer", &c.customer, "only queue has a customer", p);
            not_for(
                "condition_id",
                &c.condition_id,
                "a call_agent conversation queues on no condition (the platform sends its queue \
                 events without condition_id); only queue conversations have one",
                p,
            );
            not_for("callee", &c.callee, "only call_out has a callee", p);
            not_for(
                "callee_call_id",
                &c.callee_call_id,
                "only call_out has a callee",
                p,
            );
        }
    }
    if kind != ConvType::Queue && c.agent.is_none() {
        p.at(
            &c.kind.span,
            prefix,
            format!("a {kind} conversation needs agent (the agent who places the call)"),
        );
    }
    if let Some(v) = &c.end_reason
        && v.value.trim().is_empty()
    {
        p.at(&v.span, &format!("{prefix}.end_reason"), "cannot be empty");
    }
}

/// `reserve_state` (`idle` or `busy`, only for the types that queue through an enqueue)
/// and `reserve_for` (a duration above 0 and at most a day, only with `busy`).
fn check_reserve(p: &mut FileProblems<'_>, c: &ConversationFile, prefix: &str) {
    let state = c
        .reserve_state
        .as_ref()
        .map(|s| (s, AgentState::parse(&s.value)));
    if let Some((s, parsed)) = &state {
        let path = format!("{prefix}.reserve_state");
        if c.kind.value == ConvType::CallOut {
            p.at(
                &s.span,
                &path,
                "call_out does not go through a queue; reserve_state is the enqueue's, for \
                 queue and call_agent conversations",
            );
        } else if !matches!(parsed, Some(AgentState::Idle | AgentState::Busy)) {
            p.at(
                &s.span,
                &path,
                format!(
                    "expected \"idle\" or \"busy\" (the state the selected agents take when \
                     their call is released), got {:?}",
                    s.value
                ),
            );
        }
    }
    if let Some(f) = &c.reserve_for {
        let path = format!("{prefix}.reserve_for");
        match &state {
            Some((_, Some(AgentState::Busy))) => {
                if f.value == Span::ZERO {
                    p.at(
                        &f.span,
                        &path,
                        "expected more than 0s (for no busy time at all, reserve_state = \"idle\")",
                    );
                }
                check_behaviour_span(p, &f.span, &path, f.value);
            }
            Some((_, Some(_))) => p.at(
                &f.span,
                &path,
                "reserve_for is how long the agents stay busy: it needs reserve_state = \"busy\"",
            ),
            Some((_, None)) => {}
            None => p.at(
                &f.span,
                &path,
                "reserve_for needs reserve_state = \"busy\" (how long the agents stay busy)",
            ),
        }
    }
}

/// Step `i` of conversation `c` on its own: at or after, which steps may come first, who
/// the step is about, `call_id` and `party`. Whether the timeline is possible as a whole is
/// the engine's check (in `build`).
pub(super) fn check_step(
    p: &mut FileProblems<'_>,
    c: &ConversationFile,
    s: &StepFile,
    i: usize,
    path: &str,
) {
    use StepKind as K;
    let kind = c.kind.value;
    let act = s.action.value;
    let name = act.name();
    if let (Some(_), Some(after)) = (&s.at, &s.after) {
        p.at(
            &after.span,
            &format!("{path}.after"),
            "give either at or after, not both",
        );
    }
    let first = matches!(act, K::Enqueue | K::Dial);
    if i == 0 && !first {
        let want = if kind == ConvType::Queue {
            "enqueue"
        } else {
            "dial"
        };
        p.at(
            &s.action.span,
            &format!("{path}.do"),
            format!("the first step of a {kind} conversation must be {want}, got {name}"),
        );
    }
    if i > 0 && first {
        p.at(
            &s.action.span,
            &format!("{path}.do"),
            format!("{name} can only be the first step"),
        );
    }
    if i == 0 && act == K::Enqueue && kind != ConvType::Queue {
        p.at(
            &s.action.span,
            &format!("{path}.do"),
            format!("a {kind} conversation starts with dial, not enqueue"),
        );
    }
    if i == 0 && act == K::Dial && kind == ConvType::Queue {
        p.at(
            &s.action.span,
            &format!("{path}.do"),
            "a queue conversation starts with enqueue, not dial",
        );
    }
    let (agent, number, party) = (s.agent.is_some(), s.number.is_some(), s.party.is_some());
    let who = [agent, number, party].iter().filter(|x| **x).count();
    let (what, ok) = match act {
        K::Select | K::InviteAgent => (
            "exactly agent (the agent's name)",
            agent && !number && !party,
        ),
        K::InviteOut => (
            "exactly number (the external number)",
            number && !agent && !party,
        ),
        K::Ring | K::Answer | K::NoAnswer | K::Hangup | K::Leave => {
            ("exactly one of agent, number or party", who == 1)
        }
        K::Enqueue | K::Dial | K::Timeout | K::Dismiss | K::MaxDuration => {
            ("none of agent, number or party", who == 0)
        }
    };
    if !ok {
        p.at(&s.action.span, path, format!("{name} takes {what}"));
    }
    if let Some(cid) = &s.call_id {
        if !matches!(
            act,
            K::Enqueue | K::Dial | K::Select | K::InviteAgent | K::InviteOut
        ) {
            p.at(
                &cid.span,
                &format!("{path}.call_id"),
                format!("{name} creates no call; call_id is for enqueue, dial, select and invites"),
            );
        }
        check_hex(p, &s.call_id, &format!("{path}.call_id"));
    }
    if let Some(party) = &s.party {
        let ok = match party.value {
            PartyName::Customer => kind == ConvType::Queue,
            PartyName::Callee => kind == ConvType::CallOut,
        };
        if !ok {
            let (role, owner) = match party.value {
                PartyName::Customer => ("customer", "queue"),
                PartyName::Callee => ("callee", "call_out"),
            };
            p.at(
                &party.span,
                &format!("{path}.party"),
                format!("a {kind} conversation has no {role} (only {owner} has one)"),
            );
        }
    }
}
