/*
 * An account's store: campaigns with their send counters, flows and
 * their messages, forms and their versions, segments with their daily
 * members, all drawn per account-local day of a history that ends where
 * the account's "today" begins (Placed Order events: store_orders.c).
 */
#include "sandbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

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
		k[SBX_C_RECIPIENTS] = sbx_scale(x < 50 ? 50 : x);
		k[SBX_C_BOUNCED] = sbx_scale(k[SBX_C_RECIPIENTS] *
		    (0.002 + 0.008 * sbx_frac(r)));
		k[SBX_C_DELIVERED] = k[SBX_C_RECIPIENTS] - k[SBX_C_BOUNCED];
		k[SBX_C_OPENS_U] = sbx_scale(k[SBX_C_DELIVERED] *
		    (0.28 + 0.27 * sbx_frac(r)));
		k[SBX_C_OPENS] = sbx_scale(k[SBX_C_OPENS_U] *
		    (1.15 + 0.5 * sbx_frac(r)));
		k[SBX_C_CLICKS_U] = sbx_scale(k[SBX_C_OPENS_U] *
		    (0.04 + 0.14 * sbx_frac(r)));
		k[SBX_C_CLICKS] = sbx_scale(k[SBX_C_CLICKS_U] *
		    (1.05 + 0.45 * sbx_frac(r)));
		k[SBX_C_UNSUBS_U] = sbx_scale(k[SBX_C_DELIVERED] *
		    (0.0008 + 0.003 * sbx_frac(r)));
		k[SBX_C_UNSUBS] = k[SBX_C_UNSUBS_U] + (uint32_t)sbx_rng_below(r,
		    k[SBX_C_UNSUBS_U] / 10 + 1);
		k[SBX_C_SPAM] = sbx_scale(k[SBX_C_DELIVERED] * 0.0002 *
		    sbx_frac(r));
		break;
	case SBX_CH_SMS:
		x = (800 + (double)sbx_rng_below(r, 14000)) * vol;
		k[SBX_C_RECIPIENTS] = sbx_scale(x < 20 ? 20 : x);
		k[SBX_C_FAILED] = sbx_scale(k[SBX_C_RECIPIENTS] *
		    (0.005 + 0.02 * sbx_frac(r)));
		k[SBX_C_DELIVERED] = k[SBX_C_RECIPIENTS] - k[SBX_C_FAILED];
		k[SBX_C_CLICKS_U] = sbx_scale(k[SBX_C_DELIVERED] *
		    (0.03 + 0.09 * sbx_frac(r)));
		k[SBX_C_CLICKS] = sbx_scale(k[SBX_C_CLICKS_U] *
		    (1.0 + 0.3 * sbx_frac(r)));
		k[SBX_C_UNSUBS_U] = sbx_scale(k[SBX_C_DELIVERED] *
		    (0.002 + 0.008 * sbx_frac(r)));
		k[SBX_C_UNSUBS] = k[SBX_C_UNSUBS_U];
		k[SBX_C_SEGMENTS] = k[SBX_C_DELIVERED] * (c->mms ? 3 :
		    1 + (uint32_t)sbx_rng_below(r, 2));
		break;
	case SBX_CH_PUSH:
		x = (400 + (double)sbx_rng_below(r, 3600)) * vol;
		k[SBX_C_RECIPIENTS] = sbx_scale(x < 10 ? 10 : x);
		k[SBX_C_FAILED] = sbx_scale(k[SBX_C_RECIPIENTS] * 0.01 *
		    sbx_frac(r));
		k[SBX_C_DELIVERED] = k[SBX_C_RECIPIENTS] - k[SBX_C_FAILED];
		k[SBX_C_OPENS_U] = sbx_scale(k[SBX_C_DELIVERED] *
		    (0.04 + 0.08 * sbx_frac(r)));
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
		sbx_ulid_like(sbx_mix(st->seed ^ 0xca11ULL ^ (i << 20)),
		    sbx_rng_next(&r), c->id);
		sbx_ulid_like(sbx_mix(st->seed ^ 0x3e55a9eULL ^ (i << 20)),
		    sbx_rng_next(&r), c->msg_id);
		c->mms = c->channel == SBX_CH_SMS && sbx_rng_below(&r, 4) == 0;
		c->list = a->def->nlists > 0 ? (int)sbx_rng_below(&r,
		    (uint64_t)(a->def->nlists < 4 ? a->def->nlists : 4)) : -1;
		u = (int)sbx_rng_below(&r, 1000);
		c->status = u < 940 ? SBX_CS_SENT : u < 970 ? SBX_CS_DRAFT :
		    u < 986 ? SBX_CS_SCHEDULED : SBX_CS_CANCELLED;
		switch (c->status) {
		case SBX_CS_SENT:
			d = sbx_pick_day(st, &r, 0);
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
			campaign_counters(c, &r, vol * sbx_trend(st, d));
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
		c->created = sbx_tz_to_utc(st->tz, c->created);
		c->updated = sbx_tz_to_utc(st->tz, c->updated);
		if (c->scheduled)
			c->scheduled = sbx_tz_to_utc(st->tz, c->scheduled);
		if (c->send)
			c->send = sbx_tz_to_utc(st->tz, c->send);
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
    struct sbx_idset *ids)
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
		if ((rc = sbx_idset_fresh(ids, &r, f->id, 6, 0)) != KC_OK)
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
		/*
		 * Half started before the history, half during it; a fleet
		 * account is as old as its history, so all during it.
		 */
		d = sbx_rng_below(&r, 2) && !a->fleet ?
		    -(int)sbx_rng_below(&r, 900) :
		    (int)sbx_rng_below(&r, (uint64_t)st->ndays);
		f->created = sbx_tz_to_utc(st->tz, st->first_wall +
		    (int64_t)d * 86400 + (int64_t)sbx_rng_below(&r, 86400));
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
			if ((rc = sbx_idset_fresh(ids, &r, m->id, 6, 0)) !=
			    KC_OK)
				return rc;
			snprintf(m->name, sizeof(m->name), "%s: %s %zu",
			    f->name, m->channel == SBX_CH_SMS ? "SMS" :
			    m->channel == SBX_CH_PUSH ? "Push" : "Email",
			    ++k[m->channel]);
			/* Later steps reach fewer people. */
			m->base = f->status == SBX_FS_DRAFT ? 0 :
			    sbx_scale((t->volume * (0.5 + sbx_frac(&r)) /
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
    struct sbx_idset *ids)
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
		if ((rc = sbx_idset_fresh(ids, &r, f->id, 6, 0)) != KC_OK)
			return rc;
		if (i < NFORMNAMES)
			snprintf(f->name, sizeof(f->name), "%s", form_names[i]);
		else
			snprintf(f->name, sizeof(f->name), "%s v%zu",
			    form_names[i % NFORMNAMES], i / NFORMNAMES + 1);
		f->live = sbx_rng_below(&r, 100) < 75;
		f->ab_test = sbx_rng_below(&r, 100) < 20;
		d = sbx_rng_below(&r, 2) && !a->fleet ?
		    -(int)sbx_rng_below(&r, 700) :
		    (int)sbx_rng_below(&r, (uint64_t)st->ndays);
		f->created = sbx_tz_to_utc(st->tz, st->first_wall +
		    (int64_t)d * 86400 + (int64_t)sbx_rng_below(&r, 86400));
		f->updated = f->created + (int64_t)sbx_rng_below(&r,
		    (uint64_t)(st->day_utc[st->ndays] - f->created));
		f->first_ver = st->nvers;
		f->nver = f->ab_test ? 2 : 1;
		for (j = 0; j < f->nver; j++) {
			v = &st->vers[st->nvers++];
			v->form = i;
			if ((rc = sbx_idset_fresh(ids, &r, v->id, 0, 1)) !=
			    KC_OK)
				return rc;
			v->steps = 1 + (int)sbx_rng_below(&r, 3);
			v->base = f->live ? sbx_scale((40 +
			    (double)sbx_rng_below(&r, 1500)) * vol /
			    (double)f->nver) : 0;
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
    struct sbx_idset *ids)
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
		if ((rc = sbx_idset_fresh(ids, &r, s->id, 6, 0)) != KC_OK)
			return rc;
		if (i < NSEGNAMES)
			snprintf(s->name, sizeof(s->name), "%s",
			    segment_names[i]);
		else
			snprintf(s->name, sizeof(s->name), "%s %zu",
			    segment_names[i % NSEGNAMES], i / NSEGNAMES + 1);
		s->active = sbx_rng_below(&r, 100) < 90;
		s->starred = sbx_rng_below(&r, 100) < 15;
		d = sbx_rng_below(&r, 3) && !a->fleet ?
		    -(int)sbx_rng_below(&r, 700) :
		    (int)sbx_rng_below(&r, (uint64_t)st->ndays);
		s->created = sbx_tz_to_utc(st->tz, st->first_wall +
		    (int64_t)d * 86400 + (int64_t)sbx_rng_below(&r, 86400));
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
				s->added[dd] = sbx_scale(base);
			s->added[dd] += sbx_scale(m * (0.0015 + 0.004 *
			    sbx_frac(&r))) + (uint32_t)sbx_rng_below(&r, 5);
			s->removed[dd] = sbx_scale(m * (0.001 + 0.0035 *
			    sbx_frac(&r)));
			m += (double)s->added[dd] - (double)s->removed[dd];
		}
		s->members[st->ndays] = (int64_t)m;
	}
	return KC_OK;
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

int
sbx_store_new(const struct sbx_account *a, struct sbx_store **out)
{
	struct sbx_store	*st;
	struct sbx_idset		 ids = { NULL, 0, 0 };
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
		st->day_utc[d] = sbx_tz_to_utc(st->tz, st->first_wall +
		    (int64_t)d * 86400);
	if ((rc = gen_campaigns(st, a)) != KC_OK ||
	    (rc = gen_flows(st, a, &ids)) != KC_OK ||
	    (rc = gen_forms(st, a, &ids)) != KC_OK ||
	    (rc = gen_segments(st, a, &ids)) != KC_OK ||
	    (rc = sbx_store_gen_orders(st, a)) != KC_OK)
		goto out;
	*out = st;
	st = NULL;
out:
	free(ids.ids);
	sbx_store_free(st);
	return rc;
}
