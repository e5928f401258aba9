//! The platform's control endpoints through the router, against a fake `Platform` that
//! records the operations it gets and answers as told: every endpoint's `Operation` and
//! envelope, every refusal code passing through, every class of bad input refused
//! `000001` naming the field without reaching the platform, and `--api-auth`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use ccsim::api::auth::{ApiCredentials, AuthPolicy, DEFAULT_ZONE, sign_request};
use ccsim::api::render::Renderer;
use ccsim::api::server::BODY_LIMIT;
use ccsim::event::profile::Profile;
use ccsim::operation::{
    AgentView, Answer, CallOut, Code, ConditionSpec, ConditionView, Enqueue, ExtensionView,
    InviteOut, Login, Mode, NewExtension, Operation, Page, Paged, Platform, Refusal, Route, Skill,
};
use serde_json::{Value, json};

use super::*;

type Reply = Box<dyn Fn(&Operation) -> Result<Answer, Refusal> + Send + Sync>;

/// A platform that records what it is asked and answers with `reply`.
pub(crate) struct Fake {
    got: Mutex<Vec<Operation>>,
    reply: Reply,
}

impl Platform for Fake {
    fn operate(&self, op: Operation) -> Result<Answer, Refusal> {
        let answer = (self.reply)(&op);
        self.got.lock().unwrap().push(op);
        answer
    }

    fn now(&self) -> ccsim::time::SimTime {
        ccsim::time::SimTime::EARLIEST_START
    }

    fn reset(&self) -> Result<(), Refusal> {
        Ok(())
    }
}

pub(crate) fn fake(
    reply: impl Fn(&Operation) -> Result<Answer, Refusal> + Send + Sync + 'static,
) -> Arc<Fake> {
    Arc::new(Fake {
        got: Mutex::new(Vec::new()),
        reply: Box::new(reply),
    })
}

fn answering_true() -> Arc<Fake> {
    fake(|_| Ok(Answer::True))
}

impl Fake {
    fn got(&self) -> Vec<Operation> {
        self.got.lock().unwrap().clone()
    }
}

fn ops_app_with(platform: Arc<Fake>, auth: Option<AuthPolicy>, profile: Profile) -> Router {
    let renderer = Renderer {
        profile,
        zone: DEFAULT_ZONE,
    };
    router(ApiState::new(fixture_store(), renderer, auth).with_platform(platform))
}

pub(crate) fn ops_app(platform: Arc<Fake>) -> Router {
    ops_app_with(platform, None, Profile::documented())
}

const BASE: &str = "/v1/account/8a2d9fed5a117dbb015a1201db300004/callcenter";
const CONV: &str = "0123456789abcdef0123456789abcdef";
const EXT: &str = "40288aca587659820158765c305f0000";
const COND: &str = "8a2d9fed5a117dbb015a1201db300004";
const QUEUE: &str = "99999999999999999999999999999999";

fn uri(tail: &str) -> String {
    format!("{BASE}/{tail}")
}

fn json_request(method: &str, tail: &str, body: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri(tail))
        .header("content-type", "application/json;charset=UTF-8")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

fn empty_request(method: &str, tail: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri(tail))
        .body(Body::empty())
        .unwrap()
}

/// A request: POST with a JSON body, or GET/DELETE without.
pub(crate) fn req(method: &str, tail: &str, body: Option<&str>) -> Request<Body> {
    match body {
        Some(body) => json_request(method, tail, body),
        None => empty_request(method, tail),
    }
}

fn ok_true() -> Value {
    json!({"code": "000000", "msg": "请求成功", "data": true})
}

fn enqueue_xml(route: &str) -> String {
    format!(r#"<enqueue user_data="u"><route>{route}</route></enqueue>"#)
}

fn enqueue_of(route: Route) -> Enqueue {
    Enqueue {
        route,
        user_data: Some("u".into()),
        reserve_state: None,
        conversation_timeout: None,
        queue_timeout: None,
        fetch_timeout: None,
        priority: None,
    }
}

/// Every control endpoint (method, path after `callcenter/`), as the router serves them.
pub(crate) const CONTROL_ROUTES: [(&str, &str); 31] = [
    ("POST", "extension"),
    ("GET", "extension"),
    ("GET", "extension/{id}"),
    ("DELETE", "extension/{id}"),
    ("POST", "agent"),
    ("GET", "agent"),
    ("GET", "agent/{name}"),
    ("DELETE", "agent/{name}"),
    ("GET", "agent/{name}/keepalive"),
    ("POST", "agent/{name}/extension"),
    ("POST", "agent/{name}/state"),
    ("POST", "agent/{name}/skills"),
    ("POST", "agent/{name}/call_out"),
    ("POST", "agent/{name}/call_agent"),
    ("POST", "agent/{name}/enter"),
    ("POST", "agent/{name}/exit"),
    ("POST", "agent/{name}/lsm"),
    ("POST", "agent/{name}/reject"),
    ("GET", "agent/{name}/conversation"),
    ("POST", "agent/{name}/fwd_agent"),
    ("POST", "agent/{name}/xfer_agent"),
    ("POST", "agent/{name}/xfer_out"),
    ("DELETE", "conversation/{id}"),
    ("POST", "conversation/{id}/agent/{name}/lsm"),
    ("POST", "conversation/{id}/invite_agent"),
    ("POST", "conversation/{id}/invite_out"),
    ("POST", "condition"),
    ("GET", "condition"),
    ("POST", "condition/{id}"),
    ("GET", "condition/{id}"),
    ("DELETE", "condition/{id}"),
];

/// The route template `tail` (a concrete path, maybe with a query) matches.
pub(crate) fn template_of(method: &str, tail: &str) -> &'static str {
    let path = tail.split('?').next().unwrap();
    let segments: Vec<&str> = path.split('/').collect();
    CONTROL_ROUTES
        .iter()
        .find(|(m, template)| {
            let parts: Vec<&str> = template.split('/').collect();
            *m == method
                && parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| t.starts_with('{') || t == s)
        })
        .map(|(_, template)| *template)
        .unwrap_or_else(|| panic!("no route for {method} {tail}"))
}

/// What the platform answers to `op` when it accepts it (the shapes of the docs).
pub(crate) fn typical_answer(op: &Operation) -> Answer {
    match op {
        Operation::CreateExtension(_) | Operation::GetExtension { .. } => {
            Answer::Extension(ext_view(EXT))
        }
        Operation::ListExtensions(_) => Answer::Extensions(Paged {
            page_size: 20,
            start_index: 1,
            total_count: 1,
            total_page_count: 1,
            current_page_no: 1,
            result: vec![ext_view(EXT)],
        }),
        Operation::GetAgent { agent } => Answer::Agent(agent_view(agent)),
        Operation::ListAgents(_) => Answer::Agents(Paged {
            page_size: 20,
            start_index: 1,
            total_count: 1,
            total_page_count: 1,
            current_page_no: 1,
            result: vec![agent_view("1001")],
        }),
        Operation::CreateCondition(_) => Answer::Created { id: COND.into() },
        Operation::GetCondition { .. } => Answer::Condition(condition_view()),
        Operation::ListConditions => Answer::Conditions(vec![condition_view()]),
        Operation::AgentConversations { .. } => Answer::Conversations(vec![CALL_OUT_ID.into()]),
        Operation::DeleteExtension { .. }
        | Operation::Login(_)
        | Operation::Logout { .. }
        | Operation::Keepalive { .. }
        | Operation::SetExtension { .. }
        | Operation::SetState { .. }
        | Operation::SetSkills { .. } => Answer::Null,
        _ => Answer::True,
    }
}

#[tokio::test]
async fn every_route_is_served_with_a_platform() {
    for (method, template) in CONTROL_ROUTES {
        let tail = template.replace("{id}", CONV).replace("{name}", "1001");
        let body = (method == "POST").then_some("{}");
        let answer = send(ops_app(answering_true()), req(method, &tail, body)).await;
        assert_eq!(answer.status, StatusCode::OK, "{method} {tail}");
        assert!(answer.json()["code"].is_string(), "{method} {tail}");
    }
}

/// Every endpoint that reaches the platform: the request and the exact operation.
pub(crate) fn every_endpoint() -> Vec<(&'static str, String, Option<String>, Operation)> {
    let call_agent_body =
        json!({"enqueue": enqueue_xml(r#"<agent name="1002" priority="3" queue_timeout="60" fetch_timeout="50"/>"#)}).to_string();
    vec![
        (
            "POST",
            "extension".into(),
            Some(r#"{"user":"78541","password":"123456","type":1}"#.into()),
            Operation::CreateExtension(NewExtension {
                kind: 1,
                user: Some("78541".into()),
                password: Some("123456".into()),
                ipaddr: None,
                telnum: None,
            }),
        ),
        (
            "DELETE",
            format!("extension/{EXT}"),
            None,
            Operation::DeleteExtension { id: EXT.into() },
        ),
        (
            "GET",
            format!("extension/{EXT}"),
            None,
            Operation::GetExtension { id: EXT.into() },
        ),
        (
            "GET",
            "extension?pageNo=2&pageSize=10".into(),
            None,
            Operation::ListExtensions(Page {
                number: 2,
                size: 10,
            }),
        ),
        (
            "GET",
            "extension".into(),
            None,
            Operation::ListExtensions(Page {
                number: 1,
                size: 20,
            }),
        ),
        (
            "POST",
            "agent".into(),
            Some(
                json!({
                    "name": "1004", "num": "1002", "state": "away/drinking",
                    "skills": [
                        {"name": "投诉", "score": 80, "enabled": true},
                        {"name": "建议", "score": 90, "enabled": true},
                        {"name": "默认"}
                    ],
                    "extension": EXT
                })
                .to_string(),
            ),
            Operation::Login(Login {
                name: "1004".into(),
                num: Some("1002".into()),
                state: Some("away/drinking".into()),
                skills: vec![
                    Skill {
                        name: "投诉".into(),
                        score: 80,
                        enabled: true,
                    },
                    Skill {
                        name: "建议".into(),
                        score: 90,
                        enabled: true,
                    },
                    Skill {
                        name: "默认".into(),
                        score: 0,
                        enabled: true,
                    },
                ],
                extension: EXT.into(),
            }),
        ),
        (
            "DELETE",
            "agent/1004?force=true".into(),
            None,
            Operation::Logout {
                agent: "1004".into(),
                force: true,
            },
        ),
        (
            "DELETE",
            "agent/1004".into(),
            None,
            Operation::Logout {
                agent: "1004".into(),
                force: false,
            },
        ),
        (
            "GET",
            "agent/1001/keepalive".into(),
            None,
            Operation::Keepalive {
                agent: "1001".into(),
            },
        ),
        (
            "GET",
            "agent/1001".into(),
            None,
            Operation::GetAgent {
                agent: "1001".into(),
            },
        ),
        (
            "GET",
            "agent?pageNo=1&pageSize=10".into(),
            None,
            Operation::ListAgents(Page {
                number: 1,
                size: 10,
            }),
        ),
        (
            "POST",
            "agent/1001/extension".into(),
            Some(format!(r#"{{"id":"{EXT}"}}"#)),
            Operation::SetExtension {
                agent: "1001".into(),
                extension: EXT.into(),
            },
        ),
        (
            "POST",
            "agent/1001/state".into(),
            Some(r#"{"state":"busy/打印文件"}"#.into()),
            Operation::SetState {
                agent: "1001".into(),
                state: "busy/打印文件".into(),
            },
        ),
        (
            "POST",
            "agent/1001/call_out".into(),
            Some(
                r#"{"to":"13800000002","from":"02088886666","max_dial_seconds":30,"max_answer_seconds":600,"user_data":"order-7"}"#
                    .into(),
            ),
            Operation::CallOut(CallOut {
                agent: "1001".into(),
                to: "13800000002".into(),
                from: Some("02088886666".into()),
                max_dial_seconds: Some(30),
                max_answer_seconds: 600,
                user_data: Some("order-7".into()),
            }),
        ),
        (
            "POST",
            "agent/1001/call_agent".into(),
            Some(call_agent_body),
            Operation::CallAgent {
                agent: "1001".into(),
                enqueue: Enqueue {
                    priority: Some(3),
                    queue_timeout: Some(60),
                    fetch_timeout: Some(50),
                    ..enqueue_of(Route::Agent("1002".into()))
                },
            },
        ),
        (
            "POST",
            "agent/1001/enter".into(),
            Some(format!(r#"{{"conversation_id":"{CONV}","mode":2,"holding":false}}"#)),
            Operation::Enter {
                agent: "1001".into(),
                conversation: CONV.into(),
                mode: Mode(2),
            },
        ),
        (
            "POST",
            "agent/1001/enter".into(),
            Some(format!(r#"{{"conversation_id":"{CONV}"}}"#)),
            Operation::Enter {
                agent: "1001".into(),
                conversation: CONV.into(),
                mode: Mode(1),
            },
        ),
        (
            "POST",
            "agent/1001/exit".into(),
            Some(format!(r#"{{"conversation_id":"{CONV}"}}"#)),
            Operation::Exit {
                agent: "1001".into(),
                conversation: CONV.into(),
            },
        ),
        (
            "POST",
            "agent/1001/lsm".into(),
            Some(format!(r#"{{"conversation_id":"{CONV}","mode":4}}"#)),
            Operation::Lsm {
                agent: "1001".into(),
                conversation: CONV.into(),
                mode: Mode(4),
            },
        ),
        (
            "POST",
            "agent/1001/reject".into(),
            Some(format!(r#"{{"queue_id":"{QUEUE}","user_data":"x"}}"#)),
            Operation::Reject {
                agent: "1001".into(),
                queue_id: QUEUE.into(),
            },
        ),
        (
            "GET",
            "agent/1001/conversation".into(),
            None,
            Operation::AgentConversations {
                agent: "1001".into(),
            },
        ),
        (
            "DELETE",
            format!("conversation/{CONV}"),
            None,
            Operation::Dismiss {
                conversation: CONV.into(),
            },
        ),
        (
            "POST",
            format!("conversation/{CONV}/agent/1001/lsm"),
            Some(r#"{"mode":3}"#.into()),
            Operation::Lsm {
                agent: "1001".into(),
                conversation: CONV.into(),
                mode: Mode(3),
            },
        ),
        (
            "POST",
            format!("conversation/{CONV}/invite_agent"),
            Some(json!({"enqueue": enqueue_xml(r#"<skill name="售后"/>"#), "mode": 2}).to_string()),
            Operation::InviteAgent {
                conversation: CONV.into(),
                enqueue: enqueue_of(Route::Skill("售后".into())),
                mode: Mode(2),
            },
        ),
        (
            "POST",
            format!("conversation/{CONV}/invite_agent"),
            Some(json!({"enqueue": enqueue_xml(&format!(r#"<condition id="{COND}"/>"#))}).to_string()),
            Operation::InviteAgent {
                conversation: CONV.into(),
                enqueue: enqueue_of(Route::Condition(COND.into())),
                mode: Mode(1),
            },
        ),
        (
            "POST",
            format!("conversation/{CONV}/invite_out"),
            Some(r#"{"to":"13800000003","max_answer_seconds":60}"#.into()),
            Operation::InviteOut(InviteOut {
                conversation: CONV.into(),
                to: "13800000003".into(),
                from: None,
                max_dial_seconds: None,
                max_answer_seconds: 60,
                mode: Mode(1),
            }),
        ),
        (
            "POST",
            "condition".into(),
            Some(
                json!({"where": "get(\"技能1\") > 60 && get(\"技能2\") > 50;", "sort": "(get(\"技能1\") + get(\"技能2\")) /2;", "priority": 99, "queue_timeout": 15, "fetch_timeout": 45, "remark": "全部坐席排队"})
                    .to_string(),
            ),
            Operation::CreateCondition(ConditionSpec {
                where_: "get(\"技能1\") > 60 && get(\"技能2\") > 50;".into(),
                sort: Some("(get(\"技能1\") + get(\"技能2\")) /2;".into()),
                priority: 99,
                queue_timeout: 15,
                fetch_timeout: 45,
                remark: Some("全部坐席排队".into()),
            }),
        ),
        (
            "POST",
            format!("condition/{COND}"),
            Some(r#"{"where":"1==1;","queue_timeout":1000}"#.into()),
            Operation::UpdateCondition {
                id: COND.into(),
                spec: ConditionSpec {
                    where_: "1==1;".into(),
                    sort: None,
                    priority: 0,
                    queue_timeout: 1000,
                    fetch_timeout: 45,
                    remark: None,
                },
            },
        ),
        (
            "DELETE",
            format!("condition/{COND}"),
            None,
            Operation::DeleteCondition { id: COND.into() },
        ),
        (
            "GET",
            format!("condition/{COND}"),
            None,
            Operation::GetCondition { id: COND.into() },
        ),
        ("GET", "condition".into(), None, Operation::ListConditions),
    ]
}

#[tokio::test]
async fn every_endpoint_hands_the_platform_its_exact_operation_and_renders_data_true() {
    for (method, tail, body, expected) in every_endpoint() {
        let platform = answering_true();
        let answer = send(
            ops_app(platform.clone()),
            req(method, &tail, body.as_deref()),
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "{method} {tail}: {}",
            answer.text()
        );
        assert_eq!(answer.json(), ok_true(), "{method} {tail}");
        assert_eq!(platform.got(), [expected], "{method} {tail}");
    }
}

#[tokio::test]
async fn skills_are_edited_by_the_documented_operations_on_the_agents_current_skills() {
    let platform = fake(|op| match op {
        Operation::GetAgent { agent } => Ok(Answer::Agent(AgentView {
            name: agent.clone(),
            num: None,
            state: Some("idle".into()),
            extension: None,
            skills: vec![
                Skill {
                    name: "手机".into(),
                    score: 10,
                    enabled: true,
                },
                Skill {
                    name: "投诉".into(),
                    score: 20,
                    enabled: false,
                },
            ],
            conversation: None,
        })),
        _ => Ok(Answer::Null),
    });
    let body = r#"{"opts":[{"opt":2,"name":"手机"},{"opt":1,"name":"投诉","score":50,"enabled":true},{"opt":1,"name":"新"}]}"#;
    let answer = send(
        ops_app(platform.clone()),
        json_request("POST", "agent/1001/skills", body),
    )
    .await;
    assert_eq!(
        answer.json(),
        json!({"code": "000000", "msg": "请求成功", "data": null})
    );
    assert_eq!(
        platform.got(),
        [
            Operation::GetAgent {
                agent: "1001".into()
            },
            Operation::SetSkills {
                agent: "1001".into(),
                skills: vec![
                    Skill {
                        name: "投诉".into(),
                        score: 50,
                        enabled: true
                    },
                    Skill {
                        name: "新".into(),
                        score: 0,
                        enabled: false
                    },
                ],
            }
        ]
    );
    // An unknown agent: the platform's refusal of the read, and no write.
    let platform = fake(|_| Err(Refusal::new(Code::NoSuchAgent, "1001")));
    let answer = send(
        ops_app(platform.clone()),
        json_request("POST", "agent/1001/skills", r#"{"opts":[{"opt":0}]}"#),
    )
    .await;
    assert_eq!(answer.json()["code"], "040202");
    assert_eq!(platform.got().len(), 1);
}

#[tokio::test]
async fn forward_and_transfers_check_their_parameters_and_do_nothing() {
    let enqueue = enqueue_xml(r#"<agent name="1002"/>"#);
    let cases = [
        (
            "agent/1001/fwd_agent",
            json!({"queue_task_id": QUEUE, "enqueue": enqueue}),
        ),
        (
            "agent/1001/xfer_agent",
            json!({"conversation_id": CONV, "enqueue": enqueue}),
        ),
        (
            "agent/1001/xfer_out",
            json!({"conversation_id": CONV, "to": "13800000000", "max_answer_seconds": 60}),
        ),
    ];
    for (tail, body) in cases {
        let platform = answering_true();
        let answer = send(
            ops_app(platform.clone()),
            json_request("POST", tail, &body.to_string()),
        )
        .await;
        assert_eq!(answer.json(), ok_true(), "{tail}");
        assert!(platform.got().is_empty(), "{tail}");
        // Bad parameters are still refused.
        let mut broken = body.clone();
        broken["conversation_id"] = json!("nope");
        broken["queue_task_id"] = json!("nope");
        let answer = send(
            ops_app(platform.clone()),
            json_request("POST", tail, &broken.to_string()),
        )
        .await;
        assert_eq!(answer.json()["code"], "000001", "{tail}");
    }
}

fn ext_view(id: &str) -> ExtensionView {
    ExtensionView {
        id: id.into(),
        kind: "1".into(),
        user: Some("1000178541".into()),
        password: Some("123456".into()),
        ipaddr: None,
        telnum: None,
    }
}

fn agent_view(name: &str) -> AgentView {
    AgentView {
        name: name.into(),
        num: Some("1002".into()),
        state: None,
        extension: None,
        skills: vec![Skill {
            name: "投诉".into(),
            score: 80,
            enabled: true,
        }],
        conversation: None,
    }
}

fn condition_view() -> ConditionView {
    ConditionView {
        id: COND.into(),
        where_: "1==1;".into(),
        sort: None,
        priority: 0,
        queue_timeout: 15,
        fetch_timeout: 45,
        remark: Some("全部坐席排队".into()),
    }
}

#[tokio::test]
async fn every_answer_renders_in_the_platforms_field_names() {
    let cases: Vec<(Answer, Value)> = vec![
        (Answer::True, json!(true)),
        (Answer::Null, json!(null)),
        (Answer::Created { id: EXT.into() }, json!({"id": EXT})),
        (
            Answer::Extension(ext_view(EXT)),
            json!({"id": EXT, "type": "1", "user": "1000178541", "password": "123456", "ipaddr": null, "telnum": null}),
        ),
        (
            Answer::Extensions(Paged {
                page_size: 10,
                start_index: 1,
                total_count: 1,
                total_page_count: 1,
                current_page_no: 1,
                result: vec![ext_view(EXT)],
            }),
            json!({"pageSize": 10, "startIndex": 1, "totalCount": 1, "totalPageCount": 1, "currentPageNo": 1,
                   "result": [{"id": EXT, "type": "1", "user": "1000178541", "password": "123456", "ipaddr": null, "telnum": null}]}),
        ),
        (
            Answer::Agent(agent_view("1001")),
            json!({"name": "1001", "num": "1002", "state": null, "extension": null,
                   "skills": [{"name": "投诉", "score": 80, "enabled": true}], "conversation": null}),
        ),
        (
            Answer::Agents(Paged {
                page_size: 20,
                start_index: 1,
                total_count: 1,
                total_page_count: 1,
                current_page_no: 1,
                result: vec![agent_view("1001")],
            }),
            json!({"pageSize": 20, "startIndex": 1, "totalCount": 1, "totalPageCount": 1, "currentPageNo": 1,
                   "result": [{"name": "1001", "num": "1002", "state": null, "extension": null,
                               "skills": [{"name": "投诉", "score": 80, "enabled": true}], "conversation": null}]}),
        ),
        (
            Answer::Condition(condition_view()),
            json!({"id": COND, "where": "1==1;", "sort": null, "priority": 0, "queue_timeout": 15, "fetch_timeout": 45, "remark": "全部坐席排队"}),
        ),
        (
            Answer::Conditions(vec![condition_view()]),
            json!([{"id": COND, "where": "1==1;", "sort": null, "priority": 0, "queue_timeout": 15, "fetch_timeout": 45, "remark": "全部坐席排队"}]),
        ),
        (Answer::Conversations(Vec::new()), json!(null)),
        (
            Answer::Conversations(vec![CONV.into()]),
            json!([{"id": CONV}]),
        ),
    ];
    for (reply, data) in cases {
        let shown = format!("{reply:?}");
        let platform = fake(move |_| Ok(reply.clone()));
        let answer = send(ops_app(platform), empty_request("GET", "agent/1001")).await;
        assert_eq!(
            answer.json(),
            json!({"code": "000000", "msg": "请求成功", "data": data}),
            "{shown}"
        );
    }
    // A conversation the records hold: its object without members, as the list shows it.
    let platform = fake(|_| Ok(Answer::Conversations(vec![CALL_OUT_ID.into()])));
    let answer = send(
        ops_app(platform),
        empty_request("GET", "agent/agent_002/conversation"),
    )
    .await;
    let data = &answer.json()["data"][0];
    assert_eq!(data["id"], CALL_OUT_ID);
    assert_eq!(data["type"], "call_out");
    assert!(data.get("members").is_none_or(Value::is_null), "{data}");
}

#[tokio::test]
async fn every_refusal_code_passes_through_with_its_message_and_detail() {
    let codes = [
        (Code::BadParameter, "000001", "参数错误"),
        (Code::NotReady, "000004", "系统繁忙"),
        (Code::NoSuchExtension, "040103", "分机不存在"),
        (Code::ExtensionUnavailable, "040104", "分机不可用"),
        (Code::NoSuchAgent, "040202", "坐席不存在"),
        (Code::AgentBusy, "040203", "座席正忙"),
        (Code::AgentExpired, "040204", "坐席已过期"),
        (Code::NoSuchConversation, "040501", "交谈不存在"),
        (Code::ConversationFull, "040502", "交谈成员已满"),
    ];
    for (code, digits, message) in codes {
        let platform = fake(move |_| Err(Refusal::new(code, "agent 1001 is talking")));
        let answer = send(
            ops_app(platform),
            json_request("POST", "agent/1001/state", r#"{"state":"idle"}"#),
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(
            answer.json(),
            json!({"code": digits, "msg": format!("{message}: agent 1001 is talking"), "data": null})
        );
    }
    // No detail: the message alone.
    let platform = fake(|_| Err(Refusal::new(Code::NoSuchAgent, "")));
    let answer = send(ops_app(platform), empty_request("GET", "agent/1001")).await;
    assert_eq!(answer.json()["msg"], "坐席不存在");
    // The envelope's keys in the platform's order.
    let platform = fake(|_| Err(Refusal::new(Code::NoSuchAgent, "x")));
    let text = send(ops_app(platform), empty_request("GET", "agent/1001"))
        .await
        .text();
    assert!(text.starts_with(r#"{"code":"040202","msg":"#), "{text}");
}

/// Asserts `000001` with a `msg` containing `needle`, and that the platform got nothing.
async fn assert_refused(request: Request<Body>, needle: &str) {
    let what = format!("{} {}", request.method(), request.uri());
    let platform = answering_true();
    let answer = send(ops_app(platform.clone()), request).await;
    assert_eq!(answer.status, StatusCode::OK, "{what}: {}", answer.text());
    let json = answer.json();
    assert_eq!(json["code"], "000001", "{what}: {json}");
    let msg = json["msg"].as_str().unwrap();
    assert!(msg.starts_with("参数错误: "), "{what}: {msg}");
    assert!(
        msg.contains(needle),
        "{what}: {msg:?} should name {needle:?}"
    );
    assert_eq!(json["data"], Value::Null);
    assert!(platform.got().is_empty(), "{what} reached the platform");
}

async fn refused(method: &str, tail: &str, body: &str, needle: &str) {
    assert_refused(json_request(method, tail, body), needle).await;
}

#[tokio::test]
async fn bad_bodies_are_refused_naming_the_field_in_every_family() {
    let conv_body = format!(r#""conversation_id":"{CONV}""#);
    let cases: Vec<(&str, String, String, &str)> = vec![
        // Unknown fields.
        ("POST", "extension".into(), r#"{"type":1,"colour":"red"}"#.into(), "unknown field \"colour\""),
        ("POST", "agent".into(), format!(r#"{{"name":"a","extension":"{EXT}","x":1}}"#), "unknown field \"x\""),
        ("POST", "agent/1001/call_out".into(), r#"{"to":"1","max_answer_seconds":1,"too":"2"}"#.into(), "unknown field \"too\""),
        ("POST", format!("conversation/{CONV}/invite_out"), r#"{"to":"1","max_answer_seconds":1,"force":true}"#.into(), "unknown field \"force\""),
        ("POST", "condition".into(), r#"{"where":"1==1;","queue_timeout":1,"id":"x"}"#.into(), "unknown field \"id\""),
        ("POST", "agent".into(), format!(r#"{{"name":"a","extension":"{EXT}","skills":[{{"name":"s","level":1}}]}}"#), "unknown field \"skills[0].level\""),
        // Wrong types.
        ("POST", "extension".into(), r#"{"type":"1"}"#.into(), "type: expected a whole number, got a string"),
        ("POST", "agent/1001/call_out".into(), r#"{"to":13800000000,"max_answer_seconds":1}"#.into(), "to: expected a string, got a number"),
        ("POST", "agent/1001/call_out".into(), r#"{"to":"1","max_answer_seconds":1.5}"#.into(), "max_answer_seconds: 1.5 is not a whole number"),
        ("POST", "agent/1001/enter".into(), format!(r#"{{{conv_body},"holding":"yes"}}"#), "holding: expected true or false, got a string"),
        ("POST", "agent".into(), format!(r#"{{"name":"a","extension":"{EXT}","skills":{{}}}}"#), "skills: expected an array, got an object"),
        ("POST", "agent/1001/state".into(), "[]".into(), "body: expected a JSON object, got an array"),
        // Missing required fields.
        ("POST", "extension".into(), "{}".into(), "type: missing"),
        ("POST", "agent".into(), format!(r#"{{"extension":"{EXT}"}}"#), "name: missing"),
        ("POST", "agent".into(), r#"{"name":"a"}"#.into(), "extension: missing"),
        ("POST", "agent/1001/call_out".into(), r#"{"to":"1"}"#.into(), "max_answer_seconds: missing"),
        ("POST", "agent/1001/call_agent".into(), "{}".into(), "enqueue: missing"),
        ("POST", "agent/1001/exit".into(), "{}".into(), "conversation_id: missing"),
        ("POST", "agent/1001/reject".into(), "{}".into(), "queue_id: missing"),
        ("POST", format!("conversation/{CONV}/agent/1001/lsm"), "{}".into(), "mode: missing"),
        ("POST", "condition".into(), r#"{"where":"1==1;"}"#.into(), "queue_timeout: missing"),
        ("POST", "agent/1001/state".into(), r#"{"state":null}"#.into(), "state: missing"),
        ("POST", "agent/1001/extension".into(), "{}".into(), "id: missing"),
        // Empty strings.
        ("POST", "agent".into(), format!(r#"{{"name":"","extension":"{EXT}"}}"#), "name: empty"),
        ("POST", "agent/1001/state".into(), r#"{"state":"  "}"#.into(), "state: empty"),
        ("POST", "agent/1001/call_out".into(), r#"{"to":"","max_answer_seconds":1}"#.into(), "to: empty"),
        ("POST", "condition".into(), r#"{"where":"","queue_timeout":1}"#.into(), "where: empty"),
        // Out-of-range numbers.
        ("POST", "agent/1001/enter".into(), format!(r#"{{{conv_body},"mode":5}}"#), "mode: 5 is not from 1 to 4"),
        ("POST", "agent/1001/lsm".into(), format!(r#"{{{conv_body},"mode":0}}"#), "mode: 0 is not from 1 to 4"),
        ("POST", format!("conversation/{CONV}/invite_out"), r#"{"to":"1","max_answer_seconds":1,"mode":9}"#.into(), "mode: 9 is not from 1 to 4"),
        ("POST", "agent/1001/call_out".into(), r#"{"to":"1","max_answer_seconds":0}"#.into(), "max_answer_seconds: 0 is not from 1 to 21600"),
        ("POST", "agent/1001/call_out".into(), r#"{"to":"1","max_answer_seconds":-5}"#.into(), "max_answer_seconds: -5 is not from 1"),
        ("POST", "agent/1001/call_out".into(), r#"{"to":"1","max_answer_seconds":1,"max_dial_seconds":0}"#.into(), "max_dial_seconds: 0 is not from 1"),
        ("POST", "condition".into(), r#"{"where":"1==1;","queue_timeout":1,"priority":100}"#.into(), "priority: 100 is not from 0 to 99"),
        ("POST", "condition".into(), r#"{"where":"1==1;","queue_timeout":1001}"#.into(), "queue_timeout: 1001 is not from 1 to 1000"),
        ("POST", "condition".into(), r#"{"where":"1==1;","queue_timeout":0}"#.into(), "queue_timeout: 0 is not from 1 to 1000"),
        ("POST", format!("condition/{COND}"), r#"{"where":"1==1;","queue_timeout":1,"fetch_timeout":61}"#.into(), "fetch_timeout: 61 is not from 1 to 60"),
        ("POST", "extension".into(), r#"{"type":4}"#.into(), "type: 4 is not from 1 to 3"),
        ("POST", "agent/1001/call_out".into(), r#"{"to":"1","max_answer_seconds":99999999999999999999}"#.into(), "max_answer_seconds"),
        // Names and ids.
        ("POST", "agent".into(), format!(r#"{{"name":"{}","extension":"{EXT}"}}"#, "a".repeat(33)), "name: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" is longer than 32 characters"),
        ("POST", "agent".into(), format!(r#"{{"name":"a-b","extension":"{EXT}"}}"#), "name: \"a-b\" has '-'"),
        ("POST", "agent".into(), r#"{"name":"a","extension":"ext-1"}"#.into(), "extension: \"ext-1\" is not 32 hexadecimal digits"),
        ("POST", "agent/1001/enter".into(), r#"{"conversation_id":"abc"}"#.into(), "conversation_id: \"abc\" is not 32 hexadecimal digits"),
        ("POST", "agent/1001/reject".into(), r#"{"queue_id":"q"}"#.into(), "queue_id: \"q\" is not 32 hexadecimal digits"),
        ("POST", "agent/1001/call_out".into(), r#"{"to":"138 0000","max_answer_seconds":1}"#.into(), "to: \"138 0000\" is not a phone number"),
        ("POST", "agent/1001/state".into(), r#"{"state":"online"}"#.into(), "state: \"online\" is not one of idle, busy, away"),
        ("POST", "agent/1001/state".into(), r#"{"state":"talking"}"#.into(), "state: \"talking\" is not one of"),
        ("POST", "agent/1001/state".into(), format!(r#"{{"state":"away/{}"}}"#, "x".repeat(257)), "state: the part after \"away/\" must be 1 to 256 characters, not 257"),
        ("POST", "agent".into(), format!(r#"{{"name":"a","extension":"{EXT}","state":"fetching"}}"#), "state: \"fetching\" is not one of idle, online"),
        ("POST", "extension".into(), r#"{"type":1,"user":"12ab"}"#.into(), "user: \"12ab\" is not 1 to 12 digits"),
        ("POST", "extension".into(), r#"{"type":2,"ipaddr":"1.2.3"}"#.into(), "ipaddr: \"1.2.3\" is not <ip>[:port]"),
        // XML that does not parse, and enqueues refused.
        ("POST", "agent/1001/call_agent".into(), json!({"enqueue": "<enqueue><route><agent name=\"a\"></route></enqueue>"}).to_string(), "enqueue: malformed XML"),
        ("POST", "agent/1001/call_agent".into(), json!({"enqueue": "<enqueue><route><agent nam=\"a\"/></route></enqueue>"}).to_string(), "enqueue: unknown attribute \"nam\" of <agent> at line 1, column 24"),
        ("POST", format!("conversation/{CONV}/invite_agent"), json!({"enqueue": "<enqueue reserve_state=\"sleeping\"><route><agent name=\"a\"/></route></enqueue>"}).to_string(), "enqueue: reserve_state: \"sleeping\" is not one of"),
        ("POST", "agent/1001/xfer_agent".into(), json!({"conversation_id": CONV, "enqueue": "<x/>"}).to_string(), "enqueue: <x> where <enqueue> was expected"),
        // Expressions.
        ("POST", "condition".into(), r#"{"where":"avg(\"a\") > 1;","queue_timeout":1}"#.into(), "where: unknown function \"avg\" at column 1"),
        ("POST", "condition".into(), r#"{"where":"1==1","queue_timeout":1}"#.into(), "where: missing final \";\" at column 5"),
        ("POST", "condition".into(), r#"{"where":"get(\"a\");","queue_timeout":1}"#.into(), "where: the expression is a number, expected a boolean"),
        ("POST", format!("condition/{COND}"), r#"{"where":"1==1;","sort":"get(\"a\") > 1;","queue_timeout":1}"#.into(), "sort: the expression is a boolean, expected a number"),
        ("POST", "condition".into(), r#"{"where":"1==1;","sort":"x;","queue_timeout":1}"#.into(), "sort: unknown name \"x\" at column 1"),
        // Not JSON.
        ("POST", "agent/1001/state".into(), r#"{"state":"idle""#.into(), "body: not JSON"),
        ("POST", "agent/1001/state".into(), String::new(), "body: empty"),
    ];
    for (method, tail, body, needle) in cases {
        refused(method, &tail, &body, needle).await;
    }
}

#[tokio::test]
async fn bad_paths_and_queries_are_refused_naming_them() {
    let long = "a".repeat(33);
    let cases: Vec<(Request<Body>, String)> = vec![
        (
            empty_request("GET", &format!("agent/{long}")),
            format!("agent name in the path: \"{long}\" is longer than 32 characters"),
        ),
        (
            empty_request("DELETE", "agent/a.b"),
            "agent name in the path: \"a.b\" has '.'".into(),
        ),
        (
            json_request("POST", "agent/%E5%9D%90/state", r#"{"state":"idle"}"#),
            "agent name in the path: \"坐\" has '坐'".into(),
        ),
        (
            empty_request("DELETE", "conversation/123"),
            "conversation id in the path: \"123\" is not 32 hexadecimal digits".into(),
        ),
        (
            json_request(
                "POST",
                &format!("conversation/{}/invite_out", "z".repeat(32)),
                "{}",
            ),
            "conversation id in the path".into(),
        ),
        (
            empty_request("GET", "extension/x"),
            "extension id in the path: \"x\"".into(),
        ),
        (
            empty_request("DELETE", "condition/x"),
            "condition id in the path: \"x\"".into(),
        ),
        (
            empty_request("GET", "agent?pageSize=2000"),
            "pageSize: \"2000\" is not a whole number from 1 to 1999".into(),
        ),
        (
            empty_request("GET", "extension?pageNo=0"),
            "pageNo: \"0\" is not a whole number".into(),
        ),
        (
            empty_request("GET", "agent?page=2"),
            "unknown query parameter \"page\"".into(),
        ),
        (
            empty_request("DELETE", "agent/1001?force=yes"),
            "force: \"yes\" is not true or false".into(),
        ),
        (
            empty_request("GET", "agent/1001/keepalive?x=1"),
            "unknown query parameter \"x\"".into(),
        ),
        (
            empty_request("GET", "agent?pageNo=1&pageNo=2"),
            "query parameter \"pageNo\" given twice".into(),
        ),
        (
            json_request("POST", "agent/1001/state?state=idle", r#"{"state":"idle"}"#),
            "unknown query parameter \"state\"".into(),
        ),
    ];
    for (request, needle) in cases {
        assert_refused(request, &needle).await;
    }
}

#[tokio::test]
async fn a_body_that_is_not_json_by_its_content_type_is_refused() {
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let mut builder = Request::post(uri("agent/1001/state"));
        if let Some(t) = content_type {
            builder = builder.header("content-type", t);
        }
        let request = builder.body(Body::from(r#"{"state":"idle"}"#)).unwrap();
        assert_refused(request, "Content-Type: expected application/json").await;
    }
    // Any spelling of JSON's media type passes.
    for content_type in ["application/json", "Application/JSON; charset=utf-8"] {
        let platform = answering_true();
        let request = Request::post(uri("agent/1001/state"))
            .header("content-type", content_type)
            .body(Body::from(r#"{"state":"idle"}"#))
            .unwrap();
        let answer = send(ops_app(platform.clone()), request).await;
        assert_eq!(answer.json(), ok_true(), "{content_type}");
    }
}

#[tokio::test]
async fn an_oversized_body_is_413_and_never_reaches_the_platform() {
    let big = format!(r#"{{"state":"busy/{}"}}"#, "x".repeat(BODY_LIMIT));
    // Without a declared length: read up to the limit, then refused.
    let platform = answering_true();
    let answer = send(
        ops_app(platform.clone()),
        json_request("POST", "agent/1001/state", &big),
    )
    .await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.json()["code"], "000001");
    // Declared: refused before it is read.
    let request = Request::post(uri("agent/1001/state"))
        .header("content-type", "application/json")
        .header("content-length", big.len().to_string())
        .body(Body::from(big))
        .unwrap();
    let answer = send(ops_app(platform.clone()), request).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(platform.got().is_empty());
}

#[tokio::test]
async fn the_platform_profile_accepts_any_non_blank_state_as_the_platforms_code_does() {
    for state in ["talking", "online", "idle/x", "whatever"] {
        let platform = answering_true();
        let app = ops_app_with(platform.clone(), None, Profile::platform());
        let body = json!({ "state": state }).to_string();
        let answer = send(app, json_request("POST", "agent/1001/state", &body)).await;
        assert_eq!(answer.json(), ok_true(), "{state}");
        assert_eq!(
            platform.got(),
            [Operation::SetState {
                agent: "1001".into(),
                state: state.into()
            }]
        );
    }
    let platform = answering_true();
    let app = ops_app_with(platform.clone(), None, Profile::platform());
    let answer = send(
        app,
        json_request("POST", "agent/1001/state", r#"{"state":" "}"#),
    )
    .await;
    assert_eq!(answer.json()["code"], "000001");
    assert!(platform.got().is_empty());
}

#[tokio::test]
async fn without_a_platform_the_control_paths_stay_404_and_405() {
    let plain = || app(fixture_store(), None);
    let answer = send(plain(), json_request("POST", "agent", "{}")).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    let answer = send(plain(), empty_request("GET", "agent/1001")).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    let answer = send(
        plain(),
        empty_request("DELETE", &format!("conversation/{CONV}")),
    )
    .await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    // With one, a control path with another method is 405 with the envelope.
    let answer = send(
        ops_app(answering_true()),
        empty_request("PUT", "agent/1001"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.json()["code"], "000002");
    let answer = send(
        ops_app(answering_true()),
        empty_request("PUT", &format!("conversation/{CONV}")),
    )
    .await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.json()["code"], "000002");
    // And the record endpoint still answers on the dismiss path.
    let answer = send(
        ops_app(answering_true()),
        empty_request("GET", &format!("conversation/{QUEUE_ID}")),
    )
    .await;
    assert_eq!(answer.json()["data"]["id"], QUEUE_ID);
}

const SECRET: &str = "ops-secret";

fn policy() -> AuthPolicy {
    AuthPolicy::new(
        ApiCredentials::new("app-1", "cert-1", SECRET),
        Duration::from_secs(300),
    )
}

/// A request signed over `signed_body`, carrying `sent_body`.
fn signed(method: &str, tail: &str, signed_body: &str, sent_body: &str) -> Request<Body> {
    let content_type = "application/json;charset=UTF-8";
    let path = uri(tail);
    let headers = sign_request(
        &ApiCredentials::new("app-1", "cert-1", SECRET),
        method,
        &path,
        content_type,
        signed_body.as_bytes(),
        chrono::Utc::now(),
        DEFAULT_ZONE,
    );
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", content_type);
    for (name, value) in headers.pairs() {
        builder = builder.header(name, value);
    }
    builder.body(Body::from(sent_body.to_owned())).unwrap()
}

#[tokio::test]
async fn with_auth_signed_requests_pass_and_tampered_or_unsigned_ones_are_401() {
    let body = r#"{"to":"13800000002","max_answer_seconds":60}"#;
    let platform = answering_true();
    let app = || ops_app_with(platform.clone(), Some(policy()), Profile::documented());
    let answer = send(app(), signed("POST", "agent/1001/call_out", body, body)).await;
    assert_eq!(answer.json(), ok_true());
    assert_eq!(platform.got().len(), 1);
    // GET and DELETE sign no body.
    let answer = send(app(), signed("GET", "agent/1001", "", "")).await;
    assert_eq!(answer.json(), ok_true());
    let answer = send(app(), signed("DELETE", "agent/1001?force=true", "", "")).await;
    assert_eq!(answer.json(), ok_true());
    assert_eq!(platform.got().len(), 3);
    // A body other than the one signed (its MD5 differs): the platform's bad signature.
    let tampered = body.replace("13800000002", "13800000003");
    let answer = send(
        app(),
        signed("POST", "agent/1001/call_out", body, &tampered),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.text(), "HTTP Status 401 - 签名不正确\n");
    // Unsigned.
    let answer = send(app(), json_request("POST", "agent/1001/call_out", body)).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        platform.got().len(),
        3,
        "nothing refused reached the platform"
    );
    // A signed request with bad input is still refused 000001 after auth.
    let bad = r#"{"to":"1","max_answer_seconds":0}"#;
    let answer = send(app(), signed("POST", "agent/1001/call_out", bad, bad)).await;
    assert_eq!(answer.json()["code"], "000001");
    assert_eq!(platform.got().len(), 3);
}
