//! The sending phase that `run`, `load` and `replay` share: where events go ([`Target`]:
//! the built-in receiver, a URL checked at start, or the in-process `null`), the report and
//! events log ([`Outputs`]), and [`send`], which delivers a source's events with a progress
//! line into a collector, then completes the report and decides the exit code. What is
//! written when, and what a failure to write does, is in `docs/faults.md`.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::console;
use crate::delivery::options::DeliveryOptions;
use crate::delivery::transport::{Transport, preflight};
use crate::delivery::{DeliveryConfig, DeliveryEnd, LiveCounters, Source, run_delivery};
use crate::error::{Exit, RunError, UsageError};
use crate::files;
use crate::plan::TargetSpec;
use crate::receiver::contract::ContractRules;
use crate::receiver::{ApiLookup, Receiver};
use crate::report::collector::{Collector, ReportMeta};
use crate::report::writer::{OutputWriter, STUCK_WAIT, WriteFailures, off_runtime};
use crate::report::{DeliverySummary, OutputOptions, Report};
use crate::time::SimTime;
use crate::units::Speed;

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

    /// Starts the built-in receiver (checking the contract with `rules`, the signatures
    /// the options make and, with a `lookup`, each event's record) or checks that the URL
    /// is reachable.
    pub(crate) async fn start(
        spec: &TargetSpec,
        options: &DeliveryOptions,
        rules: ContractRules,
        lookup: Option<ApiLookup>,
        servers: &CancellationToken,
    ) -> Result<Self, RunError> {
        Ok(match spec {
            TargetSpec::Null => Target {
                transport: Transport::Null,
                desc: "null (discarded in-process)".to_owned(),
                built_in: None,
            },
            TargetSpec::BuiltIn => {
                // A slot for each delivery worker's connection, however many.
                let mut receiver = Receiver::new(false)
                    .with_max_connections(options.concurrency)
                    .with_rules(rules)
                    .with_secrets(options.signer.secrets().to_vec());
                if let Some(lookup) = lookup {
                    receiver = receiver.with_api(lookup);
                }
                let addr = receiver
                    .clone()
                    .spawn(SocketAddr::from(([127, 0, 0, 1], 0)), servers.clone())
                    .await
                    .context("cannot start the built-in receiver")?;
                let url = reqwest::Url::parse(&format!("http://{addr}/webhook"))
                    .context("receiver url")?;
                Target {
                    desc: format!("{url} (built-in receiver)"),
                    transport: Transport::http(
                        url,
                        options.timeout,
                        options.concurrency,
                        &options.tls,
                    )?,
                    built_in: Some(receiver),
                }
            }
            TargetSpec::Url(url) => {
                preflight(url, std::time::Duration::from_secs(3))
                    .await
                    .map_err(RunError::Unreachable)?;
                Target {
                    transport: Transport::http(
                        url.clone(),
                        options.timeout,
                        options.concurrency,
                        &options.tls,
                    )?,
                    desc: url.to_string(),
                    built_in: None,
                }
            }
        })
    }
}

/// The report, the events log and the threshold of a sending command.
pub(crate) struct Outputs {
    /// Where the report and log go, the thresholds, quietness.
    pub(crate) options: OutputOptions,
    /// What the partial reports say about the run.
    pub(crate) meta: ReportMeta,
    /// The interrupt: once it fires, writing the outputs is waited for a few seconds at
    /// most.
    pub(crate) hurry: CancellationToken,
}

/// What the sending phase produced.
pub(crate) struct Sent {
    pub(crate) collector: Collector,
    pub(crate) end: DeliveryEnd,
    progress: Arc<LiveCounters>,
    /// What the output writer could not write.
    failures: WriteFailures,
}

impl Outputs {
    /// Creates the events log and checks that the report can be written, so a bad path
    /// fails at start; the report file itself is left as it is until a complete report
    /// replaces it. Starts the writer thread; an events-log failure cancels `stop`.
    fn open(&self, stop: &CancellationToken) -> Result<Option<OutputWriter>, RunError> {
        let log = match &self.options.events_log {
            Some(path) => Some((
                path.clone(),
                files::open_for_writing(path, true, files::FIFO_READER_WAIT).map_err(|e| {
                    UsageError(format!(
                        "--events-log: cannot create {}: {e}",
                        path.display()
                    ))
                })?,
            )),
            None => None,
        };
        if let Some(path) = &self.options.report {
            files::probe_replaceable(path).map_err(|e| {
                UsageError(format!("--report: cannot write {}: {e}", path.display()))
            })?;
        }
        if let Some(path) = &self.options.html {
            files::probe_replaceable(path)
                .map_err(|e| UsageError(format!("--html: cannot write {}: {e}", path.display())))?;
        }
        let snapshots = match self.options.report_interval {
            Some(_) => self.options.report.clone(),
            None => None,
        };
        if log.is_none() && snapshots.is_none() {
            return Ok(None);
        }
        let writer = OutputWriter::start(log, snapshots, stop.clone())
            .context("cannot start the output writer thread")?;
        Ok(Some(writer))
    }

    /// Completes the report (target, delivery, thresholds, contract), writes and prints
    /// it, and decides the exit code: 5 when the events log, the report or the summary
    /// could not be written (each told on stderr), else 3 when interrupted, 1 when a
    /// threshold is breached, 0.
    pub(crate) async fn finish(
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
        self.options.thresholds.apply(&mut report);
        if let Some(receiver) = &target.built_in {
            let contract = receiver.summary(!sent.end.interrupted);
            if !contract.held() {
                report
                    .thresholds
                    .breached
                    .push(format!("event contract violated: {}", contract.breaches()));
            }
            report.contract = Some(contract);
        }
        report
            .output_errors
            .extend(sent.failures.events_log.iter().cloned());
        let mut failed = !report.output_errors.is_empty();
        if let Some(path) = &self.options.report
            && let Err(e) = write_report(path.clone(), &report, &self.hurry).await
        {
            console::err(&format!("error: {e}"));
            failed = true;
        }
        if let Some(path) = &self.options.html
            && let Err(e) = write_html(path.clone(), &report, &self.hurry).await
        {
            console::err(&format!("error: {e}"));
            failed = true;
        }
        if self.options.progress_and_summary()
            && let Err(e) = console::out_or_fail(&format!("{}\n", report.render_text()))
        {
            console::err(&format!("error: {e}"));
            failed = true;
        }
        let exit = if failed {
            Exit::Io
        } else if sent.end.interrupted {
            Exit::Interrupted
        } else if report.thresholds.breached.is_empty() {
            Exit::Ok
        } else {
            Exit::Thresholds
        };
        Ok((report, exit))
    }
}

/// Replaces the report file with the final `report`, off the runtime (after an interrupt,
/// waiting a few seconds at most).
async fn write_report(
    path: std::path::PathBuf,
    report: &Report,
    hurry: &CancellationToken,
) -> Result<(), String> {
    let shown = path.display().to_string();
    let json = serde_json::to_vec_pretty(report)
        .map_err(|e| format!("cannot serialize the report: {e}"))?;
    replace_off_runtime(path, json, hurry)
        .await
        .map_err(|e| format!("cannot write the report {shown}: {e}"))
}

/// Replaces the `--html` file with the final `report` as a page, like [`write_report`].
async fn write_html(
    path: std::path::PathBuf,
    report: &Report,
    hurry: &CancellationToken,
) -> Result<(), String> {
    let shown = path.display().to_string();
    let page = crate::report::html::page(report)
        .map_err(|e| format!("cannot serialize the report for --html: {e}"))?;
    replace_off_runtime(path, page.into_bytes(), hurry)
        .await
        .map_err(|e| format!("cannot write --html {shown}: {e}"))
}

/// Replaces `path` with `bytes` (temporary file and rename) off the runtime, waiting a few
/// seconds at most after an interrupt.
async fn replace_off_runtime(
    path: std::path::PathBuf,
    bytes: Vec<u8>,
    hurry: &CancellationToken,
) -> Result<(), String> {
    match off_runtime(move || files::replace(&path, &bytes), hurry).await {
        Some(Ok(())) => Ok(()),
        Some(Err(e)) => Err(e.to_string()),
        None => Err(format!(
            "the write did not end within {}s of the interrupt",
            STUCK_WAIT.as_secs()
        )),
    }
}

/// The sending phase: opens the outputs, delivers `source` with a progress line, into a
/// collector. An events log that cannot be written stops it like an interrupt.
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
    // Cancelled by an interrupt, or by the writer when the events log fails.
    let stop = shutdown.child_token();
    let writer = outputs.open(&stop)?;
    let mut collector =
        Collector::new(writer, outputs.options.events_log.is_some()).with_hurry(shutdown.clone());
    if outputs.options.progress_and_summary() {
        collector = collector.with_progress(progress.clone());
    }
    if let (Some(_), Some(every)) = (&outputs.options.report, outputs.options.report_interval) {
        collector = collector.with_checkpoints(every, outputs.meta.clone());
    }
    let progress_task = outputs.options.progress_and_summary().then(|| {
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
        &stop,
    )
    .await;
    if let Some(task) = progress_task {
        task.stop().await;
    }
    let failures = collector.finish_writing(shutdown).await;
    Ok(Sent {
        collector,
        end,
        progress,
        failures,
    })
}
