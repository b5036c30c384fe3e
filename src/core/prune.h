/*
 * Retention: old rows of the tables that only grow (audit log, finished
 * jobs, delivered triggers, rate-limit windows, login counters, report
 * idempotency keys, expired sessions and OAuth attempts) are deleted
 * after the ages of the PRUNE_* settings.  klaviyo-admin prune runs it by
 * hand; klaviyo-syncd once every PRUNE_INTERVAL_HOURS, once for all its
 * instances (an advisory lock and the maintenance_runs row).
 */
#ifndef KC_PRUNE_H
#define KC_PRUNE_H

#include "config.h"
#include "db.h"
#include "kc_err.h"

/*
 * Deletes (or with dry_run counts) what is old enough in each table,
 * calling fn(arg, table, what, days, rows) per table.
 */
int	prune_run(struct db *, const struct kc_config *, int dry_run,
	    void (*fn)(void *, const char *table, const char *what,
	    long days, long long rows), void *arg) KC_MUSTCHECK;
/*
 * The daemon's: prunes when no other instance holds the prune lock and
 * the last prune is PRUNE_INTERVAL_HOURS old; *rows gets the rows
 * deleted, -1 when it was not this call's turn.
 */
int	prune_if_due(struct db *, const struct kc_config *, long long *rows)
	    KC_MUSTCHECK;

/*
 * The daemon loop's call: prune_if_due at most every ten minutes of this
 * process (nothing when PRUNE_INTERVAL_HOURS is 0); failures are logged.
 */
void	prune_tick(struct db *, const struct kc_config *);

#endif
