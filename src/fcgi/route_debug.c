/*
 * GET /api/klaviyo/test?apiKey=pk_... (or X-Klaviyo-Api-Key): the seed's
 * debug endpoint.  Account, lists count and a few samples, the metric
 * count and samples, Klaviyo's rate-limit headers per endpoint and the
 * revision.  The key is never logged: nginx logs no query strings and
 * neither do we.
 */
#include "routes.h"

#include <stdio.h>
#include <string.h>

#include "apikey.h"
#include "crypto.h"
#include "dispatch.h"
#include "json_util.h"
#include "klaviyo.h"
#include "metrics.h"
#include "probe.h"

#define DEBUG_LIST_PAGES 10	/* 100 lists at page[size]=10 */
#define DEBUG_SAMPLES 5

static struct json_object *
samples(struct json_object *data, int metrics)
{
	struct json_object	*arr = json_object_new_array(), *o, *item, *a;
	size_t			 i, n = data ? json_object_array_length(data) : 0;

	for (i = 0; arr && i < n && i < DEBUG_SAMPLES; i++) {
		item = json_object_array_get_idx(data, i);
		if ((o = json_object_new_object()) == NULL ||
		    json_add_str(o, "id", json_get_str(item, "id")) != KC_OK ||
		    json_add_str(o, "name", metrics ? json_get_str(item,
		    "name") : (json_object_object_get_ex(item, "attributes",
		    &a) ? json_get_str(a, "name") : NULL)) != KC_OK ||
		    json_object_array_add(arr, o) != 0) {
			json_object_put(o);
			json_object_put(arr);
			return NULL;
		}
	}
	return arr;
}

static struct json_object *
limits(const struct kv_call *c)
{
	struct json_object *o = json_object_new_object();

	if (o == NULL || json_add_str(o, "endpoint",
	    kv_endpoints[c->ep].path) != KC_OK ||
	    json_add_int(o, "limit", c->rl_limit) != KC_OK ||
	    json_add_int(o, "remaining", c->rl_remaining) != KC_OK ||
	    json_add_int(o, "reset_seconds", c->rl_reset) != KC_OK) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int
route_klaviyo_test(struct kc_ctx *ctx)
{
	struct kv_call		 calls[3];
	struct json_object	*o = NULL, *lists = NULL, *mets = NULL;
	struct json_object	*merged = NULL, *rl = NULL, *acct = NULL;
	char			 raw[APIKEY_MAX + 64], key[APIKEY_MAX + 1];
	char			 ak[80];
	const char		*hdr, *why;
	size_t			 worst, i;
	int			 rc;

	memset(calls, 0, sizeof(calls));
	hdr = http_req_param(ctx->req, "HTTP_X_KLAVIYO_API_KEY");
	if (hdr)
		snprintf(raw, sizeof(raw), "%s", hdr);
	else if (http_query_get(ctx->req->query, "apiKey", raw,
	    sizeof(raw)) != KC_OK)
		raw[0] = '\0';
	rc = apikey_check(raw, key, sizeof(key), &why);
	crypto_wipe(raw, sizeof(raw));
	if (rc != KC_OK) {
		http_resp_error_code(ctx->resp, KC_ERR_BAD_INPUT,
		    "invalid_api_key_format", why);
		return KC_ERR_BAD_INPUT;
	}
	calls[0].ep = KV_ACCOUNTS;
	calls[1].ep = KV_LISTS;
	calls[1].all_pages = 1;
	calls[1].max_pages = DEBUG_LIST_PAGES;
	calls[2].ep = KV_METRICS;
	if ((rc = kv_account_key(ctx->db, key, ak, sizeof(ak))) != KC_OK)
		goto out;
	if ((rc = kv_run(ctx->kv, key, 0, ak, calls, 3)) != KC_OK) {
		rc = kv_worst(calls, 3, &worst);
		http_resp_error_code(ctx->resp, rc, calls[worst].code,
		    kv_call_error(&calls[worst]));
		if (rc == KC_ERR_RATE_LIMITED &&
		    http_resp_header(ctx->resp, "Retry-After", "%ld",
		    calls[worst].retry_after > 0 ? calls[worst].retry_after :
		    1) != KC_OK)
			rc = ctx_fail(ctx, KC_ERR_INTERNAL, NULL);
		goto out;
	}
	rc = KC_ERR_NOMEM;
	if (json_object_array_length(calls[0].data) < 1 ||
	    (acct = probe_account_from(json_object_array_get_idx(
	    calls[0].data, 0))) == NULL) {
		rc = ctx_fail(ctx, KC_ERR_UPSTREAM, "Klaviyo's account answer "
		    "had no account in it");
		goto out;
	}
	if (metrics_merge(calls[2].data, NULL, &merged) != KC_OK ||
	    (o = json_object_new_object()) == NULL)
		goto out;
	if (json_add_bool(o, "success", 1) != KC_OK)
		goto out;
	/* json_add_obj owns what it is given, added or not. */
	rc = json_add_obj(o, "account", acct);
	acct = NULL;
	if (rc != KC_OK || (lists = json_object_new_object()) == NULL ||
	    json_add_int(lists, "count", (long long)json_object_array_length(
	    calls[1].data)) != KC_OK ||
	    json_add_bool(lists, "more", calls[1].pages >= DEBUG_LIST_PAGES) !=
	    KC_OK || json_add_obj(lists, "samples", samples(calls[1].data,
	    0)) != KC_OK)
		goto nomem;
	rc = json_add_obj(o, "lists", lists);
	lists = NULL;
	if (rc != KC_OK || (mets = json_object_new_object()) == NULL ||
	    json_add_int(mets, "count_first_page",
	    (long long)json_object_array_length(merged)) != KC_OK ||
	    json_add_obj(mets, "samples", samples(merged, 1)) != KC_OK)
		goto nomem;
	rc = json_add_obj(o, "metrics", mets);
	mets = NULL;
	if (rc != KC_OK || (rl = json_object_new_array()) == NULL)
		goto nomem;
	for (i = 0; i < 3; i++)
		if (json_object_array_add(rl, limits(&calls[i])) != 0)
			goto nomem;
	rc = json_add_obj(o, "rate_limits", rl);
	rl = NULL;
	if (rc != KC_OK ||
	    json_add_str(o, "revision", ctx->cfg->klaviyo_revision) != KC_OK ||
	    json_add_str(o, "base_url", ctx->cfg->klaviyo_base_url) != KC_OK)
		goto nomem;
	ctx_reply(ctx, 200, o);
	o = NULL;
	rc = KC_OK;
	goto out;
nomem:
	rc = KC_ERR_NOMEM;
out:
	crypto_wipe(key, sizeof(key));
	json_object_put(acct);
	json_object_put(lists);
	json_object_put(mets);
	json_object_put(rl);
	json_object_put(merged);
	json_object_put(o);
	for (i = 0; i < 3; i++)
		kv_call_reset(&calls[i]);
	return rc;
}
