//! Contact-centre figures (`contact_center` in the report): offered, answered, abandoned,
//! timed out, waited, average speed of answer, service level and agent occupancy, computed
//! from the engine's statistics.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::conversation::{ConvType, Outcome};
use crate::sim::stats::{SimStats, TypeStats};
use crate::units::Span;

/// Figures of one group of calls.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Figures {
    /// Calls that arrived.
    pub offered: u64,
    /// Calls answered (the conversation began).
    pub answered: u64,
    /// Callers who gave up, waiting or while the agent's phone rang.
    pub abandoned: u64,
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
#[derive(Debug, Clone, Default, Serialize)]
pub struct ContactCenter {
    /// Service-level threshold, seconds (`--sl-threshold`).
    pub sl_threshold_s: f64,
    /// Agents in the pool.
    pub agents: usize,
    /// Share of agent time spent fetching or talking.
    pub occupancy: f64,
    /// Inbound (`queue`) calls: the figures contact-centre people mean.
    #[serde(flatten)]
    pub inbound: Figures,
    /// Per type where it applies (the ACD types `queue` and `call_agent`).
    pub by_type: BTreeMap<&'static str, Figures>,
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
        let by_type: BTreeMap<&'static str, Figures> = [ConvType::Queue, ConvType::CallAgent]
            .into_iter()
            .filter_map(|t| {
                sim.by_type
                    .get(&t)
                    .map(|ts| (t.as_str(), figures(ts, sl_threshold)))
            })
            .collect();
        let agent_time = sim.agent_count as f64 * sim.simulated_s;
        Self {
            sl_threshold_s: sl_threshold.as_secs_f64(),
            agents: sim.agent_count,
            occupancy: if agent_time > 0.0 {
                sim.agent_busy_s / agent_time
            } else {
                0.0
            },
            inbound: by_type.get("queue").cloned().unwrap_or_default(),
            by_type,
        }
    }
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
        sim.agent_busy_s = 50.0;
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
        assert!((cc.occupancy - 0.25).abs() < 1e-9);
        assert!(!cc.by_type.contains_key("call_out"));
    }
}
