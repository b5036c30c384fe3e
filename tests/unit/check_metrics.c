/*
 * Unit tests for the metric list (metrics.h): Shopify's "Placed Order"
 * seed, merging /api/metrics and /api/custom-metrics data arrays by id,
 * the order (seed first, then by name, case-insensitive and stable) and
 * looking an entry up by id.  Inputs are literal JSON:API documents.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "json_util.h"
#include "metrics.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char	*name;
	const char	*key;
	int		 want;
} shop_cases[] = {
	{ "Placed Order", "shopify", 1 },
	{ "Placed Order", "woocommerce", 0 },
	{ "Placed Order", "magento_two", 0 },
	{ "Placed Order", "Shopify", 0 },
	{ "Placed Order", "shopify ", 0 },
	{ "Placed Order", "", 0 },
	{ "Placed Order", NULL, 0 },
	{ "placed order", "shopify", 0 },
	{ "Placed Order ", "shopify", 0 },
	{ "Placed Orders", "shopify", 0 },
	{ "Ordered Product", "shopify", 0 },
	{ "Fulfilled Order", "shopify", 0 },
	{ "", "shopify", 0 },
	{ NULL, "shopify", 0 },
	{ NULL, NULL, 0 },
};

START_TEST(test_is_shopify_placed_order)
{
	ck_assert_msg(metric_is_shopify_placed_order(shop_cases[_i].name,
	    shop_cases[_i].key) == shop_cases[_i].want, "'%s' '%s': want %d",
	    shop_cases[_i].name ? shop_cases[_i].name : "(null)",
	    shop_cases[_i].key ? shop_cases[_i].key : "(null)",
	    shop_cases[_i].want);
}
END_TEST

static struct json_object *
parse(const char *s)
{
	struct json_object *o = json_tokener_parse(s);

	ck_assert_msg(o != NULL, "test JSON does not parse: %s", s);
	return o;
}

/* One JSON:API metric item with an integration. */
#define MI(id, name, key, iname) \
	"{\"type\":\"metric\",\"id\":\"" id "\",\"attributes\":{" \
	"\"name\":\"" name "\",\"created\":\"2024-01-01T00:00:00+00:00\"," \
	"\"integration\":{\"object\":\"integration\",\"id\":\"I" id "\"," \
	"\"key\":\"" key "\",\"name\":\"" iname "\"," \
	"\"category\":\"eCommerce\"}},\"links\":{\"self\":\"x\"}}"
/* A custom metric item: no integration. */
#define CI(id, name) \
	"{\"type\":\"custom-metric\",\"id\":\"" id "\",\"attributes\":{" \
	"\"name\":\"" name "\",\"created\":\"2024-01-01T00:00:00+00:00\"}}"

static const char metrics_json[] = "["
	MI("A", "zeta", "api", "API") ","
	MI("B", "Placed Order", "woocommerce", "WooCommerce") ","
	MI("C", "alpha", "klaviyo", "Klaviyo") ","
	MI("D", "Placed Order", "shopify", "Shopify") ","
	MI("E", "Beta", "klaviyo", "Klaviyo") ","
	MI("F", "beta", "shopify", "Shopify") ","
	MI("C", "alpha again", "klaviyo", "Klaviyo") ","
	MI("G", "BETA", "klaviyo", "Klaviyo") ","
	"{\"type\":\"metric\",\"id\":\"H\",\"attributes\":{"
	"\"name\":\"Opened Email\"}}"
	"]";

static const char custom_json[] = "["
	CI("X", "Custom Thing") ","
	CI("C", "custom alpha") ","
	CI("D", "custom shopify") ","
	CI("Y", "aardvark") ","
	CI("Z", "Placed Order")
	"]";

static const struct {
	const char	*id;
	const char	*name;
	const char	*integration;
	const char	*category;
	int		 shop;
} merged_want[] = {
	{ "D", "Placed Order", "Shopify", "STANDARD", 1 },
	{ "Y", "aardvark", "Custom", "CUSTOM", 0 },
	{ "C", "alpha", "Klaviyo", "STANDARD", 0 },
	{ "E", "Beta", "Klaviyo", "STANDARD", 0 },
	{ "F", "beta", "Shopify", "STANDARD", 0 },
	{ "G", "BETA", "Klaviyo", "STANDARD", 0 },
	{ "X", "Custom Thing", "Custom", "CUSTOM", 0 },
	{ "H", "Opened Email", "API", "STANDARD", 0 },
	{ "B", "Placed Order", "WooCommerce", "STANDARD", 0 },
	{ "Z", "Placed Order", "Custom", "CUSTOM", 0 },
	{ "A", "zeta", "API", "STANDARD", 0 },
};

static void
check_entry(struct json_object *e, size_t i)
{
	struct json_object *v;

	ck_assert_msg(e != NULL && json_object_is_type(e, json_type_object),
	    "entry %zu is not an object", i);
	ck_assert_msg(json_get_str(e, "id") != NULL &&
	    strcmp(json_get_str(e, "id"), merged_want[i].id) == 0,
	    "entry %zu: id %s, want %s", i, json_get_str(e, "id"),
	    merged_want[i].id);
	ck_assert_str_eq(json_get_str(e, "name"), merged_want[i].name);
	ck_assert_str_eq(json_get_str(e, "integration"),
	    merged_want[i].integration);
	ck_assert_str_eq(json_get_str(e, "category"),
	    merged_want[i].category);
	ck_assert_msg(json_object_object_get_ex(e, "isShopifyPlacedOrder",
	    &v) && json_object_is_type(v, json_type_boolean),
	    "entry %zu: isShopifyPlacedOrder is not a boolean", i);
	ck_assert_int_eq(json_object_get_boolean(v), merged_want[i].shop);
	/* Only the fields built, nothing of the JSON:API item. */
	ck_assert(!json_object_object_get_ex(e, "attributes", NULL));
	ck_assert(!json_object_object_get_ex(e, "type", NULL));
	ck_assert(!json_object_object_get_ex(e, "links", NULL));
}

START_TEST(test_merge_order)
{
	struct json_object	*m = parse(metrics_json);
	struct json_object	*c = parse(custom_json);
	struct json_object	*out = NULL;
	size_t			 i, n;

	ck_assert_int_eq(metrics_merge(m, c, &out), KC_OK);
	/* The result owns its entries: drop the inputs first. */
	json_object_put(m);
	json_object_put(c);
	ck_assert_ptr_nonnull(out);
	ck_assert(json_object_is_type(out, json_type_array));
	n = json_object_array_length(out);
	for (i = 0; i < n && i < NELEM(merged_want); i++)
		check_entry(json_object_array_get_idx(out, i), i);
	ck_assert_msg(n == NELEM(merged_want), "%zu entries, want %zu: %s",
	    n, NELEM(merged_want), json_object_to_json_string(out));
	json_object_put(out);
}
END_TEST

/* Equal names keep their order, whatever their ids. */
START_TEST(test_merge_stable)
{
	static const char	 ms[] = "["
		MI("9", "Same", "k", "K9") "," MI("8", "same", "k", "K8") ","
		MI("7", "SAME", "k", "K7") "," MI("1", "a", "k", "K1") ","
		MI("6", "Same", "k", "K6") "," MI("5", "sAme", "k", "K5") ","
		MI("4", "Same", "k", "K4") "," MI("3", "same", "k", "K3") ","
		MI("2", "Same", "k", "K2") "]";
	static const char	 cs[] = "[" CI("0", "same") "," CI("10", "Same")
		"]";
	static const char *const want[] = { "1", "9", "8", "7", "6", "5", "4",
	    "3", "2", "0", "10" };
	struct json_object	*m = parse(ms), *c = parse(cs), *out = NULL;
	size_t			 i;

	ck_assert_int_eq(metrics_merge(m, c, &out), KC_OK);
	ck_assert_uint_eq(json_object_array_length(out), NELEM(want));
	for (i = 0; i < NELEM(want); i++)
		ck_assert_msg(strcmp(json_get_str(json_object_array_get_idx(
		    out, i), "id"), want[i]) == 0, "position %zu: %s", i,
		    json_object_to_json_string(out));
	json_object_put(out);
	json_object_put(m);
	json_object_put(c);
}
END_TEST

/* Items without a usable id or name are left out; the rest is kept. */
START_TEST(test_merge_skips)
{
	static const char	 ms[] = "["
		"{\"type\":\"metric\",\"attributes\":{\"name\":\"no id\"}},"
		"{\"id\":\"\",\"attributes\":{\"name\":\"empty id\"}},"
		"{\"id\":null,\"attributes\":{\"name\":\"null id\"}},"
		"{\"id\":17,\"attributes\":{\"name\":\"number id\"}},"
		"{\"id\":\"n1\"},"
		"{\"id\":\"n2\",\"attributes\":{}},"
		"{\"id\":\"n3\",\"attributes\":{\"name\":null}},"
		"{\"id\":\"n4\",\"attributes\":{\"name\":5}},"
		"{\"id\":\"n5\",\"attributes\":\"Opened Email\"},"
		"\"ok\",42,null,[],"
		MI("ok", "Kept", "klaviyo", "Klaviyo")
		"]";
	struct json_object	*m = parse(ms), *out = NULL, *e;

	ck_assert_int_eq(metrics_merge(m, NULL, &out), KC_OK);
	ck_assert_msg(json_object_array_length(out) == 1, "%s",
	    json_object_to_json_string(out));
	e = json_object_array_get_idx(out, 0);
	ck_assert_str_eq(json_get_str(e, "id"), "ok");
	ck_assert_str_eq(json_get_str(e, "name"), "Kept");
	json_object_put(out);
	json_object_put(m);
}
END_TEST

/* NULL or non-array inputs are empty lists. */
static const struct {
	const char	*metrics;
	const char	*custom;
	size_t		 n;
} empty_cases[] = {
	{ NULL, NULL, 0 },
	{ "[]", NULL, 0 },
	{ NULL, "[]", 0 },
	{ "[]", "[]", 0 },
	{ "{}", "{\"data\":[]}", 0 },
	{ NULL, "[" CI("X", "Custom Thing") "]", 1 },
	{ "[" MI("A", "zeta", "api", "API") "]", NULL, 1 },
	{ "\"x\"", "[" CI("X", "Custom Thing") "]", 1 },
};

START_TEST(test_merge_empty)
{
	struct json_object	*m = NULL, *c = NULL, *out = NULL;

	if (empty_cases[_i].metrics)
		m = parse(empty_cases[_i].metrics);
	if (empty_cases[_i].custom)
		c = parse(empty_cases[_i].custom);
	ck_assert_int_eq(metrics_merge(m, c, &out), KC_OK);
	ck_assert_ptr_nonnull(out);
	ck_assert(json_object_is_type(out, json_type_array));
	ck_assert_uint_eq(json_object_array_length(out), empty_cases[_i].n);
	json_object_put(out);
	json_object_put(m);
	json_object_put(c);
}
END_TEST

/* The metrics entry wins over a custom metric with the same id. */
START_TEST(test_merge_duplicate_custom)
{
	static const char	 ms[] = "[" MI("42", "Viewed Product",
		"shopify", "Shopify") "]";
	static const char	 cs[] = "[" CI("42", "A custom twin") ","
		CI("42", "Another twin") "]";
	struct json_object	*m = parse(ms), *c = parse(cs), *out = NULL, *e;

	ck_assert_int_eq(metrics_merge(m, c, &out), KC_OK);
	ck_assert_uint_eq(json_object_array_length(out), 1);
	e = json_object_array_get_idx(out, 0);
	ck_assert_str_eq(json_get_str(e, "name"), "Viewed Product");
	ck_assert_str_eq(json_get_str(e, "category"), "STANDARD");
	ck_assert_str_eq(json_get_str(e, "integration"), "Shopify");
	json_object_put(out);
	json_object_put(m);
	json_object_put(c);
}
END_TEST

static const struct {
	const char	*id;
	const char	*name;	/* NULL: not found */
} find_cases[] = {
	{ "D", "Placed Order" },
	{ "A", "zeta" },
	{ "Y", "aardvark" },
	{ "C", "alpha" },
	{ "B", "Placed Order" },
	{ "Q", NULL },
	{ "", NULL },
	{ "d", NULL },
	{ "DD", NULL },
	{ "ID", NULL },		/* the integration's id, not a metric's */
};

START_TEST(test_find)
{
	struct json_object	*m = parse(metrics_json);
	struct json_object	*c = parse(custom_json);
	struct json_object	*out = NULL, *e;

	ck_assert_int_eq(metrics_merge(m, c, &out), KC_OK);
	e = metrics_find(out, find_cases[_i].id);
	if (find_cases[_i].name == NULL)
		ck_assert_msg(e == NULL, "'%s' found: %s", find_cases[_i].id,
		    json_object_to_json_string(e));
	else {
		ck_assert_msg(e != NULL, "'%s' not found", find_cases[_i].id);
		ck_assert_str_eq(json_get_str(e, "id"), find_cases[_i].id);
		ck_assert_str_eq(json_get_str(e, "name"),
		    find_cases[_i].name);
	}
	json_object_put(out);
	json_object_put(m);
	json_object_put(c);
}
END_TEST

START_TEST(test_find_empty)
{
	struct json_object *a = json_object_new_array();

	ck_assert_ptr_null(metrics_find(NULL, "A"));
	ck_assert_ptr_null(metrics_find(a, "A"));
	json_object_put(a);
}
END_TEST

static Suite *
metrics_suite(void)
{
	Suite	*s = suite_create("metrics");
	TCase	*ts = tcase_create("shopify");
	TCase	*tm = tcase_create("merge");
	TCase	*tf = tcase_create("find");

	tcase_add_loop_test(ts, test_is_shopify_placed_order, 0,
	    NELEM(shop_cases));
	suite_add_tcase(s, ts);

	tcase_add_test(tm, test_merge_order);
	tcase_add_test(tm, test_merge_stable);
	tcase_add_test(tm, test_merge_skips);
	tcase_add_loop_test(tm, test_merge_empty, 0, NELEM(empty_cases));
	tcase_add_test(tm, test_merge_duplicate_custom);
	suite_add_tcase(s, tm);

	tcase_add_loop_test(tf, test_find, 0, NELEM(find_cases));
	tcase_add_test(tf, test_find_empty);
	suite_add_tcase(s, tf);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(metrics_suite());
	int	 failures;

	srunner_run_all(sr, CK_NORMAL);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures ? 1 : 0;
}
