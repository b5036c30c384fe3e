/*
 * What SIGHUP changes in a running program (sighup.h sets the flag; the
 * program's loop calls reload_apply).  The environment of a process is
 * fixed at exec, so the configuration is read again for the files that
 * NAME_FILE names: LOG_LEVEL and the master keys (KC_MASTER_KEYS, for a
 * key rotation) take effect at once; any other setting that differs is
 * named in a warning and waits for a restart.  A configuration or keyring
 * that does not load, or keys that cannot open a stored credential, are
 * refused and the running ones kept.  One log line per reload.
 */
#ifndef KC_RELOAD_H
#define KC_RELOAD_H

#include "config.h"
#include "db.h"
#include "secretbox.h"

/*
 * cur: the settings the program runs with (compared, never changed);
 * kr: its keyring, replaced on success; db: when not NULL, the new keys
 * are checked against the stored credentials first.  KC_OK when applied,
 * else the running settings stay and a warning says why.
 */
int	reload_apply(const struct kc_config *cur, struct keyring *kr,
	    struct db *db);

#endif
