#!/usr/bin/env bash
# Regenerates the fixture of tests/upgrade/run.sh: a database filled by
# the REAL code of schema 001-010 (commit f1aceef), through its own
# programs: klaviyo-admin makes the users and stores, the API (fcgi via
# nginx) connects stores to the Klaviyo sandbox, klaviyo-syncd syncs them.
# Writes, beside this script:
#   schema010.sql                  pg_dump (plain SQL, schema_migrations too)
#   schema010.test-master-keys     the TEST-ONLY KC_MASTER_KEYS sealing
#                                  the fixture's credentials (nothing else)
#   schema010.connect.json         the old GET /api/store/{id}/klaviyo-connect
#                                  answer of every store, as the owner sees it
# Usage: tests/upgrade/make-fixture.sh [OLD_TREE]
#   OLD_TREE: a checkout of f1aceef (default: a throwaway git worktree).
# Loopback only; every wait bounded; all stopped and removed on exit.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
NEW=$(cd "$HERE/../.." && pwd)
OLD_COMMIT=f1aceef
TMP=$(mktemp -d /tmp/kc-fixture.XXXXXX)
chmod 0755 "$TMP"
OLD=${1:-}
MADE_TREE=0
ST=$TMP/st

cleanup() {
	set +e
	if declare -F kc_pg_stop >/dev/null; then
		kc_nginx_stop "$ST"
		kc_kill_pidfile "$ST/run/fcgi.pid"
		kc_kill_pidfile "$ST/run/syncd.pid"
		kc_kill_pidfile "$ST/run/sandbox.pid"
		kc_pg_stop "$ST"
	fi
	[ "$MADE_TREE" = 1 ] && git -C "$NEW" worktree remove --force "$OLD"
	if [ "${KC_KEEP_STATE:-0}" = 1 ]; then echo "state kept in $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

if [ -z "$OLD" ]; then
	OLD=$TMP/old
	git -C "$NEW" worktree add --detach "$OLD" "$OLD_COMMIT" >/dev/null
	MADE_TREE=1
fi
[ "$(git -C "$OLD" rev-parse --short=7 HEAD)" = "$OLD_COMMIT" ] ||
    { echo "error: $OLD is not at $OLD_COMMIT" >&2; exit 1; }
KC_ROOT=$(cd "$OLD" && pwd)
# The old tree's own helpers and programs, never this tree's.
. "$KC_ROOT/scripts/common.sh"
BUILD=$KC_ROOT/build
kc_build "$BUILD"

kc_svc_user >/dev/null
kc_state_dirs "$ST"
kc_pg_init "$ST"
kc_state_dirs "$ST"
kc_pg_start "$ST"
kc_pg_createdb "$ST" klaviyo_connect
kc_stack_env "$ST"
export KC_WORKERS=2 LOG_LEVEL=info SYNC_POLL_MS=100
export REPORT_SERVER_KEY="fixture-report-key-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"

fail() { echo "FAIL: $*" >&2; for f in "$ST"/log/*.log; do echo "--- $f" >&2; tail -15 "$f" >&2; done; exit 1; }
admin() { kc_as_svc "$BUILD/src/admin/klaviyo-admin" "$@"; }
sql() { kc_as_svc "$(kc_pg_bin)/psql" -h "$ST/run" -U kc -d klaviyo_connect -XAtqc "$1"; }

admin migrate >"$ST/log/migrate.log" 2>&1 || fail "migrate"
[ "$(sql "SELECT max(version) FROM schema_migrations")" = 10 ] ||
    fail "the old tree is not at schema 010"

# Users and stores, with the old klaviyo-admin.
PW=fixture-password-not-secret
for u in owner viewer other; do
	printf '%s\n' "$PW" | admin user add "$u@example.com" >/dev/null ||
	    fail "user add $u"
done
# Store ids follow this order: the last one (the highest id) never had
# an integration, so a new connection's id must come from the stores'.
STORES="UpgShop1 UpgCedar2 UpgError3 UpgGone4 UpgTwin5 UpgNever6"
admin store add UpgShop1 "Granite Peak (synced, orders, jobs queued)" >/dev/null
admin store add UpgCedar2 "Cedar and Sage (synced)" >/dev/null
admin store add UpgError3 "Bluebird Books (key refused)" >/dev/null
admin store add UpgGone4 "Connected, then disconnected" >/dev/null
admin store add UpgTwin5 "Granite Peak again (trigger pending)" >/dev/null
admin store add UpgNever6 "Never connected" >/dev/null
for s in $STORES; do admin grant owner@example.com "$s" owner >/dev/null; done
admin grant viewer@example.com UpgShop1 viewer >/dev/null
admin grant other@example.com UpgCedar2 admin >/dev/null

SBX_PORT=$(kc_sandbox_start "$ST" "$BUILD/sandbox/klaviyo-sandbox" --time-scale 60)
SBX=http://127.0.0.1:$SBX_PORT
export KLAVIYO_BASE_URL=$SBX KLAVIYO_RATE_SCALE=60
kc_spawn "$ST" fcgi "$BUILD/src/fcgi/klaviyo-connect-fcgi"
kc_nginx_conf "$ST" "$PORT" "$KC_ROOT/www"
kc_nginx_start "$ST"
kc_wait_http "$APP_URL/api/health" 30 || fail "/api/health"

TOKEN=$(admin session issue owner@example.com)
api() {	# METHOD STORE [JSON [ROUTE]]: the owner's call; the body on stdout
	local code
	code=$(curl -s -o "$TMP/body" -w '%{http_code}' --max-time 30 \
	    -X "$1" -b "kc_session=$TOKEN" -H "Origin: $APP_URL" \
	    -H 'Content-Type: application/json' ${3:+-d "$3"} \
	    "$APP_URL/api/store/$2/${4:-klaviyo-connect}")
	case $code in 2??) cat "$TMP/body" ;; *) fail "$1 $2: $code $(cat "$TMP/body")" ;; esac
}
connect() {	# STORE KEY METRIC
	api POST "$1" "{\"apiKey\":\"$2\",\"action\":\"test\"}" >/dev/null
	api POST "$1" "{\"apiKey\":\"$2\",\"conversionMetricId\":\"$3\"}" >/dev/null
}
syncd_start() { kc_spawn "$ST" syncd env "$@" "$BUILD/src/syncd/klaviyo-syncd"; }
syncd_stop() { kc_kill_pidfile "$ST/run/syncd.pid"; }
# wait_sql SECONDS WHAT QUERY: until the query answers t.
wait_sql() {
	local i
	for i in $(seq 1 $(($1 * 2))); do
		[ "$(sql "$3")" = t ] && return 0
		sleep 0.5
	done
	fail "$2 (not within $1 s)"
}
# wait_synced STORE: its full sync queued (the trigger delivered) and done.
wait_synced() {
	wait_sql 120 "full sync of $1" "SELECT count(*) > 0 AND bool_and(j.state = 'done')
	    FROM sync_jobs j JOIN stores s ON s.id = j.store_id
	    WHERE s.public_id = '$1'"
}

# Each connect enqueues a report trigger; klaviyo-syncd delivers it to
# the built-in report server, which queues the store's full sync.
# 1. Granite Peak (a Shopify "Placed Order": orders too), fully synced.
GRANITE=pk_sbxmanylists00000000000000000006
connect UpgShop1 $GRANITE GOdodE
syncd_start
wait_synced UpgShop1
# 2. Cedar & Sage, another account, fully synced.
connect UpgCedar2 pk_sbxcustom00000000000000000000003 82aO85
wait_synced UpgCedar2
syncd_stop
# 3. Bluebird Books: connected, then Klaviyo refuses the key (401) on
#    the first sync: status "error", its jobs cancelled.
BLUEBIRD=pk_sbxwoocommerce000000000000000002
connect UpgError3 $BLUEBIRD NPJO48
curl -sf -o /dev/null -H 'Content-Type: application/json' -d \
    "{\"fault\":\"status\",\"status\":401,\"key\":\"$BLUEBIRD\"}" \
    "$SBX/__sandbox/faults" || fail "sandbox fault"
syncd_start
wait_sql 60 "UpgError3 refused" "SELECT klaviyo_integration->>'status' = 'error'
    FROM stores WHERE public_id = 'UpgError3'"
syncd_stop
# From here klaviyo-syncd is stopped: what is enqueued stays so.
# 4. Cedar & Sage's account again, then disconnected: the seed's
#    not_configured again, with history.
connect UpgGone4 pk_sbxcustom00000000000000000000003 82aO85
api DELETE UpgGone4 >/dev/null
# 5. Granite Peak's account on a second store: its trigger pending.
connect UpgTwin5 $GRANITE GOdodE
# 1 again: "sync now" queues incremental jobs.
api POST UpgShop1 '{}' klaviyo-sync >/dev/null

# What the fixture must hold, or it tests less than it claims.
[ "$(sql "SELECT klaviyo_integration->>'status' FROM stores WHERE public_id = 'UpgError3'")" = error ] ||
    fail "UpgError3 is not in error"
for t in campaigns campaign_stats flows flow_series segments segment_series \
    forms form_series orders; do
	# Only a Shopify "Placed Order" store syncs orders.
	[ "$(sql "SELECT count(DISTINCT store_id) FROM $t")" -ge "$([ $t = orders ] && echo 1 || echo 2)" ] ||
	    fail "$t has no rows of two stores"
done
[ "$(sql "SELECT count(*) FROM report_triggers WHERE delivered_at IS NULL AND cancelled_at IS NULL")" -ge 1 ] ||
    fail "no pending report trigger"
[ "$(sql "SELECT count(*) FROM report_triggers WHERE delivered_at IS NOT NULL")" -ge 1 ] ||
    fail "no delivered report trigger"
[ "$(sql "SELECT count(*) FROM sync_jobs WHERE state = 'queued'")" -ge 1 ] ||
    fail "no queued job"
[ "$(sql "SELECT count(*) FROM sync_jobs WHERE state = 'done'")" -ge 1 ] ||
    fail "no finished job"

# The old answers, as the owner sees them.
answers() {
	local s sep=''
	echo '{'
	for s in $STORES; do
		printf '%s"%s": %s' "$sep" "$s" "$(api GET "$s")"
		sep=$',\n'
	done
	printf '\n}\n'
}
answers >"$TMP/connect.json"
kc_as_svc "$(kc_pg_bin)/pg_dump" -h "$ST/run" -U kc --no-owner \
    --no-privileges klaviyo_connect >"$TMP/dump.sql" || fail "pg_dump"
# The dump, restored into a second database and read by the old code a
# little later, must answer the same: no answer depends on the moment,
# and nothing the answers need is lost by the dump.
kc_kill_pidfile "$ST/run/fcgi.pid"
kc_pg_createdb "$ST" restored
kc_as_svc "$(kc_pg_bin)/psql" -h "$ST/run" -U kc -d restored -XqAt \
    -v ON_ERROR_STOP=1 <"$TMP/dump.sql" >/dev/null || fail "restoring the dump"
sleep 2
DATABASE_URL="postgresql:///restored?host=$ST/run&user=kc" \
    kc_spawn "$ST" fcgi "$BUILD/src/fcgi/klaviyo-connect-fcgi"
kc_wait_http "$APP_URL/api/health" 30 || fail "/api/health on the restored dump"
answers >"$TMP/connect-restored.json"
cmp -s "$TMP/connect.json" "$TMP/connect-restored.json" ||
    fail "the restored dump answers otherwise: $(diff "$TMP/connect.json" "$TMP/connect-restored.json")"
kc_nginx_stop "$ST"
kc_kill_pidfile "$ST/run/fcgi.pid"
{
	echo "-- Fixture of tests/upgrade/run.sh: schema 001-010 filled by commit"
	echo "-- $OLD_COMMIT's own programs (tests/upgrade/make-fixture.sh)."
	echo "-- Its credentials are sealed with schema010.test-master-keys, a"
	echo "-- TEST-ONLY key; the Klaviyo keys are the public sandbox test keys."
	cat "$TMP/dump.sql"
} >"$HERE/schema010.sql"
{
	echo "# TEST-ONLY KC_MASTER_KEYS of tests/upgrade/schema010.sql: it seals"
	echo "# nothing but that fixture's sandbox credentials. Never use it."
	echo "$KC_MASTER_KEYS"
} >"$HERE/schema010.test-master-keys"
cp "$TMP/connect.json" "$HERE/schema010.connect.json"
echo "fixture written to $HERE (schema010.*)"
