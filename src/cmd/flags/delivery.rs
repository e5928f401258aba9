//! The delivery flags shared by `ccsim run`, `load` and `replay`, and
//! their validation into [`DeliveryOptions`]: concurrency, timeout, retries and backoff,
//! success rule, grace, signing secrets, ordering mode and the receiver-robustness options.
//! Secrets are parsed straight into [`WebhookSecret`]s, so no `Debug` of the arguments can
//! print one.

use std::path::PathBuf;

use clap::Args;

use super::choices::{Ordering, Success};
use super::given::Given;
use crate::delivery::https::{TlsOptions, read_ca_certs};
use crate::delivery::options::{DeliveryOptions, OrderingMode, ProfileDefaulted};
use crate::delivery::retry::{Backoff, RetryPolicy, SuccessRule};
use crate::delivery::robustness::{Jitter, Robustness};
use crate::delivery::signing::{Signer, WebhookSecret};
use crate::error::UsageError;
use crate::event::profile::Profile;
use crate::units::{Probability, Span};

/// Spacing of retries, as chosen on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum BackoffKind {
    /// Retry at once, like the platform.
    #[default]
    Immediate,
    /// Exponential from `--retry-base`, capped at `--retry-cap`, with full jitter.
    Exponential,
}

/// One `--secret` value: one or more secrets separated by spaces or commas.
#[derive(Clone)]
pub struct SecretList(pub Vec<WebhookSecret>);

impl std::fmt::Debug for SecretList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretList({} redacted)", self.0.len())
    }
}

/// The clap parser of `--secret`: unlike clap's own errors, its errors never echo the
/// value given.
#[derive(Debug, Clone, Copy)]
pub struct SecretsParser;

impl clap::builder::TypedValueParser for SecretsParser {
    type Value = SecretList;

    fn parse_ref(
        &self,
        _cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<SecretList, clap::Error> {
        let flag = arg.map_or_else(|| "--secret".to_owned(), |a| a.to_string());
        let fail = |msg: String| {
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("invalid value for '{flag}': {msg}\n"),
            )
        };
        let text = value
            .to_str()
            .ok_or_else(|| fail("the secret is not valid UTF-8".into()))?;
        parse_secrets(text).map_err(fail)
    }
}

/// Parses one `--secret` value (never echoing it in errors).
pub fn parse_secrets(s: &str) -> Result<SecretList, String> {
    let mut out = Vec::new();
    for (i, part) in s
        .split(|c: char| c == ',' || c.is_ascii_whitespace())
        .filter(|p| !p.is_empty())
        .enumerate()
    {
        let secret = part
            .parse::<WebhookSecret>()
            .map_err(|e| format!("secret {}: {e}", i + 1))?;
        out.push(secret);
    }
    if out.is_empty() {
        return Err("expected at least one whsec_<base64> secret".into());
    }
    Ok(SecretList(out))
}

/// `--retry-base` when not given.
const DEFAULT_RETRY_BASE: Span = Span::from_millis(100);

/// Delivery flags.
#[derive(Debug, Clone, Args)]
pub struct DeliveryArgs {
    /// Most webhook requests in flight at once.
    #[arg(long, env = "CCSIM_CONCURRENCY", value_name = "N", default_value_t = 64,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub concurrency: u32,

    /// Most events emitted but not finished (queued or in flight), at most 10000000; beyond
    /// it the scheduler waits, and the wait shows as schedule lateness. Default:
    /// max(16 × concurrency, 4096).
    #[arg(long, env = "CCSIM_MAX_BACKLOG", value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub max_backlog: Option<u32>,

    /// Per-attempt timeout, more than 0s and at most 1h. Default: the profile's (5s in
    /// both profiles, as the platform).
    #[arg(long, env = "CCSIM_TIMEOUT", value_name = "DURATION")]
    pub timeout: Option<Span>,

    /// Retries after a failed attempt, at most 100. Default: the profile's (3 in both
    /// profiles, as the platform).
    #[arg(long, env = "CCSIM_RETRIES", value_name = "N",
          value_parser = clap::value_parser!(u32).range(0..=100))]
    pub retries: Option<u32>,

    /// Spacing of retries: at once (the platform), or exponential with full jitter.
    /// Default: the profile's (immediate in both profiles).
    #[arg(long, env = "CCSIM_RETRY_BACKOFF", value_enum)]
    pub retry_backoff: Option<BackoffKind>,

    /// Exponential backoff: the ceiling of the first retry's wait (doubling after), at
    /// most --retry-cap. Only with --retry-backoff exponential. Default: 100ms.
    #[arg(long, env = "CCSIM_RETRY_BASE", value_name = "DURATION")]
    pub retry_base: Option<Span>,

    /// Longest wait before a retry, for the backoff and for a receiver's Retry-After
    /// (honoured on 429 and 503); at most 1h.
    #[arg(
        long,
        env = "CCSIM_RETRY_CAP",
        value_name = "DURATION",
        default_value = "30s"
    )]
    pub retry_cap: Span,

    /// Which responses count as delivered. Default: the profile's (200 in both profiles,
    /// as the platform).
    #[arg(long, env = "CCSIM_SUCCESS", value_enum)]
    pub success: Option<Success>,

    /// After an interrupt, how long in-flight attempts may finish (at most 1h).
    #[arg(
        long,
        env = "CCSIM_GRACE",
        value_name = "DURATION",
        default_value = "5s"
    )]
    pub grace: Span,

    /// Sign every request with Standard Webhooks headers (webhook-id, webhook-timestamp,
    /// webhook-signature). Repeat, or separate with spaces or commas, to sign with several
    /// secrets during a key rotation.
    #[arg(long, env = "CCSIM_SECRET", value_name = "whsec_…", hide_env_values = true,
          value_parser = SecretsParser)]
    pub secret: Vec<SecretList>,

    /// Ordering on the wire: `per-conversation` waits for each event of a conversation
    /// before sending its next; `none` sends every event independently (platform-like).
    /// Default: the profile's (`per-conversation` for documented, `none` for platform).
    #[arg(long, env = "CCSIM_ORDERING", value_enum)]
    pub ordering: Option<Ordering>,

    /// Share of events delivered twice (identical body and webhook-id), to test
    /// idempotent receivers.
    #[arg(
        long,
        env = "CCSIM_DUPLICATE_RATE",
        value_name = "R",
        default_value = "0"
    )]
    pub duplicate_rate: Probability,

    /// Share of events swapped with the next event of the same conversation.
    #[arg(
        long,
        env = "CCSIM_REORDER_RATE",
        value_name = "R",
        default_value = "0"
    )]
    pub reorder_rate: Probability,

    /// Random extra delay before each event's first attempt: `MAX` or `MIN..MAX`
    /// (e.g. `200ms`, `0..200ms`, `50ms..200ms`), MAX at most 1h; deterministic by seed.
    #[arg(
        long,
        env = "CCSIM_JITTER",
        value_name = "[MIN..]MAX",
        default_value = "0"
    )]
    pub jitter: Jitter,

    /// https:// targets: accept any certificate for any host name, as the platform does
    /// (self-signed, expired, another host's). Without it the certificate must chain to
    /// Mozilla's roots or to a --ca-cert.
    #[arg(long, env = "CCSIM_INSECURE")]
    pub insecure: bool,

    /// https:// targets: also trust the CA certificates in this PEM file (a private CA, or
    /// a receiver's self-signed certificate).
    #[arg(long, env = "CCSIM_CA_CERT", value_name = "FILE.pem")]
    pub ca_cert: Option<PathBuf>,

    /// Between sends, keep the core busy through the last 5 ms before each one instead of
    /// sleeping: send times exact to tens of microseconds even on a virtual machine, whose
    /// sleeping cores can wake milliseconds late, for a whole core's CPU. Only a clocked
    /// --speed waits.
    #[arg(long, env = "CCSIM_BUSY_WAIT")]
    pub busy_wait: bool,

    /// The flags the command line named (filled by `cli::parse_from`).
    #[arg(skip)]
    pub given: Given,
}

/// The longest wait any delivery flag may ask for (`--timeout`, `--grace`, `--retry-base`,
/// `--retry-cap`, `--jitter`): an hour. A webhook that needs longer is not being tested,
/// it is being waited for.
pub const DELIVERY_WAIT_LIMIT: Span = Span::from_millis(3_600_000);

/// `value` of `flag` if it is at most `limit`.
pub(crate) fn at_most(flag: &str, value: Span, limit: Span) -> Result<Span, UsageError> {
    value
        .check_at_most(limit, flag)
        .map_err(|e| UsageError(e.to_string()))
}

impl DeliveryArgs {
    /// The TLS flags (`--insecure`, `--ca-cert`) given on the command line: they mean
    /// something for an https:// target only (see `plan::refuse_tls_without_https`).
    pub fn tls_flags(&self) -> Vec<&'static str> {
        ["--insecure", "--ca-cert"]
            .into_iter()
            .filter(|f| self.given.has(f))
            .collect()
    }

    /// Validates the flags: each wait within [`DELIVERY_WAIT_LIMIT`], and no flag that the
    /// others make meaningless. A flag not given (nor its environment variable) takes the
    /// documented profile's default, marked as the profile's to choose
    /// ([`DeliveryOptions::with_profile_defaults`]).
    pub fn options(&self) -> Result<DeliveryOptions, UsageError> {
        let defaults = Profile::documented().delivery;
        let timeout = self
            .timeout
            .unwrap_or_else(|| Span::from_micros(defaults.timeout.as_micros() as u64));
        if timeout.as_micros() == 0 {
            return Err(UsageError("--timeout: must be more than 0s".into()));
        }
        let limit = DELIVERY_WAIT_LIMIT;
        at_most("--timeout", timeout, limit)?;
        at_most("--grace", self.grace, limit)?;
        let retry_cap = at_most("--retry-cap", self.retry_cap, limit)?;
        let jitter_max =
            Span::from_micros(u64::try_from(self.jitter.max.as_micros()).unwrap_or(u64::MAX));
        if jitter_max > limit {
            return Err(UsageError(format!(
                "--jitter: at most {limit}, got {}",
                self.jitter
            )));
        }
        let retries = self.retries.unwrap_or(defaults.retries);
        let retry_backoff = self.retry_backoff.unwrap_or(if defaults.immediate_retries {
            BackoffKind::Immediate
        } else {
            BackoffKind::Exponential
        });
        if retries == 0 && retry_backoff == BackoffKind::Exponential {
            return Err(UsageError(
                "--retry-backoff exponential has no effect with --retries 0 (nothing is \
                 retried): drop one of them"
                    .into(),
            ));
        }
        let backoff = match (retry_backoff, self.retry_base) {
            (BackoffKind::Immediate, None) => Backoff::Immediate,
            (BackoffKind::Immediate, Some(_)) => {
                return Err(UsageError(
                    "--retry-base spaces exponential retries: it needs --retry-backoff \
                     exponential (retries are immediate by default)"
                        .into(),
                ));
            }
            (BackoffKind::Exponential, base) => {
                let base = base.unwrap_or(DEFAULT_RETRY_BASE);
                if base.as_micros() == 0 {
                    return Err(UsageError(
                        "--retry-base: must be more than 0s with --retry-backoff exponential"
                            .into(),
                    ));
                }
                if retry_cap < base {
                    return Err(UsageError(format!(
                        "--retry-cap: {retry_cap} is less than --retry-base {base}"
                    )));
                }
                Backoff::Exponential {
                    base: base.as_std(),
                    cap: retry_cap.as_std(),
                }
            }
        };
        let extra_roots = match &self.ca_cert {
            Some(path) => read_ca_certs(path).map_err(|e| UsageError(format!("--ca-cert: {e}")))?,
            None => Vec::new(),
        };
        let concurrency = self.concurrency as usize;
        let max_backlog = match self.max_backlog {
            Some(n) => (n as usize).max(1),
            None => (concurrency * 16).max(4096),
        };
        let secrets: Vec<WebhookSecret> = self
            .secret
            .iter()
            .flat_map(|l| l.0.iter().cloned())
            .collect();
        Ok(DeliveryOptions {
            concurrency,
            max_backlog,
            timeout: timeout.as_std(),
            retry: RetryPolicy {
                retries,
                backoff,
                max_retry_after: self.retry_cap.as_std(),
            },
            success: self.success.map_or(
                if defaults.only_200 {
                    SuccessRule::Only200
                } else {
                    SuccessRule::Any2xx
                },
                Into::into,
            ),
            grace: self.grace.as_std(),
            signer: Signer::new(secrets),
            busy_wait: self.busy_wait,
            ordering: self.ordering.map_or(
                if defaults.ordered {
                    OrderingMode::PerConversation
                } else {
                    OrderingMode::None
                },
                Into::into,
            ),
            profile_defaults: ProfileDefaulted {
                timeout: self.timeout.is_none(),
                retries: self.retries.is_none(),
                backoff: self.retry_backoff.is_none(),
                success: self.success.is_none(),
                ordering: self.ordering.is_none(),
            },
            robustness: Robustness {
                duplicate_rate: self.duplicate_rate.get(),
                reorder_rate: self.reorder_rate.get(),
                jitter: self.jitter,
            },
            tls: TlsOptions {
                insecure: self.insecure,
                extra_roots,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        delivery: DeliveryArgs,
    }

    const A: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const B: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

    fn options(args: &[&str]) -> Result<DeliveryOptions, String> {
        let cli = Cli::try_parse_from(std::iter::once("t").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        cli.delivery.options().map_err(|e| e.to_string())
    }

    #[test]
    fn the_defaults_are_the_platforms_behaviour() {
        let o = options(&[]).unwrap();
        assert_eq!(o.retry, RetryPolicy::default());
        assert_eq!(o.grace, Duration::from_secs(5));
        assert_eq!(o.ordering, OrderingMode::PerConversation);
        assert!(!o.signer.is_enabled());
        assert_eq!(o.max_backlog, 4096);
        assert!(!o.robustness.is_active());
        assert!(!o.busy_wait, "the dispatcher sleeps unless told to spin");
        assert!(options(&["--busy-wait"]).unwrap().busy_wait);
    }

    #[test]
    fn the_platform_profile_defaults_ordering_none_and_flags_override_it() {
        let platform = Profile::platform();
        let o = options(&[])
            .unwrap()
            .with_profile_defaults(&platform.delivery);
        assert_eq!(o.ordering, OrderingMode::None);
        assert_eq!(o.retry, RetryPolicy::default(), "3 immediate retries");
        assert_eq!(o.timeout, Duration::from_secs(5));
        assert_eq!(o.success, SuccessRule::Only200);
        let documented = options(&[])
            .unwrap()
            .with_profile_defaults(&Profile::documented().delivery);
        assert_eq!(documented.ordering, OrderingMode::PerConversation);
        let given = options(&[
            "--ordering",
            "per-conversation",
            "--retries",
            "1",
            "--timeout",
            "2s",
            "--success",
            "2xx",
            "--retry-backoff",
            "exponential",
        ])
        .unwrap()
        .with_profile_defaults(&platform.delivery);
        assert_eq!(given.ordering, OrderingMode::PerConversation);
        assert_eq!(given.retry.retries, 1);
        assert_eq!(given.timeout, Duration::from_secs(2));
        assert_eq!(given.success, SuccessRule::Any2xx);
        assert!(matches!(given.retry.backoff, Backoff::Exponential { .. }));
    }

    #[test]
    fn secrets_may_be_repeated_or_separated_by_spaces_or_commas() {
        let o = options(&["--secret", A, "--secret", &format!("{A} {B},{A}")]).unwrap();
        let sig = o.signer.sign("msg_1", 1, b"{}");
        assert_eq!(sig.split(' ').count(), 4, "{sig}");
    }

    #[test]
    fn a_bad_secret_is_reported_without_echoing_it() {
        let err = options(&["--secret", "whsec_s3cr3t!!"]).unwrap_err();
        assert!(
            err.contains("--secret") && err.contains("invalid base64"),
            "{err}"
        );
        assert!(!err.contains("s3cr3t"), "{err}");
        let err = options(&["--secret", " , "]).unwrap_err();
        assert!(err.contains("expected at least one whsec_"), "{err}");
    }

    #[test]
    fn debug_output_of_the_arguments_never_contains_a_secret() {
        let cli = Cli::try_parse_from(["t", "--secret", A]).unwrap();
        let text = format!("{cli:?} {:?}", cli.delivery.options().unwrap());
        assert!(!text.contains("MfKQ9r8G"), "{text}");
    }

    #[test]
    fn exponential_backoff_takes_base_and_cap_and_checks_them() {
        let o = options(&[
            "--retry-backoff",
            "exponential",
            "--retry-base",
            "50ms",
            "--retry-cap",
            "2s",
        ])
        .unwrap();
        assert_eq!(
            o.retry.backoff,
            Backoff::Exponential {
                base: Duration::from_millis(50),
                cap: Duration::from_secs(2)
            }
        );
        assert_eq!(o.retry.max_retry_after, Duration::from_secs(2));
        let err = options(&[
            "--retry-backoff",
            "exponential",
            "--retry-base",
            "2s",
            "--retry-cap",
            "1s",
        ])
        .unwrap_err();
        assert_eq!(err, "--retry-cap: 1s is less than --retry-base 2s");
        let err = options(&["--retry-backoff", "exponential", "--retry-base", "0"]).unwrap_err();
        assert!(
            err.starts_with("--retry-base: must be more than 0s"),
            "{err}"
        );
    }

    #[test]
    fn a_retry_base_without_exponential_backoff_is_refused_naming_both() {
        let err = options(&["--retry-base", "10s", "--retry-cap", "1s"]).unwrap_err();
        assert!(
            err.starts_with(
                "--retry-base spaces exponential retries: it needs --retry-backoff exponential"
            ),
            "{err}"
        );
        let o = options(&["--retry-cap", "50ms"]).unwrap();
        assert_eq!(o.retry.backoff, Backoff::Immediate);
        assert_eq!(o.retry.max_retry_after, Duration::from_millis(50));
    }

    #[test]
    fn exponential_backoff_without_retries_is_refused_naming_both() {
        let err = options(&["--retries", "0", "--retry-backoff", "exponential"]).unwrap_err();
        assert!(
            err.starts_with("--retry-backoff exponential has no effect with --retries 0"),
            "{err}"
        );
        assert!(options(&["--retries", "0"]).is_ok());
    }

    #[test]
    fn every_delivery_wait_is_at_most_an_hour() {
        assert!(options(&["--timeout", "1h", "--grace", "1h", "--jitter", "1h"]).is_ok());
        for (flag, value, message) in [
            ("--timeout", "61m", "--timeout: at most 1h, got 1h1m"),
            ("--grace", "2h", "--grace: at most 1h, got 2h"),
            ("--retry-cap", "1d", "--retry-cap: at most 1h, got 1d"),
            ("--jitter", "0..90m", "--jitter: at most 1h, got 0s..1h30m"),
        ] {
            assert_eq!(options(&[flag, value]).unwrap_err(), message);
        }
        let err = options(&["--jitter", "0..213503982d"]).unwrap_err();
        assert!(
            err.contains("--jitter") && err.contains("the limit is 365d"),
            "{err}"
        );
    }

    #[test]
    fn tls_flags_are_carried_and_a_ca_file_must_hold_a_certificate() {
        let o = options(&[]).unwrap();
        assert!(!o.tls.insecure && o.tls.extra_roots.is_empty());
        assert!(options(&["--insecure"]).unwrap().tls.insecure);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate").unwrap();
        let err = options(&["--ca-cert", path.to_str().unwrap()]).unwrap_err();
        assert!(
            err.starts_with("--ca-cert: ") && err.contains("holds no PEM certificate"),
            "{err}"
        );
        let err = options(&["--ca-cert", "/nonexistent/ca.pem"]).unwrap_err();
        assert!(
            err.starts_with("--ca-cert: cannot read /nonexistent/ca.pem"),
            "{err}"
        );
    }

    #[test]
    fn robustness_flags_are_validated_and_carried() {
        let o = options(&[
            "--duplicate-rate",
            "10%",
            "--reorder-rate",
            "0.2",
            "--jitter",
            "0..200ms",
            "--ordering",
            "none",
        ])
        .unwrap();
        assert_eq!(o.ordering, OrderingMode::None);
        assert_eq!(o.robustness.duplicate_rate, 0.1);
        assert_eq!(o.robustness.reorder_rate, 0.2);
        assert_eq!(o.robustness.jitter.max, Duration::from_millis(200));
        let err = options(&["--duplicate-rate", "2"]).unwrap_err();
        assert!(
            err.contains("--duplicate-rate") && err.contains("between 0 and 1"),
            "{err}"
        );
        let err = options(&["--timeout", "0"]).unwrap_err();
        assert_eq!(err, "--timeout: must be more than 0s");
    }
}
