//! The fake API's flags (flattened into `ccsim run`, `load` and `serve`; the credentials
//! also into `ccsim sign`), turned into a validated [`ApiPlan`] that the session starts the
//! server from.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use chrono::FixedOffset;
use clap::Args;

use super::given::Given;
use crate::api::auth::{self, ApiCredentials, AuthPolicy};
use crate::api::config::{ApiListen, ApiPlan, Linger, SIGNATURE_EXPIRY};
use crate::api::store::Retention;
use crate::control::{ControlPlan, ControlToken};
use crate::error::UsageError;
use crate::units::Span;

/// The most `--retain-conversations` may keep: records take a few KiB each, so ten
/// million is already tens of GiB.
pub const MAX_RETAINED: usize = 10_000_000;

/// Flags of the fake platform API (`ccsim run`, `ccsim serve`).
#[derive(Debug, Clone, Args)]
pub struct ApiArgs {
    /// Where the fake platform API listens for the whole run, or `off`.
    #[arg(
        long = "api",
        env = "CCSIM_API",
        value_name = "ADDR|off",
        default_value = "127.0.0.1:8700"
    )]
    pub api: ApiAddr,

    /// Keep serving the API this long after the last delivery (ctrl-c ends it early), so a
    /// receiver that works asynchronously can still read records.
    #[arg(
        long,
        env = "CCSIM_API_LINGER",
        value_name = "DURATION",
        default_value = "0s"
    )]
    pub api_linger: Span,

    /// Require the platform's HmacSHA256 signature headers (AppID, CertID, Signature,
    /// Timestamp) on every request whose path's first segment starts with `v` (the
    /// platform's filter, `/v*/**`: /v1/…, /v2/x); needs --api-secret.
    #[arg(long, env = "CCSIM_API_AUTH")]
    pub api_auth: bool,

    /// Records kept at most, from 1 to 10000000; past it the oldest ended conversations
    /// are forgotten (their ids then answer like unknown ones).
    #[arg(long, env = "CCSIM_RETAIN_CONVERSATIONS", value_name = "N", default_value_t = 50_000,
          value_parser = clap::value_parser!(u64).range(1..=MAX_RETAINED as u64))]
    pub retain_conversations: u64,

    /// Also forget conversations that ended longer ago than this, in simulated time (e.g.
    /// 30m). Default: only --retain-conversations limits them.
    #[arg(long, env = "CCSIM_RETAIN_FOR", value_name = "DURATION")]
    pub retain_for: Option<Span>,

    /// Also serve the test-control API under /__ccsim/ on the API's address: the journal
    /// of events sent so far and a long-poll wait for the next (docs/control.md). Off by
    /// default; on an address that is not loopback it needs --control-token.
    #[arg(long, env = "CCSIM_CONTROL")]
    pub control: bool,

    /// The bearer token every /__ccsim/ request must then carry (`Authorization: Bearer
    /// TOKEN`); needs --control.
    #[arg(
        long,
        env = "CCSIM_CONTROL_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub control_token: Option<Secret>,

    /// How simulated time moves: `real` follows the wall clock at --speed; `manual` moves
    /// only when a suite advances it (`POST /__ccsim/clock/advance`), each event's
    /// delivery finished before the next is released, for step-by-step end-to-end tests
    /// with no sleeps (docs/control.md). `manual` needs --control.
    #[arg(long, env = "CCSIM_CLOCK", value_name = "CLOCK", default_value = "real",
          value_parser = ["real", "manual"])]
    pub clock: String,

    /// The client's identity and secret.
    #[command(flatten)]
    pub credentials: CredentialArgs,

    /// The flags the command line named (filled by `cli::parse_from`).
    #[arg(skip)]
    pub given: Given,
}

impl ApiArgs {
    /// The validated API configuration these flags ask for.
    pub fn plan(&self) -> Result<ApiPlan, UsageError> {
        if self.api == ApiAddr::Off {
            let idle = [
                ("--api-auth", self.api_auth),
                ("--control", self.control),
                ("--api-linger", self.api_linger > Span::ZERO),
                ("--retain-for", self.retain_for.is_some()),
            ];
            if let Some((flag, _)) = idle.iter().find(|(_, given)| *given) {
                return Err(UsageError(format!(
                    "{flag} has no effect with --api off (no API is served): drop one of them"
                )));
            }
        }
        if !self.api_auth
            && let Some(flag) = ["--api-secret", "--app-id", "--cert-id"]
                .into_iter()
                .find(|f| self.given.has(f))
        {
            return Err(UsageError(format!(
                "{flag} has no effect without --api-auth (the API then checks no \
                 signatures): add --api-auth, or drop {flag}"
            )));
        }
        let control = self.control_plan()?;
        let zone = self.credentials.api_tz;
        let auth = if self.api_auth {
            let credentials = self.credentials.credentials("--api-auth")?;
            Some(AuthPolicy {
                zone,
                ..AuthPolicy::new(credentials, SIGNATURE_EXPIRY)
            })
        } else {
            None
        };
        Ok(ApiPlan {
            listen: match self.api {
                ApiAddr::Off => ApiListen::Off,
                ApiAddr::At(addr) => ApiListen::Addr(addr),
            },
            linger: Linger::For(self.api_linger.as_std()),
            auth,
            zone,
            retention: Retention {
                max_records: usize::try_from(self.retain_conversations).unwrap_or(usize::MAX),
                max_age: self.retain_for,
            },
            control,
        })
    }

    /// What `--control` and `--control-token` ask for.
    fn control_plan(&self) -> Result<Option<ControlPlan>, UsageError> {
        let manual_clock = self.clock == "manual";
        if manual_clock && self.given.has("--speed") {
            return Err(UsageError(
                "--speed has no effect with --clock manual (simulated time moves only when \
                 the control API advances it): drop one of them"
                    .into(),
            ));
        }
        if !self.control {
            if manual_clock {
                return Err(UsageError(
                    "--clock manual needs --control (only the control API can advance the \
                     clock): add --control, or drop --clock manual"
                        .into(),
                ));
            }
            if self.given.has("--control-token") {
                return Err(UsageError(
                    "--control-token has no effect without --control (no control API is \
                     served): add --control, or drop --control-token"
                        .into(),
                ));
            }
            return Ok(None);
        }
        let token = match &self.control_token {
            Some(Secret(text)) if text.trim().is_empty() => {
                return Err(UsageError("--control-token is empty".into()));
            }
            Some(Secret(text)) => Some(ControlToken::new(text)),
            None => None,
        };
        if let (ApiAddr::At(addr), None) = (self.api, &token)
            && !addr.ip().is_loopback()
        {
            return Err(UsageError(format!(
                "--control on --api {addr}, not a loopback address, needs --control-token \
                 TOKEN (or CCSIM_CONTROL_TOKEN): whoever reaches it could read every event \
                 sent; add a token, or serve the API on 127.0.0.1"
            )));
        }
        Ok(Some(ControlPlan {
            token,
            manual_clock,
        }))
    }
}

/// The API client's identity and secret, shared by `--api-auth` and `ccsim sign`.
#[derive(Debug, Clone, Args)]
pub struct CredentialArgs {
    /// Application id (the `AppID` header).
    #[arg(
        long,
        env = "CCSIM_APP_ID",
        value_name = "ID",
        default_value = "ccsim-app"
    )]
    pub app_id: String,

    /// Authentication account id (the `CertID` header).
    #[arg(
        long,
        env = "CCSIM_CERT_ID",
        value_name = "ID",
        default_value = "ccsim-cert"
    )]
    pub cert_id: String,

    /// Shared secret of the HmacSHA256 signature (never printed).
    #[arg(
        long,
        env = "CCSIM_API_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub api_secret: Option<Secret>,

    /// Zone the `Timestamp` header is written in (the platform's is China Standard Time).
    #[arg(long, env = "CCSIM_API_TZ", value_name = "OFFSET", default_value = "+08:00",
          value_parser = auth::parse_utc_offset)]
    pub api_tz: FixedOffset,
}

impl CredentialArgs {
    /// The credentials, or an error naming the missing secret for `what`.
    pub fn credentials(&self, what: &str) -> Result<ApiCredentials, UsageError> {
        let secret = self.api_secret.as_ref().ok_or_else(|| {
            UsageError(format!(
                "{what}: needs a secret: pass --api-secret or set CCSIM_API_SECRET"
            ))
        })?;
        if secret.0.is_empty() {
            return Err(UsageError(format!("{what}: --api-secret is empty")));
        }
        Ok(ApiCredentials::new(
            &self.app_id,
            &self.cert_id,
            secret.0.clone(),
        ))
    }
}

/// A secret from the command line or environment; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// `--api`: an address, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiAddr {
    /// No API.
    Off,
    /// Listen here.
    At(SocketAddr),
}

impl FromStr for ApiAddr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("off") {
            return Ok(Self::Off);
        }
        s.parse().map(Self::At).map_err(|_| {
            format!("expected an address like 127.0.0.1:8700 (port 0 = any free port) or `off`, got {s:?}")
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        api: ApiArgs,
    }

    fn parse(args: &[&str]) -> Result<ApiArgs, clap::Error> {
        Cli::try_parse_from(std::iter::once("ccsim").chain(args.iter().copied())).map(|c| c.api)
    }

    #[test]
    fn api_defaults_to_loopback_port_8700_without_auth() {
        let args = parse(&[]).expect("defaults parse");
        assert_eq!(
            args.api,
            ApiAddr::At(SocketAddr::from(([127, 0, 0, 1], 8700)))
        );
        let plan = args.plan().expect("valid");
        assert!(plan.auth.is_none());
        assert_eq!(plan.zone, auth::DEFAULT_ZONE);
        assert_eq!(plan.retention.max_records, 50_000);
        assert_eq!(plan.retention.max_age, None);
        assert_eq!(plan.linger, Linger::For(Duration::ZERO));
    }

    #[test]
    fn retention_takes_a_count_and_an_age() {
        let args = parse(&["--retain-conversations", "50", "--retain-for", "30m"]).expect("parses");
        let plan = args.plan().expect("valid");
        assert_eq!(plan.retention.max_records, 50);
        assert_eq!(
            plan.retention.max_age,
            Some(Span::from_millis(30 * 60 * 1000))
        );
        assert!(parse(&["--retain-conversations", "0"]).is_err());
        let most = MAX_RETAINED.to_string();
        assert_eq!(
            parse(&["--retain-conversations", &most])
                .unwrap()
                .plan()
                .unwrap()
                .retention
                .max_records,
            MAX_RETAINED
        );
        let err = parse(&["--retain-conversations", "10000001"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--retain-conversations") && err.contains("1..=10000000"),
            "{err}"
        );
    }

    #[test]
    fn the_auth_help_covers_the_platforms_filter_not_only_v1() {
        let help = <Cli as clap::CommandFactory>::command()
            .render_long_help()
            .to_string();
        assert!(help.contains("/v*/**"), "{help}");
        assert!(!help.contains("every /v1/ request"), "{help}");
    }

    #[test]
    fn credentials_without_auth_are_refused_naming_both() {
        let plan = |args: &[&str]| {
            let (mut cli, given) = crate::cmd::flags::given::parse_with_given::<Cli>(args).unwrap();
            cli.api.given = given;
            cli.api.plan().map_err(|e| e.0)
        };
        for flag in ["--api-secret", "--app-id", "--cert-id"] {
            assert_eq!(
                plan(&[flag, "x"]).unwrap_err(),
                format!(
                    "{flag} has no effect without --api-auth (the API then checks no \
                     signatures): add --api-auth, or drop {flag}"
                )
            );
        }
        assert!(plan(&["--api-auth", "--api-secret", "x", "--app-id", "a"]).is_ok());
        // The zone also writes member times: meaningful without auth.
        assert!(plan(&["--api-tz", "+00:00"]).is_ok());
    }

    fn control(args: &[&str]) -> Result<Option<ControlPlan>, String> {
        let (mut cli, given) = crate::cmd::flags::given::parse_with_given::<Cli>(args).unwrap();
        cli.api.given = given;
        cli.api.plan().map(|p| p.control).map_err(|e| e.0)
    }

    #[test]
    fn control_is_off_by_default_and_on_loopback_needs_no_token() {
        assert_eq!(control(&[]), Ok(None));
        assert_eq!(control(&["--control"]), Ok(Some(ControlPlan::default())));
        assert_eq!(
            control(&["--control", "--api", "[::1]:0"]),
            Ok(Some(ControlPlan::default()))
        );
        assert_eq!(
            control(&["--control", "--control-token", "t0k"]),
            Ok(Some(ControlPlan {
                token: Some(ControlToken::new("t0k")),
                manual_clock: false,
            }))
        );
    }

    #[test]
    fn control_elsewhere_than_loopback_needs_a_token() {
        for addr in ["0.0.0.0:8700", "[::]:8700", "192.0.2.1:8700"] {
            let err = control(&["--control", "--api", addr]).unwrap_err();
            assert!(
                err.starts_with(&format!(
                    "--control on --api {addr}, not a loopback address, needs --control-token"
                )),
                "{err}"
            );
            assert!(control(&["--control", "--api", addr, "--control-token", "x"]).is_ok());
        }
        assert_eq!(
            control(&["--control", "--control-token", " "]).unwrap_err(),
            "--control-token is empty"
        );
    }

    #[test]
    fn control_flags_are_refused_where_meaningless() {
        assert_eq!(
            control(&["--control-token", "x"]).unwrap_err(),
            "--control-token has no effect without --control (no control API is served): \
             add --control, or drop --control-token"
        );
        assert_eq!(
            control(&["--control", "--api", "off"]).unwrap_err(),
            "--control has no effect with --api off (no API is served): drop one of them"
        );
        let plan = parse(&["--control", "--control-token", "hunter2-xyz"])
            .unwrap()
            .plan()
            .unwrap();
        assert!(!format!("{plan:?}").contains("hunter2"));
    }

    #[test]
    fn api_off_disables_the_server() {
        let plan = parse(&["--api", "off"])
            .expect("parses")
            .plan()
            .expect("valid");
        assert!(matches!(plan.listen, ApiListen::Off));
    }

    #[test]
    fn api_off_refuses_the_flags_it_makes_meaningless() {
        for (flag, value) in [
            ("--api-auth", None),
            ("--api-linger", Some("30s")),
            ("--retain-for", Some("5m")),
        ] {
            let mut args = vec!["--api", "off", flag];
            args.extend(value);
            let err = parse(&args).unwrap().plan().unwrap_err().to_string();
            assert_eq!(
                err,
                format!("{flag} has no effect with --api off (no API is served): drop one of them")
            );
        }
        assert!(
            parse(&["--api", "off", "--api-linger", "0s"])
                .unwrap()
                .plan()
                .is_ok()
        );
    }

    #[test]
    fn a_bad_api_address_names_the_flag_and_the_syntax() {
        let err = parse(&["--api", "localhost"]).err().map(|e| e.to_string());
        let err = err.unwrap_or_default();
        assert!(
            err.contains("--api") && err.contains("127.0.0.1:8700"),
            "{err}"
        );
    }

    #[test]
    fn auth_without_a_secret_is_a_usage_error() {
        let err = parse(&["--api-auth"])
            .expect("parses")
            .plan()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("--api-secret"), "{err}");
    }

    #[test]
    fn the_secret_never_appears_in_debug_output() {
        let args = parse(&["--api-auth", "--api-secret", "hunter2-xyz"]).expect("parses");
        let plan = args.plan().expect("valid");
        for debug in [format!("{args:?}"), format!("{plan:?}")] {
            assert!(!debug.contains("hunter2"), "{debug}");
        }
        assert_eq!(plan.auth.map(|a| a.max_age), Some(SIGNATURE_EXPIRY));
    }
}
