/*
 * Every statement that writes klaviyo_connections.klaviyo_integration (a
 * connection's document); see integration.h.  Whole-document writes happen under the row lock of
 * integ_lock; the sync's small updates merge (||) into the stored
 * document, so they never undo a connect or disconnect made meanwhile.
 */
#include "integration.h"

#include <stdio.h>
#include <string.h>

#include "jobq.h"

static const char SQL_LOCK[] =
    "SELECT klaviyo_integration::text FROM klaviyo_connections"
    " WHERE id = $1 FOR UPDATE";
/*
 * The connection row first, in the order a removal takes its locks
 * (store, connection, jobs, klaviyo_syncs, data), so a sync transaction
 * never holds a job or a data row while it waits for the connection
 * (40P01 deadlocks).
 */
static const char SQL_HOLD_SHARE[] =
    "SELECT 1 FROM klaviyo_connections WHERE id = $1 FOR KEY SHARE";
static const char SQL_HOLD_UPDATE[] =
    "SELECT 1 FROM klaviyo_connections WHERE id = $1 FOR NO KEY UPDATE";
static const char SQL_SAVE[] =
    "UPDATE klaviyo_connections SET klaviyo_integration = $2::jsonb,"
    " updated_at = now() WHERE id = $1";
/* Only a connected one: a removal or another account meanwhile stays. */
static const char SQL_MARK_REFUSED[] =
    "UPDATE klaviyo_connections SET klaviyo_integration ="
    " klaviyo_integration"
    " || jsonb_build_object('status', 'error', 'last_error', $2::text,"
    " 'is_updating_dashboard', false)"
    " WHERE id = $1 AND klaviyo_integration ->> 'status' = 'connected'";
/*
 * $2: the type's *_last_update field, NULL for none; $3 1 when a job
 * ended; $4 its error (NULL: success).  Updating: a job of the connection
 * runs or is parked mid-sync, as the status route shows it; computed
 * once, and the row is written only when something changes (a job
 * parking and resuming rewrites nothing).
 */
static const char SQL_TRACK[] =
    "UPDATE klaviyo_connections SET klaviyo_integration ="
    " klaviyo_integration"
    " || jsonb_build_object('is_updating_dashboard', u.updating)"
    " || CASE WHEN $3::int = 1 THEN jsonb_build_object('last_error',"
    "  $4::text) ELSE '{}' END"
    " || CASE WHEN $3::int = 1 AND $4::text IS NULL THEN"
    "  jsonb_build_object('last_sync', now()) || CASE WHEN $2::text IS NULL"
    "  THEN '{}' ELSE jsonb_build_object($2::text, now()) END ELSE '{}' END"
    " FROM (SELECT EXISTS (SELECT 1 FROM sync_jobs j"
    "  WHERE j.connection_id = $1"
    "  AND (j.state = 'running' OR " JOBQ_SQL_PARKED("j") ")) AS updating) u"
    " WHERE id = $1"
    " AND ($3::int = 1 OR klaviyo_integration -> 'is_updating_dashboard'"
    "  IS DISTINCT FROM to_jsonb(u.updating))";

static void
sid_str(long long id, char *out, size_t len)
{
	snprintf(out, len, "%lld", id);
}

int
integ_lock(struct db *db, long long conn_id, struct integration *in)
{
	char		 sid[24];
	const char	*params[1] = { sid };
	PGresult	*res = NULL;
	int		 rc;

	memset(in, 0, sizeof(*in));
	sid_str(conn_id, sid, sizeof(sid));
	if ((rc = db_query(db, SQL_LOCK, 1, params, &res)) != KC_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return KC_ERR_NOT_FOUND;
	}
	rc = integ_parse(PQgetvalue(res, 0, 0), in);
	PQclear(res);
	return rc;
}

int
integ_save(struct db *db, long long conn_id, const struct integration *in)
{
	struct json_object	*o = NULL;
	char			 sid[24];
	const char		*params[2];
	int			 rc;

	if ((rc = integ_to_json(in, &o)) != KC_OK)
		return rc;
	sid_str(conn_id, sid, sizeof(sid));
	params[0] = sid;
	params[1] = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	rc = db_query(db, SQL_SAVE, 2, params, NULL);
	json_object_put(o);
	return rc;
}

int
integ_mark_refused(struct db *db, long long conn_id, const char *why,
    int *changed)
{
	char		 sid[24];
	const char	*params[2] = { sid, why };
	PGresult	*res = NULL;
	int		 rc;

	*changed = 0;
	sid_str(conn_id, sid, sizeof(sid));
	if ((rc = db_query(db, SQL_MARK_REFUSED, 2, params, &res)) != KC_OK)
		return rc;
	*changed = strcmp(PQcmdTuples(res), "0") != 0;
	PQclear(res);
	return KC_OK;
}

int
integ_hold(struct db *db, long long conn_id, int will_update)
{
	char		 sid[24];
	const char	*params[1] = { sid };

	sid_str(conn_id, sid, sizeof(sid));
	return db_query(db, will_update ? SQL_HOLD_UPDATE : SQL_HOLD_SHARE, 1,
	    params, NULL);
}

int
integ_track_sync(struct db *db, long long conn_id,
    const struct sync_type *ended, const char *error)
{
	char		 sid[24];
	const char	*params[4];

	sid_str(conn_id, sid, sizeof(sid));
	params[0] = sid;
	params[1] = ended ? ended->last_update_field : NULL;
	params[2] = ended ? "1" : "0";
	params[3] = ended ? error : NULL;
	return db_query(db, SQL_TRACK, 4, params, NULL);
}
