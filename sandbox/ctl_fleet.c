/*
 * GET /__sandbox/fleet[?from=I&count=N]: the --fleet accounts from
 * index I (default 0), N of them (default: the rest), each with its key,
 * id, zone, Placed Order metric, what its store holds, the first day of
 * data per report type, the fewest report requests a full sync needs
 * (fleet.c) and the requests it got since the last DELETE
 * /__sandbox/stats.  A benchmark reads it to judge a sync of the fleet.
 */
#include "fleet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "json_util.h"
#include "jsonapi.h"

static void
fmt_day(int64_t wall, char *out, size_t len)
{
	int y, m, d;

	sbx_civil_from_days(wall / 86400, &y, &m, &d);
	snprintf(out, len, "%04d-%02d-%02d", y, m, d);
}

static int
parse_index(const char *s, size_t max, size_t *out)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 ||
	    (unsigned long long)v > max)
		return KC_ERR_BAD_INPUT;
	*out = (size_t)v;
	return KC_OK;
}

/* "counts": what the store holds. */
static struct json_object *
counts_json(const struct sbx_fleet_sum *s)
{
	struct json_object *o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (json_add_int(o, "campaigns", (long long)s->campaigns) != KC_OK ||
	    json_add_int(o, "campaigns_sent", (long long)s->sent) != KC_OK ||
	    json_add_int(o, "flows", (long long)s->flows) != KC_OK ||
	    json_add_int(o, "flow_messages", (long long)s->msgs) != KC_OK ||
	    json_add_int(o, "forms", (long long)s->forms) != KC_OK ||
	    json_add_int(o, "form_versions", (long long)s->vers) != KC_OK ||
	    json_add_int(o, "segments", (long long)s->segments) != KC_OK ||
	    json_add_int(o, "orders", (long long)s->orders) != KC_OK) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* "first_day" and "min_report_requests", per report type. */
static int
reports_json(struct json_object *acc, const struct sbx_fleet_sum *s)
{
	struct json_object	*first, *min;
	char			 day[16];
	int			 k, total = 0;

	if ((first = json_object_new_object()) == NULL ||
	    json_add_obj(acc, "first_day", first) != KC_OK ||
	    (min = json_object_new_object()) == NULL ||
	    json_add_obj(acc, "min_report_requests", min) != KC_OK)
		return KC_ERR_NOMEM;
	for (k = 0; k < SBX_FR_N; k++) {
		if (s->first[k] >= 0)
			fmt_day(s->first_wall + (int64_t)s->first[k] * 86400,
			    day, sizeof(day));
		if (json_add_str(first, sbx_fleet_report_name(k),
		    s->first[k] >= 0 ? day : NULL) != KC_OK ||
		    json_add_int(min, sbx_fleet_report_name(k), s->min[k]) !=
		    KC_OK)
			return KC_ERR_NOMEM;
		total += s->min[k];
	}
	return json_add_int(min, "total", total);
}

/* "requests": what the account was sent, report requests per type. */
static int
requests_json(struct sbx_app *app, struct json_object *acc, size_t idx)
{
	struct json_object	*o, *rep;
	size_t			 j, ep;
	uint32_t		 n, t;
	uint64_t		 all = 0, thr = 0;
	int			 k;

	if ((o = json_object_new_object()) == NULL ||
	    json_add_obj(acc, "requests", o) != KC_OK)
		return KC_ERR_NOMEM;
	for (j = 0; j < sbx_nendpoints; j++) {
		sbx_ctl_stat(app->ctl, idx, j, &n, &t);
		all += n;
		thr += t;
	}
	if (json_add_int(o, "total", (long long)all) != KC_OK ||
	    json_add_int(o, "throttled", (long long)thr) != KC_OK ||
	    (rep = json_object_new_object()) == NULL ||
	    json_add_obj(o, "reports", rep) != KC_OK)
		return KC_ERR_NOMEM;
	/* Report requests that counted against the limits (not 429s). */
	for (k = 0; k < SBX_FR_N; k++) {
		n = t = 0;
		if (sbx_endpoint_find("POST",
		    sbx_fleet_report_path(k), &ep, NULL, 0) != NULL)
			sbx_ctl_stat(app->ctl, idx, ep, &n, &t);
		if (json_add_int(rep, sbx_fleet_report_name(k),
		    (long long)(n - t)) != KC_OK)
			return KC_ERR_NOMEM;
	}
	return KC_OK;
}

static struct json_object *
account_json(struct sbx_app *app, size_t i, long long *min)
{
	const struct sbx_account	*a;
	struct sbx_fleet_sum		 s;
	struct json_object		*o;
	char				 day[16];
	size_t				 idx = app->data->nfixed + i;
	int				 k;

	a = &app->data->acc[idx];
	if (sbx_fleet_sum(a, &s) != KC_OK ||
	    (o = json_object_new_object()) == NULL)
		return NULL;
	fmt_day(a->today, day, sizeof(day));
	if (json_add_int(o, "index", (long long)i) != KC_OK ||
	    json_add_str(o, "key", a->def->key) != KC_OK ||
	    json_add_str(o, "account", a->id) != KC_OK ||
	    json_add_str(o, "name", a->def->org) != KC_OK ||
	    json_add_str(o, "timezone", a->def->timezone) != KC_OK ||
	    json_add_str(o, "currency", a->def->currency) != KC_OK ||
	    json_add_str(o, "placed_order_metric", s.order_metric[0] ?
	    s.order_metric : NULL) != KC_OK ||
	    json_add_str(o, "today", day) != KC_OK ||
	    json_add_int(o, "history_days", s.ndays) != KC_OK)
		goto fail;
	fmt_day(s.first_wall, day, sizeof(day));
	if (json_add_str(o, "history_start", day) != KC_OK ||
	    sbx_add_new(o, "counts", counts_json(&s)) != KC_OK ||
	    reports_json(o, &s) != KC_OK ||
	    requests_json(app, o, idx) != KC_OK)
		goto fail;
	for (k = 0; k < SBX_FR_N; k++)
		*min += s.min[k];
	return o;
fail:
	json_object_put(o);
	return NULL;
}

void
sbx_ctl_fleet(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp)
{
	struct json_object	*o = NULL, *arr, *a;
	struct sbx_query	 q;
	const char		*v;
	char			 err[128];
	size_t			 n = app->data->nacc - app->data->nfixed;
	size_t			 from = 0, count, i;
	long long		 min = 0;

	memset(&q, 0, sizeof(q));
	if (sbx_query_parse(req->query, &q, err, sizeof(err)) != KC_OK) {
		sbx_ctl_reply_str(resp, 400, "error", err);
		return;
	}
	for (i = 0; i < q.n; i++)
		if (strcmp(q.p[i].name, "from") != 0 &&
		    strcmp(q.p[i].name, "count") != 0) {
			sbx_ctl_reply_str(resp, 400, "error", "only from and "
			    "count are allowed");
			goto out;
		}
	if ((v = sbx_query_get(&q, "from")) != NULL &&
	    parse_index(v, n, &from) != KC_OK) {
		sbx_ctl_reply_str(resp, 400, "error", "from must be 0 to the "
		    "fleet's size");
		goto out;
	}
	count = n - from;
	if ((v = sbx_query_get(&q, "count")) != NULL &&
	    parse_index(v, SBX_FLEET_MAX, &count) != KC_OK) {
		sbx_ctl_reply_str(resp, 400, "error", "count must be 0 to "
		    "20000");
		goto out;
	}
	if (count > n - from)
		count = n - from;
	if ((o = json_object_new_object()) == NULL ||
	    json_add_int(o, "fleet", (long long)n) != KC_OK ||
	    json_add_int(o, "from", (long long)from) != KC_OK ||
	    json_add_int(o, "count", (long long)count) != KC_OK ||
	    sbx_add_new(o, "time_scale", json_object_new_double(app->scale)) !=
	    KC_OK ||
	    (arr = json_object_new_array()) == NULL ||
	    json_add_obj(o, "accounts", arr) != KC_OK)
		goto fail;
	for (i = from; i < from + count; i++)
		if ((a = account_json(app, i, &min)) == NULL ||
		    json_object_array_add(arr, a) != 0) {
			json_object_put(a);
			goto fail;
		}
	if (json_add_int(o, "min_report_requests", min) != KC_OK)
		goto fail;
	sbx_ctl_reply(resp, 200, o);
	o = NULL;
	goto out;
fail:
	sbx_ctl_reply(resp, 500, NULL);
out:
	json_object_put(o);
	sbx_query_free(&q);
}
