/*
 * Webhook deliveries of klaviyo-sandbox: a bounded queue and one thread
 * that POSTs each delivery with libcurl, so the poll() loop never waits
 * for a receiver.  Every attempt is signed as Klaviyo documents it:
 *
 *   Klaviyo-Timestamp: unix seconds of the attempt
 *   Klaviyo-Signature: hex(HMAC-SHA256(secret_key, body || timestamp))
 *
 * A 2xx ends a delivery; anything else (another status, no connection,
 * a timeout) is tried again after retry_base_ms, then twice that, and
 * so on, up to max_attempts attempts; then it has failed.  The loop's
 * thread adds, lists and re-sends under the lock; the delivery thread
 * copies what an attempt needs, sends without the lock, and records
 * the outcome under it.
 */
#include "webhooks.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto.h"
#include "json_util.h"
#include "log.h"

#define WH_TIMEOUT_MS		10000L	/* one attempt, all in */
#define WH_CONNECT_MS		3000L
#define WH_BACKOFF_MAX_MS	3600000L	/* one hour at most */

enum wh_state { WH_PENDING, WH_SENDING, WH_DELIVERED, WH_FAILED };

static const char *const state_names[] = {
	"pending", "sending", "delivered", "failed"
};

struct wh_delivery {
	uint64_t		 id;
	char			 webhook[SBX_WH_ID_LEN + 1];
	char			 account[8];
	char			*url;
	char			*secret;
	char			*body;
	/* The URL as the API answers it: scheme and host. */
	char			 endpoint[SBX_WH_URL_MAX + 8];
	struct json_object	*events;	/* ids; the loop's thread's */
	enum wh_state		 state;
	int			 attempts;	/* all, re-sends too */
	int			 tries;		/* this send's */
	int			 resends;
	long			 last_status;	/* 0: no HTTP answer */
	char			 last_error[128];
	int64_t			 created;	/* UTC seconds */
	int64_t			 last_attempt;
	int64_t			 delivered_at;
	uint64_t		 due_ms;	/* monotonic */
};

struct sbx_wh_queue {
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	pthread_t		 thread;
	int			 started;
	atomic_int		 stop;		/* curl reads it too */
	struct wh_delivery	**d;		/* oldest first */
	size_t			 n;
	uint64_t		 next_id;
	long			 base_ms;
	int			 max_attempts;
};

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
delivery_free(struct wh_delivery *d)
{
	if (d == NULL)
		return;
	free(d->url);
	if (d->secret != NULL) {
		crypto_wipe(d->secret, strlen(d->secret));
		free(d->secret);
	}
	free(d->body);
	json_object_put(d->events);
	free(d);
}

int
sbx_webhook_sign(const char *secret, const char *body, size_t len,
    const char *ts, char out[65])
{
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 mlen = 0;
	size_t		 tlen = strlen(ts);
	unsigned char	*msg;

	if ((msg = malloc(len + tlen + 1)) == NULL)
		return KC_ERR_NOMEM;
	memcpy(msg, body, len);
	memcpy(msg + len, ts, tlen);
	if (HMAC(EVP_sha256(), secret, (int)strlen(secret), msg, len + tlen,
	    mac, &mlen) == NULL || mlen != 32) {
		free(msg);
		return KC_ERR_INTERNAL;
	}
	free(msg);
	crypto_hex(mac, 32, out);
	out[64] = '\0';
	return KC_OK;
}

static size_t
discard(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

/* Cuts an attempt short when the sandbox stops. */
static int
on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
    curl_off_t un)
{
	struct sbx_wh_queue *q = arg;

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return atomic_load(&q->stop) ? 1 : 0;
}

/* One signed POST; the HTTP status (0: none) and an error text. */
static long
attempt(struct sbx_wh_queue *q, const char *url, const char *secret,
    const char *body, const char *webhook, char *err, size_t errlen)
{
	CURL			*c;
	struct curl_slist	*h = NULL, *t;
	char			 line[256], ts[32], sig[65];
	long			 status = 0;
	CURLcode		 cc;

	err[0] = '\0';
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	if (sbx_webhook_sign(secret, body, strlen(body), ts, sig) != KC_OK) {
		snprintf(err, errlen, "cannot sign");
		return 0;
	}
	if ((c = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return 0;
	}
	h = curl_slist_append(h, "Content-Type: application/json");
	snprintf(line, sizeof(line), "Klaviyo-Webhook-Id: %s", webhook);
	if (h != NULL && (t = curl_slist_append(h, line)) != NULL)
		h = t;
	snprintf(line, sizeof(line), "Klaviyo-Timestamp: %s", ts);
	if (h != NULL && (t = curl_slist_append(h, line)) != NULL)
		h = t;
	snprintf(line, sizeof(line), "Klaviyo-Signature: %s", sig);
	if (h != NULL && (t = curl_slist_append(h, line)) != NULL)
		h = t;
	if (h != NULL && (t = curl_slist_append(h, "User-Agent: "
	    "klaviyo-sandbox-webhooks")) != NULL)
		h = t;
	/* No "Expect: 100-continue" round trip for large batches. */
	if (h != NULL && (t = curl_slist_append(h, "Expect:")) != NULL)
		h = t;
	if (h == NULL) {
		curl_easy_cleanup(c);
		snprintf(err, errlen, "out of memory");
		return 0;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)strlen(body));
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, WH_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, WH_CONNECT_MS);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, q);
	if ((cc = curl_easy_perform(c)) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	else
		snprintf(err, errlen, "%s", curl_easy_strerror(cc));
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return status;
}

/* The pending delivery due first, or NULL. */
static struct wh_delivery *
next_due(struct sbx_wh_queue *q)
{
	struct wh_delivery	*best = NULL;
	size_t			 i;

	for (i = 0; i < q->n; i++)
		if (q->d[i]->state == WH_PENDING && (best == NULL ||
		    q->d[i]->due_ms < best->due_ms))
			best = q->d[i];
	return best;
}

static void
record(struct sbx_wh_queue *q, struct wh_delivery *d, long status,
    const char *err)
{
	long	delay;
	int	k;

	d->attempts++;
	d->tries++;
	d->last_status = status;
	d->last_attempt = (int64_t)time(NULL);
	snprintf(d->last_error, sizeof(d->last_error), "%s", err);
	if (status >= 200 && status <= 299) {
		d->state = WH_DELIVERED;
		d->delivered_at = d->last_attempt;
		return;
	}
	if (d->tries >= q->max_attempts) {
		d->state = WH_FAILED;
		log_warnx("webhook %s: delivery %llu failed after %d attempts "
		    "(last status %ld)", d->webhook,
		    (unsigned long long)d->id, d->tries, status);
		return;
	}
	for (delay = q->base_ms, k = 1; k < d->tries &&
	    delay < WH_BACKOFF_MAX_MS; k++)
		delay *= 2;
	if (delay > WH_BACKOFF_MAX_MS)
		delay = WH_BACKOFF_MAX_MS;
	d->state = WH_PENDING;
	d->due_ms = mono_ms() + (uint64_t)delay;
}

static void *
run(void *arg)
{
	struct sbx_wh_queue	*q = arg;
	struct wh_delivery	*d;
	struct timespec		 ts;
	char			*url, *secret, *body;
	char			 webhook[SBX_WH_ID_LEN + 1];
	char			 err[128];
	uint64_t		 now, id;
	long			 status;
	size_t			 i;

	pthread_mutex_lock(&q->mu);
	while (!atomic_load(&q->stop)) {
		if ((d = next_due(q)) == NULL) {
			pthread_cond_wait(&q->cv, &q->mu);
			continue;
		}
		if ((now = mono_ms()) < d->due_ms) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += (time_t)((d->due_ms - now) / 1000);
			ts.tv_nsec += (long)((d->due_ms - now) % 1000) *
			    1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&q->cv, &q->mu, &ts);
			continue;
		}
		url = strdup(d->url);
		secret = strdup(d->secret);
		body = strdup(d->body);
		snprintf(webhook, sizeof(webhook), "%s", d->webhook);
		id = d->id;
		d->state = WH_SENDING;
		pthread_mutex_unlock(&q->mu);
		if (url != NULL && secret != NULL && body != NULL)
			status = attempt(q, url, secret, body, webhook, err,
			    sizeof(err));
		else {
			status = 0;
			snprintf(err, sizeof(err), "out of memory");
		}
		free(url);
		if (secret != NULL) {
			crypto_wipe(secret, strlen(secret));
			free(secret);
		}
		free(body);
		pthread_mutex_lock(&q->mu);
		/* A sending delivery is never dropped: it is still there. */
		for (i = 0; i < q->n; i++)
			if (q->d[i]->id == id)
				record(q, q->d[i], status, err);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

int
sbx_whq_new(long base_ms, int max_attempts, struct sbx_wh_queue **out)
{
	struct sbx_wh_queue	*q;
	pthread_condattr_t	 ca;

	*out = NULL;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return KC_ERR_NOMEM;
	if ((q->d = calloc(SBX_WH_KEEP, sizeof(*q->d))) == NULL) {
		free(q);
		return KC_ERR_NOMEM;
	}
	q->base_ms = base_ms;
	q->max_attempts = max_attempts;
	q->next_id = 1;
	if (pthread_mutex_init(&q->mu, NULL) != 0) {
		free(q->d);
		free(q);
		return KC_ERR_NOMEM;
	}
	if (pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&q->cv, &ca) != 0) {
		pthread_mutex_destroy(&q->mu);
		free(q->d);
		free(q);
		return KC_ERR_NOMEM;
	}
	pthread_condattr_destroy(&ca);
	if (pthread_create(&q->thread, NULL, run, q) != 0) {
		sbx_whq_free(q);
		return KC_ERR_NOMEM;
	}
	q->started = 1;
	*out = q;
	return KC_OK;
}

void
sbx_whq_free(struct sbx_wh_queue *q)
{
	size_t i;

	if (q == NULL)
		return;
	pthread_mutex_lock(&q->mu);
	atomic_store(&q->stop, 1);
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	if (q->started)
		pthread_join(q->thread, NULL);
	for (i = 0; i < q->n; i++)
		delivery_free(q->d[i]);
	free(q->d);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

static size_t
pending_locked(const struct sbx_wh_queue *q)
{
	size_t i, n = 0;

	for (i = 0; i < q->n; i++)
		n += q->d[i]->state == WH_PENDING ||
		    q->d[i]->state == WH_SENDING;
	return n;
}

size_t
sbx_whq_pending(struct sbx_wh_queue *q)
{
	size_t n;

	pthread_mutex_lock(&q->mu);
	n = pending_locked(q);
	pthread_mutex_unlock(&q->mu);
	return n;
}

/* Makes room for one: the oldest finished delivery goes. */
static int
make_room(struct sbx_wh_queue *q)
{
	size_t i;

	if (q->n < SBX_WH_KEEP)
		return 1;
	for (i = 0; i < q->n; i++)
		if (q->d[i]->state == WH_DELIVERED ||
		    q->d[i]->state == WH_FAILED) {
			delivery_free(q->d[i]);
			memmove(&q->d[i], &q->d[i + 1], (q->n - i - 1) *
			    sizeof(*q->d));
			q->n--;
			return 1;
		}
	return 0;
}

int
sbx_whq_add(struct sbx_wh_queue *q, const struct sbx_webhook *w,
    const char *account, const char *body, struct json_object *events,
    uint64_t *id)
{
	struct wh_delivery	*d;
	int			 rc = KC_OK;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		json_object_put(events);
		return KC_ERR_NOMEM;
	}
	d->events = events;
	if ((d->url = strdup(w->url)) == NULL ||
	    (d->secret = strdup(w->secret)) == NULL ||
	    (d->body = strdup(body)) == NULL) {
		delivery_free(d);
		return KC_ERR_NOMEM;
	}
	snprintf(d->webhook, sizeof(d->webhook), "%s", w->id);
	snprintf(d->account, sizeof(d->account), "%s", account);
	sbx_url_truncate(w->url, d->endpoint, sizeof(d->endpoint));
	d->created = (int64_t)time(NULL);
	d->due_ms = mono_ms();
	pthread_mutex_lock(&q->mu);
	if (pending_locked(q) >= SBX_WH_QUEUE_MAX || !make_room(q))
		rc = KC_ERR_CONFLICT;
	else {
		d->id = q->next_id++;
		*id = d->id;
		q->d[q->n++] = d;
		d = NULL;
		pthread_cond_signal(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
	delivery_free(d);
	return rc;
}

/* A delivery as the control API shows it (no secret, no body). */
static struct json_object *
delivery_json(const struct wh_delivery *d)
{
	struct json_object	*o;
	char			 t[40];

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	sbx_fmt_time(d->created, t, sizeof(t));
	if (json_add_int(o, "id", (long long)d->id) != KC_OK ||
	    json_add_str(o, "webhook", d->webhook) != KC_OK ||
	    json_add_str(o, "account", d->account) != KC_OK ||
	    json_add_str(o, "endpoint", d->endpoint) != KC_OK ||
	    json_add_obj(o, "events", json_object_get(d->events)) != KC_OK ||
	    json_add_int(o, "event_count", (long long)
	    json_object_array_length(d->events)) != KC_OK ||
	    json_add_str(o, "state", state_names[d->state]) != KC_OK ||
	    json_add_bool(o, "delivered", d->state == WH_DELIVERED) !=
	    KC_OK ||
	    json_add_int(o, "attempts", d->attempts) != KC_OK ||
	    json_add_int(o, "resends", d->resends) != KC_OK ||
	    json_add_str(o, "created_at", t) != KC_OK)
		goto fail;
	if (d->attempts > 0) {
		sbx_fmt_time(d->last_attempt, t, sizeof(t));
		if (json_add_int(o, "last_status", d->last_status) != KC_OK ||
		    json_add_str(o, "last_error", d->last_error[0] ?
		    d->last_error : NULL) != KC_OK ||
		    json_add_str(o, "last_attempt_at", t) != KC_OK)
			goto fail;
	} else if (json_add_str(o, "last_status", NULL) != KC_OK ||
	    json_add_str(o, "last_error", NULL) != KC_OK ||
	    json_add_str(o, "last_attempt_at", NULL) != KC_OK)
		goto fail;
	sbx_fmt_time(d->delivered_at, t, sizeof(t));
	if (json_add_str(o, "delivered_at", d->delivered_at ? t : NULL) !=
	    KC_OK)
		goto fail;
	return o;
fail:
	json_object_put(o);
	return NULL;
}

struct json_object *
sbx_whq_list(struct sbx_wh_queue *q, const char *webhook,
    const char *account)
{
	struct json_object	*arr;
	size_t			 i;

	if ((arr = json_object_new_array()) == NULL)
		return NULL;
	pthread_mutex_lock(&q->mu);
	for (i = 0; i < q->n; i++) {
		if ((webhook != NULL && strcmp(q->d[i]->webhook,
		    webhook) != 0) || (account != NULL &&
		    strcmp(q->d[i]->account, account) != 0))
			continue;
		if (json_object_array_add(arr, delivery_json(q->d[i])) != 0) {
			json_object_put(arr);
			arr = NULL;
			break;
		}
	}
	pthread_mutex_unlock(&q->mu);
	return arr;
}

struct json_object *
sbx_whq_get(struct sbx_wh_queue *q, uint64_t id)
{
	struct json_object	*o = NULL;
	size_t			 i;

	pthread_mutex_lock(&q->mu);
	for (i = 0; i < q->n; i++)
		if (q->d[i]->id == id)
			o = delivery_json(q->d[i]);
	pthread_mutex_unlock(&q->mu);
	return o;
}

int
sbx_whq_resend(struct sbx_wh_queue *q, uint64_t id)
{
	size_t	i;
	int	rc = 1;

	pthread_mutex_lock(&q->mu);
	for (i = 0; i < q->n; i++) {
		if (q->d[i]->id != id)
			continue;
		if (q->d[i]->state == WH_PENDING ||
		    q->d[i]->state == WH_SENDING) {
			rc = 2;
			break;
		}
		q->d[i]->state = WH_PENDING;
		q->d[i]->tries = 0;
		q->d[i]->resends++;
		q->d[i]->delivered_at = 0;
		q->d[i]->due_ms = mono_ms();
		pthread_cond_signal(&q->cv);
		rc = 0;
		break;
	}
	pthread_mutex_unlock(&q->mu);
	return rc;
}

size_t
sbx_whq_clear(struct sbx_wh_queue *q)
{
	size_t i, kept = 0, n;

	pthread_mutex_lock(&q->mu);
	n = q->n;
	for (i = 0; i < q->n; i++) {
		if (q->d[i]->state == WH_SENDING)
			q->d[kept++] = q->d[i];
		else
			delivery_free(q->d[i]);
	}
	q->n = kept;
	pthread_mutex_unlock(&q->mu);
	return n - kept;
}
