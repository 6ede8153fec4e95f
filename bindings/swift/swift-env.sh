# Sourced by bindings/swift/*.sh and examples/demo.sh (bash): finds a Swift toolchain and sets
# up `swift build` / `swift test` against the in-tree C library, without `make install`.
#   swift_env_init SRC BUILD   -> 0 and sets SWIFT, SWIFT_ARGS (array); 1 when no toolchain
# SWIFT_ARGS: --package-path, --scratch-path inside BUILD (the .build output stays there),
# -warnings-as-errors, and an rpath to BUILD so that tests and the example find
# libtigress.so.1. PKG_CONFIG_PATH gets BUILD/bindings/swift/pkgconfig, where a libtigress.pc
# naming SRC/include and BUILD is written (the CTigress system-library target reads it).
# The toolchain is called by absolute path: it is never put on PATH, so that its clang does
# not replace the system compiler of the C build.

swift_find() {
    local s
    if [[ -n "${SWIFT:-}" && -x "${SWIFT}" ]]; then printf '%s\n' "$SWIFT"; return 0; fi
    if s=$(command -v swift 2>/dev/null) && [[ -n "$s" ]]; then printf '%s\n' "$s"; return 0; fi
    if [[ -x /opt/swift/usr/bin/swift ]]; then printf '%s\n' /opt/swift/usr/bin/swift; return 0; fi
    for s in /opt/swift*/usr/bin; do
        if [[ -x "$s/swift" ]]; then printf '%s\n' "$s/swift"; return 0; fi
    done
    return 1
}

swift_env_init() {
    local src=$1 build=$2 pcdir
    SWIFT=$(swift_find) || return 1
    pcdir=$build/bindings/swift/pkgconfig
    mkdir -p "$pcdir"
    # Rewritten only when it changes, so that swift build does not rebuild for nothing.
    local pc version
    version=$(sed -n 's/^#define TIGRESS_VERSION_STRING "\([0-9.]*\)"/\1/p' "$src/include/tigress/common.h")
    pc=$(printf '%s\n' "includedir=$src/include" "libdir=$build" "" \
        "Name: libtigress" "Description: libtigress, in-tree build (for the Swift package)" \
        "Version: $version" 'Libs: -L${libdir} -ltigress' 'Cflags: -I${includedir}')
    if [[ ! -f "$pcdir/libtigress.pc" || "$(cat "$pcdir/libtigress.pc")" != "$pc" ]]; then
        printf '%s\n' "$pc" > "$pcdir/libtigress.pc"
    fi
    export PKG_CONFIG_PATH="$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
    SWIFT_ARGS=(--package-path "$src/bindings/swift" --scratch-path "$build/bindings/swift/.build"
                -Xswiftc -warnings-as-errors -Xlinker -rpath -Xlinker "$build")
    export SWIFT
}
