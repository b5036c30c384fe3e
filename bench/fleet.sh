#!/usr/bin/env bash
# Sync a fleet of stores: FLEET_STORES stores (default 1000), each connected
# through the real connect route to its own --fleet account of the Klaviyo
# sandbox, synced by klaviyo-syncd against a throwaway stack (PostgreSQL,
# the FastCGI service behind nginx, the sandbox; started here like
# tests/integration/run.sh, everything stopped on any exit).
#
# Three passes, each ending in one line
#   fleet: stores=N jobs=J wall_s=W floor_s=F ratio=R rss_mb=M pg_conns=C http_429=K report_requests=Q min_report_requests=MIN
# 1. full:        one klaviyo-syncd, from the connect's report triggers
#                 until no trigger or job is pending;
# 2. incremental: POST /klaviyo-sync of every store, one klaviyo-syncd;
# 3. two:         a full sync of every store again (the report server's
#                 /api/v1/reports/full_sync), two klaviyo-syncd sharing it.
# The LAST line repeats pass 1's (the number to watch).  FLEET_PASSES
# picks passes ("full incremental two", the default; "full" alone).
#
#   wall_s    from the daemons' start until nothing is pending
#   floor_s   the slowest account's rate-limit bound: per report endpoint,
#             its requests n (not throttled) need max(n-1 s, (ceil(n/2)-1)
#             minutes) at 1/s and 2/min, divided by FLEET_SCALE; an
#             account's bound is its slowest endpoint's (endpoints have
#             their own buckets), the fleet's the slowest account's
#   ratio     wall_s / floor_s ("inf" when floor_s is 0: at most two
#             report requests per endpoint, as in an incremental pass)
#   rss_mb    peak RSS (VmHWM) of klaviyo-syncd (the larger of two)
#   pg_conns  peak connections with application_name klaviyo-syncd
#   http_429  429s the sandbox answered; report_requests: report POSTs it
#             answered (not 429s); min_report_requests: the fewest a sync
#             needs given each account's data (GET /__sandbox/fleet,
#             docs/SANDBOX.md); for the incremental pass, one per report
#             type that has data (a window of the last days)
#
# Knobs: FLEET_STORES (1000), FLEET_SCALE (time scale of sandbox and client,
# 600), SYNC_CONCURRENCY (passed to klaviyo-syncd), FLEET_TIMEOUT (seconds a
# pass may take, 3600), FLEET_PASSES, KC_BUILDDIR (a built tree; else
# ./build-bench is built), KC_KEEP_STATE=1 keeps the state folder.
# Today's klaviyo-syncd runs one job at a time: try FLEET_STORES=20
# (FLEET_SCALE=600: about 5 minutes for the full pass, 10 in all).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
KC_ROOT=$SRC
. "$SRC/scripts/common.sh"

N=${FLEET_STORES:-1000}
SCALE=${FLEET_SCALE:-600}
TIMEOUT=${FLEET_TIMEOUT:-3600}
PASSES=${FLEET_PASSES:-full incremental two}
case $N in '' | *[!0-9]*) kc_die "FLEET_STORES must be a number" ;; esac
[ "$N" -ge 1 ] && [ "$N" -le 20000 ] || kc_die "FLEET_STORES: 1 to 20000"
if [ -n "${KC_BUILDDIR:-}" ]; then
	BUILD=$KC_BUILDDIR
else
	BUILD=$SRC/build-bench
	kc_build "$BUILD" --enable-sandbox
fi
for b in sandbox/klaviyo-sandbox src/syncd/klaviyo-syncd \
    src/fcgi/klaviyo-connect-fcgi src/admin/klaviyo-admin; do
	[ -x "$BUILD/$b" ] || kc_die "$BUILD/$b is missing (make it)"
done

ST=$(mktemp -d /tmp/kc-fleet.XXXXXX)
cleanup() {
	set +e
	kc_kill_pidfile "$ST/run/syncd.pid"
	kc_kill_pidfile "$ST/run/syncd2.pid"
	kc_nginx_stop "$ST"
	kc_kill_pidfile "$ST/run/fcgi.pid"
	kc_kill_pidfile "$ST/run/sandbox.pid"
	kc_bench_state_drop "$ST"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
kc_bench_state_up "$ST"

kc_stack_env "$ST"
export KC_WORKERS=6
# One user connects the whole fleet, 4 stores at a time (as a provisioning
# script would): room for that beside the caps' one free worker.
export KLAVIYO_WEB_CONCURRENCY=5
export KLAVIYO_WEB_CONCURRENCY_PER_USER=4
export LOG_LEVEL=warn
# Every fleet account kept built (about 1.1 MB each): with the default
# 64, the stand-in rebuilds an account for most requests of a fleet
# pass, a quarter of a core that the real Klaviyo does not take from the
# daemon and PostgreSQL on this machine.
SANDBOX_PORT=$(kc_sandbox_start "$ST" "$BUILD/sandbox/klaviyo-sandbox" \
    --time-scale "$SCALE" --fleet "$N" --fleet-cache "$N" --log-level warn)
SBX="http://127.0.0.1:$SANDBOX_PORT"
export KLAVIYO_BASE_URL=$SBX
export KLAVIYO_RATE_SCALE=$SCALE
export KLAVIYO_TIMEOUT_MS=10000
export REPORT_SERVER_KEY="bench-report-key-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export SYNC_POLL_MS=100
export SYNC_SCHEDULE_SECONDS=0
if [ -n "${SYNC_CONCURRENCY:-}" ]; then export SYNC_CONCURRENCY; fi
psql_q() { kc_as_svc "$(kc_pg_bin)/psql" "$DATABASE_URL" -qAtX -v ON_ERROR_STOP=1 "$@"; }

kc_as_svc "$BUILD/src/admin/klaviyo-admin" migrate >"$ST/log/migrate.log" 2>&1 ||
    { cat "$ST/log/migrate.log" >&2; exit 1; }
kc_spawn "$ST" fcgi "$BUILD/src/fcgi/klaviyo-connect-fcgi"
kc_nginx_conf "$ST" "$PORT" "$SRC/www"
kc_nginx_start "$ST"
kc_wait_http "$APP_URL/api/health" 30 || { cat "$ST/log/fcgi.log" >&2; exit 1; }

# Stores fleet00000.. and one owner, by SQL (the admin CLI is one process
# a store); then each store connects through the HTTP route, as in
# production (credential sealed, report trigger queued).
kc_say "creating $N stores"
printf 'bench-Password-%s\n' "$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')" |
    kc_as_svc "$BUILD/src/admin/klaviyo-admin" user add bench@example.com >/dev/null
psql_q <<SQL
INSERT INTO stores (public_id, name)
    SELECT 'fleet' || lpad(i::text, 5, '0'), 'Fleet Store ' || lpad(i::text, 5, '0')
    FROM generate_series(0, $N - 1) AS i;
INSERT INTO contract_seats (user_id) SELECT id FROM users WHERE email = 'bench@example.com';
INSERT INTO seat_store_access (seat_id, store_id, role_id)
    SELECT s.id, st.id, 1 FROM contract_seats s JOIN users u ON u.id = s.user_id,
    stores st WHERE u.email = 'bench@example.com' AND st.public_id LIKE 'fleet%';
SQL
TOKEN=$(kc_as_svc "$BUILD/src/admin/klaviyo-admin" session issue bench@example.com --hours 12)
curl -sf --max-time 120 "$SBX/__sandbox/fleet?from=0&count=$N" >"$ST/fleet.json" ||
    kc_die "GET /__sandbox/fleet failed"
python3 - "$ST/fleet.json" >"$ST/connect.txt" <<'PY'
import json, sys
for a in json.load(open(sys.argv[1]))["accounts"]:
    print("fleet%05d %s %s %s" % (a["index"], a["key"], a["placed_order_metric"], a["account"]))
PY
kc_say "connecting $N stores"
export APP_URL TOKEN REPORT_SERVER_KEY
xargs -P 4 -L 1 bash -c '
body="{\"apiKey\":\"$1\",\"conversionMetricId\":\"$2\"}"
code=$(curl -s -o /dev/null -w "%{http_code}" --max-time 60 \
    -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
    -d "$body" "$APP_URL/api/store/$0/klaviyo-connect")
[ "$code" = 200 ] || echo "connect $0: HTTP $code"' <"$ST/connect.txt" >"$ST/connect.err" || true
[ -s "$ST/connect.err" ] && { head "$ST/connect.err" >&2; kc_die "some stores did not connect"; }
connected=$(psql_q -c "SELECT count(*) FROM klaviyo_connections WHERE klaviyo_integration->>'status' = 'connected'")
[ "$connected" = "$N" ] || kc_die "$connected of $N stores connected"

# One pass: clear the counts, start NSYNCD daemons, sample until nothing
# is pending (bounded), stop them, print the line.
run_pass() {
	local name=$1 nsyncd=$2 minmode=$3 first_job=$4 start end pid
	local rss=0 conns=0 r c deadline pending stats fleet
	curl -sf -X DELETE "$SBX/__sandbox/stats" >/dev/null
	curl -sf -X DELETE "$SBX/__sandbox/ratelimits" >/dev/null
	psql_q -c "DELETE FROM rate_buckets" >/dev/null
	kc_say "pass $name: $nsyncd klaviyo-syncd"
	start=$(date +%s.%N)
	kc_spawn "$ST" syncd "$BUILD/src/syncd/klaviyo-syncd"
	if [ "$nsyncd" = 2 ]; then
		kc_spawn "$ST" syncd2 "$BUILD/src/syncd/klaviyo-syncd"
	fi
	deadline=$(( $(date +%s) + TIMEOUT ))
	while :; do
		for pid in $(cat "$ST/run/syncd.pid" "$ST/run/syncd2.pid" 2>/dev/null); do
			r=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
			[ -n "$r" ] && [ "$r" -gt "$rss" ] && rss=$r
		done
		c=$(psql_q -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'klaviyo-syncd'")
		[ "$c" -gt "$conns" ] && conns=$c
		pending=$(psql_q -c "SELECT (SELECT count(*) FROM report_triggers
		    WHERE delivered_at IS NULL AND cancelled_at IS NULL)
		    + (SELECT count(*) FROM sync_jobs WHERE state IN ('queued', 'running'))")
		[ "$pending" = 0 ] && break
		kc_alive "$ST/run/syncd.pid" klaviyo-syncd ||
		    { tail -20 "$ST/log/syncd.log" >&2; kc_die "klaviyo-syncd died"; }
		if [ "$(date +%s)" -ge "$deadline" ]; then
			kc_kill_pidfile "$ST/run/syncd.pid"
			kc_kill_pidfile "$ST/run/syncd2.pid"
			kc_die "pass $name: $pending jobs or triggers still pending after $TIMEOUT s"
		fi
		sleep 0.5
	done
	end=$(date +%s.%N)
	kc_kill_pidfile "$ST/run/syncd.pid"
	kc_kill_pidfile "$ST/run/syncd2.pid"
	curl -sf --max-time 30 "$SBX/__sandbox/stats?totals=1" >"$ST/totals.json"
	curl -sf --max-time 600 "$SBX/__sandbox/fleet?from=0&count=$N" >"$ST/fleet.json"
	psql_q -c "SELECT state, count(*) FROM sync_jobs WHERE id > $first_job GROUP BY 1" \
	    >"$ST/jobs.txt"
	python3 - "$ST/totals.json" "$ST/fleet.json" "$ST/jobs.txt" "$SCALE" \
	    "$(echo "$end - $start" | bc)" "$((rss / 1024))" "$conns" "$minmode" <<'PY'
import json, math, sys
tot = json.load(open(sys.argv[1])); fl = json.load(open(sys.argv[2]))
scale = float(sys.argv[4]); wall = float(sys.argv[5])
jobs = dict(l.split("|") for l in open(sys.argv[3]).read().split())
floor = 0.0; mins = 0
for a in fl["accounts"]:
    b = 0.0
    for n in a["requests"]["reports"].values():
        if n > 0:
            b = max(b, n - 1.0, (math.ceil(n / 2) - 1) * 60.0)
    floor = max(floor, b / scale)
    m = a["min_report_requests"]
    if sys.argv[8] == "full":
        mins += m["total"]
        over = ["%s %d>%d" % (k, n, m.get(k, 0))
                for k, n in a["requests"]["reports"].items() if n > m.get(k, 0)]
        if over:
            print("above the minimum: %s (%s): %s" % (a["account"],
                  a["timezone"], ", ".join(over)), file=sys.stderr)
    else:
        mins += sum(1 for k, v in m.items() if k != "total" and v > 0)
bad = {k: v for k, v in jobs.items() if k != "done"}
if bad:
    print("warning: jobs not done: %s" % bad, file=sys.stderr)
print("fleet: stores=%d jobs=%s wall_s=%.1f floor_s=%.1f ratio=%s rss_mb=%s "
      "pg_conns=%s http_429=%d report_requests=%d min_report_requests=%d" % (
      fl["count"], jobs.get("done", "0"), wall, floor,
      "%.2f" % (wall / floor) if floor > 0 else "inf", sys.argv[6],
      sys.argv[7], tot["throttled"], tot["report_requests"], mins))
PY
}

FULL_LINE=""
for p in $PASSES; do
	# Jobs of this pass: those enqueued from here on.
	first_job=$(psql_q -c "SELECT coalesce(max(id), 0) FROM sync_jobs")
	case $p in
	full)
		FULL_LINE=$(run_pass full 1 full "$first_job")
		echo "$FULL_LINE" ;;
	incremental)
		kc_say "asking every store for a sync"
		xargs -P 4 -L 1 bash -c 'code=$(curl -s -o /dev/null \
		    -w "%{http_code}" --max-time 60 \
		    -H "Authorization: Bearer $TOKEN" \
		    -H "Content-Type: application/json" -d "{}" \
		    "$APP_URL/api/store/$0/klaviyo-sync")
		    [ "$code" = 202 ] || echo "sync $0: HTTP $code"' \
		    <"$ST/connect.txt" >"$ST/sync.err" || true
		[ -s "$ST/sync.err" ] &&
		    { head "$ST/sync.err" >&2; kc_die "some sync requests failed"; }
		run_pass incremental 1 incremental "$first_job" ;;
	two)
		kc_say "asking the report server for a full sync of every store"
		xargs -P 4 -L 1 bash -c 'code=$(curl -s -o /dev/null \
		    -w "%{http_code}" --max-time 60 \
		    -H "Authorization: Bearer $REPORT_SERVER_KEY" \
		    -H "Content-Type: application/json" \
		    -d "{\"store_public_id\":\"$0\",\"klaviyo_public_id\":\"$3\",\"do_not_order_sync\":false}" \
		    "$APP_URL/api/v1/reports/full_sync")
		    case $code in 2??) ;; *) echo "full_sync $0: HTTP $code" ;; esac' \
		    <"$ST/connect.txt" >"$ST/sync.err" || true
		[ -s "$ST/sync.err" ] &&
		    { head "$ST/sync.err" >&2; kc_die "some full_sync requests failed"; }
		run_pass two 2 full "$first_job" ;;
	*) kc_die "FLEET_PASSES: full, incremental, two" ;;
	esac
done
if [ -n "$FULL_LINE" ]; then echo "$FULL_LINE"; fi
