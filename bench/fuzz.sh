#!/bin/bash
# The long fuzz run, by hand: every harness of tests/fuzz for
# FUZZ_SECONDS (default 300) each, from its seed corpus; crash inputs
# are kept in $FUZZ_OUT/<harness>/crash/.  Ends with one line
#   fuzz: targets=N seconds=S execs=E crashes=C
# Usage: bench/fuzz.sh [BUILDDIR]   (default ./build; clang needed)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" 2>/dev/null && pwd) || BUILD=$SRC/build
mkdir -p "$BUILD/tests/fuzz"
export FUZZ_SECONDS=${FUZZ_SECONDS:-300}
export FUZZ_OUT=${FUZZ_OUT:-$BUILD/tests/fuzz/long}
cd "$BUILD"
KC_SRCDIR=$SRC KC_BUILDDIR=$BUILD "$SRC/tests/fuzz/run.sh" | tail -n 30
