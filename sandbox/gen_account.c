/*
 * What an account has besides its store, generated once at start from
 * its seed: the account itself (GET /api/accounts), its metrics (a
 * store profile's integrations; Acme Outdoor's 512 over three pages),
 * its custom metrics (Cedar & Sage only) and its lists.
 */
#include "sandbox.h"

#include <stdio.h>
#include <string.h>

#include "endpoints.h"
#include "json_util.h"
#include "jsonapi.h"

/* Integrations as they appear in metric attributes.integration. */
struct integ {
	const char	*id;
	const char	*key;
	const char	*name;
	const char	*category;
};

static const struct integ I_SHOPIFY = { "0eMvjm", "shopify", "Shopify",
    "eCommerce" };
static const struct integ I_WOO = { "Ws3jqk", "woocommerce", "WooCommerce",
    "eCommerce" };
static const struct integ I_KLAVIYO = { "0rG4eQ", "klaviyo", "Klaviyo",
    "Internal" };
static const struct integ I_API = { "7FtS4J", "api", "API", "API" };

/* GET /api/accounts: the one account of the key. */
int
sbx_gen_accounts(const struct sbx_account *a, struct json_object **out)
{
	const struct sbx_account_def	*d = a->def;
	struct json_object		*arr, *it, *at, *ci = NULL, *sa = NULL;

	*out = NULL;
	if ((arr = json_object_new_array()) == NULL)
		return KC_ERR_NOMEM;
	if ((it = sbx_resource("account", "accounts", a->id, &at)) == NULL ||
	    json_object_array_add(arr, it) != 0) {
		json_object_put(it);
		goto fail;
	}
	if ((ci = json_object_new_object()) == NULL ||
	    (sa = json_object_new_object()) == NULL)
		goto fail;
	if (json_add_str(sa, "address1", d->address1) != KC_OK ||
	    json_add_str(sa, "address2", NULL) != KC_OK ||
	    json_add_str(sa, "city", d->city) != KC_OK ||
	    json_add_str(sa, "region", d->region) != KC_OK ||
	    json_add_str(sa, "country", d->country) != KC_OK ||
	    json_add_str(sa, "zip", d->zip) != KC_OK)
		goto fail;
	if (json_add_str(ci, "default_sender_name", d->sender_name) !=
	    KC_OK ||
	    json_add_str(ci, "default_sender_email", d->sender_email) !=
	    KC_OK ||
	    json_add_str(ci, "website_url", d->website) != KC_OK ||
	    json_add_str(ci, "organization_name", d->org) != KC_OK)
		goto fail;
	if (json_add_obj(ci, "street_address", sa) != KC_OK) {
		sa = NULL;
		goto fail;
	}
	sa = NULL;
	if (json_add_bool(at, "test_account", 0) != KC_OK)
		goto fail;
	if (json_add_obj(at, "contact_information", ci) != KC_OK) {
		ci = NULL;
		goto fail;
	}
	ci = NULL;
	if (json_add_str(at, "industry", d->industry) != KC_OK ||
	    json_add_str(at, "timezone", d->timezone) != KC_OK ||
	    json_add_str(at, "preferred_currency", d->currency) != KC_OK ||
	    json_add_str(at, "public_api_key", a->id) != KC_OK ||
	    json_add_str(at, "locale", d->locale) != KC_OK)
		goto fail;
	*out = arr;
	return KC_OK;
fail:
	json_object_put(sa);
	json_object_put(ci);
	json_object_put(arr);
	return KC_ERR_NOMEM;
}

/* Metrics. */

struct metric_def {
	const char		*name;
	const struct integ	*integ;
};

static const struct metric_def klaviyo_metrics[] = {
	{ "Received Email", &I_KLAVIYO }, { "Opened Email", &I_KLAVIYO },
	{ "Clicked Email", &I_KLAVIYO }, { "Bounced Email", &I_KLAVIYO },
	{ "Dropped Email", &I_KLAVIYO },
	{ "Marked Email as Spam", &I_KLAVIYO },
	{ "Unsubscribed", &I_KLAVIYO }, { "Subscribed to List", &I_KLAVIYO },
	{ "Unsubscribed from List", &I_KLAVIYO },
	{ "Received SMS", &I_KLAVIYO }, { "Clicked SMS", &I_KLAVIYO },
	{ "Sent SMS", &I_KLAVIYO }, { "Failed to Deliver SMS", &I_KLAVIYO },
	{ "Subscribed to SMS Marketing", &I_KLAVIYO },
	{ "Unsubscribed from SMS Marketing", &I_KLAVIYO },
	{ "Viewed Form", &I_KLAVIYO }, { "Submitted Form", &I_KLAVIYO },
	{ "Closed Form", &I_KLAVIYO },
	{ "Updated Email Preferences", &I_KLAVIYO },
};
#define NKLAVIYO (sizeof(klaviyo_metrics) / sizeof(klaviyo_metrics[0]))

static const struct metric_def shopify_metrics[] = {
	{ "Added to Cart", &I_SHOPIFY }, { "Started Checkout", &I_SHOPIFY },
	{ "Ordered Product", &I_SHOPIFY }, { "Fulfilled Order", &I_SHOPIFY },
	{ "Fulfilled Partial Order", &I_SHOPIFY },
	{ "Cancelled Order", &I_SHOPIFY }, { "Refunded Order", &I_SHOPIFY },
	{ "Checkout Started", &I_SHOPIFY },
};

static const struct metric_def onsite_metrics[] = {
	{ "Active on Site", &I_API }, { "Viewed Product", &I_API },
	{ "Viewed Collection", &I_API },
};

static const struct metric_def woo_metrics[] = {
	{ "Placed Order", &I_WOO }, { "Ordered Product", &I_WOO },
	{ "Started Checkout", &I_WOO }, { "Fulfilled Order", &I_WOO },
	{ "Cancelled Order", &I_WOO }, { "Refunded Order", &I_WOO },
	/* A stale Shopify connection: a Shopify metric, but no Placed Order. */
	{ "Fulfilled Order", &I_SHOPIFY },
	{ "Active on Site", &I_API }, { "Viewed Product", &I_API },
};

static const struct metric_def custom_store_metrics[] = {
	{ "Placed Order", &I_API }, { "Subscription Started", &I_API },
	{ "Started Checkout", &I_API }, { "Active on Site", &I_API },
	{ "Viewed Product", &I_API },
};

static const char *const api_verbs[] = {
	"Viewed", "Shared", "Saved", "Requested", "Completed", "Started",
	"Redeemed", "Submitted", "Joined", "Upgraded", "Booked", "Rated",
	"Returned", "Scanned", "Downloaded", "Cancelled",
};
static const char *const api_nouns[] = {
	"Gift Card", "Wishlist", "Review", "Quiz", "Appointment",
	"Loyalty Reward", "Subscription", "Bundle", "Size Guide",
	"Store Locator", "Referral", "Survey", "Warranty", "Rental",
	"Workshop", "Trail Map", "Product Video", "Coupon", "Catalog",
	"Fitting", "Repair", "Demo Day", "Back in Stock Alert",
	"Price Alert", "Team Order", "Pre-Order", "Sample", "Class Pass",
	"Waitlist", "Event Ticket",
};
#define NVERBS (sizeof(api_verbs) / sizeof(api_verbs[0]))
#define NNOUNS (sizeof(api_nouns) / sizeof(api_nouns[0]))

static int
add_metric(struct json_object *arr, struct sbx_rng *r, const char *name,
    const struct integ *in, const char *forced_id)
{
	struct json_object	*it, *at, *io = NULL, *rels;
	char			 id[8], c[32], u[32];

	if (forced_id)
		snprintf(id, sizeof(id), "%s", forced_id);
	else
		sbx_unique_id(r, arr, id, 6, 0);
	sbx_gen_times(r, c, u, sizeof(c));
	if ((it = sbx_resource("metric", "metrics", id, &at)) == NULL)
		return KC_ERR_NOMEM;
	if (json_add_str(at, "name", name) != KC_OK ||
	    json_add_str(at, "created", c) != KC_OK ||
	    json_add_str(at, "updated", u) != KC_OK ||
	    (io = json_object_new_object()) == NULL ||
	    json_add_str(io, "object", "integration") != KC_OK ||
	    json_add_str(io, "id", in->id) != KC_OK ||
	    json_add_str(io, "key", in->key) != KC_OK ||
	    json_add_str(io, "name", in->name) != KC_OK ||
	    json_add_str(io, "category", in->category) != KC_OK)
		goto fail;
	if (json_add_obj(at, "integration", io) != KC_OK) {
		io = NULL;
		goto fail;
	}
	io = NULL;
	if ((rels = json_object_new_object()) == NULL ||
	    json_add_obj(it, "relationships", rels) != KC_OK ||
	    sbx_add_new(rels, "flow-triggers", sbx_relationship("metrics", id,
	    "flow-triggers", 1)) != KC_OK)
		goto fail;
	/* links after relationships, as Klaviyo orders them */
	if (json_object_object_get_ex(it, "links", &at)) {
		json_object_get(at);
		json_object_object_del(it, "links");
		if (json_add_obj(it, "links", at) != KC_OK)
			goto fail;
	}
	if (json_object_array_add(arr, it) != 0)
		goto fail;
	return KC_OK;
fail:
	json_object_put(io);
	json_object_put(it);
	return KC_ERR_NOMEM;
}

static int
add_defs(struct json_object *arr, struct sbx_rng *r,
    const struct metric_def *defs, size_t n)
{
	size_t	 i;
	int	 rc;

	for (i = 0; i < n; i++)
		if ((rc = add_metric(arr, r, defs[i].name, defs[i].integ,
		    NULL)) != KC_OK)
			return rc;
	return KC_OK;
}

/* Position of the Shopify Placed Order in the big store: on page 3. */
#define BIG_PLACED_ORDER_AT	450
#define BIG_METRICS		512

static const struct metric_def api_placed_order = { "Placed Order", &I_API };

static int
gen_big_store(struct json_object *arr, struct sbx_rng *r)
{
	const struct metric_def	*seq[64];
	char			 name[96];
	size_t			 i, n = 0, g = 0, std = 0;
	int			 rc;

	/* Klaviyo's own, Shopify's, an API "Placed Order", on-site. */
	for (i = 0; i < NKLAVIYO; i++)
		seq[n++] = &klaviyo_metrics[i];
	for (i = 0; i < sizeof(shopify_metrics) / sizeof(shopify_metrics[0]);
	    i++)
		seq[n++] = &shopify_metrics[i];
	seq[n++] = &api_placed_order;
	for (i = 0; i < sizeof(onsite_metrics) / sizeof(onsite_metrics[0]);
	    i++)
		seq[n++] = &onsite_metrics[i];
	for (i = 0; i < BIG_METRICS; i++) {
		if (i == BIG_PLACED_ORDER_AT) {
			rc = add_metric(arr, r, "Placed Order", &I_SHOPIFY,
			    NULL);
		} else if (std < n) {
			rc = add_metric(arr, r, seq[std]->name,
			    seq[std]->integ, NULL);
			std++;
		} else {
			if (g < NVERBS * NNOUNS)
				snprintf(name, sizeof(name), "%s %s",
				    api_verbs[g % NVERBS],
				    api_nouns[g / NVERBS]);
			else
				snprintf(name, sizeof(name), "%s %s %zu",
				    api_verbs[g % NVERBS],
				    api_nouns[(g / NVERBS) % NNOUNS],
				    g / (NVERBS * NNOUNS) + 1);
			rc = add_metric(arr, r, name, &I_API, NULL);
			g++;
		}
		if (rc != KC_OK)
			return rc;
	}
	return KC_OK;
}

int
sbx_gen_metrics(const struct sbx_account *a, struct json_object **out)
{
	struct json_object	*arr;
	struct sbx_rng		 r;
	int			 rc = KC_OK;

	*out = NULL;
	if ((arr = json_object_new_array()) == NULL)
		return KC_ERR_NOMEM;
	sbx_rng_seed(&r, a->seed, "metrics");
	switch (a->def->profile) {
	case SBX_PROF_SHOPIFY_BIG:
		rc = gen_big_store(arr, &r);
		break;
	case SBX_PROF_MANY_LISTS:
	case SBX_PROF_FLEET:
		if ((rc = add_defs(arr, &r, klaviyo_metrics, NKLAVIYO)) ==
		    KC_OK && (rc = add_metric(arr, &r, "Placed Order",
		    &I_SHOPIFY, NULL)) == KC_OK && (rc = add_defs(arr, &r,
		    shopify_metrics, sizeof(shopify_metrics) /
		    sizeof(shopify_metrics[0]))) == KC_OK)
			rc = add_defs(arr, &r, onsite_metrics,
			    sizeof(onsite_metrics) / sizeof(onsite_metrics[0]));
		break;
	case SBX_PROF_WOO:
		if ((rc = add_defs(arr, &r, klaviyo_metrics, NKLAVIYO)) ==
		    KC_OK)
			rc = add_defs(arr, &r, woo_metrics,
			    sizeof(woo_metrics) / sizeof(woo_metrics[0]));
		break;
	case SBX_PROF_CUSTOM:
		if ((rc = add_defs(arr, &r, custom_store_metrics,
		    sizeof(custom_store_metrics) /
		    sizeof(custom_store_metrics[0]))) == KC_OK)
			rc = add_defs(arr, &r, klaviyo_metrics, NKLAVIYO);
		break;
	case SBX_PROF_NOSCOPE:
		rc = add_defs(arr, &r, klaviyo_metrics, 10);
		break;
	case SBX_PROF_EMPTY:
		break;
	}
	if (rc != KC_OK) {
		json_object_put(arr);
		return rc;
	}
	*out = arr;
	return KC_OK;
}

/* Custom metrics. */

/* The id of the first metric named name with integration key, or NULL. */
static const char *
metric_id(const struct sbx_account *a, const char *name, const char *key)
{
	struct json_object	*arr = sbx_account_coll(a, "metric"), *it;
	struct json_object	*at, *v, *in;
	size_t			 i;

	for (i = 0; arr && i < json_object_array_length(arr); i++) {
		it = json_object_array_get_idx(arr, i);
		if (!json_object_object_get_ex(it, "attributes", &at) ||
		    !json_object_object_get_ex(at, "name", &v) ||
		    strcmp(json_object_get_string(v), name) != 0 ||
		    !json_object_object_get_ex(at, "integration", &in) ||
		    !json_object_object_get_ex(in, "key", &v) ||
		    strcmp(json_object_get_string(v), key) != 0)
			continue;
		json_object_object_get_ex(it, "id", &v);
		return json_object_get_string(v);
	}
	return NULL;
}

struct cm_group {
	const char	*metric;	/* name of an API metric */
	const char	*filter_prop;	/* NULL: no filters */
	const char	*filter_json;	/* the filter object */
	const char	*value_property;
};

struct cm_def {
	const char		*name;
	const char		*aggregation;
	int			 same_id_as_metric;	/* the dedupe case */
	struct cm_group		 groups[2];
};

static const struct cm_def custom_metrics[] = {
	{ "Qualified Purchase", "value", 0, {
	    { "Placed Order", "$value", "{\"type\":\"numeric\","
	      "\"operator\":\"greater-than-or-equal\",\"value\":49.99}",
	      "$value" }, { NULL, NULL, NULL, NULL } } },
	{ "Revenue incl. Subscriptions", "value", 0, {
	    { "Placed Order", NULL, NULL, "$value" },
	    { "Subscription Started", NULL, NULL, "$value" } } },
	/* Same name as the API metric "Placed Order", different id. */
	{ "Placed Order", "count", 0, {
	    { "Placed Order", "Source", "{\"type\":\"string\","
	      "\"operator\":\"equals\",\"value\":\"web\"}", NULL },
	    { NULL, NULL, NULL, NULL } } },
	/* Same id and name as the metric "Subscription Started". */
	{ "Subscription Started", "count", 1, {
	    { "Subscription Started", NULL, NULL, NULL },
	    { NULL, NULL, NULL, NULL } } },
};

static struct json_object *
cm_group_json(const struct cm_group *g, const char *mid)
{
	struct json_object *o, *filters, *cond;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (json_add_str(o, "metric_id", mid) != KC_OK)
		goto fail;
	if (g->filter_prop) {
		if ((filters = json_object_new_array()) == NULL)
			goto fail;
		if (json_add_obj(o, "metric_filters", filters) != KC_OK)
			goto fail;
		if ((cond = json_object_new_object()) == NULL)
			goto fail;
		if (json_object_array_add(filters, cond) != 0) {
			json_object_put(cond);
			goto fail;
		}
		if (json_add_str(cond, "property", g->filter_prop) != KC_OK ||
		    sbx_add_new(cond, "filter",
		    json_tokener_parse(g->filter_json)) != KC_OK)
			goto fail;
	} else if (json_add_str(o, "metric_filters", NULL) != KC_OK)
		goto fail;
	if (json_add_str(o, "value_property", g->value_property) != KC_OK)
		goto fail;
	return o;
fail:
	json_object_put(o);
	return NULL;
}

static int
add_custom_metric(const struct sbx_account *a, struct json_object *arr,
    struct sbx_rng *r, const struct cm_def *d)
{
	struct json_object	*it = NULL, *at, *def, *groups, *rels, *rel;
	struct json_object	*rdata, *ref, *links;
	const char		*mid;
	char			 id[40], c[32], u[32];
	size_t			 i;

	if (d->same_id_as_metric) {
		if ((mid = metric_id(a, d->name, "api")) == NULL)
			return KC_ERR_INTERNAL;
		snprintf(id, sizeof(id), "%s", mid);
	} else
		sbx_unique_id(r, arr, id, 32, 1);
	sbx_gen_times(r, c, u, sizeof(c));
	if ((it = sbx_resource("custom-metric", "custom-metrics", id, &at)) ==
	    NULL)
		return KC_ERR_NOMEM;
	if (json_add_str(at, "name", d->name) != KC_OK ||
	    json_add_str(at, "created", c) != KC_OK ||
	    json_add_str(at, "updated", u) != KC_OK ||
	    (def = json_object_new_object()) == NULL ||
	    json_add_obj(at, "definition", def) != KC_OK ||
	    json_add_str(def, "aggregation_method", d->aggregation) !=
	    KC_OK || (groups = json_object_new_array()) == NULL ||
	    json_add_obj(def, "metric_groups", groups) != KC_OK)
		goto fail;
	if ((rels = json_object_new_object()) == NULL ||
	    json_add_obj(it, "relationships", rels) != KC_OK ||
	    (rel = sbx_relationship("custom-metrics", id, "metrics", 1)) ==
	    NULL || json_add_obj(rels, "metrics", rel) != KC_OK ||
	    !json_object_object_get_ex(rel, "data", &rdata))
		goto fail;
	for (i = 0; i < 2 && d->groups[i].metric; i++) {
		struct json_object *g;

		if ((mid = metric_id(a, d->groups[i].metric, "api")) == NULL)
			goto fail;
		if ((g = cm_group_json(&d->groups[i], mid)) == NULL ||
		    json_object_array_add(groups, g) != 0) {
			json_object_put(g);
			goto fail;
		}
		if ((ref = json_object_new_object()) == NULL ||
		    json_object_array_add(rdata, ref) != 0) {
			json_object_put(ref);
			goto fail;
		}
		if (json_add_str(ref, "type", "metric") != KC_OK ||
		    json_add_str(ref, "id", mid) != KC_OK)
			goto fail;
	}
	if (json_object_object_get_ex(it, "links", &links)) {
		json_object_get(links);
		json_object_object_del(it, "links");
		if (json_add_obj(it, "links", links) != KC_OK)
			goto fail;
	}
	if (json_object_array_add(arr, it) != 0)
		goto fail;
	return KC_OK;
fail:
	json_object_put(it);
	return KC_ERR_NOMEM;
}

int
sbx_gen_custom_metrics(const struct sbx_account *a, struct json_object **out)
{
	struct json_object	*arr;
	struct sbx_rng		 r;
	size_t			 i;
	int			 rc;

	*out = NULL;
	if ((arr = json_object_new_array()) == NULL)
		return KC_ERR_NOMEM;
	sbx_rng_seed(&r, a->seed, "custom-metrics");
	if (a->def->profile == SBX_PROF_CUSTOM)
		for (i = 0; i < sizeof(custom_metrics) /
		    sizeof(custom_metrics[0]); i++)
			if ((rc = add_custom_metric(a, arr, &r,
			    &custom_metrics[i])) != KC_OK) {
				json_object_put(arr);
				return rc;
			}
	*out = arr;
	return KC_OK;
}

/* Lists. */

static const char *const list_names[] = {
	"Newsletter", "VIP Customers", "Back in Stock", "Preview List",
	"Holiday Gift Guide", "Store Openings", "SMS Subscribers",
	"Wholesale Contacts", "Event RSVPs", "Loyalty Members",
	"Win-Back Targets", "Product Launch Waitlist", "Sweepstakes Entrants",
	"Post-Purchase Survey", "Influencers", "Retail Partners",
	"Abandoned Browse Seed", "Referral Program", "Staff & Friends",
	"Test Recipients",
};
#define NLISTNAMES (sizeof(list_names) / sizeof(list_names[0]))

int
sbx_gen_lists(const struct sbx_account *a, struct json_object **out)
{
	struct json_object	*arr, *it, *at, *rels, *links;
	struct sbx_rng		 r;
	char			 id[8], name[96], c[32], u[32];
	int			 i;

	*out = NULL;
	if ((arr = json_object_new_array()) == NULL)
		return KC_ERR_NOMEM;
	sbx_rng_seed(&r, a->seed, "lists");
	for (i = 0; i < a->def->nlists; i++) {
		sbx_unique_id(&r, arr, id, 6, 0);
		if ((size_t)i < NLISTNAMES)
			snprintf(name, sizeof(name), "%s", list_names[i]);
		else
			snprintf(name, sizeof(name), "%s %zu",
			    list_names[(size_t)i % NLISTNAMES],
			    (size_t)i / NLISTNAMES + 1);
		sbx_gen_times(&r, c, u, sizeof(c));
		if ((it = sbx_resource("list", "lists", id, &at)) == NULL)
			goto fail;
		if (json_object_array_add(arr, it) != 0) {
			json_object_put(it);
			goto fail;
		}
		if (json_add_str(at, "name", name) != KC_OK ||
		    json_add_str(at, "created", c) != KC_OK ||
		    json_add_str(at, "updated", u) != KC_OK ||
		    json_add_str(at, "opt_in_process", sbx_rng_below(&r, 3) ?
		    "single_opt_in" : "double_opt_in") != KC_OK)
			goto fail;
		if ((rels = json_object_new_object()) == NULL ||
		    json_add_obj(it, "relationships", rels) != KC_OK ||
		    sbx_add_new(rels, "profiles", sbx_relationship("lists", id,
		    "profiles", 0)) != KC_OK ||
		    sbx_add_new(rels, "tags", sbx_relationship("lists", id,
		    "tags", 1)) != KC_OK ||
		    sbx_add_new(rels, "flow-triggers",
		    sbx_relationship("lists", id, "flow-triggers", 1)) != KC_OK)
			goto fail;
		if (json_object_object_get_ex(it, "links", &links)) {
			json_object_get(links);
			json_object_object_del(it, "links");
			if (json_add_obj(it, "links", links) != KC_OK)
				goto fail;
		}
	}
	*out = arr;
	return KC_OK;
fail:
	json_object_put(arr);
	return KC_ERR_NOMEM;
}
