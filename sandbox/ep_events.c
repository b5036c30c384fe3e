/*
 * GET /api/events: the store's Placed Order events with their profiles,
 * metric and attributions, built per page on demand, and the events the
 * control API created (webhooks.h), in time order among them.
 */
#include "sandbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoints.h"
#include "json_util.h"
#include "jsonapi.h"
#include "webhooks.h"

/*
 * GET /api/events: the store's Placed Order events, built per page on
 * demand (20,000 of them would cost too much as JSON).  Default order:
 * oldest first.
 */

/* An event of the page: a store order or a created event. */
struct ev_item {
	const struct sbx_order		*o;	/* or NULL */
	const struct sbx_xevent		*x;	/* or NULL */
};

struct ev_match {
	const struct sbx_account	*acc;
	struct ev_item			 it;
	char				 profile[28];
};

static int64_t
item_time(const struct ev_item *it)
{
	return it->o ? it->o->t : it->x->t;
}

static uint32_t
item_profile(const struct ev_item *it)
{
	return it->o ? it->o->profile : it->x->profile;
}

static const char *
item_metric(const struct sbx_account *a, const struct ev_item *it)
{
	return it->o ? a->order_metric : it->x->metric;
}

static const char *
item_id(const struct ev_item *it)
{
	return it->o ? it->o->id : it->x->id;
}

static int
event_get(void *arg, const struct sbx_filter_field *f, const char **s,
    int64_t *n)
{
	struct ev_match	*m = arg;
	const char	*first, *last;

	*s = NULL;
	*n = 0;
	if (strcmp(f->field, "metric_id") == 0) {
		*s = item_metric(m->acc, &m->it);
		return 1;
	}
	if (strcmp(f->field, "profile_id") == 0) {
		sbx_store_profile(m->acc->store, item_profile(&m->it),
		    m->profile, &first, &last);
		*s = m->profile;
		return 1;
	}
	if (strcmp(f->field, "datetime") == 0 ||
	    strcmp(f->field, "timestamp") == 0) {
		*n = item_time(&m->it);
		return 1;
	}
	return 1;	/* has(profile), has(metric): every event has both */
}

/* A to-one or to-many relationship of an event, data when included. */
static int
event_rel(struct json_object *rels, const char *base, const char *id,
    const char *name, struct json_object *data)
{
	struct json_object	*rel, *links;
	char			 url[400];

	if ((rel = json_object_new_object()) == NULL ||
	    json_add_obj(rels, name, rel) != KC_OK) {
		json_object_put(data);
		return KC_ERR_NOMEM;
	}
	if (data != NULL && json_add_obj(rel, "data", data) != KC_OK)
		return KC_ERR_NOMEM;
	if ((links = json_object_new_object()) == NULL ||
	    json_add_obj(rel, "links", links) != KC_OK)
		return KC_ERR_NOMEM;
	snprintf(url, sizeof(url), "%s/api/events/%s/relationships/%s/", base,
	    id, name);
	if (json_add_str(links, "self", url) != KC_OK)
		return KC_ERR_NOMEM;
	snprintf(url, sizeof(url), "%s/api/events/%s/%s/", base, id, name);
	return json_add_str(links, "related", url);
}

static void
attribution_id(const struct sbx_order *o, char *out, size_t len)
{
	uint64_t a = sbx_mix(sbx_hash(o->id)), b = sbx_mix(a ^ 0xa77);

	snprintf(out, len, "%016llx%016llx", (unsigned long long)a,
	    (unsigned long long)b);
}

static struct json_object *
event_props(const struct sbx_account *a, const struct sbx_order *o)
{
	const struct sbx_store	*st = a->store;
	struct json_object	*p, *at;
	char			 num[16];
	enum sbx_channel	 ch;

	snprintf(num, sizeof(num), "%u", o->number);
	if ((p = json_object_new_object()) == NULL)
		return NULL;
	if (json_add_str(p, "$event_id", num) != KC_OK ||
	    sbx_add_new(p, "$value", sbx_money(o->cents)) != KC_OK ||
	    json_add_str(p, "$currency_code", a->def->currency) != KC_OK ||
	    json_add_str(p, "OrderId", num) != KC_OK ||
	    json_add_int(p, "ItemCount", 1 + o->cents % 4) != KC_OK ||
	    json_add_str(p, "Source Name", o->cents % 5 ? "web" : "pos") !=
	    KC_OK)
		goto fail;
	if (o->kind == SBX_OK_NONE)
		return p;
	if ((at = json_object_new_object()) == NULL ||
	    json_add_obj(p, "$attribution", at) != KC_OK)
		goto fail;
	if (o->kind == SBX_OK_CAMPAIGN) {
		const struct sbx_campaign *c = &st->campaigns[o->target];

		ch = c->channel;
		if (json_add_str(at, "$campaign", c->id) != KC_OK ||
		    json_add_str(at, "$message", c->msg_id) != KC_OK)
			goto fail;
	} else {
		const struct sbx_flow_msg *m = &st->msgs[o->target];

		ch = m->channel;
		if (json_add_str(at, "$flow", st->flows[m->flow].id) != KC_OK ||
		    json_add_str(at, "$message", m->id) != KC_OK)
			goto fail;
	}
	if (json_add_str(at, "$attributed_channel", sbx_send_channels[ch]) !=
	    KC_OK || json_add_int(at, "$send_ts", o->send_ts) != KC_OK)
		goto fail;
	return p;
fail:
	json_object_put(p);
	return NULL;
}

static struct json_object *
event_json(const struct sbx_ctx *ctx, const struct ev_item *it,
    const char *include)
{
	const struct sbx_account	*a = ctx->acc;
	const struct sbx_order		*o = it->o;
	struct json_object		*ev, *at, *rels, *links, *arr, *props;
	const char			*first, *last, *fields, *id;
	char				 buf[400], pid[28], aid[40];
	int				 inc_p, inc_m, inc_a;

	inc_p = include && sbx_list_has(include, "profile");
	inc_m = include && sbx_list_has(include, "metric");
	inc_a = include && sbx_list_has(include, "attributions");
	id = item_id(it);
	if ((ev = sbx_res_new("event", id, &at)) == NULL)
		return NULL;
	sbx_fmt_time(item_time(it), buf, sizeof(buf));
	props = o ? event_props(a, o) : json_object_get(it->x->props);
	if (json_add_int(at, "timestamp", item_time(it)) != KC_OK ||
	    sbx_add_new(at, "event_properties", props) != KC_OK ||
	    json_add_str(at, "datetime", buf) != KC_OK ||
	    json_add_str(at, "uuid", o ? o->uuid : it->x->uuid) != KC_OK)
		goto fail;
	if ((rels = json_object_new_object()) == NULL ||
	    json_add_obj(ev, "relationships", rels) != KC_OK)
		goto fail;
	sbx_store_profile(a->store, item_profile(it), pid, &first, &last);
	if (event_rel(rels, ctx->base, id, "profile", inc_p ?
	    sbx_ref_new("profile", pid) : NULL) != KC_OK ||
	    event_rel(rels, ctx->base, id, "metric", inc_m ?
	    sbx_ref_new("metric", item_metric(a, it)) : NULL) != KC_OK)
		goto fail;
	arr = NULL;
	if (inc_a) {
		if ((arr = json_object_new_array()) == NULL)
			goto fail;
		if (o != NULL && o->kind != SBX_OK_NONE) {
			attribution_id(o, aid, sizeof(aid));
			if (sbx_arr_add(arr, sbx_ref_new("attribution",
			    aid)) != KC_OK) {
				json_object_put(arr);
				goto fail;
			}
		}
	}
	if (event_rel(rels, ctx->base, id, "attributions", arr) != KC_OK)
		goto fail;
	snprintf(buf, sizeof(buf), "%s/api/events/%s/", ctx->base, id);
	if ((links = json_object_new_object()) == NULL ||
	    json_add_obj(ev, "links", links) != KC_OK ||
	    json_add_str(links, "self", buf) != KC_OK)
		goto fail;
	if ((fields = sbx_query_get(&ctx->q, "fields[event]")) != NULL &&
	    sbx_fields_prune(at, fields) != KC_OK)
		goto fail;
	return ev;
fail:
	json_object_put(ev);
	return NULL;
}

struct json_object *
sbx_xevent_json(const struct sbx_ctx *ctx, const struct sbx_xevent *x)
{
	struct ev_item it = { NULL, x };

	return event_json(ctx, &it, NULL);
}

static struct json_object *
profile_json(const struct sbx_ctx *ctx, uint32_t profile)
{
	const struct sbx_store	*st = ctx->acc->store;
	struct json_object	*p, *at, *links;
	const char		*first, *last, *fields;
	char			 id[28], buf[400], t[40];

	sbx_store_profile(st, profile, id, &first, &last);
	if ((p = json_object_new_object()) == NULL)
		return NULL;
	snprintf(buf, sizeof(buf), "%s.%s.%u@example.com", first, last,
	    profile);
	for (char *c = buf; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	sbx_fmt_time(st->day_utc[0] - 86400 * (int64_t)(profile % 400),
	    t, sizeof(t));
	if (json_add_str(p, "type", "profile") != KC_OK ||
	    json_add_str(p, "id", id) != KC_OK ||
	    (at = json_object_new_object()) == NULL ||
	    json_add_obj(p, "attributes", at) != KC_OK ||
	    json_add_str(at, "email", buf) != KC_OK ||
	    json_add_str(at, "first_name", first) != KC_OK ||
	    json_add_str(at, "last_name", last) != KC_OK ||
	    json_add_str(at, "created", t) != KC_OK ||
	    json_add_str(at, "updated", t) != KC_OK ||
	    json_add_obj(at, "properties", json_object_new_object()) != KC_OK)
		goto fail;
	snprintf(buf, sizeof(buf), "%s/api/profiles/%s/", ctx->base, id);
	if ((links = json_object_new_object()) == NULL ||
	    json_add_obj(p, "links", links) != KC_OK ||
	    json_add_str(links, "self", buf) != KC_OK)
		goto fail;
	if ((fields = sbx_query_get(&ctx->q, "fields[profile]")) != NULL &&
	    sbx_fields_prune(at, fields) != KC_OK)
		goto fail;
	return p;
fail:
	json_object_put(p);
	return NULL;
}

static struct json_object *
attribution_json(const struct sbx_ctx *ctx, const struct sbx_order *o)
{
	const struct sbx_store	*st = ctx->acc->store;
	struct json_object	*p, *rels, *links;
	char			 id[40], buf[400];

	attribution_id(o, id, sizeof(id));
	if ((p = json_object_new_object()) == NULL)
		return NULL;
	if (json_add_str(p, "type", "attribution") != KC_OK ||
	    json_add_str(p, "id", id) != KC_OK ||
	    (rels = json_object_new_object()) == NULL ||
	    json_add_obj(p, "relationships", rels) != KC_OK ||
	    sbx_add_new(rels, "event", sbx_to_one("event", o->id)) != KC_OK)
		goto fail;
	if (o->kind == SBX_OK_CAMPAIGN) {
		const struct sbx_campaign *c = &st->campaigns[o->target];

		if (sbx_add_new(rels, "campaign", sbx_to_one("campaign",
		    c->id)) != KC_OK || sbx_add_new(rels, "campaign-message",
		    sbx_to_one("campaign-message", c->msg_id)) != KC_OK)
			goto fail;
	} else {
		const struct sbx_flow_msg *m = &st->msgs[o->target];

		if (sbx_add_new(rels, "flow", sbx_to_one("flow",
		    st->flows[m->flow].id)) != KC_OK ||
		    sbx_add_new(rels, "flow-message",
		    sbx_to_one("flow-message", m->id)) != KC_OK)
			goto fail;
	}
	snprintf(buf, sizeof(buf), "%s/api/attributions/%s/", ctx->base, id);
	if ((links = json_object_new_object()) == NULL ||
	    json_add_obj(p, "links", links) != KC_OK ||
	    json_add_str(links, "self", buf) != KC_OK)
		goto fail;
	return p;
fail:
	json_object_put(p);
	return NULL;
}

/* Adds what a page of events includes: metrics, profiles, attributions. */
static int
events_included(const struct sbx_ctx *ctx, const struct ev_item *items,
    size_t off, size_t end, const char *include,
    struct json_object *included)
{
	struct json_object	*m;
	const char		*mid;
	size_t			 i, j;
	int			 dup;

	for (i = off; i < end && sbx_list_has(include, "metric"); i++) {
		mid = item_metric(ctx->acc, &items[i]);
		for (j = off, dup = 0; j < i && !dup; j++)
			dup = strcmp(item_metric(ctx->acc, &items[j]),
			    mid) == 0;
		if (!dup && (m = sbx_find_resource(sbx_account_coll(ctx->acc,
		    "metric"), "metric", mid)) != NULL && sbx_arr_add(included,
		    sbx_answer_copy(ctx, m, NULL)) != KC_OK)
			return KC_ERR_NOMEM;
	}
	for (i = off; i < end && sbx_list_has(include, "profile"); i++) {
		for (j = off, dup = 0; j < i && !dup; j++)
			dup = item_profile(&items[j]) ==
			    item_profile(&items[i]);
		if (!dup && sbx_arr_add(included, profile_json(ctx,
		    item_profile(&items[i]))) != KC_OK)
			return KC_ERR_NOMEM;
	}
	for (i = off; i < end && sbx_list_has(include, "attributions"); i++)
		if (items[i].o != NULL && items[i].o->kind != SBX_OK_NONE &&
		    sbx_arr_add(included, attribution_json(ctx,
		    items[i].o)) != KC_OK)
			return KC_ERR_NOMEM;
	return KC_OK;
}

/*
 * The store's orders (when the account has a Placed Order metric) and
 * the created events merged in time order, the orders first at a tie,
 * filtered; *n items.
 */
static int
events_select(const struct sbx_ctx *ctx, const struct sbx_filter *flt,
    struct ev_item **out, size_t *n)
{
	const struct sbx_store	*st = ctx->acc->store;
	const struct sbx_hooks	*h = ctx->app->hooks;
	const struct sbx_xevent	*xv = NULL;
	struct ev_item		*items;
	struct ev_match		 m;
	size_t			 nx = 0, i = 0, j = 0, no;

	if (h != NULL && ctx->acc_idx < h->nacc) {
		xv = h->xev[ctx->acc_idx];
		nx = h->nxev[ctx->acc_idx];
	}
	no = ctx->acc->order_metric[0] != '\0' ? st->norders : 0;
	*n = 0;
	if ((items = calloc(no + nx + 1, sizeof(*items))) == NULL)
		return KC_ERR_NOMEM;
	m.acc = ctx->acc;
	while (i < no || j < nx) {
		memset(&m.it, 0, sizeof(m.it));
		if (j == nx || (i < no && st->orders[i].t <= xv[j].t))
			m.it.o = &st->orders[i++];
		else
			m.it.x = &xv[j++];
		if (sbx_filter_match_fn(flt, event_get, &m))
			items[(*n)++] = m.it;
	}
	*out = items;
	return KC_OK;
}

int
sbx_handle_events(struct sbx_ctx *ctx, struct sbx_resp *resp)
{
	struct sbx_filter	*flt = NULL;
	struct json_object	*doc = NULL, *data, *included;
	struct ev_item		*items = NULL, t;
	size_t			 n = 0, i, off = 0, size, end;
	const char		*v, *include, *sort;
	char			 err[256];
	int			 rc;

	if ((v = sbx_query_get(&ctx->q, "filter")) != NULL &&
	    (rc = sbx_filter_parse(v, ctx->ep->filters, &flt, err,
	    sizeof(err))) != KC_OK)
		return rc;	/* checked before: only out of memory */
	if ((rc = events_select(ctx, flt, &items, &n)) != KC_OK)
		goto out;
	rc = KC_ERR_NOMEM;
	if ((sort = sbx_query_get(&ctx->q, "sort")) != NULL && *sort == '-')
		for (i = 0; i < n / 2; i++) {
			t = items[i];
			items[i] = items[n - 1 - i];
			items[n - 1 - i] = t;
		}
	size = (size_t)ctx->ep->page_size;
	if ((v = sbx_query_get(&ctx->q, "page[size]")) != NULL)
		size = (size_t)strtoll(v, NULL, 10);	/* checked before */
	if ((v = sbx_query_get(&ctx->q, "page[cursor]")) != NULL &&
	    *v != '\0' && sbx_cursor_parse(v, &off) != KC_OK)
		off = 0;
	if (off > n)
		off = n;
	end = off + size < n ? off + size : n;
	include = sbx_query_get(&ctx->q, "include");
	if ((doc = json_object_new_object()) == NULL ||
	    (data = json_object_new_array()) == NULL ||
	    json_add_obj(doc, "data", data) != KC_OK)
		goto out;
	for (i = off; i < end; i++)
		if (sbx_arr_add(data, event_json(ctx, &items[i], include)) !=
		    KC_OK)
			goto out;
	if ((rc = sbx_page_links(ctx, doc, off, end, n, size)) != KC_OK)
		goto out;
	rc = KC_ERR_NOMEM;
	if (include != NULL) {
		if ((included = json_object_new_array()) == NULL ||
		    json_add_obj(doc, "included", included) != KC_OK)
			goto out;
		if ((rc = events_included(ctx, items, off, end, include,
		    included)) != KC_OK)
			goto out;
	}
	rc = sbx_reply_json(resp, 200, doc);
out:
	free(items);
	sbx_filter_free(flt);
	json_object_put(doc);
	return rc;
}
