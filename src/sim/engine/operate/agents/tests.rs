//! Tests of the agent and directory operations: each one's success and each refusal, the
//! registration's lapse, forced logouts, and the ACD run by a state set to `idle`.

use std::sync::Arc;

use crate::conversation::ConvType;
use crate::families::EventFamilies;
use crate::operation::{
    AgentView, Answer, Code, ConditionSpec, Login, NewExtension, Operation, Page, Refusal, Route,
    Skill,
};
use crate::units::Span;

use super::super::super::Engine;
use super::super::super::testing::{engine, secs};

/// A skill, enabled, of `score`.
pub(in crate::sim::engine) fn skill(name: &str, score: i64) -> Skill {
    Skill {
        name: name.into(),
        score,
        enabled: true,
    }
}

/// Moves the engine's clock to `s` seconds after the start.
pub(in crate::sim::engine) fn at(e: &mut Engine, s: u64) {
    let to = e.plan.start + secs(s);
    e.advance_to(to);
}

/// Creates a SIP extension of user `user`; its id.
pub(in crate::sim::engine) fn extension(e: &mut Engine, user: &str) -> Arc<str> {
    match e.operate(Operation::CreateExtension(NewExtension {
        kind: 1,
        user: Some(user.into()),
        password: Some("123456".into()),
        ipaddr: None,
        telnum: None,
    })) {
        Ok(Answer::Extension(view)) => view.id,
        other => panic!("{other:?}"),
    }
}

/// The login of `name` on `extension` in `state` with `skills`.
pub(in crate::sim::engine) fn login_op(
    name: &str,
    extension: &str,
    state: Option<&str>,
    skills: Vec<Skill>,
) -> Operation {
    Operation::Login(Login {
        name: name.into(),
        num: Some("7".into()),
        state: state.map(Into::into),
        skills,
        extension: extension.into(),
    })
}

/// Logs `name` in on a new extension, in `state`, with `skills`.
pub(in crate::sim::engine) fn login(
    e: &mut Engine,
    name: &str,
    state: Option<&str>,
    skills: Vec<Skill>,
) {
    let ext = extension(e, &format!("9{}", name.len() * 11_111));
    assert_eq!(
        e.operate(login_op(name, &ext, state, skills)),
        Ok(Answer::Null)
    );
}

/// Agent `name` as the API shows it.
pub(in crate::sim::engine) fn view(e: &mut Engine, name: &str) -> AgentView {
    match e.operate(Operation::GetAgent { agent: name.into() }) {
        Ok(Answer::Agent(v)) => v,
        other => panic!("{other:?}"),
    }
}

/// Sets agent `name`'s state.
pub(in crate::sim::engine) fn set_state(
    e: &mut Engine,
    name: &str,
    state: &str,
) -> Result<Answer, Refusal> {
    e.operate(Operation::SetState {
        agent: name.into(),
        state: state.into(),
    })
}

/// The code of a refusal, or `None` for an answer.
fn code(r: Result<Answer, Refusal>) -> Option<Code> {
    r.err().map(|r| r.code)
}

fn condition_spec(where_: &str) -> ConditionSpec {
    ConditionSpec {
        where_: where_.into(),
        sort: None,
        priority: 0,
        queue_timeout: 60,
        fetch_timeout: 45,
        remark: None,
    }
}

#[test]
fn the_scenarios_agents_are_logged_in_idle_on_extensions_the_directory_holds() {
    let mut e = engine(2, |_, _| {});
    let v = view(&mut e, "agent-002");
    assert_eq!(v.state.as_deref(), Some("idle"));
    assert_eq!(v.conversation, None);
    let ext = v.extension.expect("an extension");
    match e.operate(Operation::GetExtension { id: ext.clone() }) {
        Ok(Answer::Extension(x)) => {
            assert_eq!((&*x.id, &*x.kind), (&*ext, "1"));
            assert_eq!(x.user.as_deref(), Some("8001001"));
        }
        other => panic!("{other:?}"),
    }
    match e.operate(Operation::ListAgents(Page {
        number: 1,
        size: 20,
    })) {
        Ok(Answer::Agents(p)) => {
            let names: Vec<&str> = p.result.iter().map(|a| &*a.name).collect();
            assert_eq!(names, ["agent-001", "agent-002"]);
        }
        other => panic!("{other:?}"),
    }
    // Still registered long after 24 hours: their phones keep them registered.
    at(&mut e, 30 * 3_600);
    assert_eq!(view(&mut e, "agent-001").state.as_deref(), Some("idle"));
}

#[test]
fn a_login_adds_an_agent_online_by_default_with_its_number_skills_and_extension() {
    let mut e = engine(0, |_, _| {});
    let ext = extension(&mut e, "78541");
    let op = login_op("a1", &ext, None, vec![skill("投诉", 80)]);
    assert_eq!(e.operate(op), Ok(Answer::Null));
    let v = view(&mut e, "a1");
    assert_eq!(v.state.as_deref(), Some("online"));
    assert_eq!(v.num.as_deref(), Some("7"));
    assert_eq!(v.extension.as_deref(), Some(&*ext));
    assert_eq!(v.skills, [skill("投诉", 80)]);
    let op = login_op("a2", &ext, Some("away/lunch"), vec![]);
    assert_eq!(code(e.operate(op)), Some(Code::ExtensionUnavailable));
    let other = extension(&mut e, "78542");
    assert_eq!(
        e.operate(login_op("a2", &other, Some("away/lunch"), vec![])),
        Ok(Answer::Null)
    );
    assert_eq!(view(&mut e, "a2").state.as_deref(), Some("away/lunch"));
}

#[test]
fn a_login_is_refused_for_a_name_logged_in_an_unknown_extension_or_one_taken() {
    let mut e = engine(1, |_, _| {});
    let ext = extension(&mut e, "78541");
    let again = e.operate(login_op("agent-001", &ext, None, vec![]));
    let r = again.expect_err("a second login");
    assert_eq!(r.code, Code::BadParameter);
    assert!(r.detail.starts_with("name"), "{r}");
    let unknown = "0123456789abcdef0123456789abcdef";
    assert_eq!(
        code(e.operate(login_op("b", unknown, None, vec![]))),
        Some(Code::NoSuchExtension)
    );
    assert_eq!(
        code(e.operate(login_op("b", "nonsense", None, vec![]))),
        Some(Code::NoSuchExtension)
    );
    let taken = view(&mut e, "agent-001").extension.expect("an extension");
    assert_eq!(
        code(e.operate(login_op("b", &taken, None, vec![]))),
        Some(Code::ExtensionUnavailable)
    );
}

#[test]
fn a_registration_lapses_24_hours_after_the_last_login_or_keepalive() {
    let mut e = engine(0, |_, _| {});
    at(&mut e, 100);
    login(&mut e, "a1", Some("busy"), vec![]);
    let lapse = 100 + 24 * 3_600;
    let to = e.plan.start + Span::from_millis(lapse * 1_000 - 1);
    e.advance_to(to);
    assert_eq!(view(&mut e, "a1").state.as_deref(), Some("busy"));
    at(&mut e, lapse);
    let name: Arc<str> = "a1".into();
    let ext = extension(&mut e, "78549");
    for op in [
        Operation::GetAgent {
            agent: name.clone(),
        },
        Operation::SetState {
            agent: name.clone(),
            state: "idle".into(),
        },
        Operation::SetSkills {
            agent: name.clone(),
            skills: vec![],
        },
        Operation::SetExtension {
            agent: name.clone(),
            extension: ext,
        },
        Operation::AgentConversations {
            agent: name.clone(),
        },
    ] {
        let r = e.operate(op.clone()).expect_err("lapsed");
        assert_eq!(r.code, Code::AgentExpired, "{op:?}: {r}");
    }
    // A keepalive registers it again, for 24 hours from now.
    at(&mut e, lapse + 60);
    let keepalive = Operation::Keepalive {
        agent: name.clone(),
    };
    assert_eq!(e.operate(keepalive.clone()), Ok(Answer::Null));
    assert_eq!(view(&mut e, "a1").state.as_deref(), Some("busy"));
    at(&mut e, lapse + 60 + 24 * 3_600);
    assert_eq!(
        code(e.operate(Operation::GetAgent { agent: name })),
        Some(Code::AgentExpired)
    );
    assert_eq!(
        code(e.operate(Operation::Keepalive {
            agent: "nobody".into()
        })),
        Some(Code::NoSuchAgent)
    );
}

#[test]
fn the_acd_never_selects_an_agent_whose_registration_lapsed() {
    let mut e = engine(0, |_, _| {});
    login(&mut e, "a1", Some("idle"), vec![]);
    let lapse = 24 * 3_600;
    e.arrival(lapse * 1_000, ConvType::Queue);
    at(&mut e, lapse + 10);
    assert_eq!(e.live(), 1, "the caller waits");
    assert_eq!(e.pool.get(0).state_name().as_str(), "idle");
    // Registered again and set idle: the caller is served at once.
    let keepalive = Operation::Keepalive { agent: "a1".into() };
    assert_eq!(e.operate(keepalive), Ok(Answer::Null));
    assert_eq!(set_state(&mut e, "a1", "idle"), Ok(Answer::Null));
    assert_eq!(e.pool.get(0).state_name().as_str(), "fetching");
}

#[test]
fn a_state_set_to_idle_serves_a_waiting_caller_at_once_and_no_event_announces_the_change() {
    let mut e = engine(0, |_, _| {});
    e.plan.events = EventFamilies::all();
    login(&mut e, "a1", None, vec![]);
    e.arrival(0, ConvType::Queue);
    at(&mut e, 10);
    assert_eq!(set_state(&mut e, "a1", "busy/打印文件"), Ok(Answer::Null));
    assert_eq!(view(&mut e, "a1").state.as_deref(), Some("busy/打印文件"));
    at(&mut e, 20);
    assert_eq!(set_state(&mut e, "a1", "idle"), Ok(Answer::Null));
    assert_eq!(view(&mut e, "a1").state.as_deref(), Some("fetching"));
    let lines = e.transcript_all();
    assert_eq!(
        lines[..3],
        [
            "20.000 #0 created",
            "20.000 #0 queue select ivr a1",
            "20.000 a1 idle→fetching",
        ]
    );
    assert!(
        !lines
            .iter()
            .any(|l| l.contains("online") || l.contains("打印")),
        "{lines:?}"
    );
}

#[test]
fn a_state_cannot_be_set_while_the_agents_phone_rings_or_it_talks() {
    let mut e = engine(1, |_, _| {});
    e.arrival(0, ConvType::Queue);
    at(&mut e, 2);
    let ringing = set_state(&mut e, "agent-001", "away").expect_err("fetching");
    assert_eq!(ringing.code, Code::AgentBusy);
    assert!(ringing.detail.contains("fetching"), "{ringing}");
    at(&mut e, 10);
    assert_eq!(
        code(set_state(&mut e, "agent-001", "busy")),
        Some(Code::AgentBusy)
    );
    assert_eq!(
        code(set_state(&mut e, "nobody", "busy")),
        Some(Code::NoSuchAgent)
    );
    assert_eq!(
        code(set_state(&mut e, "agent-001", "lunch")),
        Some(Code::AgentBusy),
        "busy is checked first"
    );
    at(&mut e, 100);
    let r = set_state(&mut e, "agent-001", "lunch").expect_err("not a state");
    assert_eq!(r.code, Code::BadParameter);
    assert!(r.detail.starts_with("state"), "{r}");
}

#[test]
fn an_agent_in_a_call_shows_its_conversation_and_lists_it() {
    let mut e = engine(1, |_, _| {});
    let convs = |e: &mut Engine| match e.operate(Operation::AgentConversations {
        agent: "agent-001".into(),
    }) {
        Ok(Answer::Conversations(ids)) => ids,
        other => panic!("{other:?}"),
    };
    assert!(convs(&mut e).is_empty());
    e.arrival(0, ConvType::Queue);
    at(&mut e, 10);
    let id: Arc<str> = e.conv_mut(0).id.as_str().into();
    assert_eq!(convs(&mut e), std::slice::from_ref(&id));
    assert_eq!(view(&mut e, "agent-001").conversation, Some(id));
    at(&mut e, 100);
    assert!(convs(&mut e).is_empty());
    assert_eq!(
        code(e.operate(Operation::AgentConversations {
            agent: "nobody".into()
        })),
        Some(Code::NoSuchAgent)
    );
}

#[test]
fn skills_are_replaced_and_an_extension_changed_to_a_free_one() {
    let mut e = engine(1, |_, _| {});
    login(&mut e, "a1", None, vec![skill("x", 1), skill("y", 2)]);
    let set = Operation::SetSkills {
        agent: "a1".into(),
        skills: vec![skill("z", 3)],
    };
    assert_eq!(e.operate(set), Ok(Answer::Null));
    assert_eq!(view(&mut e, "a1").skills, [skill("z", 3)]);
    let old = view(&mut e, "a1").extension.expect("an extension");
    let new = extension(&mut e, "555555");
    let set_extension = |agent: &str, extension: &str| Operation::SetExtension {
        agent: agent.into(),
        extension: extension.into(),
    };
    assert_eq!(e.operate(set_extension("a1", &new)), Ok(Answer::Null));
    assert_eq!(view(&mut e, "a1").extension.as_deref(), Some(&*new));
    assert_eq!(
        e.operate(set_extension("a1", &new)),
        Ok(Answer::Null),
        "its own"
    );
    let taken = view(&mut e, "agent-001").extension.expect("an extension");
    assert_eq!(
        code(e.operate(set_extension("a1", &taken))),
        Some(Code::ExtensionUnavailable)
    );
    assert_eq!(
        code(e.operate(set_extension("a1", "0123456789abcdef0123456789abcdef"))),
        Some(Code::NoSuchExtension)
    );
    assert_eq!(
        code(e.operate(set_extension("nobody", &old))),
        Some(Code::NoSuchAgent)
    );
    // The old one is free now: it can be deleted.
    assert_eq!(
        e.operate(Operation::DeleteExtension { id: old }),
        Ok(Answer::Null)
    );
}

#[test]
fn agents_are_listed_in_login_order_a_page_at_a_time() {
    let mut e = engine(2, |_, _| {});
    login(&mut e, "zed", None, vec![]);
    login(&mut e, "amy", None, vec![]);
    let page = |e: &mut Engine, number: u64| match e
        .operate(Operation::ListAgents(Page { number, size: 3 }))
    {
        Ok(Answer::Agents(p)) => p,
        other => panic!("{other:?}"),
    };
    let first = page(&mut e, 1);
    let names: Vec<&str> = first.result.iter().map(|a| &*a.name).collect();
    assert_eq!(names, ["agent-001", "agent-002", "zed"]);
    let second = page(&mut e, 2);
    assert_eq!(
        (
            second.start_index,
            second.total_count,
            second.total_page_count,
            second.current_page_no,
            second.page_size
        ),
        (4, 4, 2, 2, 3)
    );
    assert_eq!(second.result.len(), 1);
    assert_eq!(&*second.result[0].name, "amy");
}

#[test]
fn a_logout_frees_the_name_and_the_extension_and_is_refused_during_a_call_unless_forced() {
    let mut e = engine(1, |_, _| {});
    e.plan.events = EventFamilies::all();
    let logout = |agent: &str, force: bool| Operation::Logout {
        agent: agent.into(),
        force,
    };
    assert_eq!(
        code(e.operate(logout("nobody", false))),
        Some(Code::NoSuchAgent)
    );
    e.arrival(0, ConvType::Queue);
    at(&mut e, 2);
    assert_eq!(
        code(e.operate(logout("agent-001", false))),
        Some(Code::AgentBusy),
        "ringing"
    );
    at(&mut e, 10);
    assert_eq!(
        code(e.operate(logout("agent-001", false))),
        Some(Code::AgentBusy),
        "talking"
    );
    let ext = view(&mut e, "agent-001").extension.expect("an extension");
    assert_eq!(e.operate(logout("agent-001", true)), Ok(Answer::Null));
    assert_eq!(
        code(e.operate(Operation::GetAgent {
            agent: "agent-001".into()
        })),
        Some(Code::NoSuchAgent)
    );
    let lines = e.transcript_all();
    let after: Vec<&str> = lines
        .iter()
        .map(String::as_str)
        .filter(|l| l.starts_with("10.000"))
        .collect();
    assert_eq!(
        after,
        [
            "10.000 agent-001 exits #0 (talking)",
            "10.000 #0 agent-001 leaves",
            "10.000 agent-001 talking→idle",
            "10.000 #0 released: agent_hangup",
        ],
        "its call hung up as usual, nothing for the logout: {lines:?}"
    );
    // The name and the extension are free again.
    assert_eq!(
        e.operate(login_op("agent-001", &ext, Some("idle"), vec![])),
        Ok(Answer::Null)
    );
    assert_eq!(e.operate(logout("agent-001", false)), Ok(Answer::Null));
}

#[test]
fn a_waiting_caller_takes_an_agent_logged_in_idle() {
    let mut e = engine(0, |_, _| {});
    e.arrival(0, ConvType::Queue);
    at(&mut e, 5);
    login(&mut e, "a1", Some("idle"), vec![]);
    assert_eq!(view(&mut e, "a1").state.as_deref(), Some("fetching"));
}

#[test]
fn a_skill_routed_caller_is_served_by_the_first_matching_agent_to_become_idle() {
    let mut e = engine(0, |_, _| {});
    login(&mut e, "plain", None, vec![skill("other", 90)]);
    login(&mut e, "expert", None, vec![skill("售后", 10)]);
    e.arrival(0, ConvType::Queue);
    at(&mut e, 1);
    e.conv_mut(0).route = Some(Route::Skill("售后".into()));
    assert_eq!(set_state(&mut e, "plain", "idle"), Ok(Answer::Null));
    assert_eq!(view(&mut e, "plain").state.as_deref(), Some("idle"));
    at(&mut e, 2);
    assert_eq!(set_state(&mut e, "expert", "idle"), Ok(Answer::Null));
    assert_eq!(view(&mut e, "expert").state.as_deref(), Some("fetching"));
    assert_eq!(view(&mut e, "plain").state.as_deref(), Some("idle"));
}

#[test]
fn a_caller_no_free_agent_can_serve_keeps_its_place_and_the_next_one_is_served() {
    let mut e = engine(0, |_, _| {});
    login(&mut e, "a1", None, vec![]);
    e.arrival(0, ConvType::Queue);
    e.arrival(1_000, ConvType::Queue);
    at(&mut e, 2);
    e.conv_mut(0).route = Some(Route::Agent("somebody-else".into()));
    assert_eq!(set_state(&mut e, "a1", "idle"), Ok(Answer::Null));
    let first = e.conv_mut(0);
    assert!(first.waiting_since.is_some(), "still waiting");
    assert!(e.conv_mut(1).waiting_since.is_none(), "served");
    assert_eq!(e.waiting.len(), 1);
}

#[test]
fn directory_operations_answer_and_refuse_as_the_platform_does() {
    let mut e = engine(1, |_, _| {});
    let unknown: Arc<str> = "0123456789abcdef0123456789abcdef".into();
    for op in [
        Operation::GetExtension {
            id: unknown.clone(),
        },
        Operation::DeleteExtension {
            id: unknown.clone(),
        },
    ] {
        assert_eq!(code(e.operate(op)), Some(Code::NoSuchExtension));
    }
    let bound = view(&mut e, "agent-001").extension.expect("an extension");
    let r = e
        .operate(Operation::DeleteExtension { id: bound.clone() })
        .expect_err("bound");
    assert_eq!(r.code, Code::ExtensionUnavailable);
    assert!(r.detail.contains("agent-001"), "{r}");
    let free = extension(&mut e, "123456");
    assert_eq!(
        e.operate(Operation::DeleteExtension { id: free.clone() }),
        Ok(Answer::Null)
    );
    assert_eq!(
        code(e.operate(Operation::GetExtension { id: free })),
        Some(Code::NoSuchExtension)
    );
    match e.operate(Operation::ListExtensions(Page {
        number: 1,
        size: 20,
    })) {
        Ok(Answer::Extensions(p)) => {
            assert_eq!(p.total_count, 1);
            assert_eq!(p.result[0].id, bound);
        }
        other => panic!("{other:?}"),
    }
    // The scenario's condition is there from the start, matching every agent.
    let default = e.condition_id.clone();
    match e.operate(Operation::ListConditions) {
        Ok(Answer::Conditions(c)) => {
            assert_eq!(c.len(), 1);
            assert_eq!((&c[0].id, &*c[0].where_), (&default, "1==1;"));
        }
        other => panic!("{other:?}"),
    }
    let id = match e.operate(Operation::CreateCondition(condition_spec("1==1;"))) {
        Ok(Answer::Created { id }) => id,
        other => panic!("{other:?}"),
    };
    assert_eq!(id.len(), 32);
    let update = Operation::UpdateCondition {
        id: id.clone(),
        spec: condition_spec("2==2;"),
    };
    assert_eq!(e.operate(update), Ok(Answer::Null));
    match e.operate(Operation::GetCondition { id: id.clone() }) {
        Ok(Answer::Condition(c)) => assert_eq!(&*c.where_, "2==2;"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        e.operate(Operation::DeleteCondition { id: id.clone() }),
        Ok(Answer::Null)
    );
    for op in [
        Operation::GetCondition { id: id.clone() },
        Operation::DeleteCondition { id: id.clone() },
        Operation::UpdateCondition {
            id,
            spec: condition_spec("1==1;"),
        },
    ] {
        let r = e.operate(op).expect_err("unknown");
        assert_eq!(r.code, Code::BadParameter);
        assert!(r.detail.starts_with("condition_id"), "{r}");
    }
    let r = e
        .select_agent(Some(&Route::Condition("nope".into())))
        .expect_err("unknown condition");
    assert!(r.detail.starts_with("condition_id"), "{r}");
}

#[test]
fn creating_extensions_and_conditions_changes_no_other_id_or_event() {
    let run = |create: bool| {
        let mut e = engine(2, |_, _| {});
        e.arrival(0, ConvType::Queue);
        e.arrival(3_000, ConvType::CallOut);
        e.arrival(4_000, ConvType::CallAgent);
        if create {
            at(&mut e, 2);
            extension(&mut e, "123456");
            e.operate(Operation::CreateCondition(condition_spec("1==1;")))
                .expect("created");
        }
        let mut ids = Vec::new();
        while let Some(h) = e.next_happening() {
            ids.push((h.at, h.conv.id, format!("{:?}", h.kind)));
        }
        ids
    };
    let (plain, with) = (run(false), run(true));
    assert!(plain.len() > 10, "{plain:?}");
    assert_eq!(plain, with);
}

/// Creates condition `where_` sorted by `sort`; its id.
fn condition(e: &mut Engine, where_: &str, sort: Option<&str>) -> Arc<str> {
    let mut spec = condition_spec(where_);
    spec.sort = sort.map(Into::into);
    match e.operate(Operation::CreateCondition(spec)) {
        Ok(Answer::Created { id }) => id,
        other => panic!("{other:?}"),
    }
}

/// The name of the agent the ACD takes for `route` now, if any.
fn select(e: &mut Engine, route: Option<Route>) -> Option<String> {
    let idx = e.select_agent(route.as_ref()).expect("a known route")?;
    Some(e.pool.get(idx).name().to_string())
}

/// Logs agents in `online` with their skills, then sets them idle in the order given (the
/// first is the longest idle).
fn idle_in_order(e: &mut Engine, agents: &[(&str, Vec<Skill>)]) {
    for (name, skills) in agents {
        login(e, name, None, skills.clone());
    }
    for (name, _) in agents {
        assert_eq!(set_state(e, name, "idle"), Ok(Answer::Null));
    }
}

#[test]
fn a_condition_selects_the_agents_its_where_matches_highest_sort_first_then_longest_idle() {
    let mut e = engine(0, |_, _| {});
    idle_in_order(
        &mut e,
        &[
            ("c", vec![skill("x", 90)]),
            ("b", vec![skill("x", 90), skill("y", 5)]),
            ("a", vec![skill("x", 50)]),
            ("d", vec![skill("y", 100)]),
            (
                "off",
                vec![Skill {
                    enabled: false,
                    ..skill("x", 99)
                }],
            ),
        ],
    );
    let id = condition(&mut e, "get(\"x\") > 40;", Some("get(\"x\") + get(\"y\");"));
    let route = Some(Route::Condition(id));
    let named = route.as_ref().expect("a route");
    assert_eq!(e.condition_queue_timeout(named), Some(60));
    assert_eq!(e.condition_fetch_timeout(named), Some(45));
    assert_eq!(e.condition_queue_timeout(&Route::Skill("x".into())), None);
    assert_eq!(
        e.condition_queue_timeout(&Route::Condition("gone".into())),
        None
    );
    assert_eq!(select(&mut e, route.clone()).as_deref(), Some("b"), "95");
    assert_eq!(select(&mut e, route.clone()).as_deref(), Some("c"), "90");
    assert_eq!(select(&mut e, route.clone()).as_deref(), Some("a"), "50");
    assert_eq!(
        select(&mut e, route.clone()),
        None,
        "d and off do not match"
    );
    // Without a sort, the longest idle of those the where selects.
    let has_y = Some(Route::Condition(condition(&mut e, "has(\"y\");", None)));
    assert_eq!(select(&mut e, has_y.clone()).as_deref(), Some("d"));
    assert_eq!(select(&mut e, has_y), None);
}

#[test]
fn a_condition_without_a_sort_takes_the_longest_idle_agent_it_matches() {
    let mut e = engine(0, |_, _| {});
    idle_in_order(
        &mut e,
        &[
            ("late", vec![skill("x", 1)]),
            ("early", vec![skill("x", 99)]),
        ],
    );
    let all = Some(Route::Condition(e.condition_id.clone()));
    assert_eq!(select(&mut e, all.clone()).as_deref(), Some("late"));
    assert_eq!(select(&mut e, all.clone()).as_deref(), Some("early"));
    assert_eq!(select(&mut e, all), None);
}

#[test]
fn an_agent_route_takes_that_agent_only_when_it_is_eligible() {
    let mut e = engine(0, |_, _| {});
    idle_in_order(&mut e, &[("a", vec![]), ("b", vec![])]);
    let b = || Some(Route::Agent("b".into()));
    assert_eq!(select(&mut e, b()).as_deref(), Some("b"));
    assert_eq!(select(&mut e, b()), None, "fetching now");
    assert_eq!(select(&mut e, Some(Route::Agent("nobody".into()))), None);
    assert_eq!(select(&mut e, None).as_deref(), Some("a"));
}

#[test]
fn a_skill_route_takes_the_longest_idle_agent_with_that_skill_enabled() {
    let mut e = engine(0, |_, _| {});
    idle_in_order(
        &mut e,
        &[
            ("none", vec![]),
            (
                "disabled",
                vec![Skill {
                    enabled: false,
                    ..skill("售后", 90)
                }],
            ),
            ("one", vec![skill("售后", 0)]),
            ("two", vec![skill("售后", 100)]),
        ],
    );
    let route = || Some(Route::Skill("售后".into()));
    assert_eq!(select(&mut e, route()).as_deref(), Some("one"));
    assert_eq!(select(&mut e, route()).as_deref(), Some("two"));
    assert_eq!(select(&mut e, route()), None);
}

#[test]
fn only_agents_exactly_idle_registered_and_not_reserved_are_selected() {
    let mut e = engine(1, |_, _| {});
    // agent-001 is the scenario's, reserved for a script.
    e.pool.reserve(0);
    for (name, state) in [
        ("online", None),
        ("away", Some("away")),
        ("busy", Some("busy/wrap")),
        ("lunch", Some("away/lunch")),
    ] {
        login(&mut e, name, state, vec![skill("x", 1)]);
    }
    let all = Some(Route::Condition(e.condition_id.clone()));
    for route in [
        None,
        all.clone(),
        Some(Route::Skill("x".into())),
        Some(Route::Agent("busy".into())),
        Some(Route::Agent("agent-001".into())),
    ] {
        assert_eq!(select(&mut e, route.clone()), None, "{route:?}");
    }
    // Idle, but its registration lapses.
    login(&mut e, "lapsing", Some("idle"), vec![skill("x", 1)]);
    at(&mut e, 24 * 3_600);
    for route in [
        None,
        all,
        Some(Route::Skill("x".into())),
        Some(Route::Agent("lapsing".into())),
    ] {
        assert_eq!(select(&mut e, route.clone()), None, "{route:?}");
    }
}

#[test]
fn a_caller_on_a_condition_is_served_by_the_first_matching_agent_to_become_idle() {
    let mut e = engine(0, |_, _| {});
    e.plan.events = EventFamilies::all();
    login(&mut e, "novice", None, vec![skill("售后", 10)]);
    login(&mut e, "expert", None, vec![skill("售后", 90)]);
    let id = condition(&mut e, "get(\"售后\") >= 60;", None);
    e.arrival(0, ConvType::Queue);
    at(&mut e, 1);
    e.conv_mut(0).route = Some(Route::Condition(id));
    assert_eq!(set_state(&mut e, "novice", "idle"), Ok(Answer::Null));
    at(&mut e, 5);
    assert_eq!(set_state(&mut e, "expert", "idle"), Ok(Answer::Null));
    let lines = e.transcript_all();
    assert_eq!(
        lines[..3],
        [
            "5.000 #0 created",
            "5.000 #0 queue select ivr expert",
            "5.000 expert idle→fetching",
        ],
        "{lines:?}"
    );
    assert!(!lines.iter().any(|l| l.contains("novice")), "{lines:?}");
}

#[test]
fn an_agent_logged_out_during_its_after_call_work_is_never_heard_of_again() {
    use crate::sim::dist::Dist;
    let mut e = engine(1, |b, _| b.wrap_up = Dist::fixed(secs(30)));
    e.plan.events = EventFamilies::all();
    e.arrival(0, ConvType::Queue);
    at(&mut e, 70);
    assert_eq!(view(&mut e, "agent-001").state.as_deref(), Some("busy"));
    let logout = Operation::Logout {
        agent: "agent-001".into(),
        force: false,
    };
    assert_eq!(e.operate(logout), Ok(Answer::Null));
    e.arrival(80_000, ConvType::Queue);
    let lines = e.transcript_all();
    let last = lines.last().expect("lines");
    assert!(
        last.starts_with("66.000"),
        "nothing after the logout: {lines:?}"
    );
    assert_eq!(e.live(), 1, "the caller waits: nobody is logged in");
}
