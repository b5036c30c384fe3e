/* GET /api/store/{storePublicId}/klaviyo-connect: the integration status. */
#include "itest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct json_object *
jget(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	ck_assert_msg(o != NULL && json_object_object_get_ex(o, key, &v),
	    "no '%s' in %s", key, o ? json_object_to_json_string(o) :
	    "(null)");
	return v;
}

static const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	ck_assert_msg(json_object_is_type(v, json_type_string),
	    "'%s' is not a string in %s", key, json_object_to_json_string(o));
	return json_object_get_string(v);
}

static int
jbool(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	ck_assert_msg(json_object_is_type(v, json_type_boolean),
	    "'%s' is not a boolean", key);
	return json_object_get_boolean(v);
}

static void
status_path(const char *store, char *path, size_t len)
{
	snprintf(path, len, "/api/store/%s/klaviyo-connect", store);
}

/* A user with a role on a new store; a bearer token for them. */
static void
member(const char *role, const char *store, char *tok, size_t len)
{
	char		email[128];
	long long	uid;

	uid = it_user(role, email, sizeof(email));
	it_grant(email, store, role);
	it_token(uid, tok, len);
}

/* The not-configured answer: nothing but status, an empty sync. */
static void
check_not_configured(const char *store, const char *tok, int can_manage)
{
	struct it_resp		 r;
	struct json_object	*ki, *sync;
	char			 path[256];

	status_path(store, path, sizeof(path));
	it_get(path, tok, &r);
	ck_assert_msg(r.status == 200, "status %ld: %s", r.status, r.body);
	ck_assert(jbool(r.json, "success"));
	ki = jget(r.json, "klaviyo_integration");
	ck_assert(json_object_is_type(ki, json_type_object));
	ck_assert_str_eq(jstr(ki, "status"), "not_configured");
	ck_assert_msg(json_object_object_length(ki) == 1,
	    "klaviyo_integration has more than status: %s", r.body);
	sync = jget(r.json, "sync");
	ck_assert(json_object_is_type(sync, json_type_object));
	ck_assert_int_eq(json_object_object_length(sync), 0);
	ck_assert_int_eq(jbool(r.json, "can_manage"), can_manage);
	it_resp_free(&r);
}

START_TEST(status_for_owner_admin_viewer)
{
	char store[32], owner[64], admin[64], viewer[64];

	it_store("Status roles", store, sizeof(store));
	member("owner", store, owner, sizeof(owner));
	member("admin", store, admin, sizeof(admin));
	member("viewer", store, viewer, sizeof(viewer));
	check_not_configured(store, owner, 1);
	check_not_configured(store, admin, 1);
	check_not_configured(store, viewer, 0);
}
END_TEST

START_TEST(status_no_access_looks_like_missing_store)
{
	struct it_resp	 hidden, missing;
	char		 store[32], email[128], tok[64], path[256];
	long long	 uid;

	it_store("Hidden store", store, sizeof(store));
	/* Someone can see it, just not this user. */
	member("owner", store, tok, sizeof(tok));
	uid = it_user("outsider", email, sizeof(email));
	it_token(uid, tok, sizeof(tok));
	status_path(store, path, sizeof(path));
	it_get(path, tok, &hidden);
	it_assert_error(&hidden, 404, "not_found");
	status_path("stNoSuchStore0", path, sizeof(path));
	it_get(path, tok, &missing);
	it_assert_error(&missing, 404, "not_found");
	ck_assert_str_eq(hidden.body, missing.body);
	it_resp_free(&hidden);
	it_resp_free(&missing);
}
END_TEST

START_TEST(status_other_stores_owner_404)
{
	struct it_resp	 r;
	char		 mine[32], theirs[32], tok[64], path[256];

	it_store("Mine", mine, sizeof(mine));
	it_store("Theirs", theirs, sizeof(theirs));
	member("owner", theirs, tok, sizeof(tok));
	member("owner", mine, tok, sizeof(tok));
	/* Sanity: the token works on the owner's own store. */
	check_not_configured(mine, tok, 1);
	status_path(theirs, path, sizeof(path));
	it_get(path, tok, &r);
	it_assert_error(&r, 404, "not_found");
	ck_assert_ptr_null(strstr(r.body, "klaviyo_integration"));
	it_resp_free(&r);
}
END_TEST

START_TEST(status_without_session_401)
{
	struct it_resp	 r;
	char		 store[32], path[256];

	it_store("No session", store, sizeof(store));
	status_path(store, path, sizeof(path));
	it_get(path, NULL, &r);
	it_assert_error(&r, 401, "unauthorized");
	it_resp_free(&r);
}
END_TEST

START_TEST(status_connected_hides_secrets)
{
	static const char integ[] =
	    "{\"status\":\"connected\",\"public_id\":\"Pe5Xw6\","
	    "\"account\":{\"id\":\"Pe5Xw6\",\"name\":\"Acme\"},"
	    "\"api_key_hint\":\"pk_3f9a\\u2026\","
	    "\"conversion_type\":\"value\","
	    "\"conversion_metric\":{\"id\":\"RESQ6t\","
	    "\"name\":\"Placed Order\",\"integration\":\"Shopify\","
	    "\"isShopifyPlacedOrder\":true},"
	    "\"conversion_metric_id\":\"RESQ6t\","
	    "\"connected_at\":\"2026-11-25T10:30:00Z\","
	    "\"last_sync\":\"2026-11-25T10:41:07Z\","
	    "\"is_updating_dashboard\":false,\"last_error\":null,"
	    "\"campaign_values_last_update\":\"2026-11-25T10:40:00Z\","
	    "\"apiKey\":\"pk_secret0123456789abcdefABCDEF\","
	    "\"access_token\":\"x\","
	    "\"refresh_token\":\"pk_secret_refresh\"}";
	struct it_resp		 r;
	struct json_object	*ki, *acct, *metric;
	char			 store[32], tok[64], path[256];
	const char		*ss;

	it_store("Connected", store, sizeof(store));
	free(it_set_integ(store, integ));
	member("owner", store, tok, sizeof(tok));
	status_path(store, path, sizeof(path));
	it_get(path, tok, &r);
	ck_assert_msg(r.status == 200, "status %ld: %s", r.status, r.body);
	ck_assert(jbool(r.json, "success"));
	ki = jget(r.json, "klaviyo_integration");
	ck_assert_str_eq(jstr(ki, "status"), "connected");
	ck_assert_str_eq(jstr(ki, "public_id"), "Pe5Xw6");
	acct = jget(ki, "account");
	ck_assert_str_eq(jstr(acct, "id"), "Pe5Xw6");
	ck_assert_str_eq(jstr(acct, "name"), "Acme");
	ck_assert_str_eq(jstr(ki, "api_key_hint"), "pk_3f9a\xe2\x80\xa6");
	ck_assert_str_eq(jstr(ki, "conversion_type"), "value");
	metric = jget(ki, "conversion_metric");
	ck_assert_str_eq(jstr(metric, "id"), "RESQ6t");
	ck_assert(jbool(metric, "isShopifyPlacedOrder"));
	ck_assert_str_eq(jstr(ki, "conversion_metric_id"), "RESQ6t");
	ck_assert_str_eq(jstr(ki, "connected_at"), "2026-11-25T10:30:00Z");
	ck_assert_str_eq(jstr(ki, "last_sync"), "2026-11-25T10:41:07Z");
	ck_assert_int_eq(jbool(ki, "is_updating_dashboard"), 0);
	ck_assert_str_eq(jstr(ki, "campaign_values_last_update"),
	    "2026-11-25T10:40:00Z");
	/* No job, trigger or sync row for the store yet. */
	ss = jstr(ki, "sync_status");
	ck_assert_msg(ss && strcmp(ss, "idle") == 0, "sync_status %s", ss);
	ck_assert(json_object_is_type(jget(r.json, "sync"),
	    json_type_object));
	ck_assert(jbool(r.json, "can_manage"));
	ck_assert_msg(strstr(r.body, "pk_secret") == NULL, "key leaked: %s",
	    r.body);
	ck_assert_msg(strstr(r.body, "access_token") == NULL,
	    "token leaked: %s", r.body);
	ck_assert_msg(strstr(r.body, "refresh_token") == NULL,
	    "token leaked: %s", r.body);
	ck_assert_msg(strstr(r.body, "apiKey") == NULL, "apiKey: %s",
	    r.body);
	it_resp_free(&r);
}
END_TEST

/*
 * A viewer may look but not change anything: every mutating call on the
 * route is 403 "Insufficient permissions", audited, and changes nothing;
 * a user without access gets 404 as for GET.
 */
START_TEST(status_viewer_cannot_mutate_403_audited)
{
	static const char integ[] =
	    "{\"status\":\"connected\",\"public_id\":\"Pe5Xw6\","
	    "\"conversion_metric_id\":\"RESQ6t\"}";
	struct it_resp	 r;
	char		 store[32], tok[64], out_tok[64], path[256];
	char		 uid[24], email[128], *before, *after;
	const char	*p[2] = { uid, store };
	long long	 viewer, outsider;

	it_store("Viewer only", store, sizeof(store));
	free(it_set_integ(store, integ));
	viewer = it_user("viewer", email, sizeof(email));
	it_grant(email, store, "viewer");
	it_token(viewer, tok, sizeof(tok));
	outsider = it_user("outsider", email, sizeof(email));
	it_token(outsider, out_tok, sizeof(out_tok));
	status_path(store, path, sizeof(path));

	before = it_db_snapshot();
	it_post(path, tok, "{\"conversionMetricId\":\"XyZ123\"}", &r);
	it_assert_error(&r, 403, "forbidden");
	ck_assert_str_eq(it_str(&r, "error"), "Insufficient permissions");
	it_resp_free(&r);
	it_post(path, tok, "{\"apiKey\":\"pk_0123456789abcdefghijKLMN\","
	    "\"action\":\"test\"}", &r);
	it_assert_error(&r, 403, "forbidden");
	it_resp_free(&r);
	it_delete(path, tok, &r);
	it_assert_error(&r, 403, "forbidden");
	it_resp_free(&r);
	it_post(path, out_tok, "{\"conversionMetricId\":\"XyZ123\"}", &r);
	it_assert_error(&r, 404, "not_found");
	it_resp_free(&r);
	it_delete(path, out_tok, &r);
	it_assert_error(&r, 404, "not_found");
	it_resp_free(&r);
	after = it_db_snapshot();
	ck_assert_str_eq(before, after);
	free(before);
	free(after);

	snprintf(uid, sizeof(uid), "%lld", viewer);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM audit_log l"
	    " JOIN stores s ON s.id = l.store_id"
	    " WHERE l.action = 'permission_denied' AND l.outcome = 'denied'"
	    " AND l.actor_user_id = $1 AND s.public_id = $2"
	    " AND l.detail->>'role' = 'viewer'", 2, p), 3);
	/* Nothing of the attempted key reached the audit trail. */
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM audit_log"
	    " WHERE actor_user_id = $1 AND detail::text LIKE '%pk_0123%'",
	    1, p), 0);
}
END_TEST

START_TEST(status_odd_store_ids_404)
{
	struct it_resp	 r;
	char		 store[32], tok[64], path[512], flipped[32];
	char		 longid[80], maxid[80];
	char		*before, *after;
	const char	*ct, *ids[9];
	size_t		 i, n = 0;

	it_store("Odd ids", store, sizeof(store));
	member("owner", store, tok, sizeof(tok));
	check_not_configured(store, tok, 1);
	snprintf(flipped, sizeof(flipped), "%s", store);
	flipped[0] = 'S';	/* "st..." -> "St...": ids are exact */
	memset(longid, 'a', 65);
	longid[65] = '\0';
	memset(maxid, 'z', 64);
	maxid[64] = '\0';
	ids[n++] = "x'OR'1=1";
	ids[n++] = "x%27%20OR%20%271%27=%271";
	ids[n++] = "..%2F..%2Fetc";
	ids[n++] = "%00";
	ids[n++] = longid;
	ids[n++] = maxid;
	ids[n++] = "a.b";
	ids[n++] = flipped;

	before = it_db_snapshot();
	for (i = 0; i < n; i++) {
		status_path(ids[i], path, sizeof(path));
		it_get(path, tok, &r);
		ct = it_header(&r, "Content-Type");
		/*
		 * nginx answers a NUL in the URI itself (400, JSON) before
		 * any location: a malformed request, not a lookup.
		 */
		if (strcmp(ids[i], "%00") == 0) {
			it_assert_error(&r, 400, "bad_request");
			it_resp_free(&r);
			continue;
		}
		ck_assert_msg(r.status == 404, "%s -> %ld %s", path, r.status,
		    r.body);
		if (ct && strncmp(ct, "application/json", 16) == 0)
			it_assert_error(&r, 404, "not_found");
		else
			/* Only nginx's own page, never the app, is not JSON. */
			ck_assert_msg(strncmp(path, "/api/store/..", 13) == 0,
			    "%s -> non-JSON 404: %s", path, r.body);
		ck_assert_ptr_null(strstr(r.body, "klaviyo_integration"));
		it_resp_free(&r);
	}
	after = it_db_snapshot();
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
}
END_TEST

/*
 * sql/005, sql/011: the integration's status is one of the seed's four;
 * a saved connection is connected, disconnected or error, and
 * "not_configured" is having none (sql/011).  Anything else is refused
 * by the database, and each allowed one is shown as is.
 */
START_TEST(status_values_are_the_seeds_four)
{
	static const char *const ok[] = {
		"connected", "disconnected", "error", "not_configured",
	};
	static const char *const bad[] = {
		"pending", "Connected", "", "deleted", "not_configured",
	};
	char			 store[32], tok[64], path[256], doc[96];
	const char		*p[2] = { store, doc };
	const char		*c;
	struct it_resp		 r;
	PGresult		*res;
	size_t			 i;

	it_store("Status values", store, sizeof(store));
	member("owner", store, tok, sizeof(tok));
	status_path(store, path, sizeof(path));
	free(it_set_integ(store, "{\"status\":\"connected\","
	    "\"public_id\":\"StVal1\"}"));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(doc, sizeof(doc), "{\"status\":\"%s\","
		    "\"public_id\":\"StVal1\"}", bad[i]);
		res = PQexecParams(it_db(), "UPDATE klaviyo_connections SET"
		    " klaviyo_integration = $2::jsonb WHERE id = "
		    IT_SQL_PRIMARY_ID("$1"), 2, NULL, p, NULL, NULL, 0);
		c = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
		ck_assert_msg(PQresultStatus(res) == PGRES_FATAL_ERROR &&
		    strcmp(PQresultErrorField(res, PG_DIAG_SQLSTATE),
		    "23514") == 0 && c != NULL &&
		    strcmp(c, "klaviyo_connections_status") == 0,
		    "status '%s' was stored", bad[i]);
		PQclear(res);
	}
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(doc, sizeof(doc), "{\"status\":\"%s\","
		    "\"public_id\":\"StVal1\"}", ok[i]);
		if (strcmp(ok[i], "not_configured") == 0)
			PQclear(it_sql("DELETE FROM klaviyo_connections"
			    " WHERE id = " IT_SQL_PRIMARY_ID("$1"), 1, p));
		else
			free(it_set_integ(store, doc));
		it_get(path, tok, &r);
		ck_assert_msg(r.status == 200, "%s: %ld %s", ok[i], r.status,
		    r.body);
		ck_assert_str_eq(jstr(jget(r.json, "klaviyo_integration"),
		    "status"), ok[i]);
		it_resp_free(&r);
	}
	/* The sync rows of a store are found through their own index. */
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM pg_indexes"
	    " WHERE tablename = 'klaviyo_syncs'"
	    " AND indexname = 'klaviyo_syncs_store_id'", 0, NULL), 1);
}
END_TEST

Suite *
suite_status(void)
{
	Suite	*s = suite_create("status");
	TCase	*tc = tcase_create("status");

	tcase_add_test(tc, status_for_owner_admin_viewer);
	tcase_add_test(tc, status_no_access_looks_like_missing_store);
	tcase_add_test(tc, status_other_stores_owner_404);
	tcase_add_test(tc, status_without_session_401);
	tcase_add_test(tc, status_connected_hides_secrets);
	tcase_add_test(tc, status_viewer_cannot_mutate_403_audited);
	tcase_add_test(tc, status_odd_store_ids_404);
	tcase_add_test(tc, status_values_are_the_seeds_four);
	suite_add_tcase(s, tc);
	return s;
}
