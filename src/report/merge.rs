//! `ccsim report merge`: several reports of one scenario (shards, or runs under other
//! seeds) as one. Counters add up; latency histograms merge exactly from their serialised
//! HdrHistograms, so the merged p99 is the p99 of every sample; derived figures (failure
//! rate, throughput, the contact-centre ratios) are recomputed from the sums. Pure: the
//! command (`cmd/report.rs`) reads and writes the files. Documented in `docs/report.md`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::contact_center::{Backlog, ContactCenter, Figures};
use super::{
    Conversations, DeliverySummary, EventCounts, KindOutcomes, Percentiles, ReplaySkips, Report,
    Throughput, hdr,
};
use crate::families::EventFamilies;
use crate::sim::stats::{AgentFigures, TypeStats};

/// The reports a merge added up (`merged` in a merged report).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Merged {
    /// How many runs' reports (a merged input counts its own).
    pub reports: usize,
    /// Their seeds, in the order given.
    pub seeds: Vec<u64>,
}

/// One report to merge and the name it is known by in messages (its file).
#[derive(Debug, Clone)]
pub struct Input {
    /// The file it came from.
    pub name: String,
    /// The report.
    pub report: Report,
}

/// The reports as one, or why they cannot be merged (naming the files and the field).
/// Its `thresholds` are left at their default: the caller applies its own.
pub fn merge(inputs: &[Input]) -> Result<Report, String> {
    let Some(first) = inputs.first() else {
        return Err("no report to merge".to_owned());
    };
    for other in &inputs[1..] {
        refuse_mismatch(first, other)?;
    }
    let reports: Vec<&Report> = inputs.iter().map(|i| &i.report).collect();
    let mut events = EventCounts::default();
    let mut conversations = Conversations::default();
    for r in &reports {
        add_events(&mut events, &r.events);
        add_conversations(&mut conversations, &r.conversations);
    }
    let wall_s = reports
        .iter()
        .map(|r| r.throughput.wall_s)
        .fold(0.0, f64::max);
    let simulated_s = reports
        .iter()
        .map(|r| r.throughput.simulated_s)
        .fold(0.0, f64::max);
    let mut merged = Merged::default();
    for r in &reports {
        match &r.merged {
            Some(m) => {
                merged.reports += m.reports;
                merged.seeds.extend(&m.seeds);
            }
            None => {
                merged.reports += 1;
                merged.seeds.push(r.seed);
            }
        }
    }
    let f = &first.report;
    Ok(Report {
        ccsim_version: f.ccsim_version.clone(),
        seed: f.seed,
        shard: None,
        profile: f.profile.clone(),
        event_families: reports
            .iter()
            .fold(EventFamilies::NONE, |all, r| all | r.event_families),
        scenario: f.scenario.clone(),
        merged: Some(merged),
        speed: distinct(reports.iter().map(|r| r.speed.as_str())),
        target: distinct(reports.iter().map(|r| r.target.as_str())),
        api: None,
        interrupted: reports.iter().any(|r| r.interrupted),
        partial: reports.iter().any(|r| r.partial),
        delivery: DeliverySummary {
            ordering: distinct(reports.iter().map(|r| r.delivery.ordering.as_str())),
            signing_secrets: reports
                .iter()
                .map(|r| r.delivery.signing_secrets)
                .max()
                .unwrap_or(0),
            max_backlog: reports.iter().map(|r| r.delivery.max_backlog).sum(),
            peak_backlog: reports.iter().map(|r| r.delivery.peak_backlog).sum(),
        },
        latency_ms: merge_histograms(inputs, "latency_ms", |r| &r.latency_ms)?,
        service_time_ms: merge_histograms(inputs, "service_time_ms", |r| &r.service_time_ms)?,
        schedule_lateness_ms: merge_histograms(inputs, "schedule_lateness_ms", |r| {
            &r.schedule_lateness_ms
        })?,
        throughput: Throughput {
            events_per_s: if wall_s > 0.0 {
                events.delivered as f64 / wall_s
            } else {
                0.0
            },
            wall_s,
            simulated_s,
        },
        events,
        conversations,
        contact_center: merge_contact_centres(&reports),
        contract: None,
        thresholds: super::Thresholds::default(),
        output_errors: inputs
            .iter()
            .flat_map(|i| {
                i.report
                    .output_errors
                    .iter()
                    .map(move |e| format!("{}: {e}", i.name))
            })
            .collect(),
        timeseries: super::timeseries::merge(
            &reports
                .iter()
                .filter_map(|r| r.timeseries.as_ref())
                .collect::<Vec<_>>(),
        ),
        replay: merge_replays(&reports),
    })
}

/// Refuses to merge reports of different ccsim versions, profiles, scenarios or
/// service-level thresholds.
fn refuse_mismatch(first: &Input, other: &Input) -> Result<(), String> {
    let (a, b) = (&first.report, &other.report);
    let checks: [(&str, String, String); 4] = [
        (
            "ccsim_version",
            a.ccsim_version.to_string(),
            b.ccsim_version.to_string(),
        ),
        ("profile", a.profile.clone(), b.profile.clone()),
        ("scenario", a.scenario.clone(), b.scenario.clone()),
        (
            "contact_center.sl_threshold_s",
            a.contact_center.sl_threshold_s.to_string(),
            b.contact_center.sl_threshold_s.to_string(),
        ),
    ];
    for (field, x, y) in checks {
        if x != y {
            return Err(format!(
                "{} has {field} {y:?} but {} has {x:?}: only reports of one ccsim version, \
                 profile, scenario and --sl-threshold merge",
                other.name, first.name
            ));
        }
    }
    Ok(())
}

/// The one value every report has, or all of them joined by `+`.
fn distinct<'a>(values: impl Iterator<Item = &'a str>) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for v in values {
        if !seen.contains(&v) {
            seen.push(v);
        }
    }
    seen.join("+")
}

/// One histogram fed every report's samples of `field`, and its percentiles.
fn merge_histograms(
    inputs: &[Input],
    field: &str,
    of: impl Fn(&Report) -> &Percentiles,
) -> Result<Percentiles, String> {
    let mut all = hdr::histogram();
    for input in inputs {
        let Some(text) = &of(&input.report).hdr else {
            return Err(format!(
                "{}: {field} has no histogram (`hdr`): a report of an older ccsim, which \
                 cannot be merged exactly",
                input.name
            ));
        };
        let h = hdr::decode(text).map_err(|e| format!("{}: {field}.hdr: {e}", input.name))?;
        all.add(&h)
            .map_err(|e| format!("{}: {field}.hdr: {e:?}", input.name))?;
    }
    Ok(hdr::percentiles(&all))
}

fn add_outcomes(into: &mut KindOutcomes, o: &KindOutcomes) {
    into.delivered += o.delivered;
    into.failed += o.failed;
    into.cancelled += o.cancelled;
}

fn add_map<K: Ord + Clone>(into: &mut BTreeMap<K, u64>, from: &BTreeMap<K, u64>) {
    for (k, n) in from {
        *into.entry(k.clone()).or_default() += n;
    }
}

fn add_events(into: &mut EventCounts, e: &EventCounts) {
    into.emitted += e.emitted;
    into.delivered += e.delivered;
    into.failed += e.failed;
    into.cancelled += e.cancelled;
    into.retries += e.retries;
    into.duplicated += e.duplicated;
    add_outcomes(&mut into.duplicate_outcomes, &e.duplicate_outcomes);
    into.reordered += e.reordered;
    into.jittered += e.jittered;
    add_map(&mut into.by_kind, &e.by_kind);
    for (k, o) in &e.outcomes_by_kind {
        add_outcomes(into.outcomes_by_kind.entry(k.clone()).or_default(), o);
    }
    add_map(&mut into.errors, &e.errors);
}

fn add_conversations(into: &mut Conversations, c: &Conversations) {
    into.offered += c.offered;
    into.started += c.started;
    into.ended += c.ended;
    into.failed += c.failed;
    for (kind, t) in &c.by_type {
        let s: &mut TypeStats = into.by_type.entry(kind.clone()).or_default();
        s.offered += t.offered;
        s.started += t.started;
        s.ended += t.ended;
        s.failed += t.failed;
        s.unfinished += t.unfinished;
        add_map(&mut s.by_outcome, &t.by_outcome);
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

/// Figures of several groups as one: counts summed; the share that waited, the average
/// speed of answer and the service level recomputed from the sums (each report's ratio
/// times its denominator gives back its count).
fn merge_figures<'a>(all: impl Iterator<Item = &'a Figures>) -> Figures {
    let mut m = Figures::default();
    let (mut wait_sum_s, mut within) = (0.0, 0u64);
    for f in all {
        m.offered += f.offered;
        m.answered += f.answered;
        m.abandoned += f.abandoned;
        m.abandoned_ringing += f.abandoned_ringing;
        m.timed_out += f.timed_out;
        m.waited += f.waited;
        wait_sum_s += f.mean_wait_s * f.answered as f64;
        // service_level = within / offered, both counts: the product rounds back exactly.
        within += (f.service_level * f.offered as f64).round() as u64;
    }
    m.p_wait = ratio(m.waited as f64, m.offered as f64);
    m.mean_wait_s = ratio(wait_sum_s, m.answered as f64);
    m.service_level = ratio(within as f64, m.offered as f64);
    m
}

/// The contact centre of several disjoint agent pools as one: agents summed, occupancy
/// and mean busy time recomputed from the agent time each report implies, no theory (it
/// is of one pool; each report keeps its own).
fn merge_contact_centres(reports: &[&Report]) -> ContactCenter {
    let (mut agent_time, mut taken, mut engagements) = (0.0, 0.0, 0.0);
    let mut by_type: BTreeMap<Cow<'static, str>, Vec<&Figures>> = BTreeMap::new();
    for r in reports {
        let cc = &r.contact_center;
        let time = cc.agents as f64 * r.throughput.simulated_s;
        let busy = cc.occupancy * time;
        agent_time += time;
        taken += busy;
        engagements += ratio(busy, cc.mean_busy_s);
        for (kind, f) in &cc.by_type {
            by_type.entry(kind.clone()).or_default().push(f);
        }
    }
    let by_type: BTreeMap<Cow<'static, str>, Figures> = by_type
        .into_iter()
        .map(|(k, fs)| (k, merge_figures(fs.into_iter())))
        .collect();
    let backlogs = reports.iter().map(|r| &r.contact_center.backlog);
    let never_drained = backlogs
        .clone()
        .any(|b| b.waiting_at_arrivals_end > 0 && b.drained_after_s.is_none());
    ContactCenter {
        sl_threshold_s: reports
            .first()
            .map_or(0.0, |r| r.contact_center.sl_threshold_s),
        agents: reports.iter().map(|r| r.contact_center.agents).sum(),
        occupancy: ratio(taken, agent_time),
        mean_busy_s: ratio(taken, engagements),
        inbound: merge_figures(reports.iter().map(|r| &r.contact_center.inbound)),
        by_type,
        theory: None,
        backlog: Backlog {
            waiting_at_arrivals_end: backlogs.clone().map(|b| b.waiting_at_arrivals_end).sum(),
            drained_after_s: if never_drained {
                None
            } else {
                backlogs
                    .clone()
                    .filter_map(|b| b.drained_after_s)
                    .reduce(f64::max)
            },
            overloaded: backlogs.clone().any(|b| b.overloaded),
        },
        by_agent: merge_agents(reports),
    }
}

/// Every report's agents, by name: the shards of a run have disjoint pools, so each agent
/// comes from one report; an agent in several (runs of one scenario under other seeds)
/// has its counts and times summed and its occupancy recomputed over the simulated time
/// of the reports it is in.
fn merge_agents(reports: &[&Report]) -> Vec<AgentFigures> {
    let mut by_name: BTreeMap<&str, (AgentFigures, f64)> = BTreeMap::new();
    for r in reports {
        for a in &r.contact_center.by_agent {
            let (m, time) = by_name.entry(a.name.as_str()).or_insert_with(|| {
                let empty = AgentFigures {
                    name: a.name.clone(),
                    ..AgentFigures::default()
                };
                (empty, 0.0)
            });
            m.handled += a.handled;
            m.engaged += a.engaged;
            m.ringing_s += a.ringing_s;
            m.talk_s += a.talk_s;
            m.wrap_up_s += a.wrap_up_s;
            *time += r.throughput.simulated_s;
        }
    }
    by_name
        .into_values()
        .map(|(mut a, time)| {
            a.occupancy = ratio(a.ringing_s + a.talk_s + a.wrap_up_s, time);
            a
        })
        .collect()
}

/// What replays replayed, summed, when every report is a replay's.
fn merge_replays(reports: &[&Report]) -> Option<ReplaySkips> {
    reports.iter().try_fold(ReplaySkips::default(), |mut m, r| {
        let s = r.replay?;
        m.truncated_lines += s.truncated_lines;
        m.duplicate_seq += s.duplicate_seq;
        m.logged += s.logged;
        m.left_out_delivered += s.left_out_delivered;
        m.replayed += s.replayed;
        Some(m)
    })
}

#[cfg(test)]
mod tests {
    use hdrhistogram::Histogram;

    use super::*;
    use crate::report::collector::Collector;
    use crate::report::hdr::{histogram, percentiles};
    use crate::sim::stats::SimStats;
    use crate::units::Span;

    fn blank() -> Report {
        let mut r = Collector::new(None, false).report(&SimStats::default(), 1.0, Span::ZERO);
        r.profile = "documented".into();
        r.scenario = "abc".into();
        r
    }

    /// A report as it comes back from its JSON file.
    fn through_json(r: &Report, name: &str) -> Input {
        let json = serde_json::to_string_pretty(r).unwrap();
        Input {
            name: name.to_owned(),
            report: serde_json::from_str(&json).unwrap(),
        }
    }

    fn fed(samples: impl Iterator<Item = u64>) -> Histogram<u64> {
        let mut h = histogram();
        for v in samples {
            h.saturating_record(v);
        }
        h
    }

    #[test]
    fn merged_percentiles_are_those_of_one_histogram_fed_every_sample() {
        // Two runs of unlike shapes: the mean of their p99s is nothing like the truth.
        let a: Vec<u64> = (1..=10_000).map(|i| 100 + i % 900).collect();
        let b: Vec<u64> = (1..=1_000).map(|i| 50_000 + i * 37).collect();
        let mut ra = blank();
        ra.latency_ms = percentiles(&fed(a.iter().copied()));
        ra.service_time_ms = percentiles(&fed(a.iter().map(|v| v / 2)));
        let mut rb = blank();
        rb.seed = 2;
        rb.latency_ms = percentiles(&fed(b.iter().copied()));
        let m = merge(&[through_json(&ra, "a.json"), through_json(&rb, "b.json")]).unwrap();
        let one = fed(a.iter().chain(&b).copied());
        let want = percentiles(&one);
        let l = &m.latency_ms;
        assert_eq!(
            (l.count, l.p50, l.p90, l.p99, l.p999, l.max),
            (
                want.count, want.p50, want.p90, want.p99, want.p999, want.max
            )
        );
        assert!((l.mean - want.mean).abs() < 1e-9);
        assert_eq!(hdr::decode(l.hdr.as_deref().unwrap()).unwrap(), one);
        assert_eq!(
            m.service_time_ms.count, 10_000,
            "an empty histogram adds nothing"
        );
        assert_eq!(m.schedule_lateness_ms.count, 0);
        assert_eq!(
            m.merged,
            Some(Merged {
                reports: 2,
                seeds: vec![0, 2]
            })
        );
    }

    #[test]
    fn counters_add_up_and_derived_figures_are_recomputed_from_the_sums() {
        let mut ra = blank();
        ra.events.emitted = 10;
        ra.events.delivered = 9;
        ra.events.failed = 1;
        ra.events.retries = 3;
        ra.events.by_kind.insert("a".into(), 10);
        ra.events.errors.insert("HTTP 500".into(), 1);
        ra.throughput = Throughput {
            events_per_s: 9.0,
            wall_s: 1.0,
            simulated_s: 60.0,
        };
        ra.contact_center.agents = 2;
        ra.contact_center.occupancy = 0.5;
        ra.contact_center.mean_busy_s = 10.0;
        ra.contact_center.inbound = Figures {
            offered: 4,
            answered: 3,
            waited: 1,
            mean_wait_s: 2.0,
            service_level: 0.75,
            ..Figures::default()
        };
        let mut rb = blank();
        rb.events.emitted = 5;
        rb.events.delivered = 5;
        rb.events.by_kind.insert("a".into(), 2);
        rb.events.by_kind.insert("b".into(), 3);
        rb.throughput.wall_s = 2.0;
        rb.throughput.simulated_s = 60.0;
        rb.contact_center.agents = 2;
        rb.contact_center.occupancy = 0.25;
        rb.contact_center.mean_busy_s = 15.0;
        rb.contact_center.inbound = Figures {
            offered: 6,
            answered: 1,
            waited: 4,
            mean_wait_s: 6.0,
            service_level: 1.0 / 6.0,
            ..Figures::default()
        };
        let m = merge(&[through_json(&ra, "a"), through_json(&rb, "b")]).unwrap();
        let e = &m.events;
        assert_eq!(
            (e.emitted, e.delivered, e.failed, e.retries),
            (15, 14, 1, 3)
        );
        assert_eq!(e.by_kind.get("a"), Some(&12));
        assert_eq!(e.by_kind.get("b"), Some(&3));
        assert_eq!(e.errors.get("HTTP 500"), Some(&1));
        assert_eq!(m.throughput.wall_s, 2.0, "the longest run's wall time");
        assert!(
            (m.throughput.events_per_s - 7.0).abs() < 1e-9,
            "14 over 2 s"
        );
        let cc = &m.contact_center;
        assert_eq!(cc.agents, 4);
        // Agent time 120 s each; taken 60 s and 30 s.
        assert!((cc.occupancy - 0.375).abs() < 1e-9, "{cc:?}");
        // 6 engagements of 10 s and 2 of 15 s.
        assert!((cc.mean_busy_s - 90.0 / 8.0).abs() < 1e-9, "{cc:?}");
        let f = &cc.inbound;
        assert_eq!((f.offered, f.answered, f.waited), (10, 4, 5));
        assert!((f.p_wait - 0.5).abs() < 1e-9);
        assert!((f.mean_wait_s - 3.0).abs() < 1e-9, "(3×2 + 1×6) / 4");
        assert!((f.service_level - 0.4).abs() < 1e-9, "(3 + 1) / 10");
        let mut merged = m;
        crate::report::ThresholdSpec::default().apply(&mut merged);
        assert!((merged.thresholds.failure_rate - 1.0 / 15.0).abs() < 1e-9);
    }

    fn agent(
        name: &str,
        handled: u64,
        talk_s: f64,
        wrap_up_s: f64,
        occupancy: f64,
    ) -> AgentFigures {
        AgentFigures {
            name: name.to_owned(),
            handled,
            engaged: handled + 1,
            ringing_s: 1.0,
            talk_s,
            wrap_up_s,
            occupancy,
        }
    }

    #[test]
    fn the_agents_of_shards_are_listed_together_by_name_and_families_joined() {
        use crate::families::{EventFamilies, EventFamily};
        let mut ra = blank();
        ra.throughput.simulated_s = 100.0;
        ra.event_families = EventFamilies::all();
        ra.contact_center.by_agent =
            vec![agent("b", 3, 50.0, 9.0, 0.6), agent("d", 0, 0.0, 0.0, 0.0)];
        let mut rb = blank();
        rb.throughput.simulated_s = 100.0;
        rb.event_families = EventFamilies::only(EventFamily::Agent);
        rb.contact_center.by_agent = vec![agent("a", 1, 20.0, 9.0, 0.3)];
        let m = merge(&[through_json(&ra, "a"), through_json(&rb, "b")]).unwrap();
        let names: Vec<&str> = m
            .contact_center
            .by_agent
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(names, ["a", "b", "d"]);
        assert_eq!(m.contact_center.by_agent[1], agent("b", 3, 50.0, 9.0, 0.6));
        assert_eq!(m.event_families, EventFamilies::all());

        // One agent in two runs of a scenario: counts and times summed, occupancy over
        // both runs' time.
        let m = merge(&[through_json(&rb, "b"), through_json(&rb, "c")]).unwrap();
        let a = &m.contact_center.by_agent;
        assert_eq!(a.len(), 1);
        assert_eq!((a[0].handled, a[0].engaged), (2, 4));
        assert!((a[0].talk_s - 40.0).abs() < 1e-9);
        assert!((a[0].occupancy - 0.3).abs() < 1e-9, "{a:?}");
    }

    #[test]
    fn reports_of_another_version_profile_or_scenario_are_refused_naming_both_files() {
        let a = through_json(&blank(), "a.json");
        let mut other = blank();
        other.profile = "minimal".into();
        let err = merge(&[a.clone(), through_json(&other, "b.json")]).unwrap_err();
        assert!(
            err.starts_with("b.json has profile \"minimal\" but a.json has \"documented\""),
            "{err}"
        );
        let mut other = blank();
        other.scenario = "def".into();
        let err = merge(&[a.clone(), through_json(&other, "c.json")]).unwrap_err();
        assert!(err.contains("c.json has scenario \"def\""), "{err}");
        let mut other = blank();
        other.ccsim_version = "0.0.1".into();
        let err = merge(&[a.clone(), through_json(&other, "d.json")]).unwrap_err();
        assert!(err.contains("d.json has ccsim_version \"0.0.1\""), "{err}");
        let mut old = blank();
        old.latency_ms.hdr = None;
        let err = merge(&[a, through_json(&old, "old.json")]).unwrap_err();
        assert!(
            err.starts_with("old.json: latency_ms has no histogram"),
            "{err}"
        );
    }
}
