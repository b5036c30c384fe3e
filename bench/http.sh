#!/usr/bin/env bash
# Throughput of the dynamic status route against a static file from the
# same nginx, side by side in one run (issue: dynamic >= 50 % of static,
# p99 <= 5 ms at 64 connections, worker RSS <= 8 MB afterwards).
#
# Needs the local stack (scripts/stack start) and wrk (apt-get install wrk).
#   bench/http.sh [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
. .state/env
secs=${1:-10}
conns=${2:-64}
url=${APP_URL}
store=rTSYCj7
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
token=$(klaviyo-admin session issue owner@example.com --hours 1)

run() {	# run NAME PATH [HEADER]
	local name=$1 path=$2 out
	shift 2
	out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "$@" "$url$path")
	local rps p50 p99 non2xx
	rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
	p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
	p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
	non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
	printf '%-8s %10s rps   p50 %8s   p99 %8s   non-2xx %s\n' \
	    "$name" "$rps" "$p50" "$p99" "${non2xx:-0}"
	echo "$rps"
}

echo "wrk -t2 -c$conns -d${secs}s against $url"
static=$(run static /app.css | tee /dev/stderr | tail -1)
dynamic=$(run dynamic "/api/store/$store/klaviyo-connect" \
    -H "Authorization: Bearer $token" | tee /dev/stderr | tail -1)
awk -v d="$dynamic" -v s="$static" \
    'BEGIN { printf "ratio    dynamic/static = %.2f\n", d / s }'
master=$(cat .state/run/fcgi.pid)
for pid in $(pgrep -P "$master"); do
	awk -v p="$pid" '/^VmRSS/ {printf "worker %s RSS %s %s\n", p, $2, $3}' \
	    "/proc/$pid/status"
done
