/*
 * /oauth/token (authorization_code with PKCE S256, refresh_token with
 * rotation) and /oauth/revoke (RFC 7009) of klaviyo-sandbox: HTTP Basic
 * client authentication and JSON answers.
 */
#include "oauth_impl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "json_util.h"
#include "log.h"
#include "sandbox.h"

/* /oauth/token and /oauth/revoke: JSON answers. */

/* base64url(SHA-256(verifier)) == challenge. */
static int
pkce_ok(const char *verifier, const char *challenge)
{
	unsigned char	 md[32];
	char		 b64[4 * ((sizeof(md) + 2) / 3) + 1];
	size_t		 n;
	int		 ok = 0;

	if (!oa_pkce_string_ok(verifier))
		return 0;
	crypto_sha256(verifier, strlen(verifier), md);
	if (crypto_b64url_encode(md, sizeof(md), b64, sizeof(b64)) ==
	    KC_OK) {
		n = strlen(b64);
		ok = n == strlen(challenge) && crypto_equal(b64, challenge, n);
	}
	crypto_wipe(md, sizeof(md));
	return ok;
}

static int
reply_oauth_json(struct sbx_resp *resp, int status, struct json_object *o)
{
	const char	*s;
	int		 rc;

	if ((rc = sbx_resp_header(resp, "Cache-Control", "no-store")) !=
	    KC_OK ||
	    (rc = sbx_resp_header(resp, "Pragma", "no-cache")) != KC_OK)
		return rc;
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s == NULL)
		return KC_ERR_NOMEM;
	return sbx_resp_set_body(resp, status, "application/json", s,
	    strlen(s));
}

int
oa_reply_error(struct sbx_resp *resp, int status, const char *error,
    const char *desc)
{
	struct json_object	*o;
	int			 rc = KC_ERR_NOMEM;

	if (status == 401 && (rc = sbx_resp_header(resp, "WWW-Authenticate",
	    "Basic realm=\"klaviyo-sandbox\"")) != KC_OK)
		return rc;
	if ((o = json_object_new_object()) == NULL)
		return KC_ERR_NOMEM;
	if (json_add_str(o, "error", error) == KC_OK &&
	    (desc == NULL || json_add_str(o, "error_description", desc) ==
	    KC_OK))
		rc = reply_oauth_json(resp, status, o);
	json_object_put(o);
	return rc;
}

/* Compares what Basic carried with the client, raw or form-decoded. */
static int
client_matches(const struct sbx_oauth *o, const char *id, size_t idlen,
    const char *secret)
{
	char	 did[CLIENT_ID_MAX + 1], dsec[SECRET_MAX + 1];
	size_t	 slen = strlen(o->secret);
	int	 ok = 0;

	if (idlen == strlen(o->client_id) && memcmp(id, o->client_id,
	    idlen) == 0 && strlen(secret) == slen && crypto_equal(secret,
	    o->secret, slen))
		return 1;
	/* RFC 6749 2.3.1: both are form-encoded before base64. */
	if (sbx_url_decode(id, idlen, did, sizeof(did)) &&
	    sbx_url_decode(secret, strlen(secret), dsec, sizeof(dsec)))
		ok = strcmp(did, o->client_id) == 0 && strlen(dsec) == slen &&
		    crypto_equal(dsec, o->secret, slen);
	crypto_wipe(dsec, sizeof(dsec));
	return ok;
}

/* HTTP Basic client authentication; *why says what is wrong. */
static int
client_auth(const struct sbx_oauth *o, const struct sbx_req *req,
    const char **why)
{
	const char	*h = sbx_req_header(req, "Authorization");
	unsigned char	 dec[512];
	char		*colon;
	size_t		 n = 0;
	int		 ok = 0;

	*why = "Client authentication failed: send Authorization: Basic "
	    "base64(client_id:client_secret).";
	if (h == NULL)
		return 0;
	while (*h == ' ')
		h++;
	if (strncasecmp(h, "Basic ", 6) != 0) {
		*why = "Client authentication failed: only HTTP Basic is "
		    "supported.";
		return 0;
	}
	h += 6;
	while (*h == ' ')
		h++;
	if (strlen(h) > 4 * ((sizeof(dec) - 1) / 3) ||
	    crypto_b64_decode(h, dec, sizeof(dec) - 1, &n) != KC_OK ||
	    memchr(dec, '\0', n) != NULL) {
		*why = "Client authentication failed: the Basic credentials "
		    "are not base64.";
		goto out;
	}
	dec[n] = '\0';
	if ((colon = strchr((char *)dec, ':')) == NULL) {
		*why = "Client authentication failed: the Basic credentials "
		    "are not client_id:client_secret.";
		goto out;
	}
	ok = client_matches(o, (char *)dec, (size_t)(colon - (char *)dec),
	    colon + 1);
	if (!ok)
		*why = "Client authentication failed: unknown client or wrong "
		    "secret.";
out:
	crypto_wipe(dec, sizeof(dec));
	return ok;
}

/* The token answer (RFC 6749 5.1). */
static int
reply_tokens(struct sbx_oauth *o, struct sbx_resp *resp,
    const struct oa_grant *g, const char *access)
{
	struct json_object	*j;
	char			 s[SCOPES_STR_MAX];
	int			 rc = KC_ERR_NOMEM;

	oa_scopes_str(g->scopes, s, sizeof(s));
	if ((j = json_object_new_object()) == NULL)
		return KC_ERR_NOMEM;
	if (json_add_str(j, "access_token", access) == KC_OK &&
	    json_add_str(j, "token_type", "Bearer") == KC_OK &&
	    json_add_int(j, "expires_in", o->ttl) == KC_OK &&
	    json_add_str(j, "refresh_token", g->refresh) == KC_OK &&
	    json_add_str(j, "scope", s) == KC_OK)
		rc = reply_oauth_json(resp, 200, j);
	json_object_put(j);
	return rc;
}

static int
token_code(struct sbx_app *app, const struct sbx_query *q,
    struct sbx_resp *resp)
{
	struct sbx_oauth	*o = app->oauth;
	struct oa_code		*c;
	struct oa_grant		*g;
	const char		*code, *verifier, *ru;
	char			 access[TOKEN_MAX];
	uint64_t		 now = sbx_now_us();
	size_t			 gi;
	int			 rc;

	code = sbx_query_get(q, "code");
	verifier = sbx_query_get(q, "code_verifier");
	ru = sbx_query_get(q, "redirect_uri");
	if (code == NULL || *code == '\0')
		return oa_reply_error(resp, 400, "invalid_request",
		    "code is missing.");
	if (ru == NULL || *ru == '\0')
		return oa_reply_error(resp, 400, "invalid_request",
		    "redirect_uri is missing.");
	if (verifier == NULL || *verifier == '\0')
		return oa_reply_error(resp, 400, "invalid_request",
		    "code_verifier is missing (PKCE is required).");
	if ((c = oa_code_find(o, code)) != NULL && c->grant != 0) {
		/* RFC 6749 10.5: a code used twice revokes its grant. */
		oa_grant_revoke(&o->grants[c->grant - 1], "code_reuse");
		log_warnx("oauth: an authorization code was used twice; "
		    "grant g%zu revoked", c->grant);
		return oa_reply_error(resp, 400, "invalid_grant",
		    "The authorization code was already used; the tokens "
		    "issued for it are revoked.");
	}
	if (c == NULL || now >= c->expires_us)
		return oa_reply_error(resp, 400, "invalid_grant",
		    "The authorization code is invalid or expired.");
	if (strcmp(ru, c->redirect_uri) != 0)
		return oa_reply_error(resp, 400, "invalid_grant",
		    "redirect_uri does not match the authorization request.");
	if (!pkce_ok(verifier, c->challenge))
		return oa_reply_error(resp, 400, "invalid_grant",
		    "Invalid code verifier");
	rc = oa_grant_new(o, c->acc, c->scopes, &gi);
	if (rc == KC_ERR_CONFLICT)
		return oa_reply_error(resp, 503, "temporarily_unavailable",
		    "Too many grants; DELETE /__sandbox/oauth.");
	if (rc != KC_OK)
		return rc;
	c->grant = gi + 1;
	g = &o->grants[gi];
	if ((rc = oa_grant_issue_access(o, g, now, access, sizeof(access))) ==
	    KC_OK)
		rc = reply_tokens(o, resp, g, access);
	crypto_wipe(access, sizeof(access));
	return rc;
}

static int
token_refresh(struct sbx_app *app, const struct sbx_query *q,
    struct sbx_resp *resp)
{
	struct sbx_oauth	*o = app->oauth;
	struct oa_grant		*g;
	const char		*rt;
	char			 access[TOKEN_MAX], fresh[TOKEN_MAX];
	int			 rc;

	if ((rt = sbx_query_get(q, "refresh_token")) == NULL || *rt == '\0')
		return oa_reply_error(resp, 400, "invalid_request",
		    "refresh_token is missing.");
	if ((g = oa_grant_by_refresh(o, rt)) == NULL)
		return oa_reply_error(resp, 400, "invalid_grant",
		    "refresh token is invalid, expired or revoked");
	if (o->rotate) {
		if ((rc = oa_random_token("krt_", fresh, sizeof(fresh))) !=
		    KC_OK)
			return rc;
		memcpy(g->refresh, fresh, sizeof(g->refresh));
		crypto_wipe(fresh, sizeof(fresh));
	}
	g->refreshes++;
	if ((rc = oa_grant_issue_access(o, g, sbx_now_us(), access,
	    sizeof(access))) == KC_OK)
		rc = reply_tokens(o, resp, g, access);
	crypto_wipe(access, sizeof(access));
	return rc;
}

/* Only [a-z0-9_:.-] of a grant_type reach the request log. */
static void
log_grant_type(const char *s, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < outlen; i++)
		out[i] = isalnum((unsigned char)s[i]) || strchr("_:.-",
		    s[i]) != NULL ? s[i] : '?';
	out[i] = '\0';
}

/*
 * What /oauth/token and /oauth/revoke share: POST, a form body, Basic
 * client authentication.  KC_ERR_BAD_INPUT when the answer is sent.
 */
static int
token_request(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp, struct sbx_query *q, char *gt, size_t gtlen)
{
	const char	*why, *type;
	char		 err[256];
	int		 rc;

	memset(q, 0, sizeof(*q));
	if (strcmp(req->method, "POST") != 0) {
		if ((rc = sbx_resp_header(resp, "Allow", "POST")) != KC_OK ||
		    (rc = oa_reply_error(resp, 405, "invalid_request",
		    "Use POST.")) != KC_OK)
			return rc;
		return KC_ERR_BAD_INPUT;
	}
	if ((rc = oa_form_parse(req, q, err, sizeof(err))) != KC_OK) {
		if (rc == KC_ERR_NOMEM ||
		    (rc = oa_reply_error(resp, 400, "invalid_request",
		    err)) != KC_OK)
			return rc;
		return KC_ERR_BAD_INPUT;
	}
	/* The grant type is logged even when the request is refused. */
	if (gt != NULL && (type = sbx_query_get(q, "grant_type")) != NULL)
		log_grant_type(type, gt, gtlen);
	if (!client_auth(app->oauth, req, &why))
		rc = oa_reply_error(resp, 401, "invalid_client", why);
	else if (sbx_query_get(q, "client_secret") != NULL)
		rc = oa_reply_error(resp, 400, "invalid_request", "Send "
		    "the client secret in the Authorization header only.");
	else if (sbx_query_get(q, "client_id") != NULL &&
	    strcmp(sbx_query_get(q, "client_id"), app->oauth->client_id) !=
	    0)
		rc = oa_reply_error(resp, 401, "invalid_client",
		    "client_id does not match the authenticated client.");
	else
		return KC_OK;
	oa_form_free(q);
	return rc == KC_OK ? KC_ERR_BAD_INPUT : rc;
}

int
oa_token_endpoint(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp, char *gt, size_t gtlen)
{
	struct sbx_query	 q;
	const char		*type;
	int			 rc;

	if ((rc = token_request(app, req, resp, &q, gt, gtlen)) != KC_OK)
		return rc == KC_ERR_BAD_INPUT ? KC_OK : rc;
	if ((type = sbx_query_get(&q, "grant_type")) == NULL)
		rc = oa_reply_error(resp, 400, "invalid_request",
		    "grant_type is missing.");
	else {
		if (strcmp(type, "authorization_code") == 0)
			rc = token_code(app, &q, resp);
		else if (strcmp(type, "refresh_token") == 0)
			rc = token_refresh(app, &q, resp);
		else
			rc = oa_reply_error(resp, 400,
			    "unsupported_grant_type", "grant_type must be "
			    "authorization_code or refresh_token.");
	}
	oa_form_free(&q);
	return rc;
}

/* RFC 7009: whatever the token, 200 {}. */
int
oa_revoke_endpoint(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp)
{
	struct sbx_oauth	*o = app->oauth;
	struct sbx_query	 q;
	struct oa_grant		*g;
	struct oa_access	*a;
	struct json_object	*j;
	const char		*tok;
	int			 rc;

	if ((rc = token_request(app, req, resp, &q, NULL, 0)) != KC_OK)
		return rc == KC_ERR_BAD_INPUT ? KC_OK : rc;
	if ((tok = sbx_query_get(&q, "token")) == NULL || *tok == '\0') {
		rc = oa_reply_error(resp, 400, "invalid_request",
		    "token is missing.");
		goto out;
	}
	/* token_type_hint is only a hint: both kinds are looked up. */
	if ((g = oa_grant_by_refresh(o, tok)) != NULL)
		oa_grant_revoke(g, "client");
	else if ((a = oa_access_find(o, tok)) != NULL)
		a->revoked = 1;
	if ((j = json_object_new_object()) == NULL) {
		rc = KC_ERR_NOMEM;
		goto out;
	}
	rc = reply_oauth_json(resp, 200, j);
	json_object_put(j);
out:
	oa_form_free(&q);
	return rc;
}
