/*
 * sbx_handle_collection: a GET collection endpoint from its row and its
 * generated collection: filter, sort, page, sparse fieldsets, include.
 */
#include "sandbox.h"

#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "jsonapi.h"

struct sort_item {
	struct json_object	*item;
	size_t			 pos;
	const char		*key;
};

static int
sort_cmp(const void *a, const void *b, void *arg)
{
	const struct sort_item	*x = a, *y = b;
	int			 desc = *(const int *)arg, c;

	c = strcmp(x->key ? x->key : "", y->key ? y->key : "");
	if (desc)
		c = -c;
	if (c == 0)
		c = x->pos < y->pos ? -1 : x->pos > y->pos;
	return c;
}

static const char *
attr_str(struct json_object *item, const char *name)
{
	struct json_object *at, *v;

	if (strcmp(name, "id") == 0)
		return json_object_object_get_ex(item, "id", &v) ?
		    json_object_get_string(v) : NULL;
	if (!json_object_object_get_ex(item, "attributes", &at) ||
	    !json_object_object_get_ex(at, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/*
 * Adds the resource a {type, id} reference names, once: from the
 * account's collections, or from the resources the referring item
 * carries itself (_sbx.included: campaign messages).
 */
static int
include_ref(const struct sbx_ctx *ctx, struct json_object *item,
    struct json_object *ref, struct json_object *included)
{
	struct json_object	*v, *res, *cp, *own = NULL;
	const char		*type, *id;

	if (!json_object_object_get_ex(ref, "type", &v) ||
	    (type = json_object_get_string(v)) == NULL ||
	    !json_object_object_get_ex(ref, "id", &v) ||
	    (id = json_object_get_string(v)) == NULL)
		return KC_OK;
	if (sbx_find_resource(included, type, id) != NULL)
		return KC_OK;
	if (json_object_object_get_ex(item, "_sbx", &v))
		json_object_object_get_ex(v, "included", &own);
	if ((res = sbx_find_resource(sbx_account_coll(ctx->acc, type), type,
	    id)) == NULL && (res = sbx_find_resource(own, type, id)) == NULL)
		return KC_OK;
	if ((cp = sbx_answer_copy(ctx, res, NULL)) == NULL)
		return KC_ERR_NOMEM;
	if (json_object_array_add(included, cp) != 0) {
		json_object_put(cp);
		return KC_ERR_NOMEM;
	}
	return KC_OK;
}

/* Adds the resources a page refers to through included relationships. */
static int
add_included(const struct sbx_ctx *ctx, struct json_object *page_src,
    const char *include, struct json_object *included)
{
	struct json_object	*it, *rels, *data;
	size_t			 i, j;
	int			 rc;

	for (i = 0; i < json_object_array_length(page_src); i++) {
		it = json_object_array_get_idx(page_src, i);
		if (!json_object_object_get_ex(it, "relationships", &rels))
			continue;
		json_object_object_foreach(rels, rk, rel) {
			if (!sbx_list_has(include, rk) ||
			    !json_object_object_get_ex(rel, "data", &data))
				continue;
			for (j = 0; j < json_object_array_length(data); j++)
				if ((rc = include_ref(ctx, it,
				    json_object_array_get_idx(data, j),
				    included)) != KC_OK)
					return rc;
		}
	}
	return KC_OK;
}

int
sbx_handle_collection(struct sbx_ctx *ctx, struct sbx_resp *resp)
{
	struct json_object	*all, *doc = NULL, *data = NULL;
	struct json_object	*page = NULL, *included = NULL, *cp;
	struct sbx_filter	*filter = NULL;
	struct sort_item	*items = NULL;
	const char		*v, *include, *sort;
	char			 err[256];
	size_t			 n = 0, total, i, off = 0, size, end;
	int			 rc = KC_ERR_NOMEM, desc = 0;
	long long		 ps;

	all = ctx->acc->coll[ctx->ep_idx];
	total = all ? json_object_array_length(all) : 0;
	if ((v = sbx_query_get(&ctx->q, "filter")) != NULL &&
	    (rc = sbx_filter_parse(v, ctx->ep->filters, &filter, err,
	    sizeof(err))) != KC_OK)
		goto out;
	if (total > 0 && (items = calloc(total, sizeof(*items))) == NULL)
		goto out;
	for (i = 0; i < total; i++) {
		struct json_object *it = json_object_array_get_idx(all, i);

		if (!sbx_filter_match(filter, it))
			continue;
		items[n].item = it;
		items[n].pos = i;
		n++;
	}
	if ((sort = sbx_query_get(&ctx->q, "sort")) != NULL) {
		if (*sort == '-') {
			desc = 1;
			sort++;
		}
		for (i = 0; i < n; i++)
			items[i].key = attr_str(items[i].item, sort);
		if (n > 1)
			qsort_r(items, n, sizeof(*items), sort_cmp, &desc);
	}
	size = ctx->ep->page_size > 0 ? (size_t)ctx->ep->page_size : n;
	if ((v = sbx_query_get(&ctx->q, "page[size]")) != NULL) {
		ps = strtoll(v, NULL, 10);	/* validated already */
		size = (size_t)ps;
	}
	if ((v = sbx_query_get(&ctx->q, "page[cursor]")) != NULL &&
	    *v != '\0')
		if (sbx_cursor_parse(v, &off) != KC_OK)	/* checked before */
			off = 0;
	if (off > n)
		off = n;
	end = size == 0 ? n : (off + size < n ? off + size : n);
	include = sbx_query_get(&ctx->q, "include");

	rc = KC_ERR_NOMEM;
	if ((doc = json_object_new_object()) == NULL ||
	    (data = json_object_new_array()) == NULL ||
	    (page = json_object_new_array()) == NULL)
		goto out;
	for (i = off; i < end; i++) {
		if (json_object_array_add(page,
		    json_object_get(items[i].item)) != 0)
			goto out;
		if ((cp = sbx_answer_copy(ctx, items[i].item, include)) == NULL)
			goto out;
		if (json_object_array_add(data, cp) != 0) {
			json_object_put(cp);
			goto out;
		}
	}
	if (json_add_obj(doc, "data", data) != KC_OK) {
		data = NULL;
		goto out;
	}
	data = NULL;
	if ((rc = sbx_page_links(ctx, doc, off, end, n, size)) != KC_OK)
		goto out;
	rc = KC_ERR_NOMEM;
	if (include != NULL) {
		if ((included = json_object_new_array()) == NULL)
			goto out;
		if ((rc = add_included(ctx, page, include, included)) != KC_OK)
			goto out;
		if ((rc = json_add_obj(doc, "included", included)) != KC_OK) {
			included = NULL;
			goto out;
		}
		included = NULL;
	}
	rc = sbx_reply_json(resp, 200, doc);
out:
	if (rc == KC_ERR_BAD_INPUT)
		rc = sbx_reply_error(ctx->app, resp, 400, "invalid",
		    "Invalid input.", err, "parameter", "filter");
	free(items);
	sbx_filter_free(filter);
	json_object_put(included);
	json_object_put(page);
	json_object_put(data);
	json_object_put(doc);
	return rc;
}

/* Checks. */
