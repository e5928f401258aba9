//! Every event family in both profiles, end to end: `ccsim load --events all` with
//! after-call work, impatient callers, queue timeouts and unanswered phones, over several
//! seeds, against the built-in receiver, whose contract checker replays each agent's states,
//! pairs its entries and exits, and holds each queue task to one select and one end. And
//! the families not asked for are not sent.

use crate::binary::ccsim;

fn json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).expect("report")).expect("json")
}

#[test]
fn every_family_holds_the_contract_in_both_profiles_over_several_seeds() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The platform's default is no ordering; ordered, the checker also replays each agent's
    // states against its conversation_changed.
    for (profile, ordering) in [
        ("documented", "per-conversation"),
        ("platform", "none"),
        ("platform", "per-conversation"),
    ] {
        for seed in ["1", "2", "3"] {
            let report = dir.path().join(format!("{profile}-{ordering}-{seed}.json"));
            let o = ccsim(&[
                "load",
                "--ordering",
                ordering,
                "--rate",
                "1/s",
                "--duration",
                "4m",
                "--agents",
                "8",
                "--handle-time",
                "20s",
                "--wrap-up",
                "5s",
                "--patience",
                "30s",
                "--queue-timeout",
                "60s",
                "--answer-rate",
                "0.8",
                "--events",
                "all",
                "--profile",
                profile,
                "--speed",
                "max",
                "--seed",
                seed,
                "--api",
                "127.0.0.1:0",
                "--report",
                report.to_str().expect("utf-8 path"),
            ]);
            let err = String::from_utf8_lossy(&o.stderr);
            let out = String::from_utf8_lossy(&o.stdout);
            assert_eq!(
                o.status.code(),
                Some(0),
                "{profile} seed {seed}: {out}\n{err}"
            );
            let r = json(&report);
            let c = &r["contract"];
            assert_eq!(c["profile"], profile);
            for field in [
                "violations",
                "unterminated",
                "unpaired_entries",
                "unfinished_tasks",
            ] {
                assert_eq!(c[field], 0, "{profile} seed {seed}: {field} in {c}");
            }
            for family in ["conversation", "agent", "queue"] {
                let n = c["families"][family]["events"].as_u64().unwrap_or(0);
                assert!(n > 20, "{profile} seed {seed}: {n} {family} events: {c}");
            }
            let kinds = r["events"]["by_kind"].as_object().map_or(0, |o| o.len());
            assert_eq!(
                kinds, 8,
                "{profile} seed {seed}: {}",
                r["events"]["by_kind"]
            );
        }
    }
}

#[test]
fn families_not_asked_for_are_not_sent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("r.json");
    let o = ccsim(&[
        "run",
        "--seed",
        "1",
        "--speed",
        "max",
        "--events",
        "queue",
        "--api",
        "127.0.0.1:0",
        "--report",
        report.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let r = json(&report);
    let names: Vec<String> = r["events"]["by_kind"]
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    assert!(!names.is_empty());
    assert!(
        names.iter().all(|n| n.starts_with("callcenter.queue.")),
        "{names:?}"
    );
}

#[test]
fn replay_checks_a_platform_log_by_the_profile_it_is_told() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("p.jsonl");
    let log = log.to_str().expect("utf-8 path");
    let o = ccsim(&[
        "run",
        "--seed",
        "2",
        "--speed",
        "max",
        "--events",
        "all",
        "--profile",
        "platform",
        "--api",
        "off",
        "--events-log",
        log,
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let documented = ccsim(&["replay", log, "--speed", "max"]);
    let out = String::from_utf8_lossy(&documented.stdout);
    assert_eq!(documented.status.code(), Some(1), "{out}");
    assert!(out.contains("contract    VIOLATED"), "{out}");
    let platform = ccsim(&["replay", log, "--speed", "max", "--profile", "platform"]);
    let out = String::from_utf8_lossy(&platform.stdout);
    assert_eq!(platform.status.code(), Some(0), "{out}");
    assert!(out.contains("contract    held"), "{out}");
    assert!(
        !out.contains("began"),
        "a replay counts no begun conversations: {out}"
    );
}
