#!/usr/bin/env bash
# swift build of bindings/swift (library, TigressExample, tests) against the in-tree C library,
# in Swift 6 mode with warnings as errors. Usage: build.sh [BUILD_DIR] [extra swift build args]
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src/build}
shift || true
# shellcheck source=swift-env.sh
source "$src/bindings/swift/swift-env.sh"
if ! swift_env_init "$src" "$build"; then
    echo "swift-build: no Swift toolchain (swift not on PATH, none in /opt/swift*)" >&2
    exit 1
fi
exec "$SWIFT" build --build-tests "${SWIFT_ARGS[@]}" "$@"
