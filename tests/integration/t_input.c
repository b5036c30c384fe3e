/*
 * Hostile and malformed input against POST /api/auth/login: each gets
 * the right status and code, and leaves the database as it was.
 */
#include "itest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PW "\"password\":\"" IT_PASSWORD "\""

struct snap {
	char		*sum;
	long long	 sessions;
	long long	 users;
};

static void
snap_take(struct snap *s)
{
	s->sum = it_db_snapshot();
	s->sessions = it_sql_count("SELECT count(*) FROM sessions", 0, NULL);
	s->users = it_sql_count("SELECT count(*) FROM users", 0, NULL);
}

static void
snap_same(struct snap *b)
{
	struct snap a;

	snap_take(&a);
	ck_assert_int_eq(a.sessions, b->sessions);
	ck_assert_int_eq(a.users, b->users);
	ck_assert_str_eq(a.sum, b->sum);
	free(a.sum);
	free(b->sum);
}

/* POST /api/auth/login with a raw body; no Content-Type when ct NULL. */
static void
post_login(const char *ct, const char *body, size_t len, struct it_resp *r)
{
	char		 h[128];
	const char	*hdrs[2] = { NULL, NULL };

	/* "Content-Type:" alone stops curl from adding its default. */
	snprintf(h, sizeof(h), "Content-Type:%s%s", ct ? " " : "",
	    ct ? ct : "");
	hdrs[0] = h;
	it_request("POST", "/api/auth/login", hdrs, body, len, r);
}

/* One bad body: expected status and code, database unchanged. */
static void
rejected(const char *ct, const char *body, size_t len, long status,
    const char *code, struct it_resp *r)
{
	struct snap s;

	snap_take(&s);
	post_login(ct, body, len, r);
	ck_assert_msg(r->status == status, "body %.60s -> %ld %s, want %ld",
	    body, r->status, r->body, status);
	it_assert_error(r, status, code);
	ck_assert_ptr_null(it_header(r, "Set-Cookie"));
	snap_same(&s);
}

static void
rejected_json(const char *body, long status, const char *code)
{
	struct it_resp r;

	rejected("application/json", body, strlen(body), status, code, &r);
	it_resp_free(&r);
}

START_TEST(input_malformed_json_400)
{
	rejected_json("{", 400, "bad_request");
	rejected_json("{\"email\":\"a@b.c\"," PW, 400, "bad_request");
	rejected_json("{'email':'a@b.c'}", 400, "bad_request");
	rejected_json("{\"email\":\"a@b.c\"," PW ",}", 400, "bad_request");
}
END_TEST

START_TEST(input_not_an_object_400)
{
	rejected_json("[1]", 400, "bad_request");
	rejected_json("\"x\"", 400, "bad_request");
	rejected_json("42", 400, "bad_request");
	rejected_json("null", 400, "bad_request");
}
END_TEST

START_TEST(input_trailing_garbage_400)
{
	rejected_json("{} x", 400, "bad_request");
	rejected_json("{\"email\":\"a@b.c\"," PW "}{}", 400, "bad_request");
}
END_TEST

START_TEST(input_empty_body_400)
{
	struct it_resp r;

	rejected("application/json", "", 0, 400, "bad_request", &r);
	it_resp_free(&r);
	rejected_json("   ", 400, "bad_request");
}
END_TEST

/* 400 whose message says what is wrong with the body. */
static void
rejected_utf8(const char *body)
{
	struct it_resp r;

	rejected("application/json", body, strlen(body), 400, "bad_request",
	    &r);
	ck_assert_msg(strstr(it_str(&r, "error"), "UTF-8") != NULL,
	    "error does not mention UTF-8: %s", r.body);
	it_resp_free(&r);
}

START_TEST(input_invalid_utf8_400)
{
	rejected_utf8("{\"email\":\"\xff\xfe@x\"," PW "}");
	/* A lone continuation byte, a truncated sequence. */
	rejected_utf8("{\"email\":\"a\x80@x\"," PW "}");
	rejected_utf8("{\"email\":\"a\xe2\x82@x\"," PW "}");
}
END_TEST

/*
 * Byte sequences that look like UTF-8 but are not (RFC 3629): overlong
 * forms, UTF-16 surrogates, code points above U+10FFFF.  PostgreSQL
 * refuses them, so they must be refused as bad input first.
 */
START_TEST(input_overlong_and_surrogate_utf8_400)
{
	rejected_utf8("{\"email\":\"a\xc0\xaf@x\"," PW "}");
	rejected_utf8("{\"email\":\"a\xe0\x80\xaf@x\"," PW "}");
	rejected_utf8("{\"email\":\"a\xed\xa0\x80@x\"," PW "}");
	rejected_utf8("{\"email\":\"a\xf4\x90\x80\x80@x\"," PW "}");
	rejected_utf8("{\"email\":\"a@b.c\",\"password\":\"\xc0\x80"
	    IT_PASSWORD "\"}");
}
END_TEST

START_TEST(input_body_over_64k_413)
{
	struct it_resp	 r;
	char		*body;
	size_t		 n = 70000, i;

	ck_assert_ptr_nonnull(body = malloc(n + 1));
	i = (size_t)snprintf(body, n, "{\"email\":\"a@b.c\",\"password\":\"");
	memset(body + i, 'x', n - i - 2);
	memcpy(body + n - 2, "\"}", 3);
	ck_assert_uint_eq(strlen(body), n);
	/* Valid JSON: only its size is wrong. */
	ck_assert_ptr_nonnull(r.json = json_tokener_parse(body));
	json_object_put(r.json);
	rejected("application/json", body, n, 413, "payload_too_large", &r);
	it_resp_free(&r);
	free(body);
}
END_TEST

START_TEST(input_body_10mb_413)
{
	struct it_resp	 r;
	struct snap	 s;
	char		*body;
	const char	*ct;
	size_t		 n = 10 * 1024 * 1024, i;

	ck_assert_ptr_nonnull(body = malloc(n + 1));
	i = (size_t)snprintf(body, n, "{\"email\":\"a@b.c\",\"password\":\"");
	memset(body + i, 'x', n - i - 2);
	memcpy(body + n - 2, "\"}", 3);
	snap_take(&s);
	post_login("application/json", body, n, &r);
	free(body);
	/* nginx or the application: either way a JSON 413. */
	ck_assert_msg(r.status == 413, "status %ld: %s", r.status, r.body);
	ct = it_header(&r, "Content-Type");
	ck_assert_msg(ct && strncmp(ct, "application/json", 16) == 0,
	    "content type %s", ct ? ct : "(none)");
	it_assert_error(&r, 413, "payload_too_large");
	it_resp_free(&r);
	snap_same(&s);
}
END_TEST

START_TEST(input_sql_in_email_is_just_a_string)
{
	struct it_resp	 r;
	struct snap	 s;
	long long	 tables;

	tables = it_sql_count("SELECT count(*) FROM pg_tables"
	    " WHERE schemaname = 'public'", 0, NULL);
	/* Looks like an address: looked up, not found. */
	rejected_json("{\"email\":\"a@b.c'OR'1'='1\"," PW "}", 401,
	    "invalid_credentials");
	rejected_json("{\"email\":\"x@y';DROP/**/TABLE/**/users;--\"," PW "}",
	    401, "invalid_credentials");
	rejected_json("{\"email\":\"a@b.c'/**/OR/**/1=1--\","
	    "\"password\":\"' OR '1'='1\"}", 401, "invalid_credentials");
	/*
	 * With spaces it is not an e-mail address at all: refused as bad
	 * input before any lookup (400), never a sign-in (200) or a 500.
	 */
	snap_take(&s);
	post_login("application/json", "{\"email\":\"a@b.c' OR '1'='1\"," PW
	    "}", strlen("{\"email\":\"a@b.c' OR '1'='1\"," PW "}"), &r);
	it_assert_error(&r, 400, "bad_request");
	it_resp_free(&r);
	snap_same(&s);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM pg_tables"
	    " WHERE schemaname = 'public'", 0, NULL), tables);
}
END_TEST

/*
 * {"email":...,"password":...,"x":<n opens>1<n closes>}: only the depth
 * is wrong (an extra field is otherwise ignored).
 */
static char *
nested(char open, char close, int n)
{
	char	*b = malloc((size_t)n * 6 + 128);
	int	 o, i;

	ck_assert_ptr_nonnull(b);
	o = snprintf(b, 96, "{\"email\":\"a@b.c\"," PW ",\"x\":");
	for (i = 0; i < n; i++) {
		b[o++] = open;
		if (open == '{') {
			memcpy(b + o, "\"a\":", 4);
			o += 4;
		}
	}
	b[o++] = '1';
	for (i = 0; i < n; i++)
		b[o++] = close;
	snprintf(b + o, 4, "}");
	return b;
}

START_TEST(input_deep_nesting_400)
{
	char *b;

	/* Control: shallow, the same body is a (failed) sign-in. */
	b = nested('[', ']', 5);
	rejected_json(b, 401, "invalid_credentials");
	free(b);
	b = nested('[', ']', 100);
	rejected_json(b, 400, "bad_request");
	free(b);
	b = nested('{', '}', 100);
	rejected_json(b, 400, "bad_request");
	free(b);
}
END_TEST

START_TEST(input_form_urlencoded_415)
{
	static const char body[] = "email=a%40b.c&password=correct+horse";
	struct it_resp r;

	rejected("application/x-www-form-urlencoded", body, strlen(body), 415,
	    "unsupported_media_type", &r);
	it_resp_free(&r);
	rejected("multipart/form-data; boundary=x", body, strlen(body), 415,
	    "unsupported_media_type", &r);
	it_resp_free(&r);
	/* A JSON body without any Content-Type. */
	rejected(NULL, "{}", 2, 415, "unsupported_media_type", &r);
	it_resp_free(&r);
}
END_TEST

START_TEST(input_overlong_path_404_or_414)
{
	struct it_resp	 r;
	char		 path[10100];

	/* Within nginx's 8k header buffer: over HTTP_PATH_MAX, no route. */
	memcpy(path, "/api/", 5);
	memset(path + 5, 'a', 3000);
	path[3005] = '\0';
	it_get(path, NULL, &r);
	it_assert_error(&r, 404, "not_found");
	it_resp_free(&r);
	/* A request line over that buffer: nginx's 414. */
	memset(path + 5, 'a', 10000);
	path[10005] = '\0';
	it_get(path, NULL, &r);
	it_assert_error(&r, 414, "uri_too_long");
	it_resp_free(&r);
}
END_TEST

START_TEST(input_overlong_cookie_400)
{
	struct it_resp	 r;
	char		*cookie;
	const char	*hdrs[2] = { NULL, NULL };
	size_t		 n = 20000;

	ck_assert_ptr_nonnull(cookie = malloc(n + 1));
	memcpy(cookie, "Cookie: kc_session=", 19);
	memset(cookie + 19, 'A', n - 19);
	cookie[n] = '\0';
	hdrs[0] = cookie;
	it_request("GET", "/api/me", hdrs, NULL, 0, &r);
	free(cookie);
	/* nginx's 494 reaches the client as error_page's 400. */
	it_assert_error(&r, 400, "bad_request");
	it_resp_free(&r);
}
END_TEST

START_TEST(input_escaped_nul_in_email_400)
{
	rejected_json("{\"email\":\"a@b.c\\u0000x\"," PW "}", 400,
	    "bad_request");
	rejected_json("{\"email\":\"\\u0000\"," PW "}", 400, "bad_request");
	rejected_json("{\"email\":\"a@b.c\",\"password\":\"x\\u0000y\"}",
	    400, "bad_request");
}
END_TEST

START_TEST(input_service_still_healthy)
{
	struct it_resp r;

	it_get("/api/health", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "{\"ok\":true,\"db\":true}");
	it_resp_free(&r);
}
END_TEST

Suite *
suite_input(void)
{
	Suite	*s = suite_create("input");
	TCase	*tc = tcase_create("input");

	tcase_add_test(tc, input_malformed_json_400);
	tcase_add_test(tc, input_not_an_object_400);
	tcase_add_test(tc, input_trailing_garbage_400);
	tcase_add_test(tc, input_empty_body_400);
	tcase_add_test(tc, input_invalid_utf8_400);
	tcase_add_test(tc, input_overlong_and_surrogate_utf8_400);
	tcase_add_test(tc, input_body_over_64k_413);
	tcase_add_test(tc, input_body_10mb_413);
	tcase_add_test(tc, input_sql_in_email_is_just_a_string);
	tcase_add_test(tc, input_deep_nesting_400);
	tcase_add_test(tc, input_form_urlencoded_415);
	tcase_add_test(tc, input_overlong_path_404_or_414);
	tcase_add_test(tc, input_overlong_cookie_400);
	tcase_add_test(tc, input_escaped_nul_in_email_400);
	/* Last: after all of the above. */
	tcase_add_test(tc, input_service_still_healthy);
	suite_add_tcase(s, tc);
	return s;
}
