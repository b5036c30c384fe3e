/*
 * Unit tests for scrypt password hashing (password.h): round trip, wrong
 * passwords, salting, tampered and garbage encodings (never a crash,
 * always KC_ERR_UNAUTHORIZED), the default cost (OWASP's N = 2^17, one
 * hash and one verify, ~0.3 s each), which stored hashes need an upgrade,
 * and the length policy.  The other hashes are made at 2^15 (50-100 ms a
 * call): one for the whole test case, and the suite stays under ten calls.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "password.h"

#define PW "correct horse battery staple"
#define OLD_LOG_N 15	/* the cost before issue 14 */

/* Made once by the unchecked fixture; forked tests inherit it. */
static char	good[PASSWORD_HASH_MAX];
static char	good_salt[64], good_hash[64];

static void
hash_once(void)
{
	const char	*p, *q;

	ck_assert_int_eq(password_hash(PW, OLD_LOG_N, good, sizeof(good)),
	    KC_OK);
	/* scrypt$ln$r$p$salt$hash: split out salt and hash. */
	ck_assert_ptr_nonnull(p = strrchr(good, '$'));
	snprintf(good_hash, sizeof(good_hash), "%s", p + 1);
	for (q = p - 1; q > good && *q != '$'; q--)
		;
	snprintf(good_salt, sizeof(good_salt), "%.*s", (int)(p - q - 1),
	    q + 1);
}

START_TEST(test_format)
{
	size_t i;

	ck_assert_int_eq(strncmp(good, "scrypt$15$8$1$", 14), 0);
	ck_assert_uint_lt(strlen(good), PASSWORD_HASH_MAX);
	/* 16-byte salt and 32-byte hash in unpadded base64url. */
	ck_assert_uint_eq(strlen(good_salt), 22);
	ck_assert_uint_eq(strlen(good_hash), 43);
	for (i = 0; good[i]; i++)
		ck_assert_msg(strchr("+/= ", good[i]) == NULL,
		    "'%c' in %s", good[i], good);
	ck_assert_ptr_null(strstr(good, PW));
}
END_TEST

START_TEST(test_verify_ok)	/* 1 call */
{
	ck_assert_int_eq(password_verify(PW, good), KC_OK);
}
END_TEST

START_TEST(test_verify_wrong)	/* 2 calls */
{
	ck_assert_int_eq(password_verify(PW "!", good), KC_ERR_UNAUTHORIZED);
	ck_assert_int_eq(password_verify("", good), KC_ERR_UNAUTHORIZED);
}
END_TEST

START_TEST(test_salted)	/* 1 call */
{
	char again[PASSWORD_HASH_MAX];

	ck_assert_int_eq(password_hash(PW, OLD_LOG_N, again, sizeof(again)),
	    KC_OK);
	ck_assert_str_ne(again, good);
	/* The salt itself differs, not only the hash. */
	ck_assert_ptr_null(strstr(again, good_salt));
}
END_TEST

/* New hashes carry OWASP's parameters and verify (2 calls at 2^17). */
START_TEST(test_default_cost)
{
	char enc[PASSWORD_HASH_MAX];

	ck_assert_int_ge(PASSWORD_LOG_N_DEFAULT, 17);
	ck_assert_int_eq(password_hash(PW, PASSWORD_LOG_N_DEFAULT, enc,
	    sizeof(enc)), KC_OK);
	ck_assert_msg(strncmp(enc, "scrypt$17$8$1$", 14) == 0, "%s", enc);
	ck_assert_int_eq(password_verify(PW, enc), KC_OK);
	ck_assert_int_eq(password_needs_rehash(enc, PASSWORD_LOG_N_DEFAULT),
	    0);
	/* Out of the configurable range: refused, nothing written. */
	ck_assert_int_ne(password_hash(PW, PASSWORD_LOG_N_MIN - 1, enc,
	    sizeof(enc)), KC_OK);
	ck_assert_int_ne(password_hash(PW, PASSWORD_LOG_N_MAX + 1, enc,
	    sizeof(enc)), KC_OK);
}
END_TEST

/* Which stored encodings a successful login re-hashes (no scrypt). */
START_TEST(test_needs_rehash)
{
	/* The old default, and weaker r or p, below today's cost. */
	ck_assert_int_eq(password_needs_rehash(good, 17), 1);
	ck_assert_int_eq(password_needs_rehash("scrypt$15$8$1$s$h", 17), 1);
	ck_assert_int_eq(password_needs_rehash("scrypt$17$4$1$s$h", 17), 1);
	ck_assert_int_eq(password_needs_rehash("scrypt$17$8$0$s$h", 17), 1);
	/* As strong or stronger: kept, never lowered to a test's cost. */
	ck_assert_int_eq(password_needs_rehash(good, OLD_LOG_N), 0);
	ck_assert_int_eq(password_needs_rehash("scrypt$17$8$1$s$h", 17), 0);
	ck_assert_int_eq(password_needs_rehash("scrypt$18$8$1$s$h", 17), 0);
	ck_assert_int_eq(password_needs_rehash("scrypt$17$8$1$s$h", 15), 0);
	/* Not an scrypt encoding: verify refuses it, nothing to upgrade. */
	ck_assert_int_eq(password_needs_rehash("", 17), 0);
	ck_assert_int_eq(password_needs_rehash("md5$abc", 17), 0);
	ck_assert_int_eq(password_needs_rehash("scrypt$x$8$1$s$h", 17), 0);
}
END_TEST

/* Flip one character in the middle of s (base64url stays base64url). */
static void
flip(char *s)
{
	char *c = s + strlen(s) / 2;

	*c = *c == 'A' ? 'B' : 'A';
}

START_TEST(test_tampered)	/* 3 calls, one at half cost */
{
	char	enc[PASSWORD_HASH_MAX], part[64];

	/* Another hash. */
	snprintf(part, sizeof(part), "%s", good_hash);
	flip(part);
	snprintf(enc, sizeof(enc), "scrypt$15$8$1$%s$%s", good_salt, part);
	ck_assert_int_eq(password_verify(PW, enc), KC_ERR_UNAUTHORIZED);

	/* Another salt. */
	snprintf(part, sizeof(part), "%s", good_salt);
	flip(part);
	snprintf(enc, sizeof(enc), "scrypt$15$8$1$%s$%s", part, good_hash);
	ck_assert_int_eq(password_verify(PW, enc), KC_ERR_UNAUTHORIZED);

	/* Another cost. */
	snprintf(enc, sizeof(enc), "scrypt$14$8$1$%s$%s", good_salt,
	    good_hash);
	ck_assert_int_eq(password_verify(PW, enc), KC_ERR_UNAUTHORIZED);
}
END_TEST

/* Encodings that fail before any scrypt work. */
START_TEST(test_garbage)
{
	char	 enc[16][PASSWORD_HASH_MAX * 2];
	char	 trunc[64];
	size_t	 i, n = 0;

	snprintf(trunc, sizeof(trunc), "%.42s", good_hash);
	snprintf(enc[n++], sizeof(enc[0]), "%s", "");
	snprintf(enc[n++], sizeof(enc[0]), "%s", "scrypt$");
	snprintf(enc[n++], sizeof(enc[0]), "%s", "scrypt$99$8$1$x$y");
	snprintf(enc[n++], sizeof(enc[0]), "%s",
	    "md5$5f4dcc3b5aa765d61d8327deb882cf99");
	snprintf(enc[n++], sizeof(enc[0]), "%s", "scrypt$15$8$1$");
	snprintf(enc[n++], sizeof(enc[0]), "%s", "scrypt$15$8$1$$");
	snprintf(enc[n++], sizeof(enc[0]), "%s", "$$$$$$");
	snprintf(enc[n++], sizeof(enc[0]), "scrypt$15$8$1$%s", good_salt);
	snprintf(enc[n++], sizeof(enc[0]), "scrypt$15$8$1$%s$%s", good_salt,
	    trunc);
	snprintf(enc[n++], sizeof(enc[0]), "scrypt$15$8$1$%s$%sAAAA",
	    good_salt, good_hash);
	snprintf(enc[n++], sizeof(enc[0]), "scrypt$15$8$1$%s$%s$x",
	    good_salt, good_hash);
	snprintf(enc[n++], sizeof(enc[0]), "scrypt$15$8$1$%s$%s", good_hash,
	    good_salt);
	/* Cost parameters out of range, with a well-formed salt and hash. */
	snprintf(enc[n++], sizeof(enc[0]), "scrypt$99$8$1$%s$%s", good_salt,
	    good_hash);
	snprintf(enc[n++], sizeof(enc[0]), "scrypt$15$0$1$%s$%s", good_salt,
	    good_hash);
	snprintf(enc[n++], sizeof(enc[0]), "scrypt$15$8$0$%s$%s", good_salt,
	    good_hash);
	snprintf(enc[n++], sizeof(enc[0]), "scrypt$9$8$1$%s$%s", good_salt,
	    good_hash);
	ck_assert_uint_eq(n, sizeof(enc) / sizeof(enc[0]));
	for (i = 0; i < n; i++)
		ck_assert_msg(password_verify(PW, enc[i]) ==
		    KC_ERR_UNAUTHORIZED, "'%s' not refused", enc[i]);
}
END_TEST

START_TEST(test_policy)
{
	char	pw[PASSWORD_MAX_LEN + 2];

	ck_assert_ptr_nonnull(password_policy(""));
	ck_assert_ptr_nonnull(strstr(password_policy("123456789"),
	    "at least 10"));
	ck_assert_ptr_null(password_policy("1234567890"));

	memset(pw, 'p', sizeof(pw));
	pw[PASSWORD_MAX_LEN] = '\0';
	ck_assert_ptr_null(password_policy(pw));
	pw[PASSWORD_MAX_LEN] = 'p';
	pw[PASSWORD_MAX_LEN + 1] = '\0';
	ck_assert_ptr_nonnull(password_policy(pw));
	ck_assert_ptr_nonnull(strstr(password_policy(pw), "at most 1024"));
}
END_TEST

static Suite *
password_suite(void)
{
	Suite	*s = suite_create("password");
	TCase	*tc = tcase_create("scrypt");
	TCase	*tp = tcase_create("policy");

	/* Runs once in the parent, before the forked tests. */
	tcase_add_unchecked_fixture(tc, hash_once, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_verify_ok);
	tcase_add_test(tc, test_verify_wrong);
	tcase_add_test(tc, test_salted);
	tcase_add_test(tc, test_tampered);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_default_cost);
	tcase_add_test(tc, test_needs_rehash);
	suite_add_tcase(s, tc);

	tcase_add_test(tp, test_policy);
	suite_add_tcase(s, tp);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(password_suite());
	int	 failures;

	srunner_run_all(sr, CK_NORMAL);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures ? 1 : 0;
}
