//! Unit tests of the event builder: the payloads of every kind, the lanes and subjects of
//! webhooks, and the events log's view of them.

use std::sync::Arc;

use serde_json::{Value, json};

use super::*;
use crate::conversation::{ConvInfo, EndReason, MemberInfo};
use crate::ids::{CallId, Hex32, QueueId, RecordFileId};
use crate::time::SimTime;

fn hex(c: char) -> Hex32 {
    Hex32::parse(&c.to_string().repeat(32)).expect("valid hex")
}

fn conv(kind: ConvType, user_data: Option<&str>) -> Arc<ConvInfo> {
    Arc::new(ConvInfo {
        key: 7,
        id: ConversationId(hex('a')),
        kind,
        subaccount_id: Some("8a2d9fed5a117dbb015a1201db300004".into()),
        queue_id: Some(QueueId(hex('b'))),
        condition_id: None,
        user_data: user_data.map(Arc::from),
        record_file: RecordFileId(hex('c')),
        initiator_call: CallId(hex('d')),
        created_at: SimTime::from_millis(1_000),
    })
}

fn build(h: Happening) -> Vec<Value> {
    let mut out = Vec::new();
    EventBuilder::new(Profile::documented()).build_conversation(&h, &mut out);
    out.iter()
        .map(|w| serde_json::from_slice(&w.body).expect("json"))
        .collect()
}

fn at(ms: i64, conv: &Arc<ConvInfo>, kind: HappeningKind) -> Happening {
    Happening {
        at: SimTime::from_millis(ms),
        conv: conv.clone(),
        kind,
    }
}

#[test]
fn queue_begin_has_queue_id_and_no_agent_call_id() {
    let c = conv(ConvType::Queue, Some("ticket=1"));
    let got = build(at(
        5_000,
        &c,
        HappeningKind::Started {
            answered_call: CallId(hex('e')),
        },
    ));
    assert_eq!(
        got,
        [json!({
            "action": "event_notify",
            "event": "callcenter.conversation.begin",
            "id": "a".repeat(32),
            "subaccount_id": "8a2d9fed5a117dbb015a1201db300004",
            "type": "queue",
            "queue_id": "b".repeat(32),
            "user_data": "ticket=1",
        })]
    );
}

#[test]
fn call_out_and_call_agent_begin_name_the_initiating_agents_call() {
    for kind in [ConvType::CallOut, ConvType::CallAgent] {
        let c = conv(kind, None);
        let got = build(at(
            5_000,
            &c,
            HappeningKind::Started {
                answered_call: CallId(hex('e')),
            },
        ));
        assert_eq!(got[0]["agent_call_id"], "d".repeat(32), "{kind}");
        assert!(
            got[0].get("queue_id").is_none(),
            "{kind}: queue_id only for queue"
        );
        assert!(
            got[0].get("user_data").is_none(),
            "unset user_data is omitted"
        );
    }
}

#[test]
fn parts_changed_carries_only_action_event_id_and_user_data() {
    let c = conv(ConvType::Queue, Some("x"));
    let member = MemberInfo {
        call_id: CallId(hex('e')),
        agent_name: None,
        extension_id: None,
        telnumber: "13800138000".into(),
        mode: 1,
    };
    let joined = build(at(2_000, &c, HappeningKind::Joined(member)));
    let left = build(at(
        3_000,
        &c,
        HappeningKind::Left {
            call_id: CallId(hex('e')),
        },
    ));
    let want = json!({
        "action": "event_notify",
        "event": "callcenter.conversation.parts_changed",
        "id": "a".repeat(32),
        "user_data": "x",
    });
    assert_eq!(joined, std::slice::from_ref(&want));
    assert_eq!(left, [want], "the documented profile announces leaves too");
}

#[test]
fn end_carries_times_reason_record_file_and_type_specific_ids() {
    let c = conv(ConvType::CallOut, Some("  "));
    let got = build(at(
        65_000,
        &c,
        HappeningKind::Released {
            reason: EndReason::AgentHangup,
            started_at: Some(SimTime::from_millis(5_000)),
        },
    ));
    assert_eq!(
        got,
        [json!({
            "action": "event_notify",
            "event": "callcenter.conversation.end",
            "id": "a".repeat(32),
            "subaccount_id": "8a2d9fed5a117dbb015a1201db300004",
            "type": "call_out",
            "begin_time": 5_000,
            "end_time": 65_000,
            "record_file": "c".repeat(32),
            "end_reason": "agent_hangup",
            "agent_call_id": "d".repeat(32),
        })],
        "blank user_data is omitted"
    );
    let q = conv(ConvType::Queue, None);
    let got = build(at(
        9_000,
        &q,
        HappeningKind::Released {
            reason: EndReason::CustomerHangup,
            started_at: Some(SimTime::from_millis(4_000)),
        },
    ));
    assert_eq!(got[0]["queue_id"], "b".repeat(32));
    assert!(got[0].get("agent_call_id").is_none());
}

#[test]
fn creation_and_release_before_begin_send_nothing() {
    let c = conv(ConvType::Queue, None);
    assert!(build(at(1_000, &c, HappeningKind::Created)).is_empty());
    let released = HappeningKind::Released {
        reason: EndReason::CustomerHangup,
        started_at: None,
    };
    assert!(
        build(at(9_000, &c, released)).is_empty(),
        "no end for a conversation that never began"
    );
}

#[test]
fn payload_keys_follow_the_seed_order() {
    let c = conv(ConvType::Queue, Some("u"));
    let mut out = Vec::new();
    EventBuilder::default().build_conversation(
        &at(
            1,
            &c,
            HappeningKind::Started {
                answered_call: CallId(hex('e')),
            },
        ),
        &mut out,
    );
    let text = std::str::from_utf8(&out[0].body).expect("utf-8");
    let pos = |k: &str| text.find(&format!("\"{k}\"")).expect(k);
    assert!(pos("action") < pos("event") && pos("event") < pos("id") && pos("id") < pos("type"));
}

#[test]
fn hand_written_json_escapes_like_serde_json() {
    for tricky in [
        "plain",
        "quote \" and \\ backslash",
        "tab\tnew\nline\u{1}",
        "中文 user data",
        "",
    ] {
        let c = Arc::new(ConvInfo {
            user_data: Some(Arc::from(format!("x{tricky}"))),
            subaccount_id: Some(Arc::from(format!("s{tricky}"))),
            ..(*conv(ConvType::Queue, None)).clone()
        });
        let got = build(at(
            1,
            &c,
            HappeningKind::Started {
                answered_call: CallId(hex('e')),
            },
        ));
        assert_eq!(got[0]["user_data"], format!("x{tricky}"));
        assert_eq!(got[0]["subaccount_id"], format!("s{tricky}"));
    }
}
