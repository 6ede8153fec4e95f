#!/usr/bin/env bash
# bench/longpoll.sh N...: memory per held long-poll and normal-read latency while they are held
# (make bench-longpoll; the last part of make bench). For each N: a fresh relay on a store of
# 1,000 mailboxes (bench/store_scale), RSS read, then bench/longpoll_hold holds N long-polls
# from 127.0.0.2..127.0.0.(NSRC+1); RSS read again once all are held; meanwhile 200 normal
# secure reads/s from 127.0.0.1 for LONGPOLL_SECONDS (default 10) give p50/p99.
# LONGPOLL_RELAY_ARGS: more relay options (e.g. --connection-memory 16384).
# LONGPOLL_PLAIN=1: plain HTTP, as behind a TLS-terminating proxy on the same host: the relay
# runs with --insecure-loopback --trusted-proxy 127.0.0.0/8 (its own per-address connection
# cap then exempts the loopback "proxy") and the client speaks HTTP without TLS.
# Writes one JSON line per N into bench/results/longpoll-<date>.jsonl and prints them.
#
# Needs root or a hard RLIMIT_NOFILE above N + 1024 (the relay and the client each hold N
# sockets). The relay raises its own soft limit to the hard limit at start.
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
B=$(realpath -m "${BENCH_BUILD:-build-bench}")
RELAY=${LONGPOLL_RELAY:-$B/tigress-relay} BB=$B/bench
SECS=${LONGPOLL_SECONDS:-10} RATE=${LONGPOLL_READ_RATE:-200} MB=1000
for f in "$RELAY" "$BB/store_scale" "$BB/longpoll_hold"; do
    [[ -x $f ]] || { echo "bench-longpoll: $f is missing: run make bench-longpoll" >&2; exit 1; }
done
[[ $# -gt 0 ]] || set -- 2000 10000
max=0; for n in "$@"; do (( n > max )) && max=$n; done
# File limit for this shell (inherited by the relay and the client): each needs N + about 200.
# Raising the hard limit needs CAP_SYS_RESOURCE; without it an N that does not fit is skipped.
want=$((max + 4096))
if (( $(ulimit -Hn) < want )); then
    (( $(cat /proc/sys/fs/nr_open) >= want )) || sysctl -q -w fs.nr_open=$want 2>/dev/null
    ulimit -Hn $want 2>/dev/null ||
        echo "bench-longpoll: cannot raise the hard file limit to $want (no CAP_SYS_RESOURCE); it stays $(ulimit -Hn)" >&2
fi
ulimit -Sn "$(ulimit -Hn)"
HARD=$(ulimit -Hn)
W=$(mktemp -d "${TMPDIR:-/tmp}/tigress-longpoll.XXXXXX")
RPID= CPID=
cleanup() {
    [[ -n $CPID ]] && kill "$CPID" 2>/dev/null
    [[ -n $RPID ]] && kill "$RPID" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT
tests/lib/relay-fixture.sh certs "$W/certs" >/dev/null || exit 1
"$BB/store_scale" fill "$W/store.db" $MB >/dev/null || { echo "bench-longpoll: fill failed"; exit 1; }
mkdir -p bench/results
OUT=bench/results/longpoll-$(date -u +%Y%m%dT%H%M%SZ).jsonl

kib() { awk -v k="$2" '$1 == k":" {print $2}' "$1"; }
for n in "$@"; do
    if (( n + 256 > HARD )); then
        echo "{\"n\": $n, \"skipped\": \"file limit $HARD: the relay and the client each need N + 256\"}" | tee -a "$OUT"
        continue
    fi
    # Several source addresses: about 28,000 ephemeral ports each (ip_local_port_range).
    nsrc=$(( n / 20000 + 1 ))
    if [[ ${LONGPOLL_PLAIN:-0} == 1 ]]; then
        mode=(--insecure-loopback --trusted-proxy 127.0.0.0/8)
    else
        mode=(--cert "$W/certs/cert.pem" --key "$W/certs/key.pem" --max-connections-per-address 0)
    fi
    "$RELAY" --listen 127.0.0.1:0 "${mode[@]}" \
        --store "$W/store.db" --rate-limit 0 --sweep-interval 3600 --connection-timeout 120 \
        --max-connections $((n + 256)) \
        --max-held-reads-per-address 0 --log-level warn ${LONGPOLL_RELAY_ARGS:-} >"$W/relay.out" 2>"$W/relay.err" &
    RPID=$!
    URL=
    for _ in $(seq 200); do
        URL=$(grep -m1 -Eo 'https?://[^ ]*' "$W/relay.out" 2>/dev/null) && [[ -n $URL ]] && break
        sleep 0.05
    done
    [[ -n $URL ]] || { echo "bench-longpoll: relay did not start"; cat "$W/relay.err"; exit 1; }
    port=${URL##*:}; port=${port%%/*}
    sleep 1
    rss0=$(kib /proc/$RPID/status VmRSS)
    load0=$(cut -d' ' -f1-3 /proc/loadavg)
    : >"$W/hold.out"
    "$BB/longpoll_hold" 127.0.0.1 "$port" "$n" $MB "$nsrc" "$SECS" "$RATE" >"$W/hold.out" 2>"$W/hold.err" &
    CPID=$!
    while ! grep -q '^HELD ' "$W/hold.out"; do
        kill -0 $CPID 2>/dev/null || { echo "bench-longpoll: client failed"; cat "$W/hold.err"; exit 1; }
        sleep 0.5
    done
    rss1=$(kib /proc/$RPID/status VmRSS)
    anon1=$(kib /proc/$RPID/smaps_rollup Anonymous)
    pss1=$(kib /proc/$RPID/smaps_rollup Pss)
    if [[ ${LONGPOLL_TRIM:-0} == 1 ]]; then   # diagnosis: how much of it is free heap (gdb)
        gdb -p $RPID -batch -ex 'call (int)malloc_trim(0)' >/dev/null 2>&1
        echo "after malloc_trim(0): VmRSS $(kib /proc/$RPID/status VmRSS) KiB" >&2
    fi
    wait $CPID; CPID=
    rss2=$(kib /proc/$RPID/status VmRSS)
    load1=$(cut -d' ' -f1-3 /proc/loadavg)
    kill $RPID; wait $RPID 2>/dev/null; RPID=
    read -r _ held secs < <(grep '^HELD ' "$W/hold.out")
    res=$(sed -n 's/^RESULT //p' "$W/hold.out")
    line=$(python3 -c '
import json, sys
n, held, secs, rss0, rss1, anon1, pss1, rss2 = map(float, sys.argv[1:9])
r = json.loads(sys.argv[9])
print(json.dumps({"n": int(n), "held": int(held), "seconds_to_hold": secs,
    "rss_before_kib": int(rss0), "rss_held_kib": int(rss1), "anon_held_kib": int(anon1),
    "pss_held_kib": int(pss1), "rss_after_reads_kib": int(rss2),
    "kib_per_held": round((rss1 - rss0) / max(held, 1), 2),
    "read_p50_ms": r["p50_ms"], "read_p99_ms": r["p99_ms"], "read_max_ms": r["max_ms"],
    "reads": r["reads"], "read_rate": r["read_rate"], "client_errors": r["errors"],
    "loadavg_before": sys.argv[10], "loadavg_after": sys.argv[11],
    "tls": sys.argv[12] != "1", "relay_args": sys.argv[13]}))' \
        "$n" "$held" "$secs" "$rss0" "$rss1" "$anon1" "$pss1" "$rss2" "$res" "$load0" "$load1" \
        "${LONGPOLL_PLAIN:-0}" "${LONGPOLL_RELAY_ARGS:-}")
    echo "$line" | tee -a "$OUT"
done
