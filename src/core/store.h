/*
 * The store's Klaviyo status as the API shows it: the klaviyo_integration
 * JSONB filtered to the fields the seed and DESIGN.md 3 name, so nothing
 * else stored there can ever leak into a response.
 */
#ifndef KC_STORE_H
#define KC_STORE_H

#include <json-c/json.h>

#include "kc_err.h"

/*
 * Builds {"success":true,"klaviyo_integration":{...},"sync":{...},
 * "can_manage":bool} from the stored JSON text.  sync is taken over
 * (may be NULL for an empty object).
 */
int	store_status_json(const char *integration, struct json_object *sync,
	    const char *sync_status, int can_manage,
	    struct json_object **out) KC_MUSTCHECK;
/* The filtered klaviyo_integration object alone. */
int	store_integration_public(const char *integration,
	    struct json_object **out) KC_MUSTCHECK;

#endif
