#!/usr/bin/env bash
# make demo-cluster: three tigress-relay processes over one Redis store, and transfers whose
# steps hop between them. Starts a private redis-server on loopback (temp dir,
# appendonly yes + appendfsync always), relays A, B and C on three ports, all with the same
# --public-url (as behind one load balancer), then runs the tigress CLI:
#   1. stateless: share on A, redeem on B, complete on C, Alice sees it on A;
#   2. stateful:  share on A, redeem on B, Alice long-polls on A while Bob's TxInfo goes
#                 through C (the change notice crosses processes), approve on A, Bob waits on
#                 B, complete on B, Alice sees it on C.
# The Share URL names the public URL (A's port here); a "hop" points a device at another
# process, as a load balancer would. Everything is removed at the end, even on failure.
# Environment: BUILD (default build) selects the build directory.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
[[ "$BUILD" = /* ]] || BUILD="$src/$BUILD"
TIGRESS=$BUILD/tigress
RELAY=$BUILD/tigress-relay
for bin in "$TIGRESS" "$RELAY"; do
    [[ -x "$bin" ]] || { echo "demo-cluster: $bin is missing; run make first" >&2; exit 1; }
done
if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    echo "demo-cluster: redis-server is not installed (apt-get install redis-server)" >&2
    exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/tigress-cluster.XXXXXX")
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

if [[ -t 1 ]]; then B=$'\e[1m' D=$'\e[2m' G=$'\e[32m' N=$'\e[0m'; else B= D= G= N=; fi
step() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
show() {
    local who=$1 line="tigress" a; shift
    for a in "$@"; do
        if [[ "$a" =~ ^[A-Za-z0-9_./:=@%+,#-]+$ ]]; then line+=" $a"; else line+=" '$a'"; fi
    done
    printf '%s[%s] $ %s%s\n' "$G" "$who" "$line" "$N" >&2
    "$TIGRESS" "$@"
}
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# hop FILE PORT: point a device's saved transfer at another relay process.
hop() {
    sed -i "s#https://127\.0\.0\.1:[0-9]*#https://127.0.0.1:$2#g" "$1"
    printf '%s(%s now talks to relay %s)%s\n' "$D" "${1%.state}" "$3" "$N"
}

step "Starting redis-server on loopback (appendonly yes, appendfsync always)"
rport=$(free_port)
mkdir redis
redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly yes --appendfsync always \
    --dir "$work/redis" --daemonize no >redis/log 2>&1 &
pids+=($!)
for _ in $(seq 100); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.05; done
redis-cli -p "$rport" ping
STORE="redis://127.0.0.1:$rport/0"

step "Starting relays A, B and C on one store ($STORE)"
"$src/tests/lib/relay-fixture.sh" certs "$work" >/dev/null
declare -A port
for r in A B C; do port[$r]=$(free_port); done
PUBLIC="https://127.0.0.1:${port[A]}"
for r in A B C; do
    "$RELAY" --listen "127.0.0.1:${port[$r]}" --public-url "$PUBLIC" --cert cert.pem \
        --key key.pem --store "$STORE" --log-level warn >"relay$r.out" 2>"relay$r.log" &
    pids+=($!)
done
for r in A B C; do
    for _ in $(seq 100); do grep -q listening "relay$r.out" && break; sleep 0.05; done
    echo "relay $r: $(cat "relay$r.out")"
done
CONTENT='{"vehicle":"VIN-CLUSTER-1","key":"c2VjcmV0LWtleS1tYXRlcmlhbA=="}'

step "1. Stateless transfer: share on A"
show Alice@A share --state alice.state --ca-file ca.pem --relay "${PUBLIC}" \
    --format com.example.carkey --content "$CONTENT" --title "Car key" --expires 1h | tee share.out
URL=$(awk '/^Share URL:/ {print $3}' share.out)

step "Bob redeems through relay B"
show Bob@B redeem --state bob.state --ca-file ca.pem "${URL/:${port[A]}/:${port[B]}}"

step "Bob completes through relay C"
hop bob.state "${port[C]}" C
show Bob@C complete --state bob.state

step "Alice checks through relay A: complete"
show Alice@A wait --state alice.state --timeout 10s

step "2. Stateful transfer: Alice makes a signing key and shares on A"
show Alice keygen --key alice.key | tee keygen.out
PUB=$(awk '/^Public key:/ {print $3}' keygen.out)
show Alice@A share --stateful --state alice2.state --ca-file ca.pem --relay "$PUBLIC" \
    --format com.example.homekey --content '{"door":"front"}' --title "Home key" | tee share2.out
URL2=$(awk '/^Share URL:/ {print $3}' share2.out)

step "Bob redeems through relay B"
show Bob@B redeem --state bob2.state --ca-file ca.pem --peer-key "$PUB" \
    "${URL2/:${port[A]}/:${port[B]}}"

step "Alice long-polls on relay A while Bob sends his TxInfo through relay C"
show Alice@A wait --state alice2.state --timeout 30s >alice-wait.out 2>&1 &
waiter=$!
sleep 0.5
hop bob2.state "${port[C]}" C
show Bob@C update --state bob2.state --txinfo-type com.example.devicekey --txinfo 04b1d2e3f405
wait "$waiter"
echo "${D}Alice's wait on A returned:${N}"
cat alice-wait.out

step "Alice approves through relay A (signature)"
show Alice@A approve --state alice2.state --key alice.key

step "Bob waits for the signature on relay B, then completes there"
hop bob2.state "${port[B]}" B
show Bob@B wait --state bob2.state --timeout 10s
show Bob@B complete --state bob2.state

step "Alice sees the completion through relay C"
hop alice2.state "${port[C]}" C
show Alice@C wait --state alice2.state --timeout 10s

step "Done: every step was served by whichever process it reached; stopping everything"
