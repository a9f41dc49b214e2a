#!/bin/sh
# Install the C library: header, shared and static libraries, and cinnox.pc.
#
#   ./install-c.sh [--prefix DIR] [--libdir DIR] [--destdir DIR] [--no-build --from DIR]
#
# Defaults: --prefix /usr/local, --libdir PREFIX/lib. Builds with `cargo build --release`
# (with the SONAME set) unless --no-build is given, in which case the libraries are taken
# from --from (a target/<profile> or target/<profile>/deps directory). --destdir stages
# the files for packaging (the .pc file still names PREFIX).
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
from="$here/target/release"

while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix=$2; shift 2 ;;
        --libdir) libdir=$2; shift 2 ;;
        --destdir) destdir=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        --from) from=$2; shift 2 ;;
        *) echo "install-c.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ -n "$libdir" ] || libdir="$prefix/lib"

version=$(sed -n 's/^version *= *"\(.*\)"/\1/p' "$here/Cargo.toml" | head -n 1)
major=${version%%.*}
rest=${version#*.}
minor=${rest%%.*}
if [ "$major" = 0 ]; then soname_suffix="0.$minor"; else soname_suffix="$major"; fi

# The native libraries a static link needs (rustc --print native-static-libs on Linux).
native="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"

if [ "$build" = 1 ]; then
    (cd "$here" && CINNOX_SONAME=1 cargo build --release --lib)
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
sed -e "s|@PREFIX@|$prefix|" -e "s|@LIBDIR@|$libdir|" -e "s|@VERSION@|$version|" \
    -e "s|@NATIVE_STATIC_LIBS@|$native|" "$here/cinnox.pc.in" > "$lib/pkgconfig/cinnox.pc"
echo "installed cinnox $version under $destdir$prefix"
