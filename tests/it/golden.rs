//! Same seed, same bytes: the real binary's events log for the embedded default, every file
//! in `scenarios/`, a `ccsim load` run and a run with the robustness options, reduced to
//! what the seed decides (wall-clock fields dropped, lines in `seq` order), must hash to the
//! digests in `tests/golden/event-logs.txt`. A refactor that changes one payload byte, one
//! id or one event's order fails here. When a change of output is intended, regenerate the
//! file with `CCSIM_BLESS=1 cargo test --locked golden` and say why in the commit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

use crate::binary::wait_or_kill;

/// A fixed simulated start (2026-01-01T00:00:00Z) so that times do not follow the clock.
const START_MS: &str = "1767225600000";

/// The flags every case shares: fixed seed and start, as fast as possible, no network.
const COMMON: &[&str] = &[
    "--seed",
    "7",
    "--start-time",
    START_MS,
    "--speed",
    "max",
    "--target",
    "null",
    "--api",
    "off",
    "-q",
];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every case: a name and the arguments before [`COMMON`].
fn cases() -> Vec<(String, Vec<String>)> {
    let mut cases = vec![
        ("run default".to_owned(), vec!["run".to_owned()]),
        (
            "load 200/s".to_owned(),
            [
                "load",
                "--rate",
                "200/s",
                "--duration",
                "30s",
                "--agents",
                "60",
            ]
            .map(String::from)
            .to_vec(),
        ),
        (
            "run default, robustness options".to_owned(),
            [
                "run",
                "--duplicate-rate",
                "0.1",
                "--reorder-rate",
                "0.1",
                "--jitter",
                "0..50ms",
            ]
            .map(String::from)
            .to_vec(),
        ),
    ];
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("scenarios"))
        .expect("scenarios/")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    for file in files {
        let name = file
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        cases.push((
            format!("run scenarios/{name}"),
            vec!["run".to_owned(), file.display().to_string()],
        ));
    }
    cases
}

/// Drops a `"key":value,` pair whose value is a number or null from one log line.
fn drop_field(line: &str, key: &str) -> String {
    let needle = format!("\"{key}\":");
    let Some(at) = line.find(&needle) else {
        return line.to_owned();
    };
    let rest = &line[at + needle.len()..];
    let end = rest.find(',').expect("a field before the payload");
    format!("{}{}", &line[..at], &rest[end + 1..])
}

/// The log reduced to what the seed decides: wall-clock fields out, lines by `seq`
/// (a duplicate after its original).
fn reduced(log: &Path) -> String {
    let text = std::fs::read_to_string(log).expect("events log");
    let mut lines: BTreeMap<(u64, bool), String> = BTreeMap::new();
    for line in text.lines() {
        let value: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let seq = value["seq"].as_u64().expect("seq");
        let duplicate = value.get("duplicate").is_some();
        let line = drop_field(&drop_field(line, "sent_at_ms"), "latency_ms");
        lines.insert((seq, duplicate), line);
    }
    let mut out = String::new();
    for line in lines.values() {
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn digest(args: &[String]) -> (usize, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("events.jsonl");
    let output = wait_or_kill(
        Command::new(env!("CARGO_BIN_EXE_ccsim"))
            .args(args)
            .args(COMMON)
            .arg("--events-log")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ccsim"),
    );
    assert!(
        output.status.success(),
        "ccsim {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = reduced(&log);
    let hash = Sha256::digest(text.as_bytes());
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    (text.lines().count(), hex)
}

#[test]
fn the_same_seed_gives_the_same_events_log_bytes_as_recorded() {
    let file = repo().join("tests/golden/event-logs.txt");
    let mut actual = String::from(
        "# sha256 of each case's events log, wall-clock fields dropped, lines by seq.\n\
         # Regenerate: CCSIM_BLESS=1 cargo test --locked golden\n",
    );
    for (name, args) in cases() {
        let (lines, hex) = digest(&args);
        actual.push_str(&format!("{name}\t{lines} lines\t{hex}\n"));
    }
    if std::env::var_os("CCSIM_BLESS").is_some() {
        std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
        std::fs::write(&file, &actual).expect("write the digests");
        return;
    }
    let expected = std::fs::read_to_string(&file).expect("tests/golden/event-logs.txt");
    if expected != actual {
        let diff: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .filter(|(e, a)| e != a)
            .map(|(e, a)| format!("expected {e}\n     got {a}"))
            .collect();
        panic!(
            "events logs changed for the same seed ({} cases differ; CCSIM_BLESS=1 regenerates if intended):\n{}\n\
             (expected {} lines, got {})",
            diff.len(),
            diff.join("\n"),
            expected.lines().count(),
            actual.lines().count()
        );
    }
}

#[test]
fn dropping_a_field_keeps_the_rest_of_the_line() {
    let line = r#"{"seq":1,"sent_at_ms":17,"latency_ms":0.3,"attempts":1,"payload":{}}"#;
    assert_eq!(
        drop_field(&drop_field(line, "sent_at_ms"), "latency_ms"),
        r#"{"seq":1,"attempts":1,"payload":{}}"#
    );
}
