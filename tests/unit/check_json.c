/*
 * Unit tests for the JSON helpers (json_util.h): strict parsing of a
 * request body into one object (valid UTF-8, bounded depth, nothing after
 * the value) and validation against a field table.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "json_util.h"

#define L(s) (s), (sizeof(s) - 1)	/* literal with its exact length */

/* err is the substring the message must contain when rc is not KC_OK. */
static const struct {
	const char	*body;
	size_t		 len;
	int		 rc;
	const char	*err;
} parse_cases[] = {
	{ L("{}"), KC_OK, NULL },
	{ L("{\"a\":1,\"b\":[true,null,\"x\"],\"c\":{\"d\":-2.5}}"), KC_OK,
	  NULL },
	{ L("  {\"a\":1}  \r\n\t"), KC_OK, NULL },
	{ L("{\"a\":\"\xc3\xa9\xe2\x82\xac\"}"), KC_OK, NULL },
	{ L("{\"a\":\"\\u00e9\"}"), KC_OK, NULL },

	/* Not an object at the top. */
	{ L("[]"), KC_ERR_BAD_INPUT, "must be a JSON object" },
	{ L("[{\"a\":1}]"), KC_ERR_BAD_INPUT, "must be a JSON object" },
	{ L("\"str\""), KC_ERR_BAD_INPUT, "must be a JSON object" },
	{ L("true"), KC_ERR_BAD_INPUT, "" },
	{ L("null"), KC_ERR_BAD_INPUT, "" },
	{ L("1"), KC_ERR_BAD_INPUT, "" },

	/* Malformed. */
	{ L("{"), KC_ERR_BAD_INPUT, "ends too early" },
	{ L("{\"a\":"), KC_ERR_BAD_INPUT, "ends too early" },
	{ L("{\"a\":}"), KC_ERR_BAD_INPUT, "not valid JSON" },
	{ L("{\"a\":1,}"), KC_ERR_BAD_INPUT, "not valid JSON" },
	{ L("{\"a\" 1}"), KC_ERR_BAD_INPUT, "not valid JSON" },
	{ L("{\"a\":tru}"), KC_ERR_BAD_INPUT, "not valid JSON" },
	{ L("{\"a\":01}"), KC_ERR_BAD_INPUT, "not valid JSON" },
	{ L("{\"a\":1 /* c */}"), KC_ERR_BAD_INPUT, "not valid JSON" },
	{ L("}"), KC_ERR_BAD_INPUT, "not valid JSON" },

	/* Trailing data. */
	{ L("{\"a\":1}x"), KC_ERR_BAD_INPUT, "" },
	{ L("{\"a\":1}{}"), KC_ERR_BAD_INPUT, "" },
	{ L("{} ,"), KC_ERR_BAD_INPUT, "" },
	{ L("{}\f"), KC_ERR_BAD_INPUT, "" },

	/* Empty or blank. */
	{ "", 0, KC_ERR_BAD_INPUT, "empty" },
	{ "{}", 0, KC_ERR_BAD_INPUT, "empty" },
	{ L("   "), KC_ERR_BAD_INPUT, "" },

	/* Bytes that are not UTF-8. */
	{ L("{\"a\":\"\xff\"}"), KC_ERR_BAD_INPUT, "UTF-8" },
	{ L("{\"a\":\"\xc3\x28\"}"), KC_ERR_BAD_INPUT, "UTF-8" },
	{ L("{\"a\":\"\xe2\x82\"}"), KC_ERR_BAD_INPUT, "UTF-8" },
	{ L("{\"\xfe\":1}"), KC_ERR_BAD_INPUT, "UTF-8" },
	{ L("\xef\xbb\xbf{}"), KC_ERR_BAD_INPUT, "" },
};

START_TEST(test_parse_table)
{
	/* Not NULL, so the test sees whether a failure clears it. */
	struct json_object	*obj = (struct json_object *)&obj;
	char			 err[256] = "";
	int			 rc;

	rc = json_parse_object(parse_cases[_i].body, parse_cases[_i].len,
	    &obj, err, sizeof(err));
	ck_assert_msg(rc == parse_cases[_i].rc, "case %d: rc %d, want %d (%s)",
	    _i, rc, parse_cases[_i].rc, err);
	if (rc == KC_OK) {
		ck_assert_ptr_nonnull(obj);
		ck_assert(json_object_is_type(obj, json_type_object));
		json_object_put(obj);
		return;
	}
	ck_assert_ptr_null(obj);
	ck_assert_msg(err[0] != '\0', "case %d: no message", _i);
	ck_assert_msg(strstr(err, parse_cases[_i].err) != NULL,
	    "case %d: '%s' lacks '%s'", _i, err, parse_cases[_i].err);
}
END_TEST

/*
 * A NUL byte is not white space: "{}\0" must not pass as "{}" (the body
 * length comes from CONTENT_LENGTH, so it can hold any byte).
 */
START_TEST(test_parse_trailing_nul)
{
	static const char	*bodies[] = { "{}\0", "{} \0",
	    "{\"a\":1}\0\0" };
	static const size_t	 lens[] = { 3, 4, 9 };
	struct json_object	*obj;
	char			 err[256];
	size_t			 i;
	int			 rc, got;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		err[0] = '\0';
		rc = json_parse_object(bodies[i], lens[i], &obj, err,
		    sizeof(err));
		got = obj != NULL;
		json_object_put(obj);	/* freed before a failure can leak it */
		ck_assert_msg(rc == KC_ERR_BAD_INPUT && !got,
		    "body %zu with a trailing NUL was accepted", i);
		ck_assert_str_ne(err, "");
	}
}
END_TEST

/* {"a": followed by depth - 1 arrays: depth containers in all. */
static void
nested(char *out, size_t outlen, int depth)
{
	size_t	n = 0;
	int	i;

	n += (size_t)snprintf(out, outlen, "{\"a\":");
	for (i = 0; i < depth - 1 && n + 1 < outlen; i++)
		out[n++] = '[';
	for (i = 0; i < depth - 1 && n + 1 < outlen; i++)
		out[n++] = ']';
	out[n++] = '}';
	out[n] = '\0';
}

START_TEST(test_parse_depth)
{
	struct json_object	*obj;
	char			 body[256], err[256];

	nested(body, sizeof(body), 32);
	ck_assert_int_eq(json_parse_object(body, strlen(body), &obj, err,
	    sizeof(err)), KC_OK);
	json_object_put(obj);

	nested(body, sizeof(body), 33);
	ck_assert_int_eq(json_parse_object(body, strlen(body), &obj, err,
	    sizeof(err)), KC_ERR_BAD_INPUT);
	ck_assert_ptr_null(obj);
	ck_assert_ptr_nonnull(strstr(err, "not valid JSON"));

	nested(body, sizeof(body), 100);
	ck_assert_int_eq(json_parse_object(body, strlen(body), &obj, err,
	    sizeof(err)), KC_ERR_BAD_INPUT);
	ck_assert_ptr_null(obj);
}
END_TEST

/* The length is the body's: bytes after it are never read. */
START_TEST(test_parse_uses_length)
{
	struct json_object	*obj;
	char			 err[256];
	const char		*s = "{\"a\":1}garbage";

	ck_assert_int_eq(json_parse_object(s, 7, &obj, err, sizeof(err)),
	    KC_OK);
	ck_assert_int_eq(json_object_object_length(obj), 1);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(obj, "a")),
	    1);
	json_object_put(obj);
	ck_assert_int_eq(json_parse_object(s, 6, &obj, err, sizeof(err)),
	    KC_ERR_BAD_INPUT);
	ck_assert_ptr_null(obj);
}
END_TEST

static const struct jfield fields[] = {
	{ "email", JF_STRING, 1, 16 },
	{ "remember", JF_BOOL, 0, 0 },
	{ "count", JF_INT, 0, 0 },
	{ "types", JF_STRING_ARRAY, 0, 3 },
	{ "note", JF_STRING, 0, 0 },
};

static const struct {
	const char	*body;
	int		 rc;
	const char	*err;
} field_cases[] = {
	{ "{\"email\":\"a@b.c\"}", KC_OK, NULL },
	{ "{\"email\":\"a@b.c\",\"remember\":true,\"count\":5,"
	  "\"types\":[\"a\",\"b\"],\"note\":\"x\"}", KC_OK, NULL },
	{ "{\"email\":\"a\",\"remember\":false,\"count\":-7}", KC_OK, NULL },
	{ "{\"email\":\"a\",\"remember\":null,\"types\":[]}", KC_OK, NULL },
	{ "{\"email\":\"a\",\"unknown\":{\"x\":1}}", KC_OK, NULL },

	/* Required. */
	{ "{}", KC_ERR_BAD_INPUT, "Field 'email' is required" },
	{ "{\"email\":null}", KC_ERR_BAD_INPUT, "Field 'email' is required" },
	{ "{\"Email\":\"a\"}", KC_ERR_BAD_INPUT, "Field 'email' is required" },

	/* Wrong types. */
	{ "{\"email\":5}", KC_ERR_BAD_INPUT, "Field 'email' must be a string" },
	{ "{\"email\":true}", KC_ERR_BAD_INPUT, "'email' must be a string" },
	{ "{\"email\":[\"a\"]}", KC_ERR_BAD_INPUT, "'email' must be a string" },
	{ "{\"email\":\"a\",\"remember\":\"true\"}", KC_ERR_BAD_INPUT,
	  "Field 'remember' must be true or false" },
	{ "{\"email\":\"a\",\"remember\":1}", KC_ERR_BAD_INPUT,
	  "'remember' must be true or false" },
	{ "{\"email\":\"a\",\"count\":\"5\"}", KC_ERR_BAD_INPUT,
	  "Field 'count' must be an integer" },
	{ "{\"email\":\"a\",\"count\":5.0}", KC_ERR_BAD_INPUT,
	  "'count' must be an integer" },
	{ "{\"email\":\"a\",\"count\":true}", KC_ERR_BAD_INPUT,
	  "'count' must be an integer" },
	{ "{\"email\":\"a\",\"count\":{}}", KC_ERR_BAD_INPUT,
	  "'count' must be an integer" },

	/* String caps, counted in bytes, and embedded NULs. */
	{ "{\"email\":\"0123456789abcdef\"}", KC_OK, NULL },
	{ "{\"email\":\"0123456789abcdefg\"}", KC_ERR_BAD_INPUT,
	  "'email' is longer than 16 bytes" },
	{ "{\"email\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	  "\xc3\xa9\xc3\xa9\"}", KC_OK, NULL },
	{ "{\"email\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	  "\xc3\xa9\xc3\xa9\xc3\xa9\"}", KC_ERR_BAD_INPUT, "longer than 16" },
	{ "{\"email\":\"a\\u0000b\"}", KC_ERR_BAD_INPUT, "NUL" },
	{ "{\"email\":\"\\u0000\"}", KC_ERR_BAD_INPUT, "NUL" },
	{ "{\"email\":\"a\",\"note\":\"x\\u0000\"}", KC_ERR_BAD_INPUT,
	  "'note'" },

	/* String arrays. */
	{ "{\"email\":\"a\",\"types\":\"a\"}", KC_ERR_BAD_INPUT,
	  "Field 'types' must be an array of strings" },
	{ "{\"email\":\"a\",\"types\":[\"a\",1]}", KC_ERR_BAD_INPUT,
	  "'types' must be an array of strings" },
	{ "{\"email\":\"a\",\"types\":[\"a\",null]}", KC_ERR_BAD_INPUT,
	  "'types' must be an array of strings" },
	{ "{\"email\":\"a\",\"types\":[[\"a\"]]}", KC_ERR_BAD_INPUT,
	  "'types' must be an array of strings" },
	{ "{\"email\":\"a\",\"types\":[\"a\\u0000\"]}", KC_ERR_BAD_INPUT,
	  "'types' must be an array of strings" },
	{ "{\"email\":\"a\",\"types\":[\"a\",\"b\",\"c\"]}", KC_OK, NULL },
	{ "{\"email\":\"a\",\"types\":[\"a\",\"b\",\"c\",\"d\"]}",
	  KC_ERR_BAD_INPUT, "'types' has more than 3 items" },
};

START_TEST(test_fields_table)
{
	struct json_object	*obj;
	char			 err[256] = "";
	int			 rc;

	ck_assert_int_eq(json_parse_object(field_cases[_i].body,
	    strlen(field_cases[_i].body), &obj, err, sizeof(err)), KC_OK);
	rc = json_check_fields(obj, fields, sizeof(fields) / sizeof(fields[0]),
	    err, sizeof(err));
	json_object_put(obj);
	ck_assert_msg(rc == field_cases[_i].rc, "%s: rc %d, want %d (%s)",
	    field_cases[_i].body, rc, field_cases[_i].rc, err);
	if (rc != KC_OK)
		ck_assert_msg(strstr(err, field_cases[_i].err) != NULL,
		    "'%s' lacks '%s'", err, field_cases[_i].err);
}
END_TEST

/* Array items are capped at 256 bytes each. */
START_TEST(test_fields_array_item_cap)
{
	struct json_object	*obj, *arr;
	char			 item[258], err[256];

	memset(item, 'x', sizeof(item) - 1);
	item[sizeof(item) - 1] = '\0';
	obj = json_object_new_object();
	ck_assert_int_eq(json_add_str(obj, "email", "a"), KC_OK);
	arr = json_object_new_array();
	ck_assert_int_eq(json_object_array_add(arr,
	    json_object_new_string_len(item, 256)), 0);
	ck_assert_int_eq(json_add_obj(obj, "types", arr), KC_OK);
	ck_assert_int_eq(json_check_fields(obj, fields, 4, err, sizeof(err)),
	    KC_OK);
	ck_assert_int_eq(json_object_array_add(arr,
	    json_object_new_string_len(item, 257)), 0);
	ck_assert_int_eq(json_check_fields(obj, fields, 4, err, sizeof(err)),
	    KC_ERR_BAD_INPUT);
	json_object_put(obj);
}
END_TEST

START_TEST(test_get_str_bool)
{
	struct json_object	*obj;
	char			 err[256];
	const char		*body = "{\"s\":\"x\",\"e\":\"\",\"b\":true,"
	    "\"f\":false,\"n\":1,\"bs\":\"true\",\"z\":null,\"o\":{}}";

	ck_assert_int_eq(json_parse_object(body, strlen(body), &obj, err,
	    sizeof(err)), KC_OK);
	ck_assert_pstr_eq(json_get_str(obj, "s"), "x");
	ck_assert_pstr_eq(json_get_str(obj, "e"), "");
	ck_assert_ptr_null(json_get_str(obj, "n"));
	ck_assert_ptr_null(json_get_str(obj, "b"));
	ck_assert_ptr_null(json_get_str(obj, "z"));
	ck_assert_ptr_null(json_get_str(obj, "o"));
	ck_assert_ptr_null(json_get_str(obj, "missing"));
	ck_assert_ptr_null(json_get_str(NULL, "s"));

	ck_assert_int_eq(json_get_bool(obj, "b"), 1);
	ck_assert_int_eq(json_get_bool(obj, "f"), 0);
	ck_assert_int_eq(json_get_bool(obj, "bs"), 0);
	ck_assert_int_eq(json_get_bool(obj, "n"), 0);
	ck_assert_int_eq(json_get_bool(obj, "z"), 0);
	ck_assert_int_eq(json_get_bool(obj, "missing"), 0);
	ck_assert_int_eq(json_get_bool(NULL, "b"), 0);
	json_object_put(obj);
}
END_TEST

START_TEST(test_add)
{
	struct json_object *obj = json_object_new_object();

	ck_assert_int_eq(json_add_str(obj, "s", "v\"1"), KC_OK);
	ck_assert_int_eq(json_add_str(obj, "null", NULL), KC_OK);
	ck_assert_int_eq(json_add_int(obj, "i", -9007199254740993LL), KC_OK);
	ck_assert_int_eq(json_add_bool(obj, "b", 7), KC_OK);
	ck_assert_int_eq(json_add_obj(obj, "o", json_object_new_object()),
	    KC_OK);
	ck_assert_str_eq(json_object_to_json_string_ext(obj,
	    JSON_C_TO_STRING_PLAIN), "{\"s\":\"v\\\"1\",\"null\":null,"
	    "\"i\":-9007199254740993,\"b\":true,\"o\":{}}");
	json_object_put(obj);
}
END_TEST

static Suite *
json_suite(void)
{
	Suite	*s = suite_create("json_util");
	TCase	*tp = tcase_create("parse");
	TCase	*tf = tcase_create("fields");

	tcase_add_loop_test(tp, test_parse_table, 0,
	    sizeof(parse_cases) / sizeof(parse_cases[0]));
	tcase_add_test(tp, test_parse_trailing_nul);
	tcase_add_test(tp, test_parse_depth);
	tcase_add_test(tp, test_parse_uses_length);
	suite_add_tcase(s, tp);

	tcase_add_loop_test(tf, test_fields_table, 0,
	    sizeof(field_cases) / sizeof(field_cases[0]));
	tcase_add_test(tf, test_fields_array_item_cap);
	tcase_add_test(tf, test_get_str_bool);
	tcase_add_test(tf, test_add);
	suite_add_tcase(s, tf);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(json_suite());
	int	 failures;

	srunner_run_all(sr, CK_NORMAL);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures ? 1 : 0;
}
