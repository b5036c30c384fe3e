/*
 * What GET .../klaviyo-connect (the primary connection) and each account
 * of GET .../klaviyo-accounts show of syncing: per type the latest job
 * (state, done/total), last sync and last error, and one overall
 * sync_status: idle, queued, running, completed or failed.
 */
#ifndef KC_SYNC_STATUS_H
#define KC_SYNC_STATUS_H

#include <json-c/json.h>

#include "db.h"
#include "kc_err.h"

/* Of a connection (0: none, an empty object); *status is static. */
int	sync_status_json(struct db *, long long conn_id,
	    struct json_object **sync, const char **status) KC_MUSTCHECK;

#endif
