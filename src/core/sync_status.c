/* Sync progress for the status route; see sync_status.h. */
#include "sync_status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "integration.h"
#include "jobq.h"
#include "json_util.h"
#include "sync_type.h"

/*
 * One round trip: per type the pending job if any, else its latest one
 * (of this connection: not those before a reconnect), its last sync,
 * and in column 0 whether a trigger waits to become jobs (a sync is
 * about to start).  Always at least one row.
 */
static const char SQL_SYNC[] =
    "SELECT p.pending, x.type, x.state, x.done, x.total, x.last_error,"
    " x.last_sync, x.mode, x.progress"
    " FROM (SELECT EXISTS (SELECT 1 FROM report_triggers"
    "  WHERE connection_id = $1"
    "  AND delivered_at IS NULL AND cancelled_at IS NULL) AS pending) p"
    " LEFT JOIN LATERAL ("
    /*
     * A job parked until its account's next report slot (queued with a
     * cursor and no error) is syncing, as far as anyone can tell.
     */
    " SELECT t.n, t.type, CASE WHEN " JOBQ_SQL_PARKED("j")
    "  THEN 'running' ELSE j.state END AS state,"
    "  coalesce((j.progress ->> 'done')::bigint, 0) AS done,"
    "  coalesce((j.progress ->> 'total')::bigint, 0) AS total,"
    "  j.last_error, k.last_sync, j.mode, j.progress::text AS progress"
    " FROM unnest($2::text[]) WITH ORDINALITY AS t(type, n)"
    " LEFT JOIN LATERAL (SELECT state, progress, last_error, mode, cursor"
    "  FROM sync_jobs WHERE connection_id = $1 AND type = t.type"
    "  AND created_at >= coalesce((SELECT " INTEG_SQL_CONNECTED_AT("c")
    "   FROM klaviyo_connections c WHERE c.id = $1), '-infinity')"
    "  ORDER BY state IN ('queued', 'running') DESC, id DESC LIMIT 1) j"
    "  ON true"
    " LEFT JOIN LATERAL (SELECT state -> t.type ->> 'last_sync' AS last_sync"
    "  FROM klaviyo_syncs WHERE connection_id = $1 ORDER BY id DESC LIMIT 1)"
    "  k"
    "  ON true"
    " WHERE j.state IS NOT NULL OR k.last_sync IS NOT NULL) x ON true"
    " ORDER BY x.n";

/* Objects and report windows of the job's progress, and its finish. */
static int
add_detail(struct json_object *t, const char *progress)
{
	static const char *const keys[] = { "objects", "objects_total",
	    "windows_done", "windows_total", "eta" };
	struct json_object	*p, *v;
	size_t			 i;
	int			 rc = KC_OK;

	if (progress == NULL || (p = json_tokener_parse(progress)) == NULL)
		return KC_OK;
	for (i = 0; i < nitems(keys) && rc == KC_OK; i++)
		if (json_object_object_get_ex(p, keys[i], &v))
			rc = json_add_obj(t, keys[i], json_object_get(v));
	json_object_put(p);
	return rc;
}

int
sync_status_json(struct db *db, long long conn_id, struct json_object **out,
    const char **status)
{
	struct sync_type_arrays	 ta;
	char			 sid[24];
	const char		*params[2] = { sid, ta.names }, *st;
	struct json_object	*o = NULL, *t;
	PGresult		*res = NULL;
	int			 r, rc, running = 0, queued = 0, failed = 0;
	int			 done = 0;

	*out = NULL;
	*status = "idle";
	if (conn_id == 0)	/* not configured: nothing synced */
		return (*out = json_object_new_object()) ? KC_OK : KC_ERR_NOMEM;
	snprintf(sid, sizeof(sid), "%lld", conn_id);
	sync_type_arrays(&ta);
	if ((rc = db_query(db, SQL_SYNC, 2, params, &res)) != KC_OK)
		return rc;
	if ((o = json_object_new_object()) == NULL) {
		PQclear(res);
		return KC_ERR_NOMEM;
	}
	for (r = 0; r < PQntuples(res); r++) {
		if (PQgetisnull(res, r, 1))
			continue;	/* no type has anything yet */
		st = db_val(res, r, 2) ? db_val(res, r, 2) : "done";
		running |= strcmp(st, "running") == 0;
		queued |= strcmp(st, "queued") == 0;
		failed |= strcmp(st, "failed") == 0;
		done |= strcmp(st, "done") == 0;
		rc = KC_ERR_NOMEM;
		if ((t = json_object_new_object()) == NULL)
			goto out;
		if (json_add_str(t, "state", st) != KC_OK ||
		    json_add_int(t, "done", strtoll(PQgetvalue(res, r, 3),
		    NULL, 10)) != KC_OK ||
		    json_add_int(t, "total", strtoll(PQgetvalue(res, r, 4),
		    NULL, 10)) != KC_OK ||
		    json_add_str(t, "mode", db_val(res, r, 7)) != KC_OK ||
		    json_add_str(t, "last_sync", db_val(res, r, 6)) != KC_OK ||
		    json_add_str(t, "last_error", db_val(res, r, 5)) != KC_OK ||
		    add_detail(t, db_val(res, r, 8)) != KC_OK) {
			json_object_put(t);
			goto out;
		}
		/* json_add_obj frees t when it fails. */
		if (json_add_obj(o, PQgetvalue(res, r, 1), t) != KC_OK)
			goto out;
		rc = KC_OK;
	}
	/* A trigger not yet turned into jobs: a sync is about to start. */
	if (!running && !queued && PQntuples(res) > 0)
		queued = PQgetvalue(res, 0, 0)[0] == 't';
	*status = running ? "running" : queued ? "queued" : failed ?
	    "failed" : done ? "completed" : "idle";
	*out = o;
	o = NULL;
out:
	json_object_put(o);
	PQclear(res);
	return rc;
}
