#!/usr/bin/env bash
# Integration suite: a throwaway PostgreSQL cluster, the FastCGI workers
# and nginx, all started here as the service user, then the Check program
# tests/integration/itest talking to them over HTTP.  Everything is
# stopped and removed at the end, pass or fail.  Also fails when a service
# log shows a sanitizer report.
set -euo pipefail
SRC=${KC_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${KC_BUILDDIR:-$SRC/build}
KC_ROOT=$SRC
. "$SRC/scripts/common.sh"

ST=$(mktemp -d /tmp/kc-it.XXXXXX)
cleanup() {
	set +e
	kc_nginx_stop "$ST"
	kc_kill_pidfile "$ST/run/fcgi.pid"
	kc_kill_pidfile "$ST/run/syncd.pid"
	kc_kill_pidfile "$ST/run/sandbox.pid"
	kc_pgbouncer_stop "$ST"
	kc_pg_stop "$ST"
	if [ "${KC_KEEP_STATE:-0}" = 1 ]; then
		echo "state kept in $ST"
	else
		rm -rf "$ST"
	fi
}
trap cleanup EXIT
kc_svc_user >/dev/null
kc_state_dirs "$ST"
kc_pg_init "$ST"
kc_state_dirs "$ST"
kc_pg_start "$ST"
kc_pg_createdb "$ST" klaviyo_connect

kc_stack_env "$ST"
export KC_WORKERS=3
export LOG_LEVEL=info
export LOGIN_MAX_FAILURES=5
export LOGIN_MAX_FAILURES_IP=40
export LOGIN_LOCKOUT_SECONDS=60
# scrypt at 2^15 instead of OWASP's 2^17: the suites log in hundreds of
# times (and make users with a hash of this cost, itest.c), 0.3 s and
# 128 MiB each at 2^17.  t_auth.c tests the upgrade from a weaker hash.
export PASSWORD_SCRYPT_LOG_N=15

# The Klaviyo sandbox with every rate window 60 times shorter, and our
# client told the same, so limits are exercised in seconds; 40 fleet
# accounts for t_fleet.c.
# The OAuth client is the sandbox's test client, not a secret.
export KLAVIYO_CLIENT_ID=kc-test-client
export KLAVIYO_CLIENT_SECRET="kc-test-secret-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
# The client goes in a file: nothing secret on a command line.
# Webhooks go to our nginx over http (loopback): allowed in tests only.
SANDBOX_PORT=$(kc_sandbox_start "$ST" "$BUILD/sandbox/klaviyo-sandbox" --time-scale 60 --fleet 40 \
    --webhook-allow-http --webhook-retry-base-ms 200 \
    --oauth-client-file "$(kc_sandbox_client_file "$ST" "$KLAVIYO_CLIENT_ID:$KLAVIYO_CLIENT_SECRET")")
export KLAVIYO_BASE_URL="http://127.0.0.1:$SANDBOX_PORT"
export KLAVIYO_RATE_SCALE=60
export KLAVIYO_TIMEOUT_MS=2000
export KLAVIYO_CONNECT_TIMEOUT_MS=1000
export KLAVIYO_MAX_WAIT_MS=1000
export KLAVIYO_MAX_RETRIES=2
# A web request's whole Klaviyo time, two per-request timeouts.
export KLAVIYO_REQUEST_DEADLINE_MS=4000
# No cap with three workers: the suites that send parallel Klaviyo
# requests test other things.  t_slow_klaviyo.c restarts the workers
# with the shipped caps (workers - 1, 2 per user) for its own tests.
export KLAVIYO_WEB_CONCURRENCY=3
export KLAVIYO_WEB_CONCURRENCY_PER_USER=3
export KLAVIYO_OAUTH_AUTHORIZE_URL="$KLAVIYO_BASE_URL/oauth/authorize"
export KLAVIYO_OAUTH_TOKEN_URL="$KLAVIYO_BASE_URL/oauth/token"
export KLAVIYO_OAUTH_REVOKE_URL="$KLAVIYO_BASE_URL/oauth/revoke"

kc_as_svc "$BUILD/src/admin/klaviyo-admin" migrate >"$ST/log/migrate.log" 2>&1 ||
    { cat "$ST/log/migrate.log"; exit 1; }
DIRECT_DATABASE_URL=$DATABASE_URL
# KC_PGBOUNCER=1 (tests/deploy/pgbouncer.sh): the services and the admin
# tool reach the database through PgBouncer in transaction pooling mode,
# set up as docs/INSTALL.md says; the tests' own SQL goes straight to
# PostgreSQL.  First the reason for DB_TRANSACTION_POOLING: without it
# PgBouncer refuses the connection (the "options" startup parameter).
if [ "${KC_PGBOUNCER:-0}" = 1 ]; then
	kc_as_svc "$(kc_pg_bin)/psql" -h "$ST/run" -U kc -d klaviyo_connect \
	    -Atqc "ALTER ROLE kc SET statement_timeout = '30s'" >/dev/null
	PGB_URL=$(kc_pgbouncer_start "$ST" "$(kc_free_port)")
	st=0
	DATABASE_URL=$PGB_URL kc_as_svc "$BUILD/src/admin/klaviyo-admin" \
	    status >"$ST/log/pgb-unpooled.log" 2>&1 || st=$?
	if [ "$st" != 1 ] || ! grep -q "unsupported startup parameter" \
	    "$ST/log/pgbouncer.log"; then
		echo "FAIL: without DB_TRANSACTION_POOLING PgBouncer should refuse (exit $st)"
		cat "$ST/log/pgb-unpooled.log"
		exit 1
	fi
	export DATABASE_URL=$PGB_URL DB_TRANSACTION_POOLING=1
fi
export REPORT_SERVER_KEY="test-report-key-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export SYNC_POLL_MS=100
export SYNC_LEASE_SECONDS=10
export SYNC_MAX_WAIT_MS=8000
kc_spawn "$ST" fcgi "$BUILD/src/fcgi/klaviyo-connect-fcgi"
kc_nginx_conf "$ST" "$PORT" "$SRC/www"
kc_nginx_start "$ST"
kc_wait_http "$APP_URL/api/health" 30 || { cat "$ST/log/fcgi.log"; exit 1; }

# A helper the tests call to stop and start PostgreSQL.
cat >"$ST/pgctl" <<SH
#!/usr/bin/env bash
. "$SRC/scripts/common.sh"
case "\$1" in
stop) kc_pg_stop "$ST" ;;
start) kc_pg_start "$ST" ;;
esac
SH
chmod 755 "$ST/pgctl"

# And one to restart the FastCGI service with changed settings
# (fcgictl restart [NAME=VALUE | -NAME ...]; -NAME unsets NAME), e.g.
# without an OAuth client or with KC_MASTER_KEYS_FILE instead of
# KC_MASTER_KEYS, or to stop it (fcgictl stop: an upstream outage for
# nginx).
cat >"$ST/fcgictl" <<SH
#!/usr/bin/env bash
. "$SRC/scripts/common.sh"
case "\$1" in
stop) kc_kill_pidfile "$ST/run/fcgi.pid"; exit 0 ;;
restart) ;;
*) exit 2 ;;
esac
shift
kc_kill_pidfile "$ST/run/fcgi.pid"
for kv in "\$@"; do
	case "\$kv" in
	-*) unset "\${kv#-}" ;;
	*) export "\$kv" ;;
	esac
done
# A session of its own: Check kills a test's process group when it ends.
kc_spawn "$ST" fcgi setsid "$BUILD/src/fcgi/klaviyo-connect-fcgi"
kc_wait_http "$APP_URL/api/health" 30
SH
chmod 755 "$ST/fcgictl"

# The programs refuse to run as root: the tests (run as root) then call
# them through wrappers that switch to the service user, laid out like
# src/ so a test may find one program beside another.
BIN="$BUILD/src"
if [ "$(id -u)" -eq 0 ]; then
	BIN="$ST/bin"
	for p in admin/klaviyo-admin fcgi/klaviyo-connect-fcgi syncd/klaviyo-syncd; do
		mkdir -p "$BIN/${p%/*}"
		cat >"$BIN/$p" <<SH
#!/bin/sh
exec setpriv --reuid="$KC_SVC_USER_NAME" --regid="$KC_SVC_USER_NAME" \\
    --clear-groups -- "$BUILD/src/$p" "\$@"
SH
		chmod 755 "$BIN/$p"
	done
fi

export KC_TEST_URL=$APP_URL
export KC_TEST_DATABASE_URL=$DIRECT_DATABASE_URL
export KC_TEST_ADMIN="$BIN/admin/klaviyo-admin"
# The programs themselves (the root-refusal tests) and the sandbox.
export KC_TEST_BUILD=$BUILD
export KC_TEST_PGCTL="$ST/pgctl"
export KC_TEST_FCGICTL="$ST/fcgictl"
export KC_TEST_STATE=$ST
export KC_TEST_FCGI_PIDFILE="$ST/run/fcgi.pid"
export KC_TEST_SANDBOX_URL=$KLAVIYO_BASE_URL
export KC_TEST_SYNCD="$BIN/syncd/klaviyo-syncd"
export CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-60}

status=0
"$BUILD/tests/integration/itest" || status=$?
# The pages in a real headless Chromium against the same stack.
if [ "${KC_SKIP_BROWSER:-0}" != 1 ]; then
	bash "$SRC/tests/browser/run.sh" || status=$?
fi

# Stop the services now so sanitizer leak reports reach the logs.
kc_nginx_stop "$ST"
kc_kill_pidfile "$ST/run/fcgi.pid"
kc_kill_pidfile "$ST/run/syncd.pid"
kc_kill_pidfile "$ST/run/sandbox.pid"
if [ "${KC_PGBOUNCER:-0}" = 1 ]; then
	# The services did go through it, and it saw no protocol error.
	grep -q "login attempt: db=klaviyo_connect user=kc" "$ST/log/pgbouncer.log" ||
	    { echo "FAIL: no connection through PgBouncer"; status=1; }
	if grep -E "prepared statement|unsupported" "$ST"/log/fcgi.log \
	    "$ST"/log/syncd*.log 2>/dev/null; then
		echo "FAIL: a pooling error in a service log"
		status=1
	fi
	kc_pgbouncer_stop "$ST"
fi
if grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' \
    "$ST"/log/*.log >/dev/null 2>&1; then
	echo "FAIL: sanitizer report in a service log:"
	grep -hE -A30 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' \
	    "$ST"/log/*.log | head -120
	status=1
fi
exit $status
