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
# The Swift blocks are built with the toolchain swift-env.sh finds (PATH, /opt/swift*), by
# absolute path, against this build's library; without one they are skipped and say so.
# shellcheck source=../../bindings/swift/swift-env.sh
source "$src/bindings/swift/swift-env.sh"
if swift_env_init "$src" "$build"; then
    SWIFT_ARGS_JSON=$("${PYTHON3:-python3}" -c 'import json, sys; print(json.dumps(sys.argv[1:]))' \
        -Xswiftc -warnings-as-errors -Xlinker -rpath -Xlinker "$build")
    export SWIFT SWIFT_ARGS_JSON
else
    unset SWIFT
fi
"${PYTHON3:-python3}" "$src/tests/docs/readme_snippets.py" --src "$src" --build "$build"
