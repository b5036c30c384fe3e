/*
 * GET /api/events: the store's Placed Order events with their profiles,
 * metric and attributions, built per page on demand.
 */
#include "sandbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoints.h"
#include "json_util.h"
#include "jsonapi.h"

/*
 * GET /api/events: the store's Placed Order events, built per page on
 * demand (20,000 of them would cost too much as JSON).  Default order:
 * oldest first.
 */

struct ev_match {
	const struct sbx_account	*acc;
	const struct sbx_order		*o;
	char				 profile[28];
};

static int
event_get(void *arg, const struct sbx_filter_field *f, const char **s,
    int64_t *n)
{
	struct ev_match	*m = arg;
	const char	*first, *last;

	*s = NULL;
	*n = 0;
	if (strcmp(f->field, "metric_id") == 0) {
		*s = m->acc->order_metric;
		return 1;
	}
	if (strcmp(f->field, "profile_id") == 0) {
		sbx_store_profile(m->acc->store, m->o->profile, m->profile,
		    &first, &last);
		*s = m->profile;
		return 1;
	}
	if (strcmp(f->field, "datetime") == 0 ||
	    strcmp(f->field, "timestamp") == 0) {
		*n = m->o->t;
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
event_json(const struct sbx_ctx *ctx, const struct sbx_order *o,
    const char *include)
{
	const struct sbx_account	*a = ctx->acc;
	struct json_object		*ev, *at, *rels, *links, *arr;
	const char			*first, *last, *fields;
	char				 buf[400], pid[28], aid[40];
	int				 inc_p, inc_m, inc_a;

	inc_p = include && sbx_list_has(include, "profile");
	inc_m = include && sbx_list_has(include, "metric");
	inc_a = include && sbx_list_has(include, "attributions");
	if ((ev = sbx_res_new("event", o->id, &at)) == NULL)
		return NULL;
	sbx_fmt_time(o->t, buf, sizeof(buf));
	if (json_add_int(at, "timestamp", o->t) != KC_OK ||
	    sbx_add_new(at, "event_properties", event_props(a, o)) !=
	    KC_OK || json_add_str(at, "datetime", buf) != KC_OK ||
	    json_add_str(at, "uuid", o->uuid) != KC_OK)
		goto fail;
	if ((rels = json_object_new_object()) == NULL ||
	    json_add_obj(ev, "relationships", rels) != KC_OK)
		goto fail;
	sbx_store_profile(a->store, o->profile, pid, &first, &last);
	if (event_rel(rels, ctx->base, o->id, "profile", inc_p ?
	    sbx_ref_new("profile", pid) : NULL) != KC_OK ||
	    event_rel(rels, ctx->base, o->id, "metric", inc_m ?
	    sbx_ref_new("metric", a->order_metric) : NULL) != KC_OK)
		goto fail;
	arr = NULL;
	if (inc_a) {
		if ((arr = json_object_new_array()) == NULL)
			goto fail;
		attribution_id(o, aid, sizeof(aid));
		if (o->kind != SBX_OK_NONE && sbx_arr_add(arr,
		    sbx_ref_new("attribution", aid)) != KC_OK) {
			json_object_put(arr);
			goto fail;
		}
	}
	if (event_rel(rels, ctx->base, o->id, "attributions", arr) != KC_OK)
		goto fail;
	snprintf(buf, sizeof(buf), "%s/api/events/%s/", ctx->base, o->id);
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

static struct json_object *
profile_json(const struct sbx_ctx *ctx, const struct sbx_order *o)
{
	const struct sbx_store	*st = ctx->acc->store;
	struct json_object	*p, *at, *links;
	const char		*first, *last, *fields;
	char			 id[28], buf[400], t[40];

	sbx_store_profile(st, o->profile, id, &first, &last);
	if ((p = json_object_new_object()) == NULL)
		return NULL;
	snprintf(buf, sizeof(buf), "%s.%s.%u@example.com", first, last,
	    o->profile);
	for (char *c = buf; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	sbx_fmt_time(st->day_utc[0] - 86400 * (int64_t)(o->profile % 400),
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

/* Adds what a page of events includes: the metric, profiles, attributions. */
static int
events_included(const struct sbx_ctx *ctx, const size_t *idx, size_t off,
    size_t end, const char *include, struct json_object *included)
{
	const struct sbx_store	*st = ctx->acc->store;
	struct json_object	*m;
	size_t			 i, j;
	int			 dup;

	if (sbx_list_has(include, "metric") && (m = sbx_find_resource(
	    sbx_account_coll(ctx->acc, "metric"), "metric",
	    ctx->acc->order_metric)) != NULL && sbx_arr_add(included,
	    sbx_answer_copy(ctx, m, NULL)) != KC_OK)
		return KC_ERR_NOMEM;
	for (i = off; i < end && sbx_list_has(include, "profile"); i++) {
		for (j = off, dup = 0; j < i && !dup; j++)
			dup = st->orders[idx[j]].profile ==
			    st->orders[idx[i]].profile;
		if (!dup && sbx_arr_add(included, profile_json(ctx,
		    &st->orders[idx[i]])) != KC_OK)
			return KC_ERR_NOMEM;
	}
	for (i = off; i < end && sbx_list_has(include, "attributions"); i++)
		if (st->orders[idx[i]].kind != SBX_OK_NONE &&
		    sbx_arr_add(included, attribution_json(ctx,
		    &st->orders[idx[i]])) != KC_OK)
			return KC_ERR_NOMEM;
	return KC_OK;
}

int
sbx_handle_events(struct sbx_ctx *ctx, struct sbx_resp *resp)
{
	const struct sbx_store	*st = ctx->acc->store;
	struct sbx_filter	*flt = NULL;
	struct ev_match		 m;
	struct json_object	*doc = NULL, *data, *included;
	size_t			*idx = NULL, n = 0, i, off = 0, size, end;
	const char		*v, *include, *sort;
	char			 err[256];
	int			 rc = KC_ERR_NOMEM, desc = 0;

	if ((v = sbx_query_get(&ctx->q, "filter")) != NULL &&
	    (rc = sbx_filter_parse(v, ctx->ep->filters, &flt, err,
	    sizeof(err))) != KC_OK)
		return rc;	/* checked before: only out of memory */
	rc = KC_ERR_NOMEM;
	if (st->norders > 0 && (idx = calloc(st->norders,
	    sizeof(*idx))) == NULL)
		goto out;
	m.acc = ctx->acc;
	for (i = 0; i < st->norders; i++) {
		m.o = &st->orders[i];
		if (ctx->acc->order_metric[0] != '\0' &&
		    sbx_filter_match_fn(flt, event_get, &m))
			idx[n++] = i;
	}
	if ((sort = sbx_query_get(&ctx->q, "sort")) != NULL && *sort == '-')
		desc = 1;
	if (desc)
		for (i = 0; i < n / 2; i++) {
			size_t t = idx[i];

			idx[i] = idx[n - 1 - i];
			idx[n - 1 - i] = t;
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
		if (sbx_arr_add(data, event_json(ctx, &st->orders[idx[i]],
		    include)) != KC_OK)
			goto out;
	if ((rc = sbx_page_links(ctx, doc, off, end, n, size)) != KC_OK)
		goto out;
	rc = KC_ERR_NOMEM;
	if (include != NULL) {
		if ((included = json_object_new_array()) == NULL ||
		    json_add_obj(doc, "included", included) != KC_OK)
			goto out;
		if ((rc = events_included(ctx, idx, off, end, include,
		    included)) != KC_OK)
			goto out;
	}
	rc = sbx_reply_json(resp, 200, doc);
out:
	free(idx);
	sbx_filter_free(flt);
	json_object_put(doc);
	return rc;
}
