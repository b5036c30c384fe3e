/* klaviyo-admin rotate-keys: re-encrypt credentials under the newest key. */
#include "admin.h"

#include <stdio.h>

#include "credential.h"
#include "secretbox.h"

int
admin_rotate_keys(const struct kc_config *cfg, struct db *db, int argc,
    char **argv)
{
	struct keyring	kr;
	char		err[256] = "";
	int		done, rc;

	(void)argv;
	if (argc != 0)
		return EXIT_USAGE;
	if (keyring_parse(cfg->master_keys, &kr, err, sizeof(err)) != KC_OK) {
		admin_err("%s", err);
		return EXIT_FAIL;
	}
	err[0] = '\0';
	rc = credential_rotate_all(db, &kr, &done, err, sizeof(err));
	if (rc != KC_OK) {
		admin_err("%s (%d re-encrypted before the failure)", err, done);
		keyring_wipe(&kr);
		return admin_exit(rc);
	}
	printf("%d credential%s re-encrypted under key version %d\n", done,
	    done == 1 ? "" : "s", keyring_newest(&kr));
	keyring_wipe(&kr);
	return EXIT_OK;
}
