/*
 * --fleet N: small generated accounts for the benchmarks.  Account i
 * has the key "pk_fleet" + i in 27 digits (a real key's shape: pk_ and
 * 32 letters or digits), the id "F" + 5 base-62 digits of a bijection
 * of i (unique), a zone of the calendar's table, and a store whose size
 * is drawn from the key's seed: 30 to 500 days, 0 to 40 campaigns, 0 to
 * 12 flows, 0 to 10 forms, 0 to 8 segments, 0 to 2000 Placed Order
 * events of a Shopify metric.  Only this definition (some 400 bytes) is
 * kept per account; accounts.c builds the rest when asked.
 */
#include "fleet.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoints.h"
#include "store.h"

struct fleet_acc {
	struct sbx_account_def	 def;
	struct sbx_store_size	 size;
	char			 key[SBX_FLEET_KEY_LEN + 1];
	char			 org[40];
	char			 website[64];
	char			 email[64];
};

struct sbx_fleet {
	struct fleet_acc	*a;
	size_t			 n;
};

/* Where a zone's stores are: currency, locale and an address. */
static const struct place {
	const char	*zone;
	const char	*currency;
	const char	*locale;
	const char	*city;
	const char	*region;
	const char	*country;
	const char	*zip;
} places[] = {
	{ "UTC", "USD", "en-US", "Wilmington", "DE", "US", "19801" },
	{ "America/New_York", "USD", "en-US", "New York", "NY", "US",
	  "10001" },
	{ "America/Chicago", "USD", "en-US", "Chicago", "IL", "US", "60601" },
	{ "America/Denver", "USD", "en-US", "Denver", "CO", "US", "80202" },
	{ "America/Los_Angeles", "USD", "en-US", "Los Angeles", "CA", "US",
	  "90012" },
	{ "Europe/London", "GBP", "en-GB", "London", "England", "GB",
	  "EC1A 1BB" },
	{ "Europe/Berlin", "EUR", "de-DE", "Berlin", "Berlin", "DE",
	  "10115" },
	{ "Europe/Paris", "EUR", "fr-FR", "Paris", "Ile-de-France", "FR",
	  "75001" },
	{ "Asia/Tokyo", "JPY", "ja-JP", "Tokyo", "Tokyo", "JP", "100-0001" },
	{ "Australia/Sydney", "AUD", "en-AU", "Sydney", "NSW", "AU", "2000" },
};

static const char *const industries[] = {
	"Sporting Goods", "Books", "Health & Beauty", "Home & Garden",
	"Food & Beverage", "Apparel", "Toys & Games", "Electronics",
	"Jewelry", "Pet Supplies",
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static const struct place *
place_of(const char *zone)
{
	size_t i;

	for (i = 0; i < NITEMS(places); i++)
		if (strcmp(places[i].zone, zone) == 0)
			return &places[i];
	return &places[0];
}

void
sbx_fleet_id(size_t i, char out[8])
{
	static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz";
	/* 62^5; the multiplier is odd and not a multiple of 31: bijective. */
	uint64_t	v = ((uint64_t)i * 780291637ULL + 4099ULL) %
			    916132832ULL;
	int		k;

	out[0] = 'F';
	for (k = 5; k >= 1; k--, v /= 62)
		out[k] = b62[v % 62];
	out[6] = '\0';
}

long
sbx_fleet_key_index(const char *key)
{
	size_t	 i;
	long	 v = 0;

	if (strlen(key) != SBX_FLEET_KEY_LEN ||
	    strncmp(key, "pk_fleet", 8) != 0)
		return -1;
	for (i = 8; i < SBX_FLEET_KEY_LEN; i++) {
		if (!isdigit((unsigned char)key[i]))
			return -1;
		/* Leading digits beyond SBX_FLEET_MAX: not ours. */
		if (v > SBX_FLEET_MAX)
			return -1;
		v = v * 10 + (key[i] - '0');
	}
	return v;
}

/* Draws account i's definition from its key. */
static int
fleet_def(struct fleet_acc *f, size_t i)
{
	const struct sbx_tz	*tz;
	const struct place	*pl;
	struct sbx_store_size	*sz = &f->size;
	struct sbx_rng		 r;
	int			 n, k, u;

	snprintf(f->key, sizeof(f->key), SBX_FLEET_KEY_FMT, i);
	sbx_rng_seed(&r, sbx_hash(f->key), "fleet");
	if ((tz = sbx_tz_nth((size_t)sbx_rng_below(&r, sbx_tz_count()))) ==
	    NULL)
		return KC_ERR_INTERNAL;
	pl = place_of(tz->name);
	snprintf(f->org, sizeof(f->org), "Fleet Store %05zu", i);
	snprintf(f->website, sizeof(f->website),
	    "https://fleet-%05zu.example.com", i);
	snprintf(f->email, sizeof(f->email), "hello@fleet-%05zu.example.com",
	    i);
	sz->ndays = 30 + (int)sbx_rng_below(&r, 471);
	n = (int)sbx_rng_below(&r, 41);
	for (k = 0; k < n; k++) {
		u = (int)sbx_rng_below(&r, 100);
		sz->ncampaigns[u < 75 ? 0 : u < 95 ? 1 : 2]++;
	}
	sz->nflows = (int)sbx_rng_below(&r, 13);
	sz->nforms = (int)sbx_rng_below(&r, 11);
	sz->nsegments = (int)sbx_rng_below(&r, 9);
	sz->norders = (int)sbx_rng_below(&r, 2001);
	sz->nprofiles = sz->norders > 0 ? sz->norders / 2 + 1 : 0;
	sz->volume = 5 + (int)sbx_rng_below(&r, 56);
	f->def.key = f->key;
	f->def.org = f->org;
	f->def.timezone = tz->name;
	f->def.currency = pl->currency;
	f->def.locale = pl->locale;
	f->def.industry = industries[sbx_rng_below(&r, NITEMS(industries))];
	f->def.website = f->website;
	f->def.sender_name = f->org;
	f->def.sender_email = f->email;
	f->def.address1 = "1 Fleet Street";
	f->def.city = pl->city;
	f->def.region = pl->region;
	f->def.country = pl->country;
	f->def.zip = pl->zip;
	f->def.scopes = SBX_SC_ALL;
	f->def.profile = SBX_PROF_FLEET;
	f->def.nlists = 1 + (int)sbx_rng_below(&r, 6);
	f->def.size = sz;
	f->def.order_integ = "shopify";
	return KC_OK;
}

int
sbx_fleet_new(size_t n, struct sbx_fleet **out)
{
	struct sbx_fleet	*fl;
	size_t			 i;
	int			 rc;

	*out = NULL;
	if (n > SBX_FLEET_MAX)
		return KC_ERR_CONFIG;
	if ((fl = calloc(1, sizeof(*fl))) == NULL)
		return KC_ERR_NOMEM;
	if (n > 0 && (fl->a = calloc(n, sizeof(*fl->a))) == NULL) {
		free(fl);
		return KC_ERR_NOMEM;
	}
	fl->n = n;
	for (i = 0; i < n; i++)
		if ((rc = fleet_def(&fl->a[i], i)) != KC_OK) {
			sbx_fleet_free(fl);
			return rc;
		}
	*out = fl;
	return KC_OK;
}

void
sbx_fleet_free(struct sbx_fleet *fl)
{
	if (fl == NULL)
		return;
	free(fl->a);
	free(fl);
}

const struct sbx_account_def *
sbx_fleet_def(const struct sbx_fleet *fl, size_t i)
{
	return &fl->a[i].def;
}

static const struct {
	const char	*name;
	const char	*path;
} report_eps[SBX_FR_N] = {
	{ "campaign-values", "/api/campaign-values-reports" },
	{ "flow-series", "/api/flow-series-reports" },
	{ "form-series", "/api/form-series-reports" },
	{ "segment-series", "/api/segment-series-reports" },
};

const char *
sbx_fleet_report_name(int i)
{
	return i >= 0 && i < SBX_FR_N ? report_eps[i].name : NULL;
}

const char *
sbx_fleet_report_path(int i)
{
	return i >= 0 && i < SBX_FR_N ? report_eps[i].path : NULL;
}

/* Windows of days from first to the history's end; at least one. */
static int
windows(int ndays, int first, int days)
{
	int d = ndays - first;

	return d <= 0 ? 1 : (d + days - 1) / days;
}

/* Campaign values: one-year windows from the first send, 100 a page. */
static int
campaign_min(const struct sbx_store *st, int first)
{
	size_t	 i;
	int	 w, nw, n, d, total = 0;

	nw = windows(st->ndays, first, 365);
	for (w = 0; w < nw; w++) {
		for (i = 0, n = 0; i < st->ncampaigns; i++) {
			if (st->campaigns[i].status != SBX_CS_SENT)
				continue;
			d = sbx_store_day(st, st->campaigns[i].send);
			n += d >= first + 365 * w && d < first + 365 * (w + 1);
		}
		total += n <= RPT_PAGE ? 1 : (n + RPT_PAGE - 1) / RPT_PAGE;
	}
	return total;
}

/* The history day of t (before it: its first day) if earlier than *first. */
static void
first_of(const struct sbx_store *st, int64_t t, int *first)
{
	int d = sbx_store_day(st, t);

	if (d < 0)
		d = 0;
	if (d < st->ndays && (*first < 0 || d < *first))
		*first = d;
}

static void
summarize(const struct sbx_store *st, struct sbx_fleet_sum *s)
{
	size_t	 i;
	int	 d, k, floor;

	for (k = 0; k < SBX_FR_N; k++) {
		s->first[k] = -1;
		s->min[k] = 0;
	}
	s->ndays = st->ndays;
	s->first_wall = st->first_wall;
	s->campaigns = st->ncampaigns;
	s->flows = st->nflows;
	s->msgs = st->nmsgs;
	s->forms = st->nforms;
	s->vers = st->nvers;
	s->segments = st->nsegments;
	s->orders = st->norders;
	for (i = 0; i < st->ncampaigns; i++) {
		if (st->campaigns[i].status != SBX_CS_SENT)
			continue;
		s->sent++;
		d = sbx_store_day(st, st->campaigns[i].send);
		if (d >= 0 && d < st->ndays && (s->first[0] < 0 ||
		    d < s->first[0]))
			s->first[0] = d;
	}
	/*
	 * A series type's data may start the day its first object was
	 * created: all a client can know (the sandbox's starts a day later).
	 */
	for (i = 0; i < st->nflows; i++)
		first_of(st, st->flows[i].created, &s->first[1]);
	for (i = 0; i < st->nforms; i++)
		first_of(st, st->forms[i].created, &s->first[2]);
	for (i = 0; i < st->nsegments; i++)
		first_of(st, st->segments[i].created, &s->first[3]);
	/* Klaviyo has no segment data before 2023-06-01. */
	floor = (int)(sbx_days_from_civil(2023, 6, 1) - st->first_wall /
	    86400);
	if (s->first[3] >= 0 && s->first[3] < floor)
		s->first[3] = floor;
	if (s->first[0] >= 0)
		s->min[0] = campaign_min(st, s->first[0]);
	/* Flow series: at most 36 messages, one page of 100 a window. */
	for (k = 1; k < SBX_FR_N; k++)
		if (s->first[k] >= 0)
			s->min[k] = windows(st->ndays, s->first[k], 60);
}

/* The Placed Order of the store's integration among metrics. */
static void
order_metric(const struct sbx_account *a, struct json_object *arr,
    char *out, size_t len)
{
	struct json_object	*it, *at, *v, *in;
	size_t			 i;

	out[0] = '\0';
	for (i = 0; arr && a->def->order_integ &&
	    i < json_object_array_length(arr); i++) {
		it = json_object_array_get_idx(arr, i);
		if (!json_object_object_get_ex(it, "attributes", &at) ||
		    !json_object_object_get_ex(at, "name", &v) ||
		    strcmp(json_object_get_string(v), "Placed Order") != 0 ||
		    !json_object_object_get_ex(at, "integration", &in) ||
		    !json_object_object_get_ex(in, "key", &v) ||
		    strcmp(json_object_get_string(v), a->def->order_integ) !=
		    0 || !json_object_object_get_ex(it, "id", &v))
			continue;
		snprintf(out, len, "%s", json_object_get_string(v));
		return;
	}
}

int
sbx_fleet_sum(const struct sbx_account *a, struct sbx_fleet_sum *s)
{
	struct sbx_store	*st = NULL;
	struct json_object	*metrics = NULL;
	int			 rc;

	memset(s, 0, sizeof(*s));
	if (a->store != NULL) {
		summarize(a->store, s);
		snprintf(s->order_metric, sizeof(s->order_metric), "%s",
		    a->order_metric);
		return KC_OK;
	}
	/* Not loaded: build what it takes and drop it again. */
	if ((rc = sbx_store_new(a, &st)) != KC_OK)
		return rc;
	summarize(st, s);
	sbx_store_free(st);
	if ((rc = sbx_gen_metrics(a, &metrics)) != KC_OK)
		return rc;
	order_metric(a, metrics, s->order_metric, sizeof(s->order_metric));
	json_object_put(metrics);
	return KC_OK;
}
