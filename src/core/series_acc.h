/*
 * Sums of a report window's series: one row per (group id, day) with up
 * to 32 statistics as doubles, found through an open-addressing hash.
 * It replaces a json-c tree (an object per row, an object per number)
 * that made a 60-day window of 80 flows cost megabytes until its write.
 */
#ifndef KC_SERIES_ACC_H
#define KC_SERIES_ACC_H

#include <stddef.h>
#include <stdint.h>

#include "kc_err.h"

#define SERIES_ID_MAX	64
#define SERIES_STATS_MAX 32

struct series_row {
	char		 id[SERIES_ID_MAX + 1];
	char		 day[11];	/* YYYY-MM-DD */
	uint32_t	 have;		/* which statistics were seen */
	size_t		 at;		/* first of its nstats values */
};

struct series_acc {
	size_t			 nstats;
	struct series_row	*rows;
	size_t			 nrows, caprows;
	double			*values;	/* nrows * nstats */
	size_t			*slots;		/* row index + 1; 0 empty */
	size_t			 nslots;	/* a power of two */
};

int	series_acc_init(struct series_acc *, size_t nstats) KC_MUSTCHECK;
/* Adds x to statistic stat of (id, day); KC_ERR_BAD_INPUT if too long. */
int	series_acc_add(struct series_acc *, const char *id, const char *day,
	    size_t stat, double x) KC_MUSTCHECK;
/* The value of statistic stat of row r (valid when the bit is set). */
double	series_acc_value(const struct series_acc *, size_t r, size_t stat);
void	series_acc_free(struct series_acc *);

#endif
