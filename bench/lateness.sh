#!/usr/bin/env bash
# Send-time accuracy: real-time (`--speed 1`) delivery of about 10,000 events/s to nginx on
# loopback (2,000 conversations/s of about 5 events each; the second argument changes the
# conversation rate); prints the schedule lateness percentiles (target: p99 under 1 ms).
#   bash bench/lateness.sh [SECONDS] [CONVERSATIONS_PER_S]
source "$(dirname "$0")/common.sh"
SECS=${1:-30}
RATE=${2:-2000}
need_apt nginx curl
build_ccsim
start_nginx
"$CCSIM" load --api off --target "http://127.0.0.1:$NGINX_PORT/hook" --speed 1 --quiet --seed 1 \
  --rate "$RATE/s" --duration "${SECS}s" --agents $((RATE * 10 < 100000 ? RATE * 10 : 100000)) --handle-time 3s --handle-dist fixed --ring-time 2s \
  --concurrency 256 ${LATENESS_FLAGS:-} --report "$WORK/late.json" >/dev/null
python3 - "$WORK/late.json" "$SECS" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
secs = float(sys.argv[2])
l, t = r["schedule_lateness_ms"], r["throughput"]
n = r['events']['emitted']
print(f"events {n}: about {n/secs:.0f} events/s over the {secs:.0f} s of arrivals "
      f"({t['wall_s']:.1f} s wall with the calls still in progress after them)")
print(f"schedule lateness ms: p50 {l['p50']:.3f}  p90 {l['p90']:.3f}  p99 {l['p99']:.3f}  p99.9 {l['p999']:.3f}  max {l['max']:.3f}")
print(f"latency ms (from schedule): p50 {r['latency_ms']['p50']:.3f}  p99 {r['latency_ms']['p99']:.3f}")
PY
