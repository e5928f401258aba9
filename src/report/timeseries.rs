//! The run over wall-clock time (`timeseries` in the report): one row per second of the
//! sending phase with the events sent, delivered and failed in it, those in flight at its
//! end, and its p50/p99 latency. Past [`MAX_ROWS`] rows the interval doubles and pairs of
//! rows merge, so a day-long run stays a few thousand rows.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

/// Rows kept at most (an hour at one second) before the interval doubles.
pub const MAX_ROWS: usize = 3600;

/// The `timeseries` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TimeSeries {
    /// Wall-clock start of the sending phase, Unix epoch milliseconds (to line up the
    /// rows of several reports in a merge).
    pub start_unix_ms: i64,
    /// Seconds per row.
    pub interval_s: u64,
    /// The rows, in time order, without gaps.
    pub rows: Vec<Row>,
}

/// One interval of the sending phase.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Seconds from the start of the sending phase to the row's start.
    pub t_s: u64,
    /// Events released for sending in the interval (duplicates aside).
    pub sent: u64,
    /// Events delivered in the interval.
    pub delivered: u64,
    /// Events that failed for good in the interval.
    pub failed: u64,
    /// Events sent and not yet finished at the interval's end.
    pub in_flight: u64,
    /// Median latency of the interval's deliveries, milliseconds (0 without any). A row
    /// merged from several (past the first hour, or in `report merge`) keeps the larger.
    pub p50_ms: f64,
    /// 99th-percentile latency of the interval's deliveries, milliseconds; merged rows
    /// keep the larger (an upper bound).
    pub p99_ms: f64,
}

impl Row {
    /// `other`, a later row, folded into this one.
    pub fn absorb(&mut self, other: &Row) {
        self.sent += other.sent;
        self.delivered += other.delivered;
        self.failed += other.failed;
        self.in_flight = other.in_flight;
        self.p50_ms = self.p50_ms.max(other.p50_ms);
        self.p99_ms = self.p99_ms.max(other.p99_ms);
    }
}

/// Several series as one, lined up by wall clock: the interval is the coarsest of theirs,
/// each row lands in the merged row its own start falls in, counts add up, in-flight adds
/// up at each row's end, and p50/p99 keep the larger (an upper bound; the whole run's
/// percentiles, from the histograms, are exact). `None` without any series.
pub fn merge(series: &[&TimeSeries]) -> Option<TimeSeries> {
    let start = series.iter().map(|s| s.start_unix_ms).min()?;
    let interval_s = series.iter().map(|s| s.interval_s.max(1)).max()?;
    let mut rows: Vec<Row> = Vec::new();
    for s in series {
        // The last row of each input that lands in each merged row: its in-flight count
        // is that input's at the merged row's end.
        let mut last_in: Vec<Option<u64>> = Vec::new();
        for r in &s.rows {
            let at_ms = s.start_unix_ms - start + (r.t_s * 1000) as i64;
            let index = usize::try_from(at_ms / (interval_s * 1000) as i64).unwrap_or(0);
            if rows.len() <= index {
                rows.resize_with(index + 1, Row::default);
            }
            if last_in.len() <= index {
                last_in.resize(index + 1, None);
            }
            let m = &mut rows[index];
            m.sent += r.sent;
            m.delivered += r.delivered;
            m.failed += r.failed;
            m.p50_ms = m.p50_ms.max(r.p50_ms);
            m.p99_ms = m.p99_ms.max(r.p99_ms);
            last_in[index] = Some(r.in_flight);
        }
        let mut carried = 0;
        for (i, row) in rows.iter_mut().enumerate() {
            if let Some(Some(n)) = last_in.get(i) {
                carried = *n;
            } else if i >= last_in.len() {
                carried = 0; // this input had ended
            }
            row.in_flight += carried;
        }
    }
    for (i, row) in rows.iter_mut().enumerate() {
        row.t_s = i as u64 * interval_s;
    }
    Some(TimeSeries {
        start_unix_ms: start,
        interval_s,
        rows,
    })
}

/// Builds a [`TimeSeries`] as events go out and finish.
#[derive(Debug)]
pub(crate) struct SeriesBuilder {
    start: Instant,
    start_unix_ms: i64,
    interval_s: u64,
    rows: Vec<Row>,
    /// The row being filled, and its latencies (microseconds).
    open: Row,
    open_index: u64,
    latency: Histogram<u64>,
    in_flight: u64,
}

impl SeriesBuilder {
    /// A series starting now.
    pub(crate) fn new() -> Self {
        Self {
            start: Instant::now(),
            start_unix_ms: chrono::Utc::now().timestamp_millis(),
            interval_s: 1,
            rows: Vec::new(),
            open: Row::default(),
            open_index: 0,
            // Constants that hdrhistogram accepts; two digits are plenty per second.
            latency: Histogram::new_with_bounds(1, 3_600_000_000, 2)
                .unwrap_or_else(|_| unreachable!()),
            in_flight: 0,
        }
    }

    /// An event was released for sending at `now`.
    pub(crate) fn sent(&mut self, now: Instant) {
        self.advance(now);
        self.open.sent += 1;
        self.in_flight += 1;
    }

    /// An event finished at `now`: delivered with `latency`, failed, or cancelled.
    pub(crate) fn finished(&mut self, now: Instant, delivered: Option<Duration>, failed: bool) {
        self.advance(now);
        self.in_flight = self.in_flight.saturating_sub(1);
        if let Some(latency) = delivered {
            self.open.delivered += 1;
            let us = u64::try_from(latency.as_micros())
                .unwrap_or(u64::MAX)
                .max(1);
            self.latency.saturating_record(us);
        }
        if failed {
            self.open.failed += 1;
        }
    }

    /// The series so far, the open row included.
    pub(crate) fn snapshot(&self) -> TimeSeries {
        let mut rows = self.rows.clone();
        rows.push(self.closed_open_row());
        TimeSeries {
            start_unix_ms: self.start_unix_ms,
            interval_s: self.interval_s,
            rows,
        }
    }

    fn closed_open_row(&self) -> Row {
        let q = |p: f64| {
            if self.latency.is_empty() {
                0.0
            } else {
                self.latency.value_at_quantile(p) as f64 / 1000.0
            }
        };
        Row {
            t_s: self.open_index * self.interval_s,
            in_flight: self.in_flight,
            p50_ms: q(0.50),
            p99_ms: q(0.99),
            ..self.open.clone()
        }
    }

    /// Closes every row that ended before `now`.
    fn advance(&mut self, now: Instant) {
        let elapsed_s = now.saturating_duration_since(self.start).as_secs();
        while self.open_index < elapsed_s / self.interval_s {
            let row = self.closed_open_row();
            self.rows.push(row);
            self.open = Row::default();
            self.latency.reset();
            self.open_index += 1;
            // Coarsen when the closed rows pair up exactly, so the open row still lies
            // inside one row of the doubled interval.
            if self.rows.len() >= MAX_ROWS && self.open_index.is_multiple_of(2) {
                self.coarsen();
            }
        }
    }

    /// Doubles the interval, merging pairs of rows.
    fn coarsen(&mut self) {
        self.interval_s *= 2;
        let rows = std::mem::take(&mut self.rows);
        for (i, pair) in rows.chunks(2).enumerate() {
            let mut row = pair[0].clone();
            if let Some(second) = pair.get(1) {
                row.absorb(second);
            }
            row.t_s = i as u64 * self.interval_s;
            self.rows.push(row);
        }
        self.open_index /= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn one_row_per_second_with_gaps_filled_and_in_flight_carried() {
        let mut b = SeriesBuilder::new();
        let t0 = Instant::now();
        b.sent(t0);
        b.sent(t0 + Duration::from_millis(100));
        b.finished(
            t0 + Duration::from_millis(900),
            Some(Duration::from_millis(5)),
            false,
        );
        b.finished(t0 + Duration::from_millis(3_200), None, true);
        let s = b.snapshot();
        assert_eq!(s.interval_s, 1);
        let got: Vec<(u64, u64, u64, u64, u64)> = s
            .rows
            .iter()
            .map(|r| (r.t_s, r.sent, r.delivered, r.failed, r.in_flight))
            .collect();
        assert_eq!(
            got,
            [
                (0, 2, 1, 0, 1),
                (1, 0, 0, 0, 1),
                (2, 0, 0, 0, 1),
                (3, 0, 0, 1, 0)
            ]
        );
        assert!((s.rows[0].p99_ms - 5.0).abs() < 0.1, "{:?}", s.rows[0]);
        assert_eq!(s.rows[1].p99_ms, 0.0);
    }

    fn row(t_s: u64, sent: u64, in_flight: u64, p99_ms: f64) -> Row {
        Row {
            t_s,
            sent,
            delivered: sent,
            failed: 0,
            in_flight,
            p50_ms: p99_ms / 2.0,
            p99_ms,
        }
    }

    #[test]
    fn series_merge_lined_up_by_wall_clock() {
        let a = TimeSeries {
            start_unix_ms: 10_000,
            interval_s: 1,
            rows: vec![row(0, 5, 2, 3.0), row(1, 7, 0, 9.0)],
        };
        // Starts 1 s later: its first row is the merged second row.
        let b = TimeSeries {
            start_unix_ms: 11_000,
            interval_s: 1,
            rows: vec![row(0, 4, 1, 4.0), row(1, 1, 1, 1.0)],
        };
        let m = merge(&[&a, &b]).unwrap();
        assert_eq!((m.start_unix_ms, m.interval_s), (10_000, 1));
        let got: Vec<(u64, u64, u64, f64)> = m
            .rows
            .iter()
            .map(|r| (r.t_s, r.sent, r.in_flight, r.p99_ms))
            .collect();
        assert_eq!(got, [(0, 5, 2, 3.0), (1, 11, 1, 9.0), (2, 1, 1, 1.0)]);
        let total: u64 = m.rows.iter().map(|r| r.sent).sum();
        assert_eq!(total, 17, "every count survives");
        // A coarser input sets the interval.
        let c = TimeSeries {
            start_unix_ms: 10_000,
            interval_s: 2,
            rows: vec![row(0, 3, 0, 2.0)],
        };
        let m = merge(&[&a, &c]).unwrap();
        assert_eq!(m.interval_s, 2);
        assert_eq!(m.rows[0].sent, 5 + 7 + 3);
        assert!(merge(&[]).is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_long_run_stays_bounded_and_keeps_every_count() {
        let mut b = SeriesBuilder::new();
        let t0 = Instant::now();
        let seconds = 3 * MAX_ROWS as u64 + 17;
        for s in 0..seconds {
            let at = t0 + Duration::from_secs(s);
            b.sent(at);
            b.finished(at, Some(Duration::from_millis(s % 7 + 1)), false);
        }
        let series = b.snapshot();
        assert!(series.rows.len() <= MAX_ROWS + 1, "{}", series.rows.len());
        assert_eq!(series.interval_s, 4);
        assert_eq!(series.rows.iter().map(|r| r.sent).sum::<u64>(), seconds);
        assert_eq!(
            series.rows.iter().map(|r| r.delivered).sum::<u64>(),
            seconds
        );
        for (i, r) in series.rows.iter().enumerate() {
            assert_eq!(r.t_s, i as u64 * 4, "rows without gaps");
        }
    }
}
