/*
 * Day counters of the store: flow messages, form versions and segments
 * counted per day and hour when asked for (never stored), and their sums
 * over any range and buckets (sbx_store_add).  Hours are drawn per
 * counted unit, so every counter of an hour is a slice of the same
 * sequence: clicks never exceed opens, nor opens recipients.
 */
#include "sandbox.h"

#include <stdlib.h>
#include <string.h>

#include "store.h"

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
	x = m->base * sbx_trend(st, d) * (0.6 + 0.8 * sbx_frac(&r));
	k[SBX_C_RECIPIENTS] = x < 5 ? 5 : (int64_t)x;
	switch (m->channel) {
	case SBX_CH_EMAIL:
		k[SBX_C_BOUNCED] = (int64_t)(k[SBX_C_RECIPIENTS] *
		    (0.002 + 0.01 * sbx_frac(&r)));
		k[SBX_C_DELIVERED] = k[SBX_C_RECIPIENTS] - k[SBX_C_BOUNCED];
		k[SBX_C_OPENS_U] = (int64_t)(k[SBX_C_DELIVERED] *
		    (0.35 + 0.25 * sbx_frac(&r)));
		k[SBX_C_OPENS] = (int64_t)(k[SBX_C_OPENS_U] *
		    (1.1 + 0.5 * sbx_frac(&r)));
		k[SBX_C_CLICKS_U] = (int64_t)(k[SBX_C_OPENS_U] *
		    (0.06 + 0.2 * sbx_frac(&r)));
		k[SBX_C_CLICKS] = (int64_t)(k[SBX_C_CLICKS_U] *
		    (1.0 + 0.5 * sbx_frac(&r)));
		k[SBX_C_UNSUBS_U] = (int64_t)(k[SBX_C_DELIVERED] *
		    0.006 * sbx_frac(&r));
		k[SBX_C_UNSUBS] = k[SBX_C_UNSUBS_U];
		k[SBX_C_SPAM] = (int64_t)(k[SBX_C_DELIVERED] * 0.001 *
		    sbx_frac(&r));
		break;
	case SBX_CH_SMS:
		k[SBX_C_FAILED] = (int64_t)(k[SBX_C_RECIPIENTS] *
		    (0.005 + 0.02 * sbx_frac(&r)));
		k[SBX_C_DELIVERED] = k[SBX_C_RECIPIENTS] - k[SBX_C_FAILED];
		k[SBX_C_CLICKS_U] = (int64_t)(k[SBX_C_DELIVERED] *
		    (0.04 + 0.1 * sbx_frac(&r)));
		k[SBX_C_CLICKS] = (int64_t)(k[SBX_C_CLICKS_U] *
		    (1.0 + 0.3 * sbx_frac(&r)));
		k[SBX_C_UNSUBS_U] = (int64_t)(k[SBX_C_DELIVERED] * 0.01 *
		    sbx_frac(&r));
		k[SBX_C_UNSUBS] = k[SBX_C_UNSUBS_U];
		k[SBX_C_SEGMENTS] = k[SBX_C_DELIVERED] * (m->mms ? 3 : 1);
		break;
	case SBX_CH_PUSH:
		k[SBX_C_FAILED] = (int64_t)(k[SBX_C_RECIPIENTS] * 0.01 *
		    sbx_frac(&r));
		k[SBX_C_DELIVERED] = k[SBX_C_RECIPIENTS] - k[SBX_C_FAILED];
		k[SBX_C_OPENS_U] = (int64_t)(k[SBX_C_DELIVERED] *
		    (0.05 + 0.1 * sbx_frac(&r)));
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
	x = v->base * sbx_trend(st, d) * (0.6 + 0.8 * sbx_frac(&r));
	k[SBX_FM_VIEWS_U] = x < 1 ? 1 : (int64_t)x;
	k[SBX_FM_VIEWS] = (int64_t)(k[SBX_FM_VIEWS_U] *
	    (1.05 + 0.35 * sbx_frac(&r)));
	k[SBX_FM_QUAL_U] = (int64_t)(k[SBX_FM_VIEWS_U] *
	    (0.55 + 0.35 * sbx_frac(&r)));
	k[SBX_FM_QUAL] = (int64_t)(k[SBX_FM_QUAL_U] * (1.0 + 0.2 *
	    sbx_frac(&r)));
	if (k[SBX_FM_QUAL] > k[SBX_FM_VIEWS])
		k[SBX_FM_QUAL] = k[SBX_FM_VIEWS];
	k[SBX_FM_SUBMITS] = (int64_t)(k[SBX_FM_QUAL_U] *
	    (0.02 + 0.12 * sbx_frac(&r)));
	k[SBX_FM_STEP_VIEWS_U] = k[SBX_FM_VIEWS_U] + extra *
	    k[SBX_FM_QUAL_U] / 2;
	k[SBX_FM_STEP_VIEWS] = k[SBX_FM_VIEWS] + extra * k[SBX_FM_QUAL] / 2;
	k[SBX_FM_STEP_SUBS_U] = k[SBX_FM_SUBMITS] + extra *
	    k[SBX_FM_SUBMITS] * 3 / 10;
	k[SBX_FM_STEP_SUBS] = (int64_t)(k[SBX_FM_STEP_SUBS_U] *
	    (1.0 + 0.1 * sbx_frac(&r)));
	k[SBX_FM_CLOSED_U] = (int64_t)((k[SBX_FM_VIEWS_U] -
	    k[SBX_FM_SUBMITS]) * (0.25 + 0.4 * sbx_frac(&r)));
	k[SBX_FM_CLOSED] = (int64_t)(k[SBX_FM_CLOSED_U] *
	    (1.0 + 0.25 * sbx_frac(&r)));
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
			hist[map[sbx_pick_hour(&r)]]++;
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
