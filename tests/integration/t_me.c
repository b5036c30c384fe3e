/* GET /api/me: the signed-in user and the stores they can see. */
#include "itest.h"

#include <stdio.h>
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
	    "'%s' is not a string", key);
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

/* GET /api/me as uid; checks the user part; returns the stores array. */
static struct json_object *
me_stores(long long uid, const char *email, struct it_resp *r)
{
	struct json_object	*u, *stores;
	char			 tok[64];

	it_token(uid, tok, sizeof(tok));
	it_get("/api/me", tok, r);
	ck_assert_msg(r->status == 200, "status %ld: %s", r->status,
	    r->body);
	ck_assert(jbool(r->json, "success"));
	u = jget(r->json, "user");
	ck_assert_int_eq(json_object_get_int64(jget(u, "id")), uid);
	ck_assert_str_eq(jstr(u, "email"), email);
	stores = jget(r->json, "stores");
	ck_assert(json_object_is_type(stores, json_type_array));
	return stores;
}

static void
check_store(struct json_object *s, const char *id, const char *name,
    const char *role, int level, int can_manage)
{
	ck_assert_str_eq(jstr(s, "public_id"), id);
	ck_assert_str_eq(jstr(s, "name"), name);
	ck_assert_str_eq(jstr(s, "role"), role);
	ck_assert(json_object_is_type(jget(s, "level"), json_type_int));
	ck_assert_int_eq(json_object_get_int(jget(s, "level")), level);
	ck_assert_int_eq(jbool(s, "can_manage"), can_manage);
	ck_assert_str_eq(jstr(s, "klaviyo_status"), "not_configured");
	ck_assert(json_object_is_type(jget(s, "klaviyo_accounts"),
	    json_type_int));
	ck_assert_int_eq(json_object_get_int(jget(s, "klaviyo_accounts")), 0);
}

START_TEST(me_without_session_401)
{
	struct it_resp r;

	it_get("/api/me", NULL, &r);
	it_assert_error(&r, 401, "unauthorized");
	ck_assert_ptr_null(strstr(r.body, "stores"));
	it_resp_free(&r);
}
END_TEST

/* A store with a chosen public id (it_store picks its own). */
static void
make_store(const char *prefix, const char *name, char *id, size_t len)
{
	const char *p[2] = { id, name };

	snprintf(id, len, "%s%s", prefix, it_unique());
	PQclear(it_sql("INSERT INTO stores (public_id, name) VALUES ($1, $2)",
	    2, p));
}

START_TEST(me_lists_owner_and_viewer_stores_by_name)
{
	struct it_resp		 r;
	struct json_object	*stores;
	char			 email[128], other[128];
	char			 a[32], b[32], c[32];
	char			 na[64], nb[64], nc[64];
	long long		 uid;

	/*
	 * By name, case-insensitively, B comes first; by creation, by
	 * public id and by plain byte order of the names, A does.
	 */
	snprintf(na, sizeof(na), "Zulu store %s", it_unique());
	snprintf(nb, sizeof(nb), "alpha store %s", it_unique());
	snprintf(nc, sizeof(nc), "Mike store %s", it_unique());
	make_store("a", na, a, sizeof(a));
	make_store("z", nb, b, sizeof(b));
	make_store("m", nc, c, sizeof(c));
	uid = it_user("me", email, sizeof(email));
	it_user("me-other", other, sizeof(other));
	it_grant(email, a, "owner");
	it_grant(email, b, "viewer");
	it_grant(other, c, "owner");

	stores = me_stores(uid, email, &r);
	ck_assert_msg(json_object_array_length(stores) == 2, "stores %s",
	    json_object_to_json_string(stores));
	check_store(json_object_array_get_idx(stores, 0), b, nb, "viewer",
	    10, 0);
	check_store(json_object_array_get_idx(stores, 1), a, na, "owner",
	    100, 1);
	ck_assert_ptr_null(strstr(r.body, c));
	ck_assert_ptr_null(strstr(r.body, nc));
	it_resp_free(&r);

	/* Two Klaviyo accounts: the status is the primary's, both counted. */
	free(it_add_conn(a, "error", "MeAcct1"));
	free(it_add_conn(a, "connected", "MeAcct2"));
	stores = me_stores(uid, email, &r);
	ck_assert_str_eq(jstr(json_object_array_get_idx(stores, 1),
	    "klaviyo_status"), "error");
	ck_assert_int_eq(json_object_get_int(jget(json_object_array_get_idx(
	    stores, 1), "klaviyo_accounts")), 2);
	ck_assert_int_eq(json_object_get_int(jget(json_object_array_get_idx(
	    stores, 0), "klaviyo_accounts")), 0);
	it_resp_free(&r);
}
END_TEST

START_TEST(me_without_stores_is_empty_array)
{
	struct it_resp		 r;
	struct json_object	*stores;
	char			 email[128];
	long long		 uid;

	uid = it_user("me-none", email, sizeof(email));
	stores = me_stores(uid, email, &r);
	ck_assert_int_eq(json_object_array_length(stores), 0);
	it_resp_free(&r);
}
END_TEST

START_TEST(me_two_seats_highest_role_once)
{
	struct it_resp		 r;
	struct json_object	*stores;
	char			 email[128], id[32], name[64], uid_s[24];
	const char		*p[1] = { uid_s };
	long long		 uid;

	snprintf(name, sizeof(name), "Two seats %s", it_unique());
	it_store(name, id, sizeof(id));
	uid = it_user("me-seats", email, sizeof(email));
	/* it_grant makes a new seat each time. */
	it_grant(email, id, "viewer");
	it_grant(email, id, "admin");
	snprintf(uid_s, sizeof(uid_s), "%lld", uid);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM contract_seats"
	    " WHERE user_id = $1", 1, p), 2);

	stores = me_stores(uid, email, &r);
	ck_assert_msg(json_object_array_length(stores) == 1, "stores %s",
	    json_object_to_json_string(stores));
	check_store(json_object_array_get_idx(stores, 0), id, name, "admin",
	    80, 1);
	it_resp_free(&r);
}
END_TEST

Suite *
suite_me(void)
{
	Suite	*s = suite_create("me");
	TCase	*tc = tcase_create("me");

	tcase_add_test(tc, me_without_session_401);
	tcase_add_test(tc, me_lists_owner_and_viewer_stores_by_name);
	tcase_add_test(tc, me_without_stores_is_empty_array);
	tcase_add_test(tc, me_two_seats_highest_role_once);
	suite_add_tcase(s, tc);
	return s;
}
