/*
 * POST /api/klaviyo/webhooks/{webhookId}: Klaviyo's system webhook
 * deliveries.  No session: the webhook's secret signs each one.  Nothing
 * of the body is trusted before its signature holds (HMAC-SHA256 of the
 * raw body and Klaviyo-Timestamp, compared in constant time); then its
 * timestamp must be fresh, Klaviyo-Webhook-Id the registered webhook's,
 * and the body a batch of events naming that webhook.  A good delivery
 * is stored in the inbox and answered at once; klaviyo-syncd applies it
 * (webhook_inbox.h), so Klaviyo never waits for our work.
 */
#include "routes.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dispatch.h"
#include "http_req.h"
#include "json_util.h"
#include "webhook.h"
#include "webhook_sig.h"

static int
deny(struct kc_ctx *ctx, const char *code, const char *msg)
{
	return ctx_fail_code(ctx, KC_ERR_UNAUTHORIZED, code, msg);
}

/* The batch's shape: KC_OK, or a sentence in err. */
static int
check_batch(struct json_object *o, const char *webhook_id, int *n,
    char *err, size_t errlen)
{
	struct json_object	*data, *meta;
	const char		*wid;
	size_t			 i, len;

	if (!json_object_object_get_ex(o, "meta", &meta) ||
	    (wid = json_get_str(meta, "klaviyo_webhook_id")) == NULL) {
		snprintf(err, errlen, "meta.klaviyo_webhook_id is missing");
		return KC_ERR_BAD_INPUT;
	}
	/* Klaviyo: a mismatch means the request did not come from it. */
	if (strcmp(wid, webhook_id) != 0) {
		snprintf(err, errlen, "meta.klaviyo_webhook_id does not match "
		    "Klaviyo-Webhook-Id");
		return KC_ERR_UNAUTHORIZED;
	}
	if (!json_object_object_get_ex(o, "data", &data) ||
	    !json_object_is_type(data, json_type_array)) {
		snprintf(err, errlen, "data must be an array of events");
		return KC_ERR_BAD_INPUT;
	}
	if ((len = json_object_array_length(data)) > WEBHOOK_MAX_EVENTS) {
		snprintf(err, errlen, "a delivery holds at most %d events",
		    WEBHOOK_MAX_EVENTS);
		return KC_ERR_BAD_INPUT;
	}
	for (i = 0; i < len; i++) {
		struct json_object	*it = json_object_array_get_idx(data,
					    i), *p;
		const char		*id = json_get_str(it, "external_id");

		if (id == NULL || *id == '\0' ||
		    strlen(id) > WEBHOOK_EVENT_ID_MAX ||
		    json_get_str(it, "topic") == NULL ||
		    !json_object_object_get_ex(it, "payload", &p) ||
		    !json_object_is_type(p, json_type_object)) {
			snprintf(err, errlen, "data[%zu] needs external_id (1 to "
			    "%d characters), topic and a payload object", i,
			    WEBHOOK_EVENT_ID_MAX);
			return KC_ERR_BAD_INPUT;
		}
	}
	*n = (int)len;
	return KC_OK;
}

int
route_webhook_post(struct kc_ctx *ctx)
{
	struct http_req		*req = ctx->req;
	struct webhook_key	 k;
	struct json_object	*o = NULL, *reply = NULL;
	const char		*sig, *ts, *wid;
	char			 err[256];
	time_t			 at;
	int			 rc, n = 0;

	memset(&k, 0, sizeof(k));
	if (req->content_length > WEBHOOK_BODY_MAX)
		return ctx_fail(ctx, KC_ERR_TOO_LARGE, NULL);
	if (req->content_length <= 0)
		return ctx_fail(ctx, KC_ERR_BAD_INPUT, "Request body is "
		    "empty; expected a batch of events");
	if (!http_is_json_type(req->content_type))
		return ctx_fail(ctx, KC_ERR_MEDIA_TYPE, NULL);
	sig = http_req_param(req, "HTTP_KLAVIYO_SIGNATURE");
	ts = http_req_param(req, "HTTP_KLAVIYO_TIMESTAMP");
	wid = http_req_param(req, "HTTP_KLAVIYO_WEBHOOK_ID");
	if (sig == NULL || ts == NULL || wid == NULL)
		return deny(ctx, "signature_missing", "Klaviyo-Signature, "
		    "Klaviyo-Timestamp and Klaviyo-Webhook-Id are required");
	rc = webhook_key_load(ctx->db, ctx->keyring,
	    route_param(&ctx->params, "webhookId"), &k);
	if (rc == KC_ERR_NOT_FOUND || rc == KC_ERR_CONFLICT)
		return ctx_fail_code(ctx, KC_ERR_NOT_FOUND, rc ==
		    KC_ERR_NOT_FOUND ? "webhook_unknown" : "webhook_inactive",
		    rc == KC_ERR_NOT_FOUND ? "No such webhook" : "This webhook "
		    "is not taking deliveries (removed or turned off)");
	if (rc != KC_OK)
		return rc;
	if ((rc = ctx->read_body(ctx, (size_t)req->content_length)) != KC_OK) {
		rc = ctx_fail(ctx, rc, rc == KC_ERR_BAD_INPUT ? "Request body "
		    "is shorter than its Content-Length" : NULL);
		goto out;
	}
	rc = webhook_sig_check(k.secret, k.secretlen, req->body,
	    req->body_len, ts, sig);
	if (rc == KC_ERR_UNAUTHORIZED) {
		rc = deny(ctx, "signature_invalid", "Klaviyo-Signature does "
		    "not match this webhook's secret");
		goto out;
	}
	if (rc != KC_OK)
		goto out;
	/* Signed, but perhaps recorded and sent again later. */
	if (webhook_ts_parse(ts, &at) != KC_OK ||
	    !webhook_ts_fresh(at, time(NULL),
	    ctx->cfg->webhook_tolerance_seconds)) {
		rc = deny(ctx, "signature_stale", "Klaviyo-Timestamp is not "
		    "within the accepted window of the server's clock");
		goto out;
	}
	if (strcmp(wid, k.klaviyo_id) != 0) {
		rc = deny(ctx, "webhook_id_mismatch", "Klaviyo-Webhook-Id is "
		    "not this address's webhook");
		goto out;
	}
	if ((rc = json_parse_object(req->body, req->body_len, &o, err,
	    sizeof(err))) != KC_OK) {
		rc = ctx_fail(ctx, rc, err);
		goto out;
	}
	if ((rc = check_batch(o, wid, &n, err, sizeof(err))) != KC_OK) {
		rc = rc == KC_ERR_UNAUTHORIZED ? deny(ctx,
		    "webhook_id_mismatch", err) : ctx_fail(ctx, rc, err);
		goto out;
	}
	if ((rc = webhook_inbox_add(ctx->db, k.id, req->body, n)) != KC_OK)
		goto out;
	if ((reply = json_object_new_object()) == NULL ||
	    json_add_bool(reply, "success", 1) != KC_OK ||
	    json_add_int(reply, "received", n) != KC_OK) {
		rc = KC_ERR_NOMEM;
		goto out;
	}
	ctx_reply(ctx, 200, reply);
	reply = NULL;
out:
	json_object_put(reply);
	json_object_put(o);
	webhook_key_clear(&k);
	return rc;
}
