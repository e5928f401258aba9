//! Reading one file: syntax, then the model part by part (root settings, agents, workload,
//! each conversation, each step), then the checks that need only that file. Every problem is
//! collected with its position; nothing here stops at the first one.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use super::de::{DeError, Located, from_node};
use super::model::{
    AgentEntry, AgentsFile, ConversationFile, DistSpec, FileRoot, StepFile, StepKind, TypeRates,
    TypeWeights, WorkloadFile,
};
use super::node::{self, Node, Syntax, Value};
use crate::conversation::ConvType;
use crate::ids::Hex32;
use crate::sim::dist::Dist;
use crate::units::Span;

/// Most agents a pool may have (as `--agents`).
pub const MAX_AGENTS: u32 = 100_000;

/// One problem in a scenario file: `FILE:LINE:COLUMN: message`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// The file as named on the command line.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (characters).
    pub column: usize,
    /// What is wrong, naming the field and what was expected.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// A file's name and text.
#[derive(Debug)]
pub struct Source {
    /// The name problems are reported under.
    pub name: String,
    /// The text.
    pub text: String,
}

impl Source {
    /// A problem at byte range `span`.
    pub fn problem(&self, span: &Range<usize>, message: impl fmt::Display) -> Problem {
        let (line, column) = node::line_col(&self.text, span.start);
        Problem {
            file: self.name.clone(),
            line,
            column,
            message: message.to_string(),
        }
    }
}

/// A file after reading: the parts that could be read, and the problems found.
#[derive(Debug)]
pub struct ParsedFile {
    /// Name and text.
    pub source: Arc<Source>,
    /// Top-level settings (`None` if they could not be read).
    pub root: Option<FileRoot>,
    /// `[agents]`.
    pub agents: Option<AgentsFile>,
    /// `[workload]`, with the span of its key.
    pub workload: Option<(Range<usize>, WorkloadFile)>,
    /// Scripted conversations that could be read.
    pub conversations: Vec<ParsedConversation>,
    /// Whether `[agents]` (if any) was read without problems.
    pub agents_clean: bool,
}

/// One scripted conversation and its steps.
#[derive(Debug)]
pub struct ParsedConversation {
    /// Index in the file's `conversations`.
    pub index: usize,
    /// Its fields.
    pub head: ConversationFile,
    /// Its steps.
    pub steps: Vec<StepFile>,
    /// Whether reading it found no problem (only clean conversations reach the engine).
    pub clean: bool,
}

/// Problems collected while reading one file.
struct Reader<'a> {
    source: &'a Source,
    problems: Vec<Problem>,
}

impl Reader<'_> {
    fn at(&mut self, span: &Range<usize>, path: &str, message: impl fmt::Display) {
        let message = if path.is_empty() {
            message.to_string()
        } else {
            format!("{path}: {message}")
        };
        self.problems.push(self.source.problem(span, message));
    }

    /// Deserializes a `T` from `node`, reporting every field that is wrong, not only the
    /// first: for a table, each entry is first tried on its own. `None` if anything failed.
    fn de<T: DeserializeOwned>(&mut self, node: &Node, prefix: &str) -> Option<T> {
        let Value::Table(entries) = &node.value else {
            return self.de_whole(node, node, prefix);
        };
        let mut kept = Vec::with_capacity(entries.len());
        let mut failed = Vec::new();
        for entry in entries {
            let alone = Node {
                span: node.span.clone(),
                value: Value::Table(vec![entry.clone()]),
            };
            match from_node::<T>(&alone) {
                // Another field is missing: the whole table will say so once.
                Err(e) if !e.message.starts_with("missing field") => {
                    self.de_error(e, node, prefix);
                    failed.push(format!("missing field `{}`", entry.0.name));
                }
                _ => kept.push(entry.clone()),
            }
        }
        let rest = Node {
            span: node.span.clone(),
            value: Value::Table(kept),
        };
        match from_node::<T>(&rest) {
            Ok(v) if failed.is_empty() => Some(v),
            Ok(_) => None,
            // A field left out above because it was wrong is not missing.
            Err(e) if failed.contains(&e.message) => None,
            Err(e) => {
                self.de_error(e, node, prefix);
                None
            }
        }
    }

    fn de_whole<T: DeserializeOwned>(&mut self, node: &Node, at: &Node, prefix: &str) -> Option<T> {
        match from_node::<T>(node) {
            Ok(v) => Some(v),
            Err(e) => {
                self.de_error(e, at, prefix);
                None
            }
        }
    }

    fn de_error(&mut self, e: DeError, node: &Node, prefix: &str) {
        let inner = e.path();
        let path = match (prefix.is_empty(), inner.is_empty()) {
            (_, true) => prefix.to_string(),
            (true, false) => inner,
            (false, false) if inner.starts_with('[') => format!("{prefix}{inner}"),
            (false, false) => format!("{prefix}.{inner}"),
        };
        let span = e.span.clone().unwrap_or(node.span.clone());
        self.at(&span, &path, plain(&e.message));
    }

    fn hex(&mut self, field: &Option<Located<String>>, path: &str) {
        if let Some(v) = field
            && Hex32::parse(&v.value).is_none()
        {
            self.at(
                &v.span,
                path,
                format!("expected 32 hexadecimal characters, got {:?}", v.value),
            );
        }
    }
}

/// serde's messages in the file's words: tables and lists, not structs and sequences.
fn plain(message: &str) -> String {
    let mut m = message.to_string();
    if let Some(i) = m.find("expected struct ") {
        m.replace_range(i.., "expected a table");
    }
    if let Some(i) = m.find("expected enum ") {
        m.replace_range(i.., "expected a string");
    }
    for (from, to) in [
        ("expected u64", "expected a whole number of 0 or more"),
        ("expected u32", "expected a whole number of 0 or more"),
        ("expected f64", "expected a number"),
        ("expected a sequence", "expected a list"),
        ("invalid type: map", "invalid type: table"),
        ("invalid type: sequence", "invalid type: list"),
    ] {
        m = m.replace(from, to);
    }
    m
}

/// The syntax of a file, from its extension.
pub fn syntax_of(name: &str) -> Option<Syntax> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".toml") {
        Some(Syntax::Toml)
    } else if lower.ends_with(".json") {
        Some(Syntax::Json)
    } else {
        None
    }
}

/// Reads one file's text. Returns what could be read and every problem found.
pub fn read(source: Arc<Source>, syntax: Syntax) -> (ParsedFile, Vec<Problem>) {
    let mut file = ParsedFile {
        source: source.clone(),
        root: None,
        agents: None,
        workload: None,
        conversations: Vec::new(),
        agents_clean: true,
    };
    let mut r = Reader {
        source: &source,
        problems: Vec::new(),
    };
    let root = match node::parse(&source.text, syntax) {
        Ok(root) => root,
        Err(e) => {
            let (line, column) = e
                .line_col
                .unwrap_or_else(|| node::line_col(&source.text, e.offset.unwrap_or(0)));
            r.problems.push(Problem {
                file: source.name.clone(),
                line,
                column,
                message: format!("syntax error: {}", e.message),
            });
            return (file, r.problems);
        }
    };
    if !matches!(root.value, Value::Table(_)) {
        r.at(
            &root.span,
            "",
            "expected a table (JSON object) at the top level",
        );
        return (file, r.problems);
    }
    file.root = r.de::<FileRoot>(&root, "");
    if let Some(root) = &file.root {
        check_root(&mut r, root);
    }
    if let Some(agents) = root.get("agents") {
        let before = r.problems.len();
        file.agents = r.de::<AgentsFile>(agents, "agents");
        if let Some(a) = &file.agents {
            check_agents(&mut r, a);
        }
        file.agents_clean = r.problems.len() == before;
    }
    if let Some(workload) = root.get("workload") {
        let key = root
            .key("workload")
            .map_or(workload.span.clone(), |k| k.span.clone());
        if let Some(w) = r.de::<WorkloadFile>(workload, "workload") {
            check_workload(&mut r, &w, &key);
            file.workload = Some((key, w));
        }
    }
    if let Some(convs) = root.get("conversations") {
        match &convs.value {
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    if let Some(c) = read_conversation(&mut r, item, index) {
                        file.conversations.push(c);
                    }
                }
            }
            _ => r.at(
                &convs.span,
                "conversations",
                "expected a list of conversations ([[conversations]] in TOML, an array in JSON)",
            ),
        }
    }
    (file, r.problems)
}

fn check_root(r: &mut Reader<'_>, root: &FileRoot) {
    r.hex(&root.subaccount_id, "subaccount_id");
    if let Some(p) = &root.profile
        && super::profile_named(&p.value).is_none()
    {
        let names = super::profile_names().join(", ");
        r.at(
            &p.span,
            "profile",
            format!("expected one of {names}, got {:?}", p.value),
        );
    }
    if let Some(events) = &root.events {
        for family in &events.value.0 {
            match family.as_str() {
                "conversation" => {}
                "agent" | "queue" | "all" => r.at(
                    &events.span,
                    "events",
                    format!(
                        "{family:?} events are not implemented in this build; only \"conversation\" is"
                    ),
                ),
                other => r.at(
                    &events.span,
                    "events",
                    format!("expected \"conversation\", \"agent\", \"queue\" or \"all\", got {other:?}"),
                ),
            }
        }
    }
}

fn check_agents(r: &mut Reader<'_>, a: &AgentsFile) {
    let names = a.names.as_deref().unwrap_or_default();
    for (i, entry) in names.iter().enumerate() {
        let AgentEntry { name, skills } = &entry.value;
        let path = format!("agents.names[{i}]");
        if name.trim().is_empty() {
            r.at(&entry.span, &path, "an agent name cannot be empty");
        }
        if names[..i].iter().any(|e| e.value.name == *name) {
            r.at(&entry.span, &path, format!("agent {name:?} is named twice"));
        }
        if skills.iter().any(|s| s.trim().is_empty()) {
            r.at(&entry.span, &path, "a skill cannot be empty");
        }
    }
    if let Some(count) = &a.count {
        if count.value == 0 {
            r.at(
                &count.span,
                "agents.count",
                "expected at least 1 agent, got 0",
            );
        } else if count.value > MAX_AGENTS {
            r.at(
                &count.span,
                "agents.count",
                format!("expected at most {MAX_AGENTS} agents, got {}", count.value),
            );
        } else if (count.value as usize) < names.len() {
            r.at(
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

fn check_dist(r: &mut Reader<'_>, d: &Option<Located<DistSpec>>, path: &str, never_ok: bool) {
    let Some(d) = d else { return };
    match &d.value {
        DistSpec::Never if !never_ok => r.at(
            &d.span,
            path,
            "\"never\" is only allowed for patience; expected a duration or a distribution",
        ),
        DistSpec::Never => {}
        DistSpec::Dist(Dist::Uniform { min, max }) if min > max => r.at(
            &d.span,
            path,
            format!("uniform: min ({min}) is more than max ({max})"),
        ),
        DistSpec::Dist(Dist::Lognormal { median, p95 }) if p95 < median => r.at(
            &d.span,
            path,
            format!("lognormal: p95 ({p95}) is less than the median ({median})"),
        ),
        DistSpec::Dist(Dist::Lognormal { median, .. }) if *median == Span::ZERO => {
            r.at(&d.span, path, "lognormal: the median must be more than 0s")
        }
        DistSpec::Dist(_) => {}
    }
}

fn check_weights(r: &mut Reader<'_>, mix: &Located<TypeWeights>) {
    let w = &mix.value;
    let all = [w.queue, w.call_out, w.call_agent];
    if all.iter().flatten().any(|x| !x.is_finite() || *x < 0.0) {
        r.at(
            &mix.span,
            "workload.mix",
            "weights must be numbers of 0 or more",
        );
    } else if all.iter().flatten().sum::<f64>() <= 0.0 {
        r.at(
            &mix.span,
            "workload.mix",
            "expected at least one weight above 0, e.g. { queue = 70, call_out = 20, call_agent = 10 }",
        );
    }
}

fn check_rates(r: &mut Reader<'_>, rates: &Located<TypeRates>, path: &str) {
    let t = &rates.value;
    if t.queue.is_none() && t.call_out.is_none() && t.call_agent.is_none() {
        r.at(
            &rates.span,
            path,
            "expected at least one of queue, call_out, call_agent, e.g. { queue = \"300/h\" }",
        );
    }
}

fn check_workload(r: &mut Reader<'_>, w: &WorkloadFile, key: &Range<usize>) {
    let stages = w.ramp.as_deref().unwrap_or_default();
    if let (Some(_), Some(rate)) = (&w.rates, &w.rate) {
        r.at(
            &rate.span,
            "workload.rate",
            "give either rates (per type) or rate with mix, not both",
        );
    }
    if let Some(rate) = &w.rate
        && w.mix.is_none()
    {
        r.at(
            &rate.span,
            "workload.rate",
            "a total rate needs a mix, e.g. mix = { queue = 70, call_out = 20, call_agent = 10 }",
        );
    }
    let stage_uses_mix = stages.iter().any(|s| s.value.rate.is_some());
    if let Some(mix) = &w.mix {
        if w.rate.is_none() && !stage_uses_mix {
            r.at(
                &mix.span,
                "workload.mix",
                "mix splits a total rate: add rate (or ramp stages with rate)",
            );
        }
        check_weights(r, mix);
    }
    if let Some(rates) = &w.rates {
        check_rates(r, rates, "workload.rates");
    }
    if w.rates.is_none() && w.rate.is_none() && stages.is_empty() {
        r.at(
            key,
            "workload",
            "no arrival rate: give rates (per type), rate with mix, or ramp",
        );
    }
    if w.duration.is_none() && stages.is_empty() {
        r.at(
            key,
            "workload",
            "missing field `duration` (how long arrivals keep coming, e.g. \"10m\")",
        );
    }
    if let Some(ramp) = &w.ramp
        && ramp.is_empty()
    {
        r.at(key, "workload.ramp", "expected at least one stage");
    }
    for (i, stage) in stages.iter().enumerate() {
        let path = format!("workload.ramp[{i}]");
        let s = &stage.value;
        match (&s.rate, &s.rates) {
            (Some(_), Some(_)) | (None, None) => r.at(
                &stage.span,
                &path,
                "expected exactly one of rate (split by the workload's mix) or rates (per type)",
            ),
            (Some(rate), None) if w.mix.is_none() => r.at(
                &rate.span,
                &format!("{path}.rate"),
                "a total rate needs the workload's mix, e.g. mix = { queue = 70, call_out = 30 }",
            ),
            (None, Some(rates)) => check_rates(r, rates, &format!("{path}.rates")),
            _ => {}
        }
        if s.duration.value == Span::ZERO {
            r.at(
                &s.duration.span,
                &format!("{path}.duration"),
                "a stage must last more than 0s",
            );
        }
    }
    check_dist(r, &w.handle_time, "workload.handle_time", false);
    check_dist(r, &w.patience, "workload.patience", true);
    check_dist(r, &w.agent_ring, "workload.agent_ring", false);
    check_dist(r, &w.callee_ring, "workload.callee_ring", false);
    check_dist(r, &w.wrap_up, "workload.wrap_up", false);
    for (field, value) in [
        ("workload.fetch_timeout", &w.fetch_timeout),
        ("workload.dial_timeout", &w.dial_timeout),
    ] {
        if let Some(v) = value
            && v.value == Span::ZERO
        {
            r.at(&v.span, field, "expected more than 0s");
        }
    }
}

fn read_conversation(r: &mut Reader<'_>, node: &Node, index: usize) -> Option<ParsedConversation> {
    let before = r.problems.len();
    let prefix = format!("conversations[{index}]");
    let head = r.de::<ConversationFile>(node, &prefix);
    let mut steps = Vec::new();
    let mut steps_ok = true;
    match node.get("timeline").map(|t| &t.value) {
        Some(Value::Array(items)) => {
            if items.is_empty()
                && let Some(t) = node.get("timeline")
            {
                r.at(
                    &t.span,
                    &format!("{prefix}.timeline"),
                    "expected at least one step",
                );
                steps_ok = false;
            }
            for (i, item) in items.iter().enumerate() {
                match r.de::<StepFile>(item, &format!("{prefix}.timeline[{i}]")) {
                    Some(step) => steps.push(step),
                    None => steps_ok = false,
                }
            }
        }
        Some(_) => {
            if let Some(t) = node.get("timeline") {
                r.at(
                    &t.span,
                    &format!("{prefix}.timeline"),
                    "expected a list of steps",
                );
            }
            steps_ok = false;
        }
        None => steps_ok = false, // reported by the head as a missing field
    }
    let head = head?;
    check_conversation(r, &head, &prefix);
    if !steps_ok {
        return None;
    }
    for (i, step) in steps.iter().enumerate() {
        check_step(r, &head, step, i, &format!("{prefix}.timeline[{i}]"));
    }
    let clean = r.problems.len() == before;
    Some(ParsedConversation {
        index,
        head,
        steps,
        clean,
    })
}

fn check_conversation(r: &mut Reader<'_>, c: &ConversationFile, prefix: &str) {
    let kind = c.kind.value;
    for (field, value) in [
        ("id", &c.id),
        ("queue_id", &c.queue_id),
        ("record_file", &c.record_file),
        ("subaccount_id", &c.subaccount_id),
        ("callee_call_id", &c.callee_call_id),
    ] {
        r.hex(value, &format!("{prefix}.{field}"));
    }
    let not_for = |field: &str, value: &Option<Located<String>>, why: &str, r: &mut Reader<'_>| {
        if let Some(v) = value {
            r.at(&v.span, &format!("{prefix}.{field}"), why);
        }
    };
    match kind {
        ConvType::Queue => {
            not_for(
                "agent",
                &c.agent,
                "a queue conversation has no initiating agent: a select step names the agent the ACD picks",
                r,
            );
            not_for("callee", &c.callee, "only call_out has a callee", r);
            not_for(
                "callee_call_id",
                &c.callee_call_id,
                "only call_out has a callee",
                r,
            );
        }
        ConvType::CallOut => {
            not_for("customer", &c.customer, "only queue has a customer", r);
            not_for(
                "queue_id",
                &c.queue_id,
                "call_out does not go through a queue",
                r,
            );
        }
        ConvType::CallAgent => {
            not_for("customer", &c.customer, "only queue has a customer", r);
            not_for("callee", &c.callee, "only call_out has a callee", r);
            not_for(
                "callee_call_id",
                &c.callee_call_id,
                "only call_out has a callee",
                r,
            );
        }
    }
    if kind != ConvType::Queue && c.agent.is_none() {
        r.at(
            &c.kind.span,
            prefix,
            format!("a {kind} conversation needs agent (the agent who places the call)"),
        );
    }
    if let Some(v) = &c.end_reason
        && v.value.trim().is_empty()
    {
        r.at(&v.span, &format!("{prefix}.end_reason"), "cannot be empty");
    }
}

fn check_step(r: &mut Reader<'_>, c: &ConversationFile, s: &StepFile, i: usize, path: &str) {
    use StepKind as K;
    let kind = c.kind.value;
    let act = s.action.value;
    let name = step_name(act);
    if let (Some(_), Some(after)) = (&s.at, &s.after) {
        r.at(
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
        r.at(
            &s.action.span,
            &format!("{path}.do"),
            format!("the first step of a {kind} conversation must be {want}, got {name}"),
        );
    }
    if i > 0 && first {
        r.at(
            &s.action.span,
            &format!("{path}.do"),
            format!("{name} can only be the first step"),
        );
    }
    if i == 0 && act == K::Enqueue && kind != ConvType::Queue {
        r.at(
            &s.action.span,
            &format!("{path}.do"),
            format!("a {kind} conversation starts with dial, not enqueue"),
        );
    }
    if i == 0 && act == K::Dial && kind == ConvType::Queue {
        r.at(
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
        r.at(&s.action.span, path, format!("{name} takes {what}"));
    }
    if let Some(cid) = &s.call_id {
        if !matches!(
            act,
            K::Enqueue | K::Dial | K::Select | K::InviteAgent | K::InviteOut
        ) {
            r.at(
                &cid.span,
                &format!("{path}.call_id"),
                format!("{name} creates no call; call_id is for enqueue, dial, select and invites"),
            );
        }
        r.hex(&s.call_id, &format!("{path}.call_id"));
    }
    if let Some(p) = &s.party {
        let ok = match p.value {
            super::model::PartyName::Customer => kind == ConvType::Queue,
            super::model::PartyName::Callee => kind == ConvType::CallOut,
        };
        if !ok {
            let (role, owner) = match p.value {
                super::model::PartyName::Customer => ("customer", "queue"),
                super::model::PartyName::Callee => ("callee", "call_out"),
            };
            r.at(
                &p.span,
                &format!("{path}.party"),
                format!("a {kind} conversation has no {role} (only {owner} has one)"),
            );
        }
    }
}

/// A step kind's name in files.
pub fn step_name(k: StepKind) -> &'static str {
    match k {
        StepKind::Enqueue => "enqueue",
        StepKind::Dial => "dial",
        StepKind::Select => "select",
        StepKind::InviteAgent => "invite_agent",
        StepKind::InviteOut => "invite_out",
        StepKind::Ring => "ring",
        StepKind::Answer => "answer",
        StepKind::NoAnswer => "no_answer",
        StepKind::Hangup => "hangup",
        StepKind::Leave => "leave",
        StepKind::Timeout => "timeout",
        StepKind::Dismiss => "dismiss",
        StepKind::MaxDuration => "max_duration",
    }
}
