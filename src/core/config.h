/*
 * Configuration from the environment, read once at start-up from one
 * table (pgbouncer's CF_ABS table, tmux options-table.c).  A missing or
 * malformed setting stops the program with one line naming the variable,
 * never its value when the variable is secret.  SIGHUP reads it again
 * (reload.h): the environment cannot change, files named by NAME_FILE
 * can.
 */
#ifndef KC_CONFIG_H
#define KC_CONFIG_H

#include <stddef.h>

#include "kc_err.h"

struct kc_config {
	const char	*database_url;
	const char	*app_url;
	const char	*socket_path;
	long		 socket_mode;
	long		 workers;
	const char	*log_level;
	long		 session_ttl_hours;
	long		 login_max_failures;
	long		 login_max_failures_ip;
	long		 login_window_seconds;
	long		 login_lockout_seconds;
	long		 login_max_failures_account;
	long		 login_account_window_seconds;
	long		 password_scrypt_log_n;
	long		 session_max_per_user;
	const char	*sql_dir;
	long		 db_transaction_pooling;	/* db.h */
	long		 read_cache;	/* src/core/readcache.h */
	long		 prune_interval_hours;	/* src/core/prune.c */
	long		 prune_audit_days;
	long		 prune_jobs_days;
	long		 prune_triggers_days;
	long		 prune_rate_buckets_days;
	long		 prune_login_throttle_days;
	long		 prune_report_requests_days;
	long		 prune_sessions_days;
	long		 prune_oauth_flows_days;
	const char	*klaviyo_base_url;
	const char	*klaviyo_revision;
	long		 klaviyo_timeout_ms;
	long		 klaviyo_connect_timeout_ms;
	long		 klaviyo_max_retries;
	long		 klaviyo_max_wait_ms;
	long		 klaviyo_rate_scale;
	long		 klaviyo_probe_cache_seconds;
	long		 klaviyo_request_deadline_ms;
	long		 klaviyo_web_concurrency;	/* 0: workers - 1 */
	long		 klaviyo_web_concurrency_per_user;
	const char	*klaviyo_client_id;
	const char	*klaviyo_client_secret;
	const char	*klaviyo_oauth_authorize_url;
	const char	*klaviyo_oauth_token_url;
	const char	*klaviyo_oauth_revoke_url;
	long		 klaviyo_oauth_refresh_margin;
	long		 sync_poll_ms;
	long		 sync_concurrency;
	long		 sync_schedule_seconds;
	long		 sync_lease_seconds;
	long		 sync_max_wait_ms;
	long		 sync_lookback_days;
	long		 sync_history_days;
	long		 webhook_tolerance_seconds;
	long		 webhook_sync_debounce_seconds;
	long		 webhook_sync_delay_seconds;
	const char	*syncd_metrics_file;	/* "": none */
	long		 report_server_timeout_ms;
	long		 report_retry_base_ms;
	long		 report_retry_max_ms;
	const char	*report_server;
	const char	*report_server_key;
	const char	*master_keys;
};

enum config_type { CFG_STRING, CFG_URL, CFG_INT, CFG_OCTAL, CFG_LEVEL };

struct config_var {
	const char	*name;
	enum config_type type;
	const char	*def;		/* NULL: no default */
	int		 secret;
	long		 min, max;	/* CFG_INT, CFG_OCTAL */
	size_t		 offset;
	const char	*doc;
};

extern const struct config_var config_vars[];
extern const size_t config_nvars;

/*
 * Fills cfg from getenv(); on error writes one line into err.  Each
 * variable NAME may instead come from a file: NAME_FILE=path, or the
 * systemd credential $CREDENTIALS_DIRECTORY/NAME (one trailing newline
 * removed); NAME and NAME_FILE both set is an error.  Values read from
 * files belong to cfg until config_free(cfg).
 */
int	config_load(struct kc_config *, char *err, size_t errlen)
	    KC_MUSTCHECK;
/* The same with a lookup function instead of getenv (tests). */
int	config_load_from(struct kc_config *, const char *(*)(const char *),
	    char *err, size_t errlen) KC_MUSTCHECK;
/* Frees the values cfg read from files (a no-op without any). */
void	config_free(struct kc_config *);
/* KC_WORKERS as the FastCGI master applies it (0: two per core). */
#define CONFIG_WORKERS_MAX 256
long	config_worker_count(const struct kc_config *);
/*
 * KLAVIYO_WEB_CONCURRENCY as applied: 0 is workers - 1 (at least 1), so
 * one worker is always free for health, login and status pages.
 */
long	config_klaviyo_web_cap(const struct kc_config *);
/* Parses "scheme://host[:port]" into an origin without a path. */
int	config_origin(const char *url, char *out, size_t outlen)
	    KC_MUSTCHECK;

#endif
