/*
 * Day-2 administration (issue 13): disabling users, password resets,
 * sessions, jobs and triggers from klaviyo-admin; migrate --status and
 * --dry-run; services refusing an older schema; the prune; --version,
 * stray arguments and root refusal of every program.
 */
#include "itest.h"

#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ADM "\"$KC_TEST_ADMIN\""
#define NEW_PW "a brand new pass phrase 7"

/* Runs a command, checks its exit status; returns the output. */
static char * __attribute__((format(printf, 3, 4)))
expect(int want, const char *what, const char *fmt, ...)
{
	char	 cmd[4096], *out;
	va_list	 ap;
	int	 st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = it_run(&out, "%s", cmd);
	ck_assert_msg(st == want, "%s: exit %d, want %d; output: %s", what,
	    st, want, out);
	return out;
}

#define expect_free(...) free(expect(__VA_ARGS__))

/* A program's path beside klaviyo-admin (the wrappers as root). */
static void
program(const char *name, char *out, size_t len)
{
	char dir[1024];

	snprintf(dir, sizeof(dir), "%s", getenv("KC_TEST_ADMIN"));
	snprintf(out, len, "%s/../%s", dirname(dir), name);
	ck_assert_msg(access(out, X_OK) == 0, "no %s", out);
}

static long
me_status(const char *tok)
{
	struct it_resp	r;
	long		s;

	it_get("/api/me", tok, &r);
	s = r.status;
	it_resp_free(&r);
	return s;
}

/* POST /api/auth/login; *code gets the error code (static). */
static long
login(const char *email, const char *pw, char *code, size_t len)
{
	struct json_object	*o = json_object_new_object();
	struct it_resp		 r;
	const char		*body;
	long			 s;

	json_object_object_add(o, "email", json_object_new_string(email));
	json_object_object_add(o, "password", json_object_new_string(pw));
	body = json_object_to_json_string(o);
	it_post("/api/auth/login", NULL, body, &r);
	s = r.status;
	snprintf(code, len, "%s|%s", r.json && s != 200 ?
	    it_str(&r, "code") : "", r.json && s != 200 ?
	    it_str(&r, "error") : "");
	it_resp_free(&r);
	json_object_put(o);
	return s;
}

static long long
sessions_of(long long uid)
{
	char		 id[24];
	const char	*p[1] = { id };

	snprintf(id, sizeof(id), "%lld", uid);
	return it_sql_count("SELECT count(*) FROM sessions WHERE user_id = $1",
	    1, p);
}

/* ------------------------------------------------------------ users -- */

START_TEST(day2_disabled_user_cannot_log_in)
{
	char		 email[128], tok[64], cookie[128], c1[256], c2[256];
	long long	 uid;

	uid = it_user("dis", email, sizeof(email));
	ck_assert_int_eq(it_login(email, IT_PASSWORD, cookie,
	    sizeof(cookie)), 200);
	it_token(uid, tok, sizeof(tok));
	ck_assert_int_eq(me_status(tok), 200);
	ck_assert_int_eq(me_status(cookie), 200);

	expect_free(0, "user disable", ADM " user disable '%s' 2>&1",
	    email);
	/* The very next request with a live session is refused. */
	ck_assert_int_eq(me_status(tok), 401);
	ck_assert_int_eq(me_status(cookie), 401);
	ck_assert_int_eq(sessions_of(uid), 0);
	/* The right password answers exactly like a wrong one. */
	ck_assert_int_eq(login(email, IT_PASSWORD, c1, sizeof(c1)), 401);
	ck_assert_int_eq(login(email, "wrong password here", c2, sizeof(c2)),
	    401);
	ck_assert_str_eq(c1, c2);
	ck_assert_msg(strstr(c1, "invalid_credentials") != NULL, "%s", c1);
	/* A session made anyway (a race) does not work either. */
	it_token(uid, tok, sizeof(tok));
	ck_assert_int_eq(me_status(tok), 401);
	expect_free(0, "disable again", ADM " user disable '%s' 2>&1",
	    email);

	expect_free(0, "user enable", ADM " user enable '%s' 2>&1", email);
	ck_assert_int_eq(it_login(email, IT_PASSWORD, NULL, 0), 200);
	expect_free(4, "disable a ghost", ADM " user disable '%s' 2>&1",
	    "nobody-day2@example.test");
	expect_free(2, "disable without e-mail", ADM " user disable 2>&1");
	expect_free(2, "enable with a stray argument",
	    ADM " user enable '%s' extra 2>&1", email);
}
END_TEST

START_TEST(day2_password_reset_revokes_sessions)
{
	char		 email[128], tok[64];
	long long	 uid;

	uid = it_user("pwreset", email, sizeof(email));
	it_token(uid, tok, sizeof(tok));
	ck_assert_int_eq(me_status(tok), 200);
	expect_free(2, "short password",
	    "printf 'short\\n' | " ADM " user password '%s' 2>&1", email);
	ck_assert_int_eq(me_status(tok), 200);
	free(expect(0, "user password", "printf '%%s\\n' '%s' | " ADM
	    " user password '%s' 2>&1", NEW_PW, email));
	ck_assert_int_eq(me_status(tok), 401);
	ck_assert_int_eq(sessions_of(uid), 0);
	ck_assert_int_eq(it_login(email, IT_PASSWORD, NULL, 0), 401);
	ck_assert_int_eq(it_login(email, NEW_PW, NULL, 0), 200);
	expect_free(4, "password of a ghost", "printf '%%s\\n' '" NEW_PW
	    "' | " ADM " user password '%s' 2>&1",
	    "nobody-day2@example.test");
}
END_TEST

START_TEST(day2_session_list_and_revoke)
{
	char		 email[128], tok[64], id[24], *out, *tok2, *hashes;
	const char	*p[1] = { id };
	size_t		 n;
	long long	 uid;

	uid = it_user("seslist", email, sizeof(email));
	snprintf(id, sizeof(id), "%lld", uid);
	it_token(uid, tok, sizeof(tok));
	tok2 = expect(0, "session issue", ADM " session issue '%s'", email);
	n = strcspn(tok2, "\n");
	tok2[n] = '\0';
	ck_assert_int_eq(me_status(tok2), 200);

	out = expect(0, "session list", ADM " session list '%s' 2>&1",
	    email);
	ck_assert_msg(strstr(out, "CREATED") && strstr(out, "EXPIRES") &&
	    strstr(out, "LAST SEEN"), "%s", out);
	ck_assert_msg(strstr(out, tok) == NULL && strstr(out, tok2) == NULL,
	    "a token listed: %s", out);
	/* Nor any form of the stored hash. */
	hashes = it_sql_value("SELECT string_agg(encode(token_hash, 'hex'),"
	    " ' ') || ' ' || string_agg(encode(token_hash, 'base64'), ' ')"
	    " FROM sessions WHERE user_id = $1", 1, p);
	ck_assert_ptr_nonnull(hashes);
	for (char *sp, *h = strtok_r(hashes, " ", &sp); h;
	    h = strtok_r(NULL, " ", &sp))
		ck_assert_msg(strstr(out, h) == NULL, "hash %s listed", h);
	free(hashes);
	/* Header and two sessions. */
	n = 0;
	for (char *c = out; *c; c++)
		n += *c == '\n';
	ck_assert_msg(n == 3, "%zu lines: %s", n, out);
	free(out);

	out = expect(0, "session revoke", ADM " session revoke '%s' 2>&1",
	    email);
	ck_assert_msg(strstr(out, "2 sessions") != NULL, "%s", out);
	free(out);
	ck_assert_int_eq(me_status(tok), 401);
	ck_assert_int_eq(me_status(tok2), 401);
	ck_assert_int_eq(sessions_of(uid), 0);
	free(tok2);
	expect_free(4, "list of a ghost", ADM " session list '%s' 2>&1",
	    "nobody-day2@example.test");
}
END_TEST

/* ------------------------------------------------------------- jobs -- */

static char *
job_state(const char *id)
{
	const char *p[1] = { id };

	return it_sql_value("SELECT state || '/' || coalesce(last_error, '-')"
	    " FROM sync_jobs WHERE id = $1::bigint", 1, p);
}

static void
assert_job(const char *id, const char *want)
{
	char *s = job_state(id);

	ck_assert_ptr_nonnull(s);
	ck_assert_msg(strncmp(s, want, strlen(want)) == 0, "job %s is %s, "
	    "want %s", id, s, want);
	free(s);
}

START_TEST(day2_jobs_retry_cancel)
{
	char		 store[64], *id, *id2, *out;
	const char	*p[1] = { store };

	it_store("Jobs admin", store, sizeof(store));
	/* Jobs are a connection's (sql/011): one without Klaviyo. */
	free(it_add_conn(store, "disconnected", "itJobs"));
	id = it_sql_value("INSERT INTO sync_jobs (store_id, connection_id,"
	    " type, mode, state, finished_at, last_error) SELECT k.store_id,"
	    " k.id, 'flows', 'full', 'failed', now(), 'it boom'"
	    " FROM klaviyo_connections k WHERE k.id = " IT_SQL_PRIMARY_ID("$1")
	    " RETURNING id", 1, p);
	ck_assert_ptr_nonnull(id);

	out = expect(0, "jobs list", ADM " jobs list --store '%s' --state "
	    "failed --limit 5 2>&1", store);
	ck_assert_msg(strstr(out, id) && strstr(out, "it boom") &&
	    strstr(out, "failed"), "%s", out);
	free(out);
	out = expect(0, "jobs list queued", ADM " jobs list --store '%s' "
	    "--state queued 2>&1", store);
	ck_assert_msg(strstr(out, "it boom") == NULL, "%s", out);
	free(out);

	expect_free(0, "retry failed", ADM " jobs retry %s 2>&1", id);
	assert_job(id, "queued/-");
	expect_free(3, "retry queued", ADM " jobs retry %s 2>&1", id);
	expect_free(0, "cancel queued", ADM " jobs cancel %s 2>&1", id);
	assert_job(id, "cancelled/cancelled by klaviyo-admin");
	expect_free(3, "cancel cancelled", ADM " jobs cancel %s 2>&1", id);
	expect_free(0, "retry cancelled", ADM " jobs retry %s 2>&1", id);
	assert_job(id, "queued/-");

	/* A queued job of the same store and type is in the way. */
	id2 = it_sql_value("INSERT INTO sync_jobs (store_id, connection_id,"
	    " type, mode, state, finished_at) SELECT k.store_id, k.id,"
	    " 'flows', 'full', 'failed', now() FROM klaviyo_connections k"
	    " WHERE k.id = " IT_SQL_PRIMARY_ID("$1") " RETURNING id", 1, p);
	out = expect(3, "retry beside a queued one", ADM " jobs retry %s "
	    "2>&1", id2);
	ck_assert_msg(strstr(out, "queued already") != NULL, "%s", out);
	free(out);
	assert_job(id2, "failed");

	expect_free(4, "retry a ghost", ADM " jobs retry 99999999999");
	expect_free(2, "retry a word", ADM " jobs retry abc");
	expect_free(2, "bad state", ADM " jobs list --state lost");
	expect_free(4, "unknown store", ADM " jobs list --store nosuch");
	expect_free(2, "stray", ADM " jobs cancel %s %s", id, "extra");
	/* Leave nothing queued for the daemons of later tests. */
	PQclear(it_sql("UPDATE sync_jobs SET state = 'cancelled' WHERE"
	    " state = 'queued' AND store_id = (SELECT id FROM stores"
	    " WHERE public_id = $1)", 1, p));
	free(id);
	free(id2);
}
END_TEST

/* --------------------------------------------------------- triggers -- */

START_TEST(day2_triggers_redeliver)
{
	char		 store[64], payload[256], *id, *out, *st;
	const char	*p[2] = { store, payload };
	const char	*q[1];
	int		 rc;

	it_store("Trigger admin", store, sizeof(store));
	it_isolate(store);
	/* Not connected: the built-in report server takes it, no jobs. */
	snprintf(payload, sizeof(payload), "{\"store_public_id\":\"%s\","
	    "\"klaviyo_public_id\":\"" IT_ACCT_ACME "\","
	    "\"do_not_order_sync\":true}", store);
	id = it_sql_value("INSERT INTO report_triggers (store_id, payload,"
	    " attempts, delivered_at) SELECT id, $2::jsonb, 1,"
	    " now() - interval '1 hour' FROM stores WHERE public_id = $1"
	    " RETURNING id", 2, p);
	ck_assert_ptr_nonnull(id);
	q[0] = id;

	out = expect(0, "triggers list", ADM " triggers list");
	ck_assert_msg(strstr(out, store) && strstr(out, "delivered"), "%s",
	    out);
	free(out);
	out = expect(0, "triggers list --pending", ADM " triggers list "
	    "--pending");
	ck_assert_msg(strstr(out, store) == NULL, "%s", out);
	free(out);

	expect_free(0, "redeliver", ADM " triggers redeliver %s 2>&1", id);
	st = it_sql_value("SELECT (delivered_at IS NULL)::text || attempts"
	    " FROM report_triggers WHERE id = $1::bigint", 1, q);
	ck_assert_str_eq(st, "true0");
	free(st);
	out = expect(0, "pending now", ADM " triggers list --pending");
	ck_assert_msg(strstr(out, store) != NULL, "%s", out);
	free(out);

	/* The outbox delivers it again. */
	rc = it_run(&out, "REPORT_SERVER= timeout 60 %s --once --no-jobs "
	    "2>&1", getenv("KC_TEST_SYNCD"));
	ck_assert_msg(rc == 0, "syncd exit %d: %s", rc, out);
	free(out);
	st = it_sql_value("SELECT (delivered_at > now() - interval '5 min')"
	    "::text || attempts FROM report_triggers WHERE id = $1::bigint",
	    1, q);
	ck_assert_str_eq(st, "true1");
	free(st);
	expect_free(4, "redeliver a ghost", ADM " triggers redeliver "
	    "99999999999");
	expect_free(2, "stray", ADM " triggers list --pending %s", "x");
	free(id);
}
END_TEST

/* ------------------------------------------------------- migrations -- */

static void
migr_dir(char *dir, size_t len)
{
	const char *state = getenv("KC_TEST_STATE");

	ck_assert_ptr_nonnull(state);
	snprintf(dir, len, "%s/migr2.XXXXXX", state);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* klaviyo-admin runs as the service user. */
	ck_assert_int_eq(chmod(dir, 0755), 0);
	ck_assert_int_eq(it_system("mkdir '%s/sql' && cp \"$KC_SQL_DIR\"/*.sql"
	    " '%s/sql/'", dir, dir), 0);
}

static void
put_file(const char *dir, const char *name, const char *text)
{
	char	 path[1024];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/sql/%s", dir, name);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	ck_assert_int_ge(fputs(text, fp), 0);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_int_eq(chmod(path, 0644), 0);
}

static void
day2_clean(void)
{
	const char	*url = getenv("KC_TEST_DATABASE_URL");
	PGconn		*c;

	if (url == NULL)
		return;
	c = PQconnectdb(url);
	if (PQstatus(c) == CONNECTION_OK) {
		PQclear(PQexec(c, "SET client_min_messages = error;"
		    " DROP TABLE IF EXISTS it_extra_902;"
		    " DELETE FROM schema_migrations WHERE version = 902;"
		    " INSERT INTO schema_migrations"
		    "  SELECT * FROM it_day2_sm ON CONFLICT DO NOTHING;"));
		PQclear(PQexec(c, "DROP TABLE IF EXISTS it_day2_sm"));
	}
	PQfinish(c);
}

START_TEST(day2_migrate_status_and_dry_run)
{
	char	dir[512], sqldir[600], *out;

	migr_dir(dir, sizeof(dir));
	snprintf(sqldir, sizeof(sqldir), "%s/sql", dir);
	expect_free(0, "status, up to date", ADM " migrate --status --dir "
	    "'%s' 2>&1", sqldir);
	put_file(dir, "902_day2_pending.sql",
	    "CREATE TABLE it_extra_902 (id integer);\n");
	out = expect(5, "status, one pending", ADM " migrate --status --dir "
	    "'%s' 2>&1", sqldir);
	ck_assert_msg(strstr(out, "pending  902_day2_pending.sql"), "%s", out);
	free(out);
	out = expect(0, "dry run", ADM " migrate --dry-run --dir '%s' 2>&1",
	    sqldir);
	ck_assert_msg(strstr(out, "would apply  902_day2_pending.sql") &&
	    strstr(out, "001_foundation") == NULL, "%s", out);
	free(out);
	/* Neither applied nor recorded anything. */
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM schema_migrations"
	    " WHERE version = 902", 0, NULL), 0);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM pg_tables"
	    " WHERE tablename = 'it_extra_902'", 0, NULL), 0);
	expect_free(2, "status and dry run", ADM " migrate --status --dry-run"
	    " --dir '%s' 2>&1", sqldir);

	put_file(dir, "90_misnamed.sql", "SELECT 1;\n");
	out = expect(1, "misnamed file", ADM " migrate --dir '%s' 2>&1",
	    sqldir);
	ck_assert_msg(strstr(out, "90_misnamed.sql") &&
	    strstr(out, "NNN_name.sql"), "%s", out);
	free(out);
	expect_free(1, "misnamed file, status", ADM " migrate --status --dir "
	    "'%s' 2>&1", sqldir);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM schema_migrations"
	    " WHERE version = 902", 0, NULL), 0);
	it_system("rm -rf '%s'", dir);
}
END_TEST

/* An older schema: 006 not recorded (put back by day2_clean). */
static void
schema_older(void)
{
	PQclear(it_sql("CREATE TABLE it_day2_sm AS SELECT * FROM"
	    " schema_migrations WHERE version = 6", 0, NULL));
	PQclear(it_sql("DELETE FROM schema_migrations WHERE version = 6", 0,
	    NULL));
}

static int
lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

START_TEST(day2_services_refuse_older_schema)
{
	static const char *const progs[] = { "fcgi/klaviyo-connect-fcgi",
	    "syncd/klaviyo-syncd" };
	char	 bin[1200], sock[256], *out;
	size_t	 i;
	int	 st;

	snprintf(sock, sizeof(sock), "%s/run/it-schema-%s.sock",
	    getenv("KC_TEST_STATE"), it_unique());
	schema_older();
	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		program(progs[i], bin, sizeof(bin));
		st = it_run(&out, "KC_SOCKET='%s' timeout -k 2 20 '%s' --once"
		    " 2>&1 </dev/null", sock, bin);
		/* fcgi takes no --once: run it without. */
		if (i == 0) {
			free(out);
			st = it_run(&out, "KC_SOCKET='%s' timeout -k 2 20 '%s'"
			    " 2>&1 </dev/null", sock, bin);
		}
		ck_assert_msg(st == 5, "%s: exit %d, want 5: %s", progs[i], st,
		    out);
		ck_assert_msg(strstr(out, "006_day2_admin.sql") != NULL &&
		    strstr(out, "klaviyo-admin migrate") != NULL, "%s: %s",
		    progs[i], out);
		ck_assert_msg(lines(out) == 1, "%s: not one line: %s",
		    progs[i], out);
		ck_assert_msg(access(sock, F_OK) != 0, "%s bound %s", progs[i],
		    sock);
		free(out);
	}
	/* And migrate --status says so too. */
	expect_free(5, "status on the older schema", ADM " migrate --status");
	day2_clean();
	expect_free(0, "status again", ADM " migrate --status");
	/* The running service was not disturbed. */
	ck_assert_int_eq(me_status("x"), 401);
}
END_TEST

/* ------------------------------------------------------------ prune -- */

/* Old and new rows in every pruned table, marked with tag. */
static void
prune_fixtures(const char *tag, const char *store, long long uid)
{
	char		 id[24];
	const char	*p[3] = { tag, store, id };
	const char	*q[2] = { tag, id };

	snprintf(id, sizeof(id), "%lld", uid);
	PQclear(it_sql("INSERT INTO audit_log (at, action, outcome) VALUES"
	    " (now() - interval '400 days', $1, 'old'), (now(), $1, 'new')",
	    1, p));
	free(it_add_conn(store, "disconnected", "itPrune"));
	PQclear(it_sql("INSERT INTO sync_jobs (store_id, connection_id, type,"
	    " mode, state, finished_at, last_error) SELECT k.store_id, k.id,"
	    " 'forms', 'full', v.st, now() - v.age, $1"
	    " FROM klaviyo_connections k, (VALUES ('done', interval '40 days'),"
	    " ('failed', interval '1 hour')) v(st, age)"
	    " WHERE k.id = " IT_SQL_PRIMARY_ID("$2"), 2, p));
	PQclear(it_sql("INSERT INTO report_triggers (store_id, payload,"
	    " delivered_at, last_error) SELECT s.id, '{}', now() - v.age, $1"
	    " FROM stores s, (VALUES (interval '40 days'), (interval '1 hour'))"
	    " v(age) WHERE s.public_id = $2", 2, p));
	PQclear(it_sql("INSERT INTO rate_buckets (account_key, endpoint,"
	    " window_ms, limit_count, updated_at) VALUES"
	    " ($1, 'old', 1000, 1, now() - interval '3 days'),"
	    " ($1, 'new', 1000, 1, now())", 1, p));
	PQclear(it_sql("INSERT INTO login_throttle (key, failures,"
	    " window_start) VALUES ($1 || ':old', 1, now() - interval '8 days'),"
	    " ($1 || ':new', 1, now())", 1, p));
	PQclear(it_sql("INSERT INTO report_requests (idempotency_key, response,"
	    " created_at) VALUES ($1 || ':old', 'x', now() - interval '31 days'),"
	    " ($1 || ':new', 'x', now())", 1, p));
	PQclear(it_sql("INSERT INTO sessions (token_hash, user_id, expires_at)"
	    " VALUES (sha256(($1 || 'o')::bytea), $2::bigint,"
	    "  now() - interval '8 days'),"
	    " (sha256(($1 || 'n')::bytea), $2::bigint,"
	    "  now() - interval '1 hour')", 2, q));
	PQclear(it_sql("INSERT INTO oauth_flows (state_hash, user_id, store_id,"
	    " key_version, nonce, ciphertext, tag, created_at, expires_at)"
	    " SELECT encode(sha256(($1 || v.k)::bytea), 'hex'), $3::bigint,"
	    " s.id, 1, decode('000000000000000000000000', 'hex'), '\\x00',"
	    " decode('00000000000000000000000000000000', 'hex'),"
	    " now() - v.age, now() - v.age FROM stores s, (VALUES"
	    " ('o', interval '8 days'), ('n', interval '1 hour')) v(k, age)"
	    " WHERE s.public_id = $2", 3, p));
}

/* Rows of the fixtures left: old ones, new ones. */
static void
prune_left(const char *tag, long long uid, long long *old, long long *new)
{
	char		 id[24];
	const char	*p[2] = { tag, id };

	snprintf(id, sizeof(id), "%lld", uid);
	*old = it_sql_count("SELECT"
	    " (SELECT count(*) FROM audit_log WHERE action = $1"
	    "  AND outcome = 'old')"
	    " + (SELECT count(*) FROM sync_jobs WHERE last_error = $1"
	    "  AND state = 'done')"
	    " + (SELECT count(*) FROM report_triggers WHERE last_error = $1"
	    "  AND delivered_at < now() - interval '1 day')"
	    " + (SELECT count(*) FROM rate_buckets WHERE account_key = $1"
	    "  AND endpoint = 'old')"
	    " + (SELECT count(*) FROM login_throttle WHERE key = $1 || ':old')"
	    " + (SELECT count(*) FROM report_requests"
	    "  WHERE idempotency_key = $1 || ':old')"
	    " + (SELECT count(*) FROM sessions WHERE user_id = $2::bigint"
	    "  AND expires_at < now() - interval '1 day')"
	    " + (SELECT count(*) FROM oauth_flows WHERE user_id = $2::bigint"
	    "  AND expires_at < now() - interval '1 day')", 2, p);
	*new = it_sql_count("SELECT"
	    " (SELECT count(*) FROM audit_log WHERE action = $1"
	    "  AND outcome = 'new')"
	    " + (SELECT count(*) FROM sync_jobs WHERE last_error = $1"
	    "  AND state = 'failed')"
	    " + (SELECT count(*) FROM report_triggers WHERE last_error = $1"
	    "  AND delivered_at > now() - interval '1 day')"
	    " + (SELECT count(*) FROM rate_buckets WHERE account_key = $1"
	    "  AND endpoint = 'new')"
	    " + (SELECT count(*) FROM login_throttle WHERE key = $1 || ':new')"
	    " + (SELECT count(*) FROM report_requests"
	    "  WHERE idempotency_key = $1 || ':new')"
	    " + (SELECT count(*) FROM sessions WHERE user_id = $2::bigint"
	    "  AND expires_at > now() - interval '1 day')"
	    " + (SELECT count(*) FROM oauth_flows WHERE user_id = $2::bigint"
	    "  AND expires_at > now() - interval '1 day')", 2, p);
}

START_TEST(day2_prune_deletes_old_keeps_new)
{
	char		 store[64], email[128], tag[64], *out;
	long long	 uid, old, new;

	it_store("Prune", store, sizeof(store));
	uid = it_user("prune", email, sizeof(email));
	snprintf(tag, sizeof(tag), "it-prune-%s", it_unique());
	prune_fixtures(tag, store, uid);
	prune_left(tag, uid, &old, &new);
	ck_assert_int_eq(old, 8);
	ck_assert_int_eq(new, 8);

	out = expect(0, "prune --dry-run", ADM " prune --dry-run 2>&1");
	ck_assert_msg(strstr(out, "would be deleted") &&
	    strstr(out, "oauth_flows"), "%s", out);
	free(out);
	prune_left(tag, uid, &old, &new);
	ck_assert_int_eq(old, 8);

	out = expect(0, "prune", ADM " prune 2>&1");
	ck_assert_msg(strstr(out, "audit_log") && strstr(out, "deleted"),
	    "%s", out);
	free(out);
	prune_left(tag, uid, &old, &new);
	ck_assert_int_eq(old, 0);
	ck_assert_int_eq(new, 8);
	expect_free(2, "stray", ADM " prune --now");
}
END_TEST

START_TEST(day2_syncd_prunes_once_a_day)
{
	char		 tag[64], *out;
	const char	*p[1] = { tag };
	int		 rc;

	snprintf(tag, sizeof(tag), "it-daily-%s", it_unique());
	PQclear(it_sql("DELETE FROM maintenance_runs", 0, NULL));
	PQclear(it_sql("INSERT INTO audit_log (at, action, outcome) VALUES"
	    " (now() - interval '400 days', $1, 'first')", 1, p));
	rc = it_run(&out, "REPORT_SERVER= timeout 60 %s --once --no-jobs 2>&1",
	    getenv("KC_TEST_SYNCD"));
	ck_assert_msg(rc == 0, "syncd exit %d: %s", rc, out);
	free(out);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM audit_log"
	    " WHERE action = $1", 1, p), 0);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM maintenance_runs"
	    " WHERE name = 'prune' AND last_run_at > now() - interval '5 min'",
	    0, NULL), 1);
	/* Two daemons at once, and the same day again: no second prune. */
	PQclear(it_sql("INSERT INTO audit_log (at, action, outcome) VALUES"
	    " (now() - interval '400 days', $1, 'second')", 1, p));
	rc = it_system("REPORT_SERVER= timeout 60 %s --once --no-jobs"
	    " >/dev/null 2>&1 & REPORT_SERVER= timeout 60 %s --once --no-jobs"
	    " >/dev/null 2>&1; wait", getenv("KC_TEST_SYNCD"),
	    getenv("KC_TEST_SYNCD"));
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM audit_log"
	    " WHERE action = $1", 1, p), 1);
	PQclear(it_sql("DELETE FROM audit_log WHERE action = $1", 1, p));
}
END_TEST

/* ------------------------------------------------- every program -- */

START_TEST(day2_version_and_stray_arguments)
{
	static const char *const progs[] = { "admin/klaviyo-admin",
	    "fcgi/klaviyo-connect-fcgi", "syncd/klaviyo-syncd" };
	char	 bin[1200], sbx[1200], *out;
	size_t	 i;

	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		program(progs[i], bin, sizeof(bin));
		out = expect(0, progs[i], "'%s' --version 2>&1", bin);
		ck_assert_msg(strncmp(out, strchr(progs[i], '/') + 1,
		    strlen(strchr(progs[i], '/') + 1)) == 0 && lines(out) == 1,
		    "%s --version: %s", progs[i], out);
		free(out);
		out = expect(2, progs[i], "'%s' stray-argument 2>&1", bin);
		ck_assert_msg(strstr(out, "usage:") != NULL, "%s: %s",
		    progs[i], out);
		free(out);
	}
	program("admin/klaviyo-admin", bin, sizeof(bin));
	expect_free(2, "admin --version extra", "'%s' --version extra 2>&1",
	    bin);
	expect_free(2, "admin user list extra", "'%s' user list extra 2>&1",
	    bin);
	expect_free(2, "admin session list", "'%s' session list 2>&1",
	    bin);
	program("syncd/klaviyo-syncd", bin, sizeof(bin));
	expect_free(2, "syncd --once extra", "'%s' --once extra 2>&1", bin);
	snprintf(sbx, sizeof(sbx), "%s/sandbox/klaviyo-sandbox",
	    getenv("KC_TEST_BUILD"));
	out = expect(0, "sandbox --version", "'%s' --version 2>&1", sbx);
	ck_assert_msg(strncmp(out, "klaviyo-sandbox ", 16) == 0, "%s", out);
	free(out);
	expect_free(2, "sandbox stray", "'%s' --listen 127.0.0.1:0 extra "
	    "2>&1", sbx);
}
END_TEST

START_TEST(day2_root_refused)
{
	static const char *const progs[] = { "admin/klaviyo-admin",
	    "fcgi/klaviyo-connect-fcgi", "syncd/klaviyo-syncd" };
	char		 bin[1200], sock[256], *out;
	const char	*build = getenv("KC_TEST_BUILD");
	size_t		 i;
	int		 st;

	if (geteuid() != 0) {
		fprintf(stderr, "day2_root_refused: skipped (not root)\n");
		return;
	}
	ck_assert_ptr_nonnull(build);
	snprintf(sock, sizeof(sock), "%s/run/it-root-%s.sock",
	    getenv("KC_TEST_STATE"), it_unique());
	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		snprintf(bin, sizeof(bin), "%s/src/%s", build, progs[i]);
		st = it_run(&out, "KC_SOCKET='%s' timeout -k 2 20 '%s'%s 2>&1"
		    " </dev/null", sock, bin, i == 0 ? " user list" : "");
		ck_assert_msg(st == 6, "%s as root: exit %d: %s", progs[i], st,
		    out);
		ck_assert_msg(strstr(out, "refusing to run as root") &&
		    lines(out) == 1, "%s: %s", progs[i], out);
		ck_assert_msg(access(sock, F_OK) != 0, "bound %s", sock);
		free(out);
	}
	/* Only migrate, and only when asked. */
	snprintf(bin, sizeof(bin), "%s/src/admin/klaviyo-admin", build);
	expect_free(6, "migrate as root", "'%s' migrate --status 2>&1", bin);
	expect_free(0, "migrate --allow-root", "'%s' migrate --status "
	    "--allow-root 2>&1", bin);
	expect_free(6, "--allow-root elsewhere", "'%s' user list --allow-root"
	    " 2>&1", bin);
	/* --version and --help need nothing and work for anyone. */
	expect_free(0, "version as root", "'%s' --version", bin);
}
END_TEST

Suite *
suite_admin_day2(void)
{
	Suite	*s = suite_create("admin_day2");
	TCase	*tc;

	tc = tcase_create("accounts");
	tcase_add_test(tc, day2_disabled_user_cannot_log_in);
	tcase_add_test(tc, day2_password_reset_revokes_sessions);
	tcase_add_test(tc, day2_session_list_and_revoke);
	suite_add_tcase(s, tc);

	tc = tcase_create("queue");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, day2_jobs_retry_cancel);
	tcase_add_test(tc, day2_triggers_redeliver);
	suite_add_tcase(s, tc);

	/* Puts back schema_migrations, pass or fail. */
	tc = tcase_create("schema");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, day2_clean, day2_clean);
	tcase_add_test(tc, day2_migrate_status_and_dry_run);
	tcase_add_test(tc, day2_services_refuse_older_schema);
	suite_add_tcase(s, tc);

	tc = tcase_create("prune");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, day2_prune_deletes_old_keeps_new);
	tcase_add_test(tc, day2_syncd_prunes_once_a_day);
	suite_add_tcase(s, tc);

	tc = tcase_create("programs");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, day2_version_and_stray_arguments);
	tcase_add_test(tc, day2_root_refused);
	suite_add_tcase(s, tc);
	return s;
}
