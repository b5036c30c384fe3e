/* The environment variables every program reads; see config.h. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "log.h"
#include "password.h"
#include "valfile.h"

/* configure --with-rundir: the nginx snippet and the units use it too. */
#ifndef KC_RUNDIR
#define KC_RUNDIR "/run/klaviyo-connect"
#endif

#define OFF(f) offsetof(struct kc_config, f)

const struct config_var config_vars[] = {
	{ "DATABASE_URL", CFG_STRING, "", 1, 0, 0, OFF(database_url),
	  "libpq connection string or URI; empty uses libpq's PG* defaults" },
	{ "DB_TRANSACTION_POOLING", CFG_INT, "0", 0, 0, 1,
	  OFF(db_transaction_pooling),
	  "1: DATABASE_URL is a transaction-pooling PgBouncer (no prepared "
	  "statements, no options startup parameter)" },
	{ "READ_CACHE", CFG_INT, "1", 0, 0, 2, OFF(read_cache),
	  "web workers' cache of sessions, store access and status: 0 off, "
	  "1 on (each request first waits one round trip for the change "
	  "notifications), 2 on without that wait" },
	{ "APP_URL", CFG_URL, "http://127.0.0.1:8080", 0, 0, 0, OFF(app_url),
	  "public origin of the app: CSRF origin check, Secure cookies" },
	{ "KC_SOCKET", CFG_STRING, KC_RUNDIR "/fcgi.sock", 0, 0, 0,
	  OFF(socket_path), "unix socket the FastCGI master binds" },
	{ "KC_SOCKET_MODE", CFG_OCTAL, "0660", 0, 0, 0777, OFF(socket_mode),
	  "permissions of that socket (nginx's user must be able to write)" },
	{ "KC_WORKERS", CFG_INT, "0", 0, 0, 256, OFF(workers),
	  "FastCGI worker processes; 0 means two per core" },
	{ "LOG_LEVEL", CFG_LEVEL, "info", 0, 0, 0, OFF(log_level),
	  "error, warn, info or debug" },
	{ "SESSION_TTL_HOURS", CFG_INT, "168", 0, 1, 24 * 365, 
	  OFF(session_ttl_hours), "lifetime of a login session" },
	{ "SESSION_MAX_PER_USER", CFG_INT, "10", 0, 1, 1000,
	  OFF(session_max_per_user),
	  "sessions one user may have; a new one ends the oldest" },
	{ "LOGIN_MAX_FAILURES", CFG_INT, "5", 0, 1, 1000,
	  OFF(login_max_failures),
	  "failed logins per account and client address per window" },
	{ "LOGIN_MAX_FAILURES_IP", CFG_INT, "20", 0, 1, 100000,
	  OFF(login_max_failures_ip),
	  "failed logins per client address per window" },
	{ "LOGIN_WINDOW_SECONDS", CFG_INT, "900", 0, 1, 86400,
	  OFF(login_window_seconds), "window in which failures are counted" },
	{ "LOGIN_LOCKOUT_SECONDS", CFG_INT, "900", 0, 1, 86400,
	  OFF(login_lockout_seconds), "how long a throttled login waits" },
	{ "LOGIN_MAX_FAILURES_ACCOUNT", CFG_INT, "100", 0, 1, 1000000,
	  OFF(login_max_failures_account),
	  "failed logins per account from all addresses per account window" },
	{ "LOGIN_ACCOUNT_WINDOW_SECONDS", CFG_INT, "3600", 0, 1, 7 * 86400,
	  OFF(login_account_window_seconds),
	  "window of the per-account limit" },
	{ "PASSWORD_SCRYPT_LOG_N", CFG_INT, "17", 0, PASSWORD_LOG_N_MIN,
	  PASSWORD_LOG_N_MAX, OFF(password_scrypt_log_n),
	  "scrypt cost of new password hashes, N = 2^value (r=8, p=1)" },
	{ "KC_SQL_DIR", CFG_STRING, KC_SQLDIR, 0, 0, 0, OFF(sql_dir),
	  "folder of sql/NNN_name.sql migrations" },
	{ "PRUNE_INTERVAL_HOURS", CFG_INT, "24", 0, 0, 24 * 365,
	  OFF(prune_interval_hours),
	  "how often klaviyo-syncd prunes old rows; 0 never" },
	{ "PRUNE_AUDIT_DAYS", CFG_INT, "365", 0, 1, 36500,
	  OFF(prune_audit_days), "age of audit_log rows that are deleted" },
	{ "PRUNE_JOBS_DAYS", CFG_INT, "30", 0, 1, 36500,
	  OFF(prune_jobs_days), "age of finished sync jobs that are deleted" },
	{ "PRUNE_TRIGGERS_DAYS", CFG_INT, "30", 0, 1, 36500,
	  OFF(prune_triggers_days),
	  "age of delivered or cancelled report triggers that are deleted" },
	{ "PRUNE_RATE_BUCKETS_DAYS", CFG_INT, "2", 0, 1, 36500,
	  OFF(prune_rate_buckets_days),
	  "idle time after which a rate-limit window row is deleted" },
	{ "PRUNE_LOGIN_THROTTLE_DAYS", CFG_INT, "7", 0, 1, 36500,
	  OFF(prune_login_throttle_days),
	  "age of failed-login counters that are deleted" },
	{ "PRUNE_REPORT_REQUESTS_DAYS", CFG_INT, "30", 0, 1, 36500,
	  OFF(prune_report_requests_days),
	  "age of remembered report Idempotency-Keys that are deleted" },
	{ "PRUNE_SESSIONS_DAYS", CFG_INT, "7", 0, 1, 36500,
	  OFF(prune_sessions_days),
	  "days after expiry that a session row is deleted" },
	{ "PRUNE_OAUTH_FLOWS_DAYS", CFG_INT, "7", 0, 1, 36500,
	  OFF(prune_oauth_flows_days),
	  "days after expiry that an unused OAuth attempt is deleted" },
	{ "KLAVIYO_BASE_URL", CFG_URL, "https://a.klaviyo.com", 0, 0, 0,
	  OFF(klaviyo_base_url), "Klaviyo API origin (the sandbox in tests)" },
	{ "KLAVIYO_REVISION", CFG_STRING, "2026-07-15", 0, 0, 0,
	  OFF(klaviyo_revision), "Klaviyo API revision header" },
	{ "KLAVIYO_TIMEOUT_MS", CFG_INT, "15000", 0, 100, 300000,
	  OFF(klaviyo_timeout_ms), "total time one Klaviyo request may take" },
	{ "KLAVIYO_CONNECT_TIMEOUT_MS", CFG_INT, "5000", 0, 50, 60000,
	  OFF(klaviyo_connect_timeout_ms), "time to connect to Klaviyo" },
	{ "KLAVIYO_MAX_RETRIES", CFG_INT, "2", 0, 0, 10,
	  OFF(klaviyo_max_retries),
	  "retries of a Klaviyo 5xx or connection error" },
	/* At most 1 s: a wait holds a worker that others need (issue 14). */
	{ "KLAVIYO_MAX_WAIT_MS", CFG_INT, "1000", 0, 0, 1000,
	  OFF(klaviyo_max_wait_ms),
	  "longest a web request waits for a rate-limit slot before 429" },
	/*
	 * Below nginx's fastcgi_read_timeout (60 s, nginx/snippet.conf.in)
	 * with room to spare: our 504 must reach the client before nginx
	 * gives up on the worker.
	 */
	{ "KLAVIYO_REQUEST_DEADLINE_MS", CFG_INT, "20000", 0, 1000, 50000,
	  OFF(klaviyo_request_deadline_ms),
	  "total time a web request may spend on Klaviyo before 504" },
	{ "KLAVIYO_WEB_CONCURRENCY", CFG_INT, "0", 0, 0, 256,
	  OFF(klaviyo_web_concurrency),
	  "web requests calling Klaviyo at once, all workers of this host "
	  "together; 0 means workers - 1 (one worker stays free)" },
	{ "KLAVIYO_WEB_CONCURRENCY_PER_USER", CFG_INT, "2", 0, 1, 256,
	  OFF(klaviyo_web_concurrency_per_user),
	  "web requests calling Klaviyo at once for one user" },
	{ "KLAVIYO_RATE_SCALE", CFG_INT, "1", 0, 1, 100000,
	  OFF(klaviyo_rate_scale),
	  "divides Klaviyo's rate windows (tests against a scaled sandbox)" },
	/* Seconds: only a connect right after its test may use it. */
	{ "KLAVIYO_PROBE_CACHE_SECONDS", CFG_INT, "10", 0, 0, 10,
	  OFF(klaviyo_probe_cache_seconds),
	  "how long a tested key's metrics may serve the connect after it "
	  "(a test always asks Klaviyo)" },
	{ "KLAVIYO_CLIENT_ID", CFG_STRING, "", 0, 0, 0,
	  OFF(klaviyo_client_id), "OAuth client id; empty turns OAuth off" },
	{ "KLAVIYO_CLIENT_SECRET", CFG_STRING, "", 1, 0, 0,
	  OFF(klaviyo_client_secret), "OAuth client secret" },
	{ "KLAVIYO_OAUTH_AUTHORIZE_URL", CFG_URL,
	  "https://www.klaviyo.com/oauth/authorize", 0, 0, 0,
	  OFF(klaviyo_oauth_authorize_url),
	  "where the browser is sent to authorize the app" },
	{ "KLAVIYO_OAUTH_TOKEN_URL", CFG_URL,
	  "https://a.klaviyo.com/oauth/token", 0, 0, 0,
	  OFF(klaviyo_oauth_token_url), "code exchange and token refresh" },
	{ "KLAVIYO_OAUTH_REVOKE_URL", CFG_URL,
	  "https://a.klaviyo.com/oauth/revoke", 0, 0, 0,
	  OFF(klaviyo_oauth_revoke_url), "token revocation on disconnect" },
	{ "KLAVIYO_OAUTH_REFRESH_MARGIN_SECONDS", CFG_INT, "300", 0, 0, 3600,
	  OFF(klaviyo_oauth_refresh_margin),
	  "refresh an access token this long before it expires (at most a "
	  "tenth of its lifetime)" },
	{ "SYNC_POLL_MS", CFG_INT, "1000", 0, 10, 60000, OFF(sync_poll_ms),
	  "how often klaviyo-syncd looks for work when idle" },
	{ "SYNC_CONCURRENCY", CFG_INT, "256", 0, 1, 4096,
	  OFF(sync_concurrency),
	  "sync jobs one klaviyo-syncd runs at once (each waits for its "
	  "own Klaviyo account)" },
	{ "SYNC_SCHEDULE_SECONDS", CFG_INT, "60", 0, 0, 86400,
	  OFF(sync_schedule_seconds),
	  "how often it enqueues due incremental syncs; 0: never" },
	{ "SYNC_LEASE_SECONDS", CFG_INT, "120", 0, 5, 3600,
	  OFF(sync_lease_seconds),
	  "a running job's lease; a dead worker's job is retaken after it" },
	{ "SYNC_MAX_WAIT_MS", CFG_INT, "5000", 0, 0, 600000,
	  OFF(sync_max_wait_ms),
	  "longest a job waits in the pool for a rate-limit slot before it is parked in the queue" },
	{ "SYNC_LOOKBACK_DAYS", CFG_INT, "5", 0, 5, 365,
	  OFF(sync_lookback_days),
	  "days an incremental sync re-reads (Klaviyo's attribution window)" },
	{ "SYNC_HISTORY_DAYS", CFG_INT, "730", 0, 1, 3650,
	  OFF(sync_history_days), "how far back a full sync reads" },
	{ "WEBHOOK_TOLERANCE_SECONDS", CFG_INT, "300", 0, 30, 3600,
	  OFF(webhook_tolerance_seconds),
	  "a webhook delivery whose Klaviyo-Timestamp is further than this "
	  "from the server's clock is refused (replays)" },
	{ "WEBHOOK_SYNC_DEBOUNCE_SECONDS", CFG_INT, "900", 0, 60, 86400,
	  OFF(webhook_sync_debounce_seconds),
	  "at most one webhook-started sync per type and Klaviyo account "
	  "this often" },
	{ "WEBHOOK_SYNC_DELAY_SECONDS", CFG_INT, "60", 0, 0, 3600,
	  OFF(webhook_sync_delay_seconds),
	  "a webhook-started sync waits this long, so a burst of events is "
	  "read once" },
	{ "SYNCD_METRICS_FILE", CFG_STRING, "", 0, 0, 0,
	  OFF(syncd_metrics_file),
	  "Prometheus text file klaviyo-syncd rewrites every 15 s (node "
	  "exporter's textfile collector); empty: none" },
	{ "REPORT_SERVER_TIMEOUT_MS", CFG_INT, "10000", 0, 100, 120000,
	  OFF(report_server_timeout_ms), "one delivery to REPORT_SERVER" },
	{ "REPORT_RETRY_BASE_MS", CFG_INT, "5000", 0, 10, 3600000,
	  OFF(report_retry_base_ms), "first wait after a failed delivery" },
	{ "REPORT_RETRY_MAX_MS", CFG_INT, "900000", 0, 10, 86400000,
	  OFF(report_retry_max_ms), "longest wait between deliveries" },
	{ "REPORT_SERVER", CFG_STRING, "", 0, 0, 0, OFF(report_server),
	  "external report server origin; empty uses the built-in one" },
	{ "REPORT_SERVER_KEY", CFG_STRING, "", 1, 0, 0,
	  OFF(report_server_key), "bearer key of the report server" },
	{ "KC_MASTER_KEYS", CFG_STRING, "", 1, 0, 0, OFF(master_keys),
	  "versioned AES-256 keys, e.g. 2:base64,1:base64" },
};
const size_t config_nvars = nitems(config_vars);

static int
parse_long(const char *s, int base, long *out)
{
	char	*end;
	long	 v;

	if (*s == '\0')
		return KC_ERR_CONFIG;
	errno = 0;
	v = strtol(s, &end, base);
	if (errno != 0 || *end != '\0')
		return KC_ERR_CONFIG;
	*out = v;
	return KC_OK;
}

int
config_origin(const char *url, char *out, size_t outlen)
{
	const char	*p, *host;
	size_t		 n;

	if (strncmp(url, "http://", 7) == 0)
		host = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		host = url + 8;
	else
		return KC_ERR_CONFIG;
	if (*host == '\0' || *host == '/')
		return KC_ERR_CONFIG;
	for (p = host; *p && *p != '/' && *p != '?' && *p != '#'; p++)
		if (*p <= ' ' || *p == '@')
			return KC_ERR_CONFIG;
	n = (size_t)(p - url);
	if (n + 1 > outlen)
		return KC_ERR_CONFIG;
	memcpy(out, url, n);
	out[n] = '\0';
	return KC_OK;
}

static int
config_set(struct kc_config *cfg, const struct config_var *v,
    const char *val, char *err, size_t errlen)
{
	char		*base = (char *)cfg;
	long		 n;
	char		 origin[512];
	enum log_level	 lvl;

	switch (v->type) {
	case CFG_STRING:
		*(const char **)(base + v->offset) = val;
		return KC_OK;
	case CFG_URL:
		if (config_origin(val, origin, sizeof(origin)) != KC_OK) {
			snprintf(err, errlen, "%s must be an http:// or "
			    "https:// URL", v->name);
			return KC_ERR_CONFIG;
		}
		*(const char **)(base + v->offset) = val;
		return KC_OK;
	case CFG_LEVEL:
		if (log_level_parse(val, &lvl) != KC_OK) {
			snprintf(err, errlen, "%s must be one of error, warn, "
			    "info, debug", v->name);
			return KC_ERR_CONFIG;
		}
		*(const char **)(base + v->offset) = val;
		return KC_OK;
	case CFG_INT:
	case CFG_OCTAL:
		if (parse_long(val, v->type == CFG_OCTAL ? 8 : 10, &n) !=
		    KC_OK || n < v->min || n > v->max) {
			snprintf(err, errlen, "%s must be a%s number from "
			    "%ld to %ld", v->name,
			    v->type == CFG_OCTAL ? "n octal" : "", v->min,
			    v->max);
			return KC_ERR_CONFIG;
		}
		*(long *)(base + v->offset) = n;
		return KC_OK;
	}
	return KC_ERR_INTERNAL;
}

/*
 * Values read from files, in one list with the configuration that points
 * at them: they live until config_free() of that configuration, and stay
 * reachable meanwhile (a program that exits early leaks nothing).
 */
struct config_str {
	struct config_str	*next;
	const struct kc_config	*owner;
	char			*s;
};
static struct config_str	*config_strs;

void
config_free(struct kc_config *cfg)
{
	struct config_str	**pp = &config_strs, *c;

	while ((c = *pp) != NULL) {
		if (c->owner != cfg) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		crypto_wipe(c->s, strlen(c->s));
		free(c->s);
		free(c);
	}
}

/*
 * The value of v: NAME, else the file NAME_FILE names, else the systemd
 * credential $CREDENTIALS_DIRECTORY/NAME, else the default.  NAME and
 * NAME_FILE both set is an error: which one wins would be a guess.
 */
static int
config_lookup(struct kc_config *cfg, const struct config_var *v,
    const char *(*get)(const char *), const char **out, char *err,
    size_t errlen)
{
	struct config_str	*c;
	const char		*val, *file, *dir;
	char			 fname[128], path[PATH_MAX], ferr[PATH_MAX + 64];
	char			*s;
	int			 rc;

	*out = NULL;
	snprintf(fname, sizeof(fname), "%s_FILE", v->name);
	val = get(v->name);
	file = get(fname);
	if (val != NULL && file != NULL) {
		snprintf(err, errlen, "%s and %s are both set: use one",
		    v->name, fname);
		return KC_ERR_CONFIG;
	}
	if (val != NULL) {
		*out = val;
		return KC_OK;
	}
	if (file == NULL && (dir = get("CREDENTIALS_DIRECTORY")) != NULL &&
	    *dir != '\0') {
		if (snprintf(path, sizeof(path), "%s/%s", dir, v->name) <
		    (int)sizeof(path) && access(path, F_OK) == 0) {
			file = path;
			snprintf(fname, sizeof(fname), "credential %s",
			    v->name);
		}
	}
	if (file == NULL) {
		*out = v->def;
		return KC_OK;
	}
	if (*file == '\0') {
		snprintf(err, errlen, "%s is set but empty", fname);
		return KC_ERR_CONFIG;
	}
	if ((rc = valfile_read(file, &s, ferr, sizeof(ferr))) != KC_OK) {
		snprintf(err, errlen, "%s: %s", fname, ferr);
		return rc == KC_ERR_NOMEM ? rc : KC_ERR_CONFIG;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		crypto_wipe(s, strlen(s));
		free(s);
		snprintf(err, errlen, "out of memory");
		return KC_ERR_NOMEM;
	}
	c->owner = cfg;
	c->s = s;
	c->next = config_strs;
	config_strs = c;
	*out = s;
	return KC_OK;
}

int
config_load_from(struct kc_config *cfg, const char *(*get)(const char *),
    char *err, size_t errlen)
{
	const struct config_var	*v;
	const char		*val;
	size_t			 i;
	int			 rc;

	config_free(cfg);
	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < config_nvars; i++) {
		v = &config_vars[i];
		if ((rc = config_lookup(cfg, v, get, &val, err, errlen)) !=
		    KC_OK)
			goto fail;
		if (val == NULL) {
			snprintf(err, errlen, "%s is required", v->name);
			rc = KC_ERR_CONFIG;
			goto fail;
		}
		if ((rc = config_set(cfg, v, val, err, errlen)) != KC_OK)
			goto fail;
	}
	return KC_OK;
fail:
	config_free(cfg);
	return rc;
}

static const char *
env_get(const char *name)
{
	return getenv(name);
}

int
config_load(struct kc_config *cfg, char *err, size_t errlen)
{
	return config_load_from(cfg, env_get, err, errlen);
}

long
config_worker_count(const struct kc_config *cfg)
{
	long n = cfg->workers ? cfg->workers :
	    2 * sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 2;
	return n > CONFIG_WORKERS_MAX ? CONFIG_WORKERS_MAX : n;
}

long
config_klaviyo_web_cap(const struct kc_config *cfg)
{
	long n = config_worker_count(cfg) - 1;

	if (cfg->klaviyo_web_concurrency > 0)
		return cfg->klaviyo_web_concurrency;
	return n > 0 ? n : 1;
}
