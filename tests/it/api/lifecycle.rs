//! How `run` starts and stops the API: a busy port, `--api off`, `serve` without an API.

use ccsim::cli::Cli;
use ccsim::cmd::flags::given::Given;
use ccsim::cmd::serve::serve_plan;
use ccsim::plan::RunPlan;
use ccsim::{Exit, RunError};
use clap::Parser as _;
use tokio_util::sync::CancellationToken;

/// The plan of a short, fast run with `flags`.
fn plan(flags: &[&str]) -> RunPlan {
    let base = ["--speed", "max", "--seed", "3", "--duration", "5m"];
    super::plan_of(&[&base[..], flags].concat())
}

#[tokio::test]
async fn a_busy_api_port_is_a_usage_error_naming_the_address() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = busy.local_addr().expect("address").to_string();
    let result = ccsim::run_plan(
        plan(&["--api", &addr, "--target", "null", "-q"]),
        CancellationToken::new(),
    )
    .await;
    let Err(error) = result else {
        panic!("the run started on a busy port")
    };
    assert_eq!(error.exit(), Exit::Usage);
    let message = format!("{error:#}");
    assert!(
        message.starts_with(&format!("--api: cannot listen on {addr}: ")),
        "{message}"
    );
}

#[tokio::test]
async fn with_api_off_the_run_serves_nothing_and_reports_no_address() {
    let (report, exit) = ccsim::run_plan(
        plan(&["--api", "off", "--target", "null", "-q"]),
        CancellationToken::new(),
    )
    .await
    .expect("the run completes");
    assert_eq!(exit, Exit::Ok);
    assert_eq!(report.api, None);
    let json = serde_json::to_value(&report).expect("serializable");
    assert!(json.get("api").is_none());
}

#[tokio::test]
async fn serve_with_api_off_is_a_usage_error() {
    let cli = Cli::try_parse_from(["ccsim", "serve", "--api", "off"]).expect("valid flags");
    let result = ccsim::run(cli, CancellationToken::new()).await;
    assert!(
        matches!(&result, Err(RunError::Usage(e)) if e.to_string().starts_with("--api off")),
        "{result:?}"
    );
}

#[tokio::test]
async fn serve_keeps_serving_the_finished_simulation_until_stopped() {
    let flags = ["--target", "null", "-q"];
    let mut reference = plan(&flags);
    reference.api = ccsim::api::config::ApiPlan::default();
    let (expected, _) = ccsim::run_plan(reference, CancellationToken::new())
        .await
        .expect("the reference run completes");
    let began = expected.conversations.started;
    assert!(began > 0);

    let (listener, base) = super::api_listener();
    let url = format!("{base}/v1/account/x/callcenter/conversation?size=1000");
    let mut serve =
        serve_plan(plan(&flags), false, false, &Given::default()).expect("a serve plan");
    serve.api = serve.api.with_listener(listener);
    let stop = CancellationToken::new();
    let finished = std::sync::atomic::AtomicBool::new(false);
    let running = async {
        let result = ccsim::run_plan(serve, stop.clone()).await;
        finished.store(true, std::sync::atomic::Ordering::SeqCst);
        result
    };

    // Records appear and evolve until every begun conversation has ended; then serve is
    // still running, until stopped.
    let client = reqwest::Client::new();
    let watch = async {
        loop {
            let page: serde_json::Value = match client.get(&url).send().await {
                Ok(response) => serde_json::from_slice(&response.bytes().await.unwrap_or_default())
                    .unwrap_or_default(),
                Err(_) => serde_json::Value::Null,
            };
            let ended = page["data"]["result"]
                .as_array()
                .map_or(0, |r| r.iter().filter(|c| !c["end_time"].is_null()).count());
            if page["data"]["totalCount"] == began && ended as u64 == began {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let still_running = !finished.load(std::sync::atomic::Ordering::SeqCst);
        stop.cancel();
        still_running
    };
    let (result, still_running) = tokio::join!(running, watch);
    assert!(still_running, "serve stopped before it was told to");
    let (report, _) = result.expect("serve ends cleanly");
    assert_eq!(report.target, "null (discarded in-process)");
}

#[tokio::test]
async fn with_port_0_the_report_names_the_port_actually_bound() {
    let (report, exit) = ccsim::run_plan(
        plan(&["--api", "127.0.0.1:0", "--target", "null", "-q"]),
        CancellationToken::new(),
    )
    .await
    .expect("the run completes");
    assert_eq!(exit, Exit::Ok);
    let addr: std::net::SocketAddr = report
        .api
        .as_deref()
        .and_then(|a| a.parse().ok())
        .expect("an address in the report");
    assert!(addr.ip().is_loopback());
    assert_ne!(addr.port(), 0);
    assert!(
        report
            .render_text()
            .contains(&format!("api:    http://{addr}/"))
    );
}
