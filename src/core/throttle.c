/* Login throttling; see throttle.h. */
#include "throttle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

static const char SQL_CHECK[] =
    "SELECT coalesce(max(ceil(extract(epoch FROM blocked_until - now()))),"
    " 0)::bigint FROM login_throttle"
    " WHERE key IN ($1, $2) AND blocked_until > now()";
/* A window older than $2 seconds starts over. */
static const char SQL_FAIL[] =
    "INSERT INTO login_throttle AS t (key, failures, window_start)"
    " VALUES ($1, 1, now())"
    " ON CONFLICT (key) DO UPDATE SET"
    " failures = CASE WHEN t.window_start < now() - make_interval(secs => $2)"
    "  THEN 1 ELSE t.failures + 1 END,"
    " window_start = CASE WHEN t.window_start < now()"
    "  - make_interval(secs => $2) THEN now() ELSE t.window_start END"
    " RETURNING failures";
static const char SQL_BLOCK[] =
    "UPDATE login_throttle SET failures = 0, window_start = now(),"
    " blocked_until = now() + make_interval(secs => $2) WHERE key = $1";
static const char SQL_CLEAR[] = "DELETE FROM login_throttle WHERE key = $1";

static void
make_key(char *out, size_t len, const char *kind, const char *v)
{
	snprintf(out, len, "%s:%s", kind, v ? v : "");
}

int
throttle_check(struct db *db, const char *email, const char *ip,
    long *retry_after)
{
	char		 ka[EMAIL_MAX + 8], ki[80];
	const char	*params[2] = { ka, ki };
	PGresult	*res = NULL;
	int		 rc;

	*retry_after = 0;
	make_key(ka, sizeof(ka), "acct", email);
	make_key(ki, sizeof(ki), "ip", ip);
	if ((rc = db_query(db, SQL_CHECK, 2, params, &res)) != KC_OK)
		return rc;
	*retry_after = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return *retry_after > 0 ? KC_ERR_RATE_LIMITED : KC_OK;
}

static int
fail_key(struct db *db, const char *key, long max, long window,
    long lockout)
{
	char		 w[24], l[24];
	const char	*params[2] = { key, w };
	PGresult	*res = NULL;
	long		 failures;
	int		 rc;

	snprintf(w, sizeof(w), "%ld", window);
	if ((rc = db_query(db, SQL_FAIL, 2, params, &res)) != KC_OK)
		return rc;
	failures = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	if (failures < max)
		return KC_OK;
	snprintf(l, sizeof(l), "%ld", lockout);
	params[1] = l;
	return db_query(db, SQL_BLOCK, 2, params, NULL);
}

int
throttle_fail(struct db *db, const struct throttle_policy *p,
    const char *email, const char *ip)
{
	char	ka[EMAIL_MAX + 8], ki[80];
	int	rc;

	make_key(ka, sizeof(ka), "acct", email);
	make_key(ki, sizeof(ki), "ip", ip);
	if ((rc = fail_key(db, ka, p->max_account, p->window_seconds,
	    p->lockout_seconds)) != KC_OK)
		return rc;
	return fail_key(db, ki, p->max_ip, p->window_seconds,
	    p->lockout_seconds);
}

int
throttle_success(struct db *db, const char *email)
{
	char		 ka[EMAIL_MAX + 8];
	const char	*params[1] = { ka };

	make_key(ka, sizeof(ka), "acct", email);
	return db_query(db, SQL_CLEAR, 1, params, NULL);
}
