/*
 * The request pipeline of klaviyo-sandbox.  Every request outside
 * /__sandbox/ is a Klaviyo request and goes through, in order:
 *
 *   request log -> faults (key, path, X-Sandbox-Fault) -> route (404,
 *   405) -> Authorization (401) -> revision (400) -> Accept (406) ->
 *   scope (403) -> rate limits (429) -> query parameters (400) ->
 *   the endpoint's handler (200)
 *
 * A key or a live OAuth access token (Bearer, oauth.c) selects
 * the account; a token brings its grant's scopes.  /oauth/ requests are
 * logged and faulted the same way, then answered by oauth.c;
 * /__sandbox/oauth is its control API.
 *
 * Answers have Klaviyo's shapes: JSON:API documents and
 * {"errors":[{id,status,code,title,detail,source}]}, with
 * RateLimit-Limit/-Remaining/-Reset on every answer that counted against
 * a bucket, and Retry-After on a 429 (which, as at Klaviyo, carries no
 * RateLimit-* headers).
 */
#include "sandbox.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include "json_util.h"
#include "log.h"
#include "ctl.h"
#include "oauth.h"
#include "rate.h"
#include "webhooks.h"

#define SBX_JSONAPI_TYPE	"application/vnd.api+json"

static const char cloudflare_html[] =
    "<!DOCTYPE html>\n"
    "<!--[if lt IE 7]> <html class=\"no-js ie6 oldie\" lang=\"en-US\">"
    " <![endif]-->\n"
    "<html class=\"no-js\" lang=\"en-US\">\n"
    "<head>\n"
    "<title>Attention Required! | Cloudflare</title>\n"
    "<meta charset=\"UTF-8\" />\n"
    "<meta http-equiv=\"Content-Type\" content=\"text/html; "
    "charset=UTF-8\" />\n"
    "<meta name=\"robots\" content=\"noindex, nofollow\" />\n"
    "</head>\n"
    "<body>\n"
    "<div id=\"cf-wrapper\">\n"
    "<div id=\"cf-error-details\" class=\"cf-error-details-wrapper\">\n"
    "<h1 data-translate=\"block_headline\">Sorry, you have been "
    "blocked</h1>\n"
    "<h2 class=\"cf-subheadline\">You are unable to access "
    "klaviyo.com</h2>\n"
    "<p>This website is using a security service to protect itself from "
    "online attacks. The action you just performed triggered the "
    "security solution.</p>\n"
    "<p>Cloudflare Ray ID: <strong class=\"font-semibold\">"
    "8f3c2a1b9d7e6f50</strong> &bull; Performance &amp; security by "
    "Cloudflare</p>\n"
    "</div>\n"
    "</div>\n"
    "</body>\n"
    "</html>\n";

int64_t
sbx_revision_days(const char *s)
{
	char	 date[11];
	int64_t	 t;

	if (s == NULL || strlen(s) < 10)
		return 0;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (sbx_parse_datetime(date, &t) != KC_OK)
		return 0;
	return t / 86400;
}

/* YYYY-MM-DD[.suffix] between the oldest and newest revisions. */
static int
revision_ok(const char *s)
{
	char	 date[11];
	int64_t	 t;
	size_t	 i, n = strlen(s);

	if (n < 10 || n > 32)
		return 0;
	memcpy(date, s, 10);
	date[10] = '\0';
	for (i = 0; i < 10; i++)
		if ((i == 4 || i == 7) ? date[i] != '-' :
		    !isdigit((unsigned char)date[i]))
			return 0;
	if (sbx_parse_datetime(date, &t) != KC_OK)
		return 0;
	if (s[10] == '.') {
		if (n == 11)
			return 0;
		for (i = 11; i < n; i++)
			if (!islower((unsigned char)s[i]) &&
			    !isdigit((unsigned char)s[i]))
				return 0;
	} else if (s[10] != '\0')
		return 0;
	return strcmp(date, SBX_REVISION_OLDEST) >= 0 &&
	    strcmp(date, SBX_REVISION_NEWEST) <= 0;
}

/* 1 when an Accept header admits a JSON:API answer. */
static int
accept_ok(const char *h)
{
	const char	*p = h, *e;
	char		 mt[96];
	size_t		 n;

	if (h == NULL)
		return 1;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		e = p + strcspn(p, ",");
		n = strcspn(p, ";,");
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n > 0 && n < sizeof(mt)) {
			memcpy(mt, p, n);
			mt[n] = '\0';
			if (strcasecmp(mt, SBX_JSONAPI_TYPE) == 0 ||
			    strcasecmp(mt, "application/json") == 0 ||
			    strcmp(mt, "*/*") == 0 ||
			    strcasecmp(mt, "application/*") == 0)
				return 1;
		}
		p = e;
	}
	return h[strspn(h, " ")] == '\0';
}

/* Validates every query parameter against the endpoint's table. */
static int
check_params(struct sbx_ctx *ctx, struct sbx_resp *resp)
{
	const struct sbx_param	*pp;
	struct sbx_filter	*f = NULL;
	char			 err[300], item[128];
	const char		*name, *v, *p;
	size_t			 i, j, n, off;
	long long		 ps;
	char			*end;
	int			 ok, rc;

	for (i = 0; i < ctx->q.n; i++) {
		name = ctx->q.p[i].name;
		v = ctx->q.p[i].value;
		for (pp = ctx->ep->params; pp && pp->name; pp++)
			if (strcmp(pp->name, name) == 0)
				break;
		if (pp == NULL || pp->name == NULL) {
			snprintf(err, sizeof(err), "'%.64s' is not a valid "
			    "query parameter for %s %s", name, ctx->ep->method,
			    ctx->ep->path);
			goto bad;
		}
		switch (pp->type) {
		case SBX_P_FIELDS:
		case SBX_P_INCLUDE:
			for (p = v; ; p += n + 1) {
				n = strcspn(p, ",");
				ok = n > 0 && n < sizeof(item);
				if (ok) {
					memcpy(item, p, n);
					item[n] = '\0';
					for (j = 0, ok = 0; pp->values[j]; j++)
						if (strcmp(pp->values[j],
						    item) == 0)
							ok = 1;
				}
				if (!ok) {
					snprintf(err, sizeof(err), "'%.*s' is "
					    "not a valid value for %s",
					    (int)(n < 64 ? n : 64), p, name);
					goto bad;
				}
				if (p[n] == '\0')
					break;
			}
			break;
		case SBX_P_SORT:
			for (j = 0, ok = 0; pp->values[j]; j++)
				if (strcmp(pp->values[j], v) == 0)
					ok = 1;
			if (!ok) {
				snprintf(err, sizeof(err), "'%.64s' is not a "
				    "valid sort field", v);
				goto bad;
			}
			break;
		case SBX_P_SIZE:
			ps = strtoll(v, &end, 10);
			if (end == v || *end != '\0' || ps < 1 ||
			    ps > ctx->ep->page_size_max) {
				snprintf(err, sizeof(err), "page[size] must be "
				    "an integer between 1 and %d",
				    ctx->ep->page_size_max);
				goto bad;
			}
			break;
		case SBX_P_STRING:
			break;
		case SBX_P_CURSOR:
			if (*v != '\0' && sbx_cursor_parse(v, &off) != KC_OK) {
				snprintf(err, sizeof(err), "Invalid page "
				    "cursor '%.64s'", v);
				goto bad;
			}
			break;
		case SBX_P_FILTER:
			if ((rc = sbx_filter_parse(v, ctx->ep->filters, &f,
			    err, sizeof(err))) != KC_OK) {
				if (rc != KC_ERR_BAD_INPUT)
					return rc;
				goto bad;
			}
			sbx_filter_free(f);
			f = NULL;
			break;
		}
	}
	return KC_OK;
bad:
	rc = sbx_reply_error(ctx->app, resp, 400, "invalid",
	    "Invalid input.", err, "parameter", name);
	return rc == KC_OK ? KC_ERR_BAD_INPUT : rc;
}

static int
add_rate_headers(struct sbx_resp *resp, const struct sbx_rate_info *ri)
{
	int rc;

	if ((rc = sbx_resp_header(resp, "RateLimit-Limit", "%d",
	    ri->limit)) != KC_OK ||
	    (rc = sbx_resp_header(resp, "RateLimit-Remaining", "%d",
	    ri->remaining)) != KC_OK)
		return rc;
	return sbx_resp_header(resp, "RateLimit-Reset", "%ld", ri->reset_s);
}

/* The answer of a Klaviyo request with no fault, or a 4xx. */
static int
klaviyo_answer(struct sbx_ctx *ctx, const char *npath, const char *scheme,
    const char *cred, struct sbx_resp *resp)
{
	struct sbx_app		*app = ctx->app;
	const struct sbx_req	*req = ctx->req;
	struct sbx_rate_info	 ri;
	const char		*rev, *ctype;
	char			 detail[320];
	int			 rc, have_ri = 0;

	if (sbx_endpoint_find(NULL, npath, NULL, NULL, 0) == NULL) {
		snprintf(detail, sizeof(detail), "The path %.200s could not "
		    "be found", req->path);
		return sbx_reply_error(app, resp, 404, "not_found",
		    "Not found.", detail, NULL, NULL);
	}
	if ((ctx->ep = sbx_endpoint_find(req->method, npath, &ctx->ep_idx,
	    ctx->path_id, sizeof(ctx->path_id))) == NULL) {
		char allow[64];

		snprintf(detail, sizeof(detail), "Method \"%.16s\" not "
		    "allowed.", req->method);
		sbx_endpoint_allow(npath, allow, sizeof(allow));
		if ((rc = sbx_resp_header(resp, "Allow", "%s", allow)) !=
		    KC_OK)
			return rc;
		return sbx_reply_error(app, resp, 405, "method_not_allowed",
		    "Method not allowed.", detail, NULL, NULL);
	}
	if (scheme == NULL || cred == NULL || *cred == '\0')
		return sbx_reply_error(app, resp, 401, "not_authenticated",
		    "Authentication credentials were not provided.",
		    "Missing or invalid authorization scheme. Please use "
		    "Klaviyo-API-Key.", NULL, NULL);
	/* A Bearer token was looked up by the caller (oauth.c). */
	if (!ctx->bearer && (ctx->acc = sbx_data_by_key(app->data, cred,
	    &ctx->acc_idx)) != NULL)
		ctx->scopes = ctx->acc->def->scopes;
	if (ctx->acc == NULL)
		return sbx_reply_error(app, resp, 401, "authentication_failed",
		    "Incorrect authentication credentials.",
		    "Incorrect authentication credentials.", NULL, NULL);
	sbx_rate_peek(app->rate, ctx->acc_idx, ctx->ep_idx, &ctx->ep->limit,
	    sbx_now_us(), &ri);
	have_ri = 1;
	if ((rev = sbx_req_header(req, "revision")) == NULL) {
		rc = sbx_reply_error(app, resp, 400, "invalid",
		    "Invalid input.", "Missing required header 'revision'. "
		    "Send a revision such as " SBX_REVISION_NEWEST ".",
		    "parameter", "revision");
		goto out;
	}
	if (!revision_ok(rev)) {
		snprintf(detail, sizeof(detail), "Invalid revision "
		    "'%.40s': expected YYYY-MM-DD (optionally .pre or .beta) "
		    "from %s to %s.", rev, SBX_REVISION_OLDEST,
		    SBX_REVISION_NEWEST);
		rc = sbx_reply_error(app, resp, 400, "invalid",
		    "Invalid input.", detail, "parameter", "revision");
		goto out;
	}
	if (!accept_ok(sbx_req_header(req, "Accept"))) {
		rc = sbx_reply_error(app, resp, 406, "not_acceptable",
		    "Could not satisfy the request Accept header.",
		    "Accept application/vnd.api+json.", "parameter", "Accept");
		goto out;
	}
	if (req->body_len > 0 && (ctype = sbx_req_header(req,
	    "Content-Type")) != NULL && strncasecmp(ctype, SBX_JSONAPI_TYPE,
	    strlen(SBX_JSONAPI_TYPE)) != 0 && strncasecmp(ctype,
	    "application/json", 16) != 0) {
		rc = sbx_reply_error(app, resp, 415, "unsupported_media_type",
		    "Unsupported media type.", "Send the body as "
		    "application/vnd.api+json.", "parameter", "Content-Type");
		goto out;
	}
	if (!(ctx->scopes & ctx->ep->scope)) {
		snprintf(detail, sizeof(detail), "This %s is missing "
		    "required scopes: %s.", ctx->bearer ? "access token" :
		    "API key", ctx->ep->scope_name);
		rc = sbx_reply_error(app, resp, 403, "permission_denied",
		    "You do not have permission to perform this action.",
		    detail, NULL, NULL);
		goto out;
	}
	if (!sbx_rate_take(app->rate, ctx->acc_idx, ctx->ep_idx,
	    &ctx->ep->limit, sbx_now_us(), &ri)) {
		have_ri = 0;
		snprintf(detail, sizeof(detail), "Request was throttled. "
		    "Expected available in %ld second%s.", ri.retry_after_s,
		    ri.retry_after_s == 1 ? "" : "s");
		if ((rc = sbx_resp_header(resp, "Retry-After", "%ld",
		    ri.retry_after_s)) != KC_OK)
			goto out;
		rc = sbx_reply_error(app, resp, 429, "throttled",
		    "Request was throttled.", detail, NULL, NULL);
		goto out;
	}
	if ((rc = check_params(ctx, resp)) != KC_OK) {
		if (rc == KC_ERR_BAD_INPUT)
			rc = KC_OK;
		goto out;
	}
	/* A fleet account is built only when a handler needs its data. */
	if ((rc = sbx_data_load(app->data, ctx->acc_idx)) != KC_OK)
		goto out;
	rc = (ctx->ep->handle ? ctx->ep->handle : sbx_handle_collection)(ctx,
	    resp);
out:
	if (rc == KC_OK && have_ri)
		rc = add_rate_headers(resp, &ri);
	return rc;
}

/* Cuts credentials out of an Authorization header. */
static void
split_auth(const char *h, char *scheme, size_t slen, const char **cred)
{
	size_t n;

	scheme[0] = '\0';
	*cred = NULL;
	if (h == NULL)
		return;
	while (*h == ' ')
		h++;
	n = strcspn(h, " ");
	if (n == 0 || n >= slen)
		return;
	memcpy(scheme, h, n);
	scheme[n] = '\0';
	h += n;
	while (*h == ' ')
		h++;
	*cred = h;
}

/* Copies a header value for the log, cut to the field's size. */
static void
copy_field(char *dst, size_t len, const char *src)
{
	size_t n;

	if (src == NULL)
		src = "";
	n = strnlen(src, len - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void
now_rfc3339(char *out, size_t len)
{
	struct timeval	 tv;
	struct tm	 tm;
	char		 s[32];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, len, "%.20s.%03dZ", s, (int)(tv.tv_usec / 1000) % 1000);
}

/* Turns a fault that replaces the answer into one. */
static int
fault_answer(struct sbx_app *app, const struct sbx_fault *f,
    struct sbx_resp *resp)
{
	char	 detail[128];
	int	 rc;

	switch (f->type) {
	case SBX_F_HANG:
		resp->status = 0;
		resp->action = SBX_ACT_HANG;
		resp->hang_ms = f->ms;
		return KC_OK;
	case SBX_F_RESET:
		resp->status = 0;
		resp->action = SBX_ACT_RESET;
		return KC_OK;
	case SBX_F_HTML:
		if ((rc = sbx_resp_header(resp, "CF-RAY",
		    "8f3c2a1b9d7e6f50-EWR")) != KC_OK)
			return rc;
		resp->close = 1;
		return sbx_resp_set_body(resp, 403,
		    "text/html; charset=UTF-8", cloudflare_html,
		    sizeof(cloudflare_html) - 1);
	case SBX_F_STATUS:
		if (f->status == 429 && (rc = sbx_resp_header(resp,
		    "Retry-After", "1")) != KC_OK)
			return rc;
		snprintf(detail, sizeof(detail), "Injected fault: status %d.",
		    f->status);
		if (f->status >= 500)
			return sbx_reply_error(app, resp, f->status, "error",
			    "A server error occurred.", detail, NULL, NULL);
		return sbx_reply_error(app, resp, f->status, f->status ==
		    429 ? "throttled" : "invalid", f->status == 429 ?
		    "Request was throttled." : "Invalid input.", detail, NULL,
		    NULL);
	default:
		return KC_OK;
	}
}

/* /oauth/...: the OAuth endpoints (oauth.c). */
static int
is_oauth_path(const char *p)
{
	return strncmp(p, "/oauth/", 7) == 0 || strcmp(p, "/oauth") == 0;
}

/*
 * Who a request is: an API key's or a live access token's account
 * (NULL when neither).  A Bearer request's faults are those of its
 * account's key.
 */
static void
resolve_cred(struct sbx_ctx *ctx, const char *scheme, const char *cred,
    const char **fault_key)
{
	struct sbx_app *app = ctx->app;

	*fault_key = cred;
	if (cred == NULL || *cred == '\0')
		return;
	if (strcasecmp(scheme, "Bearer") != 0) {
		ctx->acc = sbx_data_by_key(app->data, cred, &ctx->acc_idx);
		return;
	}
	ctx->bearer = 1;
	if (sbx_oauth_bearer(app->oauth, cred, sbx_now_us(), &ctx->acc_idx,
	    &ctx->scopes)) {
		ctx->acc = &app->data->acc[ctx->acc_idx];
		*fault_key = ctx->acc->def->key;
	}
}

static void
klaviyo_handle(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp)
{
	struct sbx_ctx		 ctx;
	struct sbx_log_entry	*e;
	struct sbx_fault	 lat, oth, hf;
	const char		*cred, *h, *fkey = NULL;
	char			 scheme[24], npath[256], qerr[256], kesc[16];
	char			 gt[32] = "";
	size_t			 n, ei;
	int			 rc = KC_OK, oauth;

	memset(&ctx, 0, sizeof(ctx));
	ctx.app = app;
	ctx.req = req;
	sbx_base_url(req, ctx.base, sizeof(ctx.base));
	split_auth(sbx_req_header(req, "Authorization"), scheme,
	    sizeof(scheme), &cred);
	/* Client credentials and tokens are never logged, not in part. */
	if ((oauth = is_oauth_path(req->path)) == 0)
		resolve_cred(&ctx, scheme, cred, &fkey);

	e = sbx_ctl_log_new(app->ctl);
	now_rfc3339(e->time, sizeof(e->time));
	copy_field(e->method, sizeof(e->method), req->method);
	copy_field(e->path, sizeof(e->path), req->path);
	if (!oauth || strncmp(req->path, "/oauth/authorize", 16) == 0)
		copy_field(e->query, sizeof(e->query), req->query);
	copy_field(e->auth, sizeof(e->auth), scheme);
	if (cred && !oauth && !ctx.bearer)
		snprintf(e->key, sizeof(e->key), "%.8s", cred);
	if (ctx.acc != NULL)
		copy_field(e->account, sizeof(e->account), ctx.acc->id);
	copy_field(e->revision, sizeof(e->revision),
	    sbx_req_header(req, "revision"));
	copy_field(e->accept, sizeof(e->accept),
	    sbx_req_header(req, "Accept"));
	copy_field(e->content_type, sizeof(e->content_type),
	    sbx_req_header(req, "Content-Type"));

	/* /api/metrics/ and /api/metrics are the same endpoint. */
	snprintf(npath, sizeof(npath), "%s", req->path);
	n = strlen(npath);
	if (n > 1 && npath[n - 1] == '/')
		npath[n - 1] = '\0';

	sbx_ctl_faults(app->ctl, fkey, req->method, npath, &lat, &oth);
	if ((h = sbx_req_header(req, "X-Sandbox-Fault")) != NULL) {
		if (sbx_fault_parse_header(h, &hf) != KC_OK)
			log_warnx("ignoring a bad X-Sandbox-Fault header");
		else if (hf.type == SBX_F_LATENCY)
			lat = hf;
		else
			oth = hf;
	}
	if (oth.type == SBX_F_STATUS || oth.type == SBX_F_HANG ||
	    oth.type == SBX_F_RESET || oth.type == SBX_F_HTML) {
		rc = fault_answer(app, &oth, resp);
	} else if (oauth) {
		rc = sbx_oauth_answer(app, req, resp, gt, sizeof(gt));
		copy_field(e->grant_type, sizeof(e->grant_type), gt);
	} else {
		rc = sbx_query_parse(req->query, &ctx.q, qerr, sizeof(qerr));
		if (rc == KC_ERR_BAD_INPUT)
			rc = sbx_reply_error(app, resp, 400, "invalid",
			    "Invalid input.", qerr, "parameter", "query");
		else if (rc == KC_OK)
			rc = klaviyo_answer(&ctx, npath, scheme[0] ? scheme :
			    NULL, cred, resp);
	}
	if (oth.type == SBX_F_MALFORMED || oth.type == SBX_F_CONTENT_TYPE) {
		if (rc == KC_OK && oth.type == SBX_F_MALFORMED &&
		    resp->body.len > 1) {
			resp->body.len /= 2;
			resp->body.data[resp->body.len] = '\0';
		} else if (rc == KC_OK && oth.type == SBX_F_CONTENT_TYPE)
			snprintf(resp->content_type,
			    sizeof(resp->content_type),
			    "text/plain; charset=utf-8");
	}
	if (rc != KC_OK) {
		log_warnx("%s %s: %s", req->method, req->path,
		    kc_strerror(rc));
		resp->action = SBX_ACT_RESET;
		resp->status = 0;
	}
	if (lat.type == SBX_F_LATENCY)
		resp->delay_ms = lat.ms;
	e->status = resp->action == SBX_ACT_SEND ? resp->status : 0;
	if (ctx.acc != NULL && sbx_endpoint_find(req->method, npath, &ei,
	    NULL, 0) != NULL)
		sbx_ctl_count(app->ctl, ctx.acc_idx, ei, e->status, oth.type !=
		    SBX_F_NONE || lat.type != SBX_F_NONE);
	if (oth.type != SBX_F_NONE)
		copy_field(e->fault, sizeof(e->fault),
		    sbx_fault_name(oth.type));
	else if (lat.type != SBX_F_NONE)
		copy_field(e->fault, sizeof(e->fault), "latency");
	if (log_enabled(LOG_LVL_INFO)) {
		char pesc[300];

		log_escape(e->key, kesc, sizeof(kesc));
		log_escape(req->path, pesc, sizeof(pesc));
		if (oauth)
			log_info("%s %s %d%s%s %s%s", req->method, pesc,
			    e->status, gt[0] ? " grant_type=" : "", gt,
			    e->fault[0] ? "fault=" : "", e->fault);
		else if (ctx.bearer)
			log_info("%s %s %d bearer account=%s %s%s",
			    req->method, pesc, e->status, ctx.acc ?
			    ctx.acc->id : "-", e->fault[0] ? "fault=" : "",
			    e->fault);
		else
			log_info("%s %s %d key=%s... %s%s", req->method, pesc,
			    e->status, kesc[0] ? kesc : "-", e->fault[0] ?
			    "fault=" : "", e->fault);
	}
	sbx_query_free(&ctx.q);
}

void
sbx_app_handle(void *arg, const struct sbx_req *req, struct sbx_resp *resp)
{
	struct sbx_app *app = arg;

	if (strncmp(req->path, "/__sandbox/oauth", 16) == 0 &&
	    (req->path[16] == '\0' || req->path[16] == '/')) {
		sbx_oauth_ctl(app, req, resp);
		return;
	}
	if (sbx_ctl_webhooks_path(req->path)) {
		sbx_ctl_webhooks(app, req, resp);
		return;
	}
	if (strncmp(req->path, "/__sandbox/", 11) == 0) {
		sbx_ctl_handle(app, req, resp);
		return;
	}
	klaviyo_handle(app, req, resp);
}
