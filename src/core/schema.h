/*
 * The schema this build needs: every migration of sql/ up to the newest
 * this code was written against.  A service started on an older database
 * (someone forgot "klaviyo-admin migrate") would fail later, request by
 * request, on a missing column; it refuses at start instead.
 */
#ifndef KC_SCHEMA_H
#define KC_SCHEMA_H

#include <stddef.h>

#include "db.h"
#include "kc_err.h"

/* The migration files this build needs, oldest first. */
extern const char *const schema_required[];
extern const size_t schema_nrequired;

/*
 * KC_OK when every required migration is recorded in schema_migrations;
 * KC_ERR_CONFIG with one line in err naming the first missing one;
 * another error when the database could not be read.
 */
int	schema_check(struct db *, char *err, size_t errlen) KC_MUSTCHECK;
/*
 * The start-up check of a service: prints "prog: <why>" and returns
 * KC_ERR_CONFIG on an older schema; a database that is down now is only
 * logged (the service reconnects; the next start checks again).
 */
int	schema_check_start(struct db *, const char *prog) KC_MUSTCHECK;

/* The same on a connection of its own (a service before it forks). */
int	schema_check_url(const char *database_url, const char *prog)
	    KC_MUSTCHECK;

#endif
