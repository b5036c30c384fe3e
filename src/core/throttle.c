/* Login throttling; see throttle.h. */
#include "throttle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

/*
 * One statement reserves an attempt on the three keys ($1 pair, $2
 * address, $3 account) and says which are blocked: the row locks of
 * ON CONFLICT serialize parallel attempts, so of N at once only the
 * limit's worth see a count within it.  A blocked key is not counted
 * further; a window that ended or a block that ran out starts over; the
 * attempt that goes past a limit blocks its key for $9 seconds.
 * $4..$6 the limits, $7 the window of pair and address, $8 the
 * account's.  Returns each key with its seconds left when blocked
 * (0 when not).
 */
static const char SQL_TAKE[] =
    "INSERT INTO login_throttle AS t (key, failures, window_start,"
    " blocked_until)"
    " SELECT v.k, 1, now(), CASE WHEN v.lim < 1 THEN now()"
    "  + make_interval(secs => $9::int) END"
    " FROM (VALUES ($1::text, $4::int), ($2, $5), ($3, $6)) v(k, lim)"
    " ON CONFLICT (key) DO UPDATE SET"
    " (failures, window_start, blocked_until) = (SELECT"
    "  CASE WHEN x.held THEN t.failures ELSE x.n END,"
    "  CASE WHEN x.held OR NOT x.fresh THEN t.window_start ELSE now() END,"
    "  CASE WHEN x.held THEN t.blocked_until WHEN x.n > x.lim THEN now()"
    "   + make_interval(secs => $9::int) END"
    "  FROM (SELECT y.held, y.fresh, y.lim,"
    "   CASE WHEN y.fresh THEN 1 ELSE t.failures + 1 END AS n"
    "   FROM (SELECT coalesce(t.blocked_until > now(), false) AS held,"
    "    (t.blocked_until IS NOT NULL OR t.window_start < now()"
    "     - make_interval(secs => CASE WHEN t.key = $3 THEN $8::int"
    "     ELSE $7::int END)) AS fresh,"
    "    CASE t.key WHEN $1 THEN $4::int WHEN $2 THEN $5::int"
    "     ELSE $6::int END AS lim) y) x)"
    " RETURNING key, CASE WHEN blocked_until > now() THEN"
    "  greatest(ceil(extract(epoch FROM blocked_until - now())), 1)"
    "  ELSE 0 END::bigint";
/* Hands back a reservation that checked no password (or the right one). */
static const char SQL_RELEASE[] =
    "UPDATE login_throttle SET failures = greatest(failures - 1, 0)"
    " WHERE key IN ($1, $2, $3) AND blocked_until IS NULL";
/* The right password from this address: its pair starts over. */
static const char SQL_CLEAR[] = "DELETE FROM login_throttle WHERE key = $1";

struct keys {
	char	pair[EMAIL_MAX + THROTTLE_ADDR_MAX + 8];
	char	ip[THROTTLE_ADDR_MAX + 8];
	char	acct[EMAIL_MAX + 8];
};

/* An address never holds '|', so "pair:ADDR|EMAIL" is unambiguous. */
static void
make_keys(struct keys *k, const char *email, const char *ip)
{
	if (ip == NULL)
		ip = "";
	snprintf(k->pair, sizeof(k->pair), "pair:%.*s|%s",
	    THROTTLE_ADDR_MAX, ip, email);
	snprintf(k->ip, sizeof(k->ip), "ip:%.*s", THROTTLE_ADDR_MAX, ip);
	snprintf(k->acct, sizeof(k->acct), "acct:%s", email);
}

static int
release(struct db *db, const struct keys *k, int clear_pair)
{
	const char	*params[3] = { k->pair, k->ip, k->acct };
	int		 rc;

	if (clear_pair &&
	    (rc = db_query(db, SQL_CLEAR, 1, params, NULL)) != KC_OK)
		return rc;
	return db_query(db, SQL_RELEASE, 3, params, NULL);
}

int
throttle_take(struct db *db, const struct throttle_policy *p,
    const char *email, const char *ip, long *retry_after)
{
	struct keys	 k;
	char		 num[6][24];
	const char	*params[9];
	PGresult	*res = NULL;
	long		 v;
	int		 rc, r;

	*retry_after = 0;
	make_keys(&k, email, ip);
	snprintf(num[0], sizeof(num[0]), "%ld", p->max_pair);
	snprintf(num[1], sizeof(num[1]), "%ld", p->max_ip);
	snprintf(num[2], sizeof(num[2]), "%ld", p->max_account);
	snprintf(num[3], sizeof(num[3]), "%ld", p->window_seconds);
	snprintf(num[4], sizeof(num[4]), "%ld", p->account_window_seconds);
	snprintf(num[5], sizeof(num[5]), "%ld", p->lockout_seconds);
	params[0] = k.pair;
	params[1] = k.ip;
	params[2] = k.acct;
	for (r = 0; r < 6; r++)
		params[3 + r] = num[r];
	if ((rc = db_query(db, SQL_TAKE, 9, params, &res)) != KC_OK)
		return rc;
	for (r = 0; r < PQntuples(res); r++) {
		v = strtol(PQgetvalue(res, r, 1), NULL, 10);
		if (v > *retry_after)
			*retry_after = v;
	}
	PQclear(res);
	if (*retry_after == 0)
		return KC_OK;
	/* No password is checked: the keys still open get their try back. */
	if ((rc = release(db, &k, 0)) != KC_OK)
		return rc;
	return KC_ERR_RATE_LIMITED;
}

int
throttle_success(struct db *db, const char *email, const char *ip)
{
	struct keys k;

	make_keys(&k, email, ip);
	return release(db, &k, 1);
}
