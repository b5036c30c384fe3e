/*
 * The metric list a user picks a conversion metric from: /api/metrics and
 * /api/custom-metrics merged without duplicates (by id), each as
 * {id, name, integration, integration_key, category,
 * isShopifyPlacedOrder}, Shopify's
 * "Placed Order" first, then by name (case-insensitive, stable).
 */
#ifndef KC_METRICS_H
#define KC_METRICS_H

#include <json-c/json.h>

#include "kc_err.h"

/* 1 for name "Placed Order" with integration.key "shopify" (the seed). */
int	metric_is_shopify_placed_order(const char *name,
	    const char *integration_key);
/*
 * Builds the merged, sorted array from the JSON:API data arrays (either
 * may be NULL).  *out is a new array.
 */
int	metrics_merge(struct json_object *metrics,
	    struct json_object *custom, struct json_object **out)
	    KC_MUSTCHECK;
/* The entry with this id in a merged array (borrowed), or NULL. */
struct json_object *metrics_find(struct json_object *merged, const char *id);

#endif
