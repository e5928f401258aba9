//! Queueing-theory reference figures the simulated contact centre is checked against:
//! Erlang C (M/M/n, callers wait forever) in closed form, and Erlang A (M/M/n+M,
//! exponential patience) by solving its birth–death chain numerically.

/// Steady-state figures of a queue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueueFigures {
    /// Probability that an arriving caller has to wait.
    pub p_wait: f64,
    /// Mean wait over all callers (answered or not), seconds.
    pub mean_wait_s: f64,
    /// Probability that a caller abandons (0 for Erlang C).
    pub p_abandon: f64,
    /// Agent occupancy (share of agent time busy).
    pub occupancy: f64,
}

/// Erlang C: `agents` servers, arrival rate `lambda` per second, mean handle time
/// `handle_s`. `None` when the queue is unstable (load ≥ agents).
pub fn erlang_c(agents: u32, lambda: f64, handle_s: f64) -> Option<QueueFigures> {
    let n = f64::from(agents);
    let a = lambda * handle_s; // offered load in Erlangs
    if agents == 0 || a >= n || a <= 0.0 {
        return None;
    }
    // Erlang B by the stable recurrence, then C from B.
    let mut b = 1.0;
    for k in 1..=agents {
        b = a * b / (f64::from(k) + a * b);
    }
    let c = n * b / (n - a * (1.0 - b));
    Some(QueueFigures {
        p_wait: c,
        mean_wait_s: c * handle_s / (n - a),
        p_abandon: 0.0,
        occupancy: a / n,
    })
}

/// Erlang A: like Erlang C, but waiting callers abandon at rate `1/patience_s`
/// (exponential patience). Always stable.
pub fn erlang_a(agents: u32, lambda: f64, handle_s: f64, patience_s: f64) -> QueueFigures {
    let (mu, theta) = (1.0 / handle_s, 1.0 / patience_s);
    let n = agents as usize;
    // Unnormalised stationary probabilities π_k of k callers in the system; truncated
    // where they become negligible.
    let mut pi = vec![1.0f64];
    let mut k = 0usize;
    loop {
        let death = (k + 1).min(n) as f64 * mu + (k + 1).saturating_sub(n) as f64 * theta;
        let next = pi[k] * lambda / death;
        pi.push(next);
        k += 1;
        if (k > n && next < 1e-16 * pi.iter().sum::<f64>()) || k > 1_000_000 {
            break;
        }
    }
    let total: f64 = pi.iter().sum();
    let p = |k: usize| pi[k] / total;
    let p_wait: f64 = (n..pi.len()).map(p).sum();
    let mean_queue: f64 = (n..pi.len()).map(|k| (k - n) as f64 * p(k)).sum();
    let busy: f64 = (0..pi.len()).map(|k| k.min(n) as f64 * p(k)).sum();
    QueueFigures {
        p_wait,
        // Little's law over all arrivals.
        mean_wait_s: mean_queue / lambda,
        p_abandon: theta * mean_queue / lambda,
        occupancy: busy / n as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erlang_c_matches_the_textbook_example() {
        // 10 agents, 8 Erlangs: P(wait) ≈ 0.409.
        let f = erlang_c(10, 0.08, 100.0).expect("stable");
        assert!((f.p_wait - 0.4092).abs() < 1e-3, "{f:?}");
        assert!((f.mean_wait_s - f.p_wait * 100.0 / 2.0).abs() < 1e-9);
        assert!((f.occupancy - 0.8).abs() < 1e-12);
        assert_eq!(
            erlang_c(2, 1.0, 2.0),
            None,
            "load equal to agents is unstable"
        );
    }

    #[test]
    fn erlang_a_tends_to_erlang_c_as_patience_grows() {
        let c = erlang_c(10, 0.08, 100.0).expect("stable");
        let a = erlang_a(10, 0.08, 100.0, 1e9);
        assert!((a.p_wait - c.p_wait).abs() < 1e-4, "{a:?} vs {c:?}");
        assert!((a.mean_wait_s - c.mean_wait_s).abs() / c.mean_wait_s < 1e-3);
        assert!(a.p_abandon < 1e-6);
    }

    #[test]
    fn erlang_a_is_stable_even_when_overloaded() {
        let a = erlang_a(2, 1.0, 10.0, 30.0);
        assert!(
            a.p_wait > 0.9 && a.p_abandon > 0.5 && a.p_abandon < 1.0,
            "{a:?}"
        );
        assert!(a.occupancy <= 1.0);
    }
}
