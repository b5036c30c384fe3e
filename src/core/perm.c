/* Store permissions; see perm.h. */
#include "perm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

/* The highest role wins when several seats reach the same store. */
static const char SQL_ACCESS[] = PERM_ACCESS_SQL("$2", "$1");

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
