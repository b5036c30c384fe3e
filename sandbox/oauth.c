/*
 * OAuth 2.0 of klaviyo-sandbox; see oauth.h and docs/SANDBOX.md.  This
 * file holds the state (grants, codes, tokens, scopes), form decoding
 * and the /oauth/ dispatch; oauth_authorize.c, oauth_token.c and
 * oauth_ctl.c the rest.
 *
 *   GET  /oauth/authorize  checks the request, answers the consent page
 *   POST /oauth/authorize  that page's form: deny, or allow -> a code
 *   POST /oauth/token      authorization_code (+ PKCE S256), refresh_token
 *   POST /oauth/revoke     RFC 7009
 *
 * A bad client_id or redirect_uri is a 400 page that goes nowhere (RFC
 * 6749 4.1.2.1: never redirect to a URI that was not checked); every
 * other problem goes back to redirect_uri with error=.  Codes and
 * tokens are random base64url; they never reach a log and are wiped
 * when freed.  Lifetimes are real seconds (--time-scale scales rate
 * limits only).
 */
#include "oauth_impl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "crypto.h"
#include "json_util.h"
#include "log.h"
#include "sandbox.h"

int
oa_unreserved(int c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

int
sbx_oauth_client_ok(const char *s)
{
	const char	*colon, *p;
	size_t		 idlen, slen;

	if (s == NULL || (colon = strchr(s, ':')) == NULL)
		return 0;
	idlen = (size_t)(colon - s);
	slen = strlen(colon + 1);
	if (idlen == 0 || idlen > CLIENT_ID_MAX || slen == 0 ||
	    slen > SECRET_MAX)
		return 0;
	for (p = s; p < colon; p++)
		if (!oa_unreserved((unsigned char)*p))
			return 0;
	for (p = colon + 1; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return 0;
	return 1;
}

int
sbx_oauth_new(const char *client, long ttl, struct sbx_oauth **out)
{
	struct sbx_oauth	*o;
	const char		*colon;

	*out = NULL;
	if (ttl < 1 || ttl > SBX_OAUTH_TTL_MAX)
		return KC_ERR_CONFIG;
	if (client != NULL && !sbx_oauth_client_ok(client))
		return KC_ERR_CONFIG;
	if ((o = calloc(1, sizeof(*o))) == NULL)
		return KC_ERR_NOMEM;
	o->ttl = o->ttl0 = ttl;
	o->rotate = 1;
	if (client != NULL) {
		colon = strchr(client, ':');
		memcpy(o->client_id, client, (size_t)(colon - client));
		snprintf(o->secret, sizeof(o->secret), "%s", colon + 1);
		o->enabled = 1;
	}
	*out = o;
	return KC_OK;
}

static void
code_wipe(struct oa_code *c)
{
	free(c->redirect_uri);
	crypto_wipe(c, sizeof(*c));
}

/* Forgets every grant and code. */
void
oa_clear(struct sbx_oauth *o)
{
	struct oa_grant	*g;
	size_t		 i;

	for (i = 0; i < o->ngrants; i++) {
		g = &o->grants[i];
		crypto_wipe(g->access, g->capaccess * sizeof(*g->access));
		free(g->access);
	}
	crypto_wipe(o->grants, o->capgrants * sizeof(*o->grants));
	free(o->grants);
	o->grants = NULL;
	o->ngrants = o->capgrants = 0;
	for (i = 0; i < o->ncodes; i++)
		code_wipe(&o->codes[i]);
	free(o->codes);
	o->codes = NULL;
	o->ncodes = o->capcodes = 0;
}

void
sbx_oauth_free(struct sbx_oauth *o)
{
	if (o == NULL)
		return;
	oa_clear(o);
	crypto_wipe(o, sizeof(*o));
	free(o);
}

/*
 * Room for one more element of an array that holds secrets: a copy
 * (the old block is wiped, never left behind by realloc).
 */
static int
grow(void **arr, size_t n, size_t *cap, size_t size)
{
	void	*na;
	size_t	 ncap;

	if (n < *cap)
		return KC_OK;
	ncap = *cap ? *cap * 2 : 8;
	if ((na = calloc(ncap, size)) == NULL)
		return KC_ERR_NOMEM;
	if (*arr != NULL) {
		memcpy(na, *arr, n * size);
		crypto_wipe(*arr, *cap * size);
		free(*arr);
	}
	*arr = na;
	*cap = ncap;
	return KC_OK;
}

/* prefix + 43 random base64url characters. */
int
oa_random_token(const char *prefix, char *out, size_t outlen)
{
	unsigned char	 raw[RANDOM_BYTES];
	char		 b64[4 * ((RANDOM_BYTES + 2) / 3) + 1];
	int		 rc;

	if ((rc = crypto_random(raw, sizeof(raw))) == KC_OK &&
	    (rc = crypto_b64url_encode(raw, sizeof(raw), b64,
	    sizeof(b64))) == KC_OK &&
	    snprintf(out, outlen, "%s%s", prefix, b64) >= (int)outlen)
		rc = KC_ERR_INTERNAL;
	crypto_wipe(raw, sizeof(raw));
	crypto_wipe(b64, sizeof(b64));
	return rc;
}

int
oa_access_live(const struct oa_access *a, uint64_t now)
{
	return !a->revoked && now < a->expires_us;
}

int
sbx_oauth_bearer(const struct sbx_oauth *o, const char *token,
    uint64_t now, size_t *acc, unsigned *scopes)
{
	const struct oa_grant	*g;
	size_t			 i, j;

	if (o == NULL || token == NULL || strncmp(token, "kat_", 4) != 0)
		return 0;
	for (i = 0; i < o->ngrants; i++) {
		g = &o->grants[i];
		if (g->revoked_by != NULL)
			continue;
		for (j = 0; j < g->naccess; j++) {
			if (strcmp(g->access[j].token, token) != 0)
				continue;
			if (!oa_access_live(&g->access[j], now))
				return 0;
			*acc = g->acc;
			*scopes = g->scopes;
			return 1;
		}
	}
	return 0;
}

/* A new access token of g, valid o->ttl seconds from now. */
int
oa_grant_issue_access(struct sbx_oauth *o, struct oa_grant *g, uint64_t now,
    char *out, size_t outlen)
{
	struct oa_access	*a;
	size_t			 i, j;
	int			 rc;

	/* A dead token answers like an unknown one: drop the dead. */
	for (i = 0, j = 0; i < g->naccess; i++) {
		if (!oa_access_live(&g->access[i], now))
			continue;
		if (i != j)
			g->access[j] = g->access[i];
		j++;
	}
	if (j < g->naccess)
		crypto_wipe(&g->access[j], (g->naccess - j) *
		    sizeof(*g->access));
	g->naccess = j;
	if ((rc = grow((void **)&g->access, g->naccess, &g->capaccess,
	    sizeof(*g->access))) != KC_OK)
		return rc;
	a = &g->access[g->naccess];
	memset(a, 0, sizeof(*a));
	if ((rc = oa_random_token("kat_", a->token, sizeof(a->token))) != KC_OK)
		return rc;
	a->expires_us = now + (uint64_t)o->ttl * 1000000ULL;
	g->naccess++;
	g->issued++;
	snprintf(out, outlen, "%s", a->token);
	return KC_OK;
}

/* A new grant (index in *idx) with its first refresh token. */
int
oa_grant_new(struct sbx_oauth *o, size_t acc, unsigned scopes, size_t *idx)
{
	struct oa_grant	*g;
	int		 rc;

	if (o->ngrants >= SBX_OAUTH_GRANTS_MAX)
		return KC_ERR_CONFLICT;
	if ((rc = grow((void **)&o->grants, o->ngrants, &o->capgrants,
	    sizeof(*o->grants))) != KC_OK)
		return rc;
	g = &o->grants[o->ngrants];
	memset(g, 0, sizeof(*g));
	g->acc = acc;
	g->scopes = scopes;
	if ((rc = oa_random_token("krt_", g->refresh, sizeof(g->refresh))) !=
	    KC_OK) {
		crypto_wipe(g, sizeof(*g));
		return rc;
	}
	*idx = o->ngrants++;
	return KC_OK;
}

void
oa_grant_revoke(struct oa_grant *g, const char *by)
{
	size_t i;

	if (g->revoked_by != NULL)
		return;
	g->revoked_by = by;
	crypto_wipe(g->refresh, sizeof(g->refresh));
	for (i = 0; i < g->naccess; i++)
		g->access[i].revoked = 1;
}

struct oa_grant *
oa_grant_by_refresh(struct sbx_oauth *o, const char *token)
{
	size_t i;

	if (strncmp(token, "krt_", 4) != 0)
		return NULL;
	for (i = 0; i < o->ngrants; i++)
		if (o->grants[i].revoked_by == NULL &&
		    strcmp(o->grants[i].refresh, token) == 0)
			return &o->grants[i];
	return NULL;
}

struct oa_access *
oa_access_find(struct sbx_oauth *o, const char *token)
{
	struct oa_grant	*g;
	size_t		 i, j;

	if (strncmp(token, "kat_", 4) != 0)
		return NULL;
	for (i = 0; i < o->ngrants; i++) {
		g = &o->grants[i];
		for (j = 0; j < g->naccess; j++)
			if (strcmp(g->access[j].token, token) == 0)
				return &g->access[j];
	}
	return NULL;
}

/* Drops expired codes (a used one is kept until then: reuse shows). */
static void
codes_prune(struct sbx_oauth *o, uint64_t now)
{
	size_t i = 0, last;

	while (i < o->ncodes) {
		if (now < o->codes[i].expires_us) {
			i++;
			continue;
		}
		code_wipe(&o->codes[i]);
		last = --o->ncodes;
		if (i != last)
			o->codes[i] = o->codes[last];
		crypto_wipe(&o->codes[last], sizeof(o->codes[last]));
	}
}

struct oa_code *
oa_code_find(struct sbx_oauth *o, const char *code)
{
	size_t i;

	for (i = 0; i < o->ncodes; i++)
		if (strcmp(o->codes[i].code, code) == 0)
			return &o->codes[i];
	return NULL;
}

int
oa_code_new(struct sbx_oauth *o, const struct authz *a, size_t acc,
    unsigned scopes, uint64_t now, char *out, size_t outlen)
{
	struct oa_code	*c;
	int		 rc;

	codes_prune(o, now);
	if (o->ncodes >= SBX_OAUTH_CODES_MAX)
		return KC_ERR_CONFLICT;
	if ((rc = grow((void **)&o->codes, o->ncodes, &o->capcodes,
	    sizeof(*o->codes))) != KC_OK)
		return rc;
	c = &o->codes[o->ncodes];
	memset(c, 0, sizeof(*c));
	if ((c->redirect_uri = strdup(a->redirect_uri)) == NULL)
		return KC_ERR_NOMEM;
	if ((rc = oa_random_token("", c->code, sizeof(c->code))) != KC_OK) {
		code_wipe(c);
		return rc;
	}
	snprintf(c->challenge, sizeof(c->challenge), "%s", a->challenge);
	c->acc = acc;
	c->scopes = scopes;
	c->expires_us = now + SBX_OAUTH_CODE_US;
	o->ncodes++;
	snprintf(out, outlen, "%s", c->code);
	return KC_OK;
}

/* Scopes. */

/* A space-separated list of known scope names as bits. */
int
oa_scopes_parse(const char *s, unsigned *out, char *bad, size_t badlen)
{
	const char	*p = s;
	char		 tok[64];
	unsigned	 bits = 0, b;
	size_t		 n, i;

	*out = 0;
	bad[0] = '\0';
	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		n = strcspn(p, " ");
		snprintf(tok, sizeof(tok), "%.*s", (int)(n < sizeof(tok) - 1 ?
		    n : sizeof(tok) - 1), p);
		for (b = 0; b < SBX_SC_NBITS; b++)
			if (n < sizeof(tok) &&
			    strcmp(sbx_scope_name(1u << b), tok) == 0)
				break;
		if (b == SBX_SC_NBITS) {
			/* For error_description: no quotes, no controls. */
			for (i = 0; tok[i]; i++)
				if ((unsigned char)tok[i] < 0x20 ||
				    (unsigned char)tok[i] >= 0x7f ||
				    tok[i] == '"' || tok[i] == '\\')
					tok[i] = '?';
			snprintf(bad, badlen, "%s", tok);
			return KC_ERR_BAD_INPUT;
		}
		bits |= 1u << b;
		p += n;
	}
	if (bits == 0)
		return KC_ERR_BAD_INPUT;
	*out = bits;
	return KC_OK;
}

void
oa_scopes_str(unsigned bits, char *out, size_t outlen)
{
	size_t		 off = 0;
	unsigned	 b;
	int		 n;

	out[0] = '\0';
	for (b = 0; b < SBX_SC_NBITS; b++) {
		if (!(bits & (1u << b)))
			continue;
		n = snprintf(out + off, outlen - off, "%s%s", off ? " " : "",
		    sbx_scope_name(1u << b));
		if (n < 0 || (size_t)n >= outlen - off)
			return;
		off += (size_t)n;
	}
}

/* Forms. */

void
oa_form_free(struct sbx_query *q)
{
	size_t i;

	/* Codes, verifiers and tokens came in here. */
	for (i = 0; i < q->n; i++)
		crypto_wipe(q->p[i].value, strlen(q->p[i].value));
	sbx_query_free(q);
}

/* Decodes an application/x-www-form-urlencoded body. */
int
oa_form_parse(const struct sbx_req *req, struct sbx_query *q, char *err,
    size_t errlen)
{
	const char	*ct = sbx_req_header(req, "Content-Type");
	size_t		 n = strlen(FORM_TYPE);
	char		*body;
	int		 rc;

	memset(q, 0, sizeof(*q));
	if (ct == NULL || strncasecmp(ct, FORM_TYPE, n) != 0 ||
	    (ct[n] != '\0' && ct[n] != ';' && ct[n] != ' ')) {
		snprintf(err, errlen, "The body must be %s.", FORM_TYPE);
		return KC_ERR_MEDIA_TYPE;
	}
	if (req->body_len > 0 && memchr(req->body, '\0', req->body_len) !=
	    NULL) {
		snprintf(err, errlen, "The body contains a NUL byte.");
		return KC_ERR_BAD_INPUT;
	}
	if ((body = malloc(req->body_len + 1)) == NULL)
		return KC_ERR_NOMEM;
	if (req->body_len > 0)
		memcpy(body, req->body, req->body_len);
	body[req->body_len] = '\0';
	rc = sbx_query_parse(body, q, err, errlen);
	crypto_wipe(body, req->body_len);
	free(body);
	return rc;
}

int
sbx_oauth_answer(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp, char *gt, size_t gtlen)
{
	const char	*m = req->method;
	char		 path[64];
	size_t		 n;
	int		 rc;

	gt[0] = '\0';
	if (app->oauth == NULL || !app->oauth->enabled)
		return oa_reply_error(resp, 404, "not_found", "OAuth is "
		    "off: start klaviyo-sandbox with --oauth-client "
		    "ID:SECRET.");
	snprintf(path, sizeof(path), "%s", req->path);
	n = strlen(path);
	if (n > 1 && path[n - 1] == '/')
		path[n - 1] = '\0';
	if (strcmp(path, "/oauth/authorize") == 0) {
		if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
			return oa_authorize_get(app, req, resp);
		if (strcmp(m, "POST") == 0)
			return oa_authorize_post(app, req, resp);
		if ((rc = sbx_resp_header(resp, "Allow", "GET, POST")) !=
		    KC_OK)
			return rc;
		return oa_reply_error(resp, 405, "invalid_request",
		    "Use GET or POST.");
	}
	if (strcmp(path, "/oauth/token") == 0)
		return oa_token_endpoint(app, req, resp, gt, gtlen);
	if (strcmp(path, "/oauth/revoke") == 0)
		return oa_revoke_endpoint(app, req, resp);
	return oa_reply_error(resp, 404, "not_found", "Unknown OAuth "
	    "endpoint: /oauth/authorize, /oauth/token, /oauth/revoke.");
}
