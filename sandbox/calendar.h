/*
 * The pure time arithmetic of klaviyo-sandbox (calendar.c): RFC 3339
 * date-times, civil dates, account time zones (the few rules the
 * sandbox's accounts need), report time frames ("key" or start/end read
 * as the account's wall clock) and series buckets.
 */
#ifndef KC_SANDBOX_CALENDAR_H
#define KC_SANDBOX_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#include "kc_err.h"

/* RFC 3339 date-time (or a bare YYYY-MM-DD) to epoch seconds. */
int	sbx_parse_datetime(const char *, int64_t *) KC_MUSTCHECK;
/*
 * The same, but the wall-clock time it names with any offset ignored,
 * as seconds since 1970-01-01T00:00 of that clock ("wall" seconds).
 */
int	sbx_parse_wallclock(const char *, int64_t *) KC_MUSTCHECK;

/* Civil dates (proleptic Gregorian): days since 1970-01-01. */
int64_t	sbx_days_from_civil(int y, int m, int d);
void	sbx_civil_from_days(int64_t, int *y, int *m, int *d);
/* 0 Sunday .. 6 Saturday. */
int	sbx_weekday(int64_t days);

/*
 * Time zones: fixed rules since 2007 (US), 1996 (EU) and 2008
 * (Australia), enough for the sandbox's accounts.  A wall time that
 * does not exist (spring forward) is read as standard time, one that
 * exists twice (fall back) as its first occurrence.
 */
enum sbx_tz_rule { SBX_TZR_NONE, SBX_TZR_US, SBX_TZR_EU, SBX_TZR_AU };

struct sbx_tz {
	const char		*name;
	int			 std_off;	/* seconds east of UTC */
	int			 dst_off;
	enum sbx_tz_rule	 rule;
};

const struct sbx_tz *sbx_tz_find(const char *);
/* The zone table, in order: the n-th zone (NULL past the end), count. */
const struct sbx_tz *sbx_tz_nth(size_t);
size_t	sbx_tz_count(void);
int	sbx_tz_offset(const struct sbx_tz *, int64_t utc);
int64_t	sbx_tz_to_utc(const struct sbx_tz *, int64_t wall);
int64_t	sbx_tz_to_wall(const struct sbx_tz *, int64_t utc);
/* "2025-01-05T00:00:00-05:00": utc in the zone, with its offset. */
void	sbx_fmt_local(const struct sbx_tz *, int64_t utc, char *, size_t);

/* Report time frames and series intervals. */
enum sbx_interval {
	SBX_IV_NONE = 0, SBX_IV_HOURLY, SBX_IV_DAILY, SBX_IV_WEEKLY,
	SBX_IV_MONTHLY
};

int	sbx_interval_parse(const char *, enum sbx_interval *) KC_MUSTCHECK;
/* wall + n calendar months, the day clamped to the month's last. */
int64_t	sbx_wall_add_months(int64_t wall, int months);
/*
 * A timeframe key ("last_30_days", "this_month", ...) as wall times
 * [start, end) of the account's clock, today being the wall midnight
 * that starts the account's current day.  Weeks start on Sunday;
 * "last_N_days" and "last_N_months" end where today begins, "this_X"
 * at the end of today.
 */
int	sbx_timeframe_key(const char *, int64_t today, int64_t *start,
	    int64_t *end) KC_MUSTCHECK;
/* The bucket of an instant: its hour (UTC), or local day/week/month. */
int64_t	sbx_bucket_floor(const struct sbx_tz *, enum sbx_interval, int64_t);
/* The start of the bucket after the one starting at utc. */
int64_t	sbx_bucket_next(const struct sbx_tz *, enum sbx_interval, int64_t);

#endif
