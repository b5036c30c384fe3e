/* Applying webhook deliveries; see webhook_inbox.h. */
#include "webhook_inbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "integration.h"
#include "json_util.h"
#include "log.h"
#include "sync_settings.h"
#include "sync_type.h"

static const char SQL_CLAIM[] =
    "SELECT i.id, i.body::text, w.id, w.connection_id,"
    " coalesce(w.order_topic, ''), " INTEG_SQL_DOC("k")
    " FROM webhook_inbox i JOIN klaviyo_webhooks w ON w.id = i.webhook_id"
    " JOIN klaviyo_connections k ON k.id = w.connection_id"
    " WHERE i.processed_at IS NULL ORDER BY i.id LIMIT 1"
    " FOR UPDATE OF i SKIP LOCKED";
/* The events not applied before, of a JSON array of ids. */
static const char SQL_SEEN[] =
    "INSERT INTO webhook_events_seen (webhook_id, event_id)"
    " SELECT $1, e FROM jsonb_array_elements_text($2::jsonb) AS e"
    " ON CONFLICT DO NOTHING RETURNING event_id";
static const char SQL_DONE[] =
    "UPDATE webhook_inbox SET processed_at = now(), result = $2::jsonb"
    " WHERE id = $1";
/* Report requests of the account's endpoint within its daily window. */
static const char SQL_DAY_HITS[] =
    "SELECT count(*) FROM rate_buckets b, unnest(b.hits) AS h"
    " WHERE b.account_key = $1 AND b.endpoint = $2 AND b.window_ms ="
    "  (SELECT max(window_ms) FROM rate_buckets"
    "   WHERE account_key = $1 AND endpoint = $2)"
    " AND h > now() - make_interval(secs => b.window_ms / 1000.0)";
/* One incremental sync, unless one is queued, running or recent. */
static const char SQL_NUDGE[] =
    "INSERT INTO sync_jobs (store_id, connection_id, type, mode, run_after)"
    " SELECT k.store_id, k.id, $2, 'incremental',"
    " now() + make_interval(secs => $3)"
    " FROM klaviyo_connections k WHERE k.id = $1 AND NOT EXISTS"
    " (SELECT 1 FROM sync_jobs j WHERE j.connection_id = $1"
    "  AND j.type = $2 AND (j.state IN ('queued', 'running')"
    "  OR j.created_at > now() - make_interval(secs => $4)))"
    " ON CONFLICT (connection_id, type) WHERE state = 'queued' DO NOTHING";

struct json_object *
webhook_item_event(struct json_object *item)
{
	struct json_object *p, *d;

	if (!json_object_object_get_ex(item, "payload", &p) ||
	    !json_object_is_type(p, json_type_object))
		return NULL;
	if (json_object_object_get_ex(p, "data", &d) &&
	    json_object_is_type(d, json_type_object))
		return d;
	return p;
}

const char *
webhook_topic_type(const char *topic, struct json_object *event)
{
	struct json_object *at, *props, *f;

	if (topic == NULL || strncmp(topic, "event:klaviyo.", 14) != 0)
		return NULL;
	/* A flow's message says which flow; a campaign's does not. */
	if (json_object_object_get_ex(event, "attributes", &at) &&
	    json_object_object_get_ex(at, "event_properties", &props) &&
	    json_object_object_get_ex(props, "$flow", &f) &&
	    json_object_is_type(f, json_type_string) &&
	    json_object_get_string_len(f) > 0)
		return "flows";
	return "campaigns";
}

/* The ids of the items not applied before, as a set (an object). */
static int
fresh_ids(struct db *db, long long wid, struct json_object *data,
    struct json_object **fresh)
{
	struct json_object	*ids;
	char			 id[24];
	const char		*params[2];
	PGresult		*res = NULL;
	size_t			 i;
	int			 r, rc;

	*fresh = NULL;
	if ((ids = json_object_new_array()) == NULL)
		return KC_ERR_NOMEM;
	for (i = 0; i < json_object_array_length(data); i++) {
		const char *e = json_get_str(json_object_array_get_idx(data,
		    i), "external_id");

		if (e && json_object_array_add(ids,
		    json_object_new_string(e)) != 0) {
			json_object_put(ids);
			return KC_ERR_NOMEM;
		}
	}
	snprintf(id, sizeof(id), "%lld", wid);
	params[0] = id;
	params[1] = json_object_to_json_string_ext(ids,
	    JSON_C_TO_STRING_PLAIN);
	rc = db_query(db, SQL_SEEN, 2, params, &res);
	json_object_put(ids);
	if (rc != KC_OK)
		return rc;
	if ((*fresh = json_object_new_object()) == NULL)
		rc = KC_ERR_NOMEM;
	for (r = 0; rc == KC_OK && r < PQntuples(res); r++)
		rc = json_add_bool(*fresh, PQgetvalue(res, r, 0), 1);
	PQclear(res);
	return rc;
}

/* Room in the account's report budget beyond its schedules? */
static int
budget_allows(struct db *db, long long conn_id, const char *account,
    const struct sync_type *t, const struct type_setting *ts)
{
	double		 others[SYNC_TYPE_COUNT];
	char		 key[160];
	const char	*params[2] = { key, NULL };
	PGresult	*res = NULL;
	double		 planned, hits;

	if (t->report_ep == KV__MAX)
		return 1;
	if (sync_settings_others(db, conn_id, account, others) != KC_OK)
		return 0;
	snprintf(key, sizeof(key), "acct:%s", account);
	params[1] = kv_endpoints[t->report_ep].name;
	if (db_query(db, SQL_DAY_HITS, 2, params, &res) != KC_OK)
		return 0;
	hits = strtod(PQgetvalue(res, 0, 0), NULL);
	PQclear(res);
	/* The day's plan in full, as if none of it had run yet. */
	planned = others[t->id] + sync_reports_per_day(t, ts->interval_hours);
	return hits + planned + 1 <= SYNC_REPORTS_BUDGET;
}

static int
nudge(struct db *db, long long conn_id, const struct integration *in,
    const struct sync_settings *ss, const char *type,
    const struct webhook_inbox_opts *o, int *queued)
{
	const struct sync_type	*t = sync_type_find(type);
	char			 id[24], delay[24], deb[24];
	const char		*params[4] = { id, type, delay, deb };
	PGresult		*res = NULL;
	int			 rc;

	*queued = 0;
	if (t == NULL ||
	    !sync_settings_syncs(ss, t, in->metric.shopify_placed_order) ||
	    !budget_allows(db, conn_id, in->account_id, t, &ss->t[t->id]))
		return KC_OK;
	snprintf(id, sizeof(id), "%lld", conn_id);
	snprintf(delay, sizeof(delay), "%ld", o->delay_s);
	snprintf(deb, sizeof(deb), "%ld", o->debounce_s);
	if ((rc = db_query(db, SQL_NUDGE, 4, params, &res)) != KC_OK)
		return rc;
	*queued = strcmp(PQcmdTuples(res), "1") == 0;
	PQclear(res);
	return KC_OK;
}

struct outcome {
	int	events, fresh, orders, other, syncs;
};

/* Applies one delivery's events, inside the claim's transaction. */
static int
apply(struct db *db, long long wid, long long conn_id, const char *body,
    const char *order_topic, const struct integration *in,
    const struct webhook_inbox_opts *o, struct outcome *out)
{
	struct sync_settings	 ss;
	struct json_object	*doc = NULL, *data, *fresh = NULL, *rows = NULL;
	char			 err[64], cid[24];
	const char		*params[2];
	const char		*types[2] = { NULL, NULL };
	PGresult		*res = NULL;
	size_t			 i;
	int			 rc, orders_on, tmp;

	if ((rc = json_parse_object(body, strlen(body), &doc, err,
	    sizeof(err))) != KC_OK)
		return KC_ERR_BAD_INPUT;
	if (!json_object_object_get_ex(doc, "data", &data) ||
	    !json_object_is_type(data, json_type_array)) {
		rc = KC_ERR_BAD_INPUT;
		goto out;
	}
	out->events = (int)json_object_array_length(data);
	if ((rc = sync_settings_load(db, conn_id, &ss)) != KC_OK ||
	    (rc = fresh_ids(db, wid, data, &fresh)) != KC_OK)
		goto out;
	orders_on = in->status == INTEG_CONNECTED && *order_topic &&
	    in->metric.shopify_placed_order && ss.t[SYNC_ORDERS].enabled;
	if ((rows = json_object_new_array()) == NULL) {
		rc = KC_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < json_object_array_length(data); i++) {
		struct json_object	*it = json_object_array_get_idx(data, i);
		struct json_object	*ev = webhook_item_event(it), *row;
		const char		*eid = json_get_str(it, "external_id");
		const char		*topic = json_get_str(it, "topic"), *ty;

		if (eid == NULL || !json_object_object_get_ex(fresh, eid,
		    NULL))
			continue;
		/* Applied now: a second copy in this batch is a repeat. */
		json_object_object_del(fresh, eid);
		out->fresh++;
		if (ev && topic && strcmp(topic, order_topic) == 0) {
			if (!orders_on)
				continue;
			if ((rc = sync_order_row(ev, in->account.currency,
			    &row)) != KC_OK)
				goto out;
			if (row && json_object_array_add(rows, row) != 0) {
				json_object_put(row);
				rc = KC_ERR_NOMEM;
				goto out;
			}
			continue;
		}
		out->other++;
		if ((ty = webhook_topic_type(topic, ev)) != NULL &&
		    in->status == INTEG_CONNECTED)
			types[strcmp(ty, "flows") == 0] = ty;
	}
	if (json_object_array_length(rows) > 0) {
		snprintf(cid, sizeof(cid), "%lld", conn_id);
		params[0] = cid;
		params[1] = json_object_to_json_string_ext(rows,
		    JSON_C_TO_STRING_PLAIN);
		if ((rc = db_query(db, sync_types[SYNC_ORDERS].sql_upsert, 2,
		    params, &res)) != KC_OK)
			goto out;
		out->orders = atoi(PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	for (i = 0; i < 2; i++)
		if (types[i] && (rc = nudge(db, conn_id, in, &ss, types[i], o,
		    &tmp)) != KC_OK)
			goto out;
		else if (types[i])
			out->syncs += tmp;
out:
	json_object_put(rows);
	json_object_put(fresh);
	json_object_put(doc);
	return rc;
}

static int
finish(struct db *db, const char *id, const struct outcome *r,
    const char *error)
{
	char		 text[256];
	const char	*params[2] = { id, text };

	if (error)
		snprintf(text, sizeof(text), "{\"error\":\"%s\"}", error);
	else
		snprintf(text, sizeof(text), "{\"events\":%d,\"new\":%d,"
		    "\"orders\":%d,\"other\":%d,\"syncs_queued\":%d}",
		    r->events, r->fresh, r->orders, r->other, r->syncs);
	return db_query_commit(db, SQL_DONE, 2, params, NULL);
}

static int
one(struct db *db, const struct webhook_inbox_opts *o, int *done)
{
	struct integration	 in;
	struct outcome		 r;
	PGresult		*res = NULL;
	long long		 wid, conn;
	int			 rc;

	*done = 0;
	memset(&r, 0, sizeof(r));
	memset(&in, 0, sizeof(in));
	if ((rc = db_begin(db)) != KC_OK)
		return rc;
	if ((rc = db_query(db, SQL_CLAIM, 0, NULL, &res)) != KC_OK)
		goto fail;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return db_commit(db);
	}
	wid = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	conn = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
	if ((rc = integ_parse(PQgetvalue(res, 0, 5), &in)) != KC_OK)
		goto fail;
	rc = apply(db, wid, conn, PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 4),
	    &in, o, &r);
	if (rc == KC_ERR_BAD_INPUT) {
		/* Checked when received: kept, marked, never retried. */
		db_rollback(db);
		integ_clear(&in);
		log_warnx("webhook delivery %s is not a batch of events",
		    PQgetvalue(res, 0, 0));
		if ((rc = db_begin(db)) == KC_OK &&
		    (rc = finish(db, PQgetvalue(res, 0, 0), &r,
		    "not_a_batch")) != KC_OK)
			db_rollback(db);
		PQclear(res);
		*done = rc == KC_OK;
		return rc;
	}
	if (rc != KC_OK || (rc = finish(db, PQgetvalue(res, 0, 0), &r, NULL)) !=
	    KC_OK)
		goto fail;
	if (r.orders || r.syncs)
		log_info("webhook delivery %s: %d events, %d new orders, %d "
		    "syncs queued", PQgetvalue(res, 0, 0), r.events, r.orders,
		    r.syncs);
	PQclear(res);
	integ_clear(&in);
	*done = 1;
	return KC_OK;
fail:
	db_rollback(db);
	PQclear(res);
	integ_clear(&in);
	return rc;
}

int
webhook_inbox_run(struct db *db, const struct webhook_inbox_opts *o, int max,
    int *n)
{
	int done, rc;

	*n = 0;
	while (*n < max) {
		if ((rc = one(db, o, &done)) != KC_OK)
			return rc;
		if (!done)
			return KC_OK;
		(*n)++;
	}
	return KC_OK;
}
