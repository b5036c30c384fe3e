#!/usr/bin/env bash
# Klaviyo webhooks (issue 17) against a throwaway stack (PostgreSQL,
# nginx with 2 workers and the tests' configuration, the FastCGI workers,
# klaviyo-syncd and the Klaviyo sandbox, started here; everything stopped
# on any exit):
#   receive  wrk -t2 -cCONNECTIONS -dSECONDS of POST /api/klaviyo/webhooks/{id},
#            signed batches of 100 Placed Orders (200 different batches,
#            signed with openssl beforehand; a secret the bench sealed
#            with bench/webhook_seal.c, built here)
#   apply    klaviyo-syncd started afterwards: how fast it empties the
#            inbox (orders written, repeats skipped)
#   delay    a store connected to the sandbox; klaviyo-syncd registers
#            its webhook; ORDERS orders created one at a time at the
#            sandbox, each timed until its row is in our orders table
# The last line is
#   webhooks: batch_rps=… events_per_s=… p50_ms=… p99_ms=… apply_events_per_s=… order_delay_p50_ms=… order_delay_max_ms=… sync_poll_ms=…
#
#   bench/webhooks.sh [SECONDS] [CONNECTIONS] [ORDERS]    (10, 16 and 20)
# Knobs: KC_WORKERS (4), SYNC_POLL_MS (1000, the service's default),
# KC_BUILDDIR (a built tree; else ./build-bench is built), KC_KEEP_STATE=1.
# Needs wrk and openssl; installs nothing itself.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
KC_ROOT=$SRC
. "$SRC/scripts/common.sh"

secs=${1:-10}
conns=${2:-16}
orders=${3:-20}
workers=${KC_WORKERS:-4}
case $secs$conns$orders$workers in *[!0-9]*) kc_die "usage: bench/webhooks.sh [SECONDS] [CONNECTIONS] [ORDERS]" ;; esac
for c in wrk openssl curl; do
	command -v "$c" >/dev/null || kc_die "$c is missing"
done
if [ -n "${KC_BUILDDIR:-}" ]; then
	BUILD=$KC_BUILDDIR
else
	BUILD=$SRC/build-bench
	kc_build "$BUILD" --enable-sandbox
fi
for b in src/fcgi/klaviyo-connect-fcgi src/admin/klaviyo-admin \
    src/syncd/klaviyo-syncd sandbox/klaviyo-sandbox \
    src/core/libkccore.a src/lib/libkclib.a; do
	[ -e "$BUILD/$b" ] || kc_die "$BUILD/$b is missing (make it)"
done

ST=$(mktemp -d /tmp/kc-webhooks.XXXXXX)
cleanup() {
	set +e
	kc_nginx_stop "$ST"
	kc_kill_pidfile "$ST/run/syncd.pid"
	kc_kill_pidfile "$ST/run/fcgi.pid"
	kc_kill_pidfile "$ST/run/sandbox.pid"
	kc_bench_state_drop "$ST"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
kc_bench_state_up "$ST"
# shellcheck disable=SC2046
cc -O2 -Wall -Wextra -I"$SRC/src/lib" -I"$SRC/src/core" -I"$BUILD" \
    $(pkg-config --cflags libcurl json-c libpq openssl) \
    -o "$ST/webhook_seal" "$SRC/bench/webhook_seal.c" \
    "$BUILD/src/core/libkccore.a" "$BUILD/src/lib/libkclib.a" \
    $(pkg-config --libs libcurl json-c libpq openssl) ||
    kc_die "cannot build bench/webhook_seal.c"

kc_stack_env "$ST"
export KC_WORKERS=$workers
export LOG_LEVEL=${LOG_LEVEL:-info}
export PASSWORD_SCRYPT_LOG_N=12
export SYNC_POLL_MS=${SYNC_POLL_MS:-1000}
export SYNC_SCHEDULE_SECONDS=0
export REPORT_SERVER=
SANDBOX_PORT=$(kc_sandbox_start "$ST" "$BUILD/sandbox/klaviyo-sandbox" \
    --webhook-allow-http)
export KLAVIYO_BASE_URL="http://127.0.0.1:$SANDBOX_PORT"
admin() { kc_as_svc "$BUILD/src/admin/klaviyo-admin" "$@"; }
psql_q() { kc_as_svc "$(kc_pg_bin)/psql" "$DATABASE_URL" -qAtX -v ON_ERROR_STOP=1 "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

admin migrate >"$ST/log/migrate.log" 2>&1 || { cat "$ST/log/migrate.log" >&2; exit 1; }
printf 'bench-Password-%s\n' "$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')" |
    admin user add bench@example.com >/dev/null
for s in whRecv whDelay; do
	admin store add "$s" "Bench $s" >/dev/null
	admin grant bench@example.com "$s" owner >/dev/null
done
token=$(admin session issue bench@example.com --hours 2)
auth="Authorization: Bearer $token"
kc_nginx_conf "$ST" "$PORT" "$SRC/www"
kc_nginx_start "$ST"
kc_spawn "$ST" fcgi "$BUILD/src/fcgi/klaviyo-connect-fcgi"
kc_wait_http "$APP_URL/api/health" 30 || kc_die "the FastCGI service did not start"

# ---- receive: a webhook of ours with a secret we know ----------------
secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
kid=01BENCHWEBHOOK000000000001
hook=$(psql_q <<SQL
INSERT INTO klaviyo_connections (store_id, is_primary, klaviyo_integration)
  SELECT id, true, '{"status":"connected","public_id":"BeNcH1",
  "account":{"id":"BeNcH1","name":"Bench","timezone":"UTC","currency":"USD"},
  "conversion_metric":{"id":"MeTr1c","name":"Placed Order",
  "integration":"Shopify","isShopifyPlacedOrder":true}}'::jsonb
  FROM stores WHERE public_id = 'whRecv';
INSERT INTO klaviyo_webhooks (connection_id, store_id, state,
    klaviyo_webhook_id, order_topic, topics)
  SELECT k.id, k.store_id, 'active', '$kid', 'event:shopify.placed_order',
    '{event:shopify.placed_order}'
  FROM klaviyo_connections k JOIN stores s ON s.id = k.store_id
  WHERE s.public_id = 'whRecv'
  RETURNING public_id;
SQL
)
read -r v n c t < <(printf '%s\n' "$secret" |
    kc_as_svc env KC_MASTER_KEYS="$KC_MASTER_KEYS" "$ST/webhook_seal" whRecv "$hook")
psql_q -c "UPDATE klaviyo_webhooks SET key_version = $v,
    nonce = decode('$n', 'hex'), ciphertext = decode('$c', 'hex'),
    tag = decode('$t', 'hex') WHERE public_id = '$hook'"

kc_say "signing 200 batches of 100 events"
mkdir -p "$ST/batches"
ts=$(date +%s)
for b in $(seq 1 200); do
	awk -v b="$b" -v kid="$kid" 'BEGIN {
		printf "{\"data\":["
		for (i = 0; i < 100; i++) {
			id = sprintf("B%03dE%03d", b, i)
			printf "%s{\"topic\":\"event:shopify.placed_order\",\"external_id\":\"%s\",\"payload\":{\"type\":\"event\",\"id\":\"%s\",\"attributes\":{\"datetime\":\"2026-12-01T10:00:00+00:00\",\"event_properties\":{\"$value\":%d.50,\"OrderId\":\"%s\",\"Currency\":\"USD\"}}}}", i ? "," : "", id, id, i + 1, id
		}
		printf "],\"meta\":{\"klaviyo_account_id\":\"BeNcH1\",\"klaviyo_webhook_id\":\"%s\",\"timestamp\":\"2026-12-01T10:00:01+00:00\"}}", kid
	}' >"$ST/batches/$b.json"
	{ cat "$ST/batches/$b.json"; printf '%s' "$ts"; } |
	    openssl dgst -sha256 -hmac "$secret" -r | cut -d' ' -f1 >"$ST/batches/$b.sig"
done
cat >"$ST/post.lua" <<LUA
local dir, n, i = "$ST/batches/", 200, 0
local bodies, sigs = {}, {}
for b = 1, n do
	local f = io.open(dir .. b .. ".json"); bodies[b] = f:read("*a"); f:close()
	f = io.open(dir .. b .. ".sig"); sigs[b] = f:read("*l"); f:close()
end
request = function()
	i = i % n + 1
	return wrk.format("POST", "/api/klaviyo/webhooks/$hook", {
		["Content-Type"] = "application/json",
		["Klaviyo-Timestamp"] = "$ts",
		["Klaviyo-Signature"] = sigs[i],
		["Klaviyo-Webhook-Id"] = "$kid" }, bodies[i])
end
LUA
# "1.23ms", "850.00us", "1.02s" -> milliseconds
to_ms() {
	awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
	    if (u == "us") n /= 1000; else if (u == "s") n *= 1000;
	    else if (u == "m") n *= 60000; printf "%.2f", n }'
}
kc_say "receive: wrk -t2 -c$conns -d${secs}s, $workers FastCGI processes"
out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$ST/post.lua" "$APP_URL")
rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
bad=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
[ -z "$bad" ] || { tail -5 "$ST/log/fcgi.log" >&2; kc_die "$bad deliveries were not 2xx"; }
stored=$(psql_q -c "SELECT count(*) FROM webhook_inbox")
printf 'receive %10s batches/s   p50 %7s ms   p99 %7s ms   %s stored\n' \
    "$rps" "$p50" "$p99" "$stored" >&2

# ---- apply: klaviyo-syncd empties the inbox --------------------------
events=$(psql_q -c "SELECT coalesce(sum(events), 0) FROM webhook_inbox")
t0=$(now_ms)
kc_spawn "$ST" syncd "$BUILD/src/syncd/klaviyo-syncd"
for i in $(seq 1 6000); do
	[ "$(psql_q -c "SELECT count(*) FROM webhook_inbox WHERE processed_at IS NULL")" = 0 ] && break
	sleep 0.05
done
t1=$(now_ms)
[ "$(psql_q -c "SELECT count(*) FROM webhook_inbox WHERE processed_at IS NULL")" = 0 ] ||
    kc_die "klaviyo-syncd did not empty the inbox"
written=$(psql_q -c "SELECT count(*) FROM orders")
[ "$written" = 20000 ] || kc_die "$written orders written, not 20000 (200 batches x 100)"
apply=$(awk -v e="$events" -v ms="$((t1 - t0))" 'BEGIN { printf "%.0f", e * 1000 / (ms > 0 ? ms : 1) }')
printf 'apply   %s events (%s orders) in %s ms: %s events/s\n' "$events" "$written" "$((t1 - t0))" "$apply" >&2

# ---- delay: an order placed at the sandbox, until its row is ours ----
curl -sf -o /dev/null -H "$auth" -H 'Content-Type: application/json' \
    -H "Origin: $APP_URL" \
    -d '{"apiKey":"pk_sbxshopify0000000000000000000001","conversionMetricId":"bWFrb5"}' \
    "$APP_URL/api/store/whDelay/klaviyo-connect" || kc_die "cannot connect the delay store"
for i in $(seq 1 600); do
	[ "$(psql_q -c "SELECT w.state FROM klaviyo_webhooks w JOIN stores s ON s.id = w.store_id WHERE s.public_id = 'whDelay'")" = active ] && break
	sleep 0.1
done
[ "$(psql_q -c "SELECT w.state FROM klaviyo_webhooks w JOIN stores s ON s.id = w.store_id WHERE s.public_id = 'whDelay'")" = active ] ||
    kc_die "the webhook was not registered: $(psql_q -c "SELECT state || ' ' || coalesce(reason, '') FROM klaviyo_webhooks w JOIN stores s ON s.id = w.store_id WHERE s.public_id = 'whDelay'")"
kc_say "delay: $orders orders placed at the sandbox, one at a time"
: >"$ST/delays"
for o in $(seq 1 "$orders"); do
	oid="DELAY-$o-$ts"
	t0=$(now_ms)
	curl -sf -o /dev/null -H 'Content-Type: application/json' \
	    -d "{\"metric\":\"bWFrb5\",\"value\":$o.25,\"currency\":\"USD\",\"order_id\":\"$oid\"}" \
	    "$KLAVIYO_BASE_URL/__sandbox/accounts/ms2AAo/events" || kc_die "the sandbox refused the event"
	for i in $(seq 1 1000); do
		[ "$(psql_q -c "SELECT count(*) FROM orders WHERE order_id = '$oid'")" = 1 ] && break
		sleep 0.01
	done
	[ "$(psql_q -c "SELECT count(*) FROM orders WHERE order_id = '$oid'")" = 1 ] ||
	    kc_die "order $oid never arrived"
	echo $(($(now_ms) - t0)) >>"$ST/delays"
done
read -r d50 dmax < <(sort -n "$ST/delays" | awk '{ a[NR] = $1 } END {
	print a[int((NR + 1) / 2)], a[NR] }')
printf 'delay   p50 %s ms   max %s ms (SYNC_POLL_MS=%s)\n' "$d50" "$dmax" "$SYNC_POLL_MS" >&2
awk -v r="$rps" -v p50="$p50" -v p99="$p99" -v a="$apply" -v d50="$d50" \
    -v dmax="$dmax" -v poll="$SYNC_POLL_MS" 'BEGIN {
	printf "webhooks: batch_rps=%.0f events_per_s=%.0f p50_ms=%s p99_ms=%s apply_events_per_s=%s order_delay_p50_ms=%s order_delay_max_ms=%s sync_poll_ms=%s\n",
	    r, r * 100, p50, p99, a, d50, dmax, poll }'
