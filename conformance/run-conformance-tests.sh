#!/usr/bin/env bash
# run-conformance-tests.sh [BUILD_DIR]: the suite of tigress-conformance (make check).
#  1. the command line: usage errors exit 2, --help has every section and every check ID;
#  2. against tigress-relay on SQLite (tests/lib/relay-fixture.sh): every check passes, R18
#     (slow) too with --slow, --json agrees, and the tester leaves no deletable mailbox behind;
#  3. against the same relay behind tests/conformance/breaking_proxy.py: with no fault every
#     check passes; with each injected violation exactly the matching check FAILs (--json);
#     then against a plain-HTTP relay with --insecure-loopback (R1 skips);
#  4. against tigress-relay on a private redis-server, when redis-server is installed (the
#     way tests/cluster/conformance-redis.sh starts one).
# Prints one line per assertion and ends with "N passed, N failed".
set -uo pipefail
build=${1:-build}
src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src" || exit 1
[[ $build = /* ]] || build=$src/$build
bin=$build/tigress-conformance
export TIGRESS_RELAY_BIN=${TIGRESS_RELAY_BIN:-$build/tigress-relay}
# shellcheck source=../tests/lib/relay-fixture.sh
source tests/lib/relay-fixture.sh

pass=0 fail=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAILED: $*"; fail=$((fail + 1)); }
work=$(mktemp -d)
proxy_pid= redis_pid=
cleanup() {
    [[ -n $proxy_pid ]] && kill "$proxy_pid" 2>/dev/null && wait "$proxy_pid" 2>/dev/null
    [[ -n $redis_pid ]] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
    relay_fixture_cleanup
    rm -rf "$work"
}
trap cleanup EXIT

# Options that make every check feasible against one relay: no rate limit and no creation
# quota (the tester makes ~100 mailboxes), the default 64 KiB body limit (R42 sends 1 MiB),
# short expirations accepted (R18) and a fast sweep.
RELAY_OPTS=(--rate-limit 0 --max-mailboxes-per-address 999999 --max-body 65536
            --max-expiry 86400 --sweep-interval 1 --metrics-listen 127.0.0.1:0)

# run_json NAME URL [ARGS...]: the tester with --json into $work/NAME.json; echoes its status
run_json() {
    local name=$1 url=$2
    shift 2
    "$bin" "$url" --ca-file "$TIGRESS_RELAY_CA" --json "$@" >"$work/$name.json" 2>"$work/$name.err"
    echo $?
}

# fails_of FILE: the IDs reported FAIL, comma-separated ("" when none); "?" if not JSON
fails_of() {
    python3 -c '
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except ValueError:
    print("?"); sys.exit()
print(",".join(x["id"] for x in d if x["result"] == "FAIL"))' "$1"
}

# show FILE: the failing checks' details, for the log
show() {
    python3 -c '
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except ValueError:
    print(open(sys.argv[1]).read()[:2000]); sys.exit()
for x in d:
    if x["result"] == "FAIL":
        print("    FAIL", x["id"], x["title"]); print(x["detail"], end="")' "$1"
}

# ---- 1. command line
"$bin" >/dev/null 2>&1; rc=$?
[[ $rc -eq 2 ]] && ok "no relay URL: exit 2" || bad "no relay URL: exit $rc, want 2"
"$bin" https://127.0.0.1:1 --only R99 >/dev/null 2>&1; rc=$?
[[ $rc -eq 2 ]] && ok "unknown check ID: exit 2" || bad "unknown check ID: exit $rc, want 2"
"$bin" http://relay.example >/dev/null 2>&1; rc=$?
[[ $rc -eq 2 ]] && ok "http:// without --insecure-loopback: exit 2" || bad "http:// URL: exit $rc"
"$bin" http://relay.example --insecure-loopback >/dev/null 2>&1; rc=$?
[[ $rc -eq 2 ]] && ok "--insecure-loopback on a non-loopback host: exit 2" ||
    bad "--insecure-loopback, non-loopback host: exit $rc"
"$bin" https://127.0.0.1:1 --timeout 2 >/dev/null 2>&1; rc=$?
[[ $rc -eq 1 ]] && ok "unreachable relay: exit 1" || bad "unreachable relay: exit $rc, want 1"
help=$("$bin" --help); rc=$?
missing=""
for s in NAME SYNOPSIS DESCRIPTION OPTIONS CHECKS "EXIT STATUS" EXAMPLES; do
    grep -q "^$s\$" <<<"$help" || missing+=" $s"
done
for id in R1 R3 R4 R5 R6 R7 R8 R9 R10 R11 R12 R13 R14 R15 R16 R17 R18 R19 R20 R21 R22 R23 R24 R25 \
          R26 R27 R28 R29 R30 R31 R32 R33 R34 R39 R40 R41 R42 X-longpoll X-preview-escaping \
          X-push-advertised; do
    grep -qE "^    $id +" <<<"$help" || missing+=" $id"
done
[[ $rc -eq 0 && -z $missing ]] && ok "--help: every section and check ID" ||
    bad "--help (exit $rc) lacks:$missing"

# ---- 2. SQLite
if ! relay_fixture_start "${RELAY_OPTS[@]}"; then
    bad "could not start tigress-relay"
    echo "$pass passed, $fail failed"
    exit 1
fi
url=$TIGRESS_RELAY_URL
out=$("$bin" "$url" --ca-file "$TIGRESS_RELAY_CA"); rc=$?
sed 's/^/    /' <<<"$out"
last=$(tail -n 1 <<<"$out")
if [[ $rc -eq 0 && $last =~ ^([0-9]+)\ passed,\ 0\ failed,\ 1\ skipped$ ]]; then
    ok "SQLite: every non-slow check passes ($last)"
else
    bad "SQLite: exit $rc, $last"
fi
rc=$(run_json sqlite-slow "$url" --slow --only R18)
f=$(fails_of "$work/sqlite-slow.json")
if [[ $rc -eq 0 && -z $f ]] && grep -q '"PASS"' "$work/sqlite-slow.json"; then
    ok "SQLite: R18 (slow, the shortest expiration) passes"
else
    bad "SQLite: R18 --slow: exit $rc, failed: $f"; show "$work/sqlite-slow.json"
fi
rc=$(run_json sqlite "$url")
n=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d), sum(x["result"]=="PASS" for x in d))' "$work/sqlite.json" 2>/dev/null)
if [[ $rc -eq 0 && $n == "40 39" ]]; then
    ok "SQLite --json: 40 checks, 39 PASS"
else
    bad "SQLite --json: exit $rc, checks/passes: $n"
fi
# cleanup: only the mailboxes made without the D right (R16, one per run) stay behind
mport=$(sed -n 's/^metrics on port \([0-9]*\)$/\1/p' "$TIGRESS_RELAY_DIR/relay.out" | head -n 1)
live=$(curl -s "http://127.0.0.1:$mport/metrics" | sed -n 's/^tigress_relay_mailboxes_live \([0-9]*\)$/\1/p')
if [[ -n $live && $live -le 3 ]]; then
    ok "the tester deleted its mailboxes ($live left: the ones without D, which expire)"
else
    bad "mailboxes left after three runs: '${live}' (metrics port '$mport')"
fi

# ---- 3. injected violations: FAULT=the check that must be the only FAIL
faults=(none= no-echo=R10 dup-create-200=R11 third-claim-delete=R21 non-v4-id=R5
        preview-script=R31 preview-quote=X-preview-escaping no-413=R42 ignore-inm=X-longpoll
        expiration-shift=R19 plain-http=R1 html-no-charset=R40 double-bind=R20
        dedupe-off-update=R12 dedupe-off-relinquish=R13 dedupe-ignores-claim=R14
        claim-unchecked=R8 fill-missing=R7 preview-unknown-200=R30 mangle-long-data=R34
        unversioned-routes=R3 attestation-400=R9)
for fw in "${faults[@]}"; do
    fault=${fw%%=*} want=${fw#*=}
    python3 tests/conformance/breaking_proxy.py --upstream "$url" --ca "$TIGRESS_RELAY_CA" \
        --cert "$TIGRESS_RELAY_DIR/cert.pem" --key "$TIGRESS_RELAY_DIR/key.pem" \
        --fault "$fault" >"$work/proxy-$fault.out" 2>"$work/proxy-$fault.err" &
    proxy_pid=$!
    purl=
    for _ in $(seq 100); do
        purl=$(sed -n 's/^listening on //p' "$work/proxy-$fault.out" 2>/dev/null)
        [[ -n $purl ]] && break
        sleep 0.1
    done
    if [[ -z $purl ]]; then
        bad "proxy --fault $fault did not start: $(cat "$work/proxy-$fault.err")"
    else
        rc=$(run_json "fault-$fault" "$purl")
        got=$(fails_of "$work/fault-$fault.json")
        want_rc=1
        [[ -z $want ]] && want_rc=0
        if [[ $got == "$want" && $rc -eq $want_rc ]]; then
            ok "proxy --fault $fault: ${want:-no check} FAILs, every other passes"
        else
            bad "proxy --fault $fault: failed checks '$got' (exit $rc), want '${want}'"
            show "$work/fault-$fault.json"
            sed 's/^/    /' "$work/fault-$fault.err" "$work/proxy-$fault.err"
        fi
    fi
    kill "$proxy_pid" 2>/dev/null
    wait "$proxy_pid" 2>/dev/null
    proxy_pid=
done
relay_fixture_cleanup

# ---- 3b. a plain-HTTP development relay (--insecure-loopback): R1 (and the slow R18) skip
pport=$(relay_fixture_free_port)
"$TIGRESS_RELAY_BIN" --listen "127.0.0.1:$pport" --insecure-loopback --store "$work/plain.db" \
    --rate-limit 0 --max-mailboxes-per-address 999999 >"$work/plain.out" 2>"$work/plain.log" &
plain_pid=$!
for _ in $(seq 100); do
    grep -q 'listening on http://' "$work/plain.out" 2>/dev/null && break
    sleep 0.05
done
out=$("$bin" "http://127.0.0.1:$pport" --insecure-loopback); rc=$?
last=$(tail -n 1 <<<"$out")
if [[ $rc -eq 0 && $last =~ ^[0-9]+\ passed,\ 0\ failed,\ 2\ skipped$ ]] &&
    grep -q '^SKIP R1 ' <<<"$out"; then
    ok "--insecure-loopback against a plain-HTTP loopback relay ($last)"
else
    bad "--insecure-loopback: exit $rc, $last"
    sed 's/^/    /' <<<"$out" | grep -v '^    PASS'
fi
kill "$plain_pid" 2>/dev/null
wait "$plain_pid" 2>/dev/null

# ---- 4. Redis
if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    echo "SKIP: redis-server not installed: the run against the Redis store is left out"
else
    rport=$(relay_fixture_free_port)
    redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no \
        --dir "$work" --daemonize no >"$work/redis.log" 2>&1 &
    redis_pid=$!
    for _ in $(seq 100); do
        redis-cli -p "$rport" ping >/dev/null 2>&1 && break
        sleep 0.05
    done
    if ! relay_fixture_start "${RELAY_OPTS[@]}" --store "redis://127.0.0.1:$rport/0"; then
        bad "could not start tigress-relay on Redis"
    else
        out=$("$bin" "$TIGRESS_RELAY_URL" --ca-file "$TIGRESS_RELAY_CA" --slow); rc=$?
        sed 's/^/    /' <<<"$out"
        last=$(tail -n 1 <<<"$out")
        if [[ $rc -eq 0 && $last =~ ^([0-9]+)\ passed,\ 0\ failed,\ 0\ skipped$ ]]; then
            ok "Redis: every check passes, R18 included ($last)"
        else
            bad "Redis: exit $rc, $last"
        fi
        keys=$(redis-cli -p "$rport" dbsize 2>/dev/null)
        [[ -n $keys && $keys -gt 0 ]] && ok "Redis: the relay stored its mailboxes in Redis" ||
            bad "Redis: the store holds no keys ('$keys'): was the relay really on Redis?"
    fi
fi

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
