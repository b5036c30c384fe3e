/*
 * The built-in report server (DESIGN.md 6): the seed's full_sync payload
 * {klaviyo_public_id, store_public_id, do_not_order_sync} (and, from
 * klaviyo-connect's own triggers, klaviyo_connection_id) becomes full
 * sync jobs of that Klaviyo connection, orders only when
 * do_not_order_sync is false.  Used by the
 * outbox (no REPORT_SERVER set) and by POST /api/v1/reports/full_sync.
 */
#ifndef KC_REPORT_H
#define KC_REPORT_H

#include <json-c/json.h>

#include "db.h"
#include "kc_err.h"

/*
 * Enqueues the jobs inside the caller's transaction; *jobs gets an array
 * of {type, id}.  KC_ERR_NOT_FOUND when no connection of the store has
 * the account (or, connection_public_id not NULL, not that one).
 */
int	report_full_sync(struct db *, const char *store_public_id,
	    const char *klaviyo_public_id, const char *connection_public_id,
	    int do_not_order_sync,
	    long long trigger_id, struct json_object **jobs) KC_MUSTCHECK;
/* Validates a payload object; err says what is wrong. */
int	report_payload_check(struct json_object *, char *err, size_t)
	    KC_MUSTCHECK;

/*
 * Idempotency-Keys (report_requests), inside the caller's transaction:
 * *resp gets the answer already given for key, or NULL.
 */
int	report_request_seen(struct db *, const char *key,
	    struct json_object **resp) KC_MUSTCHECK;
/* Records the answer; KC_ERR_CONFLICT when the key raced us. */
int	report_request_remember(struct db *, const char *key,
	    struct json_object *resp) KC_MUSTCHECK;

#endif
