/*
 * Pieces the generators and handlers share to build JSON:API documents:
 * ids and times drawn for generated resources, resource, relationship
 * and reference objects, links, money, and lookups in comma lists and
 * resource arrays.
 */
#include "jsonapi.h"

#include <stdio.h>
#include <string.h>

#include "json_util.h"

#define T_2021		1609459200LL	/* 2021-01-01T00:00:00Z */
#define T_LATEST	1782777600LL	/* 2026-06-30T00:00:00Z */

/* created in 2021..mid 2024, updated after it, both before T_LATEST. */
void
sbx_gen_times(struct sbx_rng *r, char *created, char *updated, size_t len)
{
	int64_t c, u;

	c = T_2021 + (int64_t)sbx_rng_below(r, 3LL * 365 * 86400 +
	    180LL * 86400);
	u = c + (int64_t)sbx_rng_below(r, 700LL * 86400);
	if (u > T_LATEST)
		u = T_LATEST;
	sbx_fmt_time(c, created, len);
	sbx_fmt_time(u, updated, len);
}

/* A fresh id of n characters not used yet in arr. */
void
sbx_unique_id(struct sbx_rng *r, struct json_object *arr, char *out, size_t n,
    int hex)
{
	struct json_object	*it, *v;
	size_t			 i;
	int			 dup;

	do {
		if (hex)
			sbx_rng_hex(r, out, n);
		else
			sbx_rng_alnum(r, out, n);
		dup = 0;
		for (i = 0; i < json_object_array_length(arr) && !dup; i++) {
			it = json_object_array_get_idx(arr, i);
			if (json_object_object_get_ex(it, "id", &v) &&
			    strcmp(json_object_get_string(v), out) == 0)
				dup = 1;
		}
	} while (dup);
}

/* {"data": [], "links": {"self": ..., "related": ...}} */
struct json_object *
sbx_relationship(const char *coll, const char *id, const char *rel, int data)
{
	struct json_object	*o, *links;
	char			 self[160], related[160];

	snprintf(self, sizeof(self), "/api/%s/%s/relationships/%s/", coll,
	    id, rel);
	snprintf(related, sizeof(related), "/api/%s/%s/%s/", coll, id, rel);
	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if ((data && json_add_obj(o, "data", json_object_new_array()) !=
	    KC_OK) || (links = json_object_new_object()) == NULL ||
	    json_add_obj(o, "links", links) != KC_OK ||
	    json_add_str(links, "self", self) != KC_OK ||
	    json_add_str(links, "related", related) != KC_OK) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* {"type": type, "id": id, "attributes": {}, "links": {"self": ...}} */
struct json_object *
sbx_resource(const char *type, const char *coll, const char *id,
    struct json_object **attrs)
{
	struct json_object	*o, *links;
	char			 self[160];

	*attrs = NULL;
	snprintf(self, sizeof(self), "/api/%s/%s/", coll, id);
	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (json_add_str(o, "type", type) != KC_OK ||
	    json_add_str(o, "id", id) != KC_OK ||
	    (*attrs = json_object_new_object()) == NULL ||
	    json_add_obj(o, "attributes", *attrs) != KC_OK ||
	    (links = json_object_new_object()) == NULL ||
	    json_add_obj(o, "links", links) != KC_OK ||
	    json_add_str(links, "self", self) != KC_OK) {
		json_object_put(o);
		*attrs = NULL;
		return NULL;
	}
	return o;
}

/* {"type": type, "id": id, "attributes": {}}: links come last. */
struct json_object *
sbx_res_new(const char *type, const char *id, struct json_object **attrs)
{
	struct json_object *o;

	*attrs = NULL;
	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (json_add_str(o, "type", type) != KC_OK ||
	    json_add_str(o, "id", id) != KC_OK ||
	    (*attrs = json_object_new_object()) == NULL ||
	    json_add_obj(o, "attributes", *attrs) != KC_OK) {
		json_object_put(o);
		*attrs = NULL;
		return NULL;
	}
	return o;
}

/* Adds "links": {"self": "/api/<coll>/<id>/"}. */
int
sbx_res_links(struct json_object *o, const char *coll, const char *id)
{
	struct json_object	*links;
	char			 self[160];

	snprintf(self, sizeof(self), "/api/%s/%s/", coll, id);
	if ((links = json_object_new_object()) == NULL ||
	    json_add_obj(o, "links", links) != KC_OK)
		return KC_ERR_NOMEM;
	return json_add_str(links, "self", self);
}

/* {"type": type, "id": id} */
struct json_object *
sbx_ref_new(const char *type, const char *id)
{
	struct json_object *o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (json_add_str(o, "type", type) != KC_OK ||
	    json_add_str(o, "id", id) != KC_OK) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int
sbx_add_time(struct json_object *o, const char *name, int64_t t)
{
	char buf[40];

	if (t == 0)
		return json_add_str(o, name, NULL);
	sbx_fmt_time(t, buf, sizeof(buf));
	return json_add_str(o, name, buf);
}

/* Adds o as key of obj; a NULL o (a builder out of memory) fails. */
int
sbx_add_new(struct json_object *obj, const char *key, struct json_object *o)
{
	if (o == NULL)
		return KC_ERR_NOMEM;
	return json_add_obj(obj, key, o);
}

/* Appends o to arr, taking it even on failure. */
int
sbx_arr_add(struct json_object *arr, struct json_object *o)
{
	if (o == NULL)
		return KC_ERR_NOMEM;
	if (json_object_array_add(arr, o) != 0) {
		json_object_put(o);
		return KC_ERR_NOMEM;
	}
	return KC_OK;
}

/* 1 when the comma-separated list has s. */
int
sbx_list_has(const char *list, const char *s)
{
	size_t		 n = strlen(s);
	const char	*p = list;

	while (p && *p) {
		if (strncmp(p, s, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return 0;
}

/* The resource of a type and id in arr, or NULL. */
struct json_object *
sbx_find_resource(struct json_object *arr, const char *type, const char *id)
{
	struct json_object	*it, *v;
	size_t			 i;

	for (i = 0; arr && i < json_object_array_length(arr); i++) {
		it = json_object_array_get_idx(arr, i);
		if (json_object_object_get_ex(it, "type", &v) &&
		    strcmp(json_object_get_string(v), type) == 0 &&
		    json_object_object_get_ex(it, "id", &v) &&
		    strcmp(json_object_get_string(v), id) == 0)
			return it;
	}
	return NULL;
}

const char *const sbx_send_channels[] = { "email", "sms",
	"push-notification" };

/* Cents as a JSON number with two decimals, exactly. */
struct json_object *
sbx_money(int64_t cents)
{
	char buf[40];

	snprintf(buf, sizeof(buf), "%s%lld.%02lld", cents < 0 ? "-" : "",
	    (long long)(cents < 0 ? -cents : cents) / 100,
	    (long long)(cents < 0 ? -cents : cents) % 100);
	return json_object_new_double_s((double)cents / 100.0, buf);
}

/* {"data": {"type": type, "id": id}} */
struct json_object *
sbx_to_one(const char *type, const char *id)
{
	struct json_object *o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (sbx_add_new(o, "data", sbx_ref_new(type, id)) != KC_OK) {
		json_object_put(o);
		return NULL;
	}
	return o;
}
