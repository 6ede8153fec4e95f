# tests/lib/shell-checks.sh: the assertions of the shell suites (CLI, interop), sourced after
# $work (a scratch directory the suite owns) is set. Each check prints "ok   - NAME" or
# "FAIL - NAME" (and the detail, indented); checks_summary prints the suite's last line,
# "N passed, N failed", and returns non-zero when anything failed.
# shellcheck shell=bash

pass=0 fail=0

ok()     { pass=$((pass + 1)); echo "ok   - $1"; }
not_ok() { fail=$((fail + 1)); echo "FAIL - $1"; [[ -n "${2:-}" ]] && sed 's/^/       /' <<<"$2"; }
# run CMD...: sets $out (stdout), $err (stderr), $rc.
run() { out=$("$@" 2>"$work/.err"); rc=$?; err=$(<"$work/.err"); }
# expect NAME RC CMD...: run and check the exit code.
expect() {
    local name=$1 want=$2; shift 2
    run "$@"
    if [[ $rc -eq $want ]]; then ok "$name (exit $rc)"; else
        not_ok "$name: exit $rc, expected $want" "$(printf 'stdout: %s\nstderr: %s' "$out" "$err")"; fi
}
# check NAME CMD...: a bash test expression given as a command.
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }

checks_summary() { echo "$pass passed, $fail failed"; [[ $fail -eq 0 ]]; }
