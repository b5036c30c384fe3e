/* Rows of the stores table; see store.h. */
#include "store.h"

#include <stdlib.h>
#include <string.h>

#include "integration.h"

static const char SQL_ADD[] =
    "INSERT INTO stores (public_id, name) VALUES ($1, $2)";
static const char SQL_FIND[] =
    "SELECT id FROM stores WHERE public_id = $1";
static const char SQL_LIST[] =
    "SELECT s.public_id, s.name,"
    " coalesce(" INTEG_SQL_STATUS("k") ", 'not_configured'),"
    " coalesce(" INTEG_SQL_ACCOUNT_NAME("k") ", '-'),"
    " (SELECT count(*) FROM klaviyo_connections n WHERE n.store_id = s.id)"
    " FROM stores s"
    " LEFT JOIN klaviyo_connections k ON k.store_id = s.id AND k.is_primary"
    " ORDER BY lower(s.name), s.public_id";

int
store_add(struct db *db, const char *public_id, const char *name)
{
	const char	*params[2] = { public_id, name };
	int		 rc;

	rc = db_query(db, SQL_ADD, 2, params, NULL);
	if (rc == KC_ERR_DB &&
	    strcmp(db_sqlstate(db), SQLSTATE_UNIQUE_VIOLATION) == 0)
		return KC_ERR_CONFLICT;
	return rc;
}

int
store_find(struct db *db, const char *public_id, long long *id)
{
	const char	*params[1] = { public_id };
	PGresult	*res = NULL;
	int		 rc;

	*id = 0;
	if ((rc = db_query(db, SQL_FIND, 1, params, &res)) != KC_OK)
		return rc;
	if (PQntuples(res) == 1)
		*id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	else
		rc = KC_ERR_NOT_FOUND;
	PQclear(res);
	return rc;
}

int
store_list(struct db *db, int (*fn)(void *, const struct store_row *),
    void *arg)
{
	struct store_row	 s;
	PGresult		*res = NULL;
	int			 r, rc;

	if ((rc = db_query(db, SQL_LIST, 0, NULL, &res)) != KC_OK)
		return rc;
	for (r = 0; r < PQntuples(res) && rc == KC_OK; r++) {
		s.public_id = PQgetvalue(res, r, 0);
		s.name = PQgetvalue(res, r, 1);
		s.klaviyo_status = PQgetvalue(res, r, 2);
		s.account_name = PQgetvalue(res, r, 3);
		s.accounts = PQgetvalue(res, r, 4);
		rc = fn(arg, &s);
	}
	PQclear(res);
	return rc;
}
