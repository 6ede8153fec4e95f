#!/usr/bin/env bash
# Replays every committed corpus file through its fuzz target's replay binary (built with gcc,
# no libFuzzer) and prints "N passed, N failed", one test per input file.
# Usage: tests/fuzz/replay.sh BIN_DIR   (BIN_DIR holds replay_<target> binaries)
set -uo pipefail
bin_dir=${1:?usage: replay.sh BIN_DIR}
corpus_root=$(cd "$(dirname "$0")" && pwd)/corpus
pass=0 fail=0
for dir in "$corpus_root"/*/; do
    target=$(basename "$dir")
    bin="$bin_dir/replay_$target"
    if [[ ! -x "$bin" ]]; then
        echo "missing replay binary: $bin"
        fail=$((fail + 1))
        continue
    fi
    for input in "$dir"*; do
        [[ -f "$input" ]] || continue
        if "$bin" "$input" >/dev/null 2>&1; then
            pass=$((pass + 1))
        else
            echo "FAILED: $target $(basename "$input")"
            fail=$((fail + 1))
        fi
    done
done
echo "${pass} passed, ${fail} failed"
[[ $fail -eq 0 ]]
