#!/usr/bin/env bash
# Delivery throughput: ccsim (`load --speed max`) vs oha and wrk posting the same JSON body
# with the same concurrency to the same nginx on loopback, A/B/A/B in one run. Prints each
# figure and the ratios ccsim/oha and ccsim/wrk (target: ≥ 1.0 against oha).
#   bash bench/throughput.sh [CONCURRENCY] [SECONDS]
source "$(dirname "$0")/common.sh"
CONC=${1:-64}
SECS=${2:-10}
need_apt wrk nginx curl
need_oha
build_ccsim
start_nginx
URL="http://127.0.0.1:$NGINX_PORT/hook"
cat >"$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$BODY'
wrk.headers["Content-Type"] = "$CONTENT_TYPE"
wrk.headers["Accept"] = "text/plain;charset=utf-8"
LUA

run_ccsim() { # $1: extra flags
  # ~5 events per conversation; enough conversations for about $SECS seconds.
  "$CCSIM" load $1 --api off --target "$URL" --speed max --concurrency "$CONC" --quiet --seed 1 \
    --rate 1000/s --duration "$((SECS * 40))s" --agents 12000 --handle-time 3s --ring-time 2s \
    --report "$WORK/ccsim.json" >/dev/null
  json_get "$WORK/ccsim.json" "['throughput']['events_per_s']"
}
run_oha() {
  "$OHA" -z "${SECS}s" -c "$CONC" -m POST -H "Content-Type: $CONTENT_TYPE" -d "$BODY" \
    --no-tui --output-format json "$URL" >"$WORK/oha.json" 2>/dev/null
  json_get "$WORK/oha.json" "['summary']['requestsPerSec']"
}
run_wrk() {
  wrk -t2 -c"$CONC" -d"${SECS}s" -s "$WORK/post.lua" "$URL" | awk '/Requests\/sec/ {print $2}'
}

declare -a C C1 O W
for round in 1 2; do
  log "round $round: ccsim"; C+=("$(run_ccsim "")")
  log "round $round: ccsim --threads 1"; C1+=("$(run_ccsim "--threads 1")")
  log "round $round: oha";   O+=("$(run_oha)")
  log "round $round: wrk";   W+=("$(run_wrk)")
done
best() { printf '%s\n' "$@" | sort -g | tail -1; }
c=$(best "${C[@]}"); c1=$(best "${C1[@]}"); o=$(best "${O[@]}"); w=$(best "${W[@]}")
printf '\nconcurrency %s, %s s per run, nginx 1 worker, body %s bytes\n' "$CONC" "$SECS" "${#BODY}"
printf 'ccsim  events/s   %s\n' "${C[*]}"
printf 'ccsim --threads 1 %s\n' "${C1[*]}"
printf 'oha    requests/s %s\n' "${O[*]}"
printf 'wrk    requests/s %s\n' "${W[*]}"
printf 'best: ccsim %.0f (--threads 1: %.0f)  oha %.0f  wrk %.0f\n' "$c" "$c1" "$o" "$w"
printf 'ratios: ccsim/oha %s (--threads 1: %s)   ccsim/wrk %s (--threads 1: %s)\n' \
  "$(ratio "$c" "$o")" "$(ratio "$c1" "$o")" "$(ratio "$c" "$w")" "$(ratio "$c1" "$w")"
