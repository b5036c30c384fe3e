/*
 * Klaviyo's rate limits, shared by every process through PostgreSQL
 * (DESIGN.md 4): a slot is taken from the account's buckets before each
 * request, Klaviyo's own waits (429, a spent window) block the bucket,
 * and a key's calls count for its account once the account is known.
 */
#include "klaviyo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "log.h"

/*
 * The bucket of a key whose account was learnt since the caller looked
 * (kv_account_key): the account's, read in the same statement as the
 * take, so no call is counted under the key once its hits were merged
 * into the account's (kv_remember_account).
 */
#define SQL_BUCKET(p)							\
    "CASE WHEN left(" p ", 4) = 'key:' THEN coalesce((SELECT 'acct:' ||"\
    " account_id FROM klaviyo_key_accounts WHERE key_hash ="		\
    " substr(" p ", 5)), " p ") ELSE " p " END"

static const char SQL_TAKE[] =
    "SELECT kc_rate_take(" SQL_BUCKET("$1") ", $2, $3::integer[],"
    " $4::integer[])";
/* The same, only while the sync job is still ours (NULL: it is not). */
static const char SQL_TAKE_GUARDED[] =
    "SELECT kc_rate_take(" SQL_BUCKET("$1") ", $2, $3::integer[],"
    " $4::integer[])"
    " FROM sync_jobs WHERE id = $5::bigint AND lease_owner = $6"
    " AND state = 'running'";
static const char SQL_BLOCK[] =
    "SELECT kc_rate_block(" SQL_BUCKET("$1") ", $2, $3)";

int
kv_rate_take(struct db *db, double scale, const char *acct,
    enum kv_endpoint ep, const struct kv_guard *g, double *wait)
{
	const struct kv_endpoint_info	*e = &kv_endpoints[ep];
	char				 limits[64], windows[64], job[24];
	const char			*params[6] = { acct, e->name, limits,
	    windows, job, g ? g->owner : NULL };
	PGresult			*res = NULL;
	double				 s = scale > 0 ? scale : 1;
	int				 rc;

	/* Windows in ms, scaled down in tests, never below 1 ms. */
	if (e->daily)
		snprintf(limits, sizeof(limits), "{%d,%d,%d}", e->burst,
		    e->steady, e->daily);
	else
		snprintf(limits, sizeof(limits), "{%d,%d}", e->burst,
		    e->steady);
	/*
	 * A margin of 5% of the second, 2% of the minute (1.2 s: each of a
	 * long report chain's minutes pays it) + 20 ms: a slot granted here
	 * reaches Klaviyo a little later (it is sent at once, kv_client), and
	 * two requests a window apart by our clock must not arrive closer
	 * than that by Klaviyo's.  The absolute part is real time (not
	 * scaled): 5 ms was too little for a sanitizer build under load
	 * (one sandbox 429 in CI).
	 */
	snprintf(windows, sizeof(windows), e->daily ? "{%ld,%ld,%ld}" :
	    "{%ld,%ld}", (long)(1050 / s) + 20, (long)(61200 / s) + 20,
	    (long)(86400000 / s) + 20);
	*wait = 0;
	if (g)
		snprintf(job, sizeof(job), "%lld", g->job_id);
	if ((rc = db_query(db, g ? SQL_TAKE_GUARDED : SQL_TAKE, g ? 6 : 4,
	    params, &res)) != KC_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return KC_ERR_CONFLICT;
	}
	*wait = strtod(PQgetvalue(res, 0, 0), NULL);
	PQclear(res);
	return KC_OK;
}

void
kv_rate_block(struct db *db, const char *acct, enum kv_endpoint ep,
    long seconds)
{
	char		 secs[32];
	const char	*params[3] = { acct, kv_endpoints[ep].name, secs };

	/* Klaviyo's own seconds, on whatever clock it (or a sandbox) runs. */
	snprintf(secs, sizeof(secs), "%ld", seconds);
	if (db_query(db, SQL_BLOCK, 3, params, NULL) != KC_OK)
		log_warnx("cannot record Klaviyo's rate-limit wait");
}

static const char SQL_KEY_ACCOUNT[] =
    "SELECT account_id FROM klaviyo_key_accounts WHERE key_hash = $1";
int
kv_account_key(struct db *db, const char *cred, char *out, size_t outlen)
{
	char		 hash[SHA256_HEX_LEN + 1];
	const char	*params[1] = { hash };
	PGresult	*res = NULL;
	int		 rc;

	crypto_sha256_hex(cred, strlen(cred), hash);
	if ((rc = db_query(db, SQL_KEY_ACCOUNT, 1, params, &res)) != KC_OK)
		return rc;
	if (PQntuples(res) == 1)
		snprintf(out, outlen, "acct:%s", PQgetvalue(res, 0, 0));
	else
		snprintf(out, outlen, "key:%s", hash);
	PQclear(res);
	return KC_OK;
}

/*
 * Calls made before the account was known count for it too: the key's
 * request times join the account's windows (kept in the key's rows as
 * well, for calls still in flight under the key).  One statement: the
 * account is known (to SQL_BUCKET) from the moment the key's hits are in
 * its windows, and a take under the key still running is waited for
 * (FOR UPDATE) and merged.
 */
static const char SQL_REMEMBER[] =
    "WITH r AS (INSERT INTO klaviyo_key_accounts (key_hash, account_id)"
    " VALUES ($1, $2) ON CONFLICT (key_hash) DO UPDATE"
    " SET account_id = EXCLUDED.account_id, seen_at = now()),"
    " k AS (SELECT endpoint, window_ms, limit_count, hits, blocked_until"
    " FROM rate_buckets WHERE account_key = 'key:' || $1 FOR UPDATE)"
    " INSERT INTO rate_buckets AS b (account_key, endpoint, window_ms,"
    " limit_count, hits, blocked_until)"
    " SELECT 'acct:' || $2, endpoint, window_ms, limit_count, hits,"
    " blocked_until FROM k"
    " ON CONFLICT (account_key, endpoint, window_ms) DO UPDATE SET"
    " hits = ARRAY(SELECT DISTINCT h FROM unnest(b.hits || EXCLUDED.hits)"
    "  AS h ORDER BY h),"
    " blocked_until = greatest(b.blocked_until, EXCLUDED.blocked_until)";

int
kv_remember_account(struct db *db, const char *cred, const char *account)
{
	char		 hash[SHA256_HEX_LEN + 1];
	const char	*params[2] = { hash, account };

	crypto_sha256_hex(cred, strlen(cred), hash);
	return db_query(db, SQL_REMEMBER, 2, params, NULL);
}
