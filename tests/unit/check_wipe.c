/*
 * Unit tests for wiping secrets before release (wipe.h, privs.h): json-c
 * string values at any depth, the tokener's buffer, the printed text
 * json-c caches, and a process that makes itself non-dumpable.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "privs.h"
#include "wipe.h"

#define KEY "pk_0123456789abcdefABCDEF0123456789"

/* All n bytes are zero. */
static int
zeroed(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != '\0')
			return 0;
	return 1;
}

START_TEST(test_json_put_wipes_every_string)
{
	struct json_object	*o, *arr, *inner, *s1, *s2, *s3;
	const char		*p1, *p2, *p3;

	ck_assert_ptr_nonnull(o = json_object_new_object());
	arr = json_object_new_array();
	inner = json_object_new_object();
	s1 = json_object_new_string(KEY);
	s2 = json_object_new_string("krt_refresh_token_value");
	s3 = json_object_new_string("a-long-string-kept-outside-the-object-"
	    "itself-by-json-c-0123456789");
	json_object_object_add(o, "apiKey", s1);
	json_object_array_add(arr, s2);
	json_object_object_add(inner, "deep", s3);
	json_object_array_add(arr, inner);
	json_object_object_add(o, "list", arr);
	json_object_object_add(o, "n", json_object_new_int(7));
	/* Extra references keep the strings readable after the put. */
	json_object_get(s1);
	json_object_get(s2);
	json_object_get(s3);
	wipe_json_put(o);
	p1 = json_object_get_string(s1);
	p2 = json_object_get_string(s2);
	p3 = json_object_get_string(s3);
	ck_assert(zeroed(p1, strlen(KEY)));
	ck_assert(zeroed(p2, strlen("krt_refresh_token_value")));
	ck_assert(zeroed(p3, 20));
	json_object_put(s1);
	json_object_put(s2);
	json_object_put(s3);
	wipe_json_put(NULL);
}
END_TEST

START_TEST(test_json_text_wiped)
{
	struct json_object	*o = json_object_new_object();
	const char		*s;
	size_t			 len;

	json_object_object_add(o, "apiKey", json_object_new_string(KEY));
	s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN,
	    &len);
	ck_assert_ptr_nonnull(strstr(s, KEY));
	wipe_json_text(o, JSON_C_TO_STRING_PLAIN);
	ck_assert(zeroed(s, len));
	wipe_json_put(o);
}
END_TEST

START_TEST(test_tokener_buffer_wiped)
{
	struct json_tokener	*tok = json_tokener_new();
	struct json_object	*o;
	struct printbuf		*pb;

	o = json_tokener_parse_ex(tok, "{\"apiKey\":\"" KEY "\"}",
	    (int)strlen("{\"apiKey\":\"" KEY "\"}"));
	ck_assert_ptr_nonnull(o);
	pb = tok->pb;
	ck_assert_ptr_nonnull(memmem(pb->buf, (size_t)pb->size, KEY,
	    strlen(KEY)));
	json_object_put(o);
	ck_assert_int_gt(pb->size, 0);
	wipe_json_tokener(tok);
	ck_assert(zeroed(pb->buf, (size_t)pb->size));
	json_tokener_free(tok);
	wipe_json_tokener(NULL);
}
END_TEST

START_TEST(test_no_dump)
{
	ck_assert_int_eq(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
	ck_assert_int_eq(privs_no_dump(), 0);
	ck_assert_int_eq(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("wipe");
	TCase	*tc = tcase_create("wipe");
	SRunner	*sr;
	int	 failures;

	tcase_add_test(tc, test_json_put_wipes_every_string);
	tcase_add_test(tc, test_json_text_wiped);
	tcase_add_test(tc, test_tokener_buffer_wiped);
	tcase_add_test(tc, test_no_dump);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures ? 1 : 0;
}
