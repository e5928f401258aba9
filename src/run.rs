//! The commands: `run` and `load` (simulate and deliver, then report), `serve` (the fake
//! API alone), `listen` (the receiver alone), `sign`, `validate`, `schema`; `replay` lives
//! in `replay.rs` and shares the sending phase. Owns the order of start-up and shut-down:
//! fake API, receiver, preflight, delivery, report, linger, exit code.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::api::args::Linger;
use crate::api::render::Renderer;
use crate::api::store::RecordStore;
use crate::api::{ApiState, server};
use crate::cli::{Cli, Command, ListenArgs, RunArgs};
use crate::delivery::options::DeliveryOptions;
use crate::delivery::source::SimSource;
use crate::delivery::transport::{Transport, preflight};
use crate::delivery::{DeliveryConfig, DeliveryEnd, LiveCounters, Source, run_delivery};
use crate::error::{Exit, RunError, UsageError};
use crate::event::EventBuilder;
use crate::plan::{RunPlan, TargetSpec};
use crate::receiver::contract::ContractRules;
use crate::receiver::{ApiLookup, Faults, Receiver};
use crate::report::collector::{Collector, ReportMeta};
use crate::report::events_log::EventsLog;
use crate::report::{DeliverySummary, Report};
use crate::sim::engine::Engine;
use crate::time::SimTime;
use crate::units::Speed;

/// Runs a parsed command line until done or `shutdown` fires.
pub async fn run(cli: Cli, shutdown: CancellationToken) -> Result<Exit, RunError> {
    match cli.command {
        Command::Run(args) => {
            let plan = RunPlan::from_args(&args)?;
            let (_, exit) = run_plan(plan, shutdown).await?;
            Ok(exit)
        }
        Command::Load(args) => {
            let (_, exit) = run_plan(args.plan()?, shutdown).await?;
            Ok(exit)
        }
        Command::Listen(args) => listen(args, shutdown).await,
        Command::Serve(args) => serve(args, shutdown).await,
        Command::Sign(args) => {
            print!("{}", crate::api::sign::sign(&args, chrono::Utc::now())?);
            Ok(Exit::Ok)
        }
        Command::Validate(args) => Ok(crate::scenario::args::validate(&args)),
        Command::Schema(args) => Ok(crate::scenario::args::schema(&args)),
        Command::Replay(args) => {
            let (_, exit) = crate::replay::replay(args, shutdown).await?;
            Ok(exit)
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

    let rules = ContractRules::for_delivery(&plan.delivery);
    let target = Target::start(&plan.target, &plan.delivery, rules, &servers).await?;
    let outputs = Outputs {
        report: plan.report.clone(),
        events_log: plan.events_log.clone(),
        thresholds: plan.thresholds,
        quiet: plan.quiet,
        report_interval: plan.report_interval,
        meta: ReportMeta {
            seed: plan.sim.seed,
            profile: format!("{:?}", plan.profile.name).to_lowercase(),
            speed: speed_text(plan.speed),
            target: target.desc().to_string(),
            sl_threshold: plan.sl_threshold,
        },
    };

    let builder = EventBuilder::new(plan.profile.clone());
    let config = DeliveryConfig::new(target.transport.clone(), &plan.delivery, plan.sim.seed);
    let mut engine = Engine::new(plan.sim.clone());
    // Nobody can read the records without the API: no store to keep then.
    let records = api_addr.is_some().then_some(&store);
    let mut source = SimSource::new(|| engine.next_happening(), records, &builder);
    // Progress is measured against the arrivals window; the tail after it is short.
    let horizon = (plan.sim.start, plan.sim.start + plan.sim.workload.duration);
    let sent = send(
        &mut source,
        horizon,
        plan.speed,
        &config,
        &outputs,
        &shutdown,
        &servers,
    )
    .await?;
    drop(source);
    let stats = engine.finish().clone();
    let mut report = sent
        .collector
        .report(&stats, sent.end.wall.as_secs_f64(), plan.sl_threshold);
    report.seed = plan.sim.seed;
    report.profile = format!("{:?}", plan.profile.name).to_lowercase();
    report.speed = speed_text(plan.speed);
    report.api = api_addr.map(|addr| addr.to_string());
    let result = outputs.finish(report, &target, &plan.delivery, &sent)?;
    if let Some(addr) = api_addr {
        linger(plan.api.linger, addr, plan.quiet, &shutdown).await;
    }
    Ok(result)
}

/// `--speed` as the report shows it.
pub(crate) fn speed_text(speed: Speed) -> String {
    match speed {
        Speed::Max => "max".into(),
        Speed::Factor(f) => f.to_string(),
    }
}

/// Where a sending command delivers: the transport, its description, and the built-in
/// receiver when it is the target.
pub(crate) struct Target {
    pub(crate) transport: Transport,
    desc: String,
    built_in: Option<Receiver>,
}

impl Target {
    /// What the report calls the target.
    pub(crate) fn desc(&self) -> &str {
        &self.desc
    }

    /// Starts the built-in receiver (checking the contract with `rules`, and the
    /// signatures the options make) or checks that the URL is reachable.
    pub(crate) async fn start(
        spec: &TargetSpec,
        options: &DeliveryOptions,
        rules: ContractRules,
        servers: &CancellationToken,
    ) -> Result<Self, RunError> {
        Ok(match spec {
            TargetSpec::Null => Target {
                transport: Transport::Null,
                desc: "null (discarded in-process)".to_string(),
                built_in: None,
            },
            TargetSpec::BuiltIn => {
                let receiver = Receiver::new(false)
                    .with_rules(rules)
                    .with_secrets(options.signer.secrets().to_vec());
                let addr = receiver
                    .clone()
                    .spawn(SocketAddr::from(([127, 0, 0, 1], 0)), servers.clone())
                    .await
                    .context("cannot start the built-in receiver")?;
                let url = reqwest::Url::parse(&format!("http://{addr}/webhook"))
                    .context("receiver url")?;
                Target {
                    desc: format!("{url} (built-in receiver)"),
                    transport: Transport::http(url, options.timeout, options.concurrency)?,
                    built_in: Some(receiver),
                }
            }
            TargetSpec::Url(url) => {
                preflight(url, std::time::Duration::from_secs(3))
                    .await
                    .map_err(RunError::Unreachable)?;
                Target {
                    transport: Transport::http(url.clone(), options.timeout, options.concurrency)?,
                    desc: url.to_string(),
                    built_in: None,
                }
            }
        })
    }
}

/// The report, the events log and the threshold of a sending command.
pub(crate) struct Outputs {
    pub(crate) report: Option<PathBuf>,
    pub(crate) events_log: Option<PathBuf>,
    pub(crate) thresholds: crate::report::ThresholdSpec,
    pub(crate) quiet: bool,
    /// How often a partial report is written while the run goes on.
    pub(crate) report_interval: Option<std::time::Duration>,
    /// What the partial reports say about the run.
    pub(crate) meta: ReportMeta,
}

/// What the sending phase produced.
pub(crate) struct Sent {
    pub(crate) collector: Collector,
    pub(crate) end: DeliveryEnd,
    progress: Arc<LiveCounters>,
}

impl Outputs {
    /// Creates the events log and the report file up front, so a bad path fails at start.
    pub(crate) fn open(&self) -> Result<Option<EventsLog>, RunError> {
        let log = match &self.events_log {
            Some(path) => Some(EventsLog::create(path).map_err(|e| {
                UsageError(format!(
                    "--events-log: cannot create {}: {e}",
                    path.display()
                ))
            })?),
            None => None,
        };
        if let Some(path) = &self.report {
            std::fs::File::create(path).map_err(|e| {
                UsageError(format!("--report: cannot create {}: {e}", path.display()))
            })?;
        }
        Ok(log)
    }

    /// Completes the report (target, delivery, thresholds, contract), writes and prints
    /// it, and decides the exit code.
    pub(crate) fn finish(
        &self,
        mut report: Report,
        target: &Target,
        options: &DeliveryOptions,
        sent: &Sent,
    ) -> Result<(Report, Exit), RunError> {
        report.target = target.desc.clone();
        report.interrupted = sent.end.interrupted;
        report.delivery = DeliverySummary {
            ordering: options.ordering.as_str().into(),
            signing_secrets: options.signer.secrets().len(),
            max_backlog: options.max_backlog as u64,
            peak_backlog: sent.progress.peak_backlog.load(Ordering::Relaxed),
        };
        self.thresholds.apply(&mut report);
        if let Some(receiver) = &target.built_in {
            let contract = receiver.summary(!sent.end.interrupted);
            if !contract.held() {
                report.thresholds.breached.push(format!(
                    "event contract violated: {} violations, {} unterminated conversations, {} bad signatures",
                    contract.violations, contract.unterminated, contract.bad_signatures
                ));
            }
            report.contract = Some(contract);
        }
        if let Some(path) = &self.report {
            let json = serde_json::to_vec_pretty(&report).context("cannot serialize the report")?;
            std::fs::write(path, json)
                .with_context(|| format!("cannot write the report to {}", path.display()))?;
        }
        if !self.quiet {
            println!("{}", report.render_text());
        }
        let exit = if sent.end.interrupted {
            Exit::Interrupted
        } else if report.thresholds.breached.is_empty() {
            Exit::Ok
        } else {
            Exit::Thresholds
        };
        Ok((report, exit))
    }
}

/// The sending phase: opens the outputs, delivers `source` with a progress line, into a
/// collector.
pub(crate) async fn send(
    source: &mut dyn Source,
    horizon: (SimTime, SimTime),
    speed: Speed,
    config: &DeliveryConfig,
    outputs: &Outputs,
    shutdown: &CancellationToken,
    servers: &CancellationToken,
) -> Result<Sent, RunError> {
    let progress = Arc::new(LiveCounters::default());
    let mut collector = Collector::new(outputs.open()?);
    if !outputs.quiet {
        collector = collector.with_progress(progress.clone());
    }
    if let (Some(path), Some(every)) = (&outputs.report, outputs.report_interval) {
        collector = collector.with_checkpoints(path.clone(), every, outputs.meta.clone());
    }
    let progress_task = (!outputs.quiet).then(|| {
        crate::progress::spawn(
            progress.clone(),
            std::io::stderr().is_terminal(),
            horizon,
            servers.clone(),
        )
    });
    let end = run_delivery(
        source,
        horizon.0,
        speed,
        config,
        &mut collector,
        &progress,
        shutdown,
    )
    .await;
    if let Some(task) = progress_task {
        task.stop().await;
    }
    collector
        .finish_log()
        .context("cannot write the events log")?;
    Ok(Sent {
        collector,
        end,
        progress,
    })
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
    let mut receiver = Receiver::new(true)
        .with_secrets(
            args.secret
                .iter()
                .flat_map(|l| l.0.iter().cloned())
                .collect(),
        )
        .with_faults(Faults {
            fail_rate: args.fail_rate.get(),
            delay: args.delay.as_std(),
        });
    if let Some(api) = &args.api {
        receiver = receiver.with_api(ApiLookup::new(api, &args.account));
    }
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
        "{} events in {} conversations; contract {}{}",
        summary.events,
        summary.conversations,
        if summary.held() {
            "held".to_string()
        } else {
            format!("violated ({} violations)", summary.violations)
        },
        if summary.bad_signatures > 0 {
            format!("; {} bad signatures", summary.bad_signatures)
        } else {
            String::new()
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
