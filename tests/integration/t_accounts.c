/*
 * Several Klaviyo accounts per store (issue 15): GET/POST
 * /api/store/{id}/klaviyo-accounts, GET/PATCH/DELETE …/{accountId},
 * …/{accountId}/metrics, klaviyo-sync {account}; the seed's routes on
 * the primary; two accounts syncing at once within their own limits,
 * and one removed mid-sync.  What was (not) written is checked in the
 * database, what was sent in the sandbox's request log.
 */
#include "itest.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static void
setup(void)
{
	it_klaviyo_cold();
}

static const char *
accounts_path(const char *store, const char *id, const char *tail)
{
	static char path[320];

	snprintf(path, sizeof(path), "/api/store/%s/klaviyo-accounts%s%s%s",
	    store, id ? "/" : "", id ? id : "", tail ? tail : "");
	return path;
}

static void
add_account(const char *store, const char *tok, const char *key,
    const char *metric, struct it_resp *r)
{
	char body[256];

	snprintf(body, sizeof(body), "{\"apiKey\":\"%s\","
	    "\"conversionMetricId\":\"%s\"}", key, metric);
	it_post(accounts_path(store, NULL, NULL), tok, body, r);
}

/* A store with ACME as its primary and an owner's token. */
static void
store_with_acme(char *store, size_t slen, char *tok, size_t tlen)
{
	struct it_resp r;

	it_store("Accounts", store, slen);
	it_member("owner", store, tok, tlen);
	it_connect(store, tok, IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
}

/* The connection public id of the store's account acct (static). */
static const char *
conn_of(const char *store, const char *acct)
{
	static char	 id[80];
	const char	*p[2] = { store, acct };
	char		*v;

	v = it_sql_value("SELECT k.public_id FROM klaviyo_connections k"
	    " JOIN stores s ON s.id = k.store_id WHERE s.public_id = $1"
	    " AND k.account_id = $2", 2, p);
	ck_assert_msg(v != NULL, "no connection of %s to %s", store, acct);
	snprintf(id, sizeof(id), "%s", v);
	free(v);
	return id;
}

static long long
count_conn(const char *sql, const char *conn)
{
	const char *p[1] = { conn };

	return it_sql_count(sql, 1, p);
}

static long long
count_store(const char *sql, const char *store)
{
	const char *p[1] = { store };

	return it_sql_count(sql, 1, p);
}

/* Everything a connection owns, by its public id. */
#define OWNED(table) "SELECT count(*) FROM " table " x JOIN"		\
    " klaviyo_connections k ON k.id = x.connection_id WHERE k.public_id = $1"

static long long
owned_rows(const char *conn)
{
	return count_conn(OWNED("klaviyo_credentials"), conn) +
	    count_conn(OWNED("sync_jobs"), conn) +
	    count_conn(OWNED("klaviyo_syncs"), conn) +
	    count_conn(OWNED("campaigns"), conn) +
	    count_conn(OWNED("flows"), conn) +
	    count_conn(OWNED("flow_series"), conn) +
	    count_conn(OWNED("orders"), conn);
}

static const char *
primary_account(const char *store)
{
	static char	 acct[80];
	const char	*p[1] = { store };
	char		*v;

	v = it_sql_value("SELECT k.account_id FROM klaviyo_connections k"
	    " JOIN stores s ON s.id = k.store_id WHERE s.public_id = $1"
	    " AND k.is_primary", 1, p);
	snprintf(acct, sizeof(acct), "%s", v ? v : "-");
	free(v);
	return acct;
}

static struct json_object *
account_at(const struct it_resp *r, size_t i)
{
	struct json_object *a;

	ck_assert_msg(r->json && json_object_object_get_ex(r->json,
	    "accounts", &a), "no accounts: %s", r->body);
	ck_assert_msg(i < json_object_array_length(a), "%zu accounts: %s",
	    json_object_array_length(a), r->body);
	return json_object_array_get_idx(a, i);
}

static size_t
naccounts(const struct it_resp *r)
{
	struct json_object *a;

	ck_assert_msg(r->json && json_object_object_get_ex(r->json,
	    "accounts", &a), "no accounts: %s", r->body);
	return json_object_array_length(a);
}

static const char *
integ_str(struct json_object *acc, const char *key)
{
	struct json_object *in;

	ck_assert(json_object_object_get_ex(acc, "klaviyo_integration", &in));
	return it_jstr(in, key);
}

START_TEST(accounts_list_empty_then_one_as_seed)
{
	char			 store[80], tok[64];
	struct it_resp		 r, seed;
	struct json_object	*a, *si, *ai;

	it_store("Accounts", store, sizeof(store));
	it_member("owner", store, tok, sizeof(tok));
	it_get(accounts_path(store, NULL, NULL), tok, &r);
	it_assert_ok(&r);
	ck_assert_int_eq(naccounts(&r), 0);
	ck_assert(it_jbool(r.json, "can_manage"));
	it_resp_free(&r);

	it_connect(store, tok, IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	it_get(accounts_path(store, NULL, NULL), tok, &r);
	it_assert_ok(&r);
	ck_assert_int_eq(naccounts(&r), 1);
	a = account_at(&r, 0);
	ck_assert(it_jbool(a, "primary"));
	ck_assert_str_eq(it_jstr(a, "id"), conn_of(store, IT_ACCT_ACME));
	ck_assert(strncmp(it_jstr(a, "id"), "kcn_", 4) == 0);
	/* The account's document is the seed's status document. */
	it_get(it_connect_path(store), tok, &seed);
	it_assert_ok(&seed);
	ck_assert(json_object_object_get_ex(seed.json, "klaviyo_integration",
	    &si));
	ck_assert(json_object_object_get_ex(a, "klaviyo_integration", &ai));
	ck_assert_str_eq(json_object_to_json_string(si),
	    json_object_to_json_string(ai));
	ck_assert(json_object_object_get_ex(a, "sync", &ai));
	it_assert_no_secret(&r, IT_KEY_ACME);
	it_resp_free(&seed);
	it_resp_free(&r);
}
END_TEST

START_TEST(accounts_add_second_account)
{
	char			 store[80], tok[64], conn2[80];
	const char		*p[2];
	struct it_resp		 r;
	struct json_object	*acc;

	store_with_acme(store, sizeof(store), tok, sizeof(tok));
	add_account(store, tok, IT_KEY_BLUEBIRD, IT_METRIC_BLUEBIRD_PO, &r);
	ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
	ck_assert(json_object_object_get_ex(r.json, "account", &acc));
	ck_assert(!it_jbool(acc, "primary"));
	ck_assert_str_eq(it_str(&r, "message"), "Klaviyo account added");
	ck_assert_str_eq(integ_str(acc, "public_id"), IT_ACCT_BLUEBIRD);
	ck_assert_str_eq(integ_str(acc, "status"), "connected");
	snprintf(conn2, sizeof(conn2), "%s", it_jstr(acc, "id"));
	ck_assert_str_eq(conn2, conn_of(store, IT_ACCT_BLUEBIRD));
	it_assert_no_secret(&r, IT_KEY_BLUEBIRD);
	it_resp_free(&r);

	/* Listed primary first; the seed's route still shows ACME. */
	it_get(accounts_path(store, NULL, NULL), tok, &r);
	ck_assert_int_eq(naccounts(&r), 2);
	ck_assert_str_eq(integ_str(account_at(&r, 0), "public_id"),
	    IT_ACCT_ACME);
	ck_assert_str_eq(integ_str(account_at(&r, 1), "public_id"),
	    IT_ACCT_BLUEBIRD);
	it_resp_free(&r);
	ck_assert_str_eq(primary_account(store), IT_ACCT_ACME);

	/* Its own credential, KlaviyoSync row and trigger naming it. */
	ck_assert_int_eq(count_conn(OWNED("klaviyo_credentials"), conn2), 1);
	ck_assert_int_eq(count_conn(OWNED("klaviyo_syncs"), conn2), 1);
	p[0] = conn2;
	p[1] = store;
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM report_triggers t"
	    " JOIN klaviyo_connections k ON k.id = t.connection_id"
	    " WHERE k.public_id = $1 AND t.delivered_at IS NULL"
	    " AND t.cancelled_at IS NULL AND t.payload = jsonb_build_object("
	    " 'klaviyo_public_id', '" IT_ACCT_BLUEBIRD "',"
	    " 'store_public_id', $2::text, 'do_not_order_sync', true,"
	    " 'klaviyo_connection_id', $1::text)", 2, p), 1);
	/* One pending trigger per connection: adding one cancels none. */
	ck_assert_int_eq(count_store("SELECT count(*) FROM report_triggers t"
	    " JOIN stores s ON s.id = t.store_id WHERE s.public_id = $1"
	    " AND t.delivered_at IS NULL AND t.cancelled_at IS NULL", store),
	    2);
	ck_assert_int_eq(count_store("SELECT count(*) FROM audit_log l"
	    " JOIN stores s ON s.id = l.store_id WHERE s.public_id = $1"
	    " AND l.action = 'add_account' AND l.detail ->> 'account_id' = '"
	    IT_ACCT_BLUEBIRD "'", store), 1);
}
END_TEST

START_TEST(accounts_same_account_twice_409)
{
	char		 store[80], tok[64], other[80], tok2[64], *before, *after;
	struct it_resp	 r;

	store_with_acme(store, sizeof(store), tok, sizeof(tok));
	add_account(store, tok, IT_KEY_BLUEBIRD, IT_METRIC_BLUEBIRD_PO, &r);
	ck_assert_int_eq(r.status, 201);
	it_resp_free(&r);
	before = it_store_state(store);
	/* Adding an account the store has, either one. */
	add_account(store, tok, IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO, &r);
	it_assert_error(&r, 409, "account_already_connected");
	it_resp_free(&r);
	/* The seed's connect moving the primary onto the other one. */
	it_connect(store, tok, IT_KEY_BLUEBIRD, IT_METRIC_BLUEBIRD_PO, &r);
	it_assert_error(&r, 409, "account_already_connected");
	it_resp_free(&r);
	after = it_store_state(store);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);

	/* The same account on another store works as before. */
	store_with_acme(other, sizeof(other), tok2, sizeof(tok2));
	add_account(other, tok2, IT_KEY_BLUEBIRD, IT_METRIC_BLUEBIRD_PO, &r);
	ck_assert_int_eq(r.status, 201);
	it_resp_free(&r);
}
END_TEST

START_TEST(accounts_change_metric_and_rotate_key)
{
	char		 store[80], tok[64], conn2[80];
	struct it_resp	 r;
	const char	*p[1];

	store_with_acme(store, sizeof(store), tok, sizeof(tok));
	add_account(store, tok, IT_KEY_BLUEBIRD, IT_METRIC_BLUEBIRD_PO, &r);
	ck_assert_int_eq(r.status, 201);
	it_resp_free(&r);
	snprintf(conn2, sizeof(conn2), "%s", conn_of(store,
	    IT_ACCT_BLUEBIRD));
	p[0] = conn2;

	/* Its own metrics, with its stored key. */
	it_get(accounts_path(store, conn2, "/metrics"), tok, &r);
	it_assert_ok(&r);
	ck_assert(strstr(r.body, IT_METRIC_BLUEBIRD_PO) != NULL);
	ck_assert(strstr(r.body, IT_METRIC_ACME_SHOPIFY_PO) == NULL);
	it_resp_free(&r);
	/* A metric of the other account is refused. */
	it_patch(accounts_path(store, conn2, NULL), tok,
	    "{\"conversionMetricId\":\"" IT_METRIC_ACME_SHOPIFY_PO "\"}", &r);
	it_assert_error(&r, 422, "unknown_metric");
	it_resp_free(&r);

	/* A key of another account cannot replace this one's. */
	it_patch(accounts_path(store, conn2, NULL), tok,
	    "{\"apiKey\":\"" IT_KEY_CEDAR "\"}", &r);
	it_assert_error(&r, 409, "account_mismatch");
	it_resp_free(&r);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM klaviyo_connections"
	    " WHERE account_id = '" IT_ACCT_CEDAR "' AND store_id ="
	    " (SELECT store_id FROM klaviyo_connections WHERE public_id = $1)",
	    1, p), 0);
	/* Its own key again: rotated, the metric kept, no new trigger. */
	PQclear(it_sql("UPDATE report_triggers SET delivered_at = now()"
	    " WHERE connection_id = (SELECT id FROM klaviyo_connections"
	    " WHERE public_id = $1)", 1, p));
	it_patch(accounts_path(store, conn2, NULL), tok,
	    "{\"apiKey\":\"" IT_KEY_BLUEBIRD "\"}", &r);
	it_assert_ok(&r);
	ck_assert_str_eq(it_str(&r, "message"), "Klaviyo API key updated");
	it_assert_no_secret(&r, IT_KEY_BLUEBIRD);
	it_resp_free(&r);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM klaviyo_connections"
	    " WHERE public_id = $1 AND klaviyo_integration"
	    " -> 'conversion_metric' ->> 'id' = '" IT_METRIC_BLUEBIRD_PO "'",
	    1, p), 1);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM report_triggers t"
	    " JOIN klaviyo_connections k ON k.id = t.connection_id"
	    " WHERE k.public_id = $1 AND t.delivered_at IS NULL", 1, p), 0);

	/* One change per request. */
	it_patch(accounts_path(store, conn2, NULL), tok,
	    "{\"apiKey\":\"" IT_KEY_BLUEBIRD "\",\"primary\":true}", &r);
	it_assert_error(&r, 400, NULL);
	it_resp_free(&r);
	it_patch(accounts_path(store, conn2, NULL), tok, "{}", &r);
	it_assert_error(&r, 400, NULL);
	it_resp_free(&r);
	it_patch(accounts_path(store, conn2, NULL), tok,
	    "{\"conversionMetricId\":\"x y\"}", &r);
	it_assert_error(&r, 400, NULL);
	it_resp_free(&r);
}
END_TEST

START_TEST(accounts_make_primary)
{
	char		 store[80], tok[64], conn2[80];
	struct it_resp	 r;

	store_with_acme(store, sizeof(store), tok, sizeof(tok));
	add_account(store, tok, IT_KEY_BLUEBIRD, IT_METRIC_BLUEBIRD_PO, &r);
	ck_assert_int_eq(r.status, 201);
	it_resp_free(&r);
	snprintf(conn2, sizeof(conn2), "%s", conn_of(store,
	    IT_ACCT_BLUEBIRD));
	it_patch(accounts_path(store, conn2, NULL), tok, "{\"primary\":false}",
	    &r);
	it_assert_error(&r, 400, NULL);
	it_resp_free(&r);
	it_patch(accounts_path(store, conn2, NULL), tok, "{\"primary\":true}",
	    &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	ck_assert_str_eq(primary_account(store), IT_ACCT_BLUEBIRD);
	/* The seed's routes now act on it. */
	it_get(it_connect_path(store), tok, &r);
	it_assert_ok(&r);
	ck_assert(strstr(r.body, "\"public_id\":\"" IT_ACCT_BLUEBIRD "\"") !=
	    NULL);
	it_resp_free(&r);
	it_get(accounts_path(store, NULL, NULL), tok, &r);
	ck_assert_str_eq(integ_str(account_at(&r, 0), "public_id"),
	    IT_ACCT_BLUEBIRD);
	ck_assert(it_jbool(account_at(&r, 0), "primary"));
	ck_assert(!it_jbool(account_at(&r, 1), "primary"));
	it_resp_free(&r);
	ck_assert_int_eq(count_store("SELECT count(*) FROM audit_log l"
	    " JOIN stores s ON s.id = l.store_id WHERE s.public_id = $1"
	    " AND l.action = 'make_primary'", store), 1);
	/* Again: nothing changes, still 200. */
	it_patch(accounts_path(store, conn2, NULL), tok, "{\"primary\":true}",
	    &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	ck_assert_int_eq(count_store("SELECT count(*) FROM klaviyo_connections"
	    " k JOIN stores s ON s.id = k.store_id WHERE s.public_id = $1"
	    " AND k.is_primary", store), 1);
}
END_TEST

START_TEST(accounts_remove_one_keeps_the_other)
{
	char		 store[80], tok[64], conn1[80], conn2[80];
	struct it_resp	 r;

	store_with_acme(store, sizeof(store), tok, sizeof(tok));
	add_account(store, tok, IT_KEY_BLUEBIRD, IT_METRIC_BLUEBIRD_PO, &r);
	ck_assert_int_eq(r.status, 201);
	it_resp_free(&r);
	snprintf(conn1, sizeof(conn1), "%s", conn_of(store, IT_ACCT_ACME));
	snprintf(conn2, sizeof(conn2), "%s", conn_of(store,
	    IT_ACCT_BLUEBIRD));
	/* Some synced rows of each, as a sync leaves them. */
	PQclear(it_sql("INSERT INTO campaigns (connection_id, id, channel,"
	    " name) SELECT id, 'c-' || public_id, 'email', 'x'"
	    " FROM klaviyo_connections WHERE public_id IN ($1, $2)", 2,
	    (const char *[]){ conn1, conn2 }));
	ck_assert_int_gt(owned_rows(conn2), 0);

	it_delete(accounts_path(store, conn2, NULL), tok, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	ck_assert_int_eq(owned_rows(conn2), 0);
	ck_assert_int_eq(count_conn("SELECT count(*) FROM klaviyo_connections"
	    " WHERE public_id = $1", conn2), 0);
	ck_assert_int_eq(count_conn(OWNED("campaigns"), conn1), 1);
	ck_assert_int_eq(count_conn(OWNED("klaviyo_credentials"), conn1), 1);
	ck_assert_str_eq(primary_account(store), IT_ACCT_ACME);
	ck_assert_int_eq(count_store("SELECT count(*) FROM audit_log l"
	    " JOIN stores s ON s.id = l.store_id WHERE s.public_id = $1"
	    " AND l.action = 'remove_account'", store), 1);
	/* Gone: 404, and so is an id of another store's shape. */
	it_delete(accounts_path(store, conn2, NULL), tok, &r);
	it_assert_error(&r, 404, "account_not_found");
	it_resp_free(&r);
	it_get(accounts_path(store, "kcn_nope", NULL), tok, &r);
	it_assert_error(&r, 404, "account_not_found");
	it_resp_free(&r);

	/* Removing the primary promotes the oldest other one. */
	add_account(store, tok, IT_KEY_CEDAR, IT_METRIC_CEDAR_PO, &r);
	ck_assert_int_eq(r.status, 201);
	it_resp_free(&r);
	it_delete(accounts_path(store, conn1, NULL), tok, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	ck_assert_str_eq(primary_account(store), IT_ACCT_CEDAR);
	/* The seed's disconnect removes the last: not configured. */
	it_delete(it_connect_path(store), tok, &r);
	it_assert_ok(&r);
	ck_assert(it_jbool(r.json, "was_connected"));
	it_resp_free(&r);
	it_get(it_connect_path(store), tok, &r);
	ck_assert(strstr(r.body, "\"status\":\"not_configured\"") != NULL);
	it_resp_free(&r);
	it_get(accounts_path(store, NULL, NULL), tok, &r);
	ck_assert_int_eq(naccounts(&r), 0);
	it_resp_free(&r);
}
END_TEST

START_TEST(accounts_permissions)
{
	char		 store[80], tok[64], vtok[64], otok[64], conn[80];
	char		 body[200], email[128];
	struct it_resp	 r;
	long long	 uid;

	store_with_acme(store, sizeof(store), tok, sizeof(tok));
	snprintf(conn, sizeof(conn), "%s", conn_of(store, IT_ACCT_ACME));
	it_member("viewer", store, vtok, sizeof(vtok));
	uid = it_user("outsider", email, sizeof(email));
	it_token(uid, otok, sizeof(otok));

	/* A viewer reads, never changes. */
	it_get(accounts_path(store, NULL, NULL), vtok, &r);
	it_assert_ok(&r);
	ck_assert(!it_jbool(r.json, "can_manage"));
	it_resp_free(&r);
	it_get(accounts_path(store, conn, NULL), vtok, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	add_account(store, vtok, IT_KEY_BLUEBIRD, IT_METRIC_BLUEBIRD_PO, &r);
	it_assert_error(&r, 403, NULL);
	it_resp_free(&r);
	it_patch(accounts_path(store, conn, NULL), vtok, "{\"primary\":true}",
	    &r);
	it_assert_error(&r, 403, NULL);
	it_resp_free(&r);
	it_delete(accounts_path(store, conn, NULL), vtok, &r);
	it_assert_error(&r, 403, NULL);
	it_resp_free(&r);
	it_get(accounts_path(store, conn, "/metrics"), vtok, &r);
	it_assert_error(&r, 403, NULL);
	it_resp_free(&r);
	/* Someone without a role: the store does not exist for them. */
	it_get(accounts_path(store, NULL, NULL), otok, &r);
	it_assert_error(&r, 404, NULL);
	it_resp_free(&r);
	it_delete(accounts_path(store, conn, NULL), otok, &r);
	it_assert_error(&r, 404, NULL);
	it_resp_free(&r);
	/* No session. */
	it_get(accounts_path(store, NULL, NULL), NULL, &r);
	it_assert_error(&r, 401, NULL);
	it_resp_free(&r);
	/* Still there. */
	ck_assert_int_eq(count_conn("SELECT count(*) FROM klaviyo_connections"
	    " WHERE public_id = $1", conn), 1);
	/* A connection of another store is not this store's. */
	snprintf(body, sizeof(body), "%s", conn);
	{
		char other[80], tok2[64];

		store_with_acme(other, sizeof(other), tok2, sizeof(tok2));
		it_get(accounts_path(other, body, NULL), tok2, &r);
		it_assert_error(&r, 404, "account_not_found");
		it_resp_free(&r);
	}
}
END_TEST

/* Runs syncd until nothing of the store is due (bounded). */
static void
sync_store(const char *store)
{
	char	*out = NULL;
	int	 i, st;

	for (i = 0; i < 20; i++) {
		st = it_run(&out, "REPORT_SERVER= timeout 170 %s --once 2>&1",
		    getenv("KC_TEST_SYNCD"));
		ck_assert_msg(st == 0, "syncd exit %d: %.2000s", st, out);
		free(out);
		out = NULL;
		if (count_store("SELECT count(*) FROM sync_jobs j JOIN stores s"
		    " ON s.id = j.store_id WHERE s.public_id = $1"
		    " AND j.state IN ('queued', 'running')", store) == 0)
			return;
		it_pause_ms(500);
	}
	ck_abort_msg("jobs of %s still pending", store);
}

START_TEST(accounts_two_sync_at_once_apart)
{
	char		 store[80], tok[64], conn1[80], conn2[80];
	struct it_resp	 r;
	long long	 c1, c2;

	store_with_acme(store, sizeof(store), tok, sizeof(tok));
	add_account(store, tok, IT_KEY_BLUEBIRD, IT_METRIC_BLUEBIRD_PO, &r);
	ck_assert_int_eq(r.status, 201);
	it_resp_free(&r);
	snprintf(conn1, sizeof(conn1), "%s", conn_of(store, IT_ACCT_ACME));
	snprintf(conn2, sizeof(conn2), "%s", conn_of(store,
	    IT_ACCT_BLUEBIRD));
	it_isolate(store);
	setenv("SYNC_HISTORY_DAYS", "120", 1);
	setenv("SYNC_SCHEDULE_SECONDS", "0", 1);
	sync_store(store);

	/* Each connection's jobs done, its own rows, none of the other's. */
	ck_assert_int_eq(count_conn("SELECT count(*) FROM sync_jobs j JOIN"
	    " klaviyo_connections k ON k.id = j.connection_id"
	    " WHERE k.public_id = $1 AND j.state = 'done'", conn1), 5);
	/* BlueBird's metric is not Shopify's: no orders job. */
	ck_assert_int_eq(count_conn("SELECT count(*) FROM sync_jobs j JOIN"
	    " klaviyo_connections k ON k.id = j.connection_id"
	    " WHERE k.public_id = $1 AND j.state = 'done'", conn2), 4);
	c1 = count_conn(OWNED("campaigns"), conn1);
	c2 = count_conn(OWNED("campaigns"), conn2);
	ck_assert_int_gt(c1, 0);
	ck_assert_int_gt(c2, 0);
	ck_assert_int_gt(count_conn(OWNED("orders"), conn1), 0);
	ck_assert_int_eq(count_conn(OWNED("orders"), conn2), 0);
	/* Not mixed: each account's campaigns are the sandbox's for it. */
	it_sbx_api("/api/campaigns?filter=equals(messages.channel,'email')",
	    IT_KEY_BLUEBIRD, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(count_conn("SELECT count(*) FROM campaigns x JOIN"
	    " klaviyo_connections k ON k.id = x.connection_id"
	    " WHERE k.public_id = $1 AND x.channel = 'email'", conn2),
	    (long long)json_object_array_length(json_object_object_get(
	    r.json, "data")));
	it_resp_free(&r);
	/* Within each account's limits: Klaviyo said 429 to neither. */
	ck_assert_int_eq(it_sbx_count(NULL, NULL, 429), 0);
	ck_assert_int_gt(it_sbx_count("/api/campaigns", IT_KEY_ACME, 200), 0);
	ck_assert_int_gt(it_sbx_count("/api/campaigns", IT_KEY_BLUEBIRD, 200),
	    0);
	/* The list shows both synced. */
	it_get(accounts_path(store, NULL, NULL), tok, &r);
	ck_assert_str_eq(integ_str(account_at(&r, 0), "sync_status"),
	    "completed");
	ck_assert_str_eq(integ_str(account_at(&r, 1), "sync_status"),
	    "completed");
	it_resp_free(&r);
}
END_TEST

START_TEST(accounts_remove_one_mid_sync)
{
	char		 store[80], tok[64], conn1[80], conn2[80];
	struct it_resp	 r;
	pid_t		 pid;
	int		 i, st, running = 0;

	store_with_acme(store, sizeof(store), tok, sizeof(tok));
	add_account(store, tok, IT_KEY_BLUEBIRD, IT_METRIC_BLUEBIRD_PO, &r);
	ck_assert_int_eq(r.status, 201);
	it_resp_free(&r);
	snprintf(conn1, sizeof(conn1), "%s", conn_of(store, IT_ACCT_ACME));
	snprintf(conn2, sizeof(conn2), "%s", conn_of(store,
	    IT_ACCT_BLUEBIRD));
	it_isolate(store);
	setenv("SYNC_HISTORY_DAYS", "120", 1);
	setenv("SYNC_SCHEDULE_SECONDS", "0", 1);
	it_sbx_fault("{\"fault\":\"latency\",\"ms\":100}");
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		const char *bin = getenv("KC_TEST_SYNCD");

		setenv("REPORT_SERVER", "", 1);
		execl(bin, bin, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200 && !running; i++) {
		it_pause_ms(50);
		running = count_conn("SELECT count(*) FROM sync_jobs j JOIN"
		    " klaviyo_connections k ON k.id = j.connection_id"
		    " WHERE k.public_id = $1 AND j.state = 'running'",
		    conn2) > 0;
	}
	ck_assert_msg(running, "no job of the second account got under way");
	it_delete(accounts_path(store, conn2, NULL), tok, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	it_sbx_reset();
	/* The first account goes on to the end. */
	for (i = 0; i < 600; i++) {
		if (count_store("SELECT count(*) FROM sync_jobs j JOIN stores s"
		    " ON s.id = j.store_id WHERE s.public_id = $1"
		    " AND j.state IN ('queued', 'running')", store) == 0)
			break;
		it_pause_ms(100);
	}
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	ck_assert_int_eq(count_conn("SELECT count(*) FROM sync_jobs j JOIN"
	    " klaviyo_connections k ON k.id = j.connection_id"
	    " WHERE k.public_id = $1 AND j.state = 'done'", conn1), 5);
	ck_assert_int_gt(count_conn(OWNED("campaigns"), conn1), 0);
	/* Nothing of the removed one, written before or after. */
	ck_assert_int_eq(owned_rows(conn2), 0);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM campaigns x"
	    " WHERE NOT EXISTS (SELECT 1 FROM klaviyo_connections k"
	    " WHERE k.id = x.connection_id)", 0, NULL), 0);
}
END_TEST

START_TEST(accounts_sync_now_one_account)
{
	char		 store[80], tok[64], conn2[80], body[160];
	struct it_resp	 r;
	char		 path[200];

	store_with_acme(store, sizeof(store), tok, sizeof(tok));
	add_account(store, tok, IT_KEY_BLUEBIRD, IT_METRIC_BLUEBIRD_PO, &r);
	ck_assert_int_eq(r.status, 201);
	it_resp_free(&r);
	snprintf(conn2, sizeof(conn2), "%s", conn_of(store,
	    IT_ACCT_BLUEBIRD));
	snprintf(path, sizeof(path), "/api/store/%s/klaviyo-sync", store);
	PQclear(it_sql("UPDATE sync_jobs SET state = 'cancelled'"
	    " WHERE state = 'queued'", 0, NULL));
	snprintf(body, sizeof(body), "{\"account\":\"%s\","
	    "\"types\":[\"flows\"]}", conn2);
	it_post(path, tok, body, &r);
	ck_assert_msg(r.status == 202, "%ld %s", r.status, r.body);
	it_resp_free(&r);
	ck_assert_int_eq(count_conn("SELECT count(*) FROM sync_jobs j JOIN"
	    " klaviyo_connections k ON k.id = j.connection_id"
	    " WHERE k.public_id = $1 AND j.state = 'queued'"
	    " AND j.type = 'flows'", conn2), 1);
	ck_assert_int_eq(count_store("SELECT count(*) FROM sync_jobs j JOIN"
	    " stores s ON s.id = j.store_id WHERE s.public_id = $1"
	    " AND j.state = 'queued'", store), 1);
	/* Orders need Shopify's Placed Order: BlueBird's metric is not. */
	snprintf(body, sizeof(body), "{\"account\":\"%s\","
	    "\"types\":[\"orders\"]}", conn2);
	it_post(path, tok, body, &r);
	it_assert_error(&r, 400, NULL);
	it_resp_free(&r);
	it_post(path, tok, "{\"account\":\"kcn_nope\"}", &r);
	it_assert_error(&r, 404, "account_not_found");
	it_resp_free(&r);
	it_post(path, tok, "{\"account\":7}", &r);
	it_assert_error(&r, 400, NULL);
	it_resp_free(&r);
}
END_TEST

/*
 * A refused credential (as connection_mark_refused and a failed job
 * leave it), then a good key: the status shows no error at once and
 * every type of the connection is queued again (issue 18).
 */
START_TEST(accounts_new_key_clears_refused_and_restarts)
{
	char			 store[80], tok[64], conn[80], path[200];
	struct it_resp		 r;
	struct json_object	*in, *sync, *t, *err;
	const char		*p[1];
	const char		*types[] = { "campaigns", "flows", "segments",
	    "forms", "orders" };
	size_t			 i;

	store_with_acme(store, sizeof(store), tok, sizeof(tok));
	snprintf(conn, sizeof(conn), "%s", conn_of(store, IT_ACCT_ACME));
	p[0] = conn;
	PQclear(it_sql("UPDATE sync_jobs SET state = 'cancelled'"
	    " WHERE state = 'queued'", 0, NULL));
	PQclear(it_sql("UPDATE klaviyo_connections SET klaviyo_integration ="
	    " klaviyo_integration || jsonb_build_object('status', 'error',"
	    " 'last_error', 'Klaviyo refused the API key')"
	    " WHERE public_id = $1", 1, p));
	PQclear(it_sql("INSERT INTO sync_jobs (store_id, connection_id, type,"
	    " mode, state, last_error, finished_at) SELECT store_id, id, t,"
	    " 'incremental', CASE WHEN t = 'flows' THEN 'failed'"
	    " ELSE 'cancelled' END, 'the credential was refused', now()"
	    " FROM klaviyo_connections, unnest(ARRAY['campaigns', 'flows',"
	    " 'segments', 'forms', 'orders']) AS t WHERE public_id = $1",
	    1, p));
	it_get(it_connect_path(store), tok, &r);
	it_assert_ok(&r);
	ck_assert_str_eq(it_jstr(it_jget(r.json, "klaviyo_integration"),
	    "status"), "error");
	ck_assert_str_eq(it_jstr(it_jget(it_jget(r.json, "sync"), "flows"),
	    "state"), "failed");
	it_resp_free(&r);

	it_patch(accounts_path(store, conn, NULL), tok,
	    "{\"apiKey\":\"" IT_KEY_ACME "\"}", &r);
	it_assert_ok(&r);
	it_resp_free(&r);

	it_get(it_connect_path(store), tok, &r);
	it_assert_ok(&r);
	in = it_jget(r.json, "klaviyo_integration");
	ck_assert_str_eq(it_jstr(in, "status"), "connected");
	ck_assert_msg(!json_object_object_get_ex(in, "last_error", &t) ||
	    json_object_is_type(t, json_type_null), "last_error stays: %s",
	    r.body);
	ck_assert_str_eq(it_jstr(in, "sync_status"), "queued");
	sync = it_jget(r.json, "sync");
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		t = it_jget(sync, types[i]);
		ck_assert_str_eq(it_jstr(t, "state"), "queued");
		ck_assert_msg(!json_object_object_get_ex(t, "last_error",
		    &err) || json_object_is_type(err, json_type_null),
		    "%s keeps its error: %s", types[i], r.body);
	}
	it_resp_free(&r);
	ck_assert_int_eq(count_conn("SELECT count(*) FROM sync_jobs j JOIN"
	    " klaviyo_connections k ON k.id = j.connection_id"
	    " WHERE k.public_id = $1 AND j.state = 'queued'", conn), 5);

	/* A key replaced on a healthy connection queues nothing more. */
	PQclear(it_sql("UPDATE sync_jobs SET state = 'done',"
	    " finished_at = now() WHERE state = 'queued'", 0, NULL));
	it_patch(accounts_path(store, conn, NULL), tok,
	    "{\"apiKey\":\"" IT_KEY_ACME "\"}", &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	ck_assert_int_eq(count_conn("SELECT count(*) FROM sync_jobs j JOIN"
	    " klaviyo_connections k ON k.id = j.connection_id"
	    " WHERE k.public_id = $1 AND j.state = 'queued'", conn), 0);

	/* Refused again: "Sync now" retries with the stored key. */
	PQclear(it_sql("UPDATE klaviyo_connections SET klaviyo_integration ="
	    " klaviyo_integration || jsonb_build_object('status', 'error',"
	    " 'last_error', 'Klaviyo refused the API key')"
	    " WHERE public_id = $1", 1, p));
	snprintf(path, sizeof(path), "/api/store/%s/klaviyo-sync", store);
	it_post(path, tok, "{}", &r);
	ck_assert_msg(r.status == 202, "%ld %s", r.status, r.body);
	it_resp_free(&r);
	ck_assert_int_eq(count_conn("SELECT count(*) FROM klaviyo_connections"
	    " WHERE public_id = $1 AND klaviyo_integration ->> 'status' ="
	    " 'connected' AND klaviyo_integration ->> 'last_error' IS NULL", conn),
	    1);
	ck_assert_int_eq(count_conn("SELECT count(*) FROM sync_jobs j JOIN"
	    " klaviyo_connections k ON k.id = j.connection_id"
	    " WHERE k.public_id = $1 AND j.state = 'queued'", conn), 5);
}
END_TEST

Suite *
suite_accounts(void)
{
	Suite	*s = suite_create("accounts");
	TCase	*tc = tcase_create("accounts");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, accounts_list_empty_then_one_as_seed);
	tcase_add_test(tc, accounts_add_second_account);
	tcase_add_test(tc, accounts_same_account_twice_409);
	tcase_add_test(tc, accounts_change_metric_and_rotate_key);
	tcase_add_test(tc, accounts_new_key_clears_refused_and_restarts);
	tcase_add_test(tc, accounts_make_primary);
	tcase_add_test(tc, accounts_remove_one_keeps_the_other);
	tcase_add_test(tc, accounts_permissions);
	tcase_add_test(tc, accounts_sync_now_one_account);
	tcase_add_test(tc, accounts_two_sync_at_once_apart);
	tcase_add_test(tc, accounts_remove_one_mid_sync);
	suite_add_tcase(s, tc);
	return s;
}
