/*
 * A Klaviyo connection's sync settings (connection_sync_settings,
 * sql/012): per type whether it syncs and how often, 1 hour to 7 days,
 * the type's default when not set.  An interval is also held to the
 * Klaviyo account's daily report budget: each report endpoint allows 225
 * requests a day per account (the OpenAPI spec's "Daily: 225/d"), shared
 * by every store connected to that account, and an incremental sync of
 * a reporting type asks for one report.  SYNC_REPORTS_RESERVE of them
 * are kept for full syncs and "sync now".
 */
#ifndef KC_SYNC_SETTINGS_H
#define KC_SYNC_SETTINGS_H

#include "db.h"
#include "kc_err.h"
#include "sync_type.h"

#define SYNC_REPORTS_DAILY	225
#define SYNC_REPORTS_RESERVE	25
#define SYNC_REPORTS_BUDGET	(SYNC_REPORTS_DAILY - SYNC_REPORTS_RESERVE)
#define SYNC_INTERVAL_MIN_HOURS	1
#define SYNC_INTERVAL_MAX_HOURS	168

struct type_setting {
	int	enabled;
	int	interval_hours;		/* in effect */
	int	custom;			/* set, not the type's default */
};

struct sync_settings {
	struct type_setting	t[SYNC_TYPE_COUNT];
};

/* The defaults: every type on, at its sync_type.h interval. */
void	sync_settings_default(struct sync_settings *);
/*
 * Whether t syncs for a connection with these settings: switched on,
 * and orders only with Shopify's Placed Order as the metric (pure).
 */
int	sync_settings_syncs(const struct sync_settings *,
	    const struct sync_type *, int placed_order);
/* Report requests a day of a type synced every hours (pure). */
double	sync_reports_per_day(const struct sync_type *, int hours);
/*
 * The shortest interval in hours that keeps others (the account's other
 * connections' reports a day on that endpoint) plus this one within the
 * budget; 0 when none does (pure).
 */
int	sync_shortest_interval(const struct sync_type *, double others);

int	sync_settings_load(struct db *, long long conn_id,
	    struct sync_settings *) KC_MUSTCHECK;
/*
 * Reports a day per type asked for by the other connected connections
 * of the Klaviyo account (every store), with their settings.
 */
int	sync_settings_others(struct db *, long long conn_id,
	    const char *account_id, double others[SYNC_TYPE_COUNT])
	    KC_MUSTCHECK;
/* Writes every type's row (inside the caller's transaction). */
int	sync_settings_save(struct db *, long long conn_id,
	    const struct sync_settings *) KC_MUSTCHECK;

#endif
