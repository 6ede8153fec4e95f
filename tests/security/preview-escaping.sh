#!/usr/bin/env bash
# R31: the preview page (GET/HEAD /v1/m/{id}) never executes script and escapes every field.
# Starts the real relay over HTTPS on 127.0.0.1 (tests/lib/relay-fixture.sh), creates mailboxes
# whose title, description and imageURL carry markup, quotes and ampersands, and checks the HTML
# and the security headers (docs/protocol.md D9). Prints "N passed, N failed".
#   tests/security/preview-escaping.sh BUILD_DIR
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
export TIGRESS_RELAY_BIN="$build/tigress-relay"
# shellcheck source=../lib/relay-fixture.sh
source "$src/tests/lib/relay-fixture.sh"
trap relay_fixture_cleanup EXIT
pass=0 fail=0
ok()  { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAILED: $*"; fail=$((fail + 1)); }

relay_fixture_start --rate-limit 0 || { echo "0 passed, 1 failed"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; relay_fixture_cleanup' EXIT

uuid() { cat /proc/sys/kernel/random/uuid; }

# create FILE_JSON -> prints the mailbox id, or nothing when the relay refused it (status in $tmp/status)
create() {
    curl -sS --cacert "$TIGRESS_RELAY_CA" -o "$tmp/create.out" -w '%{http_code}' \
        -H 'Content-Type: application/json' -H "Mailbox-Request-ID: $(uuid)" \
        -H "Mailbox-Device-Claim: $(uuid)" --data-binary @"$1" "$TIGRESS_RELAY_URL/v1/m" > "$tmp/status"
    grep -o '/v1/m/[0-9a-f-]\{36\}' "$tmp/create.out" | head -1 | cut -c7-
}

# Display strings that try every way out of HTML text and attribute contexts.
title='<script>alert(1)</script><SCRIPT SRC=//x.test/a.js></SCRIPT>'
desc='"quoted" & '"'"'single'"'"' <img src=x onerror=alert(2)> </title><svg/onload=alert(3)> &amp;'
image='https://img.test/a.png?x=1&y="><script>alert(4)</script>'
python3 - "$title" "$desc" "$image" > "$tmp/hostile.json" <<'PY'
import json, sys
print(json.dumps({"payload": {"type": "XSALSA20_POLY1305", "data": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
                  "displayInformation": {"title": sys.argv[1], "description": sys.argv[2], "imageURL": sys.argv[3]}}))
PY
python3 - "$title" "$desc" > "$tmp/hostile_noimg.json" <<'PY'
import json, sys
print(json.dumps({"payload": {"type": "XSALSA20_POLY1305", "data": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
                  "displayInformation": {"title": sys.argv[1], "description": sys.argv[2], "imageURL": "https://img.test/ok.png"}}))
PY

# check_page ID LABEL: the HTML of the preview, its headers, and the HEAD variant.
check_page() {
    local id=$1 label=$2 page="$tmp/page.html" hdr="$tmp/page.hdr" code
    code=$(curl -sS --cacert "$TIGRESS_RELAY_CA" -D "$hdr" -o "$page" -w '%{http_code}' \
        "$TIGRESS_RELAY_URL/v1/m/$id")
    [[ $code == 200 ]] && ok "$label: preview answers 200" || bad "$label: preview status $code"
    # Parsed as a browser would tokenise it: elements and attributes, not text matches.
    local verdict
    verdict=$(python3 - "$page" "$title" "$desc" <<'PY'
import sys
from html.parser import HTMLParser
page, title, desc = open(sys.argv[1], encoding="utf-8").read(), sys.argv[2], sys.argv[3]
class P(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems, self.texts, self.attrs = [], [], []
    def handle_starttag(self, tag, attrs):
        if tag in ("script", "svg", "iframe", "object", "embed", "base", "form"):
            self.problems.append("element <%s>" % tag)
        for k, v in attrs:
            if k.startswith("on"):
                self.problems.append("event handler attribute %s on <%s>" % (k, tag))
            if v is not None and v.strip().lower().startswith(("javascript:", "data:")):
                self.problems.append("%s=%s on <%s>" % (k, v[:20], tag))
            self.attrs.append(v or "")
        if tag == "meta" and dict(attrs).get("http-equiv", "").lower() == "refresh":
            self.problems.append("meta refresh")
    def handle_data(self, data):
        self.texts.append(data)
p = P(); p.feed(page); p.close()
# Escaping round trip: each hostile string must come back whole, as text or attribute value.
for name, s in (("title", title), ("description", desc)):
    if not any(s in t for t in p.texts + p.attrs):
        p.problems.append("the %s does not appear unchanged after unescaping" % name)
print("; ".join(p.problems) if p.problems else "clean")
PY
)
    if [[ $verdict == clean ]]; then ok "$label: no script element, event handler or javascript: URL; fields round-trip"
    else bad "$label: $verdict"; fi
    if grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$page"; then ok "$label: title escaped (<, >)"; else bad "$label: title not shown escaped"; fi
    if grep -qE '(&quot;|&#34;|&#x22;)quoted(&quot;|&#34;|&#x22;)' "$page"; then ok "$label: double quotes escaped"; else bad "$label: double quotes not escaped"; fi
    if grep -qE "(&#39;|&#x27;|&apos;)single(&#39;|&#x27;|&apos;)" "$page"; then ok "$label: single quotes escaped"; else bad "$label: single quotes not escaped"; fi
    if grep -q '&amp;amp;' "$page"; then ok "$label: & escaped (a literal &amp; shows as &amp;amp;)"; else bad "$label: & not escaped"; fi
    grep -qi '^content-security-policy:.*default-src '"'"'none'"'" "$hdr" \
        && ok "$label: CSP default-src 'none'" || bad "$label: no CSP default-src 'none'"
    grep -qi '^content-security-policy:.*script-src' "$hdr" \
        && bad "$label: CSP allows some script-src" || ok "$label: CSP grants no script-src"
    grep -qi '^x-content-type-options: *nosniff' "$hdr" && ok "$label: nosniff" || bad "$label: no X-Content-Type-Options: nosniff"
    grep -qi '^content-type: *text/html' "$hdr" && ok "$label: text/html" || bad "$label: not text/html"
    code=$(curl -sS --cacert "$TIGRESS_RELAY_CA" -I -o "$tmp/head.hdr" -w '%{http_code}' "$TIGRESS_RELAY_URL/v1/m/$id")
    grep -qi '^content-security-policy:.*default-src '"'"'none'"'" "$tmp/head.hdr" && [[ $code == 200 ]] \
        && ok "$label: HEAD has the same CSP" || bad "$label: HEAD status $code or no CSP"
}

id=$(create "$tmp/hostile_noimg.json")
if [[ -n "$id" ]]; then check_page "$id" "hostile title/description"; else bad "create with hostile title/description refused ($(cat "$tmp/status"))"; fi

# The imageURL with a quote and markup: the relay may refuse it (400) or must escape it.
id=$(create "$tmp/hostile.json")
if [[ -z "$id" ]]; then
    [[ $(cat "$tmp/status") == 400 ]] && ok "hostile imageURL refused with 400" || bad "hostile imageURL: status $(cat "$tmp/status")"
else
    check_page "$id" "hostile imageURL"
    if grep -q 'y="><' "$tmp/page.html"; then bad "hostile imageURL: the quote breaks out of the attribute"; else ok "hostile imageURL: attribute not broken"; fi
fi

# Bidi controls and control characters in a title (docs/security.md): each shows as U+FFFD, so
# "\u202Ecod.exe" cannot read as "exe.doc" on the page; the rest of the title is kept.
python3 - > "$tmp/bidi.json" <<'PY'
import json
print(json.dumps({"payload": {"type": "XSALSA20_POLY1305", "data": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
                  "displayInformation": {"title": "Hotel \u202ecod.exe\u2066x\u2069\u0085\u001b[31m",
                                         "description": "d", "imageURL": "https://img.test/ok.png"}}))
PY
id=$(create "$tmp/bidi.json")
if [[ -z "$id" ]]; then
    bad "title with bidi controls: status $(cat "$tmp/status"): $(cat "$tmp/create.out")"
else
    curl -sS --cacert "$TIGRESS_RELAY_CA" -o "$tmp/bidi.html" "$TIGRESS_RELAY_URL/v1/m/$id"
    if LC_ALL=C grep -qP '\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]|\xc2[\x80-\x9f]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]' "$tmp/bidi.html"; then
        bad "bidi title: a bidi or control character reached the page"
    else ok "bidi title: no bidi or control character on the page"; fi
    if grep -qF "<h1>Hotel "$'\ufffd'"cod.exe"$'\ufffd'"x"$'\ufffd\ufffd\ufffd'"[31m</h1>" "$tmp/bidi.html"; then
        ok "bidi title: each one shown as U+FFFD, the rest kept"
    else bad "bidi title: not shown as expected: $(grep -a '<h1>' "$tmp/bidi.html")"; fi
fi

# The page of an unknown mailbox carries the same protections.
code=$(curl -sS --cacert "$TIGRESS_RELAY_CA" -D "$tmp/404.hdr" -o "$tmp/404.html" -w '%{http_code}' \
    "$TIGRESS_RELAY_URL/v1/m/$(uuid)")
{ [[ $code == 404 ]] && grep -qi '^content-security-policy:.*default-src' "$tmp/404.hdr" && ! grep -qi '<script' "$tmp/404.html"; } \
    && ok "unknown mailbox: 404 page with CSP, no script" || bad "unknown mailbox: status $code or unprotected page"

echo "${pass} passed, ${fail} failed"
[[ $fail -eq 0 ]]
