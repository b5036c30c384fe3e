/*
 * Unit tests for the capped buffer (buf.h): appends, printf, the hard
 * maximum (a failed append frees and returns KC_ERR_TOO_LARGE, like
 * curl's dynbuf), steal, reset and NUL termination.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* The invariant every successful operation must keep. */
static void
assert_terminated(const struct buf *b)
{
	ck_assert_ptr_nonnull(b->data);
	ck_assert_uint_lt(b->len, b->cap);
	ck_assert_uint_le(b->cap, b->max + 1);
	ck_assert_int_eq(b->data[b->len], '\0');
}

/* The state after a failed append: nothing left, still usable. */
static void
assert_freed(const struct buf *b)
{
	ck_assert_ptr_null(b->data);
	ck_assert_uint_eq(b->len, 0);
	ck_assert_uint_eq(b->cap, 0);
	ck_assert_str_eq(buf_cstr(b), "");
}

START_TEST(test_init_empty)
{
	struct buf b;

	buf_init(&b, 100);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.max, 100);
	ck_assert_str_eq(buf_cstr(&b), "");
	buf_free(&b);
	buf_free(&b);	/* twice is harmless */
	assert_freed(&b);
}
END_TEST

START_TEST(test_append)
{
	struct buf b;

	buf_init(&b, 1024);
	ck_assert_int_eq(buf_append(&b, "abc", 3), KC_OK);
	assert_terminated(&b);
	ck_assert_int_eq(buf_append(&b, "defXX", 3), KC_OK);
	assert_terminated(&b);
	ck_assert_uint_eq(b.len, 6);
	ck_assert_str_eq(buf_cstr(&b), "abcdef");
	ck_assert_int_eq(buf_puts(&b, "-gh"), KC_OK);
	ck_assert_str_eq(b.data, "abcdef-gh");
	ck_assert_uint_eq(b.len, 9);
	buf_free(&b);
	assert_freed(&b);
}
END_TEST

START_TEST(test_append_binary)
{
	struct buf b;

	buf_init(&b, 64);
	ck_assert_int_eq(buf_append(&b, "a\0b", 3), KC_OK);
	ck_assert_uint_eq(b.len, 3);
	ck_assert_mem_eq(b.data, "a\0b", 4);
	assert_terminated(&b);
	buf_free(&b);
}
END_TEST

START_TEST(test_zero_length)
{
	struct buf b;

	/* An empty append still gives a real, terminated string. */
	buf_init(&b, 16);
	ck_assert_int_eq(buf_append(&b, "", 0), KC_OK);
	assert_terminated(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(buf_puts(&b, ""), KC_OK);
	ck_assert_int_eq(buf_printf(&b, "%s", ""), KC_OK);
	ck_assert_uint_eq(b.len, 0);
	assert_terminated(&b);

	/* A full buffer accepts zero more bytes. */
	ck_assert_int_eq(buf_append(&b, "0123456789abcdef", 16), KC_OK);
	ck_assert_int_eq(buf_append(&b, "x", 0), KC_OK);
	ck_assert_int_eq(buf_printf(&b, "%.0s", "ignored"), KC_OK);
	ck_assert_uint_eq(b.len, 16);
	ck_assert_str_eq(b.data, "0123456789abcdef");
	assert_terminated(&b);
	buf_free(&b);

	/* Even with a maximum of zero. */
	buf_init(&b, 0);
	ck_assert_int_eq(buf_append(&b, "", 0), KC_OK);
	assert_terminated(&b);
	ck_assert_int_eq(buf_append(&b, "x", 1), KC_ERR_TOO_LARGE);
	assert_freed(&b);
}
END_TEST

START_TEST(test_printf)
{
	struct buf	 b;
	char		 big[601];

	buf_init(&b, 4096);
	ck_assert_int_eq(buf_puts(&b, "x="), KC_OK);
	ck_assert_int_eq(buf_printf(&b, "%d-%s", 42, "y"), KC_OK);
	ck_assert_str_eq(b.data, "x=42-y");
	ck_assert_uint_eq(b.len, 6);
	assert_terminated(&b);

	/* Larger than the first allocation: the buffer has to grow. */
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(buf_printf(&b, "[%s]", big), KC_OK);
	ck_assert_uint_eq(b.len, 6 + 602);
	ck_assert_int_eq(strncmp(b.data, "x=42-y[zzz", 10), 0);
	ck_assert_int_eq(b.data[b.len - 1], ']');
	assert_terminated(&b);
	buf_free(&b);
}
END_TEST

/* Two appends against a maximum: the second one decides. */
static const struct {
	size_t		 max;
	const char	*first;
	const char	*second;
	int		 rc;
} max_cases[] = {
	{ 8, "12345678", "", KC_OK },
	{ 8, "1234", "5678", KC_OK },
	{ 8, "1234", "56789", KC_ERR_TOO_LARGE },
	{ 8, "12345678", "9", KC_ERR_TOO_LARGE },
	{ 8, "", "123456789", KC_ERR_TOO_LARGE },
	{ 1, "", "a", KC_OK },
	{ 1, "a", "b", KC_ERR_TOO_LARGE },
	{ 300, "", "", KC_OK },
};

START_TEST(test_max_table)
{
	struct buf	 b;
	char		 want[64];
	size_t		 n1 = strlen(max_cases[_i].first);
	size_t		 n2 = strlen(max_cases[_i].second);

	buf_init(&b, max_cases[_i].max);
	ck_assert_int_eq(buf_append(&b, max_cases[_i].first, n1), KC_OK);
	ck_assert_int_eq(buf_append(&b, max_cases[_i].second, n2),
	    max_cases[_i].rc);
	if (max_cases[_i].rc != KC_OK) {
		assert_freed(&b);
		ck_assert_uint_eq(b.max, max_cases[_i].max);
		return;
	}
	snprintf(want, sizeof(want), "%s%s", max_cases[_i].first,
	    max_cases[_i].second);
	ck_assert_str_eq(b.data, want);
	ck_assert_uint_eq(b.len, n1 + n2);
	assert_terminated(&b);
	buf_free(&b);
}
END_TEST

START_TEST(test_printf_max)
{
	struct buf b;

	buf_init(&b, 10);
	ck_assert_int_eq(buf_printf(&b, "%s", "hello"), KC_OK);
	ck_assert_int_eq(buf_printf(&b, "%d", 123456), KC_ERR_TOO_LARGE);
	assert_freed(&b);

	/* Exactly the maximum fits. */
	ck_assert_int_eq(buf_printf(&b, "%010d", 42), KC_OK);
	ck_assert_str_eq(b.data, "0000000042");
	ck_assert_uint_eq(b.len, 10);
	assert_terminated(&b);
	ck_assert_int_eq(buf_printf(&b, "%c", 'x'), KC_ERR_TOO_LARGE);
	assert_freed(&b);
}
END_TEST

START_TEST(test_reuse_after_overflow)
{
	struct buf b;

	buf_init(&b, 4);
	ck_assert_int_eq(buf_puts(&b, "abc"), KC_OK);
	ck_assert_int_eq(buf_puts(&b, "de"), KC_ERR_TOO_LARGE);
	assert_freed(&b);
	/* The maximum stays; the buffer starts again from empty. */
	ck_assert_uint_eq(b.max, 4);
	ck_assert_int_eq(buf_puts(&b, "wxyz"), KC_OK);
	ck_assert_str_eq(b.data, "wxyz");
	ck_assert_int_eq(buf_puts(&b, "!"), KC_ERR_TOO_LARGE);
	assert_freed(&b);
}
END_TEST

START_TEST(test_growth)
{
	struct buf	 b;
	size_t		 i;

	buf_init(&b, 5000);
	for (i = 0; i < 5000; i++)
		ck_assert_int_eq(buf_append(&b, "a", 1), KC_OK);
	ck_assert_uint_eq(b.len, 5000);
	assert_terminated(&b);
	for (i = 0; i < 5000; i++)
		ck_assert_int_eq(b.data[i], 'a');
	ck_assert_int_eq(buf_append(&b, "a", 1), KC_ERR_TOO_LARGE);
	assert_freed(&b);
}
END_TEST

START_TEST(test_steal)
{
	struct buf	 b;
	char		*p;

	buf_init(&b, 64);
	ck_assert_int_eq(buf_puts(&b, "hello"), KC_OK);
	p = buf_steal(&b);
	ck_assert_str_eq(p, "hello");
	assert_freed(&b);
	free(p);

	/* Stealing an empty buffer gives an empty string, not NULL. */
	p = buf_steal(&b);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p, "");
	free(p);

	/* The buffer is usable afterwards, with the same maximum. */
	ck_assert_uint_eq(b.max, 64);
	ck_assert_int_eq(buf_puts(&b, "x"), KC_OK);
	ck_assert_str_eq(b.data, "x");
	buf_free(&b);
}
END_TEST

START_TEST(test_reset)
{
	struct buf	 b;
	char		*data;
	size_t		 cap;

	buf_init(&b, 64);
	buf_reset(&b);		/* nothing allocated yet */
	assert_freed(&b);
	ck_assert_int_eq(buf_puts(&b, "hello"), KC_OK);
	data = b.data;
	cap = b.cap;
	buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(buf_cstr(&b), "");
	/* The allocation is kept for reuse. */
	ck_assert_ptr_eq(b.data, data);
	ck_assert_uint_eq(b.cap, cap);
	ck_assert_int_eq(buf_puts(&b, "ab"), KC_OK);
	ck_assert_str_eq(b.data, "ab");
	assert_terminated(&b);
	buf_free(&b);
}
END_TEST

START_TEST(test_free_secret)
{
	struct buf b;

	buf_init(&b, 64);
	buf_free_secret(&b);	/* NULL data is fine */
	ck_assert_int_eq(buf_puts(&b, "pk_secret"), KC_OK);
	buf_free_secret(&b);
	assert_freed(&b);
}
END_TEST

static Suite *
buf_suite(void)
{
	Suite	*s = suite_create("buf");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_init_empty);
	tcase_add_test(tc, test_append);
	tcase_add_test(tc, test_append_binary);
	tcase_add_test(tc, test_zero_length);
	tcase_add_test(tc, test_printf);
	tcase_add_loop_test(tc, test_max_table, 0,
	    sizeof(max_cases) / sizeof(max_cases[0]));
	tcase_add_test(tc, test_printf_max);
	tcase_add_test(tc, test_reuse_after_overflow);
	tcase_add_test(tc, test_growth);
	tcase_add_test(tc, test_steal);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_free_secret);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(buf_suite());
	int	 failures;

	srunner_run_all(sr, CK_NORMAL);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures ? 1 : 0;
}
