//! Contact-centre figures (`contact_center` in the report): offered, answered, abandoned,
//! timed out, waited, average speed of answer, service level and agent occupancy, computed
//! from the engine's statistics; beside them, what queueing theory ([`super::theory`])
//! predicts for the same load with the agents' measured busy time, and whether the queue
//! drained when arrivals stopped.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::theory::Queue;
use crate::conversation::{ConvType, Outcome};
use crate::sim::stats::{AgentFigures, SimStats, TypeStats};
use crate::units::Span;

/// Figures of one group of calls.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Figures {
    /// Calls that arrived.
    pub offered: u64,
    /// Calls answered (the conversation began).
    pub answered: u64,
    /// Callers who gave up, waiting or while the agent's phone rang.
    pub abandoned: u64,
    /// Of `abandoned`, those who hung up while the selected agent's phone rang (the
    /// queueing models count only callers who give up waiting).
    pub abandoned_ringing: u64,
    /// Calls removed by the queue timeout.
    pub timed_out: u64,
    /// Calls that had to wait for an agent (queue wait > 0).
    pub waited: u64,
    /// Share of calls that had to wait: waited / offered.
    pub p_wait: f64,
    /// Average speed of answer: mean time from arrival to answer, seconds.
    pub mean_wait_s: f64,
    /// Share of offered calls answered within the threshold.
    pub service_level: f64,
}

/// The `contact_center` section.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ContactCenter {
    /// Service-level threshold, seconds (`--sl-threshold`).
    pub sl_threshold_s: f64,
    /// Agents in the pool.
    pub agents: usize,
    /// Share of agent time taken (fetching, talking or in after-call work) over the
    /// simulated time.
    pub occupancy: f64,
    /// Mean time an agent was taken per call it was given (from being selected or dialled
    /// to idle again: ring, talk, the platform's delays and after-call work), seconds.
    pub mean_busy_s: f64,
    /// Inbound (`queue`) calls: the figures contact-centre people mean.
    #[serde(flatten)]
    pub inbound: Figures,
    /// Per type where it applies (the ACD types `queue` and `call_agent`).
    pub by_type: BTreeMap<std::borrow::Cow<'static, str>, Figures>,
    /// What queueing theory predicts for the inbound figures (absent without generated
    /// `queue` arrivals).
    ///
    /// A merged report has none: the theory is of one agent pool, and each report's own
    /// is in that report.
    #[serde(skip_serializing_if = "Option::is_none", skip_deserializing)]
    pub theory: Option<Theory>,
    /// Callers left waiting when arrivals stopped.
    pub backlog: Backlog,
    /// Each agent's figures, by name: calls handled, ring, talk and after-call time,
    /// occupancy, times engaged. Their times add up to the pool's busy time and their
    /// occupancies average to `occupancy`.
    #[serde(default)]
    pub by_agent: Vec<AgentFigures>,
}

/// Erlang C (callers never give up) or Erlang A (exponential patience) for the run's load:
/// the arrival rate of calls needing an agent and the agents' measured mean busy time, so
/// the platform's delays, ring times and after-call work are part of the offered load.
#[derive(Debug, Clone, Serialize)]
pub struct Theory {
    /// `erlang_c` or `erlang_a`.
    pub model: &'static str,
    /// Calls needing an agent per second over the arrival window (a `call_agent` needs
    /// two).
    pub arrival_rate_per_s: f64,
    /// The agents' measured mean busy time per call, seconds.
    pub mean_busy_s: f64,
    /// Offered load: arrival rate × mean busy time.
    pub offered_erlangs: f64,
    /// Mean patience used by Erlang A, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patience_s: Option<f64>,
    /// Measured mean time from an agent being selected to answering (dial and ring),
    /// added to the predicted queue wait for ASA and the service level.
    pub answer_delay_s: f64,
    /// Whether a steady state exists (Erlang C with fewer offered Erlangs than agents;
    /// always for Erlang A). The predictions are `null` when it does not.
    pub stable: bool,
    /// Whether other conversation types share the agents (`call_out`, `call_agent`): the
    /// prediction then treats every agent leg as an inbound caller, an approximation.
    pub approximate: bool,
    /// Predicted share of callers who wait.
    pub p_wait: Option<f64>,
    /// Predicted average speed of answer, seconds.
    pub mean_wait_s: Option<f64>,
    /// Predicted share answered within the service-level threshold.
    pub service_level: Option<f64>,
    /// Predicted share of callers who abandon.
    pub abandoned: Option<f64>,
    /// Predicted occupancy.
    pub occupancy: Option<f64>,
}

/// The ACD queue when arrivals stopped.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Backlog {
    /// Callers still waiting when arrivals stopped.
    pub waiting_at_arrivals_end: u64,
    /// How long after arrivals stopped the queue was first empty, seconds (`null`: not
    /// before the run ended).
    pub drained_after_s: Option<f64>,
    /// Callers were left waiting and clearing them took longer than one mean busy time,
    /// or never happened: more load was offered than the agents could take.
    pub overloaded: bool,
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

fn figures(ts: &TypeStats, sl: Span) -> Figures {
    let count = |o: Outcome| ts.by_outcome.get(&o).copied().unwrap_or(0);
    Figures {
        offered: ts.offered,
        answered: ts.started,
        abandoned: count(Outcome::AbandonedWaiting) + count(Outcome::AbandonedRinging),
        abandoned_ringing: count(Outcome::AbandonedRinging),
        timed_out: count(Outcome::QueueTimeout),
        waited: ts.waited,
        p_wait: ratio(ts.waited, ts.offered),
        mean_wait_s: if ts.started == 0 {
            0.0
        } else {
            ts.answer_sum_s / ts.started as f64
        },
        service_level: ratio(ts.answer_waits.count_at_most(sl), ts.offered),
    }
}

impl ContactCenter {
    /// The figures of a run.
    pub fn from_stats(sim: &SimStats, sl_threshold: Span) -> Self {
        let by_type: BTreeMap<std::borrow::Cow<'static, str>, Figures> =
            [ConvType::Queue, ConvType::CallAgent]
                .into_iter()
                .filter_map(|t| {
                    sim.by_type
                        .get(&t)
                        .map(|ts| (t.as_str().into(), figures(ts, sl_threshold)))
                })
                .collect();
        let agent_time = sim.agent_count as f64 * sim.simulated_s;
        let taken = sim.agent_busy_s + sim.agent_wrap_up_s;
        let mean_busy_s = if sim.agent_engagements == 0 {
            0.0
        } else {
            taken / sim.agent_engagements as f64
        };
        let drained_after_s = sim.queue_drained_after_s;
        let backlog = Backlog {
            waiting_at_arrivals_end: sim.queue_at_arrivals_end,
            drained_after_s,
            overloaded: sim.queue_at_arrivals_end > 0
                && drained_after_s.is_none_or(|d| d > mean_busy_s),
        };
        Self {
            sl_threshold_s: sl_threshold.as_secs_f64(),
            agents: sim.agent_count,
            occupancy: if agent_time > 0.0 {
                taken / agent_time
            } else {
                0.0
            },
            mean_busy_s,
            inbound: by_type.get("queue").cloned().unwrap_or_default(),
            by_type,
            theory: theory(sim, mean_busy_s, sl_threshold),
            backlog,
            by_agent: sim.agents.clone(),
        }
    }
}

/// Agent legs of a conversation of `kind` (`call_agent` takes two agents).
fn legs(kind: ConvType) -> u64 {
    match kind {
        ConvType::CallAgent => 2,
        ConvType::Queue | ConvType::CallOut => 1,
    }
}

/// The prediction for the run's inbound calls, if it had generated `queue` arrivals.
fn theory(sim: &SimStats, mean_busy_s: f64, sl: Span) -> Option<Theory> {
    let queue = sim.by_type.get(&ConvType::Queue)?;
    if queue.offered == 0 || sim.arrivals_s <= 0.0 || mean_busy_s <= 0.0 {
        return None;
    }
    let legs_offered: u64 = sim.by_type.iter().map(|(k, t)| t.offered * legs(*k)).sum();
    let arrival_rate = legs_offered as f64 / sim.arrivals_s;
    let q = Queue {
        agents: u32::try_from(sim.agent_count).unwrap_or(u32::MAX),
        arrival_rate,
        busy_s: mean_busy_s,
        patience_s: sim.patience_mean_s,
    };
    let answer_delay_s = if queue.fetched == 0 {
        0.0
    } else {
        queue.fetch_sum_s / queue.fetched as f64
    };
    let figures = q.figures();
    Some(Theory {
        model: if q.patience_s.is_some() {
            "erlang_a"
        } else {
            "erlang_c"
        },
        arrival_rate_per_s: arrival_rate,
        mean_busy_s,
        offered_erlangs: q.offered_erlangs(),
        patience_s: q.patience_s,
        answer_delay_s,
        stable: figures.is_some(),
        approximate: legs_offered != queue.offered,
        p_wait: figures.map(|f| f.p_wait),
        mean_wait_s: figures.map(|f| f.answered_wait_s + answer_delay_s),
        service_level: q.answered_within(sl.as_secs_f64() - answer_delay_s),
        abandoned: figures.map(|f| f.p_abandon),
        occupancy: figures.map(|f| f.occupancy),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_count_outcomes_and_service_level_from_answer_waits() {
        let mut sim = SimStats::default();
        for _ in 0..4 {
            sim.offered(ConvType::Queue);
        }
        sim.assigned(ConvType::Queue, Span::ZERO);
        sim.queued(ConvType::Queue);
        sim.assigned(ConvType::Queue, Span::from_millis(30_000));
        sim.began(ConvType::Queue, Span::from_millis(5_000));
        sim.began(ConvType::Queue, Span::from_millis(35_000));
        sim.finished(ConvType::Queue, Outcome::Completed);
        sim.finished(ConvType::Queue, Outcome::Completed);
        sim.finished(ConvType::Queue, Outcome::AbandonedWaiting);
        sim.finished(ConvType::Queue, Outcome::QueueTimeout);
        sim.agent_count = 2;
        sim.simulated_s = 100.0;
        sim.agent_busy_s = 40.0;
        sim.agent_wrap_up_s = 10.0;
        sim.agent_engagements = 2;
        let cc = ContactCenter::from_stats(&sim, Span::from_millis(20_000));
        let f = &cc.inbound;
        assert_eq!(
            (f.offered, f.answered, f.abandoned, f.timed_out, f.waited),
            (4, 2, 1, 1, 1)
        );
        assert!((f.mean_wait_s - 20.0).abs() < 1e-9);
        assert!(
            (f.service_level - 0.25).abs() < 1e-9,
            "one of four answered within 20 s"
        );
        assert!((f.p_wait - 0.25).abs() < 1e-9);
        assert!((cc.occupancy - 0.25).abs() < 1e-9, "after-call work counts");
        assert!((cc.mean_busy_s - 25.0).abs() < 1e-9);
        assert!(!cc.by_type.contains_key("call_out"));
        assert!(
            cc.theory.is_none(),
            "no arrival window: no load to predict for"
        );
    }

    fn loaded(patience: Option<f64>) -> SimStats {
        let mut sim = SimStats::default();
        for _ in 0..1_000 {
            sim.offered(ConvType::Queue);
        }
        sim.agent_count = 3;
        sim.arrivals_s = 60_000.0;
        sim.simulated_s = 60_000.0;
        // 1,000 calls taking an agent 120 s each over 60,000 s: 2 Erlangs on 3 agents.
        sim.agent_busy_s = 110_000.0;
        sim.agent_wrap_up_s = 10_000.0;
        sim.agent_engagements = 1_000;
        sim.patience_mean_s = patience;
        sim
    }

    #[test]
    fn theory_uses_the_measured_busy_time_and_picks_erlang_c_or_a() {
        let cc = ContactCenter::from_stats(&loaded(None), Span::from_millis(20_000));
        let t = cc.theory.expect("theory");
        assert_eq!(t.model, "erlang_c");
        assert!((t.offered_erlangs - 2.0).abs() < 1e-9, "{t:?}");
        assert!(
            (t.p_wait.expect("stable") - 4.0 / 9.0).abs() < 1e-9,
            "{t:?}"
        );
        assert!((t.occupancy.expect("stable") - 2.0 / 3.0).abs() < 1e-9);
        assert!(!t.approximate);
        let a = ContactCenter::from_stats(&loaded(Some(60.0)), Span::from_millis(20_000));
        let t = a.theory.expect("theory");
        assert_eq!((t.model, t.patience_s), ("erlang_a", Some(60.0)));
        assert!(t.abandoned.expect("A") > 0.0);
    }

    #[test]
    fn an_overloaded_erlang_c_queue_has_no_prediction_and_a_backlog_that_never_drained() {
        let mut sim = loaded(None);
        sim.agent_count = 1;
        sim.queue_at_arrivals_end = 40;
        let cc = ContactCenter::from_stats(&sim, Span::from_millis(20_000));
        let t = cc.theory.expect("theory");
        assert!(
            !t.stable && t.p_wait.is_none() && t.service_level.is_none(),
            "{t:?}"
        );
        assert!(cc.backlog.overloaded);
        sim.queue_drained_after_s = Some(30.0);
        let cc = ContactCenter::from_stats(&sim, Span::from_millis(20_000));
        assert!(!cc.backlog.overloaded, "cleared within one busy time");
    }
}
