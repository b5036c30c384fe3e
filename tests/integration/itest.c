/* Integration test helpers; see itest.h. */
#include "itest.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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

void
it_request(const char *method, const char *path, const char *const *hdrs,
    const char *body, size_t bodylen, struct it_resp *r)
{
	CURL			*c;
	struct curl_slist	*list = NULL;
	struct sink		 b = { NULL, 0 }, h = { NULL, 0 };
	char			 url[16384];
	CURLcode		 cc;
	size_t			 i;

	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "%s%s", env("KC_TEST_URL"), path);
	c = curl_easy_init();
	ck_assert_ptr_nonnull(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	/* No automatic "Expect: 100-continue" or default content type. */
	list = curl_slist_append(list, "Expect:");
	for (i = 0; hdrs && hdrs[i]; i++)
		list = curl_slist_append(list, hdrs[i]);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)bodylen);
	}
	cc = curl_easy_perform(c);
	ck_assert_msg(cc == CURLE_OK, "%s %s: %s", method, path,
	    curl_easy_strerror(cc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	r->body = b.p ? b.p : strdup("");
	r->len = b.n;
	r->headers = h.p ? h.p : strdup("");
	r->json = json_tokener_parse(r->body);
	curl_slist_free_all(list);
	curl_easy_cleanup(c);
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

/* Hashing costs ~50 ms: all test users share one precomputed hash. */
static const char *
shared_hash(void)
{
	static char hash[PASSWORD_HASH_MAX];

	if (hash[0] == '\0')
		ck_assert(password_hash(IT_PASSWORD, hash, sizeof(hash)) ==
		    KC_OK);
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
