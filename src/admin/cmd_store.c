/* klaviyo-admin store add | store list | grant | revoke */
#include "admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "integration.h"
#include "perm.h"

static const char SQL_ADD[] =
    "INSERT INTO stores (public_id, name) VALUES ($1, $2)";
static const char SQL_LIST[] =
    "SELECT s.public_id, s.name, " INTEG_SQL_STATUS("s") ","
    " coalesce(" INTEG_SQL_ACCOUNT_NAME("s") ", '-')"
    " FROM stores s ORDER BY lower(s.name), s.public_id";
static const char SQL_STORE_ID[] =
    "SELECT id FROM stores WHERE public_id = $1";
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

/* Seven characters like the seed's "rTSYCj7". */
static int
make_public_id(char out[8])
{
	static const char	 alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char		 raw[7];
	int			 i;

	if (crypto_random(raw, sizeof(raw)) != KC_OK)
		return KC_ERR_CRYPTO;
	for (i = 0; i < 7; i++)
		out[i] = alphabet[raw[i] % 62];
	out[7] = '\0';
	return KC_OK;
}

int
admin_store_add(const struct kc_config *cfg, struct db *db, int argc,
    char **argv)
{
	char		 gen[8];
	const char	*params[2];
	size_t		 nlen;
	int		 rc;

	(void)cfg;
	if (argc != 2)
		return EXIT_USAGE;
	params[0] = argv[0];
	params[1] = argv[1];
	if (strcmp(argv[0], "-") == 0) {
		if (make_public_id(gen) != KC_OK)
			return EXIT_FAIL;
		params[0] = gen;
	} else if (!perm_public_id_valid(argv[0])) {
		admin_err("a store public id is 1-64 of A-Z a-z 0-9 _ -");
		return EXIT_USAGE;
	}
	nlen = strlen(argv[1]);
	if (nlen == 0 || nlen > 200) {
		admin_err("a store name is 1 to 200 bytes");
		return EXIT_USAGE;
	}
	rc = db_query(db, SQL_ADD, 2, params, NULL);
	if (rc == KC_ERR_DB &&
	    strcmp(db_sqlstate(db), SQLSTATE_UNIQUE_VIOLATION) == 0) {
		admin_err("store %s already exists", params[0]);
		return EXIT_CONFLICT;
	}
	if (rc != KC_OK) {
		admin_err("cannot create the store (is the name valid "
		    "UTF-8?)");
		return admin_exit(rc);
	}
	printf("%s\n", params[0]);
	return EXIT_OK;
}

int
admin_store_list(const struct kc_config *cfg, struct db *db, int argc,
    char **argv)
{
	PGresult	*res = NULL;
	int		 rc, r;

	(void)cfg;
	(void)argv;
	if (argc != 0)
		return EXIT_USAGE;
	if ((rc = db_query(db, SQL_LIST, 0, NULL, &res)) != KC_OK)
		return admin_exit(rc);
	printf("%-16s %-30s %-16s %s\n", "PUBLIC_ID", "NAME", "KLAVIYO",
	    "ACCOUNT");
	for (r = 0; r < PQntuples(res); r++)
		printf("%-16s %-30s %-16s %s\n", PQgetvalue(res, r, 0),
		    PQgetvalue(res, r, 1), PQgetvalue(res, r, 2),
		    PQgetvalue(res, r, 3));
	PQclear(res);
	return EXIT_OK;
}

/* One id column of a one-row lookup; KC_ERR_NOT_FOUND when no row. */
static int
lookup_id(struct db *db, const char *sql, const char *key, char *out,
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

/* Resolves user and store ids; prints what is missing. */
static int
user_and_store(struct db *db, const char *email, const char *store,
    char *uid, char *sid, size_t len)
{
	long long	id;
	int		rc;

	if ((rc = admin_user_id(db, email, &id)) != KC_OK) {
		if (rc == KC_ERR_NOT_FOUND)
			admin_err("no user %s", email);
		return rc;
	}
	snprintf(uid, len, "%lld", id);
	rc = perm_public_id_valid(store) ?
	    lookup_id(db, SQL_STORE_ID, store, sid, len) : KC_ERR_NOT_FOUND;
	if (rc == KC_ERR_NOT_FOUND)
		admin_err("no store %s", store);
	return rc;
}

int
admin_grant(const struct kc_config *cfg, struct db *db, int argc,
    char **argv)
{
	char		 uid[24], sid[24], rid[24], seat[24];
	const char	*params[3];
	int		 rc;

	(void)cfg;
	if (argc != 3)
		return EXIT_USAGE;
	if ((rc = user_and_store(db, argv[0], argv[1], uid, sid,
	    sizeof(uid))) != KC_OK)
		return admin_exit(rc);
	if ((rc = lookup_id(db, SQL_ROLE_ID, argv[2], rid,
	    sizeof(rid))) != KC_OK) {
		if (rc == KC_ERR_NOT_FOUND)
			admin_err("no role %s (owner, admin, viewer)",
			    argv[2]);
		return admin_exit(rc);
	}
	if ((rc = db_begin(db)) != KC_OK ||
	    (rc = lookup_id(db, SQL_SEAT, uid, seat, sizeof(seat))) !=
	    KC_OK)
		goto fail;
	params[0] = seat;
	params[1] = sid;
	params[2] = rid;
	if ((rc = db_query(db, SQL_GRANT, 3, params, NULL)) != KC_OK ||
	    (rc = db_commit(db)) != KC_OK)
		goto fail;
	printf("%s is %s of store %s\n", argv[0], argv[2], argv[1]);
	return EXIT_OK;
fail:
	db_rollback(db);
	admin_err("cannot grant the role");
	return admin_exit(rc);
}

int
admin_revoke(const struct kc_config *cfg, struct db *db, int argc,
    char **argv)
{
	char		 uid[24], sid[24];
	const char	*params[2] = { uid, sid };
	PGresult	*res = NULL;
	int		 rc, n;

	(void)cfg;
	if (argc != 2)
		return EXIT_USAGE;
	if ((rc = user_and_store(db, argv[0], argv[1], uid, sid,
	    sizeof(uid))) != KC_OK)
		return admin_exit(rc);
	if ((rc = db_query(db, SQL_REVOKE, 2, params, &res)) != KC_OK)
		return admin_exit(rc);
	n = (int)strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	if (n == 0) {
		admin_err("%s had no access to store %s", argv[0], argv[1]);
		return EXIT_NOTFOUND;
	}
	printf("%s no longer has access to store %s\n", argv[0], argv[1]);
	return EXIT_OK;
}
