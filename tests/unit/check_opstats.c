/*
 * Unit tests for opstats.h: counters added by several forked processes
 * are summed in the shared region, the latency bucket a request falls
 * in, Klaviyo's 429s, rendering before opstats_init (nothing), and the
 * exposition-format checker the integration tests rely on.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "opstats.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define NPROC 4
#define PER_PROC 2000

static const struct route rt[] = {
	{ "GET", "/api/health", 0, NULL },
	{ "POST", "/api/store/{storePublicId}/klaviyo-sync", 0, NULL },
};

static double
sample(const char *text, const char *series)
{
	char		 key[512];
	const char	*p = text;
	size_t		 n;

	n = (size_t)snprintf(key, sizeof(key), "%s ", series);
	while (p != NULL && *p) {
		if (strncmp(p, key, n) == 0)
			return strtod(p + n, NULL);
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return -1;
}

static char *
render(void)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	ck_assert_int_eq(opstats_render(&b, rt, NELEM(rt)), KC_OK);
	return buf_steal(&b);
}

START_TEST(test_nothing_before_init)
{
	char *s;

	opstats_request(0, 200, 1.0);	/* no region: ignored, no crash */
	opstats_klaviyo(KV_ACCOUNTS, 200);
	s = render();
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

START_TEST(test_forked_processes_sum)
{
	char	*s;
	pid_t	 pids[NPROC];
	int	 i, k, st;

	ck_assert_int_eq(opstats_init(), KC_OK);
	for (i = 0; i < NPROC; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			for (k = 0; k < PER_PROC; k++) {
				opstats_request(0, 200, 7.0);
				opstats_klaviyo(KV_METRICS, 429);
			}
			_exit(0);
		}
	}
	for (i = 0; i < NPROC; i++) {
		ck_assert_int_eq(waitpid(pids[i], &st, 0), pids[i]);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	opstats_request(1, 202, 30000.0);	/* beyond the last bound */
	opstats_request(99, 404, 0.1);		/* no such id: unmatched */
	opstats_rate_wait(1.5);
	opstats_job_end(0);
	opstats_job_end(1);
	s = render();
	ck_assert_msg(opstats_text_valid(s), "%s", s);
	ck_assert_double_eq(sample(s, "kc_http_requests_total{route=\""
	    "/api/health\",method=\"GET\",status=\"200\"}"), NPROC * PER_PROC);
	/* 7 ms: above 5 ms, within 10 ms. */
	ck_assert_double_eq(sample(s, "kc_http_request_duration_seconds_"
	    "bucket{route=\"/api/health\",method=\"GET\",le=\"0.005\"}"), 0);
	ck_assert_double_eq(sample(s, "kc_http_request_duration_seconds_"
	    "bucket{route=\"/api/health\",method=\"GET\",le=\"0.01\"}"),
	    NPROC * PER_PROC);
	ck_assert_double_eq(sample(s, "kc_http_request_duration_seconds_"
	    "bucket{route=\"/api/store/{storePublicId}/klaviyo-sync\","
	    "method=\"POST\",le=\"10\"}"), 0);
	ck_assert_double_eq(sample(s, "kc_http_request_duration_seconds_"
	    "bucket{route=\"/api/store/{storePublicId}/klaviyo-sync\","
	    "method=\"POST\",le=\"+Inf\"}"), 1);
	ck_assert_double_eq(sample(s, "kc_http_requests_total{route=\""
	    "unmatched\",method=\"\",status=\"404\"}"), 1);
	ck_assert_double_eq(sample(s, "kc_klaviyo_requests_total{endpoint=\""
	    "metrics\",status=\"429\"}"), NPROC * PER_PROC);
	ck_assert_double_eq(sample(s, "kc_klaviyo_rate_limited_total"),
	    NPROC * PER_PROC);
	ck_assert_double_eq(sample(s, "kc_klaviyo_rate_waits_total"), 1);
	ck_assert_double_eq(sample(s, "kc_klaviyo_rate_wait_seconds_total"),
	    1.5);
	ck_assert_double_eq(sample(s, "kc_sync_jobs_ended_total{outcome="
	    "\"error\"}"), 1);
	free(s);
	opstats_fini();
}
END_TEST

static const struct {
	const char	*text;
	int		 ok;
} valid_cases[] = {
	{ "# HELP a_b x y\n# TYPE a_b counter\na_b 1\n", 1 },
	{ "a{x=\"1\",y=\"two words\"} 3.5\n", 1 },
	{ "a{le=\"+Inf\"} 7\n", 1 },
	{ "a{x=\"q\\\"uote\"} 0\n", 1 },
	{ "a 1", 0 },			/* no final newline */
	{ "", 0 },
	{ "a\n", 0 },			/* no value */
	{ "a 1x\n", 0 },
	{ "1a 1\n", 0 },
	{ "a{x=1} 1\n", 0 },		/* unquoted label value */
	{ "a{x=\"1\" 1\n", 0 },		/* unclosed */
	{ "a 1\n\nb 2\n", 0 },		/* empty line */
	{ "# HELP\n", 0 },
};

START_TEST(test_text_valid)
{
	ck_assert_msg(opstats_text_valid(valid_cases[_i].text) ==
	    valid_cases[_i].ok, "case %d", _i);
}
END_TEST

static Suite *
opstats_suite(void)
{
	Suite	*s = suite_create("opstats");
	TCase	*tc = tcase_create("opstats");

	tcase_add_test(tc, test_nothing_before_init);
	tcase_add_test(tc, test_forked_processes_sum);
	tcase_add_loop_test(tc, test_text_valid, 0, NELEM(valid_cases));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(opstats_suite());
	int	 failures;

	srunner_run_all(sr, CK_NORMAL);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures ? 1 : 0;
}
