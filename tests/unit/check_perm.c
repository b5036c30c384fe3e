/*
 * Unit tests for the pure parts of store permissions (perm.h): who may
 * manage integrations, and which store public ids are well-formed (a
 * malformed one never reaches SQL).
 */
#include <check.h>
#include <string.h>

#include "perm.h"

static const struct {
	int	level;
	int	flag;
	int	want;
} manage_cases[] = {
	{ 100, 1, 1 },	/* owner */
	{ 80, 1, 1 },	/* admin: the threshold itself */
	{ 79, 1, 0 },	/* just under */
	{ 100, 0, 0 },	/* level without the flag */
	{ 80, 0, 0 },
	{ 10, 0, 0 },	/* viewer */
	{ 10, 1, 0 },
	{ 0, 1, 0 },
	{ -1, 1, 0 },
	{ 1000, 1, 1 },
};

START_TEST(test_can_manage)
{
	ck_assert_msg(perm_can_manage(manage_cases[_i].level,
	    manage_cases[_i].flag) == manage_cases[_i].want,
	    "level %d flag %d: want %d", manage_cases[_i].level,
	    manage_cases[_i].flag, manage_cases[_i].want);
}
END_TEST

START_TEST(test_manage_threshold)
{
	ck_assert_int_eq(PERM_MANAGE_MIN_LEVEL, 80);
	ck_assert_int_eq(perm_can_manage(PERM_MANAGE_MIN_LEVEL, 1), 1);
	ck_assert_int_eq(perm_can_manage(PERM_MANAGE_MIN_LEVEL - 1, 1), 0);
}
END_TEST

static const struct {
	const char	*id;
	int		 want;
} id_cases[] = {
	{ "a", 1 },
	{ "Pe5Xw6", 1 },
	{ "store_1-A", 1 },
	{ "0123456789", 1 },
	{ "-", 1 },
	{ "_", 1 },
	{ "", 0 },
	{ "../etc", 0 },
	{ "..", 0 },
	{ "a b", 0 },
	{ "x'--", 0 },
	{ "x'OR'1=1", 0 },
	{ "%2e", 0 },
	{ "a.b", 0 },
	{ "a/b", 0 },
	{ "a\\b", 0 },
	{ "a;b", 0 },
	{ "\"x\"", 0 },
	{ "a\n", 0 },
	{ "ab\t", 0 },
	{ " a", 0 },
	{ "\xc3\xa9", 0 },
	{ "a\x7f", 0 },
};

START_TEST(test_public_id_table)
{
	ck_assert_msg(perm_public_id_valid(id_cases[_i].id) ==
	    id_cases[_i].want, "'%s': want %d", id_cases[_i].id,
	    id_cases[_i].want);
}
END_TEST

START_TEST(test_public_id_length)
{
	char id[STORE_PUBLIC_ID_MAX + 2];

	ck_assert_int_eq(STORE_PUBLIC_ID_MAX, 64);
	memset(id, 'A', sizeof(id));
	id[STORE_PUBLIC_ID_MAX] = '\0';
	ck_assert_int_eq(perm_public_id_valid(id), 1);	/* 64 */
	id[STORE_PUBLIC_ID_MAX - 1] = '.';
	ck_assert_int_eq(perm_public_id_valid(id), 0);	/* bad last char */
	id[STORE_PUBLIC_ID_MAX - 1] = 'A';
	id[STORE_PUBLIC_ID_MAX] = 'A';
	id[STORE_PUBLIC_ID_MAX + 1] = '\0';
	ck_assert_uint_eq(strlen(id), 65);
	ck_assert_int_eq(perm_public_id_valid(id), 0);	/* 65 */
}
END_TEST

static Suite *
perm_suite(void)
{
	Suite	*s = suite_create("perm");
	TCase	*tc = tcase_create("core");

	tcase_add_loop_test(tc, test_can_manage, 0,
	    sizeof(manage_cases) / sizeof(manage_cases[0]));
	tcase_add_test(tc, test_manage_threshold);
	tcase_add_loop_test(tc, test_public_id_table, 0,
	    sizeof(id_cases) / sizeof(id_cases[0]));
	tcase_add_test(tc, test_public_id_length);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(perm_suite());
	int	 failures;

	srunner_run_all(sr, CK_NORMAL);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures ? 1 : 0;
}
