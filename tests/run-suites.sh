#!/usr/bin/env bash
# Runs each test suite given on the command line, shows its output, and ends with one line:
# "N passed, N failed" counting test cases. A suite is any executable: cmocka programs report
# "[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s)"; other suites print "N passed, N failed"
# as their last summary line. A suite that exits non-zero without reporting a failure counts as
# one failed test.
# TIGRESS_TEST_EXEC (optional): a command that starts each ELF suite, e.g. "qemu-aarch64 -L /"
# for programs cross-built for another CPU (tests/cross/run.sh); scripts are run as they are.
set -uo pipefail
total_pass=0 total_fail=0 failed_suites=()
read -ra test_exec <<<"${TIGRESS_TEST_EXEC:-}"
is_elf() { [[ "$(head -c 4 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" == 7f454c46 ]]; }
for suite in "$@"; do
    echo "=== ${suite}"
    log=$(mktemp)
    runner=()
    if [[ ${#test_exec[@]} -gt 0 ]] && is_elf "$suite"; then runner=("${test_exec[@]}"); fi
    "${runner[@]}" "$suite" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    pass=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    fail=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    if ! grep -q '^\[  PASSED  \]\|^\[  FAILED  \]' "$log"; then
        line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
        if [[ -n "$line" ]]; then
            pass=$(awk '{print $1}' <<<"$line"); fail=$(awk '{print $3}' <<<"$line")
        fi
    fi
    if [[ $rc -ne 0 && $fail -eq 0 ]]; then fail=1; fi
    if [[ $rc -eq 0 && $pass -eq 0 && $fail -eq 0 ]]; then pass=1; fi
    [[ $fail -gt 0 ]] && failed_suites+=("$suite")
    total_pass=$((total_pass + pass)); total_fail=$((total_fail + fail))
    rm -f "$log"
done
echo
[[ ${#failed_suites[@]} -gt 0 ]] && echo "failed suites: ${failed_suites[*]}"
echo "${total_pass} passed, ${total_fail} failed"
[[ $total_fail -eq 0 ]]
