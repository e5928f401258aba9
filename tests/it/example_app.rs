//! The worked example an integrator copies (`examples/callcenter-app/`): its own
//! end-to-end suite, run with python3 against the binary under test. It starts
//! `ccsim serve --clock manual --control`, sets the platform up through the API, places a
//! `call_out`, invites a second agent, dismisses, and asserts the exact webhooks its
//! receiver got (see `docs/control.md`, "Walkthrough").

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Upper bound on the whole suite (a guard against hangs, not a performance bound; the
/// suite bounds each of its own waits too).
const SUITE_LIMIT: Duration = Duration::from_secs(300);

#[test]
fn the_example_application_passes_its_end_to_end_suite() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/callcenter-app");
    let mut child = Command::new("python3")
        .arg(dir.join("test_e2e.py"))
        .current_dir(&dir)
        .env("CCSIM_BIN", env!("CARGO_BIN_EXE_ccsim"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run python3 (the example's suite needs it): {e}"));
    let deadline = Instant::now() + SUITE_LIMIT;
    let mut killed = false;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            killed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let shown = format!(
        "python3 examples/callcenter-app/test_e2e.py: {}{}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        if killed {
            " (killed: it outlived the limit)"
        } else {
            ""
        },
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{shown}");
}
