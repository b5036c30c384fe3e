#!/usr/bin/env bash
# Job claiming throughput: N queued jobs claimed by 4 concurrent clients
# with the exact claim statement of src/core/jobq.c (FOR UPDATE SKIP LOCKED,
# lease, one running job per connection and type), via pgbench on the local
# stack's PostgreSQL.  Target >= 1,000 jobs/s.   bench/claim.sh [JOBS]
set -euo pipefail
cd "$(dirname "$0")/.."
. .state/env
jobs=${1:-20000}
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; psql "$DATABASE_URL" -qc "DELETE FROM sync_jobs WHERE lease_owner = '"'"'bench'"'"' OR last_error = '"'"'bench'"'"'; DELETE FROM stores WHERE name = '"'"'bench claim'"'"'" >/dev/null' EXIT

# Jobs spread over many stores, each with its Klaviyo connection (sql/011:
# one queued job per connection and type).
psql "$DATABASE_URL" -q <<SQL
INSERT INTO stores (public_id, name)
SELECT 'bench' || g, 'bench claim' FROM generate_series(1, $jobs / 5 + 1) g
ON CONFLICT DO NOTHING;
INSERT INTO klaviyo_connections (store_id, is_primary, klaviyo_integration)
SELECT s.id, true, jsonb_build_object('status', 'connected',
       'public_id', 'bc' || s.id)
FROM stores s WHERE s.name = 'bench claim'
  AND NOT EXISTS (SELECT 1 FROM klaviyo_connections k WHERE k.store_id = s.id);
INSERT INTO sync_jobs (store_id, connection_id, type, mode, last_error)
SELECT k.store_id, k.id, t.type, 'full', 'bench'
FROM (SELECT k.id, k.store_id FROM klaviyo_connections k
      JOIN stores s ON s.id = k.store_id
      WHERE s.name = 'bench claim' ORDER BY k.id LIMIT $jobs / 5) k
CROSS JOIN (VALUES ('campaigns'), ('flows'), ('segments'), ('forms'),
                   ('orders')) t(type);
SQL
n=$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM sync_jobs WHERE last_error = 'bench' AND state = 'queued'")
# The claim statement of src/core/jobq.c, verbatim apart from the
# parameters: its macros are expanded and its literals joined by the C
# compiler.
{
	echo '#include <stdio.h>'
	grep '^#define INTEG_SQL_DOC(' src/core/integration.h
	sed -n '/^#define SQL_CLAIM_DUE(/,/^static const char SQL_CLAIM\[\] =/{/^static/!p}' \
	    src/core/jobq.c
	sed -n '/^static const char SQL_CLAIM\[\] =/,/;$/p' src/core/jobq.c
	echo 'int main(void) { return fputs(SQL_CLAIM, stdout) == EOF; }'
} >"$tmp/claim.c"
${CC:-cc} -o "$tmp/claim" "$tmp/claim.c"
"$tmp/claim" | sed -e "s/\$1/'bench'/" -e 's/\$2/60/' >"$tmp/claim.sql"
echo ";" >>"$tmp/claim.sql"
per=$((n / 4))
echo "claiming $n queued jobs with 4 clients ($per each)"
out=$("$pgbin/pgbench" -n -c 4 -j 2 -t "$per" -f "$tmp/claim.sql" "$DATABASE_URL" 2>&1 |
    grep -E "number of transactions actually processed|latency average|tps =")
echo "$out"
tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)
left=$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM sync_jobs WHERE last_error = 'bench' AND state = 'queued'")
dups=$(psql "$DATABASE_URL" -Atc "SELECT count(*) - count(DISTINCT (connection_id, type)) FROM sync_jobs WHERE lease_owner = 'bench' AND state = 'running'")
echo "left queued: $left; claimed twice: $dups"
echo "claim: jobs=$n clients=4 claims_per_s=${tps:-0} left_queued=$left claimed_twice=$dups"
