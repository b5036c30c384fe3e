/* Per-connection sync settings; see sync_settings.h. */
#include "sync_settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_LOAD[] =
    "SELECT type, enabled, interval_hours FROM connection_sync_settings"
    " WHERE connection_id = $1";
/*
 * Per type, the reports a day of the account's other connected
 * connections: 24 / interval for each one syncing the type ($2, $3: the
 * types and their default intervals; orders read no report).
 */
static const char SQL_OTHERS[] =
    "SELECT t.type, coalesce(sum(24.0 / coalesce(s.interval_hours,"
    "  t.hours)) FILTER (WHERE k.id IS NOT NULL"
    "  AND coalesce(s.enabled, true)), 0)"
    " FROM unnest($2::text[], $3::int[]) AS t(type, hours)"
    " LEFT JOIN klaviyo_connections k ON k.account_id = $4 AND k.id <> $1"
    "  AND k.klaviyo_integration ->> 'status' = 'connected'"
    " LEFT JOIN connection_sync_settings s ON s.connection_id = k.id"
    "  AND s.type = t.type"
    " GROUP BY t.type";
static const char SQL_SAVE[] =
    "INSERT INTO connection_sync_settings (connection_id, store_id, type,"
    " enabled, interval_hours) SELECT k.id, k.store_id, $2, $3::boolean,"
    " $4::integer FROM klaviyo_connections k WHERE k.id = $1"
    " ON CONFLICT (connection_id, type) DO UPDATE SET"
    " enabled = EXCLUDED.enabled, interval_hours = EXCLUDED.interval_hours,"
    " updated_at = now()"
    " WHERE (connection_sync_settings.enabled,"
    "  connection_sync_settings.interval_hours) IS DISTINCT FROM"
    " (EXCLUDED.enabled, EXCLUDED.interval_hours)";

void
sync_settings_default(struct sync_settings *s)
{
	size_t i;

	for (i = 0; i < SYNC_TYPE_COUNT; i++) {
		s->t[i].enabled = 1;
		s->t[i].interval_hours = sync_types[i].interval_hours;
		s->t[i].custom = 0;
	}
}

int
sync_settings_syncs(const struct sync_settings *s, const struct sync_type *t,
    int placed_order)
{
	return s->t[t->id].enabled && (!t->needs_placed_order || placed_order);
}

double
sync_reports_per_day(const struct sync_type *t, int hours)
{
	if (t->report_ep == KV__MAX || hours <= 0)
		return 0;
	return 24.0 / hours;
}

int
sync_shortest_interval(const struct sync_type *t, double others)
{
	double	left = SYNC_REPORTS_BUDGET - others;
	int	h;

	if (t->report_ep == KV__MAX)
		return SYNC_INTERVAL_MIN_HOURS;
	if (left <= 0)
		return 0;
	/* The least whole h with 24 / h <= left (a hair of slack for
	 * sums of 24 / h that are not exact in binary). */
	if (left >= 24.0 / SYNC_INTERVAL_MIN_HOURS)
		return SYNC_INTERVAL_MIN_HOURS;
	h = (int)(24.0 / left);
	if (h < SYNC_INTERVAL_MIN_HOURS)
		h = SYNC_INTERVAL_MIN_HOURS;
	if (24.0 / h > left + 1e-9)
		h++;
	return h <= SYNC_INTERVAL_MAX_HOURS ? h : 0;
}

int
sync_settings_load(struct db *db, long long conn_id, struct sync_settings *s)
{
	const struct sync_type	*t;
	char			 cid[24];
	const char		*params[1] = { cid };
	PGresult		*res = NULL;
	int			 r, rc;

	sync_settings_default(s);
	snprintf(cid, sizeof(cid), "%lld", conn_id);
	if ((rc = db_query(db, SQL_LOAD, 1, params, &res)) != KC_OK)
		return rc;
	for (r = 0; r < PQntuples(res); r++) {
		if ((t = sync_type_find(PQgetvalue(res, r, 0))) == NULL)
			continue;
		s->t[t->id].enabled = PQgetvalue(res, r, 1)[0] == 't';
		if (!PQgetisnull(res, r, 2)) {
			s->t[t->id].interval_hours = (int)strtol(
			    PQgetvalue(res, r, 2), NULL, 10);
			s->t[t->id].custom = 1;
		}
	}
	PQclear(res);
	return KC_OK;
}

int
sync_settings_others(struct db *db, long long conn_id, const char *account,
    double others[SYNC_TYPE_COUNT])
{
	struct sync_type_arrays	 ta;
	const struct sync_type	*t;
	char			 cid[24];
	const char		*params[4] = { cid, ta.names, ta.hours, account };
	PGresult		*res = NULL;
	int			 r, rc;

	memset(others, 0, sizeof(double) * SYNC_TYPE_COUNT);
	snprintf(cid, sizeof(cid), "%lld", conn_id);
	sync_type_arrays(&ta);
	if ((rc = db_query(db, SQL_OTHERS, 4, params, &res)) != KC_OK)
		return rc;
	for (r = 0; r < PQntuples(res); r++)
		if ((t = sync_type_find(PQgetvalue(res, r, 0))) != NULL)
			others[t->id] = t->report_ep == KV__MAX ? 0 :
			    strtod(PQgetvalue(res, r, 1), NULL);
	PQclear(res);
	return KC_OK;
}

int
sync_settings_save(struct db *db, long long conn_id,
    const struct sync_settings *s)
{
	char		 cid[24], hours[16];
	const char	*params[4];
	size_t		 i;
	int		 rc;

	snprintf(cid, sizeof(cid), "%lld", conn_id);
	for (i = 0; i < SYNC_TYPE_COUNT; i++) {
		snprintf(hours, sizeof(hours), "%d", s->t[i].interval_hours);
		params[0] = cid;
		params[1] = sync_types[i].name;
		params[2] = s->t[i].enabled ? "true" : "false";
		params[3] = s->t[i].custom ? hours : NULL;
		if ((rc = db_query(db, SQL_SAVE, 4, params, NULL)) != KC_OK)
			return rc;
	}
	return KC_OK;
}
