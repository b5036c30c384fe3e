/*
 * Resilience: PostgreSQL stopped and started under running workers, and
 * a worker killed under the FastCGI master.
 */
#include "itest.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#define MAX_PIDS 64

static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void
comm_of(pid_t pid, char *out, size_t len)
{
	char	 path[64], *s;
	size_t	 n;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	s = it_read_file(path);
	n = strcspn(s, "\n");
	snprintf(out, len, "%.*s", (int)n, s);
	free(s);
}

/* Children of pid from /proc; returns how many (sorted ascending). */
static int
children(pid_t pid, pid_t *out, int max)
{
	char	 path[96], *s, *p, *end;
	long	 v;
	int	 n = 0, i, j;
	pid_t	 t;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid,
	    (int)pid);
	s = it_read_file(path);
	for (p = s; n < max; p = end) {
		v = strtol(p, &end, 10);
		if (end == p)
			break;
		out[n++] = (pid_t)v;
	}
	free(s);
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && out[j - 1] > out[j]; j--) {
			t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

/*
 * The FastCGI master: the pid in KC_TEST_FCGI_PIDFILE, or its child when
 * that pid is a wrapper (a shell, setpriv) rather than the program.
 */
static pid_t
master(void)
{
	const char	*f = getenv("KC_TEST_FCGI_PIDFILE");
	char		*s, comm[64];
	pid_t		 pid, kids[MAX_PIDS];
	int		 n, i, depth;

	ck_assert_ptr_nonnull(f);
	s = it_read_file(f);
	pid = (pid_t)strtol(s, NULL, 10);
	free(s);
	ck_assert_msg(pid > 1, "no pid in %s", f);
	for (depth = 0; depth < 3; depth++) {
		comm_of(pid, comm, sizeof(comm));
		if (strncmp(comm, "klaviyo-connect", 15) == 0)
			return pid;
		n = children(pid, kids, MAX_PIDS);
		for (i = 0; i < n; i++) {
			comm_of(kids[i], comm, sizeof(comm));
			if (strncmp(comm, "klaviyo-connect", 15) == 0)
				break;
		}
		ck_assert_msg(n > 0, "pid %d has no FastCGI master below it",
		    (int)pid);
		pid = kids[i < n ? i : 0];
	}
	ck_abort_msg("FastCGI master not found from %s", f);
	return 0;
}

static int
has_pid(const pid_t *set, int n, pid_t pid)
{
	int i;

	for (i = 0; i < n; i++)
		if (set[i] == pid)
			return 1;
	return 0;
}

static long
status_of(const char *path, const char *token)
{
	struct it_resp	r;
	long		s;

	it_get(path, token, &r);
	s = r.status;
	it_resp_free(&r);
	return s;
}

static void
pg(const char *what)
{
	ck_assert_msg(it_system("\"$KC_TEST_PGCTL\" %s >/dev/null 2>&1",
	    what) == 0, "pgctl %s failed", what);
}

/* Unchecked teardown: PostgreSQL must be up for whatever comes next. */
static void
pg_up(void)
{
	if (system("\"$KC_TEST_PGCTL\" start >/dev/null 2>&1") != 0)
		fprintf(stderr, "t_dbrestart: could not start PostgreSQL\n");
}

START_TEST(db_restart_workers_reconnect)
{
	struct it_resp	 r;
	pid_t		 m, before[MAX_PIDS], after[MAX_PIDS];
	char		 email[128], tok[64], id[24];
	const char	*p[1] = { id };
	int		 nb, na, i, up = 0;
	long long	 uid;

	uid = it_user("dbrestart", email, sizeof(email));
	it_token(uid, tok, sizeof(tok));
	ck_assert_int_eq(status_of("/api/me", tok), 200);
	m = master();
	nb = children(m, before, MAX_PIDS);
	ck_assert_int_eq(nb, 3);

	pg("stop");
	for (i = 0; i < 3; i++) {
		it_get("/api/health", NULL, &r);
		ck_assert_msg(r.status == 503, "health %ld %s", r.status,
		    r.body);
		ck_assert_str_eq(r.body, "{\"ok\":false,\"db\":false}");
		it_resp_free(&r);
	}
	it_get("/api/me", tok, &r);
	it_assert_error(&r, 503, "database_unavailable");
	it_resp_free(&r);

	pg("start");
	for (i = 0; i < 50 && !up; i++) {
		if (i > 0)
			pause_ms(100);
		up = status_of("/api/health", NULL) == 200 &&
		    status_of("/api/me", tok) == 200;
	}
	ck_assert_msg(up, "not serving 5 s after PostgreSQL came back");
	/* Past any reconnect back-off, every worker serves. */
	pause_ms(300);
	for (i = 0; i < 9; i++) {
		ck_assert_int_eq(status_of("/api/health", NULL), 200);
		ck_assert_int_eq(status_of("/api/me", tok), 200);
	}

	/* The same workers, no restart needed. */
	ck_assert_int_eq(master(), m);
	na = children(m, after, MAX_PIDS);
	ck_assert_int_eq(na, nb);
	for (i = 0; i < na; i++)
		ck_assert_msg(after[i] == before[i], "worker %d replaced by "
		    "%d", (int)before[i], (int)after[i]);

	/* This test's own connection died with the server too. */
	PQreset(it_db());
	ck_assert_int_eq(PQstatus(it_db()), CONNECTION_OK);
	snprintf(id, sizeof(id), "%lld", uid);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM sessions"
	    " WHERE user_id = $1", 1, p), 1);
}
END_TEST

/* 1 once pid has died (reaped, or a zombie waiting for its master). */
static int
gone(pid_t pid)
{
	char	 path[64], buf[256], *p;
	FILE	*fp;
	int	 dead;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 1;
	dead = fgets(buf, sizeof(buf), fp) != NULL &&
	    (p = strrchr(buf, ')')) != NULL && p[1] == ' ' && p[2] == 'Z';
	fclose(fp);
	return dead;
}

START_TEST(killed_worker_is_replaced)
{
	pid_t		 m, before[MAX_PIDS], now[MAX_PIDS], victim = 0;
	int		 nb, n = 0, i, j, fresh, done = 0;
	char		 email[128], tok[64];
	long long	 uid;

	uid = it_user("killworker", email, sizeof(email));
	it_token(uid, tok, sizeof(tok));
	m = master();
	nb = children(m, before, MAX_PIDS);
	ck_assert_int_eq(nb, 3);
	victim = before[1];
	ck_assert_int_eq(kill(victim, SIGKILL), 0);
	/*
	 * kill() returns before the worker is gone: until it is, it may
	 * still accept nginx's next connection and die with it (a 502).
	 */
	for (i = 0; i < 100 && gone(victim) == 0; i++)
		pause_ms(10);

	for (i = 0; i < 50 && !done; i++) {
		if (i > 0)
			pause_ms(100);
		/* The other workers keep serving meanwhile. */
		ck_assert_int_eq(status_of("/api/health", NULL), 200);
		n = children(m, now, MAX_PIDS);
		for (fresh = 0, j = 0; j < n; j++)
			fresh += !has_pid(before, nb, now[j]);
		done = n == 3 && !has_pid(now, n, victim) && fresh == 1;
	}
	ck_assert_msg(done, "worker %d not replaced after 5 s (%d workers)",
	    (int)victim, n);
	ck_assert_int_eq(master(), m);
	for (i = 0; i < 9; i++) {
		ck_assert_int_eq(status_of("/api/health", NULL), 200);
		ck_assert_int_eq(status_of("/api/me", tok), 200);
	}
}
END_TEST

/* "2026-11-25T16:52:08.862Z WARN fcgi <request id> <message>" */
static int
log_line_ok(const char *l, size_t n)
{
	static const char	 shape[] = "dddd-dd-ddTdd:dd:dd.dddZ ";
	size_t			 i;

	if (n < sizeof(shape) - 1)
		return 0;
	for (i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? !(l[i] >= '0' && l[i] <= '9') :
		    l[i] != shape[i])
			return 0;
	l += i;
	n -= i;
	return (n > 5 && strncmp(l, "INFO ", 5) == 0) ||
	    (n > 5 && strncmp(l, "WARN ", 5) == 0) ||
	    (n > 6 && strncmp(l, "ERROR ", 6) == 0) ||
	    (n > 6 && strncmp(l, "DEBUG ", 6) == 0);
}

/*
 * After the outage above wrote its warnings: one entry per line, so a
 * log reader (or an attacker's input) cannot make or split entries.
 */
START_TEST(service_log_one_entry_per_line)
{
	char		 path[1024], *s, *l, *e;
	const char	*state = getenv("KC_TEST_STATE");
	int		 lines = 0, warns = 0;

	ck_assert_ptr_nonnull(state);
	snprintf(path, sizeof(path), "%s/log/fcgi.log", state);
	s = it_read_file(path);
	for (l = s; *l; l = *e ? e + 1 : e) {
		e = strchr(l, '\n');
		if (e == NULL)
			e = l + strlen(l);
		lines++;
		warns += strstr(l, " WARN ") != NULL && strstr(l, " WARN ") < e;
		ck_assert_msg(log_line_ok(l, (size_t)(e - l)),
		    "%s line %d is not a log entry: '%.*s'", path, lines,
		    (int)(e - l), l);
	}
	ck_assert_int_gt(lines, 10);
	ck_assert_int_gt(warns, 0);
	free(s);
}
END_TEST

/* For other suites: the FastCGI master and its workers (t_slow_klaviyo.c). */
pid_t
it_fcgi_master(void)
{
	return master();
}

int
it_fcgi_workers(pid_t m, pid_t *out, int max)
{
	return children(m, out, max);
}

Suite *
suite_dbrestart(void)
{
	Suite	*s = suite_create("dbrestart");
	TCase	*tc;

	tc = tcase_create("dbrestart");
	tcase_add_unchecked_fixture(tc, NULL, pg_up);
	tcase_add_test(tc, db_restart_workers_reconnect);
	tcase_add_test(tc, service_log_one_entry_per_line);
	suite_add_tcase(s, tc);
	tc = tcase_create("workers");
	tcase_add_test(tc, killed_worker_is_replaced);
	suite_add_tcase(s, tc);
	return s;
}
