#!/usr/bin/env bash
# make demo: a local relay and two CLI "devices" (Alice and Bob, each with its own state file),
# end to end: a stateless transfer, the preview page, a stateful transfer (TxInfo + signature),
# a revocation, then the Swift binding's example when a Swift toolchain is installed. Everything
# lives in a temp directory that is removed at the end, and the relay is stopped even when a
# step fails. Exits non-zero if any step does not do what it should.
#
# Environment: BUILD (default build) selects the build directory with tigress and tigress-relay.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
[[ "$BUILD" = /* ]] || BUILD="$src/$BUILD"
TIGRESS=$BUILD/tigress
export TIGRESS_RELAY_BIN=$BUILD/tigress-relay
for bin in "$TIGRESS" "$TIGRESS_RELAY_BIN"; do
    [[ -x "$bin" ]] || { echo "demo: $bin is missing; run make first" >&2; exit 1; }
done
# shellcheck source=../tests/lib/relay-fixture.sh
source "$src/tests/lib/relay-fixture.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/tigress-demo.XXXXXX")
cleanup() { relay_fixture_cleanup; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
start=$SECONDS

if [[ -t 1 ]]; then B=$'\e[1m' D=$'\e[2m' G=$'\e[32m' N=$'\e[0m'; else B= D= G= N=; fi
step() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
# cmdline CMD...: the command line as you would type it (on stderr, so that stdout stays the
# command's own output, e.g. for tee).
cmdline() {
    local out="tigress" a
    shift
    for a in "$@"; do
        if [[ "$a" =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then out+=" $a"; else out+=" '$a'"; fi
    done
    printf '%s$ %s%s\n' "$G" "$out" "$N" >&2
}
# show CMD...: print the command line, run it, show its output.
show() { cmdline "$@"; "$@"; }
# fails CODE CMD...: the command must fail with exit code CODE (its message is shown).
fails() {
    local want=$1 rc=0; shift
    cmdline "$@"
    "$@" || rc=$?
    [[ $rc -eq $want ]] || { echo "demo: expected exit $want, got $rc" >&2; exit 1; }
    printf '%s(exit %d, as expected)%s\n' "$D" "$rc" "$N"
}
# field KEY: read one string field of the JSON object on stdin (our own flat output).
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }

step "Starting a throw-away relay (test CA, certificate for 127.0.0.1, temporary SQLite store)"
relay_fixture_start
RELAY=$TIGRESS_RELAY_URL CA=$TIGRESS_RELAY_CA
echo "relay: $RELAY   CA: $CA"
cp "$CA" ca.pem
CONTENT='{"vehicle":"VIN-DEMO-1","key":"c2VjcmV0LWtleS1tYXRlcmlhbA=="}'

step "1. Stateless: Alice (initiator) shares a car key"
show "$TIGRESS" share --state alice.state --ca-file ca.pem --relay "$RELAY" \
    --format com.example.carkey --content "$CONTENT" --title "Car key" \
    --description "A key for the demo car" --vertical c --expires 1h | tee share.out
URL=$(awk '/^Share URL:/ {print $3}' share.out)
echo "${D}(Alice sends this URL to Bob over any messenger; the #fragment is the Secret.)${N}"

step "A messaging app fetches the link preview (public page: no Secret, never binds)"
printf '%s$ curl --cacert ca.pem %s%s\n' "$G" "'${URL%%#*}'" "$N" >&2
curl -fsS --cacert ca.pem "${URL%%#*}" | grep -o '<meta property="og:[a-z]*" content="[^"]*"'

step "Bob (recipient) redeems the URL on his phone"
show "$TIGRESS" redeem --state bob.state --ca-file ca.pem "$URL"

step "Bob provisions the key and completes: the relay deletes the mailbox"
show "$TIGRESS" complete --state bob.state

step "Alice checks: the transfer is complete"
show "$TIGRESS" wait --state alice.state

step "2. Stateful: Alice makes a signing key (she will approve Bob's device key)"
show "$TIGRESS" keygen --key alice.key | tee keygen.out
PUB=$(awk '/^Public key:/ {print $3}' keygen.out)

step "Alice shares a home key with TxInfo round trips (AES-256-GCM)"
show "$TIGRESS" share --json --stateful --state alice2.state --ca-file ca.pem --relay "$RELAY" \
    --format com.example.homekey --content '{"door":"front"}' --title "Home key" --vertical h \
    --payload-type AEAD_AES_256_GCM | tee share2.json
echo
URL2=$(field share_url < share2.json)

step "Bob redeems, trusting Alice's public key for the approval"
show "$TIGRESS" redeem --state bob2.state --ca-file ca.pem --peer-key "$PUB" "$URL2"

step "Bob sends Transaction Information (his new device public key)"
show "$TIGRESS" update --state bob2.state --txinfo-type com.example.devicekey \
    --txinfo 04b1d2e3f405060708

step "Alice waits for Bob's TxInfo"
show "$TIGRESS" wait --state alice2.state

step "Alice approves: signs the TxInfo with her key"
show "$TIGRESS" approve --state alice2.state --key alice.key

step "Bob waits for the signature and verifies it"
show "$TIGRESS" wait --state bob2.state

step "Bob completes; Alice sees it"
show "$TIGRESS" complete --state bob2.state
show "$TIGRESS" wait --state alice2.state

step "3. Revocation: Alice shares a badge, then changes her mind"
show "$TIGRESS" share --json --state alice3.state --ca-file ca.pem --relay "$RELAY" \
    --format com.example.badge --content '{"badge":"42"}' --title "Office badge" --vertical a \
    | tee share3.json
echo
URL3=$(field share_url < share3.json)
show "$TIGRESS" revoke --state alice3.state

step "Bob tries the revoked link: it fails with a clear message (exit code 6: gone)"
fails 6 "$TIGRESS" redeem --state bob3.state --ca-file ca.pem "$URL3"

# 4. The Swift binding, when a Swift toolchain is installed (bindings/swift/swift-env.sh finds
# it on PATH or in /opt/swift*): Sources/Example does a transfer with async/await.
# shellcheck source=../bindings/swift/swift-env.sh
source "$src/bindings/swift/swift-env.sh"
swift_done=""
if swift_env_init "$src" "$BUILD"; then
    swift_done=" and the Swift example"
    step "4. Swift: the same transfer from the Swift binding (bindings/swift, TigressExample)"
    swift_log=$work/swift-build.log
    if ! "$SWIFT" build "${SWIFT_ARGS[@]}" --product TigressExample >"$swift_log" 2>&1; then
        cat "$swift_log" >&2
        echo "demo: the Swift example did not build" >&2
        exit 1
    fi
    swift_bin=$("$SWIFT" build "${SWIFT_ARGS[@]}" --show-bin-path)
    printf '%s$ TigressExample %s ca.pem%s\n' "$G" "$RELAY" "$N" >&2
    "$swift_bin/TigressExample" "$RELAY" ca.pem
else
    step "4. Swift: skipped (no Swift toolchain on PATH or in /opt/swift*)"
fi

step "Stopping the relay"
relay_fixture_stop
printf '\n%sDemo finished in %d s: stateless, preview, stateful, revocation%s all worked.%s\n' \
    "$B" $((SECONDS - start)) "$swift_done" "$N"
