#!/bin/sh
# Citations in the repository resolve inside the repository.
#
#   (a) every requirement tag a test cites (R1, C14, S11, ranges like R29-R36; in test names,
#       where tags sit between underscores, and in comments) has a row in docs/requirements.md;
#   (b) no source, test, binding, example or benchmark cites documents the repository does not
#       contain (a design document by section number, a path into a directory outside the
#       repository, or an issue number in place of the reason); one check per area, so a failure
#       names the area and its owner can fix it;
#   (c) every "docs/protocol.md §N" / "docs/protocol.md DN" citation, every bare DN and §N inside
#       docs/, and every in-page link (#anchor) and relative .md link of docs/*.md names a heading
#       or file that exists;
#   (d) docs/security.md cites tests that exist: every `test_*` name is a test function under
#       tests/, every fuzz_* target has its tests/fuzz source, every tests/... path exists, and
#       every quoted check of a row citing tests/cli/cli-tests.sh is a check of that script.
#
# Usage: tests/docs/check-citations.sh [REPO_ROOT]   (default: the checkout holding this script)
# Prints one "ok"/"FAIL" line per check and, last, "N passed, N failed". Exit 1 on any failure.
# Needs only POSIX sh, grep -E, sed, awk and sort.
set -u

root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root" || exit 2
pass=0 fail=0
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM

ok()  { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }

req=docs/requirements.md
proto=docs/protocol.md
for f in "$req" "$proto"; do
    if [ -f "$f" ]; then ok "$f exists"; else bad "$f is missing"; fi
done

# ---------------------------------------------------------------- (a) requirement tags
# Tags defined: the first cell of a table row, "| R17 |".
sed -n 's/^| *\([RCS][0-9][0-9]*\) *|.*/\1/p' "$req" 2>/dev/null | sort -u > "$tmp/defined"

# Tags cited by tests: R/C/S + 1-2 digits with no letter or digit on either side (an underscore
# counts as a separator, so test_relay__R17_x cites R17). "X1-X9" and "X1-9" are ranges.
# C89, C90 and C99 are editions of the C standard and C0 is the set of ASCII control characters;
# no client requirement is numbered 0 or that high.
find tests -path tests/fuzz/corpus -prune -o -type f \
     \( -name '*.c' -o -name '*.h' -o -name '*.sh' -o -name '*.py' -o -name '*.mk' \
        -o -name '*.java' -o -name '*.md' \) -print | sort > "$tmp/files"
tr '\n' '\0' < "$tmp/files" | xargs -0 cat 2>/dev/null | tr '_' ' ' |
    awk '
    {
        line = $0
        # ranges first: R29-R36, C7-C10, R29-36
        while (match(line, /(^|[^A-Za-z0-9])[RCS][0-9][0-9]?[-–][RCS]?[0-9][0-9]?([^A-Za-z0-9]|$)/)) {
            seg = substr(line, RSTART, RLENGTH)
            line = substr(line, RSTART + RLENGTH - 1)
            gsub(/^[^RCS]*/, "", seg); letter = substr(seg, 1, 1)
            split(seg, ends, /[-–]/)
            lo = ends[1]; hi = ends[2]
            gsub(/[^0-9]/, "", lo); gsub(/[^0-9]/, "", hi)
            e2 = ends[2]; gsub(/[^A-Za-z]/, "", e2)
            if (e2 != "" && e2 != letter) continue
            for (k = lo + 0; k <= hi + 0 && k - lo < 50; k++) print letter k
        }
        line = $0
        while (match(line, /(^|[^A-Za-z0-9])[RCS][0-9][0-9]?([^A-Za-z0-9]|$)/)) {
            seg = substr(line, RSTART, RLENGTH)
            line = substr(line, RSTART + RLENGTH - 1)
            gsub(/[^RCS0-9]/, "", seg)
            print seg
        }
    }' | grep -vxE 'C0|C89|C90|C99' | sort -u > "$tmp/cited"
undefined=$(comm -23 "$tmp/cited" "$tmp/defined")
ncited=$(wc -l < "$tmp/cited" | tr -d ' ')
if [ -z "$undefined" ]; then
    ok "(a) all $ncited requirement tags cited under tests/ are defined in $req"
else
    for t in $undefined; do
        where=$(tr '\n' '\0' < "$tmp/files" | xargs -0 grep -lE "(^|[^A-Za-z0-9])$t([^A-Za-z0-9]|\$)" 2>/dev/null |
                head -n 3 | tr '\n' ' ')
        bad "(a) tag $t is cited under tests/ but has no row in $req (${where% })"
    done
fi

# ---------------------------------------------------------------- (b) outside documents
# One check per area. A hit is printed as file:line so its owner finds it.
# (Spelled in pieces so that this script does not match itself.)
d=DESIGN i=issue p=protocol-ref
pattern="$d §|$d [0-9]|\\.\\./shared|$i [0-9]|${p}erence"
areas="lib relay include examples bindings bench .ci"
for d in tests/*/; do areas="$areas ${d%/}"; done
for area in $areas; do
    [ -e "$area" ] || continue
    hits=$(grep -rnE "$pattern" "$area" --exclude-dir=corpus 2>/dev/null)
    if [ -z "$hits" ]; then
        ok "(b) $area cites no outside document"
    else
        n=$(printf '%s\n' "$hits" | wc -l | tr -d ' ')
        bad "(b) $area cites outside documents ($n line(s)):"
        printf '%s\n' "$hits" | cut -c1-160 | sed 's/^/       /'
    fi
done

# ---------------------------------------------------------------- (c) protocol.md citations
# Headings "## §4 ...", "### §2.1 ...", "### D7 ...": record "§4", "§2.1", "D7".
sed -n 's/^#\{1,6\} *\(§[0-9][0-9.]*\)\( .*\)\{0,1\}$/\1/p;
        s/^#\{1,6\} *\(D[0-9][0-9]*\)\( .*\)\{0,1\}$/\1/p' "$proto" 2>/dev/null | sed 's/\.$//' | sort -u > "$tmp/heads"

# Citations: "protocol.md" followed by §N / DN tokens (joined by "/", ",", "and", "-"), anywhere;
# inside docs/ also bare DN and §N (protocol.md's own section references included).
{
    grep -rhoE 'protocol\.md(#[^ )]*)?( |\))*((§[0-9]+(\.[0-9]+)*|D[0-9]+)([ ]*(/|,|and|-|–)[ ]*)?)+' \
        lib relay include examples tests bindings bench docs README.md --exclude-dir=corpus 2>/dev/null |
        sed 's/^protocol\.md//'
    grep -hoE '(^|[^A-Za-z0-9_])(§[0-9]+(\.[0-9]+)*|D[0-9]+)' docs/*.md 2>/dev/null
} | grep -oE '§[0-9]+(\.[0-9]+)*|D[0-9]+' | sort -u > "$tmp/refs"
missing=$(comm -23 "$tmp/refs" "$tmp/heads")
nrefs=$(wc -l < "$tmp/refs" | tr -d ' ')
if [ -z "$missing" ]; then
    ok "(c) all $nrefs distinct §N / DN citations of $proto name an existing heading"
else
    for r in $missing; do
        where=$( { grep -rlE "protocol\.md.*$r([^0-9.]|\$)" lib relay include examples tests bindings \
                   bench README.md --exclude-dir=corpus; grep -lE "$r([^0-9.]|\$)" docs/*.md; } 2>/dev/null |
                 sort -u | head -n 3 | tr '\n' ' ')
        bad "(c) $r is cited but $proto has no heading for it (${where% })"
    done
fi

# In-page anchors and relative links between the pages of docs/.
for page in docs/*.md; do
    [ -f "$page" ] || continue
    # GitHub heading slugs: lowercase, drop what is not a letter, digit, space or hyphen,
    # spaces become hyphens.
    sed -n 's/^#\{1,6\} *//p' "$page" | tr 'A-Z' 'a-z' | sed 's/[^a-z0-9 -]//g; s/ /-/g' |
        sort -u > "$tmp/slugs"
    broken=""
    for a in $(grep -oE '\]\(#[^)]+\)' "$page" | sed 's/^](#//; s/)$//' | sort -u); do
        grep -qx -- "$a" "$tmp/slugs" || broken="$broken #$a"
    done
    for l in $(grep -oE '\]\([^)#:]+(#[^)]*)?\)' "$page" | sed 's/^](//; s/)$//; s/#.*//' | sort -u); do
        [ -e "$(dirname "$page")/$l" ] || broken="$broken $l"
    done
    if [ -z "$broken" ]; then ok "(c) links in $page resolve"; else bad "(c) broken links in $page:$broken"; fi
done

# ---------------------------------------------------------------- (d) docs/security.md
sec=docs/security.md
if [ -f "$sec" ]; then
    missing=""
    n=0
    for t in $(grep -oE '`test_[A-Za-z0-9_]+`' "$sec" | tr -d '`' | sort -u); do
        n=$((n + 1))
        grep -rqE "(void|int) +$t *\(" tests --include='*.c' 2>/dev/null || missing="$missing $t"
    done
    for t in $(grep -oE '(^|[^A-Za-z0-9_])fuzz_[a-z_]+' "$sec" | grep -oE 'fuzz_[a-z_]+' | sort -u); do
        n=$((n + 1))
        [ -f "tests/fuzz/$t.c" ] || missing="$missing $t"
    done
    for f in $(grep -oE 'tests/[A-Za-z0-9_./-]*[A-Za-z0-9_]' "$sec" | sort -u); do
        n=$((n + 1))
        [ -e "$f" ] || missing="$missing $f"
    done
    grep 'tests/cli/cli-tests.sh' "$sec" | grep -oE '"[^"]+"' | tr -d '"' | sort -u > "$tmp/clichecks"
    while IFS= read -r c; do
        n=$((n + 1))
        grep -qF "check \"$c" tests/cli/cli-tests.sh 2>/dev/null || missing="$missing \"$c\""
    done < "$tmp/clichecks"
    if [ -z "$missing" ]; then
        ok "(d) all $n tests, fuzz targets, paths and CLI checks cited in $sec exist"
    else
        bad "(d) cited in $sec but not found:$missing"
    fi
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
