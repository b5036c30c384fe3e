/* libpq connection with lazy prepared statements; see db.h. */
#include "db.h"

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"

#define DB_MAX_STMTS 128
#define DB_RETRY_MS 250		/* after a failed connect, wait this long */

static int pooled;	/* db_set_transaction_pooling */

void
db_set_transaction_pooling(int on)
{
	pooled = on != 0;
}

int
db_transaction_pooling(void)
{
	return pooled;
}

struct db {
	PGconn		*conn;
	char		*url;
	char		*appname;
	const char	*prepared[DB_MAX_STMTS];
	int		 nprepared;
	int		 in_tx;
	int		 begin_pending;	/* BEGIN goes with the next statement */
	int64_t		 last_fail_ms;
	unsigned long	 epoch;		/* connections made so far */
	char		 sqlstate[6];
};

int
db_open(const char *url, const char *appname, struct db **out)
{
	struct db *db;

	*out = NULL;
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return KC_ERR_NOMEM;
	if ((db->url = strdup(url ? url : "")) == NULL ||
	    (db->appname = strdup(appname)) == NULL) {
		db_close(db);
		return KC_ERR_NOMEM;
	}
	*out = db;
	return KC_OK;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	if (db->conn)
		PQfinish(db->conn);
	free(db->url);
	free(db->appname);
	free(db);
}

static void
db_drop(struct db *db)
{
	if (db->conn)
		PQfinish(db->conn);
	db->conn = NULL;
	db->nprepared = 0;
	db->in_tx = 0;
	db->begin_pending = 0;
}

/* libpq notices (e.g. "relation already exists, skipping") stay quiet. */
static void
db_notice(void *arg, const char *msg)
{
	(void)arg;
	log_debug("postgres: %.200s", msg);
}

int
db_ensure(struct db *db)
{
	/* Defaults first: values in the URL itself override them. */
	const char	*keys[] = { "connect_timeout", "options",
	    "application_name", "dbname", NULL };
	const char	*vals[] = { "3", "-c statement_timeout=30000",
	    db->appname, db->url, NULL };

	if (db->conn && PQstatus(db->conn) == CONNECTION_OK)
		return KC_OK;
	db_drop(db);
	if (db->last_fail_ms && kc_now_ms() - db->last_fail_ms < DB_RETRY_MS)
		return KC_ERR_DB_DOWN;
	if (*db->url == '\0')
		keys[3] = vals[3] = NULL;
	if (pooled) {
		/* Drops "options": the rest moves up one. */
		memmove(&keys[1], &keys[2], 3 * sizeof(keys[0]));
		memmove(&vals[1], &vals[2], 3 * sizeof(vals[0]));
	}
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		/* libpq's message names host and reason, never a password. */
		log_warnx("database connect failed: %.300s",
		    db->conn ? PQerrorMessage(db->conn) : "out of memory");
		db_drop(db);
		db->last_fail_ms = kc_now_ms();
		return KC_ERR_DB_DOWN;
	}
	PQsetNoticeProcessor(db->conn, db_notice, NULL);
	db->last_fail_ms = 0;
	db->epoch++;
	return KC_OK;
}

static int
db_result(struct db *db, PGresult *res)
{
	const char *state, *msg;

	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
		db->sqlstate[0] = '\0';
		return KC_OK;
	default:
		break;
	}
	if (PQstatus(db->conn) != CONNECTION_OK)
		return KC_ERR_DB_DOWN;
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	snprintf(db->sqlstate, sizeof(db->sqlstate), "%s",
	    state ? state : "");
	/* The primary message only: DETAIL may quote row values. */
	msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	if (strcmp(db->sqlstate, SQLSTATE_UNIQUE_VIOLATION) != 0)
		log_warnx("query failed: %s %.300s", db->sqlstate,
		    msg ? msg : "");
	return KC_ERR_DB;
}

static int
db_prepare(struct db *db, const char *sql, int nparams, int *idx)
{
	PGresult	*res;
	char		 name[16];
	int		 i, rc;

	for (i = 0; i < db->nprepared; i++)
		if (db->prepared[i] == sql) {
			*idx = i;
			return KC_OK;
		}
	if (db->nprepared == DB_MAX_STMTS)
		return KC_ERR_INTERNAL;
	i = db->nprepared;
	snprintf(name, sizeof(name), "kc%d", i);
	res = PQprepare(db->conn, name, sql, nparams, NULL);
	rc = db_result(db, res);
	PQclear(res);
	if (rc != KC_OK)
		return rc;
	db->prepared[i] = sql;
	db->nprepared++;
	*idx = i;
	return KC_OK;
}

/* A BEGIN that was left for the next statement, sent on its own. */
static int
db_exec_begin(struct db *db)
{
	PGresult	*res;
	int		 rc;

	db->begin_pending = 0;
	res = PQexec(db->conn, "BEGIN");
	rc = db_result(db, res);
	PQclear(res);
	if (rc == KC_ERR_DB_DOWN)
		db_drop(db);
	return rc;
}

/* The result of one pipelined command and the NULL that ends it. */
static PGresult *
db_pipe_result(struct db *db)
{
	PGresult *res, *extra;

	if ((res = PQgetResult(db->conn)) == NULL)
		return NULL;
	while ((extra = PQgetResult(db->conn)) != NULL)
		PQclear(extra);	/* not expected: one result a command */
	return res;
}

/*
 * [BEGIN] statement [COMMIT] in one round trip (libpq's pipeline mode):
 * a transaction's first statement carries its BEGIN, and its last one
 * may carry its COMMIT.  After a failure the rest is skipped by the
 * server and the transaction is left for db_rollback.
 */
static int
db_pipeline(struct db *db, int begin, const char *name, int nparams,
    const char *const *params, int commit, PGresult **out)
{
	PGresult	*res, *stmt = NULL;
	int		 rc = KC_OK, k, ok;

	if (PQenterPipelineMode(db->conn) != 1)
		return KC_ERR_DB_DOWN;
	ok = (!begin || PQsendQueryParams(db->conn, "BEGIN", 0, NULL, NULL,
	    NULL, NULL, 0) == 1) &&
	    PQsendQueryPrepared(db->conn, name, nparams, params, NULL, NULL,
	    0) == 1 &&
	    (!commit || PQsendQueryParams(db->conn, "COMMIT", 0, NULL, NULL,
	    NULL, NULL, 0) == 1) &&
	    PQpipelineSync(db->conn) == 1;
	if (!ok)
		return KC_ERR_DB_DOWN;	/* the caller drops the connection */
	for (k = 0; k < begin + 1 + commit; k++) {
		if ((res = db_pipe_result(db)) == NULL) {
			PQclear(stmt);
			return KC_ERR_DB_DOWN;
		}
		if (PQresultStatus(res) == PGRES_PIPELINE_ABORTED) {
			PQclear(res);	/* skipped after the failure */
			continue;
		}
		if (rc == KC_OK)
			rc = db_result(db, res);
		if (k == begin && rc == KC_OK) {
			stmt = res;
			continue;
		}
		PQclear(res);
	}
	/* The Sync's own result, then out of pipeline mode. */
	if ((res = PQgetResult(db->conn)) == NULL ||
	    PQresultStatus(res) != PGRES_PIPELINE_SYNC ||
	    PQexitPipelineMode(db->conn) != 1) {
		PQclear(res);
		PQclear(stmt);
		return KC_ERR_DB_DOWN;
	}
	PQclear(res);
	if (rc != KC_OK) {
		PQclear(stmt);
		return rc;
	}
	if (out)
		*out = stmt;
	else
		PQclear(stmt);
	return KC_OK;
}

static int
db_query_once(struct db *db, const char *sql, int nparams,
    const char *const *params, int commit, PGresult **out)
{
	PGresult	*res;
	char		 name[16];
	int		 idx, rc, begin = db->begin_pending;

	if ((rc = db_ensure(db)) != KC_OK)
		return rc;
	if (pooled) {
		/* No prepared statements, no pipeline: one by one. */
		if (begin && (rc = db_exec_begin(db)) != KC_OK)
			return rc;
		res = PQexecParams(db->conn, sql, nparams, NULL, params, NULL,
		    NULL, 0);
	} else {
		if ((rc = db_prepare(db, sql, nparams, &idx)) != KC_OK)
			return rc;
		snprintf(name, sizeof(name), "kc%d", idx);
		if (begin || commit) {
			db->begin_pending = 0;
			return db_pipeline(db, begin, name, nparams, params,
			    commit, out);
		}
		res = PQexecPrepared(db->conn, name, nparams, params, NULL,
		    NULL, 0);
	}
	if (res == NULL)
		return PQstatus(db->conn) == CONNECTION_OK ? KC_ERR_NOMEM :
		    KC_ERR_DB_DOWN;
	if ((rc = db_result(db, res)) != KC_OK) {
		PQclear(res);
		return rc;
	}
	if (out)
		*out = res;
	else
		PQclear(res);
	return KC_OK;
}

int
db_query(struct db *db, const char *sql, int nparams,
    const char *const *params, PGresult **out)
{
	int rc, was_connected, in_tx = db->in_tx;

	if (out)
		*out = NULL;
	was_connected = db->conn != NULL;
	rc = db_query_once(db, sql, nparams, params, 0, out);
	if (rc != KC_ERR_DB_DOWN)
		return rc;
	db_drop(db);
	/* A stale connection (server restarted): retry once, not in a tx. */
	if (!was_connected || in_tx)
		return rc;
	db->last_fail_ms = 0;
	return db_query_once(db, sql, nparams, params, 0, out);
}

int
db_query_commit(struct db *db, const char *sql, int nparams,
    const char *const *params, PGresult **out)
{
	int rc;

	if (out)
		*out = NULL;
	if (!db->in_tx)
		return KC_ERR_INTERNAL;
	if (pooled) {
		if ((rc = db_query(db, sql, nparams, params, out)) == KC_OK &&
		    (rc = db_commit(db)) != KC_OK && out) {
			PQclear(*out);
			*out = NULL;
		}
		return rc;
	}
	rc = db_query_once(db, sql, nparams, params, 1, out);
	if (rc == KC_ERR_DB_DOWN)
		db_drop(db);
	else if (rc == KC_OK)
		db->in_tx = 0;
	return rc;
}

int
db_exec_script(struct db *db, const char *sql, char *err, size_t errlen)
{
	PGresult	*res;
	const char	*msg;
	int		 rc;

	if ((rc = db_ensure(db)) != KC_OK) {
		snprintf(err, errlen, "database unavailable");
		return rc;
	}
	/* Text that runs inside the transaction: open it first. */
	if (db->begin_pending && (rc = db_exec_begin(db)) != KC_OK) {
		snprintf(err, errlen, "cannot begin a transaction");
		return rc;
	}
	res = PQexec(db->conn, sql);
	if ((rc = db_result(db, res)) != KC_OK) {
		msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		snprintf(err, errlen, "%s", msg ? msg :
		    PQerrorMessage(db->conn));
		if (rc == KC_ERR_DB_DOWN)
			db_drop(db);
	}
	PQclear(res);
	return rc;
}

static int
db_simple(struct db *db, const char *sql)
{
	char err[256];

	return db_exec_script(db, sql, err, sizeof(err));
}

/*
 * BEGIN costs no round trip of its own: it is sent with the
 * transaction's first statement (db_pipeline).
 */
int
db_begin(struct db *db)
{
	int rc;

	if ((rc = db_ensure(db)) != KC_OK)
		return rc;
	db->in_tx = 1;
	db->begin_pending = 1;
	return KC_OK;
}

int
db_commit(struct db *db)
{
	int rc = KC_OK;

	/* Nothing ran since BEGIN: there is nothing to commit. */
	if (!db->begin_pending)
		rc = db_simple(db, "COMMIT");
	db->begin_pending = 0;
	db->in_tx = 0;
	return rc;
}

void
db_rollback(struct db *db)
{
	db->begin_pending = 0;
	if (db->conn && PQstatus(db->conn) == CONNECTION_OK &&
	    PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		(void)db_simple(db, "ROLLBACK");
	db->in_tx = 0;
}

const char *
db_sqlstate(const struct db *db)
{
	return db->sqlstate;
}

const char *
db_val(const PGresult *res, int r, int c)
{
	if (PQgetisnull(res, r, c))
		return NULL;
	return PQgetvalue(res, r, c);
}

unsigned long
db_epoch(const struct db *db)
{
	return db->conn ? db->epoch : 0;
}

int
db_listen(struct db *db, const char *channel)
{
	char		 sql[96];
	int		 rc;

	if (pooled || db->in_tx)
		return KC_ERR_INTERNAL;
	if ((rc = db_ensure(db)) != KC_OK)
		return rc;
	if (snprintf(sql, sizeof(sql), "LISTEN %s", channel) >=
	    (int)sizeof(sql))
		return KC_ERR_INTERNAL;
	return db_simple(db, sql);
}

/*
 * A Sync message alone: the server answers ReadyForQuery, and sends the
 * notifications of every transaction that committed before it first.
 */
static int
db_fence(struct db *db)
{
	PGresult	*res;
	int		 ok;

	if (PQenterPipelineMode(db->conn) != 1)
		return KC_ERR_DB_DOWN;
	if (PQpipelineSync(db->conn) != 1 ||
	    (res = PQgetResult(db->conn)) == NULL) {
		(void)PQexitPipelineMode(db->conn);
		return KC_ERR_DB_DOWN;
	}
	ok = PQresultStatus(res) == PGRES_PIPELINE_SYNC;
	PQclear(res);
	if (PQexitPipelineMode(db->conn) != 1 || !ok)
		return KC_ERR_DB_DOWN;
	return KC_OK;
}

int
db_notifies(struct db *db, int fence, int (*fn)(void *, const char *),
    void *arg)
{
	PGnotify	*n;
	int		 rc = KC_OK;

	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK ||
	    db->in_tx)
		return KC_ERR_DB_DOWN;
	if (fence)
		rc = db_fence(db);
	else if (PQconsumeInput(db->conn) != 1)
		rc = KC_ERR_DB_DOWN;
	/* What arrived is handed over even when the connection broke. */
	while ((n = PQnotifies(db->conn)) != NULL) {
		if (rc == KC_OK)
			rc = fn(arg, n->extra);
		PQfreemem(n);
	}
	if (rc == KC_ERR_DB_DOWN)
		db_drop(db);
	return rc;
}

static int
count_notify(void *arg, const char *payload)
{
	(void)payload;
	(*(int *)arg)++;
	return KC_OK;
}

int
db_wait_notify(struct db *db, long ms)
{
	struct pollfd	 pfd;
	struct timespec	 ts = { ms / 1000, (ms % 1000) * 1000000L };
	int		 got = 0;

	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK ||
	    db->in_tx || (pfd.fd = PQsocket(db->conn)) < 0) {
		nanosleep(&ts, NULL);
		return 0;
	}
	/*
	 * What already arrived (read with an earlier answer) ends the wait
	 * before it starts.  A failure dropped the connection: 0, and the
	 * next statement reconnects.
	 */
	if (db_notifies(db, 0, count_notify, &got) != KC_OK)
		return 0;
	if (got > 0)
		return got;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, (int)ms) > 0 &&
	    db_notifies(db, 0, count_notify, &got) != KC_OK)
		return 0;
	return got;
}
