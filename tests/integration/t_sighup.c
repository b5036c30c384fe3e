/*
 * SIGHUP reloads and never kills (reload.h): the FastCGI master run.sh
 * started (its pid file) passes the signal to its workers, nobody exits
 * or is replaced, requests keep being answered and every process logs
 * one reload line; a klaviyo-syncd started here keeps running, picks up
 * a new LOG_LEVEL_FILE and a rotated KC_MASTER_KEYS_FILE, and refuses a
 * broken one while keeping its keys.
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

/* Occurrences of needle in path after its first off bytes. */
static int
count_after(const char *path, size_t off, const char *needle)
{
	char		*s = it_read_file(path);
	const char	*p;
	int		 n = 0;

	if (strlen(s) >= off)
		for (p = s + off; (p = strstr(p, needle)) != NULL; p++)
			n++;
	free(s);
	return n;
}

static size_t
size_of(const char *path)
{
	char	*s = it_read_file(path);
	size_t	 n = strlen(s);

	free(s);
	return n;
}

/* Waits up to secs for at least want occurrences; returns the count. */
static int
wait_count(const char *path, size_t off, const char *needle, int want,
    int secs)
{
	int i, n = 0;

	for (i = 0; i < secs * 20; i++) {
		if ((n = count_after(path, off, needle)) >= want)
			break;
		it_pause_ms(50);
	}
	return n;
}

static void
write_file(const char *path, const char *s)
{
	FILE *fp;

	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	ck_assert_int_ge(fputs(s, fp), 0);
	ck_assert_int_eq(fclose(fp), 0);
}

START_TEST(sighup_fcgi_reloads_and_keeps_serving)
{
	char		 log[512], comm[64], *s, *p, *q;
	const char	*st = getenv("KC_TEST_STATE");
	struct it_resp	 r;
	size_t		 off;
	pid_t		 pid;
	long		 workers = 0;
	int		 i, n;

	ck_assert_ptr_nonnull(st);
	snprintf(log, sizeof(log), "%s/log/fcgi.log", st);
	s = it_read_file(getenv("KC_TEST_FCGI_PIDFILE"));
	pid = (pid_t)strtol(s, NULL, 10);
	free(s);
	ck_assert_int_gt(pid, 1);
	snprintf(comm, sizeof(comm), "/proc/%d/comm", (int)pid);
	s = it_read_file(comm);
	ck_assert_msg(strncmp(s, "klaviyo-connect", 15) == 0,
	    "pid %d is %s, not the FastCGI master", (int)pid, s);
	free(s);
	/* How many workers the running master has (its last start line). */
	s = it_read_file(log);
	for (p = s; (p = strstr(p, "listening on ")) != NULL; p++)
		if ((q = strstr(p, " with ")) != NULL)
			workers = strtol(q + 6, NULL, 10);
	free(s);
	ck_assert_int_gt(workers, 0);

	off = size_of(log);
	ck_assert_int_eq(kill(pid, SIGHUP), 0);
	for (i = 0; i < 20; i++) {
		it_get("/api/health", NULL, &r);
		ck_assert_int_eq(r.status, 200);
		it_resp_free(&r);
	}
	/* The master and each worker: one line each. */
	n = wait_count(log, off, "reloaded: log level info", (int)workers + 1,
	    10);
	ck_assert_msg(n == workers + 1, "%d reload lines for %ld workers", n,
	    workers);
	/* A second one works as well: the handler stays. */
	ck_assert_int_eq(kill(pid, SIGHUP), 0);
	n = wait_count(log, off, "reloaded: log level info",
	    2 * ((int)workers + 1), 10);
	ck_assert_int_eq(n, 2 * (workers + 1));
	it_get("/api/health", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	it_resp_free(&r);
	ck_assert_int_eq(kill(pid, 0), 0);
	ck_assert_int_eq(count_after(log, off, "replacing it"), 0);
	ck_assert_int_eq(count_after(log, off, "reload refused"), 0);
}
END_TEST

/* The master's pid, from run.sh's pid file. */
static pid_t
fcgi_master(void)
{
	char	*s = it_read_file(getenv("KC_TEST_FCGI_PIDFILE"));
	pid_t	 pid = (pid_t)strtol(s, NULL, 10);

	free(s);
	ck_assert_int_gt(pid, 1);
	return pid;
}

/* A Test of the key in the background, through a slow Klaviyo. */
static void
slow_test_start(struct it_bg *bg, const char *path, const char *tok)
{
	struct it_req q;

	q.method = "POST";
	q.path = path;
	q.token = tok;
	q.body = "{\"apiKey\":\"" IT_KEY_ACME "\",\"action\":\"test\"}";
	q.header = NULL;
	it_bg_start(bg, &q);
	/* Well inside the first slow call to Klaviyo. */
	it_pause_ms(300);
}

static void
assert_tested(struct it_bg *bg, const char *what)
{
	struct it_resp r;

	it_bg_wait(bg, &r);
	ck_assert_msg(r.status == 200 && it_jbool(r.json, "success") == 1,
	    "%s: %ld %s", what, r.status, r.body);
	/* It was still waiting for Klaviyo when the signal came. */
	ck_assert_msg(r.secs >= 0.7, "%s: answered in %.3f s", what, r.secs);
	it_resp_free(&r);
}

/*
 * No signal is blocked around a request (a flag is set and every call
 * is restarted): a worker asked to reload, or to stop, while it waits
 * for Klaviyo finishes the request first, and a stopped worker is
 * replaced by the master.
 */
START_TEST(signals_in_the_middle_of_a_request)
{
	struct it_bg	 bg;
	struct it_resp	 r;
	char		 log[512], store[32], tok[64], path[256];
	const char	*st = getenv("KC_TEST_STATE");
	pid_t		 master = fcgi_master();
	size_t		 off;
	int		 i, n;

	ck_assert_ptr_nonnull(st);
	snprintf(log, sizeof(log), "%s/log/fcgi.log", st);
	it_klaviyo_cold();
	it_store("Signals", store, sizeof(store));
	it_member("owner", store, tok, sizeof(tok));
	snprintf(path, sizeof(path), "%s", it_connect_path(store));
	it_sbx_fault("{\"fault\":\"latency\",\"ms\":700,\"path\":"
	    "\"/api/metrics\",\"key\":\"" IT_KEY_ACME "\"}");

	/* Two reloads while the request waits for Klaviyo. */
	slow_test_start(&bg, path, tok);
	ck_assert_int_eq(kill(master, SIGHUP), 0);
	it_pause_ms(100);
	ck_assert_int_eq(kill(master, SIGHUP), 0);
	assert_tested(&bg, "reloaded in the middle");

	/* Every worker told to stop while one waits for Klaviyo. */
	off = size_of(log);
	slow_test_start(&bg, path, tok);
	ck_assert_int_eq(it_system("pkill -TERM -P %d", (int)master), 0);
	assert_tested(&bg, "stopped in the middle");
	for (i = 0, n = 0; i < 100 && n == 0; i++) {
		it_get("/api/health", NULL, &r);
		n = r.status == 200;
		it_resp_free(&r);
		if (n == 0)
			it_pause_ms(100);
	}
	ck_assert_msg(n == 1, "no worker answers after the stop");
	ck_assert_int_ge(wait_count(log, off, "exited with 0, replacing it",
	    1, 10), 1);
	ck_assert_int_eq(count_after(log, off, "killed by signal"), 0);
	ck_assert_int_eq(kill(master, 0), 0);
}
END_TEST

START_TEST(sighup_syncd_reloads_keys_and_level)
{
	char		 log[512], keys[512], level[512], spec[256];
	const char	*st = getenv("KC_TEST_STATE");
	const char	*mk = getenv("KC_MASTER_KEYS");
	const char	*bin = getenv("KC_TEST_SYNCD");
	pid_t		 pid;
	int		 status;

	ck_assert_ptr_nonnull(st);
	ck_assert_ptr_nonnull(mk);
	ck_assert_msg(strncmp(mk, "1:", 2) == 0, "run.sh's keys changed");
	snprintf(log, sizeof(log), "%s/log/syncd-hup.log", st);
	snprintf(keys, sizeof(keys), "%s/run/hup-keys", st);
	snprintf(level, sizeof(level), "%s/run/hup-level", st);
	snprintf(spec, sizeof(spec), "%s\n", mk);
	write_file(keys, spec);
	write_file(level, "info\n");
	/* The service user reads them (it_system: run.sh may run as root). */
	ck_assert_int_eq(it_system("chmod 0644 '%s' '%s'", keys, level), 0);

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (freopen(log, "a", stderr) == NULL)
			_exit(126);
		unsetenv("KC_MASTER_KEYS");
		unsetenv("LOG_LEVEL");
		setenv("KC_MASTER_KEYS_FILE", keys, 1);
		setenv("LOG_LEVEL_FILE", level, 1);
		setenv("SYNC_SCHEDULE_SECONDS", "0", 1);
		execl(bin, bin, "--no-jobs", (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(wait_count(log, 0, "started as", 1, 20), 1);

	/* Rotation: a version 2 in front, debug logging. */
	snprintf(spec, sizeof(spec), "2:%s,%s\n", ZERO_KEY, mk);
	write_file(keys, spec);
	write_file(level, "debug\n");
	ck_assert_int_eq(kill(pid, SIGHUP), 0);
	ck_assert_int_eq(wait_count(log, 0, "reloaded: log level debug, 2 "
	    "master keys (newest version 2)", 1, 10), 1);

	/* A broken keys file: refused, the running keys kept. */
	write_file(keys, "not-a-key\n");
	ck_assert_int_eq(kill(pid, SIGHUP), 0);
	ck_assert_int_eq(wait_count(log, 0, "reload refused", 1, 10), 1);
	/* Keys without the stored version 1 would not open what is stored. */
	snprintf(spec, sizeof(spec), "2:%s\n", ZERO_KEY);
	write_file(keys, spec);
	ck_assert_int_eq(kill(pid, SIGHUP), 0);
	/* Refused when a credential is stored under version 1. */
	ck_assert_msg(wait_count(log, 0, "reload", 3, 10) == 3,
	    "no reload line after the third SIGHUP");

	ck_assert_int_eq(waitpid(pid, &status, WNOHANG), 0);
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "klaviyo-syncd ended with status %d", status);
	ck_assert_int_eq(count_after(log, 0, "stopped"), 1);
}
END_TEST

Suite *
suite_sighup(void)
{
	Suite	*s = suite_create("sighup");
	TCase	*tc = tcase_create("reload");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, sighup_fcgi_reloads_and_keeps_serving);
	tcase_add_test(tc, signals_in_the_middle_of_a_request);
	tcase_add_test(tc, sighup_syncd_reloads_keys_and_level);
	suite_add_tcase(s, tc);
	return s;
}
