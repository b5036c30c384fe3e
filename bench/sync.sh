#!/usr/bin/env bash
# Full sync of the large sandbox account (Acme: 2 years, 500 campaigns,
# 80 flows, 40 forms, 30 segments, 20,000 orders) through the local stack:
# wall time against the bound Klaviyo's limits impose on the reporting
# requests made (each report endpoint: 1/s, 2/min; one daemon runs the
# types one after another), 429s, reporting requests per endpoint, and
# klaviyo-syncd's peak RSS.   Needs scripts/stack start.   bench/sync.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. .state/env
sbx="http://127.0.0.1:$(cat .state/run/sandbox.port)"
scale=${KLAVIYO_RATE_SCALE:-10}
key=pk_sbxshopify0000000000000000000001
url=$APP_URL/api/store/rTSYCj7/klaviyo-connect
token=$(klaviyo-admin session issue owner@example.com --hours 1)
auth=(-H "Authorization: Bearer $token" -H 'Content-Type: application/json')

curl -s -o /dev/null -X DELETE "${auth[@]}" -d '{}' "$url"
curl -s -o /dev/null -X DELETE "$sbx/__sandbox/stats"
curl -s -o /dev/null -X DELETE "$sbx/__sandbox/ratelimits"
psql "$DATABASE_URL" -qc "DELETE FROM rate_buckets; DELETE FROM klaviyo_probe_cache"
start=$(date +%s.%N)
curl -s -o /dev/null "${auth[@]}" -d "{\"apiKey\":\"$key\",\"conversionMetricId\":\"bWFrb5\"}" "$url"
peak=0
for i in $(seq 1 1800); do
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$(cat .state/run/syncd.pid)/status")
	[ "$rss" -gt "$peak" ] && peak=$rss
	st=$(curl -s "${auth[@]}" "$url" | python3 -c 'import json,sys; print(json.load(sys.stdin)["klaviyo_integration"].get("sync_status"))')
	case $st in completed|failed) break ;; esac
	sleep 1
done
end=$(date +%s.%N)
curl -s "$sbx/__sandbox/stats?key=$key" | python3 -c '
import json, sys, math
scale = float(sys.argv[1]); wall = float(sys.argv[2]); status = sys.argv[3]
d = json.load(sys.stdin)["stats"][0]["endpoints"]
bound = 0.0; reports = 0; throttled = 0
print("status %s, wall %.1f s (limits scaled %gx)" % (status, wall, scale))
for e in d:
    throttled += e["throttled"]
    if e["method"] == "POST":
        n = e["requests"]; reports += n
        # 2 per minute: after the first two, one every 30 s; 1/s burst.
        b = max(0, n - 2) * 30.0 / scale + min(n, 2) * 1.0 / scale
        bound += b
        print("  %-32s %3d requests, bound %6.1f s" % (e["path"], n, b))
    elif e["requests"]:
        print("  %-32s %3d requests" % (e["path"], e["requests"]))
print("reporting requests %d; bound %.1f s; wall/bound %.2f; 429s %d" %
      (reports, bound, wall / bound if bound else 0, throttled))
' "$scale" "$(echo "$end - $start" | bc)" "$st"
echo "klaviyo-syncd peak RSS $((peak / 1024)) MB ($peak kB)"
psql "$DATABASE_URL" -Atc "SELECT 'campaign conversion_value ' || sum((statistics->>'conversion_value')::numeric)::numeric(14,2) FROM campaign_stats UNION ALL SELECT 'orders ' || count(*) || ' value ' || sum(value) FROM orders"
