/*
 * The seed's KlaviyoSync model over klaviyo_syncs: one row per Klaviyo
 * connection (a Klaviyo account of a store), its state JSONB holding per type (campaigns,
 * segments, flows, forms, orders) last_sync, status, progress and
 * last_error.  Each method is one SQL statement.
 */
#ifndef KC_KSYNC_H
#define KC_KSYNC_H

#include "db.h"
#include "kc_err.h"

/* findOrCreateByKlaviyoId */
int	ksync_find_or_create(struct db *, const char *klaviyo_public_id,
	    long long conn_id, long long *id) KC_MUSTCHECK;
/* The connection's row goes (a removal, another account). */
int	ksync_delete_connection(struct db *, long long conn_id) KC_MUSTCHECK;
/* The type's state goes (its data was deleted): the next sync is full. */
int	ksync_forget(struct db *, long long conn_id, const char *type)
	    KC_MUSTCHECK;
/* startSync: the type's state becomes running. */
int	ksync_start(struct db *, long long conn_id, const char *type)
	    KC_MUSTCHECK;
/*
 * completeSync: status done (error NULL) or failed; on success
 * last_sync is synced_to, the moment the job's windows were fixed
 * (NULL: now), so a job that stalled leaves no gap behind.
 */
int	ksync_complete(struct db *, long long conn_id, const char *type,
	    const char *error, const char *synced_to) KC_MUSTCHECK;
/*
 * getSyncDateRanges: the first day to read, as YYYY-MM-DD in the
 * account's timezone: "" for a full sync (no last_sync), else last_sync
 * minus lookback_days.  today gets the account's current day (both up
 * to len bytes) and at the database's clock, a timestamptz.
 */
int	ksync_date_range(struct db *, long long conn_id, const char *type,
	    const char *timezone, int lookback_days, char *since, char *today,
	    size_t len, char *at, size_t atlen) KC_MUSTCHECK;
/*
 * needsSync for every connected connection and type at once (the intervals
 * of sync_type.h): enqueues the jobs that are due.
 */
int	ksync_schedule(struct db *, int *queued) KC_MUSTCHECK;

#endif
