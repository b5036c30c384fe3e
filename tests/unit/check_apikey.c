/*
 * Unit tests for the API key edge (apikey.h): the format check made
 * before any network call, with one sentence per kind of mistake, and the
 * masked hint that is all anyone may see of a key.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "apikey.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Letters and digits in runs of known length. */
#define A10 "a1B2c3D4e5"
#define A19 A10 "F6g7H8i9J"
#define A20 A10 A10
#define A32 A20 "k0L1m2N3o4P5"
#define A64 A32 A32
#define A65 A64 "q"
#define ELLIPSIS "\xe2\x80\xa6"		/* U+2026 */

static const struct {
	const char	*in;
	const char	*out;
} ok_cases[] = {
	{ "pk_" A20, "pk_" A20 },
	{ "pk_" A32, "pk_" A32 },
	{ "pk_" A64, "pk_" A64 },
	{ "pk_ABCDEFGHIJKLMNOPQRST", "pk_ABCDEFGHIJKLMNOPQRST" },
	{ "pk_01234567890123456789", "pk_01234567890123456789" },
	{ "  pk_" A20, "pk_" A20 },
	{ "pk_" A20 "\n", "pk_" A20 },
	{ "pk_" A20 "\r\n", "pk_" A20 },
	{ "\t \npk_" A32 " \r\n\t", "pk_" A32 },
	{ " pk_" A64 " ", "pk_" A64 },
};

START_TEST(test_check_ok)
{
	char		 out[APIKEY_MAX + 8];
	const char	*why = "unset";
	int		 rc;

	memset(out, 'Z', sizeof(out));
	rc = apikey_check(ok_cases[_i].in, out, sizeof(out), &why);
	ck_assert_msg(rc == KC_OK, "'%s': rc %d (%s)", ok_cases[_i].in, rc,
	    why ? why : "(null)");
	ck_assert_str_eq(out, ok_cases[_i].out);
	ck_assert_ptr_null(why);
}
END_TEST

/* The kinds of sentence, told apart by a word only that one has. */
enum why_kind {
	W_NONE, W_EMPTY, W_PUBLIC, W_PREFIX, W_SPACE, W_START, W_LENGTH,
	W_TOOLONG
};

static enum why_kind
why_kind(const char *why)
{
	if (why == NULL)
		return W_NONE;
	if (strstr(why, "public") != NULL)
		return W_PUBLIC;
	if (strstr(why, "prefix") != NULL)
		return W_PREFIX;
	if (strstr(why, "spaces or line breaks") != NULL)
		return W_SPACE;
	if (strstr(why, "20 to 64") != NULL)
		return W_LENGTH;
	if (strstr(why, "Enter") != NULL)
		return W_EMPTY;
	if (strstr(why, "starts with pk_") != NULL)
		return W_START;
	if (strstr(why, "too long") != NULL)
		return W_TOOLONG;
	return W_NONE;
}

static const struct {
	const char	*in;
	enum why_kind	 kind;
} bad_cases[] = {
	{ "", W_EMPTY },
	{ "   ", W_EMPTY },
	{ " \t\r\n ", W_EMPTY },

	/* The public key (site ID) is 6 letters and digits. */
	{ "AbC123", W_PUBLIC },
	{ " AbC123\n", W_PUBLIC },
	{ "XYZ789", W_PUBLIC },

	/* The whole Authorization header value pasted. */
	{ "Klaviyo-API-Key pk_" A20, W_PREFIX },
	{ "klaviyo-api-key pk_" A20, W_PREFIX },
	{ "Klaviyo-API-Key:pk_" A20, W_PREFIX },
	{ "  Klaviyo-API-Key pk_" A32 "\n", W_PREFIX },

	/* White space inside the key. */
	{ "pk_" A10 " " A10, W_SPACE },
	{ "pk_" A10 "\n" A10, W_SPACE },
	{ "pk_" A10 "\t" A10, W_SPACE },
	{ "pk_ " A20, W_SPACE },
	{ "Bearer pk_" A20, W_SPACE },

	/* Not a private key. */
	{ "sk_" A20, W_START },
	{ "pk-" A20, W_START },
	{ "PK_" A20, W_START },
	{ "pk" A20, W_START },
	{ "p", W_START },
	{ "pk", W_START },
	{ A32, W_START },
	{ "\xef\xbb\xbfpk_" A20, W_START },	/* a byte order mark */

	/* Wrong length or characters after pk_. */
	{ "pk_", W_LENGTH },
	{ "pk_" A19, W_LENGTH },
	{ "pk_" A65, W_LENGTH },
	{ "pk_" A64 A64, W_LENGTH },
	{ "pk_abc_def" A20, W_LENGTH },
	{ "pk_" A20 "_", W_LENGTH },
	{ "pk_" A10 "-" A10, W_LENGTH },
	{ "pk_" A20 "\xc3\xa9", W_LENGTH },	/* é */
	{ "pk_\xc3\xa9" A20, W_LENGTH },
	{ "pk_" A20 "\xc2\xa0", W_LENGTH },	/* a no-break space */
	{ "pk_" A10 "\xff" A10, W_LENGTH },
};

START_TEST(test_check_bad)
{
	char		 out[APIKEY_MAX + 8];
	const char	*why = NULL;
	int		 rc;

	memset(out, 'Z', sizeof(out));
	rc = apikey_check(bad_cases[_i].in, out, sizeof(out), &why);
	ck_assert_msg(rc == KC_ERR_BAD_INPUT, "'%s': rc %d, want %d",
	    bad_cases[_i].in, rc, KC_ERR_BAD_INPUT);
	ck_assert_msg(why != NULL && *why != '\0', "'%s': no sentence",
	    bad_cases[_i].in);
	ck_assert_msg(why_kind(why) == bad_cases[_i].kind,
	    "'%s': kind %d, want %d: %s", bad_cases[_i].in, why_kind(why),
	    bad_cases[_i].kind, why);
	/* Nothing of a refused key is left in out. */
	ck_assert_str_eq(out, "");
}
END_TEST

/* A valid key that does not fit into out is refused, nothing overflows. */
static const struct {
	const char	*in;
	size_t		 outlen;
	int		 rc;
} outlen_cases[] = {
	{ "pk_" A20, 24, KC_OK },
	{ "pk_" A20, 23, KC_ERR_BAD_INPUT },
	{ "pk_" A20, 10, KC_ERR_BAD_INPUT },
	{ "pk_" A20, 1, KC_ERR_BAD_INPUT },
	{ "  pk_" A20 "\n\n", 24, KC_OK },	/* room for the bare key */
	{ "  pk_" A20 "\n\n", 23, KC_ERR_BAD_INPUT },
	{ "pk_" A64, APIKEY_MAX + 1, KC_OK },
	{ "pk_" A64, APIKEY_MAX, KC_ERR_BAD_INPUT },
};

START_TEST(test_check_outlen)
{
	char		 out[APIKEY_MAX + 8];
	const char	*why = NULL;
	size_t		 len = outlen_cases[_i].outlen;
	int		 rc;

	memset(out, 'Z', sizeof(out));
	rc = apikey_check(outlen_cases[_i].in, out, len, &why);
	ck_assert_msg(rc == outlen_cases[_i].rc, "'%s' in %zu: rc %d",
	    outlen_cases[_i].in, len, rc);
	if (rc == KC_OK) {
		ck_assert_ptr_null(why);
		ck_assert_uint_eq(strlen(out) + 1, len);
	} else {
		ck_assert_msg(why != NULL && *why != '\0', "no sentence");
		ck_assert_str_eq(out, "");
	}
	/* Nothing written at or past outlen. */
	ck_assert_int_eq(out[len], 'Z');
}
END_TEST

START_TEST(test_check_outlen_zero)
{
	char		 out[4];
	const char	*why = NULL;

	memset(out, 'Z', sizeof(out));
	ck_assert_int_eq(apikey_check("pk_" A20, out, 0, &why),
	    KC_ERR_BAD_INPUT);
	ck_assert_ptr_nonnull(why);
	ck_assert_int_eq(out[0], 'Z');
}
END_TEST

static const struct {
	const char	*key;
	const char	*hint;
} hint_cases[] = {
	{ "pk_3f9a" A32, "pk_3f9a" ELLIPSIS },
	{ "pk_3f9a0123456789abcdef", "pk_3f9a" ELLIPSIS },
	{ "pk_" A64, "pk_a1B2" ELLIPSIS },
	{ "pk_abcd", "pk_abcd" ELLIPSIS },
	{ "pk_abc", "pk_" ELLIPSIS },
	{ "pk_a", "pk_" ELLIPSIS },
	{ "pk_", "pk_" ELLIPSIS },
	{ "", "pk_" ELLIPSIS },
	{ "sk_abcdefgh", "pk_" ELLIPSIS },
	{ "AbC123", "pk_" ELLIPSIS },
};

START_TEST(test_hint)
{
	char out[APIKEY_HINT_MAX];

	memset(out, 'Z', sizeof(out));
	apikey_hint(hint_cases[_i].key, out, sizeof(out));
	ck_assert_str_eq(out, hint_cases[_i].hint);
}
END_TEST

/*
 * For "pk_" and 0..70 characters: the hint fits APIKEY_HINT_MAX, is
 * "pk_", at most four characters of the key after pk_ and "…".
 */
START_TEST(test_hint_reveals_little)
{
	char	key[3 + 70 + 1], out[APIKEY_HINT_MAX];
	size_t	k, shown, len;

	for (k = 0; k <= 70; k++) {
		memcpy(key, "pk_", 3);
		memset(key + 3, 'x', k);
		key[3 + k] = '\0';
		memset(out, 'Z', sizeof(out));
		apikey_hint(key, out, sizeof(out));
		len = strlen(out);
		ck_assert_msg(len < sizeof(out), "k %zu: no NUL", k);
		ck_assert_msg(len >= 3 + 3 && strncmp(out, "pk_", 3) == 0 &&
		    strcmp(out + len - 3, ELLIPSIS) == 0, "k %zu: '%s'", k,
		    out);
		shown = len - 3 - 3;
		ck_assert_msg(shown <= 4, "k %zu: shows %zu", k, shown);
		ck_assert_msg(shown <= k, "k %zu: shows %zu", k, shown);
		ck_assert_mem_eq(out + 3, key + 3, shown);
	}
}
END_TEST

static Suite *
apikey_suite(void)
{
	Suite	*s = suite_create("apikey");
	TCase	*tc = tcase_create("check");
	TCase	*th = tcase_create("hint");

	tcase_add_loop_test(tc, test_check_ok, 0, NELEM(ok_cases));
	tcase_add_loop_test(tc, test_check_bad, 0, NELEM(bad_cases));
	tcase_add_loop_test(tc, test_check_outlen, 0, NELEM(outlen_cases));
	tcase_add_test(tc, test_check_outlen_zero);
	suite_add_tcase(s, tc);

	tcase_add_loop_test(th, test_hint, 0, NELEM(hint_cases));
	tcase_add_test(th, test_hint_reveals_little);
	suite_add_tcase(s, th);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(apikey_suite());
	int	 failures;

	srunner_run_all(sr, CK_NORMAL);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures ? 1 : 0;
}
