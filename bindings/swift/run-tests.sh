#!/usr/bin/env bash
# Builds the Swift binding (swift build, Swift 6 mode, warnings as errors) and runs its XCTest
# suite (bindings/swift/Tests) against a throw-away tigress-relay over HTTPS on loopback
# (tests/lib/relay-fixture.sh), with the relay URL and test CA in the environment.
# Usage: run-tests.sh [BUILD_DIR]. Builds the C library first when it is missing.
# The last line is "N passed, N failed" (from XCTest's "Executed N tests, with M failures");
# the exit status is non-zero on any failure. Without any Swift toolchain it says so and
# reports 0 passed, 0 failed (make check leaves the suite out then: bindings/bindings.mk).
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src/build}
# shellcheck source=swift-env.sh
source "$src/bindings/swift/swift-env.sh"
if ! swift_env_init "$src" "$build"; then
    echo "swift bindings: SKIPPED: no Swift toolchain (swift not on PATH, none in /opt/swift*)"
    echo "0 passed, 0 failed"
    exit 0
fi
echo "swift bindings: using $SWIFT ($("$SWIFT" --version 2>/dev/null | head -n 1))"
if [[ ! -e "$build/libtigress.so" || ! -x "$build/tigress-relay" ]]; then
    make -C "$src" --no-print-directory BUILD="$build" all || {
        echo "swift bindings: the C library did not build"; echo "0 passed, 1 failed"; exit 1; }
fi
if ! "$SWIFT" build --build-tests "${SWIFT_ARGS[@]}"; then
    echo "swift bindings: swift build failed (warnings are errors)"
    echo "0 passed, 1 failed"
    exit 1
fi
export TIGRESS_RELAY_BIN=$build/tigress-relay
export TIGRESS_VECTORS=$src/tests/unit/vectors/payload_kat.json
# shellcheck source=../../tests/lib/relay-fixture.sh
source "$src/tests/lib/relay-fixture.sh"
log=$(mktemp)
trap 'rm -f "$log"; relay_fixture_cleanup' EXIT
if ! relay_fixture_start --rate-limit 0; then
    echo "swift bindings: could not start the relay"
    echo "0 passed, 1 failed"
    exit 1
fi
# On Linux, URLSession (FoundationNetworking) cannot be told to trust the test CA (it never asks
# a delegate about server trust, and only Android builds read a CA file from the environment;
# bindings/README.md), so URLSessionTransport runs its flows against a second relay that serves
# plain HTTP on loopback (--insecure-loopback, with allowInsecureLoopback in the client).
plain_out=$TIGRESS_RELAY_DIR/plain.out
"$TIGRESS_RELAY_BIN" --listen 127.0.0.1:0 --insecure-loopback --rate-limit 0 \
    --store "$TIGRESS_RELAY_DIR/plain.db" >"$plain_out" 2>"$TIGRESS_RELAY_DIR/plain.log" &
plain_pid=$!
trap 'kill "$plain_pid" 2>/dev/null; wait "$plain_pid" 2>/dev/null; rm -f "$log"; relay_fixture_cleanup' EXIT
for ((i = 0; i < 200; i++)); do
    TIGRESS_RELAY_HTTP_URL=$(grep -m1 -o 'listening on http://[^ ]*' "$plain_out" 2>/dev/null | sed 's/^listening on //')
    [[ -n "$TIGRESS_RELAY_HTTP_URL" ]] && break
    sleep 0.05
done
if [[ -z "$TIGRESS_RELAY_HTTP_URL" ]]; then
    echo "swift bindings: the plain-HTTP loopback relay did not start"; cat "$TIGRESS_RELAY_DIR/plain.log"
    echo "0 passed, 1 failed"
    exit 1
fi
export TIGRESS_RELAY_HTTP_URL
"$SWIFT" test --skip-build "${SWIFT_ARGS[@]}" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# XCTest's last summary: "Executed 31 tests, with 0 failures (0 unexpected) in 12.3 (12.3) seconds"
line=$(grep -E 'Executed [0-9]+ tests?, with [0-9]+ failures?' "$log" | tail -n 1)
executed=$(sed -n 's/.*Executed \([0-9][0-9]*\) tests\{0,1\}, with.*/\1/p' <<<"$line")
failures=$(sed -n 's/.*with \([0-9][0-9]*\) failures\{0,1\}.*/\1/p' <<<"$line")
# Failed test cases (a test with several failed assertions counts once).
failed=$(grep -cE "^Test Case '.*' failed" "$log")
executed=${executed:-0}
if [[ -z "$line" ]]; then
    echo "swift bindings: no XCTest summary (the test process crashed?)"
    failed=$((failed + 1))
fi
if [[ ${failures:-0} -gt 0 && $failed -eq 0 ]]; then failed=1; fi
if [[ $rc -ne 0 && $failed -eq 0 ]]; then failed=1; fi
passed=$((executed - $(grep -cE "^Test Case '.*' failed" "$log")))
[[ $passed -lt 0 ]] && passed=0
echo "${passed} passed, ${failed} failed"
[[ $failed -eq 0 ]]
