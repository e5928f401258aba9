//! The container image definition and the Kubernetes manifests (`docs/kubernetes.md`),
//! checked statically: there is no image registry or cluster here. The `Dockerfile` is
//! read for its build rules; every manifest under `deploy/kubernetes/` is validated
//! against the Kubernetes API schemas by PyPI's `kubernetes-validate`; the flags and
//! environment variables the Jobs give ccsim are checked against the binary's own
//! `--help`; and the files agree with each other (N, the uid, the report paths).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(root().join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

fn kube_dir() -> PathBuf {
    root().join("deploy/kubernetes")
}

// ---------------------------------------------------------------- the Dockerfile

/// The Dockerfile's instructions, continuation lines joined, comments dropped:
/// (INSTRUCTION, rest of the line).
fn dockerfile_instructions(text: &str) -> Vec<(String, String)> {
    let mut joined = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if current.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        if let Some(body) = trimmed.strip_suffix('\\') {
            current.push_str(body);
            current.push(' ');
        } else {
            current.push_str(trimmed);
            joined.push(std::mem::take(&mut current));
        }
    }
    joined
        .into_iter()
        .map(|l| {
            let (op, rest) = l.split_once(' ').unwrap_or((&l, ""));
            (op.to_ascii_uppercase(), rest.trim().to_owned())
        })
        .collect()
}

/// The stages of a Dockerfile: each starts at a FROM.
fn stages(instructions: &[(String, String)]) -> Vec<Vec<(String, String)>> {
    let mut out: Vec<Vec<(String, String)>> = Vec::new();
    for (op, rest) in instructions {
        if op == "FROM" {
            out.push(Vec::new());
        }
        if let Some(stage) = out.last_mut() {
            stage.push((op.clone(), rest.clone()));
        }
    }
    out
}

/// Why `text` is not a Dockerfile the project accepts (empty if it is).
fn dockerfile_problems(text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let all = dockerfile_instructions(text);
    let stages = stages(&all);
    if stages.len() < 2 {
        problems.push(format!("not multi-stage: {} FROM", stages.len()));
        return problems;
    }
    let builder = &stages[0];
    let from = &builder[0].1;
    if !(from.starts_with("rust:") && from.to_ascii_lowercase().contains(" as builder")) {
        problems.push(format!(
            "the first stage is not `FROM rust:… AS builder`: {from}"
        ));
    }
    let builds = builder
        .iter()
        .any(|(op, rest)| op == "RUN" && rest.contains("cargo build --release --locked"));
    if !builds {
        problems.push("no `RUN cargo build --release --locked` in the builder".to_owned());
    }
    let runtime = stages.last().unwrap();
    let base = &runtime[0].1;
    if !(base.contains("-slim") || base.starts_with("gcr.io/distroless/")) {
        problems.push(format!(
            "the runtime is neither slim nor distroless: {base}"
        ));
    }
    // The binary only: everything copied into the runtime comes from the builder.
    for (op, rest) in runtime {
        if (op == "COPY" || op == "ADD") && !rest.starts_with("--from=builder ") {
            problems.push(format!(
                "the runtime takes more than the binary: {op} {rest}"
            ));
        }
    }
    let user = runtime
        .iter()
        .rev()
        .find(|(op, _)| op == "USER")
        .map(|(_, rest)| rest.clone());
    match user {
        None => problems.push("the runtime has no USER: it would run as root".to_owned()),
        Some(u) => {
            let name = u.split(':').next().unwrap_or_default();
            if matches!(name, "" | "0" | "root") || name.parse::<u32>().is_err() {
                problems.push(format!(
                    "USER {u}: must be a numeric non-root uid (runAsNonRoot can only check a number)"
                ));
            }
        }
    }
    let entrypoint = runtime.iter().rev().find(|(op, _)| op == "ENTRYPOINT");
    if entrypoint.map(|(_, r)| r.as_str()) != Some(r#"["ccsim"]"#) {
        problems.push(format!(r#"ENTRYPOINT is not ["ccsim"]: {entrypoint:?}"#));
    }
    // No secret is baked into a layer or its history.
    for (op, rest) in &all {
        let upper = rest.to_ascii_uppercase();
        let names_secret = [
            "SECRET", "TOKEN", "PASSWORD", "PASSWD", "API_KEY", "PRIVATE",
        ]
        .iter()
        .any(|w| upper.contains(w));
        if (op == "ENV" || op == "ARG" || op == "LABEL") && names_secret {
            problems.push(format!("a secret-looking {op}: {rest}"));
        }
        if rest.contains("whsec_") || rest.contains("BEGIN ") {
            problems.push(format!("key material in {op}: {rest}"));
        }
    }
    problems
}

#[test]
fn the_dockerfile_is_multi_stage_locked_non_root_binary_only_and_secret_free() {
    let text = read("Dockerfile");
    let problems = dockerfile_problems(&text);
    assert!(problems.is_empty(), "Dockerfile: {problems:#?}");

    // The checker itself catches each rule broken (so a pass above means something).
    let broken = [
        (
            "FROM debian:${DEBIAN_RELEASE}-slim AS runtime",
            "FROM rust:${RUST_VERSION}-${DEBIAN_RELEASE} AS runtime",
        ),
        ("cargo build --release --locked", "cargo build --release"),
        ("USER 10001:10001", "USER root"),
        ("USER 10001:10001", "# no user"),
        ("ENTRYPOINT [\"ccsim\"]", "ENTRYPOINT [\"sh\"]"),
        ("WORKDIR /reports", "WORKDIR /reports\nCOPY . /app"),
        (
            "ARG RUST_VERSION=1",
            "ARG RUST_VERSION=1\nENV CCSIM_SECRET=x",
        ),
    ];
    for (from, to) in broken {
        assert!(text.contains(from), "the Dockerfile no longer has {from:?}");
        let mutated = text.replacen(from, to, 1);
        assert!(
            !dockerfile_problems(&mutated).is_empty(),
            "not caught: {from:?} -> {to:?}"
        );
    }
    let single_stage: String = text
        .lines()
        .skip_while(|l| !l.starts_with("FROM debian"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!dockerfile_problems(&single_stage).is_empty());
}

#[test]
fn the_dockerignore_keeps_the_build_context_small_and_free_of_keys() {
    let text = read(".dockerignore");
    let rules: BTreeSet<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    for needed in ["target/", ".git/", "**/.env", "**/*.pem", "**/*.key"] {
        assert!(rules.contains(needed), ".dockerignore lacks {needed}");
    }
    // What the build needs is not ignored: the sources and the files src/ embeds.
    for kept in ["src", "Cargo.toml", "Cargo.lock", "docs", "scenarios"] {
        assert!(
            !rules.iter().any(|r| r.trim_end_matches('/') == kept),
            ".dockerignore drops {kept}, which the build needs"
        );
    }
}

// ------------------------------------------------------- a little YAML, by hand

/// The lines of `text` as (indent, trimmed) pairs, blank lines and comments dropped.
fn yaml_lines(text: &str) -> Vec<(usize, &str)> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|l| (l.len() - l.trim_start().len(), l.trim()))
        .collect()
}

/// Every block list under a key `key:` (the manifests here write lists one item a line):
/// the items, a `|` block scalar item given as its text.
fn lists_under(text: &str, key: &str) -> Vec<Vec<String>> {
    let lines = yaml_lines(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (indent, line) = lines[i];
        i += 1;
        if line != format!("{key}:") && line != format!("- {key}:") {
            continue;
        }
        let key_indent = if line.starts_with("- ") {
            indent + 2
        } else {
            indent
        };
        let mut items = Vec::new();
        while i < lines.len() && lines[i].0 > key_indent && lines[i].1.starts_with("- ") {
            let item_indent = lines[i].0;
            let item = lines[i].1[2..].trim().to_owned();
            i += 1;
            if item == "|" {
                let mut block = String::new();
                while i < lines.len() && lines[i].0 > item_indent {
                    block.push_str(lines[i].1);
                    block.push('\n');
                    i += 1;
                }
                items.push(block);
            } else {
                // Items of a nested mapping (`- name: x` and its keys) are skipped whole.
                while i < lines.len() && lines[i].0 > item_indent {
                    i += 1;
                }
                items.push(item);
            }
        }
        out.push(items);
    }
    out
}

/// The one value of `key: value` in `text` (the first, unquoted).
fn scalar(text: &str, key: &str) -> Option<String> {
    yaml_lines(text).into_iter().find_map(|(_, l)| {
        let l = l.strip_prefix("- ").unwrap_or(l);
        let rest = l.strip_prefix(key)?.strip_prefix(':')?;
        let value = rest.split(" #").next().unwrap_or_default().trim();
        Some(value.trim_matches('"').to_owned())
    })
}

/// The literals of each `configMapGenerator` entry of the kustomization, by name.
fn generated_configmaps() -> BTreeMap<String, BTreeMap<String, String>> {
    let text = read("deploy/kubernetes/kustomization.yaml");
    let lines = yaml_lines(&text);
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut in_generator = false;
    for (indent, line) in lines {
        if indent == 0 {
            in_generator = line == "configMapGenerator:";
            current = None;
            continue;
        }
        if !in_generator {
            continue;
        }
        if let Some(name) = line.strip_prefix("- name: ") {
            current = Some(name.to_owned());
            out.entry(name.to_owned()).or_default();
        } else if let (Some(name), Some(literal)) = (&current, line.strip_prefix("- ")) {
            let (k, v) = literal
                .split_once('=')
                .unwrap_or_else(|| panic!("literal without '=': {literal}"));
            out.get_mut(name)
                .unwrap()
                .insert(k.to_owned(), v.to_owned());
        }
    }
    out
}

// ------------------------------------------- the manifests agree with each other

#[test]
fn n_is_set_once_and_every_file_agrees_with_it() {
    let maps = generated_configmaps();
    let workload = &maps["ccsim-workload"];
    let n = &workload["CCSIM_SHARD_COUNT"];
    let n: u32 = n.parse().unwrap();
    assert!(n >= 1);

    // The raw Job agrees (so `kubectl apply -f` without kustomize is consistent too) …
    let shards = read("deploy/kubernetes/shards-job.yaml");
    assert_eq!(
        scalar(&shards, "completionMode").as_deref(),
        Some("Indexed")
    );
    assert_eq!(scalar(&shards, "completions"), Some(n.to_string()));
    assert_eq!(scalar(&shards, "parallelism"), Some(n.to_string()));
    assert!(scalar(&shards, "backoffLimit").is_some());
    // … and kustomize copies N into both fields.
    let kustomization = read("deploy/kubernetes/kustomization.yaml");
    let replaced = lists_under(&kustomization, "fieldPaths").concat();
    for field in ["spec.completions", "spec.parallelism"] {
        assert!(replaced.iter().any(|f| f == field), "{field} not replaced");
    }
    assert!(kustomization.contains("fieldPath: data.CCSIM_SHARD_COUNT"));

    // Every shard reads N and its index; its report is named by its index.
    assert!(shards.contains("name: ccsim-workload"));
    assert!(
        shards.contains(
            "fieldPath: metadata.annotations['batch.kubernetes.io/job-completion-index']"
        )
    );
    assert!(shards.contains("/reports/shard-$(JOB_COMPLETION_INDEX).json"));
    // The merge reads the same N, waits for shard-0 … shard-(N-1), and gates.
    let merge = read("deploy/kubernetes/merge-job.yaml");
    assert!(merge.contains("key: CCSIM_SHARD_COUNT"));
    assert!(merge.contains("/reports/shard-$k.json"));
    assert!(merge.contains("-o /reports/merged.json"));
    assert!(
        merge.contains("exec ccsim \"$@\""),
        "the merge's exit code is the gate"
    );
    assert_eq!(scalar(&merge, "backoffLimit").as_deref(), Some("0"));
    assert!(
        scalar(&merge, "activeDeadlineSeconds").is_some(),
        "the wait is bounded"
    );

    // The shards report once, at the end, so a file on the volume is a finished report;
    // and they do not gate themselves (a breach would be retried, sending the load again).
    assert_eq!(workload["CCSIM_REPORT_INTERVAL"], "0s");
    assert_eq!(workload["CCSIM_MAX_FAILURE_RATE"], "1");
    assert!(
        workload.contains_key("CCSIM_SEED"),
        "one seed for all shards"
    );

    // Both Jobs run as the Dockerfile's user, non-root, on the same RWX volume.
    let dockerfile = read("Dockerfile");
    let uid = dockerfile
        .lines()
        .find_map(|l| l.strip_prefix("USER "))
        .and_then(|u| u.split(':').next())
        .unwrap()
        .to_owned();
    for job in [&shards, &merge] {
        assert_eq!(scalar(job, "runAsNonRoot").as_deref(), Some("true"));
        assert_eq!(scalar(job, "runAsUser"), Some(uid.clone()));
        assert_eq!(
            scalar(job, "allowPrivilegeEscalation").as_deref(),
            Some("false")
        );
        assert_eq!(scalar(job, "claimName").as_deref(), Some("ccsim-reports"));
        assert_eq!(scalar(job, "mountPath").as_deref(), Some("/reports"));
        assert!(job.contains("limits:") && job.contains("requests:"));
    }
    let pvc = read("deploy/kubernetes/reports-pvc.yaml");
    assert_eq!(lists_under(&pvc, "accessModes"), [vec!["ReadWriteMany"]]);
}

// ----------------------------------- the flags and variables exist in the binary

/// `ccsim <args> --help`: the long flags it defines and the environment variables it reads.
fn help_of(args: &[&str]) -> (BTreeSet<String>, BTreeSet<String>) {
    let out = Command::new(env!("CARGO_BIN_EXE_ccsim"))
        .args(args)
        .arg("--help")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "ccsim {args:?} --help");
    let text = String::from_utf8(out.stdout).unwrap();
    let mut flags = BTreeSet::new();
    for line in text.lines() {
        let line = line.trim_start();
        if !line.starts_with('-') {
            continue;
        }
        for word in line.split([' ', ',']) {
            if let Some(name) = word.strip_prefix("--") {
                flags.insert(format!("--{name}"));
                break;
            }
        }
    }
    let envs = text
        .split("[env: ")
        .skip(1)
        .map(|rest| rest.split(['=', ']']).next().unwrap().to_owned())
        .collect();
    (flags, envs)
}

/// The whole `--help` text of `ccsim <args>`.
fn help_text(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ccsim"))
        .args(args)
        .arg("--help")
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

/// The `--flags` of a list of arguments or of a shell script's words.
fn long_flags<'a>(words: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    words
        .into_iter()
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| w.split('=').next().unwrap().to_owned())
        .collect()
}

#[test]
fn the_jobs_give_ccsim_only_flags_and_variables_its_help_lists() {
    let shards = read("deploy/kubernetes/shards-job.yaml");
    let args = lists_under(&shards, "args");
    assert_eq!(args.len(), 1, "one container with args: {args:?}");
    let args = &args[0];
    let sub = args[0].as_str();
    assert!(matches!(sub, "load" | "run"), "shards run `{sub}`");
    let (flags, envs) = help_of(&[sub]);
    let used = long_flags(args.iter().map(String::as_str));
    assert!(used.contains(&"--report".to_owned()), "{used:?}");
    for flag in &used {
        assert!(flags.contains(flag), "ccsim {sub} has no {flag}");
    }
    // The workload ConfigMap's keys are the subcommand's environment variables.
    let maps = generated_configmaps();
    let workload = &maps["ccsim-workload"];
    assert!(workload.len() > 5, "{workload:?}");
    for key in workload.keys() {
        // The shard's variables are read beside --shard's own (its help names them).
        let shard_variable = ["CCSIM_SHARD_INDEX", "CCSIM_SHARD_COUNT"].contains(&key.as_str());
        assert!(
            envs.contains(key) || (shard_variable && help_text(&[sub]).contains(key.as_str())),
            "ccsim {sub} reads no {key}"
        );
        assert!(
            !workload[key].is_empty(),
            "{key}: ccsim refuses an empty value"
        );
    }

    // The merge script: `report merge` is not on this branch (skipped); the gate flags it
    // adds are `ccsim run`'s threshold flags, which `report merge` takes too.
    let merge = read("deploy/kubernetes/merge-job.yaml");
    let script = lists_under(&merge, "args").concat().concat();
    assert!(script.contains("set -- report merge $files -o /reports/merged.json"));
    let (run_flags, _) = help_of(&["run"]);
    let gates = long_flags(script.split_whitespace());
    assert!(gates.len() >= 3, "{gates:?}");
    for flag in &gates {
        assert!(run_flags.contains(flag), "ccsim run has no {flag}");
    }
    // Each gate comes from the gate ConfigMap, named after its flag.
    let gate = &maps["ccsim-gate"];
    for flag in &gates {
        let key = format!(
            "GATE_{}",
            flag.trim_start_matches("--")
                .replace('-', "_")
                .to_uppercase()
        );
        assert!(gate.contains_key(&key), "ccsim-gate lacks {key}");
        assert!(script.contains(&format!("\"${key}\"")), "{key} unused");
    }
}

// ------------------------------------------------- the Kubernetes API schemas

/// The `kubernetes-validate` command (program and leading arguments), found or installed
/// once per test process: on the PATH if there, else `python -m kubernetes_validate` in a
/// venv under `target/tmp/kubernetes-validate-venv` made with `python3 -m venv` and
/// `pip install kubernetes-validate` (PyPI; it bundles the API schemas of each Kubernetes
/// version). When neither works the check is skipped, and the skip is written straight
/// to the terminal (past the harness's capture) so `cargo test` shows it; under CI (`CI`
/// set) it fails instead.
fn kubernetes_validate() -> Option<Vec<String>> {
    static FOUND: std::sync::OnceLock<Result<Vec<String>, String>> = std::sync::OnceLock::new();
    match FOUND.get_or_init(find_or_install_kubernetes_validate) {
        Ok(command) => Some(command.clone()),
        Err(why) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but kubernetes-validate cannot be had: {why}"
            );
            // `eprintln!` would be captured and shown only on failure.
            let _ = writeln!(
                std::io::stderr(),
                "\nwarning: SKIPPED the Kubernetes schema validation of deploy/kubernetes: {why}\n\
                 (`pip install kubernetes-validate` puts it on the PATH)\n"
            );
            None
        }
    }
}

/// Whether `command --version` runs.
fn runs(command: &[String]) -> bool {
    Command::new(&command[0])
        .args(&command[1..])
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn find_or_install_kubernetes_validate() -> Result<Vec<String>, String> {
    let on_path = vec!["kubernetes-validate".to_owned()];
    if runs(&on_path) {
        return Ok(on_path);
    }
    let in_venv = |venv: &Path| {
        vec![
            venv.join("bin").join("python").display().to_string(),
            "-m".to_owned(),
            "kubernetes_validate".to_owned(),
        ]
    };
    let venv = crate::support::python_venv_with("kubernetes-validate-venv", "kubernetes-validate")?;
    if runs(&in_venv(&venv)) {
        Ok(in_venv(&venv))
    } else {
        Err(format!("{} cannot run kubernetes_validate", venv.display()))
    }
}

/// The Kubernetes versions validated against: the oldest still commonly run that has
/// everything the Jobs use (`podFailurePolicy` is on by default since 1.26, GA in 1.31),
/// and the newest the tool bundles (its default).
const KUBERNETES_VERSIONS: [Option<&str>; 2] = [Some("1.30"), None];

/// Runs `kubernetes-validate --strict` on `files` for each version; (success, output).
fn validate(tool: &[String], files: &[PathBuf]) -> Vec<(bool, String)> {
    KUBERNETES_VERSIONS
        .iter()
        .map(|version| {
            let mut command = Command::new(&tool[0]);
            command.args(&tool[1..]).arg("--strict");
            if let Some(v) = version {
                command.args(["--kubernetes-version", v]);
            }
            let out = command.args(files).stdin(Stdio::null()).output().unwrap();
            let text = format!(
                "{version:?}:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            (out.status.success(), text)
        })
        .collect()
}

/// The manifests under deploy/kubernetes (every `.yaml` but the kustomization, which is
/// kustomize's input, not an API object), plus the ConfigMaps its generator makes,
/// written out as kustomize would (without the name's hash suffix).
fn manifests(scratch: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(kube_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "yaml" || e == "yml")
                && p.file_name().is_some_and(|n| n != "kustomization.yaml")
        })
        .collect();
    files.sort();
    for (name, data) in generated_configmaps() {
        let mut text =
            format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n");
        for (k, v) in data {
            text.push_str(&format!("  {k}: {}\n", serde_json::Value::String(v)));
        }
        let path = scratch.join(format!("configmap-{name}.yaml"));
        std::fs::write(&path, text).unwrap();
        files.push(path);
    }
    files
}

#[test]
fn every_manifest_validates_against_the_kubernetes_schemas() {
    let Some(tool) = kubernetes_validate() else {
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    let files = manifests(scratch.path());
    assert!(files.len() >= 5, "{files:?}");
    for (ok, text) in validate(&tool, &files) {
        assert!(ok, "{text}");
        for file in &files {
            let name = file.file_name().unwrap().to_string_lossy();
            assert!(text.contains(&*name), "{name} not validated:\n{text}");
        }
    }

    // The validator does reject what the cluster would: a misspelt field (strict), a
    // wrong type, a missing required field.
    let shards = read("deploy/kubernetes/shards-job.yaml");
    let broken = [
        (
            "completionMode: Indexed",
            "completionMode: Indexed\n  completionz: 4",
        ),
        ("backoffLimit: 2", "backoffLimit: two"),
        (
            "        - name: ccsim\n          image: ccsim",
            "        - image: ccsim",
        ),
    ];
    for (from, to) in broken {
        assert!(
            shards.contains(from),
            "shards-job.yaml no longer has {from:?}"
        );
        let path = scratch.path().join("broken-job.yaml");
        std::fs::write(&path, shards.replacen(from, to, 1)).unwrap();
        for (ok, text) in validate(&tool, &[path]) {
            assert!(!ok, "not caught: {from:?} -> {to:?}\n{text}");
        }
    }
}
