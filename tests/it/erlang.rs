//! The generated contact centre agrees with queueing theory: with Poisson arrivals,
//! exponential handle times, zero ring and dial delays and no abandonment, the simulated
//! probability of waiting and mean wait match Erlang C; with exponential patience, the
//! abandonment and waiting probabilities match Erlang A. First the engine alone, then the
//! command a user runs (`ccsim load … --speed max --target null`), whose report puts the
//! theory beside the simulation. Seeded.

use ccsim::conversation::ConvType;
use ccsim::report::contact_center::{ContactCenter, Figures};
use ccsim::report::theory::{Queue, QueueFigures};
use ccsim::sim::agents::AgentPool;
use ccsim::sim::dist::Dist;
use ccsim::sim::engine::Engine;
use ccsim::sim::workload::{Behaviour, DEFAULT_MAX_LIVE, Mechanics, SimPlan, Workload};
use ccsim::time::SimTime;
use ccsim::units::{Probability, Rate, Span};

fn erlang_c(agents: u32, lambda: f64, handle_s: f64) -> Option<QueueFigures> {
    Queue {
        agents,
        arrival_rate: lambda,
        busy_s: handle_s,
        patience_s: None,
    }
    .figures()
}

fn erlang_a(agents: u32, lambda: f64, handle_s: f64, patience_s: f64) -> QueueFigures {
    Queue {
        agents,
        arrival_rate: lambda,
        busy_s: handle_s,
        patience_s: Some(patience_s),
    }
    .figures()
    .expect("Erlang A always has a steady state")
}

/// Simulates `calls` queue calls to `agents` agents at `lambda`/s with exponential handle
/// times of mean `handle_s`, and returns the contact-centre figures.
fn simulate(
    seed: u64,
    agents: usize,
    lambda: f64,
    handle_s: f64,
    patience_s: Option<f64>,
    calls: u64,
) -> ContactCenter {
    let behaviour = Behaviour {
        handle_time: Dist::Exponential {
            mean: Span::from_secs_f64(handle_s),
        },
        patience: patience_s.map(|p| Dist::Exponential {
            mean: Span::from_secs_f64(p),
        }),
        queue_timeout: None,
        agent_ring: Dist::fixed(Span::ZERO),
        agent_answer: Probability::new(1.0).expect("p"),
        wrap_up: Dist::fixed(Span::ZERO),
        ..Behaviour::default()
    };
    let plan = SimPlan {
        seed,
        start: SimTime::from_millis(1_700_000_000_000),
        agents: AgentPool::default_names(agents),
        agent_numbers: Vec::new(),
        shard: ccsim::shard::Shard::WHOLE,
        subaccount_id: None,
        scripted: Vec::new(),
        mechanics: Mechanics::instant(),
        max_live: DEFAULT_MAX_LIVE,
        events: ccsim::families::EventFamilies::default(),
        abandoned_tasks: ccsim::sim::workload::AbandonedTasks::default(),
        workload: Workload {
            duration: Span::from_secs_f64(calls as f64 / lambda),
            rates: vec![(ConvType::Queue, Rate::from_per_second(lambda))],
            ramp: Vec::new(),
            behaviour,
        },
    };
    let mut engine = Engine::new(plan);
    while engine.next_happening().is_some() {}
    ContactCenter::from_stats(engine.finish(), Span::from_millis(20_000))
}

/// The simulated probability of waiting is within ±0.02 of the formula's, and the mean
/// wait within 5%.
fn assert_agrees_with(f: &Figures, want: &QueueFigures, formula: &str) {
    assert!(
        (f.p_wait - want.p_wait).abs() < 0.02,
        "P(wait) {} vs {formula} {}",
        f.p_wait,
        want.p_wait
    );
    let rel = (f.mean_wait_s - want.mean_wait_s).abs() / want.mean_wait_s;
    assert!(
        rel < 0.05,
        "mean wait {} vs {formula} {} ({:.1}% off)",
        f.mean_wait_s,
        want.mean_wait_s,
        rel * 100.0
    );
}

#[test]
fn ten_agents_at_eight_erlangs_wait_as_erlang_c_predicts() {
    let (agents, lambda, handle) = (10, 0.08, 100.0);
    let want = erlang_c(agents, lambda, handle).expect("stable");
    let got = simulate(1, agents as usize, lambda, handle, None, 1_200_000);
    let f = &got.inbound;
    assert!(f.offered > 1_150_000, "{f:?}");
    assert_eq!(f.answered, f.offered, "nobody abandons");
    assert_agrees_with(f, &want, "Erlang C");
    assert!(
        (got.occupancy - want.occupancy).abs() < 0.02,
        "occupancy {} vs {}",
        got.occupancy,
        want.occupancy
    );
}

#[test]
fn three_agents_at_two_erlangs_wait_as_erlang_c_predicts() {
    let (agents, lambda, handle) = (3, 1.0 / 60.0, 120.0);
    let want = erlang_c(agents, lambda, handle).expect("stable");
    let got = simulate(2, agents as usize, lambda, handle, None, 200_000);
    let f = &got.inbound;
    assert_agrees_with(f, &want, "Erlang C");
}

#[test]
fn an_overloaded_queue_with_impatient_callers_abandons_as_erlang_a_predicts() {
    // 5 agents offered 6 Erlangs: unstable without abandonment, stable with it.
    let (agents, lambda, handle, patience) = (5, 0.06, 100.0, 60.0);
    let want = erlang_a(agents, lambda, handle, patience);
    let got = simulate(3, agents as usize, lambda, handle, Some(patience), 200_000);
    let f = &got.inbound;
    let p_abandon = f.abandoned as f64 / f.offered as f64;
    assert!(
        (p_abandon - want.p_abandon).abs() < 0.02,
        "P(abandon) {p_abandon} vs Erlang A {}",
        want.p_abandon
    );
    assert!(
        (f.p_wait - want.p_wait).abs() < 0.02,
        "P(wait) {} vs Erlang A {}",
        f.p_wait,
        want.p_wait
    );
    assert_eq!(f.answered + f.abandoned, f.offered);
}

/// Waits for the child, killing it after 15 minutes (a guard against a hang: the runs below
/// take about half a minute on an idle machine, several on a busy one).
fn wait_long(mut child: std::process::Child) -> std::process::Output {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(900);
    while child.try_wait().expect("try_wait").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().expect("wait for ccsim")
}

/// Runs `ccsim load` with `flags` at full speed into the void, and returns its report's
/// `contact_center` section and its text summary.
fn load_report(flags: &[&str]) -> (serde_json::Value, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let report = dir.path().join("report.json");
    let mut args = vec![
        "load",
        "--mix",
        "queue=100",
        "--handle-dist",
        "exponential",
        "--queue-timeout",
        "off",
        "--ring-time",
        "0s",
        "--answer-rate",
        "1",
        "--speed",
        "max",
        "--target",
        "null",
        "--api",
        "off",
        "--seed",
        "1",
        "--report",
        report.to_str().expect("utf-8 path"),
    ];
    args.extend_from_slice(flags);
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_ccsim"))
        .args(&args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn ccsim");
    let out = wait_long(child);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).expect("report written")).expect("JSON");
    (json["contact_center"].clone(), stdout)
}

/// The simulated figure `name` and the theory's, side by side in the report.
fn pair(cc: &serde_json::Value, sim: &str, theory: &str) -> (f64, f64) {
    let s = cc[sim].as_f64().unwrap_or_else(|| panic!("{sim} in {cc}"));
    let t = cc["theory"][theory]
        .as_f64()
        .unwrap_or_else(|| panic!("theory.{theory} in {cc}"));
    (s, t)
}

/// Probabilities within ±0.02, the average speed of answer within 5%.
fn assert_report_agrees(cc: &serde_json::Value) {
    for (sim, theory) in [
        ("p_wait", "p_wait"),
        ("service_level", "service_level"),
        ("occupancy", "occupancy"),
    ] {
        let (s, t) = pair(cc, sim, theory);
        assert!((s - t).abs() < 0.02, "{sim}: simulated {s}, theory {t}");
    }
    let (s, t) = pair(cc, "mean_wait_s", "mean_wait_s");
    assert!(
        (s - t).abs() / t < 0.05,
        "ASA: simulated {s} s, theory {t} s"
    );
}

#[test]
fn the_load_command_agrees_with_erlang_c_with_the_platform_delays_in_the_busy_time() {
    // 10 agents offered 8 Erlangs of talk (480 calls an hour of 60 s), plus the platform's
    // own dial delay (0.5–2 s), for 600 simulated hours (about 288,000 calls).
    let (cc, text) = load_report(&[
        "--patience",
        "off",
        "--agents",
        "10",
        "--rate",
        "480/h",
        "--handle-time",
        "60s",
        "--duration",
        "600h",
    ]);
    let t = &cc["theory"];
    assert_eq!(t["model"], "erlang_c", "{cc}");
    let busy = t["mean_busy_s"].as_f64().expect("busy");
    assert!(
        busy > 60.5 && busy < 62.0,
        "talk plus the agent's dial delay: {busy}"
    );
    assert!((t["answer_delay_s"].as_f64().expect("delay") - 1.25).abs() < 0.05);
    assert_report_agrees(&cc);
    assert!(text.contains("theory (Erlang C, "), "{text}");
}

#[test]
fn the_load_command_agrees_with_erlang_a_when_callers_give_up() {
    // 10 agents offered 10 Erlangs, callers' patience 60 s: stable only through
    // abandonment. No platform delays: the agents' busy time is the talk time.
    let (cc, text) = load_report(&[
        "--mechanics",
        "instant",
        "--patience",
        "60s",
        "--agents",
        "10",
        "--rate",
        "600/h",
        "--handle-time",
        "60s",
        "--duration",
        "600h",
    ]);
    let t = &cc["theory"];
    assert_eq!(t["model"], "erlang_a", "{cc}");
    assert_eq!(t["answer_delay_s"].as_f64(), Some(0.0));
    assert_report_agrees(&cc);
    let offered = cc["offered"].as_f64().expect("offered");
    let abandoned = cc["abandoned"].as_f64().expect("abandoned") / offered;
    let want = t["abandoned"].as_f64().expect("abandoned");
    assert!(
        (abandoned - want).abs() < 0.02,
        "abandoned: simulated {abandoned}, Erlang A {want}"
    );
    assert!(
        text.contains("theory (Erlang A, ") && text.contains("abandoned"),
        "{text}"
    );
}
