//! `ccsim run --profile platform`, the real binary, against a receiver that keeps every
//! body's bytes: no field the platform's code never sends, keys in the order the
//! platform's Java `HashMap` writes them (recomputed here independently of the crate), and
//! the documented profile still in its listed order. `--legacy-charset` without the
//! platform profile is refused, naming both flags.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use serde_json::Value;

use crate::binary::{ccsim, wait_or_kill};

/// Every body received, as sent.
type Bodies = Arc<Mutex<Vec<Bytes>>>;

async fn keep(State(bodies): State<Bodies>, body: Bytes) -> &'static str {
    bodies.lock().expect("lock").push(body);
    "ok"
}

/// Runs `ccsim run` with `args` against a capture receiver; its bodies and the exit code.
async fn run_capturing(args: &[&str]) -> (Vec<Bytes>, Option<i32>) {
    capturing("run", args).await
}

/// Runs `ccsim SUBCOMMAND` with `args` against a capture receiver; its bodies and the exit
/// code.
async fn capturing(subcommand: &str, args: &[&str]) -> (Vec<Bytes>, Option<i32>) {
    let bodies = Bodies::default();
    let app = axum::Router::new()
        .route("/hook", post(keep))
        .with_state(bodies.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let target = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let mut argv: Vec<String> = vec![subcommand.into(), "--target".into(), target];
    argv.extend(args.iter().map(|a| (*a).to_owned()));
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_ccsim"))
        .args(&argv)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn ccsim");
    let out = tokio::time::timeout(
        Duration::from_secs(180),
        tokio::task::spawn_blocking(move || wait_or_kill(child)),
    )
    .await
    .expect("the run ends")
    .expect("join");
    server.abort();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = bodies.lock().expect("lock").clone();
    (got, out.status.code())
}

/// Java's `String.hashCode` over UTF-16 code units, spread as `HashMap.hash` does.
fn java_spread(key: &str) -> u32 {
    let h = key
        .encode_utf16()
        .fold(0i32, |h, u| h.wrapping_mul(31).wrapping_add(i32::from(u))) as u32;
    h ^ (h >> 16)
}

/// The order the platform's code puts an event's keys in: its payload table's order, and
/// `action` last.
fn put_order(event: &str) -> &'static [&'static str] {
    match event {
        "callcenter.conversation.begin" => &[
            "event",
            "id",
            "subaccount_id",
            "type",
            "queue_id",
            "agent_call_id",
            "user_data",
            "action",
        ],
        "callcenter.conversation.end" => &[
            "event",
            "id",
            "subaccount_id",
            "type",
            "begin_time",
            "end_time",
            "user_data",
            "action",
        ],
        "callcenter.conversation.parts_changed" => {
            &["event", "id", "subaccount_id", "user_data", "action"]
        }
        other => panic!("unexpected event {other}"),
    }
}

/// `keys` (as put) in Java `HashMap` iteration order.
fn hash_map_order<'a>(keys: &[&'a str]) -> Vec<&'a str> {
    let mut capacity = 16;
    while keys.len() > capacity * 3 / 4 {
        capacity *= 2;
    }
    let mut ordered: Vec<(u32, usize, &str)> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (java_spread(k) & (capacity as u32 - 1), i, *k))
        .collect();
    ordered.sort_unstable();
    ordered.into_iter().map(|(_, _, k)| k).collect()
}

/// A body's keys in the order written.
fn written_keys(body: &[u8]) -> Vec<String> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let mut keys = Vec::new();
    // serde_json's `Map` sorts keys: walk the object with a visitor that keeps its order.
    struct Keys<'k>(&'k mut Vec<String>);
    impl<'de> serde::de::Visitor<'de> for Keys<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some((k, _)) = map.next_entry::<String, serde::de::IgnoredAny>()? {
                self.0.push(k);
            }
            Ok(())
        }
    }
    serde::Deserializer::deserialize_map(&mut de, Keys(&mut keys)).expect("a JSON object");
    keys
}

const RUN: &[&str] = &[
    "--speed",
    "max",
    "--seed",
    "1",
    "--duration",
    "20m",
    "--api",
    "off",
    "--quiet",
];

#[tokio::test]
async fn a_platform_run_sends_what_the_platform_sends_in_its_key_order() {
    let mut args = vec!["--profile", "platform"];
    args.extend_from_slice(RUN);
    let (bodies, _) = run_capturing(&args).await;
    assert!(bodies.len() > 20, "{} bodies", bodies.len());
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    for body in &bodies {
        let v: Value = serde_json::from_slice(body).expect("json");
        let event = v["event"].as_str().expect("event").to_owned();
        *seen.entry(event.clone()).or_default() += 1;
        let keys = written_keys(body);
        let present: Vec<&str> = put_order(&event)
            .iter()
            .copied()
            .filter(|k| keys.iter().any(|w| w == k))
            .collect();
        assert_eq!(
            keys.len(),
            present.len(),
            "a key the platform never puts: {v}"
        );
        assert_eq!(
            keys,
            hash_map_order(&present),
            "{}",
            String::from_utf8_lossy(body)
        );
        match event.as_str() {
            "callcenter.conversation.end" => {
                for absent in ["end_reason", "record_file", "queue_id", "agent_call_id"] {
                    assert!(v.get(absent).is_none(), "{absent}: {v}");
                }
                assert!(v["begin_time"].is_i64(), "{v}");
            }
            "callcenter.conversation.begin" => {
                assert!(
                    v["agent_call_id"].is_string(),
                    "every begin names the answerer: {v}"
                );
                let has_queue = v.get("queue_id").is_some();
                assert_eq!(has_queue, v["type"] != "call_out", "{v}");
            }
            _ => {}
        }
    }
    for kind in ["begin", "end", "parts_changed"] {
        assert!(
            seen.contains_key(&format!("callcenter.conversation.{kind}")),
            "{seen:?}"
        );
    }
}

#[tokio::test]
async fn the_documented_run_keeps_the_listed_order() {
    let (bodies, _) = run_capturing(RUN).await;
    assert!(!bodies.is_empty());
    for body in &bodies {
        assert!(
            body.starts_with(b"{\"action\":\"event_notify\",\"event\":\"callcenter."),
            "{}",
            String::from_utf8_lossy(body)
        );
        let v: Value = serde_json::from_slice(body).expect("json");
        if v["event"] == "callcenter.conversation.end" {
            assert!(v.get("end_reason").is_some(), "{v}");
        }
    }
}

#[test]
fn legacy_charset_needs_the_platform_profile() {
    let o = ccsim(&[
        "run",
        "--legacy-charset",
        "--target",
        "null",
        "--api",
        "off",
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--legacy-charset") && err.contains("--profile platform"),
        "{err}"
    );
    let o = ccsim(&[
        "run",
        "--profile",
        "platform",
        "--legacy-charset",
        "--target",
        "null",
        "--speed",
        "max",
        "--duration",
        "1m",
        "--api",
        "off",
        "--quiet",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A scripted queue call whose user data has Latin-1 and other characters.
const LATIN1_SCENARIO: &str = r#"seed = 1
profile = "platform"
[agents]
count = 2
[[conversations]]
type = "queue"
user_data = "Grüße 你好"
timeline = [
  { at = "0s", do = "enqueue" },
  { at = "1s", do = "select", agent = "agent-001" },
  { at = "5s", do = "answer", agent = "agent-001" },
  { at = "30s", do = "hangup", party = "customer" },
]
"#;

#[tokio::test]
async fn legacy_charset_bodies_hold_the_contract_log_as_text_and_replay_byte_for_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario = dir.path().join("latin1.toml");
    std::fs::write(&scenario, LATIN1_SCENARIO).expect("write scenario");
    let log = dir.path().join("events.jsonl");
    let (scenario, log) = (
        scenario.to_str().expect("utf-8").to_owned(),
        log.to_str().expect("utf-8").to_owned(),
    );
    let common = [
        "--legacy-charset",
        "--events",
        "all",
        "--speed",
        "max",
        "--api",
        "off",
    ];
    // The built-in receiver (the platform profile's contract) accepts the Latin-1 bodies.
    let o = ccsim(&[&["run", scenario.as_str()][..], &common[..]].concat());
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("contract    held"), "{out}");
    // Sent to a receiver: ISO-8859-1 bytes, non-Latin-1 characters as `?`.
    let args = [
        &[scenario.as_str(), "--events-log", log.as_str()][..],
        &common[..],
    ]
    .concat();
    let (mut sent, _) = run_capturing(&args).await;
    let latin1: Vec<&Bytes> = sent
        .iter()
        .filter(|b| b.windows(8).any(|w| w == b"Gr\xfc\xdfe ??"))
        .collect();
    assert!(latin1.len() >= 5, "{} Latin-1 bodies", latin1.len());
    assert!(latin1.iter().all(|b| std::str::from_utf8(b).is_err()));
    // The log is UTF-8 JSON lines, the Latin-1 ones marked so.
    let text = std::fs::read_to_string(&log).expect("the events log is UTF-8");
    let marked = text
        .lines()
        .filter(|l| l.contains(r#""body_charset":"iso-8859-1""#))
        .count();
    assert_eq!(marked, latin1.len());
    for line in text.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("a JSON line");
    }
    // Replayed: the very same bytes.
    let (mut replayed, code) = capturing("replay", &[log.as_str(), "--speed", "max"]).await;
    assert_eq!(code, Some(0));
    sent.sort();
    replayed.sort();
    assert_eq!(sent, replayed);
}
