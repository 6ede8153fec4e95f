#!/usr/bin/env bash
# make check-cross: the unit tests on more than one compiler and CPU
# (tests/harness/README.md, "Other compilers and CPUs").
#
#   tests/cross/run.sh [ARCH...]     default: x86_64-gcc x86_64-clang i386 aarch64
#
#   x86_64-gcc    gcc, -Werror: the default tree (lib, relay, CLI: `make all`) and the unit tests
#   x86_64-clang  the same with clang
#   i386          gcc -m32 against Debian's :i386 packages: `make $CROSS_TARGET`
#   aarch64       clang --target=aarch64-linux-gnu against Debian's :arm64 packages, run under
#                 qemu-user: `make $CROSS_TARGET`, then the Android check (below)
#   android-16k   LOAD segments of libtigress.so built with SONAME=libtigress.so are aligned to
#                 16 KB (readelf -lW): x86_64 (default library) and aarch64 ($CROSS_LIB_TARGET)
#
# libcurl, OpenSSL and libuuid are not installed for i386/arm64, so those builds link the
# portable library (libsodium + cJSON + libc): CROSS_TARGET (default portable-check) must build
# it and the unit programs in $BUILD and run them through tests/run-suites.sh, which starts
# them with $TIGRESS_TEST_EXEC (qemu for aarch64). A tree without that target gets a NOT RUN
# line for the architecture, counted as a failure (CROSS_STRICT=1, the default; 0 only reports it).
#
# Each architecture prints "ARCH: N passed, N failed" and the run ends with one total line.
# Logs: build-cross/<arch>.log. Environment: CROSS_TARGET, CROSS_LIB_TARGET (default portable),
# CROSS_STRICT, CROSS_JOBS (default 2), CROSS_DIR (default build-cross).
set -uo pipefail
cd "$(dirname "$0")/../.."
# This script starts its own makes with their own variables: nothing leaks in from a parent make.
unset MAKEFLAGS MFLAGS MAKELEVEL

CROSS_TARGET=${CROSS_TARGET:-portable-check}
CROSS_LIB_TARGET=${CROSS_LIB_TARGET:-portable}
CROSS_STRICT=${CROSS_STRICT:-1}
JOBS=${CROSS_JOBS:-2}
DIR=${CROSS_DIR:-build-cross}
mkdir -p "$DIR"

I386_PC=/usr/lib/i386-linux-gnu/pkgconfig:/usr/share/pkgconfig
ARM64_PC=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig
ARM64_CC="clang --target=aarch64-linux-gnu"
# Debian's qemu-aarch64 finds the arm64 loader and libraries of the multiarch tree under /.
ARM64_EXEC="qemu-aarch64 -L /"

UNIT_SRCS=(tests/unit/test_*.c)
total_pass=0 total_fail=0 summary=() not_run=()

say() { echo "check-cross: $*"; }
# VAR=VALUE words as a shell would need them: CC='gcc -m32'.
quote() {
    local a out=()
    for a in "$@"; do
        [[ $a =~ [^A-Za-z0-9_./:=,+-] ]] && a="${a%%=*}='${a#*=}'"
        out+=("$a")
    done
    echo "${out[*]}"
}

# The make target exists in this tree (with these variables)?
has_target() { # TARGET MAKE_VAR=VALUE...
    local target=$1; shift
    # make -q exits 1 when its default goal is out of date: only grep's status counts.
    { make -qp "$@" 2>/dev/null || true; } | grep "^${target}:" >/dev/null
}

# Reads the last "N passed, N failed" line of LOG into pass/fail; none: one failure.
count() { # LOG
    local line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
    if [[ -n "$line" ]]; then
        pass=$(awk '{print $1}' <<<"$line"); fail=$(awk '{print $3}' <<<"$line")
    else
        pass=0 fail=1
    fi
}

# Records one architecture's result; shows the failing lines of its log.
report() { # NAME LOG SECONDS
    local name=$1 log=$2 secs=$3
    if [[ $fail -gt 0 ]]; then
        grep -E '^\[  FAILED  \]|^\[  ERROR   \]|error:|^failed suites:|\*\*\*' "$log" \
            | head -n 40 \
            | sed "s|^|  $name: |"
    fi
    total_pass=$((total_pass + pass)); total_fail=$((total_fail + fail))
    summary+=("$(printf '%-20s %4d passed, %d failed  (%d s)' "$name" "$pass" "$fail" "$secs")")
    echo "$name: $pass passed, $fail failed ($secs s, log $log)"
}

not_run() { # NAME WHY
    say "$1: NOT RUN: $2"
    not_run+=("$1")
    summary+=("$(printf '%-20s NOT RUN' "$1")")
    if [[ $CROSS_STRICT == 1 ]]; then total_fail=$((total_fail + 1)); fi
}

# x86_64: the whole default tree and the 15 unit programs, with gcc or clang.
native() { # NAME CC
    local name=$1 cc=$2 build=$DIR/$1 log=$DIR/$1.log t0=$SECONDS bins=()
    local f; for f in "${UNIT_SRCS[@]}"; do bins+=("$build/tests/unit/$(basename "$f" .c)"); done
    say "$name: make -j$JOBS CC='$cc' BUILD=$build all + ${#bins[@]} unit programs"
    if make -j"$JOBS" --no-print-directory CC="$cc" BUILD="$build" all "${bins[@]}" >"$log" 2>&1
    then tests/run-suites.sh "${bins[@]}" >>"$log" 2>&1
    else echo "build failed" >>"$log"; fi
    count "$log"; report "$name" "$log" $((SECONDS - t0))
}

# i386 and aarch64: the portable library and the unit programs, through $CROSS_TARGET.
cross() { # NAME CC PKG_CONFIG_LIBDIR EXEC
    local name=$1 cc=$2 pc=$3 exec=$4 build=$DIR/$1 log=$DIR/$1.log t0=$SECONDS
    local vars=(CC="$cc" BUILD="$build" PKG_CONFIG_LIBDIR="$pc")
    if ! has_target "$CROSS_TARGET" "${vars[@]}"; then
        not_run "$name" "this tree has no 'make $CROSS_TARGET' yet (the portable library:
    libsodium + cJSON + libc, no libcurl/OpenSSL/libuuid, which Debian does not install for
    $name here). Once it exists this step runs: make $CROSS_TARGET $(quote "${vars[@]}")"
        return
    fi
    say "$name: make -j$JOBS $CROSS_TARGET $(quote "${vars[@]}")" \
        "${exec:+(TIGRESS_TEST_EXEC='$exec')}"
    TIGRESS_TEST_EXEC=$exec TIGRESS_TEST_TIME_SCALE=${TIGRESS_TEST_TIME_SCALE:-${exec:+3}} \
        make -j"$JOBS" --no-print-directory "${vars[@]}" "$CROSS_TARGET" >"$log" 2>&1
    count "$log"; report "$name" "$log" $((SECONDS - t0))
}

# Android: every LOAD segment of LIB aligned to at least 16 KB (0x4000).
align_check() { # NAME LIB LOG
    local name=$1 lib=$2 log=$3 bad
    if [[ ! -f $lib ]]; then
        echo "$name: $lib was not built" | tee -a "$log"; pass=0 fail=1; return
    fi
    readelf -lW "$lib" >>"$log"
    local off align n=0
    bad=
    while read -r off align; do
        n=$((n + 1))
        (( 16#${align#0x} >= 0x4000 )) || bad+="  LOAD at offset $off: Align $align < 0x4000"$'\n'
    done < <(readelf -lW "$lib" | awk '$1 == "LOAD" { print $2, $NF }')
    [[ $n -gt 0 ]] || bad="  no LOAD segment"
    if [[ -n $bad ]]; then
        echo "$name: $lib is not 16 KB aligned:"$'\n'"$bad" | tee -a "$log"; pass=0 fail=1
    else
        echo "$name: $lib: every LOAD segment has Align >= 0x4000" | tee -a "$log"; pass=1 fail=0
    fi
}

android_x86_64() {
    local name=android-16k-x86_64 build=$DIR/android-x86_64 log=$DIR/android-x86_64.log
    local t0=$SECONDS
    say "$name: make CC=clang BUILD=$build SONAME=libtigress.so $build/libtigress.so; readelf -lW"
    if make -j"$JOBS" --no-print-directory CC=clang BUILD="$build" SONAME=libtigress.so \
            "$build/libtigress.so" >"$log" 2>&1
    then align_check "$name" "$build/libtigress.so" "$log"
    else echo "build failed" >>"$log"; pass=0 fail=1; fi
    report "$name" "$log" $((SECONDS - t0))
}

android_aarch64() {
    local name=android-16k-aarch64 build=$DIR/android-aarch64-portable log=$DIR/android-aarch64.log
    # GNU ld aligns aarch64 segments to 64 KB by itself; the NDK's clang (before r28) asks for
    # 4 KB. LDFLAGS says 4 KB here too, so only the Makefile's Android flag can make this pass.
    local t0=$SECONDS vars=(CC="$ARM64_CC" BUILD="$build" PKG_CONFIG_LIBDIR="$ARM64_PC"
                            SONAME=libtigress.so LDFLAGS=-Wl,-z,max-page-size=4096)
    if ! has_target "$CROSS_LIB_TARGET" "${vars[@]}"; then
        not_run "$name" "this tree has no 'make $CROSS_LIB_TARGET' yet (the portable library);
    then: make $CROSS_LIB_TARGET $(quote "${vars[@]}"); readelf -lW $build/libtigress.so"
        return
    fi
    say "$name: make $CROSS_LIB_TARGET $(quote "${vars[@]}"); readelf -lW"
    if make -j"$JOBS" --no-print-directory "${vars[@]}" "$CROSS_LIB_TARGET" >"$log" 2>&1
    then align_check "$name" "$build/libtigress.so" "$log"
    else echo "build failed" >>"$log"; pass=0 fail=1; fi
    report "$name" "$log" $((SECONDS - t0))
}

archs=("$@")
[[ ${#archs[@]} -eq 0 ]] && archs=(x86_64-gcc x86_64-clang i386 aarch64)
start=$SECONDS
for arch in "${archs[@]}"; do
    case $arch in
        x86_64-gcc)   native x86_64-gcc gcc ;;
        x86_64-clang) native x86_64-clang clang; android_x86_64 ;;
        i386)         cross i386 "gcc -m32" "$I386_PC" "" ;;
        aarch64)      cross aarch64 "$ARM64_CC" "$ARM64_PC" "$ARM64_EXEC"; android_aarch64 ;;
        *) echo "check-cross: unknown architecture '$arch'" >&2; exit 2 ;;
    esac
done

echo
printf 'check-cross: %s\n' "${summary[@]}"
if [[ ${#not_run[@]} -gt 0 ]]; then
    say "NOT RUN: ${not_run[*]} (no 'make $CROSS_TARGET' / '$CROSS_LIB_TARGET' in this tree)"
fi
say "wall time $((SECONDS - start)) s"
echo "check-cross: ${total_pass} passed, ${total_fail} failed"
[[ $total_fail -eq 0 ]]
