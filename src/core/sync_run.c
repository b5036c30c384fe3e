/* Running a sync job; see sync.h. */
#include "sync.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "connect_store.h"
#include "json_util.h"
#include "ksync.h"
#include "log.h"

#define SYNC_MAX_ATTEMPTS 5

static const char SQL_NOT_UPDATING[] =
    "UPDATE stores SET klaviyo_integration = klaviyo_integration"
    " || jsonb_build_object('is_updating_dashboard', EXISTS (SELECT 1"
    " FROM sync_jobs j WHERE j.store_id = $1 AND j.state = 'running'))"
    " WHERE id = $1 AND klaviyo_integration ->> 'status' <> 'not_configured'";

int
sync_day_add(const char *day, int n, char *out, size_t len)
{
	struct tm	tm;
	time_t		t;

	memset(&tm, 0, sizeof(tm));
	if (strlen(day) != 10 || sscanf(day, "%4d-%2d-%2d", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday) != 3)
		return KC_ERR_BAD_INPUT;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_hour = 12;	/* far from any day boundary */
	tm.tm_mday += n;
	if ((t = timegm(&tm)) == (time_t)-1 || gmtime_r(&t, &tm) == NULL)
		return KC_ERR_BAD_INPUT;
	return strftime(out, len, "%Y-%m-%d", &tm) == 10 ? KC_OK :
	    KC_ERR_BAD_INPUT;
}

int
sync_windows(const char *since, const char *until, int days,
    struct json_object **out)
{
	struct json_object	*arr, *w;
	char			 start[16], end[16], next[16];
	int			 rc;

	*out = NULL;
	if ((arr = json_object_new_array()) == NULL)
		return KC_ERR_NOMEM;
	snprintf(start, sizeof(start), "%s", since);
	while (strcmp(start, until) <= 0) {
		if ((rc = sync_day_add(start, days - 1, end, sizeof(end))) !=
		    KC_OK)
			goto fail;
		if (strcmp(end, until) > 0)
			snprintf(end, sizeof(end), "%s", until);
		rc = KC_ERR_NOMEM;
		if ((w = json_object_new_array()) == NULL ||
		    json_object_array_add(w, json_object_new_string(start)) ||
		    json_object_array_add(w, json_object_new_string(end)) ||
		    json_object_array_add(arr, w)) {
			json_object_put(w);
			goto fail;
		}
		/* Whole days, never overlapping: the next starts after end. */
		if ((rc = sync_day_add(end, 1, next, sizeof(next))) != KC_OK)
			goto fail;
		snprintf(start, sizeof(start), "%s", next);
	}
	*out = arr;
	return KC_OK;
fail:
	json_object_put(arr);
	return rc;
}

int
sync_fetch(struct sync_ctx *sc, struct kv_call *call)
{
	int rc;

	rc = cred_run(&sc->cred, sc->kv, sc->acct, call, 1);
	if (call->body)
		sc->report_requests += call->requests;
	if (rc != KC_OK) {
		snprintf(sc->error, sizeof(sc->error), "%s",
		    kv_call_error(call));
		sc->retry_after = call->retry_after;
	}
	return rc;
}

int
sync_begin_step(struct sync_ctx *sc, struct json_object *cursor)
{
	struct json_object	*p = json_object_new_object();
	int			 rc;

	if (p == NULL || json_add_int(p, "done", sc->done) != KC_OK ||
	    json_add_int(p, "total", sc->total) != KC_OK) {
		json_object_put(p);
		return KC_ERR_NOMEM;
	}
	if ((rc = db_begin(sc->db)) != KC_OK) {
		json_object_put(p);
		return rc;
	}
	rc = jobq_heartbeat(sc->db, sc->job, sc->owner,
	    sc->opt->lease_seconds, p, cursor);
	json_object_put(p);
	if (rc != KC_OK)
		db_rollback(sc->db);
	return rc;
}

int
sync_commit_step(struct sync_ctx *sc)
{
	int rc = db_commit(sc->db);

	/* Each step's pages are freed by now: keep the footprint flat. */
	malloc_trim(0);
	if (rc != KC_OK)
		db_rollback(sc->db);
	return rc;
}

static int
run_type(struct sync_ctx *sc)
{
	const char *t = sc->job->type;

	if (strcmp(t, "campaigns") == 0)
		return sync_campaigns(sc);
	if (strcmp(t, "flows") == 0)
		return sync_flows(sc);
	if (strcmp(t, "segments") == 0)
		return sync_segments(sc);
	if (strcmp(t, "forms") == 0)
		return sync_forms(sc);
	if (strcmp(t, "orders") == 0)
		return sync_orders(sc);
	snprintf(sc->error, sizeof(sc->error), "unknown job type");
	return KC_ERR_INTERNAL;
}

/* The credential was refused: mark the store, stop its other jobs. */
static void
credential_refused(struct sync_ctx *sc)
{
	if (store_mark_refused(sc->db, sc->job->store_id, sc->error,
	    "the credential was refused") != KC_OK)
		log_warnx("cannot mark store %s as refused",
		    sc->job->store_public_id);
}

/* A job that waits again no longer updates the dashboard. */
static int
requeue(struct sync_ctx *sc, long wait, const char *why)
{
	char		 sid[24];
	const char	*params[1] = { sid };
	int		 rc;

	rc = jobq_reschedule(sc->db, sc->job, sc->owner, wait, why);
	snprintf(sid, sizeof(sid), "%lld", sc->job->store_id);
	if (rc == KC_OK)
		rc = db_query(sc->db, SQL_NOT_UPDATING, 1, params, NULL);
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
			rc = ksync_complete(sc->db, j->store_id, j->type,
			    NULL);
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
		return requeue(sc, 0, "released at shutdown");
	}
	if (rc == KC_ERR_RATE_LIMITED) {
		wait = sc->retry_after > 0 ? sc->retry_after : 60;
		log_info("job %lld rescheduled in %ld s: %s", j->id, wait,
		    sc->error);
		return requeue(sc, wait, sc->error);
	}
	if (rc == KC_ERR_UNPROCESSABLE) {
		credential_refused(sc);
	} else if (rc != KC_ERR_CRYPTO && j->attempts < SYNC_MAX_ATTEMPTS &&
	    rc != KC_ERR_INTERNAL) {
		wait = 30L << (j->attempts < 6 ? j->attempts : 6);
		log_warnx("job %lld %s failed (attempt %d), retrying in %ld s: "
		    "%s", j->id, j->type, j->attempts, wait, sc->error);
		return requeue(sc, wait, sc->error);
	}
	log_warnx("job %lld %s of store %s failed: %s", j->id, j->type,
	    j->store_public_id, sc->error);
	if (jobq_finish(sc->db, j, sc->owner, "failed", sc->error) != KC_OK)
		return KC_OK;
	return ksync_complete(sc->db, j->store_id, j->type, sc->error);
}

int
sync_run_job(struct sync_ctx *sc)
{
	struct job		*j = sc->job;
	struct json_object	*acct, *cm;
	struct oauth_error	 oe;
	const char		*status;
	int			 rc;

	status = json_get_str(j->integration, "status");
	sc->kid = json_get_str(j->integration, "public_id");
	sc->metric_id = json_get_str(j->integration, "conversion_metric_id");
	sc->tz = "UTC";
	if (json_object_object_get_ex(j->integration, "account", &acct) &&
	    json_get_str(acct, "timezone"))
		sc->tz = json_get_str(acct, "timezone");
	if (status == NULL || strcmp(status, "connected") != 0 ||
	    sc->kid == NULL || sc->metric_id == NULL) {
		snprintf(sc->error, sizeof(sc->error), "Klaviyo is not "
		    "connected");
		return jobq_finish(sc->db, j, sc->owner, "cancelled",
		    sc->error);
	}
	if (strcmp(j->type, "orders") == 0 &&
	    !(json_object_object_get_ex(j->integration, "conversion_metric",
	    &cm) && json_get_bool(cm, "isShopifyPlacedOrder")))
		return jobq_finish(sc->db, j, sc->owner, "cancelled",
		    "orders are synced only with Shopify's Placed Order");
	rc = cred_open(sc->db, sc->keyring, sc->oauth, j->store_id,
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
	if ((rc = ksync_start(sc->db, j->store_id, j->type)) == KC_OK)
		rc = run_type(sc);
	rc = finish(sc, rc);
	cred_close(&sc->cred);
	return rc;
}
