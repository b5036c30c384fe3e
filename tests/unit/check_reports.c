/*
 * Unit tests for the pure parts of the reports (docs/REPORTS.md): days
 * and ranges (reports_range.h), series periods and the segment points'
 * stride, CSV cells (reports_csv.h), kinds and sort keys (reports.h).
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "reports.h"
#include "reports_csv.h"
#include "reports_range.h"

static reports_day
day(const char *s)
{
	reports_day d = 0;

	ck_assert_msg(reports_date_parse(s, &d) == KC_OK, "%s", s);
	return d;
}

static const char *
fmt(reports_day d)
{
	static char buf[REPORTS_DATE_LEN + 1];

	reports_date_format(d, buf, sizeof(buf));
	return buf;
}

START_TEST(test_dates)
{
	static const char *const good[] = { "2000-01-01", "2024-02-29",
	    "2026-12-31", "2099-12-31", "2000-02-29" };
	static const char *const bad[] = { "", "2026-1-01", "2026-01-1",
	    "2026/01/01", "2026-01-01T00", "2023-02-29", "2100-02-29",
	    "1999-12-31", "2100-01-01", "2026-13-01", "2026-00-10",
	    "2026-04-31", "2026-01-00", "+026-01-01", "2026-01-0a",
	    "2026-01-01 ", "' OR 1=1--", "2026-\xff-01", " 2026-01-01" };
	reports_day	d;
	size_t		i;

	ck_assert_int_eq(day("2000-01-01"),
	    10957);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_str_eq(fmt(day(good[i])), good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(reports_date_parse(bad[i], &d) ==
		    KC_ERR_BAD_INPUT, "accepted %s", bad[i]);
	ck_assert_int_eq(reports_date_parse(NULL, &d), KC_ERR_BAD_INPUT);
	/* Consecutive days across a leap day and a year end. */
	ck_assert_int_eq(day("2024-03-01") - day("2024-02-28"), 2);
	ck_assert_int_eq(day("2025-01-01") - day("2024-12-31"), 1);
	ck_assert_int_eq(day("2025-01-01") - day("2024-01-01"), 366);
}
END_TEST

START_TEST(test_ranges)
{
	struct reports_range	r;
	const char		*why;
	reports_day		today = day("2026-12-05");

	/* Default: 30 days ending today, the 30 before it. */
	ck_assert_int_eq(reports_range_make(NULL, NULL, today, &r, &why),
	    KC_OK);
	ck_assert_str_eq(fmt(r.from), "2026-11-06");
	ck_assert_str_eq(fmt(r.to), "2026-12-05");
	ck_assert_str_eq(fmt(r.prev_from), "2026-10-07");
	ck_assert_str_eq(fmt(r.prev_to), "2026-11-05");
	ck_assert_int_eq(reports_range_days(&r), 30);
	/* One day; its previous period is the day before. */
	ck_assert_int_eq(reports_range_make("2026-03-01", "2026-03-01",
	    today, &r, &why), KC_OK);
	ck_assert_str_eq(fmt(r.prev_from), "2026-02-28");
	ck_assert_str_eq(fmt(r.prev_to), "2026-02-28");
	/* 731 days is the most; 732 is refused naming the parameters. */
	ck_assert_int_eq(reports_range_make("2024-01-01", "2025-12-31",
	    today, &r, &why), KC_OK);
	ck_assert_int_eq(reports_range_days(&r), 731);
	ck_assert_str_eq(fmt(r.prev_from), "2021-12-31");
	ck_assert_int_eq(reports_range_make("2024-01-01", "2026-01-01",
	    today, &r, &why), KC_ERR_BAD_INPUT);
	ck_assert_ptr_nonnull(strstr(why, "'from' and 'to'"));
	/* Reversed, half given, or malformed: each names its parameter. */
	ck_assert_int_eq(reports_range_make("2026-03-02", "2026-03-01",
	    today, &r, &why), KC_ERR_BAD_INPUT);
	ck_assert_ptr_nonnull(strstr(why, "'to'"));
	ck_assert_int_eq(reports_range_make("2026-03-02", NULL, today, &r,
	    &why), KC_ERR_BAD_INPUT);
	ck_assert_ptr_nonnull(strstr(why, "go together"));
	ck_assert_int_eq(reports_range_make("2026-3-2", "2026-03-05", today,
	    &r, &why), KC_ERR_BAD_INPUT);
	ck_assert_ptr_nonnull(strstr(why, "'from'"));
	ck_assert_int_eq(reports_range_make("2026-03-02", "x", today, &r,
	    &why), KC_ERR_BAD_INPUT);
	ck_assert_ptr_nonnull(strstr(why, "'to'"));
}
END_TEST

START_TEST(test_periods)
{
	enum reports_interval	iv;
	reports_day		p;
	int			n;

	ck_assert_int_eq(reports_interval_parse(NULL, &iv), KC_OK);
	ck_assert_int_eq(iv, REPORTS_DAY);
	ck_assert_int_eq(reports_interval_parse("week", &iv), KC_OK);
	ck_assert_str_eq(reports_interval_unit(iv), "week");
	ck_assert_int_eq(reports_interval_parse("month", &iv), KC_OK);
	ck_assert_int_eq(reports_interval_parse("Week", &iv),
	    KC_ERR_BAD_INPUT);
	ck_assert_int_eq(reports_interval_parse("year", &iv),
	    KC_ERR_BAD_INPUT);
	/* Weeks start on Monday: 2026-12-05 is a Saturday. */
	ck_assert_str_eq(fmt(reports_period_start(REPORTS_WEEK,
	    day("2026-12-05"))), "2026-11-30");
	ck_assert_str_eq(fmt(reports_period_start(REPORTS_WEEK,
	    day("2026-11-30"))), "2026-11-30");
	ck_assert_str_eq(fmt(reports_period_start(REPORTS_WEEK,
	    day("2026-12-06"))), "2026-11-30");
	ck_assert_str_eq(fmt(reports_period_start(REPORTS_WEEK,
	    day("2027-01-01"))), "2026-12-28");
	ck_assert_str_eq(fmt(reports_period_start(REPORTS_MONTH,
	    day("2024-02-29"))), "2024-02-01");
	ck_assert_str_eq(fmt(reports_period_start(REPORTS_DAY,
	    day("2024-02-29"))), "2024-02-29");
	ck_assert_str_eq(fmt(reports_period_next(REPORTS_MONTH,
	    day("2024-02-01"))), "2024-03-01");
	ck_assert_str_eq(fmt(reports_period_next(REPORTS_MONTH,
	    day("2026-12-01"))), "2027-01-01");
	ck_assert_str_eq(fmt(reports_period_next(REPORTS_WEEK,
	    day("2026-12-28"))), "2027-01-04");
	/* Months of 2025-01-15 .. 2025-12-10: twelve periods. */
	for (n = 0, p = reports_period_start(REPORTS_MONTH,
	    day("2025-01-15")); p <= day("2025-12-10");
	    p = reports_period_next(REPORTS_MONTH, p))
		n++;
	ck_assert_int_eq(n, 12);
	/* Weeks of 731 days from a Wednesday: 105 (partial at both ends). */
	for (n = 0, p = reports_period_start(REPORTS_WEEK,
	    day("2025-01-01")); p <= day("2026-12-31");
	    p = reports_period_next(REPORTS_WEEK, p))
		n++;
	ck_assert_int_eq(n, 105);
}
END_TEST

/* The points reports_stride keeps of n. */
static size_t
kept(size_t n)
{
	size_t i, k = 0, s = reports_stride(n);

	for (i = 0; i < n; i++)
		k += i % s == 0 || i + 1 == n;
	return k;
}

START_TEST(test_stride)
{
	size_t n;

	ck_assert_uint_eq(reports_stride(0), 1);
	ck_assert_uint_eq(reports_stride(100), 1);
	ck_assert_uint_eq(kept(100), 100);
	for (n = 101; n <= 2000; n++) {
		ck_assert_msg(kept(n) <= REPORTS_MAX_POINTS, "n=%zu kept %zu",
		    n, kept(n));
		ck_assert_msg(kept(n) >= REPORTS_MAX_POINTS / 2,
		    "n=%zu kept %zu", n, kept(n));
	}
}
END_TEST

static const char *
cell(const char *s, enum csv_kind k)
{
	static char	 out[256];
	struct buf	 b;

	buf_init(&b, 1024);
	ck_assert_int_eq(reports_csv_cell(&b, s, k), KC_OK);
	snprintf(out, sizeof(out), "%s", b.len ? buf_cstr(&b) : "");
	buf_free(&b);
	return out;
}

START_TEST(test_csv)
{
	struct buf		 b;
	const char *const	 cells[] = { "a,b", NULL, "-1.5", "=HYPERLINK()" };
	const enum csv_kind	 kinds[] = { CSV_TEXT, CSV_TEXT, CSV_NUMBER,
	    CSV_TEXT };

	ck_assert_str_eq(cell("plain", CSV_TEXT), "plain");
	ck_assert_str_eq(cell(NULL, CSV_TEXT), "");
	ck_assert_str_eq(cell("", CSV_TEXT), "");
	ck_assert_str_eq(cell("a,b", CSV_TEXT), "\"a,b\"");
	ck_assert_str_eq(cell("say \"hi\"", CSV_TEXT), "\"say \"\"hi\"\"\"");
	ck_assert_str_eq(cell("two\r\nlines", CSV_TEXT),
	    "\"two\r\nlines\"");
	/* Formula injection: a text cell never starts with = + - @. */
	ck_assert_str_eq(cell("=1+2", CSV_TEXT), "'=1+2");
	ck_assert_str_eq(cell("+44 20", CSV_TEXT), "'+44 20");
	ck_assert_str_eq(cell("-sale-", CSV_TEXT), "'-sale-");
	ck_assert_str_eq(cell("@SUM(A1)", CSV_TEXT), "'@SUM(A1)");
	ck_assert_str_eq(cell("\tx", CSV_TEXT), "'\tx");
	ck_assert_str_eq(cell("=cmd|' /C calc'!A0,x", CSV_TEXT),
	    "\"'=cmd|' /C calc'!A0,x\"");
	ck_assert_str_eq(cell("=\"x\"", CSV_TEXT), "\"'=\"\"x\"\"\"");
	/* A number stays one. */
	ck_assert_str_eq(cell("-1.5", CSV_NUMBER), "-1.5");
	ck_assert_str_eq(cell("0.2500", CSV_NUMBER), "0.2500");
	buf_init(&b, 1024);
	ck_assert_int_eq(reports_csv_row(&b, cells, kinds, 4), KC_OK);
	ck_assert_str_eq(buf_cstr(&b), "\"a,b\",,-1.5,'=HYPERLINK()\r\n");
	buf_free(&b);
}
END_TEST

START_TEST(test_kinds)
{
	enum reports_kind k;

	ck_assert_int_eq(reports_kind_parse("campaigns", &k), KC_OK);
	ck_assert_int_eq(k, RK_CAMPAIGNS);
	ck_assert_str_eq(reports_kind_name(k), "campaigns");
	ck_assert_int_eq(reports_kind_parse("Campaigns", &k),
	    KC_ERR_NOT_FOUND);
	ck_assert_int_eq(reports_kind_parse(NULL, &k), KC_ERR_NOT_FOUND);
	ck_assert(!reports_kind_csv(RK_SUMMARY));
	ck_assert(reports_kind_csv(RK_SERIES));
	ck_assert(!reports_kind_table(RK_SERIES));
	ck_assert(reports_kind_table(RK_FORMS));
	ck_assert(reports_sort_valid(RK_CAMPAIGNS, "send_time"));
	ck_assert(!reports_sort_valid(RK_FLOWS, "send_time"));
	ck_assert(!reports_sort_valid(RK_FORMS, "revenue"));
	ck_assert(!reports_sort_valid(RK_SUMMARY, "revenue"));
	ck_assert_str_eq(reports_sort_default(RK_CAMPAIGNS), "revenue");
	ck_assert_str_eq(reports_sort_default(RK_SEGMENTS), "end_members");
	ck_assert_str_eq(reports_sort_default(RK_FORMS), "submits");
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("reports");
	TCase	*tc = tcase_create("pure");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, test_dates);
	tcase_add_test(tc, test_ranges);
	tcase_add_test(tc, test_periods);
	tcase_add_test(tc, test_stride);
	tcase_add_test(tc, test_csv);
	tcase_add_test(tc, test_kinds);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
