#!/usr/bin/env bash
# bench/cluster.sh: full stateless transfers per second (Create, Recipient read that binds,
# Delete: bench/lua/transfer.lua) with 1, 2 and 3 tigress-relay processes on one Redis store,
# plus one relay on SQLite for reference, and 3 relays with the shared rate limiter on. Every process gets its own wrk (one connection per
# wrk thread, CONNS in total split over the processes); the rates are summed.
#
#   BUILD=build-bench bench/cluster.sh            (needs wrk, redis-server; make the relay first)
#   Environment: BUILD (default build), SECONDS_PER_RUN (default 10), CONNS (default 16),
#                FSYNC (Redis appendfsync: always (default, as durable as the SQLite store),
#                everysec or no), OUT (also write the JSON lines there).
# Prints one JSON line per configuration and a table. On a 2-core machine the relays, Redis and
# wrk share the same two cores: the point is that it works and how it scales, not the number.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
BUILD=${BUILD:-build}
RELAY=$BUILD/tigress-relay
SECS=${SECONDS_PER_RUN:-10}
CONNS=${CONNS:-16}
FSYNC=${FSYNC:-always}
for tool in wrk redis-server redis-cli python3; do
    command -v "$tool" >/dev/null || { echo "bench/cluster.sh: $tool is not installed" >&2; exit 1; }
done
[[ -x $RELAY ]] || { echo "bench/cluster.sh: $RELAY is missing; run make first" >&2; exit 1; }

W=$(mktemp -d "${TMPDIR:-/tmp}/tigress-cluster-bench.XXXXXX")
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$W"
}
trap cleanup EXIT
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
tests/lib/relay-fixture.sh certs "$W" >/dev/null

rport=$(free_port)
mkdir "$W/redis"
redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly yes \
    --appendfsync "$FSYNC" --dir "$W/redis" --daemonize no >"$W/redis/log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.05; done

# start_relays N STORE [RATE]: N relays on STORE (rate limit RATE req/s per client, default
# off); their ports in RPORTS, pids in RPIDS.
start_relays() {
    local n=$1 store=$2 rate=${3:-0} i
    RPORTS=() RPIDS=()
    for ((i = 0; i < n; i++)); do
        local p; p=$(free_port)
        "$RELAY" --listen "127.0.0.1:$p" --cert "$W/cert.pem" --key "$W/key.pem" \
            --store "$store" --rate-limit "$rate" --rate-burst 1000000 --log-level error \
            --max-mailboxes-per-address 0 --max-connections-per-address 0 \
            --max-held-reads-per-address 0 >"$W/relay$i.out" 2>"$W/relay$i.log" &
        RPIDS+=($!) RPORTS+=("$p")
        pids+=($!)
    done
    for ((i = 0; i < n; i++)); do
        for _ in $(seq 100); do grep -q listening "$W/relay$i.out" && break; sleep 0.05; done
        grep -q listening "$W/relay$i.out" || { echo "relay $i did not start:"; cat "$W/relay$i.log"; exit 1; }
    done
}
stop_relays() {
    local p
    for p in "${RPIDS[@]}"; do kill "$p"; wait "$p" || true; done
}

# run LABEL N STORE [RATE]
run() {
    local label=$1 n=$2 store=$3 i
    start_relays "$n" "$store" "${4:-0}"
    local c=$(((CONNS + n - 1) / n))
    local wpids=()
    for ((i = 0; i < n; i++)); do
        BENCH_LUA=$src/bench/lua wrk -t"$c" -c"$c" -d"${SECS}s" --timeout 10s \
            -s bench/lua/transfer.lua "https://127.0.0.1:${RPORTS[$i]}" >"$W/wrk$i.txt" 2>&1 &
        wpids+=($!)
    done
    for p in "${wpids[@]}"; do wait "$p"; done
    stop_relays
    python3 - "$label" "$n" "$W" <<'EOF'
import json, sys
label, n, w = sys.argv[1], int(sys.argv[2]), sys.argv[3]
runs = []
for i in range(n):
    line = [l for l in open(f"{w}/wrk{i}.txt") if l.startswith("BENCHJSON ")]
    if not line:
        sys.exit(f"wrk {i} failed:\n" + open(f"{w}/wrk{i}.txt").read())
    runs.append(json.loads(line[0][10:]))
errors = sum(sum(r["errors"].values()) for r in runs)
requests = sum(r["requests"] for r in runs)
print(json.dumps({"config": label, "relays": n,
                  "transfers_per_s": round(sum(r["units_per_s"] for r in runs), 1),
                  "requests_per_s": round(sum(r["req_per_s"] for r in runs), 1),
                  "p50_ms_max": max(r["p50_ms"] for r in runs),
                  "p99_ms_max": max(r["p99_ms"] for r in runs),
                  "errors": errors, "requests": requests}))
if errors > requests // 100:
    sys.exit(f"{label}: {errors} errors in {requests} requests")
EOF
}

results=$W/results.jsonl
run sqlite-1 1 "$W/bench.db" | tee -a "$results"
for n in 1 2 3; do
    redis-cli -p "$rport" flushall >/dev/null
    run "redis-$n" "$n" "redis://127.0.0.1:$rport/0" | tee -a "$results"
done
# The shared rate limiter's cost: every request also runs the token-bucket script (a limit
# far above the offered load, and every wrk connection is the same client 127.0.0.1).
redis-cli -p "$rport" flushall >/dev/null
run "redis-3+rl" 3 "redis://127.0.0.1:$rport/0" 1000000 | tee -a "$results"
[[ -z ${OUT:-} ]] || cp "$results" "$OUT"
echo
echo "cores: $(nproc)  redis appendfsync: $FSYNC  connections: $CONNS  seconds per run: $SECS"
python3 - "$results" <<'EOF'
import json, sys
print(f"{'configuration':<14} {'relays':>6} {'transfers/s':>12} {'req/s':>9} {'p99 ms':>8} {'errors':>7}")
for l in open(sys.argv[1]):
    r = json.loads(l)
    print(f"{r['config']:<14} {r['relays']:>6} {r['transfers_per_s']:>12} {r['requests_per_s']:>9} "
          f"{r['p99_ms_max']:>8.1f} {r['errors']:>7}")
EOF
