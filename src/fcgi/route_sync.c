/*
 * POST /api/store/{storePublicId}/klaviyo-sync {types?: [...], account?}:
 * on-demand sync of the primary Klaviyo connection, or of the connection
 * whose public id is account.  Enqueues incremental jobs (full for a type
 * never synced), 202 with their ids; a connection whose credential was
 * refused is retried with it (connected again, its error cleared); 409
 * when Klaviyo is not connected,
 * 404 account_not_found.  Connection and permission are read again in
 * the enqueueing transaction, the store row locked (as a connect or
 * disconnect does).
 */
#include "routes.h"

#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "connection.h"
#include "dispatch.h"
#include "integration.h"
#include "jobq.h"
#include "json_util.h"
#include "ksync.h"
#include "log.h"
#include "perm.h"
#include "sync_settings.h"
#include "sync_type.h"

const struct jfield sync_fields[] = {
	{ "types", JF_STRING_ARRAY, 0, SYNC_TYPE_COUNT },
	{ "account", JF_STRING, 0, CONN_PUBLIC_ID_MAX },
};
const size_t nsync_fields = nitems(sync_fields);

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
	struct integration	 in;
	struct kconn		 c;
	struct sync_settings	 set;
	const char		*account = NULL;
	struct json_object	*types = NULL, *jobs = NULL, *o = NULL, *j;
	char			 err[256];
	long long		 id, ksid;
	int			 rc, orders;
	size_t			 k, i;

	memset(&in, 0, sizeof(in));
	memset(&c, 0, sizeof(c));
	if ((rc = ctx_store_access(ctx, STORE_MANAGE, &a)) != KC_OK)
		return rc;
	if (ctx->body && (rc = json_check_fields(ctx->body, sync_fields,
	    nsync_fields, err, sizeof(err))) != KC_OK) {
		rc = ctx_fail(ctx, rc, err);
		goto out;
	}
	if (ctx->body) {
		json_object_object_get_ex(ctx->body, "types", &types);
		account = json_get_str(ctx->body, "account");
	}
	for (k = 0; types && k < json_object_array_length(types); k++)
		if (sync_type_find(json_object_get_string(
		    json_object_array_get_idx(types, k))) == NULL) {
			rc = ctx_fail(ctx, KC_ERR_BAD_INPUT, "Field 'types' "
			    "takes campaigns, flows, segments, forms, orders");
			goto out;
		}
	rc = KC_ERR_NOMEM;
	if ((jobs = json_object_new_array()) == NULL)
		goto out;
	/*
	 * The store row locked, the connection and the user's right to
	 * manage it are read again: a disconnect or a revoke since the start
	 * of the request wins.
	 */
	if ((rc = db_begin(ctx->db)) != KC_OK)
		goto out;
	if ((rc = conn_lock_store(ctx->db, a.store_id)) != KC_OK ||
	    (rc = perm_still_manages(ctx->db, ctx->user.id, a.store_id)) !=
	    KC_OK) {
		db_rollback(ctx->db);
		rc = ctx_access_lost(ctx, &a, rc);
		goto out;
	}
	rc = conn_find(ctx->db, a.store_id, account, &c);
	if (rc == KC_ERR_NOT_FOUND && account) {
		rc = ctx_fail_code(ctx, rc, "account_not_found", "No Klaviyo "
		    "account of this store has that id");
		goto fail;
	}
	if (rc == KC_OK)
		rc = integ_lock(ctx->db, c.id, &in);
	else if (rc == KC_ERR_NOT_FOUND)
		rc = KC_OK;	/* no connection: not_configured */
	if (rc != KC_OK)
		goto fail;
	/*
	 * Refused before: "Sync now" is the user's retry with the stored
	 * credential (Klaviyo may have refused it by mistake, an outage).
	 * The connection is connected again and its jobs try the credential;
	 * refused again, they mark it "error" as before.
	 */
	if (in.status == INTEG_ERROR && in.account_id != NULL) {
		in.status = INTEG_CONNECTED;
		json_object_put(in.last_error);
		in.last_error = NULL;
		if ((rc = integ_save(ctx->db, c.id, &in)) != KC_OK)
			goto fail;
	}
	if (in.status != INTEG_CONNECTED || in.account_id == NULL) {
		rc = ctx_fail(ctx, KC_ERR_CONFLICT, "Klaviyo is not connected "
		    "for this store");
		goto fail;
	}
	if ((rc = sync_settings_load(ctx->db, c.id, &set)) != KC_OK)
		goto fail;
	for (i = 0; types && i < SYNC_TYPE_COUNT; i++)
		if (!set.t[i].enabled && wanted(types, sync_types[i].name)) {
			rc = ctx_fail_code(ctx, KC_ERR_CONFLICT, "type_disabled",
			    "That type is turned off in this account's sync "
			    "settings");
			goto fail;
		}
	orders = in.metric.shopify_placed_order;
	if (!orders && types && wanted(types, "orders")) {
		rc = ctx_fail(ctx, KC_ERR_BAD_INPUT, "Orders are synced only "
		    "when the conversion metric is Shopify's Placed Order");
		goto fail;
	}
	if ((rc = ksync_find_or_create(ctx->db, in.account_id, c.id,
	    &ksid)) != KC_OK)
		goto fail;
	for (i = 0; i < SYNC_TYPE_COUNT; i++) {
		if (!wanted(types, sync_types[i].name) ||
		    !sync_settings_syncs(&set, &sync_types[i], orders))
			continue;
		/* The job reads the full history of a type never synced. */
		if ((rc = jobq_enqueue(ctx->db, c.id, sync_types[i].name,
		    "incremental", 0, &id)) != KC_OK)
			goto fail;
		rc = KC_ERR_NOMEM;
		if ((j = json_object_new_object()) == NULL ||
		    json_add_str(j, "type", sync_types[i].name) != KC_OK ||
		    json_add_int(j, "id", id) != KC_OK ||
		    json_object_array_add(jobs, j) != 0) {
			json_object_put(j);
			goto fail;
		}
	}
	rc = KC_ERR_NOMEM;
	if ((o = json_object_new_object()) == NULL ||
	    json_add_str(o, "connection_id", c.public_id) != KC_OK)
		goto fail;
	rc = audit_log(ctx->db, ctx->user.id, a.store_id, "sync_now",
	    "success", ctx->req->remote_addr, o);
	json_object_put(o);
	o = NULL;
	if (rc != KC_OK || (rc = db_commit(ctx->db)) != KC_OK)
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
	integ_clear(&in);
	conn_clear(&c);
	perm_access_clear(&a);
	return rc;
}
