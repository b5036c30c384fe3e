/*
 * The seed's KlaviyoSync model over klaviyo_syncs: one row per Klaviyo
 * account and store, its state JSONB holding per type (campaigns,
 * segments, flows, forms, orders) last_sync, status, progress and
 * last_error.  Each method is one SQL statement.
 */
#ifndef KC_KSYNC_H
#define KC_KSYNC_H

#include "db.h"
#include "kc_err.h"

/* findOrCreateByKlaviyoId */
int	ksync_find_or_create(struct db *, const char *klaviyo_public_id,
	    long long store_id, long long *id) KC_MUSTCHECK;
/* The store's rows go (a disconnect, another account). */
int	ksync_delete_store(struct db *, long long store_id) KC_MUSTCHECK;
/* startSync: the type's state becomes running. */
int	ksync_start(struct db *, long long store_id, const char *type)
	    KC_MUSTCHECK;
/* completeSync: status done (error NULL) or failed, last_sync. */
int	ksync_complete(struct db *, long long store_id, const char *type,
	    const char *error) KC_MUSTCHECK;
/*
 * getSyncDateRanges: the first day to read, as YYYY-MM-DD in the
 * account's timezone: "" for a full sync (no last_sync), else last_sync
 * minus lookback_days.  today gets the account's current day.
 */
int	ksync_date_range(struct db *, long long store_id, const char *type,
	    const char *timezone, int lookback_days, char *since, char *today,
	    size_t len) KC_MUSTCHECK;
/*
 * needsSync for every connected store and type at once (the intervals
 * of sync_type.h): enqueues the jobs that are due.
 */
int	ksync_schedule(struct db *, int *queued) KC_MUSTCHECK;

#endif
