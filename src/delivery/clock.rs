//! Maps simulated time to wall-clock deadlines at a given speed (`--speed N`), to "now"
//! at `--speed max`, or to "when the suite has advanced the clock that far" with a
//! manual clock (`--clock manual`). Uses tokio's clock so tests can pause time. The
//! dispatcher asks it when each of the source's batches is due.

use std::sync::Arc;

use tokio::time::Instant;

use crate::control::clock::ManualClock;
use crate::time::SimTime;
use crate::units::{Span, Speed};

/// The mapping from simulated time to wall-clock instants.
#[derive(Debug, Clone)]
pub struct SimClock {
    sim_start: SimTime,
    wall_start: Instant,
    speed: Speed,
    /// Set: simulated time moves only as this clock is advanced (`speed` is ignored).
    manual: Option<Arc<ManualClock>>,
}

impl SimClock {
    /// Simulated `sim_start` happens at wall `wall_start`; then time runs at `speed`.
    pub fn new(sim_start: SimTime, wall_start: Instant, speed: Speed) -> Self {
        Self {
            sim_start,
            wall_start,
            speed,
            manual: None,
        }
    }

    /// The same, but simulated time moves only as `manual` is advanced.
    pub fn with_manual(mut self, manual: Option<Arc<ManualClock>>) -> Self {
        self.manual = manual;
        self
    }

    /// Whether it runs at `--speed max` (no clock to follow).
    pub fn is_max(&self) -> bool {
        self.manual.is_none() && matches!(self.speed, Speed::Max)
    }

    /// The manual clock it follows, if any.
    pub fn manual(&self) -> Option<&Arc<ManualClock>> {
        self.manual.as_ref()
    }

    /// When `at` is due on the wall clock; `None` at speed max or with a manual clock
    /// (due as soon as possible; a manual clock holds back what lies past its target,
    /// [`SimClock::held`]).
    pub fn deadline(&self, at: SimTime) -> Option<Instant> {
        if self.manual.is_some() {
            return None;
        }
        match self.speed {
            Speed::Max => None,
            Speed::Factor(f) => {
                let sim_s = at.since(self.sim_start).as_secs_f64();
                Some(self.wall_start + std::time::Duration::from_secs_f64(sim_s / f))
            }
        }
    }

    /// Whether `at` lies past a manual clock's target: nothing due then is released until
    /// the suite advances the clock.
    pub fn held(&self, at: SimTime) -> bool {
        self.manual.as_ref().is_some_and(|m| at > m.target())
    }

    /// The simulated instant of `wall`, and how far the engine may run ahead of the
    /// delivery: the manual clock's target; at a speed, `wall` on the simulated clock
    /// (plus a millisecond, so an action due just now is not missed by rounding); `None`
    /// at speed max (no limit).
    pub fn limit(&self, wall: Instant) -> Option<SimTime> {
        if let Some(manual) = &self.manual {
            return Some(manual.target());
        }
        self.sim_at(wall).map(|at| at + Span::from_millis(1))
    }

    /// The simulated instant an operation made at `wall` happens at: the manual clock's
    /// current instant, or `wall` on the simulated clock; `None` at speed max.
    pub fn sim_at(&self, wall: Instant) -> Option<SimTime> {
        if let Some(manual) = &self.manual {
            return Some(manual.now());
        }
        match self.speed {
            Speed::Max => None,
            Speed::Factor(f) => {
                let elapsed = wall
                    .saturating_duration_since(self.wall_start)
                    .as_secs_f64();
                Some(self.sim_start + Span::from_secs_f64(elapsed * f))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::units::Span;

    #[tokio::test(start_paused = true)]
    async fn simulated_time_runs_speed_times_faster_than_the_wall_clock() {
        let start = SimTime::from_millis(1_000_000);
        let wall = Instant::now();
        let clock = SimClock::new(start, wall, Speed::Factor(60.0));
        assert_eq!(
            clock.deadline(start + Span::from_millis(60_000)),
            Some(wall + Duration::from_secs(1))
        );
        assert_eq!(clock.deadline(start), Some(wall));
        assert_eq!(SimClock::new(start, wall, Speed::Max).deadline(start), None);
    }
}
