/*
 * OAuth of klaviyo-sandbox, black-box over HTTP with libcurl, on the
 * suite's sandbox (started with --oauth-client OAUTH_CLIENT): the
 * consent page and its escaping, what goes back to redirect_uri and what
 * does not, the code exchange with PKCE S256, code reuse, client
 * authentication, refresh-token rotation, revocation, Bearer tokens on
 * the Klaviyo endpoints (account, scopes, faults, stats, expiry), the
 * control API under /__sandbox/oauth, and that no code, verifier, token
 * or secret reaches the request log or the log file.  A second sandbox
 * without --oauth-client answers 404 on /oauth/.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "check_sandbox.h"

/* base64url(SHA-256(verifier)), computed with openssl dgst. */
#define VERIFIER	"dBjftJeZ4CVP-mJ92F9TE4Dz5vkG-SJDYrjB3g9rGuI"
#define CHALLENGE	"YWlGzZ2aJ29ZGPTGjFP7spVPhoCb5bQ3YjrXYtUBJqo"
#define VERIFIER2	"the-second-verifier-for-the-sandbox-tests-0123456789"
#define CHALLENGE2	"TVwMgWJfGW475QG3Wn6LUOV89ilmySo-CL5pLyNiGY4"
#define REDIRECT	"http://app.example/oauth/callback"
#define REDIRECT_ENC	"http%3A%2F%2Fapp.example%2Foauth%2Fcallback"
#define SCOPES		"accounts:read metrics:read campaigns:read"
#define FORM		"application/x-www-form-urlencoded"

struct tokens {
	char	access[128];
	char	refresh[128];
	char	scope[256];
	long	expires_in;
};

/*
 * A request with a form or other body; Basic client credentials when
 * user is not NULL; ctype NULL lets curl say FORM for a body.
 */
static void
oreq(const char *method, const char *path, const char *user,
    const char *pass, const char *ctype, const char *body, const char *extra,
    struct hresp *r)
{
	CURL			*c;
	struct curl_slist	*h = NULL;
	char			 url[8192], line[512];

	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "%s%s", sbx_base, path);
	c = curl_easy_init();
	ck_assert_ptr_nonnull(c);
	if (ctype != NULL) {
		snprintf(line, sizeof(line), "Content-Type: %s", ctype);
		h = curl_slist_append(h, line);
	}
	if (extra != NULL)
		h = curl_slist_append(h, extra);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (h != NULL)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (user != NULL) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, pass);
	}
	if (body != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	r->cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	ck_assert_msg(r->cc == CURLE_OK, "%s %s: %s", method, path,
	    curl_easy_strerror(r->cc));
}

/* A token request with the suite's client. */
static void
token_post(const char *body, struct hresp *r)
{
	oreq("POST", "/oauth/token", OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET,
	    NULL, body, NULL, r);
}

/* The id of the account with this key, from /__sandbox/accounts. */
static void
account_id(const char *key, char *out, size_t outlen)
{
	struct hresp		 r;
	struct json_object	*o, *arr, *a;
	size_t			 i;

	out[0] = '\0';
	http("GET", "/__sandbox/accounts", NULL, NULL, NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	o = parse(&r);
	arr = member(o, "accounts");
	for (i = 0; i < json_object_array_length(arr); i++) {
		a = json_object_array_get_idx(arr, i);
		if (strcmp(str(a, "key"), key) == 0)
			snprintf(out, outlen, "%s", str(a, "id"));
	}
	json_object_put(o);
	hresp_free(&r);
	ck_assert_str_ne(out, "");
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 0;
}

/* A query parameter of the Location header, decoded; NULL if absent. */
static const char *
location_param(const struct hresp *r, const char *name, char *out,
    size_t outlen)
{
	char		 loc[8192];
	const char	*p, *v, *end;
	size_t		 n = strlen(name), o = 0;

	if (hdr(r, "Location", loc, sizeof(loc)) == NULL ||
	    (p = strchr(loc, '?')) == NULL)
		return NULL;
	for (p++; *p; p = *end ? end + 1 : end) {
		end = p + strcspn(p, "&");
		if (strncmp(p, name, n) != 0 || p[n] != '=')
			continue;
		for (v = p + n + 1; v < end && o + 1 < outlen; v++) {
			if (*v == '%' && v + 2 < end) {
				out[o++] = (char)(hexval(v[1]) * 16 +
				    hexval(v[2]));
				v += 2;
			} else
				out[o++] = *v == '+' ? ' ' : *v;
		}
		out[o] = '\0';
		return out;
	}
	return NULL;
}

/* The Location header must start with what. */
static void
expect_location(const struct hresp *r, const char *what)
{
	char loc[8192];

	ck_assert_msg(r->status == 302, "status %ld: %.300s", r->status,
	    r->body ? r->body : "");
	ck_assert_ptr_nonnull(hdr(r, "Location", loc, sizeof(loc)));
	ck_assert_msg(strncmp(loc, what, strlen(what)) == 0,
	    "Location %s, want %s...", loc, what);
}

/* The consent form, posted as the page would. */
static void
consent(const char *account, const char *scope_enc, const char *decision,
    const char *challenge, struct hresp *r)
{
	char body[2048];

	snprintf(body, sizeof(body), "response_type=code&client_id="
	    OAUTH_CLIENT_ID "&redirect_uri=%s&scope=%s&state=st%%2F1"
	    "&code_challenge=%s&code_challenge_method=S256&account=%s"
	    "&decision=%s", REDIRECT_ENC, scope_enc, challenge, account,
	    decision);
	oreq("POST", "/oauth/authorize", NULL, NULL, FORM, body, NULL, r);
}

/* Allow for account; the code in out. */
static void
get_code(const char *account, const char *scope_enc, const char *challenge,
    char *out, size_t outlen)
{
	struct hresp	 r;
	char		 state[64];

	consent(account, scope_enc, "allow", challenge, &r);
	expect_location(&r, REDIRECT "?code=");
	ck_assert_ptr_nonnull(location_param(&r, "code", out, outlen));
	ck_assert_int_ge(strlen(out), 32);
	ck_assert_ptr_nonnull(location_param(&r, "state", state,
	    sizeof(state)));
	ck_assert_str_eq(state, "st/1");
	hresp_free(&r);
}

static void
exchange(const char *code, const char *verifier, const char *redirect_enc,
    struct hresp *r)
{
	char body[1024];

	snprintf(body, sizeof(body), "grant_type=authorization_code&code=%s"
	    "&code_verifier=%s&redirect_uri=%s", code, verifier,
	    redirect_enc);
	token_post(body, r);
}

/* A 200 token answer into t. */
static void
read_tokens(const struct hresp *r, struct tokens *t)
{
	struct json_object	*o;
	char			 v[128];

	ck_assert_msg(r->status == 200, "status %ld: %.300s", r->status,
	    r->body ? r->body : "");
	ck_assert_ptr_nonnull(hdr(r, "Cache-Control", v, sizeof(v)));
	ck_assert_str_eq(v, "no-store");
	ck_assert_ptr_nonnull(hdr(r, "Content-Type", v, sizeof(v)));
	ck_assert_str_eq(v, "application/json");
	o = parse(r);
	ck_assert_str_eq(str(o, "token_type"), "Bearer");
	ck_assert_ptr_nonnull(str(o, "access_token"));
	ck_assert_ptr_nonnull(str(o, "refresh_token"));
	ck_assert_ptr_nonnull(str(o, "scope"));
	snprintf(t->access, sizeof(t->access), "%s", str(o, "access_token"));
	snprintf(t->refresh, sizeof(t->refresh), "%s",
	    str(o, "refresh_token"));
	snprintf(t->scope, sizeof(t->scope), "%s", str(o, "scope"));
	t->expires_in = json_object_get_int64(member(o, "expires_in"));
	json_object_put(o);
	ck_assert(strncmp(t->access, "kat_", 4) == 0);
	ck_assert(strncmp(t->refresh, "krt_", 4) == 0);
	ck_assert_int_ge(strlen(t->access), 40);
	ck_assert_int_ge(strlen(t->refresh), 40);
}

/* The whole flow for account: consent, code, tokens. */
static void
connect_account(const char *account, const char *scope_enc,
    struct tokens *t)
{
	struct hresp	r;
	char		code[128];

	get_code(account, scope_enc, CHALLENGE, code, sizeof(code));
	exchange(code, VERIFIER, REDIRECT_ENC, &r);
	read_tokens(&r, t);
	hresp_free(&r);
}

static void
refresh(const char *rt, struct hresp *r)
{
	char body[256];

	snprintf(body, sizeof(body), "grant_type=refresh_token&"
	    "refresh_token=%s", rt);
	token_post(body, r);
}

/* An OAuth JSON error: status and error. */
static void
expect_oauth_error(const struct hresp *r, long status, const char *error)
{
	struct json_object	*o;
	char			 v[64];

	ck_assert_msg(r->status == status, "status %ld, want %ld: %.300s",
	    r->status, status, r->body ? r->body : "");
	ck_assert_ptr_nonnull(hdr(r, "Content-Type", v, sizeof(v)));
	ck_assert_str_eq(v, "application/json");
	o = parse(r);
	ck_assert_str_eq(str(o, "error"), error);
	json_object_put(o);
}

/* GET path with a Bearer token; the answer in r. */
static void
bearer_get(const char *path, const char *access, struct hresp *r)
{
	char auth[192];

	reset_limits();
	snprintf(auth, sizeof(auth), "Bearer %s", access);
	get(path, auth, r);
}

static long
bearer_status(const char *path, const char *access)
{
	struct hresp	r;
	long		status;

	bearer_get(path, access, &r);
	status = r.status;
	if (status == 401)
		expect_error(&r, 401, "authentication_failed");
	hresp_free(&r);
	return status;
}

/* The grant of /__sandbox/oauth with this id; a new reference. */
static struct json_object *
grant(const char *id)
{
	struct hresp		 r;
	struct json_object	*o, *arr, *g = NULL;
	size_t			 i;

	http("GET", "/__sandbox/oauth", NULL, NULL, NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	o = parse(&r);
	arr = member(o, "grants");
	ck_assert_ptr_nonnull(arr);
	for (i = 0; i < json_object_array_length(arr); i++)
		if (strcmp(str(json_object_array_get_idx(arr, i), "id"),
		    id) == 0)
			g = json_object_get(json_object_array_get_idx(arr, i));
	json_object_put(o);
	hresp_free(&r);
	ck_assert_msg(g != NULL, "no grant %s", id);
	return g;
}

static void
oauth_setup(void)
{
	control("DELETE", "/__sandbox/oauth", NULL);
	control("DELETE", "/__sandbox/faults", NULL);
	reset_limits();
}

/* A JSON POST to the control API that must answer status. */
static void
ctl_post(const char *path, const char *json, long status)
{
	struct hresp r;

	http("POST", path, NULL, NULL, "Content-Type: application/json",
	    json, 0, &r);
	ck_assert_msg(r.status == status, "%s %s: %ld %s", path, json,
	    r.status, r.body);
	hresp_free(&r);
}

START_TEST(test_oauth_off)
{
	struct hresp	 r;
	const char	*tmp = getenv("TMPDIR"), *why;
	char		 log[256], base[64], saved[64];
	pid_t		 pid;
	int		 port;

	snprintf(log, sizeof(log), "%s/kc-sandbox-nooauth.%d.log",
	    tmp ? tmp : "/tmp", (int)getpid());
	ck_assert_msg(spawn_sandbox("60", log, NULL, NULL, &pid, &port,
	    &why) == 0, "%s", why);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	memcpy(saved, sbx_base, sizeof(saved));
	memcpy(sbx_base, base, sizeof(base));
	oreq("GET", "/oauth/authorize?response_type=code&client_id=x", NULL,
	    NULL, NULL, NULL, NULL, &r);
	memcpy(sbx_base, saved, sizeof(saved));
	expect_oauth_error(&r, 404, "not_found");
	hresp_free(&r);
	memcpy(sbx_base, base, sizeof(base));
	token_post("grant_type=refresh_token&refresh_token=x", &r);
	memcpy(sbx_base, saved, sizeof(saved));
	expect_oauth_error(&r, 404, "not_found");
	hresp_free(&r);
	ck_assert_int_eq(stop_pid(&pid), 0);
	unlink(log);
}
END_TEST

START_TEST(test_consent_page)
{
	struct hresp	 r;
	char		 v[128], acme[16], want[128];

	account_id(K_SHOPIFY, acme, sizeof(acme));
	oreq("GET", "/oauth/authorize?response_type=code&client_id="
	    OAUTH_CLIENT_ID "&redirect_uri=" REDIRECT_ENC "&scope=accounts%3A"
	    "read+metrics%3Aread%20profiles%3Aread&state=%3Cscript%3E%22%26%27x"
	    "&code_challenge=" CHALLENGE "&code_challenge_method=S256", NULL,
	    NULL, NULL, NULL, NULL, &r);
	ck_assert_msg(r.status == 200, "%ld %.300s", r.status, r.body);
	ck_assert_ptr_nonnull(hdr(&r, "Content-Type", v, sizeof(v)));
	ck_assert_str_eq(v, "text/html; charset=utf-8");
	ck_assert_ptr_nonnull(strstr(r.body, "<title>Authorize "
	    OAUTH_CLIENT_ID " \xe2\x80\x94 Klaviyo sandbox</title>"));
	ck_assert_ptr_nonnull(strstr(r.body, "accounts:read"));
	ck_assert_ptr_nonnull(strstr(r.body, "metrics:read"));
	ck_assert_ptr_nonnull(strstr(r.body, "profiles:read"));
	ck_assert_ptr_nonnull(strstr(r.body,
	    "<select id=\"account\" name=\"account\">"));
	snprintf(want, sizeof(want), "<option value=\"%s\" selected>Acme "
	    "Outdoor (%s)</option>", acme, acme);
	ck_assert_ptr_nonnull(strstr(r.body, want));
	ck_assert_ptr_nonnull(strstr(r.body, "Cedar &amp; Sage"));
	ck_assert_ptr_nonnull(strstr(r.body, "<form method=\"post\" "
	    "action=\"/oauth/authorize\">"));
	ck_assert_ptr_nonnull(strstr(r.body, "<button id=\"allow\" "
	    "name=\"decision\" value=\"allow\">Allow</button>"));
	ck_assert_ptr_nonnull(strstr(r.body, "<button id=\"deny\" "
	    "name=\"decision\" value=\"deny\">Deny</button>"));
	ck_assert_ptr_nonnull(strstr(r.body, "name=\"code_challenge\" "
	    "value=\"" CHALLENGE "\""));
	ck_assert_ptr_nonnull(strstr(r.body, "name=\"redirect_uri\" "
	    "value=\"" REDIRECT "\""));
	/* The state is echoed, escaped. */
	ck_assert_ptr_nonnull(strstr(r.body, "name=\"state\" "
	    "value=\"&lt;script&gt;&quot;&amp;&#39;x\""));
	ck_assert_ptr_null(strstr(r.body, "<script"));
	/* Self-contained: nothing loaded from anywhere. */
	ck_assert_ptr_null(strstr(r.body, "src="));
	ck_assert_ptr_null(strstr(r.body, "href=\"http"));
	ck_assert_ptr_null(strstr(r.body, "href=\"/"));
	ck_assert_ptr_null(hdr(&r, "Location", v, sizeof(v)));
	hresp_free(&r);
}
END_TEST

/* Requests that must not go back to their redirect_uri. */
static const char *const untrusted[] = {
	"client_id=nobody&redirect_uri=" REDIRECT_ENC,
	"redirect_uri=" REDIRECT_ENC,
	"client_id=" OAUTH_CLIENT_ID,
	"client_id=" OAUTH_CLIENT_ID "&redirect_uri=ftp%3A%2F%2Fx%2Fcb",
	"client_id=" OAUTH_CLIENT_ID "&redirect_uri=%2Foauth%2Fcallback",
	"client_id=" OAUTH_CLIENT_ID "&redirect_uri=" REDIRECT_ENC "%23frag",
	"client_id=" OAUTH_CLIENT_ID "&redirect_uri=http%3A%2F%2F",
	"client_id=" OAUTH_CLIENT_ID "&client_id=x&redirect_uri="
	    REDIRECT_ENC,
};

START_TEST(test_untrusted_client)
{
	struct hresp	 r;
	char		 path[1024], v[128];

	snprintf(path, sizeof(path), "/oauth/authorize?response_type=code&"
	    "%s&scope=accounts%%3Aread&state=s&code_challenge=" CHALLENGE
	    "&code_challenge_method=S256", untrusted[_i]);
	oreq("GET", path, NULL, NULL, NULL, NULL, NULL, &r);
	ck_assert_msg(r.status == 400, "%s: %ld", untrusted[_i], r.status);
	ck_assert_ptr_nonnull(hdr(&r, "Content-Type", v, sizeof(v)));
	ck_assert_str_eq(v, "text/html; charset=utf-8");
	ck_assert_ptr_null(hdr(&r, "Location", v, sizeof(v)));
	ck_assert_ptr_nonnull(strstr(r.body, "id=\"error\""));
	hresp_free(&r);
}
END_TEST

/* Other bad requests go back with error= and the state. */
static const struct {
	const char	*query;
	const char	*error;
} redirected[] = {
	{ "response_type=code&scope=accounts%3Aread&code_challenge="
	    CHALLENGE "&code_challenge_method=plain", "invalid_request" },
	{ "response_type=code&scope=accounts%3Aread&code_challenge="
	    CHALLENGE, "invalid_request" },
	{ "response_type=code&scope=accounts%3Aread"
	    "&code_challenge_method=S256", "invalid_request" },
	{ "response_type=code&scope=accounts%3Aread&code_challenge=short"
	    "&code_challenge_method=S256", "invalid_request" },
	{ "scope=accounts%3Aread&code_challenge=" CHALLENGE
	    "&code_challenge_method=S256", "invalid_request" },
	{ "response_type=token&scope=accounts%3Aread&code_challenge="
	    CHALLENGE "&code_challenge_method=S256",
	    "unsupported_response_type" },
	{ "response_type=code&scope=accounts%3Aread+lists%3Awrite"
	    "&code_challenge=" CHALLENGE "&code_challenge_method=S256",
	    "invalid_scope" },
	{ "response_type=code&scope=+&code_challenge=" CHALLENGE
	    "&code_challenge_method=S256", "invalid_scope" },
	{ "response_type=code&code_challenge=" CHALLENGE
	    "&code_challenge_method=S256", "invalid_scope" },
};

START_TEST(test_redirected_errors)
{
	struct hresp	 r;
	char		 path[1024], v[256];

	snprintf(path, sizeof(path), "/oauth/authorize?client_id="
	    OAUTH_CLIENT_ID "&redirect_uri=%s%%3Fx%%3D1&state=a%%20b&%s",
	    REDIRECT_ENC, redirected[_i].query);
	oreq("GET", path, NULL, NULL, NULL, NULL, NULL, &r);
	expect_location(&r, REDIRECT "?x=1&error=");
	ck_assert_ptr_nonnull(location_param(&r, "error", v, sizeof(v)));
	ck_assert_str_eq(v, redirected[_i].error);
	ck_assert_ptr_nonnull(location_param(&r, "error_description", v,
	    sizeof(v)));
	ck_assert_ptr_nonnull(location_param(&r, "state", v, sizeof(v)));
	ck_assert_str_eq(v, "a b");
	ck_assert_ptr_null(location_param(&r, "code", v, sizeof(v)));
	hresp_free(&r);
}
END_TEST

START_TEST(test_deny)
{
	struct hresp	 r;
	char		 acme[16], v[256];

	account_id(K_SHOPIFY, acme, sizeof(acme));
	consent(acme, "accounts%3Aread", "deny", CHALLENGE, &r);
	expect_location(&r, REDIRECT "?error=access_denied&");
	ck_assert_ptr_nonnull(location_param(&r, "state", v, sizeof(v)));
	ck_assert_str_eq(v, "st/1");
	ck_assert_ptr_nonnull(location_param(&r, "error_description", v,
	    sizeof(v)));
	ck_assert_ptr_null(location_param(&r, "code", v, sizeof(v)));
	hresp_free(&r);
	/* The form is re-checked: a tampered client goes nowhere. */
	oreq("POST", "/oauth/authorize", NULL, NULL, FORM, "response_type="
	    "code&client_id=evil&redirect_uri=" REDIRECT_ENC "&scope=accounts"
	    "%3Aread&code_challenge=" CHALLENGE "&code_challenge_method=S256"
	    "&decision=allow", NULL, &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert_ptr_null(hdr(&r, "Location", v, sizeof(v)));
	hresp_free(&r);
	/* Neither allow nor deny. */
	consent(acme, "accounts%3Aread", "maybe", CHALLENGE, &r);
	expect_location(&r, REDIRECT "?error=invalid_request&");
	hresp_free(&r);
	/* An account the sandbox does not have. */
	consent("nope00", "accounts%3Aread", "allow", CHALLENGE, &r);
	expect_location(&r, REDIRECT "?error=invalid_request&");
	hresp_free(&r);
}
END_TEST

START_TEST(test_code_exchange)
{
	struct hresp		 r;
	struct tokens		 t;
	struct json_object	*o, *g;
	char			 acme[16], code[128], v[64];

	account_id(K_SHOPIFY, acme, sizeof(acme));
	get_code(acme, "accounts%3Aread+metrics%3Aread%20campaigns%3Aread",
	    CHALLENGE, code, sizeof(code));
	exchange(code, VERIFIER, REDIRECT_ENC, &r);
	read_tokens(&r, &t);
	ck_assert_ptr_nonnull(hdr(&r, "Pragma", v, sizeof(v)));
	hresp_free(&r);
	ck_assert_str_eq(t.scope, SCOPES);
	ck_assert_int_eq(t.expires_in, 3600);
	/* The token is the account's: /api/accounts answers it. */
	bearer_get("/api/accounts", t.access, &r);
	ck_assert_msg(r.status == 200, "%ld %.300s", r.status, r.body);
	o = parse(&r);
	ck_assert_str_eq(str(json_object_array_get_idx(member(o, "data"), 0),
	    "id"), acme);
	json_object_put(o);
	hresp_free(&r);
	ck_assert_int_eq(bearer_status("/api/metrics", t.access), 200);
	/* Not granted: lists:read. */
	bearer_get("/api/lists", t.access, &r);
	expect_error(&r, 403, "permission_denied");
	ck_assert_ptr_nonnull(strstr(r.body, "lists:read"));
	hresp_free(&r);
	g = grant("g1");
	ck_assert_str_eq(str(g, "account"), acme);
	ck_assert_str_eq(str(g, "scopes"), SCOPES);
	ck_assert_int_eq(json_object_get_int(member(g, "access_tokens_issued")),
	    1);
	ck_assert(!json_object_get_boolean(member(g, "revoked")));
	ck_assert(json_object_is_type(member(g, "revoked_by"),
	    json_type_null));
	json_object_put(g);
}
END_TEST

START_TEST(test_code_checks)
{
	struct hresp	 r;
	struct tokens	 t;
	char		 acme[16], code[128], body[512];

	account_id(K_SHOPIFY, acme, sizeof(acme));
	get_code(acme, "accounts%3Aread", CHALLENGE, code, sizeof(code));
	/* Wrong verifier, another valid one, a malformed one. */
	exchange(code, VERIFIER2, REDIRECT_ENC, &r);
	expect_oauth_error(&r, 400, "invalid_grant");
	ck_assert_ptr_nonnull(strstr(r.body, "Invalid code verifier"));
	hresp_free(&r);
	exchange(code, "short", REDIRECT_ENC, &r);
	expect_oauth_error(&r, 400, "invalid_grant");
	hresp_free(&r);
	/* Another redirect_uri. */
	exchange(code, VERIFIER, REDIRECT_ENC "2", &r);
	expect_oauth_error(&r, 400, "invalid_grant");
	hresp_free(&r);
	/* Missing parameters. */
	snprintf(body, sizeof(body), "grant_type=authorization_code&code=%s"
	    "&redirect_uri=%s", code, REDIRECT_ENC);
	token_post(body, &r);
	expect_oauth_error(&r, 400, "invalid_request");
	hresp_free(&r);
	/* Unknown code. */
	exchange("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", VERIFIER,
	    REDIRECT_ENC, &r);
	expect_oauth_error(&r, 400, "invalid_grant");
	hresp_free(&r);
	/* A code with another challenge takes only its own verifier. */
	get_code(acme, "accounts%3Aread", CHALLENGE2, code, sizeof(code));
	exchange(code, VERIFIER, REDIRECT_ENC, &r);
	expect_oauth_error(&r, 400, "invalid_grant");
	hresp_free(&r);
	exchange(code, VERIFIER2, REDIRECT_ENC, &r);
	read_tokens(&r, &t);
	hresp_free(&r);
	ck_assert_str_eq(t.scope, "accounts:read");
}
END_TEST

START_TEST(test_code_reuse)
{
	struct hresp		 r;
	struct tokens		 t;
	struct json_object	*g;
	char			 acme[16], code[128];

	account_id(K_SHOPIFY, acme, sizeof(acme));
	get_code(acme, "accounts%3Aread", CHALLENGE, code, sizeof(code));
	exchange(code, VERIFIER, REDIRECT_ENC, &r);
	read_tokens(&r, &t);
	hresp_free(&r);
	ck_assert_int_eq(bearer_status("/api/accounts", t.access), 200);
	exchange(code, VERIFIER, REDIRECT_ENC, &r);
	expect_oauth_error(&r, 400, "invalid_grant");
	hresp_free(&r);
	/* RFC 6749 10.5: what the code gave is revoked. */
	ck_assert_int_eq(bearer_status("/api/accounts", t.access), 401);
	refresh(t.refresh, &r);
	expect_oauth_error(&r, 400, "invalid_grant");
	hresp_free(&r);
	g = grant("g1");
	ck_assert(json_object_get_boolean(member(g, "revoked")));
	ck_assert_str_eq(str(g, "revoked_by"), "code_reuse");
	json_object_put(g);
}
END_TEST

START_TEST(test_client_auth)
{
	struct hresp	 r;
	char		 v[128];

	oreq("POST", "/oauth/token", OAUTH_CLIENT_ID, "wrong", NULL,
	    "grant_type=refresh_token&refresh_token=krt_x", NULL, &r);
	expect_oauth_error(&r, 401, "invalid_client");
	ck_assert_ptr_nonnull(hdr(&r, "WWW-Authenticate", v, sizeof(v)));
	ck_assert(strncmp(v, "Basic", 5) == 0);
	hresp_free(&r);
	oreq("POST", "/oauth/token", "someone", OAUTH_CLIENT_SECRET, NULL,
	    "grant_type=refresh_token&refresh_token=krt_x", NULL, &r);
	expect_oauth_error(&r, 401, "invalid_client");
	hresp_free(&r);
	/* No Authorization; the secret in the body is not accepted. */
	oreq("POST", "/oauth/token", NULL, NULL, NULL,
	    "grant_type=refresh_token&refresh_token=krt_x&client_id="
	    OAUTH_CLIENT_ID "&client_secret=s3cret-Sandbox%2B%2F%3Dx", NULL,
	    &r);
	expect_oauth_error(&r, 401, "invalid_client");
	hresp_free(&r);
	oreq("POST", "/oauth/token", NULL, NULL, NULL,
	    "grant_type=refresh_token&refresh_token=krt_x", "Authorization: "
	    "Basic !!notbase64!!", &r);
	expect_oauth_error(&r, 401, "invalid_client");
	hresp_free(&r);
	/* Content-Type. */
	oreq("POST", "/oauth/token", OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET,
	    "application/json", "{\"grant_type\":\"refresh_token\"}", NULL,
	    &r);
	expect_oauth_error(&r, 400, "invalid_request");
	hresp_free(&r);
	/* Grant types. */
	token_post("grant_type=client_credentials", &r);
	expect_oauth_error(&r, 400, "unsupported_grant_type");
	hresp_free(&r);
	token_post("scope=accounts%3Aread", &r);
	expect_oauth_error(&r, 400, "invalid_request");
	hresp_free(&r);
	oreq("GET", "/oauth/token", NULL, NULL, NULL, NULL, NULL, &r);
	expect_oauth_error(&r, 405, "invalid_request");
	hresp_free(&r);
}
END_TEST

START_TEST(test_refresh_rotation)
{
	struct hresp		 r;
	struct tokens		 t, t2, t3;
	struct json_object	*g;
	char			 acme[16];

	account_id(K_SHOPIFY, acme, sizeof(acme));
	connect_account(acme, "accounts%3Aread+metrics%3Aread", &t);
	refresh(t.refresh, &r);
	read_tokens(&r, &t2);
	hresp_free(&r);
	ck_assert_str_ne(t2.refresh, t.refresh);
	ck_assert_str_ne(t2.access, t.access);
	ck_assert_str_eq(t2.scope, "accounts:read metrics:read");
	/* The old refresh token stops at once; the new one works. */
	refresh(t.refresh, &r);
	expect_oauth_error(&r, 400, "invalid_grant");
	ck_assert_ptr_nonnull(strstr(r.body, "refresh token is invalid, "
	    "expired or revoked"));
	hresp_free(&r);
	ck_assert_int_eq(bearer_status("/api/accounts", t2.access), 200);
	/* Without rotation the refresh token stays. */
	control("POST", "/__sandbox/oauth", "{\"rotate_refresh_tokens\":"
	    "false}");
	refresh(t2.refresh, &r);
	read_tokens(&r, &t3);
	hresp_free(&r);
	ck_assert_str_eq(t3.refresh, t2.refresh);
	refresh(t2.refresh, &r);
	ck_assert_int_eq(r.status, 200);
	hresp_free(&r);
	g = grant("g1");
	ck_assert_int_eq(json_object_get_int(member(g, "refreshes")), 3);
	ck_assert_int_eq(json_object_get_int(member(g,
	    "access_tokens_issued")), 4);
	json_object_put(g);
	/* Unknown refresh token. */
	refresh("krt_unknown", &r);
	expect_oauth_error(&r, 400, "invalid_grant");
	hresp_free(&r);
}
END_TEST

START_TEST(test_bearer_account)
{
	struct hresp		 r;
	struct tokens		 t;
	struct json_object	*o, *eps, *e;
	char			 acme[16], path[128], auth[192];
	size_t			 i;
	int			 found = 0;

	account_id(K_SHOPIFY, acme, sizeof(acme));
	connect_account(acme, "accounts%3Aread+segments%3Aread", &t);
	control("DELETE", "/__sandbox/stats", NULL);
	/* A fault set for the account's key applies to its tokens. */
	control("POST", "/__sandbox/faults", "{\"fault\":\"status\","
	    "\"status\":503,\"key\":\"" K_SHOPIFY "\",\"count\":1}");
	ck_assert_int_eq(bearer_status("/api/accounts", t.access), 503);
	ck_assert_int_eq(bearer_status("/api/accounts", t.access), 200);
	/* Counted under the account. */
	snprintf(path, sizeof(path), "/__sandbox/stats?key=%s", K_SHOPIFY);
	http("GET", path, NULL, NULL, NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	o = parse(&r);
	eps = member(json_object_array_get_idx(member(o, "stats"), 0),
	    "endpoints");
	for (i = 0; i < json_object_array_length(eps); i++) {
		e = json_object_array_get_idx(eps, i);
		if (strcmp(str(e, "path"), "/api/accounts") != 0)
			continue;
		ck_assert_int_eq(json_object_get_int(member(e, "requests")),
		    2);
		ck_assert_int_eq(json_object_get_int(member(e,
		    "server_errors")), 1);
		found = 1;
	}
	ck_assert(found);
	json_object_put(o);
	hresp_free(&r);
	/* The account's own rate buckets: its daily report quota. */
	reset_limits();
	snprintf(auth, sizeof(auth), "Bearer %s", t.access);
	http("POST", "/api/segment-values-reports", auth, REV,
	    "Content-Type: application/vnd.api+json", "{}", 0, &r);
	expect_error(&r, 400, "invalid");	/* counted: after the limits */
	hresp_free(&r);
	snprintf(path, sizeof(path), "/__sandbox/stats?key=%s", K_SHOPIFY);
	http("GET", path, NULL, NULL, NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	o = parse(&r);
	eps = member(json_object_array_get_idx(member(o, "stats"), 0),
	    "endpoints");
	for (i = 0, found = 0; i < json_object_array_length(eps); i++) {
		e = json_object_array_get_idx(eps, i);
		if (strcmp(str(e, "path"), "/api/segment-values-reports") !=
		    0)
			continue;
		ck_assert_int_eq(json_object_get_int(member(e,
		    "daily.used")), 1);
		found = 1;
	}
	ck_assert(found);
	json_object_put(o);
	hresp_free(&r);
	/* Unknown tokens. */
	ck_assert_int_eq(bearer_status("/api/accounts", "kat_unknown"), 401);
	ck_assert_int_eq(bearer_status("/api/accounts", t.refresh), 401);
}
END_TEST

START_TEST(test_expire)
{
	struct hresp	 r;
	struct tokens	 t, t2;
	char		 acme[16];

	account_id(K_SHOPIFY, acme, sizeof(acme));
	connect_account(acme, "accounts%3Aread", &t);
	ck_assert_int_eq(bearer_status("/api/accounts", t.access), 200);
	http("POST", "/__sandbox/oauth/expire", NULL, NULL, NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "\"expired\":1"));
	hresp_free(&r);
	ck_assert_int_eq(bearer_status("/api/accounts", t.access), 401);
	/* The refresh token still gets a fresh access token. */
	refresh(t.refresh, &r);
	read_tokens(&r, &t2);
	hresp_free(&r);
	ck_assert_int_eq(bearer_status("/api/accounts", t2.access), 200);
}
END_TEST

START_TEST(test_ttl)
{
	struct hresp	 r;
	struct tokens	 t;
	char		 acme[16];

	account_id(K_SHOPIFY, acme, sizeof(acme));
	ctl_post("/__sandbox/oauth", "{\"access_token_ttl\":0}", 400);
	ctl_post("/__sandbox/oauth", "{\"ttl\":5}", 400);
	http("POST", "/__sandbox/oauth", NULL, NULL, "Content-Type: "
	    "application/json", "{\"access_token_ttl\":1}", 0, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "\"access_token_ttl\":1"));
	hresp_free(&r);
	connect_account(acme, "accounts%3Aread", &t);
	ck_assert_int_eq(t.expires_in, 1);
	ck_assert_int_eq(bearer_status("/api/accounts", t.access), 200);
	usleep(1100 * 1000);	/* real seconds, not scaled */
	ck_assert_int_eq(bearer_status("/api/accounts", t.access), 401);
	/* DELETE puts the start-up settings back. */
	http("DELETE", "/__sandbox/oauth", NULL, NULL, NULL, NULL, 0, &r);
	hresp_free(&r);
	http("GET", "/__sandbox/oauth", NULL, NULL, NULL, NULL, 0, &r);
	ck_assert_ptr_nonnull(strstr(r.body, "\"access_token_ttl\":3600"));
	ck_assert_ptr_nonnull(strstr(r.body, "\"grants\":[]"));
	ck_assert_ptr_nonnull(strstr(r.body, "\"client_id\":\""
	    OAUTH_CLIENT_ID "\""));
	hresp_free(&r);
}
END_TEST

START_TEST(test_revoke)
{
	struct hresp		 r;
	struct tokens		 t, t2;
	struct json_object	*g;
	char			 acme[16], body[256];

	account_id(K_SHOPIFY, acme, sizeof(acme));
	connect_account(acme, "accounts%3Aread", &t);
	refresh(t.refresh, &r);
	read_tokens(&r, &t2);
	hresp_free(&r);
	/* An access token alone. */
	snprintf(body, sizeof(body), "token=%s&token_type_hint="
	    "access_token", t2.access);
	oreq("POST", "/oauth/revoke", OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET,
	    NULL, body, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "{}");
	hresp_free(&r);
	ck_assert_int_eq(bearer_status("/api/accounts", t2.access), 401);
	ck_assert_int_eq(bearer_status("/api/accounts", t.access), 200);
	/* The refresh token: the whole grant. */
	snprintf(body, sizeof(body), "token=%s", t2.refresh);
	oreq("POST", "/oauth/revoke", OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET,
	    NULL, body, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	hresp_free(&r);
	ck_assert_int_eq(bearer_status("/api/accounts", t.access), 401);
	refresh(t2.refresh, &r);
	expect_oauth_error(&r, 400, "invalid_grant");
	hresp_free(&r);
	g = grant("g1");
	ck_assert_str_eq(str(g, "revoked_by"), "client");
	json_object_put(g);
	/* Unknown tokens are fine (RFC 7009); a client is required. */
	oreq("POST", "/oauth/revoke", OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET,
	    NULL, "token=whatever", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	hresp_free(&r);
	oreq("POST", "/oauth/revoke", NULL, NULL, NULL, "token=whatever",
	    NULL, &r);
	expect_oauth_error(&r, 401, "invalid_client");
	hresp_free(&r);
	oreq("POST", "/oauth/revoke", OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET,
	    NULL, "token_type_hint=refresh_token", NULL, &r);
	expect_oauth_error(&r, 400, "invalid_request");
	hresp_free(&r);
}
END_TEST

START_TEST(test_noscope_account)
{
	struct hresp		 r;
	struct tokens		 t;
	struct json_object	*o;
	char			 fern[16];

	account_id(K_NOSCOPE, fern, sizeof(fern));
	connect_account(fern, "accounts%3Aread+metrics%3Aread", &t);
	ck_assert_str_eq(t.scope, "accounts:read");
	bearer_get("/api/metrics", t.access, &r);
	expect_error(&r, 403, "permission_denied");
	ck_assert_ptr_nonnull(strstr(r.body, "metrics:read"));
	hresp_free(&r);
	bearer_get("/api/accounts", t.access, &r);
	ck_assert_int_eq(r.status, 200);
	o = parse(&r);
	ck_assert_str_eq(str(json_object_array_get_idx(member(o, "data"), 0),
	    "id"), fern);
	json_object_put(o);
	hresp_free(&r);
	/* None of the scopes asked for. */
	consent(fern, "metrics%3Aread", "allow", CHALLENGE, &r);
	expect_location(&r, REDIRECT "?error=invalid_scope&");
	hresp_free(&r);
}
END_TEST

START_TEST(test_sandbox_revoke)
{
	struct hresp		 r;
	struct tokens		 a1, a2, b;
	struct json_object	*g;
	char			 acme[16], woo[16], body[64], code[128];

	account_id(K_SHOPIFY, acme, sizeof(acme));
	account_id(K_WOO, woo, sizeof(woo));
	connect_account(acme, "accounts%3Aread", &a1);
	connect_account(acme, "accounts%3Aread", &a2);
	connect_account(woo, "accounts%3Aread", &b);
	get_code(acme, "accounts%3Aread", CHALLENGE, code, sizeof(code));
	snprintf(body, sizeof(body), "{\"account\":\"%s\"}", acme);
	http("POST", "/__sandbox/oauth/revoke", NULL, NULL, "Content-Type: "
	    "application/json", body, 0, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "{\"revoked\":2}");
	hresp_free(&r);
	ck_assert_int_eq(bearer_status("/api/accounts", a1.access), 401);
	ck_assert_int_eq(bearer_status("/api/accounts", a2.access), 401);
	ck_assert_int_eq(bearer_status("/api/accounts", b.access), 200);
	refresh(a1.refresh, &r);
	expect_oauth_error(&r, 400, "invalid_grant");
	hresp_free(&r);
	/* A code not yet exchanged goes too. */
	exchange(code, VERIFIER, REDIRECT_ENC, &r);
	expect_oauth_error(&r, 400, "invalid_grant");
	hresp_free(&r);
	g = grant("g2");
	ck_assert_str_eq(str(g, "revoked_by"), "sandbox");
	json_object_put(g);
	g = grant("g3");
	ck_assert(!json_object_get_boolean(member(g, "revoked")));
	json_object_put(g);
	ctl_post("/__sandbox/oauth/revoke", "{\"account\":\"zzzzzz\"}", 404);
	ctl_post("/__sandbox/oauth/revoke", "{}", 400);
	http("GET", "/__sandbox/oauth/nothing", NULL, NULL, NULL, NULL, 0,
	    &r);
	ck_assert_int_eq(r.status, 404);
	hresp_free(&r);
}
END_TEST

/* 1 when the file holds s. */
static int
file_has(const char *path, const char *s)
{
	FILE	*f;
	char	*buf;
	size_t	 n;
	int	 found;

	if ((f = fopen(path, "r")) == NULL)
		return 0;
	buf = calloc(1, 8 * 1024 * 1024 + 1);
	ck_assert_ptr_nonnull(buf);
	n = fread(buf, 1, 8 * 1024 * 1024, f);
	buf[n] = '\0';
	fclose(f);
	found = strstr(buf, s) != NULL;
	free(buf);
	return found;
}

START_TEST(test_no_secrets_logged)
{
	struct hresp		 r;
	struct tokens		 t, t2;
	struct json_object	*o, *reqs, *e;
	const char		*secrets[8];
	char			 acme[16], code[128], body[256], path[256];
	size_t			 i;
	int			 saw_code = 0, saw_refresh = 0, saw_bearer = 0;

	account_id(K_SHOPIFY, acme, sizeof(acme));
	control("DELETE", "/__sandbox/requests", NULL);
	get_code(acme, "accounts%3Aread", CHALLENGE, code, sizeof(code));
	exchange(code, VERIFIER, REDIRECT_ENC, &r);
	read_tokens(&r, &t);
	hresp_free(&r);
	refresh(t.refresh, &r);
	read_tokens(&r, &t2);
	hresp_free(&r);
	ck_assert_int_eq(bearer_status("/api/accounts", t2.access), 200);
	/* A token sent in the query too (wrong, but never logged). */
	snprintf(body, sizeof(body), "token=%s", t2.refresh);
	snprintf(path, sizeof(path), "/oauth/revoke?token=%s", t2.access);
	oreq("POST", path, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, NULL, body,
	    NULL, &r);
	hresp_free(&r);
	http("GET", "/__sandbox/requests", NULL, NULL, NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	secrets[0] = code;
	secrets[1] = VERIFIER;
	secrets[2] = t.access;
	secrets[3] = t.refresh;
	secrets[4] = t2.access;
	secrets[5] = t2.refresh;
	secrets[6] = OAUTH_CLIENT_SECRET;
	secrets[7] = "a2MtdGVzdC1jbGllbnQ6";	/* base64 "kc-test-client:" */
	for (i = 0; i < 8; i++) {
		ck_assert_msg(strstr(r.body, secrets[i]) == NULL,
		    "the request log shows secret %zu", i);
		ck_assert_msg(!file_has(sbx_log, secrets[i]),
		    "the log file shows secret %zu", i);
	}
	o = parse(&r);
	reqs = member(o, "requests");
	for (i = 0; i < json_object_array_length(reqs); i++) {
		e = json_object_array_get_idx(reqs, i);
		if (strcmp(str(e, "path"), "/oauth/token") == 0) {
			ck_assert_ptr_nonnull(str(e, "grant_type"));
			ck_assert_int_eq(json_object_get_int(member(e,
			    "status")), 200);
			ck_assert_ptr_null(str(e, "key"));
			if (strcmp(str(e, "grant_type"),
			    "authorization_code") == 0)
				saw_code = 1;
			else if (strcmp(str(e, "grant_type"),
			    "refresh_token") == 0)
				saw_refresh = 1;
		} else if (strcmp(str(e, "path"), "/api/accounts") == 0) {
			ck_assert_str_eq(str(e, "auth"), "Bearer");
			ck_assert_ptr_null(str(e, "key"));
			ck_assert_str_eq(str(e, "account"), acme);
			saw_bearer = 1;
		} else if (strcmp(str(e, "path"), "/oauth/revoke") == 0) {
			ck_assert_str_eq(str(e, "method"), "POST");
			ck_assert_str_eq(str(e, "query"), "");
			ck_assert_int_eq(json_object_get_int(member(e,
			    "status")), 200);
		}
	}
	ck_assert(saw_code && saw_refresh && saw_bearer);
	json_object_put(o);
	hresp_free(&r);
}
END_TEST

TCase *
oauth_tcase(void)
{
	TCase *tc = tcase_create("oauth");

	tcase_add_checked_fixture(tc, oauth_setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_oauth_off);
	tcase_add_test(tc, test_consent_page);
	tcase_add_loop_test(tc, test_untrusted_client, 0,
	    (int)(sizeof(untrusted) / sizeof(untrusted[0])));
	tcase_add_loop_test(tc, test_redirected_errors, 0,
	    (int)(sizeof(redirected) / sizeof(redirected[0])));
	tcase_add_test(tc, test_deny);
	tcase_add_test(tc, test_code_exchange);
	tcase_add_test(tc, test_code_checks);
	tcase_add_test(tc, test_code_reuse);
	tcase_add_test(tc, test_client_auth);
	tcase_add_test(tc, test_refresh_rotation);
	tcase_add_test(tc, test_bearer_account);
	tcase_add_test(tc, test_expire);
	tcase_add_test(tc, test_ttl);
	tcase_add_test(tc, test_revoke);
	tcase_add_test(tc, test_noscope_account);
	tcase_add_test(tc, test_sandbox_revoke);
	tcase_add_test(tc, test_no_secrets_logged);
	return tc;
}
