#!/usr/bin/env bash
# Runs test programs under valgrind memcheck, two at a time.
#
#   tests/harness/valgrind.sh PROGRAM...
#
# A PROGRAM argument may carry its own arguments, separated by spaces ("replay_x corpus/x").
#
# A program fails when valgrind reports any memory error or a definite/indirect leak (exit
# status 99 is valgrind's), or when the program itself fails. Scripts (suites that are not ELF
# executables, e.g. ones that start a relay) are skipped and listed: valgrind would only watch
# the shell. Suppressions: tests/harness/valgrind.supp (library global-init noise only).
# Output: one line per program, then "valgrind: N clean, N failed"; logs in $VALGRIND_LOGDIR.
set -uo pipefail
cd "$(dirname "$0")/../.."
logdir=${VALGRIND_LOGDIR:-${TMPDIR:-/tmp}/tigress-valgrind.$$}
mkdir -p "$logdir"
jobs=${VALGRIND_JOBS:-2}
command -v valgrind >/dev/null || { echo "valgrind: not installed"; exit 1; }

progs=() skipped=()
for p in "$@"; do
    exe=${p%% *}
    if [[ -x "$exe" ]] && head -c 4 "$exe" | grep -q 'ELF'; then progs+=("$p"); else skipped+=("$p"); fi
done
[[ ${#skipped[@]} -gt 0 ]] && echo "valgrind: skipped (not ELF programs): ${skipped[*]}"
[[ ${#progs[@]} -eq 0 ]] && { echo "valgrind: nothing to run"; exit 0; }

run_one() {   # $1 = program [args]; prints one result line; exit status = failure
    local prog=$1 log rc start
    log="$logdir/$(echo "${prog%% *}" | tr '/' '_').log"
    start=$(date +%s)
    valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect \
        --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
        --track-origins=yes --suppressions=tests/harness/valgrind.supp \
        --log-file="$log.vg" $prog > "$log" 2>&1   # unquoted: program and its arguments
    rc=$?
    if [[ $rc -eq 0 ]]; then
        echo "valgrind: clean   $prog ($(( $(date +%s) - start )) s)"
    else
        echo "valgrind: FAILED  $prog (status $rc; program output $log)"
        sed 's/^/    /' "$log.vg" | head -60
        [[ $rc -ne 99 ]] && tail -n 20 "$log" | sed 's/^/    | /'
        return 1
    fi
}
export -f run_one
export logdir

results=$(printf '%s\n' "${progs[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one "$1"' _ {})
echo "$results"
clean=$(grep -c '^valgrind: clean' <<<"$results")
failed=$(grep -c '^valgrind: FAILED' <<<"$results")
echo "valgrind: $clean clean, $failed failed"
[[ $failed -eq 0 ]] && rm -rf "$logdir"
[[ $failed -eq 0 ]]
