#!/usr/bin/env bash
# Interop tests: the `tigress` CLI (libtigress) against tests/interop/draft_peer.py, a peer
# written from docs/protocol.md alone (no "tigress" member in its messages), over a real relay
# (tests/lib/relay-fixture.sh). Both roles, both flows, every payload type the peer supports
# (XSALSA20_POLY1305 only with PyNaCl), forged approvals, the largest TxInfo (16 KiB,
# TIGRESS__TXINFO_MAX in lib/message.h; docs/protocol.md §5), and the committed vectors
# (tests/interop/vectors/, docs/test-vectors.md) checked by the peer. The libtigress side is
# the CLI, and once per role tests/interop/c_driver.c on the C API directly.
# Ends with "N passed, N failed"; exits non-zero when anything failed.
#
# Environment: BUILD (default build), TIGRESS_CLI (default $BUILD/tigress), TIGRESS_RELAY_BIN
# (default $BUILD/tigress-relay), PYTHON3 (default /usr/bin/python3, where Debian's
# python3-cryptography and python3-nacl are), TIGRESS_INTEROP_C_DRIVER (default
# $BUILD/tests/interop/c_driver).
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
[[ "$BUILD" = /* ]] || BUILD="$src/$BUILD"
T=${TIGRESS_CLI:-$BUILD/tigress}
PY=${PYTHON3:-/usr/bin/python3}
P=("$PY" "$src/tests/interop/draft_peer.py")
export TIGRESS_RELAY_BIN=${TIGRESS_RELAY_BIN:-$BUILD/tigress-relay}
# shellcheck source=../lib/relay-fixture.sh
source "$src/tests/lib/relay-fixture.sh"

skip=0
work=$(mktemp -d "${TMPDIR:-/tmp}/tigress-interop.XXXXXX")
trap 'relay_fixture_cleanup; rm -rf "$work"' EXIT
cd "$work" || exit 1

# shellcheck source=../lib/shell-checks.sh
source "$src/tests/lib/shell-checks.sh"
jget() { "$PY" -c 'import json,sys; v=json.loads(sys.argv[1]); [v:=v[k] for k in sys.argv[2:]]; print(v if not isinstance(v,(dict,list)) else json.dumps(v,sort_keys=True,separators=(",",":")))' "$@" 2>/dev/null; }
eq() { [[ "$1" == "$2" ]]; }

if ! "$PY" -c 'import cryptography' 2>/dev/null; then
    echo "interop: $PY has no cryptography module (Debian: python3-cryptography)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
relay_fixture_start >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
R=$TIGRESS_RELAY_URL CA=$TIGRESS_RELAY_CA
TIMEOUT=$((30 * $(relay_fixture_time_scale)))

CONTENT='{"door":"front","key":"c2VjcmV0LWtleS1tYXRlcmlhbA=="}'
FORMAT=com.example.homekey
TYPES=$("${P[@]}" types)
echo "# the draft peer supports: $TYPES"

echo "# vectors (tests/interop/vectors) decrypt and verify in the draft peer"
expect "draft peer checks the committed vectors" 0 "${P[@]}" check-vectors \
    "$src/tests/interop/vectors/interop.json"

read -r DSEED DPUB <<<"$("${P[@]}" keygen)"     # the draft Initiator's key
read -r XSEED _ <<<"$("${P[@]}" keygen)"        # someone else's key (forgeries)
expect "CLI keygen (the CLI Initiator's key)" 0 "$T" keygen --key alice.key --json
APUB=$(jget "$out" public_key)
expect "CLI keygen (another key)" 0 "$T" keygen --key mallory.key --json

for TYPE in AEAD_AES_128_GCM AEAD_AES_256_GCM XSALSA20_POLY1305; do
    if [[ " $TYPES " != *" $TYPE "* ]]; then
        echo "# $TYPE: skipped, the draft peer cannot do it here (PyNaCl missing)"
        skip=$((skip + 1))
        continue
    fi
    s=${TYPE,,}

    echo "# $TYPE stateless: draft Initiator -> CLI Recipient"
    expect "$s: draft peer shares" 0 "${P[@]}" share --relay "$R" --ca "$CA" --state "d1-$s" \
        --type "$TYPE" --format "$FORMAT" --content "$CONTENT"
    URL=$out
    expect "$s: CLI redeems" 0 "$T" redeem --json --state "c1-$s" --ca-file "$CA" "$URL"
    check "$s: CLI sees the draft peer's format" eq "$(jget "$out" format)" "$FORMAT"
    check "$s: CLI sees the content" eq "$(jget "$out" content)" \
        "$(jget "$CONTENT")"
    check "$s: CLI reports the flow unknown (no tigress member)" eq "$(jget "$out" flow)" unknown
    check "$s: CLI reports the payload type" eq "$(jget "$out" payload_type)" "$TYPE"
    expect "$s: CLI completes" 0 "$T" complete --state "c1-$s"
    expect "$s: draft peer sees the mailbox gone" 0 "${P[@]}" wait-gone --state "d1-$s" --timeout "$TIMEOUT"

    echo "# $TYPE stateful: draft Initiator -> CLI Recipient"
    expect "$s: draft peer shares (RWD)" 0 "${P[@]}" share --relay "$R" --ca "$CA" \
        --state "d2-$s" --type "$TYPE" --format "$FORMAT" --content "$CONTENT" --stateful
    URL=$out
    expect "$s: CLI redeems with --peer-key" 0 "$T" redeem --state "c2-$s" --ca-file "$CA" \
        --peer-key "$DPUB" "$URL"
    check "$s: redeem prints Flow: unknown" grep -q "Flow: *unknown" <<<"$out"
    expect "$s: CLI sends TxInfo" 0 "$T" update --state "c2-$s" --txinfo-type com.example.pubkey \
        --txinfo 04a1b2c3d4e5
    expect "$s: CLI status" 0 "$T" status --json --state "c2-$s"
    check "$s: the flow is now stateful" eq "$(jget "$out" flow)" stateful
    expect "$s: draft peer reads the TxInfo" 0 "${P[@]}" wait-txinfo --state "d2-$s" --timeout "$TIMEOUT"
    check "$s: draft peer got the TxInfo bytes" eq "$out" 04a1b2c3d4e5
    if [[ $TYPE == AEAD_AES_128_GCM ]]; then
        expect "$s: draft peer approves with another key (forged)" 0 "${P[@]}" approve \
            --state "d2-$s" --key "$XSEED"
        expect "$s: CLI rejects the forged approval: crypto error" 5 "$T" wait --state "c2-$s" \
            --quiet --timeout 20s
        check "$s: the error names the signature" grep -q SIGNATURE <<<"$err"
        expect "$s: draft peer signs another TxInfo (forged)" 0 "${P[@]}" approve \
            --state "d2-$s" --key "$DSEED" --txinfo 04a1b2c3d4e6
        expect "$s: CLI rejects a signature over another TxInfo" 5 "$T" wait --state "c2-$s" \
            --quiet --timeout 20s
        expect "$s: CLI is still WAITING_FOR_PEER" 0 "$T" status --json --state "c2-$s"
        check "$s: state unchanged" eq "$(jget "$out" state)" WAITING_FOR_PEER
    fi
    expect "$s: draft peer approves" 0 "${P[@]}" approve --state "d2-$s" --key "$DSEED"
    expect "$s: CLI verifies the approval" 0 "$T" wait --json --quiet --state "c2-$s" --timeout 20s
    check "$s: CLI is SIGNED" eq "$(jget "$out" state)" SIGNED
    expect "$s: CLI completes" 0 "$T" complete --state "c2-$s"
    expect "$s: draft peer sees the mailbox gone" 0 "${P[@]}" wait-gone --state "d2-$s" --timeout "$TIMEOUT"

    echo "# $TYPE stateless: CLI Initiator -> draft Recipient"
    expect "$s: CLI shares" 0 "$T" share --json --state "c3-$s" --ca-file "$CA" --relay "$R" \
        --format "$FORMAT" --content "$CONTENT" --title t --payload-type "$TYPE"
    URL=$(jget "$out" share_url)
    expect "$s: draft peer redeems" 0 "${P[@]}" redeem --ca "$CA" --state "d3-$s" "$URL"
    check "$s: draft peer sees the content" eq "$(jget "$out" content)" "$(jget "$CONTENT")"
    check "$s: draft peer sees stateful=false" eq "$(jget "$out" stateful)" False
    expect "$s: draft peer completes" 0 "${P[@]}" complete --state "d3-$s"
    expect "$s: CLI sees the transfer completed" 0 "$T" wait --quiet --state "c3-$s" --timeout 20s
    check "$s: CLI is COMPLETED" grep -q COMPLETED <<<"$out"

    echo "# $TYPE stateful: CLI Initiator -> draft Recipient"
    expect "$s: CLI shares --stateful" 0 "$T" share --json --stateful --state "c4-$s" \
        --ca-file "$CA" --relay "$R" --format "$FORMAT" --content "$CONTENT" --title t \
        --payload-type "$TYPE"
    URL=$(jget "$out" share_url)
    expect "$s: draft peer redeems" 0 "${P[@]}" redeem --ca "$CA" --state "d4-$s" "$URL"
    check "$s: draft peer sees stateful=true" eq "$(jget "$out" stateful)" True
    expect "$s: draft peer sends TxInfo" 0 "${P[@]}" update --state "d4-$s" \
        --txinfo-type com.example.pubkey --txinfo 0a0b0c
    expect "$s: CLI reads the TxInfo" 0 "$T" wait --json --quiet --state "c4-$s" --timeout 20s
    check "$s: CLI is TXINFO_RECEIVED" eq "$(jget "$out" state)" TXINFO_RECEIVED
    check "$s: CLI sees the TxInfo bytes" eq "$(jget "$out" txinfo)" 0a0b0c
    if [[ $TYPE == AEAD_AES_128_GCM ]]; then
        expect "$s: CLI approves with the wrong key" 0 "$T" approve --state "c4-$s" --key mallory.key
        expect "$s: draft peer rejects the signature" 5 "${P[@]}" wait-approval --state "d4-$s" \
            --peer-key "$APUB" --timeout "$TIMEOUT"
    else
        expect "$s: CLI approves" 0 "$T" approve --state "c4-$s" --key alice.key
        expect "$s: draft peer verifies the signature" 0 "${P[@]}" wait-approval --state "d4-$s" \
            --peer-key "$APUB" --timeout "$TIMEOUT"
    fi
    expect "$s: draft peer completes" 0 "${P[@]}" complete --state "d4-$s"
    expect "$s: CLI sees the transfer completed" 0 "$T" wait --quiet --state "c4-$s" --timeout 20s
    check "$s: CLI is COMPLETED" grep -q COMPLETED <<<"$out"
done

echo "# the largest TxInfo (16384 bytes, docs/protocol.md §5) both ways, AEAD_AES_256_GCM"
"$PY" -c 'import os,sys; open(sys.argv[1],"wb").write(os.urandom(16384)); open(sys.argv[2],"wb").write(os.urandom(16385))' \
    max.bin over.bin
MAXHEX=$(od -An -v -tx1 max.bin | tr -d ' \n')
expect "max: draft peer shares" 0 "${P[@]}" share --relay "$R" --ca "$CA" --state dm \
    --type AEAD_AES_256_GCM --format "$FORMAT" --content "$CONTENT" --stateful
URL=$out
expect "max: CLI redeems" 0 "$T" redeem --state cm --ca-file "$CA" --peer-key "$DPUB" "$URL"
expect "max: CLI refuses 16385 bytes of TxInfo" 2 "$T" update --state cm --txinfo-type big \
    --txinfo @over.bin
expect "max: CLI sends 16384 bytes of TxInfo" 0 "$T" update --state cm --txinfo-type big \
    --txinfo @max.bin
expect "max: draft peer reads them" 0 "${P[@]}" wait-txinfo --state dm --timeout "$TIMEOUT"
check "max: the bytes arrived whole" eq "$out" "$MAXHEX"
expect "max: draft peer approves" 0 "${P[@]}" approve --state dm --key "$DSEED"
expect "max: CLI verifies" 0 "$T" wait --quiet --state cm --timeout 20s
expect "max: CLI completes" 0 "$T" complete --state cm

expect "max: CLI shares --stateful" 0 "$T" share --json --stateful --state cm2 --ca-file "$CA" \
    --relay "$R" --format "$FORMAT" --content "$CONTENT" --title t --payload-type AEAD_AES_256_GCM
URL=$(jget "$out" share_url)
expect "max: draft peer redeems" 0 "${P[@]}" redeem --ca "$CA" --state dm2 "$URL"
expect "max: draft peer sends 16384 bytes of TxInfo" 0 "${P[@]}" update --state dm2 \
    --txinfo-type big --txinfo @max.bin
expect "max: CLI reads them" 0 "$T" wait --json --quiet --state cm2 --timeout 20s
check "max: CLI got the 16384 bytes" eq "$(jget "$out" txinfo)" "$MAXHEX"
expect "max: CLI approves" 0 "$T" approve --state cm2 --key alice.key
expect "max: draft peer verifies" 0 "${P[@]}" wait-approval --state dm2 --peer-key "$APUB" \
    --timeout "$TIMEOUT"
expect "max: draft peer completes" 0 "${P[@]}" complete --state dm2

echo "# the C API directly (tests/interop/c_driver.c), AEAD_AES_128_GCM, both roles"
C=${TIGRESS_INTEROP_C_DRIVER:-$BUILD/tests/interop/c_driver}
if [[ -x "$C" ]]; then
    expect "capi: draft peer shares (RWD)" 0 "${P[@]}" share --relay "$R" --ca "$CA" --state dc1 \
        --type AEAD_AES_128_GCM --format "$FORMAT" --content "$CONTENT" --stateful
    URL=$out
    "$C" recipient "$CA" "$URL" "$DPUB" 0102030405 >capi-rec.out 2>capi-rec.err & cpid=$!
    expect "capi: draft peer reads the TxInfo" 0 "${P[@]}" wait-txinfo --state dc1 --timeout "$TIMEOUT"
    check "capi: the TxInfo bytes" eq "$out" 0102030405
    expect "capi: draft peer approves" 0 "${P[@]}" approve --state dc1 --key "$DSEED"
    wait "$cpid"; rc=$?
    check "capi: the C Recipient verified and completed (exit $rc)" eq "$rc" 0
    check "capi: flow unknown, then stateful, SIGNED, COMPLETED" eq "$(tr '\n' ' ' <capi-rec.out)" \
        "flow unknown flow stateful SIGNED COMPLETED "
    expect "capi: draft peer sees the mailbox gone" 0 "${P[@]}" wait-gone --state dc1 --timeout "$TIMEOUT"

    "$C" initiator "$CA" "$R" AEAD_AES_128_GCM "$DSEED" >capi-init.out 2>capi-init.err & cpid=$!
    for ((i = 0; i < 100 * TIMEOUT / 30; i++)); do [[ -s capi-init.out ]] && break; sleep 0.1; done
    URL=$(head -n 1 capi-init.out)
    expect "capi: draft peer redeems the C Initiator's share" 0 "${P[@]}" redeem --ca "$CA" --state dc2 "$URL"
    expect "capi: draft peer sends TxInfo" 0 "${P[@]}" update --state dc2 --txinfo-type t --txinfo 0a0b
    expect "capi: draft peer verifies the C Initiator's approval" 0 "${P[@]}" wait-approval \
        --state dc2 --peer-key "$DPUB" --timeout "$TIMEOUT"
    expect "capi: draft peer completes" 0 "${P[@]}" complete --state dc2
    wait "$cpid"; rc=$?
    check "capi: the C Initiator saw TxInfo and completion (exit $rc)" eq "$rc" 0
    check "capi: the C Initiator got the TxInfo bytes" grep -qx "txinfo 0a0b" capi-init.out
else
    not_ok "capi: $C is missing (make $C)"
fi

echo "# $skip payload type(s) skipped"
checks_summary
