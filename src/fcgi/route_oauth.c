/*
 * Connecting with Klaviyo OAuth (authorization code + PKCE S256).
 *   GET /api/store/{storePublicId}/klaviyo-oauth/start
 *       manage_integrations: 302 to Klaviyo's consent page
 *   GET /api/klaviyo/oauth/callback?code&state (or ?error&state)
 *       the browser coming back: state checked and consumed, the code
 *       exchanged, the account read; 302 back to the connect page, where
 *       the user picks the metric and POSTs {method:"oauth", ...}.
 * Both are browser navigations, so the callback answers every outcome
 * with a redirect to a page that explains it (?oauth_error=<code>).
 */
#include "routes.h"

#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "buf.h"
#include "clock.h"
#include "crypto.h"
#include "dispatch.h"
#include "json_util.h"
#include "klaviyo.h"
#include "log.h"
#include "oauth.h"
#include "oauth_flow.h"
#include "probe.h"

static int
not_configured(struct kc_ctx *ctx)
{
	return ctx_fail_code(ctx, KC_ERR_NOT_FOUND, "oauth_not_configured",
	    OAUTH_OFF_MSG);
}

static void
audit_oauth(struct kc_ctx *ctx, long long store_id, const char *action,
    const char *outcome, const char *key, const char *value)
{
	struct json_object *d = json_object_new_object();

	if (d == NULL || (key && json_add_str(d, key, value) != KC_OK) ||
	    audit_log(ctx->db, ctx->user.id, store_id, action, outcome,
	    ctx->req->remote_addr, d) != KC_OK)
		log_warnx("cannot write the %s audit row", action);
	json_object_put(d);
}

int
route_oauth_start(struct kc_ctx *ctx)
{
	struct store_access	a;
	struct buf		url;
	char			state[OAUTH_STATE_LEN + 1];
	char			challenge[OAUTH_CHALLENGE_LEN + 1];
	int			rc;

	if (ctx->oauth == NULL)
		return not_configured(ctx);
	if ((rc = ctx_store_access(ctx, STORE_MANAGE, &a)) != KC_OK)
		return rc;
	buf_init(&url, 8192);
	if ((rc = oauth_flow_start(ctx->db, ctx->keyring, ctx->user.id,
	    a.store_id, a.public_id, state, challenge)) != KC_OK ||
	    (rc = oauth_authorize_url(ctx->oauth, state, challenge, &url)) !=
	    KC_OK) {
		rc = ctx_fail(ctx, rc, NULL);
		goto out;
	}
	audit_oauth(ctx, a.store_id, "oauth_start", "success", NULL, NULL);
	rc = ctx_redirect(ctx, buf_cstr(&url));
out:
	crypto_wipe(state, sizeof(state));
	buf_free(&url);
	perm_access_clear(&a);
	return rc;
}

/* Back to the store's connect page, or home when the store is unknown. */
static int
back(struct kc_ctx *ctx, const char *store, const char *param,
    const char *code)
{
	char where[256];

	/* The callback's own error (no session...) is replaced. */
	http_resp_reset(ctx->resp);
	if (store)
		snprintf(where, sizeof(where), "/store/%s/klaviyo-connect?%s=%s",
		    store, param, code);
	else
		snprintf(where, sizeof(where), "/?%s=%s", param, code);
	return ctx_redirect(ctx, where);
}

/* Klaviyo's ?error= value, kept to [a-z_] for the page and the log. */
static void
clean_code(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	for (; *in && o + 1 < outlen; in++)
		if ((*in >= 'a' && *in <= 'z') || *in == '_')
			out[o++] = *in;
	out[o] = '\0';
}

/*
 * After the state checked out: Klaviyo's answer, the code exchange and
 * the account; on success the grant waits for the metric.
 */
static int
finish_grant(struct kc_ctx *ctx, struct oauth_flow *f, const char *verifier)
{
	struct oauth_tokens	 tok;
	struct oauth_error	 e;
	struct probe		 p;
	char			 code[1024], kerr[64], clean[64];
	const char		*store = f->store_public_id;
	int			 rc;

	memset(&p, 0, sizeof(p));
	if (http_query_get(ctx->req->query, "error", kerr, sizeof(kerr)) ==
	    KC_OK) {
		clean_code(kerr, clean, sizeof(clean));
		audit_oauth(ctx, f->store_id, "oauth_authorize", "failure",
		    "error", clean);
		if (strcmp(clean, "access_denied") == 0)
			return back(ctx, store, "oauth_error", "access_denied");
		log_warnx("store %s: Klaviyo's authorization failed: %s",
		    store, clean);
		return back(ctx, store, "oauth_error", "oauth_failed");
	}
	if (http_query_get(ctx->req->query, "code", code, sizeof(code)) !=
	    KC_OK || code[0] == '\0')
		return back(ctx, store, "oauth_error", "oauth_failed");
	rc = oauth_exchange_code(ctx->oauth, code, verifier, &tok, &e);
	crypto_wipe(code, sizeof(code));
	if (rc != KC_OK) {
		log_warnx("store %s: OAuth code exchange failed: %s", store,
		    e.msg);
		audit_oauth(ctx, f->store_id, "oauth_authorize", "failure",
		    "error", e.code);
		return back(ctx, store, "oauth_error", e.code);
	}
	/*
	 * Not behind the Klaviyo gate (its 429 would be JSON, not the page
	 * this redirect owes the browser), but under the same deadline.
	 */
	kv_client_set_deadline(ctx->kv, kc_now_ms() +
	    ctx->cfg->klaviyo_request_deadline_ms);
	rc = probe_run(ctx->db, ctx->kv, tok.access, 1, PROBE_TEST,
	    ctx->cfg->klaviyo_probe_cache_seconds, &p);
	kv_client_set_deadline(ctx->kv, 0);
	if (rc == KC_OK)
		rc = oauth_flow_grant(ctx->db, ctx->keyring, f, &tok,
		    p.account);
	if (rc != KC_OK) {
		/* Tokens we will not keep must not stay valid. */
		if (oauth_revoke(ctx->oauth, tok.refresh, &e) != KC_OK)
			log_warnx("store %s: cannot revoke an unusable grant: "
			    "%s", store, e.msg);
		audit_oauth(ctx, f->store_id, "oauth_authorize", "failure",
		    "error", p.code[0] ? p.code : kc_err_code(rc));
		rc = back(ctx, store, "oauth_error", p.code[0] ? p.code :
		    kc_err_code(rc));
	} else {
		audit_oauth(ctx, f->store_id, "oauth_authorize", "success",
		    "account_id", json_get_str(p.account, "id"));
		rc = back(ctx, store, "oauth", "ready");
	}
	probe_free(&p);
	oauth_tokens_free(&tok);
	return rc;
}

int
route_oauth_callback(struct kc_ctx *ctx)
{
	struct oauth_flow	 f;
	struct store_access	 a;
	enum oauth_state_check	 check;
	char			 state[128], *verifier = NULL;
	int			 rc;

	if (ctx->oauth == NULL)
		return not_configured(ctx);
	if (ctx_authenticate(ctx) != KC_OK)
		return back(ctx, NULL, "oauth_error", "signed_out");
	if (http_query_get(ctx->req->query, "state", state, sizeof(state)) !=
	    KC_OK || strlen(state) != OAUTH_STATE_LEN)
		return back(ctx, NULL, "oauth_error", "oauth_state_unknown");
	rc = oauth_flow_take(ctx->db, ctx->keyring, state, ctx->user.id, &f,
	    &verifier, &check);
	crypto_wipe(state, sizeof(state));
	if (rc == KC_ERR_CRYPTO) {
		/*
		 * Sealed under a master key version no longer configured,
		 * or copied from another row (the AAD names the row).
		 */
		log_warnx("an OAuth attempt of store %s does not decrypt",
		    f.store_public_id);
		oauth_flow_free(&f);
		return back(ctx, NULL, "oauth_error", "oauth_failed");
	}
	if (rc != KC_OK)
		return back(ctx, NULL, "oauth_error", kc_err_code(rc));
	switch (check) {
	case OAUTH_STATE_UNKNOWN:
		return back(ctx, NULL, "oauth_error", "oauth_state_unknown");
	case OAUTH_STATE_OTHER_USER:
		/* Someone else's attempt: say nothing about the store. */
		audit_oauth(ctx, f.store_id, "oauth_callback", "denied",
		    "reason", "state of another user");
		oauth_flow_free(&f);
		return back(ctx, NULL, "oauth_error", "oauth_state_user");
	case OAUTH_STATE_USED:
		rc = back(ctx, f.store_public_id, "oauth_error",
		    "oauth_state_used");
		oauth_flow_free(&f);
		return rc;
	case OAUTH_STATE_EXPIRED:
		rc = back(ctx, f.store_public_id, "oauth_error",
		    "oauth_state_expired");
		oauth_flow_free(&f);
		return rc;
	case OAUTH_STATE_OK:
		break;
	}
	/* The role may have changed while the user was at Klaviyo. */
	rc = perm_store_access(ctx->db, ctx->user.id, f.store_public_id, &a);
	if (rc == KC_OK && !perm_can_manage(a.level, a.manage_integrations))
		rc = KC_ERR_FORBIDDEN;
	if (rc == KC_OK)
		rc = finish_grant(ctx, &f, verifier);
	else if (rc == KC_ERR_FORBIDDEN || rc == KC_ERR_NOT_FOUND)
		rc = back(ctx, NULL, "oauth_error", "forbidden");
	else
		rc = back(ctx, NULL, "oauth_error", kc_err_code(rc));
	perm_access_clear(&a);
	oauth_wipe_free(verifier);
	oauth_flow_free(&f);
	return rc;
}
