#!/usr/bin/env bash
# Instructions per event (valgrind's callgrind, deterministic: no network, fixed seed):
# `ccsim load --target null --speed max` of the throughput workload with the fake API on
# (the default) and with `--api off`, each at two simulated durations, so that start-up
# cancels out: (instructions of the long run − the short run's) ÷ (events − events). The
# difference between the two lines is what keeping the records costs per event on the
# sending path. CCSIM_BIN measures another build (e.g. the previous commit's).
#   bash bench/instructions.sh [SHORT_S] [LONG_S]     # simulated seconds, default 5 and 15
source "$(dirname "$0")/common.sh"
SHORT=${1:-5}
LONG=${2:-15}
need_apt valgrind
build_ccsim

# ir API DURATION: prints "INSTRUCTIONS EVENTS" of one run under callgrind.
ir() {
  valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.out" "$CCSIM" load --api "$1" \
    --target null "${WORKLOAD[@]}" --duration "$2s" --report "$WORK/cg.json" >/dev/null \
    2>"$WORK/cg.err"
  echo "$(awk '/Collected/ {print $4}' "$WORK/cg.err")" \
    "$(json_get "$WORK/cg.json" "['events']['delivered']")"
}
for api in 127.0.0.1:0 off; do
  log "callgrind: --api $api, $SHORT and $LONG simulated seconds"
  read -r i1 e1 <<<"$(ir "$api" "$SHORT")"
  read -r i2 e2 <<<"$(ir "$api" "$LONG")"
  printf '%-14s %8.0f instructions per event (%s events more: %s − %s instructions)\n' \
    "--api $api" "$(((i2 - i1) / (e2 - e1)))" "$((e2 - e1))" "$i2" "$i1"
done
