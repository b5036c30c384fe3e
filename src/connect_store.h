/*
 * Saving and removing a store's Klaviyo connection, each in one
 * transaction that locks the store row first, so two requests on one
 * store end in one consistent state, never a mix (DESIGN.md 2, 3).
 */
#ifndef KC_CONNECT_STORE_H
#define KC_CONNECT_STORE_H

#include <json-c/json.h>

#include "ctx.h"
#include "perm.h"

struct connect_result {
	struct json_object	*integration;	/* the public view */
	int			 rotated;	/* same account: key replaced */
	long long		 trigger_id;	/* 0: none enqueued */
};

/*
 * Encrypts the key and saves credential, klaviyo_integration, the
 * KlaviyoSync row, a report trigger (unless only the key was rotated) and
 * an audit row.  account and metric are the probe's objects.
 */
int	connect_save(struct kc_ctx *, const struct store_access *,
	    const char *key, struct json_object *account,
	    struct json_object *metric, struct connect_result *)
	    KC_MUSTCHECK;
/* Changes the conversion metric of a connected store. */
int	connect_change_metric(struct kc_ctx *, const struct store_access *,
	    struct json_object *metric, struct connect_result *)
	    KC_MUSTCHECK;
/* Disconnects; *was gets 1 when something was connected. */
int	connect_remove(struct kc_ctx *, const struct store_access *, int *was)
	    KC_MUSTCHECK;
void	connect_result_free(struct connect_result *);
/* Deletes everything synced for the store (inside a transaction). */
int	store_clear_klaviyo_data(struct db *, long long store_id)
	    KC_MUSTCHECK;

#endif
