/* SIGHUP in the FastCGI master; see hup.h. */
#include "hup.h"

#include "db.h"
#include "log.h"
#include "reload.h"
#include "sdnotify.h"
#include "sighup.h"

void
master_hup(const struct kc_config *cfg, struct keyring *kr,
    const pid_t *workers, long n)
{
	struct db	*db = NULL;

	(void)sdnotify("RELOADING=1");
	/* A short connection of its own, as at start (check_keys). */
	if (db_open(cfg->database_url, "klaviyo-connect-fcgi", &db) != KC_OK)
		log_warnx("reload: out of memory; keys not checked");
	(void)reload_apply(cfg, kr, db);
	db_close(db);
	/* Each worker checks and applies for itself. */
	sighup_forward(workers, n);
	(void)sdnotify("READY=1");
}
