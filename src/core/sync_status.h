/*
 * What GET .../klaviyo-connect shows of syncing: per type the latest job
 * (state, done/total), last sync and last error, and one overall
 * sync_status: idle, queued, running, completed or failed.
 */
#ifndef KC_SYNC_STATUS_H
#define KC_SYNC_STATUS_H

#include <json-c/json.h>

#include "db.h"
#include "kc_err.h"

/* *status points to a static string. */
int	sync_status_json(struct db *, long long store_id,
	    struct json_object **sync, const char **status) KC_MUSTCHECK;

#endif
