/*
 * Full syncs against the sandbox, run by klaviyo-syncd: everything lands
 * in the tables with no Klaviyo 429; a killed daemon's job resumes; two
 * daemons never run one job twice; disconnect mid-sync leaves nothing;
 * a refused credential marks the store.
 */
#include "itest.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void
connected(char *store, size_t len, char *tok, size_t toklen,
    const char *key, const char *metric)
{
	struct it_resp r;

	it_store("Full Sync", store, len);
	it_member("owner", store, tok, toklen);
	it_klaviyo_cold();
	it_connect(store, tok, key, metric, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	it_isolate(store);
	/* 120 days of history: a few report windows per type; no
	 * scheduler, or every connected store of other tests would sync. */
	setenv("SYNC_HISTORY_DAYS", "120", 1);
	setenv("SYNC_SCHEDULE_SECONDS", "0", 1);
}

static long long
count_for(const char *sql, const char *store)
{
	const char *params[1] = { store };

	return it_sql_count(sql, 1, params);
}

#define JOBS_IN(state) "SELECT count(*) FROM sync_jobs j JOIN stores s" \
    " ON s.id = j.store_id WHERE s.public_id = $1 AND j.state = '" state "'"

/* Runs syncd until nothing is due (bounded by timeout). */
static void
syncd_once(const char *extra)
{
	char	*out = NULL;
	int	 st;

	st = it_run(&out, "%s timeout 170 %s --once 2>&1", extra ? extra : "",
	    getenv("KC_TEST_SYNCD"));
	ck_assert_msg(st == 0, "syncd exit %d: %.2000s", st, out);
	free(out);
}

/* Delivers the store's trigger (built-in report server) and syncs. */
static void
full_sync(const char *store)
{
	const char	*p[1] = { store };
	PGresult	*res;
	int		 i;

	/* Reschedules (rate waits) come back within seconds: loop. */
	for (i = 0; i < 20; i++) {
		syncd_once("REPORT_SERVER=");
		if (count_for(JOBS_IN("queued"), store) == 0 &&
		    count_for(JOBS_IN("running"), store) == 0)
			return;
		it_pause_ms(500);
	}
	res = it_sql("SELECT string_agg(j.type || ' ' || j.state || ' a' ||"
	    " j.attempts || ' ' || coalesce(j.last_error, '-') || ' in ' ||"
	    " round(extract(epoch FROM j.run_after - now())) || 's', '; ')"
	    " FROM sync_jobs j JOIN stores s ON s.id = j.store_id"
	    " WHERE s.public_id = $1 AND j.state IN ('queued', 'running')", 1,
	    p);
	ck_abort_msg("jobs of %s still pending: %s", store,
	    PQgetisnull(res, 0, 0) ? "?" : PQgetvalue(res, 0, 0));
}

/*
 * Starts klaviyo-syncd in the background (a short lease when asked) and
 * waits until one of the store's jobs runs (and has saved a cursor, when
 * asked).  Returns its pid.
 */
static pid_t
daemon_running(const char *store, int short_lease, int with_cursor)
{
	const char	*bin = getenv("KC_TEST_SYNCD");
	pid_t		 pid;
	int		 i, running = 0;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		setenv("REPORT_SERVER", "", 1);
		if (short_lease) {
			setenv("SYNC_LEASE_SECONDS", "5", 1);
			setenv("SYNC_MAX_WAIT_MS", "4000", 1);
		}
		execl(bin, bin, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200 && !running; i++) {
		it_pause_ms(50);
		running = count_for(with_cursor ? JOBS_IN("running")
		    " AND j.cursor <> '{}'" : JOBS_IN("running"), store) > 0;
	}
	ck_assert_msg(running, "no job got under way");
	return pid;
}

START_TEST(full_sync_fills_tables)
{
	char			 store[80], tok[64];
	struct it_resp		 r;
	struct json_object	*k, *sync;

	connected(store, sizeof(store), tok, sizeof(tok), IT_KEY_ACME,
	    IT_METRIC_ACME_SHOPIFY_PO);
	full_sync(store);
	ck_assert_int_eq(count_for(JOBS_IN("done"), store), 5);
	ck_assert_int_eq(count_for(JOBS_IN("failed"), store), 0);
	ck_assert_int_gt(count_for("SELECT count(*) FROM campaigns c"
	    IT_SQL_JOIN_STORE("c")
	    " WHERE s.public_id = $1", store), 0);
	ck_assert_int_gt(count_for("SELECT count(*) FROM campaign_stats c"
	    IT_SQL_JOIN_STORE("c")
	    " WHERE s.public_id = $1",
	    store), 0);
	ck_assert_int_gt(count_for("SELECT count(*) FROM flows f"
	    IT_SQL_JOIN_STORE("f")
	    " WHERE s.public_id = $1", store), 0);
	ck_assert_int_gt(count_for("SELECT count(*) FROM flow_series f"
	    IT_SQL_JOIN_STORE("f")
	    " WHERE s.public_id = $1", store),
	    0);
	ck_assert_int_gt(count_for("SELECT count(*) FROM segment_series f"
	    IT_SQL_JOIN_STORE("f")
	    " WHERE s.public_id = $1",
	    store), 0);
	ck_assert_int_gt(count_for("SELECT count(*) FROM form_series f"
	    IT_SQL_JOIN_STORE("f")
	    " WHERE s.public_id = $1", store),
	    0);
	ck_assert_int_gt(count_for("SELECT count(*) FROM orders o"
	    IT_SQL_JOIN_STORE("o")
	    " WHERE s.public_id = $1", store), 0);
	/* Days are the account's days, stored with its timezone. */
	ck_assert_int_eq(count_for("SELECT count(*) FROM flow_series f"
	    IT_SQL_JOIN_STORE("f")
	    " WHERE s.public_id = $1"
	    " AND f.timezone <> 'America/New_York'", store), 0);
	/* Klaviyo never had to say 429 to us. */
	ck_assert_int_eq(it_sbx_count(NULL, NULL, 429), 0);
	it_get(it_connect_path(store), tok, &r);
	it_assert_ok(&r);
	k = it_jget(r.json, "klaviyo_integration");
	ck_assert_str_eq(it_jstr(k, "sync_status"), "completed");
	ck_assert(!it_jbool(k, "is_updating_dashboard"));
	ck_assert_ptr_nonnull(it_jstr(k, "last_sync"));
	ck_assert_ptr_nonnull(it_jstr(k, "campaign_values_last_update"));
	ck_assert_ptr_nonnull(it_jstr(k, "flow_series_last_update"));
	ck_assert_ptr_nonnull(it_jstr(k, "segment_series_last_update"));
	ck_assert_ptr_nonnull(it_jstr(k, "form_series_last_update"));
	sync = it_jget(r.json, "sync");
	ck_assert_str_eq(it_jstr(it_jget(sync, "orders"), "state"), "done");
	it_resp_free(&r);
	/*
	 * last_sync is what each job covered (saved in its cursor when it
	 * fixed its windows: that moment, or today's midnight when today
	 * would have cost a window of its own), not its end: a stalled job
	 * leaves no gap behind.
	 */
	ck_assert_int_eq(count_for("SELECT count(*) FROM sync_jobs j"
	    " JOIN stores s ON s.id = j.store_id"
	    " JOIN klaviyo_syncs k ON k.connection_id = j.connection_id"
	    " WHERE s.public_id = $1 AND j.state = 'done'"
	    " AND (k.state -> j.type ->> 'last_sync')::timestamptz"
	    " <= j.finished_at"
	    " AND (j.cursor ->> 'synced_to' IS NULL OR"
	    " (j.cursor ->> 'synced_to')::timestamptz ="
	    " (k.state -> j.type ->> 'last_sync')::timestamptz)", store), 5);
}
END_TEST

START_TEST(incremental_resync_is_idempotent)
{
	char		 store[80], tok[64], *before, *after;
	struct it_resp	 r;
	/*
	 * Totals, not rows: a re-read may add all-zero days (today) that a
	 * one-day window of the full read had no result for.
	 */
	const char	*sum = "SELECT concat_ws(' ',"
	    " (SELECT sum((f.statistics ->> 'conversion_value')::numeric)"
	    "  FROM flow_series f" IT_SQL_JOIN_STORE("f")
	    "  WHERE s.public_id = $1),"
	    " (SELECT sum((f.statistics ->> 'recipients')::numeric)"
	    "  FROM flow_series f" IT_SQL_JOIN_STORE("f")
	    "  WHERE s.public_id = $1),"
	    " (SELECT count(*) || '/' || sum(o.value) FROM orders o"
	    IT_SQL_JOIN_STORE("o")
	    " WHERE s.public_id = $1),"
	    " (SELECT count(*) FROM campaign_stats c" IT_SQL_JOIN_STORE("c")
	    " WHERE s.public_id = $1))";
	const char	*params[1];

	connected(store, sizeof(store), tok, sizeof(tok), IT_KEY_ACME,
	    IT_METRIC_ACME_SHOPIFY_PO);
	full_sync(store);
	params[0] = store;
	before = it_sql_value(sum, 1, params);
	{
		char path[160];

		snprintf(path, sizeof(path), "/api/store/%s/klaviyo-sync",
		    store);
		it_post(path, tok, "{}", &r);
		ck_assert_int_eq(r.status, 202);
		it_resp_free(&r);
	}
	full_sync(store);
	after = it_sql_value(sum, 1, params);
	/* The lookback re-read upserts the same days: nothing twice. */
	ck_assert_str_eq(before, after);
	ck_assert_int_eq(count_for(JOBS_IN("done"), store), 10);
	free(before);
	free(after);
}
END_TEST

START_TEST(killed_daemon_job_resumes)
{
	char		 store[80], tok[64];
	pid_t		 pid;
	int		 st;
	long long	 flows_full, flows_after;

	connected(store, sizeof(store), tok, sizeof(tok), IT_KEY_ACME,
	    IT_METRIC_ACME_API_PO);
	/* A slow Klaviyo so that the kill lands mid-job. */
	it_sbx_fault("{\"fault\":\"latency\",\"ms\":150}");
	pid = daemon_running(store, 1, 1);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	it_sbx_reset();
	/* After the lease, another daemon takes the job and finishes it. */
	it_pause_ms(5500);
	full_sync(store);
	ck_assert_int_eq(count_for(JOBS_IN("done"), store), 4);
	ck_assert_int_gt(count_for("SELECT max(attempts) FROM sync_jobs j"
	    " JOIN stores s ON s.id = j.store_id WHERE s.public_id = $1",
	    store), 1);
	flows_full = count_for("SELECT count(*) FROM flows f"
	    IT_SQL_JOIN_STORE("f")
	    " WHERE s.public_id = $1", store);
	/* Primary keys forbid duplicates; the totals are the sandbox's. */
	flows_after = count_for("SELECT count(DISTINCT f.id) FROM flows f"
	    IT_SQL_JOIN_STORE("f")
	    " WHERE s.public_id = $1",
	    store);
	ck_assert_int_eq(flows_full, flows_after);
	ck_assert_int_gt(flows_full, 0);
}
END_TEST

START_TEST(two_daemons_never_share_a_job)
{
	char		 store[80], tok[64], cmd[512];
	const char	*bin = getenv("KC_TEST_SYNCD");
	int		 st;

	connected(store, sizeof(store), tok, sizeof(tok), IT_KEY_ACME,
	    IT_METRIC_ACME_SHOPIFY_PO);
	snprintf(cmd, sizeof(cmd), "REPORT_SERVER= timeout 170 %s --once "
	    ">/dev/null 2>&1 & REPORT_SERVER= timeout 170 %s --once "
	    ">/dev/null 2>&1 & wait", bin, bin);
	st = it_system("%s", cmd);
	ck_assert_int_eq(st, 0);
	full_sync(store);
	ck_assert_int_eq(count_for(JOBS_IN("done"), store), 5);
	/* Each job was claimed once: no lease was lost or doubled. */
	ck_assert_int_eq(count_for("SELECT count(*) FROM sync_jobs j JOIN "
	    "stores s ON s.id = j.store_id WHERE s.public_id = $1 AND"
	    " j.attempts > 1 AND j.last_error IS NULL", store), 0);
	ck_assert_int_eq(it_sbx_count(NULL, NULL, 429), 0);
}
END_TEST

START_TEST(disconnect_mid_sync_leaves_nothing)
{
	char		 store[80], tok[64], *conn;
	struct it_resp	 r;
	pid_t		 pid;
	int		 st;

	connected(store, sizeof(store), tok, sizeof(tok), IT_KEY_ACME,
	    IT_METRIC_ACME_SHOPIFY_PO);
	/* Kept: the disconnect deletes the connection row itself. */
	conn = it_primary_conn(store);
	ck_assert_ptr_nonnull(conn);
	it_sbx_fault("{\"fault\":\"latency\",\"ms\":100}");
	pid = daemon_running(store, 0, 0);
	it_delete(it_connect_path(store), tok, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	/* The running job sees the cancel at its next step. */
	it_pause_ms(1500);
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	it_sbx_reset();
	ck_assert_int_eq(count_for(JOBS_IN("running"), store), 0);
	ck_assert_int_eq(count_for(JOBS_IN("queued"), store), 0);
	ck_assert_int_eq(count_for("SELECT count(*) FROM sync_jobs"
	    " WHERE connection_id = $1::bigint AND state IN ('queued',"
	    " 'running')", conn), 0);
	ck_assert_int_eq(count_for("SELECT count(*) FROM"
	    IT_SQL_CONN_IDS("$1") " c", store), 0);
	ck_assert_int_eq(count_for("SELECT (SELECT count(*) FROM campaigns c"
	    "  WHERE c.connection_id = $1::bigint) +"
	    " (SELECT count(*) FROM flows c WHERE c.connection_id = $1::bigint)"
	    " + (SELECT count(*) FROM orders c"
	    "  WHERE c.connection_id = $1::bigint) +"
	    " (SELECT count(*) FROM klaviyo_syncs c"
	    "  WHERE c.connection_id = $1::bigint)", conn), 0);
	ck_assert_int_eq(count_for("SELECT count(*) FROM klaviyo_syncs c"
	    " JOIN stores s ON s.id = c.store_id WHERE s.public_id = $1",
	    store), 0);
	free(conn);
}
END_TEST

START_TEST(refused_credential_marks_store)
{
	char		 store[80], tok[64], fault[256];
	struct it_resp	 r;

	connected(store, sizeof(store), tok, sizeof(tok), IT_KEY_ACME,
	    IT_METRIC_ACME_API_PO);
	snprintf(fault, sizeof(fault), "{\"fault\":\"status\",\"status\":401,"
	    "\"key\":\"%s\"}", IT_KEY_ACME);
	it_sbx_fault(fault);
	syncd_once("REPORT_SERVER=");
	it_sbx_reset();
	it_get(it_connect_path(store), tok, &r);
	it_assert_ok(&r);
	ck_assert_str_eq(it_jstr(it_jget(r.json, "klaviyo_integration"),
	    "status"), "error");
	ck_assert_ptr_nonnull(strstr(it_jstr(it_jget(r.json,
	    "klaviyo_integration"), "last_error"), "validate"));
	it_resp_free(&r);
	ck_assert_int_eq(count_for(JOBS_IN("queued"), store), 0);
	ck_assert_int_eq(count_for(JOBS_IN("running"), store), 0);
}
END_TEST

START_TEST(klaviyo_faults_mid_sync)
{
	char		 store[80], tok[64];
	struct it_resp	 r;
	const char	*err;

	connected(store, sizeof(store), tok, sizeof(tok), IT_KEY_ACME,
	    IT_METRIC_ACME_API_PO);
	/* Two 503s: retried within the request, the sync finishes. */
	it_sbx_fault("{\"fault\":\"status\",\"status\":503,\"count\":2,"
	    "\"path\":\"/api/flow-series-reports\"}");
	/* Garbage for the forms report: a clear error, tried again later. */
	it_sbx_fault("{\"fault\":\"malformed\",\"count\":1,"
	    "\"path\":\"/api/form-series-reports\"}");
	syncd_once("REPORT_SERVER=");
	ck_assert_int_eq(it_sbx_count(NULL, NULL, 429), 0);
	it_get(it_connect_path(store), tok, &r);
	it_assert_ok(&r);
	ck_assert_str_eq(it_jstr(it_jget(it_jget(r.json, "sync"), "flows"),
	    "state"), "done");
	ck_assert_str_eq(it_jstr(it_jget(it_jget(r.json, "sync"), "forms"),
	    "state"), "queued");
	err = it_jstr(it_jget(it_jget(r.json, "sync"), "forms"), "last_error");
	ck_assert_msg(err && strstr(err, "malformed"), "forms error: %s",
	    err ? err : "(none)");
	/* The connection itself is fine: only that job waits. */
	ck_assert_str_eq(it_jstr(it_jget(r.json, "klaviyo_integration"),
	    "status"), "connected");
	it_resp_free(&r);
	it_sbx_reset();
}
END_TEST

START_TEST(postgres_restart_mid_sync)
{
	char		 store[80], tok[64];
	pid_t		 pid;
	int		 i, st;

	connected(store, sizeof(store), tok, sizeof(tok), IT_KEY_ACME,
	    IT_METRIC_ACME_SHOPIFY_PO);
	it_sbx_fault("{\"fault\":\"latency\",\"ms\":100}");
	pid = daemon_running(store, 1, 0);
	ck_assert_int_eq(it_system("%s stop", getenv("KC_TEST_PGCTL")), 0);
	it_pause_ms(1000);
	ck_assert_int_eq(it_system("%s start", getenv("KC_TEST_PGCTL")), 0);
	PQreset(it_db());
	it_sbx_reset();
	/* The same daemon goes on: every job of the store ends done. */
	for (i = 0; i < 240; i++) {
		if (count_for(JOBS_IN("done"), store) == 5)
			break;
		it_pause_ms(250);
	}
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	ck_assert_int_eq(count_for(JOBS_IN("done"), store), 5);
	ck_assert_int_eq(count_for("SELECT count(*) - count(DISTINCT event_id)"
	    " FROM orders o" IT_SQL_JOIN_STORE("o")
	    " WHERE s.public_id = $1", store), 0);
}
END_TEST

/*
 * A key without one type's scope (Klaviyo's 403 for forms): that type
 * fails with the scope it needs, the others sync, the store stays
 * connected.
 */
START_TEST(missing_scope_fails_that_type_only)
{
	char			 store[80], tok[64], fault[256];
	struct it_resp		 r;
	const char		*p[2] = { store, "forms" };

	connected(store, sizeof(store), tok, sizeof(tok), IT_KEY_ACME,
	    IT_METRIC_ACME_SHOPIFY_PO);
	snprintf(fault, sizeof(fault), "{\"fault\":\"status\",\"status\":403,"
	    "\"key\":\"%s\",\"path\":\"/api/forms\"}", IT_KEY_ACME);
	it_sbx_fault(fault);
	full_sync(store);
	it_sbx_reset();
	ck_assert_int_eq(count_for(JOBS_IN("done"), store), 4);
	ck_assert_int_eq(count_for(JOBS_IN("failed"), store), 1);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM sync_jobs j"
	    " JOIN stores s ON s.id = j.store_id WHERE s.public_id = $1"
	    " AND j.type = $2 AND j.state = 'failed'"
	    " AND j.last_error = 'needs scope forms:read'", 2, p), 1);
	it_get(it_connect_path(store), tok, &r);
	it_assert_ok(&r);
	ck_assert_str_eq(it_jstr(it_jget(r.json, "klaviyo_integration"),
	    "status"), "connected");
	ck_assert_str_eq(it_jstr(it_jget(it_jget(r.json, "sync"), "forms"),
	    "last_error"), "needs scope forms:read");
	it_resp_free(&r);
}
END_TEST

/* ---- one daemon, many accounts (the job pool) ---- */

struct fleet_store {
	const char	*key;
	const char	*metric;
	int		 types;		/* jobs a full sync makes */
	char		 store[80];
	char		 tok[64];
};

/* Connects each to its own account; only their jobs stay queued. */
static void
connect_fleet(struct fleet_store *f, size_t n)
{
	struct it_resp	 r;
	char		 ids[512];
	const char	*p[1] = { ids };
	size_t		 i, len = 0;

	it_klaviyo_cold();
	for (i = 0; i < n; i++) {
		it_store("Fleet", f[i].store, sizeof(f[i].store));
		it_member("owner", f[i].store, f[i].tok, sizeof(f[i].tok));
		it_connect(f[i].store, f[i].tok, f[i].key, f[i].metric, &r);
		it_assert_ok(&r);
		it_resp_free(&r);
		len += (size_t)snprintf(ids + len, sizeof(ids) - len, "%c%s",
		    i ? ',' : '{', f[i].store);
	}
	snprintf(ids + len, sizeof(ids) - len, "}");
	PQclear(it_sql("UPDATE report_triggers SET cancelled_at = now()"
	    " WHERE delivered_at IS NULL AND cancelled_at IS NULL AND store_id"
	    " NOT IN (SELECT id FROM stores WHERE public_id = ANY ($1))", 1,
	    p));
	PQclear(it_sql("UPDATE sync_jobs SET state = 'cancelled'"
	    " WHERE state IN ('queued', 'running') AND store_id"
	    " NOT IN (SELECT id FROM stores WHERE public_id = ANY ($1))", 1,
	    p));
	setenv("SYNC_HISTORY_DAYS", "120", 1);
	setenv("SYNC_SCHEDULE_SECONDS", "0", 1);
}

static long long
jobs_of(const char *state, const char *store)
{
	const char *p[2] = { store, state };

	return it_sql_count("SELECT count(*) FROM sync_jobs j JOIN stores s"
	    " ON s.id = j.store_id WHERE s.public_id = $1 AND j.state = $2",
	    2, p);
}

/*
 * Three accounts, one daemon: their jobs run at the same time, each
 * account's limits hold (no 429), and every job ends done.
 */
START_TEST(one_daemon_runs_accounts_in_parallel)
{
	struct fleet_store f[3] = {
		{ IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO, 5, "", "" },
		{ IT_KEY_BLUEBIRD, IT_METRIC_BLUEBIRD_PO, 4, "", "" },
		{ IT_KEY_CEDAR, IT_METRIC_CEDAR_PO, 4, "", "" },
	};
	pid_t	 pid;
	int	 st, i, busy, most = 0, finished = 0;
	size_t	 k;

	connect_fleet(f, 3);
	it_sbx_fault("{\"fault\":\"latency\",\"ms\":100}");
	pid = it_syncd_spawn(NULL);
	for (i = 0; i < 1200 && !finished; i++) {
		busy = 0;
		finished = 1;
		for (k = 0; k < 3; k++) {
			busy += jobs_of("running", f[k].store) > 0;
			finished &= jobs_of("done", f[k].store) == f[k].types;
		}
		if (busy > most)
			most = busy;
		it_pause_ms(100);
	}
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	it_sbx_reset();
	ck_assert_msg(finished, "not every job ended done");
	ck_assert_msg(most >= 2, "at most %d account(s) synced at once",
	    most);
	ck_assert_int_eq(it_sbx_count(NULL, NULL, 429), 0);
}
END_TEST

/* What a store holds of one synced table, as one comparable string. */
static char *
table_digest(const char *sql, const char *store)
{
	const char	*p[1] = { store };
	PGresult	*res = it_sql(sql, 1, p);
	char		*out;

	ck_assert_int_eq(PQntuples(res), 1);
	out = strdup(PQgetisnull(res, 0, 0) ? "" : PQgetvalue(res, 0, 0));
	ck_assert_ptr_nonnull(out);
	PQclear(res);
	return out;
}

/*
 * Jobs parked in the queue for their account's next report slot
 * (SYNC_MAX_WAIT_MS below Klaviyo's 2/min) resume from their cursors
 * and store exactly what jobs that waited in the pool stored: two stores
 * of one account, one synced each way.  A park is no failure: no
 * attempt is spent and no error shows.
 */
START_TEST(parked_jobs_store_the_same_data)
{
	struct fleet_store f[2] = {
		{ IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO, 5, "", "" },
		{ IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO, 5, "", "" },
	};
	static const char *const parking[] = { "SYNC_MAX_WAIT_MS=200", NULL };
	static const char *const tables[] = {
		"SELECT count(*) || ':' || md5(string_agg(c.id || c.channel ||"
		" c.name || coalesce(c.send_time::text, ''), ',' ORDER BY c.id))"
		" FROM campaigns c" IT_SQL_JOIN_STORE("c")
		" WHERE s.public_id = $1",
		"SELECT count(*) || ':' || md5(string_agg(c.campaign_id ||"
		" c.channel || c.statistics::text, ',' ORDER BY c.campaign_id,"
		" c.channel)) FROM campaign_stats c" IT_SQL_JOIN_STORE("c")
		" WHERE s.public_id = $1",
		"SELECT count(*) || ':' || md5(string_agg(f.flow_id || f.day ||"
		" f.statistics::text, ',' ORDER BY f.flow_id, f.day))"
		" FROM flow_series f" IT_SQL_JOIN_STORE("f")
		" WHERE s.public_id = $1",
		"SELECT count(*) || ':' || md5(string_agg(f.segment_id || f.day ||"
		" f.statistics::text, ',' ORDER BY f.segment_id, f.day))"
		" FROM segment_series f" IT_SQL_JOIN_STORE("f")
		" WHERE s.public_id = $1",
		"SELECT count(*) || ':' || md5(string_agg(f.form_id || f.day ||"
		" f.statistics::text, ',' ORDER BY f.form_id, f.day))"
		" FROM form_series f" IT_SQL_JOIN_STORE("f")
		" WHERE s.public_id = $1",
		"SELECT count(*) || ':' || md5(string_agg(o.event_id ||"
		" coalesce(o.value::text, '') || coalesce(o.currency, ''), ','"
		" ORDER BY o.event_id)) FROM orders o" IT_SQL_JOIN_STORE("o")
		" WHERE s.public_id = $1",
	};
	struct it_resp	 r;
	const char	*state;
	char		*a, *b, *type;
	pid_t		 pid;
	int		 st, i, parked = 0, finished = 0;
	size_t	 k;

	connect_fleet(f, 2);
	/* Years of history: report windows beyond the 2/min burst. */
	setenv("SYNC_HISTORY_DAYS", "400", 1);
	/*
	 * The second store's sync (its connect's report trigger makes its
	 * jobs) waits until the first has synced.
	 */
	PQclear(it_sql("UPDATE report_triggers SET next_attempt_at = now() +"
	    " interval '1 hour' WHERE delivered_at IS NULL AND store_id ="
	    " (SELECT id FROM stores WHERE public_id = $1)", 1,
	    (const char *const[]){ f[1].store }));
	full_sync(f[0].store);
	ck_assert_int_eq(jobs_of("done", f[0].store), f[0].types);
	ck_assert_int_eq(jobs_of("done", f[1].store), 0);
	PQclear(it_sql("UPDATE report_triggers SET next_attempt_at = now()"
	    " WHERE delivered_at IS NULL AND store_id = (SELECT id FROM"
	    " stores WHERE public_id = $1)", 1,
	    (const char *const[]){ f[1].store }));
	pid = it_syncd_spawn(parking);
	for (i = 0; i < 1800 && !finished; i++) {
		/* Parked: queued again, its cursor saved. */
		type = it_sql_value("SELECT j.type FROM sync_jobs j JOIN stores"
		    " s ON s.id = j.store_id WHERE s.public_id = $1 AND j.state"
		    " = 'queued' AND j.cursor <> '{}' LIMIT 1", 1,
		    (const char *const[]){ f[1].store });
		if (type != NULL) {
			/* The page sees it syncing, not waiting to start. */
			it_get(it_connect_path(f[1].store), f[1].tok, &r);
			ck_assert_int_eq(r.status, 200);
			state = it_jstr(it_jget(it_jget(r.json, "sync"), type),
			    "state");
			ck_assert_msg(strcmp(state, "running") == 0 ||
			    strcmp(state, "done") == 0, "parked %s shows %s",
			    type, state);
			it_resp_free(&r);
			free(type);
			parked = 1;
		}
		finished = jobs_of("done", f[1].store) == f[1].types;
		it_pause_ms(100);
	}
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	ck_assert_msg(finished, "not every parked job ended done");
	ck_assert_msg(parked, "no job was parked");
	ck_assert_int_eq(count_for("SELECT count(*) FROM sync_jobs j JOIN"
	    " stores s ON s.id = j.store_id WHERE s.public_id = $1"
	    " AND (j.attempts <> 1 OR j.last_error IS NOT NULL)", f[1].store),
	    0);
	for (k = 0; k < sizeof(tables) / sizeof(tables[0]); k++) {
		a = table_digest(tables[k], f[0].store);
		b = table_digest(tables[k], f[1].store);
		ck_assert_msg(strcmp(a, b) == 0 && a[0] != '0',
		    "table %zu: %s (waited) vs %s (parked)", k, a, b);
		free(a);
		free(b);
	}
	ck_assert_int_eq(it_sbx_count(NULL, NULL, 429), 0);
}
END_TEST

/*
 * A disconnect while the store's jobs wait for their account's slot:
 * they stop within about a second, and not one request with the removed
 * key reaches Klaviyo after the disconnect was answered.
 */
START_TEST(disconnect_stops_jobs_waiting_for_a_slot)
{
	struct fleet_store f[1] = {
		{ IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO, 5, "", "" },
	};
	char		 sql[1024], win[32];
	struct it_resp	 r;
	pid_t		 pid;
	long		 before, after;
	int		 st, i;
	double		 scale = atof(getenv("KLAVIYO_RATE_SCALE") ?
	    getenv("KLAVIYO_RATE_SCALE") : "1");

	connect_fleet(f, 1);
	/* Every endpoint of the account blocked for 6 s (its 1 s window). */
	snprintf(win, sizeof(win), "%ld", (long)(1050 / (scale > 0 ? scale :
	    1)) + 20);
	snprintf(sql, sizeof(sql), "INSERT INTO rate_buckets (account_key,"
	    " endpoint, window_ms, limit_count, blocked_until)"
	    " SELECT 'acct:%s', e, %s, 1, clock_timestamp() + interval '6 s'"
	    " FROM unnest(ARRAY['campaigns', 'flows', 'segments', 'forms',"
	    " 'events', 'campaign-values-reports', 'flow-series-reports',"
	    " 'segment-series-reports', 'form-series-reports']) e"
	    " ON CONFLICT (account_key, endpoint, window_ms) DO UPDATE"
	    " SET blocked_until = EXCLUDED.blocked_until", IT_ACCT_ACME, win);
	PQclear(it_sql(sql, 0, NULL));
	pid = it_syncd_spawn(NULL);
	for (i = 0; i < 100 && jobs_of("running", f[0].store) < 5; i++)
		it_pause_ms(50);
	ck_assert_int_eq(jobs_of("running", f[0].store), 5);
	it_pause_ms(300);
	it_delete(it_connect_path(f[0].store), f[0].tok, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	before = it_sbx_count(NULL, IT_KEY_ACME, -1);
	for (i = 0; i < 30 && jobs_of("running", f[0].store) > 0; i++)
		it_pause_ms(100);
	ck_assert_msg(jobs_of("running", f[0].store) == 0, "jobs still "
	    "running 3 s after the disconnect");
	/* Past the block: a job that missed the cancel would send now. */
	it_pause_ms(6500);
	after = it_sbx_count(NULL, IT_KEY_ACME, -1);
	ck_assert_int_eq(kill(pid, 0), 0);
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	it_sbx_reset();
	ck_assert_msg(after == before, "%ld request(s) with the removed key "
	    "after the disconnect", after - before);
	ck_assert_int_eq(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0);
}
END_TEST

/*
 * One account's Klaviyo hangs: the other account's sync runs to its end
 * meanwhile, in the same daemon.
 */
START_TEST(hanging_account_does_not_hold_the_others)
{
	struct fleet_store f[2] = {
		{ IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO, 5, "", "" },
		{ IT_KEY_BLUEBIRD, IT_METRIC_BLUEBIRD_PO, 4, "", "" },
	};
	static const char *const env[] = {
		"KLAVIYO_TIMEOUT_MS=120000", NULL,
	};
	char	 fault[256];
	pid_t	 pid;
	int	 st, i;

	connect_fleet(f, 2);
	snprintf(fault, sizeof(fault), "{\"fault\":\"hang\",\"ms\":120000,"
	    "\"key\":\"%s\"}", IT_KEY_ACME);
	it_sbx_fault(fault);
	pid = it_syncd_spawn(env);
	for (i = 0; i < 1200 && jobs_of("done", f[1].store) < f[1].types; i++)
		it_pause_ms(100);
	ck_assert_int_eq(jobs_of("done", f[1].store), f[1].types);
	/* Meanwhile the hanging account's jobs are still waiting. */
	ck_assert_int_eq(jobs_of("done", f[0].store), 0);
	ck_assert_int_gt(jobs_of("running", f[0].store), 0);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	it_sbx_reset();
	it_isolate(f[1].store);
}
END_TEST

/* kill -9 with every job of three accounts in flight: all resume. */
START_TEST(killed_daemon_resumes_every_job)
{
	struct fleet_store f[3] = {
		{ IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO, 5, "", "" },
		{ IT_KEY_BLUEBIRD, IT_METRIC_BLUEBIRD_PO, 4, "", "" },
		{ IT_KEY_CEDAR, IT_METRIC_CEDAR_PO, 4, "", "" },
	};
	static const char *const env[] = {
		"SYNC_LEASE_SECONDS=5", "SYNC_MAX_WAIT_MS=4000", NULL,
	};
	pid_t		 pid;
	int		 st, i, running = 0;
	size_t		 k;

	connect_fleet(f, 3);
	it_sbx_fault("{\"fault\":\"latency\",\"ms\":150}");
	pid = it_syncd_spawn(env);
	for (i = 0; i < 200 && running < 10; i++) {
		it_pause_ms(50);
		for (running = 0, k = 0; k < 3; k++)
			running += (int)jobs_of("running", f[k].store);
	}
	ck_assert_int_ge(running, 10);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	it_sbx_reset();
	/* After the lease, the jobs are taken again and finish. */
	it_pause_ms(5500);
	for (k = 0; k < 3; k++)
		full_sync(f[k].store);
	for (k = 0; k < 3; k++) {
		ck_assert_int_eq(jobs_of("done", f[k].store), f[k].types);
		ck_assert_int_gt(count_for("SELECT max(attempts) FROM sync_jobs"
		    " j JOIN stores s ON s.id = j.store_id"
		    " WHERE s.public_id = $1", f[k].store), 1);
	}
	ck_assert_int_eq(it_sbx_count(NULL, NULL, 429), 0);
}
END_TEST

Suite *
suite_sync_full(void)
{
	Suite	*s = suite_create("sync_full");
	TCase	*tc = tcase_create("sync_full");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, full_sync_fills_tables);
	tcase_add_test(tc, incremental_resync_is_idempotent);
	tcase_add_test(tc, killed_daemon_job_resumes);
	tcase_add_test(tc, two_daemons_never_share_a_job);
	tcase_add_test(tc, disconnect_mid_sync_leaves_nothing);
	tcase_add_test(tc, refused_credential_marks_store);
	tcase_add_test(tc, klaviyo_faults_mid_sync);
	tcase_add_test(tc, postgres_restart_mid_sync);
	tcase_add_test(tc, missing_scope_fails_that_type_only);
	tcase_add_test(tc, one_daemon_runs_accounts_in_parallel);
	tcase_add_test(tc, parked_jobs_store_the_same_data);
	tcase_add_test(tc, disconnect_stops_jobs_waiting_for_a_slot);
	tcase_add_test(tc, hanging_account_does_not_hold_the_others);
	tcase_add_test(tc, killed_daemon_resumes_every_job);
	suite_add_tcase(s, tc);
	return s;
}
