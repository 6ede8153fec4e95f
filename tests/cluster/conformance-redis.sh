#!/usr/bin/env bash
# conformance-redis.sh BUILD_DIR: the relay conformance suites (tests/relay/test_relay_*)
# again, with every relay they start on one shared Redis store (TIGRESS_TEST_STORE, read by
# tests/relay/relay_harness.c) instead of a SQLite file. A private redis-server on a free
# loopback port, appendonly yes + appendfsync always (the durability test kills relays with
# SIGKILL), data in a temp dir removed at the end.
# Output: each suite's cmocka report (tests/run-suites.sh counts them), then a summary.
# Skips (exit 0, with a message) only when redis-server is not installed.
set -uo pipefail
build=${1:-build}
if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    echo "SKIP: redis-server not installed (apt-get install redis-server): conformance on Redis not run"
    echo "0 passed, 0 failed"
    exit 0
fi
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
       echo $((20000 + RANDOM % 20000)))
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly yes --appendfsync always \
    --dir "$dir" --daemonize no >"$dir/redis.log" 2>&1 &
rpid=$!
cleanup() { kill "$rpid" 2>/dev/null; wait "$rpid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
for _ in $(seq 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.05
done
export TIGRESS_TEST_STORE="redis://127.0.0.1:$port/0"
rc=0
for suite in "$build"/tests/relay/test_relay_*; do
    [[ -x $suite && $suite != *test_relay_redis ]] || continue
    echo "--- $suite (store: Redis)"
    redis-cli -p "$port" flushall >/dev/null     # every suite starts from an empty store
    "$suite" || rc=1
done
exit $rc
