/* GET /api/me: the signed-in user and the stores they can see. */
#include "routes.h"

#include <stdio.h>
#include <stdlib.h>

#include "dispatch.h"
#include "integration.h"
#include "json_util.h"

/* One row per store, the highest role when several seats reach it. */
static const char SQL_STORES[] =
    "SELECT public_id, name, role, level, manage, status FROM ("
    " SELECT DISTINCT ON (s.id) s.public_id, s.name, r.name AS role,"
    "  r.level, coalesce(r.permissions #> '{stores,manage_integrations}'"
    "  = 'true', false) AS manage,"
    "  " INTEG_SQL_STATUS("s") " AS status"
    " FROM contract_seats c"
    " JOIN seat_store_access a ON a.seat_id = c.id"
    " JOIN stores s ON s.id = a.store_id"
    " JOIN roles r ON r.id = a.role_id"
    " WHERE c.user_id = $1"
    " ORDER BY s.id, r.level DESC) x ORDER BY lower(name), public_id";

static struct json_object *
store_row(const PGresult *res, int r)
{
	struct json_object	*s = json_object_new_object();
	int			 level = (int)strtol(PQgetvalue(res, r, 3),
	    NULL, 10);
	int			 manage = PQgetvalue(res, r, 4)[0] == 't';

	if (s == NULL ||
	    json_add_str(s, "public_id", PQgetvalue(res, r, 0)) != KC_OK ||
	    json_add_str(s, "name", PQgetvalue(res, r, 1)) != KC_OK ||
	    json_add_str(s, "role", PQgetvalue(res, r, 2)) != KC_OK ||
	    json_add_int(s, "level", level) != KC_OK ||
	    json_add_bool(s, "can_manage", perm_can_manage(level, manage)) !=
	    KC_OK ||
	    json_add_str(s, "klaviyo_status", db_val(res, r, 5)) != KC_OK) {
		json_object_put(s);
		return NULL;
	}
	return s;
}

int
route_me(struct kc_ctx *ctx)
{
	char			 uid[24];
	const char		*params[1] = { uid };
	PGresult		*res = NULL;
	struct json_object	*o = NULL, *u = NULL, *arr = NULL, *s;
	int			 rc, r;

	snprintf(uid, sizeof(uid), "%lld", ctx->user.id);
	if ((rc = db_query(ctx->db, SQL_STORES, 1, params, &res)) != KC_OK)
		return rc;
	rc = KC_ERR_NOMEM;
	if ((o = json_object_new_object()) == NULL ||
	    (u = json_object_new_object()) == NULL ||
	    (arr = json_object_new_array()) == NULL)
		goto out;
	for (r = 0; r < PQntuples(res); r++) {
		if ((s = store_row(res, r)) == NULL)
			goto out;
		if (json_object_array_add(arr, s) != 0) {
			json_object_put(s);
			goto out;
		}
	}
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
	PQclear(res);
	return rc;
}
