//! Standard Webhooks signing: secrets, the three headers, signing and verifying.
//!
//! This module owns everything about how ccsim authenticates a webhook under the
//! [Standard Webhooks](https://www.standardwebhooks.com) spec, and nothing about how
//! requests are built or sent:
//!
//! - parsing `whsec_<base64>` secrets ([`WebhookSecret`], via [`str::parse`]);
//! - the header names [`HEADER_ID`], [`HEADER_TIMESTAMP`] and [`HEADER_SIGNATURE`];
//! - computing the `webhook-signature` value, one `v1,<base64 HMAC-SHA256>` entry per
//!   configured secret so receivers can rotate keys ([`Signer`]);
//! - checking such a value ([`verify`]).
//!
//! Callers: the delivery code builds one [`Signer`] from the configured secrets and, for
//! every outgoing webhook with [`Signer::is_enabled`], sets `webhook-id`,
//! `webhook-timestamp` and `webhook-signature = signer.sign(id, ts, body)`. The built-in
//! receiver (`ccsim listen --secret`) checks incoming requests with [`verify`].
//!
//! What is signed is the exact byte string `{id}.{timestamp}.{body}`, where `timestamp`
//! is the decimal integer sent in `webhook-timestamp` and `body` is the request body
//! byte-for-byte as sent.
//!
//! Key material is never printed: [`WebhookSecret`] has a redacting `Debug`, no
//! `Display`, and parse errors report positions and lengths, never the text.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use hmac::digest::CtOutput;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Header carrying the message id; the same id on every retry of one message.
pub const HEADER_ID: &str = "webhook-id";
/// Header carrying the send time, integer seconds since the Unix epoch.
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
/// Header carrying the space-separated `v1,<base64>` signatures.
pub const HEADER_SIGNATURE: &str = "webhook-signature";

/// The prefix of a symmetric Standard Webhooks secret.
const SECRET_PREFIX: &str = "whsec_";
/// Prefixes of the spec's asymmetric (ed25519) keys, which ccsim does not support.
const ASYMMETRIC_PREFIXES: [&str; 2] = ["whsk_", "whpk_"];
/// The only signature scheme defined for symmetric secrets: HMAC-SHA256.
const SIGNATURE_VERSION: &str = "v1";
/// Bytes in an HMAC-SHA256 tag.
const MAC_LEN: usize = 32;
/// Characters in the padded base64 of one tag.
const MAC_B64_LEN: usize = 44;

/// Standard base64 alphabet, padding optional. Decoding only: secrets and signatures
/// with or without `=` padding are accepted (the official Python library accepts
/// unpadded secrets too); trailing bits must still be zero, so every accepted string
/// names exactly one byte sequence.
const LENIENT_B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

type HmacSha256 = Hmac<Sha256>;

/// A symmetric signing key, parsed from `whsec_<base64>`.
///
/// The key is the base64-decoded bytes after the `whsec_` prefix. Like the official
/// Standard Webhooks libraries, a bare base64 string without the prefix is accepted too,
/// and so is base64 without `=` padding. Surrounding ASCII whitespace (say, a newline
/// read from a file) is ignored.
///
/// Length: the spec recommends random keys of 24 to 64 bytes, but none of the official
/// libraries (Rust, Python, JavaScript, Go) enforce a minimum beyond "not empty", and a
/// simulator has to sign for whatever secret the receiver under test was configured
/// with, so any non-empty key is accepted. Generate real ones with
/// `echo "whsec_$(openssl rand -base64 32)"`.
///
/// `Debug` prints `WebhookSecret(<redacted>)`; there is deliberately no `Display`.
#[derive(Clone)]
pub struct WebhookSecret {
    /// HMAC-SHA256 already keyed with the secret: cloning it per message skips
    /// re-deriving the inner and outer pads. The raw key is not kept.
    mac: HmacSha256,
}

/// Why a string is not a usable webhook secret. Messages never contain the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// Nothing after the prefix, or base64 that decodes to zero bytes.
    #[error(
        "empty webhook secret: expected whsec_ followed by the base64 of a random key, \
         e.g. whsec_ plus the output of `openssl rand -base64 32`"
    )]
    Empty,
    /// A character outside the base64 alphabet, misplaced or excess `=` padding, or a
    /// last character with stray bits.
    #[error(
        "expected whsec_ followed by base64, got invalid base64 at position {position} \
         (counting from 1, prefix included; base64 uses A-Z a-z 0-9 + / and = only as \
         trailing padding)"
    )]
    InvalidBase64 {
        /// 1-based character position in the string as given.
        position: usize,
    },
    /// A base64 length that no byte string has (one character too many or too few).
    #[error(
        "expected whsec_ followed by base64, got {len} base64 characters, a length no \
         key encodes (is the secret truncated?)"
    )]
    BadLength {
        /// Number of base64 characters after the prefix.
        len: usize,
    },
    /// An ed25519 key (`whsk_`/`whpk_`), which this module does not implement.
    #[error(
        "expected whsec_ followed by base64, got a {prefix} key: only symmetric whsec_ \
         secrets (HMAC-SHA256) are supported, not asymmetric ed25519 ones"
    )]
    Asymmetric {
        /// The prefix that was found.
        prefix: &'static str,
    },
}

impl FromStr for WebhookSecret {
    type Err = SecretError;

    fn from_str(s: &str) -> Result<Self, SecretError> {
        let trimmed = s.trim_ascii();
        let leading = s.len() - s.trim_ascii_start().len();
        if let Some(prefix) = ASYMMETRIC_PREFIXES
            .into_iter()
            .find(|p| trimmed.starts_with(p))
        {
            return Err(SecretError::Asymmetric { prefix });
        }
        let (b64, b64_start) = match trimmed.strip_prefix(SECRET_PREFIX) {
            Some(rest) => (rest, leading + SECRET_PREFIX.len()),
            None => (trimmed, leading),
        };
        if b64.is_empty() {
            return Err(SecretError::Empty);
        }
        let key = LENIENT_B64.decode(b64).map_err(|e| {
            // Report a 1-based character position in the caller's string.
            let position = |offset: usize| {
                let at = b64_start + offset;
                s.get(..at).map_or(at, |before| before.chars().count()) + 1
            };
            match e {
                base64::DecodeError::InvalidByte(offset, _)
                | base64::DecodeError::InvalidLastSymbol(offset, _) => SecretError::InvalidBase64 {
                    position: position(offset),
                },
                base64::DecodeError::InvalidLength(len) => SecretError::BadLength { len },
                // Only produced for padding modes other than `Indifferent`; bad padding
                // shows up as `InvalidByte` at the offending `=` here.
                base64::DecodeError::InvalidPadding => SecretError::InvalidBase64 {
                    position: s.chars().count(),
                },
            }
        })?;
        if key.is_empty() {
            return Err(SecretError::Empty);
        }
        Ok(Self::from_key(&key))
    }
}

impl WebhookSecret {
    #[allow(
        clippy::expect_used,
        reason = "HMAC takes keys of any length: new_from_slice cannot fail"
    )]
    fn from_key(key: &[u8]) -> Self {
        let mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
        Self { mac }
    }

    /// HMAC-SHA256 over `{msg_id}.{timestamp}.{body}`, fed in pieces (no concatenation).
    fn tag(&self, msg_id: &str, timestamp: &[u8], body: &[u8]) -> CtOutput<HmacSha256> {
        let mut mac = self.mac.clone();
        mac.update(msg_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp);
        mac.update(b".");
        mac.update(body);
        mac.finalize()
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

/// Computes `webhook-signature` values for outgoing webhooks.
///
/// Holds every active secret; during a key rotation configure both the old and the new
/// one, and each signature header carries one entry per secret, so a receiver that
/// knows either verifies. `Signer::default()` has no secrets and signs nothing.
#[derive(Clone, Default)]
pub struct Signer {
    secrets: Vec<WebhookSecret>,
}

impl Signer {
    /// A signer for these secrets, in the order their signatures appear in the header.
    pub fn new(secrets: Vec<WebhookSecret>) -> Self {
        Self { secrets }
    }

    /// The configured secrets (for a receiver that verifies what this signer signs).
    pub fn secrets(&self) -> &[WebhookSecret] {
        &self.secrets
    }

    /// Whether any secret is configured, i.e. whether to send the three headers at all.
    pub fn is_enabled(&self) -> bool {
        !self.secrets.is_empty()
    }

    /// The webhook-signature header value for this message.
    ///
    /// `v1,<base64>` per secret, separated by single spaces; `timestamp_s` must be the
    /// value sent in `webhook-timestamp` and `body` the exact bytes sent. Returns an
    /// empty string when no secret is configured (check [`Signer::is_enabled`] and send
    /// no signature headers then).
    pub fn sign(&self, msg_id: &str, timestamp_s: i64, body: &[u8]) -> String {
        let mut digits = itoa::Buffer::new();
        let timestamp = digits.format(timestamp_s).as_bytes();
        let entry_len = SIGNATURE_VERSION.len() + 1 + MAC_B64_LEN;
        let mut header = String::with_capacity(self.secrets.len() * (entry_len + 1));
        for (i, secret) in self.secrets.iter().enumerate() {
            if i > 0 {
                header.push(' ');
            }
            header.push_str(SIGNATURE_VERSION);
            header.push(',');
            STANDARD.encode_string(
                secret.tag(msg_id, timestamp, body).into_bytes(),
                &mut header,
            );
        }
        header
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

/// Why a webhook failed verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The signature header is absent or blank.
    #[error("missing webhook-signature header: expected space-separated v1,<base64> signatures")]
    MissingSignature,
    /// `webhook-timestamp` is further from now than the tolerance, either way.
    #[error(
        "webhook-timestamp {timestamp_s} is {}s {} now, {}s beyond the {tolerance_s}s \
         tolerance (a clock is off, or this is a replay)",
        .skew_s.unsigned_abs(),
        if *.skew_s < 0 { "older than" } else { "ahead of" },
        .skew_s.unsigned_abs().saturating_sub(.tolerance_s.unsigned_abs()),
    )]
    BadTimestamp {
        /// The timestamp as received.
        timestamp_s: i64,
        /// `timestamp_s - now_s`: negative when too old, positive when in the future.
        skew_s: i64,
        /// The allowed distance from now, in seconds (never negative).
        tolerance_s: i64,
    },
    /// No `v1` entry matched any secret (wrong secret, altered body/id/timestamp, ...).
    #[error(
        "no v1 signature in webhook-signature matches any configured secret: check the \
         secret, and that the id, timestamp and body are checked exactly as sent"
    )]
    NoMatchingSignature,
}

/// Verify a signature header against a set of secrets (used by the built-in receiver `ccsim listen --secret`).
///
/// Succeeds when any `v1` entry of `signature_header` is the HMAC of
/// `{msg_id}.{timestamp_s}.{body}` under any of `secrets`. Entries of other versions
/// and malformed entries are skipped. MACs are compared in constant time.
///
/// Checked in this order, like the official libraries: a blank header is
/// [`VerifyError::MissingSignature`]; a timestamp more than `tolerance_s` seconds from
/// `now_s` in either direction is [`VerifyError::BadTimestamp`] (the spec's libraries
/// use 300 s; a negative tolerance counts as zero); otherwise no match, including when
/// `secrets` is empty, is [`VerifyError::NoMatchingSignature`].
pub fn verify(
    secrets: &[WebhookSecret],
    msg_id: &str,
    timestamp_s: i64,
    body: &[u8],
    signature_header: &str,
    now_s: i64,
    tolerance_s: i64,
) -> Result<(), VerifyError> {
    if signature_header.trim_ascii().is_empty() {
        return Err(VerifyError::MissingSignature);
    }
    let tolerance_s = tolerance_s.max(0);
    let skew_s = timestamp_s.saturating_sub(now_s);
    if skew_s.unsigned_abs() > tolerance_s.unsigned_abs() {
        return Err(VerifyError::BadTimestamp {
            timestamp_s,
            skew_s,
            tolerance_s,
        });
    }

    let mut digits = itoa::Buffer::new();
    let timestamp = digits.format(timestamp_s).as_bytes();
    for secret in secrets {
        let expected = secret.tag(msg_id, timestamp, body);
        for entry in signature_header.split_ascii_whitespace() {
            let Some((SIGNATURE_VERSION, b64)) = entry.split_once(',') else {
                continue;
            };
            // Larger than a tag, so an over-long value decodes and fails the length
            // check rather than depending on the decoder's size estimate.
            let mut decoded = [0; MAC_LEN + 16];
            let Ok(MAC_LEN) = LENIENT_B64.decode_slice(b64, &mut decoded) else {
                continue;
            };
            let mut got = [0; MAC_LEN];
            got.copy_from_slice(&decoded[..MAC_LEN]);
            // CtOutput's equality is constant-time (subtle::ConstantTimeEq).
            if expected == CtOutput::new(got.into()) {
                return Ok(());
            }
        }
    }
    Err(VerifyError::NoMatchingSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector of the official Standard Webhooks libraries.
    const SPEC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SPEC_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SPEC_TIMESTAMP: i64 = 1_614_265_330;
    const SPEC_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SPEC_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    /// A second secret, from the official Rust crate's own tests.
    const OTHER_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

    fn secret(s: &str) -> WebhookSecret {
        s.parse().unwrap()
    }

    fn now_s() -> i64 {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        i64::try_from(since_epoch.as_secs()).unwrap()
    }

    fn official_verify(secret: &str, id: &str, timestamp_s: i64, body: &[u8], signature: &str) {
        let mut headers = http::HeaderMap::new();
        headers.insert(HEADER_ID, id.parse().unwrap());
        headers.insert(HEADER_TIMESTAMP, timestamp_s.to_string().parse().unwrap());
        headers.insert(HEADER_SIGNATURE, signature.parse().unwrap());
        standardwebhooks::Webhook::new(secret)
            .unwrap()
            .verify(body, &headers)
            .unwrap_or_else(|e| panic!("official crate rejected {signature}: {e}"));
    }

    #[test]
    fn the_spec_test_vector_signs_to_the_published_signature() {
        let signer = Signer::new(vec![secret(SPEC_SECRET)]);
        assert_eq!(
            signer.sign(SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY),
            SPEC_SIGNATURE
        );
    }

    #[test]
    fn the_official_crates_own_vector_signs_to_its_published_signature() {
        let signer = Signer::new(vec![secret(OTHER_SECRET)]);
        let body = br#"{"email":"test@example.com","username":"test_user"}"#;
        assert_eq!(
            signer.sign("msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1_649_367_553, body),
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        );
    }

    #[test]
    fn the_spec_test_vector_verifies() {
        let r = verify(
            &[secret(SPEC_SECRET)],
            SPEC_ID,
            SPEC_TIMESTAMP,
            SPEC_BODY,
            SPEC_SIGNATURE,
            SPEC_TIMESTAMP + 10,
            300,
        );
        assert_eq!(r, Ok(()));
    }

    #[test]
    fn a_single_secret_signature_verifies_with_the_official_crate() {
        let ts = now_s();
        let body = "{\"event\":\"call.ended\",\"caller\":\"Zoë \\\"Z\\\"\"}\n".as_bytes();
        let sig = Signer::new(vec![secret(SPEC_SECRET)]).sign("msg_1", ts, body);
        official_verify(SPEC_SECRET, "msg_1", ts, body, &sig);
    }

    #[test]
    fn a_rotation_header_verifies_with_the_official_crate_under_each_secret_alone() {
        let ts = now_s();
        let body = br#"{"event":"call.started"}"#;
        let signer = Signer::new(vec![secret(SPEC_SECRET), secret(OTHER_SECRET)]);
        let sig = signer.sign("msg_rotate", ts, body);
        assert_eq!(sig.split(' ').count(), 2);
        official_verify(SPEC_SECRET, "msg_rotate", ts, body, &sig);
        official_verify(OTHER_SECRET, "msg_rotate", ts, body, &sig);
    }

    #[test]
    fn an_empty_body_verifies_with_the_official_crate() {
        let ts = now_s();
        let sig = Signer::new(vec![secret(OTHER_SECRET)]).sign("msg_empty", ts, b"");
        official_verify(OTHER_SECRET, "msg_empty", ts, b"", &sig);
    }

    #[test]
    fn each_entry_is_v1_and_44_base64_characters_and_the_header_has_no_stray_spaces() {
        let signer = Signer::new(vec![
            secret(SPEC_SECRET),
            secret(OTHER_SECRET),
            secret(SPEC_SECRET),
        ]);
        let sig = signer.sign("m", 1, b"x");
        assert_eq!(sig.len(), 3 * 47 + 2);
        for entry in sig.split(' ') {
            let (version, b64) = entry.split_once(',').unwrap();
            assert_eq!(version, "v1");
            assert_eq!(b64.len(), MAC_B64_LEN);
        }
    }

    #[test]
    fn a_signer_without_secrets_is_disabled_and_signs_nothing() {
        let signer = Signer::default();
        assert!(!signer.is_enabled());
        assert_eq!(signer.sign("m", 1, b"x"), "");
        assert!(Signer::new(vec![secret(SPEC_SECRET)]).is_enabled());
    }

    #[test]
    fn negative_and_extreme_timestamps_are_signed_as_their_decimal_text() {
        let key = secret(SPEC_SECRET);
        let signer = Signer::new(vec![key.clone()]);
        for n in [0, 7, -7, 10, 1_614_265_330, i64::MAX, i64::MIN] {
            let text = n.to_string();
            let tag = key.tag("m", text.as_bytes(), b"body").into_bytes();
            let expected = format!("{SIGNATURE_VERSION},{}", STANDARD.encode(tag));
            assert_eq!(signer.sign("m", n, b"body"), expected, "{n}");
            assert_eq!(
                verify(std::slice::from_ref(&key), "m", n, b"body", &expected, n, 0),
                Ok(())
            );
        }
        let sig = signer.sign("m", -5, b"body");
        assert_eq!(verify(&[key], "m", -5, b"body", &sig, 0, 10), Ok(()));
    }

    #[test]
    fn a_secret_without_the_prefix_or_padding_is_the_same_key() {
        let expected =
            Signer::new(vec![secret(SPEC_SECRET)]).sign(SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY);
        // The spec key is 24 bytes, so its base64 has no padding; use a 32-byte one too.
        let padded = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        for (a, b) in [
            (SPEC_SECRET, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            (SPEC_SECRET, "  whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"),
            (padded, "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"),
            (padded, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="),
        ] {
            let sa = Signer::new(vec![secret(a)]).sign(SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY);
            let sb = Signer::new(vec![secret(b)]).sign(SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY);
            assert_eq!(sa, sb, "{a} vs {b:?}");
        }
        assert_eq!(
            Signer::new(vec![secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]).sign(
                SPEC_ID,
                SPEC_TIMESTAMP,
                SPEC_BODY
            ),
            expected
        );
    }

    #[test]
    fn short_keys_are_accepted_like_the_official_libraries_do() {
        // "dGVzdA==" is the 4-byte key "test"; the official libraries only reject empty keys.
        let key = secret("whsec_dGVzdA==");
        let ts = now_s();
        let sig = Signer::new(vec![key]).sign("m", ts, b"x");
        official_verify("whsec_dGVzdA==", "m", ts, b"x", &sig);
    }

    #[test]
    fn empty_secrets_are_rejected() {
        for s in ["", "   ", "whsec_", " whsec_ \n"] {
            assert_eq!(
                s.parse::<WebhookSecret>().unwrap_err(),
                SecretError::Empty,
                "{s:?}"
            );
        }
        let msg = SecretError::Empty.to_string();
        assert!(
            msg.starts_with("empty webhook secret: expected whsec_"),
            "{msg}"
        );
    }

    #[test]
    fn invalid_base64_is_reported_by_position_without_echoing_the_secret() {
        // '!' is the 9th character: positions count from 1 and include the prefix.
        let err = "whsec_Mf!Q9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
            .parse::<WebhookSecret>()
            .unwrap_err();
        assert_eq!(err, SecretError::InvalidBase64 { position: 9 });
        let msg = err.to_string();
        assert!(
            msg.starts_with("expected whsec_ followed by base64, got invalid base64 at position 9"),
            "{msg}"
        );
        assert!(!msg.contains("Mf") && !msg.contains('!'), "{msg}");

        // URL-safe base64 is not the standard alphabet; positions count characters.
        let err = "  é_abc-def".parse::<WebhookSecret>().unwrap_err();
        assert_eq!(err, SecretError::InvalidBase64 { position: 3 });
        let err = "whsec_abcd-efg".parse::<WebhookSecret>().unwrap_err();
        assert_eq!(err, SecretError::InvalidBase64 { position: 11 });
    }

    #[test]
    fn a_last_character_with_stray_bits_is_invalid_base64() {
        // "dGVzdB" would carry non-zero bits past the last whole byte.
        let err = "whsec_dGVzdB==".parse::<WebhookSecret>().unwrap_err();
        assert_eq!(err, SecretError::InvalidBase64 { position: 12 });
    }

    #[test]
    fn truncated_base64_and_misplaced_padding_are_reported() {
        let err = "whsec_MfKQ9".parse::<WebhookSecret>().unwrap_err();
        assert_eq!(err, SecretError::BadLength { len: 5 });
        assert!(err.to_string().contains("got 5 base64 characters"), "{err}");
        for (s, position) in [
            ("whsec_dGVzdA=====", 13),
            ("whsec_dG=VzdA", 9),
            ("whsec_dGVzdGk==", 14),
            ("whsec_==", 7),
        ] {
            let err = s.parse::<WebhookSecret>().unwrap_err();
            assert_eq!(err, SecretError::InvalidBase64 { position }, "{s}");
        }
    }

    #[test]
    fn asymmetric_keys_are_rejected_with_a_pointer_to_whsec() {
        let err = "whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
            .parse::<WebhookSecret>()
            .unwrap_err();
        assert_eq!(err, SecretError::Asymmetric { prefix: "whsk_" });
        assert!(
            err.to_string().contains("only symmetric whsec_ secrets"),
            "{err}"
        );
    }

    #[test]
    fn every_error_message_is_lowercase_and_names_the_expected_syntax() {
        let errors = [
            SecretError::Empty,
            SecretError::InvalidBase64 { position: 7 },
            SecretError::BadLength { len: 5 },
            SecretError::Asymmetric { prefix: "whpk_" },
        ];
        for e in errors {
            let msg = e.to_string();
            assert!(msg.starts_with(|c: char| c.is_ascii_lowercase()), "{msg}");
            assert!(msg.contains("whsec_"), "{msg}");
        }
    }

    #[test]
    fn debug_output_never_contains_the_key() {
        let s = secret(SPEC_SECRET);
        assert_eq!(format!("{s:?}"), "WebhookSecret(<redacted>)");
        assert_eq!(format!("{s:#?}"), "WebhookSecret(<redacted>)");
        let signer = Signer::new(vec![s.clone(), s]);
        let shown = format!("{signer:?} {signer:#?}");
        assert_eq!(format!("{signer:?}"), "Signer { secrets: 2 }");
        assert!(
            !shown.contains("MfKQ") && !shown.contains("whsec"),
            "{shown}"
        );
    }

    #[test]
    fn verify_accepts_a_fresh_signature() {
        let key = secret(SPEC_SECRET);
        let sig = Signer::new(vec![key.clone()]).sign("msg", 1000, b"body");
        assert_eq!(
            verify(&[key], "msg", 1000, b"body", &sig, 1000, 300),
            Ok(())
        );
    }

    #[test]
    fn verify_rejects_a_tampered_body_id_or_timestamp() {
        let key = secret(SPEC_SECRET);
        let sig = Signer::new(vec![key.clone()]).sign("msg", 1000, b"body");
        let keys = [key];
        for (id, ts, body) in [
            ("msg", 1000, &b"bodY"[..]),
            ("msh", 1000, b"body"),
            ("msg", 1001, b"body"),
        ] {
            assert_eq!(
                verify(&keys, id, ts, body, &sig, 1000, 300),
                Err(VerifyError::NoMatchingSignature)
            );
        }
    }

    #[test]
    fn verify_rejects_a_signature_made_with_another_secret() {
        let sig = Signer::new(vec![secret(OTHER_SECRET)]).sign("msg", 1000, b"body");
        assert_eq!(
            verify(
                &[secret(SPEC_SECRET)],
                "msg",
                1000,
                b"body",
                &sig,
                1000,
                300
            ),
            Err(VerifyError::NoMatchingSignature)
        );
        assert_eq!(
            verify(&[], "msg", 1000, b"body", &sig, 1000, 300),
            Err(VerifyError::NoMatchingSignature)
        );
    }

    #[test]
    fn verify_rejects_timestamps_outside_the_tolerance_either_way_and_says_by_how_much() {
        let key = secret(SPEC_SECRET);
        let keys = [key.clone()];
        let signer = Signer::new(vec![key]);
        for (ts, now, ok) in [
            (700, 1000, true),
            (699, 1000, false),
            (1300, 1000, true),
            (1301, 1000, false),
        ] {
            let sig = signer.sign("msg", ts, b"body");
            let r = verify(&keys, "msg", ts, b"body", &sig, now, 300);
            assert_eq!(r.is_ok(), ok, "ts {ts}: {r:?}");
        }

        let sig = signer.sign("msg", 600, b"body");
        let err = verify(&keys, "msg", 600, b"body", &sig, 1000, 300).unwrap_err();
        assert_eq!(
            err,
            VerifyError::BadTimestamp {
                timestamp_s: 600,
                skew_s: -400,
                tolerance_s: 300
            }
        );
        assert_eq!(
            err.to_string(),
            "webhook-timestamp 600 is 400s older than now, 100s beyond the 300s tolerance \
             (a clock is off, or this is a replay)"
        );
        let sig = signer.sign("msg", 1500, b"body");
        let err = verify(&keys, "msg", 1500, b"body", &sig, 1000, 300).unwrap_err();
        assert!(
            err.to_string()
                .contains("is 500s ahead of now, 200s beyond"),
            "{err}"
        );

        // A negative tolerance counts as zero.
        let sig = signer.sign("msg", 1001, b"body");
        let err = verify(&keys, "msg", 1001, b"body", &sig, 1000, -5).unwrap_err();
        assert_eq!(
            err,
            VerifyError::BadTimestamp {
                timestamp_s: 1001,
                skew_s: 1,
                tolerance_s: 0
            }
        );

        // Extremes neither overflow nor pass.
        let err = verify(&keys, "msg", i64::MIN, b"body", &sig, i64::MAX, i64::MAX).unwrap_err();
        assert!(matches!(err, VerifyError::BadTimestamp { .. }), "{err:?}");
    }

    #[test]
    fn verify_accepts_when_any_one_of_several_signatures_matches() {
        let key = secret(SPEC_SECRET);
        let good = Signer::new(vec![key.clone()]).sign("msg", 1000, b"body");
        let other = Signer::new(vec![secret(OTHER_SECRET)]).sign("msg", 1000, b"body");
        let b64 = good.strip_prefix("v1,").unwrap();
        let header = format!("v2,{b64} garbage v1, v1,AAAA {other}  v1a,{b64} {good}");
        assert_eq!(
            verify(
                std::slice::from_ref(&key),
                "msg",
                1000,
                b"body",
                &header,
                1000,
                300
            ),
            Ok(())
        );
        // Several secrets: the matching one may be any of them.
        let keys = [secret(OTHER_SECRET), key];
        assert_eq!(
            verify(&keys, "msg", 1000, b"body", &good, 1000, 300),
            Ok(())
        );
    }

    #[test]
    fn verify_ignores_entries_of_other_versions() {
        let key = secret(SPEC_SECRET);
        let good = Signer::new(vec![key.clone()]).sign("msg", 1000, b"body");
        let b64 = good.strip_prefix("v1,").unwrap();
        let header = format!("v1a,{b64} v2,{b64} {b64}");
        assert_eq!(
            verify(&[key], "msg", 1000, b"body", &header, 1000, 300),
            Err(VerifyError::NoMatchingSignature)
        );
    }

    #[test]
    fn verify_rejects_truncated_or_extended_signatures() {
        let key = secret(SPEC_SECRET);
        let good = Signer::new(vec![key.clone()]).sign("msg", 1000, b"body");
        let keys = [key];
        for header in [
            &good[..good.len() - 4],
            &good[..8],
            "v1,",
            &format!("{good}AAAA"),
        ] {
            assert_eq!(
                verify(&keys, "msg", 1000, b"body", header, 1000, 300),
                Err(VerifyError::NoMatchingSignature),
                "{header}"
            );
        }
        // Unpadded base64 of the right tag is still the right tag.
        let unpadded = good.trim_end_matches('=');
        assert_eq!(
            verify(&keys, "msg", 1000, b"body", unpadded, 1000, 300),
            Ok(())
        );
    }

    #[test]
    fn verify_reports_a_blank_header_as_missing() {
        let keys = [secret(SPEC_SECRET)];
        for header in ["", "  "] {
            let err = verify(&keys, "msg", 1000, b"body", header, 1000, 300).unwrap_err();
            assert_eq!(err, VerifyError::MissingSignature);
        }
        assert!(
            VerifyError::MissingSignature
                .to_string()
                .starts_with("missing webhook-signature")
        );
    }
}
