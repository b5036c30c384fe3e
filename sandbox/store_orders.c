/*
 * The store's Placed Order events and the profiles who placed them,
 * attributed to campaigns and flow messages by their sends.
 */
#include "sandbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

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
	sbx_ulid_like(sbx_mix(st->seed ^ 0x9f0f11eULL ^ ((uint64_t)i << 24)),
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

int
sbx_store_gen_orders(struct sbx_store *st, const struct sbx_account *a)
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
				o->t = sbx_tz_to_utc(st->tz, wall + 300 +
				    (int64_t)((double)win * sbx_frac(&r) *
				    sbx_frac(&r)));
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
		d = sbx_pick_day(st, &r, st->msgs[j].from_day);
		wall = st->first_wall + (int64_t)d * 86400 + sbx_pick_hour(&r) *
		    3600 + (int64_t)sbx_rng_below(&r, 3600);
		o->t = sbx_tz_to_utc(st->tz, wall);
		o->send_ts = o->t - 60 - (int64_t)sbx_rng_below(&r, 6 * 3600);
	}
	for (; k < n; k++) {
		o = &st->orders[k];
		o->kind = SBX_OK_NONE;
		d = sbx_pick_day(st, &r, 0);
		o->t = sbx_tz_to_utc(st->tz, st->first_wall + (int64_t)d *
		    86400 + sbx_pick_hour(&r) * 3600 +
		    (int64_t)sbx_rng_below(&r, 3600));
	}
	for (k = 0; k < n; k++) {
		o = &st->orders[k];
		o->cents = order_cents(&r);
		o->profile = (uint32_t)((double)st->nprofiles *
		    sbx_pow_frac(&r));
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
