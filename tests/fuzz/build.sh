#!/bin/bash
# Builds the libFuzzer harnesses (tests/fuzz/fuzz_*.c) with clang, apart
# from the gcc build: every .c of src/lib, src/core, src/fcgi and
# sandbox/ but the programs' main.c, compiled with the layer's include
# path into one archive per layer (so the harnesses link the real code),
# then one binary per harness.  Objects are rebuilt only when older than
# their source or any header of the tree; the harnesses always relink.
#   tests/fuzz/build.sh [OUTDIR]     (default: ./fuzz-build)
# Exit 77 (the automake "skip" code) when clang or libFuzzer is missing.
set -eu

SRC=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$PWD/fuzz-build}
CC=${FUZZ_CC:-clang}
JOBS=${FUZZ_JOBS:-2}

if ! command -v "$CC" >/dev/null 2>&1; then
	echo "fuzz: $CC not found (apt-get install clang libclang-rt-14-dev)" >&2
	exit 77
fi
mkdir -p "$OUT/obj"
# libFuzzer's runtime ships apart from the compiler on Debian.
probe=$OUT/obj/probe
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)'\
' { (void)d; (void)n; return 0; }\n' >"$probe.c"
if ! "$CC" -fsanitize=fuzzer,address,undefined "$probe.c" -o "$probe" \
    2>/dev/null; then
	echo "fuzz: $CC cannot link -fsanitize=fuzzer (apt-get install" \
	    "libclang-rt-14-dev)" >&2
	exit 77
fi

DEPS="libcurl json-c libpq openssl"
# shellcheck disable=SC2046,SC2086
CFLAGS="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined
 -fno-sanitize-recover=undefined -D_GNU_SOURCE -Wall -Wextra -Werror
 -Wno-unused-parameter
 $(pkg-config --cflags $DEPS)"
DEFS=(-DKC_SQLDIR='"/nonexistent"' -DKC_RUNDIR='"/nonexistent"')
# configure's header, for the few files that name the version: this build
# has no configure run of its own.
printf '#define PACKAGE_VERSION "fuzz"\n' >"$OUT/obj/kc_autoconf.h.new"
cmp -s "$OUT/obj/kc_autoconf.h.new" "$OUT/obj/kc_autoconf.h" 2>/dev/null ||
    mv "$OUT/obj/kc_autoconf.h.new" "$OUT/obj/kc_autoconf.h"
rm -f "$OUT/obj/kc_autoconf.h.new"
LIBS="$(pkg-config --libs $DEPS) -lfcgi -lm"

# stale OBJ SRC: the object is missing or older than its source or a header.
stale() {
	[ ! -f "$1" ] || [ "$2" -nt "$1" ] || [ -n "$(find "$SRC/src" \
	    "$SRC/sandbox" -name '*.h' -newer "$1" -print -quit)" ]
}

# layer NAME DIR INCLUDE_DIRS...: builds $OUT/libNAME.a from DIR/*.c.
layer() {
	local name=$1 dir=$2 inc="" d src obj objs=() pids=() p
	shift 2
	inc="-I$OUT/obj"
	for d in "$@"; do inc="$inc -I$SRC/$d"; done
	mkdir -p "$OUT/obj/$name"
	for src in "$SRC/$dir"/*.c; do
		[ "$(basename "$src")" = main.c ] && continue
		obj=$OUT/obj/$name/$(basename "$src" .c).o
		objs+=("$obj")
		stale "$obj" "$src" || continue
		# shellcheck disable=SC2086
		"$CC" $inc $CFLAGS "${DEFS[@]}" -c "$src" -o "$obj" &
		pids+=($!)
		[ "${#pids[@]}" -lt "$JOBS" ] && continue
		for p in "${pids[@]}"; do wait "$p"; done
		pids=()
	done
	for p in "${pids[@]}"; do wait "$p"; done
	rm -f "$OUT/lib$name.a"
	ar rcs "$OUT/lib$name.a" "${objs[@]}"
}

# shellcheck disable=SC2086
CFLAGS=$(echo $CFLAGS)
layer kclib src/lib src/lib
layer kccore src/core src/lib src/core
layer kcfcgi src/fcgi src/lib src/core src/fcgi
layer kcsandbox sandbox src/lib sandbox

# Each harness names the archives it links on a "/* layers: ... */" line.
for h in "$SRC"/tests/fuzz/fuzz_*.c; do
	name=$(basename "$h" .c)
	layers=$(sed -n 's|^/\* layers: \(.*\) \*/$|\1|p' "$h")
	inc="-I$SRC/src/lib -I$SRC/src/core -I$SRC/src/fcgi -I$SRC/sandbox"
	archives=""
	for l in $layers; do archives="$archives $OUT/lib$l.a"; done
	bin=$OUT/$name
	# shellcheck disable=SC2086
	"$CC" $inc ${CFLAGS/fuzzer-no-link/fuzzer} "${DEFS[@]}" "$h" -o "$bin" \
	    -Wl,--start-group $archives -Wl,--end-group $LIBS
done
echo "$OUT"
