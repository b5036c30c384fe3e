/*
 * Unit tests for route matching (router.h) on a small table of dummy
 * handlers: exact paths, {param} extraction, the 1-64 [A-Za-z0-9_-] rule
 * for parameters (anything else is 404, so odd input never reaches a
 * handler), 405 with an Allow list, and route_param.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "router.h"

/* Dummy handlers; each returns its route's index + 1. */
static int
h_health(struct kc_ctx *c)
{
	(void)c;
	return 1;
}

static int
h_login(struct kc_ctx *c)
{
	(void)c;
	return 2;
}

static int
h_me(struct kc_ctx *c)
{
	(void)c;
	return 3;
}

static int
h_get(struct kc_ctx *c)
{
	(void)c;
	return 4;
}

static int
h_post(struct kc_ctx *c)
{
	(void)c;
	return 5;
}

static int
h_del(struct kc_ctx *c)
{
	(void)c;
	return 6;
}

static int
h_job(struct kc_ctx *c)
{
	(void)c;
	return 7;
}


#define STORE "/api/store/{storePublicId}/klaviyo-connect"

static const struct route rt[] = {
	{ "GET", "/api/health", 0, h_health },
	{ "POST", "/api/auth/login", RT_BODY | RT_MUTATES, h_login },
	{ "GET", "/api/me", RT_AUTH, h_me },
	{ "GET", STORE, RT_AUTH, h_get },
	{ "POST", STORE, RT_AUTH | RT_BODY | RT_MUTATES, h_post },
	{ "DELETE", STORE, RT_AUTH | RT_MUTATES, h_del },
	{ "GET", "/api/store/{storePublicId}/jobs/{jobId}", RT_AUTH, h_job },
};
static const size_t nrt = sizeof(rt) / sizeof(rt[0]);

/* idx is the expected route for KC_OK; p/v the expected parameters. */
static const struct {
	const char	*method;
	const char	*path;
	int		 rc;
	int		 idx;
	const char	*allow;
	const char	*p1, *v1, *p2, *v2;
} cases[] = {
	/* Exact paths. */
	{ "GET", "/api/health", KC_OK, 0, "", NULL, NULL, NULL, NULL },
	{ "POST", "/api/auth/login", KC_OK, 1, "", NULL, NULL, NULL, NULL },
	{ "GET", "/api/me", KC_OK, 2, "", NULL, NULL, NULL, NULL },
	{ "GET", "/api/me/", KC_ERR_NOT_FOUND, -1, "", NULL, NULL, NULL,
	  NULL },
	{ "GET", "/api/mex", KC_ERR_NOT_FOUND, -1, "", NULL, NULL, NULL,
	  NULL },
	{ "GET", "/api/m", KC_ERR_NOT_FOUND, -1, "", NULL, NULL, NULL, NULL },
	{ "GET", "/api", KC_ERR_NOT_FOUND, -1, "", NULL, NULL, NULL, NULL },
	{ "GET", "/", KC_ERR_NOT_FOUND, -1, "", NULL, NULL, NULL, NULL },
	{ "GET", "", KC_ERR_NOT_FOUND, -1, "", NULL, NULL, NULL, NULL },
	{ "GET", "/API/ME", KC_ERR_NOT_FOUND, -1, "", NULL, NULL, NULL,
	  NULL },
	{ "GET", "/api/health?x=1", KC_ERR_NOT_FOUND, -1, "", NULL, NULL,
	  NULL, NULL },
	{ "GET", "//api/me", KC_ERR_NOT_FOUND, -1, "", NULL, NULL, NULL,
	  NULL },

	/* One parameter. */
	{ "GET", "/api/store/Pe5Xw6/klaviyo-connect", KC_OK, 3, "",
	  "storePublicId", "Pe5Xw6", NULL, NULL },
	{ "POST", "/api/store/Pe5Xw6/klaviyo-connect", KC_OK, 4, "",
	  "storePublicId", "Pe5Xw6", NULL, NULL },
	{ "DELETE", "/api/store/Pe5Xw6/klaviyo-connect", KC_OK, 5, "",
	  "storePublicId", "Pe5Xw6", NULL, NULL },
	{ "GET", "/api/store/a-b_C9/klaviyo-connect", KC_OK, 3, "",
	  "storePublicId", "a-b_C9", NULL, NULL },
	{ "GET", "/api/store/0/klaviyo-connect", KC_OK, 3, "",
	  "storePublicId", "0", NULL, NULL },

	/* Two parameters. */
	{ "GET", "/api/store/S1/jobs/J-2", KC_OK, 6, "", "storePublicId",
	  "S1", "jobId", "J-2" },
	{ "GET", "/api/store/S1/jobs/", KC_ERR_NOT_FOUND, -1, "", NULL, NULL,
	  NULL, NULL },
	{ "GET", "/api/store/S1/jobs/J.2", KC_ERR_NOT_FOUND, -1, "", NULL,
	  NULL, NULL, NULL },

	/* Parameters with characters outside [A-Za-z0-9_-]. */
	{ "GET", "/api/store/a.b/klaviyo-connect", KC_ERR_NOT_FOUND, -1, "",
	  NULL, NULL, NULL, NULL },
	{ "GET", "/api/store/../klaviyo-connect", KC_ERR_NOT_FOUND, -1, "",
	  NULL, NULL, NULL, NULL },
	{ "GET", "/api/store/a%2eb/klaviyo-connect", KC_ERR_NOT_FOUND, -1,
	  "", NULL, NULL, NULL, NULL },
	{ "GET", "/api/store/%41/klaviyo-connect", KC_ERR_NOT_FOUND, -1, "",
	  NULL, NULL, NULL, NULL },
	{ "GET", "/api/store/a/b/klaviyo-connect", KC_ERR_NOT_FOUND, -1, "",
	  NULL, NULL, NULL, NULL },
	{ "GET", "/api/store/x'OR'1=1/klaviyo-connect", KC_ERR_NOT_FOUND, -1,
	  "", NULL, NULL, NULL, NULL },
	{ "GET", "/api/store/x'--/klaviyo-connect", KC_ERR_NOT_FOUND, -1, "",
	  NULL, NULL, NULL, NULL },
	{ "GET", "/api/store/\"x\"/klaviyo-connect", KC_ERR_NOT_FOUND, -1,
	  "", NULL, NULL, NULL, NULL },
	{ "GET", "/api/store/a b/klaviyo-connect", KC_ERR_NOT_FOUND, -1, "",
	  NULL, NULL, NULL, NULL },
	{ "GET", "/api/store/a;b/klaviyo-connect", KC_ERR_NOT_FOUND, -1, "",
	  NULL, NULL, NULL, NULL },
	{ "GET", "/api/store/\xc3\xa9/klaviyo-connect", KC_ERR_NOT_FOUND, -1,
	  "", NULL, NULL, NULL, NULL },
	{ "GET", "/api/store//klaviyo-connect", KC_ERR_NOT_FOUND, -1, "",
	  NULL, NULL, NULL, NULL },
	{ "GET", "/api/store/abc/klaviyo-connect/", KC_ERR_NOT_FOUND, -1, "",
	  NULL, NULL, NULL, NULL },
	{ "GET", "/api/store/abc/klaviyo-connectx", KC_ERR_NOT_FOUND, -1, "",
	  NULL, NULL, NULL, NULL },
	{ "GET", "/api/store/abc", KC_ERR_NOT_FOUND, -1, "", NULL, NULL,
	  NULL, NULL },
	{ "GET", "/api/store/abc/", KC_ERR_NOT_FOUND, -1, "", NULL, NULL,
	  NULL, NULL },
	{ "GET", "/api/store/{storePublicId}/klaviyo-connect",
	  KC_ERR_NOT_FOUND, -1, "", NULL, NULL, NULL, NULL },

	/* The path exists, the method does not: 405 with Allow. */
	{ "PUT", "/api/store/abc/klaviyo-connect", KC_ERR_METHOD, -1,
	  "GET, HEAD, POST, DELETE", NULL, NULL, NULL, NULL },
	{ "PATCH", "/api/store/S1/jobs/J2", KC_ERR_METHOD, -1, "GET, HEAD", NULL,
	  NULL, NULL, NULL },
	{ "GET", "/api/auth/login", KC_ERR_METHOD, -1, "POST", NULL, NULL,
	  NULL, NULL },
	{ "POST", "/api/me", KC_ERR_METHOD, -1, "GET, HEAD", NULL, NULL, NULL,
	  NULL },
	{ "DELETE", "/api/health", KC_ERR_METHOD, -1, "GET, HEAD", NULL, NULL,
	  NULL, NULL },
	{ "get", "/api/me", KC_ERR_METHOD, -1, "GET, HEAD", NULL, NULL, NULL,
	  NULL },
	/* HEAD is served by the GET route, and only by one. */
	{ "HEAD", "/api/me", KC_OK, 2, "", NULL, NULL, NULL, NULL },
	{ "HEAD", "/api/store/Pe5Xw6/klaviyo-connect", KC_OK, 3, "",
	  "storePublicId", "Pe5Xw6", NULL, NULL },
	{ "HEAD", "/api/auth/login", KC_ERR_METHOD, -1, "POST", NULL, NULL,
	  NULL, NULL },
	{ "TRACE", "/api/health", KC_ERR_METHOD, -1, "GET, HEAD", NULL, NULL,
	  NULL, NULL },
	{ "CONNECT", "/api/me", KC_ERR_METHOD, -1, "GET, HEAD", NULL, NULL,
	  NULL, NULL },
	/* A bad parameter is 404 whatever the method. */
	{ "PUT", "/api/store/a.b/klaviyo-connect", KC_ERR_NOT_FOUND, -1, "",
	  NULL, NULL, NULL, NULL },
};

START_TEST(test_match_table)
{
	const struct route	*out = &rt[0];
	struct route_params	 p;
	char			 allow[128];
	int			 rc;

	memset(allow, 'Z', sizeof(allow));
	rc = router_match(rt, nrt, cases[_i].method, cases[_i].path, &out, &p,
	    allow, sizeof(allow));
	ck_assert_msg(rc == cases[_i].rc, "%s %s: rc %d, want %d",
	    cases[_i].method, cases[_i].path, rc, cases[_i].rc);
	if (rc != KC_OK) {
		/* Allow is only defined for a 405 (and empty for a 404). */
		ck_assert_str_eq(allow, cases[_i].allow);
		ck_assert_ptr_null(out);
		ck_assert_int_eq(p.n, 0);
		return;
	}
	ck_assert_ptr_eq(out, &rt[cases[_i].idx]);
	ck_assert_int_eq(out->handler(NULL), cases[_i].idx + 1);
	ck_assert_int_eq(p.n, (cases[_i].p1 != NULL) + (cases[_i].p2 != NULL));
	if (cases[_i].p1 != NULL)
		ck_assert_pstr_eq(route_param(&p, cases[_i].p1),
		    cases[_i].v1);
	if (cases[_i].p2 != NULL)
		ck_assert_pstr_eq(route_param(&p, cases[_i].p2),
		    cases[_i].v2);
}
END_TEST

/* Parameters of exactly 64 characters match; 65 do not. */
START_TEST(test_param_length)
{
	const struct route	*out;
	struct route_params	 p;
	char			 id[ROUTE_PARAM_MAX + 2], path[256], allow[64];

	memset(id, 'a', ROUTE_PARAM_MAX);
	id[ROUTE_PARAM_MAX] = '\0';
	snprintf(path, sizeof(path), "/api/store/%s/klaviyo-connect", id);
	ck_assert_int_eq(router_match(rt, nrt, "GET", path, &out, &p, allow,
	    sizeof(allow)), KC_OK);
	ck_assert_ptr_eq(out, &rt[3]);
	ck_assert_pstr_eq(route_param(&p, "storePublicId"), id);
	ck_assert_uint_eq(strlen(route_param(&p, "storePublicId")), 64);

	memset(id, 'a', ROUTE_PARAM_MAX + 1);
	id[ROUTE_PARAM_MAX + 1] = '\0';
	snprintf(path, sizeof(path), "/api/store/%s/klaviyo-connect", id);
	ck_assert_int_eq(router_match(rt, nrt, "GET", path, &out, &p, allow,
	    sizeof(allow)), KC_ERR_NOT_FOUND);
	ck_assert_ptr_null(out);
	/* Not 405 either: no route has this path. */
	ck_assert_int_eq(router_match(rt, nrt, "PUT", path, &out, &p, allow,
	    sizeof(allow)), KC_ERR_NOT_FOUND);
	ck_assert_str_eq(allow, "");
}
END_TEST

START_TEST(test_route_param)
{
	const struct route	*out;
	struct route_params	 p;
	char			 allow[64];

	ck_assert_int_eq(router_match(rt, nrt, "GET",
	    "/api/store/S-1/jobs/job_9", &out, &p, allow, sizeof(allow)),
	    KC_OK);
	ck_assert_int_eq(p.n, 2);
	ck_assert_pstr_eq(route_param(&p, "storePublicId"), "S-1");
	ck_assert_pstr_eq(route_param(&p, "jobId"), "job_9");
	ck_assert_ptr_null(route_param(&p, "storepublicid"));
	ck_assert_ptr_null(route_param(&p, "store"));
	ck_assert_ptr_null(route_param(&p, ""));

	/* A route without parameters leaves none behind. */
	ck_assert_int_eq(router_match(rt, nrt, "GET", "/api/me", &out, &p,
	    allow, sizeof(allow)), KC_OK);
	ck_assert_int_eq(p.n, 0);
	ck_assert_ptr_null(route_param(&p, "storePublicId"));
	ck_assert_ptr_null(route_param(&p, "jobId"));
}
END_TEST

/* The first route wins when a path fits more than one pattern. */
START_TEST(test_table_order)
{
	static const struct route two[] = {
		{ "GET", "/a/{x}", 0, h_get },
		{ "GET", "/a/b", 0, h_me },
	};
	const struct route	*out;
	struct route_params	 p;
	char			 allow[64];

	ck_assert_int_eq(router_match(two, 2, "GET", "/a/b", &out, &p, allow,
	    sizeof(allow)), KC_OK);
	ck_assert_ptr_eq(out, &two[0]);
	ck_assert_pstr_eq(route_param(&p, "x"), "b");
	ck_assert_int_eq(router_match(two, 0, "GET", "/a/b", &out, &p, allow,
	    sizeof(allow)), KC_ERR_NOT_FOUND);
}
END_TEST

/* With no room for Allow the result is still 405, the buffer untouched. */
START_TEST(test_allow_no_room)
{
	const struct route	*out;
	struct route_params	 p;
	char			 allow[4] = "ZZZ";

	ck_assert_int_eq(router_match(rt, nrt, "PUT",
	    "/api/store/abc/klaviyo-connect", &out, &p, allow, 0),
	    KC_ERR_METHOD);
	ck_assert_str_eq(allow, "ZZZ");
	ck_assert_ptr_null(out);
}
END_TEST

static Suite *
router_suite(void)
{
	Suite	*s = suite_create("router");
	TCase	*tc = tcase_create("core");

	tcase_add_loop_test(tc, test_match_table, 0,
	    sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_param_length);
	tcase_add_test(tc, test_route_param);
	tcase_add_test(tc, test_table_order);
	tcase_add_test(tc, test_allow_no_room);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(router_suite());
	int	 failures;

	srunner_run_all(sr, CK_NORMAL);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures ? 1 : 0;
}
