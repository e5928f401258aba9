//! Platform REST API authentication: request signing and verification.
//!
//! Every call to the platform's REST API carries four headers:
//!
//! | header      | value                                                           |
//! |-------------|-----------------------------------------------------------------|
//! | `AppID`     | the application id                                              |
//! | `CertID`    | the authentication account ("cert") id                          |
//! | `Timestamp` | local time of signing, `yyyyMMddHHmmss`, in a fixed UTC offset  |
//! | `Signature` | `Base64(HmacSHA256(secret, string_to_sign))`                    |
//!
//! The string to sign is six lines joined by `\n` (no trailing newline):
//!
//! ```text
//! METHOD
//! MD5            lowercase hex MD5 of the raw body   (POST and PUT only, else "")
//! CONTENT_TYPE   the Content-Type header value       (POST and PUT only, else "")
//! TIMESTAMP      the Timestamp header value
//! APPID          the AppID header value
//! URI            the request path, without the query string
//! ```
//!
//! The timestamp is interpreted in a configurable fixed UTC offset; the real
//! platform uses China Standard Time, [`DEFAULT_ZONE`] (`+08:00`).
//!
//! [`verify`] checks a request in the platform's order and reports the first
//! failure as an [`AuthError`], whose [`Display`](std::fmt::Display) is the
//! platform's (Chinese) message and whose [`AuthError::body`] is the plain-text
//! body of the HTTP 401 response. [`sign_request`] produces the headers for a
//! client (the `ccsim sign` helper and tests).
//!
//! This module is pure: it does no I/O and never reads the clock; callers pass
//! the current time in.

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{
    DateTime, FixedOffset, NaiveDateTime, Offset as _, TimeDelta, TimeZone as _, Timelike as _, Utc,
};
use hmac::digest::{Digest as _, KeyInit, Mac};
use md5::Md5;
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

use crate::event::profile::SignatureExpiry;

/// Header carrying the application id.
pub const HEADER_APP_ID: &str = "AppID";
/// Header carrying the authentication account ("cert") id.
pub const HEADER_CERT_ID: &str = "CertID";
/// Header carrying the Base64 HMAC-SHA256 signature.
pub const HEADER_SIGNATURE: &str = "Signature";
/// Header carrying the signing time, formatted with [`TIMESTAMP_FORMAT`].
pub const HEADER_TIMESTAMP: &str = "Timestamp";
/// Header whose value enters the string to sign for `POST` and `PUT`.
pub const HEADER_CONTENT_TYPE: &str = "Content-Type";

/// `chrono` format of the `Timestamp` header: `yyyyMMddHHmmss`.
pub const TIMESTAMP_FORMAT: &str = "%Y%m%d%H%M%S";

/// The platform's default timestamp zone: China Standard Time, `+08:00`.
pub const DEFAULT_ZONE: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(zone) => zone,
    None => panic!("+08:00 is a valid UTC offset"),
};

type HmacSha256 = hmac::Hmac<Sha256>;

/// The identity and shared secret of an API client.
///
/// `Debug` never prints the secret.
#[derive(Clone)]
pub struct ApiCredentials {
    /// Application id, sent in the `AppID` header.
    pub app_id: String,
    /// Authentication account id, sent in the `CertID` header.
    pub cert_id: String,
    secret: String,
}

impl ApiCredentials {
    /// Credentials for `app_id` / `cert_id`, signing with `secret`.
    pub fn new(
        app_id: impl Into<String>,
        cert_id: impl Into<String>,
        secret: impl Into<String>,
    ) -> Self {
        Self {
            app_id: app_id.into(),
            cert_id: cert_id.into(),
            secret: secret.into(),
        }
    }

    /// The shared secret used as the HMAC key.
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

impl fmt::Debug for ApiCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiCredentials")
            .field("app_id", &self.app_id)
            .field("cert_id", &self.cert_id)
            .field("secret", &format_args!("<redacted>"))
            .finish()
    }
}

/// Builds the string to sign for a request.
///
/// `method` is used verbatim (HTTP methods are case-sensitive; callers taking
/// user input should upper-case it). The body MD5 and `content_type` are only
/// included for `POST` and `PUT`; for every other method both lines are empty.
/// Anything from the first `?` in `uri` on is dropped.
pub fn string_to_sign(
    method: &str,
    uri: &str,
    content_type: &str,
    body: &[u8],
    timestamp: &str,
    app_id: &str,
) -> String {
    let (md5, content_type) = if method == "POST" || method == "PUT" {
        (format!("{:x}", Md5::digest(body)), content_type)
    } else {
        (String::new(), "")
    };
    let path = uri.split_once('?').map_or(uri, |(path, _query)| path);
    format!("{method}\n{md5}\n{content_type}\n{timestamp}\n{app_id}\n{path}")
}

/// Signs `string_to_sign` with `secret`: standard Base64 (with padding) of
/// HMAC-SHA256 keyed by the secret's UTF-8 bytes.
pub fn signature(secret: &str, string_to_sign: &str) -> String {
    match <HmacSha256 as KeyInit>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(string_to_sign.as_bytes());
            BASE64.encode(mac.finalize().into_bytes())
        }
        // HMAC accepts keys of any length, so this cannot happen; an empty signature
        // never verifies because `verify` rejects an empty `Signature` header first.
        Err(_) => String::new(),
    }
}

/// Formats `at` as a `Timestamp` header value (`yyyyMMddHHmmss`) in `zone`.
pub fn format_timestamp(at: DateTime<Utc>, zone: FixedOffset) -> String {
    at.with_timezone(&zone).format(TIMESTAMP_FORMAT).to_string()
}

/// Parses a `Timestamp` header value (`yyyyMMddHHmmss`) as local time in
/// `zone`.
///
/// Strict: exactly 14 ASCII digits forming a valid calendar date and time;
/// anything else (signs, spaces, separators, `24:00`, leap seconds) is `None`.
pub fn parse_timestamp(s: &str, zone: FixedOffset) -> Option<DateTime<Utc>> {
    // chrono alone would take fewer digits per field and a sign on the year.
    if s.len() != 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let local = NaiveDateTime::parse_from_str(s, TIMESTAMP_FORMAT).ok()?;
    // chrono reads second 60 as a leap second.
    if local.nanosecond() >= 1_000_000_000 {
        return None;
    }
    zone.from_local_datetime(&local)
        .single()
        .map(|at| at.with_timezone(&Utc))
}

/// Parses a fixed UTC offset as written in configuration or on the command
/// line.
///
/// Accepts `Z` and `UTC` (any case), and a sign followed by hours with
/// optional minutes: `+08:00`, `+0800`, `-05:30`, `+08`, `+8`. Hours must be
/// at most 23 and minutes at most 59. Surrounding whitespace is ignored.
pub fn parse_utc_offset(s: &str) -> Result<FixedOffset, String> {
    let error = || format!("expected a UTC offset like +08:00, got {s:?}");
    let trimmed = s.trim();
    if trimmed.eq_ignore_ascii_case("Z") || trimmed.eq_ignore_ascii_case("UTC") {
        return Ok(Utc.fix());
    }
    let (sign, rest) = if let Some(rest) = trimmed.strip_prefix('+') {
        (1, rest)
    } else if let Some(rest) = trimmed.strip_prefix('-') {
        (-1, rest)
    } else {
        return Err(error());
    };
    let (hours, minutes) = match rest.split_once(':') {
        Some((hours, minutes)) if minutes.len() == 2 => (hours, minutes),
        Some(_) => return Err(error()),
        None if rest.len() == 4 => rest.split_at_checked(2).ok_or_else(error)?,
        None => (rest, "00"),
    };
    // One or two ASCII digits.
    let number = |digits: &str| -> Option<i32> {
        let valid = (1..=2).contains(&digits.len()) && digits.bytes().all(|d| d.is_ascii_digit());
        if valid { digits.parse().ok() } else { None }
    };
    let (Some(hours), Some(minutes)) = (number(hours), number(minutes)) else {
        return Err(error());
    };
    if hours > 23 || minutes > 59 {
        return Err(error());
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60)).ok_or_else(error)
}

/// The authentication headers to send with a request (for `ccsim sign` and
/// for tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    /// Value of the `AppID` header.
    pub app_id: String,
    /// Value of the `CertID` header.
    pub cert_id: String,
    /// Value of the `Signature` header.
    pub signature: String,
    /// Value of the `Timestamp` header.
    pub timestamp: String,
}

impl SignedHeaders {
    /// The headers as `(name, value)` pairs, in the order
    /// `AppID`, `CertID`, `Signature`, `Timestamp`.
    pub fn pairs(&self) -> [(&'static str, &str); 4] {
        [
            (HEADER_APP_ID, &self.app_id),
            (HEADER_CERT_ID, &self.cert_id),
            (HEADER_SIGNATURE, &self.signature),
            (HEADER_TIMESTAMP, &self.timestamp),
        ]
    }
}

/// Signs a request made at `at`, with its timestamp written in `zone`.
///
/// `content_type` must be the exact `Content-Type` header the request will
/// carry (it is only signed for `POST` and `PUT`). See [`string_to_sign`] for
/// how `method` and `uri` are used.
pub fn sign_request(
    creds: &ApiCredentials,
    method: &str,
    uri: &str,
    content_type: &str,
    body: &[u8],
    at: DateTime<Utc>,
    zone: FixedOffset,
) -> SignedHeaders {
    let timestamp = format_timestamp(at, zone);
    let to_sign = string_to_sign(method, uri, content_type, body, &timestamp, &creds.app_id);
    SignedHeaders {
        app_id: creds.app_id.clone(),
        cert_id: creds.cert_id.clone(),
        signature: signature(creds.secret(), &to_sign),
        timestamp,
    }
}

/// What the server accepts.
#[derive(Clone, Debug)]
pub struct AuthPolicy {
    /// The single client the server knows.
    pub credentials: ApiCredentials,
    /// Zone the `Timestamp` header is written in.
    pub zone: FixedOffset,
    /// A request is expired when `now - timestamp > max_age`.
    pub max_age: Duration,
    /// How far in the future a timestamp may be. `None` accepts any future
    /// timestamp (what the real platform does); `Some(d)` rejects a request
    /// as expired when `timestamp - now > d`.
    pub max_future: Option<Duration>,
}

impl AuthPolicy {
    /// A policy for `credentials` with the platform's behaviour: timestamps in
    /// [`DEFAULT_ZONE`], expiring after `max_age`, future timestamps accepted.
    pub fn new(credentials: ApiCredentials, max_age: Duration) -> Self {
        Self {
            credentials,
            zone: DEFAULT_ZONE,
            max_age,
            max_future: None,
        }
    }
}

impl AuthPolicy {
    /// The policy with the fidelity profile's expiry (how old, and how far in the
    /// future, a signed request may be).
    pub fn with_expiry(self, expiry: &SignatureExpiry) -> Self {
        Self {
            max_age: expiry.max_age,
            max_future: expiry.max_future,
            ..self
        }
    }
}

/// Why a request failed authentication. Every variant is an HTTP 401.
///
/// `Display` is the platform's message; [`AuthError::body`] is the response
/// body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// One of the four authentication headers is missing or empty.
    #[error("没有找到授权凭证")]
    MissingCredentials,
    /// The `Timestamp` header is not a valid `yyyyMMddHHmmss` time.
    #[error("时间戳参数不正确")]
    BadTimestamp,
    /// The `CertID` header is not the configured cert id.
    #[error("无效的鉴权账号")]
    UnknownCertId,
    /// The `AppID` header is not the configured app id.
    #[error("无效的appid")]
    InvalidAppId,
    /// The `Signature` header does not match the request.
    #[error("签名不正确")]
    BadSignature,
    /// The timestamp is too old (or, under a `max_future` policy, too far
    /// ahead).
    #[error("签名过期")]
    Expired,
}

impl AuthError {
    /// HTTP status of every authentication failure.
    pub const STATUS: u16 = 401;

    /// Plain-text body of the 401 response: `HTTP Status 401 - <message>\n`.
    pub fn body(&self) -> String {
        format!("HTTP Status {} - {self}\n", Self::STATUS)
    }
}

/// Verifies a request against `policy` at time `now`.
///
/// `header` looks a header up by name (case-insensitive lookup is the
/// caller's job). The content type signed for `POST`/`PUT` is
/// `header("Content-Type")`, or empty if absent.
///
/// Checks, in order, returning the first failure: all four headers present
/// and non-empty, timestamp parseable, cert id, app id, signature (compared in
/// constant time), then age.
pub fn verify(
    policy: &AuthPolicy,
    method: &str,
    uri: &str,
    body: &[u8],
    header: impl Fn(&str) -> Option<String>,
    now: DateTime<Utc>,
) -> Result<(), AuthError> {
    let required = |name: &str| {
        header(name)
            .filter(|value| !value.is_empty())
            .ok_or(AuthError::MissingCredentials)
    };
    let app_id = required(HEADER_APP_ID)?;
    let cert_id = required(HEADER_CERT_ID)?;
    let provided = required(HEADER_SIGNATURE)?;
    let timestamp = required(HEADER_TIMESTAMP)?;

    let signed_at = parse_timestamp(&timestamp, policy.zone).ok_or(AuthError::BadTimestamp)?;
    let creds = &policy.credentials;
    if cert_id != creds.cert_id {
        return Err(AuthError::UnknownCertId);
    }
    if app_id != creds.app_id {
        return Err(AuthError::InvalidAppId);
    }

    let content_type = header(HEADER_CONTENT_TYPE).unwrap_or_default();
    let to_sign = string_to_sign(method, uri, &content_type, body, &timestamp, &app_id);
    let expected = signature(creds.secret(), &to_sign);
    if !bool::from(provided.as_bytes().ct_eq(expected.as_bytes())) {
        return Err(AuthError::BadSignature);
    }

    let age = now.signed_duration_since(signed_at);
    if exceeds(age, policy.max_age) {
        return Err(AuthError::Expired);
    }
    if policy
        .max_future
        .is_some_and(|max_future| exceeds(-age, max_future))
    {
        return Err(AuthError::Expired);
    }
    Ok(())
}

/// `delta > limit`; a limit too large for `TimeDelta` is never exceeded.
fn exceeds(delta: TimeDelta, limit: Duration) -> bool {
    TimeDelta::from_std(limit).is_ok_and(|limit| delta > limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "test-secret";
    const APP_ID: &str = "app-001";
    const CERT_ID: &str = "cert-001";
    const TIMESTAMP: &str = "20160701121000";
    const POST_BODY: &[u8] = br#"{"phone":"13800138000","taskId":42}"#;
    const JSON_UTF8: &str = "application/json;charset=utf-8";

    fn creds() -> ApiCredentials {
        ApiCredentials::new(APP_ID, CERT_ID, SECRET)
    }

    fn policy() -> AuthPolicy {
        AuthPolicy::new(creds(), Duration::from_secs(300))
    }

    fn utc(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .expect("test literal is RFC 3339")
            .with_timezone(&Utc)
    }

    /// 20160701121000 in +08:00.
    fn signed_at() -> DateTime<Utc> {
        utc("2016-07-01T04:10:00Z")
    }

    fn offset(s: &str) -> FixedOffset {
        parse_utc_offset(s).expect("test literal is a valid offset")
    }

    /// A request as the server sees it: signed headers plus a content type.
    struct Request {
        method: &'static str,
        uri: &'static str,
        body: &'static [u8],
        headers: Vec<(String, String)>,
    }

    impl Request {
        fn signed(
            creds: &ApiCredentials,
            method: &'static str,
            uri: &'static str,
            content_type: &str,
            body: &'static [u8],
        ) -> Self {
            let signed = sign_request(
                creds,
                method,
                uri,
                content_type,
                body,
                signed_at(),
                DEFAULT_ZONE,
            );
            let mut headers: Vec<(String, String)> = signed
                .pairs()
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect();
            if !content_type.is_empty() {
                headers.push((HEADER_CONTENT_TYPE.to_owned(), content_type.to_owned()));
            }
            Self {
                method,
                uri,
                body,
                headers,
            }
        }

        fn get() -> Self {
            Self::signed(&creds(), "GET", "/api/v1/calls?page=1", "", b"")
        }

        fn post() -> Self {
            Self::signed(&creds(), "POST", "/api/v1/tasks", JSON_UTF8, POST_BODY)
        }

        fn set(mut self, name: &str, value: &str) -> Self {
            self.remove(name);
            self.headers.push((name.to_owned(), value.to_owned()));
            self
        }

        fn without(mut self, name: &str) -> Self {
            self.remove(name);
            self
        }

        fn remove(&mut self, name: &str) {
            self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        }

        fn verify(&self, policy: &AuthPolicy, now: DateTime<Utc>) -> Result<(), AuthError> {
            verify(
                policy,
                self.method,
                self.uri,
                self.body,
                |name| {
                    self.headers
                        .iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case(name))
                        .map(|(_, v)| v.clone())
                },
                now,
            )
        }
    }

    // Known-answer vectors, computed independently with Python:
    //
    // python3 -c "import hmac,hashlib,base64; s='GET\n\n\n20160701121000\napp-001\n/api/v1/calls'; print(base64.b64encode(hmac.new(b'test-secret', s.encode(), hashlib.sha256).digest()).decode())"
    const GET_SIGNATURE: &str = "px8JHuClBjj6Kz6RKJlefqBpmqtYUX5UVmcFiyshLSQ=";
    // python3 -c "import hashlib; print(hashlib.md5(b'{\"phone\":\"13800138000\",\"taskId\":42}').hexdigest())"
    const POST_BODY_MD5: &str = "9be49727ca7a99cb9ef3e588fec173ad";
    // python3 -c "import hmac,hashlib,base64; b=b'{\"phone\":\"13800138000\",\"taskId\":42}'; s='POST\n'+hashlib.md5(b).hexdigest()+'\napplication/json;charset=utf-8\n20160701121000\napp-001\n/api/v1/tasks'; print(base64.b64encode(hmac.new(b'test-secret', s.encode(), hashlib.sha256).digest()).decode())"
    const POST_SIGNATURE: &str = "2ASVNdmDQn8BUELLNRTGZTcSuF2mgugqcsMkjmsPd48=";
    // A secret longer than the 64-byte HMAC block (hashed first by RFC 2104):
    // python3 -c "import hmac,hashlib,base64; print(base64.b64encode(hmac.new(b'k'*100, b'hello', hashlib.sha256).digest()).decode())"
    const LONG_KEY_SIGNATURE: &str = "P9V412Gk9nAwCektLooK6iKrmrUNStJQ3JXYw2new/U=";
    // A secret of exactly one block:
    // python3 -c "import hmac,hashlib,base64; print(base64.b64encode(hmac.new(b'k'*64, b'hello', hashlib.sha256).digest()).decode())"
    const BLOCK_KEY_SIGNATURE: &str = "bZbuW8SwikbcK3cURfA1P/e4/AhpGwSR9LysnRhBd7Q=";

    #[test]
    fn get_request_signs_empty_md5_and_content_type() {
        let text = string_to_sign(
            "GET",
            "/api/v1/calls?page=1&size=20",
            JSON_UTF8,
            b"ignored body",
            TIMESTAMP,
            APP_ID,
        );
        assert_eq!(text, "GET\n\n\n20160701121000\napp-001\n/api/v1/calls");
    }

    #[test]
    fn delete_and_other_methods_sign_empty_md5_and_content_type() {
        for method in ["DELETE", "PATCH", "HEAD"] {
            let text = string_to_sign(method, "/x", JSON_UTF8, b"body", TIMESTAMP, APP_ID);
            assert_eq!(text, format!("{method}\n\n\n20160701121000\napp-001\n/x"));
        }
    }

    #[test]
    fn post_request_signs_body_md5_and_content_type() {
        let text = string_to_sign(
            "POST",
            "/api/v1/tasks",
            JSON_UTF8,
            POST_BODY,
            TIMESTAMP,
            APP_ID,
        );
        assert_eq!(
            text,
            format!(
                "POST\n{POST_BODY_MD5}\napplication/json;charset=utf-8\n20160701121000\napp-001\n/api/v1/tasks"
            )
        );
    }

    #[test]
    fn put_request_with_empty_body_signs_md5_of_nothing() {
        let text = string_to_sign("PUT", "/a?b=c", "text/plain", b"", TIMESTAMP, APP_ID);
        // python3 -c "import hashlib; print(hashlib.md5(b'').hexdigest())"
        assert_eq!(
            text,
            "PUT\nd41d8cd98f00b204e9800998ecf8427e\ntext/plain\n20160701121000\napp-001\n/a"
        );
    }

    #[test]
    fn get_signature_matches_python_vector() {
        let text = string_to_sign("GET", "/api/v1/calls?page=1", "", b"", TIMESTAMP, APP_ID);
        assert_eq!(signature(SECRET, &text), GET_SIGNATURE);
    }

    #[test]
    fn post_signature_matches_python_vector() {
        let text = string_to_sign(
            "POST",
            "/api/v1/tasks",
            JSON_UTF8,
            POST_BODY,
            TIMESTAMP,
            APP_ID,
        );
        assert_eq!(signature(SECRET, &text), POST_SIGNATURE);
    }

    #[test]
    fn secrets_of_one_block_or_longer_match_python_vectors() {
        assert_eq!(signature(&"k".repeat(100), "hello"), LONG_KEY_SIGNATURE);
        assert_eq!(signature(&"k".repeat(64), "hello"), BLOCK_KEY_SIGNATURE);
    }

    #[test]
    fn sign_request_produces_the_python_vectors() {
        let get = sign_request(
            &creds(),
            "GET",
            "/api/v1/calls?page=1&size=20",
            "",
            b"",
            signed_at(),
            DEFAULT_ZONE,
        );
        assert_eq!(
            get,
            SignedHeaders {
                app_id: APP_ID.into(),
                cert_id: CERT_ID.into(),
                signature: GET_SIGNATURE.into(),
                timestamp: TIMESTAMP.into(),
            }
        );
        let post = sign_request(
            &creds(),
            "POST",
            "/api/v1/tasks",
            JSON_UTF8,
            POST_BODY,
            signed_at(),
            DEFAULT_ZONE,
        );
        assert_eq!(post.signature, POST_SIGNATURE);
        assert_eq!(
            post.pairs(),
            [
                ("AppID", APP_ID),
                ("CertID", CERT_ID),
                ("Signature", POST_SIGNATURE),
                ("Timestamp", TIMESTAMP),
            ]
        );
    }

    #[test]
    fn timestamp_in_china_standard_time_is_eight_hours_ahead_of_utc() {
        assert_eq!(
            parse_timestamp(TIMESTAMP, DEFAULT_ZONE),
            Some(utc("2016-07-01T04:10:00Z"))
        );
        assert_eq!(format_timestamp(signed_at(), DEFAULT_ZONE), TIMESTAMP);
    }

    #[test]
    fn timestamp_round_trips_in_several_zones() {
        let at = utc("2024-02-29T23:59:58Z");
        for (zone, text) in [
            ("+08:00", "20240301075958"),
            ("-05:30", "20240229182958"),
            ("Z", "20240229235958"),
        ] {
            let zone = offset(zone);
            assert_eq!(format_timestamp(at, zone), text);
            assert_eq!(parse_timestamp(text, zone), Some(at));
        }
    }

    #[test]
    fn timestamp_parsing_is_strict() {
        for bad in [
            "",
            "2016070112100",
            "201607011210000",
            "2016-07-01 12:10",
            " 20160701121000",
            "+2016070112100",
            "2016070112100a",
            "20161301121000", // month 13
            "20160230121000", // 30 February
            "20160701241000", // hour 24
            "20160701126000", // minute 60
            "20160701121060", // second 60
            "20161231235960", // a real leap second (UTC 2016-12-31 23:59:60)
            "２０１６０７０１１２１０００",
        ] {
            assert_eq!(parse_timestamp(bad, DEFAULT_ZONE), None, "{bad:?}");
        }
    }

    #[test]
    fn timestamps_of_every_four_digit_year_parse() {
        for (text, rfc3339) in [
            ("00000101000000", "0000-01-01T00:00:00Z"),
            ("00010101000000", "0001-01-01T00:00:00Z"),
            ("99991231235959", "9999-12-31T23:59:59Z"),
        ] {
            assert_eq!(
                parse_timestamp(text, Utc.fix()),
                Some(utc(rfc3339)),
                "{text}"
            );
        }
    }

    #[test]
    fn utc_offsets_parse_in_every_documented_spelling() {
        for (text, seconds) in [
            ("+08:00", 8 * 3600),
            ("+0800", 8 * 3600),
            ("+08", 8 * 3600),
            ("+8", 8 * 3600),
            ("-05:30", -(5 * 3600 + 30 * 60)),
            ("-0530", -(5 * 3600 + 30 * 60)),
            ("+00:00", 0),
            ("Z", 0),
            ("z", 0),
            ("UTC", 0),
            ("utc", 0),
            (" +08:00 ", 8 * 3600),
        ] {
            assert_eq!(
                parse_utc_offset(text).map(|z| z.local_minus_utc()),
                Ok(seconds),
                "{text:?}"
            );
        }
        assert_eq!(offset("+08:00"), DEFAULT_ZONE);
    }

    #[test]
    fn bad_utc_offsets_are_rejected_with_a_message_showing_the_syntax() {
        assert_eq!(
            parse_utc_offset("abc"),
            Err(r#"expected a UTC offset like +08:00, got "abc""#.to_owned())
        );
        for bad in [
            "",
            "8",
            "08:00",
            "+",
            "+123",
            "+08:0",
            "+08:000",
            "+24:00",
            "+08:60",
            "++8",
            "+8:",
            "+-8",
            "+0８",
            "+٠٨",
            "+08:0８",
            "UTC+8",
            "GMT",
            "+08:00:00",
        ] {
            assert_eq!(
                parse_utc_offset(bad),
                Err(format!("expected a UTC offset like +08:00, got {bad:?}")),
            );
        }
    }

    #[test]
    fn correctly_signed_get_and_post_requests_verify() {
        assert_eq!(Request::get().verify(&policy(), signed_at()), Ok(()));
        assert_eq!(Request::post().verify(&policy(), signed_at()), Ok(()));
    }

    #[test]
    fn verification_ignores_the_query_string() {
        let mut request = Request::get();
        request.uri = "/api/v1/calls?page=2&other=x";
        assert_eq!(request.verify(&policy(), signed_at()), Ok(()));
    }

    #[test]
    fn each_missing_or_empty_header_is_missing_credentials() {
        for name in [
            HEADER_APP_ID,
            HEADER_CERT_ID,
            HEADER_SIGNATURE,
            HEADER_TIMESTAMP,
        ] {
            let missing = Request::post().without(name);
            assert_eq!(
                missing.verify(&policy(), signed_at()),
                Err(AuthError::MissingCredentials),
                "{name} missing"
            );
            let empty = Request::post().set(name, "");
            assert_eq!(
                empty.verify(&policy(), signed_at()),
                Err(AuthError::MissingCredentials),
                "{name} empty"
            );
        }
    }

    #[test]
    fn missing_header_wins_over_every_later_check() {
        // Wrong signature, bad cert id and app id, expired: still reported as missing.
        let request = Request::post()
            .set(HEADER_SIGNATURE, "forged")
            .set(HEADER_CERT_ID, "other-cert")
            .set(HEADER_APP_ID, "other-app")
            .without(HEADER_TIMESTAMP);
        assert_eq!(
            request.verify(&policy(), utc("2030-01-01T00:00:00Z")),
            Err(AuthError::MissingCredentials)
        );
    }

    #[test]
    fn unparseable_timestamp_is_bad_timestamp_before_cert_id_is_checked() {
        let request = Request::get()
            .set(HEADER_TIMESTAMP, "2016-07-01T12:10:00")
            .set(HEADER_CERT_ID, "other-cert");
        assert_eq!(
            request.verify(&policy(), signed_at()),
            Err(AuthError::BadTimestamp)
        );
    }

    #[test]
    fn unknown_cert_id_is_reported_before_app_id() {
        let request = Request::get()
            .set(HEADER_CERT_ID, "other-cert")
            .set(HEADER_APP_ID, "other-app");
        assert_eq!(
            request.verify(&policy(), signed_at()),
            Err(AuthError::UnknownCertId)
        );
    }

    #[test]
    fn invalid_app_id_is_reported_before_signature() {
        // Correctly signed by a client whose app id the server does not know.
        let stranger = ApiCredentials::new("other-app", CERT_ID, SECRET);
        let request = Request::signed(&stranger, "GET", "/api/v1/calls", "", b"");
        assert_eq!(
            request.verify(&policy(), signed_at()),
            Err(AuthError::InvalidAppId)
        );
    }

    #[test]
    fn tampered_requests_have_bad_signatures() {
        let policy = policy();
        let at = signed_at();
        let wrong_secret = ApiCredentials::new(APP_ID, CERT_ID, "wrong-secret");
        let cases = [
            Request::signed(&wrong_secret, "GET", "/api/v1/calls", "", b""),
            Request::post().set(HEADER_SIGNATURE, "x"),
            Request::post().set(HEADER_SIGNATURE, &GET_SIGNATURE[..GET_SIGNATURE.len() - 1]),
            Request::post().set(HEADER_CONTENT_TYPE, "application/json"),
            Request::post().without(HEADER_CONTENT_TYPE),
            Request {
                body: b"{}",
                ..Request::post()
            },
            Request {
                uri: "/api/v1/other",
                ..Request::post()
            },
            Request {
                method: "PUT",
                ..Request::post()
            },
            // Re-timestamped without re-signing.
            Request::post().set(HEADER_TIMESTAMP, "20160701121001"),
        ];
        for (i, request) in cases.iter().enumerate() {
            assert_eq!(
                request.verify(&policy, at),
                Err(AuthError::BadSignature),
                "case {i}"
            );
        }
    }

    #[test]
    fn get_signature_does_not_cover_body_or_content_type() {
        let request = Request {
            body: b"anything",
            ..Request::get()
        }
        .set(HEADER_CONTENT_TYPE, "text/plain");
        assert_eq!(request.verify(&policy(), signed_at()), Ok(()));
    }

    #[test]
    fn bad_signature_is_reported_before_expiry() {
        let request =
            Request::post().set(HEADER_SIGNATURE, POST_SIGNATURE.replace('2', "3").as_str());
        assert_eq!(
            request.verify(&policy(), utc("2030-01-01T00:00:00Z")),
            Err(AuthError::BadSignature)
        );
    }

    #[test]
    fn exactly_max_age_is_accepted_and_one_second_more_is_expired() {
        let policy = policy(); // max_age 300 s
        let request = Request::post();
        assert_eq!(request.verify(&policy, utc("2016-07-01T04:15:00Z")), Ok(()));
        assert_eq!(
            request.verify(&policy, utc("2016-07-01T04:15:01Z")),
            Err(AuthError::Expired)
        );
    }

    #[test]
    fn future_timestamps_never_expire_without_a_max_future() {
        let policy = policy();
        assert_eq!(policy.max_future, None);
        assert_eq!(
            Request::post().verify(&policy, utc("2000-01-01T00:00:00Z")),
            Ok(())
        );
    }

    #[test]
    fn future_timestamps_beyond_max_future_are_expired() {
        let policy = AuthPolicy {
            max_future: Some(Duration::from_secs(60)),
            ..policy()
        };
        let request = Request::post();
        // Signed at 04:10:00; the server clock is behind.
        assert_eq!(request.verify(&policy, utc("2016-07-01T04:09:00Z")), Ok(()));
        assert_eq!(
            request.verify(&policy, utc("2016-07-01T04:08:59Z")),
            Err(AuthError::Expired)
        );
    }

    #[test]
    fn timestamps_are_read_in_the_policy_zone() {
        let new_york = offset("-05:00");
        let signed = sign_request(&creds(), "GET", "/x", "", b"", signed_at(), new_york);
        assert_eq!(signed.timestamp, "20160630231000");
        let request = Request {
            headers: signed
                .pairs()
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            uri: "/x",
            ..Request::get()
        };
        let policy_in = |zone| AuthPolicy { zone, ..policy() };
        assert_eq!(request.verify(&policy_in(new_york), signed_at()), Ok(()));
        // Read as +08:00 the same wall-clock time is 13 hours earlier: expired.
        assert_eq!(
            request.verify(&policy_in(DEFAULT_ZONE), signed_at()),
            Err(AuthError::Expired)
        );
    }

    #[test]
    fn huge_max_age_never_expires() {
        let policy = AuthPolicy {
            max_age: Duration::MAX,
            ..policy()
        };
        assert_eq!(
            Request::post().verify(&policy, utc("2999-01-01T00:00:00Z")),
            Ok(())
        );
    }

    #[test]
    fn errors_display_the_platform_messages_and_401_bodies() {
        let cases = [
            (AuthError::MissingCredentials, "没有找到授权凭证"),
            (AuthError::BadTimestamp, "时间戳参数不正确"),
            (AuthError::UnknownCertId, "无效的鉴权账号"),
            (AuthError::InvalidAppId, "无效的appid"),
            (AuthError::BadSignature, "签名不正确"),
            (AuthError::Expired, "签名过期"),
        ];
        for (error, message) in cases {
            assert_eq!(error.to_string(), message);
            assert_eq!(error.body(), format!("HTTP Status 401 - {message}\n"));
        }
        assert_eq!(AuthError::STATUS, 401);
    }

    #[test]
    fn debug_output_redacts_the_secret() {
        let creds = ApiCredentials::new(APP_ID, CERT_ID, "hunter2-very-secret");
        assert_eq!(creds.secret(), "hunter2-very-secret");
        for debug in [
            format!("{creds:?}"),
            format!("{:?}", AuthPolicy::new(creds, Duration::ZERO)),
        ] {
            assert!(!debug.contains("hunter2"), "{debug}");
            assert!(debug.contains("<redacted>"), "{debug}");
            assert!(debug.contains(APP_ID) && debug.contains(CERT_ID), "{debug}");
        }
    }
}
