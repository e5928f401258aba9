//! A simulated run from its validated [`RunPlan`] to its report and exit code, in the order
//! things must start and stop: the fake API (a busy port fails first), the target, the
//! sending phase fed by the engine, the report, and the API's linger. `ccsim run`, `load`
//! and `serve` call [`run_plan`].

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::api::config::{ApiListen, Linger};
use crate::api::render::Renderer;
use crate::api::store::RecordStore;
use crate::api::{ApiState, server};
use crate::control::{ClockMode, Control, Journal, ManualClock};
use crate::conversation::Outcome;
use crate::delivery::DeliveryConfig;
use crate::delivery::Source;
use crate::error::{Exit, RunError};
use crate::event::EventBuilder;
use crate::feed::{Driven, Journaled, SimSource};
use crate::operation::Platform;
use crate::plan::{RunPlan, TargetSpec};
use crate::receiver::ApiLookup;
use crate::receiver::contract::ContractRules;
use crate::report::Report;
use crate::report::collector::ReportMeta;
use crate::report::summary::RunIdentity;
use crate::sending::{Outputs, Target, send, speed_text};
use crate::sim::engine::Engine;
use crate::units::Speed;

/// Runs a validated plan: simulate, deliver, report. Returns the report and exit code.
pub async fn run_plan(
    plan: RunPlan,
    shutdown: CancellationToken,
) -> Result<(Report, Exit), RunError> {
    let servers = shutdown.child_token();
    let _stop_servers = servers.clone().drop_guard();

    // The API first: a busy port is a usage error before anything else starts.
    let store = RecordStore::for_live(plan.api.retention, plan.sim.presized_live());
    // With `--control`, the events sent so far, for the control API.
    let journal = plan
        .api
        .control
        .as_ref()
        .map(|_| Arc::new(Journal::default()));
    // The engine is driven by the APIs as well as pulled by the delivery under `serve`
    // and with `--control`; otherwise it is the delivery's alone.
    let manual = plan
        .api
        .control
        .as_ref()
        .filter(|c| c.manual_clock)
        .map(|_| Arc::new(ManualClock::new(plan.sim.start)));
    let driven = (plan.endless || plan.api.control.is_some()).then(|| {
        let records = (!matches!(plan.api.listen, ApiListen::Off)).then(|| store.clone());
        Arc::new(Driven::new(plan.sim.clone(), records, plan.endless))
    });
    let api_addr = match plan.api.bind().await? {
        Some(listener) => {
            let renderer = Renderer {
                profile: plan.profile.clone(),
                zone: plan.api.zone,
            };
            // Signed requests expire as the profile says.
            let auth = plan
                .api
                .auth
                .clone()
                .map(|a| a.with_expiry(&plan.profile.signature_expiry));
            let mut state = ApiState::new(store.clone(), renderer, auth);
            if let Some(driven) = &driven {
                // The application's operations act on the engine.
                let platform: Arc<dyn Platform> = driven.clone();
                state = state.with_platform(platform);
            }
            if let (Some(control), Some(journal)) = (&plan.api.control, &journal) {
                let mut control = Control::new(journal.clone(), control, servers.clone());
                if let Some(driven) = &driven {
                    let clock = match (&manual, plan.speed) {
                        (Some(manual), _) => ClockMode::Manual(manual.clone()),
                        (None, Speed::Max) => ClockMode::Max,
                        (None, Speed::Factor(_)) => ClockMode::Real,
                    };
                    let platform: Arc<dyn Platform> = driven.clone();
                    control = control.with_platform(platform, clock, plan.sim.start);
                }
                state = state.with_control(control);
            }
            let addr = server::spawn(listener, state, servers.clone())
                .await
                .context("cannot start the fake platform API")?;
            Some(addr)
        }
        None => None,
    };

    let rules = ContractRules::for_delivery(&plan.delivery).with_profile(plan.profile.name);
    // The built-in receiver reads each event's record, as an application would, and
    // checks it shows nothing the events did not announce.
    let lookup = match api_addr {
        Some(addr) if plan.target == TargetSpec::BuiltIn => {
            let base = reqwest::Url::parse(&format!("http://{addr}/")).context("API url")?;
            let lookup = ApiLookup::new(&base, "ccsim");
            Some(match &plan.api.auth {
                Some(auth) => lookup.with_signing(auth.credentials.clone(), auth.zone),
                None => lookup,
            })
        }
        _ => None,
    };
    let target = Target::start(&plan.target, &plan.delivery, rules, lookup, &servers).await?;
    let outputs = Outputs {
        options: plan.output.clone(),
        meta: ReportMeta {
            seed: plan.sim.seed,
            shard: shard_of(&plan),
            profile: plan.profile.name.as_str().to_owned(),
            families: Some(plan.sim.events),
            speed: clock_text(&plan),
            target: target.desc().to_owned(),
            sl_threshold: plan.sl_threshold,
        },
        hurry: shutdown.clone(),
    };

    if !plan.output.quiet {
        let api = api_addr.map(|addr| addr.to_string());
        let identity = RunIdentity {
            seed: plan.sim.seed,
            shard: shard_of(&plan),
            profile: plan.profile.name.as_str(),
            events: plan.sim.events,
            speed: &outputs.meta.speed,
            target: target.desc(),
            api: api.as_deref(),
        };
        crate::console::err(identity.banner().trim_end());
        if let (true, Some(addr)) = (plan.endless, api_addr) {
            crate::console::err(&format!(
                "fake platform API serving on http://{addr}/ until ctrl-c"
            ));
        }
    }

    let builder = EventBuilder::new(plan.profile.clone()).with_families(plan.sim.events);
    let mut config = DeliveryConfig::new(target.transport.clone(), &plan.delivery, plan.sim.seed);
    if let Some(manual) = &manual {
        config = config.with_manual(manual.clone());
    }
    // Nobody can read the records without the API: no store to keep then.
    let records = api_addr.is_some().then_some(&store);
    if records.is_some() {
        // Each change shows in the records once the event announcing it goes out (and
        // the event shows in the journal then).
        config = config.with_handover(match &journal {
            Some(journal) => Arc::new(Journaled {
                store: store.clone(),
                journal: journal.clone(),
            }),
            None => Arc::new(store.clone()),
        });
    }
    // Progress is measured against the arrivals window and the scripted timelines.
    let horizon = (plan.sim.start, plan.sim.planned_end());
    let mut owned = None;
    let mut source: Box<dyn Source + Send + '_> = match &driven {
        Some(driven) => Box::new(SimSource::driven(driven, records, &builder)),
        None => {
            let engine = owned.insert(Engine::new(plan.sim.clone()));
            Box::new(SimSource::new(
                |budget| engine.pull(budget),
                records,
                &builder,
            ))
        }
    };
    let sent = send(
        &mut *source,
        horizon,
        plan.speed,
        &config,
        &outputs,
        &shutdown,
        &servers,
    )
    .await;
    drop(source);
    if let Some(manual) = &manual {
        // Nothing more will be released: advances end now.
        manual.finish();
    }
    let stats = match (&driven, owned.as_mut()) {
        (Some(driven), _) => driven.finish(),
        (None, Some(engine)) => engine.finish().clone(),
        (None, None) => crate::sim::stats::SimStats::default(),
    };
    let sent = sent?;
    if let Some(journal) = &journal {
        // Nothing more will be sent: waits for more end now.
        journal.finish();
    }
    if records.is_some() && !sent.end.interrupted {
        // Every event went out: what happened after the last one shows too.
        store.finish();
    }
    let overflow: u64 = stats
        .by_type
        .values()
        .filter_map(|t| t.by_outcome.get(&Outcome::Overflow))
        .sum();
    if overflow > 0 {
        crate::console::err(&format!(
            "warning: {overflow} arrivals were turned away (overflow): {} conversations were \
             already live, the limit set by --max-live",
            plan.sim.max_live
        ));
    }
    let mut report = sent
        .collector
        .report(&stats, sent.end.wall.as_secs_f64(), plan.sl_threshold);
    report.seed = plan.sim.seed;
    report.shard = shard_of(&plan);
    report.profile = plan.profile.name.as_str().to_owned();
    report.note_families(Some(plan.sim.events));
    report.scenario = plan
        .scenario
        .clone()
        .unwrap_or_else(|| crate::report::scenario_fingerprint(&plan.sim));
    report.speed = clock_text(&plan);
    report.api = api_addr.map(|addr| addr.to_string());
    let result = outputs
        .finish(report, &target, &plan.delivery, &sent)
        .await?;
    if let Some(addr) = api_addr {
        linger(plan.api.linger, addr, plan.output.quiet, &shutdown).await;
    }
    Ok(result)
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
            || "until ctrl-c".to_owned(),
            |d| format!("for {d:.0?} (ctrl-c to stop)"),
        );
        crate::console::err(&format!(
            "fake platform API still serving on http://{addr}/ {how_long}"
        ));
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

/// How simulated time moves, for the banner and the report: the speed, or `manual`.
fn clock_text(plan: &RunPlan) -> String {
    if plan.api.control.as_ref().is_some_and(|c| c.manual_clock) {
        "manual".to_owned()
    } else {
        speed_text(plan.speed)
    }
}

/// The run's shard for its report and banner: `None` for the whole workload.
fn shard_of(plan: &RunPlan) -> Option<crate::shard::Shard> {
    Some(plan.sim.shard).filter(|s| !s.is_whole())
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
