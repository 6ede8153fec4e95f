#!/usr/bin/env bash
# relay/contrib/verify-unit.sh RELAY_BIN: `systemd-analyze verify` of tigress-relay.service, run
# by make check (relay/relay.mk). Skipped, with a message, when systemd-analyze is missing.
# The unit is checked as a copy whose ExecStart names RELAY_BIN (the installed path does not
# exist on a build machine). Only messages about the unit file itself fail the check: in a
# container verify can also complain about the environment (no bus, no /proc/1 systemd, other
# units), and those are printed but not counted.
set -u
bin=${1:?usage: verify-unit.sh RELAY_BIN}
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "relay unit: systemd-analyze not installed; skipping the check of tigress-relay.service"
    exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tigress-unit.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
unit="$tmp/tigress-relay.service"
sed "s|/usr/local/bin/tigress-relay|$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")|" \
    "$here/tigress-relay.service" > "$unit"
out=$(SYSTEMD_LOG_COLOR=0 systemd-analyze verify --man=no "$unit" 2>&1)
rc=$?
own=$(printf '%s\n' "$out" | grep -F "$unit" || true)
if [[ -n "$own" ]]; then
    echo "relay unit: tigress-relay.service has errors:" >&2
    printf '%s\n' "$own" | sed "s|$unit|relay/contrib/tigress-relay.service|" >&2
    exit 1
fi
if [[ $rc -ne 0 ]]; then
    echo "relay unit: systemd-analyze verify failed for reasons outside the unit file (ignored):"
    printf '%s\n' "$out" | sed 's/^/  /'
fi
echo "relay unit: tigress-relay.service verified"
