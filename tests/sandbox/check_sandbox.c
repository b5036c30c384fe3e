/*
 * Black-box tests of klaviyo-sandbox over HTTP with libcurl: starts the
 * binary named by KC_SANDBOX_BIN (or $KC_BUILDDIR/sandbox/klaviyo-sandbox) on
 * 127.0.0.1 port 0 with --time-scale 60, reads the port from its stdout,
 * and checks each account's answers, pagination to the end, 401/403/400/
 * 404/405/406 with the spec's errors[] shape, revision checks, rate-limit
 * headers, 429 with Retry-After, every fault, the request log, many
 * connections at once, HTTP edge cases, and a clean SIGTERM exit (under
 * AddressSanitizer a leak makes that exit non-zero).  The store tests
 * page through campaigns, flows, segments, forms and events, check
 * every report endpoint's validation, series alignment, group_by by
 * revision, the account-clock time frames, that report sums equal the
 * Placed Order events' sums, and the daily report cap (on a second
 * sandbox at --time-scale 14400).  OAuth (the sandbox runs with
 * --oauth-client) is tested in check_sandbox_oauth.c.
 *
 * Runs without forking (CK_NOFORK): one sandbox for the whole suite, in
 * test order.  Every wait has a deadline.
 */
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "check_sandbox.h"

static pid_t	sbx_pid = -1;
int		sbx_port;
char		sbx_base[64];
char		sbx_log[256];

double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

size_t
on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct hresp	*r = arg;
	size_t		 len = sz * n;
	char		*nb;

	if (r->len + len > BODY_MAX)
		return 0;
	if ((nb = realloc(r->body, r->len + len + 1)) == NULL)
		return 0;
	r->body = nb;
	memcpy(r->body + r->len, p, len);
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

static size_t
discard(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

size_t
on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct hresp	*r = arg;
	size_t		 len = sz * n;

	/* Keep only the last response's headers (skip 100 Continue). */
	if (len > 5 && strncmp(p, "HTTP/", 5) == 0)
		r->hlen = 0;
	if (r->hlen + len < sizeof(r->headers)) {
		memcpy(r->headers + r->hlen, p, len);
		r->hlen += len;
		r->headers[r->hlen] = '\0';
	}
	return len;
}

void
hresp_free(struct hresp *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* Copies a response header's value; NULL when absent. */
const char *
hdr(const struct hresp *r, const char *name, char *out, size_t outlen)
{
	const char	*p = r->headers, *eol;
	size_t		 n = strlen(name), vlen;

	while ((eol = strstr(p, "\r\n")) != NULL) {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1;
			while (*p == ' ')
				p++;
			vlen = (size_t)(eol - p);
			if (vlen >= outlen)
				vlen = outlen - 1;
			memcpy(out, p, vlen);
			out[vlen] = '\0';
			return out;
		}
		p = eol + 2;
	}
	return NULL;
}

/*
 * One request.  url: absolute, or a path on the sandbox.  key NULL: no
 * Authorization; a key starting with "Bearer " is sent as is.
 */
void
http(const char *method, const char *url, const char *key, const char *rev,
    const char *extra, const char *body, long timeout_ms, struct hresp *r)
{
	CURL			*c;
	struct curl_slist	*h = NULL;
	char			 line[512], full[4096];
	double			 t0;

	memset(r, 0, sizeof(*r));
	if (url[0] == '/')
		snprintf(full, sizeof(full), "%s%s", sbx_base, url);
	else
		snprintf(full, sizeof(full), "%s", url);
	c = curl_easy_init();
	ck_assert_ptr_nonnull(c);
	if (key) {
		if (strncmp(key, "Bearer ", 7) == 0)
			snprintf(line, sizeof(line), "Authorization: %s", key);
		else
			snprintf(line, sizeof(line), "Authorization: "
			    "Klaviyo-API-Key %s", key);
		h = curl_slist_append(h, line);
	}
	if (rev) {
		snprintf(line, sizeof(line), "revision: %s", rev);
		h = curl_slist_append(h, line);
	}
	if (extra == NULL || strncasecmp(extra, "Accept:", 7) != 0)
		h = curl_slist_append(h, "Accept: application/vnd.api+json");
	if (extra)
		h = curl_slist_append(h, extra);
	curl_easy_setopt(c, CURLOPT_URL, full);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms :
	    10000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	t0 = now_s();
	r->cc = curl_easy_perform(c);
	r->secs = now_s() - t0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
}

void
get(const char *path, const char *key, struct hresp *r)
{
	http("GET", path, key, REV, NULL, NULL, 0, r);
	ck_assert_msg(r->cc == CURLE_OK, "GET %s: %s", path,
	    curl_easy_strerror(r->cc));
}

void
control(const char *method, const char *path, const char *body)
{
	struct hresp r;

	http(method, path, NULL, NULL, "Content-Type: application/json",
	    body, 0, &r);
	ck_assert_msg(r.cc == CURLE_OK && r.status >= 200 && r.status < 300,
	    "%s %s: %ld %.300s", method, path, r.status,
	    r.body ? r.body : "");
	hresp_free(&r);
}

void
reset_limits(void)
{
	control("DELETE", "/__sandbox/ratelimits", NULL);
}

struct json_object *
parse(const struct hresp *r)
{
	struct json_object *o;

	ck_assert_ptr_nonnull(r->body);
	o = json_tokener_parse(r->body);
	ck_assert_msg(o != NULL, "not JSON: %.200s", r->body);
	return o;
}

struct json_object *
member(struct json_object *o, const char *path)
{
	struct json_object	*v = o;
	char			 seg[64];
	const char		*p = path, *dot;
	size_t			 n;

	while (v != NULL) {
		dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		snprintf(seg, sizeof(seg), "%.*s", (int)n, p);
		if (!json_object_object_get_ex(v, seg, &v))
			return NULL;
		if (dot == NULL)
			return v;
		p = dot + 1;
	}
	return NULL;
}

const char *
str(struct json_object *o, const char *path)
{
	struct json_object *v = member(o, path);

	return v && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

/* The answer is a Klaviyo error: status, errors[0].code, the shape. */
void
expect_error(const struct hresp *r, long status, const char *code)
{
	struct json_object	*o, *errs, *e;
	char			 ct[128];
	const char		*f[] = { "id", "code", "title", "detail" };
	size_t			 i;

	ck_assert_msg(r->status == status, "status %ld, want %ld: %.300s",
	    r->status, status, r->body ? r->body : "");
	ck_assert_ptr_nonnull(hdr(r, "Content-Type", ct, sizeof(ct)));
	ck_assert_str_eq(ct, "application/vnd.api+json");
	o = parse(r);
	ck_assert(json_object_object_get_ex(o, "errors", &errs));
	ck_assert(json_object_is_type(errs, json_type_array));
	ck_assert_int_ge(json_object_array_length(errs), 1);
	e = json_object_array_get_idx(errs, 0);
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		ck_assert_msg(str(e, f[i]) != NULL, "errors[0].%s missing",
		    f[i]);
	ck_assert_str_eq(str(e, "code"), code);
	json_object_put(o);
}

/* Follows links.next to the end; returns the pages; items in *all. */
static int
follow(const char *path, const char *key, struct json_object **all)
{
	struct hresp		 r;
	struct json_object	*o, *data;
	const char		*next;
	char			 url[4096];
	size_t			 i;
	int			 pages = 0;

	*all = json_object_new_array();
	snprintf(url, sizeof(url), "%s", path);
	while (pages < 100) {
		reset_limits();
		get(url, key, &r);
		ck_assert_msg(r.status == 200, "%.200s: %ld %.300s", url,
		    r.status, r.body ? r.body : "");
		o = parse(&r);
		pages++;
		data = member(o, "data");
		ck_assert_ptr_nonnull(data);
		for (i = 0; i < json_object_array_length(data); i++)
			json_object_array_add(*all, json_object_get(
			    json_object_array_get_idx(data, i)));
		ck_assert_ptr_nonnull(str(o, "links.self"));
		ck_assert(strncmp(str(o, "links.self"), sbx_base,
		    strlen(sbx_base)) == 0);
		next = str(o, "links.next");
		if (next == NULL) {
			json_object_put(o);
			hresp_free(&r);
			break;
		}
		ck_assert_msg(strncmp(next, sbx_base, strlen(sbx_base)) == 0,
		    "links.next %s is not absolute on %s", next, sbx_base);
		snprintf(url, sizeof(url), "%s", next);
		json_object_put(o);
		hresp_free(&r);
	}
	return pages;
}

/* Starting and stopping the sandbox (outside any test: no ck_assert). */

static void
die(const char *msg, const char *arg)
{
	fprintf(stderr, "check_sandbox: %s%s%s\n", msg, arg ? ": " : "",
	    arg ? arg : "");
	exit(EXIT_FAILURE);
}

static void	add_fault(const char *);

/*
 * Starts a sandbox with --time-scale scale, logging to log, with
 * --oauth-client oauth unless it is NULL and the options in extra
 * (NULL-terminated, or NULL); its port in *port.  0 on success, else -1
 * with why set (no ck_assert: this also runs outside tests).
 */
int
spawn_sandbox(const char *scale, const char *log, const char *oauth,
    const char *const *extra, pid_t *pid, int *port, const char **why)
{
	const char	*argv[24];
	size_t		 na = 0;
	const char	*bin = getenv("KC_SANDBOX_BIN"), *bd;
	static char	 path[1024];
	char		 buf[256];
	int		 pfd[2];
	size_t		 got = 0;
	ssize_t		 n;
	double		 deadline;
	struct pollfd	 p;

	if (bin == NULL || *bin == '\0') {
		bd = getenv("KC_BUILDDIR");
		snprintf(path, sizeof(path), "%s/sandbox/klaviyo-sandbox",
		    bd ? bd : ".");
		bin = path;
	}
	*why = bin;
	if (pipe(pfd) != 0 || (*pid = fork()) < 0)
		return -1;
	if (*pid == 0) {
		/* Whatever happens to this test, the sandbox goes with it. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(pfd[1], STDOUT_FILENO);
		close(pfd[0]);
		close(pfd[1]);
		argv[na++] = bin;
		argv[na++] = "--listen";
		argv[na++] = "127.0.0.1:0";
		argv[na++] = "--time-scale";
		argv[na++] = scale;
		argv[na++] = "--log";
		argv[na++] = log;
		if (oauth != NULL) {
			argv[na++] = "--oauth-client";
			argv[na++] = oauth;
		}
		while (extra != NULL && *extra != NULL && na + 1 <
		    sizeof(argv) / sizeof(argv[0]))
			argv[na++] = *extra++;
		argv[na] = NULL;
		execv(bin, (char *const *)(uintptr_t)argv);
		fprintf(stderr, "cannot run %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	deadline = now_s() + 10.0;
	memset(buf, 0, sizeof(buf));
	while (strchr(buf, '\n') == NULL) {
		p.fd = pfd[0];
		p.events = POLLIN;
		if (now_s() >= deadline) {
			*why = "the sandbox did not start within 10 s";
			goto fail;
		}
		if (poll(&p, 1, 200) <= 0)
			continue;
		n = read(pfd[0], buf + got, sizeof(buf) - 1 - got);
		if (n <= 0) {
			*why = "the sandbox exited before listening";
			goto fail;
		}
		got += (size_t)n;
	}
	close(pfd[0]);
	if (sscanf(buf, "listening on 127.0.0.1:%d", port) != 1) {
		*why = "unexpected first line from the sandbox";
		stop_pid(pid);
		return -1;
	}
	return 0;
fail:
	close(pfd[0]);
	stop_pid(pid);
	return -1;
}

static void
sandbox_start(void)
{
	/* Webhooks go to the tests' loopback receiver, retried fast. */
	static const char *const wh[] = { "--webhook-allow-http",
	    "--webhook-retry-base-ms", "50", "--webhook-max-attempts", "4",
	    NULL };
	const char	*tmp = getenv("TMPDIR"), *why;

	snprintf(sbx_log, sizeof(sbx_log), "%s/kc-sandbox-test.%d.log",
	    tmp ? tmp : "/tmp", (int)getpid());
	if (spawn_sandbox("60", sbx_log, OAUTH_CLIENT, wh, &sbx_pid,
	    &sbx_port, &why) != 0)
		die("cannot start the sandbox", why);
	snprintf(sbx_base, sizeof(sbx_base), "http://127.0.0.1:%d",
	    sbx_port);
}

/* SIGTERM; the exit status, or -1 when it did not exit in time. */
int
stop_pid(pid_t *pid)
{
	int	 st;
	double	 deadline;
	pid_t	 w;

	if (*pid <= 0)
		return 0;
	kill(*pid, SIGTERM);
	deadline = now_s() + 10.0;
	while ((w = waitpid(*pid, &st, WNOHANG)) == 0 && now_s() <
	    deadline)
		usleep(20000);
	if (w == 0) {
		kill(*pid, SIGKILL);
		waitpid(*pid, &st, 0);
		*pid = -1;
		return -1;
	}
	*pid = -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int
sandbox_stop(void)
{
	return stop_pid(&sbx_pid);
}

static void
setup(void)
{
	control("DELETE", "/__sandbox/faults", NULL);
	reset_limits();
}

/* Accounts. */

static const struct {
	const char	*key;
	const char	*name;
	const char	*tz;
	const char	*currency;
} accounts[] = {
	{ K_SHOPIFY, "Acme Outdoor", "America/New_York", "USD" },
	{ K_WOO, "Bluebird Books", "Europe/London", "GBP" },
	{ K_CUSTOM, "Cedar & Sage Apothecary", "America/Los_Angeles", "USD" },
	{ K_EMPTY, "Driftwood Candle Co.", "Europe/Berlin", "EUR" },
	{ K_NOSCOPE, "Fernhill Tea House", "Asia/Tokyo", "JPY" },
	{ K_LISTS, "Granite Peak Outfitters", "Australia/Sydney", "AUD" },
};

START_TEST(test_keys_look_real)
{
	const char	*k = accounts[_i].key;
	size_t		 i;

	ck_assert_int_eq(strlen(k), 35);
	ck_assert(strncmp(k, "pk_", 3) == 0);
	for (i = 3; k[i]; i++)
		ck_assert((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' &&
		    k[i] <= '9'));
}
END_TEST

START_TEST(test_account)
{
	struct hresp		 r;
	struct json_object	*o, *data, *a;
	const char		*id;
	char			 v[64];
	size_t			 i;

	reset_limits();
	get("/api/accounts", accounts[_i].key, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(hdr(&r, "Content-Type", v, sizeof(v)));
	ck_assert_str_eq(v, "application/vnd.api+json");
	ck_assert_ptr_nonnull(hdr(&r, "RateLimit-Limit", v, sizeof(v)));
	ck_assert_str_eq(v, "15");
	ck_assert_ptr_nonnull(hdr(&r, "RateLimit-Remaining", v, sizeof(v)));
	ck_assert_str_eq(v, "14");
	ck_assert_ptr_nonnull(hdr(&r, "RateLimit-Reset", v, sizeof(v)));
	o = parse(&r);
	data = member(o, "data");
	ck_assert_int_eq(json_object_array_length(data), 1);
	a = json_object_array_get_idx(data, 0);
	ck_assert_str_eq(str(a, "type"), "account");
	id = str(a, "id");
	ck_assert_int_eq(strlen(id), 6);
	for (i = 0; i < 6; i++)
		ck_assert(isalnum((unsigned char)id[i]));
	ck_assert_str_eq(str(a, "attributes.public_api_key"), id);
	ck_assert_str_eq(str(a, "attributes.contact_information."
	    "organization_name"), accounts[_i].name);
	ck_assert_str_eq(str(a, "attributes.timezone"), accounts[_i].tz);
	ck_assert_str_eq(str(a, "attributes.preferred_currency"),
	    accounts[_i].currency);
	ck_assert(json_object_is_type(member(a, "attributes.test_account"),
	    json_type_boolean));
	ck_assert(strncmp(str(a, "links.self"), sbx_base,
	    strlen(sbx_base)) == 0);
	ck_assert_ptr_null(str(o, "links.next"));
	json_object_put(o);
	hresp_free(&r);
}
END_TEST

/* Metrics. */

static int
count_named(struct json_object *all, const char *name, const char *key,
    int *first_at)
{
	struct json_object	*m;
	size_t			 i;
	int			 n = 0;

	*first_at = -1;
	for (i = 0; i < json_object_array_length(all); i++) {
		m = json_object_array_get_idx(all, i);
		if (strcmp(str(m, "attributes.name"), name) != 0)
			continue;
		if (key && (str(m, "attributes.integration.key") == NULL ||
		    strcmp(str(m, "attributes.integration.key"), key) != 0))
			continue;
		if (*first_at < 0)
			*first_at = (int)i;
		n++;
	}
	return n;
}

static void
assert_unique_ids(struct json_object *all)
{
	size_t i, j, n = json_object_array_length(all);

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			ck_assert_str_ne(str(json_object_array_get_idx(all, i),
			    "id"), str(json_object_array_get_idx(all, j),
			    "id"));
}

START_TEST(test_metrics_shopify)
{
	struct json_object	*all, *m;
	int			 pages, at;

	pages = follow("/api/metrics", K_SHOPIFY, &all);
	ck_assert_int_eq(pages, 3);
	ck_assert_int_eq(json_object_array_length(all), 512);
	ck_assert_int_eq(count_named(all, "Placed Order", "shopify", &at), 1);
	ck_assert_int_ge(at, 400);	/* on page 3 */
	m = json_object_array_get_idx(all, (size_t)at);
	ck_assert_str_eq(str(m, "attributes.integration.name"), "Shopify");
	ck_assert_str_eq(str(m, "attributes.integration.category"),
	    "eCommerce");
	ck_assert_ptr_nonnull(str(m, "attributes.integration.id"));
	ck_assert_ptr_nonnull(str(m, "attributes.created"));
	ck_assert_ptr_nonnull(str(m, "attributes.updated"));
	ck_assert_int_eq(count_named(all, "Placed Order", "api", &at), 1);
	ck_assert_int_lt(at, 200);	/* a non-Shopify one on page 1 */
	ck_assert_int_eq(count_named(all, "Opened Email", "klaviyo", &at), 1);
	ck_assert_int_eq(count_named(all, "Viewed Product", NULL, &at), 1);
	assert_unique_ids(all);
	json_object_put(all);
}
END_TEST

START_TEST(test_metrics_other_stores)
{
	struct json_object	*all;
	int			 at;

	ck_assert_int_eq(follow("/api/metrics", K_WOO, &all), 1);
	ck_assert_int_eq(count_named(all, "Placed Order", NULL, &at), 1);
	ck_assert_int_eq(count_named(all, "Placed Order", "woocommerce",
	    &at), 1);
	ck_assert_int_eq(count_named(all, "Placed Order", "shopify", &at), 0);
	ck_assert_int_eq(count_named(all, "Fulfilled Order", "shopify", &at),
	    1);
	json_object_put(all);

	ck_assert_int_eq(follow("/api/metrics", K_EMPTY, &all), 1);
	ck_assert_int_eq(json_object_array_length(all), 0);
	json_object_put(all);

	ck_assert_int_eq(follow("/api/metrics", K_LISTS, &all), 1);
	ck_assert_int_eq(count_named(all, "Placed Order", "shopify", &at), 1);
	json_object_put(all);
}
END_TEST

START_TEST(test_metrics_filter)
{
	struct hresp		 r;
	struct json_object	*o, *data;
	size_t			 i;

	get("/api/metrics?filter=equals(integration.name,'Shopify')",
	    K_SHOPIFY, &r);
	ck_assert_int_eq(r.status, 200);
	o = parse(&r);
	data = member(o, "data");
	ck_assert_int_eq(json_object_array_length(data), 9);
	for (i = 0; i < json_object_array_length(data); i++)
		ck_assert_str_eq(str(json_object_array_get_idx(data, i),
		    "attributes.integration.key"), "shopify");
	json_object_put(o);
	hresp_free(&r);
	get("/api/metrics?filter=equals(integration.key,'shopify')",
	    K_SHOPIFY, &r);
	expect_error(&r, 400, "invalid");
	hresp_free(&r);
}
END_TEST

START_TEST(test_custom_metrics_dedupe)
{
	struct hresp		 r;
	struct json_object	*metrics, *o, *data, *cm, *inc, *m;
	size_t			 i, j;
	int			 same_id = 0, same_name_other_id = 0, merged;
	const char		*id;

	ck_assert_int_eq(follow("/api/metrics", K_CUSTOM, &metrics), 1);
	ck_assert_int_eq(json_object_array_length(metrics), 24);
	reset_limits();
	get("/api/custom-metrics?include=metrics", K_CUSTOM, &r);
	ck_assert_int_eq(r.status, 200);
	o = parse(&r);
	data = member(o, "data");
	ck_assert_int_eq(json_object_array_length(data), 4);
	merged = (int)json_object_array_length(metrics);
	for (i = 0; i < json_object_array_length(data); i++) {
		int dup = 0;

		cm = json_object_array_get_idx(data, i);
		ck_assert_str_eq(str(cm, "type"), "custom-metric");
		ck_assert_ptr_nonnull(str(cm, "attributes.definition."
		    "aggregation_method"));
		ck_assert_ptr_nonnull(member(cm, "relationships.metrics."
		    "data"));
		id = str(cm, "id");
		for (j = 0; j < json_object_array_length(metrics); j++) {
			m = json_object_array_get_idx(metrics, j);
			if (strcmp(str(m, "id"), id) == 0) {
				dup = 1;
				ck_assert_str_eq(str(m, "attributes.name"),
				    str(cm, "attributes.name"));
			} else if (strcmp(str(m, "attributes.name"),
			    str(cm, "attributes.name")) == 0)
				same_name_other_id++;
		}
		same_id += dup;
		merged += !dup;
	}
	ck_assert_int_eq(same_id, 1);		/* dedupe on id */
	ck_assert_int_ge(same_name_other_id, 1);	/* not on name */
	ck_assert_int_eq(merged, 27);
	inc = member(o, "included");
	ck_assert_ptr_nonnull(inc);
	ck_assert_int_eq(json_object_array_length(inc), 2);
	for (i = 0; i < json_object_array_length(inc); i++)
		ck_assert_str_eq(str(json_object_array_get_idx(inc, i),
		    "type"), "metric");
	json_object_put(o);
	hresp_free(&r);

	/* Without include, relationships carry links only. */
	reset_limits();
	get("/api/custom-metrics", K_CUSTOM, &r);
	o = parse(&r);
	cm = json_object_array_get_idx(member(o, "data"), 0);
	ck_assert_ptr_null(member(cm, "relationships.metrics.data"));
	ck_assert_ptr_nonnull(str(cm, "relationships.metrics.links.related"));
	ck_assert_ptr_null(member(o, "included"));
	json_object_put(o);
	hresp_free(&r);

	reset_limits();
	get("/api/custom-metrics", K_SHOPIFY, &r);
	ck_assert_int_eq(r.status, 200);
	o = parse(&r);
	ck_assert_int_eq(json_object_array_length(member(o, "data")), 0);
	json_object_put(o);
	hresp_free(&r);
	json_object_put(metrics);
}
END_TEST

/* Lists. */

START_TEST(test_lists_pages)
{
	struct hresp		 r;
	struct json_object	*all, *o;

	ck_assert_int_eq(follow("/api/lists", K_LISTS, &all), 14);
	ck_assert_int_eq(json_object_array_length(all), 137);
	assert_unique_ids(all);
	json_object_put(all);
	ck_assert_int_eq(follow("/api/lists", K_SHOPIFY, &all), 2);
	ck_assert_int_eq(json_object_array_length(all), 12);
	json_object_put(all);
	ck_assert_int_eq(follow("/api/lists?page[size]=5&sort=name",
	    K_SHOPIFY, &all), 3);
	ck_assert_int_eq(json_object_array_length(all), 12);
	ck_assert_str_eq(str(json_object_array_get_idx(all, 0),
	    "attributes.name"), "Back in Stock");
	json_object_put(all);
	ck_assert_int_eq(follow("/api/lists", K_EMPTY, &all), 1);
	ck_assert_int_eq(json_object_array_length(all), 0);
	json_object_put(all);

	/* Page 2 has prev and next. */
	reset_limits();
	get("/api/lists?page[size]=4", K_SHOPIFY, &r);
	o = parse(&r);
	ck_assert_ptr_null(str(o, "links.prev"));
	ck_assert_ptr_nonnull(strstr(str(o, "links.next"),
	    "page%5Bsize%5D=4"));
	hresp_free(&r);
	reset_limits();
	get(str(o, "links.next"), K_SHOPIFY, &r);
	json_object_put(o);
	o = parse(&r);
	ck_assert_ptr_nonnull(str(o, "links.prev"));
	ck_assert_ptr_nonnull(str(o, "links.next"));
	json_object_put(o);
	hresp_free(&r);
}
END_TEST

/*
 * The store: campaigns, flows, segments, forms, events and reports of
 * Acme Outdoor, the large account (docs/SANDBOX.md has the totals).
 */

#define K_PLACED	"bWFrb5"	/* Acme's Shopify Placed Order */
#define K_API_PLACED	"PGGbvj"	/* Acme's API Placed Order */
#define JSONAPI_CT	"Content-Type: application/vnd.api+json"
/* Acme's totals, the same on any day (docs/SANDBOX.md). */
#define ACME_ORDERS		20000
#define ACME_ORDER_CENTS	165190910LL
#define ACME_CAMPAIGN_ORDERS	6000
#define ACME_CAMPAIGN_CENTS	49560688LL
#define ACME_FLOW_ORDERS	7000
#define ACME_FLOW_CENTS		57861291LL

static long long
cents_of(struct json_object *v)
{
	double d;

	ck_assert_ptr_nonnull(v);
	d = json_object_get_double(v);
	return (long long)(d * 100.0 + (d >= 0 ? 0.5 : -0.5));
}

static long long
int_of(struct json_object *v)
{
	ck_assert_ptr_nonnull(v);
	return json_object_get_int64(v);
}

static void
post_report(const char *path, const char *key, const char *rev,
    const char *body, struct hresp *r)
{
	reset_limits();
	http("POST", path, key, rev, JSONAPI_CT, body, 30000, r);
	ck_assert_msg(r->cc == CURLE_OK, "POST %s: %s", path,
	    curl_easy_strerror(r->cc));
}

/* Every result of a report: the same body again with links.next. */
static struct json_object *
report_all(const char *path, const char *key, const char *body,
    int *pages, struct json_object **date_times)
{
	struct json_object	*all = json_object_new_array(), *o, *res;
	struct hresp		 r;
	char			 url[4096];
	const char		*next;
	size_t			 i;

	*pages = 0;
	if (date_times)
		*date_times = NULL;
	snprintf(url, sizeof(url), "%s", path);
	while (*pages < 20) {
		post_report(url, key, REV, body, &r);
		ck_assert_msg(r.status == 200, "%s: %ld %.400s", url, r.status,
		    r.body ? r.body : "");
		o = parse(&r);
		(*pages)++;
		res = member(o, "data.attributes.results");
		ck_assert_ptr_nonnull(res);
		for (i = 0; i < json_object_array_length(res); i++)
			json_object_array_add(all, json_object_get(
			    json_object_array_get_idx(res, i)));
		if (date_times && *date_times == NULL &&
		    member(o, "data.attributes.date_times") != NULL)
			*date_times = json_object_get(member(o,
			    "data.attributes.date_times"));
		next = str(o, "links.next");
		if (next == NULL) {
			json_object_put(o);
			hresp_free(&r);
			break;
		}
		ck_assert(strstr(next, "page_cursor=") != NULL);
		snprintf(url, sizeof(url), "%s", next);
		json_object_put(o);
		hresp_free(&r);
	}
	return all;
}

/* An account's store summary (/__sandbox/accounts). */
static struct json_object *
store_of(const char *key)
{
	struct hresp		 r;
	struct json_object	*o, *accs, *a, *st = NULL;
	size_t			 i;

	http("GET", "/__sandbox/accounts", NULL, NULL, NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	o = parse(&r);
	accs = member(o, "accounts");
	for (i = 0; i < json_object_array_length(accs); i++) {
		a = json_object_array_get_idx(accs, i);
		if (strcmp(str(a, "key"), key) == 0)
			st = json_object_get(member(a, "store"));
	}
	json_object_put(o);
	hresp_free(&r);
	ck_assert_ptr_nonnull(st);
	return st;
}

/* "YYYY-MM-DD" moved by days (proleptic Gregorian). */
static void
date_add(const char *date, int days, char *out, size_t len)
{
	int		 y, m, d;
	long long	 z, era;
	unsigned	 yoe, doy, doe, mp;

	ck_assert_int_eq(sscanf(date, "%d-%d-%d", &y, &m, &d), 3);
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	z = era * 146097 + (long long)doe + days;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = (int)(doy - (153 * mp + 2) / 5 + 1);
	m = (int)(mp < 10 ? mp + 3 : mp - 9);
	y = (int)((long long)yoe + era * 400 + (m <= 2));
	snprintf(out, len, "%04d-%02d-%02d", y, m, d);
}

/* A date one year on, Feb 29 becoming Feb 28. */
static void
date_next_year(const char *date, char *out, size_t len)
{
	int y, m, d;

	ck_assert_int_eq(sscanf(date, "%d-%d-%d", &y, &m, &d), 3);
	if (m == 2 && d == 29)
		d = 28;
	snprintf(out, len, "%04d-%02d-%02d", y + 1, m, d);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
assert_unique_ids_fast(struct json_object *all)
{
	size_t		 i, n = json_object_array_length(all);
	const char	**ids = calloc(n + 1, sizeof(*ids));

	for (i = 0; i < n; i++)
		ids[i] = str(json_object_array_get_idx(all, i), "id");
	qsort(ids, n, sizeof(*ids), cmp_str);
	for (i = 1; i < n; i++)
		ck_assert_str_ne(ids[i - 1], ids[i]);
	free(ids);
}

START_TEST(test_campaign_pages)
{
	static const struct {
		const char	*ch;
		int		 n, pages;
	} chans[] = { { "email", 380, 4 }, { "sms", 110, 2 },
	    { "mobile_push", 10, 1 } };
	struct json_object	*all, *o, *data, *inc, *c;
	struct hresp		 r;
	char			 path[512], t[64], *p;
	const char		*u;
	size_t			 i, j, n, later = 0;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "/api/campaigns?filter=equals("
		    "messages.channel,'%s')", chans[i].ch);
		ck_assert_int_eq(follow(path, K_SHOPIFY, &all),
		    chans[i].pages);
		ck_assert_int_eq(json_object_array_length(all), chans[i].n);
		assert_unique_ids(all);
		for (j = 0; j < json_object_array_length(all); j++) {
			c = json_object_array_get_idx(all, j);
			ck_assert_str_eq(str(c, "type"), "campaign");
			ck_assert_ptr_nonnull(str(c, "attributes.status"));
			ck_assert_ptr_null(member(c, "_sbx"));
		}
		json_object_put(all);
	}
	/* The channel filter is required, one channel at a time. */
	get("/api/campaigns", K_SHOPIFY, &r);
	expect_error(&r, 400, "invalid");
	ck_assert_ptr_nonnull(strstr(r.body, "messages.channel"));
	hresp_free(&r);
	get("/api/campaigns?filter=equals(status,'Sent')", K_SHOPIFY, &r);
	expect_error(&r, 400, "invalid");
	hresp_free(&r);
	get("/api/campaigns?filter=equals(messages.channel,'fax')", K_SHOPIFY,
	    &r);
	expect_error(&r, 400, "invalid");
	hresp_free(&r);
	get("/api/campaigns?filter=any(messages.channel,['email','sms'])",
	    K_SHOPIFY, &r);
	expect_error(&r, 400, "invalid");
	hresp_free(&r);
	get("/api/campaigns?filter=equals(messages.channel,'email')"
	    "&page[size]=101", K_SHOPIFY, &r);
	expect_error(&r, 400, "invalid");
	hresp_free(&r);
	/* include=campaign-messages: each campaign's own message. */
	reset_limits();
	get("/api/campaigns?filter=equals(messages.channel,'sms')"
	    "&page[size]=5&include=campaign-messages", K_SHOPIFY, &r);
	ck_assert_int_eq(r.status, 200);
	o = parse(&r);
	data = member(o, "data");
	inc = member(o, "included");
	ck_assert_int_eq(json_object_array_length(data), 5);
	ck_assert_int_eq(json_object_array_length(inc), 5);
	for (i = 0; i < 5; i++) {
		c = json_object_array_get_idx(data, i);
		ck_assert_str_eq(str(json_object_array_get_idx(member(c,
		    "relationships.campaign-messages.data"), 0), "id"),
		    str(json_object_array_get_idx(inc, i), "id"));
		ck_assert_str_eq(str(json_object_array_get_idx(inc, i),
		    "attributes.definition.channel"), "sms");
	}
	json_object_put(o);
	hresp_free(&r);
	/* An incremental sync: updated_at >= t, oldest first. */
	ck_assert_int_eq(follow("/api/campaigns?filter=equals("
	    "messages.channel,'email')", K_SHOPIFY, &all), 4);
	snprintf(t, sizeof(t), "%s", str(json_object_array_get_idx(all, 200),
	    "attributes.updated_at"));
	for (i = 0; i < json_object_array_length(all); i++)
		later += strcmp(str(json_object_array_get_idx(all, i),
		    "attributes.updated_at"), t) >= 0;
	json_object_put(all);
	if ((p = strstr(t, "+00:00")) != NULL)
		snprintf(p, 2, "Z");
	snprintf(path, sizeof(path), "/api/campaigns?filter=and(equals("
	    "messages.channel,'email'),greater-or-equal(updated_at,%s))"
	    "&sort=updated_at", t);
	follow(path, K_SHOPIFY, &all);
	n = json_object_array_length(all);
	ck_assert_uint_eq(n, later);
	for (i = 1; i < n; i++) {
		u = str(json_object_array_get_idx(all, i), "attributes."
		    "updated_at");
		ck_assert(strcmp(str(json_object_array_get_idx(all, i - 1),
		    "attributes.updated_at"), u) <= 0);
	}
	json_object_put(all);
}
END_TEST

START_TEST(test_other_collections)
{
	static const struct {
		const char	*path;
		const char	*key;
		int		 pages, n;
	} cases[] = {
		{ "/api/flows", K_SHOPIFY, 2, 80 },
		{ "/api/flows?page[size]=20&sort=-name", K_SHOPIFY, 4, 80 },
		{ "/api/segments", K_SHOPIFY, 3, 30 },
		{ "/api/forms", K_SHOPIFY, 2, 40 },
		{ "/api/forms?page[size]=100&sort=-updated_at", K_SHOPIFY, 1,
		  40 },
		{ "/api/flows", K_WOO, 1, 6 },
		{ "/api/segments", K_LISTS, 2, 12 },
		{ "/api/flows", K_EMPTY, 1, 0 },
		{ "/api/segments", K_EMPTY, 1, 0 },
		{ "/api/forms", K_EMPTY, 1, 0 },
		{ "/api/events", K_EMPTY, 1, 0 },
		{ "/api/campaigns?filter=equals(messages.channel,'email')",
		  K_EMPTY, 1, 0 },
	};
	static const char *const noscope[] = { "/api/flows",
	    "/api/segments", "/api/forms", "/api/events",
	    "/api/campaigns?filter=equals(messages.channel,'email')" };
	struct json_object	*all, *it;
	struct hresp		 r;
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(follow(cases[i].path, cases[i].key, &all) ==
		    cases[i].pages, "%s", cases[i].path);
		ck_assert_msg(json_object_array_length(all) ==
		    (size_t)cases[i].n, "%s: %zu", cases[i].path,
		    json_object_array_length(all));
		assert_unique_ids(all);
		json_object_put(all);
	}
	for (i = 0; i < sizeof(noscope) / sizeof(noscope[0]); i++) {
		get(noscope[i], K_NOSCOPE, &r);
		expect_error(&r, 403, "permission_denied");
		hresp_free(&r);
	}
	/* Filters as the spec lists them. */
	follow("/api/flows?filter=equals(status,'live')", K_SHOPIFY, &all);
	ck_assert_int_gt(json_object_array_length(all), 10);
	for (i = 0; i < json_object_array_length(all); i++)
		ck_assert_str_eq(str(json_object_array_get_idx(all, i),
		    "attributes.status"), "live");
	json_object_put(all);
	follow("/api/flows?filter=starts-with(name,'Welcome')", K_SHOPIFY,
	    &all);
	ck_assert_int_eq(json_object_array_length(all), 4);
	json_object_put(all);
	follow("/api/segments?filter=equals(is_active,false)", K_SHOPIFY,
	    &all);
	for (i = 0; i < json_object_array_length(all); i++) {
		it = json_object_array_get_idx(all, i);
		ck_assert(!json_object_get_boolean(member(it,
		    "attributes.is_active")));
	}
	json_object_put(all);
	get("/api/flows?page[size]=51", K_SHOPIFY, &r);
	expect_error(&r, 400, "invalid");
	hresp_free(&r);
	get("/api/forms?sort=name", K_SHOPIFY, &r);
	expect_error(&r, 400, "invalid");
	hresp_free(&r);
	get("/api/segments?filter=equals(name,'VIP%20Customers')", K_SHOPIFY,
	    &r);
	expect_error(&r, 400, "invalid");	/* a list operator: ['x'] */
	hresp_free(&r);
}
END_TEST

START_TEST(test_events_pages)
{
	struct json_object	*all, *o, *data, *inc, *e;
	struct hresp		 r;
	char			 path[512];
	const char		*a, *b;
	size_t			 i, n, in_june = 0;
	long long		 total = 0;

	ck_assert_int_eq(follow("/api/events?page[size]=1000", K_SHOPIFY,
	    &all), 20);
	n = json_object_array_length(all);
	ck_assert_uint_eq(n, ACME_ORDERS);
	assert_unique_ids_fast(all);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(all, i);
		total += cents_of(member(e, "attributes.event_properties."
		    "$value"));
		a = str(e, "attributes.datetime");
		if (i > 0)
			ck_assert(strcmp(str(json_object_array_get_idx(all,
			    i - 1), "attributes.datetime"), a) <= 0);
		in_june += strncmp(a, "2025-06", 7) == 0;
	}
	ck_assert_int_eq(total, ACME_ORDER_CENTS);
	/* Newest first. */
	reset_limits();
	get("/api/events?sort=-datetime&page[size]=3", K_SHOPIFY, &r);
	o = parse(&r);
	data = member(o, "data");
	ck_assert_str_eq(str(json_object_array_get_idx(data, 0), "id"),
	    str(json_object_array_get_idx(all, n - 1), "id"));
	a = str(json_object_array_get_idx(data, 0), "attributes.datetime");
	b = str(json_object_array_get_idx(data, 1), "attributes.datetime");
	ck_assert(strcmp(a, b) >= 0);
	json_object_put(o);
	hresp_free(&r);
	json_object_put(all);
	/* Default page: 200, with a next link. */
	reset_limits();
	get("/api/events", K_SHOPIFY, &r);
	o = parse(&r);
	ck_assert_int_eq(json_object_array_length(member(o, "data")), 200);
	ck_assert_ptr_nonnull(str(o, "links.next"));
	json_object_put(o);
	hresp_free(&r);
	/* A metric and a time range. */
	snprintf(path, sizeof(path), "/api/events?page[size]=1000&filter="
	    "and(equals(metric_id,'%s'),greater-or-equal(datetime,"
	    "2025-06-01T00:00:00Z),less-than(datetime,2025-07-01T00:00:00Z))",
	    K_PLACED);
	follow(path, K_SHOPIFY, &all);
	ck_assert_uint_eq(json_object_array_length(all), in_june);
	json_object_put(all);
	follow("/api/events?filter=equals(metric_id,'" K_API_PLACED "')",
	    K_SHOPIFY, &all);
	ck_assert_int_eq(json_object_array_length(all), 0);
	json_object_put(all);
	/* Includes: the metric once, profiles, attributions. */
	reset_limits();
	get("/api/events?page[size]=20&include=metric,profile,attributions",
	    K_SHOPIFY, &r);
	ck_assert_int_eq(r.status, 200);
	o = parse(&r);
	inc = member(o, "included");
	ck_assert_ptr_nonnull(inc);
	ck_assert_str_eq(str(json_object_array_get_idx(inc, 0), "type"),
	    "metric");
	ck_assert_str_eq(str(json_object_array_get_idx(inc, 0), "id"),
	    K_PLACED);
	for (i = 1; i < json_object_array_length(inc); i++)
		ck_assert(strcmp(str(json_object_array_get_idx(inc, i), "type"),
		    "metric") != 0);
	e = json_object_array_get_idx(member(o, "data"), 0);
	ck_assert_str_eq(str(e, "relationships.metric.data.id"), K_PLACED);
	ck_assert_ptr_nonnull(str(e, "relationships.profile.data.id"));
	json_object_put(o);
	hresp_free(&r);
	get("/api/events?page[size]=1001", K_SHOPIFY, &r);
	expect_error(&r, 400, "invalid");
	hresp_free(&r);
	get("/api/events?filter=equals(value,1)", K_SHOPIFY, &r);
	expect_error(&r, 400, "invalid");
	hresp_free(&r);
}
END_TEST

/* Report bodies. */
#define CV(attrs) "{\"data\":{\"type\":\"campaign-values-report\"," \
	"\"attributes\":{" attrs "}}}"
#define FV(attrs) "{\"data\":{\"type\":\"flow-values-report\"," \
	"\"attributes\":{" attrs "}}}"
#define FS(attrs) "{\"data\":{\"type\":\"flow-series-report\"," \
	"\"attributes\":{" attrs "}}}"
#define MV(attrs) "{\"data\":{\"type\":\"form-values-report\"," \
	"\"attributes\":{" attrs "}}}"
#define MS(attrs) "{\"data\":{\"type\":\"form-series-report\"," \
	"\"attributes\":{" attrs "}}}"
#define SV(attrs) "{\"data\":{\"type\":\"segment-values-report\"," \
	"\"attributes\":{" attrs "}}}"
#define SS(attrs) "{\"data\":{\"type\":\"segment-series-report\"," \
	"\"attributes\":{" attrs "}}}"
#define STATS	"\"statistics\":[\"recipients\"]"
#define TF30	"\"timeframe\":{\"key\":\"last_30_days\"}"
#define CONV	"\"conversion_metric_id\":\"" K_PLACED "\""

static const struct {
	const char	*path;
	const char	*rev;
	const char	*body;
	const char	*where;		/* a source pointer or parameter */
} bad_reports[] = {
	{ "/api/campaign-values-reports", REV, NULL, "/data" },
	{ "/api/campaign-values-reports", REV, "[1]", "/" },
	{ "/api/campaign-values-reports", REV, "{\"data\":[]}", "/data" },
	{ "/api/campaign-values-reports", REV, "{\"data\":{\"type\":"
	  "\"flow-values-report\",\"attributes\":{" STATS "," TF30 "," CONV
	  "}}}", "/data/type" },
	{ "/api/campaign-values-reports", REV, CV(""),
	  "/data/attributes/statistics" },
	{ "/api/campaign-values-reports", REV, CV("\"statistics\":[]," TF30
	  "," CONV), "/data/attributes/statistics" },
	{ "/api/campaign-values-reports", REV, CV("\"statistics\":["
	  "\"opens\",\"views\"]," TF30 "," CONV),
	  "/data/attributes/statistics/1" },
	{ "/api/campaign-values-reports", REV, CV(STATS "," CONV),
	  "/data/attributes/timeframe" },
	{ "/api/campaign-values-reports", REV, CV(STATS ",\"timeframe\":"
	  "{\"key\":\"last_2_years\"}," CONV),
	  "/data/attributes/timeframe/key" },
	{ "/api/campaign-values-reports", REV, CV(STATS ",\"timeframe\":"
	  "{\"start\":\"2025-01-01T00:00:00+00:00\"}," CONV),
	  "/data/attributes/timeframe" },
	{ "/api/campaign-values-reports", REV, CV(STATS ",\"timeframe\":"
	  "{\"start\":\"2025-01-01\",\"end\":\"2026-01-02\"}," CONV),
	  "/data/attributes/timeframe" },
	{ "/api/campaign-values-reports", REV, CV(STATS ",\"timeframe\":"
	  "{\"start\":\"2025-02-01\",\"end\":\"2025-01-01\"}," CONV),
	  "/data/attributes/timeframe" },
	{ "/api/campaign-values-reports", REV, CV(STATS ",\"timeframe\":"
	  "{\"start\":\"soon\",\"end\":\"2025-01-01\"}," CONV),
	  "/data/attributes/timeframe/start" },
	{ "/api/campaign-values-reports", REV, CV(STATS "," TF30),
	  "/data/attributes/conversion_metric_id" },
	{ "/api/campaign-values-reports", REV, CV(STATS "," TF30
	  ",\"conversion_metric_id\":\"NOPE00\""),
	  "/data/attributes/conversion_metric_id" },
	{ "/api/campaign-values-reports", REV, CV(STATS "," TF30 "," CONV
	  ",\"interval\":\"daily\""), "/data/attributes/interval" },
	{ "/api/campaign-values-reports", REV, CV(STATS "," TF30 "," CONV
	  ",\"group_by\":[\"send_channel\"]"), "/data/attributes/group_by" },
	{ "/api/campaign-values-reports", REV, CV(STATS "," TF30 "," CONV
	  ",\"group_by\":[\"campaign_id\",\"campaign_message_id\","
	  "\"flow_id\"]"), "/data/attributes/group_by/2" },
	{ "/api/campaign-values-reports", "2025-07-15", CV(STATS "," TF30 ","
	  CONV ",\"group_by\":[\"campaign_id\",\"campaign_message_id\"]"),
	  "/data/attributes/group_by" },
	{ "/api/campaign-values-reports", REV, CV(STATS "," TF30 "," CONV
	  ",\"filter\":\"contains-any(send_channel,[\\\"fax\\\"])\""),
	  "/data/attributes/filter" },
	{ "/api/campaign-values-reports", REV, CV(STATS "," TF30 "," CONV
	  ",\"filter\":\"and(equals(campaign_id,\\\"a\\\"),"
	  "contains-any(campaign_id,[\\\"b\\\"]))\""),
	  "/data/attributes/filter" },
	{ "/api/campaign-values-reports", REV, CV(STATS "," TF30 "," CONV
	  ",\"filter\":\"equals(flow_id,\\\"a\\\")\""),
	  "/data/attributes/filter" },
	{ "/api/campaign-values-reports?page_cursor=bogus", REV, CV(STATS ","
	  TF30 "," CONV), "page_cursor" },
	{ "/api/flow-values-reports", REV, FV(STATS "," TF30),
	  "/data/attributes/conversion_metric_id" },
	{ "/api/flow-values-reports", REV, FV(STATS "," TF30 "," CONV
	  ",\"group_by\":[\"flow_id\"]"), "/data/attributes/group_by" },
	{ "/api/flow-series-reports", REV, FS(STATS "," TF30 "," CONV),
	  "/data/attributes/interval" },
	{ "/api/flow-series-reports", REV, FS(STATS "," TF30 "," CONV
	  ",\"interval\":\"yearly\""), "/data/attributes/interval" },
	{ "/api/flow-series-reports", REV, FS(STATS ",\"timeframe\":{"
	  "\"start\":\"2025-01-01\",\"end\":\"2025-01-08T00:00:01\"}," CONV
	  ",\"interval\":\"hourly\""), "/data/attributes/timeframe" },
	{ "/api/flow-series-reports", REV, FS(STATS ",\"timeframe\":{\"key\":"
	  "\"last_90_days\"}," CONV ",\"interval\":\"daily\""),
	  "/data/attributes/timeframe" },
	{ "/api/flow-series-reports", REV, FS(STATS ",\"timeframe\":{\"key\":"
	  "\"last_12_months\"}," CONV ",\"interval\":\"monthly\""),
	  "/data/attributes/timeframe" },
	{ "/api/form-values-reports", REV, MV(STATS "," TF30),
	  "/data/attributes/statistics/0" },
	{ "/api/form-values-reports", REV, MV("\"statistics\":[\"submits\"],"
	  TF30 "," CONV), "/data/attributes/conversion_metric_id" },
	{ "/api/form-values-reports", REV, MV("\"statistics\":[\"submits\"],"
	  TF30 ",\"group_by\":[\"form_version_id\"]"),
	  "/data/attributes/group_by" },
	{ "/api/form-values-reports", REV, MV("\"statistics\":[\"submits\"],"
	  TF30 ",\"filter\":\"equals(segment_id,\\\"x\\\")\""),
	  "/data/attributes/filter" },
	{ "/api/form-series-reports", REV, MS("\"statistics\":[\"submits\"],"
	  TF30), "/data/attributes/interval" },
	{ "/api/segment-values-reports", REV, SV("\"statistics\":["
	  "\"total_members\"]," TF30 ",\"group_by\":[\"segment_id\"]"),
	  "/data/attributes/group_by" },
	{ "/api/segment-values-reports", REV, SV("\"statistics\":["
	  "\"total_members\"],\"timeframe\":{\"start\":\"2023-05-31\","
	  "\"end\":\"2023-07-01\"}"), "/data/attributes/timeframe" },
	{ "/api/segment-series-reports", REV, SS("\"statistics\":["
	  "\"total_members\",\"submits\"]," TF30 ",\"interval\":\"daily\""),
	  "/data/attributes/statistics/1" },
};

START_TEST(test_report_validation)
{
	struct hresp		 r;
	struct json_object	*o, *errs, *e;
	size_t			 i;
	int			 found = 0;
	const char		*w = bad_reports[_i].where;

	reset_limits();
	http("POST", bad_reports[_i].path, K_SHOPIFY, bad_reports[_i].rev,
	    JSONAPI_CT, bad_reports[_i].body, 10000, &r);
	ck_assert_int_eq(r.cc, CURLE_OK);
	expect_error(&r, 400, "invalid");
	o = parse(&r);
	errs = member(o, "errors");
	for (i = 0; i < json_object_array_length(errs); i++) {
		e = json_object_array_get_idx(errs, i);
		ck_assert_int_eq(int_of(member(e, "status")), 400);
		if ((str(e, "source.pointer") && strcmp(str(e,
		    "source.pointer"), w) == 0) || (str(e,
		    "source.parameter") && strcmp(str(e, "source.parameter"),
		    w) == 0))
			found = 1;
	}
	ck_assert_msg(found, "case %d: no error at %s: %.600s", _i, w,
	    r.body);
	json_object_put(o);
	hresp_free(&r);
}
END_TEST

/* Every violation of a body is reported, not just the first. */
START_TEST(test_report_many_errors)
{
	struct hresp		 r;
	struct json_object	*o;

	post_report("/api/flow-series-reports", K_SHOPIFY, REV,
	    FS("\"statistics\":[\"nope\"],\"timeframe\":{\"key\":\"never\"},"
	    "\"extra\":1"), &r);
	expect_error(&r, 400, "invalid");
	o = parse(&r);
	ck_assert_int_ge(json_object_array_length(member(o, "errors")), 5);
	json_object_put(o);
	hresp_free(&r);
	/* Another account's metric is not a metric of this one. */
	post_report("/api/campaign-values-reports", K_WOO, REV, CV(STATS ","
	    TF30 "," CONV), &r);
	expect_error(&r, 400, "invalid");
	hresp_free(&r);
	/* The empty account: no metric at all, but forms and segments. */
	post_report("/api/segment-values-reports", K_EMPTY, REV,
	    SV("\"statistics\":[\"total_members\"]," TF30), &r);
	ck_assert_int_eq(r.status, 200);
	o = parse(&r);
	ck_assert_int_eq(json_object_array_length(member(o,
	    "data.attributes.results")), 0);
	json_object_put(o);
	hresp_free(&r);
}
END_TEST

/* Daily flow series over 60 days: aligned, and the sum of the values. */
START_TEST(test_series_60_days)
{
	struct json_object	*st, *series, *values, *dts, *s, *v, *arr;
	char			 start[48], body[1024], dt[64];
	const char		*today, *mid;
	struct hresp		 r;
	size_t			 i, j, k, matched = 0;
	long long		 rsum, csum;
	int			 pages;

	st = store_of(K_SHOPIFY);
	today = str(st, "today");
	date_add(today, -60, start, sizeof(start));
	snprintf(body, sizeof(body), FS("\"statistics\":[\"recipients\","
	    "\"conversion_value\",\"conversions\"],\"timeframe\":{\"start\":"
	    "\"%sT00:00:00\",\"end\":\"%sT00:00:00\"},\"interval\":\"daily\","
	    CONV), start, today);
	series = report_all("/api/flow-series-reports", K_SHOPIFY, body,
	    &pages, &dts);
	ck_assert_int_eq(json_object_array_length(dts), 60);
	/* Account-local midnights, with the account's offset. */
	snprintf(dt, sizeof(dt), "%sT00:00:00-0", start);
	ck_assert_msg(strncmp(json_object_get_string(
	    json_object_array_get_idx(dts, 0)), dt, strlen(dt)) == 0, "%s",
	    json_object_get_string(json_object_array_get_idx(dts, 0)));
	snprintf(body, sizeof(body), FV("\"statistics\":[\"recipients\","
	    "\"conversion_value\",\"conversions\"],\"timeframe\":{\"start\":"
	    "\"%sT00:00:00\",\"end\":\"%sT00:00:00\"}," CONV), start, today);
	values = report_all("/api/flow-values-reports", K_SHOPIFY, body,
	    &pages, NULL);
	ck_assert_uint_eq(json_object_array_length(values),
	    json_object_array_length(series));
	for (i = 0; i < json_object_array_length(series); i++) {
		s = json_object_array_get_idx(series, i);
		arr = member(s, "statistics.recipients");
		ck_assert_int_eq(json_object_array_length(arr), 60);
		ck_assert_int_eq(json_object_array_length(member(s,
		    "statistics.conversion_value")), 60);
		for (j = 0; j < json_object_array_length(values); j++) {
			v = json_object_array_get_idx(values, j);
			if (strcmp(str(v, "groupings.flow_message_id"), str(s,
			    "groupings.flow_message_id")) != 0)
				continue;
			rsum = csum = 0;
			for (k = 0; k < 60; k++) {
				rsum += int_of(json_object_array_get_idx(arr,
				    k));
				csum += cents_of(json_object_array_get_idx(
				    member(s, "statistics.conversion_value"),
				    k));
			}
			ck_assert_int_eq(rsum, int_of(member(v,
			    "statistics.recipients")));
			ck_assert_int_eq(csum, cents_of(member(v,
			    "statistics.conversion_value")));
			matched++;
		}
	}
	ck_assert_uint_eq(matched, json_object_array_length(series));
	json_object_put(series);
	json_object_put(values);
	json_object_put(dts);
	/* 61 days is too long for a daily series. */
	mid = today;
	date_add(mid, -61, start, sizeof(start));
	snprintf(body, sizeof(body), FS(STATS ",\"timeframe\":{\"start\":"
	    "\"%sT00:00:00\",\"end\":\"%sT00:00:00\"},\"interval\":\"daily\","
	    CONV), start, today);
	post_report("/api/flow-series-reports", K_SHOPIFY, REV, body, &r);
	expect_error(&r, 400, "invalid");
	ck_assert_ptr_nonnull(strstr(r.body, "60 days"));
	hresp_free(&r);
	json_object_put(st);
}
END_TEST

static size_t
nkeys(struct json_object *o)
{
	size_t n = 0;

	json_object_object_foreach(o, k, v) {
		(void)k;
		(void)v;
		n++;
	}
	return n;
}

START_TEST(test_report_group_by)
{
	struct hresp		 r;
	struct json_object	*o, *res, *g;
	size_t			 i;

	/* Default: campaign_id, campaign_message_id, send_channel. */
	post_report("/api/campaign-values-reports", K_SHOPIFY, REV,
	    CV(STATS "," TF30 "," CONV), &r);
	ck_assert_int_eq(r.status, 200);
	o = parse(&r);
	res = member(o, "data.attributes.results");
	ck_assert_int_gt(json_object_array_length(res), 3);
	g = member(json_object_array_get_idx(res, 0), "groupings");
	ck_assert_uint_eq(nkeys(g), 3);
	ck_assert_ptr_nonnull(str(g, "campaign_id"));
	ck_assert_ptr_nonnull(str(g, "campaign_message_id"));
	ck_assert_ptr_nonnull(str(g, "send_channel"));
	ck_assert_ptr_nonnull(member(o, "data.relationships.campaigns.data"));
	json_object_put(o);
	hresp_free(&r);
	/* Chosen groupings, from revision 2025-10-15. */
	post_report("/api/campaign-values-reports", K_SHOPIFY, "2025-10-15",
	    CV(STATS "," TF30 "," CONV ",\"group_by\":[\"campaign_id\","
	    "\"campaign_message_id\",\"campaign_message_name\",\"tag_id\"]"),
	    &r);
	ck_assert_int_eq(r.status, 200);
	o = parse(&r);
	res = member(o, "data.attributes.results");
	for (i = 0; i < json_object_array_length(res); i++) {
		g = member(json_object_array_get_idx(res, i), "groupings");
		ck_assert_uint_eq(nkeys(g), 4);
		ck_assert_ptr_nonnull(str(g, "campaign_message_name"));
		ck_assert(json_object_object_get_ex(g, "tag_id", NULL));
		ck_assert_ptr_null(member(g, "tag_id"));	/* null */
	}
	json_object_put(o);
	hresp_free(&r);
	/* Before 2025-10-15 group_by does not exist; leaving it out works. */
	post_report("/api/campaign-values-reports", K_SHOPIFY, "2025-07-15",
	    CV(STATS "," TF30 "," CONV ",\"group_by\":[\"campaign_id\","
	    "\"campaign_message_id\"]"), &r);
	expect_error(&r, 400, "invalid");
	ck_assert_ptr_nonnull(strstr(r.body, "2025-10-15"));
	hresp_free(&r);
	post_report("/api/flow-values-reports", K_SHOPIFY, "2024-10-15",
	    FV(STATS "," TF30 "," CONV ",\"group_by\":[\"flow_id\","
	    "\"flow_message_id\"]"), &r);
	expect_error(&r, 400, "invalid");
	hresp_free(&r);
	post_report("/api/campaign-values-reports", K_SHOPIFY, "2025-07-15",
	    CV(STATS "," TF30 "," CONV), &r);
	ck_assert_int_eq(r.status, 200);
	hresp_free(&r);
	/* Flows by name; forms by version (forms had group_by earlier). */
	post_report("/api/flow-values-reports", K_SHOPIFY, REV,
	    FV(STATS "," TF30 "," CONV ",\"group_by\":[\"flow_id\","
	    "\"flow_message_id\",\"flow_name\"]"), &r);
	ck_assert_int_eq(r.status, 200);
	o = parse(&r);
	g = member(json_object_array_get_idx(member(o,
	    "data.attributes.results"), 0), "groupings");
	ck_assert_ptr_nonnull(str(g, "flow_name"));
	ck_assert_ptr_null(member(g, "send_channel"));
	json_object_put(o);
	hresp_free(&r);
	post_report("/api/form-values-reports", K_SHOPIFY, "2024-10-15",
	    MV("\"statistics\":[\"viewed_form\"],\"timeframe\":{\"key\":"
	    "\"last_365_days\"},\"group_by\":[\"form_id\","
	    "\"form_version_id\"]"), &r);
	ck_assert_int_eq(r.status, 200);
	o = parse(&r);
	res = member(o, "data.attributes.results");
	ck_assert_int_gt(json_object_array_length(res), 20);
	ck_assert_ptr_nonnull(str(json_object_array_get_idx(res, 0),
	    "groupings.form_version_id"));
	json_object_put(o);
	hresp_free(&r);
	/* The filter: one campaign. */
	post_report("/api/campaign-values-reports", K_SHOPIFY, REV,
	    CV(STATS "," TF30 "," CONV), &r);
	o = parse(&r);
	{
		char body[1024];
		const char *id = str(json_object_array_get_idx(member(o,
		    "data.attributes.results"), 0), "groupings.campaign_id");
		struct hresp r2;
		struct json_object *o2;

		snprintf(body, sizeof(body), CV(STATS "," TF30 "," CONV
		    ",\"filter\":\"equals(campaign_id,\\\"%s\\\")\""), id);
		post_report("/api/campaign-values-reports", K_SHOPIFY, REV,
		    body, &r2);
		ck_assert_int_eq(r2.status, 200);
		o2 = parse(&r2);
		ck_assert_int_eq(json_object_array_length(member(o2,
		    "data.attributes.results")), 1);
		json_object_put(o2);
		hresp_free(&r2);
		snprintf(body, sizeof(body), CV(STATS "," TF30 "," CONV
		    ",\"filter\":\"any(campaign_id,[\\\"%s\\\",\\\"x\\\"])\""),
		    id);
		post_report("/api/campaign-values-reports", K_SHOPIFY, REV,
		    body, &r2);
		ck_assert_int_eq(r2.status, 200);
		hresp_free(&r2);
	}
	json_object_put(o);
	hresp_free(&r);
}
END_TEST

/*
 * Custom time frames are the account's wall clock: the offset is
 * ignored.  A local day of flow conversions is the flow-attributed
 * Placed Order events between that day's local midnights.
 */
START_TEST(test_report_timezone)
{
	struct json_object	*st, *o1, *o2, *res, *evs, *e, *dts;
	char			 day[48], next[48], body[1024], path[512];
	char			 from[64], to[64];
	const char		*today;
	struct hresp		 r1, r2;
	size_t			 i;
	long long		 ev_n = 0, ev_c = 0, rp_n = 0, rp_c = 0;
	int			 pages;

	st = store_of(K_SHOPIFY);
	today = str(st, "today");
	date_add(today, -3, day, sizeof(day));
	date_add(today, -2, next, sizeof(next));
	snprintf(body, sizeof(body), FV("\"statistics\":[\"conversions\","
	    "\"conversion_value\"],\"timeframe\":{\"start\":\"%sT00:00:00"
	    "+09:00\",\"end\":\"%sT00:00:00+09:00\"}," CONV), day, next);
	post_report("/api/flow-values-reports", K_SHOPIFY, REV, body, &r1);
	snprintf(body, sizeof(body), FV("\"statistics\":[\"conversions\","
	    "\"conversion_value\"],\"timeframe\":{\"start\":\"%sT00:00:00"
	    "-08:00\",\"end\":\"%sT00:00:00Z\"}," CONV), day, next);
	post_report("/api/flow-values-reports", K_SHOPIFY, REV, body, &r2);
	ck_assert_int_eq(r1.status, 200);
	ck_assert_int_eq(r2.status, 200);
	o1 = parse(&r1);
	o2 = parse(&r2);
	ck_assert_str_eq(json_object_to_json_string(member(o1,
	    "data.attributes")), json_object_to_json_string(member(o2,
	    "data.attributes")));
	json_object_put(o1);
	json_object_put(o2);
	hresp_free(&r1);
	hresp_free(&r2);
	res = report_all("/api/flow-values-reports", K_SHOPIFY, body, &pages,
	    NULL);
	for (i = 0; i < json_object_array_length(res); i++) {
		e = json_object_array_get_idx(res, i);
		rp_n += int_of(member(e, "statistics.conversions"));
		rp_c += cents_of(member(e, "statistics.conversion_value"));
	}
	ck_assert_int_gt(rp_n, 0);
	json_object_put(res);
	/* The day's local midnights, from a daily series' date_times. */
	snprintf(body, sizeof(body), FS(STATS ",\"timeframe\":{\"start\":"
	    "\"%s\",\"end\":\"%s\"},\"interval\":\"daily\"," CONV), day,
	    today);
	o1 = report_all("/api/flow-series-reports", K_SHOPIFY, body, &pages,
	    &dts);
	ck_assert_int_eq(json_object_array_length(dts), 3);
	snprintf(from, sizeof(from), "%s", json_object_get_string(
	    json_object_array_get_idx(dts, 0)));
	snprintf(to, sizeof(to), "%s", json_object_get_string(
	    json_object_array_get_idx(dts, 1)));
	json_object_put(o1);
	json_object_put(dts);
	ck_assert_msg(strncmp(from, day, 10) == 0 && from[19] == '-', "%s",
	    from);
	snprintf(path, sizeof(path), "/api/events?page[size]=1000&filter=and("
	    "greater-or-equal(datetime,%s),less-than(datetime,%s))", from,
	    to);
	follow(path, K_SHOPIFY, &evs);
	for (i = 0; i < json_object_array_length(evs); i++) {
		e = json_object_array_get_idx(evs, i);
		if (str(e, "attributes.event_properties.$attribution.$flow") ==
		    NULL)
			continue;
		ev_n++;
		ev_c += cents_of(member(e, "attributes.event_properties."
		    "$value"));
	}
	json_object_put(evs);
	ck_assert_int_eq(ev_n, rp_n);
	ck_assert_int_eq(ev_c, rp_c);
	json_object_put(st);
}
END_TEST

/* Sums over reports, all of them, equal the sums over the events. */
static void
sum_report(const char *path, const char *type, const char *start,
    const char *end, long long *n, long long *c)
{
	struct json_object	*res, *e;
	char			 body[1024];
	size_t			 i;
	long long		 rec, del, ou, cu;
	int			 pages;

	snprintf(body, sizeof(body), "{\"data\":{\"type\":\"%s\","
	    "\"attributes\":{\"statistics\":[\"conversions\","
	    "\"conversion_value\",\"conversion_uniques\",\"recipients\","
	    "\"delivered\",\"opens_unique\",\"clicks_unique\"],"
	    "\"timeframe\":{\"start\":\"%sT00:00:00\",\"end\":"
	    "\"%sT00:00:00\"}," CONV "}}}", type, start, end);
	res = report_all(path, K_SHOPIFY, body, &pages, NULL);
	/* A year of campaigns needs pages of 100. */
	if (strcmp(type, "campaign-values-report") == 0)
		ck_assert_int_ge(pages, 2);
	for (i = 0; i < json_object_array_length(res); i++) {
		e = json_object_array_get_idx(res, i);
		*n += int_of(member(e, "statistics.conversions"));
		*c += cents_of(member(e, "statistics.conversion_value"));
		ck_assert_int_le(int_of(member(e,
		    "statistics.conversion_uniques")), int_of(member(e,
		    "statistics.conversions")));
		rec = int_of(member(e, "statistics.recipients"));
		del = int_of(member(e, "statistics.delivered"));
		ou = int_of(member(e, "statistics.opens_unique"));
		cu = int_of(member(e, "statistics.clicks_unique"));
		ck_assert_int_le(del, rec);
		ck_assert_int_le(ou, del);
		if (ou > 0)
			ck_assert_int_le(cu, ou);
		else
			ck_assert_int_le(cu, del);
	}
	json_object_put(res);
}

START_TEST(test_sums_consistency)
{
	struct json_object	*st, *all, *e;
	char			 mid[48];
	const char		*first, *today;
	long long		 cn = 0, cc = 0, fn = 0, fc = 0, n, c;
	size_t			 i;

	ck_assert_int_eq(follow("/api/events?page[size]=1000", K_SHOPIFY,
	    &all), 20);
	for (i = 0; i < json_object_array_length(all); i++) {
		e = json_object_array_get_idx(all, i);
		c = cents_of(member(e, "attributes.event_properties.$value"));
		if (str(e, "attributes.event_properties.$attribution."
		    "$campaign") != NULL) {
			cn++;
			cc += c;
		} else if (str(e, "attributes.event_properties.$attribution."
		    "$flow") != NULL) {
			fn++;
			fc += c;
		}
	}
	json_object_put(all);
	ck_assert_int_eq(cn, ACME_CAMPAIGN_ORDERS);
	ck_assert_int_eq(cc, ACME_CAMPAIGN_CENTS);
	ck_assert_int_eq(fn, ACME_FLOW_ORDERS);
	ck_assert_int_eq(fc, ACME_FLOW_CENTS);
	/* The whole history in two windows of at most a year. */
	st = store_of(K_SHOPIFY);
	first = str(st, "history_start");
	today = str(st, "today");
	date_next_year(first, mid, sizeof(mid));
	n = c = 0;
	sum_report("/api/campaign-values-reports", "campaign-values-report",
	    first, mid, &n, &c);
	sum_report("/api/campaign-values-reports", "campaign-values-report",
	    mid, today, &n, &c);
	ck_assert_int_eq(n, cn);
	ck_assert_int_eq(c, cc);
	n = c = 0;
	sum_report("/api/flow-values-reports", "flow-values-report", first,
	    mid, &n, &c);
	sum_report("/api/flow-values-reports", "flow-values-report", mid,
	    today, &n, &c);
	ck_assert_int_eq(n, fn);
	ck_assert_int_eq(c, fc);
	ck_assert_int_eq(int_of(member(st, "totals.orders")), ACME_ORDERS);
	ck_assert_int_eq(cents_of(member(st, "totals.order_value")),
	    ACME_ORDER_CENTS);
	json_object_put(st);
}
END_TEST

/* Segments: totals move by the net change; forms: series sum values. */
START_TEST(test_segments_forms)
{
	struct json_object	*series, *values, *s, *v, *tot, *net, *add;
	struct json_object	*rem;
	size_t			 i, j, b, nb;
	long long		 sum;
	int			 pages;

	series = report_all("/api/segment-series-reports", K_SHOPIFY,
	    SS("\"statistics\":[\"total_members\",\"members_added\","
	    "\"members_removed\",\"net_members_changed\"]," TF30
	    ",\"interval\":\"daily\""), &pages, NULL);
	values = report_all("/api/segment-values-reports", K_SHOPIFY,
	    SV("\"statistics\":[\"total_members\",\"members_added\","
	    "\"net_members_changed\"]," TF30), &pages, NULL);
	ck_assert_int_eq(json_object_array_length(series), 30);
	ck_assert_int_eq(json_object_array_length(values), 30);
	for (i = 0; i < 30; i++) {
		s = json_object_array_get_idx(series, i);
		v = json_object_array_get_idx(values, i);
		ck_assert_str_eq(str(s, "groupings.segment_id"), str(v,
		    "groupings.segment_id"));
		tot = member(s, "statistics.total_members");
		net = member(s, "statistics.net_members_changed");
		add = member(s, "statistics.members_added");
		rem = member(s, "statistics.members_removed");
		nb = json_object_array_length(tot);
		ck_assert_int_eq(nb, 30);
		for (b = 0, sum = 0; b < nb; b++) {
			ck_assert_int_eq(int_of(json_object_array_get_idx(net,
			    b)), int_of(json_object_array_get_idx(add, b)) -
			    int_of(json_object_array_get_idx(rem, b)));
			if (b > 0)
				ck_assert_int_eq(int_of(
				    json_object_array_get_idx(tot, b)) -
				    int_of(json_object_array_get_idx(tot,
				    b - 1)), int_of(json_object_array_get_idx(
				    net, b)));
			sum += int_of(json_object_array_get_idx(add, b));
		}
		ck_assert_int_eq(sum, int_of(member(v,
		    "statistics.members_added")));
		ck_assert_int_eq(int_of(json_object_array_get_idx(tot,
		    nb - 1)), int_of(member(v, "statistics.total_members")));
	}
	json_object_put(series);
	json_object_put(values);
	/* Forms, hourly over a week: the hours sum to the week. */
	series = report_all("/api/form-series-reports", K_SHOPIFY,
	    MS("\"statistics\":[\"viewed_form\",\"viewed_form_uniques\","
	    "\"submits\"],\"timeframe\":{\"key\":\"last_7_days\"},"
	    "\"interval\":\"hourly\""), &pages, NULL);
	values = report_all("/api/form-values-reports", K_SHOPIFY,
	    MV("\"statistics\":[\"viewed_form\",\"submits\",\"submit_rate\"],"
	    "\"timeframe\":{\"key\":\"last_7_days\"}"), &pages, NULL);
	ck_assert_uint_eq(json_object_array_length(series),
	    json_object_array_length(values));
	ck_assert_int_gt(json_object_array_length(values), 10);
	for (i = 0; i < json_object_array_length(series); i++) {
		s = json_object_array_get_idx(series, i);
		v = json_object_array_get_idx(values, i);
		ck_assert_str_eq(str(s, "groupings.form_id"), str(v,
		    "groupings.form_id"));
		tot = member(s, "statistics.viewed_form");
		nb = json_object_array_length(tot);
		ck_assert_int_ge(nb, 167);
		ck_assert_int_le(nb, 169);
		for (j = 0, sum = 0; j < nb; j++) {
			sum += int_of(json_object_array_get_idx(tot, j));
			ck_assert_int_le(int_of(json_object_array_get_idx(
			    member(s, "statistics.submits"), j)), int_of(
			    json_object_array_get_idx(member(s,
			    "statistics.viewed_form_uniques"), j)));
		}
		ck_assert_int_eq(sum, int_of(member(v, "statistics."
		    "viewed_form")));
	}
	json_object_put(series);
	json_object_put(values);
}
END_TEST

/* Reports: 1/s, 2/m at --time-scale 60 (2 a second). */
START_TEST(test_report_rate)
{
	struct hresp	 r;
	char		 v[64];
	int		 i, got = 0;
	long		 left = -1;

	/*
	 * Spaced past the burst window (1/60 s); the 429 comes right after
	 * an answer that left nothing (the window may roll over once).
	 */
	reset_limits();
	for (i = 0; i < 10 && !got; i++) {
		http("POST", "/api/segment-values-reports", K_WOO, REV,
		    JSONAPI_CT, SV("\"statistics\":[\"total_members\"]," TF30),
		    0, &r);
		if (r.status == 429) {
			got = 1;
			ck_assert_int_eq(left, 0);
			ck_assert_ptr_nonnull(hdr(&r, "Retry-After", v,
			    sizeof(v)));
			ck_assert_int_ge(strtol(v, NULL, 10), 1);
		} else {
			ck_assert_int_eq(r.status, 200);
			ck_assert_str_eq(hdr(&r, "RateLimit-Limit", v,
			    sizeof(v)), "2");
			left = strtol(hdr(&r, "RateLimit-Remaining", v,
			    sizeof(v)), NULL, 10);
			ck_assert_int_le(left, 1);
		}
		hresp_free(&r);
		usleep(20000);
	}
	ck_assert(got);
}
END_TEST

/* A report endpoint fails N times by fault; stats count it all. */
START_TEST(test_report_fault_stats)
{
	struct hresp		 r;
	struct json_object	*o, *eps, *e, *hit = NULL;
	size_t			 i;
	const char		*body = FV(STATS "," TF30 "," CONV);

	control("DELETE", "/__sandbox/stats", NULL);
	add_fault("{\"key\":\"" K_SHOPIFY "\",\"method\":\"POST\",\"path\":"
	    "\"/api/flow-values-reports\",\"fault\":\"status\",\"status\":503,"
	    "\"count\":2}");
	/* A GET-only fault on the same path does not touch POSTs. */
	add_fault("{\"method\":\"GET\",\"path\":\"/api/flow-values-reports\","
	    "\"fault\":\"status\",\"status\":500}");
	post_report("/api/flow-values-reports", K_SHOPIFY, REV, body, &r);
	expect_error(&r, 503, "error");
	hresp_free(&r);
	post_report("/api/flow-values-reports", K_SHOPIFY, REV, body, &r);
	expect_error(&r, 503, "error");
	hresp_free(&r);
	post_report("/api/flow-values-reports", K_SHOPIFY, REV, body, &r);
	ck_assert_int_eq(r.status, 200);
	hresp_free(&r);
	post_report("/api/flow-values-reports", K_SHOPIFY, REV, "{}", &r);
	ck_assert_int_eq(r.status, 400);
	hresp_free(&r);
	http("GET", "/__sandbox/stats?key=" K_SHOPIFY, NULL, NULL, NULL, NULL,
	    0, &r);
	ck_assert_int_eq(r.status, 200);
	o = parse(&r);
	eps = member(json_object_array_get_idx(member(o, "stats"), 0),
	    "endpoints");
	for (i = 0; i < json_object_array_length(eps); i++) {
		e = json_object_array_get_idx(eps, i);
		if (strcmp(str(e, "path"), "/api/flow-values-reports") == 0)
			hit = e;
	}
	ck_assert_ptr_nonnull(hit);
	ck_assert_str_eq(str(hit, "method"), "POST");
	ck_assert_int_eq(int_of(member(hit, "requests")), 4);
	ck_assert_int_eq(int_of(member(hit, "ok")), 1);
	ck_assert_int_eq(int_of(member(hit, "server_errors")), 2);
	ck_assert_int_eq(int_of(member(hit, "client_errors")), 1);
	ck_assert_int_eq(int_of(member(hit, "faulted")), 2);
	ck_assert_int_eq(int_of(member(hit, "limits.daily")), 225);
	ck_assert_int_ge(int_of(member(hit, "daily.left")), 0);
	json_object_put(o);
	hresp_free(&r);
	http("GET", "/__sandbox/stats?key=pk_nobody", NULL, NULL, NULL, NULL,
	    0, &r);
	ck_assert_int_eq(r.status, 404);
	hresp_free(&r);
}
END_TEST

/*
 * The daily cap, 225 a day per account and report endpoint, on its own
 * sandbox at --time-scale 14400: a day lasts 6 s, a minute 4.2 ms.
 */
START_TEST(test_report_daily_cap)
{
	const char	*tmp = getenv("TMPDIR"), *why;
	const char	*body = SV("\"statistics\":[\"total_members\"]," TF30);
	char		 log[256], base[64], url[256], v[64], stats[256];
	struct hresp	 r;
	struct json_object *o, *eps, *e;
	pid_t		 pid = -1;
	int		 port, used, capped = 0, i;
	long		 retry = 0, reset_ms = 0;
	double		 deadline;
	size_t		 j;

	snprintf(log, sizeof(log), "%s/kc-sandbox-daily.%d.log",
	    tmp ? tmp : "/tmp", (int)getpid());
	ck_assert_msg(spawn_sandbox("14400", log, NULL, NULL, &pid, &port,
	    &why) == 0, "%s", why);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	snprintf(url, sizeof(url), "%s/api/segment-values-reports", base);
	snprintf(stats, sizeof(stats), "%s/__sandbox/stats?key=%s", base,
	    K_WOO);
	deadline = now_s() + 30;
	while (!capped && now_s() < deadline) {
		http("POST", url, K_WOO, REV, JSONAPI_CT, body, 0, &r);
		ck_assert_int_eq(r.cc, CURLE_OK);
		if (r.status == 429) {
			retry = strtol(hdr(&r, "Retry-After", v, sizeof(v)),
			    NULL, 10);
			hresp_free(&r);
			/* The daily window's, or a burst/steady one? */
			http("GET", stats, NULL, NULL, NULL, NULL, 0, &r);
			ck_assert_int_eq(r.status, 200);
			o = parse(&r);
			eps = member(json_object_array_get_idx(member(o,
			    "stats"), 0), "endpoints");
			used = -1;
			for (j = 0; j < json_object_array_length(eps); j++) {
				e = json_object_array_get_idx(eps, j);
				if (strcmp(str(e, "path"),
				    "/api/segment-values-reports") == 0) {
					used = (int)int_of(member(e,
					    "daily.used"));
					reset_ms = (long)int_of(member(e,
					    "daily.reset_ms"));
				}
			}
			json_object_put(o);
			hresp_free(&r);
			if (used == 225)
				capped = 1;
			else
				usleep(3000);
			continue;
		}
		ck_assert_int_eq(r.status, 200);
		hresp_free(&r);
	}
	ck_assert_msg(capped, "never reached the daily cap");
	ck_assert_int_ge(retry, 1);
	ck_assert_int_le(retry, 6);
	ck_assert_int_le(reset_ms, 6000);
	/* Still refused within the day; another endpoint is not. */
	for (i = 0; i < 5; i++) {
		http("POST", url, K_WOO, REV, JSONAPI_CT, body, 0, &r);
		if (r.status != 429) {
			hresp_free(&r);
			break;
		}
		hresp_free(&r);
		usleep(5000);
	}
	ck_assert_msg(i == 5 || reset_ms < 100, "served within the day");
	snprintf(url, sizeof(url), "%s/api/form-values-reports", base);
	http("POST", url, K_WOO, REV, JSONAPI_CT, MV("\"statistics\":["
	    "\"submits\"]," TF30), 0, &r);
	ck_assert_int_eq(r.status, 200);
	hresp_free(&r);
	/* After the day rolls over: served again. */
	usleep((useconds_t)(reset_ms + 100) * 1000);
	snprintf(url, sizeof(url), "%s/api/segment-values-reports", base);
	http("POST", url, K_WOO, REV, JSONAPI_CT, body, 0, &r);
	ck_assert_int_eq(r.status, 200);
	hresp_free(&r);
	ck_assert_int_eq(stop_pid(&pid), 0);
	unlink(log);
}
END_TEST

/* Errors. */

START_TEST(test_auth_errors)
{
	struct hresp	 r;
	char		 v[64];

	http("GET", "/api/metrics", NULL, REV, NULL, NULL, 0, &r);
	expect_error(&r, 401, "not_authenticated");
	hresp_free(&r);
	get("/api/metrics", "pk_00000000000000000000000000000000", &r);
	expect_error(&r, 401, "authentication_failed");
	hresp_free(&r);
	get("/api/metrics", "Bearer abc.def.ghi", &r);
	expect_error(&r, 401, "authentication_failed");
	hresp_free(&r);
	get("/api/accounts", K_NOSCOPE, &r);
	ck_assert_int_eq(r.status, 200);
	hresp_free(&r);
	get("/api/metrics", K_NOSCOPE, &r);
	expect_error(&r, 403, "permission_denied");
	ck_assert_ptr_nonnull(strstr(r.body, "metrics:read"));
	ck_assert_ptr_nonnull(hdr(&r, "RateLimit-Limit", v, sizeof(v)));
	hresp_free(&r);
	get("/api/custom-metrics", K_NOSCOPE, &r);
	expect_error(&r, 403, "permission_denied");
	hresp_free(&r);
	get("/api/lists", K_NOSCOPE, &r);
	expect_error(&r, 403, "permission_denied");
	ck_assert_ptr_nonnull(strstr(r.body, "lists:read"));
	hresp_free(&r);
}
END_TEST

static const struct {
	const char	*rev;
	long		 status;
} revisions[] = {
	{ NULL, 400 }, { "", 400 }, { "2026-7-15", 400 },
	{ "2026-02-30", 400 }, { "2031-01-15", 400 }, { "2021-01-01", 400 },
	{ "latest", 400 }, { "2026-07-15x", 400 }, { "2026-07-15.", 400 },
	{ "2026-07-15", 200 }, { "2025-07-15", 200 }, { "2024-10-15.pre", 200 },
	{ "2023-02-22", 200 },
};

START_TEST(test_revision)
{
	struct hresp r;

	reset_limits();
	http("GET", "/api/lists", K_SHOPIFY, revisions[_i].rev, NULL, NULL, 0,
	    &r);
	ck_assert_int_eq(r.cc, CURLE_OK);
	if (revisions[_i].status == 200)
		ck_assert_msg(r.status == 200, "revision '%s': %ld %.300s",
		    revisions[_i].rev, r.status, r.body ? r.body : "");
	else {
		expect_error(&r, 400, "invalid");
		ck_assert_ptr_nonnull(strstr(r.body, "revision"));
	}
	hresp_free(&r);
}
END_TEST

START_TEST(test_request_errors)
{
	struct hresp	 r;
	char		 v[64];

	get("/api/lists?page[size]=11", K_SHOPIFY, &r);
	expect_error(&r, 400, "invalid");
	ck_assert_ptr_nonnull(strstr(r.body, "page[size]"));
	hresp_free(&r);
	get("/api/lists?page[size]=0", K_SHOPIFY, &r);
	expect_error(&r, 400, "invalid");
	hresp_free(&r);
	get("/api/lists?page[size]=10", K_SHOPIFY, &r);
	ck_assert_int_eq(r.status, 200);
	hresp_free(&r);
	get("/api/metrics?page[size]=201", K_SHOPIFY, &r);
	expect_error(&r, 400, "invalid");
	hresp_free(&r);
	get("/api/metrics?page[cursor]=bogus", K_SHOPIFY, &r);
	expect_error(&r, 400, "invalid");
	hresp_free(&r);
	get("/api/metrics?unknown=1", K_SHOPIFY, &r);
	expect_error(&r, 400, "invalid");
	hresp_free(&r);
	get("/api/lists?sort=size", K_SHOPIFY, &r);
	expect_error(&r, 400, "invalid");
	hresp_free(&r);
	get("/api/no-such-thing", K_SHOPIFY, &r);
	expect_error(&r, 404, "not_found");
	hresp_free(&r);
	get("/api/metric", NULL, &r);
	expect_error(&r, 404, "not_found");
	hresp_free(&r);
	http("POST", "/api/lists", K_SHOPIFY, REV, NULL, "{}", 0, &r);
	expect_error(&r, 405, "method_not_allowed");
	ck_assert_ptr_nonnull(hdr(&r, "Allow", v, sizeof(v)));
	ck_assert_str_eq(v, "GET");
	hresp_free(&r);
	http("GET", "/api/lists", K_SHOPIFY, REV, "Accept: text/html", NULL,
	    0, &r);
	expect_error(&r, 406, "not_acceptable");
	hresp_free(&r);
	/* A trailing slash is the same endpoint. */
	get("/api/lists/", K_SHOPIFY, &r);
	ck_assert_int_eq(r.status, 200);
	hresp_free(&r);
}
END_TEST

/* Rate limits. */

START_TEST(test_rate_headers)
{
	struct hresp	 r;
	char		 v[64];
	long		 rem1, rem2, reset;

	reset_limits();
	get("/api/metrics", K_WOO, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(hdr(&r, "RateLimit-Limit", v, sizeof(v)), "150");
	rem1 = strtol(hdr(&r, "RateLimit-Remaining", v, sizeof(v)), NULL,
	    10);
	reset = strtol(hdr(&r, "RateLimit-Reset", v, sizeof(v)), NULL, 10);
	ck_assert_int_ge(reset, 0);
	ck_assert_int_le(reset, 1);	/* 60 s / 60 */
	hresp_free(&r);
	get("/api/metrics", K_WOO, &r);
	rem2 = strtol(hdr(&r, "RateLimit-Remaining", v, sizeof(v)), NULL,
	    10);
	ck_assert_msg(rem2 == rem1 - 1 || rem2 >= 148, "remaining %ld then "
	    "%ld", rem1, rem2);
	hresp_free(&r);
	get("/api/custom-metrics", K_WOO, &r);
	ck_assert_str_eq(hdr(&r, "RateLimit-Limit", v, sizeof(v)), "60");
	hresp_free(&r);
	get("/api/lists", K_WOO, &r);
	ck_assert_str_eq(hdr(&r, "RateLimit-Limit", v, sizeof(v)), "750");
	hresp_free(&r);
}
END_TEST

START_TEST(test_rate_burst_429)
{
	struct hresp	 r;
	char		 v[64];
	int		 i, got = 0;

	reset_limits();
	/* Burst 1/s is 1 per 1/60 s here: back-to-back calls exceed it. */
	for (i = 0; i < 100 && !got; i++) {
		get("/api/accounts", K_EMPTY, &r);
		if (r.status == 429) {
			got = 1;
			expect_error(&r, 429, "throttled");
			ck_assert_ptr_nonnull(hdr(&r, "Retry-After", v,
			    sizeof(v)));
			ck_assert_int_ge(strtol(v, NULL, 10), 1);
			ck_assert_ptr_null(hdr(&r, "RateLimit-Limit", v,
			    sizeof(v)));
		} else
			ck_assert_int_eq(r.status, 200);
		hresp_free(&r);
	}
	ck_assert_msg(got, "no 429 in 100 back-to-back /api/accounts calls");
}
END_TEST

START_TEST(test_rate_steady_429)
{
	struct hresp	 r;
	char		 v[64];
	int		 i, ok = 0, got = 0;
	double		 t0;
	long		 wait_s = 0;

	reset_limits();
	t0 = now_s();
	/*
	 * 15/min is 15 per second at --time-scale 60.  Spaced 25 ms apart
	 * the burst window (1/60 s) never fills, so the 429 is the steady
	 * window's, well within 60 calls.
	 */
	for (i = 0; i < 60 && !got; i++) {
		get("/api/accounts", K_WOO, &r);
		if (r.status == 429) {
			got = 1;
			wait_s = strtol(hdr(&r, "Retry-After", v, sizeof(v)),
			    NULL, 10);
		} else {
			ck_assert_int_eq(r.status, 200);
			ok++;
		}
		hresp_free(&r);
		usleep(25000);
	}
	ck_assert_msg(got, "no 429 after %d calls in %.2f s", ok,
	    now_s() - t0);
	ck_assert_int_ge(ok, 1);
	ck_assert_int_le(wait_s, 1);
	ck_assert_int_ge(wait_s, 1);
	/* After Retry-After the next window serves again. */
	usleep((useconds_t)wait_s * 1000000);
	usleep(50000);
	get("/api/accounts", K_WOO, &r);
	ck_assert_int_eq(r.status, 200);
	hresp_free(&r);
	/* Buckets are per account: another account was not touched. */
	get("/api/accounts", K_LISTS, &r);
	ck_assert_int_eq(r.status, 200);
	hresp_free(&r);
}
END_TEST

/* Faults. */

static void
add_fault(const char *json)
{
	control("POST", "/__sandbox/faults", json);
}

START_TEST(test_fault_latency_pages)
{
	struct json_object	*all;
	double			 t0, t;

	add_fault("{\"key\":\"" K_SHOPIFY "\",\"path\":\"/api/metrics\","
	    "\"fault\":\"latency\",\"ms\":250}");
	t0 = now_s();
	ck_assert_int_eq(follow("/api/metrics", K_SHOPIFY, &all), 3);
	t = now_s() - t0;
	json_object_put(all);
	ck_assert_msg(t >= 0.74, "3 pages took %.3f s", t);
	/* Another key is not slowed down. */
	t0 = now_s();
	ck_assert_int_eq(follow("/api/metrics", K_WOO, &all), 1);
	json_object_put(all);
	ck_assert_msg(now_s() - t0 < 0.2, "other key took %.3f s",
	    now_s() - t0);
}
END_TEST

START_TEST(test_fault_latency_concurrent)
{
	CURLM		*m;
	CURL		*slow, *fast;
	CURLMsg		*msg;
	struct curl_slist *h = NULL;
	struct hresp	 rs, rf;
	char		 url[128];
	int		 running, left, first_fast = -1;
	double		 deadline;

	memset(&rs, 0, sizeof(rs));
	memset(&rf, 0, sizeof(rf));
	add_fault("{\"key\":\"" K_WOO "\",\"fault\":\"latency\",\"ms\":800,"
	    "\"count\":1}");
	h = curl_slist_append(h, "revision: " REV);
	h = curl_slist_append(h, "Authorization: Klaviyo-API-Key " K_WOO);
	m = curl_multi_init();
	slow = curl_easy_init();
	fast = curl_easy_init();
	snprintf(url, sizeof(url), "%s/api/lists", sbx_base);
	curl_easy_setopt(slow, CURLOPT_URL, url);
	curl_easy_setopt(slow, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(slow, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(slow, CURLOPT_WRITEDATA, &rs);
	curl_easy_setopt(slow, CURLOPT_TIMEOUT_MS, 5000L);
	curl_multi_add_handle(m, slow);
	/* Let the slow request reach the sandbox first. */
	curl_multi_perform(m, &running);
	deadline = now_s() + 0.3;
	while (now_s() < deadline) {
		curl_multi_poll(m, NULL, 0, 50, NULL);
		curl_multi_perform(m, &running);
	}
	snprintf(url, sizeof(url), "%s/__sandbox/health", sbx_base);
	curl_easy_setopt(fast, CURLOPT_URL, url);
	curl_easy_setopt(fast, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(fast, CURLOPT_WRITEDATA, &rf);
	curl_easy_setopt(fast, CURLOPT_TIMEOUT_MS, 5000L);
	curl_multi_add_handle(m, fast);
	deadline = now_s() + 6;
	do {
		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left)) != NULL)
			if (msg->msg == CURLMSG_DONE && first_fast < 0)
				first_fast = msg->easy_handle == fast;
		if (running)
			curl_multi_poll(m, NULL, 0, 50, NULL);
	} while (running && now_s() < deadline);
	ck_assert_int_eq(running, 0);
	ck_assert_msg(first_fast == 1, "the fast request waited for the "
	    "slow one");
	ck_assert_ptr_nonnull(rs.body);
	ck_assert_ptr_nonnull(strstr(rs.body, "\"data\""));
	curl_multi_remove_handle(m, slow);
	curl_multi_remove_handle(m, fast);
	curl_easy_cleanup(slow);
	curl_easy_cleanup(fast);
	curl_multi_cleanup(m);
	curl_slist_free_all(h);
	hresp_free(&rs);
	hresp_free(&rf);
}
END_TEST

START_TEST(test_fault_status)
{
	struct hresp r;

	add_fault("{\"key\":\"" K_SHOPIFY "\",\"fault\":\"status\","
	    "\"status\":503,\"count\":1}");
	get("/api/metrics", K_SHOPIFY, &r);
	expect_error(&r, 503, "error");
	hresp_free(&r);
	get("/api/metrics", K_SHOPIFY, &r);
	ck_assert_int_eq(r.status, 200);
	hresp_free(&r);
	add_fault("{\"fault\":\"status\",\"status\":500,\"count\":2}");
	get("/api/lists", K_WOO, &r);
	expect_error(&r, 500, "error");
	hresp_free(&r);
	get("/api/accounts", K_EMPTY, &r);
	expect_error(&r, 500, "error");
	hresp_free(&r);
	get("/api/lists", K_WOO, &r);
	ck_assert_int_eq(r.status, 200);
	hresp_free(&r);
}
END_TEST

START_TEST(test_fault_hang)
{
	struct hresp r;

	add_fault("{\"key\":\"" K_SHOPIFY "\",\"fault\":\"hang\","
	    "\"count\":1}");
	http("GET", "/api/metrics", K_SHOPIFY, REV, NULL, NULL, 1000, &r);
	ck_assert_int_eq(r.cc, CURLE_OPERATION_TIMEDOUT);
	ck_assert_msg(r.secs >= 0.9 && r.secs < 3.0, "%.3f s", r.secs);
	hresp_free(&r);
	/* The server serves on. */
	get("/api/metrics", K_SHOPIFY, &r);
	ck_assert_int_eq(r.status, 200);
	hresp_free(&r);
}
END_TEST

START_TEST(test_fault_reset)
{
	struct hresp r;

	add_fault("{\"path\":\"/api/lists\",\"fault\":\"reset\","
	    "\"count\":1}");
	http("GET", "/api/lists", K_SHOPIFY, REV, NULL, NULL, 3000, &r);
	ck_assert_msg(r.cc == CURLE_RECV_ERROR || r.cc == CURLE_GOT_NOTHING,
	    "curl said %s", curl_easy_strerror(r.cc));
	hresp_free(&r);
	get("/api/lists", K_SHOPIFY, &r);
	ck_assert_int_eq(r.status, 200);
	hresp_free(&r);
}
END_TEST

START_TEST(test_fault_bodies)
{
	struct hresp		 r;
	struct json_object	*o;
	char			 ct[128];

	add_fault("{\"key\":\"" K_WOO "\",\"fault\":\"malformed\","
	    "\"count\":1}");
	get("/api/metrics", K_WOO, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(hdr(&r, "Content-Type", ct, sizeof(ct)),
	    "application/vnd.api+json");
	o = json_tokener_parse(r.body);
	ck_assert_ptr_null(o);
	hresp_free(&r);

	add_fault("{\"key\":\"" K_WOO "\",\"fault\":\"content_type\","
	    "\"count\":1}");
	get("/api/metrics", K_WOO, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strncmp(hdr(&r, "Content-Type", ct, sizeof(ct)),
	    "text/plain", 10) == 0);
	o = parse(&r);
	json_object_put(o);
	hresp_free(&r);

	add_fault("{\"key\":\"" K_WOO "\",\"fault\":\"html\",\"count\":1}");
	get("/api/metrics", K_WOO, &r);
	ck_assert_int_eq(r.status, 403);
	ck_assert(strncmp(hdr(&r, "Content-Type", ct, sizeof(ct)),
	    "text/html", 9) == 0);
	ck_assert_ptr_nonnull(strstr(r.body, "<html"));
	ck_assert_ptr_null(json_tokener_parse(r.body));
	hresp_free(&r);

	get("/api/metrics", K_WOO, &r);
	ck_assert_int_eq(r.status, 200);
	hresp_free(&r);
}
END_TEST

START_TEST(test_fault_scoping)
{
	struct hresp r;

	add_fault("{\"key\":\"" K_SHOPIFY "\",\"path\":\"/api/lists\","
	    "\"fault\":\"status\",\"status\":502}");
	get("/api/lists", K_SHOPIFY, &r);
	expect_error(&r, 502, "error");
	hresp_free(&r);
	get("/api/lists", K_SHOPIFY, &r);	/* forever without count */
	expect_error(&r, 502, "error");
	hresp_free(&r);
	get("/api/metrics", K_SHOPIFY, &r);
	ck_assert_int_eq(r.status, 200);
	hresp_free(&r);
	get("/api/lists", K_WOO, &r);
	ck_assert_int_eq(r.status, 200);
	hresp_free(&r);
	/* Per request, with a header. */
	http("GET", "/api/metrics", K_WOO, REV,
	    "X-Sandbox-Fault: status;status=504", NULL, 0, &r);
	expect_error(&r, 504, "error");
	hresp_free(&r);
	control("DELETE", "/__sandbox/faults", NULL);
	get("/api/lists", K_SHOPIFY, &r);
	ck_assert_int_eq(r.status, 200);
	hresp_free(&r);
	/* A bad fault is refused. */
	http("POST", "/__sandbox/faults", NULL, NULL,
	    "Content-Type: application/json", "{\"fault\":\"explode\"}", 0,
	    &r);
	ck_assert_int_eq(r.status, 400);
	hresp_free(&r);
}
END_TEST

/* The request log. */

START_TEST(test_request_log)
{
	struct hresp		 r;
	struct json_object	*o, *reqs, *e;

	control("DELETE", "/__sandbox/requests", NULL);
	get("/api/lists?page[size]=2", K_SHOPIFY, &r);
	hresp_free(&r);
	http("GET", "/api/metrics", K_NOSCOPE, NULL, NULL, NULL, 0, &r);
	hresp_free(&r);
	http("GET", "/__sandbox/requests", NULL, NULL, NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_null(strstr(r.body, K_SHOPIFY));	/* never the key */
	o = parse(&r);
	reqs = member(o, "requests");
	ck_assert_int_eq(json_object_array_length(reqs), 2);
	e = json_object_array_get_idx(reqs, 0);
	ck_assert_str_eq(str(e, "method"), "GET");
	ck_assert_str_eq(str(e, "path"), "/api/lists");
	ck_assert_str_eq(str(e, "query"), "page[size]=2");
	ck_assert_str_eq(str(e, "key"), "pk_sbxsh");
	ck_assert_str_eq(str(e, "auth"), "Klaviyo-API-Key");
	ck_assert_str_eq(str(e, "revision"), REV);
	ck_assert_str_eq(str(e, "accept"), "application/vnd.api+json");
	ck_assert_int_eq(json_object_get_int(member(e, "status")), 200);
	ck_assert_ptr_nonnull(str(e, "time"));
	e = json_object_array_get_idx(reqs, 1);
	ck_assert_ptr_null(str(e, "revision"));
	ck_assert_int_eq(json_object_get_int(member(e, "status")), 400);
	json_object_put(o);
	hresp_free(&r);
	control("DELETE", "/__sandbox/requests", NULL);
	http("GET", "/__sandbox/requests", NULL, NULL, NULL, NULL, 0, &r);
	o = parse(&r);
	ck_assert_int_eq(json_object_array_length(member(o, "requests")), 0);
	json_object_put(o);
	hresp_free(&r);
}
END_TEST

START_TEST(test_control_misc)
{
	struct hresp		 r;
	struct json_object	*o;

	http("GET", "/__sandbox/health", NULL, NULL, NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	hresp_free(&r);
	http("GET", "/__sandbox/accounts", NULL, NULL, NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	o = parse(&r);
	ck_assert_int_eq(json_object_array_length(member(o, "accounts")), 6);
	json_object_put(o);
	hresp_free(&r);
	http("GET", "/__sandbox/nothing", NULL, NULL, NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 404);
	hresp_free(&r);
}
END_TEST

/* Many connections at once, keep-alive on each. */
START_TEST(test_many_connections)
{
	enum { N = 200 };
	CURLM		*m;
	CURL		*e[N];
	CURLMsg		*msg;
	char		 url[128];
	int		 i, running, left, done = 0;
	long		 code;
	double		 deadline;

	m = curl_multi_init();
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)N);
	snprintf(url, sizeof(url), "%s/__sandbox/health", sbx_base);
	for (i = 0; i < N; i++) {
		e[i] = curl_easy_init();
		curl_easy_setopt(e[i], CURLOPT_URL, url);
		curl_easy_setopt(e[i], CURLOPT_TIMEOUT_MS, 10000L);
		curl_easy_setopt(e[i], CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(e[i], CURLOPT_FRESH_CONNECT, 1L);
		curl_multi_add_handle(m, e[i]);
	}
	deadline = now_s() + 15;
	do {
		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left)) != NULL)
			if (msg->msg == CURLMSG_DONE) {
				ck_assert_int_eq(msg->data.result, CURLE_OK);
				curl_easy_getinfo(msg->easy_handle,
				    CURLINFO_RESPONSE_CODE, &code);
				ck_assert_int_eq(code, 200);
				done++;
			}
		if (running)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	} while (running && now_s() < deadline);
	ck_assert_int_eq(done, N);
	for (i = 0; i < N; i++) {
		curl_multi_remove_handle(m, e[i]);
		curl_easy_cleanup(e[i]);
	}
	curl_multi_cleanup(m);
}
END_TEST

/* Raw HTTP: pipelining, malformed requests and size caps. */

static int
raw_connect(void)
{
	struct sockaddr_in	sa;
	struct timeval		tv = { 5, 0 };
	int			fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)sbx_port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Sends req, reads until close or want bytes matched; returns data. */
static char *
raw_exchange_n(const char *req, size_t reqlen, const char *until)
{
	char	*out = calloc(1, 65536);
	size_t	 got = 0, off = 0;
	ssize_t	 n;
	int	 fd = raw_connect();

	while (off < reqlen) {
		n = send(fd, req + off, reqlen - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	while (got < 65535) {
		n = recv(fd, out + got, 65535 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
		out[got] = '\0';
		if (until && strstr(out, until))
			break;
	}
	close(fd);
	return out;
}

static char *
raw_exchange(const char *req, const char *until)
{
	return raw_exchange_n(req, strlen(req), until);
}

START_TEST(test_http_edges)
{
	char	*out, *big;
	char	*p;
	int	 count = 0;
	size_t	 n;

	/* Two pipelined requests, answered in order on one connection. */
	out = raw_exchange("GET /__sandbox/health HTTP/1.1\r\nHost: x\r\n\r\n"
	    "GET /__sandbox/nothing HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n", NULL);
	ck_assert_ptr_nonnull(strstr(out, "HTTP/1.1 200 OK"));
	ck_assert_ptr_nonnull(strstr(out, "HTTP/1.1 404 Not Found"));
	ck_assert(strstr(out, "200 OK") < strstr(out, "404 Not Found"));
	free(out);
	/* Garbage request line. */
	out = raw_exchange("HELLO\r\n\r\n", NULL);
	ck_assert_ptr_nonnull(strstr(out, "HTTP/1.1 400"));
	free(out);
	/* Headers over 16 KiB. */
	big = malloc(40000);
	n = (size_t)snprintf(big, 40000, "GET /__sandbox/health HTTP/1.1\r\n"
	    "X-Big: ");
	memset(big + n, 'a', 20000);
	n += 20000;
	memcpy(big + n, "\r\n\r\n", 4);
	out = raw_exchange_n(big, n + 4, NULL);
	ck_assert_ptr_nonnull(strstr(out, "HTTP/1.1 431"));
	free(out);
	/* Body over 64 KiB. */
	n = (size_t)snprintf(big, 40000, "POST /__sandbox/faults HTTP/1.1\r\n"
	    "Content-Length: 100000\r\n\r\n");
	out = raw_exchange_n(big, n, NULL);
	ck_assert_ptr_nonnull(strstr(out, "HTTP/1.1 413"));
	free(out);
	free(big);
	/* Keep-alive: three requests on one connection. */
	out = raw_exchange("GET /__sandbox/health HTTP/1.1\r\n\r\n"
	    "GET /__sandbox/health HTTP/1.1\r\n\r\n"
	    "GET /__sandbox/health HTTP/1.1\r\nConnection: close\r\n\r\n",
	    NULL);
	for (p = out; (p = strstr(p, "200 OK")) != NULL; p++)
		count++;
	ck_assert_int_eq(count, 3);
	free(out);
}
END_TEST

START_TEST(test_shutdown)
{
	int st = sandbox_stop();

	ck_assert_msg(st == 0, "sandbox exited with %d (log: %s)", st,
	    sbx_log);
	unlink(sbx_log);
}
END_TEST

/* --fleet: generated accounts beside the table's, on a sandbox of their own. */

#define FLEET_N		40
#define FLEET_KEY(buf, i)	snprintf((buf), sizeof(buf), "pk_fleet%027d", (i))

struct fleet_sbx {
	pid_t	pid;
	int	port;
	char	base[64];
	char	log[256];
};

/* A sandbox with --fleet n and a cache of 4, so accounts are rebuilt. */
static void
fleet_start(struct fleet_sbx *f, const char *n, const char *tag)
{
	const char		*tmp = getenv("TMPDIR"), *why;
	const char *const	 extra[] = { "--fleet", n, "--fleet-cache", "4",
				    NULL };

	snprintf(f->log, sizeof(f->log), "%s/kc-sandbox-fleet-%s.%d.log",
	    tmp ? tmp : "/tmp", tag, (int)getpid());
	ck_assert_msg(spawn_sandbox("60", f->log, NULL, extra, &f->pid,
	    &f->port, &why) == 0, "%s", why);
	snprintf(f->base, sizeof(f->base), "http://127.0.0.1:%d", f->port);
}

static void
fleet_stop(struct fleet_sbx *f)
{
	ck_assert_int_eq(stop_pid(&f->pid), 0);
	unlink(f->log);
}

/* GET of a fleet sandbox; the parsed body of a 200 (else NULL). */
static struct json_object *
fleet_get(const struct fleet_sbx *f, const char *path, const char *key,
    long *status)
{
	struct hresp		 r;
	struct json_object	*o = NULL;
	char			 url[512];

	snprintf(url, sizeof(url), "%s%s", f->base, path);
	http("GET", url, key, key ? REV : NULL, NULL, NULL, 0, &r);
	ck_assert_int_eq(r.cc, CURLE_OK);
	*status = r.status;
	if (r.status == 200)
		o = parse(&r);
	hresp_free(&r);
	return o;
}

static struct json_object *
fleet_list(const struct fleet_sbx *f, const char *query)
{
	struct json_object	*o;
	char			 path[128];
	long			 st;

	snprintf(path, sizeof(path), "/__sandbox/fleet%s", query);
	o = fleet_get(f, path, NULL, &st);
	ck_assert_int_eq(st, 200);
	return o;
}

/* Days since 1970 of "YYYY-MM-DD". */
static long
days_of(const char *ymd)
{
	struct tm	tm;

	memset(&tm, 0, sizeof(tm));
	ck_assert_ptr_nonnull(strptime(ymd, "%Y-%m-%d", &tm));
	return (long)(timegm(&tm) / 86400);
}

/* Ids and attributes of a collection, without the links (host, port). */
static char *
fleet_data(const struct fleet_sbx *f, const char *path, const char *key)
{
	struct json_object	*o, *data, *it, *out;
	char			*s;
	size_t			 i;
	long			 st;

	o = fleet_get(f, path, key, &st);
	ck_assert_int_eq(st, 200);
	data = member(o, "data");
	out = json_object_new_array();
	for (i = 0; i < json_object_array_length(data); i++) {
		it = json_object_array_get_idx(data, i);
		json_object_array_add(out, json_object_get(member(it, "id")));
		json_object_array_add(out, json_object_get(member(it,
		    "attributes")));
	}
	s = strdup(json_object_to_json_string_ext(out,
	    JSON_C_TO_STRING_PLAIN));
	ck_assert_ptr_nonnull(s);
	json_object_put(out);
	json_object_put(o);
	return s;
}

START_TEST(test_fleet_accounts)
{
	struct fleet_sbx	 f;
	struct json_object	*l, *o, *a, *e;
	const char		*tz[FLEET_N];
	char			 key[64], name[64], cmd[1200];
	const char		*bin = getenv("KC_SANDBOX_BIN");
	long			 st, ndays[FLEET_N];
	int			 i, j, ntz = 0, nd = 0, rc;

	/* Out of range: refused at start. */
	if (bin != NULL && *bin != '\0') {
		snprintf(cmd, sizeof(cmd), "'%s' --listen 127.0.0.1:0 "
		    "--fleet 20001 2>/dev/null", bin);
		rc = system(cmd);
		ck_assert(WIFEXITED(rc) && WEXITSTATUS(rc) == 2);
	}
	fleet_start(&f, "40", "accounts");
	l = fleet_list(&f, "");
	ck_assert_int_eq(int_of(member(l, "fleet")), FLEET_N);
	ck_assert_int_eq(json_object_array_length(member(l, "accounts")),
	    FLEET_N);
	for (i = 0; i < FLEET_N; i++) {
		e = json_object_array_get_idx(member(l, "accounts"), (size_t)i);
		FLEET_KEY(key, i);
		/* A real key's shape: pk_ and 32 lowercase letters or digits. */
		ck_assert_int_eq(strlen(key), 35);
		ck_assert_str_eq(str(e, "key"), key);
		ck_assert_int_eq(int_of(member(e, "index")), i);
		o = fleet_get(&f, "/api/accounts", key, &st);
		ck_assert_int_eq(st, 200);
		a = json_object_array_get_idx(member(o, "data"), 0);
		ck_assert_str_eq(str(a, "id"), str(e, "account"));
		ck_assert_str_eq(str(a, "attributes.public_api_key"),
		    str(e, "account"));
		snprintf(name, sizeof(name), "Fleet Store %05d", i);
		ck_assert_str_eq(str(a, "attributes.contact_information."
		    "organization_name"), name);
		ck_assert_str_eq(str(a, "attributes.timezone"),
		    str(e, "timezone"));
		ck_assert_str_eq(str(a, "attributes.preferred_currency"),
		    str(e, "currency"));
		json_object_put(o);
		ck_assert_ptr_nonnull(str(e, "placed_order_metric"));
		tz[i] = str(e, "timezone");
		ndays[i] = int_of(member(e, "history_days"));
		ck_assert_int_ge(ndays[i], 30);
		ck_assert_int_le(ndays[i], 500);
		for (j = 0; j < i && strcmp(tz[j], tz[i]) != 0; j++)
			;
		ntz += j == i;
		for (j = 0; j < i && ndays[j] != ndays[i]; j++)
			;
		nd += j == i;
	}
	/* Varied: zones and sizes differ. */
	ck_assert_int_ge(ntz, 4);
	ck_assert_int_ge(nd, 20);
	/* Past the fleet, or not its form: not a key. */
	FLEET_KEY(key, FLEET_N);
	o = fleet_get(&f, "/api/accounts", key, &st);
	ck_assert_int_eq(st, 401);
	o = fleet_get(&f, "/api/accounts", "pk_fleet00000000000000000000000000x",
	    &st);
	ck_assert_int_eq(st, 401);
	/* The table's six are still there, and listed alone. */
	o = fleet_get(&f, "/__sandbox/accounts", NULL, &st);
	ck_assert_int_eq(st, 200);
	ck_assert_int_eq(json_object_array_length(member(o, "accounts")), 6);
	ck_assert_int_eq(int_of(member(o, "fleet")), FLEET_N);
	json_object_put(o);
	json_object_put(l);
	fleet_stop(&f);
}
END_TEST

/* The metric the store's orders belong to: Shopify's Placed Order. */
START_TEST(test_fleet_data)
{
	struct fleet_sbx	 f, g;
	struct json_object	*l, *l2, *e, *e2, *o, *ev;
	char			 key[64], path[256], *c1, *c2, *c3;
	long			 st, today, k;
	int			 i, t, n, ncamp[FLEET_N];
	static const char *const types[] = { "campaign-values",
		"flow-series", "form-series", "segment-series" };
	static const char *const counts[] = { "campaigns_sent", "flows",
		"forms", "segments" };
	static const int days[] = { 365, 60, 60, 60 };
	long long		 total = 0, sum, first, want;

	fleet_start(&f, "40", "data");
	l = fleet_list(&f, "");
	for (i = 0; i < FLEET_N; i++) {
		e = json_object_array_get_idx(member(l, "accounts"), (size_t)i);
		today = days_of(str(e, "today"));
		ck_assert_int_eq(today - days_of(str(e, "history_start")),
		    int_of(member(e, "history_days")));
		ncamp[i] = (int)int_of(member(e, "counts.campaigns"));
		ck_assert_int_le(ncamp[i], 40);
		ck_assert_int_le(int_of(member(e, "counts.flows")), 12);
		ck_assert_int_le(int_of(member(e, "counts.forms")), 10);
		ck_assert_int_le(int_of(member(e, "counts.segments")), 8);
		ck_assert_int_le(int_of(member(e, "counts.orders")), 2000);
		/* The rule of docs/SANDBOX.md, from the listing's dates. */
		for (t = 0, sum = 0; t < 4; t++) {
			snprintf(path, sizeof(path), "min_report_requests.%s",
			    types[t]);
			k = int_of(member(e, path));
			snprintf(path, sizeof(path), "counts.%s", counts[t]);
			n = (int)int_of(member(e, path));
			snprintf(path, sizeof(path), "first_day.%s", types[t]);
			if (n == 0) {
				ck_assert_ptr_null(str(e, path));
				ck_assert_int_eq(k, 0);
				continue;
			}
			first = days_of(str(e, path));
			ck_assert_int_ge(first, days_of(str(e,
			    "history_start")));
			want = today - first <= 0 ? 1 : (today - first +
			    days[t] - 1) / days[t];
			ck_assert_int_eq(k, want);
			sum += k;
		}
		ck_assert_int_eq(int_of(member(e, "min_report_requests.total")),
		    sum);
		total += sum;
	}
	ck_assert_int_eq(int_of(member(l, "min_report_requests")), total);
	/* Campaign counts differ from account to account. */
	for (i = 1, n = 0; i < FLEET_N; i++)
		n += ncamp[i] != ncamp[0];
	ck_assert_int_gt(n, 0);

	/* Events are the account's Shopify Placed Order's. */
	for (i = 0; i < FLEET_N; i++) {
		e = json_object_array_get_idx(member(l, "accounts"), (size_t)i);
		if (int_of(member(e, "counts.orders")) > 0)
			break;
	}
	ck_assert_int_lt(i, FLEET_N);
	FLEET_KEY(key, i);
	o = fleet_get(&f, "/api/events?include=metric&page[size]=1", key, &st);
	ck_assert_int_eq(st, 200);
	ev = json_object_array_get_idx(member(o, "included"), 0);
	ck_assert_str_eq(str(ev, "id"), str(e, "placed_order_metric"));
	ck_assert_str_eq(str(ev, "attributes.name"), "Placed Order");
	ck_assert_str_eq(str(ev, "attributes.integration.key"), "shopify");
	json_object_put(o);

	/* Deterministic: rebuilt after eviction, and in another sandbox. */
	for (i = 0; i < FLEET_N && ncamp[i] == 0; i++)
		;
	FLEET_KEY(key, i);
	snprintf(path, sizeof(path), "/api/campaigns?filter=equals("
	    "messages.channel,'email')");
	c1 = fleet_data(&f, path, key);
	for (t = 0; t < 8; t++) {
		char other[64];

		FLEET_KEY(other, (i + 1 + t) % FLEET_N);
		free(fleet_data(&f, "/api/flows", other));
	}
	c2 = fleet_data(&f, path, key);
	ck_assert_str_eq(c1, c2);
	fleet_start(&g, "40", "data2");
	c3 = fleet_data(&g, path, key);
	ck_assert_str_eq(c1, c3);
	l2 = fleet_list(&g, "");
	for (i = 0; i < FLEET_N; i++) {
		e = json_object_array_get_idx(member(l, "accounts"), (size_t)i);
		e2 = json_object_array_get_idx(member(l2, "accounts"),
		    (size_t)i);
		json_object_object_del(e, "requests");
		json_object_object_del(e2, "requests");
		ck_assert(json_object_equal(e, e2));
	}
	free(c1);
	free(c2);
	free(c3);
	json_object_put(l2);
	json_object_put(l);
	fleet_stop(&g);
	fleet_stop(&f);
}
END_TEST

START_TEST(test_fleet_limits_stats)
{
	struct fleet_sbx	 f;
	struct json_object	*l, *o, *e;
	struct hresp		 r;
	char			 k0[64], k1[64], url[256], body[512];
	long			 st = 0;
	int			 i, a;

	fleet_start(&f, "40", "limits");
	FLEET_KEY(k0, 0);
	FLEET_KEY(k1, 1);
	/* Account 0 runs out of /api/accounts (15/min, scaled)... */
	for (i = 0; i < 60 && st != 429; i++) {
		o = fleet_get(&f, "/api/accounts", k0, &st);
		json_object_put(o);
	}
	ck_assert_int_eq(st, 429);
	/* ... and account 1 still has its own. */
	o = fleet_get(&f, "/api/accounts", k1, &st);
	ck_assert_int_eq(st, 200);
	json_object_put(o);

	/* A report of a fleet account, counted per account and in total. */
	l = fleet_list(&f, "?from=3&count=1");
	ck_assert_int_eq(int_of(member(l, "count")), 1);
	e = json_object_array_get_idx(member(l, "accounts"), 0);
	a = 3;
	snprintf(body, sizeof(body), "{\"data\":{\"type\":"
	    "\"flow-series-report\",\"attributes\":{\"statistics\":"
	    "[\"recipients\"],\"timeframe\":{\"key\":\"last_30_days\"},"
	    "\"interval\":\"daily\",\"conversion_metric_id\":\"%s\"}}}",
	    str(e, "placed_order_metric"));
	json_object_put(l);
	FLEET_KEY(k0, a);
	snprintf(url, sizeof(url), "%s/api/flow-series-reports", f.base);
	http("POST", url, k0, REV, JSONAPI_CT, body, 0, &r);
	ck_assert_int_eq(r.status, 200);
	hresp_free(&r);
	l = fleet_list(&f, "?from=3&count=1");
	e = json_object_array_get_idx(member(l, "accounts"), 0);
	ck_assert_int_eq(int_of(member(e, "requests.reports.flow-series")), 1);
	ck_assert_int_eq(int_of(member(e, "requests.reports.campaign-values")),
	    0);
	ck_assert_int_eq(int_of(member(e, "requests.total")), 1);
	json_object_put(l);
	l = fleet_list(&f, "?from=0&count=1");
	e = json_object_array_get_idx(member(l, "accounts"), 0);
	ck_assert_int_ge(int_of(member(e, "requests.throttled")), 1);
	json_object_put(l);

	o = fleet_get(&f, "/__sandbox/stats?totals=1", NULL, &st);
	ck_assert_int_eq(st, 200);
	ck_assert_int_eq(int_of(member(o, "report_requests")), 1);
	ck_assert_int_ge(int_of(member(o, "throttled")), 1);
	ck_assert_int_eq(int_of(member(o, "requests")), i + 2);
	ck_assert_int_eq(int_of(member(o, "by_endpoint.GET /api/accounts."
	    "requests")), i + 1);
	ck_assert_int_ge(int_of(member(o, "by_endpoint.GET /api/accounts."
	    "throttled")), 1);
	json_object_put(o);
	/* Without a key: the table's six and the fleet accounts asked. */
	o = fleet_get(&f, "/__sandbox/stats", NULL, &st);
	ck_assert_int_eq(st, 200);
	ck_assert_int_eq(json_object_array_length(member(o, "stats")), 6 + 3);
	json_object_put(o);
	o = fleet_get(&f, "/__sandbox/stats?key=pk_fleet000000000000000000000000001",
	    NULL, &st);
	ck_assert_int_eq(st, 200);
	json_object_put(o);

	/* Paging and bad queries. */
	l = fleet_list(&f, "?from=38&count=10");
	ck_assert_int_eq(int_of(member(l, "count")), 2);
	ck_assert_int_eq(json_object_array_length(member(l, "accounts")), 2);
	json_object_put(l);
	o = fleet_get(&f, "/__sandbox/fleet?from=41", NULL, &st);
	ck_assert_int_eq(st, 400);
	o = fleet_get(&f, "/__sandbox/fleet?size=3", NULL, &st);
	ck_assert_int_eq(st, 400);
	o = fleet_get(&f, "/__sandbox/stats?totals=2", NULL, &st);
	ck_assert_int_eq(st, 400);
	fleet_stop(&f);
}
END_TEST

static Suite *
sandbox_suite(void)
{
	Suite	*s = suite_create("sandbox");
	TCase	*tc;
	size_t	 nacc = sizeof(accounts) / sizeof(accounts[0]);

	tc = tcase_create("start");
	tcase_add_test(tc, test_control_misc);
	suite_add_tcase(s, tc);

	tc = tcase_create("data");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_keys_look_real, 0, (int)nacc);
	tcase_add_loop_test(tc, test_account, 0, (int)nacc);
	tcase_add_test(tc, test_metrics_shopify);
	tcase_add_test(tc, test_metrics_other_stores);
	tcase_add_test(tc, test_metrics_filter);
	tcase_add_test(tc, test_custom_metrics_dedupe);
	tcase_add_test(tc, test_lists_pages);
	suite_add_tcase(s, tc);

	tc = tcase_create("store");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_campaign_pages);
	tcase_add_test(tc, test_other_collections);
	tcase_add_test(tc, test_events_pages);
	suite_add_tcase(s, tc);

	tc = tcase_create("reports");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_report_validation, 0,
	    (int)(sizeof(bad_reports) / sizeof(bad_reports[0])));
	tcase_add_test(tc, test_report_many_errors);
	tcase_add_test(tc, test_series_60_days);
	tcase_add_test(tc, test_report_group_by);
	tcase_add_test(tc, test_report_timezone);
	tcase_add_test(tc, test_sums_consistency);
	tcase_add_test(tc, test_segments_forms);
	tcase_add_test(tc, test_report_rate);
	tcase_add_test(tc, test_report_fault_stats);
	tcase_add_test(tc, test_report_daily_cap);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_auth_errors);
	tcase_add_loop_test(tc, test_revision, 0,
	    (int)(sizeof(revisions) / sizeof(revisions[0])));
	tcase_add_test(tc, test_request_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("ratelimits");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_rate_headers);
	tcase_add_test(tc, test_rate_burst_429);
	tcase_add_test(tc, test_rate_steady_429);
	suite_add_tcase(s, tc);

	tc = tcase_create("faults");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_fault_latency_pages);
	tcase_add_test(tc, test_fault_latency_concurrent);
	tcase_add_test(tc, test_fault_status);
	tcase_add_test(tc, test_fault_hang);
	tcase_add_test(tc, test_fault_reset);
	tcase_add_test(tc, test_fault_bodies);
	tcase_add_test(tc, test_fault_scoping);
	suite_add_tcase(s, tc);

	tc = tcase_create("control");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_request_log);
	tcase_add_test(tc, test_many_connections);
	tcase_add_test(tc, test_http_edges);
	suite_add_tcase(s, tc);

	suite_add_tcase(s, oauth_tcase());

	tc = tcase_create("fleet");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_fleet_accounts);
	tcase_add_test(tc, test_fleet_data);
	tcase_add_test(tc, test_fleet_limits_stats);
	suite_add_tcase(s, tc);

	suite_add_tcase(s, webhooks_tcase());

	tc = tcase_create("stop");
	tcase_add_test(tc, test_shutdown);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failures;

	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	sandbox_start();
	sr = srunner_create(sandbox_suite());
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (sandbox_stop() == -1)
		failures++;
	curl_global_cleanup();
	return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
