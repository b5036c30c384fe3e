/* GET /api/health, unknown routes, methods, request ids, headers. */
#include "itest.h"

#include <string.h>

START_TEST(health_ok)
{
	struct it_resp r;

	it_get("/api/health", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "{\"ok\":true,\"db\":true}");
	ck_assert_ptr_nonnull(it_header(&r, "X-Request-Id"));
	ck_assert_str_eq(it_header(&r, "Cache-Control"), "no-store");
	ck_assert_str_eq(it_header(&r, "X-Content-Type-Options"), "nosniff");
	it_resp_free(&r);
}
END_TEST

START_TEST(unknown_route_404)
{
	struct it_resp r;

	it_get("/api/nope", NULL, &r);
	it_assert_error(&r, 404, "not_found");
	it_resp_free(&r);
	it_get("/api/health/", NULL, &r);
	it_assert_error(&r, 404, "not_found");
	it_resp_free(&r);
	/* Not /api/: our not-found page (www/404.html), still a 404. */
	it_get("/no-such-page", NULL, &r);
	ck_assert_int_eq(r.status, 404);
	ck_assert_msg(it_header(&r, "Content-Type") != NULL &&
	    strstr(it_header(&r, "Content-Type"), "text/html") != NULL,
	    "%s", r.body);
	ck_assert_msg(strstr(r.body, "Page not found") != NULL, "%s", r.body);
	ck_assert_str_eq(it_header(&r, "X-Content-Type-Options"), "nosniff");
	it_resp_free(&r);
}
END_TEST

START_TEST(wrong_method_405)
{
	struct it_resp r;

	it_post("/api/health", NULL, "{}", &r);
	it_assert_error(&r, 405, "method_not_allowed");
	ck_assert_str_eq(it_header(&r, "Allow"), "GET, HEAD");
	it_resp_free(&r);
	it_get("/api/auth/login", NULL, &r);
	it_assert_error(&r, 405, "method_not_allowed");
	ck_assert_str_eq(it_header(&r, "Allow"), "POST");
	it_resp_free(&r);
}
END_TEST

Suite *
suite_health(void)
{
	Suite	*s = suite_create("health");
	TCase	*tc = tcase_create("health");

	tcase_add_test(tc, health_ok);
	tcase_add_test(tc, unknown_route_404);
	tcase_add_test(tc, wrong_method_405);
	suite_add_tcase(s, tc);
	return s;
}
