//! The report as a person reads it: the banner a sending command prints at its start and
//! the end-of-run summary, in words that say what happened.

use std::fmt::Write as _;

use crate::families::EventFamilies;
use crate::report::Report;
use crate::shard::Shard;
use crate::sim::stats::{AgentFigures, TypeStats};
use crate::units::{Count, Span};

/// Below this many mean busy times of simulated time, a run is mostly warm-up and drain,
/// and the summary says so beside the steady-state theory.
const SHORT_RUN_BUSY_TIMES: f64 = 100.0;

/// How many agents the summary lists (the JSON report lists them all).
const TOP_AGENTS: usize = 10;

/// What a run is, in the lines that open its banner and its summary.
#[derive(Debug, Clone, Copy)]
pub struct RunIdentity<'a> {
    /// The seed.
    pub seed: u64,
    /// The part of the workload (`--shard`), if not the whole.
    pub shard: Option<Shard>,
    /// The fidelity profile's name.
    pub profile: &'a str,
    /// The event families sent.
    pub events: EventFamilies,
    /// `--speed` as text.
    pub speed: &'a str,
    /// Where events go.
    pub target: &'a str,
    /// The fake API's address, when it serves.
    pub api: Option<&'a str>,
}

impl RunIdentity<'_> {
    /// Three lines (two with `--api off`): version, profile, event families, seed, shard
    /// (with `--shard`) and speed; the target; the API.
    pub fn banner(&self) -> String {
        let shard = self
            .shard
            .map(|s| format!(" · shard {s}"))
            .unwrap_or_default();
        let mut s = format!(
            "ccsim {} · profile {} · events {} · seed {}{shard} · speed {}\ntarget: {}\n",
            env!("CARGO_PKG_VERSION"),
            self.profile,
            if self.events == EventFamilies::NONE {
                "none".to_owned()
            } else {
                self.events.to_string()
            },
            self.seed,
            self.speed,
            self.target
        );
        if let Some(api) = self.api {
            let _ = writeln!(
                s,
                "api:    http://{api}/ (fake platform API: GET /v1/account/{{account}}/callcenter/conversation/{{id}})"
            );
        }
        s
    }
}

/// One type's line: attempts, conversations that talked, and why the others never began.
fn type_line(kind: &str, ts: &TypeStats) -> String {
    let mut line = format!(
        "  {kind:<11} {:>4} attempted  {:>4} talked",
        ts.offered, ts.ended
    );
    let others: Vec<String> = ts
        .by_outcome
        .iter()
        .filter(|(o, _)| !o.began())
        .map(|(o, n)| format!("{} ×{n}", o.phrase()))
        .collect();
    if !others.is_empty() {
        let _ = write!(line, "  · {}", others.join(", "));
    }
    line
}

impl Report {
    /// Renders the end-of-run summary for a terminal.
    pub fn render_text(&self) -> String {
        let mut s = RunIdentity {
            seed: self.seed,
            shard: self.shard,
            profile: &self.profile,
            events: self.event_families,
            speed: &self.speed,
            target: &self.target,
            api: self.api.as_deref(),
        }
        .banner();
        if let Some(m) = &self.merged {
            let seeds: Vec<String> = m.seeds.iter().map(u64::to_string).collect();
            let _ = writeln!(
                s,
                "merged:  {} (seeds {})",
                Count::of(m.reports as u64, "report"),
                seeds.join(", ")
            );
        }
        let e = &self.events;
        if self.interrupted {
            let _ = writeln!(s, "INTERRUPTED: partial results");
        }
        for e in &self.output_errors {
            let _ = writeln!(s, "OUTPUT ERROR: {e}");
        }
        if let Some(r) = &self.replay {
            if r.truncated_lines + r.duplicate_seq > 0 {
                let _ = writeln!(
                    s,
                    "replay skipped {} and {} with a seq already replayed",
                    Count::of(r.truncated_lines, "truncated line"),
                    Count::of(r.duplicate_seq, "line")
                );
            }
            let left_out = if r.left_out_delivered > 0 {
                format!(
                    "; --only-failed left out {} that {} delivered",
                    Count::of(r.left_out_delivered, "event"),
                    if r.left_out_delivered == 1 {
                        "was"
                    } else {
                        "were"
                    }
                )
            } else {
                String::new()
            };
            let left_out = if r.other_shards > 0 {
                format!(
                    "{left_out}; {} of other shards' conversations left out",
                    Count::of(r.other_shards, "event")
                )
            } else {
                left_out
            };
            if r.replayed == 0 {
                let _ = writeln!(
                    s,
                    "\nnothing to replay: the log holds {}{left_out}",
                    Count::of(r.logged, "event")
                );
                let _ = writeln!(s, "result      ok");
                return s;
            }
            let _ = writeln!(
                s,
                "\nreplay      {} of the {} in the log{left_out}",
                r.replayed,
                Count::of(r.logged, "event")
            );
        }
        let _ = writeln!(
            s,
            "\nevents      emitted {}  delivered {}  failed {}  cancelled {}  retries {}",
            e.emitted, e.delivered, e.failed, e.cancelled, e.retries
        );
        for (name, n) in &e.by_kind {
            let o = e.outcomes_by_kind.get(name).cloned().unwrap_or_default();
            let _ = writeln!(
                s,
                "  {name:<40} {n:>7}  (delivered {}, failed {}, cancelled {})",
                o.delivered, o.failed, o.cancelled
            );
        }
        for (err, n) in &e.errors {
            let _ = writeln!(s, "  failure: {err} ×{n}");
        }
        if e.duplicated + e.reordered + e.jittered > 0 {
            let d = &e.duplicate_outcomes;
            let _ = writeln!(
                s,
                "robustness  duplicated {} (delivered {}, failed {}, cancelled {})  reordered {}  jittered {}",
                e.duplicated, d.delivered, d.failed, d.cancelled, e.reordered, e.jittered
            );
        }
        let l = &self.latency_ms;
        let _ = writeln!(
            s,
            "latency ms  p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}  (scheduled send time → answer, n={})",
            l.p50, l.p90, l.p99, l.p999, l.max, l.count
        );
        let v = &self.service_time_ms;
        let _ = writeln!(
            s,
            "service ms  p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}  (first attempt → answer: the receiver's time)",
            v.p50, v.p90, v.p99, v.p999, v.max
        );
        let t = &self.throughput;
        let _ = writeln!(
            s,
            "throughput  {:.0} events/s over {:.2}s wall ({:.0}s simulated)",
            t.events_per_s, t.wall_s, t.simulated_s
        );
        self.render_conversations(&mut s);
        self.render_contract(&mut s);
        let mut results = Vec::new();
        if !self.output_errors.is_empty() {
            results
                .push("an output could not be written (exit 5; see OUTPUT ERROR above)".to_owned());
        }
        if self.interrupted {
            results.push("interrupted: partial results (exit 3)".to_owned());
        }
        results.extend(
            self.thresholds
                .breached
                .iter()
                .map(|b| format!("FAILED: {b}")),
        );
        if results.is_empty() {
            results.push("ok".to_owned());
        }
        for r in results {
            let _ = writeln!(s, "result      {r}");
        }
        s
    }

    /// The conversations block: attempts, what talked, what never began and why, and the
    /// contact-centre figures.
    fn render_conversations(&self, s: &mut String) {
        let c = &self.conversations;
        if self.replay.is_some() {
            return; // a replay simulates nothing
        }
        let unfinished: u64 = c.by_type.values().map(|t| t.unfinished).sum();
        let mut parts = vec![format!("{} talked and ended", c.ended)];
        if c.failed > 0 {
            parts.push(format!(
                "{} never began (the scenario's failure paths)",
                c.failed
            ));
        }
        if unfinished > 0 {
            parts.push(format!("{unfinished} still live when the run stopped"));
        }
        let _ = writeln!(
            s,
            "\nconversations {} attempted: {}",
            c.offered,
            parts.join(", ")
        );
        for (kind, ts) in &c.by_type {
            let _ = writeln!(s, "{}", type_line(kind, ts));
        }
        self.contact_centre_text(s);
        self.agents_text(s);
    }

    /// The agents who handled the most calls, one line each, and how many more the JSON
    /// report lists.
    fn agents_text(&self, s: &mut String) {
        let agents = &self.contact_center.by_agent;
        if agents.is_empty() {
            return;
        }
        let mut top: Vec<&AgentFigures> = agents.iter().collect();
        // By calls handled, then talk time, then name: the same order every time.
        top.sort_by(|a, b| {
            b.handled
                .cmp(&a.handled)
                .then(b.talk_s.total_cmp(&a.talk_s))
                .then(a.name.cmp(&b.name))
        });
        top.truncate(TOP_AGENTS);
        let width = top
            .iter()
            .map(|a| a.name.chars().count())
            .max()
            .unwrap_or(0);
        let heading = if agents.len() > TOP_AGENTS {
            format!("top {TOP_AGENTS} of {} by calls handled", agents.len())
        } else {
            "by calls handled".to_owned()
        };
        let _ = writeln!(s, "agents ({heading}):");
        let span = |secs: f64| Span::from_secs_f64(secs.round()).to_string();
        for a in &top {
            let _ = writeln!(
                s,
                "  {:<width$}  handled {:>4}  talk {:>8}  after-call {:>8}  occupancy {:>5.1}%  engaged {:>4}",
                a.name,
                a.handled,
                span(a.talk_s),
                span(a.wrap_up_s),
                100.0 * a.occupancy,
                a.engaged
            );
        }
        if agents.len() > TOP_AGENTS {
            let _ = writeln!(
                s,
                "  … {} more in the JSON report (contact_center.by_agent)",
                agents.len() - TOP_AGENTS
            );
        }
    }

    /// The contact-centre block of the summary: the simulated inbound figures, the theory's
    /// beside them, and a warning when the queue never drained.
    fn contact_centre_text(&self, s: &mut String) {
        let cc = &self.contact_center;
        let f = &cc.inbound;
        if f.offered == 0 {
            return;
        }
        let abandoned = if f.abandoned_ringing > 0 {
            format!("{} ({} while ringing)", f.abandoned, f.abandoned_ringing)
        } else {
            f.abandoned.to_string()
        };
        let _ = writeln!(
            s,
            "contact centre (queue): offered {}  answered {}  abandoned {abandoned}  timed out {}  waited {:.1}%  ASA {:.1}s  SL {:.1}% within {}s  occupancy {:.1}% of {}",
            f.offered,
            f.answered,
            f.timed_out,
            100.0 * f.p_wait,
            f.mean_wait_s,
            100.0 * f.service_level,
            cc.sl_threshold_s,
            100.0 * cc.occupancy,
            Count::of(cc.agents as u64, "agent")
        );
        if let Some(t) = &cc.theory {
            let model = if t.model == "erlang_a" {
                "Erlang A"
            } else {
                "Erlang C"
            };
            let load = format!(
                "{:.1} Erlangs = {:.4}/s x {:.1}s measured busy time{}",
                t.offered_erlangs,
                t.arrival_rate_per_s,
                t.mean_busy_s,
                if t.approximate {
                    ", every agent leg counted as a caller"
                } else {
                    ""
                }
            );
            match (t.p_wait, t.mean_wait_s, t.service_level, t.occupancy) {
                (Some(p), Some(asa), Some(sl), Some(occ)) => {
                    let abandoned = match t.abandoned {
                        Some(a) if t.model == "erlang_a" => {
                            format!("  abandoned while waiting {:.1}%", 100.0 * a)
                        }
                        _ => String::new(),
                    };
                    let _ = writeln!(
                        s,
                        "  theory ({model}, {load}): waited {:.1}%  ASA {asa:.1}s  SL {:.1}%{abandoned}  occupancy {:.1}%",
                        100.0 * p,
                        100.0 * sl,
                        100.0 * occ
                    );
                }
                _ => {
                    let _ = writeln!(
                        s,
                        "  theory ({model}, {load}): no steady state with {} agents: the queue grows without bound",
                        cc.agents
                    );
                }
            }
            if self.throughput.simulated_s < SHORT_RUN_BUSY_TIMES * t.mean_busy_s {
                let _ = writeln!(
                    s,
                    "  (a short run, {:.0} busy times: the simulated figures include the empty start and the drain after arrivals stop, the theory is the steady state; compare over hours, e.g. --duration 8h --speed max)",
                    self.throughput.simulated_s / t.mean_busy_s.max(f64::MIN_POSITIVE)
                );
            }
        }
        let b = &cc.backlog;
        if b.overloaded {
            let cleared = match b.drained_after_s {
                Some(d) => format!("clearing them took {d:.0}s more"),
                None => "they were still waiting when the run ended".to_owned(),
            };
            let _ = writeln!(
                s,
                "  warning: the queue never drained: {} waiting when arrivals stopped; {cleared}",
                Count::of(b.waiting_at_arrivals_end, "caller")
            );
        }
    }

    /// The built-in receiver's verdict, when it was the target.
    fn render_contract(&self, s: &mut String) {
        let Some(contract) = &self.contract else {
            return;
        };
        if contract.held() {
            let began = self.conversations.started;
            let silent = contract.conversations.saturating_sub(began);
            let mut line = format!(
                "\ncontract    held: {} of {} checked by the built-in receiver",
                Count::of(contract.events, "event"),
                Count::of(contract.conversations, "conversation")
            );
            // A replay has no engine, so no count of conversations that began.
            if silent > 0 && self.replay.is_none() {
                let _ = write!(
                    line,
                    " ({began} began; {silent} sent members but never began)"
                );
            }
            let _ = writeln!(s, "{line}");
        } else {
            let _ = writeln!(s, "\ncontract    VIOLATED: {}", contract.breaches());
            for ex in &contract.examples {
                let _ = writeln!(s, "  {ex}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::conversation::Outcome;

    use super::*;

    fn stats(outcomes: &[(Outcome, u64)]) -> TypeStats {
        let mut ts = TypeStats::default();
        for &(o, n) in outcomes {
            ts.offered += n;
            if o.began() {
                ts.started += n;
                ts.ended += n;
            } else {
                ts.failed += n;
            }
            ts.by_outcome.insert(o, n);
        }
        ts
    }

    #[test]
    fn a_type_line_says_why_attempts_never_began_and_never_says_failed() {
        let line = type_line(
            "queue",
            &stats(&[
                (Outcome::Completed, 6),
                (Outcome::AbandonedWaiting, 1),
                (Outcome::AgentNoAnswer, 2),
            ]),
        );
        assert_eq!(
            line,
            "  queue          9 attempted     6 talked  · caller hung up while queued ×1, selected agent did not answer ×2"
        );
        assert!(!line.contains("failed"));
        let clean = type_line("call_out", &stats(&[(Outcome::Completed, 1)]));
        assert_eq!(clean, "  call_out       1 attempted     1 talked");
    }

    fn agent(name: &str, handled: u64, talk_s: f64) -> AgentFigures {
        AgentFigures {
            name: name.to_owned(),
            handled,
            engaged: handled,
            ringing_s: 0.0,
            talk_s,
            wrap_up_s: 30.0,
            occupancy: 0.5,
        }
    }

    fn summary_of(agents: Vec<AgentFigures>) -> String {
        let mut r = crate::report::collector::Collector::new(None, false).report(
            &crate::sim::stats::SimStats::default(),
            1.0,
            Span::ZERO,
        );
        r.contact_center.by_agent = agents;
        r.render_text()
    }

    #[test]
    fn the_summary_lists_the_ten_agents_who_handled_most_and_counts_the_rest() {
        let agents: Vec<AgentFigures> = (1..=12)
            .map(|i| agent(&format!("agent-{i:03}"), i % 5, 60.0 * i as f64))
            .collect();
        let text = summary_of(agents);
        let lines: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.starts_with("agents ("))
            .take(12)
            .collect();
        assert_eq!(lines[0], "agents (top 10 of 12 by calls handled):");
        assert_eq!(
            lines[1],
            "  agent-009  handled    4  talk       9m  after-call      30s  occupancy  50.0%  engaged    4"
        );
        // Handled 4, 4, 3, 3, …; ties go to the longer talk time.
        let order: Vec<&str> = lines[1..11].iter().map(|l| &l[2..11]).collect();
        assert_eq!(
            order,
            [
                "agent-009",
                "agent-004",
                "agent-008",
                "agent-003",
                "agent-012",
                "agent-007",
                "agent-002",
                "agent-011",
                "agent-006",
                "agent-001"
            ]
        );
        assert_eq!(
            lines[11],
            "  … 2 more in the JSON report (contact_center.by_agent)"
        );
    }

    #[test]
    fn a_small_pool_is_listed_whole_and_no_pool_not_at_all() {
        let text = summary_of(vec![agent("ann", 2, 90.0), agent("bo", 1, 10.0)]);
        assert!(
            text.contains("agents (by calls handled):\n  ann  handled    2"),
            "{text}"
        );
        assert!(!text.contains("more in the JSON report"), "{text}");
        assert!(!summary_of(Vec::new()).contains("agents ("));
    }

    #[test]
    fn the_banner_names_seed_speed_profile_target_and_api() {
        let id = RunIdentity {
            seed: 7,
            shard: None,
            profile: "documented",
            events: EventFamilies::default(),
            speed: "60",
            target: "null",
            api: Some("127.0.0.1:8700"),
        };
        let b = id.banner();
        assert!(b.starts_with("ccsim "), "{b}");
        assert!(
            b.contains("· profile documented · events conversation · seed 7 · speed 60\n"),
            "{b}"
        );
        assert!(b.contains("\ntarget: null\n"), "{b}");
        assert!(b.contains("api:    http://127.0.0.1:8700/"), "{b}");
        assert!(!RunIdentity { api: None, ..id }.banner().contains("api:"));
        let sharded = RunIdentity {
            shard: Some(Shard { index: 2, count: 4 }),
            ..id
        };
        assert!(
            sharded
                .banner()
                .contains("· seed 7 · shard 2/4 · speed 60\n"),
            "{}",
            sharded.banner()
        );
    }
}
