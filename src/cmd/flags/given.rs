//! [`Given`]: which flags the command line itself named, as opposed to a default or an
//! environment variable. A flag that the rest of the command makes meaningless is refused
//! only when given on the command line: variables are often set for a whole shell, and
//! a default is never a request.

use clap::ArgMatches;
use clap::parser::ValueSource;

/// The long names (`--report-interval`) of the flags given on the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Given(Vec<String>);

impl Given {
    /// The flags of `command` (and of the subcommand used, recursively) that `matches`
    /// took from the command line.
    pub fn from_matches(command: &clap::Command, matches: &ArgMatches) -> Self {
        let mut out = Vec::new();
        collect(command, matches, &mut out);
        Self(out)
    }

    /// Whether `flag` (`--name`) was given on the command line.
    pub fn has(&self, flag: &str) -> bool {
        self.0.iter().any(|f| f == flag)
    }

    /// The first of `flags` given on the command line.
    pub fn first_of<'a>(&self, flags: &'a [String]) -> Option<&'a str> {
        flags.iter().find(|f| self.has(f)).map(String::as_str)
    }
}

/// Appends to `out` the flags of `command` that `matches` took from the command line.
fn collect(command: &clap::Command, matches: &ArgMatches, out: &mut Vec<String>) {
    for arg in command.get_arguments() {
        let Some(long) = arg.get_long() else {
            continue;
        };
        if matches.value_source(arg.get_id().as_str()) == Some(ValueSource::CommandLine) {
            out.push(format!("--{long}"));
        }
    }
    if let Some((name, sub)) = matches.subcommand()
        && let Some(sub_command) = command.find_subcommand(name)
    {
        collect(sub_command, sub, out);
    }
}

/// The long names of the flags `args` defines (a flattened flag group), for a check that
/// covers every flag of a group, present and future.
pub fn longs_of<A: clap::Args>() -> Vec<String> {
    A::augment_args(clap::Command::new("flags"))
        .get_arguments()
        .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
        .collect()
}

/// Parses `args` (no program name) into `P` and the flags they gave: how a test sees what
/// `cli::parse_from` would record.
#[cfg(test)]
pub(crate) fn parse_with_given<P: clap::Parser>(args: &[&str]) -> Result<(P, Given), String> {
    let mut command = P::command();
    let matches = command
        .try_get_matches_from_mut(std::iter::once("t").chain(args.iter().copied()))
        .map_err(|e| e.to_string())?;
    let parsed = P::from_arg_matches(&matches).map_err(|e| e.to_string())?;
    Ok((parsed, Given::from_matches(&command, &matches)))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[arg(long, env = "CCSIM_GIVEN_TEST_A", default_value = "1")]
        a: u32,
        #[arg(long)]
        b: bool,
    }

    #[test]
    fn only_the_command_line_counts_as_given() {
        let (_, given) = parse_with_given::<Cli>(&["--a", "2"]).unwrap();
        assert!(given.has("--a") && !given.has("--b"));
        let (_, given) = parse_with_given::<Cli>(&["--b"]).unwrap();
        assert!(!given.has("--a") && given.has("--b"));
        assert_eq!(given.first_of(&["--a".into(), "--b".into()]), Some("--b"));
        assert_eq!(longs_of::<Cli>(), vec!["--a".to_owned(), "--b".to_owned()]);
    }
}
