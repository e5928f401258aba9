//! The generated contact centre agrees with queueing theory: with Poisson arrivals,
//! exponential handle times, zero ring and dial delays and no abandonment, the simulated
//! probability of waiting and mean wait match Erlang C; with exponential patience, the
//! abandonment and waiting probabilities match Erlang A. Engine only (no HTTP), seeded.

use ccsim::conversation::ConvType;
use ccsim::report::contact_center::{ContactCenter, Figures};
use ccsim::sim::agents::AgentPool;
use ccsim::sim::dist::Dist;
use ccsim::sim::engine::Engine;
use ccsim::sim::erlang::{QueueFigures, erlang_a, erlang_c};
use ccsim::sim::workload::{Behaviour, DEFAULT_MAX_LIVE, Mechanics, SimPlan, Workload};
use ccsim::time::SimTime;
use ccsim::units::{Probability, Rate, Span};

/// Platform mechanics with no delays, so an agent's busy time is exactly the talk time.
fn instant_mechanics() -> Mechanics {
    Mechanics {
        conf_start: Dist::fixed(Span::ZERO),
        agent_dial: Dist::fixed(Span::ZERO),
        callee_dial: Dist::fixed(Span::ZERO),
        ..Mechanics::default()
    }
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
        subaccount_id: None,
        scripted: Vec::new(),
        max_live: DEFAULT_MAX_LIVE,
        workload: Workload {
            duration: Span::from_secs_f64(calls as f64 / lambda),
            rates: vec![(ConvType::Queue, Rate::from_per_second(lambda))],
            ramp: Vec::new(),
            behaviour,
        },
    };
    let mut engine = Engine::with_mechanics(plan, instant_mechanics());
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
