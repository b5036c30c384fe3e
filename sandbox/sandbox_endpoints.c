/*
 * The Klaviyo endpoints klaviyo-sandbox serves: one table row each (path,
 * scope, rate limits and parameters as the spec's operation states them)
 * and one generator that builds an account's whole collection at start.
 * Adding a GET collection endpoint means adding a row and a generator;
 * sbx_handle_collection does the rest.
 *
 * Accounts, metrics, custom metrics and lists are generated here.
 * Campaigns, flows, segments and forms are JSON:API renderings of the
 * account's store (sandbox_data.c); events are built per page from its
 * orders (handle_events); the seven reporting endpoints check their
 * bodies and sum the store (handle_report).
 *
 * Generated resources carry root-relative links ("/api/metrics/X/");
 * the request pipeline makes them absolute with the request's Host.
 */
#include "sandbox.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"

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

#define T_2021		1609459200LL	/* 2021-01-01T00:00:00Z */
#define T_LATEST	1782777600LL	/* 2026-06-30T00:00:00Z */

/* created in 2021..mid 2024, updated after it, both before T_LATEST. */
static void
gen_times(struct sbx_rng *r, char *created, char *updated, size_t len)
{
	int64_t c, u;

	c = T_2021 + (int64_t)sbx_rng_below(r, 3LL * 365 * 86400 +
	    180LL * 86400);
	u = c + (int64_t)sbx_rng_below(r, 700LL * 86400);
	if (u > T_LATEST)
		u = T_LATEST;
	sbx_fmt_time(c, created, len);
	sbx_fmt_time(u, updated, len);
}

/* A fresh id of n characters not used yet in arr. */
static void
unique_id(struct sbx_rng *r, struct json_object *arr, char *out, size_t n,
    int hex)
{
	struct json_object	*it, *v;
	size_t			 i;
	int			 dup;

	do {
		if (hex)
			sbx_rng_hex(r, out, n);
		else
			sbx_rng_alnum(r, out, n);
		dup = 0;
		for (i = 0; i < json_object_array_length(arr) && !dup; i++) {
			it = json_object_array_get_idx(arr, i);
			if (json_object_object_get_ex(it, "id", &v) &&
			    strcmp(json_object_get_string(v), out) == 0)
				dup = 1;
		}
	} while (dup);
}

/* {"data": [], "links": {"self": ..., "related": ...}} */
static struct json_object *
relationship(const char *coll, const char *id, const char *rel, int data)
{
	struct json_object	*o, *links;
	char			 self[160], related[160];

	snprintf(self, sizeof(self), "/api/%s/%s/relationships/%s/", coll,
	    id, rel);
	snprintf(related, sizeof(related), "/api/%s/%s/%s/", coll, id, rel);
	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if ((data && json_add_obj(o, "data", json_object_new_array()) !=
	    KC_OK) || (links = json_object_new_object()) == NULL ||
	    json_add_obj(o, "links", links) != KC_OK ||
	    json_add_str(links, "self", self) != KC_OK ||
	    json_add_str(links, "related", related) != KC_OK) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* {"type": type, "id": id, "attributes": {}, "links": {"self": ...}} */
static struct json_object *
resource(const char *type, const char *coll, const char *id,
    struct json_object **attrs)
{
	struct json_object	*o, *links;
	char			 self[160];

	*attrs = NULL;
	snprintf(self, sizeof(self), "/api/%s/%s/", coll, id);
	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (json_add_str(o, "type", type) != KC_OK ||
	    json_add_str(o, "id", id) != KC_OK ||
	    (*attrs = json_object_new_object()) == NULL ||
	    json_add_obj(o, "attributes", *attrs) != KC_OK ||
	    (links = json_object_new_object()) == NULL ||
	    json_add_obj(o, "links", links) != KC_OK ||
	    json_add_str(links, "self", self) != KC_OK) {
		json_object_put(o);
		*attrs = NULL;
		return NULL;
	}
	return o;
}

/* GET /api/accounts: the one account of the key. */
static int
gen_accounts(const struct sbx_account *a, struct json_object **out)
{
	const struct sbx_account_def	*d = a->def;
	struct json_object		*arr, *it, *at, *ci = NULL, *sa = NULL;

	*out = NULL;
	if ((arr = json_object_new_array()) == NULL)
		return KC_ERR_NOMEM;
	if ((it = resource("account", "accounts", a->id, &at)) == NULL ||
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
		unique_id(r, arr, id, 6, 0);
	gen_times(r, c, u, sizeof(c));
	if ((it = resource("metric", "metrics", id, &at)) == NULL)
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
	    json_add_obj(rels, "flow-triggers", relationship("metrics", id,
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

static int
gen_metrics(const struct sbx_account *a, struct json_object **out)
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
		    json_add_obj(cond, "filter",
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
		unique_id(r, arr, id, 32, 1);
	gen_times(r, c, u, sizeof(c));
	if ((it = resource("custom-metric", "custom-metrics", id, &at)) ==
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
	    (rel = relationship("custom-metrics", id, "metrics", 1)) ==
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

static int
gen_custom_metrics(const struct sbx_account *a, struct json_object **out)
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

static int
gen_lists(const struct sbx_account *a, struct json_object **out)
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
		unique_id(&r, arr, id, 6, 0);
		if ((size_t)i < NLISTNAMES)
			snprintf(name, sizeof(name), "%s", list_names[i]);
		else
			snprintf(name, sizeof(name), "%s %zu",
			    list_names[(size_t)i % NLISTNAMES],
			    (size_t)i / NLISTNAMES + 1);
		gen_times(&r, c, u, sizeof(c));
		if ((it = resource("list", "lists", id, &at)) == NULL)
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
		    json_add_obj(rels, "profiles", relationship("lists", id,
		    "profiles", 0)) != KC_OK ||
		    json_add_obj(rels, "tags", relationship("lists", id,
		    "tags", 1)) != KC_OK ||
		    json_add_obj(rels, "flow-triggers", relationship("lists",
		    id, "flow-triggers", 1)) != KC_OK)
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

/*
 * Campaigns, flows, segments and forms: JSON:API renderings of the
 * account's store (sandbox_data.c), built once at start.  Resources may
 * carry "_sbx" members of the sandbox's own (a campaign's channel for
 * the messages.channel filter, its message for include): the answer
 * never shows them.
 */

static const char *const channel_names[] = { "email", "sms",
	"mobile_push" };
static const char *const campaign_status_names[] = { "Sent", "Draft",
	"Scheduled", "Cancelled" };
static const char *const flow_status_names[] = { "live", "manual",
	"draft" };

/* {"type": type, "id": id, "attributes": {}}: links come last. */
static struct json_object *
res_new(const char *type, const char *id, struct json_object **attrs)
{
	struct json_object *o;

	*attrs = NULL;
	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (json_add_str(o, "type", type) != KC_OK ||
	    json_add_str(o, "id", id) != KC_OK ||
	    (*attrs = json_object_new_object()) == NULL ||
	    json_add_obj(o, "attributes", *attrs) != KC_OK) {
		json_object_put(o);
		*attrs = NULL;
		return NULL;
	}
	return o;
}

/* Adds "links": {"self": "/api/<coll>/<id>/"}. */
static int
res_links(struct json_object *o, const char *coll, const char *id)
{
	struct json_object	*links;
	char			 self[160];

	snprintf(self, sizeof(self), "/api/%s/%s/", coll, id);
	if ((links = json_object_new_object()) == NULL ||
	    json_add_obj(o, "links", links) != KC_OK)
		return KC_ERR_NOMEM;
	return json_add_str(links, "self", self);
}

/* {"type": type, "id": id} */
static struct json_object *
ref_new(const char *type, const char *id)
{
	struct json_object *o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (json_add_str(o, "type", type) != KC_OK ||
	    json_add_str(o, "id", id) != KC_OK) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static int
add_time(struct json_object *o, const char *name, int64_t t)
{
	char buf[40];

	if (t == 0)
		return json_add_str(o, name, NULL);
	sbx_fmt_time(t, buf, sizeof(buf));
	return json_add_str(o, name, buf);
}

/* Appends o to arr, taking it even on failure. */
static int
arr_add(struct json_object *arr, struct json_object *o)
{
	if (o == NULL)
		return KC_ERR_NOMEM;
	if (json_object_array_add(arr, o) != 0) {
		json_object_put(o);
		return KC_ERR_NOMEM;
	}
	return KC_OK;
}

static const char *const subject_lines[] = {
	"Fresh picks for the trail", "Don't miss this weekend",
	"Our team's favourites", "Back by popular demand",
	"Ready for the season?", "A little something for you",
};

static struct json_object *
campaign_message_json(const struct sbx_account *a,
    const struct sbx_campaign *c)
{
	struct json_object	*o, *at, *def = NULL, *ct, *ro, *st, *rels;
	struct json_object	*rel, *links;
	char			 buf[256];
	const char		*subj = subject_lines[(unsigned char)c->id[20] %
				    (sizeof(subject_lines) /
				    sizeof(subject_lines[0]))];

	if ((o = res_new("campaign-message", c->msg_id, &at)) == NULL)
		return NULL;
	if ((def = json_object_new_object()) == NULL ||
	    json_add_obj(at, "definition", def) != KC_OK ||
	    json_add_str(def, "channel", channel_names[c->channel]) != KC_OK)
		goto fail;
	if ((ct = json_object_new_object()) == NULL ||
	    json_add_obj(def, "content", ct) != KC_OK)
		goto fail;
	switch (c->channel) {
	case SBX_CH_EMAIL:
		if (json_add_str(def, "label", c->name) != KC_OK ||
		    json_add_str(ct, "subject", subj) != KC_OK ||
		    json_add_str(ct, "preview_text", c->name) != KC_OK ||
		    json_add_str(ct, "from_email", a->def->sender_email) !=
		    KC_OK ||
		    json_add_str(ct, "from_label", a->def->sender_name) !=
		    KC_OK ||
		    json_add_str(ct, "reply_to_email", NULL) != KC_OK ||
		    json_add_str(ct, "cc_email", NULL) != KC_OK ||
		    json_add_str(ct, "bcc_email", NULL) != KC_OK)
			goto fail;
		break;
	case SBX_CH_SMS:
		snprintf(buf, sizeof(buf), "%s: %s. Reply STOP to opt out.",
		    a->def->sender_name, subj);
		if (json_add_str(ct, "body", buf) != KC_OK)
			goto fail;
		snprintf(buf, sizeof(buf), "%s/images/%s.jpg",
		    a->def->website, c->msg_id);
		if (json_add_str(ct, "media_url", c->mms ? buf : NULL) !=
		    KC_OK || (ro = json_object_new_object()) == NULL ||
		    json_add_obj(def, "render_options", ro) != KC_OK ||
		    json_add_bool(ro, "shorten_links", 1) != KC_OK ||
		    json_add_bool(ro, "add_org_prefix", 1) != KC_OK ||
		    json_add_bool(ro, "add_info_link", 1) != KC_OK ||
		    json_add_bool(ro, "add_opt_out_language", 0) != KC_OK)
			goto fail;
		break;
	case SBX_CH_PUSH:
		if (json_add_str(def, "notification_type", "standard") !=
		    KC_OK || json_add_str(ct, "title", c->name) != KC_OK ||
		    json_add_str(ct, "body", subj) != KC_OK ||
		    json_add_str(ct, "dynamic_image", NULL) != KC_OK)
			goto fail;
		break;
	}
	if ((st = json_object_new_array()) == NULL ||
	    json_add_obj(at, "send_times", st) != KC_OK)
		goto fail;
	if (c->send != 0) {
		struct json_object *one;

		if ((one = json_object_new_object()) == NULL ||
		    arr_add(st, one) != KC_OK || add_time(one, "datetime",
		    c->send) != KC_OK || json_add_bool(one, "is_local", 0) !=
		    KC_OK)
			goto fail;
	}
	if (add_time(at, "created_at", c->created) != KC_OK ||
	    add_time(at, "updated_at", c->updated) != KC_OK)
		goto fail;
	snprintf(buf, sizeof(buf), "/api/campaign-messages/%s/campaign/",
	    c->msg_id);
	if ((rels = json_object_new_object()) == NULL ||
	    json_add_obj(o, "relationships", rels) != KC_OK ||
	    (rel = json_object_new_object()) == NULL ||
	    json_add_obj(rels, "campaign", rel) != KC_OK ||
	    json_add_obj(rel, "data", ref_new("campaign", c->id)) != KC_OK ||
	    (links = json_object_new_object()) == NULL ||
	    json_add_obj(rel, "links", links) != KC_OK ||
	    json_add_str(links, "related", buf) != KC_OK)
		goto fail;
	snprintf(buf, sizeof(buf), "/api/campaign-messages/%s/"
	    "relationships/campaign/", c->msg_id);
	if (json_add_str(links, "self", buf) != KC_OK ||
	    res_links(o, "campaign-messages", c->msg_id) != KC_OK)
		goto fail;
	return o;
fail:
	json_object_put(o);
	return NULL;
}

static const char *
list_id(const struct sbx_account *a, int i)
{
	struct json_object *lists = sbx_account_coll(a, "list"), *it, *v;

	if (i < 0 || lists == NULL || (size_t)i >=
	    json_object_array_length(lists))
		return NULL;
	it = json_object_array_get_idx(lists, (size_t)i);
	return json_object_object_get_ex(it, "id", &v) ?
	    json_object_get_string(v) : NULL;
}

static struct json_object *
campaign_json(const struct sbx_account *a, const struct sbx_campaign *c)
{
	struct json_object	*o, *at, *au, *inc, *so, *to, *ss, *opt;
	struct json_object	*rels, *rel, *data, *own, *owninc;
	const char		*lid = list_id(a, c->list);
	int64_t			 when;

	if ((o = res_new("campaign", c->id, &at)) == NULL)
		return NULL;
	if (json_add_str(at, "name", c->name) != KC_OK ||
	    json_add_str(at, "status", campaign_status_names[c->status]) !=
	    KC_OK || json_add_bool(at, "archived", c->archived) != KC_OK ||
	    (au = json_object_new_object()) == NULL ||
	    json_add_obj(at, "audiences", au) != KC_OK ||
	    (inc = json_object_new_array()) == NULL ||
	    json_add_obj(au, "included", inc) != KC_OK ||
	    (lid != NULL && arr_add(inc, json_object_new_string(lid)) !=
	    KC_OK) ||
	    json_add_obj(au, "excluded", json_object_new_array()) != KC_OK)
		goto fail;
	if ((so = json_object_new_object()) == NULL ||
	    json_add_obj(at, "send_options", so) != KC_OK ||
	    json_add_bool(so, "use_smart_sending", 1) != KC_OK)
		goto fail;
	if (c->channel == SBX_CH_PUSH) {
		if (json_add_str(at, "tracking_options", NULL) != KC_OK)
			goto fail;
	} else if ((to = json_object_new_object()) == NULL ||
	    json_add_obj(at, "tracking_options", to) != KC_OK ||
	    json_add_bool(to, "add_tracking_params", 1) != KC_OK ||
	    json_add_str(to, "custom_tracking_params", NULL) != KC_OK ||
	    (c->channel == SBX_CH_EMAIL && (json_add_bool(to,
	    "is_tracking_clicks", 1) != KC_OK || json_add_bool(to,
	    "is_tracking_opens", 1) != KC_OK)))
		goto fail;
	if ((ss = json_object_new_object()) == NULL ||
	    json_add_obj(at, "send_strategy", ss) != KC_OK)
		goto fail;
	when = c->send ? c->send : c->scheduled;
	if (when == 0) {
		if (json_add_str(ss, "method", "immediate") != KC_OK)
			goto fail;
	} else if (json_add_str(ss, "method", "static") != KC_OK ||
	    add_time(ss, "datetime", when) != KC_OK ||
	    (opt = json_object_new_object()) == NULL ||
	    json_add_obj(ss, "options", opt) != KC_OK ||
	    json_add_bool(opt, "is_local", 0) != KC_OK)
		goto fail;
	if (add_time(at, "created_at", c->created) != KC_OK ||
	    add_time(at, "scheduled_at", c->scheduled) != KC_OK ||
	    add_time(at, "updated_at", c->updated) != KC_OK ||
	    add_time(at, "send_time", c->send) != KC_OK)
		goto fail;
	if ((rels = json_object_new_object()) == NULL ||
	    json_add_obj(o, "relationships", rels) != KC_OK ||
	    (rel = relationship("campaigns", c->id, "campaign-messages",
	    1)) == NULL || json_add_obj(rels, "campaign-messages", rel) !=
	    KC_OK || !json_object_object_get_ex(rel, "data", &data) ||
	    arr_add(data, ref_new("campaign-message", c->msg_id)) != KC_OK ||
	    json_add_obj(rels, "tags", relationship("campaigns", c->id,
	    "tags", 1)) != KC_OK)
		goto fail;
	if (res_links(o, "campaigns", c->id) != KC_OK ||
	    (own = json_object_new_object()) == NULL ||
	    json_add_obj(o, "_sbx", own) != KC_OK ||
	    json_add_str(own, "channel", channel_names[c->channel]) !=
	    KC_OK || (owninc = json_object_new_array()) == NULL ||
	    json_add_obj(own, "included", owninc) != KC_OK ||
	    arr_add(owninc, campaign_message_json(a, c)) != KC_OK)
		goto fail;
	return o;
fail:
	json_object_put(o);
	return NULL;
}

static int
gen_campaigns_json(const struct sbx_account *a, struct json_object **out)
{
	struct json_object	*arr;
	size_t			 i;

	*out = NULL;
	if ((arr = json_object_new_array()) == NULL)
		return KC_ERR_NOMEM;
	for (i = 0; i < a->store->ncampaigns; i++)
		if (arr_add(arr, campaign_json(a, &a->store->campaigns[i])) !=
		    KC_OK) {
			json_object_put(arr);
			return KC_ERR_NOMEM;
		}
	*out = arr;
	return KC_OK;
}

static struct json_object *
flow_json(const struct sbx_flow *f)
{
	struct json_object *o, *at, *rels;

	if ((o = res_new("flow", f->id, &at)) == NULL)
		return NULL;
	if (json_add_str(at, "name", f->name) != KC_OK ||
	    json_add_str(at, "status", flow_status_names[f->status]) !=
	    KC_OK || json_add_bool(at, "archived", f->archived) != KC_OK ||
	    add_time(at, "created", f->created) != KC_OK ||
	    add_time(at, "updated", f->updated) != KC_OK ||
	    json_add_str(at, "trigger_type", f->trigger) != KC_OK ||
	    (rels = json_object_new_object()) == NULL ||
	    json_add_obj(o, "relationships", rels) != KC_OK ||
	    json_add_obj(rels, "flow-actions", relationship("flows", f->id,
	    "flow-actions", 1)) != KC_OK ||
	    json_add_obj(rels, "tags", relationship("flows", f->id, "tags",
	    1)) != KC_OK || res_links(o, "flows", f->id) != KC_OK) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static int
gen_flows_json(const struct sbx_account *a, struct json_object **out)
{
	struct json_object	*arr;
	size_t			 i;

	*out = NULL;
	if ((arr = json_object_new_array()) == NULL)
		return KC_ERR_NOMEM;
	for (i = 0; i < a->store->nflows; i++)
		if (arr_add(arr, flow_json(&a->store->flows[i])) != KC_OK) {
			json_object_put(arr);
			return KC_ERR_NOMEM;
		}
	*out = arr;
	return KC_OK;
}

static struct json_object *
segment_json(const struct sbx_segment *s)
{
	struct json_object *o, *at, *rels;

	if ((o = res_new("segment", s->id, &at)) == NULL)
		return NULL;
	if (json_add_str(at, "name", s->name) != KC_OK ||
	    json_add_str(at, "definition", NULL) != KC_OK ||
	    add_time(at, "created", s->created) != KC_OK ||
	    add_time(at, "updated", s->updated) != KC_OK ||
	    json_add_bool(at, "is_active", s->active) != KC_OK ||
	    json_add_bool(at, "is_processing", 0) != KC_OK ||
	    json_add_bool(at, "is_starred", s->starred) != KC_OK ||
	    (rels = json_object_new_object()) == NULL ||
	    json_add_obj(o, "relationships", rels) != KC_OK ||
	    json_add_obj(rels, "profiles", relationship("segments", s->id,
	    "profiles", 0)) != KC_OK ||
	    json_add_obj(rels, "tags", relationship("segments", s->id,
	    "tags", 1)) != KC_OK ||
	    json_add_obj(rels, "flow-triggers", relationship("segments",
	    s->id, "flow-triggers", 1)) != KC_OK ||
	    res_links(o, "segments", s->id) != KC_OK) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static int
gen_segments_json(const struct sbx_account *a, struct json_object **out)
{
	struct json_object	*arr;
	size_t			 i;

	*out = NULL;
	if ((arr = json_object_new_array()) == NULL)
		return KC_ERR_NOMEM;
	for (i = 0; i < a->store->nsegments; i++)
		if (arr_add(arr, segment_json(&a->store->segments[i])) !=
		    KC_OK) {
			json_object_put(arr);
			return KC_ERR_NOMEM;
		}
	*out = arr;
	return KC_OK;
}

static struct json_object *
form_json(const struct sbx_store *st, const struct sbx_form *f)
{
	struct json_object	*o, *at, *rels, *rel, *data;
	size_t			 j;

	if ((o = res_new("form", f->id, &at)) == NULL)
		return NULL;
	if (json_add_str(at, "name", f->name) != KC_OK ||
	    json_add_str(at, "status", f->live ? "live" : "draft") != KC_OK ||
	    json_add_bool(at, "ab_test", f->ab_test) != KC_OK ||
	    add_time(at, "created_at", f->created) != KC_OK ||
	    add_time(at, "updated_at", f->updated) != KC_OK ||
	    (rels = json_object_new_object()) == NULL ||
	    json_add_obj(o, "relationships", rels) != KC_OK ||
	    (rel = relationship("forms", f->id, "form-versions", 1)) == NULL ||
	    json_add_obj(rels, "form-versions", rel) != KC_OK ||
	    !json_object_object_get_ex(rel, "data", &data))
		goto fail;
	for (j = 0; j < f->nver; j++)
		if (arr_add(data, ref_new("form-version",
		    st->vers[f->first_ver + j].id)) != KC_OK)
			goto fail;
	if (res_links(o, "forms", f->id) != KC_OK)
		goto fail;
	return o;
fail:
	json_object_put(o);
	return NULL;
}

static int
gen_forms_json(const struct sbx_account *a, struct json_object **out)
{
	struct json_object	*arr;
	size_t			 i;

	*out = NULL;
	if ((arr = json_object_new_array()) == NULL)
		return KC_ERR_NOMEM;
	for (i = 0; i < a->store->nforms; i++)
		if (arr_add(arr, form_json(a->store, &a->store->forms[i])) !=
		    KC_OK) {
			json_object_put(arr);
			return KC_ERR_NOMEM;
		}
	*out = arr;
	return KC_OK;
}

/* GET /api/campaigns: one channel at a time, as Klaviyo insists. */
static int
handle_campaigns(struct sbx_ctx *ctx, struct sbx_resp *resp)
{
	const struct sbx_filter_field	*f;
	struct sbx_filter		*flt = NULL;
	char *const			*vals;
	const char			*v;
	char				 err[256];
	size_t				 i, n, nch = 0, j;
	unsigned			 op;
	int				 rc, ok = 1;

	if ((v = sbx_query_get(&ctx->q, "filter")) != NULL &&
	    (rc = sbx_filter_parse(v, ctx->ep->filters, &flt, err,
	    sizeof(err))) != KC_OK)
		return rc == KC_ERR_BAD_INPUT ? sbx_reply_error(ctx->app, resp,
		    400, "invalid", "Invalid input.", err, "parameter",
		    "filter") : rc;
	for (i = 0; i < sbx_filter_nconds(flt); i++) {
		sbx_filter_cond(flt, i, &f, &op, &vals, &n);
		if (strcmp(f->field, "messages.channel") != 0)
			continue;
		nch++;
		for (j = 0; j < n; j++)
			if (strcmp(vals[j], "email") != 0 &&
			    strcmp(vals[j], "sms") != 0 &&
			    strcmp(vals[j], "mobile_push") != 0)
				ok = 0;
	}
	sbx_filter_free(flt);
	if (nch != 1 || !ok)
		return sbx_reply_error(ctx->app, resp, 400, "invalid",
		    "Invalid input.", nch == 0 ? "A channel filter is "
		    "required to list campaigns. Please provide either: "
		    "?filter=equals(messages.channel,'email') to list email "
		    "campaigns, or ?filter=equals(messages.channel,'sms') to "
		    "list SMS campaigns, or ?filter=equals(messages.channel,"
		    "'mobile_push') to list mobile push campaigns." : nch > 1 ?
		    "Only one messages.channel filter is allowed." :
		    "messages.channel must be email, sms or mobile_push.",
		    "parameter", "filter");
	return sbx_handle_collection(ctx, resp);
}

/* 1 when the comma-separated list has s. */
static int
list_has(const char *list, const char *s)
{
	size_t		 n = strlen(s);
	const char	*p = list;

	while (p && *p) {
		if (strncmp(p, s, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return 0;
}

/* The resource of a type and id in arr, or NULL. */
static struct json_object *
find_resource(struct json_object *arr, const char *type, const char *id)
{
	struct json_object	*it, *v;
	size_t			 i;

	for (i = 0; arr && i < json_object_array_length(arr); i++) {
		it = json_object_array_get_idx(arr, i);
		if (json_object_object_get_ex(it, "type", &v) &&
		    strcmp(json_object_get_string(v), type) == 0 &&
		    json_object_object_get_ex(it, "id", &v) &&
		    strcmp(json_object_get_string(v), id) == 0)
			return it;
	}
	return NULL;
}

/*
 * GET /api/events: the store's Placed Order events, built per page on
 * demand (20,000 of them would cost too much as JSON).  Default order:
 * oldest first.
 */

struct ev_match {
	const struct sbx_account	*acc;
	const struct sbx_order		*o;
	char				 profile[28];
};

static int
event_get(void *arg, const struct sbx_filter_field *f, const char **s,
    int64_t *n)
{
	struct ev_match	*m = arg;
	const char	*first, *last;

	*s = NULL;
	*n = 0;
	if (strcmp(f->field, "metric_id") == 0) {
		*s = m->acc->order_metric;
		return 1;
	}
	if (strcmp(f->field, "profile_id") == 0) {
		sbx_store_profile(m->acc->store, m->o->profile, m->profile,
		    &first, &last);
		*s = m->profile;
		return 1;
	}
	if (strcmp(f->field, "datetime") == 0 ||
	    strcmp(f->field, "timestamp") == 0) {
		*n = m->o->t;
		return 1;
	}
	return 1;	/* has(profile), has(metric): every event has both */
}

/* A to-one or to-many relationship of an event, data when included. */
static int
event_rel(struct json_object *rels, const char *base, const char *id,
    const char *name, struct json_object *data)
{
	struct json_object	*rel, *links;
	char			 url[400];

	if ((rel = json_object_new_object()) == NULL ||
	    json_add_obj(rels, name, rel) != KC_OK) {
		json_object_put(data);
		return KC_ERR_NOMEM;
	}
	if (data != NULL && json_add_obj(rel, "data", data) != KC_OK)
		return KC_ERR_NOMEM;
	if ((links = json_object_new_object()) == NULL ||
	    json_add_obj(rel, "links", links) != KC_OK)
		return KC_ERR_NOMEM;
	snprintf(url, sizeof(url), "%s/api/events/%s/relationships/%s/", base,
	    id, name);
	if (json_add_str(links, "self", url) != KC_OK)
		return KC_ERR_NOMEM;
	snprintf(url, sizeof(url), "%s/api/events/%s/%s/", base, id, name);
	return json_add_str(links, "related", url);
}

static const char *const send_channels[] = { "email", "sms",
	"push-notification" };

/* Cents as a JSON number with two decimals, exactly. */
static struct json_object *
money(int64_t cents)
{
	char buf[40];

	snprintf(buf, sizeof(buf), "%s%lld.%02lld", cents < 0 ? "-" : "",
	    (long long)(cents < 0 ? -cents : cents) / 100,
	    (long long)(cents < 0 ? -cents : cents) % 100);
	return json_object_new_double_s((double)cents / 100.0, buf);
}

static void
attribution_id(const struct sbx_order *o, char *out, size_t len)
{
	uint64_t a = sbx_mix(sbx_hash(o->id)), b = sbx_mix(a ^ 0xa77);

	snprintf(out, len, "%016llx%016llx", (unsigned long long)a,
	    (unsigned long long)b);
}

static struct json_object *
event_props(const struct sbx_account *a, const struct sbx_order *o)
{
	const struct sbx_store	*st = a->store;
	struct json_object	*p, *at;
	char			 num[16];
	enum sbx_channel	 ch;

	snprintf(num, sizeof(num), "%u", o->number);
	if ((p = json_object_new_object()) == NULL)
		return NULL;
	if (json_add_str(p, "$event_id", num) != KC_OK ||
	    json_add_obj(p, "$value", money(o->cents)) != KC_OK ||
	    json_add_str(p, "$currency_code", a->def->currency) != KC_OK ||
	    json_add_str(p, "OrderId", num) != KC_OK ||
	    json_add_int(p, "ItemCount", 1 + o->cents % 4) != KC_OK ||
	    json_add_str(p, "Source Name", o->cents % 5 ? "web" : "pos") !=
	    KC_OK)
		goto fail;
	if (o->kind == SBX_OK_NONE)
		return p;
	if ((at = json_object_new_object()) == NULL ||
	    json_add_obj(p, "$attribution", at) != KC_OK)
		goto fail;
	if (o->kind == SBX_OK_CAMPAIGN) {
		const struct sbx_campaign *c = &st->campaigns[o->target];

		ch = c->channel;
		if (json_add_str(at, "$campaign", c->id) != KC_OK ||
		    json_add_str(at, "$message", c->msg_id) != KC_OK)
			goto fail;
	} else {
		const struct sbx_flow_msg *m = &st->msgs[o->target];

		ch = m->channel;
		if (json_add_str(at, "$flow", st->flows[m->flow].id) != KC_OK ||
		    json_add_str(at, "$message", m->id) != KC_OK)
			goto fail;
	}
	if (json_add_str(at, "$attributed_channel", send_channels[ch]) !=
	    KC_OK || json_add_int(at, "$send_ts", o->send_ts) != KC_OK)
		goto fail;
	return p;
fail:
	json_object_put(p);
	return NULL;
}

static struct json_object *
event_json(const struct sbx_ctx *ctx, const struct sbx_order *o,
    const char *include)
{
	const struct sbx_account	*a = ctx->acc;
	struct json_object		*ev, *at, *rels, *links, *arr;
	const char			*first, *last, *fields;
	char				 buf[400], pid[28], aid[40];
	int				 inc_p, inc_m, inc_a;

	inc_p = include && list_has(include, "profile");
	inc_m = include && list_has(include, "metric");
	inc_a = include && list_has(include, "attributions");
	if ((ev = res_new("event", o->id, &at)) == NULL)
		return NULL;
	sbx_fmt_time(o->t, buf, sizeof(buf));
	if (json_add_int(at, "timestamp", o->t) != KC_OK ||
	    json_add_obj(at, "event_properties", event_props(a, o)) !=
	    KC_OK || json_add_str(at, "datetime", buf) != KC_OK ||
	    json_add_str(at, "uuid", o->uuid) != KC_OK)
		goto fail;
	if ((rels = json_object_new_object()) == NULL ||
	    json_add_obj(ev, "relationships", rels) != KC_OK)
		goto fail;
	sbx_store_profile(a->store, o->profile, pid, &first, &last);
	if (event_rel(rels, ctx->base, o->id, "profile", inc_p ?
	    ref_new("profile", pid) : NULL) != KC_OK ||
	    event_rel(rels, ctx->base, o->id, "metric", inc_m ?
	    ref_new("metric", a->order_metric) : NULL) != KC_OK)
		goto fail;
	arr = NULL;
	if (inc_a) {
		if ((arr = json_object_new_array()) == NULL)
			goto fail;
		attribution_id(o, aid, sizeof(aid));
		if (o->kind != SBX_OK_NONE &&
		    arr_add(arr, ref_new("attribution", aid)) != KC_OK) {
			json_object_put(arr);
			goto fail;
		}
	}
	if (event_rel(rels, ctx->base, o->id, "attributions", arr) != KC_OK)
		goto fail;
	snprintf(buf, sizeof(buf), "%s/api/events/%s/", ctx->base, o->id);
	if ((links = json_object_new_object()) == NULL ||
	    json_add_obj(ev, "links", links) != KC_OK ||
	    json_add_str(links, "self", buf) != KC_OK)
		goto fail;
	if ((fields = sbx_query_get(&ctx->q, "fields[event]")) != NULL &&
	    sbx_fields_prune(at, fields) != KC_OK)
		goto fail;
	return ev;
fail:
	json_object_put(ev);
	return NULL;
}

static struct json_object *
profile_json(const struct sbx_ctx *ctx, const struct sbx_order *o)
{
	const struct sbx_store	*st = ctx->acc->store;
	struct json_object	*p, *at, *links;
	const char		*first, *last, *fields;
	char			 id[28], buf[400], t[40];

	sbx_store_profile(st, o->profile, id, &first, &last);
	if ((p = json_object_new_object()) == NULL)
		return NULL;
	snprintf(buf, sizeof(buf), "%s.%s.%u@example.com", first, last,
	    o->profile);
	for (char *c = buf; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	sbx_fmt_time(st->day_utc[0] - 86400 * (int64_t)(o->profile % 400),
	    t, sizeof(t));
	if (json_add_str(p, "type", "profile") != KC_OK ||
	    json_add_str(p, "id", id) != KC_OK ||
	    (at = json_object_new_object()) == NULL ||
	    json_add_obj(p, "attributes", at) != KC_OK ||
	    json_add_str(at, "email", buf) != KC_OK ||
	    json_add_str(at, "first_name", first) != KC_OK ||
	    json_add_str(at, "last_name", last) != KC_OK ||
	    json_add_str(at, "created", t) != KC_OK ||
	    json_add_str(at, "updated", t) != KC_OK ||
	    json_add_obj(at, "properties", json_object_new_object()) != KC_OK)
		goto fail;
	snprintf(buf, sizeof(buf), "%s/api/profiles/%s/", ctx->base, id);
	if ((links = json_object_new_object()) == NULL ||
	    json_add_obj(p, "links", links) != KC_OK ||
	    json_add_str(links, "self", buf) != KC_OK)
		goto fail;
	if ((fields = sbx_query_get(&ctx->q, "fields[profile]")) != NULL &&
	    sbx_fields_prune(at, fields) != KC_OK)
		goto fail;
	return p;
fail:
	json_object_put(p);
	return NULL;
}

/* {"data": {"type": type, "id": id}} */
static struct json_object *
to_one(const char *type, const char *id)
{
	struct json_object *o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (json_add_obj(o, "data", ref_new(type, id)) != KC_OK) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *
attribution_json(const struct sbx_ctx *ctx, const struct sbx_order *o)
{
	const struct sbx_store	*st = ctx->acc->store;
	struct json_object	*p, *rels, *links;
	char			 id[40], buf[400];

	attribution_id(o, id, sizeof(id));
	if ((p = json_object_new_object()) == NULL)
		return NULL;
	if (json_add_str(p, "type", "attribution") != KC_OK ||
	    json_add_str(p, "id", id) != KC_OK ||
	    (rels = json_object_new_object()) == NULL ||
	    json_add_obj(p, "relationships", rels) != KC_OK ||
	    json_add_obj(rels, "event", to_one("event", o->id)) != KC_OK)
		goto fail;
	if (o->kind == SBX_OK_CAMPAIGN) {
		const struct sbx_campaign *c = &st->campaigns[o->target];

		if (json_add_obj(rels, "campaign", to_one("campaign",
		    c->id)) != KC_OK || json_add_obj(rels, "campaign-message",
		    to_one("campaign-message", c->msg_id)) != KC_OK)
			goto fail;
	} else {
		const struct sbx_flow_msg *m = &st->msgs[o->target];

		if (json_add_obj(rels, "flow", to_one("flow",
		    st->flows[m->flow].id)) != KC_OK ||
		    json_add_obj(rels, "flow-message", to_one("flow-message",
		    m->id)) != KC_OK)
			goto fail;
	}
	snprintf(buf, sizeof(buf), "%s/api/attributions/%s/", ctx->base, id);
	if ((links = json_object_new_object()) == NULL ||
	    json_add_obj(p, "links", links) != KC_OK ||
	    json_add_str(links, "self", buf) != KC_OK)
		goto fail;
	return p;
fail:
	json_object_put(p);
	return NULL;
}

/* Adds what a page of events includes: the metric, profiles, attributions. */
static int
events_included(const struct sbx_ctx *ctx, const size_t *idx, size_t off,
    size_t end, const char *include, struct json_object *included)
{
	const struct sbx_store	*st = ctx->acc->store;
	struct json_object	*m;
	size_t			 i, j;
	int			 dup;

	if (list_has(include, "metric") && (m = find_resource(
	    sbx_account_coll(ctx->acc, "metric"), "metric",
	    ctx->acc->order_metric)) != NULL && arr_add(included,
	    sbx_answer_copy(ctx, m, NULL)) != KC_OK)
		return KC_ERR_NOMEM;
	for (i = off; i < end && list_has(include, "profile"); i++) {
		for (j = off, dup = 0; j < i && !dup; j++)
			dup = st->orders[idx[j]].profile ==
			    st->orders[idx[i]].profile;
		if (!dup && arr_add(included, profile_json(ctx,
		    &st->orders[idx[i]])) != KC_OK)
			return KC_ERR_NOMEM;
	}
	for (i = off; i < end && list_has(include, "attributions"); i++)
		if (st->orders[idx[i]].kind != SBX_OK_NONE && arr_add(included,
		    attribution_json(ctx, &st->orders[idx[i]])) != KC_OK)
			return KC_ERR_NOMEM;
	return KC_OK;
}

static int
handle_events(struct sbx_ctx *ctx, struct sbx_resp *resp)
{
	const struct sbx_store	*st = ctx->acc->store;
	struct sbx_filter	*flt = NULL;
	struct ev_match		 m;
	struct json_object	*doc = NULL, *data, *links, *included;
	size_t			*idx = NULL, n = 0, i, off = 0, size, end;
	const char		*v, *include, *sort;
	char			 err[256], cur[64], *url = NULL;
	int			 rc = KC_ERR_NOMEM, desc = 0;

	if ((v = sbx_query_get(&ctx->q, "filter")) != NULL &&
	    (rc = sbx_filter_parse(v, ctx->ep->filters, &flt, err,
	    sizeof(err))) != KC_OK)
		return rc;	/* checked before: only out of memory */
	rc = KC_ERR_NOMEM;
	if (st->norders > 0 && (idx = calloc(st->norders,
	    sizeof(*idx))) == NULL)
		goto out;
	m.acc = ctx->acc;
	for (i = 0; i < st->norders; i++) {
		m.o = &st->orders[i];
		if (ctx->acc->order_metric[0] != '\0' &&
		    sbx_filter_match_fn(flt, event_get, &m))
			idx[n++] = i;
	}
	if ((sort = sbx_query_get(&ctx->q, "sort")) != NULL && *sort == '-')
		desc = 1;
	if (desc)
		for (i = 0; i < n / 2; i++) {
			size_t t = idx[i];

			idx[i] = idx[n - 1 - i];
			idx[n - 1 - i] = t;
		}
	size = (size_t)ctx->ep->page_size;
	if ((v = sbx_query_get(&ctx->q, "page[size]")) != NULL)
		size = (size_t)strtoll(v, NULL, 10);	/* checked before */
	if ((v = sbx_query_get(&ctx->q, "page[cursor]")) != NULL &&
	    *v != '\0' && sbx_cursor_parse(v, &off) != KC_OK)
		off = 0;
	if (off > n)
		off = n;
	end = off + size < n ? off + size : n;
	include = sbx_query_get(&ctx->q, "include");
	if ((doc = json_object_new_object()) == NULL ||
	    (data = json_object_new_array()) == NULL ||
	    json_add_obj(doc, "data", data) != KC_OK)
		goto out;
	for (i = off; i < end; i++)
		if (arr_add(data, event_json(ctx, &st->orders[idx[i]],
		    include)) != KC_OK)
			goto out;
	if ((links = json_object_new_object()) == NULL ||
	    json_add_obj(doc, "links", links) != KC_OK)
		goto out;
	if ((rc = sbx_page_link(ctx, "page[cursor]", NULL, &url)) != KC_OK ||
	    (rc = json_add_str(links, "self", url)) != KC_OK)
		goto out;
	free(url);
	url = NULL;
	if (end < n) {
		sbx_cursor_make(end, cur, sizeof(cur));
		if ((rc = sbx_page_link(ctx, "page[cursor]", cur, &url)) !=
		    KC_OK || (rc = json_add_str(links, "next", url)) != KC_OK)
			goto out;
		free(url);
		url = NULL;
	}
	if (off > 0) {
		sbx_cursor_make(off > size ? off - size : 0, cur, sizeof(cur));
		if ((rc = sbx_page_link(ctx, "page[cursor]", cur, &url)) !=
		    KC_OK || (rc = json_add_str(links, "prev", url)) != KC_OK)
			goto out;
		free(url);
		url = NULL;
	}
	rc = KC_ERR_NOMEM;
	if (include != NULL) {
		if ((included = json_object_new_array()) == NULL ||
		    json_add_obj(doc, "included", included) != KC_OK)
			goto out;
		if ((rc = events_included(ctx, idx, off, end, include,
		    included)) != KC_OK)
			goto out;
	}
	rc = sbx_reply_json(resp, 200, doc);
out:
	free(url);
	free(idx);
	sbx_filter_free(flt);
	json_object_put(doc);
	return rc;
}

/*
 * The reporting endpoints (POST /api/{campaign,flow,form,segment}-values-
 * reports and /api/{flow,form,segment}-series-reports).  A request body
 * is checked against the spec's DTOs, every violation becoming one
 * errors[] entry of a 400;
 * then the account's store is summed per group over the time frame
 * (values) or per bucket of the interval (series).
 *
 * Time frames are read on the account's wall clock: a custom start and
 * end lose their offset, as at Klaviyo.  Campaigns count by send time
 * (a campaign is in a time frame when it was sent in it, with all its
 * conversions); flows, forms and segments by the time things happened.
 */

enum rpt_kind { RK_CAMPAIGN, RK_FLOW, RK_FORM, RK_SEGMENT };

struct rpt_def {
	const char			*type;
	enum rpt_kind			 kind;
	int				 series;
	const char *const		*stats;
	const char *const		*groups;	/* NULL: no group_by */
	const char *const		*required;	/* in any group_by */
	const char *const		*defaults;	/* without group_by */
	const struct sbx_filter_field	*filters;
	int				 conversion;	/* metric required */
	int				 paged;		/* page_cursor */
};

#define RPT_PAGE	100	/* results per page (page_cursor) */
#define RPT_STATS_MAX	40
#define RPT_GROUPS_MAX	12
#define RPT_ERRORS_MAX	20
/* group_by on campaign and flow reports: from revision 2025-10-15. */
#define RPT_GROUP_BY_SINCE	"2025-10-15"
/* Segment report data begins on 2023-06-01. */
#define RPT_SEGMENT_DATA_FROM	"2023-06-01"

static const char *const stats_messages[] = {
	"average_order_value", "bounce_rate", "bounced", "bounced_or_failed",
	"bounced_or_failed_rate", "click_rate", "click_to_open_rate",
	"clicks", "clicks_unique", "conversion_rate", "conversion_uniques",
	"conversion_value", "conversions", "delivered", "delivery_rate",
	"failed", "failed_rate", "message_segment_count_sum", "open_rate",
	"opens", "opens_unique", "recipients", "revenue_per_recipient",
	"spam_complaint_rate", "spam_complaints",
	"text_message_credit_usage_amount", "text_message_roi",
	"text_message_spend", "unsubscribe_rate", "unsubscribe_uniques",
	"unsubscribes", NULL
};
static const char *const groups_campaign[] = {
	"campaign_id", "campaign_message_id", "campaign_message_name",
	"group", "group_name", "send_channel", "tag_id", "tag_name",
	"text_message_format", "variation", "variation_name", NULL
};
static const char *const groups_flow[] = {
	"flow_id", "flow_message_id", "flow_message_name", "flow_name",
	"send_channel", "tag_id", "tag_name", "text_message_format",
	"variation", "variation_name", NULL
};
static const char *const stats_forms[] = {
	"closed_form", "closed_form_uniques", "qualified_form",
	"qualified_form_uniques", "submit_rate", "submits",
	"submitted_form_step", "submitted_form_step_uniques", "viewed_form",
	"viewed_form_step", "viewed_form_step_uniques", "viewed_form_uniques",
	NULL
};
static const char *const groups_form[] = {
	"form_id", "form_version_id", NULL
};
static const char *const stats_segments[] = {
	"members_added", "members_removed", "net_members_changed",
	"total_members", NULL
};
static const char *const timeframe_keys[] = {
	"last_12_months", "last_30_days", "last_365_days", "last_3_months",
	"last_7_days", "last_90_days", "last_month", "last_week", "last_year",
	"this_month", "this_week", "this_year", "today", "yesterday", NULL
};
static const char *const req_campaign[] = { "campaign_id",
	"campaign_message_id", NULL };
static const char *const def_campaign[] = { "campaign_id",
	"campaign_message_id", "send_channel", NULL };
static const char *const req_flow[] = { "flow_id", "flow_message_id",
	NULL };
static const char *const def_flow[] = { "flow_id", "flow_message_id",
	"send_channel", NULL };
static const char *const def_form[] = { "form_id", NULL };
static const char *const def_segment[] = { "segment_id", NULL };
static const char *const send_channel_values[] = { "email", "sms",
	"push-notification", "whatsapp", NULL };

#define RPT_SCALAR	SBX_OP_EQUALS, SBX_OP_CONTAINS_ANY | SBX_OP_ANY
#define RPT_LIST	0, SBX_OP_CONTAINS_ANY | SBX_OP_CONTAINS_ALL

static const struct sbx_filter_field f_rpt_campaign[] = {
	{ "send_channel", RPT_SCALAR, SBX_V_STRING, NULL },
	{ "campaign_id", RPT_SCALAR, SBX_V_STRING, NULL },
	{ "campaign_message_id", RPT_SCALAR, SBX_V_STRING, NULL },
	{ "campaign_message_name", RPT_SCALAR, SBX_V_STRING, NULL },
	{ "variation", RPT_SCALAR, SBX_V_STRING, NULL },
	{ "variation_name", RPT_SCALAR, SBX_V_STRING, NULL },
	{ "text_message_format", RPT_SCALAR, SBX_V_STRING, NULL },
	{ "tag_id", RPT_LIST, SBX_V_STRING, NULL },
	{ "tag_name", RPT_LIST, SBX_V_STRING, NULL },
	{ NULL, 0, 0, SBX_V_STRING, NULL }
};
static const struct sbx_filter_field f_rpt_flow[] = {
	{ "flow_id", RPT_SCALAR, SBX_V_STRING, NULL },
	{ "flow_name", RPT_SCALAR, SBX_V_STRING, NULL },
	{ "send_channel", RPT_SCALAR, SBX_V_STRING, NULL },
	{ "flow_message_id", RPT_SCALAR, SBX_V_STRING, NULL },
	{ "flow_message_name", RPT_SCALAR, SBX_V_STRING, NULL },
	{ "text_message_format", RPT_SCALAR, SBX_V_STRING, NULL },
	{ "variation", RPT_SCALAR, SBX_V_STRING, NULL },
	{ "variation_name", RPT_SCALAR, SBX_V_STRING, NULL },
	{ "tag_id", RPT_LIST, SBX_V_STRING, NULL },
	{ "tag_name", RPT_LIST, SBX_V_STRING, NULL },
	{ NULL, 0, 0, SBX_V_STRING, NULL }
};
static const struct sbx_filter_field f_rpt_form[] = {
	{ "form_id", SBX_OP_EQUALS, SBX_OP_ANY, SBX_V_STRING, NULL },
	{ "form_version_id", SBX_OP_EQUALS, SBX_OP_ANY, SBX_V_STRING, NULL },
	{ NULL, 0, 0, SBX_V_STRING, NULL }
};
static const struct sbx_filter_field f_rpt_segment[] = {
	{ "segment_id", SBX_OP_EQUALS, SBX_OP_ANY, SBX_V_STRING, NULL },
	{ NULL, 0, 0, SBX_V_STRING, NULL }
};

static const struct rpt_def rpt_defs[] = {
	{ "campaign-values-report", RK_CAMPAIGN, 0, stats_messages,
	  groups_campaign, req_campaign, def_campaign, f_rpt_campaign, 1, 1 },
	{ "flow-values-report", RK_FLOW, 0, stats_messages, groups_flow,
	  req_flow, def_flow, f_rpt_flow, 1, 1 },
	{ "flow-series-report", RK_FLOW, 1, stats_messages, groups_flow,
	  req_flow, def_flow, f_rpt_flow, 1, 1 },
	{ "form-values-report", RK_FORM, 0, stats_forms, groups_form, NULL,
	  def_form, f_rpt_form, 0, 0 },
	{ "form-series-report", RK_FORM, 1, stats_forms, groups_form, NULL,
	  def_form, f_rpt_form, 0, 0 },
	{ "segment-values-report", RK_SEGMENT, 0, stats_segments, NULL, NULL,
	  def_segment, f_rpt_segment, 0, 0 },
	{ "segment-series-report", RK_SEGMENT, 1, stats_segments, NULL, NULL,
	  def_segment, f_rpt_segment, 0, 0 },
};

static int
in_list(const char *const *list, const char *s)
{
	for (; list && *list; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

/* A checked request. */
struct rpt_req {
	const struct rpt_def	*def;
	const char		*stat[RPT_STATS_MAX];
	size_t			 nstat;
	int64_t			 start, end;	/* UTC */
	int64_t			 wstart, wend;	/* the account's clock */
	enum sbx_interval	 iv;
	int			 orders;	/* conversions are our orders */
	const char		*group[RPT_GROUPS_MAX];
	size_t			 ngroup;
	struct sbx_filter	*filter;
	uint32_t		 tag;		/* of the request: cursors */
	size_t			 offset;
};

struct rpt_errs {
	struct sbx_ctx		*ctx;
	struct json_object	*arr;
	int			 oom;
};

static void
rpt_err(struct rpt_errs *e, const char *pointer, const char *fmt, ...)
	KC_PRINTF(3, 4);

static void
rpt_err(struct rpt_errs *e, const char *pointer, const char *fmt, ...)
{
	char	 detail[512];
	va_list	 ap;
	int	 param = pointer[0] != '/';

	if (json_object_array_length(e->arr) >= RPT_ERRORS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (arr_add(e->arr, sbx_error_new(e->ctx->app, 400, "invalid",
	    "Invalid input.", detail, param ? "parameter" : "pointer",
	    pointer)) != KC_OK)
		e->oom = 1;
}

static void
hash_str(uint32_t *h, const char *s)
{
	for (; s && *s; s++) {
		*h ^= (unsigned char)*s;
		*h *= 16777619u;
	}
	*h ^= 0xff;
	*h *= 16777619u;
}

static void
check_statistics(struct rpt_errs *e, struct json_object *v,
    struct rpt_req *r)
{
	struct json_object	*it;
	char			 ptr[64];
	size_t			 i, j, n;
	const char		*s;
	int			 dup;

	if (v == NULL) {
		rpt_err(e, "/data/attributes/statistics", "'statistics' is "
		    "required");
		return;
	}
	if (!json_object_is_type(v, json_type_array) ||
	    (n = json_object_array_length(v)) == 0) {
		rpt_err(e, "/data/attributes/statistics", "'statistics' must "
		    "be a non-empty array of statistic names");
		return;
	}
	for (i = 0; i < n; i++) {
		it = json_object_array_get_idx(v, i);
		snprintf(ptr, sizeof(ptr), "/data/attributes/statistics/%zu",
		    i);
		if (!json_object_is_type(it, json_type_string) ||
		    !in_list(r->def->stats, s = json_object_get_string(it))) {
			rpt_err(e, ptr, "'%.64s' is not a valid statistic for "
			    "%s", json_object_is_type(it, json_type_string) ?
			    json_object_get_string(it) : "(not a string)",
			    r->def->type);
			continue;
		}
		for (j = 0, dup = 0; j < r->nstat; j++)
			dup |= strcmp(r->stat[j], s) == 0;
		if (!dup && r->nstat < RPT_STATS_MAX)
			r->stat[r->nstat++] = s;
	}
}

/* Longer than the spec allows for the interval?  0 when fine. */
static const char *
too_long(enum sbx_interval iv, int64_t wstart, int64_t wend)
{
	int64_t len = wend - wstart;

	if (wend > sbx_wall_add_months(wstart, 12))
		return "The timeframe cannot be longer than 1 year";
	if (iv == SBX_IV_HOURLY && len > 7 * 86400)
		return "With an hourly interval the timeframe cannot be "
		    "longer than 7 days";
	if (iv == SBX_IV_DAILY && len > 60 * 86400)
		return "With a daily interval the timeframe cannot be longer "
		    "than 60 days";
	if (iv == SBX_IV_MONTHLY && len > 52 * 7 * 86400)
		return "With a monthly interval the timeframe cannot be longer "
		    "than 52 weeks";
	return NULL;
}

static int
check_timeframe(struct rpt_errs *e, struct json_object *v,
    struct rpt_req *r)
{
	struct json_object	*k, *s, *t;
	int64_t			 floor_wall;
	const char		*why;

	if (v == NULL) {
		rpt_err(e, "/data/attributes/timeframe", "'timeframe' is "
		    "required");
		return 0;
	}
	if (!json_object_is_type(v, json_type_object)) {
		rpt_err(e, "/data/attributes/timeframe", "'timeframe' must be "
		    "an object: {\"key\": ...} or {\"start\": ..., \"end\": "
		    "...}");
		return 0;
	}
	json_object_object_foreach(v, name, val) {
		(void)val;
		if (strcmp(name, "key") != 0 && strcmp(name, "start") != 0 &&
		    strcmp(name, "end") != 0) {
			rpt_err(e, "/data/attributes/timeframe", "'%.64s' is "
			    "not a member of a timeframe", name);
			return 0;
		}
	}
	if (json_object_object_get_ex(v, "key", &k)) {
		if (json_object_object_length(v) != 1) {
			rpt_err(e, "/data/attributes/timeframe", "A timeframe "
			    "has either 'key' or 'start' and 'end'");
			return 0;
		}
		if (!json_object_is_type(k, json_type_string) ||
		    !in_list(timeframe_keys, json_object_get_string(k)) ||
		    sbx_timeframe_key(json_object_get_string(k),
		    e->ctx->acc->today, &r->wstart, &r->wend) != KC_OK) {
			rpt_err(e, "/data/attributes/timeframe/key", "'%.64s' "
			    "is not a valid timeframe key",
			    json_object_get_string(k));
			return 0;
		}
	} else {
		if (!json_object_object_get_ex(v, "start", &s) ||
		    !json_object_object_get_ex(v, "end", &t)) {
			rpt_err(e, "/data/attributes/timeframe", "A custom "
			    "timeframe needs both 'start' and 'end'");
			return 0;
		}
		if (!json_object_is_type(s, json_type_string) ||
		    sbx_parse_wallclock(json_object_get_string(s),
		    &r->wstart) != KC_OK) {
			rpt_err(e, "/data/attributes/timeframe/start",
			    "'start' must be a date-time such as "
			    "2025-01-01T00:00:00+00:00");
			return 0;
		}
		if (!json_object_is_type(t, json_type_string) ||
		    sbx_parse_wallclock(json_object_get_string(t),
		    &r->wend) != KC_OK) {
			rpt_err(e, "/data/attributes/timeframe/end", "'end' "
			    "must be a date-time such as "
			    "2025-01-01T00:00:00+00:00");
			return 0;
		}
		if (r->wend <= r->wstart) {
			rpt_err(e, "/data/attributes/timeframe",
			    "'end' must be after 'start'");
			return 0;
		}
	}
	if ((why = too_long(SBX_IV_NONE, r->wstart, r->wend)) != NULL) {
		rpt_err(e, "/data/attributes/timeframe", "%s", why);
		return 0;
	}
	if (r->def->kind == RK_SEGMENT) {
		if (sbx_parse_wallclock(RPT_SEGMENT_DATA_FROM, &floor_wall) !=
		    KC_OK || r->wstart < floor_wall) {
			rpt_err(e, "/data/attributes/timeframe", "Data is "
			    "unavailable before June 1st, 2023. Please use a "
			    "time frame after this date.");
			return 0;
		}
	}
	r->start = sbx_tz_to_utc(e->ctx->acc->tz, r->wstart);
	r->end = sbx_tz_to_utc(e->ctx->acc->tz, r->wend);
	return 1;
}

static void
check_group_by(struct rpt_errs *e, struct json_object *v,
    struct rpt_req *r)
{
	struct json_object	*it;
	const char *const	*q;
	const char		*s, *rev;
	char			 ptr[64];
	size_t			 i, j, n;
	int			 bad = 0;

	if (v == NULL || json_object_is_type(v, json_type_null))
		return;
	rev = sbx_req_header(e->ctx->req, "revision");
	if (r->def->kind != RK_FORM && sbx_revision_days(rev) <
	    sbx_revision_days(RPT_GROUP_BY_SINCE)) {
		rpt_err(e, "/data/attributes/group_by", "group_by is available "
		    "from revision %s; this request has revision %.32s",
		    RPT_GROUP_BY_SINCE, rev ? rev : "(none)");
		return;
	}
	if (!json_object_is_type(v, json_type_array) ||
	    (n = json_object_array_length(v)) == 0) {
		rpt_err(e, "/data/attributes/group_by", "'group_by' must be a "
		    "non-empty array (or null)");
		return;
	}
	r->ngroup = 0;
	for (i = 0; i < n; i++) {
		it = json_object_array_get_idx(v, i);
		snprintf(ptr, sizeof(ptr), "/data/attributes/group_by/%zu", i);
		if (!json_object_is_type(it, json_type_string) ||
		    !in_list(r->def->groups, s = json_object_get_string(it))) {
			rpt_err(e, ptr, "'%.64s' is not a valid group_by for "
			    "%s", json_object_is_type(it, json_type_string) ?
			    json_object_get_string(it) : "(not a string)",
			    r->def->type);
			bad = 1;
			continue;
		}
		for (j = 0; j < r->ngroup; j++)
			if (strcmp(r->group[j], s) == 0) {
				rpt_err(e, ptr, "'%s' is given twice", s);
				bad = 1;
			}
		if (r->ngroup < RPT_GROUPS_MAX)
			r->group[r->ngroup++] = s;
	}
	if (bad)
		return;
	for (q = r->def->required; q && *q; q++) {
		for (j = 0; j < r->ngroup && strcmp(r->group[j], *q) != 0; j++)
			;
		if (j == r->ngroup)
			rpt_err(e, "/data/attributes/group_by", "group_by must "
			    "include %s", *q);
	}
	if (r->def->kind == RK_FORM) {
		for (j = 0; j < r->ngroup && strcmp(r->group[j], "form_id") !=
		    0; j++)
			;
		if (j == r->ngroup)
			rpt_err(e, "/data/attributes/group_by",
			    "form_version_id needs form_id in group_by too");
	}
}

static void
check_filter(struct rpt_errs *e, struct json_object *v, struct rpt_req *r)
{
	const struct sbx_filter_field	*f, *g;
	char *const			*vals;
	char				 err[300];
	size_t				 i, j, n, m;
	unsigned			 op;
	int				 rc;

	if (v == NULL || json_object_is_type(v, json_type_null))
		return;
	if (!json_object_is_type(v, json_type_string)) {
		rpt_err(e, "/data/attributes/filter", "'filter' must be a "
		    "string");
		return;
	}
	if ((rc = sbx_filter_parse(json_object_get_string(v), r->def->filters,
	    &r->filter, err, sizeof(err))) != KC_OK) {
		if (rc == KC_ERR_NOMEM)
			e->oom = 1;
		else
			rpt_err(e, "/data/attributes/filter", "%s", err);
		return;
	}
	for (i = 0; i < sbx_filter_nconds(r->filter); i++) {
		sbx_filter_cond(r->filter, i, &f, &op, &vals, &n);
		for (j = 0; j < i; j++) {
			sbx_filter_cond(r->filter, j, &g, &op, &vals, &m);
			if (g == f) {
				rpt_err(e, "/data/attributes/filter",
				    "Only one filter can be used per attribute "
				    "('%s')", f->field);
				return;
			}
		}
		sbx_filter_cond(r->filter, i, &f, &op, &vals, &n);
		if (strcmp(f->field, "send_channel") != 0)
			continue;
		for (j = 0; j < n; j++)
			if (!in_list(send_channel_values, vals[j]))
				rpt_err(e, "/data/attributes/filter",
				    "'%.64s' is not a send_channel: use email, "
				    "sms, push-notification or whatsapp",
				    vals[j]);
	}
}

static int
metric_exists(const struct sbx_account *a, const char *id)
{
	struct json_object	*arr = sbx_account_coll(a, "metric"), *it, *v;
	size_t			 i;

	for (i = 0; arr && i < json_object_array_length(arr); i++) {
		it = json_object_array_get_idx(arr, i);
		if (json_object_object_get_ex(it, "id", &v) &&
		    strcmp(json_object_get_string(v), id) == 0)
			return 1;
	}
	return 0;
}

/*
 * Checks the body and the page_cursor; fills r.  On a violation answers
 * 400 with every violation found and returns KC_ERR_BAD_INPUT.
 */
static int
rpt_parse(struct sbx_ctx *ctx, struct sbx_resp *resp,
    struct json_object **bodyp, struct rpt_req *r)
{
	static const char *const common[] = { "statistics", "timeframe",
	    "filter", NULL };
	struct rpt_errs		 e;
	struct json_object	*body = NULL, *data, *v, *at;
	const char		*s, *why;
	char			 err[256];
	size_t			 i;
	int			 rc = KC_OK, tf_ok;

	*bodyp = NULL;
	e.ctx = ctx;
	e.oom = 0;
	if ((e.arr = json_object_new_array()) == NULL)
		return KC_ERR_NOMEM;
	if (ctx->req->body_len == 0) {
		rpt_err(&e, "/data", "A request body is required: "
		    "{\"data\": {\"type\": \"%s\", \"attributes\": {...}}}",
		    r->def->type);
		goto done;
	}
	if (json_parse_object(ctx->req->body, ctx->req->body_len, &body, err,
	    sizeof(err)) != KC_OK) {
		rpt_err(&e, "/", "The body is not a JSON object: %s", err);
		goto done;
	}
	*bodyp = body;
	if (!json_object_object_get_ex(body, "data", &data) ||
	    !json_object_is_type(data, json_type_object)) {
		rpt_err(&e, "/data", "'data' must be an object");
		goto done;
	}
	if (!json_object_object_get_ex(data, "type", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), r->def->type) != 0)
		rpt_err(&e, "/data/type", "'type' must be '%s'",
		    r->def->type);
	if (!json_object_object_get_ex(data, "attributes", &at) ||
	    !json_object_is_type(at, json_type_object)) {
		rpt_err(&e, "/data/attributes", "'attributes' must be an "
		    "object");
		goto done;
	}
	json_object_object_foreach(at, name, val) {
		char ptr[160];

		(void)val;
		if (in_list(common, name) ||
		    (r->def->series && strcmp(name, "interval") == 0) ||
		    (r->def->conversion && strcmp(name,
		    "conversion_metric_id") == 0) ||
		    (r->def->groups && strcmp(name, "group_by") == 0))
			continue;
		snprintf(ptr, sizeof(ptr), "/data/attributes/%.64s", name);
		rpt_err(&e, ptr, "'%.64s' is not an attribute of %s", name,
		    r->def->type);
	}
	check_statistics(&e, json_object_object_get_ex(at, "statistics",
	    &v) ? v : NULL, r);
	tf_ok = check_timeframe(&e, json_object_object_get_ex(at,
	    "timeframe", &v) ? v : NULL, r);
	if (r->def->series) {
		if (!json_object_object_get_ex(at, "interval", &v))
			rpt_err(&e, "/data/attributes/interval", "'interval' "
			    "is required: hourly, daily, weekly or monthly");
		else if (!json_object_is_type(v, json_type_string) ||
		    sbx_interval_parse(json_object_get_string(v), &r->iv) !=
		    KC_OK)
			rpt_err(&e, "/data/attributes/interval", "'interval' "
			    "must be hourly, daily, weekly or monthly");
		else if (tf_ok && (why = too_long(r->iv, r->wstart,
		    r->wend)) != NULL)
			rpt_err(&e, "/data/attributes/timeframe", "%s", why);
	}
	if (r->def->conversion) {
		if (!json_object_object_get_ex(at, "conversion_metric_id",
		    &v) || !json_object_is_type(v, json_type_string))
			rpt_err(&e, "/data/attributes/conversion_metric_id",
			    "'conversion_metric_id' is required: the id of a "
			    "metric such as Placed Order");
		else if (!metric_exists(ctx->acc, s = json_object_get_string(
		    v)))
			rpt_err(&e, "/data/attributes/conversion_metric_id",
			    "Metric '%.64s' does not exist in this account", s);
		else
			r->orders = strcmp(s, ctx->acc->order_metric) == 0;
	}
	if (r->def->groups)
		check_group_by(&e, json_object_object_get_ex(at, "group_by",
		    &v) ? v : NULL, r);
	check_filter(&e, json_object_object_get_ex(at, "filter", &v) ? v :
	    NULL, r);
	if (r->ngroup == 0)
		for (i = 0; r->def->defaults[i]; i++)
			r->group[r->ngroup++] = r->def->defaults[i];
	/* What a page_cursor must belong to. */
	r->tag = 2166136261u;
	hash_str(&r->tag, r->def->type);
	for (i = 0; i < r->nstat; i++)
		hash_str(&r->tag, r->stat[i]);
	for (i = 0; i < r->ngroup; i++)
		hash_str(&r->tag, r->group[i]);
	snprintf(err, sizeof(err), "%lld %lld %d %d", (long long)r->start,
	    (long long)r->end, (int)r->iv, r->orders);
	hash_str(&r->tag, err);
	hash_str(&r->tag, json_object_object_get_ex(at, "filter", &v) ?
	    json_object_get_string(v) : "");
	if (r->def->paged && (s = sbx_query_get(&ctx->q, "page_cursor")) !=
	    NULL && *s != '\0') {
		uint32_t tag;

		if (sbx_cursor_parse_tagged(s, &r->offset, &tag) != KC_OK)
			rpt_err(&e, "page_cursor", "Invalid page cursor "
			    "'%.64s'", s);
		else if (json_object_array_length(e.arr) == 0 &&
		    tag != r->tag)
			rpt_err(&e, "page_cursor", "This page_cursor belongs "
			    "to another request: send the same body with it");
	}
done:
	if (e.oom)
		rc = KC_ERR_NOMEM;
	else if (json_object_array_length(e.arr) > 0) {
		rc = sbx_reply_errors(resp, 400, e.arr);
		if (rc == KC_OK)
			rc = KC_ERR_BAD_INPUT;
	}
	json_object_put(e.arr);
	return rc;
}

/* The series bucket [bounds[i], bounds[i+1]) holding t. */
static size_t
bucket_index(const int64_t *bounds, size_t nb, int64_t t)
{
	size_t lo = 0, hi = nb, mid;

	while (hi - lo > 1) {
		mid = (lo + hi) / 2;
		if (bounds[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* Units: campaigns, flow messages, form versions, segments. */

static size_t
rpt_nunits(const struct sbx_store *st, enum rpt_kind k)
{
	return k == RK_CAMPAIGN ? st->ncampaigns : k == RK_FLOW ? st->nmsgs :
	    k == RK_FORM ? st->nvers : st->nsegments;
}

/* A grouping or filter attribute of a unit; NULL for null. */
static const char *
unit_attr(const struct sbx_store *st, enum rpt_kind k, size_t u,
    const char *name)
{
	const struct sbx_campaign	*c;
	const struct sbx_flow_msg	*m;
	enum sbx_channel		 ch = SBX_CH_EMAIL;
	int				 mms = 0;

	switch (k) {
	case RK_CAMPAIGN:
		c = &st->campaigns[u];
		ch = c->channel;
		mms = c->mms;
		if (strcmp(name, "campaign_id") == 0)
			return c->id;
		if (strcmp(name, "campaign_message_id") == 0 ||
		    strcmp(name, "variation") == 0)
			return c->msg_id;
		if (strcmp(name, "campaign_message_name") == 0 ||
		    strcmp(name, "variation_name") == 0)
			return c->name;
		break;
	case RK_FLOW:
		m = &st->msgs[u];
		ch = m->channel;
		mms = m->mms;
		if (strcmp(name, "flow_id") == 0)
			return st->flows[m->flow].id;
		if (strcmp(name, "flow_name") == 0)
			return st->flows[m->flow].name;
		if (strcmp(name, "flow_message_id") == 0 ||
		    strcmp(name, "variation") == 0)
			return m->id;
		if (strcmp(name, "flow_message_name") == 0 ||
		    strcmp(name, "variation_name") == 0)
			return m->name;
		break;
	case RK_FORM:
		if (strcmp(name, "form_id") == 0)
			return st->forms[st->vers[u].form].id;
		if (strcmp(name, "form_version_id") == 0)
			return st->vers[u].id;
		return NULL;
	case RK_SEGMENT:
		return strcmp(name, "segment_id") == 0 ?
		    st->segments[u].id : NULL;
	}
	if (strcmp(name, "send_channel") == 0)
		return send_channels[ch];
	if (strcmp(name, "text_message_format") == 0)
		return ch != SBX_CH_SMS ? NULL : mms ? "mms" : "sms";
	return NULL;	/* group, group_name, tag_id, tag_name: none */
}

struct unit_ref {
	const struct sbx_store	*st;
	enum rpt_kind		 kind;
	size_t			 u;
};

static int
unit_get(void *arg, const struct sbx_filter_field *f, const char **s,
    int64_t *n)
{
	struct unit_ref *ur = arg;

	*n = 0;
	*s = unit_attr(ur->st, ur->kind, ur->u, f->field);
	return *s != NULL;
}

struct rpt_group {
	const char	*key[RPT_GROUPS_MAX];	/* borrowed from the store */
	int64_t		 (*acc)[SBX_COUNTERS_MAX];	/* per bucket */
	int64_t		*conv, *cents, *uniq;		/* per bucket */
	int64_t		*members;			/* segments */
	size_t		 seg;
	int		 any;
};

struct rpt_res {
	struct rpt_group	*g;
	size_t			 ng;
	int64_t			*bounds;	/* nb + 1 */
	size_t			 nb;
	size_t			*unit_group;	/* per unit; -1: none */
};

static void
rpt_res_free(struct rpt_res *res)
{
	size_t i;

	for (i = 0; i < res->ng; i++) {
		free(res->g[i].acc);
		free(res->g[i].conv);
		free(res->g[i].cents);
		free(res->g[i].uniq);
		free(res->g[i].members);
	}
	free(res->g);
	free(res->bounds);
	free(res->unit_group);
}

static int
keycmp(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int
group_cmp(const void *x, const void *y, void *arg)
{
	const struct rpt_group	*a = x, *b = y;
	size_t			 n = *(const size_t *)arg, i;
	int			 c;

	for (i = 0; i < n; i++)
		if ((c = keycmp(a->key[i], b->key[i])) != 0)
			return c;
	return 0;
}

/* The buckets: [start, end) once, or the interval's from its floor. */
static int
rpt_buckets(const struct sbx_account *a, const struct rpt_req *r,
    struct rpt_res *res)
{
	int64_t	 t;
	size_t	 n = 0, cap = 0;
	void	*p;

	if (!r->def->series) {
		if ((res->bounds = calloc(2, sizeof(int64_t))) == NULL)
			return KC_ERR_NOMEM;
		res->bounds[0] = r->start;
		res->bounds[1] = r->end;
		res->nb = 1;
		return KC_OK;
	}
	for (t = sbx_bucket_floor(a->tz, r->iv, r->start); ;
	    t = sbx_bucket_next(a->tz, r->iv, t)) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((p = realloc(res->bounds, cap *
			    sizeof(int64_t))) == NULL)
				return KC_ERR_NOMEM;
			res->bounds = p;
		}
		res->bounds[n++] = t;
		if (t >= r->end)
			break;
	}
	res->nb = n - 1;
	return KC_OK;
}

static int
add_group(struct rpt_res *res, size_t nkeys, const char **key,
    size_t nb, size_t *out)
{
	struct rpt_group	*g;
	size_t			 i, j;
	void			*p;

	for (i = 0; i < res->ng; i++) {
		for (j = 0; j < nkeys && keycmp(res->g[i].key[j], key[j]) == 0;
		    j++)
			;
		if (j == nkeys) {
			*out = i;
			return KC_OK;
		}
	}
	if ((p = realloc(res->g, (res->ng + 1) * sizeof(*res->g))) == NULL)
		return KC_ERR_NOMEM;
	res->g = p;
	g = &res->g[res->ng++];
	memset(g, 0, sizeof(*g));
	for (j = 0; j < nkeys; j++)
		g->key[j] = key[j];
	if ((g->acc = calloc(nb, sizeof(*g->acc))) == NULL ||
	    (g->conv = calloc(nb, sizeof(int64_t))) == NULL ||
	    (g->cents = calloc(nb, sizeof(int64_t))) == NULL ||
	    (g->uniq = calloc(nb, sizeof(int64_t))) == NULL ||
	    (g->members = calloc(nb, sizeof(int64_t))) == NULL)
		return KC_ERR_NOMEM;
	*out = res->ng - 1;
	return KC_OK;
}

struct conv_hit {
	size_t		g, b;
	uint32_t	profile;
};

static int
hit_cmp(const void *x, const void *y)
{
	const struct conv_hit *a = x, *b = y;

	if (a->g != b->g)
		return a->g < b->g ? -1 : 1;
	if (a->b != b->b)
		return a->b < b->b ? -1 : 1;
	return a->profile < b->profile ? -1 : a->profile > b->profile;
}

/* Conversions: the store's orders attributed to the grouped units. */
static int
rpt_conversions(const struct sbx_store *st, const struct rpt_req *r,
    struct rpt_res *res)
{
	const struct sbx_order	*o;
	struct conv_hit		*hits = NULL;
	size_t			 nh = 0, i, gi, b;
	struct rpt_group	*g;

	if (!r->orders || st->norders == 0)
		return KC_OK;
	if ((hits = calloc(st->norders, sizeof(*hits))) == NULL)
		return KC_ERR_NOMEM;
	for (i = 0; i < st->norders; i++) {
		o = &st->orders[i];
		if (r->def->kind == RK_CAMPAIGN && o->kind == SBX_OK_CAMPAIGN) {
			/* By send time: the campaign is in or out. */
			if ((gi = res->unit_group[o->target]) == (size_t)-1)
				continue;
			b = 0;
		} else if (r->def->kind == RK_FLOW && o->kind == SBX_OK_FLOW) {
			if ((gi = res->unit_group[o->target]) == (size_t)-1 ||
			    o->t < r->start || o->t >= r->end)
				continue;
			b = bucket_index(res->bounds, res->nb, o->t);
		} else
			continue;
		g = &res->g[gi];
		g->conv[b]++;
		g->cents[b] += o->cents;
		g->any = 1;
		hits[nh].g = gi;
		hits[nh].b = b;
		hits[nh].profile = o->profile;
		nh++;
	}
	qsort(hits, nh, sizeof(*hits), hit_cmp);
	for (i = 0; i < nh; i++)
		if (i == 0 || hit_cmp(&hits[i - 1], &hits[i]) != 0)
			res->g[hits[i].g].uniq[hits[i].b]++;
	free(hits);
	return KC_OK;
}

static int
rpt_compute(const struct sbx_account *a, const struct rpt_req *r,
    struct rpt_res *res)
{
	const struct sbx_store	*st = a->store;
	const char		*key[RPT_GROUPS_MAX];
	struct unit_ref		 ur;
	struct rpt_group	*g;
	enum sbx_unit		 su;
	size_t			 n = rpt_nunits(st, r->def->kind), u, j, gi, b;
	int			 rc;

	memset(res, 0, sizeof(*res));
	if ((rc = rpt_buckets(a, r, res)) != KC_OK)
		return rc;
	if (n > 0 && (res->unit_group = calloc(n, sizeof(size_t))) == NULL)
		return KC_ERR_NOMEM;
	ur.st = st;
	ur.kind = r->def->kind;
	su = r->def->kind == RK_FLOW ? SBX_U_FLOW_MSG : r->def->kind ==
	    RK_FORM ? SBX_U_FORM_VER : SBX_U_SEGMENT;
	for (u = 0; u < n; u++) {
		res->unit_group[u] = (size_t)-1;
		ur.u = u;
		if (!sbx_filter_match_fn(r->filter, unit_get, &ur))
			continue;
		if (r->def->kind == RK_CAMPAIGN && (st->campaigns[u].status !=
		    SBX_CS_SENT || st->campaigns[u].send < r->start ||
		    st->campaigns[u].send >= r->end))
			continue;
		if (r->def->kind == RK_SEGMENT && st->segments[u].created >=
		    r->end)
			continue;
		for (j = 0; j < r->ngroup; j++)
			key[j] = unit_attr(st, r->def->kind, u, r->group[j]);
		if ((rc = add_group(res, r->ngroup, key, res->nb, &gi)) !=
		    KC_OK)
			return rc;
		res->unit_group[u] = gi;
		g = &res->g[gi];
		switch (r->def->kind) {
		case RK_CAMPAIGN:
			for (j = 0; j < SBX_C_MSG_N; j++)
				g->acc[0][j] += st->campaigns[u].c[j];
			g->any = 1;
			break;
		case RK_FLOW:
		case RK_FORM:
			sbx_store_add(st, su, u, r->start, r->end, res->bounds,
			    res->nb, g->acc);
			for (b = 0; b < res->nb && !g->any; b++)
				for (j = 0; j < SBX_COUNTERS_MAX; j++)
					g->any |= g->acc[b][j] != 0;
			break;
		case RK_SEGMENT:
			sbx_store_add(st, su, u, r->start, r->end, res->bounds,
			    res->nb, g->acc);
			g->seg = u;
			for (b = 0; b < res->nb; b++) {
				int64_t t = res->bounds[b + 1] < r->end ?
				    res->bounds[b + 1] : r->end;

				g->members[b] = sbx_store_members_at(st, u, t);
			}
			g->any = 1;
			break;
		}
	}
	return rpt_conversions(st, r, res);
}

/* A rate or ratio: 0 when there is nothing to divide by. */
static double
ratio(int64_t a, int64_t b)
{
	return b == 0 ? 0.0 : (double)a / (double)b;
}

static struct json_object *
number(double v, int decimals)
{
	char	 buf[64];
	size_t	 n;

	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	/* Trim trailing zeros, keep one decimal. */
	n = strlen(buf);
	while (n > 2 && buf[n - 1] == '0' && buf[n - 2] != '.')
		buf[--n] = '\0';
	return json_object_new_double_s(v, buf);
}

/* One statistic of one bucket of a group. */
static struct json_object *
stat_value(const struct rpt_req *r, const struct rpt_group *g, size_t b,
    const char *s)
{
	const int64_t	*k = g->acc[b];
	int64_t		 cents = g->cents[b], conv = g->conv[b];

	if (r->def->kind == RK_SEGMENT) {
		if (strcmp(s, "members_added") == 0)
			return json_object_new_int64(k[SBX_SG_ADDED]);
		if (strcmp(s, "members_removed") == 0)
			return json_object_new_int64(k[SBX_SG_REMOVED]);
		if (strcmp(s, "net_members_changed") == 0)
			return json_object_new_int64(k[SBX_SG_ADDED] -
			    k[SBX_SG_REMOVED]);
		return json_object_new_int64(g->members[b]);
	}
	if (r->def->kind == RK_FORM) {
		static const struct {
			const char	*name;
			int		 idx;
		} fm[] = {
			{ "closed_form", SBX_FM_CLOSED },
			{ "closed_form_uniques", SBX_FM_CLOSED_U },
			{ "qualified_form", SBX_FM_QUAL },
			{ "qualified_form_uniques", SBX_FM_QUAL_U },
			{ "submits", SBX_FM_SUBMITS },
			{ "submitted_form_step", SBX_FM_STEP_SUBS },
			{ "submitted_form_step_uniques", SBX_FM_STEP_SUBS_U },
			{ "viewed_form", SBX_FM_VIEWS },
			{ "viewed_form_step", SBX_FM_STEP_VIEWS },
			{ "viewed_form_step_uniques", SBX_FM_STEP_VIEWS_U },
			{ "viewed_form_uniques", SBX_FM_VIEWS_U },
		};
		size_t i;

		if (strcmp(s, "submit_rate") == 0)
			return number(ratio(k[SBX_FM_SUBMITS],
			    k[SBX_FM_VIEWS_U]), 6);
		for (i = 0; i < sizeof(fm) / sizeof(fm[0]); i++)
			if (strcmp(s, fm[i].name) == 0)
				return json_object_new_int64(k[fm[i].idx]);
		return NULL;
	}
	{
		static const struct {
			const char	*name;
			int		 idx;
		} cn[] = {
			{ "bounced", SBX_C_BOUNCED },
			{ "clicks", SBX_C_CLICKS },
			{ "clicks_unique", SBX_C_CLICKS_U },
			{ "delivered", SBX_C_DELIVERED },
			{ "failed", SBX_C_FAILED },
			{ "message_segment_count_sum", SBX_C_SEGMENTS },
			{ "text_message_credit_usage_amount", SBX_C_SEGMENTS },
			{ "opens", SBX_C_OPENS },
			{ "opens_unique", SBX_C_OPENS_U },
			{ "recipients", SBX_C_RECIPIENTS },
			{ "spam_complaints", SBX_C_SPAM },
			{ "unsubscribe_uniques", SBX_C_UNSUBS_U },
			{ "unsubscribes", SBX_C_UNSUBS },
		};
		size_t i;

		for (i = 0; i < sizeof(cn) / sizeof(cn[0]); i++)
			if (strcmp(s, cn[i].name) == 0)
				return json_object_new_int64(k[cn[i].idx]);
	}
	if (strcmp(s, "conversions") == 0)
		return json_object_new_int64(conv);
	if (strcmp(s, "conversion_uniques") == 0)
		return json_object_new_int64(g->uniq[b]);
	if (strcmp(s, "conversion_value") == 0)
		return money(cents);
	if (strcmp(s, "text_message_spend") == 0)
		return money(k[SBX_C_SEGMENTS]);	/* 1 cent a credit */
	if (strcmp(s, "average_order_value") == 0)
		return number(ratio(cents, conv) / 100.0, 2);
	if (strcmp(s, "revenue_per_recipient") == 0)
		return number(ratio(cents, k[SBX_C_DELIVERED]) / 100.0, 2);
	if (strcmp(s, "text_message_roi") == 0)
		return number(ratio(cents, k[SBX_C_SEGMENTS]), 2);
	if (strcmp(s, "bounced_or_failed") == 0)
		return json_object_new_int64(k[SBX_C_BOUNCED] +
		    k[SBX_C_FAILED]);
	if (strcmp(s, "bounce_rate") == 0)
		return number(ratio(k[SBX_C_BOUNCED], k[SBX_C_RECIPIENTS]), 6);
	if (strcmp(s, "bounced_or_failed_rate") == 0)
		return number(ratio(k[SBX_C_BOUNCED] + k[SBX_C_FAILED],
		    k[SBX_C_RECIPIENTS]), 6);
	if (strcmp(s, "failed_rate") == 0)
		return number(ratio(k[SBX_C_FAILED], k[SBX_C_RECIPIENTS]), 6);
	if (strcmp(s, "delivery_rate") == 0)
		return number(ratio(k[SBX_C_DELIVERED], k[SBX_C_RECIPIENTS]),
		    6);
	if (strcmp(s, "open_rate") == 0)
		return number(ratio(k[SBX_C_OPENS_U], k[SBX_C_DELIVERED]), 6);
	if (strcmp(s, "click_rate") == 0)
		return number(ratio(k[SBX_C_CLICKS_U], k[SBX_C_DELIVERED]), 6);
	if (strcmp(s, "click_to_open_rate") == 0)
		return number(ratio(k[SBX_C_CLICKS_U], k[SBX_C_OPENS_U]), 6);
	if (strcmp(s, "conversion_rate") == 0)
		return number(ratio(g->uniq[b], k[SBX_C_DELIVERED]), 6);
	if (strcmp(s, "unsubscribe_rate") == 0)
		return number(ratio(k[SBX_C_UNSUBS_U], k[SBX_C_DELIVERED]), 6);
	if (strcmp(s, "spam_complaint_rate") == 0)
		return number(ratio(k[SBX_C_SPAM], k[SBX_C_DELIVERED]), 6);
	return NULL;
}

static struct json_object *
rpt_result(const struct sbx_account *a, const struct rpt_req *r,
    const struct rpt_res *res, const struct rpt_group *g)
{
	struct json_object	*o, *gr, *stats, *arr;
	size_t			 i, b;

	(void)a;
	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if ((gr = json_object_new_object()) == NULL ||
	    json_add_obj(o, "groupings", gr) != KC_OK ||
	    (stats = json_object_new_object()) == NULL ||
	    json_add_obj(o, "statistics", stats) != KC_OK)
		goto fail;
	for (i = 0; i < r->ngroup; i++)
		if (json_add_str(gr, r->group[i], g->key[i]) != KC_OK)
			goto fail;
	for (i = 0; i < r->nstat; i++) {
		if (!r->def->series) {
			if (json_add_obj(stats, r->stat[i], stat_value(r, g, 0,
			    r->stat[i])) != KC_OK)
				goto fail;
			continue;
		}
		if ((arr = json_object_new_array()) == NULL ||
		    json_add_obj(stats, r->stat[i], arr) != KC_OK)
			goto fail;
		for (b = 0; b < res->nb; b++)
			if (arr_add(arr, stat_value(r, g, b, r->stat[i])) !=
			    KC_OK)
				goto fail;
	}
	return o;
fail:
	json_object_put(o);
	return NULL;
}

/* relationships.<name>.data: the distinct values of a grouping. */
static int
rpt_rel(struct json_object *rels, const char *name, const char *type,
    const struct rpt_req *r, const struct rpt_res *res, size_t off,
    size_t end, const char *grouping)
{
	struct json_object	*rel, *data;
	size_t			 i, j, k;

	for (k = 0; k < r->ngroup && strcmp(r->group[k], grouping) != 0; k++)
		;
	if (k == r->ngroup)
		return KC_OK;
	if ((rel = json_object_new_object()) == NULL ||
	    json_add_obj(rels, name, rel) != KC_OK ||
	    (data = json_object_new_array()) == NULL ||
	    json_add_obj(rel, "data", data) != KC_OK)
		return KC_ERR_NOMEM;
	for (i = off; i < end; i++) {
		if (res->g[i].key[k] == NULL)
			continue;
		for (j = off; j < i; j++)
			if (keycmp(res->g[j].key[k], res->g[i].key[k]) == 0)
				break;
		if (j == i && arr_add(data, ref_new(type,
		    res->g[i].key[k])) != KC_OK)
			return KC_ERR_NOMEM;
	}
	return KC_OK;
}

static int
rpt_answer(struct sbx_ctx *ctx, struct sbx_resp *resp,
    const struct rpt_req *r, struct rpt_res *res)
{
	struct json_object	*doc = NULL, *data, *at, *results, *dts;
	struct json_object	*rels, *links;
	struct rpt_group	 tmp;
	size_t			 i, j, n, off = 0, end, ngroup = r->ngroup;
	char			 buf[64], pname[64], *url = NULL;
	const char		*fields;
	int			 rc = KC_ERR_NOMEM;

	/* Only groups with something to show, in key order. */
	for (i = 0, n = 0; i < res->ng; i++) {
		if (!res->g[i].any)
			continue;
		tmp = res->g[n];
		res->g[n] = res->g[i];
		res->g[i] = tmp;
		n++;
	}
	if (n > 1)
		qsort_r(res->g, n, sizeof(*res->g), group_cmp, &ngroup);
	if (r->def->paged) {
		off = r->offset < n ? r->offset : n;
		end = off + RPT_PAGE < n ? off + RPT_PAGE : n;
	} else
		end = n;
	if ((doc = json_object_new_object()) == NULL ||
	    (data = json_object_new_object()) == NULL ||
	    json_add_obj(doc, "data", data) != KC_OK ||
	    json_add_str(data, "type", r->def->type) != KC_OK ||
	    (at = json_object_new_object()) == NULL ||
	    json_add_obj(data, "attributes", at) != KC_OK ||
	    (results = json_object_new_array()) == NULL ||
	    json_add_obj(at, "results", results) != KC_OK)
		goto out;
	for (i = off; i < end; i++)
		if (arr_add(results, rpt_result(ctx->acc, r, res,
		    &res->g[i])) != KC_OK)
			goto out;
	if (r->def->series) {
		if ((dts = json_object_new_array()) == NULL ||
		    json_add_obj(at, "date_times", dts) != KC_OK)
			goto out;
		for (j = 0; j < res->nb; j++) {
			sbx_fmt_local(ctx->acc->tz, res->bounds[j], buf,
			    sizeof(buf));
			if (arr_add(dts, json_object_new_string(buf)) != KC_OK)
				goto out;
		}
	}
	snprintf(pname, sizeof(pname), "fields[%s]", r->def->type);
	if ((fields = sbx_query_get(&ctx->q, pname)) != NULL &&
	    sbx_fields_prune(at, fields) != KC_OK)
		goto out;
	if (r->def->kind == RK_CAMPAIGN || r->def->kind == RK_FLOW) {
		if ((rels = json_object_new_object()) == NULL ||
		    json_add_obj(data, "relationships", rels) != KC_OK)
			goto out;
		if (r->def->kind == RK_CAMPAIGN ? (rc = rpt_rel(rels,
		    "campaigns", "campaign", r, res, off, end,
		    "campaign_id")) != KC_OK : ((rc = rpt_rel(rels, "flows",
		    "flow", r, res, off, end, "flow_id")) != KC_OK ||
		    (rc = rpt_rel(rels, "flow-messages", "flow-message", r, res,
		    off, end, "flow_message_id")) != KC_OK))
			goto out;
		rc = KC_ERR_NOMEM;
	}
	if ((links = json_object_new_object()) == NULL ||
	    json_add_obj(doc, "links", links) != KC_OK ||
	    (rc = sbx_page_link(ctx, "page_cursor", NULL, &url)) != KC_OK ||
	    (rc = json_add_str(links, "self", url)) != KC_OK)
		goto out;
	free(url);
	url = NULL;
	if (r->def->paged && end < n) {
		sbx_cursor_make_tagged(end, r->tag, buf, sizeof(buf));
		if ((rc = sbx_page_link(ctx, "page_cursor", buf, &url)) !=
		    KC_OK || (rc = json_add_str(links, "next", url)) != KC_OK)
			goto out;
	}
	rc = sbx_reply_json(resp, 200, doc);
out:
	free(url);
	json_object_put(doc);
	return rc;
}

static int
handle_report(struct sbx_ctx *ctx, struct sbx_resp *resp)
{
	struct rpt_req		 r;
	struct rpt_res		 res;
	struct json_object	*body = NULL;
	size_t			 i;
	int			 rc;

	memset(&r, 0, sizeof(r));
	memset(&res, 0, sizeof(res));
	for (i = 0; i < sizeof(rpt_defs) / sizeof(rpt_defs[0]); i++)
		if (strcmp(rpt_defs[i].type, ctx->ep->type) == 0)
			r.def = &rpt_defs[i];
	if (r.def == NULL)
		return KC_ERR_INTERNAL;
	if ((rc = rpt_parse(ctx, resp, &body, &r)) != KC_OK) {
		if (rc == KC_ERR_BAD_INPUT)
			rc = KC_OK;	/* answered */
		goto out;
	}
	if ((rc = rpt_compute(ctx->acc, &r, &res)) != KC_OK)
		goto out;
	rc = rpt_answer(ctx, resp, &r, &res);
out:
	rpt_res_free(&res);
	sbx_filter_free(r.filter);
	json_object_put(body);
	return rc;
}

/* Parameters, as each operation in the spec declares them. */

static const char *const account_fields[] = {
	"contact_information", "contact_information.default_sender_email",
	"contact_information.default_sender_name",
	"contact_information.organization_name",
	"contact_information.street_address",
	"contact_information.street_address.address1",
	"contact_information.street_address.address2",
	"contact_information.street_address.city",
	"contact_information.street_address.country",
	"contact_information.street_address.region",
	"contact_information.street_address.zip",
	"contact_information.website_url", "id", "industry", "locale",
	"preferred_currency", "public_api_key", "test_account", "timezone",
	NULL
};
static const char *const flow_fields[] = { "archived", "created", "id",
	"name", "status", "trigger_type", "updated", NULL };
static const char *const metric_fields[] = { "created", "id",
	"integration", "name", "updated", NULL };
static const char *const custom_metric_fields[] = { "created",
	"definition", "definition.aggregation_method",
	"definition.metric_groups", "id", "name", "updated", NULL };
static const char *const list_fields[] = { "created", "id", "name",
	"opt_in_process", "updated", NULL };
static const char *const tag_fields[] = { "id", "name", NULL };
static const char *const inc_flow_triggers[] = { "flow-triggers", NULL };
static const char *const inc_metrics[] = { "metrics", NULL };
static const char *const inc_list[] = { "flow-triggers", "tags", NULL };
static const char *const list_sorts[] = { "created", "-created", "id",
	"-id", "name", "-name", "updated", "-updated", NULL };

/* Generated from stable.json (x-klaviyo fields, include, sort enums). */
static const char *const fields_campaign_message[] = {
	"created_at", "definition", "definition.channel",
	"definition.content", "definition.content.action_buttons",
	"definition.content.bcc_email", "definition.content.body",
	"definition.content.cc_email", "definition.content.dynamic_image",
	"definition.content.from_email", "definition.content.from_label",
	"definition.content.media_url", "definition.content.preview_text",
	"definition.content.reply_to_email", "definition.content.subject",
	"definition.content.title", "definition.kv_pairs", "definition.label",
	"definition.notification_type", "definition.options",
	"definition.options.badge", "definition.options.badge.badge_options",
	"definition.options.badge.badge_options.badge_config",
	"definition.options.badge.badge_options.set_from_property",
	"definition.options.badge.badge_options.value",
	"definition.options.badge.display", "definition.options.on_open",
	"definition.options.on_open.android_deep_link",
	"definition.options.on_open.ios_deep_link",
	"definition.options.on_open.type",
	"definition.options.on_open.web_url", "definition.options.play_sound",
	"definition.render_options",
	"definition.render_options.add_info_link",
	"definition.render_options.add_opt_out_language",
	"definition.render_options.add_org_prefix",
	"definition.render_options.shorten_links", "id", "send_times",
	"updated_at", NULL
};
static const char *const fields_campaign[] = {
	"archived", "audiences", "audiences.excluded", "audiences.included",
	"created_at", "id", "name", "scheduled_at", "send_options",
	"send_options.use_smart_sending", "send_strategy",
	"send_strategy.date", "send_strategy.datetime",
	"send_strategy.method", "send_strategy.options",
	"send_strategy.options.is_local",
	"send_strategy.options.send_past_recipients_immediately",
	"send_strategy.throttle_percentage", "send_time", "status",
	"tracking_options", "tracking_options.add_tracking_params",
	"tracking_options.custom_tracking_params",
	"tracking_options.is_tracking_clicks",
	"tracking_options.is_tracking_opens", "updated_at", NULL
};
static const char *const inc_campaigns[] = {
	"campaign-messages", "tags", NULL
};
static const char *const sort_campaigns[] = {
	"created_at", "-created_at", "id", "-id", "name", "-name",
	"scheduled_at", "-scheduled_at", "updated_at", "-updated_at", NULL
};
static const char *const fields_flow_action[] = {
	"created", "definition", "definition.data",
	"definition.data.action_output_filter",
	"definition.data.action_output_filter.condition_groups",
	"definition.data.branches", "definition.data.current_experiment",
	"definition.data.current_experiment.allocations",
	"definition.data.current_experiment.automatic_winner_selection_settings",
	"definition.data.current_experiment.automatic_winner_selection_settings.automatic_end_date",
	"definition.data.current_experiment.automatic_winner_selection_settings.automatic_end_statistical_certainty",
	"definition.data.current_experiment.automatic_winner_selection_settings.enabled",
	"definition.data.current_experiment.id",
	"definition.data.current_experiment.name",
	"definition.data.current_experiment.started",
	"definition.data.current_experiment.variations",
	"definition.data.current_experiment.winner_metric",
	"definition.data.delay_until_time",
	"definition.data.delay_until_weekdays",
	"definition.data.experiment_status", "definition.data.list_id",
	"definition.data.main_action", "definition.data.main_action.data",
	"definition.data.main_action.data.message",
	"definition.data.main_action.data.message.action_buttons",
	"definition.data.main_action.data.message.add_info_link",
	"definition.data.main_action.data.message.add_opt_out_language",
	"definition.data.main_action.data.message.add_org_prefix",
	"definition.data.main_action.data.message.add_tracking_params",
	"definition.data.main_action.data.message.additional_filters",
	"definition.data.main_action.data.message.additional_filters.condition_groups",
	"definition.data.main_action.data.message.android_link",
	"definition.data.main_action.data.message.badge",
	"definition.data.main_action.data.message.badge_options",
	"definition.data.main_action.data.message.badge_options.badge_config",
	"definition.data.main_action.data.message.badge_options.set_from_property",
	"definition.data.main_action.data.message.badge_options.value",
	"definition.data.main_action.data.message.bcc_email",
	"definition.data.main_action.data.message.body",
	"definition.data.main_action.data.message.cc_email",
	"definition.data.main_action.data.message.conversion_metric_id",
	"definition.data.main_action.data.message.custom_tracking_params",
	"definition.data.main_action.data.message.dynamic_image",
	"definition.data.main_action.data.message.from_email",
	"definition.data.main_action.data.message.from_label",
	"definition.data.main_action.data.message.id",
	"definition.data.main_action.data.message.image_id",
	"definition.data.main_action.data.message.include_contact_card",
	"definition.data.main_action.data.message.ios_link",
	"definition.data.main_action.data.message.kv_pairs",
	"definition.data.main_action.data.message.message_hierarchy",
	"definition.data.main_action.data.message.name",
	"definition.data.main_action.data.message.on_open",
	"definition.data.main_action.data.message.preview_text",
	"definition.data.main_action.data.message.push_type",
	"definition.data.main_action.data.message.reply_to_email",
	"definition.data.main_action.data.message.shorten_links",
	"definition.data.main_action.data.message.smart_sending_enabled",
	"definition.data.main_action.data.message.sms_quiet_hours_enabled",
	"definition.data.main_action.data.message.sound",
	"definition.data.main_action.data.message.subject_line",
	"definition.data.main_action.data.message.template_id",
	"definition.data.main_action.data.message.title",
	"definition.data.main_action.data.message.transactional",
	"definition.data.main_action.data.message.vendor_id",
	"definition.data.main_action.data.message.video_asset_id",
	"definition.data.main_action.data.message.web_url",
	"definition.data.main_action.data.status",
	"definition.data.main_action.id", "definition.data.main_action.links",
	"definition.data.main_action.links.next",
	"definition.data.main_action.temporary_id",
	"definition.data.main_action.type", "definition.data.message",
	"definition.data.message.action_buttons",
	"definition.data.message.add_info_link",
	"definition.data.message.add_opt_out_language",
	"definition.data.message.add_org_prefix",
	"definition.data.message.add_tracking_params",
	"definition.data.message.additional_filters",
	"definition.data.message.additional_filters.condition_groups",
	"definition.data.message.android_link",
	"definition.data.message.badge",
	"definition.data.message.badge_options",
	"definition.data.message.badge_options.badge_config",
	"definition.data.message.badge_options.set_from_property",
	"definition.data.message.badge_options.value",
	"definition.data.message.bcc_email", "definition.data.message.body",
	"definition.data.message.cc_email",
	"definition.data.message.conversion_metric_id",
	"definition.data.message.custom_tracking_params",
	"definition.data.message.dynamic_image",
	"definition.data.message.from_email",
	"definition.data.message.from_label",
	"definition.data.message.headers", "definition.data.message.id",
	"definition.data.message.image_id",
	"definition.data.message.include_contact_card",
	"definition.data.message.ios_link",
	"definition.data.message.kv_pairs",
	"definition.data.message.message_hierarchy",
	"definition.data.message.name", "definition.data.message.on_open",
	"definition.data.message.preview_text",
	"definition.data.message.push_type",
	"definition.data.message.reply_to_email",
	"definition.data.message.shorten_links",
	"definition.data.message.smart_sending_enabled",
	"definition.data.message.sms_quiet_hours_enabled",
	"definition.data.message.sound",
	"definition.data.message.subject_line",
	"definition.data.message.template_id",
	"definition.data.message.title", "definition.data.message.to_emails",
	"definition.data.message.transactional",
	"definition.data.message.url", "definition.data.message.vendor_id",
	"definition.data.message.video_asset_id",
	"definition.data.message.web_url", "definition.data.name",
	"definition.data.on_execution", "definition.data.profile_filter",
	"definition.data.profile_filter.condition_groups",
	"definition.data.profile_operations",
	"definition.data.secondary_value",
	"definition.data.service_configuration",
	"definition.data.service_configuration.event_key",
	"definition.data.service_configuration.event_payload",
	"definition.data.service_configuration.report_id",
	"definition.data.service_configuration.service_method_type",
	"definition.data.service_configuration.tracking_company_id",
	"definition.data.status", "definition.data.target_days",
	"definition.data.target_time", "definition.data.timezone",
	"definition.data.trigger_filter",
	"definition.data.trigger_filter.condition_groups",
	"definition.data.trigger_id", "definition.data.trigger_subtype",
	"definition.data.trigger_type", "definition.data.unit",
	"definition.data.value", "definition.id", "definition.links",
	"definition.links.next", "definition.links.next_if_false",
	"definition.links.next_if_true", "definition.temporary_id",
	"definition.type", "id", "updated", NULL
};
static const char *const inc_flows[] = {
	"flow-actions", "tags", NULL
};
static const char *const sort_flows[] = {
	"created", "-created", "id", "-id", "name", "-name", "status",
	"-status", "trigger_type", "-trigger_type", "updated", "-updated", NULL
};
static const char *const fields_segment[] = {
	"created", "definition", "definition.condition_groups", "id",
	"is_active", "is_processing", "is_starred", "name", "updated", NULL
};
static const char *const inc_segments[] = {
	"flow-triggers", "tags", NULL
};
static const char *const sort_segments[] = {
	"created", "-created", "id", "-id", "name", "-name", "updated",
	"-updated", NULL
};
static const char *const fields_form[] = {
	"ab_test", "created_at", "id", "name", "status", "updated_at", NULL
};
static const char *const sort_forms[] = {
	"created_at", "-created_at", "updated_at", "-updated_at", NULL
};
static const char *const fields_attribution[] = {
	"id", NULL
};
static const char *const fields_event[] = {
	"datetime", "event_properties", "id", "timestamp", "uuid", NULL
};
static const char *const fields_profile[] = {
	"created", "email", "external_id", "first_name", "id", "image",
	"last_event_date", "last_name", "locale", "location",
	"location.address1", "location.address2", "location.city",
	"location.country", "location.ip", "location.latitude",
	"location.longitude", "location.region", "location.timezone",
	"location.zip", "organization", "phone_number", "properties", "title",
	"updated", NULL
};
static const char *const inc_events[] = {
	"attributions", "metric", "profile", NULL
};
static const char *const sort_events[] = {
	"datetime", "-datetime", "timestamp", "-timestamp", NULL
};
static const char *const fields_campaign_values_report[] = {
	"id", "results", NULL
};
static const char *const fields_flow_values_report[] = {
	"id", "results", NULL
};
static const char *const fields_flow_series_report[] = {
	"date_times", "id", "results", NULL
};
static const char *const fields_form_values_report[] = {
	"id", "results", NULL
};
static const char *const fields_form_series_report[] = {
	"date_times", "id", "results", NULL
};
static const char *const fields_segment_values_report[] = {
	"id", "results", NULL
};
static const char *const fields_segment_series_report[] = {
	"date_times", "id", "results", NULL
};

static const struct sbx_param p_accounts[] = {
	{ "fields[account]", SBX_P_FIELDS, account_fields },
	{ NULL, SBX_P_FIELDS, NULL }
};
static const struct sbx_param p_metrics[] = {
	{ "fields[flow]", SBX_P_FIELDS, flow_fields },
	{ "fields[metric]", SBX_P_FIELDS, metric_fields },
	{ "filter", SBX_P_FILTER, NULL },
	{ "include", SBX_P_INCLUDE, inc_flow_triggers },
	{ "page[cursor]", SBX_P_CURSOR, NULL },
	{ NULL, SBX_P_FIELDS, NULL }
};
static const struct sbx_param p_custom_metrics[] = {
	{ "fields[custom-metric]", SBX_P_FIELDS, custom_metric_fields },
	{ "fields[metric]", SBX_P_FIELDS, metric_fields },
	{ "include", SBX_P_INCLUDE, inc_metrics },
	{ NULL, SBX_P_FIELDS, NULL }
};
static const struct sbx_param p_lists[] = {
	{ "fields[flow]", SBX_P_FIELDS, flow_fields },
	{ "fields[list]", SBX_P_FIELDS, list_fields },
	{ "fields[tag]", SBX_P_FIELDS, tag_fields },
	{ "filter", SBX_P_FILTER, NULL },
	{ "include", SBX_P_INCLUDE, inc_list },
	{ "page[cursor]", SBX_P_CURSOR, NULL },
	{ "page[size]", SBX_P_SIZE, NULL },
	{ "sort", SBX_P_SORT, list_sorts },
	{ NULL, SBX_P_FIELDS, NULL }
};

static const struct sbx_param p_campaigns[] = {
	{ "fields[campaign-message]", SBX_P_FIELDS, fields_campaign_message },
	{ "fields[campaign]", SBX_P_FIELDS, fields_campaign },
	{ "fields[tag]", SBX_P_FIELDS, tag_fields },
	{ "filter", SBX_P_FILTER, NULL },
	{ "include", SBX_P_INCLUDE, inc_campaigns },
	{ "page[cursor]", SBX_P_CURSOR, NULL },
	{ "page[size]", SBX_P_SIZE, NULL },
	{ "sort", SBX_P_SORT, sort_campaigns },
	{ NULL, SBX_P_FIELDS, NULL }
};
static const struct sbx_param p_flows[] = {
	{ "fields[flow-action]", SBX_P_FIELDS, fields_flow_action },
	{ "fields[flow]", SBX_P_FIELDS, flow_fields },
	{ "fields[tag]", SBX_P_FIELDS, tag_fields },
	{ "filter", SBX_P_FILTER, NULL },
	{ "include", SBX_P_INCLUDE, inc_flows },
	{ "page[cursor]", SBX_P_CURSOR, NULL },
	{ "page[size]", SBX_P_SIZE, NULL },
	{ "sort", SBX_P_SORT, sort_flows },
	{ NULL, SBX_P_FIELDS, NULL }
};
static const struct sbx_param p_segments[] = {
	{ "fields[flow]", SBX_P_FIELDS, flow_fields },
	{ "fields[segment]", SBX_P_FIELDS, fields_segment },
	{ "fields[tag]", SBX_P_FIELDS, tag_fields },
	{ "filter", SBX_P_FILTER, NULL },
	{ "include", SBX_P_INCLUDE, inc_segments },
	{ "page[cursor]", SBX_P_CURSOR, NULL },
	{ "page[size]", SBX_P_SIZE, NULL },
	{ "sort", SBX_P_SORT, sort_segments },
	{ NULL, SBX_P_FIELDS, NULL }
};
static const struct sbx_param p_forms[] = {
	{ "fields[form]", SBX_P_FIELDS, fields_form },
	{ "filter", SBX_P_FILTER, NULL },
	{ "page[cursor]", SBX_P_CURSOR, NULL },
	{ "page[size]", SBX_P_SIZE, NULL },
	{ "sort", SBX_P_SORT, sort_forms },
	{ NULL, SBX_P_FIELDS, NULL }
};
static const struct sbx_param p_events[] = {
	{ "fields[attribution]", SBX_P_FIELDS, fields_attribution },
	{ "fields[event]", SBX_P_FIELDS, fields_event },
	{ "fields[metric]", SBX_P_FIELDS, metric_fields },
	{ "fields[profile]", SBX_P_FIELDS, fields_profile },
	{ "filter", SBX_P_FILTER, NULL },
	{ "include", SBX_P_INCLUDE, inc_events },
	{ "page[cursor]", SBX_P_CURSOR, NULL },
	{ "page[size]", SBX_P_SIZE, NULL },
	{ "sort", SBX_P_SORT, sort_events },
	{ NULL, SBX_P_FIELDS, NULL }
};
static const struct sbx_param p_campaign_values[] = {
	{ "fields[campaign-values-report]", SBX_P_FIELDS,
	  fields_campaign_values_report },
	{ "page_cursor", SBX_P_STRING, NULL },
	{ NULL, SBX_P_FIELDS, NULL }
};
static const struct sbx_param p_flow_values[] = {
	{ "fields[flow-values-report]", SBX_P_FIELDS,
	  fields_flow_values_report },
	{ "page_cursor", SBX_P_STRING, NULL },
	{ NULL, SBX_P_FIELDS, NULL }
};
static const struct sbx_param p_flow_series[] = {
	{ "fields[flow-series-report]", SBX_P_FIELDS,
	  fields_flow_series_report },
	{ "page_cursor", SBX_P_STRING, NULL },
	{ NULL, SBX_P_FIELDS, NULL }
};
static const struct sbx_param p_form_values[] = {
	{ "fields[form-values-report]", SBX_P_FIELDS,
	  fields_form_values_report },
	{ NULL, SBX_P_FIELDS, NULL }
};
static const struct sbx_param p_form_series[] = {
	{ "fields[form-series-report]", SBX_P_FIELDS,
	  fields_form_series_report },
	{ NULL, SBX_P_FIELDS, NULL }
};
static const struct sbx_param p_segment_values[] = {
	{ "fields[segment-values-report]", SBX_P_FIELDS,
	  fields_segment_values_report },
	{ NULL, SBX_P_FIELDS, NULL }
};
static const struct sbx_param p_segment_series[] = {
	{ "fields[segment-series-report]", SBX_P_FIELDS,
	  fields_segment_series_report },
	{ NULL, SBX_P_FIELDS, NULL }
};

/* x-klaviyo filters of each operation ("Allowed field(s)/operator(s)"). */
#define RANGE	(SBX_OP_GREATER_OR_EQUAL | SBX_OP_GREATER_THAN | \
		 SBX_OP_LESS_OR_EQUAL | SBX_OP_LESS_THAN)

static const struct sbx_filter_field f_metrics[] = {
	{ "integration.name", SBX_OP_EQUALS, 0, SBX_V_STRING, NULL },
	{ "integration.category", SBX_OP_EQUALS, 0, SBX_V_STRING, NULL },
	{ NULL, 0, 0, SBX_V_STRING, NULL }
};
static const struct sbx_filter_field f_lists[] = {
	{ "name", 0, SBX_OP_ANY | SBX_OP_EQUALS, SBX_V_STRING, NULL },
	{ "id", SBX_OP_EQUALS, SBX_OP_ANY | SBX_OP_EQUALS, SBX_V_STRING,
	  NULL },
	{ "created", SBX_OP_GREATER_THAN, 0, SBX_V_DATETIME, NULL },
	{ "updated", SBX_OP_GREATER_THAN, 0, SBX_V_DATETIME, NULL },
	{ NULL, 0, 0, SBX_V_STRING, NULL }
};
static const struct sbx_filter_field f_campaigns[] = {
	{ "id", 0, SBX_OP_ANY, SBX_V_STRING, NULL },
	{ "messages.channel", SBX_OP_EQUALS, 0, SBX_V_STRING,
	  "_sbx.channel" },
	{ "name", SBX_OP_CONTAINS, 0, SBX_V_STRING, NULL },
	{ "status", SBX_OP_EQUALS, SBX_OP_ANY, SBX_V_STRING, NULL },
	{ "archived", SBX_OP_EQUALS, 0, SBX_V_BOOL, NULL },
	{ "created_at", RANGE, 0, SBX_V_DATETIME, NULL },
	{ "scheduled_at", RANGE, 0, SBX_V_DATETIME, NULL },
	{ "updated_at", RANGE, 0, SBX_V_DATETIME, NULL },
	{ NULL, 0, 0, SBX_V_STRING, NULL }
};
static const struct sbx_filter_field f_flows[] = {
	{ "id", 0, SBX_OP_ANY, SBX_V_STRING, NULL },
	{ "name", SBX_OP_CONTAINS | SBX_OP_ENDS_WITH | SBX_OP_EQUALS |
	  SBX_OP_STARTS_WITH, 0, SBX_V_STRING, NULL },
	{ "status", SBX_OP_EQUALS, 0, SBX_V_STRING, NULL },
	{ "archived", SBX_OP_EQUALS, 0, SBX_V_BOOL, NULL },
	{ "created", SBX_OP_EQUALS | RANGE, 0, SBX_V_DATETIME, NULL },
	{ "updated", SBX_OP_EQUALS | RANGE, 0, SBX_V_DATETIME, NULL },
	{ "trigger_type", SBX_OP_EQUALS, 0, SBX_V_STRING, NULL },
	{ NULL, 0, 0, SBX_V_STRING, NULL }
};
static const struct sbx_filter_field f_segments[] = {
	{ "name", 0, SBX_OP_ANY | SBX_OP_EQUALS, SBX_V_STRING, NULL },
	{ "id", SBX_OP_EQUALS, SBX_OP_ANY | SBX_OP_EQUALS, SBX_V_STRING,
	  NULL },
	{ "created", SBX_OP_GREATER_THAN, 0, SBX_V_DATETIME, NULL },
	{ "updated", SBX_OP_GREATER_THAN, 0, SBX_V_DATETIME, NULL },
	{ "is_active", SBX_OP_EQUALS, SBX_OP_ANY | SBX_OP_EQUALS,
	  SBX_V_BOOL, NULL },
	{ "is_starred", SBX_OP_EQUALS, 0, SBX_V_BOOL, NULL },
	{ NULL, 0, 0, SBX_V_STRING, NULL }
};
static const struct sbx_filter_field f_forms[] = {
	{ "id", SBX_OP_EQUALS, SBX_OP_ANY, SBX_V_STRING, NULL },
	{ "name", SBX_OP_CONTAINS | SBX_OP_EQUALS, SBX_OP_ANY, SBX_V_STRING,
	  NULL },
	{ "ab_test", SBX_OP_EQUALS, 0, SBX_V_BOOL, NULL },
	{ "updated_at", RANGE, 0, SBX_V_DATETIME, NULL },
	{ "created_at", RANGE, 0, SBX_V_DATETIME, NULL },
	{ "status", SBX_OP_EQUALS, 0, SBX_V_STRING, NULL },
	{ NULL, 0, 0, SBX_V_STRING, NULL }
};
static const struct sbx_filter_field f_events[] = {
	{ "metric_id", SBX_OP_EQUALS, 0, SBX_V_STRING, NULL },
	{ "profile_id", SBX_OP_EQUALS, 0, SBX_V_STRING, NULL },
	{ "profile", SBX_OP_HAS, 0, SBX_V_STRING, NULL },
	{ "metric", SBX_OP_HAS, 0, SBX_V_STRING, NULL },
	{ "datetime", RANGE, 0, SBX_V_DATETIME, NULL },
	{ "timestamp", RANGE, 0, SBX_V_INT, NULL },
	{ NULL, 0, 0, SBX_V_STRING, NULL }
};

/*
 * x-klaviyo-ratelimit and x-klaviyo-scopes of each operation, from
 * klaviyo-openapi/stable.json (revision 2026-07-15).
 */
const struct sbx_endpoint sbx_endpoints[] = {
	{ "GET", "/api/accounts", "accounts:read", SBX_SC_ACCOUNTS,
	  { 1, 15, 0 }, "account", 0, 0, 0, p_accounts, NULL,
	  gen_accounts, NULL },
	{ "GET", "/api/metrics", "metrics:read", SBX_SC_METRICS,
	  { 10, 150, 0 }, "metric", 1, 200, 0, p_metrics, f_metrics,
	  gen_metrics, NULL },
	{ "GET", "/api/custom-metrics", "metrics:read", SBX_SC_METRICS,
	  { 3, 60, 0 }, "custom-metric", 0, 0, 0, p_custom_metrics, NULL,
	  gen_custom_metrics, NULL },
	{ "GET", "/api/lists", "lists:read", SBX_SC_LISTS,
	  { 75, 750, 0 }, "list", 1, 10, 10, p_lists, f_lists,
	  gen_lists, NULL },
	{ "GET", "/api/campaigns", "campaigns:read", SBX_SC_CAMPAIGNS,
	  { 10, 150, 0 }, "campaign", 1, 100, 100, p_campaigns, f_campaigns,
	  gen_campaigns_json, handle_campaigns },
	{ "GET", "/api/flows", "flows:read", SBX_SC_FLOWS,
	  { 3, 60, 0 }, "flow", 1, 50, 50, p_flows, f_flows,
	  gen_flows_json, NULL },
	{ "GET", "/api/segments", "segments:read", SBX_SC_SEGMENTS,
	  { 75, 750, 0 }, "segment", 1, 10, 10, p_segments, f_segments,
	  gen_segments_json, NULL },
	{ "GET", "/api/forms", "forms:read", SBX_SC_FORMS,
	  { 3, 60, 0 }, "form", 1, 20, 100, p_forms, f_forms,
	  gen_forms_json, NULL },
	{ "GET", "/api/events", "events:read", SBX_SC_EVENTS,
	  { 350, 3500, 0 }, "event", 1, 200, 1000, p_events, f_events,
	  NULL, handle_events },
	/* Reports: 1/s, 2/m and 225 a day; results 100 a page. */
	{ "POST", "/api/campaign-values-reports", "campaigns:read",
	  SBX_SC_CAMPAIGNS, { 1, 2, 225 }, "campaign-values-report", 1,
	  RPT_PAGE, 0, p_campaign_values, NULL, NULL, handle_report },
	{ "POST", "/api/flow-values-reports", "flows:read", SBX_SC_FLOWS,
	  { 1, 2, 225 }, "flow-values-report", 1, RPT_PAGE, 0, p_flow_values,
	  NULL, NULL, handle_report },
	{ "POST", "/api/flow-series-reports", "flows:read", SBX_SC_FLOWS,
	  { 1, 2, 225 }, "flow-series-report", 1, RPT_PAGE, 0, p_flow_series,
	  NULL, NULL, handle_report },
	{ "POST", "/api/form-values-reports", "forms:read", SBX_SC_FORMS,
	  { 1, 2, 225 }, "form-values-report", 0, 0, 0, p_form_values, NULL,
	  NULL, handle_report },
	{ "POST", "/api/form-series-reports", "forms:read", SBX_SC_FORMS,
	  { 1, 2, 225 }, "form-series-report", 0, 0, 0, p_form_series, NULL,
	  NULL, handle_report },
	{ "POST", "/api/segment-values-reports", "segments:read",
	  SBX_SC_SEGMENTS, { 1, 2, 225 }, "segment-values-report", 0, 0, 0,
	  p_segment_values, NULL, NULL, handle_report },
	{ "POST", "/api/segment-series-reports", "segments:read",
	  SBX_SC_SEGMENTS, { 1, 2, 225 }, "segment-series-report", 0, 0, 0,
	  p_segment_series, NULL, NULL, handle_report },
};
const size_t sbx_nendpoints = sizeof(sbx_endpoints) /
    sizeof(sbx_endpoints[0]);

const struct sbx_endpoint *
sbx_endpoint_find(const char *path, size_t *idx)
{
	size_t i;

	for (i = 0; i < sbx_nendpoints; i++)
		if (strcmp(sbx_endpoints[i].path, path) == 0) {
			if (idx)
				*idx = i;
			return &sbx_endpoints[i];
		}
	return NULL;
}
