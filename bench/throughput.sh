#!/usr/bin/env bash
# Delivery throughput: ccsim (`load --speed max`) vs oha and wrk posting the same JSON body
# with the same concurrency to the same nginx on loopback, A/B/A/B in one run. ccsim runs
# as users run it, with the fake API on (the default: records kept and shown as events go
# out), and also with `--api off` and with a thread per core. Prints each figure, the
# ratios ccsim/oha and ccsim/wrk (target: ≥ 1.0 against oha), and the CPU time each tool
# spent per request (user + system, from /usr/bin/time), which shows efficiency even when
# the machine is noisy.
#   bash bench/throughput.sh [CONCURRENCY] [SECONDS]
source "$(dirname "$0")/common.sh"
CONC=${1:-64}
SECS=${2:-10}
need_apt wrk nginx curl time
need_oha
build_ccsim
start_nginx
URL="http://127.0.0.1:$NGINX_PORT/hook"

# oha and wrk post one body of the mean size of the bodies ccsim sends in this workload (a
# real `begin` payload, padded in user_data), measured from ccsim's own events log.
"$CCSIM" load --api off --target null "${WORKLOAD[@]}" --duration 20s \
  --events-log "$WORK/sizes.jsonl" >/dev/null
BODY=$(python3 - "$WORK/sizes.jsonl" <<'PY'
import json, sys
sizes = [len(json.dumps(json.loads(l)["payload"], separators=(",", ":"), ensure_ascii=False).encode())
         for l in open(sys.argv[1])]
mean = round(sum(sizes) / len(sizes))
body = lambda pad: json.dumps({"action": "event_notify", "event": "callcenter.conversation.begin",
    "id": "5f0c8e9a3b1d4e2f8a7c6b5d4e3f2a1b", "type": "queue", "user_data": "x" * pad},
    separators=(",", ":"))
print(body(max(0, mean - len(body(0)))))
PY
)
cat >"$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$BODY'
wrk.headers["Content-Type"] = "$CONTENT_TYPE"
wrk.headers["Accept"] = "text/plain;charset=utf-8"
LUA

# timed CMD…: runs CMD with its CPU time (user + system seconds) written to $WORK/cpu.
timed() { /usr/bin/time -f "%U %S" -o "$WORK/cpu" "$@"; }
# per_request N: CPU microseconds per request of the last timed run that made N requests.
per_request() { python3 -c "import sys; u,s=map(float,open(sys.argv[1]).read().split()); print(f'{(u+s)/float(sys.argv[2])*1e6:.2f}')" "$WORK/cpu" "$1"; }

# Each prints "RATE CPU_US_PER_REQUEST".
run_ccsim() { # $1: --api ADDR|off, $2: extra flags
  # Enough conversations for about $SECS seconds.
  timed "$CCSIM" load --api "$1" $2 --target "$URL" --concurrency "$CONC" "${WORKLOAD[@]}" \
    --duration "$((SECS * 40))s" --report "$WORK/ccsim.json" >/dev/null
  echo "$(json_get "$WORK/ccsim.json" "['throughput']['events_per_s']")" \
    "$(per_request "$(json_get "$WORK/ccsim.json" "['events']['delivered']")")"
}
run_oha() {
  timed "$OHA" -z "${SECS}s" -c "$CONC" -m POST -H "Content-Type: $CONTENT_TYPE" -d "$BODY" \
    --no-tui --output-format json "$URL" >"$WORK/oha.json" 2>/dev/null
  echo "$(json_get "$WORK/oha.json" "['summary']['requestsPerSec']")" \
    "$(per_request "$(json_get "$WORK/oha.json" "['statusCodeDistribution']['200']")")"
}
run_wrk() {
  timed wrk -t2 -c"$CONC" -d"${SECS}s" -s "$WORK/post.lua" "$URL" >"$WORK/wrk.txt"
  echo "$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")" \
    "$(per_request "$(awk '/requests in/ {print $1}' "$WORK/wrk.txt")")"
}

# The default runtime is one thread; also measured with a thread per core.
CORES=$(nproc)
declare -a C C0 C1 O W
for round in 1 2; do
  # The API on a free port: the default configuration, minus the fixed port.
  log "round $round: ccsim"; C+=("$(run_ccsim 127.0.0.1:0 "")")
  log "round $round: ccsim --api off"; C0+=("$(run_ccsim off "")")
  log "round $round: ccsim --threads $CORES"; C1+=("$(run_ccsim 127.0.0.1:0 "--threads $CORES")")
  log "round $round: oha";   O+=("$(run_oha)")
  log "round $round: wrk";   W+=("$(run_wrk)")
done
best() { printf '%s\n' "$@" | sort -g | tail -1 | cut -d' ' -f1; }
cpu() { printf '%s\n' "$@" | cut -d' ' -f2 | paste -sd' '; }
rates() { printf '%s\n' "$@" | cut -d' ' -f1 | xargs printf '%.0f '; }
c=$(best "${C[@]}"); c0=$(best "${C0[@]}"); c1=$(best "${C1[@]}"); o=$(best "${O[@]}"); w=$(best "${W[@]}")
printf '\nconcurrency %s, %s s per run, nginx 1 worker, oha/wrk body %s bytes (ccsim'"'"'s mean), %s cores\n' \
  "$CONC" "$SECS" "${#BODY}" "$CORES"
printf '%-20s %-24s %s\n' "" "per second" "CPU µs per request"
printf '%-20s %-24s %s\n' "ccsim (default)" "$(rates "${C[@]}")" "$(cpu "${C[@]}")"
printf '%-20s %-24s %s\n' "ccsim --api off" "$(rates "${C0[@]}")" "$(cpu "${C0[@]}")"
printf '%-20s %-24s %s\n' "ccsim --threads $CORES" "$(rates "${C1[@]}")" "$(cpu "${C1[@]}")"
printf '%-20s %-24s %s\n' "oha" "$(rates "${O[@]}")" "$(cpu "${O[@]}")"
printf '%-20s %-24s %s\n' "wrk" "$(rates "${W[@]}")" "$(cpu "${W[@]}")"
printf 'best: ccsim %.0f (--api off: %.0f, --threads %s: %.0f)  oha %.0f  wrk %.0f\n' \
  "$c" "$c0" "$CORES" "$c1" "$o" "$w"
printf 'ratios: ccsim/oha %s (--api off: %s, --threads %s: %s)   ccsim/wrk %s (--api off: %s)\n' \
  "$(ratio "$c" "$o")" "$(ratio "$c0" "$o")" "$CORES" "$(ratio "$c1" "$o")" "$(ratio "$c" "$w")" "$(ratio "$c0" "$w")"
