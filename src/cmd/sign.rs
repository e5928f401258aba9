//! `ccsim sign`: prints the platform's four authentication headers for one API request,
//! and a ready curl command, signed with the same credentials flags (or environment) that
//! `--api-auth` checks against.

use std::io::Read as _;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::Args;

use super::flags::api::CredentialArgs;
use crate::api::auth;
use crate::api::config::SIGNATURE_EXPIRY;
use crate::error::{Exit, RunError, UsageError};

/// Flags of `ccsim sign`.
#[derive(Debug, Clone, Args)]
pub struct SignArgs {
    /// HTTP method of the request.
    #[arg(long, default_value = "GET")]
    pub method: String,

    /// Request path, e.g. /v1/account/X/callcenter/conversation/ID (a query string is
    /// allowed; it is not signed).
    #[arg(long, value_name = "URI")]
    pub uri: String,

    /// File holding the request body, `-` for stdin (signed for POST and PUT only).
    #[arg(long, value_name = "FILE|-")]
    pub body: Option<PathBuf>,

    /// Content-Type the request will carry (signed for POST and PUT only).
    #[arg(
        long,
        value_name = "TYPE",
        default_value = "application/json;charset=UTF-8"
    )]
    pub content_type: String,

    /// Base URL of the API, for the printed curl command.
    #[arg(
        long,
        env = "CCSIM_API_URL",
        value_name = "URL",
        default_value = "http://127.0.0.1:8700"
    )]
    pub base_url: String,

    /// The client's identity and secret.
    #[command(flatten)]
    pub credentials: CredentialArgs,
}

/// `ccsim sign`: the four headers for a request signed at `now`, and a curl command.
pub fn sign(args: &SignArgs, now: DateTime<Utc>) -> Result<String, UsageError> {
    let credentials = args.credentials.credentials("sign")?;
    let method = args.method.to_ascii_uppercase();
    if !args.uri.starts_with('/') {
        return Err(UsageError(format!(
            "--uri: expected a path starting with /, like /v1/account/X/callcenter/conversation/ID, got {:?}",
            args.uri
        )));
    }
    let body = match &args.body {
        None => Vec::new(),
        Some(path) if path.as_os_str() == "-" => {
            let mut body = Vec::new();
            let limit = crate::files::MAX_WHOLE_FILE;
            std::io::stdin()
                .take(limit + 1)
                .read_to_end(&mut body)
                .map_err(|e| UsageError(format!("--body: cannot read stdin: {e}")))?;
            if body.len() as u64 > limit {
                return Err(UsageError(format!(
                    "--body: stdin holds more than the limit of {} MiB",
                    limit / (1024 * 1024)
                )));
            }
            body
        }
        Some(path) => crate::files::read_whole(path, crate::files::MAX_WHOLE_FILE)
            .map_err(|e| UsageError(format!("--body: cannot read {}: {e}", path.display())))?,
    };
    let headers = auth::sign_request(
        &credentials,
        &method,
        &args.uri,
        &args.content_type,
        &body,
        now,
        args.credentials.api_tz,
    );
    let mut out = String::new();
    let mut curl = format!("curl -sS -X {method}");
    for (name, value) in headers.pairs() {
        out.push_str(&format!("{name}: {value}\n"));
        curl.push_str(&format!(" -H {}", shell_quote(&format!("{name}: {value}"))));
    }
    if let Some(path) = &args.body {
        curl.push_str(&format!(
            " -H {} --data-binary {}",
            shell_quote(&format!("Content-Type: {}", args.content_type)),
            shell_quote(&format!("@{}", path.display()))
        ));
    }
    let url = format!("{}{}", args.base_url.trim_end_matches('/'), args.uri);
    curl.push_str(&format!(" {}", shell_quote(&url)));
    out.push_str(&format!(
        "\n# valid for {} minutes:\n{curl}\n",
        SIGNATURE_EXPIRY.as_secs() / 60
    ));
    Ok(out)
}

/// Quotes `s` for a POSIX shell.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Runs `ccsim sign`, signing at the current time: exit 5 when stdout cannot be written
/// (a closed stdout is fine).
pub fn exec(args: &SignArgs) -> Result<Exit, RunError> {
    crate::console::out_or_fail(&sign(args, Utc::now())?)?;
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct SignCli {
        #[command(flatten)]
        sign: SignArgs,
    }

    /// `ccsim sign` with the auth module's test credentials and `flags`.
    fn args(flags: &[&str]) -> SignArgs {
        let credentials = [
            "ccsim",
            "--app-id",
            "app-001",
            "--cert-id",
            "cert-001",
            "--api-secret",
            "test-secret",
        ];
        SignCli::try_parse_from(credentials.iter().chain(flags))
            .expect("parses")
            .sign
    }

    /// 2016-07-01 12:10:00 +08:00, the time of the auth module's Python vectors.
    fn signed_at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_467_346_200, 0).unwrap_or_default()
    }

    #[test]
    fn sign_prints_the_four_headers_and_a_curl_command() {
        let out = sign(
            &args(&["--uri", "/api/v1/calls?page=1&size=20"]),
            signed_at(),
        )
        .expect("signs");
        // The auth module's Python vector for GET /api/v1/calls.
        assert!(
            out.starts_with(
                "AppID: app-001\nCertID: cert-001\nSignature: px8JHuClBjj6Kz6RKJlefqBpmqtYUX5UVmcFiyshLSQ=\n"
            ),
            "{out}"
        );
        assert!(out.contains("Timestamp: 20160701121000\n"), "{out}");
        assert!(
            out.contains("'http://127.0.0.1:8700/api/v1/calls?page=1&size=20'"),
            "{out}"
        );
        assert!(!out.contains("test-secret"), "{out}");
    }

    #[test]
    fn sign_signs_a_post_body_from_a_file_and_its_content_type() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("body.json");
        std::fs::write(&path, br#"{"phone":"13800138000","taskId":42}"#).expect("written");
        let path = path.to_string_lossy().into_owned();
        let out = sign(
            &args(&[
                "--method",
                "post",
                "--uri",
                "/api/v1/tasks",
                "--body",
                &path,
                "--content-type",
                "application/json;charset=utf-8",
            ]),
            signed_at(),
        )
        .expect("signs");
        // The auth module's Python vector for this POST.
        assert!(
            out.contains("Signature: 2ASVNdmDQn8BUELLNRTGZTcSuF2mgugqcsMkjmsPd48=\n"),
            "{out}"
        );
        assert!(out.contains("curl -sS -X POST "), "{out}");
        assert!(
            out.contains(&format!(
                "-H 'Content-Type: application/json;charset=utf-8' --data-binary '@{path}'"
            )),
            "{out}"
        );
    }

    #[test]
    fn sign_names_the_problem_with_its_input() {
        let err = |flags: &[&str]| {
            sign(&args(flags), signed_at())
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(err(&["--uri", "v1/x"]).starts_with("--uri: expected a path"));
        assert!(
            err(&["--uri", "/x", "--body", "/no/such/file"])
                .starts_with("--body: cannot read /no/such/file")
        );
    }

    #[test]
    fn shell_quoting_survives_single_quotes() {
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
