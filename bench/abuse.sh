#!/usr/bin/env bash
# Availability of the fake API under abuse: starts `ccsim serve` (release build) on
# loopback and, phase by phase, runs a hostile load against it while a legitimate client
# makes normal requests (one GET of a record on a fresh connection at a time, each
# bounded by a 10 s timeout) and measures their latency. Phases:
#
#   baseline    nothing else
#   idle        IDLE connections (default 1100, more than the 1024 slots) that send nothing
#   slowloris   SLOWLORIS connections (default 1100) each dribbling one byte of a request
#               head every DRIBBLE seconds (default 1), reconnecting when closed
#   keepalive   KEEPALIVE clients (default 2000) each sending a GET on its own keep-alive
#               connection every KEEPALIVE_EVERY seconds (default 1), reconnecting when
#               closed; their own failures are counted too
#
# Prints per phase: the legitimate requests' count, failures, p50, p99 and max latency.
# Bounded in time: each phase lasts PHASE seconds (default 10), plus start-up.
#
# Usage: bench/abuse.sh           (from the repository root; builds the release binary)
# Environment: PHASE, IDLE, SLOWLORIS, DRIBBLE, KEEPALIVE, KEEPALIVE_EVERY, PORT (18790).
set -euo pipefail

PHASE=${PHASE:-10}
IDLE=${IDLE:-1100}
SLOWLORIS=${SLOWLORIS:-1100}
DRIBBLE=${DRIBBLE:-1}
KEEPALIVE=${KEEPALIVE:-2000}
KEEPALIVE_EVERY=${KEEPALIVE_EVERY:-1}
PORT=${PORT:-18790}

cd "$(dirname "$0")/.."
# Thousands of sockets on both sides.
ulimit -n 16384 2>/dev/null || ulimit -n "$(ulimit -Hn)"

cargo build --release --locked --quiet
CCSIM=target/release/ccsim

WORK=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

"$CCSIM" serve scenarios/default.toml --api "127.0.0.1:$PORT" --speed max --seed 1 --duration 10m \
    >"$WORK/ccsim.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do
    grep -q "still serving" "$WORK/ccsim.log" 2>/dev/null && break
    sleep 0.1
done
grep -q "still serving" "$WORK/ccsim.log" || { cat "$WORK/ccsim.log" >&2; exit 1; }

cat >"$WORK/abuse.py" <<'EOF'
import asyncio, json, os, re, sys, time

PORT = int(os.environ["PORT"]); PHASE = float(os.environ["PHASE"])
IDLE = int(os.environ["IDLE"]); SLOWLORIS = int(os.environ["SLOWLORIS"])
DRIBBLE = float(os.environ["DRIBBLE"]); KEEPALIVE = int(os.environ["KEEPALIVE"])
EVERY = float(os.environ["KEEPALIVE_EVERY"])
HOST = "127.0.0.1"


def request(path):
    return f"GET {path} HTTP/1.1\r\nHost: ccsim\r\n\r\n".encode()


async def read_answer(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    m = re.search(rb"(?i)content-length: *(\d+)", head)
    body = await reader.readexactly(int(m.group(1)) if m else 0)
    return int(head.split(b" ", 2)[1]), body


async def get_once(path):
    """One GET on a fresh connection; (status, body)."""
    reader, writer = await asyncio.open_connection(HOST, PORT)
    try:
        writer.write(request(path))
        await writer.drain()
        return await read_answer(reader)
    finally:
        writer.close()


async def legitimate(path, stop, out):
    while not stop.is_set():
        start = time.monotonic()
        try:
            status, _ = await asyncio.wait_for(get_once(path), 10)
            ok = status == 200
        except Exception:
            ok = False
        out.append((time.monotonic() - start, ok))
        await asyncio.sleep(0.05)


async def idle(stop, opened):
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(HOST, PORT)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        opened[0] += 1
        try:
            # Hold it, sending nothing, until the server closes it or the phase ends.
            done = asyncio.ensure_future(reader.read(1))
            stopped = asyncio.ensure_future(stop.wait())
            await asyncio.wait({done, stopped}, return_when=asyncio.FIRST_COMPLETED)
            done.cancel(); stopped.cancel()
        finally:
            writer.close()


async def slowloris(stop, opened):
    head = request("/v1/account/x/callcenter/conversation") + b"X-a: b\r\n" * 100
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(HOST, PORT)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        opened[0] += 1
        try:
            for byte in head[:-2]:
                if stop.is_set() or reader.at_eof():
                    break
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(DRIBBLE)
        except OSError:
            pass
        finally:
            writer.close()


async def keepalive(path, stop, stats):
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(HOST, PORT)
        except OSError:
            stats["failed"] += 1
            await asyncio.sleep(EVERY)
            continue
        try:
            while not stop.is_set():
                writer.write(request(path))
                await writer.drain()
                status, _ = await asyncio.wait_for(read_answer(reader), 10)
                stats["ok" if status == 200 else "failed"] += 1
                await asyncio.sleep(EVERY)
        except Exception:
            # A connection the server closed (shed or idle timeout) is reopened; only a
            # request that got no answer counts as failed.
            stats["closed"] += 1
        finally:
            writer.close()


def pct(sorted_values, p):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(p * len(sorted_values)))]


async def record_path():
    _, body = await get_once("/v1/account/bench/callcenter/conversation?size=1")
    rid = json.loads(body)["data"]["result"][0]["id"]
    return f"/v1/account/bench/callcenter/conversation/{rid}"


async def flood(kind, seconds):
    """Runs one kind of hostile load for `seconds`; prints what it did."""
    path = await record_path()
    stop = asyncio.Event()
    opened = [0]
    stats = {"ok": 0, "failed": 0, "closed": 0}
    if kind == "idle":
        tasks = [asyncio.ensure_future(idle(stop, opened)) for _ in range(IDLE)]
        say = lambda: f"{IDLE} idle connections, {opened[0]} opened in all"
    elif kind == "slowloris":
        tasks = [asyncio.ensure_future(slowloris(stop, opened)) for _ in range(SLOWLORIS)]
        say = lambda: (f"{SLOWLORIS} slowloris connections (1 byte/{DRIBBLE:g}s), "
                       f"{opened[0]} opened in all")
    elif kind == "keepalive":
        tasks = [asyncio.ensure_future(keepalive(path, stop, stats)) for _ in range(KEEPALIVE)]
        say = lambda: (f"{KEEPALIVE} keep-alive clients: {stats['ok']} ok, {stats['failed']} "
                       f"failed, {stats['closed']} connections closed by the server")
    else:
        tasks, say = [], lambda: ""
    await asyncio.sleep(seconds)
    stop.set()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    print(say(), flush=True)


async def measure(name, seconds):
    """The legitimate client, in its own process: one GET at a time for `seconds`."""
    path = await record_path()
    stop = asyncio.Event()
    out = []
    legit = asyncio.ensure_future(legitimate(path, stop, out))
    await asyncio.sleep(seconds)
    stop.set()
    await legit
    latencies = sorted(l for l, ok in out)
    failed = sum(1 for _, ok in out if not ok)
    ms = lambda s: f"{s * 1000:8.1f}"
    print(f"{name:<10} {len(out):6d} {failed:6d} {ms(pct(latencies, .5))} "
          f"{ms(pct(latencies, .99))} {ms(latencies[-1] if latencies else float('nan'))}",
          end="", flush=True)


mode, name = sys.argv[1], sys.argv[2]
if mode == "flood":
    asyncio.run(flood(name, float(sys.argv[3])))
else:
    asyncio.run(measure(name, float(sys.argv[3])))
EOF

export PORT PHASE IDLE SLOWLORIS DRIBBLE KEEPALIVE KEEPALIVE_EVERY
# The hostile load and the legitimate client run in separate processes, so the client's
# latency is not the load generator's own event-loop delay.
echo "one GET of a record on a fresh connection at a time; phases of $PHASE s"
printf '%-10s %6s %6s %8s %8s %8s  %s\n' phase reqs failed "p50 ms" "p99 ms" "max ms" "hostile side"
for phase in baseline idle slowloris keepalive; do
    python3 "$WORK/abuse.py" flood "$phase" "$((PHASE + 3))" >"$WORK/flood.out" &
    flood=$!
    sleep 2 # let the flood build up
    python3 "$WORK/abuse.py" measure "$phase" "$PHASE"
    wait "$flood"
    echo "  $(cat "$WORK/flood.out")"
done
