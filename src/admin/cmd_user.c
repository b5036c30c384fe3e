/* klaviyo-admin user add | user list */
#include "admin.h"

#include <stdio.h>

#include "crypto.h"
#include "password.h"
#include "session.h"
#include "user.h"

int
admin_user_add(const struct kc_config *cfg, struct db *db, int argc,
    char **argv)
{
	char		 email[EMAIL_MAX + 1], hash[PASSWORD_HASH_MAX];
	long long	 id;
	int		 rc;

	if (argc != 1)
		return EXIT_USAGE;
	if (admin_email(argv[0], email, sizeof(email)) != KC_OK) {
		admin_err("'%s' is not an e-mail address", argv[0]);
		return EXIT_USAGE;
	}
	if ((rc = admin_new_password(cfg, hash, sizeof(hash))) != EXIT_OK)
		return rc;
	if ((rc = user_add(db, email, hash, &id)) == KC_ERR_CONFLICT) {
		admin_err("user %s already exists", email);
		return EXIT_CONFLICT;
	}
	if (rc != KC_OK)
		return admin_exit(rc);
	printf("user %s created (id %lld)\n", email, id);
	return EXIT_OK;
}

static int
print_user(void *arg, const struct user_row *u)
{
	(void)arg;
	printf("%-6s %-36s %-10s %s\n", u->id, u->email, u->created,
	    u->stores);
	return KC_OK;
}

int
admin_user_list(const struct kc_config *cfg, struct db *db, int argc,
    char **argv)
{
	(void)cfg;
	(void)argv;
	if (argc != 0)
		return EXIT_USAGE;
	printf("%-6s %-36s %-10s %s\n", "ID", "EMAIL", "CREATED",
	    "STORES");
	return admin_exit(user_list(db, print_user, NULL));
}
