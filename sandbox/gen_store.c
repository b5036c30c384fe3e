/*
 * Campaigns, flows, segments and forms: JSON:API renderings of an
 * account's store (store.c), built once at start, and the channel
 * filter GET /api/campaigns insists on.
 */
#include "sandbox.h"

#include <stdio.h>
#include <string.h>

#include "endpoints.h"
#include "json_util.h"
#include "jsonapi.h"

/*
 * Campaigns, flows, segments and forms: JSON:API renderings of the
 * account's store (store.c), built once at start.  Resources may
 * carry "_sbx" members of the sandbox's own (a campaign's channel for
 * the messages.channel filter, its message for include): the answer
 * never shows them.
 */

static const char *const channel_names[] = { "email", "sms",
	"mobile_push" };
static const char *const campaign_status_names[] = { "Sent", "Draft",
	"Scheduled", "Cancelled" };
static const char *const flow_status_names[] = { "live", "manual",
	"draft" };

static const char *const subject_lines[] = {
	"Fresh picks for the trail", "Don't miss this weekend",
	"Our team's favourites", "Back by popular demand",
	"Ready for the season?", "A little something for you",
};

static struct json_object *
campaign_message_json(const struct sbx_account *a,
    const struct sbx_campaign *c)
{
	struct json_object	*o, *at, *def = NULL, *ct, *ro, *st, *rels;
	struct json_object	*rel, *links;
	char			 buf[256];
	const char		*subj = subject_lines[(unsigned char)c->id[20] %
				    (sizeof(subject_lines) /
				    sizeof(subject_lines[0]))];

	if ((o = sbx_res_new("campaign-message", c->msg_id, &at)) == NULL)
		return NULL;
	if ((def = json_object_new_object()) == NULL ||
	    json_add_obj(at, "definition", def) != KC_OK ||
	    json_add_str(def, "channel", channel_names[c->channel]) != KC_OK)
		goto fail;
	if ((ct = json_object_new_object()) == NULL ||
	    json_add_obj(def, "content", ct) != KC_OK)
		goto fail;
	switch (c->channel) {
	case SBX_CH_EMAIL:
		if (json_add_str(def, "label", c->name) != KC_OK ||
		    json_add_str(ct, "subject", subj) != KC_OK ||
		    json_add_str(ct, "preview_text", c->name) != KC_OK ||
		    json_add_str(ct, "from_email", a->def->sender_email) !=
		    KC_OK ||
		    json_add_str(ct, "from_label", a->def->sender_name) !=
		    KC_OK ||
		    json_add_str(ct, "reply_to_email", NULL) != KC_OK ||
		    json_add_str(ct, "cc_email", NULL) != KC_OK ||
		    json_add_str(ct, "bcc_email", NULL) != KC_OK)
			goto fail;
		break;
	case SBX_CH_SMS:
		snprintf(buf, sizeof(buf), "%s: %s. Reply STOP to opt out.",
		    a->def->sender_name, subj);
		if (json_add_str(ct, "body", buf) != KC_OK)
			goto fail;
		snprintf(buf, sizeof(buf), "%s/images/%s.jpg",
		    a->def->website, c->msg_id);
		if (json_add_str(ct, "media_url", c->mms ? buf : NULL) !=
		    KC_OK || (ro = json_object_new_object()) == NULL ||
		    json_add_obj(def, "render_options", ro) != KC_OK ||
		    json_add_bool(ro, "shorten_links", 1) != KC_OK ||
		    json_add_bool(ro, "add_org_prefix", 1) != KC_OK ||
		    json_add_bool(ro, "add_info_link", 1) != KC_OK ||
		    json_add_bool(ro, "add_opt_out_language", 0) != KC_OK)
			goto fail;
		break;
	case SBX_CH_PUSH:
		if (json_add_str(def, "notification_type", "standard") !=
		    KC_OK || json_add_str(ct, "title", c->name) != KC_OK ||
		    json_add_str(ct, "body", subj) != KC_OK ||
		    json_add_str(ct, "dynamic_image", NULL) != KC_OK)
			goto fail;
		break;
	}
	if ((st = json_object_new_array()) == NULL ||
	    json_add_obj(at, "send_times", st) != KC_OK)
		goto fail;
	if (c->send != 0) {
		struct json_object *one;

		if ((one = json_object_new_object()) == NULL ||
		    sbx_arr_add(st, one) != KC_OK ||
		    sbx_add_time(one, "datetime", c->send) != KC_OK ||
		    json_add_bool(one, "is_local", 0) != KC_OK)
			goto fail;
	}
	if (sbx_add_time(at, "created_at", c->created) != KC_OK ||
	    sbx_add_time(at, "updated_at", c->updated) != KC_OK)
		goto fail;
	snprintf(buf, sizeof(buf), "/api/campaign-messages/%s/campaign/",
	    c->msg_id);
	if ((rels = json_object_new_object()) == NULL ||
	    json_add_obj(o, "relationships", rels) != KC_OK ||
	    (rel = json_object_new_object()) == NULL ||
	    json_add_obj(rels, "campaign", rel) != KC_OK ||
	    sbx_add_new(rel, "data", sbx_ref_new("campaign", c->id)) !=
	    KC_OK ||
	    (links = json_object_new_object()) == NULL ||
	    json_add_obj(rel, "links", links) != KC_OK ||
	    json_add_str(links, "related", buf) != KC_OK)
		goto fail;
	snprintf(buf, sizeof(buf), "/api/campaign-messages/%s/"
	    "relationships/campaign/", c->msg_id);
	if (json_add_str(links, "self", buf) != KC_OK ||
	    sbx_res_links(o, "campaign-messages", c->msg_id) != KC_OK)
		goto fail;
	return o;
fail:
	json_object_put(o);
	return NULL;
}

static const char *
list_id(const struct sbx_account *a, int i)
{
	struct json_object *lists = sbx_account_coll(a, "list"), *it, *v;

	if (i < 0 || lists == NULL || (size_t)i >=
	    json_object_array_length(lists))
		return NULL;
	it = json_object_array_get_idx(lists, (size_t)i);
	return json_object_object_get_ex(it, "id", &v) ?
	    json_object_get_string(v) : NULL;
}

static struct json_object *
campaign_json(const struct sbx_account *a, size_t i)
{
	const struct sbx_campaign *c = &a->store->campaigns[i];
	struct json_object	*o, *at, *au, *inc, *so, *to, *ss, *opt;
	struct json_object	*rels, *rel, *data, *own, *owninc;
	const char		*lid = list_id(a, c->list);
	int64_t			 when;

	if ((o = sbx_res_new("campaign", c->id, &at)) == NULL)
		return NULL;
	if (json_add_str(at, "name", c->name) != KC_OK ||
	    json_add_str(at, "status", campaign_status_names[c->status]) !=
	    KC_OK || json_add_bool(at, "archived", c->archived) != KC_OK ||
	    (au = json_object_new_object()) == NULL ||
	    json_add_obj(at, "audiences", au) != KC_OK ||
	    (inc = json_object_new_array()) == NULL ||
	    json_add_obj(au, "included", inc) != KC_OK ||
	    (lid != NULL && sbx_arr_add(inc, json_object_new_string(lid)) !=
	    KC_OK) ||
	    json_add_obj(au, "excluded", json_object_new_array()) != KC_OK)
		goto fail;
	if ((so = json_object_new_object()) == NULL ||
	    json_add_obj(at, "send_options", so) != KC_OK ||
	    json_add_bool(so, "use_smart_sending", 1) != KC_OK)
		goto fail;
	if (c->channel == SBX_CH_PUSH) {
		if (json_add_str(at, "tracking_options", NULL) != KC_OK)
			goto fail;
	} else if ((to = json_object_new_object()) == NULL ||
	    json_add_obj(at, "tracking_options", to) != KC_OK ||
	    json_add_bool(to, "add_tracking_params", 1) != KC_OK ||
	    json_add_str(to, "custom_tracking_params", NULL) != KC_OK ||
	    (c->channel == SBX_CH_EMAIL && (json_add_bool(to,
	    "is_tracking_clicks", 1) != KC_OK || json_add_bool(to,
	    "is_tracking_opens", 1) != KC_OK)))
		goto fail;
	if ((ss = json_object_new_object()) == NULL ||
	    json_add_obj(at, "send_strategy", ss) != KC_OK)
		goto fail;
	when = c->send ? c->send : c->scheduled;
	if (when == 0) {
		if (json_add_str(ss, "method", "immediate") != KC_OK)
			goto fail;
	} else if (json_add_str(ss, "method", "static") != KC_OK ||
	    sbx_add_time(ss, "datetime", when) != KC_OK ||
	    (opt = json_object_new_object()) == NULL ||
	    json_add_obj(ss, "options", opt) != KC_OK ||
	    json_add_bool(opt, "is_local", 0) != KC_OK)
		goto fail;
	if (sbx_add_time(at, "created_at", c->created) != KC_OK ||
	    sbx_add_time(at, "scheduled_at", c->scheduled) != KC_OK ||
	    sbx_add_time(at, "updated_at", c->updated) != KC_OK ||
	    sbx_add_time(at, "send_time", c->send) != KC_OK)
		goto fail;
	if ((rels = json_object_new_object()) == NULL ||
	    json_add_obj(o, "relationships", rels) != KC_OK ||
	    (rel = sbx_relationship("campaigns", c->id, "campaign-messages",
	    1)) == NULL || json_add_obj(rels, "campaign-messages", rel) !=
	    KC_OK || !json_object_object_get_ex(rel, "data", &data) ||
	    sbx_arr_add(data, sbx_ref_new("campaign-message", c->msg_id)) !=
	    KC_OK ||
	    sbx_add_new(rels, "tags", sbx_relationship("campaigns", c->id,
	    "tags", 1)) != KC_OK)
		goto fail;
	if (sbx_res_links(o, "campaigns", c->id) != KC_OK ||
	    (own = json_object_new_object()) == NULL ||
	    json_add_obj(o, "_sbx", own) != KC_OK ||
	    json_add_str(own, "channel", channel_names[c->channel]) !=
	    KC_OK || (owninc = json_object_new_array()) == NULL ||
	    json_add_obj(own, "included", owninc) != KC_OK ||
	    sbx_arr_add(owninc, campaign_message_json(a, c)) != KC_OK)
		goto fail;
	return o;
fail:
	json_object_put(o);
	return NULL;
}

static struct json_object *
flow_json(const struct sbx_account *a, size_t i)
{
	const struct sbx_flow	*f = &a->store->flows[i];
	struct json_object *o, *at, *rels;

	if ((o = sbx_res_new("flow", f->id, &at)) == NULL)
		return NULL;
	if (json_add_str(at, "name", f->name) != KC_OK ||
	    json_add_str(at, "status", flow_status_names[f->status]) !=
	    KC_OK || json_add_bool(at, "archived", f->archived) != KC_OK ||
	    sbx_add_time(at, "created", f->created) != KC_OK ||
	    sbx_add_time(at, "updated", f->updated) != KC_OK ||
	    json_add_str(at, "trigger_type", f->trigger) != KC_OK ||
	    (rels = json_object_new_object()) == NULL ||
	    json_add_obj(o, "relationships", rels) != KC_OK ||
	    sbx_add_new(rels, "flow-actions", sbx_relationship("flows", f->id,
	    "flow-actions", 1)) != KC_OK ||
	    sbx_add_new(rels, "tags", sbx_relationship("flows", f->id, "tags",
	    1)) != KC_OK || sbx_res_links(o, "flows", f->id) != KC_OK) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *
segment_json(const struct sbx_account *a, size_t i)
{
	const struct sbx_segment *s = &a->store->segments[i];
	struct json_object *o, *at, *rels;

	if ((o = sbx_res_new("segment", s->id, &at)) == NULL)
		return NULL;
	if (json_add_str(at, "name", s->name) != KC_OK ||
	    json_add_str(at, "definition", NULL) != KC_OK ||
	    sbx_add_time(at, "created", s->created) != KC_OK ||
	    sbx_add_time(at, "updated", s->updated) != KC_OK ||
	    json_add_bool(at, "is_active", s->active) != KC_OK ||
	    json_add_bool(at, "is_processing", 0) != KC_OK ||
	    json_add_bool(at, "is_starred", s->starred) != KC_OK ||
	    (rels = json_object_new_object()) == NULL ||
	    json_add_obj(o, "relationships", rels) != KC_OK ||
	    sbx_add_new(rels, "profiles", sbx_relationship("segments", s->id,
	    "profiles", 0)) != KC_OK ||
	    sbx_add_new(rels, "tags", sbx_relationship("segments", s->id,
	    "tags", 1)) != KC_OK ||
	    sbx_add_new(rels, "flow-triggers", sbx_relationship("segments",
	    s->id, "flow-triggers", 1)) != KC_OK ||
	    sbx_res_links(o, "segments", s->id) != KC_OK) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *
form_json(const struct sbx_account *a, size_t i)
{
	const struct sbx_store	*st = a->store;
	const struct sbx_form	*f = &st->forms[i];
	struct json_object	*o, *at, *rels, *rel, *data;
	size_t			 j;

	if ((o = sbx_res_new("form", f->id, &at)) == NULL)
		return NULL;
	if (json_add_str(at, "name", f->name) != KC_OK ||
	    json_add_str(at, "status", f->live ? "live" : "draft") != KC_OK ||
	    json_add_bool(at, "ab_test", f->ab_test) != KC_OK ||
	    sbx_add_time(at, "created_at", f->created) != KC_OK ||
	    sbx_add_time(at, "updated_at", f->updated) != KC_OK ||
	    (rels = json_object_new_object()) == NULL ||
	    json_add_obj(o, "relationships", rels) != KC_OK ||
	    (rel = sbx_relationship("forms", f->id, "form-versions", 1)) ==
	    NULL ||
	    json_add_obj(rels, "form-versions", rel) != KC_OK ||
	    !json_object_object_get_ex(rel, "data", &data))
		goto fail;
	for (j = 0; j < f->nver; j++)
		if (sbx_arr_add(data, sbx_ref_new("form-version",
		    st->vers[f->first_ver + j].id)) != KC_OK)
			goto fail;
	if (sbx_res_links(o, "forms", f->id) != KC_OK)
		goto fail;
	return o;
fail:
	json_object_put(o);
	return NULL;
}

/* One collection of the store: what render makes of each of n items. */
static int
gen_each(const struct sbx_account *a, size_t n,
    struct json_object *(*render)(const struct sbx_account *, size_t),
    struct json_object **out)
{
	struct json_object	*arr;
	size_t			 i;

	*out = NULL;
	if ((arr = json_object_new_array()) == NULL)
		return KC_ERR_NOMEM;
	for (i = 0; i < n; i++)
		if (sbx_arr_add(arr, render(a, i)) != KC_OK) {
			json_object_put(arr);
			return KC_ERR_NOMEM;
		}
	*out = arr;
	return KC_OK;
}

int
sbx_gen_campaigns(const struct sbx_account *a, struct json_object **out)
{
	return gen_each(a, a->store->ncampaigns, campaign_json, out);
}

int
sbx_gen_flows(const struct sbx_account *a, struct json_object **out)
{
	return gen_each(a, a->store->nflows, flow_json, out);
}

int
sbx_gen_segments(const struct sbx_account *a, struct json_object **out)
{
	return gen_each(a, a->store->nsegments, segment_json, out);
}

int
sbx_gen_forms(const struct sbx_account *a, struct json_object **out)
{
	return gen_each(a, a->store->nforms, form_json, out);
}

/* GET /api/campaigns: one channel at a time, as Klaviyo insists. */
int
sbx_handle_campaigns(struct sbx_ctx *ctx, struct sbx_resp *resp)
{
	const struct sbx_filter_field	*f;
	struct sbx_filter		*flt = NULL;
	char *const			*vals;
	const char			*v;
	char				 err[256];
	size_t				 i, n, nch = 0, j;
	unsigned			 op;
	int				 rc, ok = 1;

	if ((v = sbx_query_get(&ctx->q, "filter")) != NULL &&
	    (rc = sbx_filter_parse(v, ctx->ep->filters, &flt, err,
	    sizeof(err))) != KC_OK)
		return rc == KC_ERR_BAD_INPUT ? sbx_reply_error(ctx->app, resp,
		    400, "invalid", "Invalid input.", err, "parameter",
		    "filter") : rc;
	for (i = 0; i < sbx_filter_nconds(flt); i++) {
		sbx_filter_cond(flt, i, &f, &op, &vals, &n);
		if (strcmp(f->field, "messages.channel") != 0)
			continue;
		nch++;
		for (j = 0; j < n; j++)
			if (strcmp(vals[j], "email") != 0 &&
			    strcmp(vals[j], "sms") != 0 &&
			    strcmp(vals[j], "mobile_push") != 0)
				ok = 0;
	}
	sbx_filter_free(flt);
	if (nch != 1 || !ok)
		return sbx_reply_error(ctx->app, resp, 400, "invalid",
		    "Invalid input.", nch == 0 ? "A channel filter is "
		    "required to list campaigns. Please provide either: "
		    "?filter=equals(messages.channel,'email') to list email "
		    "campaigns, or ?filter=equals(messages.channel,'sms') to "
		    "list SMS campaigns, or ?filter=equals(messages.channel,"
		    "'mobile_push') to list mobile push campaigns." : nch > 1 ?
		    "Only one messages.channel filter is allowed." :
		    "messages.channel must be email, sms or mobile_push.",
		    "parameter", "filter");
	return sbx_handle_collection(ctx, resp);
}
