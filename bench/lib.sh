# shellcheck shell=bash
# bench/lib.sh: the server helpers bench/run.sh and bench/ratio.sh share (sourced, not run).
# Before sourcing, a script sets W (its work directory, with the test certificates in
# $W/certs) and BENCH_WHO (the prefix of its messages: "bench", "ratio"). Every server it
# starts is recorded in PIDS, which cleanup kills on exit.
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$W"
}

# start_server NAME CMD...: starts it, waits for "listening on URL", sets URL and SPID.
start_server() {
    local name=$1; shift
    "$@" >"$W/$name.out" 2>"$W/$name.err" &
    SPID=$!
    PIDS+=("$SPID")
    for _ in $(seq 200); do
        URL=$(grep -m1 -o 'https://[^ ]*' "$W/$name.out" 2>/dev/null) && [[ -n $URL ]] && return 0
        kill -0 "$SPID" 2>/dev/null || break
        sleep 0.05
    done
    echo "$BENCH_WHO: $name did not start:"; cat "$W/$name.err"; exit 1
}
stop_server() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# start_relay NAME BINARY STORE [extra options]: BINARY (a tigress-relay) on STORE.
# All load comes from one address: no rate limit and no per-address cap on creates (its
# default, 1000 per 24 h, would turn all but the first thousand creates into 429s). Only
# options every relay compared in bench/ratio.sh knows, so an older BASE_RELAY still starts.
start_relay() {
    local name=$1 binary=$2 store=$3; shift 3
    start_server "$name" "$binary" --listen 127.0.0.1:0 --cert "$W/certs/cert.pem" \
        --key "$W/certs/key.pem" --store "$store" --rate-limit 0 --max-mailboxes-per-address 0 \
        --sweep-interval 3600 "$@"
}
