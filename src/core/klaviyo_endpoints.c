/*
 * What our client knows of Klaviyo's endpoints: path, method, scope and
 * the limits each operation's description states in the OpenAPI spec;
 * and the pure helpers of retries, paging and a call's result (its
 * error, the most telling of several); see klaviyo.h.
 */
#include "klaviyo.h"

#include <stdlib.h>
#include <string.h>

/* Limits from each operation's x-klaviyo-ratelimit in the spec. */
const struct kv_endpoint_info kv_endpoints[KV__MAX] = {
	[KV_ACCOUNTS] = { "accounts", "GET", "/api/accounts",
	    "accounts:read", 1, 15, 0, 0 },
	[KV_METRICS] = { "metrics", "GET", "/api/metrics", "metrics:read",
	    10, 150, 0, 0 },
	[KV_CUSTOM_METRICS] = { "custom-metrics", "GET",
	    "/api/custom-metrics", "metrics:read", 3, 60, 0, 0 },
	[KV_LISTS] = { "lists", "GET", "/api/lists", "lists:read", 75, 750,
	    0, 10 },
	[KV_CAMPAIGNS] = { "campaigns", "GET", "/api/campaigns",
	    "campaigns:read", 10, 150, 0, 100 },
	[KV_FLOWS] = { "flows", "GET", "/api/flows", "flows:read", 3, 60, 0,
	    50 },
	[KV_SEGMENTS] = { "segments", "GET", "/api/segments",
	    "segments:read", 75, 750, 0, 10 },
	[KV_FORMS] = { "forms", "GET", "/api/forms", "forms:read", 3, 60, 0,
	    100 },
	/*
	 * 200, not the allowed 1000: a 1000-order page parsed by json-c
	 * was the daemon's peak memory, and 350/s leaves room for 5x the
	 * requests.
	 */
	[KV_EVENTS] = { "events", "GET", "/api/events", "events:read", 350,
	    3500, 0, 200 },
	[KV_CAMPAIGN_VALUES] = { "campaign-values-reports", "POST",
	    "/api/campaign-values-reports", "campaigns:read", 1, 2, 225, 0 },
	[KV_FLOW_SERIES] = { "flow-series-reports", "POST",
	    "/api/flow-series-reports", "flows:read", 1, 2, 225, 0 },
	[KV_SEGMENT_SERIES] = { "segment-series-reports", "POST",
	    "/api/segment-series-reports", "segments:read", 1, 2, 225, 0 },
	[KV_FORM_SERIES] = { "form-series-reports", "POST",
	    "/api/form-series-reports", "forms:read", 1, 2, 225, 0 },
	/* The Webhooks API: every operation 1/s and 15/m. */
	[KV_WEBHOOK_TOPICS] = { "webhook-topics", "GET",
	    "/api/webhook-topics", "webhooks:read", 1, 15, 0, 0 },
	[KV_WEBHOOKS] = { "webhooks", "GET", "/api/webhooks",
	    "webhooks:read", 1, 15, 0, 0 },
	[KV_WEBHOOK_CREATE] = { "webhook-create", "POST", "/api/webhooks",
	    "webhooks:write", 1, 15, 0, 0 },
	[KV_WEBHOOK_DELETE] = { "webhook-delete", "DELETE", "/api/webhooks",
	    "webhooks:write", 1, 15, 0, 0 },
};

long
kv_backoff_ms(int attempt, unsigned rnd)
{
	long base = 250L << (attempt < 0 ? 0 : attempt < 5 ? attempt : 5);

	if (base > 4000)
		base = 4000;
	/* Half fixed, half jitter, so retries of many workers spread. */
	return base / 2 + (long)(rnd % (unsigned)(base / 2 + 1));
}

int
kv_same_origin(const char *base, const char *url)
{
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	return strncmp(base, url, n) == 0 && (url[n] == '/' ||
	    url[n] == '\0' || url[n] == '?');
}

long
kv_parse_seconds(const char *s)
{
	char	*end;
	double	 v;

	if (s == NULL || *s == '\0')
		return -1;
	v = strtod(s, &end);
	/* Written so that NaN fails too. */
	if (end == s || !(v >= 0 && v <= 86400 * 2))
		return -1;
	return (long)(v + 0.999);
}

void
kv_call_reset(struct kv_call *call)
{
	json_object_put(call->data);
	call->data = NULL;
	call->err = KC_OK;
	call->code[0] = call->errmsg[0] = '\0';
	call->status = call->retry_after = 0;
	call->pages = call->requests = 0;
	call->next[0] = '\0';
	call->rl_limit = call->rl_remaining = call->rl_reset = -1;
}

const char *
kv_call_error(const struct kv_call *call)
{
	return call->errmsg[0] ? call->errmsg : kc_strerror(call->err);
}

static int
err_rank(int e)
{
	switch (e) {
	case KC_OK:
		return 0;
	case KC_ERR_UNPROCESSABLE:
		return 9;
	case KC_ERR_DB_DOWN:
		return 8;
	case KC_ERR_RATE_LIMITED:
		return 7;
	case KC_ERR_TIMEOUT:
		return 6;
	case KC_ERR_UPSTREAM:
		return 5;
	default:
		return 4;
	}
}

int
kv_worst(const struct kv_call *calls, size_t n, size_t *which)
{
	size_t	i, w = 0;

	for (i = 1; i < n; i++)
		if (err_rank(calls[i].err) > err_rank(calls[w].err))
			w = i;
	if (which)
		*which = w;
	return n ? calls[w].err : KC_OK;
}
