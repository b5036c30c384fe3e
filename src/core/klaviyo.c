/* The Klaviyo API client over libcurl multi; see klaviyo.h. */
#include "klaviyo.h"

#include <curl/curl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "crypto.h"
#include "log.h"
#include "opstats.h"

#define KV_PAGE_MAX (16 * 1024 * 1024)	/* one response body */
#define KV_MAX_PAGES 500		/* per call, a runaway guard */
#define KV_USER_AGENT "klaviyo-connect/" PACKAGE_VERSION_STR

#ifndef PACKAGE_VERSION_STR
#define PACKAGE_VERSION_STR "0.1"
#endif

struct kv_client {
	CURLM			*multi;
	struct db		*db;
	struct kv_options	 opt;
	struct kv_hooks		 hooks;		/* task == NULL: none */
	int64_t			 deadline;	/* 0: none */
	int			 inflight;	/* transfers added, not released */
};

enum xstate { X_IDLE, X_RUNNING, X_DONE };

struct kv_xfer {
	struct kv_call		*call;
	CURL			*easy;
	struct curl_slist	*hdrs;
	struct buf		 body;
	char			 url[4096];
	char			 ctype[128];
	char			 retry_after[32];
	char			 rl_limit[128];
	char			 rl_remaining[32];
	char			 rl_reset[32];
	int			 attempts;
	int			 bearer;	/* OAuth access token */
	int			 cut;		/* timeout cut by the deadline */
	int64_t			 ready_at;
	int64_t			 started;
	enum xstate		 state;
	int			 finished;	/* by kv_client_drive */
	int			 counted;	/* in the client's inflight */
	CURLcode		 result;
	void			*task;		/* the hooks' task, or NULL */
};

int
kv_client_new(const struct kv_options *opt, struct db *db,
    struct kv_client **out)
{
	struct kv_client *c;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return KC_ERR_NOMEM;
	if ((c->multi = curl_multi_init()) == NULL) {
		free(c);
		return KC_ERR_NOMEM;
	}
	/* Connections (and TLS sessions) live in the multi's cache. */
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, 16L);
	c->db = db;
	c->opt = *opt;
	*out = c;
	return KC_OK;
}

void
kv_client_free(struct kv_client *c)
{
	if (c == NULL)
		return;
	curl_multi_cleanup(c->multi);
	free(c);
}

void
kv_client_set_deadline(struct kv_client *c, int64_t at_ms)
{
	c->deadline = at_ms;
}

/* Milliseconds left before the deadline (LONG_MAX: none). */
static long
time_left(const struct kv_client *c)
{
	int64_t left;

	if (c->deadline == 0)
		return LONG_MAX;
	left = c->deadline - kc_now_ms();
	return left > 0 ? (long)left : 0;
}

#define DEADLINE_MSG "Klaviyo did not answer in time; try again shortly"

static void
fail(struct kv_xfer *x, int err, const char *code, const char *fmt, ...)
    KC_PRINTF(4, 5);

static void
fail(struct kv_xfer *x, int err, const char *code, const char *fmt, ...)
{
	va_list ap;

	x->call->err = err;
	snprintf(x->call->code, sizeof(x->call->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(x->call->errmsg, sizeof(x->call->errmsg), fmt, ap);
	va_end(ap);
	x->state = X_DONE;
}

/* ---- one transfer ---- */

static size_t
on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct kv_xfer	*x = arg;
	size_t		 n = size * nmemb;

	if (buf_append(&x->body, p, n) != KC_OK)
		return 0;	/* too large: curl fails with WRITE_ERROR */
	return n;
}

static size_t
on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct kv_xfer	*x = arg;
	size_t		 n = size * nmemb;

	kv_header_value(p, n, "Content-Type", x->ctype, sizeof(x->ctype));
	kv_header_value(p, n, "Retry-After", x->retry_after,
	    sizeof(x->retry_after));
	kv_header_value(p, n, "RateLimit-Limit", x->rl_limit,
	    sizeof(x->rl_limit));
	kv_header_value(p, n, "RateLimit-Remaining", x->rl_remaining,
	    sizeof(x->rl_remaining));
	kv_header_value(p, n, "RateLimit-Reset", x->rl_reset,
	    sizeof(x->rl_reset));
	return n;
}

static void
free_headers(struct kv_xfer *x)
{
	struct curl_slist *h;

	/* The Authorization line holds the secret: wipe before freeing. */
	for (h = x->hdrs; h; h = h->next)
		crypto_wipe(h->data, strlen(h->data));
	curl_slist_free_all(x->hdrs);
	x->hdrs = NULL;
}

static void
xfer_release(struct kv_client *c, struct kv_xfer *x)
{
	if (x->counted) {
		c->inflight--;
		x->counted = 0;
	}
	if (x->easy) {
		curl_multi_remove_handle(c->multi, x->easy);
		curl_easy_cleanup(x->easy);
		x->easy = NULL;
	}
	free_headers(x);
	buf_free(&x->body);
}

static int
xfer_start(struct kv_client *c, struct kv_xfer *x, const char *cred,
    int bearer)
{
	char		 line[8192];
	const char	*scheme = bearer ? "Bearer" : "Klaviyo-API-Key";
	long		 left;
	int		 running;

	buf_init(&x->body, KV_PAGE_MAX);
	x->ctype[0] = x->retry_after[0] = x->rl_limit[0] = '\0';
	x->rl_remaining[0] = x->rl_reset[0] = '\0';
	x->bearer = bearer;
	if ((x->easy = curl_easy_init()) == NULL)
		return KC_ERR_NOMEM;
	if (strlen(cred) > sizeof(line) - 64)
		return KC_ERR_BAD_INPUT;
	snprintf(line, sizeof(line), "Authorization: %s %s", scheme, cred);
	x->hdrs = curl_slist_append(NULL, line);
	crypto_wipe(line, sizeof(line));
	snprintf(line, sizeof(line), "revision: %s", c->opt.revision);
	if (x->hdrs == NULL ||
	    curl_slist_append(x->hdrs, line) == NULL ||
	    curl_slist_append(x->hdrs, "Accept: application/vnd.api+json") ==
	    NULL)
		return KC_ERR_NOMEM;
	if (x->call->body) {
		if (curl_slist_append(x->hdrs,
		    "Content-Type: application/vnd.api+json") == NULL)
			return KC_ERR_NOMEM;
		curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, x->call->body);
		curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)strlen(x->call->body));
	}
	if (strcmp(kv_endpoints[x->call->ep].method, "DELETE") == 0)
		curl_easy_setopt(x->easy, CURLOPT_CUSTOMREQUEST, "DELETE");
	curl_easy_setopt(x->easy, CURLOPT_URL, x->url);
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(x->easy, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	/* Never past the request's deadline (curl: 0 is "no timeout"). */
	if ((left = time_left(c)) < 1)
		left = 1;
	x->cut = left < c->opt.timeout_ms;
	curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS,
	    c->opt.connect_timeout_ms < left ? c->opt.connect_timeout_ms :
	    left);
	curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, c->opt.timeout_ms < left ?
	    c->opt.timeout_ms : left);
	curl_easy_setopt(x->easy, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(x->easy, CURLOPT_USERAGENT, KV_USER_AGENT);
	curl_easy_setopt(x->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	if (curl_multi_add_handle(c->multi, x->easy) != CURLM_OK)
		return KC_ERR_INTERNAL;
	c->inflight++;
	x->counted = 1;
	x->started = kc_now_ms();
	x->state = X_RUNNING;
	/*
	 * Sent now, not at the pool's next turn: the slot was taken just
	 * now by our clock, and other jobs' database work before that turn
	 * would make it reach Klaviyo late, closer to the next slot's
	 * request than the limit allows (a 429 under load).
	 */
	curl_multi_perform(c->multi, &running);
	return KC_OK;
}

/* Appends the page's data to call->data; *more when x follows next. */
static int
take_page(struct kv_client *c, struct kv_xfer *x, int *more)
{
	char	nx[sizeof(x->url)];
	int	rc;

	*more = 0;
	if ((rc = kv_page_parse(buf_cstr(&x->body), c->opt.base_url,
	    &x->call->data, nx, sizeof(nx))) != KC_OK)
		return rc;
	x->call->pages++;
	if (nx[0] != '\0' && x->call->all_pages) {
		snprintf(x->url, sizeof(x->url), "%s", nx);
		*more = 1;
	} else if (nx[0] != '\0')
		snprintf(x->call->next, sizeof(x->call->next), "%s", nx);
	return KC_OK;
}

static int
is_json(const char *ctype)
{
	return strncasecmp(ctype, "application/vnd.api+json", 24) == 0 ||
	    strncasecmp(ctype, "application/json", 16) == 0;
}

static void
retry_or_fail(struct kv_client *c, struct kv_xfer *x, int err,
    const char *code, const char *what)
{
	unsigned rnd = 0;

	if (x->attempts < c->opt.max_retries) {
		if (crypto_random(&rnd, sizeof(rnd)) != KC_OK)
			rnd = (unsigned)kc_now_ms();
		x->ready_at = kc_now_ms() + kv_backoff_ms(x->attempts, rnd);
		x->attempts++;
		x->state = X_IDLE;
		/* A retry that would start after the deadline is no retry. */
		if (c->deadline == 0 || x->ready_at < c->deadline)
			return;
	}
	fail(x, err, code, "%s", what);
}

static void
xfer_done(struct kv_client *c, struct kv_xfer *x, CURLcode cc,
    const char *acct)
{
	struct kv_call		*call = x->call;
	enum kv_endpoint	 ep = call->ep;
	long			 status = 0, wait;
	char			 what[200];
	int			 more, rc;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	opstats_klaviyo(ep, cc == CURLE_OK ? status : 0);
	call->requests++;
	call->status = status;
	log_debug("klaviyo %s %s -> %ld (%s) %ldms", kv_endpoints[ep].method,
	    kv_endpoints[ep].path, status, curl_easy_strerror(cc),
	    (long)(kc_now_ms() - x->started));
	x->state = X_DONE;
	if (cc == CURLE_OPERATION_TIMEDOUT && x->cut) {
		fail(x, KC_ERR_TIMEOUT, "klaviyo_timeout", DEADLINE_MSG);
		return;
	}
	if (cc == CURLE_OPERATION_TIMEDOUT) {
		fail(x, KC_ERR_TIMEOUT, "klaviyo_timeout", "Klaviyo did not "
		    "answer %s within %ld seconds; try again shortly",
		    kv_endpoints[ep].path, (c->opt.timeout_ms + 999) / 1000);
		return;
	}
	if (cc == CURLE_WRITE_ERROR) {
		fail(x, KC_ERR_UPSTREAM, "klaviyo_bad_response", "Klaviyo's "
		    "answer to %s was larger than we accept",
		    kv_endpoints[ep].path);
		return;
	}
	if (cc != CURLE_OK) {
		snprintf(what, sizeof(what), "Klaviyo could not be reached "
		    "(%s); try again shortly", curl_easy_strerror(cc));
		retry_or_fail(c, x, KC_ERR_UPSTREAM, "klaviyo_unreachable",
		    what);
		return;
	}
	call->rl_remaining = kv_parse_seconds(x->rl_remaining);
	call->rl_reset = kv_parse_seconds(x->rl_reset);
	call->rl_limit = strtol(x->rl_limit, NULL, 10);
	/* Klaviyo says this window is spent: everyone waits for it. */
	if (call->rl_remaining == 0 && call->rl_reset > 0 && status < 300)
		kv_rate_block(c->db, acct, ep, call->rl_reset);
	/* A DELETE's answer: nothing to read. */
	if (status == 204)
		return;
	if (status >= 200 && status < 300) {
		if (!is_json(x->ctype)) {
			fail(x, KC_ERR_UPSTREAM, "klaviyo_bad_response",
			    "Klaviyo answered %s with %s instead of JSON",
			    kv_endpoints[ep].path, x->ctype[0] ? x->ctype :
			    "no content type");
			return;
		}
		rc = take_page(c, x, &more);
		if (rc == KC_ERR_UPSTREAM)
			fail(x, rc, "klaviyo_bad_response", "Klaviyo answered "
			    "%s with malformed JSON", kv_endpoints[ep].path);
		else if (rc != KC_OK)
			fail(x, rc, "internal_error", "%s", kc_strerror(rc));
		else if (more && call->pages >= KV_MAX_PAGES)
			fail(x, KC_ERR_UPSTREAM, "klaviyo_bad_response",
			    "Klaviyo returned more than %d pages for %s",
			    KV_MAX_PAGES, kv_endpoints[ep].path);
		else if (more && call->max_pages &&
		    call->pages >= call->max_pages)
			return;		/* enough for the caller */
		else if (more) {
			x->attempts = 0;
			x->ready_at = kc_now_ms();
			x->state = X_IDLE;
		}
		return;
	}
	if (status == 429) {
		wait = kv_parse_seconds(x->retry_after);
		if (wait < 1)
			wait = 1;
		kv_rate_block(c->db, acct, ep, wait);
		call->retry_after = wait;
		if (wait * 1000 <= c->opt.max_wait_ms &&
		    wait * 1000 < time_left(c) &&
		    x->attempts < c->opt.max_retries) {
			x->attempts++;
			x->ready_at = kc_now_ms() + wait * 1000;
			x->state = X_IDLE;
			return;
		}
		fail(x, KC_ERR_RATE_LIMITED, "klaviyo_rate_limited",
		    "Klaviyo's rate limit for %s is reached; try again in "
		    "%ld seconds", kv_endpoints[ep].path, wait);
		return;
	}
	if (status >= 500) {
		snprintf(what, sizeof(what), "Klaviyo answered %s with HTTP "
		    "%ld (a problem on Klaviyo's side); try again shortly",
		    kv_endpoints[ep].path, status);
		retry_or_fail(c, x, KC_ERR_UPSTREAM, "klaviyo_error", what);
		return;
	}
	if (status == 401 && x->bearer) {
		fail(x, KC_ERR_UNPROCESSABLE, "klaviyo_token_rejected",
		    "Klaviyo does not accept this store's OAuth access token");
		return;
	}
	if (status == 401) {
		fail(x, KC_ERR_UNPROCESSABLE, "klaviyo_key_rejected",
		    "Failed to validate API key: Klaviyo does not accept it "
		    "(check that it is complete and not revoked)");
		return;
	}
	if (status == 403 && is_json(x->ctype) && x->bearer) {
		fail(x, KC_ERR_UNPROCESSABLE, "klaviyo_scope_missing",
		    "The Klaviyo authorization lacks the %s scope; connect "
		    "with OAuth again and allow it", kv_endpoints[ep].scope);
		return;
	}
	if (status == 403 && is_json(x->ctype)) {
		fail(x, KC_ERR_UNPROCESSABLE, "klaviyo_scope_missing",
		    "Failed to validate API key: it lacks the %s scope "
		    "(edit the key in Klaviyo > Settings > API keys)",
		    kv_endpoints[ep].scope);
		return;
	}
	fail(x, KC_ERR_UPSTREAM, "klaviyo_error", "Klaviyo refused %s with "
	    "HTTP %ld%s", kv_endpoints[ep].path, status,
	    is_json(x->ctype) ? "" : " (not a JSON answer)");
}

/* Takes a rate-limit slot and starts the next request of x. */
static void
xfer_kick(struct kv_client *c, struct kv_xfer *x, const char *cred,
    int bearer, const char *acct)
{
	struct kv_guard	 guard, *g = NULL;
	double		 wait;
	int		 rc;

	/* The last word before a credential leaves: may it still? */
	if (x->task && c->hooks.may_send) {
		if ((rc = c->hooks.may_send(c->hooks.arg, x->task, &guard)) !=
		    KC_OK) {
			fail(x, rc, "cancelled", "not sent: the store's sync "
			    "was stopped");
			return;
		}
		g = &guard;
	}
	/* ... asked in the database with the slot (one round trip). */
	if ((rc = kv_rate_take(c->db, c->opt.window_scale, acct,
	    x->call->ep, g, &wait)) != KC_OK) {
		if (rc == KC_ERR_CONFLICT)
			fail(x, rc, "cancelled", "not sent: the store's sync "
			    "was stopped");
		else
			fail(x, rc, rc == KC_ERR_DB_DOWN ?
			    "database_unavailable" : "internal_error", "%s",
			    kc_strerror(rc));
		return;
	}
	if (wait > 0) {
		/* Waits are short and end before the deadline, or are 429. */
		if (wait * 1000 > (double)(x->call->max_wait_ms > 0 ?
		    x->call->max_wait_ms : c->opt.max_wait_ms) ||
		    wait * 1000 >= (double)time_left(c)) {
			x->call->retry_after = (long)(wait + 0.999);
			fail(x, KC_ERR_RATE_LIMITED, "rate_limited",
			    "Klaviyo allows only %d requests per minute to %s "
			    "for this account; try again in %ld seconds",
			    kv_endpoints[x->call->ep].steady,
			    kv_endpoints[x->call->ep].path,
			    x->call->retry_after);
			return;
		}
		opstats_rate_wait(wait);
		x->ready_at = kc_now_ms() + (int64_t)(wait * 1000) + 1;
		return;
	}
	if ((rc = xfer_start(c, x, cred, bearer)) != KC_OK) {
		xfer_release(c, x);
		fail(x, rc, "internal_error", "%s", kc_strerror(rc));
	}
}

void
kv_client_set_hooks(struct kv_client *c, const struct kv_hooks *h)
{
	if (h)
		c->hooks = *h;
	else
		memset(&c->hooks, 0, sizeof(c->hooks));
}

int
kv_client_drive(struct kv_client *c)
{
	CURLMsg		*msg;
	struct kv_xfer	*x;
	int		 running = 0, pending;

	curl_multi_perform(c->multi, &running);
	while ((msg = curl_multi_info_read(c->multi, &pending))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    (char **)&x);
		/* Its run reads the answer: it knows the account. */
		x->finished = 1;
		x->result = msg->data.result;
		if (x->task && c->hooks.wake)
			c->hooks.wake(c->hooks.arg, x->task);
	}
	return running;
}

void
kv_client_poll(struct kv_client *c, int ms)
{
	curl_multi_poll(c->multi, NULL, 0, ms, NULL);
}

/* The first URL of a call; KC_ERR_INTERNAL for a foreign saved link. */
static int
first_url(struct kv_client *c, struct kv_xfer *x)
{
	const struct kv_endpoint_info	*e = &kv_endpoints[x->call->ep];
	const char			*q = x->call->query;

	if (x->call->url) {
		/* A saved links.next: only ever Klaviyo's origin. */
		if (!kv_same_origin(c->opt.base_url, x->call->url) ||
		    strlen(x->call->url) >= sizeof(x->url))
			return KC_ERR_INTERNAL;
		snprintf(x->url, sizeof(x->url), "%s", x->call->url);
	} else if (e->page_size)
		snprintf(x->url, sizeof(x->url), "%s%s?page%%5Bsize%%5D=%d%s%s",
		    c->opt.base_url, e->path, e->page_size, q ? "&" : "",
		    q ? q : "");
	else if (x->call->id) {
		/* One resource: its id is ours to trust only in its shape. */
		if (x->call->id[0] == '\0' || x->call->id[crypto_b64url_span(
		    x->call->id)] != '\0' || strlen(x->call->id) > 128)
			return KC_ERR_INTERNAL;
		snprintf(x->url, sizeof(x->url), "%s%s/%s%s%s",
		    c->opt.base_url, e->path, x->call->id, q ? "?" : "",
		    q ? q : "");
	} else
		snprintf(x->url, sizeof(x->url), "%s%s%s%s", c->opt.base_url,
		    e->path, q ? "?" : "", q ? q : "");
	return KC_OK;
}

/*
 * Answers that came in wait in memory until their job runs: a daemon
 * busy with other jobs' work holds at most max_inflight of them.  A
 * report request is never held back (it counts, though): its slot comes
 * twice a minute, and one missed delays that account's whole chain.
 */
#define KV_INFLIGHT_RETRY_MS 50

static int
inflight_full(const struct kv_client *c, const struct kv_xfer *x)
{
	return c->opt.max_inflight > 0 && c->inflight >= c->opt.max_inflight &&
	    kv_endpoints[x->call->ep].daily == 0;
}

/* Ends every transfer not done yet with err. */
static void
fail_open(struct kv_client *c, struct kv_xfer *xs, size_t n, int err,
    const char *code, const char *msg)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (xs[i].state != X_DONE) {
			xfer_release(c, &xs[i]);
			fail(&xs[i], err, code, "%s", msg);
		}
}

int
kv_run(struct kv_client *c, const char *cred, int bearer, const char *acct,
    struct kv_call *calls, size_t n)
{
	struct kv_xfer	*xs, *x;
	void		*task = c->hooks.task ? c->hooks.task(c->hooks.arg) :
	    NULL;
	int64_t		 now, next, deadline;
	size_t		 i, open;
	int		 failed = 0, stop;
	long		 wait;

	if ((xs = calloc(n ? n : 1, sizeof(*xs))) == NULL)
		return KC_ERR_NOMEM;
	/* A bound on the whole run, whatever Klaviyo does. */
	deadline = kc_now_ms() + (c->opt.timeout_ms + 5000) *
	    (c->opt.max_retries + 1) + c->opt.max_wait_ms * 4 + 60000;
	if (c->deadline && c->deadline < deadline)
		deadline = c->deadline;
	for (i = 0; i < n; i++) {
		kv_call_reset(&calls[i]);
		xs[i].call = &calls[i];
		xs[i].state = X_IDLE;
		xs[i].task = task;
		if (first_url(c, &xs[i]) != KC_OK)
			fail(&xs[i], KC_ERR_INTERNAL, "internal_error",
			    "a saved page link is not Klaviyo's");
	}
	for (;;) {
		/* Answers the multi's driver collected for this run. */
		for (i = 0; i < n; i++)
			if (xs[i].finished) {
				xs[i].finished = 0;
				xfer_done(c, &xs[i], xs[i].result, acct);
				xfer_release(c, &xs[i]);
			}
		stop = task && c->hooks.stop ? c->hooks.stop(c->hooks.arg,
		    task) : KC_OK;
		if (stop == KC_ERR_CONFLICT) {
			fail_open(c, xs, n, stop, "cancelled",
			    "cancelled: the store's sync was stopped");
			break;
		}
		/* Shutting down: what is in flight may land, nothing more. */
		for (i = 0; stop != KC_OK && i < n; i++)
			if (xs[i].state == X_IDLE)
				fail(&xs[i], stop, "stopping",
				    "not sent: the daemon is stopping");
		/*
		 * Callers need all calls or none: after a failure, start
		 * nothing more and drop what is in flight.
		 */
		for (i = 0; i < n && !failed; i++)
			failed = xs[i].state == X_DONE && xs[i].call->err;
		now = kc_now_ms();
		open = 0;
		next = now + 1000;
		if (next > deadline)
			next = deadline;
		for (i = 0; i < n && !failed; i++) {
			x = &xs[i];
			if (x->state == X_IDLE && x->ready_at <= now &&
			    inflight_full(c, x)) {
				/* Its slot is taken only once it can be sent. */
				if (now + KV_INFLIGHT_RETRY_MS < next)
					next = now + KV_INFLIGHT_RETRY_MS;
				open++;
				continue;
			}
			if (x->state == X_IDLE && x->ready_at <= now) {
				xfer_kick(c, x, cred, bearer, acct);
				/* Refused before sending: send nothing else. */
				failed = x->state == X_DONE && x->call->err;
			}
			if (x->state == X_IDLE && x->ready_at < next)
				next = x->ready_at;
			if (x->state != X_DONE)
				open++;
		}
		if (failed) {
			fail_open(c, xs, n, KC_ERR_INTERNAL, "not_sent",
			    "not sent: another Klaviyo call failed");
			break;
		}
		if (open == 0)
			break;
		if (now >= deadline) {
			fail_open(c, xs, n, KC_ERR_TIMEOUT, "klaviyo_timeout",
			    c->deadline ? DEADLINE_MSG :
			    "Klaviyo did not finish answering in time");
			break;
		}
		wait = (long)(next - kc_now_ms());
		if (wait < 0)
			wait = 0;
		if (task) {
			/* The loop's owner drives the multi and wakes us. */
			c->hooks.sleep(c->hooks.arg, task, wait);
			continue;
		}
		/* Alone on the multi: drive it; a finished page goes on now. */
		(void)kv_client_drive(c);
		for (i = 0; i < n && !xs[i].finished; i++)
			;
		if (i < n)
			continue;
		curl_multi_poll(c->multi, NULL, 0, (int)(wait > 100 ? 100 :
		    wait), NULL);
	}
	for (i = 0; i < n; i++)
		xfer_release(c, &xs[i]);
	free(xs);
	return kv_worst(calls, n, NULL);
}
