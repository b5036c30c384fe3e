/* The sync job queue; see jobq.h. */
#include "jobq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "integration.h"

static const char SQL_ENQUEUE[] =
    "WITH ins AS (INSERT INTO sync_jobs (store_id, connection_id, type,"
    " mode, trigger_id) SELECT k.store_id, k.id, $2, $3, $4"
    " FROM klaviyo_connections k WHERE k.id = $1"
    " ON CONFLICT (connection_id, type)"
    " WHERE state = 'queued' DO NOTHING RETURNING id)"
    " SELECT id FROM ins UNION ALL"
    " SELECT id FROM sync_jobs WHERE connection_id = $1 AND type = $2"
    " AND state = 'queued' LIMIT 1";
/* A full sync asked for while an incremental one waits wins. */
static const char SQL_UPGRADE[] =
    "UPDATE sync_jobs SET mode = 'full' WHERE id = $1 AND $2 = 'full'";
/*
 * The next queued job whose time has come, by class (sql/009: series
 * types, then campaigns, then orders), within one unplanned jobs first,
 * then the most report windows left, then queue order; never a second
 * job of a connection and type that runs under a live lease.  Else a running
 * one whose lease expired (its worker died).
 */
#define SQL_CLAIM_DUE(cls)						\
    "  (SELECT c.id FROM sync_jobs c"					\
    "   WHERE c.state = 'queued' AND c.claim_class = " cls		\
    "   AND c.run_after <= now()"					\
    /* A per-row check (not an anti-join): the scan stays in order. */	\
    "   AND NOT (SELECT EXISTS (SELECT 1 FROM sync_jobs r"		\
    "    WHERE r.connection_id = c.connection_id AND r.type = c.type"	\
    "    AND r.state = 'running' AND r.lease_until >= now()))"		\
    "   ORDER BY c.claim_rank DESC NULLS FIRST, c.run_after, c.id"	\
    "   FOR UPDATE SKIP LOCKED LIMIT 1),"
static const char SQL_CLAIM[] =
    "UPDATE sync_jobs j SET state = 'running', lease_owner = $1,"
    " lease_until = now() + make_interval(secs => $2),"
    " attempts = j.attempts + 1, started_at = coalesce(j.started_at, now())"
    " FROM klaviyo_connections k JOIN stores s ON s.id = k.store_id"
    " WHERE k.id = j.connection_id AND j.id = coalesce("
    SQL_CLAIM_DUE("0") SQL_CLAIM_DUE("1") SQL_CLAIM_DUE("2")
    "  (SELECT c.id FROM sync_jobs c"
    "   WHERE c.state = 'running' AND c.lease_until < now()"
    "   ORDER BY c.lease_until FOR UPDATE SKIP LOCKED LIMIT 1))"
    " RETURNING j.id, j.store_id, s.public_id, j.type, j.mode, j.attempts,"
    " j.cursor::text, " INTEG_SQL_DOC("k") ","
    " coalesce(j.trigger_id, 0), j.connection_id, k.public_id";
static const char SQL_BEAT[] =
    "UPDATE sync_jobs SET lease_until = now() + make_interval(secs => $3),"
    " progress = coalesce($4::jsonb, progress),"
    " cursor = coalesce($5::jsonb, cursor)"
    " WHERE id = $1 AND lease_owner = $2 AND state = 'running'";
static const char SQL_FINISH[] =
    "UPDATE sync_jobs SET state = $3, last_error = $4, finished_at = now(),"
    " lease_owner = NULL, lease_until = NULL"
    " WHERE id = $1 AND lease_owner = $2 AND state = 'running'";
/* $5: 1 gives back the claim's attempt (a park is no failure). */
static const char SQL_RESCHEDULE[] =
    "UPDATE sync_jobs SET state = 'queued', lease_owner = NULL,"
    " lease_until = NULL, run_after = now() + make_interval(secs => $3),"
    " last_error = $4, attempts = greatest(attempts - $5::int, 0)"
    " WHERE id = $1 AND lease_owner = $2 AND state = 'running'"
    " AND NOT EXISTS (SELECT 1 FROM sync_jobs q WHERE q.connection_id ="
    "  sync_jobs.connection_id AND q.type = sync_jobs.type"
    "  AND q.state = 'queued')";
static const char SQL_RESCHEDULE_DROP[] =
    "UPDATE sync_jobs SET state = 'cancelled', finished_at = now(),"
    " lease_owner = NULL, last_error = 'superseded by a queued job'"
    " WHERE id = $1 AND lease_owner = $2 AND state = 'running'";
/* Every job an owner holds, leases renewed or not, in one statement. */
static const char SQL_HELD[] =
    "SELECT id FROM sync_jobs WHERE lease_owner = $1 AND state = 'running'";
static const char SQL_RENEW_ALL[] =
    "UPDATE sync_jobs SET lease_until = now() + make_interval(secs => $2)"
    " WHERE lease_owner = $1 AND state = 'running' RETURNING id";
/* The scheduler's: nothing when one is queued already. */
static const char SQL_ENQUEUE_NEW[] =
    "INSERT INTO sync_jobs (store_id, connection_id, type, mode)"
    " SELECT k.store_id, k.id, $2, $3 FROM klaviyo_connections k"
    " WHERE k.id = $1"
    " ON CONFLICT (connection_id, type) WHERE state = 'queued' DO NOTHING";
static const char SQL_CANCEL_QUEUED[] =
    "UPDATE sync_jobs SET state = 'cancelled', finished_at = now(),"
    " last_error = $2 WHERE connection_id = $1 AND state = 'queued'";
static const char SQL_CANCEL[] =
    "UPDATE sync_jobs SET state = 'cancelled', finished_at = now(),"
    " lease_owner = NULL, lease_until = NULL"
    " WHERE connection_id = $1 AND state IN ('queued', 'running')";

/* A type turned off in the settings: a running one stops at its next
 * heartbeat. */
static const char SQL_CANCEL_TYPE[] =
    "UPDATE sync_jobs SET state = 'cancelled', finished_at = now(),"
    " lease_owner = NULL, lease_until = NULL, last_error = $3"
    " WHERE connection_id = $1 AND type = $2"
    " AND state IN ('queued', 'running')";

void
job_clear(struct job *j)
{
	json_object_put(j->cursor);
	integ_clear(&j->integ);
	memset(j, 0, sizeof(*j));
}

int
jobq_enqueue(struct db *db, long long conn_id, const char *type,
    const char *mode, long long trigger_id, long long *id)
{
	char		 sid[24], tid[24], jid[24];
	const char	*params[4] = { sid, type, mode, trigger_id ? tid : NULL };
	PGresult	*res = NULL;
	int		 rc;

	*id = 0;
	snprintf(sid, sizeof(sid), "%lld", conn_id);
	snprintf(tid, sizeof(tid), "%lld", trigger_id);
	if ((rc = db_query(db, SQL_ENQUEUE, 4, params, &res)) != KC_OK)
		return rc;
	if (PQntuples(res) < 1) {
		/* Raced with a claim between the two halves: try again. */
		PQclear(res);
		if ((rc = db_query(db, SQL_ENQUEUE, 4, params, &res)) != KC_OK)
			return rc;
		if (PQntuples(res) < 1) {
			PQclear(res);
			return KC_ERR_CONFLICT;
		}
	}
	*id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	snprintf(jid, sizeof(jid), "%lld", *id);
	params[0] = jid;
	params[1] = mode;
	return db_query(db, SQL_UPGRADE, 2, params, NULL);
}

int
jobq_claim(struct db *db, const char *owner, int lease, struct job *j)
{
	char		 ls[16];
	const char	*params[2] = { owner, ls };
	PGresult	*res = NULL;
	int		 rc;

	memset(j, 0, sizeof(*j));
	snprintf(ls, sizeof(ls), "%d", lease);
	if ((rc = db_query(db, SQL_CLAIM, 2, params, &res)) != KC_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return KC_ERR_NOT_FOUND;
	}
	j->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	j->store_id = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	snprintf(j->store_public_id, sizeof(j->store_public_id), "%s",
	    PQgetvalue(res, 0, 2));
	snprintf(j->type, sizeof(j->type), "%s", PQgetvalue(res, 0, 3));
	snprintf(j->mode, sizeof(j->mode), "%s", PQgetvalue(res, 0, 4));
	j->attempts = (int)strtol(PQgetvalue(res, 0, 5), NULL, 10);
	j->cursor = json_tokener_parse(PQgetvalue(res, 0, 6));
	rc = integ_parse(PQgetvalue(res, 0, 7), &j->integ);
	j->trigger_id = strtoll(PQgetvalue(res, 0, 8), NULL, 10);
	j->conn_id = strtoll(PQgetvalue(res, 0, 9), NULL, 10);
	snprintf(j->conn_public_id, sizeof(j->conn_public_id), "%s",
	    PQgetvalue(res, 0, 10));
	PQclear(res);
	if (j->cursor == NULL || rc != KC_OK) {
		job_clear(j);
		return KC_ERR_INTERNAL;
	}
	return KC_OK;
}

static int
affected(struct db *db, const char *sql, int n, const char *const *params)
{
	PGresult	*res = NULL;
	int		 rc;

	if ((rc = db_query(db, sql, n, params, &res)) != KC_OK)
		return rc;
	rc = strcmp(PQcmdTuples(res), "0") == 0 ? KC_ERR_CONFLICT : KC_OK;
	PQclear(res);
	return rc;
}

static int
beat(struct db *db, const struct job *j, const char *owner, int lease,
    struct json_object *progress, struct json_object *cursor, int commit)
{
	char		 id[24], ls[16];
	const char	*params[5];
	PGresult	*res = NULL;
	int		 rc;

	snprintf(id, sizeof(id), "%lld", j->id);
	snprintf(ls, sizeof(ls), "%d", lease);
	params[0] = id;
	params[1] = owner;
	params[2] = ls;
	params[3] = progress ? json_object_to_json_string_ext(progress,
	    JSON_C_TO_STRING_PLAIN) : NULL;
	params[4] = cursor ? json_object_to_json_string_ext(cursor,
	    JSON_C_TO_STRING_PLAIN) : NULL;
	if (!commit)
		return affected(db, SQL_BEAT, 5, params);
	if ((rc = db_query_commit(db, SQL_BEAT, 5, params, &res)) != KC_OK)
		return rc;
	rc = strcmp(PQcmdTuples(res), "0") == 0 ? KC_ERR_CONFLICT : KC_OK;
	PQclear(res);
	return rc;
}

int
jobq_heartbeat(struct db *db, const struct job *j, const char *owner,
    int lease, struct json_object *progress, struct json_object *cursor)
{
	return beat(db, j, owner, lease, progress, cursor, 0);
}

int
jobq_heartbeat_commit(struct db *db, const struct job *j, const char *owner,
    int lease, struct json_object *progress, struct json_object *cursor)
{
	return beat(db, j, owner, lease, progress, cursor, 1);
}

int
jobq_finish(struct db *db, const struct job *j, const char *owner,
    const char *state, const char *error)
{
	char		 id[24];
	const char	*params[4] = { id, owner, state, error };

	snprintf(id, sizeof(id), "%lld", j->id);
	return affected(db, SQL_FINISH, 4, params);
}

static int
reschedule(struct db *db, const struct job *j, const char *owner,
    long seconds, const char *why, int park)
{
	char		 id[24], s[24];
	const char	*params[5] = { id, owner, s, why, park ? "1" : "0" };
	int		 rc;

	snprintf(id, sizeof(id), "%lld", j->id);
	snprintf(s, sizeof(s), "%ld", seconds);
	rc = affected(db, SQL_RESCHEDULE, 5, params);
	if (rc == KC_ERR_CONFLICT)
		/* Another job of this connection and type is queued: it runs. */
		rc = affected(db, SQL_RESCHEDULE_DROP, 2, params);
	return rc;
}

int
jobq_reschedule(struct db *db, const struct job *j, const char *owner,
    long seconds, const char *why)
{
	return reschedule(db, j, owner, seconds, why, 0);
}

int
jobq_park(struct db *db, const struct job *j, const char *owner,
    long seconds)
{
	return reschedule(db, j, owner, seconds, NULL, 1);
}

int
jobq_cancel_connection(struct db *db, long long conn_id)
{
	char		 sid[24];
	const char	*params[1] = { sid };

	snprintf(sid, sizeof(sid), "%lld", conn_id);
	return db_query(db, SQL_CANCEL, 1, params, NULL);
}

int
jobq_cancel_type(struct db *db, long long conn_id, const char *type,
    const char *why)
{
	char		 sid[24];
	const char	*params[3] = { sid, type, why };

	snprintf(sid, sizeof(sid), "%lld", conn_id);
	return db_query(db, SQL_CANCEL_TYPE, 3, params, NULL);
}

int
jobq_enqueue_new(struct db *db, long long conn_id, const char *type,
    const char *mode, int *added)
{
	char		 sid[24];
	const char	*params[3] = { sid, type, mode };
	PGresult	*res = NULL;
	int		 rc;

	*added = 0;
	snprintf(sid, sizeof(sid), "%lld", conn_id);
	if ((rc = db_query(db, SQL_ENQUEUE_NEW, 3, params, &res)) != KC_OK)
		return rc;
	*added = strcmp(PQcmdTuples(res), "1") == 0;
	PQclear(res);
	return KC_OK;
}

int
jobq_cancel_queued(struct db *db, long long conn_id, const char *why)
{
	char		 sid[24];
	const char	*params[2] = { sid, why };

	snprintf(sid, sizeof(sid), "%lld", conn_id);
	return db_query(db, SQL_CANCEL_QUEUED, 2, params, NULL);
}

int
jobq_held(struct db *db, const char *owner, int lease_seconds, int renew,
    long long **ids, size_t *n)
{
	char		 ls[16];
	const char	*params[2] = { owner, ls };
	PGresult	*res = NULL;
	int		 r, rc;

	*ids = NULL;
	*n = 0;
	snprintf(ls, sizeof(ls), "%d", lease_seconds);
	if ((rc = db_query(db, renew ? SQL_RENEW_ALL : SQL_HELD, renew ? 2 : 1,
	    params, &res)) != KC_OK)
		return rc;
	if (PQntuples(res) > 0 && (*ids = calloc((size_t)PQntuples(res),
	    sizeof(**ids))) == NULL) {
		PQclear(res);
		return KC_ERR_NOMEM;
	}
	for (r = 0; r < PQntuples(res); r++)
		(*ids)[r] = strtoll(PQgetvalue(res, r, 0), NULL, 10);
	*n = (size_t)PQntuples(res);
	PQclear(res);
	return KC_OK;
}

/* ---- klaviyo-admin jobs: list, retry, cancel one job ---- */

static const char SQL_LIST[] =
    "SELECT j.id, s.public_id, k.public_id, j.type, j.mode, j.state,"
    " j.attempts,"
    " to_char(j.created_at AT TIME ZONE 'UTC',"
    "  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " coalesce(to_char(j.finished_at AT TIME ZONE 'UTC',"
    "  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '-'),"
    " coalesce(j.last_error, '')"
    " FROM sync_jobs j JOIN stores s ON s.id = j.store_id"
    " JOIN klaviyo_connections k ON k.id = j.connection_id"
    " WHERE ($1::text IS NULL OR j.state = $1)"
    " AND ($2::text IS NULL OR s.public_id = $2)"
    " AND ($3::text IS NULL OR k.public_id = $3)"
    " ORDER BY j.id DESC LIMIT $4";
static const char SQL_STATE_OF[] =
    "SELECT j.state, EXISTS (SELECT 1 FROM sync_jobs q"
    "  WHERE q.connection_id = j.connection_id AND q.type = j.type"
    "  AND q.state = 'queued' AND q.id <> j.id)"
    " FROM sync_jobs j WHERE j.id = $1";
/* The saved cursor stays: the job resumes where it stopped. */
static const char SQL_RETRY[] =
    "UPDATE sync_jobs SET state = 'queued', run_after = now(),"
    " attempts = 0, lease_owner = NULL, lease_until = NULL,"
    " started_at = NULL, finished_at = NULL, last_error = NULL"
    " WHERE id = $1 AND state IN ('failed', 'cancelled')";
/* A running job sees it at its next heartbeat and stops. */
static const char SQL_CANCEL_ONE[] =
    "UPDATE sync_jobs SET state = 'cancelled', finished_at = now(),"
    " lease_owner = NULL, lease_until = NULL,"
    " last_error = 'cancelled by klaviyo-admin'"
    " WHERE id = $1 AND state IN ('queued', 'running')";

int
jobq_list(struct db *db, const char *state, const char *store,
    const char *connection, int limit,
    int (*fn)(void *, const struct job_row *), void *arg)
{
	struct job_row	 j;
	char		 lim[16];
	const char	*params[4] = { state, store, connection, lim };
	PGresult	*res = NULL;
	int		 r, rc;

	snprintf(lim, sizeof(lim), "%d", limit);
	if ((rc = db_query(db, SQL_LIST, 4, params, &res)) != KC_OK)
		return rc;
	for (r = 0; r < PQntuples(res) && rc == KC_OK; r++) {
		j.id = PQgetvalue(res, r, 0);
		j.store = PQgetvalue(res, r, 1);
		j.connection = PQgetvalue(res, r, 2);
		j.type = PQgetvalue(res, r, 3);
		j.mode = PQgetvalue(res, r, 4);
		j.state = PQgetvalue(res, r, 5);
		j.attempts = PQgetvalue(res, r, 6);
		j.created = PQgetvalue(res, r, 7);
		j.finished = PQgetvalue(res, r, 8);
		j.last_error = PQgetvalue(res, r, 9);
		rc = fn(arg, &j);
	}
	PQclear(res);
	return rc;
}

/* Runs an UPDATE of job id; then says why nothing changed, if so. */
static int
change_one(struct db *db, const char *sql, long long id, char *state,
    size_t statelen, int *queued_sibling)
{
	char		 sid[24];
	const char	*params[1] = { sid };
	PGresult	*res = NULL;
	int		 rc, n;

	state[0] = '\0';
	*queued_sibling = 0;
	snprintf(sid, sizeof(sid), "%lld", id);
	rc = db_query(db, sql, 1, params, &res);
	if (rc == KC_ERR_DB &&
	    strcmp(db_sqlstate(db), SQLSTATE_UNIQUE_VIOLATION) == 0)
		n = 0;		/* one of its connection and type is queued */
	else if (rc != KC_OK)
		return rc;
	else {
		n = (int)strtol(PQcmdTuples(res), NULL, 10);
		PQclear(res);
		res = NULL;
	}
	if ((rc = db_query(db, SQL_STATE_OF, 1, params, &res)) != KC_OK)
		return rc;
	if (PQntuples(res) != 1)
		rc = KC_ERR_NOT_FOUND;
	else {
		snprintf(state, statelen, "%s", PQgetvalue(res, 0, 0));
		*queued_sibling = PQgetvalue(res, 0, 1)[0] == 't';
		rc = n == 1 ? KC_OK : KC_ERR_CONFLICT;
	}
	PQclear(res);
	return rc;
}

int
jobq_retry(struct db *db, long long id, char *state, size_t statelen,
    int *queued_sibling)
{
	return change_one(db, SQL_RETRY, id, state, statelen,
	    queued_sibling);
}

int
jobq_cancel_one(struct db *db, long long id, char *state, size_t statelen)
{
	int ignored;

	return change_one(db, SQL_CANCEL_ONE, id, state, statelen, &ignored);
}
