/*
 * Process heartbeats (heartbeat.h): every web worker and klaviyo-syncd
 * has a live row with the key versions it holds; klaviyo-admin status
 * lists them and says when no klaviyo-syncd is alive; rotate-keys is
 * refused while a live process lacks the newest version and accepted
 * once all of them reloaded it (SIGHUP); dead rows are ignored and
 * pruned.
 */
#include "itest.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A valid 32-byte key (all zero bytes): a test value, not a secret. */
#define ZERO_KEY "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
#define ADM "\"$KC_TEST_ADMIN\""
#define LIVE "heartbeat_at > now() - interval '60 seconds'"

static void
write_file(const char *path, const char *s)
{
	FILE *fp;

	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	ck_assert_int_ge(fputs(s, fp), 0);
	ck_assert_int_eq(fclose(fp), 0);
	/* The service user reads it (it_system: run.sh may run as root). */
	ck_assert_int_eq(it_system("chmod 0644 '%s'", path), 0);
}

/* Rows of processes that are gone (killed by earlier tests) go. */
static void
forget_dead(void)
{
	PGresult	*res = it_sql("SELECT pid FROM process_heartbeat", 0,
	    NULL);
	char		 sql[128];
	int		 r, pid;

	for (r = 0; r < PQntuples(res); r++) {
		pid = atoi(PQgetvalue(res, r, 0));
		if (kill(pid, 0) == 0)
			continue;
		snprintf(sql, sizeof(sql), "DELETE FROM process_heartbeat"
		    " WHERE pid = %d", pid);
		PQclear(it_sql(sql, 0, NULL));
	}
	PQclear(res);
}

/* Live rows of pid holding version (0: any); waits up to secs for want. */
static long long
wait_rows(int pid, int version, long long want, int secs)
{
	char		 p[16], v[16];
	const char	*params[2] = { p, v };
	long long	 n = 0;
	int		 i;

	snprintf(p, sizeof(p), "%d", pid);
	snprintf(v, sizeof(v), "%d", version);
	for (i = 0; i < secs * 20; i++) {
		n = it_sql_count("SELECT count(*) FROM process_heartbeat WHERE "
		    LIVE " AND pid = $1::int AND ($2::int = 0 OR $2::int ="
		    " ANY (key_versions))", 2, params);
		if (n == want)
			break;
		it_pause_ms(50);
	}
	return n;
}

/* Waits up to secs until no live row lacks version; returns those left. */
static long long
wait_all_hold(int version, int secs)
{
	char		 v[16];
	const char	*params[1] = { v };
	long long	 n = 0;
	int		 i;

	snprintf(v, sizeof(v), "%d", version);
	for (i = 0; i < secs * 20; i++) {
		n = it_sql_count("SELECT count(*) FROM process_heartbeat WHERE "
		    LIVE " AND NOT $1::int = ANY (key_versions)", 1, params);
		if (n == 0)
			break;
		it_pause_ms(50);
	}
	return n;
}

static pid_t
fcgi_master(void)
{
	char	*s = it_read_file(getenv("KC_TEST_FCGI_PIDFILE"));
	pid_t	 pid = (pid_t)strtol(s, NULL, 10);

	free(s);
	return pid;
}

/* klaviyo-syncd --no-jobs reading its keys from keys_file. */
static pid_t
syncd_start(const char *keys_file, const char *log)
{
	const char	*bin = getenv("KC_TEST_SYNCD");
	pid_t		 pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (freopen(log, "a", stderr) == NULL)
			_exit(126);
		unsetenv("KC_MASTER_KEYS");
		setenv("KC_MASTER_KEYS_FILE", keys_file, 1);
		setenv("SYNC_SCHEDULE_SECONDS", "0", 1);
		execl(bin, bin, "--no-jobs", (char *)NULL);
		_exit(127);
	}
	return pid;
}

static int
syncd_stop(pid_t pid)
{
	int status;

	if (kill(pid, SIGTERM) != 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* The pid of the klaviyo-syncd row (the wrapper under root execs). */
static int
syncd_row_pid(void)
{
	char	*v = it_sql_value("SELECT coalesce(max(pid), 0)::text FROM"
	    " process_heartbeat WHERE program = 'klaviyo-syncd' AND " LIVE,
	    0, NULL);
	int	 pid = atoi(v);

	free(v);
	return pid;
}

START_TEST(heartbeat_status_lists_processes)
{
	char		 keys[512], log[512], spec[256], line[64], *out, *o2;
	char		*workers, *w, *save;
	const char	*st = getenv("KC_TEST_STATE");
	long long	 n;
	pid_t		 syncd, master = fcgi_master();
	int		 rc, rc2, spid, nworkers = 0;

	forget_dead();
	/* Every worker of the running master has a live row holding 1. */
	ck_assert_int_eq(it_run(&workers, "pgrep -P %d", (int)master), 0);
	for (w = strtok_r(workers, "\n", &save); w != NULL;
	    w = strtok_r(NULL, "\n", &save)) {
		ck_assert_int_eq(wait_rows(atoi(w), 1, 1, 10), 1);
		nworkers++;
	}
	free(workers);
	ck_assert_int_gt(nworkers, 0);

	rc = it_run(&out, ADM " status 2>&1");
	ck_assert_msg(rc == 8, "status without a syncd: exit %d: %s", rc, out);
	ck_assert_msg(strstr(out, "no klaviyo-syncd is alive") != NULL, "%s",
	    out);
	ck_assert_msg(strstr(out, "klaviyo-connect-fcgi") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "sync jobs:") != NULL &&
	    strstr(out, "report triggers:") != NULL, "%s", out);
	free(out);

	snprintf(keys, sizeof(keys), "%s/run/hb-status-keys", st);
	snprintf(log, sizeof(log), "%s/log/syncd-hb.log", st);
	snprintf(spec, sizeof(spec), "%s\n", getenv("KC_MASTER_KEYS"));
	write_file(keys, spec);
	syncd = syncd_start(keys, log);
	for (n = 0; n < 200 && (spid = syncd_row_pid()) == 0; n++)
		it_pause_ms(50);
	ck_assert_msg(spid > 0, "no heartbeat from klaviyo-syncd");
	rc = it_run(&out, ADM " status 2>&1");
	/* Dead ones: ignored after a minute, pruned after a day. */
	PQclear(it_sql("INSERT INTO process_heartbeat (host, pid, program,"
	    " version, started_at, heartbeat_at, key_versions) VALUES"
	    " ('it-dead-host', 1, 'klaviyo-syncd', '0', now() - interval"
	    " '3 days', now() - interval '2 minutes', '{1}'), ('it-dead-host',"
	    " 2, 'klaviyo-syncd', '0', now() - interval '3 days', now() -"
	    " interval '2 days', '{1}')", 0, NULL));
	rc2 = it_run(&o2, ADM " status 2>&1");
	ck_assert_msg(rc2 == 0 && strstr(o2, "it-dead-host") == NULL, "%s", o2);
	free(o2);
	ck_assert_int_eq(it_run(&o2, ADM " prune 2>&1"), 0);
	ck_assert_msg(strstr(o2, "process_heartbeat") != NULL, "%s", o2);
	free(o2);
	n = it_sql_count("SELECT count(*) FROM process_heartbeat WHERE host ="
	    " 'it-dead-host'", 0, NULL);
	PQclear(it_sql("DELETE FROM process_heartbeat WHERE host ="
	    " 'it-dead-host'", 0, NULL));
	ck_assert_int_eq(n, 1);

	ck_assert_msg(rc == 0, "status with a syncd: exit %d: %s", rc, out);
	ck_assert_msg(strstr(out, "WARNING") == NULL, "%s", out);
	snprintf(line, sizeof(line), " %d ", spid);
	ck_assert_msg(strstr(out, "klaviyo-syncd") != NULL &&
	    strstr(out, line) != NULL, "syncd pid %d not listed: %s", spid,
	    out);
	free(out);

	/* A clean exit removes the row. */
	ck_assert_int_eq(syncd_stop(syncd), 0);
	ck_assert_int_eq(wait_rows(spid, 0, 0, 5), 0);
}
END_TEST

START_TEST(heartbeat_rotate_keys_waits_for_reload)
{
	char		 keys[512], log[512], spec[512], v1[256], bk[64];
	char		 sql[256], *o1, *o2, *o3, *o4, *restart;
	const char	*st = getenv("KC_TEST_STATE");
	const char	*mk = getenv("KC_MASTER_KEYS");
	long long	 left_syncd, left_all, lacking;
	char		 want1[64];
	pid_t		 syncd;
	int		 s1, s2, s3, s4, spid = 0, i, rs, sst;

	ck_assert_ptr_nonnull(mk);
	ck_assert_msg(strncmp(mk, "1:", 2) == 0, "run.sh's keys changed");
	forget_dead();
	snprintf(keys, sizeof(keys), "%s/run/hb-keys", st);
	snprintf(log, sizeof(log), "%s/log/syncd-hb-rotate.log", st);
	snprintf(v1, sizeof(v1), "%s\n", mk);
	snprintf(spec, sizeof(spec), "2:%s,%s", ZERO_KEY, mk);
	write_file(keys, v1);
	/* The web service reads the same file (a reload re-reads it). */
	rs = it_run(&restart, "\"$KC_TEST_FCGICTL\" restart -KC_MASTER_KEYS"
	    " KC_MASTER_KEYS_FILE='%s' 2>&1", keys);
	ck_assert_msg(rs == 0, "fcgictl restart: %s", restart);
	free(restart);
	syncd = syncd_start(keys, log);
	for (i = 0; i < 200 && (spid = syncd_row_pid()) == 0; i++)
		it_pause_ms(50);

	/* No credential is re-encrypted: other tests hold version 1. */
	snprintf(bk, sizeof(bk), "it_hb_cred_%s", it_unique());
	snprintf(sql, sizeof(sql), "CREATE TABLE %s AS SELECT * FROM"
	    " klaviyo_credentials", bk);
	PQclear(it_sql(sql, 0, NULL));
	PQclear(it_sql("DELETE FROM klaviyo_credentials", 0, NULL));

	forget_dead();	/* the workers the restart replaced */
	/* Nobody holds version 2 yet: each is counted. */
	lacking = it_sql_count("SELECT count(*) FROM process_heartbeat WHERE "
	    LIVE, 0, NULL);
	snprintf(want1, sizeof(want1), "%lld running processes", lacking);
	s1 = it_run(&o1, "KC_MASTER_KEYS='%s' " ADM " rotate-keys 2>&1", spec);
	/* klaviyo-syncd reloads it; the web workers do not yet. */
	snprintf(spec + strlen(spec), sizeof(spec) - strlen(spec), "\n");
	write_file(keys, spec);
	spec[strlen(spec) - 1] = '\0';
	(void)kill(syncd, SIGHUP);
	left_syncd = wait_rows(spid, 2, 1, 10);
	s2 = it_run(&o2, "KC_MASTER_KEYS='%s' " ADM " rotate-keys 2>&1", spec);
	/* Then the web service: every live process holds 2. */
	(void)kill(fcgi_master(), SIGHUP);
	left_all = wait_all_hold(2, 10);
	s3 = it_run(&o3, "KC_MASTER_KEYS='%s' " ADM " rotate-keys 2>&1", spec);
	/* --force skips the check (here with nothing to re-encrypt). */
	s4 = it_run(&o4, "KC_MASTER_KEYS='%s' " ADM " rotate-keys --force"
	    " 2>&1", spec);

	/* Everything back as it was before any check. */
	sst = syncd_stop(syncd);
	rs = it_run(&restart, "\"$KC_TEST_FCGICTL\" restart 2>&1");
	PQclear(it_sql("DELETE FROM klaviyo_credentials", 0, NULL));
	snprintf(sql, sizeof(sql), "INSERT INTO klaviyo_credentials SELECT *"
	    " FROM %s", bk);
	PQclear(it_sql(sql, 0, NULL));
	snprintf(sql, sizeof(sql), "DROP TABLE %s", bk);
	PQclear(it_sql(sql, 0, NULL));

	ck_assert_msg(rs == 0, "fcgictl restart: %s", restart);
	ck_assert_msg(spid > 0, "no heartbeat from klaviyo-syncd");
	ck_assert_int_ge(lacking, 2);	/* the workers and klaviyo-syncd */
	ck_assert_msg(s1 == 7, "rotate-keys before any reload: exit %d: %s",
	    s1, o1);
	ck_assert_msg(strstr(o1, "refused") != NULL &&
	    strstr(o1, want1) != NULL &&
	    strstr(o1, "klaviyo-connect-fcgi pid") != NULL &&
	    strstr(o1, "--force") != NULL && strstr(o1, "version 2") != NULL,
	    "%s", o1);
	ck_assert_int_eq(left_syncd, 1);
	ck_assert_msg(s2 == 7, "rotate-keys with the web workers behind: "
	    "exit %d: %s", s2, o2);
	ck_assert_msg(strstr(o2, "klaviyo-connect-fcgi pid") != NULL &&
	    strstr(o2, "klaviyo-syncd") == NULL, "%s", o2);
	ck_assert_int_eq(left_all, 0);
	ck_assert_msg(s3 == 0 && strstr(o3, "under key version 2") != NULL,
	    "rotate-keys after the reloads: exit %d: %s", s3, o3);
	ck_assert_msg(s4 == 0, "rotate-keys --force: exit %d: %s", s4, o4);
	ck_assert_msg(strstr(o1, ZERO_KEY) == NULL && strstr(o2, mk + 2) ==
	    NULL, "key material printed");
	ck_assert_int_eq(sst, 0);
	free(o1);
	free(o2);
	free(o3);
	free(o4);
	free(restart);
}
END_TEST

Suite *
suite_heartbeat(void)
{
	Suite	*s = suite_create("heartbeat");
	TCase	*tc = tcase_create("heartbeat");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, heartbeat_status_lists_processes);
	tcase_add_test(tc, heartbeat_rotate_keys_waits_for_reload);
	suite_add_tcase(s, tc);
	return s;
}
