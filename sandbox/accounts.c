/*
 * The sandbox's accounts and the deterministic generator behind their
 * data.  Each account is chosen by its private API key; everything it
 * serves is built once at start-up by the endpoint generators
 * (gen_*.c) from a splitmix64 stream seeded with the FNV-1a
 * hash of the key and a stream name, so every run serves the same ids,
 * names and timestamps.  docs/SANDBOX.md lists the accounts.
 *
 * Each account also has a store (struct sbx_store): campaigns with their
 * send counters, flows and their messages, forms and their versions,
 * segments, and Placed Order events attributed to campaigns and flows.
 * Its history is the account-local days before "today" (the account's
 * date at start, or --today); everything is drawn per day index, so
 * the figures do not depend on the date, only the dates do.  Day
 * counters of flow messages and forms are computed when asked for, by
 * day and by hour (sbx_store_add), never stored.
 *
 * --fleet accounts (fleet.c) follow the table's; theirs are built by
 * sbx_data_load when a request needs them, and at most cache_max at a
 * time, so thousands of them cost little memory.
 */
#include "sandbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "endpoints.h"
#include "fleet.h"
#include "store.h"

/*
 * Store sizes.  Acme Outdoor is the large account: two years, 500
 * campaigns, 80 flows, 40 forms, 30 segments and 20,000 orders.
 */
static const struct sbx_store_size size_big = { 730, { 380, 110, 10 },
    80, 40, 30, 20000, 9000, 100 };
static const struct sbx_store_size size_woo = { 365, { 20, 4, 0 },
    6, 3, 4, 800, 500, 15 };
static const struct sbx_store_size size_custom = { 365, { 8, 2, 0 },
    3, 2, 3, 300, 200, 8 };
static const struct sbx_store_size size_lists = { 540, { 30, 8, 2 },
    8, 4, 12, 1500, 900, 30 };
static const struct sbx_store_size size_none = { 730, { 0, 0, 0 },
    0, 0, 0, 0, 0, 0 };

const struct sbx_account_def sbx_account_defs[] = {
	{ "pk_sbxshopify0000000000000000000001", "Acme Outdoor",
	  "America/New_York", "USD", "en-US", "Sporting Goods",
	  "https://acme-outdoor.example.com", "Acme Outdoor",
	  "hello@acme-outdoor.example.com", "125 Summit Ave", "Boston",
	  "MA", "US", "02116", SBX_SC_ALL, SBX_PROF_SHOPIFY_BIG, 12,
	  &size_big, "shopify" },
	{ "pk_sbxwoocommerce000000000000000002", "Bluebird Books",
	  "Europe/London", "GBP", "en-GB", "Books",
	  "https://bluebird-books.example.co.uk", "Bluebird Books",
	  "news@bluebird-books.example.co.uk", "8 Wren Lane", "Bristol",
	  "England", "GB", "BS1 4DJ", SBX_SC_ALL, SBX_PROF_WOO, 3,
	  &size_woo, "woocommerce" },
	{ "pk_sbxcustom00000000000000000000003", "Cedar & Sage Apothecary",
	  "America/Los_Angeles", "USD", "en-US", "Health & Beauty",
	  "https://cedarandsage.example.com", "Cedar & Sage",
	  "care@cedarandsage.example.com", "410 Alder St", "Portland",
	  "OR", "US", "97204", SBX_SC_ALL, SBX_PROF_CUSTOM, 5,
	  &size_custom, "api" },
	{ "pk_sbxempty000000000000000000000004", "Driftwood Candle Co.",
	  "Europe/Berlin", "EUR", "de-DE", "Home & Garden",
	  "https://driftwood-candles.example.de", "Driftwood Candle Co.",
	  "hallo@driftwood-candles.example.de", "Kastanienallee 12",
	  "Berlin", "Berlin", "DE", "10435", SBX_SC_ALL,
	  SBX_PROF_EMPTY, 0, &size_none, NULL },
	{ "pk_sbxnoscope0000000000000000000005", "Fernhill Tea House",
	  "Asia/Tokyo", "JPY", "ja-JP", "Food & Beverage",
	  "https://fernhill-tea.example.jp", "Fernhill Tea House",
	  "info@fernhill-tea.example.jp", "2-14-5 Jingumae", "Shibuya",
	  "Tokyo", "JP", "150-0001", SBX_SC_ACCOUNTS, SBX_PROF_NOSCOPE, 2,
	  &size_none, NULL },
	{ "pk_sbxmanylists00000000000000000006", "Granite Peak Outfitters",
	  "Australia/Sydney", "AUD", "en-AU", "Sporting Goods",
	  "https://granitepeak.example.com.au", "Granite Peak",
	  "crew@granitepeak.example.com.au", "77 Harbour St", "Sydney",
	  "NSW", "AU", "2000", SBX_SC_ALL, SBX_PROF_MANY_LISTS, 137,
	  &size_lists, "shopify" },
};
const size_t sbx_naccount_defs =
    sizeof(sbx_account_defs) / sizeof(sbx_account_defs[0]);

static const char *const scope_names[] = {
	"accounts:read", "metrics:read", "lists:read", "campaigns:read",
	"flows:read", "segments:read", "forms:read", "events:read",
	"profiles:read", "webhooks:read", "webhooks:write",
};

const char *
sbx_scope_name(unsigned bit)
{
	size_t i;

	for (i = 0; i < sizeof(scope_names) / sizeof(scope_names[0]); i++)
		if (bit == (1u << i))
			return scope_names[i];
	return "unknown";
}

const struct sbx_account *
sbx_data_by_key(const struct sbx_data *d, const char *key, size_t *idx)
{
	size_t	i;
	long	f;

	/* A fleet key names its index: no search through 20,000. */
	if ((f = sbx_fleet_key_index(key)) >= 0) {
		i = d->nfixed + (size_t)f;
		if (i >= d->nacc || strcmp(d->acc[i].def->key, key) != 0)
			return NULL;
		if (idx)
			*idx = i;
		return &d->acc[i];
	}
	for (i = 0; i < d->nfixed; i++)
		if (strcmp(d->acc[i].def->key, key) == 0) {
			if (idx)
				*idx = i;
			return &d->acc[i];
		}
	return NULL;
}

struct json_object *
sbx_account_coll(const struct sbx_account *a, const char *type)
{
	size_t i;

	if (a->coll == NULL)
		return NULL;
	for (i = 0; i < sbx_nendpoints; i++)
		if (sbx_endpoints[i].gen != NULL && a->coll[i] != NULL &&
		    strcmp(sbx_endpoints[i].type, type) == 0)
			return a->coll[i];
	return NULL;
}

/* Drops an account's store and collections (a fleet account's). */
static void
account_unload(struct sbx_account *a)
{
	size_t j;

	sbx_store_free(a->store);
	a->store = NULL;
	if (a->coll != NULL)
		for (j = 0; j < sbx_nendpoints; j++)
			json_object_put(a->coll[j]);
	free(a->coll);
	a->coll = NULL;
	a->order_metric[0] = '\0';
}

void
sbx_data_free(struct sbx_data *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nacc; i++)
		account_unload(&d->acc[i]);
	free(d->acc);
	sbx_fleet_free(d->fleet);
	free(d);
}

/* The id of an account's Placed Order of its store's integration. */
static void
find_order_metric(struct sbx_account *a)
{
	struct json_object	*arr = sbx_account_coll(a, "metric"), *it;
	struct json_object	*at, *v, *in;
	size_t			 i;

	a->order_metric[0] = '\0';
	for (i = 0; arr && a->def->order_integ &&
	    i < json_object_array_length(arr); i++) {
		it = json_object_array_get_idx(arr, i);
		if (!json_object_object_get_ex(it, "attributes", &at) ||
		    !json_object_object_get_ex(at, "name", &v) ||
		    strcmp(json_object_get_string(v), "Placed Order") != 0 ||
		    !json_object_object_get_ex(at, "integration", &in) ||
		    !json_object_object_get_ex(in, "key", &v) ||
		    strcmp(json_object_get_string(v), a->def->order_integ) != 0)
			continue;
		json_object_object_get_ex(it, "id", &v);
		snprintf(a->order_metric, sizeof(a->order_metric), "%s",
		    json_object_get_string(v));
		return;
	}
}

/* Builds an account's store, then its collections in table order. */
static int
account_load(struct sbx_account *a)
{
	size_t	 j;
	int	 rc;

	if ((a->coll = calloc(sbx_nendpoints, sizeof(*a->coll))) == NULL)
		return KC_ERR_NOMEM;
	if ((rc = sbx_store_new(a, &a->store)) != KC_OK)
		return rc;
	/* Table order: a generator may read the collections before it. */
	for (j = 0; j < sbx_nendpoints; j++) {
		if (sbx_endpoints[j].gen == NULL)
			continue;
		if ((rc = sbx_endpoints[j].gen(a, &a->coll[j])) != KC_OK)
			return rc;
	}
	find_order_metric(a);
	return KC_OK;
}

int
sbx_data_load(struct sbx_data *d, size_t idx)
{
	struct sbx_account	*a = &d->acc[idx], *old;
	size_t			 i;
	int			 rc;

	a->used = ++d->tick;
	if (!a->fleet || a->store != NULL)
		return KC_OK;
	/* Full: drop the fleet account used longest ago. */
	while (d->nloaded >= d->cache_max) {
		old = NULL;
		for (i = d->nfixed; i < d->nacc; i++)
			if (d->acc[i].store != NULL && (old == NULL ||
			    d->acc[i].used < old->used))
				old = &d->acc[i];
		if (old == NULL)
			break;
		account_unload(old);
		d->nloaded--;
	}
	if ((rc = account_load(a)) != KC_OK) {
		account_unload(a);
		return rc;
	}
	d->nloaded++;
	return KC_OK;
}

/* The fields every account has, from its definition. */
static int
account_init(struct sbx_account *a, const struct sbx_account_def *def,
    int64_t today, int64_t now)
{
	struct sbx_rng	r;
	int64_t		wall;

	a->def = def;
	a->seed = sbx_hash(def->key);
	sbx_rng_seed(&r, a->seed, "account");
	sbx_rng_alnum(&r, a->id, 6);
	if ((a->tz = sbx_tz_find(def->timezone)) == NULL)
		return KC_ERR_CONFIG;
	/* Today: the account's date now, or the one given. */
	wall = sbx_tz_to_wall(a->tz, now);
	a->today = today >= 0 ? today * 86400 :
	    (wall - ((wall % 86400) + 86400) % 86400);
	return KC_OK;
}

int
sbx_data_new(int64_t today, size_t nfleet, size_t cache,
    struct sbx_data **out)
{
	struct sbx_data		*d = NULL;
	struct sbx_account	*a;
	size_t			 i;
	int64_t			 now = (int64_t)time(NULL);
	int			 rc = KC_ERR_NOMEM;

	*out = NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		goto out;
	if ((rc = sbx_fleet_new(nfleet, &d->fleet)) != KC_OK)
		goto out;
	rc = KC_ERR_NOMEM;
	if ((d->acc = calloc(sbx_naccount_defs + nfleet, sizeof(*d->acc))) ==
	    NULL)
		goto out;
	d->nfixed = sbx_naccount_defs;
	d->nacc = sbx_naccount_defs + nfleet;
	d->cache_max = cache > 0 ? cache : 1;
	for (i = 0; i < d->nacc; i++) {
		a = &d->acc[i];
		if ((rc = account_init(a, i < d->nfixed ? &sbx_account_defs[i] :
		    sbx_fleet_def(d->fleet, i - d->nfixed), today, now)) !=
		    KC_OK)
			goto out;
		if (i >= d->nfixed) {
			/* Unique by construction, unlike a drawn one. */
			sbx_fleet_id(i - d->nfixed, a->id);
			a->fleet = 1;
		} else if ((rc = account_load(a)) != KC_OK)
			goto out;
	}
	*out = d;
	d = NULL;
	rc = KC_OK;
out:
	sbx_data_free(d);
	return rc;
}
