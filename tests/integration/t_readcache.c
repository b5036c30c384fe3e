/*
 * The workers' read cache (src/core/readcache.c) never serves what
 * changed: after a logout, a revoke of all sessions, a disabled user, a
 * lost or changed role, a new integration status or sync progress, the
 * first request EVERY worker serves answers the new state.
 *
 * Which worker served a request is read from /proc: the one whose
 * voluntary context switches moved while the request ran (an idle
 * worker sleeps in accept()); a request where several moved is not
 * attributed.  Each case first has every worker answer the old state (so
 * each has it cached), then changes it, then sends requests until every
 * worker has answered one, checking every answer (bounded loops).
 */
#include "itest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NWORKERS	3	/* KC_WORKERS in run.sh */
#define MAX_TRIES	400

static long
switches(pid_t pid)
{
	char	 path[64], line[128];
	long	 n = -1;
	FILE	*fp;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp))
		if (sscanf(line, "voluntary_ctxt_switches: %ld", &n) == 1)
			break;
	fclose(fp);
	return n;
}

typedef void (*check_fn)(const struct it_resp *, const void *);

/*
 * GETs path until each worker has served one, checking every answer;
 * fails when some worker served none within MAX_TRIES requests.
 */
static void
on_every_worker(const char *path, const char *tok, check_fn check,
    const void *want)
{
	pid_t		 w[8];
	long		 before[8], after;
	int		 n, i, tries, moved, who, seen = 0, done[8] = { 0 };
	struct it_resp	 r;

	n = it_fcgi_workers(it_fcgi_master(), w, 8);
	ck_assert_int_eq(n, NWORKERS);
	for (tries = 0; tries < MAX_TRIES && seen < n; tries++) {
		for (i = 0; i < n; i++)
			before[i] = switches(w[i]);
		it_get(path, tok, &r);
		moved = 0;
		who = -1;
		for (i = 0; i < n; i++) {
			after = switches(w[i]);
			ck_assert_msg(after >= 0, "worker %d is gone", (int)w[i]);
			if (after != before[i]) {
				moved++;
				who = i;
			}
		}
		check(&r, want);
		it_resp_free(&r);
		if (moved == 1 && !done[who]) {
			done[who] = 1;
			seen++;
		}
	}
	ck_assert_msg(seen == n, "only %d of %d workers served one of %d "
	    "requests", seen, n, tries);
}

static void
want_status(const struct it_resp *r, const void *arg)
{
	long want = *(const long *)arg;

	ck_assert_msg(r->status == want, "HTTP %ld, want %ld: %s", r->status,
	    want, r->body);
}

static void
want_can_manage(const struct it_resp *r, const void *arg)
{
	int want = *(const int *)arg;

	ck_assert_msg(r->status == 200, "HTTP %ld: %s", r->status, r->body);
	ck_assert_int_eq(it_jbool(r->json, "can_manage"), want);
}

static void
want_integ_status(const struct it_resp *r, const void *arg)
{
	struct json_object *ki;

	ck_assert_msg(r->status == 200, "HTTP %ld: %s", r->status, r->body);
	ki = it_jget(r->json, "klaviyo_integration");
	ck_assert_str_eq(it_jstr(ki, "status"), (const char *)arg);
}

static void
want_sync_status(const struct it_resp *r, const void *arg)
{
	struct json_object *ki;

	ck_assert_msg(r->status == 200, "HTTP %ld: %s", r->status, r->body);
	ki = it_jget(r->json, "klaviyo_integration");
	ck_assert_msg(strcmp(it_jstr(ki, "sync_status"), arg) == 0,
	    "sync_status %s, want %s", it_jstr(ki, "sync_status"),
	    (const char *)arg);
}

static void
status_path(const char *store, char *path, size_t len)
{
	snprintf(path, len, "/api/store/%s/klaviyo-connect", store);
}

/* A store and its owner (email, bearer token); every worker warmed. */
static long long
warm_owner(char *store, size_t slen, char *email, size_t elen, char *tok,
    size_t tlen, char *path, size_t plen)
{
	static const long ok = 200;
	long long uid;

	it_store("Cached", store, slen);
	uid = it_user("owner", email, elen);
	it_grant(email, store, "owner");
	it_token(uid, tok, tlen);
	status_path(store, path, plen);
	on_every_worker(path, tok, want_status, &ok);
	return uid;
}

START_TEST(cache_logout_every_worker)
{
	static const long unauth = 401;
	char		 store[32], email[128], tok[64], path[256];
	struct it_resp	 r;

	warm_owner(store, sizeof(store), email, sizeof(email), tok,
	    sizeof(tok), path, sizeof(path));
	it_post("/api/auth/logout", tok, "{}", &r);
	ck_assert_msg(r.status == 200, "logout %ld: %s", r.status, r.body);
	it_resp_free(&r);
	on_every_worker(path, tok, want_status, &unauth);
	on_every_worker("/api/me", tok, want_status, &unauth);
}
END_TEST

/* klaviyo-admin session revoke, then user disable of a new session. */
START_TEST(cache_admin_revoke_and_disable_every_worker)
{
	static const long ok = 200, unauth = 401;
	char		 store[32], email[128], tok[64], path[256], *out;
	long long	 uid;
	int		 st;

	uid = warm_owner(store, sizeof(store), email, sizeof(email), tok,
	    sizeof(tok), path, sizeof(path));
	st = it_run(&out, "%s session revoke '%s' 2>&1",
	    getenv("KC_TEST_ADMIN"), email);
	ck_assert_msg(st == 0, "session revoke: %d %s", st, out);
	free(out);
	on_every_worker(path, tok, want_status, &unauth);

	it_token(uid, tok, sizeof(tok));
	on_every_worker(path, tok, want_status, &ok);
	st = it_run(&out, "%s user disable '%s' 2>&1",
	    getenv("KC_TEST_ADMIN"), email);
	ck_assert_msg(st == 0, "user disable: %d %s", st, out);
	free(out);
	on_every_worker(path, tok, want_status, &unauth);
}
END_TEST

/* A lower role loses can_manage (klaviyo-admin grant), none is 404. */
START_TEST(cache_permission_changes_every_worker)
{
	static const long gone = 404;
	static const int yes = 1, no = 0;
	char	 store[32], email[128], tok[64], path[256], *out;
	int	 st;

	warm_owner(store, sizeof(store), email, sizeof(email), tok,
	    sizeof(tok), path, sizeof(path));
	on_every_worker(path, tok, want_can_manage, &yes);
	st = it_run(&out, "%s grant '%s' '%s' viewer 2>&1",
	    getenv("KC_TEST_ADMIN"), email, store);
	ck_assert_msg(st == 0, "grant: %d %s", st, out);
	free(out);
	on_every_worker(path, tok, want_can_manage, &no);
	it_revoke_all(store);
	on_every_worker(path, tok, want_status, &gone);
}
END_TEST

/*
 * The integration's status, then a sync job, as syncd would write them;
 * then the connection's document changed and the connection removed
 * (sql/011: a connection row added, updated, deleted).
 */
START_TEST(cache_status_changes_every_worker)
{
	static const char connected[] =
	    "{\"status\":\"connected\",\"public_id\":\"Ca5Hed\","
	    "\"connected_at\":\"2026-01-01T00:00:00Z\"}";
	static const char error[] =
	    "{\"status\":\"error\",\"public_id\":\"Ca5Hed\","
	    "\"connected_at\":\"2026-01-01T00:00:00Z\"}";
	char		 store[32], email[128], tok[64], path[256];
	const char	*ps[1] = { store };

	warm_owner(store, sizeof(store), email, sizeof(email), tok,
	    sizeof(tok), path, sizeof(path));
	on_every_worker(path, tok, want_integ_status, "not_configured");
	free(it_set_integ(store, connected));
	on_every_worker(path, tok, want_integ_status, "connected");
	on_every_worker(path, tok, want_sync_status, "idle");
	PQclear(it_sql("INSERT INTO sync_jobs (store_id, connection_id, type,"
	    " mode, state) SELECT k.store_id, k.id, 'flows', 'full', 'running'"
	    " FROM klaviyo_connections k WHERE k.id = "
	    IT_SQL_PRIMARY_ID("$1"), 1, ps));
	on_every_worker(path, tok, want_sync_status, "running");
	PQclear(it_sql("UPDATE sync_jobs SET state = 'failed',"
	    " last_error = 'boom' WHERE store_id = (SELECT id FROM stores"
	    " WHERE public_id = $1)", 1, ps));
	on_every_worker(path, tok, want_sync_status, "failed");
	free(it_set_integ(store, error));
	on_every_worker(path, tok, want_integ_status, "error");
	PQclear(it_sql("DELETE FROM klaviyo_connections WHERE id = "
	    IT_SQL_PRIMARY_ID("$1"), 1, ps));
	on_every_worker(path, tok, want_integ_status, "not_configured");
}
END_TEST

/* The kc_cache payloads the test's own connection got, space-separated. */
static void
payloads(char *out, size_t len)
{
	PGconn		*c = it_db();
	PGnotify	*n;
	size_t		 o = 0;

	out[0] = '\0';
	ck_assert_int_eq(PQconsumeInput(c), 1);
	while ((n = PQnotifies(c)) != NULL) {
		if (strcmp(n->relname, "kc_cache") == 0 && o < len)
			o += (size_t)snprintf(out + o, len - o, "%s ", n->extra);
		PQfreemem(n);
	}
}

/*
 * Sync progress (jobs, sync states) announces p:<store>, which drops the
 * status answers only (sql/016); the connection's document s:<store>,
 * which drops the access too.  Either way every worker shows the change
 * on the next request.
 */
START_TEST(cache_progress_payloads)
{
	static const char connected[] =
	    "{\"status\":\"connected\",\"public_id\":\"Pr0gr5\","
	    "\"connected_at\":\"2026-01-01T00:00:00Z\"}";
	char		 store[32], email[128], tok[64], path[256], got[512];
	char		 want[64], *id;
	const char	*ps[1] = { store };

	warm_owner(store, sizeof(store), email, sizeof(email), tok,
	    sizeof(tok), path, sizeof(path));
	free(it_set_integ(store, connected));
	id = it_sql_value("SELECT id FROM stores WHERE public_id = $1", 1, ps);
	PQclear(it_sql("LISTEN kc_cache", 0, NULL));
	payloads(got, sizeof(got));
	PQclear(it_sql("INSERT INTO sync_jobs (store_id, connection_id, type,"
	    " mode, state) SELECT k.store_id, k.id, 'flows', 'full', 'running'"
	    " FROM klaviyo_connections k WHERE k.id = "
	    IT_SQL_PRIMARY_ID("$1"), 1, ps));
	payloads(got, sizeof(got));
	snprintf(want, sizeof(want), "p:%s ", id);
	ck_assert_str_eq(got, want);
	on_every_worker(path, tok, want_sync_status, "running");
	PQclear(it_sql("UPDATE sync_jobs SET progress ="
	    " '{\"done\":3,\"total\":9}' WHERE store_id = $1::bigint", 1,
	    (const char *[]){ id }));
	payloads(got, sizeof(got));
	ck_assert_str_eq(got, want);
	PQclear(it_sql("INSERT INTO klaviyo_syncs (klaviyo_public_id, store_id,"
	    " connection_id, state) SELECT 'Pr0gr5', k.store_id, k.id, '{}'"
	    " FROM klaviyo_connections k WHERE k.id = "
	    IT_SQL_PRIMARY_ID("$1"), 1, ps));
	payloads(got, sizeof(got));
	ck_assert_str_eq(got, want);
	PQclear(it_sql("UPDATE sync_jobs SET state = 'done'"
	    " WHERE store_id = $1::bigint", 1, (const char *[]){ id }));
	payloads(got, sizeof(got));
	ck_assert_str_eq(got, want);
	on_every_worker(path, tok, want_sync_status, "completed");
	/* The connection's document: the store, access and all. */
	free(it_set_integ(store, connected));
	payloads(got, sizeof(got));
	snprintf(want, sizeof(want), "s:%s ", id);
	ck_assert_str_eq(got, want);
	PQclear(it_sql("UNLISTEN kc_cache", 0, NULL));
	free(id);
}
END_TEST

Suite *
suite_readcache(void)
{
	Suite	*s = suite_create("readcache");
	TCase	*tc = tcase_create("readcache");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, cache_logout_every_worker);
	tcase_add_test(tc, cache_admin_revoke_and_disable_every_worker);
	tcase_add_test(tc, cache_permission_changes_every_worker);
	tcase_add_test(tc, cache_status_changes_every_worker);
	tcase_add_test(tc, cache_progress_payloads);
	suite_add_tcase(s, tc);
	return s;
}
