/*
 * Deterministic draws of the sandbox's generators: splitmix64 streams
 * seeded by the FNV-1a hash of a key and a stream name, and what the
 * store draws from them (fractions, hours, days, ULID-like and short
 * ids).
 */
#include "sandbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"

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

double
sbx_frac(struct sbx_rng *r)
{
	return (double)(sbx_rng_next(r) >> 11) / 9007199254740992.0;
}

/* Skewed to small values: repeat customers. */
double
sbx_pow_frac(struct sbx_rng *r)
{
	double u = sbx_frac(r);

	return u * u * (0.5 + 0.5 * u);
}

int
sbx_pick_hour(struct sbx_rng *r)
{
	int u = (int)sbx_rng_below(r, HOUR_W_SUM), h;

	for (h = 0; h < 23 && u >= hour_w[h]; h++)
		u -= hour_w[h];
	return h;
}

/* Growth over the history: 0.6 at its start to 1.4 at its end. */
double
sbx_trend(const struct sbx_store *st, int d)
{
	return 0.6 + 0.8 * (double)d / (double)(st->ndays > 1 ?
	    st->ndays - 1 : 1);
}

/* A day, more likely when recent (by trend). */
int
sbx_pick_day(const struct sbx_store *st, struct sbx_rng *r, int from)
{
	int d;

	if (from >= st->ndays)
		return st->ndays - 1;
	do
		d = from + (int)sbx_rng_below(r, (uint64_t)(st->ndays - from));
	while (sbx_frac(r) * 1.4 > sbx_trend(st, d));
	return d;
}

uint32_t
sbx_scale(double x)
{
	return x <= 0 ? 0 : x >= 4e9 ? 4000000000u : (uint32_t)x;
}

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* 26 characters like a ULID, unique for distinct v. */
void
sbx_ulid_like(uint64_t v, uint64_t w, char *out)
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

int
sbx_idset_fresh(struct sbx_idset *set, struct sbx_rng *r, char *out, size_t len,
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
