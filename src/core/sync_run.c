/* Running a sync job; see sync.h. */
#include "sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect_store.h"
#include "integration.h"
#include "json_util.h"
#include "ksync.h"
#include "log.h"
#include "sync_step.h"

#define SYNC_MAX_ATTEMPTS 5

/* The credential was refused: mark the store, stop its other jobs. */
static void
credential_refused(struct sync_ctx *sc)
{
	if (connection_mark_refused(sc->db, sc->job->conn_id, sc->error,
	    "the credential was refused") != KC_OK)
		log_warnx("cannot mark store %s as refused",
		    sc->job->store_public_id);
}

/*
 * A job that waits for a retry no longer updates the dashboard; a
 * parked one still does (it is mid-sync), so its store is not touched.
 */
static int
requeue(struct sync_ctx *sc, long wait, const char *why, int park)
{
	int rc;

	if (park)
		return jobq_park(sc->db, sc->job, sc->owner, wait);
	rc = jobq_reschedule(sc->db, sc->job, sc->owner, wait, why);
	if (rc == KC_OK)
		rc = integ_track_sync(sc->db, sc->job->conn_id, NULL, NULL);
	return rc;
}

/* completeSync, on klaviyo_syncs and the store, in one transaction. */
static int
completed(struct sync_ctx *sc, const char *error)
{
	int rc;

	if ((rc = db_begin(sc->db)) != KC_OK)
		return rc;
	if ((rc = integ_hold(sc->db, sc->job->conn_id, 1)) != KC_OK ||
	    (rc = ksync_complete(sc->db, sc->job->conn_id, sc->job->type,
	    error, json_get_str(sc->job->cursor, "synced_to"))) != KC_OK ||
	    (rc = integ_track_sync(sc->db, sc->job->conn_id, sc->type,
	    error)) != KC_OK || (rc = db_commit(sc->db)) != KC_OK)
		db_rollback(sc->db);
	return rc;
}

static int
finish(struct sync_ctx *sc, int rc)
{
	struct job	*j = sc->job;
	long		 wait;

	if (rc == KC_OK) {
		if ((rc = jobq_finish(sc->db, j, sc->owner, "done", NULL)) ==
		    KC_OK)
			rc = completed(sc, NULL);
		log_info("job %lld %s of store %s done: %lld/%lld, %d report "
		    "requests", j->id, j->type, j->store_public_id, sc->done,
		    sc->total, sc->report_requests);
		return rc;
	}
	if (rc == KC_ERR_CONFLICT) {
		log_info("job %lld %s was cancelled or lost its lease", j->id,
		    j->type);
		return KC_OK;
	}
	if (*sc->stopping) {
		log_info("job %lld released at shutdown", j->id);
		return requeue(sc, 0, "released at shutdown", 0);
	}
	if (rc == KC_ERR_RATE_LIMITED && sc->yield) {
		/* Planned: claimed again in the order sql/009 gives. */
		log_debug("job %lld yields after planning its windows", j->id);
		return requeue(sc, 0, NULL, 1);
	}
	if (rc == KC_ERR_RATE_LIMITED && sc->slot_wait) {
		/*
		 * The account's next slot is far: park the job in the queue
		 * until then (its cursor is saved), so the slot it held in
		 * this process runs another account's job meanwhile.  Not an
		 * error: nothing shows on the page.
		 */
		wait = sc->retry_after > 0 ? sc->retry_after : 1;
		log_debug("job %lld parked for %ld s: the account's rate-limit "
		    "slot", j->id, wait);
		return requeue(sc, wait, NULL, 1);
	}
	if (rc == KC_ERR_RATE_LIMITED) {
		wait = sc->retry_after > 0 ? sc->retry_after : 60;
		log_info("job %lld rescheduled in %ld s: %s", j->id, wait,
		    sc->error);
		return requeue(sc, wait, sc->error, 0);
	}
	if (rc == KC_ERR_UNPROCESSABLE && sc->scope_missing) {
		/* The other types go on; this one waits for a new key. */
		log_warnx("job %lld %s of store %s: %s", j->id, j->type,
		    j->store_public_id, sc->error);
	} else if (rc == KC_ERR_UNPROCESSABLE) {
		credential_refused(sc);
	} else if (rc != KC_ERR_CRYPTO && j->attempts < SYNC_MAX_ATTEMPTS &&
	    rc != KC_ERR_INTERNAL) {
		wait = 30L << (j->attempts < 6 ? j->attempts : 6);
		log_warnx("job %lld %s failed (attempt %d), retrying in %ld s: "
		    "%s", j->id, j->type, j->attempts, wait, sc->error);
		return requeue(sc, wait, sc->error, 0);
	}
	log_warnx("job %lld %s of store %s failed: %s", j->id, j->type,
	    j->store_public_id, sc->error);
	if (jobq_finish(sc->db, j, sc->owner, "failed", sc->error) != KC_OK)
		return KC_OK;
	return completed(sc, sc->error);
}

int
sync_run_job(struct sync_ctx *sc)
{
	struct job		*j = sc->job;
	const struct integration *in = &j->integ;
	struct oauth_error	 oe;
	long long		 known;
	int			 rc, resumed;

	sc->kid = in->account_id;
	sc->metric_id = in->metric.id;
	sc->tz = in->account.timezone ? in->account.timezone : "UTC";
	sc->currency = in->account.currency;
	sc->held = -1;
	if ((sc->type = sync_type_find(j->type)) == NULL) {
		snprintf(sc->error, sizeof(sc->error), "unknown job type");
		return jobq_finish(sc->db, j, sc->owner, "failed", sc->error);
	}
	if (in->status != INTEG_CONNECTED || sc->kid == NULL ||
	    sc->metric_id == NULL) {
		snprintf(sc->error, sizeof(sc->error), "Klaviyo is not "
		    "connected");
		return jobq_finish(sc->db, j, sc->owner, "cancelled",
		    sc->error);
	}
	if (sc->type->needs_placed_order && !in->metric.shopify_placed_order)
		return jobq_finish(sc->db, j, sc->owner, "cancelled",
		    "orders are synced only with Shopify's Placed Order");
	rc = cred_open(sc->db, sc->keyring, sc->oauth, j->conn_id,
	    j->store_public_id, &sc->cred, &oe);
	if (rc != KC_OK) {
		snprintf(sc->error, sizeof(sc->error), "%s", oe.msg[0] ?
		    oe.msg : "the stored credential cannot be read");
		if (rc == KC_ERR_NOT_FOUND)
			rc = KC_ERR_CONFLICT;
		else if (rc != KC_ERR_DB_DOWN && rc != KC_ERR_UNPROCESSABLE &&
		    rc != KC_ERR_UPSTREAM && rc != KC_ERR_TIMEOUT)
			rc = KC_ERR_CRYPTO;
		return finish(sc, rc);
	}
	snprintf(sc->acct, sizeof(sc->acct), "acct:%s", sc->kid);
	/*
	 * A job resumed from its cursor (parked, yielded, retried) started
	 * before: its sync's start time and the store's updating flag stand.
	 */
	resumed = json_object_object_length(j->cursor) > 0;
	/* What was known before: progress counts against it. */
	if (!json_object_object_get_ex(j->cursor, "known", NULL) &&
	    (rc = sync_count_objects(sc, &known)) == KC_OK) {
		sc->held = known;
		rc = json_add_int(j->cursor, "known", known);
	}
	if (rc != KC_OK) {
		cred_close(&sc->cred);
		return finish(sc, rc);
	}
	if (resumed || ((rc = ksync_start(sc->db, j->conn_id, j->type)) ==
	    KC_OK && (rc = integ_track_sync(sc->db, j->conn_id, NULL,
	    NULL)) == KC_OK))
		rc = sc->type->run(sc);
	rc = finish(sc, rc);
	cred_close(&sc->cred);
	return rc;
}
