/* Merging and ordering Klaviyo metrics; see metrics.h. */
#include "metrics.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json_util.h"

int
metric_is_shopify_placed_order(const char *name, const char *key)
{
	return name && key && strcmp(name, "Placed Order") == 0 &&
	    strcmp(key, "shopify") == 0;
}

static struct json_object *
attr(struct json_object *item, const char *key)
{
	struct json_object *a, *v;

	if (!json_object_object_get_ex(item, "attributes", &a) ||
	    !json_object_object_get_ex(a, key, &v))
		return NULL;
	return v;
}

/* One output entry; NULL for items without an id or a name. */
static struct json_object *
entry(struct json_object *item, int custom)
{
	struct json_object	*o, *integ;
	const char		*id, *name, *iname = NULL, *ikey = NULL;
	int			 shop;

	id = json_get_str(item, "id");
	name = json_object_get_string(attr(item, "name"));
	if (id == NULL || *id == '\0' || attr(item, "name") == NULL ||
	    !json_object_is_type(attr(item, "name"), json_type_string))
		return NULL;
	integ = attr(item, "integration");
	if (integ && json_object_is_type(integ, json_type_object)) {
		iname = json_get_str(integ, "name");
		ikey = json_get_str(integ, "key");
	}
	if (iname == NULL)
		iname = custom ? "Custom" : "API";
	shop = !custom && metric_is_shopify_placed_order(name, ikey);
	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (json_add_str(o, "id", id) != KC_OK ||
	    json_add_str(o, "name", name) != KC_OK ||
	    json_add_str(o, "integration", iname) != KC_OK ||
	    json_add_str(o, "integration_key", ikey) != KC_OK ||
	    json_add_str(o, "category", custom ? "CUSTOM" : "STANDARD") !=
	    KC_OK ||
	    json_add_bool(o, "isShopifyPlacedOrder", shop) != KC_OK) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

struct json_object *
metrics_find(struct json_object *merged, const char *id)
{
	size_t		 i, n;
	const char	*mid;

	if (merged == NULL)
		return NULL;
	n = json_object_array_length(merged);
	for (i = 0; i < n; i++) {
		mid = json_get_str(json_object_array_get_idx(merged, i), "id");
		if (mid && strcmp(mid, id) == 0)
			return json_object_array_get_idx(merged, i);
	}
	return NULL;
}

struct sortable {
	struct json_object	*o;
	size_t			 idx;
};

static int
cmp_metric(const void *a, const void *b)
{
	const struct sortable	*x = a, *y = b;
	int			 sx = json_get_bool(x->o,
	    "isShopifyPlacedOrder");
	int			 sy = json_get_bool(y->o,
	    "isShopifyPlacedOrder");
	int			 c;

	if (sx != sy)
		return sy - sx;
	c = strcasecmp(json_get_str(x->o, "name"), json_get_str(y->o,
	    "name"));
	if (c != 0)
		return c;
	return (x->idx > y->idx) - (x->idx < y->idx);	/* stable */
}

static int
add_all(struct json_object *tmp, struct json_object *src, int custom)
{
	struct json_object	*e;
	size_t			 i, n;

	if (src == NULL || !json_object_is_type(src, json_type_array))
		return KC_OK;
	n = json_object_array_length(src);
	for (i = 0; i < n; i++) {
		if ((e = entry(json_object_array_get_idx(src, i), custom)) ==
		    NULL)
			continue;
		if (metrics_find(tmp, json_get_str(e, "id")) != NULL) {
			json_object_put(e);	/* a duplicate id */
			continue;
		}
		if (json_object_array_add(tmp, e) != 0) {
			json_object_put(e);
			return KC_ERR_NOMEM;
		}
	}
	return KC_OK;
}

int
metrics_merge(struct json_object *metrics, struct json_object *custom,
    struct json_object **out)
{
	struct json_object	*tmp = NULL, *res = NULL;
	struct sortable		*v = NULL;
	size_t			 i, n;
	int			 rc;

	*out = NULL;
	if ((tmp = json_object_new_array()) == NULL)
		return KC_ERR_NOMEM;
	if ((rc = add_all(tmp, metrics, 0)) != KC_OK ||
	    (rc = add_all(tmp, custom, 1)) != KC_OK)
		goto out;
	n = json_object_array_length(tmp);
	rc = KC_ERR_NOMEM;
	if ((v = calloc(n ? n : 1, sizeof(*v))) == NULL ||
	    (res = json_object_new_array_ext((int)n)) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		v[i].o = json_object_array_get_idx(tmp, i);
		v[i].idx = i;
	}
	qsort(v, n, sizeof(*v), cmp_metric);
	for (i = 0; i < n; i++)
		if (json_object_array_add(res, json_object_get(v[i].o)) != 0)
			goto out;
	*out = res;
	res = NULL;
	rc = KC_OK;
out:
	free(v);
	json_object_put(res);
	json_object_put(tmp);
	return rc;
}
