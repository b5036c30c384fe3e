/*
 * /api/store/{storePublicId}/klaviyo-connect: the store's Klaviyo
 * integration.  GET shows the status to any role on the store.
 */
#include "routes.h"

#include "dispatch.h"
#include "store.h"

int
route_connect_get(struct kc_ctx *ctx)
{
	struct store_access	 a;
	struct json_object	*o = NULL;
	int			 rc;

	if ((rc = ctx_store_access(ctx, STORE_READ, &a)) != KC_OK)
		return rc;
	rc = store_status_json(a.integration, NULL, "idle",
	    perm_can_manage(a.level, a.manage_integrations), &o);
	perm_access_clear(&a);
	if (rc != KC_OK)
		return rc;
	ctx_reply(ctx, 200, o);
	return KC_OK;
}
