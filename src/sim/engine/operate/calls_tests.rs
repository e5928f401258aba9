//! The exact event sequences (conversation, agent and queue families) of each call
//! operation on its happy path and its failure paths, and each refusal's code.

use std::sync::Arc;

use crate::conversation::ConvType;
use crate::operation::{
    self, Answer, CallRef, Code, Enqueue, InboundCall, Instruction, Mode, Operation, Route,
};
use crate::sim::behaviour::Behaviour;
use crate::sim::mechanics::Mechanics;
use crate::units::Span;

use super::super::Engine;
use super::super::testing::{engine, secs};
use super::agents::tests as agents_tests;

/// An engine of `agents` idle agents (the fixed test timings as `tweak` leaves them) that
/// announces every family.
fn ops_engine(agents: usize, tweak: impl FnOnce(&mut Behaviour, &mut Mechanics)) -> Engine {
    let mut e = engine(agents, tweak);
    e.plan.events = crate::families::EventFamilies::all();
    e
}

fn s(x: &str) -> Arc<str> {
    Arc::from(x)
}

fn call_out(agent: &str, to: &str) -> Operation {
    Operation::CallOut(operation::CallOut {
        agent: s(agent),
        to: s(to),
        from: None,
        max_dial_seconds: None,
        max_answer_seconds: 3_600,
        user_data: Some(s("order=1")),
    })
}

fn enqueue(route: Route) -> Enqueue {
    Enqueue {
        route,
        user_data: None,
        reserve_state: None,
        conversation_timeout: None,
        queue_timeout: None,
        fetch_timeout: None,
        priority: None,
    }
}

impl Engine {
    /// Moves the clock to `ms` after the start and carries out `op` there.
    fn op_at(&mut self, ms: u64, op: Operation) -> Result<Answer, operation::Refusal> {
        self.advance_to(self.plan.start + Span::from_millis(ms));
        self.operate(op)
    }

    /// The id of live conversation `key`.
    fn id_of(&self, key: u64) -> Arc<str> {
        s(self.convs[&key].id.as_str())
    }

    /// The refusal code of `op` at `ms`.
    fn code_at(&mut self, ms: u64, op: Operation) -> Code {
        match self.op_at(ms, op) {
            Err(r) => r.code,
            Ok(a) => panic!("accepted: {a:?}"),
        }
    }
}

/// Runs to the end: every family's lines.
fn show(e: &mut Engine) -> Vec<String> {
    e.transcript_all()
}

fn inject(from: &str) -> Operation {
    Operation::InjectCall(InboundCall {
        from: Some(s(from)),
        user_data: Some(s("ticket=7")),
        condition: None,
        queue_timeout: None,
        patience: None,
        talk: None,
    })
}

fn instruct(call: CallRef, instruction: Instruction) -> Operation {
    Operation::Instruct { call, instruction }
}

#[test]
fn a_call_out_rings_the_agent_then_the_callee_and_begins_in_the_platforms_order() {
    let mut e = ops_engine(2, |_, _| {});
    assert_eq!(
        e.op_at(0, call_out("agent-001", "13800000002")),
        Ok(Answer::True)
    );
    let id = e.id_of(0);
    assert_eq!(e.convs[&0].user_data.as_deref(), Some("order=1"));
    let first = e.out.front().cloned();
    let Some(crate::occurrence::Occurrence::Agent(h)) = first else {
        panic!("idle→fetching at once: {first:?}")
    };
    assert_eq!(
        h.user_data.as_deref(),
        Some("order=1"),
        "the API's user data"
    );
    assert_eq!(
        show(&mut e),
        [
            "0.000 agent-001 idle→fetching",
            "5.000 agent-001 fetching→talking",
            "5.000 #0 created",
            "5.200 agent-001 enters #0 (talking)",
            "5.200 #0 agent-001 joins",
            "8.200 #0 callee joins",
            "10.200 #0 begins (callee answered)",
            "20.200 #0 callee leaves",
            "20.200 agent-001 exits #0 (talking)",
            "20.200 agent-001 talking→idle",
            "20.200 #0 released: customer_hangup",
        ],
        "…0002 answers after 2 s and hangs up 10 s later; the id was {id}"
    );
}

#[test]
fn a_call_out_whose_agent_does_not_pick_up_is_fetching_then_idle_and_nothing_else() {
    let mut e = ops_engine(1, |b, _| b.agent_answer = super::super::testing::p(0.0));
    e.op_at(0, call_out("agent-001", "13800000002"))
        .expect("placed");
    assert_eq!(
        show(&mut e),
        [
            "0.000 agent-001 idle→fetching",
            "50.000 agent-001 fetching→idle"
        ]
    );
}

#[test]
fn a_callee_that_never_answers_rings_until_max_dial_seconds_and_drops_the_agent() {
    let mut e = ops_engine(1, |_, _| {});
    let Operation::CallOut(mut call) = call_out("agent-001", "13800000000") else {
        unreachable!()
    };
    call.max_dial_seconds = Some(20);
    e.op_at(0, Operation::CallOut(call)).expect("placed");
    assert_eq!(
        show(&mut e)[5..],
        [
            "8.200 #0 callee joins",
            "28.200 #0 callee leaves",
            "28.200 agent-001 exits #0 (talking)",
            "28.200 agent-001 talking→idle",
            "28.200 #0 released before begin: customer_hangup",
        ]
    );
}

#[test]
fn a_busy_callee_fails_at_once_without_ringing() {
    let mut e = ops_engine(1, |_, _| {});
    e.op_at(0, call_out("agent-001", "02155550001"))
        .expect("placed");
    assert_eq!(
        show(&mut e)[5..],
        [
            "8.200 agent-001 exits #0 (talking)",
            "8.200 agent-001 talking→idle",
            "8.200 #0 released before begin: customer_hangup",
        ],
        "the callee never joins"
    );
}

#[test]
fn a_callee_that_never_hangs_up_talks_until_max_answer_seconds() {
    let mut e = ops_engine(1, |_, _| {});
    let Operation::CallOut(mut call) = call_out("agent-001", "13800000003") else {
        unreachable!()
    };
    call.max_answer_seconds = 100;
    e.op_at(0, Operation::CallOut(call)).expect("placed");
    assert_eq!(
        show(&mut e)[6..],
        [
            "10.200 #0 begins (callee answered)",
            "105.000 agent-001 exits #0 (talking)",
            "105.000 agent-001 talking→idle",
            "105.000 #0 released: max_duration",
        ],
        "the cap runs from creation"
    );
}

#[test]
fn call_out_is_refused_for_an_unknown_agent_and_an_agent_on_a_call_or_not_idle() {
    let mut e = ops_engine(2, |b, _| {
        b.wrap_up = crate::sim::dist::Dist::fixed(secs(30))
    });
    assert_eq!(
        e.code_at(0, call_out("nobody", "13800000002")),
        Code::NoSuchAgent
    );
    e.op_at(0, call_out("agent-001", "13800000002"))
        .expect("placed");
    for at in [0, 1_000, 6_000, 15_000] {
        assert_eq!(
            e.code_at(at, call_out("agent-001", "13800000003")),
            Code::AgentBusy,
            "fetching, then talking ({at} ms)"
        );
    }
    // Freed at 20.2 s into 30 s of after-call work: busy, not idle.
    assert_eq!(
        e.code_at(25_000, call_out("agent-001", "13800000003")),
        Code::AgentBusy
    );
    assert_eq!(
        e.op_at(51_000, call_out("agent-001", "13800000003")),
        Ok(Answer::True)
    );
    assert_eq!(e.live(), 1);
}

#[test]
fn a_call_agent_rings_agent_a_then_the_acd_selects_agent_b() {
    let mut e = ops_engine(2, |_, _| {});
    let mut q = enqueue(Route::Agent(s("agent-002")));
    q.user_data = Some(s("from=app"));
    q.reserve_state = Some(s("busy/after-call"));
    e.op_at(
        0,
        Operation::CallAgent {
            agent: s("agent-001"),
            enqueue: q,
        },
    )
    .expect("placed");
    assert_eq!(e.convs[&0].user_data.as_deref(), Some("from=app"));
    assert_eq!(
        show(&mut e),
        [
            "0.000 agent-001 idle→fetching",
            "5.000 agent-001 fetching→talking",
            "5.000 #0 created",
            "5.200 agent-001 enters #0 (talking)",
            "5.200 #0 agent-001 joins",
            "5.200 #0 queue select call_agent agent-002",
            "5.200 agent-002 idle→fetching",
            "6.200 agent-002 enters #0 (fetching)",
            "6.200 #0 agent-002 joins",
            "11.200 agent-002 fetching→talking",
            "11.200 #0 begins (agent-002 answered)",
            "11.200 #0 queue success call_agent agent-002",
            "71.200 agent-001 exits #0 (talking)",
            "71.200 #0 agent-001 leaves",
            "71.200 agent-001 talking→idle",
            "71.200 agent-002 exits #0 (talking)",
            "71.200 agent-002 talking→busy/after-call",
            "71.200 #0 released: agent_hangup",
        ],
        "agent B is left in the enqueue's reserve_state, as the platform names it"
    );
}

#[test]
fn a_reserve_state_that_is_not_a_state_is_refused_naming_it_and_changes_nothing() {
    let (mut e, id) = talking(2, "13800000003");
    let mut q = enqueue(Route::Agent(s("agent-002")));
    q.reserve_state = Some(s("lunch"));
    let ops = [
        Operation::CallAgent {
            agent: s("agent-002"),
            enqueue: q.clone(),
        },
        Operation::InviteAgent {
            conversation: id,
            enqueue: q,
            mode: Mode(1),
        },
    ];
    for op in ops {
        let r = e.op_at(20_000, op).expect_err("not a state");
        assert_eq!(r.code, Code::BadParameter);
        assert!(r.detail.starts_with("reserve_state"), "{r}");
    }
    assert_eq!(e.live(), 1);
    assert_eq!(e.pool.get(1).state, crate::sim::agents::AgentState::Idle);
}

#[test]
fn a_call_agents_fetch_timeout_limits_agent_bs_ring() {
    // Agent B would answer after 5 s; the enqueue lets it ring 3 s.
    let mut e = ops_engine(2, |_, _| {});
    let mut q = enqueue(Route::Agent(s("agent-002")));
    q.fetch_timeout = Some(3);
    let op = Operation::CallAgent {
        agent: s("agent-001"),
        enqueue: q,
    };
    e.op_at(0, op).expect("placed");
    assert_eq!(
        show(&mut e)[9..],
        [
            "9.200 #0 queue fail call_fail call_agent agent-002 (ringing)",
            "9.200 agent-002 exits #0 (fetching)",
            "9.200 #0 agent-002 leaves",
            "9.200 agent-002 fetching→idle",
            "9.200 agent-001 exits #0 (talking)",
            "9.200 agent-001 talking→idle",
            "9.200 #0 released before begin: agent_hangup",
        ]
    );
}

#[test]
fn a_call_agent_nobody_can_take_times_out_at_once_without_a_queue_timeout() {
    let mut e = ops_engine(1, |_, _| {});
    let op = Operation::CallAgent {
        agent: s("agent-001"),
        enqueue: enqueue(Route::Skill(s("sales"))),
    };
    e.op_at(0, op).expect("placed");
    let lines = show(&mut e);
    assert_eq!(lines[5], "5.200 #0 queue fail timeout call_agent");
    assert!(
        lines[6].ends_with("agent-001 exits #0 (talking)"),
        "{lines:?}"
    );
    assert!(
        lines[9].ends_with("#0 released before begin: agent_hangup"),
        "{lines:?}"
    );
    // With the route's queue timeout, the task waits that long.
    let mut e = ops_engine(1, |_, _| {});
    let mut q = enqueue(Route::Skill(s("sales")));
    q.queue_timeout = Some(30);
    e.op_at(
        0,
        Operation::CallAgent {
            agent: s("agent-001"),
            enqueue: q,
        },
    )
    .expect("placed");
    assert_eq!(show(&mut e)[5], "35.200 #0 queue fail timeout call_agent");
}

/// A `call_out` by agent-001 to `to` at 0 s, run to 20 s: conversation 0, begun at 10.2 s
/// for a magic number that answers.
fn talking(agents: usize, to: &str) -> (Engine, Arc<str>) {
    let mut e = ops_engine(agents, |_, _| {});
    e.op_at(0, call_out("agent-001", to)).expect("placed");
    let id = e.id_of(0);
    e.advance_to(e.plan.start + secs(20));
    (e, id)
}

fn enter(agent: &str, conversation: &Arc<str>) -> Operation {
    Operation::Enter {
        agent: s(agent),
        conversation: conversation.clone(),
        mode: Mode(2),
    }
}

fn exit(agent: &str, conversation: &Arc<str>) -> Operation {
    Operation::Exit {
        agent: s(agent),
        conversation: conversation.clone(),
    }
}

#[test]
fn an_agent_entering_is_dialled_then_joins_on_answer_without_a_second_begin() {
    let (mut e, id) = talking(2, "13800000003");
    assert_eq!(e.op_at(20_000, enter("agent-002", &id)), Ok(Answer::True));
    assert_eq!(e.convs[&0].parties[2].member.mode, 2);
    assert_eq!(e.op_at(40_000, exit("agent-002", &id)), Ok(Answer::True));
    assert_eq!(e.op_at(50_000, exit("agent-001", &id)), Ok(Answer::True));
    assert_eq!(
        show(&mut e)[7..],
        [
            "20.000 agent-002 idle→fetching",
            "25.000 agent-002 fetching→talking",
            "25.000 agent-002 enters #0 (talking)",
            "25.000 #0 agent-002 joins",
            "40.000 agent-002 exits #0 (talking)",
            "40.000 #0 agent-002 leaves",
            "40.000 agent-002 talking→idle",
            "50.000 agent-001 exits #0 (talking)",
            "50.000 #0 agent-001 leaves",
            "50.000 agent-001 talking→idle",
            "50.000 #0 released: agent_hangup",
        ]
    );
}

#[test]
fn an_agent_entering_who_does_not_answer_is_idle_again_and_the_conversation_goes_on() {
    let (mut e, id) = talking(2, "13800000003");
    e.plan.workload.behaviour.agent_answer = super::super::testing::p(0.0);
    e.op_at(20_000, enter("agent-002", &id)).expect("dialled");
    e.op_at(100_000, Operation::Dismiss { conversation: id })
        .expect("dismissed");
    assert_eq!(
        show(&mut e)[7..],
        [
            "20.000 agent-002 idle→fetching",
            "70.000 agent-002 fetching→idle",
            "100.000 agent-001 exits #0 (talking)",
            "100.000 agent-001 talking→idle",
            "100.000 #0 released: dismissed",
        ]
    );
}

#[test]
fn enter_and_exit_are_refused_with_the_platforms_codes() {
    let mut e = ops_engine(3, |_, m| m.max_members = 2);
    e.op_at(0, call_out("agent-001", "13800000003"))
        .expect("placed");
    let id = e.id_of(0);
    let unknown = s("0123456789abcdef0123456789abcdef");
    // Not created yet (the agent's phone rings): unknown to the platform.
    assert_eq!(
        e.code_at(1_000, enter("agent-002", &id)),
        Code::NoSuchConversation
    );
    // Created at 5 s, its conference starts at 5.2 s.
    assert_eq!(e.code_at(5_100, enter("agent-002", &id)), Code::NotReady);
    assert_eq!(
        e.code_at(20_000, enter("agent-002", &unknown)),
        Code::NoSuchConversation
    );
    assert_eq!(e.code_at(20_000, enter("nobody", &id)), Code::NoSuchAgent);
    assert_eq!(e.code_at(20_000, enter("agent-001", &id)), Code::AgentBusy);
    assert_eq!(
        e.code_at(20_000, enter("agent-002", &id)),
        Code::ConversationFull
    );
    assert_eq!(
        e.code_at(20_000, exit("agent-002", &id)),
        Code::BadParameter
    );
    assert_eq!(
        e.code_at(20_000, exit("agent-001", &unknown)),
        Code::NoSuchConversation
    );
    assert_eq!(e.code_at(20_000, exit("nobody", &id)), Code::NoSuchAgent);
    e.op_at(30_000, exit("agent-001", &id)).expect("left");
    assert_eq!(
        e.code_at(30_000, exit("agent-001", &id)),
        Code::NoSuchConversation
    );
    assert_eq!(e.live(), 0);
}

#[test]
fn a_mode_change_is_kept_for_the_records_and_sends_nothing() {
    let (mut e, id) = talking(1, "13800000003");
    let queued = e.out.len();
    let lsm = |mode| Operation::Lsm {
        agent: s("agent-001"),
        conversation: id.clone(),
        mode: Mode(mode),
    };
    assert_eq!(e.op_at(20_000, lsm(4)), Ok(Answer::True));
    assert_eq!(e.out.len(), queued, "no webhook");
    assert_eq!(e.convs[&0].parties[0].member.mode, 4);
    let other = Operation::Lsm {
        agent: s("agent-002"),
        conversation: id.clone(),
        mode: Mode(1),
    };
    assert_eq!(e.code_at(20_000, other), Code::NoSuchAgent);
    let mut e2 = ops_engine(2, |_, _| {});
    e2.op_at(0, call_out("agent-001", "13800000003"))
        .expect("placed");
    let id2 = e2.id_of(0);
    e2.advance_to(e2.plan.start + secs(20));
    let not_in = Operation::Lsm {
        agent: s("agent-002"),
        conversation: id2,
        mode: Mode(1),
    };
    assert_eq!(e2.code_at(20_000, not_in), Code::BadParameter);
}

#[test]
fn dismissing_releases_with_end_only_if_begun_and_is_refused_when_unknown_or_not_ready() {
    let mut e = ops_engine(2, |_, _| {});
    e.op_at(0, call_out("agent-001", "13800000003"))
        .expect("placed");
    let id = e.id_of(0);
    let dismiss = |id: &Arc<str>| Operation::Dismiss {
        conversation: id.clone(),
    };
    assert_eq!(e.code_at(1_000, dismiss(&id)), Code::NoSuchConversation);
    assert_eq!(e.code_at(5_100, dismiss(&id)), Code::NotReady);
    assert_eq!(e.op_at(9_000, dismiss(&id)), Ok(Answer::True));
    assert_eq!(e.code_at(9_000, dismiss(&id)), Code::NoSuchConversation);
    assert_eq!(
        show(&mut e)[5..],
        [
            "8.200 #0 callee joins",
            "9.000 agent-001 exits #0 (talking)",
            "9.000 agent-001 talking→idle",
            "9.000 #0 released before begin: dismissed",
        ],
        "dismissed while the callee rang: no begin, no end"
    );
    let (mut e, id) = talking(1, "13800000003");
    e.op_at(30_000, dismiss(&id)).expect("dismissed");
    assert_eq!(
        show(&mut e).last().map(String::as_str),
        Some("30.000 #0 released: dismissed")
    );
}

/// The queue task id ringing the agent of conversation `key`'s last party.
fn ringing_task(e: &Engine, key: u64) -> Arc<str> {
    let party = e.convs[&key].parties.last().expect("a party");
    s(party.task.as_ref().expect("a task").id.as_str())
}

#[test]
fn an_injected_call_is_queued_selected_and_served_like_a_generated_one() {
    let mut e = ops_engine(1, |_, _| {});
    let Ok(Answer::Injected(ids)) = e.op_at(0, inject("13900000000")) else {
        panic!("injected")
    };
    let conv = &e.convs[&0];
    assert_eq!(&*ids.conversation_id, conv.id.as_str());
    assert_eq!(&*ids.call_id, conv.parties[0].member.call_id.as_str());
    assert_eq!(
        Some(&*ids.queue_id),
        conv.queue_id.as_ref().map(|q| q.as_str())
    );
    assert_eq!(&*conv.parties[0].member.telnumber, "13900000000");
    assert_eq!(conv.user_data.as_deref(), Some("ticket=7"));
    assert_eq!(
        show(&mut e),
        [
            "0.000 #0 created",
            "0.000 #0 queue select ivr agent-001",
            "0.000 agent-001 idle→fetching",
            "0.200 #0 customer joins",
            "1.000 agent-001 enters #0 (fetching)",
            "1.000 #0 agent-001 joins",
            "6.000 agent-001 fetching→talking",
            "6.000 #0 begins (agent-001 answered)",
            "6.000 #0 queue success ivr agent-001",
            "66.000 #0 customer leaves",
            "66.000 agent-001 exits #0 (talking)",
            "66.000 agent-001 talking→idle",
            "66.000 #0 released: customer_hangup",
        ]
    );
    assert_eq!(e.stats.by_type[&ConvType::Queue].offered, 1);
}

#[test]
fn an_injected_call_carries_its_condition_waits_its_queue_timeout_and_respects_max_live() {
    let mut e = ops_engine(0, |_, _| {});
    e.plan.max_live = 2;
    let condition = agents_tests::condition(&mut e, "1==1;", None);
    let call = |queue_timeout, patience| {
        Operation::InjectCall(InboundCall {
            from: None,
            user_data: None,
            condition: Some(condition.clone()),
            queue_timeout,
            patience,
            talk: None,
        })
    };
    e.op_at(0, call(Some(secs(30)), None)).expect("queued");
    assert_eq!(
        e.convs[&0]
            .waiting_task
            .as_ref()
            .and_then(|t| t.condition.as_deref()),
        Some(&*condition)
    );
    e.op_at(0, call(None, Some(secs(10)))).expect("queued");
    assert_eq!(e.code_at(0, call(None, None)), Code::NotReady, "max_live");
    assert_eq!(
        show(&mut e),
        [
            "10.000 #1 queue fail hangup ivr",
            "30.000 #0 queue fail timeout ivr"
        ],
        "patience, then the queue timeout"
    );
}

#[test]
fn a_call_queued_by_an_unknown_condition_is_refused_naming_it_and_changes_nothing() {
    let mut e = ops_engine(1, |_, _| {});
    let unknown = s("40288aca587659820158765c305f0000");
    let injected = Operation::InjectCall(InboundCall {
        from: None,
        user_data: None,
        condition: Some(unknown.clone()),
        queue_timeout: None,
        patience: None,
        talk: None,
    });
    let called = Operation::CallAgent {
        agent: s("agent-001"),
        enqueue: enqueue(Route::Condition(unknown)),
    };
    for op in [injected, called] {
        let r = e.op_at(0, op).expect_err("an unknown condition");
        assert_eq!(r.code, Code::BadParameter);
        assert!(r.detail.starts_with("condition_id"), "{r}");
    }
    assert_eq!(e.live(), 0);
    assert_eq!(e.pool.get(0).state, crate::sim::agents::AgentState::Idle);
    assert!(show(&mut e).is_empty());
    // The agent's own refusal comes first.
    let busy = Operation::CallAgent {
        agent: s("nobody"),
        enqueue: enqueue(Route::Condition(s("40288aca587659820158765c305f0000"))),
    };
    assert_eq!(e.code_at(0, busy), Code::NoSuchAgent);
}

#[test]
fn an_agent_rejecting_its_task_fails_it_as_an_unanswered_ring() {
    let mut e = ops_engine(1, |_, _| {});
    e.op_at(0, inject("13900000000")).expect("queued");
    e.advance_to(e.plan.start + secs(2));
    let task = ringing_task(&e, 0);
    let reject = |agent: &str, queue_id: &Arc<str>| Operation::Reject {
        agent: s(agent),
        queue_id: queue_id.clone(),
    };
    assert_eq!(
        e.code_at(2_000, reject("agent-001", &s("nope"))),
        Code::BadParameter
    );
    assert_eq!(e.code_at(2_000, reject("nobody", &task)), Code::NoSuchAgent);
    assert_eq!(e.op_at(2_000, reject("agent-001", &task)), Ok(Answer::True));
    assert_eq!(
        show(&mut e)[6..],
        [
            "2.000 #0 queue fail call_fail ivr agent-001 (ringing)",
            "2.000 agent-001 exits #0 (fetching)",
            "2.000 #0 agent-001 leaves",
            "2.000 agent-001 fetching→idle",
            "2.000 #0 released before begin: agent_hangup",
        ],
        "its answer, due at 6 s, never comes"
    );
}

#[test]
fn an_invited_agent_is_a_task_of_its_own_and_adds_no_second_begin() {
    let (mut e, id) = talking(2, "13800000003");
    e.advance_to(e.plan.start + secs(20));
    let condition = agents_tests::condition(&mut e, "1==1;", None);
    let mut q = enqueue(Route::Condition(condition.clone()));
    q.reserve_state = Some(s("away/午餐"));
    let invite = Operation::InviteAgent {
        conversation: id.clone(),
        enqueue: q,
        mode: Mode(3),
    };
    assert_eq!(e.op_at(20_000, invite), Ok(Answer::True));
    let invited = e.convs[&0].parties.last().expect("invited");
    assert_eq!(invited.member.mode, 3);
    assert_eq!(
        invited.task.as_ref().and_then(|t| t.condition.as_deref()),
        Some(&*condition)
    );
    e.op_at(200_000, Operation::Dismiss { conversation: id })
        .expect("dismissed");
    assert_eq!(
        show(&mut e)[7..],
        [
            "20.000 #0 queue select invite_agent agent-002",
            "20.000 agent-002 idle→fetching",
            "21.000 agent-002 enters #0 (fetching)",
            "21.000 #0 agent-002 joins",
            "26.000 agent-002 fetching→talking",
            "26.000 #0 queue success invite_agent agent-002",
            "86.000 agent-002 exits #0 (talking)",
            "86.000 #0 agent-002 leaves",
            "86.000 agent-002 talking→away/午餐",
            "200.000 agent-001 exits #0 (talking)",
            "200.000 agent-001 talking→idle",
            "200.000 #0 released: dismissed",
        ],
        "it hangs up after the scenario's talk time, into its reserve_state"
    );
}

#[test]
fn an_invitation_nobody_can_take_fails_its_task_at_its_queue_timeout() {
    let (mut e, id) = talking(1, "13800000003");
    let mut q = enqueue(Route::Skill(s("sales")));
    q.queue_timeout = Some(15);
    let invite = Operation::InviteAgent {
        conversation: id.clone(),
        enqueue: q,
        mode: Mode(1),
    };
    e.op_at(20_000, invite.clone()).expect("queued");
    assert_eq!(
        e.code_at(21_000, invite),
        Code::NotReady,
        "one lookup at a time"
    );
    e.op_at(100_000, Operation::Dismiss { conversation: id })
        .expect("dismissed");
    assert_eq!(show(&mut e)[7], "35.000 #0 queue fail timeout invite_agent");
}

#[test]
fn invitations_are_refused_with_the_platforms_codes() {
    let placed = || {
        let mut e = ops_engine(3, |_, m| m.max_members = 2);
        e.op_at(0, call_out("agent-001", "13800000003"))
            .expect("placed");
        let id = e.id_of(0);
        (e, id)
    };
    let (_, id) = placed();
    let invite = |id: &Arc<str>| Operation::InviteAgent {
        conversation: id.clone(),
        enqueue: enqueue(Route::Skill(s("sales"))),
        mode: Mode(1),
    };
    let out = |id: &Arc<str>| {
        Operation::InviteOut(operation::InviteOut {
            conversation: id.clone(),
            to: s("13800000003"),
            from: None,
            max_dial_seconds: None,
            max_answer_seconds: 60,
            mode: Mode(1),
        })
    };
    let unknown = s("0123456789abcdef0123456789abcdef");
    for op in [invite(&id), out(&id)] {
        let (mut e, _) = placed();
        assert_eq!(e.code_at(1_000, op.clone()), Code::NoSuchConversation);
        assert_eq!(e.code_at(5_100, op.clone()), Code::NotReady);
        assert_eq!(e.code_at(20_000, op), Code::ConversationFull);
    }
    let (mut e, _) = placed();
    assert_eq!(
        e.code_at(20_000, invite(&unknown)),
        Code::NoSuchConversation
    );
    assert_eq!(e.code_at(20_000, out(&unknown)), Code::NoSuchConversation);
}

#[test]
fn an_invited_number_joins_while_ringing_sends_nothing_on_answer_and_goes_silently_on_failure() {
    let (mut e, id) = talking(1, "13800000003");
    let out = |to: &str| {
        Operation::InviteOut(operation::InviteOut {
            conversation: id.clone(),
            to: s(to),
            from: None,
            max_dial_seconds: Some(10),
            max_answer_seconds: 60,
            mode: Mode(2),
        })
    };
    e.op_at(20_000, out("13700000002")).expect("dialled");
    e.op_at(40_000, out("13700000000")).expect("dialled");
    e.op_at(
        100_000,
        Operation::Dismiss {
            conversation: id.clone(),
        },
    )
    .expect("dismissed");
    assert_eq!(
        show(&mut e)[7..],
        [
            "23.000 #0 callee joins",
            "35.000 #0 callee leaves",
            "43.000 #0 callee joins",
            "53.000 #0 callee leaves",
            "100.000 agent-001 exits #0 (talking)",
            "100.000 agent-001 talking→idle",
            "100.000 #0 released: dismissed",
        ],
        "…0002 answers at 25 s (no event) and hangs up 10 s later; …0000 rings 10 s"
    );
}

#[test]
fn a_held_callee_rings_until_told_and_its_own_ring_timeout_never_fires() {
    let mut e = ops_engine(1, |_, _| {});
    let Operation::CallOut(mut call) = call_out("agent-001", "13800000004") else {
        unreachable!()
    };
    call.max_dial_seconds = Some(60);
    e.op_at(0, Operation::CallOut(call)).expect("placed");
    let number = || CallRef::Number(s("13800000004"));
    assert_eq!(
        e.op_at(30_000, instruct(number(), Instruction::Answer)),
        Ok(Answer::True)
    );
    assert_eq!(
        e.code_at(31_000, instruct(number(), Instruction::Answer)),
        Code::BadParameter,
        "not ringing any more"
    );
    assert_eq!(
        e.op_at(100_000, instruct(number(), Instruction::Hangup)),
        Ok(Answer::True)
    );
    assert_eq!(
        e.code_at(100_000, instruct(number(), Instruction::Hangup)),
        Code::BadParameter,
        "no live call"
    );
    assert_eq!(
        show(&mut e)[5..],
        [
            "8.200 #0 callee joins",
            "30.000 #0 begins (callee answered)",
            "100.000 #0 callee leaves",
            "100.000 agent-001 exits #0 (talking)",
            "100.000 agent-001 talking→idle",
            "100.000 #0 released: customer_hangup",
        ]
    );
}

#[test]
fn an_agent_phone_told_to_hold_replaces_its_answer_and_rings_until_its_limit() {
    let mut e = ops_engine(1, |_, _| {});
    e.op_at(0, call_out("agent-001", "13800000003"))
        .expect("placed");
    let agent = || CallRef::Agent(s("agent-001"));
    e.op_at(1_000, instruct(agent(), Instruction::Hold))
        .expect("held");
    assert_eq!(
        show(&mut e),
        [
            "0.000 agent-001 idle→fetching",
            "50.000 agent-001 fetching→idle"
        ],
        "its answer at 5 s was dropped; the fetch timeout still holds"
    );
    let mut e = ops_engine(1, |_, _| {});
    e.op_at(0, call_out("agent-001", "13800000003"))
        .expect("placed");
    e.op_at(1_000, instruct(agent(), Instruction::Hold))
        .expect("held");
    e.op_at(20_000, instruct(agent(), Instruction::Answer))
        .expect("answered");
    e.op_at(40_000, instruct(agent(), Instruction::Hangup))
        .expect("hung up");
    assert_eq!(
        show(&mut e),
        [
            "0.000 agent-001 idle→fetching",
            "20.000 agent-001 fetching→talking",
            "20.000 #0 created",
            "20.200 agent-001 enters #0 (talking)",
            "20.200 #0 agent-001 joins",
            "23.200 #0 callee joins",
            "25.200 #0 begins (callee answered)",
            "40.000 agent-001 exits #0 (talking)",
            "40.000 #0 agent-001 leaves",
            "40.000 agent-001 talking→idle",
            "40.000 #0 released: agent_hangup",
        ]
    );
}

#[test]
fn a_generated_agent_told_to_reject_fails_its_task_and_its_scheduled_answer_is_stale() {
    let mut e = ops_engine(1, |_, _| {});
    e.arrival(0, ConvType::Queue);
    e.advance_to(e.plan.start + secs(2));
    let call = s(e.convs[&0].parties[1].member.call_id.as_str());
    e.op_at(2_000, instruct(CallRef::Id(call), Instruction::Reject))
        .expect("rejected");
    assert_eq!(
        show(&mut e)[6..],
        [
            "2.000 #0 queue fail call_fail ivr agent-001 (ringing)",
            "2.000 agent-001 exits #0 (fetching)",
            "2.000 #0 agent-001 leaves",
            "2.000 agent-001 fetching→idle",
            "2.000 #0 released before begin: agent_hangup",
        ]
    );
}

#[test]
fn a_waiting_injected_caller_told_to_hang_up_gives_up_and_modes_change_silently() {
    let mut e = ops_engine(0, |_, _| {});
    let Ok(Answer::Injected(ids)) = e.op_at(0, inject("13900000000")) else {
        panic!("injected")
    };
    let by_id = || CallRef::Id(ids.call_id.clone());
    e.op_at(1_000, instruct(by_id(), Instruction::Mode(Mode(2))))
        .expect("mode");
    assert_eq!(e.convs[&0].parties[0].member.mode, 2);
    assert_eq!(
        e.code_at(1_000, instruct(by_id(), Instruction::Hold)),
        Code::BadParameter
    );
    e.op_at(3_000, instruct(by_id(), Instruction::Hangup))
        .expect("gave up");
    assert_eq!(show(&mut e), ["3.000 #0 queue fail hangup ivr"]);
    assert_eq!(
        e.code_at(3_000, instruct(by_id(), Instruction::Hangup)),
        Code::BadParameter
    );
}

#[test]
fn an_injected_callers_talk_time_and_a_caller_who_never_hangs_up() {
    let call = |talk| {
        Operation::InjectCall(InboundCall {
            from: None,
            user_data: None,
            condition: None,
            queue_timeout: None,
            patience: None,
            talk: Some(talk),
        })
    };
    let mut e = ops_engine(1, |_, _| {});
    e.op_at(0, call(Some(secs(20)))).expect("queued");
    assert_eq!(
        show(&mut e).last().map(String::as_str),
        Some("26.000 #0 released: customer_hangup")
    );
    let mut e = ops_engine(1, |_, m| m.max_duration = secs(1_000));
    e.op_at(0, call(None)).expect("queued");
    assert_eq!(
        show(&mut e).last().map(String::as_str),
        Some("1000.000 #0 released: max_duration")
    );
}
