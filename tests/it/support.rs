//! Test fixtures: a recording receiver with scripted failures, plans built the way the
//! command line builds them, and a JSON request to a running API.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use clap::Parser;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use ccsim::cli::{Cli, Command};
use ccsim::plan::RunPlan;
use ccsim::report::Report;
use ccsim::sim::workload::SimPlan;

/// How the test receiver answers.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) enum Answer {
    /// Always 200.
    #[default]
    Ok,
    /// 500 for the first `n` requests, then 200.
    FailFirst(usize),
    /// Always 500.
    AlwaysFail,
}

#[derive(Default)]
struct Inner {
    answer: Answer,
    requests: usize,
    accepted: Vec<Value>,
}

/// A receiver on 127.0.0.1:0 that records every accepted event in arrival order.
pub(crate) struct TestReceiver {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
    _stop: tokio_util::sync::DropGuard,
}

impl TestReceiver {
    pub(crate) async fn start(answer: Answer) -> Self {
        let inner = Arc::new(Mutex::new(Inner {
            answer,
            ..Inner::default()
        }));
        let app = Router::new()
            .route("/hook", post(accept))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        let stop = CancellationToken::new();
        let token = stop.clone();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(token.cancelled_owned())
                .await;
        });
        Self {
            url: format!("http://{addr}/hook"),
            inner,
            _stop: stop.drop_guard(),
        }
    }

    /// Accepted events in arrival order.
    pub(crate) fn events(&self) -> Vec<Value> {
        self.inner.lock().expect("lock").accepted.clone()
    }

    /// Requests received, accepted or not.
    pub(crate) fn requests(&self) -> usize {
        self.inner.lock().expect("lock").requests
    }

    /// Accepted events grouped by conversation id, each in arrival order.
    pub(crate) fn by_conversation(&self) -> BTreeMap<String, Vec<Value>> {
        let mut map: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for e in self.events() {
            let id = e["id"].as_str().unwrap_or_default().to_owned();
            map.entry(id).or_default().push(e);
        }
        map
    }
}

async fn accept(State(inner): State<Arc<Mutex<Inner>>>, body: Bytes) -> StatusCode {
    let mut inner = inner.lock().expect("lock");
    inner.requests += 1;
    let fail = match inner.answer {
        Answer::Ok => false,
        Answer::FailFirst(n) => inner.requests <= n,
        Answer::AlwaysFail => true,
    };
    if fail {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let value = serde_json::from_slice(&body).expect("receiver got a non-JSON body");
    inner.accepted.push(value);
    StatusCode::OK
}

/// A plan built from `ccsim run` arguments, exactly as the binary builds it.
pub(crate) fn plan_from_args(args: &[&str]) -> RunPlan {
    // Port 0: tests run in parallel, each with its own fake API.
    let mut argv = vec!["ccsim", "run", "--quiet", "--api", "127.0.0.1:0"];
    argv.extend_from_slice(args);
    let cli = Cli::try_parse_from(argv).expect("valid arguments");
    let Command::Run(run) = cli.command else {
        panic!("not a run command")
    };
    run.plan().expect("valid plan")
}

/// Runs `sim` at speed max to `target` and returns the report and exit code.
pub(crate) async fn run_sim(sim: SimPlan, target: &str, extra: &[&str]) -> (Report, ccsim::Exit) {
    let mut args = vec!["--target", target, "--speed", "max"];
    args.extend_from_slice(extra);
    let mut plan = plan_from_args(&args);
    plan.sim = sim;
    ccsim::run_plan(plan, CancellationToken::new())
        .await
        .expect("run succeeds")
}

/// The event names of a conversation's events, shortened (`begin`, `parts_changed`, `end`).
pub(crate) fn names(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| {
            e["event"]
                .as_str()
                .unwrap_or_default()
                .trim_start_matches("callcenter.conversation.")
        })
        .collect()
}

/// Asserts the accounting identity and that nothing was cancelled.
pub(crate) fn assert_accounted(report: &Report) {
    let e = &report.events;
    assert_eq!(
        e.emitted,
        e.delivered + e.failed + e.cancelled,
        "accounting identity: {e:?}"
    );
    assert_eq!(e.cancelled, 0);
}

/// Makes (once) a Python venv `target/tmp/NAME` with `package` installed from PyPI, for a
/// test that needs an official tool or library; returns the venv. Built aside and renamed
/// into place, so a concurrent test process never uses a half-made venv: whichever
/// process renames first wins, and the other's is removed.
pub(crate) fn python_venv_with(name: &str, package: &str) -> Result<std::path::PathBuf, String> {
    use std::process::Command;
    let root = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let venv = root.join(name);
    if venv.join("bin").join("python").exists() {
        return Ok(venv);
    }
    let building = root.join(format!("{name}.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&building);
    let step = |what: &str, command: &mut Command| -> Result<(), String> {
        let out = command
            .output()
            .map_err(|e| format!("{what}: cannot run: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            let err = String::from_utf8_lossy(&out.stderr);
            let last = err.lines().last().unwrap_or_default();
            Err(format!("{what} failed ({}): {last}", out.status))
        }
    };
    let made = step(
        "python3 -m venv",
        Command::new("python3").args(["-m", "venv"]).arg(&building),
    )
    .and_then(|()| {
        step(
            &format!("pip install {package}"),
            Command::new(building.join("bin").join("python")).args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                package,
            ]),
        )
    })
    .map(|()| {
        // Fails only when another process put its venv there first: that one is used.
        let _ = std::fs::rename(&building, &venv);
    });
    let _ = std::fs::remove_dir_all(&building);
    made.map(|()| venv)
}

/// Sends `request` to a running API and returns its status and JSON body (a test fails if
/// no answer comes within 90 s or the body is not JSON).
pub(crate) async fn send_json(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = tokio::time::timeout(Duration::from_secs(90), request.send())
        .await
        .expect("answered in time")
        .expect("the API answers");
    let status = response.status().as_u16();
    let body = response.bytes().await.expect("a body");
    let json = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&body)));
    (status, json)
}
