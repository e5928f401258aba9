//! Every example in `scenarios/` runs here: through the engine and the event builder (the
//! exact webhook sequence of each conversation and its key fields), and the CI smoke
//! example through the whole `run_plan` pipeline to the built-in receiver on 127.0.0.1:0.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Parser;
use serde_json::Value;

use ccsim::cli::{Cli, Command};
use ccsim::event::EventBuilder;
use ccsim::event::profile::Profile;
use ccsim::plan::RunPlan;
use ccsim::scenario::{Overrides, load_paths};
use ccsim::sim::engine::Engine;
use ccsim::time::SimTime;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

/// What a run of an example produced.
struct Outcome {
    /// One line per conversation that sent webhooks, in order of its first webhook:
    /// `type: event event … end(reason)`.
    lines: Vec<String>,
    /// The line of each conversation that sent webhooks, by id.
    by_id: BTreeMap<String, String>,
    /// Every payload, in emission order.
    payloads: Vec<Value>,
    /// Attempts by outcome, over all types (`completed`, `queue_timeout`, …).
    outcomes: BTreeMap<String, u64>,
}

fn run(name: &str, seed: Option<u64>) -> Outcome {
    let scenario = load_paths(
        &[example(name)],
        &Overrides::default(),
        SimTime::from_millis(0),
    )
    .unwrap_or_else(|p| panic!("{name} is invalid: {p:?}"));
    let mut sim = scenario.sim;
    if let Some(seed) = seed {
        sim.seed = seed;
    }
    let builder = EventBuilder::new(Profile::documented());
    let mut engine = Engine::new(sim);
    let mut webhooks = Vec::new();
    let mut kinds: BTreeMap<String, String> = BTreeMap::new();
    while let Some(h) = engine.next_happening() {
        kinds.insert(h.conv.id.to_string(), h.conv.kind.to_string());
        builder.build_conversation(&h, &mut webhooks);
    }
    assert!(
        engine.script_errors().is_empty(),
        "{:?}",
        engine.script_errors()
    );
    let payloads: Vec<Value> = webhooks
        .iter()
        .map(|w| serde_json::from_slice(&w.body).expect("json body"))
        .collect();
    let mut order: Vec<String> = Vec::new();
    let mut by_conv: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in &payloads {
        let id = p["id"].as_str().expect("id").to_owned();
        let event = p["event"].as_str().expect("event");
        let short = event
            .trim_start_matches("callcenter.conversation.")
            .to_owned();
        let short = match p["end_reason"].as_str() {
            Some(reason) => format!("{short}({reason})"),
            None => short,
        };
        if !by_conv.contains_key(&id) {
            order.push(id.clone());
        }
        by_conv.entry(id).or_default().push(short);
    }
    let by_id: BTreeMap<String, String> = order
        .iter()
        .map(|id| {
            let kind = kinds.get(id).map_or("?", String::as_str);
            (id.clone(), format!("{kind}: {}", by_conv[id].join(" ")))
        })
        .collect();
    let lines = order.iter().map(|id| by_id[id].clone()).collect();
    let stats = engine.finish();
    let mut outcomes = BTreeMap::new();
    for t in stats.by_type.values() {
        for (o, n) in &t.by_outcome {
            let key = serde_json::to_string(o)
                .expect("outcome")
                .trim_matches('"')
                .to_owned();
            *outcomes.entry(key).or_insert(0) += n;
        }
    }
    Outcome {
        lines,
        by_id,
        payloads,
        outcomes,
    }
}

fn outcomes(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

fn first<'a>(o: &'a Outcome, event: &str) -> &'a Value {
    o.payloads
        .iter()
        .find(|p| p["event"] == format!("callcenter.conversation.{event}"))
        .unwrap_or_else(|| panic!("no {event}"))
}

const HAPPY: &str = "parts_changed parts_changed begin parts_changed";

#[test]
fn the_queue_happy_path_sends_its_documented_sequence_with_the_fixed_ids() {
    let o = run("queue-happy-path.toml", None);
    assert_eq!(o.lines, [format!("queue: {HAPPY} end(customer_hangup)")]);
    let begin = first(&o, "begin");
    assert_eq!(begin["id"], "0123456789abcdef0123456789abcdef");
    assert_eq!(begin["queue_id"], "00000000000000000000000000000001");
    assert_eq!(begin["user_data"], "ticket=42");
    let end = first(&o, "end");
    // start 2026-01-05T01:00:00Z + 10 s + 40 s + 2 s + 5 s = begin; + 3 min = end.
    assert_eq!(end["begin_time"], 1_767_574_857_000i64);
    assert_eq!(end["end_time"], 1_767_575_037_000i64);
    assert_eq!(o.outcomes, outcomes(&[("completed", 1)]));
}

#[test]
fn the_call_out_happy_path_in_json_names_the_agents_call_and_ends_by_agent_hangup() {
    let o = run("call-out-happy-path.json", None);
    assert_eq!(o.lines, [format!("call_out: {HAPPY} end(agent_hangup)")]);
    let begin = first(&o, "begin");
    assert_eq!(begin["id"], "c0000000000000000000000000000001");
    assert!(begin.get("queue_id").is_none(), "call_out has no queue");
    let end = first(&o, "end");
    assert_eq!(end["agent_call_id"], begin["agent_call_id"]);
    assert_eq!(end["user_data"], "campaign=renewals");
}

#[test]
fn the_call_agent_happy_path_begins_when_agent_b_answers() {
    let o = run("call-agent-happy-path.toml", None);
    assert_eq!(o.lines, [format!("call_agent: {HAPPY} end(agent_hangup)")]);
    assert_eq!(first(&o, "begin")["id"], "ca000000000000000000000000000001");
}

#[test]
fn a_queue_timeout_sends_nothing_for_the_waiting_call() {
    let o = run("queue-timeout.toml", None);
    assert_eq!(o.lines, [format!("queue: {HAPPY} end(customer_hangup)")]);
    assert_eq!(
        o.outcomes,
        outcomes(&[("completed", 1), ("queue_timeout", 1)])
    );
}

#[test]
fn an_agent_who_does_not_answer_leaves_parts_changed_but_no_begin_or_end() {
    let o = run("agent-no-answer.toml", None);
    assert_eq!(
        o.lines,
        ["queue: parts_changed parts_changed parts_changed"]
    );
    assert_eq!(o.outcomes, outcomes(&[("agent_no_answer", 1)]));
}

#[test]
fn call_out_failures_send_no_begin_and_an_unanswered_agent_creates_nothing() {
    let o = run("call-out-failures.toml", None);
    assert_eq!(
        o.lines,
        ["call_out: parts_changed parts_changed parts_changed"]
    );
    assert_eq!(
        o.outcomes,
        outcomes(&[("callee_no_answer", 1), ("initiator_no_answer", 1)])
    );
}

#[test]
fn a_customer_abandoning_while_waiting_sends_nothing() {
    let o = run("abandon-waiting.toml", None);
    assert_eq!(o.lines, [format!("queue: {HAPPY} end(agent_hangup)")]);
    assert_eq!(
        o.outcomes,
        outcomes(&[("abandoned_waiting", 1), ("completed", 1)])
    );
}

#[test]
fn a_customer_abandoning_while_the_agent_rings_sends_no_begin_or_end() {
    let o = run("abandon-ringing.toml", None);
    assert_eq!(
        o.lines,
        ["queue: parts_changed parts_changed parts_changed"]
    );
    assert_eq!(o.outcomes, outcomes(&[("abandoned_ringing", 1)]));
}

#[test]
fn an_invited_agent_joins_without_a_second_begin_and_the_conversation_outlives_the_customer() {
    let o = run("invite-agent.toml", None);
    assert_eq!(
        o.lines,
        [
            "queue: parts_changed parts_changed begin parts_changed parts_changed parts_changed end(agent_hangup)"
        ]
    );
    assert_eq!(first(&o, "end")["user_data"], "vip=true");
}

#[test]
fn an_invited_number_joins_and_leaves_while_the_conversation_goes_on() {
    let o = run("invite-out.toml", None);
    assert_eq!(
        o.lines,
        [
            "queue: parts_changed parts_changed begin parts_changed parts_changed parts_changed end(agent_hangup)"
        ]
    );
}

#[test]
fn an_agent_exit_leaves_the_conversation_running_until_the_customer_hangs_up() {
    let o = run("agent-exit.toml", None);
    assert_eq!(
        o.lines,
        [
            "queue: parts_changed parts_changed begin parts_changed parts_changed parts_changed end(customer_hangup)"
        ]
    );
}

#[test]
fn an_api_dismissal_ends_with_dismissed_or_the_scripted_reason() {
    let o = run("api-dismiss.toml", None);
    assert_eq!(
        o.lines,
        [
            "queue: parts_changed parts_changed begin end(dismissed)",
            "queue: parts_changed parts_changed begin end(transferred)",
        ]
    );
}

#[test]
fn the_maximum_duration_ends_conversations_at_six_hours_or_the_scripted_limit() {
    let o = run("max-duration.toml", None);
    assert_eq!(
        o.lines,
        [
            "queue: parts_changed parts_changed begin end(max_duration)",
            "queue: parts_changed parts_changed begin end(max_duration)",
        ]
    );
    let ends: Vec<&Value> = o
        .payloads
        .iter()
        .filter(|p| p["event"] == "callcenter.conversation.end")
        .collect();
    let start = 1_767_574_800_000i64; // 2026-01-05T09:00:00+08:00
    // The scripted limit first (10 min in), then the platform's 6 h after creation (2 s in).
    assert_eq!(ends[0]["end_time"], start + 600_000);
    assert_eq!(ends[1]["end_time"], start + 2_000 + 6 * 3_600_000);
}

/// Every conversation's webhooks follow the contract: parts_changed first; then either no
/// begin and no end, or one begin and one end, the end last.
fn assert_contract_shapes(o: &Outcome) {
    for line in &o.lines {
        let events: Vec<&str> = line.split_once(": ").expect("line").1.split(' ').collect();
        assert!(events[0] == "parts_changed", "{line}");
        let begins = events.iter().filter(|e| **e == "begin").count();
        let ends = events.iter().filter(|e| e.starts_with("end")).count();
        assert_eq!(begins, ends, "{line}");
        assert!(begins <= 1, "{line}");
        if ends == 1 {
            assert!(
                events.last().is_some_and(|e| e.starts_with("end")),
                "{line}"
            );
        }
    }
}

fn count_events(o: &Outcome) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for p in &o.payloads {
        let e = p["event"].as_str().expect("event");
        *counts
            .entry(e.trim_start_matches("callcenter.conversation.").to_owned())
            .or_insert(0) += 1;
    }
    counts
}

#[test]
fn the_ramp_example_mixes_generated_traffic_with_its_scripted_call() {
    let o = run("ramp.toml", None);
    assert_contract_shapes(&o);
    let scripted = format!("call_out: {HAPPY} end(customer_hangup)");
    assert!(o.lines.contains(&scripted), "the scripted call is there");
    // The sub-account applies to generated and scripted conversations alike.
    assert!(
        o.payloads
            .iter()
            .filter(|p| p["event"] == "callcenter.conversation.begin")
            .all(|p| p["subaccount_id"] == "8a2d9fed5a117dbb015a1201db300004")
    );
    let offered: u64 = o.outcomes.values().sum();
    assert_eq!(offered, 463, "deterministic by seed");
    assert_eq!(
        count_events(&o),
        BTreeMap::from([
            ("begin".to_owned(), 383),
            ("end".to_owned(), 383),
            ("parts_changed".to_owned(), 1267)
        ])
    );
}

#[test]
fn the_default_scenario_runs_all_three_types_with_failure_paths() {
    let o = run("default.toml", Some(1));
    assert_contract_shapes(&o);
    for kind in ["queue", "call_out", "call_agent"] {
        assert!(
            o.lines.iter().any(|l| l.starts_with(kind)),
            "{kind} present"
        );
    }
    assert!(o.outcomes.get("completed").is_some_and(|n| *n > 0));
    assert!(
        o.outcomes.keys().any(|k| k != "completed"),
        "some failure path: {:?}",
        o.outcomes
    );
}

#[test]
fn the_ci_smoke_example_is_deterministic() {
    let o = run("ci-smoke.json", None);
    assert_contract_shapes(&o);
    let scripted: Vec<&str> = [
        "5c000000000000000000000000000001",
        "5c000000000000000000000000000002",
        "5c000000000000000000000000000003",
    ]
    .iter()
    .map(|id| o.by_id[*id].as_str())
    .collect();
    assert_eq!(
        scripted,
        [
            format!("queue: {HAPPY} end(customer_hangup)").as_str(),
            &format!("call_out: {HAPPY} end(agent_hangup)"),
            "call_agent: parts_changed parts_changed parts_changed",
        ]
    );
    let again = run("ci-smoke.json", None);
    assert_eq!(o.payloads, again.payloads);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ci_smoke_example_runs_end_to_end_through_the_built_in_receiver() {
    let path = example("ci-smoke.json");
    let plan = plan_of(&["--quiet"], &path);
    assert_eq!(plan.sim.seed, 15, "the file's seed");
    let (report, exit) = ccsim::run_plan(plan, tokio_util::sync::CancellationToken::new())
        .await
        .expect("runs");
    assert_eq!(exit, ccsim::Exit::Ok, "{:?}", report.thresholds.breached);
    let expected = run("ci-smoke.json", None).payloads.len() as u64;
    assert_eq!(report.events.emitted, expected);
    assert_eq!(report.events.delivered, expected);
    assert!(report.contract.as_ref().is_some_and(|c| c.held()));
}

#[test]
fn the_agent_board_example_sends_every_family_in_the_platforms_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("events.jsonl");
    let file = example("agent-board.toml");
    let o = crate::binary::ccsim(&[
        "run",
        file.to_str().expect("utf-8 path"),
        "--api",
        "off",
        "--events-log",
        log.to_str().expect("utf-8 path"),
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("contract    held: 23 events"), "{out}");
    let mut lines: Vec<Value> = std::fs::read_to_string(&log)
        .expect("events log")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    lines.sort_by_key(|l| l["seq"].as_u64());
    let said: Vec<String> = lines
        .iter()
        .map(|l| {
            let p = &l["payload"];
            let text = |k: &str| p[k].as_str().unwrap_or("").to_owned();
            let event = text("event").replace("callcenter.", "");
            match event.as_str() {
                "agent.state_changed" => format!(
                    "{} {}→{}",
                    text("name"),
                    text("previous_state"),
                    text("latest_state")
                ),
                "agent.conversation_changed" => format!("{} {}", text("name"), text("type")),
                "queue.select" | "queue.success" => {
                    format!("{event} {} {}", text("type"), text("agent_name"))
                }
                _ => event,
            }
        })
        .collect();
    assert_eq!(
        said,
        [
            "queue.select ivr 1001",
            "1001 idle→fetching",
            "conversation.parts_changed",
            "1001 enter",
            "conversation.parts_changed",
            "1001 fetching→talking",
            "conversation.begin",
            "queue.success ivr 1001",
            "queue.select invite_agent 1002",
            "1002 idle→fetching",
            "1002 enter",
            "conversation.parts_changed",
            "1002 fetching→talking",
            "queue.success invite_agent 1002",
            "1002 exit",
            "conversation.parts_changed",
            "1002 talking→busy",
            "1002 busy→idle",
            "conversation.parts_changed",
            "1001 exit",
            "1001 talking→busy",
            "conversation.end",
            "1001 busy→idle",
        ]
    );
    let select = &lines[0]["payload"];
    assert_eq!(select["condition_id"], "40288aca587659820158765c305f0000");
}

#[test]
fn every_example_in_the_folder_is_run_by_a_test_here() {
    let source = include_str!("scenarios.rs");
    let mut names: Vec<String> = std::fs::read_dir(example(""))
        .expect("scenarios/")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in names {
        assert!(
            source.contains(&format!("\"{name}\"")),
            "{name} has no test"
        );
    }
}

/// The plan of `ccsim run FILE FLAGS…`.
fn plan_of(flags: &[&str], file: &Path) -> RunPlan {
    let file = file.to_str().expect("utf-8 path");
    let args = ["ccsim", "run", file]
        .into_iter()
        .chain(flags.iter().copied());
    let cli = Cli::try_parse_from(args).expect("valid command line");
    let Command::Run(args) = cli.command else {
        panic!("run")
    };
    args.plan().expect("valid plan")
}

async fn exit_of(args: &[&str]) -> Result<ccsim::Exit, ccsim::RunError> {
    let cli = Cli::try_parse_from(args).expect("valid command line");
    ccsim::run(cli, tokio_util::sync::CancellationToken::new()).await
}

#[tokio::test]
async fn validate_exits_0_when_every_file_is_valid_and_2_otherwise() {
    let good = example("queue-happy-path.toml");
    let good = good.to_str().expect("utf-8 path");
    assert_eq!(
        exit_of(&["ccsim", "validate", good]).await.ok(),
        Some(ccsim::Exit::Ok)
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"seed": "seven"}"#).expect("write");
    let bad = bad.to_str().expect("utf-8 path");
    assert_eq!(
        exit_of(&["ccsim", "validate", good, bad]).await.ok(),
        Some(ccsim::Exit::Usage)
    );
}

#[tokio::test]
async fn run_refuses_an_invalid_file_with_every_problem_and_exit_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "seed = -1\nspeed = \"fast\"\n").expect("write");
    let err = exit_of(&[
        "ccsim",
        "run",
        bad.to_str().expect("utf-8 path"),
        "--target",
        "null",
    ])
    .await
    .expect_err("invalid");
    assert_eq!(err.exit(), ccsim::Exit::Usage);
    let shown = err.to_string();
    assert!(
        shown.starts_with("invalid scenario (2 problems):\n"),
        "{shown}"
    );
    assert!(
        shown.contains("bad.toml:1:8: seed: invalid value: integer `-1`"),
        "{shown}"
    );
    assert!(
        shown.contains("bad.toml:2:9: speed: expected a positive number or \"max\""),
        "{shown}"
    );
}

#[test]
fn flags_override_the_files_settings() {
    let flags = [
        "--seed",
        "99",
        "--speed",
        "5",
        "--start-time",
        "1767225600000",
        "--agents",
        "3",
    ];
    let plan = plan_of(&flags, &example("queue-happy-path.toml"));
    assert_eq!(plan.sim.seed, 99);
    assert_eq!(plan.speed, ccsim::units::Speed::Factor(5.0));
    assert_eq!(plan.sim.start, SimTime::from_millis(1_767_225_600_000));
    assert_eq!(plan.sim.agents.len(), 3);
}

#[test]
fn validate_says_what_each_valid_file_holds() {
    let v = ccsim::cmd::validate::validate_files(&[
        example("invite-out.toml"),
        example("ci-smoke.json"),
    ]);
    let (ok, problems) = (v.ok, v.problems);
    assert!(problems.is_empty(), "{problems:?}");
    assert!(v.warnings.is_empty(), "{:?}", v.warnings);
    assert!(
        ok[0].ends_with("invite-out.toml: ok (1 scripted conversation, 1 agent)"),
        "{ok:?}"
    );
    assert!(
        ok[1].ends_with(
            "ci-smoke.json: ok (3 scripted conversations, 12 agents, generated workload for 1m)"
        ),
        "{ok:?}"
    );
}

/// A natural scenario: a queue call answered by 1001, who invites 1002; the customer hangs
/// up and nobody else does.
const TWO_AGENTS_LEFT: &str = r#"
speed = "max"
[agents]
names = ["1001", "1002"]
[[conversations]]
type = "queue"
timeline = [
  { do = "enqueue" },
  { after = "10s", do = "select", agent = "1001" },
  { after = "5s", do = "answer", agent = "1001" },
  { after = "1m", do = "invite_agent", agent = "1002" },
  { after = "5s", do = "answer", agent = "1002" },
  { after = "2m", do = "hangup", party = "customer" },
]
"#;

#[test]
fn validate_warns_when_only_the_six_hour_limit_ends_a_conversation_and_says_how_to_end_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("two-agents-left.toml");
    std::fs::write(&file, TWO_AGENTS_LEFT).expect("write");
    let v = ccsim::cmd::validate::validate_files(std::slice::from_ref(&file));
    assert!(v.problems.is_empty(), "{:?}", v.problems);
    assert!(
        v.ok[0].ends_with("ok (1 scripted conversation, 2 agents, 1 warning)"),
        "{:?}",
        v.ok
    );
    let w = v.warnings[0].to_string();
    assert!(
        w.contains("two-agents-left.toml:13:"),
        "placed at the last step: {w}"
    );
    assert!(
        w.contains("6-hour limit")
            && w.contains(r#"agent "1001" and agent "1002" are still in it"#)
            && w.contains(r#"{ after = "…", do = "hangup", agent = "1001" }"#)
            && w.contains(r#"do = "dismiss""#),
        "{w}"
    );
    // The real binary: the warning on stderr, exit 0 (the file is valid).
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_ccsim"))
        .args(["validate", file.to_str().expect("utf-8 path")])
        .output()
        .expect("run ccsim validate");
    assert_eq!(o.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("warning: only the platform's 6-hour limit")
    );
    // With the suggested hang-up, no warning.
    let fixed = TWO_AGENTS_LEFT.replace(
        "  { after = \"2m\", do = \"hangup\", party = \"customer\" },\n",
        "  { after = \"2m\", do = \"hangup\", party = \"customer\" },\n  { after = \"20s\", do = \"hangup\", agent = \"1001\" },\n",
    );
    std::fs::write(&file, fixed).expect("write");
    let v = ccsim::cmd::validate::validate_files(std::slice::from_ref(&file));
    assert!(
        v.problems.is_empty() && v.warnings.is_empty(),
        "{:?}",
        v.warnings
    );
    // The example that relies on the limit on purpose is warned about, its other
    // conversation (ended by a max_duration step) is not.
    let v = ccsim::cmd::validate::validate_files(&[example("max-duration.toml")]);
    assert_eq!(v.warnings.len(), 1, "{:?}", v.warnings);
    assert!(v.warnings[0].message.starts_with("conversations[0]:"));
}

#[test]
fn a_scripted_run_reports_the_time_its_conversations_took_not_the_six_hour_horizon() {
    let plan = ccsim::scenario::load_paths(
        &[example("queue-happy-path.toml")],
        &ccsim::scenario::Overrides::default(),
        SimTime::from_millis(1_700_000_000_000),
    )
    .expect("valid")
    .sim;
    let last = plan.scripted[0].steps.last().expect("steps").at;
    let span = last.since(plan.start).as_secs_f64();
    let mut engine = Engine::new(plan);
    let mut last_happening = None;
    for h in engine.by_ref() {
        last_happening = Some(h.at);
    }
    let stats = engine.finish();
    assert!(last_happening.is_some());
    assert!(
        (stats.simulated_s - span).abs() < 1.0,
        "simulated {} s, the timeline {span} s",
        stats.simulated_s
    );
    let busy = stats.agent_busy_s / (stats.agent_count as f64 * stats.simulated_s);
    assert!(
        busy > 0.1,
        "occupancy over the conversation's own time: {busy}"
    );
}
