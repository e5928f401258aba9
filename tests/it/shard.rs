//! `--shard K/N` end to end: four shards of one `load` against one receiver add up to what
//! the receiver got, with no conversation or call id and no agent in two shards; and the
//! binary's answers to a bad shard, from the flag or the environment.

use std::collections::HashMap;
use std::process::{Command, Output, Stdio};

use clap::Parser;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use ccsim::cli::{Cli, Command as Sub};
use ccsim::plan::RunPlan;
use ccsim::shard::Shard;

use crate::binary::wait_or_kill;
use crate::support::{Answer, TestReceiver, assert_accounted};

/// The plan of `ccsim load` with `args`, exactly as the binary builds it.
fn load_plan(args: &[&str]) -> RunPlan {
    let mut argv = vec!["ccsim", "load", "--quiet", "--api", "off"];
    argv.extend_from_slice(args);
    let cli = Cli::try_parse_from(argv).expect("valid arguments");
    let Sub::Load(load) = cli.command else {
        panic!("not a load command")
    };
    load.plan().expect("valid plan")
}

/// Every id an events-log line names: its conversation and each call id of its payload.
fn ids(line: &Value, out: &mut Vec<String>) {
    fn walk(key: &str, v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => map.iter().for_each(|(k, v)| walk(k, v, out)),
            Value::Array(items) => items.iter().for_each(|v| walk(key, v, out)),
            Value::String(s) if key.ends_with("call_id") || key == "id" => {
                out.push(format!("{key}={s}"));
            }
            _ => {}
        }
    }
    out.push(format!(
        "conv={}",
        line["conversation_id"].as_str().unwrap()
    ));
    walk("", &line["payload"], out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_shards_of_a_load_add_up_at_one_receiver_with_disjoint_ids_and_agents() {
    let receiver = TestReceiver::start(Answer::Ok).await;
    let dir = tempfile::tempdir().unwrap();
    let count = 4;
    let mut runs = Vec::new();
    let mut agent_owner: HashMap<String, u32> = HashMap::new();
    for k in 0..count {
        let log = dir.path().join(format!("events-{k}.jsonl"));
        let shard = format!("{k}/{count}");
        let plan = load_plan(&[
            "--rate",
            "40/s",
            "--duration",
            "20s",
            "--agents",
            "14",
            "--handle-time",
            "20s",
            "--speed",
            "max",
            "--seed",
            "7",
            "--target",
            &receiver.url,
            "--shard",
            &shard,
            "--events-log",
            log.to_str().unwrap(),
        ]);
        // A disjoint block of the 14 agents, and a quarter of the rate.
        assert!(plan.sim.agents.len() == 3 || plan.sim.agents.len() == 4);
        for name in &plan.sim.agents {
            let first = *agent_owner.entry(name.to_string()).or_insert(k);
            assert_eq!(first, k, "{name} in shards {first} and {k}");
        }
        let rate: f64 = plan
            .sim
            .workload
            .rates
            .iter()
            .map(|(_, r)| r.per_second())
            .sum();
        assert!((rate - 10.0).abs() < 1e-9, "{rate}");
        runs.push((
            log,
            tokio::spawn(ccsim::run_plan(plan, CancellationToken::new())),
        ));
    }
    assert_eq!(agent_owner.len(), 14, "every agent in some shard");

    let mut emitted = 0;
    let mut id_owner: HashMap<String, u32> = HashMap::new();
    for (k, (log, run)) in (0..count).zip(runs) {
        let (report, exit) = run.await.unwrap().expect("the shard runs");
        assert_eq!(exit, ccsim::Exit::Ok, "shard {k}");
        assert_accounted(&report);
        assert_eq!(report.shard, Some(Shard::new(k, count).unwrap()));
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(
            json["shard"],
            serde_json::json!({"index": k, "count": count})
        );
        assert!(report.events.emitted > 0, "shard {k} sent nothing");
        emitted += report.events.emitted;

        let text = std::fs::read_to_string(&log).unwrap();
        let mut shard_ids = Vec::new();
        for line in text.lines() {
            ids(&serde_json::from_str(line).unwrap(), &mut shard_ids);
        }
        for id in shard_ids {
            let first = *id_owner.entry(id.clone()).or_insert(k);
            assert_eq!(first, k, "{id} in shards {first} and {k}");
        }
    }
    assert!(id_owner.keys().any(|id| id.starts_with("agent_call_id=")));
    // The receiver got exactly what the shards' reports say they sent.
    assert_eq!(receiver.events().len() as u64, emitted);
    assert_eq!(receiver.requests() as u64, emitted);
    // And every conversation it saw came whole from one shard.
    let convs = receiver.by_conversation();
    let logged = id_owner.keys().filter(|id| id.starts_with("conv=")).count();
    assert_eq!(convs.len(), logged);
}

#[test]
fn a_whole_run_has_no_shard_in_its_report() {
    let plan = load_plan(&["--rate", "1/s", "--target", "null"]);
    assert_eq!(plan.sim.shard, Shard::WHOLE);
    let one = load_plan(&["--rate", "1/s", "--target", "null", "--shard", "0/1"]);
    assert_eq!(one.sim.agents, plan.sim.agents);
}

fn ccsim(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ccsim"));
    for var in [
        "CCSIM_SHARD",
        "CCSIM_SHARD_INDEX",
        "CCSIM_SHARD_COUNT",
        "JOB_COMPLETION_INDEX",
    ] {
        command.env_remove(var);
    }
    let child = command
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ccsim");
    wait_or_kill(child)
}

const LOAD: &[&str] = &[
    "load",
    "--rate",
    "5/s",
    "--duration",
    "10s",
    "--speed",
    "max",
    "--target",
    "null",
    "--api",
    "off",
    "--quiet",
];

fn refused(args: &[&str], env: &[(&str, &str)], names: &str) {
    let mut argv = LOAD.to_vec();
    argv.extend_from_slice(args);
    let o = ccsim(&argv, env);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?} {env:?}: {err}");
    assert!(
        err.contains(names),
        "{args:?} {env:?} should name {names}: {err}"
    );
}

#[test]
fn a_shard_that_does_not_exist_exits_2_naming_the_flag_or_variable() {
    refused(&["--shard", "4/4"], &[], "--shard");
    refused(&["--shard", "1/0"], &[], "--shard");
    refused(&["--shard", "two"], &[], "--shard");
    refused(&[], &[("CCSIM_SHARD", "4/4")], "CCSIM_SHARD");
    refused(
        &[],
        &[("JOB_COMPLETION_INDEX", "4"), ("CCSIM_SHARD_COUNT", "4")],
        "JOB_COMPLETION_INDEX=4",
    );
    refused(&[], &[("CCSIM_SHARD_INDEX", "1")], "CCSIM_SHARD_COUNT");
    refused(
        &[],
        &[("CCSIM_SHARD_COUNT", "x"), ("CCSIM_SHARD_INDEX", "0")],
        "CCSIM_SHARD_COUNT",
    );
    // More shards than agents for the generated arrivals.
    refused(
        &["--agents", "3", "--shard", "0/4"],
        &[],
        "use at most 3 shards",
    );
}

#[test]
fn an_indexed_job_needs_only_its_completion_index_and_the_count() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let mut argv = LOAD.to_vec();
    argv.extend_from_slice(&["--report", report.to_str().unwrap()]);
    let o = ccsim(
        &argv,
        &[("JOB_COMPLETION_INDEX", "2"), ("CCSIM_SHARD_COUNT", "3")],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(json["shard"], serde_json::json!({"index": 2, "count": 3}));
    // Without --shard or the pair, the report has no shard.
    let o = ccsim(&argv, &[("JOB_COMPLETION_INDEX", "2")]);
    assert_eq!(o.status.code(), Some(0));
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!(json.get("shard").is_none(), "{json}");
}

/// The Erlang C figures `docs/scale-out.md` gives for one pool against N smaller ones.
fn pool_line(agents: u32, lambda: f64) -> String {
    use ccsim::report::theory::Queue;
    let q = Queue {
        agents,
        arrival_rate: lambda,
        busy_s: 180.0,
        patience_s: None,
    };
    let f = q.figures().expect("a steady state");
    format!(
        "| {agents} | {:.1} | {:.1}% | {:.1} s | {:.1}% |",
        q.offered_erlangs(),
        f.p_wait * 100.0,
        f.answered_wait_s,
        q.answered_within(20.0).expect("a steady state") * 100.0
    )
}

#[test]
fn the_scale_out_doc_gives_the_erlang_c_figures_of_one_pool_and_of_four() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/scale-out.md")).unwrap();
    // 0.5 calls/s of 180 s: one process with 100 agents, or 4 shards of 25 at 0.125/s.
    for line in [pool_line(100, 0.5), pool_line(25, 0.125)] {
        assert!(doc.contains(&line), "docs/scale-out.md lacks {line:?}");
    }
    // The agents per shard that bring a shard's ASA back to one pool's.
    let one = ccsim::report::theory::Queue {
        agents: 100,
        arrival_rate: 0.5,
        busy_s: 180.0,
        patience_s: None,
    };
    let target = one.figures().unwrap().answered_wait_s;
    let needed = (23..100)
        .find(|&n| {
            ccsim::report::theory::Queue {
                agents: n,
                arrival_rate: 0.125,
                ..one
            }
            .figures()
            .is_some_and(|f| f.answered_wait_s <= target)
        })
        .unwrap();
    let line = pool_line(needed, 0.125);
    assert!(doc.contains(&line), "docs/scale-out.md lacks {line:?}");
    println!("{}\n{}\n{line}", pool_line(100, 0.5), pool_line(25, 0.125));
}
