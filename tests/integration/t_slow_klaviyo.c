/*
 * A slow or hanging Klaviyo cannot take the web service down (issue 14):
 * Klaviyo-calling requests end with our 504 by their deadline, at most
 * workers - 1 of them (2 per user) run at once and the others are
 * refused at once with 429 and Retry-After, so /api/me and /api/health
 * keep answering; no rate-limit wait above 1 s runs in a worker; a test
 * always asks Klaviyo.
 *
 * run.sh runs 3 workers with KLAVIYO_TIMEOUT_MS=2000,
 * KLAVIYO_REQUEST_DEADLINE_MS=4000, KLAVIYO_MAX_WAIT_MS=1000 and the caps
 * off; this suite restarts the workers with the shipped caps
 * (KLAVIYO_WEB_CONCURRENCY=0: workers - 1 = 2, 2 per user) and puts
 * run.sh's settings back at the end.
 */
#include "itest.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

#define DEADLINE_S	4.0	/* KLAVIYO_REQUEST_DEADLINE_MS */
#define SLOTS		2	/* KC_WORKERS 3 - 1 */
#define STORM		32	/* concurrent Test requests */
#define STORM_FROM	4	/* client addresses (nginx's limit_req) */
#define STORM_USERS	8
/* Generous for a loaded 2-core CI machine under sanitizers. */
#define ME_P99_MAX_S	0.5

static void
fcgictl(const char *args)
{
	int st;

	st = it_system("%s restart %s >/dev/null 2>&1",
	    getenv("KC_TEST_FCGICTL"), args);
	if (st != 0) {
		fprintf(stderr, "fcgictl restart %s: %d\n", args, st);
		abort();
	}
}

static void
caps_on(void)
{
	fcgictl("KLAVIYO_WEB_CONCURRENCY=0 KLAVIYO_WEB_CONCURRENCY_PER_USER=2");
}

static void
caps_back(void)
{
	fcgictl("");
}

static void
setup(void)
{
	it_klaviyo_cold();
}

static void
test_req(struct it_req *q, const char *store, const char *tok)
{
	q->method = "POST";
	q->path = it_connect_path(store);
	q->token = tok;
	q->body = "{\"apiKey\":\"" IT_KEY_ACME "\",\"action\":\"test\"}";
	q->header = NULL;
}

static void
assert_busy(const struct it_resp *r, const char *words)
{
	const char	*ra;
	long		 secs;

	it_assert_error(r, 429, "klaviyo_busy");
	ra = it_header(r, "Retry-After");
	ck_assert_msg(ra != NULL, "429 without Retry-After: %s", r->body);
	secs = strtol(ra, NULL, 10);
	ck_assert_msg(secs >= 1 && secs <= DEADLINE_S + 1, "Retry-After %s",
	    ra);
	ck_assert_msg(strstr(it_str(r, "error"), words) != NULL, "message: %s",
	    it_str(r, "error"));
	ck_assert_msg(strstr(it_str(r, "error"), "try again in") != NULL,
	    "message: %s", it_str(r, "error"));
}

/*
 * Every page answers, but slowly: three /api/metrics pages one after
 * another at 1.5 s each pass no per-request timeout (2 s), yet the
 * request's deadline (4 s) ends it with our 504.
 */
START_TEST(slow_pages_end_at_the_deadline_504)
{
	struct it_resp	 r;
	char		 store[32], tok[64], auth[128];
	const char	*hdrs[] = { "X-Klaviyo-Api-Key: " IT_KEY_LISTS, auth,
	    NULL };

	it_store("Slow pages", store, sizeof(store));
	it_member("owner", store, tok, sizeof(tok));
	it_sbx_fault("{\"fault\":\"latency\",\"ms\":1500,\"path\":"
	    "\"/api/metrics\",\"key\":\"" IT_KEY_ACME "\"}");
	it_test_key(store, tok, IT_KEY_ACME, &r);
	it_assert_error(&r, 504, "klaviyo_timeout");
	ck_assert_msg(strstr(it_str(&r, "error"), "did not answer in time") !=
	    NULL, "message: %s", it_str(&r, "error"));
	ck_assert_msg(r.secs >= DEADLINE_S - 0.2 && r.secs < DEADLINE_S + 1.5,
	    "504 after %.3f s (deadline %.1f s)", r.secs, DEADLINE_S);
	it_assert_no_secret(&r, IT_KEY_ACME);
	it_resp_free(&r);
	/* The same for the debug route and its list pages. */
	it_klaviyo_cold();
	it_sbx_fault("{\"fault\":\"latency\",\"ms\":1500,\"path\":"
	    "\"/api/lists\",\"key\":\"" IT_KEY_LISTS "\"}");
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
	it_request("GET", "/api/klaviyo/test", hdrs, NULL, 0, &r);
	it_assert_error(&r, 504, "klaviyo_timeout");
	ck_assert_msg(r.secs < DEADLINE_S + 1.5, "504 after %.3f s", r.secs);
	it_resp_free(&r);
}
END_TEST

/* One user, three at once: two reach Klaviyo, the third is refused. */
START_TEST(per_user_cap_429_at_once)
{
	struct it_req	 q[3];
	struct it_resp	 out[3], h;
	char		 store[32], tok[64], tok2[64], tok3[64];
	int		 i, timeouts = 0, busy = 0;

	it_store("User cap", store, sizeof(store));
	it_member("owner", store, tok, sizeof(tok));
	it_member("owner", store, tok2, sizeof(tok2));
	it_sbx_fault("{\"fault\":\"hang\",\"ms\":20000,\"key\":\""
	    IT_KEY_ACME "\"}");
	for (i = 0; i < 3; i++)
		test_req(&q[i], store, tok);
	it_parallel(3, q, out);
	for (i = 0; i < 3; i++) {
		if (out[i].status == 504) {
			it_assert_error(&out[i], 504, "klaviyo_timeout");
			ck_assert_msg(out[i].secs < DEADLINE_S + 1.5,
			    "504 after %.3f s", out[i].secs);
			timeouts++;
		} else {
			assert_busy(&out[i], "You already have 2");
			ck_assert_msg(out[i].secs < 1.0, "refused after %.3f s",
			    out[i].secs);
			busy++;
		}
		it_resp_free(&out[i]);
	}
	ck_assert_int_eq(timeouts, 2);
	ck_assert_int_eq(busy, 1);
	/* The slots were given back: another user gets through. */
	it_get("/api/health", NULL, &h);
	ck_assert_int_eq(h.status, 200);
	it_resp_free(&h);
	/* Three users at once: the server's two slots, then a refusal. */
	it_member("owner", store, tok3, sizeof(tok3));
	test_req(&q[0], store, tok);
	test_req(&q[1], store, tok2);
	test_req(&q[2], store, tok3);
	it_parallel(3, q, out);
	for (timeouts = busy = i = 0; i < 3; i++) {
		if (out[i].status == 504) {
			it_assert_error(&out[i], 504, "klaviyo_timeout");
			timeouts++;
		} else {
			assert_busy(&out[i], "slots are busy");
			busy++;
		}
		it_resp_free(&out[i]);
	}
	ck_assert_int_eq(timeouts, SLOTS);
	ck_assert_int_eq(busy, 1);
}
END_TEST

struct storm {
	pthread_t	 thread;
	char		 from[32];
	struct it_req	 q[STORM / STORM_FROM];
	struct it_resp	 out[STORM / STORM_FROM];
	int		 done;
};

static void *
storm_main(void *arg)
{
	struct storm *s = arg;

	it_parallel_from(s->from, STORM / STORM_FROM, s->q, s->out);
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Klaviyo hangs and 32 Test requests arrive at once from 8 users: two
 * wait for Klaviyo (504 by the deadline), every other one is refused at
 * once with 429 and Retry-After, and /api/me and /api/health answer
 * throughout from the worker that stays free.
 */
START_TEST(hang_storm_leaves_a_worker_free)
{
	static struct storm	 st[STORM_FROM];
	static double		 me[4096];
	struct it_resp		 r;
	char			 store[32], tok[STORM_USERS][64], metok[64];
	size_t			 nme = 0, i, j, k;
	int			 running, timeouts = 0, busy = 0;
	double			 p99;

	it_store("Storm", store, sizeof(store));
	for (i = 0; i < STORM_USERS; i++)
		it_member("owner", store, tok[i], sizeof(tok[i]));
	it_member("viewer", store, metok, sizeof(metok));
	it_sbx_fault("{\"fault\":\"hang\",\"ms\":20000,\"key\":\""
	    IT_KEY_ACME "\"}");
	for (i = 0, k = 0; i < STORM_FROM; i++) {
		memset(&st[i], 0, sizeof(st[i]));
		snprintf(st[i].from, sizeof(st[i].from), "127.0.0.%zu",
		    90 + i);
		for (j = 0; j < STORM / STORM_FROM; j++, k++)
			test_req(&st[i].q[j], store, tok[k % STORM_USERS]);
	}
	for (i = 0; i < STORM_FROM; i++)
		ck_assert_int_eq(pthread_create(&st[i].thread, NULL,
		    storm_main, &st[i]), 0);
	/* Meanwhile: a status reader, one request after another. */
	do {
		it_get("/api/me", metok, &r);
		ck_assert_msg(r.status == 200, "/api/me %ld %s", r.status,
		    r.body);
		if (nme < sizeof(me) / sizeof(me[0]))
			me[nme++] = r.secs;
		it_resp_free(&r);
		if (nme % 10 == 0) {
			it_get("/api/health", NULL, &r);
			ck_assert_msg(r.status == 200 && r.secs < 1.0,
			    "/api/health %ld after %.3f s", r.status, r.secs);
			it_resp_free(&r);
		}
		for (running = 0, i = 0; i < STORM_FROM; i++)
			running += !__atomic_load_n(&st[i].done,
			    __ATOMIC_ACQUIRE);
	} while (running > 0);
	for (i = 0; i < STORM_FROM; i++)
		ck_assert_int_eq(pthread_join(st[i].thread, NULL), 0);
	for (i = 0; i < STORM_FROM; i++)
		for (j = 0; j < STORM / STORM_FROM; j++) {
			r = st[i].out[j];
			if (r.status == 504) {
				it_assert_error(&r, 504, "klaviyo_timeout");
				ck_assert_msg(r.secs < 2 * DEADLINE_S + 1.5,
				    "504 after %.3f s", r.secs);
				timeouts++;
			} else {
				assert_busy(&r, "");
				busy++;
			}
			it_resp_free(&st[i].out[j]);
		}
	ck_assert_int_eq(timeouts + busy, STORM);
	/* Two slots, each freed after a 2 s timeout: a few reach Klaviyo. */
	ck_assert_msg(timeouts >= 1 && timeouts <= 3 * SLOTS,
	    "%d reached Klaviyo", timeouts);
	ck_assert_int_ge(busy, STORM - 3 * SLOTS);
	ck_assert_uint_ge(nme, 10);
	qsort(me, nme, sizeof(me[0]), cmp_double);
	p99 = me[(nme * 99 + 99) / 100 - 1];
	printf("slow_klaviyo: /api/me during the storm: n=%zu p50=%.1fms "
	    "p99=%.1fms max=%.1fms (%d 504, %d 429)\n", nme,
	    me[nme / 2] * 1e3, p99 * 1e3, me[nme - 1] * 1e3, timeouts, busy);
	ck_assert_msg(p99 < ME_P99_MAX_S, "/api/me p99 %.3f s", p99);
}
END_TEST

/*
 * A rate-limit wait longer than 1 s (KLAVIYO_MAX_WAIT_MS) is not slept
 * in a worker: 429 with Retry-After at once.
 */
START_TEST(rate_wait_over_a_second_429_at_once)
{
	struct it_resp	 r;
	char		 store[32], tok[64], hash[SHA256_HEX_LEN + 1];
	const char	*p[1] = { hash };

	it_store("Wait", store, sizeof(store));
	it_member("owner", store, tok, sizeof(tok));
	crypto_sha256_hex(IT_KEY_ACME, strlen(IT_KEY_ACME), hash);
	/*
	 * The key's bucket (its account unknown yet) blocked for 1.3 s: over
	 * the 1 s bound, under the 1.5 s and 3 s ones this replaced.
	 */
	PQclear(it_sql("INSERT INTO rate_buckets (account_key, endpoint,"
	    " window_ms, limit_count, blocked_until)"
	    " SELECT 'key:' || $1, 'accounts', w, 1, clock_timestamp()"
	    " + interval '1300 milliseconds' FROM unnest('{37,1040}'"
	    "::integer[]) AS w ON CONFLICT (account_key, endpoint, window_ms)"
	    " DO UPDATE SET blocked_until = EXCLUDED.blocked_until", 1, p));
	it_test_key(store, tok, IT_KEY_ACME, &r);
	it_assert_error(&r, 429, "rate_limited");
	ck_assert_ptr_nonnull(it_header(&r, "Retry-After"));
	ck_assert_msg(strstr(it_str(&r, "error"), "for this account; try "
	    "again in") != NULL, "message: %s", it_str(&r, "error"));
	ck_assert_msg(r.secs < 1.0, "refused after %.3f s", r.secs);
	it_resp_free(&r);
	ck_assert_int_eq(it_sbx_count(NULL, NULL, -1), 0);
}
END_TEST

/*
 * A key Klaviyo refuses since its last test fails the next test at
 * once; a connect right after a test reuses its metric list, without
 * making the cached entry any younger.
 */
START_TEST(test_always_asks_klaviyo)
{
	struct it_resp	 r;
	char		 store[32], tok[64], *age1, *age2;
	long		 metrics;

	it_store("Revoked key", store, sizeof(store));
	it_member("owner", store, tok, sizeof(tok));
	it_test_key(store, tok, IT_KEY_ACME, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	metrics = it_sbx_count("/api/metrics", IT_KEY_ACME, 200);
	ck_assert_int_ge(metrics, 1);
	age1 = it_sql_value("SELECT fetched_at::text FROM klaviyo_probe_cache",
	    0, NULL);
	ck_assert_ptr_nonnull(age1);
	/* Connect right after: the account is asked, the metrics not. */
	it_connect(store, tok, IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	ck_assert_int_eq(it_sbx_count("/api/accounts", IT_KEY_ACME, 200), 2);
	ck_assert_int_eq(it_sbx_count("/api/metrics", IT_KEY_ACME, 200),
	    metrics);
	age2 = it_sql_value("SELECT fetched_at::text FROM klaviyo_probe_cache",
	    0, NULL);
	ck_assert_ptr_nonnull(age2);
	ck_assert_str_eq(age1, age2);
	free(age1);
	free(age2);
	/* Klaviyo refuses the key from now on (revoked in Klaviyo). */
	it_sbx_fault("{\"fault\":\"status\",\"status\":401,\"key\":\""
	    IT_KEY_ACME "\"}");
	it_test_key(store, tok, IT_KEY_ACME, &r);
	it_assert_error(&r, 422, "klaviyo_key_rejected");
	it_resp_free(&r);
}
END_TEST

/* Klaviyo request slots held right now (the gate's advisory locks). */
static long long
slots_held(void)
{
	/* klaviyo_gate.c's KGATE_CLASS_GLOBAL and KGATE_CLASS_USER + slot. */
	return it_sql_count("SELECT count(*) FROM pg_locks WHERE locktype ="
	    " 'advisory' AND granted AND objsubid = 2 AND classid BETWEEN"
	    " x'4b431000'::int AND x'4b4320ff'::int", 0, NULL);
}

/*
 * Workers killed with SIGKILL while they hold slots: the slots go with
 * their database connections, and the user may call Klaviyo again.
 */
START_TEST(killed_workers_leave_no_slot)
{
	struct it_bg	 bg[2];
	struct it_req	 q[2];
	struct it_resp	 out[2], r;
	pid_t		 m, w[16];
	char		 store[32], tok[64];
	int		 i, n;

	it_store("Killed", store, sizeof(store));
	it_member("owner", store, tok, sizeof(tok));
	it_sbx_fault("{\"fault\":\"hang\",\"ms\":20000,\"key\":\""
	    IT_KEY_ACME "\"}");
	for (i = 0; i < 2; i++) {
		test_req(&q[i], store, tok);
		it_bg_start(&bg[i], &q[i]);
	}
	/* Both in flight: a global and a user slot each. */
	for (i = 0; i < 100 && slots_held() < 4; i++)
		it_pause_ms(10);
	ck_assert_int_eq(slots_held(), 4);
	m = it_fcgi_master();
	n = it_fcgi_workers(m, w, 16);
	ck_assert_int_eq(n, 3);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(kill(w[i], SIGKILL), 0);
	for (i = 0; i < 2; i++) {
		it_bg_wait(&bg[i], &out[i]);
		ck_assert_msg(out[i].status != 200, "%ld", out[i].status);
		it_resp_free(&out[i]);
	}
	/* The connections close as the workers die: nothing stays held. */
	for (i = 0; i < 500 && slots_held() > 0; i++)
		it_pause_ms(10);
	ck_assert_int_eq(slots_held(), 0);
	/* Replaced workers serve; the user's two slots are free again. */
	for (i = 0; i < 100; i++) {
		it_get("/api/health", NULL, &r);
		n = (int)r.status;
		it_resp_free(&r);
		if (n == 200 && it_fcgi_workers(m, w, 16) == 3)
			break;
		it_pause_ms(50);
	}
	ck_assert_int_eq(n, 200);
	it_sbx_reset();
	it_parallel(2, q, out);
	for (i = 0; i < 2; i++) {
		it_assert_ok(&out[i]);
		it_resp_free(&out[i]);
	}
}
END_TEST

Suite *
suite_slow_klaviyo(void)
{
	Suite	*s = suite_create("slow_klaviyo");
	TCase	*tc = tcase_create("slow_klaviyo");

	/* A storm and its timeouts take a few seconds per test. */
	tcase_set_timeout(tc, 90);
	tcase_add_unchecked_fixture(tc, caps_on, caps_back);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, slow_pages_end_at_the_deadline_504);
	tcase_add_test(tc, per_user_cap_429_at_once);
	tcase_add_test(tc, hang_storm_leaves_a_worker_free);
	tcase_add_test(tc, rate_wait_over_a_second_429_at_once);
	tcase_add_test(tc, test_always_asks_klaviyo);
	tcase_add_test(tc, killed_workers_leave_no_slot);
	suite_add_tcase(s, tc);
	return s;
}
