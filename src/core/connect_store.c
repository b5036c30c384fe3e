/* Saving and removing Klaviyo connections; see connect_store.h. */
#include "connect_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "credential.h"
#include "jobq.h"
#include "json_util.h"
#include "log.h"
#include "oauth_flow.h"
#include "store.h"

static const char SQL_LOCK[] =
    "SELECT klaviyo_integration::text FROM stores WHERE id = $1 FOR UPDATE";
static const char SQL_SET[] =
    "UPDATE stores SET klaviyo_integration = $2::jsonb, updated_at = now()"
    " WHERE id = $1";
static const char SQL_SYNC_ROW[] =
    "INSERT INTO klaviyo_syncs (klaviyo_public_id, store_id)"
    " VALUES ($1, $2) ON CONFLICT (klaviyo_public_id, store_id) DO NOTHING";
static const char SQL_TRIGGER[] =
    "INSERT INTO report_triggers (store_id, payload)"
    " VALUES ($1, $2::jsonb) RETURNING id";
static const char SQL_CANCEL_TRIGGERS[] =
    "UPDATE report_triggers SET cancelled_at = now()"
    " WHERE store_id = $1 AND delivered_at IS NULL AND cancelled_at IS NULL";
static const char SQL_CLEAR_SYNCS[] =
    "DELETE FROM klaviyo_syncs WHERE store_id = $1";
/* Only a connected store: a disconnect meanwhile stays one. */
static const char SQL_MARK_REFUSED[] =
    "UPDATE stores SET klaviyo_integration = klaviyo_integration"
    " || jsonb_build_object('status', 'error', 'last_error', $2::text,"
    " 'is_updating_dashboard', false)"
    " WHERE id = $1 AND klaviyo_integration ->> 'status' = 'connected'";
static const char SQL_CANCEL_QUEUED[] =
    "UPDATE sync_jobs SET state = 'cancelled', finished_at = now(),"
    " last_error = $2 WHERE store_id = $1 AND state = 'queued'";
static const char *const SQL_CLEAR_DATA[] = {
	"DELETE FROM campaign_stats WHERE store_id = $1",
	"DELETE FROM campaigns WHERE store_id = $1",
	"DELETE FROM flow_series WHERE store_id = $1",
	"DELETE FROM flows WHERE store_id = $1",
	"DELETE FROM segment_series WHERE store_id = $1",
	"DELETE FROM segments WHERE store_id = $1",
	"DELETE FROM form_series WHERE store_id = $1",
	"DELETE FROM forms WHERE store_id = $1",
	"DELETE FROM orders WHERE store_id = $1",
};

/* Fields that belong to one Klaviyo account's data, kept on rotation. */
static const char *const kept_on_rotation[] = {
	"connected_at", "last_sync", "is_updating_dashboard",
	"campaign_values_last_update", "segment_series_last_update",
	"flow_series_last_update", "form_series_last_update",
};

void
connect_result_free(struct connect_result *r)
{
	json_object_put(r->integration);
	r->integration = NULL;
}

static void
iso_now(char *out, size_t len)
{
	time_t		t = time(NULL);
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
sid_str(long long id, char *out, size_t len)
{
	snprintf(out, len, "%lld", id);
}

int
store_clear_klaviyo_data(struct db *db, long long store_id)
{
	char		 sid[24];
	const char	*params[1] = { sid };
	int		 rc;

	size_t		 i;

	sid_str(store_id, sid, sizeof(sid));
	/* Jobs first: their row locks order us after a job's last write. */
	if ((rc = jobq_cancel_store(db, store_id)) != KC_OK ||
	    (rc = db_query(db, SQL_CLEAR_SYNCS, 1, params, NULL)) != KC_OK ||
	    (rc = db_query(db, SQL_CANCEL_TRIGGERS, 1, params, NULL)) != KC_OK)
		return rc;
	for (i = 0; i < sizeof(SQL_CLEAR_DATA) / sizeof(SQL_CLEAR_DATA[0]);
	    i++)
		if ((rc = db_query(db, SQL_CLEAR_DATA[i], 1, params, NULL)) !=
		    KC_OK)
			return rc;
	return KC_OK;
}

int
store_mark_refused(struct db *db, long long store_id, const char *why,
    const char *job_why)
{
	char		 sid[24];
	const char	*mark[2] = { sid, why }, *cancel[2] = { sid, job_why };
	int		 rc;

	sid_str(store_id, sid, sizeof(sid));
	if ((rc = db_query(db, SQL_MARK_REFUSED, 2, mark, NULL)) != KC_OK)
		return rc;
	return db_query(db, SQL_CANCEL_QUEUED, 2, cancel, NULL);
}

/* Locks the store row and parses its integration. */
static int
lock_store(struct db *db, long long store_id, struct json_object **out)
{
	char		 sid[24], err[128];
	const char	*params[1] = { sid };
	PGresult	*res = NULL;
	const char	*text;
	int		 rc;

	*out = NULL;
	sid_str(store_id, sid, sizeof(sid));
	if ((rc = db_query(db, SQL_LOCK, 1, params, &res)) != KC_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return KC_ERR_NOT_FOUND;
	}
	text = PQgetvalue(res, 0, 0);
	rc = json_parse_object(text, strlen(text), out, err, sizeof(err));
	PQclear(res);
	return rc == KC_OK ? KC_OK : KC_ERR_INTERNAL;
}

static int
set_integration(struct db *db, long long store_id, struct json_object *i)
{
	char		 sid[24];
	const char	*params[2] = { sid, json_object_to_json_string_ext(i,
	    JSON_C_TO_STRING_PLAIN) };

	sid_str(store_id, sid, sizeof(sid));
	return db_query(db, SQL_SET, 2, params, NULL);
}

static int
enqueue_trigger(struct db *db, const struct store_access *a,
    const char *account_id, int do_not_order_sync, long long *id)
{
	struct json_object	*p = json_object_new_object();
	char			 sid[24];
	const char		*params[2];
	PGresult		*res = NULL;
	int			 rc = KC_ERR_NOMEM;

	*id = 0;
	if (p == NULL || json_add_str(p, "klaviyo_public_id", account_id) !=
	    KC_OK || json_add_str(p, "store_public_id", a->public_id) !=
	    KC_OK || json_add_bool(p, "do_not_order_sync",
	    do_not_order_sync) != KC_OK)
		goto out;
	sid_str(a->store_id, sid, sizeof(sid));
	params[0] = sid;
	params[1] = json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN);
	/* An older trigger still waiting would deliver stale settings. */
	if ((rc = db_query(db, SQL_CANCEL_TRIGGERS, 1, params, NULL)) !=
	    KC_OK || (rc = db_query(db, SQL_TRIGGER, 2, params, &res)) != KC_OK)
		goto out;
	*id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
out:
	PQclear(res);
	json_object_put(p);
	return rc;
}

static int
audit(const struct connect_actor *ctx, const struct store_access *a, const char *action,
    const char *account_id, struct json_object *metric, const char *hint)
{
	struct json_object	*d = json_object_new_object();
	int			 rc = KC_ERR_NOMEM, oauth;

	/* A key is named by its hint; no hint on a connect means OAuth. */
	oauth = hint == NULL && (strcmp(action, "connect") == 0 ||
	    strcmp(action, "rotate_key") == 0);

	if (d == NULL ||
	    (account_id && json_add_str(d, "account_id", account_id) !=
	    KC_OK) ||
	    (metric && json_add_str(d, "conversion_metric_id",
	    json_get_str(metric, "id")) != KC_OK) ||
	    (hint && json_add_str(d, "api_key_hint", hint) != KC_OK) ||
	    (oauth && json_add_str(d, "auth_method", "oauth") != KC_OK))
		goto out;
	rc = audit_log(ctx->db, ctx->user_id, a->store_id, action, "success",
	    ctx->ip, d);
out:
	json_object_put(d);
	return rc;
}

/* {id, name, integration, isShopifyPlacedOrder} of a merged metric. */
static struct json_object *
metric_summary(struct json_object *m)
{
	struct json_object *o = json_object_new_object();

	if (o == NULL || json_add_str(o, "id", json_get_str(m, "id")) != KC_OK ||
	    json_add_str(o, "name", json_get_str(m, "name")) != KC_OK ||
	    json_add_str(o, "integration", json_get_str(m, "integration")) !=
	    KC_OK || json_add_bool(o, "isShopifyPlacedOrder",
	    json_get_bool(m, "isShopifyPlacedOrder")) != KC_OK) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static int
set_metric(struct json_object *integ, struct json_object *metric)
{
	struct json_object *sum = metric_summary(metric);

	if (sum == NULL)
		return KC_ERR_NOMEM;
	if (json_add_str(integ, "conversion_metric_id",
	    json_get_str(metric, "id")) != KC_OK ||
	    json_add_str(integ, "conversion_type", "value") != KC_OK) {
		json_object_put(sum);
		return KC_ERR_NOMEM;
	}
	return json_add_obj(integ, "conversion_metric", sum);
}

/* The public view of what was saved, plus the masked key ("apiKey"). */
static int
result_view(struct json_object *integ, struct connect_result *r)
{
	const char	*text = json_object_to_json_string_ext(integ,
	    JSON_C_TO_STRING_PLAIN);
	const char	*hint;
	int		 rc;

	if ((rc = store_integration_public(text, &r->integration)) != KC_OK)
		return rc;
	hint = json_get_str(r->integration, "api_key_hint");
	return hint ? json_add_str(r->integration, "apiKey", hint) : KC_OK;
}

int
connect_save(const struct connect_actor *ctx, const struct store_access *a,
    const struct connect_cred *cred, struct json_object *account,
    struct json_object *metric, struct connect_result *r)
{
	struct json_object	*old = NULL, *integ = NULL, *v;
	const char		*acct = json_get_str(account, "id");
	const char		*old_acct, *old_status, *hint = cred->hint;
	char			 now[32], sid[24];
	const char		*params[2];
	int			 rc, same, old_no_orders, no_orders;
	size_t			 i;

	memset(r, 0, sizeof(*r));
	iso_now(now, sizeof(now));
	no_orders = !json_get_bool(metric, "isShopifyPlacedOrder");
	if ((rc = db_begin(ctx->db)) != KC_OK)
		return rc;
	if ((rc = lock_store(ctx->db, a->store_id, &old)) != KC_OK)
		goto fail;
	old_status = json_get_str(old, "status");
	old_acct = json_get_str(old, "public_id");
	same = old_status && strcmp(old_status, "not_configured") != 0 &&
	    old_acct && strcmp(old_acct, acct) == 0;
	old_no_orders = json_object_object_get_ex(old, "conversion_metric",
	    &v) ? !json_get_bool(v, "isShopifyPlacedOrder") : -1;
	rc = KC_ERR_NOMEM;
	if ((integ = json_object_new_object()) == NULL ||
	    json_add_str(integ, "status", "connected") != KC_OK ||
	    json_add_str(integ, "auth_method", cred->kind) != KC_OK ||
	    json_add_str(integ, "public_id", acct) != KC_OK ||
	    json_add_obj(integ, "account", json_object_get(account)) !=
	    KC_OK || (hint && json_add_str(integ, "api_key_hint", hint) !=
	    KC_OK) ||
	    json_add_str(integ, "last_error", NULL) != KC_OK ||
	    set_metric(integ, metric) != KC_OK)
		goto fail;
	if (same) {
		/* Same account: the key is replaced, its data stays. */
		for (i = 0; i < sizeof(kept_on_rotation) /
		    sizeof(kept_on_rotation[0]); i++)
			if (json_object_object_get_ex(old, kept_on_rotation[i],
			    &v) && json_add_obj(integ, kept_on_rotation[i],
			    json_object_get(v)) != KC_OK)
				goto fail;
	} else if (json_add_str(integ, "connected_at", now) != KC_OK ||
	    json_add_bool(integ, "is_updating_dashboard", 0) != KC_OK)
		goto fail;
	if (!json_object_object_get_ex(integ, "connected_at", NULL) &&
	    json_add_str(integ, "connected_at", now) != KC_OK)
		goto fail;
	/* Another account's data must not mix with this one's. */
	if (!same && (rc = store_clear_klaviyo_data(ctx->db, a->store_id)) !=
	    KC_OK)
		goto fail;
	if (cred->oauth_flow &&
	    (rc = oauth_flow_consume(ctx->db, cred->oauth_flow)) != KC_OK)
		goto fail;
	if ((rc = credential_save(ctx->db, ctx->keyring, a->store_id,
	    a->public_id, cred->kind, cred->secret)) != KC_OK ||
	    (rc = set_integration(ctx->db, a->store_id, integ)) != KC_OK)
		goto fail;
	sid_str(a->store_id, sid, sizeof(sid));
	params[0] = acct;
	params[1] = sid;
	if ((rc = db_query(ctx->db, SQL_SYNC_ROW, 2, params, NULL)) != KC_OK)
		goto fail;
	if ((!same || old_no_orders != no_orders) &&
	    (rc = enqueue_trigger(ctx->db, a, acct, no_orders,
	    &r->trigger_id)) != KC_OK)
		goto fail;
	if ((rc = audit(ctx, a, same ? "rotate_key" : "connect", acct, metric,
	    hint)) != KC_OK ||
	    (rc = db_commit(ctx->db)) != KC_OK)
		goto fail;
	r->rotated = same;
	rc = result_view(integ, r);
	json_object_put(old);
	json_object_put(integ);
	return rc;
fail:
	db_rollback(ctx->db);
	json_object_put(old);
	json_object_put(integ);
	return rc;
}

int
connect_change_metric(const struct connect_actor *ctx, const struct store_access *a,
    struct json_object *metric, struct connect_result *r)
{
	struct json_object	*integ = NULL, *v;
	const char		*status, *acct;
	int			 rc, old_no_orders, no_orders;

	memset(r, 0, sizeof(*r));
	no_orders = !json_get_bool(metric, "isShopifyPlacedOrder");
	if ((rc = db_begin(ctx->db)) != KC_OK)
		return rc;
	if ((rc = lock_store(ctx->db, a->store_id, &integ)) != KC_OK)
		goto fail;
	status = json_get_str(integ, "status");
	acct = json_get_str(integ, "public_id");
	if (status == NULL || strcmp(status, "not_configured") == 0 ||
	    acct == NULL) {
		rc = KC_ERR_CONFLICT;
		goto fail;
	}
	old_no_orders = json_object_object_get_ex(integ, "conversion_metric",
	    &v) ? !json_get_bool(v, "isShopifyPlacedOrder") : -1;
	if ((rc = set_metric(integ, metric)) != KC_OK ||
	    (rc = set_integration(ctx->db, a->store_id, integ)) != KC_OK)
		goto fail;
	/* Orders are synced only for Shopify's Placed Order: re-trigger. */
	if (old_no_orders != no_orders &&
	    (rc = enqueue_trigger(ctx->db, a, acct, no_orders,
	    &r->trigger_id)) != KC_OK)
		goto fail;
	if ((rc = audit(ctx, a, "change_metric", acct, metric, NULL)) !=
	    KC_OK || (rc = db_commit(ctx->db)) != KC_OK)
		goto fail;
	rc = result_view(integ, r);
	json_object_put(integ);
	return rc;
fail:
	db_rollback(ctx->db);
	json_object_put(integ);
	return rc;
}

int
connect_remove(const struct connect_actor *ctx, const struct store_access *a, int *was)
{
	struct json_object	*integ = NULL, *reset = NULL;
	const char		*status, *acct;
	int			 rc;

	*was = 0;
	if ((rc = db_begin(ctx->db)) != KC_OK)
		return rc;
	if ((rc = lock_store(ctx->db, a->store_id, &integ)) != KC_OK)
		goto out;
	status = json_get_str(integ, "status");
	acct = json_get_str(integ, "public_id");
	*was = status && strcmp(status, "not_configured") != 0;
	rc = KC_ERR_NOMEM;
	if ((reset = json_object_new_object()) == NULL ||
	    json_add_str(reset, "status", "not_configured") != KC_OK)
		goto out;
	if ((rc = credential_delete(ctx->db, a->store_id)) != KC_OK ||
	    (rc = store_clear_klaviyo_data(ctx->db, a->store_id)) != KC_OK ||
	    (rc = set_integration(ctx->db, a->store_id, reset)) != KC_OK)
		goto out;
	if (*was && (rc = audit(ctx, a, "disconnect", acct, NULL, NULL)) !=
	    KC_OK)
		goto out;
	rc = db_commit(ctx->db);
out:
	if (rc != KC_OK)
		db_rollback(ctx->db);
	json_object_put(integ);
	json_object_put(reset);
	return rc;
}
