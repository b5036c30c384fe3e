/*
 * Unit tests for the pure parts of heartbeat.h: the key-version array
 * literal written from a keyring, parsing it back, which process lacks
 * a version, and when a beat is due.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "heartbeat.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

START_TEST(test_literal_sorted)
{
	struct keyring	kr;
	char		out[64];

	memset(&kr, 0, sizeof(kr));
	kr.n = 3;
	kr.keys[0].version = 7;
	kr.keys[1].version = 2;
	kr.keys[2].version = 10;
	ck_assert_int_eq(heartbeat_versions_literal(&kr, out, sizeof(out)),
	    KC_OK);
	ck_assert_str_eq(out, "{2,7,10}");
	kr.n = 0;
	ck_assert_int_eq(heartbeat_versions_literal(&kr, out, sizeof(out)),
	    KC_OK);
	ck_assert_str_eq(out, "{}");
	kr.n = 3;
	/* Too small a buffer is an error, not a cut list. */
	ck_assert_int_ne(heartbeat_versions_literal(&kr, out, 6), KC_OK);
}
END_TEST

static const struct {
	const char	*in;
	int		 ok;
	int		 n;
	int		 v[3];
} parse_cases[] = {
	{ "{1}", 1, 1, { 1 } },
	{ "{3,1,2}", 1, 3, { 1, 2, 3 } },
	{ "{}", 1, 0, { 0 } },
	{ "", 0, 0, { 0 } },
	{ "{1,}", 0, 0, { 0 } },
	{ "{1", 0, 0, { 0 } },
	{ "{0}", 0, 0, { 0 } },
	{ "{-1}", 0, 0, { 0 } },
	{ "{1}x", 0, 0, { 0 } },
	{ "{a}", 0, 0, { 0 } },
	{ "{1,2,3,4}", 0, 0, { 0 } },	/* more than max (3) */
};

START_TEST(test_parse)
{
	int v[3], n, i, rc;

	rc = heartbeat_parse_versions(parse_cases[_i].in, v, 3, &n);
	ck_assert_msg((rc == KC_OK) == parse_cases[_i].ok, "%s: rc %d",
	    parse_cases[_i].in, rc);
	if (!parse_cases[_i].ok)
		return;
	ck_assert_int_eq(n, parse_cases[_i].n);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(v[i], parse_cases[_i].v[i]);
}
END_TEST

START_TEST(test_first_lacking)
{
	struct hb_proc p[3];

	memset(p, 0, sizeof(p));
	p[0].nversions = 2;
	p[0].versions[0] = 1;
	p[0].versions[1] = 2;
	p[1].nversions = 1;
	p[1].versions[0] = 1;
	p[2].nversions = 0;
	ck_assert_int_eq(heartbeat_first_lacking(p, 3, 1), 2);
	ck_assert_int_eq(heartbeat_first_lacking(p, 3, 2), 1);
	ck_assert_int_eq(heartbeat_first_lacking(p, 1, 2), -1);
	ck_assert_int_eq(heartbeat_first_lacking(p, 2, 1), -1);
	ck_assert_int_eq(heartbeat_first_lacking(p, 0, 5), -1);
}
END_TEST

START_TEST(test_due)
{
	struct heartbeat hb;

	heartbeat_init(&hb, "klaviyo-syncd");
	ck_assert_int_gt(hb.pid, 0);
	ck_assert(hb.host[0] != '\0');
	ck_assert_int_eq(heartbeat_due(&hb, 5), 1);	/* never beat */
	hb.last_ms = 1000;
	ck_assert_int_eq(heartbeat_due(&hb, 1000 + HEARTBEAT_SECONDS * 1000L
	    - 1), 0);
	ck_assert_int_eq(heartbeat_due(&hb, 1000 + HEARTBEAT_SECONDS * 1000L),
	    1);
}
END_TEST

static Suite *
heartbeat_suite(void)
{
	Suite	*s = suite_create("heartbeat");
	TCase	*tc = tcase_create("pure");

	tcase_add_test(tc, test_literal_sorted);
	tcase_add_loop_test(tc, test_parse, 0, NELEM(parse_cases));
	tcase_add_test(tc, test_first_lacking);
	tcase_add_test(tc, test_due);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(heartbeat_suite());
	int	 failures;

	srunner_run_all(sr, CK_NORMAL);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures ? 1 : 0;
}
