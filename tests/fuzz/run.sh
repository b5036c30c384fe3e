#!/bin/bash
# The short fuzz run of `make check`: builds the harnesses with clang
# (tests/fuzz/build.sh) and runs each for FUZZ_SECONDS (default 5) from a
# copy of its seed corpus in tests/fuzz/corpus/<harness>/.  Any crash,
# leak, sanitizer report or timeout fails the test.  Skipped (exit 77)
# only when clang or libFuzzer's runtime is missing; CI installs both
# (KC_TEST_PACKAGES in scripts/common.sh).
#   FUZZ_SECONDS=N   seconds per harness (bench/fuzz.sh runs them longer)
#   FUZZ_ONLY=name   run one harness (fuzz_router, ...)
#   FUZZ_OUT=DIR     where the work corpus and crash inputs go
set -u

SRC=${KC_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${KC_BUILDDIR:-$PWD}
SECONDS_EACH=${FUZZ_SECONDS:-5}
OUT=${FUZZ_OUT:-$BUILD/tests/fuzz/run}

mkdir -p "$BUILD/tests/fuzz"
"$SRC/tests/fuzz/build.sh" "$BUILD/tests/fuzz/bin" >"$BUILD/tests/fuzz/build.log" 2>&1
rc=$?
if [ "$rc" -eq 77 ]; then
	cat "$BUILD/tests/fuzz/build.log"
	echo "SKIP: clang with libFuzzer is not installed" \
	    "(apt-get install clang libclang-rt-14-dev)"
	exit 77
fi
if [ "$rc" -ne 0 ]; then
	tail -40 "$BUILD/tests/fuzz/build.log"
	echo "FAIL: tests/fuzz/build.sh"
	exit 1
fi

targets=0 execs=0 crashes=0
for bin in "$BUILD"/tests/fuzz/bin/fuzz_*; do
	name=$(basename "$bin")
	[ -n "${FUZZ_ONLY:-}" ] && [ "$name" != "$FUZZ_ONLY" ] && continue
	work=$OUT/$name
	rm -rf "$work"
	mkdir -p "$work/corpus" "$work/crash"
	cp "$SRC/tests/fuzz/corpus/$name"/* "$work/corpus/" 2>/dev/null
	# Leaks count; a slow input (a quadratic path) is a finding too.
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 \
	    -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
	    -artifact_prefix="$work/crash/" "$work/corpus" \
	    >"$work/log" 2>&1
	rc=$?
	targets=$((targets + 1))
	n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
	execs=$((execs + ${n:-0}))
	if [ "$rc" -ne 0 ] || [ -n "$(ls -A "$work/crash")" ]; then
		crashes=$((crashes + 1))
		echo "FAIL: $name (exit $rc); input in $work/crash/:"
		grep -E 'ERROR|SUMMARY|runtime error|#[0-9]+ 0x' "$work/log" |
		    head -30
	else
		echo "ok: $name ${n:-0} runs in ${SECONDS_EACH}s"
	fi
done
echo "fuzz: targets=$targets seconds=$SECONDS_EACH execs=$execs crashes=$crashes"
[ "$crashes" -eq 0 ]
