/* klaviyo-admin store add | store list | grant | revoke */
#include "admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "perm.h"
#include "store.h"

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
	if ((rc = store_add(db, params[0], params[1])) == KC_ERR_CONFLICT) {
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

static int
print_store(void *arg, const struct store_row *s)
{
	(void)arg;
	printf("%-16s %-30s %-16s %-8s %s\n", s->public_id, s->name,
	    s->klaviyo_status, s->accounts, s->account_name);
	return KC_OK;
}

int
admin_store_list(const struct kc_config *cfg, struct db *db, int argc,
    char **argv)
{
	(void)cfg;
	(void)argv;
	if (argc != 0)
		return EXIT_USAGE;
	printf("%-16s %-30s %-16s %-8s %s\n", "PUBLIC_ID", "NAME", "KLAVIYO",
	    "ACCOUNTS", "PRIMARY_ACCOUNT");
	return admin_exit(store_list(db, print_store, NULL));
}

/* Resolves user and store ids; prints what is missing. */
static int
user_and_store(struct db *db, const char *email, const char *store,
    long long *uid, long long *sid)
{
	int rc;

	if ((rc = admin_user_id(db, email, uid)) != KC_OK) {
		if (rc == KC_ERR_NOT_FOUND)
			admin_err("no user %s", email);
		return rc;
	}
	rc = perm_public_id_valid(store) ? store_find(db, store, sid) :
	    KC_ERR_NOT_FOUND;
	if (rc == KC_ERR_NOT_FOUND)
		admin_err("no store %s", store);
	return rc;
}

int
admin_grant(const struct kc_config *cfg, struct db *db, int argc,
    char **argv)
{
	long long	uid, sid;
	int		rc;

	(void)cfg;
	if (argc != 3)
		return EXIT_USAGE;
	if ((rc = user_and_store(db, argv[0], argv[1], &uid, &sid)) != KC_OK)
		return admin_exit(rc);
	if ((rc = perm_grant(db, uid, sid, argv[2])) == KC_ERR_NOT_FOUND) {
		admin_err("no role %s (owner, admin, viewer)", argv[2]);
		return admin_exit(rc);
	}
	if (rc != KC_OK) {
		admin_err("cannot grant the role");
		return admin_exit(rc);
	}
	printf("%s is %s of store %s\n", argv[0], argv[2], argv[1]);
	return EXIT_OK;
}

int
admin_revoke(const struct kc_config *cfg, struct db *db, int argc,
    char **argv)
{
	long long	uid, sid;
	int		rc, n;

	(void)cfg;
	if (argc != 2)
		return EXIT_USAGE;
	if ((rc = user_and_store(db, argv[0], argv[1], &uid, &sid)) != KC_OK)
		return admin_exit(rc);
	if ((rc = perm_revoke(db, uid, sid, &n)) != KC_OK)
		return admin_exit(rc);
	if (n == 0) {
		admin_err("%s had no access to store %s", argv[0], argv[1]);
		return EXIT_NOTFOUND;
	}
	printf("%s no longer has access to store %s\n", argv[0], argv[1]);
	return EXIT_OK;
}
