/*
 * The sandbox's Webhooks API and webhook deliveries, over HTTP with
 * libcurl.  The suite's sandbox runs with --webhook-allow-http,
 * --webhook-retry-base-ms 50 and --webhook-max-attempts 4; the https
 * rule is checked on a second sandbox started without the flag.  A
 * small loopback HTTP receiver on a thread of its own records what is
 * delivered and answers 500 the first N times; each delivery's
 * signature is checked with our own HMAC-SHA256 over the raw body and
 * the Klaviyo-Timestamp header.  Every wait has a deadline.
 */
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "check_sandbox.h"

#define ACME		"ms2AAo"
#define PO_TOPIC	"event:shopify.placed_order"
#define RCV_MAX		64
#define SECRET		"wh-s3cret/+=key"

/* The loopback receiver. */

struct rcv_req {
	char	 id[64];
	char	 ts[32];
	char	 sig[128];
	char	 ctype[64];
	char	 path[128];
	char	*body;
	size_t	 len;
};

static struct {
	int			 fd;
	int			 port;
	pthread_t		 th;
	int			 running;
	atomic_int		 stop;
	pthread_mutex_t		 mu;
	struct rcv_req		 req[RCV_MAX];
	size_t			 n;
	int			 fail_left;	/* 500s to answer */
} rcv = { .fd = -1, .mu = PTHREAD_MUTEX_INITIALIZER };

/* A header's value from a raw head ("Name: value\r\n"), copied. */
static void
head_value(const char *head, const char *name, char *out, size_t len)
{
	const char	*p = head;
	size_t		 n = strlen(name), v;

	out[0] = '\0';
	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1;
			while (*p == ' ')
				p++;
			v = strcspn(p, "\r\n");
			snprintf(out, len, "%.*s", (int)v, p);
			return;
		}
	}
}

/* Reads one request (5 s at most), records it, answers, closes. */
static void
rcv_serve(int c)
{
	char		 buf[1 << 20], cl[32], line[128];
	size_t		 got = 0, need = 0, hlen = 0;
	struct pollfd	 p;
	ssize_t		 n;
	double		 deadline = now_s() + 5.0;
	char		*e;
	int		 status;

	while (now_s() < deadline && got < sizeof(buf) - 1) {
		p.fd = c;
		p.events = POLLIN;
		if (poll(&p, 1, 100) <= 0)
			continue;
		if ((n = read(c, buf + got, sizeof(buf) - 1 - got)) <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
		if (hlen == 0 && (e = strstr(buf, "\r\n\r\n")) != NULL) {
			hlen = (size_t)(e - buf) + 4;
			head_value(buf, "Content-Length", cl, sizeof(cl));
			need = hlen + (size_t)strtoul(cl, NULL, 10);
		}
		if (hlen != 0 && got >= need)
			break;
	}
	if (hlen == 0 || got < need) {
		close(c);
		return;
	}
	pthread_mutex_lock(&rcv.mu);
	if (rcv.n < RCV_MAX) {
		struct rcv_req *r = &rcv.req[rcv.n++];

		buf[hlen - 2] = '\0';
		head_value(buf, "Klaviyo-Webhook-Id", r->id, sizeof(r->id));
		head_value(buf, "Klaviyo-Timestamp", r->ts, sizeof(r->ts));
		head_value(buf, "Klaviyo-Signature", r->sig, sizeof(r->sig));
		head_value(buf, "Content-Type", r->ctype, sizeof(r->ctype));
		sscanf(buf, "POST %127s ", r->path);
		r->len = need - hlen;
		if ((r->body = malloc(r->len + 1)) != NULL) {
			memcpy(r->body, buf + hlen, r->len);
			r->body[r->len] = '\0';
		}
	}
	status = rcv.fail_left > 0 ? 500 : 200;
	if (rcv.fail_left > 0)
		rcv.fail_left--;
	pthread_mutex_unlock(&rcv.mu);
	n = snprintf(line, sizeof(line), "HTTP/1.1 %d X\r\nContent-Length: "
	    "0\r\nConnection: close\r\n\r\n", status);
	(void)!write(c, line, (size_t)n);
	close(c);
}

static void *
rcv_run(void *arg)
{
	struct pollfd	p;
	int		c;

	(void)arg;
	while (!atomic_load(&rcv.stop)) {
		p.fd = rcv.fd;
		p.events = POLLIN;
		if (poll(&p, 1, 100) <= 0)
			continue;
		if ((c = accept(rcv.fd, NULL, NULL)) >= 0)
			rcv_serve(c);
	}
	return NULL;
}

static void
rcv_start(void)
{
	struct sockaddr_in	sa;
	socklen_t		sl = sizeof(sa);

	if (rcv.running)
		return;
	rcv.fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(rcv.fd, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(rcv.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(rcv.fd, 16), 0);
	ck_assert_int_eq(getsockname(rcv.fd, (struct sockaddr *)&sa, &sl), 0);
	rcv.port = ntohs(sa.sin_port);
	atomic_store(&rcv.stop, 0);
	ck_assert_int_eq(pthread_create(&rcv.th, NULL, rcv_run, NULL), 0);
	rcv.running = 1;
}

static void
rcv_reset(int fail)
{
	size_t i;

	pthread_mutex_lock(&rcv.mu);
	for (i = 0; i < rcv.n; i++)
		free(rcv.req[i].body);
	memset(rcv.req, 0, sizeof(rcv.req));
	rcv.n = 0;
	rcv.fail_left = fail;
	pthread_mutex_unlock(&rcv.mu);
}

static void
rcv_stop(void)
{
	if (!rcv.running)
		return;
	atomic_store(&rcv.stop, 1);
	pthread_join(rcv.th, NULL);
	close(rcv.fd);
	rcv.running = 0;
	rcv_reset(0);
}

/* Waits up to secs for n requests; how many came. */
static size_t
rcv_wait(size_t n, double secs)
{
	double	deadline = now_s() + secs;
	size_t	got;

	for (;;) {
		pthread_mutex_lock(&rcv.mu);
		got = rcv.n;
		pthread_mutex_unlock(&rcv.mu);
		if (got >= n || now_s() >= deadline)
			return got;
		usleep(20000);
	}
}

/* Helpers. */

/* One Webhooks API call with the limits reset first (1/s, 15/m). */
static void
wh(const char *method, const char *path, const char *key, const char *body,
    struct hresp *r)
{
	reset_limits();
	http(method, path, key, REV, body ?
	    "Content-Type: application/vnd.api+json" : NULL, body, 0, r);
	ck_assert_msg(r->cc == CURLE_OK, "%s %s: %s", method, path,
	    curl_easy_strerror(r->cc));
}

/* A control call answering JSON with status want; the parsed body. */
static struct json_object *
ctl(const char *method, const char *path, const char *body, long want)
{
	struct hresp		 r;
	struct json_object	*o;

	http(method, path, NULL, NULL, "Content-Type: application/json", body,
	    0, &r);
	ck_assert_msg(r.cc == CURLE_OK && r.status == want,
	    "%s %s: %ld, want %ld: %.300s", method, path, r.status, want,
	    r.body ? r.body : "");
	o = parse(&r);
	hresp_free(&r);
	return o;
}

static char *
create_body(const char *name, const char *url, const char *secret,
    const char *topics)
{
	static char b[4096];

	snprintf(b, sizeof(b), "{\"data\":{\"type\":\"webhook\","
	    "\"attributes\":{\"name\":\"%s\",\"endpoint_url\":\"%s\","
	    "\"secret_key\":\"%s\"},\"relationships\":{\"webhook-topics\":"
	    "{\"data\":[%s]}}}}", name, url, secret, topics);
	return b;
}

#define TOPIC(t)	"{\"type\":\"webhook-topic\",\"id\":\"" t "\"}"

/* Creates a webhook on the receiver (path /hook/<tag>); its id. */
static void
create_hook(const char *key, const char *tag, const char *topics,
    char id[32])
{
	struct hresp		 r;
	struct json_object	*o;
	char			 url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook/%s", rcv.port,
	    tag);
	wh("POST", "/api/webhooks", key, create_body(tag, url, SECRET,
	    topics), &r);
	ck_assert_msg(r.status == 201, "create: %ld %.300s", r.status,
	    r.body ? r.body : "");
	o = parse(&r);
	snprintf(id, 32, "%s", str(o, "data.id"));
	json_object_put(o);
	hresp_free(&r);
}

static void
wh_setup(void)
{
	json_object_put(ctl("DELETE", "/__sandbox/webhooks", NULL, 200));
	control("DELETE", "/__sandbox/faults", NULL);
	reset_limits();
	rcv_start();
	rcv_reset(0);
}

/* Our own topic of a metric: event:<key>.<snake_case name>. */
static void
topic_of(struct json_object *m, char *out, size_t len)
{
	const char	*k = str(m, "attributes.integration.key");
	const char	*name = str(m, "attributes.name"), *p;
	size_t		 n;
	int		 us = 0;

	ck_assert_ptr_nonnull(k);
	ck_assert_ptr_nonnull(name);
	n = (size_t)snprintf(out, len, "event:%s.", k);
	for (p = name; *p && n + 2 < len; p++) {
		if (isalnum((unsigned char)*p)) {
			if (us)
				out[n++] = '_';
			out[n++] = (char)tolower((unsigned char)*p);
			us = 0;
		} else if (out[n - 1] != '.')
			us = 1;
	}
	out[n] = '\0';
}

static int
arr_has_id(struct json_object *arr, const char *id)
{
	size_t i;

	for (i = 0; arr && i < json_object_array_length(arr); i++)
		if (strcmp(str(json_object_array_get_idx(arr, i), "id"),
		    id) == 0)
			return 1;
	return 0;
}

/* Topics. */

START_TEST(test_wh_topics)
{
	struct hresp		 r;
	struct json_object	*o, *data, *mo, *all, *t;
	char			 topic[256], url[512];
	const char		*next, *prev = "";
	size_t			 i, nmetrics = 0;

	wh("GET", "/api/webhook-topics", K_SHOPIFY, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	o = parse(&r);
	hresp_free(&r);
	data = member(o, "data");
	ck_assert_int_gt(json_object_array_length(data), 20);
	for (i = 0; i < json_object_array_length(data); i++) {
		t = json_object_array_get_idx(data, i);
		ck_assert_str_eq(str(t, "type"), "webhook-topic");
		ck_assert_msg(strcmp(prev, str(t, "id")) < 0, "not sorted "
		    "or twice: %s after %s", str(t, "id"), prev);
		prev = str(t, "id");
		ck_assert_ptr_nonnull(str(t, "links.self"));
	}
	ck_assert(arr_has_id(data, PO_TOPIC));
	ck_assert(arr_has_id(data, "event:klaviyo.received_email"));
	ck_assert(arr_has_id(data, "event:klaviyo.opened_email"));
	ck_assert(arr_has_id(data, "event:klaviyo.clicked_email"));
	ck_assert(arr_has_id(data, "event:klaviyo.received_sms"));
	ck_assert(arr_has_id(data, "event:klaviyo.marked_email_as_spam"));
	ck_assert(arr_has_id(data, "event:api.placed_order"));

	/* Exactly one topic per distinct (key, name) of /api/metrics. */
	all = json_object_new_array();
	snprintf(url, sizeof(url), "/api/metrics");
	while (url[0] != '\0') {
		reset_limits();
		get(url, K_SHOPIFY, &r);
		ck_assert_int_eq(r.status, 200);
		mo = parse(&r);
		hresp_free(&r);
		for (i = 0; i < json_object_array_length(member(mo, "data"));
		    i++) {
			topic_of(json_object_array_get_idx(member(mo, "data"),
			    i), topic, sizeof(topic));
			ck_assert_msg(arr_has_id(data, topic), "no topic %s",
			    topic);
			if (!arr_has_id(all, topic)) {
				t = json_object_new_object();
				json_object_object_add(t, "id",
				    json_object_new_string(topic));
				json_object_array_add(all, t);
			}
			nmetrics++;
		}
		next = str(mo, "links.next");
		snprintf(url, sizeof(url), "%s", next ? next : "");
		json_object_put(mo);
	}
	ck_assert_int_eq(nmetrics, 512);
	ck_assert_int_eq(json_object_array_length(all),
	    json_object_array_length(data));
	json_object_put(all);
	json_object_put(o);

	/* One topic, its colon sent encoded or not. */
	wh("GET", "/api/webhook-topics/event%3Ashopify.placed_order",
	    K_SHOPIFY, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	o = parse(&r);
	ck_assert_str_eq(str(o, "data.id"), PO_TOPIC);
	ck_assert_str_eq(str(o, "data.type"), "webhook-topic");
	ck_assert_ptr_nonnull(strstr(str(o, "links.self"),
	    "/api/webhook-topics/" PO_TOPIC "/"));
	json_object_put(o);
	hresp_free(&r);
	wh("GET", "/api/webhook-topics/" PO_TOPIC, K_SHOPIFY, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	hresp_free(&r);
	/* Bluebird has no Shopify Placed Order, only WooCommerce's. */
	wh("GET", "/api/webhook-topics/" PO_TOPIC, K_WOO, NULL, &r);
	expect_error(&r, 404, "not_found");
	hresp_free(&r);
	wh("GET", "/api/webhook-topics/event:woocommerce.placed_order", K_WOO,
	    NULL, &r);
	ck_assert_int_eq(r.status, 200);
	hresp_free(&r);
	/* No metrics, no topics. */
	wh("GET", "/api/webhook-topics", K_EMPTY, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	o = parse(&r);
	ck_assert_int_eq(json_object_array_length(member(o, "data")), 0);
	json_object_put(o);
	hresp_free(&r);
	/* Scope. */
	wh("GET", "/api/webhook-topics", K_NOSCOPE, NULL, &r);
	expect_error(&r, 403, "permission_denied");
	ck_assert_ptr_nonnull(strstr(r.body, "webhooks:read"));
	hresp_free(&r);
}
END_TEST

/* Create, list, get, patch, delete. */

START_TEST(test_wh_crud)
{
	struct hresp		 r;
	struct json_object	*o, *l, *w;
	char			 id[32], path[128], body[2048], want[64];
	const char		*s;
	size_t			 i;
	int			 n;

	rcv_start();
	create_hook(K_SHOPIFY, "crud", TOPIC(PO_TOPIC) ","
	    TOPIC("event:klaviyo.opened_email"), id);
	ck_assert_int_eq(strlen(id), 26);
	for (i = 0; i < 26; i++)
		ck_assert_msg(strchr("0123456789ABCDEFGHJKMNPQRSTVWXYZ",
		    id[i]) != NULL, "id %s", id);
	snprintf(path, sizeof(path), "/api/webhooks/%s", id);
	snprintf(want, sizeof(want), "http://127.0.0.1:%d", rcv.port);

	wh("GET", path, K_SHOPIFY, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_null(strstr(r.body, SECRET));
	ck_assert_ptr_null(strstr(r.body, "secret"));
	ck_assert_ptr_null(strstr(r.body, "/hook/crud"));
	o = parse(&r);
	hresp_free(&r);
	ck_assert_str_eq(str(o, "data.type"), "webhook");
	ck_assert_str_eq(str(o, "data.attributes.name"), "crud");
	ck_assert_str_eq(str(o, "data.attributes.endpoint_url"), want);
	ck_assert(json_object_get_boolean(member(o,
	    "data.attributes.enabled")));
	ck_assert_ptr_nonnull(str(o, "data.attributes.created_at"));
	ck_assert_int_eq(json_object_array_length(member(o,
	    "data.relationships.webhook-topics.data")), 2);
	ck_assert_ptr_nonnull(strstr(str(o, "links.self"), id));
	json_object_put(o);

	/* include=webhook-topics, sparse fields. */
	snprintf(path, sizeof(path), "/api/webhooks/%s?include=webhook-topics"
	    "&fields%%5Bwebhook%%5D=name", id);
	wh("GET", path, K_SHOPIFY, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	o = parse(&r);
	ck_assert_int_eq(json_object_array_length(member(o, "included")), 2);
	ck_assert(arr_has_id(member(o, "included"), PO_TOPIC));
	ck_assert_ptr_null(member(o, "data.attributes.enabled"));
	json_object_put(o);
	hresp_free(&r);

	/* The list, and another account does not see it. */
	wh("GET", "/api/webhooks?include=webhook-topics", K_SHOPIFY, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	o = parse(&r);
	ck_assert_int_eq(json_object_array_length(member(o, "data")), 1);
	ck_assert(arr_has_id(member(o, "data"), id));
	ck_assert(arr_has_id(member(o, "included"),
	    "event:klaviyo.opened_email"));
	json_object_put(o);
	hresp_free(&r);
	wh("GET", "/api/webhooks", K_WOO, NULL, &r);
	o = parse(&r);
	ck_assert_int_eq(json_object_array_length(member(o, "data")), 0);
	json_object_put(o);
	hresp_free(&r);
	snprintf(path, sizeof(path), "/api/webhooks/%s", id);
	wh("GET", path, K_WOO, NULL, &r);
	expect_error(&r, 404, "not_found");
	hresp_free(&r);

	/* PATCH: name, enabled, topics; the id must be the path's. */
	snprintf(body, sizeof(body), "{\"data\":{\"type\":\"webhook\","
	    "\"id\":\"%s\",\"attributes\":{\"name\":\"renamed\",\"enabled\":"
	    "false},\"relationships\":{\"webhook-topics\":{\"data\":["
	    TOPIC("event:klaviyo.received_sms") "]}}}}", id);
	wh("PATCH", path, K_SHOPIFY, body, &r);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	o = parse(&r);
	ck_assert_str_eq(str(o, "data.attributes.name"), "renamed");
	ck_assert(!json_object_get_boolean(member(o,
	    "data.attributes.enabled")));
	w = json_object_array_get_idx(member(o,
	    "data.relationships.webhook-topics.data"), 0);
	ck_assert_str_eq(str(w, "id"), "event:klaviyo.received_sms");
	json_object_put(o);
	hresp_free(&r);
	snprintf(body, sizeof(body), "{\"data\":{\"type\":\"webhook\","
	    "\"id\":\"01AAAAAAAAAAAAAAAAAAAAAAAA\",\"attributes\":{}}}");
	wh("PATCH", path, K_SHOPIFY, body, &r);
	expect_error(&r, 400, "invalid");
	hresp_free(&r);
	snprintf(body, sizeof(body), "{\"data\":{\"type\":\"webhook\","
	    "\"id\":\"%s\",\"attributes\":{\"endpoint_url\":\"ftp://x\"}}}",
	    id);
	wh("PATCH", path, K_SHOPIFY, body, &r);
	expect_error(&r, 400, "invalid");
	hresp_free(&r);

	/* The control API sees it with its full URL and state. */
	l = ctl("GET", "/__sandbox/accounts/" ACME "/webhooks", NULL, 200);
	ck_assert(json_object_get_boolean(member(l, "webhooks_access")));
	w = json_object_array_get_idx(member(l, "webhooks"), 0);
	ck_assert_str_eq(str(w, "id"), id);
	ck_assert_ptr_nonnull(strstr(str(w, "endpoint_url"), "/hook/crud"));
	ck_assert(!json_object_get_boolean(member(w, "enabled")));
	ck_assert_ptr_null(member(w, "secret_key"));
	json_object_put(l);

	/* The request log has the Webhooks API calls. */
	l = ctl("GET", "/__sandbox/requests", NULL, 200);
	for (i = 0, n = 0; i < json_object_array_length(member(l,
	    "requests")); i++) {
		w = json_object_array_get_idx(member(l, "requests"), i);
		s = str(w, "path");
		if (strcmp(str(w, "method"), "POST") == 0 &&
		    strcmp(s, "/api/webhooks") == 0 &&
		    json_object_get_int(member(w, "status")) == 201)
			n |= 1;
		if (strcmp(str(w, "method"), "PATCH") == 0 &&
		    strncmp(s, "/api/webhooks/", 14) == 0 &&
		    json_object_get_int(member(w, "status")) == 200)
			n |= 2;
	}
	ck_assert_int_eq(n, 3);
	json_object_put(l);

	/* DELETE: 204, then gone. */
	wh("DELETE", path, K_SHOPIFY, NULL, &r);
	ck_assert_int_eq(r.status, 204);
	ck_assert_int_eq(r.len, 0);
	hresp_free(&r);
	wh("GET", path, K_SHOPIFY, NULL, &r);
	expect_error(&r, 404, "not_found");
	hresp_free(&r);
	wh("DELETE", path, K_SHOPIFY, NULL, &r);
	expect_error(&r, 404, "not_found");
	hresp_free(&r);
	l = ctl("GET", "/__sandbox/accounts/" ACME "/webhooks", NULL, 200);
	ck_assert_int_eq(json_object_array_length(member(l, "webhooks")), 0);
	json_object_put(l);
	/* Other methods. */
	wh("PUT", path, K_SHOPIFY, NULL, &r);
	ck_assert_int_eq(r.status, 405);
	ck_assert_ptr_nonnull(hdr(&r, "Allow", want, sizeof(want)));
	ck_assert_str_eq(want, "GET, PATCH, DELETE");
	hresp_free(&r);
}
END_TEST

/* Bad bodies, topics, duplicates, scopes, access. */

static const struct {
	const char	*body;
	const char	*pointer;
} bad_creates[] = {
	{ "{not json", "/" },
	{ "{\"data\":{\"type\":\"list\",\"attributes\":{}}}", "/data/type" },
	{ "{\"data\":{\"type\":\"webhook\",\"attributes\":{\"endpoint_url\":"
	  "\"https://a.example/x\",\"secret_key\":\"k\"},\"relationships\":"
	  "{\"webhook-topics\":{\"data\":[" TOPIC(PO_TOPIC) "]}}}}",
	  "/data/attributes/name" },
	{ "{\"data\":{\"type\":\"webhook\",\"attributes\":{\"name\":\"n\","
	  "\"secret_key\":\"k\"},\"relationships\":{\"webhook-topics\":"
	  "{\"data\":[" TOPIC(PO_TOPIC) "]}}}}",
	  "/data/attributes/endpoint_url" },
	{ "{\"data\":{\"type\":\"webhook\",\"attributes\":{\"name\":\"n\","
	  "\"endpoint_url\":\"https://a.example/x\"},\"relationships\":"
	  "{\"webhook-topics\":{\"data\":[" TOPIC(PO_TOPIC) "]}}}}",
	  "/data/attributes/secret_key" },
	{ "{\"data\":{\"type\":\"webhook\",\"attributes\":{\"name\":\"n\","
	  "\"endpoint_url\":\"https://a.example/x\",\"secret_key\":\"\"},"
	  "\"relationships\":{\"webhook-topics\":{\"data\":["
	  TOPIC(PO_TOPIC) "]}}}}", "/data/attributes/secret_key" },
	{ "{\"data\":{\"type\":\"webhook\",\"attributes\":{\"name\":\"n\","
	  "\"endpoint_url\":\"ftp://a.example/x\",\"secret_key\":\"k\"},"
	  "\"relationships\":{\"webhook-topics\":{\"data\":["
	  TOPIC(PO_TOPIC) "]}}}}", "/data/attributes/endpoint_url" },
	{ "{\"data\":{\"type\":\"webhook\",\"attributes\":{\"name\":\"n\","
	  "\"endpoint_url\":\"https://a.example/x\",\"secret_key\":\"k\"}}}",
	  "/data/relationships" },
	{ "{\"data\":{\"type\":\"webhook\",\"attributes\":{\"name\":\"n\","
	  "\"endpoint_url\":\"https://a.example/x\",\"secret_key\":\"k\"},"
	  "\"relationships\":{\"webhook-topics\":{\"data\":[]}}}}",
	  "/data/relationships/webhook-topics/data" },
	{ "{\"data\":{\"type\":\"webhook\",\"attributes\":{\"name\":\"n\","
	  "\"endpoint_url\":\"https://a.example/x\",\"secret_key\":\"k\"},"
	  "\"relationships\":{\"webhook-topics\":{\"data\":["
	  TOPIC(PO_TOPIC) "," TOPIC("event:shopify.no_such_metric")
	  "]}}}}", "/data/relationships/webhook-topics/data/1" },
};

START_TEST(test_wh_bad_create)
{
	struct hresp		 r;
	struct json_object	*o;
	const char		*p;

	wh("POST", "/api/webhooks", K_SHOPIFY, bad_creates[_i].body, &r);
	expect_error(&r, 400, "invalid");
	o = parse(&r);
	p = str(json_object_array_get_idx(member(o, "errors"), 0),
	    "source.pointer");
	ck_assert_msg(p != NULL && strcmp(p, bad_creates[_i].pointer) == 0,
	    "case %d: pointer %s, want %s", _i, p ? p : "(none)",
	    bad_creates[_i].pointer);
	json_object_put(o);
	hresp_free(&r);
	/* Nothing was created. */
	o = ctl("GET", "/__sandbox/accounts/" ACME "/webhooks", NULL, 200);
	ck_assert_int_eq(json_object_array_length(member(o, "webhooks")), 0);
	json_object_put(o);
}
END_TEST

START_TEST(test_wh_errors)
{
	struct hresp		 r;
	struct json_object	*o;
	char			 id[32], url[128], path[128];
	const char		*paths[] = { "/api/webhook-topics",
	    "/api/webhook-topics/" PO_TOPIC, "/api/webhooks", path };
	size_t			 i;

	create_hook(K_SHOPIFY, "errs", TOPIC(PO_TOPIC), id);
	snprintf(path, sizeof(path), "/api/webhooks/%s", id);
	/* Same endpoint_url twice: 409 naming the first. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook/errs", rcv.port);
	wh("POST", "/api/webhooks", K_SHOPIFY, create_body("again", url, "k",
	    TOPIC(PO_TOPIC)), &r);
	expect_error(&r, 409, "duplicate_webhook");
	ck_assert_ptr_nonnull(strstr(r.body, id));
	hresp_free(&r);
	/* The same URL at another account is another webhook. */
	wh("POST", "/api/webhooks", K_LISTS, create_body("other", url, "k",
	    TOPIC(PO_TOPIC)), &r);
	ck_assert_int_eq(r.status, 201);
	hresp_free(&r);

	/* Scopes: the accounts:read key gets 403 on each operation. */
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		wh("GET", paths[i], K_NOSCOPE, NULL, &r);
		expect_error(&r, 403, "permission_denied");
		hresp_free(&r);
	}
	wh("POST", "/api/webhooks", K_NOSCOPE, create_body("n",
	    "https://a.example/", "k", TOPIC(PO_TOPIC)), &r);
	expect_error(&r, 403, "permission_denied");
	ck_assert_ptr_nonnull(strstr(r.body, "webhooks:write"));
	hresp_free(&r);

	/* Access switched off: every call 403, nothing changes. */
	o = ctl("POST", "/__sandbox/accounts/" ACME "/webhooks-access",
	    "{\"enabled\":false}", 200);
	ck_assert(!json_object_get_boolean(member(o, "webhooks_access")));
	json_object_put(o);
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		wh("GET", paths[i], K_SHOPIFY, NULL, &r);
		expect_error(&r, 403, "permission_denied");
		hresp_free(&r);
	}
	wh("POST", "/api/webhooks", K_SHOPIFY, create_body("n",
	    "https://a.example/", "k", TOPIC(PO_TOPIC)), &r);
	expect_error(&r, 403, "permission_denied");
	hresp_free(&r);
	wh("PATCH", path, K_SHOPIFY, "{\"data\":{\"type\":\"webhook\","
	    "\"id\":\"x\",\"attributes\":{}}}", &r);
	expect_error(&r, 403, "permission_denied");
	hresp_free(&r);
	wh("DELETE", path, K_SHOPIFY, NULL, &r);
	expect_error(&r, 403, "permission_denied");
	hresp_free(&r);
	/* Other accounts keep theirs. */
	wh("GET", "/api/webhooks", K_LISTS, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	hresp_free(&r);
	o = ctl("GET", "/__sandbox/accounts/" ACME "/webhooks-access", NULL,
	    200);
	ck_assert(!json_object_get_boolean(member(o, "webhooks_access")));
	json_object_put(o);
	json_object_put(ctl("POST", "/__sandbox/accounts/" ACME
	    "/webhooks-access", "{\"enabled\":true}", 200));
	wh("GET", path, K_SHOPIFY, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	hresp_free(&r);

	/* Control API errors. */
	json_object_put(ctl("POST", "/__sandbox/accounts/" ACME
	    "/webhooks-access", "{\"enabled\":1}", 400));
	json_object_put(ctl("GET", "/__sandbox/accounts/nosuch/webhooks",
	    NULL, 404));
	json_object_put(ctl("POST", "/__sandbox/accounts/" ACME "/events",
	    "{\"metric\":\"No Such Metric\"}", 400));
	json_object_put(ctl("POST", "/__sandbox/accounts/" ACME "/events",
	    "{\"metric\":\"Placed Order\",\"time\":\"yesterday\"}", 400));
	json_object_put(ctl("POST", "/__sandbox/accounts/" ACME "/events",
	    "{\"metric\":\"Placed Order\",\"colour\":\"red\"}", 400));
	json_object_put(ctl("POST", "/__sandbox/accounts/" ACME "/events",
	    "{\"events\":[]}", 400));
	json_object_put(ctl("GET", "/__sandbox/webhooks/deliveries/999999",
	    NULL, 404));
	json_object_put(ctl("POST",
	    "/__sandbox/webhooks/deliveries/999999/resend", NULL, 404));
	json_object_put(ctl("GET", "/__sandbox/webhooks/deliveries?x=1", NULL,
	    400));
}
END_TEST

/* Without --webhook-allow-http only https URLs are accepted. */
START_TEST(test_wh_https_only)
{
	const char	*why;
	pid_t		 pid = -1;
	int		 port;
	char		 url[128], log[300];
	struct hresp	 r;

	snprintf(log, sizeof(log), "%s.https", sbx_log);
	ck_assert_msg(spawn_sandbox("60", log, NULL, NULL, &pid, &port,
	    &why) == 0, "%s", why);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/webhooks", port);
	http("POST", url, K_CUSTOM, REV, "Content-Type: application/json",
	    create_body("n", "http://127.0.0.1:9/x", "k",
	    TOPIC("event:api.placed_order")), 0, &r);
	expect_error(&r, 400, "invalid");
	ck_assert_ptr_nonnull(strstr(r.body, "https"));
	hresp_free(&r);
	usleep(100000);	/* 1/s at time scale 60: a 17 ms window */
	http("POST", url, K_CUSTOM, REV, "Content-Type: application/json",
	    create_body("n", "https://hooks.example/x", "k",
	    TOPIC("event:api.placed_order")), 0, &r);
	ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
	hresp_free(&r);
	ck_assert_int_eq(stop_pid(&pid), 0);
}
END_TEST

/* 1/s and 15/m per account, 429 like the other endpoints. */
START_TEST(test_wh_rate_limit)
{
	struct hresp	 r;
	char		 v[32];
	int		 i, throttled = 0, ok = 0;

	reset_limits();
	for (i = 0; i < 100 && throttled == 0; i++) {
		http("GET", "/api/webhooks", K_SHOPIFY, REV, NULL, NULL, 0, &r);
		ck_assert(r.status == 200 || r.status == 429);
		if (r.status == 429) {
			expect_error(&r, 429, "throttled");
			ck_assert_ptr_nonnull(hdr(&r, "Retry-After", v,
			    sizeof(v)));
			ck_assert_int_ge(atoi(v), 1);
			ck_assert_ptr_null(hdr(&r, "RateLimit-Limit", v,
			    sizeof(v)));
			throttled++;
		} else {
			ck_assert_ptr_nonnull(hdr(&r, "RateLimit-Limit", v,
			    sizeof(v)));
			ck_assert_str_eq(v, "15");
			ok++;
		}
		hresp_free(&r);
	}
	ck_assert_int_ge(ok, 1);
	ck_assert_int_eq(throttled, 1);
	/* Another account has buckets of its own. */
	http("GET", "/api/webhooks", K_WOO, REV, NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	hresp_free(&r);
}
END_TEST

/* Deliveries. */

static int
sig_ok(const struct rcv_req *q)
{
	unsigned char	 mac[32], *msg;
	unsigned int	 mlen = 0;
	char		 hex[65];
	size_t		 tl = strlen(q->ts), i;

	msg = malloc(q->len + tl);
	ck_assert_ptr_nonnull(msg);
	memcpy(msg, q->body, q->len);
	memcpy(msg + q->len, q->ts, tl);
	ck_assert_ptr_nonnull(HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET),
	    msg, q->len + tl, mac, &mlen));
	free(msg);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	return strcmp(hex, q->sig) == 0;
}

/* The events of an account, newest first, by their ids. */
static struct json_object *
find_event(const char *key, const char *id)
{
	struct hresp		 r;
	struct json_object	*o, *data, *e, *found = NULL;
	size_t			 i;

	reset_limits();
	get("/api/events?sort=-datetime&page%5Bsize%5D=1000", key, &r);
	ck_assert_int_eq(r.status, 200);
	o = parse(&r);
	hresp_free(&r);
	data = member(o, "data");
	for (i = 0; i < json_object_array_length(data); i++) {
		e = json_object_array_get_idx(data, i);
		if (strcmp(str(e, "id"), id) == 0)
			found = json_object_get(e);
	}
	json_object_put(o);
	return found;
}

/* Waits for a delivery's state; the delivery. */
static struct json_object *
wait_delivery(long long id, const char *state, double secs)
{
	struct json_object	*o;
	char			 path[96];
	double			 deadline = now_s() + secs;

	snprintf(path, sizeof(path), "/__sandbox/webhooks/deliveries/%lld",
	    id);
	for (;;) {
		o = ctl("GET", path, NULL, 200);
		if (strcmp(str(o, "state"), state) == 0 || now_s() >= deadline)
			return o;
		json_object_put(o);
		usleep(20000);
	}
}

START_TEST(test_wh_delivery_signed)
{
	struct json_object	*o, *b, *item, *ev, *d;
	struct rcv_req		*q;
	char			 id[32], other[32], off[32], path[64];
	const char		*eid;
	long long		 did;

	create_hook(K_SHOPIFY, "signed", TOPIC(PO_TOPIC), id);
	/* Subscribed elsewhere, and one switched off: nothing for them. */
	create_hook(K_SHOPIFY, "sms", TOPIC("event:klaviyo.received_sms"),
	    other);
	create_hook(K_SHOPIFY, "off", TOPIC(PO_TOPIC), off);
	snprintf(path, sizeof(path), "/api/webhooks/%s", off);
	{
		struct hresp	r;
		char		body[512];

		snprintf(body, sizeof(body), "{\"data\":{\"type\":\"webhook\","
		    "\"id\":\"%s\",\"attributes\":{\"enabled\":false}}}", off);
		wh("PATCH", path, K_SHOPIFY, body, &r);
		ck_assert_int_eq(r.status, 200);
		hresp_free(&r);
	}
	o = ctl("POST", "/__sandbox/accounts/" ACME "/events",
	    "{\"metric\":\"Placed Order\",\"value\":12.5,\"currency\":\"USD\","
	    "\"order_id\":\"WH-1001\"}", 201);
	ck_assert_int_eq(json_object_array_length(member(o, "events")), 1);
	ck_assert_int_eq(json_object_array_length(member(o, "deliveries")), 1);
	eid = str(json_object_array_get_idx(member(o, "events"), 0), "id");
	ck_assert_str_eq(str(json_object_array_get_idx(member(o, "events"),
	    0), "topic"), PO_TOPIC);
	ck_assert_str_eq(str(json_object_array_get_idx(member(o, "events"),
	    0), "metric_id"), "bWFrb5");
	did = json_object_get_int64(member(json_object_array_get_idx(member(o,
	    "deliveries"), 0), "id"));
	ck_assert_int_eq(rcv_wait(1, 10.0), 1);
	d = wait_delivery(did, "delivered", 10.0);
	ck_assert(json_object_get_boolean(member(d, "delivered")));
	ck_assert_int_eq(json_object_get_int(member(d, "attempts")), 1);
	ck_assert_int_eq(json_object_get_int(member(d, "last_status")), 200);
	ck_assert_str_eq(str(d, "webhook"), id);
	ck_assert_str_eq(str(d, "account"), ACME);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(
	    member(d, "events"), 0)), eid);
	json_object_put(d);

	q = &rcv.req[0];
	ck_assert_str_eq(q->path, "/hook/signed");
	ck_assert_str_eq(q->id, id);
	ck_assert_str_eq(q->ctype, "application/json");
	ck_assert_int_eq(strlen(q->sig), 64);
	ck_assert_msg(sig_ok(q), "signature %s does not verify", q->sig);
	ck_assert(labs(atol(q->ts) - (long)time(NULL)) < 300);
	/* A wrong secret or another timestamp would not verify. */
	q->ts[strlen(q->ts) - 1] ^= 1;
	ck_assert(!sig_ok(q));
	q->ts[strlen(q->ts) - 1] ^= 1;

	b = json_tokener_parse(q->body);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(json_object_array_length(member(b, "data")), 1);
	item = json_object_array_get_idx(member(b, "data"), 0);
	ck_assert_str_eq(str(item, "topic"), PO_TOPIC);
	ck_assert_str_eq(str(item, "external_id"), eid);
	ck_assert_str_eq(str(b, "meta.klaviyo_account_id"), ACME);
	ck_assert_str_eq(str(b, "meta.klaviyo_webhook_id"), id);
	ck_assert_ptr_nonnull(str(b, "meta.timestamp"));
	/* The payload is the event GET /api/events shows. */
	ev = find_event(K_SHOPIFY, eid);
	ck_assert_ptr_nonnull(ev);
	ck_assert_msg(json_object_equal(ev, member(item, "payload")),
	    "payload %s\nevent %s", json_object_to_json_string(member(item,
	    "payload")), json_object_to_json_string(ev));
	ck_assert_str_eq(str(ev, "attributes.event_properties.OrderId"),
	    "WH-1001");
	ck_assert(json_object_get_double(member(ev,
	    "attributes.event_properties.$value")) == 12.5);
	json_object_put(ev);
	json_object_put(b);
	json_object_put(o);
	/* Nothing else came. */
	usleep(200000);
	ck_assert_int_eq(rcv_wait(2, 0.0), 1);
}
END_TEST

START_TEST(test_wh_retries)
{
	struct json_object	*o, *d;
	char			 id[32];
	long long		 did;
	size_t			 i;

	create_hook(K_SHOPIFY, "retry", TOPIC(PO_TOPIC), id);
	rcv_reset(2);
	o = ctl("POST", "/__sandbox/accounts/" ACME "/events",
	    "{\"metric\":\"bWFrb5\",\"value\":5}", 201);
	did = json_object_get_int64(member(json_object_array_get_idx(member(o,
	    "deliveries"), 0), "id"));
	json_object_put(o);
	ck_assert_int_eq(rcv_wait(3, 10.0), 3);
	d = wait_delivery(did, "delivered", 10.0);
	ck_assert_str_eq(str(d, "state"), "delivered");
	ck_assert_int_eq(json_object_get_int(member(d, "attempts")), 3);
	json_object_put(d);
	/* The same body each time, signed afresh. */
	for (i = 0; i < 3; i++) {
		ck_assert_str_eq(rcv.req[i].body, rcv.req[0].body);
		ck_assert(sig_ok(&rcv.req[i]));
	}

	/* Failing for good: max attempts (4), then failed. */
	rcv_reset(100);
	o = ctl("POST", "/__sandbox/accounts/" ACME "/events",
	    "{\"metric\":\"Placed Order\",\"value\":7}", 201);
	did = json_object_get_int64(member(json_object_array_get_idx(member(o,
	    "deliveries"), 0), "id"));
	json_object_put(o);
	d = wait_delivery(did, "failed", 15.0);
	ck_assert_str_eq(str(d, "state"), "failed");
	ck_assert(!json_object_get_boolean(member(d, "delivered")));
	ck_assert_int_eq(json_object_get_int(member(d, "attempts")), 4);
	ck_assert_int_eq(json_object_get_int(member(d, "last_status")), 500);
	json_object_put(d);
	ck_assert_int_eq(rcv_wait(4, 1.0), 4);

	/* Re-sent on demand: the same events again (a duplicate). */
	rcv_reset(0);
	{
		char path[96];

		snprintf(path, sizeof(path), "/__sandbox/webhooks/deliveries/"
		    "%lld/resend", did);
		json_object_put(ctl("POST", path, NULL, 202));
	}
	d = wait_delivery(did, "delivered", 10.0);
	ck_assert_str_eq(str(d, "state"), "delivered");
	ck_assert_int_eq(json_object_get_int(member(d, "resends")), 1);
	ck_assert_int_eq(json_object_get_int(member(d, "attempts")), 5);
	json_object_put(d);
	ck_assert_int_eq(rcv_wait(1, 5.0), 1);
	ck_assert(sig_ok(&rcv.req[0]));

	/* A receiver that is not there: connection failures count. */
	rcv_reset(0);
	{
		struct hresp	r;
		char		path[96];

		snprintf(path, sizeof(path), "/api/webhooks/%s", id);
		wh("DELETE", path, K_SHOPIFY, NULL, &r);
		ck_assert_int_eq(r.status, 204);
		hresp_free(&r);
		wh("POST", "/api/webhooks", K_SHOPIFY, create_body("gone",
		    "http://127.0.0.1:9/nothing", SECRET, TOPIC(PO_TOPIC)), &r);
		ck_assert_int_eq(r.status, 201);
		hresp_free(&r);
	}
	o = ctl("POST", "/__sandbox/accounts/" ACME "/events",
	    "{\"metric\":\"Placed Order\",\"value\":1}", 201);
	did = json_object_get_int64(member(json_object_array_get_idx(member(o,
	    "deliveries"), 0), "id"));
	json_object_put(o);
	d = wait_delivery(did, "failed", 15.0);
	ck_assert_str_eq(str(d, "state"), "failed");
	ck_assert_int_eq(json_object_get_int(member(d, "last_status")), 0);
	ck_assert_ptr_nonnull(str(d, "last_error"));
	json_object_put(d);
}
END_TEST

/* 150 events in one call: two requests (100 and 50), in order. */
START_TEST(test_wh_batch)
{
	struct json_object	*o, *b, *data, *created;
	char			 id[32], *body;
	size_t			 i, n, k = 0, off;
	int			 j;

	create_hook(K_WOO, "batch", TOPIC("event:woocommerce.placed_order"),
	    id);
	body = malloc(150 * 96 + 32);
	ck_assert_ptr_nonnull(body);
	off = (size_t)sprintf(body, "{\"events\":[");
	for (j = 0; j < 150; j++)
		off += (size_t)sprintf(body + off, "%s{\"metric\":\"Placed "
		    "Order\",\"value\":%d.25,\"order_id\":\"B-%d\"}", j ? "," :
		    "", j + 1, j);
	sprintf(body + off, "]}");
	o = ctl("POST", "/__sandbox/accounts/iz2zlU/events", body, 201);
	free(body);
	created = member(o, "events");
	ck_assert_int_eq(json_object_array_length(created), 150);
	ck_assert_int_eq(json_object_array_length(member(o, "deliveries")), 2);
	ck_assert_int_eq(rcv_wait(2, 10.0), 2);
	for (i = 0; i < 2; i++) {
		ck_assert(sig_ok(&rcv.req[i]));
		b = json_tokener_parse(rcv.req[i].body);
		ck_assert_ptr_nonnull(b);
		data = member(b, "data");
		n = json_object_array_length(data);
		ck_assert_int_eq(n, i == 0 ? 100 : 50);
		for (j = 0; j < (int)n; j++, k++)
			ck_assert_str_eq(str(json_object_array_get_idx(data,
			    j), "external_id"), str(json_object_array_get_idx(
			    created, k), "id"));
		json_object_put(b);
	}
	json_object_put(o);
	o = ctl("GET", "/__sandbox/webhooks/deliveries?account=iz2zlU", NULL,
	    200);
	ck_assert_int_eq(json_object_array_length(member(o, "deliveries")),
	    2);
	json_object_put(o);
	o = ctl("GET", "/__sandbox/webhooks/deliveries?webhook=nosuch", NULL,
	    200);
	ck_assert_int_eq(json_object_array_length(member(o, "deliveries")),
	    0);
	json_object_put(o);
}
END_TEST

/* Created events join GET /api/events in time order; others unchanged. */
START_TEST(test_wh_events_visible)
{
	struct hresp		 r;
	struct json_object	*o, *e, *before;
	char			 path[256];
	const char		*eid;
	int64_t			 n0, n1;

	/* Cedar's generated events, before. */
	reset_limits();
	get("/api/events?page%5Bsize%5D=1000", K_CUSTOM, &r);
	before = parse(&r);
	hresp_free(&r);
	n0 = (int64_t)json_object_array_length(member(before, "data"));

	/* An event in the past, at a known instant, of another metric. */
	o = ctl("POST", "/__sandbox/accounts/" K_CUSTOM "/events",
	    "{\"metric\":\"Subscription Started\",\"value\":20,"
	    "\"time\":\"2020-01-02T03:04:05Z\",\"properties\":{\"Plan\":"
	    "\"gold\"}}", 201);
	eid = str(json_object_array_get_idx(member(o, "events"), 0), "id");
	ck_assert_str_eq(str(json_object_array_get_idx(member(o, "events"),
	    0), "topic"), "event:api.subscription_started");
	/* The oldest event now, with its metric and properties. */
	reset_limits();
	get("/api/events?page%5Bsize%5D=1000&include=metric", K_CUSTOM, &r);
	ck_assert_int_eq(r.status, 200);
	e = parse(&r);
	hresp_free(&r);
	n1 = (int64_t)json_object_array_length(member(e, "data"));
	ck_assert_int_eq(n1, n0 + 1);
	{
		struct json_object *first = json_object_array_get_idx(member(e,
		    "data"), 0);

		ck_assert_str_eq(str(first, "id"), eid);
		ck_assert_str_eq(str(first, "attributes.datetime"),
		    "2020-01-02T03:04:05+00:00");
		ck_assert_int_eq(json_object_get_int64(member(first,
		    "attributes.timestamp")), 1577934245);
		ck_assert_str_eq(str(first,
		    "attributes.event_properties.Plan"), "gold");
		ck_assert_str_eq(str(first, "relationships.metric.data.id"),
		    "z0Chwf");
		ck_assert(arr_has_id(member(e, "included"), "z0Chwf"));
		/* The generated ones follow, unchanged. */
		ck_assert_str_eq(str(json_object_array_get_idx(member(e,
		    "data"), 1), "id"), str(json_object_array_get_idx(
		    member(before, "data"), 0), "id"));
		ck_assert(json_object_equal(member(json_object_array_get_idx(
		    member(e, "data"), n1 - 1), "attributes"), member(
		    json_object_array_get_idx(member(before, "data"), n0 - 1),
		    "attributes")));
	}
	json_object_put(e);
	/* Filtered by its metric: only it. */
	snprintf(path, sizeof(path), "/api/events?filter=equals%%28metric_id"
	    "%%2C%%27z0Chwf%%27%%29");
	reset_limits();
	get(path, K_CUSTOM, &r);
	e = parse(&r);
	hresp_free(&r);
	ck_assert_int_eq(json_object_array_length(member(e, "data")), 1);
	json_object_put(e);
	json_object_put(before);
	json_object_put(o);
	/* No webhook at Cedar: no delivery. */
	o = ctl("GET", "/__sandbox/webhooks/deliveries?account=3tf5XC", NULL,
	    200);
	ck_assert_int_eq(json_object_array_length(member(o, "deliveries")),
	    0);
	json_object_put(o);
}
END_TEST

/*
 * SIGTERM with one delivery waiting for its retry and one in flight to a
 * receiver that never answers: a clean exit (no leak under ASan), the
 * attempt cut short rather than waited out (10 s).
 */
START_TEST(test_wh_shutdown_pending)
{
	static const char *const extra[] = { "--webhook-allow-http",
	    "--webhook-retry-base-ms", "60000", NULL };
	struct sockaddr_in	 sa;
	socklen_t		 sl = sizeof(sa);
	struct json_object	*o, *l, *d;
	struct hresp		 r;
	const char		*why;
	char			 log[300], base[64], url[160], path[200];
	pid_t			 pid = -1;
	int			 port, mute, mport, sending = 0, waiting = 0;
	double			 deadline, t0;
	size_t			 i;

	/* A listener that never accepts: the kernel takes the request. */
	mute = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(mute, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(mute, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(mute, 4), 0);
	ck_assert_int_eq(getsockname(mute, (struct sockaddr *)&sa, &sl), 0);
	mport = ntohs(sa.sin_port);

	snprintf(log, sizeof(log), "%s.stop", sbx_log);
	ck_assert_msg(spawn_sandbox("60", log, NULL, extra, &pid, &port,
	    &why) == 0, "%s", why);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	snprintf(url, sizeof(url), "%s/api/webhooks", base);
	snprintf(path, sizeof(path), "http://127.0.0.1:%d/mute", mport);
	http("POST", url, K_SHOPIFY, REV, "Content-Type: application/json",
	    create_body("refused", "http://127.0.0.1:9/x", SECRET,
	    TOPIC(PO_TOPIC)), 0, &r);
	ck_assert_int_eq(r.status, 201);
	hresp_free(&r);
	usleep(100000);		/* 1/s at time scale 60: 17 ms */
	http("POST", url, K_SHOPIFY, REV, "Content-Type: application/json",
	    create_body("mute", path, SECRET, TOPIC(PO_TOPIC)), 0, &r);
	ck_assert_int_eq(r.status, 201);
	hresp_free(&r);
	snprintf(url, sizeof(url), "%s/__sandbox/accounts/" ACME "/events",
	    base);
	http("POST", url, NULL, NULL, "Content-Type: application/json",
	    "{\"metric\":\"Placed Order\",\"value\":1}", 0, &r);
	ck_assert_int_eq(r.status, 201);
	o = parse(&r);
	ck_assert_int_eq(json_object_array_length(member(o, "deliveries")), 2);
	json_object_put(o);
	hresp_free(&r);

	/* One thread sends, oldest due first: the refused one fails and
	 * waits a minute, then the mute one is in flight. */
	snprintf(url, sizeof(url), "%s/__sandbox/webhooks/deliveries", base);
	for (deadline = now_s() + 10.0; now_s() < deadline &&
	    !(sending && waiting); usleep(50000)) {
		http("GET", url, NULL, NULL, NULL, NULL, 0, &r);
		ck_assert_int_eq(r.status, 200);
		l = parse(&r);
		hresp_free(&r);
		sending = waiting = 0;
		for (i = 0; i < json_object_array_length(member(l,
		    "deliveries")); i++) {
			d = json_object_array_get_idx(member(l, "deliveries"),
			    i);
			sending |= strcmp(str(d, "state"), "sending") == 0;
			waiting |= strcmp(str(d, "state"), "pending") == 0 &&
			    json_object_get_int(member(d, "attempts")) == 1 &&
			    json_object_get_int(member(d, "last_status")) == 0;
		}
		json_object_put(l);
	}
	ck_assert_msg(sending && waiting, "sending %d, waiting %d", sending,
	    waiting);
	t0 = now_s();
	ck_assert_int_eq(stop_pid(&pid), 0);
	ck_assert_msg(now_s() - t0 < 8.0, "stopping took %.1f s", now_s() -
	    t0);
	close(mute);
}
END_TEST

static void
wh_teardown(void)
{
	/* Leave nothing queued for the other test cases. */
	json_object_put(ctl("DELETE", "/__sandbox/webhooks", NULL, 200));
}

static void
wh_unchecked_teardown(void)
{
	rcv_stop();
}

TCase *
webhooks_tcase(void)
{
	TCase *tc = tcase_create("webhooks");

	tcase_add_checked_fixture(tc, wh_setup, wh_teardown);
	tcase_add_unchecked_fixture(tc, NULL, wh_unchecked_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_wh_topics);
	tcase_add_test(tc, test_wh_crud);
	tcase_add_loop_test(tc, test_wh_bad_create, 0,
	    (int)(sizeof(bad_creates) / sizeof(bad_creates[0])));
	tcase_add_test(tc, test_wh_errors);
	tcase_add_test(tc, test_wh_https_only);
	tcase_add_test(tc, test_wh_rate_limit);
	tcase_add_test(tc, test_wh_delivery_signed);
	tcase_add_test(tc, test_wh_retries);
	tcase_add_test(tc, test_wh_batch);
	tcase_add_test(tc, test_wh_events_visible);
	tcase_add_test(tc, test_wh_shutdown_pending);
	return tc;
}
