#!/usr/bin/env bash
# Memory over a long run: peak RSS of `ccsim load --speed max` delivering 100,000 and then
# 1,000,000 conversations to nginx on loopback (targets: under 150 MB at 1M, and 1M/100k
# at most 1.3), with the fake API off and then on (its record store keeps the default
# 50,000 records).
#   bash bench/memory.sh
source "$(dirname "$0")/common.sh"
need_apt nginx curl
build_ccsim
start_nginx
need_apt time
run() { # $1 = simulated seconds at 1000 conversations/s, $2 = --api value
  /usr/bin/time -f "%M" -o "$WORK/rss" "$CCSIM" load --api "$2" --target "http://127.0.0.1:$NGINX_PORT/hook" \
    "${WORKLOAD[@]}" --duration "$1s" --report "$WORK/m.json" >/dev/null
  local rss; rss=$(tail -1 "$WORK/rss")
  printf 'api %-12s %8s conversations: peak RSS %6.1f MB (%s events delivered)\n' "$2" \
    "$(json_get "$WORK/m.json" "['conversations']['offered']")" "$(python3 -c "print($rss/1024)")" \
    "$(json_get "$WORK/m.json" "['events']['delivered']")" >&2
  echo "$rss"
}
for api in off 127.0.0.1:0; do
  a=$(run 100 "$api"); b=$(run 1000 "$api")
  printf 'api %s: peak RSS 1M / 100k: %s\n' "$api" "$(ratio "$b" "$a")"
done
