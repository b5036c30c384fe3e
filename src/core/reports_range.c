/* Report dates and periods; see reports_range.h. */
#include "reports_range.h"

#include <stdio.h>
#include <string.h>

/* Days from civil (H. Hinnant's algorithm), valid for years >= 0. */
static reports_day
days_from_civil(long y, unsigned m, unsigned d)
{
	long		era;
	unsigned	yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

static void
civil_from_days(reports_day z, long *y, unsigned *m, unsigned *d)
{
	long		era;
	unsigned	doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (long)yoe + era * 400 + (*m <= 2);
}

static unsigned
month_days(long y, unsigned m)
{
	static const unsigned len[12] = { 31, 28, 31, 30, 31, 30, 31, 31,
	    30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : len[m - 1];
}

static int
digits(const char *s, size_t n, unsigned *v)
{
	size_t i;

	for (*v = 0, i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return 1;
}

int
reports_date_parse(const char *s, reports_day *out)
{
	unsigned y, m, d;

	if (s == NULL || strlen(s) != REPORTS_DATE_LEN || s[4] != '-' ||
	    s[7] != '-' || !digits(s, 4, &y) || !digits(s + 5, 2, &m) ||
	    !digits(s + 8, 2, &d))
		return KC_ERR_BAD_INPUT;
	if (y < 2000 || y > 2099 || m < 1 || m > 12 || d < 1 ||
	    d > month_days((long)y, m))
		return KC_ERR_BAD_INPUT;
	*out = days_from_civil((long)y, m, d);
	return KC_OK;
}

void
reports_date_format(reports_day day, char *out, size_t len)
{
	long		y;
	unsigned	m, d;

	civil_from_days(day, &y, &m, &d);
	snprintf(out, len, "%04ld-%02u-%02u", y, m, d);
}

int
reports_range_make(const char *from, const char *to, reports_day today,
    struct reports_range *r, const char **why)
{
	long n;

	*why = NULL;
	if ((from == NULL) != (to == NULL)) {
		*why = "Parameters 'from' and 'to' go together: give both "
		    "days (YYYY-MM-DD) or neither for the last 30 days";
		return KC_ERR_BAD_INPUT;
	}
	if (from == NULL) {
		r->to = today;
		r->from = today - (REPORTS_DEFAULT_DAYS - 1);
	} else if (reports_date_parse(from, &r->from) != KC_OK) {
		*why = "Parameter 'from' must be a day YYYY-MM-DD "
		    "(2000 to 2099)";
		return KC_ERR_BAD_INPUT;
	} else if (reports_date_parse(to, &r->to) != KC_OK) {
		*why = "Parameter 'to' must be a day YYYY-MM-DD (2000 to 2099)";
		return KC_ERR_BAD_INPUT;
	} else if (r->to < r->from) {
		*why = "Parameter 'to' must be the same day as 'from' or later";
		return KC_ERR_BAD_INPUT;
	} else if (r->to - r->from + 1 > REPORTS_MAX_DAYS) {
		*why = "Parameters 'from' and 'to' may span at most 731 days";
		return KC_ERR_BAD_INPUT;
	}
	n = r->to - r->from + 1;
	r->prev_to = r->from - 1;
	r->prev_from = r->from - n;
	return KC_OK;
}

long
reports_range_days(const struct reports_range *r)
{
	return r->to - r->from + 1;
}

int
reports_interval_parse(const char *s, enum reports_interval *out)
{
	if (s == NULL || strcmp(s, "day") == 0)
		*out = REPORTS_DAY;
	else if (strcmp(s, "week") == 0)
		*out = REPORTS_WEEK;
	else if (strcmp(s, "month") == 0)
		*out = REPORTS_MONTH;
	else
		return KC_ERR_BAD_INPUT;
	return KC_OK;
}

const char *
reports_interval_unit(enum reports_interval iv)
{
	return iv == REPORTS_WEEK ? "week" : iv == REPORTS_MONTH ? "month" :
	    "day";
}

reports_day
reports_period_start(enum reports_interval iv, reports_day d)
{
	long		y;
	unsigned	m, dd;
	long		wd;

	switch (iv) {
	case REPORTS_WEEK:
		/* 1970-01-01 was a Thursday: Monday is weekday 0 here. */
		wd = ((d + 3) % 7 + 7) % 7;
		return d - wd;
	case REPORTS_MONTH:
		civil_from_days(d, &y, &m, &dd);
		return days_from_civil(y, m, 1);
	default:
		return d;
	}
}

reports_day
reports_period_next(enum reports_interval iv, reports_day start)
{
	long		y;
	unsigned	m, d;

	switch (iv) {
	case REPORTS_WEEK:
		return start + 7;
	case REPORTS_MONTH:
		civil_from_days(start, &y, &m, &d);
		return start + (reports_day)month_days(y, m) - (d - 1);
	default:
		return start + 1;
	}
}

size_t
reports_stride(size_t n)
{
	/* The points kept: ceil(n / stride) plus the last one. */
	if (n <= REPORTS_MAX_POINTS)
		return 1;
	return (n + REPORTS_MAX_POINTS - 2) / (REPORTS_MAX_POINTS - 1);
}
