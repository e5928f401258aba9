//! Queueing theory beside the simulation: Erlang C (M/M/n, callers wait forever) in closed
//! form and Erlang A (M/M/n+M, exponential patience) from its birth–death chain, each giving
//! the probability of waiting, the mean wait of answered callers, the share answered within
//! a threshold, abandonment and occupancy; and the smallest agent counts a load needs.
//! Pure functions of the load; the report ([`super::contact_center`]) feeds them the
//! agents' measured busy time, and [`plan_warning`] the one a plan's settings lead to
//! expect, for the warning `ccsim load` and `ccsim run` print at start.

use crate::sim::workload::SimPlan;

/// A queue of callers served by `agents`, first come first served.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Queue {
    /// Servers (agents).
    pub agents: u32,
    /// Arrivals per second (a Poisson process).
    pub arrival_rate: f64,
    /// Mean time an agent is taken by one caller, seconds (exponential).
    pub busy_s: f64,
    /// Mean patience of a waiting caller, seconds (exponential); `None`: callers never
    /// give up (Erlang C).
    pub patience_s: Option<f64>,
}

/// The steady-state prediction for a [`Queue`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueueFigures {
    /// Probability that an arriving caller has to wait (finds every agent taken).
    pub p_wait: f64,
    /// Mean wait of the callers who are answered, seconds.
    pub answered_wait_s: f64,
    /// Mean wait over all callers (answered or not), seconds.
    pub mean_wait_s: f64,
    /// Probability that a caller abandons (0 for Erlang C).
    pub p_abandon: f64,
    /// Agent occupancy (share of agent time taken).
    pub occupancy: f64,
}

impl Queue {
    /// Offered load in Erlangs: arrival rate × mean busy time.
    pub fn offered_erlangs(&self) -> f64 {
        self.arrival_rate * self.busy_s
    }

    /// The Erlang C (no patience) or Erlang A prediction; `None` when there is no
    /// steady state (no agents, no load, or an Erlang C load of at least one per agent:
    /// the queue then grows without bound).
    pub fn figures(&self) -> Option<QueueFigures> {
        if !self.well_formed() {
            return None;
        }
        match self.patience_s {
            None => self.erlang_c(),
            Some(p) => self.erlang_a(p),
        }
    }

    /// The share of all arrivals answered after a wait of at most `t_s` seconds (the
    /// service level); `None` when [`Queue::figures`] is.
    pub fn answered_within(&self, t_s: f64) -> Option<f64> {
        if !self.well_formed() {
            return None;
        }
        let t = t_s.max(0.0);
        match self.patience_s {
            None => {
                let c = self.erlang_c()?.p_wait;
                let (n, mu) = (f64::from(self.agents), 1.0 / self.busy_s);
                Some(1.0 - c * (-(n * mu - self.arrival_rate) * t).exp())
            }
            Some(p) => Some(Chain::new(self, p).answered_within(t)),
        }
    }

    fn well_formed(&self) -> bool {
        self.agents > 0
            && self.arrival_rate > 0.0
            && self.busy_s > 0.0
            && self.arrival_rate.is_finite()
            && self.busy_s.is_finite()
            && self.patience_s.is_none_or(|p| p > 0.0 && p.is_finite())
    }

    fn erlang_c(&self) -> Option<QueueFigures> {
        let n = f64::from(self.agents);
        let a = self.offered_erlangs();
        if a >= n {
            return None;
        }
        let c = erlang_c_probability(self.agents, a);
        let wait = c * self.busy_s / (n - a);
        Some(QueueFigures {
            p_wait: c,
            answered_wait_s: wait,
            mean_wait_s: wait,
            p_abandon: 0.0,
            occupancy: a / n,
        })
    }

    fn erlang_a(&self, patience_s: f64) -> Option<QueueFigures> {
        let chain = Chain::new(self, patience_s);
        let n = self.agents as usize;
        let p = |k: usize| chain.p[k];
        let p_wait: f64 = (n..chain.p.len()).map(p).sum();
        let served_at_once: f64 = (0..n.min(chain.p.len())).map(p).sum();
        let (mut served, mut served_wait) = (served_at_once, 0.0);
        for (j, (s, w)) in chain.served.iter().enumerate() {
            served += p(n + j) * s;
            served_wait += p(n + j) * s * w;
        }
        let mean_queue: f64 = (n..chain.p.len()).map(|k| (k - n) as f64 * p(k)).sum();
        let busy: f64 = (0..chain.p.len()).map(|k| k.min(n) as f64 * p(k)).sum();
        Some(QueueFigures {
            p_wait,
            answered_wait_s: if served > 0.0 {
                served_wait / served
            } else {
                0.0
            },
            // Little's law over all arrivals.
            mean_wait_s: mean_queue / self.arrival_rate,
            p_abandon: (1.0 - served).clamp(0.0, 1.0),
            occupancy: busy / n as f64,
        })
    }
}

/// Erlang C's probability of waiting for `agents` offered `erlangs` (< agents), by the
/// stable Erlang B recurrence.
fn erlang_c_probability(agents: u32, erlangs: f64) -> f64 {
    let n = f64::from(agents);
    let mut b = 1.0;
    for k in 1..=agents {
        b = erlangs * b / (f64::from(k) + erlangs * b);
    }
    n * b / (n - erlangs * (1.0 - b))
}

/// Erlang A's birth–death chain: the stationary share of each number of callers in the
/// system (what an arrival sees), and for a caller who finds `j` others waiting ahead, the
/// chance of being answered and the mean wait if answered.
struct Chain {
    /// Stationary probabilities of 0, 1, … callers in the system (truncated where they
    /// are negligible).
    p: Vec<f64>,
    /// For `j` callers ahead: (probability of being answered, mean wait if answered).
    served: Vec<(f64, f64)>,
    /// Rate at which the queue ahead of a caller moves when `j` are ahead.
    ahead_rate: Vec<f64>,
    /// Abandonment rate of one waiting caller.
    theta: f64,
}

impl Chain {
    fn new(q: &Queue, patience_s: f64) -> Self {
        let (lambda, mu, theta) = (q.arrival_rate, 1.0 / q.busy_s, 1.0 / patience_s);
        let n = q.agents as usize;
        // ln π_k, computed in logs: a large load overflows π_k = a^k / k! otherwise.
        let mut ln_p = vec![0.0f64];
        let mut max = 0.0f64;
        let mut k = 0usize;
        loop {
            let death = (k + 1).min(n) as f64 * mu + (k + 1).saturating_sub(n) as f64 * theta;
            let next = ln_p[k] + (lambda / death).ln();
            ln_p.push(next);
            max = max.max(next);
            k += 1;
            let falling = death > lambda;
            if (k > n && falling && next < max - 45.0) || k > n + 2_000_000 {
                break;
            }
        }
        let weights: Vec<f64> = ln_p.iter().map(|l| (l - max).exp()).collect();
        let total: f64 = weights.iter().sum();
        let p: Vec<f64> = weights.iter().map(|w| w / total).collect();
        let queue_states = p.len().saturating_sub(n);
        let ahead_rate: Vec<f64> = (0..queue_states)
            .map(|j| n as f64 * mu + j as f64 * theta)
            .collect();
        let mut served = Vec::with_capacity(queue_states);
        let (mut s, mut w) = (1.0, 0.0);
        for rate in &ahead_rate {
            s *= rate / (rate + theta);
            w += 1.0 / (rate + theta);
            served.push((s, w));
        }
        Self {
            p,
            served,
            ahead_rate,
            theta,
        }
    }

    /// Share of arrivals answered within `t` seconds, by uniformisation of the waiting
    /// caller's own chain (callers ahead of it, absorbed when answered or gone).
    fn answered_within(&self, t: f64) -> f64 {
        let n = self.p.len() - self.served.len();
        let at_once: f64 = self.p[..n].iter().sum();
        let mut v: Vec<f64> = self.p[n..].to_vec();
        if v.is_empty() || t <= 0.0 {
            return at_once;
        }
        let rate_max = self.ahead_rate.last().copied().unwrap_or(0.0) + self.theta;
        let lt = rate_max * t;
        // Poisson weights of the number of jumps, in logs (e^{-lt} underflows for long t).
        let jumps = (lt + 12.0 * lt.sqrt() + 30.0).ceil() as usize;
        let (mut answered, mut result, mut ln_fact) = (0.0, 0.0, 0.0);
        for m in 0..=jumps {
            if m > 0 {
                ln_fact += (m as f64).ln();
                let mut next = vec![0.0; v.len()];
                answered += v[0] * self.ahead_rate[0] / rate_max;
                for (j, x) in v.iter().enumerate() {
                    let out = self.ahead_rate[j] + self.theta;
                    next[j] += x * (1.0 - out / rate_max);
                    if j > 0 {
                        next[j - 1] += x * self.ahead_rate[j] / rate_max;
                    }
                }
                v = next;
            }
            let weight = (-lt + m as f64 * lt.ln() - ln_fact).exp();
            result += weight * answered;
        }
        // Jumps beyond the last counted leave at most the mass answered so far.
        at_once + result.min(answered)
    }
}

/// Agent counts for a load: the fewest with a steady state without abandonment, and the
/// fewest whose Erlang C mean wait of answered callers is within `target_wait_s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizing {
    /// More agents than the offered Erlangs: the fewest for which the queue does not grow
    /// without bound.
    pub minimum: u32,
    /// The fewest for which the mean wait is within the target.
    pub comfortable: u32,
}

/// The agent counts `arrival_rate` callers per second, each taking an agent `busy_s`
/// seconds, need (Erlang C: the conservative case of callers who never give up).
pub fn sizing(arrival_rate: f64, busy_s: f64, target_wait_s: f64) -> Option<Sizing> {
    let a = arrival_rate * busy_s;
    if !(a.is_finite() && a > 0.0) || a > f64::from(u32::MAX / 2) {
        return None;
    }
    // More agents than Erlangs (a load a hair under an integer, from rounding, counts as
    // that integer).
    let minimum = (a + 1e-9).floor() as u32 + 1;
    let mut n = minimum;
    loop {
        let q = Queue {
            agents: n,
            arrival_rate,
            busy_s,
            patience_s: None,
        };
        match q.figures() {
            Some(f) if f.answered_wait_s <= target_wait_s => break,
            _ if n > minimum.saturating_mul(4).max(minimum + 1_000) => break,
            _ => n += 1,
        }
    }
    Some(Sizing {
        minimum,
        comfortable: n,
    })
}

/// The start-up warning for a plan whose generated load offers at least as many Erlangs as
/// it has agents, from the load its settings lead to expect.
pub fn plan_warning(plan: &SimPlan) -> Option<String> {
    let (rate, busy_s) = plan.expected_agent_load()?;
    let b = &plan.workload.behaviour;
    let patient = b.patience.is_some() || b.queue_timeout.is_some();
    overload_warning(plan.agents.len(), rate, busy_s, patient)
}

/// The warning `ccsim load` and `ccsim run` print at start when `arrival_rate` agent legs
/// per second, each taking an agent `busy_s` seconds, offer at least as many Erlangs as
/// there are `agents`: the queue then grows for as long as arrivals last.
pub fn overload_warning(
    agents: usize,
    arrival_rate: f64,
    busy_s: f64,
    patient: bool,
) -> Option<String> {
    let erlangs = arrival_rate * busy_s;
    if !(erlangs.is_finite() && erlangs >= agents as f64 && erlangs > 0.0) {
        return None;
    }
    let growth = (arrival_rate - agents as f64 / busy_s) * 60.0;
    let size = sizing(arrival_rate, busy_s, 5.0)?;
    let growth = if growth > 0.0 {
        let per_minute = growth.round().max(1.0);
        format!(
            "; the queue grows by about {per_minute:.0} caller{} a minute{}",
            if per_minute == 1.0 { "" } else { "s" },
            if patient {
                " until enough of them give up"
            } else {
                ""
            }
        )
    } else {
        "; the queue never settles".to_owned()
    };
    Some(format!(
        "warning: the load exceeds the agents: {arrival_rate:.3} calls/s needing an agent x {busy_s:.1}s each = {erlangs:.1} Erlangs offered to {agents} agents{growth}. \
         This load needs at least {} agents, and about {} for an average answer within 5s (Erlang C).",
        size.minimum, size.comfortable
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(agents: u32, erlangs: f64, busy_s: f64, patience_s: Option<f64>) -> Queue {
        Queue {
            agents,
            arrival_rate: erlangs / busy_s,
            busy_s,
            patience_s,
        }
    }

    /// Erlang C by its textbook direct sum, to check the recurrence against.
    fn direct_sum(n: u32, a: f64) -> f64 {
        let term = |k: u32| (0..k).fold(1.0, |t, i| t * a / f64::from(i + 1));
        let below: f64 = (0..n).map(term).sum();
        let top = term(n) * f64::from(n) / (f64::from(n) - a);
        top / (below + top)
    }

    #[test]
    fn erlang_c_matches_published_tables() {
        // Tabulated P(wait): 3 agents at 2 Erlangs: 4/9; 10 at 8: 0.4092; 25 at 22: 0.4336
        // (the load of `docs/contact-centre.md`).
        for (n, a, want) in [(3, 2.0, 4.0 / 9.0), (10, 8.0, 0.4092), (25, 22.0, 0.4336)] {
            let f = q(n, a, 120.0, None).figures().expect("stable");
            assert!((f.p_wait - want).abs() < 5e-4, "{n} agents at {a}: {f:?}");
            assert!((f.p_wait - direct_sum(n, a)).abs() < 1e-12);
            assert!((f.occupancy - a / f64::from(n)).abs() < 1e-12);
            assert!((f.answered_wait_s - f.p_wait * 120.0 / (f64::from(n) - a)).abs() < 1e-9);
        }
        // 10 calls a minute of 3 minutes (30 Erlangs) to 33 agents: P(wait) 0.4905, ASA
        // 29.4 s, 64.9% answered within 20 s (1 − C·e^{−(n−a)t/h}).
        let f = q(33, 30.0, 180.0, None);
        let figures = f.figures().expect("stable");
        assert!((figures.p_wait - 0.4905).abs() < 5e-4, "{figures:?}");
        assert!(
            (figures.answered_wait_s - 29.43).abs() < 0.01,
            "{figures:?}"
        );
        let sl = f.answered_within(20.0).expect("stable");
        assert!((sl - 0.6485).abs() < 5e-4, "{sl}");
    }

    #[test]
    fn erlang_c_has_no_steady_state_at_or_above_one_erlang_per_agent() {
        assert_eq!(q(2, 2.0, 60.0, None).figures(), None);
        assert_eq!(q(2, 3.0, 60.0, None).answered_within(20.0), None);
        assert_eq!(q(0, 1.0, 60.0, None).figures(), None);
    }

    #[test]
    fn erlang_a_tends_to_erlang_c_as_patience_grows() {
        let c = q(25, 22.0, 120.0, None).figures().expect("stable");
        let a = q(25, 22.0, 120.0, Some(1e9)).figures().expect("A");
        assert!((a.p_wait - c.p_wait).abs() < 1e-4, "{a:?} vs {c:?}");
        assert!((a.answered_wait_s - c.answered_wait_s).abs() / c.answered_wait_s < 1e-3);
        assert!(a.p_abandon < 1e-5);
        let (sl_c, sl_a) = (
            q(25, 22.0, 120.0, None).answered_within(20.0).expect("C"),
            q(25, 22.0, 120.0, Some(1e9))
                .answered_within(20.0)
                .expect("A"),
        );
        assert!((sl_c - sl_a).abs() < 1e-4, "{sl_c} vs {sl_a}");
    }

    #[test]
    fn erlang_a_keeps_its_conservation_laws_and_stays_stable_when_overloaded() {
        // 50 agents, 48 calls a minute of 1 minute, patience 2 minutes: the relations that
        // must hold in any M/M/n+M queue (abandonment by Little's law, carried load).
        let queue = Queue {
            agents: 50,
            arrival_rate: 48.0 / 60.0,
            busy_s: 60.0,
            patience_s: Some(120.0),
        };
        let f = queue.figures().expect("A");
        assert!(f.p_wait > 0.4 && f.p_wait < 0.7, "{f:?}");
        // An abandoning caller waited on average what the patience law says: P(ab) = θ·E[W].
        assert!((f.p_abandon - f.mean_wait_s / 120.0).abs() < 1e-6, "{f:?}");
        // Carried load = offered × (1 − P(ab)).
        assert!(
            (f.occupancy - 48.0 * (1.0 - f.p_abandon) / 50.0).abs() < 1e-6,
            "{f:?}"
        );
        let over = q(5, 6.0, 100.0, Some(60.0))
            .figures()
            .expect("A is always stable");
        assert!(
            over.p_wait > 0.6 && over.p_abandon > 0.1 && over.occupancy <= 1.0,
            "{over:?}"
        );
        let huge = q(50, 630.0, 126.0, Some(120.0)).figures().expect("A");
        assert!(huge.p_abandon > 0.9 && huge.p_abandon < 1.0, "{huge:?}");
    }

    #[test]
    fn the_service_level_falls_with_a_shorter_threshold_and_patience() {
        let patient = q(10, 9.0, 100.0, Some(600.0));
        let (s5, s20) = (
            patient.answered_within(5.0).expect("A"),
            patient.answered_within(20.0).expect("A"),
        );
        assert!(s5 < s20 && s20 < 1.0, "{s5} {s20}");
        let f = patient.figures().expect("A");
        let at_once = 1.0 - f.p_wait;
        assert!((patient.answered_within(0.0).expect("A") - at_once).abs() < 1e-9);
        assert!(
            (patient.answered_within(1e5).expect("A") - (1.0 - f.p_abandon)).abs() < 1e-6,
            "everyone answered is answered eventually"
        );
    }

    #[test]
    fn the_overload_warning_names_the_load_the_growth_and_the_agents_needed() {
        // 5 calls/s of about 126 s: 630 Erlangs on 50 agents.
        let w = overload_warning(50, 5.0, 126.0, false).expect("overloaded");
        assert!(w.contains("630.0 Erlangs offered to 50 agents"), "{w}");
        assert!(w.contains("grows by about 276 callers a minute"), "{w}");
        assert!(w.contains("needs at least 631 agents"), "{w}");
        assert!(overload_warning(50, 5.0, 126.0, true).is_some_and(|w| w.contains("give up")));
        assert_eq!(overload_warning(25, 22.0 / 120.0, 120.0, false), None);
    }

    #[test]
    fn sizing_finds_the_fewest_stable_and_comfortable_agent_counts() {
        // 22 Erlangs: 23 agents is the fewest stable; Erlang C's mean wait is 9.5 s with 26
        // agents, 5.4 s with 27 and under 5 s with 28.
        let s = sizing(22.0 / 120.0, 120.0, 5.0).expect("sized");
        assert_eq!(s.minimum, 23);
        let wait = |n| {
            q(n, 22.0, 120.0, None)
                .figures()
                .expect("stable")
                .answered_wait_s
        };
        assert_eq!(s.comfortable, 28);
        assert!(wait(s.comfortable) <= 5.0 && wait(s.comfortable - 1) > 5.0);
        assert_eq!(sizing(0.0, 120.0, 5.0), None);
        let exact = sizing(5.5, 207.0 / 1.1, 5.0).expect("sized");
        assert_eq!(exact.minimum, 1036, "1,035 Erlangs need 1,036 agents");
    }
}
