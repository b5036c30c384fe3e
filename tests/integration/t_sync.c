/*
 * On-demand sync, the built-in report server and the outbox:
 * POST .../klaviyo-sync, POST /api/v1/reports/full_sync, and
 * klaviyo-syncd delivering report triggers to a report server that is
 * down, then back.
 */
#include "itest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "jobq.h"
#include "sync.h"
#include "sync_step.h"

static const char *
sync_path(const char *store)
{
	static char p[160];

	snprintf(p, sizeof(p), "/api/store/%s/klaviyo-sync", store);
	return p;
}

/* A store connected to the Acme sandbox account (Shopify Placed Order). */
static void
connected_store(char *store, size_t len, char *tok, size_t toklen,
    const char *metric)
{
	struct it_resp r;

	it_store("Sync Store", store, len);
	it_member("owner", store, tok, toklen);
	it_klaviyo_cold();
	it_connect(store, tok, IT_KEY_ACME, metric, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	/* The daemons these tests run must see this store alone. */
	setenv("SYNC_SCHEDULE_SECONDS", "0", 1);
	it_isolate(store);
}

static long long
jobs_of(const char *store, const char *state)
{
	const char *params[2] = { store, state };

	return it_sql_count("SELECT count(*) FROM sync_jobs j JOIN stores s"
	    " ON s.id = j.store_id WHERE s.public_id = $1 AND j.state = $2",
	    2, params);
}

START_TEST(sync_now_not_connected_409)
{
	char		store[80], tok[64];
	struct it_resp	r;

	it_store("Not Connected", store, sizeof(store));
	it_member("admin", store, tok, sizeof(tok));
	it_post(sync_path(store), tok, "{}", &r);
	it_assert_error(&r, 409, "conflict");
	it_resp_free(&r);
	ck_assert_int_eq(jobs_of(store, "queued"), 0);
}
END_TEST

START_TEST(sync_now_permissions)
{
	char		store[80], tok[64], vtok[64], otok[64], other[80];
	struct it_resp	r;

	connected_store(store, sizeof(store), tok, sizeof(tok),
	    IT_METRIC_ACME_SHOPIFY_PO);
	it_member("viewer", store, vtok, sizeof(vtok));
	it_store("Other", other, sizeof(other));
	it_member("owner", other, otok, sizeof(otok));
	it_post(sync_path(store), vtok, "{}", &r);
	it_assert_error(&r, 403, "forbidden");
	it_resp_free(&r);
	it_post(sync_path(store), otok, "{}", &r);
	it_assert_error(&r, 404, "not_found");
	it_resp_free(&r);
	it_post(sync_path(store), NULL, "{}", &r);
	it_assert_error(&r, 401, NULL);
	it_resp_free(&r);
}
END_TEST

/*
 * Issue 14: sync now checks permission again with the store row locked;
 * a role removed while the request waits there: 404, nothing queued.
 */
START_TEST(sync_now_revoked_meanwhile_404)
{
	struct it_bg	 b;
	struct it_req	 q;
	struct it_resp	 r;
	char		 store[80], tok[64], path[160];

	connected_store(store, sizeof(store), tok, sizeof(tok),
	    IT_METRIC_ACME_SHOPIFY_PO);
	snprintf(path, sizeof(path), "%s", sync_path(store));
	memset(&q, 0, sizeof(q));
	q.method = "POST";
	q.path = path;
	q.token = tok;
	q.body = "{}";
	it_store_lock(store);
	it_bg_start(&b, &q);
	it_wait_lock_waiter();
	it_revoke_all(store);
	it_store_unlock();
	it_bg_wait(&b, &r);
	it_assert_error(&r, 404, "not_found");
	it_resp_free(&r);
	ck_assert_int_eq(jobs_of(store, "queued"), 0);
}
END_TEST

START_TEST(sync_now_enqueues_once)
{
	char			 store[80], tok[64];
	struct it_resp		 r, r2;
	struct json_object	*jobs, *jobs2;
	size_t			 i;

	connected_store(store, sizeof(store), tok, sizeof(tok),
	    IT_METRIC_ACME_SHOPIFY_PO);
	/* The connect's own full sync is queued by the outbox later. */
	it_post(sync_path(store), tok, "{\"types\":[\"campaigns\","
	    "\"orders\"]}", &r);
	ck_assert_msg(r.status == 202, "%ld %s", r.status, r.body);
	jobs = it_jget(r.json, "jobs");
	ck_assert_uint_eq(json_object_array_length(jobs), 2);
	it_post(sync_path(store), tok, "{\"types\":[\"campaigns\","
	    "\"orders\"]}", &r2);
	ck_assert_int_eq(r2.status, 202);
	jobs2 = it_jget(r2.json, "jobs");
	/* One queued job per store and type: the same ids again. */
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(json_object_get_int64(it_jget(
		    json_object_array_get_idx(jobs, i), "id")),
		    json_object_get_int64(it_jget(
		    json_object_array_get_idx(jobs2, i), "id")));
	ck_assert_int_eq(jobs_of(store, "queued"), 2);
	it_resp_free(&r);
	it_resp_free(&r2);
	/* All types: five (orders: Shopify's Placed Order). */
	it_post(sync_path(store), tok, NULL, &r);
	ck_assert_int_eq(r.status, 202);
	ck_assert_uint_eq(json_object_array_length(it_jget(r.json, "jobs")),
	    5);
	it_resp_free(&r);
	ck_assert_int_eq(jobs_of(store, "queued"), 5);
	/* The status shows them. */
	it_get(it_connect_path(store), tok, &r);
	it_assert_ok(&r);
	ck_assert_str_eq(it_jstr(it_jget(r.json, "klaviyo_integration"),
	    "sync_status"), "queued");
	ck_assert_str_eq(it_jstr(it_jget(it_jget(r.json, "sync"), "flows"),
	    "state"), "queued");
	it_resp_free(&r);
}
END_TEST

START_TEST(sync_now_bad_types)
{
	char		store[80], tok[64], before[64];
	char		*snap;
	struct it_resp	r;

	connected_store(store, sizeof(store), tok, sizeof(tok),
	    IT_METRIC_ACME_API_PO);
	snap = it_store_state(store);
	snprintf(before, sizeof(before), "%s", snap);
	free(snap);
	it_post(sync_path(store), tok, "{\"types\":[\"bogus\"]}", &r);
	it_assert_error(&r, 400, "bad_request");
	it_resp_free(&r);
	it_post(sync_path(store), tok, "{\"types\":\"campaigns\"}", &r);
	it_assert_error(&r, 400, "bad_request");
	it_resp_free(&r);
	/* Not Shopify's Placed Order: orders are not synced. */
	it_post(sync_path(store), tok, "{\"types\":[\"orders\"]}", &r);
	it_assert_error(&r, 400, "bad_request");
	ck_assert_ptr_nonnull(strstr(it_str(&r, "error"), "Placed Order"));
	it_resp_free(&r);
	snap = it_store_state(store);
	ck_assert_str_eq(snap, before);
	free(snap);
	it_post(sync_path(store), tok, "{}", &r);
	ck_assert_int_eq(r.status, 202);
	ck_assert_uint_eq(json_object_array_length(it_jget(r.json, "jobs")),
	    4);
	it_resp_free(&r);
}
END_TEST

static void
report_post(const char *auth, const char *idem, const char *body,
    struct it_resp *r)
{
	char		 a[256], i[256];
	const char	*h[4] = { "Content-Type: application/json", NULL, NULL,
	    NULL };
	int		 n = 1;

	if (auth) {
		snprintf(a, sizeof(a), "Authorization: Bearer %s", auth);
		h[n++] = a;
	}
	if (idem) {
		snprintf(i, sizeof(i), "Idempotency-Key: %s", idem);
		h[n++] = i;
	}
	it_request("POST", "/api/v1/reports/full_sync", h, body, strlen(body),
	    r);
}

START_TEST(report_route_auth_and_payload)
{
	const char	*key = getenv("REPORT_SERVER_KEY");
	char		 store[80], tok[64], body[256], idem[64];
	struct it_resp	 r, r2;

	ck_assert_ptr_nonnull(key);
	connected_store(store, sizeof(store), tok, sizeof(tok),
	    IT_METRIC_ACME_API_PO);
	snprintf(body, sizeof(body), "{\"klaviyo_public_id\":\"%s\","
	    "\"store_public_id\":\"%s\",\"do_not_order_sync\":true}",
	    IT_ACCT_ACME, store);
	report_post(NULL, NULL, body, &r);
	it_assert_error(&r, 401, "unauthorized");
	it_resp_free(&r);
	report_post("wrong-key", NULL, body, &r);
	it_assert_error(&r, 401, "unauthorized");
	it_resp_free(&r);
	report_post(key, NULL, "{\"klaviyo_public_id\":\"x\"}", &r);
	it_assert_error(&r, 400, "bad_request");
	it_resp_free(&r);
	report_post(key, NULL, "{\"klaviyo_public_id\":\"x\","
	    "\"store_public_id\":\"nope\",\"do_not_order_sync\":\"no\"}", &r);
	it_assert_error(&r, 400, "bad_request");
	it_resp_free(&r);
	/* Account and store must match a connected store. */
	report_post(key, NULL, "{\"klaviyo_public_id\":\"zzzzzz\","
	    "\"store_public_id\":\"nostore\",\"do_not_order_sync\":true}", &r);
	it_assert_error(&r, 404, "not_found");
	it_resp_free(&r);
	snprintf(idem, sizeof(idem), "idem-%s", it_unique());
	report_post(key, idem, body, &r);
	ck_assert_msg(r.status == 202, "%ld %s", r.status, r.body);
	/* do_not_order_sync: no orders job. */
	ck_assert_uint_eq(json_object_array_length(it_jget(r.json, "jobs")),
	    4);
	report_post(key, idem, body, &r2);
	ck_assert_int_eq(r2.status, 202);
	ck_assert_str_eq(r.body, r2.body);
	it_resp_free(&r);
	it_resp_free(&r2);
	ck_assert_int_eq(jobs_of(store, "queued"), 4);
}
END_TEST

static long long
trigger_of(const char *store)
{
	const char	*params[1] = { store };

	return it_sql_count("SELECT max(t.id) FROM report_triggers t"
	    " JOIN stores s ON s.id = t.store_id WHERE s.public_id = $1", 1,
	    params);
}

START_TEST(outbox_external_down_then_up)
{
	const char	*key = getenv("REPORT_SERVER_KEY");
	const char	*url = getenv("KC_TEST_URL");
	const char	*bin = getenv("KC_TEST_SYNCD");
	char		 store[80], tok[64], id[24], *out = NULL;
	const char	*params[1] = { id };
	long long	 tid;
	int		 st;

	ck_assert_ptr_nonnull(bin);
	connected_store(store, sizeof(store), tok, sizeof(tok),
	    IT_METRIC_ACME_SHOPIFY_PO);
	tid = trigger_of(store);
	ck_assert_int_gt(tid, 0);
	snprintf(id, sizeof(id), "%lld", tid);
	/* The report server is down: nothing is lost, it is retried. */
	st = it_run(&out, "REPORT_SERVER=http://127.0.0.1:9 "
	    "REPORT_RETRY_BASE_MS=20 REPORT_RETRY_MAX_MS=40 "
	    "REPORT_SERVER_TIMEOUT_MS=1000 timeout 60 %s --once --no-jobs "
	    "2>&1", bin);
	ck_assert_msg(st == 0, "syncd: %d %s", st, out);
	free(out);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM report_triggers"
	    " WHERE id = $1 AND delivered_at IS NULL AND attempts >= 1"
	    " AND last_error LIKE 'report server%'", 1, params), 1);
	it_pause_ms(100);
	/* Back up: our own built-in report server at the test URL. */
	st = it_run(&out, "REPORT_SERVER=%s REPORT_SERVER_KEY=%s "
	    "timeout 60 %s --once --no-jobs 2>&1", url, key, bin);
	ck_assert_msg(st == 0, "syncd: %d %s", st, out);
	free(out);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM report_triggers"
	    " WHERE id = $1 AND delivered_at IS NOT NULL", 1, params), 1);
	/* Delivered with Idempotency-Key = trigger id: one request row. */
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM report_requests"
	    " WHERE idempotency_key = $1", 1, params), 1);
	ck_assert_int_eq(jobs_of(store, "queued"), 5);
	/* Delivered again (a lost acknowledgement): still one sync. */
	PQclear(it_sql("UPDATE report_triggers SET delivered_at = NULL,"
	    " next_attempt_at = now() WHERE id = $1", 1, params));
	st = it_run(&out, "REPORT_SERVER=%s REPORT_SERVER_KEY=%s "
	    "timeout 60 %s --once --no-jobs 2>&1", url, key, bin);
	ck_assert_msg(st == 0, "syncd: %d %s", st, out);
	free(out);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM report_requests"
	    " WHERE idempotency_key = $1", 1, params), 1);
	ck_assert_int_eq(jobs_of(store, "queued"), 5);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM report_triggers"
	    " WHERE id = $1 AND delivered_at IS NOT NULL", 1, params), 1);
}
END_TEST

START_TEST(outbox_builtin_and_disconnect)
{
	const char	*bin = getenv("KC_TEST_SYNCD");
	char		 store[80], tok[64], id[24], *out = NULL;
	const char	*params[1] = { id }, *sp[1] = { store };
	struct it_resp	 r;
	int		 st;

	connected_store(store, sizeof(store), tok, sizeof(tok),
	    IT_METRIC_ACME_API_PO);
	snprintf(id, sizeof(id), "%lld", trigger_of(store));
	st = it_run(&out, "REPORT_SERVER= timeout 60 %s --once --no-jobs "
	    "2>&1", bin);
	ck_assert_msg(st == 0, "syncd: %d %s", st, out);
	free(out);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM report_triggers"
	    " WHERE id = $1 AND delivered_at IS NOT NULL", 1, params), 1);
	/* No orders: the metric is not Shopify's Placed Order. */
	ck_assert_int_eq(jobs_of(store, "queued"), 4);
	it_delete(it_connect_path(store), tok, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	/*
	 * The disconnect deletes the connection, and its jobs with it
	 * (they were cancelled first; no row stays to show it).  The
	 * delivered trigger stays as history, its connection forgotten.
	 */
	ck_assert_int_eq(jobs_of(store, "queued"), 0);
	ck_assert_int_eq(jobs_of(store, "cancelled"), 0);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM sync_jobs j"
	    " JOIN stores s ON s.id = j.store_id WHERE s.public_id = $1", 1,
	    sp), 0);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM report_triggers"
	    " WHERE id = $1 AND delivered_at IS NOT NULL"
	    " AND connection_id IS NULL", 1, params), 1);
}
END_TEST

START_TEST(metrics_with_the_stored_key)
{
	char		 store[80], tok[64], vtok[64], other[80], path[160];
	struct json_object *m;
	struct it_resp	 r;
	size_t		 i, n;
	int		 found = 0;

	it_store("Metrics Not Connected", other, sizeof(other));
	it_member("owner", other, tok, sizeof(tok));
	snprintf(path, sizeof(path), "/api/store/%s/klaviyo-metrics", other);
	it_get(path, tok, &r);
	it_assert_error(&r, 409, "conflict");
	it_resp_free(&r);
	connected_store(store, sizeof(store), tok, sizeof(tok),
	    IT_METRIC_ACME_SHOPIFY_PO);
	it_member("viewer", store, vtok, sizeof(vtok));
	snprintf(path, sizeof(path), "/api/store/%s/klaviyo-metrics", store);
	it_get(path, vtok, &r);
	it_assert_error(&r, 403, "forbidden");
	it_resp_free(&r);
	/* A cold cache: the stored key itself goes to Klaviyo. */
	PQclear(it_sql("DELETE FROM klaviyo_probe_cache", 0, NULL));
	it_get(path, tok, &r);
	it_assert_ok(&r);
	m = it_jget(r.json, "metrics");
	n = json_object_array_length(m);
	ck_assert_uint_eq(n, 512);
	for (i = 0; i < n; i++)
		found |= strcmp(it_jstr(json_object_array_get_idx(m, i), "id"),
		    IT_METRIC_ACME_SHOPIFY_PO) == 0;
	ck_assert(found);
	it_assert_no_secret(&r, IT_KEY_ACME);
	ck_assert_int_ge(it_sbx_count("/api/metrics", IT_KEY_ACME, 200), 3);
	it_resp_free(&r);
}
END_TEST

/*
 * Found by bench/soak.sh: a disconnect while klaviyo-syncd wrote a step
 * deadlocked (40P01, the disconnect answered 500).  The step held its
 * job row (lease renewal) and then waited for the store row (the data's
 * foreign key), while the disconnect held the store row and waited for
 * the job row.  Since sql/011 the data's key is the connection's, but
 * the step's second job-row update still key-shares the store (found
 * again by this test: a deadlock until a removal locked the store FOR NO
 * KEY UPDATE).  Here the test plays klaviyo-syncd with the real step
 * functions: a step begins, the disconnect comes and waits, the step
 * writes a campaign and commits; both must succeed.
 */
START_TEST(disconnect_during_sync_step)
{
	char			 store[80], tok[64], cid[24], *v;
	const char		*params[2];
	struct db		*db;
	struct job		 job;
	struct sync_opts	 opt = { .lease_seconds = 60 };
	struct sync_ctx		 sc;
	struct it_bg		 bg;
	struct it_req		 del = { "DELETE", NULL, NULL, NULL, NULL };
	struct it_resp		 r;
	long long		 jid;

	connected_store(store, sizeof(store), tok, sizeof(tok),
	    IT_METRIC_ACME_SHOPIFY_PO);
	v = it_primary_conn(store);
	ck_assert_ptr_nonnull(v);
	snprintf(cid, sizeof(cid), "%s", v);
	free(v);
	/* As the services are configured (tests/deploy/pgbouncer.sh). */
	db_set_transaction_pooling(getenv("DB_TRANSACTION_POOLING") &&
	    strcmp(getenv("DB_TRANSACTION_POOLING"), "1") == 0);
	ck_assert_int_eq(db_open(getenv("DATABASE_URL"), "itest-syncd", &db),
	    KC_OK);
	ck_assert_int_eq(jobq_enqueue(db, strtoll(cid, NULL, 10), "campaigns",
	    "full", 0, &jid), KC_OK);
	memset(&job, 0, sizeof(job));
	ck_assert_int_eq(jobq_claim(db, "itest-syncd", 60, &job), KC_OK);
	ck_assert_int_eq(job.id, jid);
	memset(&sc, 0, sizeof(sc));
	sc.db = db;
	sc.opt = &opt;
	sc.owner = "itest-syncd";
	sc.job = &job;
	sc.type = sync_type_find("campaigns");
	sc.held = -1;

	ck_assert_int_eq(sync_begin_step(&sc, job.cursor), KC_OK);
	del.path = it_connect_path(store);
	del.token = tok;
	it_bg_start(&bg, &del);
	it_wait_lock_waiter();
	/* A list page of one campaign, as sync_list_phase writes it. */
	params[0] = cid;
	params[1] = "[{\"id\":\"01HSOAKCAMPAIGN\",\"channel\":\"email\","
	    "\"name\":\"Soak\",\"status\":\"Sent\","
	    "\"send_time\":\"2024-01-02T03:04:05Z\",\"attributes\":{}}]";
	ck_assert_int_eq(db_query(db, sc.type->sql_upsert, 2, params, NULL),
	    KC_OK);
	ck_assert_int_eq(sync_commit_step(&sc), KC_OK);
	it_bg_wait(&bg, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	/* The disconnect came after the step: it cleared what it wrote. */
	params[0] = cid;
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM campaigns"
	    " WHERE connection_id = $1::bigint", 1, params), 0);
	ck_assert_int_eq(jobs_of(store, "running"), 0);
	job_clear(&job);
	db_close(db);
}
END_TEST

Suite *
suite_sync(void)
{
	Suite	*s = suite_create("sync");
	TCase	*tc = tcase_create("sync");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, sync_now_not_connected_409);
	tcase_add_test(tc, sync_now_permissions);
	tcase_add_test(tc, sync_now_revoked_meanwhile_404);
	tcase_add_test(tc, sync_now_enqueues_once);
	tcase_add_test(tc, sync_now_bad_types);
	tcase_add_test(tc, report_route_auth_and_payload);
	tcase_add_test(tc, outbox_external_down_then_up);
	tcase_add_test(tc, outbox_builtin_and_disconnect);
	tcase_add_test(tc, metrics_with_the_stored_key);
	tcase_add_test(tc, disconnect_during_sync_step);
	suite_add_tcase(s, tc);
	return s;
}
