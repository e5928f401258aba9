//! `--html FILE.html`: the real binary writes one self-contained page embedding the final
//! report, and refuses an `--html` that is another output.

use crate::binary::ccsim;

/// The JSON block of a page.
fn embedded_report(html: &str) -> serde_json::Value {
    let open = "<script type=\"application/json\" id=\"report-data\">";
    let start = html.find(open).expect("report block") + open.len();
    let end = start + html[start..].find("</script>").expect("end of block");
    serde_json::from_str(&html[start..end]).expect("embedded JSON")
}

#[test]
fn a_run_writes_a_self_contained_html_page_beside_its_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (html, report) = (dir.path().join("x.html"), dir.path().join("r.json"));
    let o = ccsim(&[
        "run",
        "--speed",
        "max",
        "--target",
        "null",
        "--api",
        "off",
        "-q",
        "--seed",
        "3",
        "--html",
        html.to_str().expect("utf-8"),
        "--report",
        report.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let page = std::fs::read_to_string(&html).expect("the page");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).expect("report")).expect("json");
    assert_eq!(
        embedded_report(&page),
        json,
        "the page embeds the final report"
    );
    assert_eq!(json["partial"], false);
    assert!(page.contains("uPlot"), "the charting library is inlined");
    let lower = page.to_ascii_lowercase();
    for needle in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
        assert!(!lower.contains(needle), "network reference {needle}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .filter(|n| n.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn html_may_not_be_the_report_or_the_events_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let x = dir.path().join("x.html");
    let x = x.to_str().expect("utf-8");
    for other in ["--report", "--events-log"] {
        let o = ccsim(&[
            "run", "--speed", "max", "--target", "null", "--api", "off", "-q", "--html", x, other,
            x,
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{other}: {err}");
        assert!(err.contains("--html") && err.contains(other), "{err}");
        assert!(!dir.path().join("x.html").exists(), "nothing written");
    }
}

#[test]
fn an_html_path_that_cannot_be_written_fails_at_start_naming_the_flag() {
    let o = ccsim(&[
        "run",
        "--speed",
        "max",
        "--target",
        "null",
        "--api",
        "off",
        "-q",
        "--html",
        "/nonexistent-dir/x.html",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--html: cannot write /nonexistent-dir/x.html"),
        "{err}"
    );
}
