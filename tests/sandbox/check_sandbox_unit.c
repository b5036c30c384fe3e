/*
 * Unit tests of klaviyo-sandbox's pure parts, with no server: the
 * fixed-window rate limiter and --time-scale (time passed in, never
 * slept), query decoding, filters, sparse fieldsets, cursors,
 * date-times, time zones, report time frames and series buckets
 * (src/sandbox_rate.c, src/sandbox_query.c).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "sandbox.h"
#include "query.h"
#include "rate.h"

#define MS	1000ULL
#define S	1000000ULL

START_TEST(test_rate_windows_scale)
{
	struct sbx_rate *r;

	ck_assert_int_eq(sbx_rate_new(1, 1, 60.0, 0, &r), KC_OK);
	ck_assert_uint_eq(sbx_rate_window_us(r, 0), 16666);
	ck_assert_uint_eq(sbx_rate_window_us(r, 1), 1 * S);
	ck_assert_uint_eq(sbx_rate_window_us(r, 2), 1440 * S);
	sbx_rate_free(r);
	ck_assert_int_eq(sbx_rate_new(1, 1, 1.0, 0, &r), KC_OK);
	ck_assert_uint_eq(sbx_rate_window_us(r, 1), 60 * S);
	sbx_rate_free(r);
	/* Never below 1 ms. */
	ck_assert_int_eq(sbx_rate_new(1, 1, 86400.0, 0, &r), KC_OK);
	ck_assert_uint_eq(sbx_rate_window_us(r, 0), 1000);
	ck_assert_uint_eq(sbx_rate_window_us(r, 2), 1 * S);
	sbx_rate_free(r);
	ck_assert_int_eq(sbx_rate_new(1, 1, 0.0, 0, &r), KC_ERR_CONFIG);
}
END_TEST

START_TEST(test_rate_burst)
{
	struct sbx_rate		*r;
	struct sbx_rate_info	 ri;
	struct sbx_limit	 l = { 1, 15, 0 };
	uint64_t		 t0 = 5 * S;

	ck_assert_int_eq(sbx_rate_new(2, 2, 60.0, t0, &r), KC_OK);
	ck_assert_int_eq(sbx_rate_take(r, 0, 0, &l, t0, &ri), 1);
	ck_assert_int_eq(ri.limit, 15);
	ck_assert_int_eq(ri.remaining, 14);
	ck_assert_int_eq(ri.reset_s, 1);
	/* The same 1/60 s window: refused by the burst limit. */
	ck_assert_int_eq(sbx_rate_take(r, 0, 0, &l, t0 + 5 * MS, &ri), 0);
	ck_assert_int_eq(ri.window, 0);
	ck_assert_int_eq(ri.retry_after_s, 1);
	/* Other accounts and endpoints have their own buckets. */
	ck_assert_int_eq(sbx_rate_take(r, 1, 0, &l, t0 + 5 * MS, &ri), 1);
	ck_assert_int_eq(sbx_rate_take(r, 0, 1, &l, t0 + 5 * MS, &ri), 1);
	/* The next burst window. */
	ck_assert_int_eq(sbx_rate_take(r, 0, 0, &l, t0 + 17 * MS, &ri), 1);
	ck_assert_int_eq(ri.remaining, 13);
	sbx_rate_free(r);
}
END_TEST

START_TEST(test_rate_steady)
{
	struct sbx_rate		*r;
	struct sbx_rate_info	 ri;
	struct sbx_limit	 l = { 1, 15, 0 };
	uint64_t		 t;
	int			 i;

	ck_assert_int_eq(sbx_rate_new(1, 1, 60.0, 0, &r), KC_OK);
	/* 15 per (scaled) minute, spaced past the burst window. */
	for (i = 0, t = 0; i < 15; i++, t += 20 * MS)
		ck_assert_msg(sbx_rate_take(r, 0, 0, &l, t, &ri) == 1,
		    "request %d refused", i);
	ck_assert_int_eq(ri.remaining, 0);
	ck_assert_int_eq(sbx_rate_take(r, 0, 0, &l, t, &ri), 0);
	ck_assert_int_eq(ri.window, 1);
	ck_assert_int_eq(ri.retry_after_s, 1);
	/* Refusals do not count; the window rolls at 1 s. */
	ck_assert_int_eq(sbx_rate_take(r, 0, 0, &l, 999 * MS, &ri), 0);
	ck_assert_int_eq(sbx_rate_take(r, 0, 0, &l, 1 * S, &ri), 1);
	ck_assert_int_eq(ri.remaining, 14);
	/* A peek does not count. */
	sbx_rate_peek(r, 0, 0, &l, 1 * S + 30 * MS, &ri);
	ck_assert_int_eq(ri.remaining, 14);
	sbx_rate_reset(r);
	sbx_rate_peek(r, 0, 0, &l, 1 * S + 30 * MS, &ri);
	ck_assert_int_eq(ri.remaining, 15);
	sbx_rate_free(r);
}
END_TEST

START_TEST(test_rate_daily)
{
	struct sbx_rate		*r;
	struct sbx_rate_info	 ri;
	struct sbx_limit	 l = { 1, 2, 5 };	/* reports: 225/d */
	uint64_t		 t = 0;
	int			 i, ok = 0;

	/* Scale 1440: a day lasts 60 s, a minute 41.7 ms. */
	ck_assert_int_eq(sbx_rate_new(1, 1, 1440.0, 0, &r), KC_OK);
	for (i = 0; i < 100; i++, t += 50 * MS)
		ok += sbx_rate_take(r, 0, 0, &l, t, &ri);
	ck_assert_int_eq(ok, 5);
	ck_assert_int_eq(ri.window, 2);
	ck_assert_int_eq(ri.retry_after_s, 56);	/* ceil(60 s - 4.95 s) */
	ck_assert_int_eq(sbx_rate_take(r, 0, 0, &l, 60 * S, &ri), 1);
	sbx_rate_free(r);
}
END_TEST

START_TEST(test_rate_unscaled_headers)
{
	struct sbx_rate		*r;
	struct sbx_rate_info	 ri;
	struct sbx_limit	 l = { 10, 150, 0 };

	ck_assert_int_eq(sbx_rate_new(1, 1, 1.0, 0, &r), KC_OK);
	ck_assert_int_eq(sbx_rate_take(r, 0, 0, &l, 15 * S + 1, &ri), 1);
	ck_assert_int_eq(ri.limit, 150);
	ck_assert_int_eq(ri.remaining, 149);
	ck_assert_int_eq(ri.reset_s, 45);
	sbx_rate_free(r);
}
END_TEST

START_TEST(test_query_parse)
{
	struct sbx_query	 q;
	char			 err[256];

	ck_assert_int_eq(sbx_query_parse("page%5Bcursor%5D=abc&fields[metric]="
	    "name,integration&filter=equals(integration.name,%27Shop+ify%27)"
	    "&&empty=", &q, err, sizeof(err)), KC_OK);
	ck_assert_int_eq(q.n, 4);
	ck_assert_str_eq(sbx_query_get(&q, "page[cursor]"), "abc");
	ck_assert_str_eq(sbx_query_get(&q, "fields[metric]"),
	    "name,integration");
	ck_assert_str_eq(sbx_query_get(&q, "filter"),
	    "equals(integration.name,'Shop ify')");
	ck_assert_str_eq(sbx_query_get(&q, "empty"), "");
	ck_assert_ptr_null(sbx_query_get(&q, "nope"));
	sbx_query_free(&q);
	ck_assert_int_eq(sbx_query_parse("", &q, err, sizeof(err)), KC_OK);
	ck_assert_int_eq(q.n, 0);
	ck_assert_int_eq(sbx_query_parse("a=1&a=2", &q, err, sizeof(err)),
	    KC_ERR_BAD_INPUT);
	ck_assert_int_eq(sbx_query_parse("a=%zz", &q, err, sizeof(err)),
	    KC_ERR_BAD_INPUT);
	ck_assert_int_eq(sbx_query_parse("a=%4", &q, err, sizeof(err)),
	    KC_ERR_BAD_INPUT);
	ck_assert_int_eq(sbx_query_parse("a=%00", &q, err, sizeof(err)),
	    KC_ERR_BAD_INPUT);
	ck_assert_int_eq(sbx_query_parse("=x", &q, err, sizeof(err)),
	    KC_ERR_BAD_INPUT);
}
END_TEST

START_TEST(test_url_encode)
{
	struct buf b;

	buf_init(&b, 1024);
	ck_assert_int_eq(sbx_url_encode(&b, "page[cursor]=a b/~"), KC_OK);
	ck_assert_str_eq(buf_cstr(&b), "page%5Bcursor%5D%3Da%20b%2F~");
	buf_free(&b);
}
END_TEST

static const struct sbx_filter_field fields[] = {
	{ "integration.name", SBX_OP_EQUALS, 0, SBX_V_STRING, NULL },
	{ "name", 0, SBX_OP_ANY | SBX_OP_EQUALS, SBX_V_STRING, NULL },
	{ "id", SBX_OP_EQUALS, SBX_OP_ANY, SBX_V_STRING, NULL },
	{ "created", SBX_OP_GREATER_THAN, 0, SBX_V_DATETIME, NULL },
	{ NULL, 0, 0, SBX_V_STRING, NULL }
};

static const struct {
	const char	*filter;
	int		 rc;
	int		 match;		/* against the item below */
} filters[] = {
	{ "equals(integration.name,'Shopify')", KC_OK, 1 },
	{ "equals(integration.name,\"Shopify\")", KC_OK, 1 },
	{ "equals(integration.name,'WooCommerce')", KC_OK, 0 },
	{ "equals(name,['Placed Order'])", KC_OK, 1 },
	{ "any(name,['Viewed Product','Placed Order'])", KC_OK, 1 },
	{ "any(id,['x','y'])", KC_OK, 0 },
	{ "equals(id,'AbC123')", KC_OK, 1 },
	{ "greater-than(created,2023-01-01T00:00:00Z)", KC_OK, 1 },
	{ "greater-than(created,2024-01-01T00:00:00+00:00)", KC_OK, 0 },
	{ "and(equals(id,'AbC123'),equals(integration.name,'Shopify'))",
	  KC_OK, 1 },
	{ "equals(id,'AbC123'),equals(integration.name,'Nope')", KC_OK, 0 },
	{ "equals(name,'Placed Order')", KC_ERR_BAD_INPUT, 0 },
	{ "equals(integration.key,'shopify')", KC_ERR_BAD_INPUT, 0 },
	{ "explode(id,'x')", KC_ERR_BAD_INPUT, 0 },
	{ "equals(id,'x'", KC_ERR_BAD_INPUT, 0 },
	{ "equals(id,'x') junk", KC_ERR_BAD_INPUT, 0 },
	{ "greater-than(created,yesterday)", KC_ERR_BAD_INPUT, 0 },
	{ "equals(id,)", KC_ERR_BAD_INPUT, 0 },
	{ "", KC_ERR_BAD_INPUT, 0 },
};

START_TEST(test_filter)
{
	struct sbx_filter	*f = NULL;
	struct json_object	*item;
	char			 err[256] = "";
	int			 rc;

	item = json_tokener_parse("{\"type\":\"metric\",\"id\":\"AbC123\","
	    "\"attributes\":{\"name\":\"Placed Order\",\"created\":"
	    "\"2023-06-01T10:00:00+00:00\",\"integration\":{\"name\":"
	    "\"Shopify\"}}}");
	ck_assert_ptr_nonnull(item);
	rc = sbx_filter_parse(filters[_i].filter, fields, &f, err,
	    sizeof(err));
	ck_assert_msg(rc == filters[_i].rc, "%s: rc %d (%s)",
	    filters[_i].filter, rc, err);
	if (rc == KC_OK) {
		ck_assert_int_eq(sbx_filter_match(f, item), filters[_i].match);
		sbx_filter_free(f);
	} else {
		ck_assert_ptr_null(f);
		ck_assert(strncmp(err, "Invalid filter", 14) == 0);
	}
	json_object_put(item);
}
END_TEST

START_TEST(test_fields_prune)
{
	struct json_object *a;

	a = json_tokener_parse("{\"test_account\":false,\"timezone\":\"X\","
	    "\"contact_information\":{\"organization_name\":\"Acme\","
	    "\"website_url\":\"w\",\"street_address\":{\"city\":\"B\","
	    "\"zip\":\"1\"}}}");
	ck_assert_int_eq(sbx_fields_prune(a, "timezone,contact_information."
	    "organization_name,contact_information.street_address.zip,id"),
	    KC_OK);
	ck_assert_str_eq(json_object_to_json_string_ext(a,
	    JSON_C_TO_STRING_PLAIN), "{\"timezone\":\"X\","
	    "\"contact_information\":{\"organization_name\":\"Acme\","
	    "\"street_address\":{\"zip\":\"1\"}}}");
	json_object_put(a);
}
END_TEST

START_TEST(test_cursor)
{
	char	 c[64];
	size_t	 off;

	sbx_cursor_make(400, c, sizeof(c));
	ck_assert_int_eq(sbx_cursor_parse(c, &off), KC_OK);
	ck_assert_uint_eq(off, 400);
	sbx_cursor_make(0, c, sizeof(c));
	ck_assert_int_eq(sbx_cursor_parse(c, &off), KC_OK);
	ck_assert_uint_eq(off, 0);
	ck_assert_int_eq(sbx_cursor_parse("", &off), KC_ERR_BAD_INPUT);
	ck_assert_int_eq(sbx_cursor_parse("bogus", &off), KC_ERR_BAD_INPUT);
	ck_assert_int_eq(sbx_cursor_parse("c2J4MTo=", &off), KC_ERR_BAD_INPUT);
	ck_assert_int_eq(sbx_cursor_parse("c2J4MTotMQ", &off),
	    KC_ERR_BAD_INPUT);	/* "sbx1:-1" */
}
END_TEST

static const struct {
	const char	*s;
	int		 rc;
	int64_t		 t;
} datetimes[] = {
	{ "2024-01-01", KC_OK, 1704067200 },
	{ "2024-01-01T00:00:00Z", KC_OK, 1704067200 },
	{ "2024-01-01T01:00:00+01:00", KC_OK, 1704067200 },
	{ "2023-12-31T19:00:00-05:00", KC_OK, 1704067200 },
	{ "2024-01-01T00:00:00.123456+00:00", KC_OK, 1704067200 },
	{ "2024-02-29T00:00:00Z", KC_OK, 1709164800 },
	{ "2023-02-29", KC_ERR_BAD_INPUT, 0 },
	{ "2024-13-01", KC_ERR_BAD_INPUT, 0 },
	{ "2024-1-01", KC_ERR_BAD_INPUT, 0 },
	{ "2024-01-01T25:00:00Z", KC_ERR_BAD_INPUT, 0 },
	{ "2024-01-01T00:00:00Zjunk", KC_ERR_BAD_INPUT, 0 },
	{ "", KC_ERR_BAD_INPUT, 0 },
};

START_TEST(test_datetime)
{
	int64_t t;

	ck_assert_int_eq(sbx_parse_datetime(datetimes[_i].s, &t),
	    datetimes[_i].rc);
	if (datetimes[_i].rc == KC_OK)
		ck_assert_int_eq(t, datetimes[_i].t);
}
END_TEST

/* Filters beyond lists and metrics: new operators and value types. */

static const struct sbx_filter_field xfields[] = {
	{ "name", SBX_OP_STARTS_WITH | SBX_OP_ENDS_WITH | SBX_OP_CONTAINS,
	  0, SBX_V_STRING, NULL },
	{ "archived", SBX_OP_EQUALS, 0, SBX_V_BOOL, NULL },
	{ "timestamp", SBX_OP_GREATER_OR_EQUAL | SBX_OP_LESS_THAN, 0,
	  SBX_V_INT, NULL },
	{ "messages.channel", SBX_OP_EQUALS, 0, SBX_V_STRING,
	  "_sbx.channel" },
	{ "send_channel", SBX_OP_EQUALS, SBX_OP_CONTAINS_ANY |
	  SBX_OP_CONTAINS_ALL, SBX_V_STRING, NULL },
	{ "profile", SBX_OP_HAS, 0, SBX_V_STRING, NULL },
	{ NULL, 0, 0, SBX_V_STRING, NULL }
};

static const struct {
	const char	*filter;
	int		 rc;
	int		 match;
} xfilters[] = {
	{ "starts-with(name,'Welcome')", KC_OK, 1 },
	{ "ends-with(name,'Series')", KC_OK, 1 },
	{ "ends-with(name,'Welcome')", KC_OK, 0 },
	{ "equals(archived,false)", KC_OK, 1 },
	{ "equals(archived,true)", KC_OK, 0 },
	{ "equals(archived,'no')", KC_ERR_BAD_INPUT, 0 },
	{ "greater-or-equal(timestamp,1700000000)", KC_OK, 1 },
	{ "less-than(timestamp,2023-11-14T22:13:20+00:00)", KC_OK, 0 },
	{ "greater-or-equal(timestamp,soon)", KC_ERR_BAD_INPUT, 0 },
	{ "equals(messages.channel,'email')", KC_OK, 1 },
	{ "equals(messages.channel,'sms')", KC_OK, 0 },
	{ "contains-any(send_channel,[\"sms\",\"email\"])", KC_OK, 1 },
	{ "contains-all(send_channel,[\"sms\",\"email\"])", KC_OK, 0 },
	{ "contains-any(send_channel,\"email\")", KC_ERR_BAD_INPUT, 0 },
	{ "has(profile)", KC_OK, 1 },
	{ "has(profile,'x')", KC_ERR_BAD_INPUT, 0 },
	{ "equals(profile)", KC_ERR_BAD_INPUT, 0 },
};

START_TEST(test_filter_more)
{
	struct sbx_filter	*f = NULL;
	struct json_object	*item;
	char			 err[256] = "";
	int			 rc;

	item = json_tokener_parse("{\"type\":\"flow\",\"id\":\"F1\","
	    "\"attributes\":{\"name\":\"Welcome Series\",\"archived\":"
	    "false,\"timestamp\":1700000000,\"send_channel\":\"email\","
	    "\"profile\":\"p\"},\"_sbx\":{\"channel\":\"email\"}}");
	ck_assert_ptr_nonnull(item);
	rc = sbx_filter_parse(xfilters[_i].filter, xfields, &f, err,
	    sizeof(err));
	ck_assert_msg(rc == xfilters[_i].rc, "%s: rc %d (%s)",
	    xfilters[_i].filter, rc, err);
	if (rc == KC_OK) {
		ck_assert_msg(sbx_filter_match(f, item) == xfilters[_i].match,
		    "%s", xfilters[_i].filter);
		sbx_filter_free(f);
	}
	json_object_put(item);
}
END_TEST

START_TEST(test_filter_conds)
{
	const struct sbx_filter_field	*fld;
	struct sbx_filter		*f = NULL;
	char *const			*vals;
	char				 err[256];
	size_t				 n;
	unsigned			 op;

	ck_assert_int_eq(sbx_filter_parse("and(equals(archived,true),"
	    "contains-any(send_channel,['a','b','c']))", xfields, &f, err,
	    sizeof(err)), KC_OK);
	ck_assert_uint_eq(sbx_filter_nconds(f), 2);
	sbx_filter_cond(f, 1, &fld, &op, &vals, &n);
	ck_assert_str_eq(fld->field, "send_channel");
	ck_assert_uint_eq(op, SBX_OP_CONTAINS_ANY);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(vals[2], "c");
	sbx_filter_free(f);
	ck_assert_uint_eq(sbx_filter_nconds(NULL), 0);
}
END_TEST

START_TEST(test_cursor_tagged)
{
	char		 c[64];
	size_t		 off;
	uint32_t	 tag;

	sbx_cursor_make_tagged(300, 0xdeadbeef, c, sizeof(c));
	ck_assert_int_eq(sbx_cursor_parse_tagged(c, &off, &tag), KC_OK);
	ck_assert_uint_eq(off, 300);
	ck_assert_uint_eq(tag, 0xdeadbeef);
	/* A list cursor is not a report cursor, and the other way round. */
	ck_assert_int_eq(sbx_cursor_parse(c, &off), KC_ERR_BAD_INPUT);
	sbx_cursor_make(5, c, sizeof(c));
	ck_assert_int_eq(sbx_cursor_parse_tagged(c, &off, &tag),
	    KC_ERR_BAD_INPUT);
	ck_assert_int_eq(sbx_cursor_parse_tagged("bogus", &off, &tag),
	    KC_ERR_BAD_INPUT);
}
END_TEST

/* Civil dates and time zones. */

static int64_t
utc(const char *s)
{
	int64_t t;

	ck_assert_int_eq(sbx_parse_datetime(s, &t), KC_OK);
	return t;
}

START_TEST(test_civil)
{
	int y, m, d;

	ck_assert_int_eq(sbx_days_from_civil(1970, 1, 1), 0);
	ck_assert_int_eq(sbx_days_from_civil(2024, 2, 29), 19782);
	sbx_civil_from_days(19782, &y, &m, &d);
	ck_assert_int_eq(y, 2024);
	ck_assert_int_eq(m, 2);
	ck_assert_int_eq(d, 29);
	sbx_civil_from_days(-1, &y, &m, &d);
	ck_assert_int_eq(y, 1969);
	ck_assert_int_eq(d, 31);
	ck_assert_int_eq(sbx_weekday(0), 4);		/* Thursday */
	ck_assert_int_eq(sbx_weekday(sbx_days_from_civil(2026, 11, 22)), 0);
}
END_TEST

static const struct {
	const char	*zone;
	const char	*at;
	int		 off;	/* hours */
} offsets[] = {
	/* US: second Sunday of March 2:00, first Sunday of November 2:00. */
	{ "America/New_York", "2026-03-08T06:59:59Z", -5 },
	{ "America/New_York", "2026-03-08T07:00:00Z", -4 },
	{ "America/New_York", "2026-11-01T05:59:59Z", -4 },
	{ "America/New_York", "2026-11-01T06:00:00Z", -5 },
	{ "America/Los_Angeles", "2025-07-01T00:00:00Z", -7 },
	{ "America/Los_Angeles", "2025-12-01T00:00:00Z", -8 },
	/* EU: last Sundays of March and October, 01:00 UTC. */
	{ "Europe/London", "2026-03-29T00:59:59Z", 0 },
	{ "Europe/London", "2026-03-29T01:00:00Z", 1 },
	{ "Europe/Berlin", "2026-10-25T00:59:59Z", 2 },
	{ "Europe/Berlin", "2026-10-25T01:00:00Z", 1 },
	/* Australia: first Sundays of April (3:00) and October (2:00). */
	{ "Australia/Sydney", "2026-04-04T15:59:59Z", 11 },
	{ "Australia/Sydney", "2026-04-04T16:00:00Z", 10 },
	{ "Australia/Sydney", "2026-10-03T15:59:59Z", 10 },
	{ "Australia/Sydney", "2026-10-03T16:00:00Z", 11 },
	{ "Asia/Tokyo", "2026-07-01T00:00:00Z", 9 },
};

START_TEST(test_tz_offset)
{
	const struct sbx_tz *z = sbx_tz_find(offsets[_i].zone);

	ck_assert_ptr_nonnull(z);
	ck_assert_msg(sbx_tz_offset(z, utc(offsets[_i].at)) ==
	    offsets[_i].off * 3600, "%s at %s: %d", offsets[_i].zone,
	    offsets[_i].at, sbx_tz_offset(z, utc(offsets[_i].at)));
}
END_TEST

START_TEST(test_tz_wall)
{
	const struct sbx_tz	*ny = sbx_tz_find("America/New_York");
	char			 buf[40];
	int64_t			 w;

	ck_assert_ptr_null(sbx_tz_find("Mars/Olympus_Mons"));
	/* A plain winter and summer time. */
	ck_assert_int_eq(sbx_parse_wallclock("2026-01-15T09:00:00+09:00", &w),
	    KC_OK);
	ck_assert_int_eq(sbx_tz_to_utc(ny, w), utc("2026-01-15T14:00:00Z"));
	ck_assert_int_eq(sbx_parse_wallclock("2026-07-15T09:00:00Z", &w),
	    KC_OK);
	ck_assert_int_eq(sbx_tz_to_utc(ny, w), utc("2026-07-15T13:00:00Z"));
	/* 2:30 does not exist on 2026-03-08: read as standard time. */
	ck_assert_int_eq(sbx_parse_wallclock("2026-03-08T02:30:00", &w),
	    KC_OK);
	ck_assert_int_eq(sbx_tz_to_utc(ny, w), utc("2026-03-08T07:30:00Z"));
	/* 1:30 exists twice on 2026-11-01: the first one. */
	ck_assert_int_eq(sbx_parse_wallclock("2026-11-01T01:30:00", &w),
	    KC_OK);
	ck_assert_int_eq(sbx_tz_to_utc(ny, w), utc("2026-11-01T05:30:00Z"));
	ck_assert_int_eq(sbx_tz_to_wall(ny, utc("2026-11-01T06:30:00Z")),
	    w);
	sbx_fmt_local(ny, utc("2026-11-01T04:00:00Z"), buf, sizeof(buf));
	ck_assert_str_eq(buf, "2026-11-01T00:00:00-04:00");
	sbx_fmt_local(sbx_tz_find("Asia/Tokyo"), utc("2026-11-01T04:00:00Z"),
	    buf, sizeof(buf));
	ck_assert_str_eq(buf, "2026-11-01T13:00:00+09:00");
}
END_TEST

/* Report time frames: today is Wednesday 2026-11-25. */
static const struct {
	const char	*key;
	const char	*start;
	const char	*end;
} frames[] = {
	{ "today", "2026-11-25", "2026-11-26" },
	{ "yesterday", "2026-11-24", "2026-11-25" },
	{ "last_7_days", "2026-11-18", "2026-11-25" },
	{ "last_30_days", "2026-10-26", "2026-11-25" },
	{ "last_90_days", "2026-08-27", "2026-11-25" },
	{ "last_365_days", "2025-11-25", "2026-11-25" },
	{ "last_3_months", "2026-08-25", "2026-11-25" },
	{ "last_12_months", "2025-11-25", "2026-11-25" },
	{ "this_week", "2026-11-22", "2026-11-26" },
	{ "last_week", "2026-11-15", "2026-11-22" },
	{ "this_month", "2026-11-01", "2026-11-26" },
	{ "last_month", "2026-10-01", "2026-11-01" },
	{ "this_year", "2026-01-01", "2026-11-26" },
	{ "last_year", "2025-01-01", "2026-01-01" },
};

START_TEST(test_timeframe_keys)
{
	int64_t s, e, today = utc("2026-11-25");

	ck_assert_int_eq(sbx_timeframe_key(frames[_i].key, today, &s, &e),
	    KC_OK);
	ck_assert_msg(s == utc(frames[_i].start) && e == utc(frames[_i].end),
	    "%s", frames[_i].key);
}
END_TEST

START_TEST(test_timeframe_misc)
{
	enum sbx_interval	 iv;
	int64_t			 s, e;

	ck_assert_int_eq(sbx_timeframe_key("last_decade", 0, &s, &e),
	    KC_ERR_BAD_INPUT);
	ck_assert_int_eq(sbx_wall_add_months(utc("2026-03-31T10:00:00Z"),
	    -1), utc("2026-02-28T10:00:00Z"));
	ck_assert_int_eq(sbx_wall_add_months(utc("2024-02-29"), 12),
	    utc("2025-02-28"));
	ck_assert_int_eq(sbx_wall_add_months(utc("2026-11-15"), 3),
	    utc("2027-02-15"));
	ck_assert_int_eq(sbx_interval_parse("weekly", &iv), KC_OK);
	ck_assert_int_eq(iv, SBX_IV_WEEKLY);
	ck_assert_int_eq(sbx_interval_parse("yearly", &iv), KC_ERR_BAD_INPUT);
	/* The offset is ignored by the wall-clock reading only. */
	ck_assert_int_eq(sbx_parse_wallclock("2026-01-01T00:00:00-08:00",
	    &s), KC_OK);
	ck_assert_int_eq(s, utc("2026-01-01"));
	ck_assert_int_eq(utc("2026-01-01T00:00:00-08:00"),
	    utc("2026-01-01T08:00:00Z"));
}
END_TEST

START_TEST(test_buckets)
{
	const struct sbx_tz	*ny = sbx_tz_find("America/New_York");
	int64_t			 t = utc("2026-11-25T15:30:00Z");

	ck_assert_int_eq(sbx_bucket_floor(ny, SBX_IV_HOURLY, t),
	    utc("2026-11-25T15:00:00Z"));
	ck_assert_int_eq(sbx_bucket_floor(ny, SBX_IV_DAILY, t),
	    utc("2026-11-25T05:00:00Z"));
	ck_assert_int_eq(sbx_bucket_floor(ny, SBX_IV_WEEKLY, t),
	    utc("2026-11-22T05:00:00Z"));		/* Sunday */
	ck_assert_int_eq(sbx_bucket_floor(ny, SBX_IV_MONTHLY, t),
	    utc("2026-11-01T04:00:00Z"));		/* still EDT */
	ck_assert_int_eq(sbx_bucket_next(ny, SBX_IV_MONTHLY,
	    utc("2026-11-01T04:00:00Z")), utc("2026-12-01T05:00:00Z"));
	/* The day clocks fall back lasts 25 hours. */
	ck_assert_int_eq(sbx_bucket_next(ny, SBX_IV_DAILY,
	    utc("2026-11-01T04:00:00Z")), utc("2026-11-02T05:00:00Z"));
	ck_assert_int_eq(sbx_bucket_next(ny, SBX_IV_HOURLY, t),
	    t + 3600);
	ck_assert_int_eq(sbx_bucket_next(ny, SBX_IV_WEEKLY,
	    utc("2026-03-01T05:00:00Z")), utc("2026-03-08T05:00:00Z"));
}
END_TEST

START_TEST(test_parse_head)
{
	char		 ok[] = "POST /api/x?a=1 HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length:  42 \r\n\r\n";
	char		 te[] = "GET / HTTP/1.1\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n";
	char		 fold[] = "GET / HTTP/1.1\r\n folded\r\n\r\n";
	char		 neg[] = "GET / HTTP/1.0\r\nContent-Length: -1\r\n\r\n";
	char		 rel[] = "GET x HTTP/1.1\r\n\r\n";
	struct sbx_req	 r;
	long long	 clen;
	const char	*why = "";

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(sbx_parse_head(ok, &r, &clen, &why), KC_OK);
	ck_assert_str_eq(r.method, "POST");
	ck_assert_str_eq(r.path, "/api/x");
	ck_assert_str_eq(r.query, "a=1");
	ck_assert_int_eq(r.http_minor, 1);
	ck_assert_int_eq(clen, 42);
	ck_assert_str_eq(sbx_req_header(&r, "host"), "h");
	ck_assert_int_eq(sbx_parse_head(te, &r, &clen, &why),
	    KC_ERR_MEDIA_TYPE);
	ck_assert_int_eq(sbx_parse_head(fold, &r, &clen, &why),
	    KC_ERR_BAD_INPUT);
	ck_assert_int_eq(sbx_parse_head(neg, &r, &clen, &why),
	    KC_ERR_BAD_INPUT);
	ck_assert_int_eq(sbx_parse_head(rel, &r, &clen, &why),
	    KC_ERR_BAD_INPUT);
	ck_assert_str_eq(why, "Request target must be an absolute path");
}
END_TEST

static Suite *
unit_suite(void)
{
	Suite	*s = suite_create("sandbox_unit");
	TCase	*tc = tcase_create("rate");

	tcase_add_test(tc, test_rate_windows_scale);
	tcase_add_test(tc, test_rate_burst);
	tcase_add_test(tc, test_rate_steady);
	tcase_add_test(tc, test_rate_daily);
	tcase_add_test(tc, test_rate_unscaled_headers);
	suite_add_tcase(s, tc);
	tc = tcase_create("query");
	tcase_add_test(tc, test_query_parse);
	tcase_add_test(tc, test_url_encode);
	tcase_add_loop_test(tc, test_filter, 0,
	    (int)(sizeof(filters) / sizeof(filters[0])));
	tcase_add_test(tc, test_fields_prune);
	tcase_add_test(tc, test_cursor);
	tcase_add_loop_test(tc, test_datetime, 0,
	    (int)(sizeof(datetimes) / sizeof(datetimes[0])));
	tcase_add_loop_test(tc, test_filter_more, 0,
	    (int)(sizeof(xfilters) / sizeof(xfilters[0])));
	tcase_add_test(tc, test_filter_conds);
	tcase_add_test(tc, test_cursor_tagged);
	tcase_add_test(tc, test_parse_head);
	suite_add_tcase(s, tc);
	tc = tcase_create("time");
	tcase_add_test(tc, test_civil);
	tcase_add_loop_test(tc, test_tz_offset, 0,
	    (int)(sizeof(offsets) / sizeof(offsets[0])));
	tcase_add_test(tc, test_tz_wall);
	tcase_add_loop_test(tc, test_timeframe_keys, 0,
	    (int)(sizeof(frames) / sizeof(frames[0])));
	tcase_add_test(tc, test_timeframe_misc);
	tcase_add_test(tc, test_buckets);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(unit_suite());
	int	 failures;

	srunner_run_all(sr, CK_NORMAL);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
