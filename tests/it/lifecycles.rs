//! Each conversation type and failure path, forced by its behaviour settings, produces the
//! exact documented event sequence and fields.

use std::collections::BTreeSet;

use serde_json::Value;

use ccsim::conversation::ConvType;
use ccsim::sim::agents::AgentPool;
use ccsim::sim::dist::Dist;
use ccsim::sim::workload::{Behaviour, DEFAULT_MAX_LIVE, Mechanics, SimPlan, Workload};
use ccsim::time::SimTime;
use ccsim::units::{Probability, Rate, Span};

use crate::support::{Answer, TestReceiver, assert_accounted, names, run_sim};

const START_MS: i64 = 1_700_000_000_000;

fn p(x: f64) -> Probability {
    Probability::new(x).expect("probability")
}

fn secs(s: u64) -> Span {
    Span::from_millis(s * 1000)
}

/// A plan of one conversation type where every party answers and the customer hangs up,
/// unless `tweak` says otherwise.
fn sim(kind: ConvType, agents: usize, tweak: impl FnOnce(&mut Behaviour)) -> SimPlan {
    let mut behaviour = Behaviour {
        handle_time: Dist::Uniform {
            min: secs(30),
            max: secs(120),
        },
        patience: None,
        queue_timeout: None,
        agent_answer: p(1.0),
        callee_answer: p(1.0),
        customer_hangup: p(1.0),
        user_data: p(1.0),
        ..Behaviour::default()
    };
    tweak(&mut behaviour);
    SimPlan {
        seed: 7,
        start: SimTime::from_millis(START_MS),
        agents: AgentPool::default_names(agents),
        agent_numbers: Vec::new(),
        shard: ccsim::shard::Shard::WHOLE,
        subaccount_id: None,
        scripted: Vec::new(),
        mechanics: Mechanics::default(),
        max_live: DEFAULT_MAX_LIVE,
        events: ccsim::families::EventFamilies::default(),
        abandoned_tasks: ccsim::sim::workload::AbandonedTasks::default(),
        workload: Workload {
            duration: Span::from_millis(20 * 60 * 1000),
            rates: vec![(kind, Rate::from_per_second(1.0 / 60.0))],
            ramp: Vec::new(),
            behaviour,
        },
    }
}

fn keys(e: &Value) -> BTreeSet<&str> {
    e.as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect()
}

fn set<'a>(ks: &[&'a str]) -> BTreeSet<&'a str> {
    ks.iter().copied().collect()
}

/// Runs the plan and returns each conversation's events; asserts accounting.
async fn conversations(sim: SimPlan) -> (Vec<Vec<Value>>, ccsim::report::Report) {
    let rx = TestReceiver::start(Answer::Ok).await;
    let (report, exit) = run_sim(sim, &rx.url, &[]).await;
    assert_eq!(exit, ccsim::Exit::Ok, "{}", report.render_text());
    assert_accounted(&report);
    assert_eq!(report.events.delivered as usize, rx.events().len());
    (rx.by_conversation().into_values().collect(), report)
}

fn outcome(report: &ccsim::report::Report, kind: &str, outcome: &str) -> u64 {
    let ts = &report.conversations.by_type[kind];
    serde_json::to_value(&ts.by_outcome).expect("json")[outcome]
        .as_u64()
        .unwrap_or(0)
}

/// A conversation that began and ended: both parties join, begin, one leaves, end.
const BEGAN_AND_ENDED: [&str; 5] = [
    "parts_changed",
    "parts_changed",
    "begin",
    "parts_changed",
    "end",
];
/// Both parties joined, then one left: no begin, no end.
const JOINED_NEVER_BEGAN: [&str; 3] = ["parts_changed", "parts_changed", "parts_changed"];

/// Runs `sim` and asserts that it produced conversations, that every one of them sent
/// exactly `sequence`, and that every one ended with `outcome_name`; returns them.
async fn every_conversation(
    sim: SimPlan,
    kind: &str,
    outcome_name: &str,
    sequence: &[&str],
) -> Vec<Vec<Value>> {
    let (convs, report) = conversations(sim).await;
    assert!(!convs.is_empty(), "no {kind} conversation sent anything");
    for events in &convs {
        assert_eq!(names(events), sequence);
    }
    assert_eq!(
        outcome(&report, kind, outcome_name),
        convs.len() as u64,
        "every {kind} ended {outcome_name}"
    );
    convs
}

#[tokio::test]
async fn a_queue_call_ended_by_the_customer_sends_join_join_begin_leave_end() {
    let convs = every_conversation(
        sim(ConvType::Queue, 3, |_| {}),
        "queue",
        "completed",
        &BEGAN_AND_ENDED,
    )
    .await;
    assert!(
        convs.len() >= 5,
        "expected several conversations, got {}",
        convs.len()
    );
    for events in &convs {
        let (begin, end) = (&events[2], &events[4]);
        assert_eq!(
            keys(begin),
            set(&["action", "event", "id", "type", "queue_id", "user_data"])
        );
        assert_eq!(begin["type"], "queue");
        assert_eq!(
            keys(end),
            set(&[
                "action",
                "event",
                "id",
                "type",
                "begin_time",
                "end_time",
                "record_file",
                "queue_id",
                "end_reason",
                "user_data"
            ])
        );
        assert_eq!(end["queue_id"], begin["queue_id"]);
        assert_eq!(end["end_reason"], "customer_hangup");
        let (b, e) = (
            end["begin_time"].as_i64().expect("ms"),
            end["end_time"].as_i64().expect("ms"),
        );
        assert!(
            b >= START_MS && e - b >= 30_000 && e - b <= 120_001,
            "talk of {} ms",
            e - b
        );
        for ev in events {
            assert_eq!(ev["action"], "event_notify");
            assert_eq!(ev["user_data"], begin["user_data"]);
        }
        let pc = &events[0];
        assert_eq!(
            keys(pc),
            set(&["action", "event", "id", "user_data"]),
            "parts_changed has no type"
        );
    }
}

#[tokio::test]
async fn a_queue_call_ended_by_the_agent_says_agent_hangup() {
    let convs = every_conversation(
        sim(ConvType::Queue, 3, |b| b.customer_hangup = p(0.0)),
        "queue",
        "completed",
        &BEGAN_AND_ENDED,
    )
    .await;
    for events in &convs {
        assert_eq!(events[4]["end_reason"], "agent_hangup");
    }
}

#[tokio::test]
async fn a_call_out_names_the_agents_call_in_begin_and_end() {
    let convs = every_conversation(
        sim(ConvType::CallOut, 3, |_| {}),
        "call_out",
        "completed",
        &BEGAN_AND_ENDED,
    )
    .await;
    for events in &convs {
        let (begin, end) = (&events[2], &events[4]);
        assert_eq!(
            keys(begin),
            set(&[
                "action",
                "event",
                "id",
                "type",
                "agent_call_id",
                "user_data"
            ])
        );
        assert_eq!(begin["type"], "call_out");
        assert_eq!(end["agent_call_id"], begin["agent_call_id"]);
        assert!(end.get("queue_id").is_none());
        assert_eq!(end["end_reason"], "customer_hangup", "the callee hung up");
    }
}

#[tokio::test]
async fn a_call_agent_conversation_joins_both_agents_before_begin() {
    let convs = every_conversation(
        sim(ConvType::CallAgent, 4, |_| {}),
        "call_agent",
        "completed",
        &BEGAN_AND_ENDED,
    )
    .await;
    for events in &convs {
        let (begin, end) = (&events[2], &events[4]);
        assert_eq!(begin["type"], "call_agent");
        assert!(
            begin["agent_call_id"]
                .as_str()
                .is_some_and(|s| s.len() == 32)
        );
        assert!(
            begin.get("queue_id").is_none(),
            "documented: queue_id only for queue"
        );
        assert!(
            end.get("agent_call_id").is_none(),
            "documented: end names the agent call only for call_out"
        );
        assert_eq!(end["end_reason"], "agent_hangup");
    }
}

#[tokio::test]
async fn an_agent_who_does_not_answer_leaves_joins_and_a_leave_but_no_begin_or_end() {
    let (convs, report) = conversations(sim(ConvType::Queue, 3, |b| b.agent_answer = p(0.0))).await;
    assert!(!convs.is_empty());
    for events in &convs {
        assert_eq!(names(events), JOINED_NEVER_BEGAN);
    }
    assert_eq!(
        outcome(&report, "queue", "agent_no_answer"),
        convs.len() as u64
    );
    assert_eq!(report.conversations.started, 0);
}

#[tokio::test]
async fn a_callee_who_does_not_answer_ends_the_call_out_without_begin_or_end() {
    every_conversation(
        sim(ConvType::CallOut, 3, |b| b.callee_answer = p(0.0)),
        "call_out",
        "callee_no_answer",
        &JOINED_NEVER_BEGAN,
    )
    .await;
}

#[tokio::test]
async fn an_initiating_agent_who_does_not_answer_creates_no_conversation() {
    let (convs, report) =
        conversations(sim(ConvType::CallOut, 3, |b| b.agent_answer = p(0.0))).await;
    assert!(convs.is_empty());
    assert!(outcome(&report, "call_out", "initiator_no_answer") > 0);
    assert_eq!(report.events.emitted, 0);
}

#[tokio::test]
async fn callers_with_no_agent_until_the_queue_timeout_send_nothing() {
    let (convs, report) = conversations(sim(ConvType::Queue, 0, |b| {
        b.queue_timeout = Some(secs(60))
    }))
    .await;
    assert!(convs.is_empty());
    let offered = report.conversations.by_type["queue"].offered;
    assert!(offered > 0);
    assert_eq!(outcome(&report, "queue", "queue_timeout"), offered);
}

#[tokio::test]
async fn callers_who_abandon_while_waiting_send_nothing() {
    let (convs, report) = conversations(sim(ConvType::Queue, 0, |b| {
        b.patience = Some(Dist::fixed(secs(30)))
    }))
    .await;
    assert!(convs.is_empty());
    let offered = report.conversations.by_type["queue"].offered;
    assert_eq!(outcome(&report, "queue", "abandoned_waiting"), offered);
}

#[tokio::test]
async fn a_caller_who_abandons_while_the_agent_rings_leaves_after_both_joined() {
    let ringing_too_long = sim(ConvType::Queue, 3, |b| {
        b.patience = Some(Dist::fixed(secs(5)));
        b.agent_ring = Dist::fixed(secs(20));
    });
    every_conversation(
        ringing_too_long,
        "queue",
        "abandoned_ringing",
        &JOINED_NEVER_BEGAN,
    )
    .await;
}

#[tokio::test]
async fn a_call_agent_with_no_second_agent_free_times_out_without_begin() {
    let (convs, report) = conversations(sim(ConvType::CallAgent, 1, |b| {
        b.queue_timeout = Some(secs(30))
    }))
    .await;
    assert!(!convs.is_empty());
    for events in &convs {
        assert_eq!(
            names(events),
            ["parts_changed", "parts_changed"],
            "agent A joins, then leaves"
        );
    }
    assert_eq!(
        outcome(&report, "call_agent", "queue_timeout"),
        convs.len() as u64
    );
}

#[tokio::test]
async fn the_same_seed_gives_the_same_ids_payloads_and_order() {
    let run = || async {
        let (convs, _) = conversations(sim(ConvType::Queue, 2, |b| {
            b.patience = Some(Dist::fixed(secs(40)))
        }))
        .await;
        convs
    };
    let (a, b) = (run().await, run().await);
    assert!(!a.is_empty());
    assert_eq!(a, b);
    let mut other = sim(ConvType::Queue, 2, |_| {});
    other.seed = 8;
    let (c, _) = conversations(other).await;
    assert_ne!(a[0][0]["id"], c[0][0]["id"]);
}

#[tokio::test]
async fn the_embedded_default_mixes_all_types_with_failure_paths_and_holds_the_contract() {
    let mut plan = crate::support::plan_from_args(&["--speed", "max", "--seed", "1"]);
    plan.sim.start = SimTime::from_millis(START_MS);
    let (report, exit) = ccsim::run_plan(plan, tokio_util::sync::CancellationToken::new())
        .await
        .expect("run");
    assert_eq!(exit, ccsim::Exit::Ok, "{}", report.render_text());
    assert_accounted(&report);
    let contract = report
        .contract
        .as_ref()
        .expect("built-in receiver checks the contract");
    assert!(
        contract.held() && contract.events == report.events.delivered,
        "{contract:?}"
    );
    for kind in ["queue", "call_out", "call_agent"] {
        assert!(
            report.conversations.by_type[kind].started > 0,
            "{kind} began at least once"
        );
    }
    assert!(report.conversations.failed > 0, "at least one failure path");
}
