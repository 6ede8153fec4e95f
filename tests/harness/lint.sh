#!/usr/bin/env bash
# make lint: cppcheck and clang-tidy over the library, the relay and the examples.
#
#   tests/harness/lint.sh BUILD_DIR
#
# Both tools get the same flags the Makefile compiles with (C11, POSIX 2008, our include
# directories, pkg-config --cflags of every dependency). clang-tidy reads them from a
# compile_commands.json written here into BUILD_DIR/lint/. Output: one line per finding,
# file:line: message; exit status 1 when either tool finds anything. Files that do not exist yet
# are simply not there: the target works on whatever part of the tree has landed.
set -uo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
out="$build/lint"
mkdir -p "$out/cppcheck-cache"
jobs=${LINT_JOBS:-2}

mapfile -t srcs < <(find lib relay examples -name '*.c' 2>/dev/null | sort)
if [[ ${#srcs[@]} -eq 0 ]]; then echo "lint: no sources"; exit 0; fi

# Dependencies' include flags: only packages that are installed (relay ones may be absent).
pkgs=()
for p in libcurl libsodium libcjson uuid libcrypto libmicrohttpd sqlite3 libqrencode hiredis; do
    pkg-config --exists "$p" 2>/dev/null && pkgs+=("$p")
done
dep_cflags=$(pkg-config --cflags "${pkgs[@]}" 2>/dev/null)
base_flags="-std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude -Ilib -Irelay -Irelay/store $dep_cflags"
# The Redis store backend is compiled (relay/relay.mk) only with hiredis: analyse it the same way.
relay_defs=
pkg-config --exists hiredis 2>/dev/null && relay_defs="-DTIGRESS_HAVE_HIREDIS"

flags_for() {   # per-directory defines, as lib/lib.mk and the other fragments use them
    case "$1" in
        # The analyzer model (see the header) for every library file, except for the
        # functions a file defines itself.
        lib/error.c)  echo "$base_flags -DTIGRESS_BUILDING_DLL -DTIGRESS_HARNESS_MODEL_SKIP_ERROR -include tests/harness/analyzer-model.h" ;;
        lib/client.c) echo "$base_flags -DTIGRESS_BUILDING_DLL -DTIGRESS_HARNESS_MODEL_SKIP_CLIENT -include tests/harness/analyzer-model.h" ;;
        lib/*)        echo "$base_flags -DTIGRESS_BUILDING_DLL -include tests/harness/analyzer-model.h" ;;
        relay/*)      echo "$base_flags $relay_defs" ;;
        *)            echo "$base_flags" ;;
    esac
}

# --- compile_commands.json (absolute directory; clang-tidy -p reads it)
root=$(pwd)
{
    echo "["
    n=0
    for f in "${srcs[@]}"; do
        [[ $n -gt 0 ]] && echo ","
        printf '  {"directory": "%s", "file": "%s", "command": "cc %s -c %s"}' \
            "$root" "$f" "$(flags_for "$f")" "$f"
        n=$((n + 1))
    done
    echo
    echo "]"
} > "$out/compile_commands.json"

status=0

# --- cppcheck. System headers are not given (slow, and not ours): missingIncludeSystem is
# therefore expected. Justified suppressions live in tests/harness/cppcheck.supp.
echo "lint: cppcheck over ${#srcs[@]} files"
# shellcheck disable=SC2086
if ! cppcheck --enable=warning,performance,portability --error-exitcode=1 --inline-suppr \
        --std=c11 --platform=unix64 --language=c -D_POSIX_C_SOURCE=200809L -D__GNUC__=12 \
        $relay_defs \
        -Iinclude -Ilib -Irelay -Irelay/store \
        --suppress=missingIncludeSystem \
        --suppressions-list=tests/harness/cppcheck.supp \
        --cppcheck-build-dir="$out/cppcheck-cache" \
        -j "$jobs" --quiet --template='{file}:{line}: cppcheck {severity} [{id}]: {message}' \
        "${srcs[@]}"; then
    echo "lint: cppcheck FAILED"
    status=1
fi

# --- clang-tidy, one process per file, $jobs at a time. --quiet drops the "N warnings
# generated" chatter; findings in enabled checks are errors (.clang-tidy WarningsAsErrors).
echo "lint: clang-tidy over ${#srcs[@]} files"
tidy_log="$out/clang-tidy.log"
if ! printf '%s\n' "${srcs[@]}" |
        xargs -P "$jobs" -n 1 clang-tidy --quiet -p "$out" \
            --header-filter="^$root/(include|lib|relay|examples)/" > "$tidy_log" 2>&1; then
    grep -E 'error:|warning:' "$tidy_log" | grep -v '^[0-9]* warnings\? ' | sort -u
    echo "lint: clang-tidy FAILED (full log: $tidy_log)"
    status=1
fi

[[ $status -eq 0 ]] && echo "lint: clean (cppcheck, clang-tidy: ${#srcs[@]} files)"
exit $status
