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
 */
#ifndef KC_ITEST_H
#define KC_ITEST_H

#include <check.h>
#include <json-c/json.h>
#include <libpq-fe.h>
#include <stddef.h>

#define IT_PASSWORD "correct horse battery"

struct it_resp {
	long			 status;
	char			*body;
	size_t			 len;
	char			*headers;	/* raw header block */
	struct json_object	*json;		/* NULL when not JSON */
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
void	it_resp_free(struct it_resp *);
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
/* Checksum of users, sessions, stores, seats and access rows. */
char	*it_db_snapshot(void);

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

Suite	*suite_health(void);
Suite	*suite_auth(void);
Suite	*suite_me(void);
Suite	*suite_status(void);
Suite	*suite_input(void);
Suite	*suite_dbrestart(void);
Suite	*suite_admin(void);

#endif
