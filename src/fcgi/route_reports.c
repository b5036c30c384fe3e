/*
 * GET /api/store/{storePublicId}/klaviyo-reports/{kind}: reports of the
 * store's synced Klaviyo data per account (any role; issue 18, the
 * contract in docs/REPORTS.md).  This file reads and checks the query
 * parameters and writes the answer: JSON, or CSV streamed a cursor page
 * at a time; the statements are in src/core/reports_*.c.
 */
#include "routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "connection.h"
#include "dispatch.h"
#include "json_util.h"
#include "log.h"
#include "reports.h"

#define CSV_TYPE "text/csv; charset=utf-8"

/* What the query string asked for, checked. */
struct report_req {
	struct reports_query	 q;
	const char		*from, *to, *account;	/* NULL: absent */
	int			 csv;
	char			 bfrom[16], bto[16];
	char			 bacct[CONN_PUBLIC_ID_MAX + 1];
	char			 bsort[24];
};

/* The parameters each kind takes ("_": a cache-buster, ignored). */
static int
param_allowed(enum reports_kind k, const char *name, size_t len)
{
	static const char *const common[] = { "from", "to", "account", "_" };
	static const char *const table[] = { "sort", "order", "limit",
	    "offset", "format" };
	size_t i;

#define IS(s) (strlen(s) == len && strncmp(name, s, len) == 0)
	for (i = 0; i < nitems(common); i++)
		if (IS(common[i]))
			return 1;
	if (k == RK_SERIES && (IS("interval") || IS("format")))
		return 1;
	for (i = 0; reports_kind_table(k) && i < nitems(table); i++)
		if (IS(table[i]))
			return 1;
#undef IS
	return 0;
}

/* A name safe to quote back: short, letters, digits and _ - . only. */
static int
name_printable(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 32)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_' || s[i] == '-' || s[i] == '.'))
			return 0;
	return 1;
}

#define QUERY_NAMES_MAX 16

/*
 * Every name of the query string is one the kind takes, and at most
 * once: a typo never silently reads the default.
 */
static int
check_names(struct kc_ctx *ctx, enum reports_kind k)
{
	const char	*p, *names[QUERY_NAMES_MAX];
	size_t		 lens[QUERY_NAMES_MAX], n = 0, i, len;
	char		 msg[160];

	for (p = ctx->req->query; p != NULL && *p != '\0';
	    p += strcspn(p, "&") + (p[strcspn(p, "&")] != '\0')) {
		if ((len = strcspn(p, "=&")) == 0 && *p == '&')
			continue;	/* "a=1&&b=2" */
		if (n == QUERY_NAMES_MAX)
			return ctx_fail(ctx, KC_ERR_BAD_INPUT, "Too many "
			    "query parameters");
		if (!param_allowed(k, p, len)) {
			if (name_printable(p, len))
				snprintf(msg, sizeof(msg), "Parameter '%.*s' "
				    "is not one the %s report takes",
				    (int)len, p, reports_kind_name(k));
			else
				snprintf(msg, sizeof(msg), "A parameter name "
				    "is not one the %s report takes",
				    reports_kind_name(k));
			return ctx_fail(ctx, KC_ERR_BAD_INPUT, msg);
		}
		for (i = 0; i < n; i++)
			if (lens[i] == len && strncmp(names[i], p, len) == 0) {
				snprintf(msg, sizeof(msg), "Parameter '%.*s' "
				    "is given more than once", (int)len, p);
				return ctx_fail(ctx, KC_ERR_BAD_INPUT, msg);
			}
		names[n] = p;
		lens[n++] = len;
	}
	return KC_OK;
}

/* A parameter's value; NULL when absent.  Bad escapes or long: 400. */
static int
param(struct kc_ctx *ctx, const char *name, char *buf, size_t len,
    const char **val, const char *why)
{
	int rc;

	*val = NULL;
	rc = http_query_get(ctx->req->query, name, buf, len);
	if (rc == KC_ERR_NOT_FOUND)
		return KC_OK;
	if (rc != KC_OK || buf[0] == '\0')
		return ctx_fail(ctx, KC_ERR_BAD_INPUT, why);
	*val = buf;
	return KC_OK;
}

/* A whole number lo..hi, or 400 with why. */
static int
number(struct kc_ctx *ctx, const char *name, long lo, long hi, long *out,
    const char *why)
{
	char		 buf[16];
	const char	*v;
	size_t		 n;
	int		 rc;

	if ((rc = param(ctx, name, buf, sizeof(buf), &v, why)) != KC_OK ||
	    v == NULL)
		return rc;
	n = strspn(v, "0123456789");
	if (n == 0 || n > 9 || v[n] != '\0' ||
	    (*out = strtol(v, NULL, 10)) < lo || *out > hi)
		return ctx_fail(ctx, KC_ERR_BAD_INPUT, why);
	return KC_OK;
}

/* The table parameters: sort, order, limit, offset. */
static int
table_params(struct kc_ctx *ctx, struct report_req *r)
{
	struct reports_query	*q = &r->q;
	char			 why[200], ob[8];
	const char		*v;
	int			 rc;

	q->sort = reports_sort_default(q->kind);
	q->desc = 1;
	q->limit = REPORTS_LIMIT_DEFAULT;
	q->offset = 0;
	if (!reports_kind_table(q->kind))
		return KC_OK;
	switch (q->kind) {
	case RK_CAMPAIGNS:
		snprintf(why, sizeof(why), "Parameter 'sort' must be one of "
		    "revenue, conversions, recipients, open_rate, click_rate, "
		    "name, send_time");
		break;
	case RK_FLOWS:
		snprintf(why, sizeof(why), "Parameter 'sort' must be one of "
		    "revenue, conversions, recipients, open_rate, click_rate, "
		    "name");
		break;
	case RK_SEGMENTS:
		snprintf(why, sizeof(why), "Parameter 'sort' must be one of "
		    "end_members, start_members, change, name");
		break;
	default:
		snprintf(why, sizeof(why), "Parameter 'sort' must be one of "
		    "submits, views, submit_rate, name");
		break;
	}
	if ((rc = param(ctx, "sort", r->bsort, sizeof(r->bsort), &v, why)) !=
	    KC_OK)
		return rc;
	if (v != NULL && !reports_sort_valid(q->kind, v))
		return ctx_fail(ctx, KC_ERR_BAD_INPUT, why);
	if (v != NULL)
		q->sort = v;
	if ((rc = param(ctx, "order", ob, sizeof(ob), &v, "Parameter 'order' "
	    "must be asc or desc")) != KC_OK)
		return rc;
	if (v != NULL && strcmp(v, "asc") != 0 && strcmp(v, "desc") != 0)
		return ctx_fail(ctx, KC_ERR_BAD_INPUT, "Parameter 'order' "
		    "must be asc or desc");
	q->desc = v == NULL || strcmp(v, "desc") == 0;
	if ((rc = number(ctx, "limit", 1, REPORTS_LIMIT_MAX, &q->limit,
	    "Parameter 'limit' must be a whole number from 1 to 200")) !=
	    KC_OK)
		return rc;
	return number(ctx, "offset", 0, REPORTS_OFFSET_MAX, &q->offset,
	    "Parameter 'offset' must be a whole number from 0 to 1000000");
}

/* format=json|csv, else an Accept naming text/csv. */
static int
format_param(struct kc_ctx *ctx, struct report_req *r)
{
	const char	*v, *accept;
	char		 buf[8];
	int		 rc;

	r->csv = 0;
	if ((rc = param(ctx, "format", buf, sizeof(buf), &v, "Parameter "
	    "'format' must be json or csv")) != KC_OK)
		return rc;
	if (v == NULL) {
		accept = http_req_param(ctx->req, "HTTP_ACCEPT");
		r->csv = reports_kind_csv(r->q.kind) && accept != NULL &&
		    strstr(accept, "text/csv") != NULL;
		return KC_OK;
	}
	if (strcmp(v, "csv") == 0)
		r->csv = 1;
	else if (strcmp(v, "json") != 0)
		return ctx_fail(ctx, KC_ERR_BAD_INPUT, "Parameter 'format' "
		    "must be json or csv");
	if (r->csv && !reports_kind_csv(r->q.kind))
		return ctx_fail(ctx, KC_ERR_BAD_INPUT, "Parameter 'format': "
		    "the summary report has no CSV (the tables and the series "
		    "do)");
	return KC_OK;
}

static reports_day
utc_today(void)
{
	return (reports_day)(time(NULL) / 86400);
}

static int
read_params(struct kc_ctx *ctx, struct report_req *r)
{
	struct reports_range	 check;
	char			 ib[16];
	const char		*v, *why;
	int			 rc;

	if ((rc = check_names(ctx, r->q.kind)) != KC_OK)
		return rc;
	if ((rc = param(ctx, "from", r->bfrom, sizeof(r->bfrom), &r->from,
	    "Parameter 'from' must be a day YYYY-MM-DD (2000 to 2099)")) !=
	    KC_OK || (rc = param(ctx, "to", r->bto, sizeof(r->bto), &r->to,
	    "Parameter 'to' must be a day YYYY-MM-DD (2000 to 2099)")) !=
	    KC_OK)
		return rc;
	/* Checked now, for every account: only "today" differs. */
	if (reports_range_make(r->from, r->to, utc_today(), &check, &why) !=
	    KC_OK)
		return ctx_fail(ctx, KC_ERR_BAD_INPUT, why);
	if ((rc = param(ctx, "account", r->bacct, sizeof(r->bacct),
	    &r->account, "Parameter 'account' must be an account id "
	    "(kcn_...) of this store")) != KC_OK)
		return rc;
	if (r->account != NULL && !conn_public_id_valid(r->account))
		return ctx_fail(ctx, KC_ERR_BAD_INPUT, "Parameter 'account' "
		    "must be an account id (kcn_...) of this store");
	r->q.interval = REPORTS_DAY;
	if (r->q.kind == RK_SERIES && ((rc = param(ctx, "interval", ib,
	    sizeof(ib), &v, "Parameter 'interval' must be day, week or "
	    "month")) != KC_OK || reports_interval_parse(v, &r->q.interval) !=
	    KC_OK))
		return rc != KC_OK ? rc : ctx_fail(ctx, KC_ERR_BAD_INPUT,
		    "Parameter 'interval' must be day, week or month");
	if ((rc = table_params(ctx, r)) != KC_OK)
		return rc;
	return format_param(ctx, r);
}

/* Each account's days, and the request's (the first account's). */
static void
set_ranges(const struct report_req *r, struct reports_accounts *as,
    struct reports_range *top)
{
	const char	*why;
	size_t		 i;

	for (i = 0; i < as->n; i++)
		/* read_params checked from and to: cannot fail now. */
		if (reports_range_make(r->from, r->to, as->v[i].today,
		    &as->v[i].range, &why) != KC_OK)
			log_warnx("report range: %s", why);
	if (as->n > 0)
		*top = as->v[0].range;
	else if (reports_range_make(r->from, r->to, utc_today(), top, &why) !=
	    KC_OK)
		log_warnx("report range: %s", why);
}

static int
reply_json(struct kc_ctx *ctx, const struct report_req *r,
    const struct reports_accounts *as, const struct reports_range *top)
{
	struct json_object	*o = NULL, *arr, *acct;
	size_t			 i;
	int			 rc = KC_ERR_NOMEM;

	if ((o = json_object_new_object()) == NULL ||
	    json_add_bool(o, "success", 1) != KC_OK ||
	    json_add_str(o, "kind", reports_kind_name(r->q.kind)) != KC_OK ||
	    reports_range_json(o, top) != KC_OK ||
	    (arr = json_object_new_array()) == NULL ||
	    json_add_obj(o, "accounts", arr) != KC_OK)
		goto fail;
	for (i = 0; i < as->n; i++) {
		if ((rc = reports_account_json(&as->v[i], &acct)) != KC_OK)
			goto fail;
		if (json_object_array_add(arr, acct) != 0) {
			json_object_put(acct);
			rc = KC_ERR_NOMEM;
			goto fail;
		}
		if ((rc = reports_json(ctx->db, &as->v[i], &r->q, acct)) !=
		    KC_OK)
			goto fail;
	}
	ctx_reply(ctx, 200, o);
	return KC_OK;
fail:
	json_object_put(o);
	return ctx_fail(ctx, rc, NULL);
}

static int
emit(void *arg, const char *data, size_t len)
{
	struct kc_ctx *ctx = arg;

	return ctx->stream(ctx, data, len);
}

/*
 * The CSV: the head goes out with the first page, so a failure before
 * it is still a JSON error; one after it cuts the body short.
 */
static int
reply_csv(struct kc_ctx *ctx, struct report_req *r,
    const struct reports_accounts *as, const struct reports_range *top)
{
	struct buf	out;
	char		from[REPORTS_DATE_LEN + 1], to[REPORTS_DATE_LEN + 1];
	size_t		i;
	int		rc;

	reports_date_format(top->from, from, sizeof(from));
	reports_date_format(top->to, to, sizeof(to));
	ctx->resp->status = 200;
	ctx->resp->text_type = CSV_TYPE;
	if (http_resp_header(ctx->resp, "Content-Disposition",
	    "attachment; filename=\"klaviyo-%s-%s-%s.csv\"",
	    reports_kind_name(r->q.kind), from, to) != KC_OK)
		return ctx_fail(ctx, KC_ERR_INTERNAL, NULL);
	r->q.limit = -1;	/* every row */
	r->q.offset = 0;
	buf_init(&out, 8 * 1024 * 1024);
	if ((rc = reports_csv_header(r->q.kind, &out)) != KC_OK)
		goto out;
	/* A cursor lives in a transaction. */
	if ((rc = db_begin(ctx->db)) != KC_OK)
		goto out;
	for (i = 0; i < as->n && rc == KC_OK; i++)
		rc = reports_csv_account(ctx->db, &as->v[i], &r->q, &out,
		    emit, ctx);
	if (rc == KC_OK)
		rc = db_commit(ctx->db);
	else
		db_rollback(ctx->db);
	/* The header alone, when no account had a row. */
	if (rc == KC_OK && (out.len > 0 || !ctx->resp->streamed))
		rc = ctx->stream(ctx, buf_cstr(&out), out.len);
out:
	buf_free(&out);
	if (rc != KC_OK && ctx->resp->streamed)
		log_warnx("CSV export cut short: %s", kc_strerror(rc));
	if (rc != KC_OK && !ctx->resp->streamed) {
		http_resp_reset(ctx->resp);
		return ctx_fail(ctx, rc, NULL);
	}
	return rc;
}

int
route_reports_get(struct kc_ctx *ctx)
{
	struct store_access	 a;
	struct report_req	 r;
	struct reports_accounts	 as;
	struct reports_range	 top;
	int			 rc;

	memset(&as, 0, sizeof(as));
	if ((rc = ctx_store_access(ctx, STORE_READ, &a)) != KC_OK)
		return rc;
	memset(&r, 0, sizeof(r));
	if (reports_kind_parse(route_param(&ctx->params, "kind"), &r.q.kind) !=
	    KC_OK) {
		rc = ctx_fail_code(ctx, KC_ERR_NOT_FOUND, "unknown_report",
		    "No such report: the kinds are summary, series, campaigns, "
		    "flows, segments and forms");
		goto out;
	}
	if ((rc = read_params(ctx, &r)) != KC_OK)
		goto out;
	rc = reports_accounts_load(ctx->db, a.store_id, r.account, &as);
	if (rc == KC_ERR_NOT_FOUND) {
		rc = ctx_fail_code(ctx, rc, "unknown_account", "Parameter "
		    "'account' names no Klaviyo account of this store");
		goto out;
	}
	if (rc != KC_OK) {
		rc = ctx_fail(ctx, rc, NULL);
		goto out;
	}
	set_ranges(&r, &as, &top);
	rc = r.csv ? reply_csv(ctx, &r, &as, &top) :
	    reply_json(ctx, &r, &as, &top);
out:
	reports_accounts_free(&as);
	perm_access_clear(&a);
	return rc;
}
