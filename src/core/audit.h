/*
 * audit_log rows: who did what to which store, from where, and how it
 * ended.  detail never holds a secret (keys appear only as their hint).
 */
#ifndef KC_AUDIT_H
#define KC_AUDIT_H

#include <json-c/json.h>

#include "db.h"
#include "kc_err.h"

/* actor and store 0 mean NULL; detail is borrowed and may be NULL. */
int	audit_log(struct db *, long long actor, long long store_id,
	    const char *action, const char *outcome, const char *ip,
	    struct json_object *detail) KC_MUSTCHECK;

/* A row of the system (no actor) about the store with that public id. */
int	audit_log_store(struct db *, const char *store_public_id,
	    const char *action, const char *outcome,
	    struct json_object *detail) KC_MUSTCHECK;
/*
 * A row of the system (no actor) about a Klaviyo connection: its store,
 * and its public id and account id added to detail.  Nothing when the
 * connection is gone.
 */
int	audit_log_connection(struct db *, long long conn_id,
	    const char *action, const char *outcome,
	    struct json_object *detail) KC_MUSTCHECK;

#endif
