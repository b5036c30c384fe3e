/* Integration test helpers; see itest.h. */
#include "itest.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "password.h"
#include "session.h"

static PGconn *conn;

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	ck_assert_msg(v != NULL && *v, "%s is not set (run via run.sh)",
	    name);
	return v;
}

struct sink {
	char	*p;
	size_t	 n;
};

static size_t
collect(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct sink	*s = arg;
	size_t		 n = size * nmemb;
	char		*q = realloc(s->p, s->n + n + 1);

	if (q == NULL)
		return 0;
	memcpy(q + s->n, ptr, n);
	s->n += n;
	q[s->n] = '\0';
	s->p = q;
	return n;
}

/* One transfer being prepared or run. */
struct xfer {
	CURL			*c;
	struct curl_slist	*list;
	struct sink		 b, h;
	struct it_resp		*r;
	char			 what[256];
};

static void
xfer_new(struct xfer *x, const char *base, const char *method,
    const char *path, const char *const *hdrs, const char *body,
    size_t bodylen, struct it_resp *r)
{
	char	url[16384];
	size_t	i;

	memset(x, 0, sizeof(*x));
	memset(r, 0, sizeof(*r));
	x->r = r;
	snprintf(x->what, sizeof(x->what), "%s %.200s", method, path);
	if (strncmp(path, "http://", 7) == 0)
		snprintf(url, sizeof(url), "%s", path);
	else
		snprintf(url, sizeof(url), "%s%s", base, path);
	x->c = curl_easy_init();
	ck_assert_ptr_nonnull(x->c);
	curl_easy_setopt(x->c, CURLOPT_URL, url);
	curl_easy_setopt(x->c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(x->c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(x->c, CURLOPT_WRITEDATA, &x->b);
	curl_easy_setopt(x->c, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(x->c, CURLOPT_HEADERDATA, &x->h);
	curl_easy_setopt(x->c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(x->c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->c, CURLOPT_PATH_AS_IS, 1L);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(x->c, CURLOPT_NOBODY, 1L);
	/* No automatic "Expect: 100-continue" or default content type. */
	x->list = curl_slist_append(x->list, "Expect:");
	for (i = 0; hdrs && hdrs[i]; i++)
		x->list = curl_slist_append(x->list, hdrs[i]);
	curl_easy_setopt(x->c, CURLOPT_HTTPHEADER, x->list);
	if (body) {
		curl_easy_setopt(x->c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(x->c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)bodylen);
	}
}

static void
xfer_finish(struct xfer *x, CURLcode cc)
{
	struct it_resp *r = x->r;

	ck_assert_msg(cc == CURLE_OK, "%s: %s", x->what,
	    curl_easy_strerror(cc));
	curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(x->c, CURLINFO_TOTAL_TIME, &r->secs);
	r->body = x->b.p ? x->b.p : strdup("");
	r->len = x->b.n;
	r->headers = x->h.p ? x->h.p : strdup("");
	r->json = json_tokener_parse(r->body);
	curl_slist_free_all(x->list);
	curl_easy_cleanup(x->c);
	x->c = NULL;
	x->list = NULL;
}

void
it_request(const char *method, const char *path, const char *const *hdrs,
    const char *body, size_t bodylen, struct it_resp *r)
{
	struct xfer x;

	xfer_new(&x, env("KC_TEST_URL"), method, path, hdrs, body, bodylen,
	    r);
	xfer_finish(&x, curl_easy_perform(x.c));
}

void
it_parallel(size_t n, const struct it_req *reqs, struct it_resp *out)
{
	it_parallel_from(NULL, n, reqs, out);
}

void
it_parallel_from(const char *source, size_t n, const struct it_req *reqs,
    struct it_resp *out)
{
	struct xfer	*xs;
	CURLM		*m;
	CURLMsg		*msg;
	char		 auth[128];
	const char	*hdrs[4];
	size_t		 i, k;
	int		 running, left;

	ck_assert_ptr_nonnull(xs = calloc(n ? n : 1, sizeof(*xs)));
	ck_assert_ptr_nonnull(m = curl_multi_init());
	for (i = 0; i < n; i++) {
		k = 0;
		/* curl copies the header lines. */
		if (reqs[i].token) {
			snprintf(auth, sizeof(auth),
			    "Authorization: Bearer %s", reqs[i].token);
			hdrs[k++] = auth;
		}
		if (reqs[i].body)
			hdrs[k++] = "Content-Type: application/json";
		if (reqs[i].header)
			hdrs[k++] = reqs[i].header;
		hdrs[k] = NULL;
		xfer_new(&xs[i], env("KC_TEST_URL"), reqs[i].method,
		    reqs[i].path, hdrs, reqs[i].body, reqs[i].body ?
		    strlen(reqs[i].body) : 0, &out[i]);
		curl_easy_setopt(xs[i].c, CURLOPT_PRIVATE, &xs[i]);
		if (source) {
			char ifc[64];

			/* curl copies the string. */
			snprintf(ifc, sizeof(ifc), "host!%s", source);
			ck_assert(curl_easy_setopt(xs[i].c, CURLOPT_INTERFACE,
			    ifc) == CURLE_OK);
		}
		ck_assert(curl_multi_add_handle(m, xs[i].c) == CURLM_OK);
	}
	do {
		ck_assert(curl_multi_perform(m, &running) == CURLM_OK);
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			struct xfer *x;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&x);
			curl_multi_remove_handle(m, x->c);
			xfer_finish(x, msg->data.result);
		}
		if (running)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	} while (running);
	/* Transfers that ended with the last perform. */
	while ((msg = curl_multi_info_read(m, &left)) != NULL) {
		struct xfer *x;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    (char **)&x);
		curl_multi_remove_handle(m, x->c);
		xfer_finish(x, msg->data.result);
	}
	for (i = 0; i < n; i++)
		ck_assert_msg(xs[i].c == NULL, "%s did not finish",
		    xs[i].what);
	curl_multi_cleanup(m);
	free(xs);
}

static void *
bg_main(void *arg)
{
	struct it_bg *b = arg;

	it_parallel(1, &b->req, &b->resp);
	return NULL;
}

void
it_bg_start(struct it_bg *b, const struct it_req *req)
{
	memset(&b->resp, 0, sizeof(b->resp));
	b->req = *req;
	ck_assert_int_eq(pthread_create(&b->thread, NULL, bg_main, b), 0);
}

void
it_bg_wait(struct it_bg *b, struct it_resp *out)
{
	ck_assert_int_eq(pthread_join(b->thread, NULL), 0);
	*out = b->resp;
	memset(&b->resp, 0, sizeof(b->resp));
}

void
it_store_lock(const char *store)
{
	const char *p[1] = { store };

	PQclear(it_sql("BEGIN", 0, NULL));
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM (SELECT id FROM"
	    " stores WHERE public_id = $1 FOR UPDATE) x", 1, p), 1);
}

void
it_store_unlock(void)
{
	PQclear(it_sql("COMMIT", 0, NULL));
}

void
it_wait_lock_waiter(void)
{
	int i;

	for (i = 0; i < 200; i++) {
		if (it_sql_count("SELECT count(*) FROM pg_stat_activity"
		    " WHERE datname = current_database()"
		    " AND wait_event_type = 'Lock'", 0, NULL) > 0)
			return;
		it_pause_ms(50);
	}
	ck_abort_msg("no request waited for the lock");
}

void
it_revoke_all(const char *store)
{
	const char *p[1] = { store };

	PQclear(it_sql("DELETE FROM seat_store_access a USING stores s"
	    " WHERE a.store_id = s.id AND s.public_id = $1", 1, p));
}

static void
simple(const char *method, const char *path, const char *token,
    const char *json, struct it_resp *r)
{
	char		 auth[128];
	const char	*hdrs[3] = { NULL, NULL, NULL };
	int		 n = 0;

	if (token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
		    token);
		hdrs[n++] = auth;
	}
	if (json)
		hdrs[n++] = "Content-Type: application/json";
	it_request(method, path, hdrs, json, json ? strlen(json) : 0, r);
}

void
it_get(const char *path, const char *token, struct it_resp *r)
{
	simple("GET", path, token, NULL, r);
}

void
it_post(const char *path, const char *token, const char *json,
    struct it_resp *r)
{
	simple("POST", path, token, json ? json : "{}", r);
}

void
it_delete(const char *path, const char *token, struct it_resp *r)
{
	simple("DELETE", path, token, NULL, r);
}

void
it_patch(const char *path, const char *token, const char *json,
    struct it_resp *r)
{
	simple("PATCH", path, token, json ? json : "{}", r);
}

void
it_resp_free(struct it_resp *r)
{
	free(r->body);
	free(r->headers);
	json_object_put(r->json);
	memset(r, 0, sizeof(*r));
}

const char *
it_header(const struct it_resp *r, const char *name)
{
	static char	 val[4096];
	size_t		 n = strlen(name);
	const char	*p = r->headers, *e;

	while (p && *p) {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1;
			while (*p == ' ')
				p++;
			e = strpbrk(p, "\r\n");
			n = e ? (size_t)(e - p) : strlen(p);
			if (n >= sizeof(val))
				n = sizeof(val) - 1;
			memcpy(val, p, n);
			val[n] = '\0';
			return val;
		}
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return NULL;
}

const char *
it_str(const struct it_resp *r, const char *key)
{
	struct json_object *v;

	if (r->json == NULL || !json_object_object_get_ex(r->json, key, &v))
		return NULL;
	return json_object_get_string(v);
}

void
it_assert_error(const struct it_resp *r, long status, const char *code)
{
	struct json_object	*v;
	const char		*ct = it_header(r, "Content-Type");

	ck_assert_msg(r->status == status, "status %ld, want %ld; body %s",
	    r->status, status, r->body);
	ck_assert_msg(ct && strncmp(ct, "application/json", 16) == 0,
	    "content type %s, body %s", ct ? ct : "(none)", r->body);
	ck_assert_msg(r->json != NULL, "not JSON: %s", r->body);
	ck_assert(json_object_object_get_ex(r->json, "success", &v));
	ck_assert(json_object_is_type(v, json_type_boolean));
	ck_assert(!json_object_get_boolean(v));
	ck_assert_msg(it_str(r, "error") && *it_str(r, "error"),
	    "no error message: %s", r->body);
	if (code)
		ck_assert_msg(it_str(r, "code") &&
		    strcmp(it_str(r, "code"), code) == 0,
		    "code %s, want %s", it_str(r, "code"), code);
}

PGconn *
it_db(void)
{
	if (conn && PQstatus(conn) == CONNECTION_OK)
		return conn;
	if (conn)
		PQfinish(conn);
	conn = PQconnectdb(env("KC_TEST_DATABASE_URL"));
	ck_assert_msg(PQstatus(conn) == CONNECTION_OK, "db: %s",
	    PQerrorMessage(conn));
	return conn;
}

PGresult *
it_sql(const char *sql, int n, const char *const *params)
{
	PGresult *res = PQexecParams(it_db(), sql, n, NULL, params, NULL,
	    NULL, 0);

	ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK ||
	    PQresultStatus(res) == PGRES_COMMAND_OK, "%s: %s", sql,
	    PQresultErrorMessage(res));
	return res;
}

char *
it_sql_value(const char *sql, int n, const char *const *params)
{
	PGresult	*res = it_sql(sql, n, params);
	char		*v = NULL;

	if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		v = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return v;
}

long long
it_sql_count(const char *sql, int n, const char *const *params)
{
	char		*v = it_sql_value(sql, n, params);
	long long	 c = v ? strtoll(v, NULL, 10) : 0;

	free(v);
	return c;
}

char *
it_db_snapshot(void)
{
	return it_sql_value(
	    "SELECT md5(concat("
	    " (SELECT string_agg(u::text, '|' ORDER BY id) FROM users u),"
	    " (SELECT string_agg(s::text, '|' ORDER BY token_hash)"
	    "  FROM sessions s),"
	    " (SELECT string_agg(s::text, '|' ORDER BY id) FROM stores s),"
	    " (SELECT string_agg(k::text, '|' ORDER BY id)"
	    "  FROM klaviyo_connections k),"
	    " (SELECT string_agg(c::text, '|' ORDER BY id)"
	    "  FROM contract_seats c),"
	    " (SELECT string_agg(a::text, '|' ORDER BY seat_id, store_id)"
	    "  FROM seat_store_access a)))", 0, NULL);
}

const char *
it_unique(void)
{
	static char	 s[24];
	unsigned char	 raw[6];

	ck_assert(crypto_random(raw, sizeof(raw)) == KC_OK);
	crypto_hex(raw, sizeof(raw), s);
	return s;
}

unsigned
it_log_n(void)
{
	const char *v = getenv("PASSWORD_SCRYPT_LOG_N");

	return v && *v ? (unsigned)strtoul(v, NULL, 10) :
	    PASSWORD_LOG_N_DEFAULT;
}

/*
 * Hashing costs 50-300 ms: all test users share one precomputed hash,
 * at the services' cost so a login does not upgrade it.
 */
static const char *
shared_hash(void)
{
	static char hash[PASSWORD_HASH_MAX];

	if (hash[0] == '\0')
		ck_assert(password_hash(IT_PASSWORD, it_log_n(), hash,
		    sizeof(hash)) == KC_OK);
	return hash;
}

long long
it_user(const char *prefix, char *email, size_t len)
{
	const char	*params[2];
	char		*id;
	long long	 uid;

	snprintf(email, len, "%s-%s@example.test", prefix, it_unique());
	params[0] = email;
	params[1] = shared_hash();
	id = it_sql_value("INSERT INTO users (email, password_hash)"
	    " VALUES ($1, $2) RETURNING id", 2, params);
	uid = strtoll(id, NULL, 10);
	free(id);
	return uid;
}

void
it_store(const char *name, char *public_id, size_t len)
{
	const char *params[2];

	snprintf(public_id, len, "st%s", it_unique());
	params[0] = public_id;
	params[1] = name;
	PQclear(it_sql("INSERT INTO stores (public_id, name) VALUES ($1, $2)",
	    2, params));
}

void
it_grant(const char *email, const char *store, const char *role)
{
	const char *params[3] = { email, store, role };

	PQclear(it_sql(
	    "WITH seat AS (INSERT INTO contract_seats (user_id)"
	    "  SELECT id FROM users WHERE email = $1 RETURNING id)"
	    " INSERT INTO seat_store_access (seat_id, store_id, role_id)"
	    " SELECT seat.id, s.id, r.id FROM seat, stores s, roles r"
	    " WHERE s.public_id = $2 AND r.name = $3", 3, params));
}

void
it_token(long long uid, char *token, size_t len)
{
	unsigned char	 raw[32];
	char		 tok[64], hash[65], id[24];
	const char	*params[3] = { hash, id, NULL };

	ck_assert(len > SESSION_TOKEN_LEN);
	ck_assert(crypto_random(raw, sizeof(raw)) == KC_OK);
	ck_assert(crypto_b64url_encode(raw, sizeof(raw), tok, sizeof(tok)) ==
	    KC_OK);
	crypto_sha256_hex(tok, strlen(tok), hash);
	snprintf(id, sizeof(id), "%lld", uid);
	PQclear(it_sql("INSERT INTO sessions (token_hash, user_id, expires_at)"
	    " VALUES (decode($1, 'hex'), $2, now() + interval '1 hour')", 2,
	    params));
	snprintf(token, len, "%s", tok);
}

long
it_login(const char *email, const char *password, char *cookie, size_t len)
{
	struct it_resp		 r;
	struct json_object	*o = json_object_new_object();
	const char		*sc, *e;
	const char		*hdrs[] = { "Content-Type: application/json",
	    NULL };
	long			 status;
	const char		*body;

	json_object_object_add(o, "email", json_object_new_string(email));
	json_object_object_add(o, "password",
	    json_object_new_string(password));
	body = json_object_to_json_string(o);
	it_request("POST", "/api/auth/login", hdrs, body, strlen(body), &r);
	json_object_put(o);
	status = r.status;
	if (cookie)
		cookie[0] = '\0';
	if (status == 200 && cookie && (sc = it_header(&r, "Set-Cookie"))) {
		ck_assert(strncmp(sc, "kc_session=", 11) == 0);
		sc += 11;
		e = strchr(sc, ';');
		snprintf(cookie, len, "%.*s", (int)(e ? e - sc :
		    (long)strlen(sc)), sc);
	}
	it_resp_free(&r);
	return status;
}

char *
it_read_file(const char *path)
{
	FILE	*fp = fopen(path, "r");
	char	*p = NULL;
	size_t	 n = 0, cap = 0, got;

	if (fp == NULL)
		return strdup("");
	for (;;) {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 65536;
			ck_assert_ptr_nonnull(p = realloc(p, cap + 1));
		}
		if ((got = fread(p + n, 1, cap - n, fp)) == 0)
			break;
		n += got;
	}
	fclose(fp);
	p[n] = '\0';
	return p;
}

int
it_system(const char *fmt, ...)
{
	char	cmd[4096];
	va_list	ap;
	int	st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int
it_run(char **out, const char *fmt, ...)
{
	char	 cmd[8192], chunk[4096], *s = NULL, *t;
	size_t	 n = 0, got;
	va_list	 ap;
	FILE	*fp;
	int	 st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ck_assert_ptr_nonnull(fp = popen(cmd, "r"));
	while ((got = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		ck_assert_ptr_nonnull(t = realloc(s, n + got + 1));
		s = t;
		memcpy(s + n, chunk, got);
		n += got;
	}
	st = pclose(fp);
	if (s == NULL)
		ck_assert_ptr_nonnull(s = strdup(""));
	s[n] = '\0';
	if (out)
		*out = s;
	else
		free(s);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

long long
it_member(const char *role, const char *store, char *tok, size_t len)
{
	char		email[128];
	long long	uid;

	uid = it_user(role, email, sizeof(email));
	it_grant(email, store, role);
	it_token(uid, tok, len);
	return uid;
}

void
it_pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- the Klaviyo sandbox ---- */

void
it_sbx(const char *method, const char *path, const char *json,
    struct it_resp *r)
{
	struct xfer	 x;
	const char	*hdrs[2] = { "Content-Type: application/json", NULL };

	xfer_new(&x, env("KC_TEST_SANDBOX_URL"), method, path,
	    json ? hdrs : NULL, json, json ? strlen(json) : 0, r);
	xfer_finish(&x, curl_easy_perform(x.c));
}

static void
sbx_ok(const char *method, const char *path)
{
	struct it_resp r;

	it_sbx(method, path, NULL, &r);
	ck_assert_msg(r.status == 200, "%s %s: %ld %s", method, path,
	    r.status, r.body);
	it_resp_free(&r);
}

void
it_sbx_reset(void)
{
	sbx_ok("DELETE", "/__sandbox/faults");
	sbx_ok("DELETE", "/__sandbox/requests");
	sbx_ok("DELETE", "/__sandbox/ratelimits");
}

void
it_sbx_fault(const char *json)
{
	struct it_resp r;

	it_sbx("POST", "/__sandbox/faults", json, &r);
	ck_assert_msg(r.status == 201, "fault %s: %ld %s", json, r.status,
	    r.body);
	it_resp_free(&r);
}

long
it_sbx_count(const char *path, const char *key, long status)
{
	struct it_resp		 r;
	struct json_object	*arr, *e, *v;
	const char		*s;
	size_t			 i, n;
	long			 c = 0;

	it_sbx("GET", "/__sandbox/requests", NULL, &r);
	ck_assert_msg(r.status == 200 && r.json != NULL &&
	    json_object_object_get_ex(r.json, "requests", &arr),
	    "sandbox request log: %ld %s", r.status, r.body);
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(arr, i);
		if (path && (!json_object_object_get_ex(e, "path", &v) ||
		    (s = json_object_get_string(v)) == NULL ||
		    strcmp(s, path) != 0))
			continue;
		if (key && (!json_object_object_get_ex(e, "key", &v) ||
		    (s = json_object_get_string(v)) == NULL ||
		    strncmp(s, key, 8) != 0))
			continue;
		if (status >= 0 && (!json_object_object_get_ex(e, "status",
		    &v) || json_object_get_int64(v) != status))
			continue;
		c++;
	}
	it_resp_free(&r);
	return c;
}

void
it_sbx_api(const char *path_or_url, const char *key, struct it_resp *r)
{
	struct xfer	 x;
	char		 auth[160];
	const char	*hdrs[4] = { auth, "revision: 2026-07-15",
	    "Accept: application/vnd.api+json", NULL };

	snprintf(auth, sizeof(auth), "Authorization: Klaviyo-API-Key %s", key);
	xfer_new(&x, env("KC_TEST_SANDBOX_URL"), "GET", path_or_url, hdrs,
	    NULL, 0, r);
	xfer_finish(&x, curl_easy_perform(x.c));
}

void
it_klaviyo_cold(void)
{
	it_sbx_reset();
	PQclear(it_sql("DELETE FROM klaviyo_probe_cache", 0, NULL));
	PQclear(it_sql("DELETE FROM rate_buckets", 0, NULL));
	PQclear(it_sql("DELETE FROM klaviyo_key_accounts", 0, NULL));
}

void
it_assert_no_secret(const struct it_resp *r, const char *secret)
{
	ck_assert_msg(strstr(r->body, secret) == NULL,
	    "the secret is in a response body: %s", r->body);
	ck_assert_msg(strstr(r->headers, secret) == NULL,
	    "the secret is in response headers: %s", r->headers);
}

void
it_assert_logs_clean(const char *secret)
{
	static const char *const logs[] = { "log/fcgi.log",
	    "log/sandbox.log", "log/postgres.log", "log/migrate.log",
	    "nginx/access.log", "nginx/error.log" };
	char	 path[1024], *s;
	size_t	 i;
	int	 st;

	for (i = 0; i < sizeof(logs) / sizeof(logs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", env("KC_TEST_STATE"),
		    logs[i]);
		s = it_read_file(path);
		ck_assert_msg(strstr(s, secret) == NULL, "the secret is in %s",
		    path);
		free(s);
	}
	/* And in no other file the services wrote there. */
	st = it_system("grep -rqsF -e '%s' '%s/log' '%s/nginx' --include='*.log'",
	    secret, env("KC_TEST_STATE"), env("KC_TEST_STATE"));
	ck_assert_msg(st == 1, "grep for the secret in the logs: %d", st);
}

char *
it_primary_conn(const char *store)
{
	const char *p[1] = { store };

	return it_sql_value("SELECT " IT_SQL_PRIMARY_ID("$1"), 1, p);
}

char *
it_add_conn(const char *store, const char *status, const char *account)
{
	const char	*p[3] = { store, status, account };
	char		*id;

	id = it_sql_value("INSERT INTO klaviyo_connections (store_id,"
	    " is_primary, klaviyo_integration) SELECT s.id, NOT EXISTS"
	    " (SELECT 1 FROM klaviyo_connections k WHERE k.store_id = s.id"
	    " AND k.is_primary), jsonb_build_object('status', $2::text,"
	    " 'public_id', $3::text) FROM stores s WHERE s.public_id = $1"
	    " RETURNING id", 3, p);
	ck_assert_msg(id != NULL, "no store %s", store);
	return id;
}

char *
it_set_integ(const char *store, const char *doc)
{
	const char	*p[2] = { store, doc };
	char		*id;

	id = it_sql_value("WITH up AS (UPDATE klaviyo_connections k"
	    " SET klaviyo_integration = $2::jsonb FROM stores s"
	    " WHERE s.id = k.store_id AND s.public_id = $1 AND k.is_primary"
	    " RETURNING k.id), ins AS (INSERT INTO klaviyo_connections"
	    " (store_id, is_primary, klaviyo_integration) SELECT s.id, true,"
	    " $2::jsonb FROM stores s WHERE s.public_id = $1"
	    " AND NOT EXISTS (SELECT 1 FROM up) RETURNING id)"
	    " SELECT id FROM up UNION ALL SELECT id FROM ins", 2, p);
	ck_assert_msg(id != NULL, "no store %s", store);
	return id;
}

char *
it_queue_job(const char *store, const char *type, const char *mode)
{
	const char	*p[3] = { store, type, mode };
	char		*id;

	id = it_sql_value("INSERT INTO sync_jobs (store_id, connection_id,"
	    " type, mode) SELECT k.store_id, k.id, $2, $3"
	    " FROM klaviyo_connections k WHERE k.id = " IT_SQL_PRIMARY_ID("$1")
	    " RETURNING id", 3, p);
	ck_assert_msg(id != NULL, "store %s has no connection to queue %s",
	    store, type);
	return id;
}

char *
it_store_state(const char *store)
{
	const char *p[1] = { store };

	return it_sql_value(
	    "SELECT md5(concat_ws('#',"
	    " (SELECT string_agg(k::text, '|' ORDER BY k.id)"
	    "  FROM klaviyo_connections k WHERE k.store_id = s.id),"
	    " (SELECT string_agg(c::text, '|' ORDER BY c.connection_id)"
	    "  FROM klaviyo_credentials c JOIN klaviyo_connections k"
	    "  ON k.id = c.connection_id WHERE k.store_id = s.id),"
	    " (SELECT string_agg(t::text, '|' ORDER BY t.id)"
	    "  FROM report_triggers t WHERE t.store_id = s.id),"
	    " (SELECT string_agg(k::text, '|' ORDER BY k.id)"
	    "  FROM klaviyo_syncs k WHERE k.store_id = s.id),"
	    " (SELECT string_agg(j::text, '|' ORDER BY j.id)"
	    "  FROM sync_jobs j WHERE j.store_id = s.id),"
	    " (SELECT string_agg(x::text, '|' ORDER BY x.connection_id, x.id)"
	    "  FROM campaigns x JOIN klaviyo_connections k"
	    "  ON k.id = x.connection_id WHERE k.store_id = s.id),"
	    " (SELECT string_agg(o::text, '|' ORDER BY o.connection_id,"
	    "  o.event_id) FROM orders o JOIN klaviyo_connections k"
	    "  ON k.id = o.connection_id WHERE k.store_id = s.id)))"
	    " FROM stores s WHERE s.public_id = $1", 1, p);
}

const char *
it_connect_path(const char *store)
{
	static char path[256];

	snprintf(path, sizeof(path), "/api/store/%s/klaviyo-connect", store);
	return path;
}

void
it_connect(const char *store, const char *tok, const char *key,
    const char *metric, struct it_resp *r)
{
	struct json_object *o = json_object_new_object();

	if (key)
		json_object_object_add(o, "apiKey",
		    json_object_new_string(key));
	if (metric)
		json_object_object_add(o, "conversionMetricId",
		    json_object_new_string(metric));
	it_post(it_connect_path(store), tok, json_object_to_json_string(o),
	    r);
	json_object_put(o);
}

void
it_test_key(const char *store, const char *tok, const char *key,
    struct it_resp *r)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "apiKey", json_object_new_string(key));
	json_object_object_add(o, "action", json_object_new_string("test"));
	it_post(it_connect_path(store), tok, json_object_to_json_string(o),
	    r);
	json_object_put(o);
}

struct json_object *
it_jget(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	ck_assert_msg(o != NULL && json_object_object_get_ex(o, key, &v),
	    "no '%s' in %s", key, o ? json_object_to_json_string(o) :
	    "(null)");
	return v;
}

const char *
it_jstr(struct json_object *o, const char *key)
{
	struct json_object *v = it_jget(o, key);

	ck_assert_msg(json_object_is_type(v, json_type_string),
	    "'%s' is not a string in %s", key, json_object_to_json_string(o));
	return json_object_get_string(v);
}

int
it_jbool(struct json_object *o, const char *key)
{
	struct json_object *v = it_jget(o, key);

	ck_assert_msg(json_object_is_type(v, json_type_boolean),
	    "'%s' is not a boolean in %s", key,
	    json_object_to_json_string(o));
	return json_object_get_boolean(v);
}

void
it_assert_ok(const struct it_resp *r)
{
	ck_assert_msg(r->status == 200, "status %ld: %s", r->status, r->body);
	ck_assert_msg(r->json != NULL, "not JSON: %s", r->body);
	ck_assert_msg(it_jbool(r->json, "success"), "no success: %s",
	    r->body);
}

void
it_isolate(const char *store)
{
	const char *params[1] = { store };

	PQclear(it_sql("UPDATE report_triggers SET cancelled_at = now()"
	    " WHERE delivered_at IS NULL AND cancelled_at IS NULL AND store_id"
	    " <> (SELECT id FROM stores WHERE public_id = $1)", 1, params));
	PQclear(it_sql("UPDATE sync_jobs SET state = 'cancelled'"
	    " WHERE state IN ('queued', 'running') AND store_id"
	    " <> (SELECT id FROM stores WHERE public_id = $1)", 1, params));
	/* Nor registers or deletes their webhooks at the sandbox. */
	PQclear(it_sql("UPDATE klaviyo_webhooks SET next_attempt_at ="
	    " 'infinity' WHERE store_id"
	    " <> (SELECT id FROM stores WHERE public_id = $1)", 1, params));
}

pid_t
it_syncd_spawn(const char *const *env)
{
	const char	*bin = getenv("KC_TEST_SYNCD");
	pid_t		 pid;
	char		*kv;
	size_t		 i;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		setenv("REPORT_SERVER", "", 1);
		for (i = 0; env && env[i]; i++) {
			if ((kv = strdup(env[i])) == NULL || putenv(kv) != 0)
				_exit(126);
		}
		execl(bin, bin, (char *)NULL);
		_exit(127);
	}
	return pid;
}

void
it_connected(const char *name, const char *key, const char *metric,
    char *store, size_t slen, char *tok, size_t tlen, char *cpub,
    size_t clen)
{
	struct it_resp	 r;
	const char	*p[1];
	char		*v;

	it_store(name, store, slen);
	it_member("owner", store, tok, tlen);
	it_connect(store, tok, key, metric, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	p[0] = store;
	v = it_sql_value("SELECT public_id FROM klaviyo_connections"
	    " WHERE store_id = (SELECT id FROM stores WHERE public_id = $1)",
	    1, p);
	ck_assert_ptr_nonnull(v);
	snprintf(cpub, clen, "%s", v);
	free(v);
}
