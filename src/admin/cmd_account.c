/*
 * klaviyo-admin user disable | user enable | user password |
 * session list | session revoke: day-2 care of an account.  Disabling
 * or a new password ends every session of the user in the same
 * transaction, so a stolen cookie stops working at the next request.
 */
#include "admin.h"

#include <stdio.h>

#include "crypto.h"
#include "password.h"
#include "session.h"
#include "user.h"

/* The one EMAIL argument as a user id, or an exit code. */
static int
one_user(struct db *db, int argc, char **argv, long long *uid)
{
	int rc;

	if (argc != 1)
		return EXIT_USAGE;
	if ((rc = admin_user_id(db, argv[0], uid)) != KC_OK) {
		if (rc == KC_ERR_NOT_FOUND)
			admin_err("no user %s", argv[0]);
		return admin_exit(rc);
	}
	return EXIT_OK;
}

static int
set_disabled(struct db *db, int argc, char **argv, int disabled)
{
	long long	uid;
	int		rc, changed, n = 0;

	if ((rc = one_user(db, argc, argv, &uid)) != EXIT_OK)
		return rc;
	if ((rc = db_begin(db)) != KC_OK)
		return admin_exit(rc);
	if ((rc = user_set_disabled(db, uid, disabled, &changed)) != KC_OK ||
	    (disabled && (rc = session_revoke_user(db, uid, &n)) != KC_OK) ||
	    (rc = db_commit(db)) != KC_OK) {
		db_rollback(db);
		return admin_exit(rc);
	}
	if (!disabled)
		printf("user %s %s\n", argv[0], changed ? "enabled" :
		    "was not disabled");
	else
		printf("user %s %s; %d session%s revoked\n", argv[0],
		    changed ? "disabled" : "was disabled already", n,
		    n == 1 ? "" : "s");
	return EXIT_OK;
}

int
admin_user_disable(const struct kc_config *cfg, struct db *db, int argc,
    char **argv)
{
	(void)cfg;
	return set_disabled(db, argc, argv, 1);
}

int
admin_user_enable(const struct kc_config *cfg, struct db *db, int argc,
    char **argv)
{
	(void)cfg;
	return set_disabled(db, argc, argv, 0);
}

int
admin_user_password(const struct kc_config *cfg, struct db *db, int argc,
    char **argv)
{
	char		 hash[PASSWORD_HASH_MAX];
	long long	 uid;
	int		 rc, n = 0;

	if ((rc = one_user(db, argc, argv, &uid)) != EXIT_OK)
		return rc;
	if ((rc = admin_new_password(cfg, hash, sizeof(hash))) != EXIT_OK)
		return rc;
	if ((rc = db_begin(db)) != KC_OK)
		return admin_exit(rc);
	if ((rc = user_set_password(db, uid, hash)) != KC_OK ||
	    (rc = session_revoke_user(db, uid, &n)) != KC_OK ||
	    (rc = db_commit(db)) != KC_OK) {
		db_rollback(db);
		return admin_exit(rc);
	}
	printf("password of %s changed; %d session%s revoked\n", argv[0], n,
	    n == 1 ? "" : "s");
	return EXIT_OK;
}

static int
print_session(void *arg, const struct session_row *s)
{
	(void)arg;
	printf("%-20s  %-20s  %-20s%s\n", s->created, s->expires,
	    s->last_seen, s->expired ? "  (expired)" : "");
	return KC_OK;
}

int
admin_session_list(const struct kc_config *cfg, struct db *db, int argc,
    char **argv)
{
	long long	uid;
	int		rc;

	(void)cfg;
	if ((rc = one_user(db, argc, argv, &uid)) != EXIT_OK)
		return rc;
	printf("%-20s  %-20s  %s\n", "CREATED", "EXPIRES", "LAST SEEN");
	return admin_exit(session_list_user(db, uid, print_session, NULL));
}

int
admin_session_revoke(const struct kc_config *cfg, struct db *db, int argc,
    char **argv)
{
	long long	uid;
	int		rc, n;

	(void)cfg;
	if ((rc = one_user(db, argc, argv, &uid)) != EXIT_OK)
		return rc;
	if ((rc = session_revoke_user(db, uid, &n)) != KC_OK)
		return admin_exit(rc);
	printf("%d session%s of %s revoked\n", n, n == 1 ? "" : "s",
	    argv[0]);
	return EXIT_OK;
}
