/*
 * OAuth 2.0 of klaviyo-sandbox; see sandbox_oauth.h and docs/SANDBOX.md.
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
#include "sandbox_oauth.h"

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

#define TOKEN_MAX	56	/* "kat_" + 43 base64url + NUL */
#define RANDOM_BYTES	32	/* 43 base64url characters */
#define CLIENT_ID_MAX	128
#define SECRET_MAX	256
#define CHALLENGE_MIN	43
#define CHALLENGE_MAX	128
#define SCOPES_STR_MAX	256
#define PAGE_MAX	(256 * 1024)
#define LOCATION_MAX	(12 * 1024)
#define FORM_TYPE	"application/x-www-form-urlencoded"
#define CTL_PREFIX	"/__sandbox/oauth"

struct oa_access {
	char		 token[TOKEN_MAX];
	uint64_t	 expires_us;
	int		 revoked;
};

/* One consent: what it grants and the tokens issued under it. */
struct oa_grant {
	size_t		  acc;
	unsigned	  scopes;
	char		  refresh[TOKEN_MAX];	/* "" once revoked */
	struct oa_access *access;		/* pruned when one is added */
	size_t		  naccess, capaccess;
	uint32_t	  refreshes;
	uint32_t	  issued;		/* access tokens ever */
	const char	 *revoked_by;		/* NULL while live */
};

struct oa_code {
	char		 code[TOKEN_MAX];
	char		*redirect_uri;
	char		 challenge[CHALLENGE_MAX + 1];
	size_t		 acc;
	unsigned	 scopes;
	uint64_t	 expires_us;
	size_t		 grant;		/* 1 + index of its grant; 0: unused */
};

struct sbx_oauth {
	int		 enabled;
	char		 client_id[CLIENT_ID_MAX + 1];
	char		 secret[SECRET_MAX + 1];
	long		 ttl, ttl0;
	int		 rotate;
	struct oa_grant	*grants;	/* never removed but by a reset */
	size_t		 ngrants, capgrants;
	struct oa_code	*codes;
	size_t		 ncodes, capcodes;
};

/* The parameters of an authorization request (borrowed). */
struct authz {
	const char	*response_type;
	const char	*client_id;
	const char	*redirect_uri;
	const char	*scope;
	const char	*state;
	const char	*challenge;
	const char	*method;
	unsigned	 scopes;
};

/* What to do with an authorization request. */
enum verdict { V_OK, V_PAGE, V_REDIRECT };

struct problem {
	const char	*error;		/* OAuth error code */
	char		 desc[256];
};

struct kv {
	const char	*name;
	const char	*value;		/* NULL: left out */
};

static int
unreserved(int c)
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
		if (!unreserved((unsigned char)*p))
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
static void
oauth_clear(struct sbx_oauth *o)
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
	oauth_clear(o);
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
static int
random_token(const char *prefix, char *out, size_t outlen)
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

static int
access_live(const struct oa_access *a, uint64_t now)
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
			if (!access_live(&g->access[j], now))
				return 0;
			*acc = g->acc;
			*scopes = g->scopes;
			return 1;
		}
	}
	return 0;
}

/* A new access token of g, valid o->ttl seconds from now. */
static int
grant_issue_access(struct sbx_oauth *o, struct oa_grant *g, uint64_t now,
    char *out, size_t outlen)
{
	struct oa_access	*a;
	size_t			 i, j;
	int			 rc;

	/* A dead token answers like an unknown one: drop the dead. */
	for (i = 0, j = 0; i < g->naccess; i++) {
		if (!access_live(&g->access[i], now))
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
	if ((rc = random_token("kat_", a->token, sizeof(a->token))) != KC_OK)
		return rc;
	a->expires_us = now + (uint64_t)o->ttl * 1000000ULL;
	g->naccess++;
	g->issued++;
	snprintf(out, outlen, "%s", a->token);
	return KC_OK;
}

/* A new grant (index in *idx) with its first refresh token. */
static int
grant_new(struct sbx_oauth *o, size_t acc, unsigned scopes, size_t *idx)
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
	if ((rc = random_token("krt_", g->refresh, sizeof(g->refresh))) !=
	    KC_OK) {
		crypto_wipe(g, sizeof(*g));
		return rc;
	}
	*idx = o->ngrants++;
	return KC_OK;
}

static void
grant_revoke(struct oa_grant *g, const char *by)
{
	size_t i;

	if (g->revoked_by != NULL)
		return;
	g->revoked_by = by;
	crypto_wipe(g->refresh, sizeof(g->refresh));
	for (i = 0; i < g->naccess; i++)
		g->access[i].revoked = 1;
}

static struct oa_grant *
grant_by_refresh(struct sbx_oauth *o, const char *token)
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

static struct oa_access *
access_find(struct sbx_oauth *o, const char *token)
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

static struct oa_code *
code_find(struct sbx_oauth *o, const char *code)
{
	size_t i;

	for (i = 0; i < o->ncodes; i++)
		if (strcmp(o->codes[i].code, code) == 0)
			return &o->codes[i];
	return NULL;
}

static int
code_new(struct sbx_oauth *o, const struct authz *a, size_t acc,
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
	if ((rc = random_token("", c->code, sizeof(c->code))) != KC_OK) {
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
static int
scopes_parse(const char *s, unsigned *out, char *bad, size_t badlen)
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

static void
scopes_str(unsigned bits, char *out, size_t outlen)
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

/* Checks of the request. */

static const char *
client_problem(const struct sbx_oauth *o, const char *id)
{
	if (id == NULL || *id == '\0')
		return "client_id is missing.";
	if (strcmp(id, o->client_id) != 0)
		return "client_id is not a client registered with this "
		    "sandbox (see --oauth-client).";
	return NULL;
}

static const char *
redirect_problem(const char *u)
{
	const char *p, *host;

	if (u == NULL || *u == '\0')
		return "redirect_uri is missing.";
	if (strncasecmp(u, "https://", 8) == 0)
		host = u + 8;
	else if (strncasecmp(u, "http://", 7) == 0)
		host = u + 7;
	else
		return "redirect_uri must be an absolute http:// or https:// "
		    "URL.";
	if (*host == '\0' || strchr("/?#:", *host) != NULL)
		return "redirect_uri has no host.";
	for (p = u; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return "redirect_uri contains spaces, control or "
			    "non-ASCII characters (percent-encode them).";
	if (strchr(u, '#') != NULL)
		return "redirect_uri must not contain a fragment (#).";
	return NULL;
}

/* 43 to 128 characters of [A-Za-z0-9-._~] (RFC 7636 4.1, 4.2). */
static int
pkce_string_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n < CHALLENGE_MIN || n > CHALLENGE_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!unreserved((unsigned char)s[i]))
			return 0;
	return 1;
}

/* base64url(SHA-256(verifier)) == challenge. */
static int
pkce_ok(const char *verifier, const char *challenge)
{
	unsigned char	 md[32];
	char		 b64[4 * ((sizeof(md) + 2) / 3) + 1];
	size_t		 n;
	int		 ok = 0;

	if (!pkce_string_ok(verifier))
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

static void
problem(struct problem *pb, const char *error, const char *desc)
{
	pb->error = error;
	snprintf(pb->desc, sizeof(pb->desc), "%s", desc);
}

static enum verdict
authz_check(const struct sbx_oauth *o, const struct sbx_query *q,
    struct authz *a, struct problem *pb)
{
	const char	*why;
	char		 bad[64];

	memset(a, 0, sizeof(*a));
	a->response_type = sbx_query_get(q, "response_type");
	a->client_id = sbx_query_get(q, "client_id");
	a->redirect_uri = sbx_query_get(q, "redirect_uri");
	a->scope = sbx_query_get(q, "scope");
	a->state = sbx_query_get(q, "state");
	a->challenge = sbx_query_get(q, "code_challenge");
	a->method = sbx_query_get(q, "code_challenge_method");
	if ((why = client_problem(o, a->client_id)) != NULL ||
	    (why = redirect_problem(a->redirect_uri)) != NULL) {
		problem(pb, "invalid_request", why);
		return V_PAGE;
	}
	if (a->response_type == NULL || *a->response_type == '\0') {
		problem(pb, "invalid_request", "response_type is missing.");
		return V_REDIRECT;
	}
	if (strcmp(a->response_type, "code") != 0) {
		problem(pb, "unsupported_response_type", "response_type must "
		    "be code.");
		return V_REDIRECT;
	}
	if (a->scope == NULL || scopes_parse(a->scope, &a->scopes, bad,
	    sizeof(bad)) != KC_OK) {
		pb->error = "invalid_scope";
		if (a->scope != NULL && bad[0] != '\0')
			snprintf(pb->desc, sizeof(pb->desc), "Unknown scope "
			    "'%s'.", bad);
		else
			snprintf(pb->desc, sizeof(pb->desc), "scope is "
			    "missing or empty.");
		return V_REDIRECT;
	}
	if (a->challenge == NULL || *a->challenge == '\0') {
		problem(pb, "invalid_request", "code_challenge is missing "
		    "(PKCE with S256 is required).");
		return V_REDIRECT;
	}
	if (a->method == NULL || strcmp(a->method, "S256") != 0) {
		problem(pb, "invalid_request", "code_challenge_method must "
		    "be S256.");
		return V_REDIRECT;
	}
	if (!pkce_string_ok(a->challenge)) {
		problem(pb, "invalid_request", "code_challenge must be 43 to "
		    "128 characters of A-Z, a-z, 0-9, '-', '.', '_', '~'.");
		return V_REDIRECT;
	}
	return V_OK;
}

/* Forms. */

static void
form_free(struct sbx_query *q)
{
	size_t i;

	/* Codes, verifiers and tokens came in here. */
	for (i = 0; i < q->n; i++)
		crypto_wipe(q->p[i].value, strlen(q->p[i].value));
	sbx_query_free(q);
}

/* Decodes an application/x-www-form-urlencoded body. */
static int
form_parse(const struct sbx_req *req, struct sbx_query *q, char *err,
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

/* Answers. */

static int
html_esc(struct buf *b, const char *s)
{
	const char	*rep;
	int		 rc;

	for (; *s; s++) {
		switch (*s) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			rep = NULL;
			break;
		}
		rc = rep ? buf_puts(b, rep) : buf_append(b, s, 1);
		if (rc != KC_OK)
			return rc;
	}
	return KC_OK;
}

static const char page_head[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, "
    "initial-scale=1\">\n"
    "<link rel=\"icon\" href=\"data:,\">\n"
    "<style>\n"
    "body{font:15px/1.5 system-ui,sans-serif;margin:0;"
    "background:#f3f3f1;color:#1d1d1b}\n"
    "main{max-width:34rem;margin:3rem auto;padding:1.5rem 2rem;"
    "background:#fff;border:1px solid #ddd;border-radius:8px}\n"
    "h1{font-size:1.3rem;margin-top:0}\n"
    "code{background:#f0f0ee;padding:0 .25em;border-radius:3px;"
    "word-break:break-all}\n"
    "label{display:block;font-weight:600;margin:1rem 0 .3rem}\n"
    "select{width:100%;padding:.4rem;font:inherit}\n"
    ".buttons{display:flex;gap:.75rem;margin-top:1.25rem}\n"
    "button{font:inherit;padding:.5rem 1.25rem;border-radius:6px;"
    "border:1px solid #1d1d1b;cursor:pointer}\n"
    "#allow{background:#1d1d1b;color:#fff}\n"
    "#deny{background:#fff;color:#1d1d1b}\n"
    ".note{color:#555;font-size:.9rem}\n"
    "</style>\n";

static int
reply_html(struct sbx_resp *resp, int status, struct buf *b)
{
	int rc;

	if ((rc = sbx_resp_header(resp, "Cache-Control", "no-store")) !=
	    KC_OK ||
	    (rc = sbx_resp_header(resp, "Content-Security-Policy",
	    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
	    "frame-ancestors 'none'")) != KC_OK ||
	    (rc = sbx_resp_header(resp, "Referrer-Policy", "no-referrer")) !=
	    KC_OK)
		return rc;
	return sbx_resp_set_body(resp, status, "text/html; charset=utf-8",
	    buf_cstr(b), b->len);
}

/* The 400 page: the request cannot go back to its redirect_uri. */
static int
reply_page_error(struct sbx_resp *resp, int status, const char *msg)
{
	struct buf	 b;
	int		 rc;

	buf_init(&b, PAGE_MAX);
	if ((rc = buf_puts(&b, page_head)) != KC_OK ||
	    (rc = buf_puts(&b, "<title>Authorization failed \xe2\x80\x94 "
	    "Klaviyo sandbox</title>\n</head>\n<body>\n<main>\n"
	    "<h1>Authorization failed</h1>\n<p id=\"error\">")) != KC_OK ||
	    (rc = html_esc(&b, msg)) != KC_OK ||
	    (rc = buf_puts(&b, "</p>\n<p class=\"note\">The request is not "
	    "sent back to the application: its client_id or redirect_uri "
	    "cannot be trusted (RFC 6749, section 4.1.2.1).</p>\n</main>\n"
	    "</body>\n</html>\n")) != KC_OK)
		goto out;
	rc = reply_html(resp, status, &b);
out:
	buf_free(&b);
	return rc;
}

/* 302 to uri with the parameters added to its query. */
static int
reply_redirect(struct sbx_resp *resp, const char *uri, const struct kv *kv,
    size_t n)
{
	struct buf	 b, page;
	size_t		 i, ulen = strlen(uri);
	char		 sep = '?';
	int		 rc;

	buf_init(&b, LOCATION_MAX);
	buf_init(&page, 4096);
	if (strchr(uri, '?') != NULL)
		sep = uri[ulen - 1] == '?' || uri[ulen - 1] == '&' ? '\0' :
		    '&';
	if ((rc = buf_puts(&b, uri)) != KC_OK)
		goto out;
	for (i = 0; i < n; i++) {
		if (kv[i].value == NULL)
			continue;
		if ((sep != '\0' && (rc = buf_append(&b, &sep, 1)) != KC_OK) ||
		    (rc = sbx_url_encode(&b, kv[i].name)) != KC_OK ||
		    (rc = buf_puts(&b, "=")) != KC_OK ||
		    (rc = sbx_url_encode(&b, kv[i].value)) != KC_OK)
			goto out;
		sep = '&';
	}
	if ((rc = sbx_resp_header(resp, "Location", "%s", buf_cstr(&b))) !=
	    KC_OK ||
	    (rc = buf_puts(&page, "<!DOCTYPE html>\n<html lang=\"en\">\n"
	    "<head>\n<meta charset=\"utf-8\">\n<title>Redirecting "
	    "\xe2\x80\x94 Klaviyo sandbox</title>\n</head>\n<body>\n"
	    "<p>Going back to the application\xe2\x80\xa6</p>\n</body>\n"
	    "</html>\n")) != KC_OK)
		goto out;
	rc = reply_html(resp, 302, &page);
out:
	buf_free_secret(&b);
	buf_free(&page);
	return rc;
}

static int
reply_authz_error(struct sbx_resp *resp, const struct authz *a,
    const struct problem *pb)
{
	const struct kv kv[] = {
		{ "error", pb->error },
		{ "error_description", pb->desc },
		{ "state", a->state },
	};

	return reply_redirect(resp, a->redirect_uri, kv,
	    sizeof(kv) / sizeof(kv[0]));
}

static int
hidden(struct buf *b, const char *name, const char *value)
{
	int rc;

	if (value == NULL)
		return KC_OK;
	if ((rc = buf_printf(b, "<input type=\"hidden\" name=\"%s\" "
	    "value=\"", name)) != KC_OK ||
	    (rc = html_esc(b, value)) != KC_OK)
		return rc;
	return buf_puts(b, "\">\n");
}

/* One line per account that grants less than what is asked. */
static int
consent_notes(struct sbx_app *app, struct buf *b, unsigned want)
{
	const struct sbx_account	*acc;
	char				 s[SCOPES_STR_MAX];
	size_t				 i;
	int				 rc, first = 1;

	for (i = 0; i < app->data->nacc; i++) {
		acc = &app->data->acc[i];
		if ((want & acc->def->scopes) == want)
			continue;
		scopes_str(want & acc->def->scopes, s, sizeof(s));
		if ((first && (rc = buf_puts(b, "<ul class=\"note\" "
		    "id=\"partial\">\n")) != KC_OK) ||
		    (rc = buf_puts(b, "<li>")) != KC_OK ||
		    (rc = html_esc(b, acc->def->org)) != KC_OK ||
		    (rc = buf_puts(b, s[0] ? " grants only " : " grants none "
		    "of them")) != KC_OK ||
		    (rc = html_esc(b, s)) != KC_OK ||
		    (rc = buf_puts(b, "</li>\n")) != KC_OK)
			return rc;
		first = 0;
	}
	return first ? KC_OK : buf_puts(b, "</ul>\n");
}

static int
consent_accounts(struct sbx_app *app, struct buf *b)
{
	const struct sbx_account	*acc;
	size_t				 i;
	int				 rc;

	if ((rc = buf_puts(b, "<label for=\"account\">Klaviyo account"
	    "</label>\n<select id=\"account\" name=\"account\">\n")) !=
	    KC_OK)
		return rc;
	for (i = 0; i < app->data->nacc; i++) {
		acc = &app->data->acc[i];
		if ((rc = buf_puts(b, "<option value=\"")) != KC_OK ||
		    (rc = html_esc(b, acc->id)) != KC_OK ||
		    (rc = buf_puts(b, i == 0 ? "\" selected>" : "\">")) !=
		    KC_OK ||
		    (rc = html_esc(b, acc->def->org)) != KC_OK ||
		    (rc = buf_puts(b, " (")) != KC_OK ||
		    (rc = html_esc(b, acc->id)) != KC_OK ||
		    (rc = buf_puts(b, ")</option>\n")) != KC_OK)
			return rc;
	}
	return buf_puts(b, "</select>\n");
}

static int
reply_consent(struct sbx_app *app, struct sbx_resp *resp,
    const struct authz *a)
{
	struct buf	 b;
	unsigned	 bit;
	int		 rc;

	buf_init(&b, PAGE_MAX);
	if ((rc = buf_puts(&b, page_head)) != KC_OK ||
	    (rc = buf_puts(&b, "<title>Authorize ")) != KC_OK ||
	    (rc = html_esc(&b, a->client_id)) != KC_OK ||
	    (rc = buf_puts(&b, " \xe2\x80\x94 Klaviyo sandbox</title>\n"
	    "</head>\n<body>\n<main>\n<h1>Authorize <code>")) != KC_OK ||
	    (rc = html_esc(&b, a->client_id)) != KC_OK ||
	    (rc = buf_puts(&b, "</code></h1>\n<p>This application asks for "
	    "read access to a Klaviyo account of this sandbox:</p>\n"
	    "<ul id=\"scopes\">\n")) != KC_OK)
		goto out;
	for (bit = 1; bit <= (1u << (SBX_SC_NBITS - 1)); bit <<= 1) {
		if (!(a->scopes & bit))
			continue;
		if ((rc = buf_printf(&b, "<li><code>%s</code></li>\n",
		    sbx_scope_name(bit))) != KC_OK)
			goto out;
	}
	if ((rc = buf_puts(&b, "</ul>\n<form method=\"post\" "
	    "action=\"/oauth/authorize\">\n")) != KC_OK ||
	    (rc = consent_accounts(app, &b)) != KC_OK ||
	    (rc = consent_notes(app, &b, a->scopes)) != KC_OK ||
	    (rc = hidden(&b, "response_type", a->response_type)) != KC_OK ||
	    (rc = hidden(&b, "client_id", a->client_id)) != KC_OK ||
	    (rc = hidden(&b, "redirect_uri", a->redirect_uri)) != KC_OK ||
	    (rc = hidden(&b, "scope", a->scope)) != KC_OK ||
	    (rc = hidden(&b, "state", a->state)) != KC_OK ||
	    (rc = hidden(&b, "code_challenge", a->challenge)) != KC_OK ||
	    (rc = hidden(&b, "code_challenge_method", a->method)) != KC_OK ||
	    (rc = buf_puts(&b, "<div class=\"buttons\">\n<button id=\"allow\" "
	    "name=\"decision\" value=\"allow\">Allow</button>\n"
	    "<button id=\"deny\" name=\"decision\" value=\"deny\">Deny"
	    "</button>\n</div>\n</form>\n<p class=\"note\">Either way you go "
	    "back to <code>")) != KC_OK ||
	    (rc = html_esc(&b, a->redirect_uri)) != KC_OK ||
	    (rc = buf_puts(&b, "</code>.</p>\n</main>\n</body>\n</html>\n")) !=
	    KC_OK)
		goto out;
	rc = reply_html(resp, 200, &b);
out:
	buf_free(&b);
	return rc;
}

/* /oauth/authorize. */

static int
authorize_get(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp)
{
	struct sbx_query	 q;
	struct authz		 a;
	struct problem		 pb;
	char			 err[256];
	int			 rc;

	if (sbx_query_parse(req->query, &q, err, sizeof(err)) != KC_OK)
		return reply_page_error(resp, 400, err);
	switch (authz_check(app->oauth, &q, &a, &pb)) {
	case V_PAGE:
		rc = reply_page_error(resp, 400, pb.desc);
		break;
	case V_REDIRECT:
		rc = reply_authz_error(resp, &a, &pb);
		break;
	default:
		rc = reply_consent(app, resp, &a);
		break;
	}
	sbx_query_free(&q);
	return rc;
}

static const struct sbx_account *
account_by_id(const struct sbx_data *d, const char *id, size_t *idx)
{
	size_t i;

	for (i = 0; i < d->nacc; i++)
		if (strcmp(d->acc[i].id, id) == 0 ||
		    strcmp(d->acc[i].def->key, id) == 0) {
			*idx = i;
			return &d->acc[i];
		}
	return NULL;
}

/* Allowed: a code for the chosen account, back to the client. */
static int
authorize_allow(struct sbx_app *app, struct sbx_resp *resp,
    const struct authz *a, const char *account)
{
	const struct sbx_account	*acc;
	struct problem			 pb;
	char				 code[TOKEN_MAX];
	size_t				 idx = 0;
	unsigned			 granted;
	int				 rc;

	if (account == NULL || *account == '\0')
		account = app->data->acc[0].id;
	if ((acc = account_by_id(app->data, account, &idx)) == NULL) {
		problem(&pb, "invalid_request", "account is not an account "
		    "of this sandbox.");
		return reply_authz_error(resp, a, &pb);
	}
	if ((granted = a->scopes & acc->def->scopes) == 0) {
		problem(&pb, "invalid_scope", "The chosen account has none "
		    "of the requested scopes.");
		return reply_authz_error(resp, a, &pb);
	}
	rc = code_new(app->oauth, a, idx, granted, sbx_now_us(), code,
	    sizeof(code));
	if (rc == KC_ERR_CONFLICT) {
		problem(&pb, "temporarily_unavailable", "Too many pending "
		    "authorization codes; try again later.");
		return reply_authz_error(resp, a, &pb);
	}
	if (rc == KC_OK) {
		const struct kv kv[] = {
			{ "code", code },
			{ "state", a->state },
		};

		rc = reply_redirect(resp, a->redirect_uri, kv,
		    sizeof(kv) / sizeof(kv[0]));
		log_info("oauth: consent for account %s, scopes 0x%x",
		    acc->id, granted);
	}
	crypto_wipe(code, sizeof(code));
	return rc;
}

static int
authorize_post(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp)
{
	struct sbx_query	 q;
	struct authz		 a;
	struct problem		 pb;
	const char		*decision;
	char			 err[256];
	int			 rc;

	if ((rc = form_parse(req, &q, err, sizeof(err))) != KC_OK) {
		if (rc == KC_ERR_NOMEM)
			return rc;
		return reply_page_error(resp, 400, err);
	}
	switch (authz_check(app->oauth, &q, &a, &pb)) {
	case V_PAGE:
		rc = reply_page_error(resp, 400, pb.desc);
		goto out;
	case V_REDIRECT:
		rc = reply_authz_error(resp, &a, &pb);
		goto out;
	default:
		break;
	}
	decision = sbx_query_get(&q, "decision");
	if (decision != NULL && strcmp(decision, "deny") == 0) {
		problem(&pb, "access_denied", "The user denied the "
		    "authorization request.");
		rc = reply_authz_error(resp, &a, &pb);
	} else if (decision != NULL && strcmp(decision, "allow") == 0)
		rc = authorize_allow(app, resp, &a, sbx_query_get(&q,
		    "account"));
	else {
		problem(&pb, "invalid_request", "decision must be allow or "
		    "deny.");
		rc = reply_authz_error(resp, &a, &pb);
	}
out:
	form_free(&q);
	return rc;
}

/* /oauth/token and /oauth/revoke: JSON answers. */

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

static int
reply_oauth_error(struct sbx_resp *resp, int status, const char *error,
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

	scopes_str(g->scopes, s, sizeof(s));
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
		return reply_oauth_error(resp, 400, "invalid_request",
		    "code is missing.");
	if (ru == NULL || *ru == '\0')
		return reply_oauth_error(resp, 400, "invalid_request",
		    "redirect_uri is missing.");
	if (verifier == NULL || *verifier == '\0')
		return reply_oauth_error(resp, 400, "invalid_request",
		    "code_verifier is missing (PKCE is required).");
	if ((c = code_find(o, code)) != NULL && c->grant != 0) {
		/* RFC 6749 10.5: a code used twice revokes its grant. */
		grant_revoke(&o->grants[c->grant - 1], "code_reuse");
		log_warnx("oauth: an authorization code was used twice; "
		    "grant g%zu revoked", c->grant);
		return reply_oauth_error(resp, 400, "invalid_grant",
		    "The authorization code was already used; the tokens "
		    "issued for it are revoked.");
	}
	if (c == NULL || now >= c->expires_us)
		return reply_oauth_error(resp, 400, "invalid_grant",
		    "The authorization code is invalid or expired.");
	if (strcmp(ru, c->redirect_uri) != 0)
		return reply_oauth_error(resp, 400, "invalid_grant",
		    "redirect_uri does not match the authorization request.");
	if (!pkce_ok(verifier, c->challenge))
		return reply_oauth_error(resp, 400, "invalid_grant",
		    "Invalid code verifier");
	rc = grant_new(o, c->acc, c->scopes, &gi);
	if (rc == KC_ERR_CONFLICT)
		return reply_oauth_error(resp, 503, "temporarily_unavailable",
		    "Too many grants; DELETE /__sandbox/oauth.");
	if (rc != KC_OK)
		return rc;
	c->grant = gi + 1;
	g = &o->grants[gi];
	if ((rc = grant_issue_access(o, g, now, access, sizeof(access))) ==
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
		return reply_oauth_error(resp, 400, "invalid_request",
		    "refresh_token is missing.");
	if ((g = grant_by_refresh(o, rt)) == NULL)
		return reply_oauth_error(resp, 400, "invalid_grant",
		    "refresh token is invalid, expired or revoked");
	if (o->rotate) {
		if ((rc = random_token("krt_", fresh, sizeof(fresh))) !=
		    KC_OK)
			return rc;
		memcpy(g->refresh, fresh, sizeof(g->refresh));
		crypto_wipe(fresh, sizeof(fresh));
	}
	g->refreshes++;
	if ((rc = grant_issue_access(o, g, sbx_now_us(), access,
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
		    (rc = reply_oauth_error(resp, 405, "invalid_request",
		    "Use POST.")) != KC_OK)
			return rc;
		return KC_ERR_BAD_INPUT;
	}
	if ((rc = form_parse(req, q, err, sizeof(err))) != KC_OK) {
		if (rc == KC_ERR_NOMEM ||
		    (rc = reply_oauth_error(resp, 400, "invalid_request",
		    err)) != KC_OK)
			return rc;
		return KC_ERR_BAD_INPUT;
	}
	/* The grant type is logged even when the request is refused. */
	if (gt != NULL && (type = sbx_query_get(q, "grant_type")) != NULL)
		log_grant_type(type, gt, gtlen);
	if (!client_auth(app->oauth, req, &why))
		rc = reply_oauth_error(resp, 401, "invalid_client", why);
	else if (sbx_query_get(q, "client_secret") != NULL)
		rc = reply_oauth_error(resp, 400, "invalid_request", "Send "
		    "the client secret in the Authorization header only.");
	else if (sbx_query_get(q, "client_id") != NULL &&
	    strcmp(sbx_query_get(q, "client_id"), app->oauth->client_id) !=
	    0)
		rc = reply_oauth_error(resp, 401, "invalid_client",
		    "client_id does not match the authenticated client.");
	else
		return KC_OK;
	form_free(q);
	return rc == KC_OK ? KC_ERR_BAD_INPUT : rc;
}

static int
token_endpoint(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp, char *gt, size_t gtlen)
{
	struct sbx_query	 q;
	const char		*type;
	int			 rc;

	if ((rc = token_request(app, req, resp, &q, gt, gtlen)) != KC_OK)
		return rc == KC_ERR_BAD_INPUT ? KC_OK : rc;
	if ((type = sbx_query_get(&q, "grant_type")) == NULL)
		rc = reply_oauth_error(resp, 400, "invalid_request",
		    "grant_type is missing.");
	else {
		if (strcmp(type, "authorization_code") == 0)
			rc = token_code(app, &q, resp);
		else if (strcmp(type, "refresh_token") == 0)
			rc = token_refresh(app, &q, resp);
		else
			rc = reply_oauth_error(resp, 400,
			    "unsupported_grant_type", "grant_type must be "
			    "authorization_code or refresh_token.");
	}
	form_free(&q);
	return rc;
}

/* RFC 7009: whatever the token, 200 {}. */
static int
revoke_endpoint(struct sbx_app *app, const struct sbx_req *req,
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
		rc = reply_oauth_error(resp, 400, "invalid_request",
		    "token is missing.");
		goto out;
	}
	/* token_type_hint is only a hint: both kinds are looked up. */
	if ((g = grant_by_refresh(o, tok)) != NULL)
		grant_revoke(g, "client");
	else if ((a = access_find(o, tok)) != NULL)
		a->revoked = 1;
	if ((j = json_object_new_object()) == NULL) {
		rc = KC_ERR_NOMEM;
		goto out;
	}
	rc = reply_oauth_json(resp, 200, j);
	json_object_put(j);
out:
	form_free(&q);
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
		return reply_oauth_error(resp, 404, "not_found", "OAuth is "
		    "off: start klaviyo-sandbox with --oauth-client "
		    "ID:SECRET.");
	snprintf(path, sizeof(path), "%s", req->path);
	n = strlen(path);
	if (n > 1 && path[n - 1] == '/')
		path[n - 1] = '\0';
	if (strcmp(path, "/oauth/authorize") == 0) {
		if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
			return authorize_get(app, req, resp);
		if (strcmp(m, "POST") == 0)
			return authorize_post(app, req, resp);
		if ((rc = sbx_resp_header(resp, "Allow", "GET, POST")) !=
		    KC_OK)
			return rc;
		return reply_oauth_error(resp, 405, "invalid_request",
		    "Use GET or POST.");
	}
	if (strcmp(path, "/oauth/token") == 0)
		return token_endpoint(app, req, resp, gt, gtlen);
	if (strcmp(path, "/oauth/revoke") == 0)
		return revoke_endpoint(app, req, resp);
	return reply_oauth_error(resp, 404, "not_found", "Unknown OAuth "
	    "endpoint: /oauth/authorize, /oauth/token, /oauth/revoke.");
}

/* Control API: /__sandbox/oauth[/expire|/revoke]. */

static void
ctl_reply(struct sbx_resp *resp, int status, struct json_object *o)
{
	const char *s = NULL;

	if (o != NULL)
		s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s == NULL) {
		status = 500;
		s = "{\"error\":\"out of memory\"}";
	}
	if (sbx_resp_set_body(resp, status, "application/json", s,
	    strlen(s)) != KC_OK)
		resp->action = SBX_ACT_RESET;
	json_object_put(o);
}

static void
ctl_msg(struct sbx_resp *resp, int status, const char *key,
    const char *msg)
{
	struct json_object *o = json_object_new_object();

	if (o != NULL && json_add_str(o, key, msg) != KC_OK) {
		json_object_put(o);
		o = NULL;
	}
	ctl_reply(resp, status, o);
}

static void
ctl_count(struct sbx_resp *resp, const char *key, long long n)
{
	struct json_object *o = json_object_new_object();

	if (o != NULL && json_add_int(o, key, n) != KC_OK) {
		json_object_put(o);
		o = NULL;
	}
	ctl_reply(resp, 200, o);
}

static struct json_object *
grant_json(struct sbx_app *app, size_t i, uint64_t now)
{
	const struct oa_grant	*g = &app->oauth->grants[i];
	struct json_object	*o;
	char			 id[24], s[SCOPES_STR_MAX];
	size_t			 j, live = 0;

	for (j = 0; j < g->naccess; j++)
		live += g->revoked_by == NULL && access_live(&g->access[j],
		    now);
	snprintf(id, sizeof(id), "g%zu", i + 1);
	scopes_str(g->scopes, s, sizeof(s));
	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (json_add_str(o, "id", id) != KC_OK ||
	    json_add_str(o, "account", app->data->acc[g->acc].id) != KC_OK ||
	    json_add_str(o, "scopes", s) != KC_OK ||
	    json_add_int(o, "refreshes", g->refreshes) != KC_OK ||
	    json_add_int(o, "access_tokens_issued", g->issued) != KC_OK ||
	    json_add_int(o, "access_tokens_live", (long long)live) != KC_OK ||
	    json_add_bool(o, "revoked", g->revoked_by != NULL) != KC_OK ||
	    json_add_str(o, "revoked_by", g->revoked_by) != KC_OK) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static void
ctl_state(struct sbx_app *app, struct sbx_resp *resp)
{
	struct sbx_oauth	*o = app->oauth;
	struct json_object	*j, *arr, *g;
	uint64_t		 now = sbx_now_us();
	size_t			 i;

	if ((j = json_object_new_object()) == NULL)
		goto fail;
	if (json_add_str(j, "client_id", o->enabled ? o->client_id : NULL) !=
	    KC_OK ||
	    json_add_int(j, "access_token_ttl", o->ttl) != KC_OK ||
	    json_add_bool(j, "rotate_refresh_tokens", o->rotate) != KC_OK ||
	    (arr = json_object_new_array()) == NULL ||
	    json_add_obj(j, "grants", arr) != KC_OK)
		goto fail;
	for (i = 0; i < o->ngrants; i++)
		if ((g = grant_json(app, i, now)) == NULL ||
		    json_object_array_add(arr, g) != 0) {
			json_object_put(g);
			goto fail;
		}
	ctl_reply(resp, 200, j);
	return;
fail:
	json_object_put(j);
	ctl_reply(resp, 500, NULL);
}

/* POST /__sandbox/oauth {"access_token_ttl":N,"rotate_refresh_tokens":b} */
static void
ctl_set(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp)
{
	struct sbx_oauth	*o = app->oauth;
	struct json_object	*body = NULL, *v;
	char			 err[256];
	long			 ttl = o->ttl;
	int			 rotate = o->rotate;
	int64_t			 n;

	if (req->body_len > 0 && json_parse_object(req->body, req->body_len,
	    &body, err, sizeof(err)) != KC_OK) {
		ctl_msg(resp, 400, "error", err);
		return;
	}
	if (body != NULL) {
		json_object_object_foreach(body, k, val) {
			if (strcmp(k, "access_token_ttl") != 0 &&
			    strcmp(k, "rotate_refresh_tokens") != 0) {
				snprintf(err, sizeof(err), "unknown field "
				    "'%.64s': access_token_ttl, "
				    "rotate_refresh_tokens", k);
				ctl_msg(resp, 400, "error", err);
				goto out;
			}
			(void)val;
		}
	}
	if (json_object_object_get_ex(body, "access_token_ttl", &v)) {
		n = json_object_get_int64(v);
		if (!json_object_is_type(v, json_type_int) || n < 1 ||
		    n > SBX_OAUTH_TTL_MAX) {
			ctl_msg(resp, 400, "error", "access_token_ttl must be "
			    "an integer from 1 to 31622400");
			goto out;
		}
		ttl = (long)n;
	}
	if (json_object_object_get_ex(body, "rotate_refresh_tokens", &v)) {
		if (!json_object_is_type(v, json_type_boolean)) {
			ctl_msg(resp, 400, "error", "rotate_refresh_tokens "
			    "must be true or false");
			goto out;
		}
		rotate = json_object_get_boolean(v);
	}
	o->ttl = ttl;
	o->rotate = rotate;
	log_info("oauth: access tokens last %ld s, refresh rotation %s",
	    ttl, rotate ? "on" : "off");
	ctl_state(app, resp);
out:
	json_object_put(body);
}

/* Every live access token expires now. */
static void
ctl_expire(struct sbx_app *app, struct sbx_resp *resp)
{
	struct sbx_oauth	*o = app->oauth;
	struct oa_grant		*g;
	uint64_t		 now = sbx_now_us();
	size_t			 i, j;
	long long		 n = 0;

	for (i = 0; i < o->ngrants; i++) {
		g = &o->grants[i];
		for (j = 0; j < g->naccess; j++) {
			if (g->revoked_by != NULL ||
			    !access_live(&g->access[j], now))
				continue;
			g->access[j].expires_us = now;
			n++;
		}
	}
	ctl_count(resp, "expired", n);
}

/* The user uninstalled the app: every grant of an account goes. */
static void
ctl_revoke(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp)
{
	static const struct jfield fields[] = {
		{ "account", JF_STRING, 1, 64 },
	};
	struct sbx_oauth	*o = app->oauth;
	struct json_object	*body = NULL;
	char			 err[256];
	size_t			 i, idx;
	long long		 n = 0;

	if (json_parse_object(req->body, req->body_len, &body, err,
	    sizeof(err)) != KC_OK ||
	    json_check_fields(body, fields, sizeof(fields) /
	    sizeof(fields[0]), err, sizeof(err)) != KC_OK) {
		ctl_msg(resp, 400, "error", err);
		goto out;
	}
	if (account_by_id(app->data, json_get_str(body, "account"), &idx) ==
	    NULL) {
		ctl_msg(resp, 404, "error", "no account has this id or key");
		goto out;
	}
	for (i = 0; i < o->ngrants; i++) {
		if (o->grants[i].acc != idx || o->grants[i].revoked_by != NULL)
			continue;
		grant_revoke(&o->grants[i], "sandbox");
		n++;
	}
	/* Codes not yet exchanged die with the consent. */
	for (i = 0; i < o->ncodes; i++)
		if (o->codes[i].acc == idx)
			o->codes[i].expires_us = 0;
	log_info("oauth: %lld grant%s of account %s revoked", n,
	    n == 1 ? "" : "s", app->data->acc[idx].id);
	ctl_count(resp, "revoked", n);
out:
	json_object_put(body);
}

void
sbx_oauth_ctl(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp)
{
	struct sbx_oauth	*o = app->oauth;
	const char		*rest = req->path + strlen(CTL_PREFIX);
	const char		*m = req->method;
	long long		 n;

	if (*rest == '\0' || strcmp(rest, "/") == 0) {
		if (strcmp(m, "GET") == 0)
			ctl_state(app, resp);
		else if (strcmp(m, "POST") == 0)
			ctl_set(app, req, resp);
		else if (strcmp(m, "DELETE") == 0) {
			n = (long long)o->ngrants;
			oauth_clear(o);
			o->ttl = o->ttl0;
			o->rotate = 1;
			ctl_count(resp, "cleared", n);
		} else
			ctl_msg(resp, 405, "error", "method not allowed");
	} else if (strcmp(rest, "/expire") == 0 ||
	    strcmp(rest, "/expire/") == 0) {
		if (strcmp(m, "POST") == 0)
			ctl_expire(app, resp);
		else
			ctl_msg(resp, 405, "error", "method not allowed");
	} else if (strcmp(rest, "/revoke") == 0 ||
	    strcmp(rest, "/revoke/") == 0) {
		if (strcmp(m, "POST") == 0)
			ctl_revoke(app, req, resp);
		else
			ctl_msg(resp, 405, "error", "method not allowed");
	} else
		ctl_msg(resp, 404, "error", "unknown control endpoint");
}
