/*
 * Unit tests for log_escape (log.h): control bytes, quotes, backslashes
 * and bytes over 0x7e become \xNN, so a user string cannot forge a log
 * line; the output is always terminated and never ends in half an escape.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

START_TEST(test_plain_ascii_unchanged)
{
	char out[128];

	ck_assert_ptr_eq(log_escape("GET /api/me?x=1&y=~", out,
	    sizeof(out)), out);
	ck_assert_str_eq(out, "GET /api/me?x=1&y=~");
	/* Space and '~' are the printable range's ends. */
	ck_assert_str_eq(log_escape(" ~", out, sizeof(out)), " ~");
}
END_TEST

START_TEST(test_empty_and_null)
{
	char out[8];

	memset(out, 'z', sizeof(out));
	ck_assert_str_eq(log_escape("", out, sizeof(out)), "");
	memset(out, 'z', sizeof(out));
	ck_assert_str_eq(log_escape(NULL, out, sizeof(out)), "");
}
END_TEST

START_TEST(test_control_bytes)
{
	char out[128];

	/* A forged second line stays on the first. */
	ck_assert_str_eq(log_escape("a\nERROR x\r\tb", out, sizeof(out)),
	    "a\\x0aERROR x\\x0d\\x09b");
	ck_assert_str_eq(log_escape("\x01\x1b[31m\x1f", out, sizeof(out)),
	    "\\x01\\x1b[31m\\x1f");
	/* DEL is a control byte too. */
	ck_assert_str_eq(log_escape("a\x7f", out, sizeof(out)), "a\\x7f");
}
END_TEST

START_TEST(test_quotes_and_backslashes)
{
	char out[128];

	ck_assert_str_eq(log_escape("say \"hi\"", out, sizeof(out)),
	    "say \\x22hi\\x22");
	/* An escape in the input cannot pass for one of ours. */
	ck_assert_str_eq(log_escape("\\x0a", out, sizeof(out)), "\\x5cx0a");
	/* Single quotes are printable and kept. */
	ck_assert_str_eq(log_escape("it's", out, sizeof(out)), "it's");
}
END_TEST

START_TEST(test_high_bytes)
{
	char out[128];

	/* Valid UTF-8 is escaped byte by byte like any byte over 0x7e. */
	ck_assert_str_eq(log_escape("caf\xc3\xa9", out, sizeof(out)),
	    "caf\\xc3\\xa9");
	/* Invalid UTF-8: a lone continuation, a truncated sequence, 0xff. */
	ck_assert_str_eq(log_escape("\x80x\xe2\x82y\xff", out, sizeof(out)),
	    "\\x80x\\xe2\\x82y\\xff");
	/* Overlong NUL and a UTF-16 surrogate. */
	ck_assert_str_eq(log_escape("\xc0\x80\xed\xa0\x80", out,
	    sizeof(out)), "\\xc0\\x80\\xed\\xa0\\x80");
}
END_TEST

START_TEST(test_truncation_plain)
{
	char out[6];

	/* Five characters and the NUL. */
	ck_assert_str_eq(log_escape("abcdefgh", out, sizeof(out)), "abcde");
	ck_assert_str_eq(log_escape("abcde", out, sizeof(out)), "abcde");
	ck_assert_str_eq(log_escape("abc", out, 1), "");
}
END_TEST

/* The length of the escaped character at s: an escape or one byte. */
static size_t
token_len(const char *s)
{
	return *s == '\\' ? 4 : 1;
}

START_TEST(test_truncation_never_splits_an_escape)
{
	static const char in[] = "x\"y\\z\x01\xc3\xa9!";
	char		 out[40], full[64];
	size_t		 n, len, cut;

	/* "ab" and an escape need 2 + 4 + 1 bytes. */
	ck_assert_str_eq(log_escape("ab\n", out, 7), "ab\\x0a");
	ck_assert_str_eq(log_escape("ab\ncd", out, 7), "ab\\x0a");
	/* One byte short: the whole escape is left out, not its head. */
	ck_assert_str_eq(log_escape("ab\ncd", out, 6), "ab");
	ck_assert_str_eq(log_escape("ab\ncd", out, 5), "ab");
	ck_assert_str_eq(log_escape("\"", out, 4), "");
	/* Nothing after a dropped escape, even if it would fit. */
	ck_assert_str_eq(log_escape("a\xffz", out, 5), "a");
	/* Every size: the longest whole-token prefix that fits. */
	log_escape(in, full, sizeof(full));
	ck_assert_str_eq(full, "x\\x22y\\x5cz\\x01\\xc3\\xa9!");
	for (n = 1; n < sizeof(out); n++) {
		memset(out, 'z', sizeof(out));
		log_escape(in, out, n);
		len = strlen(out);
		cut = 0;
		while (full[cut] != '\0' && cut + token_len(full + cut) < n)
			cut += token_len(full + cut);
		ck_assert_msg(len == cut, "size %zu: \"%s\"", n, out);
		ck_assert_int_eq(strncmp(out, full, len), 0);
	}
}
END_TEST

START_TEST(test_zero_size_untouched)
{
	char out[4] = "abc";

	ck_assert_ptr_eq(log_escape("xyz", out, 0), out);
	ck_assert_str_eq(out, "abc");
}
END_TEST

static Suite *
log_suite(void)
{
	Suite	*s = suite_create("log");
	TCase	*tc = tcase_create("escape");

	tcase_add_test(tc, test_plain_ascii_unchanged);
	tcase_add_test(tc, test_empty_and_null);
	tcase_add_test(tc, test_control_bytes);
	tcase_add_test(tc, test_quotes_and_backslashes);
	tcase_add_test(tc, test_high_bytes);
	tcase_add_test(tc, test_truncation_plain);
	tcase_add_test(tc, test_truncation_never_splits_an_escape);
	tcase_add_test(tc, test_zero_size_untouched);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(log_suite());
	int	 failures;

	srunner_run_all(sr, CK_NORMAL);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures ? 1 : 0;
}
