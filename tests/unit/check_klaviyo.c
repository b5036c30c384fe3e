/*
 * Unit tests for the pure helpers of the Klaviyo client (klaviyo.h):
 * jittered exponential backoff, the same-origin check that keeps the key
 * from following a links.next anywhere else, parsing of header seconds
 * and picking the most telling of several call errors.  No network.
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "klaviyo.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- kv_backoff_ms ---- */

/* base = 250 << attempt, capped at 4000; the wait is in [base/2, base]. */
static long
base_of(int attempt)
{
	return attempt >= 4 ? 4000 : 250L << attempt;
}

static const unsigned rnds[] = {
	0, 1, 2, 7, 124, 125, 126, 250, 999, 1000, 2000, 2001, 65535,
	123456789, UINT_MAX / 2, UINT_MAX - 1, UINT_MAX,
};

START_TEST(test_backoff_range)
{
	long	base, ms;
	int	attempt;
	size_t	i;

	for (attempt = 0; attempt <= 8; attempt++) {
		base = base_of(attempt);
		for (i = 0; i < NELEM(rnds); i++) {
			ms = kv_backoff_ms(attempt, rnds[i]);
			ck_assert_msg(ms >= base / 2 && ms <= base,
			    "attempt %d rnd %u: %ld not in [%ld, %ld]",
			    attempt, rnds[i], ms, base / 2, base);
		}
		/* Both ends are reached. */
		ck_assert_int_eq(kv_backoff_ms(attempt, 0), base / 2);
		ck_assert_int_eq(kv_backoff_ms(attempt,
		    (unsigned)(base / 2)), base);
	}
}
END_TEST

START_TEST(test_backoff_grows)
{
	int attempt;

	for (attempt = 1; attempt <= 8; attempt++) {
		ck_assert_int_ge(kv_backoff_ms(attempt, 0),
		    kv_backoff_ms(attempt - 1, 0));
		ck_assert_int_ge(kv_backoff_ms(attempt,
		    (unsigned)(base_of(attempt) / 2)),
		    kv_backoff_ms(attempt - 1,
		    (unsigned)(base_of(attempt - 1) / 2)));
		if (attempt <= 4)	/* doubling until the cap */
			ck_assert_int_eq(kv_backoff_ms(attempt, 0),
			    2 * kv_backoff_ms(attempt - 1, 0));
	}
	/* Far past the cap it stays capped. */
	ck_assert_int_eq(kv_backoff_ms(30, 0), 2000);
	ck_assert_int_eq(kv_backoff_ms(63, 0), 2000);
	ck_assert_int_eq(kv_backoff_ms(64, 2000), 4000);
	ck_assert_int_eq(kv_backoff_ms(INT_MAX, 2000), 4000);
}
END_TEST

static const struct {
	int		 attempt;
	unsigned	 rnd;
	long		 ms;
} backoff_cases[] = {
	{ 0, 0, 125 },
	{ 0, 3, 128 },
	{ 0, 125, 250 },
	{ 0, 126, 125 },
	{ 0, UINT_MAX, 128 },		/* 4294967295 % 126 == 3 */
	{ 1, 0, 250 },
	{ 1, UINT_MAX, 372 },
	{ 2, 0, 500 },
	{ 2, UINT_MAX, 506 },
	{ 3, 0, 1000 },
	{ 3, 123456789, 1456 },
	{ 3, UINT_MAX, 1619 },
	{ 4, 0, 2000 },
	{ 4, 2000, 4000 },
	{ 4, UINT_MAX, 2885 },
	{ 5, 0, 2000 },
	{ 5, 123456789, 3092 },
	{ 8, UINT_MAX, 2885 },
};

START_TEST(test_backoff_values)
{
	ck_assert_msg(kv_backoff_ms(backoff_cases[_i].attempt,
	    backoff_cases[_i].rnd) == backoff_cases[_i].ms,
	    "attempt %d rnd %u: %ld, want %ld", backoff_cases[_i].attempt,
	    backoff_cases[_i].rnd, kv_backoff_ms(backoff_cases[_i].attempt,
	    backoff_cases[_i].rnd), backoff_cases[_i].ms);
}
END_TEST

/* ---- kv_same_origin ---- */

static const struct {
	const char	*base;
	const char	*url;
	int		 want;
} origin_cases[] = {
	{ "https://a.klaviyo.com",
	  "https://a.klaviyo.com/api/metrics?page%5Bcursor%5D=bmV4dA", 1 },
	{ "https://a.klaviyo.com", "https://a.klaviyo.com/api/lists", 1 },
	{ "https://a.klaviyo.com", "https://a.klaviyo.com/", 1 },
	{ "https://a.klaviyo.com", "https://a.klaviyo.com", 1 },
	{ "https://a.klaviyo.com", "https://a.klaviyo.com?page=2", 1 },

	/* Another host that starts with the same characters. */
	{ "https://a.klaviyo.com", "https://a.klaviyo.com.evil.com/api", 0 },
	{ "https://a.klaviyo.com", "https://a.klaviyo.comevil.com/api", 0 },
	{ "https://a.klaviyo.com", "https://a.klaviyo.com@evil.com/api", 0 },
	{ "https://a.klaviyo.com", "https://a.klaviyo.com\\@evil.com/", 0 },
	{ "https://a.klaviyo.com", "https://a.klaviyo.com%2F@evil.com/", 0 },
	{ "https://a.klaviyo.com", "https://a.klaviyo.com:8443/api", 0 },
	/* Another scheme. */
	{ "https://a.klaviyo.com", "http://a.klaviyo.com/api", 0 },
	{ "https://a.klaviyo.com", "ftp://a.klaviyo.com/api", 0 },
	/* The base only somewhere later in the URL. */
	{ "https://a.klaviyo.com", "https://evil.com/?https://a.klaviyo.com",
	  0 },
	{ "https://a.klaviyo.com", "https://evil.com/https://a.klaviyo.com/",
	  0 },
	/* Shorter, relative or empty. */
	{ "https://a.klaviyo.com", "https://a.klaviyo.co", 0 },
	{ "https://a.klaviyo.com", "https://a.klaviyo.co/api", 0 },
	{ "https://a.klaviyo.com", "https://", 0 },
	{ "https://a.klaviyo.com", "//a.klaviyo.com/api", 0 },
	{ "https://a.klaviyo.com", "/api/metrics", 0 },
	{ "https://a.klaviyo.com", "", 0 },

	/* A base written with a trailing slash. */
	{ "https://a.klaviyo.com/", "https://a.klaviyo.com/api/metrics", 1 },
	{ "https://a.klaviyo.com/", "https://a.klaviyo.com", 1 },
	{ "https://a.klaviyo.com/", "https://a.klaviyo.com?x=1", 1 },
	{ "https://a.klaviyo.com//", "https://a.klaviyo.com/api", 1 },
	{ "https://a.klaviyo.com/", "https://a.klaviyo.com.evil.com/", 0 },
	{ "https://a.klaviyo.com/", "http://a.klaviyo.com/api", 0 },

	/* The sandbox the integration tests point the client at. */
	{ "http://127.0.0.1:18080", "http://127.0.0.1:18080/api/lists", 1 },
	{ "http://127.0.0.1:18080", "http://127.0.0.1:180801/api/lists", 0 },
	{ "http://127.0.0.1:18080", "http://127.0.0.1:1808/api/lists", 0 },
	{ "http://127.0.0.1:18080", "http://127.0.0.10:18080/api/lists", 0 },
};

START_TEST(test_same_origin)
{
	ck_assert_msg(kv_same_origin(origin_cases[_i].base,
	    origin_cases[_i].url) == origin_cases[_i].want,
	    "base '%s' url '%s': want %d", origin_cases[_i].base,
	    origin_cases[_i].url, origin_cases[_i].want);
}
END_TEST

/* ---- kv_parse_seconds ---- */

static const struct {
	const char	*s;
	long		 want;
} seconds_cases[] = {
	{ "5", 5 },
	{ "0", 0 },
	{ "1", 1 },
	{ "60", 60 },
	{ "1.2", 2 },		/* rounded up: never retry too early */
	{ "1.0", 1 },
	{ "0.001", 1 },
	{ "59.9", 60 },
	{ " 7", 7 },
	{ "172800", 172800 },	/* two days, the largest accepted */
	{ "", -1 },
	{ NULL, -1 },
	{ "abc", -1 },
	{ "-1", -1 },
	{ "-0.5", -1 },
	{ "172801", -1 },
	{ "1e10", -1 },
	{ "99999999999999999999999999", -1 },
	{ "1e400", -1 },
	{ "inf", -1 },
	{ "-inf", -1 },
	{ "nan", -1 },
	{ "NaN", -1 },
	{ "-nan", -1 },
	{ "Wed, 21 Oct 2015 07:28:00 GMT", -1 },
};

START_TEST(test_parse_seconds)
{
	long got = kv_parse_seconds(seconds_cases[_i].s);

	ck_assert_msg(got == seconds_cases[_i].want, "'%s': %ld, want %ld",
	    seconds_cases[_i].s ? seconds_cases[_i].s : "(null)", got,
	    seconds_cases[_i].want);
}
END_TEST

/* ---- kv_worst ---- */

#define W_MAX 5

static const struct {
	size_t	n;
	int	errs[W_MAX];
	int	want;
	size_t	which;
} worst_cases[] = {
	{ 0, { 0 }, KC_OK, 0 },
	{ 1, { KC_OK }, KC_OK, 0 },
	{ 3, { KC_OK, KC_OK, KC_OK }, KC_OK, 0 },
	{ 1, { KC_ERR_UPSTREAM }, KC_ERR_UPSTREAM, 0 },
	{ 3, { KC_OK, KC_ERR_UPSTREAM, KC_OK }, KC_ERR_UPSTREAM, 1 },
	{ 3, { KC_OK, KC_OK, KC_ERR_TIMEOUT }, KC_ERR_TIMEOUT, 2 },
	{ 3, { KC_OK, KC_ERR_NOMEM, KC_OK }, KC_ERR_NOMEM, 1 },
	{ 2, { KC_ERR_UPSTREAM, KC_ERR_TIMEOUT }, KC_ERR_TIMEOUT, 1 },
	{ 2, { KC_ERR_TIMEOUT, KC_ERR_UPSTREAM }, KC_ERR_TIMEOUT, 0 },
	{ 2, { KC_ERR_TIMEOUT, KC_ERR_RATE_LIMITED }, KC_ERR_RATE_LIMITED,
	  1 },
	{ 2, { KC_ERR_RATE_LIMITED, KC_ERR_TIMEOUT }, KC_ERR_RATE_LIMITED,
	  0 },
	{ 2, { KC_ERR_RATE_LIMITED, KC_ERR_UNPROCESSABLE },
	  KC_ERR_UNPROCESSABLE, 1 },
	{ 2, { KC_ERR_UNPROCESSABLE, KC_ERR_RATE_LIMITED },
	  KC_ERR_UNPROCESSABLE, 0 },
	{ 4, { KC_ERR_UPSTREAM, KC_ERR_TIMEOUT, KC_ERR_RATE_LIMITED,
	  KC_ERR_UNPROCESSABLE }, KC_ERR_UNPROCESSABLE, 3 },
	{ 4, { KC_ERR_UNPROCESSABLE, KC_ERR_RATE_LIMITED, KC_ERR_TIMEOUT,
	  KC_ERR_UPSTREAM }, KC_ERR_UNPROCESSABLE, 0 },
	{ 5, { KC_OK, KC_ERR_UPSTREAM, KC_ERR_RATE_LIMITED, KC_OK,
	  KC_ERR_TIMEOUT }, KC_ERR_RATE_LIMITED, 2 },
	/* Equals: the first one. */
	{ 3, { KC_OK, KC_ERR_RATE_LIMITED, KC_ERR_RATE_LIMITED },
	  KC_ERR_RATE_LIMITED, 1 },
	{ 2, { KC_ERR_UPSTREAM, KC_ERR_UPSTREAM }, KC_ERR_UPSTREAM, 0 },
	/* The database being down ranks between 422 and 429. */
	{ 2, { KC_ERR_RATE_LIMITED, KC_ERR_DB_DOWN }, KC_ERR_DB_DOWN, 1 },
	{ 2, { KC_ERR_DB_DOWN, KC_ERR_UNPROCESSABLE }, KC_ERR_UNPROCESSABLE,
	  1 },
};

START_TEST(test_worst)
{
	struct kv_call	calls[W_MAX];
	size_t		i, which = 99;
	int		rc;

	memset(calls, 0, sizeof(calls));
	for (i = 0; i < worst_cases[_i].n; i++)
		calls[i].err = worst_cases[_i].errs[i];
	rc = kv_worst(calls, worst_cases[_i].n, &which);
	ck_assert_msg(rc == worst_cases[_i].want, "case %d: %s, want %s",
	    _i, kc_err_code(rc), kc_err_code(worst_cases[_i].want));
	ck_assert_uint_eq(which, worst_cases[_i].which);
	/* which may be NULL. */
	ck_assert_int_eq(kv_worst(calls, worst_cases[_i].n, NULL), rc);
}
END_TEST

START_TEST(test_page_parse)
{
	struct json_object	*data = NULL;
	char			 next[128];

	/* An array page with a next on Klaviyo's origin. */
	ck_assert_int_eq(kv_page_parse("{\"data\":[{\"id\":\"a\"},"
	    "{\"id\":\"b\"}],\"links\":{\"next\":"
	    "\"https://a.klaviyo.com/api/metrics?page%5Bcursor%5D=x\"}}",
	    "https://a.klaviyo.com/", &data, next, sizeof(next)), KC_OK);
	ck_assert_str_eq(next,
	    "https://a.klaviyo.com/api/metrics?page%5Bcursor%5D=x");
	/* A single-object page is appended; next null is no next. */
	ck_assert_int_eq(kv_page_parse("{\"data\":{\"id\":\"c\"},"
	    "\"links\":{\"next\":null}}", "https://a.klaviyo.com", &data,
	    next, sizeof(next)), KC_OK);
	ck_assert_str_eq(next, "");
	ck_assert_uint_eq(json_object_array_length(data), 3);
	/* Refused: another origin, a next too long, no data, garbage. */
	ck_assert_int_eq(kv_page_parse("{\"data\":[],\"links\":{\"next\":"
	    "\"https://a.klaviyo.com.evil.example/api\"}}",
	    "https://a.klaviyo.com", &data, next, sizeof(next)),
	    KC_ERR_UPSTREAM);
	ck_assert_int_eq(kv_page_parse("{\"data\":[],\"links\":{\"next\":"
	    "\"https://a.klaviyo.com/api/metrics?x=0123456789\"}}",
	    "https://a.klaviyo.com", &data, next, 20), KC_ERR_UPSTREAM);
	ck_assert_int_eq(kv_page_parse("{\"errors\":[]}",
	    "https://a.klaviyo.com", &data, next, sizeof(next)),
	    KC_ERR_UPSTREAM);
	ck_assert_int_eq(kv_page_parse("{\"data\":7}",
	    "https://a.klaviyo.com", &data, next, sizeof(next)),
	    KC_ERR_UPSTREAM);
	ck_assert_int_eq(kv_page_parse("{\"data\":[1,", "https://a.klaviyo.com",
	    &data, next, sizeof(next)), KC_ERR_UPSTREAM);
	ck_assert_str_eq(next, "");
	ck_assert_uint_eq(json_object_array_length(data), 3);
	json_object_put(data);
}
END_TEST

START_TEST(test_header_value)
{
	static const char line[] = "retry-after:\t 12 \r\n";
	char v[8] = "x", small[3];

	kv_header_value(line, strlen(line), "Retry-After", v, sizeof(v));
	ck_assert_str_eq(v, "12 ");
	strcpy(v, "x");
	kv_header_value(line, strlen(line), "Retry", v, sizeof(v));
	ck_assert_str_eq(v, "x");	/* another header: untouched */
	kv_header_value(line, 5, "Retry-After", v, sizeof(v));
	ck_assert_str_eq(v, "x");	/* cut short */
	kv_header_value(line, strlen(line), "Retry-After", small,
	    sizeof(small));
	ck_assert_str_eq(small, "12");	/* truncated, terminated */
}
END_TEST

static Suite *
klaviyo_suite(void)
{
	Suite	*s = suite_create("klaviyo");
	TCase	*tb = tcase_create("backoff");
	TCase	*to = tcase_create("origin");
	TCase	*tp = tcase_create("seconds");
	TCase	*tw = tcase_create("worst");
	TCase	*tg = tcase_create("page");

	tcase_add_test(tb, test_backoff_range);
	tcase_add_test(tb, test_backoff_grows);
	tcase_add_loop_test(tb, test_backoff_values, 0, NELEM(backoff_cases));
	suite_add_tcase(s, tb);

	tcase_add_loop_test(to, test_same_origin, 0, NELEM(origin_cases));
	suite_add_tcase(s, to);

	tcase_add_loop_test(tp, test_parse_seconds, 0, NELEM(seconds_cases));
	suite_add_tcase(s, tp);

	tcase_add_loop_test(tw, test_worst, 0, NELEM(worst_cases));
	suite_add_tcase(s, tw);

	tcase_add_test(tg, test_page_parse);
	tcase_add_test(tg, test_header_value);
	suite_add_tcase(s, tg);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(klaviyo_suite());
	int	 failures;

	srunner_run_all(sr, CK_NORMAL);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures ? 1 : 0;
}
