#!/usr/bin/env bash
# Runs the Python binding tests (bindings/python/tests) against a throw-away tigress-relay over
# HTTPS on loopback (tests/lib/relay-fixture.sh). Usage: run_tests.sh [BUILD_DIR]
# The last line is "N passed, N failed"; the exit status is non-zero on any failure.
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src/build}
export TIGRESS_RELAY_BIN=$build/tigress-relay
export TIGRESS_LIB=$build/libtigress.so.1
# shellcheck source=../../tests/lib/relay-fixture.sh
source "$src/tests/lib/relay-fixture.sh"
trap relay_fixture_cleanup EXIT
if ! relay_fixture_start --rate-limit 0; then
    echo "python bindings: could not start the relay"
    echo "0 passed, 1 failed"
    exit 1
fi
"${PYTHON3:-python3}" "$src/bindings/python/run_tests.py"
