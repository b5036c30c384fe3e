/*
 * Unit tests for the small cryptographic helpers (crypto.h): SHA-256
 * against published vectors, hex, standard base64 (RFC 4648 vectors),
 * base64url without padding, strict decoding, constant-time comparison,
 * random bytes and wiping.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "crypto.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* FIPS 180-2 examples and the empty string. */
static const struct {
	const char	*in;
	const char	*hex;
} sha_cases[] = {
	{ "abc", "ba7816bf8f01cfea414140de5dae2223"
	  "b00361a396177a9cb410ff61f20015ad" },
	{ "", "e3b0c44298fc1c149afbf4c8996fb924"
	  "27ae41e4649b934ca495991b7852b855" },
	{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	  "248d6a61d20638b8e5c026930c3e6039"
	  "a33ce45964ff2167f6ecedd419db06c1" },
};

START_TEST(test_sha256)
{
	char		hex[SHA256_HEX_LEN + 1], raw_hex[SHA256_HEX_LEN + 1];
	unsigned char	raw[32];

	memset(hex, 'Z', sizeof(hex));
	crypto_sha256_hex(sha_cases[_i].in, strlen(sha_cases[_i].in), hex);
	ck_assert_str_eq(hex, sha_cases[_i].hex);
	ck_assert_uint_eq(strlen(hex), SHA256_HEX_LEN);
	crypto_sha256(sha_cases[_i].in, strlen(sha_cases[_i].in), raw);
	crypto_hex(raw, sizeof(raw), raw_hex);
	ck_assert_str_eq(raw_hex, hex);
}
END_TEST

START_TEST(test_hex)
{
	static const unsigned char	b[] = { 0x00, 0x01, 0x7f, 0x80, 0xab,
	    0xff };
	char				out[2 * sizeof(b) + 1];

	memset(out, 'Z', sizeof(out));
	crypto_hex(b, sizeof(b), out);
	ck_assert_str_eq(out, "00017f80abff");
	crypto_hex(b, 0, out);
	ck_assert_str_eq(out, "");
}
END_TEST

/* RFC 4648 section 10. */
static const struct {
	const char	*in;
	const char	*b64;
} b64_cases[] = {
	{ "", "" },
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

START_TEST(test_b64_vectors)
{
	const char	*in = b64_cases[_i].in, *want = b64_cases[_i].b64;
	char		 out[32];
	unsigned char	 dec[32];
	size_t		 n = 99;

	ck_assert_int_eq(crypto_b64_encode(in, strlen(in), out, sizeof(out)),
	    KC_OK);
	ck_assert_str_eq(out, want);
	if (*want == '\0')
		return;		/* nothing to decode; see test_b64_reject */
	ck_assert_int_eq(crypto_b64_decode(want, dec, sizeof(dec), &n), KC_OK);
	ck_assert_uint_eq(n, strlen(in));
	ck_assert_mem_eq(dec, in, n);
}
END_TEST

START_TEST(test_b64_encode_outlen)
{
	char out[16];

	/* "foo" needs 4 characters and a NUL. */
	ck_assert_int_eq(crypto_b64_encode("foo", 3, out, 5), KC_OK);
	ck_assert_str_eq(out, "Zm9v");
	ck_assert_int_eq(crypto_b64_encode("foo", 3, out, 4), KC_ERR_INTERNAL);
	ck_assert_int_eq(crypto_b64url_encode("foo", 3, out, 4),
	    KC_ERR_INTERNAL);
	ck_assert_int_eq(crypto_b64_encode("", 0, out, 1), KC_OK);
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(test_b64url_known)
{
	static const unsigned char	b[] = { 0xfb, 0xff, 0xbf };
	char				out[16];

	ck_assert_int_eq(crypto_b64_encode(b, 3, out, sizeof(out)), KC_OK);
	ck_assert_str_eq(out, "+/+/");
	ck_assert_int_eq(crypto_b64url_encode(b, 3, out, sizeof(out)), KC_OK);
	ck_assert_str_eq(out, "-_-_");
	ck_assert_int_eq(crypto_b64url_encode(b, 2, out, sizeof(out)), KC_OK);
	ck_assert_str_eq(out, "-_8");
	ck_assert_int_eq(crypto_b64url_encode(b, 1, out, sizeof(out)), KC_OK);
	ck_assert_str_eq(out, "-w");
	ck_assert_int_eq(crypto_b64url_encode(b, 0, out, sizeof(out)), KC_OK);
	ck_assert_str_eq(out, "");
}
END_TEST

/*
 * For lengths 0..40 of bytes that give '+' and '/' in standard base64:
 * base64url has neither, nor '=', has the unpadded length, and turns back
 * into the same bytes through the standard decoder once translated.
 */
START_TEST(test_b64url_round_trip)
{
	unsigned char	in[40], dec[64];
	char		url[64], std[64], tr[64];
	size_t		len, i, n, ulen;
	int		saw_special = 0;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(0xf8 + 0x35 * i);
	for (len = 0; len <= sizeof(in); len++) {
		ck_assert_int_eq(crypto_b64url_encode(in, len, url,
		    sizeof(url)), KC_OK);
		ck_assert_int_eq(crypto_b64_encode(in, len, std, sizeof(std)),
		    KC_OK);
		if (strpbrk(std, "+/") != NULL)
			saw_special = 1;
		ck_assert_msg(strpbrk(url, "+/=") == NULL, "len %zu: %s",
		    len, url);
		ulen = strlen(url);
		ck_assert_uint_eq(ulen, (4 * len + 2) / 3);
		/* Translate back to standard, with padding. */
		for (i = 0; i < ulen; i++)
			tr[i] = url[i] == '-' ? '+' :
			    url[i] == '_' ? '/' : url[i];
		while (i % 4 != 0)
			tr[i++] = '=';
		tr[i] = '\0';
		ck_assert_str_eq(tr, std);
		if (len == 0)
			continue;	/* "" is refused by the decoder */
		n = 999;
		ck_assert_msg(crypto_b64_decode(tr, dec, sizeof(dec), &n) ==
		    KC_OK, "len %zu: %s refused", len, tr);
		ck_assert_uint_eq(n, len);
		ck_assert_mem_eq(dec, in, len);
	}
	ck_assert_msg(saw_special, "the data never produced '+' or '/'");
}
END_TEST

static const char *const b64_bad[] = {
	"",			/* nothing */
	"Zg=",			/* length not a multiple of 4 */
	"Zg",
	"Zm9vY",
	"Zm9vYmFy=",
	"Zm9v!A==",		/* not in the alphabet */
	"Zm9v YQ=",
	"Zm9v\nYQ=",
	"Zm-_",			/* base64url, not standard */
	"Zm9v\xc3\xa9==",
};

START_TEST(test_b64_reject)
{
	unsigned char	dec[64];
	size_t		n = 99;

	ck_assert_msg(crypto_b64_decode(b64_bad[_i], dec, sizeof(dec), &n) ==
	    KC_ERR_BAD_INPUT, "'%s' accepted, %zu bytes", b64_bad[_i], n);
}
END_TEST

/*
 * '=' is padding: only at the very end, at most two.  Anything else is
 * not base64 and must not decode into some bytes.
 */
static const char *const b64_bad_pad[] = {
	"====",
	"Zg=A",
	"Z=g=",
	"=Zg=",
	"Zm9v====",
	"Zg==Zm9v",
	"Z===",
};

START_TEST(test_b64_reject_padding)
{
	unsigned char	dec[64];
	size_t		n = 99;

	ck_assert_msg(crypto_b64_decode(b64_bad_pad[_i], dec, sizeof(dec),
	    &n) == KC_ERR_BAD_INPUT, "'%s' accepted as %zu bytes",
	    b64_bad_pad[_i], n);
}
END_TEST

START_TEST(test_b64_decode_outlen)
{
	unsigned char	dec[8];
	size_t		n;

	/* "Zm9vYmFy" is 6 bytes; the decoder needs 3 per 4 characters. */
	ck_assert_int_eq(crypto_b64_decode("Zm9vYmFy", dec, 6, &n), KC_OK);
	ck_assert_uint_eq(n, 6);
	ck_assert_mem_eq(dec, "foobar", 6);
	ck_assert_int_eq(crypto_b64_decode("Zm9vYmFy", dec, 5, &n),
	    KC_ERR_BAD_INPUT);
}
END_TEST

static const struct {
	const char	*a;
	const char	*b;
	size_t		 n;
	int		 want;
} eq_cases[] = {
	{ "abc", "abc", 3, 1 },
	{ "abc", "abd", 3, 0 },
	{ "abc", "abd", 2, 1 },
	{ "xbc", "abc", 3, 0 },
	{ "abc", "xyz", 0, 1 },
	{ "a\0b", "a\0c", 3, 0 },
	{ "a\0b", "a\0b", 3, 1 },
	{ "\xff\x00", "\x7f\x00", 2, 0 },
};

START_TEST(test_equal)
{
	ck_assert_int_eq(crypto_equal(eq_cases[_i].a, eq_cases[_i].b,
	    eq_cases[_i].n), eq_cases[_i].want);
}
END_TEST

START_TEST(test_random_and_wipe)
{
	unsigned char	a[32], b[32], zero[32];

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	memset(zero, 0, sizeof(zero));
	ck_assert_int_eq(crypto_random(a, sizeof(a)), KC_OK);
	ck_assert_int_eq(crypto_random(b, sizeof(b)), KC_OK);
	ck_assert_int_eq(crypto_equal(a, b, sizeof(a)), 0);
	ck_assert_int_eq(crypto_equal(a, zero, sizeof(a)), 0);
	ck_assert_int_eq(crypto_random(a, 0), KC_OK);
	crypto_wipe(a, sizeof(a));
	ck_assert_mem_eq(a, zero, sizeof(a));
	crypto_wipe(NULL, 10);		/* a no-op */
}
END_TEST

static Suite *
crypto_suite(void)
{
	Suite	*s = suite_create("crypto");
	TCase	*th = tcase_create("hash");
	TCase	*tb = tcase_create("base64");
	TCase	*tm = tcase_create("misc");

	tcase_add_loop_test(th, test_sha256, 0, NELEM(sha_cases));
	tcase_add_test(th, test_hex);
	suite_add_tcase(s, th);

	tcase_add_loop_test(tb, test_b64_vectors, 0, NELEM(b64_cases));
	tcase_add_test(tb, test_b64_encode_outlen);
	tcase_add_test(tb, test_b64url_known);
	tcase_add_test(tb, test_b64url_round_trip);
	tcase_add_loop_test(tb, test_b64_reject, 0, NELEM(b64_bad));
	tcase_add_loop_test(tb, test_b64_reject_padding, 0,
	    NELEM(b64_bad_pad));
	tcase_add_test(tb, test_b64_decode_outlen);
	suite_add_tcase(s, tb);

	tcase_add_loop_test(tm, test_equal, 0, NELEM(eq_cases));
	tcase_add_test(tm, test_random_and_wipe);
	suite_add_tcase(s, tm);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(crypto_suite());
	int	 failures;

	srunner_run_all(sr, CK_NORMAL);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures ? 1 : 0;
}
