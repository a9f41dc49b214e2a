#!/bin/sh
# Builds the cinnox library for this package and copies its static library into lib/,
# where cgo links it: `go generate` in this directory runs it.
#
#   cargo build --release --lib --features postgres   (at the repository root)
#
# The library is taken from wherever cargo builds: cargo itself says where (this honours
# CARGO_TARGET_DIR and .cargo/config.toml). CINNOX_NO_BUILD=1 skips the build and takes
# the library cargo built already; CINNOX_STATIC_LIBRARY=/path/to/libcinnox.a takes that
# file instead. The copy is stripped of its debug information (CINNOX_NO_STRIP=1 keeps it).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cargo=${CARGO:-cargo}

if [ -n "${CINNOX_STATIC_LIBRARY:-}" ]; then
    from=$CINNOX_STATIC_LIBRARY
else
    if [ "${CINNOX_NO_BUILD:-}" != 1 ]; then
        echo "cinnox: building the library: $cargo build --release --lib --features postgres" >&2
        (cd "$root" && "$cargo" build --release --lib --features postgres)
    fi
    target=$(cd "$root" && "$cargo" metadata --format-version 1 --no-deps |
        sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
    [ -n "$target" ] || { echo "cinnox: cargo metadata named no target directory" >&2; exit 1; }
    from="$target/release/libcinnox.a"
fi
[ -f "$from" ] || { echo "cinnox: $from not found" >&2; exit 1; }
mkdir -p "$here/lib"
# Through a temporary name, so that a build running meanwhile never links half a file.
cp "$from" "$here/lib/libcinnox.a.tmp"
# Debug information dropped (about 140 MB -> 40 MB), as ./install-c.sh does; the symbols
# stay. CINNOX_NO_STRIP=1 keeps it; without `strip` it is kept too.
if [ "${CINNOX_NO_STRIP:-}" != 1 ] && command -v strip >/dev/null; then
    strip --strip-debug "$here/lib/libcinnox.a.tmp"
fi
mv "$here/lib/libcinnox.a.tmp" "$here/lib/libcinnox.a"
echo "cinnox: $here/lib/libcinnox.a (from $from)" >&2
