/*
 * /api/store/{storePublicId}/klaviyo-connect: the store's Klaviyo
 * integration (DESIGN.md 3), that is its primary Klaviyo connection (the
 * others: route_accounts.c).  The operations are connect_ops.c's.
 *   GET     any role on the store: the status
 *   POST    {apiKey, action:"test"}      test a key, list its metrics
 *           {apiKey, conversionMetricId} connect (or rotate the key)
 *           {conversionMetricId}         change the conversion metric
 *   DELETE  disconnect: the primary connection goes (idempotent)
 * Everything but GET needs manage_integrations and level >= 80.
 */
#include "routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect_ops.h"
#include "connect_store.h"
#include "dispatch.h"
#include "integration.h"
#include "json_util.h"
#include "oauth_cred.h"
#include "readcache.h"
#include "sync_status.h"

const struct jfield connect_fields[] = {
	{ "apiKey", JF_STRING, 0, 512 },
	{ "action", JF_STRING, 0, 32 },
	{ "conversionMetricId", JF_STRING, 0, 128 },
	{ "method", JF_STRING, 0, 16 },
};
const size_t nconnect_fields = nitems(connect_fields);

/* The worker's cached answer, when it has one: 1 when replied. */
static int
status_cached(struct kc_ctx *ctx, const struct store_access *a)
{
	const char	*body;
	char		*copy;

	if (ctx->cache == NULL || !readcache_ready(ctx->cache, ctx->db) ||
	    (body = readcache_status(ctx->cache, ctx->user.id,
	    a->public_id)) == NULL || (copy = strdup(body)) == NULL)
		return 0;
	http_resp_text(ctx->resp, 200, HTTP_JSON_TYPE, copy);
	return 1;
}

int
route_connect_get(struct kc_ctx *ctx)
{
	struct store_access	 a;
	struct json_object	*o = NULL, *sync = NULL;
	const char		*sync_status = "idle", *body;
	int			 rc;

	if ((rc = ctx_store_access(ctx, STORE_READ, &a)) != KC_OK)
		return rc;
	if (status_cached(ctx, &a)) {
		perm_access_clear(&a);
		return KC_OK;
	}
	if ((rc = sync_status_json(ctx->db, a.primary_id, &sync,
	    &sync_status)) == KC_OK)
		rc = integ_status_json(a.integration, sync, sync_status,
		    perm_can_manage(a.level, a.manage_integrations), &o);
	if (rc == KC_OK && ctx->cache && readcache_ready(ctx->cache, ctx->db) &&
	    (body = json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN)) != NULL)
		readcache_status_put(ctx->cache, ctx->user.id, a.public_id,
		    body);
	perm_access_clear(&a);
	if (rc != KC_OK)
		return rc;
	ctx_reply(ctx, 200, o);
	return KC_OK;
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
	struct conn_ref		 ref;
	struct probe		 p;
	struct json_object	*o = NULL;
	int			 rc;

	if ((rc = ctx_store_access(ctx, STORE_MANAGE, &a)) != KC_OK)
		return rc;
	ref = conn_ref_primary(&a);
	rc = connect_ops_stored_metrics(ctx, &a, &ref, &p);
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
	struct store_access	a;
	struct conn_ref		ref;
	int			rc;

	if ((rc = ctx_store_access(ctx, STORE_MANAGE, &a)) != KC_OK)
		return rc;
	ref = conn_ref_primary(&a);
	rc = connect_ops_post(ctx, &a, &ref);
	perm_access_clear(&a);
	return rc;
}

int
route_connect_delete(struct kc_ctx *ctx)
{
	struct connect_target	 t = { CONNECT_PRIMARY, NULL };
	struct store_access	 a;
	struct json_object	*o;
	int			 rc, was = 0;

	if ((rc = ctx_store_access(ctx, STORE_MANAGE, &a)) != KC_OK)
		return rc;
	rc = connect_ops_remove(ctx, &a, &t, a.primary_id, &was);
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
