/*
 * Per-connection sync settings and the activity list (issue 16): GET and
 * PATCH /api/store/{id}/klaviyo-accounts/{accountId}/settings, every bad
 * value, jobs cancelled and queued, data kept or deleted, the scheduler
 * honouring intervals and switches, the account's daily report budget,
 * and GET /api/store/{id}/klaviyo-activity.
 */
#include "itest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
setup(void)
{
	it_klaviyo_cold();
}

static const char *
settings_path(const char *store, const char *conn)
{
	static char path[300];

	snprintf(path, sizeof(path), "/api/store/%s/klaviyo-accounts/%s/"
	    "settings", store, conn);
	return path;
}

static struct json_object *
type_of(const struct it_resp *r, const char *type)
{
	struct json_object *t = it_jget(it_jget(r->json, "types"), type);

	ck_assert_msg(t != NULL, "no type %s: %s", type, r->body);
	return t;
}

static long long
jint(struct json_object *o, const char *key)
{
	struct json_object *v = it_jget(o, key);

	ck_assert_msg(v && json_object_is_type(v, json_type_int), "%s: %s",
	    key, json_object_to_json_string(o));
	return json_object_get_int64(v);
}

static long long
jobs(const char *conn, const char *type, const char *state)
{
	const char *p[3] = { conn, type, state };

	return it_sql_count("SELECT count(*) FROM sync_jobs j"
	    " JOIN klaviyo_connections k ON k.id = j.connection_id"
	    " WHERE k.public_id = $1 AND j.type = $2 AND j.state = $3", 3, p);
}

START_TEST(settings_defaults_and_roles)
{
	char		 store[80], tok[64], vtok[64], conn[80];
	struct it_resp	 r;

	it_connected("Settings", IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO,
	    store, sizeof(store), tok, sizeof(tok), conn, sizeof(conn));
	it_member("viewer", store, vtok, sizeof(vtok));
	it_get(settings_path(store, conn), vtok, &r);
	it_assert_ok(&r);
	ck_assert(!it_jbool(r.json, "can_manage"));
	ck_assert(it_jbool(type_of(&r, "campaigns"), "enabled"));
	ck_assert_int_eq(jint(type_of(&r, "campaigns"), "interval_hours"), 24);
	ck_assert_int_eq(jint(type_of(&r, "flows"), "interval_hours"), 48);
	ck_assert_int_eq(jint(type_of(&r, "forms"), "default_interval_hours"),
	    48);
	ck_assert(it_jbool(type_of(&r, "orders"), "allowed"));
	ck_assert(it_jbool(type_of(&r, "flows"), "available"));
	ck_assert_int_eq(jint(type_of(&r, "flows"),
	    "shortest_interval_hours"), 1);
	ck_assert_int_eq(jint(it_jget(r.json, "budget"), "reports_per_day"),
	    225);
	ck_assert_ptr_nonnull(it_jstr(type_of(&r, "flows"), "next_run"));
	it_resp_free(&r);
	it_patch(settings_path(store, conn), vtok,
	    "{\"types\":{\"flows\":{\"enabled\":false}}}", &r);
	it_assert_error(&r, 403, NULL);
	it_resp_free(&r);
	it_get(settings_path(store, "kcn_nope"), tok, &r);
	it_assert_error(&r, 404, "account_not_found");
	it_resp_free(&r);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM"
	    " connection_sync_settings s JOIN klaviyo_connections k"
	    " ON k.id = s.connection_id WHERE k.public_id = $1", 1,
	    (const char *[]){ conn }), 0);
}
END_TEST

START_TEST(settings_bad_values_400)
{
	static const char *const bad[] = {
		"{}",
		"{\"types\":[]}",
		"{\"types\":{}}",
		"{\"types\":{\"emails\":{\"enabled\":false}}}",
		"{\"types\":{\"flows\":false}}",
		"{\"types\":{\"flows\":{\"enabled\":\"no\"}}}",
		"{\"types\":{\"flows\":{\"interval_hours\":0}}}",
		"{\"types\":{\"flows\":{\"interval_hours\":169}}}",
		"{\"types\":{\"flows\":{\"interval_hours\":\"12\"}}}",
		"{\"types\":{\"flows\":{\"interval_hours\":1.5}}}",
		"{\"types\":{\"flows\":{\"every\":12}}}",
		"{\"types\":{\"flows\":{\"enabled\":false}},"
		    "\"delete_data\":\"yes\"}",
		"{\"types\":{\"flows'; DROP TABLE stores;--\":{}}}",
	};
	char		 store[80], tok[64], conn[80];
	struct it_resp	 r;
	size_t		 i;

	it_connected("Settings", IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO,
	    store, sizeof(store), tok, sizeof(tok), conn, sizeof(conn));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		it_patch(settings_path(store, conn), tok, bad[i], &r);
		ck_assert_msg(r.status == 400, "%s: %ld %s", bad[i], r.status,
		    r.body);
		it_assert_error(&r, 400, NULL);
		it_resp_free(&r);
	}
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM"
	    " connection_sync_settings s JOIN klaviyo_connections k"
	    " ON k.id = s.connection_id WHERE k.public_id = $1", 1,
	    (const char *[]){ conn }), 0);
	/* Orders need Shopify's Placed Order as the metric. */
	it_connected("Settings", IT_KEY_BLUEBIRD, IT_METRIC_BLUEBIRD_PO,
	    store, sizeof(store), tok, sizeof(tok), conn, sizeof(conn));
	it_patch(settings_path(store, conn), tok,
	    "{\"types\":{\"orders\":{\"enabled\":false}}}", &r);
	it_assert_ok(&r);
	ck_assert(!it_jbool(type_of(&r, "orders"), "allowed"));
	it_resp_free(&r);
	it_patch(settings_path(store, conn), tok,
	    "{\"types\":{\"orders\":{\"enabled\":true}}}", &r);
	it_assert_error(&r, 422, "orders_need_placed_order");
	it_resp_free(&r);
}
END_TEST

START_TEST(settings_off_cancels_keeps_or_deletes_on_queues)
{
	char		 store[80], tok[64], conn[80], path[200];
	const char	*p[1];
	struct it_resp	 r;

	it_connected("Settings", IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO,
	    store, sizeof(store), tok, sizeof(tok), conn, sizeof(conn));
	p[0] = conn;
	snprintf(path, sizeof(path), "/api/store/%s/klaviyo-sync", store);
	it_post(path, tok, NULL, &r);
	ck_assert_int_eq(r.status, 202);
	it_resp_free(&r);
	ck_assert_int_eq(jobs(conn, "flows", "queued"), 1);
	/* A flows row and a day, as a sync leaves them; a running job. */
	PQclear(it_sql("INSERT INTO flows (connection_id, id, name)"
	    " SELECT id, 'f1', 'Welcome' FROM klaviyo_connections"
	    " WHERE public_id = $1", 1, p));
	PQclear(it_sql("INSERT INTO flow_series (connection_id, flow_id, day,"
	    " timezone, statistics) SELECT id, 'f1', '2026-01-01', 'UTC', '{}'"
	    " FROM klaviyo_connections WHERE public_id = $1", 1, p));
	PQclear(it_sql("UPDATE sync_jobs SET state = 'running',"
	    " lease_owner = 'elsewhere', lease_until = now() + interval '1h'"
	    " WHERE type = 'segments' AND state = 'queued' AND connection_id ="
	    " (SELECT id FROM klaviyo_connections WHERE public_id = $1)", 1, p));

	/* Off, data kept: its jobs cancelled (running ones too). */
	it_patch(settings_path(store, conn), tok, "{\"types\":{\"flows\":"
	    "{\"enabled\":false},\"segments\":{\"enabled\":false}}}", &r);
	it_assert_ok(&r);
	ck_assert(!it_jbool(type_of(&r, "flows"), "enabled"));
	ck_assert(json_object_is_type(it_jget(type_of(&r, "flows"),
	    "next_run"), json_type_null));
	it_resp_free(&r);
	ck_assert_int_eq(jobs(conn, "flows", "queued"), 0);
	ck_assert_int_eq(jobs(conn, "segments", "running"), 0);
	ck_assert_int_eq(jobs(conn, "segments", "cancelled"), 1);
	ck_assert_int_eq(jobs(conn, "campaigns", "queued"), 1);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM flow_series x"
	    " JOIN klaviyo_connections k ON k.id = x.connection_id"
	    " WHERE k.public_id = $1", 1, p), 1);
	/* Sync now leaves it out, and refuses it by name. */
	PQclear(it_sql("UPDATE sync_jobs SET state = 'cancelled'"
	    " WHERE state = 'queued' AND connection_id = (SELECT id"
	    " FROM klaviyo_connections WHERE public_id = $1)", 1, p));
	it_post(path, tok, NULL, &r);
	ck_assert_int_eq(r.status, 202);
	it_resp_free(&r);
	ck_assert_int_eq(jobs(conn, "flows", "queued"), 0);
	ck_assert_int_eq(jobs(conn, "campaigns", "queued"), 1);
	it_post(path, tok, "{\"types\":[\"flows\"]}", &r);
	it_assert_error(&r, 409, "type_disabled");
	it_resp_free(&r);

	/* On again: a full sync of it is queued. */
	it_patch(settings_path(store, conn), tok,
	    "{\"types\":{\"flows\":{\"enabled\":true}}}", &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM sync_jobs j"
	    " JOIN klaviyo_connections k ON k.id = j.connection_id"
	    " WHERE k.public_id = $1 AND j.type = 'flows'"
	    " AND j.state = 'queued' AND j.mode = 'full'", 1, p), 1);

	/* Off with its data deleted: rows and its sync state go. */
	PQclear(it_sql("UPDATE klaviyo_syncs SET state = state ||"
	    " '{\"flows\":{\"last_sync\":\"2026-01-02T00:00:00Z\"}}'"
	    " WHERE connection_id = (SELECT id FROM klaviyo_connections"
	    " WHERE public_id = $1)", 1, p));
	it_patch(settings_path(store, conn), tok, "{\"types\":{\"flows\":"
	    "{\"enabled\":false}},\"delete_data\":true}", &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	ck_assert_int_eq(it_sql_count("SELECT (SELECT count(*) FROM flows x"
	    " JOIN klaviyo_connections k ON k.id = x.connection_id"
	    " WHERE k.public_id = $1) + (SELECT count(*) FROM flow_series x"
	    " JOIN klaviyo_connections k ON k.id = x.connection_id"
	    " WHERE k.public_id = $1)", 1, p), 0);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM klaviyo_syncs y"
	    " JOIN klaviyo_connections k ON k.id = y.connection_id"
	    " WHERE k.public_id = $1 AND y.state ? 'flows'", 1, p), 0);
	/* Each change audited, with what changed. */
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM audit_log"
	    " WHERE action = 'settings_changed' AND detail ->> 'connection_id'"
	    " = $1", 1, p), 3);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM audit_log"
	    " WHERE action = 'settings_changed' AND detail ->> 'connection_id'"
	    " = $1 AND (detail -> 'changes' -> 'flows' ->> 'enabled')::boolean"
	    " = false AND (detail ->> 'delete_data')::boolean", 1, p), 1);
}
END_TEST

START_TEST(settings_scheduler_honours_them)
{
	char		 store[80], tok[64], conn[80], *out = NULL;
	const char	*p[1];
	struct it_resp	 r;
	int		 st;

	it_connected("Settings", IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO,
	    store, sizeof(store), tok, sizeof(tok), conn, sizeof(conn));
	p[0] = conn;
	it_isolate(store);
	PQclear(it_sql("UPDATE sync_jobs SET state = 'cancelled'"
	    " WHERE state IN ('queued', 'running')", 0, NULL));
	/* Its connect's trigger would queue full syncs: only the
	 * scheduler here. */
	PQclear(it_sql("UPDATE report_triggers SET cancelled_at = now()"
	    " WHERE delivered_at IS NULL AND cancelled_at IS NULL", 0, NULL));
	/* Every type synced two hours ago: none due on the defaults. */
	PQclear(it_sql("UPDATE klaviyo_syncs SET state = (SELECT"
	    " jsonb_object_agg(t, jsonb_build_object('last_sync',"
	    " now() - interval '2 hours')) FROM unnest(ARRAY['campaigns',"
	    " 'flows', 'segments', 'forms', 'orders']) t)"
	    " WHERE connection_id = (SELECT id FROM klaviyo_connections"
	    " WHERE public_id = $1)", 1, p));
	it_patch(settings_path(store, conn), tok, "{\"types\":{"
	    "\"campaigns\":{\"interval_hours\":1},"
	    "\"segments\":{\"interval_hours\":1,\"enabled\":false},"
	    "\"flows\":{\"interval_hours\":3}}}", &r);
	it_assert_ok(&r);
	ck_assert_int_eq(jint(type_of(&r, "campaigns"), "interval_hours"), 1);
	it_resp_free(&r);
	st = it_run(&out, "SYNC_SCHEDULE_SECONDS=1 REPORT_SERVER= timeout 60"
	    " %s --once --no-jobs 2>&1", getenv("KC_TEST_SYNCD"));
	ck_assert_msg(st == 0, "syncd: %s", out);
	free(out);
	/* Due: campaigns (1 h); not flows (3 h), segments (off), forms. */
	ck_assert_int_eq(jobs(conn, "campaigns", "queued"), 1);
	ck_assert_int_eq(jobs(conn, "flows", "queued"), 0);
	ck_assert_int_eq(jobs(conn, "segments", "queued"), 0);
	ck_assert_int_eq(jobs(conn, "forms", "queued"), 0);
	/* The defaults again (null). */
	it_patch(settings_path(store, conn), tok, "{\"types\":{"
	    "\"campaigns\":{\"interval_hours\":null}}}", &r);
	it_assert_ok(&r);
	ck_assert_int_eq(jint(type_of(&r, "campaigns"), "interval_hours"), 24);
	it_resp_free(&r);
	/* The scheduler ran for every store: leave the others as found. */
	it_isolate(store);
}
END_TEST

START_TEST(settings_interval_held_to_account_budget)
{
	char		 store[80], tok[64], conn[80];
	const char	*p[1];
	struct it_resp	 r;
	char		*sum, *acct;

	it_connected("Settings", IT_KEY_CEDAR, IT_METRIC_CEDAR_PO,
	    store, sizeof(store), tok, sizeof(tok), conn, sizeof(conn));
	p[0] = conn;
	/* An account of its own: other tests' stores connect Cedar too. */
	PQclear(it_sql("UPDATE klaviyo_connections SET klaviyo_integration ="
	    " jsonb_set(klaviyo_integration, '{public_id}', to_jsonb('bud' ||"
	    " substr(md5(public_id), 1, 8))) WHERE public_id = $1", 1, p));
	acct = it_sql_value("SELECT account_id FROM klaviyo_connections"
	    " WHERE public_id = $1", 1, p);
	/* Seven other stores on the same Klaviyo account, flows hourly:
	 * 168 flow reports a day of the 200 the budget gives. */
	PQclear(it_sql("WITH s AS (INSERT INTO stores (public_id, name)"
	    " SELECT 'bud' || md5(random()::text), 'Budget ' || g"
	    " FROM generate_series(1, 7) g RETURNING id),"
	    " k AS (INSERT INTO klaviyo_connections (store_id, is_primary,"
	    " klaviyo_integration) SELECT s.id, true, c.klaviyo_integration"
	    " FROM s, klaviyo_connections c WHERE c.public_id = $1"
	    " RETURNING id, store_id)"
	    " INSERT INTO connection_sync_settings (connection_id, store_id,"
	    " type, interval_hours) SELECT id, store_id, 'flows', 1 FROM k", 1,
	    p));
	it_get(settings_path(store, conn), tok, &r);
	ck_assert_int_eq(jint(type_of(&r, "flows"),
	    "reports_per_day_of_other_stores"), 168);
	/* 200 - 168 = 32 a day left: 1 hour (24) fits, that is all. */
	ck_assert_int_eq(jint(type_of(&r, "flows"),
	    "shortest_interval_hours"), 1);
	it_resp_free(&r);
	/* One more hourly store: 192 used, 8 left, 3 hours is the least. */
	PQclear(it_sql("WITH s AS (INSERT INTO stores (public_id, name)"
	    " VALUES ('bud' || md5(random()::text), 'Budget 8') RETURNING id),"
	    " k AS (INSERT INTO klaviyo_connections (store_id, is_primary,"
	    " klaviyo_integration) SELECT s.id, true, c.klaviyo_integration"
	    " FROM s, klaviyo_connections c WHERE c.public_id = $1"
	    " RETURNING id, store_id)"
	    " INSERT INTO connection_sync_settings (connection_id, store_id,"
	    " type, interval_hours) SELECT id, store_id, 'flows', 1 FROM k", 1,
	    p));
	it_patch(settings_path(store, conn), tok,
	    "{\"types\":{\"flows\":{\"interval_hours\":1}}}", &r);
	it_assert_error(&r, 422, "interval_over_budget");
	ck_assert_msg(strstr(it_str(&r, "error"), "3 hours") != NULL, "%s",
	    r.body);
	ck_assert_msg(strstr(it_str(&r, "error"), acct) != NULL, "%s",
	    r.body);
	it_resp_free(&r);
	it_patch(settings_path(store, conn), tok,
	    "{\"types\":{\"flows\":{\"interval_hours\":3}}}", &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	/* The account's flow reports a day from every store's settings. */
	sum = it_sql_value("SELECT round(sum(24.0 / coalesce(s.interval_hours,"
	    " 48)))::int FROM klaviyo_connections k LEFT JOIN"
	    " connection_sync_settings s ON s.connection_id = k.id"
	    " AND s.type = 'flows' WHERE k.account_id = (SELECT account_id"
	    " FROM klaviyo_connections WHERE public_id = $1)"
	    " AND coalesce(s.enabled, true)", 1, p);
	ck_assert_int_le(atoi(sum), 225);
	ck_assert_int_le(atoi(sum), 200);
	free(sum);
	/* A longer interval is always allowed. */
	it_patch(settings_path(store, conn), tok,
	    "{\"types\":{\"flows\":{\"interval_hours\":168}}}", &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	/* The other stores go (they are connected but have no key). */
	PQclear(it_sql("DELETE FROM stores WHERE public_id LIKE 'bud%'", 0,
	    NULL));
	free(acct);
}
END_TEST

START_TEST(settings_scope_missing_shown)
{
	char		 store[80], tok[64], conn[80];
	const char	*p[1];
	struct it_resp	 r;

	it_connected("Settings", IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO,
	    store, sizeof(store), tok, sizeof(tok), conn, sizeof(conn));
	p[0] = conn;
	PQclear(it_sql("INSERT INTO sync_jobs (store_id, connection_id, type,"
	    " mode, state, last_error, finished_at) SELECT store_id, id,"
	    " 'forms', 'full', 'failed', 'needs scope forms:read', now()"
	    " FROM klaviyo_connections WHERE public_id = $1", 1, p));
	it_get(settings_path(store, conn), tok, &r);
	it_assert_ok(&r);
	ck_assert(!it_jbool(type_of(&r, "forms"), "available"));
	ck_assert_str_eq(it_jstr(type_of(&r, "forms"), "missing_scope"),
	    "forms:read");
	ck_assert(it_jbool(type_of(&r, "flows"), "available"));
	it_resp_free(&r);
}
END_TEST

static const char *
activity_path(const char *store, const char *query)
{
	static char path[300];

	snprintf(path, sizeof(path), "/api/store/%s/klaviyo-activity%s",
	    store, query ? query : "");
	return path;
}

START_TEST(activity_lists_pages_filters)
{
	char			 store[80], tok[64], vtok[64], conn[80];
	char			 q[120], email[128];
	struct it_resp		 r;
	struct json_object	*a;
	long long		 before;

	it_connected("Settings", IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO,
	    store, sizeof(store), tok, sizeof(tok), conn, sizeof(conn));
	it_patch(settings_path(store, conn), tok,
	    "{\"types\":{\"forms\":{\"interval_hours\":72}}}", &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	it_member("viewer", store, vtok, sizeof(vtok));
	it_get(activity_path(store, NULL), vtok, &r);
	it_assert_ok(&r);
	a = it_jget(r.json, "activity");
	ck_assert_int_ge(json_object_array_length(a), 2);
	/* Newest first: the settings change, then the connect. */
	ck_assert_str_eq(it_jstr(json_object_array_get_idx(a, 0), "action"),
	    "settings_changed");
	ck_assert_str_eq(it_jstr(json_object_array_get_idx(a, 0),
	    "connection_id"), conn);
	ck_assert_ptr_nonnull(it_jstr(json_object_array_get_idx(a, 0),
	    "actor"));
	ck_assert_ptr_nonnull(strstr(r.body, "\"action\":\"connect\""));
	ck_assert_ptr_nonnull(strstr(r.body, "\"api_key_hint\":\"pk_sbx"));
	it_assert_no_secret(&r, IT_KEY_ACME);
	it_resp_free(&r);
	/* One a page. */
	it_get(activity_path(store, "?limit=1"), tok, &r);
	it_assert_ok(&r);
	ck_assert_int_eq(json_object_array_length(it_jget(r.json,
	    "activity")), 1);
	before = jint(r.json, "next_before");
	it_resp_free(&r);
	snprintf(q, sizeof(q), "?limit=1&before=%lld", before);
	it_get(activity_path(store, q), tok, &r);
	it_assert_ok(&r);
	ck_assert_int_lt(jint(json_object_array_get_idx(it_jget(r.json,
	    "activity"), 0), "id"), before);
	it_resp_free(&r);
	/* By action, and by account. */
	it_get(activity_path(store, "?action=connect"), tok, &r);
	it_assert_ok(&r);
	ck_assert_int_eq(json_object_array_length(it_jget(r.json,
	    "activity")), 1);
	ck_assert(json_object_is_type(it_jget(r.json, "next_before"),
	    json_type_null));
	it_resp_free(&r);
	snprintf(q, sizeof(q), "?account=%s&action=settings_changed", conn);
	it_get(activity_path(store, q), tok, &r);
	ck_assert_int_eq(json_object_array_length(it_jget(r.json,
	    "activity")), 1);
	it_resp_free(&r);
	/* Bad parameters. */
	it_get(activity_path(store, "?limit=0"), tok, &r);
	it_assert_error(&r, 400, NULL);
	it_resp_free(&r);
	it_get(activity_path(store, "?limit=201"), tok, &r);
	it_assert_error(&r, 400, NULL);
	it_resp_free(&r);
	it_get(activity_path(store, "?before=x1"), tok, &r);
	it_assert_error(&r, 400, NULL);
	it_resp_free(&r);
	it_get(activity_path(store, "?account=a%20b"), tok, &r);
	it_assert_error(&r, 400, NULL);
	it_resp_free(&r);
	/* Not a member: no such store. */
	{
		char otok[64];

		it_token(it_user("stranger", email, sizeof(email)), otok,
		    sizeof(otok));
		it_get(activity_path(store, NULL), otok, &r);
		it_assert_error(&r, 404, NULL);
		it_resp_free(&r);
	}
}
END_TEST

START_TEST(activity_shows_refused_credential)
{
	char		 store[80], tok[64], conn[80], fault[200], *out = NULL;
	struct it_resp	 r;
	int		 st;

	it_connected("Settings", IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO,
	    store, sizeof(store), tok, sizeof(tok), conn, sizeof(conn));
	it_isolate(store);
	snprintf(fault, sizeof(fault), "{\"fault\":\"status\",\"status\":401,"
	    "\"key\":\"%s\"}", IT_KEY_ACME);
	it_sbx_fault(fault);
	setenv("SYNC_SCHEDULE_SECONDS", "0", 1);
	st = it_run(&out, "REPORT_SERVER= timeout 120 %s --once 2>&1",
	    getenv("KC_TEST_SYNCD"));
	ck_assert_msg(st == 0, "syncd: %.2000s", out);
	free(out);
	it_sbx_reset();
	it_get(activity_path(store, "?action=credential_refused"), tok, &r);
	it_assert_ok(&r);
	ck_assert_int_eq(json_object_array_length(it_jget(r.json,
	    "activity")), 1);
	ck_assert_str_eq(it_jstr(json_object_array_get_idx(it_jget(r.json,
	    "activity"), 0), "connection_id"), conn);
	ck_assert_ptr_nonnull(it_jstr(json_object_array_get_idx(it_jget(
	    r.json, "activity"), 0), "reason"));
	it_assert_no_secret(&r, IT_KEY_ACME);
	it_resp_free(&r);
}
END_TEST

Suite *
suite_settings(void)
{
	Suite	*s = suite_create("settings");
	TCase	*tc = tcase_create("settings");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, settings_defaults_and_roles);
	tcase_add_test(tc, settings_bad_values_400);
	tcase_add_test(tc, settings_off_cancels_keeps_or_deletes_on_queues);
	tcase_add_test(tc, settings_scheduler_honours_them);
	tcase_add_test(tc, settings_interval_held_to_account_budget);
	tcase_add_test(tc, settings_scope_missing_shown);
	tcase_add_test(tc, activity_lists_pages_filters);
	tcase_add_test(tc, activity_shows_refused_credential);
	suite_add_tcase(s, tc);
	return s;
}
