/*
 * The CSV exports (docs/REPORTS.md); see reports.h.  A cursor over the
 * same statement as the JSON page (without its limit), fetched
 * RQ_FETCH_ROWS rows at a time; each page is formatted and handed on
 * before the next is fetched, so memory stays one page whatever the
 * table's size.
 */
#include "reports.h"

#include <stdio.h>
#include <string.h>

#include "integration.h"
#include "reports_csv.h"
#include "reports_sql.h"

static const char SQL_CUR_SERIES[] = RQ_CURSOR RQ_SERIES;
static const char SQL_CUR_CAMPAIGNS[] = RQ_CURSOR RQ_CAMPAIGNS;
static const char SQL_CUR_FLOWS[] = RQ_CURSOR RQ_FLOWS;
static const char SQL_CUR_SEGMENT_DAYS[] = RQ_CURSOR RQ_SEGMENT_DAYS;
static const char SQL_CUR_FORMS[] = RQ_CURSOR RQ_FORMS;
static const char SQL_FETCH[] = "FETCH 500 FROM kc_report";
static const char SQL_CLOSE[] = "CLOSE kc_report";

#define T CSV_TEXT
#define N CSV_NUMBER
#define MAX_COLS 16

/* Each kind's columns after account_id and currency. */
struct csv_table {
	const char		*header;
	size_t			 ncols;		/* from the statement */
	enum csv_kind		 kinds[MAX_COLS];
};

static const struct csv_table csv_tables[RK__COUNT] = {
	[RK_SERIES] = { "account_id,currency,period,orders,revenue,"
	    "campaign_revenue,flow_revenue", 5, { T, N, N, N, N } },
	[RK_CAMPAIGNS] = { "account_id,currency,campaign_id,name,channel,"
	    "status,send_time,recipients,delivered,opens,clicks,open_rate,"
	    "click_rate,conversions,revenue", 13,
	    { T, T, T, T, T, N, N, N, N, N, N, N, N } },
	[RK_FLOWS] = { "account_id,currency,flow_id,name,status,recipients,"
	    "delivered,opens,clicks,open_rate,click_rate,conversions,revenue",
	    11, { T, T, T, N, N, N, N, N, N, N, N } },
	[RK_SEGMENTS] = { "account_id,currency,segment_id,name,day,members",
	    4, { T, T, T, N } },
	[RK_FORMS] = { "account_id,currency,form_id,name,status,views,"
	    "unique_views,submits,submit_rate", 7,
	    { T, T, T, N, N, N, N } },
};

int
reports_csv_header(enum reports_kind k, struct buf *out)
{
	if (!reports_kind_csv(k))
		return KC_ERR_INTERNAL;
	if (buf_puts(out, csv_tables[k].header) != KC_OK ||
	    buf_puts(out, "\r\n") != KC_OK)
		return KC_ERR_NOMEM;
	return KC_OK;
}

/* One CSV row: the account's id and currency, then cells. */
static int
csv_line(struct buf *out, const struct reports_account *a,
    const struct csv_table *t, const char *const *cells)
{
	const char	*v[MAX_COLS + 2];
	enum csv_kind	 k[MAX_COLS + 2];
	size_t		 i;

	v[0] = a->public_id;
	v[1] = a->currency;
	k[0] = k[1] = CSV_TEXT;
	for (i = 0; i < t->ncols; i++) {
		v[i + 2] = cells[i];
		k[i + 2] = t->kinds[i];
	}
	return reports_csv_row(out, v, k, t->ncols + 2);
}

static int
csv_result_row(struct buf *out, const struct reports_account *a,
    const struct csv_table *t, const PGresult *res, int r)
{
	const char	*cells[MAX_COLS];
	size_t		 i;

	for (i = 0; i < t->ncols; i++)
		cells[i] = db_val(res, r, (int)i);
	return csv_line(out, a, t, cells);
}

/* The series' walk over every period of the range (zeros in between). */
struct series_walk {
	enum reports_interval	iv;
	reports_day		next;	/* the first period not yet written */
	reports_day		to;
};

/* Zero rows for the periods before `before` (a day; to + 1: all left). */
static int
series_gap(struct buf *out, const struct reports_account *a,
    struct series_walk *w, reports_day before)
{
	char		 d[REPORTS_DATE_LEN + 1];
	const char	*cells[5] = { d, "0", "0.00", "0.00", "0.00" };
	int		 rc;

	for (; w->next < before && w->next <= w->to;
	    w->next = reports_period_next(w->iv, w->next)) {
		reports_date_format(w->next, d, sizeof(d));
		if ((rc = csv_line(out, a, &csv_tables[RK_SERIES], cells)) !=
		    KC_OK)
			return rc;
	}
	return KC_OK;
}

static int
series_row(struct buf *out, const struct reports_account *a,
    struct series_walk *w, const PGresult *res, int r)
{
	reports_day	p;
	int		rc;

	if (reports_date_parse(PQgetvalue(res, r, 0), &p) != KC_OK)
		return KC_ERR_INTERNAL;
	if ((rc = series_gap(out, a, w, p)) != KC_OK ||
	    (rc = csv_result_row(out, a, &csv_tables[RK_SERIES], res, r)) !=
	    KC_OK)
		return rc;
	w->next = reports_period_next(w->iv, p);
	return KC_OK;
}

/* DECLAREs the account's cursor for the kind. */
static int
declare(struct db *db, const struct reports_account *a,
    const struct reports_query *q)
{
	char		 conn[24], from[24], to[24], lim[24], off[24];
	const char	*v[8];
	const char	*sql;
	int		 n;

	switch (q->kind) {
	case RK_SERIES:
		n = reports_table_params(a, q, 1, conn, from, to, lim, off, v);
		v[4] = reports_interval_unit(q->interval);
		return db_query(db, SQL_CUR_SERIES, 5, v, NULL);
	case RK_SEGMENTS:
		n = reports_table_params(a, q, 0, conn, from, to, lim, off, v);
		return db_query(db, SQL_CUR_SEGMENT_DAYS, 3, v, NULL);
	case RK_CAMPAIGNS:
		sql = SQL_CUR_CAMPAIGNS;
		n = reports_table_params(a, q, 1, conn, from, to, lim, off, v);
		break;
	case RK_FLOWS:
		sql = SQL_CUR_FLOWS;
		n = reports_table_params(a, q, 0, conn, from, to, lim, off, v);
		break;
	case RK_FORMS:
		sql = SQL_CUR_FORMS;
		n = reports_table_params(a, q, 0, conn, from, to, lim, off, v);
		break;
	default:
		return KC_ERR_INTERNAL;
	}
	return db_query(db, sql, n, v, NULL);
}

int
reports_csv_account(struct db *db, const struct reports_account *a,
    const struct reports_query *q, struct buf *out, reports_emit emit,
    void *arg)
{
	const struct csv_table	*t = &csv_tables[q->kind];
	struct series_walk	 w;
	PGresult		*res = NULL;
	int			 r, n, rc;

	if (!reports_kind_csv(q->kind) || q->limit >= 0)
		return KC_ERR_INTERNAL;
	w.iv = q->interval;
	w.next = reports_period_start(q->interval, a->range.from);
	w.to = a->range.to;
	if ((rc = declare(db, a, q)) != KC_OK)
		return rc;
	do {
		if ((rc = db_query(db, SQL_FETCH, 0, NULL, &res)) != KC_OK)
			return rc;
		n = PQntuples(res);
		for (r = 0; r < n && rc == KC_OK; r++)
			rc = q->kind == RK_SERIES ?
			    series_row(out, a, &w, res, r) :
			    csv_result_row(out, a, t, res, r);
		PQclear(res);
		/* The last page also writes the periods after the data. */
		if (rc == KC_OK && n < RQ_FETCH_ROWS && q->kind == RK_SERIES)
			rc = series_gap(out, a, &w, w.to + 1);
		if (rc == KC_OK && out->len > 0)
			rc = emit(arg, buf_cstr(out), out->len);
		buf_reset(out);
	} while (rc == KC_OK && n == RQ_FETCH_ROWS);
	if (rc != KC_OK)
		return rc;
	return db_query(db, SQL_CLOSE, 0, NULL, NULL);
}
