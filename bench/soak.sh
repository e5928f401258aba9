#!/usr/bin/env bash
# Soak: a long `ccsim load` (release build) against a receiver that stalls. The receiver
# (Python stdlib asyncio, loopback) answers every request 200 `success` for ANSWER seconds,
# then holds every answer for STALL seconds (connections stay open, nothing is read or
# written), then answers all it held and starts again. ccsim's timeouts, retries and
# backlog bound meet the stalls; its memory must stay flat and no event may be lost.
#
# Prints the RSS of the ccsim process every 5 s (VmRSS from /proc/PID/status) beside the
# receiver's phase and the partial report's counts, then the final report's counts and
# checks emitted = delivered + failed + cancelled.
#
# Bounded in time: DURATION seconds of arrivals in real time (default 150) plus the drain
# (at most --timeout × attempts). Loopback only.
#
# Usage: bench/soak.sh           (from anywhere; builds the release binary)
# Environment: RATE (conversations/s, default 400), DURATION (s, 150), ANSWER (s, 15),
# STALL (s, 10), PORT (18795), CCSIM_BIN (a binary to run instead of building).
set -euo pipefail

RATE=${RATE:-400}
DURATION=${DURATION:-150}
ANSWER=${ANSWER:-15}
STALL=${STALL:-10}
PORT=${PORT:-18795}

source "$(dirname "$0")/common.sh"
build_ccsim

recv_pid=
ccsim_pid=
cleanup() {
    [[ -n $ccsim_pid ]] && kill "$ccsim_pid" 2>/dev/null || true
    [[ -n $recv_pid ]] && kill "$recv_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    if [[ -z ${BENCH_WORK:-} ]]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

cat >"$WORK/stall.py" <<'EOF'
import asyncio, os, re, sys, time

PORT = int(os.environ["PORT"]); ANSWER = float(os.environ["ANSWER"])
STALL = float(os.environ["STALL"])
START = time.monotonic()
OK = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 7\r\n\r\nsuccess"
stats = {"requests": 0, "held": 0}


def stalled_until():
    """When the current stall ends, or None while answering."""
    t = (time.monotonic() - START) % (ANSWER + STALL)
    return None if t < ANSWER else time.monotonic() + (ANSWER + STALL - t)


async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            m = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
            await reader.readexactly(int(m.group(1)) if m else 0)
            stats["requests"] += 1
            until = stalled_until()
            if until is not None:
                stats["held"] += 1
                await asyncio.sleep(until - time.monotonic())
            writer.write(OK)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", PORT, backlog=4096)
    print("ready", flush=True)
    async with server:
        while True:
            await asyncio.sleep(5)
            phase = "stalled" if stalled_until() is not None else "answering"
            print(f"{phase} {stats['requests']} {stats['held']}", flush=True)


asyncio.run(main())
EOF

PORT=$PORT ANSWER=$ANSWER STALL=$STALL python3 "$WORK/stall.py" >"$WORK/recv.log" 2>&1 &
recv_pid=$!
for _ in $(seq 1 100); do
    grep -q ready "$WORK/recv.log" 2>/dev/null && break
    sleep 0.1
done
grep -q ready "$WORK/recv.log" || { cat "$WORK/recv.log" >&2; exit 1; }

log "ccsim load --rate $RATE/s --duration ${DURATION}s in real time; the receiver answers ${ANSWER}s, stalls ${STALL}s"
"$CCSIM" load --rate "$RATE/s" --duration "${DURATION}s" --speed 1 --seed 1 \
    --agents 12000 --handle-time 3s --ring-time 2s --api off -q \
    --target "http://127.0.0.1:$PORT/hook" \
    --report "$WORK/report.json" --report-interval 5s &
ccsim_pid=$!

started=$(date +%s)
printf '%6s %9s %-9s %9s %9s %7s %9s\n' t rss_MiB receiver emitted delivered failed cancelled
while kill -0 "$ccsim_pid" 2>/dev/null; do
    sleep 5
    rss=$(awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$ccsim_pid/status" 2>/dev/null) || break
    [[ -z $rss ]] && break
    phase=$(tail -1 "$WORK/recv.log" | cut -d' ' -f1)
    counts="- - - -"
    if [[ -f $WORK/report.json ]]; then
        counts=$(python3 -c 'import json,sys
e=json.load(open(sys.argv[1]))["events"]
print(e["emitted"], e["delivered"], e["failed"], e["cancelled"])' "$WORK/report.json" 2>/dev/null) || counts="- - - -"
    fi
    # shellcheck disable=SC2086
    printf '%5ss %9s %-9s %9s %9s %7s %9s\n' "$(($(date +%s) - started))" "$rss" "$phase" $counts
done
set +e
wait "$ccsim_pid"
code=$?
set -e
ccsim_pid=

python3 - "$WORK/report.json" "$code" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
e = r["events"]
total = e["delivered"] + e["failed"] + e["cancelled"]
print(f"exit {sys.argv[2]}; final report (partial: {r['partial']}, interrupted: {r['interrupted']})")
print(f"emitted {e['emitted']} = delivered {e['delivered']} + failed {e['failed']} "
      f"+ cancelled {e['cancelled']}: {'holds' if total == e['emitted'] else 'BROKEN (' + str(total) + ')'}")
print("errors:", json.dumps(e.get("errors", {})))
lat = r.get("latency_ms", {}); late = r.get("schedule_lateness_ms", {})
print(f"latency p50 {lat.get('p50')} ms, p99 {lat.get('p99')} ms; schedule lateness p99 {late.get('p99')} ms")
print(f"throughput {r['throughput']['events_per_s']:.0f} events/s")
sys.exit(0 if total == e["emitted"] else 1)
EOF
