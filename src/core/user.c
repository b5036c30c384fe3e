/* The users table; see user.h. */
#include "user.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_ADD[] =
    "INSERT INTO users (email, password_hash) VALUES ($1, $2)"
    " RETURNING id";
/* A disabled user signs in like an unknown one: a wrong password. */
static const char SQL_FIND[] =
    "SELECT id, password_hash FROM users WHERE email = $1"
    " AND disabled_at IS NULL";
static const char SQL_FIND_ANY[] =
    "SELECT id FROM users WHERE email = $1";
static const char SQL_LIST[] =
    "SELECT u.id, u.email, to_char(u.created_at AT TIME ZONE 'UTC',"
    " 'YYYY-MM-DD'), coalesce(string_agg(s.public_id || ':' || r.name,"
    " ' ' ORDER BY s.public_id), '-')"
    " FROM users u LEFT JOIN contract_seats c ON c.user_id = u.id"
    " LEFT JOIN seat_store_access a ON a.seat_id = c.id"
    " LEFT JOIN stores s ON s.id = a.store_id"
    " LEFT JOIN roles r ON r.id = a.role_id"
    " GROUP BY u.id ORDER BY u.email";

int
user_add(struct db *db, const char *email, const char *hash, long long *id)
{
	const char	*params[2] = { email, hash };
	PGresult	*res = NULL;
	int		 rc;

	*id = 0;
	rc = db_query(db, SQL_ADD, 2, params, &res);
	if (rc == KC_ERR_DB &&
	    strcmp(db_sqlstate(db), SQLSTATE_UNIQUE_VIOLATION) == 0)
		return KC_ERR_CONFLICT;
	if (rc != KC_OK)
		return rc;
	*id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return KC_OK;
}

int
user_login(struct db *db, const char *email, long long *id, char *hash,
    size_t hashlen)
{
	const char	*params[1] = { email };
	PGresult	*res = NULL;
	int		 rc;

	*id = 0;
	if ((rc = db_query(db, SQL_FIND, 1, params, &res)) != KC_OK)
		return rc;
	if (PQntuples(res) != 1)
		rc = KC_ERR_NOT_FOUND;
	else {
		*id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		if (hash != NULL)
			snprintf(hash, hashlen, "%s", PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	return rc;
}

int
user_find(struct db *db, const char *email, long long *id)
{
	const char	*params[1] = { email };
	PGresult	*res = NULL;
	int		 rc;

	*id = 0;
	if ((rc = db_query(db, SQL_FIND_ANY, 1, params, &res)) != KC_OK)
		return rc;
	if (PQntuples(res) != 1)
		rc = KC_ERR_NOT_FOUND;
	else
		*id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return rc;
}

int
user_list(struct db *db, int (*fn)(void *, const struct user_row *),
    void *arg)
{
	struct user_row	 u;
	PGresult	*res = NULL;
	int		 r, rc;

	if ((rc = db_query(db, SQL_LIST, 0, NULL, &res)) != KC_OK)
		return rc;
	for (r = 0; r < PQntuples(res) && rc == KC_OK; r++) {
		u.id = PQgetvalue(res, r, 0);
		u.email = PQgetvalue(res, r, 1);
		u.created = PQgetvalue(res, r, 2);
		u.stores = PQgetvalue(res, r, 3);
		rc = fn(arg, &u);
	}
	PQclear(res);
	return rc;
}

static const char SQL_DISABLE[] =
    "UPDATE users SET disabled_at = now() WHERE id = $1"
    " AND disabled_at IS NULL";
static const char SQL_ENABLE[] =
    "UPDATE users SET disabled_at = NULL WHERE id = $1"
    " AND disabled_at IS NOT NULL";
static const char SQL_SET_PASSWORD[] =
    "UPDATE users SET password_hash = $2 WHERE id = $1";
/* Only the hash that was verified: a password set meanwhile stays. */
static const char SQL_UPGRADE_HASH[] =
    "UPDATE users SET password_hash = $3 WHERE id = $1"
    " AND password_hash = $2";

/* Runs an UPDATE of one user; *changed is its row count. */
static int
update_one(struct db *db, const char *sql, int n, const char **params,
    int *changed)
{
	PGresult	*res = NULL;
	int		 rc;

	if (changed != NULL)
		*changed = 0;
	if ((rc = db_query(db, sql, n, params, &res)) != KC_OK)
		return rc;
	if (changed != NULL)
		*changed = (int)strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return KC_OK;
}

int
user_set_disabled(struct db *db, long long id, int disabled, int *changed)
{
	char		 uid[24];
	const char	*params[1] = { uid };

	snprintf(uid, sizeof(uid), "%lld", id);
	return update_one(db, disabled ? SQL_DISABLE : SQL_ENABLE, 1, params,
	    changed);
}

int
user_set_password(struct db *db, long long id, const char *hash)
{
	char		 uid[24];
	const char	*params[2] = { uid, hash };
	int		 n, rc;

	snprintf(uid, sizeof(uid), "%lld", id);
	if ((rc = update_one(db, SQL_SET_PASSWORD, 2, params, &n)) != KC_OK)
		return rc;
	return n == 1 ? KC_OK : KC_ERR_NOT_FOUND;
}

int
user_upgrade_hash(struct db *db, long long id, const char *old,
    const char *hash)
{
	char		 uid[24];
	const char	*params[3] = { uid, old, hash };

	snprintf(uid, sizeof(uid), "%lld", id);
	return update_one(db, SQL_UPGRADE_HASH, 3, params, NULL);
}
