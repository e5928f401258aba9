//! The router in-process: every endpoint and every client mistake.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use ccsim::api::store::RecordStore;
use serde_json::{Value, json};

use super::*;

fn not_found() -> Value {
    json!({"code": "040501", "msg": "交谈不存在", "data": null})
}

fn bad_parameter() -> Value {
    json!({"code": "000001", "msg": "参数错误", "data": null})
}

#[tokio::test]
async fn a_record_is_the_conversation_object_in_the_success_envelope() {
    let answer = get(app(fixture_store(), None), &record_uri(QUEUE_ID)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer
            .headers
            .get(header::CONTENT_TYPE)
            .map(|v| v.as_bytes()),
        Some(&b"application/json;charset=UTF-8"[..])
    );
    assert_eq!(
        answer.json(),
        json!({
            "code": "000000",
            "msg": "请求成功",
            "data": {
                "id": QUEUE_ID,
                "type": "queue",
                "subaccount_id": null,
                "queue_id": "9".repeat(32),
                "condition_id": null,
                "begin_time": T0 + 10_000,
                "end_time": T0 + 70_000,
                "end_reason": "customer_hangup",
                "agent_call_id": null,
                "members": [
                    {
                        "telnumber": "13800138000",
                        "call_id": "a".repeat(32),
                        "mode": 1,
                        "begin_time": "2023-11-15 06:13:20",
                        "end_time": "2023-11-15 06:14:30"
                    },
                    {
                        "name": "agent-001",
                        "extension_id": "e".repeat(32),
                        "call_id": "b".repeat(32),
                        "mode": 1,
                        "begin_time": "2023-11-15 06:13:25",
                        "end_time": "2023-11-15 06:14:30"
                    }
                ]
            }
        })
    );
}

#[tokio::test]
async fn record_keys_come_in_the_platform_order() {
    let answer = get(app(fixture_store(), None), &record_uri(CALL_OUT_ID)).await;
    let text = answer.text();
    let keys = [
        "\"code\"",
        "\"msg\"",
        "\"data\"",
        "\"id\"",
        "\"type\"",
        "\"subaccount_id\"",
        "\"queue_id\"",
        "\"condition_id\"",
        "\"begin_time\"",
        "\"end_time\"",
        "\"end_reason\"",
        "\"agent_call_id\"",
        "\"members\"",
        "\"name\"",
        "\"extension_id\"",
        "\"call_id\"",
        "\"mode\"",
    ];
    let positions: Vec<usize> = keys
        .iter()
        .map(|k| {
            text.find(k)
                .unwrap_or_else(|| panic!("{k} missing in {text}"))
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
}

#[tokio::test]
async fn a_live_call_out_names_the_initiating_agents_call_and_has_open_members() {
    let data = get(app(fixture_store(), None), &record_uri(CALL_OUT_ID))
        .await
        .json()["data"]
        .clone();
    assert_eq!(data["type"], "call_out");
    assert_eq!(data["queue_id"], Value::Null, "queue_id is for queue only");
    assert_eq!(data["agent_call_id"], "c".repeat(32));
    assert_eq!(data["begin_time"], T0 + 30_000);
    assert_eq!(data["end_time"], Value::Null);
    assert_eq!(data["end_reason"], Value::Null);
    let members = data["members"].as_array().expect("members");
    assert_eq!(members.len(), 2);
    assert!(members.iter().all(|m| m["end_time"].is_null()));
    assert_eq!(members[0]["name"], "agent-002");
    assert!(
        members[0].get("telnumber").is_none(),
        "agents have no telnumber"
    );
    assert_eq!(members[1]["telnumber"], "02088886666");
    assert!(members[1].get("name").is_none() && members[1].get("extension_id").is_none());
}

#[tokio::test]
async fn a_conversation_that_never_began_has_a_record_without_begin_time() {
    let data = get(app(fixture_store(), None), &record_uri(NEVER_BEGUN_ID))
        .await
        .json()["data"]
        .clone();
    assert_eq!(data["begin_time"], Value::Null);
    assert_eq!(data["end_time"], T0 + 90_000);
    assert_eq!(
        data["end_reason"],
        Value::Null,
        "no end event, no end_reason"
    );
}

#[tokio::test]
async fn unknown_malformed_and_odd_ids_answer_040501_with_http_200() {
    for id in [
        "44444444444444444444444444444444",
        "zzz",
        "1111111111111111111111111111111",
        "111111111111111111111111111111111",
        "%FF%FE",
        "%E4%BD%A0",
        "..",
    ] {
        let answer = get(app(fixture_store(), None), &record_uri(id)).await;
        assert_eq!(answer.status, StatusCode::OK, "{id}");
        assert_eq!(answer.json(), not_found(), "{id}");
    }
}

#[tokio::test]
async fn ids_are_case_insensitive_hex() {
    let answer = get(app(fixture_store(), None), &record_uri(&"A".repeat(32))).await;
    assert_eq!(answer.json(), not_found());
    let upper = get(
        app(fixture_store(), None),
        &record_uri(&QUEUE_ID.to_uppercase()),
    )
    .await;
    assert_eq!(upper.json()["data"]["id"], QUEUE_ID);
}

#[tokio::test]
async fn the_list_holds_begun_conversations_newest_first_without_members() {
    let answer = get(app(fixture_store(), None), &list_uri("")).await;
    assert_eq!(answer.status, StatusCode::OK);
    let body = answer.json();
    assert_eq!(body["code"], "000000");
    let page = &body["data"];
    assert_eq!(
        (
            &page["pageSize"],
            &page["startIndex"],
            &page["totalCount"],
            &page["totalPageCount"],
            &page["currentPageNo"]
        ),
        (&json!(10), &json!(1), &json!(2), &json!(1), &json!(1))
    );
    let ids: Vec<&str> = page["result"]
        .as_array()
        .expect("result")
        .iter()
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, [CALL_OUT_ID, QUEUE_ID]);
    assert!(
        page["result"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|r| r["members"].is_null())
    );
    let text = answer.text();
    let order = [
        "pageSize",
        "startIndex",
        "totalCount",
        "totalPageCount",
        "currentPageNo",
        "result",
    ]
    .map(|k| text.find(k).unwrap_or(usize::MAX));
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
}

#[tokio::test]
async fn pages_are_sliced_with_a_one_based_start_index_and_either_spelling() {
    for query in ["?page=2&size=1", "?pageNo=2&pageSize=1"] {
        let page = get(app(fixture_store(), None), &list_uri(query))
            .await
            .json()["data"]
            .clone();
        assert_eq!(page["startIndex"], 2, "{query}");
        assert_eq!(page["totalPageCount"], 2, "{query}");
        assert_eq!(page["currentPageNo"], 2, "{query}");
        assert_eq!(page["result"][0]["id"], QUEUE_ID, "{query}");
    }
}

#[tokio::test]
async fn an_empty_page_has_a_null_result() {
    let page = get(app(fixture_store(), None), &list_uri("?page=5&size=10"))
        .await
        .json()["data"]
        .clone();
    assert_eq!(page["result"], Value::Null);
    assert_eq!(page["startIndex"], 41);
    let empty = get(app(RecordStore::default(), None), &list_uri(""))
        .await
        .json();
    assert_eq!(empty["data"]["result"], Value::Null);
    assert_eq!(empty["data"]["totalPageCount"], 0);
}

#[tokio::test]
async fn bad_page_or_size_values_answer_000001() {
    for query in [
        "?size=1001",
        "?pageSize=5000",
        "?page=abc",
        "?page=0",
        "?page=-1",
        "?size=0",
        "?size=-10",
        "?page=99999999999",
        "?size=1e3",
    ] {
        let answer = get(app(fixture_store(), None), &list_uri(query)).await;
        assert_eq!(answer.status, StatusCode::OK, "{query}");
        assert_eq!(answer.json(), bad_parameter(), "{query}");
    }
    let largest = get(app(fixture_store(), None), &list_uri("?size=1000"))
        .await
        .json();
    assert_eq!(largest["code"], "000000");
}

#[tokio::test]
async fn unknown_paths_are_404_in_the_platform_envelope() {
    for uri in [
        "/",
        "/v1",
        "/v1/account/x/callcenter/conversation/a/b",
        "/v1/account/x/callcenter/agent",
        "/v2/account/x/callcenter/conversation",
    ] {
        let answer = get(app(fixture_store(), None), uri).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(answer.json()["code"], "000002", "{uri}");
    }
}

#[tokio::test]
async fn wrong_methods_are_405() {
    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        let request = Request::builder()
            .method(method)
            .uri(record_uri(QUEUE_ID))
            .body(Body::from("{}"))
            .expect("valid request");
        let answer = send(app(fixture_store(), None), request).await;
        assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(answer.json()["code"], "000002");
    }
}

#[tokio::test]
async fn bodies_over_64_kib_are_413() {
    let request = Request::post(record_uri(QUEUE_ID))
        .header(header::CONTENT_LENGTH, 64 * 1024 + 1)
        .body(Body::from(vec![b'x'; 64 * 1024 + 1]))
        .expect("valid request");
    let answer = send(app(fixture_store(), None), request).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.json(), bad_parameter());
}

#[tokio::test]
async fn the_openapi_document_is_served_as_json() {
    let answer = get(app(fixture_store(), None), "/openapi.json").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer.json()["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3."))
    );
}
