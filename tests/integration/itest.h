/*
 * Integration test helpers: real HTTP (libcurl) through the nginx that
 * tests/integration/run.sh started, and a libpq connection to its
 * PostgreSQL for fixtures and for checking what was (not) written.
 *
 * Environment set by run.sh:
 *   KC_TEST_URL           http://127.0.0.1:PORT (nginx)
 *   KC_TEST_DATABASE_URL  libpq URI of the test database
 *   KC_TEST_ADMIN         command prefix running klaviyo-admin
 *   KC_TEST_PGCTL         script: "stop" or "start" the PostgreSQL
 *   KC_TEST_STATE         the throwaway state folder (logs in log/)
 *   KC_TEST_FCGI_PIDFILE  pid file of the FastCGI master
 *   KC_TEST_FCGICTL       script: "restart [NAME=VALUE...]" the FastCGI
 *                         service with changed settings, or "stop" it
 */
#ifndef KC_ITEST_H
#define KC_ITEST_H

#include <check.h>
#include <json-c/json.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>

#define IT_PASSWORD "correct horse battery"

struct it_resp {
	long			 status;
	char			*body;
	size_t			 len;
	char			*headers;	/* raw header block */
	struct json_object	*json;		/* NULL when not JSON */
	double			 secs;		/* total time of the transfer */
};

/* One request of it_parallel(). */
struct it_req {
	const char	*method;
	const char	*path;
	const char	*token;		/* bearer token or NULL */
	const char	*body;		/* JSON body or NULL */
	const char	*header;	/* one extra header line or NULL */
};

/*
 * One request.  headers is a NULL-terminated list of "Name: value"
 * lines; body may be NULL.  Fails the test when the transfer fails.
 */
void	it_request(const char *method, const char *path,
	    const char *const *headers, const char *body, size_t bodylen,
	    struct it_resp *);
/* GET/DELETE/POST with an optional bearer token (NULL: none). */
void	it_get(const char *path, const char *token, struct it_resp *);
void	it_post(const char *path, const char *token, const char *json,
	    struct it_resp *);
void	it_delete(const char *path, const char *token, struct it_resp *);
void	it_patch(const char *path, const char *token, const char *json,
	    struct it_resp *);
void	it_resp_free(struct it_resp *);
/* Runs n requests at the same time (curl multi); out[i] answers reqs[i]. */
void	it_parallel(size_t n, const struct it_req *reqs, struct it_resp *out);
/*
 * The same from another client address, the one nginx sees as
 * $remote_addr (any 127.0.0.0/8 address: the connections are made from
 * it); NULL: 127.0.0.1.
 */
void	it_parallel_from(const char *source, size_t n,
	    const struct it_req *reqs, struct it_resp *out);
/* One request running in a thread while the test goes on. */
struct it_bg {
	pthread_t	 thread;
	struct it_req	 req;
	struct it_resp	 resp;
};
/* Starts req (its strings must live until it_bg_wait). */
void	it_bg_start(struct it_bg *, const struct it_req *);
/* Waits for it and hands over its response (free it). */
void	it_bg_wait(struct it_bg *, struct it_resp *);
/*
 * A transaction on the test's connection that holds the store's row
 * lock (as a connect, disconnect or sync now takes it), so a request
 * waits there while the test changes things; it_store_unlock commits.
 */
void	it_store_lock(const char *store);
void	it_store_unlock(void);
/* Waits (up to 10 s) until some request waits for a row lock. */
void	it_wait_lock_waiter(void);
/* Removes every role of every user on the store. */
void	it_revoke_all(const char *store);
/* Value of a response header (case-insensitive name) or NULL; static. */
const char *it_header(const struct it_resp *, const char *name);
/* Error response check: status, success false, code, non-empty error. */
void	it_assert_error(const struct it_resp *, long status,
	    const char *code);
const char *it_str(const struct it_resp *, const char *key);

/* The test database (connected once per test process). */
PGconn	*it_db(void);
/* Runs SQL with text params; fails the test on error; caller PQclears. */
PGresult *it_sql(const char *sql, int n, const char *const *params);
/* First column of the first row as a malloc'd string, or NULL. */
char	*it_sql_value(const char *sql, int n, const char *const *params);
long long it_sql_count(const char *sql, int n, const char *const *params);
/*
 * Checksum of users, sessions, stores, their Klaviyo connections, seats
 * and access rows.
 */
char	*it_db_snapshot(void);

/* The scrypt cost the services hash with (PASSWORD_SCRYPT_LOG_N). */
unsigned it_log_n(void);
/* A user with a unique e-mail "<prefix>-<rand>@example.test". */
long long it_user(const char *prefix, char *email, size_t emaillen);
/* A store with a unique public id; returns it (static until next call). */
void	it_store(const char *name, char *public_id, size_t len);
void	it_grant(const char *email, const char *store, const char *role);
/* A bearer session token for the user, made through the database. */
void	it_token(long long uid, char *token, size_t len);
/* Logs in through the API; copies the kc_session cookie value. */
long	it_login(const char *email, const char *password, char *cookie,
	    size_t len);
/* A unique suffix for names. */
const char *it_unique(void);
/* Reads a file into a malloc'd string ("" when missing). */
char	*it_read_file(const char *path);
/* Runs a shell command, returns its exit status. */
int	it_system(const char *fmt, ...);
/*
 * Runs a shell command; its stdout (add 2>&1 for stderr) goes to a
 * malloc'd *out.  Returns the exit status, -1 when it did not exit.
 */
int	it_run(char **out, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* A user with the role on the store; a bearer token for them. */
long long it_member(const char *role, const char *store, char *tok,
	    size_t len);
/*
 * The FastCGI master's pid (below any wrapper) and its workers' pids,
 * sorted; returns how many (t_dbrestart.c).
 */
pid_t	it_fcgi_master(void);
int	it_fcgi_workers(pid_t master, pid_t *out, int max);
/* Sleeps ms milliseconds. */
void	it_pause_ms(long ms);

/*
 * The Klaviyo sandbox (docs/SANDBOX.md): its test accounts by key (its
 * request log keeps only the first 8 characters of a key).
 */
#define IT_KEY_ACME	"pk_sbxshopify0000000000000000000001"	/* ms2AAo */
#define IT_KEY_BLUEBIRD	"pk_sbxwoocommerce000000000000000002"	/* iz2zlU */
#define IT_KEY_CEDAR	"pk_sbxcustom00000000000000000000003"	/* 3tf5XC */
#define IT_KEY_EMPTY	"pk_sbxempty000000000000000000000004"	/* shJ962 */
#define IT_KEY_NOSCOPE	"pk_sbxnoscope0000000000000000000005"	/* 7MKynK */
#define IT_KEY_LISTS	"pk_sbxmanylists00000000000000000006"	/* aKa3QH */
#define IT_KEY_UNKNOWN	"pk_unknownkey000000000000000000000099"
#define IT_ACCT_ACME	"ms2AAo"
#define IT_ACCT_BLUEBIRD "iz2zlU"
#define IT_ACCT_CEDAR	"3tf5XC"
#define IT_ACCT_EMPTY	"shJ962"
#define IT_ACCT_LISTS	"aKa3QH"
#define IT_METRIC_ACME_SHOPIFY_PO "bWFrb5"	/* Shopify Placed Order */
#define IT_METRIC_ACME_API_PO	"PGGbvj"	/* API Placed Order */
#define IT_METRIC_BLUEBIRD_PO	"NPJO48"	/* WooCommerce Placed Order */
#define IT_METRIC_CEDAR_PO	"82aO85"	/* API Placed Order */

/* A request to the sandbox's control API (KC_TEST_SANDBOX_URL). */
void	it_sbx(const char *method, const char *path, const char *json,
	    struct it_resp *);
/* Clears faults, the request log and the sandbox's rate limits. */
void	it_sbx_reset(void);
/* Adds a fault (a JSON object as in docs/SANDBOX.md). */
void	it_sbx_fault(const char *json);
/*
 * Requests in the sandbox log matching path (NULL: any) and the first
 * 8 characters of key (NULL: any); with status >= 0 only that status.
 */
long	it_sbx_count(const char *path, const char *key, long status);
/* A GET of the sandbox's Klaviyo API (path or absolute URL) with key. */
void	it_sbx_api(const char *path_or_url, const char *key,
	    struct it_resp *);
/*
 * A cold start for Klaviyo calls: sandbox reset, no probe cache, no
 * rate-limit state, no remembered key accounts.
 */
void	it_klaviyo_cold(void);
/* Fails when the secret is in the response body or its headers. */
void	it_assert_no_secret(const struct it_resp *, const char *secret);
/* Fails when the secret is in any service log of the test stack. */
void	it_assert_logs_clean(const char *secret);
/*
 * What the connect flow may write for one store, as an md5: the
 * integration, credential row, triggers, KlaviyoSync rows, synced
 * rows and jobs.
 */
char	*it_store_state(const char *store);
/*
 * POST {apiKey, conversionMetricId} to the store's klaviyo-connect;
 * a NULL one is left out ({conversionMetricId} changes the metric).
 */
void	it_connect(const char *store, const char *tok, const char *key,
	    const char *metric, struct it_resp *);
/* POST {apiKey, action:"test"}. */
void	it_test_key(const char *store, const char *tok, const char *key,
	    struct it_resp *);
/* "/api/store/<store>/klaviyo-connect" */
const char *it_connect_path(const char *store);
/* A JSON member (fails when missing) and typed getters. */
struct json_object *it_jget(struct json_object *, const char *key);
const char *it_jstr(struct json_object *, const char *key);
int	it_jbool(struct json_object *, const char *key);
/* Asserts 200 and success:true. */
void	it_assert_ok(const struct it_resp *);
/*
 * Cancels every other store's pending triggers and jobs and parks their
 * webhook registrations, so a daemon a test runs syncs this store alone.
 */
void	it_isolate(const char *store);
/*
 * klaviyo-syncd (KC_TEST_SYNCD) in the background with the built-in
 * report server and extra settings ("K=V" ..., NULL-terminated; env may
 * be NULL); the caller stops it (SIGTERM or SIGKILL, then waitpid).
 */
pid_t	it_syncd_spawn(const char *const *env);

/* /proc readers (itest_proc.c); memory and others' environ need root. */
long	it_proc_pidfile(const char *path);
/* /proc/PID/WHAT (environ, cmdline, maps) whole, NUL-terminated. */
char	*it_proc_read(long pid, const char *what, size_t *len);
size_t	it_proc_children(long parent, long *pids, size_t max);
/* Copies of needle in every readable mapping; *scanned: bytes read. */
long	it_proc_mem_count(long pid, const char *needle, size_t *scanned);

Suite	*suite_health(void);
Suite	*suite_auth(void);
Suite	*suite_me(void);
Suite	*suite_status(void);
Suite	*suite_readcache(void);
Suite	*suite_input(void);
Suite	*suite_dbrestart(void);
Suite	*suite_admin(void);
Suite	*suite_connect(void);
Suite	*suite_accounts(void);
Suite	*suite_settings(void);
Suite	*suite_webhooks(void);
Suite	*suite_reports(void);
Suite	*suite_klaviyo_faults(void);
Suite	*suite_slow_klaviyo(void);
Suite	*suite_secrets(void);
Suite	*suite_secrets_purpose(void);
Suite	*suite_secrets_memory(void);
Suite	*suite_sync(void);
Suite	*suite_sync_full(void);
Suite	*suite_fleet(void);
Suite	*suite_oauth(void);
Suite	*suite_sighup(void);
Suite	*suite_nginx(void);
Suite	*suite_heartbeat(void);
Suite	*suite_metrics(void);
Suite	*suite_admin_day2(void);
Suite	*suite_admin_accounts(void);

/*
 * SQL fragments for the store whose public id is the expression pub:
 * its primary Klaviyo connection's id and klaviyo_integration document
 * (sql/011: what stores.klaviyo_integration was).
 */
#define IT_SQL_PRIMARY_ID(pub)						\
    "(SELECT k.id FROM klaviyo_connections k JOIN stores s"		\
    " ON s.id = k.store_id WHERE s.public_id = " pub " AND k.is_primary)"
#define IT_SQL_INTEG(pub)						\
    "(SELECT k.klaviyo_integration FROM klaviyo_connections k"		\
    " JOIN stores s ON s.id = k.store_id"				\
    " WHERE s.public_id = " pub " AND k.is_primary)"
/* The ids of all its connections (for "connection_id IN ..."). */
#define IT_SQL_CONN_IDS(pub)						\
    "(SELECT k.id FROM klaviyo_connections k JOIN stores s"		\
    " ON s.id = k.store_id WHERE s.public_id = " pub ")"

/*
 * Joins a synced table's (or credential's) row, alias a, to its
 * connection kc and that connection's store s.
 */
#define IT_SQL_JOIN_STORE(a)						\
    " JOIN klaviyo_connections kc ON kc.id = " a ".connection_id"	\
    " JOIN stores s ON s.id = kc.store_id"

/*
 * The store's primary connection id as a malloc'd string, NULL when it
 * has none: a test keeps it to check what a removed connection left.
 */
char	*it_primary_conn(const char *store);
/*
 * A connection row for fixtures that need one without Klaviyo: the
 * document {status, public_id: account} (the primary when the store has
 * none); its id.
 */
char	*it_add_conn(const char *store, const char *status,
	    const char *account);
/*
 * Makes doc (klaviyo_integration JSON text, with a public_id and a status
 * of connected, disconnected or error) the document of the store's
 * primary connection, adding that connection when there is none; its id.
 */
char	*it_set_integ(const char *store, const char *doc);
/*
 * A new store named name, its owner's token, connected to key's account
 * with metric through the API; the connection's public id in conn.
 */
void	it_connected(const char *name, const char *key, const char *metric,
	    char *store, size_t slen, char *tok, size_t tlen, char *conn,
	    size_t clen);
/* Queues a job (type, mode) of the store's primary connection; its id. */
char	*it_queue_job(const char *store, const char *type, const char *mode);

#endif
