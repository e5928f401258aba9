//! The payload rules of each profile, event by event, and the platform profile's key order
//! worked out by hand.

use std::sync::Arc;

use serde_json::{Value, json};

use super::*;
use crate::agent::{AgentState, Presence};
use crate::conversation::{ConvInfo, EndReason, MemberInfo};
use crate::ids::{CallId, ExtensionId, Hex32, QueueId, RecordFileId};
use crate::queue_task::SelectedAgent;
use crate::time::SimTime;

const SUB: &str = "8a2d9fed5a117dbb015a1201db300004";

fn hex(c: char) -> Hex32 {
    Hex32::parse(&c.to_string().repeat(32)).expect("valid hex")
}

fn h(c: char) -> String {
    c.to_string().repeat(32)
}

fn conv(kind: ConvType) -> Arc<ConvInfo> {
    Arc::new(ConvInfo {
        key: 7,
        id: ConversationId(hex('a')),
        kind,
        subaccount_id: Some(SUB.into()),
        queue_id: Some(QueueId(hex('b'))),
        condition_id: None,
        user_data: Some("u".into()),
        record_file: RecordFileId(hex('c')),
        initiator_call: CallId(hex('d')),
        created_at: SimTime::from_millis(1_000),
    })
}

fn both() -> [EventBuilder; 2] {
    [
        EventBuilder::new(Profile::documented()),
        EventBuilder::new(Profile::platform()),
    ]
}

/// The bodies `b` builds for `o`, as text.
fn texts(b: &EventBuilder, o: &Occurrence) -> Vec<String> {
    let mut out = Vec::new();
    b.clone()
        .with_families(EventFamilies::all())
        .build(o, &mut out);
    out.iter()
        .map(|w| String::from_utf8(w.body.to_vec()).expect("utf-8"))
        .collect()
}

fn values(b: &EventBuilder, o: &Occurrence) -> Vec<Value> {
    texts(b, o)
        .iter()
        .map(|t| serde_json::from_str(t).expect("json"))
        .collect()
}

fn conversation(kind: ConvType, ms: i64, what: HappeningKind) -> Occurrence {
    Occurrence::Conversation(Happening {
        at: SimTime::from_millis(ms),
        conv: conv(kind),
        kind: what,
    })
}

fn started(kind: ConvType) -> Occurrence {
    conversation(
        kind,
        5_000,
        HappeningKind::Started {
            answered_call: CallId(hex('e')),
        },
    )
}

fn ended(kind: ConvType) -> Occurrence {
    conversation(
        kind,
        65_000,
        HappeningKind::Released {
            reason: EndReason::AgentHangup,
            started_at: Some(SimTime::from_millis(5_000)),
        },
    )
}

fn agent() -> Arc<crate::agent::AgentInfo> {
    Arc::new(crate::agent::AgentInfo {
        number: 3,
        name: "a1".into(),
        extension_id: ExtensionId(hex('f')),
    })
}

fn agent_event(kind: AgentHappeningKind) -> Occurrence {
    Occurrence::Agent(AgentHappening {
        at: SimTime::from_millis(9_000),
        agent: agent(),
        subaccount_id: Some(SUB.into()),
        user_data: Some("u".into()),
        kind,
    })
}

fn queue_event(kind: QueueType, step: QueueStep, with_agent: bool) -> Occurrence {
    Occurrence::Queue(Box::new(QueueHappening {
        at: SimTime::from_millis(4_000),
        conv_key: 7,
        conversation_id: ConversationId(hex('a')),
        id: QueueId(hex('b')),
        kind,
        step,
        subaccount_id: Some(SUB.into()),
        condition_id: Some("c1".into()),
        agent: with_agent.then(|| SelectedAgent {
            name: "a1".into(),
            extension_id: ExtensionId(hex('f')),
            call_id: CallId(hex('e')),
        }),
        agent_ringing: false,
        origin_call_id: CallId(hex('d')),
        user_data: Some("u".into()),
    }))
}

#[test]
fn end_in_the_platform_profile_has_creation_time_and_no_reason_file_queue_or_agent_call() {
    let [documented, platform] = both();
    for kind in [ConvType::Queue, ConvType::CallOut, ConvType::CallAgent] {
        let got = &values(&platform, &ended(kind))[0];
        assert_eq!(got["begin_time"], 1_000, "{kind}: creation, not start");
        assert_eq!(got["end_time"], 65_000);
        for absent in ["end_reason", "record_file", "queue_id", "agent_call_id"] {
            assert!(got.get(absent).is_none(), "{kind}: {absent} in {got}");
        }
        let doc = &values(&documented, &ended(kind))[0];
        assert_eq!(doc["begin_time"], 5_000, "{kind}: documented: start");
        assert_eq!(doc["end_reason"], "agent_hangup");
        assert_eq!(doc["record_file"], h('c'));
    }
}

#[test]
fn begin_names_the_answering_call_and_carries_queue_id_for_call_agent_in_the_platform_profile() {
    let [documented, platform] = both();
    let p = |kind| values(&platform, &started(kind)).remove(0);
    let d = |kind| values(&documented, &started(kind)).remove(0);
    // The platform: the answering party's call, the callee's for call_out.
    for kind in [ConvType::Queue, ConvType::CallOut, ConvType::CallAgent] {
        assert_eq!(p(kind)["agent_call_id"], h('e'), "{kind}");
    }
    assert_eq!(p(ConvType::CallAgent)["queue_id"], h('b'));
    assert_eq!(p(ConvType::Queue)["queue_id"], h('b'));
    assert!(p(ConvType::CallOut).get("queue_id").is_none());
    // Documented: the initiating agent's call, queue_id for queue only.
    assert_eq!(d(ConvType::CallOut)["agent_call_id"], h('d'));
    assert!(d(ConvType::Queue).get("agent_call_id").is_none());
    assert!(d(ConvType::CallAgent).get("queue_id").is_none());
}

#[test]
fn parts_changed_only_on_join_and_with_subaccount_in_the_platform_profile() {
    let [documented, platform] = both();
    let member = MemberInfo {
        call_id: CallId(hex('e')),
        agent_name: None,
        extension_id: None,
        telnumber: "13800138000".into(),
        mode: 1,
    };
    let joined = conversation(ConvType::Queue, 2_000, HappeningKind::Joined(member));
    let left = conversation(
        ConvType::Queue,
        3_000,
        HappeningKind::Left {
            call_id: CallId(hex('e')),
        },
    );
    assert_eq!(
        values(&platform, &joined),
        [
            json!({"action": "event_notify", "event": "callcenter.conversation.parts_changed",
                "id": h('a'), "subaccount_id": SUB, "user_data": "u"})
        ]
    );
    assert!(
        values(&platform, &left).is_empty(),
        "no parts_changed on leave"
    );
    let doc = values(&documented, &joined);
    assert!(doc[0].get("subaccount_id").is_none(), "{doc:?}");
    assert_eq!(values(&documented, &left).len(), 1);
}

#[test]
fn conversation_changed_carries_latest_state_in_the_platform_profile_only() {
    let [documented, platform] = both();
    let o = agent_event(AgentHappeningKind::ConversationChanged {
        presence: Presence::Enter,
        conversation_id: ConversationId(hex('a')),
        latest_state: AgentState::Fetching.into(),
    });
    let want = json!({"action": "event_notify", "event": "callcenter.agent.conversation_changed",
        "name": "a1", "subaccount_id": SUB, "type": "enter", "conversation_id": h('a'),
        "current_time": 9_000, "user_data": "u"});
    assert_eq!(values(&documented, &o), std::slice::from_ref(&want));
    let mut with_state = want;
    with_state["latest_state"] = json!("fetching");
    assert_eq!(values(&platform, &o), [with_state]);
}

#[test]
fn state_changed_is_the_same_fields_in_both_profiles() {
    let o = agent_event(AgentHappeningKind::StateChanged {
        previous: AgentState::Talking.into(),
        latest: AgentState::Busy.into(),
    });
    let want = json!({"action": "event_notify", "event": "callcenter.agent.state_changed",
        "name": "a1", "subaccount_id": SUB, "previous_state": "talking", "latest_state": "busy",
        "current_time": 9_000, "user_data": "u"});
    for b in both() {
        assert_eq!(
            values(&b, &o),
            std::slice::from_ref(&want),
            "{:?}",
            b.profile().name
        );
    }
    // Documented order: the platform docs' table order.
    let [documented, _] = both();
    assert_eq!(
        texts(&documented, &o)[0],
        format!(
            r#"{{"action":"event_notify","event":"callcenter.agent.state_changed","name":"a1","subaccount_id":"{SUB}","previous_state":"talking","latest_state":"busy","current_time":9000,"user_data":"u"}}"#
        )
    );
}

#[test]
fn origin_call_id_of_api_queues_only_in_the_platform_profile() {
    let [documented, platform] = both();
    for kind in [QueueType::CallAgent, QueueType::InviteAgent] {
        let o = queue_event(kind, QueueStep::Select, true);
        assert_eq!(
            values(&platform, &o)[0]["origin_call_id"],
            h('d'),
            "{kind:?}"
        );
        assert!(
            values(&documented, &o)[0].get("origin_call_id").is_none(),
            "{kind:?}: documented: empty for API queues"
        );
    }
    let ivr = queue_event(QueueType::Ivr, QueueStep::Select, true);
    for b in both() {
        assert_eq!(values(&b, &ivr)[0]["origin_call_id"], h('d'));
    }
}

#[test]
fn call_agent_queue_events_never_carry_condition_id_in_the_platform_profile() {
    let [documented, platform] = both();
    for step in [
        QueueStep::Select,
        QueueStep::Success,
        QueueStep::Fail(FailCause::Timeout),
    ] {
        let o = queue_event(QueueType::CallAgent, step, true);
        assert!(values(&platform, &o)[0].get("condition_id").is_none());
        assert_eq!(values(&documented, &o)[0]["condition_id"], "c1");
        for kind in [QueueType::Ivr, QueueType::InviteAgent] {
            let o = queue_event(kind, step, true);
            for b in both() {
                assert_eq!(values(&b, &o)[0]["condition_id"], "c1", "{kind:?}");
            }
        }
    }
}

#[test]
fn a_task_routed_to_a_named_agent_carries_no_condition_id() {
    // The engine gives such a task no condition; neither profile invents one.
    let mut o = queue_event(QueueType::Ivr, QueueStep::Select, true);
    if let Occurrence::Queue(q) = &mut o {
        q.condition_id = None;
    }
    for b in both() {
        assert!(values(&b, &o)[0].get("condition_id").is_none());
    }
}

#[test]
fn hangup_fails_carry_no_agent_fields_in_the_platform_profile() {
    let [documented, platform] = both();
    let agent_keys = ["agent_name", "agent_extension_id", "agent_call_id"];
    let hangup = queue_event(QueueType::Ivr, QueueStep::Fail(FailCause::Hangup), true);
    let got = &values(&platform, &hangup)[0];
    for k in agent_keys {
        assert!(got.get(k).is_none(), "{k} in {got}");
    }
    assert_eq!(got["cause"], "hangup");
    let doc = &values(&documented, &hangup)[0];
    for k in agent_keys {
        assert!(
            doc.get(k).is_some(),
            "documented: {k} of the selected agent"
        );
    }
    // Other causes keep the agent in both profiles.
    let call_fail = queue_event(QueueType::Ivr, QueueStep::Fail(FailCause::CallFail), true);
    for b in both() {
        assert_eq!(values(&b, &call_fail)[0]["agent_call_id"], h('e'));
    }
}

#[test]
fn queue_events_in_the_documented_order() {
    let [documented, _] = both();
    let o = queue_event(QueueType::Ivr, QueueStep::Fail(FailCause::CallFail), true);
    let (d, e, f) = (h('d'), h('e'), h('f'));
    assert_eq!(
        texts(&documented, &o)[0],
        format!(
            r#"{{"action":"event_notify","event":"callcenter.queue.fail","id":"{b}","subaccount_id":"{SUB}","type":"ivr","condition_id":"c1","agent_name":"a1","cause":"call_fail","origin_call_id":"{d}","agent_extension_id":"{f}","agent_call_id":"{e}","user_data":"u"}}"#,
            b = h('b')
        )
    );
}

// The platform profile's key order, worked out by hand. Java `String.hashCode`, its spread
// `h ^ (h >>> 16)` and the bucket `spread & 15` (16 buckets for at most 12 keys):
//
//   key                 hashCode       hex          spread      bucket
//   agent_name         -1182725243   0xb9810b85   0xb981b204     4
//   conversation_id     -419323305   0xe701a257   0xe7014556     6
//   previous_state       329944393   0x13aa8d49   0x13aa9ee3     3
//   end_time            1725551537   0x66d9d3b1   0x66d9b568     8
//   name                   3373707   0x00337a8b   0x00337ab8     8
//   latest_state         620869081   0x2501b5d9   0x250190d8     8
//   agent_extension_id -1983025131   0x89cd7015   0x89cdf9d8     8
//   action             -1422950858   0xab2f7e36   0xab2fd519     9
//   begin_time          1112183971   0x424a94a3   0x424ad6e9     9
//   cause                 94434409   0x05a0f469   0x05a0f1c9     9
//   subaccount_id       2025261741   0x78b70aad   0x78b7721a    10
//   id                        3355   0x00000d1b   0x00000d1b    11
//   user_data            339043230   0x1435639e   0x143577ab    11
//   event                 96891546   0x05c6729a   0x05c6775c    12
//   type                   3575610   0x00368f3a   0x00368f0c    12
//   origin_call_id      -902937981   0xca2e4283   0xca2e88ad    13
//   queue_id           -1164479735   0xba977309   0xba97c99e    14
//   current_time        1468912083   0x578dd1d3   0x578d865e    14
//   condition_id       -1202640193   0xb8512abf   0xb85192ee    14
//   agent_call_id        170755938   0x0a2d8762   0x0a2d8d4f    15
//
// Within a bucket, keys come in the order they were put: the payload tables' order, with
// `action` put last.

#[test]
fn platform_begin_body_in_hash_map_order() {
    let [_, platform] = both();
    // Put: event 12, id 11, subaccount_id 10, type 12, queue_id 14, agent_call_id 15,
    // user_data 11, action 9.
    assert_eq!(
        texts(&platform, &started(ConvType::Queue))[0],
        format!(
            r#"{{"action":"event_notify","subaccount_id":"{SUB}","id":"{a}","user_data":"u","event":"callcenter.conversation.begin","type":"queue","queue_id":"{b}","agent_call_id":"{e}"}}"#,
            a = h('a'),
            b = h('b'),
            e = h('e')
        )
    );
}

#[test]
fn platform_end_body_in_hash_map_order() {
    let [_, platform] = both();
    // Put: event 12, id 11, subaccount_id 10, type 12, begin_time 9, end_time 8,
    // user_data 11, action 9 (after begin_time in bucket 9).
    assert_eq!(
        texts(&platform, &ended(ConvType::CallOut))[0],
        format!(
            r#"{{"end_time":65000,"begin_time":1000,"action":"event_notify","subaccount_id":"{SUB}","id":"{a}","user_data":"u","event":"callcenter.conversation.end","type":"call_out"}}"#,
            a = h('a')
        )
    );
}

#[test]
fn platform_agent_bodies_in_hash_map_order() {
    let [_, platform] = both();
    // Put: event 12, name 8, subaccount_id 10, previous_state 3, latest_state 8,
    // current_time 14, user_data 11, action 9.
    let state = agent_event(AgentHappeningKind::StateChanged {
        previous: AgentState::Idle.into(),
        latest: AgentState::Fetching.into(),
    });
    assert_eq!(
        texts(&platform, &state)[0],
        format!(
            r#"{{"previous_state":"idle","name":"a1","latest_state":"fetching","action":"event_notify","subaccount_id":"{SUB}","user_data":"u","event":"callcenter.agent.state_changed","current_time":9000}}"#
        )
    );
    // Put: event 12, name 8, subaccount_id 10, type 12, conversation_id 6,
    // latest_state 8, current_time 14, user_data 11, action 9.
    let changed = agent_event(AgentHappeningKind::ConversationChanged {
        presence: Presence::Exit,
        conversation_id: ConversationId(hex('a')),
        latest_state: AgentState::Talking.into(),
    });
    assert_eq!(
        texts(&platform, &changed)[0],
        format!(
            r#"{{"conversation_id":"{a}","name":"a1","latest_state":"talking","action":"event_notify","subaccount_id":"{SUB}","user_data":"u","event":"callcenter.agent.conversation_changed","type":"exit","current_time":9000}}"#,
            a = h('a')
        )
    );
}

#[test]
fn platform_queue_body_of_twelve_keys_in_hash_map_order() {
    let [_, platform] = both();
    // Twelve keys: 12 ≤ 0.75 × 16, so still 16 buckets. Put: event 12, id 11,
    // subaccount_id 10, type 12, condition_id 14, agent_name 4, cause 9,
    // origin_call_id 13, agent_extension_id 8, agent_call_id 15, user_data 11, action 9.
    let o = queue_event(QueueType::Ivr, QueueStep::Fail(FailCause::CallFail), true);
    assert_eq!(
        texts(&platform, &o)[0],
        format!(
            r#"{{"agent_name":"a1","agent_extension_id":"{f}","cause":"call_fail","action":"event_notify","subaccount_id":"{SUB}","id":"{b}","user_data":"u","event":"callcenter.queue.fail","type":"ivr","origin_call_id":"{d}","condition_id":"c1","agent_call_id":"{e}"}}"#,
            b = h('b'),
            d = h('d'),
            e = h('e'),
            f = h('f')
        )
    );
}

#[test]
fn the_documented_profile_keeps_the_listed_order() {
    let [documented, _] = both();
    let text = &texts(&documented, &started(ConvType::Queue))[0];
    assert!(
        text.starts_with(
            r#"{"action":"event_notify","event":"callcenter.conversation.begin","id":"#
        ),
        "{text}"
    );
}

#[test]
fn legacy_charset_sends_latin1_and_question_marks() {
    let profile = Profile::platform()
        .with_legacy_charset()
        .expect("platform offers it");
    let b = EventBuilder::new(profile).with_families(EventFamilies::all());
    let mut o = agent_event(AgentHappeningKind::StateChanged {
        previous: AgentState::Idle.into(),
        latest: AgentState::Fetching.into(),
    });
    if let Occurrence::Agent(a) = &mut o {
        a.user_data = Some("café 中文".into());
    }
    let mut out = Vec::new();
    b.build(&o, &mut out);
    let body = &out[0].body;
    let needle: &[u8] = b"\"user_data\":\"caf\xe9 ??\"";
    assert!(
        body.windows(needle.len()).any(|w| w == needle),
        "{:?}",
        String::from_utf8_lossy(body)
    );
    // Off by default: the same event is UTF-8.
    let utf8 = texts(&EventBuilder::new(Profile::platform()), &o);
    assert!(utf8[0].contains("café 中文"), "{}", utf8[0]);
}

#[test]
fn a_hang_up_while_the_agent_rings_is_a_call_fail_with_the_agent_on_the_platform_only() {
    let [documented, platform] = both();
    let mut ringing = queue_event(QueueType::Ivr, QueueStep::Fail(FailCause::Hangup), true);
    if let Occurrence::Queue(q) = &mut ringing {
        q.agent_ringing = true;
    }
    let d = values(&documented, &ringing);
    let p = values(&platform, &ringing);
    assert_eq!(d[0]["cause"], "hangup");
    assert_eq!(d[0]["agent_name"], "a1");
    assert_eq!(p[0]["cause"], "call_fail");
    assert_eq!(p[0]["agent_call_id"], "e".repeat(32));
}

#[test]
fn the_end_of_after_call_work_is_announced_in_the_documented_profile_only() {
    let [documented, platform] = both();
    let wrap_up_over = agent_event(AgentHappeningKind::StateChanged {
        previous: AgentState::Busy.into(),
        latest: AgentState::Idle.into(),
    });
    assert_eq!(values(&documented, &wrap_up_over).len(), 1);
    assert!(values(&platform, &wrap_up_over).is_empty());
    let into_wrap_up = agent_event(AgentHappeningKind::StateChanged {
        previous: AgentState::Talking.into(),
        latest: AgentState::Busy.into(),
    });
    assert_eq!(values(&platform, &into_wrap_up).len(), 1);
}

#[test]
fn extended_states_are_sent_whole_and_escaped_in_both_profiles() {
    let reserve = agent_event(AgentHappeningKind::StateChanged {
        previous: AgentState::Talking.into(),
        latest: crate::agent::StateName::parse("busy/after-call").expect("a state"),
    });
    let away = agent_event(AgentHappeningKind::StateChanged {
        previous: crate::agent::StateName::parse("away/\"午饭\"").expect("a state"),
        latest: AgentState::Idle.into(),
    });
    for b in both() {
        let v = values(&b, &reserve);
        assert_eq!(
            (&v[0]["previous_state"], &v[0]["latest_state"]),
            (&json!("talking"), &json!("busy/after-call"))
        );
        let t = texts(&b, &reserve);
        assert!(
            t[0].contains(r#""latest_state":"busy/after-call""#),
            "{t:?}"
        );
        assert_eq!(values(&b, &away)[0]["previous_state"], "away/\"午饭\"");
    }
}
