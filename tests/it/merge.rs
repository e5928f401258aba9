//! `ccsim report merge` with the real binary: two real runs merged add up, a threshold
//! breached by the merged report exits 1, reports of other scenarios and an output that is
//! an input are refused with exit 2.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::binary::wait_or_kill;

fn ccsim(dir: &Path, args: &[&str]) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_ccsim"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ccsim");
    wait_or_kill(child)
}

fn report(dir: &Path, name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join(name)).unwrap()).unwrap()
}

fn run_to(dir: &Path, seed: &str, file: &str) {
    let o = ccsim(
        dir,
        &[
            "run", "--speed", "max", "--target", "null", "--api", "off", "--seed", seed,
            "--report", file, "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
}

#[test]
fn two_real_runs_merge_into_their_sums_and_the_merged_report_gates_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run_to(d, "1", "a.json");
    run_to(d, "2", "b.json");
    let (a, b) = (report(d, "a.json"), report(d, "b.json"));
    assert!(
        a["latency_ms"]["hdr"]
            .as_str()
            .unwrap()
            .starts_with("HISTF")
    );

    let o = ccsim(d, &["report", "merge", "a.json", "b.json", "-o", "m.json"]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(stdout.contains("result      ok"), "{stdout}");
    let m = report(d, "m.json");
    let sum = |path: &[&str]| {
        let get = |v: &Value| {
            path.iter()
                .fold(v.clone(), |v, k| v[k].clone())
                .as_u64()
                .unwrap()
        };
        (get(&a) + get(&b), get(&m))
    };
    for path in [
        &["events", "emitted"][..],
        &["events", "delivered"],
        &["events", "by_kind", "callcenter.conversation.begin"],
        &["latency_ms", "count"],
        &["conversations", "offered"],
        &["contact_center", "offered"],
        &["contact_center", "agents"],
    ] {
        let (want, got) = sum(path);
        assert_eq!(got, want, "{path:?}");
    }
    assert_eq!(m["merged"]["seeds"], serde_json::json!([1, 2]));
    // The merged report as a page: the same object, embedded.
    let o = ccsim(
        d,
        &[
            "report", "merge", "a.json", "b.json", "-q", "--html", "m.html",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let page = std::fs::read_to_string(d.join("m.html")).unwrap();
    assert!(
        page.contains("\"seeds\":[1,2]"),
        "the merged report is embedded"
    );
    let o = ccsim(
        d,
        &["report", "merge", "a.json", "b.json", "--html", "a.json"],
    );
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    // The time series: every event sent and delivered is in a row, in each report and in
    // the merge.
    let series_sum = |r: &Value, key: &str| -> u64 {
        r["timeseries"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row[key].as_u64().unwrap())
            .sum()
    };
    for r in [&a, &b, &m] {
        assert_eq!(
            series_sum(r, "sent"),
            r["events"]["emitted"].as_u64().unwrap()
        );
        assert_eq!(
            series_sum(r, "delivered"),
            r["events"]["delivered"].as_u64().unwrap()
        );
    }
    assert_eq!(m["scenario"], a["scenario"]);

    // The merged report breaches what neither input is asked about.
    let o = ccsim(
        d,
        &["report", "merge", "a.json", "b.json", "--max-p99", "1us"],
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(stdout.contains("FAILED: p99 latency"), "{stdout}");
    let o = ccsim(
        d,
        &[
            "report",
            "merge",
            "a.json",
            "b.json",
            "-q",
            "--min-throughput",
            "1/s",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(o.stdout.is_empty(), "-q prints nothing");
}

#[test]
fn other_scenarios_and_an_output_that_is_an_input_are_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run_to(d, "1", "a.json");
    let o = ccsim(
        d,
        &[
            "load",
            "--rate",
            "2/s",
            "--duration",
            "5s",
            "--speed",
            "max",
            "--target",
            "null",
            "--api",
            "off",
            "--report",
            "l.json",
            "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let o = ccsim(d, &["report", "merge", "a.json", "l.json"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(
        err.contains("l.json has scenario") && err.contains("a.json has"),
        "{err}"
    );

    let before = std::fs::read(d.join("a.json")).unwrap();
    let o = ccsim(d, &["report", "merge", "a.json", "-o", "a.json"]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert_eq!(
        std::fs::read(d.join("a.json")).unwrap(),
        before,
        "the input is untouched"
    );

    std::fs::write(d.join("x.json"), "{\"events\": 3}").unwrap();
    let o = ccsim(d, &["report", "merge", "a.json", "x.json"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(
        err.contains("x.json:1:") && err.contains("not a ccsim report"),
        "{err}"
    );
}

#[test]
fn the_shards_of_one_load_merge_into_the_whole() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for k in 0..3 {
        let report = format!("s{k}.json");
        let shard = format!("{k}/3");
        let o = ccsim(
            d,
            &[
                "load",
                "--rate",
                "30/s",
                "--duration",
                "20s",
                "--agents",
                "30",
                "--speed",
                "max",
                "--target",
                "null",
                "--api",
                "off",
                "-q",
                "--seed",
                "3",
                "--shard",
                &shard,
                "--report",
                &report,
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{o:?}");
    }
    let shards: Vec<Value> = (0..3).map(|k| report(d, &format!("s{k}.json"))).collect();
    assert_eq!(
        shards[0]["scenario"], shards[2]["scenario"],
        "one workload, split"
    );
    let o = ccsim(
        d,
        &[
            "report", "merge", "s0.json", "s1.json", "s2.json", "-q", "-o", "m.json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let m = report(d, "m.json");
    let sum: u64 = shards
        .iter()
        .map(|r| r["events"]["emitted"].as_u64().unwrap())
        .sum();
    assert_eq!(m["events"]["emitted"].as_u64(), Some(sum));
    assert_eq!(m["merged"]["reports"], 3);
}
