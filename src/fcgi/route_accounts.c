/*
 * /api/store/{storePublicId}/klaviyo-accounts: every Klaviyo account
 * (connection) of a store, the seed's multi-account enhancement.
 *   GET            any role: the list, primary first
 *   POST           {apiKey, action:"test"} / {apiKey, conversionMetricId}
 *                  / {method:"oauth", ...}: test, add another account
 *   GET    /{id}   any role: one account
 *   PATCH  /{id}   one of {conversionMetricId} (change the metric),
 *                  {apiKey} (rotate the key; same account), {method:
 *                  "oauth"} (its waiting OAuth grant instead; same
 *                  account), {primary:true}
 *   DELETE /{id}   remove it with its credential, jobs and data
 *   GET    /{id}/metrics  its metrics, with the stored credential
 * Everything but the GETs of the list and an account needs
 * manage_integrations and level >= 80.  The seed's klaviyo-connect
 * routes act on the primary account (route_connect.c).
 */
#include "routes.h"

#include <stdio.h>
#include <string.h>

#include "connect_ops.h"
#include "connection.h"
#include "dispatch.h"
#include "json_util.h"
#include "oauth_cred.h"

const struct jfield account_patch_fields[] = {
	{ "conversionMetricId", JF_STRING, 0, 128 },
	{ "apiKey", JF_STRING, 0, 512 },
	{ "primary", JF_BOOL, 0, 0 },
	{ "method", JF_STRING, 0, 16 },
};
const size_t naccount_patch_fields = nitems(account_patch_fields);

struct list_arg {
	struct kc_ctx		*ctx;
	struct json_object	*arr;
	int			 can_manage;
};

static int
add_one(void *arg, const struct kconn *c)
{
	struct list_arg		*l = arg;
	struct json_object	*o;
	int			 rc;

	if ((rc = connect_ops_account_json(l->ctx, c, l->can_manage, &o)) !=
	    KC_OK)
		return rc;
	if (json_object_array_add(l->arr, o) != 0) {
		json_object_put(o);
		return KC_ERR_NOMEM;
	}
	return KC_OK;
}

int
route_accounts_get(struct kc_ctx *ctx)
{
	struct store_access	 a;
	struct list_arg		 l;
	struct json_object	*o = NULL;
	int			 rc;

	if ((rc = ctx_store_access(ctx, STORE_READ, &a)) != KC_OK)
		return rc;
	l.ctx = ctx;
	l.can_manage = perm_can_manage(a.level, a.manage_integrations);
	rc = KC_ERR_NOMEM;
	if ((l.arr = json_object_new_array()) == NULL)
		goto out;
	if ((rc = conn_list(ctx->db, a.store_id, add_one, &l)) != KC_OK) {
		json_object_put(l.arr);
		goto out;
	}
	rc = KC_ERR_NOMEM;
	if ((o = json_object_new_object()) == NULL ||
	    json_add_bool(o, "success", 1) != KC_OK) {
		json_object_put(l.arr);
		goto out;
	}
	/* o owns the list from here, even when adding it fails. */
	if (json_add_obj(o, "accounts", l.arr) != KC_OK ||
	    json_add_bool(o, "can_manage", l.can_manage) != KC_OK)
		goto out;
	ctx_reply(ctx, 200, o);
	o = NULL;
	rc = KC_OK;
out:
	json_object_put(o);
	perm_access_clear(&a);
	return rc;
}

int
route_accounts_post(struct kc_ctx *ctx)
{
	struct store_access	a;
	struct conn_ref		ref;
	int			rc;

	if ((rc = ctx_store_access(ctx, STORE_MANAGE, &a)) != KC_OK)
		return rc;
	memset(&ref, 0, sizeof(ref));
	ref.t.kind = CONNECT_ADD;
	rc = connect_ops_post(ctx, &a, &ref);
	perm_access_clear(&a);
	return rc;
}

static struct conn_ref
ref_of(const struct kconn *c)
{
	struct conn_ref r;

	memset(&r, 0, sizeof(r));
	r.t.kind = CONNECT_ONE;
	r.t.public_id = c->public_id;
	r.conn_id = c->id;
	r.doc = c->doc;
	return r;
}

int
route_account_get(struct kc_ctx *ctx)
{
	struct store_access	 a;
	struct kconn		 c;
	struct json_object	*o = NULL, *acc = NULL;
	int			 rc;

	if ((rc = connect_ops_load_account(ctx, STORE_READ, &a, &c)) != KC_OK)
		return rc;
	if ((rc = connect_ops_account_json(ctx, &c, perm_can_manage(a.level,
	    a.manage_integrations), &acc)) != KC_OK)
		goto out;
	rc = KC_ERR_NOMEM;
	if ((o = json_object_new_object()) == NULL ||
	    json_add_bool(o, "success", 1) != KC_OK)
		goto out;
	rc = json_add_obj(o, "account", acc);
	acc = NULL;
	if (rc != KC_OK)
		goto out;
	ctx_reply(ctx, 200, o);
	o = NULL;
out:
	json_object_put(acc);
	json_object_put(o);
	conn_clear(&c);
	perm_access_clear(&a);
	return rc;
}

static int
make_primary(struct kc_ctx *ctx, const struct store_access *a,
    const struct conn_ref *ref)
{
	struct connect_actor	 act = actor_of(ctx);
	struct connect_result	 r;
	int			 rc;

	rc = connect_make_primary(&act, a, &ref->t, &r);
	if (rc == KC_ERR_NOT_FOUND || rc == KC_ERR_FORBIDDEN)
		rc = ctx_access_lost(ctx, a, rc);
	else if (rc != KC_OK)
		rc = ctx_fail(ctx, rc, NULL);
	else
		rc = connect_ops_reply_account(ctx, 200, &r,
		    "Primary Klaviyo account changed");
	connect_result_free(&r);
	return rc;
}

int
route_account_patch(struct kc_ctx *ctx)
{
	struct store_access	 a;
	struct kconn		 c;
	struct conn_ref		 ref;
	struct json_object	*v;
	char			 err[256];
	const char		*metric, *key, *method;
	int			 rc, n = 0, primary = 0;

	if ((rc = connect_ops_load_account(ctx, STORE_MANAGE, &a, &c)) != KC_OK)
		return rc;
	ref = ref_of(&c);
	if ((rc = json_check_fields(ctx->body, account_patch_fields,
	    naccount_patch_fields, err, sizeof(err))) != KC_OK) {
		rc = ctx_fail(ctx, rc, err);
		goto out;
	}
	metric = json_get_str(ctx->body, "conversionMetricId");
	key = json_get_str(ctx->body, "apiKey");
	method = json_get_str(ctx->body, "method");
	if (json_object_object_get_ex(ctx->body, "primary", &v) &&
	    !json_object_is_type(v, json_type_null)) {
		n++;
		primary = json_object_get_boolean(v);
	}
	n += (metric != NULL) + (key != NULL) + (method != NULL);
	if (n != 1)
		rc = ctx_fail(ctx, KC_ERR_BAD_INPUT, "Send one of "
		    "{conversionMetricId} to change the metric, {apiKey} to "
		    "replace the key, {method: \"oauth\"} to use a new OAuth "
		    "authorization, or {primary: true}");
	else if (method && strcmp(method, "oauth") != 0)
		rc = ctx_fail(ctx, KC_ERR_BAD_INPUT, "Field 'method' takes "
		    "\"oauth\" (send {apiKey} for a key)");
	else if (method)
		rc = connect_ops_oauth_rotate(ctx, &a, &ref);
	else if (metric && !perm_public_id_valid(metric))
		rc = ctx_fail(ctx, KC_ERR_BAD_INPUT, "Field "
		    "'conversionMetricId' must be a Klaviyo metric id");
	else if (metric)
		rc = connect_ops_change_metric(ctx, &a, &ref, metric);
	else if (key)
		rc = connect_ops_rotate_key(ctx, &a, &ref, key);
	else if (!primary)
		rc = ctx_fail(ctx, KC_ERR_BAD_INPUT, "A store always has a "
		    "primary account: make another one primary instead");
	else
		rc = make_primary(ctx, &a, &ref);
out:
	conn_clear(&c);
	perm_access_clear(&a);
	return rc;
}

int
route_account_delete(struct kc_ctx *ctx)
{
	struct store_access	 a;
	struct kconn		 c;
	struct conn_ref		 ref;
	struct json_object	*o;
	int			 rc, was = 0;

	if ((rc = connect_ops_load_account(ctx, STORE_MANAGE, &a, &c)) != KC_OK)
		return rc;
	ref = ref_of(&c);
	rc = connect_ops_remove(ctx, &a, &ref.t, c.id, &was);
	if (rc == KC_OK && !was)
		rc = ctx_fail_code(ctx, KC_ERR_NOT_FOUND, "account_not_found",
		    "No Klaviyo account of this store has that id");
	conn_clear(&c);
	perm_access_clear(&a);
	if (rc != KC_OK)
		return rc;
	if ((o = json_object_new_object()) == NULL ||
	    json_add_bool(o, "success", 1) != KC_OK ||
	    json_add_str(o, "message", "Klaviyo account removed") != KC_OK) {
		json_object_put(o);
		return KC_ERR_NOMEM;
	}
	ctx_reply(ctx, 200, o);
	return KC_OK;
}

int
route_account_metrics(struct kc_ctx *ctx)
{
	struct store_access	 a;
	struct kconn		 c;
	struct conn_ref		 ref;
	struct probe		 p;
	struct json_object	*o = NULL;
	int			 rc;

	if ((rc = connect_ops_load_account(ctx, STORE_MANAGE, &a, &c)) != KC_OK)
		return rc;
	ref = ref_of(&c);
	rc = connect_ops_stored_metrics(ctx, &a, &ref, &p);
	if (rc == KC_OK) {
		rc = KC_ERR_NOMEM;
		if ((o = json_object_new_object()) != NULL &&
		    json_add_bool(o, "success", 1) == KC_OK &&
		    json_add_obj(o, "metrics", json_object_get(p.metrics)) ==
		    KC_OK) {
			ctx_reply(ctx, 200, o);
			o = NULL;
			rc = KC_OK;
		}
		probe_free(&p);
	}
	json_object_put(o);
	conn_clear(&c);
	perm_access_clear(&a);
	return rc;
}
