#!/usr/bin/env bash
# How delivery throughput scales with cores, as far as this machine shows it: nginx (1
# worker) pinned to core 0, and ccsim (`load --speed max`, API on, concurrency 64) with
# `--threads 1`, with `--threads 2`, and as two shard processes (`--shard 0/2` and `1/2`,
# one thread each, started together; their events ÷ the pair's wall time), A/B/A/B. Also
# the same three against `--target null` (no network: the engine, the dispatcher and the
# record store alone). docs/performance.md reads the figures.
#   bash bench/scaling.sh [SECONDS] [ROUNDS]
source "$(dirname "$0")/common.sh"
SECS=${1:-5}
ROUNDS=${2:-2}
need_apt nginx curl util-linux time
build_ccsim
start_nginx
URL="http://127.0.0.1:$NGINX_PORT/hook"
NGINX_WORKER=$(pgrep -P "$(cat "$WORK/nginx/nginx.pid")" | head -1)
taskset -p -c 0 "$NGINX_WORKER" >/dev/null

# The workload makes about 5,000 events per simulated second: a run of about $SECS s at
# RATE_GUESS events/s.
RATE_GUESS=${RATE_GUESS:-60000}
SIM_S=$((SECS * RATE_GUESS / 5000))

# one TARGET THREADS [SHARD]: starts a run in the background, report in $WORK/r-$!.json.
one() {
  local k=${3:-} shard=()
  [[ -n $k ]] && shard=(--shard "$k")
  "$CCSIM" load --api 127.0.0.1:0 --target "$1" --threads "$2" --concurrency 64 "${shard[@]}" \
    "${WORKLOAD[@]}" --duration "${SIM_S}s" --report "$WORK/r-${k//\//-}.json" >/dev/null &
}
# run TARGET MODE: prints events/s of one mode (threads1, threads2, shards2).
run() {
  local t0 t1
  rm -f "$WORK"/r-*.json
  t0=$(date +%s.%N)
  case $2 in
    threads1) one "$1" 1 ;;
    threads2) one "$1" 2 ;;
    shards2) one "$1" 1 0/2; one "$1" 1 1/2 ;;
  esac
  wait
  t1=$(date +%s.%N)
  python3 - "$t0" "$t1" "$WORK"/r-*.json <<'PY'
import json, sys
t0, t1, files = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
reports = [json.load(open(f)) for f in files]
if len(reports) == 1:
    print(f"{reports[0]['throughput']['events_per_s']:.0f}")
else:
    # Together: every shard's events over the pair's wall time (start to last exit).
    print(f"{sum(r['events']['delivered'] for r in reports) / (t1 - t0):.0f}")
PY
}

: >"$WORK/scaling.tsv"
for ((round = 1; round <= ROUNDS; round++)); do
  for target in null "$URL"; do
    for mode in threads1 threads2 shards2; do
      log "round $round/$ROUNDS: $mode → $target"
      printf '%s\t%s\t%s\n' "$target" "$mode" "$(run "$target" "$mode")" >>"$WORK/scaling.tsv"
    done
  done
done
taskset -p -c "0-$(($(nproc) - 1))" "$NGINX_WORKER" >/dev/null

printf '\nevents/s, median (range) of %s rounds, %s cores; nginx pinned to core 0\n' "$ROUNDS" "$(nproc)"
python3 - "$WORK/scaling.tsv" <<'PY'
import sys, statistics as st
from collections import defaultdict
rows = defaultdict(list)
for line in open(sys.argv[1]):
    target, mode, rate = line.rstrip("\n").split("\t")
    rows[(target, mode)].append(float(rate))
names = {"threads1": "--threads 1", "threads2": "--threads 2", "shards2": "2 shard processes"}
for target in dict.fromkeys(t for t, _ in rows):
    print(f"--target {target}")
    base = st.median(rows[(target, "threads1")])
    for mode, name in names.items():
        r = rows[(target, mode)]
        print(f"  {name:20} {st.median(r):9.0f} ({min(r):.0f}–{max(r):.0f})  ×{st.median(r) / base:.2f}")
PY
