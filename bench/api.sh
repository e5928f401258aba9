#!/usr/bin/env bash
# Record endpoint throughput: ccsim's fake platform API against nginx serving the same
# JSON body statically, both on loopback, measured with wrk in alternation (A/B/A/B) in
# the same run. Prints requests/s of each round, the means, and the ratio ccsim/nginx
# (target: at least 0.8). See docs/api.md.
#
# Usage: bench/api.sh            (from the repository root; builds the release binary)
# Environment: DURATION (wrk -d, default 10s), CONNECTIONS (-c, 64), THREADS (-t, 2),
#              CCSIM_PORT (18700), NGINX_PORT (18780), ROUNDS (pairs, 2).
set -euo pipefail

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
CCSIM_PORT=${CCSIM_PORT:-18700}
NGINX_PORT=${NGINX_PORT:-18780}
ROUNDS=${ROUNDS:-2}

cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1; }
if ! need wrk || ! need nginx; then
    echo "installing wrk and nginx with apt-get" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light >/dev/null
fi
NGINX=$(command -v nginx)

cargo build --release --locked --quiet
CCSIM=target/release/ccsim

WORK=$(mktemp -d)
chmod 755 "$WORK"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# The fake API alone: simulate 30 minutes at full speed (no webhooks), then keep serving.
"$CCSIM" serve scenarios/default.toml --api "127.0.0.1:$CCSIM_PORT" --speed max --seed 1 --duration 30m \
    >"$WORK/ccsim.log" 2>&1 &
pids+=($!)
API="http://127.0.0.1:$CCSIM_PORT/v1/account/bench/callcenter/conversation"

# Wait for the simulation to finish (it prints its summary), then pick the newest record.
for _ in $(seq 1 300); do
    grep -q "still serving" "$WORK/ccsim.log" 2>/dev/null && break
    sleep 0.1
done
grep -q "still serving" "$WORK/ccsim.log" || { cat "$WORK/ccsim.log" >&2; exit 1; }
ID=$(curl -fsS "$API?size=1" | sed -n 's/.*"result":\[{"id":"\([0-9a-f]\{32\}\)".*/\1/p')
[ -n "$ID" ] || { echo "no record to benchmark" >&2; exit 1; }
RECORD_PATH="/v1/account/bench/callcenter/conversation/$ID"

# nginx serving the very same bytes at the same path.
mkdir -p "$WORK/www$(dirname "$RECORD_PATH")" "$WORK/tmp"
curl -fsS "http://127.0.0.1:$CCSIM_PORT$RECORD_PATH" >"$WORK/www$RECORD_PATH"
chmod -R a+rX "$WORK"
cat >"$WORK/nginx.conf" <<CONF
daemon off;
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/nginx.error.log;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 100000000;
    client_body_temp_path $WORK/tmp/body;
    proxy_temp_path $WORK/tmp/proxy;
    fastcgi_temp_path $WORK/tmp/fastcgi;
    uwsgi_temp_path $WORK/tmp/uwsgi;
    scgi_temp_path $WORK/tmp/scgi;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / {
            root $WORK/www;
            default_type "application/json;charset=UTF-8";
        }
    }
}
CONF
"$NGINX" -c "$WORK/nginx.conf" -e "$WORK/nginx.error.log" &
pids+=($!)
for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$NGINX_PORT$RECORD_PATH" 2>/dev/null && break
    sleep 0.1
done
if ! cmp -s <(curl -fsS "http://127.0.0.1:$CCSIM_PORT$RECORD_PATH") \
            <(curl -fsS "http://127.0.0.1:$NGINX_PORT$RECORD_PATH"); then
    echo "ccsim and nginx do not serve the same body" >&2
    exit 1
fi
echo "body: $(wc -c <"$WORK/www$RECORD_PATH") bytes, GET $RECORD_PATH"
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION, alternating ccsim/nginx, $ROUNDS rounds each"

rps() {
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" "$1" |
        awk '/^Requests\/sec:/ {print $2} /Non-2xx/ {print "non-2xx answers" > "/dev/stderr"; exit 1}'
}
ccsim_all=()
nginx_all=()
for round in $(seq 1 "$ROUNDS"); do
    c=$(rps "http://127.0.0.1:$CCSIM_PORT$RECORD_PATH")
    n=$(rps "http://127.0.0.1:$NGINX_PORT$RECORD_PATH")
    printf 'round %d  ccsim %10.0f req/s   nginx %10.0f req/s\n' "$round" "$c" "$n"
    ccsim_all+=("$c")
    nginx_all+=("$n")
done
mean() { printf '%s\n' "$@" | awk '{s += $1} END {printf "%.0f", s / NR}'; }
C=$(mean "${ccsim_all[@]}")
N=$(mean "${nginx_all[@]}")
RATIO=$(awk -v c="$C" -v n="$N" 'BEGIN {printf "%.2f", c / n}')
echo "mean   ccsim $C req/s   nginx $N req/s   ratio ccsim/nginx $RATIO (target >= 0.8)"
