#!/usr/bin/env bash
# Soak: SOAK_SECONDS (default 600) of mixed traffic against a throwaway
# stack (PostgreSQL, the Klaviyo sandbox, the FastCGI workers behind
# nginx, klaviyo-syncd; started here like bench/fleet.sh, stopped on any
# exit) while Klaviyo misbehaves: every SOAK_FAULT_EVERY seconds (5) the
# sandbox's control API turns on one fault for every Klaviyo request
# (429, 500, 503, a slow answer, a short hang, a reset, a body cut in
# half, a wrong content type, an HTML 403), then clears it.
#
# Clients, each a curl loop (SOAK_CLIENTS copies of each, default 2):
#   status      GET /api/health, /api/me, GET …/klaviyo-connect (status)
#   test        POST …/klaviyo-connect {action:"test", apiKey}
#   connect     POST …/klaviyo-connect {apiKey, conversionMetricId}, then
#               DELETE …/klaviyo-connect, on a store of its own
#   sync        POST …/klaviyo-sync on a connected store
#   login       POST /api/auth/login with a wrong password
#
# An answer is "unexpected" when
#   - curl got no HTTP answer at all (status 000), or
#   - the body is not JSON (an /api/ answer must always be), or
#   - its status is not in the route's expected set:
#       health, me, status:      200
#       login (wrong password):  401, 429
#       test, connect:           200, 422 (Klaviyo refused: an HTML 403),
#                                429, 502, 504 (Klaviyo faults), 409
#       disconnect:              200
#       sync:                    202, 409 (a sync already runs), 429
#     so any 5xx but a 502/504 from a Klaviyo-calling route (the injected
#     faults), and any 5xx at all from a route that does not call Klaviyo,
#     is unexpected.
#
# Prints requests (and the slowest answer) per route, non-2xx by status
# and route, the fcgi workers' summed RSS at the start (after a warm-up),
# half way and the end, and their open fds at the start and the end,
# PostgreSQL connections, sync jobs finished; ends with one line
#   soak: seconds=S requests=R unexpected=U rss_start_kb=A rss_end_kb=B fds_start=F1 fds_end=F2 pg_conns=P jobs_finished=J
#
# Knobs: SOAK_SECONDS, SOAK_CLIENTS, SOAK_FAULT_EVERY, KC_BUILDDIR (a built
# tree with the sandbox; else ./build-bench is built), KC_KEEP_STATE=1.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
KC_ROOT=$SRC
. "$SRC/scripts/common.sh"

DURATION=${SOAK_SECONDS:-600}
CLIENTS=${SOAK_CLIENTS:-2}
FAULT_EVERY=${SOAK_FAULT_EVERY:-5}
for v in "$DURATION" "$CLIENTS" "$FAULT_EVERY"; do
	case $v in '' | *[!0-9]*) kc_die "SOAK_* must be whole numbers" ;; esac
done
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

ST=$(mktemp -d /tmp/kc-soak.XXXXXX)
LOADERS=()
cleanup() {
	set +e
	local p
	for p in "${LOADERS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	kc_kill_pidfile "$ST/run/syncd.pid"
	kc_nginx_stop "$ST"
	kc_kill_pidfile "$ST/run/fcgi.pid"
	kc_kill_pidfile "$ST/run/sandbox.pid"
	kc_bench_state_drop "$ST"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
kc_bench_state_up "$ST"

NSTORES=$((2 + CLIENTS * 2))	# one per connect client, per test client, sync
SCALE=60
kc_stack_env "$ST"
export KC_WORKERS=4
export LOG_LEVEL=warn
SANDBOX_PORT=$(kc_sandbox_start "$ST" "$BUILD/sandbox/klaviyo-sandbox" \
    --time-scale "$SCALE" --fleet "$NSTORES" --log-level warn)
SBX="http://127.0.0.1:$SANDBOX_PORT"
export KLAVIYO_BASE_URL=$SBX
export KLAVIYO_RATE_SCALE=$SCALE
export KLAVIYO_TIMEOUT_MS=10000
export SYNC_POLL_MS=200
psql_q() { kc_as_svc "$(kc_pg_bin)/psql" "$DATABASE_URL" -qAtX -v ON_ERROR_STOP=1 "$@"; }

kc_as_svc "$BUILD/src/admin/klaviyo-admin" migrate >"$ST/log/migrate.log" 2>&1 ||
    { cat "$ST/log/migrate.log" >&2; exit 1; }
kc_spawn "$ST" fcgi "$BUILD/src/fcgi/klaviyo-connect-fcgi"
kc_nginx_conf "$ST" "$PORT" "$SRC/www"
kc_nginx_start "$ST"
kc_wait_http "$APP_URL/api/health" 30 || { cat "$ST/log/fcgi.log" >&2; exit 1; }
kc_spawn "$ST" syncd "$BUILD/src/syncd/klaviyo-syncd"

# Stores soak00.. with one owner (bearer session) and a second user whose
# login the wrong passwords hammer.
pw() { printf 'soak-Password-%s\n' "$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"; }
pw | kc_as_svc "$BUILD/src/admin/klaviyo-admin" user add soak@example.com >/dev/null
pw | kc_as_svc "$BUILD/src/admin/klaviyo-admin" user add victim@example.com >/dev/null
psql_q <<SQL
INSERT INTO stores (public_id, name)
    SELECT 'soak' || lpad(i::text, 2, '0'), 'Soak Store ' || i
    FROM generate_series(0, $NSTORES - 1) AS i;
INSERT INTO contract_seats (user_id) SELECT id FROM users WHERE email = 'soak@example.com';
INSERT INTO seat_store_access (seat_id, store_id, role_id)
    SELECT s.id, st.id, 1 FROM contract_seats s JOIN users u ON u.id = s.user_id,
    stores st WHERE u.email = 'soak@example.com' AND st.public_id LIKE 'soak%';
SQL
TOKEN=$(kc_as_svc "$BUILD/src/admin/klaviyo-admin" session issue soak@example.com --hours 12)
curl -sf --max-time 60 "$SBX/__sandbox/fleet?from=0&count=$NSTORES" >"$ST/fleet.json" ||
    kc_die "GET /__sandbox/fleet failed"
# "store key metric" per line, store i on fleet account i.
python3 - "$ST/fleet.json" >"$ST/stores.txt" <<'PY'
import json, sys
for a in json.load(open(sys.argv[1]))["accounts"]:
    print("soak%02d %s %s" % (a["index"], a["key"], a["placed_order_metric"]))
PY
store_line() { sed -n "$(($1 + 1))p" "$ST/stores.txt"; }

# req CLIENT ROUTE METHOD PATH [BODY]: one request; appends
# "route status json seconds" to the client's log (json: 1 when the body
# is a JSON object or array with a JSON content type).
req() {
	local client=$1 route=$2 method=$3 path=$4 body=${5:-} out code secs ctype json=0
	local -a args=(-s -o "$ST/body.$client" --max-time 75 -X "$method"
	    -w '%{http_code} %{time_total} %{content_type}')
	[ "$route" = login ] || args+=(-H "Authorization: Bearer $TOKEN")
	[ -n "$body" ] && args+=(-H "Content-Type: application/json" -d "$body")
	out=$(curl "${args[@]}" "$APP_URL$path" 2>/dev/null) || true
	code=${out%% *}
	out=${out#* }
	secs=${out%% *}
	ctype=${out#* }
	case $ctype in application/json*)
		case $(head -c 1 "$ST/body.$client" 2>/dev/null) in '{' | '[') json=1 ;; esac ;;
	esac
	echo "$route ${code:-000} $json ${secs:-0}" >>"$ST/req.$client.log"
	if [ "$json" = 0 ] || [ "${code:-000}" -ge 500 ]; then
		printf '%s %s %s: %s\n' "$route" "${code:-000}" "$path" \
		    "$(head -c 300 "$ST/body.$client" 2>/dev/null | tr '\n' ' ')" \
		    >>"$ST/odd.$client.log"
	fi
}

END_AT=$(( $(date +%s) + DURATION ))
running() { [ "$(date +%s)" -lt "$END_AT" ]; }

client_status() {
	local c=$1 s
	while running; do
		s=$(store_line $((RANDOM % NSTORES)) | cut -d' ' -f1)
		req "$c" health GET /api/health
		req "$c" me GET /api/me
		req "$c" status GET "/api/store/$s/klaviyo-connect"
	done
}
client_test() {
	local c=$1 i=$2 s k m
	read -r s k m < <(store_line "$i")
	while running; do
		req "$c" test POST "/api/store/$s/klaviyo-connect" \
		    "{\"action\":\"test\",\"apiKey\":\"$k\"}"
	done
}
client_connect() {
	local c=$1 i=$2 s k m
	read -r s k m < <(store_line "$i")
	while running; do
		req "$c" connect POST "/api/store/$s/klaviyo-connect" \
		    "{\"apiKey\":\"$k\",\"conversionMetricId\":\"$m\"}"
		sleep 0.5
		req "$c" disconnect DELETE "/api/store/$s/klaviyo-connect"
	done
}
client_sync() {
	local c=$1 s
	s=$(store_line 0 | cut -d' ' -f1)
	while running; do
		req "$c" sync POST "/api/store/$s/klaviyo-sync" '{}'
		sleep 1
	done
}
client_login() {
	local c=$1
	while running; do
		req "$c" login POST /api/auth/login \
		    '{"email":"victim@example.com","password":"not-the-password"}'
	done
}
FAULTS=(
	'{"fault":"status","status":429}'
	'{"fault":"status","status":500}'
	'{"fault":"status","status":503}'
	'{"fault":"latency","ms":2000}'
	'{"fault":"hang","ms":3000}'
	'{"fault":"reset"}'
	'{"fault":"malformed"}'
	'{"fault":"content_type"}'
	'{"fault":"html"}'
)
faulter() {
	local n=0
	while running; do
		curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' \
		    -d "${FAULTS[$((n % ${#FAULTS[@]}))]}" "$SBX/__sandbox/faults" ||
		    echo "fault ${FAULTS[$((n % ${#FAULTS[@]}))]} refused" >&2
		n=$((n + 1))
		sleep "$FAULT_EVERY"
		curl -sf -o /dev/null -X DELETE "$SBX/__sandbox/faults" || true
		sleep "$FAULT_EVERY"
	done
	echo "$n" >"$ST/faults.count"
}

workers() { ps -o pid= --ppid "$(head -1 "$ST/run/fcgi.pid")" | tr -d ' '; }
rss_kb() {
	local p t=0 r
	for p in $(workers); do
		r=$(awk '/^VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
		t=$((t + ${r:-0}))
	done
	echo "$t"
}
fds() {
	local p t=0
	for p in $(workers); do
		t=$((t + $(find "/proc/$p/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)))
	done
	echo "$t"
}

# Store 0 is connected for the sync client; the others start free.
read -r s k m < <(store_line 0)
code=$(curl -s -o "$ST/connect0.json" -w '%{http_code}' --max-time 60 \
    -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
    -d "{\"apiKey\":\"$k\",\"conversionMetricId\":\"$m\"}" \
    "$APP_URL/api/store/$s/klaviyo-connect")
[ "$code" = 200 ] || { cat "$ST/connect0.json" >&2; kc_die "store $s did not connect ($code)"; }

# Warm-up: every route once, so the start figures are a steady state.
END_AT=$(( $(date +%s) + 5 ))
client_status w0 & LOADERS+=($!)
client_test w1 1 & LOADERS+=($!)
wait "${LOADERS[@]}"
LOADERS=()
rm -f "$ST"/req.*.log "$ST"/odd.*.log
RSS0=$(rss_kb)
FDS0=$(fds)
JOBS0=$(psql_q -c "SELECT count(*) FROM sync_jobs WHERE state IN ('done', 'failed')")

kc_say "soak: ${DURATION}s, $CLIENTS clients of each kind, a fault every ${FAULT_EVERY}s"
END_AT=$(( $(date +%s) + DURATION ))
START=$(date +%s)
faulter & LOADERS+=($!)
for i in $(seq 1 "$CLIENTS"); do
	client_status "s$i" & LOADERS+=($!)
	client_test "t$i" "$i" & LOADERS+=($!)
	client_connect "c$i" $((CLIENTS + i)) & LOADERS+=($!)
	client_login "l$i" & LOADERS+=($!)
done
client_sync y1 & LOADERS+=($!)
PGMAX=0
RSSMID=""
while running; do
	if [ -z "$RSSMID" ] && [ $(( $(date +%s) - START )) -ge $((DURATION / 2)) ]; then
		RSSMID=$(rss_kb)
	fi
	c=$(psql_q -c "SELECT count(*) FROM pg_stat_activity WHERE datname = 'klaviyo_connect'")
	[ "$c" -gt "$PGMAX" ] && PGMAX=$c
	kc_alive "$ST/run/syncd.pid" klaviyo-syncd ||
	    { tail -20 "$ST/log/syncd.log" >&2; kc_die "klaviyo-syncd died"; }
	kc_alive "$ST/run/fcgi.pid" klaviyo-connect-fcgi ||
	    { tail -20 "$ST/log/fcgi.log" >&2; kc_die "klaviyo-connect-fcgi died"; }
	sleep 2
done
wait "${LOADERS[@]}" || true
LOADERS=()
SECS=$(( $(date +%s) - START ))
curl -sf -o /dev/null -X DELETE "$SBX/__sandbox/faults" || true
# Let in-flight Klaviyo retries and syncd settle before the end figures.
sleep 3
RSS1=$(rss_kb)
FDS1=$(fds)
PGEND=$(psql_q -c "SELECT count(*) FROM pg_stat_activity WHERE datname = 'klaviyo_connect'")
JOBS1=$(psql_q -c "SELECT count(*) FROM sync_jobs WHERE state IN ('done', 'failed')")
psql_q -c "SELECT state, count(*) FROM sync_jobs GROUP BY 1 ORDER BY 1" >"$ST/jobs.txt"

cat "$ST"/req.*.log >"$ST/all.log"
REQS=$(wc -l <"$ST/all.log")
# route status json -> counts; unexpected per the header's definition.
awk '
function expected(r, s) {
	if (r == "health" || r == "me" || r == "status") return s == 200
	if (r == "login") return s == 401 || s == 429
	if (r == "test" || r == "connect")
		return s == 200 || s == 409 || s == 422 || s == 429 || s == 502 || s == 504
	if (r == "disconnect") return s == 200
	if (r == "sync") return s == 202 || s == 409 || s == 429
	return 0
}
{
	n[$1]++
	if ($4 > slow[$1]) slow[$1] = $4
	if ($2 !~ /^2/) bad[$2 " " $1]++
	if ($2 == "000" || $3 != 1 || !expected($1, $2 + 0)) { u++; ub[$2 " " $1 ($3 != 1 ? " (not JSON)" : "")]++ }
}
END {
	printf "requests by route:"; for (r in n) printf " %s=%d", r, n[r]; printf "\n"
	printf "slowest answer by route (s):"; for (r in slow) printf " %s=%.2f", r, slow[r]; printf "\n"
	printf "non-2xx by status and route:\n"; for (k in bad) printf "  %s: %d\n", k, bad[k]
	printf "unexpected: %d\n", u; for (k in ub) printf "  %s: %d\n", k, ub[k]
	print u + 0 > "/dev/stderr"
}' "$ST/all.log" 2>"$ST/unexpected.count"
UNEXP=$(cat "$ST/unexpected.count")
if [ "$UNEXP" -gt 0 ]; then
	echo "first unexpected answers:"
	cat "$ST"/odd.*.log 2>/dev/null | grep -v ' 50[24] ' | head -20 || true
fi
echo "faults injected: $(cat "$ST/faults.count" 2>/dev/null || echo 0)"
echo "fcgi workers: rss_kb $RSS0 -> ${RSSMID:-?} (half way) -> $RSS1, fds $FDS0 -> $FDS1"
if ldd "$BUILD/src/fcgi/klaviyo-connect-fcgi" 2>/dev/null | grep -q libasan; then
	echo "note: a sanitizer build: RSS includes AddressSanitizer's quarantine" \
	    "of freed memory (up to 256 MB a worker); measure RSS without it"
fi
echo "postgresql connections: peak $PGMAX, at the end $PGEND"
echo "sync jobs: $(tr '\n' ' ' <"$ST/jobs.txt")"
echo "soak: seconds=$SECS requests=$REQS unexpected=$UNEXP rss_start_kb=$RSS0" \
    "rss_end_kb=$RSS1 fds_start=$FDS0 fds_end=$FDS1 pg_conns=$PGEND" \
    "jobs_finished=$((JOBS1 - JOBS0))"
