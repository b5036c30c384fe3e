#!/usr/bin/env bash
# OAuth costs against the sandbox with Klaviyo-like latency (accounts
# 150 ms, metrics 100 ms a page, custom metrics 120 ms, token endpoint
# 200 ms), side by side in one run:
#  - the callback (state check, code exchange, account + metrics) next to
#    a key test (account + metrics) of the same account: the exchange is
#    the only extra;
#  - listing the stored grant's metrics with a live token, and right after
#    Klaviyo expired every token (401, one refresh under the lock, again);
#  - 16 such requests at once after an expiry: how many refreshes.
#
# Needs the local stack (scripts/stack start).   bench/oauth.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
. .state/env
runs=${1:-7}
sbx="http://127.0.0.1:$(cat .state/run/sandbox.port)"
key=pk_sbxshopify0000000000000000000001
store=rTSYCj7
base=$APP_URL/api/store/$store
token=$(klaviyo-admin session issue owner@example.com --hours 1)
auth="Authorization: Bearer $token"
ms() { awk -v s="$1" 'BEGIN { printf "%.0f", s * 1000 }'; }
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
cold() {
	psql "$DATABASE_URL" -qc "DELETE FROM klaviyo_probe_cache;
	    DELETE FROM rate_buckets; DELETE FROM klaviyo_key_accounts" >/dev/null
	curl -s -o /dev/null -X DELETE "$sbx/__sandbox/ratelimits"
	curl -s -o /dev/null -X DELETE "$sbx/__sandbox/requests"
}
refreshes() {
	curl -s "$sbx/__sandbox/oauth" | python3 -c 'import json,sys
print(sum(g["refreshes"] for g in json.load(sys.stdin)["grants"] if g["account"] == "ms2AAo" and not g["revoked"]))'
}

fault() { curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
    -d "$1" "$sbx/__sandbox/faults"; }
curl -s -o /dev/null -X DELETE "$sbx/__sandbox/faults"
fault "{\"fault\":\"latency\",\"key\":\"$key\",\"path\":\"/api/accounts\",\"ms\":150}"
fault "{\"fault\":\"latency\",\"key\":\"$key\",\"path\":\"/api/metrics\",\"ms\":100}"
fault "{\"fault\":\"latency\",\"key\":\"$key\",\"path\":\"/api/custom-metrics\",\"ms\":120}"
fault '{"fault":"latency","path":"/oauth/token","ms":200}'
trap 'curl -s -o /dev/null -X DELETE "$sbx/__sandbox/faults"' EXIT

# One consent: start, the sandbox form answered "allow", callback timed.
callback_time() {
	local loc q cb
	loc=$(curl -s -o /dev/null -w '%{redirect_url}' -H "$auth" "$base/klaviyo-oauth/start")
	q=${loc#*\?}
	cb=$(curl -s -o /dev/null -w '%{redirect_url}' -d "$q&account=ms2AAo&decision=allow" "${loc%%\?*}")
	curl -s -o /dev/null -w '%{time_total}' -H "$auth" "$cb"
}

cb_times=() test_times=()
for i in $(seq 1 "$runs"); do
	cold
	cb_times+=("$(callback_time)")
	cold
	test_times+=("$(curl -s -o /dev/null -w '%{time_total}' -H "$auth" \
	    -H 'Content-Type: application/json' \
	    -d "{\"apiKey\":\"$key\",\"action\":\"test\"}" "$base/klaviyo-connect")")
done
cb=$(printf '%s\n' "${cb_times[@]}" | median)
kt=$(printf '%s\n' "${test_times[@]}" | median)
echo "callback (exchange + account + metrics): median $(ms "$cb") ms; key test: $(ms "$kt") ms; ratio $(awk -v a="$cb" -v b="$kt" 'BEGIN { printf "%.2f", a / b }')"

# Connect with the last grant, then list its metrics.
sleep 1.1	# GET /api/accounts allows 1/s
curl -s -o /dev/null -H "$auth" -H 'Content-Type: application/json' \
    -d '{"method":"oauth","conversionMetricId":"bWFrb5"}' "$base/klaviyo-connect"
live=() expired=()
r0=$(refreshes)
for i in $(seq 1 "$runs"); do
	cold
	live+=("$(curl -s -o /dev/null -w '%{time_total}' -H "$auth" "$base/klaviyo-metrics")")
	cold
	curl -s -o /dev/null -X POST "$sbx/__sandbox/oauth/expire"
	expired+=("$(curl -s -o /dev/null -w '%{time_total}' -H "$auth" "$base/klaviyo-metrics")")
done
l=$(printf '%s\n' "${live[@]}" | median)
e=$(printf '%s\n' "${expired[@]}" | median)
echo "stored grant's metrics: live token $(ms "$l") ms; after an expiry (401, refresh, again) $(ms "$e") ms; ratio $(awk -v a="$e" -v b="$l" 'BEGIN { printf "%.2f", a / b }'); refreshes $(( $(refreshes) - r0 )) in $runs expiries"

cold
before=$(refreshes)
curl -s -o /dev/null -X POST "$sbx/__sandbox/oauth/expire"
seq 1 16 | xargs -P 16 -I{} curl -s -o /dev/null -w '%{http_code}\n' -H "$auth" \
    "$base/klaviyo-metrics" | sort | uniq -c | awk '{ printf "16 at once after an expiry: %s x HTTP %s", $1, $2 }'
echo ", refreshes: $(( $(refreshes) - before ))"
