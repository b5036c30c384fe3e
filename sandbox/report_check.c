/*
 * The reporting endpoints' definitions and request checks: a body is
 * checked against the spec's DTOs, every violation one errors[] entry
 * of a 400.
 */
#include "report.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json_util.h"
#include "jsonapi.h"

static const char *const stats_messages[] = {
	"average_order_value", "bounce_rate", "bounced", "bounced_or_failed",
	"bounced_or_failed_rate", "click_rate", "click_to_open_rate",
	"clicks", "clicks_unique", "conversion_rate", "conversion_uniques",
	"conversion_value", "conversions", "delivered", "delivery_rate",
	"failed", "failed_rate", "message_segment_count_sum", "open_rate",
	"opens", "opens_unique", "recipients", "revenue_per_recipient",
	"spam_complaint_rate", "spam_complaints",
	"text_message_credit_usage_amount", "text_message_roi",
	"text_message_spend", "unsubscribe_rate", "unsubscribe_uniques",
	"unsubscribes", NULL
};
static const char *const groups_campaign[] = {
	"campaign_id", "campaign_message_id", "campaign_message_name",
	"group", "group_name", "send_channel", "tag_id", "tag_name",
	"text_message_format", "variation", "variation_name", NULL
};
static const char *const groups_flow[] = {
	"flow_id", "flow_message_id", "flow_message_name", "flow_name",
	"send_channel", "tag_id", "tag_name", "text_message_format",
	"variation", "variation_name", NULL
};
static const char *const stats_forms[] = {
	"closed_form", "closed_form_uniques", "qualified_form",
	"qualified_form_uniques", "submit_rate", "submits",
	"submitted_form_step", "submitted_form_step_uniques", "viewed_form",
	"viewed_form_step", "viewed_form_step_uniques", "viewed_form_uniques",
	NULL
};
static const char *const groups_form[] = {
	"form_id", "form_version_id", NULL
};
static const char *const stats_segments[] = {
	"members_added", "members_removed", "net_members_changed",
	"total_members", NULL
};
static const char *const timeframe_keys[] = {
	"last_12_months", "last_30_days", "last_365_days", "last_3_months",
	"last_7_days", "last_90_days", "last_month", "last_week", "last_year",
	"this_month", "this_week", "this_year", "today", "yesterday", NULL
};
static const char *const req_campaign[] = { "campaign_id",
	"campaign_message_id", NULL };
static const char *const def_campaign[] = { "campaign_id",
	"campaign_message_id", "send_channel", NULL };
static const char *const req_flow[] = { "flow_id", "flow_message_id",
	NULL };
static const char *const def_flow[] = { "flow_id", "flow_message_id",
	"send_channel", NULL };
static const char *const def_form[] = { "form_id", NULL };
static const char *const def_segment[] = { "segment_id", NULL };
static const char *const send_channel_values[] = { "email", "sms",
	"push-notification", "whatsapp", NULL };

#define RPT_SCALAR	SBX_OP_EQUALS, SBX_OP_CONTAINS_ANY | SBX_OP_ANY
#define RPT_LIST	0, SBX_OP_CONTAINS_ANY | SBX_OP_CONTAINS_ALL

static const struct sbx_filter_field f_rpt_campaign[] = {
	{ "send_channel", RPT_SCALAR, SBX_V_STRING, NULL },
	{ "campaign_id", RPT_SCALAR, SBX_V_STRING, NULL },
	{ "campaign_message_id", RPT_SCALAR, SBX_V_STRING, NULL },
	{ "campaign_message_name", RPT_SCALAR, SBX_V_STRING, NULL },
	{ "variation", RPT_SCALAR, SBX_V_STRING, NULL },
	{ "variation_name", RPT_SCALAR, SBX_V_STRING, NULL },
	{ "text_message_format", RPT_SCALAR, SBX_V_STRING, NULL },
	{ "tag_id", RPT_LIST, SBX_V_STRING, NULL },
	{ "tag_name", RPT_LIST, SBX_V_STRING, NULL },
	{ NULL, 0, 0, SBX_V_STRING, NULL }
};
static const struct sbx_filter_field f_rpt_flow[] = {
	{ "flow_id", RPT_SCALAR, SBX_V_STRING, NULL },
	{ "flow_name", RPT_SCALAR, SBX_V_STRING, NULL },
	{ "send_channel", RPT_SCALAR, SBX_V_STRING, NULL },
	{ "flow_message_id", RPT_SCALAR, SBX_V_STRING, NULL },
	{ "flow_message_name", RPT_SCALAR, SBX_V_STRING, NULL },
	{ "text_message_format", RPT_SCALAR, SBX_V_STRING, NULL },
	{ "variation", RPT_SCALAR, SBX_V_STRING, NULL },
	{ "variation_name", RPT_SCALAR, SBX_V_STRING, NULL },
	{ "tag_id", RPT_LIST, SBX_V_STRING, NULL },
	{ "tag_name", RPT_LIST, SBX_V_STRING, NULL },
	{ NULL, 0, 0, SBX_V_STRING, NULL }
};
static const struct sbx_filter_field f_rpt_form[] = {
	{ "form_id", SBX_OP_EQUALS, SBX_OP_ANY, SBX_V_STRING, NULL },
	{ "form_version_id", SBX_OP_EQUALS, SBX_OP_ANY, SBX_V_STRING, NULL },
	{ NULL, 0, 0, SBX_V_STRING, NULL }
};
static const struct sbx_filter_field f_rpt_segment[] = {
	{ "segment_id", SBX_OP_EQUALS, SBX_OP_ANY, SBX_V_STRING, NULL },
	{ NULL, 0, 0, SBX_V_STRING, NULL }
};

static const struct rpt_def rpt_defs[] = {
	{ "campaign-values-report", RK_CAMPAIGN, 0, stats_messages,
	  groups_campaign, req_campaign, def_campaign, f_rpt_campaign, 1, 1 },
	{ "flow-values-report", RK_FLOW, 0, stats_messages, groups_flow,
	  req_flow, def_flow, f_rpt_flow, 1, 1 },
	{ "flow-series-report", RK_FLOW, 1, stats_messages, groups_flow,
	  req_flow, def_flow, f_rpt_flow, 1, 1 },
	{ "form-values-report", RK_FORM, 0, stats_forms, groups_form, NULL,
	  def_form, f_rpt_form, 0, 0 },
	{ "form-series-report", RK_FORM, 1, stats_forms, groups_form, NULL,
	  def_form, f_rpt_form, 0, 0 },
	{ "segment-values-report", RK_SEGMENT, 0, stats_segments, NULL, NULL,
	  def_segment, f_rpt_segment, 0, 0 },
	{ "segment-series-report", RK_SEGMENT, 1, stats_segments, NULL, NULL,
	  def_segment, f_rpt_segment, 0, 0 },
};

const struct rpt_def *
rpt_def_find(const char *type)
{
	size_t i;

	for (i = 0; i < sizeof(rpt_defs) / sizeof(rpt_defs[0]); i++)
		if (strcmp(rpt_defs[i].type, type) == 0)
			return &rpt_defs[i];
	return NULL;
}

int
sbx_in_list(const char *const *list, const char *s)
{
	for (; list && *list; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

struct rpt_errs {
	struct sbx_ctx		*ctx;
	struct json_object	*arr;
	int			 oom;
};

static void
rpt_err(struct rpt_errs *e, const char *pointer, const char *fmt, ...)
	KC_PRINTF(3, 4);

static void
rpt_err(struct rpt_errs *e, const char *pointer, const char *fmt, ...)
{
	char	 detail[512];
	va_list	 ap;
	int	 param = pointer[0] != '/';

	if (json_object_array_length(e->arr) >= RPT_ERRORS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (sbx_arr_add(e->arr, sbx_error_new(e->ctx->app, 400, "invalid",
	    "Invalid input.", detail, param ? "parameter" : "pointer",
	    pointer)) != KC_OK)
		e->oom = 1;
}

static void
hash_str(uint32_t *h, const char *s)
{
	for (; s && *s; s++) {
		*h ^= (unsigned char)*s;
		*h *= 16777619u;
	}
	*h ^= 0xff;
	*h *= 16777619u;
}

static void
check_statistics(struct rpt_errs *e, struct json_object *v,
    struct rpt_req *r)
{
	struct json_object	*it;
	char			 ptr[64];
	size_t			 i, j, n;
	const char		*s;
	int			 dup;

	if (v == NULL) {
		rpt_err(e, "/data/attributes/statistics", "'statistics' is "
		    "required");
		return;
	}
	if (!json_object_is_type(v, json_type_array) ||
	    (n = json_object_array_length(v)) == 0) {
		rpt_err(e, "/data/attributes/statistics", "'statistics' must "
		    "be a non-empty array of statistic names");
		return;
	}
	for (i = 0; i < n; i++) {
		it = json_object_array_get_idx(v, i);
		snprintf(ptr, sizeof(ptr), "/data/attributes/statistics/%zu",
		    i);
		if (!json_object_is_type(it, json_type_string) ||
		    !sbx_in_list(r->def->stats, s =
		    json_object_get_string(it))) {
			rpt_err(e, ptr, "'%.64s' is not a valid statistic for "
			    "%s", json_object_is_type(it, json_type_string) ?
			    json_object_get_string(it) : "(not a string)",
			    r->def->type);
			continue;
		}
		for (j = 0, dup = 0; j < r->nstat; j++)
			dup |= strcmp(r->stat[j], s) == 0;
		if (!dup && r->nstat < RPT_STATS_MAX)
			r->stat[r->nstat++] = s;
	}
}

/* Longer than the spec allows for the interval?  0 when fine. */
static const char *
too_long(enum sbx_interval iv, int64_t wstart, int64_t wend)
{
	int64_t len = wend - wstart;

	if (wend > sbx_wall_add_months(wstart, 12))
		return "The timeframe cannot be longer than 1 year";
	if (iv == SBX_IV_HOURLY && len > 7 * 86400)
		return "With an hourly interval the timeframe cannot be "
		    "longer than 7 days";
	if (iv == SBX_IV_DAILY && len > 60 * 86400)
		return "With a daily interval the timeframe cannot be longer "
		    "than 60 days";
	if (iv == SBX_IV_MONTHLY && len > 52 * 7 * 86400)
		return "With a monthly interval the timeframe cannot be longer "
		    "than 52 weeks";
	return NULL;
}

static int
check_timeframe(struct rpt_errs *e, struct json_object *v,
    struct rpt_req *r)
{
	struct json_object	*k, *s, *t;
	int64_t			 floor_wall;
	const char		*why;

	if (v == NULL) {
		rpt_err(e, "/data/attributes/timeframe", "'timeframe' is "
		    "required");
		return 0;
	}
	if (!json_object_is_type(v, json_type_object)) {
		rpt_err(e, "/data/attributes/timeframe", "'timeframe' must be "
		    "an object: {\"key\": ...} or {\"start\": ..., \"end\": "
		    "...}");
		return 0;
	}
	json_object_object_foreach(v, name, val) {
		(void)val;
		if (strcmp(name, "key") != 0 && strcmp(name, "start") != 0 &&
		    strcmp(name, "end") != 0) {
			rpt_err(e, "/data/attributes/timeframe", "'%.64s' is "
			    "not a member of a timeframe", name);
			return 0;
		}
	}
	if (json_object_object_get_ex(v, "key", &k)) {
		if (json_object_object_length(v) != 1) {
			rpt_err(e, "/data/attributes/timeframe", "A timeframe "
			    "has either 'key' or 'start' and 'end'");
			return 0;
		}
		if (!json_object_is_type(k, json_type_string) ||
		    !sbx_in_list(timeframe_keys, json_object_get_string(k)) ||
		    sbx_timeframe_key(json_object_get_string(k),
		    e->ctx->acc->today, &r->wstart, &r->wend) != KC_OK) {
			rpt_err(e, "/data/attributes/timeframe/key", "'%.64s' "
			    "is not a valid timeframe key",
			    json_object_get_string(k));
			return 0;
		}
	} else {
		if (!json_object_object_get_ex(v, "start", &s) ||
		    !json_object_object_get_ex(v, "end", &t)) {
			rpt_err(e, "/data/attributes/timeframe", "A custom "
			    "timeframe needs both 'start' and 'end'");
			return 0;
		}
		if (!json_object_is_type(s, json_type_string) ||
		    sbx_parse_wallclock(json_object_get_string(s),
		    &r->wstart) != KC_OK) {
			rpt_err(e, "/data/attributes/timeframe/start",
			    "'start' must be a date-time such as "
			    "2025-01-01T00:00:00+00:00");
			return 0;
		}
		if (!json_object_is_type(t, json_type_string) ||
		    sbx_parse_wallclock(json_object_get_string(t),
		    &r->wend) != KC_OK) {
			rpt_err(e, "/data/attributes/timeframe/end", "'end' "
			    "must be a date-time such as "
			    "2025-01-01T00:00:00+00:00");
			return 0;
		}
		if (r->wend <= r->wstart) {
			rpt_err(e, "/data/attributes/timeframe",
			    "'end' must be after 'start'");
			return 0;
		}
	}
	if ((why = too_long(SBX_IV_NONE, r->wstart, r->wend)) != NULL) {
		rpt_err(e, "/data/attributes/timeframe", "%s", why);
		return 0;
	}
	if (r->def->kind == RK_SEGMENT) {
		if (sbx_parse_wallclock(RPT_SEGMENT_DATA_FROM, &floor_wall) !=
		    KC_OK || r->wstart < floor_wall) {
			rpt_err(e, "/data/attributes/timeframe", "Data is "
			    "unavailable before June 1st, 2023. Please use a "
			    "time frame after this date.");
			return 0;
		}
	}
	r->start = sbx_tz_to_utc(e->ctx->acc->tz, r->wstart);
	r->end = sbx_tz_to_utc(e->ctx->acc->tz, r->wend);
	return 1;
}

static void
check_group_by(struct rpt_errs *e, struct json_object *v,
    struct rpt_req *r)
{
	struct json_object	*it;
	const char *const	*q;
	const char		*s, *rev;
	char			 ptr[64];
	size_t			 i, j, n;
	int			 bad = 0;

	if (v == NULL || json_object_is_type(v, json_type_null))
		return;
	rev = sbx_req_header(e->ctx->req, "revision");
	if (r->def->kind != RK_FORM && sbx_revision_days(rev) <
	    sbx_revision_days(RPT_GROUP_BY_SINCE)) {
		rpt_err(e, "/data/attributes/group_by", "group_by is available "
		    "from revision %s; this request has revision %.32s",
		    RPT_GROUP_BY_SINCE, rev ? rev : "(none)");
		return;
	}
	if (!json_object_is_type(v, json_type_array) ||
	    (n = json_object_array_length(v)) == 0) {
		rpt_err(e, "/data/attributes/group_by", "'group_by' must be a "
		    "non-empty array (or null)");
		return;
	}
	r->ngroup = 0;
	for (i = 0; i < n; i++) {
		it = json_object_array_get_idx(v, i);
		snprintf(ptr, sizeof(ptr), "/data/attributes/group_by/%zu", i);
		if (!json_object_is_type(it, json_type_string) ||
		    !sbx_in_list(r->def->groups, s =
		    json_object_get_string(it))) {
			rpt_err(e, ptr, "'%.64s' is not a valid group_by for "
			    "%s", json_object_is_type(it, json_type_string) ?
			    json_object_get_string(it) : "(not a string)",
			    r->def->type);
			bad = 1;
			continue;
		}
		for (j = 0; j < r->ngroup; j++)
			if (strcmp(r->group[j], s) == 0) {
				rpt_err(e, ptr, "'%s' is given twice", s);
				bad = 1;
			}
		if (r->ngroup < RPT_GROUPS_MAX)
			r->group[r->ngroup++] = s;
	}
	if (bad)
		return;
	for (q = r->def->required; q && *q; q++) {
		for (j = 0; j < r->ngroup && strcmp(r->group[j], *q) != 0; j++)
			;
		if (j == r->ngroup)
			rpt_err(e, "/data/attributes/group_by", "group_by must "
			    "include %s", *q);
	}
	if (r->def->kind == RK_FORM) {
		for (j = 0; j < r->ngroup && strcmp(r->group[j], "form_id") !=
		    0; j++)
			;
		if (j == r->ngroup)
			rpt_err(e, "/data/attributes/group_by",
			    "form_version_id needs form_id in group_by too");
	}
}

static void
check_filter(struct rpt_errs *e, struct json_object *v, struct rpt_req *r)
{
	const struct sbx_filter_field	*f, *g;
	char *const			*vals;
	char				 err[300];
	size_t				 i, j, n, m;
	unsigned			 op;
	int				 rc;

	if (v == NULL || json_object_is_type(v, json_type_null))
		return;
	if (!json_object_is_type(v, json_type_string)) {
		rpt_err(e, "/data/attributes/filter", "'filter' must be a "
		    "string");
		return;
	}
	if ((rc = sbx_filter_parse(json_object_get_string(v), r->def->filters,
	    &r->filter, err, sizeof(err))) != KC_OK) {
		if (rc == KC_ERR_NOMEM)
			e->oom = 1;
		else
			rpt_err(e, "/data/attributes/filter", "%s", err);
		return;
	}
	for (i = 0; i < sbx_filter_nconds(r->filter); i++) {
		sbx_filter_cond(r->filter, i, &f, &op, &vals, &n);
		for (j = 0; j < i; j++) {
			sbx_filter_cond(r->filter, j, &g, &op, &vals, &m);
			if (g == f) {
				rpt_err(e, "/data/attributes/filter",
				    "Only one filter can be used per attribute "
				    "('%s')", f->field);
				return;
			}
		}
		sbx_filter_cond(r->filter, i, &f, &op, &vals, &n);
		if (strcmp(f->field, "send_channel") != 0)
			continue;
		for (j = 0; j < n; j++)
			if (!sbx_in_list(send_channel_values, vals[j]))
				rpt_err(e, "/data/attributes/filter",
				    "'%.64s' is not a send_channel: use email, "
				    "sms, push-notification or whatsapp",
				    vals[j]);
	}
}

static int
metric_exists(const struct sbx_account *a, const char *id)
{
	struct json_object	*arr = sbx_account_coll(a, "metric"), *it, *v;
	size_t			 i;

	for (i = 0; arr && i < json_object_array_length(arr); i++) {
		it = json_object_array_get_idx(arr, i);
		if (json_object_object_get_ex(it, "id", &v) &&
		    strcmp(json_object_get_string(v), id) == 0)
			return 1;
	}
	return 0;
}

/*
 * Checks the body and the page_cursor; fills r.  On a violation answers
 * 400 with every violation found and returns KC_ERR_BAD_INPUT.
 */
int
rpt_parse(struct sbx_ctx *ctx, struct sbx_resp *resp,
    struct json_object **bodyp, struct rpt_req *r)
{
	static const char *const common[] = { "statistics", "timeframe",
	    "filter", NULL };
	struct rpt_errs		 e;
	struct json_object	*body = NULL, *data, *v, *at;
	const char		*s, *why;
	char			 err[256];
	size_t			 i;
	int			 rc = KC_OK, tf_ok;

	*bodyp = NULL;
	e.ctx = ctx;
	e.oom = 0;
	if ((e.arr = json_object_new_array()) == NULL)
		return KC_ERR_NOMEM;
	if (ctx->req->body_len == 0) {
		rpt_err(&e, "/data", "A request body is required: "
		    "{\"data\": {\"type\": \"%s\", \"attributes\": {...}}}",
		    r->def->type);
		goto done;
	}
	if (json_parse_object(ctx->req->body, ctx->req->body_len, &body, err,
	    sizeof(err)) != KC_OK) {
		rpt_err(&e, "/", "The body is not a JSON object: %s", err);
		goto done;
	}
	*bodyp = body;
	if (!json_object_object_get_ex(body, "data", &data) ||
	    !json_object_is_type(data, json_type_object)) {
		rpt_err(&e, "/data", "'data' must be an object");
		goto done;
	}
	if (!json_object_object_get_ex(data, "type", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), r->def->type) != 0)
		rpt_err(&e, "/data/type", "'type' must be '%s'",
		    r->def->type);
	if (!json_object_object_get_ex(data, "attributes", &at) ||
	    !json_object_is_type(at, json_type_object)) {
		rpt_err(&e, "/data/attributes", "'attributes' must be an "
		    "object");
		goto done;
	}
	json_object_object_foreach(at, name, val) {
		char ptr[160];

		(void)val;
		if (sbx_in_list(common, name) ||
		    (r->def->series && strcmp(name, "interval") == 0) ||
		    (r->def->conversion && strcmp(name,
		    "conversion_metric_id") == 0) ||
		    (r->def->groups && strcmp(name, "group_by") == 0))
			continue;
		snprintf(ptr, sizeof(ptr), "/data/attributes/%.64s", name);
		rpt_err(&e, ptr, "'%.64s' is not an attribute of %s", name,
		    r->def->type);
	}
	check_statistics(&e, json_object_object_get_ex(at, "statistics",
	    &v) ? v : NULL, r);
	tf_ok = check_timeframe(&e, json_object_object_get_ex(at,
	    "timeframe", &v) ? v : NULL, r);
	if (r->def->series) {
		if (!json_object_object_get_ex(at, "interval", &v))
			rpt_err(&e, "/data/attributes/interval", "'interval' "
			    "is required: hourly, daily, weekly or monthly");
		else if (!json_object_is_type(v, json_type_string) ||
		    sbx_interval_parse(json_object_get_string(v), &r->iv) !=
		    KC_OK)
			rpt_err(&e, "/data/attributes/interval", "'interval' "
			    "must be hourly, daily, weekly or monthly");
		else if (tf_ok && (why = too_long(r->iv, r->wstart,
		    r->wend)) != NULL)
			rpt_err(&e, "/data/attributes/timeframe", "%s", why);
	}
	if (r->def->conversion) {
		if (!json_object_object_get_ex(at, "conversion_metric_id",
		    &v) || !json_object_is_type(v, json_type_string))
			rpt_err(&e, "/data/attributes/conversion_metric_id",
			    "'conversion_metric_id' is required: the id of a "
			    "metric such as Placed Order");
		else if (!metric_exists(ctx->acc, s = json_object_get_string(
		    v)))
			rpt_err(&e, "/data/attributes/conversion_metric_id",
			    "Metric '%.64s' does not exist in this account", s);
		else
			r->orders = strcmp(s, ctx->acc->order_metric) == 0;
	}
	if (r->def->groups)
		check_group_by(&e, json_object_object_get_ex(at, "group_by",
		    &v) ? v : NULL, r);
	check_filter(&e, json_object_object_get_ex(at, "filter", &v) ? v :
	    NULL, r);
	if (r->ngroup == 0)
		for (i = 0; r->def->defaults[i]; i++)
			r->group[r->ngroup++] = r->def->defaults[i];
	/* What a page_cursor must belong to. */
	r->tag = 2166136261u;
	hash_str(&r->tag, r->def->type);
	for (i = 0; i < r->nstat; i++)
		hash_str(&r->tag, r->stat[i]);
	for (i = 0; i < r->ngroup; i++)
		hash_str(&r->tag, r->group[i]);
	snprintf(err, sizeof(err), "%lld %lld %d %d", (long long)r->start,
	    (long long)r->end, (int)r->iv, r->orders);
	hash_str(&r->tag, err);
	hash_str(&r->tag, json_object_object_get_ex(at, "filter", &v) ?
	    json_object_get_string(v) : "");
	if (r->def->paged && (s = sbx_query_get(&ctx->q, "page_cursor")) !=
	    NULL && *s != '\0') {
		uint32_t tag;

		if (sbx_cursor_parse_tagged(s, &r->offset, &tag) != KC_OK)
			rpt_err(&e, "page_cursor", "Invalid page cursor "
			    "'%.64s'", s);
		else if (json_object_array_length(e.arr) == 0 &&
		    tag != r->tag)
			rpt_err(&e, "page_cursor", "This page_cursor belongs "
			    "to another request: send the same body with it");
	}
done:
	if (e.oom)
		rc = KC_ERR_NOMEM;
	else if (json_object_array_length(e.arr) > 0) {
		rc = sbx_reply_errors(resp, 400, e.arr);
		if (rc == KC_OK)
			rc = KC_ERR_BAD_INPUT;
	}
	json_object_put(e.arr);
	return rc;
}
