/*
 * Unit tests for the web worker's read cache (readcache.h) without a
 * database: what each notification payload drops (a user's sessions and
 * stores, one store for every user, everything for "*" and for anything
 * malformed; sync progress only a store's status answers), that a
 * session is kept no longer than it has left, that
 * the status answer hangs on its access entry, and the byte bound.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "readcache.h"

static void
hash_of(const char *token, char out[SHA256_HEX_LEN + 1])
{
	crypto_sha256_hex(token, strlen(token), out);
}

static void
put_session(struct readcache *c, const char *token, long long uid,
    long long left_s)
{
	struct kc_user	u;
	char		h[SHA256_HEX_LEN + 1];

	memset(&u, 0, sizeof(u));
	u.id = uid;
	snprintf(u.email, sizeof(u.email), "u%lld@example.com", uid);
	u.expires_in_s = left_s;
	hash_of(token, h);
	readcache_session_put(c, h, &u);
}

static int
has_session(struct readcache *c, const char *token, long long uid)
{
	struct kc_user	u;
	char		h[SHA256_HEX_LEN + 1];

	hash_of(token, h);
	return readcache_session(c, h, &u) && u.id == uid;
}

static void
put_access(struct readcache *c, long long uid, long long sid,
    const char *pub, const char *integ)
{
	struct store_access a;

	memset(&a, 0, sizeof(a));
	a.store_id = sid;
	snprintf(a.public_id, sizeof(a.public_id), "%s", pub);
	snprintf(a.role, sizeof(a.role), "owner");
	a.level = 100;
	a.manage_integrations = 1;
	a.integration = (char *)integ;	/* copied by the cache */
	readcache_access_put(c, uid, &a);
}

static int
has_access(struct readcache *c, long long uid, const char *pub)
{
	struct store_access	a;
	int			found;

	if (readcache_access(c, uid, pub, &a) != KC_OK)
		return 0;
	found = strcmp(a.public_id, pub) == 0 && a.integration != NULL;
	perm_access_clear(&a);
	return found;
}

START_TEST(test_user_payload_drops_that_user)
{
	struct readcache *c;

	ck_assert_int_eq(readcache_new(1, &c), KC_OK);
	put_session(c, "tokenA", 1, 3600);
	put_session(c, "tokenB", 2, 3600);
	put_access(c, 1, 10, "storeA", "{\"status\":\"connected\"}");
	put_access(c, 2, 10, "storeA", "{\"status\":\"connected\"}");
	ck_assert(has_session(c, "tokenA", 1));
	ck_assert(has_access(c, 1, "storeA"));
	readcache_invalidate(c, "u:1");
	ck_assert(!has_session(c, "tokenA", 1));
	ck_assert(!has_access(c, 1, "storeA"));
	ck_assert(has_session(c, "tokenB", 2));
	ck_assert(has_access(c, 2, "storeA"));
	readcache_free(c);
}
END_TEST

/* User 1 signed in, on stores 10 and 11; user 2 on store 10. */
static void
two_stores(struct readcache **c)
{
	ck_assert_int_eq(readcache_new(1, c), KC_OK);
	put_session(*c, "tokenA", 1, 3600);
	put_access(*c, 1, 10, "storeA", "{}");
	put_access(*c, 2, 10, "storeA", "{}");
	put_access(*c, 1, 11, "storeB", "{}");
}

START_TEST(test_store_payload_drops_that_store)
{
	struct readcache	*c;
	size_t			 n, bytes;

	two_stores(&c);
	readcache_status_put(c, 1, "storeA", "{\"success\":true}");
	ck_assert_str_eq(readcache_status(c, 1, "storeA"),
	    "{\"success\":true}");
	readcache_invalidate(c, "s:10");
	ck_assert_ptr_null(readcache_status(c, 1, "storeA"));
	ck_assert(!has_access(c, 1, "storeA"));
	ck_assert(!has_access(c, 2, "storeA"));
	ck_assert(has_access(c, 1, "storeB"));
	ck_assert(has_session(c, "tokenA", 1));
	readcache_usage(c, &n, &bytes);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(bytes, 3);
	readcache_free(c);
}
END_TEST

/* Sync progress: that store's status answers go, its access stays. */
START_TEST(test_progress_payload_drops_status_only)
{
	struct readcache	*c;
	size_t			 n, bytes;

	two_stores(&c);
	readcache_status_put(c, 1, "storeA", "{\"a\":1}");
	readcache_status_put(c, 2, "storeA", "{\"a\":2}");
	readcache_status_put(c, 1, "storeB", "{\"b\":1}");
	readcache_invalidate(c, "p:10");
	ck_assert_ptr_null(readcache_status(c, 1, "storeA"));
	ck_assert_ptr_null(readcache_status(c, 2, "storeA"));
	ck_assert(has_access(c, 1, "storeA"));
	ck_assert(has_access(c, 2, "storeA"));
	ck_assert(has_session(c, "tokenA", 1));
	ck_assert_str_eq(readcache_status(c, 1, "storeB"), "{\"b\":1}");
	/* Only the answer's bytes went: 3 integrations and one answer. */
	readcache_usage(c, &n, &bytes);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(bytes, 3 * 3 + 8);
	/* A fresh answer can be put again. */
	readcache_status_put(c, 1, "storeA", "{\"a\":3}");
	ck_assert_str_eq(readcache_status(c, 1, "storeA"), "{\"a\":3}");
	/* Another store's progress, twice: nothing more goes. */
	readcache_invalidate(c, "p:12");
	readcache_invalidate(c, "p:10");
	readcache_invalidate(c, "p:10");
	ck_assert(has_access(c, 1, "storeA"));
	readcache_usage(c, &n, &bytes);
	ck_assert_uint_eq(bytes, 3 * 3 + 8);
	readcache_free(c);
}
END_TEST

/* "*", and anything the cache does not understand, drops everything. */
static const char *const all_payloads[] = { "*", "", "u:", "s:x", "u:0",
    "s:-3", "x:1", "u:1junk", "store:10", "p:", "p:0", "p:7x" };

START_TEST(test_unknown_payload_drops_all)
{
	struct readcache	*c;
	size_t			 n, bytes;

	ck_assert_int_eq(readcache_new(1, &c), KC_OK);
	put_session(c, "tokenA", 1, 3600);
	put_access(c, 1, 10, "storeA", "{}");
	readcache_invalidate(c, all_payloads[_i]);
	readcache_usage(c, &n, &bytes);
	ck_assert_msg(n == 0 && bytes == 0, "payload \"%s\" kept %zu",
	    all_payloads[_i], n);
	readcache_free(c);
}
END_TEST

START_TEST(test_expired_session_not_kept)
{
	struct readcache *c;

	ck_assert_int_eq(readcache_new(1, &c), KC_OK);
	put_session(c, "gone", 1, 0);
	put_session(c, "past", 2, -5);
	ck_assert(!has_session(c, "gone", 1));
	ck_assert(!has_session(c, "past", 2));
	put_session(c, "live", 3, 1);
	ck_assert(has_session(c, "live", 3));
	ck_assert(!has_session(c, "other", 3));
	readcache_free(c);
}
END_TEST

/* No answer without its access entry; the byte bound holds. */
START_TEST(test_status_needs_access_and_room)
{
	struct readcache	*c;
	char			*big;
	size_t			 n, bytes;

	ck_assert_int_eq(readcache_new(1, &c), KC_OK);
	readcache_status_put(c, 1, "storeA", "{}");
	ck_assert_ptr_null(readcache_status(c, 1, "storeA"));
	put_access(c, 1, 10, "storeA", "{}");
	ck_assert_ptr_null(readcache_status(c, 2, "storeA"));
	big = malloc(READCACHE_MAX_BYTES);
	ck_assert_ptr_nonnull(big);
	memset(big, 'x', READCACHE_MAX_BYTES - 1);
	big[READCACHE_MAX_BYTES - 1] = '\0';
	readcache_status_put(c, 1, "storeA", big);
	ck_assert_ptr_null(readcache_status(c, 1, "storeA"));
	put_access(c, 1, 11, "storeB", big);
	ck_assert(!has_access(c, 1, "storeB"));
	readcache_usage(c, &n, &bytes);
	ck_assert_uint_le(bytes, READCACHE_MAX_BYTES);
	ck_assert_uint_eq(bytes, 3);
	free(big);
	readcache_free(c);
}
END_TEST

static Suite *
readcache_suite(void)
{
	Suite	*s = suite_create("readcache");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_user_payload_drops_that_user);
	tcase_add_test(tc, test_store_payload_drops_that_store);
	tcase_add_test(tc, test_progress_payload_drops_status_only);
	tcase_add_loop_test(tc, test_unknown_payload_drops_all, 0,
	    sizeof(all_payloads) / sizeof(all_payloads[0]));
	tcase_add_test(tc, test_expired_session_not_kept);
	tcase_add_test(tc, test_status_needs_access_and_room);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(readcache_suite());
	int	 failures;

	srunner_run_all(sr, CK_NORMAL);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures ? 1 : 0;
}
