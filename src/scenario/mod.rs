//! Scenario files: scripted conversations and generated workloads in TOML or JSON, read
//! into one validated [`Scenario`] whose `SimPlan` the engine runs. The format is described
//! in `docs/scenarios.md` and its JSON Schema is `docs/scenario.schema.json` ([`SCHEMA`]).
//! Called by `plan` (for `ccsim run`), by `ccsim validate` and `ccsim schema` (`cmd/`), and
//! by the integration tests that need the default simulation ([`default_plan`]).
//!
//! Pipeline, one file per step: text → [`node`] (span-carrying tree, both syntaxes) →
//! [`de`] (serde with positions) → [`model`] structs, read part by part by `reader`, each
//! part checked on its own by `checks` → `build` (merge files, cross-file checks, every
//! timeline checked by the engine itself). Every problem is a [`Problem`], reported as
//! `FILE:LINE:COLUMN: field: message`; nothing stops at the first one.

mod build;
mod checks;
pub mod de;
pub mod model;
pub mod node;
mod problem;
mod reader;

use std::path::Path;
use std::sync::Arc;

pub use build::{Overrides, Scenario};
pub use problem::Problem;

use self::node::Syntax;
use self::problem::SourceText;
use crate::sim::workload::SimPlan;
use crate::time::SimTime;

/// The embedded default scenario of `ccsim run` without files.
pub const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/default.toml");

/// The JSON Schema of the format (`ccsim schema`).
pub const SCHEMA: &str = include_str!("../../docs/scenario.schema.json");

/// Reads and checks files given as (name, text); the name's extension picks the syntax.
/// Several files merge into one run.
pub fn load_texts(
    files: &[(String, String)],
    overrides: &Overrides,
    now: SimTime,
) -> Result<Scenario, Vec<Problem>> {
    let mut parsed = Vec::new();
    let mut problems = Vec::new();
    for (name, text) in files {
        // A UTF-8 byte-order mark (some Windows editors write one) is not content: columns
        // on the first line count from after it, as editors show them.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let source = Arc::new(SourceText {
            name: name.clone(),
            text: text.to_owned(),
        });
        let Some(syntax) = Syntax::of_file_name(name) else {
            problems
                .push(source.problem(&(0..0), "unknown file type: expected a .toml or .json file"));
            continue;
        };
        let (file, mut found) = reader::read(source, syntax);
        problems.append(&mut found);
        parsed.push(file);
    }
    // Build even when reading found problems: the merge and the engine check what they
    // can (clean conversations), so one run reports as much as possible.
    match build::build(&parsed, overrides, now) {
        Ok(scenario) if problems.is_empty() => Ok(scenario),
        Ok(_) => Err(in_file_order(problems, files)),
        Err(mut more) => {
            problems.append(&mut more);
            Err(in_file_order(problems, files))
        }
    }
}

/// Problems file by file (in the order given), each file's from top to bottom.
fn in_file_order(mut problems: Vec<Problem>, files: &[(String, String)]) -> Vec<Problem> {
    let rank = |p: &Problem| {
        files
            .iter()
            .position(|f| f.0 == p.file)
            .unwrap_or(usize::MAX)
    };
    problems.sort_by_key(|p| (rank(p), p.line, p.column));
    problems
}

/// Reads and checks files from disk (merged into one run).
pub fn load_paths<P: AsRef<Path>>(
    paths: &[P],
    overrides: &Overrides,
    now: SimTime,
) -> Result<Scenario, Vec<Problem>> {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        let name = path.as_ref().display().to_string();
        match crate::files::read_whole_text(path.as_ref(), crate::files::MAX_WHOLE_FILE) {
            Ok(text) => files.push((name, text)),
            Err(e) => problems.push(Problem {
                file: name,
                line: 1,
                column: 1,
                message: format!("cannot read the file: {e}"),
            }),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    load_texts(&files, overrides, now)
}

/// The embedded default scenario (`scenarios/default.toml`).
pub fn default_scenario(overrides: &Overrides, now: SimTime) -> Result<Scenario, Vec<Problem>> {
    let files = [(
        "scenarios/default.toml".to_owned(),
        DEFAULT_SCENARIO.to_owned(),
    )];
    load_texts(&files, overrides, now)
}

/// The simulation of the embedded default scenario with `seed`, starting at `start`.
pub fn default_plan(seed: u64, start: SimTime) -> Result<SimPlan, Vec<Problem>> {
    let overrides = Overrides {
        start_time: Some(start.epoch_ms()),
        ..Default::default()
    };
    default_scenario(&overrides, start).map(|s| SimPlan { seed, ..s.sim })
}

#[cfg(test)]
mod tests;
