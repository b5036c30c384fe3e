#!/usr/bin/env bash
# The status route at the FastCGI ceiling, in one run against a throwaway
# stack (PostgreSQL, nginx with the tests' configuration and 2 workers,
# started here like bench/fleet.sh; everything stopped on any exit):
#   static  nginx serving /app.css;
#   hello   a libfcgi hello-world (bench/hello.c, built here, not part of
#           the product) behind the same nginx configuration, on the same
#           socket with the same process count, answering any /api/ path;
#   status  GET /api/store/{id}/klaviyo-connect of klaviyo-connect-fcgi
#           (a connected store with a finished sync per type, a bearer
#           session of its owner);
#   summary GET /api/store/{id}/klaviyo-reports/summary, the dashboard's
#           headline numbers, over the last 30 days of the same store
#           (6,000 orders, 20 campaigns, 10 flows' days, made here).
# Each is wrk -t2 -cCONNECTIONS -dSECONDS.  On a small shared machine one
# run of each varies by 10-20 %, so there are ROUNDS rounds of hello,
# status and summary one after the other, and each figure is the median
# of its rounds (ratio_hello: the median of each round's status / hello).
# The last line is
#   http: static_rps=… hello_rps=… status_rps=… ratio_hello=… p50_ms=… p99_ms=… hello_p99_ms=… summary_rps=… summary_p99_ms=… worker_rss_kb=… rounds=… churn_hz=…
# (p50/p99 of the status runs; worker_rss_kb: the largest VmRSS of a
# klaviyo-connect-fcgi worker after the last round).
#
#   bench/http.sh [SECONDS] [CONNECTIONS]      (10 and 64)
# CHURN_HZ=N: during each status run, up to N changes a second of the
# store's sync progress (one UPDATE of a job's progress and a pause of
# 1/N s, in a transaction each, as a running sync makes them; each drops
# every worker's cached status answer).
# Knobs: ROUNDS (3), KC_WORKERS (4), LOG_LEVEL (info, the service's
# default), READ_CACHE (1, the service's default; 2 skips the fence, 0 no
# cache), KC_BUILDDIR (a built tree; else ./build-bench is built),
# KC_KEEP_STATE=1.
# HTTP_PERF=FILE: also `perf record -a -g` the whole machine for 5 s of the
# last status run into FILE (perf report --no-children --sort comm,dso -i
# FILE: nginx, postgres, klaviyo-connect-fcgi and wrk side by side).
# Needs wrk (apt-get install wrk); installs nothing itself.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
KC_ROOT=$SRC
. "$SRC/scripts/common.sh"

secs=${1:-10}
conns=${2:-64}
workers=${KC_WORKERS:-4}
rounds=${ROUNDS:-3}
churn=${CHURN_HZ:-0}
case $secs$conns$workers$rounds$churn in *[!0-9]*) kc_die "usage: bench/http.sh [SECONDS] [CONNECTIONS]" ;; esac
command -v wrk >/dev/null || kc_die "wrk is missing: apt-get install wrk"
if [ -n "${KC_BUILDDIR:-}" ]; then
	BUILD=$KC_BUILDDIR
else
	BUILD=$SRC/build-bench
	kc_build "$BUILD" --enable-sandbox
fi
for b in src/fcgi/klaviyo-connect-fcgi src/admin/klaviyo-admin; do
	[ -x "$BUILD/$b" ] || kc_die "$BUILD/$b is missing (make it)"
done

ST=$(mktemp -d /tmp/kc-http.XXXXXX)
cleanup() {
	set +e
	kc_nginx_stop "$ST"
	kc_kill_pidfile "$ST/run/fcgi.pid"
	kc_kill_pidfile "$ST/run/hello.pid"
	kc_bench_state_drop "$ST"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
kc_bench_state_up "$ST"
cc -O2 -Wall -Wextra -o "$ST/hello" "$SRC/bench/hello.c" -lfcgi ||
    kc_die "cannot build bench/hello.c (libfcgi-dev)"

kc_stack_env "$ST"
export KC_WORKERS=$workers
export LOG_LEVEL=${LOG_LEVEL:-info}
export PASSWORD_SCRYPT_LOG_N=12
admin() { kc_as_svc "$BUILD/src/admin/klaviyo-admin" "$@"; }
psql_q() { kc_as_svc "$(kc_pg_bin)/psql" "$DATABASE_URL" -qAtX -v ON_ERROR_STOP=1 "$@"; }

admin migrate >"$ST/log/migrate.log" 2>&1 || { cat "$ST/log/migrate.log" >&2; exit 1; }
store=benchSt
printf 'bench-Password-%s\n' "$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')" |
    admin user add bench@example.com >/dev/null
admin store add "$store" "Bench Store" >/dev/null
admin grant bench@example.com "$store" owner >/dev/null
# What a polled store looks like: connected, one finished sync per type.
psql_q <<SQL
INSERT INTO klaviyo_connections (store_id, is_primary, klaviyo_integration)
  SELECT id, true, '{"status":"connected",
  "public_id":"BeNcH1","account":{"id":"BeNcH1","name":"Bench",
  "timezone":"UTC","currency":"USD"},"api_key_hint":"pk_bench…",
  "conversion_type":"value","conversion_metric":{"id":"MeTr1c",
  "name":"Placed Order","integration":"Shopify","isShopifyPlacedOrder":true},
  "conversion_metric_id":"MeTr1c","connected_at":"2026-01-01T00:00:00Z",
  "last_sync":"2026-01-02T00:00:00Z","is_updating_dashboard":false,
  "last_error":null}'::jsonb FROM stores WHERE public_id = '$store';
INSERT INTO sync_jobs (store_id, connection_id, type, mode, state, progress,
    finished_at)
  SELECT k.store_id, k.id, t, 'full', 'done',
    '{"done":12,"total":12,"objects":340,"objects_total":340}', now()
  FROM klaviyo_connections k JOIN stores s ON s.id = k.store_id,
    unnest(ARRAY['campaigns','flows','segments','forms','orders']) t
  WHERE s.public_id = '$store';
INSERT INTO klaviyo_syncs (klaviyo_public_id, store_id, connection_id, state)
  SELECT 'BeNcH1', k.store_id, k.id,
    '{"campaigns":{"last_sync":"2026-01-02T00:00:00Z"},
    "flows":{"last_sync":"2026-01-02T00:00:00Z"}}'
  FROM klaviyo_connections k JOIN stores s ON s.id = k.store_id
  WHERE s.public_id = '$store';
-- What the dashboard's summary adds up: the last 30 days.
INSERT INTO orders (connection_id, event_id, order_id, value, currency,
    occurred_at)
  SELECT k.id, 'ev' || g, 'o' || g, 20 + g % 180, 'USD',
    now() - (g % 30) * interval '1 day' - (g % 1440) * interval '1 minute'
  FROM klaviyo_connections k, generate_series(1, 6000) g;
INSERT INTO campaigns (connection_id, id, channel, name, status, send_time)
  SELECT k.id, 'cmp' || g, 'email', 'Campaign ' || g, 'Sent',
    now() - g * interval '1 day'
  FROM klaviyo_connections k, generate_series(1, 20) g;
INSERT INTO campaign_stats (connection_id, campaign_id, channel, statistics,
    conversion_metric_id)
  SELECT k.id, 'cmp' || g, 'email', jsonb_build_object('recipients', 5000,
    'delivered', 4900, 'opens_unique', 1500 + g, 'clicks_unique', 200 + g,
    'conversions', 40 + g, 'conversion_value', 2400.5 + g), 'MeTr1c'
  FROM klaviyo_connections k, generate_series(1, 20) g;
INSERT INTO flows (connection_id, id, name, status)
  SELECT k.id, 'flw' || g, 'Flow ' || g, 'live'
  FROM klaviyo_connections k, generate_series(1, 10) g;
INSERT INTO flow_series (connection_id, flow_id, day, timezone, statistics)
  SELECT k.id, 'flw' || f, current_date - d, 'UTC',
    jsonb_build_object('recipients', 300, 'delivered', 295,
    'opens_unique', 120, 'clicks_unique', 30, 'conversions', 4,
    'conversion_value', 180.25)
  FROM klaviyo_connections k, generate_series(1, 10) f,
    generate_series(0, 29) d;
-- As autovacuum would have it after a sync: every round the same plans.
ANALYZE;
SQL
token=$(admin session issue bench@example.com --hours 2)
path=/api/store/$store/klaviyo-connect
summary=/api/store/$store/klaviyo-reports/summary
auth="Authorization: Bearer $token"

kc_nginx_conf "$ST" "$PORT" "$SRC/www"
kc_nginx_start "$ST"

# "1.23ms", "850.00us", "1.02s" -> milliseconds
to_ms() {
	awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
	    if (u == "us") n /= 1000; else if (u == "s") n *= 1000;
	    else if (u == "m") n *= 60000; printf "%.2f", n }'
}
# bench NAME PATH [wrk args...]: one wrk run; sets rps, p50, p99.
bench() {
	local name=$1 p=$2 out bad
	shift 2
	out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "$@" "$APP_URL$p")
	rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
	p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
	p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
	bad=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
	printf '%-7s %10s rps   p50 %7s ms   p99 %7s ms   non-2xx %s\n' \
	    "$name" "$rps" "$p50" "$p99" "${bad:-0}" >&2
	# A stray refusal is reported, not fatal; more than 1 in 1000 is.
	if [ -n "$bad" ]; then
		tail -3 "$ST/nginx/error.log" >&2
		awk -v b="$bad" -v r="$rps" -v s="$secs" 'BEGIN { exit !(b * 1000 > r * s) }' &&
		    kc_die "$name: $bad answers were not 2xx"
	fi
	return 0
}
# wait_api CODE: until nginx's /api/ answers CODE through the socket.
wait_api() {
	local i
	for i in $(seq 1 100); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' -H "$auth" \
		    "$APP_URL$path")" = "$1" ] && return 0
		sleep 0.1
	done
	kc_die "$APP_URL$path never answered $1"
}

# median of the arguments
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
    END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

kc_say "wrk -t2 -c$conns -d${secs}s, nginx 2 workers, $workers FastCGI processes, $rounds rounds"
bench static /app.css
static_rps=$rps

hellos=() statuses=() ratios=() p50s=() p99s=() hp99s=() sums=() sp99s=()
for round in $(seq 1 "$rounds"); do
	kc_spawn "$ST" hello "$ST/hello" "$KC_SOCKET" "$workers"
	wait_api 200
	bench hello "$path" -H "$auth"
	hellos+=("$rps") hp99s+=("$p99")
	h=$rps
	# Our own child: kill and reap it (kc_kill_pidfile would wait on its
	# zombie).
	hello_pid=$(cat "$ST/run/hello.pid")
	kill -TERM "$hello_pid"
	wait "$hello_pid" 2>/dev/null || true
	rm -f "$ST/run/hello.pid" "$KC_SOCKET"

	kc_spawn "$ST" fcgi "$BUILD/src/fcgi/klaviyo-connect-fcgi"
	wait_api 200
	if [ -n "${HTTP_PERF:-}" ] && [ "$round" = "$rounds" ]; then
		command -v perf >/dev/null || kc_die "perf is missing"
		(sleep 3; perf record -a -g -o "$HTTP_PERF" -- sleep 5) \
		    >"$ST/log/perf.log" 2>&1 &
		perf_pid=$!
	fi
	if [ "$churn" -gt 0 ]; then
		# One transaction per change, as many as the run lasts.
		psql_q -c "DO \$\$ BEGIN FOR i IN 1..$((secs * churn)) LOOP
		    UPDATE sync_jobs SET progress = jsonb_set(progress, '{done}',
		    to_jsonb(i % 12 + 1)) WHERE type = 'campaigns'; COMMIT;
		    PERFORM pg_sleep(1.0 / $churn); END LOOP; END \$\$" &
		churn_pid=$!
	fi
	bench status "$path" -H "$auth"
	[ -z "${churn_pid:-}" ] || { wait "$churn_pid" || true; churn_pid=; }
	[ -z "${perf_pid:-}" ] || wait "$perf_pid"
	statuses+=("$rps") p50s+=("$p50") p99s+=("$p99")
	ratios+=("$(awk -v d="$rps" -v h="$h" 'BEGIN { printf "%.3f", d / h }')")
	bench summary "$summary" -H "$auth"
	sums+=("$rps") sp99s+=("$p99")
	if [ "$round" = "$rounds" ]; then
		rss=0
		for pid in $(pgrep -P "$(cat "$ST/run/fcgi.pid")"); do
			r=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
			[ "$r" -gt "$rss" ] && rss=$r
		done
	fi
	kc_kill_pidfile "$ST/run/fcgi.pid"
	rm -f "$KC_SOCKET"
done
printf 'http: static_rps=%.0f hello_rps=%.0f status_rps=%.0f ratio_hello=%.2f p50_ms=%s p99_ms=%s hello_p99_ms=%s summary_rps=%.0f summary_p99_ms=%s worker_rss_kb=%d rounds=%d churn_hz=%d\n' \
    "$static_rps" "$(median "${hellos[@]}")" "$(median "${statuses[@]}")" \
    "$(median "${ratios[@]}")" "$(median "${p50s[@]}")" \
    "$(median "${p99s[@]}")" "$(median "${hp99s[@]}")" \
    "$(median "${sums[@]}")" "$(median "${sp99s[@]}")" "$rss" "$rounds" \
    "$churn"
