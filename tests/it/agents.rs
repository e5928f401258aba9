//! The report's per-agent figures (`contact_center.by_agent`) and event families
//! (`event_families`), through the real binary: each agent's times add up to the pool's
//! figures, the summary lists the busiest agents, and `--events`, `CCSIM_EVENTS` and a
//! scenario's `events` decide the families the report and the banner name.

use std::process::{Command, Stdio};

use crate::binary::{ccsim, wait_or_kill};

fn json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).expect("report")).expect("json")
}

fn f(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("a number, got {v}"))
}

#[test]
fn each_agents_figures_add_up_to_the_pools_in_a_load_with_wrap_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("r.json");
    let o = ccsim(&[
        "load",
        "--rate",
        "1/s",
        "--mix",
        "queue=1",
        "--duration",
        "5m",
        "--agents",
        "12",
        "--handle-time",
        "20s",
        "--wrap-up",
        "5s",
        "--speed",
        "max",
        "--target",
        "null",
        "--api",
        "off",
        "--seed",
        "11",
        "--report",
        report.to_str().expect("utf-8"),
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}\n{o:?}");
    let r = json(&report);
    let cc = &r["contact_center"];
    let agents = cc["by_agent"].as_array().expect("by_agent");
    assert_eq!(agents.len(), 12);
    let names: Vec<&str> = agents.iter().filter_map(|a| a["name"].as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(names, sorted, "sorted by name, each once");

    let simulated = f(&r["throughput"]["simulated_s"]);
    let taken: f64 = agents
        .iter()
        .map(|a| f(&a["ringing_s"]) + f(&a["talk_s"]) + f(&a["wrap_up_s"]))
        .sum();
    let occupancy = f(&cc["occupancy"]);
    assert!(
        (taken / (12.0 * simulated) - occupancy).abs() < 1e-9,
        "the agents' times are the pool's occupancy: {taken} s over 12 × {simulated} s vs {occupancy}"
    );
    let mean: f64 = agents.iter().map(|a| f(&a["occupancy"])).sum::<f64>() / 12.0;
    assert!((mean - occupancy).abs() < 1e-9, "{mean} vs {occupancy}");
    let engaged: u64 = agents.iter().filter_map(|a| a["engaged"].as_u64()).sum();
    assert!(
        (taken / engaged as f64 - f(&cc["mean_busy_s"])).abs() < 1e-6,
        "the agents' engagements are the pool's"
    );
    let wrap_up: f64 = agents.iter().map(|a| f(&a["wrap_up_s"])).sum();
    let handled: u64 = agents.iter().filter_map(|a| a["handled"].as_u64()).sum();
    let answered = r["conversations"]["started"].as_u64().expect("started");
    assert!(answered > 100, "{answered}");
    assert_eq!(
        handled, answered,
        "every queue call that began was answered by one agent, and only those"
    );
    assert!(
        (wrap_up - 5.0 * handled as f64).abs() < 1e-6,
        "5 s of wrap-up after each call: {wrap_up}"
    );
    assert!(
        out.contains("agents (top 10 of 12 by calls handled):"),
        "{out}"
    );
    assert!(out.contains("… 2 more in the JSON report"), "{out}");
}

#[test]
fn the_report_and_the_banner_name_the_families_asked_for() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("r.json");
    let run = |extra: &[&str], env: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ccsim"));
        cmd.args([
            "run",
            "--speed",
            "max",
            "--target",
            "null",
            "--api",
            "off",
            "--seed",
            "3",
            "--report",
            report.to_str().expect("utf-8"),
        ])
        .args(extra)
        .env_remove("CCSIM_EVENTS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        if let Some(v) = env {
            cmd.env("CCSIM_EVENTS", v);
        }
        let o = wait_or_kill(cmd.spawn().expect("spawn"));
        assert_eq!(o.status.code(), Some(0), "{o:?}");
        let r = json(&report);
        let families: Vec<String> = r["event_families"]
            .as_array()
            .expect("event_families")
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        let kinds: Vec<String> = r["events"]["by_kind"]
            .as_object()
            .expect("by_kind")
            .keys()
            .cloned()
            .collect();
        (
            families,
            kinds,
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (families, kinds, banner) = run(&[], None);
    assert_eq!(families, ["conversation"]);
    assert_eq!(
        kinds,
        [
            "callcenter.conversation.begin",
            "callcenter.conversation.end",
            "callcenter.conversation.parts_changed"
        ]
    );
    assert!(banner.contains("· events conversation ·"), "{banner}");

    let (families, kinds, banner) = run(&["--events", "all"], None);
    assert_eq!(families, ["conversation", "agent", "queue"]);
    assert_eq!(
        kinds.len(),
        8,
        "every kind, 0 when none was sent: {kinds:?}"
    );
    assert!(banner.contains("· events all ·"), "{banner}");

    let (families, _, banner) = run(&[], Some("queue,conversation"));
    assert_eq!(families, ["conversation", "queue"], "from CCSIM_EVENTS");
    assert!(banner.contains("· events conversation,queue ·"), "{banner}");

    let (families, kinds, _) = run(&["--events", "agent"], Some("queue"));
    assert_eq!(families, ["agent"], "the flag wins over the environment");
    assert_eq!(
        kinds,
        [
            "callcenter.agent.conversation_changed",
            "callcenter.agent.state_changed"
        ],
        "no conversation event is built when its family is not asked for"
    );

    let scenario = dir.path().join("s.toml");
    std::fs::write(
        &scenario,
        "events = [\"agent\"]\n[workload]\nduration = \"1m\"\nrates = { queue = \"1/m\" }\n",
    )
    .expect("write");
    let file = scenario.to_str().expect("utf-8");
    let (families, _, _) = run(&[file], None);
    assert_eq!(families, ["agent"], "the scenario's events");
    let (families, _, _) = run(&[file], Some("queue"));
    assert_eq!(
        families,
        ["queue"],
        "the environment wins over the scenario"
    );
}

#[test]
fn a_bad_events_value_names_the_flag_or_the_variable_and_exits_2() {
    let o = ccsim(&["run", "--events", "conversation,agents"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--events")
            && err.contains("expected \"conversation\", \"agent\", \"queue\" or \"all\"")
            && err.contains("got \"agents\""),
        "{err}"
    );
    let o = Command::new(env!("CARGO_BIN_EXE_ccsim"))
        .args(["run", "--quiet"])
        .env("CCSIM_EVENTS", "calls")
        .stdin(Stdio::null())
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("CCSIM_EVENTS") && err.contains("got \"calls\""),
        "{err}"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, "seed = 1\nevents = \"agent,queues\"\n").expect("write");
    let o = ccsim(&["validate", scenario.to_str().expect("utf-8")]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("s.toml:2:10: events: expected") && err.contains("got \"queues\""),
        "{err}"
    );
    let o = ccsim(&["serve", "--events", "agents"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("--events"), "{err}");
}
