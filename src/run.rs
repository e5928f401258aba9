//! The commands: `run` (simulate and deliver, then report), `listen` (the receiver on
//! its own), `serve` (the fake API on its own) and `sign`. Owns the order of start-up and
//! shut-down: fake API, receiver, preflight, delivery, report, API linger, exit code.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::api::args::Linger;
use crate::api::render::Renderer;
use crate::api::store::RecordStore;
use crate::api::{ApiState, server};
use crate::cli::{Cli, Command, ListenArgs, RunArgs};
use crate::delivery::signing::Signer;
use crate::delivery::transport::{Transport, preflight};
use crate::delivery::{DeliveryConfig, Progress, run_delivery};
use crate::event::EventBuilder;
use crate::plan::{RunPlan, TargetSpec, UsageError};
use crate::receiver::Receiver;
use crate::report::Report;
use crate::report::collector::Collector;
use crate::report::events_log::EventsLog;
use crate::sim::engine::Engine;
use crate::units::Speed;

/// Process exit codes (PRODUCT §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Success.
    Ok = 0,
    /// A threshold was breached (failures, contract).
    Thresholds = 1,
    /// Bad usage or an invalid scenario.
    Usage = 2,
    /// Interrupted; a partial report was written.
    Interrupted = 3,
    /// The target was unreachable at start.
    Unreachable = 4,
}

/// Why a command could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Bad input (exit 2).
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// The target did not accept connections at start (exit 4).
    #[error("{0}")]
    Unreachable(String),
    /// Anything else (exit 1).
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl RunError {
    /// The exit code for this error.
    pub fn exit(&self) -> Exit {
        match self {
            RunError::Usage(_) => Exit::Usage,
            RunError::Unreachable(_) => Exit::Unreachable,
            RunError::Other(_) => Exit::Thresholds,
        }
    }
}

/// Runs a parsed command line until done or `shutdown` fires.
pub async fn run(cli: Cli, shutdown: CancellationToken) -> Result<Exit, RunError> {
    match cli.command {
        Command::Run(args) => {
            let plan = RunPlan::from_args(&args)?;
            let (report, exit) = run_plan(plan, shutdown).await?;
            let _ = report;
            Ok(exit)
        }
        Command::Listen(args) => listen(args, shutdown).await,
        Command::Serve(args) => serve(args, shutdown).await,
        Command::Sign(args) => {
            print!("{}", crate::api::sign::sign(&args, chrono::Utc::now())?);
            Ok(Exit::Ok)
        }
    }
}

/// `ccsim serve`: the fake API alone, fed by the simulation without sending webhooks, until
/// ctrl-c (which is its normal end, so exit 0).
async fn serve(args: RunArgs, shutdown: CancellationToken) -> Result<Exit, RunError> {
    let plan = crate::api::args::serve_plan(RunPlan::from_args(&args)?)?;
    let (_, exit) = run_plan(plan, shutdown).await?;
    Ok(match exit {
        Exit::Interrupted => Exit::Ok,
        other => other,
    })
}

/// Runs a validated plan: simulate, deliver, report. Returns the report and exit code.
pub async fn run_plan(
    plan: RunPlan,
    shutdown: CancellationToken,
) -> Result<(Report, Exit), RunError> {
    let servers = shutdown.child_token();
    let _stop_servers = servers.clone().drop_guard();

    // The API first: a busy port is a usage error before anything else starts.
    let store = RecordStore::new(plan.api.retention);
    let api_addr = match plan.api.bind().await? {
        Some(listener) => {
            let renderer = Renderer {
                profile: plan.profile.clone(),
                zone: plan.api.zone,
            };
            let state = ApiState::new(store.clone(), renderer, plan.api.auth.clone());
            let addr = server::spawn(listener, state, servers.clone())
                .await
                .context("cannot start the fake platform API")?;
            if !plan.quiet {
                eprintln!(
                    "fake platform API on http://{addr}/ (GET /v1/account/{{account}}/callcenter/conversation/{{id}})"
                );
            }
            Some(addr)
        }
        None => None,
    };

    let receiver = Receiver::new(false);
    let (transport, target_desc, built_in) = match &plan.target {
        TargetSpec::Null => (
            Transport::Null,
            "null (discarded in-process)".to_string(),
            false,
        ),
        TargetSpec::BuiltIn => {
            let addr = receiver
                .clone()
                .spawn(SocketAddr::from(([127, 0, 0, 1], 0)), servers.clone())
                .await
                .context("cannot start the built-in receiver")?;
            let url =
                reqwest::Url::parse(&format!("http://{addr}/webhook")).context("receiver url")?;
            let desc = format!("{url} (built-in receiver)");
            (
                Transport::http(url, plan.timeout, plan.concurrency)?,
                desc,
                true,
            )
        }
        TargetSpec::Url(url) => {
            preflight(url, std::time::Duration::from_secs(3))
                .await
                .map_err(RunError::Unreachable)?;
            (
                Transport::http(url.clone(), plan.timeout, plan.concurrency)?,
                url.to_string(),
                false,
            )
        }
    };

    let log = match &plan.events_log {
        Some(path) => Some(EventsLog::create(path).map_err(|e| {
            UsageError(format!(
                "--events-log: cannot create {}: {e}",
                path.display()
            ))
        })?),
        None => None,
    };
    if let Some(path) = &plan.report {
        std::fs::File::create(path)
            .map_err(|e| UsageError(format!("--report: cannot create {}: {e}", path.display())))?;
    }

    let builder = EventBuilder::new(plan.profile.clone());
    let config = DeliveryConfig {
        transport,
        concurrency: plan.concurrency,
        max_backlog: (plan.concurrency * 16).max(4096),
        retry: plan.retry,
        success: plan.success,
        signer: Signer::default(),
        grace: plan.grace,
    };
    let mut collector = Collector::new(log);
    let progress = Arc::new(Progress::default());
    let show_progress = !plan.quiet;
    let progress_task = show_progress.then(|| {
        crate::progress::spawn(
            progress.clone(),
            std::io::stderr().is_terminal(),
            servers.clone(),
        )
    });

    let mut engine = Engine::new(plan.sim.clone());
    let end = run_delivery(
        || engine.next_happening(),
        plan.sim.start,
        plan.speed,
        &builder,
        &store,
        &config,
        &mut collector,
        &progress,
        &shutdown,
    )
    .await;
    if let Some(task) = progress_task {
        task.stop().await;
    }
    let stats = engine.finish().clone();
    collector
        .finish_log()
        .context("cannot write the events log")?;

    let mut report = collector.report(&stats, end.wall.as_secs_f64());
    report.seed = plan.sim.seed;
    report.profile = format!("{:?}", plan.profile.name).to_lowercase();
    report.speed = match plan.speed {
        Speed::Max => "max".into(),
        Speed::Factor(f) => f.to_string(),
    };
    report.target = target_desc;
    report.api = api_addr.map(|addr| addr.to_string());
    report.interrupted = end.interrupted;
    report.thresholds.max_failure_rate = plan.max_failure_rate;
    if report.thresholds.failure_rate > plan.max_failure_rate {
        let t = &report.thresholds;
        let breach = format!(
            "failure rate {:.4} ({} of {} events) is above --max-failure-rate {}",
            t.failure_rate, report.events.failed, report.events.emitted, t.max_failure_rate
        );
        report.thresholds.breached.push(breach);
    }
    if built_in {
        let contract = receiver.summary(!end.interrupted);
        if !contract.held() {
            report.thresholds.breached.push(format!(
                "event contract violated: {} violations, {} unterminated conversations",
                contract.violations, contract.unterminated
            ));
        }
        report.contract = Some(contract);
    }

    if let Some(path) = &plan.report {
        let json = serde_json::to_vec_pretty(&report).context("cannot serialize the report")?;
        std::fs::write(path, json)
            .with_context(|| format!("cannot write the report to {}", path.display()))?;
    }
    if !plan.quiet {
        println!("{}", report.render_text());
    }
    if let Some(addr) = api_addr {
        linger(plan.api.linger, addr, plan.quiet, &shutdown).await;
    }
    let exit = if end.interrupted {
        Exit::Interrupted
    } else if report.thresholds.breached.is_empty() {
        Exit::Ok
    } else {
        Exit::Thresholds
    };
    Ok((report, exit))
}

/// Keeps the API (already serving in the background) up after the run, until the linger
/// time is over or `shutdown` fires.
async fn linger(linger: Linger, addr: SocketAddr, quiet: bool, shutdown: &CancellationToken) {
    let wait = match linger {
        Linger::For(d) if d.is_zero() => return,
        Linger::For(d) => Some(d),
        Linger::UntilStopped => None,
    };
    if shutdown.is_cancelled() {
        return;
    }
    if !quiet {
        let how_long = wait.map_or_else(
            || "until ctrl-c".to_string(),
            |d| format!("for {:.0?} (ctrl-c to stop)", d),
        );
        eprintln!("fake platform API still serving on http://{addr}/ {how_long}");
    }
    match wait {
        Some(d) => {
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = tokio::time::sleep(d) => {}
            }
        }
        None => shutdown.cancelled().await,
    }
}

/// `ccsim listen`: the built-in receiver on its own, printing every event.
async fn listen(args: ListenArgs, shutdown: CancellationToken) -> Result<Exit, RunError> {
    let receiver = Receiver::new(true);
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .map_err(|e| UsageError(format!("--addr: cannot listen on {}: {e}", args.addr)))?;
    let addr = listener.local_addr().context("listener address")?;
    eprintln!("listening on http://{addr}/ (ctrl-c to stop)");
    receiver
        .clone()
        .serve(listener, shutdown)
        .await
        .context("receiver failed")?;
    let summary = receiver.summary(false);
    eprintln!(
        "{} events in {} conversations; contract {}",
        summary.events,
        summary.conversations,
        if summary.held() {
            "held".to_string()
        } else {
            format!("violated ({} violations)", summary.violations)
        }
    );
    for ex in &summary.examples {
        eprintln!("  {ex}");
    }
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn addr() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 8700))
    }

    #[tokio::test(start_paused = true)]
    async fn the_api_lingers_for_its_time_then_stops() {
        let start = tokio::time::Instant::now();
        let token = CancellationToken::new();
        linger(Linger::For(Duration::from_secs(90)), addr(), true, &token).await;
        assert_eq!(start.elapsed(), Duration::from_secs(90));
        linger(Linger::For(Duration::ZERO), addr(), true, &token).await;
        assert_eq!(start.elapsed(), Duration::from_secs(90), "zero: no linger");
    }

    #[tokio::test(start_paused = true)]
    async fn ctrl_c_ends_an_endless_linger() {
        let start = tokio::time::Instant::now();
        let token = CancellationToken::new();
        let cancel = token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(5)).await;
            cancel.cancel();
        });
        linger(Linger::UntilStopped, addr(), true, &token).await;
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    }
}
