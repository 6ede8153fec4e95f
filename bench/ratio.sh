#!/usr/bin/env bash
# bench/ratio.sh: the two relay-to-ceiling ratios the performance targets are stated in
# (durable creates and secure reads, each over the ceiling's POST rate), measured in
# interleaved rounds so that each ratio compares figures taken moments apart on this shared
# machine. Called by `make bench-ratio` after the -O2 build (bench/bench.mk); not part of
# `make check`.
#
# A round: ceiling POST, relay create (a fresh store), relay secure read (the 10k-mailbox
# store that store_scale wrote), SECONDS each, wrk -t2 -c32 over HTTPS keep-alive, the
# scenarios and settings of bench/run.sh. Prints each round's requests/s and ratio to that
# round's ceiling, the medians, and the load average before and after.
#
# Environment: BENCH_BUILD (default build-bench), ROUNDS (default 5), RATIO_SECONDS
# (default 5), RATIO_OUT (also write the figures there as JSON lines), and to compare another
# relay in the same rounds: BASE_RELAY (its tigress-relay) with BASE_STORE_SCALE (the
# store_scale built from the same tree, so its read store has that relay's schema).
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
B=$(realpath -m "${BENCH_BUILD:-build-bench}")
ROUNDS=${ROUNDS:-5}
S=${RATIO_SECONDS:-5}
RELAY=$B/tigress-relay BB=$B/bench
BASE_RELAY=${BASE_RELAY:-}
BASE_STORE_SCALE=${BASE_STORE_SCALE:-}
for f in "$RELAY" "$BB/ceiling_server" "$BB/store_scale" ${BASE_RELAY:+"$BASE_RELAY"} \
    ${BASE_STORE_SCALE:+"$BASE_STORE_SCALE"}; do
    [[ -x $f ]] || { echo "ratio: $f is missing: run make bench-ratio" >&2; exit 1; }
done
if [[ -n $BASE_RELAY && -z $BASE_STORE_SCALE ]]; then
    echo "ratio: BASE_RELAY needs BASE_STORE_SCALE (its own store_scale)" >&2; exit 1
fi
command -v wrk >/dev/null || { echo "ratio: wrk is missing (bench/packages.txt)" >&2; exit 1; }

W=$(mktemp -d "${TMPDIR:-/tmp}/tigress-ratio.XXXXXX")
BENCH_WHO=ratio
# shellcheck source=bench/lib.sh
. "$src/bench/lib.sh"
trap cleanup EXIT
export BENCH_LUA=$src/bench/lua BENCH_THREADS=2 BENCH_RATE=0 BENCH_MAILBOXES=10000
tests/lib/relay-fixture.sh certs "$W/certs" || exit 1

# rate SCRIPT URL: requests/s of one saturating wrk run (non-2xx/3xx answers are errors).
rate() {
    wrk -t2 -c32 -d"${S}s" --timeout 10s -s "bench/lua/$1.lua" "$2" >"$W/wrk.txt" 2>&1
    python3 - "$W/wrk.txt" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    if line.startswith("BENCHJSON "):
        r = json.loads(line[10:])
        bad = sum(r["errors"].values())
        print("%.0f" % (r["req_per_s"] if bad == 0 else -r["req_per_s"]))
        break
else:
    print("nan")
EOF
}

"$BB/store_scale" fill "$W/read.db" 10000 >/dev/null || { echo "ratio: fill failed"; exit 1; }
[[ -z $BASE_STORE_SCALE ]] ||
    "$BASE_STORE_SCALE" fill "$W/read-base.db" 10000 >/dev/null || { echo "ratio: base fill failed"; exit 1; }

start_server ceiling "$BB/ceiling_server" --listen 127.0.0.1:0 --cert "$W/certs/cert.pem" \
    --key "$W/certs/key.pem" --threads 8
CEIL_URL=$URL
start_relay reader "$RELAY" "$W/read.db"
READ_URL=$URL
if [[ -n $BASE_RELAY ]]; then
    start_relay base-reader "$BASE_RELAY" "$W/read-base.db"
    BASE_READ_URL=$URL
fi

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "ratio: $ROUNDS rounds of ${S}s runs, wrk -t2 -c32; load average before: $LOAD0"
cols="round ceiling create c/ceil read r/ceil"
[[ -n $BASE_RELAY ]] && cols="$cols base_create bc/ceil base_read br/ceil"
echo "$cols" >"$W/table.txt"
for r in $(seq "$ROUNDS"); do
    ceil=$(rate ceiling_post "$CEIL_URL")
    start_relay "creator$r" "$RELAY" "$W/create$r.db"
    cre=$(rate create "$URL"); stop_server "$SPID"
    rd=$(rate read "$READ_URL")
    line="$r $ceil $cre $(awk -v a="$cre" -v b="$ceil" 'BEGIN{printf "%.3f", a/b}')"
    line="$line $rd $(awk -v a="$rd" -v b="$ceil" 'BEGIN{printf "%.3f", a/b}')"
    if [[ -n $BASE_RELAY ]]; then
        start_relay "base-creator$r" "$BASE_RELAY" "$W/base-create$r.db"
        bc=$(rate create "$URL"); stop_server "$SPID"
        br=$(rate read "$BASE_READ_URL")
        line="$line $bc $(awk -v a="$bc" -v b="$ceil" 'BEGIN{printf "%.3f", a/b}')"
        line="$line $br $(awk -v a="$br" -v b="$ceil" 'BEGIN{printf "%.3f", a/b}')"
    fi
    echo "$line" >>"$W/table.txt"
    echo "  round $line (load $(cut -d' ' -f1 /proc/loadavg))"
done
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$W/table.txt" "$LOAD0" "$LOAD1" "${RATIO_OUT:-}" <<'EOF'
import json, statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
head, body = rows[0], rows[1:]
print("| " + " | ".join(head) + " |")
print("|" + "---:|" * len(head))
for b in body:
    print("| " + " | ".join(b) + " |")
med = ["median"] + ["%g" % statistics.median(float(b[i]) for b in body) for i in range(1, len(head))]
print("| " + " | ".join(med) + " |")
print("load average before: %s, after: %s" % (sys.argv[2], sys.argv[3]))
print("(a negative rate means wrk counted errors in that run)")
if sys.argv[4]:
    with open(sys.argv[4], "a") as f:
        f.write(json.dumps({"columns": head, "rounds": body, "median": med,
                            "loadavg_before": sys.argv[2], "loadavg_after": sys.argv[3]}) + "\n")
EOF
