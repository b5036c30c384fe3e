/*
 * The JSON reports of one account (docs/REPORTS.md); see reports.h.
 * Values come from PostgreSQL as text and are put in the JSON as they
 * are (json_object_new_double_s), so money keeps its cents exactly.
 */
#include "reports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "integration.h"
#include "json_util.h"
#include "reports_sql.h"

static const char SQL_SUMMARY[] = RQ_SUMMARY;
static const char SQL_SERIES[] = RQ_SERIES;
static const char SQL_CAMPAIGNS[] = RQ_CAMPAIGNS;
static const char SQL_CAMPAIGNS_COUNT[] = RQ_CAMPAIGNS_COUNT;
static const char SQL_FLOWS[] = RQ_FLOWS;
static const char SQL_FLOWS_COUNT[] = RQ_FLOWS_COUNT;
static const char SQL_SEGMENTS[] = RQ_SEGMENTS;
static const char SQL_SEGMENTS_COUNT[] = RQ_SEGMENTS_COUNT;
static const char SQL_SEGMENT_POINTS[] = RQ_SEGMENT_POINTS;
static const char SQL_FORMS[] = RQ_FORMS;
static const char SQL_FORMS_COUNT[] = RQ_FORMS_COUNT;

static const char *const kind_names[RK__COUNT] = { "summary", "series",
    "campaigns", "flows", "segments", "forms" };

/* Each table's sort keys, its default first. */
static const char *const campaign_sorts[] = { "revenue", "conversions",
    "recipients", "open_rate", "click_rate", "name", "send_time", NULL };
static const char *const flow_sorts[] = { "revenue", "conversions",
    "recipients", "open_rate", "click_rate", "name", NULL };
static const char *const segment_sorts[] = { "end_members",
    "start_members", "change", "name", NULL };
static const char *const form_sorts[] = { "submits", "views",
    "submit_rate", "name", NULL };

static const char *const *
sorts_of(enum reports_kind k)
{
	switch (k) {
	case RK_CAMPAIGNS:	return campaign_sorts;
	case RK_FLOWS:		return flow_sorts;
	case RK_SEGMENTS:	return segment_sorts;
	case RK_FORMS:		return form_sorts;
	default:		return NULL;
	}
}

int
reports_kind_parse(const char *s, enum reports_kind *out)
{
	size_t i;

	for (i = 0; s != NULL && i < RK__COUNT; i++)
		if (strcmp(s, kind_names[i]) == 0) {
			*out = (enum reports_kind)i;
			return KC_OK;
		}
	return KC_ERR_NOT_FOUND;
}

const char *
reports_kind_name(enum reports_kind k)
{
	return k < RK__COUNT ? kind_names[k] : "unknown";
}

int
reports_kind_table(enum reports_kind k)
{
	return sorts_of(k) != NULL;
}

int
reports_kind_csv(enum reports_kind k)
{
	return k != RK_SUMMARY && k < RK__COUNT;
}

int
reports_sort_valid(enum reports_kind k, const char *name)
{
	const char *const *s;

	for (s = sorts_of(k); s != NULL && *s != NULL; s++)
		if (strcmp(*s, name) == 0)
			return 1;
	return 0;
}

const char *
reports_sort_default(enum reports_kind k)
{
	const char *const *s = sorts_of(k);

	return s ? s[0] : NULL;
}

/* How a column goes into the JSON. */
enum col {
	C_TEXT,		/* string or null */
	C_INT,		/* whole number */
	C_DEC,		/* decimal (money, rates) or null */
};

static int
add_col(struct json_object *o, const char *key, const PGresult *res, int r,
    int c, enum col how)
{
	const char *v = db_val(res, r, c);

	if (v == NULL || how == C_TEXT)
		return json_add_str(o, key, v);
	if (how == C_INT)
		return json_add_int(o, key, strtoll(v, NULL, 10));
	return json_add_obj(o, key, json_object_new_double_s(strtod(v, NULL),
	    v));
}

struct colspec {
	const char	*key;
	enum col	 how;
};

/* Row r of res as an object of the columns named in spec. */
static int
row_object(const PGresult *res, int r, const struct colspec *spec,
    size_t n, struct json_object **out)
{
	struct json_object	*o;
	size_t			 i;

	*out = NULL;
	if ((o = json_object_new_object()) == NULL)
		return KC_ERR_NOMEM;
	for (i = 0; i < n; i++)
		if (spec[i].key != NULL && add_col(o, spec[i].key, res, r,
		    (int)i, spec[i].how) != KC_OK) {
			json_object_put(o);
			return KC_ERR_NOMEM;
		}
	*out = o;
	return KC_OK;
}

/* Adds an array of every row of res under key. */
static int
add_rows(struct json_object *o, const char *key, const PGresult *res,
    const struct colspec *spec, size_t n)
{
	struct json_object	*arr, *row;
	int			 r;

	if ((arr = json_object_new_array()) == NULL)
		return KC_ERR_NOMEM;
	for (r = 0; r < PQntuples(res); r++) {
		if (row_object(res, r, spec, n, &row) != KC_OK ||
		    json_object_array_add(arr, row) != 0) {
			json_object_put(row);
			json_object_put(arr);
			return KC_ERR_NOMEM;
		}
	}
	return json_add_obj(o, key, arr);
}

struct params {
	char		 conn[24], from[16], to[16], limit[24], offset[24];
	const char	*v[8];
};

static void
params_init(struct params *p, const struct reports_account *a,
    reports_day from, reports_day to)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->conn, sizeof(p->conn), "%lld", a->id);
	reports_date_format(from, p->from, sizeof(p->from));
	reports_date_format(to, p->to, sizeof(p->to));
}

static const struct colspec summary_cols[] = {
	{ "orders", C_INT }, { "revenue", C_DEC },
	{ "campaign_revenue", C_DEC }, { "campaign_conversions", C_INT },
	{ "flow_revenue", C_DEC }, { "flow_conversions", C_INT },
	{ "recipients", C_INT }, { "delivered", C_INT }, { "opens", C_INT },
	{ "clicks", C_INT }, { "open_rate", C_DEC }, { "click_rate", C_DEC },
};

static int
summary_period(struct db *db, const struct reports_account *a,
    reports_day from, reports_day to, struct json_object *o,
    const char *key)
{
	struct params		 p;
	struct json_object	*row;
	PGresult		*res = NULL;
	int			 rc;

	params_init(&p, a, from, to);
	p.v[0] = p.conn;
	p.v[1] = a->timezone;
	p.v[2] = p.from;
	p.v[3] = p.to;
	if ((rc = db_query(db, SQL_SUMMARY, 4, p.v, &res)) != KC_OK)
		return rc;
	if (PQntuples(res) != 1)
		rc = KC_ERR_INTERNAL;
	else if ((rc = row_object(res, 0, summary_cols,
	    nitems(summary_cols), &row)) == KC_OK)
		rc = json_add_obj(o, key, row);
	PQclear(res);
	return rc;
}

static int
summary(struct db *db, const struct reports_account *a,
    struct json_object *o)
{
	int rc;

	if ((rc = summary_period(db, a, a->range.from, a->range.to, o,
	    "current")) != KC_OK)
		return rc;
	return summary_period(db, a, a->range.prev_from, a->range.prev_to, o,
	    "previous");
}

/* A series point: the period's row, or zeros when it has none. */
static int
series_point(const char *period, const PGresult *res, int r,
    struct json_object **out)
{
	struct json_object	*o;
	static const char *const keys[] = { "orders", "revenue",
	    "campaign_revenue", "flow_revenue" };
	size_t			 i;
	int			 rc = KC_OK;

	*out = NULL;
	if ((o = json_object_new_object()) == NULL ||
	    json_add_str(o, "period", period) != KC_OK) {
		json_object_put(o);
		return KC_ERR_NOMEM;
	}
	for (i = 0; i < nitems(keys) && rc == KC_OK; i++)
		if (res == NULL)
			rc = i == 0 ? json_add_int(o, keys[i], 0) :
			    json_add_obj(o, keys[i],
			    json_object_new_double_s(0, "0.00"));
		else
			rc = add_col(o, keys[i], res, r, (int)i + 1,
			    i == 0 ? C_INT : C_DEC);
	if (rc != KC_OK) {
		json_object_put(o);
		return KC_ERR_NOMEM;
	}
	*out = o;
	return KC_OK;
}

/* Every period of the range, each with its row when the query has one. */
static int
series_points(const struct reports_account *a, enum reports_interval iv,
    const PGresult *res, struct json_object *arr)
{
	struct json_object	*pt;
	char			 d[REPORTS_DATE_LEN + 1];
	reports_day		 p;
	int			 r = 0, have;

	for (p = reports_period_start(iv, a->range.from); p <= a->range.to;
	    p = reports_period_next(iv, p)) {
		reports_date_format(p, d, sizeof(d));
		/* Both ascend: the row of this period, if any, is next. */
		while (r < PQntuples(res) && strcmp(PQgetvalue(res, r, 0), d) < 0)
			r++;
		have = r < PQntuples(res) &&
		    strcmp(PQgetvalue(res, r, 0), d) == 0;
		if (series_point(d, have ? res : NULL, r, &pt) != KC_OK ||
		    json_object_array_add(arr, pt) != 0) {
			json_object_put(pt);
			return KC_ERR_NOMEM;
		}
	}
	return KC_OK;
}

static int
series(struct db *db, const struct reports_account *a,
    enum reports_interval iv, struct json_object *o)
{
	struct params		 p;
	struct json_object	*arr = NULL;
	PGresult		*res = NULL;
	int			 rc;

	params_init(&p, a, a->range.from, a->range.to);
	p.v[0] = p.conn;
	p.v[1] = a->timezone;
	p.v[2] = p.from;
	p.v[3] = p.to;
	p.v[4] = reports_interval_unit(iv);
	if ((rc = db_query(db, SQL_SERIES, 5, p.v, &res)) != KC_OK)
		return rc;
	if ((arr = json_object_new_array()) == NULL)
		rc = KC_ERR_NOMEM;
	else if ((rc = series_points(a, iv, res, arr)) == KC_OK) {
		rc = json_add_obj(o, "points", arr);
		arr = NULL;
	}
	json_object_put(arr);
	PQclear(res);
	return rc;
}

static const struct colspec campaign_cols[] = {
	{ "id", C_TEXT }, { "name", C_TEXT }, { "channel", C_TEXT },
	{ "status", C_TEXT }, { "send_time", C_TEXT },
	{ "recipients", C_INT }, { "delivered", C_INT }, { "opens", C_INT },
	{ "clicks", C_INT }, { "open_rate", C_DEC }, { "click_rate", C_DEC },
	{ "conversions", C_INT }, { "revenue", C_DEC },
};
static const struct colspec flow_cols[] = {
	{ "id", C_TEXT }, { "name", C_TEXT }, { "status", C_TEXT },
	{ "recipients", C_INT }, { "delivered", C_INT }, { "opens", C_INT },
	{ "clicks", C_INT }, { "open_rate", C_DEC }, { "click_rate", C_DEC },
	{ "conversions", C_INT }, { "revenue", C_DEC },
};
static const struct colspec segment_cols[] = {
	{ "id", C_TEXT }, { "name", C_TEXT }, { "start_members", C_INT },
	{ "end_members", C_INT }, { "change", C_INT },
};
static const struct colspec form_cols[] = {
	{ "id", C_TEXT }, { "name", C_TEXT }, { "status", C_TEXT },
	{ "views", C_INT }, { "unique_views", C_INT }, { "submits", C_INT },
	{ "submit_rate", C_DEC },
};

/* A table's statements and columns. */
struct table {
	const char		*rows, *count;
	const struct colspec	*cols;
	size_t			 ncols;
	int			 zoned;	/* takes the time zone as $2 */
};

static int
table_of(enum reports_kind k, struct table *t)
{
	switch (k) {
	case RK_CAMPAIGNS:
		*t = (struct table){ SQL_CAMPAIGNS, SQL_CAMPAIGNS_COUNT,
		    campaign_cols, nitems(campaign_cols), 1 };
		return KC_OK;
	case RK_FLOWS:
		*t = (struct table){ SQL_FLOWS, SQL_FLOWS_COUNT, flow_cols,
		    nitems(flow_cols), 0 };
		return KC_OK;
	case RK_SEGMENTS:
		*t = (struct table){ SQL_SEGMENTS, SQL_SEGMENTS_COUNT,
		    segment_cols, nitems(segment_cols), 0 };
		return KC_OK;
	case RK_FORMS:
		*t = (struct table){ SQL_FORMS, SQL_FORMS_COUNT, form_cols,
		    nitems(form_cols), 0 };
		return KC_OK;
	default:
		return KC_ERR_INTERNAL;
	}
}

int
reports_table_params(const struct reports_account *a,
    const struct reports_query *q, int zoned, char *conn, char *from,
    char *to, char *limit, char *offset, const char **v)
{
	int n = 0;

	snprintf(conn, 24, "%lld", a->id);
	reports_date_format(a->range.from, from, 24);
	reports_date_format(a->range.to, to, 24);
	snprintf(limit, 24, "%ld", q->limit);
	snprintf(offset, 24, "%ld", q->offset);
	v[n++] = conn;
	if (zoned)
		v[n++] = a->timezone;
	v[n++] = from;
	v[n++] = to;
	v[n++] = q->sort;
	v[n++] = q->desc ? "desc" : "asc";
	v[n++] = q->limit < 0 ? NULL : limit;	/* LIMIT NULL: every row */
	v[n++] = offset;
	return n;
}

/* The first row of res (ordered by id, bytewise) with that id. */
static int
first_row(const PGresult *res, const char *id)
{
	int lo = 0, hi = PQntuples(res), mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(PQgetvalue(res, mid, 0), id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Adds each segment row's "points" (reports_stride of its days). */
static int
segment_points(struct db *db, const struct reports_account *a,
    const PGresult *page, struct json_object *rows)
{
	struct json_object	*ids, *pts, *pt, *row;
	struct params		 p;
	PGresult		*res = NULL;
	const char		*id;
	size_t			 first, i, n, stride;
	int			 r, k, rc = KC_ERR_NOMEM;

	if ((ids = json_object_new_array()) == NULL)
		return KC_ERR_NOMEM;
	for (r = 0; r < PQntuples(page); r++)
		if (json_object_array_add(ids,
		    json_object_new_string(PQgetvalue(page, r, 0))) != 0)
			goto out;
	params_init(&p, a, a->range.from, a->range.to);
	p.v[0] = p.conn;
	p.v[1] = p.from;
	p.v[2] = p.to;
	p.v[3] = json_object_to_json_string_ext(ids, JSON_C_TO_STRING_PLAIN);
	if ((rc = db_query(db, SQL_SEGMENT_POINTS, 4, p.v, &res)) != KC_OK)
		goto out;
	/* The rows of one segment follow each other, by day. */
	for (r = 0, k = 0; k < PQntuples(page); k++) {
		row = json_object_array_get_idx(rows, (size_t)k);
		id = PQgetvalue(page, k, 0);
		rc = KC_ERR_NOMEM;
		if ((pts = json_object_new_array()) == NULL ||
		    json_add_obj(row, "points", pts) != KC_OK)
			goto out;
		r = first_row(res, id);
		for (first = (size_t)r, n = 0; r < PQntuples(res) &&
		    strcmp(PQgetvalue(res, r, 0), id) == 0; r++)
			n++;
		stride = reports_stride(n);
		for (i = 0; i < n; i++) {
			if (i % stride != 0 && i + 1 != n)
				continue;
			if ((pt = json_object_new_object()) == NULL ||
			    json_object_array_add(pts, pt) != 0) {
				json_object_put(pt);
				goto out;
			}
			if (add_col(pt, "day", res, (int)(first + i), 1,
			    C_TEXT) != KC_OK || add_col(pt, "members", res,
			    (int)(first + i), 2, C_INT) != KC_OK)
				goto out;
		}
	}
	rc = KC_OK;
out:
	PQclear(res);
	json_object_put(ids);
	return rc;
}

static int
table(struct db *db, const struct reports_account *a,
    const struct reports_query *q, struct json_object *o)
{
	struct table		 t;
	struct json_object	*rows;
	char			 conn[24], from[24], to[24], lim[24], off[24];
	const char		*v[8];
	PGresult		*res = NULL;
	int			 n, rc;

	if ((rc = table_of(q->kind, &t)) != KC_OK)
		return rc;
	n = reports_table_params(a, q, t.zoned, conn, from, to, lim, off, v);
	/* The count takes the leading parameters: connection (and range). */
	if ((rc = db_query(db, t.count, t.zoned ? 4 : 1, v, &res)) != KC_OK)
		return rc;
	rc = json_add_int(o, "total", strtoll(PQgetvalue(res, 0, 0), NULL,
	    10));
	PQclear(res);
	res = NULL;
	if (rc != KC_OK)
		return rc;
	if ((rc = db_query(db, t.rows, n, v, &res)) != KC_OK)
		return rc;
	if ((rc = add_rows(o, "rows", res, t.cols, t.ncols)) == KC_OK &&
	    q->kind == RK_SEGMENTS && PQntuples(res) > 0 &&
	    json_object_object_get_ex(o, "rows", &rows))
		rc = segment_points(db, a, res, rows);
	PQclear(res);
	return rc;
}

int
reports_json(struct db *db, const struct reports_account *a,
    const struct reports_query *q, struct json_object *o)
{
	switch (q->kind) {
	case RK_SUMMARY:
		return summary(db, a, o);
	case RK_SERIES:
		return series(db, a, q->interval, o);
	default:
		return table(db, a, q, o);
	}
}
