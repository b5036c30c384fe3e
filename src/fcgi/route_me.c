/* GET /api/me: the signed-in user and the stores they can see. */
#include "routes.h"

#include "dispatch.h"
#include "json_util.h"

/* Adds one store of the user to the array arg. */
static int
add_store(void *arg, const struct perm_store_row *r)
{
	struct json_object *s = json_object_new_object();

	if (s == NULL ||
	    json_add_str(s, "public_id", r->public_id) != KC_OK ||
	    json_add_str(s, "name", r->name) != KC_OK ||
	    json_add_str(s, "role", r->role) != KC_OK ||
	    json_add_int(s, "level", r->level) != KC_OK ||
	    json_add_bool(s, "can_manage", perm_can_manage(r->level,
	    r->manage_integrations)) != KC_OK ||
	    json_add_str(s, "klaviyo_status", r->klaviyo_status) != KC_OK ||
	    json_add_int(s, "klaviyo_accounts", r->klaviyo_accounts) !=
	    KC_OK ||
	    json_object_array_add(arg, s) != 0) {
		json_object_put(s);
		return KC_ERR_NOMEM;
	}
	return KC_OK;
}

int
route_me(struct kc_ctx *ctx)
{
	struct json_object	*o = NULL, *u = NULL, *arr = NULL;
	int			 rc;

	if ((arr = json_object_new_array()) == NULL)
		return KC_ERR_NOMEM;
	if ((rc = perm_user_stores(ctx->db, ctx->user.id, add_store, arr)) !=
	    KC_OK)
		goto out;
	rc = KC_ERR_NOMEM;
	if ((o = json_object_new_object()) == NULL ||
	    (u = json_object_new_object()) == NULL)
		goto out;
	if (json_add_int(u, "id", ctx->user.id) != KC_OK ||
	    json_add_str(u, "email", ctx->user.email) != KC_OK ||
	    json_add_bool(o, "success", 1) != KC_OK ||
	    json_add_bool(o, "oauth_enabled", ctx->oauth != NULL) != KC_OK)
		goto out;
	rc = json_add_obj(o, "user", u);
	u = NULL;
	if (rc != KC_OK)
		goto out;
	rc = json_add_obj(o, "stores", arr);
	arr = NULL;
	if (rc != KC_OK)
		goto out;
	ctx_reply(ctx, 200, o);
	o = NULL;
out:
	json_object_put(o);
	json_object_put(u);
	json_object_put(arr);
	return rc;
}
