#!/usr/bin/env bash
# Runs the Python binding tests (bindings/python/tests) against a throw-away tigress-relay over
# HTTPS on loopback (tests/lib/relay-fixture.sh). Usage: run_tests.sh [BUILD_DIR [PORTABLE_BUILD_DIR]]
# With PORTABLE_BUILD_DIR (after `make portable`) the package loads that directory's
# libtigress.so.1 and runs bindings/python/tests_portable instead: the flows through
# tigress.UrllibTransport and tigress.CryptographyAead (python3-cryptography).
# The last line is "N passed, N failed"; the exit status is non-zero on any failure.
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src/build}
export TIGRESS_RELAY_BIN=$build/tigress-relay
portable=${2:-}
export TIGRESS_LIB=$build/libtigress.so.1
tests=tests
what="python bindings"
if [[ -n $portable ]]; then
    export TIGRESS_LIB=$portable/libtigress.so.1
    tests=tests_portable
    what="python bindings (portable: $TIGRESS_LIB)"
    echo "$what"
    if [[ ! -e $TIGRESS_LIB ]]; then
        echo "$what: the library is missing (make portable)"
        echo "0 passed, 1 failed"
        exit 1
    fi
fi
# shellcheck source=../../tests/lib/relay-fixture.sh
source "$src/tests/lib/relay-fixture.sh"
trap relay_fixture_cleanup EXIT
if ! relay_fixture_start --rate-limit 0; then
    echo "$what: could not start the relay"
    echo "0 passed, 1 failed"
    exit 1
fi
"${PYTHON3:-python3}" "$src/bindings/python/run_tests.py" "$tests"
