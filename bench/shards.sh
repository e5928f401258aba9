#!/usr/bin/env bash
# The Kubernetes Indexed Job of deploy/kubernetes, simulated on this machine
# (docs/kubernetes.md): one receiver (`ccsim listen` on loopback), N shard processes of
# one `ccsim load --speed max` started at once, each with JOB_COMPLETION_INDEX=K and
# CCSIM_SHARD_COUNT=N in its environment as Kubernetes sets them (no --shard flag), each
# writing shard-K.json and shard-K.jsonl; then `ccsim report merge` and the checks:
#   - merged events.emitted = the sum of the shards' = what the receiver counted;
#   - no conversation id (nor any call id in a payload) appears in two shards;
#   - each shard sent something, and the merge exits 0.
# Then, against nginx: events/s of 1 process and of 2 shard processes of the same
# workload at once (each shard's, their sum over the pair's wall time, and the merged
# report's). On 2 cores shared with the receiver it will not double.
#   bash bench/shards.sh [N] [SECONDS]     # N shards (default 4); SECONDS of nginx load
# Needs `--shard` and `ccsim report merge` (issue 16); exits non-zero on any failed check.
source "$(dirname "$0")/common.sh"
N=${1:-4}
SECS=${2:-10}
LISTEN_PORT=${LISTEN_PORT:-18091}
need_apt nginx curl
build_ccsim
mkdir -p "$WORK"

# One seed for all shards: each derives its own from (seed, K). The whole workload; each
# shard generates 1/N of it.
SHARDED=(--speed max --quiet --seed 7 --rate 400/s --duration 30s --agents 12000
  --handle-time 3s --ring-time 1s --api off --report-interval 0s)

LISTEN_PID=
cleanup() {
  [[ -n $LISTEN_PID ]] && kill "$LISTEN_PID" 2>/dev/null || true
  stop_nginx
}
trap cleanup EXIT

# ---------------------------------------------------------------- N shards, merged
log "receiver: ccsim listen on 127.0.0.1:$LISTEN_PORT"
"$CCSIM" listen --addr "127.0.0.1:$LISTEN_PORT" >/dev/null 2>"$WORK/listen.err" &
LISTEN_PID=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$LISTEN_PORT") 2>/dev/null && break
  sleep 0.1
done
(exec 3<>"/dev/tcp/127.0.0.1/$LISTEN_PORT") 2>/dev/null || {
  log "the receiver did not start"; cat "$WORK/listen.err" >&2; exit 1
}

log "$N shards of: ccsim load ${SHARDED[*]}"
pids=()
for ((k = 0; k < N; k++)); do
  JOB_COMPLETION_INDEX=$k CCSIM_SHARD_COUNT=$N \
    "$CCSIM" load "${SHARDED[@]}" --target "http://127.0.0.1:$LISTEN_PORT/hook" \
    --report "$WORK/shard-$k.json" --events-log "$WORK/shard-$k.jsonl" &
  pids+=($!)
done
failed=0
for ((k = 0; k < N; k++)); do
  wait "${pids[$k]}" || { log "shard $k exited $?"; failed=1; }
done
((failed == 0)) || exit 1

# The receiver prints "E events in C conversations; …" when interrupted.
kill -INT "$LISTEN_PID"
wait "$LISTEN_PID" || true
LISTEN_PID=
RECEIVED=$(sed -n 's/^\([0-9]\+\) events in .*/\1/p' "$WORK/listen.err" | tail -1)
[[ -n $RECEIVED ]] || { log "no count from the receiver"; cat "$WORK/listen.err" >&2; exit 1; }

shards=()
for ((k = 0; k < N; k++)); do shards+=("$WORK/shard-$k.json"); done
log "ccsim report merge (${#shards[@]} reports)"
"$CCSIM" report merge "${shards[@]}" -o "$WORK/merged.json"

python3 - "$N" "$WORK" "$RECEIVED" <<'PY'
import json, sys
n, work, received = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
reports = [json.load(open(f"{work}/shard-{k}.json")) for k in range(n)]
merged = json.load(open(f"{work}/merged.json"))
problems = []

emitted = [r["events"]["emitted"] for r in reports]
total = sum(emitted)
print(f"shards emitted {emitted}, sum {total}; merged {merged['events']['emitted']}; "
      f"receiver {received}")
if any(e == 0 for e in emitted):
    problems.append(f"a shard sent nothing: {emitted}")
if merged["events"]["emitted"] != total:
    problems.append(f"merged events.emitted {merged['events']['emitted']} != sum {total}")
for key in ("delivered", "failed", "cancelled", "retries", "duplicated"):
    s = sum(r["events"][key] for r in reports)
    if merged["events"][key] != s:
        problems.append(f"merged events.{key} {merged['events'][key]} != sum {s}")
# Every attempt reaches the receiver: delivered events plus every retry (duplicates too).
expected = merged["events"]["delivered"] + merged["events"]["retries"] + merged["events"]["duplicated"]
if merged["events"]["failed"] == 0 and received != expected:
    problems.append(f"the receiver counted {received}, the merged report {expected}")

def call_ids(value, out):
    """Every string under a key naming a call id, anywhere in a payload."""
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, str) and "call" in k.lower() and k.lower().endswith("id"):
                out.add(v)
            call_ids(v, out)
    elif isinstance(value, list):
        for v in value:
            call_ids(v, out)

owner = {}
calls = {}
lines = 0
for k in range(n):
    for line in open(f"{work}/shard-{k}.jsonl"):
        lines += 1
        e = json.loads(line)
        cid = e["conversation_id"]
        if owner.setdefault(cid, k) != k:
            problems.append(f"conversation {cid} in shards {owner[cid]} and {k}")
        found = set()
        call_ids(e.get("payload"), found)
        for c in found:
            if calls.setdefault(c, k) != k:
                problems.append(f"call id {c} in shards {calls[c]} and {k}")
print(f"{len(owner)} conversations, {len(calls)} call ids, {lines} log lines: "
      f"none in two shards" if not problems else "")
for p in problems[:20]:
    print("FAIL:", p)
sys.exit(1 if problems else 0)
PY
log "the simulated Indexed Job: ok"

# ------------------------------------- 1 process vs 2 shard processes, against nginx
start_nginx
trap cleanup EXIT
URL="http://127.0.0.1:$NGINX_PORT/hook"
BENCH=(--api off --target "$URL" "${WORKLOAD[@]}" --duration "$((SECS * 40))s" --report-interval 0s)
now() { date +%s.%N; }

log "1 process"
"$CCSIM" load "${BENCH[@]}" --report "$WORK/one.json" >/dev/null
one=$(json_get "$WORK/one.json" "['throughput']['events_per_s']")

log "2 shard processes at once"
t0=$(now)
JOB_COMPLETION_INDEX=0 CCSIM_SHARD_COUNT=2 "$CCSIM" load "${BENCH[@]}" --report "$WORK/two-0.json" >/dev/null &
p0=$!
JOB_COMPLETION_INDEX=1 CCSIM_SHARD_COUNT=2 "$CCSIM" load "${BENCH[@]}" --report "$WORK/two-1.json" >/dev/null &
p1=$!
wait "$p0"
wait "$p1"
t1=$(now)
"$CCSIM" report merge "$WORK/two-0.json" "$WORK/two-1.json" -o "$WORK/two.json"
s0=$(json_get "$WORK/two-0.json" "['throughput']['events_per_s']")
s1=$(json_get "$WORK/two-1.json" "['throughput']['events_per_s']")
delivered=$(($(json_get "$WORK/two-0.json" "['events']['delivered']") + $(json_get "$WORK/two-1.json" "['events']['delivered']")))
pair=$(python3 -c "import sys; print(f'{int(sys.argv[1]) / (float(sys.argv[3]) - float(sys.argv[2])):.0f}')" "$delivered" "$t0" "$t1")
merged=$(json_get "$WORK/two.json" "['throughput']['events_per_s']")

printf '\n%-44s %12s\n' "ccsim load against nginx ($(nproc) cores)" "events/s"
printf '%-44s %12.0f\n' "1 process" "$one"
printf '%-44s %12.0f\n' "2 shards: shard 0" "$s0"
printf '%-44s %12.0f\n' "2 shards: shard 1" "$s1"
printf '%-44s %12s\n' "2 shards: delivered / wall time of the pair" "$pair"
printf '%-44s %12.0f\n' "2 shards: merged report" "$merged"
printf '%-44s %12s\n' "pair / 1 process" "$(ratio "$pair" "$one")"
