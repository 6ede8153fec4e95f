#!/usr/bin/env bash
# Runs test programs under valgrind memcheck, two at a time.
#
#   tests/harness/valgrind.sh [--skip 'PROGRAM=REASON']... PROGRAM...
#
# A PROGRAM argument may carry its own arguments, separated by spaces ("replay_x corpus/x").
# --skip names a program that is not run, with the reason printed (see harness.mk for the list).
#
# Flags: --leak-check=full --errors-for-leak-kinds=all, so a definite, indirect,
# possible or still-reachable leak is an error, like any invalid access or uninitialised use.
# The error exit code is 99 rather than 1 so that a valgrind finding can be told apart from the
# program's own failure in the report; either fails the run.
# Suppressions: tests/harness/valgrind.supp (library global-init noise only).
#
# Scripts (suites that are not ELF executables, e.g. ones that start a relay from bash) are
# skipped and listed: valgrind would only watch the shell.
#
# TIGRESS_TEST_TIME_SCALE (default here 20) is exported for the programs: the integration and
# security fixtures multiply every upper bound on waiting by it (client timeouts, waits for a
# push or a transfer), since a program runs tens of times slower under valgrind. A passing test
# returns as soon as what it waits for happens, so this costs nothing when all goes well.
#
# Output: one line per program as it finishes, then "valgrind: N clean, N failed" and the
# wall time; logs in $VALGRIND_LOGDIR (kept when something failed).
set -uo pipefail
cd "$(dirname "$0")/../.."
logdir=${VALGRIND_LOGDIR:-${TMPDIR:-/tmp}/tigress-valgrind.$$}
mkdir -p "$logdir"
jobs=${VALGRIND_JOBS:-2}
export TIGRESS_TEST_TIME_SCALE=${TIGRESS_TEST_TIME_SCALE:-20}
command -v valgrind >/dev/null || { echo "valgrind: not installed"; exit 1; }

declare -A skip_reason=()
progs=() scripts=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --skip) skip_reason[${2%%=*}]=${2#*=}; shift 2; continue ;;
    esac
    p=$1; shift
    exe=${p%% *}
    if [[ -n "${skip_reason[$exe]:-}" ]]; then
        echo "valgrind: skipped $exe: ${skip_reason[$exe]}"
    elif [[ -x "$exe" ]] && head -c 4 "$exe" | grep -q 'ELF'; then
        progs+=("$p")
    else
        scripts+=("$p")
    fi
done
[[ ${#scripts[@]} -gt 0 ]] && echo "valgrind: skipped (not ELF programs): ${scripts[*]}"
[[ ${#progs[@]} -eq 0 ]] && { echo "valgrind: nothing to run"; exit 0; }

run_one() {   # $1 = program [args]; prints one result line; exit status = failure
    local prog=$1 log rc start
    log="$logdir/$(echo "${prog%% *}" | tr '/' '_').log"
    start=$(date +%s)
    valgrind --quiet --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
        --error-exitcode=99 --track-origins=yes --suppressions=tests/harness/valgrind.supp \
        --log-file="$log.vg" $prog > "$log" 2>&1   # unquoted: program and its arguments
    rc=$?
    if [[ $rc -eq 0 ]]; then
        echo "valgrind: clean   $prog ($(( $(date +%s) - start )) s)"
    else
        {
            echo "valgrind: FAILED  $prog (status $rc after $(( $(date +%s) - start )) s; program output $log)"
            sed 's/^/    /' "$log.vg" | head -60
            [[ $rc -ne 99 ]] && tail -n 20 "$log" | sed 's/^/    | /'
        } > "$log.report"
        cat "$log.report"      # one write per failure, so parallel reports do not interleave
        return 1
    fi
}
export -f run_one
export logdir

begin=$(date +%s)
results="$logdir/results"
printf '%s\n' "${progs[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one "$1"' _ {} | tee "$results"
clean=$(grep -c '^valgrind: clean' "$results")
failed=$(grep -c '^valgrind: FAILED' "$results")
missing=$(( ${#progs[@]} - clean - failed ))     # a run_one that died without a line
echo "valgrind: $clean clean, $((failed + missing)) failed ($(( $(date +%s) - begin )) s wall)"
[[ $failed -eq 0 && $missing -eq 0 ]] && rm -rf "$logdir"
[[ $failed -eq 0 && $missing -eq 0 ]]
