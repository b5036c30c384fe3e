/*
 * Unit tests of klaviyo-sandbox's pure parts, with no server: the
 * fixed-window rate limiter and --time-scale (time passed in, never
 * slept), query decoding, filters, sparse fieldsets, cursors and
 * date-times (src/sandbox_rate.c, src/sandbox_query.c).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "sandbox.h"
#include "sandbox_query.h"
#include "sandbox_rate.h"

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
	{ "integration.name", SBX_OP_EQUALS, 0, SBX_V_STRING },
	{ "name", 0, SBX_OP_ANY | SBX_OP_EQUALS, SBX_V_STRING },
	{ "id", SBX_OP_EQUALS, SBX_OP_ANY, SBX_V_STRING },
	{ "created", SBX_OP_GREATER_THAN, 0, SBX_V_DATETIME },
	{ NULL, 0, 0, SBX_V_STRING }
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
