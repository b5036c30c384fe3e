/*
 * What nginx itself does in front of the application (nginx/snippet.conf.in,
 * nginx/http.conf.in): slow clients, per-address limits, keys kept out of
 * its error log during an outage, HEAD and 405 with Allow (TRACE and
 * CONNECT included), gzip and the including server's headers.
 *
 * The limit tests connect from their own loopback address (127.0.0.x,
 * bound before connect) so that their per-address counts are not those of
 * the other suites, which all come from 127.0.0.1.
 */
#include "itest.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RAW_MAX		4096	/* what a raw client keeps of an answer */

/* One raw HTTP client of the limit tests. */
struct raw {
	int	 fd;
	char	 buf[RAW_MAX + 1];
	size_t	 len;
	int	 eof;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* nginx's port, from KC_TEST_URL (http://127.0.0.1:PORT). */
static unsigned short
nginx_port(void)
{
	const char	*u = getenv("KC_TEST_URL"), *c;
	long		 p;

	ck_assert_ptr_nonnull(u);
	c = strrchr(u, ':');
	ck_assert_ptr_nonnull(c);
	p = strtol(c + 1, NULL, 10);
	ck_assert(p > 0 && p < 65536);
	return (unsigned short)p;
}

/* A TCP connection to nginx from source address src; -1 on failure. */
static int
raw_connect(const char *src)
{
	struct sockaddr_in	 a;
	int			 fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	if (inet_pton(AF_INET, src, &a.sin_addr) != 1 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) == -1)
		goto fail;
	a.sin_port = htons(nginx_port());
	if (inet_pton(AF_INET, "127.0.0.1", &a.sin_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a)) == -1)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

static int
send_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = send(fd, p, n, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Opens n raw clients from src, each sending req; returns how many did. */
static size_t
raw_open(struct raw *c, size_t n, const char *src, const char *req,
    size_t reqlen)
{
	size_t i, ok = 0;

	for (i = 0; i < n; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].fd = raw_connect(src);
		if (c[i].fd != -1 && send_all(c[i].fd, req, reqlen) == 0)
			ok++;
	}
	return ok;
}

static void
raw_close(struct raw *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i].fd != -1) {
			close(c[i].fd);
			c[i].fd = -1;
		}
}

/*
 * Reads what the clients get until every one saw the end of its
 * connection, or until secs pass.  Returns how many saw the end.
 */
static size_t
raw_drain(struct raw *c, size_t n, double secs)
{
	struct pollfd	*pf;
	double		 end = now_s() + secs;
	size_t		 i, done;
	ssize_t		 r;
	char		 junk[1024];

	pf = calloc(n, sizeof(*pf));
	ck_assert_ptr_nonnull(pf);
	for (;;) {
		done = 0;
		for (i = 0; i < n; i++) {
			pf[i].fd = c[i].fd == -1 || c[i].eof ? -1 : c[i].fd;
			pf[i].events = POLLIN;
			pf[i].revents = 0;
			if (pf[i].fd == -1)
				done++;
		}
		if (done == n || now_s() >= end)
			break;
		if (poll(pf, n, 200) == -1 && errno != EINTR)
			break;
		for (i = 0; i < n; i++) {
			if (pf[i].fd == -1 || pf[i].revents == 0)
				continue;
			if (c[i].len < RAW_MAX)
				r = recv(c[i].fd, c[i].buf + c[i].len,
				    RAW_MAX - c[i].len, MSG_DONTWAIT);
			else
				r = recv(c[i].fd, junk, sizeof(junk),
				    MSG_DONTWAIT);
			if (r > 0 && c[i].len < RAW_MAX) {
				c[i].len += (size_t)r;
				c[i].buf[c[i].len] = '\0';
			} else if (r == 0 || (r == -1 && errno != EAGAIN &&
			    errno != EINTR))
				c[i].eof = 1;
		}
	}
	free(pf);
	for (i = 0, done = 0; i < n; i++)
		if (c[i].fd == -1 || c[i].eof)
			done++;
	return done;
}

/* 1 when the raw answer has this status and, if given, this text. */
static int
raw_is(const struct raw *c, const char *status, const char *text)
{
	return strncmp(c->buf, status, strlen(status)) == 0 &&
	    (text == NULL || strstr(c->buf, text) != NULL);
}

/* ---------------------------------------------------- slow clients -- */

#define SLOW_CLIENTS	200

/*
 * 200 connections from one address that send half a request line and
 * stall: the API keeps answering meanwhile, and nginx drops every one of
 * them after client_header_timeout (10 s; nginx's default is 60 s).
 */
START_TEST(nginx_slow_headers_dropped)
{
	static struct raw	 c[SLOW_CLIENTS];
	static const char	 part[] = "GET /api/hea";
	struct it_resp		 r;
	size_t			 opened, closed;
	int			 i, healthy = 0;

	opened = raw_open(c, SLOW_CLIENTS, "127.0.0.3", part,
	    sizeof(part) - 1);
	/* Bounded: a few requests; each within curl's own timeout. */
	for (i = 0; i < 5; i++) {
		it_get("/api/health", NULL, &r);
		if (r.status == 200)
			healthy++;
		it_resp_free(&r);
		it_pause_ms(200);
	}
	/* 10 s timeout, a few seconds of slack. */
	closed = raw_drain(c, SLOW_CLIENTS, 16.0);
	raw_close(c, SLOW_CLIENTS);
	ck_assert_uint_eq(opened, SLOW_CLIENTS);
	ck_assert_int_eq(healthy, 5);
	ck_assert_msg(closed == SLOW_CLIENTS, "nginx kept %zu of %d "
	    "slow-header connections open past 16 s",
	    (size_t)SLOW_CLIENTS - closed, SLOW_CLIENTS);
	it_get("/api/health", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	it_resp_free(&r);
}
END_TEST

#define CONN_CLIENTS	72	/* limit_conn kc_addr 64 */

/*
 * Requests in progress per address: 72 POSTs whose bodies never come hold
 * their connections in the request; past 64 nginx answers 429 JSON.
 */
START_TEST(nginx_conn_limit_429)
{
	static struct raw	 c[CONN_CLIENTS];
	static const char	 req[] = "POST /api/auth/logout HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
	    "Content-Length: 100\r\n\r\n";
	struct it_resp		 r;
	size_t			 opened, i;
	int			 limited = 0, other = 0;

	opened = raw_open(c, CONN_CLIENTS, "127.0.0.4", req, sizeof(req) - 1);
	/* The refused ones answer at once; the others wait for a body. */
	(void)raw_drain(c, CONN_CLIENTS, 3.0);
	for (i = 0; i < CONN_CLIENTS; i++) {
		if (raw_is(&c[i], "HTTP/1.1 429", "\"code\":\"rate_limited\"") &&
		    strstr(c[i].buf, "Retry-After:") != NULL &&
		    strstr(c[i].buf, "application/json") != NULL)
			limited++;
		else if (c[i].len > 0)
			other++;
	}
	raw_close(c, CONN_CLIENTS);
	ck_assert_uint_eq(opened, CONN_CLIENTS);
	ck_assert_msg(limited == CONN_CLIENTS - 64 && other == 0,
	    "%d refused with 429 JSON, %d other answers (want %d, 0)",
	    limited, other, CONN_CLIENTS - 64);
	/* Another address is not concerned. */
	it_get("/api/health", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	it_resp_free(&r);
}
END_TEST

#define LOGIN_BURST	35	/* below the application's 40 per address */

/*
 * A burst of sign-ins from one address: past the burst nginx answers 429
 * JSON with Retry-After before a password is hashed.  35 failures stay
 * below the application's own per-address lockout (40), so every 429
 * here is nginx's.
 */
START_TEST(nginx_login_burst_429)
{
	static struct raw	 c[LOGIN_BURST];
	char			 req[LOGIN_BURST][512], body[160];
	size_t			 i, opened = 0;
	int			 n, limited = 0, refused = 0, other = 0;

	for (i = 0; i < LOGIN_BURST; i++) {
		n = snprintf(body, sizeof(body), "{\"email\":\"burst-%s-%zu@"
		    "example.test\",\"password\":\"wrong password\"}",
		    it_unique(), i);
		ck_assert(n > 0 && (size_t)n < sizeof(body));
		n = snprintf(req[i], sizeof(req[i]), "POST /api/auth/login "
		    "HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
		    "application/json\r\nConnection: close\r\n"
		    "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
		ck_assert(n > 0 && (size_t)n < sizeof(req[i]));
	}
	for (i = 0; i < LOGIN_BURST; i++)
		opened += raw_open(&c[i], 1, "127.0.0.5", req[i],
		    strlen(req[i]));
	(void)raw_drain(c, LOGIN_BURST, 20.0);
	for (i = 0; i < LOGIN_BURST; i++) {
		if (raw_is(&c[i], "HTTP/1.1 429", "\"code\":\"rate_limited\"") &&
		    strstr(c[i].buf, "\r\nRetry-After: ") != NULL &&
		    strstr(c[i].buf, "application/json") != NULL &&
		    strstr(c[i].buf, "\"success\":false") != NULL)
			limited++;
		else if (raw_is(&c[i], "HTTP/1.1 401", "invalid_credentials"))
			refused++;
		else
			other++;
	}
	raw_close(c, LOGIN_BURST);
	ck_assert_uint_eq(opened, LOGIN_BURST);
	ck_assert_msg(limited > 0 && other == 0, "%d 429 JSON, %d 401, %d "
	    "other", limited, refused, other);
	/* burst=20: at least the first 21 reach the application. */
	ck_assert_msg(refused >= 21, "only %d sign-ins reached the "
	    "application", refused);
}
END_TEST

/* ------------------------------------------------- keys and logs -- */

#define PROBE_KEY	"pk_NGINXLOGPROBE00000000000000000"

/* One request of the outage test: method, path, expected status. */
struct shape {
	const char	*method;
	const char	*path;
	long		 status;
	const char	*code;
};

/*
 * The FastCGI workers are down and the requests carry a key in their
 * query string: nginx's error log, which prints the request line next to
 * upstream errors, must not show it whatever the path looks like.
 */
START_TEST(nginx_key_not_in_error_log_during_outage)
{
	static const struct shape shapes[] = {
		{ "GET", "/api/klaviyo/test?apiKey=" PROBE_KEY, 503,
		    "service_unavailable" },
		{ "GET", "/api/klaviyo/test/?apiKey=" PROBE_KEY, 400,
		    "api_key_in_query" },
		{ "GET", "/api//klaviyo/test?apiKey=" PROBE_KEY, 503,
		    "service_unavailable" },
		{ "GET", "/api/klaviyo/%74est?apiKey=" PROBE_KEY, 503,
		    "service_unavailable" },
		{ "GET", "/api/me?apiKey=" PROBE_KEY, 400, "api_key_in_query" },
		{ "GET", "/api/me?x=1&APIKEY=" PROBE_KEY, 400,
		    "api_key_in_query" },
		{ "GET", "/api/me?%61piKey=" PROBE_KEY, 400,
		    "api_key_in_query" },
		{ "GET", "/api/store/abc/klaviyo-metrics?apiKey=" PROBE_KEY,
		    400, "api_key_in_query" },
		{ "POST", "/api/store/abc/klaviyo-connect?apiKey=" PROBE_KEY,
		    400, "api_key_in_query" },
		{ "POST", "/api/auth/login?apiKey=" PROBE_KEY, 400,
		    "api_key_in_query" },
		{ "DELETE", "/api/klaviyo/test?apiKey=" PROBE_KEY, 503,
		    "service_unavailable" },
		{ "TRACE", "/api/me?apiKey=" PROBE_KEY, 0, NULL },
		{ "GET", "/api/nope/?apiKey=" PROBE_KEY, 400,
		    "api_key_in_query" },
	};
	const char	*hdrs[] = { "Content-Type: application/json", NULL };
	char		 logpath[1024], *log, *fctl;
	struct it_resp	 r[sizeof(shapes) / sizeof(shapes[0])], ctl;
	size_t		 i, n = sizeof(shapes) / sizeof(shapes[0]);
	int		 stop, start;

	fctl = getenv("KC_TEST_FCGICTL");
	ck_assert_ptr_nonnull(fctl);
	snprintf(logpath, sizeof(logpath), "%s/nginx/error.log",
	    getenv("KC_TEST_STATE"));
	stop = it_system("%s stop >/dev/null 2>&1", fctl);
	for (i = 0; i < n; i++)
		it_request(shapes[i].method, shapes[i].path, hdrs,
		    strcmp(shapes[i].method, "POST") == 0 ? "{}" : NULL,
		    strcmp(shapes[i].method, "POST") == 0 ? 2 : 0, &r[i]);
	/* Control: a query without a key does reach the log. */
	it_get("/api/health?nginxlogcontrol=1", NULL, &ctl);
	/* Workers back before any assertion can end the test. */
	start = it_system("%s restart >/dev/null 2>&1", fctl);
	log = it_read_file(logpath);

	ck_assert_int_eq(stop, 0);
	ck_assert_int_eq(start, 0);
	ck_assert_msg(strstr(log, "NGINXLOGPROBE") == NULL,
	    "the key is in nginx's error log");
	ck_assert_msg(strstr(log, "nginxlogcontrol") != NULL,
	    "the control request is not in nginx's error log: is it the "
	    "right file?");
	it_assert_error(&ctl, 503, "service_unavailable");
	for (i = 0; i < n; i++) {
		if (shapes[i].code)
			it_assert_error(&r[i], shapes[i].status,
			    shapes[i].code);
		it_assert_no_secret(&r[i], PROBE_KEY);
		it_resp_free(&r[i]);
	}
	it_resp_free(&ctl);
	free(log);
}
END_TEST

/* With the workers up: the key goes in a header, never in a query. */
START_TEST(nginx_key_in_query_refused)
{
	struct it_resp r;

	it_get("/api/me?apiKey=" PROBE_KEY, NULL, &r);
	it_assert_error(&r, 400, "api_key_in_query");
	ck_assert_ptr_nonnull(strstr(it_str(&r, "error"),
	    "X-Klaviyo-Api-Key"));
	it_resp_free(&r);
	it_get("/api/klaviyo/test/?apiKey=" PROBE_KEY, NULL, &r);
	it_assert_error(&r, 400, "api_key_in_query");
	it_resp_free(&r);
	/* The debug route itself still takes it (then: no session). */
	it_get("/api/klaviyo/test?apiKey=" PROBE_KEY, NULL, &r);
	it_assert_error(&r, 401, NULL);
	it_resp_free(&r);
	/* Other queries pass. */
	it_get("/api/health?apikeys_are_not=here", NULL, &r);
	ck_assert_int_eq(r.status, 400);
	it_resp_free(&r);
	it_get("/api/health?x=1", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	it_resp_free(&r);
}
END_TEST

/* ------------------------------------------------- HEAD and 405 -- */

/* HEAD answers like GET, headers and all, without a body. */
START_TEST(nginx_head_like_get)
{
	static const char *paths[] = { "/api/health", "/api/me",
	    "/api/store/abc/klaviyo-connect", "/", "/login", "/app.css" };
	struct it_resp	 g, h;
	const char	*gct;
	char		*ct;
	size_t		 i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		it_get(paths[i], NULL, &g);
		it_request("HEAD", paths[i], NULL, NULL, 0, &h);
		ck_assert_msg(g.status == 200 || g.status == 401, "GET %s %ld",
		    paths[i], g.status);
		ck_assert_msg(h.status == g.status, "HEAD %s %ld, GET %ld",
		    paths[i], h.status, g.status);
		ck_assert_uint_eq(h.len, 0);
		gct = it_header(&g, "Content-Type");
		ck_assert_ptr_nonnull(gct);
		ct = strdup(gct);
		ck_assert_ptr_nonnull(ct);
		ck_assert_pstr_eq(it_header(&h, "Content-Type"), ct);
		free(ct);
		it_resp_free(&g);
		it_resp_free(&h);
	}
}
END_TEST

/* One wrong method: 405 JSON with the route's Allow. */
static void
assert_405(const char *method, const char *path, const char *allow)
{
	struct it_resp r;

	it_request(method, path, NULL, NULL, 0, &r);
	ck_assert_msg(r.status == 405, "%s %s: %ld %s", method, path,
	    r.status, r.body);
	it_assert_error(&r, 405, "method_not_allowed");
	ck_assert_msg(strncmp(it_header(&r, "Content-Type") ?
	    it_header(&r, "Content-Type") : "", "application/json", 16) == 0,
	    "%s %s: not JSON", method, path);
	ck_assert_msg(it_header(&r, "Allow") != NULL &&
	    strcmp(it_header(&r, "Allow"), allow) == 0,
	    "%s %s: Allow %s, want %s", method, path,
	    it_header(&r, "Allow") ? it_header(&r, "Allow") : "(none)",
	    allow);
	it_resp_free(&r);
}

START_TEST(nginx_405_json_allow)
{
	static const char *wrong[] = { "POST", "PUT", "PATCH", "DELETE",
	    "OPTIONS", "TRACE", "CONNECT", "PROPFIND" };
	struct it_resp	 r;
	size_t		 i;

	for (i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		assert_405(wrong[i], "/api/health", "GET, HEAD");
		assert_405(wrong[i], "/api/me", "GET, HEAD");
	}
	assert_405("GET", "/api/auth/login", "POST");
	/* (HEAD: the same, without the body.) */
	it_request("HEAD", "/api/auth/login", NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 405);
	ck_assert_pstr_eq(it_header(&r, "Allow"), "POST");
	it_resp_free(&r);
	assert_405("TRACE", "/api/auth/login", "POST");
	assert_405("PUT", "/api/store/abc/klaviyo-connect",
	    "GET, HEAD, POST, DELETE");
	assert_405("CONNECT", "/api/store/abc/klaviyo-connect",
	    "GET, HEAD, POST, DELETE");
	/* The pages take GET and HEAD. */
	assert_405("TRACE", "/login", "GET, HEAD");
	assert_405("CONNECT", "/", "GET, HEAD");
	assert_405("POST", "/app.css", "GET, HEAD");
}
END_TEST

/* -------------------------------------------- gzip and headers -- */

/*
 * Text assets are compressed, API answers are not (BREACH), and the
 * including server's own add_header (HSTS in the test stack, through
 * klaviyo-connect.server-headers.conf) reaches every kind of answer.
 */
START_TEST(nginx_gzip_and_server_headers)
{
	static const char *text[] = { "/", "/login", "/app.css",
	    "/common.js", "/logo.svg", "/store/abc/klaviyo-connect",
	    "/store/abc/klaviyo-settings", "/settings.js", "/settings.css",
	    "/store/abc/klaviyo-dashboard", "/dashboard.js",
	    "/dashboard-charts.js", "/dashboard.css" };
	static const char *any[] = { "/", "/app.css", "/api/health",
	    "/api/me", "/api/me?apiKey=x", "/api/nope" };
	const char	*gz[] = { "Accept-Encoding: gzip", NULL };
	struct it_resp	 r;
	size_t		 i;

	for (i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
		it_request("GET", text[i], gz, NULL, 0, &r);
		ck_assert_int_eq(r.status, 200);
		ck_assert_msg(it_header(&r, "Content-Encoding") != NULL &&
		    strcmp(it_header(&r, "Content-Encoding"), "gzip") == 0,
		    "%s is not compressed", text[i]);
		it_resp_free(&r);
	}
	it_request("GET", "/api/health", gz, NULL, 0, &r);
	ck_assert_ptr_null(it_header(&r, "Content-Encoding"));
	it_resp_free(&r);
	for (i = 0; i < sizeof(any) / sizeof(any[0]); i++) {
		it_get(any[i], NULL, &r);
		ck_assert_msg(it_header(&r, "Strict-Transport-Security") !=
		    NULL, "%s has no HSTS", any[i]);
		ck_assert_ptr_nonnull(it_header(&r,
		    "Content-Security-Policy"));
		it_resp_free(&r);
	}
}
END_TEST

Suite *
suite_nginx(void)
{
	Suite	*s = suite_create("nginx");
	TCase	*tc = tcase_create("nginx");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, nginx_head_like_get);
	tcase_add_test(tc, nginx_405_json_allow);
	tcase_add_test(tc, nginx_key_in_query_refused);
	tcase_add_test(tc, nginx_gzip_and_server_headers);
	tcase_add_test(tc, nginx_key_not_in_error_log_during_outage);
	tcase_add_test(tc, nginx_login_burst_429);
	tcase_add_test(tc, nginx_conn_limit_429);
	tcase_add_test(tc, nginx_slow_headers_dropped);
	suite_add_tcase(s, tc);
	return s;
}
