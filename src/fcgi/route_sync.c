/*
 * POST /api/store/{storePublicId}/klaviyo-sync {types?: [...]}: on-demand
 * sync.  Enqueues incremental jobs (full for a type never synced), 202
 * with their ids; 409 when Klaviyo is not connected.
 */
#include "routes.h"

#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "dispatch.h"
#include "jobq.h"
#include "json_util.h"
#include "ksync.h"
#include "log.h"

static const struct jfield sync_fields[] = {
	{ "types", JF_STRING_ARRAY, 0, JOB_TYPES_MAX },
};

static int
wanted(struct json_object *types, const char *t)
{
	size_t i, n;

	if (types == NULL)
		return 1;
	n = json_object_array_length(types);
	for (i = 0; i < n; i++)
		if (strcmp(json_object_get_string(
		    json_object_array_get_idx(types, i)), t) == 0)
			return 1;
	return 0;
}

int
route_sync_post(struct kc_ctx *ctx)
{
	struct store_access	 a;
	struct json_object	*integ = NULL, *types = NULL, *jobs = NULL;
	struct json_object	*o = NULL, *j, *cm;
	char			 err[256];
	const char		*status, *kid;
	long long		 id, ksid;
	int			 rc, i, orders;
	size_t			 k;

	if ((rc = ctx_store_access(ctx, STORE_MANAGE, &a)) != KC_OK)
		return rc;
	if (ctx->body && (rc = json_check_fields(ctx->body, sync_fields, 1,
	    err, sizeof(err))) != KC_OK) {
		rc = ctx_fail(ctx, rc, err);
		goto out;
	}
	if (ctx->body)
		json_object_object_get_ex(ctx->body, "types", &types);
	for (k = 0; types && k < json_object_array_length(types); k++)
		if (!job_type_valid(json_object_get_string(
		    json_object_array_get_idx(types, k)))) {
			rc = ctx_fail(ctx, KC_ERR_BAD_INPUT, "Field 'types' "
			    "takes campaigns, flows, segments, forms, orders");
			goto out;
		}
	if ((rc = json_parse_object(a.integration, strlen(a.integration),
	    &integ, err, sizeof(err))) != KC_OK) {
		rc = KC_ERR_INTERNAL;
		goto out;
	}
	status = json_get_str(integ, "status");
	kid = json_get_str(integ, "public_id");
	if (status == NULL || strcmp(status, "connected") != 0 || !kid) {
		rc = ctx_fail(ctx, KC_ERR_CONFLICT, status &&
		    strcmp(status, "error") == 0 ? "Klaviyo refused the stored "
		    "credential; reconnect before syncing" : "Klaviyo is not "
		    "connected for this store");
		goto out;
	}
	orders = json_object_object_get_ex(integ, "conversion_metric", &cm) &&
	    json_get_bool(cm, "isShopifyPlacedOrder");
	if (!orders && types && wanted(types, "orders")) {
		rc = ctx_fail(ctx, KC_ERR_BAD_INPUT, "Orders are synced only "
		    "when the conversion metric is Shopify's Placed Order");
		goto out;
	}
	rc = KC_ERR_NOMEM;
	if ((jobs = json_object_new_array()) == NULL)
		goto out;
	if ((rc = db_begin(ctx->db)) != KC_OK ||
	    (rc = ksync_find_or_create(ctx->db, kid, a.store_id, &ksid)) !=
	    KC_OK)
		goto fail;
	for (i = 0; i < JOB_TYPES_MAX; i++) {
		if (!wanted(types, job_types[i]) ||
		    (!orders && strcmp(job_types[i], "orders") == 0))
			continue;
		/* The job reads the full history of a type never synced. */
		if ((rc = jobq_enqueue(ctx->db, a.store_id, job_types[i],
		    "incremental", 0, &id)) != KC_OK)
			goto fail;
		rc = KC_ERR_NOMEM;
		if ((j = json_object_new_object()) == NULL ||
		    json_add_str(j, "type", job_types[i]) != KC_OK ||
		    json_add_int(j, "id", id) != KC_OK ||
		    json_object_array_add(jobs, j) != 0) {
			json_object_put(j);
			goto fail;
		}
	}
	if ((rc = audit_log(ctx->db, ctx->user.id, a.store_id, "sync_now",
	    "success", ctx->req->remote_addr, NULL)) != KC_OK ||
	    (rc = db_commit(ctx->db)) != KC_OK)
		goto fail;
	rc = KC_ERR_NOMEM;
	if ((o = json_object_new_object()) == NULL ||
	    json_add_bool(o, "success", 1) != KC_OK)
		goto out;
	rc = json_add_obj(o, "jobs", jobs);
	jobs = NULL;
	if (rc != KC_OK)
		goto out;
	ctx_reply(ctx, 202, o);
	o = NULL;
	goto out;
fail:
	db_rollback(ctx->db);
out:
	json_object_put(o);
	json_object_put(jobs);
	json_object_put(integ);
	perm_access_clear(&a);
	return rc;
}
