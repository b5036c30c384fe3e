/*
 * Time arithmetic of the sandbox: civil dates, RFC 3339 date-times, the
 * time zones of its accounts, report time frames and series buckets.
 */
#include "calendar.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads up to n digits; -1 when one is missing. */
static int
digits(const char **p, int n)
{
	int v = 0;

	while (n-- > 0) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	return v;
}

/* Civil dates (H. Hinnant's algorithms). */

int64_t
sbx_days_from_civil(int y, int m, int d)
{
	int64_t		 era, yy = y - (m <= 2);
	unsigned	 yoe, doy, doe;

	era = (yy >= 0 ? yy : yy - 399) / 400;
	yoe = (unsigned)(yy - era * 400);
	doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void
sbx_civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t		 era;
	unsigned	 doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

int
sbx_weekday(int64_t days)
{
	/* 1970-01-01 was a Thursday. */
	return (int)(((days % 7) + 11) % 7);
}

static int
days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

/* Both readings of a date-time: its wall clock and its offset. */
static int
parse_dt(const char *s, int64_t *wall, long *offset)
{
	const char	*p = s;
	int		 y, mo, d, h = 0, mi = 0, se = 0, oh, om, sign;
	long		 off = 0;

	*wall = 0;
	*offset = 0;
	if ((y = digits(&p, 4)) < 0 || *p++ != '-' ||
	    (mo = digits(&p, 2)) < 1 || mo > 12 || *p++ != '-' ||
	    (d = digits(&p, 2)) < 1 || d > 31)
		return KC_ERR_BAD_INPUT;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if ((h = digits(&p, 2)) < 0 || h > 23 || *p++ != ':' ||
		    (mi = digits(&p, 2)) < 0 || mi > 59)
			return KC_ERR_BAD_INPUT;
		if (*p == ':') {
			p++;
			if ((se = digits(&p, 2)) < 0 || se > 60)
				return KC_ERR_BAD_INPUT;
			if (*p == '.') {
				p++;
				if (!isdigit((unsigned char)*p))
					return KC_ERR_BAD_INPUT;
				while (isdigit((unsigned char)*p))
					p++;
			}
		}
		if (*p == 'Z' || *p == 'z')
			p++;
		else if (*p == '+' || *p == '-') {
			sign = *p++ == '-' ? -1 : 1;
			if ((oh = digits(&p, 2)) < 0 || oh > 23)
				return KC_ERR_BAD_INPUT;
			if (*p == ':')
				p++;
			if ((om = digits(&p, 2)) < 0 || om > 59)
				return KC_ERR_BAD_INPUT;
			off = sign * (oh * 3600L + om * 60L);
		}
	}
	if (*p != '\0')
		return KC_ERR_BAD_INPUT;
	/* Refuse Feb 30 and the like. */
	if (d > days_in_month(y, mo))
		return KC_ERR_BAD_INPUT;
	*wall = sbx_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	    (se > 59 ? 59 : se);
	*offset = off;
	return KC_OK;
}

int
sbx_parse_datetime(const char *s, int64_t *out)
{
	int64_t	 wall;
	long	 off;
	int	 rc;

	*out = 0;
	if ((rc = parse_dt(s, &wall, &off)) != KC_OK)
		return rc;
	*out = wall - off;
	return KC_OK;
}

int
sbx_parse_wallclock(const char *s, int64_t *out)
{
	long off;

	return parse_dt(s, out, &off);
}

/* Time zones. */

static const struct sbx_tz zones[] = {
	{ "UTC", 0, 0, SBX_TZR_NONE },
	{ "America/New_York", -5 * 3600, -4 * 3600, SBX_TZR_US },
	{ "America/Chicago", -6 * 3600, -5 * 3600, SBX_TZR_US },
	{ "America/Denver", -7 * 3600, -6 * 3600, SBX_TZR_US },
	{ "America/Los_Angeles", -8 * 3600, -7 * 3600, SBX_TZR_US },
	{ "Europe/London", 0, 3600, SBX_TZR_EU },
	{ "Europe/Berlin", 3600, 7200, SBX_TZR_EU },
	{ "Europe/Paris", 3600, 7200, SBX_TZR_EU },
	{ "Asia/Tokyo", 9 * 3600, 9 * 3600, SBX_TZR_NONE },
	{ "Australia/Sydney", 10 * 3600, 11 * 3600, SBX_TZR_AU },
};

const struct sbx_tz *
sbx_tz_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
		if (strcmp(zones[i].name, name) == 0)
			return &zones[i];
	return NULL;
}

/* The n-th zone of the table (--fleet accounts pick one), or NULL. */
const struct sbx_tz *
sbx_tz_nth(size_t n)
{
	return n < sizeof(zones) / sizeof(zones[0]) ? &zones[n] : NULL;
}

size_t
sbx_tz_count(void)
{
	return sizeof(zones) / sizeof(zones[0]);
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Day of month of the n-th (1-based) Sunday, or the last when n is 0. */
static int
sunday_of(int y, int m, int n)
{
	int last = days_in_month(y, m), first;

	if (n == 0)
		return last - sbx_weekday(sbx_days_from_civil(y, m, last));
	first = 1 + (7 - sbx_weekday(sbx_days_from_civil(y, m, 1))) % 7;
	return first + 7 * (n - 1);
}

static int64_t
civil_s(int y, int m, int d, int h)
{
	return sbx_days_from_civil(y, m, d) * 86400 + h * 3600;
}

static int
dst_active(const struct sbx_tz *z, int64_t utc)
{
	int64_t	 start, end;
	int	 y, m, d;

	sbx_civil_from_days(floor_div(utc + z->std_off, 86400), &y, &m, &d);
	switch (z->rule) {
	case SBX_TZR_US:
		start = civil_s(y, 3, sunday_of(y, 3, 2), 2) - z->std_off;
		end = civil_s(y, 11, sunday_of(y, 11, 1), 2) - z->dst_off;
		return utc >= start && utc < end;
	case SBX_TZR_EU:
		start = civil_s(y, 3, sunday_of(y, 3, 0), 1);
		end = civil_s(y, 10, sunday_of(y, 10, 0), 1);
		return utc >= start && utc < end;
	case SBX_TZR_AU:
		end = civil_s(y, 4, sunday_of(y, 4, 1), 3) - z->dst_off;
		start = civil_s(y, 10, sunday_of(y, 10, 1), 2) - z->std_off;
		return utc < end || utc >= start;
	case SBX_TZR_NONE:
		break;
	}
	return 0;
}

int
sbx_tz_offset(const struct sbx_tz *z, int64_t utc)
{
	return dst_active(z, utc) ? z->dst_off : z->std_off;
}

int64_t
sbx_tz_to_wall(const struct sbx_tz *z, int64_t utc)
{
	return utc + sbx_tz_offset(z, utc);
}

int64_t
sbx_tz_to_utc(const struct sbx_tz *z, int64_t wall)
{
	int64_t u = wall - z->dst_off;

	/* Daylight time when that reading holds (the first of two). */
	if (z->dst_off != z->std_off && dst_active(z, u))
		return u;
	return wall - z->std_off;
}

void
sbx_fmt_local(const struct sbx_tz *z, int64_t utc, char *out, size_t len)
{
	int64_t	 wall, days, secs;
	int	 y, m, d, off = sbx_tz_offset(z, utc);

	wall = utc + off;
	days = floor_div(wall, 86400);
	secs = wall - days * 86400;
	sbx_civil_from_days(days, &y, &m, &d);
	snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", y, m,
	    d, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60),
	    off < 0 ? '-' : '+', abs(off) / 3600, abs(off) / 60 % 60);
}

/* Report time frames. */

int
sbx_interval_parse(const char *s, enum sbx_interval *out)
{
	static const struct {
		const char		*name;
		enum sbx_interval	 iv;
	} ivs[] = {
		{ "hourly", SBX_IV_HOURLY }, { "daily", SBX_IV_DAILY },
		{ "weekly", SBX_IV_WEEKLY }, { "monthly", SBX_IV_MONTHLY },
	};
	size_t i;

	*out = SBX_IV_NONE;
	for (i = 0; i < sizeof(ivs) / sizeof(ivs[0]); i++)
		if (strcmp(ivs[i].name, s) == 0) {
			*out = ivs[i].iv;
			return KC_OK;
		}
	return KC_ERR_BAD_INPUT;
}

int64_t
sbx_wall_add_months(int64_t wall, int months)
{
	int64_t	 days = floor_div(wall, 86400), secs = wall - days * 86400;
	int64_t	 total;
	int	 y, m, d, ny, nm;

	sbx_civil_from_days(days, &y, &m, &d);
	total = (int64_t)y * 12 + (m - 1) + months;
	ny = (int)floor_div(total, 12);
	nm = (int)(total - (int64_t)ny * 12) + 1;
	if (d > days_in_month(ny, nm))
		d = days_in_month(ny, nm);
	return sbx_days_from_civil(ny, nm, d) * 86400 + secs;
}

int
sbx_timeframe_key(const char *key, int64_t today, int64_t *start,
    int64_t *end)
{
	static const struct {
		const char	*key;
		int		 days;
	} last_days[] = {
		{ "last_7_days", 7 }, { "last_30_days", 30 },
		{ "last_90_days", 90 }, { "last_365_days", 365 },
	};
	int64_t	 days = floor_div(today, 86400), week, month, year;
	int	 y, m, d;
	size_t	 i;

	today = days * 86400;
	sbx_civil_from_days(days, &y, &m, &d);
	week = today - (int64_t)sbx_weekday(days) * 86400;
	month = sbx_days_from_civil(y, m, 1) * 86400;
	year = sbx_days_from_civil(y, 1, 1) * 86400;
	*start = *end = 0;
	for (i = 0; i < sizeof(last_days) / sizeof(last_days[0]); i++)
		if (strcmp(key, last_days[i].key) == 0) {
			*start = today - (int64_t)last_days[i].days * 86400;
			*end = today;
			return KC_OK;
		}
	if (strcmp(key, "today") == 0) {
		*start = today;
		*end = today + 86400;
	} else if (strcmp(key, "yesterday") == 0) {
		*start = today - 86400;
		*end = today;
	} else if (strcmp(key, "last_3_months") == 0) {
		*start = sbx_wall_add_months(today, -3);
		*end = today;
	} else if (strcmp(key, "last_12_months") == 0) {
		*start = sbx_wall_add_months(today, -12);
		*end = today;
	} else if (strcmp(key, "this_week") == 0) {
		*start = week;
		*end = today + 86400;
	} else if (strcmp(key, "last_week") == 0) {
		*start = week - 7 * 86400;
		*end = week;
	} else if (strcmp(key, "this_month") == 0) {
		*start = month;
		*end = today + 86400;
	} else if (strcmp(key, "last_month") == 0) {
		*start = sbx_wall_add_months(month, -1);
		*end = month;
	} else if (strcmp(key, "this_year") == 0) {
		*start = year;
		*end = today + 86400;
	} else if (strcmp(key, "last_year") == 0) {
		*start = sbx_days_from_civil(y - 1, 1, 1) * 86400;
		*end = year;
	} else
		return KC_ERR_BAD_INPUT;
	return KC_OK;
}

int64_t
sbx_bucket_floor(const struct sbx_tz *z, enum sbx_interval iv, int64_t utc)
{
	int64_t	 days = floor_div(sbx_tz_to_wall(z, utc), 86400);
	int	 y, m, d;

	switch (iv) {
	case SBX_IV_HOURLY:
		return floor_div(utc, 3600) * 3600;
	case SBX_IV_DAILY:
		return sbx_tz_to_utc(z, days * 86400);
	case SBX_IV_WEEKLY:
		days -= sbx_weekday(days);
		return sbx_tz_to_utc(z, days * 86400);
	case SBX_IV_MONTHLY:
		sbx_civil_from_days(days, &y, &m, &d);
		return sbx_tz_to_utc(z, sbx_days_from_civil(y, m, 1) * 86400);
	case SBX_IV_NONE:
		break;
	}
	return utc;
}

int64_t
sbx_bucket_next(const struct sbx_tz *z, enum sbx_interval iv, int64_t utc)
{
	int64_t wall = sbx_tz_to_wall(z, utc);

	switch (iv) {
	case SBX_IV_HOURLY:
		return utc + 3600;
	case SBX_IV_DAILY:
		return sbx_tz_to_utc(z, wall + 86400);
	case SBX_IV_WEEKLY:
		return sbx_tz_to_utc(z, wall + 7 * 86400);
	case SBX_IV_MONTHLY:
		return sbx_tz_to_utc(z, sbx_wall_add_months(wall, 1));
	case SBX_IV_NONE:
		break;
	}
	return utc;
}
