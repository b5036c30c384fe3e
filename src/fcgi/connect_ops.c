/*
 * The connect operations shared by route_connect.c (the seed's routes,
 * on the primary connection) and route_accounts.c; see connect_ops.h.
 */
#include "connect_ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apikey.h"
#include "audit.h"
#include "crypto.h"
#include "dispatch.h"
#include "integration.h"
#include "json_util.h"
#include "log.h"
#include "metrics.h"
#include "oauth_cred.h"
#include "oauth_flow.h"
#include "routes.h"
#include "sync_status.h"
#include "webhook.h"
#include "webhook_klaviyo.h"

#define NOT_AUTHORIZED_MSG "Authorize with Klaviyo first (an " \
	"authorization is kept for 30 minutes; start again if it expired)"

struct connect_actor
actor_of(const struct kc_ctx *ctx)
{
	struct connect_actor act = { ctx->db, ctx->keyring, ctx->user.id,
	    ctx->req->remote_addr };

	return act;
}

struct conn_ref
conn_ref_primary(const struct store_access *a)
{
	struct conn_ref r;

	memset(&r, 0, sizeof(r));
	r.t.kind = CONNECT_PRIMARY;
	r.conn_id = a->primary_id;
	r.doc = a->integration;
	return r;
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

int
connect_ops_reply_account(struct kc_ctx *ctx, int status,
    const struct connect_result *r, const char *msg)
{
	struct json_object	*o = NULL, *acc = NULL;
	int			 rc;

	if ((o = json_object_new_object()) == NULL ||
	    (acc = json_object_new_object()) == NULL ||
	    json_add_bool(o, "success", 1) != KC_OK ||
	    json_add_str(o, "message", msg) != KC_OK ||
	    json_add_str(acc, "id", r->conn_public_id) != KC_OK ||
	    json_add_bool(acc, "primary", r->primary) != KC_OK ||
	    json_add_obj(acc, "klaviyo_integration",
	    json_object_get(r->integration)) != KC_OK) {
		json_object_put(acc);
		json_object_put(o);
		return KC_ERR_NOMEM;
	}
	/* json_add_obj owns acc from here, even when it fails. */
	if ((rc = json_add_obj(o, "account", acc)) != KC_OK) {
		json_object_put(o);
		return rc;
	}
	ctx_reply(ctx, status, o);
	return KC_OK;
}

static int
reply_done(struct kc_ctx *ctx, const struct conn_ref *ref,
    struct connect_result *r, const char *msg)
{
	if (ref->t.kind == CONNECT_PRIMARY)
		return reply_saved(ctx, r, msg);
	return connect_ops_reply_account(ctx, ref->t.kind == CONNECT_ADD ?
	    201 : 200, r, msg);
}

/* A refused save: the access lost meanwhile, or a state conflict. */
static int
save_failed(struct kc_ctx *ctx, const struct store_access *a,
    const struct conn_ref *ref, const struct connect_result *r, int rc)
{
	if (rc == KC_ERR_NOT_FOUND && ref->t.kind == CONNECT_ONE)
		return ctx_fail_code(ctx, rc, "account_not_found", "This "
		    "Klaviyo account is no longer connected to the store");
	if (rc == KC_ERR_NOT_FOUND || rc == KC_ERR_FORBIDDEN)
		return ctx_access_lost(ctx, a, rc);
	if (rc != KC_ERR_CONFLICT || r->conflict == NULL)
		return ctx_fail(ctx, rc, NULL);
	if (strcmp(r->conflict, "account_already_connected") == 0)
		return ctx_fail_code(ctx, rc, r->conflict, "This Klaviyo "
		    "account is already connected to this store");
	if (strcmp(r->conflict, "account_mismatch") == 0)
		return ctx_fail_code(ctx, rc, r->conflict, "This key belongs "
		    "to another Klaviyo account; add it as another account "
		    "instead");
	/* The seed's route answers its own code here, "conflict". */
	return ctx_fail_code(ctx, rc, ref->t.kind == CONNECT_PRIMARY ? NULL :
	    r->conflict, "Klaviyo is not connected for this store; send "
	    "apiKey as well");
}

/* The conversion metric or account ref's connection has now, or NULL. */
static const char *
stored_field(const struct conn_ref *ref, int account)
{
	static char		v[129];
	struct integration	in;
	const char		*f;

	v[0] = '\0';
	if (ref->doc && integ_parse(ref->doc, &in) == KC_OK) {
		f = account ? in.account_id : in.metric.id;
		if (f)
			snprintf(v, sizeof(v), "%s", f);
		integ_clear(&in);
	}
	return v[0] ? v : NULL;
}

/*
 * Probes the credential (a key, or an OAuth access token), checks the
 * metric and saves the connection; an OAuth grant it replaces is then
 * revoked at Klaviyo.  new_refresh: the new grant's refresh token.
 */
static int
connect_with(struct kc_ctx *ctx, const struct store_access *a,
    const struct conn_ref *ref, const struct connect_cred *cred,
    const char *probe_cred, const char *new_refresh, const char *metric_id)
{
	struct connect_actor	 act = actor_of(ctx);
	struct probe		 p;
	struct connect_result	 r;
	struct kc_cred		 old;
	struct webhook_forget	 wf;
	struct json_object	*m;
	const char		*acct;
	int			 rc, bearer = strcmp(cred->kind, "oauth") == 0;
	int			 had_old;

	memset(&r, 0, sizeof(r));
	rc = probe_run(ctx->db, ctx->kv, probe_cred, bearer, PROBE_CONNECT,
	    ctx->cfg->klaviyo_probe_cache_seconds, &p);
	if (rc != KC_OK) {
		audit_probe(ctx, a, "connect", cred->hint, &p, rc);
		return probe_fail(ctx, rc, &p);
	}
	/* A connection's key is replaced by one of the same account only. */
	if (ref->t.kind == CONNECT_ONE && ((acct = stored_field(ref, 1)) ==
	    NULL || strcmp(acct, json_get_str(p.account, "id")) != 0)) {
		probe_free(&p);
		return ctx_fail_code(ctx, KC_ERR_CONFLICT, "account_mismatch",
		    "This key belongs to another Klaviyo account; add it as "
		    "another account instead");
	}
	/* A rotated key keeps the metric chosen before. */
	if (metric_id == NULL && (metric_id = stored_field(ref, 0)) == NULL)
		metric_id = "";
	if ((m = metrics_find(p.metrics, metric_id)) == NULL) {
		probe_free(&p);
		return unknown_metric(ctx);
	}
	had_old = ref->conn_id && cred_peek(ctx->db, ctx->keyring,
	    ref->conn_id, a->public_id, &old) == KC_OK;
	memset(&wf, 0, sizeof(wf));
	if (had_old && webhook_forget_load(ctx->db, ref->conn_id, &wf) !=
	    KC_OK)
		memset(&wf, 0, sizeof(wf));
	rc = connect_save(&act, a, &ref->t, cred, p.account, m, &r);
	if (rc == KC_ERR_CONFLICT && r.conflict == NULL && cred->oauth_flow)
		rc = ctx_fail_code(ctx, rc, "oauth_not_authorized",
		    "This Klaviyo authorization was already used; "
		    NOT_AUTHORIZED_MSG);
	else if (rc != KC_OK)
		rc = save_failed(ctx, a, ref, &r, rc);
	else
		rc = reply_done(ctx, ref, &r, ref->t.kind == CONNECT_ADD ?
		    "Klaviyo account added" : !r.rotated ? "Klaviyo connected "
		    "successfully" : bearer ? "Klaviyo authorization updated" :
		    "Klaviyo API key updated");
	/* Only the grant of the connection whose credential was replaced. */
	if (r.conn_id != ref->conn_id && had_old) {
		cred_close(&old);
		had_old = 0;
	}
	/* Moved to another account: the old one's webhook goes with it. */
	if (rc == KC_OK && had_old && !r.rotated)
		(void)webhook_forget_send(ctx->db, ctx->kv, &old, &wf,
		    a->public_id);
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
do_connect(struct kc_ctx *ctx, const struct store_access *a,
    const struct conn_ref *ref, const char *key, const char *metric_id)
{
	struct connect_cred	cred;
	char			hint[APIKEY_HINT_MAX];

	apikey_hint(key, hint, sizeof(hint));
	memset(&cred, 0, sizeof(cred));
	cred.kind = "api_key";
	cred.secret = key;
	cred.hint = hint;
	return connect_with(ctx, a, ref, &cred, key, NULL, metric_id);
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
    const struct conn_ref *ref, const char *metric_id)
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
		rc = connect_with(ctx, a, ref, &cred, tok.access, tok.refresh,
		    metric_id);
	}
	oauth_wipe_free(blob);
	oauth_tokens_free(&tok);
	oauth_flow_free(&f);
	return rc;
}

int
connect_ops_stored_metrics(struct kc_ctx *ctx, const struct store_access *a,
    const struct conn_ref *ref, struct probe *p)
{
	struct kc_cred		c;
	struct oauth_error	e;
	struct integration	in;
	char			acct[96];
	const char		*id = NULL;
	int			rc;

	memset(p, 0, sizeof(*p));
	/* The connected account's limits, whatever the credential. */
	if (ref->doc && integ_parse(ref->doc, &in) == KC_OK)
		id = in.account_id;
	snprintf(acct, sizeof(acct), "acct:%.80s", id ? id : "");
	integ_clear(&in);
	id = acct[5] ? acct : NULL;
	/* Only the seed's primary target has none: its code, "conflict". */
	if (ref->conn_id == 0)
		return ctx_fail(ctx, KC_ERR_CONFLICT, "Klaviyo is not "
		    "connected for this store; send apiKey as well");
	rc = cred_open(ctx->db, ctx->keyring, ctx->oauth, ref->conn_id,
	    a->public_id, &c, &e);
	if (rc == KC_ERR_NOT_FOUND)
		return ctx_fail(ctx, KC_ERR_CONFLICT, "Klaviyo is not "
		    "connected for this store; send apiKey as well");
	if (rc == KC_ERR_CRYPTO) {
		log_error("a credential of store %s does not decrypt",
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

int
connect_ops_change_metric(struct kc_ctx *ctx, const struct store_access *a,
    const struct conn_ref *ref, const char *metric_id)
{
	struct connect_actor	 act = actor_of(ctx);
	struct probe		 p;
	struct connect_result	 r;
	struct json_object	*m;
	int			 rc;

	memset(&r, 0, sizeof(r));
	if ((rc = connect_ops_stored_metrics(ctx, a, ref, &p)) != KC_OK)
		return rc;
	if ((m = metrics_find(p.metrics, metric_id)) == NULL)
		rc = unknown_metric(ctx);
	else if ((rc = connect_change_metric(&act, a, &ref->t, m, &r)) !=
	    KC_OK)
		rc = save_failed(ctx, a, ref, &r, rc);
	else
		rc = reply_done(ctx, ref, &r, "Conversion metric updated");
	connect_result_free(&r);
	probe_free(&p);
	return rc;
}


int
connect_ops_oauth_rotate(struct kc_ctx *ctx, const struct store_access *a,
    const struct conn_ref *ref)
{
	if (ctx->oauth == NULL)
		return ctx_fail_code(ctx, KC_ERR_NOT_FOUND,
		    "oauth_not_configured", OAUTH_OFF_MSG);
	return do_oauth_connect(ctx, a, ref, NULL);
}

int
connect_ops_rotate_key(struct kc_ctx *ctx, const struct store_access *a,
    const struct conn_ref *ref, const char *in_key)
{
	char	key[APIKEY_MAX + 1];
	int	rc;

	if ((rc = check_key(ctx, in_key, key, sizeof(key))) == KC_OK)
		rc = do_connect(ctx, a, ref, key, NULL);
	crypto_wipe(key, sizeof(key));
	return rc;
}

int
connect_ops_post(struct kc_ctx *ctx, const struct store_access *a,
    const struct conn_ref *ref)
{
	char		 err[256], key[APIKEY_MAX + 1];
	const char	*action, *in_key, *metric, *method;
	int		 rc;

	key[0] = '\0';
	if ((rc = json_check_fields(ctx->body, connect_fields,
	    nconnect_fields, err, sizeof(err))) != KC_OK)
		return ctx_fail(ctx, rc, err);
	action = json_get_str(ctx->body, "action");
	in_key = json_get_str(ctx->body, "apiKey");
	metric = json_get_str(ctx->body, "conversionMetricId");
	method = json_get_str(ctx->body, "method");
	if (action && strcmp(action, "test") != 0)
		return ctx_fail(ctx, KC_ERR_BAD_INPUT, "Field 'action' must "
		    "be \"test\" (or absent to connect)");
	if (method && strcmp(method, "api_key") != 0 &&
	    strcmp(method, "oauth") != 0)
		return ctx_fail(ctx, KC_ERR_BAD_INPUT, "Field 'method' must "
		    "be \"api_key\" or \"oauth\"");
	/* Metric ids have the shape of store ids: 1-64 of [A-Za-z0-9_-]. */
	if (metric && !action && !perm_public_id_valid(metric))
		return ctx_fail(ctx, KC_ERR_BAD_INPUT, "Field "
		    "'conversionMetricId' must be a Klaviyo metric id");
	if (method && strcmp(method, "oauth") == 0) {
		if (in_key)
			rc = ctx_fail(ctx, KC_ERR_BAD_INPUT, "Field 'apiKey' "
			    "is not used with method \"oauth\"");
		else if (ctx->oauth == NULL)
			rc = ctx_fail_code(ctx, KC_ERR_NOT_FOUND,
			    "oauth_not_configured", OAUTH_OFF_MSG);
		else if (action)
			rc = do_oauth_test(ctx, a);
		else if (metric)
			rc = do_oauth_connect(ctx, a, ref, metric);
		else
			rc = ctx_fail(ctx, KC_ERR_BAD_INPUT, "Field "
			    "'conversionMetricId' is required to connect "
			    "(or send action \"test\" to list metrics)");
	} else if (action || in_key) {
		if (in_key == NULL)
			return ctx_fail(ctx, KC_ERR_BAD_INPUT, "Field "
			    "'apiKey' is required");
		if ((rc = check_key(ctx, in_key, key, sizeof(key))) != KC_OK)
			return rc;
		if (action)
			rc = do_test(ctx, a, key, 0);
		else if (metric)
			rc = do_connect(ctx, a, ref, key, metric);
		else
			rc = ctx_fail(ctx, KC_ERR_BAD_INPUT, "Field "
			    "'conversionMetricId' is required to connect "
			    "(or send action \"test\" to list metrics)");
	} else if (metric && ref->t.kind != CONNECT_ADD)
		rc = connect_ops_change_metric(ctx, a, ref, metric);
	else if (ref->t.kind == CONNECT_ADD)
		rc = ctx_fail(ctx, KC_ERR_BAD_INPUT, "Send {apiKey, action: "
		    "\"test\"} to test a key, {apiKey, conversionMetricId} to "
		    "add its account, or {method: \"oauth\", ...} after "
		    "authorizing with Klaviyo");
	else
		rc = ctx_fail(ctx, KC_ERR_BAD_INPUT, "Send {apiKey, action: "
		    "\"test\"} to test a key, {apiKey, conversionMetricId} to "
		    "connect, {method: \"oauth\", ...} after authorizing with "
		    "Klaviyo, or {conversionMetricId} to change the metric");
	crypto_wipe(key, sizeof(key));
	return rc;
}

int
connect_ops_remove(struct kc_ctx *ctx, const struct store_access *a,
    const struct connect_target *t, long long conn_id, int *was)
{
	struct connect_actor	 act = actor_of(ctx);
	struct webhook_forget	 wf;
	struct kc_cred		 old;
	int			 rc, had_old;

	/*
	 * What is undone at Klaviyo is read before it is deleted and acted
	 * on once the removal committed: a removal refused inside its
	 * transaction (access revoked meanwhile) leaves both working.
	 */
	memset(&wf, 0, sizeof(wf));
	had_old = conn_id && cred_peek(ctx->db, ctx->keyring, conn_id,
	    a->public_id, &old) == KC_OK;
	if (had_old && webhook_forget_load(ctx->db, conn_id, &wf) != KC_OK)
		memset(&wf, 0, sizeof(wf));
	rc = connect_remove(&act, a, t, was);
	if (rc != KC_OK)
		rc = ctx_access_lost(ctx, a, rc);
	if (had_old) {
		if (rc == KC_OK && *was) {
			(void)webhook_forget_send(ctx->db, ctx->kv, &old, &wf,
			    a->public_id);
			cred_revoke(&old, ctx->oauth);
		}
		cred_close(&old);
	}
	return rc;
}

int
connect_ops_account_json(struct kc_ctx *ctx, const struct kconn *c,
    int can_manage, struct json_object **out)
{
	struct json_object	*st = NULL, *sync = NULL, *o = NULL, *v, *wh;
	const char		*sync_status = "idle";
	int			 rc;

	*out = NULL;
	if ((rc = sync_status_json(ctx->db, c->id, &sync, &sync_status)) !=
	    KC_OK)
		return rc;
	/* The seed's status document of this connection, taken apart. */
	if ((rc = integ_status_json(c->doc, sync, sync_status, can_manage,
	    &st)) != KC_OK)
		return rc;
	rc = KC_ERR_NOMEM;
	if ((o = json_object_new_object()) == NULL ||
	    json_add_str(o, "id", c->public_id) != KC_OK ||
	    json_add_bool(o, "primary", c->primary) != KC_OK ||
	    json_add_str(o, "created_at", c->created_at) != KC_OK)
		goto out;
	if (json_object_object_get_ex(st, "klaviyo_integration", &v) &&
	    json_add_obj(o, "klaviyo_integration", json_object_get(v)) !=
	    KC_OK)
		goto out;
	if (json_object_object_get_ex(st, "sync", &v) &&
	    json_add_obj(o, "sync", json_object_get(v)) != KC_OK)
		goto out;
	if ((rc = webhook_state_json(ctx->db, c->id, &wh)) != KC_OK ||
	    (rc = json_add_obj(o, "webhooks", wh)) != KC_OK)
		goto out;
	*out = o;
	o = NULL;
	rc = KC_OK;
out:
	json_object_put(o);
	json_object_put(st);
	return rc;
}

/* The route's store and its account {accountId}; 404 when either lacks. */
int
connect_ops_load_account(struct kc_ctx *ctx, int need, struct store_access *a,
    struct kconn *c)
{
	const char	*id = route_param(&ctx->params, "accountId");
	int		 rc;

	memset(c, 0, sizeof(*c));
	if ((rc = ctx_store_access(ctx, need, a)) != KC_OK)
		return rc;
	if ((rc = conn_find(ctx->db, a->store_id, id ? id : "", c)) ==
	    KC_OK)
		return KC_OK;
	perm_access_clear(a);
	if (rc == KC_ERR_NOT_FOUND)
		return ctx_fail_code(ctx, rc, "account_not_found", "No "
		    "Klaviyo account of this store has that id");
	return ctx_fail(ctx, rc, NULL);
}
