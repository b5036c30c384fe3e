/* klaviyo-admin session issue EMAIL [--hours N] */
#include "admin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "session.h"

int
admin_session_issue(const struct kc_config *cfg, struct db *db, int argc,
    char **argv)
{
	char		 token[SESSION_TOKEN_LEN + 1], *end;
	long		 hours = cfg->session_ttl_hours;
	long long	 uid;
	int		 rc;

	if (argc == 3 && strcmp(argv[1], "--hours") == 0) {
		errno = 0;
		hours = strtol(argv[2], &end, 10);
		if (errno || *end || hours < 1 || hours > 24 * 365) {
			admin_err("--hours takes 1 to 8760");
			return EXIT_USAGE;
		}
	} else if (argc != 1)
		return EXIT_USAGE;
	if ((rc = admin_user_id(db, argv[0], &uid)) != KC_OK) {
		if (rc == KC_ERR_NOT_FOUND)
			admin_err("no user %s", argv[0]);
		return admin_exit(rc);
	}
	if ((rc = session_create(db, uid, hours,
	    cfg->session_max_per_user, token)) != KC_OK)
		return admin_exit(rc);
	printf("%s\n", token);
	crypto_wipe(token, sizeof(token));
	return EXIT_OK;
}
