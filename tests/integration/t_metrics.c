/*
 * Metrics in Prometheus's text format (opstats.h): GET /metrics through
 * the nginx snippet's internal location (loopback only: another client
 * address gets 403), valid exposition text, request counters and the
 * latency histogram summed over every worker, unmatched paths under one
 * label, Klaviyo requests by endpoint, the queue gauges; and
 * klaviyo-syncd's SYNCD_METRICS_FILE after a sync job.
 */
#include "itest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "opstats.h"

#define PROM_TYPE "text/plain; version=0.0.4"
#define NPAR 24

/* The value of the sample "series " (name with labels); 0 when absent. */
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
	return 0;
}

/* GET /metrics, checked: 200, its content type, valid text. */
static char *
scrape(void)
{
	struct it_resp	 r;
	const char	*ct;
	char		*body;

	it_get("/metrics", NULL, &r);
	ck_assert_msg(r.status == 200, "/metrics: %ld %s", r.status, r.body);
	ct = it_header(&r, "Content-Type");
	ck_assert_msg(ct != NULL && strncmp(ct, PROM_TYPE, strlen(PROM_TYPE))
	    == 0, "Content-Type %s", ct ? ct : "(none)");
	ck_assert_msg(opstats_text_valid(r.body), "not exposition text:\n%s",
	    r.body);
	ck_assert_ptr_nonnull(body = strdup(r.body));
	it_resp_free(&r);
	return body;
}

#define HEALTH "{route=\"/api/health\",method=\"GET\""

START_TEST(metrics_count_requests_across_workers)
{
	struct it_req	 reqs[NPAR];
	struct it_resp	 out[NPAR], r;
	char		*m0, *m1;
	double		 d_req, d_count, d_inf, d_404;
	size_t		 i;

	m0 = scrape();
	memset(reqs, 0, sizeof(reqs));
	for (i = 0; i < NPAR; i++) {
		reqs[i].method = "GET";
		reqs[i].path = "/api/health";
	}
	/* At once: several workers answer them. */
	it_parallel(NPAR, reqs, out);
	for (i = 0; i < NPAR; i++) {
		ck_assert_int_eq(out[i].status, 200);
		it_resp_free(&out[i]);
	}
	it_get("/api/no-such-route", NULL, &r);
	ck_assert_int_eq(r.status, 404);
	it_resp_free(&r);
	m1 = scrape();

	d_req = sample(m1, "kc_http_requests_total" HEALTH ",status=\"200\"}")
	    - sample(m0, "kc_http_requests_total" HEALTH ",status=\"200\"}");
	d_count = sample(m1, "kc_http_request_duration_seconds_count" HEALTH
	    "}") - sample(m0, "kc_http_request_duration_seconds_count" HEALTH
	    "}");
	d_inf = sample(m1, "kc_http_request_duration_seconds_bucket" HEALTH
	    ",le=\"+Inf\"}");
	d_404 = sample(m1, "kc_http_requests_total{route=\"unmatched\","
	    "method=\"\",status=\"404\"}") - sample(m0, "kc_http_requests_total"
	    "{route=\"unmatched\",method=\"\",status=\"404\"}");
	/* Nobody else asks for health now: exactly ours, whoever answered. */
	ck_assert_msg(d_req == NPAR, "health requests +%g, want %d", d_req,
	    NPAR);
	ck_assert_msg(d_count == NPAR, "histogram count +%g", d_count);
	ck_assert_msg(d_inf == sample(m1, "kc_http_request_duration_seconds_"
	    "count" HEALTH "}"), "+Inf bucket %g is not the count", d_inf);
	ck_assert_msg(d_404 == 1, "unmatched 404 +%g", d_404);
	/* The raw path is never a label. */
	ck_assert_ptr_null(strstr(m1, "no-such-route"));
	/* The scrape itself is a route. */
	ck_assert_msg(sample(m1, "kc_http_requests_total{route=\"/metrics\","
	    "method=\"GET\",status=\"200\"}") >= 1, "%s", m1);
	/* The queues, from the database. */
	ck_assert_msg(sample(m1, "kc_database_up") == 1, "%s", m1);
	ck_assert_ptr_nonnull(strstr(m1, "\nkc_sync_jobs{state=\"queued\"} "));
	ck_assert_ptr_nonnull(strstr(m1, "\nkc_outbox_pending "));
	ck_assert_ptr_nonnull(strstr(m1, "\nkc_sync_oldest_queued_seconds "));
	ck_assert_ptr_nonnull(strstr(m1, "# TYPE kc_http_request_duration_"
	    "seconds histogram\n"));
	free(m0);
	free(m1);
}
END_TEST

START_TEST(metrics_count_klaviyo_requests)
{
	struct it_resp	 r;
	char		 store[80], tok[64], *m0, *m1;
	const char	*acct = "kc_klaviyo_requests_total{endpoint=\"accounts\","
	    "status=\"200\"}";
	double		 d;

	it_store("Metrics Store", store, sizeof(store));
	it_member("owner", store, tok, sizeof(tok));
	it_klaviyo_cold();
	m0 = scrape();
	it_test_key(store, tok, IT_KEY_ACME, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	m1 = scrape();
	d = sample(m1, acct) - sample(m0, acct);
	ck_assert_msg(d >= 1, "accounts 200 +%g:\n%s", d, m1);
	ck_assert_ptr_nonnull(strstr(m1, "\nkc_klaviyo_rate_limited_total "));
	ck_assert_ptr_nonnull(strstr(m1, "\nkc_klaviyo_rate_waits_total "));
	free(m0);
	free(m1);
}
END_TEST

START_TEST(metrics_refused_from_other_addresses)
{
	struct it_req	 req = { "GET", "/metrics", NULL, NULL, NULL };
	struct it_resp	 r;

	/* nginx sees 127.0.0.2: not in the location's allow list. */
	it_parallel_from("127.0.0.2", 1, &req, &r);
	ck_assert_msg(r.status == 403, "/metrics from 127.0.0.2: %ld",
	    r.status);
	ck_assert_ptr_null(strstr(r.body, "kc_http_requests_total"));
	it_resp_free(&r);
	/* The API still answers that address. */
	req.path = "/api/health";
	it_parallel_from("127.0.0.2", 1, &req, &r);
	ck_assert_int_eq(r.status, 200);
	it_resp_free(&r);
}
END_TEST

START_TEST(metrics_syncd_file)
{
	struct it_resp	 r;
	char		 store[80], tok[64], path[512], sync[160], *out, *m;
	const char	*p[1] = { store };
	int		 st;

	it_store("Syncd Metrics", store, sizeof(store));
	it_member("owner", store, tok, sizeof(tok));
	it_klaviyo_cold();
	it_connect(store, tok, IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	it_isolate(store);
	/* One campaigns job, nothing else (the connect's trigger too). */
	PQclear(it_sql("UPDATE report_triggers SET cancelled_at = now()"
	    " WHERE delivered_at IS NULL AND cancelled_at IS NULL", 0, NULL));
	snprintf(sync, sizeof(sync), "/api/store/%s/klaviyo-sync", store);
	it_post(sync, tok, "{\"types\":[\"campaigns\"]}", &r);
	ck_assert_msg(r.status == 202, "%ld %s", r.status, r.body);
	it_resp_free(&r);

	snprintf(path, sizeof(path), "%s/run/syncd-metrics-%s.prom",
	    getenv("KC_TEST_STATE"), it_unique());
	/* The service user writes it: the folder is its run directory. */
	st = it_run(&out, "SYNC_SCHEDULE_SECONDS=0 SYNC_CONCURRENCY=7"
	    " SYNCD_METRICS_FILE='%s' timeout 120 %s --once 2>&1", path,
	    getenv("KC_TEST_SYNCD"));
	ck_assert_msg(st == 0, "klaviyo-syncd: %d %s", st, out);
	free(out);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM sync_jobs j JOIN"
	    " stores s ON s.id = j.store_id WHERE s.public_id = $1 AND"
	    " j.state = 'done'", 1, p), 1);

	m = it_read_file(path);
	ck_assert_msg(opstats_text_valid(m), "not exposition text:\n%s", m);
	ck_assert_msg(sample(m, "kc_sync_jobs_ended_total{outcome=\"ok\"}") ==
	    1, "%s", m);
	ck_assert_msg(sample(m, "kc_syncd_pool_size") == 7, "%s", m);
	ck_assert_msg(sample(m, "kc_syncd_jobs_active") == 0, "%s", m);
	ck_assert_msg(strstr(m, "kc_klaviyo_requests_total{endpoint=\"") !=
	    NULL && strstr(m, ",status=\"200\"} ") != NULL, "%s", m);
	ck_assert_msg(sample(m, "kc_database_up") == 1, "%s", m);
	/* A web worker's counters are not in it. */
	ck_assert_ptr_null(strstr(m, "kc_http_requests_total{"));
	/* Written whole: no temporary file left. */
	ck_assert_int_ne(access(strcat(path, ".tmp"), F_OK), 0);
	free(m);
}
END_TEST

Suite *
suite_metrics(void)
{
	Suite	*s = suite_create("metrics");
	TCase	*tc = tcase_create("metrics");

	tcase_set_timeout(tc, 150);
	tcase_add_test(tc, metrics_count_requests_across_workers);
	tcase_add_test(tc, metrics_count_klaviyo_requests);
	tcase_add_test(tc, metrics_refused_from_other_addresses);
	tcase_add_test(tc, metrics_syncd_file);
	suite_add_tcase(s, tc);
	return s;
}
