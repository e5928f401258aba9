//! A fault-injecting HTTP/1.1 test receiver on 127.0.0.1:0 (raw TCP, so it can reset,
//! close early or stall), and helpers that run `ccsim run` in-process and read its
//! report and events log.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ccsim::cli::{Cli, Command};
use ccsim::report::Report;
use clap::Parser;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// A secret for signed runs (the Standard Webhooks spec's test secret).
pub(super) const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// A second secret, for key rotation.
pub(super) const OTHER_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

/// How the receiver answers.
#[derive(Debug, Clone)]
pub(super) enum Behaviour {
    /// The first `fail_first` attempts of each webhook-id (or body) get `status` (with
    /// `retry_after` if given), later ones 200.
    Status {
        status: u16,
        fail_first: u32,
        retry_after: Option<&'static str>,
    },
    /// Never answers (the connection stays open).
    Hang,
    /// Resets the connection (RST) after reading the request.
    Reset,
    /// Closes the connection (FIN) after reading the request, without answering.
    Close,
    /// Answers 200 with a body of this many bytes.
    HugeBody(usize),
    /// Answers 200 after this delay.
    Slow(Duration),
    /// Answers 200 with a chunked body (two chunks and a trailer).
    Chunked,
    /// Answers 200, and on every `n`th request of a connection says `Connection: close`
    /// and closes it.
    CloseEvery(u32),
}

impl Behaviour {
    /// Always 200.
    pub(super) fn ok() -> Self {
        Behaviour::Status {
            status: 200,
            fail_first: 0,
            retry_after: None,
        }
    }
}

/// One request as received.
#[derive(Debug, Clone)]
pub(super) struct Captured {
    /// Header names (lowercase) and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Captured {
    /// A header's value.
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    captured: Mutex<Vec<Captured>>,
    attempts: Mutex<HashMap<Vec<u8>, u32>>,
    active: AtomicU64,
    peak_active: AtomicU64,
    connections: AtomicU64,
}

/// A running test receiver.
pub(super) struct TestReceiver {
    /// Its URL.
    pub url: String,
    state: Arc<State>,
    _stop: tokio_util::sync::DropGuard,
}

impl TestReceiver {
    /// Starts a receiver behaving as told, until dropped.
    pub(super) async fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State::default());
        let stop = CancellationToken::new();
        let (st, token) = (state.clone(), stop.clone());
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = token.cancelled() => break,
                    a = listener.accept() => a,
                };
                let Ok((stream, _)) = accepted else { continue };
                st.connections.fetch_add(1, Ordering::SeqCst);
                let (st, b, token) = (st.clone(), behaviour.clone(), token.clone());
                tokio::spawn(async move {
                    tokio::select! {
                        _ = token.cancelled() => {}
                        _ = connection(stream, st, b) => {}
                    }
                });
            }
        });
        Self {
            url: format!("http://{addr}/hook"),
            state,
            _stop: stop.drop_guard(),
        }
    }

    /// Every request received so far.
    pub(super) fn captured(&self) -> Vec<Captured> {
        self.state.captured.lock().unwrap().clone()
    }

    /// Requests received so far.
    pub(super) fn requests(&self) -> usize {
        self.state.captured.lock().unwrap().len()
    }

    /// Connections accepted so far.
    pub(super) fn connections(&self) -> u64 {
        self.state.connections.load(Ordering::SeqCst)
    }

    /// The most requests being handled at once.
    pub(super) fn peak_concurrent(&self) -> u64 {
        self.state.peak_active.load(Ordering::SeqCst)
    }
}

/// Serves one connection: requests one after another (keep-alive).
async fn connection(mut stream: TcpStream, state: Arc<State>, behaviour: Behaviour) {
    let mut buf: Vec<u8> = Vec::new();
    let mut served = 0u32;
    loop {
        served += 1;
        let Some(req) = read_request(&mut stream, &mut buf).await else {
            return;
        };
        let active = state.active.fetch_add(1, Ordering::SeqCst) + 1;
        state.peak_active.fetch_max(active, Ordering::SeqCst);
        let key = req
            .header("webhook-id")
            .map(|id| id.as_bytes().to_vec())
            .unwrap_or_else(|| req.body.clone());
        state.captured.lock().unwrap().push(req);
        let answer = match &behaviour {
            Behaviour::Status {
                status,
                fail_first,
                retry_after,
            } => {
                let n = {
                    let mut attempts = state.attempts.lock().unwrap();
                    let n = attempts.entry(key).or_default();
                    *n += 1;
                    *n
                };
                if n <= *fail_first {
                    let extra = retry_after
                        .map(|r| format!("Retry-After: {r}\r\n"))
                        .unwrap_or_default();
                    Some(response(*status, &extra, b"no"))
                } else {
                    Some(response(200, "", b"success"))
                }
            }
            Behaviour::Hang => {
                std::future::pending::<()>().await;
                None
            }
            Behaviour::Reset => {
                let _ = stream.set_zero_linger();
                None
            }
            Behaviour::Close => None,
            Behaviour::HugeBody(size) => {
                let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {size}\r\n\r\n");
                let _ = stream.write_all(head.as_bytes()).await;
                let chunk = vec![b'x'; 64 * 1024];
                let mut left = *size;
                while left > 0 {
                    let n = left.min(chunk.len());
                    if stream.write_all(&chunk[..n]).await.is_err() {
                        break;
                    }
                    left -= n;
                }
                state.active.fetch_sub(1, Ordering::SeqCst);
                continue;
            }
            Behaviour::Slow(d) => {
                tokio::time::sleep(*d).await;
                Some(response(200, "", b"success"))
            }
            Behaviour::Chunked => Some(
                b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n\
                  3\r\nsuc\r\n4\r\ncess\r\n0\r\nx-trailer: 1\r\n\r\n"
                    .to_vec(),
            ),
            Behaviour::CloseEvery(n) if served.is_multiple_of(*n) => {
                let bytes = response(200, "connection: close\r\n", b"success");
                let _ = stream.write_all(&bytes).await;
                state.active.fetch_sub(1, Ordering::SeqCst);
                return;
            }
            Behaviour::CloseEvery(_) => Some(response(200, "", b"success")),
        };
        state.active.fetch_sub(1, Ordering::SeqCst);
        match answer {
            Some(bytes) => {
                if stream.write_all(&bytes).await.is_err() {
                    return;
                }
            }
            None => return,
        }
    }
}

fn response(status: u16, extra_headers: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\n{extra_headers}\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// Reads one request (head and Content-Length body); `None` at EOF or on garbage.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Captured> {
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let headers: Vec<(String, String)> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[head_end..head_end + len].to_vec();
    buf.drain(..head_end + len);
    Some(Captured { headers, body })
}

/// What a run produced.
pub(super) struct Outcome {
    pub report: Report,
    pub exit: ccsim::Exit,
    pub log: Vec<serde_json::Value>,
    pub report_json: serde_json::Value,
}

/// A temporary directory for a run's files.
pub(super) fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Runs `ccsim run ARGS --report … --events-log … -q` in-process.
pub(super) async fn run(args: &[&str]) -> Outcome {
    let dir = tempdir();
    let report = dir.path().join("report.json");
    let log = dir.path().join("events.jsonl");
    // Port 0: tests run in parallel, each with its own fake API.
    let mut argv: Vec<String> = ["ccsim", "run", "-q", "--api", "127.0.0.1:0"]
        .map(String::from)
        .to_vec();
    argv.extend(args.iter().map(|s| s.to_string()));
    argv.extend([
        "--report".into(),
        report.display().to_string(),
        "--events-log".into(),
        log.display().to_string(),
    ]);
    let Command::Run(run_args) = Cli::try_parse_from(&argv).unwrap().command else {
        unreachable!()
    };
    let plan = run_args.plan().unwrap();
    let (report_value, exit) = ccsim::run_plan(plan, CancellationToken::new())
        .await
        .unwrap();
    Outcome {
        report: report_value,
        exit,
        log: read_log(&log),
        report_json: read_json(&report),
    }
}

/// A deterministic run of seed 3 at full speed with arrivals for `duration` (20s gives
/// 10 events, 1m 19, 2m 28), to `target` (default: the built-in receiver), plus `extra`.
pub(super) async fn seeded_run(duration: &str, target: Option<&str>, extra: &[&str]) -> Outcome {
    let mut args = vec!["--seed", "3", "--duration", duration, "--speed", "max"];
    if let Some(url) = target {
        args.extend(["--target", url]);
    }
    args.extend_from_slice(extra);
    run(&args).await
}

/// The lines of an events log, each parsed (a torn line fails the test).
pub(super) fn read_log(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("torn line {l:?}: {e}")))
        .collect()
}

/// A JSON file.
pub(super) fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Asserts `emitted = delivered + failed + cancelled`, and the same for duplicates, in
/// the report and in the events log.
pub(super) fn assert_accounting(o: &Outcome) {
    let e = &o.report.events;
    assert!(e.emitted > 0, "the run emitted nothing");
    assert_eq!(e.emitted, e.delivered + e.failed + e.cancelled, "{e:?}");
    let d = &e.duplicate_outcomes;
    assert_eq!(e.duplicated, d.delivered + d.failed + d.cancelled, "{e:?}");
    let originals = o.log.iter().filter(|l| l["duplicate"] != true).count() as u64;
    let duplicates = o.log.len() as u64 - originals;
    assert_eq!(originals, e.emitted, "one log line per event");
    assert_eq!(duplicates, e.duplicated, "one log line per duplicate");
    for (k, v) in [
        ("emitted", e.emitted),
        ("delivered", e.delivered),
        ("failed", e.failed),
    ] {
        assert_eq!(o.report_json["events"][k], v, "report.json events.{k}");
    }
}

/// The binary under test.
pub(super) fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ccsim"))
}
