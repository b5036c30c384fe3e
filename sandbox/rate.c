/* Fixed-window rate limits; see rate.h. */
#include "rate.h"

#include <stdlib.h>
#include <string.h>

#include "sandbox.h"

#define NWIN 3

struct win {
	uint64_t	start;		/* relative to origin */
	int		count;
};

struct sbx_rate {
	size_t		 nacc;
	size_t		 nep;
	uint64_t	 origin;
	uint64_t	 len[NWIN];
	struct win	*w;		/* nacc * nep * NWIN */
};

static const double base_us[NWIN] = { 1e6, 60e6, 86400e6 };

int
sbx_rate_new(size_t nacc, size_t nep, double scale, uint64_t now,
    struct sbx_rate **out)
{
	struct sbx_rate	*r;
	int		 i;
	double		 l;

	*out = NULL;
	if (scale <= 0)
		return KC_ERR_CONFIG;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return KC_ERR_NOMEM;
	if ((r->w = calloc(nacc * nep * NWIN, sizeof(*r->w))) == NULL) {
		free(r);
		return KC_ERR_NOMEM;
	}
	r->nacc = nacc;
	r->nep = nep;
	r->origin = now;
	for (i = 0; i < NWIN; i++) {
		l = base_us[i] / scale;
		r->len[i] = l < 1000 ? 1000 : (uint64_t)l;
	}
	*out = r;
	return KC_OK;
}

void
sbx_rate_free(struct sbx_rate *r)
{
	if (r == NULL)
		return;
	free(r->w);
	free(r);
}

void
sbx_rate_reset(struct sbx_rate *r)
{
	memset(r->w, 0, r->nacc * r->nep * NWIN * sizeof(*r->w));
}

uint64_t
sbx_rate_window_us(const struct sbx_rate *r, int i)
{
	return r->len[i];
}

static int
limit_of(const struct sbx_limit *l, int i)
{
	return i == 0 ? l->burst : i == 1 ? l->steady : l->daily;
}

static long
ceil_s(uint64_t us)
{
	return (long)((us + 999999ULL) / 1000000ULL);
}

/* Rolls the windows to now; fills what the headers need. */
static struct win *
roll(struct sbx_rate *r, size_t acc, size_t ep, uint64_t now,
    const struct sbx_limit *l, struct sbx_rate_info *info)
{
	struct win	*w = &r->w[(acc * r->nep + ep) * NWIN];
	uint64_t	 t = now - r->origin, start;
	int		 i;

	for (i = 0; i < NWIN; i++) {
		start = t - t % r->len[i];
		if (w[i].start != start) {
			w[i].start = start;
			w[i].count = 0;
		}
	}
	memset(info, 0, sizeof(*info));
	info->limit = l->steady;
	info->remaining = l->steady - w[1].count;
	if (info->remaining < 0)
		info->remaining = 0;
	info->reset_s = ceil_s(w[1].start + r->len[1] - t);
	info->window = -1;
	return w;
}

void
sbx_rate_peek(struct sbx_rate *r, size_t acc, size_t ep,
    const struct sbx_limit *l, uint64_t now, struct sbx_rate_info *info)
{
	(void)roll(r, acc, ep, now, l, info);
}

int
sbx_rate_take(struct sbx_rate *r, size_t acc, size_t ep,
    const struct sbx_limit *l, uint64_t now, struct sbx_rate_info *info)
{
	struct win	*w = roll(r, acc, ep, now, l, info);
	uint64_t	 t = now - r->origin;
	long		 wait;
	int		 i, max;

	for (i = 0; i < NWIN; i++) {
		max = limit_of(l, i);
		if (max <= 0 || w[i].count < max)
			continue;
		wait = ceil_s(w[i].start + r->len[i] - t);
		if (wait < 1)
			wait = 1;
		if (wait > info->retry_after_s) {
			info->retry_after_s = wait;
			info->window = i;
		}
	}
	if (info->window >= 0)
		return 0;
	for (i = 0; i < NWIN; i++)
		w[i].count++;
	info->remaining = l->steady - w[1].count;
	if (info->remaining < 0)
		info->remaining = 0;
	return 1;
}

void
sbx_rate_window(struct sbx_rate *r, size_t acc, size_t ep, int i,
    uint64_t now, int *count, uint64_t *reset_us)
{
	struct win	*w = &r->w[(acc * r->nep + ep) * NWIN + i];
	uint64_t	 t = now - r->origin, start = t - t % r->len[i];

	*count = w->start == start ? w->count : 0;
	*reset_us = start + r->len[i] - t;
}
