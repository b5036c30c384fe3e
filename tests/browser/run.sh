#!/usr/bin/env bash
# Browser tests: the login page, the store list, the Klaviyo connect page
# (run.mjs), the sync settings and activity page (settings.mjs) and the
# Klaviyo dashboard (dashboard.mjs, with axe-core) in a real headless Chromium (Debian's /usr/bin/chromium, driven by
# playwright-core), against a running stack: nginx, the FastCGI workers,
# PostgreSQL and the Klaviyo sandbox.
#
# Called by tests/integration/run.sh after the C integration tests, with
# its environment:
#   KC_TEST_URL            the app's origin (nginx)
#   KC_TEST_DATABASE_URL   libpq URL of its database (psql for fixtures)
#   KC_TEST_ADMIN          path of klaviyo-admin (users, stores, grants, sessions)
#   KC_TEST_SANDBOX_URL    the Klaviyo sandbox origin (control API /__sandbox/);
#                          without it, the tests that need Klaviyo are skipped
#   KC_TEST_STATE          the harness's state folder: its logs are checked for
#                          keys, OAuth tokens, codes and states
#   KC_TEST_FCGICTL        "$KC_TEST_FCGICTL restart [NAME=VALUE...]" restarts the
#                          FastCGI service (the "OAuth off" test; skipped without)
#   KC_TEST_SYNCD          klaviyo-syncd, run briefly by the OAuth sync test
# Optional:
#   KC_CHROMIUM            browser binary (default /usr/bin/chromium)
#   KC_BROWSER_OUT         output folder (default tests/browser/out): screenshots/
#   KC_BROWSER_ONLY        run only the tests whose name contains this text
#
# Prints one line per test and closes with "N passed, N failed[, N skipped]"
# over every file; fails when any does.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)

for v in KC_TEST_URL KC_TEST_DATABASE_URL KC_TEST_ADMIN; do
	if [ -z "${!v:-}" ]; then
		echo "error: $v is not set (run from tests/integration/run.sh)" >&2
		exit 2
	fi
done
export KC_CHROMIUM=${KC_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$KC_CHROMIUM" ]; then
	echo "error: $KC_CHROMIUM not found (Debian: apt-get install chromium)" >&2
	exit 2
fi
for c in node npm psql; do
	command -v "$c" >/dev/null || { echo "error: $c not found" >&2; exit 2; }
done

# A read-only source tree (make distcheck): work on a copy.
WORK=$HERE
if [ ! -w "$HERE" ]; then
	WORK=${KC_TEST_STATE:-${TMPDIR:-/tmp}}/browser-tests
	mkdir -p "$WORK"
	cp "$HERE/package.json" "$HERE/package-lock.json" "$HERE/run.mjs" \
	    "$HERE/settings.mjs" "$HERE/dashboard.mjs" "$HERE/lib.mjs" "$WORK/"
fi
cd "$WORK"
if [ ! -f node_modules/playwright-core/package.json ] ||
    [ ! -f node_modules/axe-core/axe.min.js ]; then
	npm ci --no-audit --no-fund >npm-ci.log 2>&1 || { cat npm-ci.log >&2; exit 2; }
	rm -f npm-ci.log
fi

export KC_BROWSER_OUT=${KC_BROWSER_OUT:-$WORK/out}
rm -rf "$KC_BROWSER_OUT/screenshots"
mkdir -p "$KC_BROWSER_OUT/screenshots"
# Bounded: each test has its own timeout; these are the backstops (run.mjs:
# about 2 minutes on an idle machine, over 3 when the cores are shared).
status=0
passed=0 failed=0 skipped=0
for t in run.mjs:600 settings.mjs:300 dashboard.mjs:300; do
	rc=0
	timeout --kill-after=10 "${t#*:}" node "$WORK/${t%%:*}" |
	    tee "$KC_BROWSER_OUT/${t%%:*}.log" || rc=$?
	[ "$rc" = 0 ] || status=1
	last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$KC_BROWSER_OUT/${t%%:*}.log" | tail -n 1)
	[ -n "$last" ] || { status=1; failed=$((failed + 1)); continue; }
	set -- $(echo "$last" | tr -dc '0-9 ')
	passed=$((passed + $1)) failed=$((failed + $2)) skipped=$((skipped + ${3:-0}))
done
echo "$passed passed, $failed failed$([ "$skipped" = 0 ] || echo ", $skipped skipped")"
exit "$status"
