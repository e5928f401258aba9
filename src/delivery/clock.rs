//! Maps simulated time to wall-clock deadlines at a given speed (`--speed N`), or to "now"
//! at `--speed max`. Uses tokio's clock so tests can pause time. The dispatcher asks it
//! when each of the source's batches is due.

use tokio::time::Instant;

use crate::time::SimTime;
use crate::units::Speed;

/// The mapping from simulated time to wall-clock instants.
#[derive(Debug, Clone, Copy)]
pub struct SimClock {
    sim_start: SimTime,
    wall_start: Instant,
    speed: Speed,
}

impl SimClock {
    /// Simulated `sim_start` happens at wall `wall_start`; then time runs at `speed`.
    pub fn new(sim_start: SimTime, wall_start: Instant, speed: Speed) -> Self {
        Self {
            sim_start,
            wall_start,
            speed,
        }
    }

    /// Whether it runs at `--speed max` (no clock to follow).
    pub fn is_max(&self) -> bool {
        matches!(self.speed, Speed::Max)
    }

    /// When `at` is due on the wall clock; `None` at speed max (due as soon as possible).
    pub fn deadline(&self, at: SimTime) -> Option<Instant> {
        match self.speed {
            Speed::Max => None,
            Speed::Factor(f) => {
                let sim_s = at.since(self.sim_start).as_secs_f64();
                Some(self.wall_start + std::time::Duration::from_secs_f64(sim_s / f))
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
