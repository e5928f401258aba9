//! `ccsim listen`: the built-in receiver on its own, checking the event contract of a
//! profile (`--profile`, with the order its sender promises: `--ordering`) and printing
//! every event until ctrl-c.

use std::net::SocketAddr;

use anyhow::Context;
use clap::Args;
use tokio_util::sync::CancellationToken;

use super::flags::api::CredentialArgs;
use super::flags::choices::{Ordering, Profile};
use super::flags::delivery::{DELIVERY_WAIT_LIMIT, SecretList, SecretsParser, at_most};
use super::flags::given::Given;
use crate::console;
use crate::error::{Exit, RunError, UsageError};
use crate::event::profile::ProfileName;
use crate::receiver::contract::{ContractRules, ContractSummary};
use crate::receiver::{ApiLookup, Faults, Receiver};
use crate::units::Count;
use crate::units::{Probability, Span};

/// Flags of `ccsim listen`.
#[derive(Debug, Clone, Args)]
pub struct ListenArgs {
    /// Address to listen on.
    #[arg(long, env = "CCSIM_LISTEN_ADDR", default_value = "127.0.0.1:9000")]
    pub addr: SocketAddr,

    /// Verify Standard Webhooks signatures with these secrets (repeat, or separate with
    /// spaces or commas); requests that do not verify are answered 401 and reported.
    #[arg(long, env = "CCSIM_SECRET", value_name = "whsec_…", hide_env_values = true,
          value_parser = SecretsParser)]
    pub secret: Vec<SecretList>,

    /// On every event, fetch the conversation's record from this fake platform API, check
    /// it shows nothing the events so far did not announce, and (on parts_changed) print
    /// its members.
    #[arg(long, env = "CCSIM_LISTEN_API", value_name = "URL")]
    pub api: Option<reqwest::Url>,

    /// Account id in the record path `{api}/v1/account/{account}/callcenter/conversation/{id}`.
    #[arg(
        long,
        env = "CCSIM_ACCOUNT",
        value_name = "ID",
        default_value = "ccsim"
    )]
    pub account: String,

    /// Credentials that sign the record lookups (`--api-secret`), for an API started with
    /// `--api-auth`.
    #[command(flatten)]
    pub credentials: CredentialArgs,

    /// Answer this share of requests with HTTP 500, to watch a sender retry.
    #[arg(long, env = "CCSIM_FAIL_RATE", value_name = "R", default_value = "0")]
    pub fail_rate: Probability,

    /// Wait this long before answering each request (at most 1h, like every delivery
    /// wait).
    #[arg(
        long,
        env = "CCSIM_DELAY",
        value_name = "DURATION",
        default_value = "0"
    )]
    pub delay: Span,

    /// The fidelity profile of the events to expect: `platform` accepts what the
    /// platform's code sends and nothing only its docs add.
    #[arg(long, env = "CCSIM_PROFILE", value_enum, default_value = "documented")]
    pub profile: Profile,

    /// The order the sender keeps: `per-conversation` checks that each conversation's,
    /// queue task's and agent's events arrive in order; `none` checks only what holds in
    /// any order. Default: the profile's (per-conversation for documented, none for
    /// platform, which sends every event on its own).
    #[arg(long, env = "CCSIM_ORDERING", value_enum)]
    pub ordering: Option<Ordering>,

    /// The flags the command line named (filled by `cli::parse_from`).
    #[arg(skip)]
    pub given: Given,
}

impl ListenArgs {
    /// Refuses the flags of the record lookups (`--account` and the credentials) given on
    /// the command line without `--api`: no record is looked up.
    pub fn refuse_lookup_flags_without_api(&self) -> Result<(), UsageError> {
        if self.api.is_some() {
            return Ok(());
        }
        let flags = [
            "--account",
            "--api-secret",
            "--app-id",
            "--cert-id",
            "--api-tz",
        ];
        match flags.into_iter().find(|f| self.given.has(f)) {
            Some(flag) => Err(UsageError(format!(
                "{flag} has no effect without --api (no record is looked up): add --api URL, \
                 or drop {flag}"
            ))),
            None => Ok(()),
        }
    }

    /// The contract rules these flags ask for: the profile's, in the order given.
    pub fn rules(&self) -> ContractRules {
        let rules = ContractRules::for_sender(ProfileName::from(self.profile));
        match self.ordering {
            Some(ordering) => ContractRules {
                ordered: ordering == Ordering::PerConversation,
                ..rules
            },
            None => rules,
        }
    }

    /// The faults these flags ask the receiver to inject: `--delay` at most
    /// [`DELIVERY_WAIT_LIMIT`], since a sender's timeout can be no longer.
    pub fn faults(&self) -> Result<Faults, UsageError> {
        Ok(Faults {
            fail_rate: self.fail_rate.get(),
            delay: at_most("--delay", self.delay, DELIVERY_WAIT_LIMIT)?.as_std(),
        })
    }
}

/// `ccsim listen`: the built-in receiver on its own, printing every event. When stdout
/// closes (`ccsim listen | head -1`) it stops printing and goes on answering, 200 as
/// before, until interrupted; when stdout fails otherwise (a full device) likewise, and it
/// exits 5 at the end.
pub async fn exec(args: ListenArgs, shutdown: CancellationToken) -> Result<Exit, RunError> {
    args.refuse_lookup_flags_without_api()?;
    let mut receiver = Receiver::new(true)
        .with_rules(args.rules())
        .with_secrets(
            args.secret
                .iter()
                .flat_map(|l| l.0.iter().cloned())
                .collect(),
        )
        .with_faults(args.faults()?);
    if let Some(api) = &args.api {
        let mut lookup = ApiLookup::new(api, &args.account);
        // With a secret, lookups are signed, so an `--api-auth` API answers them.
        if args.credentials.api_secret.is_some() {
            let credentials = args.credentials.credentials("--api")?;
            lookup = lookup.with_signing(credentials, args.credentials.api_tz);
        }
        receiver = receiver.with_api(lookup);
    }
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .map_err(|e| UsageError(format!("--addr: cannot listen on {}: {e}", args.addr)))?;
    let addr = listener.local_addr().context("listener address")?;
    console::err(&format!("listening on http://{addr}/ (ctrl-c to stop)"));
    receiver
        .clone()
        .serve(listener, shutdown)
        .await
        .context("receiver failed")?;
    let summary = receiver.summary(false);
    console::err(&verdict(&summary));
    for ex in &summary.examples {
        console::err(&format!("  {ex}"));
    }
    match receiver.print_failure() {
        Some(failure) => Err(RunError::Io(failure)),
        None => Ok(Exit::Ok),
    }
}

/// The line that ends `listen`: what was received, against which profile, and whether the
/// contract held.
fn verdict(summary: &ContractSummary) -> String {
    let mut subjects = Count::of(summary.conversations, "conversation").to_string();
    if summary.agents > 0 {
        subjects.push_str(&format!(", {}", Count::of(summary.agents, "agent")));
    }
    if summary.queue_tasks > 0 {
        subjects.push_str(&format!(
            ", {}",
            Count::of(summary.queue_tasks, "queue task")
        ));
    }
    format!(
        "{} in {subjects} ({} profile); contract {}",
        Count::of(summary.events, "event"),
        summary.profile,
        if summary.held() {
            "held".to_owned()
        } else {
            format!("violated ({})", summary.breaches())
        },
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct ListenCli {
        #[command(flatten)]
        listen: ListenArgs,
    }

    fn faults(args: &[&str]) -> Result<Faults, String> {
        let cli = ListenCli::try_parse_from(std::iter::once("t").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        cli.listen.faults().map_err(|e| e.0)
    }

    #[test]
    fn lookup_flags_without_an_api_are_refused_naming_both() {
        let check = |args: &[&str]| {
            let (mut cli, given) =
                crate::cmd::flags::given::parse_with_given::<ListenCli>(args).unwrap();
            cli.listen.given = given;
            cli.listen
                .refuse_lookup_flags_without_api()
                .map_err(|e| e.0)
        };
        for flag in ["--account", "--api-secret", "--app-id", "--cert-id"] {
            let err = check(&[flag, "x"]).unwrap_err();
            assert_eq!(
                err,
                format!(
                    "{flag} has no effect without --api (no record is looked up): add --api URL, or drop {flag}"
                )
            );
        }
        assert!(check(&["--api-tz", "+00:00"]).is_err());
        assert!(
            check(&[
                "--api",
                "http://127.0.0.1:9",
                "--account",
                "x",
                "--api-secret",
                "s"
            ])
            .is_ok()
        );
        assert!(check(&[]).is_ok());
    }

    fn rules(args: &[&str]) -> Result<ContractRules, String> {
        let cli = ListenCli::try_parse_from(std::iter::once("t").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        Ok(cli.listen.rules())
    }

    #[test]
    fn the_profile_sets_the_rules_and_their_default_order() {
        let documented = rules(&[]).unwrap();
        assert_eq!(
            (documented.profile, documented.ordered),
            (ProfileName::Documented, true)
        );
        let platform = rules(&["--profile", "platform"]).unwrap();
        assert_eq!(
            (platform.profile, platform.ordered),
            (ProfileName::Platform, false)
        );
        let ordered = rules(&["--profile", "platform", "--ordering", "per-conversation"]).unwrap();
        assert!(ordered.ordered);
        assert!(!rules(&["--ordering", "none"]).unwrap().ordered);
        let err = rules(&["--profile", "fancy"]).unwrap_err();
        assert!(
            err.contains("invalid value 'fancy' for '--profile <PROFILE>'")
                && err.contains("documented, platform"),
            "{err}"
        );
    }

    #[test]
    fn the_verdict_counts_each_family_and_names_the_profile() {
        let mut s = ContractSummary {
            events: 3,
            conversations: 1,
            profile: "platform",
            ..ContractSummary::default()
        };
        assert_eq!(
            verdict(&s),
            "3 events in 1 conversation (platform profile); contract held"
        );
        s.agents = 2;
        s.queue_tasks = 1;
        s.violations = 1;
        s.bad_signatures = 2;
        assert_eq!(
            verdict(&s),
            "3 events in 1 conversation, 2 agents, 1 queue task (platform profile); contract \
             violated (1 violation, 2 bad signatures)"
        );
    }

    #[test]
    fn the_delay_is_at_most_an_hour() {
        assert_eq!(
            faults(&["--delay", "1h"]).unwrap().delay,
            Duration::from_secs(3600)
        );
        assert_eq!(
            faults(&["--delay", "61m"]).unwrap_err(),
            "--delay: at most 1h, got 1h1m"
        );
    }
}
