#!/usr/bin/env bash
# conformance-redis.sh BUILD_DIR [tls]: the relay conformance suites (tests/relay/test_relay_*)
# again, with every relay they start on one shared Redis store (TIGRESS_TEST_STORE, read by
# tests/relay/relay_harness.c) instead of a SQLite file. With `tls`, Redis listens only on a
# TLS port with a certificate from a CA made by tests/lib/relay-fixture.sh (certificates and
# the free port come from there), and the relays use rediss:// with --redis-ca
# (TIGRESS_TEST_REDIS_CA): the API suite runs through relay/store/redis_tls.c. A private redis-server
# on a free loopback port, appendonly yes + appendfsync always (the durability test kills
# relays with SIGKILL), data in a temp dir removed at the end.
# Output: each suite's cmocka report (tests/run-suites.sh counts them), then a summary.
# Skips (exit 0, with a message) only when redis-server is not installed.
set -uo pipefail
build=${1:-build}
tls=${2:-}
if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    echo "SKIP: redis-server not installed (apt-get install redis-server): conformance on Redis not run"
    echo "0 passed, 0 failed"
    exit 0
fi
# shellcheck source=../lib/relay-fixture.sh
source "$(dirname "$0")/../lib/relay-fixture.sh"      # certificates and a free port
dir=$(mktemp -d)
port=$(relay_fixture_free_port)
cli=(redis-cli -p "$port")
if [[ $tls == tls ]]; then
    relay_fixture_certs "$dir/tls" ||
        { echo "conformance-redis: making the Redis TLS certificate failed"; echo "0 passed, 1 failed"; exit 1; }
    redis-server --port 0 --tls-port "$port" --tls-cert-file "$dir/tls/cert.pem" \
        --tls-key-file "$dir/tls/key.pem" --tls-ca-cert-file "$dir/tls/ca.pem" --tls-auth-clients no \
        --bind 127.0.0.1 --save "" --appendonly yes --appendfsync always \
        --dir "$dir" --daemonize no >"$dir/redis.log" 2>&1 &
    cli=(redis-cli -p "$port" --tls --cacert "$dir/tls/ca.pem")
else
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly yes --appendfsync always \
        --dir "$dir" --daemonize no >"$dir/redis.log" 2>&1 &
fi
rpid=$!
cleanup() { kill "$rpid" 2>/dev/null; wait "$rpid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
for _ in $(seq 100); do
    "${cli[@]}" ping >/dev/null 2>&1 && break
    sleep 0.05
done
export TIGRESS_TEST_STORE="redis://127.0.0.1:$port/0"
suites=("$build"/tests/relay/test_relay_*)
if [[ $tls == tls ]]; then
    export TIGRESS_TEST_STORE="rediss://127.0.0.1:$port/0" TIGRESS_TEST_REDIS_CA="$dir/tls/ca.pem"
    suites=("$build"/tests/relay/test_relay_api)   # the API once more, now over TLS
fi
rc=0
for suite in "${suites[@]}"; do
    [[ -x $suite && $suite != *test_relay_redis ]] || continue
    echo "--- $suite (store: $TIGRESS_TEST_STORE)"
    "${cli[@]}" flushall >/dev/null     # every suite starts from an empty store
    "$suite" || rc=1
done
exit $rc
