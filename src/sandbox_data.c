/*
 * The sandbox's accounts and the deterministic generator behind their
 * data.  Each account is chosen by its private API key; everything it
 * serves is built once at start-up by the endpoint generators
 * (sandbox_endpoints.c) from a splitmix64 stream seeded with the FNV-1a
 * hash of the key and a stream name, so every run serves the same ids,
 * names and timestamps.  docs/SANDBOX.md lists the accounts.
 */
#include "sandbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const struct sbx_account_def sbx_account_defs[] = {
	{ "pk_sbxshopify0000000000000000000001", "Acme Outdoor",
	  "America/New_York", "USD", "en-US", "Sporting Goods",
	  "https://acme-outdoor.example.com", "Acme Outdoor",
	  "hello@acme-outdoor.example.com", "125 Summit Ave", "Boston",
	  "MA", "US", "02116", SBX_SC_ALL_READ, SBX_PROF_SHOPIFY_BIG, 12 },
	{ "pk_sbxwoocommerce000000000000000002", "Bluebird Books",
	  "Europe/London", "GBP", "en-GB", "Books",
	  "https://bluebird-books.example.co.uk", "Bluebird Books",
	  "news@bluebird-books.example.co.uk", "8 Wren Lane", "Bristol",
	  "England", "GB", "BS1 4DJ", SBX_SC_ALL_READ, SBX_PROF_WOO, 3 },
	{ "pk_sbxcustom00000000000000000000003", "Cedar & Sage Apothecary",
	  "America/Los_Angeles", "USD", "en-US", "Health & Beauty",
	  "https://cedarandsage.example.com", "Cedar & Sage",
	  "care@cedarandsage.example.com", "410 Alder St", "Portland",
	  "OR", "US", "97204", SBX_SC_ALL_READ, SBX_PROF_CUSTOM, 5 },
	{ "pk_sbxempty000000000000000000000004", "Driftwood Candle Co.",
	  "Europe/Berlin", "EUR", "de-DE", "Home & Garden",
	  "https://driftwood-candles.example.de", "Driftwood Candle Co.",
	  "hallo@driftwood-candles.example.de", "Kastanienallee 12",
	  "Berlin", "Berlin", "DE", "10435", SBX_SC_ALL_READ,
	  SBX_PROF_EMPTY, 0 },
	{ "pk_sbxnoscope0000000000000000000005", "Fernhill Tea House",
	  "Asia/Tokyo", "JPY", "ja-JP", "Food & Beverage",
	  "https://fernhill-tea.example.jp", "Fernhill Tea House",
	  "info@fernhill-tea.example.jp", "2-14-5 Jingumae", "Shibuya",
	  "Tokyo", "JP", "150-0001", SBX_SC_ACCOUNTS, SBX_PROF_NOSCOPE, 2 },
	{ "pk_sbxmanylists00000000000000000006", "Granite Peak Outfitters",
	  "Australia/Sydney", "AUD", "en-AU", "Sporting Goods",
	  "https://granitepeak.example.com.au", "Granite Peak",
	  "crew@granitepeak.example.com.au", "77 Harbour St", "Sydney",
	  "NSW", "AU", "2000", SBX_SC_ALL_READ, SBX_PROF_MANY_LISTS, 137 },
};
const size_t sbx_naccount_defs =
    sizeof(sbx_account_defs) / sizeof(sbx_account_defs[0]);

static const char *const scope_names[] = {
	"accounts:read", "metrics:read", "lists:read", "campaigns:read",
	"flows:read", "segments:read", "forms:read", "events:read",
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

uint64_t
sbx_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

void
sbx_rng_seed(struct sbx_rng *r, uint64_t seed, const char *stream)
{
	r->s = seed ^ sbx_hash(stream);
}

uint64_t
sbx_rng_next(struct sbx_rng *r)
{
	uint64_t z;

	r->s += 0x9e3779b97f4a7c15ULL;
	z = r->s;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t
sbx_rng_below(struct sbx_rng *r, uint64_t n)
{
	return n == 0 ? 0 : sbx_rng_next(r) % n;
}

void
sbx_rng_alnum(struct sbx_rng *r, char *out, size_t n)
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = set[sbx_rng_below(r, sizeof(set) - 1)];
	out[n] = '\0';
}

void
sbx_rng_hex(struct sbx_rng *r, char *out, size_t n)
{
	static const char set[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = set[sbx_rng_below(r, 16)];
	out[n] = '\0';
}

void
sbx_fmt_time(int64_t t, char *out, size_t outlen)
{
	time_t		 tt = (time_t)t;
	struct tm	 tm;

	gmtime_r(&tt, &tm);
	strftime(out, outlen, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
}

const struct sbx_account *
sbx_data_by_key(const struct sbx_data *d, const char *key, size_t *idx)
{
	size_t i;

	for (i = 0; i < d->nacc; i++)
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

	for (i = 0; i < sbx_nendpoints; i++)
		if (sbx_endpoints[i].gen != NULL && a->coll[i] != NULL &&
		    strcmp(sbx_endpoints[i].type, type) == 0)
			return a->coll[i];
	return NULL;
}

void
sbx_data_free(struct sbx_data *d)
{
	size_t i, j;

	if (d == NULL)
		return;
	for (i = 0; i < d->nacc; i++) {
		if (d->acc[i].coll == NULL)
			continue;
		for (j = 0; j < sbx_nendpoints; j++)
			json_object_put(d->acc[i].coll[j]);
		free(d->acc[i].coll);
	}
	free(d->acc);
	free(d);
}

int
sbx_data_new(struct sbx_data **out)
{
	struct sbx_data		*d = NULL;
	struct sbx_account	*a;
	struct sbx_rng		 r;
	size_t			 i, j;
	int			 rc = KC_ERR_NOMEM;

	*out = NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		goto out;
	if ((d->acc = calloc(sbx_naccount_defs, sizeof(*d->acc))) == NULL)
		goto out;
	d->nacc = sbx_naccount_defs;
	for (i = 0; i < d->nacc; i++) {
		a = &d->acc[i];
		a->def = &sbx_account_defs[i];
		a->seed = sbx_hash(a->def->key);
		sbx_rng_seed(&r, a->seed, "account");
		sbx_rng_alnum(&r, a->id, 6);
		if ((a->coll = calloc(sbx_nendpoints, sizeof(*a->coll))) ==
		    NULL)
			goto out;
	}
	/* Table order: a generator may read the collections before it. */
	for (i = 0; i < d->nacc; i++)
		for (j = 0; j < sbx_nendpoints; j++) {
			if (sbx_endpoints[j].gen == NULL)
				continue;
			if ((rc = sbx_endpoints[j].gen(&d->acc[i],
			    &d->acc[i].coll[j])) != KC_OK)
				goto out;
		}
	*out = d;
	d = NULL;
	rc = KC_OK;
out:
	sbx_data_free(d);
	return rc;
}
