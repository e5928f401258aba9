//! `ccsim validate` and `ccsim schema`: their flags (clap) and what they do. Kept here so
//! `cli.rs` only names them.

use std::path::PathBuf;

use clap::Args;

use super::{Overrides, Problem, SCHEMA, load_paths};
use crate::error::Exit;
use crate::time::SimTime;

/// Flags of `ccsim validate`.
#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    /// Scenario files (.toml or .json). Each is checked on its own; every problem is printed
    /// as FILE:LINE:COLUMN: message.
    #[arg(required = true, value_name = "SCENARIO")]
    pub files: Vec<PathBuf>,
}

/// Flags of `ccsim schema`.
#[derive(Debug, Clone, Args)]
pub struct SchemaArgs {}

/// Checks each file on its own. Returns one line per valid file and every problem.
pub fn validate_files(files: &[PathBuf]) -> (Vec<String>, Vec<Problem>) {
    let mut ok = Vec::new();
    let mut problems = Vec::new();
    for file in files {
        match load_paths(&[file], &Overrides::default(), SimTime::from_millis(0)) {
            Ok(s) => ok.push(format!(
                "{}: ok ({}, {}{})",
                file.display(),
                count(s.sim.scripted.len(), "scripted conversation"),
                count(s.sim.agents.len(), "agent"),
                if s.sim.workload.types().is_empty() {
                    String::new()
                } else {
                    format!(", generated workload for {}", s.sim.workload.duration)
                }
            )),
            Err(mut p) => problems.append(&mut p),
        }
    }
    (ok, problems)
}

/// `n thing` or `n things`.
fn count(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

/// `ccsim validate`: valid files on stdout, problems on stderr; exit 0 or 2.
pub fn validate(args: &ValidateArgs) -> Exit {
    let (ok, problems) = validate_files(&args.files);
    for line in &ok {
        println!("{line}");
    }
    for p in &problems {
        eprintln!("{p}");
    }
    if problems.is_empty() {
        Exit::Ok
    } else {
        eprintln!("{} found", count(problems.len(), "problem"));
        Exit::Usage
    }
}

/// `ccsim schema`: prints the JSON Schema of the format.
pub fn schema(_: &SchemaArgs) -> Exit {
    print!("{SCHEMA}");
    Exit::Ok
}
