/*
 * Klaviyo failing in every way the sandbox can (docs/SANDBOX.md,
 * faults): 5xx, resets, garbage, slowness, hangs and its own 429, and
 * our shared rate limiter.  Each failure has its documented code, is
 * retried only where it should be (5xx and connection errors, bounded),
 * leaves the store as it was, and leaves the worker free again.
 * run.sh starts the workers with KLAVIYO_TIMEOUT_MS=2000,
 * KLAVIYO_MAX_RETRIES=2, KLAVIYO_MAX_WAIT_MS=1000, KLAVIYO_RATE_SCALE=60
 * and 3 workers.
 */
#include "itest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

#define MAX_RETRIES	2	/* KLAVIYO_MAX_RETRIES */
#define TIMEOUT_S	2.0	/* KLAVIYO_TIMEOUT_MS */
#define WORKERS		3	/* KC_WORKERS */

static void
setup(void)
{
	it_klaviyo_cold();
}

static void
owned_store(const char *name, char *store, size_t slen, char *tok,
    size_t tlen)
{
	it_store(name, store, slen);
	it_member("owner", store, tok, tlen);
}

/* A store connected to Bluebird, to show a failure changes nothing. */
static void
connected_store(const char *name, char *store, size_t slen, char *tok,
    size_t tlen)
{
	struct it_resp r;

	owned_store(name, store, slen, tok, tlen);
	it_connect(store, tok, IT_KEY_BLUEBIRD, IT_METRIC_BLUEBIRD_PO, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	it_klaviyo_cold();
}

/*
 * Test and Connect on a fresh store under the current faults: both
 * answer status/code, and the store is exactly as before.
 */
static void
expect_failure(const char *key, const char *metric, long status,
    const char *code)
{
	struct it_resp	 r;
	char		 fresh[32], ftok[64], *fbefore, *fafter;

	owned_store("Fault fresh", fresh, sizeof(fresh), ftok, sizeof(ftok));
	fbefore = it_store_state(fresh);
	it_test_key(fresh, ftok, key, &r);
	it_assert_error(&r, status, code);
	it_assert_no_secret(&r, key);
	it_resp_free(&r);
	PQclear(it_sql("DELETE FROM klaviyo_probe_cache", 0, NULL));
	it_connect(fresh, ftok, key, metric, &r);
	it_assert_error(&r, status, code);
	it_resp_free(&r);
	fafter = it_store_state(fresh);
	ck_assert_str_eq(fbefore, fafter);
	free(fbefore);
	free(fafter);
}

/* Connect of key on a store connected to Bluebird: fails, no change. */
static void
expect_connected_unchanged(const char *store, const char *tok,
    const char *key, const char *metric, long status, const char *code)
{
	struct it_resp	 r;
	char		*before, *after;

	before = it_store_state(store);
	PQclear(it_sql("DELETE FROM klaviyo_probe_cache", 0, NULL));
	it_connect(store, tok, key, metric, &r);
	it_assert_error(&r, status, code);
	it_assert_no_secret(&r, key);
	it_resp_free(&r);
	after = it_store_state(store);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
}

START_TEST(faults_5xx_bounded_retries_502)
{
	struct it_resp	 r;
	char		 store[32], tok[64];

	connected_store("5xx", store, sizeof(store), tok, sizeof(tok));
	it_sbx_fault("{\"fault\":\"status\",\"status\":503,\"path\":"
	    "\"/api/accounts\",\"key\":\"" IT_KEY_ACME "\"}");
	it_test_key(store, tok, IT_KEY_ACME, &r);
	it_assert_error(&r, 502, "klaviyo_error");
	/* Backoff between the attempts: at least 125 + 250 ms. */
	ck_assert_msg(r.secs >= 0.35, "three attempts in %.3f s", r.secs);
	ck_assert_msg(r.secs < 5, "%.3f s", r.secs);
	it_resp_free(&r);
	/* One try and MAX_RETRIES retries, no more. */
	ck_assert_int_eq(it_sbx_count("/api/accounts", IT_KEY_ACME, 503),
	    1 + MAX_RETRIES);
	expect_connected_unchanged(store, tok, IT_KEY_ACME,
	    IT_METRIC_ACME_SHOPIFY_PO, 502, "klaviyo_error");
	/*
	 * Every endpoint failing (a Test, then a Connect): still bounded
	 * per endpoint, and at least one was tried 1 + MAX_RETRIES times.
	 */
	it_sbx_reset();
	it_sbx_fault("{\"fault\":\"status\",\"status\":500,\"key\":\""
	    IT_KEY_ACME "\"}");
	expect_failure(IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO, 502,
	    "klaviyo_error");
	ck_assert_int_le(it_sbx_count("/api/accounts", IT_KEY_ACME, 500),
	    2 * (1 + MAX_RETRIES));
	ck_assert_int_le(it_sbx_count("/api/metrics", IT_KEY_ACME, 500),
	    2 * (1 + MAX_RETRIES));
	ck_assert_int_le(it_sbx_count("/api/custom-metrics", IT_KEY_ACME,
	    500), 2 * (1 + MAX_RETRIES));
	ck_assert_int_ge(it_sbx_count(NULL, IT_KEY_ACME, 500),
	    2 * (1 + MAX_RETRIES));

	/* A single 502 is retried away: the user sees success. */
	it_klaviyo_cold();
	it_sbx_fault("{\"fault\":\"status\",\"status\":502,\"count\":1,"
	    "\"path\":\"/api/metrics\",\"key\":\"" IT_KEY_ACME "\"}");
	it_test_key(store, tok, IT_KEY_ACME, &r);
	it_assert_ok(&r);
	ck_assert_uint_eq(json_object_array_length(it_jget(r.json, "metrics")),
	    512);
	it_resp_free(&r);
	ck_assert_int_eq(it_sbx_count("/api/metrics", IT_KEY_ACME, 502), 1);
	ck_assert_int_eq(it_sbx_count("/api/metrics", IT_KEY_ACME, 200), 3);
}
END_TEST

START_TEST(faults_4xx_not_retried)
{
	struct it_resp	 r;
	char		 store[32], tok[64];

	owned_store("4xx", store, sizeof(store), tok, sizeof(tok));
	it_sbx_fault("{\"fault\":\"status\",\"status\":404,\"path\":"
	    "\"/api/custom-metrics\"}");
	it_test_key(store, tok, IT_KEY_CEDAR, &r);
	it_assert_error(&r, 502, "klaviyo_error");
	it_resp_free(&r);
	ck_assert_int_eq(it_sbx_count("/api/custom-metrics", NULL, 404), 1);
	/* Klaviyo's edge: a 403 HTML page is not a missing scope. */
	it_klaviyo_cold();
	it_sbx_fault("{\"fault\":\"html\",\"path\":\"/api/accounts\"}");
	it_test_key(store, tok, IT_KEY_CEDAR, &r);
	it_assert_error(&r, 502, "klaviyo_error");
	it_resp_free(&r);
	ck_assert_int_eq(it_sbx_count("/api/accounts", NULL, 403), 1);
}
END_TEST

START_TEST(faults_malformed_json_502)
{
	struct it_resp	 r;
	char		 store[32], tok[64];

	connected_store("Malformed", store, sizeof(store), tok, sizeof(tok));
	it_sbx_fault("{\"fault\":\"malformed\",\"path\":\"/api/metrics\","
	    "\"key\":\"" IT_KEY_ACME "\"}");
	expect_failure(IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO, 502,
	    "klaviyo_bad_response");
	expect_connected_unchanged(store, tok, IT_KEY_ACME,
	    IT_METRIC_ACME_SHOPIFY_PO, 502, "klaviyo_bad_response");
	/* Garbage is an answer: not asked again. */
	ck_assert_int_eq(it_sbx_count("/api/metrics", IT_KEY_ACME, -1), 3);

	/* The account answer cut in half. */
	it_klaviyo_cold();
	it_sbx_fault("{\"fault\":\"malformed\",\"path\":\"/api/accounts\"}");
	expect_failure(IT_KEY_EMPTY, "abc123", 502, "klaviyo_bad_response");

	/* JSON under another content type. */
	it_klaviyo_cold();
	it_sbx_fault("{\"fault\":\"content_type\",\"path\":"
	    "\"/api/custom-metrics\"}");
	expect_failure(IT_KEY_CEDAR, IT_METRIC_CEDAR_PO, 502,
	    "klaviyo_bad_response");
	expect_connected_unchanged(store, tok, IT_KEY_CEDAR,
	    IT_METRIC_CEDAR_PO, 502, "klaviyo_bad_response");

	/* Afterwards all is well again. */
	it_klaviyo_cold();
	it_test_key(store, tok, IT_KEY_CEDAR, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
}
END_TEST

START_TEST(faults_connection_reset_retried_502)
{
	struct it_resp	 r;
	char		 store[32], tok[64];
	long		 n;

	connected_store("Reset", store, sizeof(store), tok, sizeof(tok));
	it_sbx_fault("{\"fault\":\"reset\",\"path\":\"/api/accounts\","
	    "\"key\":\"" IT_KEY_ACME "\"}");
	it_test_key(store, tok, IT_KEY_ACME, &r);
	it_assert_error(&r, 502, "klaviyo_unreachable");
	it_resp_free(&r);
	/*
	 * Retried, and bounded: our MAX_RETRIES retries, each of which
	 * libcurl itself may repeat on a pooled connection that died
	 * (up to 5 times, CONN_MAX_RETRIES) before it reports the error.
	 */
	n = it_sbx_count("/api/accounts", IT_KEY_ACME, 0);
	ck_assert_msg(n >= 1 + MAX_RETRIES && n <= 6 * (1 + MAX_RETRIES),
	    "%ld requests for one call", n);
	expect_connected_unchanged(store, tok, IT_KEY_ACME,
	    IT_METRIC_ACME_SHOPIFY_PO, 502, "klaviyo_unreachable");
	/* One reset only: retried, success. */
	it_klaviyo_cold();
	it_sbx_fault("{\"fault\":\"reset\",\"count\":1,\"path\":"
	    "\"/api/accounts\",\"key\":\"" IT_KEY_ACME "\"}");
	it_test_key(store, tok, IT_KEY_ACME, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	ck_assert_int_eq(it_sbx_count("/api/accounts", IT_KEY_ACME, 200), 1);
}
END_TEST

START_TEST(faults_slow_klaviyo_504_within_timeout)
{
	struct it_resp	 r;
	char		 store[32], tok[64], *before, *after;

	connected_store("Slow", store, sizeof(store), tok, sizeof(tok));
	it_sbx_fault("{\"fault\":\"latency\",\"ms\":4000,\"path\":"
	    "\"/api/accounts\",\"key\":\"" IT_KEY_ACME "\"}");
	it_test_key(store, tok, IT_KEY_ACME, &r);
	it_assert_error(&r, 504, "klaviyo_timeout");
	ck_assert_msg(r.secs >= TIMEOUT_S - 0.1 && r.secs < TIMEOUT_S + 2.5,
	    "504 after %.3f s (timeout %.1f s)", r.secs, TIMEOUT_S);
	it_resp_free(&r);
	before = it_store_state(store);
	it_connect(store, tok, IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO, &r);
	it_assert_error(&r, 504, "klaviyo_timeout");
	ck_assert_msg(r.secs < TIMEOUT_S + 2.5, "504 after %.3f s", r.secs);
	it_resp_free(&r);
	after = it_store_state(store);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	/* Slow but within the timeout is fine. */
	it_klaviyo_cold();
	it_sbx_fault("{\"fault\":\"latency\",\"ms\":600,\"path\":"
	    "\"/api/accounts\",\"key\":\"" IT_KEY_ACME "\"}");
	it_test_key(store, tok, IT_KEY_ACME, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
}
END_TEST

/*
 * Every worker waiting on a Klaviyo that never answers: each gets its
 * 504 within the timeout, and the service answers at once afterwards.
 */
START_TEST(faults_hang_all_workers_free_again)
{
	struct it_req	 reqs[WORKERS + 1], health[WORKERS];
	struct it_resp	 out[WORKERS + 1], hout[WORKERS];
	char		 store[32], tok[64];
	const char	*body = "{\"apiKey\":\"" IT_KEY_ACME "\","
	    "\"action\":\"test\"}";
	size_t		 i;

	owned_store("Hang", store, sizeof(store), tok, sizeof(tok));
	it_sbx_fault("{\"fault\":\"hang\",\"ms\":20000,\"key\":\""
	    IT_KEY_ACME "\"}");
	for (i = 0; i < WORKERS; i++) {
		reqs[i].method = "POST";
		reqs[i].path = it_connect_path(store);
		reqs[i].token = tok;
		reqs[i].body = body;
		reqs[i].header = NULL;
	}
	it_parallel(WORKERS, reqs, out);
	for (i = 0; i < WORKERS; i++) {
		it_assert_error(&out[i], 504, "klaviyo_timeout");
		ck_assert_msg(out[i].secs < 2 * TIMEOUT_S + 1.5,
		    "request %zu took %.3f s", i, out[i].secs);
		it_resp_free(&out[i]);
	}
	/* Free again: every worker answers at once. */
	for (i = 0; i < WORKERS; i++) {
		health[i].method = "GET";
		health[i].path = "/api/health";
		health[i].token = NULL;
		health[i].body = NULL;
		health[i].header = NULL;
	}
	it_parallel(WORKERS, health, hout);
	for (i = 0; i < WORKERS; i++) {
		ck_assert_msg(hout[i].status == 200, "health %ld %s",
		    hout[i].status, hout[i].body);
		ck_assert_msg(hout[i].secs < 3.0, "health took %.3f s",
		    hout[i].secs);
		it_resp_free(&hout[i]);
	}
	/* And Klaviyo calls work again on all of them. */
	it_sbx("DELETE", "/__sandbox/faults", NULL, &out[0]);
	it_resp_free(&out[0]);
	for (i = 0; i < WORKERS; i++) {
		reqs[i].body = "{\"apiKey\":\"" IT_KEY_EMPTY "\","
		    "\"action\":\"test\"}";
	}
	it_parallel(WORKERS, reqs, out);
	for (i = 0; i < WORKERS; i++) {
		it_assert_ok(&out[i]);
		ck_assert_msg(out[i].secs < 2 * TIMEOUT_S, "took %.3f s",
		    out[i].secs);
		it_resp_free(&out[i]);
	}
}
END_TEST

START_TEST(faults_klaviyo_429_becomes_our_429)
{
	struct it_resp	 r;
	char		 store[32], tok[64];
	const char	*ra;
	long		 n;

	connected_store("Klaviyo 429", store, sizeof(store), tok,
	    sizeof(tok));
	it_sbx_fault("{\"fault\":\"status\",\"status\":429,\"path\":"
	    "\"/api/accounts\",\"key\":\"" IT_KEY_ACME "\"}");
	it_test_key(store, tok, IT_KEY_ACME, &r);
	it_assert_error(&r, 429, "klaviyo_rate_limited");
	ra = it_header(&r, "Retry-After");
	ck_assert_msg(ra != NULL && strtol(ra, NULL, 10) >= 1,
	    "Retry-After %s", ra ? ra : "(none)");
	ck_assert_msg(r.secs < 6, "429 after %.3f s", r.secs);
	it_resp_free(&r);
	/* Bounded: never hammering a Klaviyo that said slow down. */
	n = it_sbx_count("/api/accounts", IT_KEY_ACME, 429);
	ck_assert_msg(n >= 1 && n <= 1 + MAX_RETRIES, "%ld requests", n);
	expect_connected_unchanged(store, tok, IT_KEY_ACME,
	    IT_METRIC_ACME_SHOPIFY_PO, 429, "klaviyo_rate_limited");

	/* One 429 with Retry-After: 1 is waited out (1 s <= 1 s). */
	it_klaviyo_cold();
	it_sbx_fault("{\"fault\":\"status\",\"status\":429,\"count\":1,"
	    "\"path\":\"/api/accounts\",\"key\":\"" IT_KEY_ACME "\"}");
	it_test_key(store, tok, IT_KEY_ACME, &r);
	it_assert_ok(&r);
	ck_assert_msg(r.secs >= 0.95, "Retry-After not honoured: %.3f s",
	    r.secs);
	it_resp_free(&r);
	ck_assert_int_eq(it_sbx_count("/api/accounts", IT_KEY_ACME, 200), 1);
}
END_TEST

/* Sets blocked_until on the account's bucket of an endpoint. */
static void
block_bucket(const char *acct, const char *endpoint, int secs)
{
	char		 key[64], s[16];
	const char	*p[3] = { key, endpoint, s };

	snprintf(key, sizeof(key), "acct:%s", acct);
	snprintf(s, sizeof(s), "%d", secs);
	/* The windows rate_take() uses at KLAVIYO_RATE_SCALE=60:
	 * 1050 / 60 + 20 and 61200 / 60 + 20 ms. */
	PQclear(it_sql("INSERT INTO rate_buckets (account_key, endpoint,"
	    " window_ms, limit_count, blocked_until)"
	    " SELECT $1, $2, w, 1, clock_timestamp()"
	    " + make_interval(secs => $3::int) FROM unnest('{37,1040}'"
	    "::integer[]) AS w ON CONFLICT (account_key, endpoint, window_ms)"
	    " DO UPDATE SET blocked_until = EXCLUDED.blocked_until", 3, p));
}

static void
remember_account(const char *key, const char *acct)
{
	char		 hash[SHA256_HEX_LEN + 1];
	const char	*p[2] = { hash, acct };

	crypto_sha256_hex(key, strlen(key), hash);
	PQclear(it_sql("INSERT INTO klaviyo_key_accounts (key_hash,"
	    " account_id) VALUES ($1, $2) ON CONFLICT (key_hash) DO UPDATE"
	    " SET account_id = EXCLUDED.account_id", 2, p));
}

/*
 * Our limiter says no before anything is sent: 429 with the wait,
 * and Klaviyo sees no request at all (a Test that cannot be answered
 * must not spend the metrics budget either).
 */
START_TEST(faults_our_limiter_429_before_sending)
{
	struct it_resp	 r;
	char		 store[32], tok[64], *before, *after;
	const char	*ra;
	long		 wait;

	owned_store("Limiter", store, sizeof(store), tok, sizeof(tok));
	remember_account(IT_KEY_ACME, IT_ACCT_ACME);
	block_bucket(IT_ACCT_ACME, "accounts", 5);
	before = it_store_state(store);
	it_test_key(store, tok, IT_KEY_ACME, &r);
	it_assert_error(&r, 429, "rate_limited");
	ra = it_header(&r, "Retry-After");
	ck_assert_ptr_nonnull(ra);
	wait = strtol(ra, NULL, 10);
	ck_assert_msg(wait >= 1 && wait <= 6, "Retry-After %s", ra);
	ck_assert_msg(strstr(it_str(&r, "error"), "try again") != NULL,
	    "message: %s", it_str(&r, "error"));
	/* At once, not after waiting: the wait is 5 s, the cap 1 s. */
	ck_assert_msg(r.secs < 1.4, "refused after %.3f s", r.secs);
	it_resp_free(&r);
	ck_assert_int_eq(it_sbx_count("/api/accounts", NULL, -1), 0);
	ck_assert_msg(it_sbx_count(NULL, NULL, -1) == 0, "a Test refused by "
	    "our limiter still sent %ld requests to Klaviyo",
	    it_sbx_count(NULL, NULL, -1));
	it_connect(store, tok, IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO, &r);
	it_assert_error(&r, 429, "rate_limited");
	ck_assert_ptr_nonnull(it_header(&r, "Retry-After"));
	it_resp_free(&r);
	after = it_store_state(store);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	/* Another account is not affected. */
	it_test_key(store, tok, IT_KEY_BLUEBIRD, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	/* Once the wait is over it works. */
	PQclear(it_sql("UPDATE rate_buckets SET blocked_until = NULL", 0,
	    NULL));
	it_test_key(store, tok, IT_KEY_ACME, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
}
END_TEST

/*
 * A user pressing Test again and again (the cache cleared each time,
 * as for another key of the same account), from several tabs at once:
 * answers are ours (200, or 429 rate_limited with the wait), and
 * Klaviyo never has to say 429.
 */
static void
press_test(const char *key, int rounds)
{
	struct it_req	 reqs[WORKERS];
	struct it_resp	 out[WORKERS];
	char		 store[32], tok[64], body[128], from[32];
	const char	*code;
	int		 round, ok = 0, limited = 0;
	size_t		 i;

	owned_store("Presses", store, sizeof(store), tok, sizeof(tok));
	snprintf(body, sizeof(body), "{\"apiKey\":\"%s\",\"action\":"
	    "\"test\"}", key);
	for (i = 0; i < WORKERS; i++) {
		reqs[i].method = "POST";
		reqs[i].path = it_connect_path(store);
		reqs[i].token = tok;
		reqs[i].body = body;
		reqs[i].header = NULL;
	}
	for (round = 0; round < rounds; round++) {
		PQclear(it_sql("DELETE FROM klaviyo_probe_cache", 0, NULL));
		/*
		 * Each round from its own address: nginx's per-address
		 * limit on Klaviyo routes is not what this measures.
		 */
		snprintf(from, sizeof(from), "127.0.0.%d", 60 + round);
		it_parallel_from(from, WORKERS, reqs, out);
		for (i = 0; i < WORKERS; i++) {
			if (out[i].status == 200) {
				it_assert_ok(&out[i]);
				ok++;
			} else {
				it_assert_error(&out[i], 429, NULL);
				code = it_str(&out[i], "code");
				ck_assert_msg(strcmp(code, "rate_limited") == 0,
				    "Klaviyo had to refuse us: %s",
				    out[i].body);
				ck_assert_ptr_nonnull(it_header(&out[i],
				    "Retry-After"));
				limited++;
			}
			it_resp_free(&out[i]);
		}
	}
	ck_assert_int_eq(ok + limited, rounds * WORKERS);
	ck_assert_int_ge(ok, 15);
	/* Well over 15 accounts calls in a (scaled) minute were wanted. */
	ck_assert_int_ge(it_sbx_count("/api/accounts", key, 200), 15);
	ck_assert_msg(it_sbx_count(NULL, key, 429) == 0, "Klaviyo answered "
	    "429 %ld times", it_sbx_count(NULL, key, 429));
}

START_TEST(faults_repeated_tests_never_klaviyo_429)
{
	/* The key's account is known (it was tested before). */
	remember_account(IT_KEY_BLUEBIRD, IT_ACCT_BLUEBIRD);
	press_test(IT_KEY_BLUEBIRD, 8);
}
END_TEST

/*
 * Waits for the start of a sandbox steady window (1 s at
 * --time-scale 60, aligned the same for every account and endpoint):
 * another account's /api/accounts, every 20 ms (over the 16.7 ms burst
 * window), is refused once its 15 are spent and served again when the
 * next window begins.
 */
static void
sandbox_window_start(void)
{
	struct it_resp	r;
	int		i, refused = 0;

	for (i = 0; i < 150; i++) {
		it_sbx_api("/api/accounts", IT_KEY_CEDAR, &r);
		if (r.status == 429)
			refused = 1;
		else if (refused) {
			ck_assert_int_eq(r.status, 200);
			it_resp_free(&r);
			it_sbx("DELETE", "/__sandbox/requests", NULL, &r);
			it_resp_free(&r);
			return;
		}
		it_resp_free(&r);
		it_pause_ms(20);
	}
	ck_abort_msg("no sandbox window boundary seen in 3 s");
}

/*
 * The same with a key seen for the first time, tested from three tabs
 * at once: the calls made before its account is known count against
 * that account too (started at a window's start, so that all of them
 * fall into one of the sandbox's windows).
 */
START_TEST(faults_new_key_calls_count_for_its_account)
{
	sandbox_window_start();
	press_test(IT_KEY_BLUEBIRD, 8);
}
END_TEST

Suite *
suite_klaviyo_faults(void)
{
	Suite	*s = suite_create("klaviyo_faults");
	TCase	*tc = tcase_create("klaviyo_faults");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, faults_5xx_bounded_retries_502);
	tcase_add_test(tc, faults_4xx_not_retried);
	tcase_add_test(tc, faults_malformed_json_502);
	tcase_add_test(tc, faults_connection_reset_retried_502);
	tcase_add_test(tc, faults_slow_klaviyo_504_within_timeout);
	tcase_add_test(tc, faults_hang_all_workers_free_again);
	tcase_add_test(tc, faults_klaviyo_429_becomes_our_429);
	tcase_add_test(tc, faults_our_limiter_429_before_sending);
	tcase_add_test(tc, faults_repeated_tests_never_klaviyo_429);
	tcase_add_test(tc, faults_new_key_calls_count_for_its_account);
	suite_add_tcase(s, tc);
	return s;
}
