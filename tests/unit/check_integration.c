/*
 * Unit tests for a store's Klaviyo integration (integration.h): the
 * stored JSONB text parsed into the typed struct and written back, the
 * public view that only these fields can reach (keys and tokens kept
 * beside them never do), and the status document built around it.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "json_util.h"
#include "integration.h"

#define NELEM(a) nitems(a)

static struct json_object *
parse(const char *s)
{
	struct json_object *o = json_tokener_parse(s);

	ck_assert_msg(o != NULL, "test JSON does not parse: %s", s);
	return o;
}

/* got must equal the JSON text want (member order aside). */
static void
assert_json_eq(struct json_object *got, const char *want)
{
	struct json_object *w = parse(want);

	ck_assert_msg(json_object_equal(got, w), "got %s\nwant %s",
	    json_object_to_json_string(got), json_object_to_json_string(w));
	json_object_put(w);
}

/* ---- not configured ---- */

static const struct {
	const char	*integration;
	const char	*sync_status;
	int		 can_manage;
	const char	*want;
} nc_cases[] = {
	{ "{\"status\":\"not_configured\"}", "idle", 1,
	  "{\"success\":true,\"klaviyo_integration\":{\"status\":"
	  "\"not_configured\"},\"sync\":{},\"can_manage\":true}" },
	{ "{\"status\":\"not_configured\"}", "idle", 0,
	  "{\"success\":true,\"klaviyo_integration\":{\"status\":"
	  "\"not_configured\"},\"sync\":{},\"can_manage\":false}" },
	{ "{\"status\":\"not_configured\"}", NULL, 1,
	  "{\"success\":true,\"klaviyo_integration\":{\"status\":"
	  "\"not_configured\"},\"sync\":{},\"can_manage\":true}" },
	/* No status at all is not configured either. */
	{ "{}", "idle", 1,
	  "{\"success\":true,\"klaviyo_integration\":{\"status\":"
	  "\"not_configured\"},\"sync\":{},\"can_manage\":true}" },
	{ " {\"apiKey\":\"pk_0123456789abcdefABCD\"} ", "running", 0,
	  "{\"success\":true,\"klaviyo_integration\":{\"status\":"
	  "\"not_configured\"},\"sync\":{},\"can_manage\":false}" },
	/* A sync_status stored in the JSONB is not the caller's. */
	{ "{\"status\":\"not_configured\",\"sync_status\":\"running\"}",
	  "idle", 1,
	  "{\"success\":true,\"klaviyo_integration\":{\"status\":"
	  "\"not_configured\"},\"sync\":{},\"can_manage\":true}" },
};

START_TEST(test_not_configured)
{
	struct json_object	*out = NULL, *integ;

	ck_assert_int_eq(integ_status_json(nc_cases[_i].integration, NULL,
	    nc_cases[_i].sync_status, nc_cases[_i].can_manage, &out), KC_OK);
	ck_assert_ptr_nonnull(out);
	assert_json_eq(out, nc_cases[_i].want);
	ck_assert(json_object_object_get_ex(out, "klaviyo_integration",
	    &integ));
	ck_assert(!json_object_object_get_ex(integ, "sync_status", NULL));
	json_object_put(out);
}
END_TEST

/* ---- connected, with secrets stored beside the public fields ---- */

#define PUBLIC_FIELDS \
	"\"status\":\"connected\"," \
	"\"auth_method\":\"api_key\"," \
	"\"public_id\":\"01HXYZACCOUNT\"," \
	"\"account\":{\"id\":\"01HXYZACCOUNT\",\"name\":\"Demo Shop\"}," \
	"\"api_key_hint\":\"pk_3f9a\\u2026\"," \
	"\"conversion_type\":\"value\"," \
	"\"conversion_metric\":{\"id\":\"M1\",\"name\":\"Placed Order\"," \
	"\"integration\":\"Shopify\",\"isShopifyPlacedOrder\":true}," \
	"\"conversion_metric_id\":\"M1\"," \
	"\"connected_at\":\"2024-05-01T10:00:00Z\"," \
	"\"last_sync\":\"2024-05-02T03:00:00Z\"," \
	"\"is_updating_dashboard\":false," \
	"\"last_error\":null," \
	"\"campaign_values_last_update\":\"2024-05-02T03:00:01Z\"," \
	"\"segment_series_last_update\":\"2024-05-02T03:00:02Z\"," \
	"\"flow_series_last_update\":\"2024-05-02T03:00:03Z\"," \
	"\"form_series_last_update\":\"2024-05-02T03:00:04Z\""

#define SECRET_KEY "pk_SECRETsecretSECRET0123456789"
#define SECRET_FIELDS \
	"\"apiKey\":\"" SECRET_KEY "\"," \
	"\"api_key\":\"" SECRET_KEY "\"," \
	"\"access_token\":\"at_SECRETtoken\"," \
	"\"refresh_token\":\"rt_SECRETtoken\"," \
	"\"client_secret\":\"cs_SECRET\"," \
	"\"sync_status\":\"stored_SECRET\"," \
	"\"oauth\":{\"access_token\":\"at_SECRET2\"}"

static const char *const connected_inputs[] = {
	"{" PUBLIC_FIELDS "," SECRET_FIELDS "}",
	"{" SECRET_FIELDS "," PUBLIC_FIELDS "}",
	"{\"apiKey\":\"" SECRET_KEY "\"," PUBLIC_FIELDS
	    ",\"refresh_token\":\"rt_SECRETtoken\"}",
};

START_TEST(test_connected)
{
	struct json_object	*out = NULL, *sync, *integ;
	const char		*text;

	sync = parse("{\"state\":\"running\",\"done\":3,\"total\":7}");
	ck_assert_int_eq(integ_status_json(connected_inputs[_i], sync,
	    "running", 1, &out), KC_OK);
	ck_assert_ptr_nonnull(out);
	assert_json_eq(out, "{\"success\":true,\"klaviyo_integration\":{"
	    PUBLIC_FIELDS ",\"sync_status\":\"running\"},"
	    "\"sync\":{\"state\":\"running\",\"done\":3,\"total\":7},"
	    "\"can_manage\":true}");
	text = json_object_to_json_string(out);
	ck_assert_msg(strstr(text, "SECRET") == NULL, "leaks: %s", text);
	ck_assert(json_object_object_get_ex(out, "klaviyo_integration",
	    &integ));
	ck_assert(!json_object_object_get_ex(integ, "apiKey", NULL));
	ck_assert(!json_object_object_get_ex(integ, "access_token", NULL));
	ck_assert(!json_object_object_get_ex(integ, "refresh_token", NULL));
	ck_assert_str_eq(json_get_str(integ, "sync_status"), "running");
	json_object_put(out);
}
END_TEST

/* Without a sync_status from the caller none is added. */
START_TEST(test_connected_no_sync_status)
{
	struct json_object	*out = NULL;

	ck_assert_int_eq(integ_status_json(connected_inputs[0], NULL, NULL, 0,
	    &out), KC_OK);
	assert_json_eq(out, "{\"success\":true,\"klaviyo_integration\":{"
	    PUBLIC_FIELDS "},\"sync\":{},\"can_manage\":false}");
	json_object_put(out);
}
END_TEST

/* Every status but not_configured gets the sync status. */
static const char *const other_status[] = {
	"connected", "error", "disconnected",
};

START_TEST(test_status_gets_sync)
{
	struct json_object	*out = NULL, *integ;
	char			 in[128];

	snprintf(in, sizeof(in), "{\"status\":\"%s\"}", other_status[_i]);
	ck_assert_int_eq(integ_status_json(in, NULL, "idle", 1, &out), KC_OK);
	ck_assert(json_object_object_get_ex(out, "klaviyo_integration",
	    &integ));
	ck_assert_str_eq(json_get_str(integ, "status"), other_status[_i]);
	ck_assert_msg(json_get_str(integ, "sync_status") != NULL &&
	    strcmp(json_get_str(integ, "sync_status"), "idle") == 0, "%s",
	    json_object_to_json_string(out));
	json_object_put(out);
}
END_TEST

START_TEST(test_integration_public)
{
	struct json_object *out = NULL;

	ck_assert_int_eq(integ_public_json(connected_inputs[1], &out),
	    KC_OK);
	assert_json_eq(out, "{" PUBLIC_FIELDS "}");
	json_object_put(out);
	ck_assert_int_eq(integ_public_json("{\"refresh_token\":\"x\"}",
	    &out), KC_OK);
	assert_json_eq(out, "{\"status\":\"not_configured\"}");
	json_object_put(out);
}
END_TEST

/* ---- stored text that is not a JSON object ---- */

static const char *const bad_inputs[] = {
	"",
	"{",
	"not json",
	"{\"status\":\"connected\"",
	"{\"status\":\"connected\"}x",
	"{\"a\":1}{\"b\":2}",
	"[]",
	"null",
	"\"connected\"",
	"42",
	"{\"status\":\"\xff\"}",
	/* Not one of the seed's statuses. */
	"{\"status\":\"pending\"}",
	"{\"status\":\"Connected\"}",
	"{\"status\":1}",
};

START_TEST(test_bad_input)
{
	static int		 sentinel;
	struct json_object	*out = (struct json_object *)&sentinel;
	struct json_object	*sync = parse("{\"state\":\"idle\"}");
	int			 rc;

	/* sync is taken over even on failure (ASan sees a leak if not). */
	rc = integ_status_json(bad_inputs[_i], sync, "idle", 1, &out);
	ck_assert_msg(rc != KC_OK, "'%s' accepted", bad_inputs[_i]);
	ck_assert_ptr_null(out);

	out = (struct json_object *)&sentinel;
	rc = integ_public_json(bad_inputs[_i], &out);
	ck_assert_msg(rc != KC_OK, "'%s' accepted", bad_inputs[_i]);
	ck_assert_ptr_null(out);
}
END_TEST

/* ---- the typed form ---- */

START_TEST(test_parse_typed)
{
	struct integration in;

	ck_assert_int_eq(integ_parse(connected_inputs[0], &in), KC_OK);
	ck_assert_int_eq(in.status, INTEG_CONNECTED);
	ck_assert_int_eq(in.auth, INTEG_AUTH_API_KEY);
	ck_assert_str_eq(in.account_id, "01HXYZACCOUNT");
	ck_assert_str_eq(in.account.name, "Demo Shop");
	ck_assert_ptr_null(in.account.timezone);
	ck_assert_str_eq(in.metric.id, "M1");
	ck_assert_int_eq(in.metric.shopify_placed_order, 1);
	ck_assert_str_eq(in.last_update[SYNC_CAMPAIGNS],
	    "2024-05-02T03:00:01Z");
	ck_assert_ptr_null(in.last_update[SYNC_ORDERS]);
	ck_assert_ptr_null(in.last_error);
	integ_clear(&in);

	ck_assert_int_eq(integ_parse("{}", &in), KC_OK);
	ck_assert_int_eq(in.status, INTEG_NOT_CONFIGURED);
	ck_assert(!integ_configured(&in));
	integ_clear(&in);
	ck_assert_int_eq(integ_parse("{\"status\":\"connected\",\"auth_method\""
	    ":\"oauth\",\"public_id\":\"A\",\"account\":{\"id\":\"A\","
	    "\"timezone\":\"Europe/Paris\"}}", &in), KC_OK);
	ck_assert_int_eq(in.auth, INTEG_AUTH_OAUTH);
	ck_assert_str_eq(in.account.timezone, "Europe/Paris");
	ck_assert_ptr_null(in.metric.id);
	integ_clear(&in);
}
END_TEST

/* Writing the typed form back gives the same document. */
START_TEST(test_roundtrip)
{
	struct integration	 in;
	struct json_object	*out = NULL;

	ck_assert_int_eq(integ_parse("{" PUBLIC_FIELDS "}", &in), KC_OK);
	ck_assert_int_eq(integ_to_json(&in, &out), KC_OK);
	assert_json_eq(out, "{" PUBLIC_FIELDS "}");
	json_object_put(out);
	integ_clear(&in);
}
END_TEST

/* The seed's {code, message, at} error survives; other shapes do not. */
START_TEST(test_last_error_shapes)
{
	struct json_object *out = NULL;

	ck_assert_int_eq(integ_public_json("{\"status\":\"error\","
	    "\"last_error\":{\"code\":\"klaviyo_key_rejected\",\"message\":"
	    "\"Failed\"}}", &out), KC_OK);
	assert_json_eq(out, "{\"status\":\"error\",\"is_updating_dashboard\":"
	    "false,\"last_error\":{\"code\":\"klaviyo_key_rejected\","
	    "\"message\":\"Failed\"}}");
	json_object_put(out);
	ck_assert_int_eq(integ_public_json("{\"status\":\"error\","
	    "\"last_error\":[1,2]}", &out), KC_OK);
	assert_json_eq(out, "{\"status\":\"error\",\"is_updating_dashboard\":"
	    "false,\"last_error\":null}");
	json_object_put(out);
}
END_TEST

static Suite *
store_suite(void)
{
	Suite	*s = suite_create("integration");
	TCase	*tc = tcase_create("status");

	tcase_add_loop_test(tc, test_not_configured, 0, NELEM(nc_cases));
	tcase_add_loop_test(tc, test_connected, 0, NELEM(connected_inputs));
	tcase_add_test(tc, test_connected_no_sync_status);
	tcase_add_loop_test(tc, test_status_gets_sync, 0,
	    NELEM(other_status));
	tcase_add_test(tc, test_integration_public);
	tcase_add_loop_test(tc, test_bad_input, 0, NELEM(bad_inputs));
	tcase_add_test(tc, test_parse_typed);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_last_error_shapes);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(store_suite());
	int	 failures;

	srunner_run_all(sr, CK_NORMAL);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures ? 1 : 0;
}
