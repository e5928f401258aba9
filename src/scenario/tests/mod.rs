//! Unit tests of the scenario loader, through [`load_texts`] as `ccsim validate` and
//! `ccsim run` call it: valid files and the plan they give (`valid_files`), the exact text
//! and position of the problems people make, each test naming one mistake (`mistakes`),
//! inputs that must never panic (`robustness`), and the JSON Schema against the model
//! (`schema`). The helpers below are shared by all four.

mod mistakes;
mod ranges;
mod robustness;
mod schema;
mod valid_files;

use super::*;
use crate::conversation::ConvType;
use crate::event::profile::ProfileName;
use crate::sim::dist::Dist;
use crate::sim::script::{PartyRef, ScriptAction};
use crate::units::{Span, Speed};

const HEAD: &str =
    "start_time = \"2026-01-05T09:00:00+08:00\"\n[agents]\nnames = [\"1001\", \"1002\"]\n";

fn load(name: &str, text: &str) -> Result<Scenario, Vec<Problem>> {
    load_texts(
        &[(name.to_owned(), text.to_owned())],
        &Overrides::default(),
        SimTime::from_millis(0),
    )
}

fn problems(name: &str, text: &str) -> Vec<String> {
    match load(name, text) {
        Ok(_) => Vec::new(),
        Err(p) => p.iter().map(ToString::to_string).collect(),
    }
}

fn valid(name: &str, text: &str) -> Scenario {
    load(name, text).unwrap_or_else(|p| panic!("{p:?}"))
}

/// A file with the agents and one queue conversation with these steps.
fn queue(steps: &str) -> String {
    format!("{HEAD}[[conversations]]\ntype = \"queue\"\ntimeline = [\n{steps}]\n")
}

fn secs(s: u64) -> Span {
    Span::from_millis(s * 1000)
}

fn examples() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("scenarios/")
        .map(|e| {
            let path = e.expect("entry").path();
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read_to_string(&path).expect("readable"))
        })
        .collect();
    files.sort();
    files
}
