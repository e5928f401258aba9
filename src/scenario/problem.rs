//! What a scenario file is wrong about, and where: [`Problem`] (`FILE:LINE:COLUMN: message`,
//! the one error type of the scenario loader, printed by `ccsim validate` and `ccsim run`),
//! [`SourceText`] (a file's name and text, which turns byte ranges into lines and columns)
//! and [`FileProblems`] (the problems of one file, collected while it is read and checked).

use std::fmt;
use std::ops::Range;

use super::node;

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

/// A scenario file's name and text.
#[derive(Debug)]
pub(super) struct SourceText {
    /// The name problems are reported under.
    pub name: String,
    /// The text.
    pub text: String,
}

impl SourceText {
    /// A problem at byte range `span`.
    pub(super) fn problem(&self, span: &Range<usize>, message: impl fmt::Display) -> Problem {
        let (line, column) = node::line_col(&self.text, span.start);
        Problem {
            file: self.name.clone(),
            line,
            column,
            message: message.to_string(),
        }
    }
}

/// The problems found in one file so far, in the order they were found.
pub(super) struct FileProblems<'a> {
    source: &'a SourceText,
    found: Vec<Problem>,
}

impl<'a> FileProblems<'a> {
    /// None yet, in `source`.
    pub(super) fn new(source: &'a SourceText) -> Self {
        Self {
            source,
            found: Vec::new(),
        }
    }

    /// A problem at byte range `span`, its message prefixed by the field `path` (if any):
    /// `path: message`.
    pub(super) fn at(&mut self, span: &Range<usize>, path: &str, message: impl fmt::Display) {
        let message = if path.is_empty() {
            message.to_string()
        } else {
            format!("{path}: {message}")
        };
        self.found.push(self.source.problem(span, message));
    }

    /// A problem placed already.
    pub(super) fn push(&mut self, problem: Problem) {
        self.found.push(problem);
    }

    /// How many were found so far (compare before and after reading a part to know
    /// whether it was clean).
    pub(super) fn count(&self) -> usize {
        self.found.len()
    }

    /// Every problem found.
    pub(super) fn into_vec(self) -> Vec<Problem> {
        self.found
    }
}
