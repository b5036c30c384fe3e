/* Compact sums of report series; see series_acc.h. */
#include "series_acc.h"

#include <stdlib.h>
#include <string.h>

/* FNV-1a over "id\0day". */
static uint64_t
hash_key(const char *id, const char *day)
{
	uint64_t	h = 1469598103934665603ULL;
	const char	*p;

	for (p = id; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ 0) * 1099511628211ULL;
	for (p = day; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h;
}

int
series_acc_init(struct series_acc *a, size_t nstats)
{
	memset(a, 0, sizeof(*a));
	if (nstats == 0 || nstats > SERIES_STATS_MAX)
		return KC_ERR_INTERNAL;
	a->nstats = nstats;
	a->nslots = 256;
	if ((a->slots = calloc(a->nslots, sizeof(*a->slots))) == NULL)
		return KC_ERR_NOMEM;
	return KC_OK;
}

void
series_acc_free(struct series_acc *a)
{
	free(a->rows);
	free(a->values);
	free(a->slots);
	memset(a, 0, sizeof(*a));
}

/* The slot where (id, day) is, or the empty one where it would go. */
static size_t
probe(const struct series_acc *a, const char *id, const char *day)
{
	size_t			 i = (size_t)hash_key(id, day) & (a->nslots - 1);
	const struct series_row	*r;

	for (;;) {
		if (a->slots[i] == 0)
			return i;
		r = &a->rows[a->slots[i] - 1];
		if (strcmp(r->id, id) == 0 && strcmp(r->day, day) == 0)
			return i;
		i = (i + 1) & (a->nslots - 1);
	}
}

/* Doubles the slot table when it is half full. */
static int
rehash(struct series_acc *a)
{
	size_t	*old = a->slots, n = a->nslots, i, j;

	if ((a->slots = calloc(n * 2, sizeof(*a->slots))) == NULL) {
		a->slots = old;
		return KC_ERR_NOMEM;
	}
	a->nslots = n * 2;
	for (i = 0; i < n; i++) {
		if (old[i] == 0)
			continue;
		j = probe(a, a->rows[old[i] - 1].id, a->rows[old[i] - 1].day);
		a->slots[j] = old[i];
	}
	free(old);
	return KC_OK;
}

static int
grow_rows(struct series_acc *a)
{
	struct series_row	*rows;
	double			*values;
	size_t			 cap = a->caprows ? a->caprows * 2 : 64;

	if ((rows = realloc(a->rows, cap * sizeof(*rows))) == NULL)
		return KC_ERR_NOMEM;
	a->rows = rows;
	if ((values = realloc(a->values, cap * a->nstats *
	    sizeof(*values))) == NULL)
		return KC_ERR_NOMEM;
	a->values = values;
	a->caprows = cap;
	return KC_OK;
}

int
series_acc_add(struct series_acc *a, const char *id, const char *day,
    size_t stat, double x)
{
	struct series_row	*r;
	size_t			 i, k;
	int			 rc;

	if (stat >= a->nstats || strlen(id) > SERIES_ID_MAX ||
	    strlen(day) >= sizeof(r->day))
		return KC_ERR_BAD_INPUT;
	i = probe(a, id, day);
	if (a->slots[i] == 0) {
		if (a->nrows == a->caprows && (rc = grow_rows(a)) != KC_OK)
			return rc;
		r = &a->rows[a->nrows];
		memcpy(r->id, id, strlen(id) + 1);
		memcpy(r->day, day, strlen(day) + 1);
		r->have = 0;
		r->at = a->nrows * a->nstats;
		for (k = 0; k < a->nstats; k++)
			a->values[r->at + k] = 0;
		a->slots[i] = ++a->nrows;
		if (a->nrows * 2 > a->nslots && (rc = rehash(a)) != KC_OK)
			return rc;
	} else
		r = &a->rows[a->slots[i] - 1];
	r->have |= (uint32_t)1 << stat;
	a->values[r->at + stat] += x;
	return KC_OK;
}

double
series_acc_value(const struct series_acc *a, size_t r, size_t stat)
{
	return a->values[a->rows[r].at + stat];
}
