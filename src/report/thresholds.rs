//! CI thresholds (`--max-failure-rate`, `--max-p99`, `--max-service-p99`,
//! `--min-throughput`): a pure check of
//! a finished report that lists every threshold breached, for exit code 1.

use serde::{Deserialize, Serialize};

use super::Report;
use crate::units::{Rate, Span};

/// The thresholds asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ThresholdSpec {
    /// Largest acceptable failed / emitted.
    pub max_failure_rate: f64,
    /// Largest acceptable p99 latency (from the scheduled send time).
    pub max_p99: Option<Span>,
    /// Largest acceptable p99 service time (first attempt to answer: the receiver's
    /// time, without ccsim's own backlog).
    pub max_service_p99: Option<Span>,
    /// Smallest acceptable delivered events per wall-clock second.
    pub min_throughput: Option<Rate>,
}

/// The `thresholds` section of the report.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Thresholds {
    /// `--max-failure-rate`.
    pub max_failure_rate: f64,
    /// failed / emitted.
    pub failure_rate: f64,
    /// `--max-p99` in milliseconds, if set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_p99_ms: Option<f64>,
    /// `--max-service-p99` in milliseconds, if set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_service_p99_ms: Option<f64>,
    /// `--min-throughput` in events per second, if set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_throughput: Option<f64>,
    /// Human-readable descriptions of each breached threshold (the contract check adds
    /// its own).
    pub breached: Vec<String>,
}

impl ThresholdSpec {
    /// Fills `report.thresholds` and lists every breach.
    pub fn apply(&self, report: &mut Report) {
        let e = &report.events;
        let failure_rate = if e.emitted == 0 {
            0.0
        } else {
            e.failed as f64 / e.emitted as f64
        };
        let mut breached = Vec::new();
        if failure_rate > self.max_failure_rate {
            breached.push(format!(
                "failure rate {failure_rate:.4} ({} of {} events) is above --max-failure-rate {}",
                e.failed, e.emitted, self.max_failure_rate
            ));
        }
        let max_p99_ms = self.max_p99.map(|s| s.as_secs_f64() * 1000.0);
        if let (Some(limit), Some(span)) = (max_p99_ms, self.max_p99) {
            let p99 = report.latency_ms.p99;
            if p99 > limit {
                breached.push(format!("p99 latency {p99:.2} ms is above --max-p99 {span}"));
            }
        }
        let max_service_p99_ms = self.max_service_p99.map(|s| s.as_secs_f64() * 1000.0);
        if let (Some(limit), Some(span)) = (max_service_p99_ms, self.max_service_p99) {
            let p99 = report.service_time_ms.p99;
            if p99 > limit {
                breached.push(format!(
                    "p99 service time {p99:.2} ms is above --max-service-p99 {span}"
                ));
            }
        }
        let min_throughput = self.min_throughput.map(Rate::per_second);
        if let (Some(limit), Some(rate)) = (min_throughput, self.min_throughput) {
            let got = report.throughput.events_per_s;
            if got < limit {
                breached.push(format!(
                    "throughput {got:.1} events/s is below --min-throughput {rate}"
                ));
            }
        }
        report.thresholds = Thresholds {
            max_failure_rate: self.max_failure_rate,
            failure_rate,
            max_p99_ms,
            max_service_p99_ms,
            min_throughput,
            breached,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::collector::Collector;
    use crate::sim::stats::SimStats;

    fn report(emitted: u64, failed: u64, p99: f64, per_s: f64) -> Report {
        let mut r = Collector::new(None, false).report(&SimStats::default(), 1.0, Span::ZERO);
        r.events.emitted = emitted;
        r.events.failed = failed;
        r.latency_ms.p99 = p99;
        r.throughput.events_per_s = per_s;
        r
    }

    fn spec(max_failure_rate: f64, p99: Option<&str>, tput: Option<&str>) -> ThresholdSpec {
        ThresholdSpec {
            max_failure_rate,
            max_p99: p99.map(|s| s.parse().expect("span")),
            max_service_p99: None,
            min_throughput: tput.map(|s| s.parse().expect("rate")),
        }
    }

    #[test]
    fn a_run_within_every_threshold_breaches_none() {
        let mut r = report(100, 1, 40.0, 900.0);
        spec(0.01, Some("50ms"), Some("800/s")).apply(&mut r);
        assert!(r.thresholds.breached.is_empty(), "{:?}", r.thresholds);
        assert_eq!(r.thresholds.max_p99_ms, Some(50.0));
        assert_eq!(r.thresholds.min_throughput, Some(800.0));
    }

    #[test]
    fn each_breach_names_its_threshold() {
        let mut r = report(100, 2, 60.0, 700.0);
        spec(0.01, Some("50ms"), Some("800/s")).apply(&mut r);
        let b = &r.thresholds.breached;
        assert_eq!(b.len(), 3, "{b:?}");
        assert_eq!(
            b[0],
            "failure rate 0.0200 (2 of 100 events) is above --max-failure-rate 0.01"
        );
        assert_eq!(b[1], "p99 latency 60.00 ms is above --max-p99 50ms");
        assert_eq!(
            b[2],
            "throughput 700.0 events/s is below --min-throughput 800/s"
        );
    }

    #[test]
    fn the_service_time_gate_reads_the_receivers_time_not_the_backlog() {
        // At --speed max the latency p99 is mostly ccsim's own backlog; the service time
        // is the receiver's.
        let mut r = report(100, 0, 150.0, 900.0);
        r.service_time_ms.p99 = 4.0;
        let mut gate = spec(0.0, None, None);
        gate.max_service_p99 = Some("5ms".parse().expect("span"));
        gate.apply(&mut r);
        assert!(r.thresholds.breached.is_empty(), "{:?}", r.thresholds);
        assert_eq!(r.thresholds.max_service_p99_ms, Some(5.0));
        r.service_time_ms.p99 = 6.5;
        gate.apply(&mut r);
        assert_eq!(
            r.thresholds.breached,
            ["p99 service time 6.50 ms is above --max-service-p99 5ms"]
        );
    }

    #[test]
    fn unset_thresholds_are_not_checked_and_nothing_emitted_is_no_failure() {
        let mut r = report(0, 0, 1e9, 0.0);
        spec(0.0, None, None).apply(&mut r);
        assert!(r.thresholds.breached.is_empty());
        assert_eq!(r.thresholds.failure_rate, 0.0);
    }
}
