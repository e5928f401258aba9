//! The architecture, checked: reading the `crate::` paths of `src/` (test code aside), every
//! top-level module imports only from its own layer or the layers below it, as the map in
//! `src/lib.rs` and `docs/architecture.md` say, and no two top-level modules import each
//! other, directly or in a ring.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, top first; a module may import from its own layer or any layer after it.
const LAYERS: &[&[&str]] = &[
    &["main", "lib", "cli"],
    &["cmd"],
    &["session", "sending", "progress"],
    &["plan", "feed"],
    // The domain, in the order its modules may import one another.
    &["scenario", "report"],
    &["receiver", "replay"],
    &["delivery"],
    &["api"],
    &["control"],
    &["event", "sim"],
    &[
        "conversation",
        "agent",
        "queue_task",
        "occurrence",
        "operation",
        "acd",
        "families",
        "ids",
        "shard",
        "time",
        "units",
        "error",
        "console",
        "files",
    ],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file of `src/` belongs to (`lib`, `main` for the roots).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("under src/");
    let first = rel
        .components()
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    first.trim_end_matches(".rs").to_owned()
}

/// The top-level modules named by `crate::` paths in `text`, `crate::{a, b::c}` included.
fn imported(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item = String::new();
            for ch in group.chars() {
                match ch {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 || (depth == 1 && ch == ',') {
                    push_first_segment(&item, &mut out);
                    item.clear();
                    if depth == 0 {
                        break;
                    }
                } else {
                    item.push(ch);
                }
            }
        } else {
            push_first_segment(rest, &mut out);
        }
    }
    out
}

fn push_first_segment(path: &str, out: &mut BTreeSet<String>) {
    let name: String = path
        .trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    // `crate::Exit` and the like name the root's re-exports, not a module.
    if name.chars().next().is_some_and(|c| c.is_ascii_lowercase()) {
        out.insert(name);
    }
}

/// The module graph: for each top-level module, the ones it imports and from which file.
fn graph() -> BTreeMap<String, BTreeMap<String, String>> {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for file in files {
        let name = file.file_name().expect("a name").to_string_lossy();
        if name == "tests.rs" || file.components().any(|c| c.as_os_str() == "tests") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("a source file");
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let code: String = code
            .lines()
            .map(|l| l.split("//").next().unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n");
        let from = module_of(&src, &file);
        for to in imported(&code) {
            if to != from {
                let shown = file.strip_prefix(&src).expect("under src/").display();
                graph
                    .entry(from.clone())
                    .or_default()
                    .entry(to)
                    .or_insert_with(|| shown.to_string());
            }
        }
    }
    graph
}

#[test]
fn every_module_imports_only_from_its_layer_or_below() {
    let mut problems = Vec::new();
    for (from, tos) in graph() {
        let Some(from_layer) = layer_of(&from) else {
            problems.push(format!(
                "{from} is in no layer: add it to LAYERS and lib.rs"
            ));
            continue;
        };
        for (to, file) in tos {
            match layer_of(&to) {
                None => problems.push(format!("{to} (imported by {file}) is in no layer")),
                Some(to_layer) if to_layer < from_layer => {
                    problems.push(format!("{file} imports crate::{to}, a layer above it"))
                }
                Some(_) => {}
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_top_level_modules_import_each_other_in_a_ring() {
    let graph = graph();
    // Depth-first search for a back edge, reporting the ring it closes.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeMap<String, String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut ring = path[at..].to_vec();
            ring.push(node.to_owned());
            return Some(ring);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).map(|t| t.keys()).into_iter().flatten() {
            if let Some(ring) = visit(next, graph, path, done) {
                return Some(ring);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(ring) = visit(node, &graph, &mut Vec::new(), &mut done) {
            panic!("import ring: {}", ring.join(" -> "));
        }
    }
}

#[test]
fn imports_are_read_from_plain_and_grouped_paths() {
    let text = "use crate::api::store::RecordStore;\nuse crate::{delivery::Job, time, Exit};";
    let names: Vec<String> = imported(text).into_iter().collect();
    assert_eq!(names, ["api", "delivery", "time"]);
}
