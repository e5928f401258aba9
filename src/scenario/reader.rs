//! Reading one scenario file: its syntax into a [`Node`] tree, then the model part by part
//! (root settings, agents, workload, each conversation, each step), each part checked by
//! [`checks`](super::checks) as soon as it is read. Every problem is collected with its
//! position; nothing here stops at the first one. Called by [`load_texts`](super::load_texts)
//! for each file; `build` merges what it returns.

use std::ops::Range;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use super::checks::{check_agents, check_conversation, check_root, check_step, check_workload};
use super::de::{DeError, from_node};
use super::model::{AgentsFile, ConversationFile, FileRoot, StepFile, WorkloadFile};
use super::node::{self, Node, Syntax, Value};
use super::problem::{FileProblems, Problem, SourceText};

/// A file after reading: the parts that could be read, and the problems found.
#[derive(Debug)]
pub(super) struct ParsedFile {
    /// Name and text.
    pub source: Arc<SourceText>,
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
pub(super) struct ParsedConversation {
    /// Index in the file's `conversations`.
    pub index: usize,
    /// Its fields.
    pub head: ConversationFile,
    /// Its steps.
    pub steps: Vec<StepFile>,
    /// Whether reading it found no problem (only clean conversations reach the engine).
    pub clean: bool,
}

/// Reads one file's text. Returns what could be read and every problem found.
pub(super) fn read(source: Arc<SourceText>, syntax: Syntax) -> (ParsedFile, Vec<Problem>) {
    let mut file = ParsedFile {
        source: source.clone(),
        root: None,
        agents: None,
        workload: None,
        conversations: Vec::new(),
        agents_clean: true,
    };
    let mut p = FileProblems::new(&source);
    let root = match node::parse(&source.text, syntax) {
        Ok(root) => root,
        Err(e) => {
            let (line, column) = e
                .line_col
                .unwrap_or_else(|| node::line_col(&source.text, e.offset.unwrap_or(0)));
            p.push(Problem {
                file: source.name.clone(),
                line,
                column,
                message: format!("syntax error: {}", e.message),
            });
            return (file, p.into_vec());
        }
    };
    if !matches!(root.value, Value::Table(_)) {
        p.at(
            &root.span,
            "",
            "expected a table (JSON object) at the top level",
        );
        return (file, p.into_vec());
    }
    file.root = deserialize_part::<FileRoot>(&mut p, &root, "");
    if let Some(root) = &file.root {
        check_root(&mut p, root);
    }
    if let Some(agents) = root.get("agents") {
        let before = p.count();
        file.agents = deserialize_part::<AgentsFile>(&mut p, agents, "agents");
        if let Some(a) = &file.agents {
            check_agents(&mut p, a);
        }
        file.agents_clean = p.count() == before;
    }
    if let Some(workload) = root.get("workload") {
        let key = root
            .key("workload")
            .map_or(workload.span.clone(), |k| k.span.clone());
        if let Some(w) = deserialize_part::<WorkloadFile>(&mut p, workload, "workload") {
            check_workload(&mut p, &w, &key);
            file.workload = Some((key, w));
        }
    }
    if let Some(convs) = root.get("conversations") {
        match &convs.value {
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    if let Some(c) = read_conversation(&mut p, item, index) {
                        file.conversations.push(c);
                    }
                }
            }
            _ => p.at(
                &convs.span,
                "conversations",
                "expected a list of conversations ([[conversations]] in TOML, an array in JSON)",
            ),
        }
    }
    (file, p.into_vec())
}

/// Conversation `index`: its fields and each step, each read on its own, then checked.
/// `None` if its fields or any step could not be read.
fn read_conversation(
    p: &mut FileProblems<'_>,
    node: &Node,
    index: usize,
) -> Option<ParsedConversation> {
    let before = p.count();
    let prefix = format!("conversations[{index}]");
    let head = deserialize_part::<ConversationFile>(p, node, &prefix);
    let mut steps = Vec::new();
    let mut steps_ok = true;
    match node.get("timeline").map(|t| &t.value) {
        Some(Value::Array(items)) => {
            if items.is_empty()
                && let Some(t) = node.get("timeline")
            {
                p.at(
                    &t.span,
                    &format!("{prefix}.timeline"),
                    "expected at least one step",
                );
                steps_ok = false;
            }
            for (i, item) in items.iter().enumerate() {
                match deserialize_part::<StepFile>(p, item, &format!("{prefix}.timeline[{i}]")) {
                    Some(step) => steps.push(step),
                    None => steps_ok = false,
                }
            }
        }
        Some(_) => {
            if let Some(t) = node.get("timeline") {
                p.at(
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
    check_conversation(p, &head, &prefix);
    if !steps_ok {
        return None;
    }
    for (i, step) in steps.iter().enumerate() {
        check_step(p, &head, step, i, &format!("{prefix}.timeline[{i}]"));
    }
    let clean = p.count() == before;
    Some(ParsedConversation {
        index,
        head,
        steps,
        clean,
    })
}

/// Deserializes a `T` from `node`, reporting every field that is wrong, not only the
/// first: for a table, each entry is first tried on its own. `None` if anything failed.
fn deserialize_part<T: DeserializeOwned>(
    p: &mut FileProblems<'_>,
    node: &Node,
    prefix: &str,
) -> Option<T> {
    let Value::Table(entries) = &node.value else {
        return deserialize_whole(p, node, prefix);
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
                report(p, e, node, prefix);
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
            report(p, e, node, prefix);
            None
        }
    }
}

/// Deserializes a `T` from `node` at once (a value that is not a table).
fn deserialize_whole<T: DeserializeOwned>(
    p: &mut FileProblems<'_>,
    node: &Node,
    prefix: &str,
) -> Option<T> {
    match from_node::<T>(node) {
        Ok(v) => Some(v),
        Err(e) => {
            report(p, e, node, prefix);
            None
        }
    }
}

/// A deserialization error as a problem: at the innermost span it knows (else `node`'s),
/// under `prefix` and the field path inside the part.
fn report(p: &mut FileProblems<'_>, e: DeError, node: &Node, prefix: &str) {
    let inner = e.path();
    let path = match (prefix.is_empty(), inner.is_empty()) {
        (_, true) => prefix.to_owned(),
        (true, false) => inner,
        (false, false) if inner.starts_with('[') => format!("{prefix}{inner}"),
        (false, false) => format!("{prefix}.{inner}"),
    };
    let span = e.span.clone().unwrap_or(node.span.clone());
    p.at(&span, &path, plain(&e.message));
}

/// serde's messages in the file's words: tables and lists, not structs and sequences.
fn plain(message: &str) -> String {
    let mut m = message.to_owned();
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
