/*
 * The reports read API (issue 18, docs/REPORTS.md): GET
 * /api/store/{id}/klaviyo-reports/{kind}.  Figures are checked against
 * sums the test computes itself in SQL (written another way: days by
 * casting to the account's local date) on generated data, and against
 * the sandbox's own totals after a real sync; time zone day boundaries,
 * accounts in two currencies, the previous period, every interval,
 * sorting and paging, every error, and the CSV exports (headers,
 * quoting, formula injection, more rows than one cursor fetch).
 */
#include "itest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
setup(void)
{
	it_klaviyo_cold();
}

/* A connection with its account document; its id, public id in pub. */
static char *
conn(const char *store, const char *acct, const char *name, const char *tz,
    const char *cur, char *pub, size_t len)
{
	const char	*p[5] = { store, acct, name, tz, cur };
	PGresult	*res;
	char		*id;

	res = it_sql("INSERT INTO klaviyo_connections (store_id, is_primary,"
	    " klaviyo_integration) SELECT s.id, NOT EXISTS (SELECT 1"
	    " FROM klaviyo_connections k WHERE k.store_id = s.id"
	    " AND k.is_primary), jsonb_build_object('status', 'connected',"
	    " 'public_id', $2::text, 'account', jsonb_build_object('id',"
	    " $2::text, 'name', $3::text, 'timezone', $4::text, 'currency',"
	    " $5::text)) FROM stores s WHERE s.public_id = $1"
	    " RETURNING id, public_id", 5, p);
	ck_assert_int_eq(PQntuples(res), 1);
	id = strdup(PQgetvalue(res, 0, 0));
	snprintf(pub, len, "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	ck_assert_ptr_nonnull(id);
	return id;
}

/*
 * Removes the store's connections with their synced rows (cascade): the
 * suites after this one (a pg_dump of the whole database) need not read
 * them.
 */
static void
drop_data(const char *store)
{
	const char *p[1] = { store };

	PQclear(it_sql("DELETE FROM klaviyo_connections WHERE store_id ="
	    " (SELECT id FROM stores WHERE public_id = $1)", 1, p));
}

static void
sql1(const char *sql, const char *a)
{
	const char *p[1] = { a };

	PQclear(it_sql(sql, 1, p));
}

static void
sql2(const char *sql, const char *a, const char *b)
{
	const char *p[2] = { a, b };

	PQclear(it_sql(sql, 2, p));
}

static void
report(const char *store, const char *tok, const char *kind,
    const char *query, struct it_resp *r)
{
	char path[1024];

	snprintf(path, sizeof(path), "/api/store/%s/klaviyo-reports/%s%s%s",
	    store, kind, query && *query ? "?" : "", query ? query : "");
	it_get(path, tok, r);
}

/* The JSON report; fails unless 200. */
static void
report_ok(const char *store, const char *tok, const char *kind,
    const char *query, struct it_resp *r)
{
	report(store, tok, kind, query, r);
	ck_assert_msg(r->status == 200 && r->json != NULL, "%s?%s: %ld %s",
	    kind, query ? query : "", r->status, r->body);
	ck_assert(it_jbool(r->json, "success"));
}

static struct json_object *
account(const struct it_resp *r, size_t i)
{
	struct json_object *a = it_jget(r->json, "accounts");

	ck_assert_msg(json_object_array_length(a) > i, "no account %zu: %s",
	    i, r->body);
	return json_object_array_get_idx(a, i);
}

static long long
jint(struct json_object *o, const char *k)
{
	struct json_object *v = it_jget(o, k);

	ck_assert_msg(json_object_is_type(v, json_type_int), "%s not an int",
	    k);
	return json_object_get_int64(v);
}

/* Cents of a money member, compared exactly. */
static long long
jcents(struct json_object *o, const char *k)
{
	struct json_object *v = it_jget(o, k);

	ck_assert_msg(json_object_is_type(v, json_type_double) ||
	    json_object_is_type(v, json_type_int), "%s not a number", k);
	return llround(json_object_get_double(v) * 100);
}

static long long
cents(const char *s)
{
	ck_assert_ptr_nonnull(s);
	return llround(strtod(s, NULL) * 100);
}

/* ---- the generated account ---------------------------------------- */

/*
 * A year and a half of data for connection id (tz New York): 4,000
 * orders every 2 h 17 min from 2025-06-01, 1,200 sent campaigns every
 * 9 h 13 min (a third each email, sms, push) with statistics, 20
 * drafts, 12 flows and 5 segments and 4 forms with a day each from
 * 2025-06-01 to 2026-06-30.  Values are deterministic, uneven.
 */
static void
generate(const char *id)
{
	sql1("INSERT INTO orders (connection_id, event_id, order_id, value,"
	    " currency, occurred_at) SELECT $1, 'e' || i, 'o' || i,"
	    " 5 + ((i * 7919) % 20000) / 100.0, 'USD',"
	    " timestamptz '2025-06-01 00:00Z' + i * interval '137 minutes'"
	    " FROM generate_series(1, 4000) i", id);
	sql1("INSERT INTO campaigns (connection_id, id, channel, name, status,"
	    " send_time) SELECT $1, 'c' || lpad(i::text, 5, '0'),"
	    " (ARRAY['email', 'sms', 'mobile_push'])[1 + i % 3],"
	    " 'Campaign ' || ((i * 37) % 1201), 'Sent',"
	    " timestamptz '2025-06-01 13:00Z' + i * interval '553 minutes'"
	    " FROM generate_series(1, 1200) i", id);
	sql1("INSERT INTO campaigns (connection_id, id, channel, name, status)"
	    " SELECT $1, 'd' || i, 'email', 'Draft ' || i, 'Draft'"
	    " FROM generate_series(1, 20) i", id);
	/* Every tenth campaign has no statistics yet: its figures are 0. */
	sql1("INSERT INTO campaign_stats (connection_id, campaign_id, channel,"
	    " statistics, conversion_metric_id) SELECT $1, c.id, c.channel,"
	    " jsonb_build_object('recipients', 1000 + n % 500, 'delivered',"
	    " CASE WHEN n % 50 = 0 THEN 0 ELSE 990 + n % 500 END,"
	    " 'opens_unique', CASE WHEN n % 50 = 0 THEN 0 ELSE 300 + n % 211"
	    " END, 'clicks_unique', CASE WHEN n % 50 = 0 THEN 0"
	    " ELSE 20 + n % 53 END, 'conversions', n % 7,"
	    " 'conversion_value', (n % 9001) / 100.0, 'open_rate', 0.5),"
	    " 'm' FROM (SELECT id, channel, substr(id, 2)::int * 7919 AS n"
	    " FROM campaigns WHERE connection_id = $1 AND id LIKE 'c%'"
	    " AND substr(id, 2)::int % 10 <> 0) c", id);
	sql1("INSERT INTO flows (connection_id, id, name, status)"
	    " SELECT $1, 'F' || i, 'Flow ' || (13 - i),"
	    " CASE WHEN i % 4 = 0 THEN 'draft' ELSE 'live' END"
	    " FROM generate_series(1, 12) i", id);
	sql1("INSERT INTO flow_series (connection_id, flow_id, day, timezone,"
	    " statistics) SELECT $1, 'F' || f, d::date, 'America/New_York',"
	    " jsonb_build_object('recipients', 50 + (f * 31 + n) % 90,"
	    " 'delivered', 48 + (f * 31 + n) % 90,"
	    " 'opens_unique', 10 + (f * 17 + n) % 30,"
	    " 'clicks_unique', (f + n) % 9, 'conversions', (f * n) % 4,"
	    " 'conversion_value', ((f * 7 + n * 13) % 5000) / 100.0)"
	    " FROM generate_series(1, 11) f,"
	    " generate_series(date '2025-06-01', date '2026-06-30',"
	    " interval '1 day') d,"
	    " LATERAL (SELECT d::date - date '2025-06-01' AS n) x", id);
	sql1("INSERT INTO segments (connection_id, id, name) SELECT $1,"
	    " 'S' || i, 'Segment ' || i FROM generate_series(1, 5) i", id);
	sql1("INSERT INTO segment_series (connection_id, segment_id, day,"
	    " timezone, statistics) SELECT $1, 'S' || g, d::date,"
	    " 'America/New_York', jsonb_build_object('total_members',"
	    " 1000 * g + (d::date - date '2025-06-01') * (g - 3)"
	    " + ((d::date - date '2025-06-01') * 7) % 5)"
	    " FROM generate_series(1, 5) g, generate_series(date '2025-06-01',"
	    " date '2026-06-30', interval '1 day') d", id);
	sql1("INSERT INTO forms (connection_id, id, name, status) SELECT $1,"
	    " 'M' || i, 'Form ' || i, 'live' FROM generate_series(1, 4) i", id);
	sql1("INSERT INTO form_series (connection_id, form_id, day, timezone,"
	    " statistics) SELECT $1, 'M' || m, d::date, 'America/New_York',"
	    " jsonb_build_object('viewed_form', 100 + (m * n) % 50,"
	    " 'viewed_form_uniques', 80 + (m * n) % 40,"
	    " 'submits', (m + n) % (m * 3))"
	    " FROM generate_series(1, 4) m, generate_series(date '2025-06-01',"
	    " date '2026-06-30', interval '1 day') d,"
	    " LATERAL (SELECT d::date - date '2025-06-01' AS n) x", id);
}

/* A store with the generated account; an owner's token. */
static char *
generated_store(char *store, size_t slen, char *tok, size_t tlen,
    char *pub, size_t plen)
{
	char *id;

	it_store("Reports", store, slen);
	it_member("owner", store, tok, tlen);
	id = conn(store, "gEnAcc", "Generated Goods", "America/New_York",
	    "USD", pub, plen);
	generate(id);
	return id;
}

/*
 * The test's own sums for a range: days by casting to the local date
 * (the API compares instants), each table on its own.
 */
#define OWN_SUMMARY							\
    "SELECT (SELECT count(*) FROM orders WHERE connection_id = $1"	\
    "  AND (occurred_at AT TIME ZONE $2)::date BETWEEN $3 AND $4),"	\
    " (SELECT coalesce(sum(value), 0) FROM orders WHERE"		\
    "  connection_id = $1"						\
    "  AND (occurred_at AT TIME ZONE $2)::date BETWEEN $3 AND $4),"	\
    " (SELECT coalesce(sum((s.statistics->>'conversion_value')::numeric),"\
    "  0) FROM campaign_stats s JOIN campaigns c ON c.id = s.campaign_id"\
    "  AND c.connection_id = s.connection_id WHERE c.connection_id = $1"\
    "  AND (c.send_time AT TIME ZONE $2)::date BETWEEN $3 AND $4),"	\
    " (SELECT coalesce(sum((s.statistics->>'conversions')::numeric), 0)"\
    "  FROM campaign_stats s JOIN campaigns c ON c.id = s.campaign_id"	\
    "  AND c.connection_id = s.connection_id WHERE c.connection_id = $1"\
    "  AND (c.send_time AT TIME ZONE $2)::date BETWEEN $3 AND $4),"	\
    " (SELECT coalesce(sum((statistics->>'conversion_value')::numeric),"\
    "  0) FROM flow_series WHERE connection_id = $1"			\
    "  AND day >= $3::date AND day <= $4::date),"			\
    " (SELECT coalesce(sum((statistics->>'conversions')::numeric), 0)"	\
    "  FROM flow_series WHERE connection_id = $1"			\
    "  AND day >= $3::date AND day <= $4::date),"			\
    " (SELECT coalesce(sum((s.statistics->>'recipients')::numeric), 0)"	\
    "  FROM campaign_stats s JOIN campaigns c ON c.id = s.campaign_id"	\
    "  AND c.connection_id = s.connection_id WHERE c.connection_id = $1"\
    "  AND (c.send_time AT TIME ZONE $2)::date BETWEEN $3 AND $4)"	\
    " + (SELECT coalesce(sum((statistics->>'recipients')::numeric), 0)"	\
    "  FROM flow_series WHERE connection_id = $1"			\
    "  AND day >= $3::date AND day <= $4::date)"

static void
check_summary(const char *id, const char *tz, const char *from,
    const char *to, struct json_object *cur)
{
	const char	*p[4] = { id, tz, from, to };
	PGresult	*res = it_sql(OWN_SUMMARY, 4, p);

	ck_assert_int_eq(jint(cur, "orders"), strtoll(PQgetvalue(res, 0, 0),
	    NULL, 10));
	ck_assert_int_eq(jcents(cur, "revenue"), cents(PQgetvalue(res, 0,
	    1)));
	ck_assert_int_eq(jcents(cur, "campaign_revenue"),
	    cents(PQgetvalue(res, 0, 2)));
	ck_assert_int_eq(jint(cur, "campaign_conversions"),
	    strtoll(PQgetvalue(res, 0, 3), NULL, 10));
	ck_assert_int_eq(jcents(cur, "flow_revenue"), cents(PQgetvalue(res,
	    0, 4)));
	ck_assert_int_eq(jint(cur, "flow_conversions"),
	    strtoll(PQgetvalue(res, 0, 5), NULL, 10));
	ck_assert_int_eq(jint(cur, "recipients"), strtoll(PQgetvalue(res, 0,
	    6), NULL, 10));
	PQclear(res);
}

START_TEST(summary_matches_own_sums)
{
	static const char *const ranges[][2] = {
		{ "2025-07-01", "2025-07-31" },
		{ "2025-06-01", "2026-05-31" },
		{ "2025-11-02", "2025-11-02" },	/* the day clocks go back */
		{ "2026-03-08", "2026-03-14" },	/* and forward */
		{ "2024-01-01", "2024-12-31" },	/* before any data */
	};
	char			 store[80], tok[64], pub[80], q[200];
	char			*id;
	struct it_resp		 r, r2;
	struct json_object	*a, *cur;
	size_t			 i;
	double			 rate;

	id = generated_store(store, sizeof(store), tok, sizeof(tok), pub,
	    sizeof(pub));
	for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		snprintf(q, sizeof(q), "from=%s&to=%s", ranges[i][0],
		    ranges[i][1]);
		report_ok(store, tok, "summary", q, &r);
		ck_assert_str_eq(it_jstr(r.json, "from"), ranges[i][0]);
		ck_assert_str_eq(it_jstr(r.json, "to"), ranges[i][1]);
		a = account(&r, 0);
		ck_assert_str_eq(it_jstr(a, "id"), pub);
		ck_assert_str_eq(it_jstr(a, "currency"), "USD");
		ck_assert_str_eq(it_jstr(a, "timezone"), "America/New_York");
		ck_assert_str_eq(it_jstr(a, "name"), "Generated Goods");
		ck_assert(it_jbool(a, "primary"));
		cur = it_jget(a, "current");
		check_summary(id, "America/New_York", ranges[i][0],
		    ranges[i][1], cur);
		check_summary(id, "America/New_York",
		    it_jstr(r.json, "previous_from"),
		    it_jstr(r.json, "previous_to"), it_jget(a, "previous"));
		/* Rates: unique opens over delivered, null without any. */
		if (jint(cur, "delivered") == 0)
			ck_assert(json_object_is_type(it_jget(cur,
			    "open_rate"), json_type_null));
		else {
			rate = (double)jint(cur, "opens") /
			    (double)jint(cur, "delivered");
			ck_assert_double_eq_tol(json_object_get_double(
			    it_jget(cur, "open_rate")), rate, 0.00006);
		}
		/* The previous period is the current of the days before. */
		snprintf(q, sizeof(q), "from=%s&to=%s",
		    it_jstr(r.json, "previous_from"),
		    it_jstr(r.json, "previous_to"));
		report_ok(store, tok, "summary", q, &r2);
		ck_assert_str_eq(json_object_to_json_string(it_jget(account(
		    &r2, 0), "current")), json_object_to_json_string(it_jget(
		    a, "previous")));
		it_resp_free(&r2);
		it_resp_free(&r);
	}
	/* 2025-07: previous is 2025-05-31 .. 2025-06-30, 31 days too. */
	report_ok(store, tok, "summary", "from=2025-07-01&to=2025-07-31", &r);
	ck_assert_str_eq(it_jstr(r.json, "previous_from"), "2025-05-31");
	ck_assert_str_eq(it_jstr(r.json, "previous_to"), "2025-06-30");
	ck_assert_int_gt(jint(it_jget(account(&r, 0), "current"), "orders"),
	    300);
	it_resp_free(&r);
	free(id);
	drop_data(store);
}
END_TEST

/* How many periods of the unit from..to (the test's own count). */
static long long
periods(const char *unit, const char *from, const char *to)
{
	const char *p[3] = { unit, from, to };

	return it_sql_count("SELECT count(*) FROM generate_series("
	    "date_trunc($1, $2::date), $3::date, ('1 ' || $1)::interval)",
	    3, p);
}

START_TEST(series_every_interval)
{
	static const char *const units[] = { "day", "week", "month" };
	char			 store[80], tok[64], pub[80], q[200];
	char			*id;
	struct it_resp		 r, s;
	struct json_object	*pts, *pt, *cur;
	long long		 n, o, rev, camp, flow;
	size_t			 u, i, len;
	const char		*from = "2026-05-13", *to = "2026-09-20";

	id = generated_store(store, sizeof(store), tok, sizeof(tok), pub,
	    sizeof(pub));
	snprintf(q, sizeof(q), "from=%s&to=%s", from, to);
	report_ok(store, tok, "summary", q, &s);
	cur = it_jget(account(&s, 0), "current");
	for (u = 0; u < 3; u++) {
		snprintf(q, sizeof(q), "from=%s&to=%s%s%s", from, to,
		    u ? "&interval=" : "", u ? units[u] : "");
		report_ok(store, tok, "series", q, &r);
		pts = it_jget(account(&r, 0), "points");
		len = json_object_array_length(pts);
		n = periods(units[u], from, to);
		ck_assert_int_eq((long long)len, n);
		o = rev = camp = flow = 0;
		for (i = 0; i < len; i++) {
			pt = json_object_array_get_idx(pts, i);
			o += jint(pt, "orders");
			rev += jcents(pt, "revenue");
			camp += jcents(pt, "campaign_revenue");
			flow += jcents(pt, "flow_revenue");
			if (u == 1) {
				const char *p[1] = { it_jstr(pt, "period") };

				ck_assert_int_eq(it_sql_count("SELECT"
				    " extract(isodow FROM $1::date)", 1, p), 1);
			}
			if (u == 2)
				ck_assert_str_eq(it_jstr(pt, "period") + 8,
				    "01");
		}
		/* Every period is there: after June 2026 only zeros. */
		pt = json_object_array_get_idx(pts, len - 1);
		ck_assert_int_eq(jint(pt, "orders"), 0);
		ck_assert_int_eq(jcents(pt, "flow_revenue"), 0);
		ck_assert_int_eq(o, jint(cur, "orders"));
		ck_assert_int_eq(rev, jcents(cur, "revenue"));
		ck_assert_int_eq(camp, jcents(cur, "campaign_revenue"));
		ck_assert_int_eq(flow, jcents(cur, "flow_revenue"));
		it_resp_free(&r);
	}
	/* The first week starts on the Monday before from. */
	report_ok(store, tok, "series", "from=2026-05-13&to=2026-05-31"
	    "&interval=week", &r);
	pts = it_jget(account(&r, 0), "points");
	ck_assert_str_eq(it_jstr(json_object_array_get_idx(pts, 0), "period"),
	    "2026-05-11");
	ck_assert_int_eq(json_object_array_length(pts), 3);
	it_resp_free(&r);
	/* One day's orders, checked against the test's own per-day count. */
	report_ok(store, tok, "series", "from=2025-08-01&to=2025-08-03", &r);
	pts = it_jget(account(&r, 0), "points");
	for (i = 0; i < 3; i++) {
		const char *p[2] = { id, NULL };

		pt = json_object_array_get_idx(pts, i);
		p[1] = it_jstr(pt, "period");
		ck_assert_int_eq(jint(pt, "orders"), it_sql_count(
		    "SELECT count(*) FROM orders WHERE connection_id = $1 AND"
		    " (occurred_at AT TIME ZONE 'America/New_York')::date ="
		    " $2::date", 2, p));
	}
	it_resp_free(&r);
	it_resp_free(&s);
	free(id);
	drop_data(store);
}
END_TEST

/* The ids of every page of a table, in order, into ids (a,b,...). */
static void
all_pages(const char *store, const char *tok, const char *kind,
    const char *q, long limit, char *ids, size_t len, long long *total)
{
	char			 qq[300];
	struct it_resp		 r;
	struct json_object	*rows, *a;
	long			 off;
	size_t			 i, n, o = 0;

	ids[0] = '\0';
	for (off = 0;; off += limit) {
		snprintf(qq, sizeof(qq), "%s&limit=%ld&offset=%ld", q, limit,
		    off);
		report_ok(store, tok, kind, qq, &r);
		a = account(&r, 0);
		*total = jint(a, "total");
		rows = it_jget(a, "rows");
		n = json_object_array_length(rows);
		ck_assert_uint_le(n, (size_t)limit);
		for (i = 0; i < n; i++)
			o += (size_t)snprintf(ids + o, len - o, "%s%s",
			    o ? "," : "", it_jstr(json_object_array_get_idx(
			    rows, i), "id"));
		ck_assert_uint_lt(o, len);
		it_resp_free(&r);
		if (n < (size_t)limit)
			break;
	}
}

/* The test's own order of campaigns sent in July 2025 for a key. */
#define OWN_CAMPAIGNS(key, dir)						\
    "SELECT string_agg(id, ',' ORDER BY " key " " dir " NULLS LAST, id)"\
    " FROM (SELECT c.id, c.name, c.send_time,"				\
    " coalesce((s.statistics->>'conversion_value')::numeric, 0) AS rev,"\
    " coalesce((s.statistics->>'conversions')::numeric, 0) AS conv,"	\
    " coalesce((s.statistics->>'recipients')::numeric, 0) AS rcpt,"	\
    " round((s.statistics->>'opens_unique')::numeric"			\
    "  / nullif((s.statistics->>'delivered')::numeric, 0), 4) AS orate,"\
    " round((s.statistics->>'clicks_unique')::numeric"			\
    "  / nullif((s.statistics->>'delivered')::numeric, 0), 4) AS crate"\
    " FROM campaigns c LEFT JOIN campaign_stats s"			\
    " ON s.connection_id = c.connection_id AND s.campaign_id = c.id"	\
    " WHERE c.connection_id = $1 AND (c.send_time AT TIME ZONE"		\
    " 'America/New_York')::date BETWEEN '2025-07-01' AND '2025-07-31') x"

START_TEST(tables_sort_and_page)
{
	static const struct { const char *key, *col; } sorts[] = {
		{ "revenue", "rev" }, { "conversions", "conv" },
		{ "recipients", "rcpt" }, { "open_rate", "orate" },
		{ "click_rate", "crate" }, { "name", "name" },
		{ "send_time", "send_time" },
	};
	char			 store[80], tok[64], pub[80], q[200], sql[2000];
	char			 ids[16384];
	char			*id, *want;
	const char		*p[1];
	struct it_resp		 r;
	struct json_object	*rows, *row, *a;
	long long		 total;
	size_t			 i, d;

	id = generated_store(store, sizeof(store), tok, sizeof(tok), pub,
	    sizeof(pub));
	p[0] = id;
	for (i = 0; i < sizeof(sorts) / sizeof(sorts[0]); i++)
		for (d = 0; d < 2; d++) {
			snprintf(q, sizeof(q), "from=2025-07-01&to=2025-07-31"
			    "&sort=%s&order=%s", sorts[i].key,
			    d ? "asc" : "desc");
			all_pages(store, tok, "campaigns", q, 17, ids,
			    sizeof(ids), &total);
			if (d == 0)
				snprintf(sql, sizeof(sql), OWN_CAMPAIGNS("%s",
				    "DESC"), sorts[i].col);
			else
				snprintf(sql, sizeof(sql), OWN_CAMPAIGNS("%s",
				    "ASC"), sorts[i].col);
			want = it_sql_value(sql, 1, p);
			ck_assert_ptr_nonnull(want);
			ck_assert_msg(strcmp(ids, want) == 0, "sort %s %s:\n"
			    "got  %s\nwant %s", sorts[i].key, d ? "asc" :
			    "desc", ids, want);
			ck_assert_int_eq(total, it_sql_count("SELECT count(*)"
			    " FROM campaigns WHERE connection_id = $1 AND"
			    " (send_time AT TIME ZONE 'America/New_York')::date"
			    " BETWEEN '2025-07-01' AND '2025-07-31'", 1, p));
			free(want);
		}
	/* Default: revenue, highest first, 10 rows; a row's fields. */
	report_ok(store, tok, "campaigns", "from=2025-07-01&to=2025-07-31",
	    &r);
	a = account(&r, 0);
	rows = it_jget(a, "rows");
	ck_assert_int_eq(json_object_array_length(rows), 10);
	row = json_object_array_get_idx(rows, 0);
	ck_assert_int_ge(jcents(row, "revenue"), jcents(
	    json_object_array_get_idx(rows, 9), "revenue"));
	ck_assert_ptr_nonnull(it_jstr(row, "channel"));
	ck_assert_str_eq(it_jstr(row, "status"), "Sent");
	ck_assert_int_eq((int)strlen(it_jstr(row, "send_time")), 20);
	it_resp_free(&r);
	/* An offset past the end: no rows, the total still right. */
	report_ok(store, tok, "campaigns", "from=2025-07-01&to=2025-07-31"
	    "&offset=100000", &r);
	a = account(&r, 0);
	ck_assert_int_eq(json_object_array_length(it_jget(a, "rows")), 0);
	ck_assert_int_eq(jint(a, "total"), total);
	it_resp_free(&r);
	/* Flows: all 12, by name ascending; the draft without days has 0. */
	all_pages(store, tok, "flows", "from=2025-07-01&to=2025-07-31"
	    "&sort=name&order=asc", 5, ids, sizeof(ids), &total);
	ck_assert_int_eq(total, 12);
	want = it_sql_value("SELECT string_agg(id, ',' ORDER BY name, id)"
	    " FROM flows WHERE connection_id = $1", 1, p);
	ck_assert_str_eq(ids, want);
	free(want);
	report_ok(store, tok, "flows", "from=2025-07-01&to=2025-07-31"
	    "&sort=revenue&order=asc&limit=1", &r);
	row = json_object_array_get_idx(it_jget(account(&r, 0), "rows"), 0);
	ck_assert_str_eq(it_jstr(row, "id"), "F12");
	ck_assert_int_eq(jint(row, "recipients"), 0);
	ck_assert(json_object_is_type(it_jget(row, "open_rate"),
	    json_type_null));
	it_resp_free(&r);
	report_ok(store, tok, "flows", "from=2025-07-01&to=2025-07-31"
	    "&sort=revenue&limit=200", &r);
	rows = it_jget(account(&r, 0), "rows");
	for (i = 0; i < json_object_array_length(rows); i++) {
		const char *pp[2] = { id, NULL };
		char *v;

		row = json_object_array_get_idx(rows, i);
		pp[1] = it_jstr(row, "id");
		v = it_sql_value("SELECT coalesce(sum((statistics->>"
		    "'conversion_value')::numeric), 0) FROM flow_series"
		    " WHERE connection_id = $1 AND flow_id = $2 AND day"
		    " BETWEEN '2025-07-01' AND '2025-07-31'", 2, pp);
		ck_assert_int_eq(jcents(row, "revenue"), cents(v));
		free(v);
	}
	it_resp_free(&r);
	free(id);
	drop_data(store);
}
END_TEST

START_TEST(segments_and_forms)
{
	char			 store[80], tok[64], pub[80];
	char			*id, *v;
	const char		*p[2];
	struct it_resp		 r;
	struct json_object	*rows, *row, *pts, *last;
	size_t			 i, n;

	id = generated_store(store, sizeof(store), tok, sizeof(tok), pub,
	    sizeof(pub));
	p[0] = id;
	report_ok(store, tok, "segments", "from=2025-06-01&to=2026-05-31"
	    "&sort=change&order=desc&limit=200", &r);
	ck_assert_int_eq(jint(account(&r, 0), "total"), 5);
	rows = it_jget(account(&r, 0), "rows");
	ck_assert_int_eq(json_object_array_length(rows), 5);
	for (i = 0; i < 5; i++) {
		row = json_object_array_get_idx(rows, i);
		p[1] = it_jstr(row, "id");
		v = it_sql_value("SELECT (statistics->>'total_members')::numeric"
		    " FROM segment_series WHERE connection_id = $1 AND"
		    " segment_id = $2 AND day = '2025-06-01'", 2, p);
		ck_assert_int_eq(jint(row, "start_members"), atoll(v));
		free(v);
		v = it_sql_value("SELECT (statistics->>'total_members')::numeric"
		    " FROM segment_series WHERE connection_id = $1 AND"
		    " segment_id = $2 AND day = '2026-05-31'", 2, p);
		ck_assert_int_eq(jint(row, "end_members"), atoll(v));
		free(v);
		ck_assert_int_eq(jint(row, "change"), jint(row, "end_members") -
		    jint(row, "start_members"));
		/* 365 days thinned to at most 100, the last day kept. */
		pts = it_jget(row, "points");
		n = json_object_array_length(pts);
		ck_assert_uint_le(n, 100);
		ck_assert_uint_ge(n, 50);
		ck_assert_str_eq(it_jstr(json_object_array_get_idx(pts, 0),
		    "day"), "2025-06-01");
		last = json_object_array_get_idx(pts, n - 1);
		ck_assert_str_eq(it_jstr(last, "day"), "2026-05-31");
		ck_assert_int_eq(jint(last, "members"),
		    jint(row, "end_members"));
	}
	/* Sorted by change, largest first: S5 grows, S1 shrinks. */
	ck_assert_str_eq(it_jstr(json_object_array_get_idx(rows, 0), "id"),
	    "S5");
	ck_assert_str_eq(it_jstr(json_object_array_get_idx(rows, 4), "id"),
	    "S1");
	it_resp_free(&r);
	/* Short range: every day is a point. */
	report_ok(store, tok, "segments", "from=2025-06-01&to=2025-06-20",
	    &r);
	pts = it_jget(json_object_array_get_idx(it_jget(account(&r, 0),
	    "rows"), 0), "points");
	ck_assert_int_eq(json_object_array_length(pts), 20);
	it_resp_free(&r);
	/* A range without data: null edges. */
	report_ok(store, tok, "segments", "from=2024-01-01&to=2024-01-31",
	    &r);
	row = json_object_array_get_idx(it_jget(account(&r, 0), "rows"), 0);
	ck_assert(json_object_is_type(it_jget(row, "start_members"),
	    json_type_null));
	ck_assert(json_object_is_type(it_jget(row, "change"),
	    json_type_null));
	ck_assert_int_eq(json_object_array_length(it_jget(row, "points")), 0);
	it_resp_free(&r);
	/* Forms: sums and submit rate against the test's own. */
	report_ok(store, tok, "forms", "from=2025-09-01&to=2025-09-30"
	    "&sort=name&order=asc", &r);
	rows = it_jget(account(&r, 0), "rows");
	ck_assert_int_eq(json_object_array_length(rows), 4);
	for (i = 0; i < 4; i++) {
		PGresult *res;

		row = json_object_array_get_idx(rows, i);
		p[1] = it_jstr(row, "id");
		res = it_sql("SELECT sum((statistics->>'viewed_form')::int),"
		    " sum((statistics->>'viewed_form_uniques')::int),"
		    " sum((statistics->>'submits')::int) FROM form_series"
		    " WHERE connection_id = $1 AND form_id = $2"
		    " AND day BETWEEN '2025-09-01' AND '2025-09-30'", 2, p);
		ck_assert_int_eq(jint(row, "views"),
		    atoll(PQgetvalue(res, 0, 0)));
		ck_assert_int_eq(jint(row, "unique_views"),
		    atoll(PQgetvalue(res, 0, 1)));
		ck_assert_int_eq(jint(row, "submits"),
		    atoll(PQgetvalue(res, 0, 2)));
		ck_assert_double_eq_tol(json_object_get_double(it_jget(row,
		    "submit_rate")), atof(PQgetvalue(res, 0, 2)) /
		    atof(PQgetvalue(res, 0, 1)), 0.00006);
		PQclear(res);
	}
	ck_assert_str_eq(it_jstr(json_object_array_get_idx(rows, 0), "name"),
	    "Form 1");
	it_resp_free(&r);
	free(id);
	drop_data(store);
}
END_TEST

/* An order of value at local time, in the connection's zone. */
static void
order_at(const char *id, const char *ev, const char *local, const char *tz,
    const char *value)
{
	const char *p[5] = { id, ev, local, tz, value };

	PQclear(it_sql("INSERT INTO orders (connection_id, event_id, value,"
	    " currency, occurred_at) VALUES ($1, $2, $5::numeric, 'X',"
	    " $3::timestamp AT TIME ZONE $4)", 5, p));
}

START_TEST(timezone_day_boundaries)
{
	char			 store[80], tok[64], ny[80], tokyo[80], q[300];
	char			*a, *b;
	struct it_resp		 r;
	struct json_object	*pts;

	it_store("Zones", store, sizeof(store));
	it_member("viewer", store, tok, sizeof(tok));
	a = conn(store, "zNyAcc", "New York Shop", "America/New_York", "USD",
	    ny, sizeof(ny));
	b = conn(store, "zTkAcc", "Tokyo Shop", "Asia/Tokyo", "JPY", tokyo,
	    sizeof(tokyo));
	/* 23:30 local is still that day; 00:30 the next. */
	order_at(a, "n1", "2026-03-10 23:30", "America/New_York", "10.00");
	order_at(a, "n2", "2026-03-11 00:30", "America/New_York", "20.00");
	order_at(a, "n3", "2026-03-10 00:00", "America/New_York", "40.00");
	order_at(b, "t1", "2026-03-10 23:30", "Asia/Tokyo", "1000");
	order_at(b, "t2", "2026-03-11 00:30", "Asia/Tokyo", "2000");
	report_ok(store, tok, "summary", "from=2026-03-10&to=2026-03-10", &r);
	ck_assert_int_eq(jint(it_jget(account(&r, 0), "current"), "orders"),
	    2);
	ck_assert_int_eq(jcents(it_jget(account(&r, 0), "current"),
	    "revenue"), 5000);
	ck_assert_str_eq(it_jstr(account(&r, 1), "id"), tokyo);
	ck_assert_int_eq(jint(it_jget(account(&r, 1), "current"), "orders"),
	    1);
	ck_assert_int_eq(jcents(it_jget(account(&r, 1), "current"),
	    "revenue"), 100000);
	/* The previous day is the previous period: nothing there. */
	ck_assert_int_eq(jint(it_jget(account(&r, 0), "previous"), "orders"),
	    0);
	it_resp_free(&r);
	report_ok(store, tok, "series", "from=2026-03-09&to=2026-03-11", &r);
	pts = it_jget(account(&r, 0), "points");
	ck_assert_int_eq(json_object_array_length(pts), 3);
	ck_assert_int_eq(jint(json_object_array_get_idx(pts, 0), "orders"), 0);
	ck_assert_int_eq(jint(json_object_array_get_idx(pts, 1), "orders"), 2);
	ck_assert_int_eq(jint(json_object_array_get_idx(pts, 2), "orders"), 1);
	pts = it_jget(account(&r, 1), "points");
	ck_assert_int_eq(jint(json_object_array_get_idx(pts, 1), "orders"), 1);
	ck_assert_int_eq(jint(json_object_array_get_idx(pts, 2), "orders"), 1);
	it_resp_free(&r);
	/* account= restricts to one; currencies stay per account. */
	snprintf(q, sizeof(q), "from=2026-03-01&to=2026-03-31&account=%s",
	    tokyo);
	report_ok(store, tok, "summary", q, &r);
	ck_assert_int_eq(json_object_array_length(it_jget(r.json,
	    "accounts")), 1);
	ck_assert_str_eq(it_jstr(account(&r, 0), "currency"), "JPY");
	ck_assert_int_eq(jcents(it_jget(account(&r, 0), "current"),
	    "revenue"), 300000);
	ck_assert(!it_jbool(account(&r, 0), "primary"));
	it_resp_free(&r);
	/* The default range: 30 days ending today in each zone. */
	report_ok(store, tok, "summary", NULL, &r);
	{
		const char *p[1] = { "America/New_York" };
		char *today = it_sql_value("SELECT to_char((now() AT TIME ZONE"
		    " $1)::date, 'YYYY-MM-DD')", 1, p);
		char *start = it_sql_value("SELECT to_char((now() AT TIME ZONE"
		    " $1)::date - 29, 'YYYY-MM-DD')", 1, p);

		ck_assert_str_eq(it_jstr(account(&r, 0), "to"), today);
		ck_assert_str_eq(it_jstr(account(&r, 0), "from"), start);
		ck_assert_str_eq(it_jstr(r.json, "to"), today);
		free(today);
		free(start);
		p[0] = "Asia/Tokyo";
		today = it_sql_value("SELECT to_char((now() AT TIME ZONE"
		    " $1)::date, 'YYYY-MM-DD')", 1, p);
		ck_assert_str_eq(it_jstr(account(&r, 1), "to"), today);
		free(today);
	}
	/* Freshness: null before any sync. */
	ck_assert(json_object_is_type(it_jget(it_jget(account(&r, 0),
	    "freshness"), "orders"), json_type_null));
	it_resp_free(&r);
	free(a);
	free(b);
	drop_data(store);
}
END_TEST

static void
expect_400(const char *store, const char *tok, const char *kind,
    const char *q, const char *names)
{
	struct it_resp r;

	report(store, tok, kind, q, &r);
	it_assert_error(&r, 400, "bad_request");
	ck_assert_msg(names == NULL || strstr(it_str(&r, "error"), names) !=
	    NULL, "%s?%s: '%s' not in: %s", kind, q, names,
	    it_str(&r, "error"));
	it_resp_free(&r);
}

START_TEST(errors)
{
	char		 store[80], other[80], tok[64], otok[64], vtok[64];
	char		 pub[80], opub[80], q[300];
	char		*a, *b;
	struct it_resp	 r;

	it_store("Errors", store, sizeof(store));
	it_member("owner", store, tok, sizeof(tok));
	it_member("viewer", store, vtok, sizeof(vtok));
	a = conn(store, "eRrAcc", "Err Shop", "Europe/Berlin", "EUR", pub,
	    sizeof(pub));
	it_store("Other", other, sizeof(other));
	it_member("owner", other, otok, sizeof(otok));
	b = conn(other, "oThAcc", "Other Shop", "UTC", "GBP", opub,
	    sizeof(opub));
	/* 401 without or with a bad session. */
	report(store, NULL, "summary", NULL, &r);
	it_assert_error(&r, 401, "unauthorized");
	it_resp_free(&r);
	report(store, "nottherighttoken", "summary", NULL, &r);
	it_assert_error(&r, 401, "unauthorized");
	it_resp_free(&r);
	/* 404: another's store, a store that does not exist. */
	report(store, otok, "summary", NULL, &r);
	it_assert_error(&r, 404, "not_found");
	it_resp_free(&r);
	report("stNoSuchStore", tok, "summary", NULL, &r);
	it_assert_error(&r, 404, "not_found");
	it_resp_free(&r);
	report(store, tok, "revenue", NULL, &r);
	it_assert_error(&r, 404, "unknown_report");
	it_resp_free(&r);
	/* An account of another store, or none, is unknown here. */
	snprintf(q, sizeof(q), "account=%s", opub);
	report(store, tok, "summary", q, &r);
	it_assert_error(&r, 404, "unknown_account");
	ck_assert_ptr_nonnull(strstr(it_str(&r, "error"), "'account'"));
	it_resp_free(&r);
	report(store, tok, "flows", "account=kcn_00000000000000000000", &r);
	it_assert_error(&r, 404, "unknown_account");
	it_resp_free(&r);
	/* A viewer reads; no role reads less (no 403 for reads). */
	report(store, vtok, "forms", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	it_resp_free(&r);
	/* Not GET. */
	{
		char path[200];

		snprintf(path, sizeof(path), "/api/store/%s/klaviyo-reports/"
		    "summary", store);
		it_post(path, tok, "{}", &r);
		ck_assert_int_eq(r.status, 405);
		it_resp_free(&r);
	}
	/* 400s, each naming its parameter. */
	expect_400(store, tok, "summary", "from=2026-01-01", "'from' and 'to'");
	expect_400(store, tok, "summary", "to=2026-01-01", "'from' and 'to'");
	expect_400(store, tok, "summary", "from=2026-1-1&to=2026-01-02",
	    "'from'");
	expect_400(store, tok, "summary", "from=2026-01-01&to=2026-02-30",
	    "'to'");
	expect_400(store, tok, "summary", "from=2026-01-05&to=2026-01-01",
	    "'to'");
	expect_400(store, tok, "summary", "from=2024-01-01&to=2026-01-01",
	    "731");
	expect_400(store, tok, "summary", "from=1999-12-31&to=2000-01-01",
	    "'from'");
	expect_400(store, tok, "summary",
	    "from=2026-01-01%27%20OR%20%271%27=%271&to=2026-01-02", "'from'");
	expect_400(store, tok, "summary", "from=%ff%fe&to=2026-01-02",
	    "'from'");
	expect_400(store, tok, "summary", "from=2026-01-01%00&to=2026-01-02",
	    "'from'");
	expect_400(store, tok, "summary", "from=&to=2026-01-02", "'from'");
	expect_400(store, tok, "summary", "from=2026-01-01&from=2026-01-01"
	    "&to=2026-01-02", "more than once");
	expect_400(store, tok, "summary", "sort=revenue", "'sort'");
	expect_400(store, tok, "summary", "format=csv", "'format'");
	expect_400(store, tok, "summary", "interval=week", "'interval'");
	expect_400(store, tok, "summary", "acount=x", "'acount'");
	expect_400(store, tok, "summary", "a'b=1", "A parameter name");
	expect_400(store, tok, "summary", "account=x%27;DROP%20TABLE%20orders",
	    "'account'");
	expect_400(store, tok, "summary", "account=%c3%28", "'account'");
	expect_400(store, tok, "series", "interval=year", "'interval'");
	expect_400(store, tok, "series", "interval=", "'interval'");
	expect_400(store, tok, "series", "limit=5", "'limit'");
	expect_400(store, tok, "campaigns", "sort=views", "'sort'");
	expect_400(store, tok, "flows", "sort=send_time", "'sort'");
	expect_400(store, tok, "segments", "sort=revenue", "'sort'");
	expect_400(store, tok, "forms", "sort=1;SELECT", "'sort'");
	expect_400(store, tok, "campaigns", "order=up", "'order'");
	expect_400(store, tok, "campaigns", "limit=0", "'limit'");
	expect_400(store, tok, "campaigns", "limit=201", "'limit'");
	expect_400(store, tok, "campaigns", "limit=ten", "'limit'");
	expect_400(store, tok, "campaigns", "limit=-1", "'limit'");
	expect_400(store, tok, "campaigns", "offset=-1", "'offset'");
	expect_400(store, tok, "campaigns", "offset=1000001", "'offset'");
	expect_400(store, tok, "campaigns", "offset=99999999999999999999",
	    "'offset'");
	expect_400(store, tok, "flows", "format=xml", "'format'");
	expect_400(store, tok, "forms", "interval=day", "'interval'");
	/* The cache-buster and empty pairs are fine. */
	report_ok(store, tok, "summary", "_=123&&", &r);
	it_resp_free(&r);
	/* Nothing reflected: the bad value is never in the answer. */
	report(store, tok, "summary", "from=%3Cimg%20src%3Dx%3E&to=2026-01-02",
	    &r);
	ck_assert_ptr_null(strstr(r.body, "<img"));
	it_resp_free(&r);
	free(a);
	free(b);
	drop_data(store);
	drop_data(other);
}
END_TEST

/* ---- CSV ----------------------------------------------------------- */

static void
csv_free(char **v, long n)
{
	while (n-- > 0)
		free(v[n]);
	free(v);
}

/*
 * Parses an RFC 4180 body (CRLF) once: every record must have ncols
 * fields.  Returns how many records, header included; recs (when not
 * NULL) gets each record's fields, unquoted, joined with '|' (free with
 * csv_free).
 */
static long
csv_parse(const char *body, size_t ncols, char ***recs)
{
	const char	*p = body;
	char		**v = NULL, *cur;
	long		 rec = 0, bad = -1;
	size_t		 fields = 1, o = 0, cap = strlen(body) + 1;
	int		 inq = 0, bare = 0;

	cur = calloc(1, cap);
	ck_assert_ptr_nonnull(cur);
	while (*p) {
		if (inq && *p == '"' && p[1] == '"') {
			cur[o++] = '"';
			p += 2;
		} else if (inq && *p == '"') {
			inq = 0;
			p++;
		} else if (inq) {
			cur[o++] = *p++;
		} else if (*p == '"') {
			inq = 1;
			p++;
		} else if (*p == ',') {
			fields++;
			cur[o++] = '|';
			p++;
		} else if (p[0] == '\r' && p[1] == '\n') {
			if (fields != ncols && bad < 0)
				bad = rec;
			cur[o] = '\0';
			v = realloc(v, (size_t)(rec + 1) * sizeof(*v));
			ck_assert_ptr_nonnull(v);
			v[rec++] = strdup(cur);
			o = 0;
			fields = 1;
			p += 2;
		} else {
			bare |= *p == '\n' || *p == '\r';
			cur[o++] = *p++;
		}
	}
	free(cur);
	ck_assert_msg(bad < 0, "record %ld has not %zu fields", bad, ncols);
	ck_assert_msg(!bare, "a bare line end outside quotes");
	ck_assert_msg(!inq, "unterminated quote");
	ck_assert_msg(o == 0, "last record not ended by CRLF");
	if (recs != NULL)
		*recs = v;
	else
		csv_free(v, rec);
	return rec;
}

/* Record k's cells into cells; returns how many records. */
static long
csv_record(const char *body, size_t ncols, long k, char *cells, size_t len)
{
	char	**recs;
	long	  n = csv_parse(body, ncols, &recs);

	ck_assert_int_lt(k, n);
	snprintf(cells, len, "%s", recs[k]);
	csv_free(recs, n);
	return n;
}

START_TEST(csv_exports)
{
	char			 store[80], tok[64], pub[80], pub2[80], path[300];
	char			 cells[2048], want[600];
	char			*id, *id2, *v, **recs;
	const char		*p[1], *hdrs[3] = { NULL, NULL, NULL };
	struct it_resp		 r;
	long			 n, i;
	int			 seen;

	id = generated_store(store, sizeof(store), tok, sizeof(tok), pub,
	    sizeof(pub));
	p[0] = id;
	/* Names a spreadsheet would run, and ones that need quoting. */
	sql1("UPDATE campaigns SET name = CASE id"
	    " WHEN 'c00003' THEN '=HYPERLINK(\"http://evil\",\"x\")'"
	    " WHEN 'c00004' THEN '+1 555'"
	    " WHEN 'c00005' THEN '-2+3'"
	    " WHEN 'c00006' THEN '@SUM(A1)'"
	    " WHEN 'c00007' THEN 'Sale, \"big\" one'"
	    " WHEN 'c00008' THEN E'two\\nlines'"
	    " ELSE name END WHERE connection_id = $1", id);
	/* More campaigns than one fetch (500): the whole year, ~950. */
	snprintf(path, sizeof(path), "/api/store/%s/klaviyo-reports/campaigns"
	    "?from=2025-06-01&to=2026-05-31&format=csv&limit=5", store);
	it_get(path, tok, &r);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	ck_assert_str_eq(it_header(&r, "Content-Type"),
	    "text/csv; charset=utf-8");
	ck_assert_str_eq(it_header(&r, "Content-Disposition"), "attachment; "
	    "filename=\"klaviyo-campaigns-2025-06-01-2026-05-31.csv\"");
	ck_assert_str_eq(it_header(&r, "Cache-Control"), "no-store");
	ck_assert_ptr_nonnull(it_header(&r, "X-Request-Id"));
	ck_assert_ptr_nonnull(it_header(&r, "X-Content-Type-Options"));
	ck_assert_msg(strncmp(r.body, "account_id,currency,campaign_id,name,"
	    "channel,status,send_time,recipients,delivered,opens,clicks,"
	    "open_rate,click_rate,conversions,revenue\r\n", 126) == 0,
	    "header: %.200s", r.body);
	n = csv_parse(r.body, 15, &recs);
	ck_assert_int_eq(n - 1, it_sql_count("SELECT count(*) FROM campaigns"
	    " WHERE connection_id = $1 AND (send_time AT TIME ZONE"
	    " 'America/New_York')::date BETWEEN '2025-06-01' AND"
	    " '2026-05-31'", 1, p));
	ck_assert_int_gt(n, 900);
	/* Every cell of the rows with odd names, as a spreadsheet reads. */
	for (i = 1, seen = 0; i < n; i++) {
		snprintf(cells, sizeof(cells), "%s", recs[i]);
		if (strstr(cells, "|c00003|") != NULL) {
			ck_assert_ptr_nonnull(strstr(cells,
			    "|'=HYPERLINK(\"http://evil\",\"x\")|"));
			seen++;
		} else if (strstr(cells, "|c00004|") != NULL) {
			ck_assert_ptr_nonnull(strstr(cells, "|'+1 555|"));
			seen++;
		} else if (strstr(cells, "|c00005|") != NULL) {
			ck_assert_ptr_nonnull(strstr(cells, "|'-2+3|"));
			seen++;
		} else if (strstr(cells, "|c00006|") != NULL) {
			ck_assert_ptr_nonnull(strstr(cells, "|'@SUM(A1)|"));
			seen++;
		} else if (strstr(cells, "|c00007|") != NULL) {
			ck_assert_ptr_nonnull(strstr(cells,
			    "|Sale, \"big\" one|"));
			seen++;
		} else if (strstr(cells, "|c00008|") != NULL) {
			ck_assert_ptr_nonnull(strstr(cells, "|two\nlines|"));
			seen++;
		}
		/* Each row: this account and its currency. */
		snprintf(want, sizeof(want), "%s|USD|", pub);
		ck_assert_msg(strncmp(cells, want, strlen(want)) == 0, "%s",
		    cells);
	}
	ck_assert_int_eq(seen, 6);
	/* The raw bytes: quoted, quotes doubled, the guard inside. */
	ck_assert_ptr_nonnull(strstr(r.body,
	    ",\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\","));
	/* Sorted as asked: revenue descending by default. */
	snprintf(cells, sizeof(cells), "%s", recs[1]);
	csv_free(recs, n);
	v = it_sql_value("SELECT max((s.statistics->>'conversion_value')"
	    "::numeric) FROM campaign_stats s JOIN campaigns c ON"
	    " c.id = s.campaign_id AND c.connection_id = s.connection_id"
	    " WHERE c.connection_id = $1 AND (c.send_time AT TIME ZONE"
	    " 'America/New_York')::date BETWEEN '2025-06-01' AND"
	    " '2026-05-31'", 1, p);
	ck_assert_msg(strrchr(cells, '|') != NULL &&
	    cents(strrchr(cells, '|') + 1) == cents(v), "%s vs %s", cells, v);
	free(v);
	it_resp_free(&r);
	/* Accept: text/csv asks for it too; segments a row per day. */
	hdrs[0] = "Accept: text/csv";
	{
		char tk[100];

		snprintf(tk, sizeof(tk), "Authorization: Bearer %s", tok);
		hdrs[1] = tk;
		snprintf(path, sizeof(path), "/api/store/%s/klaviyo-reports/"
		    "segments?from=2025-06-01&to=2026-05-31", store);
		it_request("GET", path, hdrs, NULL, 0, &r);
	}
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(it_header(&r, "Content-Type"),
	    "text/csv; charset=utf-8");
	n = csv_record(r.body, 6, 0, cells, sizeof(cells));
	ck_assert_str_eq(cells, "account_id|currency|segment_id|name|day|"
	    "members");
	ck_assert_int_eq(n - 1, 5 * 365);
	it_resp_free(&r);
	/* A second account in EUR: the flows CSV has both, apart. */
	id2 = conn(store, "eUrAcc", "Euro Shop", "Europe/Paris", "EUR", pub2,
	    sizeof(pub2));
	sql2("INSERT INTO flows (connection_id, id, name, status) VALUES"
	    " ($1, 'FX', $2, 'live')", id2, "@evil");
	snprintf(path, sizeof(path), "/api/store/%s/klaviyo-reports/flows"
	    "?from=2025-06-01&to=2025-06-30&format=csv", store);
	it_get(path, tok, &r);
	ck_assert_int_eq(r.status, 200);
	n = csv_parse(r.body, 13, NULL);
	ck_assert_int_eq(n, 1 + 12 + 1);
	csv_record(r.body, 13, n - 1, cells, sizeof(cells));
	snprintf(want, sizeof(want), "%s|EUR|FX|'@evil|live|0|0|0|0|||0|0.00",
	    pub2);
	ck_assert_str_eq(cells, want);
	it_resp_free(&r);
	/* Series: a row per account and period, zeros included. */
	snprintf(path, sizeof(path), "/api/store/%s/klaviyo-reports/series"
	    "?from=2026-09-01&to=2026-12-31&interval=month&format=csv", store);
	it_get(path, tok, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(it_header(&r, "Content-Disposition"), "attachment; "
	    "filename=\"klaviyo-series-2026-09-01-2026-12-31.csv\"");
	n = csv_parse(r.body, 7, NULL);
	ck_assert_int_eq(n, 1 + 4 + 4);
	csv_record(r.body, 7, 4, cells, sizeof(cells));
	snprintf(want, sizeof(want), "%s|USD|2026-12-01|0|0.00|0.00|0.00",
	    pub);
	ck_assert_str_eq(cells, want);
	it_resp_free(&r);
	/* forms CSV; a store without accounts: the header alone. */
	snprintf(path, sizeof(path), "/api/store/%s/klaviyo-reports/forms"
	    "?format=csv&from=2025-06-01&to=2025-06-30", store);
	it_get(path, tok, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(csv_parse(r.body, 9, NULL), 1 + 4);
	it_resp_free(&r);
	{
		char empty[80], etok[64];

		it_store("Empty", empty, sizeof(empty));
		it_member("viewer", empty, etok, sizeof(etok));
		snprintf(path, sizeof(path), "/api/store/%s/klaviyo-reports/"
		    "forms?format=csv", empty);
		it_get(path, etok, &r);
		ck_assert_int_eq(r.status, 200);
		ck_assert_str_eq(r.body, "account_id,currency,form_id,name,"
		    "status,views,unique_views,submits,submit_rate\r\n");
		it_resp_free(&r);
		report_ok(empty, etok, "summary", NULL, &r);
		ck_assert_int_eq(json_object_array_length(it_jget(r.json,
		    "accounts")), 0);
		ck_assert_ptr_nonnull(it_jstr(r.json, "from"));
		it_resp_free(&r);
	}
	free(id);
	free(id2);
	drop_data(store);
}
END_TEST

/* ---- a real sync --------------------------------------------------- */

#define JOBS_PENDING "SELECT count(*) FROM sync_jobs j JOIN stores s"	\
    " ON s.id = j.store_id WHERE s.public_id = $1"			\
    " AND j.state IN ('queued', 'running')"

/*
 * Granite Peak Outfitters (540 days, AUD, Shopify's Placed Order) synced
 * by klaviyo-syncd; its whole history read back equals the sandbox's
 * own totals (docs/SANDBOX.md: 1,500 orders, campaigns 450, flows 525).
 */
/*
 * flow_days (sql/015) always equals the sums of flow_series, through
 * inserts, a re-sync's upserts, deletes and a removal's cascade.
 */
static long long
flow_days_off(const char *id)
{
	return it_sql_count("SELECT count(*) FROM (SELECT day,"
	    " coalesce(sum((statistics ->> 'recipients')::numeric), 0) AS r,"
	    " coalesce(sum((statistics ->> 'opens_unique')::numeric), 0) AS o,"
	    " coalesce(sum((statistics ->> 'conversion_value')::numeric), 0)"
	    " AS v"
	    " FROM flow_series WHERE connection_id = $1::bigint GROUP BY day) a"
	    " FULL JOIN (SELECT day, recipients AS r, opens_unique AS o,"
	    " conversion_value AS v FROM flow_days"
	    " WHERE connection_id = $1::bigint"
	    " AND (recipients, opens_unique, conversion_value) <> (0, 0, 0)) b"
	    " USING (day) WHERE a.r IS DISTINCT FROM b.r"
	    " OR a.o IS DISTINCT FROM b.o OR a.v IS DISTINCT FROM b.v", 1,
	    (const char *[]){ id });
}

START_TEST(flow_days_follow_flow_series)
{
	char		 store[80], pub[80], *id;
	const char	*p[1];

	it_store("Flow days", store, sizeof(store));
	id = conn(store, "FdAy01", "Flow Days", "UTC", "USD", pub,
	    sizeof(pub));
	p[0] = id;
	PQclear(it_sql("INSERT INTO flow_series (connection_id, flow_id, day,"
	    " timezone, statistics) SELECT $1::bigint, 'F' || f,"
	    " date '2026-01-01' + d, 'UTC', jsonb_build_object('recipients',"
	    " 10 * f + d, 'opens_unique', f, 'conversion_value', 1.25 * f)"
	    " FROM generate_series(1, 3) f, generate_series(0, 4) d", 1, p));
	ck_assert_int_eq(flow_days_off(id), 0);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM flow_days"
	    " WHERE connection_id = $1::bigint", 1, p), 5);
	/* A re-sync rewrites some days, as the series upsert does. */
	PQclear(it_sql("INSERT INTO flow_series (connection_id, flow_id, day,"
	    " timezone, statistics) SELECT $1::bigint, 'F2', date '2026-01-01'"
	    " + d, 'UTC', '{\"recipients\": 7, \"conversion_value\": 0.5}'"
	    " FROM generate_series(3, 6) d ON CONFLICT (connection_id,"
	    " flow_id, day) DO UPDATE SET statistics = EXCLUDED.statistics",
	    1, p));
	ck_assert_int_eq(flow_days_off(id), 0);
	/* A type's data deleted (settings), then one flow's days. */
	PQclear(it_sql("DELETE FROM flow_series WHERE connection_id ="
	    " $1::bigint AND flow_id = 'F1'", 1, p));
	ck_assert_int_eq(flow_days_off(id), 0);
	/* The removal's cascade takes both, whatever order it goes in. */
	drop_data(store);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM flow_days"
	    " WHERE connection_id = $1::bigint", 1, p), 0);
	free(id);
}
END_TEST

START_TEST(real_sync_matches_sandbox)
{
	char			 store[80], tok[64], q[200], *out = NULL;
	const char		*p[1];
	struct it_resp		 r, sb;
	struct json_object	*accts, *acc = NULL, *st, *tot, *cur, *a;
	size_t			 i;
	int			 k, rc;

	it_store("Granite", store, sizeof(store));
	it_member("viewer", store, tok, sizeof(tok));
	{
		char otok[64];

		it_member("owner", store, otok, sizeof(otok));
		it_connect(store, otok, IT_KEY_LISTS, "GOdodE", &r);
		it_assert_ok(&r);
		it_resp_free(&r);
	}
	it_isolate(store);
	p[0] = store;
	for (k = 0; k < 20; k++) {
		rc = it_run(&out, "REPORT_SERVER= SYNC_SCHEDULE_SECONDS=0"
		    " timeout 170 %s --once 2>&1", getenv("KC_TEST_SYNCD"));
		ck_assert_msg(rc == 0, "syncd: %d %.2000s", rc, out);
		free(out);
		out = NULL;
		if (it_sql_count(JOBS_PENDING, 1, p) == 0)
			break;
		it_pause_ms(500);
	}
	ck_assert_int_eq(it_sql_count(JOBS_PENDING, 1, p), 0);
	it_sbx("GET", "/__sandbox/accounts", NULL, &sb);
	ck_assert_int_eq(sb.status, 200);
	accts = it_jget(sb.json, "accounts");
	for (i = 0; i < json_object_array_length(accts); i++) {
		a = json_object_array_get_idx(accts, i);
		if (strcmp(it_jstr(a, "key"), IT_KEY_LISTS) == 0)
			acc = a;
	}
	ck_assert_ptr_nonnull(acc);
	st = it_jget(acc, "store");
	tot = it_jget(st, "totals");
	snprintf(q, sizeof(q), "from=%s&to=%s", it_jstr(st, "history_start"),
	    it_jstr(st, "today"));
	report_ok(store, tok, "summary", q, &r);
	a = account(&r, 0);
	ck_assert_str_eq(it_jstr(a, "currency"), "AUD");
	ck_assert_str_eq(it_jstr(a, "timezone"), "Australia/Sydney");
	ck_assert_ptr_nonnull(it_jstr(it_jget(a, "freshness"), "orders"));
	ck_assert_ptr_nonnull(it_jstr(it_jget(a, "freshness"), "campaigns"));
	cur = it_jget(a, "current");
	ck_assert_int_eq(jint(cur, "orders"), jint(tot, "orders"));
	ck_assert_int_eq(jcents(cur, "revenue"), jcents(tot, "order_value"));
	ck_assert_int_eq(jint(cur, "campaign_conversions"),
	    jint(tot, "campaign_orders"));
	ck_assert_int_eq(jcents(cur, "campaign_revenue"),
	    jcents(tot, "campaign_order_value"));
	ck_assert_int_eq(jint(cur, "flow_conversions"),
	    jint(tot, "flow_orders"));
	ck_assert_int_eq(jcents(cur, "flow_revenue"),
	    jcents(tot, "flow_order_value"));
	ck_assert_int_eq(jint(cur, "orders"), 1500);
	it_resp_free(&r);
	/* The tables of the same range: every flow and form, sums equal. */
	report_ok(store, tok, "flows", q, &r);
	ck_assert_int_eq(jint(account(&r, 0), "total"), jint(tot, "flows"));
	it_resp_free(&r);
	report_ok(store, tok, "forms", q, &r);
	ck_assert_int_eq(jint(account(&r, 0), "total"), jint(tot, "forms"));
	it_resp_free(&r);
	report_ok(store, tok, "segments", q, &r);
	ck_assert_int_eq(jint(account(&r, 0), "total"),
	    jint(tot, "segments"));
	it_resp_free(&r);
	it_resp_free(&sb);
	drop_data(store);
}
END_TEST

Suite *
suite_reports(void)
{
	Suite	*s = suite_create("reports");
	TCase	*tc = tcase_create("reports");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, timezone_day_boundaries);
	tcase_add_test(tc, summary_matches_own_sums);
	tcase_add_test(tc, series_every_interval);
	tcase_add_test(tc, tables_sort_and_page);
	tcase_add_test(tc, segments_and_forms);
	tcase_add_test(tc, csv_exports);
	tcase_add_test(tc, flow_days_follow_flow_series);
	tcase_add_test(tc, real_sync_matches_sandbox);
	suite_add_tcase(s, tc);
	return s;
}
