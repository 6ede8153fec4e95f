#!/usr/bin/env bash
# CLI tests: the two-device story scripted through the `tigress` binary against a real relay
# over HTTPS on loopback (tests/lib/relay-fixture.sh). Checks output, exit codes (2 usage,
# 3 network, 4 refused, 5 crypto, 6 gone), --json, state-file permissions and continuation from
# another shell, and that an installed library builds the README example via pkg-config.
# Ends with "N passed, N failed"; exits non-zero when anything failed.
#
# Environment: BUILD (default build), TIGRESS_CLI (default $BUILD/tigress),
# TIGRESS_RELAY_BIN (default $BUILD/tigress-relay), CLI_TESTS_SKIP_INSTALL=1 to skip the
# install check (it builds the library again in a scratch directory).
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
[[ "$BUILD" = /* ]] || BUILD="$src/$BUILD"
T=${TIGRESS_CLI:-$BUILD/tigress}
export TIGRESS_RELAY_BIN=${TIGRESS_RELAY_BIN:-$BUILD/tigress-relay}
# shellcheck source=../lib/relay-fixture.sh
source "$src/tests/lib/relay-fixture.sh"

pass=0 fail=0
work=$(mktemp -d "${TMPDIR:-/tmp}/tigress-cli-tests.XXXXXX")
trap 'relay_fixture_cleanup; rm -rf "$work"' EXIT
cd "$work" || exit 1

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
# check NAME TEST...: a bash test expression given as a command.
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }
contains() { [[ "$1" == *"$2"* ]]; }
matches() { [[ "$1" =~ $2 ]]; }      # regular expression
like() { [[ "$1" == $2 ]]; }         # glob pattern
json_ok() { python3 -m json.tool >/dev/null 2>&1 <<<"$1"; }
jget() { python3 -c 'import json,sys; v=json.loads(sys.argv[1]); [v:=v[k] for k in sys.argv[2:]]; print(v)' "$@"; }
mode() { stat -c %a "$1"; }

if ! relay_fixture_start --rate-limit 0; then
    echo "cannot start the relay"; echo "0 passed, 1 failed"; exit 1
fi
R=$TIGRESS_RELAY_URL CA=$TIGRESS_RELAY_CA
CONTENT='{"vehicle":"VIN42","key":"c2VjcmV0"}'

echo "# help and usage errors"
expect "tigress --help" 0 "$T" --help
check "--help documents the exit codes" contains "$out" "6  gone"
for cmd in share redeem update wait approve complete revoke relinquish status keygen preview; do
    run "$T" "$cmd" --help
    if [[ $rc -eq 0 && "$out" == *"Usage: tigress $cmd"* && "$out" == *"Exit codes"* ]]; then
        ok "tigress $cmd --help"; else not_ok "tigress $cmd --help (exit $rc)"; fi
done
expect "no arguments is a usage error" 2 "$T"
expect "unknown command" 2 "$T" frobnicate
expect "unknown option" 2 "$T" share --bogus
expect "share without --relay" 2 "$T" share --format f --content '{}' --title t
check "the message names the missing option" contains "$err" "--relay"
expect "bad --expires" 2 "$T" share --relay "$R" --format f --content '{}' --title t --expires soon
expect "bad --vertical" 2 "$T" share --relay "$R" --format f --content '{}' --title t --vertical x
expect "bad --payload-type" 2 "$T" share --relay "$R" --format f --content '{}' --title t --payload-type ROT13
expect "status without --state" 2 "$T" status
expect "missing state file" 2 "$T" status --state nonexistent.state
expect "http relay without --insecure-loopback" 2 "$T" share --relay "http://127.0.0.1:1" \
    --format f --content '{}' --title t
run "$T" share --json --format f --content '{}' --title t
check "usage error with --json is one JSON object" json_ok "$out"

echo "# keygen"
expect "keygen" 0 "$T" keygen --key alice.key
check "key file is 0600" [ "$(mode alice.key)" = 600 ]
PUB=$(awk '/Public key:/ {print $3}' <<<"$out")
printf '%s' "$PUB" > alice.key.pub
check "public key is 64 hex digits" matches "$PUB" '^[0-9a-f]{64}$'
expect "keygen refuses to overwrite" 2 "$T" keygen --key alice.key

echo "# stateless transfer, two devices"
expect "alice shares (--json)" 0 "$T" share --json --state alice.state --ca-file "$CA" --relay "$R" \
    --format com.example.car --content "$CONTENT" --title "Car key" --description "demo" \
    --expires 2h --vertical c
check "share --json is valid JSON" json_ok "$out"
URL=$(jget "$out" share_url)
check "the Share URL has the Secret in its fragment" like "$URL" "$R/v1/m/*?v=c#*"
check "alice.state is 0600" [ "$(mode alice.state)" = 600 ]
expect "a state file in a missing directory is refused before sharing" 2 "$T" share \
    --state nodir/x.state --ca-file "$CA" --relay "$R" --format f --content '{}' --title t
expect "alice shares again into a busy state file" 2 "$T" share --state alice.state --ca-file "$CA" \
    --relay "$R" --format f --content '{}' --title t
expect "preview page" 0 "$T" preview "$URL" --ca-file "$CA"
check "preview shows the title" contains "$out" "Car key"
check "preview never prints the Secret" [ "${out/${URL#*#}/}" = "$out" ]
expect "bob redeems" 0 "$T" redeem --state bob.state --ca-file "$CA" "$URL"
check "bob sees the content" contains "$out" '"vehicle":"VIN42"'
check "bob.state is 0600" [ "$(mode bob.state)" = 600 ]
expect "carol (third device) is refused: relay refusal" 4 "$T" redeem --ca-file "$CA" "$URL"
check "the refusal names HTTP 401" contains "$err" "HTTP 401"
expect "bob completes" 0 "$T" complete --state bob.state
expect "alice waits: completed" 0 "$T" wait --state alice.state --json --quiet
check "wait --json is valid JSON" json_ok "$out"
check "alice's transfer is COMPLETED" [ "$(jget "$out" state)" = COMPLETED ]
expect "status --json" 0 "$T" status --state alice.state --json
check "status --json is valid JSON without the Secret" json_ok "$out"
check "status never prints the Secret" [ "${out/${URL#*#}/}" = "$out" ]
expect "bob completes again: already done" 2 "$T" complete --state bob.state

echo "# share options"
WHEN=$(date -u -d '+3 hours' +%Y-%m-%dT%H:%M:%SZ)
expect "--expires as RFC 3339" 0 "$T" share --json --ca-file "$CA" --relay "$R" --format f \
    --content '{}' --title t --expires "$WHEN"
check "the expiry is the one asked for" [ "$(jget "$out" expires)" = "$WHEN" ]
expect "--expires as a duration" 0 "$T" share --json --ca-file "$CA" --relay "$R" --format f \
    --content '{}' --title t --expires 1h30m
check "1h30m is 5400 s from now" python3 -c 'import sys,datetime as d
e=d.datetime.strptime(sys.argv[1],"%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=d.timezone.utc)
s=(e-d.datetime.now(d.timezone.utc)).total_seconds(); sys.exit(0 if 5300<s<=5400 else 1)' "$(jget "$out" expires)"
expect "--expires beyond the relay's limit is refused" 4 "$T" share --ca-file "$CA" --relay "$R" \
    --format f --content '{}' --title t --expires 30d
expect "--content that is not a JSON object" 2 "$T" share --ca-file "$CA" --relay "$R" --format f \
    --content 'not json' --title t
printf '%s' "$CONTENT" > content.json
expect "--content @FILE and --qr" 0 "$T" share --ca-file "$CA" --relay "$R" --format f \
    --content @content.json --title t --qr
check "--qr draws with half blocks" contains "$out" "▀"
expect "--content @missing-file" 2 "$T" share --ca-file "$CA" --relay "$R" --format f \
    --content @missing.json --title t
expect "--push-token without a type" 2 "$T" share --ca-file "$CA" --relay "$R" --format f \
    --content '{}' --title t --push-token nocolon

echo "# payload types"
for type in XSALSA20_POLY1305 AEAD_AES_128_GCM AEAD_AES_256_GCM; do
    run "$T" share --json --ca-file "$CA" --relay "$R" --format f --content '{"t":1}' --title t \
        --payload-type "$type"
    u=$(jget "$out" share_url 2>/dev/null)
    run "$T" redeem --json --ca-file "$CA" "$u"
    if [[ $rc -eq 0 && "$(jget "$out" payload_type)" == "$type" ]]; then ok "round trip with $type"
    else not_ok "round trip with $type (exit $rc)" "$err"; fi
done

echo "# Secret sent apart; wrong Secret"
expect "share --secret-apart" 0 "$T" share --json --state apart.state --ca-file "$CA" --relay "$R" \
    --format f --content "$CONTENT" --title t --secret-apart --payload-type AEAD_AES_128_GCM
BARE=$(jget "$out" url) SECRET=$(jget "$out" secret)
check "the URL has no fragment" [ "${BARE%%#*}" = "$BARE" ]
run "$T" redeem --ca-file "$CA" "$BARE" --secret "AAAAAAAAAAAAAAAAAAAAAA=="
if [[ $rc -eq 5 ]]; then ok "wrong Secret: crypto error (exit 5)"; else not_ok "wrong Secret: exit $rc, expected 5" "$err"; fi
check "the error names the problem" contains "$err" "TIGRESS_E_CRYPTO"
check "the error does not echo the Secret" [ "${err/AAAAAAAAAAAAAAAAAAAAAA/}" = "$err" ]
expect "share again for the right Secret" 0 "$T" share --json --ca-file "$CA" --relay "$R" \
    --format f --content "$CONTENT" --title t --secret-apart
BARE=$(jget "$out" url) SECRET=$(jget "$out" secret)
printf '%s\n' "$SECRET" > secret.txt
expect "redeem with --secret @FILE" 0 "$T" redeem --ca-file "$CA" "$BARE" --secret @secret.txt

echo "# revocation"
expect "alice shares" 0 "$T" share --json --state rev.state --ca-file "$CA" --relay "$R" \
    --format f --content "$CONTENT" --title t
URL=$(jget "$out" share_url)
expect "bob redeems before the revocation" 0 "$T" redeem --state revbob.state --ca-file "$CA" "$URL"
expect "alice revokes" 0 "$T" revoke --state rev.state
expect "bob's status --poll: gone" 6 "$T" status --state revbob.state --poll
check "the message says revoked" contains "$err" "REVOKED"
expect "bob's status now" 0 "$T" status --state revbob.state
check "bob's transfer is REVOKED" contains "$out" "REVOKED"
expect "another device redeeming a revoked share: gone" 6 "$T" redeem --ca-file "$CA" "$URL"
check "the message says the mailbox is gone" contains "$err" "revoked"
expect "revoking again: already revoked" 6 "$T" revoke --state rev.state
run "$T" redeem --json --ca-file "$CA" "$URL"
check "a --json error is one JSON object" json_ok "$out"
check "the JSON error names the status" [ "$(jget "$out" error code 2>/dev/null)" = TIGRESS_E_NOT_FOUND ]

echo "# network and TLS failures"
expect "unreachable relay: network error" 3 "$T" share --ca-file "$CA" --relay "https://127.0.0.1:1" \
    --format f --content '{}' --title t
expect "relay certificate not trusted: network (TLS) error" 3 "$T" share --relay "$R" \
    --format f --content '{}' --title t
check "the TLS error suggests --ca-file" contains "$err" "--ca-file"
expect "a share nobody redeems" 0 "$T" share --state slow.state --ca-file "$CA" \
    --relay "$R" --format f --content '{}' --title t
expect "wait --timeout 2s times out" 3 "$T" wait --state slow.state --timeout 2s --quiet
check "the timeout leaves the transfer CREATED" contains "$("$T" status --state slow.state)" "CREATED"
# Ctrl-C during wait: signalled once the wait has reported progress (so the handler is in place).
"$T" wait --state slow.state 2>"$work/wait.err" & wpid=$!
for ((i = 0; i < 600; i++)); do grep -q "waiting for the peer" "$work/wait.err" && break; sleep 0.05; done
kill -INT "$wpid"; wait "$wpid"; rc=$?
check "Ctrl-C ends wait with exit 130" [ "$rc" = 130 ]
check "Ctrl-C says the wait was cancelled" grep -q "TIGRESS_E_CANCELLED" "$work/wait.err"
check "Ctrl-C leaves the transfer CREATED" contains "$("$T" status --state slow.state)" "CREATED"

echo "# relinquish"
run "$T" share --json --ca-file "$CA" --relay "$R" --format f --content "$CONTENT" --title t
URL=$(jget "$out" share_url)
expect "bob redeems" 0 "$T" redeem --state bob2.state --ca-file "$CA" "$URL"
expect "bob relinquishes" 0 "$T" relinquish --state bob2.state
expect "carol can now redeem" 0 "$T" redeem --state carol.state --ca-file "$CA" "$URL"
expect "carol completes" 0 "$T" complete --state carol.state

echo "# state without the Secret"
run "$T" share --json --ca-file "$CA" --relay "$R" --format f --content "$CONTENT" --title t --secret-apart
BARE=$(jget "$out" url) SECRET=$(jget "$out" secret)
expect "bob redeems, saving no Secret" 0 "$T" redeem --state nosecret.state --state-without-secret \
    --ca-file "$CA" "$BARE" --secret "$SECRET"
check "the state file does not hold the Secret" [ "$(grep -cF -- "$SECRET" nosecret.state)" = 0 ]
expect "complete without --secret is a usage error" 2 "$T" complete --state nosecret.state
expect "complete with --secret" 0 "$T" complete --state nosecret.state --secret "$SECRET"

echo "# stateful transfer, each step from a separate shell"
expect "bob's key for the wrong-key case" 0 "$T" keygen --key mallory.key
MPUB=$(awk '/Public key:/ {print $3}' <<<"$out")
expect "alice shares --stateful (shell 1)" 0 bash -c "'$T' share --json --stateful --state sa.state \
    --ca-file '$CA' --relay '$R' --format f --content '$CONTENT' --title t --payload-type AEAD_AES_256_GCM"
URL=$(jget "$out" share_url)
expect "bob redeems with --peer-key (shell 2)" 0 env -i PATH="$PATH" bash -c \
    "'$T' redeem --state sb.state --ca-file '$CA' --peer-key $PUB '$URL'"
check "bob sees a stateful transfer" contains "$out" "Stateful:     yes"
expect "bob sends TxInfo (shell 3)" 0 env -i PATH="$PATH" bash -c \
    "'$T' update --state sb.state --txinfo-type com.example.pubkey --txinfo 04a1b2c3d4"
expect "alice waits for the TxInfo (shell 4, CA from the state file)" 0 env -i PATH="$PATH" bash -c \
    "'$T' wait --state sa.state --json --quiet"
check "alice is in TXINFO_RECEIVED" [ "$(jget "$out" state)" = TXINFO_RECEIVED ]
check "alice sees bob's TxInfo" [ "$(jget "$out" txinfo)" = 04a1b2c3d4 ]
expect "approve without --key" 2 "$T" approve --state sa.state
expect "alice approves (shell 5)" 0 env -i PATH="$PATH" bash -c "'$T' approve --state sa.state --key alice.key"
expect "bob waits: the signature verifies" 0 "$T" wait --state sb.state --json --quiet
check "bob is SIGNED" [ "$(jget "$out" state)" = SIGNED ]
expect "bob completes" 0 "$T" complete --state sb.state
expect "alice waits: completed" 0 "$T" wait --state sa.state --quiet
check "alice's transfer is COMPLETED" contains "$out" "COMPLETED"

echo "# stateful transfer approved with the wrong key"
run "$T" share --json --stateful --state wa.state --ca-file "$CA" --relay "$R" --format f \
    --content "$CONTENT" --title t
URL=$(jget "$out" share_url)
expect "bob redeems" 0 "$T" redeem --state wb.state --ca-file "$CA" --peer-key "$PUB" "$URL"
expect "bob sends TxInfo" 0 "$T" update --state wb.state --txinfo-type t --txinfo 0102
expect "alice waits" 0 "$T" wait --state wa.state --quiet
expect "alice approves with another key" 0 "$T" approve --state wa.state --key mallory.key
expect "bob's wait rejects the signature: crypto error" 5 "$T" wait --state wb.state --quiet --timeout 20s
check "the error names the signature" contains "$err" "SIGNATURE"
expect "bob is still waiting (state unchanged)" 0 "$T" status --state wb.state --json
check "bob's state is WAITING_FOR_PEER" [ "$(jget "$out" state)" = WAITING_FOR_PEER ]

echo "# a stateful Recipient must say whose signature it expects"
run "$T" share --json --stateful --ca-file "$CA" --relay "$R" --format f --content "$CONTENT" --title t
URL=$(jget "$out" share_url)
expect "bob redeems without --peer-key" 0 "$T" redeem --state np.state --ca-file "$CA" "$URL"
check "redeem tells bob to pass --peer-key" contains "$out" "--peer-key"
expect "bob sends TxInfo" 0 "$T" update --state np.state --txinfo-type t --txinfo @alice.key.pub
expect "wait without --peer-key is a usage error" 2 "$T" wait --state np.state --quiet
expect "wait with --peer-key remembers it" 3 "$T" wait --state np.state --peer-key "$MPUB" --timeout 1s --quiet
check "the peer key is saved in the state file" [ "$(grep -c "$MPUB" np.state)" = 1 ]

if [[ "${CLI_TESTS_SKIP_INSTALL:-0}" != 1 ]]; then
    echo "# installed library: pkg-config and the README example"
    inst=$work/inst
    if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$src" --no-print-directory -j2 \
        BUILD="$work/build" PREFIX=/usr DESTDIR="$inst" install >"$work/install.log" 2>&1; then
        ok "make install DESTDIR=... PREFIX=/usr"
    else
        not_ok "make install" "$(tail -20 "$work/install.log")"
    fi
    export PKG_CONFIG_PATH=$inst/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$inst
    flags=$(pkg-config --cflags --libs libtigress 2>&1)
    check "pkg-config finds the installed libtigress" contains "$flags" "-L$inst/usr/lib"
    # shellcheck disable=SC2086
    if cc -std=c11 -Wall -Wextra -Werror -o "$work/stateless" "$src/examples/stateless.c" $flags \
        2>"$work/cc.log"; then ok "examples/stateless.c compiles against the installed library"
    else not_ok "examples/stateless.c against the installed library" "$(<"$work/cc.log")"; fi
    unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
    expect "the installed example runs a transfer" 0 env LD_LIBRARY_PATH="$inst/usr/lib" \
        "$work/stateless" "$R" "$CA"
    expect "the installed tigress runs" 0 env LD_LIBRARY_PATH="$inst/usr/lib" "$inst/usr/bin/tigress" version
    check "the installed tigress has no rpath into the build tree" \
        [ "$(readelf -d "$inst/usr/bin/tigress" | grep -c 'RPATH\|RUNPATH')" = 0 ]
fi

echo
echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
