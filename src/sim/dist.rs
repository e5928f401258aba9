//! Distributions of simulated durations (ring time, handle time, patience, …), sampled from
//! the engine's seeded RNG.

use rand::Rng;
use rand_distr::{Distribution, Exp, LogNormal};
use serde::{Deserialize, Serialize};

use crate::units::Span;

/// z-score of the 95th percentile of the standard normal distribution.
const Z95: f64 = 1.644_853_626_951_472_2;

/// The longest time any one behaviour may be given (talk, ring, patience, after-call
/// work, a timeout, or the parameter of a distribution of one): a day. A conversation lasts
/// at most 6 hours on the platform, so a longer one is a typo (`90h` for `90s`).
pub const BEHAVIOUR_LIMIT: Span = Span::from_millis(24 * 3_600_000);

/// A distribution of non-negative durations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "dist", rename_all = "lowercase", deny_unknown_fields)]
pub enum Dist {
    /// Always the same value.
    Fixed {
        /// The value.
        value: Span,
    },
    /// Uniform between `min` and `max`.
    Uniform {
        /// The smallest value.
        min: Span,
        /// The largest value.
        max: Span,
    },
    /// Exponential with the given mean.
    Exponential {
        /// The mean.
        mean: Span,
    },
    /// Log-normal given by its median and 95th percentile.
    Lognormal {
        /// The median.
        median: Span,
        /// The 95th percentile.
        p95: Span,
    },
}

impl Dist {
    /// A fixed duration.
    pub fn fixed(value: Span) -> Self {
        Dist::Fixed { value }
    }

    /// Its largest parameter (the value, max, mean or p95): what the range checks of the
    /// flags and scenario files compare with [`BEHAVIOUR_LIMIT`].
    pub fn largest_parameter(&self) -> Span {
        match *self {
            Dist::Fixed { value } => value,
            Dist::Uniform { max, .. } => max,
            Dist::Exponential { mean } => mean,
            Dist::Lognormal { p95, median } => p95.max(median),
        }
    }

    /// Draws one duration.
    pub(crate) fn sample(&self, rng: &mut impl Rng) -> Span {
        match *self {
            Dist::Fixed { value } => value,
            Dist::Uniform { min, max } => {
                let (lo, hi) = (min.as_micros(), max.as_micros());
                if hi <= lo {
                    min
                } else {
                    Span::from_micros(rng.random_range(lo..=hi))
                }
            }
            Dist::Exponential { mean } => {
                let mean_s = mean.as_secs_f64();
                match Exp::new(1.0 / mean_s) {
                    Ok(exp) if mean_s > 0.0 => Span::from_secs_f64(exp.sample(rng)),
                    _ => Span::ZERO,
                }
            }
            Dist::Lognormal { median, p95 } => {
                let m = median.as_secs_f64().max(1e-6);
                let p = p95.as_secs_f64().max(m);
                let sigma = (p.ln() - m.ln()) / Z95;
                match LogNormal::new(m.ln(), sigma) {
                    Ok(ln) => Span::from_secs_f64(ln.sample(rng)),
                    Err(_) => median,
                }
            }
        }
    }

    /// The mean of the distribution, in seconds.
    pub fn mean_secs(&self) -> f64 {
        match *self {
            Dist::Fixed { value } => value.as_secs_f64(),
            Dist::Uniform { min, max } => (min.as_secs_f64() + max.as_secs_f64()) / 2.0,
            Dist::Exponential { mean } => mean.as_secs_f64(),
            Dist::Lognormal { median, p95 } => {
                let m = median.as_secs_f64().max(1e-6);
                let sigma = (p95.as_secs_f64().max(m).ln() - m.ln()) / Z95;
                m * (sigma * sigma / 2.0).exp()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    fn mean_of(d: &Dist, n: usize) -> f64 {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        (0..n)
            .map(|_| d.sample(&mut rng).as_secs_f64())
            .sum::<f64>()
            / n as f64
    }

    #[test]
    fn sample_means_match_the_distribution_means() {
        let cases = [
            Dist::fixed(Span::from_millis(1500)),
            Dist::Uniform {
                min: Span::from_millis(1000),
                max: Span::from_millis(3000),
            },
            Dist::Exponential {
                mean: Span::from_millis(90_000),
            },
            Dist::Lognormal {
                median: Span::from_millis(60_000),
                p95: Span::from_millis(300_000),
            },
        ];
        for d in &cases {
            let (sim, want) = (mean_of(d, 200_000), d.mean_secs());
            assert!(
                (sim - want).abs() / want < 0.02,
                "{d:?}: simulated {sim}, expected {want}"
            );
        }
    }

    #[test]
    fn lognormal_p95_is_where_it_was_asked_to_be() {
        let d = Dist::Lognormal {
            median: Span::from_millis(60_000),
            p95: Span::from_millis(300_000),
        };
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut xs: Vec<f64> = (0..100_000)
            .map(|_| d.sample(&mut rng).as_secs_f64())
            .collect();
        xs.sort_by(f64::total_cmp);
        let (median, p95) = (xs[50_000], xs[95_000]);
        assert!((median - 60.0).abs() < 2.0, "median {median}");
        assert!((p95 - 300.0).abs() < 12.0, "p95 {p95}");
    }
}
