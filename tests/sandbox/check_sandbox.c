/*
 * Black-box tests of klaviyo-sandbox over HTTP with libcurl: starts the
 * binary named by KC_SANDBOX_BIN (or $KC_BUILDDIR/src/klaviyo-sandbox) on
 * 127.0.0.1 port 0 with --time-scale 60, reads the port from its stdout,
 * and checks each account's answers, pagination to the end, 401/403/400/
 * 404/405/406 with the spec's errors[] shape, revision checks, rate-limit
 * headers, 429 with Retry-After, every fault, the request log, many
 * connections at once, HTTP edge cases, and a clean SIGTERM exit (under
 * AddressSanitizer a leak makes that exit non-zero).
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

#define REV		"2026-07-15"
#define K_SHOPIFY	"pk_sbxshopify0000000000000000000001"
#define K_WOO		"pk_sbxwoocommerce000000000000000002"
#define K_CUSTOM	"pk_sbxcustom00000000000000000000003"
#define K_EMPTY		"pk_sbxempty000000000000000000000004"
#define K_NOSCOPE	"pk_sbxnoscope0000000000000000000005"
#define K_LISTS		"pk_sbxmanylists00000000000000000006"
#define BODY_MAX	(16 * 1024 * 1024)

static pid_t	sbx_pid = -1;
static int	sbx_port;
static char	sbx_base[64];
static char	sbx_log[256];

struct hresp {
	long		 status;
	CURLcode	 cc;
	char		*body;
	size_t		 len;
	char		 headers[16384];
	size_t		 hlen;
	double		 secs;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t
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

static size_t
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

static void
hresp_free(struct hresp *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* Copies a response header's value; NULL when absent. */
static const char *
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
static void
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

static void
get(const char *path, const char *key, struct hresp *r)
{
	http("GET", path, key, REV, NULL, NULL, 0, r);
	ck_assert_msg(r->cc == CURLE_OK, "GET %s: %s", path,
	    curl_easy_strerror(r->cc));
}

static void
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

static void
reset_limits(void)
{
	control("DELETE", "/__sandbox/ratelimits", NULL);
}

static struct json_object *
parse(const struct hresp *r)
{
	struct json_object *o;

	ck_assert_ptr_nonnull(r->body);
	o = json_tokener_parse(r->body);
	ck_assert_msg(o != NULL, "not JSON: %.200s", r->body);
	return o;
}

static struct json_object *
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

static const char *
str(struct json_object *o, const char *path)
{
	struct json_object *v = member(o, path);

	return v && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

/* The answer is a Klaviyo error: status, errors[0].code, the shape. */
static void
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

static int	sandbox_stop(void);

static void
sandbox_start(void)
{
	const char	*bin = getenv("KC_SANDBOX_BIN"), *bd, *tmp;
	char		 path[1024], buf[256];
	int		 pfd[2];
	size_t		 got = 0;
	ssize_t		 n;
	double		 deadline;
	struct pollfd	 p;
	char		*nl;

	if (bin == NULL || *bin == '\0') {
		bd = getenv("KC_BUILDDIR");
		snprintf(path, sizeof(path), "%s/src/klaviyo-sandbox",
		    bd ? bd : ".");
		bin = path;
	}
	tmp = getenv("TMPDIR");
	snprintf(sbx_log, sizeof(sbx_log), "%s/kc-sandbox-test.%d.log",
	    tmp ? tmp : "/tmp", (int)getpid());
	if (pipe(pfd) != 0 || (sbx_pid = fork()) < 0)
		die("cannot start the sandbox", strerror(errno));
	if (sbx_pid == 0) {
		/* Whatever happens to this test, the sandbox goes with it. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(pfd[1], STDOUT_FILENO);
		close(pfd[0]);
		close(pfd[1]);
		execl(bin, bin, "--listen", "127.0.0.1:0", "--time-scale",
		    "60", "--log", sbx_log, (char *)NULL);
		fprintf(stderr, "cannot run %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	deadline = now_s() + 10.0;
	memset(buf, 0, sizeof(buf));
	while ((nl = strchr(buf, '\n')) == NULL) {
		p.fd = pfd[0];
		p.events = POLLIN;
		if (now_s() >= deadline) {
			sandbox_stop();
			die("the sandbox did not start within 10 s", bin);
		}
		if (poll(&p, 1, 200) <= 0)
			continue;
		n = read(pfd[0], buf + got, sizeof(buf) - 1 - got);
		if (n <= 0) {
			sandbox_stop();
			die("the sandbox exited before listening", bin);
		}
		got += (size_t)n;
	}
	close(pfd[0]);
	if (sscanf(buf, "listening on 127.0.0.1:%d", &sbx_port) != 1)
		die("unexpected first line from the sandbox", buf);
	snprintf(sbx_base, sizeof(sbx_base), "http://127.0.0.1:%d",
	    sbx_port);
}

/* SIGTERM; the exit status, or -1 when it did not exit in time. */
static int
sandbox_stop(void)
{
	int	 st;
	double	 deadline;
	pid_t	 w;

	if (sbx_pid <= 0)
		return 0;
	kill(sbx_pid, SIGTERM);
	deadline = now_s() + 10.0;
	while ((w = waitpid(sbx_pid, &st, WNOHANG)) == 0 && now_s() <
	    deadline)
		usleep(20000);
	if (w == 0) {
		kill(sbx_pid, SIGKILL);
		waitpid(sbx_pid, &st, 0);
		sbx_pid = -1;
		return -1;
	}
	sbx_pid = -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
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
