/*
 * klaviyo-syncd: delivers report triggers (the outbox), claims and runs
 * sync jobs, and once a minute enqueues the incremental syncs that are
 * due (DESIGN.md 6).  Any number of instances may run on any number of
 * hosts: all coordination is in PostgreSQL (SKIP LOCKED, leases, the
 * shared rate limiter).  SIGTERM finishes or releases the current job.
 */
#include "kc_autoconf.h"

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "credential.h"
#include "db.h"
#include "heartbeat.h"
#include "jobq.h"
#include "klaviyo.h"
#include "ksync.h"
#include "log.h"
#include "metrics_file.h"
#include "oauth.h"
#include "oauth_flow.h"
#include "opstats.h"
#include "outbox.h"
#include "pool.h"
#include "privs.h"
#include "prune.h"
#include "reload.h"
#include "schema.h"
#include "sdnotify.h"
#include "secretbox.h"
#include "sighup.h"
#include "wipe.h"
#include "sync.h"
#include "webhook_inbox.h"
#include "webhook_klaviyo.h"

/* A job's stack: sanitizers' redzones make frames larger. */
#ifdef KC_SANITIZERS
#define SYNC_STACK_SIZE (1024 * 1024)
#else
#define SYNC_STACK_SIZE (256 * 1024)
#endif
#define SYNC_CHECK_MS 500	/* cancellations are seen within this */
/* Klaviyo requests at once: answers waiting for their job stay few. */
#define SYNC_INFLIGHT 64

static volatile sig_atomic_t stopping;

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
	    "usage: klaviyo-syncd [-h] [-V] [--once] [--no-jobs]\n"
	    "\n"
	    "Sync daemon of klaviyo-connect: delivers report triggers, runs\n"
	    "sync jobs and schedules incremental syncs.  Settings come from\n"
	    "the environment; see klaviyo-syncd(8).\n"
	    "\n"
	    "  --once         work until nothing is due, then exit\n"
	    "  --no-jobs      deliver triggers and schedule, run no job\n"
	    "  -h, --help     show this help\n"
	    "  -V, --version  show the version\n");
}

static void
nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	/* SIGTERM interrupts the sleep (no SA_RESTART). */
	nanosleep(&ts, NULL);
}

/* What housekeeping works with besides the database. */
struct house {
	const struct keyring		*kr;
	const struct oauth_client	*oauth;
	const struct outbox_opts	*oo;
	struct kv_client		*kv;	/* webhooks: its own client */
	struct webhook_opts		 wo;
	struct webhook_inbox_opts	 wi;
	int				 backlog;	/* the inbox had more */
	unsigned long			 listening;	/* db_epoch, 0: no */
};

/* Deliveries from the inbox, a bounded number a turn. */
#define INBOX_TURN 50

static int
inbox_turn(struct db *db, struct house *h)
{
	int n = 0;

	if (webhook_inbox_run(db, &h->wi, INBOX_TURN, &n) != KC_OK)
		n = 0;
	h->backlog = n == INBOX_TURN;
	return n;
}

/*
 * LISTEN for stored deliveries, again after a reconnect; not through
 * PgBouncer's transaction pooling (then the poll interval it is).
 */
static void
listen_inbox(struct db *db, struct house *h)
{
	if (db_transaction_pooling() || (h->listening &&
	    h->listening == db_epoch(db)))
		return;
	h->listening = db_listen(db, WEBHOOK_CHANNEL) == KC_OK ?
	    db_epoch(db) : 0;
	/* What came in while nobody listened is in the inbox already. */
	h->backlog = 1;
}

/*
 * Between the jobs: report triggers, webhook deliveries and
 * registrations, the incremental schedule and abandoned OAuth attempts.
 * Returns what it did (triggers delivered, deliveries applied).
 */
static int
housekeeping(struct db *db, struct house *h,
    const struct kc_config *cfg, time_t *last_schedule, time_t *last_reap)
{
	const struct keyring		*kr = h->kr;
	const struct oauth_client	*oauth = h->oauth;
	struct webhook_opts		 wo = h->wo;
	int				 n, worked = 0;

	wo.app_url = cfg->app_url;	/* as reloaded */

	if (outbox_run(db, h->oo, 20, &n) == KC_OK)
		worked += n;
	/* Orders from webhooks: at once when woken, else within a poll. */
	worked += inbox_turn(db, h);
	/* A few a turn: their Klaviyo calls hold up the jobs meanwhile. */
	if (webhook_reconcile_run(db, h->kv, kr, oauth, &wo, 2, &n) ==
	    KC_OK && n)
		worked += n;
	if (cfg->sync_schedule_seconds > 0 &&
	    time(NULL) - *last_schedule >= cfg->sync_schedule_seconds &&
	    ksync_schedule(db, &n) == KC_OK) {
		*last_schedule = time(NULL);
		if (n)
			log_info("scheduled %d incremental syncs", n);
	}
	/* Retention: old rows go, once a day across all instances. */
	prune_tick(db, cfg);
	/* Abandoned OAuth attempts: revoke and forget. */
	if (time(NULL) - *last_reap >= OAUTH_REAP_SECONDS &&
	    oauth_flow_reap(db, kr, oauth, &n) == KC_OK) {
		*last_reap = time(NULL);
		if (n)
			log_info("removed %d unfinished OAuth connections", n);
	}
	return worked;
}

/*
 * The heartbeat row (heartbeat.h) with the jobs running now, and the
 * metrics file (SYNCD_METRICS_FILE) on the same cadence.
 */
static void
beat(struct heartbeat *hb, struct db *db, const struct keyring *kr,
    const struct pool *pool, const struct kc_config *cfg)
{
	static int	failed;
	long long	ids[64];
	size_t		n;
	int		rc;

	n = pool ? pool_job_ids(pool, ids, nitems(ids)) : 0;
	(void)heartbeat_beat(hb, db, kr, ids, n);
	if (*cfg->syncd_metrics_file == '\0')
		return;
	rc = metrics_file_write(cfg->syncd_metrics_file, db,
	    (size_t)cfg->sync_concurrency, pool ? pool_active(pool) : 0);
	/* Said once, not every 15 s. */
	if (rc != KC_OK && !failed)
		log_warnx("cannot write SYNCD_METRICS_FILE %s: %s",
		    cfg->syncd_metrics_file, kc_strerror(rc));
	failed = rc != KC_OK;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "once", no_argument, NULL, 'o' },
		{ "no-jobs", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct kc_config	 cfg;
	struct keyring		 kr;
	struct db		*db = NULL;
	struct kv_client	*kv = NULL, *kvw = NULL;
	struct kv_options	 kvo;
	struct house		 house;
	struct outbox_opts	 oo;
	struct sync_opts	 so;
	struct pool_opts	 po;
	struct pool		*pool = NULL;
	struct heartbeat	 hb;
	struct oauth_client	 oc, *oauth = NULL;
	struct sigaction	 sa;
	enum log_level		 lvl;
	char			 err[256], owner[128], host[64];
	time_t			 last_schedule = 0, last_reap = 0;
	int64_t			 last_house = 0;
	int			 ch, once = 0, no_jobs = 0, worked;
	int			 status = 0;

	while ((ch = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("klaviyo-syncd %s\n", PACKAGE_VERSION);
			return 0;
		case 'o':
			once = 1;
			break;
		case 'n':
			no_jobs = 1;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (privs_refuse_root("klaviyo-syncd"))
		return KC_EXIT_ROOT;
	/* Keys live here: no core dump, no /proc/PID/mem for the user. */
	if (privs_no_dump() != 0 || wipe_ssl_init() != KC_OK)
		fprintf(stderr, "klaviyo-syncd: warning: cannot make the "
		    "process non-dumpable, or OpenSSL wipe what it "
		    "frees\n");
	if (config_load(&cfg, err, sizeof(err)) != KC_OK) {
		fprintf(stderr, "klaviyo-syncd: %s\n", err);
		return 1;
	}
	if (keyring_parse(cfg.master_keys, &kr, err, sizeof(err)) != KC_OK) {
		fprintf(stderr, "klaviyo-syncd: %s\n", err);
		return 1;
	}
	(void)log_level_parse(cfg.log_level, &lvl);
	log_init("syncd", lvl);
	db_set_transaction_pooling((int)cfg.db_transaction_pooling);
	sighup_install(0);
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "host");
	host[sizeof(host) - 1] = '\0';
	snprintf(owner, sizeof(owner), "%s:%ld", host, (long)getpid());

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (opstats_init() != KC_OK ||
	    wipe_curl_global_init() != KC_OK ||
	    db_open(cfg.database_url, "klaviyo-syncd", &db) != KC_OK) {
		log_error("initialisation failed");
		keyring_wipe(&kr);
		return 1;
	}
	if (db_ensure(db) == KC_OK &&
	    credential_check_keyring(db, &kr, err, sizeof(err)) ==
	    KC_ERR_CONFIG) {
		fprintf(stderr, "klaviyo-syncd: %s\n", err);
		status = 1;
		goto out;
	}
	if (schema_check_start(db, "klaviyo-syncd") != KC_OK) {
		status = KC_EXIT_SCHEMA;
		goto out;
	}
	kvo.base_url = cfg.klaviyo_base_url;
	kvo.revision = cfg.klaviyo_revision;
	kvo.connect_timeout_ms = cfg.klaviyo_connect_timeout_ms;
	kvo.timeout_ms = cfg.klaviyo_timeout_ms;
	kvo.max_retries = (int)cfg.klaviyo_max_retries;
	kvo.max_wait_ms = cfg.sync_max_wait_ms;
	kvo.max_inflight = SYNC_INFLIGHT;
	kvo.window_scale = (double)cfg.klaviyo_rate_scale;
	if (kv_client_new(&kvo, db, &kv) != KC_OK ||
	    kv_client_new(&kvo, db, &kvw) != KC_OK) {
		status = 1;
		goto out;
	}
	oo.report_server = cfg.report_server;
	oo.report_server_key = cfg.report_server_key;
	oo.timeout_ms = cfg.report_server_timeout_ms;
	oo.retry_base_ms = cfg.report_retry_base_ms;
	oo.retry_max_ms = cfg.report_retry_max_ms;
	so.lease_seconds = (int)cfg.sync_lease_seconds;
	so.lookback_days = (int)cfg.sync_lookback_days;
	so.history_days = (int)cfg.sync_history_days;
	so.rate_scale = (double)cfg.klaviyo_rate_scale;
	if (oauth_client_init(&cfg, &oc) == KC_OK)
		oauth = &oc;
	memset(&house, 0, sizeof(house));
	house.kr = &kr;
	house.oauth = oauth;
	house.oo = &oo;
	house.kv = kvw;
	house.wo.timeout_ms = cfg.klaviyo_timeout_ms < 10000 ?
	    cfg.klaviyo_timeout_ms : 10000;
	house.wi.debounce_s = cfg.webhook_sync_debounce_seconds;
	house.wi.delay_s = cfg.webhook_sync_delay_seconds;
	po.concurrency = (size_t)cfg.sync_concurrency;
	po.stack_size = SYNC_STACK_SIZE;
	po.check_ms = SYNC_CHECK_MS;
	po.claim_ms = cfg.sync_poll_ms;
	po.sync = &so;
	po.owner = owner;
	po.stopping = &stopping;
	if (pool_new(db, kv, &kr, oauth, &po, &pool) != KC_OK) {
		status = 1;
		goto out;
	}
	log_info("started as %s (%s report server, up to %zu jobs at once)",
	    owner, *cfg.report_server ? "external" : "built-in",
	    po.concurrency);
	(void)sdnotify("READY=1");
	heartbeat_init(&hb, "klaviyo-syncd");

	for (;;) {
		/* Between turns: no job is inside the keyring now. */
		if (sighup_take()) {
			(void)reload_apply(&cfg, &kr, db);
			hb.last_ms = 0;	/* the keys it holds, shown at once */
		}
		if (heartbeat_due(&hb, kc_now_ms()))
			beat(&hb, db, &kr, pool, &cfg);
		worked = 0;
		if (!stopping && kc_now_ms() - last_house >= cfg.sync_poll_ms) {
			worked += housekeeping(db, &house, &cfg,
			    &last_schedule, &last_reap);
			last_house = kc_now_ms();
		} else if (!stopping && house.backlog)
			worked += inbox_turn(db, &house);
		pool_turn(pool, !no_jobs && !stopping, &worked);
		if (pool_active(pool) > 0) {
			if (!worked)
				pool_wait(pool, pool_timeout(pool,
				    cfg.sync_poll_ms));
			continue;
		}
		if (stopping || (once && !worked))
			break;
		if (!worked) {
			/* Idle: the last job's pages are freed; give back. */
			malloc_trim(0);
			listen_inbox(db, &house);
			/* A delivery stored meanwhile ends the sleep. */
			if (house.listening)
				house.backlog = db_wait_notify(db,
				    cfg.sync_poll_ms) > 0;
			else
				nap(cfg.sync_poll_ms);
		}
	}
	heartbeat_forget(&hb, db);
	/* The final counters (a --once run's whole work). */
	if (*cfg.syncd_metrics_file != '\0' && metrics_file_write(
	    cfg.syncd_metrics_file, db, (size_t)cfg.sync_concurrency, 0) !=
	    KC_OK)
		log_warnx("cannot write SYNCD_METRICS_FILE %s",
		    cfg.syncd_metrics_file);
	log_info("stopped");
out:
	pool_free(pool);
	kv_client_free(kvw);
	kv_client_free(kv);
	db_close(db);
	keyring_wipe(&kr);
	curl_global_cleanup();
	return status;
}
