/* klaviyo-admin rotate-keys: re-encrypt credentials under the newest key. */
#include "admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credential.h"
#include "heartbeat.h"
#include "secretbox.h"

#define NAMED_MAX 3	/* processes named in the refusal */

/*
 * A credential sealed under a version some running process lacks would
 * be unreadable there (a failed connect or sync) until it reloads: the
 * live heartbeats must all hold the newest version first.
 */
static int
all_hold(struct db *db, int version)
{
	struct hb_proc	*p = NULL;
	char		 msg[1024];
	size_t		 n, i, o = 0, lacking = 0;
	int		 rc, w;

	if ((rc = heartbeat_list(db, &p, &n)) != KC_OK) {
		admin_err("cannot read the process heartbeats: %s",
		    kc_strerror(rc));
		return admin_exit(rc);
	}
	msg[0] = '\0';
	for (i = 0; i < n; i++) {
		if (heartbeat_first_lacking(&p[i], 1, version) < 0)
			continue;
		if (lacking++ < NAMED_MAX && o < sizeof(msg)) {
			w = snprintf(msg + o, sizeof(msg) - o, "%s%s pid %d on "
			    "%s", o ? ", " : "", p[i].program, p[i].pid,
			    p[i].host);
			o += w > 0 ? (size_t)w : 0;
		}
	}
	free(p);
	if (lacking == 0)
		return EXIT_OK;
	admin_err("refused: %zu running process%s do%s not hold master key "
	    "version %d (%s%s); add that key to KC_MASTER_KEYS on every host, "
	    "reload the services (systemctl reload or SIGHUP) and run this "
	    "again, or pass --force", lacking, lacking == 1 ? "" : "es",
	    lacking == 1 ? "es" : "", version, msg,
	    lacking > NAMED_MAX ? ", ..." : "");
	return EXIT_KEYS_NOT_LOADED;
}

int
admin_rotate_keys(const struct kc_config *cfg, struct db *db, int argc,
    char **argv)
{
	struct keyring	kr;
	char		err[256] = "";
	int		done, rc, force = 0;

	if (argc == 1 && strcmp(argv[0], "--force") == 0)
		force = 1;
	else if (argc != 0) {
		admin_err("unexpected argument '%s'", argv[0]);
		return EXIT_USAGE;
	}
	if (keyring_parse(cfg->master_keys, &kr, err, sizeof(err)) != KC_OK) {
		admin_err("%s", err);
		return EXIT_FAIL;
	}
	if (!force && (rc = all_hold(db, keyring_newest(&kr))) != EXIT_OK) {
		keyring_wipe(&kr);
		return rc;
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
