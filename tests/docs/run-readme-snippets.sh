#!/usr/bin/env bash
# Starts a throw-away relay on loopback and checks README.md's code blocks against it
# (tests/docs/readme_snippets.py). Usage: run-readme-snippets.sh BUILD_DIR
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src/build}
export TIGRESS_RELAY_BIN=$build/tigress-relay
source "$src/tests/lib/relay-fixture.sh"
trap relay_fixture_cleanup EXIT
if ! relay_fixture_start --rate-limit 0; then
    echo "readme snippets: could not start the relay"
    echo "0 passed, 1 failed"
    exit 1
fi
"${PYTHON3:-python3}" "$src/tests/docs/readme_snippets.py" --src "$src" --build "$build"
