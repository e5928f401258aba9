#!/usr/bin/env bash
# Checks `--html` pages in a real browser: renders reports of a `run`, a `load` with a
# breached threshold, and a page with a time series added, in headless Chromium (Debian's
# `chromium`, driven by npm's `playwright-core`), in light and dark mode and printed to A4;
# fails on a console error or warning, a network request, or a chart that did not draw.
# Saves a light-mode screenshot of the run report to docs/report-html.png.
#
# Usage: bench/html-check.sh      (from anywhere; builds the debug binary)
# Environment: CCSIM_BIN (use this binary), SCREENSHOT (default docs/report-html.png),
#              PLAYWRIGHT_VERSION (default 1.65.1), CHROMIUM (default /usr/bin/chromium).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d /tmp/ccsim-html-check.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
SCREENSHOT=${SCREENSHOT:-$ROOT/docs/report-html.png}
PLAYWRIGHT_VERSION=${PLAYWRIGHT_VERSION:-1.65.1}
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

log() { printf '== %s\n' "$*" >&2; }

missing=()
[[ -x $CHROMIUM ]] || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
  log "installing ${missing[*]} (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
log "installing playwright-core@$PLAYWRIGHT_VERSION (npm, into $WORK)"
(cd "$WORK" && npm install --silent --no-audit --no-fund "playwright-core@$PLAYWRIGHT_VERSION" >/dev/null)

if [[ -n ${CCSIM_BIN:-} ]]; then
  CCSIM=$CCSIM_BIN
else
  log "building ccsim (debug)"
  (cd "$ROOT" && cargo build --locked --quiet)
  CCSIM=$ROOT/target/debug/ccsim
fi

log "writing the pages"
# 30 s of real time, so the over-time charts have rows of their own.
"$CCSIM" load --rate 20/s --duration 30s --agents 400 --handle-time 10s --ring-time 2s \
  --speed 1 --target null --api off -q --seed 7 --html "$WORK/run.html"
# A threshold that cannot hold (exit 1) so the page shows a breach.
"$CCSIM" load --rate 1/s --duration 2m --agents 250 --speed max --target null --api off -q \
  --seed 7 --max-p99 1us --html "$WORK/load.html" || [[ $? == 1 ]]
# The same page with a synthetic per-second time series, to draw the over-time charts.
node - "$WORK/run.html" "$WORK/timeseries.html" <<'JS'
const fs = require("fs");
const [src, dst] = process.argv.slice(2);
const html = fs.readFileSync(src, "utf8");
const re = /(<script type="application\/json" id="report-data">)([\s\S]*?)(<\/script>)/;
const report = JSON.parse(html.match(re)[2]);
report.timeseries = { interval_s: 1, rows: Array.from({ length: 60 }, (_, t) => ({
  t_s: t, sent: 90 + (t % 7), delivered: 88 + (t % 5), failed: t % 11 === 0 ? 2 : 0,
  in_flight: 5 + (t % 4), p50_ms: 2 + Math.sin(t / 5), p99_ms: 9 + 3 * Math.sin(t / 7) })) };
const json = JSON.stringify(report).replace(/</g, "\\u003c");
fs.writeFileSync(dst, html.replace(re, (m, a, b, c) => a + json + c));
JS

log "rendering in $("$CHROMIUM" --version 2>/dev/null || echo chromium)"
(cd "$WORK" && node "$ROOT/bench/html-check.mjs" "$SCREENSHOT" run.html load.html timeseries.html)
