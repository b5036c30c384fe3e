/* Unit tests: report windows, day arithmetic, delivery backoff. */
#include <check.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "outbox.h"
#include "series_acc.h"
#include "sync.h"
#include "sync_settings.h"
#include "sync_step.h"

START_TEST(day_add_table)
{
	static const struct {
		const char	*day;
		int		 n;
		const char	*want;
	} t[] = {
		{ "2026-11-25", 0, "2026-11-25" },
		{ "2026-11-25", 1, "2026-11-26" },
		{ "2026-12-31", 1, "2027-01-01" },
		{ "2024-02-28", 1, "2024-02-29" },	/* leap year */
		{ "2023-02-28", 1, "2023-03-01" },
		{ "2026-03-01", -1, "2026-02-28" },
		{ "2026-11-25", -730, "2024-11-25" },
		{ "2026-03-29", 1, "2026-03-30" },	/* a DST change */
	};
	char	out[16];
	size_t	i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ck_assert_int_eq(sync_day_add(t[i].day, t[i].n, out,
		    sizeof(out)), KC_OK);
		ck_assert_str_eq(out, t[i].want);
	}
	ck_assert_int_ne(sync_day_add("2026-1-5", 1, out, sizeof(out)),
	    KC_OK);
	ck_assert_int_ne(sync_day_add("", 1, out, sizeof(out)), KC_OK);
}
END_TEST

static const char *
win(struct json_object *ws, size_t i, size_t k)
{
	return json_object_get_string(json_object_array_get_idx(
	    json_object_array_get_idx(ws, i), k));
}

START_TEST(windows_cover_without_overlap)
{
	struct json_object	*ws;
	char			 next[16];
	size_t			 i, n;

	ck_assert_int_eq(sync_windows("2024-11-25", "2026-11-25", 60, &ws),
	    KC_OK);
	n = json_object_array_length(ws);
	/* 731 days in windows of 60: 13 windows, the last one short. */
	ck_assert_uint_eq(n, 13);
	ck_assert_str_eq(win(ws, 0, 0), "2024-11-25");
	ck_assert_str_eq(win(ws, 0, 1), "2025-01-23");
	ck_assert_str_eq(win(ws, n - 1, 1), "2026-11-25");
	for (i = 1; i < n; i++) {
		/* Each window starts the day after the previous one ends. */
		ck_assert_int_eq(sync_day_add(win(ws, i - 1, 1), 1, next,
		    sizeof(next)), KC_OK);
		ck_assert_str_eq(win(ws, i, 0), next);
	}
	json_object_put(ws);
}
END_TEST

START_TEST(windows_edges)
{
	struct json_object *ws;

	ck_assert_int_eq(sync_windows("2026-11-25", "2026-11-25", 60, &ws),
	    KC_OK);
	ck_assert_uint_eq(json_object_array_length(ws), 1);
	ck_assert_str_eq(win(ws, 0, 0), "2026-11-25");
	ck_assert_str_eq(win(ws, 0, 1), "2026-11-25");
	json_object_put(ws);
	ck_assert_int_eq(sync_windows("2026-11-26", "2026-11-25", 60, &ws),
	    KC_OK);
	ck_assert_uint_eq(json_object_array_length(ws), 0);
	json_object_put(ws);
	/* A year of values in one request: 365 days per window. */
	ck_assert_int_eq(sync_windows("2024-11-26", "2026-11-25", 365, &ws),
	    KC_OK);
	ck_assert_uint_eq(json_object_array_length(ws), 2);
	json_object_put(ws);
}
END_TEST

START_TEST(outbox_backoff_bounds)
{
	struct outbox_opts	o = { "", "", 1000, 1000, 60000 };
	long			ms, base;
	int			a;

	for (a = 1; a < 20; a++) {
		base = 1000;
		for (int i = 1; i < a && base < 60000; i++)
			base *= 2;
		if (base > 60000)
			base = 60000;
		ms = outbox_backoff_ms(&o, a, 0);
		ck_assert_int_eq(ms, base / 2);
		ms = outbox_backoff_ms(&o, a, ~0U);
		ck_assert_int_ge(ms, base / 2);
		ck_assert_int_le(ms, base);
	}
}
END_TEST

/* Report pages (kv_run's data items) from JSON text. */
static struct json_object *
pages_of(const char *text)
{
	struct json_object *p = json_tokener_parse(text);

	ck_assert_ptr_nonnull(p);
	ck_assert(json_object_is_type(p, json_type_array));
	return p;
}

START_TEST(series_fold_sums_per_object_and_day)
{
	struct sync_ctx		 sc;
	struct series_acc	 acc;
	struct json_object	*pages;
	size_t			 r;
	double			 total = 0;

	memset(&sc, 0, sizeof(sc));
	sc.type = sync_type_find("flows");
	ck_assert_ptr_nonnull(sc.type);
	pages = pages_of("[{\"attributes\":{\"date_times\":["
	    "\"2024-01-01T00:00:00-05:00\",\"2024-01-02T00:00:00-05:00\"],"
	    "\"results\":[{\"groupings\":{\"flow_id\":\"F1\"},"
	    "\"statistics\":{\"recipients\":[3,4]}},{\"groupings\":"
	    "{\"flow_id\":\"F1\"},\"statistics\":{\"recipients\":[2,0]}}"
	    "]}}]");
	ck_assert_int_eq(series_acc_init(&acc, sc.type->ncounts), KC_OK);
	ck_assert_int_eq(sync_series_fold(&sc, pages, &acc), KC_OK);
	ck_assert_uint_eq(acc.nrows, 2);
	for (r = 0; r < acc.nrows; r++)
		total += series_acc_value(&acc, r, 0);
	ck_assert(total == 9);
	series_acc_free(&acc);
	json_object_put(pages);
}
END_TEST

/*
 * Found by tests/fuzz/fuzz_report: a date_times that is not an array
 * reached json_object_array_length(), whose assertion aborted the
 * daemon.  Now the page's series are skipped (no days to put them on).
 */
START_TEST(series_fold_survives_dates_not_array)
{
	static const char *const shapes[] = { "\"2024-01-01\"", "{}", "7",
	    "null", "true" };
	struct sync_ctx		 sc;
	struct series_acc	 acc;
	struct json_object	*pages;
	char			 text[512];
	size_t			 i;

	memset(&sc, 0, sizeof(sc));
	sc.type = sync_type_find("forms");
	ck_assert_ptr_nonnull(sc.type);
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		snprintf(text, sizeof(text), "[{\"attributes\":{"
		    "\"date_times\":%s,\"results\":[{\"groupings\":"
		    "{\"form_id\":\"F1\"},\"statistics\":{\"viewed_form\":"
		    "[1]}}]}}]", shapes[i]);
		pages = pages_of(text);
		ck_assert_int_eq(series_acc_init(&acc, sc.type->ncounts),
		    KC_OK);
		ck_assert_int_eq(sync_series_fold(&sc, pages, &acc), KC_OK);
		ck_assert_uint_eq(acc.nrows, 0);
		series_acc_free(&acc);
		json_object_put(pages);
	}
}
END_TEST

START_TEST(budget_shortest_interval)
{
	const struct sync_type	*flows = &sync_types[SYNC_FLOWS];
	const struct sync_type	*orders = &sync_types[SYNC_ORDERS];
	double			 others;
	int			 h;

	ck_assert_int_eq(sync_shortest_interval(flows, 0), 1);
	ck_assert_int_eq(sync_shortest_interval(flows, 176), 1);
	ck_assert_int_eq(sync_shortest_interval(flows, 177), 2);
	ck_assert_int_eq(sync_shortest_interval(flows, 199.8), 120);
	ck_assert_int_eq(sync_shortest_interval(flows, 199.9), 0);
	ck_assert_int_eq(sync_shortest_interval(flows, SYNC_REPORTS_BUDGET), 0);
	ck_assert_int_eq(sync_shortest_interval(flows, 500), 0);
	/* Orders read events, no report: no budget. */
	ck_assert_int_eq(sync_shortest_interval(orders, 500), 1);
	ck_assert(sync_reports_per_day(orders, 1) == 0);
	ck_assert(sync_reports_per_day(flows, 12) == 2);
	/* The shortest fits, and one hour less does not. */
	for (others = 0; others < SYNC_REPORTS_BUDGET; others += 0.25) {
		h = sync_shortest_interval(flows, others);
		if (h == 0) {
			ck_assert(others + 24.0 / SYNC_INTERVAL_MAX_HOURS >
			    SYNC_REPORTS_BUDGET);
			continue;
		}
		ck_assert_int_ge(h, SYNC_INTERVAL_MIN_HOURS);
		ck_assert_int_le(h, SYNC_INTERVAL_MAX_HOURS);
		ck_assert(others + sync_reports_per_day(flows, h) <=
		    SYNC_REPORTS_BUDGET + 1e-9);
		ck_assert(h == 1 || others + sync_reports_per_day(flows,
		    h - 1) > SYNC_REPORTS_BUDGET);
	}
}
END_TEST

/*
 * Stores connecting one Klaviyo account one after another, each taking
 * the shortest interval allowed then: the account never goes over
 * Klaviyo's 225 report requests a day on that endpoint.
 */
START_TEST(budget_greedy_stores_stay_within_daily_limit)
{
	const struct sync_type	*t = &sync_types[SYNC_SEGMENTS];
	double			 used = 0;
	int			 i, h, refused = 0;

	for (i = 0; i < 1000; i++) {
		h = sync_shortest_interval(t, used);
		if (h == 0) {
			refused++;
			continue;
		}
		used += sync_reports_per_day(t, h);
		ck_assert(used <= SYNC_REPORTS_DAILY);
	}
	ck_assert(used <= SYNC_REPORTS_BUDGET + 1e-9);
	ck_assert_int_gt(refused, 0);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("sync");
	TCase	*tc = tcase_create("pure");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, day_add_table);
	tcase_add_test(tc, windows_cover_without_overlap);
	tcase_add_test(tc, windows_edges);
	tcase_add_test(tc, outbox_backoff_bounds);
	tcase_add_test(tc, series_fold_sums_per_object_and_day);
	tcase_add_test(tc, series_fold_survives_dates_not_array);
	tcase_add_test(tc, budget_shortest_interval);
	tcase_add_test(tc, budget_greedy_stores_stay_within_daily_limit);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
