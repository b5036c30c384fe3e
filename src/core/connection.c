/* A store's Klaviyo connections; see connection.h. */
#include "connection.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

#define CONN_COLS							\
    "k.id, k.public_id, k.is_primary, k.klaviyo_integration::text,"	\
    " to_char(k.created_at AT TIME ZONE 'UTC',"				\
    " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/*
 * Not FOR UPDATE: rows that reference the store (jobs, audit rows, KlaviyoSync
 * rows) key-share it, and must not wait behind a change of its connections
 * while that change waits for them.  Changes still exclude each other.
 */
static const char SQL_LOCK_STORE[] =
    "SELECT 1 FROM stores WHERE id = $1 FOR NO KEY UPDATE";
static const char SQL_FIND[] =
    "SELECT " CONN_COLS " FROM klaviyo_connections k WHERE k.store_id = $1"
    " AND (CASE WHEN $2::text IS NULL THEN k.is_primary"
    "  ELSE k.public_id = $2 END)";
static const char SQL_STORE_OF[] =
    "SELECT store_id FROM klaviyo_connections WHERE public_id = $1";
static const char SQL_FIND_ACCOUNT[] =
    "SELECT " CONN_COLS " FROM klaviyo_connections k WHERE k.store_id = $1"
    " AND k.account_id = $2";
static const char SQL_INSERT[] =
    "INSERT INTO klaviyo_connections (store_id, is_primary,"
    " klaviyo_integration) SELECT $1, NOT EXISTS (SELECT 1"
    "  FROM klaviyo_connections p WHERE p.store_id = $1 AND p.is_primary),"
    " $2::jsonb RETURNING id, public_id, is_primary";
static const char SQL_DELETE[] =
    "DELETE FROM klaviyo_connections WHERE store_id = $1 AND id = $2";
/* The oldest remaining one, when the store has no primary left. */
static const char SQL_PROMOTE[] =
    "UPDATE klaviyo_connections SET is_primary = true, updated_at = now()"
    " WHERE id = (SELECT id FROM klaviyo_connections WHERE store_id = $1"
    "  ORDER BY created_at, id LIMIT 1)"
    " AND NOT EXISTS (SELECT 1 FROM klaviyo_connections"
    "  WHERE store_id = $1 AND is_primary)";
/* Two statements: the unique index allows one primary at every step. */
static const char SQL_UNSET_PRIMARY[] =
    "UPDATE klaviyo_connections SET is_primary = false, updated_at = now()"
    " WHERE store_id = $1 AND is_primary AND id <> $2"
    " AND EXISTS (SELECT 1 FROM klaviyo_connections"
    "  WHERE store_id = $1 AND id = $2)";
static const char SQL_SET_PRIMARY[] =
    "UPDATE klaviyo_connections SET is_primary = true, updated_at = now()"
    " WHERE store_id = $1 AND id = $2 AND NOT is_primary";
static const char SQL_EXISTS[] =
    "SELECT 1 FROM klaviyo_connections WHERE store_id = $1 AND id = $2";
static const char SQL_LIST[] =
    "SELECT " CONN_COLS " FROM klaviyo_connections k WHERE k.store_id = $1"
    " ORDER BY k.is_primary DESC, k.created_at, k.id";

void
conn_clear(struct kconn *c)
{
	free(c->doc);
	free(c->created_at);
	memset(c, 0, sizeof(*c));
}

int
conn_public_id_valid(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= CONN_PUBLIC_ID_MAX && crypto_b64url_span(s) == n;
}

static int
from_row(const PGresult *res, int r, struct kconn *c)
{
	memset(c, 0, sizeof(*c));
	c->id = strtoll(PQgetvalue(res, r, 0), NULL, 10);
	snprintf(c->public_id, sizeof(c->public_id), "%s",
	    PQgetvalue(res, r, 1));
	c->primary = PQgetvalue(res, r, 2)[0] == 't';
	if ((c->doc = strdup(PQgetvalue(res, r, 3))) == NULL ||
	    (c->created_at = strdup(PQgetvalue(res, r, 4))) == NULL) {
		conn_clear(c);
		return KC_ERR_NOMEM;
	}
	return KC_OK;
}

static int
find_one(struct db *db, const char *sql, long long store_id,
    const char *arg, struct kconn *c)
{
	char		 sid[24];
	const char	*params[2] = { sid, arg };
	PGresult	*res = NULL;
	int		 rc;

	memset(c, 0, sizeof(*c));
	snprintf(sid, sizeof(sid), "%lld", store_id);
	if ((rc = db_query(db, sql, 2, params, &res)) != KC_OK)
		return rc;
	rc = PQntuples(res) == 1 ? from_row(res, 0, c) : KC_ERR_NOT_FOUND;
	PQclear(res);
	return rc;
}

int
conn_store_of(struct db *db, const char *public_id, long long *store_id)
{
	const char	*params[1] = { public_id };
	PGresult	*res = NULL;
	int		 rc;

	*store_id = 0;
	if (!conn_public_id_valid(public_id))
		return KC_ERR_NOT_FOUND;
	if ((rc = db_query(db, SQL_STORE_OF, 1, params, &res)) != KC_OK)
		return rc;
	if (PQntuples(res) == 1)
		*store_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	else
		rc = KC_ERR_NOT_FOUND;
	PQclear(res);
	return rc;
}

int
conn_lock_store(struct db *db, long long store_id)
{
	char		 sid[24];
	const char	*params[1] = { sid };
	PGresult	*res = NULL;
	int		 rc;

	snprintf(sid, sizeof(sid), "%lld", store_id);
	if ((rc = db_query(db, SQL_LOCK_STORE, 1, params, &res)) != KC_OK)
		return rc;
	rc = PQntuples(res) == 1 ? KC_OK : KC_ERR_NOT_FOUND;
	PQclear(res);
	return rc;
}

int
conn_find(struct db *db, long long store_id, const char *public_id,
    struct kconn *c)
{
	if (public_id && !conn_public_id_valid(public_id)) {
		memset(c, 0, sizeof(*c));
		return KC_ERR_NOT_FOUND;
	}
	return find_one(db, SQL_FIND, store_id, public_id, c);
}

int
conn_find_account(struct db *db, long long store_id, const char *account_id,
    struct kconn *c)
{
	return find_one(db, SQL_FIND_ACCOUNT, store_id, account_id, c);
}

int
conn_insert(struct db *db, long long store_id, const struct integration *in,
    struct kconn *c)
{
	struct json_object	*o = NULL;
	char			 sid[24];
	const char		*params[2] = { sid, NULL };
	PGresult		*res = NULL;
	int			 rc;

	memset(c, 0, sizeof(*c));
	if ((rc = integ_to_json(in, &o)) != KC_OK)
		return rc;
	snprintf(sid, sizeof(sid), "%lld", store_id);
	params[1] = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	rc = db_query(db, SQL_INSERT, 2, params, &res);
	json_object_put(o);
	if (rc == KC_ERR_DB &&
	    strcmp(db_sqlstate(db), SQLSTATE_UNIQUE_VIOLATION) == 0)
		return KC_ERR_CONFLICT;
	if (rc != KC_OK)
		return rc;
	c->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	snprintf(c->public_id, sizeof(c->public_id), "%s",
	    PQgetvalue(res, 0, 1));
	c->primary = PQgetvalue(res, 0, 2)[0] == 't';
	PQclear(res);
	return KC_OK;
}

/* Runs a two-parameter statement of (store id, connection id). */
static int
run2(struct db *db, const char *sql, long long store_id, long long id,
    int *changed)
{
	char		 sid[24], cid[24];
	const char	*params[2] = { sid, cid };
	PGresult	*res = NULL;
	int		 rc;

	snprintf(sid, sizeof(sid), "%lld", store_id);
	snprintf(cid, sizeof(cid), "%lld", id);
	if ((rc = db_query(db, sql, 2, params, &res)) != KC_OK)
		return rc;
	if (changed)
		*changed = PQresultStatus(res) == PGRES_TUPLES_OK ?
		    PQntuples(res) > 0 : strcmp(PQcmdTuples(res), "0") != 0;
	PQclear(res);
	return KC_OK;
}

int
conn_delete(struct db *db, long long store_id, long long id,
    int was_primary)
{
	char		 sid[24];
	const char	*params[1] = { sid };
	int		 rc, gone;

	if ((rc = run2(db, SQL_DELETE, store_id, id, &gone)) != KC_OK)
		return rc;
	if (!gone)
		return KC_ERR_NOT_FOUND;
	/* Only a removed primary touches another row (and its lock). */
	if (!was_primary)
		return KC_OK;
	snprintf(sid, sizeof(sid), "%lld", store_id);
	return db_query(db, SQL_PROMOTE, 1, params, NULL);
}

int
conn_make_primary(struct db *db, long long store_id, long long id)
{
	int rc, found;

	if ((rc = run2(db, SQL_EXISTS, store_id, id, &found)) != KC_OK)
		return rc;
	if (!found)
		return KC_ERR_NOT_FOUND;
	if ((rc = run2(db, SQL_UNSET_PRIMARY, store_id, id, NULL)) != KC_OK)
		return rc;
	return run2(db, SQL_SET_PRIMARY, store_id, id, NULL);
}

int
conn_list(struct db *db, long long store_id,
    int (*fn)(void *, const struct kconn *), void *arg)
{
	struct kconn	 c;
	char		 sid[24];
	const char	*params[1] = { sid };
	PGresult	*res = NULL;
	int		 r, rc;

	snprintf(sid, sizeof(sid), "%lld", store_id);
	if ((rc = db_query(db, SQL_LIST, 1, params, &res)) != KC_OK)
		return rc;
	for (r = 0; r < PQntuples(res) && rc == KC_OK; r++) {
		if ((rc = from_row(res, r, &c)) != KC_OK)
			break;
		rc = fn(arg, &c);
		conn_clear(&c);
	}
	PQclear(res);
	return rc;
}
