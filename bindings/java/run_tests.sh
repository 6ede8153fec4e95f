#!/usr/bin/env bash
# Runs the JUnit 5 tests of the Java binding (bindings/java/test) with Debian's console launcher,
# against a throw-away tigress-relay over HTTPS on loopback (tests/lib/relay-fixture.sh).
# Usage: run_tests.sh [BUILD_DIR [PORTABLE_BUILD_DIR]]  (after `make BUILD=... bindings`)
# With PORTABLE_BUILD_DIR (after `make portable`) the shim of BUILD_DIR loads that directory's
# libtigress.so.1 instead (same soname; LD_LIBRARY_PATH wins over the shim's RUNPATH) and only
# the tests tagged "portable" run: the flows through JdkHttpTransport and JavaxCryptoAead.
# Without it those tests are left out (the default build has libcurl and OpenSSL).
# The last line is "N passed, N failed"; the exit status is non-zero on any failure.
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src/build}
portable=${2:-}
what="java bindings"
tags=(--exclude-tag portable)
jenv=()
if [[ -n $portable ]]; then
    if [[ ! -e $portable/libtigress.so.1 ]]; then
        echo "java bindings (portable): $portable/libtigress.so.1 is missing (make portable)"
        echo "0 passed, 1 failed"
        exit 1
    fi
    # For the JVM only: the relay started below keeps its own libraries.
    jenv=("LD_LIBRARY_PATH=$portable${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
    what="java bindings (portable: $portable/libtigress.so.1)"
    tags=(--include-tag portable)
    echo "$what"
fi
junit=${JUNIT_JAR:-/usr/share/java/junit-platform-console-standalone.jar}
export TIGRESS_RELAY_BIN=$build/tigress-relay
# shellcheck source=../../tests/lib/relay-fixture.sh
source "$src/tests/lib/relay-fixture.sh"
trap relay_fixture_cleanup EXIT
if ! relay_fixture_start --rate-limit 0; then
    echo "$what: could not start the relay"
    echo "0 passed, 1 failed"
    exit 1
fi
log=$(mktemp)
trap 'rm -f "$log"; relay_fixture_cleanup' EXIT
# -Xcheck:jni makes the JVM verify every JNI call of the shim (exceptions checked, references).
env "${jenv[@]}" java -Xcheck:jni -Dtigress.jni.library="$build/libtigress_jni.so" \
    -Dtigress.relay.url="$TIGRESS_RELAY_URL" -Dtigress.relay.ca="$TIGRESS_RELAY_CA" \
    -Dtigress.vectors="$src/tests/unit/vectors/payload_kat.json" \
    -jar "$junit" --disable-banner --details=tree --disable-ansi-colors \
    --class-path "$build/tigress.jar:$build/bindings/java/test-classes" \
    --scan-class-path "$build/bindings/java/test-classes" "${tags[@]}" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# The launcher's summary: "[        12 tests successful      ]", "[         0 tests failed          ]".
count() { sed -n "s/^\[ *\([0-9][0-9]*\) tests $1 *\]/\1/p" "$log" | tail -n 1; }
passed=$(count successful); failed=$(count failed); aborted=$(count aborted); skipped=$(count skipped)
passed=${passed:-0}
failed=$(( ${failed:-0} + ${aborted:-0} + ${skipped:-0} ))
if grep -q 'WARNING in native method\|FATAL ERROR in native method\|WARNING: JNI local refs' "$log"; then
    echo "$what: -Xcheck:jni reported a problem in the JNI shim"
    failed=$((failed + 1))
fi
if [[ $rc -ne 0 && $failed -eq 0 ]]; then failed=1; fi
echo "${passed} passed, ${failed} failed"
[[ $failed -eq 0 ]]
