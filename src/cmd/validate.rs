//! `ccsim validate`: checks scenario files, each on its own, and prints every problem as
//! FILE:LINE:COLUMN: message (exit 2 if there is one), and every warning the same way
//! (a valid file that probably does not do what was meant; exit 0).

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

/// What `validate` found in the files.
#[derive(Debug, Default)]
pub struct Validation {
    /// One line per valid file.
    pub ok: Vec<String>,
    /// Warnings of valid files.
    pub warnings: Vec<Problem>,
    /// Problems of invalid files.
    pub problems: Vec<Problem>,
}

/// Checks each file on its own.
pub fn validate_files(files: &[PathBuf]) -> Validation {
    let mut v = Validation::default();
    for file in files {
        match load_paths(&[file], &Overrides::default(), SimTime::from_millis(0)) {
            Ok(mut s) => {
                v.ok.push(format!(
                    "{}: ok ({}, {}{}{})",
                    file.display(),
                    count(s.sim.scripted.len(), "scripted conversation"),
                    count(s.sim.agents.len(), "agent"),
                    if s.sim.workload.types().is_empty() {
                        String::new()
                    } else {
                        format!(", generated workload for {}", s.sim.workload.duration)
                    },
                    if s.warnings.is_empty() {
                        String::new()
                    } else {
                        format!(", {}", count(s.warnings.len(), "warning"))
                    }
                ));
                v.warnings.append(&mut s.warnings);
            }
            Err(mut p) => v.problems.append(&mut p),
        }
    }
    v
}

/// `n thing` or `n things`.
fn count(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

/// `ccsim validate`: valid files on stdout, warnings and problems on stderr; exit 0 or 2
/// (5 when stdout cannot be written; a closed stdout is fine).
pub fn exec(args: &ValidateArgs) -> Result<Exit, RunError> {
    let Validation {
        ok,
        warnings,
        problems,
    } = validate_files(&args.files);
    let mut text = String::new();
    for line in &ok {
        text.push_str(line);
        text.push('\n');
    }
    console::out_or_fail(&text)?;
    for w in &warnings {
        console::err(&w.to_string());
    }
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
