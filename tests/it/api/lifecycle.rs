//! How `run` starts and stops the API: a busy port, `--api off`, `serve` without an API.

use ccsim::cli::{Cli, Command};
use ccsim::plan::RunPlan;
use ccsim::{Exit, RunError};
use clap::Parser as _;
use tokio_util::sync::CancellationToken;

/// The plan of `ccsim run` with `flags` (a short, fast, silent run by default).
fn plan(flags: &[&str]) -> RunPlan {
    let base = [
        "ccsim",
        "run",
        "--speed",
        "max",
        "--seed",
        "3",
        "--duration",
        "5m",
    ];
    let cli = Cli::try_parse_from(base.iter().chain(flags)).expect("valid flags");
    let Command::Run(args) = cli.command else {
        panic!("parsed as run")
    };
    RunPlan::from_args(&args).expect("valid plan")
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
