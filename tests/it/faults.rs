//! Hostile conditions, on the real binary with real files, pipes and signals: outputs that
//! would destroy an input, full devices, closed pipes, SIGHUP and a second interrupt, and
//! inputs too large to read. What each guarantees is in `docs/faults.md`.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::binary::wait_or_kill;

fn ccsim() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ccsim"));
    c.stdin(Stdio::null());
    c
}

fn output(c: &mut Command) -> Output {
    wait_or_kill(
        c.stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ccsim"),
    )
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Sends `signal` (`INT`, `HUP`, …) to the child with the `kill` command.
fn signal(child: &Child, signal: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .expect("kill")
        .success();
    assert!(ok, "kill -{signal}");
}

/// Waits (bounded: a guard against hangs, not a performance bound) until `ready`.
fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn json(path: &Path) -> Option<Value> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Checks the events log ends at a line boundary with every line whole; the line count.
fn whole_lines(path: &Path) -> u64 {
    let text = std::fs::read_to_string(path).expect("the events log");
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "the log ends with a whole line"
    );
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).expect("every line is whole JSON");
        assert!(v["seq"].as_u64().is_some(), "{line}");
    }
    text.lines().count() as u64
}

/// A write end of a pipe whose read end is already closed: every write is a broken pipe.
fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    writer.into()
}

fn dev_full() -> Stdio {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full")
        .into()
}

/// Stderr lines as they come, read on a thread.
fn stderr_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let err = child.stderr.take().expect("piped stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits (bounded) for a stderr line containing `needle`; every line seen so far.
fn wait_for_line(lines: &mpsc::Receiver<String>, needle: &str, seen: &mut Vec<String>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                let found = line.contains(needle);
                seen.push(line);
                if found {
                    return;
                }
            }
            Err(_) => panic!("no stderr line with {needle:?}; saw {seen:?}"),
        }
    }
}

#[test]
fn an_output_that_is_an_input_or_the_other_output_is_refused_naming_both_flags() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, "# my scenario\n").unwrap();
    let o = output(
        ccsim()
            .arg("run")
            .arg(&scenario)
            .arg("--report")
            .arg(&scenario),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--report ") && stderr(&o).contains("same file as scenario file"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_to_string(&scenario).unwrap(),
        "# my scenario\n"
    );

    // The log being replayed, named through a symbolic link.
    let log = dir.path().join("v.jsonl");
    std::fs::write(&log, "{}\n").unwrap();
    let link = dir.path().join("link.jsonl");
    std::os::unix::fs::symlink(&log, &link).unwrap();
    let o = output(
        ccsim()
            .arg("replay")
            .arg(&log)
            .arg("--events-log")
            .arg(&link),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--events-log ") && stderr(&o).contains("same file as FILE.jsonl"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "{}\n");

    // Two outputs, neither there yet.
    let x = dir.path().join("x");
    let o = output(
        ccsim()
            .args(["run", "--report"])
            .arg(&x)
            .arg("--events-log")
            .arg(&x),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--report ") && stderr(&o).contains(" and --events-log "),
        "{}",
        stderr(&o)
    );
    assert!(!x.exists());

    let o = output(ccsim().args(["run", "--report-interval", "100us"]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--report-interval: "), "{}", stderr(&o));
}

#[test]
fn an_events_log_on_a_full_device_is_reported_at_once_and_the_final_report_still_written() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let o = output(
        ccsim()
            .args(["run", "--speed", "max", "--seed", "3", "--target", "null"])
            .args(["--api", "off", "--events-log", "/dev/full", "--report"])
            .arg(&report),
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(5), "{err}");
    assert!(
        err.contains("cannot write the events log /dev/full: No space left on device"),
        "{err}"
    );
    let r = json(&report).expect("a final report");
    assert_eq!(r["partial"], false);
    let errors = r["output_errors"].as_array().expect("output_errors");
    assert!(errors[0].as_str().unwrap().contains("/dev/full"), "{r}");
    assert!(stdout(&o).contains("OUTPUT ERROR: "), "{}", stdout(&o));

    // A run that would go on for minutes stops at the first failed write.
    let o = output(
        ccsim()
            .args([
                "run", "--speed", "30", "--target", "null", "--api", "off", "--quiet",
            ])
            .args(["--events-log", "/dev/full", "--report"])
            .arg(&report),
    );
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    let r = json(&report).expect("a final report");
    assert_eq!(r["interrupted"], true, "the run was stopped");
    assert_eq!(r["partial"], false);
}

#[test]
fn a_report_on_a_full_device_exits_5_naming_it() {
    let o = output(ccsim().args([
        "run",
        "--speed",
        "max",
        "--target",
        "null",
        "--api",
        "off",
        "--quiet",
        "--report",
        "/dev/full",
    ]));
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cannot write the report /dev/full: No space left on device"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_earlier_report_survives_a_kill_before_the_first_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let (report, log) = (dir.path().join("r.json"), dir.path().join("e.jsonl"));
    std::fs::write(&report, "{\"earlier\":true}").unwrap();
    let mut child = ccsim()
        .args([
            "run", "--quiet", "--speed", "1", "--api", "off", "--target", "null",
        ])
        .args(["--report-interval", "1h", "--report"])
        .arg(&report)
        .arg("--events-log")
        .arg(&log)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The log is created once the outputs are checked and open.
    wait_until("the events log", || log.exists());
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(
        std::fs::read_to_string(&report).unwrap(),
        "{\"earlier\":true}"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 2, "no temporary file left: {left:?}");
}

/// A run at a pace that leaves time to signal it, with a snapshot every 100ms.
fn slow_run(dir: &Path, target: &[&str]) -> Child {
    ccsim()
        .args([
            "run", "--quiet", "--speed", "30", "--seed", "4", "--api", "off",
        ])
        .args(target)
        .args(["--report-interval", "100ms", "--report"])
        .arg(dir.join("r.json"))
        .arg("--events-log")
        .arg(dir.join("e.jsonl"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_for_snapshot(report: &Path) {
    wait_until("a snapshot with events", || {
        json(report)
            .is_some_and(|v| v["partial"] == true && v["events"]["emitted"].as_u64() > Some(5))
    });
}

#[test]
fn sighup_stops_a_run_like_sigterm_with_the_final_report_and_every_line() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = output_less_receiver();
    let mut child = slow_run(dir.path(), &["--target", &receiver.url]);
    wait_for_snapshot(&dir.path().join("r.json"));
    signal(&child, "HUP");
    let o = wait_or_kill(child_take(&mut child));
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let r = json(&dir.path().join("r.json")).expect("the final report");
    assert_eq!(r["partial"], false);
    assert_eq!(r["interrupted"], true);
    let lines = whole_lines(&dir.path().join("e.jsonl"));
    assert_eq!(
        Some(lines),
        r["events"]["emitted"].as_u64(),
        "one line per event, none lost"
    );
}

#[test]
fn a_second_interrupt_exits_at_once_leaving_the_report_and_the_log_whole() {
    let dir = tempfile::tempdir().unwrap();
    // A target that accepts connections and never answers: sends stay in flight, so the
    // first interrupt's grace period lasts until the second.
    let stalled = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", stalled.local_addr().unwrap());
    let report = dir.path().join("r.json");
    let mut child = slow_run(
        dir.path(),
        &["--target", &url, "--timeout", "60s", "--grace", "60s"],
    );
    let lines = stderr_lines(&mut child);
    wait_for_snapshot(&report);
    let mut seen = Vec::new();
    signal(&child, "INT");
    wait_for_line(&lines, "interrupted: finishing in-flight", &mut seen);
    signal(&child, "INT");
    wait_for_line(&lines, "second interrupt: exiting now", &mut seen);
    let o = wait_or_kill(child);
    assert_eq!(o.status.code(), Some(3), "{seen:?}");
    let r = json(&report).expect("the last snapshot, whole");
    assert_eq!(r["partial"], true);
    whole_lines(&dir.path().join("e.jsonl"));
    drop(stalled);
}

/// Moves the child out to wait on it.
fn child_take(child: &mut Child) -> Child {
    std::mem::replace(
        child,
        Command::new("true").spawn().expect("a placeholder process"),
    )
}

/// A receiver answering 200 to everything: `ccsim listen` with its stdout discarded.
struct Listener {
    url: String,
    child: Child,
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn output_less_receiver() -> Listener {
    let (child, addr, _) = listen(Stdio::null());
    Listener {
        url: format!("http://{addr}/hook"),
        child,
    }
}

/// `ccsim listen` on port 0 with `stdout`; the child, its address and its stderr lines.
fn listen(stdout: Stdio) -> (Child, String, mpsc::Receiver<String>) {
    let mut child = ccsim()
        .args(["listen", "--addr", "127.0.0.1:0"])
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = stderr_lines(&mut child);
    let mut seen = Vec::new();
    wait_for_line(&lines, "listening on http://", &mut seen);
    let addr = seen
        .last()
        .and_then(|l| l.split("http://").nth(1))
        .and_then(|rest| rest.split('/').next())
        .expect("the address")
        .to_owned();
    (child, addr, lines)
}

/// POSTs one event to `addr`; the status code.
fn post(addr: &str) -> u16 {
    let body =
        r#"{"event":"callcenter.conversation.begin","id":"0123456789abcdef0123456789abcdef"}"#;
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

#[test]
fn listen_keeps_answering_when_its_stdout_is_closed_or_full() {
    for (stdout, exit) in [(closed_pipe(), 0), (dev_full(), 5)] {
        let (mut child, addr, lines) = listen(stdout);
        for _ in 0..3 {
            assert_eq!(post(&addr), 200, "the sender's events are accepted");
        }
        signal(&child, "INT");
        let mut rest = Vec::new();
        wait_for_line(&lines, "events in", &mut rest);
        let o = wait_or_kill(child_take(&mut child));
        rest.extend(lines.try_iter());
        let told = rest
            .iter()
            .filter(|l| l.contains("no longer printing"))
            .count();
        assert_eq!(o.status.code(), Some(exit), "{rest:?}");
        assert_eq!(told, 1, "told once: {rest:?}");
        assert!(!rest.iter().any(|l| l.contains("panicked")), "{rest:?}");
    }
}

#[test]
fn a_closed_stdout_ends_quietly_and_a_full_one_exits_5() {
    let schema = |out: Stdio| {
        wait_or_kill(
            ccsim()
                .arg("schema")
                .stdout(out)
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        )
    };
    let o = schema(closed_pipe());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    let o = schema(dev_full());
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cannot write to stdout: No space left on device"),
        "{}",
        stderr(&o)
    );

    let help = |out: Stdio| {
        wait_or_kill(
            ccsim()
                .args(["run", "--help"])
                .stdout(out)
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        )
    };
    assert_eq!(help(closed_pipe()).status.code(), Some(0));
    let o = help(dev_full());
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));

    // A run whose summary cannot be printed still writes its report.
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let o = wait_or_kill(
        ccsim()
            .args([
                "run", "--speed", "max", "--target", "null", "--api", "off", "--report",
            ])
            .arg(&report)
            .stdout(dev_full())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cannot write to stdout"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    assert_eq!(json(&report).expect("the report")["partial"], false);
    // A closed one: the run's own exit code stands.
    let o = wait_or_kill(
        ccsim()
            .args(["run", "--speed", "max", "--target", "null", "--api", "off"])
            .stdout(closed_pipe())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));

    let dir_validate = wait_or_kill(
        ccsim()
            .args(["validate", "scenarios/queue-happy-path.toml"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(closed_pipe())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    assert_eq!(
        dir_validate.status.code(),
        Some(0),
        "{}",
        stderr(&dir_validate)
    );
}

#[test]
fn files_read_whole_or_by_line_must_be_regular_and_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let zero = dir.path().join("zero.jsonl");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let o = output(ccsim().arg("replay").arg(&zero).args(["--target", "null"]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
    let o = output(ccsim().arg("validate").arg(&zero));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));

    let long = dir.path().join("long.toml");
    let f = std::fs::File::create(&long).unwrap();
    f.set_len(16 * 1024 * 1024 + 1).unwrap();
    let o = output(ccsim().arg("validate").arg(&long));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("larger than the limit of 16 MiB"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn replay_skips_a_cut_last_line_and_a_repeated_seq_counting_both() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("e.jsonl");
    let o = output(
        ccsim()
            .args([
                "run", "--speed", "max", "--seed", "2", "--target", "null", "--api", "off",
            ])
            .args(["--quiet", "--events-log"])
            .arg(&log),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let total = lines.len() as u64;
    // The first line again, then a last line cut in the middle.
    let mut cut = text.clone();
    cut.push_str(lines[0]);
    cut.push('\n');
    cut.push_str(&lines[1][..lines[1].len() / 2]);
    std::fs::write(&log, cut).unwrap();
    let report = dir.path().join("r.json");
    let o = output(
        ccsim()
            .arg("replay")
            .arg(&log)
            .args(["--target", "null", "--speed", "max", "--report"])
            .arg(&report),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("the last line is cut short"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("already on line 1"), "{}", stderr(&o));
    let r = json(&report).unwrap();
    assert_eq!(r["replay"]["truncated_lines"], 1);
    assert_eq!(r["replay"]["duplicate_seq"], 1);
    assert_eq!(r["events"]["emitted"].as_u64(), Some(total));
    assert!(
        stdout(&o)
            .contains("replay skipped 1 truncated line and 1 line with a seq already replayed"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn an_output_that_is_a_fifo_nobody_reads_is_refused_not_waited_on_forever() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("e.jsonl");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success(), "mkfifo");
    for flag in ["--events-log", "--report"] {
        let o = output(
            ccsim()
                .args([
                    "run", "--speed", "max", "--target", "null", "--api", "off", "-q",
                ])
                .arg(flag)
                .arg(&fifo),
        );
        assert_eq!(o.status.code(), Some(2), "{flag}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(flag) && stderr(&o).contains("nothing opened it for reading"),
            "{flag}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn an_events_log_that_takes_no_writes_holds_neither_the_run_nor_its_interrupt() {
    let dir = tempfile::tempdir().unwrap();
    let (fifo, report) = (dir.path().join("e.jsonl"), dir.path().join("r.json"));
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success(), "mkfifo");
    // A reader that never reads: once the pipe is full, every write blocks.
    let _reader = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&fifo)
        .unwrap();
    let mut child = ccsim()
        .args([
            "load",
            "--rate",
            "50/s",
            "--duration",
            "1h",
            "--agents",
            "500",
        ])
        .args([
            "--speed", "max", "--target", "null", "--api", "off", "--quiet",
        ])
        .args(["--report-interval", "100ms", "--events-log"])
        .arg(&fifo)
        .arg("--report")
        .arg(&report)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Snapshots go on while the log is stuck: far more events than the pipe holds.
    wait_until("a snapshot past the stuck log", || {
        json(&report).is_some_and(|v| v["events"]["emitted"].as_u64() > Some(2_000))
    });
    signal(&child, "INT");
    let o = wait_or_kill(child_take(&mut child));
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    assert!(stderr(&o).contains("took no writes"), "{}", stderr(&o));
    let r = json(&report).expect("the final report");
    assert_eq!(r["partial"], false);
    assert_eq!(r["interrupted"], true);
    assert!(r["output_errors"][0].as_str().is_some(), "{r}");
}
