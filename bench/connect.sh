#!/usr/bin/env bash
# Time action=test end to end against the sandbox with added latency
# (accounts 150 ms, metrics 100 ms per page, custom metrics 120 ms) and
# compare it with the slowest of the three independent fetches made
# directly (account; all metrics pages one after another; custom
# metrics).  Target: ratio <= 1.2.  Also counts the Klaviyo requests one
# test and one connect cost.
#
# Needs the local stack (scripts/stack start).   bench/connect.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
. .state/env
runs=${1:-7}
sbx="http://127.0.0.1:$(cat .state/run/sandbox.port)"
key=pk_sbxshopify0000000000000000000001
store=rTSYCj7
url=$APP_URL/api/store/$store/klaviyo-connect
token=$(klaviyo-admin session issue owner@example.com --hours 1)
ms() { awk -v s="$1" 'BEGIN { printf "%.0f", s * 1000 }'; }

fault() { curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
    -d "$1" "$sbx/__sandbox/faults"; }
cold() {
	psql "$DATABASE_URL" -qc "DELETE FROM klaviyo_probe_cache;
	    DELETE FROM rate_buckets; DELETE FROM klaviyo_key_accounts" >/dev/null
	curl -s -o /dev/null -X DELETE "$sbx/__sandbox/ratelimits"
	curl -s -o /dev/null -X DELETE "$sbx/__sandbox/requests"
}
kget() { curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Klaviyo-API-Key $key" \
    -H 'revision: 2026-07-15' -H 'Accept: application/vnd.api+json' "$1"; }

curl -s -o /dev/null -X DELETE "$sbx/__sandbox/faults"
fault "{\"fault\":\"latency\",\"key\":\"$key\",\"path\":\"/api/accounts\",\"ms\":150}"
fault "{\"fault\":\"latency\",\"key\":\"$key\",\"path\":\"/api/metrics\",\"ms\":100}"
fault "{\"fault\":\"latency\",\"key\":\"$key\",\"path\":\"/api/custom-metrics\",\"ms\":120}"

# The three fetches made directly, pages one after another.
cold
a=$(kget "$sbx/api/accounts")
c=$(kget "$sbx/api/custom-metrics")
m=0; next="$sbx/api/metrics"; pages=0
while [ -n "$next" ]; do
	out=$(curl -s -w '\n%{time_total}' -H "Authorization: Klaviyo-API-Key $key" \
	    -H 'revision: 2026-07-15' -H 'Accept: application/vnd.api+json' "$next")
	t=$(tail -1 <<<"$out")
	m=$(awk -v a="$m" -v b="$t" 'BEGIN { print a + b }')
	next=$(head -n -1 <<<"$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["links"].get("next") or "")')
	pages=$((pages + 1))
done
slowest=$(printf '%s\n%s\n%s\n' "$a" "$m" "$c" | sort -g | tail -1)
echo "direct: accounts $(ms "$a") ms, metrics $pages pages $(ms "$m") ms, custom metrics $(ms "$c") ms; slowest $(ms "$slowest") ms"

times=()
for i in $(seq 1 "$runs"); do
	cold
	t=$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $token" \
	    -H 'Content-Type: application/json' \
	    -d "{\"apiKey\":\"$key\",\"action\":\"test\"}" "$url")
	times+=("$t")
done
median=$(printf '%s\n' "${times[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
requests=$(curl -s "$sbx/__sandbox/requests" | python3 -c 'import json,sys; d=json.load(sys.stdin); d=d.get("requests", d); print(len(d))')
echo "action=test: median $(ms "$median") ms over $runs cold runs; ratio to slowest fetch $(awk -v a="$median" -v b="$slowest" 'BEGIN { printf "%.2f", a / b }')"
echo "Klaviyo requests per cold test: $requests"

# A connect right after a test: the probe cache spares metrics, the
# account is asked again.
cold
curl -s -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"apiKey\":\"$key\",\"action\":\"test\"}" "$url"
curl -s -o /dev/null -X DELETE "$sbx/__sandbox/requests"
sleep 1.1	# GET /api/accounts allows 1/s
t=$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' \
    -d "{\"apiKey\":\"$key\",\"conversionMetricId\":\"bWFrb5\"}" "$url")
requests=$(curl -s "$sbx/__sandbox/requests" | python3 -c 'import json,sys; d=json.load(sys.stdin); d=d.get("requests", d); print(len(d))')
echo "connect after test: $(ms "$t") ms, Klaviyo requests: $requests"
curl -s -o /dev/null -X DELETE "$sbx/__sandbox/requests"
curl -s -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"apiKey\":\"$key\",\"action\":\"test\"}" "$url"
requests=$(curl -s "$sbx/__sandbox/requests" | python3 -c 'import json,sys; d=json.load(sys.stdin); d=d.get("requests", d); print(len(d))')
echo "a second test within 60 s: Klaviyo requests: $requests"
curl -s -o /dev/null -X DELETE "$sbx/__sandbox/faults"
