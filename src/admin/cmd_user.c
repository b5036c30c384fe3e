/* klaviyo-admin user add | user list */
#include "admin.h"

#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "password.h"
#include "session.h"

static const char SQL_ADD[] =
    "INSERT INTO users (email, password_hash) VALUES ($1, $2)"
    " RETURNING id";
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
admin_user_add(const struct kc_config *cfg, struct db *db, int argc,
    char **argv)
{
	char		 email[EMAIL_MAX + 1], pw[PASSWORD_MAX_LEN + 2];
	char		 hash[PASSWORD_HASH_MAX];
	const char	*params[2] = { email, hash }, *why;
	PGresult	*res = NULL;
	int		 rc;

	(void)cfg;
	if (argc != 1)
		return EXIT_USAGE;
	if (admin_email(argv[0], email, sizeof(email)) != KC_OK) {
		admin_err("'%s' is not an e-mail address", argv[0]);
		return EXIT_USAGE;
	}
	if ((rc = admin_read_password(pw, sizeof(pw))) != KC_OK) {
		admin_err("no password read (give it on standard input)");
		return EXIT_USAGE;
	}
	if ((why = password_policy(pw)) != NULL) {
		crypto_wipe(pw, sizeof(pw));
		admin_err("%s", why);
		return EXIT_USAGE;
	}
	rc = password_hash(pw, hash, sizeof(hash));
	crypto_wipe(pw, sizeof(pw));
	if (rc != KC_OK) {
		admin_err("cannot hash the password");
		return EXIT_FAIL;
	}
	rc = db_query(db, SQL_ADD, 2, params, &res);
	if (rc == KC_ERR_DB &&
	    strcmp(db_sqlstate(db), SQLSTATE_UNIQUE_VIOLATION) == 0) {
		admin_err("user %s already exists", email);
		return EXIT_CONFLICT;
	}
	if (rc != KC_OK)
		return admin_exit(rc);
	printf("user %s created (id %s)\n", email, PQgetvalue(res, 0, 0));
	PQclear(res);
	return EXIT_OK;
}

int
admin_user_list(const struct kc_config *cfg, struct db *db, int argc,
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
	printf("%-6s %-36s %-10s %s\n", "ID", "EMAIL", "CREATED",
	    "STORES");
	for (r = 0; r < PQntuples(res); r++)
		printf("%-6s %-36s %-10s %s\n", PQgetvalue(res, r, 0),
		    PQgetvalue(res, r, 1), PQgetvalue(res, r, 2),
		    PQgetvalue(res, r, 3));
	PQclear(res);
	return EXIT_OK;
}
