/* Public view of a store's Klaviyo integration; see store.h. */
#include "store.h"

#include <string.h>

#include "json_util.h"

/* Everything a client may see; anything else stored is dropped. */
static const char *const public_fields[] = {
	"status", "auth_method", "public_id", "account", "api_key_hint",
	"conversion_type", "conversion_metric", "conversion_metric_id",
	"connected_at", "last_sync", "is_updating_dashboard", "last_error",
	"campaign_values_last_update", "segment_series_last_update",
	"flow_series_last_update", "form_series_last_update",
};

int
store_integration_public(const char *text, struct json_object **out)
{
	struct json_object	*src = NULL, *dst = NULL, *v;
	size_t			 i;
	char			 err[128];
	int			 rc;

	*out = NULL;
	if ((rc = json_parse_object(text, strlen(text), &src, err,
	    sizeof(err))) != KC_OK)
		return KC_ERR_INTERNAL;
	if ((dst = json_object_new_object()) == NULL) {
		rc = KC_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < sizeof(public_fields) / sizeof(public_fields[0]);
	    i++) {
		if (!json_object_object_get_ex(src, public_fields[i], &v))
			continue;
		if ((rc = json_add_obj(dst, public_fields[i],
		    json_object_get(v))) != KC_OK)
			goto out;
	}
	if (json_get_str(dst, "status") == NULL &&
	    (rc = json_add_str(dst, "status", "not_configured")) != KC_OK)
		goto out;
	*out = dst;
	dst = NULL;
	rc = KC_OK;
out:
	json_object_put(src);
	json_object_put(dst);
	return rc;
}

int
store_status_json(const char *text, struct json_object *sync,
    const char *sync_status, int can_manage, struct json_object **out)
{
	struct json_object	*o = NULL, *integ = NULL;
	const char		*status;
	int			 rc;

	*out = NULL;
	if ((rc = store_integration_public(text, &integ)) != KC_OK)
		goto out;
	status = json_get_str(integ, "status");
	if (status && strcmp(status, "not_configured") != 0 && sync_status &&
	    (rc = json_add_str(integ, "sync_status", sync_status)) != KC_OK)
		goto out;
	if ((o = json_object_new_object()) == NULL) {
		rc = KC_ERR_NOMEM;
		goto out;
	}
	if ((rc = json_add_bool(o, "success", 1)) != KC_OK)
		goto out;
	rc = json_add_obj(o, "klaviyo_integration", integ);
	integ = NULL;		/* taken over, even on failure */
	if (rc != KC_OK)
		goto out;
	if (sync == NULL && (sync = json_object_new_object()) == NULL) {
		rc = KC_ERR_NOMEM;
		goto out;
	}
	rc = json_add_obj(o, "sync", sync);
	sync = NULL;
	if (rc != KC_OK ||
	    (rc = json_add_bool(o, "can_manage", can_manage)) != KC_OK)
		goto out;
	*out = o;
	o = NULL;
out:
	json_object_put(sync);
	json_object_put(integ);
	json_object_put(o);
	return rc;
}
