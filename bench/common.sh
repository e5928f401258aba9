# Shared helpers of the benchmark scripts: install the tools they compare against (from
# Debian's packages and crates.io), build ccsim in release mode, start nginx on loopback.
# Source it; do not run it.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
WORK=${BENCH_WORK:-$(mktemp -d /tmp/ccsim-bench.XXXXXX)}
mkdir -p "$WORK"
# CCSIM_BIN runs another build (e.g. the previous commit's, for an A/B) instead of building.
CCSIM=${CCSIM_BIN:-"$ROOT/target/release/ccsim"}
# nginx listens on NGINX_PORT with its stock keep-alive settings (a connection is closed
# after 1000 requests, as a receiver users run), and on NGINX_UNLIMITED_PORT with
# keep-alive unlimited (one connection for the whole run).
NGINX_PORT=${NGINX_PORT:-18080}
NGINX_UNLIMITED_PORT=${NGINX_UNLIMITED_PORT:-$((NGINX_PORT + 1))}
CONTENT_TYPE='application/json;charset=utf-8'
# The generated workload of the throughput, memory and engine benchmarks (add --duration):
# 1000 conversations/s of about 5 events each, enough agents that nobody waits.
WORKLOAD=(--speed max --quiet --seed 1 --rate 1000/s --agents 12000 --handle-time 3s --ring-time 2s)

log() { printf '== %s\n' "$*" >&2; }

need_apt() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  if ((${#missing[@]})); then
    log "installing ${missing[*]} (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

need_oha() {
  if command -v oha >/dev/null 2>&1; then OHA=$(command -v oha); return; fi
  if [[ -x /opt/oha/bin/oha ]]; then OHA=/opt/oha/bin/oha; return; fi
  log "installing oha (cargo install, a few minutes)"
  cargo install oha --locked --root /opt/oha >/dev/null 2>&1
  OHA=/opt/oha/bin/oha
}

build_ccsim() {
  if [[ -n ${CCSIM_BIN:-} ]]; then log "using CCSIM_BIN=$CCSIM_BIN"; return; fi
  log "building ccsim (release)"
  (cd "$ROOT" && cargo build --release --locked --quiet)
}

start_nginx() {
  need_apt nginx
  mkdir -p "$WORK/nginx"
  cat >"$WORK/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / { return 200 "success"; }
  }
  server {
    listen 127.0.0.1:$NGINX_UNLIMITED_PORT;
    keepalive_requests 1000000000;
    location / { return 200 "success"; }
  }
}
CONF
  nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf"
  trap stop_nginx EXIT
  for _ in $(seq 50); do
    curl -s -o /dev/null -X POST "http://127.0.0.1:$NGINX_PORT/hook" && return 0
    sleep 0.1
  done
  log "nginx did not start"; cat "$WORK/nginx/error.log" >&2; return 1
}

stop_nginx() {
  [[ -f "$WORK/nginx/nginx.pid" ]] && kill "$(cat "$WORK/nginx/nginx.pid")" 2>/dev/null || true
}

# json_get FILE EXPR: a value from a JSON file (EXPR is a Python subscript chain).
json_get() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval('d'+sys.argv[2]))" "$1" "$2"; }

ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.2f}' if b else 'n/a')" "$1" "$2"; }
