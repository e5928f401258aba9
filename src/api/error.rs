//! The fake API's answers outside the happy path, as one enum implementing `IntoResponse`:
//! the platform's JSON envelope `{"code","msg","data":null}` (HTTP 200 for the platform's
//! business errors, a proper 4xx for requests that match no endpoint) and the plain-text
//! 401 of an authentication failure, as the platform answers them (`docs/api.md`). Used
//! by the router and its middleware; no client mistake ever becomes a 5xx.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::auth::AuthError;

/// `Content-Type` of every JSON answer (Spring's spelling).
pub const JSON_UTF8: &str = "application/json;charset=UTF-8";

/// A platform business code and its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    /// Six digits, e.g. `"000000"`.
    pub code: &'static str,
    /// The platform's (Chinese) message.
    pub msg: &'static str,
}

/// `000000 请求成功`.
pub const OK: Code = Code {
    code: "000000",
    msg: "请求成功",
};
/// `000001 参数错误`: validation and mapping errors.
pub const BAD_PARAMETER: Code = Code {
    code: "000001",
    msg: "参数错误",
};
/// `000002 未知错误`: everything else.
pub const UNKNOWN_ERROR: Code = Code {
    code: "000002",
    msg: "未知错误",
};
/// `040501 交谈不存在`.
pub const NO_SUCH_CONVERSATION: Code = Code {
    code: "040501",
    msg: "交谈不存在",
};

/// Why a request got no data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The conversation id is unknown, malformed or expired (HTTP 200, `040501`).
    #[error("no such conversation")]
    NoSuchConversation,
    /// A query parameter is malformed or out of range (HTTP 200, `000001`).
    #[error("bad parameter")]
    BadParameter,
    /// No endpoint at this path (HTTP 404, `000002`).
    #[error("no such endpoint")]
    NoRoute,
    /// The endpoint exists but not for this method (HTTP 405, `000002`).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The body is larger than the limit (HTTP 413, `000001`).
    #[error("request body too large")]
    TooLarge,
    /// Authentication failed (HTTP 401, plain text).
    #[error(transparent)]
    Auth(#[from] AuthError),
}

impl ApiError {
    /// The HTTP status and envelope code of a JSON error.
    fn status_and_code(self) -> (StatusCode, Code) {
        match self {
            ApiError::NoSuchConversation => (StatusCode::OK, NO_SUCH_CONVERSATION),
            ApiError::BadParameter => (StatusCode::OK, BAD_PARAMETER),
            ApiError::NoRoute => (StatusCode::NOT_FOUND, UNKNOWN_ERROR),
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, UNKNOWN_ERROR),
            ApiError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, BAD_PARAMETER),
            // Not a JSON answer; see `into_response`.
            ApiError::Auth(_) => (StatusCode::UNAUTHORIZED, UNKNOWN_ERROR),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Auth(auth) = self {
            let mut response = (StatusCode::UNAUTHORIZED, auth.body()).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Basic realm="Secure realm""#),
            );
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain;charset=UTF-8"),
            );
            return response;
        }
        let (status, code) = self.status_and_code();
        (status, envelope(code, b"null")).into_response()
    }
}

/// `{"code":…,"msg":…,"data":<data>}` with `data` already serialized, as a JSON response.
pub fn envelope(code: Code, data: &[u8]) -> Response {
    envelope_with(code, |out| out.extend_from_slice(data))
}

/// `{"code":…,"msg":…,"data":<data>}` with `data` written by `write_data` straight into
/// the one response buffer.
pub fn envelope_with(code: Code, write_data: impl FnOnce(&mut Vec<u8>)) -> Response {
    json_response(envelope_body(code, write_data))
}

/// `{"code":…,"msg":…,"data":<data>}` with any message (a refusal's, naming what in
/// particular), `data` already serialized, as a JSON response.
pub fn envelope_message(code: &str, msg: &str, data: &[u8]) -> Response {
    let mut body = Vec::with_capacity(128 + msg.len() + data.len());
    body.extend_from_slice(br#"{"code":"#);
    write_string(&mut body, code);
    body.extend_from_slice(br#","msg":"#);
    write_string(&mut body, msg);
    body.extend_from_slice(br#","data":"#);
    body.extend_from_slice(data);
    body.push(b'}');
    json_response(body)
}

/// Appends `s` as a JSON string.
fn write_string(out: &mut Vec<u8>, s: &str) {
    // Writing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// The bytes of `{"code":…,"msg":…,"data":<data>}`, `data` already serialized.
pub fn envelope_bytes(code: Code, data: &[u8]) -> Vec<u8> {
    envelope_body(code, |out| out.extend_from_slice(data))
}

fn envelope_body(code: Code, write_data: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut body = Vec::with_capacity(1024);
    body.extend_from_slice(br#"{"code":""#);
    body.extend_from_slice(code.code.as_bytes());
    body.extend_from_slice(br#"","msg":""#);
    body.extend_from_slice(code.msg.as_bytes());
    body.extend_from_slice(br#"","data":"#);
    write_data(&mut body);
    body.push(b'}');
    body
}

/// A 200 response with a JSON body.
pub fn json_response(body: Vec<u8>) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_is_the_platform_json_with_data_spliced_in() {
        let response = envelope(NO_SUCH_CONVERSATION, b"null");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers().get(header::CONTENT_TYPE),
            Some(&HeaderValue::from_static(JSON_UTF8))
        );
    }

    #[test]
    fn auth_failures_are_plain_text_401s_with_a_basic_challenge() {
        let response = ApiError::Auth(AuthError::Expired).into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers().get(header::WWW_AUTHENTICATE),
            Some(&HeaderValue::from_static(r#"Basic realm="Secure realm""#))
        );
    }
}
