#!/usr/bin/env bash
# The reports read API (docs/REPORTS.md) on the large sandbox account, in
# one run against a throwaway stack (PostgreSQL, the sandbox, klaviyo-syncd,
# the FastCGI service behind nginx; started here like bench/fleet.sh,
# everything stopped on any exit):
#   1. a store connects Acme Outdoor (pk_sbxshopify...01: 730 days, 500
#      campaigns, 80 flows, 40 forms, 30 segments, 20,000 orders) and
#      klaviyo-syncd syncs it whole (sandbox and client at --time-scale
#      REPORTS_SCALE);
#      Its rows are then copied to REPORTS_NEIGHBOURS other connections
#      (other stores), as a server holding many stores would have them;
#   2. every statement of the reports runs once with auto_explain on, and
#      its plan is printed (condensed: node, relation, index); a
#      sequential scan of a synced table fails the bench;
#   3. wrk -t2 -cCONNECTIONS -dSECONDS on each kind over the last 365
#      days of the account (tables: the default page of 10), then the
#      largest CSV (segments, a row per segment and day over 731 days)
#      fetched CSV_RUNS times.
# The last line is
#   reports: summary_p99_ms=... series_p99_ms=... campaigns_p99_ms=... flows_p99_ms=... segments_p99_ms=... forms_p99_ms=... csv_rows_per_s=...
#
#   bench/reports.sh [SECONDS] [CONNECTIONS]      (10 and 16)
# Knobs: KC_WORKERS (4), REPORTS_SCALE (600), CSV_RUNS (5),
# REPORTS_NEIGHBOURS (20), KC_BUILDDIR (a
# built tree; else ./build-bench is built, -O2), KC_KEEP_STATE=1.
# Needs wrk (apt-get install wrk); installs nothing itself.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
KC_ROOT=$SRC
. "$SRC/scripts/common.sh"

secs=${1:-10}
conns=${2:-16}
workers=${KC_WORKERS:-4}
SCALE=${REPORTS_SCALE:-600}
csv_runs=${CSV_RUNS:-5}
neighbours=${REPORTS_NEIGHBOURS:-20}
case $secs$conns$workers$SCALE$csv_runs$neighbours in
*[!0-9]*) kc_die "usage: bench/reports.sh [SECONDS] [CONNECTIONS]" ;;
esac
command -v wrk >/dev/null || kc_die "wrk is missing: apt-get install wrk"
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

ST=$(mktemp -d /tmp/kc-reports.XXXXXX)
cleanup() {
	set +e
	kc_kill_pidfile "$ST/run/syncd.pid"
	kc_nginx_stop "$ST"
	kc_kill_pidfile "$ST/run/fcgi.pid"
	kc_kill_pidfile "$ST/run/sandbox.pid"
	kc_bench_state_drop "$ST"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
kc_bench_state_up "$ST"

kc_stack_env "$ST"
export KC_WORKERS=$workers
export LOG_LEVEL=warn
export PASSWORD_SCRYPT_LOG_N=12
SANDBOX_PORT=$(kc_sandbox_start "$ST" "$BUILD/sandbox/klaviyo-sandbox" \
    --time-scale "$SCALE" --log-level warn)
SBX="http://127.0.0.1:$SANDBOX_PORT"
export KLAVIYO_BASE_URL=$SBX
export KLAVIYO_RATE_SCALE=$SCALE
export SYNC_POLL_MS=100
export SYNC_SCHEDULE_SECONDS=0
export REPORT_SERVER=
admin() { kc_as_svc "$BUILD/src/admin/klaviyo-admin" "$@"; }
psql_q() { kc_as_svc "$(kc_pg_bin)/psql" "$DATABASE_URL" -qAtX -v ON_ERROR_STOP=1 "$@"; }

admin migrate >"$ST/log/migrate.log" 2>&1 || { cat "$ST/log/migrate.log" >&2; exit 1; }
kc_spawn "$ST" fcgi "$BUILD/src/fcgi/klaviyo-connect-fcgi"
kc_nginx_conf "$ST" "$PORT" "$SRC/www"
kc_nginx_start "$ST"
kc_wait_http "$APP_URL/api/health" 30 || { cat "$ST/log/fcgi.log" >&2; exit 1; }

store=benchRp
printf 'bench-Password-%s\n' "$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')" |
    admin user add bench@example.com >/dev/null
admin store add "$store" "Bench Reports" >/dev/null
admin grant bench@example.com "$store" viewer >/dev/null
printf 'bench-Password-%s\n' "$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')" |
    admin user add owner@example.com >/dev/null
admin grant owner@example.com "$store" owner >/dev/null
token=$(admin session issue bench@example.com --hours 2)
otoken=$(admin session issue owner@example.com --hours 2)
auth="Authorization: Bearer $token"

kc_say "connecting the large account and syncing it (time scale $SCALE)"
code=$(curl -s -o "$ST/connect.json" -w '%{http_code}' --max-time 60 \
    -H "Authorization: Bearer $otoken" -H 'Content-Type: application/json' \
    -d '{"apiKey":"pk_sbxshopify0000000000000000000001","conversionMetricId":"bWFrb5"}' \
    "$APP_URL/api/store/$store/klaviyo-connect")
[ "$code" = 200 ] || { cat "$ST/connect.json" >&2; kc_die "connect: HTTP $code"; }
start=$(date +%s)
kc_spawn "$ST" syncd "$BUILD/src/syncd/klaviyo-syncd"
while :; do
	pending=$(psql_q -c "SELECT (SELECT count(*) FROM report_triggers
	    WHERE delivered_at IS NULL AND cancelled_at IS NULL)
	    + (SELECT count(*) FROM sync_jobs WHERE state IN ('queued', 'running'))")
	[ "$pending" = 0 ] && break
	kc_alive "$ST/run/syncd.pid" klaviyo-syncd ||
	    { tail -20 "$ST/log/syncd.log" >&2; kc_die "klaviyo-syncd died"; }
	[ $(( $(date +%s) - start )) -lt 1800 ] || kc_die "the sync took over 30 minutes"
	sleep 1
done
kc_kill_pidfile "$ST/run/syncd.pid"
failed=$(psql_q -c "SELECT count(*) FROM sync_jobs WHERE state <> 'done'")
acme=$(psql_q -c "SELECT id FROM klaviyo_connections")
[ "$failed" = 0 ] || kc_die "$failed sync jobs did not finish"
synced=$(( $(date +%s) - start ))
# The tables of a real server hold many stores: copies of the account's
# rows under REPORTS_NEIGHBOURS other connections (other stores), so the
# large account is a part of each table and a plan must find its rows.
kc_say "copying its rows to $neighbours other connections"
psql_q <<SQL
INSERT INTO stores (public_id, name)
    SELECT 'nb' || lpad(i::text, 4, '0'), 'Neighbour ' || i
    FROM generate_series(1, $neighbours) i;
CREATE TEMP TABLE nb AS
    WITH ins AS (INSERT INTO klaviyo_connections (store_id, is_primary,
        klaviyo_integration)
        SELECT s.id, true, k.klaviyo_integration
            || jsonb_build_object('public_id', 'nb' || s.id)
        FROM stores s, klaviyo_connections k
        WHERE s.public_id LIKE 'nb%' RETURNING id)
    SELECT id FROM ins;
-- One neighbour after the other, as each account's syncs write its rows
-- in batches (rows of one account share pages).
DO \$\$
DECLARE
    n bigint;
BEGIN
    FOR n IN SELECT id FROM nb ORDER BY id LOOP
        INSERT INTO campaigns SELECT n, c.id, c.channel, c.name, c.status,
            c.send_time, c.attributes, c.updated_at FROM campaigns c
            WHERE c.connection_id = $acme;
        INSERT INTO campaign_stats SELECT n, s.campaign_id, s.channel,
            s.statistics, s.conversion_metric_id, s.updated_at
            FROM campaign_stats s WHERE s.connection_id = $acme;
        INSERT INTO flows SELECT n, f.id, f.name, f.status, f.attributes,
            f.updated_at FROM flows f WHERE f.connection_id = $acme;
        INSERT INTO flow_series SELECT n, s.flow_id, s.day, s.timezone,
            s.statistics, s.updated_at FROM flow_series s
            WHERE s.connection_id = $acme;
        INSERT INTO segments SELECT n, g.id, g.name, g.attributes,
            g.updated_at FROM segments g WHERE g.connection_id = $acme;
        INSERT INTO segment_series SELECT n, s.segment_id, s.day, s.timezone,
            s.statistics, s.updated_at FROM segment_series s
            WHERE s.connection_id = $acme;
        INSERT INTO forms SELECT n, f.id, f.name, f.status, f.attributes,
            f.updated_at FROM forms f WHERE f.connection_id = $acme;
        INSERT INTO form_series SELECT n, s.form_id, s.day, s.timezone,
            s.statistics, s.updated_at FROM form_series s
            WHERE s.connection_id = $acme;
        INSERT INTO orders SELECT n, o.event_id, o.order_id, o.value,
            o.currency, o.occurred_at, o.properties FROM orders o
            WHERE o.connection_id = $acme;
    END LOOP;
END
\$\$;
SQL
# What autovacuum does on a server: statistics and the visibility map
# (index-only scans).
psql_q -c "VACUUM ANALYZE" >/dev/null
psql_q -F ' ' -c "SELECT 'synced in $synced s; of one account:',
    (SELECT count(*) FROM campaigns WHERE connection_id = $acme) || ' campaigns',
    (SELECT count(*) FROM flow_series WHERE connection_id = $acme) || ' flow days',
    (SELECT count(*) FROM segment_series WHERE connection_id = $acme) || ' segment days',
    (SELECT count(*) FROM form_series WHERE connection_id = $acme) || ' form days',
    (SELECT count(*) FROM orders WHERE connection_id = $acme) || ' orders;',
    'tables', (SELECT count(*) FROM orders) || ' orders in all'" >&2

# The account's last 365 days, in its time zone.
to=$(psql_q -c "SELECT to_char((now() AT TIME ZONE 'America/New_York')::date, 'YYYY-MM-DD')")
from=$(psql_q -c "SELECT to_char((now() AT TIME ZONE 'America/New_York')::date - 364, 'YYYY-MM-DD')")
from731=$(psql_q -c "SELECT to_char((now() AT TIME ZONE 'America/New_York')::date - 730, 'YYYY-MM-DD')")
base=/api/store/$store/klaviyo-reports
range="from=$from&to=$to"
kinds="summary series campaigns flows segments forms"

# Plans: auto_explain in every new session of the database, the FastCGI
# workers restarted to get one, each kind and the CSV cursors run once.
kc_say "plans of every statement (auto_explain)"
psql_q -c "ALTER DATABASE klaviyo_connect SET session_preload_libraries = 'auto_explain'" \
    -c "ALTER DATABASE klaviyo_connect SET auto_explain.log_min_duration = 0"
kc_kill_pidfile "$ST/run/fcgi.pid"
mark=$(wc -c <"$ST/log/postgres.log")
kc_spawn "$ST" fcgi "$BUILD/src/fcgi/klaviyo-connect-fcgi"
kc_wait_http "$APP_URL/api/health" 30 || { cat "$ST/log/fcgi.log" >&2; exit 1; }
for k in $kinds; do
	curl -sf -o /dev/null -H "$auth" "$APP_URL$base/$k?$range" ||
	    kc_die "GET $k failed"
done
for k in series campaigns flows segments forms; do
	curl -sf -o /dev/null -H "$auth" "$APP_URL$base/$k?$range&format=csv" ||
	    kc_die "GET $k CSV failed"
done
sleep 1
tail -c +"$((mark + 1))" "$ST/log/postgres.log" | python3 -c '
import re, sys
text = sys.stdin.read()
# One plan per "duration: ... plan:" entry, up to the next log line.
entries = re.split(r"\n(?=\S+ \S+ \S+ \[\d+\] )", text)
seq = 0; n = 0
for e in entries:
    if "plan:" not in e:
        continue
    q = re.search(r"Query Text: (.*)", e)
    if not q or not re.search(r"\b(orders|campaign_stats|flow_series|segment_series|form_series|campaigns|flows|segments|forms)\b", q.group(1)):
        continue
    if "klaviyo_connections" in q.group(1):
        continue	# the accounts, not a report
    n += 1
    print("-- %s" % q.group(1)[:110])
    for line in e.split("\n"):
        m = re.search(r"(->  )?((Index Only Scan|Index Scan|Bitmap Index Scan|Bitmap Heap Scan|Seq Scan)[^(]*)", line)
        if m:
            node = m.group(2).strip()
            print("     %s" % node)
            if node.startswith("Seq Scan") and re.search(r"on (orders|campaign_stats|flow_series|segment_series|form_series|campaigns)\b", node):
                seq += 1
print("%d plans, %d sequential scans of synced tables" % (n, seq))
sys.exit(1 if seq or n == 0 else 0)
' >&2 || kc_die "a report statement is not served by an index (plans above)"
psql_q -c "ALTER DATABASE klaviyo_connect RESET ALL"
kc_kill_pidfile "$ST/run/fcgi.pid"
kc_spawn "$ST" fcgi "$BUILD/src/fcgi/klaviyo-connect-fcgi"
kc_wait_http "$APP_URL/api/health" 30 || { cat "$ST/log/fcgi.log" >&2; exit 1; }

# "1.23ms", "850.00us", "1.02s" -> milliseconds
to_ms() {
	awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
	    if (u == "us") n /= 1000; else if (u == "s") n *= 1000;
	    else if (u == "m") n *= 60000; printf "%.2f", n }'
}
declare -A p99s
kc_say "wrk -t2 -c$conns -d${secs}s per kind, $workers FastCGI workers, $from .. $to"
for k in $kinds; do
	out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency -H "$auth" \
	    "$APP_URL$base/$k?$range")
	rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
	p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
	p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
	bad=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
	printf '%-9s %9s rps   p50 %7s ms   p99 %7s ms   non-2xx %s\n' \
	    "$k" "$rps" "$p50" "$p99" "${bad:-0}" >&2
	[ -z "$bad" ] || kc_die "$k: $bad answers were not 2xx"
	p99s[$k]=$p99
done

kc_say "the largest CSV: segments by day, $from731 .. $to, $csv_runs times"
rows=0
t0=$(date +%s.%N)
for i in $(seq 1 "$csv_runs"); do
	curl -sf -H "$auth" "$APP_URL$base/segments?from=$from731&to=$to&format=csv" \
	    >"$ST/segments.csv" || kc_die "the CSV failed"
	rows=$((rows + $(wc -l <"$ST/segments.csv") - 1))
done
t1=$(date +%s.%N)
echo "$((rows / csv_runs)) rows a CSV, $(wc -c <"$ST/segments.csv") bytes" >&2
awk -v r="$rows" -v t="$(echo "$t1 - $t0" | bc)" \
    -v s="${p99s[summary]}" -v se="${p99s[series]}" -v c="${p99s[campaigns]}" \
    -v f="${p99s[flows]}" -v g="${p99s[segments]}" -v fo="${p99s[forms]}" 'BEGIN {
	printf "reports: summary_p99_ms=%s series_p99_ms=%s campaigns_p99_ms=%s flows_p99_ms=%s segments_p99_ms=%s forms_p99_ms=%s csv_rows_per_s=%.0f\n",
	    s, se, c, f, g, fo, r / t }'
