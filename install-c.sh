#!/bin/sh
# Install the C library: header, shared and static libraries, and cinnox.pc.
#
#   ./install-c.sh [--prefix DIR] [--libdir DIR] [--destdir DIR] [--no-strip]
#                  [--no-build --from DIR]
#
#   --prefix DIR     install under DIR (default /usr/local)
#   --libdir DIR     libraries and pkgconfig/ go here (default PREFIX/lib)
#   --destdir DIR    stage the files under DIR for packaging (cinnox.pc still names PREFIX)
#   --no-strip       keep the debug information (the libraries are stripped of it by
#                    default; the README gives their sizes)
#   --no-build       do not build; take libcinnox.so and libcinnox.a from --from DIR
#   --from DIR       where the built libraries are (a target/<profile> directory); default
#                    cargo's target directory (CARGO_TARGET_DIR is honoured) + /release
#   -h, --help       show this help
#
# Builds with `cargo build --release --lib` (with the SONAME set) unless --no-build is given.
#
# Installed:
#   PREFIX/include/cinnox.h
#   LIBDIR/libcinnox.so.X.Y.Z, libcinnox.so.SONAME -> .X.Y.Z, libcinnox.so -> SONAME
#   LIBDIR/libcinnox.a
#   LIBDIR/pkgconfig/cinnox.pc
set -eu

here=$(cd "$(dirname "$0")" && pwd)
prefix=/usr/local
libdir=
destdir=
build=1
strip=1
from=

usage() { sed -n '2,/^set -eu/p' "$here/install-c.sh" | sed -e '$d' -e 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --prefix|--libdir|--destdir|--from)
            [ $# -ge 2 ] || { echo "install-c.sh: $1 needs a value (see --help)" >&2; exit 2; }
            case "$1" in
                --prefix) prefix=$2 ;;
                --libdir) libdir=$2 ;;
                --destdir) destdir=$2 ;;
                --from) from=$2 ;;
            esac
            shift 2 ;;
        --no-build) build=0; shift ;;
        --no-strip) strip=0; shift ;;
        *) echo "install-c.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
if [ -z "$from" ]; then
    # Where cargo builds: ask it (this honours CARGO_TARGET_DIR and .cargo/config.toml).
    target=$(cd "$here" && cargo metadata --format-version 1 --no-deps 2>/dev/null |
        sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p') || target=
    [ -n "$target" ] || target=${CARGO_TARGET_DIR:-$here/target}
    from="$target/release"
fi
[ -n "$libdir" ] || libdir="$prefix/lib"

version=$(sed -n 's/^version *= *"\(.*\)"/\1/p' "$here/Cargo.toml" | head -n 1)
major=${version%%.*}
rest=${version#*.}
minor=${rest%%.*}
if [ "$major" = 0 ]; then soname_suffix="0.$minor"; else soname_suffix="$major"; fi

# The native libraries a static link needs (rustc --print native-static-libs on Linux).
native="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"

if [ "$build" = 1 ]; then
    # With the PostgreSQL inbox, so that C programs can open postgres:// inboxes.
    (cd "$here" && CINNOX_SONAME=1 cargo build --release --lib --features postgres)
fi
for f in libcinnox.so libcinnox.a; do
    [ -f "$from/$f" ] || { echo "install-c.sh: $from/$f not found" >&2; exit 1; }
done

inc="$destdir$prefix/include"
lib="$destdir$libdir"
mkdir -p "$inc" "$lib/pkgconfig"
cp "$here/include/cinnox.h" "$inc/cinnox.h"
cp "$from/libcinnox.so" "$lib/libcinnox.so.$version"
ln -sf "libcinnox.so.$version" "$lib/libcinnox.so.$soname_suffix"
ln -sf "libcinnox.so.$soname_suffix" "$lib/libcinnox.so"
cp "$from/libcinnox.a" "$lib/libcinnox.a"
if [ "$strip" = 1 ]; then
    # Debug information only: the dynamic symbol table and the archive's symbols stay.
    strip --strip-debug "$lib/libcinnox.so.$version" "$lib/libcinnox.a"
fi
sed -e "s|@PREFIX@|$prefix|" -e "s|@LIBDIR@|$libdir|" -e "s|@VERSION@|$version|" \
    -e "s|@NATIVE_STATIC_LIBS@|$native|" "$here/cinnox.pc.in" > "$lib/pkgconfig/cinnox.pc"
echo "installed cinnox $version under $destdir$prefix"
