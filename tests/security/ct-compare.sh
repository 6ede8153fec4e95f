#!/usr/bin/env bash
# Constant-time comparisons where secrets are compared (docs/protocol.md §4):
# memcmp and friends stop at the first differing byte, so their timing tells an attacker how
# much of a guessed secret is right.
# Scans lib/ and relay/ (with relay/store/) for memcmp/strcmp/strncmp/strcasecmp/strncasecmp/bcmp on source lines
# that name a claim, tag, token, key, secret, MAC, signature, hash, nonce or seed, and for SQL
# or Lua text comparing claims; each must be reviewed in tests/security/ct-compare.list. The
# list's `require` entries are constant-time comparisons that must remain. Prints
# "N passed, N failed": one test per comparison found and per `require` entry.
set -uo pipefail
cd "$(dirname "$0")/../.."
list=tests/security/ct-compare.list
pass=0 fail=0
sensitive='claim|tag|token|key|secret|mac\b|sig|hash|nonce|seed|auth'
# Trimmed source text; a macro's line-continuation backslash is dropped too.
trim() { sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' -e 's/[[:space:]]*\\$//'; }

# Reviewed entries: "verdict|file|text" (the text's "\|" stands for a literal "|").
reviewed() {   # $1 file, $2 trimmed text -> prints the verdict or nothing
    # Through the environment: awk -v would interpret the backslashes in the source text.
    CT_FILE="$1" CT_TEXT="$2" awk 'BEGIN { FS = "\034"; f = ENVIRON["CT_FILE"]; t = ENVIRON["CT_TEXT"] }
        /^[[:space:]]*#/ || NF == 0 { next }
        { gsub(/\\\|/, "\035"); n = split($0, a, "|"); for (i = 1; i <= n; i++) gsub("\035", "|", a[i]);
          if (a[2] == f && a[3] == t) { print a[1]; exit } }' "$list"
}

mapfile -t hits < <(grep -nE '\b(memcmp|strcmp|strncmp|strcasecmp|strncasecmp|bcmp)[[:space:]]*\(' \
                        lib/*.c relay/*.c relay/store/*.c 2>/dev/null | grep -iE "$sensitive")
# Claims compared in SQL or Lua text (a store backend).
mapfile -t -O "${#hits[@]}" hits < <(grep -nE 'claim[^"]*(<>|!=|==|~=| = \?)' relay/*.c relay/*.h relay/store/*.c relay/store/*.h 2>/dev/null |
                                     grep -E '"' )
for h in "${hits[@]}"; do
    file=${h%%:*}; rest=${h#*:}; line=${rest%%:*}; text=$(printf '%s' "${rest#*:}" | trim)
    verdict=$(reviewed "$file" "$text")
    case "$verdict" in
        ok)      echo "ok: $file:$line reviewed, no secret involved"; pass=$((pass + 1)) ;;
        require) echo "ok: $file:$line constant-time"; pass=$((pass + 1)) ;;
        finding) echo "NOTE: $file:$line not constant-time, reported: $text"; pass=$((pass + 1)) ;;
        *)       echo "FAILED: $file:$line compares a secret-looking value and is not reviewed in $list:"
                 echo "        $text"; fail=$((fail + 1)) ;;
    esac
done

# Constant-time comparisons that must stay where they are.
while IFS=$'\034' read -r file text; do
    if [[ -f "$file" ]] && grep -qF -- "$text" "$file"; then
        echo "ok: $file keeps: $text"; pass=$((pass + 1))
    else
        echo "FAILED: $file no longer has the constant-time comparison: $text"; fail=$((fail + 1))
    fi
done < <(awk '/^[[:space:]]*#/ || NF == 0 { next }
              { gsub(/\\\|/, "\035"); n = split($0, a, "|"); for (i = 1; i <= n; i++) gsub("\035", "|", a[i]);
                if (a[1] == "require") printf "%s\034%s\n", a[2], a[3] }' "$list")

echo "${pass} passed, ${fail} failed"
[[ $fail -eq 0 ]]
