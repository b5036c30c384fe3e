/*
 * Connecting with Klaviyo OAuth against the sandbox's OAuth server:
 * start (state + PKCE), consent, callback, metric, connect; every kind
 * of bad state; a wrong verifier; refresh before expiry, on a 401 during
 * a sync and from many workers at once (once); a revoked grant; revoke
 * on disconnect and on replacement; OAuth switched off; tokens never in
 * clear anywhere.
 */
#include "itest.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define FORM_TYPE "Content-Type: application/x-www-form-urlencoded"

static const char *
start_path(const char *store)
{
	static char p[200];

	snprintf(p, sizeof(p), "/api/store/%s/klaviyo-oauth/start", store);
	return p;
}

static const char *
metrics_path(const char *store)
{
	static char p[200];

	snprintf(p, sizeof(p), "/api/store/%s/klaviyo-metrics", store);
	return p;
}

/* A copy of the Location header (fails when there is none). */
static char *
location(const struct it_resp *r)
{
	const char *l = it_header(r, "Location");

	ck_assert_msg(l != NULL, "no Location: %ld %s", r->status, r->body);
	return strdup(l);
}

/* The value of a query parameter of url (static, not decoded). */
static const char *
qparam(const char *url, const char *name)
{
	static char	 v[1024];
	const char	*q = strchr(url, '?'), *p, *e;
	size_t		 n = strlen(name);

	v[0] = '\0';
	for (p = q; p; p = strchr(p + 1, '&'))
		if (strncmp(p + 1, name, n) == 0 && p[1 + n] == '=') {
			p += n + 2;
			e = strchr(p, '&');
			snprintf(v, sizeof(v), "%.*s",
			    (int)(e ? (size_t)(e - p) : strlen(p)), p);
			return v;
		}
	return NULL;
}

/*
 * Start at our route, then answer the sandbox's consent form for the
 * account with "allow" or "deny", as the browser would.  Returns the
 * callback path (on our origin) that Klaviyo sends the browser back to.
 */
static char *
consent(const char *store, const char *tok, const char *account,
    const char *decision)
{
	const char	*hdrs[2] = { FORM_TYPE, NULL }, *base;
	struct it_resp	 r;
	char		*auth, *form, *cb, *out;
	size_t		 n;

	it_get(start_path(store), tok, &r);
	ck_assert_msg(r.status == 302, "start: %ld %s", r.status, r.body);
	auth = location(&r);
	it_resp_free(&r);
	/* The consent page renders; its form posts the same parameters. */
	it_request("GET", auth, NULL, NULL, 0, &r);
	ck_assert_msg(r.status == 200, "consent page: %ld %s", r.status,
	    r.body);
	ck_assert_ptr_nonnull(strstr(r.body, "id=\"allow\""));
	it_resp_free(&r);
	n = strlen(auth) + 128;
	ck_assert_ptr_nonnull(form = malloc(n));
	snprintf(form, n, "%s&account=%s&decision=%s", strchr(auth, '?') + 1,
	    account, decision);
	*strchr(auth, '?') = '\0';
	it_request("POST", auth, hdrs, form, strlen(form), &r);
	ck_assert_msg(r.status == 302, "consent: %ld %s", r.status, r.body);
	cb = location(&r);
	it_resp_free(&r);
	base = getenv("KC_TEST_URL");
	ck_assert_msg(strncmp(cb, base, strlen(base)) == 0, "callback %s", cb);
	out = strdup(cb + strlen(base));
	free(cb);
	free(form);
	free(auth);
	return out;
}

/* GET the callback; returns where it sends the browser. */
static char *
callback(const char *path, const char *tok)
{
	struct it_resp	 r;
	char		*l;

	it_get(path, tok, &r);
	ck_assert_msg(r.status == 302, "callback: %ld %s", r.status, r.body);
	it_assert_no_secret(&r, "kat_");
	it_assert_no_secret(&r, "krt_");
	l = location(&r);
	it_resp_free(&r);
	return l;
}

/*
 * The callback sends the browser to the store's page with the query
 * (store not NULL), or to the query on the home page.
 */
static void
expect_back(const char *cb, const char *tok, const char *store,
    const char *query)
{
	char	 w[256], *back;

	if (store)
		snprintf(w, sizeof(w), "/store/%s/klaviyo-connect%s", store,
		    query);
	else
		snprintf(w, sizeof(w), "/%s", query);
	back = callback(cb, tok);
	ck_assert_str_eq(back, w);
	free(back);
}

static void
post_oauth(const char *store, const char *tok, const char *json,
    struct it_resp *r)
{
	it_post(it_connect_path(store), tok, json, r);
	it_assert_no_secret(r, "kat_");
	it_assert_no_secret(r, "krt_");
}

/* The whole flow for the Acme account; the store ends connected. */
static void
oauth_connect(const char *store, const char *tok, const char *metric)
{
	struct it_resp	 r;
	char		*cb, *back, want[200], body[200];

	cb = consent(store, tok, IT_ACCT_ACME, "allow");
	back = callback(cb, tok);
	snprintf(want, sizeof(want), "/store/%s/klaviyo-connect?oauth=ready",
	    store);
	ck_assert_str_eq(back, want);
	snprintf(body, sizeof(body), "{\"method\":\"oauth\","
	    "\"conversionMetricId\":\"%s\"}", metric);
	post_oauth(store, tok, body, &r);
	it_assert_ok(&r);
	ck_assert_str_eq(it_jstr(it_jget(it_jget(r.json, "store"),
	    "klaviyo_integration"), "auth_method"), "oauth");
	it_resp_free(&r);
	free(back);
	free(cb);
}

/* A field of the sandbox's newest grant of the account, as a number. */
static long
grant_num(const char *account, const char *field)
{
	struct it_resp		 r;
	struct json_object	*grants, *g, *v;
	long			 out = -1;
	size_t			 i;

	it_sbx("GET", "/__sandbox/oauth", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_msg(json_object_object_get_ex(r.json, "grants", &grants),
	    "%s", r.body);
	for (i = 0; i < json_object_array_length(grants); i++) {
		g = json_object_array_get_idx(grants, i);
		if (strcmp(it_jstr(g, "account"), account) != 0 ||
		    !json_object_object_get_ex(g, field, &v))
			continue;
		out = json_object_is_type(v, json_type_boolean) ?
		    json_object_get_boolean(v) : json_object_get_int64(v);
	}
	it_resp_free(&r);
	return out;
}

static void
sbx_post(const char *path, const char *json)
{
	struct it_resp r;

	it_sbx("POST", path, json ? json : "{}", &r);
	ck_assert_msg(r.status == 200, "%s: %ld %s", path, r.status, r.body);
	it_resp_free(&r);
}

/*
 * Requests in the sandbox log: path prefix, auth scheme and grant type
 * when not NULL, status when >= 0.
 */
static long
sbx_log_count(const char *path, const char *auth, const char *grant,
    long status)
{
	struct it_resp		 r;
	struct json_object	*arr, *e, *v;
	const char		*s;
	long			 n = 0;
	size_t			 i;

	it_sbx("GET", "/__sandbox/requests", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_msg(json_object_object_get_ex(r.json, "requests", &arr),
	    "%s", r.body);
	for (i = 0; i < json_object_array_length(arr); i++) {
		e = json_object_array_get_idx(arr, i);
		if (path && ((s = it_jstr(e, "path")) == NULL ||
		    strncmp(s, path, strlen(path)) != 0))
			continue;
		if (auth && (!json_object_object_get_ex(e, "auth", &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    strcmp(json_object_get_string(v), auth) != 0))
			continue;
		if (grant && (!json_object_object_get_ex(e, "grant_type", &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    strcmp(json_object_get_string(v), grant) != 0))
			continue;
		if (status >= 0 && (!json_object_object_get_ex(e, "status",
		    &v) || json_object_get_int64(v) != status))
			continue;
		n++;
	}
	it_resp_free(&r);
	return n;
}

static long long
count_store(const char *sql, const char *store)
{
	const char *p[1] = { store };

	return it_sql_count(sql, 1, p);
}

#define JOBS_IN(state) "SELECT count(*) FROM sync_jobs j JOIN stores s" \
    " ON s.id = j.store_id WHERE s.public_id = $1 AND j.state = '" state "'"
#define FLOWS_OF "SELECT count(*) FROM oauth_flows f JOIN stores s" \
	" ON s.id = f.store_id WHERE s.public_id = $1"

START_TEST(start_redirects_with_state_and_pkce)
{
	char		 store[80], tok[64], vtok[64], want[512];
	struct it_resp	 r;
	char		*l, *hash;
	const char	*state, *p[1];

	it_store("OAuth Start", store, sizeof(store));
	it_member("owner", store, tok, sizeof(tok));
	it_get(start_path(store), tok, &r);
	ck_assert_int_eq(r.status, 302);
	l = location(&r);
	it_resp_free(&r);
	snprintf(want, sizeof(want), "%s/oauth/authorize?",
	    getenv("KC_TEST_SANDBOX_URL"));
	ck_assert_msg(strncmp(l, want, strlen(want)) == 0, "%s", l);
	ck_assert_str_eq(qparam(l, "response_type"), "code");
	ck_assert_str_eq(qparam(l, "client_id"), "kc-test-client");
	ck_assert_str_eq(qparam(l, "code_challenge_method"), "S256");
	ck_assert_uint_eq(strlen(qparam(l, "code_challenge")), 43);
	ck_assert_str_eq(qparam(l, "scope"), "accounts%3Aread%20campaigns"
	    "%3Aread%20events%3Aread%20flows%3Aread%20forms%3Aread%20lists"
	    "%3Aread%20metrics%3Aread%20segments%3Aread%20webhooks%3Aread"
	    "%20webhooks%3Awrite");
	snprintf(want, sizeof(want), "http%%3A%%2F%%2F127.0.0.1%%3A%s"
	    "%%2Fapi%%2Fklaviyo%%2Foauth%%2Fcallback",
	    strrchr(getenv("KC_TEST_URL"), ':') + 1);
	ck_assert_str_eq(qparam(l, "redirect_uri"), want);
	state = qparam(l, "state");
	ck_assert_uint_eq(strlen(state), 43);
	/* Kept hashed; the verifier sealed: neither is in the table. */
	p[0] = state;
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM oauth_flows"
	    " WHERE state_hash = encode(sha256(convert_to($1, 'UTF8')),"
	    " 'hex') AND used_at IS NULL AND granted_at IS NULL"
	    " AND expires_at > now() + interval '9 minutes'", 1, p), 1);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM oauth_flows f"
	    " WHERE f::text LIKE '%' || $1 || '%'", 1, p), 0);
	hash = it_sql_value("SELECT count(*) FROM audit_log a JOIN stores s"
	    " ON s.id = a.store_id WHERE s.public_id = $1"
	    " AND a.action = 'oauth_start'", 1, (const char *[]){ store });
	ck_assert_str_eq(hash, "1");
	free(hash);
	free(l);

	/* Only who may manage integrations; nobody sees other stores. */
	it_member("viewer", store, vtok, sizeof(vtok));
	it_get(start_path(store), vtok, &r);
	it_assert_error(&r, 403, "forbidden");
	it_resp_free(&r);
	it_get(start_path("nosuchstore1"), tok, &r);
	it_assert_error(&r, 404, "not_found");
	it_resp_free(&r);
	it_get(start_path(store), NULL, &r);
	it_assert_error(&r, 401, "unauthorized");
	it_resp_free(&r);
}
END_TEST

START_TEST(whole_flow_connects_with_bearer)
{
	char		 store[80], tok[64], *cb, *back, *n;
	struct it_resp	 r;
	struct json_object *integ;

	it_klaviyo_cold();
	it_store("OAuth Flow", store, sizeof(store));
	it_member("owner", store, tok, sizeof(tok));
	cb = consent(store, tok, IT_ACCT_ACME, "allow");
	back = callback(cb, tok);
	ck_assert_ptr_nonnull(strstr(back, "?oauth=ready"));
	/* The grant waits, sealed, for the metric. */
	ck_assert_int_eq(count_store(FLOWS_OF " AND f.granted_at IS NOT NULL"
	    " AND f.account ->> 'id' = 'ms2AAo'", store), 1);

	post_oauth(store, tok, "{\"method\":\"oauth\",\"action\":\"test\"}",
	    &r);
	it_assert_ok(&r);
	ck_assert_str_eq(it_jstr(r.json, "method"), "oauth");
	ck_assert_str_eq(it_jstr(it_jget(r.json, "account"), "id"),
	    IT_ACCT_ACME);
	ck_assert(it_jbool(r.json, "hasShopifyPlacedOrder"));
	ck_assert_int_eq((int)json_object_array_length(it_jget(r.json,
	    "metrics")), 512);
	it_resp_free(&r);

	post_oauth(store, tok, "{\"method\":\"oauth\",\"conversionMetricId\":"
	    "\"" IT_METRIC_ACME_SHOPIFY_PO "\"}", &r);
	it_assert_ok(&r);
	integ = it_jget(it_jget(r.json, "store"), "klaviyo_integration");
	ck_assert_str_eq(it_jstr(integ, "status"), "connected");
	ck_assert_str_eq(it_jstr(integ, "auth_method"), "oauth");
	ck_assert_str_eq(it_jstr(integ, "public_id"), IT_ACCT_ACME);
	ck_assert(!json_object_object_get_ex(integ, "api_key_hint", NULL));
	ck_assert(!json_object_object_get_ex(integ, "apiKey", NULL));
	it_resp_free(&r);
	ck_assert_int_eq(count_store("SELECT count(*) FROM klaviyo_credentials"
	    " c" IT_SQL_JOIN_STORE("c") " WHERE s.public_id = $1"
	    " AND c.kind = 'oauth'", store), 1);
	ck_assert_int_eq(count_store("SELECT count(*) FROM report_triggers t"
	    " JOIN stores s ON s.id = t.store_id WHERE s.public_id = $1",
	    store), 1);
	ck_assert_int_eq(count_store(FLOWS_OF, store), 0);
	n = it_sql_value("SELECT string_agg(action, ',' ORDER BY a.id)"
	    " FROM audit_log a JOIN stores s ON s.id = a.store_id"
	    " WHERE s.public_id = $1 AND a.outcome = 'success'", 1,
	    (const char *[]){ store });
	ck_assert_str_eq(n, "oauth_start,oauth_authorize,test,connect");
	free(n);

	/* The grant was used: connecting again needs a new one. */
	post_oauth(store, tok, "{\"method\":\"oauth\",\"conversionMetricId\":"
	    "\"" IT_METRIC_ACME_SHOPIFY_PO "\"}", &r);
	it_assert_error(&r, 409, "oauth_not_authorized");
	it_resp_free(&r);

	/* The stored grant lists metrics with Bearer, no key involved. */
	PQclear(it_sql("DELETE FROM klaviyo_probe_cache", 0, NULL));
	it_get(metrics_path(store), tok, &r);
	it_assert_ok(&r);
	it_assert_no_secret(&r, "kat_");
	it_resp_free(&r);
	ck_assert_int_gt(sbx_log_count("/api/metrics", "Bearer", NULL, 200),
	    0);
	ck_assert_int_eq(sbx_log_count("/api/", "Klaviyo-API-Key", NULL, -1),
	    0);
	free(back);
	free(cb);
}
END_TEST

START_TEST(deny_returns_with_a_message)
{
	char		 store[80], tok[64], *cb, *before, *after;
	struct it_resp	 r;

	it_store("OAuth Deny", store, sizeof(store));
	it_member("admin", store, tok, sizeof(tok));
	before = it_store_state(store);
	cb = consent(store, tok, IT_ACCT_ACME, "deny");
	ck_assert_ptr_nonnull(strstr(cb, "error=access_denied"));
	expect_back(cb, tok, store, "?oauth_error=access_denied");
	after = it_store_state(store);
	ck_assert_str_eq(before, after);
	post_oauth(store, tok, "{\"method\":\"oauth\",\"action\":\"test\"}",
	    &r);
	it_assert_error(&r, 409, "oauth_not_authorized");
	it_resp_free(&r);
	free(before);
	free(after);
	free(cb);
}
END_TEST

START_TEST(bad_states_save_nothing)
{
	char		 store[80], tok[64], other[64], *cb, *before, *after;
	const char	*p[1];

	it_store("OAuth States", store, sizeof(store));
	it_member("owner", store, tok, sizeof(tok));
	it_member("owner", store, other, sizeof(other));
	before = it_store_state(store);

	/* Forged and malformed states. */
	expect_back("/api/klaviyo/oauth/callback?code=x&state="
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", tok, NULL,
	    "?oauth_error=oauth_state_unknown");
	expect_back("/api/klaviyo/oauth/callback?code=x&state=%27%20OR"
	    "%201%3D1--", tok, NULL, "?oauth_error=oauth_state_unknown");
	expect_back("/api/klaviyo/oauth/callback", tok, NULL,
	    "?oauth_error=oauth_state_unknown");

	/* No session when coming back; another user's state: burnt. */
	cb = consent(store, tok, IT_ACCT_ACME, "allow");
	expect_back(cb, NULL, NULL, "?oauth_error=signed_out");
	expect_back(cb, other, NULL, "?oauth_error=oauth_state_user");
	expect_back(cb, tok, store, "?oauth_error=oauth_state_used");
	free(cb);

	/* Expired while at Klaviyo. */
	cb = consent(store, tok, IT_ACCT_ACME, "allow");
	p[0] = store;
	PQclear(it_sql("UPDATE oauth_flows f SET expires_at = now() -"
	    " interval '1 minute' FROM stores s WHERE s.id = f.store_id"
	    " AND s.public_id = $1 AND f.used_at IS NULL", 1, p));
	expect_back(cb, tok, store, "?oauth_error=oauth_state_expired");
	free(cb);

	/* Replayed after a success. */
	cb = consent(store, tok, IT_ACCT_ACME, "allow");
	expect_back(cb, tok, store, "?oauth=ready");
	expect_back(cb, tok, store, "?oauth_error=oauth_state_used");
	free(cb);
	ck_assert_int_eq(count_store(FLOWS_OF " AND f.granted_at IS NOT NULL",
	    store), 1);
	after = it_store_state(store);
	ck_assert_str_eq(before, after);
	/* Who tried what is in the audit log. */
	ck_assert_int_eq(count_store("SELECT count(*) FROM audit_log a JOIN"
	    " stores s ON s.id = a.store_id WHERE s.public_id = $1"
	    " AND a.action = 'oauth_callback' AND a.outcome = 'denied'",
	    store), 1);
	free(before);
	free(after);
}
END_TEST

START_TEST(wrong_verifier_is_refused)
{
	char		 store[80], tok[64], *cb, *before, *after, *first;
	struct it_resp	 r;
	const char	*p[1];

	it_klaviyo_cold();
	it_store("OAuth Verifier", store, sizeof(store));
	it_member("owner", store, tok, sizeof(tok));
	before = it_store_state(store);
	cb = consent(store, tok, IT_ACCT_ACME, "allow");
	p[0] = store;
	first = it_sql_value("SELECT min(f.id) FROM oauth_flows f JOIN stores"
	    " s ON s.id = f.store_id WHERE s.public_id = $1", 1, p);
	/*
	 * A second attempt; its sealed verifier replaces the first's.  The
	 * AAD names the row (its state hash): it does not open there, and
	 * no verifier at all goes to Klaviyo.
	 */
	it_get(start_path(store), tok, &r);
	ck_assert_int_eq(r.status, 302);
	it_resp_free(&r);
	p[0] = first;
	PQclear(it_sql("UPDATE oauth_flows f SET key_version = g.key_version,"
	    " nonce = g.nonce, ciphertext = g.ciphertext, tag = g.tag"
	    " FROM oauth_flows g WHERE f.id = $1::bigint AND g.store_id ="
	    " f.store_id AND g.id > f.id", 1, p));
	expect_back(cb, tok, NULL, "?oauth_error=oauth_failed");
	ck_assert_int_eq(sbx_log_count("/oauth/token", NULL,
	    "authorization_code", -1), 0);
	after = it_store_state(store);
	ck_assert_str_eq(before, after);
	ck_assert_int_eq(count_store(FLOWS_OF " AND f.granted_at IS NOT NULL",
	    store), 0);
	free(first);
	free(before);
	free(after);
	free(cb);
}
END_TEST

START_TEST(token_endpoint_failures)
{
	char		 store[80], tok[64], *cb, *before, *after;
	struct it_resp	 r;

	it_klaviyo_cold();
	it_store("OAuth Token Down", store, sizeof(store));
	it_member("owner", store, tok, sizeof(tok));
	before = it_store_state(store);
	/* Klaviyo's token endpoint fails, answers garbage, or hangs. */
	it_sbx_fault("{\"fault\":\"status\",\"status\":503,"
	    "\"path\":\"/oauth/token\",\"count\":1}");
	cb = consent(store, tok, IT_ACCT_ACME, "allow");
	expect_back(cb, tok, store, "?oauth_error=klaviyo_error");
	free(cb);
	it_sbx_fault("{\"fault\":\"malformed\",\"path\":\"/oauth/token\","
	    "\"count\":1}");
	cb = consent(store, tok, IT_ACCT_ACME, "allow");
	expect_back(cb, tok, store, "?oauth_error=klaviyo_bad_response");
	free(cb);
	it_sbx_fault("{\"fault\":\"hang\",\"path\":\"/oauth/token\","
	    "\"count\":1}");
	cb = consent(store, tok, IT_ACCT_ACME, "allow");
	expect_back(cb, tok, store, "?oauth_error=klaviyo_timeout");
	free(cb);
	after = it_store_state(store);
	ck_assert_str_eq(before, after);
	ck_assert_int_eq(count_store(FLOWS_OF " AND f.granted_at IS NOT NULL",
	    store), 0);
	free(before);
	free(after);

	/* Refresh while the token endpoint is down: a 502, not "reconnect". */
	oauth_connect(store, tok, IT_METRIC_ACME_API_PO);
	sbx_post("/__sandbox/oauth/expire", NULL);
	PQclear(it_sql("DELETE FROM klaviyo_probe_cache", 0, NULL));
	it_sbx_fault("{\"fault\":\"status\",\"status\":503,"
	    "\"path\":\"/oauth/token\",\"count\":1}");
	it_get(metrics_path(store), tok, &r);
	it_assert_error(&r, 502, "klaviyo_error");
	it_resp_free(&r);
	it_get(it_connect_path(store), tok, &r);
	it_assert_ok(&r);
	ck_assert_str_eq(it_jstr(it_jget(r.json, "klaviyo_integration"),
	    "status"), "connected");
	it_resp_free(&r);
	/* Klaviyo is back: the next request refreshes and works. */
	it_get(metrics_path(store), tok, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	it_sbx_reset();
}
END_TEST

START_TEST(post_oauth_input_errors)
{
	char		 store[80], tok[64], vtok[64];
	struct it_resp	 r;

	it_store("OAuth Input", store, sizeof(store));
	it_member("owner", store, tok, sizeof(tok));
	it_member("viewer", store, vtok, sizeof(vtok));
	post_oauth(store, tok, "{\"method\":\"oauth\",\"apiKey\":\""
	    IT_KEY_ACME "\",\"action\":\"test\"}", &r);
	it_assert_error(&r, 400, "bad_request");
	it_resp_free(&r);
	post_oauth(store, tok, "{\"method\":\"magic\",\"action\":\"test\"}",
	    &r);
	it_assert_error(&r, 400, "bad_request");
	it_resp_free(&r);
	post_oauth(store, tok, "{\"method\":1}", &r);
	it_assert_error(&r, 400, "bad_request");
	it_resp_free(&r);
	post_oauth(store, tok, "{\"method\":\"oauth\"}", &r);
	it_assert_error(&r, 400, "bad_request");
	it_resp_free(&r);
	post_oauth(store, tok, "{\"method\":\"oauth\",\"conversionMetricId\":"
	    "\"x'; DROP TABLE stores;--\"}", &r);
	it_assert_error(&r, 400, "bad_request");
	it_resp_free(&r);
	post_oauth(store, tok, "{\"method\":\"oauth\",\"conversionMetricId\":"
	    "\"abc\"}", &r);
	it_assert_error(&r, 409, "oauth_not_authorized");
	it_resp_free(&r);
	post_oauth(store, vtok, "{\"method\":\"oauth\",\"action\":\"test\"}",
	    &r);
	it_assert_error(&r, 403, "forbidden");
	it_resp_free(&r);
}
END_TEST

/* klaviyo-syncd in the background for the store's sync. */
static pid_t
syncd_start(void)
{
	static const char *const env[] = { "SYNC_HISTORY_DAYS=120",
	    "SYNC_SCHEDULE_SECONDS=0", NULL };

	return it_syncd_spawn(env);
}


START_TEST(token_expiry_mid_sync_refreshes_once)
{
	char		 store[80], tok[64];
	struct it_resp	 r;
	pid_t		 pid;
	int		 i, st, running = 0;

	it_klaviyo_cold();
	it_store("OAuth Sync", store, sizeof(store));
	it_member("owner", store, tok, sizeof(tok));
	oauth_connect(store, tok, IT_METRIC_ACME_SHOPIFY_PO);
	it_isolate(store);
	ck_assert_int_eq(grant_num(IT_ACCT_ACME, "refreshes"), 0);
	pid = syncd_start();
	for (i = 0; i < 400 && !running; i++) {
		it_pause_ms(50);
		running = count_store(JOBS_IN("running") " AND j.cursor <>"
		    " '{}'", store) > 0;
	}
	ck_assert_msg(running, "no job got under way");
	/* Klaviyo ends every access token now: the next call is a 401. */
	sbx_post("/__sandbox/oauth/expire", NULL);
	for (i = 0; i < 1200; i++) {
		if (count_store(JOBS_IN("queued"), store) == 0 &&
		    count_store(JOBS_IN("running"), store) == 0)
			break;
		it_pause_ms(100);
	}
	kill(pid, SIGTERM);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_int_eq(count_store(JOBS_IN("done"), store), 5);
	ck_assert_int_eq(count_store(JOBS_IN("failed"), store), 0);
	ck_assert_int_eq(grant_num(IT_ACCT_ACME, "refreshes"), 1);
	ck_assert_int_ge(sbx_log_count("/api/", "Bearer", NULL, 401), 1);
	ck_assert_int_eq(sbx_log_count("/oauth/token", NULL, "refresh_token",
	    200), 1);
	ck_assert_int_eq(count_store("SELECT count(*) FROM orders o"
	    IT_SQL_JOIN_STORE("o")
	    " WHERE s.public_id = $1", store) >
	    0, 1);
	it_get(it_connect_path(store), tok, &r);
	it_assert_ok(&r);
	ck_assert_str_eq(it_jstr(it_jget(r.json, "klaviyo_integration"),
	    "status"), "connected");
	it_resp_free(&r);
}
END_TEST

START_TEST(refresh_shortly_before_expiry)
{
	char		 store[80], tok[64];
	struct it_resp	 r;

	it_klaviyo_cold();
	sbx_post("/__sandbox/oauth", "{\"access_token_ttl\":3}");
	it_store("OAuth Soon", store, sizeof(store));
	it_member("owner", store, tok, sizeof(tok));
	oauth_connect(store, tok, IT_METRIC_ACME_API_PO);
	sbx_post("/__sandbox/oauth", "{\"access_token_ttl\":3600}");
	it_pause_ms(3500);
	PQclear(it_sql("DELETE FROM klaviyo_probe_cache", 0, NULL));
	it_get(metrics_path(store), tok, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	/* Refreshed before the call: Klaviyo never saw an expired token. */
	ck_assert_int_eq(grant_num(IT_ACCT_ACME, "refreshes"), 1);
	ck_assert_int_eq(sbx_log_count("/api/", "Bearer", NULL, 401), 0);
	/* The new token lasts: no further refresh. */
	PQclear(it_sql("DELETE FROM klaviyo_probe_cache", 0, NULL));
	it_get(metrics_path(store), tok, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	ck_assert_int_eq(grant_num(IT_ACCT_ACME, "refreshes"), 1);
}
END_TEST

START_TEST(concurrent_refresh_happens_once)
{
	char		 store[80], tok[64];
	struct it_req	 reqs[6];
	struct it_resp	 out[6];
	const char	*bin = getenv("KC_TEST_SYNCD");
	size_t		 i;
	pid_t		 pid;
	int		 st;

	it_klaviyo_cold();
	it_store("OAuth Race", store, sizeof(store));
	it_member("owner", store, tok, sizeof(tok));
	oauth_connect(store, tok, IT_METRIC_ACME_API_PO);
	it_isolate(store);
	free(it_queue_job(store, "segments", "incremental"));
	sbx_post("/__sandbox/oauth/expire", NULL);
	PQclear(it_sql("DELETE FROM klaviyo_probe_cache", 0, NULL));
	for (i = 0; i < 6; i++) {
		memset(&reqs[i], 0, sizeof(reqs[i]));
		reqs[i].method = "GET";
		reqs[i].path = metrics_path(store);
		reqs[i].token = tok;
	}
	/*
	 * The sync daemon and three worker processes all get a 401 at
	 * about the same time: one of them refreshes.
	 */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		setenv("REPORT_SERVER", "", 1);
		setenv("SYNC_SCHEDULE_SECONDS", "0", 1);
		execl(bin, bin, "--once", (char *)NULL);
		_exit(127);
	}
	it_parallel(6, reqs, out);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "syncd %d", st);
	for (i = 0; i < 6; i++) {
		ck_assert_msg(out[i].status == 200, "%zu: %ld %s", i,
		    out[i].status, out[i].body);
		it_resp_free(&out[i]);
	}
	/* The daemon synced (its trigger's jobs too) with the new token. */
	ck_assert_int_ge(count_store(JOBS_IN("done"), store), 1);
	ck_assert_int_eq(count_store(JOBS_IN("failed"), store), 0);
	ck_assert_int_eq(grant_num(IT_ACCT_ACME, "refreshes"), 1);
	ck_assert_int_eq(sbx_log_count("/oauth/token", NULL, "refresh_token",
	    -1), 1);
}
END_TEST

START_TEST(revoked_grant_asks_to_reconnect)
{
	char		 store[80], tok[64];
	struct it_resp	 r;
	const char	*le;

	it_klaviyo_cold();
	it_store("OAuth Revoked", store, sizeof(store));
	it_member("owner", store, tok, sizeof(tok));
	oauth_connect(store, tok, IT_METRIC_ACME_API_PO);
	/* The user removed the app in Klaviyo. */
	sbx_post("/__sandbox/oauth/revoke", "{\"account\":\"" IT_ACCT_ACME
	    "\"}");
	it_isolate(store);
	PQclear(it_sql("DELETE FROM klaviyo_probe_cache", 0, NULL));
	free(it_queue_job(store, "flows", "incremental"));
	it_get(metrics_path(store), tok, &r);
	it_assert_error(&r, 422, "oauth_reconnect_required");
	it_resp_free(&r);
	/* Nothing waits to run with an authorization that is gone. */
	ck_assert_int_eq(count_store(JOBS_IN("queued"), store), 0);
	it_get(it_connect_path(store), tok, &r);
	it_assert_ok(&r);
	ck_assert_str_eq(it_jstr(it_jget(r.json, "klaviyo_integration"),
	    "status"), "error");
	le = it_jstr(it_jget(r.json, "klaviyo_integration"), "last_error");
	ck_assert_msg(le && strstr(le, "connect with Klaviyo again"), "%s",
	    le ? le : "(null)");
	it_resp_free(&r);
	/* A sync of the store stops at once instead of retrying. */
	{
		char *out = NULL;
		int st;

		free(it_queue_job(store, "campaigns", "incremental"));
		st = it_run(&out, "REPORT_SERVER= SYNC_SCHEDULE_SECONDS=0 "
		    "timeout 60 %s --once 2>&1", getenv("KC_TEST_SYNCD"));
		ck_assert_msg(st == 0, "syncd %d: %s", st, out);
		free(out);
	}
	ck_assert_int_eq(count_store(JOBS_IN("queued"), store), 0);
	ck_assert_int_eq(count_store(JOBS_IN("running"), store), 0);
}
END_TEST

START_TEST(disconnect_and_replacement_revoke)
{
	char		 store[80], tok[64], *conn;
	struct it_resp	 r;

	it_klaviyo_cold();
	it_store("OAuth Revoke", store, sizeof(store));
	it_member("owner", store, tok, sizeof(tok));
	oauth_connect(store, tok, IT_METRIC_ACME_API_PO);
	ck_assert_int_eq(grant_num(IT_ACCT_ACME, "revoked"), 0);
	conn = it_primary_conn(store);
	ck_assert_ptr_nonnull(conn);
	it_delete(it_connect_path(store), tok, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	ck_assert_int_eq(grant_num(IT_ACCT_ACME, "revoked"), 1);
	/* The connection went, its credential with it. */
	ck_assert_int_eq(count_store("SELECT count(*) FROM klaviyo_credentials"
	    " WHERE connection_id = $1::bigint", conn), 0);
	ck_assert_int_eq(count_store("SELECT count(*) FROM"
	    IT_SQL_CONN_IDS("$1") " c", store), 0);
	free(conn);

	/* A key of the same account replaces the grant: it is revoked. */
	oauth_connect(store, tok, IT_METRIC_ACME_API_PO);
	ck_assert_int_eq(grant_num(IT_ACCT_ACME, "revoked"), 0);
	it_connect(store, tok, IT_KEY_ACME, IT_METRIC_ACME_API_PO, &r);
	it_assert_ok(&r);
	ck_assert_str_eq(it_jstr(r.json, "message"),
	    "Klaviyo API key updated");
	it_resp_free(&r);
	ck_assert_int_eq(grant_num(IT_ACCT_ACME, "revoked"), 1);
	ck_assert_int_eq(count_store("SELECT count(*) FROM klaviyo_credentials"
	    " c" IT_SQL_JOIN_STORE("c") " WHERE s.public_id = $1"
	    " AND c.kind = 'api_key'", store), 1);
}
END_TEST

START_TEST(unfinished_grant_is_reaped_and_revoked)
{
	char		 store[80], tok[64], *cb, *back, *out = NULL;
	int		 st;

	it_klaviyo_cold();
	it_store("OAuth Reap", store, sizeof(store));
	it_member("owner", store, tok, sizeof(tok));
	cb = consent(store, tok, IT_ACCT_ACME, "allow");
	back = callback(cb, tok);
	ck_assert_ptr_nonnull(strstr(back, "?oauth=ready"));
	ck_assert_int_eq(grant_num(IT_ACCT_ACME, "revoked"), 0);
	/* The user never picked a metric. */
	PQclear(it_sql("UPDATE oauth_flows f SET expires_at = now() FROM"
	    " stores s WHERE s.id = f.store_id AND s.public_id = $1", 1,
	    (const char *[]){ store }));
	st = it_run(&out, "REPORT_SERVER= SYNC_SCHEDULE_SECONDS=0 timeout 60"
	    " %s --once --no-jobs 2>&1", getenv("KC_TEST_SYNCD"));
	ck_assert_msg(st == 0, "syncd %d: %s", st, out);
	free(out);
	ck_assert_int_eq(count_store(FLOWS_OF, store), 0);
	ck_assert_int_eq(grant_num(IT_ACCT_ACME, "revoked"), 1);
	free(back);
	free(cb);
}
END_TEST

START_TEST(tokens_never_in_clear)
{
	char	*out = NULL;
	int	 st;

	/* After the tests above: the database, the dump and the logs. */
	st = it_run(&out, "pg_dump '%s' 2>&1 | grep -c -E 'kat_|krt_'",
	    getenv("KC_TEST_DATABASE_URL"));
	ck_assert_msg(out && atoi(out) == 0, "tokens in a dump (%d): %s", st,
	    out);
	free(out);
	it_assert_logs_clean("kat_");
	it_assert_logs_clean("krt_");
	it_assert_logs_clean("code_verifier");
	/* Authorization codes travel in the callback's query string. */
	it_assert_logs_clean("code=");
	it_assert_logs_clean("state=");
}
END_TEST

START_TEST(oauth_off_answers_404)
{
	char		 store[80], tok[64];
	struct it_resp	 start, cb, post, me, me2;
	int		 st;

	it_store("OAuth Off", store, sizeof(store));
	it_member("owner", store, tok, sizeof(tok));
	st = it_system("%s restart KLAVIYO_CLIENT_ID= >/dev/null 2>&1",
	    getenv("KC_TEST_FCGICTL"));
	ck_assert_int_eq(st, 0);
	it_get(start_path(store), tok, &start);
	it_get("/api/klaviyo/oauth/callback?state=x&code=y", tok, &cb);
	it_post(it_connect_path(store), tok, "{\"method\":\"oauth\","
	    "\"action\":\"test\"}", &post);
	it_get("/api/me", tok, &me);
	/* Back to normal before anything can fail. */
	st = it_system("%s restart >/dev/null 2>&1", getenv("KC_TEST_FCGICTL"));
	ck_assert_int_eq(st, 0);
	it_get("/api/me", tok, &me2);
	it_assert_error(&start, 404, "oauth_not_configured");
	it_assert_error(&cb, 404, "oauth_not_configured");
	it_assert_error(&post, 404, "oauth_not_configured");
	ck_assert(!it_jbool(me.json, "oauth_enabled"));
	ck_assert(it_jbool(me2.json, "oauth_enabled"));
	it_resp_free(&start);
	it_resp_free(&cb);
	it_resp_free(&post);
	it_resp_free(&me);
	it_resp_free(&me2);
}
END_TEST

Suite *
suite_oauth(void)
{
	Suite	*s = suite_create("oauth");
	TCase	*tc = tcase_create("oauth");

	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, start_redirects_with_state_and_pkce);
	tcase_add_test(tc, whole_flow_connects_with_bearer);
	tcase_add_test(tc, deny_returns_with_a_message);
	tcase_add_test(tc, bad_states_save_nothing);
	tcase_add_test(tc, wrong_verifier_is_refused);
	tcase_add_test(tc, token_endpoint_failures);
	tcase_add_test(tc, post_oauth_input_errors);
	tcase_add_test(tc, refresh_shortly_before_expiry);
	tcase_add_test(tc, concurrent_refresh_happens_once);
	tcase_add_test(tc, revoked_grant_asks_to_reconnect);
	tcase_add_test(tc, disconnect_and_replacement_revoke);
	tcase_add_test(tc, unfinished_grant_is_reaped_and_revoked);
	tcase_add_test(tc, token_expiry_mid_sync_refreshes_once);
	tcase_add_test(tc, oauth_off_answers_404);
	tcase_add_test(tc, tokens_never_in_clear);
	suite_add_tcase(s, tc);
	return s;
}
