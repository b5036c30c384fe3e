/*
 * Secrets only where they are needed (issue 14): the sandbox and nginx
 * get no master key, OAuth client secret or report key, in their
 * environment or on their command line; and a key used by requests and
 * by a sync is not left in the memory of the FastCGI workers or of
 * klaviyo-syncd once they are done with it (read as root through
 * /proc/PID/mem, which also reads the non-dumpable services).
 */
#include "itest.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A key no other suite connects with (its metric: Shopify Placed Order). */
#define SCAN_KEY	IT_KEY_LISTS
#define SCAN_METRIC	"GOdodE"

static void
setup(void)
{
	it_klaviyo_cold();
}

static const char *
state_path(const char *rel)
{
	static char	 p[512];
	const char	*st = getenv("KC_TEST_STATE");

	ck_assert_ptr_nonnull(st);
	snprintf(p, sizeof(p), "%s/%s", st, rel);
	return p;
}

/* The secret values of the test's environment (run.sh set them). */
static size_t
secrets(const char **out, size_t max)
{
	static const char *const names[] = { "KC_MASTER_KEYS",
	    "KLAVIYO_CLIENT_SECRET", "REPORT_SERVER_KEY" };
	const char	*v;
	size_t		 i, n = 0;

	for (i = 0; i < sizeof(names) / sizeof(names[0]) && n < max; i++) {
		v = getenv(names[i]);
		ck_assert_msg(v != NULL && strlen(v) >= 8, "%s is not set",
		    names[i]);
		/* KC_MASTER_KEYS: its base64 part is the secret. */
		out[n++] = strchr(v, ':') ? strchr(v, ':') + 1 : v;
	}
	return n;
}

/* Whether /proc/PID/WHAT holds any of the secrets. */
static const char *
holds_secret(long pid, const char *what, const char **sec, size_t nsec)
{
	char	*buf;
	size_t	 len, i;

	buf = it_proc_read(pid, what, &len);
	for (i = 0; i < nsec; i++)
		if (memmem(buf, len, sec[i], strlen(sec[i])) != NULL)
			break;
	free(buf);
	return i < nsec ? sec[i] : NULL;
}

START_TEST(secrets_sandbox_and_nginx_get_none)
{
	const char	*sec[4], *hit;
	long		 pids[40], fcgi;
	char		*cmd;
	size_t		 n, nsec, i, len;

	if (geteuid() != 0) {
		/* Another user's environ needs root (CI runs as root). */
		fprintf(stderr, "secrets_sandbox_and_nginx_get_none: not root,"
		    " skipped\n");
		return;
	}
	nsec = secrets(sec, 4);
	pids[0] = it_proc_pidfile(state_path("run/sandbox.pid"));
	pids[1] = it_proc_pidfile(state_path("nginx/nginx.pid"));
	n = 2 + it_proc_children(pids[1], pids + 2, 38);
	ck_assert_msg(n >= 3, "no nginx worker found");
	for (i = 0; i < n; i++) {
		hit = holds_secret(pids[i], "environ", sec, nsec);
		ck_assert_msg(hit == NULL, "process %ld (%s) has a secret in "
		    "its environment", pids[i], i == 0 ? "sandbox" : "nginx");
		hit = holds_secret(pids[i], "cmdline", sec, nsec);
		ck_assert_msg(hit == NULL, "process %ld (%s) has a secret on "
		    "its command line", pids[i], i == 0 ? "sandbox" : "nginx");
	}
	/* The sandbox read its OAuth client from a file. */
	cmd = it_proc_read(pids[0], "cmdline", &len);
	ck_assert_msg(memmem(cmd, len, "--oauth-client-file", 19) != NULL,
	    "sandbox command line without --oauth-client-file");
	free(cmd);
	/* The control: the FastCGI service does get them. */
	fcgi = it_proc_pidfile(getenv("KC_TEST_FCGI_PIDFILE"));
	ck_assert_msg(holds_secret(fcgi, "environ", sec, 1) != NULL,
	    "the FastCGI master has no KC_MASTER_KEYS: is this the right "
	    "process?");
}
END_TEST

/* Jobs of the store: all of them, and those not finished. */
static long long
jobs(const char *store, int unfinished)
{
	const char *p[1] = { store };

	return it_sql_count(unfinished ? "SELECT count(*) FROM sync_jobs j"
	    " JOIN stores s ON s.id = j.store_id WHERE s.public_id = $1"
	    " AND j.state IN ('queued', 'running')" : "SELECT count(*)"
	    " FROM sync_jobs j JOIN stores s ON s.id = j.store_id"
	    " WHERE s.public_id = $1", 1, p);
}

/* klaviyo-syncd in the background for the store's sync. */
static pid_t
syncd_start(void)
{
	static const char *const env[] = { "SYNC_HISTORY_DAYS=30",
	    "SYNC_SCHEDULE_SECONDS=0", NULL };

	return it_syncd_spawn(env);
}

/* Copies of the key in process pid's memory, reported on stderr. */
static long
scan(long pid, const char *what)
{
	size_t	scanned;
	long	n;

	n = it_proc_mem_count(pid, SCAN_KEY, &scanned);
	fprintf(stderr, "memory scan: %s %ld: %ld cop%s of the key in %zu "
	    "MB\n", what, pid, n, n == 1 ? "y" : "ies", scanned >> 20);
	ck_assert_msg(scanned > 1024 * 1024, "%s %ld: nothing read", what,
	    pid);
	return n;
}

START_TEST(secrets_key_not_left_in_memory)
{
	struct it_resp	 r;
	char		 store[80], tok[64], path[160];
	long		 workers[32], total = 0;
	size_t		 nw, i;
	pid_t		 syncd;
	int		 k, st;

	if (geteuid() != 0) {
		fprintf(stderr, "secrets_key_not_left_in_memory: not root, "
		    "skipped\n");
		return;
	}
	it_store("Memory scan", store, sizeof(store));
	it_member("owner", store, tok, sizeof(tok));
	/* Several requests per worker that carry or load the key. */
	for (k = 0; k < 4; k++) {
		it_test_key(store, tok, SCAN_KEY, &r);
		it_assert_ok(&r);
		it_resp_free(&r);
		it_connect(store, tok, SCAN_KEY, SCAN_METRIC, &r);
		it_assert_ok(&r);
		it_resp_free(&r);
		snprintf(path, sizeof(path), "/api/klaviyo/test?apiKey=%s",
		    SCAN_KEY);
		it_get(path, tok, &r);
		ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
		it_resp_free(&r);
		PQclear(it_sql("DELETE FROM klaviyo_probe_cache", 0, NULL));
		it_connect(store, tok, NULL, SCAN_METRIC, &r);
		it_assert_ok(&r);
		it_resp_free(&r);
	}
	/* A sync with the stored key in klaviyo-syncd. */
	it_isolate(store);
	syncd = syncd_start();
	/* The daemon makes the connect's jobs, then runs them. */
	for (k = 0; k < 1200 && (jobs(store, 0) == 0 || jobs(store, 1) > 0);
	    k++)
		it_pause_ms(100);
	ck_assert_msg(jobs(store, 0) > 0 && jobs(store, 1) == 0,
	    "the sync did not finish");
	it_pause_ms(500);
	total += scan(syncd, "klaviyo-syncd");
	kill(syncd, SIGTERM);
	ck_assert_int_eq(waitpid(syncd, &st, 0), syncd);
	nw = it_proc_children(it_proc_pidfile(getenv("KC_TEST_FCGI_PIDFILE")),
	    workers, 32);
	ck_assert_msg(nw > 0, "no FastCGI worker found");
	for (i = 0; i < nw; i++)
		total += scan(workers[i], "fcgi worker");
	ck_assert_msg(total == 0, "%ld copies of the key left in memory",
	    total);
}
END_TEST

Suite *
suite_secrets_memory(void)
{
	Suite	*s = suite_create("secrets_memory");
	TCase	*tc = tcase_create("secrets_memory");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, secrets_sandbox_and_nginx_get_none);
	tcase_add_test(tc, secrets_key_not_left_in_memory);
	suite_add_tcase(s, tc);
	return s;
}
