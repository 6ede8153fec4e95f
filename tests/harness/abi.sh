#!/usr/bin/env bash
# ABI guard for libtigress (policy: abi/README.md).
#
#   tests/harness/abi.sh check    LIB_SO BUILD_DIR   compare with the committed baseline
#   tests/harness/abi.sh baseline LIB_SO BUILD_DIR   rewrite abi/libtigress.abi, abi/symbols.txt
#
# Two independent guards:
#  1. abi/symbols.txt: the exported tigress_* names, sorted, against `nm -D`. A symbol that
#     disappeared fails (a break); a new symbol also fails until it is added to the list on
#     purpose, so that nothing becomes public ABI by accident.
#  2. abi/libtigress.abi (abidw --headers-dir include) against a fresh abidw of LIB_SO, with
#     abidiff. Exit-status bits of abidiff (its manual, "Return values"): 1 error, 2 usage error,
#     4 ABI changed, 8 incompatible change. Bit 8 is set for removed functions and variables
#     only; changed parameter types, renumbered enumerators and moved struct members set only
#     bit 4. So both bits fail. Added functions must pass: abidiff runs with --no-added-syms,
#     which keeps them from setting bit 4; enumerators appended to an enum are a "harmless"
#     change that abidiff filters by default. abi/suppressions.abignore ignores the one sentinel
#     enumerator (TIGRESS_STATUS_LAST_) that moves when a status code is appended, and the
#     layouts of the opaque handle structs (never defined in include/; checked below).
set -uo pipefail
cd "$(dirname "$0")/../.."
mode=${1:?check|baseline} lib=${2:?LIB_SO} build=${3:?BUILD_DIR}
out="$build/abi"
mkdir -p "$out"

for tool in abidw abidiff nm; do
    command -v "$tool" >/dev/null || { echo "abi: $tool not found (install abigail-tools, binutils)"; exit 1; }
done
[[ -f "$lib" ]] || { echo "abi: $lib not built"; exit 1; }

# Defined, exported tigress_* functions and objects, without the @@TIGRESS_1 version suffix.
nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVWi]$/ {print $3}' | sed 's/@.*//' |
    grep '^tigress_' | LC_ALL=C sort -u > "$out/symbols.txt"

# Paths are left out so the dump is the same in any checkout directory.
if ! abidw --headers-dir include --no-corpus-path --no-comp-dir-path --short-locs \
        --drop-undefined-syms --out-file "$out/libtigress.abi" "$lib"; then
    echo "abi: abidw failed on $lib"; exit 1
fi

if [[ "$mode" == baseline ]]; then
    mkdir -p abi
    cp "$out/symbols.txt" abi/symbols.txt
    cp "$out/libtigress.abi" abi/libtigress.abi
    echo "abi: baseline written: abi/libtigress.abi, abi/symbols.txt ($(wc -l < abi/symbols.txt) symbols)"
    exit 0
fi

status=0
if [[ ! -f abi/symbols.txt || ! -f abi/libtigress.abi ]]; then
    echo "abi: no baseline in abi/ (make abi-baseline)"; exit 1
fi

removed=$(LC_ALL=C comm -23 abi/symbols.txt "$out/symbols.txt")
added=$(LC_ALL=C comm -13 abi/symbols.txt "$out/symbols.txt")
if [[ -n "$removed" ]]; then
    echo "abi: exported symbols REMOVED (an ABI break: needs a soname bump, see abi/README.md):"
    sed 's/^/  /' <<<"$removed"; status=1
fi
if [[ -n "$added" ]]; then
    echo "abi: new exported symbols not yet in abi/symbols.txt (add them on purpose: make abi-baseline):"
    sed 's/^/  /' <<<"$added"; status=1
fi

# A struct the suppressions treat as opaque must stay opaque: a definition in include/ would make
# its layout ABI, and the suppression would hide changes to it.
opaque=$(sed -n 's/^ *name_regexp = \^tigress_(\(.*\))\$$/\1/p' abi/suppressions.abignore | tr '|' ' ')
for t in $opaque; do
    if grep -rqE "struct tigress_$t[[:space:]]*\{" include; then
        echo "abi: struct tigress_$t is defined in include/ but abi/suppressions.abignore treats it as opaque"
        status=1
    fi
done
[[ -n "$opaque" ]] || { echo "abi: no opaque-type suppression found in abi/suppressions.abignore"; status=1; }

abidiff --no-added-syms --suppressions abi/suppressions.abignore abi/libtigress.abi "$out/libtigress.abi" > "$out/abidiff.txt" 2>&1
rc=$?
if (( rc & 1 )); then
    echo "abi: abidiff failed (status $rc):"; cat "$out/abidiff.txt"; status=1
elif (( rc & 8 )); then
    echo "abi: INCOMPATIBLE ABI change (abidiff status $rc):"; cat "$out/abidiff.txt"; status=1
elif (( rc & 4 )); then
    echo "abi: ABI changed beyond additions (abidiff status $rc); a compatible change (such as a"
    echo "     field appended to a versioned options struct) is accepted with make abi-baseline:"
    cat "$out/abidiff.txt"; status=1
fi
[[ $status -eq 0 ]] && echo "abi-check: $(wc -l < "$out/symbols.txt") exported symbols, ABI compatible with abi/libtigress.abi"
exit $status
