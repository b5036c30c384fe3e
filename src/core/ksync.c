/* The KlaviyoSync model; see ksync.h. */
#include "ksync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "integration.h"
#include "jobq.h"
#include "sync_type.h"

static const char SQL_FIND_OR_CREATE[] =
    "INSERT INTO klaviyo_syncs (klaviyo_public_id, store_id, connection_id)"
    " SELECT $1, k.store_id, k.id FROM klaviyo_connections k WHERE k.id = $2"
    " ON CONFLICT (connection_id)"
    " DO UPDATE SET updated_at = klaviyo_syncs.updated_at RETURNING id";
static const char SQL_DELETE_CONNECTION[] =
    "DELETE FROM klaviyo_syncs WHERE connection_id = $1";
/* The type's state goes: its next sync is a full one. */
static const char SQL_FORGET[] =
    "UPDATE klaviyo_syncs SET state = state - $2::text, updated_at = now()"
    " WHERE connection_id = $1";
static const char SQL_START[] =
    "UPDATE klaviyo_syncs SET state = jsonb_set(state, ARRAY[$2::text],"
    " coalesce(state -> $2, '{}') || jsonb_build_object('status', 'running',"
    " 'started_at', now())), updated_at = now() WHERE connection_id = $1";
static const char SQL_COMPLETE[] =
    "UPDATE klaviyo_syncs SET state = jsonb_set(state, ARRAY[$2::text],"
    " coalesce(state -> $2, '{}') || jsonb_build_object("
    " 'status', CASE WHEN $3::text IS NULL THEN 'done' ELSE 'failed' END,"
    " 'last_error', $3::text, 'finished_at', now())"
    " || CASE WHEN $3::text IS NULL THEN jsonb_build_object('last_sync',"
    " coalesce($4::timestamptz, now())) ELSE '{}' END), updated_at = now()"
    " WHERE connection_id = $1";
static const char SQL_RANGE[] =
    "SELECT coalesce(to_char(((SELECT (state -> $2 ->> 'last_sync')"
    "::timestamptz FROM klaviyo_syncs WHERE connection_id = $1"
    " ORDER BY id DESC LIMIT 1) AT TIME ZONE $3)::date - $4::integer,"
    " 'YYYY-MM-DD'), ''), to_char((now() AT TIME ZONE $3)::date,"
    " 'YYYY-MM-DD'), now()::text";
/*
 * Every connected connection and type that is due and has no job
 * pending.  $1: the types' names, $2 their default intervals in hours,
 * $3 whether each needs Shopify's Placed Order (sync_type.h); the
 * connection's settings (sql/012) turn a type off or set its interval.
 */
static const char SQL_DUE[] =
    "SELECT c.id, t.type, k.state -> t.type ->> 'last_sync' IS NULL"
    " FROM klaviyo_connections c"
    " JOIN klaviyo_syncs k ON k.connection_id = c.id"
    "  AND k.klaviyo_public_id = c.account_id"
    " CROSS JOIN unnest($1::text[], $2::int[], $3::boolean[])"
    "  AS t(type, hours, placed_order)"
    " LEFT JOIN connection_sync_settings ss ON ss.connection_id = c.id"
    "  AND ss.type = t.type"
    " WHERE " INTEG_SQL_STATUS("c") " = 'connected'"
    " AND (NOT t.placed_order OR " INTEG_SQL_PLACED_ORDER("c") ")"
    " AND coalesce(ss.enabled, true)"
    " AND coalesce((k.state -> t.type ->> 'last_sync')::timestamptz"
    "  < now() - make_interval(hours => coalesce(ss.interval_hours,"
    "  t.hours)), true)"
    " AND NOT EXISTS (SELECT 1 FROM sync_jobs j WHERE j.connection_id = c.id"
    "  AND j.type = t.type AND j.state IN ('queued', 'running'))";

int
ksync_find_or_create(struct db *db, const char *kid, long long conn_id,
    long long *id)
{
	char		 sid[24];
	const char	*params[2] = { kid, sid };
	PGresult	*res = NULL;
	int		 rc;

	snprintf(sid, sizeof(sid), "%lld", conn_id);
	if ((rc = db_query(db, SQL_FIND_OR_CREATE, 2, params, &res)) != KC_OK)
		return rc;
	*id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return KC_OK;
}

int
ksync_delete_connection(struct db *db, long long conn_id)
{
	char		 sid[24];
	const char	*params[1] = { sid };

	snprintf(sid, sizeof(sid), "%lld", conn_id);
	return db_query(db, SQL_DELETE_CONNECTION, 1, params, NULL);
}

int
ksync_forget(struct db *db, long long conn_id, const char *type)
{
	char		 sid[24];
	const char	*params[2] = { sid, type };

	snprintf(sid, sizeof(sid), "%lld", conn_id);
	return db_query(db, SQL_FORGET, 2, params, NULL);
}

int
ksync_start(struct db *db, long long conn_id, const char *type)
{
	char		 sid[24];
	const char	*params[2] = { sid, type };

	snprintf(sid, sizeof(sid), "%lld", conn_id);
	return db_query(db, SQL_START, 2, params, NULL);
}

int
ksync_complete(struct db *db, long long conn_id, const char *type,
    const char *error, const char *synced_to)
{
	char		 sid[24];
	const char	*params[4] = { sid, type, error, synced_to };

	snprintf(sid, sizeof(sid), "%lld", conn_id);
	return db_query(db, SQL_COMPLETE, 4, params, NULL);
}

int
ksync_date_range(struct db *db, long long conn_id, const char *type,
    const char *tz, int lookback, char *since, char *today, size_t len,
    char *at, size_t atlen)
{
	char		 sid[24], lb[16];
	const char	*params[4] = { sid, type, tz, lb };
	PGresult	*res = NULL;
	int		 rc;

	snprintf(sid, sizeof(sid), "%lld", conn_id);
	snprintf(lb, sizeof(lb), "%d", lookback);
	if ((rc = db_query(db, SQL_RANGE, 4, params, &res)) != KC_OK)
		return rc;
	snprintf(since, len, "%s", PQgetvalue(res, 0, 0));
	snprintf(today, len, "%s", PQgetvalue(res, 0, 1));
	snprintf(at, atlen, "%s", PQgetvalue(res, 0, 2));
	PQclear(res);
	return KC_OK;
}

int
ksync_schedule(struct db *db, int *queued)
{
	struct sync_type_arrays	 ta;
	PGresult		*res = NULL;
	const char		*due[3];
	int			 r, rc, added;

	*queued = 0;
	sync_type_arrays(&ta);
	due[0] = ta.names;
	due[1] = ta.hours;
	due[2] = ta.placed;
	if ((rc = db_query(db, SQL_DUE, 3, due, &res)) != KC_OK)
		return rc;
	for (r = 0; r < PQntuples(res); r++) {
		if ((rc = jobq_enqueue_new(db, strtoll(PQgetvalue(res, r, 0),
		    NULL, 10), PQgetvalue(res, r, 1), PQgetvalue(res, r, 2)[0] ==
		    't' ? "full" : "incremental", &added)) != KC_OK)
			break;
		*queued += added;
	}
	PQclear(res);
	return rc;
}
