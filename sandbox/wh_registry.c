/*
 * What the webhook side of klaviyo-sandbox keeps (webhooks.h): the
 * webhooks of every account, which accounts may use the Webhooks API,
 * and the events created through the control API.  Only the poll()
 * loop's thread touches it; the delivery queue has its own lock.
 */
#include "webhooks.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "crypto.h"

int
sbx_hooks_new(size_t nacc, int allow_http, long retry_base_ms,
    int max_attempts, struct sbx_hooks **out)
{
	struct sbx_hooks	*h;
	int			 rc;

	*out = NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return KC_ERR_NOMEM;
	h->nacc = nacc;
	h->allow_http = allow_http;
	if ((h->no_access = calloc(nacc ? nacc : 1, 1)) == NULL ||
	    (h->xev = calloc(nacc ? nacc : 1, sizeof(*h->xev))) == NULL ||
	    (h->nxev = calloc(nacc ? nacc : 1, sizeof(size_t))) == NULL ||
	    (h->capxev = calloc(nacc ? nacc : 1, sizeof(size_t))) == NULL) {
		sbx_hooks_free(h);
		return KC_ERR_NOMEM;
	}
	if ((rc = sbx_whq_new(retry_base_ms, max_attempts, &h->queue)) !=
	    KC_OK) {
		sbx_hooks_free(h);
		return rc;
	}
	*out = h;
	return KC_OK;
}

void
sbx_webhook_free_fields(struct sbx_webhook *w)
{
	size_t i;

	free(w->name);
	free(w->description);
	free(w->url);
	if (w->secret != NULL) {
		crypto_wipe(w->secret, strlen(w->secret));
		free(w->secret);
	}
	for (i = 0; i < w->ntopics; i++)
		free(w->topics[i]);
	free(w->topics);
	memset(w, 0, sizeof(*w));
}

void
sbx_hooks_free(struct sbx_hooks *h)
{
	size_t a, i;

	if (h == NULL)
		return;
	/* The thread first: it may still read nothing of ours, but stop it. */
	sbx_whq_free(h->queue);
	sbx_hooks_clear(h);
	free(h->hooks);
	for (a = 0; h->xev != NULL && a < h->nacc; a++) {
		for (i = 0; i < h->nxev[a]; i++)
			json_object_put(h->xev[a][i].props);
		free(h->xev[a]);
	}
	free(h->xev);
	free(h->nxev);
	free(h->capxev);
	free(h->no_access);
	free(h);
}

int
sbx_hooks_access(const struct sbx_hooks *h, size_t acc)
{
	return acc < h->nacc && !h->no_access[acc];
}

void
sbx_hooks_set_access(struct sbx_hooks *h, size_t acc, int on)
{
	if (acc < h->nacc)
		h->no_access[acc] = !on;
}

/*
 * Crockford base32 like a ULID: 10 characters of milliseconds, then 16
 * of randomness (a counter mixed in, so two ids never collide).
 */
void
sbx_hooks_new_id(struct sbx_hooks *h, char out[SBX_WH_ID_LEN + 1])
{
	static const char	 b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	struct timespec		 ts;
	uint64_t		 ms, r[2];
	int			 i;

	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	for (i = 9; i >= 0; i--, ms >>= 5)
		out[i] = b32[ms & 31];
	if (crypto_random(r, sizeof(r)) != KC_OK)
		r[0] = r[1] = 0;
	r[0] ^= sbx_mix(++h->seq);
	for (i = 10; i < SBX_WH_ID_LEN; i++) {
		out[i] = b32[r[i & 1] & 31];
		r[i & 1] >>= 5;
	}
	out[SBX_WH_ID_LEN] = '\0';
}

struct sbx_webhook *
sbx_hooks_find(struct sbx_hooks *h, size_t acc, const char *id)
{
	size_t i;

	for (i = 0; i < h->nhooks; i++)
		if (h->hooks[i].acc == acc && strcmp(h->hooks[i].id, id) == 0)
			return &h->hooks[i];
	return NULL;
}

size_t
sbx_hooks_count(const struct sbx_hooks *h, size_t acc)
{
	size_t i, n = 0;

	for (i = 0; i < h->nhooks; i++)
		n += h->hooks[i].acc == acc;
	return n;
}

int
sbx_hooks_add(struct sbx_hooks *h, struct sbx_webhook *w)
{
	struct sbx_webhook *nh;

	if ((nh = realloc(h->hooks, (h->nhooks + 1) * sizeof(*nh))) == NULL) {
		sbx_webhook_free_fields(w);
		return KC_ERR_NOMEM;
	}
	h->hooks = nh;
	h->hooks[h->nhooks++] = *w;
	memset(w, 0, sizeof(*w));
	return KC_OK;
}

void
sbx_hooks_remove(struct sbx_hooks *h, struct sbx_webhook *w)
{
	size_t i = (size_t)(w - h->hooks);

	if (i >= h->nhooks)
		return;
	sbx_webhook_free_fields(w);
	memmove(&h->hooks[i], &h->hooks[i + 1], (h->nhooks - i - 1) *
	    sizeof(*h->hooks));
	h->nhooks--;
}

size_t
sbx_hooks_clear(struct sbx_hooks *h)
{
	size_t i, n = h->nhooks;

	for (i = 0; i < h->nhooks; i++)
		sbx_webhook_free_fields(&h->hooks[i]);
	h->nhooks = 0;
	memset(h->no_access, 0, h->nacc);
	return n;
}

/* An id of the store's shape (11 base62 characters) and a v4-like uuid. */
static void
xevent_ids(struct sbx_hooks *h, struct sbx_xevent *e)
{
	static const char b62[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789";
	uint64_t	r[2], v;
	int		k;

	if (crypto_random(r, sizeof(r)) != KC_OK)
		r[0] = r[1] = 0;
	r[0] ^= sbx_mix(++h->seq ^ 0x5eedULL);
	for (k = 0, v = r[0]; k < 11; k++, v /= 62)
		e->id[k] = b62[v % 62];
	e->id[11] = '\0';
	v = sbx_mix(r[0] ^ r[1]);
	snprintf(e->uuid, sizeof(e->uuid), "%08x-%04x-4%03x-%04x-%012llx",
	    (unsigned)(v >> 32), (unsigned)(v >> 16) & 0xffff,
	    (unsigned)v & 0xfff, 0x8000 | ((unsigned)(r[1] >> 48) & 0x3fff),
	    (unsigned long long)(r[1] & 0xffffffffffffULL));
}

int
sbx_hooks_add_event(struct sbx_hooks *h, size_t acc, const char *metric,
    int64_t t, uint32_t profile, struct json_object *props,
    const struct sbx_xevent **out)
{
	struct sbx_xevent	*arr, e;
	size_t			 n, i, cap;

	if (acc >= h->nacc || h->xev_total >= SBX_XEV_MAX) {
		json_object_put(props);
		return KC_ERR_BAD_INPUT;
	}
	n = h->nxev[acc];
	if (n == h->capxev[acc]) {
		cap = n ? n * 2 : 16;
		if ((arr = realloc(h->xev[acc], cap * sizeof(*arr))) == NULL) {
			json_object_put(props);
			return KC_ERR_NOMEM;
		}
		h->xev[acc] = arr;
		h->capxev[acc] = cap;
	}
	memset(&e, 0, sizeof(e));
	xevent_ids(h, &e);
	snprintf(e.metric, sizeof(e.metric), "%s", metric);
	e.t = t;
	e.profile = profile;
	e.props = props;
	/* Time order; the later of two at the same second comes last. */
	arr = h->xev[acc];
	for (i = n; i > 0 && arr[i - 1].t > t; i--)
		;
	memmove(&arr[i + 1], &arr[i], (n - i) * sizeof(*arr));
	arr[i] = e;
	h->nxev[acc]++;
	h->xev_total++;
	*out = &arr[i];
	return KC_OK;
}
