/*
 * /api/store/{storePublicId}/klaviyo-connect: the store's Klaviyo
 * integration (DESIGN.md 3).
 *   GET     any role on the store: the status
 *   POST    {apiKey, action:"test"}      test a key, list its metrics
 *           {apiKey, conversionMetricId} connect (or rotate the key)
 *           {conversionMetricId}         change the conversion metric
 *   DELETE  disconnect (idempotent)
 * Everything but GET needs manage_integrations and level >= 80.
 */
#include "routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apikey.h"
#include "audit.h"
#include "connect_store.h"
#include "credential.h"
#include "dispatch.h"
#include "json_util.h"
#include "log.h"
#include "metrics.h"
#include "probe.h"
#include "secretbox.h"
#include "store.h"
#include "sync_status.h"

static const struct jfield post_fields[] = {
	{ "apiKey", JF_STRING, 0, 512 },
	{ "action", JF_STRING, 0, 32 },
	{ "conversionMetricId", JF_STRING, 0, 128 },
};

int
route_connect_get(struct kc_ctx *ctx)
{
	struct store_access	 a;
	struct json_object	*o = NULL;
	int			 rc;

	struct json_object	*sync = NULL;
	const char		*sync_status = "idle";

	if ((rc = ctx_store_access(ctx, STORE_READ, &a)) != KC_OK)
		return rc;
	if ((rc = sync_status_json(ctx->db, a.store_id, &sync,
	    &sync_status)) == KC_OK)
		rc = store_status_json(a.integration, sync, sync_status,
		    perm_can_manage(a.level, a.manage_integrations), &o);
	perm_access_clear(&a);
	if (rc != KC_OK)
		return rc;
	ctx_reply(ctx, 200, o);
	return KC_OK;
}

/* The probe's failure as the HTTP error (with Retry-After on 429). */
static int
probe_fail(struct kc_ctx *ctx, int rc, const struct probe *p)
{
	http_resp_error_code(ctx->resp, rc, p->code[0] ? p->code : NULL,
	    p->msg[0] ? p->msg : NULL);
	if (rc == KC_ERR_RATE_LIMITED && http_resp_header(ctx->resp,
	    "Retry-After", "%ld", p->retry_after > 0 ? p->retry_after : 1) !=
	    KC_OK)
		return ctx_fail(ctx, KC_ERR_INTERNAL, NULL);
	return rc;
}

static void
audit_probe(struct kc_ctx *ctx, const struct store_access *a,
    const char *action, const char *key, const struct probe *p, int rc)
{
	struct json_object	*d = json_object_new_object();
	char			 hint[APIKEY_HINT_MAX];

	apikey_hint(key, hint, sizeof(hint));
	if (d == NULL || json_add_str(d, "api_key_hint", hint) != KC_OK ||
	    (rc != KC_OK && json_add_str(d, "error", p->code) != KC_OK) ||
	    (p->account && json_add_str(d, "account_id",
	    json_get_str(p->account, "id")) != KC_OK) ||
	    audit_log(ctx->db, ctx->user.id, a->store_id, action,
	    rc == KC_OK ? "success" : "failure", ctx->req->remote_addr, d) !=
	    KC_OK)
		log_warnx("cannot write the %s audit row", action);
	json_object_put(d);
}

static int
check_key(struct kc_ctx *ctx, const char *in, char *key, size_t len)
{
	const char *why;

	if (apikey_check(in, key, len, &why) != KC_OK) {
		http_resp_error_code(ctx->resp, KC_ERR_BAD_INPUT,
		    "invalid_api_key_format", why);
		return KC_ERR_BAD_INPUT;
	}
	return KC_OK;
}

static int
do_test(struct kc_ctx *ctx, const struct store_access *a, const char *key)
{
	struct probe		 p;
	struct json_object	*o = NULL;
	int			 rc, shop = 0;
	size_t			 i, n;

	rc = probe_run(ctx->db, ctx->kv, key, 0, PROBE_TEST,
	    ctx->cfg->klaviyo_probe_cache_seconds, &p);
	audit_probe(ctx, a, "test", key, &p, rc);
	if (rc != KC_OK)
		return probe_fail(ctx, rc, &p);
	n = json_object_array_length(p.metrics);
	for (i = 0; i < n; i++)
		shop |= json_get_bool(json_object_array_get_idx(p.metrics, i),
		    "isShopifyPlacedOrder");
	rc = KC_ERR_NOMEM;
	if ((o = json_object_new_object()) == NULL ||
	    json_add_bool(o, "success", 1) != KC_OK ||
	    json_add_str(o, "action", "test") != KC_OK ||
	    json_add_obj(o, "account", json_object_get(p.account)) != KC_OK ||
	    json_add_obj(o, "metrics", json_object_get(p.metrics)) != KC_OK ||
	    json_add_bool(o, "hasShopifyPlacedOrder", shop) != KC_OK ||
	    (!shop && json_add_str(o, "warning", "This account has no "
	    "Shopify \"Placed Order\" metric. Pick the metric that records "
	    "your conversions; order data will not be synced.") != KC_OK))
		goto out;
	ctx_reply(ctx, 200, o);
	o = NULL;
	rc = KC_OK;
out:
	json_object_put(o);
	probe_free(&p);
	return rc;
}

static int
unknown_metric(struct kc_ctx *ctx)
{
	http_resp_error_code(ctx->resp, KC_ERR_UNPROCESSABLE,
	    "unknown_metric", "The selected conversion metric does not "
	    "belong to this Klaviyo account; test the key again and pick "
	    "one from the list");
	return KC_ERR_UNPROCESSABLE;
}

static int
reply_saved(struct kc_ctx *ctx, struct connect_result *r, const char *msg)
{
	struct json_object *o = NULL, *store = NULL;

	if ((o = json_object_new_object()) == NULL ||
	    (store = json_object_new_object()) == NULL ||
	    json_add_bool(o, "success", 1) != KC_OK ||
	    json_add_str(o, "message", msg) != KC_OK ||
	    json_add_obj(store, "klaviyo_integration",
	    json_object_get(r->integration)) != KC_OK ||
	    json_add_obj(o, "store", store) != KC_OK) {
		json_object_put(o);
		return KC_ERR_NOMEM;
	}
	ctx_reply(ctx, 200, o);
	return KC_OK;
}

static int
do_connect(struct kc_ctx *ctx, const struct store_access *a, const char *key,
    const char *metric_id)
{
	struct probe		 p;
	struct connect_result	 r;
	struct json_object	*m;
	int			 rc;

	memset(&r, 0, sizeof(r));
	rc = probe_run(ctx->db, ctx->kv, key, 0, PROBE_CONNECT,
	    ctx->cfg->klaviyo_probe_cache_seconds, &p);
	if (rc != KC_OK) {
		audit_probe(ctx, a, "connect", key, &p, rc);
		return probe_fail(ctx, rc, &p);
	}
	if ((m = metrics_find(p.metrics, metric_id)) == NULL)
		rc = unknown_metric(ctx);
	else if ((rc = connect_save(ctx, a, key, p.account, m, &r)) == KC_OK)
		rc = reply_saved(ctx, &r, r.rotated ? "Klaviyo API key "
		    "updated" : "Klaviyo connected successfully");
	connect_result_free(&r);
	probe_free(&p);
	return rc;
}

/*
 * The connected store's metric list, fetched with its stored credential
 * (or taken from the probe cache).  On failure the error response is set.
 */
static int
stored_metrics(struct kc_ctx *ctx, const struct store_access *a,
    struct probe *p)
{
	char	*key = NULL, *kind = NULL;
	size_t	 len = 0;
	int	 rc;

	memset(p, 0, sizeof(*p));
	rc = credential_load(ctx->db, ctx->keyring, a->store_id, a->public_id,
	    &kind, &key, &len);
	if (rc == KC_ERR_NOT_FOUND)
		return ctx_fail(ctx, KC_ERR_CONFLICT, "Klaviyo is not "
		    "connected for this store; send apiKey as well");
	if (rc != KC_OK) {
		log_error("credential of store %s does not decrypt",
		    a->public_id);
		return ctx_fail(ctx, rc, NULL);
	}
	rc = probe_run(ctx->db, ctx->kv, key, strcmp(kind, "oauth") == 0,
	    PROBE_METRICS, ctx->cfg->klaviyo_probe_cache_seconds, p);
	if (rc != KC_OK)
		rc = probe_fail(ctx, rc, p);
	secretbox_free_plain(key, len);
	free(kind);
	return rc;
}

static int
do_change_metric(struct kc_ctx *ctx, const struct store_access *a,
    const char *metric_id)
{
	struct probe		 p;
	struct connect_result	 r;
	struct json_object	*m;
	int			 rc;

	memset(&r, 0, sizeof(r));
	if ((rc = stored_metrics(ctx, a, &p)) != KC_OK)
		return rc;
	if ((m = metrics_find(p.metrics, metric_id)) == NULL)
		rc = unknown_metric(ctx);
	else if ((rc = connect_change_metric(ctx, a, m, &r)) ==
	    KC_ERR_CONFLICT)
		rc = ctx_fail(ctx, rc, "Klaviyo is not connected for this "
		    "store; send apiKey as well");
	else if (rc == KC_OK)
		rc = reply_saved(ctx, &r, "Conversion metric updated");
	connect_result_free(&r);
	probe_free(&p);
	return rc;
}

/*
 * GET /api/store/{storePublicId}/klaviyo-metrics: the connected account's
 * metrics with the stored key, so the metric can be changed without
 * pasting the key again.
 */
int
route_metrics_get(struct kc_ctx *ctx)
{
	struct store_access	 a;
	struct probe		 p;
	struct json_object	*o = NULL;
	int			 rc;

	if ((rc = ctx_store_access(ctx, STORE_MANAGE, &a)) != KC_OK)
		return rc;
	rc = stored_metrics(ctx, &a, &p);
	perm_access_clear(&a);
	if (rc != KC_OK)
		return rc;
	rc = KC_ERR_NOMEM;
	if ((o = json_object_new_object()) != NULL &&
	    json_add_bool(o, "success", 1) == KC_OK &&
	    json_add_obj(o, "metrics", json_object_get(p.metrics)) == KC_OK) {
		ctx_reply(ctx, 200, o);
		o = NULL;
		rc = KC_OK;
	}
	json_object_put(o);
	probe_free(&p);
	return rc;
}

int
route_connect_post(struct kc_ctx *ctx)
{
	struct store_access	 a;
	char			 err[256], key[APIKEY_MAX + 1];
	const char		*action, *in_key, *metric;
	int			 rc;

	if ((rc = ctx_store_access(ctx, STORE_MANAGE, &a)) != KC_OK)
		return rc;
	if ((rc = json_check_fields(ctx->body, post_fields, 3, err,
	    sizeof(err))) != KC_OK) {
		rc = ctx_fail(ctx, rc, err);
		goto out;
	}
	action = json_get_str(ctx->body, "action");
	in_key = json_get_str(ctx->body, "apiKey");
	metric = json_get_str(ctx->body, "conversionMetricId");
	if (action && strcmp(action, "test") != 0) {
		rc = ctx_fail(ctx, KC_ERR_BAD_INPUT, "Field 'action' must be "
		    "\"test\" (or absent to connect)");
		goto out;
	}
	/* Metric ids have the shape of store ids: 1-64 of [A-Za-z0-9_-]. */
	if (metric && !action && !perm_public_id_valid(metric)) {
		rc = ctx_fail(ctx, KC_ERR_BAD_INPUT, "Field "
		    "'conversionMetricId' must be a Klaviyo metric id");
		goto out;
	}
	if (action || in_key) {
		if (in_key == NULL) {
			rc = ctx_fail(ctx, KC_ERR_BAD_INPUT, "Field 'apiKey' "
			    "is required");
			goto out;
		}
		if ((rc = check_key(ctx, in_key, key, sizeof(key))) != KC_OK)
			goto out;
		if (action)
			rc = do_test(ctx, &a, key);
		else if (metric)
			rc = do_connect(ctx, &a, key, metric);
		else
			rc = ctx_fail(ctx, KC_ERR_BAD_INPUT, "Field "
			    "'conversionMetricId' is required to connect "
			    "(or send action \"test\" to list metrics)");
	} else if (metric)
		rc = do_change_metric(ctx, &a, metric);
	else
		rc = ctx_fail(ctx, KC_ERR_BAD_INPUT, "Send {apiKey, action: "
		    "\"test\"} to test a key, {apiKey, conversionMetricId} to "
		    "connect, or {conversionMetricId} to change the metric");
out:
	memset(key, 0, sizeof(key));
	perm_access_clear(&a);
	return rc;
}

int
route_connect_delete(struct kc_ctx *ctx)
{
	struct store_access	 a;
	struct json_object	*o;
	int			 rc, was;

	if ((rc = ctx_store_access(ctx, STORE_MANAGE, &a)) != KC_OK)
		return rc;
	rc = connect_remove(ctx, &a, &was);
	perm_access_clear(&a);
	if (rc != KC_OK)
		return rc;
	if ((o = json_object_new_object()) == NULL ||
	    json_add_bool(o, "success", 1) != KC_OK ||
	    json_add_str(o, "message", was ? "Klaviyo disconnected" :
	    "Klaviyo was not connected") != KC_OK ||
	    json_add_bool(o, "was_connected", was) != KC_OK) {
		json_object_put(o);
		return KC_ERR_NOMEM;
	}
	ctx_reply(ctx, 200, o);
	return KC_OK;
}
