/*
 * The answer of a reporting endpoint: each group's statistics (counts,
 * rates, money), paged by page_cursor where the spec pages, and the
 * request handler that ties check, sum and answer together.
 */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "jsonapi.h"

/* A rate or ratio: 0 when there is nothing to divide by. */
static double
ratio(int64_t a, int64_t b)
{
	return b == 0 ? 0.0 : (double)a / (double)b;
}

static struct json_object *
number(double v, int decimals)
{
	char	 buf[64];
	size_t	 n;

	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	/* Trim trailing zeros, keep one decimal. */
	n = strlen(buf);
	while (n > 2 && buf[n - 1] == '0' && buf[n - 2] != '.')
		buf[--n] = '\0';
	return json_object_new_double_s(v, buf);
}

/* Rates of two counters of a message report: num / den, 6 decimals. */
static const struct {
	const char	*name;
	int		 num, den;
} rates[] = {
	{ "bounce_rate", SBX_C_BOUNCED, SBX_C_RECIPIENTS },
	{ "failed_rate", SBX_C_FAILED, SBX_C_RECIPIENTS },
	{ "delivery_rate", SBX_C_DELIVERED, SBX_C_RECIPIENTS },
	{ "open_rate", SBX_C_OPENS_U, SBX_C_DELIVERED },
	{ "click_rate", SBX_C_CLICKS_U, SBX_C_DELIVERED },
	{ "click_to_open_rate", SBX_C_CLICKS_U, SBX_C_OPENS_U },
	{ "unsubscribe_rate", SBX_C_UNSUBS_U, SBX_C_DELIVERED },
	{ "spam_complaint_rate", SBX_C_SPAM, SBX_C_DELIVERED },
};

/* One statistic of one bucket of a group. */
static struct json_object *
stat_value(const struct rpt_req *r, const struct rpt_group *g, size_t b,
    const char *s)
{
	const int64_t	*k = g->acc[b];
	int64_t		 cents = g->cents[b], conv = g->conv[b];
	size_t		 i;

	if (r->def->kind == RK_SEGMENT) {
		if (strcmp(s, "members_added") == 0)
			return json_object_new_int64(k[SBX_SG_ADDED]);
		if (strcmp(s, "members_removed") == 0)
			return json_object_new_int64(k[SBX_SG_REMOVED]);
		if (strcmp(s, "net_members_changed") == 0)
			return json_object_new_int64(k[SBX_SG_ADDED] -
			    k[SBX_SG_REMOVED]);
		return json_object_new_int64(g->members[b]);
	}
	if (r->def->kind == RK_FORM) {
		static const struct {
			const char	*name;
			int		 idx;
		} fm[] = {
			{ "closed_form", SBX_FM_CLOSED },
			{ "closed_form_uniques", SBX_FM_CLOSED_U },
			{ "qualified_form", SBX_FM_QUAL },
			{ "qualified_form_uniques", SBX_FM_QUAL_U },
			{ "submits", SBX_FM_SUBMITS },
			{ "submitted_form_step", SBX_FM_STEP_SUBS },
			{ "submitted_form_step_uniques", SBX_FM_STEP_SUBS_U },
			{ "viewed_form", SBX_FM_VIEWS },
			{ "viewed_form_step", SBX_FM_STEP_VIEWS },
			{ "viewed_form_step_uniques", SBX_FM_STEP_VIEWS_U },
			{ "viewed_form_uniques", SBX_FM_VIEWS_U },
		};
		if (strcmp(s, "submit_rate") == 0)
			return number(ratio(k[SBX_FM_SUBMITS],
			    k[SBX_FM_VIEWS_U]), 6);
		for (i = 0; i < sizeof(fm) / sizeof(fm[0]); i++)
			if (strcmp(s, fm[i].name) == 0)
				return json_object_new_int64(k[fm[i].idx]);
		return NULL;
	}
	{
		static const struct {
			const char	*name;
			int		 idx;
		} cn[] = {
			{ "bounced", SBX_C_BOUNCED },
			{ "clicks", SBX_C_CLICKS },
			{ "clicks_unique", SBX_C_CLICKS_U },
			{ "delivered", SBX_C_DELIVERED },
			{ "failed", SBX_C_FAILED },
			{ "message_segment_count_sum", SBX_C_SEGMENTS },
			{ "text_message_credit_usage_amount", SBX_C_SEGMENTS },
			{ "opens", SBX_C_OPENS },
			{ "opens_unique", SBX_C_OPENS_U },
			{ "recipients", SBX_C_RECIPIENTS },
			{ "spam_complaints", SBX_C_SPAM },
			{ "unsubscribe_uniques", SBX_C_UNSUBS_U },
			{ "unsubscribes", SBX_C_UNSUBS },
		};
		for (i = 0; i < sizeof(cn) / sizeof(cn[0]); i++)
			if (strcmp(s, cn[i].name) == 0)
				return json_object_new_int64(k[cn[i].idx]);
	}
	if (strcmp(s, "conversions") == 0)
		return json_object_new_int64(conv);
	if (strcmp(s, "conversion_uniques") == 0)
		return json_object_new_int64(g->uniq[b]);
	if (strcmp(s, "conversion_value") == 0)
		return sbx_money(cents);
	if (strcmp(s, "text_message_spend") == 0)
		return sbx_money(k[SBX_C_SEGMENTS]);	/* 1 cent a credit */
	if (strcmp(s, "average_order_value") == 0)
		return number(ratio(cents, conv) / 100.0, 2);
	if (strcmp(s, "revenue_per_recipient") == 0)
		return number(ratio(cents, k[SBX_C_DELIVERED]) / 100.0, 2);
	if (strcmp(s, "text_message_roi") == 0)
		return number(ratio(cents, k[SBX_C_SEGMENTS]), 2);
	if (strcmp(s, "bounced_or_failed") == 0)
		return json_object_new_int64(k[SBX_C_BOUNCED] +
		    k[SBX_C_FAILED]);
	if (strcmp(s, "bounced_or_failed_rate") == 0)
		return number(ratio(k[SBX_C_BOUNCED] + k[SBX_C_FAILED],
		    k[SBX_C_RECIPIENTS]), 6);
	if (strcmp(s, "conversion_rate") == 0)
		return number(ratio(g->uniq[b], k[SBX_C_DELIVERED]), 6);
	for (i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
		if (strcmp(s, rates[i].name) == 0)
			return number(ratio(k[rates[i].num],
			    k[rates[i].den]), 6);
	return NULL;
}

static struct json_object *
rpt_result(const struct sbx_account *a, const struct rpt_req *r,
    const struct rpt_res *res, const struct rpt_group *g)
{
	struct json_object	*o, *gr, *stats, *arr;
	size_t			 i, b;

	(void)a;
	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if ((gr = json_object_new_object()) == NULL ||
	    json_add_obj(o, "groupings", gr) != KC_OK ||
	    (stats = json_object_new_object()) == NULL ||
	    json_add_obj(o, "statistics", stats) != KC_OK)
		goto fail;
	for (i = 0; i < r->ngroup; i++)
		if (json_add_str(gr, r->group[i], g->key[i]) != KC_OK)
			goto fail;
	for (i = 0; i < r->nstat; i++) {
		if (!r->def->series) {
			if (json_add_obj(stats, r->stat[i], stat_value(r, g, 0,
			    r->stat[i])) != KC_OK)
				goto fail;
			continue;
		}
		if ((arr = json_object_new_array()) == NULL ||
		    json_add_obj(stats, r->stat[i], arr) != KC_OK)
			goto fail;
		for (b = 0; b < res->nb; b++)
			if (sbx_arr_add(arr, stat_value(r, g, b, r->stat[i])) !=
			    KC_OK)
				goto fail;
	}
	return o;
fail:
	json_object_put(o);
	return NULL;
}

/* relationships.<name>.data: the distinct values of a grouping. */
static int
rpt_rel(struct json_object *rels, const char *name, const char *type,
    const struct rpt_req *r, const struct rpt_res *res, size_t off,
    size_t end, const char *grouping)
{
	struct json_object	*rel, *data;
	size_t			 i, j, k;

	for (k = 0; k < r->ngroup && strcmp(r->group[k], grouping) != 0; k++)
		;
	if (k == r->ngroup)
		return KC_OK;
	if ((rel = json_object_new_object()) == NULL ||
	    json_add_obj(rels, name, rel) != KC_OK ||
	    (data = json_object_new_array()) == NULL ||
	    json_add_obj(rel, "data", data) != KC_OK)
		return KC_ERR_NOMEM;
	for (i = off; i < end; i++) {
		if (res->g[i].key[k] == NULL)
			continue;
		for (j = off; j < i; j++)
			if (rpt_keycmp(res->g[j].key[k], res->g[i].key[k]) == 0)
				break;
		if (j == i && sbx_arr_add(data, sbx_ref_new(type,
		    res->g[i].key[k])) != KC_OK)
			return KC_ERR_NOMEM;
	}
	return KC_OK;
}

static int
rpt_answer(struct sbx_ctx *ctx, struct sbx_resp *resp,
    const struct rpt_req *r, struct rpt_res *res)
{
	struct json_object	*doc = NULL, *data, *at, *results, *dts;
	struct json_object	*rels, *links;
	struct rpt_group	 tmp;
	size_t			 i, j, n, off = 0, end, ngroup = r->ngroup;
	char			 buf[64], pname[64], *url = NULL;
	const char		*fields;
	int			 rc = KC_ERR_NOMEM;

	/* Only groups with something to show, in key order. */
	for (i = 0, n = 0; i < res->ng; i++) {
		if (!res->g[i].any)
			continue;
		tmp = res->g[n];
		res->g[n] = res->g[i];
		res->g[i] = tmp;
		n++;
	}
	if (n > 1)
		qsort_r(res->g, n, sizeof(*res->g), rpt_group_cmp, &ngroup);
	if (r->def->paged) {
		off = r->offset < n ? r->offset : n;
		end = off + RPT_PAGE < n ? off + RPT_PAGE : n;
	} else
		end = n;
	if ((doc = json_object_new_object()) == NULL ||
	    (data = json_object_new_object()) == NULL ||
	    json_add_obj(doc, "data", data) != KC_OK ||
	    json_add_str(data, "type", r->def->type) != KC_OK ||
	    (at = json_object_new_object()) == NULL ||
	    json_add_obj(data, "attributes", at) != KC_OK ||
	    (results = json_object_new_array()) == NULL ||
	    json_add_obj(at, "results", results) != KC_OK)
		goto out;
	for (i = off; i < end; i++)
		if (sbx_arr_add(results, rpt_result(ctx->acc, r, res,
		    &res->g[i])) != KC_OK)
			goto out;
	if (r->def->series) {
		if ((dts = json_object_new_array()) == NULL ||
		    json_add_obj(at, "date_times", dts) != KC_OK)
			goto out;
		for (j = 0; j < res->nb; j++) {
			sbx_fmt_local(ctx->acc->tz, res->bounds[j], buf,
			    sizeof(buf));
			if (sbx_arr_add(dts, json_object_new_string(buf)) !=
			    KC_OK)
				goto out;
		}
	}
	snprintf(pname, sizeof(pname), "fields[%s]", r->def->type);
	if ((fields = sbx_query_get(&ctx->q, pname)) != NULL &&
	    sbx_fields_prune(at, fields) != KC_OK)
		goto out;
	if (r->def->kind == RK_CAMPAIGN || r->def->kind == RK_FLOW) {
		if ((rels = json_object_new_object()) == NULL ||
		    json_add_obj(data, "relationships", rels) != KC_OK)
			goto out;
		if (r->def->kind == RK_CAMPAIGN ? (rc = rpt_rel(rels,
		    "campaigns", "campaign", r, res, off, end,
		    "campaign_id")) != KC_OK : ((rc = rpt_rel(rels, "flows",
		    "flow", r, res, off, end, "flow_id")) != KC_OK ||
		    (rc = rpt_rel(rels, "flow-messages", "flow-message", r, res,
		    off, end, "flow_message_id")) != KC_OK))
			goto out;
		rc = KC_ERR_NOMEM;
	}
	if ((links = json_object_new_object()) == NULL ||
	    json_add_obj(doc, "links", links) != KC_OK ||
	    (rc = sbx_page_link(ctx, "page_cursor", NULL, &url)) != KC_OK ||
	    (rc = json_add_str(links, "self", url)) != KC_OK)
		goto out;
	free(url);
	url = NULL;
	if (r->def->paged && end < n) {
		sbx_cursor_make_tagged(end, r->tag, buf, sizeof(buf));
		if ((rc = sbx_page_link(ctx, "page_cursor", buf, &url)) !=
		    KC_OK || (rc = json_add_str(links, "next", url)) != KC_OK)
			goto out;
	}
	rc = sbx_reply_json(resp, 200, doc);
out:
	free(url);
	json_object_put(doc);
	return rc;
}

int
sbx_handle_report(struct sbx_ctx *ctx, struct sbx_resp *resp)
{
	struct rpt_req		 r;
	struct rpt_res		 res;
	struct json_object	*body = NULL;
	int			 rc;

	memset(&r, 0, sizeof(r));
	memset(&res, 0, sizeof(res));
	if ((r.def = rpt_def_find(ctx->ep->type)) == NULL)
		return KC_ERR_INTERNAL;
	if ((rc = rpt_parse(ctx, resp, &body, &r)) != KC_OK) {
		if (rc == KC_ERR_BAD_INPUT)
			rc = KC_OK;	/* answered */
		goto out;
	}
	if ((rc = rpt_compute(ctx->acc, &r, &res)) != KC_OK)
		goto out;
	rc = rpt_answer(ctx, resp, &r, &res);
out:
	rpt_res_free(&res);
	sbx_filter_free(r.filter);
	json_object_put(body);
	return rc;
}
