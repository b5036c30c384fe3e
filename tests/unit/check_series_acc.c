/*
 * Unit tests for the compact series sums (series_acc.h): sums per
 * (id, day) and statistic, which statistics were seen, growth past the
 * first tables, and refusals.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "series_acc.h"

/* The row of (id, day), or -1. */
static long
row_of(const struct series_acc *a, const char *id, const char *day)
{
	size_t r;

	for (r = 0; r < a->nrows; r++)
		if (strcmp(a->rows[r].id, id) == 0 &&
		    strcmp(a->rows[r].day, day) == 0)
			return (long)r;
	return -1;
}

START_TEST(test_sums)
{
	struct series_acc	a;
	long			r;

	ck_assert_int_eq(series_acc_init(&a, 3), KC_OK);
	ck_assert_int_eq(series_acc_add(&a, "XyZ1", "2026-01-02", 0, 1.5),
	    KC_OK);
	ck_assert_int_eq(series_acc_add(&a, "XyZ1", "2026-01-02", 0, 2),
	    KC_OK);
	ck_assert_int_eq(series_acc_add(&a, "XyZ1", "2026-01-02", 2, 7),
	    KC_OK);
	ck_assert_int_eq(series_acc_add(&a, "XyZ1", "2026-01-03", 1, 4),
	    KC_OK);
	ck_assert_int_eq(series_acc_add(&a, "Other", "2026-01-02", 0, 9),
	    KC_OK);
	ck_assert_uint_eq(a.nrows, 3);
	r = row_of(&a, "XyZ1", "2026-01-02");
	ck_assert_int_ge(r, 0);
	ck_assert(series_acc_value(&a, (size_t)r, 0) == 3.5);
	ck_assert(series_acc_value(&a, (size_t)r, 2) == 7);
	/* Statistic 1 never came for this day: not written as 0. */
	ck_assert_uint_eq(a.rows[r].have, 0x5);
	r = row_of(&a, "XyZ1", "2026-01-03");
	ck_assert_uint_eq(a.rows[r].have, 0x2);
	ck_assert(series_acc_value(&a, (size_t)r, 1) == 4);
	r = row_of(&a, "Other", "2026-01-02");
	ck_assert(series_acc_value(&a, (size_t)r, 0) == 9);
	series_acc_free(&a);
	ck_assert_ptr_null(a.rows);
}
END_TEST

START_TEST(test_many_rows)
{
	struct series_acc	a;
	char			id[16], day[16];
	size_t			i, d, r;

	/* 80 flows x 60 days, twice: tables grow, sums stay exact. */
	ck_assert_int_eq(series_acc_init(&a, 12), KC_OK);
	for (i = 0; i < 2 * 80 * 60; i++) {
		snprintf(id, sizeof(id), "F%zu", (i / 60) % 80);
		snprintf(day, sizeof(day), "2026-%02zu-%02zu", i % 60 / 28 + 1,
		    i % 60 % 28 + 1);
		ck_assert_int_eq(series_acc_add(&a, id, day, i % 12, 1.0),
		    KC_OK);
	}
	ck_assert_uint_eq(a.nrows, 80 * 60);
	for (r = 0, d = 0; r < a.nrows; r++)
		for (i = 0; i < 12; i++)
			if (a.rows[r].have & (1u << i))
				d += (size_t)series_acc_value(&a, r, i);
	ck_assert_uint_eq(d, 2 * 80 * 60);
	series_acc_free(&a);
}
END_TEST

START_TEST(test_refusals)
{
	struct series_acc	a;
	char			longid[SERIES_ID_MAX + 2];

	ck_assert_int_ne(series_acc_init(&a, 0), KC_OK);
	ck_assert_int_ne(series_acc_init(&a, SERIES_STATS_MAX + 1), KC_OK);
	ck_assert_int_eq(series_acc_init(&a, 2), KC_OK);
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	ck_assert_int_eq(series_acc_add(&a, longid, "2026-01-01", 0, 1),
	    KC_ERR_BAD_INPUT);
	ck_assert_int_eq(series_acc_add(&a, "a", "2026-01-01T00:00", 0, 1),
	    KC_ERR_BAD_INPUT);
	ck_assert_int_eq(series_acc_add(&a, "a", "2026-01-01", 2, 1),
	    KC_ERR_BAD_INPUT);
	ck_assert_uint_eq(a.nrows, 0);
	series_acc_free(&a);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("series_acc");
	TCase	*tc = tcase_create("pure");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, test_sums);
	tcase_add_test(tc, test_many_rows);
	tcase_add_test(tc, test_refusals);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
