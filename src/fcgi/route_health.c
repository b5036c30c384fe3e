/* GET /api/health: is this worker able to reach PostgreSQL? */
#include "routes.h"

#include "dispatch.h"
#include "json_util.h"

static const char SQL_PING[] = "SELECT 1";

int
route_health(struct kc_ctx *ctx)
{
	struct json_object	*o;
	int			 up;

	up = db_query(ctx->db, SQL_PING, 0, NULL, NULL) == KC_OK;
	if ((o = json_object_new_object()) == NULL ||
	    json_add_bool(o, "ok", up) != KC_OK ||
	    json_add_bool(o, "db", up) != KC_OK) {
		json_object_put(o);
		return KC_ERR_NOMEM;
	}
	ctx_reply(ctx, up ? 200 : 503, o);
	return KC_OK;
}
