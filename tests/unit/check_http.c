/*
 * Unit tests for the pure HTTP helpers: request parsing from a CGI
 * environment, Content-Type, cookies, bearer tokens, query strings and
 * Origin (http_req.h), and response building and formatting
 * (http_resp.h), on plain strings with no FastCGI connection.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "http_req.h"
#include "http_resp.h"
#include "json_util.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
/* FCGX_GetParam takes char **; the tests never write through it. */
#define E(s) ((char *)(s))

static const struct {
	const char	*ct;
	int		 want;
} ct_cases[] = {
	{ "application/json", 1 },
	{ "application/json; charset=utf-8", 1 },
	{ "application/json;charset=UTF-8", 1 },
	{ "application/json ; charset=utf-8", 1 },
	{ "Application/JSON", 1 },
	{ " application/json", 1 },
	{ "text/plain", 0 },
	{ "application/jsonp", 0 },
	{ "application/json-patch+json", 0 },
	{ "application/json, text/plain", 0 },
	{ "application/", 0 },
	{ "json", 0 },
	{ "text/json", 0 },
	{ "application/x-www-form-urlencoded", 0 },
	{ "multipart/form-data; boundary=x", 0 },
	{ "", 0 },
	{ NULL, 0 },
};

START_TEST(test_json_type)
{
	ck_assert_msg(http_is_json_type(ct_cases[_i].ct) == ct_cases[_i].want,
	    "'%s': want %d", ct_cases[_i].ct ? ct_cases[_i].ct : "(null)",
	    ct_cases[_i].want);
}
END_TEST

/* value is the expected copy for KC_OK. */
static const struct {
	const char	*header;
	const char	*name;
	size_t		 outlen;
	int		 rc;
	const char	*value;
} cookie_cases[] = {
	{ "kc_session=abc", "kc_session", 64, KC_OK, "abc" },
	{ "a=1; kc_session=abc; b=2", "kc_session", 64, KC_OK, "abc" },
	{ "a=1;kc_session=abc", "kc_session", 64, KC_OK, "abc" },
	{ " ; ;kc_session=v", "kc_session", 64, KC_OK, "v" },
	{ "xkc_session=1; kc_session=abc", "kc_session", 64, KC_OK, "abc" },
	{ "kc_session_old=1; kc_session=abc", "kc_session", 64, KC_OK,
	  "abc" },
	{ "a=kc_session=evil; kc_session=good", "kc_session", 64, KC_OK,
	  "good" },
	{ "kc_session=first; kc_session=second", "kc_session", 64, KC_OK,
	  "first" },
	{ "kc_session=abc  ", "kc_session", 64, KC_OK, "abc" },
	{ "kc_session=", "kc_session", 64, KC_OK, "" },
	{ "kc_session=abcdefgh", "kc_session", 9, KC_OK, "abcdefgh" },
	{ "kc_session=abcdefgh", "kc_session", 8, KC_ERR_BAD_INPUT, NULL },
	{ "kc_sessionx=1", "kc_session", 64, KC_ERR_NOT_FOUND, NULL },
	{ "xkc_session=1", "kc_session", 64, KC_ERR_NOT_FOUND, NULL },
	{ "kc_session", "kc_session", 64, KC_ERR_NOT_FOUND, NULL },
	{ "KC_SESSION=abc", "kc_session", 64, KC_ERR_NOT_FOUND, NULL },
	{ "a=1; b=2", "kc_session", 64, KC_ERR_NOT_FOUND, NULL },
	{ "", "kc_session", 64, KC_ERR_NOT_FOUND, NULL },
	{ NULL, "kc_session", 64, KC_ERR_NOT_FOUND, NULL },
};

START_TEST(test_cookie)
{
	char	out[64];
	int	rc;

	memset(out, 'Z', sizeof(out));
	rc = http_cookie_get(cookie_cases[_i].header, cookie_cases[_i].name,
	    out, cookie_cases[_i].outlen);
	ck_assert_msg(rc == cookie_cases[_i].rc, "'%s': rc %d, want %d",
	    cookie_cases[_i].header ? cookie_cases[_i].header : "(null)",
	    rc, cookie_cases[_i].rc);
	if (rc == KC_OK)
		ck_assert_str_eq(out, cookie_cases[_i].value);
	else if (cookie_cases[_i].outlen < sizeof(out))
		/* nothing written past outlen */
		ck_assert_int_eq(out[cookie_cases[_i].outlen], 'Z');
}
END_TEST

static const struct {
	const char	*header;
	size_t		 outlen;
	int		 rc;
	const char	*value;
} bearer_cases[] = {
	{ "Bearer abc", 64, KC_OK, "abc" },
	{ "bearer abc", 64, KC_OK, "abc" },
	{ "BEARER abc", 64, KC_OK, "abc" },
	{ "Bearer   tok  ", 64, KC_OK, "tok" },
	{ "Bearer abc", 4, KC_OK, "abc" },
	{ "Bearer abc", 3, KC_ERR_BAD_INPUT, NULL },
	{ "Bearer ", 64, KC_ERR_NOT_FOUND, NULL },
	{ "Bearer    ", 64, KC_ERR_NOT_FOUND, NULL },
	{ "Bearer", 64, KC_ERR_NOT_FOUND, NULL },
	{ "Bearerabc", 64, KC_ERR_NOT_FOUND, NULL },
	{ "Basic YWJjOmRlZg==", 64, KC_ERR_NOT_FOUND, NULL },
	{ " Bearer abc", 64, KC_ERR_NOT_FOUND, NULL },
	{ "", 64, KC_ERR_NOT_FOUND, NULL },
	{ NULL, 64, KC_ERR_NOT_FOUND, NULL },
};

START_TEST(test_bearer)
{
	char	out[64];
	int	rc;

	memset(out, 'Z', sizeof(out));
	rc = http_bearer_get(bearer_cases[_i].header, out,
	    bearer_cases[_i].outlen);
	ck_assert_msg(rc == bearer_cases[_i].rc, "'%s': rc %d, want %d",
	    bearer_cases[_i].header ? bearer_cases[_i].header : "(null)",
	    rc, bearer_cases[_i].rc);
	if (rc == KC_OK)
		ck_assert_str_eq(out, bearer_cases[_i].value);
	else if (bearer_cases[_i].outlen < sizeof(out))
		ck_assert_int_eq(out[bearer_cases[_i].outlen], 'Z');
}
END_TEST

static const struct {
	const char	*query;
	const char	*name;
	size_t		 outlen;
	int		 rc;
	const char	*value;
} query_cases[] = {
	{ "apiKey=pk_abc", "apiKey", 64, KC_OK, "pk_abc" },
	{ "a=1&apiKey=pk%5Fabc&b=2", "apiKey", 64, KC_OK, "pk_abc" },
	{ "apiKey=a+b", "apiKey", 64, KC_OK, "a b" },
	{ "apiKey=a%20b%2Bc", "apiKey", 64, KC_OK, "a b+c" },
	{ "apiKey=%41%6a%6A", "apiKey", 64, KC_OK, "Ajj" },
	{ "apiKey=%e2%82%ac", "apiKey", 64, KC_OK, "\xe2\x82\xac" },
	{ "apiKey=%26%3D", "apiKey", 64, KC_OK, "&=" },
	{ "apiKey=a&", "apiKey", 64, KC_OK, "a" },
	{ "&&apiKey=v", "apiKey", 64, KC_OK, "v" },
	{ "apiKey=", "apiKey", 64, KC_OK, "" },
	{ "apiKey=1&apiKey=2", "apiKey", 64, KC_OK, "1" },
	{ "xapiKey=1&apiKey=2", "apiKey", 64, KC_OK, "2" },
	{ "apiKeyx=1&apiKey=2", "apiKey", 64, KC_OK, "2" },
	{ "a=apiKey=3&apiKey=2", "apiKey", 64, KC_OK, "2" },
	{ "apiKey=abcd", "apiKey", 5, KC_OK, "abcd" },
	{ "apiKey=abcd", "apiKey", 4, KC_ERR_BAD_INPUT, NULL },
	{ "apiKey=%41%41%41%41", "apiKey", 4, KC_ERR_BAD_INPUT, NULL },
	{ "apiKey=%zz", "apiKey", 64, KC_ERR_BAD_INPUT, NULL },
	{ "apiKey=%4", "apiKey", 64, KC_ERR_BAD_INPUT, NULL },
	{ "apiKey=%4g", "apiKey", 64, KC_ERR_BAD_INPUT, NULL },
	{ "apiKey=%", "apiKey", 64, KC_ERR_BAD_INPUT, NULL },
	{ "apiKey=%%41", "apiKey", 64, KC_ERR_BAD_INPUT, NULL },
	{ "apiKey=a%00b", "apiKey", 64, KC_ERR_BAD_INPUT, NULL },
	{ "apiKey=%00", "apiKey", 64, KC_ERR_BAD_INPUT, NULL },
	{ "apiKey", "apiKey", 64, KC_ERR_NOT_FOUND, NULL },
	{ "xapiKey=1", "apiKey", 64, KC_ERR_NOT_FOUND, NULL },
	{ "apikey=1", "apiKey", 64, KC_ERR_NOT_FOUND, NULL },
	{ "b=1", "apiKey", 64, KC_ERR_NOT_FOUND, NULL },
	{ "", "apiKey", 64, KC_ERR_NOT_FOUND, NULL },
	{ NULL, "apiKey", 64, KC_ERR_NOT_FOUND, NULL },
};

START_TEST(test_query)
{
	char	out[64];
	int	rc;

	rc = http_query_get(query_cases[_i].query, query_cases[_i].name, out,
	    query_cases[_i].outlen);
	ck_assert_msg(rc == query_cases[_i].rc, "'%s': rc %d, want %d",
	    query_cases[_i].query ? query_cases[_i].query : "(null)", rc,
	    query_cases[_i].rc);
	if (rc == KC_OK)
		ck_assert_str_eq(out, query_cases[_i].value);
}
END_TEST

#define APP "https://app.example.com"

static const struct {
	const char	*origin;
	int		 want;
} origin_cases[] = {
	{ APP, 1 },
	{ "https://APP.Example.com", 1 },
	/* No Origin header: not a cross-site browser request. */
	{ NULL, 1 },
	{ "https://evil.example.com", 0 },
	{ "https://app.example.com.evil.com", 0 },
	{ "https://app.example.co", 0 },
	{ "https://app.example.com:8443", 0 },
	{ "https://app.example.com/", 0 },
	{ "http://app.example.com", 0 },
	{ "null", 0 },
	{ "", 0 },
};

START_TEST(test_origin)
{
	ck_assert_msg(http_origin_allowed(origin_cases[_i].origin, APP) ==
	    origin_cases[_i].want, "'%s': want %d",
	    origin_cases[_i].origin ? origin_cases[_i].origin : "(null)",
	    origin_cases[_i].want);
}
END_TEST

START_TEST(test_req_parse)
{
	char		*envp[] = { E("REQUEST_METHOD=POST"),
	    E("REQUEST_URI=/api/me?x=1"), E("CONTENT_LENGTH=12"),
	    E("CONTENT_TYPE=application/json"), E("REMOTE_ADDR=192.0.2.7"),
	    E("HTTP_ORIGIN=https://app.example.com"),
	    E("REQUEST_ID=0123456789abcdef0123456789abcdef"), NULL };
	struct http_req	 r;

	ck_assert_int_eq(http_req_parse(&r, envp), KC_OK);
	ck_assert_str_eq(r.method, "POST");
	ck_assert_str_eq(r.path, "/api/me");
	ck_assert_str_eq(r.query, "x=1");
	ck_assert_int_eq(r.content_length, 12);
	ck_assert_pstr_eq(r.content_type, "application/json");
	ck_assert_str_eq(r.remote_addr, "192.0.2.7");
	ck_assert_str_eq(r.request_id, "0123456789abcdef0123456789abcdef");
	ck_assert_pstr_eq(http_req_param(&r, "HTTP_ORIGIN"), APP);
	ck_assert_ptr_null(http_req_param(&r, "HTTP_COOKIE"));
	ck_assert_ptr_null(http_req_param(&r, "HTTP_ORIG"));
	ck_assert_ptr_null(r.body);
	http_req_free(&r);
}
END_TEST

START_TEST(test_req_defaults)
{
	char		*envp[] = { E("REQUEST_URI=/api/health"), NULL };
	char		*doc[] = { E("DOCUMENT_URI=/api/me"), NULL };
	struct http_req	 r;

	ck_assert_int_eq(http_req_parse(&r, envp), KC_OK);
	ck_assert_str_eq(r.method, "GET");
	ck_assert_str_eq(r.path, "/api/health");
	ck_assert_str_eq(r.query, "");
	ck_assert_int_eq(r.content_length, -1);
	ck_assert_ptr_null(r.content_type);
	ck_assert_str_eq(r.remote_addr, "");
	http_req_free(&r);

	/* Without REQUEST_URI, DOCUMENT_URI. */
	ck_assert_int_eq(http_req_parse(&r, doc), KC_OK);
	ck_assert_str_eq(r.path, "/api/me");
	http_req_free(&r);
}
END_TEST

START_TEST(test_req_bad_uri)
{
	char		*none[] = { E("REQUEST_METHOD=GET"), NULL };
	char		*rel[] = { E("REQUEST_URI=api/me"), NULL };
	char		*star[] = { E("REQUEST_URI=*"), NULL };
	char		*empty[] = { E("REQUEST_URI="), NULL };
	struct http_req	 r;

	ck_assert_int_eq(http_req_parse(&r, none), KC_ERR_NOT_FOUND);
	ck_assert_int_eq(http_req_parse(&r, rel), KC_ERR_NOT_FOUND);
	ck_assert_int_eq(http_req_parse(&r, star), KC_ERR_NOT_FOUND);
	ck_assert_int_eq(http_req_parse(&r, empty), KC_ERR_NOT_FOUND);
	/* The request id is set even then, for the error's log line. */
	ck_assert_uint_gt(strlen(r.request_id), 0);
}
END_TEST

START_TEST(test_req_path_length)
{
	static char	 uri[2100];
	char		*envp[] = { uri, NULL };
	struct http_req	 r;
	size_t		 pre = strlen("REQUEST_URI=");

	/* 2000 characters: 404, and path stays a bounded string. */
	memcpy(uri, "REQUEST_URI=", pre);
	uri[pre] = '/';
	memset(uri + pre + 1, 'a', 1999);
	uri[pre + 2000] = '\0';
	ck_assert_int_eq(http_req_parse(&r, envp), KC_ERR_NOT_FOUND);
	ck_assert_uint_le(strlen(r.path), HTTP_PATH_MAX);

	/* Exactly HTTP_PATH_MAX fits; one more does not. */
	uri[pre + HTTP_PATH_MAX] = '\0';
	ck_assert_int_eq(http_req_parse(&r, envp), KC_OK);
	ck_assert_uint_eq(strlen(r.path), HTTP_PATH_MAX);
	uri[pre + HTTP_PATH_MAX] = 'a';
	uri[pre + HTTP_PATH_MAX + 1] = '\0';
	ck_assert_int_eq(http_req_parse(&r, envp), KC_ERR_NOT_FOUND);

	/* The limit is on the path; a long query is the caller's matter. */
	memcpy(uri + pre, "/api/me?q=", 10);
	ck_assert_int_eq(http_req_parse(&r, envp), KC_OK);
	ck_assert_str_eq(r.path, "/api/me");
	ck_assert_uint_eq(strlen(r.query), HTTP_PATH_MAX + 1 - 8);
}
END_TEST

static const struct {
	const char	*env;
	long long	 want;
} cl_cases[] = {
	{ "CONTENT_LENGTH=12", 12 },
	{ "CONTENT_LENGTH=0", 0 },
	{ "CONTENT_LENGTH=65536", 65536 },
	{ "CONTENT_LENGTH=", -1 },
	{ "CONTENT_LENGTH=abc", -1 },
	{ "CONTENT_LENGTH=-1", -1 },
	{ "CONTENT_LENGTH=12abc", -1 },
	{ "CONTENT_LENGTH=1e3", -1 },
	{ "CONTENT_LENGTH=1.0", -1 },
	{ "CONTENT_LENGTH_X=5", -1 },
};

START_TEST(test_req_content_length)
{
	char		*envp[] = { E("REQUEST_URI=/api/me"),
	    E(cl_cases[_i].env), NULL };
	struct http_req	 r;

	ck_assert_int_eq(http_req_parse(&r, envp), KC_OK);
	ck_assert_msg(r.content_length == cl_cases[_i].want,
	    "%s: %lld, want %lld", cl_cases[_i].env, r.content_length,
	    cl_cases[_i].want);
}
END_TEST

static int
is_hex16(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == 16;
}

static const struct {
	const char	*env;
	const char	*kept;	/* NULL: replaced by a generated id */
} rid_cases[] = {
	{ "REQUEST_ID=abc-123", "abc-123" },
	{ "REQUEST_ID=A", "A" },
	{ "REQUEST_ID=0123456789abcdef0123456789abcdef",
	  "0123456789abcdef0123456789abcdef" },
	{ "REQUEST_ID=0123456789abcdef0123456789abcdefX", NULL },
	{ "REQUEST_ID=", NULL },
	{ "REQUEST_ID=abc def", NULL },
	{ "REQUEST_ID=x;rm -rf", NULL },
	{ "REQUEST_ID=abc\n2024 ERROR forged", NULL },
	{ "REQUEST_ID=a_b", NULL },
	{ "REQUEST_ID=\xc3\xa9", NULL },
	{ "REQUEST_ID=%41", NULL },
	{ "X_REQUEST_ID=abc", NULL },
};

START_TEST(test_req_request_id)
{
	char		*envp[] = { E("REQUEST_URI=/api/me"),
	    E(rid_cases[_i].env), NULL };
	struct http_req	 r;
	char		 first[HTTP_REQUEST_ID_MAX + 1];

	ck_assert_int_eq(http_req_parse(&r, envp), KC_OK);
	if (rid_cases[_i].kept != NULL) {
		ck_assert_str_eq(r.request_id, rid_cases[_i].kept);
		return;
	}
	ck_assert_msg(is_hex16(r.request_id), "%s: got '%s'",
	    rid_cases[_i].env, r.request_id);
	/* Generated afresh for each request. */
	snprintf(first, sizeof(first), "%s", r.request_id);
	ck_assert_int_eq(http_req_parse(&r, envp), KC_OK);
	ck_assert_msg(is_hex16(r.request_id), "got '%s'", r.request_id);
	ck_assert_str_ne(r.request_id, first);
}
END_TEST

/* Parses a formatted body back and checks the error shape. */
static void
assert_error_body(const char *body, const char *error, const char *code)
{
	struct json_object	*o, *v;

	ck_assert_ptr_nonnull(o = json_tokener_parse(body));
	ck_assert_int_eq(json_object_object_length(o), 3);
	ck_assert(json_object_object_get_ex(o, "success", &v));
	ck_assert(json_object_is_type(v, json_type_boolean));
	ck_assert_int_eq(json_object_get_boolean(v), 0);
	ck_assert(json_object_object_get_ex(o, "error", &v));
	ck_assert(json_object_is_type(v, json_type_string));
	ck_assert_str_eq(json_object_get_string(v), error);
	ck_assert(json_object_object_get_ex(o, "code", &v));
	ck_assert_str_eq(json_object_get_string(v), code);
	json_object_put(o);
}

static const struct {
	int		 err;
	const char	*msg;
	int		 status;
	const char	*error;
	const char	*code;
} error_cases[] = {
	{ KC_ERR_BAD_INPUT, "Field 'email' is required", 400,
	  "Field 'email' is required", "bad_request" },
	{ KC_ERR_BAD_INPUT, NULL, 400, "Bad request", "bad_request" },
	{ KC_ERR_UNAUTHORIZED, NULL, 401, "Not signed in or session expired",
	  "unauthorized" },
	{ KC_ERR_FORBIDDEN, NULL, 403, "Insufficient permissions",
	  "forbidden" },
	{ KC_ERR_NOT_FOUND, NULL, 404, "Not found", "not_found" },
	{ KC_ERR_METHOD, NULL, 405, "Method not allowed",
	  "method_not_allowed" },
	{ KC_ERR_CONFLICT, "Not connected", 409, "Not connected",
	  "conflict" },
	{ KC_ERR_TOO_LARGE, NULL, 413, "Request body is larger than 64 KiB",
	  "payload_too_large" },
	{ KC_ERR_MEDIA_TYPE, NULL, 415,
	  "Request body must be application/json",
	  "unsupported_media_type" },
	{ KC_ERR_UNPROCESSABLE, NULL, 422, "Klaviyo refused the request",
	  "unprocessable" },
	{ KC_ERR_RATE_LIMITED, NULL, 429, "Too many requests, try again later",
	  "rate_limited" },
	{ KC_ERR_UPSTREAM, NULL, 502, "Klaviyo answered with an error",
	  "klaviyo_error" },
	{ KC_ERR_DB_DOWN, NULL, 503,
	  "The database is unavailable, try again shortly",
	  "database_unavailable" },
	{ KC_ERR_TIMEOUT, NULL, 504, "Klaviyo did not answer in time",
	  "klaviyo_timeout" },
	{ KC_ERR_INTERNAL, NULL, 500, "Internal error", "internal_error" },
	{ KC_ERR_NOMEM, NULL, 500, "Out of memory", "internal_error" },
	{ KC_ERR_DB, NULL, 500, "Database error", "internal_error" },
	{ KC_ERR_CRYPTO, NULL, 500, "Cryptographic failure",
	  "internal_error" },
	{ KC_ERR__MAX, NULL, 500, "Unknown error", "internal_error" },
	{ -1, NULL, 500, "Unknown error", "internal_error" },
};

START_TEST(test_resp_error)
{
	struct http_resp	r;

	http_resp_init(&r);
	http_resp_error(&r, error_cases[_i].err, error_cases[_i].msg);
	ck_assert_int_eq(r.status, error_cases[_i].status);
	ck_assert_int_eq(r.err, error_cases[_i].err);
	ck_assert_ptr_nonnull(r.json);
	assert_error_body(json_object_to_json_string_ext(r.json,
	    JSON_C_TO_STRING_PLAIN), error_cases[_i].error,
	    error_cases[_i].code);
	http_resp_free(&r);
}
END_TEST

START_TEST(test_resp_error_code)
{
	struct http_resp	r;
	struct buf		out;
	const char		*body;

	http_resp_init(&r);
	http_resp_json(&r, 200, json_object_new_object());
	/* An error replaces an earlier body. */
	http_resp_error_code(&r, KC_ERR_BAD_INPUT, "invalid_api_key_format",
	    "Key has \"quotes\"\nand a line break");
	ck_assert_int_eq(r.status, 400);
	buf_init(&out, 65536);
	ck_assert_int_eq(http_resp_format(&r, &out), KC_OK);
	ck_assert_ptr_nonnull(body = strstr(buf_cstr(&out), "\r\n\r\n"));
	body += 4;
	/* The message is escaped: one line of JSON. */
	ck_assert_ptr_null(strchr(body, '\n'));
	assert_error_body(body, "Key has \"quotes\"\nand a line break",
	    "invalid_api_key_format");
	buf_free(&out);
	http_resp_free(&r);
}
END_TEST

START_TEST(test_resp_header)
{
	struct http_resp	r;
	char			long_val[3000];

	http_resp_init(&r);
	ck_assert_int_eq(http_resp_header(&r, "Retry-After", "%d", 30),
	    KC_OK);
	ck_assert_int_eq(http_resp_header(&r, "X-Test", "%s", "a\r\nSet-Cookie:"
	    " evil=1"), KC_ERR_INTERNAL);
	ck_assert_int_eq(http_resp_header(&r, "X-Test", "%s", "a\nb"),
	    KC_ERR_INTERNAL);
	ck_assert_int_eq(http_resp_header(&r, "X-Test", "%s", "a\rb"),
	    KC_ERR_INTERNAL);
	ck_assert_int_eq(http_resp_header(&r, "X-Test", "%s", "\n"),
	    KC_ERR_INTERNAL);
	memset(long_val, 'v', sizeof(long_val) - 1);
	long_val[sizeof(long_val) - 1] = '\0';
	ck_assert_int_eq(http_resp_header(&r, "X-Long", "%s", long_val),
	    KC_ERR_INTERNAL);
	/* Rejected values left no trace. */
	ck_assert_str_eq(buf_cstr(&r.headers), "Retry-After: 30\r\n");
	ck_assert_int_eq(http_resp_header(&r, "Allow", "%s", "GET, POST"),
	    KC_OK);
	ck_assert_str_eq(buf_cstr(&r.headers),
	    "Retry-After: 30\r\nAllow: GET, POST\r\n");
	http_resp_free(&r);
}
END_TEST

/* The header block of s: from the start to the blank line, exclusive. */
static size_t
header_len(const char *s)
{
	const char *e = strstr(s, "\r\n\r\n");

	ck_assert_ptr_nonnull(e);
	return (size_t)(e - s) + 2;
}

START_TEST(test_resp_format)
{
	struct http_resp	 r;
	struct buf		 out;
	const char		*s, *body;
	char			 cl[64];
	size_t			 hlen, i;

	http_resp_init(&r);
	http_resp_error(&r, KC_ERR_NOT_FOUND, "No such route");
	ck_assert_int_eq(http_resp_header(&r, "X-Request-Id", "%s", "r-1"),
	    KC_OK);
	buf_init(&out, 65536);
	ck_assert_int_eq(http_resp_format(&r, &out), KC_OK);
	s = buf_cstr(&out);
	ck_assert_int_eq(strncmp(s, "Status: 404 Not Found\r\n", 23), 0);
	hlen = header_len(s);
	ck_assert_ptr_nonnull(strstr(s, "\r\nContent-Type: application/json"));
	ck_assert(strstr(s, "\r\nContent-Type: application/json") < s + hlen);
	ck_assert_ptr_nonnull(strstr(s, "\r\nX-Request-Id: r-1\r\n"));
	/* Every header line ends in CRLF. */
	for (i = 0; i < hlen; i++)
		if (s[i] == '\n')
			ck_assert_int_eq(s[i - 1], '\r');
	body = s + hlen + 2;
	assert_error_body(body, "No such route", "not_found");
	snprintf(cl, sizeof(cl), "\r\nContent-Length: %zu\r\n", strlen(body));
	ck_assert_ptr_nonnull(strstr(s, cl));
	ck_assert_uint_eq(out.len, strlen(s));
	buf_free(&out);
	http_resp_free(&r);
}
END_TEST

/* A streamed answer's head: no Content-Length, the body comes later. */
START_TEST(test_resp_stream_head)
{
	struct http_resp	 r;
	struct buf		 out;

	http_resp_init(&r);
	r.status = 200;
	r.text_type = "text/csv; charset=utf-8";
	ck_assert_int_eq(http_resp_header(&r, "Content-Disposition",
	    "attachment; filename=\"%s\"", "a.csv"), KC_OK);
	buf_init(&out, 65536);
	ck_assert_int_eq(http_resp_format_stream_head(&r, &out), KC_OK);
	ck_assert_str_eq(buf_cstr(&out), "Status: 200 OK\r\n"
	    "Content-Type: text/csv; charset=utf-8\r\n"
	    "Cache-Control: no-store\r\n"
	    "Content-Disposition: attachment; filename=\"a.csv\"\r\n\r\n");
	ck_assert_int_eq(r.streamed, 0);
	buf_free(&out);
	http_resp_free(&r);
}
END_TEST

START_TEST(test_resp_format_ok_and_empty)
{
	struct http_resp	 r;
	struct buf		 out;
	struct json_object	*o = json_object_new_object();
	const char		*s;

	ck_assert_int_eq(json_add_bool(o, "ok", 1), KC_OK);
	http_resp_init(&r);
	http_resp_json(&r, 200, o);
	buf_init(&out, 65536);
	ck_assert_int_eq(http_resp_format(&r, &out), KC_OK);
	s = buf_cstr(&out);
	ck_assert_int_eq(strncmp(s, "Status: 200 OK\r\n", 16), 0);
	ck_assert_str_eq(s + header_len(s) + 2, "{\"ok\":true}");
	http_resp_free(&r);

	/* No body set at all: still a well-formed 500. */
	buf_reset(&out);
	http_resp_init(&r);
	ck_assert_int_eq(http_resp_format(&r, &out), KC_OK);
	s = buf_cstr(&out);
	ck_assert_int_eq(strncmp(s, "Status: 500 Internal Server Error\r\n",
	    35), 0);
	assert_error_body(s + header_len(s) + 2, "Internal error",
	    "internal_error");
	http_resp_free(&r);
	buf_free(&out);
}
END_TEST

/* An answer to HEAD: the same headers (Content-Length too), no body. */
START_TEST(test_resp_format_head)
{
	struct http_resp	 r;
	struct buf		 out;
	struct json_object	*o = json_object_new_object();
	const char		*s;

	ck_assert_int_eq(json_add_bool(o, "ok", 1), KC_OK);
	http_resp_init(&r);
	http_resp_json(&r, 200, o);
	buf_init(&out, 65536);
	ck_assert_int_eq(http_resp_format_ext(&r, &out, 0), KC_OK);
	s = buf_cstr(&out);
	ck_assert_int_eq(strncmp(s, "Status: 200 OK\r\n", 16), 0);
	ck_assert_ptr_nonnull(strstr(s, "Content-Length: 11\r\n"));
	ck_assert_str_eq(s + header_len(s), "\r\n");
	http_resp_free(&r);
	buf_free(&out);
}
END_TEST

START_TEST(test_resp_format_cap)
{
	struct http_resp	r;
	struct buf		out;

	http_resp_init(&r);
	http_resp_error(&r, KC_ERR_NOT_FOUND, NULL);
	buf_init(&out, 32);	/* too small for the response */
	ck_assert_int_eq(http_resp_format(&r, &out), KC_ERR_TOO_LARGE);
	ck_assert_ptr_null(out.data);
	http_resp_free(&r);
}
END_TEST

START_TEST(test_status_text)
{
	ck_assert_str_eq(http_status_text(200), "OK");
	ck_assert_str_eq(http_status_text(202), "Accepted");
	ck_assert_str_eq(http_status_text(404), "Not Found");
	ck_assert_str_eq(http_status_text(405), "Method Not Allowed");
	ck_assert_str_eq(http_status_text(413), "Payload Too Large");
	ck_assert_str_eq(http_status_text(429), "Too Many Requests");
	ck_assert_str_eq(http_status_text(503), "Service Unavailable");
	ck_assert_str_eq(http_status_text(999), "Unknown");
}
END_TEST

static Suite *
http_suite(void)
{
	Suite	*s = suite_create("http");
	TCase	*th = tcase_create("helpers");
	TCase	*tq = tcase_create("request");
	TCase	*tr = tcase_create("response");

	tcase_add_loop_test(th, test_json_type, 0, NELEM(ct_cases));
	tcase_add_loop_test(th, test_cookie, 0, NELEM(cookie_cases));
	tcase_add_loop_test(th, test_bearer, 0, NELEM(bearer_cases));
	tcase_add_loop_test(th, test_query, 0, NELEM(query_cases));
	tcase_add_loop_test(th, test_origin, 0, NELEM(origin_cases));
	suite_add_tcase(s, th);

	tcase_add_test(tq, test_req_parse);
	tcase_add_test(tq, test_req_defaults);
	tcase_add_test(tq, test_req_bad_uri);
	tcase_add_test(tq, test_req_path_length);
	tcase_add_loop_test(tq, test_req_content_length, 0, NELEM(cl_cases));
	tcase_add_loop_test(tq, test_req_request_id, 0, NELEM(rid_cases));
	suite_add_tcase(s, tq);

	tcase_add_loop_test(tr, test_resp_error, 0, NELEM(error_cases));
	tcase_add_test(tr, test_resp_error_code);
	tcase_add_test(tr, test_resp_header);
	tcase_add_test(tr, test_resp_format);
	tcase_add_test(tr, test_resp_format_ok_and_empty);
	tcase_add_test(tr, test_resp_format_head);
	tcase_add_test(tr, test_resp_stream_head);
	tcase_add_test(tr, test_resp_format_cap);
	tcase_add_test(tr, test_status_text);
	suite_add_tcase(s, tr);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(http_suite());
	int	 failures;

	srunner_run_all(sr, CK_NORMAL);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures ? 1 : 0;
}
