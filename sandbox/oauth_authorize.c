/*
 * /oauth/authorize of klaviyo-sandbox: checks the request, answers the
 * consent page (GET) and its form (POST: deny, or allow and a code back
 * to the client).  A bad client_id or redirect_uri is a 400 page that
 * goes nowhere (RFC 6749 4.1.2.1); every other problem goes back to
 * redirect_uri with error=.
 */
#include "oauth_impl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "json_util.h"
#include "log.h"
#include "sandbox.h"

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
int
oa_pkce_string_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n < CHALLENGE_MIN || n > CHALLENGE_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!oa_unreserved((unsigned char)s[i]))
			return 0;
	return 1;
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
	if (a->scope == NULL || oa_scopes_parse(a->scope, &a->scopes, bad,
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
	if (!oa_pkce_string_ok(a->challenge)) {
		problem(pb, "invalid_request", "code_challenge must be 43 to "
		    "128 characters of A-Z, a-z, 0-9, '-', '.', '_', '~'.");
		return V_REDIRECT;
	}
	return V_OK;
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

	for (i = 0; i < app->data->nfixed; i++) {
		acc = &app->data->acc[i];
		if ((want & acc->def->scopes) == want)
			continue;
		oa_scopes_str(want & acc->def->scopes, s, sizeof(s));
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
	for (i = 0; i < app->data->nfixed; i++) {
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

int
oa_authorize_get(struct sbx_app *app, const struct sbx_req *req,
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

const struct sbx_account *
oa_account_by_id(const struct sbx_data *d, const char *id, size_t *idx)
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
	if ((acc = oa_account_by_id(app->data, account, &idx)) == NULL) {
		problem(&pb, "invalid_request", "account is not an account "
		    "of this sandbox.");
		return reply_authz_error(resp, a, &pb);
	}
	if ((granted = a->scopes & acc->def->scopes) == 0) {
		problem(&pb, "invalid_scope", "The chosen account has none "
		    "of the requested scopes.");
		return reply_authz_error(resp, a, &pb);
	}
	rc = oa_code_new(app->oauth, a, idx, granted, sbx_now_us(), code,
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

int
oa_authorize_post(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp)
{
	struct sbx_query	 q;
	struct authz		 a;
	struct problem		 pb;
	const char		*decision;
	char			 err[256];
	int			 rc;

	if ((rc = oa_form_parse(req, &q, err, sizeof(err))) != KC_OK) {
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
	oa_form_free(&q);
	return rc;
}
