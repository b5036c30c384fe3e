/*
 * The calendar arithmetic of the reports (docs/REPORTS.md), pure so it
 * is unit-tested on its own: days as YYYY-MM-DD, a report's inclusive
 * range and its previous period, the periods of a series (day, ISO week
 * from Monday, month) and the stride that thins a segment's daily points.
 */
#ifndef KC_REPORTS_RANGE_H
#define KC_REPORTS_RANGE_H

#include <stddef.h>

#include "kc_err.h"

#define REPORTS_DATE_LEN 10		/* "YYYY-MM-DD" */
#define REPORTS_DEFAULT_DAYS 30
#define REPORTS_MAX_DAYS 731
#define REPORTS_MAX_POINTS 100		/* a segment's points */

enum reports_interval {
	REPORTS_DAY,
	REPORTS_WEEK,
	REPORTS_MONTH,
};

/* Days since 1970-01-01, proleptic Gregorian. */
typedef long reports_day;

/*
 * Parses exactly "YYYY-MM-DD", a real calendar day of 2000 to 2099
 * (the years a Klaviyo account can have data in, with room).
 */
int	reports_date_parse(const char *, reports_day *) KC_MUSTCHECK;
/* Writes "YYYY-MM-DD" (out: at least REPORTS_DATE_LEN + 1 bytes). */
void	reports_date_format(reports_day, char *out, size_t len);

struct reports_range {
	reports_day	from, to;		/* inclusive */
	reports_day	prev_from, prev_to;	/* the same length before */
};

/*
 * The range of from..to, both or neither given (NULL): the default is
 * REPORTS_DEFAULT_DAYS ending with today.  KC_ERR_BAD_INPUT with a
 * sentence naming the parameter in why.
 */
int	reports_range_make(const char *from, const char *to,
	    reports_day today, struct reports_range *, const char **why)
	    KC_MUSTCHECK;
long	reports_range_days(const struct reports_range *);

/* "day", "week", "month"; KC_ERR_BAD_INPUT otherwise. */
int	reports_interval_parse(const char *, enum reports_interval *)
	    KC_MUSTCHECK;
/* The unit PostgreSQL's date_trunc takes for it. */
const char *reports_interval_unit(enum reports_interval);
/* The first day of the period holding d (weeks start on Monday). */
reports_day reports_period_start(enum reports_interval, reports_day d);
/* The first day of the period after the one starting at start. */
reports_day reports_period_next(enum reports_interval, reports_day start);

/*
 * Of n daily points, keep index i when i % stride == 0 or i == n - 1:
 * the stride that keeps at most about REPORTS_MAX_POINTS.
 */
size_t	reports_stride(size_t n);

#endif
