/* Store permissions; see perm.h. */
#include "perm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

/* The highest role wins when several seats reach the same store. */
static const char SQL_ACCESS[] = PERM_ACCESS_SQL("$2", "$1");

/*
 * The user's highest role on the store by id, as PERM_ACCESS_SQL reads
 * it; the access row is share-locked so a revoke waits for our commit.
 */
static const char SQL_STILL[] =
    "SELECT r.level, coalesce(r.permissions #> '{stores,manage_integrations}'"
    " = 'true', false)"
    " FROM seat_store_access a"
    " JOIN contract_seats c ON c.id = a.seat_id"
    " JOIN roles r ON r.id = a.role_id"
    " JOIN users u ON u.id = c.user_id"
    " WHERE a.store_id = $2 AND c.user_id = $1 AND u.disabled_at IS NULL"
    " ORDER BY r.level DESC LIMIT 1 FOR SHARE OF a";

static const char SQL_ROLE_ID[] = "SELECT id FROM roles WHERE name = $1";
/* The user's first seat, created when they have none. */
static const char SQL_SEAT[] =
    "WITH found AS (SELECT id FROM contract_seats WHERE user_id = $1"
    "  ORDER BY id LIMIT 1),"
    " made AS (INSERT INTO contract_seats (user_id) SELECT $1"
    "  WHERE NOT EXISTS (SELECT 1 FROM found) RETURNING id)"
    " SELECT id FROM found UNION ALL SELECT id FROM made";
static const char SQL_GRANT[] =
    "INSERT INTO seat_store_access (seat_id, store_id, role_id)"
    " VALUES ($1, $2, $3) ON CONFLICT (seat_id, store_id)"
    " DO UPDATE SET role_id = EXCLUDED.role_id";
static const char SQL_REVOKE[] =
    "DELETE FROM seat_store_access a USING contract_seats c"
    " WHERE a.seat_id = c.id AND c.user_id = $1 AND a.store_id = $2";
/* One row per store, the highest role when several seats reach it. */
static const char SQL_USER_STORES[] =
    "SELECT public_id, name, role, level, manage, status, accounts FROM ("
    " SELECT DISTINCT ON (s.id) s.public_id, s.name, r.name AS role,"
    "  r.level, coalesce(r.permissions #> '{stores,manage_integrations}'"
    "  = 'true', false) AS manage,"
    "  coalesce(" INTEG_SQL_STATUS("k") ", 'not_configured') AS status,"
    "  (SELECT count(*) FROM klaviyo_connections n"
    "   WHERE n.store_id = s.id) AS accounts"
    " FROM contract_seats c"
    " JOIN seat_store_access a ON a.seat_id = c.id"
    " JOIN stores s ON s.id = a.store_id"
    " JOIN roles r ON r.id = a.role_id"
    " LEFT JOIN klaviyo_connections k ON k.store_id = s.id AND k.is_primary"
    " WHERE c.user_id = $1"
    " ORDER BY s.id, r.level DESC) x ORDER BY lower(name), public_id";

int
perm_public_id_valid(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= STORE_PUBLIC_ID_MAX && crypto_b64url_span(s) == n;
}

int
perm_can_manage(int level, int manage_flag)
{
	return manage_flag && level >= PERM_MANAGE_MIN_LEVEL;
}

void
perm_access_clear(struct store_access *a)
{
	free(a->integration);
	memset(a, 0, sizeof(*a));
}

int
perm_access_from_row(const PGresult *res, int r, int c,
    struct store_access *a)
{
	if ((a->integration = strdup(PQgetvalue(res, r, c + 6))) == NULL)
		return KC_ERR_NOMEM;
	a->store_id = strtoll(PQgetvalue(res, r, c), NULL, 10);
	snprintf(a->public_id, sizeof(a->public_id), "%s",
	    PQgetvalue(res, r, c + 1));
	snprintf(a->name, sizeof(a->name), "%s", PQgetvalue(res, r, c + 2));
	snprintf(a->role, sizeof(a->role), "%s", PQgetvalue(res, r, c + 3));
	a->level = (int)strtol(PQgetvalue(res, r, c + 4), NULL, 10);
	a->manage_integrations = PQgetvalue(res, r, c + 5)[0] == 't';
	a->primary_id = strtoll(PQgetvalue(res, r, c + 7), NULL, 10);
	return KC_OK;
}

int
perm_store_access(struct db *db, long long user_id, const char *public_id,
    struct store_access *a)
{
	char		 uid[24];
	const char	*params[2] = { public_id, uid };
	PGresult	*res = NULL;
	int		 rc;

	memset(a, 0, sizeof(*a));
	if (!perm_public_id_valid(public_id))
		return KC_ERR_NOT_FOUND;
	snprintf(uid, sizeof(uid), "%lld", user_id);
	if ((rc = db_query(db, SQL_ACCESS, 2, params, &res)) != KC_OK)
		return rc;
	if (PQntuples(res) != 1) {
		rc = KC_ERR_NOT_FOUND;
		goto out;
	}
	rc = perm_access_from_row(res, 0, 0, a);
out:
	PQclear(res);
	return rc;
}

int
perm_still_manages(struct db *db, long long user_id, long long store_id)
{
	char		 uid[24], sid[24];
	const char	*params[2] = { uid, sid };
	PGresult	*res = NULL;
	int		 rc;

	snprintf(uid, sizeof(uid), "%lld", user_id);
	snprintf(sid, sizeof(sid), "%lld", store_id);
	if ((rc = db_query(db, SQL_STILL, 2, params, &res)) != KC_OK)
		return rc;
	if (PQntuples(res) != 1)
		rc = KC_ERR_NOT_FOUND;
	else if (!perm_can_manage((int)strtol(PQgetvalue(res, 0, 0), NULL,
	    10), PQgetvalue(res, 0, 1)[0] == 't'))
		rc = KC_ERR_FORBIDDEN;
	PQclear(res);
	return rc;
}

/* The one id of a one-row statement; KC_ERR_NOT_FOUND when no row. */
static int
one_id(struct db *db, const char *sql, const char *key, char *out,
    size_t outlen)
{
	const char	*params[1] = { key };
	PGresult	*res = NULL;
	int		 rc;

	if ((rc = db_query(db, sql, 1, params, &res)) != KC_OK)
		return rc;
	if (PQntuples(res) == 1)
		snprintf(out, outlen, "%s", PQgetvalue(res, 0, 0));
	else
		rc = KC_ERR_NOT_FOUND;
	PQclear(res);
	return rc;
}

int
perm_grant(struct db *db, long long user_id, long long store_id,
    const char *role)
{
	char		 uid[24], sid[24], rid[24], seat[24];
	const char	*params[3] = { seat, sid, rid };
	int		 rc;

	if ((rc = one_id(db, SQL_ROLE_ID, role, rid, sizeof(rid))) != KC_OK)
		return rc;
	snprintf(uid, sizeof(uid), "%lld", user_id);
	snprintf(sid, sizeof(sid), "%lld", store_id);
	if ((rc = db_begin(db)) != KC_OK)
		return rc;
	if ((rc = one_id(db, SQL_SEAT, uid, seat, sizeof(seat))) != KC_OK ||
	    (rc = db_query(db, SQL_GRANT, 3, params, NULL)) != KC_OK ||
	    (rc = db_commit(db)) != KC_OK) {
		db_rollback(db);
		/* The role was found: a missing seat is a failure. */
		return rc == KC_ERR_NOT_FOUND ? KC_ERR_INTERNAL : rc;
	}
	return KC_OK;
}

int
perm_revoke(struct db *db, long long user_id, long long store_id,
    int *removed)
{
	char		 uid[24], sid[24];
	const char	*params[2] = { uid, sid };
	PGresult	*res = NULL;
	int		 rc;

	*removed = 0;
	snprintf(uid, sizeof(uid), "%lld", user_id);
	snprintf(sid, sizeof(sid), "%lld", store_id);
	if ((rc = db_query(db, SQL_REVOKE, 2, params, &res)) != KC_OK)
		return rc;
	*removed = (int)strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return KC_OK;
}

int
perm_user_stores(struct db *db, long long user_id,
    int (*fn)(void *, const struct perm_store_row *), void *arg)
{
	struct perm_store_row	 s;
	char			 uid[24];
	const char		*params[1] = { uid };
	PGresult		*res = NULL;
	int			 r, rc;

	snprintf(uid, sizeof(uid), "%lld", user_id);
	if ((rc = db_query(db, SQL_USER_STORES, 1, params, &res)) != KC_OK)
		return rc;
	for (r = 0; r < PQntuples(res) && rc == KC_OK; r++) {
		s.public_id = PQgetvalue(res, r, 0);
		s.name = PQgetvalue(res, r, 1);
		s.role = PQgetvalue(res, r, 2);
		s.level = (int)strtol(PQgetvalue(res, r, 3), NULL, 10);
		s.manage_integrations = PQgetvalue(res, r, 4)[0] == 't';
		s.klaviyo_status = db_val(res, r, 5);
		s.klaviyo_accounts = (int)strtol(PQgetvalue(res, r, 6), NULL,
		    10);
		rc = fn(arg, &s);
	}
	PQclear(res);
	return rc;
}
