/*
 * A fleet in one klaviyo-syncd (the sandbox's --fleet accounts, run.sh):
 * 40 stores, 200 jobs in flight at once through a PostgreSQL restart and
 * a kill -9; a second daemon resumes every job from its cursor, and each
 * store ends with exactly what its Klaviyo account holds, with no 429.
 */
#include "itest.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define FLEET_N		40
#define FLEET_JOBS	(FLEET_N * 5)

struct member {
	char	 store[80];
	char	 tok[64];
	long long counts[5];	/* campaigns flows segments forms orders */
};

static const char *const count_names[5] = {
	"campaigns", "flows", "segments", "forms", "orders",
};

/* Connects store i to fleet account i, as a user would. */
static void
connect_member(struct member *m, struct json_object *acc)
{
	struct json_object	*counts;
	struct it_resp		 r;
	size_t			 k;

	it_store("Fleet Member", m->store, sizeof(m->store));
	it_member("owner", m->store, m->tok, sizeof(m->tok));
	it_connect(m->store, m->tok, it_jstr(acc, "key"),
	    it_jstr(acc, "placed_order_metric"), &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	counts = it_jget(acc, "counts");
	for (k = 0; k < 5; k++)
		m->counts[k] = json_object_get_int64(it_jget(counts,
		    count_names[k]));
}

static long long
fleet_jobs(const char *state)
{
	const char *p[1] = { state };

	return it_sql_count("SELECT count(*) FROM sync_jobs j JOIN stores s"
	    " ON s.id = j.store_id WHERE s.name = 'Fleet Member'"
	    " AND j.state = $1", 1, p);
}

/* What store holds of one type, against its account. */
static void
assert_holds(const struct member *m)
{
	static const char *const sql[5] = {
		"SELECT count(*) FROM campaigns c" IT_SQL_JOIN_STORE("c")
		" WHERE s.public_id = $1",
		"SELECT count(*) FROM flows c" IT_SQL_JOIN_STORE("c")
		" WHERE s.public_id = $1",
		"SELECT count(*) FROM segments c" IT_SQL_JOIN_STORE("c")
		" WHERE s.public_id = $1",
		"SELECT count(*) FROM forms c" IT_SQL_JOIN_STORE("c")
		" WHERE s.public_id = $1",
		"SELECT count(*) FROM orders c" IT_SQL_JOIN_STORE("c")
		" WHERE s.public_id = $1",
	};
	const char	*p[1] = { m->store };
	size_t		 k;
	long long	 n;

	for (k = 0; k < 5; k++) {
		n = it_sql_count(sql[k], 1, p);
		ck_assert_msg(n == m->counts[k], "%s: %lld %s, the account has "
		    "%lld", m->store, n, count_names[k], m->counts[k]);
	}
}

START_TEST(fleet_survives_restart_and_kill)
{
	static const char *const short_lease[] = { "SYNC_LEASE_SECONDS=5",
	    NULL };
	static struct member	 m[FLEET_N];
	struct it_resp		 r;
	struct json_object	*accs;
	pid_t			 pid;
	int			 st, i;
	long long		 running = 0, done;
	size_t			 k;

	it_klaviyo_cold();
	it_sbx("GET", "/__sandbox/fleet?from=0&count=40", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	accs = it_jget(r.json, "accounts");
	ck_assert_int_eq(json_object_array_length(accs), FLEET_N);
	for (k = 0; k < FLEET_N; k++)
		connect_member(&m[k], json_object_array_get_idx(accs, k));
	it_resp_free(&r);
	/* Only the fleet syncs; its whole history (up to 500 days). */
	PQclear(it_sql("UPDATE report_triggers SET cancelled_at = now()"
	    " WHERE delivered_at IS NULL AND cancelled_at IS NULL AND store_id"
	    " NOT IN (SELECT id FROM stores WHERE name = 'Fleet Member')", 0,
	    NULL));
	PQclear(it_sql("UPDATE sync_jobs SET state = 'cancelled'"
	    " WHERE state IN ('queued', 'running') AND store_id"
	    " NOT IN (SELECT id FROM stores WHERE name = 'Fleet Member')", 0,
	    NULL));
	setenv("SYNC_HISTORY_DAYS", "730", 1);
	setenv("SYNC_SCHEDULE_SECONDS", "0", 1);

	/* Slow answers: every job is in flight at once. */
	it_sbx_fault("{\"fault\":\"latency\",\"ms\":300}");
	pid = it_syncd_spawn(short_lease);
	for (i = 0; i < 600 && running < FLEET_JOBS * 3 / 4; i++) {
		it_pause_ms(50);
		running = fleet_jobs("running");
	}
	ck_assert_msg(running >= FLEET_JOBS * 3 / 4, "only %lld of %d jobs "
	    "ran at once", running, FLEET_JOBS);

	/* PostgreSQL restarts under the running daemon ... */
	ck_assert_int_eq(it_system("%s stop", getenv("KC_TEST_PGCTL")), 0);
	it_pause_ms(500);
	ck_assert_int_eq(it_system("%s start", getenv("KC_TEST_PGCTL")), 0);
	PQreset(it_db());
	for (i = 0; i < 100 && fleet_jobs("done") == 0; i++)
		it_pause_ms(100);
	/* ... which goes on, and is then killed with jobs in flight. */
	ck_assert_int_gt(fleet_jobs("running"), 0);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	done = fleet_jobs("done");
	ck_assert_int_lt(done, FLEET_JOBS);

	/* After the lease, a new daemon takes every job and ends it. */
	it_sbx("DELETE", "/__sandbox/faults", NULL, &r);
	it_resp_free(&r);
	it_pause_ms(5500);
	pid = it_syncd_spawn(NULL);
	for (i = 0; i < 2400 && fleet_jobs("done") < FLEET_JOBS; i++)
		it_pause_ms(100);
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	ck_assert_int_eq(fleet_jobs("done"), FLEET_JOBS);
	ck_assert_int_eq(fleet_jobs("failed"), 0);
	/* Some resumed after the kill (taken a second time). */
	ck_assert_int_gt(it_sql_count("SELECT count(*) FROM sync_jobs j JOIN"
	    " stores s ON s.id = j.store_id WHERE s.name = 'Fleet Member'"
	    " AND j.attempts > 1", 0, NULL), 0);
	for (k = 0; k < FLEET_N; k++)
		assert_holds(&m[k]);
	ck_assert_int_eq(it_sbx_count(NULL, NULL, 429), 0);
}
END_TEST

Suite *
suite_fleet(void)
{
	Suite	*s = suite_create("fleet");
	TCase	*tc = tcase_create("fleet");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, fleet_survives_restart_and_kill);
	suite_add_tcase(s, tc);
	return s;
}
