#!/usr/bin/env bash
# Delivery throughput: ccsim (`load --speed max`) as users run it (the fake API on, the
# default), and with `--api off`, against oha and wrk posting a body of ccsim's mean body
# size with the same concurrency to the same nginx (1 worker) on loopback: nginx with its
# stock keep-alive settings (it closes a connection after 1000 requests) and with
# keep-alive unlimited, at each concurrency. The tools take turns (A/B/A/B: every round
# runs each tool once per concurrency and receiver, in a rotated order), so a slow spell
# of the shared machine hits all of them. Prints, per concurrency and receiver, each
# tool's median rate with its range over the rounds, its CPU time per request (user +
# system of its process, from /usr/bin/time, ÷ requests: efficiency even when the machine
# is noisy), the receiver's CPU time per request (nginx's worker, from /proc), the rate the
# two CPU figures allow when client and receiver keep the cores busy (cores ÷ their sum),
# and the ratios ccsim/oha and ccsim/wrk of the medians.
#   bash bench/throughput.sh [CONCURRENCIES] [SECONDS] [ROUNDS]
#   e.g. bash bench/throughput.sh "16 64 256" 5 2   (the default: 6–8 minutes)
# Each tool runs with its own defaults otherwise: wrk's 2 threads, oha's thread per core,
# ccsim's 1 thread (`--threads` adds a thread per core: see bench/scaling.sh). With
# CCSIM_BASE=/path/to/ccsim another build runs in the same rounds (API on), for an A/B.
source "$(dirname "$0")/common.sh"
read -r -a CONCS <<<"${1:-16 64 256}"
SECS=${2:-5}
ROUNDS=${3:-2}
need_apt wrk nginx curl time
need_oha
build_ccsim
start_nginx
declare -A PORT=([stock]=$NGINX_PORT [unlimited]=$NGINX_UNLIMITED_PORT)

# oha and wrk post one body of the mean size of the bodies ccsim sends in this workload (a
# real `begin` payload, padded in user_data), measured from ccsim's own events log; the
# same run tells how many events a simulated second makes, to size ccsim's runs.
SIZE_SIM_S=20
"$CCSIM" load --api off --target null "${WORKLOAD[@]}" --duration "${SIZE_SIM_S}s" \
  --events-log "$WORK/sizes.jsonl" >/dev/null
EVENTS_PER_SIM_S=$(($(wc -l <"$WORK/sizes.jsonl") / SIZE_SIM_S))
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
# per_request N: CPU microseconds per request of the last timed run that made N requests
# (N is kept in $WORK/requests for the receiver's figure).
per_request() {
  echo "$1" >"$WORK/requests"
  python3 -c "import sys; u,s=map(float,open(sys.argv[1]).read().split()); print(f'{(u+s)/float(sys.argv[2])*1e6:.2f}')" "$WORK/cpu" "$1"
}
# The receiver's CPU time (nginx's worker, user + system, in clock ticks) so far.
NGINX_WORKER=$(pgrep -P "$(cat "$WORK/nginx/nginx.pid")" | head -1)
TICK_US=$((1000000 / $(getconf CLK_TCK)))
receiver_ticks() { awk '{print $14 + $15}' "/proc/$NGINX_WORKER/stat"; }

# A ccsim run is a simulated duration, sized to take about $SECS seconds at the rate the
# last ccsim run reached at the same concurrency and receiver (at first CCSIM_GUESS
# events/s).
declare -A RATE_SEEN=()
# run_ccsim BIN CONCURRENCY URL API
run_ccsim() {
  local rate=${RATE_SEEN[$2 $3]:-${CCSIM_GUESS:-60000}}
  local sim_s=$(((SECS * ${rate%.*} + EVENTS_PER_SIM_S - 1) / EVENTS_PER_SIM_S))
  timed "$1" load --api "$4" --target "$3" --concurrency "$2" "${WORKLOAD[@]}" \
    --duration "${sim_s}s" --report "$WORK/ccsim.json" >/dev/null
  rate=$(json_get "$WORK/ccsim.json" "['throughput']['events_per_s']")
  echo "$rate" "$(per_request "$(json_get "$WORK/ccsim.json" "['events']['delivered']")")"
}
# Each prints "RATE CPU_US_PER_REQUEST"; $1 is the concurrency, $2 the URL.
run_api_on() { run_ccsim "$CCSIM" "$1" "$2" 127.0.0.1:0; } # the default, minus the fixed port
run_api_off() { run_ccsim "$CCSIM" "$1" "$2" off; }
# CCSIM_BASE: another build (e.g. the previous commit's), API on, in the same rounds (A/B).
run_base_on() { run_ccsim "$CCSIM_BASE" "$1" "$2" 127.0.0.1:0; }
run_oha() {
  timed "$OHA" -z "${SECS}s" -c "$1" -m POST -H "Content-Type: $CONTENT_TYPE" -d "$BODY" \
    --no-tui --output-format json "$2" >"$WORK/oha.json" 2>/dev/null
  echo "$(json_get "$WORK/oha.json" "['summary']['requestsPerSec']")" \
    "$(per_request "$(json_get "$WORK/oha.json" "['statusCodeDistribution']['200']")")"
}
run_wrk() {
  timed wrk -c"$1" -d"${SECS}s" -s "$WORK/post.lua" "$2" >"$WORK/wrk.txt"
  echo "$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")" \
    "$(per_request "$(awk '/requests in/ {print $1}' "$WORK/wrk.txt")")"
}

TOOLS=(api_on api_off oha wrk)
[[ -n ${CCSIM_BASE:-} ]] && TOOLS+=(base_on)
: >"$WORK/results.tsv"
for ((round = 1; round <= ROUNDS; round++)); do
  for conc in "${CONCS[@]}"; do
    for recv in stock unlimited; do
      # Rotate the order each round: no tool always runs right after another.
      n=${#TOOLS[@]}
      for ((i = 0; i < n; i++)); do
        tool=${TOOLS[$(((i + round - 1) % n))]}
        log "round $round/$ROUNDS: concurrency $conc, nginx $recv keep-alive: $tool"
        url="http://127.0.0.1:${PORT[$recv]}/hook"
        before=$(receiver_ticks)
        got=$("run_$tool" "$conc" "$url")
        # The receiver's CPU per request of this run, in µs.
        receiver=$(python3 -c "import sys; print(f'{int(sys.argv[1]) * int(sys.argv[2]) / int(sys.argv[3]):.2f}')" \
          "$(($(receiver_ticks) - before))" "$TICK_US" "$(cat "$WORK/requests")")
        [[ $tool == api_* ]] && RATE_SEEN["$conc $url"]=${got%% *}
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$conc" "$recv" "$tool" "${got/ /$'\t'}" \
          "$receiver" >>"$WORK/results.tsv"
      done
    done
  done
done

printf '\n%s s per run, %s rounds, nginx 1 worker, oha/wrk body %s bytes (ccsim'"'"'s mean), %s cores, raw figures in %s\n' \
  "$SECS" "$ROUNDS" "${#BODY}" "$(nproc)" "$WORK/results.tsv"
python3 - "$WORK/results.tsv" "$(nproc)" <<'PY'
import sys, statistics as st
from collections import defaultdict
rows = defaultdict(list)
for line in open(sys.argv[1]):
    _, conc, recv, tool, rate, cpu, receiver = line.split("\t")
    rows[(int(conc), recv, tool)].append((float(rate), float(cpu), float(receiver)))
cores = int(sys.argv[2])
names = {"api_on": "ccsim (API on)", "api_off": "ccsim --api off", "base_on": "CCSIM_BASE (API on)",
         "oha": "oha", "wrk": "wrk"}
med = lambda k, i: st.median(r[i] for r in rows[k])
# When the client and the receiver share the machine's cores and keep them busy, the rate is
# about cores ÷ (the client's + the receiver's CPU per request): the last column, beside the
# measured rate, says how far CPU per request explains it.
bound = lambda k: cores * 1e6 / (med(k, 1) + med(k, 2))
print(f"{'':32} {'median/s':>9} {'range/s':>16} {'client µs/req':>14} {'nginx µs/req':>13} "
      f"{'CPU-bound/s':>12}")
for conc, recv in sorted({(c, r) for c, r, _ in rows}, key=lambda x: (x[0], x[1] != "stock")):
    print(f"concurrency {conc}, nginx {recv} keep-alive")
    for tool, name in names.items():
        k = (conc, recv, tool)
        if not rows[k]:
            continue
        rates = [r for r, _, _ in rows[k]]
        print(f"  {name:30} {med(k, 0):9.0f} {min(rates):7.0f}–{max(rates):<8.0f} {med(k, 1):14.2f} "
              f"{med(k, 2):13.2f} {bound(k):12.0f}")
    o, w = med((conc, recv, "oha"), 0), med((conc, recv, "wrk"), 0)
    on, off = med((conc, recv, "api_on"), 0), med((conc, recv, "api_off"), 0)
    print(f"  ratios: ccsim/oha {on / o:.2f} (--api off {off / o:.2f})   "
          f"ccsim/wrk {on / w:.2f} (--api off {off / w:.2f}; "
          f"by CPU per request {bound((conc, recv, 'api_on')) / bound((conc, recv, 'wrk')):.2f})"
          + (f"   ccsim/CCSIM_BASE {on / med((conc, recv, 'base_on'), 0):.2f}"
             if rows[(conc, recv, "base_on")] else ""))
PY
