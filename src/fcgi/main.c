/*
 * klaviyo-connect-fcgi: the FastCGI master.  It binds the unix socket
 * nginx talks to, forks N single-threaded workers that accept on it,
 * replaces a worker that dies, and on SIGTERM lets every worker finish
 * its request in flight before exiting (DESIGN.md 1).
 */
#include "kc_autoconf.h"

#include <errno.h>
#include <fcgiapp.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "credential.h"
#include "db.h"
#include "hup.h"
#include "log.h"
#include "opstats.h"
#include "privs.h"
#include "schema.h"
#include "sdnotify.h"
#include "secretbox.h"
#include "sighup.h"
#include "wipe.h"
#include "worker.h"

#include <curl/curl.h>

#define MAX_WORKERS CONFIG_WORKERS_MAX
#define DRAIN_SECONDS 30
#define LISTEN_BACKLOG 1024

static volatile sig_atomic_t	stopping;
static pid_t			workers[MAX_WORKERS];
static time_t			started[MAX_WORKERS];

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: klaviyo-connect-fcgi [-h] [-V]\n"
	    "\n"
	    "FastCGI server of klaviyo-connect.  Binds KC_SOCKET, forks\n"
	    "KC_WORKERS workers (default two per core) and serves the JSON\n"
	    "API behind nginx.  All settings come from the environment;\n"
	    "see klaviyo-connect-fcgi(8).\n"
	    "\n"
	    "  -h, --help     show this help\n"
	    "  -V, --version  show the version\n");
}

static struct keyring keyring;

static pid_t
spawn(int fd, const struct kc_config *cfg, const char *origin)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	/* Child: die with the master, never outlive it. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		_exit(0);
	signal(SIGCHLD, SIG_DFL);
	/* exit(), not _exit(): LeakSanitizer checks workers too. */
	exit(worker_run(fd, cfg, origin, &keyring));
}

static int
slot_of(pid_t pid, long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (workers[i] == pid)
			return (int)i;
	return -1;
}

static void
drain(long n)
{
	struct timespec	 tick = { 0, 50 * 1000 * 1000 };
	long		 i, alive;
	int		 waited;
	pid_t		 pid;

	for (i = 0; i < n; i++)
		if (workers[i] > 0)
			kill(workers[i], SIGTERM);
	for (waited = 0; waited < DRAIN_SECONDS * 20; waited++) {
		while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
			if ((i = slot_of(pid, n)) >= 0)
				workers[i] = 0;
		for (alive = 0, i = 0; i < n; i++)
			alive += workers[i] > 0;
		if (alive == 0)
			return;
		nanosleep(&tick, NULL);
	}
	log_warnx("workers still busy after %d s, killing them",
	    DRAIN_SECONDS);
	for (i = 0; i < n; i++)
		if (workers[i] > 0)
			kill(workers[i], SIGKILL);
	while (waitpid(-1, NULL, 0) > 0)
		;
}

/*
 * A wrong master key must stop us at start, not at the first connect:
 * every stored key version must be listed and must decrypt.  A database
 * that is down now is not fatal (workers reconnect); it is checked later.
 */
static int
check_keys(const struct kc_config *cfg)
{
	struct db	*db = NULL;
	char		 err[256];
	int		 rc;

	if (db_open(cfg->database_url, "klaviyo-connect-fcgi", &db) != KC_OK)
		return KC_ERR_NOMEM;
	if (db_ensure(db) != KC_OK) {
		log_warnx("database unreachable at start; master keys not "
		    "checked against stored credentials");
		db_close(db);
		return KC_OK;
	}
	rc = credential_check_keyring(db, &keyring, err, sizeof(err));
	db_close(db);
	if (rc == KC_ERR_CONFIG) {
		fprintf(stderr, "klaviyo-connect-fcgi: %s\n", err);
		return rc;
	}
	if (rc != KC_OK)
		log_warnx("master keys not checked: %s", err);
	return KC_OK;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct kc_config	 cfg;
	struct sigaction	 sa;
	enum log_level		 lvl;
	char			 err[256], origin[512];
	long			 n, i;
	int			 fd, ch, status, slot;
	pid_t			 pid;
	struct timespec		 pause = { 1, 0 };

	while ((ch = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("klaviyo-connect-fcgi %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (privs_refuse_root("klaviyo-connect-fcgi"))
		return KC_EXIT_ROOT;
	/* Keys live here: no core dump, no /proc/PID/mem for the user. */
	if (privs_no_dump() != 0 || wipe_ssl_init() != KC_OK)
		fprintf(stderr, "klaviyo-connect-fcgi: warning: cannot make "
		    "the process non-dumpable, or OpenSSL wipe what it "
		    "frees\n");
	if (config_load(&cfg, err, sizeof(err)) != KC_OK ||
	    config_origin(cfg.app_url, origin, sizeof(origin)) != KC_OK) {
		fprintf(stderr, "klaviyo-connect-fcgi: %s\n", err);
		return 1;
	}
	(void)log_level_parse(cfg.log_level, &lvl);
	log_init("fcgi", lvl);
	db_set_transaction_pooling((int)cfg.db_transaction_pooling);
	sighup_install(0);
	if (keyring_parse(cfg.master_keys, &keyring, err, sizeof(err)) !=
	    KC_OK) {
		fprintf(stderr, "klaviyo-connect-fcgi: %s\n", err);
		return 1;
	}
	if (check_keys(&cfg) != KC_OK)
		return 1;
	if (schema_check_url(cfg.database_url, "klaviyo-connect-fcgi") !=
	    KC_OK)
		return KC_EXIT_SCHEMA;
	if (wipe_curl_global_init() != KC_OK) {
		log_error("libcurl initialisation failed");
		return 1;
	}
	n = config_worker_count(&cfg);

	/* Before the fork: every worker counts into the same region. */
	if (opstats_init() != KC_OK) {
		log_error("cannot map the metrics counters");
		return 1;
	}
	if (FCGX_Init() != 0) {
		log_error("FastCGI initialisation failed");
		return 1;
	}
	/* A socket left by a killed master would make bind() fail. */
	if (unlink(cfg.socket_path) == -1 && errno != ENOENT) {
		log_warn("cannot remove old socket %s", cfg.socket_path);
		return 1;
	}
	if ((fd = FCGX_OpenSocket(cfg.socket_path, LISTEN_BACKLOG)) < 0) {
		log_warn("cannot listen on %s", cfg.socket_path);
		return 1;
	}
	if (chmod(cfg.socket_path, (mode_t)cfg.socket_mode) == -1) {
		log_warn("chmod %s", cfg.socket_path);
		return 1;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	for (i = 0; i < n; i++) {
		if ((workers[i] = spawn(fd, &cfg, origin)) < 0) {
			log_warn("fork");
			workers[i] = 0;
		}
		started[i] = time(NULL);
	}
	log_info("listening on %s with %ld workers", cfg.socket_path, n);
	(void)sdnotify("READY=1");

	while (!stopping) {
		pid = waitpid(-1, &status, 0);
		if (pid < 0) {
			if (errno != EINTR && errno != ECHILD)
				log_warn("waitpid");
			if (errno == ECHILD)
				nanosleep(&pause, NULL);
		} else if ((slot = slot_of(pid, n)) >= 0) {
			if (WIFSIGNALED(status))
				log_error("worker %d killed by signal %d, "
				    "replacing it", (int)pid,
				    WTERMSIG(status));
			else
				log_warnx("worker %d exited with %d, "
				    "replacing it", (int)pid,
				    WEXITSTATUS(status));
			workers[slot] = 0;
		}
		if (stopping)
			break;
		if (sighup_take())
			master_hup(&cfg, &keyring, workers, n);
		/* Refill empty slots; a worker dying at once is throttled. */
		for (i = 0; i < n; i++) {
			if (workers[i] > 0)
				continue;
			if (time(NULL) - started[i] < 1)
				nanosleep(&pause, NULL);
			if ((workers[i] = spawn(fd, &cfg, origin)) < 0) {
				log_warn("fork");
				workers[i] = 0;
			}
			started[i] = time(NULL);
		}
	}
	log_info("draining %ld workers", n);
	drain(n);
	close(fd);
	unlink(cfg.socket_path);
	keyring_wipe(&keyring);
	curl_global_cleanup();
	log_info("stopped");
	return 0;
}
