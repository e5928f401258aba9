//! The API over real sockets under a hostile load: idle, keep-alive and dribbling
//! (slowloris) connections filling every slot cannot keep a legitimate request out, slow
//! heads and idle connections are closed by the header-read timeout, and requests too
//! malformed to route get the platform's envelope.

use std::time::Duration;

use ccsim::api::ApiState;
use ccsim::api::serve::ServeLimits;
use ccsim::api::server::spawn_with;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use super::*;

/// Every wait in these tests is bounded by this (a liveness bound, not a timing claim).
const BOUND: Duration = Duration::from_secs(30);

/// Starts the API over the fixture store with `limits`; its address and its stop token.
async fn start(limits: ServeLimits) -> (std::net::SocketAddr, CancellationToken) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let stop = CancellationToken::new();
    let state = ApiState::new(fixture_store(), renderer(), None);
    let addr = spawn_with(listener, state, stop.clone(), limits)
        .await
        .expect("the API starts");
    (addr, stop)
}

/// Sends `request` on `stream` and reads the answer to one `GET` (its head and a body of
/// the declared length), within [`BOUND`].
async fn exchange(stream: &mut TcpStream, request: &[u8]) -> String {
    tokio::time::timeout(BOUND, async {
        stream.write_all(request).await.expect("send");
        let mut got = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = stream.read(&mut chunk).await.expect("read");
            got.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&got).to_string();
            if let Some(end) = text.find("\r\n\r\n") {
                let len: usize = text[..end]
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length: ")
                            .map(str::to_owned)
                    })
                    .map_or(0, |v| v.trim().parse().expect("a length"));
                if got.len() >= end + 4 + len {
                    return text;
                }
            }
            assert!(
                n > 0,
                "the connection closed before a whole answer: {text:?}"
            );
        }
    })
    .await
    .expect("an answer within the bound")
}

fn get_request(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: ccsim\r\n\r\n").into_bytes()
}

async fn connect(addr: std::net::SocketAddr) -> TcpStream {
    tokio::time::timeout(BOUND, TcpStream::connect(addr))
        .await
        .expect("connect within the bound")
        .expect("connect")
}

#[tokio::test]
async fn a_legitimate_request_is_answered_while_idle_and_slowloris_connections_fill_every_slot() {
    const SLOTS: usize = 8;
    let (addr, stop) = start(ServeLimits {
        connections: SLOTS,
        // Far longer than the test: only shedding can make room.
        header_timeout: Duration::from_secs(3600),
    })
    .await;
    let mut flood = Vec::new();
    // Keep-alive clients that asked once and went quiet: each surely holds a slot.
    for _ in 0..SLOTS {
        let mut s = connect(addr).await;
        let answer = exchange(&mut s, &get_request(&record_uri(QUEUE_ID))).await;
        assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
        flood.push(s);
    }
    // Connections that send nothing, and slowloris ones that never finish their head.
    for i in 0..2 * SLOTS {
        let mut s = connect(addr).await;
        if i % 2 == 1 {
            s.write_all(b"GET /v1/account/x/callcenter/conver")
                .await
                .expect("dribble");
        }
        flood.push(s);
    }
    for _ in 0..3 {
        let mut s = connect(addr).await;
        let answer = exchange(&mut s, &get_request(&record_uri(QUEUE_ID))).await;
        assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
        assert!(answer.contains(r#""code":"000000""#), "{answer}");
        // The slowloris connections keep dribbling meanwhile.
        for s in flood.iter_mut().skip(SLOTS).step_by(2) {
            let _ = s.write_all(b"s").await;
        }
    }
    assert_eq!(
        flood.len(),
        3 * SLOTS,
        "the flood is still open on our side"
    );
    stop.cancel();
}

#[tokio::test]
async fn idle_and_dribbling_connections_are_closed_by_the_header_timeout() {
    let (addr, stop) = start(ServeLimits {
        connections: 4,
        header_timeout: Duration::from_millis(300),
    })
    .await;
    let closed = |mut s: TcpStream, dribble: bool| async move {
        tokio::time::timeout(BOUND, async move {
            let mut buf = [0u8; 256];
            loop {
                if dribble {
                    // One byte of a head every 50 ms: never a whole head.
                    if s.write_all(b"G").await.is_err() {
                        return;
                    }
                }
                let read = tokio::time::timeout(Duration::from_millis(50), s.read(&mut buf));
                if let Ok(Ok(0) | Err(_)) = read.await {
                    return;
                }
            }
        })
        .await
        .expect("the server closes the connection within the bound");
    };
    closed(connect(addr).await, false).await;
    closed(connect(addr).await, true).await;
    // A keep-alive connection is closed once idle for the same time.
    let mut s = connect(addr).await;
    let answer = exchange(&mut s, &get_request(&record_uri(QUEUE_ID))).await;
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    closed(s, false).await;
    stop.cancel();
}

#[tokio::test]
async fn requests_too_malformed_to_route_get_the_platform_envelope() {
    let (addr, stop) = start(ServeLimits::default()).await;
    let long_uri = format!("/v1/{}", "a".repeat(70_000));
    let many_headers: String = (0..200).map(|i| format!("X-H{i}: v\r\n")).collect();
    let cases = [
        ("400", b"NOT A REQUEST\r\n\r\n".to_vec()),
        ("400", b"GET / HTTP/1.1\r\nBad Header\r\n\r\n".to_vec()),
        ("414", get_request(&long_uri)),
        (
            "431",
            format!("GET / HTTP/1.1\r\nHost: x\r\n{many_headers}\r\n").into_bytes(),
        ),
    ];
    for (status, request) in cases {
        let mut s = connect(addr).await;
        let answer = exchange(&mut s, &request).await;
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status} ")),
            "{status}: {answer}"
        );
        assert!(
            answer.contains("content-type: application/json;charset=UTF-8\r\n"),
            "{answer}"
        );
        assert!(
            answer.ends_with(r#"{"code":"000001","msg":"参数错误","data":null}"#),
            "{answer}"
        );
    }
    stop.cancel();
}
