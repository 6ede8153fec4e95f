#!/usr/bin/env bash
# bench/run.sh: the whole benchmark (called by `make bench` after the -O2 build). Starts every
# server on 127.0.0.1 with a throw-away test CA, runs each part, and writes
# bench/results/<date>.json and .md plus the table in bench/README.md (bench/report.py).
#
# Environment: BENCH_BUILD (default build-bench), BENCH_SCALE (largest store, default 1000000),
# BENCH_QUICK=1 (short runs, for trying the script; results are not representative).
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
B=${BENCH_BUILD:-build-bench}
SCALE=${BENCH_SCALE:-1000000}
QUICK=${BENCH_QUICK:-0}
SAT_S=8; LAT_S=5; SDK_S=5
if [[ $QUICK == 1 ]]; then SAT_S=3; LAT_S=2; SDK_S=2; fi
B=$(realpath -m "$B")
RELAY=$B/tigress-relay CLI=$B/tigress BB=$B/bench
for f in "$RELAY" "$CLI" "$BB/ceiling_server" "$BB/store_scale" "$BB/sdk_bench"; do
    [[ -x $f ]] || { echo "bench: $f is missing: run make bench" >&2; exit 1; }
done
for t in wrk hyperfine python3; do
    command -v $t >/dev/null || { echo "bench: $t is missing (bench/packages.txt)" >&2; exit 1; }
done

W=$(mktemp -d "${TMPDIR:-/tmp}/tigress-bench.XXXXXX")
R=$W/results
mkdir -p "$R"
BENCH_WHO=bench
# shellcheck source=bench/lib.sh
. "$src/bench/lib.sh"
trap cleanup EXIT
T0=$(date +%s)
log() { printf '[bench %4ds] %s\n' $(($(date +%s) - T0)) "$*"; }

tests/lib/relay-fixture.sh certs "$W/certs" || exit 1
CA=$W/certs/ca.pem
export BENCH_LUA=$src/bench/lua

# All load comes from one address, and bench/lib.sh's start_relay already lifts the rate limit
# and the creation cap (1000 per 24 h would answer every later create, and the durability
# loop's, with 429). Here the connection and held-read caps go too: the connection cap (64)
# would reset connections of the SDK's 64-thread run (two clients per thread).
NOCAPS=(--max-connections-per-address 0 --max-held-reads-per-address 0)

# wrk_run OUT SCRIPT URL THREADS CONNS SECONDS [RATE]: one BENCHJSON line into $R/OUT.json
wrk_run() {
    local out=$1 script=$2 url=$3 t=$4 c=$5 s=$6 rate=${7:-0}
    BENCH_THREADS=$t BENCH_RATE=$rate wrk -t"$t" -c"$c" -d"${s}s" --timeout 10s \
        -s "bench/lua/$script.lua" "$url" >"$W/wrk.txt" 2>&1
    if ! grep -m1 '^BENCHJSON ' "$W/wrk.txt" | sed 's/^BENCHJSON //' >"$R/$out.json" ||
        [[ ! -s $R/$out.json ]]; then
        echo "bench: wrk $script failed:"; cat "$W/wrk.txt"; return 1
    fi
}
rate_of() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['req_per_s'])" "$R/$1.json"; }
# scenario NAME SCRIPT URL THREADS CONNS: saturate, then latency at 50% and 90% of that rate.
scenario() {
    local name=$1 script=$2 url=$3 t=$4 c=$5
    wrk_run "${name}_sat" "$script" "$url" "$t" "$c" "$SAT_S" || return 1
    local sat; sat=$(rate_of "${name}_sat")
    for pct in 50 90; do
        wrk_run "${name}_${pct}" "$script" "$url" "$t" "$c" "$LAT_S" \
            "$(python3 -c "print(max(1, int($sat * $pct / 100)))")" || return 1
    done
    log "$name: $(cat "$R/${name}_sat.json")"
}

# ---- machine -----------------------------------------------------------------------------
pkgs="libmicrohttpd12 libgnutls30 libsqlite3-0 libsodium23 libssl3 libcurl4 libcjson1 wrk hyperfine"
{
    echo "{\"cpu\":$(python3 -c 'import json;print(json.dumps([l.split(":",1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")][0]))'),"
    echo "\"cores\":$(nproc),\"kernel\":\"$(uname -r)\",\"os\":\"$(. /etc/os-release; echo "$PRETTY_NAME")\","
    echo "\"loadavg_start\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"commit\":\"$(git rev-parse --short HEAD 2>/dev/null)\","
    echo "\"scale\":$SCALE,\"quick\":$QUICK,\"packages\":{"
    first=1
    for p in $pkgs; do
        v=$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || echo missing)
        [[ $first == 1 ]] || echo ","; first=0
        printf '"%s":"%s"' "$p" "$v"
    done
    echo "}}"
} >"$R/machine.json"
log "machine: $(tr -d '\n' <"$R/machine.json")"

# ---- store scale ---------------------------------------------------------------------------
# The relay holds no per-mailbox state in memory: RSS is measured after warming with random
# secure reads across all mailboxes, and compared with a relay on an empty store.
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
measure_store() {   # measure_store N
    local n=$1 db=$W/store-$1.db
    "$BB/store_scale" fill "$db" "$n" >"$R/fill_$n.json" || { echo "bench: fill $n failed"; exit 1; }
    local bytes; bytes=$(cat "$db" "$db-wal" 2>/dev/null | wc -c)
    start_relay "relay-$n" "$RELAY" "$db" "${NOCAPS[@]}"
    local rpid=$SPID
    BENCH_MAILBOXES=$n wrk_run "warm_$n" read "$URL" 2 32 3 || exit 1
    local rss; rss=$(rss_kib "$rpid")
    stop_server "$rpid"
    "$BB/store_scale" read "$db" "$n" 20000 >"$R/storeread_$n.json" || exit 1
    echo "{\"mailboxes\":$n,\"disk_bytes\":$bytes,\"rss_kib\":$rss}" >"$R/store_$n.json"
    log "store $n: $(cat "$R/fill_$n.json") $(cat "$R/store_$n.json") $(cat "$R/storeread_$n.json")"
}
# Baseline: an empty store, warmed with reads that all miss.
start_relay relay-empty "$RELAY" "$W/empty.db" "${NOCAPS[@]}"
BENCH_MAILBOXES=1000 wrk_run warm_0 read "$URL" 2 32 3
echo "{\"mailboxes\":0,\"rss_kib\":$(rss_kib "$SPID")}" >"$R/store_0.json"
stop_server "$SPID"
# 1k and 10k always (the HTTP runs use them), then 100k and BENCH_SCALE when larger.
for n in $(printf '%s\n' 1000 10000 100000 "$SCALE" | awk -v s="$SCALE" '$1 <= s || $1 <= 10000' | sort -nu); do
    measure_store "$n"
    [[ $n == 1000 || $n == 10000 ]] || rm -f "$W/store-$n.db"*
done

# Sweep: 100k mailboxes that have already expired (plus nothing else) deleted in one sweep.
"$BB/store_scale" fill "$W/sweep.db" 100000 expired >"$R/fill_expired.json" || exit 1
"$BB/store_scale" sweep "$W/sweep.db" >"$R/sweep.json" || exit 1
rm -f "$W/sweep.db"*
log "sweep: $(cat "$R/sweep.json")"

# ---- HTTP: the ceiling and the relay, same TLS and threading ----------------------------
start_server ceiling "$BB/ceiling_server" --listen 127.0.0.1:0 --cert "$W/certs/cert.pem" \
    --key "$W/certs/key.pem" --threads 8
scenario ceiling_get ceiling_get "$URL" 2 32
scenario ceiling_post ceiling_post "$URL" 2 32
stop_server "$SPID"

export BENCH_MAILBOXES=10000
start_relay relay "$RELAY" "$W/store-10000.db" "${NOCAPS[@]}"
RELAY_URL=$URL RELAY_PID=$SPID
scenario read read "$URL" 2 32
scenario preview preview "$URL" 2 32
scenario create create "$URL" 2 32
scenario transfer transfer "$URL" 16 16
echo "{\"rss_kib_after_http\":$(rss_kib "$RELAY_PID")}" >"$R/relay_after_http.json"

# The same creates against a relay with 64 worker threads: how far the group commit's batch
# size (bounded by the threads blocked in the store) lifts durable writes.
start_relay relay64 "$RELAY" "$W/store-1000.db" "${NOCAPS[@]}" --threads 64
wrk_run create_threads64_sat create "$URL" 2 64 "$SAT_S"
log "create, 64 relay threads: $(cat "$R/create_threads64_sat.json")"
stop_server "$SPID"

# ---- durability: acknowledged creates survive kill -9 ------------------------------------
# While wrk loads the relay with creates, a curl loop creates mailboxes one by one and records
# each ID the relay acknowledged (200 with its urlLink). The relay is killed with SIGKILL in the
# middle of that, restarted on the same store, and every acknowledged ID must still be there.
data=$(printf 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldY%.0s' $(seq 11))QUJDREVGR0g=
body='{"payload":{"type":"XSALSA20_POLY1305","data":"'$data'"},"displayInformation":{"title":"Car key","description":"durability","imageURL":""}}'
start_relay durable "$RELAY" "$W/durable.db" "${NOCAPS[@]}"
DPID=$SPID
BENCH_THREADS=2 wrk -t2 -c32 -d30s -s bench/lua/create.lua "$URL" >/dev/null 2>&1 &
WRKPID=$!
: >"$W/acked.txt"
(for i in $(seq 100000); do
    curl -s -w '\n' --max-time 5 --cacert "$CA" -H 'Content-Type: application/json' \
        -H "Mailbox-Request-ID: durable-$i" -H "Mailbox-Device-Claim: $(cat /proc/sys/kernel/random/uuid)" \
        --data "$body" "$URL/v1/m" | sed -n 's|.*/v1/m/\([0-9a-f-]*\)".*|\1|p' >>"$W/acked.txt" || break
done) &
LOOP=$!
# Kill once at least 30 creates were acknowledged (or after 20 s), with writes in flight.
for _ in $(seq 200); do
    [[ $(wc -l <"$W/acked.txt") -ge 30 ]] && break
    sleep 0.1
done
kill -9 "$DPID"; wait "$DPID" 2>/dev/null
wait "$LOOP" 2>/dev/null
kill "$WRKPID" 2>/dev/null; wait "$WRKPID" 2>/dev/null
start_relay durable-restarted "$RELAY" "$W/durable.db" "${NOCAPS[@]}"
acked=0 lost=0
while read -r id; do
    acked=$((acked + 1))
    code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" "$URL/v1/m/$id")
    [[ $code == 200 ]] || lost=$((lost + 1))
done <"$W/acked.txt"
echo "{\"acked\":$acked,\"lost_after_kill9\":$lost}" >"$R/durability.json"
log "durability: $(cat "$R/durability.json")"
stop_server "$SPID"

# ---- end to end: CLI (one process per step, like two phones) and SDK in-process ---------
"$CLI" keygen --key "$W/alice.key" >"$W/keygen.txt" 2>&1 || { cat "$W/keygen.txt"; exit 1; }
PUB=$(awk '/Public key:/ {print $3}' "$W/keygen.txt")
cat >"$W/cli-stateless.sh" <<EOF
set -e
cd "$W"; rm -f a.state b.state
url=\$("$CLI" share --json --state a.state --ca-file "$CA" --relay "$RELAY_URL" --format com.example.carkey --content '{"vehicle":"VIN42"}' --title "Car key" | sed -n 's/.*"share_url":"\\([^"]*\\)".*/\\1/p')
"$CLI" redeem --state b.state --ca-file "$CA" "\$url" >/dev/null
"$CLI" complete --state b.state >/dev/null
"$CLI" wait --state a.state --quiet >/dev/null
EOF
cat >"$W/cli-stateful.sh" <<EOF
set -e
cd "$W"; rm -f sa.state sb.state
url=\$("$CLI" share --json --stateful --state sa.state --ca-file "$CA" --relay "$RELAY_URL" --format com.example.carkey --content '{"vehicle":"VIN42"}' --title "Car key" | sed -n 's/.*"share_url":"\\([^"]*\\)".*/\\1/p')
"$CLI" redeem --state sb.state --ca-file "$CA" --peer-key $PUB "\$url" >/dev/null
"$CLI" update --state sb.state --txinfo-type com.example.devicekey --txinfo 0102 >/dev/null
"$CLI" wait --state sa.state --quiet >/dev/null
"$CLI" approve --state sa.state --key "$W/alice.key" >/dev/null
"$CLI" wait --state sb.state --quiet >/dev/null
"$CLI" complete --state sb.state >/dev/null
"$CLI" wait --state sa.state --quiet >/dev/null
EOF
runs=10; [[ $QUICK == 1 ]] && runs=3
for kind in stateless stateful; do
    hyperfine -N --warmup 1 --runs $runs --export-json "$W/hf-$kind.json" \
        "bash $W/cli-$kind.sh" >"$W/hf-$kind.txt" 2>&1 || { cat "$W/hf-$kind.txt"; exit 1; }
    python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results'][0]; print(json.dumps({'median_ms':r['median']*1e3,'mean_ms':r['mean']*1e3,'stddev_ms':r['stddev']*1e3,'runs':len(r['times'])}))" \
        "$W/hf-$kind.json" >"$R/cli_$kind.json"
    log "cli $kind: $(cat "$R/cli_$kind.json")"
done
"$BB/sdk_bench" e2e "$RELAY_URL" "$CA" $runs >"$R/sdk_e2e.json" || exit 1
log "sdk e2e: $(cat "$R/sdk_e2e.json")"
for n in 1 8 64; do
    "$BB/sdk_bench" threads "$RELAY_URL" "$CA" $n $SDK_S >"$R/sdk_threads_$n.json" || exit 1
    log "sdk threads $n: $(cat "$R/sdk_threads_$n.json")"
done

# ---- SDK cost --------------------------------------------------------------------------
"$BB/sdk_bench" cost "$RELAY_URL" "$CA" 200 >"$R/sdk_cost.json" || exit 1
log "sdk cost: $(cat "$R/sdk_cost.json")"
stop_server "$RELAY_PID"
"$BB/sdk_bench" crypto >"$R/crypto.json" || exit 1
so=$(readlink -f "$B/libtigress.so.1")
strip -o "$W/libtigress.stripped" "$so"
echo "{\"file\":\"libtigress.so.1\",\"bytes\":$(stat -c %s "$so"),\"stripped_bytes\":$(stat -c %s "$W/libtigress.stripped")}" >"$R/lib_size.json"
log "crypto and size done"

echo "{\"seconds\":$(($(date +%s) - T0)),\"loadavg_end\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}" >"$R/run.json"
python3 bench/report.py "$R" bench/results bench/README.md
log "done"
