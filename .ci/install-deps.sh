#!/usr/bin/env bash
# Installs the Debian packages listed in .ci/packages.txt (or the list given) that are missing.
# Used by `make deps`, `make check`, `make demo` and .ci/run: the list lives in one file.
# make check-cross passes .ci/packages-cross.txt, whose NAME:ARCH entries (libsodium-dev:i386)
# need a foreign dpkg architecture: it is added, if missing, before the one apt-get update.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
list=${1:-$here/packages.txt}
missing=() archs=()
while read -r pkg _; do
    [[ -z "$pkg" || "$pkg" == \#* ]] && continue
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' && continue
    missing+=("$pkg")
    [[ "$pkg" == *:* ]] && archs+=("${pkg##*:}")
done < "$list"
[[ ${#missing[@]} -eq 0 ]] && exit 0
echo "install-deps: installing ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
        echo "install-deps: not root; please install: ${missing[*]}" >&2; exit 1; fi
else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
for arch in $(printf '%s\n' "${archs[@]}" | sort -u); do
    [[ "$arch" == "$(dpkg --print-architecture)" ]] && continue
    dpkg --print-foreign-architectures | grep -qx "$arch" || $SUDO dpkg --add-architecture "$arch"
done
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
