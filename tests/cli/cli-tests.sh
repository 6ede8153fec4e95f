#!/usr/bin/env bash
# CLI tests: the two-device story scripted through the `tigress` binary against a real relay
# over HTTPS on loopback (tests/lib/relay-fixture.sh). Checks output, exit codes (2 usage,
# 3 network, 4 refused, 5 crypto, 6 gone, 7 wait --timeout elapsed), --json, expiry, the Secret
# kept out of argv, text output escaping the control characters a peer put in its values (--json
# exact), that the README quick starts are what examples/demo.sh runs, state-file permissions and continuation from
# another shell, and that an installed library builds the README example via pkg-config.
# Ends with "N passed, N failed"; exits non-zero when anything failed.
#
# Environment: BUILD (default build), TIGRESS_CLI (default $BUILD/tigress),
# TIGRESS_RELAY_BIN (default $BUILD/tigress-relay), CLI_TESTS_SKIP_INSTALL=1 to skip the
# install check (it builds the library again in a scratch directory), TIGRESS_EXAMPLE_CFLAGS:
# extra compiler flags for the example built against the installed library (the SAN=1 wrapper
# passes the sanitizer flags; SAN=1 itself reaches the install's make through the environment).
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
[[ "$BUILD" = /* ]] || BUILD="$src/$BUILD"
T=${TIGRESS_CLI:-$BUILD/tigress}
export TIGRESS_RELAY_BIN=${TIGRESS_RELAY_BIN:-$BUILD/tigress-relay}
# shellcheck source=../lib/relay-fixture.sh
source "$src/tests/lib/relay-fixture.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/tigress-cli-tests.XXXXXX")
trap 'relay_fixture_cleanup; rm -rf "$work"' EXIT
cd "$work" || exit 1

# shellcheck source=../lib/shell-checks.sh
source "$src/tests/lib/shell-checks.sh"
contains() { [[ "$1" == *"$2"* ]]; }
matches() { [[ "$1" =~ $2 ]]; }      # regular expression
like() { [[ "$1" == $2 ]]; }         # glob pattern
json_ok() { python3 -m json.tool >/dev/null 2>&1 <<<"$1"; }
jget() { python3 -c 'import json,sys; v=json.loads(sys.argv[1]); [v:=v[k] for k in sys.argv[2:]]; print(v)' "$@"; }
mode() { stat -c %a "$1"; }
# clean_text TEXT: no raw control character a terminal would act on: C0 but the line ends, DEL,
# C1 (raw or UTF-8 encoded), bidi controls, line/paragraph separators; also valid UTF-8.
clean_text() { python3 -c 'import os,re,sys
b=os.fsencode(sys.argv[1])
bad=re.search(rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xd8\x9c|\xe2\x80[\x8e\x8f\xa8-\xae]|\xe2\x81[\xa6-\xa9]", b)
try: b.decode("utf-8"); ok = bad is None
except UnicodeDecodeError: ok = False
sys.exit(0 if ok else 1)' "$1"; }
# jeq JSON VALUE KEY...: the string at KEY... in JSON is exactly the bytes of VALUE.
jeq() { python3 -c 'import json,os,sys
v=json.loads(sys.argv[1])
for k in sys.argv[3:]: v=v[k]
sys.exit(0 if v.encode("utf-8","surrogateescape")==os.fsencode(sys.argv[2]) else 1)' "$@"; }
# lines TEXT REGEX: how many lines of TEXT match REGEX.
lines() { grep -cE -- "$2" <<<"$1"; }

if ! relay_fixture_start --rate-limit 0; then
    echo "cannot start the relay"; echo "0 passed, 1 failed"; exit 1
fi
R=$TIGRESS_RELAY_URL CA=$TIGRESS_RELAY_CA
CONTENT='{"vehicle":"VIN42","key":"c2VjcmV0"}'

echo "# help and usage errors"
expect "tigress --help" 0 "$T" --help
check "--help documents the exit codes" contains "$out" "6  gone"
check "--help documents exit code 7 (own wait timeout)" contains "$out" "7  wait --timeout elapsed"
for cmd in share redeem update wait approve complete revoke relinquish status keygen preview version; do
    run "$T" "$cmd" --help
    if [[ $rc -eq 0 && "$out" == *"Usage: tigress $cmd"* && "$out" == *"Exit codes"* ]]; then
        ok "tigress $cmd --help"; else not_ok "tigress $cmd --help (exit $rc)"; fi
done
expect "version" 0 "$T" version
check "version names CLI and library" like "$out" "tigress * (libtigress *)"
expect "version --json" 0 "$T" version --json
check "version --json is JSON with the library version" [ "$(jget "$out" library_version 2>/dev/null)" != "" ]
check "version --json: the CLI version too" matches "$(jget "$out" cli_version 2>/dev/null)" '^[0-9]+\.[0-9]+\.[0-9]+'
expect "--version" 0 "$T" --version
expect "keygen --state: not for keygen" 2 "$T" keygen --key k.key --state k.state
check "the message says keygen does not take --state" contains "$err" "does not take --state"
expect "keygen --ca-file: not for keygen" 2 "$T" keygen --key k.key --ca-file x.pem
check "keygen --help says why it takes no --state/--ca-file" contains "$("$T" keygen --help)" "no --state and no --ca-file"
expect "no arguments is a usage error" 2 "$T"
expect "unknown command" 2 "$T" frobnicate
expect "unknown option" 2 "$T" share --bogus
expect "share without --relay" 2 "$T" share --format f --content '{}' --title t
check "the message names the missing option" contains "$err" "--relay"
expect "bad --expires" 2 "$T" share --relay "$R" --format f --content '{}' --title t --expires soon
# A day its month does not have is an error, not silently the next month (2031 is no leap year).
expect "--expires on a day its month does not have" 2 "$T" share --relay "$R" --format f \
    --content '{}' --title t --expires 2031-02-29T10:00:00Z
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
expect "keygen --json" 0 "$T" keygen --json --key json.key
check "keygen --json prints the public key as JSON" matches "$(jget "$out" public_key 2>/dev/null)" '^[0-9a-f]{64}$'

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
expect "preview --state (the transfer's URL, CA from the state file)" 0 "$T" preview --json --state alice.state
check "preview --state --json shows the title" [ "$(jget "$out" title 2>/dev/null)" = "Car key" ]
check "preview --state never prints the Secret" [ "${out/${URL#*#}/}" = "$out" ]
expect "preview with neither URL nor --state" 2 "$T" preview --ca-file "$CA"
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
expect "redeem with no #fragment and no --secret: usage" 2 "$T" redeem --state nosec.state --ca-file "$CA" "$BARE"
check "the hint says to pass --secret" contains "$err" "pass --secret"
check "it is not reported as a bad Secret" [ "${err/Base64/}" = "$err" ]
expect "an empty #fragment is no Secret either" 2 "$T" redeem --ca-file "$CA" "$BARE#"
printf '%s\n' "$SECRET" > secret.txt
expect "redeem with --secret @FILE (nothing was bound by the refused redeems)" 0 "$T" redeem \
    --ca-file "$CA" "$BARE" --secret @secret.txt

echo "# the Share URL from a file or stdin; the Secret blanked in argv before the network call"
check "redeem --help documents @FILE and @-" contains "$("$T" redeem --help)" "URL|@FILE|@-"
run "$T" share --json --ca-file "$CA" --relay "$R" --format f --content "$CONTENT" --title t
printf '%s\n' "$(jget "$out" share_url)" > url.txt
expect "redeem @FILE" 0 "$T" redeem --json --ca-file "$CA" @url.txt
check "redeem @FILE decrypts" [ "$(jget "$out" content vehicle 2>/dev/null)" = VIN42 ]
run "$T" share --json --ca-file "$CA" --relay "$R" --format f --content "$CONTENT" --title t
URL=$(jget "$out" share_url)
expect "redeem @- (URL on stdin)" 0 bash -c "'$T' redeem --json --ca-file '$CA' @- <<<'$URL'"
check "redeem @- decrypts" [ "$(jget "$out" content vehicle 2>/dev/null)" = VIN42 ]
expect "redeem @missing-file" 2 "$T" redeem --ca-file "$CA" @missing-url.txt
# A loopback listener that accepts and never answers holds the redeem inside its network call;
# once the connection is accepted, /proc must no longer show the #fragment.
python3 -c 'import socket,sys,time
def note(path, text):
    with open(path + ".tmp", "w") as f: f.write(text)
    __import__("os").rename(path + ".tmp", path)
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
note(sys.argv[1], str(s.getsockname()[1]))
c, _ = s.accept(); note(sys.argv[2], "1"); time.sleep(120)' hang.port hang.accepted & hpid=$!
for ((i = 0; i < 600; i++)); do [[ -s hang.port ]] && break; sleep 0.05; done
FRAG=${URL#*#} MID=${URL#*/v1/m/}; MID=${MID%%[?#]*}
"$T" redeem --ca-file "$CA" "https://127.0.0.1:$(<hang.port)/v1/m/$MID?v=c#$FRAG" 2>/dev/null & rpid=$!
for ((i = 0; i < 600; i++)); do [[ -s hang.accepted ]] && break; sleep 0.05; done
check "the redeem reached the network" [ -s hang.accepted ]
check "the #fragment is blanked in argv during the network call" \
    [ "$(tr '\0' ' ' </proc/$rpid/cmdline | grep -cF -- "$FRAG")" = 0 ]
kill "$rpid" "$hpid" 2>/dev/null; wait "$rpid" "$hpid" 2>/dev/null

echo "# preview: the Share URL from a file or stdin; the Secret blanked in argv"
check "preview --help documents @FILE and @-" contains "$("$T" preview --help)" "URL|@FILE|@-"
run "$T" share --json --ca-file "$CA" --relay "$R" --format f --content "$CONTENT" --title "Preview me"
URL=$(jget "$out" share_url)
printf '%s\n' "$URL" > purl.txt
expect "preview @FILE" 0 "$T" preview --json --ca-file "$CA" @purl.txt
check "preview @FILE shows the title" [ "$(jget "$out" title 2>/dev/null)" = "Preview me" ]
expect "preview @- (URL on stdin)" 0 bash -c "'$T' preview --json --ca-file '$CA' @- <<<'$URL'"
check "preview @- shows the title" [ "$(jget "$out" title 2>/dev/null)" = "Preview me" ]
expect "preview @missing-file" 2 "$T" preview --ca-file "$CA" @missing-url.txt
expect "preview: a URL and --state together" 2 "$T" preview --state alice.state "$URL"
# As for redeem: a listener that accepts and never answers holds the preview in its fetch.
rm -f hang.port hang.accepted
python3 -c 'import socket,sys,time
def note(path, text):
    with open(path + ".tmp", "w") as f: f.write(text)
    __import__("os").rename(path + ".tmp", path)
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
note(sys.argv[1], str(s.getsockname()[1]))
c, _ = s.accept(); note(sys.argv[2], "1"); time.sleep(120)' hang.port hang.accepted & hpid=$!
for ((i = 0; i < 600; i++)); do [[ -s hang.port ]] && break; sleep 0.05; done
FRAG=${URL#*#} MID=${URL#*/v1/m/}; MID=${MID%%[?#]*}
"$T" preview --ca-file "$CA" "https://127.0.0.1:$(<hang.port)/v1/m/$MID#$FRAG" >/dev/null 2>&1 & ppid=$!
for ((i = 0; i < 600; i++)); do [[ -s hang.accepted ]] && break; sleep 0.05; done
check "the preview reached the network" [ -s hang.accepted ]
check "preview: the #fragment is blanked in argv during the network call" \
    [ "$(tr '\0' ' ' </proc/$ppid/cmdline | grep -cF -- "$FRAG")" = 0 ]
check "preview: the rest of the URL is still in argv" \
    [ "$(tr '\0' ' ' </proc/$ppid/cmdline | grep -cF -- "/v1/m/$MID#")" = 1 ]
kill "$ppid" "$hpid" 2>/dev/null; wait "$ppid" "$hpid" 2>/dev/null

echo "# no core dumps: the CLI holds Secrets in memory"
# A CLI held in its network call (the never-answering listener again) must have a core file
# limit of 0, soft and hard, and be non-dumpable: then Linux hands its /proc/PID files to root
# instead of its own user. That ownership only tells when the CLI runs as some other user than
# root, so as root it runs as nobody (setpriv), over http:// loopback (no files to read).
rm -f hang.port hang.accepted
python3 -c 'import socket,sys,time
def note(path, text):
    with open(path + ".tmp", "w") as f: f.write(text)
    __import__("os").rename(path + ".tmp", path)
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
note(sys.argv[1], str(s.getsockname()[1]))
c, _ = s.accept(); note(sys.argv[2], "1"); time.sleep(120)' hang.port hang.accepted & hpid=$!
for ((i = 0; i < 600; i++)); do [[ -s hang.port ]] && break; sleep 0.05; done
# The build tree must be reachable by nobody: a clone inside a mode-0700 directory (mktemp -d)
# is not, and the CLI would fail to start; then it runs as root and the ownership check skips.
as_user=() run_uid=$(id -u)
if [[ $run_uid = 0 ]] && command -v setpriv >/dev/null &&
    setpriv --reuid=65534 --regid=65534 --clear-groups "$T" --version >/dev/null 2>&1; then
    as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups) run_uid=65534
fi
"${as_user[@]}" "$T" redeem --insecure-loopback "http://127.0.0.1:$(<hang.port)/v1/m/$MID#$FRAG" \
    >/dev/null 2>&1 & cpid=$!
for ((i = 0; i < 600; i++)); do [[ -s hang.accepted ]] && break; sleep 0.05; done
check "the CLI reached the network" [ -s hang.accepted ]
check "the CLI's core file size limit is 0, soft and hard" \
    grep -qE '^Max core file size +0 +0 ' "/proc/$cpid/limits"
if [[ $run_uid != 0 ]]; then
    check "the CLI is not dumpable (its /proc files belong to root, not uid $run_uid)" \
        [ "$(stat -c %u "/proc/$cpid/status")" = 0 ]
else
    echo "skip - not dumpable: running as root (no setpriv, or nobody cannot run $T), /proc ownership cannot tell"
fi
kill "$cpid" "$hpid" 2>/dev/null; wait "$cpid" "$hpid" 2>/dev/null

echo "# text output escapes control characters the other side chose; --json keeps them exact"
# Title, description, format, image URL and TxInfo type come from the peer (or the relay): an ESC
# sequence could retitle the terminal or clear it, a newline could forge a "State:" line, a
# bidi control could reverse what follows. Text output escapes them; --json is exact.
EVIL=$'Car\x1b]0;pwned\x07\x1b[2J\u202eyek\u2066\nState: COMPLETED\r\xc2\x9b31m\x7f\u061c\u200f'
EVIL_IMG=$'https://img.example/a\u202egnp.exe'
expect "alice shares with control characters in title, description and format" 0 "$T" share \
    --json --stateful --state ta.state --ca-file "$CA" --relay "$R" --format "$EVIL" \
    --content "$CONTENT" --title "$EVIL" --description "$EVIL" --image-url "$EVIL_IMG"
URL=$(jget "$out" share_url)
expect "preview (text)" 0 "$T" preview --ca-file "$CA" "$URL"
check "preview text has no raw control character" clean_text "$out"
check "preview text forges no State: line" [ "$(lines "$out" '^State:')" = 0 ]
# The preview is the relay's public page, which shows controls and bidi overrides as U+FFFD
# (docs/security.md); what it keeps (newline, CR, ALM, RLM) the CLI escapes.
PAGE_TITLE=$'Car\ufffd]0;pwned\ufffd\ufffd[2J\ufffdyek\ufffd\nState: COMPLETED\r\ufffd31m\ufffd\u061c\u200f'
check "preview text shows the page's title, the rest escaped" contains "$out" \
    $'Car\ufffd]0;pwned\ufffd\ufffd[2J\ufffdyek\ufffd'"\\nState: COMPLETED\\r"$'\ufffd31m\ufffd''\u061c\u200f'
check "preview text shows the page's image URL" contains "$out" $'img.example/a\ufffdgnp.exe'
expect "preview --json" 0 "$T" preview --json --ca-file "$CA" "$URL"
check "preview --json: exactly the page's title" jeq "$out" "$PAGE_TITLE" title
check "preview --json: exactly the page's image URL" jeq "$out" $'https://img.example/a\ufffdgnp.exe' image_url
expect "bob redeems (text)" 0 "$T" redeem --state tb.state --ca-file "$CA" --peer-key "$PUB" "$URL"
check "redeem text has no raw control character" clean_text "$out"
check "redeem text has one State: line, the real one" [ "$(lines "$out" '^State:')" = 1 ]
check "redeem text: the real state" matches "$out" $'(^|\n)State: +REDEEMED\n'
check "redeem text shows the format escaped" contains "$out" $'Format:       Car\\x1b]0;pwned'
expect "bob's status --json: exact title, description, format, image URL" 0 "$T" status --json --state tb.state
check "status --json: the exact title" jeq "$out" "$EVIL" title
check "status --json: the exact description" jeq "$out" "$EVIL" description
check "status --json: the exact format" jeq "$out" "$EVIL" format
check "status --json: the exact image URL" jeq "$out" "$EVIL_IMG" image_url
expect "bob sends TxInfo with control characters in its type" 0 "$T" update --state tb.state \
    --txinfo-type "$EVIL" --txinfo 0102
check "update text has no raw control character" clean_text "$out"
check "update text has one State: line" [ "$(lines "$out" '^State:')" = 1 ]
expect "alice waits (text)" 0 "$T" wait --state ta.state --quiet
check "wait text has no raw control character" clean_text "$out"
check "wait text has one State: line, the real one" [ "$(lines "$out" '^State:')" = 1 ]
check "wait text: the real state" matches "$out" $'(^|\n)State: +TXINFO_RECEIVED\n'
check "wait text shows the TxInfo type escaped" contains "$out" 'TxInfo type:  Car\x1b]0;pwned'
expect "alice's status (text)" 0 "$T" status --state ta.state
check "status text has no raw control character" clean_text "$out"
check "status text has one State: line, the real one" [ "$(lines "$out" '^State:')" = 1 ]
check "status text: the real state" matches "$out" $'(^|\n)State: +TXINFO_RECEIVED\n'
expect "alice's status --json" 0 "$T" status --json --state ta.state
check "status --json: the exact TxInfo type" jeq "$out" "$EVIL" txinfo_type
check "status --json: the exact title" jeq "$out" "$EVIL" title
check "status --json: the exact format" jeq "$out" "$EVIL" format
expect "alice revokes the odd share" 0 "$T" revoke --state ta.state

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
expect "wait --timeout 2s elapses: its own exit code" 7 "$T" wait --state slow.state --timeout 2s --quiet
check "the message says the peer has not answered yet" contains "$err" "has not answered yet"
expect "wait --timeout with --json" 7 "$T" wait --json --state slow.state --timeout 1s --quiet
check "the JSON error says exit code 7" [ "$(jget "$out" error exit_code 2>/dev/null)" = 7 ]
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
check "bob sees Flow: stateful" matches "$out" "Flow: +stateful"
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
expect "wait with --peer-key remembers it" 7 "$T" wait --state np.state --peer-key "$MPUB" --timeout 1s --quiet
check "the peer key is saved in the state file" [ "$(grep -c "$MPUB" np.state)" = 1 ]

echo "# expiry"
# Bob redeems at once (bash only between the two commands; 15 s is room even under valgrind).
expect "share --expires 15s" 0 "$T" share --json --state exp.state --ca-file "$CA" --relay "$R" \
    --format f --content "$CONTENT" --title t --expires 15s
[[ $out =~ \"share_url\":\"([^\"]*)\" ]] && URL=${BASH_REMATCH[1]}
expect "bob redeems before the expiry" 0 "$T" redeem --state expbob.state --ca-file "$CA" "$URL"
EXP=$(date -u -d "$(jget "$("$T" status --json --state exp.state)" expires)" +%s)
while (( $(date -u +%s) <= EXP + 1 )); do sleep 0.5; done   # until the expiry has passed
expect "carol redeems after the expiry: gone" 6 "$T" redeem --ca-file "$CA" "$URL"
check "the message says the link may have expired" contains "$err" "expired"
expect "alice waits after the expiry: gone" 6 "$T" wait --state exp.state --quiet
check "alice's error names the expiry" contains "$err" "TIGRESS_E_EXPIRED"
check "alice's transfer is EXPIRED" contains "$("$T" status --state exp.state)" "EXPIRED"
expect "bob completes after the expiry: gone" 6 "$T" complete --state expbob.state
check "bob's error names the expiry" contains "$err" "expired"

echo "# --image-url"
expect "share --image-url" 0 "$T" share --json --state img.state --ca-file "$CA" --relay "$R" \
    --format f --content "$CONTENT" --title "Car key" --image-url "https://img.example/car.png"
URL=$(jget "$out" share_url)
expect "preview shows the image" 0 "$T" preview --json --ca-file "$CA" "$URL"
check "og:image is the --image-url" [ "$(jget "$out" image_url)" = "https://img.example/car.png" ]
expect "bob redeems" 0 "$T" redeem --json --state imgbob.state --ca-file "$CA" "$URL"
check "bob sees the image URL" [ "$(jget "$out" image_url)" = "https://img.example/car.png" ]
check "status shows the image URL" contains "$("$T" status --state img.state)" "https://img.example/car.png"
expect "--image-url must be https" 2 "$T" share --ca-file "$CA" --relay "$R" --format f \
    --content '{}' --title t --image-url "http://img.example/car.png"

echo "# the README quick starts are the commands make demo runs"
expect "README.md and examples/README.md match examples/demo.sh" 0 python3 \
    "$src/tests/cli/check-quickstart.py" "$src/examples/demo.sh" "$src/README.md" "$src/examples/README.md"
sed 's/--expires 1h/--expires 2h/' "$src/README.md" > drifted.md
expect "a drifted copy is caught" 1 python3 "$src/tests/cli/check-quickstart.py" "$src/examples/demo.sh" drifted.md
check "the difference is shown" contains "$out" "+tigress share --state alice.state"

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
    # TIGRESS_EXAMPLE_CFLAGS (set by the SAN=1 wrapper): the install above built an ASan/UBSan
    # library, which only loads into a program linked with the same sanitizer runtime.
    # shellcheck disable=SC2086
    if cc -std=c11 -Wall -Wextra -Werror ${TIGRESS_EXAMPLE_CFLAGS:-} -o "$work/stateless" \
        "$src/examples/stateless.c" $flags \
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
checks_summary
