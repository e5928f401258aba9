//! `docs/openapi.json` matches the real responses: a small structural JSON Schema check
//! (`$ref`, `oneOf`, `type`, `enum`, `required`, `properties`, `additionalProperties`,
//! `items`, `minimum`, `maximum`) of answers the router really gives.

use ccsim::api::server::OPENAPI;
use serde_json::{Value, json};

use super::*;

fn document() -> Value {
    serde_json::from_str(OPENAPI).expect("docs/openapi.json is JSON")
}

/// Problems found validating `value` (at `at`) against `schema`, within `doc`.
fn validate(doc: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let target = reference
            .strip_prefix('#')
            .and_then(|pointer| doc.pointer(pointer))
            .unwrap_or_else(|| panic!("dangling $ref {reference}"));
        return validate(doc, target, value, at);
    }
    if let Some(choices) = schema.get("oneOf").and_then(Value::as_array) {
        let matching = choices
            .iter()
            .filter(|choice| validate(doc, choice, value, at).is_empty())
            .count();
        if matching != 1 {
            problems.push(format!("{at}: {matching} oneOf choices match, not 1"));
        }
    }
    if let Some(types) = schema.get("type") {
        let allowed: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let actual = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let ok = allowed.contains(&actual) || (actual == "integer" && allowed.contains(&"number"));
        if !ok {
            problems.push(format!("{at}: {actual} is not {allowed:?}"));
            return problems;
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(value)
    {
        problems.push(format!("{at}: {value} not in {options:?}"));
    }
    if let Some(n) = value.as_f64() {
        if schema
            .get("minimum")
            .and_then(Value::as_f64)
            .is_some_and(|min| n < min)
        {
            problems.push(format!("{at}: {n} below minimum"));
        }
        if schema
            .get("maximum")
            .and_then(Value::as_f64)
            .is_some_and(|max| n > max)
        {
            problems.push(format!("{at}: {n} above maximum"));
        }
    }
    if let Value::Object(object) = value {
        for key in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(key) = key.as_str()
                && !object.contains_key(key)
            {
                problems.push(format!("{at}: required {key} missing"));
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        for (key, item) in object {
            match properties.and_then(|p| p.get(key)) {
                Some(property) => {
                    problems.extend(validate(doc, property, item, &format!("{at}.{key}")));
                }
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    problems.push(format!("{at}: unexpected key {key}"));
                }
                None => {}
            }
        }
    }
    if let (Value::Array(items), Some(item_schema)) = (value, schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            problems.extend(validate(doc, item_schema, item, &format!("{at}[{i}]")));
        }
    }
    problems
}

/// The schema of the 200 answer of `GET path`.
fn answer_schema(doc: &Value, path: &str) -> Value {
    doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"].clone()
}

const RECORD: &str = "/v1/account/{account}/callcenter/conversation/{id}";
const LIST: &str = "/v1/account/{account}/callcenter/conversation";

#[tokio::test]
async fn real_record_answers_match_the_document() {
    let doc = document();
    let schema = answer_schema(&doc, RECORD);
    for id in [
        QUEUE_ID,
        CALL_OUT_ID,
        NEVER_BEGUN_ID,
        "44444444444444444444444444444444",
    ] {
        let answer = get(app(fixture_store(), None), &record_uri(id))
            .await
            .json();
        assert_eq!(
            validate(&doc, &schema, &answer, "$"),
            Vec::<String>::new(),
            "{id}"
        );
    }
}

#[tokio::test]
async fn real_list_answers_match_the_document() {
    let doc = document();
    let schema = answer_schema(&doc, LIST);
    for query in ["", "?page=2&size=1", "?page=9", "?size=1001", "?page=x"] {
        let answer = get(app(fixture_store(), None), &list_uri(query))
            .await
            .json();
        assert_eq!(
            validate(&doc, &schema, &answer, "$"),
            Vec::<String>::new(),
            "{query}"
        );
    }
}

#[tokio::test]
async fn the_check_catches_answers_that_drift_from_the_document() {
    let doc = document();
    let schema = answer_schema(&doc, RECORD);
    let mut answer = get(app(fixture_store(), None), &record_uri(QUEUE_ID))
        .await
        .json();
    answer["data"]["members"][0]["mode"] = json!(9);
    answer["data"]["extra"] = json!(1);
    if let Some(data) = answer["data"].as_object_mut() {
        data.remove("end_reason");
    }
    let problems = validate(&doc, &schema, &answer, "$");
    assert!(!problems.is_empty(), "a drifted answer must not validate");
}

#[test]
fn the_document_describes_exactly_the_served_paths() {
    let doc = document();
    let mut paths: Vec<&str> = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .map(String::as_str)
        .collect();
    paths.sort_unstable();
    let mut expected = vec![
        "/__ccsim/calls",
        "/__ccsim/clock",
        "/__ccsim/clock/advance",
        "/__ccsim/journal",
        "/__ccsim/phone",
        "/__ccsim/reset",
        "/__ccsim/wait",
        "/openapi.json",
        LIST,
        RECORD,
    ];
    let control: Vec<String> = super::ops::CONTROL_ROUTES
        .iter()
        .map(|(_, path)| format!("/v1/account/{{account}}/callcenter/{path}"))
        .collect();
    for path in &control {
        if !expected.contains(&path.as_str()) {
            expected.push(path);
        }
    }
    expected.sort_unstable();
    assert_eq!(paths, expected);
    // And exactly the control endpoints' methods.
    let mut documented = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(tail) = path.strip_prefix("/v1/account/{account}/callcenter/") else {
            continue;
        };
        for method in item.as_object().unwrap().keys() {
            let method = method.to_uppercase();
            // The record endpoints are not control endpoints.
            if method == "GET" && (tail == "conversation" || tail == "conversation/{id}") {
                continue;
            }
            documented.push((method, tail.to_owned()));
        }
    }
    let mut routed: Vec<(String, String)> = super::ops::CONTROL_ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    documented.sort();
    routed.sort();
    assert_eq!(documented, routed);
}

#[tokio::test]
async fn real_control_endpoint_answers_match_the_document() {
    let doc = document();
    for (method, tail, body, op) in super::ops::every_endpoint() {
        let template = super::ops::template_of(method, &tail);
        let path = format!("/v1/account/{{account}}/callcenter/{template}");
        let schema = doc["paths"][&path][method.to_lowercase()]["responses"]["200"]["content"]
            ["application/json"]["schema"]
            .clone();
        assert!(!schema.is_null(), "{method} {path} documented");
        // The answer the platform gives to this operation, then a refusal.
        let answer = super::ops::typical_answer(&op);
        let platform = super::ops::fake(move |_| Ok(answer.clone()));
        let got = send(
            super::ops::ops_app(platform),
            super::ops::req(method, &tail, body.as_deref()),
        )
        .await
        .json();
        assert_eq!(
            validate(&doc, &schema, &got, "$"),
            Vec::<String>::new(),
            "{method} {tail}: {got}"
        );
        let platform = super::ops::fake(|_| {
            Err(ccsim::operation::Refusal::new(
                ccsim::operation::Code::AgentBusy,
                "busy",
            ))
        });
        let got = send(
            super::ops::ops_app(platform),
            super::ops::req(method, &tail, body.as_deref()),
        )
        .await
        .json();
        assert_eq!(
            validate(&doc, &schema, &got, "$"),
            Vec::<String>::new(),
            "{method} {tail}: {got}"
        );
    }
}

/// The JSON schema of the `status` answer of `GET path`, through a response `$ref`.
fn response_schema(doc: &Value, path: &str, status: &str) -> Value {
    let mut response = &doc["paths"][path]["get"]["responses"][status];
    if let Some(reference) = response.get("$ref").and_then(Value::as_str) {
        response = doc
            .pointer(reference.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("dangling {reference}"));
    }
    response["content"]["application/json"]["schema"].clone()
}

#[tokio::test]
async fn real_control_answers_match_the_document() {
    use super::control::{control_app, journal};
    use tokio_util::sync::CancellationToken;
    let doc = document();
    let stop = CancellationToken::new();
    let cases = [
        ("/__ccsim/journal", None, "200"),
        ("/__ccsim/journal?after=2&limit=1", None, "200"),
        ("/__ccsim/journal?limit=0", None, "400"),
        ("/__ccsim/journal", Some("t"), "401"),
        (
            "/__ccsim/wait?event=callcenter.conversation.end",
            None,
            "200",
        ),
        ("/__ccsim/wait?after=5&timeout=1ms", None, "408"),
        ("/__ccsim/wait?timeout=2m", None, "400"),
    ];
    for (uri, token, status) in cases {
        let answer = get(control_app(journal(), token, &stop), uri).await;
        assert_eq!(answer.status.as_str(), status, "{uri}");
        let path = uri.split('?').next().unwrap();
        let schema = response_schema(&doc, path, status);
        assert!(!schema.is_null(), "{uri}: {status} documented");
        assert_eq!(
            validate(&doc, &schema, &answer.json(), "$"),
            Vec::<String>::new(),
            "{uri}"
        );
    }
    let finished = journal();
    finished.finish();
    let answer = get(
        control_app(finished, None, &stop),
        "/__ccsim/wait?after=5&timeout=1s",
    )
    .await;
    let schema = response_schema(&doc, "/__ccsim/wait", "408");
    assert_eq!(
        validate(&doc, &schema, &answer.json(), "$"),
        Vec::<String>::new()
    );
}
