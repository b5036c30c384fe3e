/* Retention of the tables that only grow; see prune.h. */
#include "prune.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

/*
 * Deletes go in batches so a first prune of a big table neither holds
 * long locks nor bloats one transaction.  $1 is the age in days.
 */
#define BATCH "5000"
#define AGO(col) col " < now() - make_interval(days => $1::int)"
#define RULE(table, what, field, where) { table, what, \
	offsetof(struct kc_config, field), \
	"SELECT count(*) FROM " table " WHERE " where, \
	"DELETE FROM " table " WHERE ctid = ANY (ARRAY (SELECT ctid FROM " \
	table " WHERE " where " LIMIT " BATCH "))", 0 }
/* An age that is no setting: days fixed here. */
#define RULE_FIXED(table, what, ndays, where) { table, what, 0, \
	"SELECT count(*) FROM " table " WHERE " where, \
	"DELETE FROM " table " WHERE ctid = ANY (ARRAY (SELECT ctid FROM " \
	table " WHERE " where " LIMIT " BATCH "))", ndays }

static const struct prune_rule {
	const char	*table;
	const char	*what;
	size_t		 days;		/* offset in struct kc_config */
	const char	*count_sql;
	const char	*delete_sql;
	long		 fixed_days;	/* > 0: instead of the setting */
} rules[] = {
	RULE("audit_log", "entries", prune_audit_days, AGO("at")),
	RULE("sync_jobs", "finished jobs", prune_jobs_days,
	    "state IN ('done', 'failed', 'cancelled') AND "
	    AGO("coalesce(finished_at, created_at)")),
	RULE("report_triggers", "delivered or cancelled triggers",
	    prune_triggers_days,
	    "(delivered_at IS NOT NULL OR cancelled_at IS NOT NULL) AND "
	    AGO("coalesce(delivered_at, cancelled_at)")),
	/* Idle longer than the age and than its own window. */
	RULE("rate_buckets", "idle rate-limit windows",
	    prune_rate_buckets_days, AGO("updated_at") " AND updated_at <"
	    " now() - window_ms * interval '1 millisecond' AND"
	    " (blocked_until IS NULL OR blocked_until < now())"),
	RULE("login_throttle", "failed-login counters",
	    prune_login_throttle_days, AGO("window_start") " AND"
	    " (blocked_until IS NULL OR blocked_until < now())"),
	RULE("report_requests", "idempotency keys",
	    prune_report_requests_days, AGO("created_at")),
	RULE("sessions", "expired sessions", prune_sessions_days,
	    AGO("expires_at")),
	/* A granted one is revoked at Klaviyo first, by oauth_flow_reap. */
	RULE("oauth_flows", "expired OAuth attempts", prune_oauth_flows_days,
	    AGO("expires_at") " AND granted_at IS NULL"),
	/*
	 * Dead processes' heartbeats (sql/007): ignored after a minute
	 * already, kept a day so a crash can still be looked into.
	 */
	RULE_FIXED("process_heartbeat", "dead processes' heartbeats", 1,
	    AGO("heartbeat_at")),
	/* Applied webhook deliveries: kept like finished jobs. */
	RULE("webhook_inbox", "applied webhook deliveries", prune_jobs_days,
	    "processed_at IS NOT NULL AND " AGO("processed_at")),
	/*
	 * Event ids seen: Klaviyo retries a delivery for a few days at most;
	 * a week of ids catches every repeat.
	 */
	RULE_FIXED("webhook_events_seen", "webhook event ids seen", 7,
	    AGO("seen_at")),
};

/* Arbitrary constant of the daemons' prune (migrate uses 7263540001). */
static const char SQL_TRY_LOCK[] = "SELECT pg_try_advisory_lock(7263540002)";
static const char SQL_UNLOCK[] = "SELECT pg_advisory_unlock(7263540002)";
static const char SQL_TRY_XACT_LOCK[] =
    "SELECT pg_try_advisory_xact_lock(7263540002)";
static const char SQL_DUE[] =
    "SELECT NOT EXISTS (SELECT 1 FROM maintenance_runs WHERE name = 'prune'"
    " AND last_run_at > now() - make_interval(hours => $1::int))";
static const char SQL_RECORD[] =
    "INSERT INTO maintenance_runs (name, last_run_at) VALUES ('prune', now())"
    " ON CONFLICT (name) DO UPDATE SET last_run_at = now()";

static long
days_of(const struct kc_config *cfg, const struct prune_rule *r)
{
	if (r->fixed_days > 0)
		return r->fixed_days;
	return *(const long *)(const void *)((const char *)cfg + r->days);
}

/* Runs sql with the days; *rows gets count(*) or the rows deleted. */
static int
one(struct db *db, const char *sql, long days, int is_count,
    long long *rows)
{
	char		 d[24];
	const char	*params[1] = { d };
	PGresult	*res = NULL;
	int		 rc;

	*rows = 0;
	snprintf(d, sizeof(d), "%ld", days);
	if ((rc = db_query(db, sql, 1, params, &res)) != KC_OK)
		return rc;
	*rows = strtoll(is_count ? PQgetvalue(res, 0, 0) : PQcmdTuples(res),
	    NULL, 10);
	PQclear(res);
	return KC_OK;
}

int
prune_run(struct db *db, const struct kc_config *cfg, int dry_run,
    void (*fn)(void *, const char *, const char *, long, long long),
    void *arg)
{
	long long	 n, total;
	size_t		 i;
	long		 days;
	int		 rc;

	for (i = 0; i < nitems(rules); i++) {
		days = days_of(cfg, &rules[i]);
		total = 0;
		if (dry_run)
			rc = one(db, rules[i].count_sql, days, 1, &total);
		else
			do {
				rc = one(db, rules[i].delete_sql, days, 0, &n);
				total += n;
			} while (rc == KC_OK && n == atoll(BATCH));
		if (rc != KC_OK)
			return rc;
		if (fn != NULL)
			fn(arg, rules[i].table, rules[i].what, days, total);
	}
	return KC_OK;
}

static void
add_rows(void *arg, const char *table, const char *what, long days,
    long long rows)
{
	(void)what;
	(void)days;
	if (rows > 0)
		log_info("prune: %lld old rows deleted from %s", rows, table);
	*(long long *)arg += rows;
}

/* One boolean statement with the hours (or none) as $1. */
static int
ask(struct db *db, const char *sql, int nparams, const char *const *params,
    int *yes)
{
	PGresult	*res = NULL;
	int		 rc;

	*yes = 0;
	if ((rc = db_query(db, sql, nparams, params, &res)) != KC_OK)
		return rc;
	*yes = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	return KC_OK;
}

/*
 * Behind a transaction-pooling PgBouncer (db.h) a session lock could be
 * taken on one server connection and released on another: the whole
 * prune runs in one transaction under a transaction-level lock instead
 * (its batches then only bound each statement).
 */
static int
prune_if_due_tx(struct db *db, const struct kc_config *cfg, long long *rows)
{
	char		 h[24];
	const char	*params[1] = { h };
	int		 rc, yes;

	snprintf(h, sizeof(h), "%ld", cfg->prune_interval_hours);
	if ((rc = db_begin(db)) != KC_OK)
		return rc;
	if ((rc = ask(db, SQL_TRY_XACT_LOCK, 0, NULL, &yes)) != KC_OK ||
	    !yes || (rc = ask(db, SQL_DUE, 1, params, &yes)) != KC_OK || !yes) {
		db_rollback(db);
		return rc;
	}
	*rows = 0;
	if ((rc = prune_run(db, cfg, 0, add_rows, rows)) == KC_OK &&
	    (rc = db_query(db, SQL_RECORD, 0, NULL, NULL)) == KC_OK)
		return db_commit(db);
	db_rollback(db);
	*rows = -1;
	return rc;
}

int
prune_if_due(struct db *db, const struct kc_config *cfg, long long *rows)
{
	char		 h[24];
	const char	*params[1] = { h };
	PGresult	*res = NULL;
	int		 rc, due;

	*rows = -1;
	if (db_transaction_pooling())
		return prune_if_due_tx(db, cfg, rows);
	if ((rc = db_query(db, SQL_TRY_LOCK, 0, NULL, &res)) != KC_OK)
		return rc;
	due = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	res = NULL;
	if (!due)
		return KC_OK;	/* another instance is pruning */
	snprintf(h, sizeof(h), "%ld", cfg->prune_interval_hours);
	if ((rc = db_query(db, SQL_DUE, 1, params, &res)) != KC_OK)
		goto out;
	due = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	res = NULL;
	if (!due)
		goto out;
	*rows = 0;
	/* Recorded only when done: a failed prune is tried again. */
	if ((rc = prune_run(db, cfg, 0, add_rows, rows)) == KC_OK)
		rc = db_query(db, SQL_RECORD, 0, NULL, NULL);
out:
	/* A lost connection took the lock with it. */
	if (db_query(db, SQL_UNLOCK, 0, NULL, &res) == KC_OK)
		PQclear(res);
	return rc;
}

#define PRUNE_CHECK_SECONDS 600

void
prune_tick(struct db *db, const struct kc_config *cfg)
{
	static time_t	 last;
	long long	 rows;

	if (cfg->prune_interval_hours <= 0 ||
	    (last != 0 && time(NULL) - last < PRUNE_CHECK_SECONDS))
		return;
	last = time(NULL);
	if (prune_if_due(db, cfg, &rows) != KC_OK)
		log_warnx("prune failed; it is tried again later");
	else if (rows >= 0)
		log_info("prune done: %lld old rows deleted", rows);
}
