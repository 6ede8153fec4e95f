#!/usr/bin/env bash
# relay-fixture.sh: a throw-away tigress-relay over HTTPS on loopback, for tests and the demo.
# The shell half of the test fixture library; tests/lib/relay_fixture.c is the C half (it makes
# its certificates with `relay-fixture.sh certs`). tests/harness/README.md describes both.
#
# As a library (bash):
#     source tests/lib/relay-fixture.sh
#     relay_fixture_start [RELAY_OPTION...]  # make CA + cert, start the relay on 127.0.0.1:0
#     ... use $TIGRESS_RELAY_URL and $TIGRESS_RELAY_CA ...
#     relay_fixture_restart                  # SIGTERM it, start it again: same store, same port
#     relay_fixture_stop                     # SIGTERM it (and wait); the store is kept
#     relay_fixture_kill                     # SIGKILL it (and wait): no shutdown code runs;
#                                            # relay_fixture_restart starts it again
#     relay_fixture_cleanup                  # stop it and delete everything (use in a trap)
#   Helpers that need no relay:
#     relay_fixture_certs DIR                # DIR/ca.pem, DIR/cert.pem, DIR/key.pem (below)
#     relay_fixture_free_port                # prints a loopback TCP port free a moment ago
#     relay_fixture_time_scale               # prints TIGRESS_TEST_TIME_SCALE (1..1000, else 1)
#   Exports after start:
#     TIGRESS_RELAY_URL   https://127.0.0.1:PORT (relay base URL)
#     TIGRESS_RELAY_CA    PEM file of the test CA that signed the relay's certificate
#     TIGRESS_RELAY_PID   the relay's process id
#     TIGRESS_RELAY_PORT  the port it listens on
#     TIGRESS_RELAY_DIR   temp dir: ca.pem cert.pem key.pem store.db relay.log (stderr)
#   Input: TIGRESS_RELAY_BIN (default: $BUILD/tigress-relay, BUILD defaulting to "build",
#   relative to the source tree), and RELAY_OPTIONs passed straight to the relay.
#   Each function returns non-zero (with a message on stderr) when it fails; all of them work
#   under `set -euo pipefail`. The wait for the relay to listen (10 s) is multiplied by
#   TIGRESS_TEST_TIME_SCALE, like every bound on waiting in the C fixtures.
#
# As a command:
#     tests/lib/relay-fixture.sh certs DIR   # only write DIR/ca.pem, DIR/cert.pem, DIR/key.pem
#
# The certificate is for IP:127.0.0.1 (subjectAltName), signed by a CA made on the spot with
# openssl, valid for 2 days; nothing leaves the temp dir and nothing touches the system trust.

_relay_fixture_src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# relay_fixture_certs DIR: write ca.pem, cert.pem, key.pem (EC P-256) into DIR.
relay_fixture_certs() {
    local dir=$1
    mkdir -p "$dir" || return 1
    (
        set -e
        cd "$dir"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -keyout ca.key -out ca.pem -days 2 -subj "/CN=tigress test CA" \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -keyout key.pem -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null
        printf '%s\n' "subjectAltName=IP:127.0.0.1" "basicConstraints=CA:FALSE" \
            "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" > server.ext
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
            -out cert.pem -days 2 -extfile server.ext 2>/dev/null
        rm -f server.csr server.ext ca.srl ca.key
        chmod 600 key.pem
    ) || { echo "relay-fixture: openssl could not make the test certificates" >&2; return 1; }
}

# relay_fixture_time_scale: TIGRESS_TEST_TIME_SCALE as a whole number in 1..1000 (else 1).
relay_fixture_time_scale() {
    local k=${TIGRESS_TEST_TIME_SCALE:-1}
    if [[ $k =~ ^[0-9]+$ ]] && ((k > 1 && k <= 1000)); then echo "$k"; else echo 1; fi
}

# relay_fixture_free_port: a loopback TCP port that was free a moment ago.
relay_fixture_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' \
        2>/dev/null || echo $((20000 + RANDOM % 20000))
}

# _relay_fixture_launch LISTEN: start the relay, wait for its "listening on" line.
_relay_fixture_launch() {
    local listen=$1 out="$TIGRESS_RELAY_DIR/relay.out" i line scale
    scale=$(relay_fixture_time_scale)
    : > "$out"
    "$TIGRESS_RELAY_BIN" --listen "$listen" --cert "$TIGRESS_RELAY_DIR/cert.pem" \
        --key "$TIGRESS_RELAY_DIR/key.pem" --store "$TIGRESS_RELAY_DIR/store.db" \
        "${_relay_fixture_args[@]}" >"$out" 2>>"$TIGRESS_RELAY_DIR/relay.log" &
    TIGRESS_RELAY_PID=$!
    for ((i = 0; i < 200 * scale; i++)); do
        line=$(grep -m1 -o 'listening on https://[^ ]*' "$out" 2>/dev/null || true)
        if [[ -n "$line" ]]; then
            TIGRESS_RELAY_URL=${line#listening on }
            TIGRESS_RELAY_PORT=${TIGRESS_RELAY_URL##*:}
            export TIGRESS_RELAY_URL TIGRESS_RELAY_PORT TIGRESS_RELAY_PID
            return 0
        fi
        if ! kill -0 "$TIGRESS_RELAY_PID" 2>/dev/null; then
            echo "relay-fixture: the relay exited at start; its log:" >&2
            cat "$TIGRESS_RELAY_DIR/relay.log" >&2
            return 1
        fi
        sleep 0.05
    done
    echo "relay-fixture: the relay did not say where it listens within $((10 * scale)) s" >&2
    kill "$TIGRESS_RELAY_PID" 2>/dev/null
    return 1
}

relay_fixture_start() {
    TIGRESS_RELAY_BIN=${TIGRESS_RELAY_BIN:-$_relay_fixture_src/${BUILD:-build}/tigress-relay}
    if [[ ! -x "$TIGRESS_RELAY_BIN" ]]; then
        echo "relay-fixture: $TIGRESS_RELAY_BIN is missing (run make first)" >&2
        return 1
    fi
    _relay_fixture_args=("$@")
    TIGRESS_RELAY_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tigress-relay.XXXXXX") || return 1
    TIGRESS_RELAY_CA=$TIGRESS_RELAY_DIR/ca.pem
    export TIGRESS_RELAY_BIN TIGRESS_RELAY_DIR TIGRESS_RELAY_CA
    relay_fixture_certs "$TIGRESS_RELAY_DIR" || return 1
    _relay_fixture_launch 127.0.0.1:0
}

relay_fixture_stop() {
    [[ -n "${TIGRESS_RELAY_PID:-}" ]] || return 0
    local rc=0
    kill -TERM "$TIGRESS_RELAY_PID" 2>/dev/null || true
    wait "$TIGRESS_RELAY_PID" 2>/dev/null || rc=$?
    TIGRESS_RELAY_PID=
    # 143 = killed by the SIGTERM before the handler was installed; the relay exits 0 otherwise.
    [[ $rc -eq 0 || $rc -eq 143 ]] || { echo "relay-fixture: relay exited with $rc" >&2; return 1; }
}

relay_fixture_kill() {
    [[ -n "${TIGRESS_RELAY_PID:-}" ]] || return 0
    kill -KILL "$TIGRESS_RELAY_PID" 2>/dev/null || true
    wait "$TIGRESS_RELAY_PID" 2>/dev/null || true
    TIGRESS_RELAY_PID=
}

relay_fixture_restart() {
    relay_fixture_stop || return 1
    _relay_fixture_launch "127.0.0.1:$TIGRESS_RELAY_PORT"
}

relay_fixture_cleanup() {
    relay_fixture_stop 2>/dev/null || true
    if [[ -n "${TIGRESS_RELAY_DIR:-}" && -d "$TIGRESS_RELAY_DIR" ]]; then
        rm -rf "$TIGRESS_RELAY_DIR"
    fi
    TIGRESS_RELAY_DIR=
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    case "${1:-}" in
    certs) [[ -n "${2:-}" ]] && relay_fixture_certs "$2" ;;
    *) echo "usage: $0 certs DIR   (or source it; see the top of the file)" >&2; exit 2 ;;
    esac
fi
