/*
 * The sandbox's accounts and the deterministic generator behind their
 * data.  Each account is chosen by its private API key; everything it
 * serves is built once at start-up by the endpoint generators
 * (sandbox_endpoints.c) from a splitmix64 stream seeded with the FNV-1a
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
 */
#include "sandbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	  "MA", "US", "02116", SBX_SC_ALL_READ, SBX_PROF_SHOPIFY_BIG, 12,
	  &size_big, "shopify" },
	{ "pk_sbxwoocommerce000000000000000002", "Bluebird Books",
	  "Europe/London", "GBP", "en-GB", "Books",
	  "https://bluebird-books.example.co.uk", "Bluebird Books",
	  "news@bluebird-books.example.co.uk", "8 Wren Lane", "Bristol",
	  "England", "GB", "BS1 4DJ", SBX_SC_ALL_READ, SBX_PROF_WOO, 3,
	  &size_woo, "woocommerce" },
	{ "pk_sbxcustom00000000000000000000003", "Cedar & Sage Apothecary",
	  "America/Los_Angeles", "USD", "en-US", "Health & Beauty",
	  "https://cedarandsage.example.com", "Cedar & Sage",
	  "care@cedarandsage.example.com", "410 Alder St", "Portland",
	  "OR", "US", "97204", SBX_SC_ALL_READ, SBX_PROF_CUSTOM, 5,
	  &size_custom, "api" },
	{ "pk_sbxempty000000000000000000000004", "Driftwood Candle Co.",
	  "Europe/Berlin", "EUR", "de-DE", "Home & Garden",
	  "https://driftwood-candles.example.de", "Driftwood Candle Co.",
	  "hallo@driftwood-candles.example.de", "Kastanienallee 12",
	  "Berlin", "Berlin", "DE", "10435", SBX_SC_ALL_READ,
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
	  "NSW", "AU", "2000", SBX_SC_ALL_READ, SBX_PROF_MANY_LISTS, 137,
	  &size_lists, "shopify" },
};
const size_t sbx_naccount_defs =
    sizeof(sbx_account_defs) / sizeof(sbx_account_defs[0]);

static const char *const scope_names[] = {
	"accounts:read", "metrics:read", "lists:read", "campaigns:read",
	"flows:read", "segments:read", "forms:read", "events:read",
	"profiles:read",
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

uint64_t
sbx_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * The store model.  Counters are drawn per account-local day from
 * streams seeded by the key, the unit and the day index, and hours are
 * drawn per counted unit ("the i-th recipient of the day"), so every
 * counter of an hour is a slice of the same sequence: clicks never
 * exceed opens, nor opens recipients, in any hour, day or range.
 */

/* Local hours of activity, weights of 207. */
static const int hour_w[24] = { 2, 1, 1, 1, 1, 2, 4, 7, 10, 12, 13, 13,
	13, 12, 12, 12, 13, 14, 15, 15, 13, 10, 7, 4 };
#define HOUR_W_SUM	207

static double
frac(struct sbx_rng *r)
{
	return (double)(sbx_rng_next(r) >> 11) / 9007199254740992.0;
}

/* Skewed to small values: repeat customers. */
static double
pow_frac(struct sbx_rng *r)
{
	double u = frac(r);

	return u * u * (0.5 + 0.5 * u);
}

static int
pick_hour(struct sbx_rng *r)
{
	int u = (int)sbx_rng_below(r, HOUR_W_SUM), h;

	for (h = 0; h < 23 && u >= hour_w[h]; h++)
		u -= hour_w[h];
	return h;
}

/* Growth over the history: 0.6 at its start to 1.4 at its end. */
static double
trend(const struct sbx_store *st, int d)
{
	return 0.6 + 0.8 * (double)d / (double)(st->ndays > 1 ?
	    st->ndays - 1 : 1);
}

/* A day, more likely when recent (by trend). */
static int
pick_day(const struct sbx_store *st, struct sbx_rng *r, int from)
{
	int d;

	if (from >= st->ndays)
		return st->ndays - 1;
	do
		d = from + (int)sbx_rng_below(r, (uint64_t)(st->ndays - from));
	while (frac(r) * 1.4 > trend(st, d));
	return d;
}

static uint32_t
scale(double x)
{
	return x <= 0 ? 0 : x >= 4e9 ? 4000000000u : (uint32_t)x;
}

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* 26 characters like a ULID, unique for distinct v. */
static void
ulid_like(uint64_t v, uint64_t w, char *out)
{
	int i;

	out[0] = '0';
	out[1] = '1';
	for (i = 0; i < 13; i++, v >>= 5)
		out[2 + i] = crockford[v & 31];
	for (i = 0; i < 11; i++, w >>= 5)
		out[15 + i] = crockford[w & 31];
	out[26] = '\0';
}

/* Short ids (flows, messages, forms, segments), unique per store. */
struct idset {
	char	(*ids)[12];
	size_t	 n, cap;
};

static int
idset_fresh(struct idset *set, struct sbx_rng *r, char *out, size_t len,
    int digits)
{
	size_t	 i;
	int	 dup;
	void	*p;

	do {
		if (digits)
			snprintf(out, 12, "%u", 1000000u +
			    (unsigned)sbx_rng_below(r, 9000000));
		else
			sbx_rng_alnum(r, out, len);
		for (i = 0, dup = 0; i < set->n && !dup; i++)
			dup = strcmp(set->ids[i], out) == 0;
	} while (dup);
	if (set->n == set->cap) {
		set->cap = set->cap ? set->cap * 2 : 64;
		if ((p = realloc(set->ids, set->cap * sizeof(*set->ids))) ==
		    NULL)
			return KC_ERR_NOMEM;
		set->ids = p;
	}
	snprintf(set->ids[set->n++], sizeof(set->ids[0]), "%s", out);
	return KC_OK;
}

static int64_t
to_utc(const struct sbx_store *st, int64_t wall)
{
	return sbx_tz_to_utc(st->tz, wall);
}

/* Campaigns. */

static const char *const email_themes[] = {
	"Weekly Newsletter", "Flash Sale", "New Arrivals", "Trail Report",
	"Member Exclusive", "Weekend Deals", "Gear Guide", "Last Chance",
	"Restock Alert", "Staff Picks", "Community Spotlight",
	"Seasonal Lookbook",
};
static const char *const sms_themes[] = {
	"SMS Flash Sale", "SMS Early Access", "SMS Restock", "SMS Weekend Deal",
};
static const char *const push_themes[] = {
	"Push App-Only Deal", "Push Order Update Promo",
};
#define NTHEMES(a)	(sizeof(a) / sizeof(a[0]))

static void
campaign_counters(struct sbx_campaign *c, struct sbx_rng *r, double vol)
{
	uint32_t *k = c->c;
	double	  x;

	memset(k, 0, sizeof(c->c));
	switch (c->channel) {
	case SBX_CH_EMAIL:
		x = (3000 + (double)sbx_rng_below(r, 57000)) * vol;
		k[SBX_C_RECIPIENTS] = scale(x < 50 ? 50 : x);
		k[SBX_C_BOUNCED] = scale(k[SBX_C_RECIPIENTS] *
		    (0.002 + 0.008 * frac(r)));
		k[SBX_C_DELIVERED] = k[SBX_C_RECIPIENTS] - k[SBX_C_BOUNCED];
		k[SBX_C_OPENS_U] = scale(k[SBX_C_DELIVERED] *
		    (0.28 + 0.27 * frac(r)));
		k[SBX_C_OPENS] = scale(k[SBX_C_OPENS_U] *
		    (1.15 + 0.5 * frac(r)));
		k[SBX_C_CLICKS_U] = scale(k[SBX_C_OPENS_U] *
		    (0.04 + 0.14 * frac(r)));
		k[SBX_C_CLICKS] = scale(k[SBX_C_CLICKS_U] *
		    (1.05 + 0.45 * frac(r)));
		k[SBX_C_UNSUBS_U] = scale(k[SBX_C_DELIVERED] *
		    (0.0008 + 0.003 * frac(r)));
		k[SBX_C_UNSUBS] = k[SBX_C_UNSUBS_U] + (uint32_t)sbx_rng_below(r,
		    k[SBX_C_UNSUBS_U] / 10 + 1);
		k[SBX_C_SPAM] = scale(k[SBX_C_DELIVERED] * 0.0002 * frac(r));
		break;
	case SBX_CH_SMS:
		x = (800 + (double)sbx_rng_below(r, 14000)) * vol;
		k[SBX_C_RECIPIENTS] = scale(x < 20 ? 20 : x);
		k[SBX_C_FAILED] = scale(k[SBX_C_RECIPIENTS] *
		    (0.005 + 0.02 * frac(r)));
		k[SBX_C_DELIVERED] = k[SBX_C_RECIPIENTS] - k[SBX_C_FAILED];
		k[SBX_C_CLICKS_U] = scale(k[SBX_C_DELIVERED] *
		    (0.03 + 0.09 * frac(r)));
		k[SBX_C_CLICKS] = scale(k[SBX_C_CLICKS_U] *
		    (1.0 + 0.3 * frac(r)));
		k[SBX_C_UNSUBS_U] = scale(k[SBX_C_DELIVERED] *
		    (0.002 + 0.008 * frac(r)));
		k[SBX_C_UNSUBS] = k[SBX_C_UNSUBS_U];
		k[SBX_C_SEGMENTS] = k[SBX_C_DELIVERED] * (c->mms ? 3 :
		    1 + (uint32_t)sbx_rng_below(r, 2));
		break;
	case SBX_CH_PUSH:
		x = (400 + (double)sbx_rng_below(r, 3600)) * vol;
		k[SBX_C_RECIPIENTS] = scale(x < 10 ? 10 : x);
		k[SBX_C_FAILED] = scale(k[SBX_C_RECIPIENTS] * 0.01 * frac(r));
		k[SBX_C_DELIVERED] = k[SBX_C_RECIPIENTS] - k[SBX_C_FAILED];
		k[SBX_C_OPENS_U] = scale(k[SBX_C_DELIVERED] *
		    (0.04 + 0.08 * frac(r)));
		k[SBX_C_OPENS] = k[SBX_C_OPENS_U];
		break;
	}
}

static int
campaign_cmp(const void *a, const void *b)
{
	const struct sbx_campaign *x = a, *y = b;

	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return strcmp(x->id, y->id);
}

static int
gen_campaigns(struct sbx_store *st, const struct sbx_account *a)
{
	const struct sbx_store_size	*sz = a->def->size;
	struct sbx_campaign		*c;
	struct sbx_rng			 r;
	int64_t				 today = a->today, day0;
	size_t				 i, j, n, seq[3] = { 0, 0, 0 };
	int				 ch, d, u;
	double				 vol = sz->volume / 100.0;

	n = (size_t)(sz->ncampaigns[0] + sz->ncampaigns[1] +
	    sz->ncampaigns[2]);
	if (n == 0)
		return KC_OK;
	if ((st->campaigns = calloc(n, sizeof(*st->campaigns))) == NULL)
		return KC_ERR_NOMEM;
	st->ncampaigns = n;
	sbx_rng_seed(&r, st->seed, "campaigns");
	/* Exact channel counts, shuffled. */
	for (i = 0, ch = 0; ch < 3; ch++)
		for (j = 0; j < (size_t)sz->ncampaigns[ch]; j++)
			st->campaigns[i++].channel = (enum sbx_channel)ch;
	for (i = n - 1; i > 0; i--) {
		j = (size_t)sbx_rng_below(&r, i + 1);
		ch = (int)st->campaigns[i].channel;
		st->campaigns[i].channel = st->campaigns[j].channel;
		st->campaigns[j].channel = (enum sbx_channel)ch;
	}
	day0 = st->first_wall;
	for (i = 0; i < n; i++) {
		c = &st->campaigns[i];
		ulid_like(sbx_mix(st->seed ^ 0xca11ULL ^ (i << 20)),
		    sbx_rng_next(&r), c->id);
		ulid_like(sbx_mix(st->seed ^ 0x3e55a9eULL ^ (i << 20)),
		    sbx_rng_next(&r), c->msg_id);
		c->mms = c->channel == SBX_CH_SMS && sbx_rng_below(&r, 4) == 0;
		c->list = a->def->nlists > 0 ? (int)sbx_rng_below(&r,
		    (uint64_t)(a->def->nlists < 4 ? a->def->nlists : 4)) : -1;
		u = (int)sbx_rng_below(&r, 1000);
		c->status = u < 940 ? SBX_CS_SENT : u < 970 ? SBX_CS_DRAFT :
		    u < 986 ? SBX_CS_SCHEDULED : SBX_CS_CANCELLED;
		switch (c->status) {
		case SBX_CS_SENT:
			d = pick_day(st, &r, 0);
			c->send = day0 + (int64_t)d * 86400 + 9 * 3600 +
			    (int64_t)sbx_rng_below(&r, 120) * 300;
			c->created = c->send - 86400 * (1 +
			    (int64_t)sbx_rng_below(&r, 20)) -
			    (int64_t)sbx_rng_below(&r, 86400);
			c->scheduled = c->send - (int64_t)sbx_rng_below(&r,
			    3 * 86400);
			if (c->scheduled < c->created)
				c->scheduled = c->created;
			c->updated = c->send + 3600 + (int64_t)sbx_rng_below(&r,
			    2 * 86400);
			if (c->updated >= today)
				c->updated = today - 1;
			c->archived = sbx_rng_below(&r, 100) < 4;
			campaign_counters(c, &r, vol * trend(st, d));
			break;
		case SBX_CS_DRAFT:
			c->created = today - 86400 * (1 +
			    (int64_t)sbx_rng_below(&r, 60)) +
			    (int64_t)sbx_rng_below(&r, 86400);
			c->updated = c->created + (int64_t)sbx_rng_below(&r,
			    (uint64_t)(today - c->created));
			break;
		case SBX_CS_SCHEDULED:
			c->created = today - 86400 * (1 +
			    (int64_t)sbx_rng_below(&r, 14)) +
			    (int64_t)sbx_rng_below(&r, 86400);
			c->scheduled = c->created + (int64_t)sbx_rng_below(&r,
			    (uint64_t)(today - c->created));
			c->updated = c->scheduled;
			c->send = today + 86400 * (1 +
			    (int64_t)sbx_rng_below(&r, 30)) + 10 * 3600;
			break;
		case SBX_CS_CANCELLED:
			d = (int)sbx_rng_below(&r, (uint64_t)st->ndays - 1);
			c->created = day0 + (int64_t)d * 86400 + 36000;
			c->scheduled = c->created + 86400;
			c->updated = c->scheduled + 3600;
			break;
		}
		/* Wall times so far; the account's clock makes them UTC. */
		c->created = to_utc(st, c->created);
		c->updated = to_utc(st, c->updated);
		if (c->scheduled)
			c->scheduled = to_utc(st, c->scheduled);
		if (c->send)
			c->send = to_utc(st, c->send);
	}
	qsort(st->campaigns, n, sizeof(*st->campaigns), campaign_cmp);
	for (i = 0; i < n; i++) {
		c = &st->campaigns[i];
		ch = (int)c->channel;
		seq[ch]++;
		snprintf(c->name, sizeof(c->name), "%s #%zu", ch ==
		    SBX_CH_EMAIL ? email_themes[seq[ch] % NTHEMES(email_themes)]
		    : ch == SBX_CH_SMS ? sms_themes[seq[ch] %
		    NTHEMES(sms_themes)] : push_themes[seq[ch] %
		    NTHEMES(push_themes)], seq[ch]);
	}
	return KC_OK;
}

/* Flows. */

struct flow_tpl {
	const char	*name;
	const char	*trigger;
	const char	*msgs;		/* E email, S sms, P push */
	int		 volume;	/* recipients a day */
};

static const struct flow_tpl flow_tpls[] = {
	{ "Welcome Series", "Added to List", "EEE", 300 },
	{ "Abandoned Cart Reminder", "Metric", "ESE", 220 },
	{ "Browse Abandonment", "Metric", "EE", 260 },
	{ "Post-Purchase Thank You", "Metric", "EE", 180 },
	{ "Customer Winback", "Metric", "EEE", 120 },
	{ "Birthday Reward", "Date Based", "E", 40 },
	{ "Back in Stock", "Metric", "ES", 90 },
	{ "Price Drop Alert", "Price Drop", "E", 60 },
	{ "Low Inventory Nudge", "Low Inventory", "E", 30 },
	{ "Sunset Unengaged", "Added to List", "EE", 90 },
	{ "VIP Welcome", "Metric", "ES", 25 },
	{ "SMS Welcome", "Added to List", "SS", 80 },
	{ "Abandoned Checkout", "Metric", "EES", 150 },
	{ "Review Request", "Metric", "E", 140 },
	{ "Replenishment Reminder", "Date Based", "ES", 70 },
	{ "Cross-Sell Follow-Up", "Metric", "EE", 100 },
	{ "Site Abandonment", "Metric", "E", 200 },
	{ "App Welcome", "Added to List", "P", 40 },
	{ "Holiday Early Access", "Added to List", "E", 60 },
	{ "Unfinished Draft", "Unconfigured", "E", 0 },
};
#define NFLOWTPLS	(sizeof(flow_tpls) / sizeof(flow_tpls[0]))

static int
gen_flows(struct sbx_store *st, const struct sbx_account *a,
    struct idset *ids)
{
	const struct sbx_store_size	*sz = a->def->size;
	const struct flow_tpl		*t;
	struct sbx_flow			*f;
	struct sbx_flow_msg		*m;
	struct sbx_rng			 r;
	size_t				 i, j, nmsg = 0, k[3];
	int				 u, rc, d;
	double				 vol = sz->volume / 100.0;

	if (sz->nflows == 0)
		return KC_OK;
	for (i = 0; i < (size_t)sz->nflows; i++)
		nmsg += strlen(flow_tpls[i % NFLOWTPLS].msgs);
	if ((st->flows = calloc((size_t)sz->nflows, sizeof(*st->flows))) ==
	    NULL || (st->msgs = calloc(nmsg, sizeof(*st->msgs))) == NULL)
		return KC_ERR_NOMEM;
	st->nflows = (size_t)sz->nflows;
	sbx_rng_seed(&r, st->seed, "flows");
	for (i = 0; i < st->nflows; i++) {
		f = &st->flows[i];
		t = &flow_tpls[i % NFLOWTPLS];
		if ((rc = idset_fresh(ids, &r, f->id, 6, 0)) != KC_OK)
			return rc;
		if (i < NFLOWTPLS)
			snprintf(f->name, sizeof(f->name), "%s", t->name);
		else
			snprintf(f->name, sizeof(f->name), "%s v%zu", t->name,
			    i / NFLOWTPLS + 1);
		f->trigger = t->trigger;
		u = (int)sbx_rng_below(&r, 100);
		f->status = t->volume == 0 ? SBX_FS_DRAFT : u < 70 ?
		    SBX_FS_LIVE : u < 78 ? SBX_FS_MANUAL : SBX_FS_DRAFT;
		f->archived = f->status == SBX_FS_DRAFT &&
		    sbx_rng_below(&r, 4) == 0;
		/* Half started before the history, half during it. */
		d = sbx_rng_below(&r, 2) ? -(int)sbx_rng_below(&r, 900) :
		    (int)sbx_rng_below(&r, (uint64_t)st->ndays);
		f->created = to_utc(st, st->first_wall + (int64_t)d * 86400 +
		    (int64_t)sbx_rng_below(&r, 86400));
		f->updated = f->created + (int64_t)sbx_rng_below(&r,
		    (uint64_t)(st->day_utc[st->ndays] - f->created));
		f->first_msg = st->nmsgs;
		f->nmsg = strlen(t->msgs);
		k[0] = k[1] = k[2] = 0;
		for (j = 0; j < f->nmsg; j++) {
			m = &st->msgs[st->nmsgs++];
			m->flow = i;
			m->channel = t->msgs[j] == 'S' ? SBX_CH_SMS :
			    t->msgs[j] == 'P' ? SBX_CH_PUSH : SBX_CH_EMAIL;
			m->mms = m->channel == SBX_CH_SMS &&
			    sbx_rng_below(&r, 4) == 0;
			if ((rc = idset_fresh(ids, &r, m->id, 6, 0)) != KC_OK)
				return rc;
			snprintf(m->name, sizeof(m->name), "%s: %s %zu",
			    f->name, m->channel == SBX_CH_SMS ? "SMS" :
			    m->channel == SBX_CH_PUSH ? "Push" : "Email",
			    ++k[m->channel]);
			/* Later steps reach fewer people. */
			m->base = f->status == SBX_FS_DRAFT ? 0 :
			    scale((t->volume * (0.5 + frac(&r)) /
			    (double)(j + 1)) * vol * (f->status ==
			    SBX_FS_MANUAL ? 0.2 : 1.0));
			if (f->status != SBX_FS_DRAFT && m->base == 0)
				m->base = 1;
			m->from_day = d < 0 ? 0 : d + 1;
		}
	}
	return KC_OK;
}

/* Forms. */

static const char *const form_names[] = {
	"Newsletter Popup", "Spin to Win", "Exit Intent 10% Off",
	"Footer Signup", "SMS Opt-in Flyout", "Back in Stock Signup",
	"Quiz: Find Your Fit", "Holiday Gift Guide Popup", "VIP Early Access",
	"Free Shipping Banner", "Trail Club Embed", "Birthday Club",
	"Mobile Teaser", "Catalog Request", "Referral Invite",
	"Product Launch Waitlist", "Survey: How Did You Hear",
	"Workshop RSVP", "Rental Interest", "Team Order Inquiry",
};
#define NFORMNAMES	(sizeof(form_names) / sizeof(form_names[0]))

static int
gen_forms(struct sbx_store *st, const struct sbx_account *a,
    struct idset *ids)
{
	const struct sbx_store_size	*sz = a->def->size;
	struct sbx_form			*f;
	struct sbx_form_ver		*v;
	struct sbx_rng			 r;
	size_t				 i, j;
	int				 rc, d;
	double				 vol = sz->volume / 100.0;

	if (sz->nforms == 0)
		return KC_OK;
	if ((st->forms = calloc((size_t)sz->nforms, sizeof(*st->forms))) ==
	    NULL || (st->vers = calloc((size_t)sz->nforms * 2,
	    sizeof(*st->vers))) == NULL)
		return KC_ERR_NOMEM;
	st->nforms = (size_t)sz->nforms;
	sbx_rng_seed(&r, st->seed, "forms");
	for (i = 0; i < st->nforms; i++) {
		f = &st->forms[i];
		if ((rc = idset_fresh(ids, &r, f->id, 6, 0)) != KC_OK)
			return rc;
		if (i < NFORMNAMES)
			snprintf(f->name, sizeof(f->name), "%s", form_names[i]);
		else
			snprintf(f->name, sizeof(f->name), "%s v%zu",
			    form_names[i % NFORMNAMES], i / NFORMNAMES + 1);
		f->live = sbx_rng_below(&r, 100) < 75;
		f->ab_test = sbx_rng_below(&r, 100) < 20;
		d = sbx_rng_below(&r, 2) ? -(int)sbx_rng_below(&r, 700) :
		    (int)sbx_rng_below(&r, (uint64_t)st->ndays);
		f->created = to_utc(st, st->first_wall + (int64_t)d * 86400 +
		    (int64_t)sbx_rng_below(&r, 86400));
		f->updated = f->created + (int64_t)sbx_rng_below(&r,
		    (uint64_t)(st->day_utc[st->ndays] - f->created));
		f->first_ver = st->nvers;
		f->nver = f->ab_test ? 2 : 1;
		for (j = 0; j < f->nver; j++) {
			v = &st->vers[st->nvers++];
			v->form = i;
			if ((rc = idset_fresh(ids, &r, v->id, 0, 1)) != KC_OK)
				return rc;
			v->steps = 1 + (int)sbx_rng_below(&r, 3);
			v->base = f->live ? scale((40 + (double)sbx_rng_below(
			    &r, 1500)) * vol / (double)f->nver) : 0;
			if (f->live && v->base == 0)
				v->base = 1;
			v->from_day = d < 0 ? 0 : d + 1;
		}
	}
	return KC_OK;
}

/* Segments. */

static const char *const segment_names[] = {
	"Engaged (30 days)", "Engaged (90 days)", "VIP Customers",
	"Repeat Buyers", "One-Time Buyers", "Lapsed Customers",
	"Never Purchased", "High AOV", "Newsletter Subscribers",
	"SMS Subscribers", "Cart Abandoners", "Browse Abandoners",
	"Local Customers", "Gift Buyers", "Discount Seekers",
	"Full-Price Buyers", "Winback Targets", "Unengaged (180 days)",
	"Predicted High CLV", "Birthday This Month", "Trail Runners",
	"Campers", "Climbers", "Paddlers", "Cyclists", "Skiers",
	"Rental Customers", "Workshop Attendees", "Wholesale Buyers",
	"Staff & Friends",
};
#define NSEGNAMES	(sizeof(segment_names) / sizeof(segment_names[0]))

static int
gen_segments(struct sbx_store *st, const struct sbx_account *a,
    struct idset *ids)
{
	const struct sbx_store_size	*sz = a->def->size;
	struct sbx_segment		*s;
	struct sbx_rng			 r;
	size_t				 i;
	int				 rc, d, dd;
	double				 m, base;

	if (sz->nsegments == 0)
		return KC_OK;
	if ((st->segments = calloc((size_t)sz->nsegments,
	    sizeof(*st->segments))) == NULL)
		return KC_ERR_NOMEM;
	st->nsegments = (size_t)sz->nsegments;
	sbx_rng_seed(&r, st->seed, "segments");
	for (i = 0; i < st->nsegments; i++) {
		s = &st->segments[i];
		if ((s->added = calloc((size_t)st->ndays, sizeof(uint32_t))) ==
		    NULL || (s->removed = calloc((size_t)st->ndays,
		    sizeof(uint32_t))) == NULL || (s->members = calloc(
		    (size_t)st->ndays + 1, sizeof(int64_t))) == NULL)
			return KC_ERR_NOMEM;
		if ((rc = idset_fresh(ids, &r, s->id, 6, 0)) != KC_OK)
			return rc;
		if (i < NSEGNAMES)
			snprintf(s->name, sizeof(s->name), "%s",
			    segment_names[i]);
		else
			snprintf(s->name, sizeof(s->name), "%s %zu",
			    segment_names[i % NSEGNAMES], i / NSEGNAMES + 1);
		s->active = sbx_rng_below(&r, 100) < 90;
		s->starred = sbx_rng_below(&r, 100) < 15;
		d = sbx_rng_below(&r, 3) ? -(int)sbx_rng_below(&r, 700) :
		    (int)sbx_rng_below(&r, (uint64_t)st->ndays);
		s->created = to_utc(st, st->first_wall + (int64_t)d * 86400 +
		    (int64_t)sbx_rng_below(&r, 86400));
		s->updated = s->created + (int64_t)sbx_rng_below(&r,
		    (uint64_t)(st->day_utc[st->ndays] - s->created));
		s->from_day = d < 0 ? 0 : d + 1;
		base = (200 + (double)sbx_rng_below(&r, 40000)) *
		    sz->volume / 100.0;
		m = d < 0 ? base : 0;
		for (dd = 0; dd < st->ndays; dd++) {
			s->members[dd] = (int64_t)m;
			if (dd < s->from_day || !s->active)
				continue;
			if (dd == s->from_day && d >= 0)
				s->added[dd] = scale(base);
			s->added[dd] += scale(m * (0.0015 + 0.004 * frac(&r))) +
			    (uint32_t)sbx_rng_below(&r, 5);
			s->removed[dd] = scale(m * (0.001 + 0.0035 * frac(&r)));
			m += (double)s->added[dd] - (double)s->removed[dd];
		}
		s->members[st->ndays] = (int64_t)m;
	}
	return KC_OK;
}

/* Placed Order events. */

static const char *const first_names[] = {
	"Avery", "Blake", "Casey", "Drew", "Emery", "Finley", "Gray",
	"Harper", "Indigo", "Jordan", "Kai", "Logan", "Morgan", "Noel",
	"Oakley", "Parker", "Quinn", "Reese", "Sawyer", "Taylor",
};
static const char *const last_names[] = {
	"Alder", "Birch", "Cedar", "Dune", "Elm", "Fern", "Glen", "Heath",
	"Isle", "Juniper", "Knoll", "Linden", "Maple", "North", "Oak",
	"Pine", "Quarry", "Ridge", "Stone", "Thorn", "Vale", "Willow",
};

void
sbx_store_profile(const struct sbx_store *st, size_t i, char id[28],
    const char **first, const char **last)
{
	ulid_like(sbx_mix(st->seed ^ 0x9f0f11eULL ^ ((uint64_t)i << 24)),
	    sbx_mix(st->seed + i), id);
	*first = first_names[i % (sizeof(first_names) /
	    sizeof(first_names[0]))];
	*last = last_names[(i / 7) % (sizeof(last_names) /
	    sizeof(last_names[0]))];
}

static int
order_cmp(const void *a, const void *b)
{
	const struct sbx_order *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->number < y->number ? -1 : x->number > y->number;
}

/* A value in cents: most $20-$140, a few large orders. */
static uint32_t
order_cents(struct sbx_rng *r)
{
	uint32_t c = 1500 + (uint32_t)sbx_rng_below(r, 4000) +
	    (uint32_t)sbx_rng_below(r, 4000) + (uint32_t)sbx_rng_below(r,
	    4000);

	if (sbx_rng_below(r, 20) == 0)
		c += (uint32_t)sbx_rng_below(r, 30000);
	return c;
}

static void
order_ids(const struct sbx_store *st, struct sbx_order *o, size_t i)
{
	static const char b62[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789";
	uint64_t	 v, w;
	int		 k;

	v = sbx_mix(st->seed ^ 0xe7e47ULL ^ ((uint64_t)i << 32));
	w = sbx_mix(v + 0x51ab);
	for (k = 0; k < 11; k++, v /= 62)
		o->id[k] = b62[v % 62];
	o->id[11] = '\0';
	v = sbx_mix(st->seed ^ 0xe7e47ULL ^ ((uint64_t)i << 32));
	snprintf(o->uuid, sizeof(o->uuid), "%08x-%04x-%04x-%04x-%012llx",
	    (unsigned)(v >> 32), (unsigned)(v >> 16) & 0xffff,
	    (unsigned)v & 0xffff, 0x8000 | ((unsigned)(w >> 48) & 0x3fff),
	    (unsigned long long)(w & 0xffffffffffffULL));
}

static int
gen_orders(struct sbx_store *st, const struct sbx_account *a)
{
	const struct sbx_store_size	*sz = a->def->size;
	struct sbx_order		*o;
	struct sbx_campaign		*c;
	struct sbx_rng			 r;
	uint64_t			*w = NULL, *rem = NULL, W = 0, wm = 0;
	size_t				 n = (size_t)sz->norders, ncamp, nflow;
	size_t				 i, j, k, done;
	int64_t				 hist_end, win, wall;
	int				 d, rc = KC_ERR_NOMEM;

	if (n == 0)
		return KC_OK;
	if ((st->orders = calloc(n, sizeof(*st->orders))) == NULL)
		return KC_ERR_NOMEM;
	st->norders = n;
	st->nprofiles = (size_t)sz->nprofiles;
	sbx_rng_seed(&r, st->seed, "orders");
	hist_end = st->first_wall + (int64_t)st->ndays * 86400;
	/* 30% from campaigns, 35% from flows, the rest unattributed. */
	ncamp = n * 30 / 100;
	nflow = n * 35 / 100;
	for (i = 0; i < st->ncampaigns; i++)
		if (st->campaigns[i].status == SBX_CS_SENT)
			break;
	if (i == st->ncampaigns)
		ncamp = 0;
	for (i = 0; i < st->nmsgs; i++)
		wm += st->msgs[i].base;
	if (wm == 0)
		nflow = 0;
	/* Campaign orders in proportion to reach (largest remainders). */
	k = 0;
	if (ncamp > 0) {
		if ((w = calloc(st->ncampaigns, sizeof(*w))) == NULL ||
		    (rem = calloc(st->ncampaigns, sizeof(*rem))) == NULL)
			goto out;
		for (i = 0; i < st->ncampaigns; i++) {
			c = &st->campaigns[i];
			if (c->status == SBX_CS_SENT)
				w[i] = (uint64_t)c->c[SBX_C_RECIPIENTS] *
				    (50 + sbx_rng_below(&r, 150));
			W += w[i];
		}
		for (i = 0, done = 0; i < st->ncampaigns; i++) {
			rem[i] = (uint64_t)ncamp * w[i] % W;
			w[i] = (uint64_t)ncamp * w[i] / W;
			done += (size_t)w[i];
		}
		while (done < ncamp) {
			for (i = 0, j = 0; i < st->ncampaigns; i++)
				if (rem[i] > rem[j])
					j = i;
			w[j]++;
			rem[j] = 0;
			done++;
		}
		for (i = 0; i < st->ncampaigns; i++) {
			c = &st->campaigns[i];
			wall = sbx_tz_to_wall(st->tz, c->send);
			win = hist_end - wall - 600;
			if (win > 5 * 86400)
				win = 5 * 86400;
			for (j = 0; j < (size_t)w[i]; j++, k++) {
				o = &st->orders[k];
				o->kind = SBX_OK_CAMPAIGN;
				o->target = (uint32_t)i;
				o->send_ts = c->send;
				o->t = to_utc(st, wall + 300 + (int64_t)(
				    (double)win * frac(&r) * frac(&r)));
				if (o->t <= c->send)
					o->t = c->send + 300;
			}
		}
	}
	for (; k < ncamp + nflow; k++) {
		uint64_t u = sbx_rng_below(&r, wm);

		o = &st->orders[k];
		for (j = 0; j + 1 < st->nmsgs && u >= st->msgs[j].base; j++)
			u -= st->msgs[j].base;
		o->kind = SBX_OK_FLOW;
		o->target = (uint32_t)j;
		d = pick_day(st, &r, st->msgs[j].from_day);
		wall = st->first_wall + (int64_t)d * 86400 + pick_hour(&r) *
		    3600 + (int64_t)sbx_rng_below(&r, 3600);
		o->t = to_utc(st, wall);
		o->send_ts = o->t - 60 - (int64_t)sbx_rng_below(&r, 6 * 3600);
	}
	for (; k < n; k++) {
		o = &st->orders[k];
		o->kind = SBX_OK_NONE;
		d = pick_day(st, &r, 0);
		o->t = to_utc(st, st->first_wall + (int64_t)d * 86400 +
		    pick_hour(&r) * 3600 + (int64_t)sbx_rng_below(&r, 3600));
	}
	for (k = 0; k < n; k++) {
		o = &st->orders[k];
		o->cents = order_cents(&r);
		o->profile = (uint32_t)((double)st->nprofiles *
		    pow_frac(&r));
		o->number = (uint32_t)k;	/* ties in time: this order */
	}
	qsort(st->orders, n, sizeof(*st->orders), order_cmp);
	for (k = 0; k < n; k++) {
		st->orders[k].number = 1001 + (uint32_t)k;
		order_ids(st, &st->orders[k], k);
	}
	rc = KC_OK;
out:
	free(w);
	free(rem);
	return rc;
}

void
sbx_store_free(struct sbx_store *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nsegments; i++) {
		free(st->segments[i].added);
		free(st->segments[i].removed);
		free(st->segments[i].members);
	}
	free(st->segments);
	free(st->campaigns);
	free(st->flows);
	free(st->msgs);
	free(st->forms);
	free(st->vers);
	free(st->orders);
	free(st->day_utc);
	free(st);
}

static int
store_new(const struct sbx_account *a, struct sbx_store **out)
{
	struct sbx_store	*st;
	struct idset		 ids = { NULL, 0, 0 };
	int			 d, rc = KC_ERR_NOMEM;

	*out = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return KC_ERR_NOMEM;
	st->tz = a->tz;
	st->seed = a->seed;
	st->ndays = a->def->size->ndays;
	st->first_wall = a->today - (int64_t)st->ndays * 86400;
	if ((st->day_utc = calloc((size_t)st->ndays + 1,
	    sizeof(*st->day_utc))) == NULL)
		goto out;
	for (d = 0; d <= st->ndays; d++)
		st->day_utc[d] = to_utc(st, st->first_wall + (int64_t)d *
		    86400);
	if ((rc = gen_campaigns(st, a)) != KC_OK ||
	    (rc = gen_flows(st, a, &ids)) != KC_OK ||
	    (rc = gen_forms(st, a, &ids)) != KC_OK ||
	    (rc = gen_segments(st, a, &ids)) != KC_OK ||
	    (rc = gen_orders(st, a)) != KC_OK)
		goto out;
	*out = st;
	st = NULL;
out:
	free(ids.ids);
	sbx_store_free(st);
	return rc;
}

/* Day counters. */

int
sbx_store_day(const struct sbx_store *st, int64_t utc)
{
	int lo = 0, hi = st->ndays, mid;

	if (utc < st->day_utc[0])
		return -1;
	if (utc >= st->day_utc[st->ndays])
		return st->ndays;
	while (hi - lo > 1) {
		mid = (lo + hi) / 2;
		if (st->day_utc[mid] <= utc)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static void
seed_day(const struct sbx_store *st, struct sbx_rng *r, enum sbx_unit u,
    size_t idx, int d, uint64_t salt)
{
	r->s = sbx_mix(st->seed ^ salt ^ ((uint64_t)u << 60) ^
	    ((uint64_t)idx << 32) ^ (uint64_t)(uint32_t)d);
}

static void
msg_day(const struct sbx_store *st, size_t idx, int d, int64_t *k)
{
	const struct sbx_flow_msg	*m = &st->msgs[idx];
	struct sbx_rng			 r;
	double				 x;

	memset(k, 0, SBX_C_MSG_N * sizeof(*k));
	if (m->base == 0 || d < m->from_day || d >= st->ndays)
		return;
	seed_day(st, &r, SBX_U_FLOW_MSG, idx, d, 0x11);
	x = m->base * trend(st, d) * (0.6 + 0.8 * frac(&r));
	k[SBX_C_RECIPIENTS] = x < 5 ? 5 : (int64_t)x;
	switch (m->channel) {
	case SBX_CH_EMAIL:
		k[SBX_C_BOUNCED] = (int64_t)(k[SBX_C_RECIPIENTS] *
		    (0.002 + 0.01 * frac(&r)));
		k[SBX_C_DELIVERED] = k[SBX_C_RECIPIENTS] - k[SBX_C_BOUNCED];
		k[SBX_C_OPENS_U] = (int64_t)(k[SBX_C_DELIVERED] *
		    (0.35 + 0.25 * frac(&r)));
		k[SBX_C_OPENS] = (int64_t)(k[SBX_C_OPENS_U] *
		    (1.1 + 0.5 * frac(&r)));
		k[SBX_C_CLICKS_U] = (int64_t)(k[SBX_C_OPENS_U] *
		    (0.06 + 0.2 * frac(&r)));
		k[SBX_C_CLICKS] = (int64_t)(k[SBX_C_CLICKS_U] *
		    (1.0 + 0.5 * frac(&r)));
		k[SBX_C_UNSUBS_U] = (int64_t)(k[SBX_C_DELIVERED] *
		    0.006 * frac(&r));
		k[SBX_C_UNSUBS] = k[SBX_C_UNSUBS_U];
		k[SBX_C_SPAM] = (int64_t)(k[SBX_C_DELIVERED] * 0.001 *
		    frac(&r));
		break;
	case SBX_CH_SMS:
		k[SBX_C_FAILED] = (int64_t)(k[SBX_C_RECIPIENTS] *
		    (0.005 + 0.02 * frac(&r)));
		k[SBX_C_DELIVERED] = k[SBX_C_RECIPIENTS] - k[SBX_C_FAILED];
		k[SBX_C_CLICKS_U] = (int64_t)(k[SBX_C_DELIVERED] *
		    (0.04 + 0.1 * frac(&r)));
		k[SBX_C_CLICKS] = (int64_t)(k[SBX_C_CLICKS_U] *
		    (1.0 + 0.3 * frac(&r)));
		k[SBX_C_UNSUBS_U] = (int64_t)(k[SBX_C_DELIVERED] * 0.01 *
		    frac(&r));
		k[SBX_C_UNSUBS] = k[SBX_C_UNSUBS_U];
		k[SBX_C_SEGMENTS] = k[SBX_C_DELIVERED] * (m->mms ? 3 : 1);
		break;
	case SBX_CH_PUSH:
		k[SBX_C_FAILED] = (int64_t)(k[SBX_C_RECIPIENTS] * 0.01 *
		    frac(&r));
		k[SBX_C_DELIVERED] = k[SBX_C_RECIPIENTS] - k[SBX_C_FAILED];
		k[SBX_C_OPENS_U] = (int64_t)(k[SBX_C_DELIVERED] *
		    (0.05 + 0.1 * frac(&r)));
		k[SBX_C_OPENS] = k[SBX_C_OPENS_U];
		break;
	}
}

static void
form_day(const struct sbx_store *st, size_t idx, int d, int64_t *k)
{
	const struct sbx_form_ver	*v = &st->vers[idx];
	struct sbx_rng			 r;
	double				 x;
	int64_t				 extra = v->steps - 1;

	memset(k, 0, SBX_FM_N * sizeof(*k));
	if (v->base == 0 || d < v->from_day || d >= st->ndays)
		return;
	seed_day(st, &r, SBX_U_FORM_VER, idx, d, 0x22);
	x = v->base * trend(st, d) * (0.6 + 0.8 * frac(&r));
	k[SBX_FM_VIEWS_U] = x < 1 ? 1 : (int64_t)x;
	k[SBX_FM_VIEWS] = (int64_t)(k[SBX_FM_VIEWS_U] *
	    (1.05 + 0.35 * frac(&r)));
	k[SBX_FM_QUAL_U] = (int64_t)(k[SBX_FM_VIEWS_U] *
	    (0.55 + 0.35 * frac(&r)));
	k[SBX_FM_QUAL] = (int64_t)(k[SBX_FM_QUAL_U] * (1.0 + 0.2 * frac(&r)));
	if (k[SBX_FM_QUAL] > k[SBX_FM_VIEWS])
		k[SBX_FM_QUAL] = k[SBX_FM_VIEWS];
	k[SBX_FM_SUBMITS] = (int64_t)(k[SBX_FM_QUAL_U] *
	    (0.02 + 0.12 * frac(&r)));
	k[SBX_FM_STEP_VIEWS_U] = k[SBX_FM_VIEWS_U] + extra *
	    k[SBX_FM_QUAL_U] / 2;
	k[SBX_FM_STEP_VIEWS] = k[SBX_FM_VIEWS] + extra * k[SBX_FM_QUAL] / 2;
	k[SBX_FM_STEP_SUBS_U] = k[SBX_FM_SUBMITS] + extra *
	    k[SBX_FM_SUBMITS] * 3 / 10;
	k[SBX_FM_STEP_SUBS] = (int64_t)(k[SBX_FM_STEP_SUBS_U] *
	    (1.0 + 0.1 * frac(&r)));
	k[SBX_FM_CLOSED_U] = (int64_t)((k[SBX_FM_VIEWS_U] -
	    k[SBX_FM_SUBMITS]) * (0.25 + 0.4 * frac(&r)));
	k[SBX_FM_CLOSED] = (int64_t)(k[SBX_FM_CLOSED_U] *
	    (1.0 + 0.25 * frac(&r)));
}

size_t
sbx_store_day_counts(const struct sbx_store *st, enum sbx_unit u,
    size_t idx, int d, int64_t *k)
{
	switch (u) {
	case SBX_U_FLOW_MSG:
		msg_day(st, idx, d, k);
		return SBX_C_MSG_N;
	case SBX_U_FORM_VER:
		form_day(st, idx, d, k);
		return SBX_FM_N;
	case SBX_U_SEGMENT:
		k[SBX_SG_ADDED] = k[SBX_SG_REMOVED] = 0;
		if (d >= 0 && d < st->ndays) {
			k[SBX_SG_ADDED] = st->segments[idx].added[d];
			k[SBX_SG_REMOVED] = st->segments[idx].removed[d];
		}
		return SBX_SG_N;
	}
	return 0;
}

/*
 * A day's counters by hour: the day's i-th counted thing happens in an
 * hour drawn by the activity curve; a counter of n covers the things
 * [lo, lo + n), lo being 0 except for bounces and failures, which
 * follow the deliveries.  Returns the day's hours (23 to 25).
 */
static int
split_day(const struct sbx_store *st, enum sbx_unit u, size_t idx, int d,
    const int64_t *k, size_t nk, int64_t (*out)[SBX_COUNTERS_MAX])
{
	int64_t		 lo[SBX_COUNTERS_MAX], hi[SBX_COUNTERS_MAX];
	int64_t		 hist[25], snap[2 * SBX_COUNTERS_MAX][25];
	int64_t		 brk[2 * SBX_COUNTERS_MAX], maxhi = 0, i, t;
	struct sbx_rng	 r;
	int		 map[24], nh, h, lbl, nb = 0, b, x;
	size_t		 j;

	nh = (int)((st->day_utc[d + 1] - st->day_utc[d]) / 3600);
	for (h = 0; h < 24; h++)
		map[h] = -1;
	for (h = 0; h < nh; h++) {
		t = st->day_utc[d] + (int64_t)h * 3600;
		lbl = (int)(((sbx_tz_to_wall(st->tz, t) % 86400) + 86400) %
		    86400 / 3600);
		if (map[lbl] < 0)
			map[lbl] = h;
	}
	for (h = 23; h >= 0; h--)
		if (map[h] < 0)
			map[h] = h == 23 ? nh - 1 : map[h + 1];
	for (j = 0; j < nk; j++) {
		lo[j] = 0;
		if (u == SBX_U_FLOW_MSG && j == SBX_C_BOUNCED)
			lo[j] = k[SBX_C_DELIVERED];
		if (u == SBX_U_FLOW_MSG && j == SBX_C_FAILED)
			lo[j] = k[SBX_C_DELIVERED] + k[SBX_C_BOUNCED];
		hi[j] = lo[j] + k[j];
		if (hi[j] > maxhi)
			maxhi = hi[j];
		brk[nb++] = lo[j];
		brk[nb++] = hi[j];
	}
	/* Sorted breakpoints; a snapshot of the histogram at each. */
	for (b = 1; b < nb; b++)
		for (x = b; x > 0 && brk[x - 1] > brk[x]; x--) {
			t = brk[x];
			brk[x] = brk[x - 1];
			brk[x - 1] = t;
		}
	memset(hist, 0, sizeof(hist));
	seed_day(st, &r, u, idx, d, 0x33);
	for (i = 0, b = 0; i <= maxhi; i++) {
		while (b < nb && brk[b] == i)
			memcpy(snap[b++], hist, sizeof(hist));
		if (i < maxhi)
			hist[map[pick_hour(&r)]]++;
	}
	for (j = 0; j < nk; j++) {
		int bl = 0, bh = 0;

		while (brk[bl] != lo[j])
			bl++;
		while (brk[bh] != hi[j])
			bh++;
		for (h = 0; h < nh; h++)
			out[h][j] = snap[bh][h] - snap[bl][h];
	}
	return nh;
}

static size_t
bucket_of(const int64_t *bounds, size_t nb, int64_t t)
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

void
sbx_store_add(const struct sbx_store *st, enum sbx_unit u, size_t idx,
    int64_t start, int64_t end, const int64_t *bounds, size_t nb,
    int64_t (*acc)[SBX_COUNTERS_MAX])
{
	int64_t		 k[SBX_COUNTERS_MAX], hours[25][SBX_COUNTERS_MAX];
	int64_t		 ds, de, hs;
	size_t		 nk, j, b;
	int		 d, h, nh, any;

	d = sbx_store_day(st, start);
	if (d < 0)
		d = 0;
	for (; d < st->ndays && st->day_utc[d] < end; d++) {
		ds = st->day_utc[d];
		de = st->day_utc[d + 1];
		nk = sbx_store_day_counts(st, u, idx, d, k);
		for (j = 0, any = 0; j < nk; j++)
			any |= k[j] != 0;
		if (!any)
			continue;
		if (ds >= start && de <= end) {
			b = bucket_of(bounds, nb, ds);
			if (bounds[b] <= ds && de <= bounds[b + 1]) {
				for (j = 0; j < nk; j++)
					acc[b][j] += k[j];
				continue;
			}
		}
		nh = split_day(st, u, idx, d, k, nk, hours);
		for (h = 0; h < nh; h++) {
			hs = ds + (int64_t)h * 3600;
			if (hs < start || hs >= end || hs < bounds[0] ||
			    hs >= bounds[nb])
				continue;
			b = bucket_of(bounds, nb, hs);
			for (j = 0; j < nk; j++)
				acc[b][j] += hours[h][j];
		}
	}
}

int64_t
sbx_store_members_at(const struct sbx_store *st, size_t idx, int64_t utc)
{
	const struct sbx_segment	*s = &st->segments[idx];
	int64_t				 k[SBX_COUNTERS_MAX];
	int64_t				 hours[25][SBX_COUNTERS_MAX], m;
	int				 d = sbx_store_day(st, utc), h, nh;

	if (d < 0)
		return s->members[0];
	if (d >= st->ndays)
		return s->members[st->ndays];
	m = s->members[d];
	if (utc == st->day_utc[d])
		return m;
	(void)sbx_store_day_counts(st, SBX_U_SEGMENT, idx, d, k);
	nh = split_day(st, SBX_U_SEGMENT, idx, d, k, SBX_SG_N, hours);
	for (h = 0; h < nh && st->day_utc[d] + (int64_t)h * 3600 < utc; h++)
		m += hours[h][SBX_SG_ADDED] - hours[h][SBX_SG_REMOVED];
	return m;
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
		sbx_store_free(d->acc[i].store);
		if (d->acc[i].coll == NULL)
			continue;
		for (j = 0; j < sbx_nendpoints; j++)
			json_object_put(d->acc[i].coll[j]);
		free(d->acc[i].coll);
	}
	free(d->acc);
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

int
sbx_data_new(int64_t today, struct sbx_data **out)
{
	struct sbx_data		*d = NULL;
	struct sbx_account	*a;
	struct sbx_rng		 r;
	size_t			 i, j;
	int64_t			 wall;
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
		if ((a->tz = sbx_tz_find(a->def->timezone)) == NULL) {
			rc = KC_ERR_CONFIG;
			goto out;
		}
		/* Today: the account's date now, or the one given. */
		wall = sbx_tz_to_wall(a->tz, (int64_t)time(NULL));
		a->today = today >= 0 ? today * 86400 :
		    (wall - ((wall % 86400) + 86400) % 86400);
		if ((a->coll = calloc(sbx_nendpoints, sizeof(*a->coll))) ==
		    NULL)
			goto out;
		if ((rc = store_new(a, &a->store)) != KC_OK)
			goto out;
		rc = KC_ERR_NOMEM;
	}
	/* Table order: a generator may read the collections before it. */
	for (i = 0; i < d->nacc; i++) {
		for (j = 0; j < sbx_nendpoints; j++) {
			if (sbx_endpoints[j].gen == NULL)
				continue;
			if ((rc = sbx_endpoints[j].gen(&d->acc[i],
			    &d->acc[i].coll[j])) != KC_OK)
				goto out;
		}
		find_order_metric(&d->acc[i]);
	}
	*out = d;
	d = NULL;
	rc = KC_OK;
out:
	sbx_data_free(d);
	return rc;
}
