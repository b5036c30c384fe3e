/*
 * /api/store/{storePublicId}/klaviyo-connect: the store's Klaviyo
 * integration (DESIGN.md 3).
 *   GET     any role on the store: the status
 *   POST    {apiKey, action:"test"}      test a key, list its metrics
 *           {apiKey, conversionMetricId} connect (or rotate the key)
 *           {conversionMetricId}         change the conversion metric
 *   DELETE  disconnect (idempotent)
 * Everything but GET needs manage_integrations and level >= 80.
 */
#include "routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apikey.h"
#include "audit.h"
#include "connect_store.h"
#include "crypto.h"
#include "dispatch.h"
#include "json_util.h"
#include "log.h"
#include "metrics.h"
#include "oauth_cred.h"
#include "oauth_flow.h"
#include "probe.h"
#include "readcache.h"
#include "secretbox.h"
#include "integration.h"
#include "sync_status.h"


/* The request's user, address, database and keyring, for core calls. */
static struct connect_actor
actor_of(const struct kc_ctx *ctx)
{
	struct connect_actor act = { ctx->db, ctx->keyring, ctx->user.id,
	    ctx->req->remote_addr };

	return act;
}

const struct jfield connect_fields[] = {
	{ "apiKey", JF_STRING, 0, 512 },
	{ "action", JF_STRING, 0, 32 },
	{ "conversionMetricId", JF_STRING, 0, 128 },
	{ "method", JF_STRING, 0, 16 },
};
const size_t nconnect_fields = nitems(connect_fields);

#define NOT_AUTHORIZED_MSG "Authorize with Klaviyo first (an " \
	"authorization is kept for 30 minutes; start again if it expired)"

/* The worker's cached answer, when it has one: 1 when replied. */
static int
status_cached(struct kc_ctx *ctx, const struct store_access *a)
{
	const char	*body;
	char		*copy;

	if (ctx->cache == NULL || !readcache_ready(ctx->cache, ctx->db) ||
	    (body = readcache_status(ctx->cache, ctx->user.id,
	    a->public_id)) == NULL || (copy = strdup(body)) == NULL)
		return 0;
	http_resp_text(ctx->resp, 200, HTTP_JSON_TYPE, copy);
	return 1;
}

int
route_connect_get(struct kc_ctx *ctx)
{
	struct store_access	 a;
	struct json_object	*o = NULL, *sync = NULL;
	const char		*sync_status = "idle", *body;
	int			 rc;

	if ((rc = ctx_store_access(ctx, STORE_READ, &a)) != KC_OK)
		return rc;
	if (status_cached(ctx, &a)) {
		perm_access_clear(&a);
		return KC_OK;
	}
	if ((rc = sync_status_json(ctx->db, a.store_id, &sync,
	    &sync_status)) == KC_OK)
		rc = integ_status_json(a.integration, sync, sync_status,
		    perm_can_manage(a.level, a.manage_integrations), &o);
	if (rc == KC_OK && ctx->cache && readcache_ready(ctx->cache, ctx->db) &&
	    (body = json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN)) != NULL)
		readcache_status_put(ctx->cache, ctx->user.id, a.public_id,
		    body);
	perm_access_clear(&a);
	if (rc != KC_OK)
		return rc;
	ctx_reply(ctx, 200, o);
	return KC_OK;
}

/* The probe's failure as the HTTP error (with Retry-After on 429). */
static int
probe_fail(struct kc_ctx *ctx, int rc, const struct probe *p)
{
	http_resp_error_code(ctx->resp, rc, p->code[0] ? p->code : NULL,
	    p->msg[0] ? p->msg : NULL);
	if (rc == KC_ERR_RATE_LIMITED && http_resp_header(ctx->resp,
	    "Retry-After", "%ld", p->retry_after > 0 ? p->retry_after : 1) !=
	    KC_OK)
		return ctx_fail(ctx, KC_ERR_INTERNAL, NULL);
	return rc;
}

/* hint: the key's "pk_abcd..." or NULL for an OAuth grant. */
static void
audit_probe(struct kc_ctx *ctx, const struct store_access *a,
    const char *action, const char *hint, const struct probe *p, int rc)
{
	struct json_object	*d = json_object_new_object();

	if (d == NULL || json_add_str(d, hint ? "api_key_hint" :
	    "auth_method", hint ? hint : "oauth") != KC_OK ||
	    (rc != KC_OK && json_add_str(d, "error", p->code) != KC_OK) ||
	    (p->account && json_add_str(d, "account_id",
	    json_get_str(p->account, "id")) != KC_OK) ||
	    audit_log(ctx->db, ctx->user.id, a->store_id, action,
	    rc == KC_OK ? "success" : "failure", ctx->req->remote_addr, d) !=
	    KC_OK)
		log_warnx("cannot write the %s audit row", action);
	json_object_put(d);
}

static int
check_key(struct kc_ctx *ctx, const char *in, char *key, size_t len)
{
	const char *why;

	if (apikey_check(in, key, len, &why) != KC_OK) {
		http_resp_error_code(ctx->resp, KC_ERR_BAD_INPUT,
		    "invalid_api_key_format", why);
		return KC_ERR_BAD_INPUT;
	}
	return KC_OK;
}

/* Test: the account and its metrics, for a key or an OAuth token. */
static int
do_test(struct kc_ctx *ctx, const struct store_access *a, const char *cred,
    int bearer)
{
	struct probe		 p;
	struct json_object	*o = NULL;
	char			 hint[APIKEY_HINT_MAX];
	int			 rc, shop = 0;
	size_t			 i, n;

	if (!bearer)
		apikey_hint(cred, hint, sizeof(hint));
	rc = probe_run(ctx->db, ctx->kv, cred, bearer, PROBE_TEST,
	    ctx->cfg->klaviyo_probe_cache_seconds, &p);
	audit_probe(ctx, a, "test", bearer ? NULL : hint, &p, rc);
	if (rc != KC_OK)
		return probe_fail(ctx, rc, &p);
	n = json_object_array_length(p.metrics);
	for (i = 0; i < n; i++)
		shop |= json_get_bool(json_object_array_get_idx(p.metrics, i),
		    "isShopifyPlacedOrder");
	rc = KC_ERR_NOMEM;
	if ((o = json_object_new_object()) == NULL ||
	    json_add_bool(o, "success", 1) != KC_OK ||
	    json_add_str(o, "action", "test") != KC_OK ||
	    json_add_str(o, "method", bearer ? "oauth" : "api_key") != KC_OK ||
	    json_add_obj(o, "account", json_object_get(p.account)) != KC_OK ||
	    json_add_obj(o, "metrics", json_object_get(p.metrics)) != KC_OK ||
	    json_add_bool(o, "hasShopifyPlacedOrder", shop) != KC_OK ||
	    (!shop && json_add_str(o, "warning", "This account has no "
	    "Shopify \"Placed Order\" metric. Pick the metric that records "
	    "your conversions; order data will not be synced.") != KC_OK))
		goto out;
	ctx_reply(ctx, 200, o);
	o = NULL;
	rc = KC_OK;
out:
	json_object_put(o);
	probe_free(&p);
	return rc;
}

static int
unknown_metric(struct kc_ctx *ctx)
{
	http_resp_error_code(ctx->resp, KC_ERR_UNPROCESSABLE,
	    "unknown_metric", "The selected conversion metric does not "
	    "belong to this Klaviyo account; test the key again and pick "
	    "one from the list");
	return KC_ERR_UNPROCESSABLE;
}

static int
reply_saved(struct kc_ctx *ctx, struct connect_result *r, const char *msg)
{
	struct json_object *o = NULL, *store = NULL;

	if ((o = json_object_new_object()) == NULL ||
	    (store = json_object_new_object()) == NULL ||
	    json_add_bool(o, "success", 1) != KC_OK ||
	    json_add_str(o, "message", msg) != KC_OK ||
	    json_add_obj(store, "klaviyo_integration",
	    json_object_get(r->integration)) != KC_OK ||
	    json_add_obj(o, "store", store) != KC_OK) {
		json_object_put(o);
		return KC_ERR_NOMEM;
	}
	ctx_reply(ctx, 200, o);
	return KC_OK;
}

/*
 * Probes the credential (a key, or an OAuth access token), checks the
 * metric and saves the connection; an OAuth grant it replaces is then
 * revoked at Klaviyo.  new_refresh: the new grant's refresh token.
 */
static int
connect_with(struct kc_ctx *ctx, const struct store_access *a,
    const struct connect_cred *cred, const char *probe_cred,
    const char *new_refresh, const char *metric_id)
{
	struct connect_actor	 act = actor_of(ctx);
	struct probe		 p;
	struct connect_result	 r;
	struct kc_cred		 old;
	struct json_object	*m;
	int			 rc, bearer = strcmp(cred->kind, "oauth") == 0;
	int			 had_old;

	memset(&r, 0, sizeof(r));
	rc = probe_run(ctx->db, ctx->kv, probe_cred, bearer, PROBE_CONNECT,
	    ctx->cfg->klaviyo_probe_cache_seconds, &p);
	if (rc != KC_OK) {
		audit_probe(ctx, a, "connect", cred->hint, &p, rc);
		return probe_fail(ctx, rc, &p);
	}
	if ((m = metrics_find(p.metrics, metric_id)) == NULL) {
		probe_free(&p);
		return unknown_metric(ctx);
	}
	had_old = cred_peek(ctx->db, ctx->keyring, a->store_id, a->public_id,
	    &old) == KC_OK;
	rc = connect_save(&act, a, cred, p.account, m, &r);
	if (rc == KC_ERR_NOT_FOUND || rc == KC_ERR_FORBIDDEN)
		rc = ctx_access_lost(ctx, a, rc);
	else if (rc == KC_ERR_CONFLICT && cred->oauth_flow)
		rc = ctx_fail_code(ctx, rc, "oauth_not_authorized",
		    "This Klaviyo authorization was already used; "
		    NOT_AUTHORIZED_MSG);
	else if (rc == KC_OK)
		rc = reply_saved(ctx, &r, !r.rotated ? "Klaviyo connected "
		    "successfully" : bearer ? "Klaviyo authorization updated" :
		    "Klaviyo API key updated");
	if (rc == KC_OK && had_old && old.bearer && (new_refresh == NULL ||
	    old.tok.refresh == NULL ||
	    strcmp(old.tok.refresh, new_refresh) != 0))
		cred_revoke(&old, ctx->oauth);
	if (had_old)
		cred_close(&old);
	connect_result_free(&r);
	probe_free(&p);
	return rc;
}

static int
do_connect(struct kc_ctx *ctx, const struct store_access *a, const char *key,
    const char *metric_id)
{
	struct connect_cred	cred;
	char			hint[APIKEY_HINT_MAX];

	apikey_hint(key, hint, sizeof(hint));
	memset(&cred, 0, sizeof(cred));
	cred.kind = "api_key";
	cred.secret = key;
	cred.hint = hint;
	return connect_with(ctx, a, &cred, key, NULL, metric_id);
}

/* The user's OAuth grant waiting for a metric; 409 when there is none. */
static int
pending_grant(struct kc_ctx *ctx, const struct store_access *a,
    struct oauth_flow *f, struct oauth_tokens *tok)
{
	int rc;

	rc = oauth_flow_pending(ctx->db, ctx->keyring, a->store_id,
	    a->public_id, ctx->user.id, f, tok);
	if (rc == KC_ERR_CRYPTO)
		log_warnx("the OAuth grant waiting for store %s does not "
		    "decrypt (master key removed?)", a->public_id);
	if (rc == KC_ERR_NOT_FOUND || rc == KC_ERR_CRYPTO)
		return ctx_fail_code(ctx, KC_ERR_CONFLICT,
		    "oauth_not_authorized", NOT_AUTHORIZED_MSG);
	if (rc != KC_OK)
		return ctx_fail(ctx, rc, NULL);
	return KC_OK;
}

static int
do_oauth_test(struct kc_ctx *ctx, const struct store_access *a)
{
	struct oauth_flow	f;
	struct oauth_tokens	tok;
	int			rc;

	if ((rc = pending_grant(ctx, a, &f, &tok)) != KC_OK)
		return rc;
	rc = do_test(ctx, a, tok.access, 1);
	oauth_tokens_free(&tok);
	oauth_flow_free(&f);
	return rc;
}

static int
do_oauth_connect(struct kc_ctx *ctx, const struct store_access *a,
    const char *metric_id)
{
	struct oauth_flow	f;
	struct oauth_tokens	tok;
	struct connect_cred	cred;
	char			*blob = NULL;
	int			rc;

	if ((rc = pending_grant(ctx, a, &f, &tok)) != KC_OK)
		return rc;
	if ((rc = oauth_tokens_encode(&tok, &blob)) == KC_OK) {
		memset(&cred, 0, sizeof(cred));
		cred.kind = "oauth";
		cred.secret = blob;
		cred.oauth_flow = f.id;
		rc = connect_with(ctx, a, &cred, tok.access, tok.refresh,
		    metric_id);
	}
	oauth_wipe_free(blob);
	oauth_tokens_free(&tok);
	oauth_flow_free(&f);
	return rc;
}

/*
 * The connected store's metric list, fetched with its stored credential
 * (or taken from the probe cache).  On failure the error response is set.
 */
static int
stored_metrics(struct kc_ctx *ctx, const struct store_access *a,
    struct probe *p)
{
	struct kc_cred		c;
	struct oauth_error	e;
	struct integration	in;
	char			acct[96];
	const char		*id = NULL;
	int			rc;

	memset(p, 0, sizeof(*p));
	/* The connected account's limits, whatever the credential. */
	if (integ_parse(a->integration, &in) == KC_OK)
		id = in.account_id;
	snprintf(acct, sizeof(acct), "acct:%.80s", id ? id : "");
	integ_clear(&in);
	id = acct[5] ? acct : NULL;
	rc = cred_open(ctx->db, ctx->keyring, ctx->oauth, a->store_id,
	    a->public_id, &c, &e);
	if (rc == KC_ERR_NOT_FOUND)
		return ctx_fail(ctx, KC_ERR_CONFLICT, "Klaviyo is not "
		    "connected for this store; send apiKey as well");
	if (rc == KC_ERR_CRYPTO) {
		log_error("credential of store %s does not decrypt",
		    a->public_id);
		return ctx_fail(ctx, rc, NULL);
	}
	/* An OAuth store on a server whose OAuth was switched off. */
	if (rc == KC_ERR_CONFIG)
		rc = KC_ERR_CONFLICT;
	if (rc != KC_OK)
		return ctx_fail_code(ctx, rc, e.code[0] ? e.code : NULL,
		    e.msg[0] ? e.msg : NULL);
	rc = probe_run_cred(ctx->db, ctx->kv, &c, id, PROBE_METRICS,
	    ctx->cfg->klaviyo_probe_cache_seconds, p);
	if (rc == KC_ERR_CONFIG)
		rc = KC_ERR_CONFLICT;
	if (rc != KC_OK)
		rc = probe_fail(ctx, rc, p);
	cred_close(&c);
	return rc;
}

static int
do_change_metric(struct kc_ctx *ctx, const struct store_access *a,
    const char *metric_id)
{
	struct connect_actor	 act = actor_of(ctx);
	struct probe		 p;
	struct connect_result	 r;
	struct json_object	*m;
	int			 rc;

	memset(&r, 0, sizeof(r));
	if ((rc = stored_metrics(ctx, a, &p)) != KC_OK)
		return rc;
	if ((m = metrics_find(p.metrics, metric_id)) == NULL)
		rc = unknown_metric(ctx);
	else if ((rc = connect_change_metric(&act, a, m, &r)) ==
	    KC_ERR_NOT_FOUND || rc == KC_ERR_FORBIDDEN)
		rc = ctx_access_lost(ctx, a, rc);
	else if (rc == KC_ERR_CONFLICT)
		rc = ctx_fail(ctx, rc, "Klaviyo is not connected for this "
		    "store; send apiKey as well");
	else if (rc == KC_OK)
		rc = reply_saved(ctx, &r, "Conversion metric updated");
	connect_result_free(&r);
	probe_free(&p);
	return rc;
}

/*
 * GET /api/store/{storePublicId}/klaviyo-metrics: the connected account's
 * metrics with the stored key, so the metric can be changed without
 * pasting the key again.
 */
int
route_metrics_get(struct kc_ctx *ctx)
{
	struct store_access	 a;
	struct probe		 p;
	struct json_object	*o = NULL;
	int			 rc;

	if ((rc = ctx_store_access(ctx, STORE_MANAGE, &a)) != KC_OK)
		return rc;
	rc = stored_metrics(ctx, &a, &p);
	perm_access_clear(&a);
	if (rc != KC_OK)
		return rc;
	rc = KC_ERR_NOMEM;
	if ((o = json_object_new_object()) != NULL &&
	    json_add_bool(o, "success", 1) == KC_OK &&
	    json_add_obj(o, "metrics", json_object_get(p.metrics)) == KC_OK) {
		ctx_reply(ctx, 200, o);
		o = NULL;
		rc = KC_OK;
	}
	json_object_put(o);
	probe_free(&p);
	return rc;
}

int
route_connect_post(struct kc_ctx *ctx)
{
	struct store_access	 a;
	char			 err[256], key[APIKEY_MAX + 1];
	const char		*action, *in_key, *metric, *method;
	int			 rc;

	if ((rc = ctx_store_access(ctx, STORE_MANAGE, &a)) != KC_OK)
		return rc;
	if ((rc = json_check_fields(ctx->body, connect_fields,
	    nconnect_fields, err, sizeof(err))) != KC_OK) {
		rc = ctx_fail(ctx, rc, err);
		goto out;
	}
	action = json_get_str(ctx->body, "action");
	in_key = json_get_str(ctx->body, "apiKey");
	metric = json_get_str(ctx->body, "conversionMetricId");
	method = json_get_str(ctx->body, "method");
	if (action && strcmp(action, "test") != 0) {
		rc = ctx_fail(ctx, KC_ERR_BAD_INPUT, "Field 'action' must be "
		    "\"test\" (or absent to connect)");
		goto out;
	}
	if (method && strcmp(method, "api_key") != 0 &&
	    strcmp(method, "oauth") != 0) {
		rc = ctx_fail(ctx, KC_ERR_BAD_INPUT, "Field 'method' must be "
		    "\"api_key\" or \"oauth\"");
		goto out;
	}
	/* Metric ids have the shape of store ids: 1-64 of [A-Za-z0-9_-]. */
	if (metric && !action && !perm_public_id_valid(metric)) {
		rc = ctx_fail(ctx, KC_ERR_BAD_INPUT, "Field "
		    "'conversionMetricId' must be a Klaviyo metric id");
		goto out;
	}
	if (method && strcmp(method, "oauth") == 0) {
		if (in_key)
			rc = ctx_fail(ctx, KC_ERR_BAD_INPUT, "Field 'apiKey' "
			    "is not used with method \"oauth\"");
		else if (ctx->oauth == NULL)
			rc = ctx_fail_code(ctx, KC_ERR_NOT_FOUND,
			    "oauth_not_configured", OAUTH_OFF_MSG);
		else if (action)
			rc = do_oauth_test(ctx, &a);
		else if (metric)
			rc = do_oauth_connect(ctx, &a, metric);
		else
			rc = ctx_fail(ctx, KC_ERR_BAD_INPUT, "Field "
			    "'conversionMetricId' is required to connect "
			    "(or send action \"test\" to list metrics)");
	} else if (action || in_key) {
		if (in_key == NULL) {
			rc = ctx_fail(ctx, KC_ERR_BAD_INPUT, "Field 'apiKey' "
			    "is required");
			goto out;
		}
		if ((rc = check_key(ctx, in_key, key, sizeof(key))) != KC_OK)
			goto out;
		if (action)
			rc = do_test(ctx, &a, key, 0);
		else if (metric)
			rc = do_connect(ctx, &a, key, metric);
		else
			rc = ctx_fail(ctx, KC_ERR_BAD_INPUT, "Field "
			    "'conversionMetricId' is required to connect "
			    "(or send action \"test\" to list metrics)");
	} else if (metric)
		rc = do_change_metric(ctx, &a, metric);
	else
		rc = ctx_fail(ctx, KC_ERR_BAD_INPUT, "Send {apiKey, action: "
		    "\"test\"} to test a key, {apiKey, conversionMetricId} to "
		    "connect, {method: \"oauth\", ...} after authorizing with "
		    "Klaviyo, or {conversionMetricId} to change the metric");
out:
	crypto_wipe(key, sizeof(key));
	perm_access_clear(&a);
	return rc;
}

int
route_connect_delete(struct kc_ctx *ctx)
{
	struct connect_actor	 act = actor_of(ctx);
	struct store_access	 a;
	struct kc_cred		 old;
	struct json_object	*o;
	int			 rc, was, had_old;

	if ((rc = ctx_store_access(ctx, STORE_MANAGE, &a)) != KC_OK)
		return rc;
	/*
	 * An OAuth grant is read before it is deleted and revoked at Klaviyo
	 * once the disconnect committed: a disconnect refused inside its
	 * transaction (access revoked meanwhile) leaves it working.
	 */
	had_old = cred_peek(ctx->db, ctx->keyring, a.store_id, a.public_id,
	    &old) == KC_OK;
	rc = connect_remove(&act, &a, &was);
	if (rc != KC_OK)
		rc = ctx_access_lost(ctx, &a, rc);
	perm_access_clear(&a);
	if (had_old) {
		if (rc == KC_OK)
			cred_revoke(&old, ctx->oauth);
		cred_close(&old);
	}
	if (rc != KC_OK)
		return rc;
	if ((o = json_object_new_object()) == NULL ||
	    json_add_bool(o, "success", 1) != KC_OK ||
	    json_add_str(o, "message", was ? "Klaviyo disconnected" :
	    "Klaviyo was not connected") != KC_OK ||
	    json_add_bool(o, "was_connected", was) != KC_OK) {
		json_object_put(o);
		return KC_ERR_NOMEM;
	}
	ctx_reply(ctx, 200, o);
	return KC_OK;
}
