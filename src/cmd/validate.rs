//! `ccsim validate`: checks scenario files, each on its own, and prints every problem as
//! FILE:LINE:COLUMN: message (exit 2 if there is one).

use std::path::PathBuf;

use clap::Args;

use crate::console;
use crate::error::{Exit, RunError};
use crate::scenario::{Overrides, Problem, load_paths};
use crate::time::SimTime;

/// Flags of `ccsim validate`.
#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    /// Scenario files (.toml or .json). Each is checked on its own; every problem is printed
    /// as FILE:LINE:COLUMN: message.
    #[arg(required = true, value_name = "SCENARIO")]
    pub files: Vec<PathBuf>,
}

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

/// `ccsim validate`: valid files on stdout, problems on stderr; exit 0 or 2 (5 when
/// stdout cannot be written; a closed stdout is fine).
pub fn exec(args: &ValidateArgs) -> Result<Exit, RunError> {
    let (ok, problems) = validate_files(&args.files);
    let mut text = String::new();
    for line in &ok {
        text.push_str(line);
        text.push('\n');
    }
    console::out_or_fail(&text)?;
    for p in &problems {
        console::err(&p.to_string());
    }
    if problems.is_empty() {
        Ok(Exit::Ok)
    } else {
        console::err(&format!("{} found", count(problems.len(), "problem")));
        Ok(Exit::Usage)
    }
}
