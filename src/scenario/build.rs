//! Merging read files into one run and checking what needs all of them: agent names,
//! absolute times, time order, duplicate ids, and finally every timeline through the engine
//! itself (`Engine::check_scripts`), so "could the platform produce this?" has one answer.

use std::ops::Range;
use std::sync::Arc;

use super::de::Located;
use super::load::{ParsedConversation, ParsedFile, Problem, Source};
use super::model::{DistSpec, PartyName, StepFile, StepKind, TypeRates, TypeWeights, When};
use crate::conversation::ConvType;
use crate::event::profile::ProfileName;
use crate::ids::{CallId, ConversationId, Hex32, QueueId, RecordFileId};
use crate::sim::agents::AgentPool;
use crate::sim::engine::Engine;
use crate::sim::script::{PartyRef, ScriptAction, ScriptStep, ScriptedConversation};
use crate::sim::workload::{Behaviour, RateStage, SimPlan, Workload};
use crate::time::SimTime;
use crate::units::{Rate, Span, Speed};

/// Command-line values that change what the files mean (applied before checking).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--start-time` (epoch ms).
    pub start_time: Option<i64>,
    /// `--agents`.
    pub agents: Option<u32>,
    /// `--duration`.
    pub duration: Option<Span>,
}

/// A validated scenario: settings from the files and the engine's plan.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// `name` (the last file that sets it wins, like every setting).
    pub name: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `seed`.
    pub seed: Option<u64>,
    /// `speed`.
    pub speed: Option<Speed>,
    /// `profile`.
    pub profile: Option<ProfileName>,
    /// `events` (only `conversation` is implemented).
    pub events: Vec<String>,
    /// Named agents' skills (kept; the ACD does not route by skill).
    pub skills: Vec<(Arc<str>, Vec<String>)>,
    /// What the engine runs (its seed is `seed` or 0 until the caller decides).
    pub sim: SimPlan,
}

/// Where a scripted conversation came from, to place engine errors.
struct Origin {
    source: Arc<Source>,
    index: usize,
    step_spans: Vec<Range<usize>>,
}

/// Merges `files` (already read without problems) into one scenario.
pub fn build(files: &[ParsedFile], o: &Overrides, now: SimTime) -> Result<Scenario, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut sc = Scenario {
        name: None,
        description: None,
        seed: None,
        speed: None,
        profile: None,
        events: vec!["conversation".into()],
        skills: Vec::new(),
        sim: SimPlan {
            seed: 0,
            start: now,
            agents: Vec::new(),
            subaccount_id: None,
            workload: Workload::none(),
            scripted: Vec::new(),
        },
    };
    let mut start_ms = None;
    for f in files {
        let Some(root) = &f.root else { continue };
        let v = |x: &Option<Located<String>>| x.as_ref().map(|l| l.value.clone());
        sc.name = v(&root.name).or(sc.name.take());
        sc.description = v(&root.description).or(sc.description.take());
        sc.seed = root.seed.as_ref().map(|s| s.value).or(sc.seed);
        sc.speed = root.speed.as_ref().map(|s| s.value).or(sc.speed);
        if let Some(p) = &root.profile {
            sc.profile = super::profile_named(&p.value);
        }
        if let Some(e) = &root.events {
            sc.events = e.value.0.clone();
        }
        start_ms = root.start_time.as_ref().map(|s| s.value.0).or(start_ms);
        if let Some(s) = &root.subaccount_id {
            sc.sim.subaccount_id = Some(Arc::from(s.value.to_ascii_lowercase()));
        }
    }
    let explicit_start = o.start_time.or(start_ms);
    if let Some(ms) = explicit_start {
        sc.sim.start = SimTime::from_millis(ms);
    }

    // Agents: named ones in order of first mention, then generated names up to the count.
    let mut named: Vec<(Arc<str>, Vec<String>)> = Vec::new();
    let mut count: Option<u32> = None;
    let mut names_at: Option<(Arc<Source>, Range<usize>)> = None;
    for f in files {
        let Some(a) = &f.agents else { continue };
        count = match (count, a.count.as_ref()) {
            (Some(c), Some(n)) => Some(c.max(n.value)),
            (c, n) => c.or(n.map(|n| n.value)),
        };
        for e in a.names.as_deref().unwrap_or_default() {
            names_at.get_or_insert((f.source.clone(), e.span.clone()));
            match named.iter_mut().find(|(n, _)| **n == *e.value.name) {
                Some((_, skills)) => skills.extend(e.value.skills.iter().cloned()),
                None => named.push((Arc::from(e.value.name.as_str()), e.value.skills.clone())),
            }
        }
    }
    let count = match (o.agents, count) {
        (Some(n), _) => {
            if (n as usize) < named.len()
                && let Some((src, span)) = &names_at
            {
                problems.push(src.problem(
                    span,
                    format!(
                        "agents.names: --agents {n} is fewer than the {} named agents",
                        named.len()
                    ),
                ));
            }
            n as usize
        }
        (None, Some(c)) => c as usize,
        (None, None) if named.is_empty() => 4,
        (None, None) => named.len(),
    };
    let mut agents: Vec<Arc<str>> = named.iter().map(|(n, _)| n.clone()).collect();
    // Generated names are distinct; only a clash with a named agent needs skipping.
    let taken: std::collections::HashSet<Arc<str>> = agents.iter().cloned().collect();
    for n in AgentPool::default_names(count.saturating_add(named.len())) {
        if agents.len() >= count {
            break;
        }
        if !taken.contains(&n) {
            agents.push(n);
        }
    }
    sc.skills = named;
    sc.sim.agents = agents;

    // The generated workload: at most one file may have one.
    let mut seen: Option<&Arc<Source>> = None;
    for f in files {
        let Some((key, w)) = &f.workload else {
            continue;
        };
        if let Some(first) = seen {
            problems.push(f.source.problem(
                key,
                format!(
                    "workload: only one file may define a generated workload (one is in {})",
                    first.name
                ),
            ));
            continue;
        }
        seen = Some(&f.source);
        sc.sim.workload = workload(w);
    }
    if let Some(d) = o.duration {
        sc.sim.workload.duration = d;
    }

    // Scripted conversations.
    let several = files.len() > 1;
    let mut origins = Vec::new();
    let mut ids: Vec<(ConversationId, String)> = Vec::new();
    for f in files {
        for c in &f.conversations {
            let prefix = format!("conversations[{}]", c.index);
            let before = problems.len();
            let mut conv = conversation(
                c,
                &sc,
                explicit_start.is_some(),
                &f.source,
                &prefix,
                &mut problems,
            );
            conv.label = if several {
                Arc::from(format!("{} {prefix}", f.source.name))
            } else {
                Arc::from(prefix.as_str())
            };
            if let (Some(id), Some(l)) = (conv.id, &c.head.id) {
                let here = format!("{}:{prefix}", f.source.name);
                match ids.iter().find(|(other, _)| *other == id) {
                    Some((_, other)) => problems.push(f.source.problem(
                        &l.span,
                        format!("{prefix}.id: conversation id {id} is also used by {other}"),
                    )),
                    None => ids.push((id, here)),
                }
            }
            if problems.len() == before && c.clean {
                origins.push(Origin {
                    source: f.source.clone(),
                    index: c.index,
                    step_spans: c.steps.iter().map(|s| s.action.span.clone()).collect(),
                });
                sc.sim.scripted.push(conv);
            }
        }
    }
    // Every clean timeline through the engine, unless the agent pool itself is in doubt.
    // Only a conversation's first impossible step is reported: the engine skips it, so the
    // steps after it usually fail only because of it.
    let agents_clean = files.iter().all(|f| f.agents_clean);
    let errors = if agents_clean {
        Engine::check_scripts(&sc.sim)
    } else {
        Vec::new()
    };
    let mut reported = vec![false; origins.len()];
    for e in errors {
        let Some(origin) = origins.get(e.conversation) else {
            continue;
        };
        if std::mem::replace(&mut reported[e.conversation], true) {
            continue;
        }
        let span = origin.step_spans.get(e.step).cloned().unwrap_or(0..0);
        problems.push(origin.source.problem(
            &span,
            format!(
                "conversations[{}].timeline[{}]: {}",
                origin.index, e.step, e.message
            ),
        ));
    }
    if problems.is_empty() {
        sc.sim.seed = sc.seed.unwrap_or(0);
        Ok(sc)
    } else {
        Err(problems)
    }
}

fn split(rate: Rate, mix: &TypeWeights) -> Vec<(ConvType, Rate)> {
    let weights = [
        (ConvType::Queue, mix.queue),
        (ConvType::CallOut, mix.call_out),
        (ConvType::CallAgent, mix.call_agent),
    ];
    let total: f64 = weights.iter().filter_map(|w| w.1).sum();
    weights
        .iter()
        .filter_map(|(t, w)| w.map(|w| (*t, Rate::from_per_second(rate.per_second() * w / total))))
        .collect()
}

fn per_type(rates: &TypeRates) -> Vec<(ConvType, Rate)> {
    [
        (ConvType::Queue, rates.queue),
        (ConvType::CallOut, rates.call_out),
        (ConvType::CallAgent, rates.call_agent),
    ]
    .into_iter()
    .filter_map(|(t, r)| r.map(|r| (t, r)))
    .collect()
}

fn workload(w: &super::model::WorkloadFile) -> Workload {
    let mix = w.mix.as_ref().map(|m| &m.value);
    let total = |rate: &Located<Rate>| mix.map(|m| split(rate.value, m)).unwrap_or_default();
    let mut rates = match (&w.rates, &w.rate) {
        (Some(r), _) => per_type(&r.value),
        (None, Some(rate)) => total(rate),
        (None, None) => Vec::new(),
    };
    let ramp: Vec<RateStage> = w
        .ramp
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|s| RateStage {
            length: s.value.duration.value,
            rates: match (&s.value.rates, &s.value.rate) {
                (Some(r), _) => per_type(&r.value),
                (None, Some(rate)) => total(rate),
                (None, None) => Vec::new(),
            },
        })
        .collect();
    if w.rates.is_none()
        && w.rate.is_none()
        && let Some(last) = ramp.last()
    {
        rates = last.rates.clone(); // the last stage holds until the end
    }
    let ramp_length = ramp.iter().fold(Span::ZERO, |a, s| a + s.length);
    let d = Behaviour::default();
    let dist = |spec: &Option<Located<DistSpec>>, default| match spec.as_ref().map(|s| &s.value) {
        Some(DistSpec::Dist(d)) => d.clone(),
        _ => default,
    };
    let behaviour = Behaviour {
        handle_time: dist(&w.handle_time, d.handle_time),
        patience: match w.patience.as_ref().map(|p| &p.value) {
            Some(DistSpec::Never) => None,
            Some(DistSpec::Dist(x)) => Some(x.clone()),
            None => d.patience,
        },
        queue_timeout: w
            .queue_timeout
            .as_ref()
            .map_or(d.queue_timeout, |t| t.value.0),
        agent_ring: dist(&w.agent_ring, d.agent_ring),
        agent_answer: w.agent_answer.as_ref().map_or(d.agent_answer, |p| p.value),
        fetch_timeout: w
            .fetch_timeout
            .as_ref()
            .map_or(d.fetch_timeout, |p| p.value),
        callee_ring: dist(&w.callee_ring, d.callee_ring),
        callee_answer: w
            .callee_answer
            .as_ref()
            .map_or(d.callee_answer, |p| p.value),
        dial_timeout: w.dial_timeout.as_ref().map_or(d.dial_timeout, |p| p.value),
        customer_hangup: w
            .customer_hangup
            .as_ref()
            .map_or(d.customer_hangup, |p| p.value),
        wrap_up: dist(&w.wrap_up, d.wrap_up),
        user_data: w.user_data.as_ref().map_or(d.user_data, |p| p.value),
    };
    Workload {
        duration: w.duration.as_ref().map_or(ramp_length, |d| d.value),
        rates,
        ramp,
        behaviour,
    }
}

fn hex(v: &Option<Located<String>>) -> Option<Hex32> {
    v.as_ref().and_then(|l| Hex32::parse(&l.value))
}

fn arc(v: &Option<Located<String>>) -> Option<Arc<str>> {
    v.as_ref().map(|l| Arc::from(l.value.as_str()))
}

fn conversation(
    c: &ParsedConversation,
    sc: &Scenario,
    has_start: bool,
    src: &Source,
    prefix: &str,
    problems: &mut Vec<Problem>,
) -> ScriptedConversation {
    let h = &c.head;
    let start = sc.sim.start;
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
        if let Some(action) = action(s, &sc.sim.agents, src, &path, problems) {
            steps.push(ScriptStep {
                at,
                action,
                call_id: hex(&s.call_id).map(CallId),
            });
        }
    }
    if let Some(agent) = &h.agent
        && !sc.sim.agents.iter().any(|a| **a == *agent.value)
    {
        problems.push(src.problem(
            &agent.span,
            format!(
                "{prefix}.agent: {}",
                unknown_agent(&agent.value, &sc.sim.agents)
            ),
        ));
    }
    ScriptedConversation {
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
    }
}

fn unknown_agent(name: &str, agents: &[Arc<str>]) -> String {
    let shown: Vec<String> = agents.iter().take(6).map(|a| format!("{a:?}")).collect();
    let more = if agents.len() > 6 { ", …" } else { "" };
    format!(
        "unknown agent {name:?}; the agents are {}{more} (declare it in [agents] names)",
        shown.join(", ")
    )
}

fn action(
    s: &StepFile,
    agents: &[Arc<str>],
    src: &Source,
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
