//! `--api-auth` through the router: the platform's HmacSHA256 headers, each failure's
//! plain-text 401, and known-answer vectors computed independently with Python.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use ccsim::api::auth::{ApiCredentials, AuthPolicy, DEFAULT_ZONE, sign_request};
use chrono::{TimeDelta, Utc};

use super::*;

const SECRET: &str = "test-secret";
const APP_ID: &str = "app-001";
const CERT_ID: &str = "cert-001";
/// Far in the future: the platform never expires future timestamps, so the vectors below
/// stay valid.
const FUTURE_TIMESTAMP: &str = "20991231235959";
// python3 -c "import hmac,hashlib,base64; s='GET\n\n\n20991231235959\napp-001\n/v1/account/8a2d9fed5a117dbb015a1201db300004/callcenter/conversation/11111111111111111111111111111111'; print(base64.b64encode(hmac.new(b'test-secret', s.encode(), hashlib.sha256).digest()).decode())"
const GET_VECTOR: &str = "XlHd84AnCoqmJnQJEEqTbX2ZLJqdWmwKy/Bru5Z6H2U=";
// python3 -c "import hmac,hashlib,base64; b=b'{\"mode\":2}'; s='POST\n'+hashlib.md5(b).hexdigest()+'\napplication/json;charset=utf-8\n20991231235959\napp-001\n/v1/account/8a2d9fed5a117dbb015a1201db300004/callcenter/conversation/11111111111111111111111111111111'; print(base64.b64encode(hmac.new(b'test-secret', s.encode(), hashlib.sha256).digest()).decode())"
const POST_VECTOR: &str = "Rva3ObWJAhGLyxzzete/nKJgDs9v0vGH0MqcQEXRX0Q=";

fn credentials() -> ApiCredentials {
    ApiCredentials::new(APP_ID, CERT_ID, SECRET)
}

fn secured() -> Router {
    let policy = AuthPolicy::new(credentials(), Duration::from_secs(300));
    app(fixture_store(), Some(policy))
}

/// A GET of `uri` carrying `headers`.
fn request(uri: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut builder = Request::get(uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Body::empty()).expect("valid request")
}

/// The four headers for a GET of `uri` signed at `now + offset`.
fn signed(uri: &str, creds: &ApiCredentials, offset: TimeDelta) -> Vec<(String, String)> {
    let headers = sign_request(
        creds,
        "GET",
        uri,
        "",
        b"",
        Utc::now() + offset,
        DEFAULT_ZONE,
    );
    headers
        .pairs()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

fn as_refs(headers: &[(String, String)]) -> Vec<(&str, &str)> {
    headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

/// Asserts a 401 with the platform's challenge, content type and body.
fn assert_unauthorized(answer: &Answer, reason: &str) {
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{reason}");
    assert_eq!(
        answer
            .headers
            .get(header::WWW_AUTHENTICATE)
            .map(|v| v.as_bytes()),
        Some(&br#"Basic realm="Secure realm""#[..])
    );
    let content_type = answer
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    assert_eq!(answer.text(), format!("HTTP Status 401 - {reason}\n"));
}

#[tokio::test]
async fn a_request_signed_as_the_python_vector_is_served() {
    let uri = record_uri(QUEUE_ID);
    let headers = [
        ("AppID", APP_ID),
        ("CertID", CERT_ID),
        ("Signature", GET_VECTOR),
        ("Timestamp", FUTURE_TIMESTAMP),
    ];
    let answer = send(secured(), request(&uri, &headers)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.json()["data"]["id"], QUEUE_ID);
}

#[tokio::test]
async fn a_post_signed_as_the_python_vector_passes_auth_and_meets_405() {
    let request = Request::post(record_uri(QUEUE_ID))
        .header("AppID", APP_ID)
        .header("CertID", CERT_ID)
        .header("Signature", POST_VECTOR)
        .header("Timestamp", FUTURE_TIMESTAMP)
        .header(header::CONTENT_TYPE, "application/json;charset=utf-8")
        .body(Body::from(r#"{"mode":2}"#))
        .expect("valid request");
    let answer = send(secured(), request).await;
    assert_eq!(
        answer.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "{}",
        answer.text()
    );
}

#[tokio::test]
async fn a_freshly_signed_request_is_served_and_its_query_string_is_not_signed() {
    let path = list_uri("");
    let headers = signed(&path, &credentials(), TimeDelta::zero());
    let answer = send(
        secured(),
        request(&list_uri("?page=1&size=1"), &as_refs(&headers)),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.json()["data"]["pageSize"], 1);
}

#[tokio::test]
async fn each_missing_header_is_401_no_credentials() {
    let uri = record_uri(QUEUE_ID);
    let all = signed(&uri, &credentials(), TimeDelta::zero());
    for skip in 0..all.len() {
        let some: Vec<_> = all
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != skip)
            .map(|(_, (n, v))| (n.as_str(), v.as_str()))
            .collect();
        let answer = send(secured(), request(&uri, &some)).await;
        assert_unauthorized(&answer, "没有找到授权凭证");
    }
    assert_unauthorized(
        &send(secured(), request(&uri, &[])).await,
        "没有找到授权凭证",
    );
}

#[tokio::test]
async fn each_authentication_failure_has_its_platform_reason() {
    let uri = record_uri(QUEUE_ID);
    let good = signed(&uri, &credentials(), TimeDelta::zero());
    let with = |name: &str, value: &str| -> Vec<(String, String)> {
        good.iter()
            .map(|(n, v)| {
                (
                    n.clone(),
                    if n == name {
                        value.to_owned()
                    } else {
                        v.clone()
                    },
                )
            })
            .collect()
    };
    let stranger = ApiCredentials::new("other-app", CERT_ID, SECRET);
    let wrong_secret = ApiCredentials::new(APP_ID, CERT_ID, "not-the-secret");
    let cases = [
        (with("Timestamp", "2024-01-01 10:00:00"), "时间戳参数不正确"),
        (with("Timestamp", "20241301000000"), "时间戳参数不正确"),
        (with("CertID", "other-cert"), "无效的鉴权账号"),
        (signed(&uri, &stranger, TimeDelta::zero()), "无效的appid"),
        (signed(&uri, &wrong_secret, TimeDelta::zero()), "签名不正确"),
        (with("Signature", "AAAA"), "签名不正确"),
        (
            signed(&record_uri(CALL_OUT_ID), &credentials(), TimeDelta::zero()),
            "签名不正确",
        ),
        (
            signed(&uri, &credentials(), -TimeDelta::minutes(6)),
            "签名过期",
        ),
    ];
    for (headers, reason) in cases {
        let answer = send(secured(), request(&uri, &as_refs(&headers))).await;
        assert_unauthorized(&answer, reason);
    }
}

#[tokio::test]
async fn a_request_signed_four_minutes_ago_is_still_valid() {
    let uri = record_uri(QUEUE_ID);
    let headers = signed(&uri, &credentials(), -TimeDelta::minutes(4));
    let answer = send(secured(), request(&uri, &as_refs(&headers))).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
}

#[tokio::test]
async fn unknown_paths_in_the_auth_scope_are_authenticated_first_and_others_never() {
    // The platform's filter covers `/v*/**` (docs/api.md, "Authentication").
    for path in ["/v1/nothing/here", "/v2/x", "/v1", "/vx/y"] {
        let answer = send(secured(), request(path, &[])).await;
        assert_unauthorized(&answer, "没有找到授权凭证");
        let headers = signed(path, &credentials(), TimeDelta::zero());
        let answer = send(secured(), request(path, &as_refs(&headers))).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
    }
    let answer = send(secured(), request("/openapi.json", &[])).await;
    assert_eq!(answer.status, StatusCode::OK);
    let answer = send(secured(), request("/x/v1/account", &[])).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_oversized_signed_post_is_413_not_401() {
    let request = Request::post(record_uri(QUEUE_ID))
        .body(Body::from(vec![b'x'; 64 * 1024 + 1]))
        .expect("valid request");
    // No Content-Length header: the body is read under the limit by the auth layer.
    let answer = send(secured(), request).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
}
