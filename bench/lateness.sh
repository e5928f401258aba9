#!/usr/bin/env bash
# Send-time accuracy: real-time (`--speed 1`) delivery of about 10,000 events/s to nginx on
# loopback (stock keep-alive settings; 2,000 conversations/s of about 5 events each; the
# second argument changes the conversation rate). Prints the schedule lateness percentiles
# (p50 … p99.9, max) and CPU time of four runs: as users run it
# (the fake API on), with `--api off`, with `--busy-wait` (the core never sleeps), and with
# the API on and ccsim pinned to one core and nginx to the other (`taskset`), which shows
# how much of the tail is the receiver and ccsim pre-empting each other on a small machine.
# Then the machine's own floor: a C program (bench/floor/wakeups.c) that only sleeps until
# each tick at the same rate, and the same spinning. With PERF_SCHED=1 the pinned run is
# repeated under `perf sched record` and the whole machine's busiest tasks and ccsim's
# scheduling delays (time runnable but waiting for a core) are printed.
#   bash bench/lateness.sh [SECONDS] [CONVERSATIONS_PER_S]
source "$(dirname "$0")/common.sh"
SECS=${1:-30}
RATE=${2:-2000}
need_apt nginx curl util-linux gcc time
build_ccsim
gcc -O2 -o "$WORK/wakeups" "$BENCH_DIR/floor/wakeups.c"
start_nginx
NGINX_WORKER=$(pgrep -P "$(cat "$WORK/nginx/nginx.pid")" | head -1)
CORES=$(nproc)

# late NAME [PREFIX…] -- FLAGS…: one real-time run, its figures printed on two lines.
late() {
  local name=$1; shift
  local prefix=()
  while [[ $1 != -- ]]; do prefix+=("$1"); shift; done
  shift
  "${prefix[@]}" /usr/bin/time -f "%U %S" -o "$WORK/late.cpu" "$CCSIM" load --target "http://127.0.0.1:$NGINX_PORT/hook" --speed 1 --quiet \
    --seed 1 --rate "$RATE/s" --duration "${SECS}s" \
    --agents $((RATE * 10 < 100000 ? RATE * 10 : 100000)) --handle-time 3s --handle-dist fixed \
    --ring-time 2s --concurrency 256 ${LATENESS_FLAGS:-} --report "$WORK/late.json" "$@" >/dev/null
  python3 - "$WORK/late.json" "$SECS" "$name" "$WORK/late.cpu" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
secs = float(sys.argv[2])
l, t = r["schedule_lateness_ms"], r["throughput"]
n = r['events']['emitted']
cpu = sum(float(x) for x in open(sys.argv[4]).read().split())
print(f"{sys.argv[3]}: {n} events, about {n/secs:.0f}/s over the {secs:.0f} s of arrivals "
      f"({t['wall_s']:.1f} s wall with the calls still in progress after them)")
print(f"  schedule lateness ms: p50 {l['p50']:.3f}  p90 {l['p90']:.3f}  p99 {l['p99']:.3f}  "
      f"p99.9 {l['p999']:.3f}  max {l['max']:.3f}")
print(f"  latency ms (from schedule): p50 {r['latency_ms']['p50']:.3f}  p99 {r['latency_ms']['p99']:.3f}"
      f"  ·  ccsim CPU {cpu:.1f} s")
PY
}

# floor NAME [spin]: the wake-up program at ccsim's mean event rate (about 5 events per
# conversation) for the same seconds.
floor() {
  local name=$1; shift
  local period=$((1000000 / (RATE * 5))); ((period > 0)) || period=1
  local line; line=$("$WORK/wakeups" "$SECS" "$period" "$@")
  echo "$name, a wake-up every $period µs:"
  echo "  lateness ms: $line"
}

late "API on (the default)" -- --api 127.0.0.1:0
late "--api off" -- --api off
late "API on, --busy-wait" -- --api 127.0.0.1:0 --busy-wait
if ((CORES >= 2)); then
  # nginx's worker on core 0, ccsim (every thread) on core 1.
  taskset -p -c 0 "$NGINX_WORKER" >/dev/null
  late "API on, ccsim pinned to core 1, nginx to core 0" taskset -c 1 -- --api 127.0.0.1:0
  if [[ ${PERF_SCHED:-0} == 1 ]]; then
    need_apt linux-perf
    late "API on, pinned, under perf sched record" \
      perf sched record -q -o "$WORK/sched.data" taskset -c 1 -- --api 127.0.0.1:0
    # The whole machine was recorded: who ran most, and how long ccsim waited for a core.
    log "perf sched latency of the pinned run: the busiest tasks, then ccsim's threads"
    perf sched latency -i "$WORK/sched.data" -s runtime 2>/dev/null | grep '|' | head -9
    me=$(basename "$CCSIM" | cut -c1-15)
    perf sched latency -i "$WORK/sched.data" -s max 2>/dev/null | grep -E "^ *($me|ccsim-api|nginx)" | head -5
  fi
  taskset -p -c "0-$((CORES - 1))" "$NGINX_WORKER" >/dev/null
fi
floor "the machine's floor: a program that only sleeps until each tick"
floor "the same program spinning until each tick" spin
