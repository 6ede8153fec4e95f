#!/usr/bin/env bash
# Static checks of the Swift binding that need no Swift compiler (the compiler and the XCTest
# suite run in bindings/swift/run-tests.sh, the run-swift-tests suite of make check):
#  1. the CTigress module map imports with clang -fmodules (Objective-C `@import CTigress;` and C
#     through the module), and what Swift relies on is visible through it (the *_init functions,
#     the vtables, the status enum);
#  2. TigressError.swift equals what bindings/gen_status.py generates from TIGRESS_STATUS_MAP;
#  3. every tigress_* function and TIGRESS_* constant the Swift sources use is declared in the
#     public headers (a renamed or misspelt C symbol fails here instead of on a Mac).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
cd "$src"
CLANG=${CLANG:-clang}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
map=bindings/swift/Sources/CTigress/module.modulemap

if ! command -v "$CLANG" >/dev/null 2>&1; then
    echo "swift-check: clang not found (install clang)"; exit 1
fi

cat > "$tmp/import.m" <<'OBJC'
@import CTigress;
int check_import(void);
int check_import(void) {
    tigress_client_options co;
    tigress_share_options so;
    tigress_redeem_options ro;
    tigress_wait_options wo;
    tigress_signer s = { TIGRESS_SIGNER_VERSION, "Ed25519", 0, 0 };
    tigress_verifier v = { TIGRESS_SIGNER_VERSION, 0, 0 };
    tigress_status st = TIGRESS_E_CANCELLED;
    /* Transport.swift and Crypto.swift: the transport vtable, response setters, crypto types. */
    tigress_transport t = { TIGRESS_TRANSPORT_VERSION, 0, 0, 0, 0 };
    tigress_http_request rq = { 1, "GET", "https://x", 0, 0, 0, 0, 0, 0, 0 };
    tigress_buf b = { 0, 0 };
    tigress_payload_type pt = TIGRESS_PAYLOAD_AES_128_GCM;
    (void)s; (void)v; (void)t; (void)rq; (void)b; (void)pt;
    (void)&tigress_http_response_set_status; (void)&tigress_payload_seal;
    return (int)st + tigress_client_options_init(&co, TIGRESS_CLIENT_OPTIONS_VERSION)
         + tigress_share_options_init(&so, TIGRESS_SHARE_OPTIONS_VERSION)
         + tigress_redeem_options_init(&ro, TIGRESS_REDEEM_OPTIONS_VERSION)
         + tigress_transfer_wait_options_init(&wo, TIGRESS_WAIT_OPTIONS_VERSION);
}
OBJC
"$CLANG" -fmodules -fmodules-cache-path="$tmp/cache" -fmodule-map-file="$map" -Iinclude \
    -Werror -fsyntax-only -x objective-c "$tmp/import.m"

# C with -fmodules: the #include is turned into an import of the CTigress module.
printf '#include "shim.h"\nint f(void);\nint f(void) { return (int)tigress_version_num(); }\n' \
    > "$tmp/include.c"
"$CLANG" -fmodules -fmodules-cache-path="$tmp/cache" -fmodule-map-file="$map" -Iinclude \
    -Ibindings/swift/Sources/CTigress -Werror -Rmodule-import -fsyntax-only "$tmp/include.c" \
    2> "$tmp/remarks"
grep -q "importing module 'CTigress'" "$tmp/remarks" || {
    echo "swift-check: the header was not imported through the CTigress module"; cat "$tmp/remarks"
    exit 1; }

# The generated Swift status list must equal what the C list gives today.
python3 bindings/gen_status.py --check >/dev/null || {
    python3 bindings/gen_status.py --check; exit 1; }

# Every C identifier used by the hand-written Swift sources exists in the public headers
# (TigressError.swift only holds status names as strings; step 2 checked it).
decls=$(cat include/tigress.h include/tigress/*.h include/tigress/sys/*.h)
swift_files=$(ls bindings/swift/Sources/Tigress/*.swift bindings/swift/Sources/Example/*.swift |
              grep -v '/TigressError.swift$')
missing=0
# shellcheck disable=SC2086
for id in $(grep -ohE '\b(tigress_[a-z0-9_]+|TIGRESS_[A-Z0-9_]+)\b' $swift_files | sort -u); do
    if ! grep -qE "\\b${id}\\b" <<<"$decls"; then
        echo "swift-check: ${id} is used in Swift but not declared in include/"; missing=1
    fi
done
[[ $missing -eq 0 ]] || exit 1
# shellcheck disable=SC2086
n=$(grep -ohE '\b(tigress_[a-z0-9_]+|TIGRESS_[A-Z0-9_]+)\b' $swift_files | sort -u | wc -l)
echo "swift-check: CTigress module map imports with clang -fmodules; TigressError.swift is current;" \
     "${n} C identifiers used by the Swift sources are declared (swift build + XCTest: run-swift-tests)"
