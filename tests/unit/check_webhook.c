/*
 * Unit tests for the pure parts of webhooks: Klaviyo's signature (a
 * vector computed apart, with Python's hmac), timestamps, the topics we
 * subscribe to, the creation body, and how a delivered item is read.
 */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "webhook.h"
#include "webhook_inbox.h"
#include "webhook_klaviyo.h"
#include "webhook_sig.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char SECRET[] = "0123456789abcdef-secret";
static const char BODY[] = "{\"data\":[]}";
static const char TS[] = "1733390000";
/* hmac.new(SECRET, BODY + TS, sha256).hexdigest() */
static const char SIG[] =
    "cb36d98b0a0b8d84ccbf67dbf322ad120327886295b5bbebe0b30f43c2728752";

START_TEST(test_sign_vector)
{
	char out[WEBHOOK_SIG_HEX + 1];

	ck_assert_int_eq(webhook_sign(SECRET, strlen(SECRET), BODY,
	    strlen(BODY), TS, out), KC_OK);
	ck_assert_str_eq(out, SIG);
}
END_TEST

START_TEST(test_check_good)
{
	char upper[sizeof(SIG)];
	size_t i;

	ck_assert_int_eq(webhook_sig_check(SECRET, strlen(SECRET), BODY,
	    strlen(BODY), TS, SIG), KC_OK);
	/* Hex in either case is the same signature. */
	for (i = 0; i < sizeof(SIG); i++)
		upper[i] = (char)(SIG[i] >= 'a' && SIG[i] <= 'f' ?
		    SIG[i] - 32 : SIG[i]);
	ck_assert_int_eq(webhook_sig_check(SECRET, strlen(SECRET), BODY,
	    strlen(BODY), TS, upper), KC_OK);
}
END_TEST

/* Each changes one thing: none may pass. */
START_TEST(test_check_bad)
{
	char sig[sizeof(SIG)];

	ck_assert_int_eq(webhook_sig_check("other-secret-0000", 17, BODY,
	    strlen(BODY), TS, SIG), KC_ERR_UNAUTHORIZED);
	ck_assert_int_eq(webhook_sig_check(SECRET, strlen(SECRET),
	    "{\"data\":[1]}", 12, TS, SIG), KC_ERR_UNAUTHORIZED);
	ck_assert_int_eq(webhook_sig_check(SECRET, strlen(SECRET), BODY,
	    strlen(BODY), "1733390001", SIG), KC_ERR_UNAUTHORIZED);
	/* The body alone, without the timestamp, is not what is signed. */
	ck_assert_int_eq(webhook_sig_check(SECRET, strlen(SECRET), BODY,
	    strlen(BODY), "", SIG), KC_ERR_UNAUTHORIZED);
	memcpy(sig, SIG, sizeof(SIG));
	sig[63] = sig[63] == '2' ? '3' : '2';
	ck_assert_int_eq(webhook_sig_check(SECRET, strlen(SECRET), BODY,
	    strlen(BODY), TS, sig), KC_ERR_UNAUTHORIZED);
	sig[63] = 'g';
	ck_assert_int_eq(webhook_sig_check(SECRET, strlen(SECRET), BODY,
	    strlen(BODY), TS, sig), KC_ERR_UNAUTHORIZED);
	ck_assert_int_eq(webhook_sig_check(SECRET, strlen(SECRET), BODY,
	    strlen(BODY), TS, "cb36d98b"), KC_ERR_UNAUTHORIZED);
	ck_assert_int_eq(webhook_sig_check(SECRET, strlen(SECRET), BODY,
	    strlen(BODY), TS, ""), KC_ERR_UNAUTHORIZED);
	ck_assert_int_eq(webhook_sig_check(SECRET, strlen(SECRET), BODY,
	    strlen(BODY), TS, NULL), KC_ERR_UNAUTHORIZED);
	ck_assert_int_eq(webhook_sig_check(SECRET, strlen(SECRET), BODY,
	    strlen(BODY), NULL, SIG), KC_ERR_UNAUTHORIZED);
}
END_TEST

static const struct {
	const char	*in;
	long long	 want;	/* -1: refused */
} stamps[] = {
	{ "1733390000", 1733390000 },
	{ "1733390000.25", 1733390000 },
	{ "1733390000123", 1733390000 },	/* milliseconds */
	{ "2024-12-05T09:13:20Z", 1733390000 },
	{ "2024-12-05T09:13:20.541Z", 1733390000 },
	{ "2024-12-05T09:13:20+00:00", 1733390000 },
	{ "2024-12-05T11:13:20+02:00", 1733390000 },
	{ "2024-12-05T04:13:20-0500", 1733390000 },
	{ "2024-12-05 09:13:20.123456+00:00", 1733390000 },
	{ "", -1 },
	{ "abc", -1 },
	{ "17333900x0", -1 },
	{ "-1733390000", -1 },
	{ "2024-12-05T09:13:20", -1 },		/* no zone */
	{ "2024-13-05T09:13:20Z", -1 },
	{ "2024-12-05T25:13:20Z", -1 },
	{ "2024-12-05T09:13:20Zjunk", -1 },
	{ "99999999999999999999999", -1 },
};

START_TEST(test_ts_parse)
{
	time_t t = 0;
	int rc = webhook_ts_parse(stamps[_i].in, &t);

	if (stamps[_i].want < 0)
		ck_assert_msg(rc == KC_ERR_BAD_INPUT, "'%s' was taken",
		    stamps[_i].in);
	else {
		ck_assert_msg(rc == KC_OK, "'%s' was refused", stamps[_i].in);
		ck_assert_int_eq((long long)t, stamps[_i].want);
	}
}
END_TEST

START_TEST(test_ts_fresh)
{
	ck_assert(webhook_ts_fresh(1000, 1000, 300));
	ck_assert(webhook_ts_fresh(700, 1000, 300));
	ck_assert(webhook_ts_fresh(1300, 1000, 300));
	ck_assert(!webhook_ts_fresh(699, 1000, 300));
	ck_assert(!webhook_ts_fresh(1301, 1000, 300));
	ck_assert(!webhook_ts_fresh(0, 1733390000, 300));
}
END_TEST

START_TEST(test_public_id)
{
	ck_assert(webhook_public_id_valid(
	    "kwh_0123456789abcdef0123456789abcdef"));
	ck_assert(!webhook_public_id_valid(
	    "kwh_0123456789ABCDEF0123456789abcdef"));
	ck_assert(!webhook_public_id_valid(
	    "kcn_0123456789abcdef0123456789abcdef"));
	ck_assert(!webhook_public_id_valid("kwh_0123"));
	ck_assert(!webhook_public_id_valid(
	    "kwh_0123456789abcdef0123456789abcdef0"));
	ck_assert(!webhook_public_id_valid("kwh_' OR 1=1 --"));
	ck_assert(!webhook_public_id_valid(NULL));
}
END_TEST

START_TEST(test_metric_topic)
{
	char t[64];

	ck_assert_int_eq(webhook_metric_topic("Shopify", "Placed Order", t,
	    sizeof(t)), KC_OK);
	ck_assert_str_eq(t, "event:shopify.placed_order");
	ck_assert_int_eq(webhook_metric_topic("Klaviyo", "Opened Email", t,
	    sizeof(t)), KC_OK);
	ck_assert_str_eq(t, "event:klaviyo.opened_email");
	ck_assert_int_eq(webhook_metric_topic("API", "  Order -- Paid!", t,
	    sizeof(t)), KC_OK);
	ck_assert_str_eq(t, "event:api.order_paid");
	ck_assert_int_eq(webhook_metric_topic("Shopify", "!!", t, sizeof(t)),
	    KC_ERR_BAD_INPUT);
	ck_assert_int_eq(webhook_metric_topic(NULL, "x", t, sizeof(t)),
	    KC_ERR_BAD_INPUT);
	ck_assert_int_eq(webhook_metric_topic("Shopify", "Placed Order", t,
	    12), KC_ERR_TOO_LARGE);
}
END_TEST

static struct json_object *
topics_of(const char *const *ids, size_t n)
{
	struct json_object	*a = json_object_new_array();
	size_t			 i;
	char			 buf[160];

	for (i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "{\"type\":\"webhook-topic\","
		    "\"id\":\"%s\"}", ids[i]);
		json_object_array_add(a, json_tokener_parse(buf));
	}
	return a;
}

START_TEST(test_topics_choose)
{
	static const char *const offered[] = { "event:shopify.placed_order",
	    "event:klaviyo.opened_email", "event:klaviyo.clicked_email",
	    "event:klaviyo.subscribed_to_list", "event:klaviyo.received_sms" };
	struct json_object *data = topics_of(offered, NELEM(offered)), *out;
	int has;

	ck_assert_int_eq(webhook_topics_choose(data,
	    "event:shopify.placed_order", &out, &has), KC_OK);
	ck_assert_int_eq(has, 1);
	ck_assert_str_eq(json_object_to_json_string_ext(out,
	    JSON_C_TO_STRING_PLAIN), "[\"event:shopify.placed_order\","
	    "\"event:klaviyo.opened_email\",\"event:klaviyo.clicked_email\","
	    "\"event:klaviyo.received_sms\"]");
	json_object_put(out);
	/* Not offered: not asked for. */
	ck_assert_int_eq(webhook_topics_choose(data, "event:api.order", &out,
	    &has), KC_OK);
	ck_assert_int_eq(has, 0);
	ck_assert_int_eq(json_object_array_length(out), 3);
	json_object_put(out);
	ck_assert_int_eq(webhook_topics_choose(NULL, NULL, &out, &has), KC_OK);
	ck_assert_int_eq(json_object_array_length(out), 0);
	json_object_put(out);
	json_object_put(data);
}
END_TEST

START_TEST(test_create_body)
{
	struct json_object	*topics = json_tokener_parse(
				    "[\"event:shopify.placed_order\"]"), *o, *v;
	char			*body = NULL;

	ck_assert_int_eq(webhook_create_body("klaviyo-connect kwh_1",
	    "https://app.example/api/klaviyo/webhooks/kwh_1", "s3cret-s3cret-12",
	    topics, &body), KC_OK);
	ck_assert_ptr_nonnull(o = json_tokener_parse(body));
	ck_assert(json_pointer_get(o, "/data/type", &v) == 0);
	ck_assert_str_eq(json_object_get_string(v), "webhook");
	ck_assert(json_pointer_get(o, "/data/attributes/secret_key", &v) == 0);
	ck_assert_str_eq(json_object_get_string(v), "s3cret-s3cret-12");
	ck_assert(json_pointer_get(o, "/data/attributes/endpoint_url", &v) ==
	    0);
	ck_assert_str_eq(json_object_get_string(v),
	    "https://app.example/api/klaviyo/webhooks/kwh_1");
	ck_assert(json_pointer_get(o,
	    "/data/relationships/webhook-topics/data/0/id", &v) == 0);
	ck_assert_str_eq(json_object_get_string(v),
	    "event:shopify.placed_order");
	ck_assert(json_pointer_get(o,
	    "/data/relationships/webhook-topics/data/0/type", &v) == 0);
	ck_assert_str_eq(json_object_get_string(v), "webhook-topic");
	json_object_put(o);
	free(body);
	json_object_put(topics);
}
END_TEST

START_TEST(test_item_event)
{
	struct json_object *wrapped = json_tokener_parse("{\"payload\":"
	    "{\"data\":{\"type\":\"event\",\"id\":\"E1\"}}}");
	struct json_object *bare = json_tokener_parse("{\"payload\":"
	    "{\"type\":\"event\",\"id\":\"E2\"}}");
	struct json_object *none = json_tokener_parse("{\"payload\":3}");

	ck_assert_str_eq(json_get_str(webhook_item_event(wrapped), "id"),
	    "E1");
	ck_assert_str_eq(json_get_str(webhook_item_event(bare), "id"), "E2");
	ck_assert_ptr_null(webhook_item_event(none));
	json_object_put(wrapped);
	json_object_put(bare);
	json_object_put(none);
}
END_TEST

START_TEST(test_topic_type)
{
	struct json_object *flow = json_tokener_parse("{\"attributes\":"
	    "{\"event_properties\":{\"$flow\":\"F1\"}}}");
	struct json_object *camp = json_tokener_parse("{\"attributes\":"
	    "{\"event_properties\":{\"$message\":\"M1\",\"$flow\":\"\"}}}");

	ck_assert_str_eq(webhook_topic_type("event:klaviyo.opened_email",
	    flow), "flows");
	ck_assert_str_eq(webhook_topic_type("event:klaviyo.opened_email",
	    camp), "campaigns");
	ck_assert_str_eq(webhook_topic_type("event:klaviyo.clicked_sms",
	    NULL), "campaigns");
	ck_assert_ptr_null(webhook_topic_type("event:shopify.placed_order",
	    camp));
	ck_assert_ptr_null(webhook_topic_type(NULL, camp));
	json_object_put(flow);
	json_object_put(camp);
}
END_TEST

static Suite *
webhook_suite(void)
{
	Suite	*s = suite_create("webhook");
	TCase	*tc = tcase_create("pure");

	tcase_add_test(tc, test_sign_vector);
	tcase_add_test(tc, test_check_good);
	tcase_add_test(tc, test_check_bad);
	tcase_add_loop_test(tc, test_ts_parse, 0, NELEM(stamps));
	tcase_add_test(tc, test_ts_fresh);
	tcase_add_test(tc, test_public_id);
	tcase_add_test(tc, test_metric_topic);
	tcase_add_test(tc, test_topics_choose);
	tcase_add_test(tc, test_create_body);
	tcase_add_test(tc, test_item_event);
	tcase_add_test(tc, test_topic_type);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(webhook_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
