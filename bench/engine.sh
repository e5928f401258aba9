#!/usr/bin/env bash
# Engine speed and memory: 1,000,000 simulated calls through `ccsim load --speed max
# --target null` (events built, records kept for the fake API, nothing sent); prints calls/s, events/s and
# peak RSS, and the peak RSS at 100,000 calls for comparison (target: 1M in under a minute,
# flat memory).
#   bash bench/engine.sh
source "$(dirname "$0")/common.sh"
build_ccsim
run() { # $1 = simulated seconds at 1000 calls/s
  /usr/bin/time -f "%M" -o "$WORK/rss" "$CCSIM" load --api 127.0.0.1:0 --target null "${WORKLOAD[@]}" \
    --duration "$1s" --report "$WORK/r.json" >/dev/null
  local calls wall events rss
  calls=$(json_get "$WORK/r.json" "['conversations']['offered']")
  wall=$(json_get "$WORK/r.json" "['throughput']['wall_s']")
  events=$(json_get "$WORK/r.json" "['events']['emitted']")
  rss=$(tail -1 "$WORK/rss")
  python3 -c "import sys; c,w,e,r=map(float,sys.argv[1:]); print(f'{int(c):>8} calls in {w:6.2f}s: {c/w:9.0f} calls/s {e/w:10.0f} events/s  peak RSS {r/1024:6.1f} MB')" "$calls" "$wall" "$events" "$rss" >&2
  echo "$rss"
}
r100k=$(run 100)
r1m=$(run 1000)
printf 'peak RSS 1M / 100k: %s\n' "$(ratio "$r1m" "$r100k")"
