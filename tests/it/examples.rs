//! Every documented command runs as written: each `sh` block of `README.md` and `docs/*.md`
//! and each subcommand's `--help` examples, in order, in a scratch directory, with the real
//! binary. A block is a little session: `ccsim listen`, `ccsim serve`, `--api-linger` and
//! `… &` start in the background and are stopped with ctrl-c (SIGINT) at the block's end.
//!
//! What differs from a user's shell, and nothing else:
//! - the ports: `3000` (your receiver) is a `ccsim listen` the test runs; `8700` (the API)
//!   and `9000` (`ccsim listen`'s default) become free ports, also given to the commands
//!   that use those defaults (`CCSIM_API`, `CCSIM_LISTEN_ADDR`);
//! - the commands that simulate (`run`, `load`, `replay`, `serve`) run at `--speed max`;
//! - a server started on the address of one still running (alternative examples of
//!   `listen`) replaces it;
//! - `cargo run --release --` is the binary under test; `curl` is a plain GET made by the
//!   test, which must answer 200 with the platform's envelope (`"code":"000000"`), or for
//!   the test-control API (`/__ccsim/`) with a journal page or a found event; `cargo test` (this suite), `bench/` scripts (benchmarks), and `docker`/`kubectl`
//!   (no engine or cluster here; `tests/it/deploy.rs` checks `deploy/`) are not run.
//!
//! A command that sends must exit 0 with `result      ok`; every other command must exit 0
//! (servers after their ctrl-c), with the key line the table in [`expectation`] names.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Upper bound on any one command (a guard against hangs, not a performance bound).
const COMMAND_LIMIT: Duration = Duration::from_secs(180);

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A documented block of commands and where it is.
#[derive(Debug)]
struct Block {
    source: String,
    lines: Vec<String>,
}

/// The `sh` blocks of a markdown file.
fn markdown_blocks(path: &Path) -> Vec<Block> {
    let text = std::fs::read_to_string(path).unwrap();
    let rel = path.strip_prefix(repo()).unwrap().display().to_string();
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    for (i, line) in text.lines().enumerate() {
        let fence = line.trim_start().starts_with("```");
        match (&mut current, fence) {
            (None, true) if line.trim() == "```sh" => {
                current = Some(Block {
                    source: format!("{rel}:{}", i + 1),
                    lines: Vec::new(),
                });
            }
            (Some(_), true) => blocks.extend(current.take()),
            (Some(b), false) => b.lines.push(line.to_owned()),
            (None, _) => {}
        }
    }
    blocks
}

/// The examples block of `ccsim [sub] --help`.
fn help_block(sub: &str) -> Block {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ccsim"));
    cmd.args(sub.split_whitespace());
    let out = cmd.arg("--help").output().unwrap();
    assert!(out.status.success(), "ccsim {sub} --help");
    let text = String::from_utf8(out.stdout).unwrap();
    let examples = text
        .split_once("\nExamples:\n")
        .unwrap_or_else(|| panic!("`ccsim {sub} --help` has no examples"))
        .1;
    let lines = examples
        .lines()
        .take_while(|l| !l.is_empty())
        .map(|l| l.strip_prefix("  ").unwrap_or(l).to_owned())
        .collect();
    Block {
        source: format!("ccsim {sub} --help").replace("  ", " "),
        lines,
    }
}

/// Joins `\` continuations and drops comments and blank lines.
fn commands(block: &Block) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = String::new();
    for line in &block.lines {
        let line = strip_comment(line);
        if let Some(head) = line.trim_end().strip_suffix('\\') {
            pending.push_str(head.trim());
            pending.push(' ');
            continue;
        }
        pending.push_str(line.trim());
        let command = std::mem::take(&mut pending);
        let command = command.trim();
        if !command.is_empty() {
            out.push(command.to_owned());
        }
    }
    out
}

/// A line without its `# comment` (outside quotes).
fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') if prev.is_whitespace() => return &line[..i],
            _ => {}
        }
        prev = c;
    }
    line
}

/// How a command is run.
#[derive(Debug, PartialEq)]
enum Kind {
    /// Not run, with the reason.
    Skip(&'static str),
    /// A GET of this URL, like the `curl` line.
    Get(String),
    /// Sets a variable for the rest of the block.
    Export(String, String),
    /// Runs to its end.
    Foreground,
    /// Runs in the background until the block's end; ready when stderr shows this.
    Server(&'static str),
}

fn kind(command: &str) -> Kind {
    let sub = ccsim_subcommand(command);
    if command.starts_with("cargo test") {
        return Kind::Skip("the test suite itself");
    }
    if needs_a_cluster(command) {
        return Kind::Skip(
            "needs a container engine or a cluster (deploy/ is checked by tests/it/deploy.rs)",
        );
    }
    if command.starts_with("bench/") || command.starts_with("bash bench/") {
        return Kind::Skip("a benchmark (run by hand; it installs nginx, wrk and oha)");
    }
    if let Some(rest) = command.strip_prefix("export ") {
        let (k, v) = rest.split_once('=').unwrap();
        return Kind::Export(k.to_owned(), v.trim_matches(['"', '\'']).to_owned());
    }
    if command.starts_with("curl ") {
        let url = command
            .split_whitespace()
            .find_map(|w| {
                let w = w.trim_matches(['\'', '"']);
                w.starts_with("http://").then(|| w.to_owned())
            })
            .unwrap();
        return Kind::Get(url);
    }
    match sub.as_deref() {
        Some("listen") => Kind::Server("listening on"),
        Some("serve") => Kind::Server("fake platform API serving on"),
        _ if command.contains("--api-linger") => Kind::Server("fake platform API still serving"),
        _ if command.ends_with('&') => Kind::Server(""),
        _ => Kind::Foreground,
    }
}

/// Whether a command drives Docker or Kubernetes, which these machines do not have.
fn needs_a_cluster(command: &str) -> bool {
    command.starts_with("docker ") || command.contains("kubectl ")
}

/// The subcommand of a `ccsim` command line (after any `VAR=value` prefixes).
fn ccsim_subcommand(command: &str) -> Option<String> {
    let mut words = command
        .split_whitespace()
        .skip_while(|w| w.contains('=') && !w.starts_with('-'));
    (words.next() == Some("ccsim")).then(|| words.next().unwrap_or("").to_owned())
}

/// The key line a command's output must show (beyond exit 0).
fn expectation(command: &str) -> Option<&'static str> {
    match ccsim_subcommand(command).as_deref() {
        Some("run" | "load" | "replay") if !command.contains(" -q") => Some("result      ok"),
        Some("report") if !command.contains(" -q") => Some("result      ok"),
        Some("sign") => Some("Signature: "),
        Some("validate") => Some(": ok"),
        Some("listen") => Some("contract held"),
        _ => None,
    }
}

/// The command as the test runs it: its ports, `--speed max` for the commands that send,
/// the binary under test for `cargo run --release --`.
fn adapt(command: &str, ports: &BTreeMap<u16, u16>) -> String {
    let mut c = command
        .trim_end_matches('&')
        .trim()
        .replace("cargo run --release -- ", "ccsim ");
    for (from, to) in ports {
        c = c.replace(&format!("127.0.0.1:{from}"), &format!("127.0.0.1:{to}"));
    }
    if matches!(
        ccsim_subcommand(&c).as_deref(),
        Some("run" | "load" | "replay" | "serve")
    ) {
        let words: Vec<&str> = c.split(' ').collect();
        c = match words.iter().position(|w| *w == "--speed") {
            Some(i) => {
                let mut w = words.clone();
                w[i + 1] = "max";
                w.join(" ")
            }
            None => format!("{c} --speed max"),
        };
    }
    c
}

/// The address a server command listens on: `listen --addr`, `serve --api`, else the
/// default the environment gives.
fn server_addr(command: &str, env: &BTreeMap<String, String>) -> String {
    let (flag, var) = match ccsim_subcommand(command).as_deref() {
        Some("listen") => ("--addr", "CCSIM_LISTEN_ADDR"),
        _ => ("--api", "CCSIM_API"),
    };
    let words: Vec<&str> = command.split_whitespace().collect();
    words
        .iter()
        .position(|w| *w == flag)
        .and_then(|i| words.get(i + 1))
        .map_or_else(|| env[var].clone(), |w| (*w).to_owned())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A shell for one command: `exec`s it, so a signal reaches ccsim itself.
fn shell(command: &str, dir: &Path, env: &BTreeMap<String, String>) -> Command {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_ccsim"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let exec = if command.split_whitespace().next().unwrap().contains('=') {
        format!("exec env {command}")
    } else {
        format!("exec {command}")
    };
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(exec)
        .current_dir(dir)
        .env("PATH", path)
        .envs(env)
        .stdin(Stdio::null());
    cmd
}

fn wait_bounded(mut child: Child, what: &str) -> Output {
    let deadline = Instant::now() + COMMAND_LIMIT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what}: still running after {COMMAND_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// A server started in the background, its stderr collected into a file.
struct Server {
    command: String,
    child: Child,
    stderr: PathBuf,
    stdout: PathBuf,
}

impl Server {
    fn start(
        command: &str,
        ready: &str,
        dir: &Path,
        env: &BTreeMap<String, String>,
        n: usize,
    ) -> Self {
        let stderr = dir.join(format!("server-{n}.stderr"));
        let stdout = dir.join(format!("server-{n}.stdout"));
        let child = shell(command, dir, env)
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let server = Server {
            command: command.to_owned(),
            child,
            stderr,
            stdout,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let err = std::fs::read_to_string(&server.stderr).unwrap_or_default();
            if err.contains(ready) {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "{command}: never showed {ready:?}; stderr:\n{err}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Ctrl-c, then its exit status and output.
    fn stop(self) -> (Output, String) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let mut out = wait_bounded(self.child, &self.command);
        out.stdout = std::fs::read(&self.stdout).unwrap_or_default();
        out.stderr = std::fs::read(&self.stderr).unwrap_or_default();
        (out, self.command)
    }
}

fn get(url: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, answer)
}

fn check(command: &str, out: &Output, source: &str) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{source}: `{command}` exited {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status.code()
    );
    if let Some(line) = expectation(command) {
        assert!(
            stdout.contains(line) || stderr.contains(line),
            "{source}: `{command}` did not print {line:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
    }
}

/// Runs one block in its own scratch directory; returns the commands run.
fn run_block(block: &Block) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(repo().join("scenarios"), dir.path().join("scenarios")).unwrap();
    let receiver = free_port();
    let api = free_port();
    let listen = free_port();
    let ports = BTreeMap::from([(3000, receiver), (8700, api), (9000, listen)]);
    let mut env = BTreeMap::from([
        ("CCSIM_API".to_owned(), format!("127.0.0.1:{api}")),
        (
            "CCSIM_LISTEN_ADDR".to_owned(),
            format!("127.0.0.1:{listen}"),
        ),
    ]);
    let commands = commands(block);
    if commands.iter().any(|c| needs_a_cluster(c)) {
        // A session against a cluster: none of its lines means anything without one.
        eprintln!(
            "{}: not run: a session with Docker or Kubernetes (deploy/ is checked by tests/it/deploy.rs)",
            block.source
        );
        return Vec::new();
    }
    let mut servers = Vec::new();
    // Your receiver (port 3000 in the examples): a real `ccsim listen`, unless the block
    // starts it itself. It only stands in for yours: its contract verdict is not the
    // example's (a replay to it repeats what it saw, as a replay should).
    let yours = (!commands
        .iter()
        .any(|c| kind(c) == Kind::Server("listening on") && c.contains("127.0.0.1:3000")))
    .then(|| {
        Server::start(
            &format!("ccsim listen --addr 127.0.0.1:{receiver}"),
            "listening on",
            dir.path(),
            &env,
            usize::MAX,
        )
    });
    let mut ran = Vec::new();
    for command in commands {
        let adapted = adapt(&command, &ports);
        match kind(&command) {
            Kind::Skip(why) => {
                eprintln!("{}: not run: `{command}`: {why}", block.source);
                continue;
            }
            Kind::Export(k, v) => {
                env.insert(k, v);
            }
            Kind::Get(url) => {
                let expected: &[&str] = if url.contains("/__ccsim/") {
                    &["\"next_after\":", "\"timed_out\":false"]
                } else {
                    &["\"code\":\"000000\""]
                };
                // A server started just before (`ccsim serve … &`) announces itself before
                // its delivery has sent the scenario's first events, and a record shows
                // only once the event announcing it went out: what a reader typing the
                // next command would see, a moment later.
                let deadline = std::time::Instant::now() + Duration::from_secs(10);
                let (status, answer) = loop {
                    let (status, answer) = get(&adapt(&url, &ports));
                    let pending = answer.contains("\"code\":\"040501\"");
                    if !pending || std::time::Instant::now() > deadline {
                        break (status, answer);
                    }
                    std::thread::sleep(Duration::from_millis(20));
                };
                assert_eq!(status, 200, "{}: `{command}`:\n{answer}", block.source);
                assert!(
                    expected.iter().any(|e| answer.contains(e)),
                    "{}: `{command}`:\n{answer}",
                    block.source
                );
            }
            Kind::Foreground => {
                let child = shell(&adapted, dir.path(), &env)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                let out = wait_bounded(child, &adapted);
                check(&command, &out, &block.source);
            }
            Kind::Server(ready) => {
                let ready = if ready.is_empty() {
                    "fake platform API still serving"
                } else {
                    ready
                };
                let addr = server_addr(&adapted, &env);
                if let Some(i) = servers
                    .iter()
                    .position(|s: &Server| server_addr(&s.command, &env) == addr)
                {
                    let (out, command) = servers.remove(i).stop();
                    check(&command, &out, &block.source);
                }
                servers.push(Server::start(
                    &adapted,
                    ready,
                    dir.path(),
                    &env,
                    servers.len(),
                ));
            }
        }
        ran.push(command);
    }
    for server in servers.into_iter().rev() {
        let (out, command) = server.stop();
        check(&command, &out, &block.source);
    }
    if let Some(receiver) = yours {
        let (out, command) = receiver.stop();
        assert!(out.status.success(), "{command}: {out:?}");
    }
    ran
}

#[test]
fn every_documented_command_runs_as_written() {
    let mut blocks = Vec::new();
    let mut docs: Vec<PathBuf> = std::fs::read_dir(repo().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    docs.insert(0, repo().join("README.md"));
    for path in &docs {
        blocks.extend(markdown_blocks(path));
    }
    for sub in [
        "",
        "run",
        "load",
        "listen",
        "serve",
        "sign",
        "validate",
        "schema",
        "replay",
        "report merge",
    ] {
        blocks.push(help_block(sub));
    }
    let mut ran = 0;
    for block in &blocks {
        let commands = run_block(block);
        eprintln!("{}: ran {} command(s)", block.source, commands.len());
        ran += commands.len();
    }
    assert!(
        ran >= 40,
        "only {ran} documented commands found: is the extraction broken?"
    );
}

#[test]
fn commands_are_read_as_a_shell_reads_them() {
    let block = Block {
        source: "x".into(),
        lines: vec![
            "# a comment".into(),
            "ccsim run --target http://127.0.0.1:3000/hook \\".into(),
            "          --speed 60   # trailing comment".into(),
            "".into(),
            "CCSIM_SECRET=\"a # b\" ccsim run".into(),
        ],
    };
    assert_eq!(
        commands(&block),
        [
            "ccsim run --target http://127.0.0.1:3000/hook --speed 60",
            "CCSIM_SECRET=\"a # b\" ccsim run"
        ]
    );
    let ports = BTreeMap::from([(3000, 41000)]);
    assert_eq!(
        adapt(
            "ccsim run --target http://127.0.0.1:3000/hook --speed 60",
            &ports
        ),
        "ccsim run --target http://127.0.0.1:41000/hook --speed max"
    );
    assert_eq!(
        adapt("cargo run --release -- run", &ports),
        "ccsim run --speed max"
    );
    assert_eq!(
        kind("ccsim serve --api-auth &"),
        Kind::Server("fake platform API serving on")
    );
    assert_eq!(
        ccsim_subcommand("CCSIM_SECRET=x ccsim run").as_deref(),
        Some("run")
    );
}

#[test]
fn the_readme_sample_is_what_seed_1_prints() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let after = readme
        .split_once("reproduces this sample's counts exactly")
        .unwrap()
        .1;
    let sample = after.split("```\n").nth(1).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ccsim"))
        .args([
            "run",
            "--seed",
            "1",
            "--speed",
            "max",
            "--api",
            "127.0.0.1:0",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let printed = String::from_utf8(out.stdout).unwrap();
    // Timings, ports and the speed vary; every count and figure of the simulation does not.
    let varies = |l: &&str| {
        [
            "ccsim ",
            "target:",
            "api:",
            "latency ms",
            "service ms",
            "throughput",
        ]
        .iter()
        .any(|p| l.starts_with(p))
    };
    let lines = |t: &str| -> Vec<String> {
        t.trim_end()
            .lines()
            .filter(|l| !varies(l))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        lines(sample),
        lines(&printed),
        "README sample vs `ccsim run --seed 1`"
    );
}
