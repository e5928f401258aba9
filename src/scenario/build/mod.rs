//! Merging the read files into one [`Scenario`] and checking what needs all of them: agent
//! names, absolute times, time order, duplicate ids, and finally every timeline through the
//! engine itself (`Engine::check_scripts`), so "could the platform produce this?" has one
//! answer. Called by [`load_texts`](super::load_texts) with what [`reader`](super::reader)
//! read; [`workload`](mod@workload) and [`timeline`] turn the file's parts into the engine's types.

mod timeline;
mod workload;

use std::ops::Range;
use std::sync::Arc;

use self::timeline::conversation;
use self::workload::workload;
use crate::event::profile::ProfileName;
use crate::families::EventFamilies;
use crate::ids::ConversationId;
use crate::scenario::de::Located;
use crate::scenario::problem::{Problem, SourceText};
use crate::scenario::reader::ParsedFile;
use crate::sim::agents::AgentPool;
use crate::sim::engine::Engine;
use crate::sim::script::{PartyRef, ScriptCheck};
use crate::sim::workload::{DEFAULT_MAX_LIVE, Mechanics, SimPlan, Workload};
use crate::time::SimTime;
use crate::units::{Span, Speed};

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
    /// `events`: the event families to send (`None`: not set, the default applies).
    pub events: Option<EventFamilies>,
    /// Named agents' skills (kept; the ACD does not route by skill).
    pub skills: Vec<(Arc<str>, Vec<String>)>,
    /// What the engine runs (its seed is `seed` or 0 until the caller decides).
    pub sim: SimPlan,
    /// What is valid but probably not meant (a conversation only the 6-hour limit ends),
    /// located like problems; `validate` and `run` print them and carry on.
    pub warnings: Vec<Problem>,
}

/// Where a scripted conversation came from, to place engine errors.
struct Origin {
    source: Arc<SourceText>,
    index: usize,
    step_spans: Vec<Range<usize>>,
}

/// Merges `files` (what could be read of each, clean or not) into one scenario, or returns
/// the problems that only the merge and the engine find.
pub(super) fn build(
    files: &[ParsedFile],
    o: &Overrides,
    now: SimTime,
) -> Result<Scenario, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut sc = Scenario {
        name: None,
        description: None,
        seed: None,
        speed: None,
        profile: None,
        events: None,
        skills: Vec::new(),
        warnings: Vec::new(),
        sim: SimPlan {
            seed: 0,
            start: now,
            agents: Vec::new(),
            agent_numbers: Vec::new(),
            shard: crate::shard::Shard::WHOLE,
            subaccount_id: None,
            workload: Workload::none(),
            scripted: Vec::new(),
            mechanics: Mechanics::default(),
            max_live: DEFAULT_MAX_LIVE,
            events: EventFamilies::default(),
            abandoned_tasks: crate::sim::workload::AbandonedTasks::default(),
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
            sc.profile = p.value.parse().ok();
        }
        if let Some(e) = &root.events {
            // A bad name was reported when the file was read.
            sc.events = EventFamilies::parse_list(e.value.0.iter().map(String::as_str))
                .ok()
                .or(sc.events);
        }
        start_ms = root.start_time.as_ref().map(|s| s.value.0).or(start_ms);
        if let Some(s) = &root.subaccount_id {
            sc.sim.subaccount_id = Some(Arc::from(s.value.to_ascii_lowercase()));
        }
    }
    sc.sim.events = sc.events.unwrap_or_default();
    let explicit_start = o.start_time.or(start_ms);
    if let Some(ms) = explicit_start {
        sc.sim.start = SimTime::from_millis(ms);
    }

    // Agents: named ones in order of first mention, then generated names up to the count.
    let mut named: Vec<(Arc<str>, Vec<String>)> = Vec::new();
    let mut count: Option<u32> = None;
    let mut names_at: Option<(Arc<SourceText>, Range<usize>)> = None;
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
    let mut seen: Option<&Arc<SourceText>> = None;
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
                sc.sim.start,
                explicit_start.is_some(),
                &sc.sim.agents,
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
    let check = if agents_clean {
        Engine::check_scripts(&sc.sim)
    } else {
        ScriptCheck::default()
    };
    for capped in &check.capped {
        let Some(origin) = origins.get(capped.conversation) else {
            continue;
        };
        let span = origin.step_spans.last().cloned().unwrap_or(0..0);
        sc.warnings.push(
            origin
                .source
                .problem(&span, capped_warning(origin.index, &capped.still_in)),
        );
    }
    let mut reported = vec![false; origins.len()];
    for e in check.errors {
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

/// The warning for scripted conversation `index` that only the 6-hour limit ends, with
/// `still_in` its members then, and the step that would end it.
fn capped_warning(index: usize, still_in: &[PartyRef]) -> String {
    let who: Vec<String> = still_in.iter().map(ToString::to_string).collect();
    let who = match who.as_slice() {
        [] => "nobody hangs up".to_owned(),
        [one] => format!("{one} is still in it"),
        [init @ .., last] => format!("{} and {last} are still in it", init.join(", ")),
    };
    // Hanging up all members but one releases it; the last one goes with the release.
    let hangups: Vec<String> = still_in
        .iter()
        .take(still_in.len().saturating_sub(1).max(1))
        .map(|p| format!("{{ after = \"…\", do = \"hangup\", {} }}", p.step_field()))
        .collect();
    format!(
        "conversations[{index}]: warning: only the platform's 6-hour limit ends this \
         conversation: {who} after its last step, so it ends by max_duration 6 hours after \
         it was created (6 real hours at speed 1). End it with {} (a conversation is \
         released when one member is left), or {{ after = \"…\", do = \"dismiss\" }}; or \
         end it at the limit on purpose with {{ do = \"max_duration\" }} at the time you mean",
        hangups.join(" and ")
    )
}
