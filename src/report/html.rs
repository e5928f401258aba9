//! `--html FILE.html`: the final report as one self-contained page. The page embeds the
//! report's JSON, the vendored uPlot charting library (v1.6.32, MIT, from npm; licence in
//! `assets/uPlot.LICENSE`) and a small script (`assets/report.js`) that draws the charts
//! from that JSON, so it opens with no network. See `docs/report.md`.

use serde::Serialize;

/// uPlot 1.6.32 (`dist/uPlot.iife.min.js` of the npm package `uplot`).
const UPLOT_JS: &str = include_str!("assets/uPlot.iife.min.js");
/// uPlot 1.6.32's stylesheet (`dist/uPlot.min.css`).
const UPLOT_CSS: &str = include_str!("assets/uPlot.min.css");
/// uPlot's MIT licence, which must travel with every copy.
const UPLOT_LICENSE: &str = include_str!("assets/uPlot.LICENSE");
/// The page's own stylesheet: light and dark colours, A4 print.
const PAGE_CSS: &str = include_str!("assets/report.css");
/// The page's own script: reads the embedded report and draws the sections.
const PAGE_JS: &str = include_str!("assets/report.js");

/// The HTML page for `report` (the final report, or any report-shaped JSON value).
pub fn page<T: Serialize + ?Sized>(report: &T) -> Result<String, serde_json::Error> {
    let json = embeddable_json(&serde_json::to_string(report)?);
    let license = UPLOT_LICENSE.replace("--", "- -");
    Ok(format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n<title>ccsim report</title>\n\
         <!-- Charts by uPlot v1.6.32, https://github.com/leeoniya/uPlot\n{license}-->\n\
         <style>{UPLOT_CSS}</style>\n<style>{PAGE_CSS}</style>\n</head>\n<body>\n\
         <main id=\"report\"><noscript>This report draws its charts with JavaScript; \
         the data is in the JSON block of this file.</noscript></main>\n\
         <script type=\"application/json\" id=\"report-data\">{json}</script>\n\
         <script>{UPLOT_JS}</script>\n<script>{PAGE_JS}</script>\n</body>\n</html>\n"
    ))
}

/// `json` made safe inside a `<script>` element: every `<` (which JSON has only inside
/// strings) becomes `\u003c`, so no `</script>` or `<!--` can end or change the block.
fn embeddable_json(json: &str) -> String {
    json.replace('<', "\\u003c")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> serde_json::Value {
        serde_json::json!({
            "ccsim_version": "0.1.0",
            "seed": 42,
            "target": "</script><script>alert(1)</script> <!-- x",
            "latency_ms": {"p50": 1.5, "p99": 9.0},
        })
    }

    #[test]
    fn the_page_embeds_the_report_json_and_the_library() {
        let html = page(&sample()).unwrap();
        let start = html.find("id=\"report-data\">").unwrap() + "id=\"report-data\">".len();
        let end = start + html[start..].find("</script>").unwrap();
        let back: serde_json::Value = serde_json::from_str(&html[start..end]).unwrap();
        assert_eq!(
            back,
            sample(),
            "the embedded JSON parses back to the report"
        );
        assert!(
            html.contains("leeoniya/uPlot (v1.6.32)"),
            "uPlot is inlined"
        );
        assert!(
            html.contains("Permission is hereby granted"),
            "with its licence"
        );
        assert!(html.contains(PAGE_JS) && html.contains(PAGE_CSS));
    }

    #[test]
    fn a_string_in_the_report_cannot_close_the_script_block() {
        let html = page(&sample()).unwrap();
        assert!(!html.contains("</script><script>alert"), "{html:.200}");
        assert!(!html.contains("<!-- x"));
        // The vendored code itself has nothing that would end its element early.
        assert!(!UPLOT_JS.contains("</script") && !PAGE_JS.contains("</script"));
        assert!(!UPLOT_CSS.contains("</style") && !PAGE_CSS.contains("</style"));
    }

    #[test]
    fn the_page_loads_nothing_from_the_network() {
        let html = page(&sample()).unwrap().to_ascii_lowercase();
        for attr in ["src=", "href=", "url("] {
            for quote in ["", "\"", "'"] {
                for scheme in ["http:", "https:", "//"] {
                    let needle = format!("{attr}{quote}{scheme}");
                    assert!(!html.contains(&needle), "found {needle}");
                }
            }
        }
        assert!(!html.contains("@import"));
    }
}
