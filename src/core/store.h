/*
 * Rows of the stores table (the seed's Store): public id and name.  Its
 * Klaviyo connections belong to connection.h; the primary one gives the
 * list its status and account name.
 */
#ifndef KC_STORE_H
#define KC_STORE_H

#include "db.h"
#include "kc_err.h"

/* KC_ERR_CONFLICT when the public id is taken. */
int	store_add(struct db *, const char *public_id, const char *name)
	    KC_MUSTCHECK;
/* KC_ERR_NOT_FOUND when no store has the public id. */
int	store_find(struct db *, const char *public_id, long long *id)
	    KC_MUSTCHECK;

struct store_row {
	const char	*public_id;
	const char	*name;
	const char	*klaviyo_status;
	const char	*account_name;	/* "-" when not connected */
	const char	*accounts;	/* Klaviyo connections, decimal */
};
/* Every store by name, each given to fn (which may fail the list). */
int	store_list(struct db *, int (*fn)(void *, const struct store_row *),
	    void *arg) KC_MUSTCHECK;

#endif
