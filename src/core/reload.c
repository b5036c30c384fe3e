/* Reload on SIGHUP; see reload.h. */
#include "reload.h"

#include <stdio.h>
#include <string.h>

#include "credential.h"
#include "log.h"

/* The settings that reload_apply changes without a restart. */
static int
reloadable(const char *name)
{
	return strcmp(name, "LOG_LEVEL") == 0 ||
	    strcmp(name, "KC_MASTER_KEYS") == 0;
}

static int
same(const struct config_var *v, const struct kc_config *a,
    const struct kc_config *b)
{
	const char	*sa, *sb;

	if (v->type == CFG_INT || v->type == CFG_OCTAL)
		return *(const long *)((const char *)a + v->offset) ==
		    *(const long *)((const char *)b + v->offset);
	sa = *(const char *const *)((const char *)a + v->offset);
	sb = *(const char *const *)((const char *)b + v->offset);
	return strcmp(sa, sb) == 0;
}

int
reload_apply(const struct kc_config *cur, struct keyring *kr, struct db *db)
{
	struct kc_config	 cfg;
	struct keyring		 nkr;
	enum log_level		 lvl;
	char			 err[512], stale[256];
	size_t			 i, o = 0;
	int			 rc;

	memset(&cfg, 0, sizeof(cfg));
	memset(&nkr, 0, sizeof(nkr));
	if ((rc = config_load(&cfg, err, sizeof(err))) != KC_OK) {
		log_warnx("reload refused, running settings kept: %s", err);
		return rc;
	}
	if ((rc = keyring_parse(cfg.master_keys, &nkr, err, sizeof(err))) !=
	    KC_OK) {
		log_warnx("reload refused, running settings kept: %s", err);
		goto out;
	}
	/* Keys that cannot open what is stored would break every connect. */
	if (db != NULL && db_ensure(db) == KC_OK &&
	    (rc = credential_check_keyring(db, &nkr, err, sizeof(err))) ==
	    KC_ERR_CONFIG) {
		log_warnx("reload refused, running settings kept: %s", err);
		goto out;
	}
	(void)log_level_parse(cfg.log_level, &lvl);
	log_set_level(lvl);
	*kr = nkr;
	stale[0] = '\0';
	for (i = 0; i < config_nvars; i++) {
		if (reloadable(config_vars[i].name) ||
		    same(&config_vars[i], cur, &cfg))
			continue;
		if (o < sizeof(stale))
			o += (size_t)snprintf(stale + o, sizeof(stale) - o,
			    "%s%s", o ? ", " : "", config_vars[i].name);
	}
	if (*stale)
		log_warnx("reloaded: log level %s, %d master keys (newest "
		    "version %d); changed but needing a restart: %s",
		    cfg.log_level, kr->n, keyring_newest(kr), stale);
	else
		log_info("reloaded: log level %s, %d master keys (newest "
		    "version %d)", cfg.log_level, kr->n, keyring_newest(kr));
	rc = KC_OK;
out:
	keyring_wipe(&nkr);
	config_free(&cfg);
	return rc;
}
